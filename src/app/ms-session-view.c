/* ms-session-view.c - holds the lesson position and keeps the step list,
 * diagram, conversation and packet list showing the same steps.
 *
 * The notebook's panes (diagram, conversation, messages) are brought up to
 * date only while they are shown: a change marks the hidden ones stale and
 * they catch up when their tab is opened (or a caller asks for them). With
 * every frame of a big capture shown, rebuilding a hidden pane cost tens
 * of milliseconds on every step. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "mailscope/ms-lesson.h"
#include "ms-lesson-plan.h"
#include "ms-app-resources.h"
#include "ms-session-view.h"
#include "ms-step-row.h"
#include "ms-message-view.h"

/* Seconds between steps when playing at 1×: time to read one explanation. */
#define MS_PLAY_SECONDS 4.0

struct _MsSessionView
{
  GtkWidget parent_instance;

  /* template widgets */
  GtkDropDown *session_dropdown;
  GtkDropDown *speed_dropdown;
  GtkLabel *position_label;
  GtkButton *play_button;
  GtkListBox *step_list;
  MsLadder *ladder;
  MsStreamView *stream_view;
  MsMessageView *message_view;
  MsPacketList *packet_list;
  MsPacketDetail *packet_detail;
  GtkScrolledWindow *step_scroller;
  GtkNotebook *notebook;
  GtkRevealer *index_revealer;
  GtkProgressBar *index_bar;
  GtkLabel *index_label;

  /* owned */
  MsCapture *capture;
  MsLessonPlan plan;
  GArray *session_ids;   /* guint, by drop-down position */
  guint position;
  gboolean mask;
  gboolean syncing;
  gboolean session_chosen; /* the user picked a session in the drop-down */
  guint play_source;
  double speed;
  guint stale;           /* Stale: panes behind the lesson position */
  gboolean ladder_keep_scroll; /* the diagram's new events extend the old */
  double progress;       /* indexing progress shown, -1 when hidden */
};

/* The notebook's pages, in ui/ms-session-view.ui's order. */
enum { PAGE_DIAGRAM, PAGE_CONVERSATION, PAGE_MESSAGES };

typedef enum {
  STALE_LADDER_EVENTS = 1 << 0,
  STALE_LADDER_REVEAL = 1 << 1,
  STALE_STREAM = 1 << 2,
  STALE_MESSAGES = 1 << 3,
  STALE_ALL = 0xf,
} Stale;

enum { SIG_POSITION_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static const double speeds[] = { 0.5, 1.0, 2.0, 4.0 };

G_DEFINE_FINAL_TYPE (MsSessionView, ms_session_view, GTK_TYPE_WIDGET)

static MsStep
reveal_step (MsSessionView *self)
{
  return self->plan.n_steps ? self->plan.steps[self->position] : MS_STEP_N;
}

/* Brings the current step's row into view once the list is laid out. */
static gboolean
scroll_step_list (gpointer data)
{
  MsSessionView *self = data;
  GtkListBoxRow *row = self->step_list
                         ? gtk_list_box_get_row_at_index (self->step_list, (int) self->position)
                         : NULL;
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->step_scroller);
  graphene_rect_t bounds;

  if (row && gtk_widget_compute_bounds (GTK_WIDGET (row), GTK_WIDGET (self->step_list), &bounds))
    {
      double top = bounds.origin.y, bottom = top + bounds.size.height;
      double value = gtk_adjustment_get_value (adj), page = gtk_adjustment_get_page_size (adj);
      if (top < value || bottom > value + page)
        gtk_adjustment_set_value (adj, MAX (0, top - page / 4));
    }
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

/* Brings notebook page `page` up to date with the lesson position. */
static void
sync_page (MsSessionView *self, int page)
{
  const guint *events = self->plan.events ? (const guint *) self->plan.events->data : NULL;
  guint n = self->plan.events ? self->plan.events->len : 0;
  MsStep step = reveal_step (self);

  /* Nothing to show yet, or the view is being taken apart. */
  if (self->capture == NULL || self->ladder == NULL)
    return;
  switch (page)
    {
    case PAGE_DIAGRAM:
      if (self->stale & STALE_LADDER_EVENTS)
        {
          GtkAdjustment *adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->ladder));
          double value = adj ? gtk_adjustment_get_value (adj) : 0;

          ms_ladder_set_events (self->ladder, self->capture, events, n);
          /* More arrows of the same lesson: the diagram stays where it was. */
          if (adj && self->ladder_keep_scroll)
            gtk_adjustment_set_value (adj, value);
        }
      if (self->stale & (STALE_LADDER_EVENTS | STALE_LADDER_REVEAL))
        ms_ladder_set_reveal (self->ladder, step);
      self->stale &= ~(guint) (STALE_LADDER_EVENTS | STALE_LADDER_REVEAL);
      self->ladder_keep_scroll = FALSE;
      break;
    case PAGE_CONVERSATION:
      if (self->stale & STALE_STREAM)
        ms_stream_view_set_events (self->stream_view, self->capture, events, n, step, self->mask);
      self->stale &= ~(guint) STALE_STREAM;
      break;
    case PAGE_MESSAGES:
      if (self->stale & STALE_MESSAGES)
        ms_message_view_set_events (self->message_view, self->capture, self->plan.session,
                                    events, n, step);
      self->stale &= ~(guint) STALE_MESSAGES;
      break;
    default:
      break;
    }
}

