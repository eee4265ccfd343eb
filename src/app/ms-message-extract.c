/* ms-message-extract.c - message bytes back out of a capture file.
 *
 * The decoders count message bytes but keep none of them; the message view
 * needs the bytes themselves. The capture's frame records know each frame's
 * payload offset in its stream direction (rel_seq), and events know their
 * byte range in that stream, so a range is rebuilt by reading the frames
 * that overlap it again, in one sequential pass over the file. Bytes no
 * frame holds stay zero and are listed as missing: a student sees a gap,
 * never made-up content. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "mailscope/ms-packet.h"
#include "mailscope/ms-source.h"
#include "ms-message-extract.h"

/* FETCH responses nest lists (ENVELOPE, BODYSTRUCTURE) a few levels; the
 * decoder itself refuses deeper than 64. */
#define MS_EXTRACT_MAX_DEPTH 64
/* Items read from one list; a FETCH response has a dozen. */
#define MS_EXTRACT_MAX_ITEMS 4096

/* --- frames of a stream direction ---------------------------------------- */

static int
cmp_frame_seq (gconstpointer a, gconstpointer b)
{
  const MsStreamFrame *x = a, *y = b;
  if (x->rel_seq != y->rel_seq)
    return x->rel_seq < y->rel_seq ? -1 : 1;
  return x->number < y->number ? -1 : (x->number > y->number);
}

void
ms_extract_collect_frames (MsCapture *capture, GHashTable *sessions, MsDir dir)
{
  guint n = ms_capture_get_n_frames (capture);
  GHashTableIter it;
  gpointer value;

  for (guint i = 0; i < n; i++)
    {
      const MsFrameRecord *r = ms_capture_get_frame (capture, i);
      GArray *frames;
      MsStreamFrame f;

      if (r->dir != dir || r->ip_proto != 6 || r->payload_offset == G_MAXUINT16
          || r->caplen <= r->payload_offset
          || !(frames = g_hash_table_lookup (sessions, GUINT_TO_POINTER (r->session))))
        continue;
      f.number = r->number;
      f.rel_seq = r->rel_seq;
      f.caplen = r->caplen;
      g_array_append_val (frames, f);
    }
  g_hash_table_iter_init (&it, sessions);
  while (g_hash_table_iter_next (&it, NULL, &value))
    g_array_sort (value, cmp_frame_seq);
}

void
ms_stream_range_clear (MsStreamRange *r)
{
  g_clear_pointer (&r->data, g_free);
  g_clear_pointer (&r->missing, g_array_unref);
}

/* --- reading ranges ------------------------------------------------------ */

typedef struct {
  guint range;          /* index into the ranges */
  guint32 rel_seq;
} Want;

static int
cmp_range (gconstpointer a, gconstpointer b)
{
  const MsByteRange *x = a, *y = b;
  return x->start < y->start ? -1 : (x->start > y->start);
}

/* Complement of the covered ranges within [0, len). */
static GArray *
missing_from_covered (GArray *covered, gsize len)
{
  GArray *missing = g_array_new (FALSE, FALSE, sizeof (MsByteRange));
  gsize at = 0;

  g_array_sort (covered, cmp_range);
  for (guint i = 0; i < covered->len; i++)
    {
      const MsByteRange *c = &g_array_index (covered, MsByteRange, i);
      if (c->start > at)
        {
          MsByteRange m = { at, c->start };
          g_array_append_val (missing, m);
        }
      at = MAX (at, c->end);
    }
  if (at < len)
    {
      MsByteRange m = { at, len };
      g_array_append_val (missing, m);
    }
  return missing;
}

