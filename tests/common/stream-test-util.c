/* stream-test-util.c - event recording, split feeding and a minimal TCP
 * payload reader for the decoder tests. */
#include "config.h"

#include <pcap/pcap.h>
#include <string.h>

#include "mailscope/ms-cursor.h"
#include "stream-test-util.h"

/* Out-of-order segments held per direction before giving up on them. */
#define TEST_MAX_HELD 256

typedef struct {
  guint8 addr[2][16];
  guint16 port[2];
  guint8 family;
} FlowKey;

typedef struct {
  guint32 seq;
  guint32 frame;
  GBytes *data;
} Held;

typedef struct {
  FlowKey key;
  guint index;
  gboolean have_seq[2];
  guint32 next_seq[2];
  guint64 offset[2];
  GPtrArray *held[2];   /* Held* */
} Flow;

static void
held_free (gpointer p)
{
  Held *h = p;
  g_bytes_unref (h->data);
  g_free (h);
}

static void
seg_free (gpointer p)
{
  MsTestSeg *s = p;
  g_bytes_unref (s->data);
  g_free (s);
}

char *
ms_test_data_path (const char *area, const char *name)
{
  const char *dir = g_getenv ("G_TEST_SRCDIR");
  if (dir == NULL)
    dir = ".";
  return g_build_filename (dir, area, "data", name, NULL);
}

/* Delivers in-order bytes (trimming what was already delivered). */
static void
deliver (GPtrArray *out, Flow *f, MsDir dir, guint32 seq, guint32 frame,
         const guint8 *p, gsize len)
{
  gint32 behind = (gint32) (f->next_seq[dir] - seq);
  if (behind > 0)
    {
      if ((gsize) behind >= len)
        return;
      p += behind;
      len -= (gsize) behind;
    }
  MsTestSeg *s = g_new0 (MsTestSeg, 1);
  s->stream = f->index;
  s->dir = dir;
  s->frame = frame;
  s->offset = f->offset[dir];
  s->data = g_bytes_new (p, len);
  g_ptr_array_add (out, s);
  f->offset[dir] += len;
  f->next_seq[dir] += (guint32) len;
}

/* Delivers held segments that now fit. */
static void
drain_held (GPtrArray *out, Flow *f, MsDir dir)
{
  gboolean progress = TRUE;
  while (progress)
    {
      progress = FALSE;
      for (guint i = 0; i < f->held[dir]->len; i++)
        {
          Held *h = g_ptr_array_index (f->held[dir], i);
          if ((gint32) (h->seq - f->next_seq[dir]) <= 0)
            {
              gsize n;
              const guint8 *d = g_bytes_get_data (h->data, &n);
              deliver (out, f, dir, h->seq, h->frame, d, n);
              g_ptr_array_remove_index (f->held[dir], i);
              progress = TRUE;
              break;
            }
        }
    }
}

static gboolean
key_match (const FlowKey *a, const FlowKey *b, gboolean *reversed)
{
  gsize n = a->family == 6 ? 16 : 4;
  if (a->family != b->family)
    return FALSE;
  if (a->port[0] == b->port[0] && a->port[1] == b->port[1]
      && memcmp (a->addr[0], b->addr[0], n) == 0 && memcmp (a->addr[1], b->addr[1], n) == 0)
    {
      *reversed = FALSE;
      return TRUE;
    }
  if (a->port[0] == b->port[1] && a->port[1] == b->port[0]
      && memcmp (a->addr[0], b->addr[1], n) == 0 && memcmp (a->addr[1], b->addr[0], n) == 0)
    {
      *reversed = TRUE;
      return TRUE;
    }
  return FALSE;
}

