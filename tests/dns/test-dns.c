/* test-dns.c - unit tests of the DNS decoder (RFC 1035, 3596, 2782, 6891)
 * on hand-built messages: record types, name compression and its abuse,
 * truncation, DNS over TCP framing under every split, sniffers, pairing. */
#include <string.h>

#include "proto/ms-dns.h"
#include "dns-test-util.h"
#include "addr-test-util.h"

/* --- building messages --------------------------------------------------- */

static void
put8 (GByteArray *m, guint v)
{
  guint8 b = (guint8) v;
  g_byte_array_append (m, &b, 1);
}

static void
put16 (GByteArray *m, guint v)
{
  put8 (m, v >> 8);
  put8 (m, v);
}

static void
put32 (GByteArray *m, guint32 v)
{
  put16 (m, v >> 16);
  put16 (m, v & 0xffff);
}

/* Writes "a.b.c" as labels ending with the root label. */
static void
put_name (GByteArray *m, const char *name)
{
  g_auto (GStrv) labels = g_strsplit (name, ".", -1);
  for (guint i = 0; labels[i]; i++)
    {
      gsize n = strlen (labels[i]);
      if (n == 0)
        continue;
      put8 (m, (guint) n);
      g_byte_array_append (m, (const guint8 *) labels[i], (guint) n);
    }
  put8 (m, 0);
}

static void
put_ptr (GByteArray *m, guint off)
{
  put16 (m, 0xc000 | off);
}

static GByteArray *
msg_new (guint id, guint flags, guint qd, guint an, guint ns, guint ar)
{
  GByteArray *m = g_byte_array_new ();
  put16 (m, id);
  put16 (m, flags);
  put16 (m, qd);
  put16 (m, an);
  put16 (m, ns);
  put16 (m, ar);
  return m;
}

/* Starts an RR whose owner is a pointer to `owner`; returns the offset of
 * its rdlength, to be fixed by rr_end. */
static guint
rr_begin (GByteArray *m, guint owner, guint type, guint32 ttl)
{
  put_ptr (m, owner);
  put16 (m, type);
  put16 (m, 1);
  put32 (m, ttl);
  guint at = m->len;
  put16 (m, 0);
  return at;
}

static void
rr_end (GByteArray *m, guint at)
{
  guint len = m->len - at - 2;
  m->data[at] = (guint8) (len >> 8);
  m->data[at + 1] = (guint8) len;
}

#define QR 0x8000
#define AA 0x0400
#define TC 0x0200
#define RD 0x0100
#define RA 0x0080

/* A query for imap.mailscope.test; the name sits at offset 12. */
static GByteArray *
query_msg (guint id, guint qtype)
{
  GByteArray *m = msg_new (id, RD, 1, 0, 0, 0);
  put_name (m, "imap.mailscope.test");
  put16 (m, qtype);
  put16 (m, 1);
  return m;
}

/* A response with one record of every decoded type (and two others). */
static GByteArray *
big_response (void)
{
  GByteArray *m = msg_new (0x1a2b, QR | AA | RD | RA, 1, 11, 1, 1);
  guint at;
  put_name (m, "imap.mailscope.test");  /* offset 12 */
  put16 (m, 1);
  put16 (m, 1);

  at = rr_begin (m, 12, 1, 300);        /* A */
  put8 (m, 127); put8 (m, 0); put8 (m, 0); put8 (m, 1);
  rr_end (m, at);
  at = rr_begin (m, 12, 28, 300);       /* AAAA 2001:db8::1 */
  put16 (m, 0x2001); put16 (m, 0xdb8);
  for (guint i = 0; i < 5; i++)
    put16 (m, 0);
  put16 (m, 1);
  rr_end (m, at);
  at = rr_begin (m, 12, 5, 60);         /* CNAME mail.mailscope.test. */
  put8 (m, 4);
  g_byte_array_append (m, (const guint8 *) "mail", 4);
  put_ptr (m, 17);                      /* "mailscope.test" */
  rr_end (m, at);
  at = rr_begin (m, 17, 15, 60);        /* MX 10 mail.example. */
  put16 (m, 10);
  put_name (m, "mail.example");
  rr_end (m, at);
  at = rr_begin (m, 12, 33, 60);        /* SRV 0 1 143 imap.mailscope.test. */
  put16 (m, 0); put16 (m, 1); put16 (m, 143);
  put_ptr (m, 12);
  rr_end (m, at);
  at = rr_begin (m, 12, 16, 60);        /* TXT, two strings */
  put8 (m, 7);
  g_byte_array_append (m, (const guint8 *) "v=spf1 ", 7);
  put8 (m, 7);
  g_byte_array_append (m, (const guint8 *) "say \"hi", 7);
  rr_end (m, at);
  at = rr_begin (m, 12, 12, 60);        /* PTR */
  put_name (m, "host.example");
  rr_end (m, at);
  at = rr_begin (m, 17, 2, 60);         /* NS */
  put_name (m, "ns1.example");
  rr_end (m, at);
  at = rr_begin (m, 17, 65280, 60);     /* private type: generic form */
  put8 (m, 0xab); put8 (m, 0xcd); put8 (m, 0xef);
  rr_end (m, at);
  at = rr_begin (m, 17, 257, 60);       /* CAA 0 issue "ca.example" */
  put8 (m, 0); put8 (m, 5);
  g_byte_array_append (m, (const guint8 *) "issueca.example", 15);
  rr_end (m, at);
  at = rr_begin (m, 17, 43, 60);        /* DS: named type without decoder */
  put16 (m, 12345); put8 (m, 8); put8 (m, 2);
  rr_end (m, at);
  /* authority: SOA */
  at = rr_begin (m, 17, 6, 3600);
  put_name (m, "ns1.example");
  put_name (m, "hostmaster.example");
  put32 (m, 2024010101); put32 (m, 7200); put32 (m, 900); put32 (m, 1209600);
  put32 (m, 300);
  rr_end (m, at);
  /* additional: OPT */
  put8 (m, 0);
  put16 (m, 41);
  put16 (m, 1232);
  put32 (m, 0x00008000);
  put16 (m, 0);
  return m;
}

/* --- helpers --------------------------------------------------------------- */

static MsEvent *
decode1 (GByteArray *m, gboolean truncated)
{
  DnsCollect col;
  dns_collect_init (&col);
  ms_dns_decode_message (&col.emitter, 0, m->data, m->len, truncated);
  g_assert_cmpuint (col.events->len, ==, 1);
  MsEvent *ev = ms_event_ref (g_ptr_array_index (col.events, 0));
  dns_collect_clear (&col);
  return ev;
}

