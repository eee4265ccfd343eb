/* test-widgets.c - the real widgets under a display: ladder diagram and its
 * export, hex view, packet detail, packet list and the session view's
 * stepping. */
#include "config.h"

#include <locale.h>
#include <string.h>
#include <gtk/gtk.h>
#include <adwaita.h>
#include <glib/gstdio.h>
#include <glib/gi18n-lib.h>

#include "mailscope/ms-packet.h"
#include "ms-capture.h"
#include "ms-hex-view.h"
#include "ms-ladder.h"
#include "ms-lesson-plan.h"
#include "ms-message-node.h"
#include "ms-message-view.h"
#include "ms-packet-detail.h"
#include "ms-packet-list.h"
#include "ms-session-view.h"
#include "ms-step-row.h"

static MsCapture *
load_sample (const char *name)
{
  g_autofree char *path = g_build_filename (g_getenv ("MS_SOURCE_ROOT"), "samples", name, NULL);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;
  MsCapture *capture = ms_capture_new (file);

  g_assert_true (ms_capture_load_sync (capture, &error));
  return capture;
}

static void
run_pending (void)
{
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
}

/* Shows `child` in a window so that it is allocated; returns the window. */
static GtkWidget *
show_in_window (GtkWidget *child, int w, int h)
{
  GtkWidget *win = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (win), w, h);
  gtk_window_set_child (GTK_WINDOW (win), child);
  gtk_window_present (GTK_WINDOW (win));
  for (int i = 0; i < 50 && gtk_widget_get_height (child) <= 0; i++)
    {
      g_usleep (10000);
      run_pending ();
    }
  run_pending ();
  return win;
}

static void
test_ladder (void)
{
  MsCapture *capture = load_sample ("imap-idle-partial.pcap");
  MsLessonPlan plan;
  GtkWidget *scroller = gtk_scrolled_window_new ();
  MsLadder *ladder = MS_LADDER (ms_ladder_new ());
  g_autofree char *dir = g_dir_make_tmp ("ms-ladder-XXXXXX", NULL);
  g_autofree char *png = g_build_filename (dir, "d.png", NULL);
  g_autofree char *svg = g_build_filename (dir, "d.svg", NULL);
  g_autoptr (GError) error = NULL;
  guint prev = 0;
  int w = 0, h = 0, h_first = 0;

  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), GTK_WIDGET (ladder));
  GtkWidget *win = show_in_window (scroller, 900, 500);

  ms_lesson_plan_init (&plan, capture, 2);
  ms_ladder_set_events (ladder, capture, (guint *) plan.events->data, plan.events->len);
  /* One arrow per event, except credential events: they repeat their
   * LOGIN line, which already has its arrow. */
  guint n_credentials = 0;
  for (guint i = 0; i < plan.events->len; i++)
    {
      MsEvent *ev = ms_capture_get_event (capture, g_array_index (plan.events, guint, i));
      n_credentials += g_strcmp0 (ev->kind, "credential") == 0;
    }
  g_assert_cmpuint (n_credentials, ==, 1);
  g_assert_cmpuint (ms_ladder_get_n_arrows (ladder), ==, plan.events->len - n_credentials);
  /* LOGIN…OK, CAPABILITY…OK, IDLE…OK and the others are bracketed. */
  g_assert_cmpuint (ms_ladder_get_n_brackets (ladder), >=, 5);

  for (guint k = 0; k < plan.n_steps; k++)
    {
      ms_ladder_set_reveal (ladder, plan.steps[k]);
      g_assert_cmpuint (ms_ladder_get_n_arrows (ladder), >, prev);
      prev = ms_ladder_get_n_arrows (ladder);
      if (k == 0)
        {
          g_assert_true (ms_ladder_export_png (ladder, png, &w, &h_first, &error));
          g_assert_cmpint (h_first, >, 0);
        }
    }
  g_assert_cmpuint (prev, ==, plan.events->len - n_credentials);

  /* Selecting frame 40 (the end of the session) scrolls the view to it. */
  GtkAdjustment *vadj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));
  run_pending ();
  ms_ladder_set_selected_frame (ladder, 40);
  g_assert_cmpfloat (gtk_adjustment_get_value (vadj), >, 0);
  g_assert_cmpuint (ms_ladder_get_selected_frame (ladder), ==, 40);
  /* The arrow under the pointer is one of frame 40's, or next to it. */
  ms_ladder_set_selected_frame (ladder, 1);
  g_assert_cmpfloat (gtk_adjustment_get_value (vadj), ==, 0);
  guint32 f = ms_ladder_frame_at (ladder, gtk_widget_get_height (GTK_WIDGET (ladder)) / 2.0);
  g_assert_cmpuint (f, >, 0);
  g_assert_cmpuint (ms_ladder_frame_at (ladder, 1), ==, 0); /* header */

  g_assert_true (ms_ladder_export_png (ladder, png, &w, &h, &error));
  g_assert_no_error (error);
  g_assert_cmpint (w, ==, 1100);
  g_assert_cmpint (h, >, h_first);
  {
    g_autoptr (GdkTexture) tex = gdk_texture_new_from_filename (png, &error);
    g_assert_no_error (error);
    g_assert_cmpint (gdk_texture_get_width (tex), ==, w);
    g_assert_cmpint (gdk_texture_get_height (tex), ==, h);
  }
  g_assert_true (ms_ladder_export_svg (ladder, svg, &error));
  {
    g_autofree char *text = NULL;
    g_assert_true (g_file_get_contents (svg, &text, NULL, NULL));
    g_assert_nonnull (strstr (text, "<svg"));
    g_assert_nonnull (strstr (text, "width=\"1100"));
  }
  g_unlink (png);
  g_unlink (svg);
  g_rmdir (dir);

  gtk_window_destroy (GTK_WINDOW (win));
  run_pending ();
  ms_lesson_plan_clear (&plan);
  g_assert_finalize_object (capture);
}

