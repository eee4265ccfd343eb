/* ms-imap-server.c - the lab's IMAP server session (RFC 3501 IMAP4rev1 with
 * LITERAL+ RFC 7888, IDLE RFC 2177, UIDPLUS RFC 4315, MOVE RFC 6851,
 * NAMESPACE RFC 2342, ENABLE RFC 5161, UNSELECT RFC 3691, ID RFC 2971):
 * the resumable command reader with literals, the dispatch table, output
 * helpers and the session's life cycle. The argument parser lives in
 * ms-imap-args.c, the view of the selected mailbox in ms-imap-view.c,
 * commands in ms-imap-cmd-*.c. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "ms-imap-server-private.h"
#include "ms-lab-source.h"

/* A logged argument list is cut here: the log is read by people. */
#define LOG_MAX_ARG 300

/* The dispatch table: name, states, UID form, and whether the non-UID
 * form must hold EXPUNGE responses back (RFC 3501 §7.4.1). */
static const ImapCommand commands[] = {
  { "CAPABILITY", IMAP_ST_ANY, FALSE, FALSE, ms_imap_cmd_capability },
  { "NOOP", IMAP_ST_ANY, FALSE, FALSE, ms_imap_cmd_noop },
  { "LOGOUT", IMAP_ST_ANY, FALSE, FALSE, ms_imap_cmd_logout },
  { "ID", IMAP_ST_ANY, FALSE, FALSE, ms_imap_cmd_id },
  { "STARTTLS", IMAP_ST_NOT_AUTH, FALSE, FALSE, ms_imap_cmd_starttls },
  { "LOGIN", IMAP_ST_NOT_AUTH, FALSE, FALSE, ms_imap_cmd_login },
  { "AUTHENTICATE", IMAP_ST_NOT_AUTH, FALSE, FALSE, ms_imap_cmd_authenticate },
  { "ENABLE", IMAP_ST_AUTHED, FALSE, FALSE, ms_imap_cmd_enable },
  { "NAMESPACE", IMAP_ST_AUTHED, FALSE, FALSE, ms_imap_cmd_namespace },
  { "SELECT", IMAP_ST_AUTHED, FALSE, FALSE, ms_imap_cmd_select },
  { "EXAMINE", IMAP_ST_AUTHED, FALSE, FALSE, ms_imap_cmd_select },
  { "CREATE", IMAP_ST_AUTHED, FALSE, FALSE, ms_imap_cmd_create },
  { "DELETE", IMAP_ST_AUTHED, FALSE, FALSE, ms_imap_cmd_delete },
  { "RENAME", IMAP_ST_AUTHED, FALSE, FALSE, ms_imap_cmd_rename },
  { "SUBSCRIBE", IMAP_ST_AUTHED, FALSE, FALSE, ms_imap_cmd_subscribe },
  { "UNSUBSCRIBE", IMAP_ST_AUTHED, FALSE, FALSE, ms_imap_cmd_subscribe },
  { "LIST", IMAP_ST_AUTHED, FALSE, FALSE, ms_imap_cmd_list },
  { "LSUB", IMAP_ST_AUTHED, FALSE, FALSE, ms_imap_cmd_list },
  { "STATUS", IMAP_ST_AUTHED, FALSE, FALSE, ms_imap_cmd_status },
  { "APPEND", IMAP_ST_AUTHED, FALSE, FALSE, ms_imap_cmd_append },
  { "IDLE", IMAP_ST_AUTHED, FALSE, FALSE, ms_imap_cmd_idle },
  { "CHECK", IMAP_ST_SELECTED, FALSE, FALSE, ms_imap_cmd_check },
  { "CLOSE", IMAP_ST_SELECTED, FALSE, FALSE, ms_imap_cmd_close },
  { "UNSELECT", IMAP_ST_SELECTED, FALSE, FALSE, ms_imap_cmd_close },
  { "EXPUNGE", IMAP_ST_SELECTED, TRUE, FALSE, ms_imap_cmd_expunge },
  { "SEARCH", IMAP_ST_SELECTED, TRUE, TRUE, ms_imap_cmd_search },
  { "FETCH", IMAP_ST_SELECTED, TRUE, TRUE, ms_imap_cmd_fetch },
  { "STORE", IMAP_ST_SELECTED, TRUE, TRUE, ms_imap_cmd_store },
  { "COPY", IMAP_ST_SELECTED, TRUE, FALSE, ms_imap_cmd_copy },
  { "MOVE", IMAP_ST_SELECTED, TRUE, FALSE, ms_imap_cmd_copy },
};