/* Frames to read for each range, keyed by frame number. */
static GHashTable *
plan_reads (MsStreamRange **ranges, guint n)
{
  GHashTable *want = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_array_unref);

  for (guint k = 0; k < n; k++)
    {
      MsStreamRange *r = ranges[k];
      const GArray *fr = r->frames;
      guint64 first = r->off > MS_EXTRACT_MAX_SEGMENT ? r->off - MS_EXTRACT_MAX_SEGMENT : 0;
      guint lo = 0, hi = fr ? fr->len : 0;

      /* First frame that may reach into the range. */
      while (lo < hi)
        {
          guint mid = lo + (hi - lo) / 2;
          if (g_array_index (fr, MsStreamFrame, mid).rel_seq < first)
            lo = mid + 1;
          else
            hi = mid;
        }
      for (guint i = lo; fr && i < fr->len; i++)
        {
          const MsStreamFrame *f = &g_array_index (fr, MsStreamFrame, i);
          GArray *list;
          Want w = { k, f->rel_seq };

          if (f->rel_seq >= r->off + r->len)
            break;
          if ((guint64) f->rel_seq + f->caplen <= r->off)
            continue;
          list = g_hash_table_lookup (want, GUINT_TO_POINTER (f->number));
          if (list == NULL)
            {
              list = g_array_new (FALSE, FALSE, sizeof (Want));
              g_hash_table_insert (want, GUINT_TO_POINTER (f->number), list);
            }
          g_array_append_val (list, w);
        }
    }
  return want;
}

gboolean
ms_extract_read_ranges (const char *path, MsStreamRange **ranges, guint n,
                        GCancellable *cancellable, GError **error)
{
  g_autoptr (GHashTable) want = plan_reads (ranges, n);
  g_autoptr (GPtrArray) covered = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  guint left = g_hash_table_size (want);
  MsSource *src = NULL;
  MsFrame frame;
  gboolean ok = TRUE;

  for (guint k = 0; k < n; k++)
    {
      ranges[k]->data = g_malloc0 (MAX (ranges[k]->len, 1));
      g_ptr_array_add (covered, g_array_new (FALSE, FALSE, sizeof (MsByteRange)));
    }
  if (left > 0)
    {
      src = ms_source_open_file (path, error);
      if (src == NULL)
        ok = FALSE;
    }
  while (ok && left > 0)
    {
      GError *local = NULL;
      int rc = ms_source_next (src, &frame, &local);
      GArray *list;
      MsPacket pkt;

      if (rc != 1)
        {
          /* A file cut short still gives the frames before the cut. */
          if (local && !g_error_matches (local, MS_SOURCE_ERROR, MS_SOURCE_ERROR_TRUNCATED))
            {
              g_propagate_error (error, local);
              ok = FALSE;
            }
          g_clear_error (&local);
          break;
        }
      if ((frame.number & 1023) == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          ok = FALSE;
          break;
        }
      list = g_hash_table_lookup (want, GUINT_TO_POINTER (frame.number));
      if (list == NULL)
        continue;
      left--;
      ms_packet_decode (&frame, NULL, &pkt);
      for (guint i = 0; pkt.ip_proto == 6 && pkt.payload && i < list->len; i++)
        {
          const Want *w = &g_array_index (list, Want, i);
          MsStreamRange *r = ranges[w->range];
          guint64 a = MAX ((guint64) w->rel_seq, r->off);
          guint64 b = MIN ((guint64) w->rel_seq + pkt.payload_len, r->off + r->len);
          MsByteRange c;

          if (a >= b)
            continue;
          memcpy (r->data + (a - r->off), pkt.payload + (a - w->rel_seq), b - a);
          c.start = a - r->off;
          c.end = b - r->off;
          g_array_append_val (g_ptr_array_index (covered, w->range), c);
        }
      ms_packet_clear (&pkt);
    }
  if (src)
    ms_source_close (src);
  for (guint k = 0; k < n; k++)
    ranges[k]->missing = missing_from_covered (g_ptr_array_index (covered, k), ranges[k]->len);
  return ok;
}

/* --- POP3 ---------------------------------------------------------------- */

/* Length of the line starting at `p` (through its LF), or to the end. */
static gsize
line_len (const guint8 *data, gsize len, gsize p)
{
  const guint8 *lf = memchr (data + p, '\n', len - p);
  return lf ? (gsize) (lf - (data + p)) + 1 : len - p;
}

