/* test-model.c - the GUI's document and list models against real captures:
 * loading in batches, frame records, event links, filters, re-reading
 * frames, error messages and the handout export. */
#include "config.h"

#include <string.h>
#include <gtk/gtk.h>
#include <glib/gstdio.h>

#include "mailscope/ms-packet.h"
#include "ms-capture.h"
#include "ms-frame-list.h"
#include "ms-lesson-plan.h"
#include "ms-narration-export.h"

static char *
sample_path (const char *name)
{
  const char *root = g_getenv ("MS_SOURCE_ROOT");
  g_assert_nonnull (root);
  return g_build_filename (root, "samples", name, NULL);
}

static MsCapture *
load_sample (const char *name)
{
  g_autofree char *path = sample_path (name);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;
  MsCapture *capture = ms_capture_new (file);

  g_assert_true (ms_capture_load_sync (capture, &error));
  g_assert_no_error (error);
  return capture;
}

/* Counts the lines of a JSON Lines file (one event per line). */
static guint
count_lines (const char *name)
{
  g_autofree char *path = sample_path (name);
  g_autofree char *text = NULL;
  guint n = 0;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  for (const char *p = text; *p; p++)
    if (*p == '\n')
      n++;
  return n;
}

static void
test_load_sync (void)
{
  MsCapture *capture = load_sample ("imap-idle-partial.pcap");
  guint linked = 0;

  g_assert_true (ms_capture_is_loaded (capture));
  g_assert_cmpuint (ms_capture_get_n_frames (capture), ==, 43);
  /* The same events as the CLI's golden JSON. */
  g_assert_cmpuint (ms_capture_get_n_events (capture), ==, count_lines ("imap-idle-partial.jsonl"));
  g_assert_cmpuint (ms_capture_get_n_sessions (capture), ==, 2);

  for (guint i = 0; i < ms_capture_get_n_frames (capture); i++)
    {
      const MsFrameRecord *r = ms_capture_get_frame (capture, i);
      g_assert_cmpuint (r->number, ==, i + 1);
      g_assert_cmpint (r->file_offset, >=, 24);
      for (guint e = r->first_event; e != MS_NO_EVENT; e = ms_capture_get_next_in_frame (capture, e))
        {
          g_assert_cmpuint (ms_capture_get_event (capture, e)->frame, ==, r->number);
          linked++;
        }
    }
  g_assert_cmpuint (linked, ==, ms_capture_get_n_events (capture));

  /* Frame 1 is the DNS query, frame 3 the SYN of the IMAP session. */
  const MsFrameRecord *dns = ms_capture_get_frame (capture, 0);
  g_assert_cmpuint (dns->proto, ==, MS_PROTO_DNS);
  g_assert_cmpuint (dns->step, ==, MS_STEP_DNS);
  g_assert_cmpstr (ms_frame_record_proto_label (dns), ==, "DNS");
  const MsFrameRecord *syn = ms_capture_get_frame (capture, 2);
  g_assert_cmpuint (syn->step, ==, MS_STEP_CONNECT);
  g_assert_true (syn->tcp_flags & MS_TCP_SYN);
  g_assert_cmpuint (syn->dir, ==, MS_DIR_C2S);
  g_assert_cmpint (ms_capture_frame_index (capture, 3), ==, 2);
  g_assert_cmpint (ms_capture_frame_index (capture, 999), ==, -1);

  g_assert_finalize_object (capture);
}

static void
on_progress (MsCapture *capture, double fraction, guint first, guint n, guint *batches)
{
  (*batches)++;
}

static void
on_done (MsCapture *capture, const char *msg, gboolean *done)
{
  *done = TRUE;
}

/* The worker thread drops its reference to the task (and so to the
 * capture) just after handing over the result: wait for that. */
static void
wait_for_refs (gpointer object, guint refs)
{
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (g_atomic_int_get ((int *) &G_OBJECT (object)->ref_count) > (int) refs
         && g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static void
test_load_async (void)
{
  g_autofree char *path = sample_path ("imap-mbsync.pcap");
  g_autoptr (GFile) file = g_file_new_for_path (path);
  MsCapture *capture = ms_capture_new (file);
  MsFrameList *list = ms_frame_list_new (capture);
  guint batches = 0;
  gboolean done = FALSE;
  guint added = 0;

  g_signal_connect (capture, "progress", G_CALLBACK (on_progress), &batches);
  g_signal_connect (capture, "loaded", G_CALLBACK (on_done), &done);
  g_signal_connect (capture, "failed", G_CALLBACK (on_done), &done);
  ms_capture_load (capture);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (ms_capture_is_loaded (capture));
  g_assert_null (ms_capture_get_error (capture));
  g_assert_cmpuint (batches, >=, 1);
  added = g_list_model_get_n_items (G_LIST_MODEL (list));
  g_assert_cmpuint (added, ==, ms_capture_get_n_frames (capture));
  g_assert_cmpuint (added, >, 0);

  g_autoptr (MsFrameItem) item = g_list_model_get_item (G_LIST_MODEL (list), 0);
  g_autofree char *no = NULL, *src = NULL, *proto = NULL;
  g_object_get (item, "no", &no, "source", &src, "protocol", &proto, NULL);
  g_assert_cmpstr (no, ==, "1");
  g_assert_true (strchr (src, ':') != NULL);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (list), added));

  g_clear_object (&item);
  g_assert_finalize_object (list);
  wait_for_refs (capture, 1);
  g_assert_finalize_object (capture);
}

