/* ms-lesson.h - the lesson layer: assigns each event its step, narrates it in
 * plain language, pairs commands with their answers and keeps a bounded
 * per-session summary (counters only, never lists of events). */
#pragma once

#include <glib.h>
#include "ms-types.h"
#include "ms-event.h"

G_BEGIN_DECLS

/* Attachments remembered per session for the "not downloaded" report; past
 * it they are only counted (a mailbox listing can name thousands). */
#define MS_SUMMARY_MAX_ATTACHMENTS 32

typedef struct {
  gint64 first_nsec;      /* timestamp of the first event, 0 when none */
  gint64 last_nsec;
  double first_time;      /* seconds since the capture's first frame */
  double last_time;
  guint64 events;
  guint64 frames;         /* distinct frames holding this step's events */
  guint32 last_frame;     /* internal: last frame counted */
  guint64 bytes[2];       /* by MsDir: C2S, S2C */
  guint64 round_trips;    /* command → answer pairs (and literal go-aheads) */
} MsStepStats;

typedef struct {
  guint message;          /* message sequence number (IMAP) */
  char part[16];          /* MIME part number, e.g. "2" or "1.3" */
  char type[64];          /* e.g. "application/pdf" */
  gint64 size;            /* encoded bytes, or -1 */
  gboolean fetched;       /* a fetch moved all of it */
  gboolean partial;       /* a fetch moved only a range of it */
} MsAttachment;

typedef struct {
  guint id;               /* 1-based, in order of first event */
  MsProto proto;          /* IMAP, POP3, DNS, TLS (inner unknown) or TCP */
  gboolean dns_group;     /* the DNS pseudo-session of a client/server pair */
  gint64 stream;          /* tcp.stream, or -1 */
  MsAddr client, server;
  gboolean closed;        /* both sides sent FIN, or one sent RST */

  MsStepStats steps[MS_STEP_N];
  MsStepStats total;

  gboolean credentials_exposed;  /* a password crossed in clear text */
  char *user;                    /* the first user name seen, or NULL */
  char *mechanism;               /* its mechanism, or NULL */
  gboolean tls_used;

  guint64 content_bytes;         /* message content moved by FETCH/RETR/TOP */
  gint64 mailbox_bytes;          /* size of the mailbox, -1 when unknown */

  MsAttachment *attachments;     /* allocated on first use, at most
                                    MS_SUMMARY_MAX_ATTACHMENTS */
  guint n_attachments;           /* remembered */
  guint attachments_dropped;     /* seen past the cap */

  guint64 missing_bytes;         /* bytes reported missing in gaps */
} MsSessionSummary;

typedef struct _MsLesson MsLesson;

MsLesson *ms_lesson_new (void);
void      ms_lesson_free (MsLesson *lesson);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsLesson, ms_lesson_free)

/* Sets ev->step, ev->summary and ev->note, adds "latency" to answers that
 * could be paired with their command, and updates the session summary. */
void ms_lesson_process (MsLesson *lesson, MsEvent *ev);

/* The session the last processed event belonged to (NULL before any). */
const MsSessionSummary *ms_lesson_current_session (MsLesson *lesson);

/* Every session so far, in order of first appearance (borrowed); past
 * 10,000 sessions the oldest are forgotten (ids stay unique). */
const GPtrArray *ms_lesson_sessions (MsLesson *lesson);

/* Attachments of a session that no fetch moved (counting those past the
 * cap). */
guint ms_session_summary_attachments_missed (const MsSessionSummary *s);

/* Translated short title ("Log in") and one-paragraph explanation of a step,
 * for IMAP or POP3 (other protocols get the IMAP text). Never NULL. */
const char *ms_lesson_step_title (MsStep step);
const char *ms_lesson_step_explanation (MsStep step, MsProto proto);

/* Translated name of a session's protocol for headings ("IMAP", "DNS"). */
const char *ms_lesson_proto_title (MsProto proto);

/* The summary of one session as readable text (translated), lines ending in
 * '\n'. */
char *ms_session_summary_format (const MsSessionSummary *s);

/* The summary of one session as a JSON object. */
JsonObject *ms_session_summary_to_json (const MsSessionSummary *s);

G_END_DECLS