/* Marks panes stale and brings the one on screen up to date. */
static void
invalidate (MsSessionView *self, guint stale)
{
  self->stale |= stale;
  sync_page (self, gtk_notebook_get_current_page (self->notebook));
}

static void
on_page_switched (GtkNotebook *notebook, GtkWidget *page, guint num, MsSessionView *self)
{
  sync_page (self, (int) num);
}

static void
update_label (MsSessionView *self)
{
  MsStep step = reveal_step (self);

  if (self->plan.n_steps)
    {
      g_autofree char *text = g_strdup_printf (_("Step %u of %u: %s"), self->position + 1,
                                               self->plan.n_steps, ms_lesson_step_title (step));
      gtk_label_set_text (self->position_label, text);
    }
  else if (self->capture && (ms_capture_is_live (self->capture)
                             || ms_capture_is_loading (self->capture)))
    gtk_label_set_text (self->position_label, _("Waiting for the first step…"));
  else
    gtk_label_set_text (self->position_label, _("Nothing to explain in this session"));
}

/* Applies the position to every part of the view; with `scroll`, the step
 * list brings the current step into view. */
static void
update_position_full (MsSessionView *self, gboolean scroll)
{
  MsStep step = reveal_step (self);
  guint i = 0;

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->step_list)); row;
       row = gtk_widget_get_next_sibling (row))
    {
      if (!MS_IS_STEP_ROW (row))
        continue;
      ms_step_row_set_current (MS_STEP_ROW (row), i == self->position);
      ms_step_row_set_revealed (MS_STEP_ROW (row), i <= self->position);
      if (i == self->position)
        {
          self->syncing = TRUE;
          gtk_list_box_select_row (self->step_list, GTK_LIST_BOX_ROW (row));
          self->syncing = FALSE;
        }
      i++;
    }
  if (scroll)
    g_idle_add_full (G_PRIORITY_LOW, scroll_step_list, g_object_ref (self), NULL);
  ms_packet_list_set_reveal (self->packet_list, step);
  invalidate (self, STALE_LADDER_REVEAL | STALE_STREAM | STALE_MESSAGES);
  update_label (self);
  g_signal_emit (self, signals[SIG_POSITION_CHANGED], 0);
}

static void
update_position (MsSessionView *self)
{
  update_position_full (self, TRUE);
}

static void
update_play_button (MsSessionView *self)
{
  gboolean playing = self->play_source != 0;
  gtk_button_set_icon_name (self->play_button, playing ? "media-playback-pause-symbolic"
                                                       : "media-playback-start-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->play_button),
                               playing ? _("Pause (Ctrl+P)") : _("Play the lesson (Ctrl+P)"));
}

static void
rebuild_steps (MsSessionView *self)
{
  GtkWidget *child;
  MsProto proto = ms_lesson_plan_proto (&self->plan, self->capture);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->step_list))))
    gtk_list_box_remove (self->step_list, child);
  for (guint k = 0; k < self->plan.n_steps; k++)
    {
      MsStep step = self->plan.steps[k];
      g_autofree char *stats = ms_lesson_plan_step_stats (&self->plan, self->capture, step);
      g_auto (GStrv) notes = ms_lesson_plan_step_notes (&self->plan, self->capture, step);
      GtkWidget *row = ms_step_row_new (step, k + 1, ms_lesson_step_explanation (step, proto),
                                        stats, (const char *const *) notes);
      gtk_list_box_append (self->step_list, row);
    }
}

