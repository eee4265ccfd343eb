/* ms-imap.c - IMAP stream decoder (RFC 3501 IMAP4rev1, RFC 9051 IMAP4rev2;
 * LITERAL+ RFC 7888, BINARY RFC 3516, IDLE RFC 2177, SASL-IR RFC 4959,
 * SASL PLAIN RFC 4616, CRAM-MD5 RFC 2195, OAUTHBEARER RFC 7628, COMPRESS
 * RFC 4978, STARTTLS RFC 3501 section 6.2.1).
 *
 * Each direction has its own resumable line parser: text outside literals
 * is gathered up to LF (capped), literal bytes are counted, never scanned,
 * and one logical line (a command or response with all its literals)
 * becomes one event. The two directions meet in the pending-command table
 * and the session modes (SASL exchange, IDLE, STARTTLS hand-over). */
#include "config.h"

#include <string.h>

#include "mailscope/ms-decoder.h"
#include "ms-imap-fetch.h"

/* --- limits ------------------------------------------------------------- */

/* Longest logical line kept (text outside literals). RFC 7162 asks for
 * 8 KB; 64 KiB leaves room for long UID sets while bounding memory. */
#define MS_IMAP_MAX_LINE (64 * 1024)
/* Largest literal size accepted; no mailbox holds a 4 GiB message, so a
 * larger count is garbage (sizes are only counted, never allocated). */
#define MS_IMAP_MAX_LITERAL ((guint64) G_MAXUINT32)
/* Literals up to this size are kept for interpretation (LOGIN strings,
 * BODYSTRUCTURE strings); larger ones are only counted. */
#define MS_IMAP_KEEP_LITERAL 1024
/* Literals remembered per logical line (a FETCH response of one message
 * carries a handful; more is abuse). */
#define MS_IMAP_MAX_LITERALS 256
/* Commands awaiting their tagged completion; pipelining clients keep a
 * few outstanding, a stream that never completes must not grow us. */
#define MS_IMAP_MAX_PENDING 64
/* Longest tag or command name remembered in the pending table; longer
 * ones are garbage and not worth their memory. */
#define MS_IMAP_MAX_TAG 128
/* Characters of protocol text shown in `info`. */
#define MS_IMAP_INFO_MAX 200
/* Longest tag or command word that sniff() waits for. */
#define MS_IMAP_SNIFF_WORD 64

/* --- tables ------------------------------------------------------------- */

static const guint16 imap_ports[] = { 143, 1143, 0 };

/* Untagged response kinds that can start a server line (for a capture
 * that began mid-conversation). */
static const char *const known_untagged[] = {
  "OK", "NO", "BAD", "BYE", "PREAUTH", "CAPABILITY", "LIST", "LSUB", "STATUS",
  "FLAGS", "SEARCH", "ESEARCH", "NAMESPACE", "ENABLED", "ID", "QUOTA",
  "QUOTAROOT", "VANISHED",
};

/* Commands of RFC 3501/9051 and common extensions, for sniffing. */
static const char *const known_commands[] = {
  "CAPABILITY", "NOOP", "LOGOUT", "STARTTLS", "AUTHENTICATE", "LOGIN",
  "ENABLE", "ID", "SELECT", "EXAMINE", "CREATE", "DELETE", "RENAME",
  "SUBSCRIBE", "UNSUBSCRIBE", "LIST", "LSUB", "NAMESPACE", "STATUS",
  "APPEND", "IDLE", "CHECK", "CLOSE", "UNSELECT", "EXPUNGE", "SEARCH",
  "FETCH", "STORE", "COPY", "MOVE", "UID", "GETQUOTAROOT", "GETQUOTA",
  "COMPRESS", "XLIST",
};

/* --- state -------------------------------------------------------------- */

typedef enum {
  ST_LINE,      /* reading line text up to LF */
  ST_LITERAL,   /* counting literal bytes */
  ST_SKIP,      /* discarding up to the next LF (resynchronising) */
  ST_OPAQUE,    /* after COMPRESS (RFC 4978): deflated, only counted */
} ParseState;

/* One direction's progress through its logical line: the text outside
 * literals and where the literals sat. */
typedef struct {
  ParseState state;
  GString *text;
  GArray *lits;           /* MsImapLit */
  gsize kept_total;       /* literal bytes kept for this line */
  gboolean started;       /* a logical line is open */
  guint64 start;          /* its first byte's stream offset */
  guint64 pos;            /* stream offset of the next byte */
  guint64 lit_left;       /* bytes of the current literal still to come */
  gboolean lit_recorded;  /* the current literal has a record in lits */
  gboolean overlong;      /* text was cut at MS_IMAP_MAX_LINE */
  gboolean bad;           /* grammar broken (too many literals, huge size) */
  gboolean head_done;     /* client: this command is in the pending table */
  gsize seg_start;        /* text offset where the current segment began */
  gboolean probing;       /* midstream: the first line may be a fragment */
  guint64 opaque_start;   /* ST_OPAQUE: stream offset of its first byte */
  guint64 opaque_bytes;   /* ST_OPAQUE: bytes counted */
  guint flags;            /* carried into the line's event (GAP) */
} ImapParser;

typedef struct {
  char *tag;
  char *command;
} Pending;

typedef struct {
  MsDecoder parent;
  ImapParser p[2];
  GQueue pending;          /* Pending, oldest first */
  gboolean greeting_seen;
  gboolean sasl;           /* client lines answer an AUTHENTICATE */
  char *sasl_mech;
  guint sasl_step;
  char *sasl_user;         /* AUTHENTICATE LOGIN: the decoded user name */
  gboolean idle;           /* between IDLE and DONE */
  MsDecoder *tls;          /* after a successful STARTTLS */
  gboolean tls_on[2];      /* this direction's bytes go to tls */
  MsImapStructures *structs;
} MsImapDecoder;

/* --- small helpers ------------------------------------------------------ */

static void
pending_free (Pending *pe)
{
  g_free (pe->tag);
  g_free (pe->command);
  g_free (pe);
}

static void
lit_clear (gpointer data)
{
  MsImapLit *lit = data;
  if (lit->kept)
    g_byte_array_unref (lit->kept);
}