static const char *
answer_str (MsEvent *ev, guint i, const char *member)
{
  const MsField *f = ms_event_get (ev, "answers");
  g_assert_nonnull (f);
  g_assert_cmpint (f->type, ==, MS_VAL_NODE);
  JsonArray *a = json_node_get_array (f->v.node);
  g_assert_cmpuint (i, <, json_array_get_length (a));
  return json_object_get_string_member (json_array_get_object_element (a, i), member);
}

static guint
answer_count (MsEvent *ev)
{
  const MsField *f = ms_event_get (ev, "answers");
  g_assert_nonnull (f);
  return json_array_get_length (json_node_get_array (f->v.node));
}

/* --- tests ----------------------------------------------------------------- */

static void
test_query (void)
{
  g_autoptr (GByteArray) m = query_msg (0x1a2b, 1);
  g_autoptr (MsEvent) ev = decode1 (m, FALSE);
  g_assert_cmpstr (ev->kind, ==, "query");
  g_assert_cmpint (ev->proto, ==, MS_PROTO_DNS);
  g_assert_cmpint (ev->dir, ==, MS_DIR_C2S);
  g_assert_cmpuint (ev->flags, ==, 0);
  g_assert_cmpstr (ev->info, ==, "Standard query 0x1a2b A imap.mailscope.test");
  g_assert_cmpint (ms_event_get_int (ev, "id", -1), ==, 0x1a2b);
  g_assert_false (ms_event_get_bool (ev, "response"));
  g_assert_true (ms_event_has (ev, "response"));
  g_assert_cmpstr (ms_event_get_str (ev, "opcode"), ==, "QUERY");
  g_assert_false (ms_event_has (ev, "rcode"));
  g_assert_cmpstr (ms_event_get_str (ev, "qname"), ==, "imap.mailscope.test");
  g_assert_cmpstr (ms_event_get_str (ev, "qtype"), ==, "A");
  g_assert_false (ms_event_has (ev, "qcount"));
  g_assert_true (ms_event_get_bool (ev, "rd"));
  g_assert_false (ms_event_has (ev, "tc"));
  g_assert_cmpuint (answer_count (ev), ==, 0);
  g_assert_cmpuint (ev->offset, ==, 0);
  g_assert_cmpuint (ev->length, ==, m->len);
}

static void
test_types (void)
{
  g_autoptr (GByteArray) m = big_response ();
  g_autoptr (MsEvent) ev = decode1 (m, FALSE);
  g_assert_cmpstr (ev->kind, ==, "response");
  g_assert_cmpint (ev->dir, ==, MS_DIR_S2C);
  g_assert_cmpuint (ev->flags, ==, 0);
  g_assert_cmpstr (ms_event_get_str (ev, "rcode"), ==, "NOERROR");
  g_assert_true (ms_event_get_bool (ev, "aa"));
  g_assert_cmpint (ms_event_get_int (ev, "ancount", -1), ==, 11);
  g_assert_cmpint (ms_event_get_int (ev, "nscount", -1), ==, 1);
  g_assert_cmpint (ms_event_get_int (ev, "arcount", -1), ==, 1);
  g_assert_cmpint (ms_event_get_int (ev, "edns_udp_size", -1), ==, 1232);
  g_assert_true (ms_event_get_bool (ev, "edns_do"));
  g_assert_cmpuint (answer_count (ev), ==, 11);

  static const char *const want[][3] = {
    { "imap.mailscope.test", "A", "127.0.0.1" },
    { "imap.mailscope.test", "AAAA", "2001:db8::1" },
    { "imap.mailscope.test", "CNAME", "mail.mailscope.test." },
    { "mailscope.test", "MX", "10 mail.example." },
    { "imap.mailscope.test", "SRV", "0 1 143 imap.mailscope.test." },
    { "imap.mailscope.test", "TXT", "\"v=spf1 \" \"say \\\"hi\"" },
    { "imap.mailscope.test", "PTR", "host.example." },
    { "mailscope.test", "NS", "ns1.example." },
    { "mailscope.test", "TYPE65280", "\\# 3 abcdef" },
    { "mailscope.test", "CAA", "0 issue \"ca.example\"" },
    { "mailscope.test", "DS", "\\# 4 30390802" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      g_assert_cmpstr (answer_str (ev, i, "name"), ==, want[i][0]);
      g_assert_cmpstr (answer_str (ev, i, "type"), ==, want[i][1]);
      g_assert_cmpstr (answer_str (ev, i, "data"), ==, want[i][2]);
    }
  const MsField *f = ms_event_get (ev, "answers");
  JsonObject *o = json_array_get_object_element (json_node_get_array (f->v.node), 0);
  g_assert_cmpint (json_object_get_int_member (o, "ttl"), ==, 300);
  g_assert_cmpstr (ev->info, ==,
                   "Standard query response 0x1a2b A imap.mailscope.test A 127.0.0.1 "
                   "AAAA 2001:db8::1 CNAME mail.mailscope.test MX 10 mail.example "
                   "SRV 0 1 143 imap.mailscope.test TXT PTR host.example "
                   "NS ns1.example TYPE65280 CAA DS SOA ns1.example OPT");
}

static void
test_ipv6_text (void)
{
  static const struct {
    guint16 w[8];
    const char *text;
  } cases[] = {
    { { 0, 0, 0, 0, 0, 0, 0, 1 }, "::1" },
    { { 0, 0, 0, 0, 0, 0, 0, 0 }, "::" },
    { { 0x2001, 0xdb8, 0, 1, 0, 0, 0, 1 }, "2001:db8:0:1::1" },
    { { 0x2001, 0xdb8, 0, 0, 1, 0, 0, 1 }, "2001:db8::1:0:0:1" },
    { { 0xfe80, 0, 0, 0, 0, 0, 0, 0 }, "fe80::" },
  };
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      g_autoptr (GByteArray) m = msg_new (1, QR, 1, 1, 0, 0);
      put_name (m, "v6.test");
      put16 (m, 28);
      put16 (m, 1);
      guint at = rr_begin (m, 12, 28, 1);
      for (guint i = 0; i < 8; i++)
        put16 (m, cases[k].w[i]);
      rr_end (m, at);
      g_autoptr (MsEvent) ev = decode1 (m, FALSE);
      g_assert_cmpstr (answer_str (ev, 0, "data"), ==, cases[k].text);
    }
}

