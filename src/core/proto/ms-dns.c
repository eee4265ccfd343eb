/* ms-dns.c - DNS message decoder (RFC 1035, 3596 AAAA, 2782 SRV, 6891 EDNS,
 * 8659 CAA, 3597 unknown types): one whole message (a UDP payload or one
 * message of a TCP stream) to one event, and the sniffer for datagrams.
 * Names and rdata are read in ms-dns-wire.c, TCP framing is in
 * ms-dns-tcp.c and query/response pairing in ms-dns-pairs.c. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ms-dns-private.h"

/* --- limits ------------------------------------------------------------ */

/* Answers reported in the `answers` array; `ancount` still gives the total.
 * Keeps one event's JSON small even for a 64 KiB response. */
#define MS_DNS_MAX_ANSWERS 100
/* Questions and records named in the one-line info before "...": a packet
 * list column is read at a glance. */
#define MS_DNS_MAX_INFO_ITEMS 16
/* Questions a plausible query carries (RFC 9619: in practice exactly one;
 * mDNS batches a few). Used only by the sniffers. */
#define MS_DNS_MAX_SNIFF_QUESTIONS 4

/* RFC 6891 6.1.1: the EDNS pseudo-record. */
#define MS_DNS_TYPE_OPT 41

/* --- tables -------------------------------------------------------------- */

const guint16 ms_dns_ports[] = { 53, 5353, 10053, 0 };

typedef struct {
  guint16 code;
  const char *name;
} DnsName;

/* IANA "Resource Record (RR) TYPEs". */
static const DnsName type_names[] = {
  { 1, "A" }, { 2, "NS" }, { 3, "MD" }, { 4, "MF" }, { 5, "CNAME" },
  { 6, "SOA" }, { 7, "MB" }, { 8, "MG" }, { 9, "MR" }, { 10, "NULL" },
  { 11, "WKS" }, { 12, "PTR" }, { 13, "HINFO" }, { 14, "MINFO" },
  { 15, "MX" }, { 16, "TXT" }, { 17, "RP" }, { 18, "AFSDB" }, { 24, "SIG" },
  { 25, "KEY" }, { 28, "AAAA" }, { 29, "LOC" }, { 33, "SRV" },
  { 35, "NAPTR" }, { 36, "KX" }, { 37, "CERT" }, { 39, "DNAME" },
  { 41, "OPT" }, { 42, "APL" }, { 43, "DS" }, { 44, "SSHFP" },
  { 45, "IPSECKEY" }, { 46, "RRSIG" }, { 47, "NSEC" }, { 48, "DNSKEY" },
  { 49, "DHCID" }, { 50, "NSEC3" }, { 51, "NSEC3PARAM" }, { 52, "TLSA" },
  { 53, "SMIMEA" }, { 55, "HIP" }, { 59, "CDS" }, { 60, "CDNSKEY" },
  { 61, "OPENPGPKEY" }, { 62, "CSYNC" }, { 63, "ZONEMD" }, { 64, "SVCB" },
  { 65, "HTTPS" }, { 99, "SPF" }, { 249, "TKEY" }, { 250, "TSIG" },
  { 251, "IXFR" }, { 252, "AXFR" }, { 253, "MAILB" }, { 254, "MAILA" },
  { 255, "ANY" }, { 256, "URI" }, { 257, "CAA" },
};

/* RFC 1035, 1996 (NOTIFY), 2136 (UPDATE), 8490 (DSO). */
static const char *const opcode_names[16] = {
  [0] = "QUERY", [1] = "IQUERY", [2] = "STATUS", [4] = "NOTIFY",
  [5] = "UPDATE", [6] = "DSO",
};
/* The same, as tshark's Info column words them. */
static const char *const opcode_info[16] = {
  [0] = "Standard query", [1] = "Inverse query",
  [2] = "Server status request", [4] = "Zone change notification",
  [5] = "Dynamic update", [6] = "DNS stateful operation",
};

