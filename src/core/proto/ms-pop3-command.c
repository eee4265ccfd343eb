/* ms-pop3-command.c - POP3 client lines: commands (RFC 1939, RFC 2449),
 * queued for pairing with their responses, and the credentials they carry
 * (USER/PASS, APOP; RFC 5034 AUTH with PLAIN RFC 4616, LOGIN, CRAM-MD5
 * RFC 2195, XOAUTH2 and OAUTHBEARER RFC 7628). */
#include "config.h"

#include <string.h>

#include "ms-pop3-private.h"

/* User name remembered between USER and PASS (or AUTH LOGIN steps). */
#define MS_POP3_MAX_USER 256

/* --- small helpers ------------------------------------------------------ */

/* Marks ev as carrying a secret, in the form its text shows it (never cut,
 * so that masking finds every byte of it). */
static void
add_secret (MsEvent *ev, const guint8 *p, gsize len)
{
  char *t = ms_pop3_text_cap (p, len, G_MAXSIZE);
  if (t[0])
    ms_event_add_str (ev, "secret", t);
  g_free (t);
  ev->flags |= MS_EVENT_SECRET;
}

static gboolean
is_verb_char (guint8 c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_';
}

/* --- credentials ------------------------------------------------------- */

/* Base64 text to bytes; NULL when it is not base64 (RFC 4648). */
static guint8 *
b64_decode (const guint8 *text, gsize len, gsize *out_len)
{
  if (len == 0 || len % 4 != 0)
    return NULL;
  for (gsize i = 0; i < len; i++)
    {
      guint8 c = text[i];
      if (!(g_ascii_isalnum (c) || c == '+' || c == '/' || (c == '=' && i >= len - 2)))
        return NULL;
    }
  char *z = g_strndup ((const char *) text, len);
  guint8 *out = g_base64_decode (z, out_len);
  g_free (z);
  return out;
}


/* A credential event (events.md, "Credentials"), not yet emitted; the
 * caller emits it after the command that carried it. */
static MsEvent *
credential_new (guint64 off, guint64 len, const char *mechanism,
                const guint8 *user, gsize user_len, gboolean has_user,
                const guint8 *password, gsize password_len, gboolean has_password,
                gboolean cleartext)
{
  MsEvent *ev = ms_event_new (MS_PROTO_POP3, MS_DIR_C2S, "credential");
  JsonObject *o = json_object_new ();
  g_autofree char *u = has_user ? ms_pop3_info_text (user, user_len) : NULL;

  ms_event_set_range (ev, off, len);
  ev->flags |= MS_EVENT_WARNING;
  if (u)
    json_object_set_string_member (o, "user", u);
  json_object_set_string_member (o, "mechanism", mechanism);
  json_object_set_boolean_member (o, "cleartext", cleartext);
  if (has_password)
    {
      g_autofree char *pw = ms_pop3_text_cap (password, password_len, G_MAXSIZE);
      add_secret (ev, password, password_len);
      json_object_set_string_member (o, "password", pw);
    }
  JsonNode *n = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (n, o);
  ms_event_add_node (ev, "credential", n);
  ms_event_set_infof (ev, "%s %s", mechanism, u ? u : "");
  return ev;
}

/* RFC 4616: [authzid] NUL authcid NUL passwd. NULL when not that shape. */
static MsEvent *
credential_plain (const guint8 *b64, gsize len, guint64 off, guint64 span)
{
  gsize n = 0;
  g_autofree guint8 *raw = b64_decode (b64, len, &n);
  if (raw == NULL)
    return NULL;
  const guint8 *nul1 = memchr (raw, 0, n);
  if (nul1 == NULL)
    return NULL;
  const guint8 *user = nul1 + 1;
  const guint8 *nul2 = memchr (user, 0, n - (gsize) (user - raw));
  if (nul2 == NULL)
    return NULL;
  const guint8 *pw = nul2 + 1;
  return credential_new (off, span, "PLAIN", user, (gsize) (nul2 - user), TRUE,
                         pw, n - (gsize) (pw - raw), TRUE, TRUE);
}

/* Google's XOAUTH2 ("user=" U ^A "auth=Bearer " TOKEN ^A ^A) and RFC 7628
 * OAUTHBEARER ("n,a=" U "," ^A "auth=Bearer " TOKEN ^A ^A). The token is
 * as good as a password for its lifetime. NULL when not that shape. */
