/* ms-window-shared.c - the window's "shared" page: runs the shared-mailbox
 * demo (two IMAP clients on one mailbox, two POP3 clients and the maildrop
 * lock), feeds its callbacks to the MsSharedView as they arrive, and opens
 * what it captured in the session view (capture.shared-demo,
 * capture.shared-open). */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "lab/ms-demo.h"
#include "ms-shared-view.h"
#include "ms-window-private.h"

MsSharedView *
ms_window_get_shared_view (MsWindow *self)
{
  return self->shared_view;
}

static void
update_shared_actions (MsWindow *self)
{
  GtkWidget *w = GTK_WIDGET (self);
  gtk_widget_action_set_enabled (w, "capture.shared-demo", self->shared_demo == NULL);
  /* The capture file is complete once the demo has been freed. */
  gtk_widget_action_set_enabled (w, "capture.shared-open",
                                 self->shared_demo == NULL && self->shared_pcap != NULL);
}

void
ms_window_stop_shared_demo (MsWindow *self)
{
  if (self->shared_demo)
    ms_demo_free (g_steal_pointer (&self->shared_demo));
  g_clear_pointer (&self->shared_pcap, g_free);
}

/* --- the demo's callbacks, on the main thread -------------------------- */

static void
on_step (MsDemo *demo, const MsDemoRun *run, MsStep step, const char *description,
         gpointer data)
{
  MsWindow *self = data;
  ms_shared_view_step (self->shared_view, run, step, description);
  /* Nobody steps through this demo: every client goes on by itself. */
  if (ms_demo_is_waiting (demo))
    ms_demo_next (demo);
}

static void
on_transcript (MsDemo *demo, const MsDemoRun *run, char who, const char *text, gpointer data)
{
  MsWindow *self = data;
  ms_shared_view_line (self->shared_view, run, who, text);
}

static void
on_events (MsDemo *demo, MsEvent *const *events, guint n, gpointer data)
{
  MsWindow *self = data;
  ms_shared_view_add_packets (self->shared_view, n);
}

static void
on_phase_finished (MsDemo *demo, guint phase, gpointer data)
{
  MsWindow *self = data;
  ms_shared_view_phase_finished (self->shared_view, demo, phase);
}

/* Freeing the demo closes the capture file; it cannot happen inside the
 * demo's own callback. */
static gboolean
free_demo_idle (gpointer data)
{
  MsWindow *self = data;

  /* A window closed meanwhile freed the demo already. */
  if (!gtk_widget_in_destruction (GTK_WIDGET (self)))
    {
      if (self->shared_demo)
        ms_demo_free (g_steal_pointer (&self->shared_demo));
      update_shared_actions (self);
    }
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

static void
on_finished (MsDemo *demo, const GError *error, gpointer data)
{
  MsWindow *self = data;

  /* Only a capture with packets is worth opening. */
  if (error || ms_demo_capture_mode (demo) == MS_CAPTURE_NONE)
    {
      if (self->shared_pcap)
        g_unlink (self->shared_pcap);
      g_clear_pointer (&self->shared_pcap, g_free);
    }
  ms_shared_view_finish (self->shared_view, demo, error, self->shared_pcap);
  g_idle_add (free_demo_idle, g_object_ref (self));
}

/* --- actions ------------------------------------------------------------ */

static void
shared_demo_action (GtkWidget *w, const char *name, GVariant *param)
{
  MsWindow *self = MS_WINDOW (w);
  static const MsDemoCallbacks callbacks = {
    .step_ready = on_step,
    .transcript = on_transcript,
    .events = on_events,
    .phase_finished = on_phase_finished,
    .finished = on_finished,
  };
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "mailscope", NULL);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *base = g_strdup_printf ("shared-demo-%s.pcap", stamp);
  g_autoptr (GError) error = NULL;
  MsDemoOptions opts;

  if (self->shared_demo)
    return;
  g_clear_pointer (&self->shared_pcap, g_free);
  g_mkdir_with_parents (dir, 0700);
  ms_demo_options_init (&opts);
  opts.kind = MS_DEMO_SHARED;
  opts.pcap_path = g_build_filename (dir, base, NULL);
  self->shared_pcap = g_strdup (opts.pcap_path);
  self->shared_demo = ms_demo_new (&opts, &callbacks, self, &error);
  ms_demo_options_clear (&opts);
  if (self->shared_demo == NULL)
    {
      g_clear_pointer (&self->shared_pcap, g_free);
      ms_window_toast (self, error->message);
      update_shared_actions (self);
      return;
    }
  ms_shared_view_start (self->shared_view, self->shared_demo, self->mask_secrets);
  adw_window_title_set_subtitle (self->window_title, _("Shared mailbox"));
  gtk_stack_set_visible_child_name (self->stack, "shared");
  ms_window_update_actions (self);
  update_shared_actions (self);
  ms_demo_start (self->shared_demo);
}

static void
shared_open_action (GtkWidget *w, const char *name, GVariant *param)
{
  MsWindow *self = MS_WINDOW (w);
  g_autoptr (GFile) file = NULL;

  if (self->shared_demo || self->shared_pcap == NULL)
    return;
  file = g_file_new_for_path (self->shared_pcap);
  ms_window_open_file (self, file);
}

void
ms_window_class_install_shared_actions (GtkWidgetClass *klass)
{
  gtk_widget_class_install_action (klass, "capture.shared-demo", NULL, shared_demo_action);
  gtk_widget_class_install_action (klass, "capture.shared-open", NULL, shared_open_action);
}

void
ms_window_init_shared (MsWindow *self)
{
  update_shared_actions (self);
}
