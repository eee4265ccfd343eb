/* ms-dns-tcp.c - DNS over TCP (RFC 1035 4.2.2, RFC 7766): the stream
 * decoder that cuts length-prefixed messages out of each direction,
 * resynchronises after gaps, and hands each message to ms-dns.c. */
#include "config.h"

#include <string.h>

#include "ms-dns-private.h"

/* --- tables -------------------------------------------------------------- */

static const guint16 dns_tcp_ports[] = { 53, 10053, 0 };

/* --- DNS over TCP -------------------------------------------------------- */

/* After a gap, bytes looked at before trusting them as a new message: a
 * length prefix and a header, what the sniffer needs to judge. */
#define MS_DNS_TCP_PROBE_LEN (2 + MS_DNS_HEADER_LEN)

typedef struct {
  guint8 prefix[2];
  guint prefix_have;   /* 0..2 bytes of the length prefix read */
  guint8 *msg;         /* message being collected, NULL between messages */
  gsize need, have;
  guint64 msg_offset;  /* stream offset of the message's first byte */
  guint64 skip;        /* rest of a message a gap cut, still to arrive */
  gboolean gap_next;   /* flag the next message GAP */
  gboolean probing;    /* after a gap that lost the framing: collecting probe */
  guint8 probe[MS_DNS_TCP_PROBE_LEN];
  guint probe_have;
  guint64 probe_offset;
  gboolean lost;       /* framing lost for good; the direction is ignored */
} DnsTcpDir;

typedef struct {
  MsDecoder parent;
  DnsTcpDir d[2];
} MsDnsTcpDecoder;

static MsSniff dns_tcp_sniff (MsDir dir, const guint8 *data, gsize len);

/* Emits the message collected in d (possibly partial) and resets d. */
static void
tcp_emit (MsDnsTcpDecoder *self, MsDir dir, gboolean truncated, guint extra_flags)
{
  DnsTcpDir *d = &self->d[dir];
  static const guint8 empty[1] = { 0 };
  MsEvent *ev = ms_dns_build_event (d->msg_offset, d->msg ? d->msg : empty, d->have,
                                    truncated);
  ev->dir = dir;  /* the stream's direction is the fact; QR is a claim */
  ev->flags |= extra_flags;
  if (d->gap_next)
    ev->flags |= MS_EVENT_GAP;
  d->gap_next = FALSE;
  g_clear_pointer (&d->msg, g_free);
  d->need = d->have = 0;
  d->prefix_have = 0;
  ms_emit (self->parent.emitter, ev);
}

static void dns_tcp_feed (MsDecoder *dec, MsDir dir, guint64 offset,
                          const guint8 *data, gsize len);

/* Takes probe bytes; once there are enough, either resumes framing at the
 * probe (replaying it) or gives the direction up. Returns bytes used. */
static gsize
tcp_probe (MsDnsTcpDecoder *self, MsDir dir, const guint8 *data, gsize len)
{
  DnsTcpDir *d = &self->d[dir];
  gsize n = MIN (len, (gsize) (MS_DNS_TCP_PROBE_LEN - d->probe_have));
  memcpy (d->probe + d->probe_have, data, n);
  d->probe_have += (guint) n;
  if (d->probe_have < MS_DNS_TCP_PROBE_LEN)
    return n;
  d->probing = FALSE;
  if (dns_tcp_sniff (dir, d->probe, MS_DNS_TCP_PROBE_LEN) != MS_SNIFF_YES)
    {
      d->lost = TRUE;
      return n;
    }
  guint8 replay[MS_DNS_TCP_PROBE_LEN];
  memcpy (replay, d->probe, sizeof replay);
  dns_tcp_feed (&self->parent, dir, d->probe_offset, replay, sizeof replay);
  return n;
}

static void
dns_tcp_feed (MsDecoder *dec, MsDir dir, guint64 offset, const guint8 *data, gsize len)
{
  MsDnsTcpDecoder *self = (MsDnsTcpDecoder *) dec;
  if (dir != MS_DIR_C2S && dir != MS_DIR_S2C)
    return;
  DnsTcpDir *d = &self->d[dir];
  gsize i = 0;

  while (i < len && !d->lost)
    {
      if (d->probing)
        {
          i += tcp_probe (self, dir, data + i, len - i);
          continue;
        }
      if (d->skip > 0)
        {
          gsize n = MIN ((guint64) (len - i), d->skip);
          d->skip -= n;
          i += n;
          continue;
        }
      if (d->prefix_have < 2)
        {
          d->prefix[d->prefix_have++] = data[i++];
          if (d->prefix_have < 2)
            continue;
          d->need = ((gsize) d->prefix[0] << 8) | d->prefix[1];
          d->have = 0;
          d->msg_offset = offset + i;
          d->msg = g_malloc (d->need ? d->need : 1);
          if (d->need == 0)
            tcp_emit (self, dir, FALSE, 0);
          continue;
        }
      gsize n = MIN (len - i, d->need - d->have);
      memcpy (d->msg + d->have, data + i, n);
      d->have += n;
      i += n;
      if (d->have == d->need)
        tcp_emit (self, dir, FALSE, 0);
    }
}

