/* ms-session-view.c - holds the lesson position and keeps the step list,
 * diagram, conversation and packet list showing the same steps. */
#include "config.h"

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
};

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

/* Applies the position to every part of the view. */
static void
update_position (MsSessionView *self)
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
  g_idle_add_full (G_PRIORITY_LOW, scroll_step_list, g_object_ref (self), NULL);
  ms_ladder_set_reveal (self->ladder, step);
  ms_packet_list_set_reveal (self->packet_list, step);
  ms_stream_view_set_events (self->stream_view, self->capture,
                             (const guint *) self->plan.events->data, self->plan.events->len,
                             step, self->mask);
  ms_message_view_set_events (self->message_view, self->capture, self->plan.session,
                              (const guint *) self->plan.events->data, self->plan.events->len,
                              step);
  if (self->plan.n_steps)
    {
      g_autofree char *text = g_strdup_printf (_("Step %u of %u: %s"), self->position + 1,
                                               self->plan.n_steps, ms_lesson_step_title (step));
      gtk_label_set_text (self->position_label, text);
    }
  else if (self->capture && ms_capture_is_live (self->capture))
    gtk_label_set_text (self->position_label, _("Waiting for the first step…"));
  else
    gtk_label_set_text (self->position_label, _("Nothing to explain in this session"));
  g_signal_emit (self, signals[SIG_POSITION_CHANGED], 0);
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
  ms_ladder_set_events (self->ladder, self->capture, (const guint *) self->plan.events->data,
                        self->plan.events->len);
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
  gtk_widget_dispose_template (GTK_WIDGET (self), MS_TYPE_SESSION_VIEW);
  /* Children without an id are not cleared by the template. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self)));)
    gtk_widget_unparent (child);
  g_clear_object (&self->capture);
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
  gtk_widget_class_bind_template_callback (widget_class, on_session_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_speed_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_step_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_ladder_frame);
  gtk_widget_class_bind_template_callback (widget_class, on_list_frame);
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

/* Fills the session drop-down from the capture; returns the first mail
 * session's id, or 0. */
static guint
fill_sessions (MsSessionView *self, MsCapture *capture)
{
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  guint first_mail = 0;
  guint none = 0;

  g_array_set_size (self->session_ids, 0);
  gtk_string_list_append (names, _("All sessions"));
  g_array_append_val (self->session_ids, none);
  for (guint i = 0; i < ms_capture_get_n_sessions (capture); i++)
    {
      const MsSessionSummary *s = ms_capture_get_session (capture, i);
      g_autofree char *label = ms_capture_session_label (capture, s);

      gtk_string_list_append (names, label);
      g_array_append_val (self->session_ids, s->id);
      if (first_mail == 0 && !s->dns_group && s->proto != MS_PROTO_DNS)
        first_mail = s->id;
    }
  self->syncing = TRUE;
  gtk_drop_down_set_model (self->session_dropdown, G_LIST_MODEL (names));
  self->syncing = FALSE;
  gtk_widget_set_visible (GTK_WIDGET (self->session_dropdown), ms_capture_get_n_sessions (capture) > 0);
  return first_mail;
}

void
ms_session_view_set_capture (MsSessionView *self, MsCapture *capture)
{
  ms_session_view_set_playing (self, FALSE);
  g_set_object (&self->capture, capture);
  self->session_chosen = FALSE;
  ms_packet_list_set_capture (self->packet_list, capture);
  ms_session_view_set_session (self, fill_sessions (self, capture));
}

void
ms_session_view_refresh (MsSessionView *self, gboolean follow)
{
  guint session = self->plan.session;
  MsStep current = self->plan.n_steps ? self->plan.steps[self->position] : MS_STEP_NONE;
  gboolean at_end = self->position + 1 >= self->plan.n_steps;
  GtkAdjustment *adj;
  double scroll;
  int k;

  if (self->capture == NULL)
    return;
  if (ms_capture_get_n_sessions (self->capture) + 1 != self->session_ids->len)
    {
      guint first_mail = fill_sessions (self, self->capture);

      if (session == 0 && !self->session_chosen)
        session = first_mail;
      /* The packet filter learns the new sessions of the lesson. */
      ms_packet_list_set_session (self->packet_list, session);
      for (guint i = 0; i < self->session_ids->len; i++)
        if (g_array_index (self->session_ids, guint, i) == session)
          {
            self->syncing = TRUE;
            gtk_drop_down_set_selected (self->session_dropdown, i);
            self->syncing = FALSE;
          }
    }
  ms_lesson_plan_clear (&self->plan);
  ms_lesson_plan_init (&self->plan, self->capture, session);
  /* New rows, same place: the list does not jump back to the top. */
  adj = gtk_scrolled_window_get_vadjustment (self->step_scroller);
  scroll = gtk_adjustment_get_value (adj);
  rebuild_steps (self);
  gtk_adjustment_set_value (adj, scroll);
  ms_ladder_set_events (self->ladder, self->capture, (const guint *) self->plan.events->data,
                        self->plan.events->len);
  k = ms_lesson_plan_find_step (&self->plan, current);
  if (self->plan.n_steps == 0)
    self->position = 0;
  else if ((follow && at_end) || k < 0)
    self->position = (follow && at_end) ? self->plan.n_steps - 1
                                         : MIN (self->position, self->plan.n_steps - 1);
  else
    self->position = (guint) k;
  update_position (self);
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
  if (self->capture)
    ms_stream_view_set_events (self->stream_view, self->capture,
                               (const guint *) self->plan.events->data, self->plan.events->len,
                               reveal_step (self), mask);
}

MsLadder *
ms_session_view_get_ladder (MsSessionView *self)
{
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
  return GTK_WIDGET (self->message_view);
}

MsStreamView *
ms_session_view_get_stream_view (MsSessionView *self)
{
  return self->stream_view;
}
