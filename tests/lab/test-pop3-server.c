/* test-pop3-server.c - the lab's POP3 server (RFC 1939, 2449, 5034, 2595)
 * and DNS responder (RFC 1035, 6186, 7766) over the memory transport:
 * byte-exact sessions, the maildrop lock, logins, TLS, limits, and the same
 * output whatever the split of the input. */
#include "config.h"

#include <string.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <glib/gstdio.h>

#include "lab/ms-lab-server.h"
#include "lab/ms-lab-tls.h"
#include "lab-test-util.h"

/* ------------------------------------------------------------------ */
/* A lab over a temporary data directory, seeded from samples/maildir. */

/* Runs the main loop until nothing is ready (failed-login delays of 0 ms
 * fire here). */
static void
pump (void)
{
  for (int i = 0; i < 1000 && g_main_context_pending (NULL); i++)
    g_main_context_iteration (NULL, FALSE);
}

/* ------------------------------------------------------------------ */
/* A client over the memory transport, optionally speaking TLS through its
 * own memory BIOs. */

typedef struct {
  MsLabConn *conn;
  GByteArray *sink;   /* everything the server sent */
  guint seen;
  SSL_CTX *ctx;
  SSL *ssl;
  BIO *rbio, *wbio;
  GString *plain;     /* server output not taken yet, after TLS */
} Client;

static Client *
client_new (MsTestLab *lab, MsLabService svc, const char *peer, gboolean loopback)
{
  Client *c = g_new0 (Client, 1);
  c->sink = g_byte_array_new ();
  c->plain = g_string_new (NULL);
  c->conn = ms_lab_conn_new_memory (peer, loopback, c->sink);
  ms_lab_conn_ref (c->conn);
  ms_lab_conn_set_ssl_ctx (c->conn, ms_lab_server_ssl_ctx (lab->srv));
  ms_lab_server_adopt (lab->srv, svc, c->conn);
  pump ();
  return c;
}

static void
client_flush_tls (Client *c)
{
  guint8 buf[16384];
  int n;
  while (BIO_ctrl_pending (c->wbio) > 0 && (n = BIO_read (c->wbio, buf, sizeof buf)) > 0)
    ms_lab_conn_feed (c->conn, buf, (gsize) n);
}

/* Moves bytes both ways until neither side has anything more to say. */
static void
client_sync (Client *c)
{
  for (int round = 0; round < 1000; round++)
    {
      gboolean moved = FALSE;
      pump ();
      if (c->sink->len > c->seen)
        {
          if (c->ssl)
            BIO_write (c->rbio, c->sink->data + c->seen, (int) (c->sink->len - c->seen));
          else
            g_string_append_len (c->plain, (const char *) c->sink->data + c->seen,
                                 (gssize) (c->sink->len - c->seen));
          c->seen = c->sink->len;
          moved = TRUE;
        }
      if (c->ssl)
        {
          if (!SSL_is_init_finished (c->ssl))
            SSL_do_handshake (c->ssl);
          char buf[16384];
          int n;
          while ((n = SSL_read (c->ssl, buf, sizeof buf)) > 0)
            {
              g_string_append_len (c->plain, buf, n);
              moved = TRUE;
            }
          ERR_clear_error ();
          if (BIO_ctrl_pending (c->wbio) > 0)
            {
              client_flush_tls (c);
              moved = TRUE;
            }
        }
      if (!moved)
        return;
    }
  g_assert_not_reached ();
}

static void
client_send_len (Client *c, const char *data, gsize len, gboolean bytewise)
{
  gsize step = bytewise ? 1 : len;
  for (gsize off = 0; off < len; off += step)
    {
      gsize n = MIN (step, len - off);
      if (c->ssl)
        {
          g_assert_cmpint (SSL_write (c->ssl, data + off, (int) n), ==, (int) n);
          client_flush_tls (c);
        }
      else
        ms_lab_conn_feed (c->conn, (const guint8 *) data + off, n);
      client_sync (c);
    }
}

static void
client_send (Client *c, const char *line)
{
  client_send_len (c, line, strlen (line), FALSE);
}

/* The server output received since the last call. */
static char *
client_take (Client *c)
{
  client_sync (c);
  char *s = g_strdup (c->plain->str);
  g_string_truncate (c->plain, 0);
  return s;
}

/* Sends one command and checks the whole reply. */
static void
expect (Client *c, const char *cmd, const char *reply)
{
  client_send (c, cmd);
  g_autofree char *got = client_take (c);
  g_assert_cmpstr (got, ==, reply);
}

static void
client_start_tls (Client *c)
{
  GError *error = NULL;
  c->ctx = ms_lab_tls_client_context (NULL, TRUE, NULL, &error);
  g_assert_no_error (error);
  c->ssl = SSL_new (c->ctx);
  c->rbio = BIO_new (BIO_s_mem ());
  c->wbio = BIO_new (BIO_s_mem ());
  SSL_set_bio (c->ssl, c->rbio, c->wbio);
  SSL_set_connect_state (c->ssl);
  SSL_do_handshake (c->ssl);
  client_flush_tls (c);
  client_sync (c);
  g_assert_true (SSL_is_init_finished (c->ssl));
}

static void
client_free (Client *c)
{
  ms_lab_conn_abort (c->conn);
  ms_lab_conn_unref (c->conn);
  pump ();
  g_byte_array_unref (c->sink);
  g_string_free (c->plain, TRUE);
  if (c->ssl)
    SSL_free (c->ssl);
  if (c->ctx)
    SSL_CTX_free (c->ctx);
  g_free (c);
}

/* "+OK Mailscope POP3 lab ready <stamp>\r\n": returns the stamp. */
static char *
take_greeting (Client *c)
{
  g_autofree char *g = client_take (c);
  g_assert_true (g_str_has_prefix (g, "+OK Mailscope POP3 lab ready <"));
  g_assert_true (g_str_has_suffix (g, "@pop.mailscope.test>\r\n"));
  const char *lt = strchr (g, '<');
  return g_strndup (lt, strlen (lt) - 2);
}

static void
login (Client *c)
{
  g_free (take_greeting (c));
  expect (c, "USER student\r\n", "+OK send PASS\r\n");
  client_send (c, "PASS classroom\r\n");
  g_autofree char *r = client_take (c);
  g_assert_true (g_str_has_prefix (r, "+OK student has 5 messages ("));
}

