/* dns-pcap.c - UDP/TCP payloads from a capture file for the DNS tests
 * (Ethernet/802.1Q, BSD loopback, raw IP, Linux cooked, PPP, FDDI; IPv4,
 * IPv6, IP-in-IP, GRE carrying PPP). Reads through MsCursor like the real
 * decoders do; anything unexpected just skips the packet. */
#include <pcap/pcap.h>
#include <string.h>

#include "dns-pcap.h"
#include "mailscope/ms-cursor.h"

/* Tunnels inside tunnels before the reader gives up on a packet. */
#define DNS_PCAP_MAX_NESTING 4

static void
pkt_free (gpointer data)
{
  DnsPkt *p = data;
  g_free (p->data);
  g_free (p);
}

static gboolean parse_ip (MsCursor *c, guint wire_left, DnsPkt *out, guint depth);

/* PPP protocol field (possibly after ff 03, possibly compressed to 1 byte). */
static gboolean
parse_ppp (MsCursor *c, guint wire_left, DnsPkt *out, guint depth)
{
  if (ms_cursor_left (c) >= 2 && c->base[c->pos] == 0xff && c->base[c->pos + 1] == 0x03)
    ms_cursor_skip (c, 2);
  guint16 proto;
  if (ms_cursor_left (c) >= 1 && (c->base[c->pos] & 1))
    proto = ms_cursor_u8 (c);
  else
    proto = ms_cursor_be16 (c);
  if (c->failed || (proto != 0x21 && proto != 0x57))
    return FALSE;
  return parse_ip (c, wire_left, out, depth + 1);
}

/* GRE (RFC 2784/2890, and PPTP's enhanced GRE of RFC 2637). */
static gboolean
parse_gre (MsCursor *c, guint wire_left, DnsPkt *out, guint depth)
{
  guint16 flags = ms_cursor_be16 (c);
  guint16 proto = ms_cursor_be16 (c);
  if (flags & 0x8000)
    ms_cursor_skip (c, 4);   /* checksum + reserved */
  if (flags & 0x2000)
    ms_cursor_skip (c, 4);   /* key */
  if (flags & 0x1000)
    ms_cursor_skip (c, 4);   /* sequence */
  if ((flags & 0x7) == 1 && (flags & 0x0080))
    ms_cursor_skip (c, 4);   /* enhanced GRE acknowledgment */
  if (c->failed)
    return FALSE;
  if (proto == 0x880b)
    return parse_ppp (c, wire_left, out, depth + 1);
  if (proto == 0x0800 || proto == 0x86dd)
    return parse_ip (c, wire_left, out, depth + 1);
  return FALSE;
}

static gboolean
parse_transport (MsCursor *c, guint8 proto, guint wire_left, DnsPkt *out, guint depth)
{
  if (proto == 4 || proto == 41)
    return parse_ip (c, wire_left, out, depth + 1);
  if (proto == 47)
    return parse_gre (c, wire_left, out, depth + 1);
  gsize payload_wire;
  if (proto == 17)
    {
      out->src.port = ms_cursor_be16 (c);
      out->dst.port = ms_cursor_be16 (c);
      guint16 ulen = ms_cursor_be16 (c);
      ms_cursor_skip (c, 2);
      if (c->failed || ulen < 8)
        return FALSE;
      payload_wire = ulen - 8u;
    }
  else if (proto == 6)
    {
      out->src.port = ms_cursor_be16 (c);
      out->dst.port = ms_cursor_be16 (c);
      out->seq = ms_cursor_be32 (c);
      ms_cursor_skip (c, 4);
      guint8 off = ms_cursor_u8 (c);
      out->tcp_flags = ms_cursor_u8 (c);
      ms_cursor_skip (c, 6);
      gsize hlen = (gsize) (off >> 4) * 4;
      if (c->failed || hlen < 20 || !ms_cursor_skip (c, hlen - 20) || wire_left < hlen)
        return FALSE;
      payload_wire = wire_left - hlen;
    }
  else
    return FALSE;
  out->proto = proto;
  gsize have = ms_cursor_left (c);
  out->len = MIN (have, payload_wire);
  out->cut = have < payload_wire;
  out->data = g_memdup2 (c->base + c->pos, out->len ? out->len : 1);
  return TRUE;
}

