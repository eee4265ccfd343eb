/* test-dns-corpus.c - the DNS decoder (RFC 1035, 6891, 7766) on third-party
 * captures (tests/dns/data/ATTRIBUTION): every one decodes without crash,
 * DNS over TCP gives the same events under any split, and what it reads
 * agrees with tshark's and tcpdump's decodings of the same files except
 * where a difference is named below and the RFC says who is right. */
#include <string.h>

#include "proto/ms-dns.h"
#include "dns-pcap.h"
#include "dns-test-util.h"

/* --- running the decoder over a capture ------------------------------------ */

typedef struct {
  MsAddr client, server;
  gboolean client_known;
  gboolean decided, is_dns;
  MsDecoder *dec;
  guint32 next_seq[2];
  gboolean seq_known[2];
  guint64 off[2];
} TcpFlow;

typedef struct {
  MsEmitter emitter;
  GPtrArray *events;       /* MsEvent*, in emission order */
  MsDnsPairs *pairs;
  const DnsPkt *cur;       /* packet being decoded */
  MsAddr src, dst;         /* endpoints of the bytes being decoded */
  guint64 seq;
} Run;

static void
run_emit (MsEmitter *self, MsEvent *ev)
{
  Run *run = self->user_data;
  ev->seq = ++run->seq;
  ev->frame = run->cur->frame;
  ev->first_frame = run->cur->frame;
  ev->ts_nsec = run->cur->ts_nsec;
  ev->src = run->src;
  ev->dst = run->dst;
  ms_dns_pairs_process (run->pairs, ev);
  g_ptr_array_add (run->events, ev);
}

/* Ports the harness decodes as DNS besides the decoder's own, as one would
 * tell tshark with -d: suricata-verify's dns-truncated-rname server listens
 * on 1053 and its 16 KiB query (hundreds of questions) is, rightly, too odd
 * for the conservative sniffer. */
static const guint16 harness_ports[] = { 1053, 0 };

static gboolean
is_port (const guint16 *ports, guint16 port)
{
  for (; *ports; ports++)
    if (*ports == port)
      return TRUE;
  return FALSE;
}

static char *
flow_key (const DnsPkt *p)
{
  char a[MS_ADDR_STRLEN], b[MS_ADDR_STRLEN];
  ms_addr_format (&p->src, a, sizeof a);
  ms_addr_format (&p->dst, b, sizeof b);
  return strcmp (a, b) < 0 ? g_strconcat (a, " ", b, NULL) : g_strconcat (b, " ", a, NULL);
}

static void
flow_free (gpointer data)
{
  TcpFlow *f = data;
  ms_decoder_free (f->dec);
  g_free (f);
}

/* Feeds bytes in pieces: mode 0 whole, 1 byte by byte, 2 random sizes. */
static void
feed_split (MsDecoder *dec, MsDir dir, guint64 off, const guint8 *data, gsize len, guint mode)
{
  gsize i = 0;
  while (i < len)
    {
      gsize n = mode == 0 ? len - i : mode == 1 ? 1 : (gsize) g_test_rand_int_range (1, 64);
      n = MIN (n, len - i);
      ms_decoder_feed (dec, dir, off + i, data + i, n);
      i += n;
    }
}

/* A small in-order delivery: retransmitted bytes are dropped, holes become
 * gaps (the captures here are in order; the real reassembler is elsewhere). */
static void
tcp_packet (Run *run, GHashTable *flows, const DnsPkt *p, guint mode)
{
  g_autofree char *key = flow_key (p);
  TcpFlow *f = g_hash_table_lookup (flows, key);
  if (f == NULL)
    {
      f = g_new0 (TcpFlow, 1);
      g_hash_table_insert (flows, g_steal_pointer (&key), f);
    }
  if ((p->tcp_flags & 0x12) == 0x02 && !f->client_known)
    {
      f->client = p->src;
      f->server = p->dst;
      f->client_known = TRUE;
    }
  if (!f->decided && p->len > 0)
    {
      f->decided = TRUE;
      if (is_port (ms_dns_tcp_decoder_class.ports, p->dst.port)
          || is_port (ms_dns_tcp_decoder_class.ports, p->src.port)
          || is_port (harness_ports, p->dst.port) || is_port (harness_ports, p->src.port))
        {
          f->is_dns = TRUE;
          if (!f->client_known)
            {
              gboolean dst_srv = is_port (ms_dns_tcp_decoder_class.ports, p->dst.port)
                                 || is_port (harness_ports, p->dst.port);
              f->client = dst_srv ? p->src : p->dst;
              f->server = dst_srv ? p->dst : p->src;
            }
        }
      else
        {
          f->is_dns = ms_dns_tcp_decoder_class.sniff (MS_DIR_C2S, p->data, p->len) == MS_SNIFF_YES;
          if (!f->client_known)
            {
              f->client = p->src;
              f->server = p->dst;
            }
        }
      f->client_known = TRUE;
      if (f->is_dns)
        f->dec = ms_decoder_new (&ms_dns_tcp_decoder_class, &run->emitter, NULL);
    }
  MsDir dir = ms_addr_equal (&p->src, &f->client) ? MS_DIR_C2S : MS_DIR_S2C;
  guint32 seq = p->seq;
  if (p->tcp_flags & 0x02)
    seq++;
  if (!f->seq_known[dir])
    {
      f->next_seq[dir] = seq;
      f->seq_known[dir] = TRUE;
    }
  if (!f->is_dns || p->len == 0)
    return;
  gint32 delta = (gint32) (seq - f->next_seq[dir]);
  const guint8 *data = p->data;
  gsize len = p->len;
  if (delta < 0)
    {
      if ((gsize) -(gint64) delta >= len)
        return;
      data += -(gint64) delta;
      len -= (gsize) -(gint64) delta;
    }
  else if (delta > 0)
    {
      ms_decoder_gap (f->dec, dir, f->off[dir], (guint64) delta);
      f->off[dir] += (guint64) delta;
    }
  run->cur = p;
  run->src = p->src;
  run->dst = p->dst;
  feed_split (f->dec, dir, f->off[dir], data, len, mode);
  f->off[dir] += len;
  f->next_seq[dir] = p->seq + (p->tcp_flags & 0x02 ? 1 : 0) + (guint32) p->len;
}

