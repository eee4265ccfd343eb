/* ms-pipeline.c - frames in, events out: packet decoding, the TCP flow
 * table and reassembly (RFC 9293), decoder dispatch, DNS over UDP
 * (RFC 1035), and the stamping of every event. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "mailscope/ms-pipeline.h"
#include "mailscope/ms-packet.h"
#include "mailscope/ms-decoder.h"
#include "proto/ms-dns.h"
#include "ms-flow.h"
#include "ms-reasm.h"

/* A full window of out-of-order data on a fast lossy link (window scaling
 * allows several MiB) must fit while one retransmission is awaited. */
#define MS_DEFAULT_MAX_STREAM_BYTES (4u * 1024 * 1024)
/* Bounds a long live capture on a busy host: sixteen such windows. */
#define MS_DEFAULT_MAX_TOTAL_BYTES (64u * 1024 * 1024)
/* Mail sessions seldom exceed a few hundred at once; 10,000 streams of a
 * few KiB of state each stay within tens of MiB. */
#define MS_DEFAULT_MAX_STREAMS 10000
/* IP fragments are rare (large EDNS answers); 4 MiB holds many datagrams. */
#define MS_DEFAULT_MAX_DEFRAG_BYTES (4u * 1024 * 1024)
/* Greetings, CAPA and TLS ClientHello headers all fit in the first bytes;
 * an undecided direction is given up past this. */
#define MS_SNIFF_MAX_BYTES 512
/* Segments remembered while sniffing, so buffered bytes are replayed to the
 * chosen decoder in arrival order. */
#define MS_SNIFF_MAX_CHUNKS 32
/* Delivered segments remembered per direction for first_frame lookups. */
#define MS_FLOW_MARKS 32

struct _MsPipeline {
  MsPipelineOptions opts;
  MsEventFunc func;
  gpointer user_data;
  MsPipelineStats stats;

  MsIpDefrag *defrag;
  MsFlowTable *flows;
  MsFlow *last_flow;     /* consecutive frames mostly share a flow */
  MsDnsPairs *dns_pairs;
  gsize total_held;
  gint64 next_stream;

  guint64 seq;
  gboolean have_first;
  gint64 first_ts;
  guint32 cur_frame;
  gint64 cur_ts;
  gint64 frame_stream;   /* tcp.stream of the frame just fed, or -1 */

  /* DNS over UDP: the datagram being decoded */
  MsEmitter udp_emitter;
  MsAddr udp_src, udp_dst;
};

/* ------------------------------------------------------------------ */
/* Options                                                             */

void
ms_pipeline_options_init (MsPipelineOptions *opts)
{
  memset (opts, 0, sizeof *opts);
  opts->max_stream_bytes = MS_DEFAULT_MAX_STREAM_BYTES;
  opts->max_total_bytes = MS_DEFAULT_MAX_TOTAL_BYTES;
  opts->max_streams = MS_DEFAULT_MAX_STREAMS;
  opts->max_defrag_bytes = MS_DEFAULT_MAX_DEFRAG_BYTES;
}

/* Parses PROTO=PORT; FALSE with a one-line message on bad input. */
gboolean
ms_pipeline_options_add_port (MsPipelineOptions *opts, const char *spec,
                              GError **error)
{
  const char *eq = spec ? strchr (spec, '=') : NULL;
  g_autofree char *name = NULL;
  guint64 port = 0;
  MsProto proto;

  if (eq == NULL || eq == spec || eq[1] == '\0')
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--port expects PROTO=PORT, e.g. imap=1143"));
      return FALSE;
    }
  name = g_ascii_strdown (spec, eq - spec);
  proto = ms_proto_from_name (name);
  if (proto != MS_PROTO_IMAP && proto != MS_PROTO_POP3
      && proto != MS_PROTO_TLS && proto != MS_PROTO_DNS)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--port: unknown protocol “%s” (use imap, pop3, tls or dns)"),
                   name);
      return FALSE;
    }
  if (!g_ascii_string_to_unsigned (eq + 1, 10, 1, 65535, &port, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--port: “%s” is not a port number (1 to 65535)"), eq + 1);
      return FALSE;
    }
  for (guint i = 0; i < opts->n_forced; i++)
    if (opts->forced[i].port == port)
      {
        opts->forced[i].proto = proto;
        return TRUE;
      }
  if (opts->n_forced >= G_N_ELEMENTS (opts->forced))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--port: at most %u ports can be forced"),
                   (guint) G_N_ELEMENTS (opts->forced));
      return FALSE;
    }
  opts->forced[opts->n_forced].port = (guint16) port;
  opts->forced[opts->n_forced].proto = proto;
  opts->n_forced++;
  return TRUE;
}

