/* ms-imap-tokens.c - IMAP values (RFC 3501/9051 section 4) as token trees:
 * atoms, quoted strings, literals and nested lists. */
#include "config.h"

#include <string.h>

#include "ms-imap-tokens.h"
#include "ms-reuse-private.h"

/* --- the arena -----------------------------------------------------------
 *
 * A FETCH response holds dozens of values, and a large capture thousands
 * of responses: the tokens of one line, their texts and their lists are
 * carved out of a few large blocks and go all at once, rather than being
 * allocated and freed one by one. */
#define TOK_ARENA_CHUNK 4096

typedef struct _TokChunk TokChunk;
struct _TokChunk {
  TokChunk *next;
  gsize used;          /* bytes of the chunk's data in use */
};

/* A piece too large to share a chunk (a long literal), on its own. */
typedef struct _TokBig TokBig;
struct _TokBig {
  TokBig *next;
  gsize pad;           /* keeps what follows 16-byte aligned */
};

#define TOK_CHUNK_ROOM (TOK_ARENA_CHUNK - sizeof (TokChunk))
#define TOK_BIG (TOK_CHUNK_ROOM / 4)

typedef struct _MsImapTokArena {
  TokChunk *chunks;
  TokBig *big;
} TokArena;

/* Each thread keeps one emptied chunk for its next line: most lines need
 * just one, and a block of this size is slow to get from malloc and to
 * give back. */
static GPrivate spare_chunk = G_PRIVATE_INIT (g_free);

static gpointer
arena_alloc (TokArena *a, gsize size)
{
  size = (size + 7) & ~(gsize) 7;
  if (size > TOK_BIG)
    {
      TokBig *b = g_malloc (sizeof (TokBig) + size);
      b->next = a->big;
      a->big = b;
      return b + 1;
    }
  TokChunk *c = a->chunks;
  if (c == NULL || c->used + size > TOK_CHUNK_ROOM)
    {
      c = MS_REUSE_BLOCKS ? g_private_get (&spare_chunk) : NULL;
      if (c)
        g_private_set (&spare_chunk, NULL);
      else
        c = g_malloc (TOK_ARENA_CHUNK);
      c->next = a->chunks;
      c->used = 0;
      a->chunks = c;
    }
  gpointer p = (char *) (c + 1) + c->used;
  c->used += size;
  return p;
}

static void
arena_free (TokArena *a)
{
  while (a->chunks)
    {
      TokChunk *next = a->chunks->next;
      if (MS_REUSE_BLOCKS && g_private_get (&spare_chunk) == NULL)
        g_private_set (&spare_chunk, a->chunks);
      else
        g_free (a->chunks);
      a->chunks = next;
    }
  while (a->big)
    {
      TokBig *next = a->big->next;
      g_free (a->big);
      a->big = next;
    }
  g_free (a);
}

void
ms_imap_toks_free (MsImapToks *toks)
{
  if (toks)
    arena_free (toks->arena);   /* toks lives in it */
}

/* A token of `type` with room for `room` bytes of text and a NUL after it
 * (text empty: the caller ends what it writes with a NUL). */
static MsImapTok *
tok_new_text (TokArena *a, MsImapTokType type, gsize room)
{
  MsImapTok *tok = arena_alloc (a, sizeof (MsImapTok) + room + 1);
  memset (tok, 0, sizeof *tok);
  tok->type = type;
  tok->text = (char *) (tok + 1);
  tok->text[0] = '\0';
  return tok;
}

/* A token without text (a list; a literal whose bytes were not kept). */
static MsImapTok *
tok_new (TokArena *a, MsImapTokType type)
{
  MsImapTok *tok = arena_alloc (a, sizeof (MsImapTok));
  memset (tok, 0, sizeof *tok);
  tok->type = type;
  return tok;
}

/* --- tokenizing ---------------------------------------------------------- */

static gboolean
is_atom_end (char c)
{
  return c == ' ' || c == '(' || c == ')';
}

/* Reads an atom at text[p]; brackets (BODY[HEADER.FIELDS (A B)]) may hold
 * spaces and parentheses. Returns the offset after it. */
static gsize
scan_atom (const char *text, gsize len, gsize p, const MsImapLit *lits,
           guint n_lits, guint li)
{
  guint bracket = 0;
  gsize next_lit = li < n_lits ? lits[li].start : len;
  while (p < len && p < next_lit)
    {
      char c = text[p];
      if (bracket > 0)
        {
          if (c == ']')
            bracket--;
          else if (c == '[')
            bracket++;
        }
      else if (is_atom_end (c))
        break;
      else if (c == '[')
        bracket++;
      p++;
    }
  return p;
}

/* Values waiting for their list to close, innermost last; each thread
 * keeps its array between lines. */
static GPrivate pending_key = G_PRIVATE_INIT ((GDestroyNotify) g_ptr_array_unref);

/* Moves pending[from, len) into the arena as a list's values. */
static MsImapTok **
take_values (TokArena *a, GPtrArray *pending, guint from, guint *n)
{
  *n = pending->len - from;
  MsImapTok **v = arena_alloc (a, MAX (*n, 1u) * sizeof (MsImapTok *));
  if (*n > 0)
    memcpy (v, pending->pdata + from, *n * sizeof (MsImapTok *));
  g_ptr_array_set_size (pending, from);
  return v;
}

