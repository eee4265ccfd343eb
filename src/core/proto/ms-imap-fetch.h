/* ms-imap-fetch.h - IMAP values (RFC 3501/9051 section 4) as token trees,
 * FETCH item interpretation and BODYSTRUCTURE to MIME part tree.
 * Internal to the IMAP decoder (ms-imap.c). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include "mailscope/ms-event.h"

G_BEGIN_DECLS

/* Parenthesised lists nest at most this deep; deeper input is malformed
 * (real BODYSTRUCTUREs stay far below; the cap bounds recursion). */
#define MS_IMAP_MAX_DEPTH 64

/* Parts kept of one structure; real messages have a few dozen at most,
 * and the cap bounds the memory of remembered structures. */
#define MS_IMAP_MAX_PARTS 256

/* Messages (structure, size) remembered per connection to describe later
 * partial fetches; the oldest is forgotten first (a listing fetches many). */
#define MS_IMAP_MAX_STRUCTURES 128

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
  GPtrArray *items;   /* list: children (MsImapTok) */
  struct _MsImapTokArena *arena;  /* the block it was made in, or NULL */
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

void ms_imap_tok_free (MsImapTok *tok);

/* Tokenizes text[start, len) into a new array of MsImapTok. Literals are
 * taken from `lits` by position. Sets *malformed on unbalanced parentheses,
 * an unterminated quoted string or nesting deeper than MS_IMAP_MAX_DEPTH;
 * what could be read is still returned. Never NULL. */
GPtrArray *ms_imap_tokenize (const char *text, gsize len, gsize start,
                             const MsImapLit *lits, guint n_lits,
                             gboolean *malformed);

/* The string value of an atom, quoted string or kept literal; NULL for NIL
 * and lists. */
const char *ms_imap_tok_str (const MsImapTok *tok);
gboolean ms_imap_tok_is (const MsImapTok *tok, const char *atom);

/* Client FETCH items (an atom or a list): appends each item, upper case, to
 * `items`; returns TRUE when any item moves message content. */
gboolean ms_imap_fetch_items (const MsImapTok *tok, JsonArray *items);
/* Does this item (e.g. "BODY.PEEK[2]<0.4096>") move content? */
gboolean ms_imap_fetch_item_moves_content (const char *item);

/* BODYSTRUCTURE / BODY value to a part tree (see doc/events.md), or NULL
 * when it is not a body. */
JsonNode *ms_imap_body_to_parts (const MsImapTok *body);

/* What the connection knows about message structures. */
typedef struct _MsImapStructures MsImapStructures;
MsImapStructures *ms_imap_structures_new (void);
void ms_imap_structures_free (MsImapStructures *st);
/* Forgets everything (a new mailbox was selected). */
void ms_imap_structures_clear (MsImapStructures *st);
/* Forgets structures keyed by message number (numbers shift on EXPUNGE). */
void ms_imap_structures_forget_numbers (MsImapStructures *st);

/* Interprets the msg-att list of "* n FETCH (…)" and adds to ev: `parts`,
 * `content_bytes`, `section_info`, `message_uid`. Remembers structures in
 * st and describes content sections with them. */
void ms_imap_fetch_response (MsImapStructures *st, gint64 number,
                             const MsImapTok *list, MsEvent *ev);

/* Writes n with digits grouped by commas ("204,800") into buf. */
char *ms_imap_format_grouped (guint64 n, char *buf, gsize size);

G_END_DECLS
