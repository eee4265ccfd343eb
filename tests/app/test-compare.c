/* test-compare.c - the compare page of the real application under Xvfb:
 * opens the recorded comparison capture, switches to the page with
 * view.compare and back, and checks that every measure shown is the one
 * the core computes from the same file, that the step rows line up, and
 * that each comparison point shows its evidence from both traces. Then
 * capture.compare-demo runs the real lab (IMAP and POP3 doing the same
 * task) and the page shows what it captured.
 *
 * With MS_SCREENSHOT_DIR set, the page is also saved there as compare.png
 * (and compare-dark.png). */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "mailscope/ms-compare.h"
#include "mailscope/ms-lesson.h"
#include "mailscope/ms-packet.h"
#include "mailscope/ms-pipeline.h"
#include "mailscope/ms-source.h"
#include "app-test-util.h"
#include "ms-application.h"
#include "ms-compare-view.h"
#include "ms-window-private.h"

/* Seconds a capture may take to load, or the demo to run, before failing:
 * loopback only, but a loaded machine gets plenty of slack. */
#define COMPARE_TIMEOUT 180

static void
wait_until_ready (MsCompareView *view)
{
  gint64 end = g_get_monotonic_time () + COMPARE_TIMEOUT * G_USEC_PER_SEC;

  while (!ms_compare_view_get_ready (view))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  app_test_spin ();
}

static gboolean
compare_shown (MsWindow *win)
{
  gboolean shown;
  g_object_get (win, "compare", &shown, NULL);
  return shown;
}

/* --- the core's comparison of a file, built here on its own ------------ */

typedef struct {
  MsLesson *lesson;
  MsCompare *cmp;
} CoreRun;

static void
on_event (MsEvent *ev, gpointer data)
{
  CoreRun *run = data;
  const MsSessionSummary *s;

  ms_lesson_process (run->lesson, ev);
  s = ms_lesson_current_session (run->lesson);
  ms_compare_add_event (run->cmp, s ? s->id : 0, ev);
}

static MsCompare *
core_compare (const char *path)
{
  g_autoptr (GError) error = NULL;
  MsSource *src = ms_source_open_file (path, &error);
  CoreRun run = { ms_lesson_new (), ms_compare_new () };
  MsPipelineOptions opts;
  MsPipeline *p;
  MsFrame frame;

  g_assert_no_error (error);
  ms_pipeline_options_init (&opts);
  p = ms_pipeline_new (&opts, on_event, &run);
  while (ms_source_next (src, &frame, &error) == 1)
    {
      MsPacket pkt;
      ms_pipeline_feed (p, &frame);
      ms_packet_decode (&frame, NULL, &pkt);
      ms_compare_add_packet (run.cmp, &pkt.src, &pkt.dst, frame.len);
      ms_packet_clear (&pkt);
    }
  g_assert_no_error (error);
  ms_pipeline_finish (p);
  ms_compare_build (run.cmp, ms_lesson_sessions (run.lesson), 0, 0);
  ms_pipeline_free (p);
  ms_source_close (src);
  ms_lesson_free (run.lesson);
  return run.cmp;
}

/* --- what the page shows --------------------------------------------------- */

/* The page shows what the core computed from the same file. */
static void
check_view_matches (MsCompareView *view, MsCompare *core)
{
  MsCompare *shown = ms_compare_view_get_compare (view);

  g_assert_nonnull (shown);
  g_assert_true (ms_compare_is_complete (shown));
  for (guint side = 0; side < MS_COMPARE_N_SIDES; side++)
    {
      const MsCompareMeasures *m = ms_compare_get_measures (core, side);
      const MsCompareMeasures *v = ms_compare_get_measures (shown, side);

      g_assert_cmpuint (v->session, ==, m->session);
      g_assert_cmpuint (v->bytes[0], ==, m->bytes[0]);
      g_assert_cmpuint (v->bytes[1], ==, m->bytes[1]);
      g_assert_cmpuint (v->packets, ==, m->packets);
      g_assert_true (v->packets_counted);
      g_assert_cmpuint (v->round_trips, ==, m->round_trips);
      g_assert_cmpuint (v->content_bytes, ==, m->content_bytes);
      g_assert_cmpint (v->messages_left, ==, m->messages_left);
      for (MsCompareMeasure k = 0; k < MS_COMPARE_N_MEASURES; k++)
        {
          g_autofree char *expected = ms_compare_format_measure (m, k);
          g_assert_cmpstr (ms_compare_view_get_measure_text (view, side, k), ==, expected);
        }
    }

  /* The step rows, aligned: a blank cell where the core has no step. */
  g_assert_cmpuint (ms_compare_view_get_n_rows (view), ==, ms_compare_get_n_rows (core));
  for (guint i = 0; i < ms_compare_get_n_rows (core); i++)
    {
      const MsCompareRow *r = ms_compare_get_row (core, i);
      for (guint side = 0; side < MS_COMPARE_N_SIDES; side++)
        {
          g_autofree char *text = ms_compare_view_get_row_text (view, i, side);
          g_autofree char *stats = ms_compare_format_row (r, side);
          if (!r->present[side])
            {
              g_assert_cmpstr (text, ==, "");
              continue;
            }
          g_assert_nonnull (strstr (text, stats));
          if (r->commands[side])
            g_assert_true (g_str_has_prefix (text, r->commands[side]));
        }
    }

  /* One card per point, each with evidence from both traces. */
  g_assert_cmpuint (ms_compare_view_get_n_cards (view), ==, ms_compare_get_n_statements (core));
  g_assert_cmpuint (ms_compare_view_get_n_cards (view), ==, MS_COMPARE_N_POINTS);
  for (guint i = 0; i < ms_compare_get_n_statements (core); i++)
    {
      const MsCompareStatement *st = ms_compare_get_statement (core, i);
      for (guint side = 0; side < MS_COMPARE_N_SIDES; side++)
        {
          guint n = 0;
          for (guint k = 0; k < st->evidence->len; k++)
            n += ((const MsCompareEvidence *) st->evidence->pdata[k])->side == side;
          g_assert_cmpuint (n, >, 0);
          g_assert_cmpuint (ms_compare_view_get_n_evidence (view, i, side), ==, n);
        }
    }
}

