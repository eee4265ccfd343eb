/* ms-compare.h - IMAP and POP3 doing the same task on the same mailbox,
 * side by side: per side the measures (bytes each way, packets, round trips,
 * time, content moved against the mailbox size, messages left on the
 * server), the lesson's steps aligned on rows, and the classic comparison
 * points as statements, each with a verdict and the frames of both traces
 * that support it.
 *
 * Feed it the events as the lesson layer leaves them (step set), each with
 * its session id, and optionally every packet; then build the result from
 * the session summaries. Building can be repeated as more events arrive.
 * Memory is bounded: past the caps below, sessions and evidence are only
 * counted. */
#pragma once

#include <glib.h>
#include "ms-types.h"
#include "ms-event.h"
#include "ms-lesson.h"

G_BEGIN_DECLS

/* Sessions followed at once; a capture with thousands of connections keeps
 * the first ones (the comparison needs two). */
#define MS_COMPARE_MAX_SESSIONS 256
/* Conversations whose packets are counted. */
#define MS_COMPARE_MAX_CONVERSATIONS 4096
/* Evidence lines kept per side and statement; more are summed up in one
 * line ("… and 12 more"). */
#define MS_COMPARE_MAX_EVIDENCE 6

typedef enum {
  MS_COMPARE_IMAP = 0,
  MS_COMPARE_POP3 = 1,
  MS_COMPARE_N_SIDES
} MsCompareSide;

/* What a side did, from its session summary and its events. */
typedef struct {
  guint session;              /* session id, 0 when the capture has none */
  guint64 bytes[2];           /* application bytes by MsDir (C2S, S2C) */
  guint64 packets;            /* packets of the connection (see packets_counted) */
  guint64 wire_bytes;         /* their length on the wire, 0 when not counted */
  gboolean packets_counted;   /* FALSE: no packet was fed for this connection,
                                 packets holds the frames that carried events */
  guint64 round_trips;
  double start;               /* seconds since the capture's first frame */
  double duration;            /* first to last event of the session */
  guint64 content_bytes;      /* message content moved (FETCH, RETR, TOP) */
  gint64 mailbox_bytes;       /* size of the mailbox, -1 when unknown */
  gboolean mailbox_from_other;/* mailbox_bytes comes from the other side's
                                 trace (the same mailbox) */
  gint64 messages_at_start;   /* POP3: STAT/LIST; IMAP: EXISTS; -1 unknown */
  guint32 messages_frame;     /* frame that told it, 0 when unknown */
  guint64 messages_removed;   /* removals that took effect (POP3: DELE
                                 committed at QUIT; IMAP: EXPUNGE) */
  gint64 messages_left;       /* at the end of the session, -1 unknown */
  guint32 left_frame;         /* frame that settled it (QUIT's answer, last
                                 EXPUNGE), 0 when nothing did */
  guint deletions_marked;     /* POP3: DELE answered +OK (and not RSET) */
  gboolean quit_completed;    /* POP3: QUIT answered +OK */
  guint messages_fetched;     /* distinct messages whose content moved */
  guint messages_whole;       /* ... of which the whole message moved */
} MsCompareMeasures;

/* The measures as the view shows them, one a row. */
typedef enum {
  MS_COMPARE_MEASURE_BYTES_C2S,
  MS_COMPARE_MEASURE_BYTES_S2C,
  MS_COMPARE_MEASURE_PACKETS,
  MS_COMPARE_MEASURE_ROUND_TRIPS,
  MS_COMPARE_MEASURE_TIME,
  MS_COMPARE_MEASURE_CONTENT,
  MS_COMPARE_MEASURE_LEFT,
  MS_COMPARE_N_MEASURES
} MsCompareMeasure;

/* One step of the lesson on one row; a side that lacks it is blank. */
typedef struct {
  MsStep step;
  gboolean present[MS_COMPARE_N_SIDES];
  guint64 bytes[MS_COMPARE_N_SIDES];        /* both directions */
  guint64 round_trips[MS_COMPARE_N_SIDES];
  double duration[MS_COMPARE_N_SIDES];      /* seconds */
  guint32 first_frame[MS_COMPARE_N_SIDES];  /* 0 when unknown */
  char *commands[MS_COMPARE_N_SIDES];       /* "STAT, LIST, UIDL", "RETR ×5", or NULL */
} MsCompareRow;

