/* ms-compare-view.c - IMAP and POP3 side by side: builds the comparison of
 * a loaded capture in a worker thread, then lays it out as a measures grid
 * (IMAP | POP3), a grid of the lesson's steps with a blank cell where a
 * protocol has no such step, and one card per comparison point with the
 * evidence of each trace in its own column. */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n-lib.h>

#include "mailscope/ms-lesson.h"
#include "ms-app-resources.h"
#include "ms-compare-view.h"
#include "ms-ladder.h"

/* Frames between two checks for cancellation in the worker. */
#define MS_COMPARE_VIEW_CANCEL_EVERY 4096

struct _MsCompareView
{
  GtkWidget parent_instance;

  /* template widgets */
  GtkStack *stack;
  GtkSpinner *spinner;
  GtkLabel *subtitle_label;
  GtkGrid *measures_grid;
  GtkGrid *steps_grid;
  GtkBox *cards_box;

  /* owned */
  MsCapture *capture;
  MsCompare *compare;
  GCancellable *cancellable;
  GtkLabel *measure_labels[MS_COMPARE_N_SIDES][MS_COMPARE_N_MEASURES];
  GPtrArray *row_cells;     /* GtkWidget * per row and side, NULL when blank */
  GArray *evidence_counts;  /* guint per card and side */
};

G_DEFINE_FINAL_TYPE (MsCompareView, ms_compare_view, GTK_TYPE_WIDGET)

enum {
  SIGNAL_READY,
  SIGNAL_SHOW_FRAME,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

/* ---------------------------------------------------------------------- */
/* Building off the main thread                                           */

/* The capture is loaded and no longer changes, so the worker may read it
 * while the main thread does too. */
static void
build_in_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  MsCapture *capture = data;
  g_autoptr (MsCompare) cmp = ms_compare_new ();
  g_autoptr (GPtrArray) sessions = g_ptr_array_new ();
  guint n_events = ms_capture_get_n_events (capture);
  guint n_frames = ms_capture_get_n_frames (capture);

  for (guint i = 0; i < n_events; i++)
    {
      if (i % MS_COMPARE_VIEW_CANCEL_EVERY == 0 && g_cancellable_is_cancelled (cancellable))
        goto cancelled;
      ms_compare_add_event (cmp, ms_capture_get_event_session (capture, i),
                            ms_capture_get_event (capture, i));
    }
  for (guint i = 0; i < n_frames; i++)
    {
      const MsFrameRecord *rec = ms_capture_get_frame (capture, i);
      const MsAddr *src = ms_capture_get_addr (capture, rec->src);
      const MsAddr *dst = ms_capture_get_addr (capture, rec->dst);
      if (i % MS_COMPARE_VIEW_CANCEL_EVERY == 0 && g_cancellable_is_cancelled (cancellable))
        goto cancelled;
      if (src && dst)
        ms_compare_add_packet (cmp, src, dst, rec->len);
    }
  for (guint i = 0; i < ms_capture_get_n_sessions (capture); i++)
    g_ptr_array_add (sessions, (gpointer) ms_capture_get_session (capture, i));
  ms_compare_build (cmp, sessions, 0, 0);
  g_task_return_pointer (task, g_steal_pointer (&cmp), (GDestroyNotify) ms_compare_free);
  return;

cancelled:
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
}

/* ---------------------------------------------------------------------- */
/* Laying out                                                             */

static void
clear_grid (GtkGrid *grid)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (grid))))
    gtk_grid_remove (grid, child);
}

static GtkWidget *
label_new (const char *text, const char *css_class)
{
  GtkWidget *label = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  if (css_class)
    gtk_widget_add_css_class (label, css_class);
  return label;
}

/* The column headings: protocol name and, with `sessions`, the session it
 * shows. */
static void
attach_headings (MsCompareView *self, GtkGrid *grid, const char *first, gboolean sessions)
{
  gtk_grid_attach (grid, label_new (first, "heading"), 0, 0, 1, 1);
  for (guint side = 0; side < MS_COMPARE_N_SIDES; side++)
    {
      const MsCompareMeasures *m = ms_compare_get_measures (self->compare, side);
      const MsSessionSummary *s = m->session ? ms_capture_find_session (self->capture, m->session) : NULL;
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
      gtk_box_append (GTK_BOX (box), label_new (ms_compare_side_title (side), "title-4"));
      if (s && sessions)
        {
          g_autofree char *label = ms_capture_session_label (self->capture, s);
          gtk_box_append (GTK_BOX (box), label_new (label, "caption"));
          gtk_widget_add_css_class (gtk_widget_get_last_child (box), "dim-label");
        }
      gtk_widget_set_hexpand (box, TRUE);
      gtk_grid_attach (grid, box, 1 + side, 0, 1, 1);
    }
}

