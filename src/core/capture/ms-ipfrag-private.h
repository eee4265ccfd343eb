/* ms-ipfrag-private.h - the fragment entry point ms-packet.c feeds
 * (RFC 791 IPv4 fragments, RFC 8200 section 4.5 IPv6 fragments). */
#pragma once

#include <glib.h>
#include "mailscope/ms-packet.h"

G_BEGIN_DECLS

typedef enum {
  MS_IPFRAG_PENDING,    /* stored; the datagram is not complete yet */
  MS_IPFRAG_COMPLETE,   /* *out holds the whole datagram payload */
  MS_IPFRAG_BAD,        /* fragment contradicts the datagram; ignored */
  MS_IPFRAG_DROPPED,    /* over the memory or count bound; ignored */
} MsIpFragResult;

/* Adds one fragment: `data`/`len` are the bytes at `offset` of the datagram's
 * payload (after the IP header, or after the IPv6 fragment header); `more` is
 * the more-fragments flag. On COMPLETE, *out is a g_malloc'd buffer of
 * *out_len bytes that the caller owns. */
MsIpFragResult ms_ip_defrag_add (MsIpDefrag *d, guint8 family,
                                 const guint8 *src, const guint8 *dst,
                                 guint32 id, guint8 proto, guint32 offset,
                                 const guint8 *data, guint32 len, gboolean more,
                                 guint8 **out, guint32 *out_len);

/* Datagrams and bytes currently held, for tests. */
void ms_ip_defrag_usage (MsIpDefrag *d, guint *datagrams, gsize *bytes);

G_END_DECLS
