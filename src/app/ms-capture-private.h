/* ms-capture-private.h - MsCapture internals shared by its files: the object
 * (ms-capture.c), the worker that turns frames into records and batches
 * (ms-capture-worker.c), re-reading frames (ms-capture-read.c) and the live
 * mode (ms-capture-live.c). */
#pragma once

#include "mailscope/ms-lesson.h"
#include "mailscope/ms-pipeline.h"
#include "ms-capture.h"

G_BEGIN_DECLS

/* Frames per batch sent to the main thread: large enough that a 100,000
 * frame capture costs a few dozen main-loop wake-ups, small enough that
 * the progress bar moves. */
#define MS_CAPTURE_BATCH_FRAMES 4096

/* Flows remembered by the worker for step inheritance; past it the table is
 * cleared (frames of forgotten flows then show no step until their next
 * event). */
#define MS_CAPTURE_MAX_FLOWS 65536

/* Largest frame re-read from a file; pcap's own limit for snaplen. */
#define MS_CAPTURE_MAX_FRAME (256 * 1024)

typedef struct _MsCaptureLive MsCaptureLive;

struct _MsCapture
{
  GObject parent_instance;

  /* owned */
  GFile *file;
  char *title;
  char *error;
  char *warning;
  GArray *frames;         /* MsFrameRecord */
  GPtrArray *events;      /* MsEvent */
  GArray *event_session;  /* guint32 */
  GArray *event_next;     /* guint32, next event of the same frame */
  GArray *frame_tail;     /* guint32 per frame, only while loading */
  GArray *addrs;          /* MsAddr; index 0 unused */
  MsLesson *lesson;       /* owns the session summaries once loaded */
  GCancellable *cancellable;
  int linktype;
  gboolean loaded;
  gboolean loading;

  /* live mode only (ms-capture-live.c) */
  MsCaptureLive *live;
  GPtrArray *live_sessions; /* MsSessionSummary copies until the lesson is handed over
                             * (live captures, and files while they load) */
  gboolean have_stats;
  guint64 received, dropped;
};

typedef struct {
  GArray *frames;
  GPtrArray *events;
  GArray *event_session;
  GArray *addrs;         /* new addresses, in table order */
  double fraction;
  int linktype;
  /* live batches: copies of the sessions their events changed, and the
   * kernel's counters when known */
  GPtrArray *sessions;
  gboolean have_stats;
  guint64 received, dropped;
  /* final batch only */
  gboolean last;
  MsLesson *lesson;
  char *error;
  char *warning;
} Batch;

typedef struct {
  MsAddr a, b;           /* a sorts before b */
} FlowKey;

typedef struct {
  FlowKey key;
  guint32 session;
  guint8 step;
  guint8 proto;
  MsAddr client;
  guint32 base[2];       /* by side: 0 = key.a sends */
  gboolean have_base[2];
} Flow;

typedef struct {
  MsCapture *self;       /* borrowed: the task holds a reference */
  GCancellable *cancellable;
  gboolean sync;
  MsLesson *lesson;
  Batch *batch;
  Batch *final;          /* async: the last batch, returned by the task */
  GHashTable *addr_index; /* MsAddr* → index */
  guint32 n_addrs;
  GHashTable *flows;     /* FlowKey* → Flow* */
  guint32 cur_session;
  GHashTable *touched;   /* session ids changed in this batch (live captures and
                          * asynchronous file loads), or NULL */
} Worker;

Batch *ms_capture_batch_new (void);
void ms_capture_batch_free (Batch *b);

void ms_capture_worker_init (Worker *w, MsCapture *self, GCancellable *cancellable,
                             gboolean sync);
void ms_capture_worker_clear (Worker *w);
/* The pipeline's event callback (user_data: the Worker). */
void ms_capture_worker_on_event (MsEvent *ev, gpointer user_data);
/* Fills the record of one frame after the pipeline has seen it. */
void ms_capture_worker_record (Worker *w, const MsFrame *frame, guint events_before);
/* Hands the current batch over (to the main thread, or the task for the
 * last one) and starts a new one. */
void ms_capture_worker_flush (Worker *w, gboolean last);

/* Runs `func` in a worker thread as a task whose result is the last batch
 * (file loading and live captures alike). */
void ms_capture_run_worker (MsCapture *self, GTaskThreadFunc func, const char *name);

/* Main thread: adds a batch to the capture and emits the signals. */
void ms_capture_apply_batch (MsCapture *self, Batch *b);

/* Session copies the main thread sees until the lesson is handed over
 * (live captures, and files while they are indexed): an empty array with
 * the copies' free function, and the worker's copies of the sessions its
 * current batch touched (w->touched), put into the batch. */
GPtrArray *ms_capture_sessions_new (void);
void ms_capture_worker_snapshot_sessions (Worker *w);

/* Live mode (ms-capture-live.c). */
void ms_capture_live_free (MsCaptureLive *live);
/* The bytes of a frame kept in memory, or NULL when it is past the cap. */
GBytes *ms_capture_live_lookup (MsCapture *self, const MsFrameRecord *r);
/* Main thread: merges a batch's session copies. */
void ms_capture_live_merge_sessions (MsCapture *self, GPtrArray *sessions);

G_END_DECLS
