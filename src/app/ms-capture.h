/* ms-capture.h - an opened capture file or a live capture: compact
 * per-frame records, the decoded events and the per-session summaries,
 * filled off the main thread and handed over in batches. */
#pragma once

#include <gio/gio.h>
#include "mailscope/ms-types.h"
#include "mailscope/ms-event.h"
#include "mailscope/ms-lesson.h"
#include "mailscope/ms-pipeline.h"
#include "mailscope/ms-source.h"

G_BEGIN_DECLS

#define MS_NO_EVENT G_MAXUINT32

/* One frame as the packet list needs it; 64 bytes, so a capture of a
 * million frames stays near 64 MB. */
typedef struct {
  gint64 file_offset;     /* record offset in a pcap file, or -1 */
  gint64 ts_nsec;
  guint32 number;         /* 1-based */
  guint32 caplen;
  guint32 len;
  guint32 src;            /* index into the address table, 0 = none */
  guint32 dst;
  guint32 first_event;    /* index of its first event, MS_NO_EVENT if none */
  guint32 session;        /* session id (1-based), 0 for none */
  guint32 rel_seq;        /* TCP: payload's offset in its direction's stream */
  guint16 payload_offset; /* in the frame, G_MAXUINT16 when unknown */
  guint16 n_events;
  guint8 ip_proto;
  guint8 tcp_flags;
  guint8 proto;           /* MsProto of its first event, else TCP/NONE */
  guint8 step;            /* MsStep, inherited from its conversation */
  guint8 dir;             /* MsDir when known */
  guint8 flags;           /* MsPacketFlags, truncated to 8 bits */
} MsFrameRecord;

#define MS_TYPE_CAPTURE (ms_capture_get_type ())
G_DECLARE_FINAL_TYPE (MsCapture, ms_capture, MS, CAPTURE, GObject)

MsCapture *ms_capture_new (GFile *file);
GFile *ms_capture_get_file (MsCapture *self);
const char *ms_capture_get_title (MsCapture *self);

/* Starts decoding in a worker thread. "progress" fires per batch; then
 * "loaded" (with a warning for a truncated file, or NULL) or "failed" with
 * the one-line message of the source. */
void ms_capture_load (MsCapture *self);
gboolean ms_capture_is_loaded (MsCapture *self);
/* TRUE from ms_capture_load (or the start of a live capture) until the last
 * batch: frames, events and the sessions found so far (copies of their
 * summaries) grow with every "progress". FALSE again during the last
 * batch's "progress", just before "loaded" or "failed". */
gboolean ms_capture_is_loading (MsCapture *self);
/* Stops a load in progress; neither "loaded" nor "failed" fires then. */
void ms_capture_cancel (MsCapture *self);
/* The failure message, or NULL. */
const char *ms_capture_get_error (MsCapture *self);
/* A warning such as "the capture ends in the middle of frame 12", or NULL. */
const char *ms_capture_get_warning (MsCapture *self);

/* Synchronous load for tests and small files: runs the worker in this
 * thread. Returns FALSE with error on failure. */
gboolean ms_capture_load_sync (MsCapture *self, GError **error);

guint ms_capture_get_n_frames (MsCapture *self);
const MsFrameRecord *ms_capture_get_frame (MsCapture *self, guint index);
guint ms_capture_get_n_events (MsCapture *self);
MsEvent *ms_capture_get_event (MsCapture *self, guint index);
/* Session id of event `index` (1-based), 0 for none. */
guint ms_capture_get_event_session (MsCapture *self, guint index);
/* Next event of the same frame, MS_NO_EVENT at the end. */
guint ms_capture_get_next_in_frame (MsCapture *self, guint index);
/* Address by table index (NULL for 0). */
const MsAddr *ms_capture_get_addr (MsCapture *self, guint32 index);
int ms_capture_get_linktype (MsCapture *self);

/* Sessions (borrowed): while a file loads or a live capture runs, copies of
 * those found so far; the lesson's own once loaded. */
guint ms_capture_get_n_sessions (MsCapture *self);
const MsSessionSummary *ms_capture_get_session (MsCapture *self, guint index);
const MsSessionSummary *ms_capture_find_session (MsCapture *self, guint id);
/* The id of the first mail session (not DNS), or 0. */
guint ms_capture_first_mail_session (MsCapture *self);
/* TRUE when session `other` belongs to the lesson of session `id`: itself,
 * or a DNS group of the same client address. id 0 means every session. */
