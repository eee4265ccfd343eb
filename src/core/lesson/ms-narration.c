/* ms-narration.c - the lesson's prose: one plain-language line per event,
 * the notes a student must not miss, and the title and explanation of each
 * step for IMAP (RFC 9051) and POP3 (RFC 1939). Everything is translated. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ms-lesson-private.h"

/* Bytes of a quoted argument shown in a narration line (mailbox names, user
 * names); longer ones are cut with an ellipsis so a line fits a projector. */
#define MS_NARRATION_MAX_ARG 48
/* DNS answers named in one line; the rest are counted. */
#define MS_NARRATION_MAX_ANSWERS 3

/* --- helpers ----------------------------------------------------------- */

char *
ms_narration_format_count (guint64 n, char *buf, gsize size)
{
  /* Nearly every line has a count: no printf for it. */
  char rev[24];   /* the digits, last first */
  gsize len = 0, o = 0;
  do
    rev[len++] = (char) ('0' + n % 10);
  while ((n /= 10) != 0);
  for (gsize i = 0; i < len && o + 2 < size; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        buf[o++] = ',';
      buf[o++] = rev[len - 1 - i];
    }
  buf[o] = '\0';
  return buf;
}

/* The first argument of an IMAP/POP3 command line (quotes removed, cut to
 * MS_NARRATION_MAX_ARG bytes at a character boundary), or NULL. */
static char *
first_arg (const MsEvent *ev)
{
  const char *args = ms_event_get_str (ev, "args");
  if (args == NULL)
    return NULL;
  while (*args == ' ')
    args++;
  if (*args == '\0')
    return NULL;
  GString *out = g_string_new (NULL);
  if (*args == '"')
    {
      for (const char *p = args + 1; *p && *p != '"'; p++)
        {
          if (*p == '\\' && p[1])
            p++;
          g_string_append_c (out, *p);
        }
    }
  else
    g_string_append_len (out, args, (gssize) strcspn (args, " "));
  if (out->len > MS_NARRATION_MAX_ARG)
    {
      const char *cut = g_utf8_find_prev_char (out->str, out->str + MS_NARRATION_MAX_ARG);
      g_string_truncate (out, cut ? (gsize) (cut - out->str) : 0);
      g_string_append (out, "…");
    }
  return g_string_free (out, FALSE);
}

/* The rest of the arguments after the first one, or "". Borrowed. */
static const char *
rest_args (const MsEvent *ev)
{
  const char *args = ms_event_get_str (ev, "args");
  if (args == NULL)
    return "";
  const char *sp = strchr (args, ' ');
  return sp ? sp + 1 : "";
}

static const char *
party (MsDir dir)
{
  return dir == MS_DIR_S2C ? _("The server") : _("The client");
}

static gboolean
is (const char *a, const char *b)
{
  return a && g_ascii_strcasecmp (a, b) == 0;
}

/* --- TCP, DNS, TLS ----------------------------------------------------- */

static char *
narrate_tcp (const MsEvent *ev)
{
  const char *tcp = ms_event_get_str (ev, "tcp");
  char buf[MS_ADDR_STRLEN];
  char num[32];

  if (strcmp (ev->kind, "handshake") == 0)
    {
      if (is (tcp, "SYN"))
        return g_strdup_printf (_("The client asks to open a TCP connection to %s."),
                                ms_addr_format (&ev->dst, buf, sizeof buf));
      if (is (tcp, "SYN-ACK"))
        return g_strdup (_("The server accepts the connection request."));
      return g_strdup (_("The client confirms: the connection is open and both sides can talk."));
    }
  if (strcmp (ev->kind, "close") == 0)
    {
      if (is (tcp, "RST"))
        return ev->dir == MS_DIR_S2C
                 ? g_strdup (_("The server aborts the connection (reset)."))
                 : g_strdup (_("The client aborts the connection (reset)."));
      return ev->dir == MS_DIR_S2C
               ? g_strdup (_("The server closes its side of the connection."))
               : g_strdup (_("The client closes its side of the connection."));
    }
  if (strcmp (ev->kind, "gap") == 0)
    {
      gint64 missing = ms_event_get_int (ev, "missing", 0);
      ms_narration_format_count ((guint64) MAX (missing, 0), num, sizeof num);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%s byte never reached the capture.",
                                           "%s bytes never reached the capture.",
                                           (gulong) MAX (missing, 0)),
                              num);
    }
  return g_strdup_printf (_("%s sends TCP data."), party (ev->dir));
}

