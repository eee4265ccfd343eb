/* fuzz-pop3-server.c - fuzz target: the lab's POP3 server session
 * (RFC 1939, 2449, 5034, 2595) fed client bytes over the memory transport,
 * against a throwaway copy of samples/maildir. */
#include "config.h"

#include "fuzz-common.h"
#include "fuzz-lab-session.h"

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  ms_fuzz_lab_session (MS_LAB_POP3, data, size);
  return 0;
}