static void
add_missing (GArray *missing, gsize start, gsize end)
{
  MsByteRange *last = missing->len ? &g_array_index (missing, MsByteRange, missing->len - 1) : NULL;
  if (start >= end)
    return;
  if (last && last->end == start)
    last->end = end;
  else
    {
      MsByteRange m = { start, end };
      g_array_append_val (missing, m);
    }
}

/* Copies data[from, to) to out, carrying missing ranges over. */
static void
copy_mapped (GByteArray *out, GArray *out_missing, const guint8 *data, gsize from, gsize to,
             const GArray *missing)
{
  gsize base = out->len;

  g_byte_array_append (out, data + from, (guint) (to - from));
  for (guint i = 0; missing && i < missing->len; i++)
    {
      const MsByteRange *m = &g_array_index (missing, MsByteRange, i);
      gsize a = MAX (m->start, from), b = MIN (m->end, to);
      if (a < b)
        add_missing (out_missing, base + (a - from), base + (b - from));
    }
}

GByteArray *
ms_extract_pop3_payload (const MsStreamRange *r, GArray **out_missing, gboolean *terminated)
{
  GByteArray *out = g_byte_array_sized_new ((guint) MIN (r->len, G_MAXUINT));
  GArray *missing = g_array_new (FALSE, FALSE, sizeof (MsByteRange));
  gsize p = line_len (r->data, r->len, 0);   /* past the status line */

  *terminated = FALSE;
  while (p < r->len)
    {
      gsize n = line_len (r->data, r->len, p);
      const guint8 *l = r->data + p;
      gboolean whole = l[n - 1] == '\n';

      /* RFC 1939 §3: a line of "." alone ends the answer; any other line
       * starting with "." had one more dot put in front of it. */
      if (whole && l[0] == '.' && (n == 2 || (n == 3 && l[1] == '\r')))
        {
          *terminated = TRUE;
          break;
        }
      if (l[0] == '.')
        copy_mapped (out, missing, r->data, p + 1, p + n, r->missing);
      else
        copy_mapped (out, missing, r->data, p, p + n, r->missing);
      p += n;
    }
  *out_missing = missing;
  return out;
}

GHashTable *
ms_extract_pop3_list (const MsStreamRange *r)
{
  GHashTable *sizes = g_hash_table_new (NULL, NULL);
  gsize p = line_len (r->data, r->len, 0);

  while (p < r->len)
    {
      gsize n = line_len (r->data, r->len, p);
      g_autofree char *line = g_strndup ((const char *) r->data + p, n);
      char *end = NULL;
      guint64 number = g_ascii_strtoull (line, &end, 10);
      guint64 size;

      p += n;
      if (end == line || *end != ' ' || number == 0 || number > G_MAXUINT32)
        continue;
      size = g_ascii_strtoull (end + 1, &end, 10);
      if (size <= G_MAXINT64)
        g_hash_table_insert (sizes, GUINT_TO_POINTER ((guint) number),
                             GSIZE_TO_POINTER ((gsize) size));
    }
  return sizes;
}

/* --- IMAP FETCH responses ----------------------------------------------- */

typedef enum { TOK_ATOM, TOK_STRING, TOK_NIL, TOK_LIST } TokType;

typedef struct _Tok Tok;
struct _Tok {
  TokType type;
  char *text;          /* atom, quoted string (unescaped), or NULL */
  gboolean literal;    /* a {n} literal: its bytes are in the data */
  guint64 announced;   /* octets of a string or literal */
  gsize start, len;    /* a literal's bytes in the data (len: as far as held) */
  GPtrArray *items;    /* TOK_LIST */
};

typedef struct {
  const MsStreamRange *r;
  gsize p;
  gboolean eof;        /* ran out of bytes */
} Lexer;

static void
tok_free (Tok *t)
{
  if (t == NULL)
    return;
  g_free (t->text);
  if (t->items)
    g_ptr_array_unref (t->items);
  g_free (t);
}