static char *
narrate_dns (const MsEvent *ev)
{
  const char *qname = ms_event_get_str (ev, "qname");
  const char *qtype = ms_event_get_str (ev, "qtype");
  if (qname == NULL)
    qname = "?";
  if (qtype == NULL)
    qtype = "?";
  if (strcmp (ev->kind, "query") == 0)
    return g_strdup_printf (_("The client asks DNS for the %s record of “%s”."), qtype, qname);

  const char *rcode = ms_event_get_str (ev, "rcode");
  if (is (rcode, "NXDOMAIN"))
    return g_strdup_printf (_("DNS answers that “%s” does not exist."), qname);
  if (rcode && !is (rcode, "NOERROR"))
    return g_strdup_printf (_("DNS fails to answer for “%s” (%s)."), qname, rcode);

  const MsField *f = ms_event_get (ev, "answers");
  GString *list = g_string_new (NULL);
  guint n = 0;
  if (f && f->type == MS_VAL_NODE && f->v.node && JSON_NODE_HOLDS_ARRAY (f->v.node))
    {
      JsonArray *a = json_node_get_array (f->v.node);
      n = json_array_get_length (a);
      for (guint i = 0; i < n && i < MS_NARRATION_MAX_ANSWERS; i++)
        {
          JsonNode *e = json_array_get_element (a, i);
          if (!JSON_NODE_HOLDS_OBJECT (e))
            continue;
          const char *data = json_object_get_string_member_with_default (
            json_node_get_object (e), "data", "");
          if (list->len)
            g_string_append (list, ", ");
          /* Names end in the root's dot ("imap.mailscope.test."); in a
           * sentence that dot would read as a second full stop. */
          gsize dlen = strlen (data);
          g_string_append_len (list, data, dlen > 1 && data[dlen - 1] == '.' ? dlen - 1 : dlen);
        }
      if (n > MS_NARRATION_MAX_ANSWERS)
        g_string_append (list, ", …");
    }
  char *out;
  if (n == 0)
    out = g_strdup_printf (_("DNS has no %s record for “%s”."), qtype, qname);
  else
    out = g_strdup_printf (_("DNS answers: “%s” is %s."), qname, list->str);
  g_string_free (list, TRUE);
  return out;
}

static char *
narrate_tls (const MsEvent *ev)
{
  char num[32];
  if (strcmp (ev->kind, "client-hello") == 0)
    {
      const char *sni = ms_event_get_str (ev, "sni");
      if (sni)
        return g_strdup_printf (_("The client starts TLS and names the server it wants: “%s”."), sni);
      return g_strdup (_("The client starts TLS."));
    }
  if (strcmp (ev->kind, "server-hello") == 0)
    {
      const char *cipher = ms_event_get_str (ev, "cipher_name");
      if (cipher == NULL)
        cipher = ms_event_get_str (ev, "cipher");
      if (cipher)
        return g_strdup_printf (_("The server answers and picks the encryption: %s."), cipher);
      return g_strdup (_("The server answers and picks the encryption."));
    }
  if (strcmp (ev->kind, "encrypted") == 0)
    {
      gint64 bytes = ms_event_get_int (ev, "bytes", (gint64) ev->length);
      ms_narration_format_count ((guint64) MAX (bytes, 0), num, sizeof num);
      return ev->dir == MS_DIR_S2C
               ? g_strdup_printf (_("The server sends %s bytes that only the client can decrypt."), num)
               : g_strdup_printf (_("The client sends %s bytes that only the server can decrypt."), num);
    }
  if (strcmp (ev->kind, "alert") == 0 && ms_event_get_str (ev, "description"))
    return g_strdup_printf (_("%s sends a TLS alert: %s."), party (ev->dir),
                            ms_event_get_str (ev, "description"));
  if (strcmp (ev->kind, "alert") == 0)
    return g_strdup_printf (_("%s sends a TLS alert: something failed, or the session is ending."),
                            party (ev->dir));
  return g_strdup (_("The two sides continue the TLS handshake."));
}