static void
test_hex_view (void)
{
  MsHexView *hex = MS_HEX_VIEW (ms_hex_view_new ());
  guint8 data[40];
  g_autoptr (GBytes) bytes = NULL;
  guint off, len;
  int cw = 0;

  for (guint i = 0; i < sizeof data; i++)
    data[i] = (guint8) ('A' + i % 26);
  bytes = g_bytes_new (data, sizeof data);
  g_object_ref_sink (hex);
  GtkWidget *win = show_in_window (GTK_WIDGET (hex), 700, 200);
  ms_hex_view_set_bytes (hex, bytes);
  run_pending ();
  /* Three lines of 16 bytes. */
  int min, nat;
  gtk_widget_measure (GTK_WIDGET (hex), GTK_ORIENTATION_VERTICAL, -1, &min, &nat, NULL, NULL);
  g_assert_cmpint (nat, >, 0);
  int line_h = nat / 3;
  gtk_widget_measure (GTK_WIDGET (hex), GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
  cw = nat / (6 + 16 * 3 + 1 + 1 + 16 + 1);
  g_assert_cmpint (cw, >, 0);
  /* The offset column is not a byte; byte 0 starts at column 6. */
  g_assert_cmpint (ms_hex_view_offset_at (hex, cw * 1.5, line_h / 2.0), ==, -1);
  g_assert_cmpint (ms_hex_view_offset_at (hex, cw * 6.5, line_h / 2.0), ==, 0);
  g_assert_cmpint (ms_hex_view_offset_at (hex, cw * 6.5, line_h * 1.5), ==, 16);
  /* Past the end of the bytes. */
  g_assert_cmpint (ms_hex_view_offset_at (hex, cw * 6.5 + cw * 3 * 15, line_h * 2.5), ==, -1);
  ms_hex_view_set_highlight (hex, 3, 4);
  ms_hex_view_get_highlight (hex, &off, &len);
  g_assert_cmpuint (off, ==, 3);
  g_assert_cmpuint (len, ==, 4);
  gtk_window_set_child (GTK_WINDOW (win), NULL);
  gtk_window_destroy (GTK_WINDOW (win));
  run_pending ();
  g_assert_finalize_object (hex);
}

static void
on_ready (MsPacketDetail *detail, gboolean *ready)
{
  *ready = TRUE;
}

static void
test_packet_detail (void)
{
  MsCapture *capture = load_sample ("imap-idle-partial.pcap");
  MsPacketDetail *detail = MS_PACKET_DETAIL (ms_packet_detail_new ());
  gboolean ready = FALSE;
  GtkSingleSelection *sel;
  guint login_index = G_MAXUINT;

  g_object_ref_sink (detail);
  GtkWidget *win = show_in_window (GTK_WIDGET (detail), 600, 600);
  g_signal_connect (detail, "ready", G_CALLBACK (on_ready), &ready);

  /* The frame carrying LOGIN (frame 11). */
  for (guint i = 0; i < ms_capture_get_n_frames (capture); i++)
    if (ms_capture_get_frame (capture, i)->number == 11)
      login_index = i;
  g_assert_cmpuint (login_index, !=, G_MAXUINT);
  ms_packet_detail_show_frame (detail, capture, login_index);
  while (!ready)
    g_main_context_iteration (NULL, TRUE);

  sel = ms_packet_detail_get_selection (detail);
  GListModel *rows = gtk_single_selection_get_model (sel);
  g_assert_cmpuint (g_list_model_get_n_items (rows), >, 10);

  /* Byte 34 of an Ethernet/IPv4 frame is the TCP source port. */
  const MsFrameRecord *r = ms_capture_get_frame (capture, login_index);
  (void) r;
  MsDetailNode *node = ms_packet_detail_select_byte (detail, 34 + 0);
  g_assert_nonnull (node);
  g_assert_true (g_str_has_prefix (ms_detail_node_get_label (node), "Source port") ||
                 ms_detail_node_get_length (node) <= 4);
  guint off, len;
  MsHexView *hex = MS_HEX_VIEW (ms_packet_detail_get_hex_view (detail));
  ms_hex_view_get_highlight (hex, &off, &len);
  g_assert_cmpuint (off, <=, 34);
  g_assert_cmpuint (off + len, >, 34);

  /* The LOGIN event covers its line in the payload: selecting it
   * highlights the line, and clicking a byte of it selects an event. */
  guint tag_row = G_MAXUINT;
  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr (GtkTreeListRow) row = g_list_model_get_item (rows, i);
      g_autoptr (MsDetailNode) n = gtk_tree_list_row_get_item (row);
      if (g_str_has_prefix (ms_detail_node_get_label (n), "IMAP command: PIAH1 LOGIN")
          && ms_detail_node_get_length (n) > 0)
        tag_row = i;
    }
  g_assert_cmpuint (tag_row, !=, G_MAXUINT);
  gtk_single_selection_set_selected (sel, tag_row);
  ms_hex_view_get_highlight (hex, &off, &len);
  g_assert_cmpuint (len, ==, strlen ("PIAH1 LOGIN student \"classroom\"\r\n"));
  {
    g_autoptr (GBytes) bytes = ms_capture_read_frame (capture, login_index, NULL);
    g_assert_cmpmem ((const guint8 *) g_bytes_get_data (bytes, NULL) + off, 11, "PIAH1 LOGIN", 11);
  }
  gtk_single_selection_set_selected (sel, GTK_INVALID_LIST_POSITION);
  MsDetailNode *back = ms_packet_detail_select_byte (detail, off + 1);
  g_assert_true (g_str_has_prefix (ms_detail_node_get_label (back), "IMAP "));
  g_assert_cmpuint (gtk_single_selection_get_selected (sel), !=, GTK_INVALID_LIST_POSITION);

  gtk_window_set_child (GTK_WINDOW (win), NULL);
  gtk_window_destroy (GTK_WINDOW (win));
  run_pending ();
  g_assert_finalize_object (detail);
  g_assert_finalize_object (capture);
}