/* --- life cycle ------------------------------------------------------ */

static void
session_free (ImapSession *s)
{
  g_byte_array_unref (s->inbuf);
  g_byte_array_unref (s->cmdbuf);
  g_free (s->sasl_tag);
  g_free (s->idle_tag);
  g_free (s->delayed_reply);
  g_free (s->user);
  g_free (s);
}

/* Entries from the main loop are bracketed so that a close arriving in the
 * middle (a write to a dead client) frees the session only at the end. */
void
ms_imap_enter (ImapSession *s)
{
  s->busy++;
  ms_lab_conn_ref (s->conn);
}

void
ms_imap_leave (ImapSession *s)
{
  MsLabConn *conn = s->conn;
  gboolean close_now = s->busy == 1 && s->closing && !s->dead;
  if (close_now)
    ms_lab_conn_close (conn);
  s->busy--;
  if (s->busy == 0 && s->dead)
    session_free (s);
  ms_lab_conn_unref (conn);
}

void
ms_imap_close (ImapSession *s)
{
  s->closing = TRUE;
  s->state = IMAP_ST_LOGOUT;
}

/* --- output ---------------------------------------------------------- */

void
ms_imap_send (ImapSession *s, const char *data, gsize len)
{
  if (!s->dead)
    ms_lab_conn_write (s->conn, data, len);
}

static void
log_server (ImapSession *s, const char *line, gsize len)
{
  /* Message bodies are not copied into the log: a line of context is. */
  const char *nl = memchr (line, '\r', len);
  gsize n = nl ? (gsize) (nl - line) : len;
  if (n > 200)
    ms_lab_server_log (s->srv, "imap", s->conn, 'S', "%.200s…", line);
  else
    ms_lab_server_log (s->srv, "imap", s->conn, 'S', "%.*s", (int) n, line);
}

void
ms_imap_untagged (ImapSession *s, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *text = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_autofree char *line = g_strdup_printf ("* %s\r\n", text);
  log_server (s, line, strlen (line));
  ms_imap_send (s, line, strlen (line));
}

static gboolean
cmd_allows_expunge (ImapCmd *cmd)
{
  if (cmd == NULL || cmd->uid)
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (commands[i].name, cmd->name) == 0)
      return !commands[i].no_expunge;
  return TRUE;
}

void
ms_imap_tagged (ImapSession *s, ImapCmd *cmd, const char *status, const char *fmt, ...)
{
  if (s->box)
    ms_imap_sync (s, cmd_allows_expunge (cmd));
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *text = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_autofree char *line = g_strdup_printf ("%s %s %s\r\n", cmd && cmd->tag ? cmd->tag : "*",
                                           status, text);
  log_server (s, line, strlen (line));
  ms_imap_send (s, line, strlen (line));
}

void
ms_imap_bad (ImapSession *s, ImapCmd *cmd, const char *text)
{
  ms_imap_tagged (s, cmd, "BAD", "%s", text);
  s->bad_commands++;
  if (s->bad_commands >= IMAP_MAX_BAD_COMMANDS)
    {
      ms_imap_untagged (s, "BYE %s", _("too many bad commands; closing"));
      ms_imap_close (s);
    }
}

