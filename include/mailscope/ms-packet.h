/* ms-packet.h - link, IP, UDP and TCP decoding of one frame.
 *
 * Every read is bounds checked (see ms-cursor.h). A frame that ends early is
 * marked truncated, one whose headers contradict themselves is marked
 * malformed; both still yield the layers that could be read. */
#pragma once

#include <glib.h>
#include "ms-types.h"
#include "ms-source.h"

G_BEGIN_DECLS

typedef enum {
  MS_LAYER_FRAME,
  MS_LAYER_ETHERNET,
  MS_LAYER_VLAN,
  MS_LAYER_SLL,
  MS_LAYER_SLL2,
  MS_LAYER_NULL,      /* BSD / OpenBSD loopback header */
  MS_LAYER_IPV4,
  MS_LAYER_IPV6,
  MS_LAYER_IPV6_EXT,  /* one extension header */
  MS_LAYER_UDP,
  MS_LAYER_TCP,
  MS_LAYER_PAYLOAD,
} MsLayerType;

typedef struct {
  MsLayerType type;
  guint32 offset;     /* within the frame's captured bytes */
  guint32 length;     /* header length as read (may exceed caplen if truncated) */
} MsLayer;

#define MS_PACKET_MAX_LAYERS 16

enum {
  MS_TCP_FIN = 0x01,
  MS_TCP_SYN = 0x02,
  MS_TCP_RST = 0x04,
  MS_TCP_PSH = 0x08,
  MS_TCP_ACK = 0x10,
  MS_TCP_URG = 0x20,
};

typedef enum {
  MS_PACKET_TRUNCATED = 1 << 0,   /* caplen ran out inside a header/payload */
  MS_PACKET_MALFORMED = 1 << 1,   /* a header breaks the grammar or lengths lie */
  MS_PACKET_FRAGMENT  = 1 << 2,   /* an IPv4/IPv6 fragment (not the reassembled whole) */
  MS_PACKET_REASSEMBLED = 1 << 3, /* payload is a reassembled IP datagram */
  MS_PACKET_BAD_LINK  = 1 << 4,   /* unsupported link type or ethertype */
} MsPacketFlags;

typedef struct {
  guint flags;              /* MsPacketFlags */
  MsLayer layers[MS_PACKET_MAX_LAYERS];
  guint n_layers;

  guint8 ip_version;        /* 0, 4 or 6 */
  guint8 ip_proto;          /* 6 TCP, 17 UDP, … */
  MsAddr src, dst;          /* with ports once UDP/TCP was read */

  /* TCP, valid when ip_proto == 6 and the header was read */
  guint32 seq, ack;
  guint8 tcp_flags;
  guint16 window;

  /* Transport payload: within the frame, or within `owned` for a
   * reassembled datagram. payload_len counts only captured bytes;
   * payload_wire_len is what the headers claim. */
  const guint8 *payload;
  guint32 payload_len;
  guint32 payload_wire_len;
  guint32 payload_offset;   /* in the frame; G_MAXUINT32 when reassembled */

  guint8 *owned;            /* freed by ms_packet_clear */
} MsPacket;

typedef struct _MsIpDefrag MsIpDefrag;

/* IPv4/IPv6 fragment reassembly. Holds at most `max_bytes` of pending
 * fragments in total; older incomplete datagrams are dropped first. */
MsIpDefrag *ms_ip_defrag_new (gsize max_bytes);
void        ms_ip_defrag_free (MsIpDefrag *d);

/* Decodes `frame`. With a defragmenter, a fragment that completes a datagram
 * yields the reassembled transport header and payload (flag REASSEMBLED);
 * other fragments yield flag FRAGMENT and no transport layer. Never fails:
 * problems are flags. Call ms_packet_clear afterwards. */
void ms_packet_decode (const MsFrame *frame, MsIpDefrag *defrag, MsPacket *pkt);
void ms_packet_clear (MsPacket *pkt);

const char *ms_layer_name (MsLayerType type);

G_END_DECLS