/* The text of every cell below `w`, each followed by "|". */
static void
collect_cells (GtkWidget *w, GString *out)
{
  if (GTK_IS_INSCRIPTION (w) && gtk_widget_get_mapped (w))
    {
      const char *text = gtk_inscription_get_text (GTK_INSCRIPTION (w));
      g_string_append_printf (out, "%s|", text ? text : "");
    }
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    collect_cells (c, out);
}

static void
test_packet_list (void)
{
  MsCapture *capture = load_sample ("imap-idle-partial.pcap");
  MsPacketList *list = MS_PACKET_LIST (ms_packet_list_new ());

  g_object_ref_sink (list);
  GtkWidget *win = show_in_window (GTK_WIDGET (list), 900, 500);
  ms_packet_list_set_capture (list, capture);
  g_assert_cmpuint (ms_packet_list_get_n_visible (list), ==, 43);
  ms_packet_list_set_session (list, 2);
  ms_packet_list_set_reveal (list, MS_STEP_CONNECT);
  g_assert_cmpuint (ms_packet_list_get_n_visible (list), ==, 5);
  g_assert_true (ms_packet_list_select_frame (list, 4));
  g_assert_cmpuint (ms_packet_list_get_selected_frame (list), ==, 4);
  g_assert_false (ms_packet_list_select_frame (list, 40)); /* not revealed yet */
  ms_packet_list_set_reveal (list, MS_STEP_N);
  ms_packet_list_set_proto_filter (list, MS_PROTO_DNS);
  g_assert_cmpuint (ms_packet_list_get_n_visible (list), ==, 2);
  ms_packet_list_set_proto_filter (list, MS_FRAME_FILTER_ANY);
  ms_packet_list_set_step_filter (list, MS_STEP_LOGIN);
  g_assert_cmpuint (ms_packet_list_get_n_visible (list), <, 43);
  run_pending ();
  /* The rows on screen show the frames' columns. */
  {
    g_autoptr (GString) cells = g_string_new (NULL);
    collect_cells (GTK_WIDGET (list), cells);
    g_assert_nonnull (strstr (cells->str, "|IMAP|"));
    g_assert_nonnull (strstr (cells->str, "|127.0.0.1:"));
    g_assert_nonnull (strstr (cells->str, "|Log in|"));
  }

  gtk_window_set_child (GTK_WINDOW (win), NULL);
  gtk_window_destroy (GTK_WINDOW (win));
  run_pending ();
  g_assert_finalize_object (list);
  g_assert_finalize_object (capture);
}