static Tok *
tok_new (TokType type)
{
  Tok *t = g_new0 (Tok, 1);
  t->type = type;
  return t;
}

static void
skip_spaces (Lexer *lx)
{
  while (lx->p < lx->r->len && lx->r->data[lx->p] == ' ')
    lx->p++;
}

static gboolean
is_atom_end (guint8 c)
{
  return c == ' ' || c == '(' || c == ')' || c == '\r' || c == '\n' || c == '{' || c == '"';
}

/* An atom; a [...] inside it (BODY[HEADER.FIELDS (FROM)]) is kept whole,
 * spaces and parentheses included, and so is a following <origin>. */
static Tok *
lex_atom (Lexer *lx)
{
  const guint8 *d = lx->r->data;
  gsize s = lx->p;
  Tok *t;

  while (lx->p < lx->r->len && !is_atom_end (d[lx->p]))
    {
      if (d[lx->p] == '[')
        {
          while (lx->p < lx->r->len && d[lx->p] != ']' && d[lx->p] != '\n')
            lx->p++;
          if (lx->p < lx->r->len && d[lx->p] == ']')
            lx->p++;
          if (lx->p < lx->r->len && d[lx->p] == '<')
            while (lx->p < lx->r->len && d[lx->p] != '>' && d[lx->p] != '\n' && d[lx->p] != ' ')
              lx->p++;
          if (lx->p < lx->r->len && d[lx->p] == '>')
            lx->p++;
          continue;
        }
      lx->p++;
    }
  if (lx->p == s)
    return NULL;
  if (lx->p - s == 3 && g_ascii_strncasecmp ((const char *) d + s, "NIL", 3) == 0)
    return tok_new (TOK_NIL);
  t = tok_new (TOK_ATOM);
  t->text = g_strndup ((const char *) d + s, lx->p - s);
  return t;
}

static Tok *
lex_quoted (Lexer *lx)
{
  const guint8 *d = lx->r->data;
  GString *s = g_string_new (NULL);
  Tok *t;

  lx->p++;
  while (lx->p < lx->r->len && d[lx->p] != '"' && d[lx->p] != '\n')
    {
      if (d[lx->p] == '\\' && lx->p + 1 < lx->r->len)
        lx->p++;
      g_string_append_c (s, (char) d[lx->p++]);
    }
  if (lx->p < lx->r->len && d[lx->p] == '"')
    lx->p++;
  else
    lx->eof = lx->p >= lx->r->len;
  t = tok_new (TOK_STRING);
  t->announced = s->len;
  t->text = g_string_free (s, FALSE);
  return t;
}

/* {n} or ~{n} (literal8), CRLF, n octets. */
static Tok *
lex_literal (Lexer *lx)
{
  const guint8 *d = lx->r->data;
  guint64 n = 0;
  Tok *t;

  if (d[lx->p] == '~')
    lx->p++;
  lx->p++;  /* { */
  while (lx->p < lx->r->len && g_ascii_isdigit (d[lx->p]))
    {
      if (n > G_MAXUINT64 / 10 - 10)
        return NULL;
      n = n * 10 + (guint64) (d[lx->p++] - '0');
    }
  if (lx->p < lx->r->len && d[lx->p] == '+')
    lx->p++;
  if (lx->p >= lx->r->len || d[lx->p] != '}')
    {
      lx->eof = lx->p >= lx->r->len;
      return NULL;
    }
  lx->p++;
  if (lx->p < lx->r->len && d[lx->p] == '\r')
    lx->p++;
  if (lx->p < lx->r->len && d[lx->p] == '\n')
    lx->p++;
  t = tok_new (TOK_STRING);
  t->literal = TRUE;
  t->announced = n;
  t->start = lx->p;
  t->len = (gsize) MIN (n, (guint64) (lx->r->len - lx->p));
  lx->p += t->len;
  if (t->len < n)
    lx->eof = TRUE;
  return t;
}

static Tok *lex_value (Lexer *lx, guint depth);

