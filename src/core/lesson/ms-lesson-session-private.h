/* ms-lesson-session-private.h - the step classifier's state of one session,
 * shared by ms-lesson.c (classifying and pairing) and ms-lesson-counters.c
 * (the summary counters). Not installed. */
#pragma once

#include "ms-lesson-private.h"

G_BEGIN_DECLS

typedef struct {
  MsSessionSummary sum;       /* first: the public part */
  GQueue *pending;            /* of Pending*, NULL until needed */
  MsStep current;             /* step of the latest event with one */
  gboolean proto_known;       /* sum.proto came from an event, not a port */
  gboolean fin[2];
  gboolean idle;              /* IMAP IDLE in progress */
  gboolean tls_noted;
  GHashTable *sizes;          /* message number → RFC822.SIZE (IMAP) */
} Session;

/* Counts ev into a step's (or the session's total) statistics. */
void ms_lesson_stats_add (MsStepStats *st, const MsEvent *ev);
/* Content bytes, the mailbox size and the attachments ev tells of;
 * paired_cmd is the command an answer belongs to ("" when unknown). */
void ms_lesson_update_content (Session *s, MsEvent *ev, const char *paired_cmd);
/* The user, mechanism and exposure of a "credential" event. */
void ms_lesson_update_credentials (Session *s, const MsEvent *ev);

G_END_DECLS