/* ------------------------------------------------------------------ */
/* What the sample maildrop should look like over POP3, computed here from
 * the sample files independently of the server. */

typedef struct {
  char *wire;       /* the message with CRLF line ends, not dot-stuffed */
} Sample;

static gint
compare_basenames (gconstpointer a, gconstpointer b)
{
  g_autofree char *x = g_path_get_basename (*(char *const *) a);
  g_autofree char *y = g_path_get_basename (*(char *const *) b);
  return strcmp (x, y);
}

static GPtrArray *
sample_messages (void)
{
  g_autofree char *root = ms_test_samples_maildir ();
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *subs[] = { "cur", "new" };
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *dir = g_build_filename (root, "student", subs[i], NULL);
      GDir *d = g_dir_open (dir, 0, NULL);
      g_assert_nonnull (d);
      const char *e;
      while ((e = g_dir_read_name (d)))
        if (e[0] != '.')
          g_ptr_array_add (names, g_build_filename (dir, e, NULL));
      g_dir_close (d);
    }
  /* The server numbers them by name (delivery time), as the store does. */
  g_ptr_array_sort (names, compare_basenames);
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *raw = NULL;
      gsize len;
      g_assert_true (g_file_get_contents (names->pdata[i], &raw, &len, NULL));
      GString *w = g_string_new (NULL);
      for (gsize k = 0; k < len; k++)
        {
          if (raw[k] == '\n' && (k == 0 || raw[k - 1] != '\r'))
            g_string_append_c (w, '\r');
          g_string_append_c (w, raw[k]);
        }
      g_ptr_array_add (out, g_string_free (w, FALSE));
    }
  g_ptr_array_unref (names);
  return out;
}

static char *
dot_stuff (const char *wire)
{
  GString *s = g_string_new (NULL);
  gboolean bol = TRUE;
  for (const char *p = wire; *p; p++)
    {
      if (bol && *p == '.')
        g_string_append_c (s, '.');
      g_string_append_c (s, *p);
      bol = *p == '\n';
    }
  g_string_append (s, ".\r\n");
  return g_string_free (s, FALSE);
}

static guint32
inbox_uidvalidity (MsTestLab *lab)
{
  GError *error = NULL;
  MsMaildir *md = ms_lab_server_maildir (lab->srv, "student", &error);
  g_assert_no_error (error);
  MsMailbox *mb = ms_mailbox_open (md, "INBOX", &error);
  g_assert_no_error (error);
  guint32 v = ms_mailbox_uidvalidity (mb);
  ms_mailbox_free (mb);
  return v;
}

static guint
inbox_count (MsTestLab *lab)
{
  GError *error = NULL;
  g_autofree char *cur = g_build_filename (lab->dir, "student", "cur", NULL);
  GDir *d = g_dir_open (cur, 0, &error);
  g_assert_no_error (error);
  guint n = 0;
  while (g_dir_read_name (d))
    n++;
  g_dir_close (d);
  return n;
}

/* ------------------------------------------------------------------ */

/* The client side of the full session, and what the server must answer. */
static void
full_session_script (MsTestLab *lab, GString *script, GString *want)
{
  g_autoptr (GPtrArray) msgs = sample_messages ();
  g_assert_cmpuint (msgs->len, ==, 5);
  gsize total = 0;
  for (guint i = 0; i < msgs->len; i++)
    total += strlen (msgs->pdata[i]);
  guint32 validity = inbox_uidvalidity (lab);

#define STEP(cmd, ...)                                                                   \
  G_STMT_START                                                                           \
  {                                                                                      \
    g_string_append (script, cmd);                                                       \
    g_string_append_printf (want, __VA_ARGS__);                                          \
  }                                                                                      \
  G_STMT_END

  STEP ("CAPA\r\n", "+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\n"
                    "AUTH-RESP-CODE\r\nPIPELINING\r\nUSER\r\nSASL PLAIN\r\nSTLS\r\n"
                    "IMPLEMENTATION Mailscope-lab\r\n.\r\n");
  STEP ("STAT\r\n", "-ERR unknown command, or not before login\r\n");
  STEP ("USER student\r\n", "+OK send PASS\r\n");
  STEP ("PASS classroom\r\n", "+OK student has 5 messages (%zu octets)\r\n", total);
  STEP ("STAT\r\n", "+OK 5 %zu\r\n", total);
  g_string_append (script, "LIST\r\n");
  g_string_append_printf (want, "+OK 5 messages (%zu octets)\r\n", total);
  for (guint i = 0; i < 5; i++)
    g_string_append_printf (want, "%u %zu\r\n", i + 1, strlen (msgs->pdata[i]));
  g_string_append (want, ".\r\n");
  STEP ("LIST 2\r\n", "+OK 2 %zu\r\n", strlen (msgs->pdata[1]));
  STEP ("LIST 6\r\n", "-ERR no such message\r\n");
  STEP ("LIST x\r\n", "-ERR a message number is required\r\n");
  g_string_append (script, "UIDL\r\n");
  g_string_append (want, "+OK unique-id listing follows\r\n");
  for (guint i = 0; i < 5; i++)
    g_string_append_printf (want, "%u %u.%u\r\n", i + 1, validity, i + 1);
  g_string_append (want, ".\r\n");
  STEP ("UIDL 3\r\n", "+OK 3 %u.3\r\n", validity);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *stuffed = dot_stuff (msgs->pdata[i]);
      g_string_append_printf (script, "RETR %u\r\n", i + 1);
      g_string_append_printf (want, "+OK %zu octets\r\n%s", strlen (msgs->pdata[i]), stuffed);
    }
  /* TOP 1 0: the header and the blank line; TOP 1 2: two body lines. */
  const char *m1 = msgs->pdata[0];
  const char *blank = strstr (m1, "\r\n\r\n");
  g_assert_nonnull (blank);
  g_autofree char *head = g_strndup (m1, (gsize) (blank - m1) + 4);
  STEP ("TOP 1 0\r\n", "+OK top of message follows\r\n%s.\r\n", head);
  STEP ("TOP 1 2\r\n", "+OK top of message follows\r\n%sHello and welcome to the mail lab!\r\n"
                       "\r\n.\r\n", head);
  STEP ("TOP 1\r\n", "-ERR TOP needs a message number and a line count\r\n");
  STEP ("NOOP\r\n", "+OK\r\n");
  STEP ("FROB\r\n", "-ERR unknown command\r\n");
  STEP ("QUIT\r\n", "+OK bye; messages deleted (0)\r\n");