static void
parser_init (ImapParser *p, gboolean midstream)
{
  p->state = ST_LINE;
  p->probing = midstream;
  p->text = g_string_sized_new (128);
  p->lits = g_array_new (FALSE, TRUE, sizeof (MsImapLit));
  g_array_set_clear_func (p->lits, lit_clear);
}

/* Forgets the logical line (state is left to the caller). */
static void
parser_reset_line (ImapParser *p)
{
  g_string_truncate (p->text, 0);
  g_array_set_size (p->lits, 0);
  p->kept_total = 0;
  p->started = FALSE;
  p->overlong = FALSE;
  p->bad = FALSE;
  p->head_done = FALSE;
  p->lit_recorded = FALSE;
  p->lit_left = 0;
  p->seg_start = 0;
  p->flags = 0;
}

static void
parser_clear (ImapParser *p)
{
  g_string_free (p->text, TRUE);
  g_array_unref (p->lits);
}

static void
text_append (ImapParser *p, const guint8 *data, gsize n)
{
  if (p->overlong || n == 0)
    return;
  gsize room = MS_IMAP_MAX_LINE - p->text->len;
  if (n > room)
    {
      n = room;
      p->overlong = TRUE;
    }
  g_string_append_len (p->text, (const char *) data, n);
}

/* End offset of the word starting at `s` (up to SP or the end). */
static gsize
word_end (const char *t, gsize len, gsize s)
{
  while (s < len && t[s] != ' ')
    s++;
  return s;
}

static gboolean
word_is (const char *t, gsize s, gsize e, const char *w)
{
  gsize n = strlen (w);
  return e - s == n && g_ascii_strncasecmp (t + s, w, n) == 0;
}

static char *
word_upper (const char *t, gsize s, gsize e)
{
  char *w = g_strndup (t + s, e - s);
  for (char *c = w; *c; c++)
    *c = g_ascii_toupper (*c);
  return w;
}

static gboolean
is_tag_char (guchar c)
{
  return c > 0x20 && c < 0x7f && strchr ("(){%*\"\\+", c) == NULL;
}

static gboolean
is_valid_tag (const char *t, gsize len)
{
  if (len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!is_tag_char ((guchar) t[i]))
      return FALSE;
  return TRUE;
}

static gboolean
is_alpha_word (const char *t, gsize len)
{
  if (len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalpha (t[i]) && t[i] != '-' && t[i] != '.')
      return FALSE;
  return TRUE;
}

/* Appends text[s, e) as valid UTF-8 with control bytes and invalid
 * sequences shown as U+FFFD, stopping after *budget characters. Returns
 * FALSE when the budget ran out. */
static gboolean
append_visible (GString *out, const char *t, gsize s, gsize e, gsize *budget)
{
  gsize p = s;
  while (p < e)
    {
      if (*budget == 0)
        return FALSE;
      guchar c = (guchar) t[p];
      if (c >= 0x20 && c < 0x7f)
        {
          /* A run of printable ASCII goes in at once. */
          gsize q = p + 1, stop = p + MIN (e - p, *budget);
          while (q < stop && (guchar) t[q] >= 0x20 && (guchar) t[q] < 0x7f)
            q++;
          g_string_append_len (out, t + p, (gssize) (q - p));
          *budget -= q - p;
          p = q;
          continue;
        }
      if (c < 0x80)
        {
          if (c < 0x20 || c == 0x7f)
            g_string_append (out, c == '\t' ? "\t" : "\xef\xbf\xbd");
          else
            g_string_append_c (out, (char) c);
          p++;
        }
      else
        {
          gunichar u = g_utf8_get_char_validated (t + p, (gssize) (e - p));
          if (u == (gunichar) -1 || u == (gunichar) -2)
            {
              g_string_append (out, "\xef\xbf\xbd");
              p++;
            }
          else
            {
              gsize n = (gsize) (g_utf8_next_char (t + p) - (t + p));
              g_string_append_len (out, t + p, n);
              p += n;
            }
        }
      (*budget)--;
    }
  return TRUE;
}

/* The Info text: the line as sent, literals as "{n}⟨…⟩", shortened. */
static char *
make_info (const ImapParser *p)
{
  GString *out = g_string_sized_new (MIN (p->text->len, MS_IMAP_INFO_MAX) + 16);
  gsize budget = MS_IMAP_INFO_MAX, s = 0;
  gboolean full = TRUE;
  for (guint i = 0; i < p->lits->len && full; i++)
    {
      const MsImapLit *lit = &g_array_index (p->lits, MsImapLit, i);
      full = append_visible (out, p->text->str, s, lit->end, &budget);
      if (full)
        g_string_append (out, "\xe2\x9f\xa8\xe2\x80\xa6\xe2\x9f\xa9");  /* ⟨…⟩ */
      s = lit->end;
    }
  if (full)
    full = append_visible (out, p->text->str, s, p->text->len, &budget);
  if (!full || p->overlong)
    g_string_append (out, "\xe2\x80\xa6");  /* … */
  return g_string_free (out, FALSE);
}

static guint64
line_literal_bytes (const ImapParser *p)
{
  guint64 n = 0;
  for (guint i = 0; i < p->lits->len; i++)
    n += g_array_index (p->lits, MsImapLit, i).got;
  return n;
}

/* A new event covering the parser's logical line up to `end`. */
static MsEvent *
line_event (ImapParser *p, MsDir dir, const char *kind, guint64 end)
{
  MsEvent *ev = ms_event_new (MS_PROTO_IMAP, dir, kind);
  ms_event_set_range (ev, p->start, end - p->start);
  ev->flags |= p->flags;
  if (p->overlong || p->bad)
    ev->flags |= MS_EVENT_MALFORMED;
  ms_event_take_info (ev, make_info (p));
  if (p->lits->len > 0)
    ms_event_add_int (ev, "literal_bytes", (gint64) line_literal_bytes (p));
  return ev;
}

static GPtrArray *
tokenize_from (ImapParser *p, gsize start, MsEvent *ev)
{
  gboolean malformed = FALSE;
  GPtrArray *toks = ms_imap_tokenize (p->text->str, p->text->len, start,
                                      (const MsImapLit *) p->lits->data, p->lits->len,
                                      &malformed);
  if (malformed)
    ev->flags |= MS_EVENT_MALFORMED;
  return toks;
}

