/* ms-capture.c - an opened capture: a worker thread runs the pipeline and the
 * lesson, keeps one compact record per frame and hands frames and events to
 * the main thread in batches. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "mailscope/ms-pipeline.h"
#include "mailscope/ms-packet.h"
#include "ms-capture.h"

/* Frames per batch sent to the main thread: large enough that a 100,000
 * frame capture costs a few dozen main-loop wake-ups, small enough that
 * the progress bar moves. */
#define MS_CAPTURE_BATCH_FRAMES 4096

/* Info column: events of one frame shown before "…". */
#define MS_CAPTURE_INFO_EVENTS 3

/* Flows remembered by the worker for step inheritance; past it the table is
 * cleared (frames of forgotten flows then show no step until their next
 * event). */
#define MS_CAPTURE_MAX_FLOWS 65536

/* Largest frame re-read from a file; pcap's own limit for snaplen. */
#define MS_CAPTURE_MAX_FRAME (256 * 1024)

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
};

enum { SIG_PROGRESS, SIG_LOADED, SIG_FAILED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MsCapture, ms_capture, G_TYPE_OBJECT)

/* ---------------------------------------------------------------------- */
/* Worker                                                                  */

typedef struct {
  GArray *frames;
  GPtrArray *events;
  GArray *event_session;
  GArray *addrs;         /* new addresses, in table order */
  double fraction;
  int linktype;
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
} Worker;

static void
batch_free (Batch *b)
{
  if (b->frames)
    g_array_unref (b->frames);
  if (b->events)
    g_ptr_array_unref (b->events);
  if (b->event_session)
    g_array_unref (b->event_session);
  if (b->addrs)
    g_array_unref (b->addrs);
  if (b->lesson)
    ms_lesson_free (b->lesson);
  g_free (b->error);
  g_free (b->warning);
  g_free (b);
}

static Batch *
batch_new (void)
{
  Batch *b = g_new0 (Batch, 1);
  b->frames = g_array_new (FALSE, FALSE, sizeof (MsFrameRecord));
  b->events = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_event_unref);
  b->event_session = g_array_new (FALSE, FALSE, sizeof (guint32));
  b->addrs = g_array_new (FALSE, FALSE, sizeof (MsAddr));
  return b;
}

static guint
flow_key_hash (gconstpointer p)
{
  const FlowKey *k = p;
  return ms_addr_hash (&k->a) * 31 + ms_addr_hash (&k->b);
}

static gboolean
flow_key_equal (gconstpointer x, gconstpointer y)
{
  const FlowKey *a = x, *b = y;
  return ms_addr_equal (&a->a, &b->a) && ms_addr_equal (&a->b, &b->b);
}

static guint
addr_hash_cb (gconstpointer p)
{
  return ms_addr_hash (p);
}

static gboolean
addr_equal_cb (gconstpointer a, gconstpointer b)
{
  return ms_addr_equal (a, b);
}

/* Returns the table index of `a`, adding it to the batch when new. */
static guint32
worker_addr (Worker *w, const MsAddr *a)
{
  gpointer idx;

  if (a->family == 0)
    return 0;
  if (g_hash_table_lookup_extended (w->addr_index, a, NULL, &idx))
    return GPOINTER_TO_UINT (idx);
  MsAddr *copy = g_memdup2 (a, sizeof *a);
  w->n_addrs++;
  g_hash_table_insert (w->addr_index, copy, GUINT_TO_POINTER (w->n_addrs));
  g_array_append_vals (w->batch->addrs, a, 1);
  return w->n_addrs;
}

/* The flow of a packet, created on first sight; *side says which end sent. */
static Flow *
worker_flow (Worker *w, const MsAddr *src, const MsAddr *dst, int *side)
{
  FlowKey key;
  gboolean swap = memcmp (src, dst, sizeof *src) > 0;

  memset (&key, 0, sizeof key);
  key.a = swap ? *dst : *src;
  key.b = swap ? *src : *dst;
  *side = swap ? 1 : 0;
  Flow *f = g_hash_table_lookup (w->flows, &key);
  if (f == NULL)
    {
      if (g_hash_table_size (w->flows) >= MS_CAPTURE_MAX_FLOWS)
        g_hash_table_remove_all (w->flows);
      f = g_new0 (Flow, 1);
      f->key = key;
      g_hash_table_insert (w->flows, &f->key, f);
    }
  return f;
}