void
ms_session_view_set_session (MsSessionView *self, guint session)
{
  if (self->capture == NULL)
    return;
  ms_lesson_plan_clear (&self->plan);
  ms_lesson_plan_init (&self->plan, self->capture, session);
  self->position = 0;
  rebuild_steps (self);
  self->stale |= STALE_LADDER_EVENTS;
  self->ladder_keep_scroll = FALSE;
  ms_packet_list_set_session (self->packet_list, session);
  ms_packet_detail_clear (self->packet_detail);
  for (guint i = 0; i < self->session_ids->len; i++)
    if (g_array_index (self->session_ids, guint, i) == session)
      {
        self->syncing = TRUE;
        gtk_drop_down_set_selected (self->session_dropdown, i);
        self->syncing = FALSE;
      }
  update_position (self);
}

guint
ms_session_view_get_session (MsSessionView *self)
{
  return self->plan.session;
}

static void
on_session_selected (GtkDropDown *dd, GParamSpec *pspec, MsSessionView *self)
{
  guint i = gtk_drop_down_get_selected (dd);

  if (self->syncing || i >= self->session_ids->len)
    return;
  self->session_chosen = TRUE;
  ms_session_view_set_session (self, g_array_index (self->session_ids, guint, i));
}

static void
on_speed_selected (GtkDropDown *dd, GParamSpec *pspec, MsSessionView *self)
{
  guint i = gtk_drop_down_get_selected (dd);
  if (i < G_N_ELEMENTS (speeds))
    ms_session_view_set_speed (self, speeds[i]);
}

static void
on_step_row_activated (GtkListBox *box, GtkListBoxRow *row, MsSessionView *self)
{
  if (!self->syncing)
    ms_session_view_set_position (self, (guint) gtk_list_box_row_get_index (row));
}

static void
on_ladder_frame (MsLadder *ladder, guint frame, MsSessionView *self)
{
  ms_session_view_select_frame (self, frame);
}

static void
on_list_frame (MsPacketList *list, guint frame, MsSessionView *self)
{
  gint index;

  if (self->syncing)
    return;
  ms_ladder_set_selected_frame (self->ladder, frame);
  index = ms_capture_frame_index (self->capture, frame);
  if (index >= 0)
    ms_packet_detail_show_frame (self->packet_detail, self->capture, (guint) index);
}

void
ms_session_view_select_frame (MsSessionView *self, guint32 number)
{
  gint index = ms_capture_frame_index (self->capture, number);

  if (index < 0)
    return;
  self->syncing = TRUE;
  ms_packet_list_select_frame (self->packet_list, number);
  self->syncing = FALSE;
  ms_ladder_set_selected_frame (self->ladder, number);
  ms_packet_detail_show_frame (self->packet_detail, self->capture, (guint) index);
}

