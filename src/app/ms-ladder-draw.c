/* ms-ladder-draw.c - the ladder's picture: the layout (lanes, rows, margins)
 * worked out from a width and a font, and the cairo drawing of lanes, titles,
 * arrows and brackets that the screen, the PNG and the SVG share. */
#include "config.h"

#include <math.h>
#include <glib/gi18n-lib.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include "ms-ladder-private.h"

/* Characters of an arrow label; longer protocol lines are cut with "…" so
 * that a label fits between two lanes on a slide. */
#define MS_LADDER_LABEL_CHARS 56

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

void
ms_ladder_compute_layout (MsLadder *self, double width, PangoFontDescription *font, Layout *l)
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

double
ms_ladder_content_height (MsLadder *self, const Layout *l)
{
  return l->header_h + self->rows->len * l->row_h + l->row_h * 0.5;
}

PangoFontDescription *
ms_ladder_widget_font (MsLadder *self)
{
  PangoContext *ctx = gtk_widget_get_pango_context (GTK_WIDGET (self));
  return pango_font_description_copy (pango_context_get_font_description (ctx));
}

/* ---------------------------------------------------------------------- */
/* Drawing                                                                */

static gboolean
event_is_push (MsEvent *ev)
{
  const char *during = ms_event_get_str (ev, "during");
  return ev->dir == MS_DIR_S2C && g_strcmp0 (ev->kind, "untagged") == 0
         && g_strcmp0 (during, "IDLE") == 0;
}

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
void
ms_ladder_draw (MsLadder *self, cairo_t *cr, const Layout *l, double y0, double h,
             const Palette *pal, PangoFontDescription *font)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  double total = ms_ladder_content_height (self, l);
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
