/* test-client.c - the lab's IMAP and POP3 clients against a real Dovecot and
 * dnsmasq (tests/peers): plain, STARTTLS and implicit TLS, the reported
 * numbers against the sample Maildir, step mode driven through the API,
 * IDLE with a delivery, DELE, cancellation, refusals. */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "lab/ms-lab-client.h"

/* A run that takes longer than this is hung, not slow. */
#define RUN_TIMEOUT_S 60

typedef struct {
  char *root;       /* source tree */
  char *work;       /* temporary folder for the peers */
  guint16 dns, imap, pop3, imaps, pop3s;
  gboolean up;
  GArray *sizes;    /* guint64: sample messages with CRLF line ends, in UID order */
} Peers;

static Peers peers;

/* --- peers --------------------------------------------------------- */

/* A port free for both TCP and UDP on 127.0.0.1 right now. */
static guint16
free_port (void)
{
  for (;;)
    {
      g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
      g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
      g_autoptr (GSocket) t = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
      g_assert_nonnull (t);
      g_assert_true (g_socket_bind (t, any, FALSE, NULL));
      g_autoptr (GSocketAddress) bound = g_socket_get_local_address (t, NULL);
      guint16 port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
      g_autoptr (GSocket) u = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                            G_SOCKET_PROTOCOL_UDP, NULL);
      if (g_socket_bind (u, bound, FALSE, NULL) && port > 1024)
        return port;
    }
}

/* Runs a peer script with its output in WORK/peers.log: the daemons it
 * starts inherit that file, not a pipe this process would wait on. */
static gboolean
script (const char *name, const char *const *args)
{
  g_autofree char *path = g_build_filename (peers.root, "tests", "peers", name, NULL);
  g_autofree char *log = g_build_filename (peers.work, "peers.log", NULL);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) "bash");
  g_ptr_array_add (argv, (gpointer) "-c");
  g_ptr_array_add (argv, (gpointer) "log=$1; shift; exec bash \"$@\" >>\"$log\" 2>&1");
  g_ptr_array_add (argv, (gpointer) "bash");
  g_ptr_array_add (argv, log);
  g_ptr_array_add (argv, path);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  int status = 0;
  GError *error = NULL;
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                     NULL, &status, &error))
    {
      g_printerr ("# %s: %s\n", name, error->message);
      g_error_free (error);
      return FALSE;
    }
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_autofree char *out = NULL;
      g_file_get_contents (log, &out, NULL, NULL);
      g_printerr ("# %s failed:\n%s\n", name, out ? out : "");
      return FALSE;
    }
  return TRUE;
}

/* (Re)starts Dovecot over a fresh copy of the sample mailbox. */
static gboolean
dovecot_start (void)
{
  g_autofree char *dir = g_build_filename (peers.work, "dv", NULL);
  char p1[8], p2[8], p3[8], p4[8];
  g_snprintf (p1, sizeof p1, "%u", peers.imap);
  g_snprintf (p2, sizeof p2, "%u", peers.pop3);
  g_snprintf (p3, sizeof p3, "%u", peers.imaps);
  g_snprintf (p4, sizeof p4, "%u", peers.pop3s);
  const char *args[] = { "start", dir, "--imap", p1, "--pop3", p2, "--imaps", p3,
                         "--pop3s", p4, NULL };
  return script ("dovecot.sh", args);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  const char *x = *(const char *const *) a, *y = *(const char *const *) b;
  return strcmp (strrchr (x, '/'), strrchr (y, '/'));
}

/* The sample INBOX's messages in file-name order (dovecot.sh numbers them
 * so), each with the size it has on the wire: LF becomes CRLF. */
