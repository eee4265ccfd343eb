/* ms-ladder-private.h - the ladder's internals shared by its files: the
 * widget (ms-ladder.c), the layout and drawing (ms-ladder-draw.c) and the
 * PNG and SVG export (ms-ladder-export.c). */
#pragma once

#include "ms-ladder.h"

G_BEGIN_DECLS

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

typedef struct {
  double width;
  double row_h;
  double header_h;
  double margin;         /* left column of step names */
  double x_dns, x_client, x_server;
  double font_px;
} Layout;

typedef struct {
  const char *fg;
  const char *bg;
  const char *dim;
  const char *sel;
} Palette;

void ms_ladder_compute_layout (MsLadder *self, double width, PangoFontDescription *font,
                               Layout *l);
double ms_ladder_content_height (MsLadder *self, const Layout *l);
/* A copy of the widget's font; free it. */
PangoFontDescription *ms_ladder_widget_font (MsLadder *self);
/* Draws rows overlapping [y0, y0 + h) of the content into cr, whose origin
 * is the content's y0. */
void ms_ladder_draw (MsLadder *self, cairo_t *cr, const Layout *l, double y0, double h,
                     const Palette *pal, PangoFontDescription *font);

G_END_DECLS