/* IPv4 or IPv6 at c; wire_left is what the outer layer says follows. */
static gboolean
parse_ip (MsCursor *c, guint wire_left, DnsPkt *out, guint depth)
{
  if (depth > DNS_PCAP_MAX_NESTING || ms_cursor_left (c) < 1)
    return FALSE;
  guint v = c->base[c->pos] >> 4;
  if (v == 4)
    {
      guint8 vhl = ms_cursor_u8 (c);
      ms_cursor_skip (c, 1);
      guint16 total = ms_cursor_be16 (c);
      ms_cursor_skip (c, 2);
      guint16 frag = ms_cursor_be16 (c);
      ms_cursor_skip (c, 1);
      guint8 proto = ms_cursor_u8 (c);
      ms_cursor_skip (c, 2);
      out->src.family = out->dst.family = 4;
      ms_cursor_copy (c, out->src.addr, 4);
      ms_cursor_copy (c, out->dst.addr, 4);
      guint hlen = (vhl & 0xf) * 4u;
      if (c->failed || hlen < 20 || !ms_cursor_skip (c, hlen - 20) || total < hlen)
        return FALSE;
      if ((frag & 0x3fff) != 0)
        return FALSE;  /* fragments: not reassembled here */
      return parse_transport (c, proto, total - hlen, out, depth);
    }
  if (v == 6)
    {
      ms_cursor_skip (c, 4);
      guint16 plen = ms_cursor_be16 (c);
      guint8 next = ms_cursor_u8 (c);
      ms_cursor_skip (c, 1);
      out->src.family = out->dst.family = 6;
      ms_cursor_copy (c, out->src.addr, 16);
      ms_cursor_copy (c, out->dst.addr, 16);
      guint left = plen;
      while (!c->failed && (next == 0 || next == 43 || next == 60))
        {
          next = ms_cursor_u8 (c);
          guint elen = (ms_cursor_u8 (c) + 1u) * 8u;
          ms_cursor_skip (c, elen - 2);
          if (left < elen)
            return FALSE;
          left -= elen;
        }
      if (c->failed || next == 44)
        return FALSE;
      return parse_transport (c, next, left, out, depth);
    }
  return FALSE;
}

/* Skips the link header; FALSE for links and ethertypes not handled. */
static gboolean
skip_link (MsCursor *c, int dlt)
{
  guint16 etype;
  switch (dlt)
    {
    case DLT_EN10MB:
      ms_cursor_skip (c, 12);
      etype = ms_cursor_be16 (c);
      while (etype == 0x8100 || etype == 0x88a8)
        {
          ms_cursor_skip (c, 2);
          etype = ms_cursor_be16 (c);
        }
      return !c->failed && (etype == 0x0800 || etype == 0x86dd);
    case DLT_NULL:
    case DLT_LOOP:
      return ms_cursor_skip (c, 4);
    case DLT_RAW:
    case 101: /* LINKTYPE_RAW */
    case 228: /* LINKTYPE_IPV4 */
    case 229: /* LINKTYPE_IPV6 */
      return TRUE;
    case DLT_LINUX_SLL:
      return ms_cursor_skip (c, 16);
    case DLT_FDDI:
      /* frame control, two addresses, then LLC/SNAP */
      if (!ms_cursor_skip (c, 13 + 6))
        return FALSE;
      etype = ms_cursor_be16 (c);
      return !c->failed && (etype == 0x0800 || etype == 0x86dd);
    default:
      return FALSE;
    }
}

GPtrArray *
dns_pcap_read (const char *path, char **error)
{
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t *pc = pcap_open_offline_with_tstamp_precision (path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (pc == NULL)
    {
      *error = g_strdup (errbuf);
      return NULL;
    }
  int dlt = pcap_datalink (pc);
  GPtrArray *out = g_ptr_array_new_with_free_func (pkt_free);
  struct pcap_pkthdr *h;
  const u_char *bytes;
  guint32 frame = 0;
  int rc;
  while ((rc = pcap_next_ex (pc, &h, &bytes)) == 1)
    {
      frame++;
      MsCursor c;
      ms_cursor_init (&c, bytes, h->caplen);
      DnsPkt *p = g_new0 (DnsPkt, 1);
      p->frame = frame;
      p->ts_nsec = (gint64) h->ts.tv_sec * 1000000000 + h->ts.tv_usec;
      gboolean ok = FALSE;
      if (dlt == DLT_PPP)
        ok = parse_ppp (&c, h->len, p, 0);
      else if (skip_link (&c, dlt))
        {
          guint wire = h->len > c.pos ? h->len - (guint) c.pos : 0;
          ok = parse_ip (&c, wire, p, 0);
        }
      if (ok && h->caplen >= h->len)
        p->cut = FALSE;  /* lengths inside lied; the capture itself is whole */
      if (ok)
        g_ptr_array_add (out, p);
      else
        pkt_free (p);
    }
  pcap_close (pc);
  return out;
}
