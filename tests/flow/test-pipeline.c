/* test-pipeline.c - the pipeline's flow table, TCP events, stream numbers
 * (against tshark's tcp.stream) and DNS over UDP, on hand-built frames and
 * real captures. */
#include "config.h"

#include <string.h>

#include "mailscope/ms-pipeline.h"
#include "mailscope/ms-source.h"
#include "mailscope/ms-packet.h"
#include "capture/ms-flow.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

static void
collect (MsEvent *ev, gpointer user_data)
{
  g_ptr_array_add (user_data, ms_event_ref (ev));
}

static GPtrArray *
events_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) ms_event_unref);
}

static char *
data_path (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "flow", "data", name, NULL);
}

/* Runs a capture through a pipeline; fills the tcp.stream of every frame
 * (-1 for non-TCP) and returns the events. */
static GPtrArray *
run_capture (const char *name, const MsPipelineOptions *opts, GArray **streams,
             MsPipelineStats *stats)
{
  g_autofree char *path = data_path (name);
  g_autoptr (GError) error = NULL;
  MsSource *src = ms_source_open_file (path, &error);
  GPtrArray *events = events_new ();
  MsPipeline *p;
  MsFrame frame;
  int r;

  g_assert_no_error (error);
  p = ms_pipeline_new (opts, collect, events);
  if (streams)
    *streams = g_array_new (FALSE, FALSE, sizeof (gint64));
  while ((r = ms_source_next (src, &frame, &error)) == 1)
    {
      gint64 s;
      ms_pipeline_feed (p, &frame);
      s = ms_pipeline_frame_stream (p);
      if (streams)
        g_array_append_val (*streams, s);
    }
  g_assert_no_error (error);
  g_assert_cmpint (r, ==, 0);
  ms_pipeline_finish (p);
  if (stats)
    *stats = *ms_pipeline_stats (p);
  ms_pipeline_free (p);
  ms_source_close (src);
  return events;
}

/* Expected tcp.stream per frame, from `tshark -T fields -e frame.number
 * -e tcp.stream` saved next to the capture. */
static GArray *
load_streams (const char *name)
{
  g_autofree char *file = g_strconcat (name, ".streams", NULL);
  g_autofree char *path = data_path (file);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  GArray *a = g_array_new (FALSE, FALSE, sizeof (gint64));

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      g_auto (GStrv) cols = NULL;
      gint64 s = -1;
      if (lines[i][0] == '\0')
        continue;
      cols = g_strsplit (lines[i], "\t", 2);
      g_assert_cmpint (g_ascii_strtoll (cols[0], NULL, 10), ==, a->len + 1);
      if (cols[1] && cols[1][0])
        s = g_ascii_strtoll (cols[1], NULL, 10);
      g_array_append_val (a, s);
    }
  return a;
}

static void
check_streams (const char *name)
{
  g_autoptr (GArray) expected = load_streams (name);
  GArray *got = NULL;
  g_autoptr (GPtrArray) events = run_capture (name, NULL, &got, NULL);

  g_assert_cmpuint (got->len, ==, expected->len);
  for (guint i = 0; i < got->len; i++)
    {
      if (g_array_index (got, gint64, i) != g_array_index (expected, gint64, i))
        g_error ("%s frame %u: stream %" G_GINT64_FORMAT ", tshark says %" G_GINT64_FORMAT,
                 name, i + 1, g_array_index (got, gint64, i),
                 g_array_index (expected, gint64, i));
    }
  /* Every event of a stream carries the number of a frame of that stream. */
  for (guint i = 0; i < events->len; i++)
    {
      MsEvent *ev = events->pdata[i];
      g_assert_cmpuint (ev->seq, ==, i + 1);
      g_assert_cmpuint (ev->first_frame, <=, ev->frame);
      g_assert_cmpuint (ev->frame, >=, 1);
      g_assert_cmpuint (ev->frame, <=, got->len);
      if (ev->stream >= 0)
        g_assert_cmpint (g_array_index (got, gint64, ev->first_frame - 1), ==, ev->stream);
    }
  g_array_unref (got);
}

