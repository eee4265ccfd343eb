/* test-lab-panel.c - the lab panel under Xvfb, driven by its actions: it
 * opens from the window (lab.panel), starts its server in its own thread,
 * shows the ports really bound, logs a real client's LOGIN (Python's
 * imaplib), delivers a message that reaches the mailbox list, the Maildir
 * on disk and an IDLE client, adds an account that can log in at once, and
 * refuses a plaintext LOGIN once TLS is required. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "app-test-util.h"
#include "ms-application.h"
#include "ms-lab-panel.h"
#include "ms-window.h"

/* A fail-safe for each wait; a passing run is much faster. */
#define LAB_TIMEOUT_S 90

static gboolean
is_running (gpointer panel)
{
  return ms_lab_runner_is_running (ms_lab_panel_get_runner (panel));
}

static gboolean
is_stopped (gpointer panel)
{
  return !ms_lab_runner_is_busy (ms_lab_panel_get_runner (panel));
}

static gboolean
restarted_without_tls (gpointer panel)
{
  MsLabRunner *runner = ms_lab_panel_get_runner (panel);
  return ms_lab_runner_is_running (runner) && ms_lab_runner_port (runner, MS_LAB_IMAP, NULL) > 0
         && ms_lab_runner_port (runner, MS_LAB_IMAPS, NULL) == 0;
}

typedef struct {
  MsLabPanel *panel;
  const char *needle;
  guint min_count;
} LogWait;

static guint
count_in_log (MsLabPanel *panel, const char *needle)
{
  g_autofree char *log = ms_lab_panel_get_log_text (panel);
  guint n = 0;
  for (const char *p = strstr (log, needle); p; p = strstr (p + 1, needle))
    n++;
  return n;
}

static gboolean
log_has (gpointer data)
{
  LogWait *w = data;
  return count_in_log (w->panel, w->needle) >= w->min_count;
}

/* Waits until the log shows `needle` at least `count` times. */
static void
wait_log (MsLabPanel *panel, const char *needle, guint count)
{
  LogWait w = { panel, needle, count };
  app_test_wait_until (log_has, &w, LAB_TIMEOUT_S, needle);
}

typedef struct {
  GListModel *model;
  guint n;
} CountWait;

static gboolean
count_is (gpointer data)
{
  CountWait *w = data;
  return g_list_model_get_n_items (w->model) == w->n;
}

static gboolean
count_positive (gpointer data)
{
  return g_list_model_get_n_items (data) > 0;
}

/* --- a real client in a subprocess ------------------------------------ */

typedef struct {
  GSubprocess *proc;
  gboolean done;
  char *out;
} Client;

static void
on_client_done (GObject *src, GAsyncResult *res, gpointer data)
{
  Client *c = data;
  GError *error = NULL;
  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (src), res, &c->out, NULL, &error);
  g_assert_no_error (error);
  c->done = TRUE;
}

/* Runs lab_client.py MODE PORT USER PASSWORD [EXTRA]. */
static Client *
client_start_with (const char *mode, guint16 port, const char *user, const char *password,
                   const char *extra)
{
  GError *error = NULL;
  g_autofree char *script = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "lab_client.py", NULL);
  g_autofree char *port_s = g_strdup_printf ("%u", port);
  Client *c = g_new0 (Client, 1);
  c->proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, "python3", script, mode,
                              port_s, user, password, extra, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (c->proc, NULL, NULL, on_client_done, c);
  return c;
}

static Client *
client_start (const char *mode, guint16 port, const char *user, const char *password)
{
  return client_start_with (mode, port, user, password, NULL);
}

static gboolean
client_done (gpointer data)
{
  return ((Client *) data)->done;
}

/* Waits for the client; returns its exit status and output. */
static int
client_finish (Client *c, char **out)
{
  app_test_wait_until (client_done, c, LAB_TIMEOUT_S, "the IMAP client");
  int status = g_subprocess_get_exit_status (c->proc);
  g_test_message ("client: %s", c->out);
  *out = c->out;
  g_object_unref (c->proc);
  g_free (c);
  return status;
}

