/* test-reasm.c - the TCP reassembler fed synthetic segments. */
#include "config.h"

#include <string.h>

#include "capture/ms-reasm.h"

typedef struct {
  GString *bytes;        /* everything delivered, gaps as '#' */
  GString *log;          /* "D off len frame;" and "G off missing;" */
  guint64 expect_off;    /* deliveries and gaps must be contiguous */
} Rec;

static void
rec_data (gpointer user_data, guint64 offset, const guint8 *data, gsize len,
          guint32 frame)
{
  Rec *r = user_data;
  g_assert_cmpuint (offset, ==, r->expect_off);
  g_assert_cmpuint (len, >, 0);
  g_string_append_len (r->bytes, (const char *) data, len);
  g_string_append_printf (r->log, "D%" G_GUINT64_FORMAT ",%" G_GSIZE_FORMAT ",%u;",
                          offset, len, frame);
  r->expect_off = offset + len;
}

static void
rec_gap (gpointer user_data, guint64 offset, guint64 missing)
{
  Rec *r = user_data;
  g_assert_cmpuint (offset, ==, r->expect_off);
  g_assert_cmpuint (missing, >, 0);
  if (missing < 4096)
    for (guint64 i = 0; i < missing; i++)
      g_string_append_c (r->bytes, '#');
  g_string_append_printf (r->log, "G%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ";",
                          offset, missing);
  r->expect_off = offset + missing;
}

static const MsReasmSink sink = { rec_data, rec_gap };

typedef struct {
  Rec rec;
  MsReasm r;
  MsReasmCtx ctx;
  gsize total;
} Fixture;

static void
fx_init (Fixture *fx, guint32 base, gsize max_stream, gsize max_total)
{
  memset (fx, 0, sizeof *fx);
  fx->rec.bytes = g_string_new (NULL);
  fx->rec.log = g_string_new (NULL);
  ms_reasm_init (&fx->r);
  ms_reasm_start (&fx->r, base);
  fx->ctx.sink = &sink;
  fx->ctx.user_data = &fx->rec;
  fx->ctx.max_stream_bytes = max_stream;
  fx->ctx.max_total_bytes = max_total;
  fx->ctx.total_held = &fx->total;
}

static void
fx_clear (Fixture *fx)
{
  ms_reasm_clear (&fx->r, &fx->ctx);
  g_assert_cmpuint (fx->total, ==, 0);
  g_string_free (fx->rec.bytes, TRUE);
  g_string_free (fx->rec.log, TRUE);
}

static void
add (Fixture *fx, guint32 seq, const char *s, guint32 frame)
{
  ms_reasm_add (&fx->r, &fx->ctx, seq, (const guint8 *) s, strlen (s), frame);
}

static void
test_in_order (void)
{
  Fixture fx;
  fx_init (&fx, 1000, 4096, 65536);
  add (&fx, 1000, "abc", 1);
  add (&fx, 1003, "", 2);          /* pure ACK / keep-alive: nothing */
  add (&fx, 1003, "defg", 3);
  add (&fx, 1007, "h", 4);
  g_assert_cmpstr (fx.rec.bytes->str, ==, "abcdefgh");
  g_assert_cmpstr (fx.rec.log->str, ==, "D0,3,1;D3,4,3;D7,1,4;");
  g_assert_cmpuint (fx.r.held_bytes, ==, 0);
  g_assert_cmpuint (fx.r.retransmitted, ==, 0);
  fx_clear (&fx);
}

static void
test_out_of_order (void)
{
  Fixture fx;
  fx_init (&fx, 0, 4096, 65536);
  add (&fx, 6, "ghi", 1);
  add (&fx, 3, "def", 2);
  g_assert_cmpstr (fx.rec.bytes->str, ==, "");
  g_assert_cmpuint (fx.r.held_bytes, ==, 6);
  g_assert_cmpuint (fx.total, ==, 6);
  add (&fx, 0, "abc", 3);
  g_assert_cmpstr (fx.rec.bytes->str, ==, "abcdefghi");
  /* held segments keep the frame that carried them */
  g_assert_cmpstr (fx.rec.log->str, ==, "D0,3,3;D3,3,2;D6,3,1;");
  g_assert_cmpuint (fx.total, ==, 0);
  fx_clear (&fx);
}

