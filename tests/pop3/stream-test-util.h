/* stream-test-util.h - helpers shared by the POP3 and TLS decoder tests:
 * an emitter that records events as JSON, split-feeding of transcripts,
 * and a minimal libpcap reader that yields each TCP stream's payload in
 * sequence order (the real pipeline is tested elsewhere). */
#pragma once

#include <glib.h>
#include "mailscope/ms-decoder.h"

G_BEGIN_DECLS

/* One delivery of in-order TCP payload. */
typedef struct {
  guint stream;      /* index by first appearance, as tshark's tcp.stream */
  MsDir dir;
  guint32 frame;     /* 1-based frame number */
  guint64 offset;    /* stream offset of data[0] in this direction */
  GBytes *data;
} MsTestSeg;

/* Reads a capture (pcap or pcapng; Ethernet, NULL/loopback, raw IP, Linux
 * cooked; IPv4/IPv6) and returns its TCP payloads in capture order, each
 * direction reassembled by sequence number (retransmissions dropped).
 * `server_port` decides which side is the server. Asserts on failure. */
GPtrArray *ms_test_pcap_segments (const char *path, guint16 server_port, guint *n_streams);

/* Path of a file under tests/ (G_TEST_SRCDIR); g_free the result. */
char *ms_test_data_path (const char *area, const char *name);

/* Records every emitted event (a reference) and its JSON text. */
typedef struct {
  MsEmitter emitter;
  GPtrArray *events;   /* MsEvent* */
  GPtrArray *json;     /* char*, one per event */
  GArray *frames;      /* guint32 frame current when each event was emitted */
  guint32 frame_now;
} MsTestSink;

void ms_test_sink_init (MsTestSink *sink);
void ms_test_sink_clear (MsTestSink *sink);

/* How a test cuts each delivery before feeding it. */
typedef enum {
  MS_TEST_WHOLE,
  MS_TEST_BYTES,     /* one byte at a time */
  MS_TEST_RANDOM,    /* random pieces of 1..17 bytes */
} MsTestSplit;

/* Feeds data at *offset (advanced) split as asked. */
void ms_test_feed (MsDecoder *dec, MsDir dir, guint64 *offset, const guint8 *data,
                   gsize len, MsTestSplit split);

/* Runs every stream of `segs` through a fresh decoder of `klass` (config
 * may be NULL) and returns the sink (caller clears and frees). When
 * `only_stream` >= 0, only that stream. */
MsTestSink *ms_test_run_segments (const MsDecoderClass *klass, const MsDecoderConfig *config,
                                  GPtrArray *segs, guint n_streams, gint only_stream,
                                  MsTestSplit split);

/* The frame that carried byte `offset` of (stream, dir), or 0. */
guint32 ms_test_frame_of (GPtrArray *segs, guint stream, MsDir dir, guint64 offset);

/* Asserts that two recordings hold the same JSON, event by event. */
void ms_test_assert_same (MsTestSink *a, MsTestSink *b);

/* A dump of a sink, one JSON line per event (for failure messages). */
char *ms_test_sink_dump (MsTestSink *sink);

G_END_DECLS
