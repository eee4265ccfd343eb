/* ms-pop3-server.c - the lab's POP3 server session (RFC 1939, with CAPA and
 * response codes from RFC 2449, AUTH PLAIN from RFC 5034, STLS from RFC 2595
 * and APOP). One session per connection; the maildrop is locked for the
 * whole session, so a second client gets -ERR [IN-USE] — the contrast with
 * IMAP, where many clients share a mailbox. */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "ms-lab-server.h"
#include "ms-lab-source.h"

/* RFC 2449 §4 caps a command line at 255 octets; a SASL response line may
 * carry a longer base64 string, so lines up to this length are read. */
#define POP3_MAX_LINE 4096
/* Bytes a client may send ahead while a failed login is being delayed. */
#define POP3_MAX_PENDING_INPUT (4 * POP3_MAX_LINE)
/* Lines of a listing (CAPA, LIST, UIDL) shown in the command log; the
 * last line (".") is always shown. */
#define POP3_LOG_MAX_LINES 12
/* After this many unknown or malformed commands in a row the peer is not
 * speaking POP3; the session ends instead of answering garbage forever. */
#define POP3_MAX_BAD_COMMANDS 20

typedef enum {
  ST_AUTHORIZATION,
  ST_TRANSACTION,
  ST_DONE,
} State;

typedef struct {
  guint32 uid;
  gint64 octets;      /* size with CRLF line ends, as POP3 counts it */
  gboolean deleted;
} Pop3Msg;

typedef struct {
  MsLabServer *srv;
  MsLabConn *conn;
  const char *service;     /* "pop3" or "pop3s", for the log */
  State state;
  GByteArray *inbuf;
  char *user;              /* from USER, awaiting PASS */
  char *stamp;             /* APOP timestamp of the greeting */
  gboolean sasl_pending;   /* AUTH PLAIN sent "+ ", awaiting the response */
  guint delay_id;          /* failed-login delay in progress */
  char *delayed_reply;
  char *owner;             /* the user whose maildrop is locked */
  MsMailbox *mb;
  GArray *msgs;            /* of Pop3Msg */
  guint bad_commands;
} Pop3Session;

static void process (Pop3Session *s);

/* --- output ---------------------------------------------------------- */

