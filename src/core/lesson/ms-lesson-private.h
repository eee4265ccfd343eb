/* ms-lesson-private.h - what the lesson's files share: step tables and the
 * narration entry points. Not installed. */
#pragma once

#include <glib.h>
#include "mailscope/ms-lesson.h"

G_BEGIN_DECLS

/* Facts about the event's session that the narration may mention. */
typedef struct {
  MsProto proto;          /* the session's application protocol */
  gboolean idle;          /* an IMAP IDLE was in progress */
  const char *for_command;/* command an answer belongs to, when paired */
} MsNarrationContext;

/* Translated one-line narration of `ev` (never NULL). */
char *ms_narration_summary (const MsEvent *ev, MsStep step,
                            const MsNarrationContext *ctx);

/* Translated notes; each returns a static translated string. */
typedef enum {
  MS_NOTE_CLEARTEXT_PASSWORD,
  MS_NOTE_SYNC_LITERAL,
  MS_NOTE_IDLE_PUSH,
  MS_NOTE_TLS_BEGAN,
  MS_NOTE_BYTES_MISSING,
  MS_NOTE_TRUNCATED,
  MS_NOTE_MALFORMED,
  MS_NOTE_POP3_WHOLE_MESSAGE,
  MS_NOTE_ATTACHMENT_SKIPPED,
} MsNoteKind;

const char *ms_narration_note (MsNoteKind kind);

/* Step of an IMAP or POP3 command name (upper case); `moves_content` only
 * matters for IMAP FETCH. MS_STEP_NONE for unknown commands. */
MsStep ms_lesson_imap_command_step (const char *command, gboolean moves_content);
MsStep ms_lesson_pop3_command_step (const char *command);

/* Formats n with thousands separators ("204,800") into buf; returns buf. */
char *ms_narration_format_count (guint64 n, char *buf, gsize size);

/* "Session 2: IMAP, client …, server …, stream 0" (translated, no newline). */
char *ms_session_summary_heading (const MsSessionSummary *s);

/* The "Attachments not downloaded" lines of a session (translated, each
 * ending in '\n'), or NULL when every announced attachment was fetched. */
char *ms_session_summary_format_attachments (const MsSessionSummary *s);

G_END_DECLS
