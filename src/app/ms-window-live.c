/* ms-window-live.c - live captures in the window: capturing from an
 * interface (capture.live, capture.live-start), the live bar above the
 * session view (what is captured, received/dropped counters, the demo
 * client's next step, Next, Run Through, Stop) and capture.stop. The live
 * demo itself is in ms-window-demo.c.
 *
 * Both show an MsCapture in live mode in the ordinary session view, which
 * grows batch by batch; when the capture ends it stays there as an opened
 * capture of the pcap it wrote. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ms-capture-dialog.h"
#include "ms-window-live-private.h"

gboolean
ms_window_live_is_running (MsWindow *self)
{
  MsWindowLive *lv = self->live;
  return lv->demo != NULL || (lv->capture != NULL && ms_capture_is_live (lv->capture));
}

gboolean
ms_window_is_live (MsWindow *self)
{
  return ms_window_live_is_running (self) || self->live->opening;
}

MsDemo *
ms_window_get_live_demo (MsWindow *self)
{
  return self->live->demo;
}

guint
ms_window_live_announced (MsWindow *self)
{
  return self->live->announced;
}

MsStep
ms_window_live_next_step (MsWindow *self)
{
  return self->live->next_step;
}

void
ms_window_live_update_actions (MsWindow *self)
{
  GtkWidget *w = GTK_WIDGET (self);
  gboolean busy = ms_window_is_live (self);

  gtk_widget_action_set_enabled (w, "capture.live-demo", !busy);
  gtk_widget_action_set_enabled (w, "capture.start-demo", !busy);
  gtk_widget_action_set_enabled (w, "capture.live", !busy);
  gtk_widget_action_set_enabled (w, "capture.live-start", !busy);
  gtk_widget_action_set_enabled (w, "capture.stop", ms_window_live_is_running (self));
}
/* ---------------------------------------------------------------------- */
/* The live bar                                                           */

void
ms_window_live_update_bar (MsWindow *self)
{
  MsWindowLive *lv = self->live;
  MsCapture *c = lv->capture;
  guint64 received = 0, dropped = 0;
  g_autofree char *stats = NULL;
  guint frames;

  gtk_revealer_set_reveal_child (lv->revealer, c != NULL && ms_window_live_is_running (self));
  if (c == NULL)
    return;
  if (lv->demo)
    gtk_label_set_text (lv->title_label, _("Live demo"));
  else
    {
      /* TRANSLATORS: live bar title, with the interface name */
      g_autofree char *title = g_strdup_printf (_("Capturing on %s"), lv->iface ? lv->iface : "");
      gtk_label_set_text (lv->title_label, title);
    }
  frames = ms_capture_get_n_frames (c);
  if (lv->demo == NULL && ms_capture_get_stats (c, &received, &dropped))
    {
      g_autofree char *r = g_strdup_printf ("%" G_GUINT64_FORMAT, received);
      g_autofree char *d = g_strdup_printf ("%" G_GUINT64_FORMAT, dropped);
      /* TRANSLATORS: live capture counters: packets the kernel received and
       * dropped, then frames shown */
      stats = g_strdup_printf (_("%s received · %s dropped · %u shown"), r, d, frames);
    }
  else if (lv->demo == NULL)
    stats = g_strdup_printf (_("%u shown · drops are counted when the capture stops"), frames);
  else
    stats = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u packet captured",
                                          "%u packets captured", frames),
                             frames);
  if (lv->filter && lv->filter[0])
    {
      /* TRANSLATORS: counters, then the capture filter in use */
      char *with = g_strdup_printf (_("%s · filter: %s"), stats, lv->filter);
      g_free (stats);
      stats = with;
    }
  gtk_label_set_text (lv->stats_label, stats);
  gtk_widget_set_visible (lv->step_box, lv->demo != NULL);
  gtk_widget_set_visible (lv->next_button, lv->demo != NULL);
  gtk_widget_set_visible (GTK_WIDGET (lv->run_button), lv->demo != NULL);
  if (lv->demo == NULL)
    return;
  gtk_button_set_label (lv->run_button, lv->run_through ? _("_Pause") : _("_Run Through"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (lv->run_button),
                               lv->run_through ? _("Stop after the current step (Ctrl+P)")
                                               : _("Let the client go on by itself, one step "
                                                   "every few seconds (Ctrl+P)"));
  if (lv->next_description == NULL)
    {
      gtk_label_set_text (lv->step_title, _("Starting the lab…"));
      gtk_label_set_text (lv->step_description, "");
    }
  else
    {
      g_autofree char *title = NULL;

      if (ms_demo_is_waiting (lv->demo))
        /* TRANSLATORS: the step the client will run when the user goes on */
        title = g_strdup_printf (_("Next: %s"), ms_lesson_step_title (lv->next_step));
      else
        /* TRANSLATORS: the step the client is running now */
        title = g_strdup_printf (_("Now: %s"), ms_lesson_step_title (lv->next_step));
      gtk_label_set_text (lv->step_title, title);
      gtk_label_set_text (lv->step_description, lv->next_description);
    }
}