static int
run_client (const char *mode, guint16 port, const char *user, const char *password, char **out)
{
  return client_finish (client_start (mode, port, user, password), out);
}

/* --- helpers on the panel ---------------------------------------------- */

static MsLabPanel *
find_panel (void)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app_test_get_app ())); l; l = l->next)
    if (MS_IS_LAB_PANEL (l->data))
      return l->data;
  return NULL;
}

static void
activate (MsLabPanel *panel, const char *action)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (panel), action, NULL));
}

/* The file in the account's INBOX (new/ or cur/) whose text has `needle`. */
static char *
find_on_disk (MsLabPanel *panel, const char *user, const char *needle)
{
  static const char *const subs[] = { "new", "cur" };
  for (guint i = 0; i < G_N_ELEMENTS (subs); i++)
    {
      g_autofree char *dir = g_build_filename (ms_lab_panel_get_data_dir (panel), user, subs[i],
                                               NULL);
      GDir *d = g_dir_open (dir, 0, NULL);
      const char *name;
      while (d && (name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *path = g_build_filename (dir, name, NULL);
          g_autofree char *text = NULL;
          if (g_file_get_contents (path, &text, NULL, NULL) && strstr (text, needle))
            {
              g_dir_close (d);
              return g_steal_pointer (&text);
            }
        }
      if (d)
        g_dir_close (d);
    }
  return NULL;
}

/* --- the test ------------------------------------------------------------- */

static void
check_ports (MsLabPanel *panel)
{
  MsLabRunner *runner = ms_lab_panel_get_runner (panel);
  static const MsLabService tcp[] = { MS_LAB_IMAP, MS_LAB_IMAPS, MS_LAB_POP3, MS_LAB_POP3S,
                                      MS_LAB_DNS };
  for (guint i = 0; i < G_N_ELEMENTS (tcp); i++)
    {
      MsLabPortKind kind;
      guint16 port = ms_lab_runner_port (runner, tcp[i], &kind);
      const char *shown = ms_lab_panel_get_port_text (panel, tcp[i]);
      g_test_message ("%s: port %u shown as %s", ms_lab_service_name (tcp[i]), port, shown);
      /* Every service listens here (any free port is the last resort). */
      g_assert_cmpuint (port, >, 0);
      g_autofree char *want = g_strdup_printf ("%u", port);
      g_assert_cmpstr (shown, ==, want);
      g_assert_cmpint (kind, ==, port == ms_lab_runner_standard_port (tcp[i])
                                   ? MS_LAB_PORT_STANDARD
                                 : port == ms_lab_runner_fallback_port (tcp[i])
                                   ? MS_LAB_PORT_FALLBACK
                                   : MS_LAB_PORT_OTHER);
      /* The port shown is really open (DNS listens on TCP too). */
      GError *error = NULL;
      g_autoptr (GSocketClient) sc = g_socket_client_new ();
      g_socket_client_set_timeout (sc, LAB_TIMEOUT_S);
      g_autoptr (GSocketConnection) conn = g_socket_client_connect_to_host (sc, MS_LAB_RUNNER_HOST,
                                                                            port, NULL, &error);
      g_assert_no_error (error);
      g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
    }
}

static void
test_panel (void)
{
  GtkWindow *win = GTK_WINDOW (ms_window_new (GTK_APPLICATION (app_test_get_app ())));
  gtk_window_present (win);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "lab.panel", NULL));
  MsLabPanel *panel = find_panel ();
  g_assert_nonnull (panel);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (panel)));
  MsLabRunner *runner = ms_lab_panel_get_runner (panel);
  GListModel *messages = ms_lab_panel_get_messages (panel);

  /* Stopped: no port is shown. */
  g_assert_cmpstr (ms_lab_panel_get_port_text (panel, MS_LAB_IMAP), ==, "—");
  activate (panel, "lab-panel.start");
  app_test_wait_until (is_running, panel, LAB_TIMEOUT_S, "the server to start");
  app_test_spin ();
  check_ports (panel);
  guint16 imap = ms_lab_runner_port (runner, MS_LAB_IMAP, NULL);

  /* The sample account's INBOX is listed. */
  app_test_wait_until (count_positive, messages, LAB_TIMEOUT_S, "the INBOX");
  guint before = g_list_model_get_n_items (messages);

  /* A real client's LOGIN appears in the command log, password masked. */
  g_autofree char *out = NULL;
  g_assert_cmpint (run_client ("login", imap, "student", "classroom", &out), ==, 0);
  wait_log (panel, "LOGIN student", 1);
  g_autofree char *log = ms_lab_panel_get_log_text (panel);
  g_assert_null (strstr (log, "classroom"));
  g_assert_nonnull (strstr (log, "C: "));
  g_assert_nonnull (strstr (log, "S: "));

  /* Deliver while a client waits with IDLE: the list, the disk and the
   * client all see the new message. */
  guint idling = count_in_log (panel, "+ idling");
  Client *idler = client_start ("idle", imap, "student", "classroom");
  wait_log (panel, "+ idling", idling + 1);
  activate (panel, "lab-panel.deliver");
  CountWait cw = { messages, before + 1 };
  app_test_wait_until (count_is, &cw, LAB_TIMEOUT_S, "the delivered message in the list");
  g_autoptr (MsLabMessageItem) last = g_list_model_get_item (messages, before);
  g_autofree char *subject = g_strdup_printf (_("Lab message %u"), 1);
  g_assert_cmpstr (ms_lab_message_item_get_subject (last), ==, subject);
  g_autofree char *pushed = NULL;
  g_assert_cmpint (client_finish (idler, &pushed), ==, 0);
  g_autofree char *want_exists = g_strdup_printf ("* %u EXISTS", before + 1);
  g_assert_nonnull (strstr (pushed, want_exists));
  g_autofree char *file = find_on_disk (panel, "student", "postmaster@mailscope.test");
  g_assert_nonnull (file);
  g_assert_nonnull (strstr (file, "To: student <student@mailscope.test>"));
  g_assert_nonnull (strstr (file, "MIME-Version: 1.0"));

  /* With an attachment: a multipart/mixed message with the CSV file. */
  activate (panel, "lab-panel.attachment");
  activate (panel, "lab-panel.deliver");
  CountWait cw2 = { messages, before + 2 };
  app_test_wait_until (count_is, &cw2, LAB_TIMEOUT_S, "the message with an attachment");
  g_autofree char *with_file = find_on_disk (panel, "student", "timetable.csv");
  g_assert_nonnull (with_file);
  g_assert_nonnull (strstr (with_file, "Content-Type: multipart/mixed"));
  g_assert_nonnull (strstr (with_file, "Content-Transfer-Encoding: base64"));

  /* A new account logs in at once, with a mailbox of its own. */
  ms_lab_panel_set_new_account (panel, "guest", "letmein");
  activate (panel, "lab-panel.add-account");
  g_assert_cmpuint (g_list_model_get_n_items (ms_lab_panel_get_accounts (panel)), ==, 2);
  wait_log (panel, "account added: guest", 1);
  g_free (out);
  g_assert_cmpint (run_client ("login", imap, "guest", "letmein", &out), ==, 0);
  g_assert_true (g_str_has_prefix (out, "OK"));
  ms_lab_panel_select_account (panel, "guest");
  app_test_wait_until (count_positive, messages, LAB_TIMEOUT_S, "the guest's INBOX");

  /* Require TLS: a plaintext LOGIN is refused. */
  activate (panel, "lab-panel.require-tls");
  wait_log (panel, "require TLS: on", 1);
  g_free (out);
  g_assert_cmpint (run_client ("login", imap, "student", "classroom", &out), ==, 2);
  g_assert_true (g_str_has_prefix (out, "REFUSED"));
  wait_log (panel, "LOGIN student", 3);

  if (g_getenv ("MS_SCREENSHOT_DIR"))
    {
      ms_lab_panel_select_account (panel, "student");
      app_test_wait_until (count_positive, messages, LAB_TIMEOUT_S, "the INBOX");
      /* The four toasts time out first, one after the other (they would
       * hide the log). */
      app_test_run_for (4 * 5000 + 1000);
      g_autofree char *path = g_build_filename (g_getenv ("MS_SCREENSHOT_DIR"), "lab-panel.png",
                                                NULL);
      app_test_save_screenshot (GTK_WIDGET (panel), path);
      g_test_message ("screenshot: %s", path);
      AdwStyleManager *style = adw_style_manager_get_default ();
      adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
      app_test_run_for (500);
      g_free (path);
      path = g_build_filename (g_getenv ("MS_SCREENSHOT_DIR"), "lab-panel-dark.png", NULL);
      app_test_save_screenshot (GTK_WIDGET (panel), path);
      adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
      /* Tall enough for the accounts (a larger Xvfb screen shows them). */
      gtk_window_set_default_size (GTK_WINDOW (panel), 1200, 1150);
      app_test_run_for (500);
      g_free (path);
      path = g_build_filename (g_getenv ("MS_SCREENSHOT_DIR"), "lab-panel-tall.png", NULL);
      app_test_save_screenshot (GTK_WIDGET (panel), path);
    }

  /* TLS off restarts the server without IMAPS and POP3S, and lifts the
   * requirement (no password could pass otherwise). */
  activate (panel, "lab-panel.tls");
  app_test_wait_until (restarted_without_tls, panel, LAB_TIMEOUT_S, "the restart without TLS");
  app_test_spin ();
  g_assert_cmpuint (ms_lab_runner_port (runner, MS_LAB_IMAPS, NULL), ==, 0);
  g_assert_cmpstr (ms_lab_panel_get_port_text (panel, MS_LAB_IMAPS), ==, "—");
  imap = ms_lab_runner_port (runner, MS_LAB_IMAP, NULL);
  g_assert_cmpstr (ms_lab_panel_get_port_text (panel, MS_LAB_IMAP), !=, "—");
  guint closed = count_in_log (panel, "-- closed");
  g_free (out);
  g_assert_cmpint (run_client ("login", imap, "guest", "letmein", &out), ==, 0);
  wait_log (panel, "-- closed", closed + 1);

  activate (panel, "lab-panel.clear-log");
  g_assert_cmpuint (ms_lab_panel_get_log_lines (panel), ==, 0);

  /* The log keeps its newest lines only: 3000 NOOPs make over 6000. */
  g_autofree char *noops = g_strdup_printf ("%u", 3000u);
  g_free (out);
  g_assert_cmpint (client_finish (client_start_with ("noop", imap, "guest", "letmein", noops),
                                  &out),
                   ==, 0);
  wait_log (panel, "-- closed", 1);
  g_assert_cmpuint (ms_lab_panel_get_log_lines (panel), ==, MS_LAB_PANEL_MAX_LOG_LINES);
  g_autofree char *capped = ms_lab_panel_get_log_text (panel);
  guint newlines = 0;
  for (const char *p = capped; *p; p++)
    newlines += *p == '\n';
  g_assert_cmpuint (newlines, ==, MS_LAB_PANEL_MAX_LOG_LINES);

  activate (panel, "lab-panel.clear-log");
  g_assert_cmpuint (ms_lab_panel_get_log_lines (panel), ==, 0);
  activate (panel, "lab-panel.stop");
  app_test_wait_until (is_stopped, panel, LAB_TIMEOUT_S, "the server to stop");
  gtk_window_destroy (win);
  app_test_spin ();
  g_assert_null (find_panel ());
}

int
main (int argc, char **argv)
{
  /* A data directory of its own: the panel's Maildirs start from the
   * samples on every run. */
  GError *error = NULL;
  g_autofree char *data_home = g_dir_make_tmp ("ms-lab-panel-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  app_test_init (&argc, &argv);

  g_test_add_func ("/app/lab-panel/server", test_panel);
  int rc = app_test_run ();

  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", data_home);
  if (system (rm) != 0)
    g_printerr ("could not remove %s\n", data_home);
  return rc;
}
