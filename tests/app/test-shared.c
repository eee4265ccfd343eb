/* test-shared.c - the shared-mailbox page of the real application under
 * Xvfb: capture.shared-demo runs the lab's shared demo (two IMAP clients on
 * one mailbox, two POP3 clients), and the page shows both IMAP transcripts
 * with client B's changes linked to what the server pushed to client A, and
 * the real server's refusal of the second POP3 session. When the demo could
 * capture, capture.shared-open opens its packets in the session view.
 *
 * With MS_SCREENSHOT_DIR set, the finished page is also saved there as
 * shared.png. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "app-test-util.h"
#include "ms-application.h"
#include "ms-window-private.h"
#include "ms-shared-view.h"

/* Seconds the demo may take at most: the IDLE client waits 3 s, the rest
 * is loopback; a loaded machine gets plenty of slack. */
#define SHARED_TIMEOUT 180

static gboolean
demo_over (gpointer view)
{
  return !ms_shared_view_get_running (view);
}

/* The first line of `text` holding `needle` (ending with it when needle
 * ends with a newline), or NULL. */
static char *
line_with (const char *text, const char *needle)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  gboolean at_end = g_str_has_suffix (needle, "\n");
  g_autofree char *bare = g_strndup (needle, strlen (needle) - (at_end ? 1 : 0));
  for (guint i = 0; lines[i]; i++)
    if (at_end ? g_str_has_suffix (lines[i], bare) : strstr (lines[i], bare) != NULL)
      return g_strdup (lines[i]);
  return NULL;
}

/* The part of a marker's format before its number. */
static char *
marker_prefix (const char *format)
{
  const char *u = strstr (format, "%u");
  g_assert_nonnull (u);
  return g_strndup (format, u - format);
}

/* A column's text, the markers' no-break spaces and word joiners made
 * plain. */
static char *
column_text (MsSharedView *view, MsSharedColumn column)
{
  GString *s = g_string_new (NULL);
  g_autofree char *text = ms_shared_view_get_column_text (view, column);
  g_string_assign (s, text);
  g_string_replace (s, "\u00a0", " ", 0);
  g_string_replace (s, "\u2060", "", 0);
  return g_string_free (s, FALSE);
}