/* ---------------------------------------------------------------------- */
/* The live capture                                                       */

/* The first widget of `type` at or below `w`, or NULL. */
static GtkWidget *
find_widget (GtkWidget *w, GType type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (w, type))
    return w;
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_widget (c, type);
      if (found)
        return found;
    }
  return NULL;
}

/* The scrolled window around the first `type` below `w`, or NULL. */
static GtkScrolledWindow *
find_scroller (GtkWidget *w, GType type)
{
  GtkWidget *inner = find_widget (w, type);
  GtkWidget *sw = inner ? gtk_widget_get_ancestor (inner, GTK_TYPE_SCROLLED_WINDOW) : NULL;
  return sw ? GTK_SCROLLED_WINDOW (sw) : NULL;
}

static void
scroll_to_end (GtkScrolledWindow *sw)
{
  GtkAdjustment *adj = sw ? gtk_scrolled_window_get_vadjustment (sw) : NULL;

  if (adj)
    gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj)
                                     - gtk_adjustment_get_page_size (adj));
}

/* After layout: the diagram and the packet list show the newest packets
 * while the view follows the newest step. */
static gboolean
follow_idle (gpointer data)
{
  MsWindow *self = data;
  MsSessionView *view = self->session_view;

  if (self->live && self->live->capture
      && ms_session_view_get_position (view) + 1 >= ms_session_view_get_n_steps (view))
    {
      scroll_to_end (find_scroller (GTK_WIDGET (ms_session_view_get_ladder (view)),
                                    MS_TYPE_LADDER));
      scroll_to_end (find_scroller (GTK_WIDGET (ms_session_view_get_packet_list (view)),
                                    GTK_TYPE_COLUMN_VIEW));
    }
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

static void
on_live_progress (MsCapture *capture, double fraction, guint first, guint n, MsWindow *self)
{
  ms_session_view_refresh (self->session_view, TRUE);
  ms_window_live_update_bar (self);
  ms_window_update_actions (self);
  g_idle_add_full (G_PRIORITY_LOW, follow_idle, g_object_ref (self), NULL);
}

static void
on_live_stats (MsCapture *capture, MsWindow *self)
{
  ms_window_live_update_bar (self);
}

static void
on_live_loaded (MsCapture *capture, const char *warning, MsWindow *self)
{
  MsWindowLive *lv = self->live;
  g_autofree char *msg = NULL;
  guint64 received, dropped;

  ms_session_view_refresh (self->session_view, TRUE);
  ms_window_remember_capture (capture);
  if (ms_capture_get_stats (capture, &received, &dropped) && lv->demo_capture == NULL)
    {
      g_autofree char *d = g_strdup_printf ("%" G_GUINT64_FORMAT, dropped);
      msg = g_strdup_printf (_("Capture ended: %u frames, %s dropped"),
                             ms_capture_get_n_frames (capture), d);
    }
  else
    msg = g_strdup_printf (_("Capture ended: %u frames"), ms_capture_get_n_frames (capture));
  ms_window_toast (self, warning ? warning : msg);
  g_signal_handlers_disconnect_by_func (capture, on_live_progress, self);
  g_signal_handlers_disconnect_by_func (capture, on_live_stats, self);
  g_signal_handlers_disconnect_by_func (capture, on_live_loaded, self);
  g_clear_object (&lv->capture);
  ms_window_live_update_bar (self);
  ms_window_update_actions (self);
}

static void
on_live_failed (MsCapture *capture, const char *message, MsWindow *self)
{
  adw_status_page_set_description (self->error_page, message);
  gtk_stack_set_visible_child_name (self->stack, "error");
  g_signal_handlers_disconnect_by_data (capture, self);
  g_clear_object (&self->live->capture);
  ms_window_live_update_bar (self);
  ms_window_update_actions (self);
}

/* Shows `capture` (live, started) as the window's capture. */
void
ms_window_live_show (MsWindow *self, MsCapture *capture)
{
  MsWindowLive *lv = self->live;

  if (lv->capture)
    {
      g_signal_handlers_disconnect_by_data (lv->capture, self);
      ms_capture_cancel (lv->capture);
      g_clear_object (&lv->capture);
    }
  if (self->capture)
    {
      g_signal_handlers_disconnect_by_data (self->capture, self);
      ms_capture_cancel (self->capture);
      g_clear_object (&self->capture);
    }
  self->capture = g_object_ref (capture);
  lv->capture = g_object_ref (capture);
  adw_window_title_set_subtitle (self->window_title, ms_capture_get_title (capture));
  g_signal_connect (capture, "progress", G_CALLBACK (on_live_progress), self);
  g_signal_connect (capture, "stats", G_CALLBACK (on_live_stats), self);
  g_signal_connect (capture, "loaded", G_CALLBACK (on_live_loaded), self);
  g_signal_connect (capture, "failed", G_CALLBACK (on_live_failed), self);
  ms_session_view_set_capture (self->session_view, capture);
  gtk_stack_set_visible_child_name (self->stack, "session");
  ms_window_live_update_bar (self);
  ms_window_update_actions (self);
}

/* A new file in the cache directory: "PREFIX-YYYYmmdd-HHMMSS.EXT". */
char *
ms_window_live_cache_path (const char *prefix, const char *ext)
{
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "mailscope", NULL);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *base = g_strdup_printf ("%s-%s.%s", prefix, stamp, ext);

  g_mkdir_with_parents (dir, 0700);
  return g_build_filename (dir, base, NULL);
}