/* The comparison points. */
typedef enum {
  MS_COMPARE_POINT_PARTIAL_FETCH,
  MS_COMPARE_POINT_SEVERAL_CLIENTS,
  MS_COMPARE_POINT_OFFLINE,
  MS_COMPARE_POINT_MAIL_STAYS,
  MS_COMPARE_N_POINTS
} MsComparePoint;

typedef enum {
  MS_COMPARE_SHOWN,         /* the traces show the point */
  MS_COMPARE_NOT_SHOWN,     /* the traces show something else */
  MS_COMPARE_NO_EVIDENCE,   /* the traces cannot tell */
} MsCompareVerdict;

/* One line of evidence, from one trace. */
typedef struct {
  MsCompareSide side;
  guint32 frame;            /* the frame it cites, 0 for a remark about the
                               trace as a whole (what is missing from it) */
  char *text;               /* translated, complete: "IMAP frame 32: FETCH 5
                               (BODY.PEEK[1]) — 214 of 214 bytes of part 1" */
} MsCompareEvidence;

typedef struct {
  MsComparePoint point;
  const char *title;        /* translated: "Partial fetch" */
  const char *claim;        /* translated: the point as the lesson puts it */
  MsCompareVerdict verdict;
  char *finding;            /* translated: what these traces show */
  GPtrArray *evidence;      /* MsCompareEvidence *, IMAP's first; never empty */
} MsCompareStatement;

typedef struct _MsCompare MsCompare;

MsCompare *ms_compare_new (void);
void ms_compare_free (MsCompare *cmp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsCompare, ms_compare_free)

/* One event after the lesson processed it; `session` is its session id
 * (ms_lesson_current_session()->id). Events of other protocols are
 * ignored. */
void ms_compare_add_event (MsCompare *cmp, guint session, const MsEvent *ev);

/* One captured packet between src and dst (with ports), `wire_len` bytes on
 * the wire. Optional: without packets the measure counts the frames that
 * carried events. */
void ms_compare_add_packet (MsCompare *cmp, const MsAddr *src, const MsAddr *dst,
                            guint32 wire_len);

/* Builds the comparison from the sessions so far (MsSessionSummary *,
 * borrowed for the call). `imap` and `pop3` name the sessions to compare;
 * 0 lets it choose (the first session of each protocol that logged in and
 * moved content, else the first one). Returns TRUE when both sides were
 * found; the result is built either way (a missing side is all blank). */
gboolean ms_compare_build (MsCompare *cmp, const GPtrArray *sessions, guint imap, guint pop3);

/* TRUE after a build that found both sides. */
gboolean ms_compare_is_complete (MsCompare *cmp);

/* The result of the last build (borrowed, valid until the next build). */
const MsCompareMeasures *ms_compare_get_measures (MsCompare *cmp, MsCompareSide side);
guint ms_compare_get_n_rows (MsCompare *cmp);
const MsCompareRow *ms_compare_get_row (MsCompare *cmp, guint index);
guint ms_compare_get_n_statements (MsCompare *cmp);
const MsCompareStatement *ms_compare_get_statement (MsCompare *cmp, guint index);

/* Translated label of a measure ("Round trips") and its value for one side
 * as shown ("17", "214 of 287,992 bytes"); "–" for a missing side. */
const char *ms_compare_measure_title (MsCompareMeasure measure);
char *ms_compare_format_measure (const MsCompareMeasures *m, MsCompareMeasure measure);
/* One side of a step row as shown: "3,203 bytes · 3 round trips · 0.136 s"
 * (translated), or "" when the side lacks the step. */
char *ms_compare_format_row (const MsCompareRow *row, MsCompareSide side);
/* Translated "Shown in these traces" / … */
const char *ms_compare_verdict_title (MsCompareVerdict verdict);
/* Translated "IMAP" / "POP3". */
const char *ms_compare_side_title (MsCompareSide side);

/* The whole comparison as readable text (translated), lines ending in
 * '\n'. */
char *ms_compare_format (MsCompare *cmp);

G_END_DECLS
