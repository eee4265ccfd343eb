/* stream-test-util.h - helpers shared by the IMAP, POP3 and TLS decoder tests:
 * an emitter that records events as JSON, split-feeding of transcripts,
 * and a minimal libpcap reader that yields each TCP stream's payload in
 * sequence order (the real pipeline is tested elsewhere). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
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

/* A recording made by ms_test_run_chunks (g_new'd): clears and frees it. */
void ms_test_sink_free (MsTestSink *sink);

/* One piece of a hand-written transcript. */
typedef struct {
  MsDir dir;
  const guint8 *data;
  gsize len;
} MsTestChunk;

/* Feeds the chunks, in order and split as asked, to a fresh decoder of
 * `klass` and returns the recording (free with ms_test_sink_free). */
MsTestSink *ms_test_run_chunks (const MsDecoderClass *klass, const MsDecoderConfig *config,
                                const MsTestChunk *chunks, gsize n, MsTestSplit split);

/* The same whole, one byte at a time and three times in random pieces;
 * asserts that every run recorded the same events and returns the whole
 * run's recording. */
MsTestSink *ms_test_run_chunks_every_split (const MsDecoderClass *klass,
                                            const MsDecoderConfig *config,
                                            const MsTestChunk *chunks, gsize n);

/* Event i of a recording, asserted present. */
MsEvent *ms_test_event_at (MsTestSink *sink, guint i);

/* The "credential" object of a credential event, asserted present. */
JsonObject *ms_test_credential_of (MsEvent *ev);

/* Asserts that two recordings hold the same JSON, event by event. */
void ms_test_assert_same (MsTestSink *a, MsTestSink *b);

/* A dump of a sink, one JSON line per event (for failure messages). */
char *ms_test_sink_dump (MsTestSink *sink);

G_END_DECLS
