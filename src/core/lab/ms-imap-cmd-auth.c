/* ms-imap-cmd-auth.c - IMAP commands of any state and of the not
 * authenticated state (RFC 3501 §6.1-6.2): CAPABILITY, NOOP, LOGOUT,
 * STARTTLS, LOGIN, AUTHENTICATE PLAIN (RFC 4616, SASL-IR RFC 4959), and the
 * small extensions ID (RFC 2971), ENABLE (RFC 5161), NAMESPACE (RFC 2342). */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "ms-imap-server-private.h"

void
ms_imap_cmd_capability (ImapSession *s, ImapCmd *cmd)
{
  g_autofree char *caps = ms_imap_capability (s);
  ms_imap_untagged (s, "CAPABILITY %s", caps);
  ms_imap_tagged (s, cmd, "OK", "%s", _("CAPABILITY completed"));
}

void
ms_imap_cmd_noop (ImapSession *s, ImapCmd *cmd)
{
  /* Deliveries by other processes are found now even if the file monitor
   * has not spoken yet. */
  if (s->box)
    ms_hub_box_refresh (s->box);
  ms_imap_tagged (s, cmd, "OK", "%s", _("NOOP completed"));
}

void
ms_imap_cmd_logout (ImapSession *s, ImapCmd *cmd)
{
  ms_imap_untagged (s, "BYE %s", _("Mailscope IMAP lab logging out"));
  ms_imap_deselect (s);
  ms_imap_tagged (s, cmd, "OK", "%s", _("LOGOUT completed"));
  ms_imap_close (s);
}

void
ms_imap_cmd_starttls (ImapSession *s, ImapCmd *cmd)
{
  if (ms_lab_conn_is_tls (s->conn))
    {
      ms_imap_bad (s, cmd, _("TLS is already active"));
      return;
    }
  if (!ms_lab_conn_tls_available (s->conn))
    {
      ms_imap_tagged (s, cmd, "NO", "%s", _("this server has no certificate"));
      return;
    }
  ms_imap_tagged (s, cmd, "OK", "%s", _("Begin TLS negotiation now"));
  /* Bytes pipelined after STARTTLS came in clear text: they must not be
   * taken as if they had been protected (command injection). */
  g_byte_array_set_size (s->inbuf, 0);
  GError *error = NULL;
  if (!ms_lab_conn_start_tls (s->conn, &error))
    {
      ms_lab_server_log (s->srv, "imap", s->conn, '-', "STARTTLS failed: %s", error->message);
      g_error_free (error);
      ms_imap_close (s);
    }
}

static void
login_ok (ImapSession *s, ImapCmd *cmd, const char *user)
{
  GError *error = NULL;
  MsMaildir *md = ms_lab_server_maildir (s->srv, user, &error);
  if (md == NULL)
    {
      ms_imap_tagged (s, cmd, "NO", "[UNAVAILABLE] %s", error->message);
      g_error_free (error);
      return;
    }
  s->md = md;
  s->user = g_strdup (user);
  s->state = IMAP_ST_AUTH;
  ms_lab_server_authenticated (s->srv, s->conn);
  ms_lab_server_log (s->srv, "imap", s->conn, '-', "logged in as %s", user);
  g_autofree char *caps = ms_imap_capability (s);
  ms_imap_tagged (s, cmd, "OK", "[CAPABILITY %s] %s", caps, _("Logged in"));
}

static void
login_failed (ImapSession *s, const char *tag)
{
  ms_lab_server_log (s->srv, "imap", s->conn, '-', "login failed");
  ms_imap_delay_reply (s, g_strdup_printf ("%s NO [AUTHENTICATIONFAILED] %s\r\n", tag,
                                           _("wrong user name or password")));
}

/* FALSE (after answering) when a password may not cross this connection. */
static gboolean
plaintext_allowed (ImapSession *s, ImapCmd *cmd)
{
  const char *why = NULL;
  if (ms_lab_server_plaintext_ok (s->srv, s->conn, &why))
    return TRUE;
  ms_imap_tagged (s, cmd, "NO", "[PRIVACYREQUIRED] %s", why);
  return FALSE;
}

