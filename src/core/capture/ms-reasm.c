/* ms-reasm.c - TCP stream reassembly for one direction (RFC 9293 sequence
 * space, RFC 1982 serial arithmetic for the 32-bit wrap). */
#include "config.h"

#include <string.h>

#include "ms-reasm.h"

/* A segment more than this far behind the next expected byte cannot be a
 * retransmission (TCP windows are at most 2^30 bytes, RFC 7323), so it is
 * read as a forward jump of the sequence space instead. */
#define MS_REASM_MAX_BACKWARD ((gint64) 1 << 30)

struct _MsReasmSeg {
  MsReasmSeg *next;
  guint64 off;
  guint32 len;
  guint32 frame;
  guint8 data[];
};

void
ms_reasm_init (MsReasm *r)
{
  memset (r, 0, sizeof *r);
}

void
ms_reasm_start (MsReasm *r, guint32 base_seq)
{
  r->started = TRUE;
  r->base_seq = base_seq;
}

gint64
ms_reasm_offset_of (const MsReasm *r, guint32 seq)
{
  guint32 next_seq = r->base_seq + (guint32) r->next;
  gint32 delta = (gint32) (seq - next_seq);
  return (gint64) r->next + delta;
}

static void
seg_free (const MsReasmCtx *ctx, MsReasm *r, MsReasmSeg *s)
{
  r->held_bytes -= s->len;
  *ctx->total_held -= s->len;
  g_free (s);
}

static MsReasmSeg *
seg_new (const MsReasmCtx *ctx, MsReasm *r, guint64 off, const guint8 *data,
         gsize len, guint32 frame)
{
  MsReasmSeg *s = g_malloc (sizeof *s + len);
  s->next = NULL;
  s->off = off;
  s->len = (guint32) len;
  s->frame = frame;
  memcpy (s->data, data, len);
  r->held_bytes += len;
  *ctx->total_held += len;
  return s;
}

static void
report_gap (MsReasm *r, const MsReasmCtx *ctx, guint64 missing)
{
  guint64 at = r->next;
  r->missing += missing;
  r->next += missing;
  ctx->sink->gap (ctx->user_data, at, missing);
}

/* Delivers held segments that the delivered bytes have reached, dropping
 * the parts already delivered. */
static void
drain (MsReasm *r, const MsReasmCtx *ctx)
{
  while (r->held && r->held->off <= r->next)
    {
      MsReasmSeg *s = r->held;
      guint64 end = s->off + s->len;
      r->held = s->next;
      if (end > r->next)
        {
          guint64 skip = r->next - s->off;
          r->retransmitted += skip;
          r->next = end;
          ctx->sink->data (ctx->user_data, s->off + skip, s->data + skip,
                           s->len - skip, s->frame);
        }
      else
        r->retransmitted += s->len;
      seg_free (ctx, r, s);
    }
}

/* Gives up on the hole before the first held segment. */
static void
force_first_hole (MsReasm *r, const MsReasmCtx *ctx)
{
  if (r->held->off > r->next)
    report_gap (r, ctx, r->held->off - r->next);
  drain (r, ctx);
}

/* Holes the peer has acknowledged will never be filled by this capture. */
static void
settle_acked (MsReasm *r, const MsReasmCtx *ctx)
{
  while (r->held && r->acked > r->next)
    {
      guint64 end = MIN (r->acked, r->held->off);
      if (end > r->next)
        report_gap (r, ctx, end - r->next);
      drain (r, ctx);
    }
}

/* Inserts [off, off+len) into the held list, keeping what is already held
 * where they overlap (the overlapping bytes count as retransmitted). */
