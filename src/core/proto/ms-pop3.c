/* ms-pop3.c - POP3 decoder (RFC 1939; RFC 2449 CAPA, response codes and
 * PIPELINING; RFC 5034 AUTH; RFC 2595 STLS; RFC 4616 PLAIN). */
#include "config.h"

#include <string.h>

#include "mailscope/ms-decoder.h"

/* Longest line kept. RFC 2449 caps responses at 512 octets, but SASL
 * responses (XOAUTH2 tokens) and sloppy servers go well beyond; past this
 * the line is flagged malformed and the rest is dropped up to the next LF. */
#define MS_POP3_MAX_LINE (64 * 1024)
/* Commands awaiting a response. Pipelining (RFC 2449) is bounded by the
 * client's send window; more than this means the two sides are out of step. */
#define MS_POP3_MAX_PENDING 64
/* Longest command keyword: RFC 1939 keywords are 3-4 characters and
 * extensions (XTND, X-...) only a little longer; anything longer is garbage. */
#define MS_POP3_MAX_VERB 16
/* Longest Info text in characters (as the IMAP decoder): a packet list
 * shows one line, not a whole token. */
#define MS_POP3_MAX_INFO 200
/* Longest RFC 2449 response code kept (hierarchical codes are short). */
#define MS_POP3_MAX_CODE 64
/* CAPA and AUTH-list lines kept as array members: a real list has ~20. */
#define MS_POP3_MAX_ITEMS 64
/* Bytes of each CAPA / AUTH-list line kept. */
#define MS_POP3_MAX_ITEM 256
/* User name remembered between USER and PASS (or AUTH LOGIN steps). */
#define MS_POP3_MAX_USER 256

/* Commands whose +OK starts a multi-line body, always (RFC 1939, 2449). */
static const char *const multiline_always[] = { "RETR", "TOP", "CAPA" };
/* ...and only when given no argument (a listing of every message, or
 * AUTH's mechanism list that some servers send). */
static const char *const multiline_noarg[] = { "LIST", "UIDL", "AUTH" };
/* Client keywords that make a C2S stream unmistakably POP3 for sniffing. */
static const char *const sniff_verbs[] = { "USER", "CAPA", "APOP", "AUTH", "STLS" };

static const guint16 pop3_ports[] = { 110, 1110, 0 };

typedef enum {
  SASL_NONE = 0,
  SASL_PLAIN,
  SASL_LOGIN,
  SASL_XOAUTH2,
  SASL_OAUTHBEARER,
  SASL_CRAM_MD5,
  SASL_OTHER,
} SaslMech;

/* Where the body scanner is within the current body line. */
typedef enum {
  BODY_BOL = 0,   /* at the first byte of a line */
  BODY_DOT,       /* the line began with '.' */
  BODY_DOT_CR,    /* the line began with ".\r" */
  BODY_MID,       /* inside a line */
} BodyState;

typedef struct {
  char verb[MS_POP3_MAX_VERB + 1];
  gboolean has_arg;
  gboolean sasl;        /* AUTH naming a mechanism */
  guint64 off;
} Pending;

typedef struct {
  GByteArray *line;     /* current line, at most MS_POP3_MAX_LINE bytes */
  guint64 pos;          /* stream offset of the next byte */
  guint64 line_off;     /* stream offset of the current line's first byte */
  gboolean line_started;
  gboolean overlong;    /* the current line passed MS_POP3_MAX_LINE */
  gboolean skipping;    /* resynchronising: drop bytes up to the next LF */
  guint next_flags;     /* flags (GAP) owed to the next event of this side */
  gboolean tls;         /* every byte now belongs to the TLS decoder */
} Side;

typedef struct {
  MsDecoder parent;
  guint flags;                  /* MsDecoderFlags */
  Side side[2];

  Pending pending[MS_POP3_MAX_PENDING];
  guint p_head, p_count;

  gboolean greeting_seen;
  gboolean any_command;

  /* Client side of an AUTH exchange: lines answer challenges. */
  gboolean in_sasl;
  SaslMech sasl_mech;
  guint sasl_step;

  char *user;                   /* from USER or the first AUTH LOGIN step */

  /* Server multi-line body, counted, never buffered. */
  MsEvent *body_ev;
  BodyState bstate;
  guint64 body_lines, body_octets;
  gboolean body_content;        /* RETR/TOP: the octets are message content */
  gboolean body_listing;        /* LIST/UIDL: lines must begin with a digit */
  gboolean body_bad;            /* a listing line broke that grammar */
  JsonArray *items;             /* CAPA capabilities / AUTH mechanisms */
  const char *items_name;
  GByteArray *item;

  MsDecoder *tls;               /* after STLS */
} MsPop3;

