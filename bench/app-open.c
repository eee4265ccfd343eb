/* app-open.c - how fast the GUI opens a large capture.
 *
 * Creates the real MsWindow, opens FILE through ms_window_open_file and
 * measures, with the monotonic clock from the moment the file is opened:
 *   - first page: the end of the first frame painted with the packet list
 *     on screen and its model holding a page of rows, or as many rows as
 *     it holds in the end when that is fewer (the lesson view shows one
 *     step of one session);
 *   - session page: the end of the first frame painted with the session
 *     page on screen, and whether that was before "loaded" (a big file is
 *     shown while the rest is indexed);
 *   - indexed: the capture's "loaded" signal, every frame indexed;
 *   - the "progress" signals seen before "loaded", whether the progress bar
 *     on screen (the loading page's, then the session view's) moved forward
 *     with them, and how many came with the session page already shown;
 *   - the longest main-loop stall while indexing (a 5 ms timeout probe)
 *     and the longest gap between two frame-clock frames;
 *   - the peak RSS of the process (VmHWM) before and after opening;
 * then switches the lesson view to every session and every step, as a
 * student who wants the whole capture does, and measures the first page of
 * that list (all frames), the longest stall and the peak RSS again.
 * Prints one line of key=value pairs for bench/app-open.sh; run it under
 * xvfb-run. */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "ms-application.h"
#include "ms-packet-list.h"
#include "ms-session-view.h"
#include "ms-window.h"

/* Rows that make a page of the packet list. */
#define PAGE_ROWS 50
/* Interval of the main-loop probe, in ms. */
#define PROBE_MS 5
/* Give up after this many seconds. */
#define TIMEOUT_S 60

typedef struct {
  MsWindow *win;
  MsCapture *capture;
  GdkFrameClock *clock;
  GtkProgressBar *progress_bar; /* the loading page's */
  gint64 t0;               /* ms_window_open_file called */
  gint64 session_at;       /* first frame painted with the session page, or 0 */
  gboolean session_early;  /* ... and that was before "loaded" */
  guint layout_rows;       /* rows of the mapped list at the last layout */
  GArray *shown;           /* Shown: painted frames where that number changed */
  gint64 loaded_at;
  gboolean loaded;
  gboolean failed;
  guint n_progress;
  guint n_progress_moved;  /* progress signals after which the bar went forward */
  guint n_progress_shown;  /* progress signals with the session page on screen */
  double last_fraction;
  gint64 last_probe;
  gint64 max_stall;        /* main loop, while indexing */
  gint64 max_stall_all;    /* main loop, over the whole phase */
  gint64 last_frame;
  gint64 max_frame_gap;    /* frame clock, while indexing */
  gint64 max_frame_gap_all; /* frame clock, over the whole phase */
  guint n_frames_painted;  /* while indexing */
  guint settle;            /* after-paints still to wait once all is done */
  gboolean done;           /* this phase is over */
  gboolean finished;       /* every phase is over: the probes stop */
} Bench;

typedef struct {
  guint rows;              /* rows in the list's model while the frame was laid out */
  guint drawn;             /* row widgets mapped */
  gint64 at;               /* end of its paint */
} Shown;

static gint64
vm_hwm_kib (void)
{
  g_autofree char *status = NULL;
  const char *p;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  p = strstr (status, "VmHWM:");
  return p ? g_ascii_strtoll (p + 6, NULL, 10) : -1;
}

static GtkWidget *
find_widget (GtkWidget *root, GType type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_widget (c, type);
      if (found)
        return found;
    }
  return NULL;
}

static MsPacketList *
packet_list (Bench *b)
{
  return ms_session_view_get_packet_list (ms_window_get_session_view (b->win));
}

/* Row widgets of the packet list that are on screen. */
static guint
mapped_rows (Bench *b)
{
  GtkWidget *view = find_widget (GTK_WIDGET (packet_list (b)), GTK_TYPE_COLUMN_VIEW);
  GtkWidget *list = view ? find_widget (view, GTK_TYPE_LIST_VIEW) : NULL;
  guint n = 0;

  if (list == NULL)
    return 0;
  for (GtkWidget *c = gtk_widget_get_first_child (list); c; c = gtk_widget_get_next_sibling (c))
    if (gtk_widget_get_mapped (c) && g_strcmp0 (gtk_widget_get_css_name (c), "row") == 0)
      n++;
  return n;
}

/* Rows of the packet list's model while the list is on screen, else 0. */
static guint
list_rows (Bench *b)
{
  MsPacketList *pl = packet_list (b);
  GListModel *model = ms_packet_list_get_model (pl);

  if (model == NULL || !gtk_widget_get_mapped (GTK_WIDGET (pl)))
    return 0;
  return g_list_model_get_n_items (model);
}

/* TRUE once every frame is indexed and the list is filtered. */
static gboolean
all_done (Bench *b)
{
  MsPacketList *pl = packet_list (b);

  return b->loaded && ms_packet_list_get_model (pl) != NULL && !ms_packet_list_is_filtering (pl);
}