static void
ms_session_view_dispose (GObject *object)
{
  MsSessionView *self = MS_SESSION_VIEW (object);

  g_clear_handle_id (&self->play_source, g_source_remove);
  /* First, so that pages switched while the notebook goes sync nothing. */
  g_clear_object (&self->capture);
  gtk_widget_dispose_template (GTK_WIDGET (self), MS_TYPE_SESSION_VIEW);
  /* Children without an id are not cleared by the template. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self)));)
    gtk_widget_unparent (child);
  ms_lesson_plan_clear (&self->plan);
  G_OBJECT_CLASS (ms_session_view_parent_class)->dispose (object);
}

static void
ms_session_view_finalize (GObject *object)
{
  MsSessionView *self = MS_SESSION_VIEW (object);
  g_array_unref (self->session_ids);
  G_OBJECT_CLASS (ms_session_view_parent_class)->finalize (object);
}

static void
ms_session_view_class_init (MsSessionViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = ms_session_view_dispose;
  G_OBJECT_CLASS (klass)->finalize = ms_session_view_finalize;

  signals[SIG_POSITION_CHANGED] = g_signal_new ("position-changed", G_TYPE_FROM_CLASS (klass),
                                                G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                G_TYPE_NONE, 0);

  g_type_ensure (MS_TYPE_LADDER);
  g_type_ensure (MS_TYPE_STREAM_VIEW);
  g_type_ensure (MS_TYPE_MESSAGE_VIEW);
  g_type_ensure (MS_TYPE_PACKET_LIST);
  g_type_ensure (MS_TYPE_PACKET_DETAIL);
  /* Referencing the bundle links it in, and its constructor registers it,
   * even from the static library. */
  (void) ms_app_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/mailscope/Mailscope/ms-session-view.ui");
  gtk_widget_class_bind_template_child (widget_class, MsSessionView, session_dropdown);
  gtk_widget_class_bind_template_child (widget_class, MsSessionView, speed_dropdown);
  gtk_widget_class_bind_template_child (widget_class, MsSessionView, position_label);
  gtk_widget_class_bind_template_child (widget_class, MsSessionView, play_button);
  gtk_widget_class_bind_template_child (widget_class, MsSessionView, step_list);
  gtk_widget_class_bind_template_child (widget_class, MsSessionView, step_scroller);
  gtk_widget_class_bind_template_child (widget_class, MsSessionView, ladder);
  gtk_widget_class_bind_template_child (widget_class, MsSessionView, stream_view);
  gtk_widget_class_bind_template_child (widget_class, MsSessionView, message_view);
  gtk_widget_class_bind_template_child (widget_class, MsSessionView, packet_list);
  gtk_widget_class_bind_template_child (widget_class, MsSessionView, packet_detail);
  gtk_widget_class_bind_template_child (widget_class, MsSessionView, notebook);
  gtk_widget_class_bind_template_child (widget_class, MsSessionView, index_revealer);
  gtk_widget_class_bind_template_child (widget_class, MsSessionView, index_bar);
  gtk_widget_class_bind_template_child (widget_class, MsSessionView, index_label);
  gtk_widget_class_bind_template_callback (widget_class, on_session_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_speed_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_step_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_ladder_frame);
  gtk_widget_class_bind_template_callback (widget_class, on_list_frame);
  gtk_widget_class_bind_template_callback (widget_class, on_page_switched);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ms_session_view_init (MsSessionView *self)
{
  GtkStringList *speed_names;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->session_ids = g_array_new (FALSE, FALSE, sizeof (guint));
  self->plan.events = g_array_new (FALSE, FALSE, sizeof (guint));
  self->speed = 1.0;
  self->progress = -1;
  speed_names = gtk_string_list_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (speeds); i++)
    {
      /* TRANSLATORS: playback speed, e.g. "2×" */
      g_autofree char *s = g_strdup_printf (_("%g×"), speeds[i]);
      gtk_string_list_append (speed_names, s);
    }
  gtk_drop_down_set_model (self->speed_dropdown, G_LIST_MODEL (speed_names));
  gtk_drop_down_set_selected (self->speed_dropdown, 1);
  g_object_unref (speed_names);
}

GtkWidget *
ms_session_view_new (void)
{
  return g_object_new (MS_TYPE_SESSION_VIEW, NULL);
}

/* TRUE when the drop-down lists the first sessions of `capture`, in order:
 * the capture only found more since. */
static gboolean
sessions_extend (MsSessionView *self, MsCapture *capture)
{
  guint n = ms_capture_get_n_sessions (capture);

  if (self->session_ids->len == 0 || self->session_ids->len - 1 > n
      || !GTK_IS_STRING_LIST (gtk_drop_down_get_model (self->session_dropdown)))
    return FALSE;
  for (guint i = 1; i < self->session_ids->len; i++)
    if (g_array_index (self->session_ids, guint, i) != ms_capture_get_session (capture, i - 1)->id)
      return FALSE;
  return TRUE;
}

/* Fills the session drop-down from the capture; returns the first mail
 * session's id, or 0. Sessions found since the last call are appended, so
 * that the choice and an open list stay as they are while a capture grows. */