/* The button of the evidence line citing `frame`, or NULL. */
static GtkWidget *
find_frame_button (GtkWidget *widget, guint frame)
{
  if (GTK_IS_BUTTON (widget)
      && GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (widget), "frame")) == frame)
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_frame_button (c, frame);
      if (found)
        return found;
    }
  return NULL;
}

/* --- tests ------------------------------------------------------------------ */

static void
test_open_capture (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("MS_SOURCE_ROOT"), "samples",
                                            "demo-compare.pcap", NULL);
  g_autoptr (MsCompare) core = core_compare (path);
  MsWindow *win = app_test_open_sample ("demo-compare.pcap");
  MsCompareView *view = ms_window_get_compare_view (win);
  const char *shot_dir = g_getenv ("MS_SCREENSHOT_DIR");

  g_assert_cmpstr (app_test_wait_for_page (win, "session", NULL, COMPARE_TIMEOUT), ==, "session");
  g_assert_false (compare_shown (win));
  g_assert_true (ms_compare_view_can_compare (ms_window_get_capture (win)));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (gtk_widget_get_template_child (
      GTK_WIDGET (win), MS_TYPE_WINDOW, "compare_button"))));

  /* There ... */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "view.compare", NULL));
  g_assert_cmpstr (ms_window_get_page (win), ==, "compare");
  g_assert_true (compare_shown (win));
  wait_until_ready (view);
  check_view_matches (view, core);
  {
    g_autofree char *text = ms_compare_format (ms_compare_view_get_compare (view));
    g_test_message ("%s", text);
  }

  if (shot_dir)
    {
      g_autofree char *png = g_build_filename (shot_dir, "compare.png", NULL);
      g_autofree char *dark = g_build_filename (shot_dir, "compare-dark.png", NULL);
      app_test_run_for (500);
      app_test_save_screenshot (GTK_WIDGET (win), png);
      g_test_message ("screenshot: %s", png);
      g_object_set (win, "dark", TRUE, NULL);
      app_test_run_for (500);
      app_test_save_screenshot (GTK_WIDGET (win), dark);
      g_object_set (win, "dark", FALSE, NULL);
      /* and the comparison points, further down */
      {
        GtkScrolledWindow *sw = GTK_SCROLLED_WINDOW (
            gtk_widget_get_template_child (GTK_WIDGET (view), MS_TYPE_COMPARE_VIEW, "scroller"));
        GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (sw);
        g_autofree char *points = g_build_filename (shot_dir, "compare-points.png", NULL);
        gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
        app_test_run_for (500);
        app_test_save_screenshot (GTK_WIDGET (win), points);
        gtk_adjustment_set_value (adj, 0);
      }
    }

  /* ... and back to the session, where the lesson goes on. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "view.compare", NULL));
  g_assert_cmpstr (ms_window_get_page (win), ==, "session");
  g_assert_false (compare_shown (win));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "lesson.next", NULL));

  /* Shown again, it keeps what it built for the same capture. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "view.compare", NULL));
  g_assert_true (ms_compare_view_get_ready (view));
  check_view_matches (view, core);

  /* An evidence line's button shows its frame in the session view, on the
   * session it comes from: the last RETR cited by the partial-fetch card. */
  {
    const MsCompareStatement *st = ms_compare_get_statement (core, 0);
    guint pop3 = ms_compare_get_measures (core, MS_COMPARE_POP3)->session;
    guint frame = 0;
    GtkWidget *button;
    MsSessionView *session = ms_window_get_session_view (win);

    g_assert_cmpint (st->point, ==, MS_COMPARE_POINT_PARTIAL_FETCH);
    for (guint k = 0; k < st->evidence->len; k++)
      {
        const MsCompareEvidence *e = st->evidence->pdata[k];
        if (e->side == MS_COMPARE_POP3 && e->frame)
          frame = e->frame;
      }
    g_assert_cmpuint (frame, >, 0);
    button = find_frame_button (GTK_WIDGET (view), frame);
    g_assert_nonnull (button);
    g_signal_emit_by_name (button, "clicked");
    app_test_spin ();
    g_assert_cmpstr (ms_window_get_page (win), ==, "session");
    g_assert_false (compare_shown (win));
    g_assert_cmpuint (ms_session_view_get_session (session), ==, pop3);
    g_assert_cmpuint (ms_ladder_get_selected_frame (ms_session_view_get_ladder (session)), ==, frame);
    g_assert_cmpuint (ms_packet_list_get_selected_frame (ms_session_view_get_packet_list (session)), ==, frame);
  }

  /* Opening another capture leaves the page; one without POP3 cannot be
   * compared. */
  {
    g_autofree char *imap = g_build_filename (g_getenv ("MS_SOURCE_ROOT"), "samples",
                                              "demo-imap.pcap", NULL);
    g_autoptr (GFile) file = g_file_new_for_path (imap);
    ms_window_open_file (win, file);
  }
  g_assert_false (compare_shown (win));
  g_assert_cmpstr (app_test_wait_for_page (win, "session", NULL, COMPARE_TIMEOUT), ==, "session");
  g_assert_false (ms_compare_view_can_compare (ms_window_get_capture (win)));
  g_assert_false (gtk_widget_activate_action (GTK_WIDGET (win), "view.compare", NULL)
                  && compare_shown (win));
  g_assert_cmpstr (ms_window_get_page (win), ==, "session");
  gtk_window_destroy (GTK_WINDOW (win));
  app_test_spin ();
}

