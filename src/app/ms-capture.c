/* ms-capture.c - an opened capture: one compact record per frame, the
 * decoded events and the per-session summaries, filled by a worker thread in
 * batches. This file holds the object, file loading and the accessors; the
 * worker is in ms-capture-worker.c, re-reading frames in ms-capture-read.c
 * and live captures in ms-capture-live.c. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "mailscope/ms-pipeline.h"
#include "mailscope/ms-packet.h"
#include "ms-capture-private.h"

/* Info column: events of one frame shown before "…". */
#define MS_CAPTURE_INFO_EVENTS 3

enum { SIG_PROGRESS, SIG_LOADED, SIG_FAILED, SIG_STATS, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MsCapture, ms_capture, G_TYPE_OBJECT)

static void
worker_run (Worker *w, const char *path, gint64 file_size)
{
  g_autoptr (GError) error = NULL;
  MsPipelineOptions opts;
  MsSource *src;
  MsPipeline *pipe;
  MsFrame frame;
  gint64 approx = 0;

  w->batch = ms_capture_batch_new ();
  src = ms_source_open_file (path, &error);
  if (src == NULL)
    {
      w->batch->error = g_strdup (error->message);
      ms_capture_worker_flush (w, TRUE);
      return;
    }
  w->batch->linktype = ms_source_linktype (src);
  ms_pipeline_options_init (&opts);
  pipe = ms_pipeline_new (&opts, ms_capture_worker_on_event, w);

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
          ms_capture_worker_record (w, &frame, before);
          approx = frame.file_offset >= 0 ? frame.file_offset
                                          : approx + frame.caplen + 32;
          if (w->batch->frames->len >= MS_CAPTURE_BATCH_FRAMES)
            {
              w->batch->fraction = file_size > 0 ? (double) approx / file_size : 0;
              w->batch->linktype = ms_source_linktype (src);
              if (w->touched)
                ms_capture_worker_snapshot_sessions (w);
              ms_capture_worker_flush (w, FALSE);
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
  ms_capture_worker_flush (w, TRUE);
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

  ms_capture_worker_init (&w, self, self->cancellable, FALSE);
  /* The window shows the sessions found so far while the rest loads. */
  w.touched = g_hash_table_new (NULL, NULL);
  if (path == NULL)
    {
      w.batch = ms_capture_batch_new ();
      w.batch->error = g_strdup (_("only local files can be opened"));
      ms_capture_worker_flush (&w, TRUE);
    }
  else
    worker_run (&w, path, file_size_of (path));
  ms_capture_worker_clear (&w);
  g_task_return_pointer (task, w.final, (GDestroyNotify) ms_capture_batch_free);
}

/* ---------------------------------------------------------------------- */
/* Main thread                                                             */

void
ms_capture_apply_batch (MsCapture *self, Batch *b)
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
  if (b->sessions)
    ms_capture_live_merge_sessions (self, b->sessions);
  if (b->have_stats)
    {
      gboolean changed = !self->have_stats || self->received != b->received
                         || self->dropped != b->dropped;
      self->have_stats = TRUE;
      self->received = b->received;
      self->dropped = b->dropped;
      if (changed)
        g_signal_emit (self, signals[SIG_STATS], 0);
    }

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
  /* The lesson's own summaries replace the copies a live capture showed. */
  g_clear_pointer (&self->live_sessions, g_ptr_array_unref);
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
    ms_capture_apply_batch (self, b);
  ms_capture_batch_free (b);
}

void
ms_capture_run_worker (MsCapture *self, GTaskThreadFunc func, const char *name)
{
  g_autoptr (GTask) task = NULL;

  self->loading = TRUE;
  /* No cancellable on the task: a cancelled load still returns its batch
   * so that it is freed; load_done drops it. */
  task = g_task_new (self, NULL, load_done, NULL);
  g_task_set_name (task, name);
  g_task_run_in_thread (task, func);
}

void
ms_capture_load (MsCapture *self)
{
  g_return_if_fail (MS_IS_CAPTURE (self));
  g_return_if_fail (!self->loading && !self->loaded);
  if (self->live_sessions == NULL)
    self->live_sessions = ms_capture_sessions_new ();
  ms_capture_run_worker (self, load_thread, "mailscope-load");
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
  ms_capture_worker_init (&w, self, self->cancellable, TRUE);
  worker_run (&w, path, file_size_of (path));
  ms_capture_worker_clear (&w);
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
  g_clear_pointer (&self->live_sessions, g_ptr_array_unref);
  g_clear_pointer (&self->live, ms_capture_live_free);
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
  /* Live captures: the kernel's received/dropped counters changed. */
  signals[SIG_STATS] = g_signal_new ("stats", G_TYPE_FROM_CLASS (klass),
                                     G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                     G_TYPE_NONE, 0);
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
  if (self->live)
    ms_capture_stop (self);
}

gboolean
ms_capture_is_loaded (MsCapture *self)
{
  return self->loaded;
}

gboolean
ms_capture_is_loading (MsCapture *self)
{
  return self->loading;
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

/* The lesson's sessions once loaded; a live capture's copies before. */
static const GPtrArray *
sessions_of (MsCapture *self)
{
  if (self->lesson)
    return ms_lesson_sessions (self->lesson);
  return self->live_sessions;
}

guint
ms_capture_get_n_sessions (MsCapture *self)
{
  const GPtrArray *s = sessions_of (self);
  return s ? s->len : 0;
}

const MsSessionSummary *
ms_capture_get_session (MsCapture *self, guint index)
{
  g_return_val_if_fail (index < ms_capture_get_n_sessions (self), NULL);
  return g_ptr_array_index (sessions_of (self), index);
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

guint
ms_capture_first_mail_session (MsCapture *self)
{
  for (guint i = 0; i < ms_capture_get_n_sessions (self); i++)
    {
      const MsSessionSummary *s = ms_capture_get_session (self, i);
      if (!s->dns_group && s->proto != MS_PROTO_DNS)
        return s->id;
    }
  return 0;
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