/* Starts looking for a message at `offset`, right after a gap. */
static void
tcp_start_probe (DnsTcpDir *d, guint64 offset)
{
  d->probing = TRUE;
  d->probe_have = 0;
  d->probe_offset = offset;
  d->skip = 0;
  d->prefix_have = 0;
  d->gap_next = TRUE;
}

/* A gap inside a message costs that message (emitted with what arrived)
 * and framing resumes after it. A gap that swallows a length prefix loses
 * the framing: DNS over TCP has no marker to resynchronise on, so the
 * bytes right after the gap are tried as a message start (segments
 * usually begin with one), and if they do not look like one the direction
 * is given up. */
static void
dns_tcp_gap (MsDecoder *dec, MsDir dir, guint64 offset, guint64 missing)
{
  MsDnsTcpDecoder *self = (MsDnsTcpDecoder *) dec;
  if ((dir != MS_DIR_C2S && dir != MS_DIR_S2C) || missing == 0)
    return;
  DnsTcpDir *d = &self->d[dir];
  if (d->lost)
    return;
  if (d->probing)
    {
      tcp_start_probe (d, offset + missing);
      return;
    }
  if (d->skip > 0)
    {
      if (missing <= d->skip)
        d->skip -= missing;
      else
        tcp_start_probe (d, offset + missing);
      return;
    }
  if (d->prefix_have < 2)
    {
      tcp_start_probe (d, offset + missing);
      return;
    }
  guint64 rest = d->need - d->have;
  tcp_emit (self, dir, TRUE, MS_EVENT_GAP);
  if (missing <= rest)
    d->skip = rest - missing;
  else
    tcp_start_probe (d, offset + missing);
}

static void
dns_tcp_finish (MsDecoder *dec)
{
  MsDnsTcpDecoder *self = (MsDnsTcpDecoder *) dec;
  for (guint dir = 0; dir < 2; dir++)
    {
      DnsTcpDir *d = &self->d[dir];
      if (!d->lost && !d->probing && d->skip == 0 && d->prefix_have > 0)
        tcp_emit (self, (MsDir) dir, TRUE, 0);
    }
}

static void
dns_tcp_destroy (MsDecoder *dec)
{
  MsDnsTcpDecoder *self = (MsDnsTcpDecoder *) dec;
  g_free (self->d[0].msg);
  g_free (self->d[1].msg);
  g_free (self);
}

static MsDecoder *
dns_tcp_create (MsEmitter *emitter, const MsDecoderConfig *config)
{
  MsDnsTcpDecoder *self = g_new0 (MsDnsTcpDecoder, 1);
  self->parent.klass = &ms_dns_tcp_decoder_class;
  self->parent.emitter = emitter;
  return &self->parent;
}

/* YES only when a length prefix of a plausible size is followed by a
 * plausible header; other protocols' first bytes rarely pass all checks. */
static MsSniff
dns_tcp_sniff (MsDir dir, const guint8 *data, gsize len)
{
  if (len < 2 + MS_DNS_HEADER_LEN)
    return MS_SNIFF_NEED_MORE;
  MsCursor c;
  ms_cursor_init (&c, data, len);
  gsize msg_len = ms_cursor_be16 (&c);
  if (msg_len < MS_DNS_HEADER_LEN + 5)
    return MS_SNIFF_NO;
  const guint8 *header = ms_cursor_bytes (&c, MS_DNS_HEADER_LEN);
  return header && ms_dns_sniff_header (header, msg_len) ? MS_SNIFF_YES : MS_SNIFF_NO;
}

const MsDecoderClass ms_dns_tcp_decoder_class = {
  .proto = MS_PROTO_DNS,
  .name = "dns",
  .ports = dns_tcp_ports,
  .sniff = dns_tcp_sniff,
  .create = dns_tcp_create,
  .feed = dns_tcp_feed,
  .gap = dns_tcp_gap,
  .finish = dns_tcp_finish,
  .destroy = dns_tcp_destroy,
};