static void
test_nxdomain (void)
{
  g_autoptr (GByteArray) m = msg_new (0xa9ba, QR | RD | RA | 3, 1, 0, 1, 0);
  put_name (m, "no.such.test");
  put16 (m, 1);
  put16 (m, 1);
  guint at = rr_begin (m, 15, 6, 900);
  put_name (m, "ns.test");
  put_ptr (m, 0x0c + 13);   /* a pointer into the record itself, backwards */
  for (guint i = 0; i < 5; i++)
    put32 (m, i);
  rr_end (m, at);
  g_autoptr (MsEvent) ev = decode1 (m, FALSE);
  g_assert_cmpuint (ev->flags, ==, 0);
  g_assert_cmpstr (ms_event_get_str (ev, "rcode"), ==, "NXDOMAIN");
  g_assert_cmpstr (ev->info, ==,
                   "Standard query response 0xa9ba No such name A no.such.test SOA ns.test");
  g_assert_cmpuint (answer_count (ev), ==, 0);
}

static void
test_opcodes_and_rcodes (void)
{
  static const struct {
    guint flags;
    const char *opcode, *rcode, *info_start;
  } cases[] = {
    { 0, "QUERY", NULL, "Standard query 0x0007 " },
    { 1 << 11, "IQUERY", NULL, "Inverse query 0x0007 " },
    { 2 << 11, "STATUS", NULL, "Server status request 0x0007 " },
    { QR | 4 << 11, "NOTIFY", "NOERROR", "Zone change notification response 0x0007 " },
    { QR | 5 << 11 | 4, "UPDATE", "NOTIMP", "Dynamic update response 0x0007 Not implemented " },
    { QR | 1, "QUERY", "FORMERR", "Standard query response 0x0007 Format error " },
    { QR | 2, "QUERY", "SERVFAIL", "Standard query response 0x0007 Server failure " },
    { QR | 5, "QUERY", "REFUSED", "Standard query response 0x0007 Refused " },
    { QR | 15 << 11 | 15, "OPCODE15", "RCODE15", "Unknown operation (15) response 0x0007 Unknown error (15) " },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GByteArray) m = msg_new (7, cases[i].flags, 1, 0, 0, 0);
      put_name (m, "x.test");
      put16 (m, 6);
      put16 (m, 1);
      g_autoptr (MsEvent) ev = decode1 (m, FALSE);
      g_assert_cmpstr (ms_event_get_str (ev, "opcode"), ==, cases[i].opcode);
      g_assert_cmpstr (ms_event_get_str (ev, "rcode"), ==, cases[i].rcode);
      g_assert_true (g_str_has_prefix (ev->info, cases[i].info_start));
    }
}

/* RFC 6891 6.1.3: with OPT the rcode is 12 bits, the upper 8 in the TTL. */
static void
test_edns_extended_rcode (void)
{
  g_autoptr (GByteArray) m = msg_new (9, QR, 1, 0, 0, 1);
  put_name (m, "");
  put16 (m, 16);
  put16 (m, 1);
  put8 (m, 0);
  put16 (m, 41);
  put16 (m, 4096);
  put32 (m, 0x01000000);   /* extended rcode 1 -> 16 BADVERS */
  put16 (m, 0);
  g_autoptr (MsEvent) ev = decode1 (m, FALSE);
  g_assert_cmpuint (ev->flags, ==, 0);
  g_assert_cmpstr (ms_event_get_str (ev, "rcode"), ==, "BADVERS");
  g_assert_cmpstr (ms_event_get_str (ev, "qname"), ==, ".");
  g_assert_cmpstr (ev->info, ==, "Standard query response 0x0009 Bad OPT version TXT <Root> OPT");

  /* OPT outside the additional section is misplaced. */
  g_autoptr (GByteArray) m2 = msg_new (9, QR, 1, 1, 0, 0);
  put_name (m2, "");
  put16 (m2, 16);
  put16 (m2, 1);
  put8 (m2, 0);
  put16 (m2, 41);
  put16 (m2, 4096);
  put32 (m2, 0);
  put16 (m2, 0);
  g_autoptr (MsEvent) ev2 = decode1 (m2, FALSE);
  g_assert_cmpuint (ev2->flags, ==, MS_EVENT_MALFORMED);
  g_assert_cmpstr (ms_event_get_str (ev2, "problem"), ==, "misplaced-opt");
}

static void
test_flags_and_qcount (void)
{
  g_autoptr (GByteArray) m = msg_new (1, QR | TC, 2, 0, 0, 0);
  put_name (m, "a.test");
  put16 (m, 1);
  put16 (m, 1);
  put_ptr (m, 12);
  put16 (m, 28);
  put16 (m, 1);
  g_autoptr (MsEvent) ev = decode1 (m, FALSE);
  g_assert_true (ms_event_get_bool (ev, "tc"));
  g_assert_false (ms_event_has (ev, "aa"));
  g_assert_cmpint (ms_event_get_int (ev, "qcount", 0), ==, 2);
  g_assert_cmpstr (ms_event_get_str (ev, "qtype"), ==, "A");
  g_assert_cmpstr (ev->info, ==, "Standard query response 0x0001 A a.test AAAA a.test");
}

static void
assert_malformed (GByteArray *m, const char *problem)
{
  g_autoptr (MsEvent) ev = decode1 (m, FALSE);
  g_assert_true (ev->flags & MS_EVENT_MALFORMED);
  g_assert_false (ev->flags & MS_EVENT_TRUNCATED);
  g_assert_cmpstr (ms_event_get_str (ev, "problem"), ==, problem);
  g_assert_true (g_utf8_validate (ev->info, -1, NULL));
  g_assert_true (g_str_has_suffix (ev->info, " [malformed]"));
  /* the same bytes with the capture said to be cut: still malformed, since
   * the grammar broke before the bytes ran out */
  g_autoptr (MsEvent) ev2 = decode1 (m, TRUE);
  g_assert_true (ev2->flags & MS_EVENT_MALFORMED);
  g_assert_cmpstr (ms_event_get_str (ev2, "problem"), ==, problem);
}

static void
test_forward_pointer (void)
{
  /* The question's name points past itself, to a name in the answer. */
  g_autoptr (GByteArray) m = msg_new (1, QR, 1, 1, 0, 0);
  put_ptr (m, 18);          /* offset 12 -> 18, forward */
  put16 (m, 1);
  put16 (m, 1);
  put_name (m, "fwd.test");  /* offset 18 */
  put16 (m, 1);
  put16 (m, 1);
  put32 (m, 1);
  put16 (m, 4);
  put32 (m, 0x7f000001);
  assert_malformed (m, "forward-pointer");
}