static MsEvent *
credential_oauth (const char *mech, const guint8 *b64, gsize len, guint64 off, guint64 span)
{
  gsize n = 0;
  g_autofree guint8 *raw = b64_decode (b64, len, &n);
  const guint8 *user = NULL, *tok = NULL;
  gsize user_len = 0, tok_len = 0;
  if (raw == NULL)
    return NULL;
  for (gsize i = 0; i < n;)
    {
      const guint8 *f = raw + i;
      const guint8 *e = memchr (f, 0x01, n - i);
      gsize flen = e ? (gsize) (e - f) : n - i;
      if (flen > 5 && memcmp (f, "user=", 5) == 0)
        {
          user = f + 5;
          user_len = flen - 5;
        }
      else if (i == 0 && flen >= 2 && f[1] == ',')
        {
          /* gs2-header (RFC 5801): "n,a=user," */
          for (gsize k = 1; k + 3 <= flen && user == NULL; k++)
            if (f[k] == ',' && f[k + 1] == 'a' && f[k + 2] == '=')
              {
                user = f + k + 3;
                while (k + 3 + user_len < flen && user[user_len] != ',')
                  user_len++;
              }
        }
      else if (flen > 12 && g_ascii_strncasecmp ((const char *) f, "auth=Bearer ", 12) == 0)
        {
          tok = f + 12;
          tok_len = flen - 12;
        }
      i += flen + 1;
    }
  if (user == NULL && tok == NULL)
    return NULL;
  return credential_new (off, span, mech, user, user_len, user != NULL,
                         tok, tok_len, tok != NULL, TRUE);
}

/* RFC 2195 CRAM-MD5: base64 of "user hexdigest"; proves the password
 * without sending it. NULL when not that shape. */
static MsEvent *
credential_cram (const guint8 *b64, gsize len, guint64 off, guint64 span)
{
  gsize n = 0;
  g_autofree guint8 *raw = b64_decode (b64, len, &n);
  const guint8 *sp = raw ? memchr (raw, ' ', n) : NULL;
  if (sp == NULL)
    return NULL;
  return credential_new (off, span, "CRAM-MD5", raw, (gsize) (sp - raw), TRUE,
                         NULL, 0, FALSE, FALSE);
}

/* The meaning of one SASL message (an initial response or a line answering
 * "+ "): marks ev secret when the text holds one, flags it malformed when
 * it does not decode, and returns a credential event or NULL. */
static MsEvent *
sasl_message (MsPop3 *p, MsEvent *ev, const guint8 *text, gsize len,
              guint64 off, guint64 span)
{
  guint step = p->sasl_step++;
  MsEvent *cred = NULL;

  if (len == 1 && text[0] == '=')
    return NULL;  /* RFC 5034: an empty initial response */
  switch (p->sasl_mech)
    {
    case SASL_PLAIN:
    case SASL_XOAUTH2:
    case SASL_OAUTHBEARER:
      if (step != 0)
        break;
      add_secret (ev, text, len);
      if (p->sasl_mech == SASL_PLAIN)
        cred = credential_plain (text, len, off, span);
      else
        cred = credential_oauth (p->sasl_mech == SASL_XOAUTH2 ? "XOAUTH2" : "OAUTHBEARER",
                                 text, len, off, span);
      if (cred == NULL)
        ev->flags |= MS_EVENT_MALFORMED;
      break;
    case SASL_CRAM_MD5:
      /* The first client message answers the server's challenge. */
      if (step == 0 && (cred = credential_cram (text, len, off, span)) == NULL)
        ev->flags |= MS_EVENT_MALFORMED;
      break;
    case SASL_LOGIN:
      {
        /* draft-murchison-sasl-login: the user name, then the password. */
        gsize n = 0;
        g_autofree guint8 *raw = b64_decode (text, len, &n);
        if (raw == NULL)
          {
            ev->flags |= MS_EVENT_MALFORMED;
            break;
          }
        if (step == 0)
          {
            g_free (p->user);
            p->user = ms_pop3_info_text (raw, MIN (n, (gsize) MS_POP3_MAX_USER));
          }
        else if (step == 1)
          {
            add_secret (ev, text, len);
            cred = credential_new (off, span, "LOGIN", (const guint8 *) p->user,
                                   p->user ? strlen (p->user) : 0, p->user != NULL,
                                   raw, n, TRUE, TRUE);
          }
      }
      break;
    case SASL_NONE:
    case SASL_OTHER:
    default:
      break;
    }
  return cred;
}

static SaslMech
sasl_mech_from (const guint8 *m, gsize len)
{
  if (len == 5 && g_ascii_strncasecmp ((const char *) m, "PLAIN", 5) == 0)
    return SASL_PLAIN;
  if (len == 5 && g_ascii_strncasecmp ((const char *) m, "LOGIN", 5) == 0)
    return SASL_LOGIN;
  if (len == 7 && g_ascii_strncasecmp ((const char *) m, "XOAUTH2", 7) == 0)
    return SASL_XOAUTH2;
  if (len == 11 && g_ascii_strncasecmp ((const char *) m, "OAUTHBEARER", 11) == 0)
    return SASL_OAUTHBEARER;
  if (len == 8 && g_ascii_strncasecmp ((const char *) m, "CRAM-MD5", 8) == 0)
    return SASL_CRAM_MD5;
  return SASL_OTHER;
}

/* Emits ev, then cred when there is one. */
static void
emit_pair (MsPop3 *p, MsEvent *ev, MsEvent *cred)
{
  emit (p, ev);
  if (cred)
    emit (p, cred);
}

/* --- client lines ------------------------------------------------------- */

/* A client line answering an AUTH challenge (RFC 5034 section 4): not a
 * command, so it is neither queued nor named as one. */