static char *
narrate_credential (const MsEvent *ev)
{
  const MsField *f = ms_event_get (ev, "credential");
  const char *user = NULL, *mech = NULL;
  gboolean clear = FALSE;
  if (f && f->type == MS_VAL_NODE && f->v.node && JSON_NODE_HOLDS_OBJECT (f->v.node))
    {
      JsonObject *o = json_node_get_object (f->v.node);
      user = json_object_get_string_member_with_default (o, "user", NULL);
      mech = json_object_get_string_member_with_default (o, "mechanism", NULL);
      clear = json_object_get_boolean_member_with_default (o, "cleartext", FALSE);
    }
  if (user == NULL)
    user = "?";
  if (mech == NULL)
    mech = "?";
  if (clear)
    return g_strdup_printf (_("Credentials for “%s” (%s): the password can be read from the capture."),
                            user, mech);
  return g_strdup_printf (_("Credentials for “%s” (%s): the password itself is not readable."),
                          user, mech);
}

/* --- IMAP -------------------------------------------------------------- */

static char *
narrate_imap_command (const MsEvent *ev)
{
  const char *cmd = ms_event_get_str (ev, "command");
  g_autofree char *arg = first_arg (ev);
  const char *a = arg ? arg : "?";

  if (is (cmd, "CAPABILITY"))
    return g_strdup (_("The client asks what the server can do."));
  if (is (cmd, "ID"))
    return g_strdup (_("The client tells the server which program it is."));
  if (is (cmd, "ENABLE"))
    {
      const char *args = ms_event_get_str (ev, "args");
      return g_strdup_printf (_("The client switches on extensions: %s."), args ? args : "?");
    }
  if (is (cmd, "STARTTLS"))
    return g_strdup (_("The client asks to encrypt the connection from here on (STARTTLS)."));
  if (is (cmd, "LOGIN"))
    return g_strdup_printf (_("The client logs in as “%s”; the password crosses the wire in clear text."), a);
  if (is (cmd, "AUTHENTICATE"))
    return g_strdup_printf (_("The client starts logging in with the %s mechanism."), a);
  if (is (cmd, "SELECT"))
    return g_strdup_printf (_("The client opens the mailbox “%s”."), a);
  if (is (cmd, "EXAMINE"))
    return g_strdup_printf (_("The client opens the mailbox “%s” read-only."), a);
  if (is (cmd, "LIST") || is (cmd, "LSUB") || is (cmd, "XLIST"))
    return g_strdup (_("The client asks for the list of mailboxes."));
  if (is (cmd, "STATUS"))
    return g_strdup_printf (_("The client asks how many messages “%s” holds, without opening it."), a);
  if (is (cmd, "NAMESPACE"))
    return g_strdup (_("The client asks how mailbox names are organised."));
  if (is (cmd, "SEARCH") || is (cmd, "SORT") || is (cmd, "THREAD"))
    return g_strdup (_("The client asks the server to find messages for it."));
  if (is (cmd, "FETCH"))
    {
      if (ms_event_get_bool (ev, "moves_content"))
        return g_strdup_printf (_("The client downloads content of message(s) %s."), a);
      return g_strdup_printf (_("The client asks for details of message(s) %s, not their content."), a);
    }
  if (is (cmd, "IDLE"))
    return g_strdup (_("The client waits and lets the server push news (IDLE)."));
  if (is (cmd, "NOOP"))
    return g_strdup (_("The client checks in with the server; any news comes with the answer."));
  if (is (cmd, "CHECK"))
    return g_strdup (_("The client asks the server to save the mailbox's state."));
  if (is (cmd, "STORE"))
    return g_strdup_printf (_("The client changes flags of message(s) %s (%s)."), a, rest_args (ev));
  if (is (cmd, "COPY"))
    return g_strdup_printf (_("The client copies message(s) %s to another mailbox."), a);
  if (is (cmd, "MOVE"))
    return g_strdup_printf (_("The client moves message(s) %s to another mailbox."), a);
  if (is (cmd, "EXPUNGE"))
    return g_strdup (_("The client asks the server to erase the messages marked as deleted."));
  if (is (cmd, "APPEND"))
    return g_strdup_printf (_("The client uploads a message into “%s”."), a);
  if (is (cmd, "CREATE"))
    return g_strdup_printf (_("The client creates the mailbox “%s”."), a);
  if (is (cmd, "DELETE"))
    return g_strdup_printf (_("The client deletes the mailbox “%s”."), a);
  if (is (cmd, "RENAME"))
    return g_strdup_printf (_("The client renames the mailbox “%s”."), a);
  if (is (cmd, "SUBSCRIBE") || is (cmd, "UNSUBSCRIBE"))
    return g_strdup_printf (_("The client changes whether it follows the mailbox “%s”."), a);
  if (is (cmd, "CLOSE") || is (cmd, "UNSELECT"))
    return g_strdup (_("The client closes the mailbox it had open."));
  if (is (cmd, "LOGOUT"))
    return g_strdup (_("The client says goodbye (LOGOUT)."));
  return g_strdup_printf (_("The client sends the command %s."), cmd ? cmd : "?");
}