static void
emit (MsImapDecoder *d, MsEvent *ev)
{
  ms_emit (d->parent.emitter, ev);
}

/* --- pending commands ---------------------------------------------------- */

static void
pending_add (MsImapDecoder *d, const char *tag, const char *command)
{
  while (g_queue_get_length (&d->pending) >= MS_IMAP_MAX_PENDING)
    pending_free (g_queue_pop_head (&d->pending));
  Pending *pe = g_new0 (Pending, 1);
  pe->tag = g_strdup (tag);
  pe->command = g_strdup (command);
  g_queue_push_tail (&d->pending, pe);
}

/* Removes and returns the pending command with that tag, or NULL. */
static Pending *
pending_take (MsImapDecoder *d, const char *tag)
{
  for (GList *l = d->pending.head; l; l = l->next)
    {
      Pending *pe = l->data;
      if (strcmp (pe->tag, tag) == 0)
        {
          g_queue_delete_link (&d->pending, l);
          return pe;
        }
    }
  return NULL;
}

/* --- credentials --------------------------------------------------------- */

/* Marks `ev` as carrying `secret` (info masking) when non-empty. */
static void
add_secret (MsEvent *ev, const char *secret)
{
  if (secret == NULL || secret[0] == '\0')
    return;
  ms_event_add_str (ev, "secret", secret);
  if (ev->info && strstr (ev->info, secret))
    ev->flags |= MS_EVENT_SECRET;
}

/* A credential event for the line of `src`, with the same secrets. */
static void
emit_credential (MsImapDecoder *d, const MsEvent *src, const char *mechanism,
                 const char *user, const char *password, gboolean cleartext)
{
  MsEvent *ev = ms_event_new (MS_PROTO_IMAP, MS_DIR_C2S, "credential");
  ms_event_set_range (ev, src->offset, src->length);
  ms_event_set_info (ev, src->info);
  ev->flags |= MS_EVENT_WARNING | (src->flags & (MS_EVENT_TRUNCATED | MS_EVENT_GAP));
  JsonObject *o = json_object_new ();
  g_autofree char *u = g_utf8_make_valid (user ? user : "", -1);
  json_object_set_string_member (o, "user", u);
  json_object_set_string_member (o, "mechanism", mechanism);
  json_object_set_boolean_member (o, "cleartext", cleartext);
  if (password)
    {
      g_autofree char *pw = g_utf8_make_valid (password, -1);
      json_object_set_string_member (o, "password", pw);
    }
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, o);
  ms_event_add_node (ev, "credential", node);
  for (guint i = 0; src->fields && i < src->fields->len; i++)
    {
      const MsField *f = &g_array_index (src->fields, MsField, i);
      if (strcmp (f->name, "secret") == 0)
        add_secret (ev, f->v.s);
    }
  emit (d, ev);
}

/* The form a string takes inside a quoted string (for masking info). */
static char *
quoted_form (const char *s)
{
  GString *q = g_string_new (NULL);
  for (; *s; s++)
    {
      if (*s == '"' || *s == '\\')
        g_string_append_c (q, '\\');
      g_string_append_c (q, *s);
    }
  return g_string_free (q, FALSE);
}

/* Decodes strict base64 into a NUL-terminated buffer; NULL when the text
 * is not base64. */
static guint8 *
b64_decode (const char *t, gsize len, gsize *out_len)
{
  if (len % 4 != 0)
    return NULL;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (t[i]) && t[i] != '+' && t[i] != '/' && t[i] != '=')
      return NULL;
  g_autofree char *copy = g_strndup (t, len);
  if (len == 0)
    {
      *out_len = 0;
      return (guint8 *) g_strdup ("");
    }
  guint8 *raw = g_base64_decode (copy, out_len);
  guint8 *z = g_malloc (*out_len + 1);
  memcpy (z, raw, *out_len);
  z[*out_len] = 0;
  g_free (raw);
  return z;
}

/* The value after `key` up to `stop` (or the end) in decoded SASL bytes,
 * or NULL when the key is absent. */
static char *
sasl_value (const guint8 *raw, gsize n, const char *key, char stop)
{
  gsize kl = strlen (key);
  for (gsize i = 0; i + kl <= n; i++)
    if (memcmp (raw + i, key, kl) == 0)
      {
        gsize e = i + kl;
        while (e < n && raw[e] != (guint8) stop)
          e++;
        return g_strndup ((const char *) raw + i + kl, e - i - kl);
      }
  return NULL;
}

/* One SASL response (initial or on its own line) of the current
 * AUTHENTICATE; may emit a credential event after `ev` is emitted, so the
 * caller passes ownership of ev. */