static void
worker_on_event (MsEvent *ev, gpointer user_data)
{
  Worker *w = user_data;
  const MsSessionSummary *s;
  guint32 id;

  ms_lesson_process (w->lesson, ev);
  s = ms_lesson_current_session (w->lesson);
  id = s ? s->id : 0;
  g_ptr_array_add (w->batch->events, ms_event_ref (ev));
  g_array_append_val (w->batch->event_session, id);
}

static void apply_batch (MsCapture *self, Batch *b);

typedef struct {
  MsCapture *self;
  Batch *batch;
} Delivery;

static gboolean
delivery_run (gpointer data)
{
  Delivery *d = data;
  if (!g_cancellable_is_cancelled (d->self->cancellable))
    apply_batch (d->self, d->batch);
  batch_free (d->batch);
  g_object_unref (d->self);
  g_free (d);
  return G_SOURCE_REMOVE;
}

/* Hands the current batch over and starts a new one. */
static void
worker_flush (Worker *w, gboolean last)
{
  Batch *b = w->batch;

  b->last = last;
  w->batch = last ? NULL : batch_new ();
  if (last && !w->sync)
    {
      /* Handed over by the task's callback, after the earlier batches:
       * that way the task no longer holds the capture when "loaded" runs. */
      w->final = b;
      return;
    }
  if (w->sync)
    {
      apply_batch (w->self, b);
      batch_free (b);
      return;
    }
  Delivery *d = g_new0 (Delivery, 1);
  d->self = g_object_ref (w->self);
  d->batch = b;
  g_idle_add_full (G_PRIORITY_DEFAULT, delivery_run, d, NULL);
}

/* Fills the record of one frame after the pipeline has seen it. */
static void
worker_record (Worker *w, const MsFrame *frame, guint events_before)
{
  MsFrameRecord rec;
  MsPacket pkt;
  GPtrArray *evs = w->batch->events;

  memset (&rec, 0, sizeof rec);
  rec.file_offset = frame->file_offset;
  rec.ts_nsec = frame->ts_nsec;
  rec.number = frame->number;
  rec.caplen = frame->caplen;
  rec.len = frame->len;
  rec.first_event = MS_NO_EVENT;
  rec.payload_offset = G_MAXUINT16;
  rec.dir = MS_DIR_NONE;

  ms_packet_decode (frame, NULL, &pkt);
  rec.flags = (guint8) pkt.flags;
  rec.ip_proto = pkt.ip_proto;
  rec.tcp_flags = pkt.tcp_flags;
  rec.src = worker_addr (w, &pkt.src);
  rec.dst = worker_addr (w, &pkt.dst);
  if (pkt.payload_offset != G_MAXUINT32 && pkt.payload_offset < G_MAXUINT16)
    rec.payload_offset = (guint16) pkt.payload_offset;

  if (pkt.src.family != 0 && (pkt.ip_proto == 6 || pkt.ip_proto == 17))
    {
      int side;
      Flow *f = worker_flow (w, &pkt.src, &pkt.dst, &side);

      if (pkt.ip_proto == 6)
        {
          if (pkt.tcp_flags & MS_TCP_SYN)
            {
              f->base[side] = pkt.seq + 1;
              f->have_base[side] = TRUE;
            }
          else if (!f->have_base[side])
            {
              f->base[side] = pkt.seq;
              f->have_base[side] = TRUE;
            }
          rec.rel_seq = pkt.seq - f->base[side];
        }

      for (guint i = events_before; i < evs->len; i++)
        {
          MsEvent *ev = g_ptr_array_index (evs, i);
          guint32 sid = g_array_index (w->batch->event_session, guint32, i);

          if (ev->frame != frame->number)
            continue;
          if (rec.proto == 0)
            rec.proto = ev->proto;
          f->session = sid;
          if (ev->step != MS_STEP_NONE)
            f->step = ev->step;
          f->proto = ev->proto;
          if (ev->client.family != 0)
            f->client = ev->client;
        }
      rec.session = f->session;
      rec.step = f->step;
      if (rec.proto == 0)
        rec.proto = pkt.ip_proto == 6 ? MS_PROTO_TCP
                    : (f->proto == MS_PROTO_DNS ? MS_PROTO_DNS : MS_PROTO_NONE);
      if (f->client.family != 0)
        rec.dir = ms_addr_equal (&f->client, &pkt.src) ? MS_DIR_C2S : MS_DIR_S2C;
    }
  ms_packet_clear (&pkt);
  g_array_append_val (w->batch->frames, rec);
}