static void
test_duplicates (void)
{
  Fixture fx;
  fx_init (&fx, 0, 4096, 65536);
  add (&fx, 0, "abcd", 1);
  add (&fx, 0, "abcd", 2);        /* retransmission */
  add (&fx, 8, "ijkl", 3);
  add (&fx, 8, "ijkl", 4);        /* duplicate of a held segment */
  add (&fx, 4, "efgh", 5);
  add (&fx, 3, "X", 6);           /* keep-alive probe: one old byte */
  g_assert_cmpstr (fx.rec.bytes->str, ==, "abcdefghijkl");
  g_assert_cmpuint (fx.r.retransmitted, ==, 4 + 4 + 1);
  fx_clear (&fx);
}

static void
test_overlaps (void)
{
  Fixture fx;
  fx_init (&fx, 0, 4096, 65536);
  add (&fx, 0, "0123", 1);
  add (&fx, 10, "ABCDE", 2);      /* held [10,15) */
  add (&fx, 8, "xxYYYzz", 3);     /* [8,15): held bytes win for [10,15) */
  g_assert_cmpuint (fx.r.retransmitted, ==, 5);
  add (&fx, 2, "23456789", 4);    /* [2,10): 2 old bytes */
  g_assert_cmpstr (fx.rec.bytes->str, ==, "0123456789ABCDE");
  g_assert_cmpuint (fx.r.retransmitted, ==, 5 + 2 + 2);
  add (&fx, 14, "EFG", 5);        /* partial overlap with delivered bytes */
  g_assert_cmpstr (fx.rec.bytes->str, ==, "0123456789ABCDEFG");
  g_assert_cmpuint (fx.r.retransmitted, ==, 10);
  /* A held segment covering several held ones. */
  add (&fx, 20, "k", 6);
  add (&fx, 22, "m", 7);
  add (&fx, 18, "ijKlMn", 8);
  add (&fx, 17, "h", 9);
  g_assert_cmpstr (fx.rec.bytes->str, ==, "0123456789ABCDEFGhijklmn");
  fx_clear (&fx);
}

static void
test_flush_gap (void)
{
  Fixture fx;
  fx_init (&fx, 500, 4096, 65536);
  add (&fx, 500, "abcdefghij", 1);
  add (&fx, 520, "uvwxyz", 2);
  add (&fx, 530, "!!", 3);
  ms_reasm_flush (&fx.r, &fx.ctx);
  g_assert_cmpstr (fx.rec.log->str, ==, "D0,10,1;G10,10;D20,6,2;G26,4;D30,2,3;");
  g_assert_cmpuint (fx.r.missing, ==, 14);
  g_assert_cmpuint (fx.total, ==, 0);
  fx_clear (&fx);
}

static void
test_wraparound (void)
{
  Fixture fx;
  fx_init (&fx, 0xFFFFFFF8u, 4096, 65536);
  add (&fx, 0xFFFFFFF8u, "abcd", 1);
  add (&fx, 0x00000002u, "klmn", 2);     /* after the wrap, held */
  add (&fx, 0xFFFFFFFCu, "efghij", 3);   /* crosses 2^32 */
  g_assert_cmpstr (fx.rec.bytes->str, ==, "abcdefghijklmn");
  g_assert_cmpstr (fx.rec.log->str, ==, "D0,4,1;D4,6,3;D10,4,2;");
  add (&fx, 0xFFFFFFFEu, "ghij", 4);     /* old, from before the wrap */
  g_assert_cmpuint (fx.r.retransmitted, ==, 4);
  g_assert_cmpint (ms_reasm_offset_of (&fx.r, 0x00000006u), ==, 14);
  fx_clear (&fx);
}

