/* ms-capture-live.c - live captures: a worker reads frames from an interface
 * (or takes the frames the lab demo hands over), writes them to a pcap file
 * as it goes, keeps the file's first bytes in memory, and runs the same
 * pipeline and lesson as a file load. Batches go to the main thread at
 * least every MS_CAPTURE_LIVE_FLUSH_MS with copies of the sessions they
 * changed, so the views grow while the capture runs.
 *
 * Why this shape: the views only know MsCapture, its records and its
 * "progress" signal, so a live capture that is an MsCapture needs no second
 * set of views, and once it ends it is exactly a capture opened from the
 * pcap it wrote. The lesson stays in the worker (it is not thread-safe);
 * the main thread sees copies of the summaries a batch touched, replaced by
 * the lesson itself at the end. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "lab/ms-demo.h"
#include "ms-capture-private.h"

/* Snapshot length written in the pcap header: the source's default. */
#define MS_CAPTURE_LIVE_SNAPLEN 262144
/* Session copies kept on the main thread while live: the lesson's own cap
 * (MS_LESSON_MAX_SESSIONS); the oldest quarter goes past it. */
#define MS_CAPTURE_LIVE_MAX_SESSIONS 10000
/* Classic pcap with nanosecond timestamps. */
#define MS_PCAP_MAGIC_NSEC 0xa1b23c4d

typedef struct {
  MsFrame frame;
  guint8 data[];
} QueuedFrame;

static void summary_free (gpointer data);

/* Pushed to end a handed-over capture. */
static QueuedFrame end_marker;

struct _MsCaptureLive
{
  MsPipelineOptions opts;
  char *path;
  MsLiveCapture *cap;     /* interface capture, or NULL */
  GAsyncQueue *queue;     /* handed-over frames (QueuedFrame *) */
  gint queued_bytes;      /* atomic */
  gint pushed;            /* atomic: frames handed over */
  gint refused;           /* atomic: frames dropped past MS_CAPTURE_LIVE_MAX_QUEUED */
  gint ended;             /* atomic: the worker has ended */
  gint stop_sent;         /* atomic: the end marker was pushed */
  gboolean running;       /* main thread: started, "loaded" not yet emitted */

  /* worker only */
  FILE *fp;
  gint64 file_pos;
  gboolean header_done;

  GMutex lock;            /* guards mem */
  GByteArray *mem;        /* the pcap file's first bytes */
  gboolean mem_full;
};

void
ms_capture_live_free (MsCaptureLive *live)
{
  QueuedFrame *q;

  if (live->queue)
    {
      while ((q = g_async_queue_try_pop (live->queue)) != NULL)
        if (q != &end_marker)
          g_free (q);
      g_async_queue_unref (live->queue);
    }
  ms_live_capture_close (live->cap);
  if (live->fp)
    fclose (live->fp);
  g_byte_array_unref (live->mem);
  g_mutex_clear (&live->lock);
  g_free (live->path);
  g_free (live);
}

MsCapture *
ms_capture_new_live (const char *title, const char *pcap_path, const MsPipelineOptions *opts)
{
  g_autoptr (GFile) file = g_file_new_for_path (pcap_path);
  MsCapture *self = ms_capture_new (file);
  MsCaptureLive *lv = g_new0 (MsCaptureLive, 1);

  if (opts)
    lv->opts = *opts;
  else
    ms_pipeline_options_init (&lv->opts);
  lv->path = g_strdup (pcap_path);
  lv->mem = g_byte_array_new ();
  g_mutex_init (&lv->lock);
  self->live = lv;
  g_free (self->title);
  self->title = g_strdup (title);
  self->live_sessions = ms_capture_sessions_new ();
  return self;
}

/* ---------------------------------------------------------------------- */
/* The pcap file and the memory copy                                      */

static void
mem_append (MsCaptureLive *lv, const void *data, gsize len)
{
  if (lv->mem_full)
    return;
  g_mutex_lock (&lv->lock);
  if (lv->mem->len + len <= MS_CAPTURE_LIVE_MAX_MEMORY)
    g_byte_array_append (lv->mem, data, (guint) len);
  else
    lv->mem_full = TRUE;  /* the copy stays the file's prefix */
  g_mutex_unlock (&lv->lock);
}

/* Writes bytes to the file and, while there is room, to the memory copy. */
static void
live_write (MsCaptureLive *lv, const void *data, gsize len)
{
  if (lv->fp)
    fwrite (data, 1, len, lv->fp);
  lv->file_pos += (gint64) len;
}

