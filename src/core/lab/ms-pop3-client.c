/* ms-pop3-client.c - the lab's POP3 client (RFC 1939, CAPA RFC 2449, STLS
 * RFC 2595): greeting, CAPA, STLS, USER/PASS or APOP, STAT, LIST, UIDL, RETR
 * of every message, optional DELE, QUIT. */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "ms-lab-client-private.h"

/* Standard and lab ports (DESIGN.md, "Lab defaults"). */
#define POP3_PORT 110
#define POP3_LAB_PORT 1110
#define POP3S_PORT 995
#define POP3S_LAB_PORT 1995
/* RFC 1939 §4: a greeting's APOP timestamp is a msg-id; 512 bytes is a full
 * response line. */
#define MAX_TIMESTAMP 510
/* Lines of a multi-line listing (LIST, UIDL, CAPA) shown before the rest is
 * summarised. */
#define MAX_SHOWN_LINES 40
/* Messages RETR'd in one session: a classroom mailbox, not an archive. */
#define MAX_MESSAGES 100000

typedef struct {
  MsLabClient *c;
  gboolean stls;
  char *timestamp;
} Pop3;

/* Reads a status line; TRUE with *ok telling +OK from -ERR. */
static gboolean
read_status (Pop3 *p, gboolean *ok, char **text, GError **error)
{
  g_autofree char *line = NULL;
  gsize len = 0;
  if (!ms_lab_client_read_line (p->c, ms_lab_client_deadline (p->c), &line, &len, error))
    return FALSE;
  g_autofree char *shown = ms_lab_client_printable (line, len);
  ms_lab_client_say (p->c, 'S', "%s", shown);
  *ok = g_str_has_prefix (line, "+OK");
  if (!*ok && !g_str_has_prefix (line, "-ERR"))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("the server's answer is neither +OK nor -ERR"));
      return FALSE;
    }
  if (text)
    *text = g_strdup (line + (*ok ? 3 : 4) + (line[*ok ? 3 : 4] == ' '));
  return TRUE;
}

/* Sends a command and reads its status; FALSE with error on -ERR unless
 * err_ok (then *ok says which). */
static gboolean
command (Pop3 *p, const char *cmd, const char *shown, gboolean err_ok, gboolean *ok_out,
         char **text, GError **error)
{
  if (!ms_lab_client_send_line (p->c, cmd, shown, error))
    return FALSE;
  gboolean ok;
  g_autofree char *t = NULL;
  if (!read_status (p, &ok, &t, error))
    return FALSE;
  if (ok_out)
    *ok_out = ok;
  if (!ok && !err_ok)
    {
      g_autofree char *word = g_strndup (cmd, strcspn (cmd, " "));
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("the server refused %s: %s"), word, t);
      return FALSE;
    }
  if (text)
    *text = g_steal_pointer (&t);
  return TRUE;
}

/* Reads a multi-line body up to "." (RFC 1939 §3), undoing dot-stuffing.
 * *bytes gets its size with CRLF line ends; lines go to `lines` (may be
 * NULL). Listings show each line; message bodies are summarised when long. */
static gboolean
read_multiline (Pop3 *p, gboolean is_message, guint64 *bytes, GPtrArray *lines, GError **error)
{
  MsLabClient *c = p->c;
  g_autoptr (GPtrArray) held = g_ptr_array_new_with_free_func (g_free);
  guint64 total = 0;
  guint n = 0;
  gboolean in_attachment = FALSE;
  gint64 deadline = ms_lab_client_deadline (c);
  for (;;)
    {
      char *line = NULL;
      gsize len = 0;
      if (!ms_lab_client_read_line (c, deadline, &line, &len, error))
        return FALSE;
      if (strcmp (line, ".") == 0)
        {
          g_free (line);
          break;
        }
      const char *l = line[0] == '.' ? line + 1 : line;
      gsize ll = line[0] == '.' ? len - 1 : len;
      total += ll + 2;
      n++;
      if (is_message)
        {
          /* What an attachment costs: from its part's Content-Disposition
           * to the next MIME boundary (RFC 2046 §5.1.1, RFC 2183). */
          if (ll >= 2 && l[0] == '-' && l[1] == '-')
            in_attachment = FALSE;
          else if (ll >= 31 && g_ascii_strncasecmp (l, "Content-Disposition: attachment", 31) == 0)
            {
              in_attachment = TRUE;
              c->report.attachment_downloaded = TRUE;
            }
          if (in_attachment)
            c->report.attachment_bytes += ll + 2;
        }
      if (is_message)
        {
          /* The transcript shows the wire: dot-stuffed as sent. */
          if (total <= MS_LAB_CLIENT_SHOW_LITERAL)
            g_ptr_array_add (held, ms_lab_client_printable (line, len));
        }
      else if (n <= MAX_SHOWN_LINES)
        {
          g_autofree char *shown = ms_lab_client_printable (l, ll);
          ms_lab_client_say (c, 'S', "%s", shown);
        }
      if (lines)
        g_ptr_array_add (lines, g_strndup (l, ll));
      g_free (line);
      deadline = ms_lab_client_deadline (c);
    }
  if (is_message && total > MS_LAB_CLIENT_SHOW_LITERAL)
    {
      g_autofree char *s = ms_lab_client_format_count (total);
      ms_lab_client_say (c, 'S', _("[… %s bytes …]"), s);
    }
  else if (is_message)
    for (guint i = 0; i < held->len; i++)
      ms_lab_client_say (c, 'S', "%s", (const char *) held->pdata[i]);
  else if (n > MAX_SHOWN_LINES)
    ms_lab_client_say (c, 'S', _("[… %u more lines …]"), n - MAX_SHOWN_LINES);
  ms_lab_client_say (c, 'S', ".");
  *bytes = total;
  return TRUE;
}