static void
test_huge_jump (void)
{
  Fixture fx;
  guint64 four_gib = G_GUINT64_CONSTANT (1) << 32;

  /* By offset: 4 GiB ahead is a gap straight away, nothing held. */
  fx_init (&fx, 0, 4096, 65536);
  ms_reasm_add_at (&fx.r, &fx.ctx, 0, (const guint8 *) "ab", 2, 1);
  ms_reasm_add_at (&fx.r, &fx.ctx, four_gib + 2, (const guint8 *) "cd", 2, 2);
  g_assert_cmpuint (fx.r.held_bytes, ==, 0);
  g_assert_cmpuint (fx.r.missing, ==, four_gib);
  g_assert_cmpuint (fx.r.next, ==, four_gib + 4);
  fx_clear (&fx);

  /* By sequence number: 2 GiB - 16 ahead. */
  fx_init (&fx, 100, 4096, 65536);
  add (&fx, 100, "ab", 1);
  add (&fx, 102 + 0x7FFFFFF0u, "cd", 2);
  g_assert_cmpuint (fx.r.held_bytes, ==, 0);
  g_assert_cmpuint (fx.r.missing, ==, 0x7FFFFFF0u);
  g_assert_cmpstr (fx.rec.log->str, ==, "D0,2,1;G2,2147483632;D2147483634,2,2;");
  fx_clear (&fx);

  /* 3 GiB ahead looks 1 GiB behind in 32-bit arithmetic: no retransmission
   * is that old, so it is a forward jump too. */
  fx_init (&fx, 0, 4096, 65536);
  add (&fx, 0, "ab", 1);
  add (&fx, 2 + 0xBFFFFF00u, "cd", 2);
  g_assert_cmpuint (fx.r.missing, ==, 0xBFFFFF00u);
  g_assert_cmpuint (fx.r.retransmitted, ==, 0);
  fx_clear (&fx);
}

static void
test_stream_cap (void)
{
  Fixture fx;
  char sixty[61];

  memset (sixty, 'x', 60);
  sixty[60] = '\0';
  fx_init (&fx, 0, 100, 65536);
  add (&fx, 0, "0123456789", 1);
  add (&fx, 20, sixty, 2);             /* held 60 */
  add (&fx, 90, sixty, 3);             /* held 120 > 100: give up on [10,20) */
  g_assert_cmpstr (fx.rec.log->str, ==, "D0,10,1;G10,10;D20,60,2;");
  g_assert_cmpuint (fx.r.held_bytes, ==, 60);
  /* A hole wider than the cap cannot fill: gap at once. */
  ms_reasm_flush (&fx.r, &fx.ctx);
  add (&fx, 400, "z", 4);
  g_assert_cmpstr (fx.rec.log->str, ==,
                   "D0,10,1;G10,10;D20,60,2;G80,10;D90,60,3;G150,250;D400,1,4;");
  g_assert_cmpuint (fx.r.missing, ==, 270);
  fx_clear (&fx);
}

static void
test_total_cap (void)
{
  Fixture a, b;
  char buf[81];

  memset (buf, 'y', 80);
  buf[80] = '\0';
  fx_init (&a, 0, 1000, 100);
  fx_init (&b, 0, 1000, 100);
  b.ctx.total_held = &a.total;         /* one budget for both streams */
  add (&a, 10, buf, 1);                /* a holds 80 */
  buf[40] = '\0';
  add (&b, 5, buf, 2);                 /* total 120 > 100: b gives up */
  g_assert_cmpstr (b.rec.log->str, ==, "G0,5;D5,40,2;");
  g_assert_cmpuint (a.total, ==, 80);
  g_assert_cmpuint (a.r.held_bytes, ==, 80);
  fx_clear (&b);
  b.total = 0;
  ms_reasm_clear (&a.r, &a.ctx);
  fx_clear (&a);
}