static void
test_bad_file (void)
{
  g_autofree char *path = sample_path ("README.md");
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) direct = NULL;
  MsCapture *capture = ms_capture_new (file);

  g_assert_false (ms_capture_load_sync (capture, &error));
  g_assert_nonnull (error);
  /* The one-line message of the source, unchanged. */
  g_assert_null (ms_source_open_file (path, &direct));
  g_assert_cmpstr (error->message, ==, direct->message);
  g_assert_cmpstr (ms_capture_get_error (capture), ==, direct->message);
  g_assert_null (strchr (error->message, '\n'));
  g_assert_finalize_object (capture);
}

static void
test_filter (void)
{
  MsCapture *capture = load_sample ("imap-idle-partial.pcap");
  MsFrameList *list = ms_frame_list_new (capture);
  MsFrameFilter *filter = ms_frame_filter_new (capture);
  GtkFilterListModel *model = gtk_filter_list_model_new (G_LIST_MODEL (g_object_ref (list)),
                                                         GTK_FILTER (g_object_ref (filter)));
  GListModel *m = G_LIST_MODEL (model);
  guint prev = 0;
  MsLessonPlan plan;

  g_assert_cmpuint (g_list_model_get_n_items (m), ==, 43);

  /* Session 2 is the IMAP session; its lesson includes the DNS group. */
  ms_lesson_plan_init (&plan, capture, 2);
  g_assert_cmpuint (plan.n_steps, ==, 10);
  g_assert_cmpuint (plan.steps[0], ==, MS_STEP_DNS);
  g_assert_cmpuint (plan.steps[plan.n_steps - 1], ==, MS_STEP_CLOSE);
  ms_frame_filter_set_session (filter, 2);
  for (guint k = 0; k < plan.n_steps; k++)
    {
      guint n;
      ms_frame_filter_set_reveal (filter, plan.steps[k]);
      n = g_list_model_get_n_items (m);
      g_assert_cmpuint (n, >, prev);
      prev = n;
      for (guint i = 0; i < n; i++)
        {
          g_autoptr (MsFrameItem) item = g_list_model_get_item (m, i);
          g_assert_cmpuint (ms_frame_item_get_record (item)->step, <=, plan.steps[k]);
        }
    }
  g_assert_cmpuint (prev, ==, 43);

  ms_frame_filter_set_proto (filter, MS_PROTO_DNS);
  g_assert_cmpuint (g_list_model_get_n_items (m), ==, 2);
  ms_frame_filter_set_proto (filter, MS_FRAME_FILTER_ANY);
  ms_frame_filter_set_step (filter, MS_STEP_LOGIN);
  g_assert_cmpuint (g_list_model_get_n_items (m), >, 0);
  for (guint i = 0; i < g_list_model_get_n_items (m); i++)
    {
      g_autoptr (MsFrameItem) item = g_list_model_get_item (m, i);
      g_assert_cmpuint (ms_frame_item_get_record (item)->step, ==, MS_STEP_LOGIN);
    }
  ms_frame_filter_set_step (filter, MS_STEP_NONE);

  /* Only the DNS group: no IMAP frame. */
  ms_frame_filter_set_session (filter, 1);
  ms_frame_filter_set_reveal (filter, MS_STEP_N);
  g_assert_cmpuint (g_list_model_get_n_items (m), ==, 2);

  ms_lesson_plan_clear (&plan);
  g_assert_finalize_object (model);
  g_assert_finalize_object (filter);
  g_assert_finalize_object (list);
  g_assert_finalize_object (capture);
}

/* Frames read again equal what the source read the first time, for pcap
 * (by offset) and pcapng (by scanning). */
static void
check_reread (const char *name)
{
  MsCapture *capture = load_sample (name);
  g_autofree char *path = sample_path (name);
  g_autoptr (GError) error = NULL;
  MsSource *src = ms_source_open_file (path, &error);
  MsFrame frame;
  guint i = 0;

  g_assert_nonnull (src);
  while (ms_source_next (src, &frame, &error) == 1)
    {
      if (i % 7 == 0 || i < 3)
        {
          g_autoptr (GBytes) bytes = ms_capture_read_frame (capture, i, &error);
          g_assert_no_error (error);
          g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                           frame.data, frame.caplen);
        }
      i++;
    }
  g_assert_cmpuint (i, ==, ms_capture_get_n_frames (capture));
  ms_source_close (src);
  g_assert_finalize_object (capture);
}