GPtrArray *
ms_test_pcap_segments (const char *path, guint16 server_port, guint *n_streams)
{
  char err[PCAP_ERRBUF_SIZE];
  pcap_t *pc = pcap_open_offline (path, err);
  if (pc == NULL)
    g_error ("cannot open %s: %s", path, err);
  int dlt = pcap_datalink (pc);
  GPtrArray *out = g_ptr_array_new_with_free_func (seg_free);
  GPtrArray *flows = g_ptr_array_new ();
  struct pcap_pkthdr *hdr;
  const guint8 *pkt;
  guint32 frame = 0;

  while (pcap_next_ex (pc, &hdr, &pkt) == 1)
    {
      MsCursor c;
      guint16 ethertype = 0;
      frame++;
      ms_cursor_init (&c, pkt, hdr->caplen);
      switch (dlt)
        {
        case DLT_EN10MB:
          ms_cursor_skip (&c, 12);
          ethertype = ms_cursor_be16 (&c);
          while (ethertype == 0x8100 || ethertype == 0x88a8)
            {
              ms_cursor_skip (&c, 2);
              ethertype = ms_cursor_be16 (&c);
            }
          break;
        case DLT_NULL:
        case DLT_LOOP:
          {
            guint32 fam = dlt == DLT_LOOP ? ms_cursor_be32 (&c) : ms_cursor_le32 (&c);
            if (fam > 0xffff)
              fam = GUINT32_SWAP_LE_BE (fam);
            ethertype = fam == 2 ? 0x0800 : 0x86dd;
          }
          break;
        case DLT_LINUX_SLL:
          ms_cursor_skip (&c, 14);
          ethertype = ms_cursor_be16 (&c);
          break;
        default: /* raw IP */
          ethertype = c.size && (c.base[0] >> 4) == 6 ? 0x86dd : 0x0800;
          break;
        }
      FlowKey k = { 0 };
      gsize ip_end;
      if (ethertype == 0x0800)
        {
          gsize start = c.pos;
          guint8 vihl = ms_cursor_u8 (&c);
          ms_cursor_skip (&c, 1);
          guint16 total = ms_cursor_be16 (&c);
          ms_cursor_skip (&c, 5);
          guint8 proto = ms_cursor_u8 (&c);
          ms_cursor_skip (&c, 2);
          ms_cursor_copy (&c, k.addr[0], 4);
          ms_cursor_copy (&c, k.addr[1], 4);
          if (c.failed || proto != 6 || (vihl >> 4) != 4)
            continue;
          ms_cursor_skip (&c, (gsize) (vihl & 0xf) * 4 - 20);
          k.family = 4;
          ip_end = MIN (start + total, c.size);
        }
      else if (ethertype == 0x86dd)
        {
          ms_cursor_skip (&c, 4);
          guint16 plen = ms_cursor_be16 (&c);
          guint8 nh = ms_cursor_u8 (&c);
          ms_cursor_skip (&c, 1);
          ms_cursor_copy (&c, k.addr[0], 16);
          ms_cursor_copy (&c, k.addr[1], 16);
          if (c.failed || nh != 6)
            continue;
          k.family = 6;
          ip_end = MIN (c.pos + plen, c.size);
        }
      else
        continue;
      gsize tcp_start = c.pos;
      k.port[0] = ms_cursor_be16 (&c);
      k.port[1] = ms_cursor_be16 (&c);
      guint32 seq = ms_cursor_be32 (&c);
      ms_cursor_skip (&c, 4);
      guint8 off = ms_cursor_u8 (&c);
      guint8 tflags = ms_cursor_u8 (&c);
      if (c.failed)
        continue;
      gsize data_at = tcp_start + (gsize) (off >> 4) * 4;
      if (data_at > ip_end)
        continue;

      Flow *f = NULL;
      gboolean reversed = FALSE;
      for (guint i = 0; i < flows->len && f == NULL; i++)
        {
          Flow *g = g_ptr_array_index (flows, i);
          if (key_match (&g->key, &k, &reversed))
            f = g;
        }
      if (f == NULL)
        {
          f = g_new0 (Flow, 1);
          f->key = k;
          f->index = flows->len;
          f->held[0] = g_ptr_array_new_with_free_func (held_free);
          f->held[1] = g_ptr_array_new_with_free_func (held_free);
          g_ptr_array_add (flows, f);
          reversed = FALSE;
        }
      MsDir dir = k.port[1] == server_port ? MS_DIR_C2S
                  : k.port[0] == server_port ? MS_DIR_S2C
                  : reversed ? MS_DIR_S2C : MS_DIR_C2S;
      if (tflags & 0x02)  /* SYN */
        {
          f->have_seq[dir] = TRUE;
          f->next_seq[dir] = seq + 1;
          continue;
        }
      gsize len = ip_end - data_at;
      if (len == 0)
        continue;
      if (!f->have_seq[dir])
        {
          f->have_seq[dir] = TRUE;
          f->next_seq[dir] = seq;
        }
      if ((gint32) (seq - f->next_seq[dir]) > 0)
        {
          if (f->held[dir]->len < TEST_MAX_HELD)
            {
              Held *h = g_new0 (Held, 1);
              h->seq = seq;
              h->frame = frame;
              h->data = g_bytes_new (pkt + data_at, len);
              g_ptr_array_add (f->held[dir], h);
            }
          continue;
        }
      deliver (out, f, dir, seq, frame, pkt + data_at, len);
      drain_held (out, f, dir);
    }
  pcap_close (pc);
  if (n_streams)
    *n_streams = flows->len;
  for (guint i = 0; i < flows->len; i++)
    {
      Flow *f = g_ptr_array_index (flows, i);
      g_ptr_array_unref (f->held[0]);
      g_ptr_array_unref (f->held[1]);
      g_free (f);
    }
  g_ptr_array_unref (flows);
  return out;
}