static double
measure_value (const MsCompareMeasures *m, MsCompareMeasure k)
{
  switch (k)
    {
    case MS_COMPARE_MEASURE_BYTES_C2S:
      return (double) m->bytes[MS_DIR_C2S];
    case MS_COMPARE_MEASURE_BYTES_S2C:
      return (double) m->bytes[MS_DIR_S2C];
    case MS_COMPARE_MEASURE_PACKETS:
      return (double) m->packets;
    case MS_COMPARE_MEASURE_ROUND_TRIPS:
      return (double) m->round_trips;
    case MS_COMPARE_MEASURE_TIME:
      return m->duration;
    case MS_COMPARE_MEASURE_CONTENT:
      return (double) m->content_bytes;
    case MS_COMPARE_MEASURE_LEFT:
      return (double) m->messages_left;
    case MS_COMPARE_N_MEASURES:
    default:
      return -1;
    }
}

/* How full a measure's bar is: against the larger side, or for the
 * messages left against those there at first; -1 for no bar. */
static double
measure_fraction (MsCompare *cmp, MsCompareSide side, MsCompareMeasure k)
{
  const MsCompareMeasures *m = ms_compare_get_measures (cmp, side);
  double v = measure_value (m, k), top = 0;

  if (m->session == 0 || v < 0)
    return -1;
  if (k == MS_COMPARE_MEASURE_LEFT)
    top = (double) m->messages_at_start;
  else
    for (guint i = 0; i < MS_COMPARE_N_SIDES; i++)
      top = MAX (top, measure_value (ms_compare_get_measures (cmp, i), k));
  return top > 0 ? CLAMP (v / top, 0.0, 1.0) : 0.0;
}

static void
show_measures (MsCompareView *self)
{
  clear_grid (self->measures_grid);
  gtk_grid_set_column_homogeneous (self->measures_grid, TRUE);
  attach_headings (self, self->measures_grid, _("Measure"), TRUE);
  for (MsCompareMeasure k = 0; k < MS_COMPARE_N_MEASURES; k++)
    {
      gtk_grid_attach (self->measures_grid, label_new (ms_compare_measure_title (k), "dim-label"),
                       0, 1 + k, 1, 1);
      for (guint side = 0; side < MS_COMPARE_N_SIDES; side++)
        {
          g_autofree char *text = ms_compare_format_measure (ms_compare_get_measures (self->compare, side), k);
          GtkWidget *label = label_new (text, "numeric");
          GtkWidget *cell = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
          double fraction = measure_fraction (self->compare, side, k);
          self->measure_labels[side][k] = GTK_LABEL (label);
          gtk_box_append (GTK_BOX (cell), label);
          if (fraction >= 0)
            {
              /* The bar compares the two sides at a glance. */
              GtkWidget *bar = gtk_progress_bar_new ();
              gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (bar), fraction);
              gtk_widget_add_css_class (bar, "osd");
              gtk_box_append (GTK_BOX (cell), bar);
            }
          gtk_grid_attach (self->measures_grid, cell, 1 + side, 1 + k, 1, 1);
        }
    }
}

/* One step of one side: its commands, then bytes, round trips and time. */
static GtkWidget *
step_cell (const MsCompareRow *r, MsCompareSide side)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  g_autofree char *stats = ms_compare_format_row (r, side);

  if (r->commands[side])
    {
      GtkWidget *cmds = label_new (r->commands[side], "monospace");
      gtk_box_append (GTK_BOX (box), cmds);
    }
  gtk_box_append (GTK_BOX (box), label_new (stats, "caption"));
  gtk_widget_add_css_class (gtk_widget_get_last_child (box), "dim-label");
  return box;
}

