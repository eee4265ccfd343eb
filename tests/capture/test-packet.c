/* test-packet.c - link/IP/UDP/TCP decoding and IP fragment reassembly on
 * frames built byte by byte here, including every truncated prefix. */
#include "config.h"

#include <string.h>

#include "mailscope/ms-packet.h"
#include "capture/ms-ipfrag-private.h"

static const guint8 ip4_a[4] = { 192, 0, 2, 1 };
static const guint8 ip4_b[4] = { 198, 51, 100, 7 };
static const guint8 ip6_a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const guint8 ip6_b[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 };
static const char payload_text[] = "a1 LOGIN student secret\r\n";
#define PAYLOAD_LEN ((guint32) (sizeof payload_text - 1))

/* ------------------------------------------------------------ builders */

static void
put8 (GByteArray *b, guint8 v)
{
  g_byte_array_append (b, &v, 1);
}

static void
put16 (GByteArray *b, guint16 v)
{
  guint8 x[2] = { v >> 8, v & 0xff };
  g_byte_array_append (b, x, 2);
}

static void
put32 (GByteArray *b, guint32 v)
{
  put16 (b, v >> 16);
  put16 (b, v & 0xffff);
}

static void
put_le32 (GByteArray *b, guint32 v)
{
  guint8 x[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };
  g_byte_array_append (b, x, 4);
}

static void
put_zero (GByteArray *b, guint n)
{
  for (guint i = 0; i < n; i++)
    put8 (b, 0);
}

static void
put_ba (GByteArray *b, GByteArray *inner)
{
  g_byte_array_append (b, inner->data, inner->len);
  g_byte_array_unref (inner);
}

/* A TCP segment with `optlen` bytes of NOP options. */
static GByteArray *
tcp_seg (guint16 sport, guint16 dport, guint32 seq, guint32 ack, guint8 flags,
         guint optlen, const char *data, guint32 len)
{
  GByteArray *b = g_byte_array_new ();

  put16 (b, sport);
  put16 (b, dport);
  put32 (b, seq);
  put32 (b, ack);
  put8 (b, (guint8) (((20 + optlen) / 4) << 4));
  put8 (b, flags);
  put16 (b, 65000);
  put32 (b, 0);
  for (guint i = 0; i < optlen; i++)
    put8 (b, 1);
  g_byte_array_append (b, (const guint8 *) data, len);
  return b;
}

static GByteArray *
udp_dgram (guint16 sport, guint16 dport, const char *data, guint32 len)
{
  GByteArray *b = g_byte_array_new ();

  put16 (b, sport);
  put16 (b, dport);
  put16 (b, (guint16) (8 + len));
  put16 (b, 0);
  g_byte_array_append (b, (const guint8 *) data, len);
  return b;
}

/* Wraps `inner` in an IPv4 header with `optlen` bytes of options. */
static GByteArray *
ipv4_wrap (guint8 proto, guint16 id, guint16 frag, guint optlen, GByteArray *inner)
{
  GByteArray *b = g_byte_array_new ();

  put8 (b, (guint8) (0x40 | ((20 + optlen) / 4)));
  put8 (b, 0);
  put16 (b, (guint16) (20 + optlen + inner->len));
  put16 (b, id);
  put16 (b, frag);
  put8 (b, 64);
  put8 (b, proto);
  put16 (b, 0);
  g_byte_array_append (b, ip4_a, 4);
  g_byte_array_append (b, ip4_b, 4);
  for (guint i = 0; i < optlen; i++)
    put8 (b, 1);  /* NOP option */
  put_ba (b, inner);
  return b;
}

/* Wraps `inner` (extension headers included) in an IPv6 header. */
static GByteArray *
ipv6_wrap (guint8 nh, GByteArray *inner)
{
  GByteArray *b = g_byte_array_new ();

  put32 (b, 0x60000000);
  put16 (b, (guint16) inner->len);
  put8 (b, nh);
  put8 (b, 64);
  g_byte_array_append (b, ip6_a, 16);
  g_byte_array_append (b, ip6_b, 16);
  put_ba (b, inner);
  return b;
}

/* An Ethernet frame carrying `inner`, after `n_tags` VLAN tags with the
 * given TPIDs. */
static GByteArray *
eth_wrap (const guint16 *tpids, guint n_tags, guint16 type, GByteArray *inner)
{
  GByteArray *b = g_byte_array_new ();
  static const guint8 macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };

  g_byte_array_append (b, macs, 12);
  for (guint i = 0; i < n_tags; i++)
    {
      put16 (b, tpids[i]);
      put16 (b, (guint16) (100 + i));
    }
  put16 (b, type);
  put_ba (b, inner);
  return b;
}

static MsFrame
frame_of (GByteArray *b, int linktype)
{
  MsFrame f = { 0 };

  f.number = 1;
  f.data = b->data;
  f.caplen = f.len = b->len;
  f.linktype = linktype;
  f.file_offset = -1;
  return f;
}