static void
on_layout (GdkFrameClock *clock, Bench *b)
{
  b->layout_rows = list_rows (b);
}

static void
on_after_paint (GdkFrameClock *clock, Bench *b)
{
  gint64 now = g_get_monotonic_time ();
  Shown *last = b->shown->len ? &g_array_index (b->shown, Shown, b->shown->len - 1) : NULL;

  if (b->last_frame && !b->done)
    {
      b->max_frame_gap_all = MAX (b->max_frame_gap_all, now - b->last_frame);
      if (!b->loaded)
        b->max_frame_gap = MAX (b->max_frame_gap, now - b->last_frame);
    }
  b->last_frame = now;
  if (!b->loaded)
    b->n_frames_painted++;
  if (b->session_at == 0 && g_strcmp0 (ms_window_get_page (b->win), "session") == 0)
    {
      b->session_at = now;
      b->session_early = !b->loaded;
    }
  if (b->layout_rows > 0 && (last == NULL || last->rows != b->layout_rows))
    {
      Shown s = { b->layout_rows, mapped_rows (b), now };
      g_array_append_val (b->shown, s);
    }
  if (b->settle == 0 && all_done (b))
    b->settle = 3;
  else if (b->settle > 0 && --b->settle == 0)
    b->done = TRUE;
}

/* Keeps the frame clock running so that every frame is seen. */
static gboolean
on_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  Bench *b = data;
  return b->finished ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static gboolean