/* --- small helpers ------------------------------------------------------ */

/* A printable one-line copy of untrusted bytes, at most `cap` characters
 * (then "…"): control bytes and invalid UTF-8 become U+FFFD. */
static char *
text_cap (const guint8 *p, gsize len, gsize cap)
{
  GString *s = g_string_sized_new (MIN (len, cap) + 4);
  /* An empty argument may come as (NULL, 0): no pointer arithmetic on it. */
  const char *q = (const char *) p, *end = p != NULL ? (const char *) p + len : q;
  gsize chars = 0;

  while (q < end && chars < cap)
    {
      gunichar c = g_utf8_get_char_validated (q, end - q);
      if (c == (gunichar) -1 || c == (gunichar) -2 || c < 0x20 || c == 0x7f)
        {
          g_string_append (s, "\xef\xbf\xbd");
          q++;
        }
      else
        {
          const char *next = g_utf8_next_char (q);
          g_string_append_len (s, q, next - q);
          q = next;
        }
      chars++;
    }
  if (q < end)
    g_string_append (s, "\xe2\x80\xa6");
  return g_string_free (s, FALSE);
}

/* text_cap() for Info and fields: one line of a packet list. */
static char *
info_text (const guint8 *p, gsize len)
{
  return text_cap (p, len, MS_POP3_MAX_INFO);
}

/* Marks ev as carrying a secret, in the form its text shows it (never cut,
 * so that masking finds every byte of it). */
static void
add_secret (MsEvent *ev, const guint8 *p, gsize len)
{
  char *t = text_cap (p, len, G_MAXSIZE);
  if (t[0])
    ms_event_add_str (ev, "secret", t);
  g_free (t);
  ev->flags |= MS_EVENT_SECRET;
}

/* TRUE when p begins with word, ignoring ASCII case. */
static gboolean
prefix_ci (const guint8 *p, gsize len, const char *word)
{
  gsize n = strlen (word);
  return len >= n && g_ascii_strncasecmp ((const char *) p, word, n) == 0;
}

static gboolean
is_verb_char (guint8 c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_';
}

static gboolean
in_list (const char *verb, const char *const *list, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (strcmp (verb, list[i]) == 0)
      return TRUE;
  return FALSE;
}

/* An event for stream bytes [off, off + len), with the flags owed to dir. */
static MsEvent *
new_event (MsPop3 *p, MsDir dir, const char *kind, guint64 off, guint64 len)
{
  MsEvent *ev = ms_event_new (MS_PROTO_POP3, dir, kind);
  ms_event_set_range (ev, off, len);
  ev->flags |= p->side[dir].next_flags;
  p->side[dir].next_flags = 0;
  return ev;
}

static void
emit (MsPop3 *p, MsEvent *ev)
{
  ms_emit (p->parent.emitter, ev);
}

static Pending *
pending_front (MsPop3 *p)
{
  return p->p_count ? &p->pending[p->p_head] : NULL;
}

/* Queues a command; FALSE when the queue is full (the command is not
 * remembered and its response will look unsolicited). */
static gboolean
pending_push (MsPop3 *p, const char *verb, gboolean has_arg, gboolean sasl, guint64 off)
{
  if (p->p_count == MS_POP3_MAX_PENDING)
    return FALSE;
  Pending *e = &p->pending[(p->p_head + p->p_count) % MS_POP3_MAX_PENDING];
  g_strlcpy (e->verb, verb, sizeof e->verb);
  e->has_arg = has_arg;
  e->sasl = sasl;
  e->off = off;
  p->p_count++;
  return TRUE;
}