static void
sasl_response (MsImapDecoder *d, MsEvent *ev, const char *t, gsize len)
{
  gsize n = 0;
  g_autofree guint8 *raw = NULL;
  char *user = NULL, *pass = NULL;
  const char *mech = d->sasl_mech ? d->sasl_mech : "";
  guint step = d->sasl_step++;

  if (len == 1 && t[0] == '*')
    {
      ms_event_add_bool (ev, "cancel", TRUE);
      emit (d, ev);
      return;
    }
  raw = len == 1 && t[0] == '=' ? (guint8 *) g_strdup ("") : b64_decode (t, len, &n);
  if (raw == NULL)
    {
      ev->flags |= MS_EVENT_MALFORMED;   /* SASL responses are base64 */
      emit (d, ev);
      return;
    }
  g_autofree char *b64 = g_strndup (t, len);
  if (strcmp (mech, "PLAIN") == 0 && step == 0)
    {
      /* authzid NUL authcid NUL passwd */
      const guint8 *nul1 = memchr (raw, 0, n);
      const guint8 *nul2 = nul1 ? memchr (nul1 + 1, 0, n - (gsize) (nul1 + 1 - raw)) : NULL;
      if (nul2)
        {
          user = g_strndup ((const char *) nul1 + 1, (gsize) (nul2 - nul1 - 1));
          pass = g_strndup ((const char *) nul2 + 1, n - (gsize) (nul2 + 1 - raw));
        }
      else
        ev->flags |= MS_EVENT_MALFORMED;
      add_secret (ev, b64);
      add_secret (ev, pass);
    }
  else if (strcmp (mech, "LOGIN") == 0 && step == 0)
    {
      g_free (d->sasl_user);
      d->sasl_user = g_strndup ((const char *) raw, n);
    }
  else if (strcmp (mech, "LOGIN") == 0 && step == 1)
    {
      user = g_strdup (d->sasl_user);
      pass = g_strndup ((const char *) raw, n);
      add_secret (ev, b64);
      add_secret (ev, pass);
    }
  else if ((strcmp (mech, "XOAUTH2") == 0 || strcmp (mech, "OAUTHBEARER") == 0) && step == 0)
    {
      /* XOAUTH2: "user=U^Aauth=Bearer T^A^A"; RFC 7628: "n,a=U,^A…auth=Bearer T^A^A".
       * The bearer token stands in for the password. */
      user = sasl_value (raw, n, strcmp (mech, "XOAUTH2") == 0 ? "user=" : "a=",
                         strcmp (mech, "XOAUTH2") == 0 ? '\x01' : ',');
      pass = sasl_value (raw, n, "auth=Bearer ", '\x01');
      add_secret (ev, b64);
      add_secret (ev, pass);
    }
  else if (strcmp (mech, "CRAM-MD5") == 0 && step == 0)
    {
      /* RFC 2195: "user hex-digest"; the password never crosses the wire. */
      const guint8 *sp = n > 0 ? memchr (raw, ' ', n) : NULL;
      if (sp)
        {
          g_autofree char *u = g_strndup ((const char *) raw, (gsize) (sp - raw));
          ms_event_ref (ev);
          emit (d, ev);
          emit_credential (d, ev, mech, u, NULL, FALSE);
          ms_event_unref (ev);
          return;
        }
    }
  ms_event_ref (ev);
  emit (d, ev);
  if (pass)
    emit_credential (d, ev, mech, user, pass, TRUE);
  ms_event_unref (ev);
  g_free (user);
  g_free (pass);
}

/* --- TLS hand-over ------------------------------------------------------- */

/* From now on this direction carries TLS: both after STARTTLS completed
 * with OK, the client's alone when its handshake overtakes that OK. */
static void
tls_switch (MsImapDecoder *d, MsDir dir)
{
  if (d->tls == NULL)
    {
      MsDecoderConfig cfg = { 0 };
      cfg.inner = MS_PROTO_IMAP;
      d->tls = ms_decoder_new (&ms_tls_decoder_class, d->parent.emitter, &cfg);
    }
  if (d->tls_on[dir])
    return;
  d->tls_on[dir] = TRUE;
  parser_reset_line (&d->p[dir]);
  d->p[dir].state = ST_LINE;
}

/* Is the newest command STARTTLS, still unanswered? */
static gboolean
starttls_pending (MsImapDecoder *d)
{
  Pending *pe = g_queue_peek_tail (&d->pending);
  return pe && strcmp (pe->command, "STARTTLS") == 0;
}

/* --- client lines -------------------------------------------------------- */

/* Registers the command of the client's current logical line in the
 * pending table, once, as soon as its first segment is read (a server may
 * answer a synchronising literal before the line ends). */
static void
client_head (MsImapDecoder *d)
{
  ImapParser *p = &d->p[MS_DIR_C2S];
  const char *t = p->text->str;
  gsize len = p->text->len;
  if (p->head_done || d->sasl)
    return;
  p->head_done = TRUE;
  gsize te = word_end (t, len, 0);
  if (te == 0 || te >= len)
    return;
  gsize cs = te + 1, ce = word_end (t, len, cs);
  if (word_is (t, cs, ce, "UID") && ce < len)
    {
      cs = ce + 1;
      ce = word_end (t, len, cs);
    }
  if (ce == cs || te > MS_IMAP_MAX_TAG || ce - cs > MS_IMAP_MAX_TAG)
    return;
  g_autofree char *tag = g_strndup (t, te);
  g_autofree char *cmd = word_upper (t, cs, ce);
  pending_add (d, tag, cmd);
}

/* FETCH: the items asked for and whether they move content. */
static void
client_fetch (MsImapDecoder *d, ImapParser *p, gsize args, MsEvent *ev)
{
  GPtrArray *toks = tokenize_from (p, args, ev);
  if (toks->len >= 2)
    {
      JsonArray *items = json_array_new ();
      gboolean moves = ms_imap_fetch_items (g_ptr_array_index (toks, 1), items);
      JsonNode *node = json_node_new (JSON_NODE_ARRAY);
      json_node_take_array (node, items);
      ms_event_add_node (ev, "fetch_items", node);
      ms_event_add_bool (ev, "moves_content", moves);
    }
  else
    ev->flags |= MS_EVENT_MALFORMED;
  g_ptr_array_unref (toks);
}

/* LOGIN user password: emits ev and then the credential. */
static void
client_login (MsImapDecoder *d, ImapParser *p, gsize args, MsEvent *ev)
{
  GPtrArray *toks = tokenize_from (p, args, ev);
  const char *user = toks->len > 0 ? ms_imap_tok_str (g_ptr_array_index (toks, 0)) : NULL;
  const char *pass = toks->len > 1 ? ms_imap_tok_str (g_ptr_array_index (toks, 1)) : NULL;
  if (pass)
    {
      g_autofree char *q = quoted_form (pass);
      add_secret (ev, pass);
      if (strcmp (q, pass) != 0)
        add_secret (ev, q);
    }
  else
    ev->flags |= MS_EVENT_MALFORMED;
  ms_event_ref (ev);
  emit (d, ev);
  if (pass)
    emit_credential (d, ev, "LOGIN", user, pass, TRUE);
  ms_event_unref (ev);
  g_ptr_array_unref (toks);
}

/* A complete client logical line: a SASL response, the DONE of IDLE, or a
 * command (emitted with its credential, if any). `rejected` when the server
 * refused its synchronising literal, which ends the line early. */