static void
load_sample_sizes (void)
{
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  const char *subs[] = { "cur", "new" };
  for (guint i = 0; i < G_N_ELEMENTS (subs); i++)
    {
      g_autofree char *d = g_build_filename (peers.root, "samples", "maildir", "student",
                                             subs[i], NULL);
      g_autoptr (GDir) dir = g_dir_open (d, 0, NULL);
      g_assert_nonnull (dir);
      const char *name;
      while ((name = g_dir_read_name (dir)))
        if (name[0] != '.')
          g_ptr_array_add (files, g_build_filename (d, name, NULL));
    }
  g_ptr_array_sort (files, compare_names);
  peers.sizes = g_array_new (FALSE, FALSE, sizeof (guint64));
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *data = NULL;
      gsize len = 0;
      g_assert_true (g_file_get_contents (files->pdata[i], &data, &len, NULL));
      guint64 size = len;
      for (gsize k = 0; k < len; k++)
        if (data[k] == '\n' && (k == 0 || data[k - 1] != '\r'))
          size++;
      g_array_append_val (peers.sizes, size);
    }
  g_assert_cmpuint (peers.sizes->len, >=, 2);
}

/* A child process that stops the peers and removes the folder when this
 * process ends, however it ends (a failed assertion aborts): it waits for
 * the end of a pipe only this process holds. */
static int guardian_fd = -1;
static GPid guardian_pid;

static void
start_guardian (void)
{
  g_autofree char *cmd = g_strdup_printf (
    "bash '%s/tests/peers/dovecot.sh' stop '%s/dv'; bash '%s/tests/peers/dns.sh' stop '%s/dns'; "
    "rm -rf '%s'",
    peers.root, peers.work, peers.root, peers.work, peers.work);
  int fds[2];
  g_assert_cmpint (pipe (fds), ==, 0);
  fcntl (fds[1], F_SETFD, FD_CLOEXEC);
  pid_t pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      char b;
      /* Out of the test's process group: a timeout that kills the group
       * must not take the clean-up with it. */
      setpgid (0, 0);
      close (fds[1]);
      while (read (fds[0], &b, 1) != 0)
        ;
      execl ("/bin/bash", "bash", "-c", cmd, (char *) NULL);
      _exit (127);
    }
  close (fds[0]);
  guardian_fd = fds[1];
  guardian_pid = pid;
}

static gboolean
have_program (const char *name)
{
  g_autofree char *path = g_find_program_in_path (name);
  g_autofree char *sbin = g_build_filename ("/usr/sbin", name, NULL);
  return path != NULL || g_file_test (sbin, G_FILE_TEST_IS_EXECUTABLE);
}

static void
peers_start (void)
{
  if (getuid () != 0)
    {
      g_printerr ("# peers need root (Dovecot's mail user)\n");
      return;
    }
  if (!have_program ("dovecot"))
    {
      g_printerr ("# dovecot is not installed\n");
      return;
    }
  if (!have_program ("dnsmasq"))
    {
      g_printerr ("# dnsmasq is not installed\n");
      return;
    }
  peers.work = g_dir_make_tmp ("ms-client-XXXXXX", NULL);
  g_assert_nonnull (peers.work);
  g_chmod (peers.work, 0755);
  start_guardian ();
  peers.dns = free_port ();
  peers.imap = free_port ();
  peers.pop3 = free_port ();
  peers.imaps = free_port ();
  peers.pop3s = free_port ();
  g_autofree char *dnsdir = g_build_filename (peers.work, "dns", NULL);
  char port[8];
  g_snprintf (port, sizeof port, "%u", peers.dns);
  const char *dargs[] = { "start", dnsdir, "--port", port, NULL };
  peers.up = script ("dns.sh", dargs) && dovecot_start ();
}

static void
peers_stop (void)
{
  if (guardian_fd < 0)
    return;
  close (guardian_fd);
  int status;
  waitpid (guardian_pid, &status, 0);
}

static gboolean
need_peers (void)
{
  if (!peers.up)
    g_test_skip ("Dovecot and dnsmasq are not running here (root, dovecot, dnsmasq needed)");
  return peers.up;
}

/* --- running a client ---------------------------------------------- */

typedef struct Run Run;
struct Run {
  GMainLoop *loop;
  MsLabClient *client;
  GArray *steps;          /* MsStep, in order */
  GPtrArray *lines;       /* "C: …", "S: …", "-: …" */
  GArray *lines_at_step;  /* guint: lines seen when each step was announced */
  GError *error;
  gboolean finished;
  /* step mode driving */
  gboolean drive;         /* call next() from a timeout after each step */
  guint lines_before_next;
  guint pending;          /* the release_step source */
  gboolean quiet_while_waiting;   /* no line arrived while a step waited */
  MsStep switch_at;       /* leave step mode at this step */
  MsStep cancel_at;       /* cancel at this step */
  void (*on_line) (Run *run, const char *line);
};