static void
assert_layers (const MsPacket *pkt, const MsLayerType *types, guint n)
{
  g_assert_cmpuint (pkt->n_layers, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpstr (ms_layer_name (pkt->layers[i].type), ==, ms_layer_name (types[i]));
}

static void
assert_payload (const MsPacket *pkt, const char *data, guint32 len)
{
  g_assert_cmpuint (pkt->payload_len, ==, len);
  g_assert_cmpuint (pkt->payload_wire_len, ==, len);
  g_assert_nonnull (pkt->payload);
  g_assert_cmpmem (pkt->payload, pkt->payload_len, data, len);
}

/* Decodes every proper prefix of `f` (caplen cut, len kept): none may crash,
 * each must be flagged truncated and none malformed. */
static void
check_prefixes (const MsFrame *f)
{
  for (guint32 n = 0; n < f->caplen; n++)
    {
      MsFrame p = *f;
      MsPacket pkt;
      /* A copy of exactly n bytes lets valgrind/ASan see any overread. */
      guint8 *copy = g_memdup2 (f->data, n);

      p.data = copy;
      p.caplen = n;
      ms_packet_decode (&p, NULL, &pkt);
      if (!(pkt.flags & MS_PACKET_TRUNCATED))
        g_error ("prefix %u of %u not flagged truncated", n, f->caplen);
      g_assert_false (pkt.flags & MS_PACKET_MALFORMED);
      g_assert_cmpuint (pkt.payload_len, <=, pkt.payload_wire_len);
      if (pkt.payload_len > 0)
        g_assert_true (pkt.payload >= copy && pkt.payload + pkt.payload_len <= copy + n);
      /* a transport layer is only reported once its fixed header was read */
      for (guint i = 0; i < pkt.n_layers; i++)
        {
          if (pkt.layers[i].type == MS_LAYER_TCP)
            g_assert_cmpuint (pkt.layers[i].offset + 20, <=, n);
          if (pkt.layers[i].type == MS_LAYER_UDP)
            g_assert_cmpuint (pkt.layers[i].offset + 8, <=, n);
        }
      ms_packet_clear (&pkt);
      g_free (copy);
    }
}

/* ---------------------------------------------------------------- tests */

static void
test_ethernet_vlan_ipv4_tcp (void)
{
  static const guint16 tags[] = { 0x88a8, 0x8100 };
  static const MsLayerType want[] = { MS_LAYER_FRAME, MS_LAYER_ETHERNET, MS_LAYER_VLAN,
                                      MS_LAYER_VLAN, MS_LAYER_IPV4, MS_LAYER_TCP,
                                      MS_LAYER_PAYLOAD };
  GByteArray *b = eth_wrap (tags, 2, 0x0800,
                            ipv4_wrap (6, 1, 0x4000, 8,
                                       tcp_seg (51000, 143, 1000, 2000, MS_TCP_PSH | MS_TCP_ACK,
                                                12, payload_text, PAYLOAD_LEN)));
  MsFrame f = frame_of (b, MS_LINK_ETHERNET);
  MsPacket pkt;
  char buf[MS_ADDR_STRLEN];

  ms_packet_decode (&f, NULL, &pkt);
  g_assert_cmpuint (pkt.flags, ==, 0);
  assert_layers (&pkt, want, G_N_ELEMENTS (want));
  g_assert_cmpuint (pkt.layers[2].offset, ==, 14);
  g_assert_cmpuint (pkt.layers[3].offset, ==, 18);
  g_assert_cmpuint (pkt.layers[4].offset, ==, 22);
  g_assert_cmpuint (pkt.layers[4].length, ==, 28);
  g_assert_cmpuint (pkt.layers[5].offset, ==, 50);
  g_assert_cmpuint (pkt.layers[5].length, ==, 32);
  g_assert_cmpuint (pkt.ip_version, ==, 4);
  g_assert_cmpuint (pkt.ip_proto, ==, 6);
  g_assert_cmpstr (ms_addr_format (&pkt.src, buf, sizeof buf), ==, "192.0.2.1:51000");
  g_assert_cmpstr (ms_addr_format (&pkt.dst, buf, sizeof buf), ==, "198.51.100.7:143");
  g_assert_cmpuint (pkt.seq, ==, 1000);
  g_assert_cmpuint (pkt.ack, ==, 2000);
  g_assert_cmpuint (pkt.tcp_flags, ==, MS_TCP_PSH | MS_TCP_ACK);
  g_assert_cmpuint (pkt.window, ==, 65000);
  g_assert_cmpuint (pkt.payload_offset, ==, 82);
  assert_payload (&pkt, payload_text, PAYLOAD_LEN);
  g_assert_null (pkt.owned);
  ms_packet_clear (&pkt);

  check_prefixes (&f);

  /* Cut inside the TCP options: the header is known, the payload is not
   * captured but its length on the wire is. */
  f.caplen = 50 + 24;
  ms_packet_decode (&f, NULL, &pkt);
  g_assert_cmpuint (pkt.flags, ==, MS_PACKET_TRUNCATED);
  g_assert_cmpuint (pkt.layers[pkt.n_layers - 1].type, ==, MS_LAYER_TCP);
  g_assert_cmpuint (pkt.seq, ==, 1000);
  g_assert_cmpuint (pkt.payload_len, ==, 0);
  g_assert_cmpuint (pkt.payload_wire_len, ==, PAYLOAD_LEN);
  g_assert_cmpuint (pkt.payload_offset, ==, 82);
  ms_packet_clear (&pkt);

  /* Cut inside the payload */
  f.caplen = 82 + 5;
  ms_packet_decode (&f, NULL, &pkt);
  g_assert_cmpuint (pkt.flags, ==, MS_PACKET_TRUNCATED);
  g_assert_cmpuint (pkt.payload_len, ==, 5);
  g_assert_cmpuint (pkt.payload_wire_len, ==, PAYLOAD_LEN);
  g_assert_cmpmem (pkt.payload, 5, payload_text, 5);
  ms_packet_clear (&pkt);
  g_byte_array_unref (b);
}

/* Ethernet pads a short frame to 60 bytes: the padding is not payload. */
static void
test_ethernet_padding (void)
{
  GByteArray *b = eth_wrap (NULL, 0, 0x0800,
                            ipv4_wrap (6, 1, 0, 0, tcp_seg (1, 2, 3, 4, MS_TCP_ACK, 0, "x", 1)));
  MsFrame f;
  MsPacket pkt;

  g_assert_cmpuint (b->len, ==, 55);
  put_zero (b, 5);
  f = frame_of (b, MS_LINK_ETHERNET);
  ms_packet_decode (&f, NULL, &pkt);
  g_assert_cmpuint (pkt.flags, ==, 0);
  assert_payload (&pkt, "x", 1);
  ms_packet_clear (&pkt);

  /* Same with an empty segment: no payload at all. */
  g_byte_array_set_size (b, 0);
  put_ba (b, eth_wrap (NULL, 0, 0x0800, ipv4_wrap (6, 1, 0, 0,
                                                   tcp_seg (1, 2, 3, 4, MS_TCP_ACK, 0, "", 0))));
  put_zero (b, 6);
  f = frame_of (b, MS_LINK_ETHERNET);
  ms_packet_decode (&f, NULL, &pkt);
  g_assert_cmpuint (pkt.flags, ==, 0);
  g_assert_cmpuint (pkt.payload_len, ==, 0);
  g_assert_cmpuint (pkt.payload_wire_len, ==, 0);
  g_assert_null (pkt.payload);
  g_assert_cmpuint (pkt.layers[pkt.n_layers - 1].type, ==, MS_LAYER_TCP);
  ms_packet_clear (&pkt);
  g_byte_array_unref (b);
}

static void
test_sll (void)
{
  static const MsLayerType want[] = { MS_LAYER_FRAME, MS_LAYER_SLL, MS_LAYER_IPV4,
                                      MS_LAYER_UDP, MS_LAYER_PAYLOAD };
  GByteArray *b = g_byte_array_new ();
  MsFrame f;
  MsPacket pkt;

  put16 (b, 0);       /* packet type: to us */
  put16 (b, 772);     /* ARPHRD_LOOPBACK */
  put16 (b, 6);
  put_zero (b, 8);
  put16 (b, 0x0800);
  put_ba (b, ipv4_wrap (17, 9, 0, 0, udp_dgram (5353, 53, payload_text, PAYLOAD_LEN)));
  f = frame_of (b, MS_LINK_LINUX_SLL);
  ms_packet_decode (&f, NULL, &pkt);
  g_assert_cmpuint (pkt.flags, ==, 0);
  assert_layers (&pkt, want, G_N_ELEMENTS (want));
  g_assert_cmpuint (pkt.layers[2].offset, ==, 16);
  g_assert_cmpuint (pkt.src.port, ==, 5353);
  g_assert_cmpuint (pkt.dst.port, ==, 53);
  g_assert_cmpuint (pkt.payload_offset, ==, 16 + 20 + 8);
  assert_payload (&pkt, payload_text, PAYLOAD_LEN);
  ms_packet_clear (&pkt);
  check_prefixes (&f);
  g_byte_array_unref (b);
}

static void
test_sll2 (void)
{
  static const MsLayerType want[] = { MS_LAYER_FRAME, MS_LAYER_SLL2, MS_LAYER_IPV6,
                                      MS_LAYER_TCP, MS_LAYER_PAYLOAD };
  GByteArray *b = g_byte_array_new ();
  MsFrame f;
  MsPacket pkt;

  put16 (b, 0x86dd);
  put16 (b, 0);
  put32 (b, 1);       /* ifindex */
  put16 (b, 772);
  put8 (b, 4);        /* outgoing */
  put8 (b, 6);
  put_zero (b, 8);
  put_ba (b, ipv6_wrap (6, tcp_seg (993, 40000, 7, 8, MS_TCP_ACK, 0, payload_text,
                                    PAYLOAD_LEN)));
  f = frame_of (b, MS_LINK_LINUX_SLL2);
  ms_packet_decode (&f, NULL, &pkt);
  g_assert_cmpuint (pkt.flags, ==, 0);
  assert_layers (&pkt, want, G_N_ELEMENTS (want));
  g_assert_cmpuint (pkt.layers[2].offset, ==, 20);
  g_assert_cmpuint (pkt.ip_version, ==, 6);
  g_assert_cmpmem (pkt.src.addr, 16, ip6_a, 16);
  g_assert_cmpmem (pkt.dst.addr, 16, ip6_b, 16);
  g_assert_cmpuint (pkt.src.port, ==, 993);
  assert_payload (&pkt, payload_text, PAYLOAD_LEN);
  ms_packet_clear (&pkt);
  check_prefixes (&f);
  g_byte_array_unref (b);
}

/* BSD loopback: the family in either byte order, IPv4 and all IPv6 values. */
static void
test_null_loop (void)
{
  static const struct {
    int link;
    guint32 family;
    gboolean little;
    int version;
  } cases[] = {
    { MS_LINK_NULL, 2, TRUE, 4 },  { MS_LINK_NULL, 2, FALSE, 4 },
    { MS_LINK_NULL, 24, TRUE, 6 }, { MS_LINK_NULL, 28, FALSE, 6 },
    { MS_LINK_NULL, 30, TRUE, 6 }, { MS_LINK_LOOP, 2, FALSE, 4 },
    { MS_LINK_LOOP, 24, FALSE, 6 }, { MS_LINK_NULL, 7, TRUE, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GByteArray *b = g_byte_array_new ();
      MsFrame f;
      MsPacket pkt;

      if (cases[i].little)
        put_le32 (b, cases[i].family);
      else
        put32 (b, cases[i].family);
      if (cases[i].version == 6)
        put_ba (b, ipv6_wrap (17, udp_dgram (1, 2, payload_text, PAYLOAD_LEN)));
      else
        put_ba (b, ipv4_wrap (17, 1, 0, 0, udp_dgram (1, 2, payload_text, PAYLOAD_LEN)));
      f = frame_of (b, cases[i].link);
      ms_packet_decode (&f, NULL, &pkt);
      g_assert_cmpuint (pkt.layers[1].type, ==, MS_LAYER_NULL);
      g_assert_cmpuint (pkt.ip_version, ==, cases[i].version);
      if (cases[i].version == 0)
        {
          g_assert_cmpuint (pkt.flags, ==, MS_PACKET_BAD_LINK);
          g_assert_cmpuint (pkt.n_layers, ==, 2);
        }
      else
        {
          g_assert_cmpuint (pkt.flags, ==, 0);
          g_assert_cmpuint (pkt.layers[2].offset, ==, 4);
          assert_payload (&pkt, payload_text, PAYLOAD_LEN);
          check_prefixes (&f);
        }
      ms_packet_clear (&pkt);
      g_byte_array_unref (b);
    }
}

/* Raw IPv6 with hop-by-hop and destination options before TCP. */
static void
test_raw_ipv6_ext (void)
{
  static const MsLayerType want[] = { MS_LAYER_FRAME, MS_LAYER_IPV6, MS_LAYER_IPV6_EXT,
                                      MS_LAYER_IPV6_EXT, MS_LAYER_TCP, MS_LAYER_PAYLOAD };
  static const int links[] = { MS_LINK_RAW, MS_LINK_IPV6, 12, 14 };
  GByteArray *inner = g_byte_array_new ();
  GByteArray *b;
  MsPacket pkt;

  /* hop-by-hop: 8 bytes, PadN */
  put8 (inner, 60);
  put8 (inner, 0);
  put8 (inner, 1);
  put8 (inner, 4);
  put_zero (inner, 4);
  /* destination options: 16 bytes */
  put8 (inner, 6);
  put8 (inner, 1);
  put8 (inner, 1);
  put8 (inner, 12);
  put_zero (inner, 12);
  put_ba (inner, tcp_seg (143, 50000, 1, 2, MS_TCP_SYN | MS_TCP_ACK, 4, payload_text,
                          PAYLOAD_LEN));
  b = ipv6_wrap (0, inner);

  for (guint i = 0; i < G_N_ELEMENTS (links); i++)
    {
      MsFrame f = frame_of (b, links[i]);

      ms_packet_decode (&f, NULL, &pkt);
      g_assert_cmpuint (pkt.flags, ==, 0);
      assert_layers (&pkt, want, G_N_ELEMENTS (want));
      g_assert_cmpuint (pkt.layers[2].offset, ==, 40);
      g_assert_cmpuint (pkt.layers[2].length, ==, 8);
      g_assert_cmpuint (pkt.layers[3].offset, ==, 48);
      g_assert_cmpuint (pkt.layers[3].length, ==, 16);
      g_assert_cmpuint (pkt.layers[4].offset, ==, 64);
      g_assert_cmpuint (pkt.layers[4].length, ==, 24);
      g_assert_cmpuint (pkt.ip_proto, ==, 6);
      g_assert_cmpuint (pkt.tcp_flags, ==, MS_TCP_SYN | MS_TCP_ACK);
      g_assert_cmpuint (pkt.payload_offset, ==, 88);
      assert_payload (&pkt, payload_text, PAYLOAD_LEN);
      ms_packet_clear (&pkt);
    }
  {
    MsFrame f = frame_of (b, MS_LINK_RAW);
    check_prefixes (&f);
  }
  g_byte_array_unref (b);
}

/* Routing and AH headers are skipped with their own length rules; ESP and
 * No Next Header end the chain without a transport layer. */
static void
test_ipv6_ext_other (void)
{
  GByteArray *inner = g_byte_array_new ();
  GByteArray *b;
  MsFrame f;
  MsPacket pkt;

  /* routing header, 24 bytes */
  put8 (inner, 51);
  put8 (inner, 2);
  put_zero (inner, 22);
  /* AH with a 12-byte ICV: (payload len + 2) * 4 = 24 bytes */
  put8 (inner, 17);
  put8 (inner, 4);
  put_zero (inner, 22);
  put_ba (inner, udp_dgram (1000, 53, payload_text, PAYLOAD_LEN));
  b = ipv6_wrap (43, inner);
  f = frame_of (b, MS_LINK_IPV6);
  ms_packet_decode (&f, NULL, &pkt);
  g_assert_cmpuint (pkt.flags, ==, 0);
  g_assert_cmpuint (pkt.n_layers, ==, 6);
  g_assert_cmpuint (pkt.layers[3].offset, ==, 64);
  g_assert_cmpuint (pkt.layers[3].length, ==, 24);
  g_assert_cmpuint (pkt.layers[4].type, ==, MS_LAYER_UDP);
  g_assert_cmpuint (pkt.layers[4].offset, ==, 88);
  assert_payload (&pkt, payload_text, PAYLOAD_LEN);
  ms_packet_clear (&pkt);
  check_prefixes (&f);
  g_byte_array_unref (b);

  for (guint8 nh = 50; nh <= 59; nh += 9)
    {
      inner = g_byte_array_new ();
      put_zero (inner, 16);
      b = ipv6_wrap (nh, inner);
      f = frame_of (b, MS_LINK_IPV6);
      ms_packet_decode (&f, NULL, &pkt);
      g_assert_cmpuint (pkt.flags, ==, 0);
      g_assert_cmpuint (pkt.ip_proto, ==, nh);
      g_assert_cmpuint (pkt.n_layers, ==, 2);
      g_assert_cmpuint (pkt.payload_len, ==, 0);
      ms_packet_clear (&pkt);
      g_byte_array_unref (b);
    }
}

static void
test_not_ip (void)
{
  GByteArray *b = eth_wrap (NULL, 0, 0x0806, g_byte_array_new ());
  MsFrame f;
  MsPacket pkt;

  put_zero (b, 28);
  f = frame_of (b, MS_LINK_ETHERNET);
  ms_packet_decode (&f, NULL, &pkt);
  g_assert_cmpuint (pkt.flags, ==, MS_PACKET_BAD_LINK);
  g_assert_cmpuint (pkt.ip_version, ==, 0);
  ms_packet_clear (&pkt);

  f.linktype = 147;
  ms_packet_decode (&f, NULL, &pkt);
  g_assert_cmpuint (pkt.flags, ==, MS_PACKET_BAD_LINK);
  g_assert_cmpuint (pkt.n_layers, ==, 1);
  ms_packet_clear (&pkt);

  /* Raw link with neither version 4 nor 6 */
  b->data[0] = 0x50;
  f.linktype = MS_LINK_RAW;
  ms_packet_decode (&f, NULL, &pkt);
  g_assert_cmpuint (pkt.flags, ==, MS_PACKET_BAD_LINK);
  ms_packet_clear (&pkt);
  g_byte_array_unref (b);

  g_assert_cmpstr (ms_link_name (MS_LINK_ETHERNET), ==, "Ethernet");
  g_assert_cmpstr (ms_link_name (MS_LINK_LINUX_SLL2), ==, "Linux cooked v2");
  g_assert_null (ms_link_name (147));
  g_assert_cmpstr (ms_layer_name (MS_LAYER_TCP), ==, "TCP");
}

/* Offsets rewritten to lie; each case is malformed and still safe. */
static void
test_malformed (void)
{
  static const struct {
    const char *what;
    guint offset;  /* byte in the raw IPv4 frame */
    guint8 value;
    gboolean udp;
  } cases[] = {
    { "IPv4 header length 16", 0, 0x44, FALSE },
    { "IPv4 header longer than datagram", 0, 0x4f, FALSE },
    { "IPv4 total length below header", 3, 10, FALSE },
    { "IPv4 total length beyond frame", 2, 0x40, FALSE },
    { "TCP data offset 4", 32, 0x40, FALSE },
    { "TCP data offset beyond datagram", 32, 0xf0, FALSE },
    { "UDP length 7", 25, 7, TRUE },
    { "UDP length beyond datagram", 24, 0x10, TRUE },
    { "IP version 5", 0, 0x55, TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GByteArray *b = cases[i].udp
                      ? ipv4_wrap (17, 1, 0, 0, udp_dgram (1, 2, "hi", 2))
                      : ipv4_wrap (6, 1, 0, 0, tcp_seg (1, 2, 3, 4, 0, 0, "hi", 2));
      MsFrame f;
      MsPacket pkt;

      g_test_message ("%s", cases[i].what);
      b->data[cases[i].offset] = cases[i].value;
      f = frame_of (b, MS_LINK_IPV4);
      ms_packet_decode (&f, NULL, &pkt);
      g_assert_true (pkt.flags & MS_PACKET_MALFORMED);
      g_assert_cmpuint (pkt.payload_len, <=, 2);
      ms_packet_clear (&pkt);
      /* and every prefix of the lie is still read safely */
      for (guint32 n = 0; n < b->len; n++)
        {
          guint8 *copy = g_memdup2 (b->data, n);
          f.data = copy;
          f.caplen = n;
          ms_packet_decode (&f, NULL, &pkt);
          g_assert_true (pkt.flags & (MS_PACKET_MALFORMED | MS_PACKET_TRUNCATED));
          ms_packet_clear (&pkt);
          g_free (copy);
        }
      g_byte_array_unref (b);
    }

  /* IPv6 extension header longer than the payload length */
  {
    GByteArray *inner = g_byte_array_new ();
    GByteArray *b;
    MsFrame f;
    MsPacket pkt;

    put8 (inner, 6);
    put8 (inner, 9);
    put_zero (inner, 6);
    b = ipv6_wrap (60, inner);
    f = frame_of (b, MS_LINK_RAW);
    ms_packet_decode (&f, NULL, &pkt);
    g_assert_cmpuint (pkt.flags, ==, MS_PACKET_MALFORMED);
    g_assert_cmpuint (pkt.layers[2].type, ==, MS_LAYER_IPV6_EXT);
    ms_packet_clear (&pkt);
    g_byte_array_unref (b);
  }

  /* A chain of destination options longer than any real one */
  {
    GByteArray *inner = g_byte_array_new ();
    GByteArray *b;
    MsFrame f;
    MsPacket pkt;

    for (guint i = 0; i < 20; i++)
      {
        put8 (inner, 60);
        put8 (inner, 0);
        put_zero (inner, 6);
      }
    b = ipv6_wrap (60, inner);
    f = frame_of (b, MS_LINK_RAW);
    ms_packet_decode (&f, NULL, &pkt);
    g_assert_cmpuint (pkt.flags, ==, MS_PACKET_MALFORMED);
    g_assert_cmpuint (pkt.n_layers, <=, MS_PACKET_MAX_LAYERS);
    ms_packet_clear (&pkt);
    g_byte_array_unref (b);
  }
}

/* The UDP datagram in `udp` as IPv4 fragments of at most `chunk` bytes. */
static GPtrArray *
ipv4_fragments (GByteArray *udp, guint16 id, guint chunk)
{
  GPtrArray *frags = g_ptr_array_new_with_free_func ((GDestroyNotify) g_byte_array_unref);

  for (guint off = 0; off < udp->len; off += chunk)
    {
      guint n = MIN (chunk, udp->len - off);
      GByteArray *part = g_byte_array_new ();
      guint16 fo = (guint16) (off / 8);

      if (off + n < udp->len)
        fo |= 0x2000;
      g_byte_array_append (part, udp->data + off, n);
      g_ptr_array_add (frags, eth_wrap (NULL, 0, 0x0800, ipv4_wrap (17, id, fo, 0, part)));
    }
  return frags;
}

static char *
big_payload (guint len)
{
  char *s = g_malloc (len + 1);

  for (guint i = 0; i < len; i++)
    s[i] = (char) ('a' + i % 26);
  s[len] = '\0';
  return s;
}

static void
test_ipv4_fragments (void)
{
  static const guint orders[][4] = {
    { 0, 1, 2, 3 }, { 3, 2, 1, 0 }, { 2, 0, 3, 1 }, { 1, 3, 0, 2 },
  };
  char *text = big_payload (3000);
  GByteArray *udp = udp_dgram (53, 40000, text, 3000);
  GPtrArray *frags = ipv4_fragments (udp, 77, 760);

  g_assert_cmpuint (frags->len, ==, 4);
  for (guint o = 0; o < G_N_ELEMENTS (orders); o++)
    {
      MsIpDefrag *d = ms_ip_defrag_new (1 << 20);
      guint datagrams;
      gsize bytes;

      for (guint k = 0; k < 4; k++)
        {
          GByteArray *fb = frags->pdata[orders[o][k]];
          MsFrame f = frame_of (fb, MS_LINK_ETHERNET);
          MsPacket pkt;

          ms_packet_decode (&f, d, &pkt);
          if (k < 3)
            {
              g_assert_cmpuint (pkt.flags, ==, MS_PACKET_FRAGMENT);
              g_assert_cmpuint (pkt.layers[pkt.n_layers - 1].type, ==, MS_LAYER_IPV4);
              g_assert_cmpuint (pkt.payload_len, ==, 0);
              g_assert_cmpuint (pkt.ip_proto, ==, 17);
            }
          else
            {
              g_assert_cmpuint (pkt.flags, ==, MS_PACKET_REASSEMBLED);
              g_assert_cmpuint (pkt.src.port, ==, 53);
              g_assert_cmpuint (pkt.dst.port, ==, 40000);
              g_assert_cmpuint (pkt.payload_offset, ==, G_MAXUINT32);
              g_assert_nonnull (pkt.owned);
              g_assert_true (pkt.payload == pkt.owned + 8);
              assert_payload (&pkt, text, 3000);
            }
          ms_packet_clear (&pkt);
          g_assert_null (pkt.owned);
        }
      ms_ip_defrag_usage (d, &datagrams, &bytes);
      g_assert_cmpuint (datagrams, ==, 0);
      g_assert_cmpuint (bytes, ==, 0);
      ms_ip_defrag_free (d);
    }

  /* Without a defragmenter every fragment is only flagged. */
  for (guint k = 0; k < 4; k++)
    {
      MsFrame f = frame_of (frags->pdata[k], MS_LINK_ETHERNET);
      MsPacket pkt;

      ms_packet_decode (&f, NULL, &pkt);
      g_assert_cmpuint (pkt.flags, ==, MS_PACKET_FRAGMENT);
      g_assert_cmpuint (pkt.src.port, ==, 0);
      ms_packet_clear (&pkt);
    }

  g_ptr_array_unref (frags);
  g_byte_array_unref (udp);
  g_free (text);
}

/* Duplicates and overlaps: the first copy of a byte wins. */
static void
test_fragment_overlap (void)
{
  MsIpDefrag *d = ms_ip_defrag_new (1 << 20);
  guint8 *out;
  guint32 out_len;
  char want[40];

  memset (want, 'A', 16);
  memset (want + 16, 'B', 8);
  memset (want + 24, 'C', 16);
  g_assert_cmpint (ms_ip_defrag_add (d, 4, ip4_a, ip4_b, 5, 17, 0, (const guint8 *) want,
                                     16, TRUE, &out, &out_len), ==, MS_IPFRAG_PENDING);
  /* duplicate of the first fragment */
  g_assert_cmpint (ms_ip_defrag_add (d, 4, ip4_a, ip4_b, 5, 17, 0, (const guint8 *) want,
                                     16, TRUE, &out, &out_len), ==, MS_IPFRAG_PENDING);
  /* the tail, received before the middle */
  g_assert_cmpint (ms_ip_defrag_add (d, 4, ip4_a, ip4_b, 5, 17, 24,
                                     (const guint8 *) want + 24, 16, FALSE, &out, &out_len),
                   ==, MS_IPFRAG_PENDING);
  /* a different datagram (other id) does not mix in */
  g_assert_cmpint (ms_ip_defrag_add (d, 4, ip4_a, ip4_b, 6, 17, 16,
                                     (const guint8 *) "XXXXXXXX", 8, TRUE, &out, &out_len),
                   ==, MS_IPFRAG_PENDING);
  /* a fragment past the known end is refused */
  g_assert_cmpint (ms_ip_defrag_add (d, 4, ip4_a, ip4_b, 5, 17, 40,
                                     (const guint8 *) "ZZZZZZZZ", 8, TRUE, &out, &out_len),
                   ==, MS_IPFRAG_BAD);
  /* the middle overlapping both neighbours with other bytes: only the gap
   * is taken from it */
  g_assert_cmpint (ms_ip_defrag_add (d, 4, ip4_a, ip4_b, 5, 17, 8,
                                     (const guint8 *) "xxxxxxxxBBBBBBBBzzzzzzzz", 24, TRUE,
                                     &out, &out_len),
                   ==, MS_IPFRAG_COMPLETE);
  g_assert_cmpmem (out, out_len, want, sizeof want);
  g_free (out);
  ms_ip_defrag_free (d);
}

/* Memory stays under max_bytes; the oldest incomplete datagram goes first. */
static void
test_fragment_bound (void)
{
  MsIpDefrag *d = ms_ip_defrag_new (4000);
  guint8 chunk[1000];
  guint8 *out;
  guint32 out_len;
  guint datagrams;
  gsize bytes;

  memset (chunk, 'q', sizeof chunk);
  for (guint32 id = 1; id <= 10; id++)
    {
      g_assert_cmpint (ms_ip_defrag_add (d, 4, ip4_a, ip4_b, id, 17, 0, chunk, 1000, TRUE,
                                         &out, &out_len), ==, MS_IPFRAG_PENDING);
      ms_ip_defrag_usage (d, &datagrams, &bytes);
      g_assert_cmpuint (bytes, <=, 4000);
    }
  g_assert_cmpuint (datagrams, ==, 4);
  /* id 10 is still there and completes; id 1 was dropped, so its tail alone
   * starts a new pending datagram */
  g_assert_cmpint (ms_ip_defrag_add (d, 4, ip4_a, ip4_b, 10, 17, 1000, chunk, 8, FALSE,
                                     &out, &out_len), ==, MS_IPFRAG_COMPLETE);
  g_assert_cmpuint (out_len, ==, 1008);
  g_free (out);
  g_assert_cmpint (ms_ip_defrag_add (d, 4, ip4_a, ip4_b, 1, 17, 1000, chunk, 8, FALSE,
                                     &out, &out_len), ==, MS_IPFRAG_PENDING);
  /* a datagram larger than the whole budget is dropped */
  g_assert_cmpint (ms_ip_defrag_add (d, 4, ip4_a, ip4_b, 99, 17, 4096, chunk, 8, TRUE,
                                     &out, &out_len), ==, MS_IPFRAG_DROPPED);
  ms_ip_defrag_usage (d, &datagrams, &bytes);
  g_assert_cmpuint (bytes, <=, 4000);

  ms_ip_defrag_free (d);

  /* many tiny datagrams within the byte budget: the count is bounded too */
  d = ms_ip_defrag_new (1 << 20);
  for (guint32 id = 1000; id < 5000; id++)
    ms_ip_defrag_add (d, 4, ip4_a, ip4_b, id, 17, 0, chunk, 8, TRUE, &out, &out_len);
  ms_ip_defrag_usage (d, &datagrams, &bytes);
  g_assert_cmpuint (datagrams, ==, 1024);
  g_assert_cmpuint (bytes, ==, 1024 * 8);
  /* the newest survived */
  g_assert_cmpint (ms_ip_defrag_add (d, 4, ip4_a, ip4_b, 4999, 17, 8, chunk, 8, FALSE,
                                     &out, &out_len), ==, MS_IPFRAG_COMPLETE);
  g_free (out);
  ms_ip_defrag_free (d);
}

static void
test_ipv6_fragments (void)
{
  char *text = big_payload (2000);
  GByteArray *tcp = tcp_seg (143, 41000, 5, 6, MS_TCP_ACK, 0, text, 2000);
  MsIpDefrag *d = ms_ip_defrag_new (1 << 20);
  static const guint order[] = { 2, 0, 1 };
  const guint chunk = 808;

  for (guint k = 0; k < G_N_ELEMENTS (order); k++)
    {
      guint off = order[k] * chunk;
      guint n = MIN (chunk, tcp->len - off);
      GByteArray *inner = g_byte_array_new ();
      GByteArray *b;
      MsFrame f;
      MsPacket pkt;

      /* hop-by-hop, then the fragment header */
      put8 (inner, 44);
      put8 (inner, 0);
      put8 (inner, 1);
      put8 (inner, 4);
      put_zero (inner, 4);
      put8 (inner, 6);
      put8 (inner, 0);
      put16 (inner, (guint16) (off | (off + n < tcp->len ? 1 : 0)));
      put32 (inner, 0xabcdef01);
      g_byte_array_append (inner, tcp->data + off, n);
      b = eth_wrap (NULL, 0, 0x86dd, ipv6_wrap (0, inner));
      f = frame_of (b, MS_LINK_ETHERNET);
      ms_packet_decode (&f, d, &pkt);
      g_assert_cmpuint (pkt.ip_proto, ==, 6);
      g_assert_cmpuint (pkt.layers[3].type, ==, MS_LAYER_IPV6_EXT);
      g_assert_cmpuint (pkt.layers[4].type, ==, MS_LAYER_IPV6_EXT);
      g_assert_cmpuint (pkt.layers[4].offset, ==, 14 + 40 + 8);
      if (k < 2)
        {
          g_assert_cmpuint (pkt.flags, ==, MS_PACKET_FRAGMENT);
          g_assert_cmpuint (pkt.n_layers, ==, 5);
        }
      else
        {
          g_assert_cmpuint (pkt.flags, ==, MS_PACKET_REASSEMBLED);
          g_assert_cmpuint (pkt.src.port, ==, 143);
          g_assert_cmpuint (pkt.seq, ==, 5);
          g_assert_cmpuint (pkt.layers[5].type, ==, MS_LAYER_TCP);
          g_assert_cmpuint (pkt.layers[5].offset, ==, G_MAXUINT32);
          assert_payload (&pkt, text, 2000);
        }
      ms_packet_clear (&pkt);
      check_prefixes (&f);
      g_byte_array_unref (b);
    }

  /* An atomic fragment (offset 0, no more) is an ordinary datagram. */
  {
    GByteArray *inner = g_byte_array_new ();
    GByteArray *b;
    MsFrame f;
    MsPacket pkt;

    put8 (inner, 17);
    put8 (inner, 0);
    put16 (inner, 0);
    put32 (inner, 1);
    put_ba (inner, udp_dgram (1, 2, "atom", 4));
    b = ipv6_wrap (44, inner);
    f = frame_of (b, MS_LINK_IPV6);
    ms_packet_decode (&f, d, &pkt);
    g_assert_cmpuint (pkt.flags, ==, 0);
    assert_payload (&pkt, "atom", 4);
    ms_packet_clear (&pkt);
    g_byte_array_unref (b);
  }

  ms_ip_defrag_free (d);
  g_byte_array_unref (tcp);
  g_free (text);
}

/* Checks what every decode must guarantee, whatever the bytes. */
static void
assert_sane (const MsFrame *f, const MsPacket *pkt)
{
  g_assert_cmpuint (pkt->n_layers, >=, 1);
  g_assert_cmpuint (pkt->n_layers, <=, MS_PACKET_MAX_LAYERS);
  for (guint i = 0; i < pkt->n_layers; i++)
    g_assert_true (pkt->layers[i].offset == G_MAXUINT32
                   || pkt->layers[i].offset <= f->caplen);
  g_assert_cmpuint (pkt->payload_len, <=, pkt->payload_wire_len);
  if (pkt->payload_len == 0)
    return;
  if (pkt->flags & MS_PACKET_REASSEMBLED)
    g_assert_true (pkt->owned != NULL && pkt->payload > pkt->owned);
  else
    {
      g_assert_true (pkt->payload >= f->data);
      g_assert_cmpuint (pkt->payload_offset + pkt->payload_len, <=, f->caplen);
      g_assert_true (pkt->payload == f->data + pkt->payload_offset);
    }
}

/* Random byte changes to good frames of every link type, with and without
 * a defragmenter: nothing crashes and every result is self-consistent. */
static void
test_mutations (void)
{
  static const guint16 tags[] = { 0x8100 };
  static const int links[] = { MS_LINK_ETHERNET, MS_LINK_LINUX_SLL, MS_LINK_LINUX_SLL2,
                               MS_LINK_NULL, MS_LINK_RAW, MS_LINK_IPV4, MS_LINK_IPV6 };
  GRand *rand = g_rand_new_with_seed (20240601);
  MsIpDefrag *d = ms_ip_defrag_new (64 * 1024);
  GPtrArray *seeds = g_ptr_array_new_with_free_func ((GDestroyNotify) g_byte_array_unref);
  GByteArray *inner;

  g_ptr_array_add (seeds, eth_wrap (tags, 1, 0x0800,
                                    ipv4_wrap (6, 1, 0, 4, tcp_seg (1, 2, 3, 4, 0, 8, "abc", 3))));
  g_ptr_array_add (seeds, ipv4_wrap (17, 9, 0x2000, 0, udp_dgram (1, 2, "fragment", 8)));
  g_ptr_array_add (seeds, ipv4_wrap (17, 9, 0x0002, 0, udp_dgram (1, 2, "fragment", 8)));
  inner = g_byte_array_new ();
  put8 (inner, 44);
  put8 (inner, 0);
  put_zero (inner, 6);
  put8 (inner, 6);
  put8 (inner, 0);
  put16 (inner, 1);
  put32 (inner, 3);
  put_ba (inner, tcp_seg (1, 2, 3, 4, 0, 0, "sixteen bytes..", 16));
  g_ptr_array_add (seeds, ipv6_wrap (0, inner));

  for (guint round = 0; round < 20000; round++)
    {
      GByteArray *seed = seeds->pdata[g_rand_int_range (rand, 0, (gint32) seeds->len)];
      guint8 *copy = g_memdup2 (seed->data, seed->len);
      guint32 caplen = (guint32) g_rand_int_range (rand, 0, (gint32) seed->len + 1);
      guint changes = (guint) g_rand_int_range (rand, 1, 5);
      MsFrame f = frame_of (seed, links[g_rand_int_range (rand, 0, G_N_ELEMENTS (links))]);
      MsPacket pkt;

      for (guint k = 0; k < changes; k++)
        copy[g_rand_int_range (rand, 0, (gint32) seed->len)] = (guint8) g_rand_int (rand);
      f.data = copy;
      f.caplen = caplen;
      if (g_rand_boolean (rand))
        f.len = (guint32) g_rand_int_range (rand, 0, 70000);
      ms_packet_decode (&f, round % 2 ? d : NULL, &pkt);
      assert_sane (&f, &pkt);
      ms_packet_clear (&pkt);
      g_free (copy);
    }
  g_ptr_array_unref (seeds);
  ms_ip_defrag_free (d);
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/packet/ethernet-vlan-ipv4-tcp", test_ethernet_vlan_ipv4_tcp);
  g_test_add_func ("/packet/ethernet-padding", test_ethernet_padding);
  g_test_add_func ("/packet/sll", test_sll);
  g_test_add_func ("/packet/sll2", test_sll2);
  g_test_add_func ("/packet/null-loop", test_null_loop);
  g_test_add_func ("/packet/raw-ipv6-ext", test_raw_ipv6_ext);
  g_test_add_func ("/packet/ipv6-ext-other", test_ipv6_ext_other);
  g_test_add_func ("/packet/not-ip", test_not_ip);
  g_test_add_func ("/packet/malformed", test_malformed);
  g_test_add_func ("/packet/ipv4-fragments", test_ipv4_fragments);
  g_test_add_func ("/packet/fragment-overlap", test_fragment_overlap);
  g_test_add_func ("/packet/fragment-bound", test_fragment_bound);
  g_test_add_func ("/packet/ipv6-fragments", test_ipv6_fragments);
  g_test_add_func ("/packet/mutations", test_mutations);
  return g_test_run ();
}
