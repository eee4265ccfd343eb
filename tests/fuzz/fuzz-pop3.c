/* fuzz-pop3.c - fuzz target: the POP3 (RFC 1939, 2449) decoder on both
 * directions' byte streams, split, interleaved and gapped where the fuzzer
 * chooses; the events must not depend on the split. */
#include "config.h"

#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  ms_fuzz_stream_decoder (&ms_pop3_decoder_class, data, size);
  return 0;
}