static void
client_line (MsImapDecoder *d, guint64 end, gboolean rejected)
{
  ImapParser *p = &d->p[MS_DIR_C2S];
  const char *t = p->text->str;
  gsize len = p->text->len;
  MsEvent *ev;

  if (d->sasl && !rejected)
    {
      ev = line_event (p, MS_DIR_C2S, "sasl", end);
      ms_event_add_bool (ev, "sasl", TRUE);
      sasl_response (d, ev, t, len);
      return;
    }
  if (d->idle && word_is (t, 0, len, "DONE"))
    {
      d->idle = FALSE;
      ev = line_event (p, MS_DIR_C2S, "idle-done", end);
      ms_event_add_str (ev, "command", "DONE");
      emit (d, ev);
      return;
    }

  gsize te = word_end (t, len, 0);
  gsize cs = te < len ? te + 1 : len, ce = word_end (t, len, cs);
  if (te == 0 || ce == cs)
    {
      ev = line_event (p, MS_DIR_C2S, "literal", end);
      ev->flags |= MS_EVENT_MALFORMED;
      emit (d, ev);
      return;
    }
  gboolean uid = FALSE;
  if (word_is (t, cs, ce, "UID") && ce < len)
    {
      uid = TRUE;
      cs = ce + 1;
      ce = word_end (t, len, cs);
    }
  if (!p->head_done)
    client_head (d);
  g_autofree char *cmd = word_upper (t, cs, ce);
  gsize args = ce < len ? ce + 1 : len;

  ev = line_event (p, MS_DIR_C2S, "command", end);
  if (!is_valid_tag (t, te) || !is_alpha_word (t + cs, ce - cs))
    ev->flags |= MS_EVENT_MALFORMED;
  ms_event_add_strn (ev, "tag", t, te);
  ms_event_add_str (ev, "command", cmd);
  if (uid)
    ms_event_add_bool (ev, "uid", TRUE);
  ms_event_add_strn (ev, "args", t + args, len - args);
  guint sync = 0;
  for (guint i = 0; i < p->lits->len; i++)
    sync += g_array_index (p->lits, MsImapLit, i).sync;
  if (sync)
    ms_event_add_int (ev, "sync_literals", sync);
  if (rejected)
    ms_event_add_bool (ev, "literal_rejected", TRUE);

  if (strcmp (cmd, "FETCH") == 0)
    client_fetch (d, p, args, ev);
  else if (strcmp (cmd, "SELECT") == 0 || strcmp (cmd, "EXAMINE") == 0)
    ms_imap_structures_clear (d->structs);
  else if (strcmp (cmd, "IDLE") == 0)
    d->idle = TRUE;
  else if (strcmp (cmd, "LOGIN") == 0 && !rejected)
    {
      client_login (d, p, args, ev);
      return;
    }
  else if (strcmp (cmd, "AUTHENTICATE") == 0 && !rejected)
    {
      gsize me = word_end (t, len, args);
      g_free (d->sasl_mech);
      d->sasl_mech = word_upper (t, args, me);
      d->sasl_step = 0;
      g_clear_pointer (&d->sasl_user, g_free);
      d->sasl = TRUE;
      if (me < len)   /* SASL-IR initial response */
        {
          ms_event_add_str (ev, "mechanism", d->sasl_mech);
          sasl_response (d, ev, t + me + 1, len - me - 1);
          return;
        }
      ms_event_add_str (ev, "mechanism", d->sasl_mech);
    }
  emit (d, ev);
}

/* --- server lines -------------------------------------------------------- */

/* Parses "[CODE …]" at text[s]; adds `code` (and `capabilities`). */
static void
add_resp_code (MsEvent *ev, const char *t, gsize len, gsize s)
{
  if (s >= len || t[s] != '[')
    return;
  gsize e = s + 1;
  while (e < len && t[e] != ' ' && t[e] != ']')
    e++;
  g_autofree char *code = word_upper (t, s + 1, e);
  ms_event_add_str (ev, "code", code);
  if (strcmp (code, "CAPABILITY") == 0)
    {
      gsize close = e;
      while (close < len && t[close] != ']')
        close++;
      JsonArray *caps = json_array_new ();
      gsize w = e;
      while (w < close)
        {
          while (w < close && t[w] == ' ')
            w++;
          gsize we = w;
          while (we < close && t[we] != ' ')
            we++;
          char word[128];
          if (we > w && we - w < sizeof word && g_utf8_validate_len (t + w, we - w, NULL))
            {
              /* The usual case, without a copy of our own on the heap. */
              memcpy (word, t + w, we - w);
              word[we - w] = '\0';
              json_array_add_string_element (caps, word);
            }
          else if (we > w)
            {
              g_autofree char *c = g_utf8_make_valid (t + w, (gssize) (we - w));
              json_array_add_string_element (caps, c);
            }
          w = we;
        }
      JsonNode *node = json_node_new (JSON_NODE_ARRAY);
      json_node_take_array (node, caps);
      ms_event_add_node (ev, "capabilities", node);
    }
}

static gboolean
is_status (const char *w)
{
  return strcmp (w, "OK") == 0 || strcmp (w, "NO") == 0 || strcmp (w, "BAD") == 0
         || strcmp (w, "BYE") == 0 || strcmp (w, "PREAUTH") == 0;
}

/* The client's synchronising literal was refused (tagged NO/BAD before
 * any literal byte): its command ends here. */
static void
client_abort_literal (MsImapDecoder *d, const char *tag)
{
  ImapParser *c = &d->p[MS_DIR_C2S];
  if (c->state != ST_LITERAL || c->lits->len == 0)
    return;
  const MsImapLit *lit = &g_array_index (c->lits, MsImapLit, c->lits->len - 1);
  gsize te = word_end (c->text->str, c->text->len, 0);
  if (!lit->sync || lit->got != 0 || te != strlen (tag)
      || strncmp (c->text->str, tag, te) != 0)
    return;
  client_line (d, c->pos, TRUE);
  parser_reset_line (c);
  c->state = ST_LINE;
}