char *
ms_imap_capability (ImapSession *s)
{
  GString *c = g_string_new ("IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT "
                             "UIDPLUS MOVE CHILDREN");
  if (s->state == IMAP_ST_NOT_AUTH)
    {
      const char *why;
      if (ms_lab_conn_tls_available (s->conn))
        g_string_append (c, " STARTTLS");
      if (ms_lab_server_plaintext_ok (s->srv, s->conn, &why))
        g_string_append (c, " AUTH=PLAIN");
      else
        g_string_append (c, " LOGINDISABLED");
    }
  return g_string_free (c, FALSE);
}

static gboolean
needs_literal (const char *s, gssize len)
{
  gsize n = len < 0 ? strlen (s) : (gsize) len;
  if (n > 1024)
    return TRUE;
  for (gsize i = 0; i < n; i++)
    {
      guchar ch = (guchar) s[i];
      if (ch == '\r' || ch == '\n' || ch == 0 || ch >= 0x80)
        return TRUE;
    }
  return FALSE;
}

void
ms_imap_append_string (GString *out, const char *str, gssize len)
{
  gsize n = len < 0 ? strlen (str) : (gsize) len;
  if (needs_literal (str, (gssize) n))
    {
      g_string_append_printf (out, "{%" G_GSIZE_FORMAT "}\r\n", n);
      g_string_append_len (out, str, (gssize) n);
      return;
    }
  g_string_append_c (out, '"');
  for (gsize i = 0; i < n; i++)
    {
      if (str[i] == '"' || str[i] == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, str[i]);
    }
  g_string_append_c (out, '"');
}

void
ms_imap_append_nstring (GString *out, const char *str)
{
  if (str == NULL)
    g_string_append (out, "NIL");
  else
    ms_imap_append_string (out, str, -1);
}

/* --- small shared helpers -------------------------------------------- */

GBytes *
ms_imap_to_crlf (GBytes *raw)
{
  gsize len;
  const guint8 *p = g_bytes_get_data (raw, &len);
  gsize extra = 0;
  for (gsize i = 0; i < len; i++)
    if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
      extra++;
  if (extra == 0)
    return g_bytes_ref (raw);
  guint8 *out = g_malloc (len + extra + 1);
  gsize o = 0;
  for (gsize i = 0; i < len; i++)
    {
      if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
        out[o++] = '\r';
      out[o++] = p[i];
    }
  out[o] = '\0';
  return g_bytes_new_take (out, o);
}

GBytes *
ms_imap_read_crlf (ImapSession *s, guint32 uid)
{
  g_autoptr (GBytes) raw = ms_mailbox_read (ms_hub_box_mailbox (s->box), uid, NULL);
  if (raw == NULL)
    return NULL;
  return ms_imap_to_crlf (raw);
}

gboolean
ms_imap_parse_flags (const ImapArg *a, guint *flags)
{
  static const struct {
    const char *name;
    guint flag;
  } names[] = {
    { "\\Seen", MS_MSG_SEEN },       { "\\Answered", MS_MSG_ANSWERED },
    { "\\Flagged", MS_MSG_FLAGGED }, { "\\Deleted", MS_MSG_DELETED },
    { "\\Draft", MS_MSG_DRAFT },     { "\\Recent", 0 },
  };
  *flags = 0;
  GPtrArray *items = NULL;
  g_autoptr (GPtrArray) single = NULL;
  if (a->type == IMAP_ARG_LIST)
    items = a->list;
  else if (a->type == IMAP_ARG_ATOM)
    {
      single = g_ptr_array_new ();
      g_ptr_array_add (single, (gpointer) a);
      items = single;
    }
  else
    return FALSE;
  for (guint i = 0; i < items->len; i++)
    {
      const ImapArg *f = items->pdata[i];
      if (f->type != IMAP_ARG_ATOM)
        return FALSE;
      gboolean known = FALSE;
      for (guint j = 0; j < G_N_ELEMENTS (names); j++)
        if (g_ascii_strcasecmp (f->str, names[j].name) == 0)
          {
            *flags |= names[j].flag;
            known = TRUE;
          }
      /* Other system flags are errors; keywords are accepted and not kept
       * (PERMANENTFLAGS offers none). */
      if (!known && f->str[0] == '\\')
        return FALSE;
    }
  return TRUE;
}