/* IANA "DNS RCODEs"; 16 and up need EDNS (RFC 6891 6.1.3). */
static const struct {
  guint16 code;
  const char *name;
  const char *info;
} rcode_names[] = {
  { 0, "NOERROR", "No error" },
  { 1, "FORMERR", "Format error" },
  { 2, "SERVFAIL", "Server failure" },
  { 3, "NXDOMAIN", "No such name" },
  { 4, "NOTIMP", "Not implemented" },
  { 5, "REFUSED", "Refused" },
  { 6, "YXDOMAIN", "Name exists" },
  { 7, "YXRRSET", "RRset exists" },
  { 8, "NXRRSET", "RRset does not exist" },
  { 9, "NOTAUTH", "Not authoritative" },
  { 10, "NOTZONE", "Name out of zone" },
  { 11, "DSOTYPENI", "DSO-Type not implemented" },
  { 16, "BADVERS", "Bad OPT version" },
  { 17, "BADKEY", "Bad key" },
  { 18, "BADTIME", "Bad time" },
  { 19, "BADMODE", "Bad mode" },
  { 20, "BADNAME", "Duplicate key name" },
  { 21, "BADALG", "Algorithm not supported" },
  { 22, "BADTRUNC", "Bad truncation" },
  { 23, "BADCOOKIE", "Bad cookie" },
};

/* --- small helpers ------------------------------------------------------- */

/* Writes the type's mnemonic, or RFC 3597's TYPEnnn, into buf; returns buf. */
static const char *
type_name (guint16 type, char *buf, gsize size)
{
  for (guint i = 0; i < G_N_ELEMENTS (type_names); i++)
    if (type_names[i].code == type)
      return type_names[i].name;
  g_snprintf (buf, size, "TYPE%u", type);
  return buf;
}

/* "QUERY", …, or OPCODEn (written into buf) for unassigned values. */
static const char *
opcode_name (guint opcode, char *buf, gsize size)
{
  if (opcode < 16 && opcode_names[opcode])
    return opcode_names[opcode];
  g_snprintf (buf, size, "OPCODE%u", opcode);
  return buf;
}

/* "NXDOMAIN", … (or with `info` tshark's wording, "No such name"); unknown
 * values are written into buf. */
static const char *
rcode_name (guint rcode, char *buf, gsize size, gboolean info)
{
  for (guint i = 0; i < G_N_ELEMENTS (rcode_names); i++)
    if (rcode_names[i].code == rcode)
      return info ? rcode_names[i].info : rcode_names[i].name;
  if (info)
    g_snprintf (buf, size, "Unknown error (%u)", rcode);
  else
    g_snprintf (buf, size, "RCODE%u", rcode);
  return buf;
}

/* --- message parsing ----------------------------------------------------- */

typedef enum {
  SEC_QUESTION,
  SEC_ANSWER,
  SEC_AUTHORITY,
  SEC_ADDITIONAL,
} DnsSection;

typedef struct {
  MsCursor c;              /* the whole captured message */
  gboolean capture_cut;    /* the capture holds less than was sent */
  guint flags;             /* MsEventFlags found so far */
  const char *problem;     /* first reason for TRUNCATED/MALFORMED */
  GString *info;           /* the Info line being built */
  guint info_items;
  JsonArray *answers;
  guint n_answers;
  gboolean have_opt;
  guint16 udp_size;
  guint8 ext_rcode;
  guint8 edns_version;
  gboolean edns_do;
  gboolean update;         /* opcode UPDATE: empty rdata is allowed */
} DnsParse;

/* Records why parsing stopped. Running out of bytes is "truncated" when the
 * capture cut the message, otherwise the counts promised more than was
 * sent and the grammar is broken. */
static void
parse_fail (DnsParse *p, gboolean is_short, const char *why)
{
  if (is_short && p->capture_cut)
    p->flags |= MS_EVENT_TRUNCATED;
  else
    p->flags |= MS_EVENT_MALFORMED;
  if (p->problem == NULL)
    p->problem = is_short && p->capture_cut ? "truncated" : why;
}

/* Adds " TYPE text" to the Info line (text NULL: the type alone; "" is the
 * root); past MS_DNS_MAX_INFO_ITEMS only "..." is shown once. */
static void
info_item (DnsParse *p, const char *type, const char *text)
{
  if (p->info_items == MS_DNS_MAX_INFO_ITEMS)
    g_string_append (p->info, " ...");
  p->info_items++;
  if (p->info_items > MS_DNS_MAX_INFO_ITEMS)
    return;
  g_string_append_c (p->info, ' ');
  g_string_append (p->info, type);
  if (text)
    {
      g_string_append_c (p->info, ' ');
      g_string_append (p->info, text[0] ? text : "<Root>");
    }
}