static void
reply (Pop3Session *s, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
reply (Pop3Session *s, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *line = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  ms_lab_server_log (s->srv, s->service, s->conn, 'S', "%s", line);
  ms_lab_conn_printf (s->conn, "%s\r\n", line);
}

/* Sends a multi-line reply that is already complete (status line, lines,
 * "."), logging its lines as the client sees them, up to a few. */
static void
send_listing (Pop3Session *s, GString *out)
{
  guint logged = 0, total = 0;
  const char *p = out->str;
  const char *end = out->str + out->len;
  while (p < end)
    {
      const char *nl = memchr (p, '\n', (gsize) (end - p));
      gsize n = (gsize) ((nl ? nl : end) - p);
      if (n > 0 && p[n - 1] == '\r')
        n--;
      total++;
      if (logged < POP3_LOG_MAX_LINES || (nl && nl + 1 == end))
        {
          ms_lab_server_log (s->srv, s->service, s->conn, 'S', "%.*s", (int) n, p);
          logged++;
        }
      else if (logged == POP3_LOG_MAX_LINES)
        {
          ms_lab_server_log (s->srv, s->service, s->conn, '-', "(more lines, not shown)");
          logged++;
        }
      p = nl ? nl + 1 : end;
    }
  ms_lab_conn_write (s->conn, out->str, out->len);
}

static void
finish_session (Pop3Session *s)
{
  s->state = ST_DONE;
  /* The maildrop is free as soon as the session is over, before the
   * connection has finished closing: a client that reconnects right after
   * QUIT's reply must not find it locked. */
  if (s->owner)
    {
      ms_lab_server_pop3_unlock (s->srv, s->owner);
      g_clear_pointer (&s->owner, g_free);
    }
  ms_lab_conn_close (s->conn);
}

/* --- the maildrop ---------------------------------------------------- */

static gint64
crlf_size (GBytes *bytes)
{
  gsize len;
  const guint8 *p = g_bytes_get_data (bytes, &len);
  gint64 size = (gint64) len;
  for (gsize i = 0; i < len; i++)
    if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
      size++;
  if (len > 0 && p[len - 1] != '\n')
    size += 2;
  return size;
}

static gboolean
open_maildrop (Pop3Session *s, const char *user, GError **error)
{
  MsMaildir *md = ms_lab_server_maildir (s->srv, user, error);
  if (md == NULL)
    return FALSE;
  s->mb = ms_mailbox_open (md, "INBOX", error);
  if (s->mb == NULL)
    return FALSE;
  s->msgs = g_array_new (FALSE, TRUE, sizeof (Pop3Msg));
  for (guint i = 0; i < ms_mailbox_count (s->mb); i++)
    {
      const MsMessage *m = ms_mailbox_get (s->mb, i);
      g_autoptr (GBytes) bytes = ms_mailbox_read (s->mb, m->uid, NULL);
      if (bytes == NULL)
        continue;   /* removed meanwhile by another client */
      Pop3Msg pm = { m->uid, crlf_size (bytes), FALSE };
      g_array_append_val (s->msgs, pm);
    }
  return TRUE;
}

static void
maildrop_totals (Pop3Session *s, guint *count, gint64 *octets)
{
  *count = 0;
  *octets = 0;
  for (guint i = 0; i < s->msgs->len; i++)
    {
      Pop3Msg *m = &g_array_index (s->msgs, Pop3Msg, i);
      if (!m->deleted)
        {
          (*count)++;
          *octets += m->octets;
        }
    }
}

/* The message numbered by the argument, or NULL after replying -ERR. */
static Pop3Msg *
message_arg (Pop3Session *s, const char *arg)
{
  char *end = NULL;
  guint64 n = arg ? g_ascii_strtoull (arg, &end, 10) : 0;
  if (arg == NULL || end == arg || *end != '\0')
    {
      reply (s, "-ERR %s", _("a message number is required"));
      return NULL;
    }
  if (n == 0 || n > s->msgs->len)
    {
      reply (s, "-ERR %s", _("no such message"));
      return NULL;
    }
  Pop3Msg *m = &g_array_index (s->msgs, Pop3Msg, (guint) n - 1);
  if (m->deleted)
    {
      reply (s, "-ERR %s", _("message already deleted"));
      return NULL;
    }
  return m;
}

/* Sends a message, dot-stuffed, with CRLF line ends; body_lines < 0 sends it
 * whole, otherwise the header and that many body lines (TOP). */
static void
send_message (Pop3Session *s, Pop3Msg *m, gint64 body_lines)
{
  GError *error = NULL;
  g_autoptr (GBytes) bytes = ms_mailbox_read (s->mb, m->uid, NULL);
  if (bytes == NULL)
    {
      /* An IMAP session may have renamed the file (new flags) since. */
      ms_mailbox_rescan (s->mb, NULL);
      bytes = ms_mailbox_read (s->mb, m->uid, &error);
    }
  if (bytes == NULL)
    {
      reply (s, "-ERR [SYS/TEMP] %s", error->message);
      g_error_free (error);
      return;
    }
  gsize len;
  const char *p = g_bytes_get_data (bytes, &len);
  const char *end = p + len;
  GString *out = g_string_sized_new (len + len / 32 + 64);
  if (body_lines < 0)
    {
      g_string_append_printf (out, "+OK %" G_GINT64_FORMAT " octets\r\n", m->octets);
      ms_lab_server_log (s->srv, s->service, s->conn, 'S', "+OK %" G_GINT64_FORMAT " octets",
                         m->octets);
    }
  else
    {
      g_string_append (out, "+OK top of message follows\r\n");
      ms_lab_server_log (s->srv, s->service, s->conn, 'S', "+OK top of message follows");
    }
  gsize head_len = out->len;
  guint lines = 0, stuffed = 0;
  gboolean in_body = FALSE;
  gint64 sent_body = 0;
  while (p < end)
    {
      const char *nl = memchr (p, '\n', (gsize) (end - p));
      const char *line_end = nl ? nl : end;
      gsize n = (gsize) (line_end - p);
      if (n > 0 && p[n - 1] == '\r')
        n--;
      if (in_body && body_lines >= 0 && sent_body >= body_lines)
        break;
      if (n > 0 && p[0] == '.')
        {
          g_string_append_c (out, '.');
          stuffed++;
        }
      g_string_append_len (out, p, (gssize) n);
      g_string_append (out, "\r\n");
      lines++;
      if (in_body)
        sent_body++;
      else if (n == 0)
        in_body = TRUE;
      p = nl ? nl + 1 : end;
    }
  ms_lab_server_log (s->srv, s->service, s->conn, '-',
                     "(%u lines, %" G_GSIZE_FORMAT " bytes on the wire, %u dot-stuffed; then \".\")",
                     lines, out->len - head_len, stuffed);
  g_string_append (out, ".\r\n");
  ms_lab_conn_write (s->conn, out->str, out->len);
  g_string_free (out, TRUE);
}

static void
scan_listing (Pop3Session *s, gboolean uidl, const char *arg)
{
  if (arg)
    {
      Pop3Msg *m = message_arg (s, arg);
      if (m == NULL)
        return;
      guint n = (guint) (m - &g_array_index (s->msgs, Pop3Msg, 0)) + 1;
      if (uidl)
        reply (s, "+OK %u %u.%u", n, ms_mailbox_uidvalidity (s->mb), m->uid);
      else
        reply (s, "+OK %u %" G_GINT64_FORMAT, n, m->octets);
      return;
    }
  guint count;
  gint64 octets;
  maildrop_totals (s, &count, &octets);
  GString *out = g_string_new (NULL);
  if (uidl)
    g_string_append (out, "+OK unique-id listing follows\r\n");
  else
    g_string_append_printf (out, "+OK %u messages (%" G_GINT64_FORMAT " octets)\r\n", count, octets);
  for (guint i = 0; i < s->msgs->len; i++)
    {
      Pop3Msg *m = &g_array_index (s->msgs, Pop3Msg, i);
      if (m->deleted)
        continue;
      if (uidl)
        g_string_append_printf (out, "%u %u.%u\r\n", i + 1, ms_mailbox_uidvalidity (s->mb), m->uid);
      else
        g_string_append_printf (out, "%u %" G_GINT64_FORMAT "\r\n", i + 1, m->octets);
    }
  g_string_append (out, ".\r\n");
  send_listing (s, out);
  g_string_free (out, TRUE);
}

/* --- authorization --------------------------------------------------- */

static gboolean
end_delay (gpointer data)
{
  Pop3Session *s = data;
  s->delay_id = 0;
  g_autofree char *line = g_steal_pointer (&s->delayed_reply);
  reply (s, "%s", line);
  ms_lab_conn_resume (s->conn);
  process (s);
  return G_SOURCE_REMOVE;
}

static void
login_failed (Pop3Session *s, const char *why)
{
  g_clear_pointer (&s->user, g_free);
  ms_lab_server_log (s->srv, s->service, s->conn, '-', "login failed: %s", why);
  s->delayed_reply = g_strdup_printf ("-ERR [AUTH] %s", why);
  ms_lab_conn_pause (s->conn);
  s->delay_id = ms_lab_timeout_add (ms_lab_server_config (s->srv)->failed_login_delay_ms, end_delay, s);
}

static void
login_ok (Pop3Session *s, const char *user)
{
  if (!ms_lab_server_pop3_lock (s->srv, user))
    {
      reply (s, "-ERR [IN-USE] %s",
             _("the maildrop is in use by another POP3 session: POP3 gives one client the "
               "mailbox at a time"));
      ms_lab_server_log (s->srv, s->service, s->conn, '-', "maildrop of %s is locked", user);
      return;
    }
  s->owner = g_strdup (user);
  GError *error = NULL;
  if (!open_maildrop (s, user, &error))
    {
      reply (s, "-ERR [SYS/TEMP] %s", error->message);
      g_error_free (error);
      ms_lab_server_pop3_unlock (s->srv, s->owner);
      g_clear_pointer (&s->owner, g_free);
      return;
    }
  s->state = ST_TRANSACTION;
  ms_lab_server_authenticated (s->srv, s->conn);
  ms_lab_server_log (s->srv, s->service, s->conn, '-', "logged in as %s%s", user,
                     ms_lab_conn_is_tls (s->conn) ? " (TLS)" : "");
  guint count;
  gint64 octets;
  maildrop_totals (s, &count, &octets);
  reply (s, "+OK %s has %u messages (%" G_GINT64_FORMAT " octets)", user, count, octets);
}

static gboolean
plaintext_refused (Pop3Session *s)
{
  const char *why = NULL;
  if (ms_lab_server_plaintext_ok (s->srv, s->conn, &why))
    return FALSE;
  reply (s, "-ERR [AUTH] %s", why);
  return TRUE;
}

static void
try_password (Pop3Session *s, const char *user, const char *password)
{
  if (ms_lab_server_check_password (s->srv, user, password))
    login_ok (s, user);
  else
    login_failed (s, _("wrong user name or password"));
}

/* SASL PLAIN (RFC 4616): base64 of authzid NUL authcid NUL password. */
static void
sasl_plain (Pop3Session *s, const char *b64)
{
  gsize len = 0;
  g_autofree guchar *raw = g_base64_decode (b64, &len);
  const guchar *nul1 = raw ? memchr (raw, 0, len) : NULL;
  const guchar *nul2 = nul1 ? memchr (nul1 + 1, 0, len - (gsize) (nul1 + 1 - raw)) : NULL;
  if (nul2 == NULL)
    {
      reply (s, "-ERR [AUTH] %s", _("malformed SASL PLAIN response"));
      return;
    }
  g_autofree char *authzid = g_strndup ((const char *) raw, (gsize) (nul1 - raw));
  g_autofree char *user = g_strndup ((const char *) nul1 + 1, (gsize) (nul2 - nul1 - 1));
  g_autofree char *password = g_strndup ((const char *) nul2 + 1, len - (gsize) (nul2 + 1 - raw));
  /* Acting as someone else (a different authzid) is not offered. */
  if (authzid[0] != '\0' && strcmp (authzid, user) != 0)
    {
      login_failed (s, _("logging in as another user is not allowed"));
      return;
    }
  try_password (s, user, password);
}

static void
cmd_apop (Pop3Session *s, const char *args)
{
  g_auto (GStrv) parts = args ? g_strsplit (args, " ", 2) : NULL;
  if (parts == NULL || parts[0] == NULL || parts[1] == NULL)
    {
      reply (s, "-ERR %s", _("APOP needs a name and a digest"));
      return;
    }
  const char *password = ms_lab_server_password (s->srv, parts[0]);
  if (password == NULL)
    {
      login_failed (s, _("wrong user name or password"));
      return;
    }
  g_autofree char *joined = g_strconcat (s->stamp, password, NULL);
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_MD5, joined, -1);
  if (g_ascii_strcasecmp (digest, parts[1]) == 0)
    login_ok (s, parts[0]);
  else
    login_failed (s, _("wrong user name or password"));
}