char *
ms_imap_format_date (gint64 t)
{
  static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (t);
  if (dt == NULL)
    dt = g_date_time_new_from_unix_utc (0);
  return g_strdup_printf ("%2d-%s-%04d %02d:%02d:%02d +0000", g_date_time_get_day_of_month (dt),
                          months[g_date_time_get_month (dt) - 1], g_date_time_get_year (dt),
                          g_date_time_get_hour (dt), g_date_time_get_minute (dt),
                          g_date_time_get_second (dt));
}

/* --- dispatch -------------------------------------------------------- */

/* A parenthesised argument as the log shows it: nested lists and short
 * strings, literals by their size, all within LOG_MAX_ARG bytes. */
static void
append_log_list (GString *line, const ImapArg *a, guint depth)
{
  g_string_append_c (line, '(');
  for (guint i = 0; a->list && i < a->list->len && line->len < LOG_MAX_ARG; i++)
    {
      const ImapArg *x = a->list->pdata[i];
      if (i)
        g_string_append_c (line, ' ');
      if (x->type == IMAP_ARG_LIST)
        append_log_list (line, x, depth + 1);
      else if (x->literal || x->len > 80)
        g_string_append_printf (line, "{%" G_GSIZE_FORMAT " bytes}", x->len);
      else if (x->str == NULL)
        g_string_append (line, "…");   /* where parsing stopped (too deep) */
      else if (x->type == IMAP_ARG_STRING)
        g_string_append_printf (line, "\"%s\"", x->str ? x->str : "");
      else
        g_string_append (line, x->str ? x->str : "");
    }
  if (line->len >= LOG_MAX_ARG)
    g_string_append (line, "…");
  g_string_append_c (line, ')');
}

static void
log_command (ImapSession *s, ImapCmd *cmd)
{
  GString *line = g_string_new (cmd->tag);
  g_string_append_printf (line, " %s%s", cmd->uid ? "UID " : "", cmd->name);
  gboolean secret = strcmp (cmd->name, "LOGIN") == 0 || strcmp (cmd->name, "AUTHENTICATE") == 0;
  for (guint i = 0; i < cmd->args->len; i++)
    {
      ImapArg *a = cmd->args->pdata[i];
      g_string_append_c (line, ' ');
      if (secret && ((strcmp (cmd->name, "LOGIN") == 0 && i == 1)
                     || (strcmp (cmd->name, "AUTHENTICATE") == 0 && i == 1)))
        g_string_append (line, "****");
      else if (a->type == IMAP_ARG_LIST)
        append_log_list (line, a, 0);
      else if (a->literal || a->len > 200)
        g_string_append_printf (line, "{%" G_GSIZE_FORMAT " bytes}", a->len);
      else if (a->str == NULL)
        g_string_append (line, "…");   /* where parsing stopped */
      else if (a->type == IMAP_ARG_STRING)
        g_string_append_printf (line, "\"%s\"", a->str ? a->str : "");
      else
        g_string_append (line, a->str ? a->str : "");
    }
  ms_lab_server_log (s->srv, "imap", s->conn, 'C', "%s", line->str);
  g_string_free (line, TRUE);
}