static MsProto
forced_proto (const MsPipeline *p, guint16 port)
{
  for (guint i = 0; i < p->opts.n_forced; i++)
    if (p->opts.forced[i].port == port)
      return p->opts.forced[i].proto;
  return MS_PROTO_NONE;
}

static gboolean
is_dns_port (const MsPipeline *p, guint16 port)
{
  for (const guint16 *d = ms_dns_ports; *d; d++)
    if (*d == port)
      return TRUE;
  return forced_proto (p, port) == MS_PROTO_DNS;
}

/* The decoder class for a server port (forced first, then the registry),
 * or NULL; sets *inner for implicit TLS. */
static const MsDecoderClass *
class_for_server_port (const MsPipeline *p, guint16 port, MsProto *inner)
{
  MsProto forced = forced_proto (p, port);

  *inner = MS_PROTO_NONE;
  if (forced != MS_PROTO_NONE)
    return ms_decoder_class_for (forced);
  if (port == 0)
    return NULL;
  const MsDecoderClass *k = ms_decoder_class_for_port (port, inner);
  if (k == NULL && is_dns_port (p, port))
    k = ms_decoder_class_for (MS_PROTO_DNS);
  return k;
}

static gboolean
is_server_port (const MsPipeline *p, guint16 port)
{
  MsProto inner;
  return class_for_server_port (p, port, &inner) != NULL;
}

/* ------------------------------------------------------------------ */
/* Stamping                                                            */

/* Common tail of both emitters: sequence, time, DNS pairing, hand-off. */
static void
deliver_event (MsPipeline *p, MsEvent *ev)
{
  ev->seq = ++p->seq;
  ev->time = p->have_first ? (double) (ev->ts_nsec - p->first_ts) / 1e9 : 0.0;
  if (ev->proto == MS_PROTO_DNS && p->dns_pairs)
    ms_dns_pairs_process (p->dns_pairs, ev);
  p->stats.events++;
  if (p->func)
    p->func (ev, p->user_data);
  ms_event_unref (ev);
}

static guint
side_of_dir (const MsFlow *f, MsDir dir)
{
  return dir == MS_DIR_S2C ? (guint) f->server_side : (guint) !f->server_side;
}

static MsDir
dir_of_side (const MsFlow *f, guint side)
{
  return (gint) side == f->server_side ? MS_DIR_S2C : MS_DIR_C2S;
}

/* The frame that carried byte `offset` of a direction, or 0 if forgotten. */
static guint32
frame_of_offset (const MsFlowSide *s, guint64 offset)
{
  for (guint i = 0; i < s->n_marks; i++)
    {
      guint k = (s->mark_head + MS_FLOW_MARKS - 1 - i) % MS_FLOW_MARKS;
      if (s->marks[k].offset <= offset)
        return s->marks[k].frame;
    }
  return 0;
}

static void
flow_emit (MsEmitter *emitter, MsEvent *ev)
{
  MsFlow *f = emitter->user_data;
  MsPipeline *p = f->owner;
  const MsFlowSide *server = &f->side[f->server_side];
  const MsFlowSide *client = &f->side[!f->server_side];

  ev->stream = f->index;
  ev->frame = f->emit_frame;
  ev->ts_nsec = f->emit_ts;
  ev->first_frame = ev->frame;
  ev->client = client->addr;
  ev->server = server->addr;
  if (ev->dir == MS_DIR_C2S || ev->dir == MS_DIR_S2C)
    {
      const MsFlowSide *s = &f->side[side_of_dir (f, ev->dir)];
      ev->src = s->addr;
      ev->dst = f->side[!s->index].addr;
      if (ev->offset != MS_NO_OFFSET && ev->proto != MS_PROTO_TCP)
        {
          guint32 fr = frame_of_offset (s, ev->offset);
          if (fr != 0 && fr <= ev->frame)
            ev->first_frame = fr;
        }
    }
  deliver_event (p, ev);
}