static void
show_rows (MsCompareView *self)
{
  clear_grid (self->steps_grid);
  g_ptr_array_set_size (self->row_cells, 0);
  gtk_grid_set_column_homogeneous (self->steps_grid, TRUE);
  attach_headings (self, self->steps_grid, _("Step"), FALSE);
  for (guint i = 0; i < ms_compare_get_n_rows (self->compare); i++)
    {
      const MsCompareRow *r = ms_compare_get_row (self->compare, i);
      g_autofree char *title = g_markup_printf_escaped ("<span foreground=\"%s\">●</span> %s",
                                                        ms_step_color (r->step),
                                                        ms_lesson_step_title (r->step));
      GtkWidget *label = label_new (NULL, NULL);
      gtk_label_set_markup (GTK_LABEL (label), title);
      gtk_widget_set_valign (label, GTK_ALIGN_START);
      gtk_grid_attach (self->steps_grid, label, 0, 1 + i, 1, 1);
      for (guint side = 0; side < MS_COMPARE_N_SIDES; side++)
        {
          GtkWidget *cell = r->present[side] ? step_cell (r, side) : NULL;
          if (cell == NULL)
            {
              /* A blank: this protocol has no such step. */
              GtkWidget *blank = label_new ("—", "dim-label");
              gtk_widget_set_tooltip_text (blank, _("This protocol has no such step here"));
              gtk_grid_attach (self->steps_grid, blank, 1 + side, 1 + i, 1, 1);
            }
          else
            gtk_grid_attach (self->steps_grid, cell, 1 + side, 1 + i, 1, 1);
          g_ptr_array_add (self->row_cells, cell);
        }
    }
}

static const char *
verdict_class (MsCompareVerdict verdict)
{
  switch (verdict)
    {
    case MS_COMPARE_SHOWN:
      return "success";
    case MS_COMPARE_NOT_SHOWN:
      return "warning";
    case MS_COMPARE_NO_EVIDENCE:
    default:
      return "dim-label";
    }
}

static void
on_show_frame_clicked (GtkButton *button, MsCompareView *self)
{
  guint session = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "session"));
  guint frame = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "frame"));

  g_signal_emit (self, signals[SIGNAL_SHOW_FRAME], 0, session, frame);
}

/* One line of evidence; one that cites a frame gets a button showing that
 * frame in the session view. */
static GtkWidget *
evidence_line (MsCompareView *self, const MsCompareEvidence *e, guint session)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = label_new (e->text, e->frame ? NULL : "dim-label");

  gtk_widget_add_css_class (label, "caption");
  gtk_widget_set_hexpand (label, TRUE);
  gtk_box_append (GTK_BOX (box), label);
  if (e->frame && session)
    {
      GtkWidget *button = gtk_button_new_from_icon_name ("find-location-symbolic");
      g_autofree char *tip = g_strdup_printf (_("Show frame %u in the session"), e->frame);
      gtk_widget_set_tooltip_text (button, tip);
      gtk_widget_add_css_class (button, "flat");
      gtk_widget_add_css_class (button, "circular");
      gtk_widget_set_valign (button, GTK_ALIGN_START);
      g_object_set_data (G_OBJECT (button), "session", GUINT_TO_POINTER (session));
      g_object_set_data (G_OBJECT (button), "frame", GUINT_TO_POINTER (e->frame));
      g_signal_connect (button, "clicked", G_CALLBACK (on_show_frame_clicked), self);
      gtk_box_append (GTK_BOX (box), button);
    }
  return box;
}

static GtkWidget *
card_new (MsCompareView *self, const MsCompareStatement *st)
{
  GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *inner = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *head = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *title = label_new (st->title, "heading");
  GtkWidget *verdict = gtk_label_new (ms_compare_verdict_title (st->verdict));
  GtkWidget *columns = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 24);
  GtkWidget *finding = label_new (st->finding, NULL);

  gtk_widget_add_css_class (card, "card");
  gtk_widget_set_margin_top (inner, 12);
  gtk_widget_set_margin_bottom (inner, 12);
  gtk_widget_set_margin_start (inner, 18);
  gtk_widget_set_margin_end (inner, 18);
  gtk_box_append (GTK_BOX (card), inner);

  gtk_widget_set_hexpand (title, TRUE);
  gtk_box_append (GTK_BOX (head), title);
  gtk_widget_add_css_class (verdict, "caption-heading");
  gtk_widget_add_css_class (verdict, verdict_class (st->verdict));
  gtk_widget_set_valign (verdict, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (head), verdict);
  gtk_box_append (GTK_BOX (inner), head);
  gtk_box_append (GTK_BOX (inner), label_new (st->claim, "dim-label"));
  gtk_box_append (GTK_BOX (inner), finding);

  gtk_box_set_homogeneous (GTK_BOX (columns), TRUE);
  gtk_widget_set_margin_top (columns, 6);
  for (guint side = 0; side < MS_COMPARE_N_SIDES; side++)
    {
      GtkWidget *col = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
      guint n = 0;
      gtk_box_append (GTK_BOX (col), label_new (ms_compare_side_title (side), "caption-heading"));
      for (guint i = 0; i < st->evidence->len; i++)
        {
          const MsCompareEvidence *e = st->evidence->pdata[i];
          GtkWidget *line;
          if (e->side != side)
            continue;
          line = evidence_line (self, e, ms_compare_get_measures (self->compare, side)->session);
          gtk_box_append (GTK_BOX (col), line);
          n++;
        }
      g_array_append_val (self->evidence_counts, n);
      gtk_box_append (GTK_BOX (columns), col);
    }
  gtk_box_append (GTK_BOX (inner), columns);
  return card;
}

