/* fuzz-dns-tcp.c - fuzz target: the DNS over TCP (RFC 1035 4.2.2, RFC 7766) decoder on both
 * directions' byte streams, split, interleaved and gapped where the fuzzer
 * chooses; the events must not depend on the split. */
#include "config.h"

#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  ms_fuzz_stream_decoder (&ms_dns_tcp_decoder_class, data, size);
  return 0;
}
