/* test-e2e.c - the real application under Xvfb: opens a sample capture as
 * `mailscope FILE` would, steps through every step forward and back with
 * the window's actions, exports the diagram and the handout, shows a big
 * capture while the rest of it is indexed, and opens a file that is not a
 * capture. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <glib/gi18n-lib.h>
#include <pcap/pcap.h>

#include "mailscope/ms-source.h"
#include "mailscope/ms-lesson.h"
#include "app-test-util.h"
#include "ms-application.h"
#include "ms-window.h"
#include "ms-session-view.h"

/* Seconds to wait for a capture to load before failing. */
#define E2E_TIMEOUT 30

static guint
visible_rows (MsSessionView *view)
{
  return ms_packet_list_get_n_visible (ms_session_view_get_packet_list (view));
}

static guint
arrows (MsSessionView *view)
{
  return ms_ladder_get_n_arrows (ms_session_view_get_ladder (view));
}

static void
test_lesson (void)
{
  MsWindow *win = app_test_open_sample ("imap-idle-partial.pcap");
  MsSessionView *view;
  g_autofree char *dir = g_dir_make_tmp ("ms-e2e-XXXXXX", NULL);
  g_autofree char *png = g_build_filename (dir, "diagram.png", NULL);
  g_autofree char *md = g_build_filename (dir, "lesson.md", NULL);
  guint n, rows[16], arrow_count[16];
  static const MsStep expected[] = {
    MS_STEP_DNS, MS_STEP_CONNECT, MS_STEP_GREETING, MS_STEP_NEGOTIATE, MS_STEP_LOGIN,
    MS_STEP_LIST, MS_STEP_FETCH, MS_STEP_REFRESH, MS_STEP_LOGOUT, MS_STEP_CLOSE,
  };

  g_assert_cmpstr (ms_window_get_page (win), ==, "loading");
  app_test_wait_for_page (win, "session", NULL, E2E_TIMEOUT);
  view = ms_window_get_session_view (win);
  n = ms_session_view_get_n_steps (view);
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (expected));

  /* Forward with lesson.next, as Space does. */
  for (guint k = 0; k < n; k++)
    {
      g_assert_cmpuint (ms_session_view_get_position (view), ==, k);
      g_assert_cmpuint (ms_session_view_get_current_step (view), ==, expected[k]);
      rows[k] = visible_rows (view);
      arrow_count[k] = arrows (view);
      if (k > 0)
        {
          g_assert_cmpuint (rows[k], >, rows[k - 1]);
          g_assert_cmpuint (arrow_count[k], >, arrow_count[k - 1]);
        }
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "lesson.next", NULL));
      while (g_main_context_pending (NULL))
        g_main_context_iteration (NULL, FALSE);
    }
  /* lesson.next at the end is disabled and changes nothing. */
  g_assert_cmpuint (ms_session_view_get_position (view), ==, n - 1);
  g_assert_cmpuint (rows[n - 1], ==, 43);

  /* Back again, one step at a time (Backspace). */
  for (guint k = n - 1; k > 0; k--)
    {
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "lesson.back", NULL));
      g_assert_cmpuint (ms_session_view_get_position (view), ==, k - 1);
      g_assert_cmpuint (visible_rows (view), ==, rows[k - 1]);
      g_assert_cmpuint (arrows (view), ==, arrow_count[k - 1]);
    }
  g_assert_cmpuint (ms_session_view_get_current_step (view), ==, MS_STEP_DNS);

  /* End and Home. */
  gtk_widget_activate_action (GTK_WIDGET (win), "lesson.last", NULL);
  g_assert_cmpuint (ms_session_view_get_current_step (view), ==, MS_STEP_CLOSE);
  g_assert_cmpuint (visible_rows (view), ==, 43);

  /* The exported diagram holds every arrow at the slide width. */
  gtk_widget_activate_action (GTK_WIDGET (win), "capture.export-diagram-to", "s", png);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GdkTexture) tex = gdk_texture_new_from_filename (png, &error);
    g_assert_no_error (error);
    g_assert_cmpint (gdk_texture_get_width (tex), ==, 1100);
    /* a row per arrow plus the lane titles */
    g_assert_cmpint (gdk_texture_get_height (tex), >, (int) arrows (view) * 20);
  }
  gtk_widget_activate_action (GTK_WIDGET (win), "lesson.first", NULL);
  g_assert_cmpuint (ms_session_view_get_position (view), ==, 0);

  /* The handout, secrets masked. */
  g_object_set (win, "mask-secrets", TRUE, NULL);
  gtk_widget_activate_action (GTK_WIDGET (win), "capture.export-handout-to", "s", md);
  {
    g_autofree char *text = NULL;
    g_assert_true (g_file_get_contents (md, &text, NULL, NULL));
    g_assert_true (g_str_has_prefix (text, "# "));
    g_assert_null (strstr (text, "classroom"));
    g_assert_nonnull (strstr (text, "### 10. "));
  }

  /* Play advances by itself; pause stops it. */
  gtk_widget_activate_action (GTK_WIDGET (win), "lesson.play", NULL);
  g_assert_true (ms_session_view_get_playing (view));
  gtk_widget_activate_action (GTK_WIDGET (win), "lesson.play", NULL);
  g_assert_false (ms_session_view_get_playing (view));

  g_unlink (png);
  g_unlink (md);
  g_rmdir (dir);
  gtk_window_destroy (GTK_WINDOW (win));
}

