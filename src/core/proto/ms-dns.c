/* ms-dns.c - DNS message decoder (RFC 1035, 3596 AAAA, 2782 SRV, 6891 EDNS,
 * 8659 CAA, 3597 unknown types) for UDP datagrams and TCP streams (RFC 1035
 * 4.2.2 / RFC 7766 length-prefixed framing), and query/response pairing. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ms-dns.h"
#include "mailscope/ms-cursor.h"

/* --- limits ------------------------------------------------------------ */

/* RFC 1035 3.1: a name is at most 255 octets on the wire, length octets
 * and the final root label included. */
#define MS_DNS_MAX_NAME 255
/* RFC 1035 3.1: labels are at most 63 octets (the top two bits of the
 * length octet select the label type). */
#define MS_DNS_MAX_LABEL 63
/* A 255-octet name holds at most 127 labels; a sane encoder never needs
 * more pointers than labels, so more hops means a crafted chain. Pointers
 * must also move strictly backwards, which alone rules out loops. */
#define MS_DNS_MAX_POINTER_HOPS 127
/* RFC 1035 4.1.1: the fixed header. */
#define MS_DNS_HEADER_LEN 12
/* Answers reported in the `answers` array; `ancount` still gives the total.
 * Keeps one event's JSON small even for a 64 KiB response. */
#define MS_DNS_MAX_ANSWERS 100
/* Questions and records named in the one-line info before "...": a packet
 * list column is read at a glance. */
#define MS_DNS_MAX_INFO_ITEMS 16
/* Rdata of types without a decoder is shown in hex (RFC 3597) up to this
 * many octets; longer rdata only shows its length. */
#define MS_DNS_MAX_HEX_RDATA 64
/* Questions a plausible query carries (RFC 9619: in practice exactly one;
 * mDNS batches a few). Used only by the sniffers. */
#define MS_DNS_MAX_SNIFF_QUESTIONS 4

/* RFC 6891 6.1.1: the EDNS pseudo-record. */
#define MS_DNS_TYPE_OPT 41

/* --- tables -------------------------------------------------------------- */

const guint16 ms_dns_ports[] = { 53, 5353, 10053, 0 };
static const guint16 dns_tcp_ports[] = { 53, 10053, 0 };

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

/* Appends one label in dig's presentation form: the characters that are
 * special in zone files behind a backslash, everything outside printable
 * ASCII as \DDD, so the result is always valid UTF-8 and reversible. */
static void
append_label (GString *out, const guint8 *p, gsize n)
{
  for (gsize i = 0; i < n; i++)
    {
      guint8 b = p[i];
      if (b <= 0x20 || b >= 0x7f)
        g_string_append_printf (out, "\\%03u", b);
      else if (strchr (".\\\"()@$;", b))
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) b);
        }
      else
        g_string_append_c (out, (char) b);
    }
}

/* Appends a TXT/CAA character-string in double quotes (RFC 1035 5.1). */
static void
append_quoted (GString *out, const guint8 *p, gsize n)
{
  g_string_append_c (out, '"');
  for (gsize i = 0; i < n; i++)
    {
      guint8 b = p[i];
      if (b < 0x20 || b >= 0x7f)
        g_string_append_printf (out, "\\%03u", b);
      else if (b == '"' || b == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) b);
        }
      else
        g_string_append_c (out, (char) b);
    }
  g_string_append_c (out, '"');
}

/* RFC 5952 text form of an IPv6 address. */
static void
append_ipv6 (GString *out, const guint8 *a)
{
  guint16 w[8];
  int best = -1, best_len = 0;
  for (int i = 0; i < 8; i++)
    w[i] = (guint16) ((a[2 * i] << 8) | a[2 * i + 1]);
  for (int i = 0; i < 8;)
    {
      int j = i;
      while (j < 8 && w[j] == 0)
        j++;
      if (j - i > best_len && j - i >= 2)
        {
          best = i;
          best_len = j - i;
        }
      i = j > i ? j : i + 1;
    }
  for (int i = 0; i < 8; i++)
    {
      if (i == best)
        {
          g_string_append (out, "::");
          i += best_len - 1;
          continue;
        }
      if (i > 0 && i != best + best_len)
        g_string_append_c (out, ':');
      g_string_append_printf (out, "%x", w[i]);
    }
}