static void
test_reread (void)
{
  check_reread ("imap-idle-partial.pcap");
  check_reread ("imap-dumpcap.pcapng");
}

static void
test_info (void)
{
  MsCapture *capture = load_sample ("imap-idle-partial.pcap");
  gboolean found_secret = FALSE;

  for (guint i = 0; i < ms_capture_get_n_frames (capture); i++)
    {
      g_autofree char *plain = ms_capture_frame_info (capture, i, FALSE);
      g_autofree char *masked = ms_capture_frame_info (capture, i, TRUE);
      g_assert_true (g_utf8_validate (plain, -1, NULL));
      if (strstr (plain, "classroom"))
        {
          found_secret = TRUE;
          g_assert_null (strstr (masked, "classroom"));
          g_assert_nonnull (strstr (masked, "****"));
        }
    }
  g_assert_true (found_secret);
  /* A pure ACK shows ports and flags. */
  g_autofree char *ack = ms_capture_frame_info (capture, 4, FALSE);
  g_assert_nonnull (strstr (ack, "[ACK]"));
  g_assert_finalize_object (capture);
}

static void
test_export (void)
{
  MsCapture *capture = load_sample ("imap-idle-partial.pcap");
  g_autofree char *md = ms_narration_export (capture, 2, MS_NARRATION_MARKDOWN, FALSE);
  g_autofree char *masked = ms_narration_export (capture, 2, MS_NARRATION_MARKDOWN, TRUE);
  g_autofree char *html = ms_narration_export (capture, 2, MS_NARRATION_HTML, TRUE);
  MsLessonPlan plan;

  ms_lesson_plan_init (&plan, capture, 2);
  for (guint k = 0; k < plan.n_steps; k++)
    {
      g_autofree char *heading = g_strdup_printf ("### %u. %s", k + 1, ms_lesson_step_title (plan.steps[k]));
      g_assert_nonnull (strstr (md, heading));
    }
  g_assert_nonnull (strstr (md, "classroom"));
  g_assert_null (strstr (masked, "classroom"));
  g_assert_null (strstr (html, "classroom"));
  g_assert_true (g_str_has_prefix (html, "<!DOCTYPE html>"));
  g_assert_true (g_str_has_suffix (html, "</html>\n"));
  /* The note on the login step reaches the handout. */
  g_assert_nonnull (strstr (md, "> **"));
  ms_lesson_plan_clear (&plan);
  g_assert_finalize_object (capture);
}

/* A big capture (MS_BENCH_CAPTURE, optional): loads in batches, a filter
 * pass covers every frame, records stay compact. The filter's time is
 * reported, not judged (bench/app-open.sh is the benchmark). */
static void
test_bench (void)
{
  const char *path = g_getenv ("MS_BENCH_CAPTURE");
  gint64 t0, t1;

  if (path == NULL || !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("MS_BENCH_CAPTURE not set");
      return;
    }
  g_autoptr (GFile) file = g_file_new_for_path (path);
  MsCapture *capture = ms_capture_new (file);
  guint batches = 0;
  gboolean done = FALSE;

  g_signal_connect (capture, "progress", G_CALLBACK (on_progress), &batches);
  g_signal_connect (capture, "loaded", G_CALLBACK (on_done), &done);
  ms_capture_load (capture);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (ms_capture_get_n_frames (capture), >, 100000);
  g_assert_cmpuint (batches, >, 10);

  MsFrameList *list = ms_frame_list_new (capture);
  MsFrameFilter *filter = ms_frame_filter_new (capture);
  GtkFilterListModel *model = gtk_filter_list_model_new (G_LIST_MODEL (g_object_ref (list)),
                                                         GTK_FILTER (g_object_ref (filter)));
  t0 = g_get_monotonic_time ();
  ms_frame_filter_set_proto (filter, MS_PROTO_IMAP);
  t1 = g_get_monotonic_time ();
  g_test_message ("filtering %u frames took %.1f ms, %u match",
                  ms_capture_get_n_frames (capture), (t1 - t0) / 1000.0,
                  g_list_model_get_n_items (G_LIST_MODEL (model)));
  g_assert_cmpuint (sizeof (MsFrameRecord), <=, 64);
  g_assert_finalize_object (model);
  g_assert_finalize_object (filter);
  g_assert_finalize_object (list);
  wait_for_refs (capture, 1);
  g_assert_finalize_object (capture);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/app/model/load-sync", test_load_sync);
  g_test_add_func ("/app/model/load-async", test_load_async);
  g_test_add_func ("/app/model/bad-file", test_bad_file);
  g_test_add_func ("/app/model/filter", test_filter);
  g_test_add_func ("/app/model/reread", test_reread);
  g_test_add_func ("/app/model/info", test_info);
  g_test_add_func ("/app/model/export", test_export);
  g_test_add_func ("/app/model/bench", test_bench);
  return g_test_run ();
}
