/* ms-ladder.c - the ladder diagram, drawn with cairo from one layout so that
 * the screen, the PNG and the SVG show the same picture. Only the rows in
 * view are drawn: the widget is its own GtkScrollable. */
#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <cairo.h>
#include <cairo-svg.h>
#include <pango/pangocairo.h>

#include "ms-app-resources.h"
#include "ms-ladder.h"

/* Characters of an arrow label; longer protocol lines are cut with "…" so
 * that a label fits between two lanes on a slide. */
#define MS_LADDER_LABEL_CHARS 56
/* Width of an exported diagram, in pixels (a 16:9 slide at 1 px per pt). */
#define MS_LADDER_EXPORT_WIDTH 1100
/* Brackets nest at most this deep before sharing a column. */
#define MS_LADDER_MAX_DEPTH 6
/* Rows in an exported image; cairo surfaces stop at 32767 pixels. */
#define MS_LADDER_EXPORT_MAX_ROWS 900

typedef struct {
  guint event;           /* index in the capture */
  int bracket_depth;     /* for the row opening a bracket */
  int pair;              /* row of the other end, or -1 */
  gboolean step_start;   /* first row of a run of one step */
} Row;

struct _MsLadder
{
  GtkWidget parent_instance;

  /* owned */
  MsCapture *capture;
  GArray *all;           /* guint event indices as given */
  GArray *rows;          /* Row, revealed only */
  GtkAdjustment *hadj;
  GtkAdjustment *vadj;

  MsStep reveal;
  guint32 selected;
  gboolean mask;
  gboolean has_dns;
  guint n_brackets;
  guint hscroll_policy : 1;
  guint vscroll_policy : 1;
};

enum {
  PROP_0,
  PROP_HADJUSTMENT,
  PROP_VADJUSTMENT,
  PROP_HSCROLL_POLICY,
  PROP_VSCROLL_POLICY,
};

enum { SIG_FRAME_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE_WITH_CODE (MsLadder, ms_ladder, GTK_TYPE_WIDGET,
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_SCROLLABLE, NULL))

const char *
ms_step_color (MsStep step)
{
  static const char *colors[MS_STEP_N] = {
    "#77767b", /* none */
    "#9141ac", /* dns */
    "#1c71d8", /* connect */
    "#2190a4", /* greeting */
    "#26a269", /* negotiate */
    "#5e8b00", /* tls */
    "#c64600", /* login */
    "#986a44", /* list */
    "#e01b24", /* fetch */
    "#a51d2d", /* refresh */
    "#c061cb", /* update */
    "#813d9c", /* logout */
    "#5e5c64", /* close */
  };
  return step < MS_STEP_N ? colors[step] : colors[0];
}

static void
set_rgb (cairo_t *cr, const char *hex, double alpha)
{
  GdkRGBA c;
  gdk_rgba_parse (&c, hex);
  cairo_set_source_rgba (cr, c.red, c.green, c.blue, alpha);
}

/* ---------------------------------------------------------------------- */
/* Layout                                                                 */

typedef struct {
  double width;
  double row_h;
  double header_h;
  double margin;         /* left column of step names */
  double x_dns, x_client, x_server;
  double font_px;
} Layout;

static void
compute_layout (MsLadder *self, double width, PangoFontDescription *font, Layout *l)
{
  double size = pango_font_description_get_size (font) / (double) PANGO_SCALE;

  if (!pango_font_description_get_size_is_absolute (font))
    size = size * 96.0 / 72.0;
  l->font_px = size;
  l->width = MAX (width, 480);
  l->row_h = size * 2.6;
  l->header_h = size * 4.2;
  l->margin = MAX (size * 14, 170);
  double lanes = l->width - l->margin - size * 2;
  if (self->has_dns)
    {
      l->x_dns = l->margin + lanes * 0.06;
      l->x_client = l->margin + lanes * 0.42;
      l->x_server = l->margin + lanes * 0.94;
    }
  else
    {
      l->x_dns = -1;
      l->x_client = l->margin + lanes * 0.08;
      l->x_server = l->margin + lanes * 0.92;
    }
}