static void
show_cards (MsCompareView *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->cards_box))))
    gtk_box_remove (self->cards_box, child);
  g_array_set_size (self->evidence_counts, 0);
  for (guint i = 0; i < ms_compare_get_n_statements (self->compare); i++)
    gtk_box_append (self->cards_box, card_new (self, ms_compare_get_statement (self->compare, i)));
}

static void
show_result (MsCompareView *self)
{
  const MsCompareMeasures *mi = ms_compare_get_measures (self->compare, MS_COMPARE_IMAP);
  const MsCompareMeasures *mp = ms_compare_get_measures (self->compare, MS_COMPARE_POP3);
  g_autofree char *subtitle = NULL;

  if (mi->messages_at_start >= 0 && mi->messages_at_start == mp->messages_at_start)
    subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "%s: the same mailbox of %u message, read once over IMAP and once over POP3. Each row puts the same step of both sessions side by side.",
                                             "%s: the same mailbox of %u messages, read once over IMAP and once over POP3. Each row puts the same step of both sessions side by side.",
                                             (gulong) mi->messages_at_start),
                                ms_capture_get_title (self->capture), (guint) mi->messages_at_start);
  else
    subtitle = g_strdup_printf (_("%s: an IMAP session and a POP3 session. Each row puts the same step of both sessions side by side."),
                                ms_capture_get_title (self->capture));
  gtk_label_set_text (self->subtitle_label, subtitle);
  show_measures (self);
  show_rows (self);
  show_cards (self);
  gtk_stack_set_visible_child_name (self->stack, "result");
}

static void
on_built (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (MsCompareView) self = data;
  g_autoptr (GError) error = NULL;
  MsCompare *cmp = g_task_propagate_pointer (G_TASK (result), &error);

  if (cmp == NULL || g_task_get_task_data (G_TASK (result)) != self->capture)
    {
      if (cmp)
        ms_compare_free (cmp);
      return;
    }
  gtk_spinner_stop (self->spinner);
  g_clear_pointer (&self->compare, ms_compare_free);
  self->compare = cmp;
  show_result (self);
  g_signal_emit (self, signals[SIGNAL_READY], 0);
}

/* ---------------------------------------------------------------------- */
/* Public API                                                             */

gboolean
ms_compare_view_can_compare (MsCapture *capture)
{
  gboolean imap = FALSE, pop3 = FALSE;

  if (capture == NULL || !ms_capture_is_loaded (capture))
    return FALSE;
  for (guint i = 0; i < ms_capture_get_n_sessions (capture); i++)
    {
      const MsSessionSummary *s = ms_capture_get_session (capture, i);
      imap |= s->proto == MS_PROTO_IMAP;
      pop3 |= s->proto == MS_PROTO_POP3;
    }
  return imap && pop3;
}

void
ms_compare_view_set_capture (MsCompareView *self, MsCapture *capture)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (MS_IS_COMPARE_VIEW (self));
  if (capture == self->capture && (self->compare || self->cancellable))
    return;
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->compare, ms_compare_free);
  g_set_object (&self->capture, capture);
  if (!ms_compare_view_can_compare (capture))
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }
  self->cancellable = g_cancellable_new ();
  gtk_spinner_start (self->spinner);
  gtk_stack_set_visible_child_name (self->stack, "busy");
  task = g_task_new (NULL, self->cancellable, on_built, g_object_ref (self));
  g_task_set_task_data (task, g_object_ref (capture), g_object_unref);
  g_task_run_in_thread (task, build_in_thread);
}