static guint
count_events (GPtrArray *events, MsProto proto, const char *kind)
{
  guint n = 0;
  for (guint i = 0; i < events->len; i++)
    {
      MsEvent *ev = events->pdata[i];
      if (ev->proto == proto && (kind == NULL || g_strcmp0 (ev->kind, kind) == 0))
        n++;
    }
  return n;
}

/* Raw IPv4 (link type 101) TCP frames built by hand. */
typedef struct {
  MsPipeline *p;
  GPtrArray *events;
  guint32 number;
  gint64 ts;
} Feeder;

enum { F_FIN = 0x01, F_SYN = 0x02, F_RST = 0x04, F_PSH = 0x08, F_ACK = 0x10 };

static void
put16 (guint8 *b, guint16 v)
{
  b[0] = v >> 8;
  b[1] = v & 0xff;
}

static void
put32 (guint8 *b, guint32 v)
{
  put16 (b, v >> 16);
  put16 (b + 2, v & 0xffff);
}

/* Hosts are 10.0.0.<host>. Advances time by 10 ms per frame. */
static void
feed_tcp (Feeder *fd, guint8 shost, guint16 sport, guint8 dhost, guint16 dport,
          guint8 flags, guint32 seq, guint32 ack, const char *payload)
{
  gsize plen = payload ? strlen (payload) : 0;
  guint8 buf[1500] = { 0 };
  MsFrame frame = { 0 };

  g_assert_cmpuint (plen, <=, sizeof buf - 40);
  buf[0] = 0x45;
  put16 (buf + 2, 40 + plen);
  buf[8] = 64;
  buf[9] = 6;
  buf[12] = 10, buf[15] = shost;
  buf[16] = 10, buf[19] = dhost;
  put16 (buf + 20, sport);
  put16 (buf + 22, dport);
  put32 (buf + 24, seq);
  put32 (buf + 28, ack);
  buf[32] = 5 << 4;
  buf[33] = flags;
  put16 (buf + 34, 65535);
  if (plen)
    memcpy (buf + 40, payload, plen);

  frame.number = ++fd->number;
  fd->ts += 10 * G_TIME_SPAN_MILLISECOND * 1000;
  frame.ts_nsec = fd->ts;
  frame.data = buf;
  frame.caplen = frame.len = 40 + plen;
  frame.linktype = MS_LINK_RAW;
  frame.file_offset = -1;
  ms_pipeline_feed (fd->p, &frame);
}

static void
feeder_init (Feeder *fd, const MsPipelineOptions *opts)
{
  memset (fd, 0, sizeof *fd);
  fd->events = events_new ();
  fd->p = ms_pipeline_new (opts, collect, fd->events);
  fd->ts = G_GINT64_CONSTANT (1700000000) * G_USEC_PER_SEC * 1000;
}

static void
feeder_finish (Feeder *fd)
{
  ms_pipeline_finish (fd->p);
}

static void
feeder_clear (Feeder *fd)
{
  ms_pipeline_free (fd->p);
  g_ptr_array_unref (fd->events);
}

/* The i-th TCP event (decoders may add their own around them). */
static MsEvent *
ev_at (Feeder *fd, guint i)
{
  for (guint k = 0; k < fd->events->len; k++)
    {
      MsEvent *ev = fd->events->pdata[k];
      if (ev->proto == MS_PROTO_TCP && i-- == 0)
        return ev;
    }
  g_assert_not_reached ();
}

static guint
n_tcp (Feeder *fd)
{
  return count_events (fd->events, MS_PROTO_TCP, NULL);
}

static MsEvent *
find_tcp (Feeder *fd, gint64 stream, const char *tcp)
{
  for (guint k = 0; k < fd->events->len; k++)
    {
      MsEvent *ev = fd->events->pdata[k];
      if (ev->proto == MS_PROTO_TCP && ev->stream == stream
          && g_strcmp0 (ms_event_get_str (ev, "tcp"), tcp) == 0)
        return ev;
    }
  g_assert_not_reached ();
}

