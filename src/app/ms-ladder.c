/* ms-ladder.c - the ladder diagram widget: the revealed rows with each
 * command paired to its completion, scrolling (the widget is its own
 * GtkScrollable, and only the rows in view are drawn), selection and the
 * public calls. The picture itself comes from ms-ladder-draw.c, so that the
 * screen, the PNG and the SVG (ms-ladder-export.c) show the same. */
#include "config.h"

#include "ms-app-resources.h"
#include "ms-ladder-private.h"

/* Brackets nest at most this deep before sharing a column. */
#define MS_LADDER_MAX_DEPTH 6

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

/* ---------------------------------------------------------------------- */
/* Rows                                                                   */

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
  g_autoptr (PangoFontDescription) font = ms_ladder_widget_font (self);
  char fg[16], bg[16];
  Palette pal;
  Layout l;
  cairo_t *cr;

  if (w <= 0 || h <= 0)
    return;
  screen_palette (self, &pal, fg, bg);
  ms_ladder_compute_layout (self, w, font, &l);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  ms_ladder_draw (self, cr, &l, self->vadj ? gtk_adjustment_get_value (self->vadj) : 0, h,
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
  g_autoptr (PangoFontDescription) font = ms_ladder_widget_font (self);
  Layout l;

  ms_ladder_compute_layout (self, w, font, &l);
  if (self->vadj)
    {
      double upper = MAX (ms_ladder_content_height (self, &l), h);
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
  g_autoptr (PangoFontDescription) font = ms_ladder_widget_font (self);
  Layout l;

  if (self->vadj == NULL)
    return;
  ms_ladder_compute_layout (self, w, font, &l);
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
  g_autoptr (PangoFontDescription) font = ms_ladder_widget_font (self);
  Layout l;

  ms_ladder_compute_layout (self, w, font, &l);
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
