/* ms-pop3-private.h - what the POP3 decoder's files share: the decoder's
 * state, text and event helpers and the pending-command queue (ms-pop3.c),
 * client lines (ms-pop3-command.c) and multi-line bodies (ms-pop3-body.c).
 * Not installed. */
#pragma once

#include "mailscope/ms-decoder.h"

G_BEGIN_DECLS

/* Commands awaiting a response. Pipelining (RFC 2449) is bounded by the
 * client's send window; more than this means the two sides are out of step. */
#define MS_POP3_MAX_PENDING 64
/* Longest command keyword: RFC 1939 keywords are 3-4 characters and
 * extensions (XTND, X-...) only a little longer; anything longer is garbage. */
#define MS_POP3_MAX_VERB 16
/* Longest Info text in characters (as the IMAP decoder): a packet list
 * shows one line, not a whole token. */
#define MS_POP3_MAX_INFO 200

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

static inline void
emit (MsPop3 *p, MsEvent *ev)
{
  ms_emit (p->parent.emitter, ev);
}


/* --- ms-pop3.c ----------------------------------------------------------- */

/* A printable one-line copy of untrusted bytes, at most `cap` characters
 * (then "…"): control bytes and invalid UTF-8 become U+FFFD. */
char *ms_pop3_text_cap (const guint8 *p, gsize len, gsize cap);
/* ms_pop3_text_cap() for Info and fields: one line of a packet list. */
char *ms_pop3_info_text (const guint8 *p, gsize len);
/* An event for stream bytes [off, off + len), with the flags owed to dir. */
MsEvent *ms_pop3_new_event (MsPop3 *p, MsDir dir, const char *kind, guint64 off,
                            guint64 len);
/* Queues a command; FALSE when the queue is full. */
gboolean ms_pop3_pending_push (MsPop3 *p, const char *verb, gboolean has_arg, gboolean sasl,
                               guint64 off);

/* --- ms-pop3-command.c --------------------------------------------------- */

/* A client line answering an AUTH challenge. */
void ms_pop3_client_sasl_line (MsPop3 *p, const guint8 *t, gsize len, guint64 off,
                               guint64 span, guint flags);
/* One client command line; queues it and emits it with any credential. */
void ms_pop3_client_command_line (MsPop3 *p, const guint8 *t, gsize len, guint64 off,
                                  guint64 span, guint flags);

/* --- ms-pop3-body.c ------------------------------------------------------ */

/* Holds ev (the +OK line) until the body's dot line arrives. */
void ms_pop3_body_start (MsPop3 *p, MsEvent *ev, const Pending *cmd);
/* Ends the open multi-line response at stream offset `end`. */
void ms_pop3_body_end (MsPop3 *p, guint64 end, guint flags);
/* Scans body bytes starting at stream offset `off`; returns how many it
 * used. */
gsize ms_pop3_body_feed (MsPop3 *p, guint64 off, const guint8 *d, gsize len);

G_END_DECLS
