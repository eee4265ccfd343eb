/* fuzz-dns-server.c - fuzz target: the lab's DNS responder (RFC 1035,
 * 6186) answering fuzzer-made query messages; each record is one query. */
#include "config.h"

#include "fuzz-common.h"
#include "fuzz-lab-session.h"

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static MsLabServer *srv;
  static char *dir;
  MsFuzzReader r;
  MsFuzzRecord rec;

  /* The responder keeps no per-query state, so one lab serves all inputs. */
  if (srv == NULL)
    srv = ms_fuzz_lab_new (&dir);
  ms_fuzz_reader_init (&r, data, size);
  while (ms_fuzz_reader_next (&r, &rec))
    {
      GByteArray *answer = ms_dns_server_answer (srv, rec.data, rec.len);
      if (answer != NULL)
        g_byte_array_unref (answer);
    }
  return 0;
}