static void
test_shared_demo (void)
{
  MsWindow *win = ms_window_new (GTK_APPLICATION (app_test_get_app ()));
  MsSharedView *view = ms_window_get_shared_view (win);
  const char *shot_dir = g_getenv ("MS_SCREENSHOT_DIR");
  g_autofree char *a = NULL, *b = NULL, *pop = NULL, *summary = NULL;
  guint pushed_marked = 0;

  /* Own the main context for the whole test, as g_application_run() does:
   * the demo's worker threads then queue their callbacks to it instead of
   * running them themselves while this thread sleeps between iterations. */
  g_assert_true (g_main_context_acquire (NULL));
  gtk_window_present (GTK_WINDOW (win));
  g_assert_cmpstr (ms_window_get_page (win), ==, "start");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "capture.shared-demo", NULL));
  g_assert_cmpstr (ms_window_get_page (win), ==, "shared");
  g_assert_true (ms_shared_view_get_running (view));
  /* A second start while it runs does nothing. */
  g_assert_false (gtk_widget_activate_action (GTK_WIDGET (win), "capture.shared-demo", NULL)
                  && !ms_shared_view_get_running (view));

  app_test_wait_until (demo_over, view, SHARED_TIMEOUT, "the shared demo to end");
  g_assert_cmpstr (ms_window_get_page (win), ==, "shared");
  g_assert_cmpuint (ms_shared_view_get_n_imap_columns (view), ==, 2);

  a = column_text (view, MS_SHARED_COLUMN_A);
  b = column_text (view, MS_SHARED_COLUMN_B);
  pop = column_text (view, MS_SHARED_COLUMN_POP3);
  summary = ms_shared_view_get_summary_text (view);
  g_test_message ("client A:\n%s\nclient B:\n%s\nPOP3:\n%s\nsummary:\n%s", a, b, pop, summary);

  /* Client A waited in IDLE and was told; client B changed the mailbox. */
  {
    g_autofree char *idle = line_with (a, " IDLE\n");
    g_assert_nonnull (idle);
    g_assert_true (g_str_has_prefix (idle, "C: "));
  }
  g_assert_nonnull (strstr (b, " STORE "));
  g_assert_nonnull (strstr (b, " EXPUNGE"));
  g_assert_cmpuint (ms_shared_view_get_n_pushed (view), >=, 1);
  g_assert_cmpuint (ms_shared_view_get_n_linked (view), ==, ms_shared_view_get_n_pushed (view));

  /* Every update marked as pushed in A answers the change it links to in
   * B: "* N FETCH" a STORE on message N, "* N EXPUNGE" an EXPUNGE. */
  {
    /* The markers as translated: "pushed ← change %u", "change %u". */
    g_autofree char *pushed_prefix = marker_prefix (_("pushed ← change %u"));
    g_auto (GStrv) lines = g_strsplit (a, "\n", -1);
    for (guint i = 0; lines[i]; i++)
      {
        const char *mark = strstr (lines[i], pushed_prefix);
        g_autofree char *change_mark = NULL, *change_line = NULL, *pushed = NULL;
        g_auto (GStrv) words = NULL;
        guint k;

        if (mark == NULL)
          continue;
        pushed_marked++;
        g_assert_true (g_str_has_prefix (lines[i], "S: * "));
        k = (guint) g_ascii_strtoull (mark + strlen (pushed_prefix), NULL, 10);
        g_assert_cmpuint (k, >=, 1);
        {
          g_autofree char *marker = g_strdup_printf (_("change %u"), k);
          /* the marker ends the line */
          change_mark = g_strdup_printf (" %s \n", marker);
        }
        change_line = line_with (b, change_mark);
        g_assert_nonnull (change_line);
        g_assert_true (g_str_has_prefix (change_line, "C: "));
        pushed = g_strndup (lines[i] + 3, mark - lines[i] - 3);
        g_strstrip (pushed);
        /* the pushed line is in the summary too */
        g_assert_nonnull (strstr (summary, pushed));
        words = g_strsplit (pushed, " ", 4);
        if (g_str_equal (words[2], "FETCH"))
          {
            g_autofree char *store = g_strdup_printf (" STORE %s ", words[1]);
            g_assert_nonnull (strstr (change_line, store));
          }
        else if (g_str_equal (words[2], "EXPUNGE"))
          g_assert_nonnull (strstr (change_line, " EXPUNGE"));
      }
  }
  g_assert_cmpuint (pushed_marked, ==, ms_shared_view_get_n_pushed (view));
  {
    g_auto (GStrv) sentences = g_strsplit (summary, "\n", -1);
    /* one sentence a line, each ending the line */
    g_assert_cmpuint (g_strv_length (sentences) - 1, ==, pushed_marked);
  }

  /* The real POP3 server locked the maildrop: the second session was
   * refused while the first held it. */
  g_assert_nonnull (ms_shared_view_get_refusal (view));
  g_assert_true (g_str_has_prefix (ms_shared_view_get_refusal (view), "-ERR [IN-USE]"));
  g_assert_nonnull (strstr (pop, ms_shared_view_get_refusal (view)));
  g_assert_nonnull (strstr (pop, _("holds the lock")));
  g_assert_true (strstr (pop, _("holds the lock")) < strstr (pop, "-ERR [IN-USE]"));
  /* the first session went on afterwards and ended normally */
  g_assert_nonnull (strstr (strstr (pop, "-ERR [IN-USE]"), "C: QUIT"));

  if (shot_dir)
    {
      /* Let the columns settle on their marked lines first. */
      gint64 until = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
      while (g_get_monotonic_time () < until)
        {
          g_main_context_iteration (NULL, FALSE);
          g_usleep (1000);
        }
      g_autofree char *path = g_build_filename (shot_dir, "shared.png", NULL);
      app_test_save_screenshot (GTK_WIDGET (win), path);
      g_test_message ("screenshot: %s", path);
      /* and in the dark style */
      g_object_set (win, "dark", TRUE, NULL);
      until = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
      while (g_get_monotonic_time () < until)
        {
          g_main_context_iteration (NULL, FALSE);
          g_usleep (1000);
        }
      g_free (path);
      path = g_build_filename (shot_dir, "shared-dark.png", NULL);
      app_test_save_screenshot (GTK_WIDGET (win), path);
      g_object_set (win, "dark", FALSE, NULL);
    }

  /* With packets, the capture opens as any other. */
  if (win->shared_pcap != NULL)
    {
      MsSessionView *session;
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "capture.shared-open", NULL));
      app_test_wait_for_page (win, "session", "error", SHARED_TIMEOUT);
      g_assert_cmpstr (ms_window_get_page (win), ==, "session");
      session = ms_window_get_session_view (win);
      g_assert_cmpuint (ms_session_view_get_n_steps (session), >=, 3);
      g_test_message ("capture opened: %u steps", ms_session_view_get_n_steps (session));
    }
  else
    g_test_message ("the demo captured nothing; the page says why");
  gtk_window_destroy (GTK_WINDOW (win));
  g_main_context_release (NULL);
}

int
main (int argc, char **argv)
{
  app_test_init (&argc, &argv);

  g_test_add_func ("/app/shared/demo", test_shared_demo);
  return app_test_run ();
}