static void
on_copy_command (AdwMessageDialog *dialog, const char *response, gpointer data)
{
  if (g_str_equal (response, "copy"))
    gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (dialog)), data);
}

void
ms_window_show_capture_error (MsWindow *self, const GError *error)
{
  GtkWidget *dialog;

  if (g_error_matches (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_PERMISSION))
    {
      g_autofree char *hint = ms_capture_permission_hint ();
      char *command = g_strdup_printf ("sudo setcap cap_net_raw,cap_net_admin=eip %s",
                                       ms_capture_helper_path ());
      g_autofree char *body = g_strdup_printf (
          _("Capturing packets needs the right to read raw network traffic. Mailscope never "
            "runs as root for that: its small capture helper does the capturing, and an "
            "administrator can give it just that right, once.\n\nTo %s\n\nThen start the "
            "capture again."),
          hint);

      dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Permission Needed to Capture"), body);
      adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "copy", _("_Copy Command"),
                                        "close", _("_Close"), NULL);
      adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "close");
      g_signal_connect_data (dialog, "response", G_CALLBACK (on_copy_command), command,
                             (GClosureNotify) (void (*) (void)) g_free, 0);
    }
  else
    {
      dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Cannot Capture"), error->message);
      adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"), NULL);
    }
  gtk_widget_add_css_class (dialog, "capture-error");
  gtk_window_present (GTK_WINDOW (dialog));
}

typedef struct {
  char *iface;
  char *filter;
} OpenJob;

static void
open_job_free (gpointer data)
{
  OpenJob *job = data;
  g_free (job->iface);
  g_free (job->filter);
  g_free (job);
}

static void
open_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  OpenJob *job = task_data;
  GError *error = NULL;
  MsLiveCapture *cap = ms_live_capture_open (job->iface, job->filter, &error);

  if (cap)
    g_task_return_pointer (task, cap, (GDestroyNotify) ms_live_capture_close);
  else
    g_task_return_error (task, error);
}

static void
open_done (GObject *source, GAsyncResult *result, gpointer data)
{
  MsWindow *self = MS_WINDOW (source);
  MsWindowLive *lv = self->live;  /* NULL once the window is disposed */
  OpenJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  MsLiveCapture *cap = g_task_propagate_pointer (G_TASK (result), &error);
  g_autoptr (MsCapture) capture = NULL;
  g_autofree char *path = NULL;
  g_autofree char *title = NULL;

  if (lv == NULL || gtk_widget_in_destruction (GTK_WIDGET (self)))
    {
      ms_live_capture_close (cap);
      return;
    }
  lv->opening = FALSE;
  if (cap == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "start");
      ms_window_show_capture_error (self, error);
      ms_window_update_actions (self);
      return;
    }
  path = ms_window_live_cache_path ("capture", "pcap");
  /* TRANSLATORS: title of a live capture, with the interface name */
  title = g_strdup_printf (_("Live capture on %s"), job->iface);
  capture = ms_capture_new_live (title, path, NULL);
  if (!ms_capture_start_source (capture, cap, &error))
    {
      gtk_stack_set_visible_child_name (self->stack, "start");
      ms_window_show_capture_error (self, error);
      ms_window_update_actions (self);
      return;
    }
  g_free (lv->iface);
  lv->iface = g_strdup (job->iface);
  g_free (lv->filter);
  lv->filter = g_strdup (job->filter);
  ms_window_live_show (self, capture);
}