/* CAPA: the listing is shown; its lines tell whether STLS is offered. */
static gboolean
capa (Pop3 *p, GError **error)
{
  gboolean ok;
  if (!command (p, "CAPA", NULL, TRUE, &ok, NULL, error))
    return FALSE;
  p->stls = FALSE;
  if (!ok)
    return TRUE;
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  guint64 bytes;
  if (!read_multiline (p, FALSE, &bytes, lines, error))
    return FALSE;
  for (guint i = 0; i < lines->len; i++)
    if (g_ascii_strcasecmp (lines->pdata[i], "STLS") == 0)
      p->stls = TRUE;
  return TRUE;
}

/* The msg-id "<…@…>" in the greeting, which APOP hashes (RFC 1939 §7). */
static char *
find_timestamp (const char *greeting)
{
  const char *lt = strchr (greeting, '<');
  const char *gt = lt ? strchr (lt, '>') : NULL;
  if (gt == NULL || (gsize) (gt - lt) > MAX_TIMESTAMP)
    return NULL;
  g_autofree char *ts = g_strndup (lt, (gsize) (gt - lt + 1));
  return strchr (ts, '@') ? g_steal_pointer (&ts) : NULL;
}

static gboolean
login (Pop3 *p, GError **error)
{
  MsLabClient *c = p->c;
  const MsLabClientOptions *o = &c->opts;
  if (strpbrk (o->user, "\r\n ") || strpbrk (o->password, "\r\n"))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("user name and password must not contain line breaks (or spaces in the "
                     "name)"));
      return FALSE;
    }
  if (o->apop && p->timestamp)
    {
      if (!ms_lab_client_step (c, MS_STEP_LOGIN, error,
                               _("Log in with APOP: an MD5 digest of the greeting's timestamp "
                                 "and the password, so the password itself never travels")))
        return FALSE;
      g_autofree char *in = g_strconcat (p->timestamp, o->password, NULL);
      g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_MD5, in, -1);
      g_autofree char *cmd = g_strdup_printf ("APOP %s %s", o->user, digest);
      return command (p, cmd, NULL, FALSE, NULL, NULL, error);
    }
  if (o->apop)
    ms_lab_client_say (c, '-', _("The greeting has no timestamp, so APOP is impossible: "
                                 "USER and PASS instead"));
  if (!ms_lab_client_step (c, MS_STEP_LOGIN, error, _("Log in with USER %s and PASS"), o->user))
    return FALSE;
  g_autofree char *user = g_strdup_printf ("USER %s", o->user);
  g_autofree char *pass = g_strdup_printf ("PASS %s", o->password);
  return command (p, user, NULL, FALSE, NULL, NULL, error)
         && command (p, pass, o->mask_secrets ? "PASS ********" : NULL, FALSE, NULL, NULL, error);
}