static void
insert_held (MsReasm *r, const MsReasmCtx *ctx, guint64 off,
             const guint8 *data, gsize len, guint32 frame)
{
  guint64 cur = off, end = off + len;
  MsReasmSeg **link = &r->held;

  while (cur < end)
    {
      MsReasmSeg *h = *link;
      if (h == NULL || h->off >= end)
        {
          MsReasmSeg *s = seg_new (ctx, r, cur, data + (cur - off), end - cur, frame);
          s->next = h;
          *link = s;
          return;
        }
      guint64 hend = h->off + h->len;
      if (hend <= cur)
        {
          link = &h->next;
          continue;
        }
      if (h->off > cur)
        {
          MsReasmSeg *s = seg_new (ctx, r, cur, data + (cur - off), h->off - cur, frame);
          s->next = h;
          *link = s;
          link = &h->next;
        }
      else
        link = &h->next;
      r->retransmitted += MIN (end, hend) - MAX (cur, h->off);
      cur = hend;
    }
}

void
ms_reasm_add_at (MsReasm *r, const MsReasmCtx *ctx, guint64 offset,
                 const guint8 *data, gsize len, guint32 frame)
{
  if (len == 0 || offset > G_MAXUINT64 - len)
    return;
  if (offset + len <= r->next)
    {
      r->retransmitted += len;
      return;
    }
  if (offset < r->next)
    {
      guint64 trim = r->next - offset;
      r->retransmitted += trim;
      data += trim;
      len -= trim;
      offset = r->next;
    }

  if (offset > r->next && offset - r->next > ctx->max_stream_bytes)
    {
      /* The hole is larger than what may ever be held: it cannot fill. */
      while (r->held && r->held->off < offset)
        force_first_hole (r, ctx);
      if (offset > r->next)
        report_gap (r, ctx, offset - r->next);
      if (offset + len <= r->next)
        {
          r->retransmitted += len;
          return;
        }
      if (offset < r->next)
        {
          guint64 trim = r->next - offset;
          r->retransmitted += trim;
          data += trim;
          len -= trim;
          offset = r->next;
        }
    }

  if (offset == r->next)
    {
      r->next = offset + len;
      ctx->sink->data (ctx->user_data, offset, data, len, frame);
      drain (r, ctx);
      return;
    }

  insert_held (r, ctx, offset, data, len, frame);
  settle_acked (r, ctx);
  while (r->held && (r->held_bytes > ctx->max_stream_bytes
                     || *ctx->total_held > ctx->max_total_bytes))
    force_first_hole (r, ctx);
}

void
ms_reasm_add (MsReasm *r, const MsReasmCtx *ctx, guint32 seq,
              const guint8 *data, gsize len, guint32 frame)
{
  gint64 off;

  if (len == 0)
    return;
  off = ms_reasm_offset_of (r, seq);
  if (off < (gint64) r->next - MS_REASM_MAX_BACKWARD)
    off = (gint64) r->next + (guint32) (seq - (r->base_seq + (guint32) r->next));
  if (off < 0)
    {
      if ((guint64) -off >= len)
        {
          r->retransmitted += len;
          return;
        }
      r->retransmitted += (guint64) -off;
      data += -off;
      len -= (gsize) -off;
      off = 0;
    }
  ms_reasm_add_at (r, ctx, (guint64) off, data, len, frame);
}

void
ms_reasm_ack (MsReasm *r, const MsReasmCtx *ctx, guint32 ack)
{
  gint64 off;

  if (!r->started)
    return;
  off = ms_reasm_offset_of (r, ack);
  if (off > 0 && (guint64) off > r->acked)
    r->acked = (guint64) off;
  settle_acked (r, ctx);
}

void
ms_reasm_skip_to (MsReasm *r, const MsReasmCtx *ctx, guint64 offset)
{
  guint64 end = offset;

  if (offset <= r->next)
    return;
  if (r->held && r->held->off < end)
    end = r->held->off;
  if (end > r->next)
    report_gap (r, ctx, end - r->next);
  drain (r, ctx);
}

void
ms_reasm_flush (MsReasm *r, const MsReasmCtx *ctx)
{
  while (r->held)
    force_first_hole (r, ctx);
}

void
ms_reasm_clear (MsReasm *r, const MsReasmCtx *ctx)
{
  while (r->held)
    {
      MsReasmSeg *s = r->held;
      r->held = s->next;
      seg_free (ctx, r, s);
    }
}