static gboolean
release_step (gpointer data)
{
  Run *run = data;
  run->pending = 0;
  if (run->lines->len != run->lines_before_next)
    run->quiet_while_waiting = FALSE;
  ms_lab_client_next (run->client);
  return G_SOURCE_REMOVE;
}

static void
on_step (MsLabClient *client, MsStep step, const char *description, gpointer data)
{
  Run *run = data;
  g_assert_nonnull (description);
  g_assert_cmpuint (strlen (description), >, 0);
  g_array_append_val (run->steps, step);
  guint n = run->lines->len;
  g_array_append_val (run->lines_at_step, n);
  if (step == run->cancel_at)
    {
      ms_lab_client_cancel (client);
      return;
    }
  if (step == run->switch_at)
    {
      ms_lab_client_set_step_mode (client, FALSE);
      run->drive = FALSE;
      return;
    }
  if (run->drive)
    {
      run->lines_before_next = run->lines->len;
      g_assert_cmpuint (run->pending, ==, 0);
      run->pending = g_timeout_add (30, release_step, run);
    }
}

static void
on_line (MsLabClient *client, char who, const char *text, gpointer data)
{
  Run *run = data;
  char *line = g_strdup_printf ("%c: %s", who, text);
  g_ptr_array_add (run->lines, line);
  if (run->on_line)
    run->on_line (run, line);
}

static void
on_finished (MsLabClient *client, const MsLabClientReport *report, const GError *error,
             gpointer data)
{
  Run *run = data;
  run->finished = TRUE;
  if (error)
    run->error = g_error_copy (error);
  g_main_loop_quit (run->loop);
}

static gboolean
run_timeout (gpointer data)
{
  g_error ("the client run did not finish in %d s", RUN_TIMEOUT_S);
  return G_SOURCE_REMOVE;
}

static void
run_init (Run *run)
{
  memset (run, 0, sizeof *run);
  run->loop = g_main_loop_new (NULL, FALSE);
  run->steps = g_array_new (FALSE, FALSE, sizeof (MsStep));
  run->lines = g_ptr_array_new_with_free_func (g_free);
  run->lines_at_step = g_array_new (FALSE, FALSE, sizeof (guint));
  run->quiet_while_waiting = TRUE;
  run->switch_at = MS_STEP_N;
  run->cancel_at = MS_STEP_N;
}

/* Runs the client for `o` to the end; the report stays in run->client. */
static const MsLabClientReport *
run_client (Run *run, const MsLabClientOptions *o)
{
  const MsLabClientCallbacks cb = { on_step, on_line, on_finished };
  run->client = ms_lab_client_new (o, &cb, run);
  ms_lab_client_start (run->client);
  guint t = g_timeout_add_seconds (RUN_TIMEOUT_S, run_timeout, NULL);
  g_main_loop_run (run->loop);
  g_source_remove (t);
  g_assert_true (run->finished);
  g_assert_false (ms_lab_client_is_running (run->client));
  if (run->error && g_test_verbose ())
    for (guint i = 0; i < run->lines->len; i++)
      g_printerr ("# %s\n", (const char *) run->lines->pdata[i]);
  return ms_lab_client_get_report (run->client);
}

static void
run_clear (Run *run)
{
  if (run->pending)
    g_source_remove (run->pending);
  ms_lab_client_free (run->client);
  g_main_loop_unref (run->loop);
  g_array_unref (run->steps);
  g_ptr_array_unref (run->lines);
  g_array_unref (run->lines_at_step);
  g_clear_error (&run->error);
}

static gboolean
has_line (Run *run, const char *needle)
{
  for (guint i = 0; i < run->lines->len; i++)
    if (strstr (run->lines->pdata[i], needle))
      return TRUE;
  return FALSE;
}

static gboolean
has_step (Run *run, MsStep step)
{
  for (guint i = 0; i < run->steps->len; i++)
    if (g_array_index (run->steps, MsStep, i) == step)
      return TRUE;
  return FALSE;
}