/* Decodes every DNS datagram and TCP stream of the packets; returns the
 * events (owned), stamped as a pipeline would and paired. */
static GPtrArray *
run_capture (GPtrArray *pkts, guint mode)
{
  Run run = { 0 };
  run.emitter.emit = run_emit;
  run.emitter.user_data = &run;
  run.events = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_event_unref);
  run.pairs = ms_dns_pairs_new ();
  g_autoptr (GHashTable) flows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, flow_free);

  for (guint i = 0; i < pkts->len; i++)
    {
      const DnsPkt *p = g_ptr_array_index (pkts, i);
      if (p->proto == 17)
        {
          if (!is_port (ms_dns_ports, p->src.port) && !is_port (ms_dns_ports, p->dst.port)
              && !ms_dns_sniff_datagram (p->data, p->len))
            continue;
          run.cur = p;
          run.src = p->src;
          run.dst = p->dst;
          ms_dns_decode_message (&run.emitter, 0, p->data, p->len, p->cut);
        }
      else
        tcp_packet (&run, flows, p, mode);
    }
  if (pkts->len > 0)
    {
      GHashTableIter it;
      TcpFlow *f;
      g_hash_table_iter_init (&it, flows);
      run.cur = g_ptr_array_index (pkts, pkts->len - 1);
      while (g_hash_table_iter_next (&it, NULL, (gpointer *) &f))
        if (f->dec)
          ms_decoder_finish (f->dec);
    }
  ms_dns_pairs_free (run.pairs);
  return run.events;
}

static char *
data_path (const char *rel)
{
  const char *root = g_getenv ("MS_SOURCE_ROOT");
  if (root)
    return g_build_filename (root, "tests", "dns", "data", rel, NULL);
  return g_test_build_filename (G_TEST_DIST, "data", rel, NULL);
}

static GPtrArray *
read_capture (const char *rel)
{
  g_autofree char *path = data_path (rel);
  g_autofree char *err = NULL;
  GPtrArray *pkts = dns_pcap_read (path, &err);
  if (pkts == NULL)
    g_error ("%s: %s", rel, err);
  return pkts;
}