static void
udp_emit (MsEmitter *emitter, MsEvent *ev)
{
  MsPipeline *p = emitter->user_data;

  ev->stream = -1;
  ev->frame = p->cur_frame;
  ev->first_frame = p->cur_frame;
  ev->ts_nsec = p->cur_ts;
  ev->src = p->udp_src;
  ev->dst = p->udp_dst;
  ev->client = ev->dir == MS_DIR_S2C ? p->udp_dst : p->udp_src;
  ev->server = ev->dir == MS_DIR_S2C ? p->udp_src : p->udp_dst;
  deliver_event (p, ev);
}

/* ------------------------------------------------------------------ */
/* TCP events                                                          */

static void
emit_tcp (MsFlow *f, guint side, const char *kind, const char *tcp,
          const char *info, gboolean with_rtt, double rtt)
{
  MsEvent *ev = ms_event_new (MS_PROTO_TCP, dir_of_side (f, side), kind);
  ms_event_add_str (ev, "tcp", tcp);
  if (with_rtt)
    ms_event_add_double (ev, "rtt", rtt);
  ms_event_set_info (ev, info);
  ms_emit (&f->emitter, ev);
}

/* ------------------------------------------------------------------ */
/* Decoder choice                                                      */

/* `at_start`: the first buffered bytes were recognised as the beginning of
 * the protocol, so even a mid-stream capture needs no resynchronising. */
static void
create_decoder (MsFlow *f, const MsDecoderClass *k, MsProto inner,
                gboolean at_start)
{
  MsDecoderConfig config = { 0 };
  config.flags = f->midstream && !at_start ? MS_DECODER_MIDSTREAM : 0;
  config.inner = inner;
  f->decoder = ms_decoder_new (k, &f->emitter, &config);
}

static void
sniff_free (MsFlow *f)
{
  for (guint i = 0; i < 2; i++)
    if (f->side[i].sniff)
      {
        g_byte_array_unref (f->side[i].sniff);
        f->side[i].sniff = NULL;
      }
  g_clear_pointer (&f->chunks, g_free);
  f->n_chunks = 0;
  f->sniffing = FALSE;
}

/* Feeds the buffered first bytes to the new decoder in arrival order,
 * stamping each with the frame that delivered it. */
static void
sniff_replay (MsFlow *f)
{
  gsize pos[2] = { 0, 0 };
  guint32 frame = f->emit_frame;
  gint64 ts = f->emit_ts;

  for (guint i = 0; i < f->n_chunks && f->decoder; i++)
    {
      const MsSniffChunk *c = &f->chunks[i];
      MsFlowSide *s = &f->side[c->side];
      f->emit_frame = c->frame;
      f->emit_ts = c->ts_nsec;
      ms_decoder_feed (f->decoder, dir_of_side (f, c->side),
                       s->sniff_off + pos[c->side],
                       s->sniff->data + pos[c->side], c->len);
      pos[c->side] += c->len;
    }
  f->emit_frame = frame;
  f->emit_ts = ts;
}

/* Asks every class's sniff about the buffered bytes; greetings (S2C) first.
 * Creates the decoder on a YES; with `final` or when nothing can change the
 * answer any more, gives up and leaves the stream without a decoder. */
static void
sniff_decide (MsFlow *f, gboolean final)
{
  guint n_classes;
  const MsDecoderClass *const *classes = ms_decoder_classes (&n_classes);
  gboolean need_more = FALSE, full = FALSE;

  for (guint pass = 0; pass < 2; pass++)
    {
      MsDir dir = pass == 0 ? MS_DIR_S2C : MS_DIR_C2S;
      for (guint side = 0; side < 2; side++)
        {
          GByteArray *b = f->side[side].sniff;
          if (b == NULL || b->len == 0)
            continue;
          if (f->roles_firm && dir_of_side (f, side) != dir)
            continue;
          for (guint i = 0; i < n_classes; i++)
            {
              if (classes[i]->sniff == NULL)
                continue;
              MsSniff r = classes[i]->sniff (dir, b->data, b->len);
              if (r == MS_SNIFF_YES)
                {
                  f->server_side = dir == MS_DIR_S2C ? (gint) side : (gint) !side;
                  f->roles_firm = TRUE;
                  create_decoder (f, classes[i], MS_PROTO_NONE, TRUE);
                  sniff_replay (f);
                  sniff_free (f);
                  return;
                }
              if (r == MS_SNIFF_NEED_MORE)
                need_more = TRUE;
            }
        }
    }

  for (guint side = 0; side < 2; side++)
    if (f->side[side].sniff && f->side[side].sniff->len >= MS_SNIFF_MAX_BYTES)
      full = TRUE;
  if (final || full || f->n_chunks >= MS_SNIFF_MAX_CHUNKS
      || (!need_more && f->side[0].sniff && f->side[1].sniff))
    sniff_free (f);
}