#undef STEP
}

static char *
run_full_session (gboolean bytewise)
{
  MsTestLab *lab = ms_test_lab_new (NULL);
  g_autoptr (GString) script = g_string_new (NULL);
  g_autoptr (GString) want = g_string_new (NULL);
  full_session_script (lab, script, want);
  Client *c = client_new (lab, MS_LAB_POP3, "127.0.0.1:40001", TRUE);
  g_free (take_greeting (c));
  client_send_len (c, script->str, script->len, bytewise);
  char *got = client_take (c);
  g_assert_cmpstr (got, ==, want->str);
  g_assert_true (ms_test_lab_logged (lab, "pop3 127.0.0.1:40001 - closed"));
  /* The log shows listings line by line, messages by their first line. */
  g_assert_true (ms_test_lab_logged (lab, "pop3 127.0.0.1:40001 S STLS"));
  g_assert_true (ms_test_lab_logged (lab, "pop3 127.0.0.1:40001 S +OK unique-id listing follows"));
  g_assert_true (ms_test_lab_logged (lab, "pop3 127.0.0.1:40001 S ."));
  g_assert_false (ms_test_lab_logged (lab, "pop3 127.0.0.1:40001 S Hello and welcome to the mail lab!"));
  /* The log masks the password. */
  g_assert_true (ms_test_lab_logged (lab, "pop3 127.0.0.1:40001 C PASS ****"));
  for (guint i = 0; i < lab->log->len; i++)
    g_assert_null (strstr (lab->log->pdata[i], "classroom"));
  client_free (c);
  ms_test_lab_free (lab);
  return got;
}

static void
test_full_session (void)
{
  g_autofree char *whole = run_full_session (FALSE);
  g_autofree char *bytewise = run_full_session (TRUE);
  g_assert_cmpstr (whole, ==, bytewise);
  /* The sample's lines that start with a dot went out doubled. */
  g_assert_nonnull (strstr (whole, "\r\n..mailrc\r\n"));
  g_assert_nonnull (strstr (whole, "\r\n.. this line starts with a dot and a space\r\n"));
  g_assert_nonnull (strstr (whole, "\r\n..\r\n....and the message goes on after it.\r\n"));
}

static void
test_dele_quit (void)
{
  MsTestLab *lab = ms_test_lab_new (NULL);
  Client *c = client_new (lab, MS_LAB_POP3, "127.0.0.1:40002", TRUE);
  login (c);
  expect (c, "DELE 2\r\n", "+OK marked for deletion at QUIT\r\n");
  expect (c, "DELE 2\r\n", "-ERR message already deleted\r\n");
  expect (c, "RETR 2\r\n", "-ERR message already deleted\r\n");
  g_autofree char *stat = (client_send (c, "STAT\r\n"), client_take (c));
  g_assert_true (g_str_has_prefix (stat, "+OK 4 "));
  /* Nothing is removed before QUIT. */
  g_assert_cmpuint (inbox_count (lab), ==, 5);
  expect (c, "QUIT\r\n", "+OK bye; messages deleted (1)\r\n");
  g_assert_cmpuint (inbox_count (lab), ==, 4);
  client_free (c);

  /* A new session numbers the four that are left 1..4 with their UIDs. */
  c = client_new (lab, MS_LAB_POP3, "127.0.0.1:40003", TRUE);
  g_free (take_greeting (c));
  expect (c, "USER student\r\n", "+OK send PASS\r\n");
  client_send (c, "PASS classroom\r\n");
  g_autofree char *r = client_take (c);
  g_assert_true (g_str_has_prefix (r, "+OK student has 4 messages"));
  guint32 v = inbox_uidvalidity (lab);
  g_autofree char *want = g_strdup_printf ("+OK 2 %u.3\r\n", v);
  expect (c, "UIDL 2\r\n", want);
  client_free (c);
  ms_test_lab_free (lab);
}

/* Another client (IMAP, say) changes flags, which renames the file, and
 * removes a message while the POP3 session holds the maildrop. */
static void
test_changed_underneath (void)
{
  MsTestLab *lab = ms_test_lab_new (NULL);
  Client *c = client_new (lab, MS_LAB_POP3, "127.0.0.1:40022", TRUE);
  login (c);
  GError *error = NULL;
  MsMaildir *md = ms_lab_server_maildir (lab->srv, "student", &error);
  g_assert_no_error (error);
  MsMailbox *mb = ms_mailbox_open (md, "INBOX", &error);
  g_assert_no_error (error);
  g_assert_true (ms_mailbox_set_flags (mb, 1, MS_MSG_SEEN | MS_MSG_FLAGGED, &error));
  g_assert_true (ms_mailbox_expunge (mb, 2, &error));
  ms_mailbox_free (mb);
  g_autoptr (GPtrArray) msgs = sample_messages ();
  g_autofree char *stuffed = dot_stuff (msgs->pdata[0]);
  g_autofree char *want = g_strdup_printf ("+OK %zu octets\r\n%s", strlen (msgs->pdata[0]), stuffed);
  expect (c, "RETR 1\r\n", want);
  g_autofree char *r = (client_send (c, "RETR 2\r\n"), client_take (c));
  g_assert_true (g_str_has_prefix (r, "-ERR [SYS/TEMP] "));
  expect (c, "DELE 1\r\n", "+OK marked for deletion at QUIT\r\n");
  expect (c, "DELE 2\r\n", "+OK marked for deletion at QUIT\r\n");
  expect (c, "QUIT\r\n", "+OK bye; messages deleted (2)\r\n");
  g_assert_cmpuint (inbox_count (lab), ==, 3);
  client_free (c);
  ms_test_lab_free (lab);
}

static void
test_dele_rset (void)
{
  MsTestLab *lab = ms_test_lab_new (NULL);
  Client *c = client_new (lab, MS_LAB_POP3, "127.0.0.1:40004", TRUE);
  login (c);
  expect (c, "DELE 1\r\n", "+OK marked for deletion at QUIT\r\n");
  expect (c, "DELE 5\r\n", "+OK marked for deletion at QUIT\r\n");
  expect (c, "RSET\r\n", "+OK deletion marks removed\r\n");
  expect (c, "QUIT\r\n", "+OK bye; messages deleted (0)\r\n");
  g_assert_cmpuint (inbox_count (lab), ==, 5);
  client_free (c);
  ms_test_lab_free (lab);
}