static double
content_height (MsLadder *self, const Layout *l)
{
  return l->header_h + self->rows->len * l->row_h + l->row_h * 0.5;
}

static PangoFontDescription *
widget_font (MsLadder *self)
{
  PangoContext *ctx = gtk_widget_get_pango_context (GTK_WIDGET (self));
  return pango_font_description_copy (pango_context_get_font_description (ctx));
}

/* ---------------------------------------------------------------------- */
/* Rows                                                                   */

static gboolean
event_is_push (MsEvent *ev)
{
  const char *during = ms_event_get_str (ev, "during");
  return ev->dir == MS_DIR_S2C && g_strcmp0 (ev->kind, "untagged") == 0
         && g_strcmp0 (during, "IDLE") == 0;
}

/* Rebuilds the revealed rows and pairs each command with its completion. */
static void
rebuild_rows (MsLadder *self)
{
  g_autoptr (GHashTable) open = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_array_set_size (self->rows, 0);
  self->has_dns = FALSE;
  self->n_brackets = 0;
  if (self->capture == NULL)
    goto done;
  MsStep last = MS_STEP_N;
  for (guint i = 0; i < self->all->len; i++)
    {
      guint idx = g_array_index (self->all, guint, i);
      MsEvent *ev = ms_capture_get_event (self->capture, idx);
      Row row = { idx, 0, -1, FALSE };

      if (ev->proto == MS_PROTO_DNS)
        self->has_dns = TRUE;
      if (ev->step > self->reveal)
        continue;
      /* A credential event repeats the bytes of its LOGIN/PASS line; the
       * step's note already says the password is readable. */
      if (g_strcmp0 (ev->kind, "credential") == 0)
        continue;
      row.step_start = ev->step != last;
      last = ev->step;
      g_array_append_val (self->rows, row);

      /* Pairing: IMAP by tag, POP3 by the command's offset. */
      guint r = self->rows->len - 1;
      const char *tag = ms_event_get_str (ev, "tag");
      g_autofree char *key = NULL;
      if (g_strcmp0 (ev->kind, "command") == 0)
        {
          if (ev->proto == MS_PROTO_IMAP && tag)
            key = g_strdup_printf ("%" G_GINT64_FORMAT "/t/%s", ev->stream, tag);
          else if (ev->proto == MS_PROTO_POP3)
            key = g_strdup_printf ("%" G_GINT64_FORMAT "/o/%" G_GUINT64_FORMAT,
                                   ev->stream, ev->offset);
          if (key)
            g_hash_table_replace (open, g_steal_pointer (&key), GUINT_TO_POINTER (r + 1));
        }
      else if (g_strcmp0 (ev->kind, "completion") == 0 && tag)
        key = g_strdup_printf ("%" G_GINT64_FORMAT "/t/%s", ev->stream, tag);
      else if (g_strcmp0 (ev->kind, "response") == 0 && ev->proto == MS_PROTO_POP3
               && ms_event_has (ev, "for_offset"))
        key = g_strdup_printf ("%" G_GINT64_FORMAT "/o/%" G_GINT64_FORMAT, ev->stream,
                               ms_event_get_int (ev, "for_offset", -1));
      if (key)
        {
          guint opened = GPOINTER_TO_UINT (g_hash_table_lookup (open, key));
          if (opened)
            {
              Row *a = &g_array_index (self->rows, Row, opened - 1);
              Row *b = &g_array_index (self->rows, Row, r);
              a->pair = (int) r;
              b->pair = (int) opened - 1;
              self->n_brackets++;
              g_hash_table_remove (open, key);
            }
        }
    }

  /* Depth: how many brackets are still open where a bracket starts; the
   * open ends are few, so a short list is enough. */
  {
    g_autoptr (GArray) ends = g_array_new (FALSE, FALSE, sizeof (int));
    for (guint r = 0; r < self->rows->len; r++)
      {
        Row *a = &g_array_index (self->rows, Row, r);
        for (guint q = ends->len; q > 0; q--)
          if (g_array_index (ends, int, q - 1) <= (int) r)
            g_array_remove_index_fast (ends, q - 1);
        if (a->pair <= (int) r)
          continue;
        a->bracket_depth = MIN ((int) ends->len, MS_LADDER_MAX_DEPTH);
        g_array_append_val (ends, a->pair);
      }
  }
done:
  gtk_widget_queue_resize (GTK_WIDGET (self));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* ---------------------------------------------------------------------- */
/* Drawing                                                                */

typedef struct {
  const char *fg;
  const char *bg;
  const char *dim;
  const char *sel;
} Palette;

static void
draw_text (cairo_t *cr, PangoLayout *layout, const char *text, double x, double y,
           double max_w, int align /* 0 left, 1 centre, 2 right */)
{
  int w, h;

  pango_layout_set_text (layout, text, -1);
  pango_layout_set_width (layout, max_w > 0 ? (int) (max_w * PANGO_SCALE) : -1);
  pango_layout_set_ellipsize (layout, max_w > 0 ? PANGO_ELLIPSIZE_END : PANGO_ELLIPSIZE_NONE);
  pango_layout_get_pixel_size (layout, &w, &h);
  if (align == 1)
    x -= w / 2.0;
  else if (align == 2)
    x -= w;
  cairo_move_to (cr, x, y - h);
  pango_cairo_show_layout (cr, layout);
}

static void
lane_of (const Layout *l, MsEvent *ev, double *from, double *to)
{
  double peer = ev->proto == MS_PROTO_DNS && l->x_dns >= 0 ? l->x_dns : l->x_server;

  if (ev->dir == MS_DIR_S2C)
    {
      *from = peer;
      *to = l->x_client;
    }
  else
    {
      *from = l->x_client;
      *to = peer;
    }
}

static char *
row_label (MsLadder *self, MsEvent *ev)
{
  g_autofree char *text = NULL;

  if (ev->info && ev->info[0])
    text = self->mask && (ev->flags & MS_EVENT_SECRET) ? ms_event_mask (ev, ev->info)
                                                        : g_strdup (ev->info);
  else
    text = g_strdup (ev->kind);
  if (g_utf8_strlen (text, -1) > MS_LADDER_LABEL_CHARS)
    {
      char *end = g_utf8_offset_to_pointer (text, MS_LADDER_LABEL_CHARS - 1);
      *end = '\0';
      return g_strconcat (text, "…", NULL);
    }
  return g_steal_pointer (&text);
}

static void
draw_arrow_head (cairo_t *cr, double x, double y, double dir, double size)
{
  cairo_move_to (cr, x, y);
  cairo_line_to (cr, x - dir * size, y - size * 0.5);
  cairo_line_to (cr, x - dir * size, y + size * 0.5);
  cairo_close_path (cr);
  cairo_fill (cr);
}

/* Draws rows overlapping [y0, y0 + h) of the content into cr, whose origin
 * is the content's y0. */
static void
draw_ladder (MsLadder *self, cairo_t *cr, const Layout *l, double y0, double h,
             const Palette *pal, PangoFontDescription *font)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  double total = content_height (self, l);
  char buf[MS_ADDR_STRLEN];

  pango_layout_set_font_description (layout, font);
  cairo_save (cr);
  cairo_translate (cr, 0, -y0);

  /* Lanes */
  cairo_set_line_width (cr, 2);
  set_rgb (cr, pal->dim, 1);
  double lanes[3] = { l->x_dns, l->x_client, l->x_server };
  for (int i = 0; i < 3; i++)
    if (lanes[i] >= 0)
      {
        cairo_move_to (cr, lanes[i], l->header_h - l->font_px * 0.6);
        cairo_line_to (cr, lanes[i], MAX (total, y0 + h));
        cairo_stroke (cr);
      }

  /* Lane titles, kept in view at the top. */
  const MsAddr *client = NULL, *server = NULL, *dns = NULL;
  for (guint r = 0; r < self->all->len && (!client || !server || (self->has_dns && !dns)); r++)
    {
      MsEvent *ev = ms_capture_get_event (self->capture, g_array_index (self->all, guint, r));
      if (ev->proto == MS_PROTO_DNS)
        {
          if (!dns)
            dns = ev->dir == MS_DIR_S2C ? &ev->src : &ev->dst;
          if (!client)
            client = ev->dir == MS_DIR_S2C ? &ev->dst : &ev->src;
        }
      else if (ev->dir != MS_DIR_NONE && ev->server.family)
        {
          client = &ev->client;
          server = &ev->server;
        }
    }
  double ty = y0;
  set_rgb (cr, pal->bg, 0.92);
  cairo_rectangle (cr, 0, ty, l->width, l->header_h - l->font_px * 0.6);
  cairo_fill (cr);
  struct { double x; const char *title; const MsAddr *a; } heads[3] = {
    { l->x_dns, _("DNS server"), dns },
    { l->x_client, _("Client"), client },
    { l->x_server, _("Server"), server },
  };
  for (int i = 0; i < 3; i++)
    {
      if (heads[i].x < 0)
        continue;
      PangoFontDescription *bold = pango_font_description_copy (font);
      pango_font_description_set_weight (bold, PANGO_WEIGHT_BOLD);
      pango_layout_set_font_description (layout, bold);
      set_rgb (cr, pal->fg, 1);
      draw_text (cr, layout, heads[i].title, heads[i].x, ty + l->font_px * 1.7, -1, 1);
      pango_layout_set_font_description (layout, font);
      pango_font_description_free (bold);
      if (heads[i].a)
        {
          set_rgb (cr, pal->dim, 1);
          draw_text (cr, layout, ms_addr_format (heads[i].a, buf, sizeof buf), heads[i].x,
                     ty + l->font_px * 3.1, -1, 1);
        }
    }

  if (self->rows->len == 0)
    goto out;

  /* Visible rows (with a margin for labels and brackets). */
  int first = (int) ((y0 - l->header_h) / l->row_h) - 1;
  int last = (int) ((y0 + h - l->header_h) / l->row_h) + 1;
  first = CLAMP (first, 0, (int) self->rows->len - 1);
  last = CLAMP (last, 0, (int) self->rows->len - 1);

  cairo_save (cr);
  cairo_rectangle (cr, 0, y0 + l->header_h - l->font_px * 0.6, l->width, h);
  cairo_clip (cr);

  /* Brackets open across the view are drawn even when their ends are not. */
  for (int r = 0; r <= last; r++)
    {
      Row *row = &g_array_index (self->rows, Row, r);
      if (row->pair <= r || row->pair < first)
        continue;
      MsEvent *ev = ms_capture_get_event (self->capture, row->event);
      double ya = l->header_h + r * l->row_h + l->row_h * 0.7;
      double yb = l->header_h + row->pair * l->row_h + l->row_h * 0.7;
      double x = l->x_client - l->font_px * (0.8 + 0.6 * row->bracket_depth);
      set_rgb (cr, ms_step_color (ev->step), 0.8);
      cairo_set_line_width (cr, 1.5);
      cairo_move_to (cr, l->x_client - 2, ya);
      cairo_line_to (cr, x, ya);
      cairo_line_to (cr, x, yb);
      cairo_line_to (cr, l->x_client - 2, yb);
      cairo_stroke (cr);
    }

  for (int r = first; r <= last; r++)
    {
      Row *row = &g_array_index (self->rows, Row, r);
      MsEvent *ev = ms_capture_get_event (self->capture, row->event);
      double top = l->header_h + r * l->row_h;
      double y = top + l->row_h * 0.7;
      double from, to;
      g_autofree char *label = row_label (self, ev);
      const char *color = ms_step_color (ev->step);

      if (self->selected && ev->frame == self->selected)
        {
          set_rgb (cr, pal->sel, 0.25);
          cairo_rectangle (cr, 0, top, l->width, l->row_h);
          cairo_fill (cr);
        }
      if (row->step_start && ev->step != MS_STEP_NONE)
        {
          set_rgb (cr, color, 1);
          draw_text (cr, layout, ms_lesson_step_title (ev->step), l->font_px * 0.5,
                     y, l->margin - l->font_px, 0);
          set_rgb (cr, color, 0.35);
          cairo_set_line_width (cr, 1);
          cairo_move_to (cr, l->font_px * 0.5, top + 1);
          cairo_line_to (cr, l->width - l->font_px * 0.5, top + 1);
          cairo_stroke (cr);
        }
      /* frame number, right aligned */
      g_snprintf (buf, sizeof buf, "#%u", ev->frame);
      set_rgb (cr, pal->dim, 1);
      draw_text (cr, layout, buf, l->width - l->font_px * 0.5, y, -1, 2);

      if (ev->dir == MS_DIR_NONE)
        {
          set_rgb (cr, color, 1);
          cairo_arc (cr, l->x_client, y, l->font_px * 0.35, 0, 2 * G_PI);
          cairo_fill (cr);
          set_rgb (cr, pal->fg, 1);
          draw_text (cr, layout, label, l->x_client + l->font_px, y + l->font_px * 0.5,
                     l->x_server - l->x_client - l->font_px * 2, 0);
          continue;
        }
      lane_of (l, ev, &from, &to);
      double dir = to > from ? 1 : -1;
      double slope = l->row_h * 0.18;
      set_rgb (cr, color, 1);
      cairo_set_line_width (cr, (ev->flags & MS_EVENT_WARNING) ? 3 : 2);
      if (event_is_push (ev))
        {
          double dash[] = { 6, 4 };
          cairo_set_dash (cr, dash, 2, 0);
        }
      cairo_move_to (cr, from, y - slope);
      cairo_line_to (cr, to - dir * l->font_px * 0.6, y);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
      draw_arrow_head (cr, to, y, dir, l->font_px * 0.8);

      set_rgb (cr, (ev->flags & MS_EVENT_WARNING) ? "#c01c28" : pal->fg, 1);
      draw_text (cr, layout, label, (from + to) / 2, y - slope - 2,
                 fabs (to - from) - l->font_px, 1);
    }
  cairo_restore (cr);

out:
  cairo_restore (cr);
  g_object_unref (layout);
}