static void
handle_command (ImapSession *s, const guint8 *data, gsize len)
{
  ImapCmd cmd = { 0 };
  cmd.args = g_ptr_array_new_with_free_func (ms_imap_arg_free);
  ImapParser ps = { data, len, 0, 0 };
  gsize sp = 0;
  while (sp < len && ms_imap_is_atom_char (data[sp]))
    sp++;
  g_autofree char *tag = g_strndup ((const char *) data, sp);
  if (!ms_imap_valid_tag (tag) || sp >= len || data[sp] != ' ')
    {
      ms_lab_server_log (s->srv, "imap", s->conn, 'C', "%.*s", (int) MIN (sp, 80), tag);
      ms_imap_untagged (s, "BAD %s", _("a command starts with a tag, a space and a name"));
      if (++s->bad_commands >= IMAP_MAX_BAD_COMMANDS)
        ms_imap_close (s);
      g_ptr_array_unref (cmd.args);
      return;
    }
  cmd.tag = tag;
  ps.pos = sp + 1;
  gsize name_start = ps.pos;
  while (ps.pos < len && g_ascii_isalnum (data[ps.pos]))
    ps.pos++;
  g_autofree char *name = g_ascii_strup ((const char *) data + name_start,
                                         (gssize) (ps.pos - name_start));
  if (strcmp (name, "UID") == 0 && ps.pos < len && data[ps.pos] == ' ')
    {
      cmd.uid = TRUE;
      name_start = ++ps.pos;
      while (ps.pos < len && g_ascii_isalnum (data[ps.pos]))
        ps.pos++;
      g_free (name);
      name = g_ascii_strup ((const char *) data + name_start, (gssize) (ps.pos - name_start));
    }
  cmd.name = name;
  gboolean parsed = (ps.pos >= len || data[ps.pos] == ' ' || data[ps.pos] == '\r'
                     || data[ps.pos] == '\n')
                    && ms_imap_parse_list (&ps, cmd.args, 0);
  log_command (s, &cmd);
  const ImapCommand *entry = NULL;
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (commands[i].name, name) == 0)
      entry = &commands[i];
  guint before = s->bad_commands;
  if (entry == NULL || (cmd.uid && !entry->uid_form))
    ms_imap_bad (s, &cmd, _("unknown command"));
  else if (!parsed)
    ms_imap_bad (s, &cmd, _("the arguments cannot be parsed"));
  else if (!(entry->states & s->state))
    ms_imap_bad (s, &cmd, s->state == IMAP_ST_NOT_AUTH ? _("log in first")
                          : s->state == IMAP_ST_AUTH   ? _("select a mailbox first")
                                                       : _("not allowed now"));
  else
    entry->func (s, &cmd);
  if (s->bad_commands == before)
    s->bad_commands = 0;
  g_ptr_array_unref (cmd.args);
}

/* --- the reader ------------------------------------------------------ */

/* The literal announced at the end of a line: size, and whether it is
 * non-synchronising (LITERAL+). FALSE when the line ends otherwise. */
static gboolean
line_literal (const guint8 *line, gsize len, guint64 *size, gboolean *plus, gboolean *bad)
{
  *bad = FALSE;
  if (len < 3 || line[len - 1] != '}')
    return FALSE;
  gsize i = len - 1;
  *plus = FALSE;
  if (line[i - 1] == '+')
    {
      *plus = TRUE;
      i--;
    }
  gsize end = i;
  while (i > 0 && g_ascii_isdigit (line[i - 1]))
    i--;
  if (i == end || i == 0 || line[i - 1] != '{')
    return FALSE;
  if (end - i > 10)
    {
      *bad = TRUE;   /* more digits than any limit allows */
      return TRUE;
    }
  guint64 n = 0;
  for (gsize k = i; k < end; k++)
    n = n * 10 + (guint64) (line[k] - '0');
  *size = n;
  return TRUE;
}

/* "tag APPEND …" at the start of the command buffer. */
static gboolean
command_is_append (const guint8 *p, gsize len)
{
  const guint8 *sp = memchr (p, ' ', len);
  if (sp == NULL)
    return FALSE;
  gsize rest = len - (gsize) (sp + 1 - p);
  return rest >= 7 && g_ascii_strncasecmp ((const char *) sp + 1, "APPEND ", 7) == 0;
}