static void
worker_run (Worker *w, const char *path, gint64 file_size)
{
  g_autoptr (GError) error = NULL;
  MsPipelineOptions opts;
  MsSource *src;
  MsPipeline *pipe;
  MsFrame frame;
  gint64 approx = 0;

  w->batch = batch_new ();
  src = ms_source_open_file (path, &error);
  if (src == NULL)
    {
      w->batch->error = g_strdup (error->message);
      worker_flush (w, TRUE);
      return;
    }
  w->batch->linktype = ms_source_linktype (src);
  ms_pipeline_options_init (&opts);
  pipe = ms_pipeline_new (&opts, worker_on_event, w);

  for (;;)
    {
      int r;

      if (g_cancellable_is_cancelled (w->cancellable))
        break;
      r = ms_source_next (src, &frame, &error);
      if (r == 1)
        {
          guint before = w->batch->events->len;

          ms_pipeline_feed (pipe, &frame);
          worker_record (w, &frame, before);
          approx = frame.file_offset >= 0 ? frame.file_offset
                                          : approx + frame.caplen + 32;
          if (w->batch->frames->len >= MS_CAPTURE_BATCH_FRAMES)
            {
              w->batch->fraction = file_size > 0 ? (double) approx / file_size : 0;
              w->batch->linktype = ms_source_linktype (src);
              worker_flush (w, FALSE);
            }
          continue;
        }
      if (r == 0)
        break;
      if (r == 2)
        continue;
      if (g_error_matches (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_TRUNCATED))
        w->batch->warning = g_strdup (error->message);
      else
        w->batch->error = g_strdup (error->message);
      break;
    }
  ms_pipeline_finish (pipe);
  ms_pipeline_free (pipe);
  w->batch->linktype = ms_source_linktype (src);
  ms_source_close (src);
  w->batch->fraction = 1.0;
  w->batch->lesson = w->lesson;
  w->lesson = NULL;
  worker_flush (w, TRUE);
}

static void
worker_init (Worker *w, MsCapture *self, GCancellable *cancellable, gboolean sync)
{
  memset (w, 0, sizeof *w);
  w->self = self;
  w->cancellable = cancellable;
  w->sync = sync;
  w->lesson = ms_lesson_new ();
  w->addr_index = g_hash_table_new_full (addr_hash_cb, addr_equal_cb, g_free, NULL);
  w->flows = g_hash_table_new_full (flow_key_hash, flow_key_equal, NULL, g_free);
}

static void
worker_clear (Worker *w)
{
  if (w->lesson)
    ms_lesson_free (w->lesson);
  g_hash_table_unref (w->addr_index);
  g_hash_table_unref (w->flows);
}

static gint64
file_size_of (const char *path)
{
  GStatBuf st;
  return g_stat (path, &st) == 0 ? (gint64) st.st_size : 0;
}

static void
load_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  MsCapture *self = source;
  g_autofree char *path = g_file_get_path (self->file);
  Worker w;

  worker_init (&w, self, self->cancellable, FALSE);
  if (path == NULL)
    {
      w.batch = batch_new ();
      w.batch->error = g_strdup (_("only local files can be opened"));
      worker_flush (&w, TRUE);
    }
  else
    worker_run (&w, path, file_size_of (path));
  worker_clear (&w);
  g_task_return_pointer (task, w.final, (GDestroyNotify) batch_free);
}

/* ---------------------------------------------------------------------- */
/* Main thread                                                             */

