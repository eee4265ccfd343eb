/* ms-ladder-export.c - the whole revealed ladder written for slides, as PNG
 * or SVG: a fixed width, black on white, no selection. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <cairo.h>
#include <cairo-svg.h>

#include "ms-ladder-private.h"

/* Width of an exported diagram, in pixels (a 16:9 slide at 1 px per pt). */
#define MS_LADDER_EXPORT_WIDTH 1100
/* Rows in an exported image; cairo surfaces stop at 32767 pixels. */
#define MS_LADDER_EXPORT_MAX_ROWS 900

static const Palette export_palette = { "#000000", "#ffffff", "#5e5c64", "#3584e4" };

static void
export_geometry (MsLadder *self, PangoFontDescription **font, Layout *l, double *height)
{
  *font = ms_ladder_widget_font (self);
  ms_ladder_compute_layout (self, MS_LADDER_EXPORT_WIDTH, *font, l);
  *height = MIN (ms_ladder_content_height (self, l),
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
  ms_ladder_draw (self, cr, l, 0, height, &export_palette, font);
  self->selected = keep;
}

/* TRUE when the surface was written; else a one-line error. */
static gboolean
export_status (cairo_status_t st, const char *path, GError **error)
{
  if (st == CAIRO_STATUS_SUCCESS)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("cannot write %s: %s"), path,
               cairo_status_to_string (st));
  return FALSE;
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
  return export_status (st, path, error);
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
  return export_status (st, path, error);
}