/* ------------------------------------------------------------------ */
/* Reassembly sinks                                                    */

static void
on_data (gpointer user_data, guint64 offset, const guint8 *data, gsize len,
         guint32 frame)
{
  MsFlowSide *s = user_data;
  MsFlow *f = s->flow;

  if (s->marks == NULL)
    s->marks = g_new (MsFrameMark, MS_FLOW_MARKS);
  s->marks[s->mark_head].offset = offset;
  s->marks[s->mark_head].frame = frame;
  s->mark_head = (s->mark_head + 1) % MS_FLOW_MARKS;
  if (s->n_marks < MS_FLOW_MARKS)
    s->n_marks++;

  if (f->decoder)
    {
      ms_decoder_feed (f->decoder, dir_of_side (f, s->index), offset, data, len);
      return;
    }
  if (!f->sniffing)
    return;

  if (s->sniff == NULL)
    {
      s->sniff = g_byte_array_sized_new (MIN (len, MS_SNIFF_MAX_BYTES));
      s->sniff_off = offset;
    }
  g_byte_array_append (s->sniff, data, (guint) len);
  if (f->chunks == NULL)
    f->chunks = g_new (MsSniffChunk, MS_SNIFF_MAX_CHUNKS);
  f->chunks[f->n_chunks].side = s->index;
  f->chunks[f->n_chunks].len = (guint32) len;
  /* Replayed events complete in the frame that delivered these bytes. */
  f->chunks[f->n_chunks].frame = f->emit_frame;
  f->chunks[f->n_chunks].ts_nsec = f->emit_ts;
  f->n_chunks++;
  sniff_decide (f, FALSE);
}

static void
on_gap (gpointer user_data, guint64 offset, guint64 missing)
{
  MsFlowSide *s = user_data;
  MsFlow *f = s->flow;
  MsPipeline *p = f->owner;
  MsDir dir = dir_of_side (f, s->index);
  MsEvent *ev;

  p->stats.missing_bytes += missing;

  ev = ms_event_new (MS_PROTO_TCP, dir, "gap");
  ev->flags |= MS_EVENT_GAP;
  ms_event_set_range (ev, offset, 0);
  ms_event_add_int (ev, "missing", (gint64) missing);
  ms_event_set_infof (ev, "[%" G_GUINT64_FORMAT " bytes missing]", missing);
  ms_emit (&f->emitter, ev);

  /* Bytes buffered for sniffing cannot straddle a gap: decide now. */
  if (f->sniffing && s->sniff && s->sniff->len > 0)
    sniff_decide (f, TRUE);
  if (f->decoder)
    ms_decoder_gap (f->decoder, dir, offset, missing);
}

static const MsReasmSink reasm_sink = { on_data, on_gap };

static void
reasm_ctx (MsPipeline *p, MsFlowSide *s, MsReasmCtx *ctx)
{
  ctx->sink = &reasm_sink;
  ctx->user_data = s;
  ctx->max_stream_bytes = p->opts.max_stream_bytes;
  ctx->max_total_bytes = p->opts.max_total_bytes;
  ctx->total_held = &p->total_held;
}

/* ------------------------------------------------------------------ */
/* Flow lifetime                                                       */

/* Chooses roles for a flow whose first packet went src → dst, and a
 * decoder when the server port names one. */
static void
flow_setup (MsPipeline *p, MsFlow *f, guint src_side, guint8 flags)
{
  guint dst_side = !src_side;
  guint16 sport = f->side[src_side].addr.port;
  guint16 dport = f->side[dst_side].addr.port;
  MsProto inner;
  const MsDecoderClass *k;

  if ((flags & (MS_TCP_SYN | MS_TCP_ACK)) == MS_TCP_SYN)
    {
      f->server_side = dst_side;
      f->roles_firm = TRUE;
    }
  else if (flags & MS_TCP_SYN)
    {
      f->server_side = src_side;
      f->roles_firm = TRUE;
    }
  else
    {
      gboolean s_known = is_server_port (p, sport);
      gboolean d_known = is_server_port (p, dport);
      f->midstream = TRUE;
      if (s_known != d_known)
        {
          f->server_side = s_known ? src_side : dst_side;
          f->roles_firm = TRUE;
        }
      else
        {
          /* A guess until the content says otherwise. */
          f->server_side = sport < dport ? src_side : dst_side;
          f->roles_firm = s_known;
        }
    }

  k = class_for_server_port (p, f->side[f->server_side].addr.port, &inner);
  if (k)
    create_decoder (f, k, inner, FALSE);
  else
    f->sniffing = TRUE;
}

