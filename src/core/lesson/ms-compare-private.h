/* ms-compare-private.h - the comparison's state, shared by ms-compare.c
 * (following the events, measures, rows) and ms-compare-points.c (the
 * comparison points and the text form). Not installed. */
#pragma once

#include "mailscope/ms-compare.h"
#include "ms-lesson-private.h"

G_BEGIN_DECLS

/* --- state ------------------------------------------------------------- */

typedef struct {
  char *name;
  guint count;
} CommandCount;

typedef struct {
  char *tag;             /* IMAP tag, NULL for POP3 */
  char *name;            /* upper case */
  char *text;            /* "FETCH 5 (BODY.PEEK[1])", "RETR 5" */
  gboolean whole;        /* IMAP FETCH: asks for whole messages */
  gboolean content;      /* IMAP FETCH: moves content */
} Pending;

typedef struct {
  guint32 frame;
  gint64 number;         /* the message it is about, 0 when none */
  char *text;
} Cite;

/* What one message told in a session: its size, where it was seen. */
typedef struct {
  gint64 size;           /* POP3: RETR octets; -1 unknown */
  guint32 size_frame;
  guint32 structure_frame; /* IMAP: the FETCH that showed its structure */
  guint8 fetched;        /* 0 no, 1 part of it, 2 all of it */
} Message;

typedef struct {
  guint id;
  guint32 first_frame, last_frame;
  double first_time, last_time;
  gboolean seen;

  GPtrArray *step_commands[MS_STEP_N];   /* CommandCount * */
  guint32 step_first_frame[MS_STEP_N];
  GQueue pending;                         /* Pending * */

  /* mailbox */
  gint64 start_count;
  guint32 start_frame;
  int start_rank;        /* how good start_count is: 1 login line, 2 LIST, 3 STAT/EXISTS */
  gint64 exists;         /* IMAP: current EXISTS */
  guint64 expunged;
  guint32 last_expunge_frame;
  guint dele_marked;
  guint32 first_dele_frame, last_dele_frame;
  gboolean quit_ok;
  guint32 quit_frame;
  char *quit_info;

  /* content */
  GPtrArray *fetches;    /* Cite * */
  guint n_fetches;
  guint n_top;
  guint32 first_fetch_frame, last_fetch_frame;
  GHashTable *messages;  /* number → Message * */

  /* several clients */
  GPtrArray *pushed;     /* Cite *: updates pushed during IDLE */
  guint n_pushed;
  Cite *refusal;         /* POP3: login refused because the maildrop is in use */
} Session;

typedef struct {
  MsAddr a, b;           /* the lower endpoint first */
} ConvKey;

typedef struct {
  guint64 packets;
  guint64 bytes;
} ConvCount;

struct _MsCompare {
  GHashTable *sessions;        /* id → Session * */
  GHashTable *conversations;   /* ConvKey * → ConvCount * */
  guint sessions_dropped;

  /* the last build */
  gboolean complete;
  MsCompareMeasures measures[MS_COMPARE_N_SIDES];
  GArray *rows;                /* MsCompareRow */
  GPtrArray *statements;       /* MsCompareStatement * */
};

/* Builds the comparison points of the last build to cmp->statements. */
void ms_compare_build_statements (MsCompare *cmp, const GPtrArray *all,
                                  const MsSessionSummary *const sums[],
                                  Session *const sessions[]);
/* The session followed under that id, or NULL. */
Session *ms_compare_find_session (MsCompare *cmp, guint id);


G_END_DECLS