/* Steps other than tls come in lesson order (a step may repeat: list,
 * fetch, negotiate); tls sits before the greeting (implicit) or between
 * two negotiate steps (STARTTLS), as the tests check. */
static void
assert_step_order (Run *run)
{
  MsStep last = MS_STEP_NONE;
  for (guint i = 0; i < run->steps->len; i++)
    {
      MsStep s = g_array_index (run->steps, MsStep, i);
      if (s == MS_STEP_TLS)
        continue;
      g_assert_cmpint (last, <=, s);
      last = s;
    }
  g_assert_cmpint (g_array_index (run->steps, MsStep, run->steps->len - 1), ==, MS_STEP_CLOSE);
}

static void
options (MsLabClientOptions *o, MsProto proto, MsLabClientTls tls)
{
  ms_lab_client_options_init (o);
  o->proto = proto;
  o->tls = tls;
  guint16 port = proto == MS_PROTO_IMAP ? (tls == MS_LAB_CLIENT_TLS_IMPLICIT ? peers.imaps : peers.imap)
                                        : (tls == MS_LAB_CLIENT_TLS_IMPLICIT ? peers.pop3s : peers.pop3);
  o->server = g_strdup_printf ("127.0.0.1:%u", port);
  o->user = g_strdup ("student");
  o->password = g_strdup ("classroom");
  o->dns = g_strdup_printf ("127.0.0.1:%u", peers.dns);
  o->timeout_seconds = 20;
  if (tls != MS_LAB_CLIENT_TLS_NONE)
    o->ca_path = g_build_filename (peers.work, "dv", "cert.pem", NULL);
}

static guint64
sample_size (guint i)
{
  return g_array_index (peers.sizes, guint64, i);
}

static void
assert_sizes (const MsLabClientReport *r)
{
  g_assert_cmpuint (r->message_sizes->len, ==, peers.sizes->len);
  for (guint i = 0; i < peers.sizes->len; i++)
    g_assert_cmpuint (g_array_index (r->message_sizes, guint64, i), ==, sample_size (i));
}

/* --- IMAP ---------------------------------------------------------- */

static void
check_imap_common (Run *run, const MsLabClientReport *r)
{
  g_assert_no_error (run->error);
  g_assert_true (r->completed);
  assert_step_order (run);
  g_assert_cmpuint (r->messages_on_server, ==, peers.sizes->len);
  g_assert_cmpuint (r->messages_left, ==, peers.sizes->len);
  assert_sizes (r);
  /* The newest message is the one with the attachment. */
  g_assert_cmpuint (r->newest_size, ==, sample_size (peers.sizes->len - 1));
  g_assert_cmpuint (r->newest_text_bytes, >, 100);
  g_assert_cmpuint (r->newest_text_bytes * 100, <, r->newest_size);
  g_assert_cmpuint (r->bytes_sent, >, 0);
  g_assert_cmpuint (r->round_trips, >=, 7);
  g_assert_true (has_line (run, "C: a001 CAPABILITY"));
  g_assert_true (has_line (run, "FETCH 1:* (FLAGS ENVELOPE RFC822.SIZE BODYSTRUCTURE)"));
  g_assert_true (has_line (run, "(BODY.PEEK[1])"));
  g_assert_true (has_line (run, "LOGOUT"));
}

static void
test_imap_plain (void)
{
  if (!need_peers ())
    return;
  MsLabClientOptions o;
  options (&o, MS_PROTO_IMAP, MS_LAB_CLIENT_TLS_NONE);
  g_free (o.server);
  o.server = g_strdup_printf ("imap.mailscope.test:%u", peers.imap);
  Run run;
  run_init (&run);
  const MsLabClientReport *r = run_client (&run, &o);
  check_imap_common (&run, r);
  g_assert_true (r->dns_used);
  g_assert_true (has_step (&run, MS_STEP_DNS));
  g_assert_cmpuint (r->dns_bytes_sent, >, 12);
  g_assert_cmpuint (r->dns_bytes_received, >, r->dns_bytes_sent);
  g_assert_true (has_line (&run, "imap.mailscope.test A 127.0.0.1"));
  g_assert_false (r->tls);
  g_assert_false (r->attachment_downloaded);
  g_assert_cmpuint (r->content_bytes, ==, r->newest_text_bytes);
  /* Without the attachment, the whole session moved far less than it. */
  g_assert_cmpuint (r->bytes_received * 10, <, r->newest_size);
  g_assert_true (has_line (&run, "LOGIN \"student\" \"classroom\""));
  g_assert_true (has_line (&run, "stays on the server"));
  run_clear (&run);
  ms_lab_client_options_clear (&o);
}