guint32
ms_test_frame_of (GPtrArray *segs, guint stream, MsDir dir, guint64 offset)
{
  for (guint i = 0; i < segs->len; i++)
    {
      MsTestSeg *s = g_ptr_array_index (segs, i);
      if (s->stream == stream && s->dir == dir && offset >= s->offset
          && offset < s->offset + g_bytes_get_size (s->data))
        return s->frame;
    }
  return 0;
}

static void
sink_emit (MsEmitter *emitter, MsEvent *ev)
{
  MsTestSink *sink = emitter->user_data;
  JsonObject *o = ms_event_to_json (ev, FALSE);
  JsonNode *n = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (n, o);
  char *text = json_to_string (n, FALSE);
  json_node_unref (n);
  /* Every event must name its byte range and direction. */
  g_assert_true (ev->offset != MS_NO_OFFSET);
  g_assert_true (ev->dir == MS_DIR_C2S || ev->dir == MS_DIR_S2C);
  g_ptr_array_add (sink->json, text);
  g_ptr_array_add (sink->events, ev);
  g_array_append_val (sink->frames, sink->frame_now);
}

void
ms_test_sink_init (MsTestSink *sink)
{
  memset (sink, 0, sizeof *sink);
  sink->emitter.emit = sink_emit;
  sink->emitter.user_data = sink;
  sink->events = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_event_unref);
  sink->json = g_ptr_array_new_with_free_func (g_free);
  sink->frames = g_array_new (FALSE, FALSE, sizeof (guint32));
}

void
ms_test_sink_clear (MsTestSink *sink)
{
  g_clear_pointer (&sink->events, g_ptr_array_unref);
  g_clear_pointer (&sink->json, g_ptr_array_unref);
  g_clear_pointer (&sink->frames, g_array_unref);
}

void
ms_test_feed (MsDecoder *dec, MsDir dir, guint64 *offset, const guint8 *data, gsize len,
              MsTestSplit split)
{
  gsize i = 0;
  while (i < len)
    {
      gsize n = len - i;
      if (split == MS_TEST_BYTES)
        n = 1;
      else if (split == MS_TEST_RANDOM)
        {
          gsize piece = (gsize) g_test_rand_int_range (1, 18);
          n = MIN (n, piece);
        }
      ms_decoder_feed (dec, dir, *offset, data + i, n);
      *offset += n;
      i += n;
    }
}