static Tok *
lex_list (Lexer *lx, guint depth)
{
  Tok *t = tok_new (TOK_LIST);

  t->items = g_ptr_array_new_with_free_func ((GDestroyNotify) tok_free);
  lx->p++;  /* ( */
  for (;;)
    {
      Tok *item;
      skip_spaces (lx);
      if (lx->p >= lx->r->len)
        {
          lx->eof = TRUE;
          break;
        }
      if (lx->r->data[lx->p] == ')')
        {
          lx->p++;
          break;
        }
      if (t->items->len >= MS_EXTRACT_MAX_ITEMS || (item = lex_value (lx, depth + 1)) == NULL)
        break;
      g_ptr_array_add (t->items, item);
      if (lx->eof)
        break;
    }
  return t;
}

static Tok *
lex_value (Lexer *lx, guint depth)
{
  guint8 c;

  skip_spaces (lx);
  if (lx->p >= lx->r->len)
    {
      lx->eof = TRUE;
      return NULL;
    }
  c = lx->r->data[lx->p];
  if (c == '(')
    return depth < MS_EXTRACT_MAX_DEPTH ? lex_list (lx, depth) : NULL;
  if (c == '"')
    return lex_quoted (lx);
  if (c == '{' || (c == '~' && lx->p + 1 < lx->r->len && lx->r->data[lx->p + 1] == '{'))
    return lex_literal (lx);
  return lex_atom (lx);
}

/* Text of a string token (quoted or literal) as a new string, or NULL. */
static char *
tok_string (const Lexer *lx, const Tok *t)
{
  if (t == NULL || t->type == TOK_NIL || t->type == TOK_LIST)
    return NULL;
  if (t->literal)
    return g_strndup ((const char *) lx->r->data + t->start, t->len);
  return g_strdup (t->text);
}

static Tok *
list_item (const Tok *list, guint i)
{
  return list && list->type == TOK_LIST && i < list->items->len ? g_ptr_array_index (list->items, i)
                                                                : NULL;
}

/* An ENVELOPE address list, ((name adl mailbox host) ...), as
 * "Name <mailbox@host>, ..."; NULL when empty. */
static char *
envelope_addresses (const Lexer *lx, const Tok *list)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; list && list->type == TOK_LIST && i < list->items->len; i++)
    {
      const Tok *a = g_ptr_array_index (list->items, i);
      g_autofree char *name_raw = tok_string (lx, list_item (a, 0));
      g_autofree char *mailbox = tok_string (lx, list_item (a, 2));
      g_autofree char *host = tok_string (lx, list_item (a, 3));
      g_autofree char *name = ms_mime_decode_phrase (name_raw);

      /* Group markers (RFC 9051 §7.5.2) have no host. */
      if (mailbox == NULL || host == NULL)
        continue;
      if (out->len)
        g_string_append (out, ", ");
      if (name)
        g_string_append_printf (out, "%s <%s@%s>", name, mailbox, host);
      else
        g_string_append_printf (out, "%s@%s", mailbox, host);
    }
  if (out->len == 0)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

static void
read_envelope (const Lexer *lx, const Tok *env, MsMailHeaders *h)
{
  g_autofree char *date = tok_string (lx, list_item (env, 0));
  g_autofree char *subject = tok_string (lx, list_item (env, 1));
  g_autofree char *from = envelope_addresses (lx, list_item (env, 2));
  g_autofree char *to = envelope_addresses (lx, list_item (env, 5));

  ms_mail_headers_clear (h);
  h->date = ms_mime_decode_text (date);
  h->subject = ms_mime_decode_text (subject);
  h->from = ms_mime_decode_text (from);
  h->to = ms_mime_decode_text (to);
}

/* BODY[sec]<o>, BINARY[sec]<o>, RFC822, RFC822.HEADER, RFC822.TEXT: fills
 * the section's name; FALSE for any other item. */