static void
apply_batch (MsCapture *self, Batch *b)
{
  guint first_frame = self->frames->len;

  if (b->addrs->len)
    g_array_append_vals (self->addrs, b->addrs->data, b->addrs->len);
  if (b->frames->len)
    {
      g_array_append_vals (self->frames, b->frames->data, b->frames->len);
      g_array_set_size (self->frame_tail, self->frames->len);
      for (guint i = first_frame; i < self->frames->len; i++)
        g_array_index (self->frame_tail, guint32, i) = MS_NO_EVENT;
    }
  for (guint i = 0; i < b->events->len; i++)
    {
      MsEvent *ev = g_ptr_array_index (b->events, i);
      guint32 idx = self->events->len;
      guint32 none = MS_NO_EVENT;
      gint fi = ms_capture_frame_index (self, ev->frame);

      g_ptr_array_add (self->events, ms_event_ref (ev));
      g_array_append_val (self->event_session,
                          g_array_index (b->event_session, guint32, i));
      g_array_append_val (self->event_next, none);
      if (fi < 0)
        continue;
      MsFrameRecord *rec = &g_array_index (self->frames, MsFrameRecord, fi);
      guint32 *tail = &g_array_index (self->frame_tail, guint32, fi);
      if (*tail == MS_NO_EVENT)
        rec->first_event = idx;
      else
        g_array_index (self->event_next, guint32, *tail) = idx;
      *tail = idx;
      if (rec->n_events < G_MAXUINT16)
        rec->n_events++;
    }
  if (b->linktype)
    self->linktype = b->linktype;

  if (!b->last)
    {
      g_signal_emit (self, signals[SIG_PROGRESS], 0, b->fraction, first_frame,
                     b->frames->len);
      return;
    }

  self->loading = FALSE;
  g_clear_pointer (&self->frame_tail, g_array_unref);
  self->frame_tail = g_array_new (FALSE, FALSE, sizeof (guint32));
  if (b->frames->len)
    g_signal_emit (self, signals[SIG_PROGRESS], 0, 1.0, first_frame, b->frames->len);
  if (b->error)
    {
      self->error = g_strdup (b->error);
      g_signal_emit (self, signals[SIG_FAILED], 0, self->error);
      return;
    }
  self->lesson = b->lesson;
  b->lesson = NULL;
  self->warning = g_strdup (b->warning);
  self->loaded = TRUE;
  g_signal_emit (self, signals[SIG_LOADED], 0, self->warning);
}

static void
load_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  MsCapture *self = MS_CAPTURE (source);
  Batch *b = g_task_propagate_pointer (G_TASK (result), NULL);

  if (b == NULL)
    return;
  if (!g_cancellable_is_cancelled (self->cancellable))
    apply_batch (self, b);
  batch_free (b);
}

void
ms_capture_load (MsCapture *self)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (MS_IS_CAPTURE (self));
  g_return_if_fail (!self->loading && !self->loaded);
  self->loading = TRUE;
  /* No cancellable on the task: a cancelled load still returns its batch
   * so that it is freed; load_done drops it. */
  task = g_task_new (self, NULL, load_done, NULL);
  g_task_set_name (task, "mailscope-load");
  g_task_run_in_thread (task, load_thread);
}

gboolean
ms_capture_load_sync (MsCapture *self, GError **error)
{
  g_autofree char *path = g_file_get_path (self->file);
  Worker w;

  g_return_val_if_fail (!self->loading && !self->loaded, FALSE);
  if (path == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("only local files can be opened"));
      return FALSE;
    }
  self->loading = TRUE;
  worker_init (&w, self, self->cancellable, TRUE);
  worker_run (&w, path, file_size_of (path));
  worker_clear (&w);
  if (self->error)
    {
      g_set_error_literal (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_OPEN, self->error);
      return FALSE;
    }
  return TRUE;
}

static void
ms_capture_dispose (GObject *object)
{
  MsCapture *self = MS_CAPTURE (object);
  g_cancellable_cancel (self->cancellable);
  G_OBJECT_CLASS (ms_capture_parent_class)->dispose (object);
}