static MsFlow *
flow_new (MsPipeline *p, const MsFlowKey *key, const MsAddr *src,
          const MsAddr *dst, guint src_side)
{
  MsFlow *f = g_new0 (MsFlow, 1);

  f->key = *key;
  f->owner = p;
  f->emitter.emit = flow_emit;
  f->emitter.user_data = f;
  f->index = p->next_stream++;
  for (guint i = 0; i < 2; i++)
    {
      f->side[i].flow = f;
      f->side[i].index = i;
      ms_reasm_init (&f->side[i].reasm);
    }
  f->side[src_side].addr = *src;
  f->side[!src_side].addr = *dst;
  p->stats.streams++;
  return f;
}

static void
flow_flush (MsPipeline *p, MsFlow *f, guint side)
{
  MsReasmCtx ctx;
  MsFlowSide *s = &f->side[side];
  guint64 before = s->reasm.retransmitted;

  reasm_ctx (p, s, &ctx);
  ms_reasm_flush (&s->reasm, &ctx);
  p->stats.retransmitted_bytes += s->reasm.retransmitted - before;
}

/* Ends the stream's decoding: held bytes become gaps, an undecided stream
 * gets its last chance at a decoder, the decoder finishes. */
static void
flow_finish (MsPipeline *p, MsFlow *f)
{
  if (f->done)
    return;
  for (guint i = 0; i < 2; i++)
    {
      MsFlowSide *s = &f->side[i];
      flow_flush (p, f, i);
      if (s->fin && s->reasm.next < s->fin_off)
        {
          /* Bytes before the FIN that never came. */
          MsReasmCtx ctx;
          reasm_ctx (p, s, &ctx);
          ms_reasm_skip_to (&s->reasm, &ctx, s->fin_off);
        }
    }
  if (f->sniffing)
    sniff_decide (f, TRUE);
  if (f->decoder)
    {
      ms_decoder_finish (f->decoder);
      g_clear_pointer (&f->decoder, ms_decoder_free);
    }
  f->done = TRUE;
}

/* Finishes (stamping with the stream's last frame), unlinks and frees. */
static void
flow_retire (MsPipeline *p, MsFlow *f)
{
  MsReasmCtx ctx;

  f->emit_frame = f->last_frame;
  f->emit_ts = f->last_ts;
  flow_finish (p, f);
  ms_flow_table_remove (p->flows, f);
  if (p->last_flow == f)
    p->last_flow = NULL;
  for (guint i = 0; i < 2; i++)
    {
      reasm_ctx (p, &f->side[i], &ctx);
      ms_reasm_clear (&f->side[i].reasm, &ctx);
      g_free (f->side[i].marks);
    }
  sniff_free (f);
  g_free (f);
}

/* ------------------------------------------------------------------ */
/* Per packet                                                          */

static gboolean
has_layer (const MsPacket *pkt, MsLayerType type)
{
  for (guint i = 0; i < pkt->n_layers; i++)
    if (pkt->layers[i].type == type)
      return TRUE;
  return FALSE;
}

