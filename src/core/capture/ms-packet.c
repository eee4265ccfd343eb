/* ms-packet.c - link (Ethernet/802.1Q/802.1ad, Linux SLL/SLL2, BSD loopback,
 * raw IP), IPv4 (RFC 791), IPv6 (RFC 8200), UDP (RFC 768) and TCP (RFC 9293)
 * decoding of one frame. Runs on every frame: no allocation, no formatting. */
#include "config.h"

#include <string.h>

#include "mailscope/ms-cursor.h"
#include "mailscope/ms-packet.h"
#include "ms-ipfrag-private.h"

/* VLAN tags read in a row: 802.1ad outer + 802.1Q inner, plus one more for
 * triple tagging; beyond that the frame is noise and layers would overflow. */
#define MS_PACKET_MAX_VLAN 3
/* IPv6 extension headers followed: RFC 8200 allows each type about once, so
 * a longer chain is hostile; it also keeps the layer array from overflowing. */
#define MS_PACKET_MAX_IPV6_EXT 6

#define MS_ETHERTYPE_IPV4  0x0800
#define MS_ETHERTYPE_IPV6  0x86dd
#define MS_ETHERTYPE_8021Q 0x8100
#define MS_ETHERTYPE_8021AD 0x88a8
#define MS_ETHERTYPE_QINQ_OLD 0x9100

#define MS_IPPROTO_HOPOPTS 0
#define MS_IPPROTO_TCP 6
#define MS_IPPROTO_UDP 17
#define MS_IPPROTO_ROUTING 43
#define MS_IPPROTO_FRAGMENT 44
#define MS_IPPROTO_ESP 50
#define MS_IPPROTO_AH 51
#define MS_IPPROTO_NONE 59
#define MS_IPPROTO_DSTOPTS 60
#define MS_IPPROTO_MOBILITY 135
#define MS_IPPROTO_HIP 139
#define MS_IPPROTO_SHIM6 140

/* Offset of a layer inside the frame, or G_MAXUINT32 for reassembled bytes. */
#define MS_OFF(base, x) ((base) == G_MAXUINT32 ? G_MAXUINT32 : (base) + (x))

static inline void
ms_add_layer (MsPacket *pkt, MsLayerType type, guint32 offset, guint32 length)
{
  if (pkt->n_layers < MS_PACKET_MAX_LAYERS)
    {
      MsLayer *l = &pkt->layers[pkt->n_layers++];
      l->type = type;
      l->offset = offset;
      l->length = length;
    }
}

/* ----------------------------------------------------------------- link */

/* Maps an ethertype to an IP version, or 0. */
static inline int
ms_ethertype_version (guint16 type)
{
  switch (type)
    {
    case MS_ETHERTYPE_IPV4:
      return 4;
    case MS_ETHERTYPE_IPV6:
      return 6;
    default:
      return 0;
    }
}

/* Maps a BSD address family to an IP version, or 0. The value differs between
 * BSDs for IPv6 (24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS). */
static inline int
ms_family_version (guint32 family)
{
  switch (family)
    {
    case 2:
      return 4;
    case 24:
    case 28:
    case 30:
      return 6;
    default:
      return 0;
    }
}

/* Reads the link header(s) and leaves `c` at the network header. Returns the
 * IP version (4 or 6), or 0 when there is no IP to decode (flags say why). */