static void
ms_capture_finalize (GObject *object)
{
  MsCapture *self = MS_CAPTURE (object);

  g_clear_object (&self->file);
  g_clear_object (&self->cancellable);
  g_free (self->title);
  g_free (self->error);
  g_free (self->warning);
  g_array_unref (self->frames);
  g_ptr_array_unref (self->events);
  g_array_unref (self->event_session);
  g_array_unref (self->event_next);
  g_array_unref (self->frame_tail);
  g_array_unref (self->addrs);
  if (self->lesson)
    ms_lesson_free (self->lesson);
  G_OBJECT_CLASS (ms_capture_parent_class)->finalize (object);
}

static void
ms_capture_class_init (MsCaptureClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ms_capture_dispose;
  object_class->finalize = ms_capture_finalize;

  /* (fraction, first new frame index, number of new frames) */
  signals[SIG_PROGRESS] = g_signal_new ("progress", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                        G_TYPE_NONE, 3, G_TYPE_DOUBLE,
                                        G_TYPE_UINT, G_TYPE_UINT);
  signals[SIG_LOADED] = g_signal_new ("loaded", G_TYPE_FROM_CLASS (klass),
                                      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                      G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIG_FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass),
                                      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                      G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
ms_capture_init (MsCapture *self)
{
  MsAddr none;

  self->frames = g_array_new (FALSE, FALSE, sizeof (MsFrameRecord));
  self->events = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_event_unref);
  self->event_session = g_array_new (FALSE, FALSE, sizeof (guint32));
  self->event_next = g_array_new (FALSE, FALSE, sizeof (guint32));
  self->frame_tail = g_array_new (FALSE, FALSE, sizeof (guint32));
  self->addrs = g_array_new (FALSE, FALSE, sizeof (MsAddr));
  memset (&none, 0, sizeof none);
  g_array_append_val (self->addrs, none);
  self->cancellable = g_cancellable_new ();
}

MsCapture *
ms_capture_new (GFile *file)
{
  MsCapture *self = g_object_new (MS_TYPE_CAPTURE, NULL);
  self->file = g_object_ref (file);
  self->title = g_file_get_basename (file);
  return self;
}

GFile *
ms_capture_get_file (MsCapture *self)
{
  return self->file;
}

const char *
ms_capture_get_title (MsCapture *self)
{
  return self->title;
}

void
ms_capture_cancel (MsCapture *self)
{
  g_cancellable_cancel (self->cancellable);
}

gboolean
ms_capture_is_loaded (MsCapture *self)
{
  return self->loaded;
}

const char *
ms_capture_get_error (MsCapture *self)
{
  return self->error;
}

const char *
ms_capture_get_warning (MsCapture *self)
{
  return self->warning;
}

guint
ms_capture_get_n_frames (MsCapture *self)
{
  return self->frames->len;
}

const MsFrameRecord *
ms_capture_get_frame (MsCapture *self, guint index)
{
  g_return_val_if_fail (index < self->frames->len, NULL);
  return &g_array_index (self->frames, MsFrameRecord, index);
}

guint
ms_capture_get_n_events (MsCapture *self)
{
  return self->events->len;
}

MsEvent *
ms_capture_get_event (MsCapture *self, guint index)
{
  g_return_val_if_fail (index < self->events->len, NULL);
  return g_ptr_array_index (self->events, index);
}

guint
ms_capture_get_event_session (MsCapture *self, guint index)
{
  g_return_val_if_fail (index < self->events->len, 0);
  return g_array_index (self->event_session, guint32, index);
}

guint
ms_capture_get_next_in_frame (MsCapture *self, guint index)
{
  g_return_val_if_fail (index < self->events->len, MS_NO_EVENT);
  return g_array_index (self->event_next, guint32, index);
}

const MsAddr *
ms_capture_get_addr (MsCapture *self, guint32 index)
{
  if (index == 0 || index >= self->addrs->len)
    return NULL;
  return &g_array_index (self->addrs, MsAddr, index);
}

int
ms_capture_get_linktype (MsCapture *self)
{
  return self->linktype;
}

guint
ms_capture_get_n_sessions (MsCapture *self)
{
  return self->lesson ? ms_lesson_sessions (self->lesson)->len : 0;
}