static void
test_imap_starttls (void)
{
  if (!need_peers ())
    return;
  MsLabClientOptions o;
  options (&o, MS_PROTO_IMAP, MS_LAB_CLIENT_TLS_STARTTLS);
  g_autofree char *keylog = g_build_filename (peers.work, "imap.keys", NULL);
  o.keylog_path = g_strdup (keylog);
  o.download_attachments = TRUE;
  o.sasl_plain = TRUE;
  o.mask_secrets = TRUE;
  Run run;
  run_init (&run);
  const MsLabClientReport *r = run_client (&run, &o);
  check_imap_common (&run, r);
  g_assert_false (r->dns_used);
  g_assert_false (has_step (&run, MS_STEP_DNS));
  g_assert_true (r->tls);
  g_assert_true (has_step (&run, MS_STEP_TLS));
  g_assert_true (has_line (&run, "STARTTLS"));
  g_assert_true (r->attachment_downloaded);
  /* The attachment as sent (base64) is almost all of the message. */
  g_assert_cmpuint (r->attachment_bytes * 10, >, r->newest_size * 9);
  g_assert_cmpuint (r->content_bytes, ==, r->attachment_bytes + r->newest_text_bytes);
  g_assert_cmpuint (r->bytes_received, >, r->content_bytes);
  g_assert_true (has_line (&run, "AUTHENTICATE PLAIN ********"));
  g_autofree char *b64 = g_base64_encode ((const guchar *) "\0student\0classroom", 19);
  g_assert_false (has_line (&run, "classroom"));
  g_assert_false (has_line (&run, b64));
  g_autofree char *keys = NULL;
  g_assert_true (g_file_get_contents (keylog, &keys, NULL, NULL));
  g_assert_nonnull (strstr (keys, "CLIENT_TRAFFIC_SECRET_0 "));
  run_clear (&run);
  ms_lab_client_options_clear (&o);
}

static void
test_imap_implicit (void)
{
  if (!need_peers ())
    return;
  MsLabClientOptions o;
  options (&o, MS_PROTO_IMAP, MS_LAB_CLIENT_TLS_IMPLICIT);
  g_clear_pointer (&o.ca_path, g_free);
  o.insecure = TRUE;
  Run run;
  run_init (&run);
  const MsLabClientReport *r = run_client (&run, &o);
  check_imap_common (&run, r);
  g_assert_true (r->tls);
  g_assert_nonnull (r->tls_version);
  g_assert_false (has_line (&run, "STARTTLS"));
  /* TLS comes right after connect, before the greeting. */
  g_assert_cmpint (g_array_index (run.steps, MsStep, 1), ==, MS_STEP_TLS);
  g_assert_cmpuint (r->content_bytes, ==, r->newest_text_bytes);
  run_clear (&run);
  ms_lab_client_options_clear (&o);
}

static void
test_imap_untrusted (void)
{
  if (!need_peers ())
    return;
  MsLabClientOptions o;
  options (&o, MS_PROTO_IMAP, MS_LAB_CLIENT_TLS_IMPLICIT);
  g_clear_pointer (&o.ca_path, g_free);   /* the system's CAs do not know the lab */
  Run run;
  run_init (&run);
  const MsLabClientReport *r = run_client (&run, &o);
  g_assert_nonnull (run.error);
  g_assert_nonnull (strstr (run.error->message, "certificate"));
  g_assert_false (r->completed);
  g_assert_false (has_step (&run, MS_STEP_LOGIN));
  run_clear (&run);
  ms_lab_client_options_clear (&o);
}

