/* fuzz-reasm.c - fuzz target: one TCP stream direction's reassembler
 * (RFC 9293 sequence space) fed fuzzer-made segments: sequence numbers
 * around the 32-bit wrap, overlaps, gaps, acknowledgements, small caps.
 * Checks that delivery is contiguous, that every delivered byte is one that
 * was supplied for its offset (which copy wins an overlap is policy: the
 * in-order segment is delivered whole), and that held bytes are accounted. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "capture/ms-reasm.h"

/* Small caps so that the fuzzer reaches them with short inputs. */
#define FUZZ_MAX_STREAM_BYTES 2048
#define FUZZ_MAX_TOTAL_BYTES 3000
/* Offsets past this are not modelled (the model is a flat array). */
#define FUZZ_MODEL_BYTES (1u << 16)

/* For each modelled offset, the set of byte values supplied there. */
static guint8 supplied[FUZZ_MODEL_BYTES][32];

typedef struct {
  guint64 next;          /* next offset the sink expects */
  gboolean check_bytes;  /* the model is complete (offset mode) */
  gsize model_end;       /* offsets below this may be set in `supplied` */
} Expect;

static gboolean
was_supplied (guint64 off, guint8 b)
{
  return (supplied[off][b >> 3] >> (b & 7)) & 1;
}

static void
check (gboolean ok, const char *what)
{
  if (!ok)
    {
      fprintf (stderr, "reasm: %s\n", what);
      abort ();
    }
}

static void
sink_data (gpointer user_data, guint64 offset, const guint8 *data, gsize len, guint32 frame)
{
  Expect *e = user_data;
  check (len > 0, "empty delivery");
  check (offset == e->next, "delivery is not contiguous");
  if (e->check_bytes)
    for (gsize i = 0; i < len && offset + i < FUZZ_MODEL_BYTES; i++)
      check (was_supplied (offset + i, data[i]), "delivered a byte nobody sent there");
  e->next = offset + len;
}

static void
sink_gap (gpointer user_data, guint64 offset, guint64 missing)
{
  Expect *e = user_data;
  check (missing > 0, "empty gap");
  check (offset == e->next, "gap is not contiguous");
  e->next = offset + missing;
}

static const MsReasmSink fuzz_sink = { sink_data, sink_gap };

static guint32
read_u32 (MsFuzzReader *r)
{
  guint32 v = 0;
  for (int i = 0; i < 4; i++)
    v |= (guint32) ms_fuzz_reader_byte (r) << (8 * i);
  return v;
}

/* Input: a mode byte (bit 0: sequence-number mode), then in sequence mode
 * the base sequence number; then operations: a byte whose low 2 bits
 * choose add / ack / skip / flush, followed by its arguments. */
int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  MsFuzzReader r;
  gsize total = 0;
  Expect e = { 0 };
  MsReasm ra;
  MsReasmCtx ctx = { &fuzz_sink, &e, FUZZ_MAX_STREAM_BYTES, FUZZ_MAX_TOTAL_BYTES, &total };

  ms_fuzz_reader_init (&r, data, size);
  gboolean seq_mode = ms_fuzz_reader_byte (&r) & 1;
  ms_reasm_init (&ra);
  guint32 base = 0;
  if (seq_mode)
    {
      base = read_u32 (&r);
      ms_reasm_start (&ra, base);
    }
  else
    {
      e.check_bytes = TRUE;
    }

  guint32 frame = 0;
  while (r.left > 0)
    {
      guint8 op = ms_fuzz_reader_byte (&r);
      frame++;
      switch (op & 3)
        {
        case 0:
          {
            /* A segment: position, then a record-format length and bytes. */
            guint32 pos = read_u32 (&r);
            guint len = ms_fuzz_reader_byte (&r);
            len |= (guint) ms_fuzz_reader_byte (&r) << 8;
            len = MIN (len, r.left);
            const guint8 *bytes = r.p;
            r.p += len;
            r.left -= len;
            if (seq_mode)
              ms_reasm_add (&ra, &ctx, pos, bytes, len, frame);
            else
              {
                /* Offsets up to 2^32 << (op bits 2-3): jumps of up to 2^56. */
                guint64 off = (guint64) pos << (((op >> 2) & 3) * 8);
                for (guint i = 0; i < len && off + i < FUZZ_MODEL_BYTES; i++)
                  {
                    supplied[off + i][bytes[i] >> 3] |= 1u << (bytes[i] & 7);
                    e.model_end = MAX (e.model_end, off + i + 1);
                  }
                ms_reasm_add_at (&ra, &ctx, off, bytes, len, frame);
              }
            break;
          }
        case 1:
          if (seq_mode)
            ms_reasm_ack (&ra, &ctx, read_u32 (&r));
          else
            read_u32 (&r);
          break;
        case 2:
          ms_reasm_skip_to (&ra, &ctx, ra.next + read_u32 (&r));
          break;
        default:
          ms_reasm_flush (&ra, &ctx);
          check (ra.held == NULL && ra.held_bytes == 0, "flush left bytes held");
          break;
        }
      check (ra.held_bytes == total, "held bytes and the shared total disagree");
      check (ra.held_bytes <= FUZZ_MAX_STREAM_BYTES, "held more than the stream cap");
      check (ra.next == e.next, "reassembler and sink disagree on the position");
    }
  ms_reasm_flush (&ra, &ctx);
  ms_reasm_clear (&ra, &ctx);
  check (total == 0, "bytes still counted after clear");
  memset (supplied, 0, e.model_end * sizeof supplied[0]);
  return 0;
}