/* Parses one resource record. Returns FALSE when parsing must stop (the
 * framing is lost); bad rdata inside a correct rdlength is flagged
 * malformed but parsing goes on with the next record. */
static gboolean
parse_rr (DnsParse *p, DnsSection section)
{
  g_autoptr (GString) name = g_string_new (NULL);
  const char *why = NULL;
  char tbuf[16];

  NameResult nr = ms_dns_read_name (&p->c, name, &why);
  if (nr != NAME_OK)
    {
      parse_fail (p, nr == NAME_SHORT, nr == NAME_SHORT ? "short-record" : why);
      return FALSE;
    }
  guint16 type = ms_cursor_be16 (&p->c);
  guint16 klass = ms_cursor_be16 (&p->c);
  guint32 ttl = ms_cursor_be32 (&p->c);
  guint16 rdlen = ms_cursor_be16 (&p->c);
  if (p->c.failed)
    {
      parse_fail (p, TRUE, "short-record");
      return FALSE;
    }
  if (rdlen > ms_cursor_left (&p->c))
    {
      p->c.failed = TRUE;
      parse_fail (p, TRUE, "rdata-overrun");
      return FALSE;
    }

  const char *tname = type_name (type, tbuf, sizeof tbuf);
  if (type == MS_DNS_TYPE_OPT)
    {
      /* RFC 6891 6.1.2: owner is the root, class is the UDP payload size,
       * TTL holds the extended rcode, version and the DO bit. */
      if (section != SEC_ADDITIONAL || name->len != 0 || p->have_opt)
        parse_fail (p, FALSE, "misplaced-opt");
      else
        {
          p->have_opt = TRUE;
          p->udp_size = klass;
          p->ext_rcode = (guint8) (ttl >> 24);
          p->edns_version = (guint8) (ttl >> 16);
          p->edns_do = (ttl & 0x8000) != 0;
        }
      /* RFC 6891 6.1.2: the options must exactly fill the rdata. */
      MsCursor o = p->c;
      o.size = p->c.pos + rdlen;
      while (ms_cursor_left (&o) > 0)
        {
          ms_cursor_be16 (&o);
          ms_cursor_skip (&o, ms_cursor_be16 (&o));
        }
      if (o.failed)
        parse_fail (p, FALSE, "bad-opt");
      p->c.pos += rdlen;
      info_item (p, tname, NULL);
      return TRUE;
    }

  MsCursor r = p->c;
  r.size = p->c.pos + rdlen;  /* names inside may point back anywhere */
  g_autoptr (GString) data = g_string_new (NULL);
  g_autoptr (GString) brief = g_string_new (NULL);
  if (rdlen == 0 && p->update)
    ;  /* RFC 2136 2.5.2-2.5.4: "delete an RRset" carries no rdata */
  else if (!ms_dns_format_rdata (&r, type, rdlen, data, brief) || r.pos != r.size)
    {
      parse_fail (p, FALSE, "bad-rdata");
      g_string_printf (data, "\\# %u", rdlen);
      g_string_truncate (brief, 0);
    }
  p->c.pos += rdlen;

  info_item (p, tname, brief->len ? brief->str : NULL);
  if (section == SEC_ANSWER && p->n_answers++ < MS_DNS_MAX_ANSWERS)
    {
      JsonObject *o = json_object_new ();
      json_object_set_string_member (o, "name", name->len ? name->str : ".");
      json_object_set_string_member (o, "type", tname);
      json_object_set_int_member (o, "ttl", ttl);
      json_object_set_string_member (o, "data", data->str);
      json_array_add_object_element (p->answers, o);
    }
  return TRUE;
}

/* Decodes one message into a new event (never NULL); see ms-dns.h.
 *
 * Fields: id, response, opcode ("QUERY"…), rcode (responses; "NOERROR"…,
 * EDNS-extended when an OPT record is present), qname/qtype of the first
 * question (names without the final dot, the root as "."), qcount when
 * there are several, aa/tc/rd/ra when set, ancount/nscount/arcount as in
 * the header, answers (array of {name, type, ttl, data}, data in zone-file
 * form: "10 mail.example.", quoted TXT strings, RFC 3597 "\# len hex" for
 * other types), edns_udp_size/edns_version/edns_do from OPT, and problem
 * (a token: truncated, short-header, short-question, short-record,
 * rdata-overrun, bad-rdata, bad-opt, misplaced-opt, forward-pointer,
 * pointer-loop, too-many-pointers, label-too-long, name-too-long) when the
 * event is truncated or malformed. */