static void
test_pointer_loop (void)
{
  /* A pointer to itself. */
  g_autoptr (GByteArray) m = msg_new (1, 0, 1, 0, 0, 0);
  put_ptr (m, 12);
  put16 (m, 1);
  put16 (m, 1);
  assert_malformed (m, "pointer-loop");

  /* A label then a pointer back to that label: "a.a.a.a..." forever. */
  g_autoptr (GByteArray) m2 = msg_new (1, 0, 1, 0, 0, 0);
  put8 (m2, 1);
  put8 (m2, 'a');
  put_ptr (m2, 12);
  put16 (m2, 1);
  put16 (m2, 1);
  assert_malformed (m2, "pointer-loop");

  /* Two names pointing at each other: the second is a forward pointer from
   * the first, however the chain is entered. */
  g_autoptr (GByteArray) m3 = msg_new (1, 0, 2, 0, 0, 0);
  put_ptr (m3, 18);
  put16 (m3, 1);
  put16 (m3, 1);
  put_ptr (m3, 12);
  put16 (m3, 1);
  put16 (m3, 1);
  assert_malformed (m3, "forward-pointer");
}

/* Each question's name is a pointer to the previous question's name, so
 * question k needs k-1 hops; every hop is legal (backwards) but the chain
 * exceeds the cap. */
static void
test_pointer_hops (void)
{
  const guint n = 130;
  g_autoptr (GByteArray) m = msg_new (1, 0, n, 0, 0, 0);
  put_name (m, "x");
  put16 (m, 1);
  put16 (m, 1);
  guint prev = 12;
  for (guint i = 1; i < n; i++)
    {
      guint here = m->len;
      put_ptr (m, prev);
      put16 (m, 1);
      put16 (m, 1);
      prev = here;
    }
  assert_malformed (m, "too-many-pointers");

  /* 127 hops are still fine. */
  g_byte_array_set_size (m, 0);
  g_autoptr (GByteArray) ok = msg_new (1, 0, 128, 0, 0, 0);
  put_name (ok, "x");
  put16 (ok, 1);
  put16 (ok, 1);
  prev = 12;
  for (guint i = 1; i < 128; i++)
    {
      guint here = ok->len;
      put_ptr (ok, prev);
      put16 (ok, 1);
      put16 (ok, 1);
      prev = here;
    }
  g_autoptr (MsEvent) ev = decode1 (ok, FALSE);
  g_assert_cmpuint (ev->flags, ==, 0);
  g_assert_cmpint (ms_event_get_int (ev, "qcount", 0), ==, 128);
}

static void
put_label_run (GByteArray *m, guint n, char c)
{
  put8 (m, n);
  for (guint i = 0; i < n; i++)
    put8 (m, (guint) c);
}

static void
test_name_length (void)
{
  /* 3 labels of 63 + one of 62 + root = 64*3 + 63 + 1 = 256 octets. */
  g_autoptr (GByteArray) m = msg_new (1, 0, 1, 0, 0, 0);
  for (guint i = 0; i < 3; i++)
    put_label_run (m, 63, 'a');
  put_label_run (m, 62, 'b');
  put8 (m, 0);
  put16 (m, 1);
  put16 (m, 1);
  assert_malformed (m, "name-too-long");

  /* 255 octets exactly is allowed. */
  g_autoptr (GByteArray) ok = msg_new (1, 0, 1, 0, 0, 0);
  for (guint i = 0; i < 3; i++)
    put_label_run (ok, 63, 'a');
  put_label_run (ok, 61, 'b');
  put8 (ok, 0);
  put16 (ok, 1);
  put16 (ok, 1);
  g_autoptr (MsEvent) ev = decode1 (ok, FALSE);
  g_assert_cmpuint (ev->flags, ==, 0);
  g_assert_cmpuint (strlen (ms_event_get_str (ev, "qname")), ==, 253);

  /* The limit also holds across compression: a suffix of 200 octets,
   * reached through a pointer from a name that adds 64 more. */
  g_autoptr (GByteArray) m2 = msg_new (1, 0, 2, 0, 0, 0);
  for (guint i = 0; i < 3; i++)
    put_label_run (m2, 63, 'a');
  put_label_run (m2, 7, 'c');
  put8 (m2, 0);
  put16 (m2, 1);
  put16 (m2, 1);
  put_label_run (m2, 63, 'd');
  put_ptr (m2, 12);
  put16 (m2, 1);
  put16 (m2, 1);
  assert_malformed (m2, "name-too-long");
}

static void
test_label_length (void)
{
  g_autoptr (GByteArray) m = msg_new (1, 0, 1, 0, 0, 0);
  put_label_run (m, 64, 'a');
  put8 (m, 0);
  put16 (m, 1);
  put16 (m, 1);
  assert_malformed (m, "label-too-long");

  g_autoptr (GByteArray) m2 = msg_new (1, 0, 1, 0, 0, 0);
  put8 (m2, 0x80);   /* reserved label type 10 */
  put16 (m2, 1);
  put16 (m2, 1);
  assert_malformed (m2, "label-too-long");
}

static void
test_odd_labels (void)
{
  static const guint8 label[] = { 'a', '.', 'b', ' ', 0xff, '\\', 0xc3, 0xa9, '"' };
  g_autoptr (GByteArray) m = msg_new (1, 0, 1, 0, 0, 0);
  put8 (m, sizeof label);
  g_byte_array_append (m, label, sizeof label);
  put_name (m, "test");
  put16 (m, 1);
  put16 (m, 1);
  g_autoptr (MsEvent) ev = decode1 (m, FALSE);
  g_assert_cmpuint (ev->flags, ==, 0);
  /* as dig prints it: escaped specials, \DDD for the rest, pure ASCII */
  g_assert_cmpstr (ms_event_get_str (ev, "qname"), ==,
                   "a\\.b\\032\\255\\\\\\195\\169\\\".test");
  g_assert_true (g_utf8_validate (ev->info, -1, NULL));
}