gboolean ms_capture_session_includes (MsCapture *self, guint id, guint other);
/* A one-line label for a session ("IMAP 127.0.0.1:40878 → 127.0.0.1:143"). */
char *ms_capture_session_label (MsCapture *self, const MsSessionSummary *s);

/* Reads the bytes of frame `index` again from the file, off the main
 * thread. The result is a GBytes; fails with the source's message. */
void ms_capture_read_frame_async (MsCapture *self, guint index,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data);
GBytes *ms_capture_read_frame_finish (MsCapture *self, GAsyncResult *result,
                                      GError **error);
/* The same, blocking (for workers and tests). */
GBytes *ms_capture_read_frame (MsCapture *self, guint index, GError **error);

/* --- Live captures (ms-capture-live.c) ----------------------------------
 *
 * A live capture is an MsCapture like an opened file, so that every view
 * (packet list, ladder, lesson, detail) works on it unchanged: its worker
 * reads frames as they are captured, writes them to a pcap file as it goes,
 * runs the same pipeline and lesson as a file load, and hands batches over
 * at least every MS_CAPTURE_LIVE_FLUSH_MS, so views grow by "progress".
 * When the capture ends, "loaded" fires and it is an opened file from then
 * on (its sessions become the lesson's own). Frames come from one of two
 * places: an interface capture it reads itself (ms_capture_start_source), or
 * frames another capture hands over (ms_capture_push_frame: the lab demo
 * captures for its own bookkeeping, and a second capture of the same
 * packets would only double the kernel's work). */

typedef struct _MsLiveCapture MsLiveCapture;

/* Frame bytes kept in memory for the detail and hex views (the pcap file's
 * first bytes); frames past it are re-read from the file. */
#define MS_CAPTURE_LIVE_MAX_MEMORY (64 * 1024 * 1024)
/* Frames one live capture takes: 64-byte records plus events, about
 * 200 MB; past it the capture stops by itself with a warning. */
#define MS_CAPTURE_LIVE_MAX_FRAMES 2000000
/* Bytes of handed-over frames waiting for the worker; past it frames are
 * dropped and counted as dropped (the worker fell behind). */
#define MS_CAPTURE_LIVE_MAX_QUEUED (16 * 1024 * 1024)
/* Longest time between batches while capturing. */
#define MS_CAPTURE_LIVE_FLUSH_MS 200

/* A live capture that writes its frames to pcap_path (classic pcap with
 * nanosecond times). opts: decoding options (forced ports), or NULL. */
MsCapture *ms_capture_new_live (const char *title, const char *pcap_path,
                                const MsPipelineOptions *opts);
/* Starts reading `cap` (taken over, closed at the end) in a worker thread.
 * FALSE with error when the pcap file cannot be created (cap is closed). */
gboolean ms_capture_start_source (MsCapture *self, MsLiveCapture *cap, GError **error);
/* Starts a capture fed by ms_capture_push_frame. */
gboolean ms_capture_start_frames (MsCapture *self, GError **error);
/* Any thread: hands a copy of `frame` to the worker. */
void ms_capture_push_frame (MsCapture *self, const MsFrame *frame);
/* Ends a live capture: the frames already captured are decoded, then
 * "loaded" fires. Any thread. */
void ms_capture_stop (MsCapture *self);
/* TRUE from the start of a live capture until "loaded". */
gboolean ms_capture_is_live (MsCapture *self);
/* Packets the kernel received and dropped (handed-over captures: frames
 * handed over and frames dropped for lack of room); FALSE while unknown (a
 * capture through the helper knows them at its end). "stats" fires when
 * they change. */
gboolean ms_capture_get_stats (MsCapture *self, guint64 *received, guint64 *dropped);

/* Frame index (0-based) of 1-based frame number, or -1. */
gint ms_capture_frame_index (MsCapture *self, guint32 number);

/* Text for the Info column of a frame (events' info, or TCP flags). */
char *ms_capture_frame_info (MsCapture *self, guint index, gboolean mask_secrets);

G_END_DECLS
