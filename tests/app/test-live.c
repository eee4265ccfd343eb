/* test-live.c - live capture in the real application under Xvfb:
 *   - capture.live-start captures "lo" with a filter while the lab's real
 *     servers and IMAP client talk; frames, events and the IMAP session
 *     appear while it runs, the live bar shows received/dropped, and after
 *     capture.stop the session stays open;
 *   - the live demo in step mode: each lesson.next lets the client run
 *     exactly one step, whose packets then arrive, and the step list grows;
 *   - capture.save-to writes a readable pcap, with the key log beside it
 *     when the demo used TLS, and copies an opened file;
 *   - the capture dialog lists loopback first and checks the filter; the
 *     permission dialog names the setcap command.
 * Capturing needs root or the installed helper: without either the capture
 * tests are skipped (CI runs as root).
 *
 * With MS_SCREENSHOT_DIR set, the dialog, a capture in progress and the
 * step-mode demo are saved there as PNG files. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <glib/gi18n-lib.h>

#include "lab/ms-demo.h"
#include "lab/ms-lab-server.h"
#include "app-test-util.h"
#include "ms-application.h"
#include "ms-capture-dialog.h"
#include "ms-window-private.h"

/* Seconds any one wait may take: loopback is fast, a loaded CI machine is
 * not. */
#define LIVE_TIMEOUT 120

static void
screenshot (GtkWidget *widget, const char *name)
{
  const char *dir = g_getenv ("MS_SCREENSHOT_DIR");
  g_autofree char *path = NULL;

  if (dir == NULL)
    return;
  app_test_run_for (300);
  path = g_build_filename (dir, name, NULL);
  app_test_save_screenshot (widget, path);
}

static MsWindow *
new_window (void)
{
  MsWindow *win = ms_window_new (GTK_APPLICATION (app_test_get_app ()));
  gtk_window_present (GTK_WINDOW (win));
  app_test_spin ();
  return win;
}

static const char *
label_text (MsWindow *win, const char *name)
{
  GObject *o = gtk_widget_get_template_child (GTK_WIDGET (win), MS_TYPE_WINDOW, name);
  return gtk_label_get_text (GTK_LABEL (o));
}

/* ---------------------------------------------------------------------- */
/* Capture from an interface                                               */

typedef struct {
  MsWindow *win;
  gboolean demo_done;
  guint max_live_frames;   /* frames shown while the capture still ran */
  guint max_live_events;
} CaptureRun;

static gboolean
opened_or_failed (gpointer data)
{
  CaptureRun *r = data;
  /* The busy page gives way to the session, or back to the start page. */
  return g_strcmp0 (ms_window_get_page (r->win), "loading") != 0;
}

static gboolean
traffic_done (gpointer data)
{
  CaptureRun *r = data;
  MsCapture *c = ms_window_get_capture (r->win);
  /* The client finished and its IMAP events were decoded. */
  return r->demo_done && c && r->max_live_events > 0
         && ms_capture_get_n_sessions (c) > 0;
}

static gboolean
capture_ended (gpointer data)
{
  MsWindow *win = data;
  MsCapture *c = ms_window_get_capture (win);
  return c && ms_capture_is_loaded (c) && !ms_window_is_live (win);
}

static void
on_progress (MsCapture *c, double f, guint first, guint n, CaptureRun *r)
{
  if (ms_capture_is_live (c))
    {
      r->max_live_frames = MAX (r->max_live_frames, ms_capture_get_n_frames (c));
      r->max_live_events = MAX (r->max_live_events, ms_capture_get_n_events (c));
    }
}

static void
on_traffic_finished (MsDemo *demo, const GError *error, gpointer data)
{
  CaptureRun *r = data;
  g_assert_no_error ((GError *) error);
  r->demo_done = TRUE;
}