/* Delivers a message into Dovecot's INBOX once the client is idling. */
static void
deliver_on_idle (Run *run, const char *line)
{
  if (strcmp (line, "S: + idling") != 0)
    return;
  g_autofree char *tmp = g_build_filename (peers.work, "dv", "mail", "student", "tmp",
                                           "1799999999.M9P9.mailscope", NULL);
  g_autofree char *dst = g_build_filename (peers.work, "dv", "mail", "student", "new",
                                           "1799999999.M9P9.mailscope", NULL);
  const char msg[] = "From: teacher@mailscope.test\r\nSubject: news\r\n\r\nNew mail.\r\n";
  g_assert_true (g_file_set_contents (tmp, msg, -1, NULL));
  g_chmod (tmp, 0644);
  g_assert_cmpint (g_rename (tmp, dst), ==, 0);
}

static void
test_imap_idle (void)
{
  if (!need_peers ())
    return;
  g_assert_true (dovecot_start ());
  MsLabClientOptions o;
  options (&o, MS_PROTO_IMAP, MS_LAB_CLIENT_TLS_NONE);
  o.idle_seconds = 3;
  Run run;
  run_init (&run);
  run.on_line = deliver_on_idle;
  const MsLabClientReport *r = run_client (&run, &o);
  g_assert_no_error (run.error);
  g_assert_true (has_step (&run, MS_STEP_REFRESH));
  g_assert_true (has_line (&run, "C: DONE"));
  g_assert_cmpuint (r->updates_pushed, >=, 1);
  g_assert_true (has_line (&run, "EXISTS"));
  g_assert_cmpuint (r->messages_on_server, ==, peers.sizes->len);
  g_assert_cmpuint (r->messages_left, ==, peers.sizes->len + 1);
  run_clear (&run);
  ms_lab_client_options_clear (&o);
  g_assert_true (dovecot_start ());
}

/* --- POP3 ---------------------------------------------------------- */

static void
check_pop3 (MsLabClientTls tls)
{
  if (!need_peers ())
    return;
  MsLabClientOptions o;
  options (&o, MS_PROTO_POP3, tls);
  if (tls == MS_LAB_CLIENT_TLS_NONE)
    {
      g_free (o.server);
      o.server = g_strdup_printf ("pop.mailscope.test:%u", peers.pop3);
    }
  o.mask_secrets = TRUE;
  Run run;
  run_init (&run);
  const MsLabClientReport *r = run_client (&run, &o);
  g_assert_no_error (run.error);
  g_assert_true (r->completed);
  assert_step_order (&run);
  g_assert_cmpint (r->tls, ==, tls != MS_LAB_CLIENT_TLS_NONE);
  g_assert_cmpint (r->dns_used, ==, tls == MS_LAB_CLIENT_TLS_NONE);
  /* RETR moves every message whole, byte for byte as stored (CRLF). */
  assert_sizes (r);
  guint64 total = 0;
  for (guint i = 0; i < peers.sizes->len; i++)
    total += sample_size (i);
  g_assert_cmpuint (r->content_bytes, ==, total);
  g_assert_cmpuint (r->messages_fetched, ==, peers.sizes->len);
  g_assert_cmpuint (r->bytes_received, >, total);
  g_assert_true (r->attachment_downloaded);
  g_assert_cmpuint (r->messages_on_server, ==, peers.sizes->len);
  g_assert_cmpuint (r->messages_left, ==, peers.sizes->len);
  g_assert_true (has_line (&run, "C: PASS ********"));
  g_assert_false (has_line (&run, "C: PASS classroom"));
  g_assert_true (has_line (&run, "C: UIDL"));
  g_assert_true (has_line (&run, "C: QUIT"));
  g_autofree char *stat = g_strdup_printf ("S: +OK %u %" G_GUINT64_FORMAT, peers.sizes->len, total);
  g_assert_true (has_line (&run, stat));
  run_clear (&run);
  ms_lab_client_options_clear (&o);
}

static void
test_pop3_plain (void)
{
  check_pop3 (MS_LAB_CLIENT_TLS_NONE);
}

static void
test_pop3_stls (void)
{
  check_pop3 (MS_LAB_CLIENT_TLS_STARTTLS);
}

static void
test_pop3_implicit (void)
{
  check_pop3 (MS_LAB_CLIENT_TLS_IMPLICIT);
}