/* The start page's button runs the real lab and shows the comparison of
 * what it captured. */
static void
test_compare_demo (void)
{
  MsWindow *win = ms_window_new (GTK_APPLICATION (app_test_get_app ()));
  MsCompareView *view = ms_window_get_compare_view (win);
  MsCompare *cmp;
  const MsCompareMeasures *mi, *mp;
  const char *page;

  /* Own the main context, as g_application_run() does: the demo's worker
   * threads then queue their callbacks to it. */
  g_assert_true (g_main_context_acquire (NULL));
  gtk_window_present (GTK_WINDOW (win));
  g_assert_cmpstr (ms_window_get_page (win), ==, "start");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "capture.compare-demo", NULL));
  page = app_test_wait_for_page (win, "compare", "error", COMPARE_TIMEOUT);
  if (g_strcmp0 (page, "error") == 0)
    {
      /* No capture permission here: the page says why, and that is all
       * this machine can show. */
      g_test_skip ("the demo could not capture on this machine");
      gtk_window_destroy (GTK_WINDOW (win));
      g_main_context_release (NULL);
      return;
    }
  g_assert_true (compare_shown (win));
  wait_until_ready (view);
  cmp = ms_compare_view_get_compare (view);
  g_assert_true (ms_compare_is_complete (cmp));
  mi = ms_compare_get_measures (cmp, MS_COMPARE_IMAP);
  mp = ms_compare_get_measures (cmp, MS_COMPARE_POP3);
  /* The same mailbox on both sides; IMAP leaves it, POP3 takes it away. */
  g_assert_cmpint (mi->messages_at_start, >, 0);
  g_assert_cmpint (mi->messages_at_start, ==, mp->messages_at_start);
  g_assert_cmpint (mi->messages_left, ==, mi->messages_at_start);
  g_assert_cmpint (mp->messages_left, <, mp->messages_at_start);
  g_assert_cmpuint (mi->content_bytes, <, mp->content_bytes);
  g_assert_cmpuint (ms_compare_view_get_n_cards (view), ==, MS_COMPARE_N_POINTS);
  for (guint i = 0; i < ms_compare_view_get_n_cards (view); i++)
    {
      g_assert_cmpuint (ms_compare_view_get_n_evidence (view, i, MS_COMPARE_IMAP), >, 0);
      g_assert_cmpuint (ms_compare_view_get_n_evidence (view, i, MS_COMPARE_POP3), >, 0);
    }
  /* The capture it wrote is the one open, and compares as the core does. */
  {
    g_autofree char *path = g_file_get_path (ms_capture_get_file (ms_window_get_capture (win)));
    g_autoptr (MsCompare) core = core_compare (path);
    check_view_matches (view, core);
  }
  gtk_window_destroy (GTK_WINDOW (win));
  app_test_spin ();
  g_main_context_release (NULL);
}

int
main (int argc, char **argv)
{
  app_test_init (&argc, &argv);

  g_test_add_func ("/app/compare/open-capture", test_open_capture);
  g_test_add_func ("/app/compare/demo", test_compare_demo);
  return app_test_run ();
}