MsEvent *
ms_dns_build_event (guint64 offset, const guint8 *data, gsize len, gboolean truncated)
{
  DnsParse p = { 0 };
  char b1[32], b2[32];

  ms_cursor_init (&p.c, data, len);
  p.capture_cut = truncated;
  guint16 id = ms_cursor_be16 (&p.c);
  guint16 hflags = ms_cursor_be16 (&p.c);
  guint16 counts[4];
  for (guint i = 0; i < 4; i++)
    counts[i] = ms_cursor_be16 (&p.c);

  MsCursor peek;
  ms_cursor_init (&peek, data, len);
  ms_cursor_skip (&peek, 2);
  gboolean qr = (ms_cursor_u8 (&peek) & 0x80) != 0;  /* a query when too short */
  MsEvent *ev = ms_event_new (MS_PROTO_DNS, qr ? MS_DIR_S2C : MS_DIR_C2S,
                              qr ? "response" : "query");
  ms_event_set_range (ev, offset, len);
  if (len >= 2)
    ms_event_add_int (ev, "id", id);
  ms_event_add_bool (ev, "response", qr);

  if (p.c.failed)
    {
      parse_fail (&p, TRUE, "short-header");
      ev->flags |= p.flags;
      ms_event_add_str (ev, "problem", p.problem);
      ms_event_set_infof (ev, "%s%s", qr ? "DNS response" : "DNS",
                          p.flags & MS_EVENT_TRUNCATED ? " [truncated]" : " [malformed]");
      return ev;
    }

  guint opcode = (hflags >> 11) & 0xf;
  guint rcode = hflags & 0xf;
  ms_event_add_str (ev, "opcode", opcode_name (opcode, b1, sizeof b1));
  p.update = opcode == 5;

  p.info = g_string_new (NULL);
  if (opcode < 16 && opcode_info[opcode])
    g_string_append (p.info, opcode_info[opcode]);
  else
    g_string_append_printf (p.info, "Unknown operation (%u)", opcode);
  g_string_append_printf (p.info, "%s 0x%04x", qr ? " response" : "", id);
  gsize rcode_at = p.info->len;  /* the rcode text goes here once EDNS is known */

  /* Questions. */
  g_autoptr (GString) qname = g_string_new (NULL);
  guint16 qtype = 0;
  gboolean have_q = FALSE;
  for (guint i = 0; i < counts[0] && !p.c.failed; i++)
    {
      g_autoptr (GString) n = g_string_new (NULL);
      const char *why = NULL;
      NameResult nr = ms_dns_read_name (&p.c, n, &why);
      if (nr != NAME_OK)
        {
          parse_fail (&p, nr == NAME_SHORT, nr == NAME_SHORT ? "short-question" : why);
          break;
        }
      guint16 t = ms_cursor_be16 (&p.c);
      ms_cursor_be16 (&p.c);  /* class */
      if (p.c.failed)
        {
          parse_fail (&p, TRUE, "short-question");
          break;
        }
      if (!have_q)
        {
          g_string_assign (qname, n->str);
          qtype = t;
          have_q = TRUE;
        }
      info_item (&p, type_name (t, b2, sizeof b2), n->str);
    }

  /* Records: answers are reported; the others are parsed so that problems
   * anywhere in the message are seen and OPT is found. */
  p.answers = json_array_new ();
  static const DnsSection sections[] = { SEC_ANSWER, SEC_AUTHORITY, SEC_ADDITIONAL };
  for (guint s = 0; s < 3; s++)
    for (guint i = 0; i < counts[s + 1] && !p.c.failed; i++)
      if (!parse_rr (&p, sections[s]))
        break;

  guint full_rcode = rcode | (p.have_opt ? (guint) p.ext_rcode << 4 : 0);
  if (qr && full_rcode != 0)
    {
      g_autofree char *t = g_strdup_printf (" %s", rcode_name (full_rcode, b2, sizeof b2, TRUE));
      g_string_insert (p.info, rcode_at, t);
    }
  if (qr)
    ms_event_add_str (ev, "rcode", rcode_name (full_rcode, b2, sizeof b2, FALSE));
  if (have_q)
    {
      ms_event_add_str (ev, "qname", qname->len ? qname->str : ".");
      ms_event_add_str (ev, "qtype", type_name (qtype, b2, sizeof b2));
    }
  if (counts[0] > 1)
    ms_event_add_int (ev, "qcount", counts[0]);
  if (hflags & 0x0400)
    ms_event_add_bool (ev, "aa", TRUE);
  if (hflags & 0x0200)
    ms_event_add_bool (ev, "tc", TRUE);
  if (hflags & 0x0100)
    ms_event_add_bool (ev, "rd", TRUE);
  if (hflags & 0x0080)
    ms_event_add_bool (ev, "ra", TRUE);
  ms_event_add_int (ev, "ancount", counts[1]);
  ms_event_add_int (ev, "nscount", counts[2]);
  ms_event_add_int (ev, "arcount", counts[3]);
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (node, p.answers);
  ms_event_add_node (ev, "answers", node);
  if (p.have_opt)
    {
      ms_event_add_int (ev, "edns_udp_size", p.udp_size);
      if (p.edns_version != 0)
        ms_event_add_int (ev, "edns_version", p.edns_version);
      if (p.edns_do)
        ms_event_add_bool (ev, "edns_do", TRUE);
    }
  if (p.problem)
    ms_event_add_str (ev, "problem", p.problem);
  if (p.flags & MS_EVENT_TRUNCATED)
    g_string_append (p.info, " [truncated]");
  else if (p.flags & MS_EVENT_MALFORMED)
    g_string_append (p.info, " [malformed]");
  ev->flags |= p.flags;
  ms_event_take_info (ev, g_string_free (p.info, FALSE));
  return ev;
}