static void
test_bad_rdata (void)
{
  /* An A record of 5 octets: framing is intact, so the next answer is
   * still read, but the message is malformed. */
  g_autoptr (GByteArray) m = msg_new (1, QR, 1, 2, 0, 0);
  put_name (m, "a.test");
  put16 (m, 1);
  put16 (m, 1);
  guint at = rr_begin (m, 12, 1, 1);
  put32 (m, 0x01020304);
  put8 (m, 5);
  rr_end (m, at);
  at = rr_begin (m, 12, 1, 1);
  put32 (m, 0x01020304);
  rr_end (m, at);
  g_autoptr (MsEvent) ev = decode1 (m, FALSE);
  g_assert_cmpuint (ev->flags, ==, MS_EVENT_MALFORMED);
  g_assert_cmpstr (ms_event_get_str (ev, "problem"), ==, "bad-rdata");
  g_assert_cmpuint (answer_count (ev), ==, 2);
  g_assert_cmpstr (answer_str (ev, 0, "data"), ==, "\\# 5");
  g_assert_cmpstr (answer_str (ev, 1, "data"), ==, "1.2.3.4");

  /* A name in rdata that runs past the rdlength. */
  g_autoptr (GByteArray) m2 = msg_new (1, QR, 1, 1, 0, 0);
  put_name (m2, "a.test");
  put16 (m2, 5);
  put16 (m2, 1);
  put_ptr (m2, 12);
  put16 (m2, 5);
  put16 (m2, 1);
  put32 (m2, 1);
  put16 (m2, 3);
  put_name (m2, "long.example");
  assert_malformed (m2, "bad-rdata");

  /* rdlength beyond the end of an uncut message. */
  g_autoptr (GByteArray) m3 = msg_new (1, QR, 1, 1, 0, 0);
  put_name (m3, "a.test");
  put16 (m3, 1);
  put16 (m3, 1);
  put_ptr (m3, 12);
  put16 (m3, 1);
  put16 (m3, 1);
  put32 (m3, 1);
  put16 (m3, 400);
  put32 (m3, 0);
  g_autoptr (MsEvent) ev3 = decode1 (m3, FALSE);
  g_assert_cmpuint (ev3->flags, ==, MS_EVENT_MALFORMED);
  g_assert_cmpstr (ms_event_get_str (ev3, "problem"), ==, "rdata-overrun");
  /* the same bytes cut by the capture: the rest may simply be missing */
  g_autoptr (MsEvent) ev4 = decode1 (m3, TRUE);
  g_assert_cmpuint (ev4->flags, ==, MS_EVENT_TRUNCATED);
}

/* RFC 2136 2.5.2: an UPDATE may carry records with no rdata (delete an
 * RRset); elsewhere an empty A record breaks the grammar. */
static void
test_update_empty_rdata (void)
{
  for (guint upd = 0; upd < 2; upd++)
    {
      g_autoptr (GByteArray) m = msg_new (1, upd ? 5 << 11 : 0, 1, 0, 1, 0);
      put_name (m, "zone.test");
      put16 (m, 6);
      put16 (m, 1);
      rr_end (m, rr_begin (m, 12, 1, 0));
      g_autoptr (MsEvent) ev = decode1 (m, FALSE);
      g_assert_cmpuint (ev->flags, ==, upd ? 0 : MS_EVENT_MALFORMED);
    }
}

/* Every proper prefix of a good response, cut by the capture, gives an
 * event flagged truncated (never malformed) with valid UTF-8 info; cut by
 * the sender (not truncated), the counts promise more than is there. */
static void
test_truncated_prefixes (void)
{
  g_autoptr (GByteArray) m = big_response ();
  for (gsize n = 0; n < m->len; n++)
    {
      g_autofree guint8 *copy = g_memdup2 (m->data, n ? n : 1);
      g_autoptr (GByteArray) pre = g_byte_array_new ();
      g_byte_array_append (pre, copy, (guint) n);
      g_autoptr (MsEvent) ev = decode1 (pre, TRUE);
      g_assert_cmpuint (ev->flags, ==, MS_EVENT_TRUNCATED);
      g_assert_cmpstr (ms_event_get_str (ev, "problem"), ==, "truncated");
      g_assert_true (g_utf8_validate (ev->info, -1, NULL));
      g_assert_true (g_str_has_suffix (ev->info, " [truncated]"));
      g_assert_cmpstr (ev->kind, ==, n >= 3 ? "response" : "query");
      if (n >= 12)
        g_assert_cmpint (ms_event_get_int (ev, "id", -1), ==, 0x1a2b);
      if (n >= 12 + 25)
        g_assert_cmpstr (ms_event_get_str (ev, "qname"), ==, "imap.mailscope.test");
      g_autoptr (MsEvent) ev2 = decode1 (pre, FALSE);
      g_assert_cmpuint (ev2->flags, ==, MS_EVENT_MALFORMED);
    }
}

/* --- DNS over TCP ---------------------------------------------------------- */

/* Client and server streams: query, query; response, response split
 * anyhow by the caller. The second response is cut short by the end of the
 * capture. */
static void
tcp_streams (GByteArray *c2s, GByteArray *s2c)
{
  g_autoptr (GByteArray) q1 = query_msg (0x1111, 1);
  g_autoptr (GByteArray) q2 = query_msg (0x2222, 33);
  g_autoptr (GByteArray) r1 = big_response ();
  g_autoptr (GByteArray) r2 = big_response ();
  GByteArray *qs[] = { q1, q2 };
  for (guint i = 0; i < 2; i++)
    {
      put16 (c2s, qs[i]->len);
      g_byte_array_append (c2s, qs[i]->data, qs[i]->len);
    }
  put16 (s2c, r1->len);
  g_byte_array_append (s2c, r1->data, r1->len);
  put16 (s2c, 0);            /* an empty message: malformed, framing intact */
  put16 (s2c, r2->len);
  g_byte_array_append (s2c, r2->data, r2->len - 10);
}

/* Feeds both streams interleaved in pieces chosen by `mode`: 0 whole,
 * 1 one byte at a time, 2 random sizes. Returns the JSON of each event. */
static GPtrArray *
tcp_run (GByteArray *c2s, GByteArray *s2c, guint mode)
{
  DnsCollect col;
  dns_collect_init (&col);
  MsDecoder *dec = ms_decoder_new (&ms_dns_tcp_decoder_class, &col.emitter, NULL);
  GByteArray *st[2] = { c2s, s2c };
  gsize pos[2] = { 0, 0 };
  while (pos[0] < st[0]->len || pos[1] < st[1]->len)
    for (guint d = 0; d < 2; d++)
      {
        gsize left = st[d]->len - pos[d];
        if (left == 0)
          continue;
        gsize n = mode == 0 ? left : mode == 1 ? 1 : (gsize) g_test_rand_int_range (1, 40);
        n = MIN (n, left);
        ms_decoder_feed (dec, (MsDir) d, pos[d], st[d]->data + pos[d], n);
        pos[d] += n;
      }
  ms_decoder_finish (dec);
  ms_decoder_free (dec);
  GPtrArray *out = dns_collect_json (&col);
  dns_collect_clear (&col);
  return out;
}