static void
reset_command (ImapSession *s)
{
  g_byte_array_set_size (s->cmdbuf, 0);
  s->n_literals = 0;
  s->literal_left = 0;
  s->literal_append = FALSE;
}

static void
too_long (ImapSession *s, const char *why)
{
  ms_lab_server_log (s->srv, "imap", s->conn, '-', "%s", why);
  ms_imap_untagged (s, "BYE [TOOBIG] %s", why);
  g_byte_array_set_size (s->inbuf, 0);
  reset_command (s);
  ms_imap_close (s);
}

/* One line of input (without CRLF) while no command is being read in the
 * ordinary way: AUTHENTICATE responses and IDLE's DONE. */
static gboolean
special_line (ImapSession *s, const char *line)
{
  if (s->sasl_tag)
    {
      ms_imap_auth_continue (s, line);
      return TRUE;
    }
  if (s->idle_tag)
    {
      ms_imap_idle_line (s, line);
      return TRUE;
    }
  return FALSE;
}

void
ms_imap_process (ImapSession *s)
{
  while (!s->closing && !s->dead && s->delay_id == 0 && s->fetch_job == NULL)
    {
      if (s->literal_left > 0)
        {
          if (s->inbuf->len == 0)
            return;
          guint take = (guint) MIN ((guint64) s->inbuf->len, s->literal_left);
          g_byte_array_append (s->cmdbuf, s->inbuf->data, take);
          g_byte_array_remove_range (s->inbuf, 0, take);
          s->literal_left -= take;
          continue;
        }
      guint8 *nl = memchr (s->inbuf->data, '\n', MIN (s->inbuf->len, IMAP_MAX_LINE + 2));
      if (nl == NULL)
        {
          if (s->inbuf->len > IMAP_MAX_LINE)
            too_long (s, _("command line too long; closing"));
          return;
        }
      gsize n = (gsize) (nl - s->inbuf->data);
      gsize body = n > 0 && s->inbuf->data[n - 1] == '\r' ? n - 1 : n;
      if (s->cmdbuf->len == 0 && (s->sasl_tag || s->idle_tag))
        {
          g_autofree char *line = g_strndup ((const char *) s->inbuf->data, body);
          g_byte_array_remove_range (s->inbuf, 0, (guint) n + 1);
          special_line (s, line);
          continue;
        }
      if (s->cmdbuf->len + n + 1 > IMAP_MAX_COMMAND + (s->literal_append ? MS_MAILDIR_MAX_MESSAGE : 0))
        {
          too_long (s, _("command too long; closing"));
          return;
        }
      guint64 lit = 0;
      gboolean plus = FALSE, bad = FALSE;
      gboolean has_lit = line_literal (s->inbuf->data, body, &lit, &plus, &bad);
      if (s->cmdbuf->len == 0)
        s->literal_append = command_is_append (s->inbuf->data, body);
      g_byte_array_append (s->cmdbuf, s->inbuf->data, (guint) n + 1);
      g_byte_array_remove_range (s->inbuf, 0, (guint) n + 1);
      if (has_lit)
        {
          guint64 limit = s->literal_append ? MS_MAILDIR_MAX_MESSAGE : IMAP_MAX_LITERAL;
          /* The whole command stays under its cap too, whatever the number
           * of literals. */
          guint64 room = IMAP_MAX_COMMAND + (s->literal_append ? MS_MAILDIR_MAX_MESSAGE : 0);
          if (bad || lit > limit || s->cmdbuf->len + lit > room
              || ++s->n_literals > IMAP_MAX_LITERALS)
            {
              if (!plus && s->n_literals <= IMAP_MAX_LITERALS)
                {
                  /* The client waits for "+" before sending: refuse the
                   * command and carry on (RFC 7888 §4). */
                  const guint8 *sp = memchr (s->cmdbuf->data, ' ', s->cmdbuf->len);
                  g_autofree char *tag = sp ? g_strndup ((const char *) s->cmdbuf->data,
                                                         (gsize) (sp - s->cmdbuf->data))
                                            : g_strdup ("*");
                  ms_lab_server_log (s->srv, "imap", s->conn, '-',
                                     "literal of %" G_GUINT64_FORMAT " bytes refused", lit);
                  ImapCmd fake = { .tag = ms_imap_valid_tag (tag) ? tag : (char *) "*",
                                   .name = (char *) "" };
                  ms_imap_tagged (s, &fake, "NO", "[TOOBIG] %s",
                                  _("literal larger than the server accepts"));
                  reset_command (s);
                  continue;
                }
              too_long (s, _("literal larger than the server accepts; closing"));
              return;
            }
          if (!plus)
            {
              ms_lab_server_log (s->srv, "imap", s->conn, 'S', "+ OK");
              ms_imap_send (s, "+ OK\r\n", 6);
            }
          s->literal_left = lit;
          continue;
        }
      /* The command is complete. */
      g_autoptr (GByteArray) whole = s->cmdbuf;
      s->cmdbuf = g_byte_array_new ();
      reset_command (s);
      if (body == 0 && whole->len <= 2)
        continue;   /* an empty line is ignored */
      handle_command (s, whole->data, whole->len);
    }
}

