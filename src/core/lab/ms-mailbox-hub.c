/* ms-mailbox-hub.c - shared Maildir folders and change notification for the
 * lab's IMAP sessions (RFC 3501 §5.2, RFC 2177 IDLE).
 *
 * Watching: each folder that some session has selected gets a GFileMonitor
 * (inotify) on its new/ and cur/. An event schedules one rescan of the folder
 * a few milliseconds later (bursts fold together) and, when anything changed,
 * one fan-out to every listener. inotify was chosen over polling because a
 * delivery reaches idle clients within milliseconds and an idle classroom
 * costs nothing; polling once a second is kept only as the fallback for file
 * systems where no monitor can be made. */
#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "ms-lab-source.h"
#include "ms-mailbox-hub.h"

/* Events arriving within this window are folded into one rescan: an MTA's
 * tmp→new rename and our own new→cur renames come in bursts. */
#define HUB_RESCAN_DELAY_MS 15
/* Without a file monitor the folder is polled this often while watched. */
#define HUB_POLL_INTERVAL_MS 1000
/* Cached CRLF sizes per folder: bounded so that a huge folder cannot grow
 * the cache without end (it is simply cleared when full). */
#define HUB_MAX_SIZE_CACHE 100000

typedef struct {
  MsHubNotify func;
  gpointer listener;     /* NULL once removed during a fan-out */
} Listener;

struct _MsHubBox {
  guint ref;
  MsMaildir *md;
  char *name;            /* canonical: INBOX or the folder name */
  char *key;
  MsMailbox *mb;
  guint64 generation;
  gboolean gone;
  GArray *listeners;     /* of Listener */
  guint fanning;         /* > 0 while notifying */
  guint notify_id;
  guint rescan_id;
  guint poll_id;
  GFileMonitor *monitors[2];
  guint32 recent_upto;   /* highest UID whose \Recent was handed out */
  GHashTable *sizes;     /* uid → CRLF size + 1 */
};

/* key → MsHubBox (borrowed). Each box belongs to the thread of its
 * Maildir's server, but servers in different threads share this table. */
static GHashTable *boxes;
G_LOCK_DEFINE_STATIC (boxes);

static char *
box_key (MsMaildir *md, const char *name)
{
  return g_strdup_printf ("%p/%s", (void *) md, g_ascii_strcasecmp (name, "INBOX") == 0 ? "INBOX" : name);
}

guint
ms_mailbox_hub_n_open (void)
{
  G_LOCK (boxes);
  guint n = boxes ? g_hash_table_size (boxes) : 0;
  G_UNLOCK (boxes);
  return n;
}

MsHubBox *
ms_mailbox_hub_open (MsMaildir *md, const char *name, GError **error)
{
  g_autofree char *key = box_key (md, name);
  G_LOCK (boxes);
  if (boxes == NULL)
    boxes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  MsHubBox *box = g_hash_table_lookup (boxes, key);
  G_UNLOCK (boxes);
  if (box)
    return ms_hub_box_ref (box);
  MsMailbox *mb = ms_mailbox_open (md, name, error);
  if (mb == NULL)
    return NULL;
  box = g_new0 (MsHubBox, 1);
  box->ref = 1;
  box->md = md;
  box->name = g_strdup (g_ascii_strcasecmp (name, "INBOX") == 0 ? "INBOX" : name);
  box->key = g_strdup (key);
  box->mb = mb;
  box->listeners = g_array_new (FALSE, FALSE, sizeof (Listener));
  box->sizes = g_hash_table_new (NULL, NULL);
  G_LOCK (boxes);
  g_hash_table_insert (boxes, g_steal_pointer (&key), box);
  G_UNLOCK (boxes);
  return box;
}

MsHubBox *
ms_hub_box_ref (MsHubBox *box)
{
  box->ref++;
  return box;
}

static void
stop_watching (MsHubBox *box)
{
  for (guint i = 0; i < G_N_ELEMENTS (box->monitors); i++)
    if (box->monitors[i])
      {
        g_signal_handlers_disconnect_by_data (box->monitors[i], box);
        g_file_monitor_cancel (box->monitors[i]);
        g_clear_object (&box->monitors[i]);
      }
  if (box->poll_id)
    ms_lab_source_remove (box->poll_id);
  box->poll_id = 0;
  if (box->rescan_id)
    ms_lab_source_remove (box->rescan_id);
  box->rescan_id = 0;
}

void
ms_hub_box_unref (MsHubBox *box)
{
  if (box == NULL || --box->ref > 0)
    return;
  stop_watching (box);
  if (box->notify_id)
    ms_lab_source_remove (box->notify_id);
  G_LOCK (boxes);
  if (!box->gone && boxes)
    g_hash_table_remove (boxes, box->key);
  G_UNLOCK (boxes);
  ms_mailbox_free (box->mb);
  g_array_unref (box->listeners);
  g_hash_table_unref (box->sizes);
  g_free (box->name);
  g_free (box->key);
  g_free (box);
}

void
ms_mailbox_hub_forget (MsMaildir *md, const char *name)
{
  g_autofree char *key = box_key (md, name);
  G_LOCK (boxes);
  MsHubBox *box = boxes ? g_hash_table_lookup (boxes, key) : NULL;
  if (box)
    g_hash_table_remove (boxes, key);
  G_UNLOCK (boxes);
  if (box == NULL)
    return;
  box->gone = TRUE;
  stop_watching (box);
  ms_hub_box_changed (box);
}

MsMailbox *
ms_hub_box_mailbox (MsHubBox *box)
{
  return box->mb;
}

const char *
ms_hub_box_name (MsHubBox *box)
{
  return box->name;
}

guint64
ms_hub_box_generation (MsHubBox *box)
{
  return box->generation;
}

