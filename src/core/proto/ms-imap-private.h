/* ms-imap-private.h - what the IMAP decoder's files share: the decoder's
 * state with each direction's line parser, word helpers, logical-line
 * events and the pending-command table (ms-imap.c), client lines
 * (ms-imap-command.c) and server lines (ms-imap-response.c). Not installed. */
#pragma once

#include <string.h>

#include "mailscope/ms-decoder.h"
#include "ms-imap-fetch.h"

G_BEGIN_DECLS

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

/* --- words --------------------------------------------------------------- */

/* End offset of the word starting at `s` (up to SP or the end). */
static inline gsize
word_end (const char *t, gsize len, gsize s)
{
  while (s < len && t[s] != ' ')
    s++;
  return s;
}

static inline gboolean
word_is (const char *t, gsize s, gsize e, const char *w)
{
  gsize n = strlen (w);
  return e - s == n && g_ascii_strncasecmp (t + s, w, n) == 0;
}

static inline char *
word_upper (const char *t, gsize s, gsize e)
{
  char *w = g_strndup (t + s, e - s);
  for (char *c = w; *c; c++)
    *c = g_ascii_toupper (*c);
  return w;
}

static inline gboolean
is_tag_char (guchar c)
{
  return c > 0x20 && c < 0x7f && strchr ("(){%*\"\\+", c) == NULL;
}

static inline gboolean
is_valid_tag (const char *t, gsize len)
{
  if (len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!is_tag_char ((guchar) t[i]))
      return FALSE;
  return TRUE;
}

static inline void
emit (MsImapDecoder *d, MsEvent *ev)
{
  ms_emit (d->parent.emitter, ev);
}

/* --- ms-imap.c ----------------------------------------------------------- */

void ms_imap_pending_free (Pending *pe);
/* Forgets the logical line (state is left to the caller). */
void ms_imap_parser_reset_line (ImapParser *p);
/* A new event covering the parser's logical line up to `end`. */
MsEvent *ms_imap_line_event (ImapParser *p, MsDir dir, const char *kind, guint64 end);
/* Tokenizes the line's text from `start`; flags ev malformed if need be. */
MsImapToks *ms_imap_tokenize_from (ImapParser *p, gsize start, MsEvent *ev);
void ms_imap_pending_add (MsImapDecoder *d, const char *tag, const char *command);
/* Removes and returns the pending command with that tag, or NULL. */
Pending *ms_imap_pending_take (MsImapDecoder *d, const char *tag);
/* From now on this direction carries TLS. */
void ms_imap_tls_switch (MsImapDecoder *d, MsDir dir);

/* --- ms-imap-command.c --------------------------------------------------- */

/* Registers the command of the client's current logical line in the
 * pending table, once. */
void ms_imap_client_head (MsImapDecoder *d);
/* A complete client logical line; `rejected` when the server refused its
 * synchronising literal. */
void ms_imap_client_line (MsImapDecoder *d, guint64 end, gboolean rejected);

/* --- ms-imap-response.c -------------------------------------------------- */

/* A complete server logical line. */
void ms_imap_server_line (MsImapDecoder *d, guint64 end);

G_END_DECLS
