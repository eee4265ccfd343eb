/* ms-imap-tokens.h - IMAP values (RFC 3501/9051 section 4) as token trees.
 * Internal to the IMAP decoder. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Parenthesised lists nest at most this deep; deeper input is malformed
 * (real BODYSTRUCTUREs stay far below; the cap bounds recursion). */
#define MS_IMAP_MAX_DEPTH 64

typedef enum {
  MS_IMAP_TOK_ATOM,     /* also NIL, numbers, BODY[…]<…> */
  MS_IMAP_TOK_QUOTED,
  MS_IMAP_TOK_LITERAL,
  MS_IMAP_TOK_LIST,
} MsImapTokType;

typedef struct _MsImapTok MsImapTok;
struct _MsImapTok {
  MsImapTokType type;
  char *text;         /* atom, unescaped quoted, or the kept literal bytes */
  gsize text_len;
  guint64 size;       /* literal: announced size; quoted: text_len */
  guint64 got;        /* literal: bytes that arrived */
  gboolean complete;  /* literal: text holds every byte */
  MsImapTok **items;  /* list: its values */
  guint n_items;
};

/* A literal inside a logical line's text: text[start, end) is "{n}",
 * "{n+}" or "~{n}"; its bytes were delivered out of line. */
typedef struct {
  gsize start;
  gsize end;
  guint64 size;
  guint64 got;
  GByteArray *kept;   /* first bytes (all when complete), or NULL */
  gboolean sync;      /* synchronising: waits for the server's "+" */
  gboolean binary;    /* ~{n} (RFC 3516) */
} MsImapLit;

/* The values of one line. They all live in one arena, freed at once with
 * ms_imap_toks_free. */
typedef struct {
  MsImapTok **items;
  guint n_items;
  struct _MsImapTokArena *arena;
} MsImapToks;

/* Tokenizes text[start, len). Literals are taken from `lits` by position.
 * Sets *malformed on unbalanced parentheses, an unterminated quoted string
 * or nesting deeper than MS_IMAP_MAX_DEPTH; what could be read is still
 * returned. Never NULL. */
MsImapToks *ms_imap_tokenize (const char *text, gsize len, gsize start,
                              const MsImapLit *lits, guint n_lits,
                              gboolean *malformed);
void ms_imap_toks_free (MsImapToks *toks);

/* The string value of an atom, quoted string or kept literal; NULL for NIL
 * and lists. */
const char *ms_imap_tok_str (const MsImapTok *tok);
gboolean ms_imap_tok_is (const MsImapTok *tok, const char *atom);
/* Value i of a list, or NULL (not a list, or too short). */
static inline const MsImapTok *
ms_imap_tok_item (const MsImapTok *list, guint i)
{
  if (list == NULL || list->type != MS_IMAP_TOK_LIST || i >= list->n_items)
    return NULL;
  return list->items[i];
}

G_END_DECLS