gboolean
ms_hub_box_gone (MsHubBox *box)
{
  return box->gone;
}

/* --- fan-out --------------------------------------------------------- */

static gboolean
notify_all (gpointer data)
{
  MsHubBox *box = data;
  box->notify_id = 0;
  ms_hub_box_ref (box);
  box->fanning++;
  guint n = box->listeners->len;
  for (guint i = 0; i < n; i++)
    {
      Listener *l = &g_array_index (box->listeners, Listener, i);
      if (l->listener)
        l->func (l->listener);
    }
  box->fanning--;
  if (box->fanning == 0)
    for (guint i = box->listeners->len; i-- > 0;)
      if (g_array_index (box->listeners, Listener, i).listener == NULL)
        g_array_remove_index (box->listeners, i);
  ms_hub_box_unref (box);
  return G_SOURCE_REMOVE;
}

void
ms_hub_box_changed (MsHubBox *box)
{
  box->generation++;
  if (box->notify_id == 0 && box->listeners->len > 0)
    {
      GSource *src = g_idle_source_new ();
      g_source_set_priority (src, G_PRIORITY_DEFAULT);
      box->notify_id = ms_lab_source_attach (src, notify_all, box);
    }
}

gboolean
ms_hub_box_refresh (MsHubBox *box)
{
  if (box->gone)
    return FALSE;
  GError *error = NULL;
  if (!ms_mailbox_rescan (box->mb, &error))
    {
      g_clear_error (&error);
      return FALSE;
    }
  ms_hub_box_changed (box);
  return TRUE;
}

static gboolean
rescan_now (gpointer data)
{
  MsHubBox *box = data;
  box->rescan_id = 0;
  ms_hub_box_refresh (box);
  return G_SOURCE_REMOVE;
}

static gboolean
poll_tick (gpointer data)
{
  ms_hub_box_refresh (data);
  return G_SOURCE_CONTINUE;
}

static void
on_dir_changed (GFileMonitor *mon, GFile *file, GFile *other, GFileMonitorEvent ev,
                gpointer data)
{
  MsHubBox *box = data;
  if (ev == G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED || ev == G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT)
    return;
  if (box->rescan_id == 0)
    box->rescan_id = ms_lab_timeout_add (HUB_RESCAN_DELAY_MS, rescan_now, box);
}

static void
start_watching (MsHubBox *box)
{
  if (box->gone || box->monitors[0] || box->poll_id)
    return;
  g_autofree char *dir = ms_maildir_path (box->md, box->name);
  static const char *const subs[] = { "new", "cur" };
  gboolean ok = dir != NULL;
  for (guint i = 0; ok && i < G_N_ELEMENTS (subs); i++)
    {
      g_autofree char *path = g_build_filename (dir, subs[i], NULL);
      g_autoptr (GFile) f = g_file_new_for_path (path);
      box->monitors[i] = g_file_monitor_directory (f, G_FILE_MONITOR_WATCH_MOVES, NULL, NULL);
      if (box->monitors[i] == NULL)
        ok = FALSE;
      else
        g_signal_connect (box->monitors[i], "changed", G_CALLBACK (on_dir_changed), box);
    }
  if (!ok)
    {
      stop_watching (box);
      box->poll_id = ms_lab_timeout_add (HUB_POLL_INTERVAL_MS, poll_tick, box);
    }
}

void
ms_hub_box_listen (MsHubBox *box, MsHubNotify func, gpointer listener)
{
  Listener l = { func, listener };
  g_array_append_val (box->listeners, l);
  start_watching (box);
}

void
ms_hub_box_unlisten (MsHubBox *box, gpointer listener)
{
  guint live = 0;
  for (guint i = box->listeners->len; i-- > 0;)
    {
      Listener *l = &g_array_index (box->listeners, Listener, i);
      if (l->listener == listener)
        {
          if (box->fanning)
            l->listener = NULL;
          else
            g_array_remove_index (box->listeners, i);
        }
      else if (l->listener)
        live++;
    }
  if (live == 0)
    stop_watching (box);
}

/* --- per-message facts ----------------------------------------------- */

gboolean
ms_hub_box_claim_recent (MsHubBox *box, guint32 uid)
{
  gint idx = ms_mailbox_find (box->mb, uid);
  if (idx < 0 || !(ms_mailbox_get (box->mb, (guint) idx)->flags & MS_MSG_RECENT)
      || uid <= box->recent_upto)
    return FALSE;
  box->recent_upto = uid;
  return TRUE;
}

guint
ms_hub_box_unclaimed_recent (MsHubBox *box)
{
  guint n = 0;
  for (guint i = 0; i < ms_mailbox_count (box->mb); i++)
    {
      const MsMessage *m = ms_mailbox_get (box->mb, i);
      if ((m->flags & MS_MSG_RECENT) && m->uid > box->recent_upto)
        n++;
    }
  return n;
}

gint64
ms_hub_box_crlf_size (MsHubBox *box, guint32 uid)
{
  gpointer cached = g_hash_table_lookup (box->sizes, GUINT_TO_POINTER (uid));
  if (cached)
    return (gint64) GPOINTER_TO_SIZE (cached) - 1;
  g_autoptr (GBytes) bytes = ms_mailbox_read (box->mb, uid, NULL);
  if (bytes == NULL)
    return -1;
  gsize len;
  const guint8 *p = g_bytes_get_data (bytes, &len);
  gint64 size = (gint64) len;
  for (gsize i = 0; i < len; i++)
    if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
      size++;
  if (g_hash_table_size (box->sizes) >= HUB_MAX_SIZE_CACHE)
    g_hash_table_remove_all (box->sizes);
  g_hash_table_insert (box->sizes, GUINT_TO_POINTER (uid), GSIZE_TO_POINTER ((gsize) size + 1));
  return size;
}