static void
live_write_header (MsCaptureLive *lv, int linktype)
{
  guint32 h[6] = { MS_PCAP_MAGIC_NSEC, 0, 0, 0, MS_CAPTURE_LIVE_SNAPLEN, (guint32) linktype };
  guint16 version[2] = { 2, 4 };

  memcpy (&h[1], version, sizeof version);
  live_write (lv, h, sizeof h);
  mem_append (lv, h, sizeof h);
  lv->header_done = TRUE;
}

/* Appends one record; returns its offset in the file. */
static gint64
live_write_frame (MsCaptureLive *lv, const MsFrame *frame)
{
  guint32 rec[4];
  gint64 offset;
  guint8 *copy;

  if (!lv->header_done)
    live_write_header (lv, frame->linktype);
  offset = lv->file_pos;
  rec[0] = (guint32) (frame->ts_nsec / G_GINT64_CONSTANT (1000000000));
  rec[1] = (guint32) (frame->ts_nsec % G_GINT64_CONSTANT (1000000000));
  rec[2] = frame->caplen;
  rec[3] = frame->len;
  live_write (lv, rec, sizeof rec);
  live_write (lv, frame->data, frame->caplen);
  if (!lv->mem_full)
    {
      /* One append, so that a record is in memory whole or not at all. */
      copy = g_malloc (sizeof rec + frame->caplen);
      memcpy (copy, rec, sizeof rec);
      memcpy (copy + sizeof rec, frame->data, frame->caplen);
      mem_append (lv, copy, sizeof rec + frame->caplen);
      g_free (copy);
    }
  return offset;
}

GBytes *
ms_capture_live_lookup (MsCapture *self, const MsFrameRecord *r)
{
  MsCaptureLive *lv = self->live;
  GBytes *bytes = NULL;
  gint64 end = r->file_offset + 16 + r->caplen;

  if (r->file_offset < 0)
    return NULL;
  g_mutex_lock (&lv->lock);
  if (end <= (gint64) lv->mem->len)
    bytes = g_bytes_new (lv->mem->data + r->file_offset + 16, r->caplen);
  g_mutex_unlock (&lv->lock);
  return bytes;
}

/* ---------------------------------------------------------------------- */
/* Session copies                                                         */

static MsSessionSummary *
summary_copy (const MsSessionSummary *s)
{
  MsSessionSummary *c = g_memdup2 (s, sizeof *s);

  c->user = g_strdup (s->user);
  c->mechanism = g_strdup (s->mechanism);
  c->attachments = s->n_attachments
                     ? g_memdup2 (s->attachments, s->n_attachments * sizeof (MsAttachment))
                     : NULL;
  return c;
}

static void
summary_free (gpointer data)
{
  MsSessionSummary *s = data;

  g_free (s->user);
  g_free (s->mechanism);
  g_free (s->attachments);
  g_free (s);
}

GPtrArray *
ms_capture_sessions_new (void)
{
  return g_ptr_array_new_with_free_func (summary_free);
}

/* Worker: copies of the sessions the batch's events changed, by id. */
void
ms_capture_worker_snapshot_sessions (Worker *w)
{
  const GPtrArray *all = ms_lesson_sessions (w->lesson);
  GPtrArray *copies;

  if (g_hash_table_size (w->touched) == 0)
    return;
  copies = g_ptr_array_new_with_free_func (summary_free);
  /* Touched sessions are nearly always the newest: search from the end. */
  for (guint i = all->len; i > 0 && g_hash_table_size (w->touched) > 0; i--)
    {
      const MsSessionSummary *s = all->pdata[i - 1];
      if (g_hash_table_remove (w->touched, GUINT_TO_POINTER (s->id)))
        g_ptr_array_add (copies, summary_copy (s));
    }
  g_hash_table_remove_all (w->touched);
  /* Found newest first; hand them over in id order. */
  for (guint i = 0; i < copies->len / 2; i++)
    {
      gpointer t = copies->pdata[i];
      copies->pdata[i] = copies->pdata[copies->len - 1 - i];
      copies->pdata[copies->len - 1 - i] = t;
    }
  w->batch->sessions = copies;
}