static void
test_tcp_splits (void)
{
  g_autoptr (GByteArray) c2s = g_byte_array_new ();
  g_autoptr (GByteArray) s2c = g_byte_array_new ();
  tcp_streams (c2s, s2c);

  g_autoptr (GPtrArray) whole = tcp_run (c2s, s2c, 0);
  /* How the two directions interleave depends on the split, so the event
   * lists are compared per direction. */
  g_assert_cmpuint (whole->len, ==, 5);
  guint n_c2s = 0, n_trunc = 0, n_malformed = 0;
  for (guint i = 0; i < whole->len; i++)
    {
      const char *js = g_ptr_array_index (whole, i);
      n_c2s += strstr (js, "\"dir\":\"c2s\"") != NULL;
      n_trunc += strstr (js, "\"truncated\":true") != NULL;
      n_malformed += strstr (js, "\"malformed\":true") != NULL;
    }
  g_assert_cmpuint (n_c2s, ==, 2);
  g_assert_cmpuint (n_trunc, ==, 1);
  g_assert_cmpuint (n_malformed, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (whole, 0), "\"info\":\"Standard query 0x1111 A imap.mailscope.test\""));

  g_autoptr (GPtrArray) whole_c = dns_json_by_dir (whole, "c2s");
  g_autoptr (GPtrArray) whole_s = dns_json_by_dir (whole, "s2c");
  for (guint mode = 1; mode <= 2; mode++)
    for (guint round = 0; round < (mode == 2 ? 50u : 1u); round++)
      {
        g_autoptr (GPtrArray) got = tcp_run (c2s, s2c, mode);
        g_autoptr (GPtrArray) got_c = dns_json_by_dir (got, "c2s");
        g_autoptr (GPtrArray) got_s = dns_json_by_dir (got, "s2c");
        dns_assert_same_json (whole_c, got_c);
        dns_assert_same_json (whole_s, got_s);
      }

  g_assert_nonnull (strstr (g_ptr_array_index (whole_c, 0), "\"id\":4369"));  /* 0x1111 */
}

/* Fed one byte at a time, an event appears exactly when a message's last
 * byte arrives; cut anywhere and finished, the open message comes out
 * truncated with the bytes it had. */
static void
test_tcp_prefixes (void)
{
  g_autoptr (GByteArray) q1 = query_msg (0x0a0a, 1);
  g_autoptr (GByteArray) r1 = big_response ();
  g_autoptr (GByteArray) s = g_byte_array_new ();
  put16 (s, q1->len);
  g_byte_array_append (s, q1->data, q1->len);
  put16 (s, r1->len);
  g_byte_array_append (s, r1->data, r1->len);
  gsize end1 = q1->len + 2, end2 = s->len;

  for (gsize cut = 0; cut <= s->len; cut++)
    {
      DnsCollect col;
      dns_collect_init (&col);
      MsDecoder *dec = ms_decoder_new (&ms_dns_tcp_decoder_class, &col.emitter, NULL);
      for (gsize i = 0; i < cut; i++)
        {
          ms_decoder_feed (dec, MS_DIR_S2C, i, s->data + i, 1);
          guint want = (i + 1 >= end1) + (i + 1 >= end2);
          g_assert_cmpuint (col.events->len, ==, want);
        }
      ms_decoder_finish (dec);
      ms_decoder_free (dec);
      gboolean open = cut != 0 && cut != end1 && cut != end2;
      g_assert_cmpuint (col.events->len, ==, (cut >= end1) + (cut >= end2) + open);
      for (guint k = 0; k < col.events->len; k++)
        {
          MsEvent *ev = g_ptr_array_index (col.events, k);
          gboolean last_open = open && k == col.events->len - 1;
          g_assert_cmpuint (ev->flags, ==, last_open ? MS_EVENT_TRUNCATED : 0);
          g_assert_cmpint (ev->dir, ==, MS_DIR_S2C);
          if (last_open && cut > end1 + 2)
            g_assert_cmpuint (ev->length, ==, cut - end1 - 2);
        }
      dns_collect_clear (&col);
    }
}

static void
test_tcp_offsets_and_gap (void)
{
  g_autoptr (GByteArray) q1 = query_msg (0x0101, 1);
  g_autoptr (GByteArray) q2 = query_msg (0x0202, 28);
  g_autoptr (GByteArray) q3 = query_msg (0x0303, 15);
  g_autoptr (GByteArray) s = g_byte_array_new ();
  GByteArray *qs[] = { q1, q2, q3 };
  for (guint i = 0; i < 3; i++)
    {
      put16 (s, qs[i]->len);
      g_byte_array_append (s, qs[i]->data, qs[i]->len);
    }
  guint L = q1->len + 2;   /* every message has the same size */

  DnsCollect col;
  dns_collect_init (&col);
  MsDecoder *dec = ms_decoder_new (&ms_dns_tcp_decoder_class, &col.emitter, NULL);
  /* first message whole; 5 bytes of the second; a gap of 10 bytes inside
   * it; its remaining bytes; the third message. */
  ms_decoder_feed (dec, MS_DIR_C2S, 0, s->data, L + 5);
  ms_decoder_gap (dec, MS_DIR_C2S, L + 5, 10);
  ms_decoder_feed (dec, MS_DIR_C2S, L + 15, s->data + L + 15, s->len - (L + 15));
  /* a gap that swallows a length prefix, followed by bytes from the middle
   * of a message: they do not look like a message start, the direction is
   * given up */
  ms_decoder_gap (dec, MS_DIR_S2C, 0, 7);
  ms_decoder_feed (dec, MS_DIR_S2C, 7, s->data + 7, s->len - 7);
  ms_decoder_finish (dec);
  ms_decoder_free (dec);

  g_assert_cmpuint (col.events->len, ==, 3);
  MsEvent *e0 = g_ptr_array_index (col.events, 0);
  MsEvent *e1 = g_ptr_array_index (col.events, 1);
  MsEvent *e2 = g_ptr_array_index (col.events, 2);
  g_assert_cmpuint (e0->offset, ==, 2);
  g_assert_cmpuint (e0->length, ==, L - 2);
  g_assert_cmpuint (e0->flags, ==, 0);
  g_assert_cmpint (e0->dir, ==, MS_DIR_C2S);
  g_assert_cmpuint (e1->offset, ==, L + 2);
  g_assert_cmpuint (e1->length, ==, 3);
  g_assert_cmpuint (e1->flags, ==, MS_EVENT_GAP | MS_EVENT_TRUNCATED);
  g_assert_cmpuint (e2->offset, ==, 2 * L + 2);
  g_assert_cmpuint (e2->flags, ==, 0);
  g_assert_cmpint (ms_event_get_int (e2, "id", 0), ==, 0x0303);
  g_assert_cmpstr (ms_event_get_str (e2, "qtype"), ==, "MX");
  dns_collect_clear (&col);

  /* A gap of exactly one message (prefix included): the bytes after it
   * look like a message start, so framing resumes there, byte by byte as
   * well as whole; the first message after the gap is flagged. */
  for (guint mode = 0; mode < 2; mode++)
    {
      dns_collect_init (&col);
      dec = ms_decoder_new (&ms_dns_tcp_decoder_class, &col.emitter, NULL);
      ms_decoder_feed (dec, MS_DIR_C2S, 0, s->data, L);
      ms_decoder_gap (dec, MS_DIR_C2S, L, L);
      for (gsize i = 2 * L; i < s->len; i += mode ? 1 : s->len)
        ms_decoder_feed (dec, MS_DIR_C2S, i, s->data + i, mode ? 1 : s->len - i);
      ms_decoder_finish (dec);
      ms_decoder_free (dec);
      g_assert_cmpuint (col.events->len, ==, 2);
      e0 = g_ptr_array_index (col.events, 0);
      e1 = g_ptr_array_index (col.events, 1);
      g_assert_cmpuint (e0->flags, ==, 0);
      g_assert_cmpuint (e1->flags, ==, MS_EVENT_GAP);
      g_assert_cmpuint (e1->offset, ==, 2 * L + 2);
      g_assert_cmpint (ms_event_get_int (e1, "id", 0), ==, 0x0303);
      dns_collect_clear (&col);
    }
}

