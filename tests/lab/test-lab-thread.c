/* test-lab-thread.c - the lab server run the way the GUI runs it: in a
 * worker thread that iterates its own main context, while this thread never
 * iterates the global one. Every timer of the server (the failed-login
 * delay, the mailbox hub's rescans and IDLE pushes) must fire in the worker,
 * or these tests hang. Also the changes a running server accepts: accounts
 * added and removed, require-TLS and STARTTLS switched. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>

#include "lab/ms-lab-server.h"
#include "lab/ms-maildir.h"

/* A fail-safe for a server that never answers; a passing run is fast. */
#define READ_TIMEOUT_S 60

typedef struct {
  GThread *thread;
  GMainContext *ctx;
  GMainLoop *loop;
  MsLabServer *srv;
  char *dir;
  guint16 port;
  GMutex lock;
  GCond cond;
  gboolean ready;
} Worker;

static gpointer
worker_main (gpointer data)
{
  Worker *w = data;
  g_main_context_push_thread_default (w->ctx);
  GError *error = NULL;
  MsLabConfig cfg;
  ms_lab_config_init (&cfg);
  cfg.data_dir = g_strdup (w->dir);
  cfg.seed_dir = g_build_filename (g_getenv ("MS_SOURCE_ROOT"), "samples", "maildir", NULL);
  cfg.failed_login_delay_ms = 50;
  w->srv = ms_lab_server_new (&cfg, &error);
  g_assert_no_error (error);
  ms_lab_config_clear (&cfg);
  w->port = ms_lab_server_listen (w->srv, MS_LAB_IMAP, "127.0.0.1:0", &error);
  g_assert_no_error (error);
  g_mutex_lock (&w->lock);
  w->ready = TRUE;
  g_cond_signal (&w->cond);
  g_mutex_unlock (&w->lock);
  g_main_loop_run (w->loop);
  ms_lab_server_free (w->srv);
  g_main_context_pop_thread_default (w->ctx);
  return NULL;
}

static Worker *
worker_start (void)
{
  GError *error = NULL;
  Worker *w = g_new0 (Worker, 1);
  w->dir = g_dir_make_tmp ("ms-labthread-XXXXXX", &error);
  g_assert_no_error (error);
  w->ctx = g_main_context_new ();
  w->loop = g_main_loop_new (w->ctx, FALSE);
  g_mutex_init (&w->lock);
  g_cond_init (&w->cond);
  w->thread = g_thread_new ("lab-server", worker_main, w);
  g_mutex_lock (&w->lock);
  while (!w->ready)
    g_cond_wait (&w->cond, &w->lock);
  g_mutex_unlock (&w->lock);
  return w;
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
worker_stop (Worker *w)
{
  g_main_context_invoke (w->ctx, quit_loop, w->loop);
  g_thread_join (w->thread);
  g_main_loop_unref (w->loop);
  g_main_context_unref (w->ctx);
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", w->dir);
  g_assert_cmpint (system (cmd), ==, 0);
  g_free (w->dir);
  g_mutex_clear (&w->lock);
  g_cond_clear (&w->cond);
  g_free (w);
}

/* Runs `func` on the server's thread and waits for it. */
typedef struct {
  Worker *w;
  void (*func) (MsLabServer *srv, gpointer data);
  gpointer data;
  gboolean done;
} Call;

static gboolean
call_in_worker (gpointer data)
{
  Call *c = data;
  c->func (c->w->srv, c->data);
  g_mutex_lock (&c->w->lock);
  c->done = TRUE;
  g_cond_broadcast (&c->w->cond);
  g_mutex_unlock (&c->w->lock);
  return G_SOURCE_REMOVE;
}

static void
in_worker (Worker *w, void (*func) (MsLabServer *, gpointer), gpointer data)
{
  Call c = { w, func, data, FALSE };
  g_main_context_invoke (w->ctx, call_in_worker, &c);
  g_mutex_lock (&w->lock);
  while (!c.done)
    g_cond_wait (&w->cond, &w->lock);
  g_mutex_unlock (&w->lock);
}

/* --- a blocking IMAP client on this thread ---------------------------- */

typedef struct {
  GSocketConnection *sc;
  GDataInputStream *in;
  GOutputStream *out;
} Imap;

static char *
imap_line (Imap *im)
{
  GError *error = NULL;
  char *line = g_data_input_stream_read_line (im->in, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_strchomp (line);
  return line;
}

static Imap *
imap_connect (guint16 port)
{
  GError *error = NULL;
  Imap *im = g_new0 (Imap, 1);
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_socket_client_set_timeout (client, READ_TIMEOUT_S);
  im->sc = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  im->in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (im->sc)));
  im->out = g_io_stream_get_output_stream (G_IO_STREAM (im->sc));
  g_autofree char *greeting = imap_line (im);
  g_assert_true (g_str_has_prefix (greeting, "* OK"));
  return im;
}