static char *
narrate_imap_untagged (const MsEvent *ev, const MsNarrationContext *ctx)
{
  const char *kind = ms_event_get_str (ev, "kind");
  gint64 number = ms_event_get_int (ev, "number", -1);
  char num[32];
  ms_narration_format_count ((guint64) MAX (number, 0), num, sizeof num);

  if (ms_event_get_bool (ev, "greeting"))
    {
      if (is (kind, "PREAUTH"))
        return g_strdup (_("The server greets the client, which is already logged in (PREAUTH)."));
      if (is (kind, "BYE"))
        return g_strdup (_("The server turns the client away at once."));
      return g_strdup (_("The server greets the client and says it is ready."));
    }
  if (is (kind, "CAPABILITY"))
    return g_strdup (_("The server lists what it can do."));
  if (is (kind, "LIST") || is (kind, "LSUB"))
    return g_strdup (_("The server names one mailbox."));
  if (is (kind, "STATUS"))
    return g_strdup (_("The server gives a mailbox's counters."));
  if (is (kind, "FLAGS"))
    return g_strdup (_("The server lists the flags this mailbox uses."));
  if (is (kind, "SEARCH"))
    return g_strdup (_("The server lists the messages that match."));
  if (is (kind, "EXISTS"))
    {
      gulong n = (gulong) MAX (number, 0);
      if (ctx->idle)
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "News: the mailbox now holds %s message.",
                                             "News: the mailbox now holds %s messages.", n),
                                num);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "The mailbox holds %s message.",
                                           "The mailbox holds %s messages.", n),
                              num);
    }
  if (is (kind, "RECENT"))
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "%s message arrived since the last visit.",
                                         "%s messages arrived since the last visit.",
                                         (gulong) MAX (number, 0)),
                            num);
  if (is (kind, "EXPUNGE"))
    return g_strdup_printf (_("Message %s has been erased."), num);
  if (is (kind, "FETCH"))
    {
      gint64 content = ms_event_get_int (ev, "content_bytes", -1);
      if (content > 0)
        {
          char bytes[32];
          ms_narration_format_count ((guint64) content, bytes, sizeof bytes);
          const char *section = ms_event_get_str (ev, "section_info");
          if (section)
            return g_strdup_printf (_("The server sends content of message %s: %s."), num, section);
          return g_strdup_printf (_("The server sends %s bytes of content of message %s."), bytes, num);
        }
      if (ctx->idle)
        return g_strdup_printf (_("News: message %s changed."), num);
      return g_strdup_printf (_("The server sends details of message %s."), num);
    }
  if (is (kind, "BYE"))
    return g_strdup (_("The server says goodbye and will close the connection."));
  if (is (kind, "OK") || is (kind, "NO") || is (kind, "BAD"))
    {
      const char *code = ms_event_get_str (ev, "code");
      if (code)
        return g_strdup_printf (_("The server adds a remark (%s)."), code);
      return g_strdup (_("The server adds a remark."));
    }
  return g_strdup_printf (_("The server sends %s data."), kind ? kind : "?");
}

