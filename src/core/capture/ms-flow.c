/* ms-flow.c - the TCP flow table: 5-tuple hash plus two LRU queues (closed
 * flows are forgotten before open ones). */
#include "config.h"

#include <string.h>

#include "ms-flow.h"

struct _MsFlowTable {
  GHashTable *by_key;   /* MsFlowKey* (inside the flow) → MsFlow* */
  GQueue open;          /* least recently active first */
  GQueue closed;
};

static int
endpoint_cmp (const MsAddr *a, const MsAddr *b)
{
  int c = memcmp (a->addr, b->addr, a->family == 4 ? 4 : 16);
  if (c != 0)
    return c;
  return (int) a->port - (int) b->port;
}

guint
ms_flow_key_init (MsFlowKey *key, const MsAddr *src, const MsAddr *dst)
{
  guint src_side = endpoint_cmp (src, dst) <= 0 ? 0 : 1;
  const MsAddr *lo = src_side == 0 ? src : dst;
  const MsAddr *hi = src_side == 0 ? dst : src;
  gsize n = src->family == 4 ? 4 : 16;   /* IPv4 ignores the unused bytes */

  memset (key, 0, sizeof *key);
  key->family = src->family;
  key->port[0] = lo->port;
  key->port[1] = hi->port;
  memcpy (key->addr[0], lo->addr, n);
  memcpy (key->addr[1], hi->addr, n);
  return src_side;
}

/* Word-wise multiply-xorshift over the key: a flow lookup happens for every
 * TCP frame, so this must cost a handful of instructions. */
static guint
key_hash (gconstpointer p)
{
  guint32 w[sizeof (MsFlowKey) / 4];
  guint32 h = 0x9e3779b9u;

  G_STATIC_ASSERT (sizeof (MsFlowKey) % 4 == 0);
  memcpy (w, p, sizeof w);
  for (gsize i = 0; i < G_N_ELEMENTS (w); i++)
    {
      h ^= w[i];
      h *= 0x85ebca6bu;
      h ^= h >> 15;
    }
  return h;
}

static gboolean
key_equal (gconstpointer a, gconstpointer b)
{
  return memcmp (a, b, sizeof (MsFlowKey)) == 0;
}

MsFlowTable *
ms_flow_table_new (void)
{
  MsFlowTable *t = g_new0 (MsFlowTable, 1);
  t->by_key = g_hash_table_new (key_hash, key_equal);
  g_queue_init (&t->open);
  g_queue_init (&t->closed);
  return t;
}

void
ms_flow_table_free (MsFlowTable *t)
{
  if (t == NULL)
    return;
  g_hash_table_unref (t->by_key);
  g_free (t);
}

MsFlow *
ms_flow_table_lookup (MsFlowTable *t, const MsFlowKey *key)
{
  return g_hash_table_lookup (t->by_key, key);
}

void
ms_flow_table_insert (MsFlowTable *t, MsFlow *f)
{
  f->link.data = f;
  f->link.prev = f->link.next = NULL;
  g_queue_push_tail_link (f->closed ? &t->closed : &t->open, &f->link);
  g_hash_table_insert (t->by_key, &f->key, f);
}

void
ms_flow_table_remove (MsFlowTable *t, MsFlow *f)
{
  g_queue_unlink (f->closed ? &t->closed : &t->open, &f->link);
  g_hash_table_remove (t->by_key, &f->key);
}

void
ms_flow_table_touch (MsFlowTable *t, MsFlow *f)
{
  GQueue *q = f->closed ? &t->closed : &t->open;
  if (q->tail == &f->link)
    return;
  g_queue_unlink (q, &f->link);
  g_queue_push_tail_link (q, &f->link);
}

void
ms_flow_table_set_closed (MsFlowTable *t, MsFlow *f)
{
  if (f->closed)
    return;
  g_queue_unlink (&t->open, &f->link);
  f->closed = TRUE;
  g_queue_push_tail_link (&t->closed, &f->link);
}

MsFlow *
ms_flow_table_victim (MsFlowTable *t)
{
  if (t->closed.head)
    return t->closed.head->data;
  if (t->open.head)
    return t->open.head->data;
  return NULL;
}

guint
ms_flow_table_size (MsFlowTable *t)
{
  return g_hash_table_size (t->by_key);
}

static gint
by_index (gconstpointer a, gconstpointer b)
{
  const MsFlow *fa = *(MsFlow *const *) a;
  const MsFlow *fb = *(MsFlow *const *) b;
  return fa->index < fb->index ? -1 : fa->index > fb->index;
}

GPtrArray *
ms_flow_table_list (MsFlowTable *t)
{
  GPtrArray *all = g_ptr_array_sized_new (ms_flow_table_size (t));
  GHashTableIter it;
  gpointer v;

  g_hash_table_iter_init (&it, t->by_key);
  while (g_hash_table_iter_next (&it, NULL, &v))
    g_ptr_array_add (all, v);
  g_ptr_array_sort (all, by_index);
  return all;
}