/* "* …": status, data and message-number responses. */
static void
server_untagged (MsImapDecoder *d, ImapParser *p, guint64 end, gboolean first)
{
  const char *t = p->text->str;
  gsize len = p->text->len;
  gsize s = MIN ((gsize) 2, len), e = word_end (t, len, s);
  gint64 number = -1;
  MsEvent *ev = line_event (p, MS_DIR_S2C, "untagged", end);

  ms_event_add_bool (ev, "untagged", TRUE);
  if (e > s && g_ascii_isdigit (t[s]))
    {
      number = g_ascii_strtoll (t + s, NULL, 10);
      s = e < len ? e + 1 : len;
      e = word_end (t, len, s);
    }
  g_autofree char *kind = word_upper (t, s, e);
  gsize rest = e < len ? e + 1 : len;
  if (kind[0] == '\0')
    ev->flags |= MS_EVENT_MALFORMED;
  ms_event_add_str (ev, "kind", kind);
  if (number >= 0)
    ms_event_add_int (ev, "number", number);

  gboolean greeting = first && (strcmp (kind, "OK") == 0 || strcmp (kind, "PREAUTH") == 0
                                || strcmp (kind, "BYE") == 0);
  if (greeting)
    ms_event_add_bool (ev, "greeting", TRUE);
  else if (d->idle)
    ms_event_add_str (ev, "during", "IDLE");
  else if (!g_queue_is_empty (&d->pending))
    ms_event_add_str (ev, "during", ((Pending *) g_queue_peek_head (&d->pending))->command);

  if (is_status (kind))
    add_resp_code (ev, t, len, rest);
  else if (strcmp (kind, "CAPABILITY") == 0)
    {
      /* Same shape as the response code: reuse its parser on "[…". */
      g_autofree char *fake = g_strdup_printf ("[CAPABILITY %.*s]", (int) (len - rest), t + rest);
      gsize flen = strlen (fake);
      add_resp_code (ev, fake, flen, 0);
      ms_event_remove (ev, "code");
    }
  else if (strcmp (kind, "FETCH") == 0)
    {
      GPtrArray *toks = tokenize_from (p, rest, ev);
      if (toks->len > 0)
        ms_imap_fetch_response (d->structs, number, g_ptr_array_index (toks, 0), ev);
      else
        ev->flags |= MS_EVENT_MALFORMED;
      g_ptr_array_unref (toks);
    }
  else if (strcmp (kind, "EXPUNGE") == 0)
    ms_imap_structures_forget_numbers (d->structs);
  emit (d, ev);
}

/* A complete server logical line: untagged, continuation or tagged
 * completion; the completion closes its command and may switch modes. */
static void
server_line (MsImapDecoder *d, guint64 end)
{
  ImapParser *p = &d->p[MS_DIR_S2C];
  const char *t = p->text->str;
  gsize len = p->text->len;
  gboolean first = !d->greeting_seen;
  d->greeting_seen = TRUE;

  gsize we = word_end (t, len, 0);
  if (we == 1 && t[0] == '*')
    {
      server_untagged (d, p, end, first);
      return;
    }
  if (len > 0 && t[0] == '+' && (we == 1))
    {
      MsEvent *ev = line_event (p, MS_DIR_S2C, "continuation", end);
      ms_event_add_bool (ev, "continuation", TRUE);
      if (!g_queue_is_empty (&d->pending))
        ms_event_add_str (ev, "for_command", ((Pending *) g_queue_peek_tail (&d->pending))->command);
      emit (d, ev);
      return;
    }
  if (we == 0 || we >= len)
    {
      MsEvent *ev = line_event (p, MS_DIR_S2C, "data", end);
      ev->flags |= MS_EVENT_MALFORMED;
      emit (d, ev);
      return;
    }

  gsize ss = we + 1, se = word_end (t, len, ss);
  g_autofree char *tag = g_strndup (t, we);
  g_autofree char *status = word_upper (t, ss, se);
  client_abort_literal (d, tag);

  MsEvent *ev = line_event (p, MS_DIR_S2C, "completion", end);
  ms_event_add_strn (ev, "tag", t, we);
  ms_event_add_str (ev, "status", status);
  if (strcmp (status, "OK") != 0 && strcmp (status, "NO") != 0 && strcmp (status, "BAD") != 0)
    ev->flags |= MS_EVENT_MALFORMED;
  add_resp_code (ev, t, len, se < len ? se + 1 : len);
  Pending *pe = pending_take (d, tag);
  gboolean tls = FALSE, compress = FALSE;
  if (pe)
    {
      ms_event_add_str (ev, "for_command", pe->command);
      if (strcmp (pe->command, "AUTHENTICATE") == 0)
        d->sasl = FALSE;
      else if (strcmp (pe->command, "IDLE") == 0)
        d->idle = FALSE;
      else if (strcmp (pe->command, "STARTTLS") == 0 && strcmp (status, "OK") == 0)
        tls = TRUE;
      else if (strcmp (pe->command, "COMPRESS") == 0 && strcmp (status, "OK") == 0)
        compress = TRUE;
      pending_free (pe);
    }
  emit (d, ev);
  if (tls)
    {
      tls_switch (d, MS_DIR_C2S);
      tls_switch (d, MS_DIR_S2C);
    }
  if (compress)
    for (int i = 0; i < 2; i++)
      {
        ImapParser *q = &d->p[i];
        parser_reset_line (q);
        q->state = ST_OPAQUE;
        q->opaque_start = i == MS_DIR_S2C ? end : q->pos;
      }
}

/* --- the byte-level parser ----------------------------------------------- */

/* Recognises "{n}", "{n+}" or "~{n}" at the end of the text. Returns TRUE
 * when present; *too_big when n exceeds MS_IMAP_MAX_LITERAL. */
static gboolean
literal_suffix (const GString *text, gsize seg_start, MsImapLit *lit, gboolean *too_big)
{
  const char *t = text->str;
  gsize len = text->len;
  *too_big = FALSE;
  if (len < 3 || t[len - 1] != '}')
    return FALSE;
  gsize e = len - 1;
  gboolean plus = FALSE;
  if (t[e - 1] == '+')
    {
      plus = TRUE;
      e--;
    }
  gsize s = e;
  while (s > 0 && g_ascii_isdigit (t[s - 1]))
    s--;
  if (s == e || s == 0 || t[s - 1] != '{' || s - 1 < seg_start)
    return FALSE;
  guint64 n = 0;
  for (gsize i = s; i < e; i++)
    {
      n = n * 10 + (guint64) (t[i] - '0');
      if (n > MS_IMAP_MAX_LITERAL)
        {
          *too_big = TRUE;
          return TRUE;
        }
    }
  memset (lit, 0, sizeof *lit);
  lit->start = s - 1;
  lit->binary = lit->start > 0 && t[lit->start - 1] == '~';
  if (lit->binary)
    lit->start--;
  lit->end = len;
  lit->size = n;
  lit->sync = !plus;
  return TRUE;
}

