/* ms-reasm.h - one direction of a TCP byte stream (RFC 9293): in-order
 * delivery, bounded holding of out-of-order segments, gap reporting.
 * Internal to libmailscope. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Where reassembled bytes go. `data` may point into the caller's segment
 * (no copy on the in-order path); it is valid only during the call. */
typedef struct {
  void (*data) (gpointer user_data, guint64 offset, const guint8 *data,
                gsize len, guint32 frame);
  void (*gap) (gpointer user_data, guint64 offset, guint64 missing);
} MsReasmSink;

/* Everything a reassembler needs besides its own state. `total_held` is
 * shared by every direction of every stream so that one cap bounds all. */
typedef struct {
  const MsReasmSink *sink;
  gpointer user_data;
  gsize max_stream_bytes;
  gsize max_total_bytes;
  gsize *total_held;
} MsReasmCtx;

typedef struct _MsReasmSeg MsReasmSeg;

typedef struct {
  gboolean started;       /* base_seq is known */
  guint32 base_seq;       /* sequence number of stream offset 0 */
  guint64 next;           /* next stream offset to deliver */
  guint64 acked;          /* highest offset the peer acknowledged */
  MsReasmSeg *held;       /* out-of-order segments, sorted, disjoint */
  gsize held_bytes;
  guint64 retransmitted;  /* bytes dropped as already delivered or held */
  guint64 missing;        /* bytes reported as gaps */
} MsReasm;

void ms_reasm_init (MsReasm *r);
/* Fixes the sequence number of stream offset 0 (ISN + 1 after a SYN, or the
 * first sequence number seen when the capture starts mid-stream). */
void ms_reasm_start (MsReasm *r, guint32 base_seq);
/* Stream offset of `seq`, in 32-bit serial arithmetic around the next
 * expected byte; negative when it lies before stream offset 0. */
gint64 ms_reasm_offset_of (const MsReasm *r, guint32 seq);

/* Adds a segment by sequence number / by stream offset. Delivers what is in
 * order (and any held bytes it unblocks), holds the rest, reports a gap
 * when a hole can no longer fill (caps, a jump past max_stream_bytes, or
 * the peer acknowledged past it). Requires ms_reasm_start for _add. */
void ms_reasm_add (MsReasm *r, const MsReasmCtx *ctx, guint32 seq,
                   const guint8 *data, gsize len, guint32 frame);
void ms_reasm_add_at (MsReasm *r, const MsReasmCtx *ctx, guint64 offset,
                      const guint8 *data, gsize len, guint32 frame);
/* The peer acknowledged up to `ack`: holes below it will never fill. */
void ms_reasm_ack (MsReasm *r, const MsReasmCtx *ctx, guint32 ack);
/* Bytes up to `offset` will never arrive (a truncated capture): reports
 * them as a gap if nothing is held before them. */
void ms_reasm_skip_to (MsReasm *r, const MsReasmCtx *ctx, guint64 offset);
/* Declares every remaining hole a gap and delivers all held bytes. */
void ms_reasm_flush (MsReasm *r, const MsReasmCtx *ctx);
/* Frees held segments without delivering them. */
void ms_reasm_clear (MsReasm *r, const MsReasmCtx *ctx);

G_END_DECLS