static void
assert_tcp (MsEvent *ev, const char *kind, const char *tcp, MsDir dir,
            guint32 frame)
{
  g_assert_cmpint (ev->proto, ==, MS_PROTO_TCP);
  g_assert_cmpstr (ev->kind, ==, kind);
  if (tcp)
    g_assert_cmpstr (ms_event_get_str (ev, "tcp"), ==, tcp);
  g_assert_cmpint (ev->dir, ==, dir);
  g_assert_cmpuint (ev->frame, ==, frame);
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */

static void
test_options (void)
{
  MsPipelineOptions o;
  GError *error = NULL;

  ms_pipeline_options_init (&o);
  g_assert_cmpuint (o.max_stream_bytes, >, 0);
  g_assert_cmpuint (o.max_total_bytes, >=, o.max_stream_bytes);
  g_assert_cmpuint (o.max_streams, >, 0);
  g_assert_true (ms_pipeline_options_add_port (&o, "imap=1143", &error));
  g_assert_true (ms_pipeline_options_add_port (&o, "POP3=1110", &error));
  g_assert_true (ms_pipeline_options_add_port (&o, "tls=8443", &error));
  g_assert_true (ms_pipeline_options_add_port (&o, "dns=5300", &error));
  g_assert_true (ms_pipeline_options_add_port (&o, "pop3=1143", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (o.n_forced, ==, 4);
  g_assert_cmpuint (o.forced[0].port, ==, 1143);
  g_assert_cmpint (o.forced[0].proto, ==, MS_PROTO_POP3);
  g_assert_cmpint (o.forced[1].proto, ==, MS_PROTO_POP3);

  const char *bad[] = { "imap", "imap=", "=143", "", "smtp=25", "tcp=80",
                        "imap=0", "imap=65536", "imap=14x", "imap=-1" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (ms_pipeline_options_add_port (&o, bad[i], &error));
      g_assert_nonnull (error);
      g_assert_null (strchr (error->message, '\n'));
      g_assert_true (g_str_has_prefix (error->message, "--port"));
      g_clear_error (&error);
    }
  g_assert_false (ms_pipeline_options_add_port (&o, "imap", &error));
  g_assert_cmpstr (error->message, ==, "--port expects PROTO=PORT, e.g. imap=1143");
  g_clear_error (&error);
  g_assert_cmpuint (o.n_forced, ==, 4);
}

static void
test_handshake_close (void)
{
  Feeder fd;
  MsEvent *ev;

  feeder_init (&fd, NULL);
  /* 10.0.0.1:40000 → 10.0.0.2:4321, a port no decoder knows */
  feed_tcp (&fd, 1, 40000, 2, 4321, F_SYN, 1000, 0, NULL);
  feed_tcp (&fd, 1, 40000, 2, 4321, F_SYN, 1000, 0, NULL);   /* retransmitted */
  feed_tcp (&fd, 2, 4321, 1, 40000, F_SYN | F_ACK, 5000, 1001, NULL);
  feed_tcp (&fd, 1, 40000, 2, 4321, F_ACK, 1001, 5001, NULL);
  feed_tcp (&fd, 1, 40000, 2, 4321, F_ACK | F_PSH, 1001, 5001, "hello\r\n");
  feed_tcp (&fd, 2, 4321, 1, 40000, F_ACK | F_FIN, 5001, 1008, NULL);
  feed_tcp (&fd, 1, 40000, 2, 4321, F_ACK | F_FIN, 1008, 5002, NULL);
  feed_tcp (&fd, 2, 4321, 1, 40000, F_ACK, 5002, 1009, NULL);
  feeder_finish (&fd);

  g_assert_cmpuint (n_tcp (&fd), ==, 5);
  ev = ev_at (&fd, 0);
  assert_tcp (ev, "handshake", "SYN", MS_DIR_C2S, 1);
  g_assert_cmpint (ev->stream, ==, 0);
  g_assert_cmpuint (ev->seq, ==, 1);
  g_assert_cmpfloat (ev->time, ==, 0.0);
  g_assert_cmpuint (ev->src.port, ==, 40000);
  g_assert_cmpuint (ev->dst.port, ==, 4321);
  g_assert_cmpuint (ev->client.port, ==, 40000);
  g_assert_cmpuint (ev->server.port, ==, 4321);
  g_assert_cmpuint (ev->src.addr[3], ==, 1);
  ev = ev_at (&fd, 1);
  assert_tcp (ev, "handshake", "SYN-ACK", MS_DIR_S2C, 3);
  g_assert_cmpfloat_with_epsilon (ms_event_get (ev, "rtt")->v.d, 0.020, 1e-9);
  g_assert_cmpfloat_with_epsilon (ev->time, 0.020, 1e-9);
  g_assert_cmpuint (ev->src.port, ==, 4321);
  g_assert_cmpuint (ev->server.port, ==, 4321);
  ev = ev_at (&fd, 2);
  assert_tcp (ev, "handshake", "ACK", MS_DIR_C2S, 4);
  g_assert_cmpfloat_with_epsilon (ms_event_get (ev, "rtt")->v.d, 0.030, 1e-9);
  assert_tcp (ev_at (&fd, 3), "close", "FIN", MS_DIR_S2C, 6);
  assert_tcp (ev_at (&fd, 4), "close", "FIN", MS_DIR_C2S, 7);
  for (guint i = 0; i < fd.events->len; i++)
    g_assert_cmpint (((MsEvent *) fd.events->pdata[i])->stream, ==, 0);
  g_assert_cmpuint (ms_pipeline_stats (fd.p)->streams, ==, 1);
  g_assert_cmpuint (ms_pipeline_stats (fd.p)->events, ==, fd.events->len);
  g_assert_cmpuint (ms_pipeline_stats (fd.p)->frames, ==, 8);
  feeder_clear (&fd);
}

static void
test_rst (void)
{
  Feeder fd;

  feeder_init (&fd, NULL);
  feed_tcp (&fd, 1, 40000, 2, 4321, F_SYN, 7, 0, NULL);
  feed_tcp (&fd, 2, 4321, 1, 40000, F_RST | F_ACK, 0, 8, NULL);
  feeder_finish (&fd);
  g_assert_cmpuint (n_tcp (&fd), ==, 2);
  assert_tcp (ev_at (&fd, 0), "handshake", "SYN", MS_DIR_C2S, 1);
  assert_tcp (ev_at (&fd, 1), "close", "RST", MS_DIR_S2C, 2);
  feeder_clear (&fd);
}

/* A hole in the client's bytes, declared when the FIN comes. */
static void
test_gap_at_fin (void)
{
  Feeder fd;
  MsEvent *ev;

  feeder_init (&fd, NULL);
  feed_tcp (&fd, 1, 40000, 2, 4321, F_SYN, 99, 0, NULL);
  feed_tcp (&fd, 2, 4321, 1, 40000, F_SYN | F_ACK, 0, 100, NULL);
  feed_tcp (&fd, 1, 40000, 2, 4321, F_ACK, 100, 1, NULL);
  feed_tcp (&fd, 1, 40000, 2, 4321, F_ACK, 100, 1, "0123456789");
  feed_tcp (&fd, 1, 40000, 2, 4321, F_ACK, 120, 1, "KLMNOPQRST");   /* held */
  feed_tcp (&fd, 1, 40000, 2, 4321, F_ACK, 110, 1, "ABCDEFGHIJ");   /* fills */
  feed_tcp (&fd, 1, 40000, 2, 4321, F_ACK, 110, 1, "ABCDEFGHIJ");   /* again */
  feed_tcp (&fd, 1, 40000, 2, 4321, F_ACK, 150, 1, "!!!!!");        /* held */
  feed_tcp (&fd, 1, 40000, 2, 4321, F_ACK | F_FIN, 155, 1, NULL);
  feeder_finish (&fd);

  g_assert_cmpuint (n_tcp (&fd), ==, 5);
  ev = ev_at (&fd, 3);
  assert_tcp (ev, "gap", NULL, MS_DIR_C2S, 9);
  g_assert_true (ev->flags & MS_EVENT_GAP);
  g_assert_cmpint (ms_event_get_int (ev, "missing", 0), ==, 20);
  g_assert_cmpuint (ev->offset, ==, 30);
  assert_tcp (ev_at (&fd, 4), "close", "FIN", MS_DIR_C2S, 9);
  g_assert_cmpuint (ms_pipeline_stats (fd.p)->missing_bytes, ==, 20);
  g_assert_cmpuint (ms_pipeline_stats (fd.p)->retransmitted_bytes, ==, 10);
  feeder_clear (&fd);
}

/* SYN with data, FIN with data, a keep-alive probe, a retransmitted FIN and
 * a sequence space wrapping at 2^32: all bytes accounted for, no gap. */
static void
test_syn_fin_data (void)
{
  Feeder fd;
  const MsPipelineStats *st;

  feeder_init (&fd, NULL);
  feed_tcp (&fd, 1, 40000, 2, 4321, F_SYN, 99, 0, "abc");
  feed_tcp (&fd, 2, 4321, 1, 40000, F_SYN | F_ACK, 0, 103, NULL);
  feed_tcp (&fd, 1, 40000, 2, 4321, F_ACK, 103, 1, "def");
  feed_tcp (&fd, 1, 40000, 2, 4321, F_ACK, 105, 1, "f");          /* keep-alive */
  feed_tcp (&fd, 1, 40000, 2, 4321, F_ACK, 106, 1, NULL);
  feed_tcp (&fd, 1, 40000, 2, 4321, F_ACK | F_FIN, 106, 1, "ghi");
  feed_tcp (&fd, 1, 40000, 2, 4321, F_ACK | F_FIN, 106, 1, "ghi"); /* again */

  feed_tcp (&fd, 1, 40001, 2, 4321, F_SYN, 0xFFFFFFFDu, 0, NULL);
  feed_tcp (&fd, 1, 40001, 2, 4321, F_ACK, 0x00000002u, 1, "ef");  /* held */
  feed_tcp (&fd, 1, 40001, 2, 4321, F_ACK, 0xFFFFFFFEu, 1, "abcd");
  feed_tcp (&fd, 1, 40001, 2, 4321, F_ACK | F_FIN, 0x00000004u, 1, NULL);
  feeder_finish (&fd);

  st = ms_pipeline_stats (fd.p);
  g_assert_cmpuint (st->missing_bytes, ==, 0);
  g_assert_cmpuint (st->retransmitted_bytes, ==, 4);
  g_assert_cmpuint (count_events (fd.events, MS_PROTO_TCP, "gap"), ==, 0);
  g_assert_cmpuint (count_events (fd.events, MS_PROTO_TCP, "close"), ==, 2);
  g_assert_cmpuint (st->streams, ==, 2);
  feeder_clear (&fd);
}

/* A FIN captured before the last data segment: the late bytes still count;
 * when they never come, the end of the capture reports them missing. */
static void
test_fin_before_data (void)
{
  for (guint late = 0; late < 2; late++)
    {
      Feeder fd;
      MsEvent *gap;

      feeder_init (&fd, NULL);
      feed_tcp (&fd, 1, 40000, 2, 4321, F_SYN, 0, 0, NULL);
      feed_tcp (&fd, 2, 4321, 1, 40000, F_SYN | F_ACK, 0, 1, NULL);
      feed_tcp (&fd, 1, 40000, 2, 4321, F_ACK, 1, 1, "hello");
      feed_tcp (&fd, 1, 40000, 2, 4321, F_ACK | F_FIN, 11, 1, NULL);
      feed_tcp (&fd, 2, 4321, 1, 40000, F_ACK | F_FIN, 1, 1, NULL);
      if (late)
        feed_tcp (&fd, 1, 40000, 2, 4321, F_ACK, 6, 1, "world");
      feeder_finish (&fd);
      g_assert_cmpuint (count_events (fd.events, MS_PROTO_TCP, "close"), ==, 2);
      if (late)
        {
          g_assert_cmpuint (ms_pipeline_stats (fd.p)->missing_bytes, ==, 0);
          g_assert_cmpuint (count_events (fd.events, MS_PROTO_TCP, "gap"), ==, 0);
        }
      else
        {
          g_assert_cmpuint (ms_pipeline_stats (fd.p)->missing_bytes, ==, 5);
          gap = ev_at (&fd, 5);
          assert_tcp (gap, "gap", NULL, MS_DIR_C2S, 5);
          g_assert_cmpuint (gap->offset, ==, 5);
        }
      feeder_clear (&fd);
    }
}

/* A hole never filled, declared at the end of the capture. */
static void
test_gap_at_end (void)
{
  Feeder fd;

  feeder_init (&fd, NULL);
  feed_tcp (&fd, 1, 40000, 2, 4321, F_ACK, 100, 1, "abc");
  feed_tcp (&fd, 1, 40000, 2, 4321, F_ACK, 200, 1, "xyz");
  feed_tcp (&fd, 2, 4321, 1, 40000, F_ACK, 1, 103, NULL);
  g_assert_cmpuint (n_tcp (&fd), ==, 0);
  feeder_finish (&fd);
  g_assert_cmpuint (n_tcp (&fd), ==, 1);
  assert_tcp (ev_at (&fd, 0), "gap", NULL, MS_DIR_C2S, 3);  /* the stream's last frame */
  g_assert_cmpint (ms_event_get_int (ev_at (&fd, 0), "missing", 0), ==, 97);
  feeder_clear (&fd);
}

/* Roles when the capture starts mid-stream: a known server port, else the
 * content, else the lower port. Seen through each side's FIN event. */
static void
test_roles_midstream (void)
{
  Feeder fd;
  MsEvent *ev;

  feeder_init (&fd, NULL);
  /* stream 0: 143 is IMAP's port, so its side is the server */
  feed_tcp (&fd, 2, 143, 1, 50000, F_ACK, 1, 1, NULL);
  feed_tcp (&fd, 2, 143, 1, 50000, F_ACK | F_FIN, 1, 1, NULL);
  /* stream 1: no known port, no content: the lower port */
  feed_tcp (&fd, 1, 50001, 2, 3000, F_ACK | F_FIN, 1, 1, NULL);
  /* stream 2: content says the higher port is the server */
  feed_tcp (&fd, 1, 50002, 2, 3001, F_ACK | F_PSH, 1, 1, "+OK POP3 server ready\r\n");
  feed_tcp (&fd, 1, 50002, 2, 3001, F_ACK | F_FIN, 24, 1, NULL);
  feeder_finish (&fd);

  ev = find_tcp (&fd, 0, "FIN");
  assert_tcp (ev, "close", "FIN", MS_DIR_S2C, 2);
  g_assert_cmpuint (ev->server.port, ==, 143);
  g_assert_cmpuint (ev->client.port, ==, 50000);
  ev = find_tcp (&fd, 1, "FIN");
  assert_tcp (ev, "close", "FIN", MS_DIR_C2S, 3);
  g_assert_cmpuint (ev->server.port, ==, 3000);
  ev = find_tcp (&fd, 2, "FIN");
  assert_tcp (ev, "close", "FIN", MS_DIR_S2C, 5);
  g_assert_cmpuint (ev->server.port, ==, 50002);
  g_assert_cmpuint (ev->client.port, ==, 3001);
  /* and the POP3 decoder was chosen by the greeting */
  g_assert_cmpuint (count_events (fd.events, MS_PROTO_POP3, NULL), >=, 1);
  feeder_clear (&fd);

  /* A forced port names the server side too. */
  MsPipelineOptions o;
  ms_pipeline_options_init (&o);
  g_assert_true (ms_pipeline_options_add_port (&o, "imap=60000", NULL));
  feeder_init (&fd, &o);
  feed_tcp (&fd, 1, 60000, 2, 2000, F_ACK | F_FIN, 1, 1, NULL);
  feeder_finish (&fd);
  ev = ev_at (&fd, 0);
  assert_tcp (ev, "close", "FIN", MS_DIR_S2C, 1);
  g_assert_cmpuint (ev->server.port, ==, 60000);
  feeder_clear (&fd);
}

/* Far more streams than max_streams: memory stays bounded, every stream
 * still gets its number and its SYN event. */
static void
test_eviction (void)
{
  MsPipelineOptions o;
  Feeder fd;
  const guint n = 100000;

  ms_pipeline_options_init (&o);
  feeder_init (&fd, &o);
  for (guint i = 0; i < n; i++)
    feed_tcp (&fd, 1 + i / 60000, 1024 + i % 60000, 200, 4321, F_SYN, i, 0, NULL);
  g_assert_cmpuint (ms_pipeline_stats (fd.p)->streams, ==, n);
  g_assert_cmpuint (ms_pipeline_stats (fd.p)->streams_evicted, ==, n - o.max_streams);
  g_assert_cmpint (ms_pipeline_frame_stream (fd.p), ==, n - 1);
  feeder_finish (&fd);
  g_assert_cmpuint (fd.events->len, ==, n);
  feeder_clear (&fd);

  /* Closed streams go first. */
  o.max_streams = 2;
  feeder_init (&fd, &o);
  feed_tcp (&fd, 1, 1000, 2, 4321, F_SYN, 1, 0, NULL);          /* stream 0 */
  feed_tcp (&fd, 1, 1001, 2, 4321, F_SYN, 1, 0, NULL);          /* stream 1 */
  feed_tcp (&fd, 1, 1001, 2, 4321, F_RST, 2, 0, NULL);          /* 1 closed */
  feed_tcp (&fd, 1, 1000, 2, 4321, F_ACK, 2, 0, NULL);          /* 0 active */
  feed_tcp (&fd, 1, 1002, 2, 4321, F_SYN, 1, 0, NULL);          /* evicts 1 */
  g_assert_cmpint (ms_pipeline_frame_stream (fd.p), ==, 2);
  feed_tcp (&fd, 1, 1000, 2, 4321, F_ACK, 2, 0, NULL);
  g_assert_cmpint (ms_pipeline_frame_stream (fd.p), ==, 0);
  g_assert_cmpuint (ms_pipeline_stats (fd.p)->streams_evicted, ==, 1);
  feeder_finish (&fd);
  feeder_clear (&fd);
}

static void
test_port_reuse (void)
{
  check_streams ("port-reuse.pcap");
}

static void
test_capture_streams (void)
{
  const char *names[] = {
    "arkime-imap.pcap",
    "arkime-dns-tcp.pcap",
    "zeek-pop3.pcap",
    "zeek-dns-edns-ecs.pcap",
    "zeek-tls-imap-starttls.pcap",
    "zeek-pop3-redis-50-pings.pcap",
    "suricata-dns-tcp-ts-gap.pcap",
  };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    check_streams (names[i]);
}

/* The client's second query (34 bytes) was never captured; the server's
 * ACK of it says so when the third query arrives. */
static void
test_dns_tcp_gap (void)
{
  MsPipelineStats st;
  g_autoptr (GPtrArray) events = run_capture ("suricata-dns-tcp-ts-gap.pcap", NULL, NULL, &st);
  MsEvent *gap = NULL;

  for (guint i = 0; i < events->len; i++)
    {
      MsEvent *ev = events->pdata[i];
      if (ev->proto == MS_PROTO_TCP && g_strcmp0 (ev->kind, "gap") == 0)
        {
          g_assert_null (gap);
          gap = ev;
        }
    }
  g_assert_nonnull (gap);
  g_assert_cmpint (gap->dir, ==, MS_DIR_C2S);
  g_assert_cmpuint (gap->frame, ==, 10);
  g_assert_cmpuint (gap->offset, ==, 34);
  g_assert_cmpint (ms_event_get_int (gap, "missing", 0), ==, 34);
  g_assert_cmpuint (st.missing_bytes, ==, 34);
  g_assert_cmpuint (st.streams, ==, 1);
  g_assert_cmpuint (count_events (events, MS_PROTO_TCP, "handshake"), ==, 3);
  g_assert_cmpuint (count_events (events, MS_PROTO_TCP, "close"), ==, 2);
  /* As Suricata counts: the query after the gap decodes again. */
  g_assert_cmpuint (count_events (events, MS_PROTO_DNS, "query"), ==, 2);
  g_assert_cmpuint (count_events (events, MS_PROTO_DNS, "response"), ==, 3);
}

/* Redis on 6379 answers +PONG: never POP3. */
static void
test_redis_not_pop3 (void)
{
  g_autoptr (GPtrArray) events = run_capture ("zeek-pop3-redis-50-pings.pcap", NULL, NULL, NULL);

  g_assert_cmpuint (events->len, >, 0);
  for (guint i = 0; i < events->len; i++)
    g_assert_cmpint (((MsEvent *) events->pdata[i])->proto, ==, MS_PROTO_TCP);
}

/* DNS over UDP: stream -1, endpoints from the datagram, responses paired. */
static void
test_dns_udp (void)
{
  g_autoptr (GPtrArray) events = run_capture ("zeek-dns-edns-ecs.pcap", NULL, NULL, NULL);
  guint udp = 0;

  for (guint i = 0; i < events->len; i++)
    {
      MsEvent *ev = events->pdata[i];
      if (ev->proto != MS_PROTO_DNS || ev->stream != -1)
        continue;
      udp++;
      g_assert_cmpuint (ev->first_frame, ==, ev->frame);
      if (g_strcmp0 (ev->kind, "query") == 0)
        {
          g_assert_true (ms_addr_equal (&ev->src, &ev->client));
          g_assert_true (ms_addr_equal (&ev->dst, &ev->server));
        }
      else
        {
          g_assert_true (ms_addr_equal (&ev->src, &ev->server));
          g_assert_true (ms_addr_equal (&ev->dst, &ev->client));
        }
    }
  g_assert_cmpuint (udp, >, 0);
}

/* The events of a reassembled IMAP session point back at the frame that
 * carried their first byte. */
static void
test_first_frame (void)
{
  g_autoptr (GPtrArray) events = run_capture ("arkime-imap.pcap", NULL, NULL, NULL);
  guint earlier = 0, imap = 0;

  for (guint i = 0; i < events->len; i++)
    {
      MsEvent *ev = events->pdata[i];
      g_assert_cmpuint (ev->first_frame, <=, ev->frame);
      if (ev->proto == MS_PROTO_IMAP)
        imap++;
      if (ev->first_frame < ev->frame)
        earlier++;
    }
  g_assert_cmpuint (imap, >, 0);
  g_assert_cmpuint (earlier, >, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pipeline/options", test_options);
  g_test_add_func ("/pipeline/handshake-close", test_handshake_close);
  g_test_add_func ("/pipeline/rst", test_rst);
  g_test_add_func ("/pipeline/gap-at-fin", test_gap_at_fin);
  g_test_add_func ("/pipeline/gap-at-end", test_gap_at_end);
  g_test_add_func ("/pipeline/syn-fin-data", test_syn_fin_data);
  g_test_add_func ("/pipeline/fin-before-data", test_fin_before_data);
  g_test_add_func ("/pipeline/roles-midstream", test_roles_midstream);
  g_test_add_func ("/pipeline/eviction", test_eviction);
  g_test_add_func ("/pipeline/port-reuse", test_port_reuse);
  g_test_add_func ("/pipeline/capture-streams", test_capture_streams);
  g_test_add_func ("/pipeline/dns-tcp-gap", test_dns_tcp_gap);
  g_test_add_func ("/pipeline/redis-not-pop3", test_redis_not_pop3);
  g_test_add_func ("/pipeline/dns-udp", test_dns_udp);
  g_test_add_func ("/pipeline/first-frame", test_first_frame);
  return g_test_run ();
}
