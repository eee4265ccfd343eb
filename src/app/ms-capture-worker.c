/* ms-capture-worker.c - the capture's worker side: runs after the pipeline
 * for each frame, keeps one compact record per frame (addresses, flow,
 * step, direction) and hands frames and events to the main thread in
 * batches. Used by file loading and by the live mode alike. */
#include "config.h"

#include <string.h>

#include "mailscope/ms-packet.h"
#include "ms-capture-private.h"

void
ms_capture_batch_free (Batch *b)
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
  if (b->sessions)
    g_ptr_array_unref (b->sessions);
  g_free (b->error);
  g_free (b->warning);
  g_free (b);
}

Batch *
ms_capture_batch_new (void)
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

void
ms_capture_worker_on_event (MsEvent *ev, gpointer user_data)
{
  Worker *w = user_data;
  const MsSessionSummary *s;
  guint32 id;

  ms_lesson_process (w->lesson, ev);
  s = ms_lesson_current_session (w->lesson);
  id = s ? s->id : 0;
  g_ptr_array_add (w->batch->events, ms_event_ref (ev));
  g_array_append_val (w->batch->event_session, id);
  if (w->touched && id != 0)
    g_hash_table_add (w->touched, GUINT_TO_POINTER (id));
}

typedef struct {
  MsCapture *self;
  Batch *batch;
} Delivery;

static gboolean
delivery_run (gpointer data)
{
  Delivery *d = data;
  if (!g_cancellable_is_cancelled (d->self->cancellable))
    ms_capture_apply_batch (d->self, d->batch);
  ms_capture_batch_free (d->batch);
  g_object_unref (d->self);
  g_free (d);
  return G_SOURCE_REMOVE;
}

/* Hands the current batch over and starts a new one. */
void
ms_capture_worker_flush (Worker *w, gboolean last)
{
  Batch *b = w->batch;

  b->last = last;
  w->batch = last ? NULL : ms_capture_batch_new ();
  if (last && !w->sync)
    {
      /* Handed over by the task's callback, after the earlier batches:
       * that way the task no longer holds the capture when "loaded" runs. */
      w->final = b;
      return;
    }
  if (w->sync)
    {
      ms_capture_apply_batch (w->self, b);
      ms_capture_batch_free (b);
      return;
    }
  Delivery *d = g_new0 (Delivery, 1);
  d->self = g_object_ref (w->self);
  d->batch = b;
  g_idle_add_full (G_PRIORITY_DEFAULT, delivery_run, d, NULL);
}

/* Fills the record of one frame after the pipeline has seen it. */
void
ms_capture_worker_record (Worker *w, const MsFrame *frame, guint events_before)
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

void
ms_capture_worker_init (Worker *w, MsCapture *self, GCancellable *cancellable, gboolean sync)
{
  memset (w, 0, sizeof *w);
  w->self = self;
  w->cancellable = cancellable;
  w->sync = sync;
  w->lesson = ms_lesson_new ();
  w->addr_index = g_hash_table_new_full (addr_hash_cb, addr_equal_cb, g_free, NULL);
  w->flows = g_hash_table_new_full (flow_key_hash, flow_key_equal, NULL, g_free);
}

void
ms_capture_worker_clear (Worker *w)
{
  if (w->lesson)
    ms_lesson_free (w->lesson);
  g_hash_table_unref (w->addr_index);
  g_hash_table_unref (w->flows);
  if (w->touched)
    g_hash_table_unref (w->touched);
}