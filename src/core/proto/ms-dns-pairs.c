/* ms-dns-pairs.c - DNS query/response pairing by id and endpoints: the
 * round-trip time and query frame of each response, and duplicate
 * responses (see ms-dns.h). */
#include "config.h"

#include "ms-dns.h"

/* --- pairing ------------------------------------------------------------- */

/* A query seen, keyed by id and its endpoints as the query travelled. */
typedef struct {
  guint16 id;
  MsAddr client, server;
  guint32 frame;
  gint64 ts_nsec;
  gboolean answered;
  GList link;   /* in MsDnsPairs.order, oldest first */
} DnsPending;

struct _MsDnsPairs {
  GHashTable *pending;  /* DnsPending* -> itself */
  GQueue order;
};

static guint
pending_hash (gconstpointer key)
{
  const DnsPending *p = key;
  return p->id ^ (ms_addr_hash (&p->client) * 31) ^ (ms_addr_hash (&p->server) * 17);
}

static gboolean
pending_equal (gconstpointer a, gconstpointer b)
{
  const DnsPending *x = a, *y = b;
  return x->id == y->id && ms_addr_equal (&x->client, &y->client)
         && ms_addr_equal (&x->server, &y->server);
}

static void
pending_drop (MsDnsPairs *pairs, DnsPending *p)
{
  g_queue_unlink (&pairs->order, &p->link);
  g_hash_table_remove (pairs->pending, p);
  g_free (p);
}

MsDnsPairs *
ms_dns_pairs_new (void)
{
  MsDnsPairs *pairs = g_new0 (MsDnsPairs, 1);
  pairs->pending = g_hash_table_new (pending_hash, pending_equal);
  g_queue_init (&pairs->order);
  return pairs;
}

/* Queries are remembered (a repeat of an unanswered query replaces it, so
 * the rtt is measured from the copy the server most likely answered);
 * responses get rtt and query_frame. A later response to an already answered
 * query is marked `duplicate: true` (as Wireshark marks a retransmitted
 * response) and still carries query_frame and rtt. */
void
ms_dns_pairs_process (MsDnsPairs *pairs, MsEvent *ev)
{
  if (ev->proto != MS_PROTO_DNS || !ms_event_has (ev, "id"))
    return;
  DnsPending key = { 0 };
  key.id = (guint16) ms_event_get_int (ev, "id", 0);
  gboolean response = ms_event_get_bool (ev, "response");
  key.client = response ? ev->dst : ev->src;
  key.server = response ? ev->src : ev->dst;
  DnsPending *p = g_hash_table_lookup (pairs->pending, &key);

  if (!response)
    {
      if (p)
        pending_drop (pairs, p);
      if (g_hash_table_size (pairs->pending) >= MS_DNS_MAX_PENDING)
        pending_drop (pairs, pairs->order.head->data);
      p = g_new0 (DnsPending, 1);
      *p = key;
      p->frame = ev->frame;
      p->ts_nsec = ev->ts_nsec;
      p->link.data = p;
      g_queue_push_tail_link (&pairs->order, &p->link);
      g_hash_table_add (pairs->pending, p);
      return;
    }
  if (p == NULL)
    return;
  ms_event_add_double (ev, "rtt", (double) (ev->ts_nsec - p->ts_nsec) / 1e9);
  ms_event_add_int (ev, "query_frame", p->frame);
  if (p->answered)
    ms_event_add_bool (ev, "duplicate", TRUE);
  p->answered = TRUE;
}

void
ms_dns_pairs_free (MsDnsPairs *pairs)
{
  if (pairs == NULL)
    return;
  GList *l;
  while ((l = g_queue_pop_head_link (&pairs->order)) != NULL)
    g_free (l->data);
  g_hash_table_destroy (pairs->pending);
  g_free (pairs);
}