const MsSessionSummary *
ms_capture_get_session (MsCapture *self, guint index)
{
  g_return_val_if_fail (index < ms_capture_get_n_sessions (self), NULL);
  return g_ptr_array_index (ms_lesson_sessions (self->lesson), index);
}

const MsSessionSummary *
ms_capture_find_session (MsCapture *self, guint id)
{
  guint n = ms_capture_get_n_sessions (self);

  /* Ids are assigned in order, so the id is usually the position. */
  if (id >= 1 && id <= n && ms_capture_get_session (self, id - 1)->id == id)
    return ms_capture_get_session (self, id - 1);
  for (guint i = 0; i < n; i++)
    if (ms_capture_get_session (self, i)->id == id)
      return ms_capture_get_session (self, i);
  return NULL;
}

gboolean
ms_capture_session_includes (MsCapture *self, guint id, guint other)
{
  const MsSessionSummary *s, *o;
  char a[MS_ADDR_STRLEN], b[MS_ADDR_STRLEN];

  if (id == 0)
    return TRUE;
  if (id == other)
    return TRUE;
  s = ms_capture_find_session (self, id);
  o = ms_capture_find_session (self, other);
  if (s == NULL || o == NULL || s->dns_group || !o->dns_group)
    return FALSE;
  ms_addr_format_ip (&s->client, a, sizeof a);
  ms_addr_format_ip (&o->client, b, sizeof b);
  return strcmp (a, b) == 0;
}

char *
ms_capture_session_label (MsCapture *self, const MsSessionSummary *s)
{
  char c[MS_ADDR_STRLEN], sv[MS_ADDR_STRLEN];

  ms_addr_format (&s->client, c, sizeof c);
  ms_addr_format (&s->server, sv, sizeof sv);
  /* TRANSLATORS: session picker: number, protocol, client → server */
  return g_strdup_printf (_("%u · %s · %s → %s"), s->id,
                          ms_lesson_proto_title (s->proto), c, sv);
}

gint
ms_capture_frame_index (MsCapture *self, guint32 number)
{
  const MsFrameRecord *recs = (const MsFrameRecord *) self->frames->data;
  guint lo = 0, hi = self->frames->len;

  /* Numbers are consecutive from 1, but search anyway in case a source
   * ever skips. */
  if (number >= 1 && number <= hi && recs[number - 1].number == number)
    return (gint) number - 1;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      if (recs[mid].number < number)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo < self->frames->len && recs[lo].number == number ? (gint) lo : -1;
}

/* Flags of a TCP segment as Wireshark prints them. */
static void
append_tcp_flags (GString *s, guint8 flags)
{
  static const struct { guint8 bit; const char *name; } names[] = {
    { MS_TCP_SYN, "SYN" }, { MS_TCP_FIN, "FIN" }, { MS_TCP_RST, "RST" },
    { MS_TCP_PSH, "PSH" }, { MS_TCP_ACK, "ACK" }, { MS_TCP_URG, "URG" },
  };
  gboolean first = TRUE;

  g_string_append_c (s, '[');
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (flags & names[i].bit)
      {
        g_string_append_printf (s, "%s%s", first ? "" : ", ", names[i].name);
        first = FALSE;
      }
  g_string_append_c (s, ']');
}

