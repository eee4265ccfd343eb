/* ms-step-row.h - one step of the lesson in the step list: title, the
 * step's explanation, its numbers and the notes not to miss. */
#pragma once

#include <gtk/gtk.h>
#include "mailscope/ms-types.h"

G_BEGIN_DECLS

#define MS_TYPE_STEP_ROW (ms_step_row_get_type ())
G_DECLARE_FINAL_TYPE (MsStepRow, ms_step_row, MS, STEP_ROW, GtkListBoxRow)

/* notes: translated strings, may be NULL. */
GtkWidget *ms_step_row_new (MsStep step, guint position, const char *explanation,
                            const char *stats, const char *const *notes);
MsStep ms_step_row_get_step (MsStepRow *self);
void ms_step_row_set_current (MsStepRow *self, gboolean current);
/* Revealed steps are shown fully; later steps are dimmed. */
void ms_step_row_set_revealed (MsStepRow *self, gboolean revealed);

G_END_DECLS