void
ms_imap_cmd_login (ImapSession *s, ImapCmd *cmd)
{
  const char *user = ms_imap_arg_astring (ms_imap_arg (cmd, 0));
  const char *pass = ms_imap_arg_astring (ms_imap_arg (cmd, 1));
  if (user == NULL || pass == NULL || cmd->args->len != 2)
    {
      ms_imap_bad (s, cmd, _("LOGIN needs a user name and a password"));
      return;
    }
  if (!plaintext_allowed (s, cmd))
    return;
  if (ms_lab_server_check_password (s->srv, user, pass))
    login_ok (s, cmd, user);
  else
    login_failed (s, cmd->tag);
}

/* SASL PLAIN (RFC 4616): authzid NUL authcid NUL password, base64. */
static void
sasl_plain (ImapSession *s, ImapCmd *cmd, const char *b64)
{
  gsize len = 0;
  g_autofree guchar *raw = strcmp (b64, "=") == 0 ? g_malloc0 (1) : g_base64_decode (b64, &len);
  const guchar *nul1 = raw ? memchr (raw, 0, len) : NULL;
  const guchar *nul2 = nul1 ? memchr (nul1 + 1, 0, len - (gsize) (nul1 + 1 - raw)) : NULL;
  if (nul2 == NULL)
    {
      ms_imap_bad (s, cmd, _("malformed SASL PLAIN response"));
      return;
    }
  g_autofree char *authz = g_strndup ((const char *) raw, (gsize) (nul1 - raw));
  g_autofree char *user = g_strndup ((const char *) nul1 + 1, (gsize) (nul2 - nul1 - 1));
  g_autofree char *pass = g_strndup ((const char *) nul2 + 1, len - (gsize) (nul2 + 1 - raw));
  if (*authz && strcmp (authz, user) != 0)
    {
      login_failed (s, cmd->tag);
      return;
    }
  if (ms_lab_server_check_password (s->srv, user, pass))
    login_ok (s, cmd, user);
  else
    login_failed (s, cmd->tag);
}

void
ms_imap_cmd_authenticate (ImapSession *s, ImapCmd *cmd)
{
  const char *mech = ms_imap_arg_astring (ms_imap_arg (cmd, 0));
  if (mech == NULL || cmd->args->len > 2)
    {
      ms_imap_bad (s, cmd, _("AUTHENTICATE needs a mechanism"));
      return;
    }
  if (g_ascii_strcasecmp (mech, "PLAIN") != 0)
    {
      ms_imap_tagged (s, cmd, "NO", "%s", _("only the PLAIN mechanism is offered"));
      return;
    }
  if (!plaintext_allowed (s, cmd))
    return;
  const char *initial = ms_imap_arg_astring (ms_imap_arg (cmd, 1));
  if (initial)
    {
      sasl_plain (s, cmd, initial);
      return;
    }
  s->sasl_tag = g_strdup (cmd->tag);
  ms_lab_server_log (s->srv, "imap", s->conn, 'S', "+ ");
  ms_imap_send (s, "+ \r\n", 4);
}

void
ms_imap_auth_continue (ImapSession *s, const char *line)
{
  g_autofree char *tag = g_steal_pointer (&s->sasl_tag);
  ImapCmd cmd = { .tag = tag, .name = (char *) "AUTHENTICATE" };
  ms_lab_server_log (s->srv, "imap", s->conn, 'C', "****");
  if (strcmp (line, "*") == 0)
    ms_imap_tagged (s, &cmd, "BAD", "%s", _("authentication cancelled"));
  else
    sasl_plain (s, &cmd, line);
}

void
ms_imap_cmd_enable (ImapSession *s, ImapCmd *cmd)
{
  if (cmd->args->len == 0)
    {
      ms_imap_bad (s, cmd, _("ENABLE needs capability names"));
      return;
    }
  /* No capability here changes behaviour when enabled (RFC 5161 §3.1):
   * the answer lists none. */
  ms_imap_untagged (s, "ENABLED");
  ms_imap_tagged (s, cmd, "OK", "%s", _("ENABLE completed"));
}

void
ms_imap_cmd_id (ImapSession *s, ImapCmd *cmd)
{
  ms_imap_untagged (s, "ID (\"name\" \"Mailscope lab\" \"vendor\" \"Mailscope\")");
  ms_imap_tagged (s, cmd, "OK", "%s", _("ID completed"));
}

void
ms_imap_cmd_namespace (ImapSession *s, ImapCmd *cmd)
{
  ms_imap_untagged (s, "NAMESPACE ((\"\" \".\")) NIL NIL");
  ms_imap_tagged (s, cmd, "OK", "%s", _("NAMESPACE completed"));
}