/* Writes `copies` copies of sample `name`, one after the other, to `path`. */
static void
write_repeated_capture (const char *name, const char *path, guint copies)
{
  g_autofree char *sample = g_build_filename (g_getenv ("MS_SOURCE_ROOT"), "samples", name, NULL);
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t *in = pcap_open_offline (sample, errbuf);
  pcap_dumper_t *out;

  g_assert_nonnull (in);
  out = pcap_dump_open (in, path);
  g_assert_nonnull (out);
  for (guint k = 0; k < copies; k++)
    {
      struct pcap_pkthdr *hdr;
      const u_char *data;

      if (k > 0)
        {
          pcap_close (in);
          in = pcap_open_offline (sample, errbuf);
          g_assert_nonnull (in);
        }
      while (pcap_next_ex (in, &hdr, &data) == 1)
        pcap_dump ((u_char *) out, hdr, data);
    }
  pcap_dump_close (out);
  pcap_close (in);
}

typedef struct {
  MsWindow *win;
  gboolean loaded;
  gboolean shown_early;   /* the session page was on screen before "loaded" */
  gboolean was_loading;   /* the capture said so then */
  guint frames_shown;     /* frames indexed when it first was */
  double progress;        /* the session view's bar then */
  guint session;          /* the session and step shown then, after one step on */
  guint n_steps;
  guint position;
  MsStep step;
} BigOpen;

/* Connected after the window's handler: sees the page it left. Several
 * batches may arrive in one main-loop iteration, so what the student sees
 * and does while the file is indexed happens here, between two of them. */
static void
on_big_progress (MsCapture *capture, double fraction, guint first, guint n, BigOpen *o)
{
  MsSessionView *view = ms_window_get_session_view (o->win);

  if (o->loaded || o->shown_early || g_strcmp0 (ms_window_get_page (o->win), "session") != 0)
    return;
  o->shown_early = TRUE;
  o->was_loading = ms_capture_is_loading (capture);
  o->frames_shown = ms_capture_get_n_frames (capture);
  o->progress = ms_session_view_get_progress (view);
  o->session = ms_session_view_get_session (view);
  o->n_steps = ms_session_view_get_n_steps (view);
  /* The student steps on while the rest is read. */
  if (gtk_widget_activate_action (GTK_WIDGET (o->win), "lesson.next", NULL))
    {
      o->position = ms_session_view_get_position (view);
      o->step = ms_session_view_get_current_step (view);
    }
}