static void
cmd_capa (Pop3Session *s)
{
  gboolean tls = ms_lab_conn_is_tls (s->conn);
  const char *why;
  gboolean plain_ok = ms_lab_server_plaintext_ok (s->srv, s->conn, &why);
  GString *out = g_string_new ("+OK capability list follows\r\n");
  g_string_append (out, "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n");
  if (plain_ok)
    g_string_append (out, "USER\r\nSASL PLAIN\r\n");
  if (!tls && ms_lab_conn_tls_available (s->conn) && s->state == ST_AUTHORIZATION)
    g_string_append (out, "STLS\r\n");
  g_string_append (out, "IMPLEMENTATION Mailscope-lab\r\n.\r\n");
  send_listing (s, out);
  g_string_free (out, TRUE);
}

/* --- dispatch -------------------------------------------------------- */

static void
log_command (Pop3Session *s, const char *cmd, const char *args)
{
  if (g_ascii_strcasecmp (cmd, "PASS") == 0)
    ms_lab_server_log (s->srv, s->service, s->conn, 'C', "PASS ****");
  else if (g_ascii_strcasecmp (cmd, "AUTH") == 0 && args && strchr (args, ' '))
    ms_lab_server_log (s->srv, s->service, s->conn, 'C', "AUTH PLAIN ****");
  else if (g_ascii_strcasecmp (cmd, "APOP") == 0 && args && strchr (args, ' '))
    {
      g_autofree char *name = g_strndup (args, (gsize) (strchr (args, ' ') - args));
      ms_lab_server_log (s->srv, s->service, s->conn, 'C', "APOP %s <digest>", name);
    }
  else
    ms_lab_server_log (s->srv, s->service, s->conn, 'C', "%s%s%s", cmd, args ? " " : "",
                       args ? args : "");
}

