/* ms-hex-view.h - hex and ASCII view of one frame's bytes; a byte range can
 * be highlighted, and clicking a byte reports its offset. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define MS_TYPE_HEX_VIEW (ms_hex_view_get_type ())
G_DECLARE_FINAL_TYPE (MsHexView, ms_hex_view, MS, HEX_VIEW, GtkWidget)

GtkWidget *ms_hex_view_new (void);
void ms_hex_view_set_bytes (MsHexView *self, GBytes *bytes);
void ms_hex_view_set_highlight (MsHexView *self, guint offset, guint length);
void ms_hex_view_get_highlight (MsHexView *self, guint *offset, guint *length);
/* Offset of the byte at widget coordinates, or -1. */
int ms_hex_view_offset_at (MsHexView *self, double x, double y);

G_END_DECLS