static void
test_capture_lo (void)
{
  static const MsDemoCallbacks cb = { .finished = on_traffic_finished };
  CaptureRun r = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *filter = NULL;
  MsDemoOptions opts;
  MsDemo *traffic;
  MsCapture *c;
  gboolean imap = FALSE;
  guint16 imap_port, dns_port;

  r.win = new_window ();
  /* The traffic: the lab's servers and its IMAP client, not captured by
   * the demo itself. */
  ms_demo_options_init (&opts);
  opts.kind = MS_DEMO_IMAP;
  opts.no_capture = TRUE;
  traffic = ms_demo_new (&opts, &cb, &r, &error);
  ms_demo_options_clear (&opts);
  g_assert_no_error (error);
  filter = g_strdup_printf ("port %u or port %u", ms_demo_port (traffic, MS_LAB_IMAP),
                            ms_demo_port (traffic, MS_LAB_DNS));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (r.win), "capture.live-start",
                                             "(ss)", "lo", filter));
  app_test_wait_until (opened_or_failed, &r, LIVE_TIMEOUT, "opened or failed");
  if (!ms_window_is_live (r.win))
    {
      ms_demo_free (traffic);
      gtk_window_destroy (GTK_WINDOW (r.win));
      g_test_skip ("no permission to capture on lo here");
      return;
    }
  g_assert_cmpstr (ms_window_get_page (r.win), ==, "session");
  c = ms_window_get_capture (r.win);
  g_assert_true (ms_capture_is_live (c));
  g_signal_connect (c, "progress", G_CALLBACK (on_progress), &r);

  ms_demo_start (traffic);
  app_test_wait_until (traffic_done, &r, LIVE_TIMEOUT, "traffic done");
  /* Frames and events appeared while capturing, not only at the end. */
  g_assert_cmpuint (r.max_live_frames, >, 10);
  g_assert_cmpuint (r.max_live_events, >, 0);
  /* The live bar counts what the kernel received and dropped. */
  g_assert_nonnull (strstr (label_text (r.win, "live_stats"), "dropped"));
  g_assert_nonnull (strstr (label_text (r.win, "live_stats"), filter));
  screenshot (GTK_WIDGET (r.win), "live-capture.png");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (r.win), "capture.stop", NULL));
  app_test_wait_until (capture_ended, r.win, LIVE_TIMEOUT, "capture ended");
  imap_port = ms_demo_port (traffic, MS_LAB_IMAP);
  dns_port = ms_demo_port (traffic, MS_LAB_DNS);
  ms_demo_free (traffic);

  /* The session stays viewable: an IMAP session, only filtered frames. */
  g_assert_cmpstr (ms_window_get_page (r.win), ==, "session");
  g_assert_true (ms_session_view_get_capture (ms_window_get_session_view (r.win)) == c);
  g_assert_true (ms_capture_get_stats (c, NULL, NULL));
  for (guint i = 0; i < ms_capture_get_n_sessions (c); i++)
    imap |= ms_capture_get_session (c, i)->proto == MS_PROTO_IMAP;
  g_assert_true (imap);
  g_assert_cmpuint (ms_session_view_get_n_steps (ms_window_get_session_view (r.win)), >=, 5);
  /* The filter held: every frame is to or from the lab's ports. */
  for (guint i = 0; i < ms_capture_get_n_frames (c); i++)
    {
      const MsFrameRecord *rec = ms_capture_get_frame (c, i);
      const MsAddr *s = ms_capture_get_addr (c, rec->src);
      const MsAddr *d = ms_capture_get_addr (c, rec->dst);
      g_assert_nonnull (s);
      g_assert_nonnull (d);
      g_assert_true (s->port == imap_port || d->port == imap_port || s->port == dns_port
                     || d->port == dns_port);
    }
  /* A frame's bytes come back for the detail view. */
  {
    g_autoptr (GBytes) bytes = ms_capture_read_frame (c, 0, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (g_bytes_get_size (bytes), ==, ms_capture_get_frame (c, 0)->caplen);
  }
  gtk_window_destroy (GTK_WINDOW (r.win));
}

