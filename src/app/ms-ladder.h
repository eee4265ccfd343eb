/* ms-ladder.h - the ladder (sequence) diagram: client, server and DNS server
 * as vertical lines, one arrow per event, commands bracketed with their
 * completions; exportable as PNG and SVG. */
#pragma once

#include <gtk/gtk.h>
#include "ms-capture.h"

G_BEGIN_DECLS

#define MS_TYPE_LADDER (ms_ladder_get_type ())
G_DECLARE_FINAL_TYPE (MsLadder, ms_ladder, MS, LADDER, GtkWidget)

GtkWidget *ms_ladder_new (void);
/* Shows events `indices` of `capture` (copied), in that order. */
void ms_ladder_set_events (MsLadder *self, MsCapture *capture,
                           const guint *indices, guint n);
/* Events of steps after `step` are hidden (MS_STEP_N shows all). */
void ms_ladder_set_reveal (MsLadder *self, MsStep step);
/* Highlights the arrows of frame `number` and scrolls to the first; 0 clears. */
void ms_ladder_set_selected_frame (MsLadder *self, guint32 number);
guint32 ms_ladder_get_selected_frame (MsLadder *self);
void ms_ladder_set_mask_secrets (MsLadder *self, gboolean mask);
/* Arrows currently drawn (revealed events). */
guint ms_ladder_get_n_arrows (MsLadder *self);
/* Number of command/completion brackets among them. */
guint ms_ladder_get_n_brackets (MsLadder *self);
/* Frame of the arrow at widget coordinate y, or 0. */
guint32 ms_ladder_frame_at (MsLadder *self, double y);

/* Writes the whole revealed diagram for slides; width and height (may be NULL)
 * receive the image size in pixels. */
gboolean ms_ladder_export_png (MsLadder *self, const char *path,
                               int *width, int *height, GError **error);
gboolean ms_ladder_export_svg (MsLadder *self, const char *path, GError **error);

/* Colour of a step, as "#rrggbb" (shared by the step list). */
const char *ms_step_color (MsStep step);

G_END_DECLS