static char *
narrate_imap_completion (const MsEvent *ev, MsStep step, const MsNarrationContext *ctx)
{
  const char *status = ms_event_get_str (ev, "status");
  const char *cmd = ctx->for_command;
  if (cmd == NULL)
    cmd = "?";
  if (step == MS_STEP_LOGIN)
    {
      if (is (status, "OK"))
        return g_strdup (_("The server accepts the login."));
      return g_strdup (_("The server refuses the login."));
    }
  if (is (cmd, "STARTTLS") && is (status, "OK"))
    return g_strdup (_("The server agrees: encryption starts now."));
  if (is (cmd, "IDLE") && is (status, "OK"))
    return g_strdup (_("The server ends IDLE."));
  if (is (status, "OK"))
    return g_strdup_printf (_("The server reports that %s is done."), cmd);
  if (is (status, "NO"))
    return g_strdup_printf (_("The server refuses %s."), cmd);
  return g_strdup_printf (_("The server rejects %s as not understood (BAD)."), cmd);
}

static char *
narrate_imap (const MsEvent *ev, MsStep step, const MsNarrationContext *ctx)
{
  const char *kind = ev->kind;
  if (strcmp (kind, "command") == 0)
    return narrate_imap_command (ev);
  if (strcmp (kind, "idle-done") == 0)
    return g_strdup (_("The client ends IDLE (DONE)."));
  if (strcmp (kind, "sasl") == 0)
    return g_strdup (_("The client answers the server's login challenge."));
  if (strcmp (kind, "literal") == 0)
    return g_strdup (_("The client sends data belonging to an earlier line."));
  if (strcmp (kind, "completion") == 0)
    return narrate_imap_completion (ev, step, ctx);
  if (strcmp (kind, "untagged") == 0)
    return narrate_imap_untagged (ev, ctx);
  if (strcmp (kind, "continuation") == 0)
    {
      if (step == MS_STEP_REFRESH)
        return g_strdup (_("The server confirms it is waiting and will push news."));
      if (step == MS_STEP_LOGIN)
        return g_strdup (_("The server sends a login challenge."));
      return g_strdup (_("The server says: go ahead, send the rest."));
    }
  return g_strdup_printf (_("%s sends bytes that are not a whole line."), party (ev->dir));
}

/* --- POP3 -------------------------------------------------------------- */

static char *
narrate_pop3_command (const MsEvent *ev)
{
  const char *cmd = ms_event_get_str (ev, "command");
  g_autofree char *arg = first_arg (ev);
  const char *a = arg ? arg : "?";

  if (is (cmd, "CAPA"))
    return g_strdup (_("The client asks what the server can do."));
  if (is (cmd, "STLS"))
    return g_strdup (_("The client asks to encrypt the connection from here on (STLS)."));
  if (is (cmd, "USER"))
    return g_strdup_printf (_("The client gives the user name “%s”."), a);
  if (is (cmd, "PASS"))
    return g_strdup (_("The client sends the password in clear text."));
  if (is (cmd, "APOP"))
    return g_strdup_printf (_("The client logs in as “%s” with APOP: only a digest of the password is sent."), a);
  if (is (cmd, "AUTH"))
    {
      if (arg == NULL)
        return g_strdup (_("The client asks which login mechanisms the server offers."));
      return g_strdup_printf (_("The client starts logging in with the %s mechanism."), a);
    }
  if (is (cmd, "STAT"))
    return g_strdup (_("The client asks how many messages wait and how big they are."));
  if (is (cmd, "LIST"))
    {
      if (arg)
        return g_strdup_printf (_("The client asks for the size of message %s."), a);
      return g_strdup (_("The client asks for the size of every message."));
    }
  if (is (cmd, "UIDL"))
    return g_strdup (_("The client asks for each message's permanent id."));
  if (is (cmd, "RETR"))
    return g_strdup_printf (_("The client downloads message %s in full."), a);
  if (is (cmd, "TOP"))
    return g_strdup_printf (_("The client downloads the header of message %s (and %s lines of its body)."),
                            a, rest_args (ev)[0] ? rest_args (ev) : "0");
  if (is (cmd, "NOOP"))
    return g_strdup (_("The client checks that the server is still there (NOOP)."));
  if (is (cmd, "DELE"))
    return g_strdup_printf (_("The client marks message %s for deletion."), a);
  if (is (cmd, "RSET"))
    return g_strdup (_("The client takes back its deletion marks."));
  if (is (cmd, "QUIT"))
    return g_strdup (_("The client says goodbye (QUIT); marked messages are deleted now."));
  return g_strdup_printf (_("The client sends the command %s."), cmd ? cmd : "?");
}