static int
ms_decode_link (const MsFrame *f, MsPacket *pkt, MsCursor *c)
{
  guint16 type = 0;
  int version;

  switch (f->linktype)
    {
    case MS_LINK_ETHERNET:
      {
        guint n_vlan = 0;

        ms_add_layer (pkt, MS_LAYER_ETHERNET, 0, 14);
        ms_cursor_skip (c, 12);
        type = ms_cursor_be16 (c);
        while (!c->failed && (type == MS_ETHERTYPE_8021Q || type == MS_ETHERTYPE_8021AD
                              || type == MS_ETHERTYPE_QINQ_OLD))
          {
            guint32 off = (guint32) c->pos;
            if (n_vlan++ == MS_PACKET_MAX_VLAN)
              {
                pkt->flags |= MS_PACKET_MALFORMED;
                return 0;
              }
            ms_add_layer (pkt, MS_LAYER_VLAN, off, 4);
            ms_cursor_skip (c, 2);  /* priority, DEI, VLAN id */
            type = ms_cursor_be16 (c);
          }
        break;
      }
    case MS_LINK_LINUX_SLL:
      ms_add_layer (pkt, MS_LAYER_SLL, 0, 16);
      ms_cursor_skip (c, 14);  /* packet type, ARPHRD, address length, address */
      type = ms_cursor_be16 (c);
      break;
    case MS_LINK_LINUX_SLL2:
      ms_add_layer (pkt, MS_LAYER_SLL2, 0, 20);
      type = ms_cursor_be16 (c);
      ms_cursor_skip (c, 18);  /* reserved, ifindex, ARPHRD, type, address */
      break;
    case MS_LINK_NULL:
    case MS_LINK_LOOP:
      {
        /* The family is in the capturing host's byte order for NULL, and in
         * network order for LOOP, but writers get both wrong; the family is
         * small, so the zero half tells the order. */
        guint32 fam;
        const guint8 *b;

        ms_add_layer (pkt, MS_LAYER_NULL, 0, 4);
        b = ms_cursor_bytes (c, 4);
        if (b == NULL)
          break;
        if (b[0] == 0 && b[1] == 0)
          fam = ((guint32) b[2] << 8) | b[3];
        else
          fam = ((guint32) b[1] << 8) | b[0];
        version = ms_family_version (fam);
        if (version == 0)
          pkt->flags |= MS_PACKET_BAD_LINK;
        return version;
      }
    case MS_LINK_RAW:
    case 12:
    case 14:
      {
        /* The version nibble picks the header; the cursor stays put. */
        MsCursor peek = *c;
        version = ms_cursor_u8 (&peek) >> 4;
        if (peek.failed)
          {
            c->failed = TRUE;
            break;
          }
        if (version != 4 && version != 6)
          {
            pkt->flags |= MS_PACKET_BAD_LINK;
            return 0;
          }
        return version;
      }
    case MS_LINK_IPV4:
      return 4;
    case MS_LINK_IPV6:
      return 6;
    default:
      pkt->flags |= MS_PACKET_BAD_LINK;
      return 0;
    }

  if (c->failed)
    {
      pkt->flags |= MS_PACKET_TRUNCATED;
      return 0;
    }
  version = ms_ethertype_version (type);
  if (version == 0)
    pkt->flags |= MS_PACKET_BAD_LINK;
  return version;
}

/* ------------------------------------------------------------ transport */

/* Points the payload at bytes [start, wire_end) of `data`, of which the first
 * `cap` are captured; `base` is the offset of `data` in the frame. */
static void
ms_set_payload (MsPacket *pkt, const guint8 *data, guint32 cap, guint32 start,
                guint32 wire_end, guint32 base)
{
  gboolean short_read = TRUE;
  MsCursor c, p;

  if (wire_end <= start)
    return;
  ms_cursor_init (&c, data, cap);
  if (ms_cursor_skip (&c, start))
    {
      p = ms_cursor_sub (&c, wire_end - start, &short_read);
      pkt->payload_len = (guint32) p.size;
      pkt->payload = p.size > 0 ? p.base : NULL;
    }
  pkt->payload_wire_len = wire_end - start;
  pkt->payload_offset = MS_OFF (base, start);
  if (short_read)
    pkt->flags |= MS_PACKET_TRUNCATED;
  /* A layer starts within the captured bytes; a payload wholly past the
   * snaplen is only counted in payload_wire_len. */
  if (!c.failed)
    ms_add_layer (pkt, MS_LAYER_PAYLOAD, pkt->payload_offset, pkt->payload_wire_len);
}

/* Decodes a UDP or TCP header and payload from `data`: `cap` bytes captured
 * out of the `wire` bytes the IP layer claims. `base` is the offset of `data`
 * in the frame (G_MAXUINT32 when it is a reassembled buffer). The transport
 * layer is recorded only once its fixed header was read and is coherent, so
 * its presence means ports (and TCP sequence numbers) are real. */