static gboolean
is_cmd (const char *cmd, const char *name)
{
  return g_ascii_strcasecmp (cmd, name) == 0;
}

static void
bad_command (Pop3Session *s, const char *why)
{
  reply (s, "-ERR %s", why);
  if (++s->bad_commands >= POP3_MAX_BAD_COMMANDS)
    {
      reply (s, "-ERR %s", _("too many bad commands; closing"));
      finish_session (s);
    }
}

static void
authorization (Pop3Session *s, const char *cmd, const char *args)
{
  if (is_cmd (cmd, "USER"))
    {
      if (plaintext_refused (s))
        return;
      if (args == NULL)
        {
          bad_command (s, _("USER needs a name"));
          return;
        }
      g_free (s->user);
      s->user = g_strdup (args);
      reply (s, "+OK %s", _("send PASS"));
    }
  else if (is_cmd (cmd, "PASS"))
    {
      if (plaintext_refused (s))
        return;
      if (s->user == NULL)
        {
          bad_command (s, _("send USER first"));
          return;
        }
      g_autofree char *user = g_steal_pointer (&s->user);
      try_password (s, user, args ? args : "");
    }
  else if (is_cmd (cmd, "APOP"))
    cmd_apop (s, args);
  else if (is_cmd (cmd, "AUTH"))
    {
      if (args == NULL)
        {
          GString *out = g_string_new ("+OK\r\nPLAIN\r\n.\r\n");
          send_listing (s, out);
          g_string_free (out, TRUE);
          return;
        }
      if (plaintext_refused (s))
        return;
      g_auto (GStrv) parts = g_strsplit (args, " ", 2);
      if (!is_cmd (parts[0], "PLAIN"))
        {
          reply (s, "-ERR %s", _("only the PLAIN mechanism is offered"));
          return;
        }
      /* "=" is an empty initial response (RFC 5034 §4). */
      if (parts[1] && strcmp (parts[1], "=") == 0)
        sasl_plain (s, "");
      else if (parts[1])
        sasl_plain (s, parts[1]);
      else
        {
          s->sasl_pending = TRUE;
          ms_lab_server_log (s->srv, s->service, s->conn, 'S', "+ ");
          ms_lab_conn_write_str (s->conn, "+ \r\n");
        }
    }
  else if (is_cmd (cmd, "STLS"))
    {
      GError *error = NULL;
      if (ms_lab_conn_is_tls (s->conn))
        {
          reply (s, "-ERR %s", _("TLS is already active"));
          return;
        }
      if (!ms_lab_conn_tls_available (s->conn))
        {
          reply (s, "-ERR %s", _("this server has no certificate"));
          return;
        }
      reply (s, "+OK %s", _("begin TLS negotiation"));
      /* Commands sent after STLS but before the handshake were not
       * protected: they are dropped, never run inside TLS (RFC 2595 §4). */
      g_byte_array_set_size (s->inbuf, 0);
      if (!ms_lab_conn_start_tls (s->conn, &error))
        {
          ms_lab_server_log (s->srv, s->service, s->conn, '-', "STLS failed: %s", error->message);
          g_error_free (error);
          finish_session (s);
          return;
        }
      ms_lab_server_log (s->srv, s->service, s->conn, '-', "TLS handshake starts");
    }
  else
    bad_command (s, _("unknown command, or not before login"));
}