static guint
fill_sessions (MsSessionView *self, MsCapture *capture)
{
  g_autoptr (GtkStringList) names = NULL;
  g_autoptr (GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  guint n = ms_capture_get_n_sessions (capture);
  gboolean extend = sessions_extend (self, capture);
  guint first_mail;
  guint none = 0;

  if (extend)
    names = g_object_ref (GTK_STRING_LIST (gtk_drop_down_get_model (self->session_dropdown)));
  else
    {
      names = gtk_string_list_new (NULL);
      g_array_set_size (self->session_ids, 0);
      gtk_string_list_append (names, _("All sessions"));
      g_array_append_val (self->session_ids, none);
    }
  for (guint i = 0; i < n; i++)
    {
      const MsSessionSummary *s = ms_capture_get_session (capture, i);

      if (i + 1 < self->session_ids->len)
        continue;
      g_ptr_array_add (labels, ms_capture_session_label (capture, s));
      g_array_append_val (self->session_ids, s->id);
    }
  g_ptr_array_add (labels, NULL);
  first_mail = ms_capture_first_mail_session (capture);
  self->syncing = TRUE;
  gtk_string_list_splice (names, g_list_model_get_n_items (G_LIST_MODEL (names)), 0,
                          (const char *const *) labels->pdata);
  if (!extend)
    gtk_drop_down_set_model (self->session_dropdown, G_LIST_MODEL (names));
  self->syncing = FALSE;
  gtk_widget_set_visible (GTK_WIDGET (self->session_dropdown), n > 0);
  return first_mail;
}

void
ms_session_view_set_capture (MsSessionView *self, MsCapture *capture)
{
  ms_session_view_set_playing (self, FALSE);
  g_set_object (&self->capture, capture);
  self->session_chosen = FALSE;
  ms_packet_list_set_capture (self->packet_list, capture);
  /* A new capture starts a new list of sessions. */
  g_array_set_size (self->session_ids, 0);
  self->stale = STALE_ALL;
  ms_session_view_set_session (self, fill_sessions (self, capture));
}

/* TRUE when plans `a` and `b` hold the same events and steps. */
static gboolean
plan_equal (const MsLessonPlan *a, const MsLessonPlan *b)
{
  guint n = a->events->len;

  if (a->session != b->session || n != b->events->len || a->n_steps != b->n_steps)
    return FALSE;
  if (n && (g_array_index (a->events, guint, 0) != g_array_index (b->events, guint, 0)
            || g_array_index (a->events, guint, n - 1) != g_array_index (b->events, guint, n - 1)))
    return FALSE;
  return memcmp (a->steps, b->steps, a->n_steps * sizeof a->steps[0]) == 0;
}

void
ms_session_view_refresh (MsSessionView *self, gboolean follow)
{
  guint session = self->plan.session;
  MsStep current = self->plan.n_steps ? self->plan.steps[self->position] : MS_STEP_NONE;
  gboolean at_end = self->position + 1 >= self->plan.n_steps;
  guint old_position = self->position;
  MsLessonPlan plan = { 0 };
  GtkAdjustment *adj;
  double scroll;
  int k;

  if (self->capture == NULL)
    return;
  if (ms_capture_get_n_sessions (self->capture) + 1 != self->session_ids->len)
    {
      guint known = self->session_ids->len;
      gboolean refilter = FALSE;
      guint first_mail = fill_sessions (self, self->capture);

      if (session == 0 && !self->session_chosen)
        session = first_mail;
      /* The packet filter learns the new sessions of the lesson: a new
       * session, or DNS lookups of its client. Frames of other sessions
       * are filtered out as they arrive, with nothing to redo. */
      if (session != self->plan.session || known == 0 || known > self->session_ids->len)
        refilter = TRUE;
      for (guint i = MAX (known, 1); session != 0 && !refilter && i < self->session_ids->len; i++)
        refilter = ms_capture_session_includes (self->capture, session,
                                                g_array_index (self->session_ids, guint, i));
      if (refilter)
        ms_packet_list_set_session (self->packet_list, session);
      for (guint i = 0; i < self->session_ids->len; i++)
        if (g_array_index (self->session_ids, guint, i) == session)
          {
            self->syncing = TRUE;
            gtk_drop_down_set_selected (self->session_dropdown, i);
            self->syncing = FALSE;
          }
    }
  ms_lesson_plan_init (&plan, self->capture, session);
  /* While a file is indexed, most batches hold nothing of the lesson shown:
   * then nothing is rebuilt. The last refresh redoes everything. */
  if (ms_capture_is_loading (self->capture) && plan_equal (&plan, &self->plan))
    {
      ms_lesson_plan_clear (&plan);
      return;
    }
  ms_lesson_plan_clear (&self->plan);
  self->plan = plan;
  /* New rows, same place: the list does not jump back to the top. */
  adj = gtk_scrolled_window_get_vadjustment (self->step_scroller);
  scroll = gtk_adjustment_get_value (adj);
  rebuild_steps (self);
  gtk_adjustment_set_value (adj, scroll);
  self->stale |= STALE_LADDER_EVENTS;
  self->ladder_keep_scroll = TRUE;
  k = ms_lesson_plan_find_step (&self->plan, current);
  if (self->plan.n_steps == 0)
    self->position = 0;
  else if ((follow && at_end) || k < 0)
    self->position = (follow && at_end) ? self->plan.n_steps - 1
                                         : MIN (self->position, self->plan.n_steps - 1);
  else
    self->position = (guint) k;
  update_position_full (self, self->position != old_position);
}

MsCapture *
ms_session_view_get_capture (MsSessionView *self)
{
  return self->capture;
}

guint
ms_session_view_get_n_steps (MsSessionView *self)
{
  return self->plan.n_steps;
}

guint
ms_session_view_get_position (MsSessionView *self)
{
  return self->position;
}

MsStep
ms_session_view_get_current_step (MsSessionView *self)
{
  return self->plan.n_steps ? self->plan.steps[self->position] : MS_STEP_NONE;
}

void
ms_session_view_set_position (MsSessionView *self, guint position)
{
  if (self->plan.n_steps == 0)
    return;
  position = MIN (position, self->plan.n_steps - 1);
  self->position = position;
  update_position (self);
}

gboolean
ms_session_view_step_next (MsSessionView *self)
{
  if (self->position + 1 >= self->plan.n_steps)
    return FALSE;
  ms_session_view_set_position (self, self->position + 1);
  return TRUE;
}

gboolean
ms_session_view_step_back (MsSessionView *self)
{
  if (self->position == 0)
    return FALSE;
  ms_session_view_set_position (self, self->position - 1);
  return TRUE;
}

void
ms_session_view_step_first (MsSessionView *self)
{
  ms_session_view_set_position (self, 0);
}

void
ms_session_view_step_last (MsSessionView *self)
{
  if (self->plan.n_steps)
    ms_session_view_set_position (self, self->plan.n_steps - 1);
}

static gboolean
play_tick (gpointer data)
{
  MsSessionView *self = data;

  if (!ms_session_view_step_next (self))
    {
      self->play_source = 0;
      update_play_button (self);
      g_signal_emit (self, signals[SIG_POSITION_CHANGED], 0);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

void
ms_session_view_set_playing (MsSessionView *self, gboolean playing)
{
  g_clear_handle_id (&self->play_source, g_source_remove);
  if (playing)
    {
      if (self->position + 1 >= self->plan.n_steps)
        ms_session_view_set_position (self, 0);
      self->play_source = g_timeout_add ((guint) (MS_PLAY_SECONDS * 1000 / self->speed),
                                         play_tick, self);
    }
  update_play_button (self);
  g_signal_emit (self, signals[SIG_POSITION_CHANGED], 0);
}

gboolean
ms_session_view_get_playing (MsSessionView *self)
{
  return self->play_source != 0;
}

void
ms_session_view_set_speed (MsSessionView *self, double speed)
{
  self->speed = speed > 0 ? speed : 1.0;
  if (self->play_source)
    ms_session_view_set_playing (self, TRUE);
}

void
ms_session_view_set_mask_secrets (MsSessionView *self, gboolean mask)
{
  self->mask = mask;
  ms_ladder_set_mask_secrets (self->ladder, mask);
  ms_packet_list_set_mask_secrets (self->packet_list, mask);
  ms_packet_detail_set_mask_secrets (self->packet_detail, mask);
  invalidate (self, STALE_STREAM);
}

MsLadder *
ms_session_view_get_ladder (MsSessionView *self)
{
  sync_page (self, PAGE_DIAGRAM);
  return self->ladder;
}

MsPacketList *
ms_session_view_get_packet_list (MsSessionView *self)
{
  return self->packet_list;
}

MsPacketDetail *
ms_session_view_get_packet_detail (MsSessionView *self)
{
  return self->packet_detail;
}

GtkWidget *
ms_session_view_get_message_view (MsSessionView *self)
{
  sync_page (self, PAGE_MESSAGES);
  return GTK_WIDGET (self->message_view);
}

MsStreamView *
ms_session_view_get_stream_view (MsSessionView *self)
{
  sync_page (self, PAGE_CONVERSATION);
  return self->stream_view;
}

void
ms_session_view_set_progress (MsSessionView *self, double fraction)
{
  gboolean shown = fraction >= 0 && fraction < 1;

  self->progress = shown ? fraction : -1;
  gtk_revealer_set_reveal_child (self->index_revealer, shown);
  if (shown)
    {
      /* TRANSLATORS: shown while the rest of a capture is read; %d%% is the
       * part read so far, e.g. "Indexing… 43%" */
      g_autofree char *text = g_strdup_printf (_("Indexing… %d%%"), (int) (fraction * 100));

      gtk_progress_bar_set_fraction (self->index_bar, fraction);
      gtk_label_set_text (self->index_label, text);
    }
  else if (self->capture)
    update_label (self);
}

double
ms_session_view_get_progress (MsSessionView *self)
{
  return self->progress;
}