/* ---------------------------------------------------------------------- */
/* The live demo, one step at a time                                       */

static gboolean
demo_waiting_or_over (gpointer data)
{
  MsWindow *win = data;
  return ms_window_live_can_next (win) || ms_window_get_live_demo (win) == NULL;
}

typedef struct {
  MsWindow *win;
  guint frames;
} FrameWait;

static gboolean
more_frames (gpointer data)
{
  FrameWait *f = data;
  return ms_capture_get_n_frames (ms_window_get_capture (f->win)) > f->frames;
}

static void
test_demo_steps (void)
{
  MsWindow *win = new_window ();
  MsSessionView *view = ms_window_get_session_view (win);
  guint steps = 0, max_view_steps = 0;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "capture.live-demo", NULL));
  if (ms_window_get_live_demo (win) == NULL)
    {
      gtk_window_destroy (GTK_WINDOW (win));
      g_test_skip ("the demo could not capture here");
      return;
    }
  g_assert_cmpstr (ms_window_get_page (win), ==, "session");
  app_test_wait_until (demo_waiting_or_over, win, LIVE_TIMEOUT, "demo waiting or over");
  g_assert_true (ms_window_live_can_next (win));
  g_assert_cmpuint (ms_window_live_announced (win), ==, 1);
  g_assert_nonnull (strstr (label_text (win, "live_step_title"),
                            ms_lesson_step_title (MS_STEP_DNS)));
  screenshot (GTK_WIDGET (win), "live-demo-step.png");

  while (ms_window_get_live_demo (win) != NULL)
    {
      guint before = ms_window_live_announced (win);
      FrameWait f = { win, ms_capture_get_n_frames (ms_window_get_capture (win)) };
      /* Reading the greeting sends nothing: the server sent it on connect. */
      gboolean sends = ms_window_live_next_step (win) != MS_STEP_GREETING;

      g_assert_true (ms_window_live_can_next (win));
      g_test_message ("step %u: %s (%u frames so far)", before,
                      label_text (win, "live_step_description"), f.frames);
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "lesson.next", NULL));
      g_assert_false (ms_window_live_can_next (win));
      /* The client stops at its next step (or the demo ends)... */
      app_test_wait_until (demo_waiting_or_over, win, LIVE_TIMEOUT, "demo waiting or over");
      /* ...and the packets of the step it ran arrive. */
      if (sends)
        app_test_wait_until (more_frames, &f, LIVE_TIMEOUT, "more frames");
      if (ms_window_get_live_demo (win) != NULL)
        {
          app_test_run_for (200);
          /* Exactly one step ran: one more announced, and it waits. */
          g_assert_cmpuint (ms_window_live_announced (win), ==, before + 1);
          g_assert_true (ms_window_live_can_next (win));
          max_view_steps = MAX (max_view_steps, ms_session_view_get_n_steps (view));
          /* The view follows the newest step. */
          g_assert_cmpuint (ms_session_view_get_position (view) + 1, ==,
                            ms_session_view_get_n_steps (view));
          if (steps == 4)
            screenshot (GTK_WIDGET (win), "live-demo-step5.png");
        }
      steps++;
      g_assert_cmpuint (steps, <, 40);
    }
  app_test_wait_until (capture_ended, win, LIVE_TIMEOUT, "capture ended");
  /* The step list grew while stepping and the lesson is whole. */
  g_assert_cmpuint (steps, >=, 6);
  g_assert_cmpuint (max_view_steps, >=, 4);
  g_assert_cmpuint (ms_session_view_get_n_steps (view), >=, max_view_steps);
  ms_session_view_step_last (view);
  g_assert_cmpuint (ms_session_view_get_current_step (view), ==, MS_STEP_CLOSE);
  gtk_window_destroy (GTK_WINDOW (win));
}