static void
transaction (Pop3Session *s, const char *cmd, const char *args)
{
  if (is_cmd (cmd, "STAT"))
    {
      guint count;
      gint64 octets;
      maildrop_totals (s, &count, &octets);
      reply (s, "+OK %u %" G_GINT64_FORMAT, count, octets);
    }
  else if (is_cmd (cmd, "LIST"))
    scan_listing (s, FALSE, args);
  else if (is_cmd (cmd, "UIDL"))
    scan_listing (s, TRUE, args);
  else if (is_cmd (cmd, "RETR"))
    {
      Pop3Msg *m = message_arg (s, args);
      if (m)
        send_message (s, m, -1);
    }
  else if (is_cmd (cmd, "TOP"))
    {
      g_auto (GStrv) parts = args ? g_strsplit (args, " ", 2) : NULL;
      char *end = NULL;
      gint64 lines = parts && parts[0] && parts[1] ? g_ascii_strtoll (parts[1], &end, 10) : -1;
      if (lines < 0 || end == parts[1] || *end != '\0')
        {
          bad_command (s, _("TOP needs a message number and a line count"));
          return;
        }
      Pop3Msg *m = message_arg (s, parts[0]);
      if (m)
        send_message (s, m, lines);
    }
  else if (is_cmd (cmd, "DELE"))
    {
      Pop3Msg *m = message_arg (s, args);
      if (m)
        {
          m->deleted = TRUE;
          reply (s, "+OK %s", _("marked for deletion at QUIT"));
        }
    }
  else if (is_cmd (cmd, "RSET"))
    {
      for (guint i = 0; i < s->msgs->len; i++)
        g_array_index (s->msgs, Pop3Msg, i).deleted = FALSE;
      reply (s, "+OK %s", _("deletion marks removed"));
    }
  else if (is_cmd (cmd, "NOOP"))
    reply (s, "+OK");
  else if (is_cmd (cmd, "CAPA"))
    cmd_capa (s);
  else
    bad_command (s, _("unknown command"));
}