static void
pending_pop (MsPop3 *p, Pending *out)
{
  *out = p->pending[p->p_head];
  p->p_head = (p->p_head + 1) % MS_POP3_MAX_PENDING;
  p->p_count--;
}

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
  g_autofree char *u = has_user ? info_text (user, user_len) : NULL;

  ms_event_set_range (ev, off, len);
  ev->flags |= MS_EVENT_WARNING;
  if (u)
    json_object_set_string_member (o, "user", u);
  json_object_set_string_member (o, "mechanism", mechanism);
  json_object_set_boolean_member (o, "cleartext", cleartext);
  if (has_password)
    {
      g_autofree char *pw = text_cap (password, password_len, G_MAXSIZE);
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
            p->user = info_text (raw, MIN (n, (gsize) MS_POP3_MAX_USER));
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
static void
client_sasl_line (MsPop3 *p, const guint8 *t, gsize len, guint64 off, guint64 span,
                  guint flags)
{
  MsEvent *ev = new_event (p, MS_DIR_C2S, "sasl", off, span);
  MsEvent *cred = NULL;

  ev->flags |= flags;
  /* Not cut: the line may be a secret, and masking must find all of it. */
  ms_event_take_info (ev, text_cap (t, len, G_MAXSIZE));
  ms_event_add_bool (ev, "sasl", TRUE);
  if (len == 1 && t[0] == '*')
    ms_event_add_bool (ev, "cancel", TRUE);
  else
    cred = sasl_message (p, ev, t, len, off, span);
  emit_pair (p, ev, cred);
}

/* One client command line (without its line end; `span` covers the line
 * end too). Queues it for pairing and emits it with any credential. */
static void
client_command_line (MsPop3 *p, const guint8 *t, gsize len, guint64 off, guint64 span,
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
      g_autofree char *v = text_cap (t, vlen, 4);
      g_strlcpy (verb, v, sizeof verb);
    }

  const guint8 *args = vlen < len ? t + vlen + 1 : NULL;
  gsize alen = args ? len - vlen - 1 : 0;

  /* Lines that may carry a secret are never cut, so masking finds it all. */
  gboolean secretive = valid && alen
                       && (strcmp (verb, "PASS") == 0 || strcmp (verb, "AUTH") == 0);
  gsize cap = secretive ? G_MAXSIZE : MS_POP3_MAX_INFO;

  MsEvent *ev = new_event (p, MS_DIR_C2S, "command", off, span);
  ev->flags |= flags;
  if (!valid)
    ev->flags |= MS_EVENT_MALFORMED;
  ms_event_take_info (ev, text_cap (t, len, cap));
  MsField *f = ms_event_add_str (ev, "command", verb);
  f->off = off;
  f->len = MIN (vlen, (gsize) MS_POP3_MAX_VERB);
  if (args)
    {
      g_autofree char *a = text_cap (args, alen, cap);
      f = ms_event_add_str (ev, "args", a);
      f->off = off + vlen + 1;
      f->len = alen;
    }
  p->any_command = TRUE;
  Pending *queued = NULL;
  if (pending_push (p, verb, alen > 0, FALSE, off))
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
      p->user = info_text (args, MIN (alen, (gsize) MS_POP3_MAX_USER));
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
      g_autofree char *mech = info_text (args, mlen);
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

/* --- server lines ------------------------------------------------------- */

/* TRUE when a +OK to cmd opens a body that ends with a dot line. */
static gboolean
is_multiline (const Pending *cmd)
{
  if (in_list (cmd->verb, multiline_always, G_N_ELEMENTS (multiline_always)))
    return TRUE;
  return !cmd->has_arg && in_list (cmd->verb, multiline_noarg, G_N_ELEMENTS (multiline_noarg));
}

/* Adds status and the RFC 2449 response code of a +OK/-ERR line. */
static void
add_status (MsEvent *ev, gboolean ok, const guint8 *t, gsize len, guint64 off)
{
  gsize at = ok ? 3 : 4;
  ms_event_add_str (ev, "status", ok ? "+OK" : "-ERR");
  if (at < len && t[at] == ' ')
    at++;
  if (at < len && t[at] == '[')
    {
      gsize end = at + 1;
      while (end < len && end - at <= MS_POP3_MAX_CODE && t[end] != ']')
        end++;
      if (end < len && t[end] == ']' && end > at + 1)
        {
          g_autofree char *code = info_text (t + at + 1, end - at - 1);
          MsField *f = ms_event_add_str (ev, "code", code);
          f->off = off + at + 1;
          f->len = end - at - 1;
        }
    }
}

/* RFC 1939 section 7: an APOP timestamp is a msg-id, "<...@...>". */
static gboolean
has_apop_stamp (const guint8 *t, gsize len)
{
  const guint8 *lt = memchr (t, '<', len);
  if (lt == NULL)
    return FALSE;
  gsize rest = len - (gsize) (lt - t);
  const guint8 *gt = memchr (lt, '>', rest);
  return gt != NULL && memchr (lt, '@', (gsize) (gt - lt)) != NULL;
}

/* The embedded TLS decoder for after STLS, created on first use. */
static void
ensure_tls (MsPop3 *p)
{
  if (p->tls == NULL)
    {
      MsDecoderConfig cfg = { 0, MS_PROTO_POP3 };
      p->tls = ms_decoder_new (&ms_tls_decoder_class, p->parent.emitter, &cfg);
    }
}

/* Hands a side to TLS from its next byte on; a partial line is dropped. */
static void
side_to_tls (MsPop3 *p, MsDir dir)
{
  Side *s = &p->side[dir];
  ensure_tls (p);
  s->tls = TRUE;
  s->line_started = FALSE;
  s->skipping = FALSE;
  g_byte_array_set_size (s->line, 0);
}

/* Holds ev (the +OK line) until the body's dot line arrives. */
static void
body_start (MsPop3 *p, MsEvent *ev, const Pending *cmd)
{
  p->body_ev = ev;
  p->bstate = BODY_BOL;
  p->body_lines = 0;
  p->body_octets = 0;
  p->body_bad = FALSE;
  p->body_content = strcmp (cmd->verb, "RETR") == 0 || strcmp (cmd->verb, "TOP") == 0;
  p->body_listing = strcmp (cmd->verb, "LIST") == 0 || strcmp (cmd->verb, "UIDL") == 0;
  p->items_name = NULL;
  if (strcmp (cmd->verb, "CAPA") == 0)
    p->items_name = "capabilities";
  else if (strcmp (cmd->verb, "AUTH") == 0)
    p->items_name = "mechanisms";
  if (p->items_name)
    p->items = json_array_new ();
  g_byte_array_set_size (p->item, 0);
}

/* Ends the open multi-line response at stream offset `end`. */
static void
body_end (MsPop3 *p, guint64 end, guint flags)
{
  MsEvent *ev = p->body_ev;
  p->body_ev = NULL;
  ev->flags |= flags;
  if (p->body_bad)
    ev->flags |= MS_EVENT_MALFORMED;
  ms_event_set_range (ev, ev->offset, end - ev->offset);
  ms_event_add_int (ev, "lines", (gint64) p->body_lines);
  ms_event_add_int (ev, "octets", (gint64) p->body_octets);
  if (p->body_content)
    ms_event_add_int (ev, "content_bytes", (gint64) p->body_octets);
  if (p->items)
    {
      JsonNode *n = json_node_new (JSON_NODE_ARRAY);
      json_node_take_array (n, p->items);
      p->items = NULL;
      ms_event_add_node (ev, p->items_name, n);
    }
  emit (p, ev);
}

/* One content byte of a body line (after dot-unstuffing). */
static void
body_byte (MsPop3 *p, guint8 c)
{
  p->body_octets++;
  if (c == '\n')
    {
      p->body_lines++;
      p->bstate = BODY_BOL;
      if (p->items && json_array_get_length (p->items) < MS_POP3_MAX_ITEMS && p->item->len)
        {
          g_autofree char *s = info_text (p->item->data, p->item->len);
          json_array_add_string_element (p->items, s);
        }
      if (p->item->len)
        g_byte_array_set_size (p->item, 0);
      return;
    }
  p->bstate = BODY_MID;
  if (p->items && c != '\r' && p->item->len < MS_POP3_MAX_ITEM)
    g_byte_array_append (p->item, &c, 1);
}

/* Scans body bytes starting at stream offset `off`; returns how many it
 * used (it stops after the terminating ".CRLF"). */
static gsize
body_feed (MsPop3 *p, guint64 off, const guint8 *d, gsize len)
{
  for (gsize i = 0; i < len; i++)
    {
      guint8 c = d[i];
      switch (p->bstate)
        {
        case BODY_BOL:
          if (c == '.')
            {
              p->bstate = BODY_DOT;
              break;
            }
          if (p->body_listing && !g_ascii_isdigit (c))
            p->body_bad = TRUE;
          body_byte (p, c);
          break;
        case BODY_DOT:
          if (c == '\r')
            {
              p->bstate = BODY_DOT_CR;
              break;
            }
          if (c == '\n')
            {
              body_end (p, off + i + 1, 0);
              return i + 1;
            }
          if (p->body_listing)
            p->body_bad = TRUE;
          if (c != '.')
            body_byte (p, '.');   /* an unstuffed leading dot: keep it */
          body_byte (p, c);
          break;
        case BODY_DOT_CR:
          if (c == '\n')
            {
              body_end (p, off + i + 1, 0);
              return i + 1;
            }
          body_byte (p, '.');
          body_byte (p, '\r');
          body_byte (p, c);
          break;
        case BODY_MID:
        default:
          if (p->items == NULL && !p->body_listing)
            {
              /* Fast path: content lines are only counted, line after
               * line, until one begins with a dot (dot-stuffing or the
               * end). A line beginning with anything else is counted just
               * like the rest of a line. */
              for (;;)
                {
                  const guint8 *nl = memchr (d + i, '\n', len - i);
                  if (nl == NULL)
                    {
                      p->body_octets += len - i;
                      return len;
                    }
                  gsize run = (gsize) (nl - (d + i)) + 1;
                  p->body_octets += run;
                  p->body_lines++;
                  i += run;
                  if (i == len || d[i] == '.')
                    break;
                }
              p->bstate = BODY_BOL;
              i--;   /* the loop steps to the line's first byte */
              break;
            }
          body_byte (p, c);
          break;
        }
    }
  return len;
}

/* One server line (without its line end; `span` covers it). */
static void
server_line (MsPop3 *p, const guint8 *t, gsize len, guint64 off, guint64 span, guint flags)
{
  int status = 0;   /* 1 = +OK, 2 = -ERR */
  if (prefix_ci (t, len, "+OK") && (len == 3 || t[3] == ' ' || t[3] == '\t'))
    status = 1;
  else if (prefix_ci (t, len, "-ERR") && (len == 4 || t[4] == ' ' || t[4] == '\t'))
    status = 2;

  /* The first server line is the greeting, unless a command already waits
   * for it: then the capture began after the greeting. */
  if (!p->greeting_seen && !(p->flags & MS_DECODER_MIDSTREAM) && p->p_count == 0)
    {
      p->greeting_seen = TRUE;
      MsEvent *ev = new_event (p, MS_DIR_S2C, "response", off, span);
      ev->flags |= flags;
      ms_event_take_info (ev, info_text (t, len));
      if (status)
        add_status (ev, status == 1, t, len, off);
      else
        ev->flags |= MS_EVENT_MALFORMED;
      ms_event_add_bool (ev, "greeting", TRUE);
      if (status == 1 && has_apop_stamp (t, len))
        ms_event_add_bool (ev, "apop", TRUE);
      emit (p, ev);
      return;
    }
  p->greeting_seen = TRUE;

  Pending *front = pending_front (p);
  if (status == 0 && len >= 1 && t[0] == '+' && (len == 1 || t[1] == ' ') && front
      && front->sasl)
    {
      /* RFC 5034: "+ " and a base64 challenge; the AUTH goes on. */
      MsEvent *ev = new_event (p, MS_DIR_S2C, "continuation", off, span);
      ev->flags |= flags;
      ms_event_take_info (ev, info_text (t, len));
      ms_event_add_bool (ev, "continuation", TRUE);
      ms_event_add_str (ev, "for_command", front->verb);
      emit (p, ev);
      return;
    }
  if (status == 0)
    {
      /* Not a response: it answers no command, so pairing stays put. */
      MsEvent *ev = new_event (p, MS_DIR_S2C, "data", off, span);
      ev->flags |= flags | MS_EVENT_MALFORMED;
      ms_event_take_info (ev, info_text (t, len));
      emit (p, ev);
      return;
    }

  Pending cmd = { 0 };
  gboolean have = front != NULL;
  if (have)
    pending_pop (p, &cmd);

  MsEvent *ev = new_event (p, MS_DIR_S2C, "response", off, span);
  ev->flags |= flags;
  ms_event_take_info (ev, info_text (t, len));
  add_status (ev, status == 1, t, len, off);
  if (have)
    {
      ms_event_add_str (ev, "for_command", cmd.verb);
      ms_event_add_int (ev, "for_offset", (gint64) cmd.off);
      if (cmd.sasl)
        {
          p->in_sasl = FALSE;
          p->sasl_mech = SASL_NONE;
        }
    }
  else if (p->any_command || !(p->flags & MS_DECODER_MIDSTREAM))
    ev->flags |= MS_EVENT_MALFORMED;   /* a response to nothing */

  if (have && status == 1 && is_multiline (&cmd))
    {
      body_start (p, ev, &cmd);
      return;
    }
  emit (p, ev);
  if (have && status == 1 && strcmp (cmd.verb, "STLS") == 0)
    {
      side_to_tls (p, MS_DIR_S2C);
      if (!p->side[MS_DIR_C2S].tls)
        side_to_tls (p, MS_DIR_C2S);
    }
}

/* --- line assembly ------------------------------------------------------ */

/* Decodes the side's assembled line (its LF consumed) and resets it. */
static void
line_done (MsPop3 *p, MsDir dir, guint flags)
{
  Side *s = &p->side[dir];
  const guint8 *t = s->line->data;
  gsize len = s->line->len;
  guint64 span = s->pos - s->line_off;

  if (len && t[len - 1] == '\r' && !s->overlong)
    len--;
  if (s->overlong)
    flags |= MS_EVENT_MALFORMED;
  if (dir == MS_DIR_C2S)
    {
      if (p->in_sasl)
        client_sasl_line (p, t, len, s->line_off, span, flags);
      else
        client_command_line (p, t, len, s->line_off, span, flags);
    }
  else
    server_line (p, t, len, s->line_off, span, flags);
  g_byte_array_set_size (s->line, 0);
  s->line_started = FALSE;
  s->overlong = FALSE;
}

/* TRUE while an STLS waits for its answer. */
static gboolean
stls_pending (MsPop3 *p)
{
  for (guint i = 0; i < p->p_count; i++)
    if (strcmp (p->pending[(p->p_head + i) % MS_POP3_MAX_PENDING].verb, "STLS") == 0)
      return TRUE;
  return FALSE;
}

/* --- the decoder class -------------------------------------------------- */

/* YES for a POP3 greeting or a client command only POP3 uses. A bare
 * "+OK" line is what Redis answers too, so a greeting must carry text. */
static MsSniff
pop3_sniff (MsDir dir, const guint8 *d, gsize len)
{
  if (dir == MS_DIR_S2C)
    {
      static const char ok[] = "+OK";
      for (gsize i = 0; i < 3 && i < len; i++)
        if (g_ascii_toupper (d[i]) != ok[i])
          return MS_SNIFF_NO;
      if (len < 4)
        return MS_SNIFF_NEED_MORE;
      return d[3] == ' ' ? MS_SNIFF_YES : MS_SNIFF_NO;
    }
  if (dir != MS_DIR_C2S)
    return MS_SNIFF_NO;
  gboolean maybe = FALSE;
  for (gsize v = 0; v < G_N_ELEMENTS (sniff_verbs); v++)
    {
      gsize n = MIN (len, (gsize) 4);
      if (g_ascii_strncasecmp ((const char *) d, sniff_verbs[v], n) != 0)
        continue;
      if (len < 5)
        {
          maybe = TRUE;
          continue;
        }
      if (d[4] == ' ' || d[4] == '\r' || d[4] == '\n')
        return MS_SNIFF_YES;
    }
  return maybe ? MS_SNIFF_NEED_MORE : MS_SNIFF_NO;
}

static MsDecoder *
pop3_create (MsEmitter *emitter, const MsDecoderConfig *config)
{
  MsPop3 *p = g_new0 (MsPop3, 1);
  p->parent.klass = &ms_pop3_decoder_class;
  p->parent.emitter = emitter;
  p->flags = config ? config->flags : 0;
  for (int d = 0; d < 2; d++)
    {
      p->side[d].line = g_byte_array_new ();
      /* Mid-stream, the first bytes may sit inside a line. */
      p->side[d].skipping = (p->flags & MS_DECODER_MIDSTREAM) != 0;
    }
  p->item = g_byte_array_new ();
  return &p->parent;
}

static void
pop3_feed (MsDecoder *dec, MsDir dir, guint64 offset, const guint8 *data, gsize len)
{
  MsPop3 *p = (MsPop3 *) dec;
  if (dir != MS_DIR_C2S && dir != MS_DIR_S2C)
    return;
  Side *s = &p->side[dir];
  gsize i = 0;

  s->pos = offset;
  while (i < len)
    {
      if (s->tls)
        {
          ms_decoder_feed (p->tls, dir, s->pos, data + i, len - i);
          s->pos += len - i;
          return;
        }
      if (dir == MS_DIR_S2C && p->body_ev)
        {
          gsize n = body_feed (p, s->pos, data + i, len - i);
          i += n;
          s->pos += n;
          continue;
        }
      const guint8 *nl = memchr (data + i, '\n', len - i);
      gsize n = nl ? (gsize) (nl - (data + i)) + 1 : len - i;
      if (s->skipping)
        {
          i += n;
          s->pos += n;
          if (nl)
            s->skipping = FALSE;
          continue;
        }
      if (!s->line_started)
        {
          /* A client that starts TLS before the +OK reached us (or a
           * capture that lost it): a handshake record cannot be a command. */
          if (dir == MS_DIR_C2S && data[i] == 0x16 && stls_pending (p))
            {
              side_to_tls (p, MS_DIR_C2S);
              continue;
            }
          s->line_started = TRUE;
          s->line_off = s->pos;
        }
      gsize keep = nl ? n - 1 : n;
      gsize room = MS_POP3_MAX_LINE - s->line->len;
      if (keep > room)
        {
          s->overlong = TRUE;
          keep = room;
        }
      g_byte_array_append (s->line, data + i, (guint) keep);
      i += n;
      s->pos += n;
      if (nl)
        line_done (p, dir, 0);
    }
}

static void
pop3_gap (MsDecoder *dec, MsDir dir, guint64 offset, guint64 missing)
{
  MsPop3 *p = (MsPop3 *) dec;
  if (dir != MS_DIR_C2S && dir != MS_DIR_S2C)
    return;
  Side *s = &p->side[dir];
  if (s->tls)
    {
      ms_decoder_gap (p->tls, dir, offset, missing);
      s->pos = offset + missing;
      return;
    }
  s->pos = offset + missing;
  if (dir == MS_DIR_S2C && p->body_ev)
    {
      /* Stay in the body (only a dot line ends it) but resume mid-line. */
      p->body_ev->flags |= MS_EVENT_GAP;
      p->bstate = BODY_MID;
      return;
    }
  g_byte_array_set_size (s->line, 0);
  s->line_started = FALSE;
  s->overlong = FALSE;
  s->skipping = TRUE;
  s->next_flags |= MS_EVENT_GAP;
}

static void
pop3_finish (MsDecoder *dec)
{
  MsPop3 *p = (MsPop3 *) dec;
  for (int d = 0; d < 2; d++)
    {
      Side *s = &p->side[d];
      if (!s->tls && s->line_started)
        line_done (p, (MsDir) d, MS_EVENT_TRUNCATED);
    }
  if (p->body_ev)
    body_end (p, p->side[MS_DIR_S2C].pos, MS_EVENT_TRUNCATED);
  if (p->tls)
    ms_decoder_finish (p->tls);
}

static void
pop3_destroy (MsDecoder *dec)
{
  MsPop3 *p = (MsPop3 *) dec;
  for (int d = 0; d < 2; d++)
    g_byte_array_unref (p->side[d].line);
  g_byte_array_unref (p->item);
  if (p->items)
    json_array_unref (p->items);
  if (p->body_ev)
    ms_event_unref (p->body_ev);
  ms_decoder_free (p->tls);
  g_free (p->user);
  g_free (p);
}

const MsDecoderClass ms_pop3_decoder_class = {
  .proto = MS_PROTO_POP3,
  .name = "pop3",
  .ports = pop3_ports,
  .sniff = pop3_sniff,
  .create = pop3_create,
  .feed = pop3_feed,
  .gap = pop3_gap,
  .finish = pop3_finish,
  .destroy = pop3_destroy,
};