static void
test_abrupt_close (void)
{
  MsTestLab *lab = ms_test_lab_new (NULL);
  Client *c = client_new (lab, MS_LAB_POP3, "127.0.0.1:40005", TRUE);
  login (c);
  expect (c, "DELE 1\r\n", "+OK marked for deletion at QUIT\r\n");
  /* The client vanishes without QUIT: no UPDATE state, nothing removed. */
  client_free (c);
  g_assert_cmpuint (inbox_count (lab), ==, 5);
  /* ... and the maildrop is free again. */
  c = client_new (lab, MS_LAB_POP3, "127.0.0.1:40006", TRUE);
  login (c);
  client_free (c);
  ms_test_lab_free (lab);
}

static void
test_in_use (void)
{
  MsTestLab *lab = ms_test_lab_new (NULL);
  Client *a = client_new (lab, MS_LAB_POP3, "127.0.0.1:40007", TRUE);
  login (a);
  Client *b = client_new (lab, MS_LAB_POP3, "127.0.0.1:40008", TRUE);
  g_free (take_greeting (b));
  expect (b, "USER student\r\n", "+OK send PASS\r\n");
  client_send (b, "PASS classroom\r\n");
  g_autofree char *r = client_take (b);
  g_assert_true (g_str_has_prefix (r, "-ERR [IN-USE] "));
  g_assert_true (g_str_has_suffix (r, "\r\n"));
  /* The second session is still there, in AUTHORIZATION. */
  expect (b, "STAT\r\n", "-ERR unknown command, or not before login\r\n");
  /* The lock goes with QUIT's reply, before the connection is closed. */
  ms_lab_conn_feed (a->conn, (const guint8 *) "QUIT\r\n", 6);
  g_assert_true (ms_lab_server_pop3_lock (lab->srv, "student"));
  ms_lab_server_pop3_unlock (lab->srv, "student");
  g_autofree char *bye = client_take (a);
  g_assert_cmpstr (bye, ==, "+OK bye; messages deleted (0)\r\n");
  expect (b, "USER student\r\n", "+OK send PASS\r\n");
  client_send (b, "PASS classroom\r\n");
  g_autofree char *r2 = client_take (b);
  g_assert_true (g_str_has_prefix (r2, "+OK student has 5 messages"));
  client_free (a);
  client_free (b);
  ms_test_lab_free (lab);
}

static void
test_apop (void)
{
  MsTestLab *lab = ms_test_lab_new (NULL);
  Client *c = client_new (lab, MS_LAB_POP3, "127.0.0.1:40009", TRUE);
  g_autofree char *stamp = take_greeting (c);
  expect (c, "APOP student 0123456789abcdef0123456789abcdef\r\n",
          "-ERR [AUTH] wrong user name or password\r\n");
  expect (c, "APOP nobody 0123456789abcdef0123456789abcdef\r\n",
          "-ERR [AUTH] wrong user name or password\r\n");
  expect (c, "APOP student\r\n", "-ERR APOP needs a name and a digest\r\n");
  g_autofree char *joined = g_strconcat (stamp, "classroom", NULL);
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_MD5, joined, -1);
  g_autofree char *cmd = g_strdup_printf ("APOP student %s\r\n", digest);
  client_send (c, cmd);
  g_autofree char *r = client_take (c);
  g_assert_true (g_str_has_prefix (r, "+OK student has 5 messages"));
  g_assert_true (ms_test_lab_logged (lab, "pop3 127.0.0.1:40009 C APOP student <digest>"));
  client_free (c);
  ms_test_lab_free (lab);
}

static void
test_auth_plain (void)
{
  MsTestLab *lab = ms_test_lab_new (NULL);
  Client *c = client_new (lab, MS_LAB_POP3, "127.0.0.1:40010", TRUE);
  g_free (take_greeting (c));
  /* "\0student\0wrong" */
  expect (c, "AUTH PLAIN AHN0dWRlbnQAd3Jvbmc=\r\n", "-ERR [AUTH] wrong user name or password\r\n");
  expect (c, "AUTH PLAIN =\r\n", "-ERR [AUTH] malformed SASL PLAIN response\r\n");
  expect (c, "AUTH PLAIN\r\n", "+ \r\n");
  expect (c, "*\r\n", "-ERR authentication cancelled\r\n");
  /* "other\0student\0classroom": acting as another user is refused. */
  expect (c, "AUTH PLAIN b3RoZXIAc3R1ZGVudABjbGFzc3Jvb20=\r\n",
          "-ERR [AUTH] logging in as another user is not allowed\r\n");
  expect (c, "AUTH CRAM-MD5\r\n", "-ERR only the PLAIN mechanism is offered\r\n");
  /* The continuation form: "\0student\0classroom". */
  expect (c, "AUTH PLAIN\r\n", "+ \r\n");
  client_send (c, "AHN0dWRlbnQAY2xhc3Nyb29t\r\n");
  g_autofree char *r = client_take (c);
  g_assert_true (g_str_has_prefix (r, "+OK student has 5 messages"));
  client_free (c);

  /* The initial-response form, and "student\0student\0classroom". */
  c = client_new (lab, MS_LAB_POP3, "127.0.0.1:40011", TRUE);
  g_free (take_greeting (c));
  client_send (c, "AUTH PLAIN c3R1ZGVudABzdHVkZW50AGNsYXNzcm9vbQ==\r\n");
  g_autofree char *r2 = client_take (c);
  g_assert_true (g_str_has_prefix (r2, "+OK student has 5 messages"));
  for (guint i = 0; i < lab->log->len; i++)
    g_assert_null (strstr (lab->log->pdata[i], "AHN0dWRlbnQAY2xhc3Nyb29t"));
  client_free (c);
  ms_test_lab_free (lab);
}

static void
require_tls (MsLabConfig *cfg)
{
  cfg->require_tls = TRUE;
}