static char *
narrate_pop3_response (const MsEvent *ev, MsStep step, const MsNarrationContext *ctx)
{
  gboolean ok = g_strcmp0 (ms_event_get_str (ev, "status"), "+OK") == 0;
  const char *cmd = ctx->for_command;
  char num[32];

  if (ms_event_get_bool (ev, "greeting"))
    {
      if (!ok)
        return g_strdup (_("The server turns the client away at once."));
      return g_strdup (_("The server greets the client and says it is ready."));
    }
  if (!ok)
    {
      if (step == MS_STEP_LOGIN)
        return g_strdup (_("The server refuses the login."));
      return g_strdup_printf (_("The server refuses %s."), cmd ? cmd : "?");
    }
  if (is (cmd, "PASS") || is (cmd, "APOP") || (is (cmd, "AUTH") && step == MS_STEP_LOGIN
                                              && !ms_event_has (ev, "lines")))
    return g_strdup (_("The server accepts the login."));
  if (is (cmd, "USER"))
    return g_strdup (_("The server takes the user name and waits for the password."));
  if (is (cmd, "STLS"))
    return g_strdup (_("The server agrees: encryption starts now."));
  if (is (cmd, "RETR") || is (cmd, "TOP"))
    {
      gint64 content = ms_event_get_int (ev, "content_bytes", ms_event_get_int (ev, "octets", 0));
      ms_narration_format_count ((guint64) MAX (content, 0), num, sizeof num);
      return g_strdup_printf (_("The server sends the message: %s bytes."), num);
    }
  if (is (cmd, "STAT"))
    {
      gint64 count = ms_event_get_int (ev, "maildrop_count", -1);
      gint64 octets = ms_event_get_int (ev, "maildrop_octets", -1);
      if (count >= 0 && octets >= 0)
        {
          char bytes[32];
          ms_narration_format_count ((guint64) count, num, sizeof num);
          ms_narration_format_count ((guint64) octets, bytes, sizeof bytes);
          return g_strdup_printf (_("The server reports %s messages, %s bytes in all."), num, bytes);
        }
      return g_strdup (_("The server reports how many messages wait."));
    }
  if ((is (cmd, "LIST") || is (cmd, "UIDL")) && ms_event_has (ev, "lines"))
    {
      gint64 lines = ms_event_get_int (ev, "lines", 0);
      ms_narration_format_count ((guint64) MAX (lines, 0), num, sizeof num);
      return g_strdup_printf (_("The server sends a list of %s lines."), num);
    }
  if (is (cmd, "CAPA"))
    return g_strdup (_("The server lists what it can do."));
  if (is (cmd, "DELE"))
    return g_strdup (_("The server marks the message; it goes away at QUIT."));
  if (is (cmd, "QUIT"))
    return g_strdup (_("The server says goodbye."));
  return g_strdup_printf (_("The server agrees (%s)."), cmd ? cmd : "+OK");
}

static char *
narrate_pop3 (const MsEvent *ev, MsStep step, const MsNarrationContext *ctx)
{
  if (strcmp (ev->kind, "command") == 0)
    return narrate_pop3_command (ev);
  if (strcmp (ev->kind, "response") == 0)
    return narrate_pop3_response (ev, step, ctx);
  if (strcmp (ev->kind, "sasl") == 0)
    return g_strdup (_("The client answers the server's login challenge."));
  if (strcmp (ev->kind, "continuation") == 0)
    return g_strdup (_("The server sends a login challenge."));
  return g_strdup_printf (_("%s sends bytes that are not a whole line."), party (ev->dir));
}