static void
test_ack_beyond_hole (void)
{
  Fixture fx;
  fx_init (&fx, 0, 4096, 65536);
  add (&fx, 0, "0123456789", 1);
  add (&fx, 20, "KLMNOPQRST", 2);
  ms_reasm_ack (&fx.r, &fx.ctx, 15);   /* peer got [10,15) we never saw */
  g_assert_cmpstr (fx.rec.log->str, ==, "D0,10,1;G10,5;");
  add (&fx, 15, "FGHIJ", 3);           /* can still arrive */
  g_assert_cmpstr (fx.rec.bytes->str, ==, "0123456789#####FGHIJKLMNOPQRST");
  ms_reasm_ack (&fx.r, &fx.ctx, 40);   /* beyond everything: no hold, no gap */
  g_assert_cmpuint (fx.r.missing, ==, 5);
  add (&fx, 35, "z", 4);               /* hole [30,35) was acknowledged */
  g_assert_cmpstr (fx.rec.log->str, ==, "D0,10,1;G10,5;D15,5,3;D20,10,2;G30,5;D35,1,4;");
  fx_clear (&fx);
}

static void
test_skip_truncated (void)
{
  Fixture fx;
  fx_init (&fx, 0, 4096, 65536);
  add (&fx, 0, "abc", 1);              /* 10 bytes on the wire, 3 captured */
  ms_reasm_skip_to (&fx.r, &fx.ctx, 10);
  add (&fx, 10, "k", 2);
  g_assert_cmpstr (fx.rec.log->str, ==, "D0,3,1;G3,7;D10,1,2;");
  fx_clear (&fx);
}

/* Every permutation-like order of one-byte segments, with duplicates,
 * reassembles to the original bytes. */
static void
test_shuffled_bytes (void)
{
  const char *text = "* OK IMAP4rev1 ready\r\na1 LOGIN student classroom\r\n";
  gsize n = strlen (text);
  GRand *rand = g_rand_new_with_seed (42);

  for (guint round = 0; round < 50; round++)
    {
      Fixture fx;
      guint *order = g_new (guint, n * 2);
      fx_init (&fx, 0xFFFFFFF0u, 4096, 65536);
      for (gsize i = 0; i < n * 2; i++)
        order[i] = i % n;
      for (gsize i = n * 2 - 1; i > 0; i--)
        {
          guint j = g_rand_int_range (rand, 0, i + 1);
          guint t = order[i];
          order[i] = order[j];
          order[j] = t;
        }
      for (gsize i = 0; i < n * 2; i++)
        ms_reasm_add (&fx.r, &fx.ctx, 0xFFFFFFF0u + order[i],
                      (const guint8 *) text + order[i], 1, i + 1);
      g_assert_cmpstr (fx.rec.bytes->str, ==, text);
      g_assert_cmpuint (fx.r.retransmitted, ==, n);
      g_assert_cmpuint (fx.r.held_bytes, ==, 0);
      g_free (order);
      fx_clear (&fx);
    }
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/reasm/in-order", test_in_order);
  g_test_add_func ("/reasm/out-of-order", test_out_of_order);
  g_test_add_func ("/reasm/duplicates", test_duplicates);
  g_test_add_func ("/reasm/overlaps", test_overlaps);
  g_test_add_func ("/reasm/flush-gap", test_flush_gap);
  g_test_add_func ("/reasm/wraparound", test_wraparound);
  g_test_add_func ("/reasm/huge-jump", test_huge_jump);
  g_test_add_func ("/reasm/stream-cap", test_stream_cap);
  g_test_add_func ("/reasm/total-cap", test_total_cap);
  g_test_add_func ("/reasm/ack-beyond-hole", test_ack_beyond_hole);
  g_test_add_func ("/reasm/skip-truncated", test_skip_truncated);
  g_test_add_func ("/reasm/shuffled-bytes", test_shuffled_bytes);
  return g_test_run ();
}
