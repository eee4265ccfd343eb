/* ms-dns.h - DNS message decoding (RFC 1035, 3596, 2782, 6891) for UDP
 * datagrams and TCP streams, and query/response pairing.
 * Internal to libmailscope: the pipeline calls it; the stream decoder for
 * DNS over TCP is ms_dns_tcp_decoder_class (ms-decoder.h). */
#pragma once

#include <glib.h>
#include "mailscope/ms-event.h"
#include "mailscope/ms-decoder.h"

G_BEGIN_DECLS

/* Well-known DNS ports, 0-terminated (53, 5353, 10053 for the lab). */
extern const guint16 ms_dns_ports[];

/* Does this UDP payload look like a DNS message (for ports not in
 * ms_dns_ports)? Conservative: header counts plausible, first question
 * parses. */
gboolean ms_dns_sniff_datagram (const guint8 *data, gsize len);

/* Decodes one whole DNS message (a UDP payload, or one length-prefixed TCP
 * message without its prefix) and emits one event, kind "query" or
 * "response", dir C2S for queries and S2C for responses. `offset` is the
 * stream offset of data[0] (0 for UDP). `truncated` says the capture cut the
 * payload short. Never fails; problems become MS_EVENT_MALFORMED /
 * MS_EVENT_TRUNCATED with what could be read. */
void ms_dns_decode_message (MsEmitter *emitter, guint64 offset,
                            const guint8 *data, gsize len, gboolean truncated);

/* Pairs queries and responses by id and endpoints. Called by the pipeline
 * after it has stamped frame, ts_nsec, src and dst on a DNS event: adds
 * "rtt" (seconds, double) and "query_frame" (int) to a response whose query
 * was seen. Remembers at most MS_DNS_MAX_PENDING queries. A further
 * response to an already answered query also gets "duplicate" (true), as
 * Wireshark flags a retransmitted response. */
typedef struct _MsDnsPairs MsDnsPairs;
/* Queries remembered for pairing; a busy resolver has a few hundred
 * outstanding, and the oldest is forgotten first. */
#define MS_DNS_MAX_PENDING 4096
MsDnsPairs *ms_dns_pairs_new (void);
void        ms_dns_pairs_process (MsDnsPairs *pairs, MsEvent *ev);
void        ms_dns_pairs_free (MsDnsPairs *pairs);

G_END_DECLS
