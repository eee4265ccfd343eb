/* ms-window-demo.c - the live demo in the window (capture.live-demo,
 * capture.start-demo): the lab's servers and client on loopback, the
 * client's frames handed to a live MsCapture as they are captured, and the
 * client driven one step at a time by lesson.next (Space) or run through by
 * lesson.play. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ms-window-live-private.h"

/* Run Through: time each client step stays on screen before the next one
 * starts, long enough to see its packets arrive. */
#define MS_LIVE_RUN_STEP_MS 1500

/* ---------------------------------------------------------------------- */
/* Stepping the demo                                                      */

static gboolean
run_tick (gpointer data)
{
  MsWindow *self = data;
  MsWindowLive *lv = self->live;

  lv->run_source = 0;
  if (lv->demo && lv->run_through && ms_demo_is_waiting (lv->demo))
    ms_demo_next (lv->demo);
  ms_window_live_update_bar (self);
  ms_window_update_actions (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_run (MsWindow *self)
{
  MsWindowLive *lv = self->live;

  if (lv->run_source == 0)
    lv->run_source = g_timeout_add (MS_LIVE_RUN_STEP_MS, run_tick, self);
}

gboolean
ms_window_live_lesson (MsWindow *self, const char *action)
{
  MsWindowLive *lv = self->live;
  MsSessionView *view = self->session_view;

  if (lv->demo == NULL)
    return FALSE;
  if (g_str_equal (action, "lesson.play"))
    {
      lv->run_through = !lv->run_through;
      if (lv->run_through && ms_demo_is_waiting (lv->demo))
        {
          g_clear_handle_id (&lv->run_source, g_source_remove);
          run_tick (self);
        }
      ms_window_live_update_bar (self);
      return TRUE;
    }
  if (!g_str_equal (action, "lesson.next"))
    return FALSE;
  /* Looking back at earlier steps: Next walks the lesson forward first. */
  if (ms_session_view_get_position (view) + 1 < ms_session_view_get_n_steps (view))
    return FALSE;
  if (ms_demo_is_waiting (lv->demo))
    ms_demo_next (lv->demo);
  ms_window_live_update_bar (self);
  return TRUE;
}

gboolean
ms_window_live_can_next (MsWindow *self)
{
  MsWindowLive *lv = self->live;
  return lv->demo != NULL && ms_demo_is_waiting (lv->demo);
}

/* ---------------------------------------------------------------------- */
/* The live demo                                                          */

/* In the demo's capture thread: the frame goes to the live capture. */
static void
on_demo_frame (MsDemo *demo, const MsFrame *frame, gpointer data)
{
  MsWindow *self = data;
  ms_capture_push_frame (self->live->demo_capture, frame);
}

static void
on_demo_step (MsDemo *demo, const MsDemoRun *run, MsStep step, const char *description,
              gpointer data)
{
  MsWindow *self = data;
  MsWindowLive *lv = self->live;

  lv->announced++;
  lv->next_step = step;
  g_free (lv->next_description);
  lv->next_description = g_strdup (description);
  if (lv->run_through)
    schedule_run (self);
  ms_window_live_update_bar (self);
  ms_window_update_actions (self);
}

/* Ends the demo: the clients and servers stop, then the capture decodes
 * what it still holds and ends ("loaded"). */
void
ms_window_live_end_demo (MsWindow *self)
{
  MsWindowLive *lv = self->live;

  g_clear_handle_id (&lv->run_source, g_source_remove);
  if (lv->demo)
    ms_demo_free (g_steal_pointer (&lv->demo));
  if (lv->demo_capture)
    {
      ms_capture_stop (lv->demo_capture);
      g_clear_object (&lv->demo_capture);
    }
  lv->run_through = FALSE;
}

static gboolean
demo_finished_idle (gpointer data)
{
  MsWindow *self = data;
  MsWindowLive *lv = self->live;
  g_autofree char *reason = NULL;

  if (lv == NULL)
    {
      g_object_unref (self);
      return G_SOURCE_REMOVE;
    }
  if (lv->demo && ms_demo_capture_mode (lv->demo) == MS_CAPTURE_NONE)
    reason = g_strdup (ms_demo_capture_reason (lv->demo));
  ms_window_live_end_demo (self);
  if (reason)
    {
      adw_status_page_set_description (self->error_page, reason);
      gtk_stack_set_visible_child_name (self->stack, "error");
    }
  ms_window_live_update_bar (self);
  ms_window_update_actions (self);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

/* The demo cannot be freed from its own callback: finish in an idle. */
static void
on_demo_finished (MsDemo *demo, const GError *error, gpointer data)
{
  MsWindow *self = data;

  if (error)
    ms_window_toast (self, error->message);
  g_idle_add (demo_finished_idle, g_object_ref (self));
}

void
ms_window_start_demo (MsWindow *self, int kind, int tls, gboolean step_mode)
{
  MsWindowLive *lv = self->live;
  static const MsDemoCallbacks callbacks = {
    .step_ready = on_demo_step,
    .finished = on_demo_finished,
    .frame = on_demo_frame,
  };
  g_autofree char *pcap = ms_window_live_cache_path ("live-demo", "pcap");
  /* The key log sits beside the capture, with the same stamp. */
  g_autofree char *stem = g_strndup (pcap, strlen (pcap) - strlen ("pcap"));
  g_autofree char *keylog = g_strconcat (stem, "keylog", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsCapture) capture = NULL;
  MsPipelineOptions popts;
  MsDemoOptions opts;

  if (ms_window_is_live (self))
    return;
  ms_window_stop_demo (self);
  ms_demo_options_init (&opts);
  opts.kind = kind;
  opts.tls = tls;
  opts.step_mode = TRUE;   /* Run Through releases the steps itself */
  opts.keylog_path = g_strdup (keylog);
  lv->demo = ms_demo_new (&opts, &callbacks, self, &error);
  ms_demo_options_clear (&opts);
  if (lv->demo == NULL)
    {
      ms_window_toast (self, error->message);
      return;
    }
  ms_demo_get_pipeline_options (lv->demo, &popts);
  capture = ms_capture_new_live (kind == MS_DEMO_POP3 ? _("Live demo: POP3")
                                                      : _("Live demo: IMAP"),
                                 pcap, &popts);
  if (!ms_capture_start_frames (capture, &error))
    {
      ms_demo_free (g_steal_pointer (&lv->demo));
      ms_window_toast (self, error->message);
      return;
    }
  g_object_set_data_full (G_OBJECT (capture), MS_KEYLOG_KEY, g_strdup (keylog), g_free);
  lv->demo_capture = g_object_ref (capture);
  lv->step_mode = step_mode;
  lv->run_through = !step_mode;
  lv->announced = 0;
  lv->next_step = MS_STEP_NONE;
  g_clear_pointer (&lv->next_description, g_free);
  g_clear_pointer (&lv->iface, g_free);
  g_clear_pointer (&lv->filter, g_free);
  ms_window_live_show (self, capture);
  ms_demo_start (lv->demo);
  if (ms_demo_capture_mode (lv->demo) == MS_CAPTURE_NONE)
    {
      /* Nothing would appear: say why instead of running blind. */
      g_autoptr (GError) perm = g_error_new_literal (MS_SOURCE_ERROR, MS_SOURCE_ERROR_PERMISSION,
                                                     ms_demo_capture_reason (lv->demo));
      g_autofree char *reason = g_strdup (ms_demo_capture_reason (lv->demo));
      ms_window_live_end_demo (self);
      adw_status_page_set_description (self->error_page, reason);
      gtk_stack_set_visible_child_name (self->stack, "error");
      ms_window_show_capture_error (self, perm);
    }
  ms_window_live_update_bar (self);
  ms_window_update_actions (self);
}

static void
live_demo_action (GtkWidget *w, const char *name, GVariant *param)
{
  ms_window_start_demo (MS_WINDOW (w), MS_DEMO_IMAP, MS_LAB_CLIENT_TLS_NONE, TRUE);
}

/* "imap", "pop3", optionally with "+tls" (TLS from the first byte) or
 * "+starttls", and ":run" to run through without waiting. */
static void
start_demo_action (GtkWidget *w, const char *name, GVariant *param)
{
  const char *spec = g_variant_get_string (param, NULL);
  MsDemoKind kind = g_str_has_prefix (spec, "pop3") ? MS_DEMO_POP3 : MS_DEMO_IMAP;
  MsLabClientTls tls = strstr (spec, "+starttls") ? MS_LAB_CLIENT_TLS_STARTTLS
                       : strstr (spec, "+tls")    ? MS_LAB_CLIENT_TLS_IMPLICIT
                                                  : MS_LAB_CLIENT_TLS_NONE;

  ms_window_start_demo (MS_WINDOW (w), kind, tls, strstr (spec, ":run") == NULL);
}

void
ms_window_class_init_demo (GtkWidgetClass *klass)
{
  gtk_widget_class_install_action (klass, "capture.live-demo", NULL, live_demo_action);
  gtk_widget_class_install_action (klass, "capture.start-demo", "s", start_demo_action);
}