/* Called by the auth command file when a delayed failure is over. */
static gboolean
end_delay (gpointer data)
{
  ImapSession *s = data;
  s->delay_id = 0;
  ms_imap_enter (s);
  g_autofree char *line = g_steal_pointer (&s->delayed_reply);
  if (line)
    {
      log_server (s, line, strlen (line));
      ms_imap_send (s, line, strlen (line));
    }
  ms_lab_conn_resume (s->conn);
  ms_imap_process (s);
  ms_imap_leave (s);
  return G_SOURCE_REMOVE;
}

/* Holds the session for the failed-login delay, then sends `line`. */
void
ms_imap_delay_reply (ImapSession *s, char *line)
{
  s->delayed_reply = line;
  ms_lab_conn_pause (s->conn);
  s->delay_id = ms_lab_timeout_add (ms_lab_server_config (s->srv)->failed_login_delay_ms, end_delay, s);
}

/* --- session ops ----------------------------------------------------- */

static void
session_input (gpointer data, const guint8 *bytes, gsize len)
{
  ImapSession *s = data;
  if (s->closing || s->dead)
    return;
  ms_imap_enter (s);
  if ((s->delay_id || s->fetch_job) && s->inbuf->len + len > IMAP_MAX_PENDING_INPUT)
    too_long (s, _("too much input at once; closing"));
  else
    {
      g_byte_array_append (s->inbuf, bytes, (guint) len);
      ms_imap_process (s);
    }
  ms_imap_leave (s);
}

static void
session_closed (gpointer data)
{
  ImapSession *s = data;
  if (s->delay_id)
    ms_lab_source_remove (s->delay_id);
  s->delay_id = 0;
  ms_imap_fetch_abort (s);
  ms_imap_deselect (s);
  ms_lab_server_log (s->srv, "imap", s->conn, '-', "closed");
  s->dead = TRUE;
  if (s->busy == 0)
    session_free (s);
}

static const MsLabSessionOps imap_ops = {
  .input = session_input,
  .closed = session_closed,
};

static gpointer
session_create (MsLabServer *srv, MsLabConn *conn, gboolean tls)
{
  ImapSession *s = g_new0 (ImapSession, 1);
  s->srv = srv;
  s->conn = conn;
  s->state = IMAP_ST_NOT_AUTH;
  s->inbuf = g_byte_array_new ();
  s->cmdbuf = g_byte_array_new ();
  g_autofree char *caps = ms_imap_capability (s);
  ms_imap_untagged (s, "OK [CAPABILITY %s] %s", caps, _("Mailscope IMAP lab ready"));
  return s;
}

const MsLabProtocol ms_imap_server_protocol = {
  .ops = &imap_ops,
  .create = session_create,
};
