/* ms-window-compare.c - the window's "compare" page: view.compare (the
 * window's "compare" property) switches the stack between the opened
 * capture and its IMAP-versus-POP3 comparison and back; capture.compare-demo
 * runs the lab's comparison demo (the same task over IMAP and over POP3),
 * opens the capture it wrote and shows the comparison. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "lab/ms-demo.h"
#include "ms-compare-view.h"
#include "ms-window-private.h"

struct _MsWindowCompare
{
  MsDemo *demo;          /* the comparison demo while it runs */
  char *demo_pcap;       /* what it writes */
  MsCapture *awaited;    /* the demo's capture, shown as a comparison once loaded */
  char *return_page;     /* the page to go back to */
  gboolean shown;
};

MsCompareView *
ms_window_get_compare_view (MsWindow *self)
{
  return self->compare_view;
}

static const char *
visible_page (MsWindow *self)
{
  return gtk_stack_get_visible_child_name (self->stack);
}

static void
update_compare_actions (MsWindow *self)
{
  GtkWidget *w = GTK_WIDGET (self);
  gboolean can = ms_compare_view_can_compare (self->capture);
  GtkWidget *button = GTK_WIDGET (gtk_widget_get_template_child (w, MS_TYPE_WINDOW, "compare_button"));

  gtk_widget_action_set_enabled (w, "capture.compare-demo", self->compare->demo == NULL);
  gtk_widget_action_set_enabled (w, "view.compare", can);
  if (button)
    gtk_widget_set_visible (button, can);
}

gboolean
ms_window_get_compare_shown (MsWindow *self)
{
  return self->compare && self->compare->shown;
}

/* The "compare" property: shows the comparison of the opened capture, or
 * goes back to the page shown before. Returns TRUE when it changed. */
gboolean
ms_window_set_compare_shown (MsWindow *self, gboolean shown)
{
  MsWindowCompare *wc = self->compare;

  if (shown == wc->shown)
    return FALSE;
  if (shown)
    {
      if (!ms_compare_view_can_compare (self->capture))
        return FALSE;
      g_free (wc->return_page);
      wc->return_page = g_strdup (visible_page (self));
      wc->shown = TRUE;
      ms_compare_view_set_capture (self->compare_view, self->capture);
      gtk_stack_set_visible_child_name (self->stack, "compare");
    }
  else
    {
      wc->shown = FALSE;
      if (g_strcmp0 (visible_page (self), "compare") == 0)
        gtk_stack_set_visible_child_name (self->stack,
                                          wc->return_page ? wc->return_page : "session");
    }
  ms_window_update_actions (self);
  return TRUE;
}

/* Another page came up (a capture opened, an error): the comparison is no
 * longer shown. */
static void
on_page_changed (GtkStack *stack, GParamSpec *pspec, MsWindow *self)
{
  if (self->compare->shown && g_strcmp0 (visible_page (self), "compare") != 0)
    {
      self->compare->shown = FALSE;
      g_object_notify (G_OBJECT (self), "compare");
    }
  update_compare_actions (self);
}

/* An evidence line asks for its frame: back to the session view, on that
 * session, with the frame selected. */
static void
on_show_frame (MsCompareView *view, guint session, guint frame, MsWindow *self)
{
  g_object_set (self, "compare", FALSE, NULL);
  if (g_strcmp0 (visible_page (self), "session") != 0)
    return;
  gtk_widget_activate_action (GTK_WIDGET (self), "lesson.session", "u", session);
  /* The list shows the current step: go to the step the frame belongs to. */
  {
    MsSessionView *sv = self->session_view;
    gint index = ms_capture_frame_index (self->capture, frame);
    MsStep step = index >= 0 ? ms_capture_get_frame (self->capture, (guint) index)->step
                             : MS_STEP_NONE;
    guint was = ms_session_view_get_position (sv);
    guint n = ms_session_view_get_n_steps (sv);
    guint p = 0;

    while (p < n && step != MS_STEP_NONE)
      {
        ms_session_view_set_position (sv, p);
        if (ms_session_view_get_current_step (sv) == step)
          break;
        p++;
      }
    if (p >= n || step == MS_STEP_NONE)
      ms_session_view_set_position (sv, was);
  }
  ms_session_view_select_frame (self->session_view, frame);
  ms_window_update_actions (self);
}

/* ---------------------------------------------------------------------- */
/* The demo                                                               */

void
ms_window_stop_compare_demo (MsWindow *self)
{
  MsWindowCompare *wc = self->compare;

  if (wc == NULL)
    return;
  if (wc->demo)
    ms_demo_free (g_steal_pointer (&wc->demo));
  g_clear_pointer (&wc->demo_pcap, g_free);
  g_clear_object (&wc->awaited);
}

static void
on_demo_events (MsDemo *demo, MsEvent *const *events, guint n, gpointer data)
{
  MsWindow *self = data;
  gtk_progress_bar_pulse (self->progress_bar);
}