MsImapToks *
ms_imap_tokenize (const char *text, gsize len, gsize start,
                  const MsImapLit *lits, guint n_lits, gboolean *malformed)
{
  TokArena *arena = g_new0 (TokArena, 1);
  MsImapToks *toks = arena_alloc (arena, sizeof (MsImapToks));
  GPtrArray *pending = g_private_get (&pending_key);
  if (pending)
    g_private_set (&pending_key, NULL);   /* ours until the end */
  else
    pending = g_ptr_array_sized_new (64);
  /* The lists open now: each list token and where its values begin. */
  struct {
    MsImapTok *list;
    guint from;
  } open[MS_IMAP_MAX_DEPTH];
  guint depth = 0, too_deep = 0, li = 0;
  gsize p = start;

  while (p < len)
    {
      while (li < n_lits && lits[li].start < p)
        li++;
      char c = text[p];
      if (c == ' ')
        {
          p++;
          continue;
        }
      if (li < n_lits && lits[li].start == p)
        {
          const MsImapLit *lit = &lits[li];
          if (too_deep == 0)
            {
              MsImapTok *tok;
              if (lit->kept)
                {
                  tok = tok_new_text (arena, MS_IMAP_TOK_LITERAL, lit->kept->len);
                  if (lit->kept->len > 0)
                    memcpy (tok->text, lit->kept->data, lit->kept->len);
                  tok->text[lit->kept->len] = '\0';
                  tok->text_len = lit->kept->len;
                  tok->complete = lit->kept->len == lit->size;
                }
              else
                tok = tok_new (arena, MS_IMAP_TOK_LITERAL);
              tok->size = lit->size;
              tok->got = lit->got;
              g_ptr_array_add (pending, tok);
            }
          p = lit->end > p ? lit->end : p + 1;
          li++;
          continue;
        }
      if (c == '(')
        {
          if (too_deep > 0 || depth == MS_IMAP_MAX_DEPTH)
            {
              *malformed = TRUE;
              too_deep++;
            }
          else
            {
              MsImapTok *tok = tok_new (arena, MS_IMAP_TOK_LIST);
              g_ptr_array_add (pending, tok);
              open[depth].list = tok;
              open[depth].from = pending->len;
              depth++;
            }
          p++;
          continue;
        }
      if (c == ')')
        {
          if (too_deep > 0)
            too_deep--;
          else if (depth == 0)
            *malformed = TRUE;
          else
            {
              depth--;
              open[depth].list->items = take_values (arena, pending, open[depth].from,
                                                     &open[depth].list->n_items);
            }
          p++;
          continue;
        }
      if (c == '"')
        {
          /* First the extent, then the unescaped text (never longer). */
          gsize q = p + 1;
          gboolean closed = FALSE;
          while (q < len)
            {
              if (text[q] == '\\' && q + 1 < len)
                {
                  q += 2;
                  continue;
                }
              if (text[q] == '"')
                {
                  closed = TRUE;
                  break;
                }
              q++;
            }
          if (!closed)
            *malformed = TRUE;
          if (too_deep == 0)
            {
              MsImapTok *tok = tok_new_text (arena, MS_IMAP_TOK_QUOTED, q - (p + 1));
              gsize n = 0;
              for (gsize r = p + 1; r < q; r++)
                {
                  if (text[r] == '\\' && r + 1 < len)
                    r++;
                  tok->text[n++] = text[r];
                }
              tok->text[n] = '\0';
              tok->text_len = n;
              tok->size = n;
              g_ptr_array_add (pending, tok);
            }
          p = closed ? q + 1 : q;
          continue;
        }
      gsize q = scan_atom (text, len, p, lits, n_lits, li);
      if (q == p)
        q = p + 1;  /* a lone "{" that is not a literal */
      if (too_deep == 0)
        {
          MsImapTok *tok = tok_new_text (arena, MS_IMAP_TOK_ATOM, q - p);
          memcpy (tok->text, text + p, q - p);
          tok->text[q - p] = '\0';
          tok->text_len = q - p;
          tok->size = q - p;
          g_ptr_array_add (pending, tok);
        }
      p = q;
    }
  if (depth > 0 || too_deep > 0)
    *malformed = TRUE;
  /* Lists left open end with the line. */
  while (depth > 0)
    {
      depth--;
      open[depth].list->items = take_values (arena, pending, open[depth].from,
                                             &open[depth].list->n_items);
    }
  toks->items = take_values (arena, pending, 0, &toks->n_items);
  toks->arena = arena;
  if (g_private_get (&pending_key) == NULL)
    g_private_set (&pending_key, pending);
  else
    g_ptr_array_unref (pending);
  return toks;
}

/* --- values -------------------------------------------------------------- */

const char *
ms_imap_tok_str (const MsImapTok *tok)
{
  if (tok == NULL || tok->type == MS_IMAP_TOK_LIST)
    return NULL;
  if (tok->type == MS_IMAP_TOK_ATOM && g_ascii_strcasecmp (tok->text, "NIL") == 0)
    return NULL;
  return tok->text;
}

gboolean
ms_imap_tok_is (const MsImapTok *tok, const char *atom)
{
  return tok && tok->type == MS_IMAP_TOK_ATOM && g_ascii_strcasecmp (tok->text, atom) == 0;
}