static void
screen_palette (MsLadder *self, Palette *pal, char fg[16], char bg[16])
{
  GdkRGBA c;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (self)), &c);
  G_GNUC_END_IGNORE_DEPRECATIONS
  g_snprintf (fg, 16, "#%02x%02x%02x", (int) (c.red * 255), (int) (c.green * 255),
              (int) (c.blue * 255));
  gboolean dark = (c.red + c.green + c.blue) > 1.5;
  g_strlcpy (bg, dark ? "#242424" : "#ffffff", 16);
  pal->fg = fg;
  pal->bg = bg;
  pal->dim = dark ? "#9a9996" : "#77767b";
  pal->sel = "#3584e4";
}

static void
ms_ladder_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  MsLadder *self = MS_LADDER (widget);
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  g_autoptr (PangoFontDescription) font = widget_font (self);
  char fg[16], bg[16];
  Palette pal;
  Layout l;
  cairo_t *cr;

  if (w <= 0 || h <= 0)
    return;
  screen_palette (self, &pal, fg, bg);
  compute_layout (self, w, font, &l);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  draw_ladder (self, cr, &l, self->vadj ? gtk_adjustment_get_value (self->vadj) : 0, h,
               &pal, font);
  cairo_destroy (cr);
}

/* ---------------------------------------------------------------------- */
/* Scrolling                                                              */

