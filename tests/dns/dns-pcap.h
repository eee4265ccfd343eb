/* dns-pcap.h - a minimal capture reader for the DNS tests: UDP and TCP
 * payloads out of pcap/pcapng files through libpcap, skipping the link,
 * IPv4/IPv6 (and IP-in-IP, GRE/PPP) headers with just enough checks. It
 * stands in for the capture library so the DNS decoder is tested alone. */
#pragma once

#include <glib.h>
#include "mailscope/ms-types.h"

typedef struct {
  guint32 frame;       /* 1-based */
  gint64 ts_nsec;
  guint8 proto;        /* 17 UDP, 6 TCP */
  MsAddr src, dst;
  guint32 seq;         /* TCP */
  guint8 tcp_flags;    /* TCP */
  gboolean cut;        /* the capture holds less payload than was sent */
  guint8 *data;
  gsize len;
} DnsPkt;

/* Every UDP/TCP packet of the file; NULL (with *error) when libpcap cannot
 * open it. Packets of other kinds (fragments, unknown links) are skipped. */
GPtrArray *dns_pcap_read (const char *path, char **error);