void
ms_capture_live_merge_sessions (MsCapture *self, GPtrArray *sessions)
{
  GPtrArray *mine = self->live_sessions;

  if (mine == NULL)
    return;
  for (guint i = 0; i < sessions->len; i++)
    {
      MsSessionSummary *s = sessions->pdata[i];
      guint lo = 0, hi = mine->len;

      /* Ids only grow: a binary search finds an existing copy. */
      while (lo < hi)
        {
          guint mid = lo + (hi - lo) / 2;
          if (((MsSessionSummary *) mine->pdata[mid])->id < s->id)
            lo = mid + 1;
          else
            hi = mid;
        }
      sessions->pdata[i] = NULL;
      if (lo < mine->len && ((MsSessionSummary *) mine->pdata[lo])->id == s->id)
        {
          summary_free (mine->pdata[lo]);
          mine->pdata[lo] = s;
        }
      else
        g_ptr_array_insert (mine, (gint) lo, s);
    }
  g_ptr_array_set_free_func (sessions, NULL);
  if (mine->len > MS_CAPTURE_LIVE_MAX_SESSIONS)
    g_ptr_array_remove_range (mine, 0, MS_CAPTURE_LIVE_MAX_SESSIONS / 4);
}

/* ---------------------------------------------------------------------- */
/* The worker                                                             */

/* Worker: the kernel's counters (an interface read directly: at any time;
 * through the helper: once it ended) or the handed-over counts. */
static void
live_stats (MsCaptureLive *lv, Batch *b, gboolean at_end)
{
  if (lv->cap)
    {
      if (at_end || ms_live_capture_mode (lv->cap) == MS_CAPTURE_DIRECT)
        b->have_stats = ms_live_capture_stats (lv->cap, &b->received, &b->dropped);
      return;
    }
  b->have_stats = TRUE;
  b->received = (guint64) g_atomic_int_get (&lv->pushed);
  b->dropped = (guint64) g_atomic_int_get (&lv->refused);
}

static void
live_flush (Worker *w, MsCaptureLive *lv, gboolean at_end)
{
  if (lv->fp)
    fflush (lv->fp);
  ms_capture_worker_snapshot_sessions (w);
  live_stats (lv, w->batch, at_end);
  w->batch->fraction = -1;
  ms_capture_worker_flush (w, at_end);
}

/* The next frame: 1 with *frame (and *q to free), 0 at the end, 2 for
 * nothing yet, -1 with error. */
static int
live_next (MsCaptureLive *lv, MsFrame *frame, QueuedFrame **q, GError **error)
{
  if (lv->cap)
    return ms_source_next (ms_live_capture_source (lv->cap), frame, error);
  *q = g_async_queue_timeout_pop (lv->queue, MS_CAPTURE_LIVE_FLUSH_MS / 2 * 1000);
  if (*q == NULL)
    return 2;
  if (*q == &end_marker)
    {
      *q = NULL;
      return 0;
    }
  *frame = (*q)->frame;
  frame->data = (*q)->data;
  g_atomic_int_add (&lv->queued_bytes, -(gint) frame->caplen);
  return 1;
}

static void
live_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MsCapture *self = source;
  MsCaptureLive *lv = self->live;
  gint64 last_flush = g_get_monotonic_time ();
  guint n_frames = 0;
  MsPipeline *pipe;
  Worker w;

  ms_capture_worker_init (&w, self, self->cancellable, FALSE);
  w.touched = g_hash_table_new (NULL, NULL);
  w.batch = ms_capture_batch_new ();
  pipe = ms_pipeline_new (&lv->opts, ms_capture_worker_on_event, &w);
  if (lv->cap)
    live_write_header (lv, ms_source_linktype (ms_live_capture_source (lv->cap)));

  for (;;)
    {
      g_autoptr (GError) error = NULL;
      QueuedFrame *q = NULL;
      MsFrame frame;
      int r;

      if (g_cancellable_is_cancelled (w.cancellable))
        break;
      r = live_next (lv, &frame, &q, &error);
      if (r == 1)
        {
          guint before = w.batch->events->len;

          frame.file_offset = live_write_frame (lv, &frame);
          ms_pipeline_feed (pipe, &frame);
          ms_capture_worker_record (&w, &frame, before);
          g_free (q);
          if (++n_frames == MS_CAPTURE_LIVE_MAX_FRAMES)
            {
              w.batch->warning = g_strdup_printf (
                  _("The capture stopped by itself after %u frames, the most one capture "
                    "holds."), n_frames);
              break;
            }
        }
      else if (r == 0)
        break;
      else if (r < 0)
        {
          w.batch->warning = g_strdup (error->message);
          break;
        }
      if (w.batch->frames->len >= MS_CAPTURE_BATCH_FRAMES
          || g_get_monotonic_time () - last_flush >= MS_CAPTURE_LIVE_FLUSH_MS * 1000)
        {
          live_flush (&w, lv, FALSE);
          last_flush = g_get_monotonic_time ();
        }
    }
  g_atomic_int_set (&lv->ended, 1);
  if (lv->cap)
    ms_live_capture_stop (lv->cap);
  ms_pipeline_finish (pipe);
  ms_pipeline_free (pipe);
  if (!lv->header_done)
    live_write_header (lv, MS_LINK_ETHERNET);
  if (lv->fp)
    {
      fclose (lv->fp);
      lv->fp = NULL;
    }
  w.batch->lesson = w.lesson;
  w.lesson = NULL;
  w.batch->fraction = 1.0;
  live_stats (lv, w.batch, TRUE);
  ms_capture_worker_flush (&w, TRUE);
  ms_capture_worker_clear (&w);
  g_task_return_pointer (task, w.final, (GDestroyNotify) ms_capture_batch_free);
}