/* --- entry points ------------------------------------------------------ */

char *
ms_narration_summary (const MsEvent *ev, MsStep step, const MsNarrationContext *ctx)
{
  const char *kind = ev->kind ? ev->kind : "";
  if (strcmp (kind, "credential") == 0)
    return narrate_credential (ev);
  if (strcmp (kind, "gap") == 0)
    return narrate_tcp (ev);
  switch (ev->proto)
    {
    case MS_PROTO_TCP:
      return narrate_tcp (ev);
    case MS_PROTO_DNS:
      return narrate_dns (ev);
    case MS_PROTO_TLS:
      return narrate_tls (ev);
    case MS_PROTO_IMAP:
      return narrate_imap (ev, step, ctx);
    case MS_PROTO_POP3:
      return narrate_pop3 (ev, step, ctx);
    case MS_PROTO_NONE:
    case MS_PROTO_N:
    default:
      return g_strdup_printf (_("%s sends data."), party (ev->dir));
    }
}

const char *
ms_narration_note (MsNoteKind kind)
{
  switch (kind)
    {
    case MS_NOTE_CLEARTEXT_PASSWORD:
      return _("Anyone who can capture this traffic can read the password. Use TLS (port 993/995, or STARTTLS/STLS first).");
    case MS_NOTE_SYNC_LITERAL:
      return _("A synchronising literal: the client had to stop and wait for this go-ahead before sending the data, which costs one extra round trip.");
    case MS_NOTE_IDLE_PUSH:
      return _("The server pushed this without being asked: that is what IDLE is for.");
    case MS_NOTE_TLS_BEGAN:
      return _("TLS begins here: everything that follows is encrypted, and a capture shows only sizes and timing.");
    case MS_NOTE_BYTES_MISSING:
      return _("Bytes are missing from the capture here; decoding resumes at the next line it can read.");
    case MS_NOTE_TRUNCATED:
      return _("The capture ends before this item was complete.");
    case MS_NOTE_MALFORMED:
      return _("These bytes break the protocol's grammar.");
    case MS_NOTE_POP3_WHOLE_MESSAGE:
      return _("POP3 has no partial fetch: RETR moves the whole message, attachments included.");
    case MS_NOTE_ATTACHMENT_SKIPPED:
    default:
      return _("The message structure showed an attachment that was never downloaded: IMAP lets a client fetch only the parts it needs.");
    }
}

/* --- steps ------------------------------------------------------------- */

const char *
ms_lesson_step_title (MsStep step)
{
  switch (step)
    {
    case MS_STEP_DNS:
      return _("Find the server (DNS)");
    case MS_STEP_CONNECT:
      return _("Connect (TCP handshake)");
    case MS_STEP_GREETING:
      return _("Greeting");
    case MS_STEP_NEGOTIATE:
      return _("Negotiate capabilities");
    case MS_STEP_TLS:
      return _("Encryption (TLS)");
    case MS_STEP_LOGIN:
      return _("Log in");
    case MS_STEP_LIST:
      return _("List the mailbox");
    case MS_STEP_FETCH:
      return _("Fetch content");
    case MS_STEP_REFRESH:
      return _("Stay up to date");
    case MS_STEP_UPDATE:
      return _("Change the mailbox");
    case MS_STEP_LOGOUT:
      return _("Log out");
    case MS_STEP_CLOSE:
      return _("Close the connection");
    case MS_STEP_NONE:
    case MS_STEP_N:
    default:
      return _("Other traffic");
    }
}