static void
test_require_tls (void)
{
  MsTestLab *lab = ms_test_lab_new (require_tls);
  Client *c = client_new (lab, MS_LAB_POP3, "127.0.0.1:40012", TRUE);
  g_free (take_greeting (c));
  /* No USER and no SASL before TLS. */
  expect (c, "CAPA\r\n", "+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\n"
                         "AUTH-RESP-CODE\r\nPIPELINING\r\nSTLS\r\nIMPLEMENTATION Mailscope-lab\r\n"
                         ".\r\n");
  const char *refusal = "-ERR [AUTH] this server requires TLS before any password: use "
                        "STARTTLS (IMAP) or STLS (POP3) first\r\n";
  expect (c, "USER student\r\n", refusal);
  expect (c, "PASS classroom\r\n", refusal);
  expect (c, "AUTH PLAIN AHN0dWRlbnQAY2xhc3Nyb29t\r\n", refusal);
  /* STLS; a command pipelined behind it in clear is dropped. */
  expect (c, "STLS\r\nUSER student\r\n", "+OK begin TLS negotiation\r\n");
  client_start_tls (c);
  g_assert_true (ms_lab_conn_is_tls (c->conn));
  expect (c, "CAPA\r\n", "+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\n"
                         "AUTH-RESP-CODE\r\nPIPELINING\r\nUSER\r\nSASL PLAIN\r\n"
                         "IMPLEMENTATION Mailscope-lab\r\n.\r\n");
  expect (c, "STLS\r\n", "-ERR TLS is already active\r\n");
  expect (c, "PASS classroom\r\n", "-ERR send USER first\r\n");
  expect (c, "USER student\r\n", "+OK send PASS\r\n");
  client_send (c, "PASS classroom\r\n");
  g_autofree char *r = client_take (c);
  g_assert_true (g_str_has_prefix (r, "+OK student has 5 messages"));
  /* RETR inside TLS: the same bytes as in clear. */
  g_autoptr (GPtrArray) msgs = sample_messages ();
  g_autofree char *stuffed = dot_stuff (msgs->pdata[0]);
  g_autofree char *want = g_strdup_printf ("+OK %zu octets\r\n%s", strlen (msgs->pdata[0]), stuffed);
  expect (c, "RETR 1\r\n", want);
  client_free (c);
  ms_test_lab_free (lab);
}

static void
test_implicit_tls (void)
{
  MsTestLab *lab = ms_test_lab_new (NULL);
  Client *c = g_new0 (Client, 1);
  c->sink = g_byte_array_new ();
  c->plain = g_string_new (NULL);
  c->conn = ms_lab_conn_new_memory ("127.0.0.1:40013", TRUE, c->sink);
  ms_lab_conn_ref (c->conn);
  ms_lab_conn_set_ssl_ctx (c->conn, ms_lab_server_ssl_ctx (lab->srv));
  g_assert_true (ms_lab_conn_start_tls (c->conn, NULL));
  ms_lab_server_adopt (lab->srv, MS_LAB_POP3S, c->conn);
  /* Nothing in clear before the handshake: the greeting waits for it. */
  g_assert_cmpuint (c->sink->len, ==, 0);
  client_start_tls (c);
  g_autofree char *g = client_take (c);
  g_assert_true (g_str_has_prefix (g, "+OK Mailscope POP3 lab ready <"));
  expect (c, "CAPA\r\n", "+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\n"
                         "AUTH-RESP-CODE\r\nPIPELINING\r\nUSER\r\nSASL PLAIN\r\n"
                         "IMPLEMENTATION Mailscope-lab\r\n.\r\n");
  client_free (c);
  ms_test_lab_free (lab);
}

static void
test_non_loopback (void)
{
  MsTestLab *lab = ms_test_lab_new (NULL);
  Client *c = client_new (lab, MS_LAB_POP3, "192.0.2.7:40014", FALSE);
  g_free (take_greeting (c));
  expect (c, "USER student\r\n",
          "-ERR [AUTH] a password in clear text would cross a real network here; use TLS, or "
          "start the server with --allow-plaintext for a closed classroom network\r\n");
  g_autofree char *capa = (client_send (c, "CAPA\r\n"), client_take (c));
  g_assert_null (strstr (capa, "\r\nUSER\r\n"));
  g_assert_nonnull (strstr (capa, "\r\nSTLS\r\n"));
  /* APOP sends no password: it is allowed. */
  client_free (c);
  ms_test_lab_free (lab);
}

static void
allow_plaintext (MsLabConfig *cfg)
{
  cfg->allow_plaintext = TRUE;
}

static void
test_allow_plaintext (void)
{
  MsTestLab *lab = ms_test_lab_new (allow_plaintext);
  Client *c = client_new (lab, MS_LAB_POP3, "192.0.2.7:40015", FALSE);
  login (c);
  client_free (c);
  ms_test_lab_free (lab);
}

static void
test_line_too_long (void)
{
  for (int bytewise = 0; bytewise < 2; bytewise++)
    {
      MsTestLab *lab = ms_test_lab_new (NULL);
      Client *c = client_new (lab, MS_LAB_POP3, "127.0.0.1:40016", TRUE);
      g_free (take_greeting (c));
      g_autofree char *line = g_strnfill (5000, 'A');
      client_send_len (c, line, 5000, bytewise);
      g_autofree char *r = client_take (c);
      g_assert_cmpstr (r, ==, "-ERR line too long; closing\r\n");
      g_assert_true (ms_test_lab_logged (lab, "pop3 127.0.0.1:40016 - closed"));
      /* Nothing more is read or answered. */
      expect (c, "\r\nCAPA\r\n", "");
      client_free (c);
      ms_test_lab_free (lab);
    }
}

static void
test_nul_and_garbage (void)
{
  MsTestLab *lab = ms_test_lab_new (NULL);
  Client *c = client_new (lab, MS_LAB_POP3, "127.0.0.1:40017", TRUE);
  g_free (take_greeting (c));
  client_send_len (c, "NO\0OP\r\n", 7, FALSE);
  g_autofree char *r = client_take (c);
  g_assert_cmpstr (r, ==, "-ERR commands are ASCII words\r\n");
  expect (c, "\xff\xfe\r\n", "-ERR commands are ASCII words\r\n");
  expect (c, "\r\n", "-ERR unknown command, or not before login\r\n");
  /* The session goes on. */
  expect (c, "USER student\r\n", "+OK send PASS\r\n");
  /* Bare LF line ends are accepted too. */
  client_send (c, "PASS classroom\n");
  g_autofree char *r2 = client_take (c);
  g_assert_true (g_str_has_prefix (r2, "+OK student has 5 messages"));
  client_free (c);

  /* A peer that never speaks POP3 is let go after a while. */
  c = client_new (lab, MS_LAB_POP3, "127.0.0.1:40018", TRUE);
  g_free (take_greeting (c));
  GString *junk = g_string_new (NULL);
  for (int i = 0; i < 25; i++)
    g_string_append (junk, "GET / HTTP/1.1\r\n");
  client_send (c, junk->str);
  g_string_free (junk, TRUE);
  g_autofree char *r3 = client_take (c);
  g_assert_true (g_str_has_suffix (r3, "-ERR too many bad commands; closing\r\n"));
  g_assert_true (ms_test_lab_logged (lab, "pop3 127.0.0.1:40018 - closed"));
  client_free (c);
  ms_test_lab_free (lab);
}