static void
ms_decode_transport (MsPacket *pkt, const guint8 *data, guint32 cap, guint32 wire,
                     guint32 base)
{
  MsCursor c;

  ms_cursor_init (&c, data, cap);
  switch (pkt->ip_proto)
    {
    case MS_IPPROTO_UDP:
      {
        guint16 sport, dport, ulen;

        if (wire < 8)
          {
            pkt->flags |= MS_PACKET_MALFORMED;
            return;
          }
        sport = ms_cursor_be16 (&c);
        dport = ms_cursor_be16 (&c);
        ulen = ms_cursor_be16 (&c);
        ms_cursor_skip (&c, 2);  /* checksum */
        if (c.failed)
          {
            pkt->flags |= MS_PACKET_TRUNCATED;
            return;
          }
        pkt->src.port = sport;
        pkt->dst.port = dport;
        ms_add_layer (pkt, MS_LAYER_UDP, MS_OFF (base, 0), 8);
        if (ulen == 0 && pkt->ip_version == 6)
          ulen = (guint16) MIN (wire, G_MAXUINT16);  /* RFC 2675 jumbogram */
        if (ulen < 8)
          {
            pkt->flags |= MS_PACKET_MALFORMED;
            return;
          }
        if (ulen > wire)
          pkt->flags |= MS_PACKET_MALFORMED;
        ms_set_payload (pkt, data, cap, 8, MIN (ulen, wire), base);
        return;
      }
    case MS_IPPROTO_TCP:
      {
        guint16 sport, dport, window;
        guint32 seq, ack, hl;
        guint8 flags;

        if (wire < 20)
          {
            pkt->flags |= MS_PACKET_MALFORMED;
            return;
          }
        sport = ms_cursor_be16 (&c);
        dport = ms_cursor_be16 (&c);
        seq = ms_cursor_be32 (&c);
        ack = ms_cursor_be32 (&c);
        hl = (guint32) (ms_cursor_u8 (&c) >> 4) * 4;
        flags = ms_cursor_u8 (&c);
        window = ms_cursor_be16 (&c);
        ms_cursor_skip (&c, 4);  /* checksum, urgent pointer */
        if (c.failed)
          {
            pkt->flags |= MS_PACKET_TRUNCATED;
            return;
          }
        if (hl < 20 || hl > wire)
          {
            pkt->flags |= MS_PACKET_MALFORMED;
            return;
          }
        pkt->src.port = sport;
        pkt->dst.port = dport;
        pkt->seq = seq;
        pkt->ack = ack;
        pkt->tcp_flags = flags;
        pkt->window = window;
        ms_add_layer (pkt, MS_LAYER_TCP, MS_OFF (base, 0), hl);
        /* Options cut by the snaplen still leave the payload's wire length
         * known, which the stream reassembly needs to account for the gap. */
        ms_set_payload (pkt, data, cap, hl, wire, base);
        return;
      }
    default:
      return;
    }
}

/* Hands a fragment to the defragmenter; on completion decodes the datagram. */
static void
ms_decode_fragment (MsPacket *pkt, MsIpDefrag *defrag, guint32 id, guint32 offset,
                    gboolean more, const guint8 *data, guint32 cap, guint32 wire)
{
  guint8 *out;
  guint32 out_len;

  pkt->flags |= MS_PACKET_FRAGMENT;
  if (defrag == NULL)
    return;
  if (cap < wire)
    return;  /* a fragment cut by the snaplen cannot fill its hole */
  switch (ms_ip_defrag_add (defrag, pkt->ip_version, pkt->src.addr, pkt->dst.addr, id,
                            pkt->ip_proto, offset, data, wire, more, &out, &out_len))
    {
    case MS_IPFRAG_COMPLETE:
      pkt->flags &= ~(guint) MS_PACKET_FRAGMENT;
      pkt->flags |= MS_PACKET_REASSEMBLED;
      pkt->owned = out;
      ms_decode_transport (pkt, out, out_len, out_len, G_MAXUINT32);
      break;
    case MS_IPFRAG_BAD:
      pkt->flags |= MS_PACKET_MALFORMED;
      break;
    case MS_IPFRAG_PENDING:
    case MS_IPFRAG_DROPPED:
      break;
    }
}

/* ------------------------------------------------------------------- IP */

