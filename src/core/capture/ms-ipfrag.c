/* ms-ipfrag.c - IPv4 (RFC 791) and IPv6 (RFC 8200 section 4.5) fragment
 * reassembly, bounded in memory and in the number of pending datagrams. */
#include "config.h"

#include <string.h>

#include "ms-ipfrag-private.h"

/* Largest reassembled payload: both fragment offsets and lengths are 16-bit. */
#define MS_IPFRAG_MAX_DATAGRAM 65535u
/* Pending datagrams at once: a capture full of lone fragments must not grow
 * the table without limit even when each holds few bytes. */
#define MS_IPFRAG_MAX_PENDING 1024u
/* Disjoint received ranges per datagram; more means a hostile fragment
 * pattern, and the datagram is dropped. */
#define MS_IPFRAG_MAX_RANGES 64

typedef struct {
  guint8 family;
  guint8 proto;
  guint8 pad[2];
  guint32 id;
  guint8 src[16];
  guint8 dst[16];
} MsFragKey;

typedef struct {
  guint32 start, end;
} MsFragRange;

typedef struct {
  MsFragKey key;
  guint8 *buf;
  guint32 cap;                 /* bytes allocated in buf */
  guint32 total;               /* payload length, G_MAXUINT32 until the last fragment */
  guint n_ranges;
  MsFragRange ranges[MS_IPFRAG_MAX_RANGES]; /* sorted, disjoint, not adjacent */
  GList link;                  /* in MsIpDefrag.age, oldest first */
} MsFragDatagram;

struct _MsIpDefrag {
  GHashTable *table;           /* MsFragKey* -> MsFragDatagram* */
  GQueue age;
  gsize max_bytes;
  gsize bytes;
};

static guint
ms_frag_key_hash (gconstpointer p)
{
  const MsFragKey *k = p;
  const guint8 *b = p;
  guint h = 2166136261u;

  for (gsize i = 0; i < sizeof *k; i++)
    h = (h ^ b[i]) * 16777619u;
  return h;
}

static gboolean
ms_frag_key_equal (gconstpointer a, gconstpointer b)
{
  return memcmp (a, b, sizeof (MsFragKey)) == 0;
}

MsIpDefrag *
ms_ip_defrag_new (gsize max_bytes)
{
  MsIpDefrag *d = g_new0 (MsIpDefrag, 1);

  d->table = g_hash_table_new (ms_frag_key_hash, ms_frag_key_equal);
  g_queue_init (&d->age);
  d->max_bytes = max_bytes;
  return d;
}

/* Forgets a datagram; its buffer is freed unless `keep_buf`. */
static void
ms_frag_remove (MsIpDefrag *d, MsFragDatagram *dg, gboolean keep_buf)
{
  g_hash_table_remove (d->table, &dg->key);
  g_queue_unlink (&d->age, &dg->link);
  d->bytes -= dg->cap;
  if (!keep_buf)
    g_free (dg->buf);
  g_free (dg);
}

void
ms_ip_defrag_free (MsIpDefrag *d)
{
  if (d == NULL)
    return;
  while (d->age.head != NULL)
    ms_frag_remove (d, d->age.head->data, FALSE);
  g_hash_table_destroy (d->table);
  g_free (d);
}

void
ms_ip_defrag_usage (MsIpDefrag *d, guint *datagrams, gsize *bytes)
{
  if (datagrams)
    *datagrams = g_hash_table_size (d->table);
  if (bytes)
    *bytes = d->bytes;
}

/* Drops the oldest datagrams other than `keep` until `extra` more bytes fit.
 * Returns FALSE when they cannot fit even then. */
static gboolean
ms_frag_make_room (MsIpDefrag *d, MsFragDatagram *keep, gsize extra)
{
  GList *l = d->age.head;

  while (d->bytes + extra > d->max_bytes && l != NULL)
    {
      GList *next = l->next;
      if (l->data != keep)
        ms_frag_remove (d, l->data, FALSE);
      l = next;
    }
  return d->bytes + extra <= d->max_bytes;
}

/* Copies the parts of [start, end) no earlier fragment supplied: the first
 * copy of overlapping bytes wins, so a later fragment cannot rewrite data a
 * reader may already have inspected. */
