/* ms-compare-view.h - IMAP and POP3 side by side for an opened capture: the
 * measures of each session in two columns, the lesson's steps aligned on
 * rows, and the classic comparison points as cards, each with its evidence
 * from both traces. The comparison (ms-compare.h) is built off the main
 * thread. */
#pragma once

#include <gtk/gtk.h>

#include "mailscope/ms-compare.h"
#include "ms-capture.h"

G_BEGIN_DECLS

#define MS_TYPE_COMPARE_VIEW (ms_compare_view_get_type ())
G_DECLARE_FINAL_TYPE (MsCompareView, ms_compare_view, MS, COMPARE_VIEW, GtkWidget)

GtkWidget *ms_compare_view_new (void);

/* TRUE when the loaded capture holds an IMAP and a POP3 session. */
gboolean ms_compare_view_can_compare (MsCapture *capture);

/* Shows the comparison of a loaded capture (NULL clears the view). The
 * comparison is built in a worker; "ready" fires when it is shown. Setting
 * the same capture again keeps what is shown. */
void ms_compare_view_set_capture (MsCompareView *self, MsCapture *capture);
MsCapture *ms_compare_view_get_capture (MsCompareView *self);

/* Signals: "ready" when the comparison of the current capture is shown;
 * "show-frame" (guint session, guint frame) when an evidence line's button
 * asks to see its frame. */

/* TRUE once the comparison of the current capture is shown. */
gboolean ms_compare_view_get_ready (MsCompareView *self);
/* The comparison shown (borrowed), or NULL before "ready". */
MsCompare *ms_compare_view_get_compare (MsCompareView *self);

/* What the view shows, for tests and the screenshot script: the text of a
 * measure's cell, the text of a step row's cell ("" for a blank one), the
 * number of statement cards and the evidence lines shown in one. */
const char *ms_compare_view_get_measure_text (MsCompareView *self, MsCompareSide side,
                                              MsCompareMeasure measure);
guint ms_compare_view_get_n_rows (MsCompareView *self);
char *ms_compare_view_get_row_text (MsCompareView *self, guint row, MsCompareSide side);
guint ms_compare_view_get_n_cards (MsCompareView *self);
guint ms_compare_view_get_n_evidence (MsCompareView *self, guint card, MsCompareSide side);

G_END_DECLS