void
ms_pop3_client_sasl_line (MsPop3 *p, const guint8 *t, gsize len, guint64 off, guint64 span,
                          guint flags)
{
  MsEvent *ev = ms_pop3_new_event (p, MS_DIR_C2S, "sasl", off, span);
  MsEvent *cred = NULL;

  ev->flags |= flags;
  /* Not cut: the line may be a secret, and masking must find all of it. */
  ms_event_take_info (ev, ms_pop3_text_cap (t, len, G_MAXSIZE));
  ms_event_add_bool (ev, "sasl", TRUE);
  if (len == 1 && t[0] == '*')
    ms_event_add_bool (ev, "cancel", TRUE);
  else
    cred = sasl_message (p, ev, t, len, off, span);
  emit_pair (p, ev, cred);
}

/* One client command line (without its line end; `span` covers the line
 * end too). Queues it for pairing and emits it with any credential. */
void
ms_pop3_client_command_line (MsPop3 *p, const guint8 *t, gsize len, guint64 off, guint64 span,
                             guint flags)
{
  char verb[MS_POP3_MAX_VERB + 1];
  gsize vlen = 0;
  gboolean valid = TRUE;
  MsEvent *cred = NULL;

  while (vlen < len && t[vlen] != ' ')
    vlen++;
  if (vlen == 0 || vlen > MS_POP3_MAX_VERB)
    valid = FALSE;
  for (gsize i = 0; valid && i < vlen; i++)
    if (!is_verb_char (t[i]))
      valid = FALSE;
  if (valid)
    {
      for (gsize i = 0; i < vlen; i++)
        verb[i] = g_ascii_toupper (t[i]);
      verb[vlen] = '\0';
    }
  else
    {
      /* 4 characters of at most 3 bytes, and "…", fit the verb buffer. */
      g_autofree char *v = ms_pop3_text_cap (t, vlen, 4);
      g_strlcpy (verb, v, sizeof verb);
    }

  const guint8 *args = vlen < len ? t + vlen + 1 : NULL;
  gsize alen = args ? len - vlen - 1 : 0;

  /* Lines that may carry a secret are never cut, so masking finds it all. */
  gboolean secretive = valid && alen
                       && (strcmp (verb, "PASS") == 0 || strcmp (verb, "AUTH") == 0);
  gsize cap = secretive ? G_MAXSIZE : MS_POP3_MAX_INFO;

  MsEvent *ev = ms_pop3_new_event (p, MS_DIR_C2S, "command", off, span);
  ev->flags |= flags;
  if (!valid)
    ev->flags |= MS_EVENT_MALFORMED;
  ms_event_take_info (ev, ms_pop3_text_cap (t, len, cap));
  MsField *f = ms_event_add_str (ev, "command", verb);
  f->off = off;
  f->len = MIN (vlen, (gsize) MS_POP3_MAX_VERB);
  if (args)
    {
      g_autofree char *a = ms_pop3_text_cap (args, alen, cap);
      f = ms_event_add_str (ev, "args", a);
      f->off = off + vlen + 1;
      f->len = alen;
    }
  p->any_command = TRUE;
  Pending *queued = NULL;
  if (ms_pop3_pending_push (p, verb, alen > 0, FALSE, off))
    queued = &p->pending[(p->p_head + p->p_count - 1) % MS_POP3_MAX_PENDING];
  else
    ev->flags |= MS_EVENT_WARNING;

  if (!valid)
    {
      /* Garbage is still queued: the server will answer it with -ERR. */
    }
  else if (strcmp (verb, "USER") == 0 && alen)
    {
      g_free (p->user);
      p->user = ms_pop3_info_text (args, MIN (alen, (gsize) MS_POP3_MAX_USER));
    }
  else if (strcmp (verb, "PASS") == 0)
    {
      add_secret (ev, args ? args : (const guint8 *) "", alen);
      cred = credential_new (off, span, "USER/PASS", (const guint8 *) p->user,
                             p->user ? strlen (p->user) : 0, p->user != NULL,
                             args ? args : (const guint8 *) "", alen, TRUE, TRUE);
    }
  else if (strcmp (verb, "APOP") == 0 && alen)
    {
      /* RFC 1939: "APOP name digest"; the digest proves the password
       * without sending it. */
      gsize nlen = 0;
      while (nlen < alen && args[nlen] != ' ')
        nlen++;
      cred = credential_new (off, span, "APOP", args, nlen, TRUE, NULL, 0, FALSE, FALSE);
    }
  else if (strcmp (verb, "AUTH") == 0 && alen)
    {
      gsize mlen = 0;
      while (mlen < alen && args[mlen] != ' ')
        mlen++;
      g_autofree char *mech = ms_pop3_info_text (args, mlen);
      g_autofree char *mech_up = g_ascii_strup (mech, -1);
      ms_event_add_str (ev, "mechanism", mech_up);
      if (queued)
        queued->sasl = TRUE;
      p->in_sasl = TRUE;
      p->sasl_mech = sasl_mech_from (args, mlen);
      p->sasl_step = 0;
      if (mlen + 1 < alen)
        cred = sasl_message (p, ev, args + mlen + 1, alen - mlen - 1, off, span);
    }
  emit_pair (p, ev, cred);
}