/* The stream direction, not the QR bit, decides `dir` over TCP. */
static void
test_tcp_dir_from_stream (void)
{
  g_autoptr (GByteArray) r = big_response ();
  g_autoptr (GByteArray) s = g_byte_array_new ();
  put16 (s, r->len);
  g_byte_array_append (s, r->data, r->len);
  DnsCollect col;
  dns_collect_init (&col);
  MsDecoder *dec = ms_decoder_new (&ms_dns_tcp_decoder_class, &col.emitter, NULL);
  ms_decoder_feed (dec, MS_DIR_C2S, 0, s->data, s->len);
  ms_decoder_finish (dec);
  ms_decoder_free (dec);
  g_assert_cmpuint (col.events->len, ==, 1);
  MsEvent *ev = g_ptr_array_index (col.events, 0);
  g_assert_cmpstr (ev->kind, ==, "response");
  g_assert_cmpint (ev->dir, ==, MS_DIR_C2S);
  dns_collect_clear (&col);
}

static void
test_sniff (void)
{
  g_autoptr (GByteArray) q = query_msg (0x1a2b, 1);
  g_autoptr (GByteArray) r = big_response ();
  g_autoptr (GByteArray) s = g_byte_array_new ();
  put16 (s, q->len);
  g_byte_array_append (s, q->data, q->len);

  for (gsize n = 0; n < 14; n++)
    g_assert_cmpint (ms_dns_tcp_decoder_class.sniff (MS_DIR_C2S, s->data, n), ==,
                     MS_SNIFF_NEED_MORE);
  g_assert_cmpint (ms_dns_tcp_decoder_class.sniff (MS_DIR_C2S, s->data, 14), ==, MS_SNIFF_YES);
  g_assert_cmpint (ms_dns_tcp_decoder_class.sniff (MS_DIR_C2S, s->data, s->len), ==, MS_SNIFF_YES);

  /* other protocols' first bytes (a TLS ClientHello record header holds
   * NULs, hence the explicit lengths) */
  static const struct {
    const char *bytes;
    gsize len;
  } others[] = {
    { "* OK [CAPABILITY IMAP4rev1] ready\r\n", 35 },
    { "+OK POP3 server ready\r\n", 23 },
    { "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x00\x00\x00\x00", 15 },
    { "GET / HTTP/1.1\r\nHost: x\r\n", 25 },
    { "a001 LOGIN student classroom\r\n", 30 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (others); i++)
    g_assert_cmpint (ms_dns_tcp_decoder_class.sniff (MS_DIR_C2S, (const guint8 *) others[i].bytes,
                                                     others[i].len), ==, MS_SNIFF_NO);

  g_assert_true (ms_dns_sniff_datagram (q->data, q->len));
  g_assert_true (ms_dns_sniff_datagram (r->data, r->len));
  for (guint i = 0; i < G_N_ELEMENTS (others); i++)
    g_assert_false (ms_dns_sniff_datagram ((const guint8 *) others[i].bytes, others[i].len));
  /* a cut question, and a query with an rcode, are not DNS enough */
  g_assert_false (ms_dns_sniff_datagram (q->data, q->len - 3));
  q->data[3] |= 3;
  g_assert_false (ms_dns_sniff_datagram (q->data, q->len));
  q->data[3] &= ~3;
  q->data[2] |= 3 << 3;   /* opcode 3 is unassigned */
  g_assert_false (ms_dns_sniff_datagram (q->data, q->len));
  q->data[2] &= ~(3 << 3);
  q->data[5] = 0;         /* qdcount 0 */
  g_assert_false (ms_dns_sniff_datagram (q->data, q->len));
  q->data[5] = 1;
  q->data[7] = 50;        /* 50 answers cannot fit */
  g_assert_false (ms_dns_sniff_datagram (q->data, q->len));

  /* NetBIOS name service (RFC 1002) shares the format but is not DNS */
  g_autoptr (GByteArray) nb = msg_new (0x8001, 0x0110, 1, 0, 0, 0);
  put_name (nb, "FDEFEDEBEMEBECCACACACACACACACABM");
  put16 (nb, 32);
  put16 (nb, 1);
  g_assert_false (ms_dns_sniff_datagram (nb->data, nb->len));
  nb->data[13] = 'Z';   /* not a first-level encoded NetBIOS name */
  g_assert_true (ms_dns_sniff_datagram (nb->data, nb->len));

  g_assert_cmpuint (ms_dns_ports[0], ==, 53);
  g_assert_cmpuint (ms_dns_ports[1], ==, 5353);
  g_assert_cmpuint (ms_dns_ports[2], ==, 10053);
  g_assert_cmpuint (ms_dns_ports[3], ==, 0);
  const guint16 *tp = ms_dns_tcp_decoder_class.ports;
  g_assert_cmpuint (tp[0], ==, 53);
  g_assert_cmpuint (tp[1], ==, 10053);
  g_assert_cmpuint (tp[2], ==, 0);
  g_assert_cmpint (ms_dns_tcp_decoder_class.proto, ==, MS_PROTO_DNS);
}

/* --- pairing --------------------------------------------------------------- */

static MsEvent *
pair_event (MsDnsPairs *pairs, gboolean response, guint id, guint8 client, guint16 cport,
            guint32 frame, gint64 ts)
{
  g_autoptr (GByteArray) m = query_msg (id, 1);
  if (response)
    m->data[2] |= 0x80;
  MsEvent *ev = decode1 (m, FALSE);
  ev->frame = frame;
  ev->ts_nsec = ts;
  ms_test_addr4 (response ? &ev->dst : &ev->src, client, cport);
  ms_test_addr4 (response ? &ev->src : &ev->dst, 53, 53);
  ms_dns_pairs_process (pairs, ev);
  return ev;
}

static void
test_pairs (void)
{
  MsDnsPairs *pairs = ms_dns_pairs_new ();
  const gint64 s = 1000000000;

  g_autoptr (MsEvent) q1 = pair_event (pairs, FALSE, 7, 10, 5000, 1, 100 * s);
  g_assert_false (ms_event_has (q1, "rtt"));
  /* same id from another client port: a different conversation */
  ms_event_unref (pair_event (pairs, FALSE, 7, 10, 5001, 2, 100 * s + s / 2));
  g_autoptr (MsEvent) r2 = pair_event (pairs, TRUE, 7, 10, 5001, 3, 101 * s);
  g_assert_cmpint (ms_event_get_int (r2, "query_frame", 0), ==, 2);
  const MsField *rtt = ms_event_get (r2, "rtt");
  g_assert_nonnull (rtt);
  g_assert_cmpfloat_with_epsilon (rtt->v.d, 0.5, 1e-9);
  g_assert_false (ms_event_has (r2, "duplicate"));

  g_autoptr (MsEvent) r1 = pair_event (pairs, TRUE, 7, 10, 5000, 4, 102 * s);
  g_assert_cmpint (ms_event_get_int (r1, "query_frame", 0), ==, 1);
  g_assert_cmpfloat_with_epsilon (ms_event_get (r1, "rtt")->v.d, 2.0, 1e-9);

  /* a second response to an answered query: paired again, marked */
  g_autoptr (MsEvent) r1b = pair_event (pairs, TRUE, 7, 10, 5000, 5, 103 * s);
  g_assert_true (ms_event_get_bool (r1b, "duplicate"));
  g_assert_cmpint (ms_event_get_int (r1b, "query_frame", 0), ==, 1);

  /* wrong id, wrong client: no pairing */
  g_autoptr (MsEvent) r3 = pair_event (pairs, TRUE, 8, 10, 5000, 6, 103 * s);
  g_assert_false (ms_event_has (r3, "query_frame"));
  g_autoptr (MsEvent) r4 = pair_event (pairs, TRUE, 7, 11, 5000, 7, 103 * s);
  g_assert_false (ms_event_has (r4, "query_frame"));

  /* a repeated query replaces the first: rtt counts from the repeat */
  ms_event_unref (pair_event (pairs, FALSE, 9, 10, 5000, 8, 200 * s));
  ms_event_unref (pair_event (pairs, FALSE, 9, 10, 5000, 9, 201 * s));
  g_autoptr (MsEvent) r5 = pair_event (pairs, TRUE, 9, 10, 5000, 10, 201 * s + s / 4);
  g_assert_cmpint (ms_event_get_int (r5, "query_frame", 0), ==, 9);
  g_assert_cmpfloat_with_epsilon (ms_event_get (r5, "rtt")->v.d, 0.25, 1e-9);

  /* the table is bounded: the oldest query is forgotten */
  for (guint i = 0; i < MS_DNS_MAX_PENDING + 1; i++)
    ms_event_unref (pair_event (pairs, FALSE, i & 0xffff, 20 + i / 65536, 6000 + i / 65536,
                                100 + i, 300 * s));
  g_autoptr (MsEvent) old = pair_event (pairs, TRUE, 0, 20, 6000, 99999, 301 * s);
  g_assert_false (ms_event_has (old, "query_frame"));
  g_autoptr (MsEvent) young = pair_event (pairs, TRUE, 1, 20, 6000, 99999, 301 * s);
  g_assert_cmpint (ms_event_get_int (young, "query_frame", 0), ==, 101);
  g_autoptr (MsEvent) last = pair_event (pairs, TRUE, MS_DNS_MAX_PENDING & 0xffff, 20, 6000,
                                         99999, 301 * s);
  g_assert_cmpint (ms_event_get_int (last, "query_frame", 0), ==, 100 + MS_DNS_MAX_PENDING);
  ms_dns_pairs_free (pairs);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dns/query", test_query);
  g_test_add_func ("/dns/types", test_types);
  g_test_add_func ("/dns/ipv6-text", test_ipv6_text);
  g_test_add_func ("/dns/nxdomain", test_nxdomain);
  g_test_add_func ("/dns/opcodes-rcodes", test_opcodes_and_rcodes);
  g_test_add_func ("/dns/edns-extended-rcode", test_edns_extended_rcode);
  g_test_add_func ("/dns/flags-qcount", test_flags_and_qcount);
  g_test_add_func ("/dns/name/forward-pointer", test_forward_pointer);
  g_test_add_func ("/dns/name/pointer-loop", test_pointer_loop);
  g_test_add_func ("/dns/name/pointer-hops", test_pointer_hops);
  g_test_add_func ("/dns/name/length", test_name_length);
  g_test_add_func ("/dns/name/label-length", test_label_length);
  g_test_add_func ("/dns/name/odd-bytes", test_odd_labels);
  g_test_add_func ("/dns/bad-rdata", test_bad_rdata);
  g_test_add_func ("/dns/update-empty-rdata", test_update_empty_rdata);
  g_test_add_func ("/dns/truncated-prefixes", test_truncated_prefixes);
  g_test_add_func ("/dns/tcp/splits", test_tcp_splits);
  g_test_add_func ("/dns/tcp/prefixes", test_tcp_prefixes);
  g_test_add_func ("/dns/tcp/offsets-gap", test_tcp_offsets_and_gap);
  g_test_add_func ("/dns/tcp/dir", test_tcp_dir_from_stream);
  g_test_add_func ("/dns/sniff", test_sniff);
  g_test_add_func ("/dns/pairs", test_pairs);
  return g_test_run ();
}