static void
on_live_ended (MsCapture *self, const char *warning, gpointer data)
{
  self->live->running = FALSE;
}

/* Opens the pcap file and starts the worker. */
static gboolean
live_start (MsCapture *self, GError **error)
{
  MsCaptureLive *lv = self->live;

  g_return_val_if_fail (lv != NULL && !self->loading && !self->loaded, FALSE);
  lv->fp = g_fopen (lv->path, "wb");
  if (lv->fp == NULL)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("cannot write %s: %s"), lv->path, g_strerror (saved));
      return FALSE;
    }
  lv->running = TRUE;
  g_signal_connect (self, "loaded", G_CALLBACK (on_live_ended), NULL);
  g_signal_connect (self, "failed", G_CALLBACK (on_live_ended), NULL);
  ms_capture_run_worker (self, live_thread, "mailscope-live");
  return TRUE;
}

gboolean
ms_capture_start_source (MsCapture *self, MsLiveCapture *cap, GError **error)
{
  self->live->cap = cap;
  if (!live_start (self, error))
    {
      ms_live_capture_close (g_steal_pointer (&self->live->cap));
      return FALSE;
    }
  return TRUE;
}

gboolean
ms_capture_start_frames (MsCapture *self, GError **error)
{
  self->live->queue = g_async_queue_new ();
  return live_start (self, error);
}

void
ms_capture_push_frame (MsCapture *self, const MsFrame *frame)
{
  MsCaptureLive *lv = self->live;
  QueuedFrame *q;

  if (lv == NULL || lv->queue == NULL || g_atomic_int_get (&lv->stop_sent)
      || g_atomic_int_get (&lv->ended))
    return;
  g_atomic_int_inc (&lv->pushed);
  if (g_atomic_int_get (&lv->queued_bytes) + (gint) frame->caplen > MS_CAPTURE_LIVE_MAX_QUEUED)
    {
      g_atomic_int_inc (&lv->refused);
      return;
    }
  q = g_malloc (sizeof *q + frame->caplen);
  q->frame = *frame;
  q->frame.data = NULL;
  memcpy (q->data, frame->data, frame->caplen);
  g_atomic_int_add (&lv->queued_bytes, (gint) frame->caplen);
  g_async_queue_push (lv->queue, q);
}

void
ms_capture_stop (MsCapture *self)
{
  MsCaptureLive *lv = self->live;

  if (lv == NULL || g_atomic_int_get (&lv->ended))
    return;
  if (lv->cap)
    ms_live_capture_stop (lv->cap);
  else if (lv->queue && g_atomic_int_compare_and_exchange (&lv->stop_sent, 0, 1))
    g_async_queue_push (lv->queue, &end_marker);
}

gboolean
ms_capture_is_live (MsCapture *self)
{
  return self->live != NULL && self->live->running
         && !g_cancellable_is_cancelled (self->cancellable);
}

gboolean
ms_capture_get_stats (MsCapture *self, guint64 *received, guint64 *dropped)
{
  if (!self->have_stats)
    return FALSE;
  if (received)
    *received = self->received;
  if (dropped)
    *dropped = self->dropped;
  return TRUE;
}