static void
on_big_loaded (MsCapture *capture, const char *warning, BigOpen *o)
{
  o->loaded = TRUE;
}

/* A capture of many batches: the lesson is on screen before the whole file
 * is indexed, with the progress shown; it keeps its session and step while
 * the rest arrives, and the frames keep growing. */
static void
test_big_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("ms-e2e-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "repeated.pcap", NULL);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  GtkWindow *win = GTK_WINDOW (ms_window_new (GTK_APPLICATION (app_test_get_app ())));
  BigOpen o = { MS_WINDOW (win) };
  gint64 end = g_get_monotonic_time () + E2E_TIMEOUT * G_USEC_PER_SEC;
  MsSessionView *view = ms_window_get_session_view (o.win);
  MsCapture *capture;

  /* 43 frames a copy: some 17,000 frames, several batches. */
  write_repeated_capture ("imap-idle-partial.pcap", path, 400);
  gtk_window_present (win);
  ms_window_open_file (o.win, file);
  capture = ms_window_get_capture (o.win);
  g_signal_connect (capture, "progress", G_CALLBACK (on_big_progress), &o);
  g_signal_connect (capture, "loaded", G_CALLBACK (on_big_loaded), &o);
  g_assert_cmpstr (ms_window_get_page (o.win), ==, "loading");

  while (!o.loaded)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, TRUE);
    }
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);

  /* Shown while indexing, once a batch held the IMAP session. */
  g_assert_true (o.shown_early);
  g_assert_true (o.was_loading);
  g_assert_cmpfloat (o.progress, >=, 0);
  g_assert_cmpfloat (o.progress, <, 1);
  g_assert_cmpuint (o.frames_shown, <, 400 * 43);
  g_assert_cmpuint (o.session, !=, 0);
  g_assert_cmpint (ms_capture_find_session (capture, o.session)->proto, ==, MS_PROTO_IMAP);
  g_assert_cmpuint (o.n_steps, >=, 2);
  g_assert_cmpuint (o.position, ==, 1);

  /* Every frame is in, the bar is gone, the lesson stayed where it was. */
  g_assert_cmpuint (ms_capture_get_n_frames (capture), ==, 400 * 43);
  g_assert_cmpuint (ms_capture_get_n_frames (capture), >, o.frames_shown);
  g_assert_cmpstr (ms_window_get_page (o.win), ==, "session");
  g_assert_cmpfloat (ms_session_view_get_progress (view), <, 0);
  g_assert_cmpuint (ms_session_view_get_session (view), ==, o.session);
  g_assert_cmpuint (ms_session_view_get_position (view), ==, 1);
  g_assert_cmpuint (ms_session_view_get_current_step (view), ==, o.step);
  g_assert_cmpuint (ms_session_view_get_n_steps (view), ==, 10);
  g_assert_cmpuint (ms_packet_list_get_n_visible (ms_session_view_get_packet_list (view)), >, 0);

  g_signal_handlers_disconnect_by_data (capture, &o);
  gtk_window_destroy (win);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_bad_file (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("MS_SOURCE_ROOT"), "samples", "README.md", NULL);
  g_autoptr (GError) error = NULL;
  MsWindow *win = app_test_open_sample ("README.md");

  app_test_wait_for_page (win, "error", NULL, E2E_TIMEOUT);
  g_assert_null (ms_source_open_file (path, &error));
  g_assert_cmpstr (ms_capture_get_error (ms_window_get_capture (win)), ==, error->message);
  /* Nothing to step through or export. */
  g_assert_false (gtk_widget_activate_action (GTK_WIDGET (win), "lesson.next", NULL)
                  && ms_session_view_get_n_steps (ms_window_get_session_view (win)) > 0);
  gtk_window_destroy (GTK_WINDOW (win));
}