static gint
cmp_strp (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Every capture file under data/captures, relative paths, sorted. */
static GPtrArray *
list_captures (void)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *top = data_path ("captures");
  g_autoptr (GDir) d = g_dir_open (top, 0, NULL);
  g_assert_nonnull (d);
  const char *origin;
  while ((origin = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *sub = g_build_filename (top, origin, NULL);
      g_autoptr (GDir) d2 = g_dir_open (sub, 0, NULL);
      const char *f;
      while (d2 && (f = g_dir_read_name (d2)) != NULL)
        g_ptr_array_add (out, g_build_filename ("captures", origin, f, NULL));
    }
  g_ptr_array_sort (out, cmp_strp);
  return out;
}

static void
assert_event_sane (const MsEvent *ev)
{
  g_assert_cmpint (ev->proto, ==, MS_PROTO_DNS);
  g_assert_true (ev->kind && (strcmp (ev->kind, "query") == 0 || strcmp (ev->kind, "response") == 0));
  g_assert_nonnull (ev->info);
  g_assert_true (g_utf8_validate (ev->info, -1, NULL));
  g_autofree char *js = dns_event_json (ev);
  g_assert_true (g_utf8_validate (js, -1, NULL));
  /* truncated and malformed carry the reason; clean messages carry none */
  g_assert_true (((ev->flags & (MS_EVENT_TRUNCATED | MS_EVENT_MALFORMED)) != 0)
                 == ms_event_has (ev, "problem"));
}

/* --- every capture: no crash, sane events, prefixes ------------------------ */

/* Captures that must give no DNS event: a fuzzed PPP frame (protocol
 * 0x7e08, which tcpdump reaches only by HDLC un-escaping), and a DNS
 * message inside IP protocol 255, which zeek keeps to check that it is not
 * taken for UDP. */
static const char *const no_events_expected[] = {
  "captures/tcpdump/ppp_ip_udp_dns.pcap",
  "captures/zeek/dns__proto255.pcap",
  NULL,
};

static void
test_all_captures (void)
{
  g_autoptr (GPtrArray) files = list_captures ();
  g_assert_cmpuint (files->len, >=, 70);
  guint total = 0;
  for (guint i = 0; i < files->len; i++)
    {
      const char *rel = g_ptr_array_index (files, i);
      g_autoptr (GPtrArray) pkts = read_capture (rel);
      g_autoptr (GPtrArray) evs = run_capture (pkts, 0);
      /* DNS_TEST_DUMP=captures/origin/file.pcap prints the events */
      if (g_strcmp0 (g_getenv ("DNS_TEST_DUMP"), rel) == 0)
        for (guint k = 0; k < evs->len; k++)
          {
            g_autofree char *js = dns_event_json (g_ptr_array_index (evs, k));
            g_printerr ("%s\n", js);
          }
      if (evs->len == 0 && !g_strv_contains (no_events_expected, rel))
        g_error ("no DNS events in %s", rel);
      if (g_strv_contains (no_events_expected, rel))
        g_assert_cmpuint (evs->len, ==, 0);
      for (guint k = 0; k < evs->len; k++)
        assert_event_sane (g_ptr_array_index (evs, k));
      total += evs->len;

      /* Random damage: bytes of each payload overwritten, a few at a time. */
      for (guint k = 0; k < pkts->len; k++)
        {
          const DnsPkt *p = g_ptr_array_index (pkts, k);
          if (p->len == 0 || p->len > 4096)
            continue;
          for (guint round = 0; round < 20; round++)
            {
              g_autofree guint8 *copy = g_memdup2 (p->data, p->len);
              for (guint b = 0; b < 3; b++)
                copy[g_test_rand_int_range (0, (gint32) p->len)] = (guint8) g_test_rand_int_range (0, 256);
              DnsCollect col;
              dns_collect_init (&col);
              ms_dns_decode_message (&col.emitter, 0, copy, p->len, FALSE);
              g_assert_cmpuint (col.events->len, ==, 1);
              assert_event_sane (g_ptr_array_index (col.events, 0));
              dns_collect_clear (&col);
              (void) ms_dns_sniff_datagram (copy, p->len);
            }
        }

      /* Every prefix of every small payload, as if the capture cut it. */
      for (guint k = 0; k < pkts->len; k++)
        {
          const DnsPkt *p = g_ptr_array_index (pkts, k);
          if (p->len > 1500)
            continue;
          for (gsize n = 0; n < p->len; n++)
            {
              DnsCollect col;
              dns_collect_init (&col);
              ms_dns_decode_message (&col.emitter, 0, p->data, n, TRUE);
              g_assert_cmpuint (col.events->len, ==, 1);
              assert_event_sane (g_ptr_array_index (col.events, 0));
              dns_collect_clear (&col);
            }
        }
    }
  g_test_message ("%u events from %u captures", total, files->len);
}

/* The same capture fed whole, byte by byte and in random pieces gives the
 * same JSON, pipeline stamps included (splits stay within a packet). */
static void
test_tcp_splits (void)
{
  static const char *const tcp_captures[] = {
    "captures/tcpdump/dns_tcp.pcap",
    "captures/tcpdump/dns_tcp_8053.pcap",
    "captures/arkime/dns-tcp.pcap",
    "captures/suricata-verify/dns__dns-tcp-multirequest-buffer__dns-tcp-multirequest-buffer.pcap",
    "captures/suricata-verify/dns__dns-tcp-www-google-com__dns.pcap",
    "captures/suricata-verify/dns-reversed-tcp-1__dns.pcap",
    "captures/suricata-verify/dns-tcp-ts-gap__input.pcap",
    "captures/zeek/dns-inverse-query.pcap",
    "captures/zeek/dns__long-connection.pcap",
  };
  for (guint i = 0; i < G_N_ELEMENTS (tcp_captures); i++)
    {
      g_autoptr (GPtrArray) pkts = read_capture (tcp_captures[i]);
      g_autoptr (GPtrArray) evs = run_capture (pkts, 0);
      DnsCollect whole = { .events = evs };
      g_autoptr (GPtrArray) want = dns_collect_json (&whole);
      g_assert_cmpuint (want->len, >, 0);
      for (guint mode = 1; mode <= 2; mode++)
        for (guint round = 0; round < (mode == 2 ? 10u : 1u); round++)
          {
            g_autoptr (GPtrArray) evs2 = run_capture (pkts, mode);
            DnsCollect c2 = { .events = evs2 };
            g_autoptr (GPtrArray) got = dns_collect_json (&c2);
            dns_assert_same_json (want, got);
          }
    }
}

/* --- comparison with tshark ------------------------------------------------ */

/* tshark's columns, in the order of the .tsv header. */
enum {
  TS_FRAME, TS_UDP_STREAM, TS_TCP_STREAM, TS_ID, TS_RESPONSE, TS_OPCODE, TS_RCODE,
  TS_TC, TS_QNAME, TS_QTYPE, TS_RNAME, TS_RTYPE, TS_N
};

static const char *
opcode_number (const char *name)
{
  static const char *const names[][2] = {
    { "QUERY", "0" }, { "IQUERY", "1" }, { "STATUS", "2" }, { "NOTIFY", "4" },
    { "UPDATE", "5" }, { "DSO", "6" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (strcmp (names[i][0], name) == 0)
      return names[i][1];
  return g_str_has_prefix (name, "OPCODE") ? name + 6 : "?";
}

static guint
rcode_number (const char *name)
{
  static const char *const names[] = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN",
    "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI", "", "", "", "", "BADVERS",
    "BADKEY", "BADTIME", "BADMODE", "BADNAME", "BADALG", "BADTRUNC", "BADCOOKIE",
  };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (names[i][0] && strcmp (names[i], name) == 0)
      return i;
  g_assert_true (g_str_has_prefix (name, "RCODE"));
  return (guint) g_ascii_strtoull (name + 5, NULL, 10);
}

static guint
type_number (const char *name)
{
  static const struct {
    const char *n;
    guint v;
  } names[] = {
    { "A", 1 }, { "NS", 2 }, { "CNAME", 5 }, { "SOA", 6 }, { "NULL", 10 }, { "PTR", 12 },
    { "HINFO", 13 }, { "MX", 15 }, { "TXT", 16 }, { "AAAA", 28 }, { "LOC", 29 },
    { "SRV", 33 }, { "NAPTR", 35 }, { "DNAME", 39 }, { "OPT", 41 }, { "DS", 43 },
    { "SSHFP", 44 }, { "RRSIG", 46 }, { "NSEC", 47 }, { "DNSKEY", 48 }, { "NSEC3", 50 },
    { "TLSA", 52 }, { "SVCB", 64 }, { "HTTPS", 65 }, { "SPF", 99 }, { "TKEY", 249 },
    { "TSIG", 250 }, { "IXFR", 251 }, { "AXFR", 252 }, { "ANY", 255 }, { "URI", 256 },
    { "CAA", 257 }, { "SIG", 24 }, { "KEY", 25 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (strcmp (names[i].n, name) == 0)
      return names[i].v;
  g_assert_true (g_str_has_prefix (name, "TYPE"));
  return (guint) g_ascii_strtoull (name + 4, NULL, 10);
}

/* Undoes the \DDD and \X escapes of a name, for comparing with tshark,
 * which prints label bytes as they are. */
static char *
unescape_name (const char *s)
{
  if (strcmp (s, ".") == 0)
    return g_strdup ("<Root>");
  GString *out = g_string_new (NULL);
  for (const char *p = s; *p; p++)
    {
      if (*p == '\\' && g_ascii_isdigit (p[1]) && g_ascii_isdigit (p[2]) && g_ascii_isdigit (p[3]))
        {
          g_string_append_c (out, (char) ((p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0')));
          p += 3;
        }
      else if (*p == '\\' && p[1])
        g_string_append_c (out, *++p);
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

/* What this decoder says about one frame, in tshark's terms. */
typedef struct {
  GString *id, *response, *opcode, *rcode, *tc, *qname, *qtype;
  guint n_questions, n_rrs;
  gboolean damaged;      /* some message truncated or malformed */
  gboolean first;
} FrameView;

static void
join (GString *s, gboolean first, const char *v)
{
  if (!first)
    g_string_append_c (s, ',');
  g_string_append (s, v);
}

static void
view_add (FrameView *v, const MsEvent *ev)
{
  char buf[32];
  gboolean first = v->id->len == 0;
  g_snprintf (buf, sizeof buf, "0x%04x", (guint) ms_event_get_int (ev, "id", 0));
  join (v->id, first, buf);
  gboolean resp = ms_event_get_bool (ev, "response");
  join (v->response, first, resp ? "1" : "0");
  join (v->opcode, first, opcode_number (ms_event_get_str (ev, "opcode")));
  join (v->tc, first, ms_event_get_bool (ev, "tc") ? "1" : "0");
  if (resp)
    {
      /* tshark's dns.flags.rcode is the header's 4 bits; ours adds the
       * EDNS extension (RFC 6891 6.1.3), so compare the low bits here. */
      g_snprintf (buf, sizeof buf, "%u", rcode_number (ms_event_get_str (ev, "rcode")) & 0xf);
      join (v->rcode, v->rcode->len == 0, buf);
    }
  if (ms_event_has (ev, "qname"))
    {
      g_autofree char *n = unescape_name (ms_event_get_str (ev, "qname"));
      join (v->qname, v->qname->len == 0, n);
      g_snprintf (buf, sizeof buf, "%u", type_number (ms_event_get_str (ev, "qtype")));
      join (v->qtype, v->qtype->len == 0, buf);
    }
  v->n_questions += ms_event_has (ev, "qcount") ? (guint) ms_event_get_int (ev, "qcount", 0)
                                                : (guint) ms_event_has (ev, "qname");
  v->n_rrs += (guint) (ms_event_get_int (ev, "ancount", 0) + ms_event_get_int (ev, "nscount", 0)
                       + ms_event_get_int (ev, "arcount", 0));
  if (ev->flags & (MS_EVENT_TRUNCATED | MS_EVENT_MALFORMED))
    v->damaged = TRUE;
}

static guint
count_items (const char *s)
{
  if (s[0] == '\0')
    return 0;
  g_auto (GStrv) parts = g_strsplit (s, ",", -1);
  return g_strv_length (parts);
}

static gint
cmp_uint (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;
  return x < y ? -1 : x > y;
}

/* Compares one capture with its tshark dump; returns the differences, one
 * per line, "frame N: what: ours | tshark". */
static char *
compare_tshark (const char *capture, const char *tsv)
{
  g_autoptr (GPtrArray) pkts = read_capture (capture);
  g_autoptr (GPtrArray) evs = run_capture (pkts, 0);
  g_autofree char *path = data_path (tsv);
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  GString *diff = g_string_new (NULL);

  /* group our events by frame */
  g_autoptr (GHashTable) frames = g_hash_table_new (g_direct_hash, g_direct_equal);
  for (guint i = 0; i < evs->len; i++)
    {
      MsEvent *ev = g_ptr_array_index (evs, i);
      GPtrArray *l = g_hash_table_lookup (frames, GUINT_TO_POINTER (ev->frame));
      if (l == NULL)
        {
          l = g_ptr_array_new ();
          g_hash_table_insert (frames, GUINT_TO_POINTER (ev->frame), l);
        }
      g_ptr_array_add (l, ev);
    }

  g_autoptr (GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  for (guint li = 1; lines[li]; li++)
    {
      if (lines[li][0] == '\0')
        continue;
      g_auto (GStrv) col = g_strsplit (lines[li], "|", -1);
      if (g_strv_length (col) < TS_N)
        continue;
      guint frame = (guint) g_ascii_strtoull (col[TS_FRAME], NULL, 10);
      g_hash_table_add (seen, GUINT_TO_POINTER (frame));
      GPtrArray *l = g_hash_table_lookup (frames, GUINT_TO_POINTER (frame));
      if (l == NULL)
        {
          g_string_append_printf (diff, "frame %u: missing\n", frame);
          continue;
        }
      FrameView v = { g_string_new (NULL), g_string_new (NULL), g_string_new (NULL),
                      g_string_new (NULL), g_string_new (NULL), g_string_new (NULL),
                      g_string_new (NULL), 0, 0, FALSE, TRUE };
      for (guint k = 0; k < l->len; k++)
        view_add (&v, g_ptr_array_index (l, k));
#define CMP(what, ours, theirs)                                                   \
      if (strcmp ((ours), (theirs)) != 0)                                         \
        g_string_append_printf (diff, "frame %u: %s: %s | %s\n", frame, what, ours, theirs)
      CMP ("id", v.id->str, col[TS_ID]);
      CMP ("response", v.response->str, col[TS_RESPONSE]);
      CMP ("opcode", v.opcode->str, col[TS_OPCODE]);
      if (!v.damaged)
        {
          CMP ("rcode", v.rcode->str, col[TS_RCODE]);
          CMP ("tc", v.tc->str, col[TS_TC]);
          /* tshark lists every question; we name the first of each message */
          if (v.n_questions == l->len)
            {
              CMP ("qname", v.qname->str, col[TS_QNAME]);
              CMP ("qtype", v.qtype->str, col[TS_QTYPE]);
            }
          char a[16], b[16];
          g_snprintf (a, sizeof a, "%u", v.n_questions);
          g_snprintf (b, sizeof b, "%u", count_items (col[TS_QTYPE]));
          CMP ("questions", a, b);
          g_snprintf (a, sizeof a, "%u", v.n_rrs);
          g_snprintf (b, sizeof b, "%u", count_items (col[TS_RNAME]));
          CMP ("records", a, b);
        }
      else
        for (guint k = 0; k < l->len; k++)
          {
            const MsEvent *ev = g_ptr_array_index (l, k);
            if (ev->flags & (MS_EVENT_TRUNCATED | MS_EVENT_MALFORMED))
              g_string_append_printf (diff, "frame %u: %s %s\n", frame,
                                      ev->flags & MS_EVENT_TRUNCATED ? "truncated" : "malformed",
                                      ms_event_get_str (ev, "problem"));
          }
#undef CMP
      g_string_free (v.id, TRUE);
      g_string_free (v.response, TRUE);
      g_string_free (v.opcode, TRUE);
      g_string_free (v.rcode, TRUE);
      g_string_free (v.tc, TRUE);
      g_string_free (v.qname, TRUE);
      g_string_free (v.qtype, TRUE);
    }
  GHashTableIter it;
  gpointer k, val;
  g_hash_table_iter_init (&it, frames);
  g_autoptr (GArray) extra = g_array_new (FALSE, FALSE, sizeof (guint));
  while (g_hash_table_iter_next (&it, &k, &val))
    {
      if (!g_hash_table_contains (seen, k))
        {
          guint f = GPOINTER_TO_UINT (k);
          g_array_append_val (extra, f);
        }
      g_ptr_array_free (val, TRUE);
    }
  g_array_sort (extra, cmp_uint);
  for (guint i = 0; i < extra->len; i++)
    g_string_append_printf (diff, "frame %u: extra\n", g_array_index (extra, guint, i));
  return g_string_free (diff, FALSE);
}

/* Where this decoder and tshark 4.0.17 differ, and why ours is right. A
 * malformed/truncated line is a message where we stop (tshark's dump has
 * no column for that, but it reports [Malformed Packet] on each of them). */
static const struct {
  const char *capture;
  const char *line;
} tshark_differences[] = {
  /* The query's first name is a pointer to a later offset. RFC 1035 4.1.4
   * only lets a pointer refer to a prior occurrence; like tcpdump we call it
   * malformed, where tshark follows it and shows "codemonkey.net" twice. */
  { "captures/suricata-verify/dns__dns-forward-pointer__input.pcap",
    "frame 1: malformed forward-pointer" },
  /* A junk request: counts far beyond the 66 bytes, and a forward pointer
   * (tshark: [Malformed Packet] too). */
  { "captures/suricata-verify/dns-udp-junkrequest-first__input.pcap",
    "frame 1: malformed forward-pointer" },
  /* The OPT record's rdlength runs past the datagram (tshark: [Malformed
   * Packet] as well). */
  { "captures/suricata-verify/dns__dns-corrupt-additionals__input.pcap",
    "frame 2: malformed rdata-overrun" },
  /* tshark 4.0 files the owner of SRV records under dns.srv.* instead of
   * dns.resp.name, so its dump lists 1 record where the header and we count
   * 2 answers + 1 additional. */
  { "captures/suricata-verify/dns__dns-udp-eve-log-srv__input.pcap",
    "frame 2: records: 3 | 1" },
  /* Crafted 63 KB datagrams of labels and pointers: one name grows past
   * 255 octets (RFC 1035 3.1; tshark: <Name too long>), the other points
   * forwards (tcpdump: <BAD PTR>). */
  { "captures/tcpdump/dns-badlabel.pcap", "frame 1: malformed name-too-long" },
  { "captures/tcpdump/dns_fwdptr.pcap", "frame 1: malformed forward-pointer" },
  /* Snapshot length 98: the capture cut the response; tshark: "Packet size
   * limited during capture". */
  { "captures/tcpdump/dns_udp_2.pcap", "frame 2: truncated truncated" },
  /* An EDNS option whose length runs past the OPT rdata (RFC 6891 6.1.2);
   * zeek logs it as a weird, tshark as [Malformed Packet]. */
  { "captures/zeek/dns__dns-edns-bad-length.pcap", "frame 1: malformed bad-opt" },
  /* Names cut short inside the datagram, and a pointer to itself; tshark
   * shows "<Name contains a pointer that loops>" for the second. */
  { "captures/zeek/dns__dns-invalid-names.pcap", "frame 1: malformed short-question" },
  { "captures/zeek/dns__dns-invalid-names.pcap", "frame 2: malformed pointer-loop" },
  { "captures/zeek/dns__dns-invalid-names.pcap", "frame 3: malformed short-question" },
  /* IP fragments: this test's packet reader does not reassemble IP (the
   * capture library does), so these responses are not seen here. */
  { "captures/zeek/dns-edns-ecs.pcap", "frame 54: missing" },
  { "captures/zeek/dns-edns-ecs.pcap", "frame 59: missing" },
  { "captures/zeek/dns-edns-ecs.pcap", "frame 63: missing" },
  { "captures/zeek/dns-edns-ecs.pcap", "frame 85: missing" },
  { "captures/zeek/ipv6-fragmented-dns.pcap", "frame 8: missing" },
};

static void
test_tshark (void)
{
  g_autofree char *dir = data_path ("tshark");
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  const char *f;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  while ((f = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (f, ".dns.tsv"))
      g_ptr_array_add (names, g_strdup (f));
  g_ptr_array_sort (names, cmp_strp);
  g_assert_cmpuint (names->len, >=, 60);
  GString *all = g_string_new (NULL);
  for (guint i = 0; i < names->len; i++)
    {
      const char *tsv = g_ptr_array_index (names, i);
      g_autofree char *base = g_strndup (tsv, strlen (tsv) - strlen (".dns.tsv"));
      char *sep = strstr (base, "__");
      *sep = '\0';
      g_autofree char *capture = g_build_filename ("captures", base, sep + 2, NULL);
      g_autofree char *tsv_rel = g_build_filename ("tshark", tsv, NULL);
      g_autofree char *diff = compare_tshark (capture, tsv_rel);
      g_autoptr (GString) want = g_string_new (NULL);
      for (guint k = 0; k < G_N_ELEMENTS (tshark_differences); k++)
        if (strcmp (tshark_differences[k].capture, capture) == 0)
          g_string_append_printf (want, "%s\n", tshark_differences[k].line);
      if (strcmp (diff, want->str) != 0)
        g_string_append_printf (all, "== %s\n-- got:\n%s-- expected:\n%s", capture, diff,
                                want->str);
    }
  if (all->len)
    g_printerr ("%s", all->str);
  g_assert_cmpuint (all->len, ==, 0);
  g_string_free (all, TRUE);
}

/* --- comparison with tcpdump ----------------------------------------------- */

/* The first event of a frame, or NULL. */
static const MsEvent *
event_of_frame (GPtrArray *evs, guint32 frame)
{
  for (guint i = 0; i < evs->len; i++)
    {
      const MsEvent *ev = g_ptr_array_index (evs, i);
      if (ev->frame == frame)
        return ev;
    }
  return NULL;
}

/* tcpdump's one-line DNS summaries (print-domain.c): "ID[flags] TYPE? name.
 * (len)" for queries, "ID[flags] [Rcode[flags]] an/ns/ar ..." for
 * responses. Every line that has one must agree with our event of that
 * frame on id, question, rcode and section counts. */
static void
test_tcpdump (void)
{
  static const struct {
    const char *out, *capture;
  } files[] = {
    { "tcpdump/dns_udp.out", "captures/tcpdump/dns_udp.pcap" },
    { "tcpdump/dns_tcp.out", "captures/tcpdump/dns_tcp.pcap" },
    { "tcpdump/dns-badvers.out", "captures/tcpdump/dns-badvers.pcap" },
    { "tcpdump/dns-badcookie.out", "captures/tcpdump/dns-badcookie.pcap" },
    { "tcpdump/dns-uri.out", "captures/tcpdump/dns-uri.pcap" },
    { "tcpdump/edns-opts.out", "captures/tcpdump/edns-opts.pcap" },
  };
  g_autoptr (GRegex) line_re = g_regex_new (
    "^\\s*(\\d+)\\s.*?(?:: |length \\d+ )(\\d+)[-+*|$%]*( .*)$", 0, 0, NULL);
  g_autoptr (GRegex) q_re = g_regex_new ("^(?: \\[[^]]*\\])* (\\S+)\\? (\\S+) \\(\\d+\\)$", 0, 0, NULL);
  g_autoptr (GRegex) r_re = g_regex_new ("^(?: ([A-Za-z]+)[-+*|$%]*)? (\\d+)/(\\d+)/(\\d+)", 0, 0, NULL);
  guint checked = 0;

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr (GPtrArray) pkts = read_capture (files[i].capture);
      g_autoptr (GPtrArray) evs = run_capture (pkts, 0);
      g_autofree char *path = data_path (files[i].out);
      g_autofree char *text = NULL;
      g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
      g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
      for (guint li = 0; lines[li]; li++)
        {
          g_autoptr (GMatchInfo) m = NULL;
          if (!g_regex_match (line_re, lines[li], 0, &m))
            continue;
          g_autofree char *frame_s = g_match_info_fetch (m, 1);
          g_autofree char *id_s = g_match_info_fetch (m, 2);
          g_autofree char *rest = g_match_info_fetch (m, 3);
          guint32 frame = (guint32) g_ascii_strtoull (frame_s, NULL, 10);
          const MsEvent *ev = event_of_frame (evs, frame);
          g_assert_nonnull (ev);
          g_assert_cmpint (ms_event_get_int (ev, "id", -1), ==, g_ascii_strtoll (id_s, NULL, 10));
          g_autoptr (GMatchInfo) qm = NULL;
          g_autoptr (GMatchInfo) rm = NULL;
          if (g_regex_match (q_re, rest, 0, &qm))
            {
              g_autofree char *qtype = g_match_info_fetch (qm, 1);
              g_autofree char *qname = g_match_info_fetch (qm, 2);
              g_assert_false (ms_event_get_bool (ev, "response"));
              g_assert_cmpstr (ms_event_get_str (ev, "qtype"), ==, qtype);
              if (strcmp (qname, ".") != 0)
                qname[strlen (qname) - 1] = '\0';  /* tcpdump ends names with a dot */
              g_assert_cmpstr (ms_event_get_str (ev, "qname"), ==, qname);
              checked++;
            }
          else if (g_regex_match (r_re, rest, 0, &rm))
            {
              g_autofree char *rcode = g_match_info_fetch (rm, 1);
              g_assert_true (ms_event_get_bool (ev, "response"));
              /* tcpdump names the EDNS-extended rcode (BadVers, BadCookie:
               * RFC 6891 6.1.3, RFC 7873) as we do; tshark's rcode column
               * shows only the header's 4 bits (0 for both). */
              if (rcode && rcode[0])
                g_assert_cmpint (g_ascii_strcasecmp (ms_event_get_str (ev, "rcode"), rcode), ==, 0);
              else
                g_assert_cmpstr (ms_event_get_str (ev, "rcode"), ==, "NOERROR");
              static const char *const counts[] = { "ancount", "nscount", "arcount" };
              for (guint k = 0; k < 3; k++)
                {
                  g_autofree char *n = g_match_info_fetch (rm, 2 + (gint) k);
                  g_assert_cmpint (ms_event_get_int (ev, counts[k], -1), ==,
                                   g_ascii_strtoll (n, NULL, 10));
                }
              checked++;
            }
        }
    }
  g_assert_cmpuint (checked, ==, 58);  /* every DNS line of the six files */
}

/* tcpdump marks the three zlip datagrams "[length 0 < 12] (invalid)": no
 * DNS header at all. */
static void
test_zlip (void)
{
  for (guint i = 1; i <= 3; i++)
    {
      g_autofree char *rel = g_strdup_printf ("captures/tcpdump/dns-zlip-%u.pcap", i);
      g_autoptr (GPtrArray) pkts = read_capture (rel);
      g_autoptr (GPtrArray) evs = run_capture (pkts, 0);
      g_assert_cmpuint (evs->len, ==, 1);
      const MsEvent *ev = g_ptr_array_index (evs, 0);
      g_assert_cmpuint (ev->flags, ==, MS_EVENT_MALFORMED);
      g_assert_cmpstr (ms_event_get_str (ev, "problem"), ==, "short-header");
    }
}

/* Pairing on real traffic: rtt from the capture's timestamps, and a second
 * response to one query marked as a duplicate (zeek's dns-two-responses;
 * Wireshark calls it a retransmitted response). */
static void
test_pairing (void)
{
  g_autoptr (GPtrArray) p1 = read_capture ("captures/tcpdump/dns_udp.pcap");
  g_autoptr (GPtrArray) e1 = run_capture (p1, 0);
  g_assert_cmpuint (e1->len, ==, 2);
  const MsEvent *r = g_ptr_array_index (e1, 1);
  g_assert_cmpint (ms_event_get_int (r, "query_frame", 0), ==, 1);
  /* 09:19:54.870361 - 09:19:54.740079 */
  g_assert_cmpfloat_with_epsilon (ms_event_get (r, "rtt")->v.d, 0.130282, 1e-6);

  g_autoptr (GPtrArray) p2 = read_capture ("captures/zeek/dns-two-responses.pcap");
  g_autoptr (GPtrArray) e2 = run_capture (p2, 0);
  g_assert_cmpuint (e2->len, ==, 3);
  const MsEvent *a = g_ptr_array_index (e2, 1);
  const MsEvent *b = g_ptr_array_index (e2, 2);
  g_assert_cmpint (ms_event_get_int (a, "query_frame", 0), ==, 1);
  g_assert_false (ms_event_has (a, "duplicate"));
  g_assert_cmpint (ms_event_get_int (b, "query_frame", 0), ==, 1);
  g_assert_true (ms_event_get_bool (b, "duplicate"));

  /* DNS over TCP pairs the same way (the pipeline stamps endpoints). */
  g_autoptr (GPtrArray) p3 = read_capture ("captures/tcpdump/dns_tcp.pcap");
  g_autoptr (GPtrArray) e3 = run_capture (p3, 0);
  g_assert_cmpuint (e3->len, ==, 2);
  const MsEvent *t = g_ptr_array_index (e3, 1);
  g_assert_cmpint (t->dir, ==, MS_DIR_S2C);
  g_assert_cmpint (ms_event_get_int (t, "query_frame", 0), ==, 4);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dns/corpus/all", test_all_captures);
  g_test_add_func ("/dns/corpus/tcp-splits", test_tcp_splits);
  g_test_add_func ("/dns/corpus/tshark", test_tshark);
  g_test_add_func ("/dns/corpus/tcpdump", test_tcpdump);
  g_test_add_func ("/dns/corpus/zlip", test_zlip);
  g_test_add_func ("/dns/corpus/pairing", test_pairing);
  return g_test_run ();
}