static void
test_pop3_wrong_password (void)
{
  if (!need_peers ())
    return;
  MsLabClientOptions o;
  options (&o, MS_PROTO_POP3, MS_LAB_CLIENT_TLS_NONE);
  g_free (o.password);
  o.password = g_strdup ("wrong");
  Run run;
  run_init (&run);
  const MsLabClientReport *r = run_client (&run, &o);
  g_assert_nonnull (run.error);
  g_assert_nonnull (strstr (run.error->message, "PASS"));
  g_assert_false (r->completed);
  g_assert_false (has_step (&run, MS_STEP_FETCH));
  run_clear (&run);
  ms_lab_client_options_clear (&o);
}

static void
test_pop3_delete (void)
{
  if (!need_peers ())
    return;
  g_assert_true (dovecot_start ());
  MsLabClientOptions o;
  options (&o, MS_PROTO_POP3, MS_LAB_CLIENT_TLS_NONE);
  o.delete_messages = TRUE;
  Run run;
  run_init (&run);
  const MsLabClientReport *r = run_client (&run, &o);
  g_assert_no_error (run.error);
  g_assert_true (has_step (&run, MS_STEP_UPDATE));
  g_assert_cmpuint (r->messages_deleted, ==, peers.sizes->len);
  g_assert_cmpuint (r->messages_left, ==, 0);
  run_clear (&run);

  /* The next session finds the maildrop empty. */
  o.delete_messages = FALSE;
  run_init (&run);
  r = run_client (&run, &o);
  g_assert_no_error (run.error);
  g_assert_cmpuint (r->messages_on_server, ==, 0);
  g_assert_cmpuint (r->content_bytes, ==, 0);
  g_assert_false (has_step (&run, MS_STEP_FETCH));
  run_clear (&run);
  ms_lab_client_options_clear (&o);
  g_assert_true (dovecot_start ());
}

/* --- step mode ------------------------------------------------------ */

static void
test_step_mode (void)
{
  if (!need_peers ())
    return;
  MsLabClientOptions o;
  options (&o, MS_PROTO_IMAP, MS_LAB_CLIENT_TLS_STARTTLS);
  g_free (o.server);
  o.server = g_strdup_printf ("imap.mailscope.test:%u", peers.imap);
  o.step_mode = TRUE;
  Run run;
  run_init (&run);
  run.drive = TRUE;
  const MsLabClientReport *r = run_client (&run, &o);
  g_assert_no_error (run.error);
  g_assert_true (r->completed);
  /* Nothing happened while a step waited for next(). */
  g_assert_true (run.quiet_while_waiting);
  const MsStep expect[] = { MS_STEP_DNS, MS_STEP_CONNECT, MS_STEP_GREETING, MS_STEP_NEGOTIATE,
                            MS_STEP_NEGOTIATE, MS_STEP_TLS, MS_STEP_NEGOTIATE, MS_STEP_LOGIN,
                            MS_STEP_LIST, MS_STEP_LIST, MS_STEP_LIST, MS_STEP_FETCH,
                            MS_STEP_LOGOUT, MS_STEP_CLOSE };
  g_assert_cmpuint (run.steps->len, ==, G_N_ELEMENTS (expect));
  for (guint i = 0; i < G_N_ELEMENTS (expect); i++)
    g_assert_cmpstr (ms_step_name (g_array_index (run.steps, MsStep, i)), ==,
                     ms_step_name (expect[i]));
  /* Each step's own lines come after it: the DNS query after "dns", the
   * LOGIN command after "login". */
  for (guint i = 0; i < run.steps->len; i++)
    {
      guint at = g_array_index (run.lines_at_step, guint, i);
      MsStep s = g_array_index (run.steps, MsStep, i);
      if (s == MS_STEP_DNS)
        g_assert_true (g_str_has_prefix (run.lines->pdata[at], "C: DNS query A?"));
      if (s == MS_STEP_LOGIN)
        g_assert_true (g_str_has_prefix (run.lines->pdata[at], "C: a004 LOGIN"));
      if (s == MS_STEP_LOGOUT)
        g_assert_cmpstr (run.lines->pdata[at], ==, "C: a009 LOGOUT");
    }
  run_clear (&run);

  /* Leaving step mode at the login step runs the rest without next(). */
  run_init (&run);
  run.switch_at = MS_STEP_LOGIN;
  run.drive = TRUE;
  r = run_client (&run, &o);
  g_assert_no_error (run.error);
  g_assert_true (r->completed);
  run_clear (&run);
  ms_lab_client_options_clear (&o);
}

