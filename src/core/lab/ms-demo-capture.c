/* ms-demo-capture.c - the demo's capture thread: it reads the live capture
 * through the pipeline and hands the decoded events to the demo's context
 * in batches; the last phase ends once it has finished. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ms-demo-private.h"

static gboolean flush_events (gpointer data);

/* With d->lock held: makes sure a flush is scheduled on the demo's
 * context. */
static void
schedule_flush_locked (MsDemo *d)
{
  if (d->flush_source != NULL)
    return;
  d->flush_source = g_idle_source_new ();
  g_source_set_callback (d->flush_source, flush_events, d, NULL);
  g_source_attach (d->flush_source, d->ctx);
}

/* Pipeline callback, in the capture thread: events wait for the next
 * flush. */
static void
on_pipeline_event (MsEvent *ev, gpointer data)
{
  MsDemo *d = data;
  g_mutex_lock (&d->lock);
  g_ptr_array_add (d->pending, ms_event_ref (ev));
  schedule_flush_locked (d);
  g_mutex_unlock (&d->lock);
}

static gpointer
capture_thread (gpointer data)
{
  MsDemo *d = data;
  MsSource *src = ms_live_capture_source (d->cap);
  MsPipeline *pipe = ms_pipeline_new (&d->pipe_opts, on_pipeline_event, d);
  MsFrame frame;

  for (;;)
    {
      g_autoptr (GError) error = NULL;
      int r = ms_source_next (src, &frame, &error);
      if (r == 1)
        {
          g_atomic_int_inc (&d->frames);
          if (d->cb.frame)
            d->cb.frame (d, &frame, d->user_data);
          ms_pipeline_feed (pipe, &frame);
        }
      else if (r != 2)
        break;
    }
  ms_pipeline_finish (pipe);
  ms_pipeline_free (pipe);

  g_mutex_lock (&d->lock);
  d->capture_done = TRUE;
  schedule_flush_locked (d);
  g_mutex_unlock (&d->lock);
  return NULL;
}

/* Hands the events the capture thread left to the caller; TRUE once the
 * capture thread has ended. */
gboolean
ms_demo_deliver_pending (MsDemo *d)
{
  g_mutex_lock (&d->lock);
  GPtrArray *batch = d->pending;
  d->pending = g_ptr_array_new ();
  gboolean done = d->capture_done;
  g_mutex_unlock (&d->lock);

  if (batch->len && d->cb.events)
    d->cb.events (d, (MsEvent *const *) batch->pdata, batch->len, d->user_data);
  for (guint i = 0; i < batch->len; i++)
    ms_event_unref (batch->pdata[i]);
  g_ptr_array_unref (batch);
  return done;
}

/* Joins the ended capture thread and reads the final statistics. */
static void
reap_capture (MsDemo *d)
{
  guint64 received;
  g_thread_join (d->thread);
  d->thread = NULL;
  ms_live_capture_stats (d->cap, &received, &d->dropped);
}

/* On the demo's context: delivers the pending events; once the capture
 * thread has ended, finishes the last phase. */
static gboolean
flush_events (gpointer data)
{
  MsDemo *d = data;
  g_mutex_lock (&d->lock);
  g_source_unref (d->flush_source);
  d->flush_source = NULL;
  g_mutex_unlock (&d->lock);

  if (ms_demo_deliver_pending (d) && d->thread != NULL)
    {
      reap_capture (d);
      if (d->stopping)
        ms_demo_finish_phase (d);
    }
  return G_SOURCE_REMOVE;
}

/* Starts the capture, or records why there is none. */
void
ms_demo_start_capture (MsDemo *d)
{
  g_autoptr (GError) error = NULL;
  if (d->opts.no_capture)
    {
      d->capture_reason = g_strdup (_("capturing was turned off"));
      return;
    }
  g_autofree char *filter = ms_demo_capture_filter (d);
  d->cap = ms_live_capture_open (d->opts.iface, filter, &error);
  if (d->cap == NULL)
    {
      d->capture_reason = g_strdup (error->message);
      return;
    }
  if (d->opts.pcap_path
      && !ms_source_set_dump (ms_live_capture_source (d->cap), d->opts.pcap_path, &error))
    {
      d->capture_reason = g_strdup (error->message);
      ms_live_capture_close (d->cap);
      d->cap = NULL;
      return;
    }
  d->mode = ms_live_capture_mode (d->cap);
  d->thread = g_thread_new ("ms-demo-capture", capture_thread, d);
}