/* Opening a file while the demo runs ends the demo and shows the file. */
static void
test_open_while_live (void)
{
  MsWindow *win = new_window ();
  g_autofree char *sample = g_build_filename (g_getenv ("MS_SOURCE_ROOT"), "samples",
                                              "imap-idle-partial.pcap", NULL);
  g_autoptr (GFile) file = g_file_new_for_path (sample);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "capture.live-demo", NULL));
  app_test_wait_until (demo_waiting_or_over, win, LIVE_TIMEOUT, "demo waiting or over");
  ms_window_open_file (win, file);
  g_assert_false (ms_window_is_live (win));
  g_assert_null (ms_window_get_live_demo (win));
  app_test_wait_until (capture_ended, win, LIVE_TIMEOUT, "capture ended");
  g_assert_cmpstr (ms_window_get_page (win), ==, "session");
  g_assert_cmpstr (ms_capture_get_title (ms_window_get_capture (win)), ==,
                   "imap-idle-partial.pcap");
  g_assert_cmpuint (ms_session_view_get_n_steps (ms_window_get_session_view (win)), ==, 10);
  gtk_window_destroy (GTK_WINDOW (win));
}

/* ---------------------------------------------------------------------- */
/* Save                                                                    */

typedef struct {
  MsWindow *win;
} SaveWait;

static gboolean
save_enabled (gpointer data)
{
  MsWindow *win = data;
  return g_object_get_data (G_OBJECT (win), "mailscope-saving") == NULL;
}

static guint
count_frames (const char *path)
{
  g_autoptr (GError) error = NULL;
  MsSource *src = ms_source_open_file (path, &error);
  MsFrame frame;
  guint n = 0;

  g_assert_no_error (error);
  while (ms_source_next (src, &frame, &error) == 1)
    n++;
  g_assert_no_error (error);
  ms_source_close (src);
  return n;
}

static void
test_save (void)
{
  MsWindow *win = new_window ();
  g_autofree char *dir = g_dir_make_tmp ("ms-live-XXXXXX", NULL);
  g_autofree char *pcap = g_build_filename (dir, "tls-demo.pcap", NULL);
  g_autofree char *keylog = g_build_filename (dir, "tls-demo.keylog", NULL);
  g_autofree char *copy = g_build_filename (dir, "copy.pcap", NULL);
  g_autofree char *copy_keylog = g_build_filename (dir, "copy.keylog", NULL);
  g_autofree char *sample = g_build_filename (g_getenv ("MS_SOURCE_ROOT"), "samples",
                                              "imap-idle-partial.pcap", NULL);
  g_autofree char *text = NULL;
  g_autofree char *a = NULL, *b = NULL;
  gsize la, lb;
  MsCapture *c;

  /* The IMAP demo over TLS, run through without waiting. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "capture.start-demo", "s",
                                             "imap+tls:run"));
  if (ms_window_get_live_demo (win) == NULL)
    {
      gtk_window_destroy (GTK_WINDOW (win));
      g_test_skip ("the demo could not capture here");
      return;
    }
  /* Not while it runs: nothing is written. */
  gtk_widget_activate_action (GTK_WIDGET (win), "capture.save-to", "s", pcap);
  app_test_run_for (200);
  g_assert_false (g_file_test (pcap, G_FILE_TEST_EXISTS));
  app_test_wait_until (capture_ended, win, LIVE_TIMEOUT, "capture ended");
  c = ms_window_get_capture (win);
  g_assert_cmpuint (ms_capture_get_n_frames (c), >, 10);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "capture.save-to", "s", pcap));
  app_test_wait_until (save_enabled, win, LIVE_TIMEOUT, "save enabled");
  g_assert_cmpuint (count_frames (pcap), ==, ms_capture_get_n_frames (c));
  g_assert_true (g_file_get_contents (keylog, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "CLIENT_"));

  /* An opened file is copied as it is, without a key log. */
  gtk_window_destroy (GTK_WINDOW (win));
  win = new_window ();
  {
    g_autoptr (GFile) file = g_file_new_for_path (sample);
    ms_window_open_file (win, file);
  }
  app_test_wait_until (capture_ended, win, LIVE_TIMEOUT, "capture ended");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "capture.save-to", "s", copy));
  app_test_wait_until (save_enabled, win, LIVE_TIMEOUT, "save enabled");
  g_assert_true (g_file_get_contents (sample, &a, &la, NULL));
  g_assert_true (g_file_get_contents (copy, &b, &lb, NULL));
  g_assert_cmpmem (a, la, b, lb);
  g_assert_false (g_file_test (copy_keylog, G_FILE_TEST_EXISTS));

  g_unlink (pcap);
  g_unlink (keylog);
  g_unlink (copy);
  g_rmdir (dir);
  gtk_window_destroy (GTK_WINDOW (win));
}

