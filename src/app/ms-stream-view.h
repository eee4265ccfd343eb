/* ms-stream-view.h - the conversation as text: client lines and server lines
 * in two colours, literals folded as the decoders show them. */
#pragma once

#include <gtk/gtk.h>
#include "ms-capture.h"

G_BEGIN_DECLS

#define MS_TYPE_STREAM_VIEW (ms_stream_view_get_type ())
G_DECLARE_FINAL_TYPE (MsStreamView, ms_stream_view, MS, STREAM_VIEW, GtkWidget)

GtkWidget *ms_stream_view_new (void);
/* Shows events `indices` (only those of steps up to `reveal`). */
void ms_stream_view_set_events (MsStreamView *self, MsCapture *capture,
                                const guint *indices, guint n, MsStep reveal,
                                gboolean mask_secrets);
/* The text shown (for tests and copying). */
char *ms_stream_view_get_text (MsStreamView *self);

G_END_DECLS