/* QUIT in the TRANSACTION state enters UPDATE: only now are DELE marks
 * carried out (RFC 1939 §6). */
static void
cmd_quit (Pop3Session *s)
{
  if (s->state != ST_TRANSACTION)
    {
      reply (s, "+OK %s", _("bye"));
      finish_session (s);
      return;
    }
  guint removed = 0, failed = 0;
  /* IMAP sessions may have renamed files (flags) since the maildrop was
   * opened; remove what is there now. */
  ms_mailbox_rescan (s->mb, NULL);
  for (guint i = 0; i < s->msgs->len; i++)
    {
      Pop3Msg *m = &g_array_index (s->msgs, Pop3Msg, i);
      if (!m->deleted)
        continue;
      GError *error = NULL;
      if (ms_mailbox_find (s->mb, m->uid) < 0 || ms_mailbox_expunge (s->mb, m->uid, &error))
        removed++;
      else
        {
          failed++;
          g_clear_error (&error);
        }
    }
  if (failed)
    reply (s, "-ERR [SYS/PERM] %s", _("some deleted messages could not be removed"));
  else
    reply (s, "+OK %s (%u)", _("bye; messages deleted"), removed);
  finish_session (s);
}

static void
handle_line (Pop3Session *s, char *line)
{
  if (s->sasl_pending)
    {
      s->sasl_pending = FALSE;
      ms_lab_server_log (s->srv, s->service, s->conn, 'C', "****");
      if (strcmp (line, "*") == 0)
        reply (s, "-ERR %s", _("authentication cancelled"));
      else
        sasl_plain (s, line);
      return;
    }
  char *space = strchr (line, ' ');
  const char *args = NULL;
  if (space)
    {
      *space = '\0';
      args = space + 1;
      if (*args == '\0')
        args = NULL;
    }
  const char *cmd = line;
  if (!g_utf8_validate (line, -1, NULL))
    {
      ms_lab_server_log (s->srv, s->service, s->conn, 'C', "(%zu bytes that are not text)", strlen (line));
      bad_command (s, _("commands are ASCII words"));
      return;
    }
  log_command (s, cmd, args);
  if (is_cmd (cmd, "QUIT"))
    cmd_quit (s);
  else if (is_cmd (cmd, "CAPA") && s->state == ST_AUTHORIZATION)
    cmd_capa (s);
  else if (s->state == ST_AUTHORIZATION)
    authorization (s, cmd, args);
  else
    transaction (s, cmd, args);
}

