/* ms-lab-source.h - timers and idle callbacks of the lab on the calling
 * thread's default main context.
 *
 * The lab's servers run wherever their caller iterates a main context: the
 * CLI's global loop, or a GUI worker thread that pushed its own context as
 * thread default. g_timeout_add() and g_source_remove() always use the
 * global default context, so they would run the lab's callbacks on another
 * thread; these helpers use the thread-default context instead (the global
 * one when none was pushed, so single-threaded callers see no change).
 * A source must be removed from the thread that added it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

static inline guint
ms_lab_source_attach (GSource *src, GSourceFunc func, gpointer data)
{
  g_source_set_callback (src, func, data, NULL);
  guint id = g_source_attach (src, g_main_context_get_thread_default ());
  g_source_unref (src);
  return id;
}

/* g_timeout_add() on the thread-default context. */
static inline guint
ms_lab_timeout_add (guint interval_ms, GSourceFunc func, gpointer data)
{
  return ms_lab_source_attach (g_timeout_source_new (interval_ms), func, data);
}

static inline guint
ms_lab_timeout_add_seconds (guint interval_s, GSourceFunc func, gpointer data)
{
  return ms_lab_source_attach (g_timeout_source_new_seconds (interval_s), func, data);
}

/* g_idle_add() on the thread-default context. */
static inline guint
ms_lab_idle_add (GSourceFunc func, gpointer data)
{
  return ms_lab_source_attach (g_idle_source_new (), func, data);
}

/* g_source_remove() for a source added by the helpers above. */
static inline void
ms_lab_source_remove (guint id)
{
  GSource *src = g_main_context_find_source_by_id (g_main_context_get_thread_default (), id);
  if (src)
    g_source_destroy (src);
}

G_END_DECLS