static void
handle_tcp (MsPipeline *p, const MsPacket *pkt, guint32 frame, gint64 ts)
{
  MsFlowKey key;
  guint si = ms_flow_key_init (&key, &pkt->src, &pkt->dst);
  MsFlow *f = p->last_flow;
  guint8 fl = pkt->tcp_flags;
  gboolean syn_only = (fl & (MS_TCP_SYN | MS_TCP_ACK)) == MS_TCP_SYN;
  MsFlowSide *s, *o;
  MsReasmCtx ctx;

  if (f == NULL || memcmp (&f->key, &key, sizeof key) != 0)
    f = ms_flow_table_lookup (p->flows, &key);

  /* Port reuse, as Wireshark (4.0) decides it: a SYN whose sequence number
   * differs from the first one seen from that side starts a new stream.
   * After FIN or RST nearly every new connection has a new ISN; a SYN that
   * repeats the old one stays in the old stream, as in tshark. */
  if (f && syn_only && f->side[si].ws_base_set
      && pkt->seq != f->side[si].ws_base)
    {
      flow_retire (p, f);
      f = NULL;
    }
  if (f == NULL)
    {
      while (ms_flow_table_size (p->flows) >= MAX (p->opts.max_streams, 1))
        {
          flow_retire (p, ms_flow_table_victim (p->flows));
          p->stats.streams_evicted++;
        }
      f = flow_new (p, &key, &pkt->src, &pkt->dst, si);
      f->emit_frame = frame;
      f->emit_ts = ts;
      ms_flow_table_insert (p->flows, f);
      flow_setup (p, f, si, fl);
    }
  else
    ms_flow_table_touch (p->flows, f);
  p->last_flow = f;
  p->frame_stream = f->index;

  f->last_frame = f->emit_frame = frame;
  f->last_ts = f->emit_ts = ts;
  s = &f->side[si];
  o = &f->side[!si];

  if (!s->ws_base_set)
    {
      s->ws_base_set = TRUE;
      s->ws_base = (fl & MS_TCP_SYN) ? pkt->seq : pkt->seq - 1;
    }

  /* Handshake. */
  guint32 data_seq = pkt->seq;
  if (fl & MS_TCP_SYN)
    {
      data_seq = pkt->seq + 1;
      if (!s->syn)
        {
          s->syn = TRUE;
          if (!s->reasm.started)
            ms_reasm_start (&s->reasm, data_seq);
        }
      if ((fl & MS_TCP_ACK) && !o->reasm.started)
        ms_reasm_start (&o->reasm, pkt->ack);
      if (syn_only && !f->ev_syn)
        {
          f->ev_syn = TRUE;
          f->syn_ts = ts;
          emit_tcp (f, si, "handshake", "SYN", "[SYN]", FALSE, 0);
        }
      else if (!syn_only && !f->ev_synack)
        {
          f->ev_synack = TRUE;
          emit_tcp (f, si, "handshake", "SYN-ACK", "[SYN, ACK]", f->ev_syn,
                    (double) (ts - f->syn_ts) / 1e9);
        }
    }
  else if (!s->reasm.started)
    ms_reasm_start (&s->reasm, pkt->seq);

  if ((fl & (MS_TCP_SYN | MS_TCP_FIN | MS_TCP_RST | MS_TCP_ACK)) == MS_TCP_ACK
      && f->ev_synack && !f->ev_ack && (gint) si != f->server_side)
    {
      f->ev_ack = TRUE;
      emit_tcp (f, si, "handshake", "ACK", "[ACK]", f->ev_syn,
                (double) (ts - f->syn_ts) / 1e9);
    }

  /* What the peer acknowledged tells which of its holes will not fill. */
  if ((fl & MS_TCP_ACK) && o->reasm.started && !f->done)
    {
      guint64 before = o->reasm.retransmitted;
      reasm_ctx (p, o, &ctx);
      ms_reasm_ack (&o->reasm, &ctx, pkt->ack);
      p->stats.retransmitted_bytes += o->reasm.retransmitted - before;
    }

  /* Payload. */
  gint64 data_off = ms_reasm_offset_of (&s->reasm, data_seq);
  if (!f->done && (pkt->payload_len > 0 || pkt->payload_wire_len > 0))
    {
      guint64 before = s->reasm.retransmitted;
      reasm_ctx (p, s, &ctx);
      ms_reasm_add (&s->reasm, &ctx, data_seq, pkt->payload, pkt->payload_len, frame);
      if (pkt->payload_wire_len > pkt->payload_len && data_off >= 0)
        ms_reasm_skip_to (&s->reasm, &ctx, (guint64) data_off + pkt->payload_wire_len);
      p->stats.retransmitted_bytes += s->reasm.retransmitted - before;
    }

  /* Close. */
  if ((fl & MS_TCP_FIN) && !s->fin)
    {
      s->fin = TRUE;
      s->fin_off = data_off >= 0 ? (guint64) data_off + pkt->payload_wire_len : 0;
      if (!f->done)
        flow_flush (p, f, si);
      emit_tcp (f, si, "close", "FIN", "[FIN]", FALSE, 0);
    }
  if ((fl & MS_TCP_RST) && !s->rst)
    {
      s->rst = TRUE;
      emit_tcp (f, si, "close", "RST", "[RST]", FALSE, 0);
    }
  /* Finish early only when nothing more can come: after a RST, or after
   * both FINs once every byte before them was delivered (a late segment
   * may still fill a hole before a FIN). */
  if (s->rst || o->rst
      || (s->fin && o->fin && s->reasm.next >= s->fin_off
          && o->reasm.next >= o->fin_off))
    flow_finish (p, f);
  if ((s->fin && o->fin) || s->rst || o->rst)
    ms_flow_table_set_closed (p->flows, f);
}

