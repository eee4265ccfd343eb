/* ms-flow.h - the TCP flow table: one entry per conversation (5-tuple),
 * numbered as Wireshark's tcp.stream, with least-recently-active eviction.
 * Internal to libmailscope; the pipeline owns the per-stream state. */
#pragma once

#include <glib.h>

#include "mailscope/ms-types.h"
#include "mailscope/ms-event.h"
#include "mailscope/ms-decoder.h"
#include "mailscope/ms-pipeline.h"
#include "ms-reasm.h"

G_BEGIN_DECLS

/* A conversation's endpoints in canonical order (lower endpoint first), so
 * both directions find the same entry. Zero-filled so it hashes by bytes. */
typedef struct {
  guint8 family;
  guint8 zero;
  guint16 port[2];
  guint16 zero2;         /* pads the key to whole 32-bit words */
  guint8 addr[2][16];
} MsFlowKey;

/* Which side of the key an endpoint is: 0 (lower) or 1. Fills `key`. */
guint ms_flow_key_init (MsFlowKey *key, const MsAddr *src, const MsAddr *dst);

/* Stream offset → frame that carried it, for the last few delivered
 * segments of one direction. */
typedef struct {
  guint64 offset;
  guint32 frame;
} MsFrameMark;

/* One delivery of bytes kept while the decoder is chosen by content, so
 * they can be replayed in arrival order with the frame that delivered them. */
typedef struct {
  guint8 side;
  guint32 len;
  guint32 frame;
  gint64 ts_nsec;
} MsSniffChunk;

typedef struct _MsFlow MsFlow;

typedef struct {
  MsFlow *flow;
  guint8 index;          /* 0 or 1: position in the key */
  MsAddr addr;
  MsReasm reasm;
  gboolean ws_base_set;  /* Wireshark's base sequence (port reuse test) */
  guint32 ws_base;
  gboolean syn, fin, rst;
  guint64 fin_off;       /* stream offset of the FIN */
  MsFrameMark *marks;    /* ring of MS_FLOW_MARKS, allocated on first data */
  guint n_marks, mark_head;
  GByteArray *sniff;     /* first bytes while sniffing */
  guint64 sniff_off;
} MsFlowSide;

struct _MsFlow {
  MsFlowKey key;
  GList link;            /* in the table's open or closed queue */
  gboolean closed;       /* FIN both ways or RST */
  gpointer owner;        /* the pipeline */
  MsEmitter emitter;     /* stamps events with this stream */

  gint64 index;          /* tcp.stream */
  MsFlowSide side[2];
  gint server_side;      /* 0 or 1 */
  gboolean roles_firm;   /* from SYN or a known port, not a guess */
  gboolean midstream;
  gboolean done;         /* decoder finished; later payload is ignored */

  /* handshake */
  gint64 syn_ts;
  gboolean ev_syn, ev_synack, ev_ack;

  /* decoder */
  gboolean sniffing;
  MsSniffChunk *chunks;
  guint n_chunks;
  MsDecoder *decoder;

  /* the frame events are stamped with */
  guint32 emit_frame;
  gint64 emit_ts;
  guint32 last_frame;
  gint64 last_ts;
};

typedef struct _MsFlowTable MsFlowTable;

MsFlowTable *ms_flow_table_new (void);
/* Frees the table only; flows must have been removed. */
void ms_flow_table_free (MsFlowTable *t);
MsFlow *ms_flow_table_lookup (MsFlowTable *t, const MsFlowKey *key);
/* Adds as the most recently active open flow. */
void ms_flow_table_insert (MsFlowTable *t, MsFlow *f);
void ms_flow_table_remove (MsFlowTable *t, MsFlow *f);
/* Marks `f` most recently active. */
void ms_flow_table_touch (MsFlowTable *t, MsFlow *f);
/* Moves `f` to the closed queue (evicted before any open flow). */
void ms_flow_table_set_closed (MsFlowTable *t, MsFlow *f);
/* The flow to forget first: least recently active closed, else open. */
MsFlow *ms_flow_table_victim (MsFlowTable *t);
guint ms_flow_table_size (MsFlowTable *t);
/* All flows sorted by stream index; the table keeps them. */
GPtrArray *ms_flow_table_list (MsFlowTable *t);

/* The tcp.stream of the frame last fed to the pipeline, or -1 when it was
 * not TCP (for tests and tools that compare with tshark). */
gint64 ms_pipeline_frame_stream (MsPipeline *p);

G_END_DECLS
