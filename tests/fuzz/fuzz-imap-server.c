/* fuzz-imap-server.c - fuzz target: the lab's IMAP server session
 * (RFC 9051, 3501) fed client bytes over the memory transport, against a
 * throwaway copy of samples/maildir. */
#include "config.h"

#include "fuzz-common.h"
#include "fuzz-lab-session.h"

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  ms_fuzz_lab_session (MS_LAB_IMAP, data, size);
  return 0;
}