/* ---------------------------------------------------------------------- */
/* Frames past the memory cap                                              */

#define BIG_FRAME (256 * 1024)
/* Frames pushed before waiting for the worker: 8 MiB, half the queue's cap,
 * so none is dropped however slow the machine. */
#define BIG_CHUNK 32

typedef struct {
  MsCapture *capture;
  guint want;
} CountWait;

static gboolean
has_frames (gpointer data)
{
  CountWait *w = data;
  return ms_capture_get_n_frames (w->capture) >= w->want;
}

static gboolean
loaded (gpointer data)
{
  return ms_capture_is_loaded (data);
}

/* A handed-over capture larger than MS_CAPTURE_LIVE_MAX_MEMORY: frames
 * inside the cap come from memory, later ones from the pcap it wrote, and
 * every byte comes back as it was captured. */
static void
test_memory_cap (void)
{
  g_autofree char *dir = g_dir_make_tmp ("ms-live-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "big.pcap", NULL);
  g_autofree guint8 *data = g_malloc (BIG_FRAME);
  g_autoptr (GError) error = NULL;
  guint n = MS_CAPTURE_LIVE_MAX_MEMORY / BIG_FRAME + 40;
  MsCapture *c = ms_capture_new_live ("big", path, NULL);
  guint64 received, dropped;
  CountWait w = { c, 0 };

  g_assert_true (ms_capture_start_frames (c, &error));
  g_assert_true (ms_capture_is_live (c));
  for (guint i = 0; i < n; i++)
    {
      MsFrame f = { 0 };

      memset (data, (int) (i & 0xff), BIG_FRAME);
      f.number = i + 1;
      f.ts_nsec = G_GINT64_CONSTANT (1700000000000000000) + i * 1000;
      f.data = data;
      f.caplen = f.len = BIG_FRAME;
      f.linktype = MS_LINK_ETHERNET;
      f.file_offset = -1;
      ms_capture_push_frame (c, &f);
      if ((i + 1) % BIG_CHUNK == 0)
        {
          w.want = i + 1;
          app_test_wait_until (has_frames, &w, LIVE_TIMEOUT, "has frames");
        }
    }
  ms_capture_stop (c);
  app_test_wait_until (loaded, c, LIVE_TIMEOUT, "loaded");
  g_assert_false (ms_capture_is_live (c));
  g_assert_cmpuint (ms_capture_get_n_frames (c), ==, n);
  g_assert_true (ms_capture_get_stats (c, &received, &dropped));
  g_assert_cmpuint (received, ==, n);
  g_assert_cmpuint (dropped, ==, 0);
  /* More than the cap was captured, and every frame reads back. */
  g_assert_cmpuint ((guint64) n * BIG_FRAME, >, MS_CAPTURE_LIVE_MAX_MEMORY);
  for (guint i = 0; i < n; i += 7)
    {
      g_autoptr (GBytes) bytes = ms_capture_read_frame (c, i, &error);
      const guint8 *p;
      gsize len;

      g_assert_no_error (error);
      p = g_bytes_get_data (bytes, &len);
      g_assert_cmpuint (len, ==, BIG_FRAME);
      g_assert_cmpuint (p[0], ==, i & 0xff);
      g_assert_cmpuint (p[BIG_FRAME - 1], ==, i & 0xff);
    }
  /* The file is a pcap any reader takes, with every frame. */
  g_assert_cmpuint (count_frames (path), ==, n);
  g_object_unref (c);
  g_unlink (path);
  g_rmdir (dir);
}

/* ---------------------------------------------------------------------- */
/* Dialogs                                                                 */

static gboolean
listed (gpointer data)
{
  return ms_capture_dialog_get_n_interfaces (data) > 0;
}

static void
on_start (MsCaptureDialog *dialog, const char *iface, const char *filter, char **out)
{
  *out = g_strdup_printf ("%s|%s", iface, filter);
}

static void
test_dialog (void)
{
  MsWindow *win = new_window ();
  MsCaptureDialog *dialog = ms_capture_dialog_new (GTK_WINDOW (win));
  g_autofree char *started = NULL;

  gtk_window_present (GTK_WINDOW (dialog));
  app_test_wait_until (listed, dialog, LIVE_TIMEOUT, "listed");
  /* Loopback first. */
  g_assert_cmpstr (ms_capture_dialog_get_interface (dialog), ==, "lo");
  /* The mail filter is offered and compiles. */
  g_assert_null (ms_capture_dialog_get_filter_error (dialog));
  screenshot (GTK_WIDGET (dialog), "capture-dialog.png");
  ms_capture_dialog_set_filter (dialog, "port nonsense");
  g_assert_nonnull (ms_capture_dialog_get_filter_error (dialog));
  g_assert_false (ms_capture_dialog_start (dialog));
  ms_capture_dialog_set_filter (dialog, "tcp port 143");
  g_assert_null (ms_capture_dialog_get_filter_error (dialog));
  g_signal_connect (dialog, "start", G_CALLBACK (on_start), &started);
  g_assert_true (ms_capture_dialog_start (dialog));
  g_assert_cmpstr (started, ==, "lo|tcp port 143");
  gtk_window_destroy (GTK_WINDOW (win));
}

static void
test_permission_dialog (void)
{
  MsWindow *win = new_window ();
  g_autoptr (GError) error = g_error_new_literal (MS_SOURCE_ERROR, MS_SOURCE_ERROR_PERMISSION,
                                                  "no permission to capture on lo");
  GListModel *tops = gtk_window_get_toplevels ();
  AdwMessageDialog *found = NULL;

  ms_window_show_capture_error (win, error);
  app_test_spin ();
  for (guint i = 0; i < g_list_model_get_n_items (tops); i++)
    {
      g_autoptr (GObject) o = g_list_model_get_item (tops, i);
      if (ADW_IS_MESSAGE_DIALOG (o) && gtk_widget_has_css_class (GTK_WIDGET (o), "capture-error"))
        found = ADW_MESSAGE_DIALOG (o);
    }
  g_assert_nonnull (found);
  g_assert_nonnull (strstr (adw_message_dialog_get_body (found), "setcap"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (found), ms_capture_helper_path ()));
  screenshot (GTK_WIDGET (found), "capture-permission.png");
  gtk_window_destroy (GTK_WINDOW (found));
  gtk_window_destroy (GTK_WINDOW (win));
}

int
main (int argc, char **argv)
{
  app_test_init (&argc, &argv);

  g_test_add_func ("/app/live/dialog", test_dialog);
  g_test_add_func ("/app/live/permission-dialog", test_permission_dialog);
  g_test_add_func ("/app/live/capture-lo", test_capture_lo);
  g_test_add_func ("/app/live/demo-steps", test_demo_steps);
  g_test_add_func ("/app/live/open-while-live", test_open_while_live);
  g_test_add_func ("/app/live/save", test_save);
  g_test_add_func ("/app/live/memory-cap", test_memory_cap);
  return app_test_run ();
}