static void
test_session_view (void)
{
  MsCapture *capture = load_sample ("imap-idle-partial.pcap");
  MsSessionView *view = MS_SESSION_VIEW (ms_session_view_new ());
  guint prev_arrows = 0, prev_rows = 0;

  g_object_ref_sink (view);
  GtkWidget *win = show_in_window (GTK_WIDGET (view), 1280, 800);
  ms_session_view_set_capture (view, capture);
  /* The IMAP session is chosen, not the DNS group. */
  g_assert_cmpuint (ms_session_view_get_session (view), ==, 2);
  g_assert_cmpuint (ms_session_view_get_n_steps (view), ==, 10);
  g_assert_cmpuint (ms_session_view_get_current_step (view), ==, MS_STEP_DNS);
  do
    {
      guint arrows = ms_ladder_get_n_arrows (ms_session_view_get_ladder (view));
      guint rows = ms_packet_list_get_n_visible (ms_session_view_get_packet_list (view));
      g_assert_cmpuint (arrows, >, prev_arrows);
      g_assert_cmpuint (rows, >=, prev_rows);
      prev_arrows = arrows;
      prev_rows = rows;
    }
  while (ms_session_view_step_next (view));
  g_assert_cmpuint (ms_session_view_get_current_step (view), ==, MS_STEP_CLOSE);
  g_assert_cmpuint (prev_rows, ==, 43);
  {
    g_autofree char *text = ms_stream_view_get_text (ms_session_view_get_stream_view (view));
    g_assert_nonnull (strstr (text, "C: PIAH1 LOGIN student"));
    g_assert_nonnull (strstr (text, "S: * OK"));
  }
  /* The Messages tab: structures, and what was downloaded of them (read
   * back from the capture in a worker: wait for it). */
  {
    MsMessageView *mv = MS_MESSAGE_VIEW (ms_session_view_get_message_view (view));
    GListModel *rows = ms_message_view_get_rows (mv);
    gboolean pdf = FALSE, partial = FALSE, total = FALSE;
    while (ms_message_view_is_loading (mv))
      g_main_context_iteration (NULL, TRUE);
    for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
      {
        g_autoptr (GtkTreeListRow) row = g_list_model_get_item (rows, i);
        g_autoptr (MsMessageNode) node = gtk_tree_list_row_get_item (row);
        const char *label = ms_message_node_get_title (node);
        gboolean is_pdf = strstr (label, "application/pdf") != NULL && strstr (label, "lecture-notes.pdf") != NULL;
        pdf |= is_pdf;
        partial |= is_pdf && ms_message_node_get_transfer (node) == MS_TRANSFER_PARTIAL
                   && g_str_has_prefix (ms_message_node_get_status (node), "transferred: ");
        total |= g_str_has_prefix (label, "Message content moved in this session");
      }
    g_assert_true (pdf);
    g_assert_true (partial);
    g_assert_true (total);
  }
  ms_session_view_set_mask_secrets (view, TRUE);
  {
    g_autofree char *text = ms_stream_view_get_text (ms_session_view_get_stream_view (view));
    g_assert_null (strstr (text, "classroom"));
  }
  g_assert_true (ms_session_view_step_back (view));
  g_assert_cmpuint (ms_session_view_get_current_step (view), ==, MS_STEP_LOGOUT);
  ms_session_view_step_first (view);
  g_assert_false (ms_session_view_step_back (view));
  g_assert_cmpuint (ms_ladder_get_n_arrows (ms_session_view_get_ladder (view)), ==, 2);

  /* Selecting a frame reaches the list and the diagram. */
  ms_session_view_step_last (view);
  ms_session_view_select_frame (view, 13);
  g_assert_cmpuint (ms_packet_list_get_selected_frame (ms_session_view_get_packet_list (view)), ==, 13);
  g_assert_cmpuint (ms_ladder_get_selected_frame (ms_session_view_get_ladder (view)), ==, 13);

  /* Every session: the step list covers all steps present. */
  ms_session_view_set_session (view, 0);
  g_assert_cmpuint (ms_session_view_get_n_steps (view), ==, 10);
  run_pending ();

  gtk_window_set_child (GTK_WINDOW (win), NULL);
  gtk_window_destroy (GTK_WINDOW (win));
  run_pending ();
  g_assert_finalize_object (view);
  g_assert_finalize_object (capture);
}