MsTestSink *
ms_test_run_segments (const MsDecoderClass *klass, const MsDecoderConfig *config,
                      GPtrArray *segs, guint n_streams, gint only_stream, MsTestSplit split)
{
  MsTestSink *sink = g_new0 (MsTestSink, 1);
  MsDecoderConfig none = { 0, MS_PROTO_NONE };
  ms_test_sink_init (sink);
  for (guint st = 0; st < n_streams; st++)
    {
      if (only_stream >= 0 && (guint) only_stream != st)
        continue;
      MsDecoder *dec = NULL;
      guint64 off[2] = { 0, 0 };
      for (guint i = 0; i < segs->len; i++)
        {
          MsTestSeg *s = g_ptr_array_index (segs, i);
          if (s->stream != st)
            continue;
          if (dec == NULL)
            dec = ms_decoder_new (klass, &sink->emitter, config ? config : &none);
          gsize n;
          const guint8 *d = g_bytes_get_data (s->data, &n);
          sink->frame_now = s->frame;
          g_assert_cmpuint (off[s->dir], ==, s->offset);
          ms_test_feed (dec, s->dir, &off[s->dir], d, n, split);
        }
      if (dec)
        {
          ms_decoder_finish (dec);
          ms_decoder_free (dec);
        }
    }
  return sink;
}

char *
ms_test_sink_dump (MsTestSink *sink)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < sink->json->len; i++)
    g_string_append_printf (s, "%s\n", (char *) g_ptr_array_index (sink->json, i));
  return g_string_free (s, FALSE);
}

void
ms_test_assert_same (MsTestSink *a, MsTestSink *b)
{
  guint n = MIN (a->json->len, b->json->len);
  for (guint i = 0; i < n; i++)
    g_assert_cmpstr (g_ptr_array_index (a->json, i), ==, g_ptr_array_index (b->json, i));
  g_assert_cmpuint (a->json->len, ==, b->json->len);
}

void
ms_test_sink_free (MsTestSink *sink)
{
  ms_test_sink_clear (sink);
  g_free (sink);
}

MsTestSink *
ms_test_run_chunks (const MsDecoderClass *klass, const MsDecoderConfig *config,
                    const MsTestChunk *chunks, gsize n, MsTestSplit split)
{
  MsTestSink *sink = g_new0 (MsTestSink, 1);
  guint64 off[2] = { 0, 0 };

  ms_test_sink_init (sink);
  MsDecoder *dec = ms_decoder_new (klass, &sink->emitter, config);
  for (gsize i = 0; i < n; i++)
    ms_test_feed (dec, chunks[i].dir, &off[chunks[i].dir], chunks[i].data, chunks[i].len,
                  split);
  ms_decoder_finish (dec);
  ms_decoder_free (dec);
  return sink;
}

MsTestSink *
ms_test_run_chunks_every_split (const MsDecoderClass *klass, const MsDecoderConfig *config,
                                const MsTestChunk *chunks, gsize n)
{
  MsTestSink *whole = ms_test_run_chunks (klass, config, chunks, n, MS_TEST_WHOLE);
  MsTestSink *bytes = ms_test_run_chunks (klass, config, chunks, n, MS_TEST_BYTES);

  ms_test_assert_same (whole, bytes);
  ms_test_sink_free (bytes);
  for (int r = 0; r < 3; r++)
    {
      MsTestSink *rnd = ms_test_run_chunks (klass, config, chunks, n, MS_TEST_RANDOM);
      ms_test_assert_same (whole, rnd);
      ms_test_sink_free (rnd);
    }
  if (g_test_verbose ())
    {
      g_autofree char *d = ms_test_sink_dump (whole);
      g_test_message ("%s", d);
    }
  return whole;
}

MsEvent *
ms_test_event_at (MsTestSink *sink, guint i)
{
  g_assert_cmpuint (i, <, sink->events->len);
  return g_ptr_array_index (sink->events, i);
}

JsonObject *
ms_test_credential_of (MsEvent *ev)
{
  const MsField *f = ms_event_get (ev, "credential");
  g_assert_nonnull (f);
  g_assert_cmpint (f->type, ==, MS_VAL_NODE);
  return json_node_get_object (f->v.node);
}
