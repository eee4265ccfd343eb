/* test-tls.c - TLS record-layer decoder (RFC 8446, RFC 5246): sessions
 * recorded with openssl s_server/s_client on loopback, hand-built hellos,
 * truncation, length lies, gaps and garbage; every input fed whole, one
 * byte at a time and in random pieces. */
#include "config.h"

#include <string.h>

#include "mailscope/ms-decoder.h"
#include "stream-test-util.h"

/* --- building records by hand --------------------------------------- */

static void
put8 (GByteArray *b, guint v)
{
  guint8 x = (guint8) v;
  g_byte_array_append (b, &x, 1);
}

static void
put16 (GByteArray *b, guint v)
{
  put8 (b, v >> 8);
  put8 (b, v);
}

static void
put24 (GByteArray *b, guint v)
{
  put8 (b, v >> 16);
  put16 (b, v);
}

static void
put (GByteArray *b, const void *p, gsize n)
{
  g_byte_array_append (b, p, (guint) n);
}

/* Wraps `body` as a handshake message of `type`. */
static GByteArray *
hs_msg (guint8 type, GByteArray *body)
{
  GByteArray *m = g_byte_array_new ();
  put8 (m, type);
  put24 (m, body->len);
  put (m, body->data, body->len);
  g_byte_array_unref (body);
  return m;
}

/* Appends a record of `type` carrying `len` bytes of `p`. */
static void
record (GByteArray *out, guint8 type, const guint8 *p, gsize len)
{
  put8 (out, type);
  put16 (out, 0x0303);
  put16 (out, (guint) len);
  put (out, p, len);
}

static void
ext (GByteArray *b, guint type, GByteArray *data)
{
  put16 (b, type);
  put16 (b, data->len);
  put (b, data->data, data->len);
  g_byte_array_unref (data);
}

/* A ClientHello body: SNI, supported_versions (with a GREASE value) and
 * ALPN when given. */
static GByteArray *
client_hello (const char *sni, gboolean tls13, const char *const *alpn)
{
  GByteArray *b = g_byte_array_new ();
  put16 (b, 0x0303);
  for (int i = 0; i < 32; i++)
    put8 (b, i);
  put8 (b, 32);
  for (int i = 0; i < 32; i++)
    put8 (b, 0xaa);
  put16 (b, 8);
  put16 (b, 0x1a1a);  /* GREASE */
  put16 (b, 0x1301);
  put16 (b, 0xc02f);
  put16 (b, 0x00ff);
  put8 (b, 1);
  put8 (b, 0);
  GByteArray *exts = g_byte_array_new ();
  if (sni)
    {
      GByteArray *e = g_byte_array_new ();
      put16 (e, (guint) strlen (sni) + 3);
      put8 (e, 0);
      put16 (e, (guint) strlen (sni));
      put (e, sni, strlen (sni));
      ext (exts, 0, e);
    }
  if (tls13)
    {
      GByteArray *e = g_byte_array_new ();
      put8 (e, 6);
      put16 (e, 0x3a3a);   /* GREASE, not a version */
      put16 (e, 0x0304);
      put16 (e, 0x0303);
      ext (exts, 43, e);
    }
  if (alpn)
    {
      GByteArray *list = g_byte_array_new ();
      for (int i = 0; alpn[i]; i++)
        {
          put8 (list, (guint) strlen (alpn[i]));
          put (list, alpn[i], strlen (alpn[i]));
        }
      GByteArray *e = g_byte_array_new ();
      put16 (e, list->len);
      put (e, list->data, list->len);
      g_byte_array_unref (list);
      ext (exts, 16, e);
    }
  put16 (b, exts->len);
  put (b, exts->data, exts->len);
  g_byte_array_unref (exts);
  return hs_msg (1, b);
}