static gboolean
section_of (const char *name, MsFetchSection *s)
{
  const char *open = strchr (name, '[');
  const char *close = open ? strchr (open, ']') : NULL;

  memset (s, 0, sizeof *s);
  s->origin = -1;
  if (open && close)
    {
      gsize head = (gsize) (open - name);
      if (head == 4 && g_ascii_strncasecmp (name, "BODY", 4) == 0)
        s->binary = FALSE;
      else if (head == 6 && g_ascii_strncasecmp (name, "BINARY", 6) == 0)
        s->binary = TRUE;
      else
        return FALSE;
      s->section = g_ascii_strup (open + 1, close - open - 1);
      if (close[1] == '<')
        s->origin = g_ascii_strtoll (close + 2, NULL, 10);
      return TRUE;
    }
  if (g_ascii_strcasecmp (name, "RFC822") == 0)
    s->section = g_strdup ("");
  else if (g_ascii_strcasecmp (name, "RFC822.HEADER") == 0)
    s->section = g_strdup ("HEADER");
  else if (g_ascii_strcasecmp (name, "RFC822.TEXT") == 0)
    s->section = g_strdup ("TEXT");
  else
    return FALSE;
  return TRUE;
}

void
ms_fetch_data_clear (MsFetchData *d)
{
  for (guint i = 0; d->sections && i < d->sections->len; i++)
    g_free (g_array_index (d->sections, MsFetchSection, i).section);
  g_clear_pointer (&d->sections, g_array_unref);
  ms_mail_headers_clear (&d->envelope);
}

gboolean
ms_extract_imap_fetch (const MsStreamRange *r, MsFetchData *out)
{
  Lexer lx = { r, 0, FALSE };
  Tok *star, *num, *word, *items;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  out->uid = -1;
  out->size = -1;
  out->sections = g_array_new (FALSE, FALSE, sizeof (MsFetchSection));
  star = lex_value (&lx, 0);
  num = lex_value (&lx, 0);
  word = lex_value (&lx, 0);
  items = lex_value (&lx, 0);
  if (!star || !num || !word || !items || star->type != TOK_ATOM || g_strcmp0 (star->text, "*") != 0
      || num->type != TOK_ATOM || word->type != TOK_ATOM
      || g_ascii_strcasecmp (word->text, "FETCH") != 0 || items->type != TOK_LIST)
    goto out;
  ok = TRUE;
  out->number = (guint32) g_ascii_strtoull (num->text, NULL, 10);
  out->incomplete = lx.eof;
  for (guint i = 0; i + 1 < items->items->len; i += 2)
    {
      const Tok *key = g_ptr_array_index (items->items, i);
      const Tok *val = g_ptr_array_index (items->items, i + 1);
      MsFetchSection s;

      if (key->type != TOK_ATOM)
        break;
      if (g_ascii_strcasecmp (key->text, "UID") == 0 && val->type == TOK_ATOM)
        out->uid = g_ascii_strtoll (val->text, NULL, 10);
      else if (g_ascii_strcasecmp (key->text, "RFC822.SIZE") == 0 && val->type == TOK_ATOM)
        out->size = g_ascii_strtoll (val->text, NULL, 10);
      else if (g_ascii_strcasecmp (key->text, "ENVELOPE") == 0 && val->type == TOK_LIST)
        {
          read_envelope (&lx, val, &out->envelope);
          out->has_envelope = TRUE;
        }
      else if (section_of (key->text, &s))
        {
          s.nil = val->type == TOK_NIL;
          if (val->type == TOK_STRING)
            {
              s.announced = val->announced;
              if (val->literal)
                {
                  s.data_start = val->start;
                  s.data_len = val->len;
                  s.cut = val->len < val->announced;
                  s.got = ms_byte_ranges_present (r->missing, val->start, val->start + val->len);
                  /* Bytes past a capped range were not looked at: the
                   * decoder's gap flag says whether they arrived. */
                  if (r->capped)
                    s.got += val->announced - val->len;
                }
              else
                s.got = val->announced;
            }
          g_array_append_val (out->sections, s);
        }
    }
out:
  tok_free (star);
  tok_free (num);
  tok_free (word);
  tok_free (items);
  return ok;
}