/* The demo's capture has been read: show it compared. */
static void
on_awaited_loaded (MsCapture *capture, const char *warning, MsWindow *self)
{
  MsWindowCompare *wc = self->compare;

  if (capture != wc->awaited)
    return;
  g_clear_object (&wc->awaited);
  if (capture == self->capture && ms_compare_view_can_compare (capture))
    g_object_set (self, "compare", TRUE, NULL);
}

typedef struct {
  MsWindow *self;
  char *error;   /* why the demo failed or captured nothing, or NULL */
} DemoOutcome;

/* Freeing the demo closes its capture file; then it opens like any other. */
static gboolean
demo_done_idle (gpointer data)
{
  DemoOutcome *o = data;
  MsWindow *self = o->self;
  MsWindowCompare *wc = self->compare;
  g_autofree char *pcap = g_steal_pointer (&wc->demo_pcap);

  if (wc->demo)
    ms_demo_free (g_steal_pointer (&wc->demo));
  if (o->error)
    {
      if (pcap)
        g_unlink (pcap);
      adw_status_page_set_description (self->error_page, o->error);
      gtk_stack_set_visible_child_name (self->stack, "error");
    }
  else if (pcap)
    {
      g_autoptr (GFile) file = g_file_new_for_path (pcap);
      ms_window_open_file (self, file);
      g_set_object (&wc->awaited, self->capture);
      if (self->capture)
        g_signal_connect_object (self->capture, "loaded", G_CALLBACK (on_awaited_loaded), self,
                                 G_CONNECT_AFTER);
    }
  update_compare_actions (self);
  ms_window_update_actions (self);
  g_object_unref (o->self);
  g_free (o->error);
  g_free (o);
  return G_SOURCE_REMOVE;
}

/* The demo cannot be freed from its own callback: finish in an idle. */
static void
on_demo_finished (MsDemo *demo, const GError *error, gpointer data)
{
  DemoOutcome *o = g_new0 (DemoOutcome, 1);

  o->self = g_object_ref (data);
  if (error)
    o->error = g_strdup (error->message);
  else if (ms_demo_capture_mode (demo) == MS_CAPTURE_NONE)
    o->error = g_strdup (ms_demo_capture_reason (demo) ? ms_demo_capture_reason (demo)
                                                       : _("The demo ran, but nothing could be captured."));
  g_idle_add (demo_done_idle, o);
}

static void
compare_demo_action (GtkWidget *w, const char *name, GVariant *param)
{
  MsWindow *self = MS_WINDOW (w);
  MsWindowCompare *wc = self->compare;
  static const MsDemoCallbacks callbacks = {
    .events = on_demo_events,
    .finished = on_demo_finished,
  };
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "mailscope", NULL);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *base = g_strdup_printf ("compare-demo-%s.pcap", stamp);
  g_autoptr (GError) error = NULL;
  MsDemoOptions opts;

  if (wc->demo)
    return;
  g_clear_object (&wc->awaited);
  g_mkdir_with_parents (dir, 0700);
  ms_demo_options_init (&opts);
  opts.kind = MS_DEMO_COMPARE;
  opts.pcap_path = g_build_filename (dir, base, NULL);
  wc->demo_pcap = g_strdup (opts.pcap_path);
  wc->demo = ms_demo_new (&opts, &callbacks, self, &error);
  ms_demo_options_clear (&opts);
  if (wc->demo == NULL)
    {
      g_clear_pointer (&wc->demo_pcap, g_free);
      ms_window_toast (self, error->message);
      return;
    }
  ms_window_show_busy (self, _("Running the comparison: the lab’s IMAP client and POP3 client do the same task on one mailbox…"));
  update_compare_actions (self);
  ms_demo_start (wc->demo);
}

/* ---------------------------------------------------------------------- */
/* Set-up                                                                 */

void
ms_window_class_install_compare (GtkWidgetClass *klass)
{
  g_type_ensure (MS_TYPE_COMPARE_VIEW);
  gtk_widget_class_bind_template_child_full (klass, "compare_view", FALSE,
                                             G_STRUCT_OFFSET (MsWindow, compare_view));
  /* Looked up with gtk_widget_get_template_child(), not stored. */
  gtk_widget_class_bind_template_child_full (klass, "compare_button", FALSE, 0);
  gtk_widget_class_install_action (klass, "capture.compare-demo", NULL, compare_demo_action);
  gtk_widget_class_install_property_action (klass, "view.compare", "compare");
}

void
ms_window_init_compare (MsWindow *self)
{
  self->compare = g_new0 (MsWindowCompare, 1);
  g_signal_connect (self->stack, "notify::visible-child-name", G_CALLBACK (on_page_changed), self);
  g_signal_connect (self->compare_view, "show-frame", G_CALLBACK (on_show_frame), self);
  update_compare_actions (self);
}

void
ms_window_dispose_compare (MsWindow *self)
{
  if (self->compare == NULL)
    return;
  if (self->stack)
    g_signal_handlers_disconnect_by_func (self->stack, on_page_changed, self);
  ms_window_stop_compare_demo (self);
  g_free (self->compare->return_page);
  g_clear_pointer (&self->compare, g_free);
}