static void
imap_send (Imap *im, const char *text)
{
  GError *error = NULL;
  g_autofree char *line = g_strdup_printf ("%s\r\n", text);
  g_output_stream_write_all (im->out, line, strlen (line), NULL, NULL, &error);
  g_assert_no_error (error);
}

/* Sends "TAG command" and returns every line up to the tagged reply, the
 * tagged reply last. */
static GPtrArray *
imap_cmd (Imap *im, const char *tag, const char *command)
{
  g_autofree char *line = g_strdup_printf ("%s %s", tag, command);
  imap_send (im, line);
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *prefix = g_strdup_printf ("%s ", tag);
  for (;;)
    {
      char *l = imap_line (im);
      g_ptr_array_add (lines, l);
      if (g_str_has_prefix (l, prefix))
        return lines;
    }
}

static const char *
last (GPtrArray *lines)
{
  return lines->pdata[lines->len - 1];
}

static void
imap_close (Imap *im)
{
  g_object_unref (im->in);
  g_io_stream_close (G_IO_STREAM (im->sc), NULL, NULL);
  g_object_unref (im->sc);
  g_free (im);
}

/* --- the tests ---------------------------------------------------------- */

static void
add_guest (MsLabServer *srv, gpointer data)
{
  GError *error = NULL;
  g_assert_true (ms_lab_server_add_user (srv, "guest", "s3cret", &error));
  g_assert_no_error (error);
  /* A second time, a bad name, an empty password: refused. */
  g_assert_false (ms_lab_server_add_user (srv, "guest", "other", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_false (ms_lab_server_add_user (srv, "../x", "pw", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (ms_lab_server_add_user (srv, "a.b", "pw", &error));
  g_clear_error (&error);
  g_assert_false (ms_lab_server_add_user (srv, MS_LAB_TLS_SUBDIR, "pw", &error));
  g_clear_error (&error);
  g_assert_false (ms_lab_server_add_user (srv, "nopass", "", &error));
  g_clear_error (&error);
  g_auto (GStrv) names = ms_lab_server_user_names (srv);
  g_assert_cmpuint (g_strv_length (names), ==, 2);
  g_assert_cmpstr (names[0], ==, "student");
  g_assert_cmpstr (names[1], ==, "guest");
}

static void
remove_guest (MsLabServer *srv, gpointer data)
{
  g_assert_true (ms_lab_server_remove_user (srv, "guest"));
  g_assert_false (ms_lab_server_remove_user (srv, "guest"));
  g_auto (GStrv) names = ms_lab_server_user_names (srv);
  g_assert_cmpuint (g_strv_length (names), ==, 1);
}

static void
set_require_tls (MsLabServer *srv, gpointer data)
{
  ms_lab_server_set_require_tls (srv, GPOINTER_TO_INT (data));
}

static void
set_starttls (MsLabServer *srv, gpointer data)
{
  ms_lab_server_set_starttls (srv, GPOINTER_TO_INT (data));
}

static gboolean
has (GPtrArray *lines, const char *needle)
{
  for (guint i = 0; i < lines->len; i++)
    if (strstr (lines->pdata[i], needle))
      return TRUE;
  return FALSE;
}

/* Accounts added and removed while the server runs in its thread; a wrong
 * password's delay is a timer of the worker's context. */
static void
test_accounts (void)
{
  Worker *w = worker_start ();
  Imap *im = imap_connect (w->port);
  g_autoptr (GPtrArray) r1 = imap_cmd (im, "a1", "LOGIN guest s3cret");
  g_assert_true (g_str_has_prefix (last (r1), "a1 NO"));
  in_worker (w, add_guest, NULL);
  g_autoptr (GPtrArray) r2 = imap_cmd (im, "a2", "LOGIN guest s3cret");
  g_assert_true (g_str_has_prefix (last (r2), "a2 OK"));
  /* The new account's mailbox was seeded from the sample student's. */
  g_autoptr (GPtrArray) r3 = imap_cmd (im, "a3", "SELECT INBOX");
  g_assert_true (g_str_has_prefix (last (r3), "a3 OK"));
  g_assert_true (has (r3, "EXISTS"));
  imap_close (im);

  in_worker (w, remove_guest, NULL);
  im = imap_connect (w->port);
  g_autoptr (GPtrArray) r4 = imap_cmd (im, "b1", "LOGIN guest s3cret");
  g_assert_true (g_str_has_prefix (last (r4), "b1 NO"));
  imap_close (im);
  worker_stop (w);
}

/* Require-TLS applies to the next password; STARTTLS can be withdrawn. */
static void
test_tls_switches (void)
{
  Worker *w = worker_start ();
  Imap *im = imap_connect (w->port);
  g_autoptr (GPtrArray) c1 = imap_cmd (im, "c1", "CAPABILITY");
  g_assert_true (has (c1, " STARTTLS"));
  g_assert_false (has (c1, "LOGINDISABLED"));
  in_worker (w, set_require_tls, GINT_TO_POINTER (TRUE));
  g_autoptr (GPtrArray) c2 = imap_cmd (im, "c2", "CAPABILITY");
  g_assert_true (has (c2, "LOGINDISABLED"));
  g_autoptr (GPtrArray) c3 = imap_cmd (im, "c3", "LOGIN student classroom");
  g_assert_true (g_str_has_prefix (last (c3), "c3 NO"));
  in_worker (w, set_require_tls, GINT_TO_POINTER (FALSE));
  g_autoptr (GPtrArray) c4 = imap_cmd (im, "c4", "LOGIN student classroom");
  g_assert_true (g_str_has_prefix (last (c4), "c4 OK"));
  imap_close (im);

  in_worker (w, set_starttls, GINT_TO_POINTER (FALSE));
  im = imap_connect (w->port);
  g_autoptr (GPtrArray) c5 = imap_cmd (im, "c5", "CAPABILITY");
  g_assert_false (has (c5, "STARTTLS"));
  imap_close (im);
  worker_stop (w);
}

/* A delivery reaches an IDLE session: the hub's file monitor, rescan and
 * fan-out all run in the worker's context. */
static void
test_idle_push (void)
{
  Worker *w = worker_start ();
  Imap *im = imap_connect (w->port);
  g_autoptr (GPtrArray) l = imap_cmd (im, "d1", "LOGIN student classroom");
  g_assert_true (g_str_has_prefix (last (l), "d1 OK"));
  g_autoptr (GPtrArray) s = imap_cmd (im, "d2", "SELECT INBOX");
  g_assert_true (g_str_has_prefix (last (s), "d2 OK"));
  guint exists = 0;
  for (guint i = 0; i < s->len; i++)
    if (g_str_has_suffix (s->pdata[i], " EXISTS"))
      exists = (guint) atoi ((char *) s->pdata[i] + 2);
  g_assert_cmpuint (exists, >, 0);
  imap_send (im, "d3 IDLE");
  g_autofree char *cont = imap_line (im);
  g_assert_true (g_str_has_prefix (cont, "+"));

  /* Delivered by this thread, as another process would. */
  GError *error = NULL;
  g_autofree char *root = g_build_filename (w->dir, "student", NULL);
  MsMaildir *md = ms_maildir_open (root, &error);
  g_assert_no_error (error);
  const char *msg = "From: a@mailscope.test\r\nSubject: pushed\r\n\r\nhello\r\n";
  g_autofree char *path = ms_maildir_deliver (md, "INBOX", (const guint8 *) msg, strlen (msg),
                                              &error);
  g_assert_no_error (error);
  ms_maildir_free (md);

  g_autofree char *want = g_strdup_printf ("* %u EXISTS", exists + 1);
  for (;;)
    {
      g_autofree char *line = imap_line (im);
      if (strcmp (line, want) == 0)
        break;
    }
  imap_send (im, "DONE");
  for (;;)
    {
      g_autofree char *line = imap_line (im);
      if (g_str_has_prefix (line, "d3 "))
        {
          g_assert_true (g_str_has_prefix (line, "d3 OK"));
          break;
        }
    }
  imap_close (im);
  worker_stop (w);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lab/thread/accounts", test_accounts);
  g_test_add_func ("/lab/thread/tls-switches", test_tls_switches);
  g_test_add_func ("/lab/thread/idle-push", test_idle_push);
  return g_test_run ();
}