/* Decodes IPv4 at `off`; `wire` is the frame's length on the wire. */
static void
ms_decode_ipv4 (const MsFrame *f, MsIpDefrag *defrag, MsPacket *pkt, guint32 off,
                guint32 wire)
{
  MsCursor c;
  guint8 vihl, proto;
  guint32 hl, total, end_wire, end_cap;
  guint16 id, frag;

  ms_cursor_init (&c, f->data + off, f->caplen - off);
  pkt->ip_version = 4;
  vihl = ms_cursor_u8 (&c);
  ms_cursor_skip (&c, 1);  /* DSCP, ECN */
  total = ms_cursor_be16 (&c);
  id = ms_cursor_be16 (&c);
  frag = ms_cursor_be16 (&c);
  ms_cursor_skip (&c, 1);  /* TTL */
  proto = ms_cursor_u8 (&c);
  ms_cursor_skip (&c, 2);  /* header checksum */
  ms_cursor_copy (&c, pkt->src.addr, 4);
  ms_cursor_copy (&c, pkt->dst.addr, 4);

  hl = (guint32) (vihl & 0x0f) * 4;
  ms_add_layer (pkt, MS_LAYER_IPV4, off, MAX (hl, 20));
  if (f->caplen > off && (vihl >> 4) != 4)
    {
      pkt->flags |= MS_PACKET_MALFORMED;
      return;
    }
  if (c.failed)
    {
      pkt->flags |= MS_PACKET_TRUNCATED;
      return;
    }
  pkt->src.family = pkt->dst.family = 4;
  pkt->ip_proto = proto;
  if (hl < 20)
    {
      pkt->flags |= MS_PACKET_MALFORMED;
      return;
    }
  if (total == 0)
    total = wire - off;  /* segmentation offload leaves the length unset */
  else if (total < hl)
    {
      pkt->flags |= MS_PACKET_MALFORMED;
      return;
    }
  if (total > wire - off)
    {
      pkt->flags |= MS_PACKET_MALFORMED;
      total = wire - off;
      if (total < hl)
        return;
    }
  if (!ms_cursor_skip (&c, hl - 20))  /* options */
    {
      pkt->flags |= MS_PACKET_TRUNCATED;
      return;
    }

  /* Trim to the datagram: Ethernet pads short frames to 60 bytes. */
  end_wire = off + total;
  end_cap = MIN (end_wire, f->caplen);
  if (end_cap < end_wire)
    pkt->flags |= MS_PACKET_TRUNCATED;

  if ((frag & 0x2000) != 0 || (frag & 0x1fff) != 0)
    ms_decode_fragment (pkt, defrag, id, (guint32) (frag & 0x1fff) * 8,
                        (frag & 0x2000) != 0, f->data + off + hl,
                        end_cap - (off + hl), end_wire - (off + hl));
  else
    ms_decode_transport (pkt, f->data + off + hl, end_cap - (off + hl),
                         end_wire - (off + hl), off + hl);
}