static void
handle_udp (MsPipeline *p, const MsPacket *pkt)
{
  gboolean dns = is_dns_port (p, pkt->src.port) || is_dns_port (p, pkt->dst.port);

  if (!dns && pkt->payload_len > 0)
    dns = ms_dns_sniff_datagram (pkt->payload, pkt->payload_len);
  if (!dns)
    return;
  p->udp_src = pkt->src;
  p->udp_dst = pkt->dst;
  ms_dns_decode_message (&p->udp_emitter, 0, pkt->payload, pkt->payload_len,
                         pkt->payload_len < pkt->payload_wire_len);
}

/* ------------------------------------------------------------------ */
/* Public API                                                          */

MsPipeline *
ms_pipeline_new (const MsPipelineOptions *opts, MsEventFunc func,
                 gpointer user_data)
{
  MsPipeline *p = g_new0 (MsPipeline, 1);

  if (opts)
    p->opts = *opts;
  else
    ms_pipeline_options_init (&p->opts);
  p->func = func;
  p->user_data = user_data;
  p->defrag = ms_ip_defrag_new (p->opts.max_defrag_bytes);
  p->flows = ms_flow_table_new ();
  p->dns_pairs = ms_dns_pairs_new ();
  p->udp_emitter.emit = udp_emit;
  p->udp_emitter.user_data = p;
  return p;
}

void
ms_pipeline_feed (MsPipeline *p, const MsFrame *frame)
{
  MsPacket pkt;

  if (!p->have_first)
    {
      p->have_first = TRUE;
      p->first_ts = frame->ts_nsec;
    }
  p->cur_frame = frame->number;
  p->cur_ts = frame->ts_nsec;
  p->frame_stream = -1;
  p->stats.frames++;
  p->stats.bytes += frame->len;

  ms_packet_decode (frame, p->defrag, &pkt);
  if (pkt.flags & MS_PACKET_TRUNCATED)
    p->stats.truncated_frames++;
  if (pkt.flags & MS_PACKET_MALFORMED)
    p->stats.malformed_frames++;

  if (pkt.ip_proto == 6 && has_layer (&pkt, MS_LAYER_TCP))
    handle_tcp (p, &pkt, frame->number, frame->ts_nsec);
  else if (pkt.ip_proto == 17 && has_layer (&pkt, MS_LAYER_UDP))
    handle_udp (p, &pkt);
  else if ((pkt.flags & MS_PACKET_BAD_LINK)
           || (pkt.ip_version != 0 && !(pkt.flags & MS_PACKET_FRAGMENT)
               && pkt.ip_proto != 6 && pkt.ip_proto != 17))
    p->stats.undecodable_frames++;
  ms_packet_clear (&pkt);
}

void
ms_pipeline_finish (MsPipeline *p)
{
  GPtrArray *all = ms_flow_table_list (p->flows);

  for (guint i = 0; i < all->len; i++)
    flow_retire (p, g_ptr_array_index (all, i));
  g_ptr_array_unref (all);
}

gint64
ms_pipeline_frame_stream (MsPipeline *p)
{
  return p->frame_stream;
}

const MsPipelineStats *
ms_pipeline_stats (MsPipeline *p)
{
  return &p->stats;
}

void
ms_pipeline_free (MsPipeline *p)
{
  GPtrArray *all;

  if (p == NULL)
    return;
  /* Without finish: drop the streams without emitting anything. */
  p->func = NULL;
  all = ms_flow_table_list (p->flows);
  for (guint i = 0; i < all->len; i++)
    flow_retire (p, g_ptr_array_index (all, i));
  g_ptr_array_unref (all);
  ms_flow_table_free (p->flows);
  ms_dns_pairs_free (p->dns_pairs);
  ms_ip_defrag_free (p->defrag);
  g_free (p);
}