MsCapture *
ms_compare_view_get_capture (MsCompareView *self)
{
  return self->capture;
}

gboolean
ms_compare_view_get_ready (MsCompareView *self)
{
  return self->compare != NULL;
}

MsCompare *
ms_compare_view_get_compare (MsCompareView *self)
{
  return self->compare;
}

const char *
ms_compare_view_get_measure_text (MsCompareView *self, MsCompareSide side, MsCompareMeasure measure)
{
  g_return_val_if_fail (side < MS_COMPARE_N_SIDES && measure < MS_COMPARE_N_MEASURES, NULL);
  if (self->compare == NULL || self->measure_labels[side][measure] == NULL)
    return NULL;
  return gtk_label_get_text (self->measure_labels[side][measure]);
}

guint
ms_compare_view_get_n_rows (MsCompareView *self)
{
  return self->compare ? self->row_cells->len / MS_COMPARE_N_SIDES : 0;
}

/* The texts of a cell's labels, one a line. */
char *
ms_compare_view_get_row_text (MsCompareView *self, guint row, MsCompareSide side)
{
  GtkWidget *cell;
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (row < ms_compare_view_get_n_rows (self), NULL);
  cell = self->row_cells->pdata[row * MS_COMPARE_N_SIDES + side];
  for (GtkWidget *c = cell ? gtk_widget_get_first_child (cell) : NULL; c; c = gtk_widget_get_next_sibling (c))
    {
      if (out->len)
        g_string_append_c (out, '\n');
      g_string_append (out, gtk_label_get_text (GTK_LABEL (c)));
    }
  return g_string_free (out, FALSE);
}

guint
ms_compare_view_get_n_cards (MsCompareView *self)
{
  return self->compare ? self->evidence_counts->len / MS_COMPARE_N_SIDES : 0;
}

guint
ms_compare_view_get_n_evidence (MsCompareView *self, guint card, MsCompareSide side)
{
  g_return_val_if_fail (card < ms_compare_view_get_n_cards (self), 0);
  return g_array_index (self->evidence_counts, guint, card * MS_COMPARE_N_SIDES + side);
}

/* ---------------------------------------------------------------------- */
/* GObject                                                                */

static void
ms_compare_view_dispose (GObject *object)
{
  MsCompareView *self = MS_COMPARE_VIEW (object);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->capture);
  g_clear_pointer (&self->compare, ms_compare_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), MS_TYPE_COMPARE_VIEW);
  G_OBJECT_CLASS (ms_compare_view_parent_class)->dispose (object);
}

static void
ms_compare_view_finalize (GObject *object)
{
  MsCompareView *self = MS_COMPARE_VIEW (object);

  g_ptr_array_unref (self->row_cells);
  g_array_unref (self->evidence_counts);
  G_OBJECT_CLASS (ms_compare_view_parent_class)->finalize (object);
}

static void
ms_compare_view_class_init (MsCompareViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ms_compare_view_dispose;
  object_class->finalize = ms_compare_view_finalize;

  /* The comparison of the current capture is shown. */
  signals[SIGNAL_READY] = g_signal_new ("ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* An evidence line's button: show frame (second) of session (first). */
  signals[SIGNAL_SHOW_FRAME] = g_signal_new ("show-frame", G_TYPE_FROM_CLASS (klass),
                                             G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                             G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_UINT);

  /* Referencing the bundle links it in, and its constructor registers it,
   * even from the static library. */
  (void) ms_app_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/mailscope/Mailscope/ms-compare-view.ui");
  gtk_widget_class_bind_template_child (widget_class, MsCompareView, stack);
  gtk_widget_class_bind_template_child (widget_class, MsCompareView, spinner);
  gtk_widget_class_bind_template_child (widget_class, MsCompareView, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, MsCompareView, measures_grid);
  gtk_widget_class_bind_template_child (widget_class, MsCompareView, steps_grid);
  gtk_widget_class_bind_template_child (widget_class, MsCompareView, cards_box);
  /* Looked up with gtk_widget_get_template_child(), not stored. */
  gtk_widget_class_bind_template_child_full (widget_class, "scroller", FALSE, 0);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ms_compare_view_init (MsCompareView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->row_cells = g_ptr_array_new ();
  self->evidence_counts = g_array_new (FALSE, FALSE, sizeof (guint));
}

GtkWidget *
ms_compare_view_new (void)
{
  return g_object_new (MS_TYPE_COMPARE_VIEW, NULL);
}