static void
process (Pop3Session *s)
{
  while (s->state != ST_DONE && s->delay_id == 0 && s->inbuf->len > 0)
    {
      guint8 *nl = memchr (s->inbuf->data, '\n', s->inbuf->len);
      if (nl == NULL)
        {
          if (s->inbuf->len > POP3_MAX_LINE)
            {
              reply (s, "-ERR %s", _("line too long; closing"));
              finish_session (s);
            }
          return;
        }
      gsize n = (gsize) (nl - s->inbuf->data);
      if (n > POP3_MAX_LINE)
        {
          reply (s, "-ERR %s", _("line too long; closing"));
          finish_session (s);
          return;
        }
      gsize len = n > 0 && s->inbuf->data[n - 1] == '\r' ? n - 1 : n;
      gboolean has_nul = memchr (s->inbuf->data, '\0', len) != NULL;
      g_autofree char *line = g_strndup ((const char *) s->inbuf->data, len);
      g_byte_array_remove_range (s->inbuf, 0, (guint) n + 1);
      guint before = s->bad_commands;
      if (has_nul)
        {
          ms_lab_server_log (s->srv, s->service, s->conn, 'C', "(a line holding NUL bytes)");
          bad_command (s, _("commands are ASCII words"));
          continue;
        }
      handle_line (s, line);
      if (s->bad_commands == before)
        s->bad_commands = 0;
    }
}

/* --- session ops ----------------------------------------------------- */

static void
session_input (gpointer data, const guint8 *bytes, gsize len)
{
  Pop3Session *s = data;
  if (s->state == ST_DONE)
    return;
  /* Appending at most one line's worth before processing makes the
   * replies the same however the input is split. */
  gboolean was_tls = ms_lab_conn_is_tls (s->conn);
  while (len > 0 && s->state != ST_DONE)
    {
      /* Bytes that came in clear behind STLS are not commands. */
      if (ms_lab_conn_is_tls (s->conn) != was_tls)
        return;
      if (s->inbuf->len >= POP3_MAX_PENDING_INPUT)
        {
          reply (s, "-ERR %s", _("too much input while a reply was pending; closing"));
          finish_session (s);
          return;
        }
      gsize n = MIN (len, (gsize) POP3_MAX_LINE + 1);
      n = MIN (n, POP3_MAX_PENDING_INPUT - s->inbuf->len);
      g_byte_array_append (s->inbuf, bytes, (guint) n);
      bytes += n;
      len -= n;
      process (s);
    }
}

static void
session_closed (gpointer data)
{
  Pop3Session *s = data;
  if (s->delay_id)
    ms_lab_source_remove (s->delay_id);
  if (s->owner)
    ms_lab_server_pop3_unlock (s->srv, s->owner);
  ms_lab_server_log (s->srv, s->service, s->conn, '-', "closed");
  if (s->mb)
    ms_mailbox_free (s->mb);
  if (s->msgs)
    g_array_unref (s->msgs);
  g_byte_array_unref (s->inbuf);
  g_free (s->user);
  g_free (s->stamp);
  g_free (s->delayed_reply);
  g_free (s->owner);
  g_free (s);
}

static const MsLabSessionOps pop3_ops = {
  .input = session_input,
  .closed = session_closed,
};

static gpointer
session_create (MsLabServer *srv, MsLabConn *conn, gboolean tls)
{
  Pop3Session *s = g_new0 (Pop3Session, 1);
  s->srv = srv;
  s->conn = conn;
  s->service = ms_lab_service_name (tls ? MS_LAB_POP3S : MS_LAB_POP3);
  s->inbuf = g_byte_array_new ();
  s->stamp = g_strdup_printf ("<%u.%" G_GINT64_FORMAT "@pop.mailscope.test>", g_random_int (),
                              g_get_real_time () / G_USEC_PER_SEC);
  reply (s, "+OK %s %s", _("Mailscope POP3 lab ready"), s->stamp);
  return s;
}

const MsLabProtocol ms_pop3_server_protocol = {
  .ops = &pop3_ops,
  .create = session_create,
};