static void
ms_frag_fill_gaps (MsFragDatagram *dg, guint32 start, guint32 end, const guint8 *data)
{
  guint32 pos = start;

  for (guint i = 0; i < dg->n_ranges && pos < end; i++)
    {
      const MsFragRange *r = &dg->ranges[i];
      if (r->end <= pos)
        continue;
      if (r->start >= end)
        break;
      if (r->start > pos)
        memcpy (dg->buf + pos, data + (pos - start), r->start - pos);
      pos = MAX (pos, r->end);
    }
  if (pos < end)
    memcpy (dg->buf + pos, data + (pos - start), end - pos);
}

/* Merges [start, end) into the sorted range list; FALSE if the list is full. */
static gboolean
ms_frag_add_range (MsFragDatagram *dg, guint32 start, guint32 end)
{
  MsFragRange all[MS_IPFRAG_MAX_RANGES + 1];
  guint n_all = 0, n = 0, i = 0;

  while (i < dg->n_ranges && dg->ranges[i].start <= start)
    all[n_all++] = dg->ranges[i++];
  all[n_all].start = start;
  all[n_all++].end = end;
  while (i < dg->n_ranges)
    all[n_all++] = dg->ranges[i++];

  for (i = 0; i < n_all; i++)
    {
      if (n > 0 && all[i].start <= all[n - 1].end)
        all[n - 1].end = MAX (all[n - 1].end, all[i].end);
      else
        all[n++] = all[i];
    }
  if (n > MS_IPFRAG_MAX_RANGES)
    return FALSE;
  memcpy (dg->ranges, all, n * sizeof all[0]);
  dg->n_ranges = n;
  return TRUE;
}

MsIpFragResult
ms_ip_defrag_add (MsIpDefrag *d, guint8 family, const guint8 *src,
                  const guint8 *dst, guint32 id, guint8 proto, guint32 offset,
                  const guint8 *data, guint32 len, gboolean more, guint8 **out,
                  guint32 *out_len)
{
  MsFragKey key;
  MsFragDatagram *dg;
  guint32 end;
  gsize alen = family == 6 ? 16 : 4;

  *out = NULL;
  *out_len = 0;
  if (offset > MS_IPFRAG_MAX_DATAGRAM || len > MS_IPFRAG_MAX_DATAGRAM - offset)
    return MS_IPFRAG_BAD;
  end = offset + len;
  if (len == 0 && (more || offset == 0))
    return MS_IPFRAG_BAD;

  memset (&key, 0, sizeof key);
  key.family = family;
  key.proto = proto;
  key.id = id;
  memcpy (key.src, src, alen);
  memcpy (key.dst, dst, alen);

  dg = g_hash_table_lookup (d->table, &key);
  if (dg == NULL)
    {
      if (g_hash_table_size (d->table) >= MS_IPFRAG_MAX_PENDING)
        ms_frag_remove (d, d->age.head->data, FALSE);
      dg = g_new0 (MsFragDatagram, 1);
      dg->key = key;
      dg->total = G_MAXUINT32;
      dg->link.data = dg;
      g_hash_table_insert (d->table, &dg->key, dg);
      g_queue_push_tail_link (&d->age, &dg->link);
    }

  if (dg->total != G_MAXUINT32 && (end > dg->total || (!more && end != dg->total)))
    return MS_IPFRAG_BAD;
  if (!more && dg->total == G_MAXUINT32)
    {
      if (dg->n_ranges > 0 && dg->ranges[dg->n_ranges - 1].end > end)
        return MS_IPFRAG_BAD;
      dg->total = end;
    }

  if (end > dg->cap)
    {
      if (!ms_frag_make_room (d, dg, end - dg->cap))
        {
          ms_frag_remove (d, dg, FALSE);
          return MS_IPFRAG_DROPPED;
        }
      dg->buf = g_realloc (dg->buf, end);
      d->bytes += end - dg->cap;
      dg->cap = end;
    }

  if (len > 0)
    {
      ms_frag_fill_gaps (dg, offset, end, data);
      if (!ms_frag_add_range (dg, offset, end))
        {
          ms_frag_remove (d, dg, FALSE);
          return MS_IPFRAG_DROPPED;
        }
    }

  if (dg->total != G_MAXUINT32 && dg->n_ranges == 1 && dg->ranges[0].start == 0
      && dg->ranges[0].end == dg->total)
    {
      *out = dg->buf;
      *out_len = dg->total;
      ms_frag_remove (d, dg, TRUE);
      return MS_IPFRAG_COMPLETE;
    }
  return MS_IPFRAG_PENDING;
}
