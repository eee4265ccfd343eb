/* ms-hex-view.c - 16 bytes a line: offset, hex, ASCII; drawn in snapshot
 * with one Pango layout per visible line. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ms-app-resources.h"
#include "ms-hex-view.h"

/* Bytes per line, as in Wireshark and xxd. */
#define MS_HEX_PER_LINE 16

struct _MsHexView
{
  GtkWidget parent_instance;

  /* owned */
  GBytes *bytes;
  guint hl_off;
  guint hl_len;
};

enum { SIG_BYTE_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MsHexView, ms_hex_view, GTK_TYPE_WIDGET)

static PangoLayout *
mono_layout (MsHexView *self, const char *text)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  PangoFontDescription *font = pango_font_description_copy (
      pango_context_get_font_description (pango_layout_get_context (layout)));
  pango_font_description_set_family (font, "Monospace");
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  return layout;
}

/* Width of one character and height of one line of the monospace font. */
static void
cell_size (MsHexView *self, int *cw, int *lh)
{
  PangoLayout *layout = mono_layout (self, "0");
  pango_layout_get_pixel_size (layout, cw, lh);
  g_object_unref (layout);
}

static gsize
n_bytes (MsHexView *self)
{
  return self->bytes ? g_bytes_get_size (self->bytes) : 0;
}

/* Column (in characters) where byte i of a line starts, in the hex part. */
static int
hex_col (guint i)
{
  return 6 + i * 3 + (i >= 8 ? 1 : 0);
}

static int
ascii_col (guint i)
{
  return hex_col (MS_HEX_PER_LINE) + 1 + i;
}

static void
ms_hex_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  MsHexView *self = MS_HEX_VIEW (widget);
  gsize n = n_bytes (self);
  const guint8 *data = self->bytes ? g_bytes_get_data (self->bytes, NULL) : NULL;
  int cw, lh;
  GdkRGBA fg, hl = { 0.21, 0.52, 0.89, 0.35 };

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS
  cell_size (self, &cw, &lh);
  for (gsize line = 0; line * MS_HEX_PER_LINE < n; line++)
    {
      GString *s = g_string_new (NULL);
      gsize base = line * MS_HEX_PER_LINE;

      g_string_append_printf (s, "%04zx  ", base);
      for (guint i = 0; i < MS_HEX_PER_LINE; i++)
        {
          if (i == 8)
            g_string_append_c (s, ' ');
          if (base + i < n)
            g_string_append_printf (s, "%02x ", data[base + i]);
          else
            g_string_append (s, "   ");
        }
      g_string_append_c (s, ' ');
      for (guint i = 0; i < MS_HEX_PER_LINE && base + i < n; i++)
        g_string_append_c (s, data[base + i] >= 0x20 && data[base + i] < 0x7f
                                  ? (char) data[base + i] : '.');

      for (guint i = 0; i < MS_HEX_PER_LINE; i++)
        {
          gsize off = base + i;
          if (off >= n || self->hl_len == 0 || off < self->hl_off
              || off >= (gsize) self->hl_off + self->hl_len)
            continue;
          gtk_snapshot_append_color (snapshot, &hl,
                                     &GRAPHENE_RECT_INIT (hex_col (i) * cw, line * lh,
                                                          cw * 2, lh));
          gtk_snapshot_append_color (snapshot, &hl,
                                     &GRAPHENE_RECT_INIT (ascii_col (i) * cw, line * lh,
                                                          cw, lh));
        }

      PangoLayout *layout = mono_layout (self, s->str);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (0, line * lh));
      gtk_snapshot_append_layout (snapshot, layout, &fg);
      gtk_snapshot_restore (snapshot);
      g_object_unref (layout);
      g_string_free (s, TRUE);
    }
}

static void
ms_hex_view_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                     int *minimum, int *natural, int *min_baseline, int *nat_baseline)
{
  MsHexView *self = MS_HEX_VIEW (widget);
  int cw, lh;

  cell_size (self, &cw, &lh);
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *minimum = *natural = (ascii_col (MS_HEX_PER_LINE) + 1) * cw;
  else
    *minimum = *natural = (int) ((n_bytes (self) + MS_HEX_PER_LINE - 1) / MS_HEX_PER_LINE) * lh;
}

int
ms_hex_view_offset_at (MsHexView *self, double x, double y)
{
  int cw, lh, col, line;

  cell_size (self, &cw, &lh);
  if (x < 0 || y < 0)
    return -1;
  col = (int) (x / cw);
  line = (int) (y / lh);
  for (guint i = 0; i < MS_HEX_PER_LINE; i++)
    {
      gsize off = (gsize) line * MS_HEX_PER_LINE + i;
      if ((col >= hex_col (i) && col < hex_col (i) + 2) || col == ascii_col (i))
        return off < n_bytes (self) ? (int) off : -1;
    }
  return -1;
}

static void
on_click (GtkGestureClick *gesture, int n_press, double x, double y, MsHexView *self)
{
  int off = ms_hex_view_offset_at (self, x, y);

  if (off >= 0)
    g_signal_emit (self, signals[SIG_BYTE_ACTIVATED], 0, (guint) off);
}

static void
ms_hex_view_finalize (GObject *object)
{
  MsHexView *self = MS_HEX_VIEW (object);
  g_clear_pointer (&self->bytes, g_bytes_unref);
  G_OBJECT_CLASS (ms_hex_view_parent_class)->finalize (object);
}

static void
ms_hex_view_class_init (MsHexViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = ms_hex_view_finalize;
  widget_class->snapshot = ms_hex_view_snapshot;
  widget_class->measure = ms_hex_view_measure;

  signals[SIG_BYTE_ACTIVATED] = g_signal_new ("byte-activated", G_TYPE_FROM_CLASS (klass),
                                              G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                              G_TYPE_NONE, 1, G_TYPE_UINT);
  /* Referencing the bundle links it in, and its constructor registers it,
   * even from the static library. */
  (void) ms_app_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/mailscope/Mailscope/ms-hex-view.ui");
  gtk_widget_class_set_css_name (widget_class, "hexview");
}

static void
ms_hex_view_init (MsHexView *self)
{
  GtkGesture *click = gtk_gesture_click_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (click, "pressed", G_CALLBACK (on_click), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
}

GtkWidget *
ms_hex_view_new (void)
{
  return g_object_new (MS_TYPE_HEX_VIEW, NULL);
}

void
ms_hex_view_set_bytes (MsHexView *self, GBytes *bytes)
{
  g_clear_pointer (&self->bytes, g_bytes_unref);
  self->bytes = bytes ? g_bytes_ref (bytes) : NULL;
  self->hl_off = self->hl_len = 0;
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

void
ms_hex_view_set_highlight (MsHexView *self, guint offset, guint length)
{
  self->hl_off = offset;
  self->hl_len = length;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
ms_hex_view_get_highlight (MsHexView *self, guint *offset, guint *length)
{
  *offset = self->hl_off;
  *length = self->hl_len;
}