void
ms_window_start_live_capture (MsWindow *self, const char *iface, const char *filter)
{
  MsWindowLive *lv = self->live;
  g_autoptr (GTask) task = NULL;
  OpenJob *job;

  if (ms_window_is_live (self))
    return;
  ms_window_stop_demo (self);
  job = g_new0 (OpenJob, 1);
  job->iface = g_strdup (iface);
  job->filter = g_strdup (filter && filter[0] ? filter : NULL);
  lv->opening = TRUE;
  ms_window_show_busy (self, _("Starting the capture…"));
  task = g_task_new (self, NULL, open_done, NULL);
  g_task_set_task_data (task, job, open_job_free);
  g_task_run_in_thread (task, open_thread);
}

static void
on_dialog_start (MsCaptureDialog *dialog, const char *iface, const char *filter, MsWindow *self)
{
  ms_window_start_live_capture (self, iface, filter);
}

static void
live_action (GtkWidget *w, const char *name, GVariant *param)
{
  MsCaptureDialog *dialog = ms_capture_dialog_new (GTK_WINDOW (w));

  g_signal_connect_object (dialog, "start", G_CALLBACK (on_dialog_start), w, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
live_start_action (GtkWidget *w, const char *name, GVariant *param)
{
  const char *iface, *filter;

  g_variant_get (param, "(&s&s)", &iface, &filter);
  ms_window_start_live_capture (MS_WINDOW (w), iface, filter);
}

/* ---------------------------------------------------------------------- */
/* Stop                                                                   */

void
ms_window_stop_demo (MsWindow *self)
{
  MsWindowLive *lv = self->live;

  if (lv == NULL)
    return;
  ms_window_live_end_demo (self);
  if (lv->capture)
    ms_capture_stop (lv->capture);
}

void
ms_window_drop_live (MsWindow *self)
{
  MsWindowLive *lv = self->live;

  if (lv == NULL)
    return;
  ms_window_live_end_demo (self);
  if (lv->capture)
    {
      g_signal_handlers_disconnect_by_data (lv->capture, self);
      ms_capture_cancel (lv->capture);
      g_clear_object (&lv->capture);
    }
  lv->opening = FALSE;
  ms_window_live_update_bar (self);
}

static void
stop_action (GtkWidget *w, const char *name, GVariant *param)
{
  MsWindow *self = MS_WINDOW (w);

  ms_window_stop_demo (self);
  ms_window_live_update_bar (self);
  ms_window_update_actions (self);
}

/* ---------------------------------------------------------------------- */
/* Set-up                                                                 */

void
ms_window_class_init_live (GtkWidgetClass *klass)
{
  gtk_widget_class_install_action (klass, "capture.live", NULL, live_action);
  gtk_widget_class_install_action (klass, "capture.live-start", "(ss)", live_start_action);
  ms_window_class_init_demo (klass);
  gtk_widget_class_install_action (klass, "capture.stop", NULL, stop_action);
  /* Found again with gtk_widget_get_template_child in ms_window_init_live. */
  static const char *const children[] = {
    "live_revealer", "live_title", "live_stats", "live_step_box", "live_step_title",
    "live_step_description", "live_next_button", "live_run_button", "live_stop_button",
  };
  for (guint i = 0; i < G_N_ELEMENTS (children); i++)
    gtk_widget_class_bind_template_child_full (klass, children[i], FALSE, 0);
}

#define CHILD(name) gtk_widget_get_template_child (GTK_WIDGET (self), MS_TYPE_WINDOW, name)

void
ms_window_init_live (MsWindow *self)
{
  MsWindowLive *lv = g_new0 (MsWindowLive, 1);

  self->live = lv;
  lv->revealer = GTK_REVEALER (CHILD ("live_revealer"));
  lv->title_label = GTK_LABEL (CHILD ("live_title"));
  lv->stats_label = GTK_LABEL (CHILD ("live_stats"));
  lv->step_box = GTK_WIDGET (CHILD ("live_step_box"));
  lv->step_title = GTK_LABEL (CHILD ("live_step_title"));
  lv->step_description = GTK_LABEL (CHILD ("live_step_description"));
  lv->next_button = GTK_WIDGET (CHILD ("live_next_button"));
  lv->run_button = GTK_BUTTON (CHILD ("live_run_button"));
  lv->stop_button = GTK_WIDGET (CHILD ("live_stop_button"));
}

void
ms_window_dispose_live (MsWindow *self)
{
  MsWindowLive *lv = self->live;

  if (lv == NULL)
    return;
  ms_window_drop_live (self);
  g_free (lv->iface);
  g_free (lv->filter);
  g_free (lv->next_description);
  g_free (lv);
  self->live = NULL;
}