static void
slow_login (MsLabConfig *cfg)
{
  cfg->failed_login_delay_ms = 300;
}

static void
test_failed_login_delay (void)
{
  MsTestLab *lab = ms_test_lab_new (slow_login);
  Client *c = client_new (lab, MS_LAB_POP3, "127.0.0.1:40019", TRUE);
  g_free (take_greeting (c));
  expect (c, "USER student\r\n", "+OK send PASS\r\n");
  gint64 start = g_get_monotonic_time ();
  client_send (c, "PASS wrong\r\nNOOP\r\n");
  /* Nothing yet, not even for the command behind it. */
  g_assert_cmpuint (c->plain->len, ==, 0);
  while (c->plain->len == 0)
    {
      g_main_context_iteration (NULL, TRUE);
      client_sync (c);
    }
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 300 * 1000);
  g_autofree char *r = client_take (c);
  g_assert_cmpstr (r, ==, "-ERR [AUTH] wrong user name or password\r\n"
                          "-ERR unknown command, or not before login\r\n");
  client_free (c);
  ms_test_lab_free (lab);
}

static void
short_timeouts (MsLabConfig *cfg)
{
  cfg->login_timeout_s = 1;
  cfg->idle_timeout_s = 2;
}

/* Waits until the server has logged `line`; FALSE after `ms`. */
static gboolean
wait_for_log (MsTestLab *lab, const char *line, guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;
  while (!ms_test_lab_logged (lab, line))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10 * 1000);
    }
  return TRUE;
}

static void
test_idle_timeouts (void)
{
  MsTestLab *lab = ms_test_lab_new (short_timeouts);
  Client *quiet = client_new (lab, MS_LAB_POP3, "127.0.0.1:40020", TRUE);
  g_free (take_greeting (quiet));
  Client *user = client_new (lab, MS_LAB_POP3, "127.0.0.1:40021", TRUE);
  login (user);
  gint64 start = g_get_monotonic_time ();
  g_assert_true (wait_for_log (lab, "pop3 127.0.0.1:40020 - closed", 5000));
  g_autofree char *r = client_take (quiet);
  g_assert_cmpstr (r, ==, "-ERR no command for too long; closing\r\n");
  /* A logged-in session has longer; a command restarts its clock. */
  g_assert_false (ms_test_lab_logged (lab, "pop3 127.0.0.1:40021 - closed"));
  expect (user, "NOOP\r\n", "+OK\r\n");
  g_assert_true (wait_for_log (lab, "pop3 127.0.0.1:40021 - closed", 5000));
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 2 * G_USEC_PER_SEC);
  /* Its maildrop is free again. */
  g_assert_true (ms_lab_server_pop3_lock (lab->srv, "student"));
  ms_lab_server_pop3_unlock (lab->srv, "student");
  client_free (quiet);
  client_free (user);
  ms_test_lab_free (lab);
}

/* ------------------------------------------------------------------ */
/* Limits */

static void
small_limits (MsLabConfig *cfg)
{
  cfg->max_connections = 4;
  cfg->max_per_address = 3;
  cfg->max_unauthenticated = 2;
  g_ptr_array_add (cfg->users, g_strdup ("student:classroom"));
  g_ptr_array_add (cfg->users, g_strdup ("alice:secret"));
}

static void
test_limits (void)
{
  MsTestLab *lab = ms_test_lab_new (small_limits);
  Client *a = client_new (lab, MS_LAB_POP3, "127.0.0.1:41001", TRUE);
  Client *b = client_new (lab, MS_LAB_POP3, "127.0.0.1:41002", TRUE);
  g_free (take_greeting (b));
  /* Two are waiting to log in: the third is turned away with a reason. */
  Client *c = client_new (lab, MS_LAB_POP3, "127.0.0.2:41003", TRUE);
  g_autofree char *r = client_take (c);
  g_assert_cmpstr (r, ==, "-ERR [SYS/TEMP] too many connections waiting to log in\r\n");
  client_free (c);
  /* Once one has logged in, a new one may wait. */
  login (a);
  c = client_new (lab, MS_LAB_POP3, "127.0.0.1:41004", TRUE);
  g_free (take_greeting (c));
  /* Three from 127.0.0.1 now: a fourth from there is refused... */
  Client *d = client_new (lab, MS_LAB_POP3, "127.0.0.1:41005", TRUE);
  g_autofree char *r2 = client_take (d);
  g_assert_cmpstr (r2, ==, "-ERR [SYS/TEMP] too many connections from your address\r\n");
  client_free (d);
  /* ... while another address still gets in, with a login to make room. */
  expect (b, "QUIT\r\n", "+OK bye\r\n");
  client_free (b);
  Client *e = client_new (lab, MS_LAB_POP3, "127.0.0.3:41006", TRUE);
  g_free (take_greeting (e));
  expect (e, "APOP x y\r\n", "-ERR [AUTH] wrong user name or password\r\n");
  expect (e, "USER alice\r\n", "+OK send PASS\r\n");
  /* Accounts without a sample of their own start with the student's. */
  expect (e, "PASS secret\r\n", "+OK alice has 5 messages (287992 octets)\r\n");
  Client *f = client_new (lab, MS_LAB_POP3, "127.0.0.4:41007", TRUE);
  g_free (take_greeting (f));
  /* a (logged in), c, e, f: four in all. */
  Client *g = client_new (lab, MS_LAB_POP3, "127.0.0.5:41008", TRUE);
  g_autofree char *r3 = client_take (g);
  g_assert_cmpstr (r3, ==, "-ERR [SYS/TEMP] too many connections to the lab server\r\n");
  g_assert_true (ms_test_lab_logged (lab, "pop3 127.0.0.5:41008 - refused: too many connections to the "
                                  "lab server"));
  client_free (g);
  client_free (a);
  client_free (c);
  client_free (e);
  client_free (f);
  ms_test_lab_free (lab);
}