const char *
ms_lesson_step_explanation (MsStep step, MsProto proto)
{
  gboolean pop = proto == MS_PROTO_POP3;
  switch (step)
    {
    case MS_STEP_DNS:
      return _("The mail program knows the server only by name, such as imap.example.org. Before it can connect it asks a DNS resolver for the server's IP address; SRV records can even tell it which server and port to use.");
    case MS_STEP_CONNECT:
      return pop
        ? _("The client opens a TCP connection to the POP3 server, port 110 (or 995 when TLS starts at once). Three packets, SYN, SYN-ACK and ACK, set it up before any mail command can travel.")
        : _("The client opens a TCP connection to the IMAP server, port 143 (or 993 when TLS starts at once). Three packets, SYN, SYN-ACK and ACK, set it up before any mail command can travel.");
    case MS_STEP_GREETING:
      return pop
        ? _("A POP3 server speaks first: a line starting with +OK says it is ready. A string in angle brackets in it means the server accepts APOP logins.")
        : _("An IMAP server speaks first: an untagged OK line says it is ready and waits for a login, while PREAUTH means the client is already known and logged in.");
    case MS_STEP_NEGOTIATE:
      return pop
        ? _("With CAPA the client learns which extensions the server supports, such as STLS, TOP, UIDL or SASL. STLS turns the plain connection into an encrypted one before the password is sent.")
        : _("With CAPABILITY the client learns which extensions the server supports, such as IDLE or STARTTLS; ID and ENABLE tune the session. STARTTLS turns the plain connection into an encrypted one before the password is sent.");
    case MS_STEP_TLS:
      return _("Client and server agree on keys with the TLS handshake. From then on every record is encrypted: an observer still sees how many bytes flow and when, but no longer what they say.");
    case MS_STEP_LOGIN:
      return pop
        ? _("POP3 logs in with USER and PASS, with APOP (a digest instead of the password) or with AUTH and a SASL mechanism. USER/PASS without TLS sends the password as readable text.")
        : _("IMAP logs in with LOGIN (user name and password on one line) or with AUTHENTICATE and a SASL mechanism. Without TLS, LOGIN and PLAIN send the password in a form anyone can read.");
    case MS_STEP_LIST:
      return pop
        ? _("POP3 has a single mailbox. STAT tells how many messages wait and their total size; LIST gives each message's size and UIDL its permanent id, so the client can tell which messages it has already downloaded.")
        : _("The client learns which mailboxes exist (LIST), opens one (SELECT) and asks for message summaries: flags, envelope, structure and size. This is how the message list appears before any message body is downloaded.");
    case MS_STEP_FETCH:
      return pop
        ? _("RETR downloads a whole message, attachments included; TOP downloads only its header and the first lines. POP3 cannot ask for a single part of a message.")
        : _("FETCH with BODY[…] downloads content, and can ask for just one part or just a range of bytes. A client can show a message's text and leave a large attachment on the server until the user opens it.");
    case MS_STEP_REFRESH:
      return pop
        ? _("A POP3 session sees the mailbox as it was at login; NOOP only keeps the connection alive. To learn about new mail the client has to log out and come back later.")
        : _("IMAP keeps the client informed while the connection stays open: after IDLE the server pushes news (new mail, deleted messages) as it happens; without IDLE the client polls with NOOP, CHECK or STATUS.");
    case MS_STEP_UPDATE:
      return pop
        ? _("DELE marks a message for deletion and RSET takes the marks back; the messages really disappear only when the client QUITs.")
        : _("Changes happen on the server, so every client of the same account sees them: STORE sets flags such as \\Seen or \\Deleted, COPY/MOVE file messages, EXPUNGE erases, APPEND uploads and CREATE/DELETE/RENAME manage mailboxes.");
    case MS_STEP_LOGOUT:
      return pop
        ? _("QUIT ends the session; this is when the server deletes the messages marked with DELE.")
        : _("LOGOUT ends the session; the server answers with an untagged BYE and then OK.");
    case MS_STEP_CLOSE:
      return _("Each side sends a FIN to close its half of the TCP connection (or an RST to abort it). After that the conversation is over.");
    case MS_STEP_NONE:
    case MS_STEP_N:
    default:
      return _("Traffic that belongs to no step of the lesson.");
    }
}

const char *
ms_lesson_proto_title (MsProto proto)
{
  switch (proto)
    {
    case MS_PROTO_IMAP:
      return "IMAP";
    case MS_PROTO_POP3:
      return "POP3";
    case MS_PROTO_DNS:
      return "DNS";
    case MS_PROTO_TLS:
      return "TLS";
    case MS_PROTO_TCP:
      return "TCP";
    case MS_PROTO_NONE:
    case MS_PROTO_N:
    default:
      return _("unknown protocol");
    }
}
