/* ms-pipeline.h - frames in, events out.
 *
 * The pipeline decodes each frame (ms-packet.h), keeps the flow table,
 * reassembles TCP streams, picks a decoder per stream (by port, by forced
 * port, or by the first bytes), decodes DNS over UDP, and stamps every
 * event with frame, time, stream and endpoints before handing it on.
 * Live capture, offline files and the built-in lab all go through here. */
#pragma once

#include <glib.h>
#include "ms-types.h"
#include "ms-event.h"
#include "ms-source.h"

G_BEGIN_DECLS

/* Limits, each with its reason (see ms-pipeline.c for the defaults). */
typedef struct {
  /* Out-of-order bytes held per stream direction while waiting for a hole
   * to fill; past it the hole is declared a gap. */
  gsize max_stream_bytes;
  /* Out-of-order bytes held across all streams. */
  gsize max_total_bytes;
  /* Streams tracked at once; the least recently active closed stream, then
   * the least recently active open one, is forgotten past it. */
  guint max_streams;
  /* Bytes of pending IP fragments. */
  gsize max_defrag_bytes;
  /* Forced ports: streams with this server port use that protocol. */
  struct {
    guint16 port;
    MsProto proto;
  } forced[16];
  guint n_forced;
} MsPipelineOptions;

void ms_pipeline_options_init (MsPipelineOptions *opts);
/* Parses "imap=1143", "pop3=1110", "dns=5353", "tls=8443"; one-line error. */
gboolean ms_pipeline_options_add_port (MsPipelineOptions *opts, const char *spec,
                                       GError **error);

typedef struct {
  guint64 frames;
  guint64 bytes;
  guint64 streams;            /* TCP streams seen (tcp.stream count) */
  guint64 truncated_frames;
  guint64 malformed_frames;
  guint64 undecodable_frames; /* unsupported link/ethertype/IP proto */
  guint64 retransmitted_bytes;
  guint64 missing_bytes;      /* reported in gaps */
  guint64 streams_evicted;
  guint64 events;
} MsPipelineStats;

typedef struct _MsPipeline MsPipeline;

/* Called for every event in order. The event is borrowed: ref it to keep. */
typedef void (*MsEventFunc) (MsEvent *ev, gpointer user_data);

MsPipeline *ms_pipeline_new (const MsPipelineOptions *opts, MsEventFunc func,
                             gpointer user_data);
void ms_pipeline_feed (MsPipeline *p, const MsFrame *frame);
/* End of input: flushes held segments (reporting gaps) and finishes every
 * decoder. */
void ms_pipeline_finish (MsPipeline *p);
const MsPipelineStats *ms_pipeline_stats (MsPipeline *p);
void ms_pipeline_free (MsPipeline *p);

G_END_DECLS