/* The live demo: the lab runs and its packets fill the session view as
 * they are captured; Play (lesson.play) runs it through without waiting for
 * Next, and the capture stays open as a lesson; without permission to
 * capture the error page says why. */
static void
test_live_demo (void)
{
  GtkWindow *win = GTK_WINDOW (ms_window_new (GTK_APPLICATION (app_test_get_app ())));
  MsWindow *mw = MS_WINDOW (win);
  gint64 end = g_get_monotonic_time () + 4 * E2E_TIMEOUT * G_USEC_PER_SEC;

  gtk_window_present (win);
  g_assert_cmpstr (ms_window_get_page (mw), ==, "start");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "capture.live-demo", NULL));
  if (g_str_equal (ms_window_get_page (mw), "session"))
    {
      g_assert_true (ms_capture_is_live (ms_window_get_capture (mw)));
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "lesson.play", NULL));
    }
  while (g_strcmp0 (ms_window_get_page (mw), "error") != 0
         && !(g_str_equal (ms_window_get_page (mw), "session")
              && ms_capture_is_loaded (ms_window_get_capture (mw))))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  if (g_str_equal (ms_window_get_page (mw), "session"))
    {
      MsSessionView *view = ms_window_get_session_view (mw);
      /* An IMAP session was captured and can be stepped through. */
      g_assert_cmpint (ms_session_view_get_n_steps (view), >=, 3);
      ms_session_view_step_last (view);
      g_assert_cmpuint (ms_session_view_get_position (view), ==,
                        ms_session_view_get_n_steps (view) - 1);
      /* the whole capture reached the file: the session closes */
      g_assert_cmpuint (ms_session_view_get_current_step (view), ==, MS_STEP_CLOSE);
      g_test_message ("live demo: %u steps, last %s", ms_session_view_get_n_steps (view),
                      ms_step_name (ms_session_view_get_current_step (view)));
    }
  else
    g_test_message ("live demo not captured: %s",
                    ms_capture_get_error (ms_window_get_capture (mw)) ? ms_capture_get_error (ms_window_get_capture (mw)) : "see the error page");
  gtk_window_destroy (win);
}

/* Chinese (run with LANGUAGE=zh_CN): the step list and the window speak
 * Chinese. */
static void
test_chinese (void)
{
  MsWindow *win;
  MsSessionView *view;

  win = app_test_open_sample ("imap-idle-partial.pcap");
  app_test_wait_for_page (win, "session", NULL, E2E_TIMEOUT);
  view = ms_window_get_session_view (win);
  /* The narration and the window's own strings come translated. */
  g_assert_cmpstr (ms_lesson_step_title (MS_STEP_LOGIN), !=, "Log in");
  g_assert_true (g_utf8_validate (ms_lesson_step_title (MS_STEP_LOGIN), -1, NULL));
  g_assert_cmpstr (_("All sessions"), !=, "All sessions");
  g_assert_cmpstr (_("Conversation"), !=, "Conversation");
  g_assert_cmpstr (_("Cannot Open This Capture"), !=, "Cannot Open This Capture");
  g_assert_cmpuint (ms_session_view_get_n_steps (view), ==, 10);
  gtk_window_destroy (GTK_WINDOW (win));
}

int
main (int argc, char **argv)
{
  app_test_init (&argc, &argv);

  if (g_str_has_prefix (g_getenv ("LANGUAGE") ? g_getenv ("LANGUAGE") : "", "zh"))
    g_test_add_func ("/app/e2e/chinese", test_chinese);
  else
    {
      g_test_add_func ("/app/e2e/lesson", test_lesson);
      g_test_add_func ("/app/e2e/big-file", test_big_file);
      g_test_add_func ("/app/e2e/bad-file", test_bad_file);
      g_test_add_func ("/app/e2e/live-demo", test_live_demo);
    }
  return app_test_run ();
}