static gboolean
word_in (const char *t, gsize s, gsize e, const char *const *list, guint n)
{
  for (guint i = 0; i < n; i++)
    if (word_is (t, s, e, list[i]))
      return TRUE;
  return FALSE;
}

/* Midstream: does this first line look like a whole line (a command, or a
 * response) rather than the tail of one or a piece of a literal? */
static gboolean
looks_like_line_start (MsDir dir, const char *t, gsize len)
{
  gsize te = word_end (t, len, 0);
  if (te == 0)
    return FALSE;
  gsize ws = te < len ? te + 1 : len, we = word_end (t, len, ws);
  if (dir == MS_DIR_C2S)
    return is_valid_tag (t, te)
           && word_in (t, ws, we, known_commands, G_N_ELEMENTS (known_commands));
  if (te == 1 && t[0] == '+')
    return TRUE;
  if (te == 1 && t[0] == '*')
    {
      if (we > ws && g_ascii_isdigit (t[ws]))
        {
          gsize ks = we < len ? we + 1 : len;
          return we - ws <= 10 && word_end (t, len, ks) > ks;
        }
      return word_in (t, ws, we, known_untagged, G_N_ELEMENTS (known_untagged));
    }
  return is_valid_tag (t, te)
         && (word_is (t, ws, we, "OK") || word_is (t, ws, we, "NO") || word_is (t, ws, we, "BAD"));
}

static void
line_done (MsImapDecoder *d, MsDir dir, guint64 end)
{
  if (dir == MS_DIR_C2S)
    client_line (d, end, FALSE);
  else
    server_line (d, end);
  if (!d->tls_on[dir])
    parser_reset_line (&d->p[dir]);
}

/* A line segment ended at LF (stream offset `end` after it): either a
 * literal follows or the logical line is complete. */
static void
segment_end (MsImapDecoder *d, MsDir dir, guint64 end)
{
  ImapParser *p = &d->p[dir];
  if (p->text->len > 0 && p->text->str[p->text->len - 1] == '\r')
    g_string_truncate (p->text, p->text->len - 1);
  if (p->probing)
    {
      p->probing = FALSE;
      if (p->overlong || !looks_like_line_start (dir, p->text->str, p->text->len))
        {
          parser_reset_line (p);   /* a fragment: resynchronised from here */
          return;
        }
    }
  if (!p->overlong && !(dir == MS_DIR_C2S && d->sasl))
    {
      MsImapLit lit;
      gboolean too_big;
      if (literal_suffix (p->text, p->seg_start, &lit, &too_big))
        {
          if (too_big)
            p->bad = TRUE;
          else
            {
              p->lit_recorded = p->lits->len < MS_IMAP_MAX_LITERALS;
              if (p->lit_recorded)
                {
                  if (lit.size <= MS_IMAP_KEEP_LITERAL
                      && p->kept_total + lit.size <= MS_IMAP_MAX_LINE)
                    {
                      lit.kept = g_byte_array_sized_new ((guint) lit.size);
                      p->kept_total += lit.size;
                    }
                  g_array_append_val (p->lits, lit);
                }
              else
                p->bad = TRUE;
              if (dir == MS_DIR_C2S)
                client_head (d);
              p->lit_left = lit.size;
              p->seg_start = p->text->len;
              if (lit.size > 0)
                p->state = ST_LITERAL;
              return;
            }
        }
    }
  line_done (d, dir, end);
}

static void
literal_bytes (ImapParser *p, const guint8 *data, gsize n)
{
  if (!p->lit_recorded)
    return;
  MsImapLit *lit = &g_array_index (p->lits, MsImapLit, p->lits->len - 1);
  lit->got += n;
  if (lit->kept)
    g_byte_array_append (lit->kept, data, (guint) n);
}

/* Consumes any split of one direction's bytes; see the file comment. */
static void
imap_feed (MsDecoder *dec, MsDir dir, guint64 offset, const guint8 *data, gsize len)
{
  MsImapDecoder *d = (MsImapDecoder *) dec;
  if (dir != MS_DIR_C2S && dir != MS_DIR_S2C)
    return;
  ImapParser *p = &d->p[dir];
  gsize i = 0;

  while (i < len)
    {
      if (d->tls_on[dir])
        {
          ms_decoder_feed (d->tls, dir, offset + i, data + i, len - i);
          return;
        }
      /* A TLS handshake record (type 22) where a client line should start. */
      if (dir == MS_DIR_C2S && p->state == ST_LINE && !p->started && data[i] == 0x16
          && starttls_pending (d))
        {
          tls_switch (d, dir);
          continue;
        }
      p->pos = offset + i;
      switch (p->state)
        {
        case ST_SKIP:
          {
            const guint8 *lf = memchr (data + i, '\n', len - i);
            i = lf ? (gsize) (lf - data) + 1 : len;
            if (lf)
              p->state = ST_LINE;
            break;
          }
        case ST_OPAQUE:
          p->opaque_bytes += len - i;
          i = len;
          break;
        case ST_LITERAL:
          {
            gsize n = (gsize) MIN (p->lit_left, (guint64) (len - i));
            literal_bytes (p, data + i, n);
            p->lit_left -= n;
            i += n;
            if (p->lit_left == 0)
              p->state = ST_LINE;
            break;
          }
        case ST_LINE:
        default:
          {
            if (!p->started)
              {
                p->started = TRUE;
                p->start = offset + i;
              }
            const guint8 *lf = memchr (data + i, '\n', len - i);
            gsize stop = lf ? (gsize) (lf - data) : len;
            text_append (p, data + i, stop - i);
            i = stop;
            if (lf)
              {
                i++;
                p->pos = offset + i;
                segment_end (d, dir, offset + i);
              }
            break;
          }
        }
    }
  p->pos = offset + len;
}

/* --- class --------------------------------------------------------------- */

