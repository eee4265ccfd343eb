/* ms-imap.c - IMAP stream decoder (RFC 3501 IMAP4rev1, RFC 9051 IMAP4rev2;
 * LITERAL+ RFC 7888, BINARY RFC 3516, IDLE RFC 2177, SASL-IR RFC 4959,
 * SASL PLAIN RFC 4616, CRAM-MD5 RFC 2195, OAUTHBEARER RFC 7628, COMPRESS
 * RFC 4978, STARTTLS RFC 3501 section 6.2.1): the decoder class and the
 * line-and-literal framing of each direction.
 *
 * Each direction has its own resumable line parser: text outside literals
 * is gathered up to LF (capped), literal bytes are counted, never scanned,
 * and one logical line (a command or response with all its literals)
 * becomes one event. The two directions meet in the pending-command table
 * and the session modes (SASL exchange, IDLE, STARTTLS hand-over).
 * Client lines are interpreted in ms-imap-command.c, server lines in
 * ms-imap-response.c. */
#include "config.h"

#include <string.h>

#include "ms-imap-private.h"

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

/* --- small helpers ------------------------------------------------------ */

void
ms_imap_pending_free (Pending *pe)
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
void
ms_imap_parser_reset_line (ImapParser *p)
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

/* The Info text: the line as sent, literals as "{n}⟨…⟩", shortened;
 * written into `out`. */
static void
make_info (const ImapParser *p, GString *out)
{
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
}

static void
info_buffer_free (gpointer data)
{
  g_string_free (data, TRUE);
}

/* One buffer per thread to write Info texts in: the event keeps a copy (in
 * its own block when it fits). Returned empty. */
static GPrivate info_key = G_PRIVATE_INIT (info_buffer_free);

static GString *
info_buffer (void)
{
  GString *info = g_private_get (&info_key);
  if (info == NULL)
    {
      info = g_string_sized_new (MS_IMAP_INFO_MAX * 4 + 16);
      g_private_set (&info_key, info);
    }
  g_string_truncate (info, 0);
  return info;
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
MsEvent *
ms_imap_line_event (ImapParser *p, MsDir dir, const char *kind, guint64 end)
{
  MsEvent *ev = ms_event_new (MS_PROTO_IMAP, dir, kind);
  ms_event_set_range (ev, p->start, end - p->start);
  ev->flags |= p->flags;
  if (p->overlong || p->bad)
    ev->flags |= MS_EVENT_MALFORMED;
  GString *info = info_buffer ();
  make_info (p, info);
  ms_event_set_info_len (ev, info->str, info->len);
  if (p->lits->len > 0)
    ms_event_add_int (ev, "literal_bytes", (gint64) line_literal_bytes (p));
  return ev;
}

MsImapToks *
ms_imap_tokenize_from (ImapParser *p, gsize start, MsEvent *ev)
{
  gboolean malformed = FALSE;
  MsImapToks *toks = ms_imap_tokenize (p->text->str, p->text->len, start,
                                       (const MsImapLit *) p->lits->data, p->lits->len,
                                       &malformed);
  if (malformed)
    ev->flags |= MS_EVENT_MALFORMED;
  return toks;
}

/* --- pending commands ---------------------------------------------------- */

void
ms_imap_pending_add (MsImapDecoder *d, const char *tag, const char *command)
{
  while (g_queue_get_length (&d->pending) >= MS_IMAP_MAX_PENDING)
    ms_imap_pending_free (g_queue_pop_head (&d->pending));
  Pending *pe = g_new0 (Pending, 1);
  pe->tag = g_strdup (tag);
  pe->command = g_strdup (command);
  g_queue_push_tail (&d->pending, pe);
}

/* Removes and returns the pending command with that tag, or NULL. */
Pending *
ms_imap_pending_take (MsImapDecoder *d, const char *tag)
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

/* --- TLS hand-over ------------------------------------------------------- */

/* From now on this direction carries TLS: both after STARTTLS completed
 * with OK, the client's alone when its handshake overtakes that OK. */
void
ms_imap_tls_switch (MsImapDecoder *d, MsDir dir)
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
  ms_imap_parser_reset_line (&d->p[dir]);
  d->p[dir].state = ST_LINE;
}

/* Is the newest command STARTTLS, still unanswered? */
static gboolean
starttls_pending (MsImapDecoder *d)
{
  Pending *pe = g_queue_peek_tail (&d->pending);
  return pe && strcmp (pe->command, "STARTTLS") == 0;
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
    ms_imap_client_line (d, end, FALSE);
  else
    ms_imap_server_line (d, end);
  if (!d->tls_on[dir])
    ms_imap_parser_reset_line (&d->p[dir]);
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
          ms_imap_parser_reset_line (p);   /* a fragment: resynchronised from here */
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
                ms_imap_client_head (d);
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
          ms_imap_tls_switch (d, dir);
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
  g_queue_clear_full (&d->pending, (GDestroyNotify) ms_imap_pending_free);
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