static void
test_step_row (void)
{
  const char *notes[] = { "Mind the password.", NULL };
  GtkWidget *row = ms_step_row_new (MS_STEP_LOGIN, 6, "Explanation.", "1 s", notes);

  g_object_ref_sink (row);
  g_assert_cmpuint (ms_step_row_get_step (MS_STEP_ROW (row)), ==, MS_STEP_LOGIN);
  ms_step_row_set_current (MS_STEP_ROW (row), TRUE);
  g_assert_true (gtk_widget_has_css_class (row, "current-step"));
  ms_step_row_set_current (MS_STEP_ROW (row), FALSE);
  g_assert_false (gtk_widget_has_css_class (row, "current-step"));
  g_assert_finalize_object (row);
}

/* The packet list over a big capture (MS_BENCH_CAPTURE, optional): every
 * frame can be shown and jumped to. The times are reported, not judged:
 * bench/app-open.sh is the benchmark. */
static void
test_bench_scroll (void)
{
  const char *path = g_getenv ("MS_BENCH_CAPTURE");
  g_autoptr (GError) error = NULL;

  if (path == NULL || !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("MS_BENCH_CAPTURE not set");
      return;
    }
  g_autoptr (GFile) file = g_file_new_for_path (path);
  MsCapture *capture = ms_capture_new (file);
  g_assert_true (ms_capture_load_sync (capture, &error));
  MsSessionView *view = MS_SESSION_VIEW (ms_session_view_new ());
  g_object_ref_sink (view);
  GtkWidget *win = show_in_window (GTK_WIDGET (view), 1280, 800);
  ms_session_view_set_capture (view, capture);
  run_pending ();

  gint64 t0 = g_get_monotonic_time ();
  ms_session_view_set_session (view, 0);
  ms_session_view_step_last (view);
  MsPacketList *list = ms_session_view_get_packet_list (view);
  while (ms_packet_list_is_filtering (list))
    g_main_context_iteration (NULL, TRUE);
  run_pending ();
  gint64 t1 = g_get_monotonic_time ();
  g_assert_cmpuint (ms_packet_list_get_n_visible (list), ==, ms_capture_get_n_frames (capture));

  /* Jump to 50 places; each jump is selected, scrolled to and drawn. */
  gint64 worst = 0;
  for (guint i = 0; i < 50; i++)
    {
      guint32 frame = 1 + (guint32) ((guint64) i * 2099 % ms_capture_get_n_frames (capture));
      gint64 a = g_get_monotonic_time ();
      g_assert_true (ms_packet_list_select_frame (list, frame));
      gtk_widget_queue_draw (GTK_WIDGET (list));
      run_pending ();
      worst = MAX (worst, g_get_monotonic_time () - a);
    }
  g_test_message ("showing %u frames: %.0f ms; worst jump %.1f ms",
                  ms_capture_get_n_frames (capture), (t1 - t0) / 1000.0, worst / 1000.0);

  gtk_window_set_child (GTK_WINDOW (win), NULL);
  gtk_window_destroy (GTK_WINDOW (win));
  run_pending ();
  g_object_unref (view);
  g_object_unref (capture);
}

int
main (int argc, char **argv)
{
  const char *localedir = g_getenv ("MAILSCOPE_LOCALEDIR");

  setlocale (LC_ALL, "");
  if (localedir)
    bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_test_add_func ("/app/widgets/ladder", test_ladder);
  g_test_add_func ("/app/widgets/hex-view", test_hex_view);
  g_test_add_func ("/app/widgets/packet-detail", test_packet_detail);
  g_test_add_func ("/app/widgets/packet-list", test_packet_list);
  g_test_add_func ("/app/widgets/session-view", test_session_view);
  g_test_add_func ("/app/widgets/step-row", test_step_row);
  g_test_add_func ("/app/widgets/bench-scroll", test_bench_scroll);
  return g_test_run ();
}