static const guint8 hrr_random[32] = {
  0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
  0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* A ServerHello body choosing `cipher`, with supported_versions when
 * `selected` is not 0. */
static GByteArray *
server_hello (guint cipher, guint selected, gboolean hrr)
{
  GByteArray *b = g_byte_array_new ();
  put16 (b, 0x0303);
  if (hrr)
    put (b, hrr_random, 32);
  else
    for (int i = 0; i < 32; i++)
      put8 (b, 100 + i);
  put8 (b, 0);
  put16 (b, cipher);
  put8 (b, 0);
  if (selected)
    {
      GByteArray *e = g_byte_array_new ();
      put16 (e, selected);
      GByteArray *exts = g_byte_array_new ();
      ext (exts, 43, e);
      put16 (b, exts->len);
      put (b, exts->data, exts->len);
      g_byte_array_unref (exts);
    }
  return hs_msg (2, b);
}

/* --- running ---------------------------------------------------------- */

typedef struct {
  MsDir dir;
  GByteArray *bytes;
} Step;

static void
steps_free (Step *steps, gsize n)
{
  for (gsize i = 0; i < n; i++)
    g_byte_array_unref (steps[i].bytes);
}

/* Whole, byte by byte and random pieces must agree; returns the first. */
static MsTestSink *
run (const Step *steps, gsize n, MsProto inner)
{
  MsDecoderConfig cfg = { 0, inner };
  g_autofree MsTestChunk *chunks = g_new (MsTestChunk, n);
  for (gsize i = 0; i < n; i++)
    chunks[i] = (MsTestChunk) { steps[i].dir, steps[i].bytes->data, steps[i].bytes->len };
  return ms_test_run_chunks_every_split (&ms_tls_decoder_class, &cfg, chunks, n);
}

#define ev_at ms_test_event_at
#define sink_free ms_test_sink_free

static guint
count (MsTestSink *s, const char *kind, MsDir dir)
{
  guint n = 0;
  for (guint i = 0; i < s->events->len; i++)
    {
      MsEvent *ev = g_ptr_array_index (s->events, i);
      n += strcmp (ev->kind, kind) == 0 && (dir == MS_DIR_NONE || ev->dir == dir);
    }
  return n;
}

static gint64
sum_int (MsTestSink *s, const char *kind, MsDir dir, const char *field)
{
  gint64 n = 0;
  for (guint i = 0; i < s->events->len; i++)
    {
      MsEvent *ev = g_ptr_array_index (s->events, i);
      if (strcmp (ev->kind, kind) == 0 && ev->dir == dir)
        n += ms_event_get_int (ev, field, 0);
    }
  return n;
}

static const char *
array_str (MsEvent *ev, const char *name, guint i)
{
  const MsField *f = ms_event_get (ev, name);
  g_assert_nonnull (f);
  JsonArray *a = json_node_get_array (f->v.node);
  if (i >= json_array_get_length (a))
    return NULL;
  return json_array_get_string_element (a, i);
}

static guint
array_len (MsEvent *ev, const char *name)
{
  const MsField *f = ms_event_get (ev, name);
  g_assert_nonnull (f);
  return json_array_get_length (json_node_get_array (f->v.node));
}

static void
assert_clean (MsTestSink *s)
{
  for (guint i = 0; i < s->events->len; i++)
    g_assert_false (ev_at (s, i)->flags & (MS_EVENT_MALFORMED | MS_EVENT_TRUNCATED | MS_EVENT_GAP));
}

/* --- recorded sessions -------------------------------------------------- */

static MsTestSink *
run_capture (const char *name, guint16 port)
{
  g_autofree char *path = ms_test_data_path ("tls", name);
  guint n;
  GPtrArray *segs = ms_test_pcap_segments (path, port, &n);
  g_assert_cmpuint (n, ==, 1);
  MsDecoderConfig cfg = { 0, MS_PROTO_POP3 };
  MsTestSink *w = ms_test_run_segments (&ms_tls_decoder_class, &cfg, segs, n, -1, MS_TEST_WHOLE);
  MsTestSink *b = ms_test_run_segments (&ms_tls_decoder_class, &cfg, segs, n, -1, MS_TEST_BYTES);
  MsTestSink *r = ms_test_run_segments (&ms_tls_decoder_class, &cfg, segs, n, -1, MS_TEST_RANDOM);
  ms_test_assert_same (w, b);
  ms_test_assert_same (w, r);
  sink_free (b);
  sink_free (r);
  g_ptr_array_unref (segs);
  if (g_test_verbose ())
    {
      g_autofree char *d = ms_test_sink_dump (w);
      g_test_message ("%s", d);
    }
  return w;
}

static void
test_loopback_tls13 (void)
{
  /* openssl s_client -tls1_3 -servername pop.mailscope.test -alpn pop3 */
  MsTestSink *s = run_capture ("loopback-tls13.pcap", 44313);
  assert_clean (s);
  MsEvent *ch = ev_at (s, 0);
  g_assert_cmpstr (ch->kind, ==, "client-hello");
  g_assert_cmpint (ch->dir, ==, MS_DIR_C2S);
  g_assert_cmpint (ch->proto, ==, MS_PROTO_TLS);
  g_assert_cmpstr (ms_event_get_str (ch, "inner"), ==, "pop3");
  g_assert_cmpstr (ms_event_get_str (ch, "sni"), ==, "pop.mailscope.test");
  g_assert_cmpuint (array_len (ch, "versions"), ==, 1);
  g_assert_cmpstr (array_str (ch, "versions", 0), ==, "TLS 1.3");
  g_assert_cmpstr (array_str (ch, "alpn", 0), ==, "pop3");
  g_assert_cmpint (ms_event_get_int (ch, "cipher_suites", 0), ==, 4);
  g_assert_cmpuint (ch->offset, ==, 5);
  g_assert_cmpuint (ch->length, ==, 258);   /* tshark: record length 258 */

  MsEvent *sh = ev_at (s, 1);
  g_assert_cmpstr (sh->kind, ==, "server-hello");
  g_assert_cmpstr (ms_event_get_str (sh, "version"), ==, "TLS 1.3");
  g_assert_cmpstr (ms_event_get_str (sh, "cipher"), ==, "0x1302");
  g_assert_cmpstr (ms_event_get_str (sh, "cipher_name"), ==, "TLS_AES_256_GCM_SHA384");

  /* After the ServerHello everything but the compatibility
   * ChangeCipherSpec is encrypted (type 23). tshark's record lengths:
   * s2c 34+433+96+69, 250+250+39, 19; c2s 69, 22, 19. */
  g_assert_cmpuint (count (s, "handshake", MS_DIR_NONE), ==, 2);
  g_assert_cmpint (sum_int (s, "encrypted", MS_DIR_S2C, "records"), ==, 8);
  g_assert_cmpint (sum_int (s, "encrypted", MS_DIR_S2C, "bytes"),
                   ==, 34 + 433 + 96 + 69 + 250 + 250 + 39 + 19 + 8 * 5);
  g_assert_cmpint (sum_int (s, "encrypted", MS_DIR_C2S, "records"), ==, 3);
  g_assert_cmpint (sum_int (s, "encrypted", MS_DIR_C2S, "bytes"), ==, 69 + 22 + 19 + 3 * 5);
  /* The server's first flight arrives as one run of four records. */
  MsEvent *flight = ev_at (s, 3);
  g_assert_cmpstr (flight->kind, ==, "encrypted");
  g_assert_cmpint (ms_event_get_int (flight, "records", 0), ==, 4);
  /* Runs alternate with the direction. */
  for (guint i = 1; i < s->events->len; i++)
    if (strcmp (ev_at (s, i)->kind, "encrypted") == 0
        && strcmp (ev_at (s, i - 1)->kind, "encrypted") == 0)
      g_assert_cmpint (ev_at (s, i)->dir, !=, ev_at (s, i - 1)->dir);
  sink_free (s);
}

static void
test_loopback_tls12 (void)
{
  /* openssl s_client -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256 */
  MsTestSink *s = run_capture ("loopback-tls12.pcap", 44312);
  assert_clean (s);
  const struct {
    const char *kind;
    MsDir dir;
    const char *handshake;
  } want[] = {
    { "client-hello", MS_DIR_C2S, NULL },
    { "server-hello", MS_DIR_S2C, NULL },
    { "handshake", MS_DIR_S2C, "Certificate" },
    { "handshake", MS_DIR_S2C, "ServerKeyExchange" },
    { "handshake", MS_DIR_S2C, "ServerHelloDone" },
    { "handshake", MS_DIR_C2S, "ClientKeyExchange" },
    { "handshake", MS_DIR_C2S, "ChangeCipherSpec" },
    { "handshake", MS_DIR_C2S, "encrypted" },   /* Finished, under the new keys */
    { "handshake", MS_DIR_S2C, "NewSessionTicket" },
    { "handshake", MS_DIR_S2C, "ChangeCipherSpec" },
    { "handshake", MS_DIR_S2C, "encrypted" },
    { "encrypted", MS_DIR_S2C, NULL },
    { "encrypted", MS_DIR_C2S, NULL },
    { "alert", MS_DIR_S2C, NULL },
    { "alert", MS_DIR_C2S, NULL },
  };
  g_assert_cmpuint (s->events->len, ==, G_N_ELEMENTS (want));
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      MsEvent *ev = ev_at (s, i);
      g_assert_cmpstr (ev->kind, ==, want[i].kind);
      g_assert_cmpint (ev->dir, ==, want[i].dir);
      if (want[i].handshake)
        g_assert_cmpstr (ms_event_get_str (ev, "handshake"), ==, want[i].handshake);
    }
  MsEvent *ch = ev_at (s, 0);
  g_assert_cmpstr (array_str (ch, "versions", 0), ==, "TLS 1.2");
  g_assert_cmpint (ms_event_get_int (ch, "cipher_suites", 0), ==, 2);
  MsEvent *sh = ev_at (s, 1);
  g_assert_cmpstr (ms_event_get_str (sh, "version"), ==, "TLS 1.2");
  g_assert_cmpstr (ms_event_get_str (sh, "cipher"), ==, "0xC02B");
  g_assert_cmpstr (ms_event_get_str (sh, "cipher_name"), ==,
                   "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
  /* close_notify travels encrypted in TLS 1.2. */
  g_assert_true (ms_event_get_bool (ev_at (s, 13), "encrypted"));
  g_assert_false (ms_event_has (ev_at (s, 13), "description"));
  sink_free (s);
}

/* --- hand-built --------------------------------------------------------- */

static void
test_hellos (void)
{
  const char *const alpn[] = { "h2", "pop3", NULL };
  GByteArray *ch = client_hello ("imap.mailscope.test", TRUE, alpn);
  GByteArray *sh = server_hello (0x1301, 0x0304, FALSE);
  Step steps[] = {
    { MS_DIR_C2S, g_byte_array_new () },
    { MS_DIR_S2C, g_byte_array_new () },
    { MS_DIR_S2C, g_byte_array_new () },
    { MS_DIR_C2S, g_byte_array_new () },
  };
  /* The ClientHello split across two records (RFC 8446 5.1 allows it). */
  record (steps[0].bytes, 22, ch->data, 10);
  record (steps[0].bytes, 22, ch->data + 10, ch->len - 10);
  record (steps[1].bytes, 22, sh->data, sh->len);
  record (steps[1].bytes, 20, (const guint8 *) "\x01", 1);
  for (int i = 0; i < 3; i++)
    record (steps[2].bytes, 23, (const guint8 *) "0123456789", 10);
  record (steps[3].bytes, 23, (const guint8 *) "abc", 3);

  MsTestSink *s = run (steps, G_N_ELEMENTS (steps), MS_PROTO_IMAP);
  assert_clean (s);
  g_assert_cmpuint (s->events->len, ==, 5);
  MsEvent *c = ev_at (s, 0);
  g_assert_cmpstr (c->kind, ==, "client-hello");
  g_assert_cmpstr (ms_event_get_str (c, "sni"), ==, "imap.mailscope.test");
  g_assert_cmpstr (ms_event_get_str (c, "inner"), ==, "imap");
  /* GREASE is not a version. */
  g_assert_cmpuint (array_len (c, "versions"), ==, 2);
  g_assert_cmpstr (array_str (c, "versions", 0), ==, "TLS 1.3");
  g_assert_cmpstr (array_str (c, "versions", 1), ==, "TLS 1.2");
  g_assert_cmpstr (array_str (c, "alpn", 1), ==, "pop3");
  g_assert_cmpint (ms_event_get_int (c, "cipher_suites", 0), ==, 4);
  /* The message spans both records, header of the second included. */
  g_assert_cmpuint (c->offset, ==, 5);
  g_assert_cmpuint (c->length, ==, ch->len + 5);
  MsEvent *sv = ev_at (s, 1);
  g_assert_cmpstr (ms_event_get_str (sv, "version"), ==, "TLS 1.3");
  g_assert_cmpstr (ms_event_get_str (sv, "cipher_name"), ==, "TLS_AES_128_GCM_SHA256");
  g_assert_cmpstr (ms_event_get_str (ev_at (s, 2), "handshake"), ==, "ChangeCipherSpec");
  MsEvent *run3 = ev_at (s, 3);
  g_assert_cmpstr (run3->kind, ==, "encrypted");
  g_assert_cmpint (ms_event_get_int (run3, "records", 0), ==, 3);
  g_assert_cmpint (ms_event_get_int (run3, "bytes", 0), ==, 45);
  g_assert_cmpuint (run3->offset, ==, sh->len + 5 + 6);
  g_assert_cmpuint (run3->length, ==, 45);
  g_assert_cmpint (ms_event_get_int (ev_at (s, 4), "records", 0), ==, 1);
  sink_free (s);
  steps_free (steps, G_N_ELEMENTS (steps));
  g_byte_array_unref (ch);
  g_byte_array_unref (sh);
}

static void
test_legacy_and_hrr (void)
{
  GByteArray *ch = client_hello (NULL, FALSE, NULL);
  GByteArray *hrr = server_hello (0x1302, 0x0304, TRUE);
  GByteArray *sh12 = server_hello (0x009f, 0, FALSE);
  Step steps[] = {
    { MS_DIR_C2S, g_byte_array_new () },
    { MS_DIR_S2C, g_byte_array_new () },
    { MS_DIR_S2C, g_byte_array_new () },
  };
  /* Two messages in one record. */
  record (steps[0].bytes, 22, ch->data, ch->len);
  GByteArray *two = g_byte_array_new ();
  put (two, hrr->data, hrr->len);
  put (two, "\x0e\x00\x00\x00", 4);   /* ServerHelloDone, empty */
  record (steps[1].bytes, 22, two->data, two->len);
  record (steps[2].bytes, 22, sh12->data, sh12->len);
  /* A cleartext alert. */
  record (steps[2].bytes, 21, (const guint8 *) "\x02\x28", 2);

  MsTestSink *s = run (steps, G_N_ELEMENTS (steps), MS_PROTO_NONE);
  assert_clean (s);
  g_assert_cmpuint (s->events->len, ==, 5);
  MsEvent *c = ev_at (s, 0);
  g_assert_false (ms_event_has (c, "sni"));
  g_assert_false (ms_event_has (c, "alpn"));
  g_assert_false (ms_event_has (c, "inner"));
  g_assert_cmpstr (array_str (c, "versions", 0), ==, "TLS 1.2");   /* legacy_version */
  MsEvent *h = ev_at (s, 1);
  g_assert_true (ms_event_get_bool (h, "hello_retry"));
  g_assert_cmpstr (ms_event_get_str (ev_at (s, 2), "handshake"), ==, "ServerHelloDone");
  MsEvent *s12 = ev_at (s, 3);
  g_assert_cmpstr (ms_event_get_str (s12, "version"), ==, "TLS 1.2");
  g_assert_cmpstr (ms_event_get_str (s12, "cipher"), ==, "0x009F");
  MsEvent *al = ev_at (s, 4);
  g_assert_cmpstr (al->kind, ==, "alert");
  g_assert_cmpstr (ms_event_get_str (al, "level"), ==, "fatal");
  g_assert_cmpstr (ms_event_get_str (al, "description"), ==, "handshake_failure");
  sink_free (s);
  steps_free (steps, G_N_ELEMENTS (steps));
  g_byte_array_unref (two);
  g_byte_array_unref (ch);
  g_byte_array_unref (hrr);
  g_byte_array_unref (sh12);
}

static void
test_truncated (void)
{
  GByteArray *ch = client_hello ("pop.mailscope.test", TRUE, NULL);
  GByteArray *full = g_byte_array_new ();
  record (full, 22, ch->data, ch->len);

  /* The capture ends inside the ClientHello. */
  Step a[] = { { MS_DIR_C2S, g_byte_array_new () } };
  put (a[0].bytes, full->data, full->len - 8);   /* inside supported_versions */
  MsTestSink *s = run (a, 1, MS_PROTO_NONE);
  g_assert_cmpuint (s->events->len, ==, 1);
  g_assert_cmpstr (ev_at (s, 0)->kind, ==, "client-hello");
  g_assert_true (ev_at (s, 0)->flags & MS_EVENT_TRUNCATED);
  g_assert_false (ev_at (s, 0)->flags & MS_EVENT_MALFORMED);
  g_assert_cmpstr (ms_event_get_str (ev_at (s, 0), "sni"), ==, "pop.mailscope.test");
  sink_free (s);
  steps_free (a, 1);

  /* ...inside a record header, and inside an application-data record
   * whose length promises more than came (a length lie at the end). */
  Step b[] = {
    { MS_DIR_S2C, g_byte_array_new () },
    { MS_DIR_C2S, g_byte_array_new () },
  };
  put (b[0].bytes, "\x17\x03\x03\x00\x64", 5);
  put (b[0].bytes, "only fifty bytes of a hundred........................", 50);
  put (b[1].bytes, "\x16\x03", 2);
  s = run (b, 2, MS_PROTO_NONE);
  g_assert_cmpuint (s->events->len, ==, 2);
  MsEvent *enc = ev_at (s, 0);
  g_assert_cmpstr (enc->kind, ==, "encrypted");
  g_assert_true (enc->flags & MS_EVENT_TRUNCATED);
  g_assert_cmpuint (enc->length, ==, 55);
  MsEvent *hdr = ev_at (s, 1);
  g_assert_cmpstr (hdr->kind, ==, "data");
  g_assert_true (hdr->flags & MS_EVENT_TRUNCATED);
  sink_free (s);
  steps_free (b, 2);
  g_byte_array_unref (full);
  g_byte_array_unref (ch);
}

static void
test_malformed (void)
{
  /* A record longer than 2^14 + 2048: not TLS any more; the side is
   * given up, later bytes are ignored (no event per byte). */
  Step a[] = {
    { MS_DIR_C2S, g_byte_array_new () },
    { MS_DIR_S2C, g_byte_array_new () },
  };
  put (a[0].bytes, "\x17\x03\x03\x48\x01", 5);
  for (int i = 0; i < 300; i++)
    put (a[0].bytes, "junk", 4);
  record (a[1].bytes, 23, (const guint8 *) "fine", 4);
  MsTestSink *s = run (a, 2, MS_PROTO_NONE);
  g_assert_cmpuint (s->events->len, ==, 2);
  g_assert_cmpstr (ev_at (s, 0)->kind, ==, "data");
  g_assert_true (ev_at (s, 0)->flags & MS_EVENT_MALFORMED);
  g_assert_cmpint (ms_event_get_int (ev_at (s, 0), "record_length", 0), ==, 0x4801);
  /* The other direction is unaffected. */
  g_assert_cmpstr (ev_at (s, 1)->kind, ==, "encrypted");
  sink_free (s);
  steps_free (a, 2);

  /* Plain text is not TLS. */
  Step b[] = { { MS_DIR_C2S, g_byte_array_new () } };
  put (b[0].bytes, "GET / HTTP/1.1\r\n\r\n", 18);
  s = run (b, 1, MS_PROTO_NONE);
  g_assert_cmpuint (s->events->len, ==, 1);
  g_assert_true (ev_at (s, 0)->flags & MS_EVENT_MALFORMED);
  sink_free (s);
  steps_free (b, 1);

  /* A ClientHello whose extension length lies (past its message). */
  GByteArray *ch = client_hello ("x.test", FALSE, NULL);
  /* The extensions block is the SNI extension alone: 4 + 2 + 3 + 6 bytes. */
  gsize ext_len_at = ch->len - (4 + 2 + 3 + 6) - 2;
  g_assert_cmpuint (ch->data[ext_len_at + 1], ==, 15);
  ch->data[ext_len_at] = 0x7f;
  Step c[] = { { MS_DIR_C2S, g_byte_array_new () } };
  record (c[0].bytes, 22, ch->data, ch->len);
  record (c[0].bytes, 21, (const guint8 *) "\x01\x00", 2);
  s = run (c, 1, MS_PROTO_NONE);
  g_assert_cmpuint (s->events->len, ==, 2);
  g_assert_cmpstr (ev_at (s, 0)->kind, ==, "client-hello");
  g_assert_true (ev_at (s, 0)->flags & MS_EVENT_MALFORMED);
  g_assert_false (ev_at (s, 0)->flags & MS_EVENT_TRUNCATED);
  /* Framing survives a bad message: the alert after it is read. */
  g_assert_cmpstr (ms_event_get_str (ev_at (s, 1), "description"), ==, "close_notify");
  g_assert_cmpstr (ms_event_get_str (ev_at (s, 1), "level"), ==, "warning");
  sink_free (s);
  steps_free (c, 1);
  g_byte_array_unref (ch);
}

static void
test_random_garbage (void)
{
  /* Whatever the bytes, the decoder neither crashes nor depends on how
   * they are split. Records with a valid header and random content are
   * mixed in so the handshake parser sees garbage too. */
  for (int round = 0; round < 200; round++)
    {
      Step st[] = {
        { MS_DIR_C2S, g_byte_array_new () },
        { MS_DIR_S2C, g_byte_array_new () },
      };
      for (int d = 0; d < 2; d++)
        {
          int nrec = g_test_rand_int_range (1, 5);
          for (int r = 0; r < nrec; r++)
            {
              guint8 body[300];
              gsize len = (gsize) g_test_rand_int_range (0, sizeof body);
              for (gsize k = 0; k < len; k++)
                body[k] = (guint8) g_test_rand_int_range (0, 256);
              if (len > 0 && g_test_rand_bit ())
                body[0] = (guint8) g_test_rand_int_range (1, 3);
              record (st[d].bytes, (guint8) g_test_rand_int_range (20, 25), body, len);
            }
          if (g_test_rand_bit ())
            put8 (st[d].bytes, g_test_rand_int_range (0, 256));
        }
      MsTestSink *s = run (st, 2, MS_PROTO_POP3);
      sink_free (s);
      steps_free (st, 2);
    }
}

static void
test_gap (void)
{
  MsTestSink sink;
  ms_test_sink_init (&sink);
  MsDecoder *d = ms_decoder_new (&ms_tls_decoder_class, &sink.emitter, NULL);
  GByteArray *b = g_byte_array_new ();
  record (b, 23, (const guint8 *) "0123456789", 10);
  record (b, 23, (const guint8 *) "0123456789", 10);
  /* Missing bytes inside the second record: the framing survives. */
  ms_decoder_feed (d, MS_DIR_S2C, 0, b->data, 20);
  ms_decoder_gap (d, MS_DIR_S2C, 20, 4);
  ms_decoder_feed (d, MS_DIR_S2C, 24, b->data + 24, 6);
  ms_decoder_feed (d, MS_DIR_S2C, 30, b->data, 15);
  /* Missing bytes past a record's end: that side is lost. */
  ms_decoder_gap (d, MS_DIR_S2C, 45, 500);
  ms_decoder_feed (d, MS_DIR_S2C, 545, b->data, 15);
  ms_decoder_finish (d);
  ms_decoder_free (d);
  g_assert_cmpuint (sink.events->len, ==, 2);
  MsEvent *first = g_ptr_array_index (sink.events, 0);
  g_assert_cmpint (ms_event_get_int (first, "records", 0), ==, 2);
  g_assert_false (first->flags & MS_EVENT_GAP);
  MsEvent *second = g_ptr_array_index (sink.events, 1);
  g_assert_true (second->flags & MS_EVENT_GAP);
  g_assert_cmpint (ms_event_get_int (second, "records", 0), ==, 1);
  g_assert_cmpuint (second->offset, ==, 30);
  ms_test_sink_clear (&sink);
  g_byte_array_unref (b);
}

static void
test_sniff (void)
{
  const struct {
    const char *bytes;
    gsize len;
    MsSniff want;
  } cases[] = {
    { "\x16\x03\x01\x02\x00", 5, MS_SNIFF_YES },
    { "\x17\x03\x03", 3, MS_SNIFF_YES },
    { "\x14\x03\x04", 3, MS_SNIFF_YES },
    { "\x16\x03", 2, MS_SNIFF_NEED_MORE },
    { "\x16", 1, MS_SNIFF_NEED_MORE },
    { "", 0, MS_SNIFF_NEED_MORE },
    { "\x18\x03\x03", 3, MS_SNIFF_NO },
    { "\x13\x03\x03", 3, MS_SNIFF_NO },
    { "\x16\x02\x00", 3, MS_SNIFF_NO },
    { "\x16\x03\x05", 3, MS_SNIFF_NO },
    { "+OK", 3, MS_SNIFF_NO },
    { "* OK", 4, MS_SNIFF_NO },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (ms_tls_decoder_class.sniff (MS_DIR_C2S, (const guint8 *) cases[i].bytes,
                                                 cases[i].len),
                     ==, cases[i].want);
  /* A visible hello tells the direction: only clients send ClientHello. */
  const guint8 ch[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 };
  const guint8 sh[] = { 0x16, 0x03, 0x03, 0x00, 0x7a, 0x02 };
  g_assert_cmpint (ms_tls_decoder_class.sniff (MS_DIR_C2S, ch, sizeof ch), ==, MS_SNIFF_YES);
  g_assert_cmpint (ms_tls_decoder_class.sniff (MS_DIR_S2C, ch, sizeof ch), ==, MS_SNIFF_NO);
  g_assert_cmpint (ms_tls_decoder_class.sniff (MS_DIR_S2C, sh, sizeof sh), ==, MS_SNIFF_YES);
  g_assert_cmpint (ms_tls_decoder_class.sniff (MS_DIR_C2S, sh, sizeof sh), ==, MS_SNIFF_NO);
  g_assert_cmpint (ms_tls_decoder_class.sniff (MS_DIR_S2C, ch, 5), ==, MS_SNIFF_YES);
  g_assert_cmpuint (ms_tls_decoder_class.ports[0], ==, 0);
  g_assert_cmpstr (ms_tls_decoder_class.name, ==, "tls");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tls/loopback-tls13", test_loopback_tls13);
  g_test_add_func ("/tls/loopback-tls12", test_loopback_tls12);
  g_test_add_func ("/tls/hellos", test_hellos);
  g_test_add_func ("/tls/legacy-hrr-alert", test_legacy_and_hrr);
  g_test_add_func ("/tls/truncated", test_truncated);
  g_test_add_func ("/tls/malformed", test_malformed);
  g_test_add_func ("/tls/random-garbage", test_random_garbage);
  g_test_add_func ("/tls/gap", test_gap);
  g_test_add_func ("/tls/sniff", test_sniff);
  return g_test_run ();
}