void
ms_dns_decode_message (MsEmitter *emitter, guint64 offset,
                       const guint8 *data, gsize len, gboolean truncated)
{
  ms_emit (emitter, ms_dns_build_event (offset, data, len, truncated));
}

/* Header checks shared by both sniffers: FALSE unless opcode, rcode and
 * counts look like a real message of msg_len bytes. */
gboolean
ms_dns_sniff_header (const guint8 *h, gsize msg_len)
{
  MsCursor c;
  ms_cursor_init (&c, h, MS_DNS_HEADER_LEN);
  ms_cursor_be16 (&c);
  guint16 flags = ms_cursor_be16 (&c);
  guint16 qd = ms_cursor_be16 (&c);
  guint32 an = ms_cursor_be16 (&c);
  guint32 ns = ms_cursor_be16 (&c);
  guint32 ar = ms_cursor_be16 (&c);
  if (c.failed)
    return FALSE;
  guint opcode = (flags >> 11) & 0xf;
  if (opcode != 0 && opcode != 4 && opcode != 5)
    return FALSE;
  if ((flags & 0x8000) == 0 && (flags & 0xf) != 0)
    return FALSE;  /* a query carries no rcode */
  if (qd < 1 || qd > MS_DNS_MAX_SNIFF_QUESTIONS)
    return FALSE;
  /* Smallest question: root name + type + class = 5; smallest RR: 11. */
  guint64 need = MS_DNS_HEADER_LEN + (guint64) qd * 5 + (an + ns + ar) * 11;
  return need <= msg_len;
}

/* NetBIOS name service (RFC 1002, UDP 137) borrows the DNS format; its
 * names start with one 32-octet label of the letters A-P (RFC 1001 14.1). */
static gboolean
is_netbios_name (MsCursor c)
{
  if (ms_cursor_u8 (&c) != 32)
    return FALSE;
  const guint8 *l = ms_cursor_bytes (&c, 32);
  for (guint i = 0; l && i < 32; i++)
    if (l[i] < 'A' || l[i] > 'P')
      return FALSE;
  return l != NULL;
}

gboolean
ms_dns_sniff_datagram (const guint8 *data, gsize len)
{
  if (data == NULL || len < MS_DNS_HEADER_LEN || !ms_dns_sniff_header (data, len))
    return FALSE;
  MsCursor c;
  ms_cursor_init (&c, data, len);
  ms_cursor_skip (&c, MS_DNS_HEADER_LEN);
  MsCursor name_start = c;
  g_autoptr (GString) n = g_string_new (NULL);
  const char *why = NULL;
  if (ms_dns_read_name (&c, n, &why) != NAME_OK)
    return FALSE;
  ms_cursor_skip (&c, 4);
  return !c.failed && !is_netbios_name (name_start);
}