/* Decodes IPv6 at `off`, following extension headers to the upper layer. */
static void
ms_decode_ipv6 (const MsFrame *f, MsIpDefrag *defrag, MsPacket *pkt, guint32 off,
                guint32 wire)
{
  MsCursor c, peek;
  guint32 plen, end_wire, end_cap, pos;
  guint8 nh, version;
  guint n_ext = 0;

  ms_cursor_init (&c, f->data + off, f->caplen - off);
  pkt->ip_version = 6;
  peek = c;
  version = ms_cursor_u8 (&peek) >> 4;
  ms_cursor_skip (&c, 4);  /* version, traffic class, flow label */
  plen = ms_cursor_be16 (&c);
  nh = ms_cursor_u8 (&c);
  ms_cursor_skip (&c, 1);  /* hop limit */
  ms_cursor_copy (&c, pkt->src.addr, 16);
  ms_cursor_copy (&c, pkt->dst.addr, 16);

  ms_add_layer (pkt, MS_LAYER_IPV6, off, 40);
  if (!peek.failed && version != 6)
    {
      pkt->flags |= MS_PACKET_MALFORMED;
      return;
    }
  if (c.failed)
    {
      pkt->flags |= MS_PACKET_TRUNCATED;
      return;
    }
  pkt->src.family = pkt->dst.family = 6;
  pkt->ip_proto = nh;

  if (plen == 0)
    plen = wire - off - 40;  /* jumbogram or segmentation offload */
  else if (plen > wire - off - 40)
    {
      pkt->flags |= MS_PACKET_MALFORMED;
      plen = wire - off - 40;
    }
  end_wire = off + 40 + plen;
  end_cap = MIN (end_wire, f->caplen);
  if (end_cap < end_wire)
    pkt->flags |= MS_PACKET_TRUNCATED;

  /* From here the cursor covers the captured part of the datagram. */
  ms_cursor_init (&c, f->data + off, end_cap - off);
  c.pos = 40;
  for (;;)
    {
      guint32 hlen;
      guint8 next, b1;

      switch (nh)
        {
        case MS_IPPROTO_HOPOPTS:
        case MS_IPPROTO_ROUTING:
        case MS_IPPROTO_DSTOPTS:
        case MS_IPPROTO_AH:
        case MS_IPPROTO_MOBILITY:
        case MS_IPPROTO_HIP:
        case MS_IPPROTO_SHIM6:
        case MS_IPPROTO_FRAGMENT:
          break;
        case MS_IPPROTO_ESP:   /* the rest is encrypted */
        case MS_IPPROTO_NONE:  /* nothing follows */
        default:
          pkt->ip_proto = nh;
          pos = off + (guint32) c.pos;
          ms_decode_transport (pkt, f->data + pos, end_cap - pos, end_wire - pos, pos);
          return;
        }

      pos = off + (guint32) c.pos;
      if (n_ext++ == MS_PACKET_MAX_IPV6_EXT || end_wire - pos < 2)
        {
          pkt->flags |= MS_PACKET_MALFORMED;
          return;
        }
      next = ms_cursor_u8 (&c);
      b1 = ms_cursor_u8 (&c);
      if (nh == MS_IPPROTO_FRAGMENT)
        hlen = 8;
      else if (nh == MS_IPPROTO_AH)
        hlen = ((guint32) b1 + 2) * 4;
      else
        hlen = ((guint32) b1 + 1) * 8;
      if (c.failed)
        {
          pkt->flags |= MS_PACKET_TRUNCATED;
          return;
        }
      ms_add_layer (pkt, MS_LAYER_IPV6_EXT, pos, hlen);
      if (hlen > end_wire - pos)
        {
          pkt->flags |= MS_PACKET_MALFORMED;
          return;
        }
      if (nh == MS_IPPROTO_FRAGMENT)
        {
          guint16 fo = ms_cursor_be16 (&c);
          guint32 id = ms_cursor_be32 (&c);

          if (c.failed)
            {
              pkt->flags |= MS_PACKET_TRUNCATED;
              return;
            }
          nh = next;
          pkt->ip_proto = nh;
          /* An atomic fragment (RFC 6946) is a whole datagram. */
          if ((fo & 0xfff8) != 0 || (fo & 1) != 0)
            {
              pos += 8;
              ms_decode_fragment (pkt, defrag, id, fo & 0xfff8, (fo & 1) != 0,
                                  f->data + pos, end_cap - pos, end_wire - pos);
              return;
            }
          continue;
        }
      if (!ms_cursor_skip (&c, hlen - 2))
        {
          pkt->flags |= MS_PACKET_TRUNCATED;
          return;
        }
      nh = next;
    }
}

/* ------------------------------------------------------------------ API */

void
ms_packet_decode (const MsFrame *frame, MsIpDefrag *defrag, MsPacket *pkt)
{
  MsCursor c;
  guint32 wire;
  int version;

  memset (pkt, 0, sizeof *pkt);
  ms_add_layer (pkt, MS_LAYER_FRAME, 0, frame->caplen);
  wire = MAX (frame->len, frame->caplen);
  if (frame->data == NULL && frame->caplen > 0)
    {
      pkt->flags |= MS_PACKET_TRUNCATED;
      return;
    }

  ms_cursor_init (&c, frame->data, frame->caplen);
  version = ms_decode_link (frame, pkt, &c);
  if (version == 4)
    ms_decode_ipv4 (frame, defrag, pkt, (guint32) c.pos, wire);
  else if (version == 6)
    ms_decode_ipv6 (frame, defrag, pkt, (guint32) c.pos, wire);
}

void
ms_packet_clear (MsPacket *pkt)
{
  if (pkt == NULL)
    return;
  g_clear_pointer (&pkt->owned, g_free);
  pkt->payload = NULL;
  pkt->payload_len = 0;
}

const char *
ms_layer_name (MsLayerType type)
{
  switch (type)
    {
    case MS_LAYER_FRAME:
      return "Frame";
    case MS_LAYER_ETHERNET:
      return "Ethernet";
    case MS_LAYER_VLAN:
      return "802.1Q VLAN";
    case MS_LAYER_SLL:
      return "Linux cooked";
    case MS_LAYER_SLL2:
      return "Linux cooked v2";
    case MS_LAYER_NULL:
      return "Loopback";
    case MS_LAYER_IPV4:
      return "IPv4";
    case MS_LAYER_IPV6:
      return "IPv6";
    case MS_LAYER_IPV6_EXT:
      return "IPv6 extension";
    case MS_LAYER_UDP:
      return "UDP";
    case MS_LAYER_TCP:
      return "TCP";
    case MS_LAYER_PAYLOAD:
      return "Payload";
    }
  return "";
}