/* --- names --------------------------------------------------------------- */

typedef enum {
  NAME_OK,
  NAME_SHORT,  /* ran out of bytes */
  NAME_BAD,    /* grammar broken; *why says how */
} NameResult;

/* Reads the (possibly compressed) name at c->pos, appending its labels
 * joined by dots (no trailing dot; the root is empty) to out, and moves c
 * past the name as stored at this position. c->base must be the whole
 * message, since pointers are offsets from its start. A pointer must point
 * before the start of the label sequence that contains it (tcpdump's rule),
 * so every jump moves strictly backwards and loops are impossible. Fails
 * (SHORT, or BAD with *why) with c failed. */
static NameResult
read_name (MsCursor *c, GString *out, const char **why)
{
  MsCursor walk = *c;
  gsize seq_start = walk.pos;
  gsize wire_len = 1;  /* the root label's length octet */
  guint hops = 0;
  gboolean jumped = FALSE;
  gboolean first = TRUE;

  for (;;)
    {
      gsize at = walk.pos;
      guint8 len = ms_cursor_u8 (&walk);
      if (walk.failed)
        goto short_read;
      if ((len & 0xc0) == 0xc0)
        {
          guint8 lo = ms_cursor_u8 (&walk);
          if (walk.failed)
            goto short_read;
          gsize target = ((gsize) (len & 0x3f) << 8) | lo;
          if (!jumped)
            c->pos = walk.pos;
          jumped = TRUE;
          if (target >= seq_start)
            {
              *why = target > at ? "forward-pointer" : "pointer-loop";
              goto bad;
            }
          if (++hops > MS_DNS_MAX_POINTER_HOPS)
            {
              *why = "too-many-pointers";
              goto bad;
            }
          walk.pos = target;
          seq_start = target;
          continue;
        }
      if (len > MS_DNS_MAX_LABEL)
        {
          /* 0x40: RFC 6891's deprecated extended labels; 0x80: reserved. */
          *why = "label-too-long";
          goto bad;
        }
      if (len == 0)
        break;
      wire_len += 1 + (gsize) len;
      if (wire_len > MS_DNS_MAX_NAME)
        {
          *why = "name-too-long";
          goto bad;
        }
      const guint8 *p = ms_cursor_bytes (&walk, len);
      if (p == NULL)
        goto short_read;
      if (!first)
        g_string_append_c (out, '.');
      first = FALSE;
      append_label (out, p, len);
    }
  if (!jumped)
    c->pos = walk.pos;
  return NAME_OK;

short_read:
  c->failed = TRUE;
  return NAME_SHORT;
bad:
  c->failed = TRUE;
  return NAME_BAD;
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

/* Appends a name found inside rdata, zone-file style (trailing dot). */
static gboolean
rdata_name (MsCursor *r, GString *data, GString *brief)
{
  const char *why = NULL;
  gsize start = data->len;
  if (read_name (r, data, &why) != NAME_OK)
    return FALSE;
  if (brief)
    g_string_append (brief, data->str + start);
  g_string_append_c (data, '.');
  return TRUE;
}

/* Formats rdata (the cursor r ends where the rdata ends) into data, and
 * into brief the short form tshark shows in its Info column. Returns FALSE
 * when the rdata does not fit its type's grammar. */
static gboolean
format_rdata (MsCursor *r, guint16 type, gsize rdlen, GString *data, GString *brief)
{
  switch (type)
    {
    case 1: /* A */
      {
        const guint8 *a = rdlen == 4 ? ms_cursor_bytes (r, 4) : NULL;
        if (a == NULL)
          return FALSE;
        g_string_append_printf (data, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
        g_string_append (brief, data->str);
        return TRUE;
      }
    case 28: /* AAAA */
      {
        const guint8 *a = rdlen == 16 ? ms_cursor_bytes (r, 16) : NULL;
        if (a == NULL)
          return FALSE;
        append_ipv6 (data, a);
        g_string_append (brief, data->str);
        return TRUE;
      }
    case 2: /* NS */
    case 5: /* CNAME */
    case 12: /* PTR */
    case 39: /* DNAME */
      return rdata_name (r, data, brief);
    case 15: /* MX */
      {
        guint16 pref = ms_cursor_be16 (r);
        if (r->failed)
          return FALSE;
        g_string_append_printf (data, "%u ", pref);
        g_string_append (brief, data->str);
        return rdata_name (r, data, brief);
      }
    case 33: /* SRV */
      {
        guint16 prio = ms_cursor_be16 (r);
        guint16 weight = ms_cursor_be16 (r);
        guint16 port = ms_cursor_be16 (r);
        if (r->failed)
          return FALSE;
        g_string_append_printf (data, "%u %u %u ", prio, weight, port);
        g_string_append (brief, data->str);
        return rdata_name (r, data, brief);
      }
    case 6: /* SOA */
      {
        if (!rdata_name (r, data, brief))
          return FALSE;
        g_string_append_c (data, ' ');
        if (!rdata_name (r, data, NULL))
          return FALSE;
        guint32 v[5];
        for (guint i = 0; i < 5; i++)
          v[i] = ms_cursor_be32 (r);
        if (r->failed)
          return FALSE;
        g_string_append_printf (data, " %u %u %u %u %u", v[0], v[1], v[2], v[3], v[4]);
        return TRUE;
      }
    case 16: /* TXT */
    case 99: /* SPF */
      while (ms_cursor_left (r) > 0)
        {
          guint8 n = ms_cursor_u8 (r);
          const guint8 *s = ms_cursor_bytes (r, n);
          if (s == NULL)
            return FALSE;
          if (data->len)
            g_string_append_c (data, ' ');
          append_quoted (data, s, n);
        }
      return TRUE;
    case 257: /* CAA, RFC 8659 4.1 */
      {
        guint8 flags = ms_cursor_u8 (r);
        guint8 taglen = ms_cursor_u8 (r);
        const guint8 *tag = ms_cursor_bytes (r, taglen);
        if (tag == NULL || taglen == 0)
          return FALSE;
        gsize vlen = ms_cursor_left (r);
        const guint8 *val = ms_cursor_bytes (r, vlen);
        g_string_append_printf (data, "%u ", flags);
        append_label (data, tag, taglen);
        g_string_append_c (data, ' ');
        append_quoted (data, val, vlen);
        return TRUE;
      }
    default:
      {
        /* RFC 3597 generic form: \# length hex. */
        const guint8 *b = ms_cursor_bytes (r, rdlen);
        if (b == NULL)
          return FALSE;
        g_string_append_printf (data, "\\# %" G_GSIZE_FORMAT, rdlen);
        if (rdlen > 0 && rdlen <= MS_DNS_MAX_HEX_RDATA)
          {
            g_string_append_c (data, ' ');
            for (gsize i = 0; i < rdlen; i++)
              g_string_append_printf (data, "%02x", b[i]);
          }
        return TRUE;
      }
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

  NameResult nr = read_name (&p->c, name, &why);
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
  else if (!format_rdata (&r, type, rdlen, data, brief) || r.pos != r.size)
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
static MsEvent *
dns_build_event (guint64 offset, const guint8 *data, gsize len, gboolean truncated)
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
      NameResult nr = read_name (&p.c, n, &why);
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
  ms_emit (emitter, dns_build_event (offset, data, len, truncated));
}

/* Header checks shared by both sniffers: FALSE unless opcode, rcode and
 * counts look like a real message of msg_len bytes. */
static gboolean
sniff_header (const guint8 *h, gsize msg_len)
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
  if (data == NULL || len < MS_DNS_HEADER_LEN || !sniff_header (data, len))
    return FALSE;
  MsCursor c;
  ms_cursor_init (&c, data, len);
  ms_cursor_skip (&c, MS_DNS_HEADER_LEN);
  MsCursor name_start = c;
  g_autoptr (GString) n = g_string_new (NULL);
  const char *why = NULL;
  if (read_name (&c, n, &why) != NAME_OK)
    return FALSE;
  ms_cursor_skip (&c, 4);
  return !c.failed && !is_netbios_name (name_start);
}

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
  MsEvent *ev = dns_build_event (d->msg_offset, d->msg ? d->msg : empty, d->have,
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
  return header && sniff_header (header, msg_len) ? MS_SNIFF_YES : MS_SNIFF_NO;
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

/* --- pairing ------------------------------------------------------------- */

/* A query seen, keyed by id and its endpoints as the query travelled. */
typedef struct {
  guint16 id;
  MsAddr client, server;
  guint32 frame;
  gint64 ts_nsec;
  gboolean answered;
  GList link;   /* in MsDnsPairs.order, oldest first */
} DnsPending;

struct _MsDnsPairs {
  GHashTable *pending;  /* DnsPending* -> itself */
  GQueue order;
};

static guint
pending_hash (gconstpointer key)
{
  const DnsPending *p = key;
  return p->id ^ (ms_addr_hash (&p->client) * 31) ^ (ms_addr_hash (&p->server) * 17);
}

static gboolean
pending_equal (gconstpointer a, gconstpointer b)
{
  const DnsPending *x = a, *y = b;
  return x->id == y->id && ms_addr_equal (&x->client, &y->client)
         && ms_addr_equal (&x->server, &y->server);
}

static void
pending_drop (MsDnsPairs *pairs, DnsPending *p)
{
  g_queue_unlink (&pairs->order, &p->link);
  g_hash_table_remove (pairs->pending, p);
  g_free (p);
}

MsDnsPairs *
ms_dns_pairs_new (void)
{
  MsDnsPairs *pairs = g_new0 (MsDnsPairs, 1);
  pairs->pending = g_hash_table_new (pending_hash, pending_equal);
  g_queue_init (&pairs->order);
  return pairs;
}

/* Queries are remembered (a repeat of an unanswered query replaces it, so
 * the rtt is measured from the copy the server most likely answered);
 * responses get rtt and query_frame. A later response to an already answered
 * query is marked `duplicate: true` (as Wireshark marks a retransmitted
 * response) and still carries query_frame and rtt. */
void
ms_dns_pairs_process (MsDnsPairs *pairs, MsEvent *ev)
{
  if (ev->proto != MS_PROTO_DNS || !ms_event_has (ev, "id"))
    return;
  DnsPending key = { 0 };
  key.id = (guint16) ms_event_get_int (ev, "id", 0);
  gboolean response = ms_event_get_bool (ev, "response");
  key.client = response ? ev->dst : ev->src;
  key.server = response ? ev->src : ev->dst;
  DnsPending *p = g_hash_table_lookup (pairs->pending, &key);

  if (!response)
    {
      if (p)
        pending_drop (pairs, p);
      if (g_hash_table_size (pairs->pending) >= MS_DNS_MAX_PENDING)
        pending_drop (pairs, pairs->order.head->data);
      p = g_new0 (DnsPending, 1);
      *p = key;
      p->frame = ev->frame;
      p->ts_nsec = ev->ts_nsec;
      p->link.data = p;
      g_queue_push_tail_link (&pairs->order, &p->link);
      g_hash_table_add (pairs->pending, p);
      return;
    }
  if (p == NULL)
    return;
  ms_event_add_double (ev, "rtt", (double) (ev->ts_nsec - p->ts_nsec) / 1e9);
  ms_event_add_int (ev, "query_frame", p->frame);
  if (p->answered)
    ms_event_add_bool (ev, "duplicate", TRUE);
  p->answered = TRUE;
}

void
ms_dns_pairs_free (MsDnsPairs *pairs)
{
  if (pairs == NULL)
    return;
  GList *l;
  while ((l = g_queue_pop_head_link (&pairs->order)) != NULL)
    g_free (l->data);
  g_hash_table_destroy (pairs->pending);
  g_free (pairs);
}