on_probe (gpointer data)
{
  Bench *b = data;
  gint64 now = g_get_monotonic_time ();

  b->max_stall_all = MAX (b->max_stall_all, now - b->last_probe);
  if (!b->loaded)
    b->max_stall = MAX (b->max_stall, now - b->last_probe);
  b->last_probe = now;
  return b->finished ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

/* Connected after the window's own handler: the bar on screen shows this
 * batch (the session view hides its bar once the last batch is in). */
static void
on_progress (MsCapture *capture, double fraction, guint first, guint n, Bench *b)
{
  gboolean loading = g_strcmp0 (ms_window_get_page (b->win), "loading") == 0;
  double shown = loading ? gtk_progress_bar_get_fraction (b->progress_bar)
                         : ms_session_view_get_progress (ms_window_get_session_view (b->win));

  if (b->loaded)
    return;
  b->n_progress++;
  if (!loading)
    b->n_progress_shown++;
  if (shown > b->last_fraction)
    b->n_progress_moved++;
  b->last_fraction = shown;
}

static void
on_loaded (MsCapture *capture, const char *warning, Bench *b)
{
  b->loaded_at = g_get_monotonic_time ();
  b->loaded = TRUE;
}

static void
on_failed (MsCapture *capture, const char *message, Bench *b)
{
  g_printerr ("app-open: %s\n", message);
  b->failed = TRUE;
  b->done = TRUE;
}

static void
on_painted (GdkFrameClock *clock, gboolean *painted)
{
  *painted = TRUE;
}

static void
wait_for_paint (GdkFrameClock *clock, GtkWidget *widget)
{
  gboolean painted = FALSE;
  gulong id = g_signal_connect (clock, "after-paint", G_CALLBACK (on_painted), &painted);

  gtk_widget_queue_draw (widget);
  while (!painted)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (clock, id);
}

/* Runs the main loop until the phase is over; FALSE on failure or time-out. */
static gboolean
run_phase (Bench *b, gint64 start)
{
  gint64 deadline = start + TIMEOUT_S * G_USEC_PER_SEC;

  b->done = FALSE;
  b->settle = 0;
  b->layout_rows = 0;
  b->max_stall_all = 0;
  b->max_frame_gap_all = 0;
  b->last_probe = start;
  b->last_frame = start;
  g_array_set_size (b->shown, 0);
  while (!b->done && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  if (!b->done || b->failed)
    {
      MsPacketList *pl = packet_list (b);
      GListModel *model = ms_packet_list_get_model (pl);

      g_printerr ("app-open: %s (page %s, %u frames indexed, loaded %s, %u rows, list %s)\n",
                  b->failed ? "the capture failed to open" : "timed out",
                  ms_window_get_page (b->win), ms_capture_get_n_frames (b->capture),
                  b->loaded ? "yes" : "no", model ? g_list_model_get_n_items (model) : 0,
                  gtk_widget_get_mapped (GTK_WIDGET (pl)) ? "mapped" : "not mapped");
      return FALSE;
    }
  return TRUE;
}

/* The first painted frame of the phase that showed a page, or every row
 * the list holds at its end when that is fewer. */
static const Shown *
first_page (Bench *b)
{
  guint final_rows = list_rows (b);

  for (guint i = 0; final_rows > 0 && i < b->shown->len; i++)
    if (g_array_index (b->shown, Shown, i).rows >= MIN (PAGE_ROWS, final_rows))
      return &g_array_index (b->shown, Shown, i);
  g_printerr ("app-open: the packet list never showed a row\n");
  return NULL;
}

int
main (int argc, char **argv)
{
  g_autoptr (MsApplication) app = NULL;
  g_autoptr (GFile) file = NULL;
  Bench b = { 0 };
  const Shown *page;
  gint64 hwm_before, t1;
  MsSessionView *view;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  if (argc != 2)
    {
      g_printerr ("usage: %s FILE.pcap   (under xvfb-run)\n", argv[0]);
      return 2;
    }
  file = g_file_new_for_commandline_arg (argv[1]);

  app = ms_application_new (G_APPLICATION_NON_UNIQUE);
  if (!g_application_register (G_APPLICATION (app), NULL, NULL))
    return 1;
  g_application_hold (G_APPLICATION (app));

  b.win = ms_window_new (GTK_APPLICATION (app));
  gtk_window_set_default_size (GTK_WINDOW (b.win), 1280, 800);
  gtk_window_present (GTK_WINDOW (b.win));
  b.clock = gtk_widget_get_frame_clock (GTK_WIDGET (b.win));
  b.progress_bar = GTK_PROGRESS_BAR (find_widget (GTK_WIDGET (b.win), GTK_TYPE_PROGRESS_BAR));
  if (b.clock == NULL || b.progress_bar == NULL)
    {
      g_printerr ("app-open: the window has no frame clock or no progress bar\n");
      return 1;
    }
  /* Start from a window that is already on screen. */
  wait_for_paint (b.clock, GTK_WIDGET (b.win));
  wait_for_paint (b.clock, GTK_WIDGET (b.win));
  hwm_before = vm_hwm_kib ();

  g_signal_connect (b.clock, "layout", G_CALLBACK (on_layout), &b);
  g_signal_connect (b.clock, "after-paint", G_CALLBACK (on_after_paint), &b);
  gtk_widget_add_tick_callback (GTK_WIDGET (b.win), on_tick, &b, NULL);

  b.shown = g_array_new (FALSE, FALSE, sizeof (Shown));
  b.t0 = g_get_monotonic_time ();
  ms_window_open_file (b.win, file);
  b.capture = g_object_ref (ms_window_get_capture (b.win));
  g_signal_connect (b.capture, "progress", G_CALLBACK (on_progress), &b);
  g_signal_connect (b.capture, "loaded", G_CALLBACK (on_loaded), &b);
  g_signal_connect (b.capture, "failed", G_CALLBACK (on_failed), &b);
  g_timeout_add (PROBE_MS, on_probe, &b);
  if (!run_phase (&b, b.t0) || (page = first_page (&b)) == NULL)
    return 1;

  printf ("first_page_us=%" G_GINT64_FORMAT " loaded_us=%" G_GINT64_FORMAT
          " session_page_us=%" G_GINT64_FORMAT " session_early=%d progress_shown=%u"
          " frames=%u rows=%u drawn_rows=%u progress=%u progress_moved=%u"
          " final_fraction=%.3f max_stall_us=%" G_GINT64_FORMAT
          " max_stall_all_us=%" G_GINT64_FORMAT " max_frame_gap_us=%" G_GINT64_FORMAT
          " max_frame_gap_all_us=%" G_GINT64_FORMAT " painted=%u page=%s"
          " hwm_before_kib=%" G_GINT64_FORMAT " hwm_open_kib=%" G_GINT64_FORMAT,
          page->at - b.t0, b.loaded_at - b.t0, b.session_at ? b.session_at - b.t0 : -1,
          b.session_early, b.n_progress_shown, ms_capture_get_n_frames (b.capture),
          page->rows, page->drawn, b.n_progress, b.n_progress_moved,
          gtk_progress_bar_get_fraction (b.progress_bar), b.max_stall, b.max_stall_all,
          b.max_frame_gap, b.max_frame_gap_all,
          b.n_frames_painted, ms_window_get_page (b.win), hwm_before, vm_hwm_kib ());

  /* Every session, every step: the list of all frames. */
  view = ms_window_get_session_view (b.win);
  t1 = g_get_monotonic_time ();
  ms_session_view_set_session (view, 0);
  ms_session_view_step_last (view);
  if (!run_phase (&b, t1) || (page = first_page (&b)) == NULL)
    return 1;
  b.finished = TRUE;

  printf (" all_first_page_us=%" G_GINT64_FORMAT " all_rows=%u all_drawn_rows=%u"
          " all_max_stall_us=%" G_GINT64_FORMAT " all_max_frame_gap_us=%" G_GINT64_FORMAT
          " hwm_kib=%" G_GINT64_FORMAT "\n",
          page->at - t1, list_rows (&b), page->drawn, b.max_stall_all, b.max_frame_gap_all,
          vm_hwm_kib ());
  fflush (stdout);

  g_signal_handlers_disconnect_by_data (b.capture, &b);
  g_signal_handlers_disconnect_by_data (b.clock, &b);
  g_object_unref (b.capture);
  g_array_unref (b.shown);
  gtk_window_destroy (GTK_WINDOW (b.win));
  g_application_release (G_APPLICATION (app));
  return 0;
}