/* YES for a greeting (server) or "tag KNOWN-COMMAND" (client). */
static MsSniff
imap_sniff (MsDir dir, const guint8 *data, gsize len)
{
  const char *t = (const char *) data;
  if (dir == MS_DIR_S2C)
    {
      static const char *const greet[] = { "* OK ", "* PREAUTH " };
      gboolean partial = FALSE;
      for (guint i = 0; i < G_N_ELEMENTS (greet); i++)
        {
          gsize n = strlen (greet[i]);
          gsize m = MIN (n, len);
          if (g_ascii_strncasecmp (t, greet[i], m) == 0)
            {
              if (m == n)
                return MS_SNIFF_YES;
              partial = TRUE;
            }
        }
      return partial ? MS_SNIFF_NEED_MORE : MS_SNIFF_NO;
    }
  gsize te = 0;
  while (te < len && is_tag_char ((guchar) t[te]))
    te++;
  if (te == len)
    return te < MS_IMAP_SNIFF_WORD ? MS_SNIFF_NEED_MORE : MS_SNIFF_NO;
  if (te == 0 || t[te] != ' ' || te > MS_IMAP_SNIFF_WORD)
    return MS_SNIFF_NO;
  gsize cs = te + 1, ce = cs;
  while (ce < len && g_ascii_isalpha (t[ce]))
    ce++;
  gboolean ended = ce < len && (t[ce] == ' ' || t[ce] == '\r' || t[ce] == '\n');
  if (ce < len && !ended)
    return MS_SNIFF_NO;
  for (guint i = 0; i < G_N_ELEMENTS (known_commands); i++)
    {
      const char *k = known_commands[i];
      gsize kn = strlen (k);
      if (ended && ce - cs == kn && g_ascii_strncasecmp (t + cs, k, kn) == 0)
        return MS_SNIFF_YES;
      if (!ended && ce - cs <= kn && g_ascii_strncasecmp (t + cs, k, ce - cs) == 0)
        return MS_SNIFF_NEED_MORE;
    }
  return MS_SNIFF_NO;
}

static MsDecoder *
imap_create (MsEmitter *emitter, const MsDecoderConfig *config)
{
  MsImapDecoder *d = g_new0 (MsImapDecoder, 1);
  gboolean midstream = config && (config->flags & MS_DECODER_MIDSTREAM);
  d->parent.klass = &ms_imap_decoder_class;
  d->parent.emitter = emitter;
  parser_init (&d->p[0], midstream);
  parser_init (&d->p[1], midstream);
  d->greeting_seen = midstream;
  g_queue_init (&d->pending);
  d->structs = ms_imap_structures_new ();
  return &d->parent;
}

/* Bytes at `offset` are lost: shorten a literal by them, or drop the line
 * and resynchronise at the next LF. */
static void
imap_gap (MsDecoder *dec, MsDir dir, guint64 offset, guint64 missing)
{
  MsImapDecoder *d = (MsImapDecoder *) dec;
  if (dir != MS_DIR_C2S && dir != MS_DIR_S2C)
    return;
  if (d->tls_on[dir])
    {
      ms_decoder_gap (d->tls, dir, offset, missing);
      return;
    }
  ImapParser *p = &d->p[dir];
  p->pos = offset + missing;
  p->probing = FALSE;
  if (p->state == ST_OPAQUE)
    {
      p->opaque_bytes += missing;
      p->flags |= MS_EVENT_GAP;
      return;
    }
  if (p->state == ST_LITERAL)
    {
      p->flags |= MS_EVENT_GAP;
      if (missing < p->lit_left)
        {
          p->lit_left -= missing;
          return;
        }
      missing -= p->lit_left;
      p->lit_left = 0;
      p->state = ST_LINE;
      if (missing == 0)
        return;
    }
  if (p->state == ST_LINE && p->started)
    {
      p->flags |= MS_EVENT_GAP | MS_EVENT_TRUNCATED;
      line_done (d, dir, offset);
      if (d->tls_on[dir])
        return;
    }
  p->flags |= MS_EVENT_GAP;
  p->state = ST_SKIP;
}

/* Flushes open lines and literals as truncated events. */
static void
imap_finish (MsDecoder *dec)
{
  MsImapDecoder *d = (MsImapDecoder *) dec;
  for (int dir = 0; dir < 2; dir++)
    {
      ImapParser *p = &d->p[dir];
      if (d->tls_on[dir])
        continue;
      if (p->state == ST_OPAQUE && p->opaque_bytes > 0)
        {
          MsEvent *ev = ms_event_new (MS_PROTO_IMAP, (MsDir) dir, "data");
          ms_event_set_range (ev, p->opaque_start, p->opaque_bytes);
          ev->flags |= p->flags;
          ms_event_add_bool (ev, "compressed", TRUE);
          ms_event_add_int (ev, "bytes", (gint64) p->opaque_bytes);
          emit (d, ev);
          continue;
        }
      if (p->state == ST_SKIP || !p->started)
        continue;
      if (p->probing && (p->overlong || !looks_like_line_start ((MsDir) dir, p->text->str,
                                                                  p->text->len)))
        continue;
      if (p->text->len > 0 && p->text->str[p->text->len - 1] == '\r')
        g_string_truncate (p->text, p->text->len - 1);
      p->flags |= MS_EVENT_TRUNCATED;
      line_done (d, (MsDir) dir, p->pos);
      p->state = ST_LINE;
    }
  if (d->tls)
    ms_decoder_finish (d->tls);
}

static void
imap_destroy (MsDecoder *dec)
{
  MsImapDecoder *d = (MsImapDecoder *) dec;
  parser_clear (&d->p[0]);
  parser_clear (&d->p[1]);
  g_queue_clear_full (&d->pending, (GDestroyNotify) pending_free);
  g_free (d->sasl_mech);
  g_free (d->sasl_user);
  ms_decoder_free (d->tls);
  ms_imap_structures_free (d->structs);
  g_free (d);
}

const MsDecoderClass ms_imap_decoder_class = {
  .proto = MS_PROTO_IMAP,
  .name = "imap",
  .ports = imap_ports,
  .sniff = imap_sniff,
  .create = imap_create,
  .feed = imap_feed,
  .gap = imap_gap,
  .finish = imap_finish,
  .destroy = imap_destroy,
};