char *
ms_capture_frame_info (MsCapture *self, guint index, gboolean mask_secrets)
{
  const MsFrameRecord *r = ms_capture_get_frame (self, index);
  GString *s = g_string_new (NULL);
  guint shown = 0;

  for (guint e = r->first_event; e != MS_NO_EVENT; e = ms_capture_get_next_in_frame (self, e))
    {
      MsEvent *ev = ms_capture_get_event (self, e);

      if (shown == MS_CAPTURE_INFO_EVENTS)
        {
          g_string_append (s, " · …");
          break;
        }
      if (shown)
        g_string_append (s, " · ");
      if (ev->info == NULL)
        g_string_append (s, ev->kind);
      else if (mask_secrets && (ev->flags & MS_EVENT_SECRET))
        {
          g_autofree char *m = ms_event_mask (ev, ev->info);
          g_string_append (s, m);
        }
      else
        g_string_append (s, ev->info);
      shown++;
    }
  if (shown)
    return g_string_free (s, FALSE);

  const MsAddr *src = ms_capture_get_addr (self, r->src);
  const MsAddr *dst = ms_capture_get_addr (self, r->dst);
  if (r->ip_proto == 6 && src && dst)
    {
      g_string_append_printf (s, "%u → %u ", src->port, dst->port);
      append_tcp_flags (s, r->tcp_flags);
    }
  else if (r->ip_proto == 17 && src && dst)
    g_string_append_printf (s, "%u → %u", src->port, dst->port);
  else if (r->flags & MS_PACKET_BAD_LINK)
    g_string_append (s, _("not decoded (unsupported link or network type)"));
  if (r->flags & MS_PACKET_TRUNCATED)
    g_string_append (s, _(" (truncated)"));
  if (r->flags & MS_PACKET_MALFORMED)
    g_string_append (s, _(" (malformed)"));
  return g_string_free (s, FALSE);
}

/* ---------------------------------------------------------------------- */
/* Re-reading one frame                                                    */

static guint32
read_u32 (const guint8 *p, gboolean swap)
{
  guint32 v;
  memcpy (&v, p, 4);
  return swap ? GUINT32_SWAP_LE_BE (v) : v;
}

/* Reads a pcap record at its offset; returns NULL (with error) when the file
 * changed or is not classic pcap. */
static GBytes *
read_pcap_record (const char *path, gint64 offset, GError **error)
{
  g_autofree guint8 *data = NULL;
  guint8 hdr[24];
  gboolean swap;
  guint32 magic, caplen;
  FILE *fp = g_fopen (path, "rb");

  if (fp == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("cannot open %s again"), path);
      return NULL;
    }
  if (fread (hdr, 1, 24, fp) != 24)
    goto bad;
  memcpy (&magic, hdr, 4);
  if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
    swap = FALSE;
  else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
    swap = TRUE;
  else
    goto bad;
  if (fseeko (fp, offset, SEEK_SET) != 0 || fread (hdr, 1, 16, fp) != 16)
    goto bad;
  caplen = read_u32 (hdr + 8, swap);
  if (caplen > MS_CAPTURE_MAX_FRAME)
    goto bad;
  data = g_malloc (caplen ? caplen : 1);
  if (fread (data, 1, caplen, fp) != caplen)
    goto bad;
  fclose (fp);
  return g_bytes_new_take (g_steal_pointer (&data), caplen);

bad:
  fclose (fp);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               _("%s changed since it was opened"), path);
  return NULL;
}

GBytes *
ms_capture_read_frame (MsCapture *self, guint index, GError **error)
{
  g_autofree char *path = g_file_get_path (self->file);
  const MsFrameRecord *r = ms_capture_get_frame (self, index);
  MsSource *src;
  MsFrame frame;
  GBytes *bytes = NULL;

  if (r == NULL || path == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("no such frame"));
      return NULL;
    }
  if (r->file_offset >= 0)
    return read_pcap_record (path, r->file_offset, error);

  /* pcapng records have no offset from libpcap: read up to the frame. */
  src = ms_source_open_file (path, error);
  if (src == NULL)
    return NULL;
  for (;;)
    {
      int rc = ms_source_next (src, &frame, error);
      if (rc != 1)
        {
          if (rc == 0)
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                         _("%s changed since it was opened"), path);
          break;
        }
      if (frame.number == r->number)
        {
          bytes = g_bytes_new (frame.data, frame.caplen);
          break;
        }
    }
  ms_source_close (src);
  return bytes;
}

static void
read_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  GBytes *bytes = ms_capture_read_frame (source, GPOINTER_TO_UINT (task_data), &error);

  if (bytes)
    g_task_return_pointer (task, bytes, (GDestroyNotify) g_bytes_unref);
  else
    g_task_return_error (task, error);
}

void
ms_capture_read_frame_async (MsCapture *self, guint index, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_task_data (task, GUINT_TO_POINTER (index), NULL);
  g_task_run_in_thread (task, read_thread);
}

GBytes *
ms_capture_read_frame_finish (MsCapture *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
