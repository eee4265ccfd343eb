/* ms-sink.h - consumers of lesson-processed events: JSON Lines and the text
 * narration. Both buffer their output and write it to a FILE* or a
 * GOutputStream. */
#pragma once

#include <stdio.h>
#include <gio/gio.h>
#include "ms-event.h"
#include "ms-lesson.h"

G_BEGIN_DECLS

typedef enum {
  MS_SINK_MASK_SECRETS = 1 << 0,  /* passwords become "****" */
  MS_SINK_SUMMARY      = 1 << 1,  /* append per-session summaries at the end */
  MS_SINK_COLOR        = 1 << 2,  /* text: mute protocol details with ANSI dim */
} MsSinkFlags;

typedef struct _MsSink MsSink;

/* JSON Lines: one ms_event_to_json() object per line. With
 * MS_SINK_SUMMARY, one {"event":"session-summary", …} line per session
 * follows at the end (those lines carry no seq/frame). `lesson` may be NULL
 * unless MS_SINK_SUMMARY is set. */
MsSink *ms_sink_new_json (FILE *fp, MsLesson *lesson, guint flags);
MsSink *ms_sink_new_json_stream (GOutputStream *out, MsLesson *lesson, guint flags);

/* Text narration grouped by session, then step. `lesson` is required: it
 * tells the sink which session each event belongs to. */
MsSink *ms_sink_new_text (FILE *fp, MsLesson *lesson, guint flags);
MsSink *ms_sink_new_text_stream (GOutputStream *out, MsLesson *lesson, guint flags);

/* Consumes one event, already run through ms_lesson_process with the same
 * lesson. Returns FALSE once writing failed (see ms_sink_finish). */
gboolean ms_sink_event (MsSink *sink, MsEvent *ev);

/* Writes out what is already formatted (sessions that closed, answered DNS
 * lookups) without finishing: live capture narrates as sessions end.
 * Returns FALSE once writing failed. */
gboolean ms_sink_flush (MsSink *sink);

/* Prints what is still buffered (open sessions, summaries) and flushes.
 * Returns FALSE with error when any write failed. */
gboolean ms_sink_finish (MsSink *sink, GError **error);
void     ms_sink_free (MsSink *sink);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsSink, ms_sink_free)

G_END_DECLS