static void
configure_adjustments (MsLadder *self)
{
  int w = gtk_widget_get_width (GTK_WIDGET (self));
  int h = gtk_widget_get_height (GTK_WIDGET (self));
  g_autoptr (PangoFontDescription) font = widget_font (self);
  Layout l;

  compute_layout (self, w, font, &l);
  if (self->vadj)
    {
      double upper = MAX (content_height (self, &l), h);
      double value = CLAMP (gtk_adjustment_get_value (self->vadj), 0, upper - h);
      gtk_adjustment_configure (self->vadj, value, 0, upper, l.row_h, h * 0.9, h);
    }
  if (self->hadj)
    gtk_adjustment_configure (self->hadj, 0, 0, w, 1, w, w);
}

static void
ms_ladder_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  configure_adjustments (MS_LADDER (widget));
}

static void
ms_ladder_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                   int *minimum, int *natural, int *min_baseline, int *nat_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 480;
      *natural = 800;
    }
  else
    {
      *minimum = 120;
      *natural = 400;
    }
}

static void
on_adj_changed (GtkAdjustment *adj, MsLadder *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
set_adjustment (MsLadder *self, GtkAdjustment **slot, GtkAdjustment *adj)
{
  if (*slot == adj)
    return;
  if (*slot)
    {
      g_signal_handlers_disconnect_by_func (*slot, on_adj_changed, self);
      g_object_unref (*slot);
    }
  if (adj == NULL)
    adj = gtk_adjustment_new (0, 0, 0, 0, 0, 0);
  *slot = g_object_ref_sink (adj);
  g_signal_connect (adj, "value-changed", G_CALLBACK (on_adj_changed), self);
  configure_adjustments (self);
}

static void
scroll_to_row (MsLadder *self, guint r)
{
  int w = gtk_widget_get_width (GTK_WIDGET (self));
  int h = gtk_widget_get_height (GTK_WIDGET (self));
  g_autoptr (PangoFontDescription) font = widget_font (self);
  Layout l;

  if (self->vadj == NULL)
    return;
  compute_layout (self, w, font, &l);
  configure_adjustments (self);
  double y = l.header_h + r * l.row_h;
  double value = gtk_adjustment_get_value (self->vadj);
  if (y - l.header_h < value || y + l.row_h > value + h)
    gtk_adjustment_set_value (self->vadj, y - h / 3.0);
}

/* ---------------------------------------------------------------------- */
/* Input                                                                  */

guint32
ms_ladder_frame_at (MsLadder *self, double y)
{
  int w = gtk_widget_get_width (GTK_WIDGET (self));
  g_autoptr (PangoFontDescription) font = widget_font (self);
  Layout l;

  compute_layout (self, w, font, &l);
  y += self->vadj ? gtk_adjustment_get_value (self->vadj) : 0;
  if (y < l.header_h || self->capture == NULL)
    return 0;
  guint r = (guint) ((y - l.header_h) / l.row_h);
  if (r >= self->rows->len)
    return 0;
  return ms_capture_get_event (self->capture, g_array_index (self->rows, Row, r).event)->frame;
}

static void
on_click (GtkGestureClick *gesture, int n_press, double x, double y, MsLadder *self)
{
  guint32 frame = ms_ladder_frame_at (self, y);

  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (frame == 0)
    return;
  self->selected = frame;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_signal_emit (self, signals[SIG_FRAME_ACTIVATED], 0, frame);
}

/* ---------------------------------------------------------------------- */
/* GObject                                                                */

static void
ms_ladder_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  MsLadder *self = MS_LADDER (object);

  switch (prop_id)
    {
    case PROP_HADJUSTMENT:
      g_value_set_object (value, self->hadj);
      break;
    case PROP_VADJUSTMENT:
      g_value_set_object (value, self->vadj);
      break;
    case PROP_HSCROLL_POLICY:
      g_value_set_enum (value, self->hscroll_policy);
      break;
    case PROP_VSCROLL_POLICY:
      g_value_set_enum (value, self->vscroll_policy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ms_ladder_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  MsLadder *self = MS_LADDER (object);

  switch (prop_id)
    {
    case PROP_HADJUSTMENT:
      set_adjustment (self, &self->hadj, g_value_get_object (value));
      break;
    case PROP_VADJUSTMENT:
      set_adjustment (self, &self->vadj, g_value_get_object (value));
      break;
    case PROP_HSCROLL_POLICY:
      self->hscroll_policy = g_value_get_enum (value);
      break;
    case PROP_VSCROLL_POLICY:
      self->vscroll_policy = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ms_ladder_dispose (GObject *object)
{
  MsLadder *self = MS_LADDER (object);

  if (self->hadj)
    g_signal_handlers_disconnect_by_func (self->hadj, on_adj_changed, self);
  if (self->vadj)
    g_signal_handlers_disconnect_by_func (self->vadj, on_adj_changed, self);
  g_clear_object (&self->hadj);
  g_clear_object (&self->vadj);
  g_clear_object (&self->capture);
  G_OBJECT_CLASS (ms_ladder_parent_class)->dispose (object);
}

static void
ms_ladder_finalize (GObject *object)
{
  MsLadder *self = MS_LADDER (object);
  g_array_unref (self->all);
  g_array_unref (self->rows);
  G_OBJECT_CLASS (ms_ladder_parent_class)->finalize (object);
}

static void
ms_ladder_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (ms_ladder_parent_class)->css_changed (widget, change);
  configure_adjustments (MS_LADDER (widget));
  gtk_widget_queue_draw (widget);
}

static void
ms_ladder_class_init (MsLadderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = ms_ladder_get_property;
  object_class->set_property = ms_ladder_set_property;
  object_class->dispose = ms_ladder_dispose;
  object_class->finalize = ms_ladder_finalize;
  widget_class->snapshot = ms_ladder_snapshot;
  widget_class->measure = ms_ladder_measure;
  widget_class->size_allocate = ms_ladder_size_allocate;
  widget_class->css_changed = ms_ladder_css_changed;

  g_object_class_override_property (object_class, PROP_HADJUSTMENT, "hadjustment");
  g_object_class_override_property (object_class, PROP_VADJUSTMENT, "vadjustment");
  g_object_class_override_property (object_class, PROP_HSCROLL_POLICY, "hscroll-policy");
  g_object_class_override_property (object_class, PROP_VSCROLL_POLICY, "vscroll-policy");

  signals[SIG_FRAME_ACTIVATED] = g_signal_new ("frame-activated", G_TYPE_FROM_CLASS (klass),
                                               G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                               G_TYPE_NONE, 1, G_TYPE_UINT);

  /* Referencing the bundle links it in, and its constructor registers it,
   * even from the static library. */
  (void) ms_app_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class, "/org/mailscope/Mailscope/ms-ladder.ui");
  gtk_widget_class_set_css_name (widget_class, "ladder");
}

static void
ms_ladder_init (MsLadder *self)
{
  GtkGesture *click = gtk_gesture_click_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  self->all = g_array_new (FALSE, FALSE, sizeof (guint));
  self->rows = g_array_new (FALSE, FALSE, sizeof (Row));
  self->reveal = MS_STEP_N;
  g_signal_connect (click, "pressed", G_CALLBACK (on_click), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
}

GtkWidget *
ms_ladder_new (void)
{
  return g_object_new (MS_TYPE_LADDER, NULL);
}

void
ms_ladder_set_events (MsLadder *self, MsCapture *capture, const guint *indices, guint n)
{
  g_set_object (&self->capture, capture);
  g_array_set_size (self->all, 0);
  if (n)
    g_array_append_vals (self->all, indices, n);
  rebuild_rows (self);
  if (self->vadj)
    gtk_adjustment_set_value (self->vadj, 0);
}

void
ms_ladder_set_reveal (MsLadder *self, MsStep step)
{
  if (self->reveal == step)
    return;
  self->reveal = step;
  rebuild_rows (self);
  configure_adjustments (self);
  /* Show the newest revealed arrows. */
  for (guint r = 0; r < self->rows->len; r++)
    {
      MsEvent *ev = ms_capture_get_event (self->capture, g_array_index (self->rows, Row, r).event);
      if (ev->step == step)
        {
          scroll_to_row (self, r);
          break;
        }
    }
}

void
ms_ladder_set_selected_frame (MsLadder *self, guint32 number)
{
  self->selected = number;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  if (number == 0 || self->capture == NULL)
    return;
  for (guint r = 0; r < self->rows->len; r++)
    if (ms_capture_get_event (self->capture, g_array_index (self->rows, Row, r).event)->frame == number)
      {
        scroll_to_row (self, r);
        return;
      }
}

guint32
ms_ladder_get_selected_frame (MsLadder *self)
{
  return self->selected;
}

void
ms_ladder_set_mask_secrets (MsLadder *self, gboolean mask)
{
  self->mask = mask;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
ms_ladder_get_n_arrows (MsLadder *self)
{
  return self->rows->len;
}

guint
ms_ladder_get_n_brackets (MsLadder *self)
{
  return self->n_brackets;
}

/* ---------------------------------------------------------------------- */
/* Export                                                                 */

static const Palette export_palette = { "#000000", "#ffffff", "#5e5c64", "#3584e4" };

static void
export_geometry (MsLadder *self, PangoFontDescription **font, Layout *l, double *height)
{
  *font = widget_font (self);
  compute_layout (self, MS_LADDER_EXPORT_WIDTH, *font, l);
  *height = MIN (content_height (self, l),
                 l->header_h + MS_LADDER_EXPORT_MAX_ROWS * l->row_h);
}

static void
export_draw (MsLadder *self, cairo_t *cr, const Layout *l, double height,
             PangoFontDescription *font)
{
  guint32 keep = self->selected;

  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  self->selected = 0;  /* a slide shows no selection */
  draw_ladder (self, cr, l, 0, height, &export_palette, font);
  self->selected = keep;
}

gboolean
ms_ladder_export_png (MsLadder *self, const char *path, int *width, int *height,
                      GError **error)
{
  PangoFontDescription *font;
  Layout l;
  double h;

  export_geometry (self, &font, &l, &h);
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24,
                                                         (int) l.width, (int) h);
  cairo_t *cr = cairo_create (surface);
  export_draw (self, cr, &l, h, font);
  cairo_destroy (cr);
  cairo_status_t st = cairo_surface_write_to_png (surface, path);
  if (width)
    *width = cairo_image_surface_get_width (surface);
  if (height)
    *height = cairo_image_surface_get_height (surface);
  cairo_surface_destroy (surface);
  pango_font_description_free (font);
  if (st != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("cannot write %s: %s"), path,
                   cairo_status_to_string (st));
      return FALSE;
    }
  return TRUE;
}

gboolean
ms_ladder_export_svg (MsLadder *self, const char *path, GError **error)
{
  PangoFontDescription *font;
  Layout l;
  double h;

  export_geometry (self, &font, &l, &h);
  cairo_surface_t *surface = cairo_svg_surface_create (path, l.width, h);
  cairo_t *cr = cairo_create (surface);
  export_draw (self, cr, &l, h, font);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  cairo_status_t st = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  pango_font_description_free (font);
  if (st != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("cannot write %s: %s"), path,
                   cairo_status_to_string (st));
      return FALSE;
    }
  return TRUE;
}