static void
test_cancel (void)
{
  if (!need_peers ())
    return;
  MsLabClientOptions o;
  options (&o, MS_PROTO_POP3, MS_LAB_CLIENT_TLS_NONE);
  o.step_mode = TRUE;
  Run run;
  run_init (&run);
  run.drive = TRUE;
  run.cancel_at = MS_STEP_LOGIN;
  const MsLabClientReport *r = run_client (&run, &o);
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (r->completed);
  g_assert_false (has_line (&run, "C: USER"));
  run_clear (&run);

  /* Freeing a client that waits at a step does not hang. */
  run_init (&run);
  const MsLabClientCallbacks cb = { NULL, NULL, NULL };
  MsLabClient *c = ms_lab_client_new (&o, &cb, NULL);
  ms_lab_client_start (c);
  g_usleep (50000);
  g_assert_true (ms_lab_client_is_running (c));
  ms_lab_client_free (c);
  g_main_loop_unref (run.loop);
  g_array_unref (run.steps);
  g_ptr_array_unref (run.lines);
  g_array_unref (run.lines_at_step);
  ms_lab_client_options_clear (&o);
}

/* --- DNS alone ------------------------------------------------------ */

static void
test_resolve (void)
{
  if (!need_peers ())
    return;
  g_autofree char *resolver = g_strdup_printf ("127.0.0.1:%u", peers.dns);
  MsLabResolveAnswer a;
  GError *error = NULL;
  g_assert_true (ms_lab_resolve ("pop.mailscope.test", resolver, MS_DNS_TYPE_AAAA, 2000, NULL,
                                 &a, &error));
  g_assert_no_error (error);
  g_assert_nonnull (a.address);
  g_autofree char *s = g_inet_address_to_string (a.address);
  g_assert_cmpstr (s, ==, "::1");
  g_assert_cmpuint (a.ttl, >, 0);
  ms_lab_resolve_answer_clear (&a);
  /* dnsmasq refuses names it does not own: no address, no crash. */
  gboolean ok = ms_lab_resolve ("elsewhere.example", resolver, MS_DNS_TYPE_A, 2000, NULL, &a,
                                &error);
  if (ok)
    g_assert_null (a.address);
  g_clear_error (&error);
  ms_lab_resolve_answer_clear (&a);
  g_assert_false (ms_lab_resolve ("bad..name", resolver, MS_DNS_TYPE_A, 2000, NULL, &a, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  const char *root = g_getenv ("MS_SOURCE_ROOT");
  peers.root = g_strdup (root ? root : ".");
  load_sample_sizes ();
  peers_start ();
  g_test_add_func ("/lab/client/resolve", test_resolve);
  g_test_add_func ("/lab/client/imap/plain", test_imap_plain);
  g_test_add_func ("/lab/client/imap/starttls", test_imap_starttls);
  g_test_add_func ("/lab/client/imap/implicit", test_imap_implicit);
  g_test_add_func ("/lab/client/imap/untrusted", test_imap_untrusted);
  g_test_add_func ("/lab/client/imap/idle", test_imap_idle);
  g_test_add_func ("/lab/client/pop3/plain", test_pop3_plain);
  g_test_add_func ("/lab/client/pop3/stls", test_pop3_stls);
  g_test_add_func ("/lab/client/pop3/implicit", test_pop3_implicit);
  g_test_add_func ("/lab/client/pop3/wrong-password", test_pop3_wrong_password);
  g_test_add_func ("/lab/client/pop3/delete", test_pop3_delete);
  g_test_add_func ("/lab/client/step-mode", test_step_mode);
  g_test_add_func ("/lab/client/cancel", test_cancel);
  int status = g_test_run ();
  peers_stop ();
  g_array_unref (peers.sizes);
  g_free (peers.work);
  g_free (peers.root);
  return status;
}