static gboolean
run (Pop3 *p, GError **error)
{
  MsLabClient *c = p->c;
  MsLabClientReport *rep = &c->report;
  if (!ms_lab_client_open (c, POP3_PORT, POP3_LAB_PORT, POP3S_PORT, POP3S_LAB_PORT, error))
    return FALSE;

  if (!ms_lab_client_step (c, MS_STEP_GREETING, error, _("Read the server's greeting")))
    return FALSE;
  gboolean ok;
  g_autofree char *greeting = NULL;
  if (!read_status (p, &ok, &greeting, error))
    return FALSE;
  if (!ok)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("the server does not accept us: %s"),
                   greeting);
      return FALSE;
    }
  p->timestamp = find_timestamp (greeting);

  if (!ms_lab_client_step (c, MS_STEP_NEGOTIATE, error, _("Ask what the server can do (CAPA)"))
      || !capa (p, error))
    return FALSE;

  if (c->opts.tls == MS_LAB_CLIENT_TLS_STARTTLS)
    {
      if (!ms_lab_client_step (c, MS_STEP_NEGOTIATE, error,
                               _("Ask to switch this connection to TLS (STLS)"))
          || !command (p, "STLS", NULL, FALSE, NULL, NULL, error))
        return FALSE;
      if (ms_lab_client_buffered (c) > 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("the server sent data before the TLS handshake"));
          return FALSE;
        }
      if (!ms_lab_client_step (c, MS_STEP_TLS, error,
                               _("TLS handshake: from now on everything is encrypted"))
          || !ms_lab_client_handshake (c, error))
        return FALSE;
      if (!ms_lab_client_step (c, MS_STEP_NEGOTIATE, error,
                               _("Ask for the capabilities again: they may differ under TLS"))
          || !capa (p, error))
        return FALSE;
    }

  if (!login (p, error))
    return FALSE;

  g_autofree char *stat = NULL;
  if (!ms_lab_client_step (c, MS_STEP_LIST, error,
                           _("How many messages, how many bytes? (STAT)"))
      || !command (p, "STAT", NULL, FALSE, NULL, &stat, error))
    return FALSE;
  char *end;
  guint64 count = g_ascii_strtoull (stat, &end, 10);
  if (end == stat || count > MAX_MESSAGES)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("STAT's answer makes no sense"));
      return FALSE;
    }
  rep->messages_on_server = (guint) count;

  guint64 bytes;
  if (!ms_lab_client_step (c, MS_STEP_LIST, error, _("The size of each message (LIST)"))
      || !command (p, "LIST", NULL, FALSE, NULL, NULL, error)
      || !read_multiline (p, FALSE, &bytes, NULL, error))
    return FALSE;
  if (!ms_lab_client_step (c, MS_STEP_LIST, error,
                           _("The unique id of each message (UIDL), so a client can tell what "
                             "it already has"))
      || !command (p, "UIDL", NULL, TRUE, &ok, NULL, error)
      || (ok && !read_multiline (p, FALSE, &bytes, NULL, error)))
    return FALSE;

  for (guint i = 1; i <= count; i++)
    {
      g_autofree char *cmd = g_strdup_printf ("RETR %u", i);
      if (!ms_lab_client_step (c, MS_STEP_FETCH, error,
                               _("Download message %u of %u, whole (RETR): POP3 has no way to "
                                 "fetch a part"),
                               i, (guint) count)
          || !command (p, cmd, NULL, FALSE, NULL, NULL, error)
          || !read_multiline (p, TRUE, &bytes, NULL, error))
        return FALSE;
      g_array_append_val (rep->message_sizes, bytes);
      rep->content_bytes += bytes;
      rep->messages_fetched++;
    }

  if (c->opts.idle_seconds > 0)
    {
      guint secs = c->opts.idle_seconds;
      if (!ms_lab_client_step (c, MS_STEP_REFRESH, error,
                               _("Poll with NOOP for %u s: POP3 cannot push news"), secs))
        return FALSE;
      gint64 stop = g_get_monotonic_time () + (gint64) secs * G_USEC_PER_SEC;
      while (g_get_monotonic_time () < stop)
        {
          gint64 next = MIN (stop, g_get_monotonic_time () + 5 * G_USEC_PER_SEC);
          if (!ms_lab_client_sleep_until (c, next))
            return !g_cancellable_set_error_if_cancelled (c->cancellable, error);
          if (!command (p, "NOOP", NULL, FALSE, NULL, NULL, error))
            return FALSE;
        }
    }

  guint deleted = 0;
  if (c->opts.delete_messages && count > 0)
    {
      if (!ms_lab_client_step (c, MS_STEP_UPDATE, error,
                               _("Mark every message for deletion (DELE); only QUIT makes it "
                                 "final")))
        return FALSE;
      for (guint i = 1; i <= count; i++)
        {
          g_autofree char *cmd = g_strdup_printf ("DELE %u", i);
          if (!command (p, cmd, NULL, FALSE, NULL, NULL, error))
            return FALSE;
          deleted++;
        }
    }

  if (!ms_lab_client_step (c, MS_STEP_LOGOUT, error,
                           deleted ? _("End the session (QUIT): the server now deletes the "
                                       "marked messages")
                                   : _("End the session (QUIT)"))
      || !command (p, "QUIT", NULL, FALSE, NULL, NULL, error))
    return FALSE;
  rep->messages_deleted = deleted;
  rep->messages_left = (guint) count - deleted;
  return TRUE;
}

gboolean
ms_pop3_client_run (MsLabClient *c, GError **error)
{
  Pop3 p = { 0 };
  p.c = c;
  gboolean ok = run (&p, error);
  if (!ok)
    c->report.messages_left = c->report.messages_on_server;   /* DELE without QUIT undoes */
  g_free (p.timestamp);
  return ok;
}