/* ------------------------------------------------------------------ */
/* DNS */

static GByteArray *
dns_query (guint16 id, const char *name, guint16 qtype)
{
  GByteArray *q = g_byte_array_new ();
  guint8 head[12] = { (guint8) (id >> 8), (guint8) id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
  g_byte_array_append (q, head, 12);
  g_auto (GStrv) labels = g_strsplit (name, ".", -1);
  for (guint i = 0; labels[i]; i++)
    {
      guint8 n = (guint8) strlen (labels[i]);
      g_byte_array_append (q, &n, 1);
      g_byte_array_append (q, (const guint8 *) labels[i], n);
    }
  guint8 tail[5] = { 0, (guint8) (qtype >> 8), (guint8) qtype, 0, 1 };
  g_byte_array_append (q, tail, 5);
  return q;
}

static guint
be16 (const guint8 *p)
{
  return ((guint) p[0] << 8) | p[1];
}

/* Checks the header and returns the offset of the first answer record. */
static gsize
dns_check_head (GByteArray *r, GByteArray *q, guint rcode, guint ancount)
{
  g_assert_nonnull (r);
  g_assert_cmpuint (r->len, >=, q->len);
  g_assert_cmpmem (r->data, 2, q->data, 2);               /* id */
  g_assert_cmphex (r->data[2], ==, 0x85);                 /* QR AA RD */
  g_assert_cmphex (r->data[3] & 0x0f, ==, rcode);
  g_assert_cmpuint (be16 (r->data + 4), ==, 1);
  g_assert_cmpuint (be16 (r->data + 6), ==, ancount);
  g_assert_cmpmem (r->data + 12, q->len - 12, q->data + 12, q->len - 12);   /* question */
  return q->len;
}

static void
test_dns (void)
{
  MsTestLab *lab = ms_test_lab_new (NULL);
  GError *error = NULL;
  guint16 pop3 = ms_lab_server_listen (lab->srv, MS_LAB_POP3, "127.0.0.1:0", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pop3, >, 0);

  /* A and AAAA, whatever the case of the question (kept as asked). */
  g_autoptr (GByteArray) qa = dns_query (0x1234, "IMAP.mailscope.TEST", 1);
  g_autoptr (GByteArray) ra = ms_dns_server_answer (lab->srv, qa->data, qa->len);
  gsize off = dns_check_head (ra, qa, 0, 1);
  static const guint8 a_rr[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1 };
  g_assert_cmpmem (ra->data + off, ra->len - off, a_rr, sizeof a_rr);

  g_autoptr (GByteArray) q6 = dns_query (2, "pop.mailscope.test", 28);
  g_autoptr (GByteArray) r6 = ms_dns_server_answer (lab->srv, q6->data, q6->len);
  off = dns_check_head (r6, q6, 0, 1);
  static const guint8 aaaa_rr[] = { 0xc0, 0x0c, 0, 28, 0, 1, 0, 0, 0, 60, 0, 16,
                                    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
  g_assert_cmpmem (r6->data + off, r6->len - off, aaaa_rr, sizeof aaaa_rr);

  /* The POP3 host has the addresses its services listen on. */
  guint16 pop3s = ms_lab_server_listen (lab->srv, MS_LAB_POP3S, "127.0.0.2:0", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pop3s, >, 0);
  g_autoptr (GByteArray) qp = dns_query (13, "pop.mailscope.test", 1);
  g_autoptr (GByteArray) rp4 = ms_dns_server_answer (lab->srv, qp->data, qp->len);
  off = dns_check_head (rp4, qp, 0, 2);
  static const guint8 two_a[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1,
                                  0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 2 };
  g_assert_cmpmem (rp4->data + off, rp4->len - off, two_a, sizeof two_a);

  /* SRV: the POP3 port that listens, "." for a service that does not. */
  g_autoptr (GByteArray) qs = dns_query (3, "_pop3._tcp.mailscope.test", 33);
  g_autoptr (GByteArray) rs = ms_dns_server_answer (lab->srv, qs->data, qs->len);
  off = dns_check_head (rs, qs, 0, 1);
  g_assert_cmpuint (be16 (rs->data + off + 2), ==, 33);
  g_assert_cmpuint (be16 (rs->data + off + 10), ==, 6 + 20);   /* rdlength */
  g_assert_cmpuint (be16 (rs->data + off + 12), ==, 0);        /* priority */
  g_assert_cmpuint (be16 (rs->data + off + 16), ==, pop3);
  static const guint8 target[] = "\3pop\11mailscope\4test";
  g_assert_cmpmem (rs->data + off + 18, rs->len - off - 18, target, sizeof target);

  g_autoptr (GByteArray) qs2 = dns_query (3, "_pop3s._tcp.mailscope.test", 33);
  g_autoptr (GByteArray) rs2 = ms_dns_server_answer (lab->srv, qs2->data, qs2->len);
  off = dns_check_head (rs2, qs2, 0, 1);
  g_assert_cmpuint (be16 (rs2->data + off + 16), ==, pop3s);

  g_autoptr (GByteArray) qn = dns_query (4, "_imaps._tcp.mailscope.test", 33);
  g_autoptr (GByteArray) rn = ms_dns_server_answer (lab->srv, qn->data, qn->len);
  off = dns_check_head (rn, qn, 0, 1);
  static const guint8 no_service[] = { 0, 0, 0, 0, 0, 0, 0 };   /* prio weight port "." */
  g_assert_cmpuint (be16 (rn->data + off + 10), ==, 7);
  g_assert_cmpmem (rn->data + off + 12, rn->len - off - 12, no_service, sizeof no_service);
  const char *srv_names[] = { "_imap._tcp.mailscope.test" };
  for (guint i = 0; i < G_N_ELEMENTS (srv_names); i++)
    {
      g_autoptr (GByteArray) q = dns_query (5, srv_names[i], 33);
      g_autoptr (GByteArray) r = ms_dns_server_answer (lab->srv, q->data, q->len);
      dns_check_head (r, q, 0, 1);
    }

  /* MX */
  g_autoptr (GByteArray) qm = dns_query (6, "mailscope.test", 15);
  g_autoptr (GByteArray) rm = ms_dns_server_answer (lab->srv, qm->data, qm->len);
  off = dns_check_head (rm, qm, 0, 1);
  static const guint8 mx[] = "\0\12\4imap\11mailscope\4test";
  g_assert_cmpuint (be16 (rm->data + off + 2), ==, 15);
  g_assert_cmpmem (rm->data + off + 12, rm->len - off - 12, mx, sizeof mx);

  /* A name of the lab without that type: no answers, no error. */
  g_autoptr (GByteArray) qe = dns_query (7, "imap.mailscope.test", 15);
  g_autoptr (GByteArray) re = ms_dns_server_answer (lab->srv, qe->data, qe->len);
  dns_check_head (re, qe, 0, 0);

  /* Everything else is NXDOMAIN. */
  const char *others[] = { "example.com", "mailscope.test.evil", "x.imap.mailscope.test", "test" };
  for (guint i = 0; i < G_N_ELEMENTS (others); i++)
    {
      g_autoptr (GByteArray) q = dns_query (8, others[i], 1);
      g_autoptr (GByteArray) r = ms_dns_server_answer (lab->srv, q->data, q->len);
      dns_check_head (r, q, 3, 0);
    }

  /* Malformed: truncated question, two questions, a compression pointer. */
  g_autoptr (GByteArray) qt = dns_query (9, "imap.mailscope.test", 1);
  for (guint cut = 12; cut < qt->len; cut++)
    {
      g_autoptr (GByteArray) r = ms_dns_server_answer (lab->srv, qt->data, cut);
      g_assert_nonnull (r);
      g_assert_cmpuint (r->len, ==, 12);
      g_assert_cmphex (r->data[3] & 0x0f, ==, 1);
    }
  for (guint cut = 0; cut < 12; cut++)
    g_assert_null (ms_dns_server_answer (lab->srv, qt->data, cut));
  qt->data[5] = 2;
  g_autoptr (GByteArray) r2 = ms_dns_server_answer (lab->srv, qt->data, qt->len);
  g_assert_cmphex (r2->data[3] & 0x0f, ==, 1);
  qt->data[5] = 1;
  qt->data[12] = 0xc0;
  g_autoptr (GByteArray) rp = ms_dns_server_answer (lab->srv, qt->data, qt->len);
  g_assert_cmphex (rp->data[3] & 0x0f, ==, 1);
  /* A response is never answered (no loops between responders). */
  g_autoptr (GByteArray) qr = dns_query (10, "imap.mailscope.test", 1);
  qr->data[2] |= 0x80;
  g_assert_null (ms_dns_server_answer (lab->srv, qr->data, qr->len));
  ms_test_lab_free (lab);
}

/* DNS over TCP (RFC 7766): two queries in one stream, whole and one byte
 * at a time, give the same length-prefixed answers. */
static char *
dns_tcp_run (gboolean bytewise)
{
  MsTestLab *lab = ms_test_lab_new (NULL);
  Client *c = client_new (lab, MS_LAB_DNS, "127.0.0.1:42001", TRUE);
  g_autoptr (GByteArray) q1 = dns_query (11, "imap.mailscope.test", 1);
  g_autoptr (GByteArray) q2 = dns_query (12, "nowhere.example", 28);
  GByteArray *stream = g_byte_array_new ();
  GByteArray *qs[] = { q1, q2 };
  for (guint i = 0; i < 2; i++)
    {
      guint8 len[2] = { (guint8) (qs[i]->len >> 8), (guint8) qs[i]->len };
      g_byte_array_append (stream, len, 2);
      g_byte_array_append (stream, qs[i]->data, qs[i]->len);
    }
  client_send_len (c, (const char *) stream->data, stream->len, bytewise);
  g_byte_array_unref (stream);
  client_sync (c);
  g_autoptr (GByteArray) a1 = ms_dns_server_answer (lab->srv, q1->data, q1->len);
  g_autoptr (GByteArray) a2 = ms_dns_server_answer (lab->srv, q2->data, q2->len);
  g_assert_cmpuint (c->sink->len, ==, 2 + a1->len + 2 + a2->len);
  g_assert_cmpuint (be16 (c->sink->data), ==, a1->len);
  g_assert_cmpmem (c->sink->data + 2, a1->len, a1->data, a1->len);
  g_assert_cmpuint (be16 (c->sink->data + 2 + a1->len), ==, a2->len);
  g_assert_cmpmem (c->sink->data + 4 + a1->len, a2->len, a2->data, a2->len);
  char *hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, c->sink->data, c->sink->len);
  client_free (c);
  ms_test_lab_free (lab);
  return hex;
}

static void
test_dns_tcp (void)
{
  g_autofree char *whole = dns_tcp_run (FALSE);
  g_autofree char *bytewise = dns_tcp_run (TRUE);
  g_assert_cmpstr (whole, ==, bytewise);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lab/pop3/full-session", test_full_session);
  g_test_add_func ("/lab/pop3/dele-quit", test_dele_quit);
  g_test_add_func ("/lab/pop3/dele-rset", test_dele_rset);
  g_test_add_func ("/lab/pop3/changed-underneath", test_changed_underneath);
  g_test_add_func ("/lab/pop3/abrupt-close", test_abrupt_close);
  g_test_add_func ("/lab/pop3/in-use", test_in_use);
  g_test_add_func ("/lab/pop3/apop", test_apop);
  g_test_add_func ("/lab/pop3/auth-plain", test_auth_plain);
  g_test_add_func ("/lab/pop3/require-tls", test_require_tls);
  g_test_add_func ("/lab/pop3/implicit-tls", test_implicit_tls);
  g_test_add_func ("/lab/pop3/non-loopback", test_non_loopback);
  g_test_add_func ("/lab/pop3/allow-plaintext", test_allow_plaintext);
  g_test_add_func ("/lab/pop3/line-too-long", test_line_too_long);
  g_test_add_func ("/lab/pop3/nul-and-garbage", test_nul_and_garbage);
  g_test_add_func ("/lab/pop3/failed-login-delay", test_failed_login_delay);
  g_test_add_func ("/lab/limits", test_limits);
  g_test_add_func ("/lab/idle-timeouts", test_idle_timeouts);
  g_test_add_func ("/lab/dns/answers", test_dns);
  g_test_add_func ("/lab/dns/tcp", test_dns_tcp);
  return g_test_run ();
}
