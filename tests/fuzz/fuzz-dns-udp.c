/* fuzz-dns-udp.c - fuzz target: DNS messages as UDP payloads (RFC 1035,
 * 6891 EDNS, 3597), each record one datagram, with query/response pairing. */
#include "config.h"

#include "fuzz-common.h"
#include "proto/ms-dns.h"

typedef struct {
  MsEmitter emitter;
  MsDnsPairs *pairs;
} PairEmitter;

static void
pair_emit (MsEmitter *self, MsEvent *ev)
{
  PairEmitter *pe = (PairEmitter *) self;
  ms_dns_pairs_process (pe->pairs, ev);
  g_free (ms_fuzz_event_json (ev));
  ms_event_unref (ev);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  PairEmitter pe = { { pair_emit, NULL }, ms_dns_pairs_new () };
  MsFuzzReader r;
  MsFuzzRecord rec;

  ms_fuzz_reader_init (&r, data, size);
  while (ms_fuzz_reader_next (&r, &rec))
    {
      /* The gap bit marks a datagram the capture cut short. */
      ms_dns_sniff_datagram (rec.data, rec.len);
      ms_dns_decode_message (&pe.emitter, 0, rec.data, rec.len, rec.gap != 0);
    }
  ms_dns_pairs_free (pe.pairs);
  return 0;
}
