/* test-pop3.c - POP3 decoder (RFC 1939, 2449, 5034, 2595): transcripts fed
 * whole, one byte at a time and in random pieces, and real captures
 * compared with what tshark, zeek and suricata report for them. */
#include "config.h"

#include <string.h>

#include "mailscope/ms-decoder.h"
#include "stream-test-util.h"

typedef struct {
  MsDir dir;
  const char *text;
  gsize len;   /* 0: strlen (text) */
} Step;

#define C(s) { MS_DIR_C2S, s, 0 }
#define S(s) { MS_DIR_S2C, s, 0 }

/* --- helpers ---------------------------------------------------------- */

/* The transcript as the decoder tests' chunks (g_free the result). */
static MsTestChunk *
chunks_of (const Step *steps, gsize n)
{
  MsTestChunk *chunks = g_new (MsTestChunk, n);
  for (gsize i = 0; i < n; i++)
    {
      chunks[i].dir = steps[i].dir;
      chunks[i].data = (const guint8 *) steps[i].text;
      chunks[i].len = steps[i].len ? steps[i].len : strlen (steps[i].text);
    }
  return chunks;
}

static MsTestSink *
run_steps_split (const Step *steps, gsize n, guint flags, MsTestSplit split)
{
  MsDecoderConfig cfg = { flags, MS_PROTO_NONE };
  g_autofree MsTestChunk *chunks = chunks_of (steps, n);
  return ms_test_run_chunks (&ms_pop3_decoder_class, &cfg, chunks, n, split);
}

/* Runs the transcript whole, byte by byte and in random pieces; asserts
 * identical events and returns the whole-run recording. */
static MsTestSink *
run_steps (const Step *steps, gsize n, guint flags)
{
  MsDecoderConfig cfg = { flags, MS_PROTO_NONE };
  g_autofree MsTestChunk *chunks = chunks_of (steps, n);
  return ms_test_run_chunks_every_split (&ms_pop3_decoder_class, &cfg, chunks, n);
}

#define ev_at ms_test_event_at
#define sink_free ms_test_sink_free
#define credential_of ms_test_credential_of

/* The nth (0-based) event of that kind, asserted present. */
static MsEvent *
nth (MsTestSink *s, const char *kind, guint n)
{
  for (guint i = 0; i < s->events->len; i++)
    {
      MsEvent *ev = g_ptr_array_index (s->events, i);
      if (strcmp (ev->kind, kind) == 0 && n-- == 0)
        return ev;
    }
  g_assert_not_reached ();
  return NULL;
}

static guint
count (MsTestSink *s, const char *kind)
{
  guint n = 0;
  for (guint i = 0; i < s->events->len; i++)
    n += strcmp (((MsEvent *) g_ptr_array_index (s->events, i))->kind, kind) == 0;
  return n;
}

/* The response that answered `command` (nth such response). */
static MsEvent *
response_for (MsTestSink *s, const char *command, guint n)
{
  for (guint i = 0; i < s->events->len; i++)
    {
      MsEvent *ev = g_ptr_array_index (s->events, i);
      const char *fc = ms_event_get_str (ev, "for_command");
      if (strcmp (ev->kind, "response") == 0 && fc && strcmp (fc, command) == 0 && n-- == 0)
        return ev;
    }
  g_assert_not_reached ();
  return NULL;
}

static char *
to_json (MsEvent *ev, gboolean mask)
{
  JsonNode *n = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (n, ms_event_to_json (ev, mask));
  char *s = json_to_string (n, FALSE);
  json_node_unref (n);
  return s;
}

/* --- transcripts ------------------------------------------------------ */

static const char retr_body[] =
  "From: teacher@mailscope.test\r\n"
  "Subject: dots\r\n"
  "\r\n"
  "..a line that began with a dot\r\n"
  "...two dots\r\n"
  "..\r\n"
  "end\r\n";
/* Unstuffed: each leading ".." counts as "." (RFC 1939 section 3). */
#define RETR_UNSTUFFED (sizeof retr_body - 1 - 3)

static void
test_session (void)
{
  g_autofree char *retr = g_strconcat ("+OK 123 octets\r\n", retr_body, ".\r\n", NULL);
  const Step steps[] = {
    S ("+OK POP3 server ready <1896.697170952@dbc.mailscope.test>\r\n"),
    C ("CAPA\r\n"),
    S ("+OK Capability list follows\r\nTOP\r\nUSER\r\nSASL PLAIN LOGIN\r\nRESP-CODES\r\n"
       "PIPELINING\r\nUIDL\r\nSTLS\r\n.\r\n"),
    C ("USER student\r\n"),
    S ("+OK\r\n"),
    C ("PASS classroom\r\n"),
    S ("+OK maildrop locked and ready\r\n"),
    C ("STAT\r\n"),
    S ("+OK 2 320\r\n"),
    C ("LIST\r\n"),
    S ("+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n"),
    C ("LIST 2\r\n"),
    S ("+OK 2 200\r\n"),
    C ("UIDL\r\n"),
    S ("+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n"),
    C ("retr 1\r\n"),
    S (retr),
    C ("TOP 2 0\r\n"),
    S ("+OK\r\nSubject: two\r\n\r\n.\r\n"),
    C ("DELE 1\r\n"),
    S ("+OK message 1 deleted\r\n"),
    C ("NOOP\r\n"),
    S ("+OK\r\n"),
    C ("QUIT\r\n"),
    S ("+OK dewey POP3 server signing off (maildrop empty)\r\n"),
  };
  MsTestSink *s = run_steps (steps, G_N_ELEMENTS (steps), 0);

  MsEvent *g = ev_at (s, 0);
  g_assert_cmpstr (g->kind, ==, "response");
  g_assert_true (ms_event_get_bool (g, "greeting"));
  g_assert_true (ms_event_get_bool (g, "apop"));
  g_assert_cmpstr (ms_event_get_str (g, "status"), ==, "+OK");
  g_assert_false (ms_event_has (g, "for_command"));

  MsEvent *capa = response_for (s, "CAPA", 0);
  g_assert_cmpint (ms_event_get_int (capa, "lines", -1), ==, 7);
  const MsField *caps = ms_event_get (capa, "capabilities");
  g_assert_nonnull (caps);
  JsonArray *ca = json_node_get_array (caps->v.node);
  g_assert_cmpuint (json_array_get_length (ca), ==, 7);
  g_assert_cmpstr (json_array_get_string_element (ca, 2), ==, "SASL PLAIN LOGIN");
  g_assert_cmpstr (json_array_get_string_element (ca, 6), ==, "STLS");
  g_assert_false (ms_event_has (capa, "content_bytes"));
  /* The event covers the status line through the terminating dot. */
  g_assert_cmpuint (capa->length, ==, strlen (steps[2].text));

  MsEvent *pass = nth (s, "command", 2);
  g_assert_cmpstr (ms_event_get_str (pass, "command"), ==, "PASS");
  g_assert_true (pass->flags & MS_EVENT_SECRET);
  g_autofree char *masked = to_json (pass, TRUE);
  g_assert_null (strstr (masked, "classroom"));
  g_autofree char *clear = to_json (pass, FALSE);
  g_assert_nonnull (strstr (clear, "classroom"));

  MsEvent *cred = nth (s, "credential", 0);
  JsonObject *co = credential_of (cred);
  g_assert_cmpstr (json_object_get_string_member (co, "mechanism"), ==, "USER/PASS");
  g_assert_cmpstr (json_object_get_string_member (co, "user"), ==, "student");
  g_assert_cmpstr (json_object_get_string_member (co, "password"), ==, "classroom");
  g_assert_true (json_object_get_boolean_member (co, "cleartext"));
  g_assert_true (cred->flags & MS_EVENT_WARNING);
  g_assert_true (cred->flags & MS_EVENT_SECRET);
  g_autofree char *cmasked = to_json (cred, TRUE);
  g_assert_null (strstr (cmasked, "classroom"));
  g_assert_true (ev_at (s, 6) == cred);   /* right after the PASS command */

  MsEvent *list = response_for (s, "LIST", 0);
  g_assert_cmpint (ms_event_get_int (list, "lines", -1), ==, 2);
  g_assert_cmpint (ms_event_get_int (list, "octets", -1), ==, 14);
  g_assert_false (list->flags & MS_EVENT_MALFORMED);
  MsEvent *list2 = response_for (s, "LIST", 1);
  g_assert_false (ms_event_has (list2, "lines"));   /* LIST n is one line */

  MsEvent *uidl = response_for (s, "UIDL", 0);
  g_assert_cmpint (ms_event_get_int (uidl, "lines", -1), ==, 2);

  MsEvent *retr_cmd = nth (s, "command", 7);
  g_assert_cmpstr (ms_event_get_str (retr_cmd, "command"), ==, "RETR");
  g_assert_cmpstr (ms_event_get_str (retr_cmd, "args"), ==, "1");
  MsEvent *rr = response_for (s, "RETR", 0);
  g_assert_cmpint (ms_event_get_int (rr, "lines", -1), ==, 7);
  g_assert_cmpint (ms_event_get_int (rr, "octets", -1), ==, (gint64) RETR_UNSTUFFED);
  g_assert_cmpint (ms_event_get_int (rr, "content_bytes", -1), ==, (gint64) RETR_UNSTUFFED);
  g_assert_cmpuint (ms_event_get_int (rr, "for_offset", -1), ==, retr_cmd->offset);
  g_assert_cmpuint (rr->length, ==, strlen (retr));

  MsEvent *top = response_for (s, "TOP", 0);
  g_assert_cmpint (ms_event_get_int (top, "lines", -1), ==, 2);
  g_assert_cmpint (ms_event_get_int (top, "content_bytes", -1), ==, 16);

  g_assert_nonnull (response_for (s, "DELE", 0));
  g_assert_nonnull (response_for (s, "NOOP", 0));
  MsEvent *quit = response_for (s, "QUIT", 0);
  g_assert_true (quit == ev_at (s, s->events->len - 1));
  g_assert_cmpuint (count (s, "command"), ==, 12);
  g_assert_cmpuint (count (s, "response"), ==, 13);
  for (guint i = 0; i < s->events->len; i++)
    g_assert_false (ev_at (s, i)->flags & (MS_EVENT_MALFORMED | MS_EVENT_TRUNCATED));
  sink_free (s);
}

static void
test_bare_lf (void)
{
  /* Some servers (and crafted captures) end lines with LF alone. */
  const Step steps[] = {
    S ("+OK ready\n"),
    C ("LIST\n"),
    S ("+OK\n1 10\n.\n"),
    C ("QUIT\n"),
    S ("+OK bye\n"),
  };
  MsTestSink *s = run_steps (steps, G_N_ELEMENTS (steps), 0);
  g_assert_cmpuint (s->events->len, ==, 5);
  MsEvent *list = response_for (s, "LIST", 0);
  g_assert_cmpint (ms_event_get_int (list, "lines", -1), ==, 1);
  g_assert_cmpint (ms_event_get_int (list, "octets", -1), ==, 5);
  g_assert_nonnull (response_for (s, "QUIT", 0));
  sink_free (s);
}

static void
test_apop (void)
{
  const Step steps[] = {
    S ("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"),
    C ("APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"),
    S ("+OK mrose's maildrop has 2 messages (320 octets)\r\n"),
  };
  MsTestSink *s = run_steps (steps, G_N_ELEMENTS (steps), 0);
  MsEvent *cmd = nth (s, "command", 0);
  g_assert_cmpstr (ms_event_get_str (cmd, "command"), ==, "APOP");
  g_assert_false (cmd->flags & MS_EVENT_SECRET);
  JsonObject *co = credential_of (nth (s, "credential", 0));
  g_assert_cmpstr (json_object_get_string_member (co, "mechanism"), ==, "APOP");
  g_assert_cmpstr (json_object_get_string_member (co, "user"), ==, "mrose");
  g_assert_false (json_object_get_boolean_member (co, "cleartext"));
  g_assert_false (json_object_has_member (co, "password"));
  g_assert_cmpstr (ms_event_get_str (response_for (s, "APOP", 0), "status"), ==, "+OK");
  sink_free (s);
}

/* base64 ("\0student\0classroom") */
#define PLAIN_B64 "AHN0dWRlbnQAY2xhc3Nyb29t"

static void
check_plain_credential (MsTestSink *s)
{
  MsEvent *cred = nth (s, "credential", 0);
  JsonObject *co = credential_of (cred);
  g_assert_cmpstr (json_object_get_string_member (co, "mechanism"), ==, "PLAIN");
  g_assert_cmpstr (json_object_get_string_member (co, "user"), ==, "student");
  g_assert_cmpstr (json_object_get_string_member (co, "password"), ==, "classroom");
  g_assert_true (json_object_get_boolean_member (co, "cleartext"));
  for (guint i = 0; i < s->events->len; i++)
    {
      g_autofree char *m = to_json (ev_at (s, i), TRUE);
      g_assert_null (strstr (m, "classroom"));
      g_assert_null (strstr (m, PLAIN_B64));
    }
}

static void
test_auth_plain_initial (void)
{
  const Step steps[] = {
    S ("+OK ready\r\n"),
    C ("AUTH PLAIN " PLAIN_B64 "\r\n"),
    S ("+OK logged in\r\n"),
    C ("STAT\r\n"),
    S ("+OK 0 0\r\n"),
  };
  MsTestSink *s = run_steps (steps, G_N_ELEMENTS (steps), 0);
  MsEvent *auth = nth (s, "command", 0);
  g_assert_cmpstr (ms_event_get_str (auth, "command"), ==, "AUTH");
  g_assert_cmpstr (ms_event_get_str (auth, "mechanism"), ==, "PLAIN");
  g_assert_true (auth->flags & MS_EVENT_SECRET);
  check_plain_credential (s);
  g_assert_cmpuint (count (s, "sasl"), ==, 0);
  /* After the AUTH completes, lines are commands again. */
  g_assert_cmpstr (ms_event_get_str (nth (s, "command", 1), "command"), ==, "STAT");
  g_assert_nonnull (response_for (s, "STAT", 0));
  sink_free (s);
}

static void
test_auth_plain_continuation (void)
{
  const Step steps[] = {
    S ("+OK ready\r\n"),
    C ("AUTH PLAIN\r\n"),
    S ("+ \r\n"),
    C (PLAIN_B64 "\r\n"),
    S ("+OK logged in\r\n"),
    C ("QUIT\r\n"),
    S ("+OK bye\r\n"),
  };
  MsTestSink *s = run_steps (steps, G_N_ELEMENTS (steps), 0);
  g_assert_cmpuint (count (s, "continuation"), ==, 1);
  g_assert_true (ms_event_get_bool (nth (s, "continuation", 0), "continuation"));
  /* tshark reads this line as a POP3 command named after the base64. */
  MsEvent *sasl = nth (s, "sasl", 0);
  g_assert_true (ms_event_get_bool (sasl, "sasl"));
  g_assert_false (ms_event_has (sasl, "command"));
  g_assert_true (sasl->flags & MS_EVENT_SECRET);
  check_plain_credential (s);
  MsEvent *done = response_for (s, "AUTH", 0);
  g_assert_cmpstr (ms_event_get_str (done, "status"), ==, "+OK");
  g_assert_cmpuint (count (s, "command"), ==, 2);
  sink_free (s);
}

static void
test_auth_login_and_cancel (void)
{
  const Step steps[] = {
    S ("+OK ready\r\n"),
    C ("AUTH CRAM-MD5\r\n"),
    S ("+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n"),
    C ("*\r\n"),
    S ("-ERR [AUTH] cancelled\r\n"),
    C ("AUTH LOGIN\r\n"),
    S ("+ VXNlcm5hbWU6\r\n"),
    C ("c3R1ZGVudA==\r\n"),
    S ("+ UGFzc3dvcmQ6\r\n"),
    C ("Y2xhc3Nyb29t\r\n"),
    S ("+OK\r\n"),
  };
  MsTestSink *s = run_steps (steps, G_N_ELEMENTS (steps), 0);
  g_assert_cmpuint (count (s, "sasl"), ==, 3);
  g_assert_true (ms_event_get_bool (nth (s, "sasl", 0), "cancel"));
  MsEvent *err = response_for (s, "AUTH", 0);
  g_assert_cmpstr (ms_event_get_str (err, "status"), ==, "-ERR");
  g_assert_cmpstr (ms_event_get_str (err, "code"), ==, "AUTH");
  JsonObject *co = credential_of (nth (s, "credential", 0));
  g_assert_cmpstr (json_object_get_string_member (co, "mechanism"), ==, "LOGIN");
  g_assert_cmpstr (json_object_get_string_member (co, "user"), ==, "student");
  g_assert_cmpstr (json_object_get_string_member (co, "password"), ==, "classroom");
  g_assert_cmpuint (count (s, "credential"), ==, 1);
  g_assert_false (nth (s, "sasl", 1)->flags & MS_EVENT_SECRET);  /* the user name */
  g_assert_true (nth (s, "sasl", 2)->flags & MS_EVENT_SECRET);
  sink_free (s);
}

static void
test_auth_list (void)
{
  /* AUTH without a mechanism lists them (a multi-line answer in some
   * servers); it starts no SASL exchange. */
  const Step steps[] = {
    S ("+OK ready\r\n"),
    C ("AUTH\r\n"),
    S ("+OK\r\nPLAIN\r\nLOGIN\r\n.\r\n"),
    C ("USER x\r\n"),
    S ("+OK\r\n"),
  };
  MsTestSink *s = run_steps (steps, G_N_ELEMENTS (steps), 0);
  MsEvent *r = response_for (s, "AUTH", 0);
  JsonArray *m = json_node_get_array (ms_event_get (r, "mechanisms")->v.node);
  g_assert_cmpuint (json_array_get_length (m), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (m, 1), ==, "LOGIN");
  g_assert_cmpuint (count (s, "sasl"), ==, 0);
  g_assert_nonnull (response_for (s, "USER", 0));
  sink_free (s);
}

static void
test_auth_cram_oauth (void)
{
  /* RFC 2195's example answer, and RFC 7628's OAUTHBEARER initial
   * response (a gs2 header naming the user, then the bearer token). */
  g_autofree char *cram = g_base64_encode ((const guchar *) "tim b913a602c7eda7a495b4e6e7334d3890", 36);
  static const char oauth_raw[] = "n,a=user@example.com,\001host=server.example.com\001port=110"
                                  "\001auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\001\001";
  g_autofree char *oauth = g_base64_encode ((const guchar *) oauth_raw, sizeof oauth_raw - 1);
  g_autofree char *cram_line = g_strdup_printf ("%s\r\n", cram);
  g_autofree char *oauth_line = g_strdup_printf ("AUTH OAUTHBEARER %s\r\n", oauth);
  const Step steps[] = {
    S ("+OK ready\r\n"),
    C ("AUTH CRAM-MD5\r\n"),
    S ("+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n"),
    C (cram_line),
    S ("-ERR [AUTH] no\r\n"),
    C (oauth_line),
    S ("+OK\r\n"),
  };
  MsTestSink *s = run_steps (steps, G_N_ELEMENTS (steps), 0);
  g_assert_cmpstr (ms_event_get_str (nth (s, "continuation", 0), "for_command"), ==, "AUTH");
  JsonObject *cram_cred = credential_of (nth (s, "credential", 0));
  g_assert_cmpstr (json_object_get_string_member (cram_cred, "mechanism"), ==, "CRAM-MD5");
  g_assert_cmpstr (json_object_get_string_member (cram_cred, "user"), ==, "tim");
  g_assert_false (json_object_get_boolean_member (cram_cred, "cleartext"));
  g_assert_false (json_object_has_member (cram_cred, "password"));
  JsonObject *oa = credential_of (nth (s, "credential", 1));
  g_assert_cmpstr (json_object_get_string_member (oa, "mechanism"), ==, "OAUTHBEARER");
  g_assert_cmpstr (json_object_get_string_member (oa, "user"), ==, "user@example.com");
  g_assert_cmpstr (json_object_get_string_member (oa, "password"), ==,
                   "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==");
  g_autofree char *masked = to_json (nth (s, "command", 1), TRUE);
  g_assert_null (strstr (masked, oauth));
  sink_free (s);
}

static void
test_mask_long_secret (void)
{
  /* A long password inside AUTH PLAIN and a password with a control
   * character: --mask-secrets must hide every byte of both, in Info too. */
  GString *raw = g_string_new (NULL);
  g_string_append_c (raw, '\0');
  g_string_append (raw, "student");
  g_string_append_c (raw, '\0');
  for (int i = 0; i < 1500; i++)
    g_string_append_c (raw, 'a' + i % 26);
  g_autofree char *b64 = g_base64_encode ((const guchar *) raw->str, raw->len);
  g_autofree char *auth = g_strdup_printf ("AUTH PLAIN %s\r\n", b64);
  const Step steps[] = {
    S ("+OK ready\r\n"),
    C (auth),
    S ("-ERR no\r\n"),
    C ("USER student\r\n"),
    S ("+OK\r\n"),
    C ("PASS tab\there\r\n"),
    S ("+OK\r\n"),
  };
  MsTestSink *s = run_steps (steps, G_N_ELEMENTS (steps), 0);
  g_autofree char *b64_piece = g_strndup (b64 + 100, 40);
  for (guint i = 0; i < s->events->len; i++)
    {
      g_autofree char *m = to_json (ev_at (s, i), TRUE);
      g_assert_null (strstr (m, b64_piece));
      g_assert_null (strstr (m, "klmnopqrstuvwxyzabcdefghij"));
      g_assert_null (strstr (m, "tab"));
    }
  JsonObject *co = credential_of (nth (s, "credential", 0));
  g_assert_cmpuint (strlen (json_object_get_string_member (co, "password")), ==, 1500);
  g_autofree char *clear = to_json (nth (s, "command", 0), FALSE);
  g_assert_nonnull (strstr (clear, b64_piece));
  sink_free (s);
  g_string_free (raw, TRUE);
}

/* A ClientHello (TLS 1.2 legacy version, one suite, SNI
 * pop.mailscope.test) as a client sends it after STLS. */
static const guint8 client_hello[] = {
  0x16, 0x03, 0x01, 0x00, 0x4f,
  0x01, 0x00, 0x00, 0x4b, 0x03, 0x03,
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
  0x00, 0x00, 0x02, 0xc0, 0x2f, 0x01, 0x00,
  0x00, 0x20,
  0x00, 0x00, 0x00, 0x17, 0x00, 0x15, 0x00, 0x00, 0x12,
  'p', 'o', 'p', '.', 'm', 'a', 'i', 'l', 's', 'c', 'o', 'p', 'e', '.', 't', 'e', 's', 't',
  0x00, 0x2b, 0x00, 0x01, 0x00,
};

static void
test_stls (void)
{
  const Step steps[] = {
    S ("+OK ready\r\n"),
    C ("STLS\r\n"),
    S ("+OK Begin TLS negotiation\r\n"),
    { MS_DIR_C2S, (const char *) client_hello, sizeof client_hello },
    { MS_DIR_S2C, "\x17\x03\x03\x00\x03" "abc", 8 },
  };
  MsTestSink *s = run_steps (steps, G_N_ELEMENTS (steps), 0);
  g_assert_cmpuint (s->events->len, ==, 5);
  MsEvent *ok = response_for (s, "STLS", 0);
  g_assert_cmpint (ok->proto, ==, MS_PROTO_POP3);
  MsEvent *ch = ev_at (s, 3);
  g_assert_cmpint (ch->proto, ==, MS_PROTO_TLS);
  g_assert_cmpstr (ch->kind, ==, "client-hello");
  g_assert_cmpstr (ms_event_get_str (ch, "inner"), ==, "pop3");
  g_assert_cmpstr (ms_event_get_str (ch, "sni"), ==, "pop.mailscope.test");
  g_assert_cmpuint (ch->offset, ==, 6 + 5);   /* POP3 offsets go on; after the record header */
  g_assert_false (ch->flags & MS_EVENT_MALFORMED);
  MsEvent *enc = ev_at (s, 4);
  g_assert_cmpstr (enc->kind, ==, "encrypted");
  g_assert_cmpint (ms_event_get_int (enc, "records", 0), ==, 1);
  sink_free (s);

  /* -ERR leaves the session in cleartext. */
  const Step refused[] = {
    S ("+OK ready\r\n"),
    C ("STLS\r\n"),
    S ("-ERR [SYS/TEMP] TLS not available now\r\n"),
    C ("USER a\r\n"),
    S ("+OK\r\n"),
  };
  s = run_steps (refused, G_N_ELEMENTS (refused), 0);
  MsEvent *no = response_for (s, "STLS", 0);
  g_assert_cmpstr (ms_event_get_str (no, "code"), ==, "SYS/TEMP");
  g_assert_cmpstr (ms_event_get_str (response_for (s, "USER", 0), "status"), ==, "+OK");
  for (guint i = 0; i < s->events->len; i++)
    g_assert_cmpint (ev_at (s, i)->proto, ==, MS_PROTO_POP3);
  sink_free (s);
}

static void
test_codes_and_pipelining (void)
{
  const Step steps[] = {
    S ("+OK ready\r\n"),
    /* RFC 2449 PIPELINING: several commands in one segment. */
    C ("USER a\r\nPASS b\r\nSTAT\r\nLIST\r\nUIDL 1\r\nRETR 1\r\n"),
    S ("+OK\r\n"),
    S ("-ERR [IN-USE] Do you have another POP session running?\r\n"),
    S ("-ERR unknown command\r\n-ERR [LOGIN-DELAY] wait\r\n"),
    S ("-ERR [SYS/PERM] no\r\n"),
    S ("-ERR [UNTERMINATED\r\n"),
  };
  MsTestSink *s = run_steps (steps, G_N_ELEMENTS (steps), 0);
  const char *order[] = { "USER", "PASS", "STAT", "LIST", "UIDL", "RETR" };
  const char *codes[] = { NULL, "IN-USE", NULL, "LOGIN-DELAY", "SYS/PERM", NULL };
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      MsEvent *r = nth (s, "response", i + 1);
      g_assert_cmpstr (ms_event_get_str (r, "for_command"), ==, order[i]);
      g_assert_cmpstr (ms_event_get_str (r, "code"), ==, codes[i]);
      /* -ERR never opens a multi-line body, even for LIST/RETR. */
      g_assert_false (ms_event_has (r, "lines"));
    }
  sink_free (s);
}

static void
test_limits (void)
{
  /* A line past the cap: flagged, not buffered, and the next line is
   * parsed normally. */
  gsize big = 70 * 1024;
  char *line = g_malloc (big + 3);
  memcpy (line, "NOOP ", 5);
  memset (line + 5, 'x', big - 5);
  memcpy (line + big, "\r\n", 3);
  const Step steps[] = {
    S ("+OK ready\r\n"),
    { MS_DIR_C2S, line, big + 2 },
    C ("STAT\r\n"),
    S ("-ERR too long\r\n+OK 1 2\r\n"),
  };
  MsTestSink *s = run_steps_split (steps, G_N_ELEMENTS (steps), 0, MS_TEST_WHOLE);
  MsTestSink *b = run_steps_split (steps, G_N_ELEMENTS (steps), 0, MS_TEST_RANDOM);
  ms_test_assert_same (s, b);
  sink_free (b);
  MsEvent *noop = nth (s, "command", 0);
  g_assert_true (noop->flags & MS_EVENT_MALFORMED);
  g_assert_cmpstr (ms_event_get_str (noop, "command"), ==, "NOOP");
  g_assert_cmpuint (noop->length, ==, big + 2);
  g_assert_cmpuint (strlen (noop->info), <, 1024);
  MsEvent *stat = nth (s, "command", 1);
  g_assert_false (stat->flags & MS_EVENT_MALFORMED);
  g_assert_cmpstr (ms_event_get_str (response_for (s, "STAT", 0), "status"), ==, "+OK");
  sink_free (s);
  g_free (line);

  /* More pending commands than the queue holds: the overflow is flagged
   * and the session does not break. */
  GString *many = g_string_new (NULL);
  for (int i = 0; i < 70; i++)
    g_string_append (many, "NOOP\r\n");
  const Step flood[] = {
    S ("+OK ready\r\n"),
    C (many->str),
    S ("+OK\r\n"),
  };
  s = run_steps (flood, G_N_ELEMENTS (flood), 0);
  guint warned = 0;
  for (guint i = 0; i < s->events->len; i++)
    warned += (ev_at (s, i)->flags & MS_EVENT_WARNING) != 0;
  g_assert_cmpuint (warned, ==, 70 - 64);
  g_assert_nonnull (response_for (s, "NOOP", 0));
  sink_free (s);
  g_string_free (many, TRUE);
}

static void
test_garbage (void)
{
  const Step steps[] = {
    S ("+OK ready\r\n"),
    { MS_DIR_C2S, "\x01\x02\xff\xfe\x00garbage\r\n", 14 },
    S ("-ERR what?\r\n"),
    { MS_DIR_S2C, "\x80\x81 noise\r\n", 10 },
    C ("STAT\r\n"),
    S ("+OK 0 0\r\n"),
  };
  MsTestSink *s = run_steps (steps, G_N_ELEMENTS (steps), 0);
  MsEvent *bad = nth (s, "command", 0);
  g_assert_true (bad->flags & MS_EVENT_MALFORMED);
  g_assert_true (g_utf8_validate (bad->info, -1, NULL));
  g_assert_cmpstr (ms_event_get_str (nth (s, "response", 1), "status"), ==, "-ERR");
  MsEvent *noise = nth (s, "data", 0);
  g_assert_true (noise->flags & MS_EVENT_MALFORMED);
  /* A line that is no response answers no command. */
  g_assert_cmpstr (ms_event_get_str (response_for (s, "STAT", 0), "status"), ==, "+OK");
  sink_free (s);
}

static void
test_truncated (void)
{
  const Step steps[] = {
    S ("+OK ready\r\n"),
    C ("RETR 1\r\n"),
    S ("+OK\r\nSubject: cut\r\n\r\nthe capture ends in the bo"),
    C ("QUI"),
  };
  MsTestSink *s = run_steps (steps, G_N_ELEMENTS (steps), 0);
  MsEvent *quit = nth (s, "command", 1);
  g_assert_true (quit->flags & MS_EVENT_TRUNCATED);
  g_assert_cmpstr (ms_event_get_str (quit, "command"), ==, "QUI");
  MsEvent *r = response_for (s, "RETR", 0);
  g_assert_true (r->flags & MS_EVENT_TRUNCATED);
  g_assert_cmpint (ms_event_get_int (r, "lines", -1), ==, 2);
  g_assert_cmpint (ms_event_get_int (r, "content_bytes", -1), ==, 14 + 2 + 26);
  g_assert_cmpuint (r->offset + r->length, ==, strlen (steps[0].text) + strlen (steps[2].text));
  sink_free (s);
}

static void
test_gap (void)
{
  MsTestSink sink;
  ms_test_sink_init (&sink);
  MsDecoder *d = ms_decoder_new (&ms_pop3_decoder_class, &sink.emitter, NULL);
  guint64 c = 0, sv = 0;
#define FEED(dir, off, str) ms_test_feed (d, dir, &off, (const guint8 *) str, strlen (str), MS_TEST_WHOLE)
  FEED (MS_DIR_S2C, sv, "+OK ready\r\n");
  FEED (MS_DIR_C2S, c, "RETR 1\r\n");
  FEED (MS_DIR_S2C, sv, "+OK\r\nline one\r\nline t");
  ms_decoder_gap (d, MS_DIR_S2C, sv, 100);
  sv += 100;
  /* Inside a body the gap does not end it: only the dot line does. */
  FEED (MS_DIR_S2C, sv, "wo\r\nline three\r\n.\r\n");
  FEED (MS_DIR_C2S, c, "STA");
  ms_decoder_gap (d, MS_DIR_C2S, c, 10);
  c += 10;
  /* Outside a body, decoding resumes at the next line. */
  FEED (MS_DIR_C2S, c, "T half\r\nNOOP\r\n");
#undef FEED
  ms_decoder_finish (d);
  ms_decoder_free (d);

  MsEvent *r = g_ptr_array_index (sink.events, 2);
  g_assert_cmpstr (r->kind, ==, "response");
  g_assert_true (r->flags & MS_EVENT_GAP);
  g_assert_cmpint (ms_event_get_int (r, "lines", -1), ==, 3);
  g_assert_cmpuint (sink.events->len, ==, 4);
  MsEvent *noop = g_ptr_array_index (sink.events, 3);
  g_assert_cmpstr (ms_event_get_str (noop, "command"), ==, "NOOP");
  g_assert_true (noop->flags & MS_EVENT_GAP);
  ms_test_sink_clear (&sink);
}

static void
test_midstream (void)
{
  const Step steps[] = {
    S ("ies follows\r\n+OK 3 100\r\n"),
    C ("AT\r\nLIST\r\n"),
    S ("+OK\r\n1 100\r\n.\r\n"),
  };
  MsTestSink *s = run_steps (steps, G_N_ELEMENTS (steps), MS_DECODER_MIDSTREAM);
  /* The partial first lines are dropped; the +OK before any command is
   * neither a greeting nor malformed. */
  MsEvent *first = ev_at (s, 0);
  g_assert_cmpstr (first->kind, ==, "response");
  g_assert_false (ms_event_has (first, "greeting"));
  g_assert_false (first->flags & MS_EVENT_MALFORMED);
  g_assert_cmpuint (count (s, "command"), ==, 1);
  MsEvent *list = response_for (s, "LIST", 0);
  g_assert_cmpint (ms_event_get_int (list, "lines", -1), ==, 1);
  sink_free (s);
}

static void
test_sniff (void)
{
  const struct {
    MsDir dir;
    const char *bytes;
    MsSniff want;
  } cases[] = {
    { MS_DIR_S2C, "+OK POP3 ready\r\n", MS_SNIFF_YES },
    { MS_DIR_S2C, "+ok dovecot ready.\r\n", MS_SNIFF_YES },
    { MS_DIR_S2C, "+", MS_SNIFF_NEED_MORE },
    { MS_DIR_S2C, "+O", MS_SNIFF_NEED_MORE },
    { MS_DIR_S2C, "+OK", MS_SNIFF_NEED_MORE },
    { MS_DIR_S2C, "+PONG\r\n", MS_SNIFF_NO },
    /* What Redis answers to AUTH: a POP3 greeting always carries text. */
    { MS_DIR_S2C, "+OK\r\n", MS_SNIFF_NO },
    { MS_DIR_S2C, "* OK IMAP4rev1\r\n", MS_SNIFF_NO },
    { MS_DIR_S2C, "-ERR\r\n", MS_SNIFF_NO },
    { MS_DIR_C2S, "USER student\r\n", MS_SNIFF_YES },
    { MS_DIR_C2S, "capa\r\n", MS_SNIFF_YES },
    { MS_DIR_C2S, "AUTH PLAIN\r\n", MS_SNIFF_YES },
    { MS_DIR_C2S, "STLS\r\n", MS_SNIFF_YES },
    { MS_DIR_C2S, "APOP a b\r\n", MS_SNIFF_YES },
    { MS_DIR_C2S, "US", MS_SNIFF_NEED_MORE },
    { MS_DIR_C2S, "USER", MS_SNIFF_NEED_MORE },
    { MS_DIR_C2S, "USERS\r\n", MS_SNIFF_NO },
    { MS_DIR_C2S, "*2\r\n$4\r\nAUTH\r\n", MS_SNIFF_NO },
    { MS_DIR_C2S, "a1 LOGIN x y\r\n", MS_SNIFF_NO },
    { MS_DIR_C2S, "", MS_SNIFF_NEED_MORE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (ms_pop3_decoder_class.sniff (cases[i].dir, (const guint8 *) cases[i].bytes,
                                                  strlen (cases[i].bytes)),
                     ==, cases[i].want);
  g_assert_cmpuint (ms_pop3_decoder_class.ports[0], ==, 110);
  g_assert_cmpuint (ms_pop3_decoder_class.ports[1], ==, 1110);
  g_assert_cmpuint (ms_pop3_decoder_class.ports[2], ==, 0);
  g_assert_cmpstr (ms_pop3_decoder_class.name, ==, "pop3");
}

static void
test_random_input (void)
{
  /* Random mixes of real lines, fragments and binary bytes: never a
   * crash, and the same events however the bytes are cut. */
  static const char *const pieces[] = {
    "+OK ready <a@b>\r\n", "USER x\r\n", "PASS y\r\n", "LIST\r\n", "RETR 1\r\n",
    "TOP 1 0\r\n", "CAPA\r\n", "AUTH PLAIN\r\n", "AUTH LOGIN\r\n", "STLS\r\n",
    "+ \r\n", "+OK\r\n", "-ERR [IN-USE] x\r\n", ".\r\n", "..\r\n", "1 100\r\n",
    "\r\n", "\n", "\r", ".", "+", "AHN0dWRlbnQAY2xhc3Nyb29t\r\n", "*\r\n",
    "\x16\x03\x01\x00\x05hello", "\x17\x03\x03\x00\x01x",
  };
  for (int round = 0; round < 300; round++)
    {
      Step st[24];
      char *texts[24];
      guint n = (guint) g_test_rand_int_range (1, 24);
      for (guint i = 0; i < n; i++)
        {
          GString *t = g_string_new (NULL);
          int parts = g_test_rand_int_range (1, 4);
          for (int k = 0; k < parts; k++)
            {
              if (g_test_rand_int_range (0, 5) == 0)
                for (int b = g_test_rand_int_range (1, 12); b > 0; b--)
                  g_string_append_c (t, (char) g_test_rand_int_range (1, 256));
              else
                g_string_append (t, pieces[g_test_rand_int_range (0, G_N_ELEMENTS (pieces))]);
            }
          texts[i] = g_string_free (t, FALSE);
          st[i].dir = g_test_rand_bit () ? MS_DIR_C2S : MS_DIR_S2C;
          st[i].text = texts[i];
          st[i].len = 0;
        }
      guint flags = g_test_rand_int_range (0, 4) == 0 ? MS_DECODER_MIDSTREAM : 0;
      MsTestSink *s = run_steps (st, n, flags);
      sink_free (s);
      for (guint i = 0; i < n; i++)
        g_free (texts[i]);
    }
}

/* --- captures ------------------------------------------------------------- */

typedef struct {
  GPtrArray *segs;
  guint n_streams;
} Capture;

static Capture *
capture_load (const char *name, guint16 port)
{
  g_autofree char *path = ms_test_data_path ("pop3", name);
  Capture *c = g_new0 (Capture, 1);
  c->segs = ms_test_pcap_segments (path, port, &c->n_streams);
  g_assert_cmpuint (c->segs->len, >, 0);
  return c;
}

static void
capture_free (Capture *c)
{
  g_ptr_array_unref (c->segs);
  g_free (c);
}

/* Decodes one stream (whole segments and byte by byte must agree). */
static MsTestSink *
capture_run (Capture *c, gint stream)
{
  MsTestSink *w = ms_test_run_segments (&ms_pop3_decoder_class, NULL, c->segs, c->n_streams,
                                        stream, MS_TEST_WHOLE);
  MsTestSink *b = ms_test_run_segments (&ms_pop3_decoder_class, NULL, c->segs, c->n_streams,
                                        stream, MS_TEST_BYTES);
  ms_test_assert_same (w, b);
  sink_free (b);
  if (g_test_verbose ())
    {
      g_autofree char *d = ms_test_sink_dump (w);
      g_test_message ("%s", d);
    }
  return w;
}

typedef struct {
  guint32 frame;
  guint stream;
  char *command;     /* pop.request.command, or NULL */
  char *indicator;   /* pop.response.indicator, or NULL */
} TsharkRow;

static void
row_free (gpointer p)
{
  TsharkRow *r = p;
  g_free (r->command);
  g_free (r->indicator);
  g_free (r);
}

/* Reads a tshark field dump (tests/pop3/data/tshark/, '|'-separated). */
static GPtrArray *
tshark_rows (const char *name)
{
  g_autofree char *path = ms_test_data_path ("pop3", name);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  GPtrArray *rows = g_ptr_array_new_with_free_func (row_free);
  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_auto (GStrv) head = g_strsplit (lines[0], "|", -1);
  gint fcol = -1, scol = -1, ccol = -1, icol = -1;
  for (gint i = 0; head[i]; i++)
    {
      if (strcmp (head[i], "frame.number") == 0)
        fcol = i;
      else if (strcmp (head[i], "tcp.stream") == 0)
        scol = i;
      else if (strcmp (head[i], "pop.request.command") == 0)
        ccol = i;
      else if (strcmp (head[i], "pop.response.indicator") == 0)
        icol = i;
    }
  g_assert_true (fcol >= 0 && scol >= 0 && ccol >= 0 && icol >= 0);
  for (guint l = 1; lines[l]; l++)
    {
      g_auto (GStrv) col = g_strsplit (lines[l], "|", -1);
      if (g_strv_length (col) <= (guint) MAX (ccol, icol))
        continue;
      TsharkRow *r = g_new0 (TsharkRow, 1);
      r->frame = (guint32) g_ascii_strtoull (col[fcol], NULL, 10);
      r->stream = (guint) g_ascii_strtoull (col[scol], NULL, 10);
      r->command = col[ccol][0] ? g_strdup (col[ccol]) : NULL;
      r->indicator = col[icol][0] ? g_strdup (col[icol]) : NULL;
      g_ptr_array_add (rows, r);
    }
  return rows;
}

/* Compares client lines and response status lines of every stream with
 * tshark's. Where tshark calls a SASL line a command (it does not track
 * AUTH), we must have a `sasl` event whose text is that "command".
 * Returns how many SASL lines differed that way. */
static guint
compare_with_tshark (Capture *c, const char *tsv, gboolean compare_responses)
{
  g_autoptr (GPtrArray) rows = tshark_rows (tsv);
  guint sasl_diffs = 0;

  for (guint st = 0; st < c->n_streams; st++)
    {
      MsTestSink *s = capture_run (c, (gint) st);
      GPtrArray *want_c = g_ptr_array_new (), *want_r = g_ptr_array_new ();
      for (guint i = 0; i < rows->len; i++)
        {
          TsharkRow *r = g_ptr_array_index (rows, i);
          if (r->stream != st)
            continue;
          if (r->command)
            g_ptr_array_add (want_c, r);
          if (r->indicator)
            g_ptr_array_add (want_r, r);
        }
      guint ci = 0, ri = 0;
      for (guint i = 0; i < s->events->len; i++)
        {
          MsEvent *ev = g_ptr_array_index (s->events, i);
          guint32 frame = g_array_index (s->frames, guint32, i);
          if (ev->proto != MS_PROTO_POP3)
            continue;
          if (strcmp (ev->kind, "command") == 0 || strcmp (ev->kind, "sasl") == 0)
            {
              g_assert_cmpuint (ci, <, want_c->len);
              TsharkRow *r = g_ptr_array_index (want_c, ci++);
              g_assert_cmpuint (frame, ==, r->frame);
              if (strcmp (ev->kind, "sasl") == 0)
                {
                  g_assert_cmpstr (ev->info, ==, r->command);
                  sasl_diffs++;
                }
              else
                {
                  g_autofree char *up = g_ascii_strup (r->command, -1);
                  g_assert_cmpstr (ms_event_get_str (ev, "command"), ==, up);
                }
            }
          if (compare_responses && strcmp (ev->kind, "response") == 0)
            {
              g_assert_cmpuint (ri, <, want_r->len);
              TsharkRow *r = g_ptr_array_index (want_r, ri++);
              guint32 first = ms_test_frame_of (c->segs, st, MS_DIR_S2C, ev->offset);
              g_assert_cmpuint (first, ==, r->frame);
              g_assert_cmpstr (ms_event_get_str (ev, "status"), ==, r->indicator);
            }
        }
      g_assert_cmpuint (ci, ==, want_c->len);
      if (compare_responses)
        g_assert_cmpuint (ri, ==, want_r->len);
      g_ptr_array_unref (want_c);
      g_ptr_array_unref (want_r);
      sink_free (s);
    }
  return sasl_diffs;
}

static void
test_capture_zeek_basic (void)
{
  Capture *c = capture_load ("pop3__pop3.pcap", 110);
  /* Three AUTH PLAIN exchanges whose base64 line tshark lists as a command. */
  g_assert_cmpuint (compare_with_tshark (c, "tshark/zeek__pop3__pop3.pcap.mail.tsv", TRUE), ==, 3);

  MsTestSink *s = capture_run (c, 6);
  /* Message sizes from the LIST reply equal what each RETR delivered. */
  const gint64 sizes[] = { 5565, 8412, 5214 };
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (ms_event_get_int (response_for (s, "RETR", i), "content_bytes", -1), ==,
                     sizes[i]);
  g_assert_cmpint (ms_event_get_int (response_for (s, "LIST", 0), "lines", -1), ==, 3);
  JsonObject *co = credential_of (nth (s, "credential", 0));
  g_assert_cmpstr (json_object_get_string_member (co, "user"), ==,
                   "digitalinvestigator@networksims.com");
  g_assert_cmpstr (json_object_get_string_member (co, "mechanism"), ==, "PLAIN");
  /* zeek: "AUTH" with no argument is answered -ERR. */
  g_assert_cmpstr (ms_event_get_str (response_for (s, "AUTH", 0), "status"), ==, "-ERR");
  g_assert_cmpstr (ms_event_get_str (response_for (s, "AUTH", 1), "status"), ==, "+OK");
  sink_free (s);

  s = capture_run (c, 2);
  JsonArray *caps = json_node_get_array (ms_event_get (response_for (s, "CAPA", 0),
                                                       "capabilities")->v.node);
  g_assert_cmpuint (json_array_get_length (caps), ==, 6);
  g_assert_cmpstr (json_array_get_string_element (caps, 3), ==, "STLS");
  /* CAPA and QUIT were pipelined in one round trip. */
  g_assert_nonnull (response_for (s, "QUIT", 0));
  sink_free (s);
  capture_free (c);
}

static void
test_capture_bad_list (void)
{
  /* The server answers LIST with a garbage line, then a +OK listing
   * without the terminating dot. Per RFC 1939 a body ends only at a dot
   * line, so the listing runs on through the RETR reply to its dot; the
   * reply to RETR is then "+OK bye", cut off at the end. The garbage line
   * answers nothing (zeek: "unknown server command"), and the listing is
   * flagged malformed because lines such as "From: ..." break its grammar.
   * tshark shows the "+OK message follows" line as a response: it frames
   * nothing, so responses are not compared here. */
  Capture *c = capture_load ("pop3__bad-list-retr-crafted.pcap", 110);
  compare_with_tshark (c, "tshark/zeek__pop3__bad-list-retr-crafted.pcap.mail.tsv", FALSE);
  MsTestSink *s = capture_run (c, 0);
  MsEvent *garbage = nth (s, "data", 0);
  g_assert_true (garbage->flags & MS_EVENT_MALFORMED);
  g_assert_true (g_str_has_prefix (garbage->info, "GARBAGE"));
  MsEvent *list = response_for (s, "LIST", 0);
  g_assert_true (list->flags & MS_EVENT_MALFORMED);
  g_assert_cmpint (ms_event_get_int (list, "lines", -1), ==, 9);
  MsEvent *retr = response_for (s, "RETR", 0);
  g_assert_true (retr->flags & MS_EVENT_TRUNCATED);
  g_assert_cmpuint (count (s, "response"), ==, 3);
  sink_free (s);
  capture_free (c);
}

static void
test_capture_unknown (void)
{
  /* Binary lines from the server after STAT: each is flagged and answers
   * nothing, so "+OK 1 236" still answers STAT (as zeek reports). */
  Capture *c = capture_load ("pop3-unknown-commands.pcap", 110);
  compare_with_tshark (c, "tshark/zeek__pop3-unknown-commands.pcap.mail.tsv", TRUE);
  MsTestSink *s = capture_run (c, 0);
  g_assert_cmpuint (count (s, "data"), ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_true (nth (s, "data", i)->flags & MS_EVENT_MALFORMED);
  MsEvent *stat = response_for (s, "STAT", 0);
  g_assert_true (g_str_has_suffix (stat->info, "1 236"));
  g_assert_nonnull (response_for (s, "QUIT", 0));
  sink_free (s);
  capture_free (c);
}

static void
test_capture_redis (void)
{
  /* Redis on 6379 must not be taken for POP3 (zeek got it wrong, then
   * learnt to give up: "too many unknown client commands"). */
  Capture *c = capture_load ("pop3__redis-50-pings.pcap", 6379);
  gboolean seen[2] = { FALSE, FALSE };
  for (guint i = 0; i < c->segs->len; i++)
    {
      MsTestSeg *seg = g_ptr_array_index (c->segs, i);
      if (seen[seg->dir])
        continue;
      seen[seg->dir] = TRUE;
      gsize n;
      const guint8 *d = g_bytes_get_data (seg->data, &n);
      g_assert_cmpint (ms_pop3_decoder_class.sniff (seg->dir, d, n), ==, MS_SNIFF_NO);
    }
  g_assert_true (seen[0] && seen[1]);
  /* Forced through the decoder anyway, it stays bounded and flags it. */
  MsTestSink *s = capture_run (c, 0);
  g_assert_cmpuint (count (s, "command"), >, 100);
  g_assert_true (nth (s, "command", 0)->flags & MS_EVENT_MALFORMED);
  sink_free (s);
  capture_free (c);
}

static void
test_capture_starttls (void)
{
  Capture *c = capture_load ("tls__pop3-starttls.pcap", 110);   /* NULL/loopback link */
  compare_with_tshark (c, "tshark/zeek__tls__pop3-starttls.pcap.mail.tsv", TRUE);
  MsTestSink *s = capture_run (c, 0);
  MsEvent *g = ev_at (s, 0);
  g_assert_true (ms_event_get_bool (g, "greeting"));
  g_assert_true (ms_event_get_bool (g, "apop"));   /* Cyrus offers APOP */
  g_assert_cmpstr (ms_event_get_str (response_for (s, "STLS", 0), "status"), ==, "+OK");
  MsEvent *ch = nth (s, "client-hello", 0);
  g_assert_cmpint (ch->proto, ==, MS_PROTO_TLS);
  g_assert_cmpstr (ms_event_get_str (ch, "inner"), ==, "pop3");
  MsEvent *sh = nth (s, "server-hello", 0);
  /* zeek's ssl.log: TLSv12, TLS_DHE_RSA_WITH_AES_256_GCM_SHA384. */
  g_assert_cmpstr (ms_event_get_str (sh, "version"), ==, "TLS 1.2");
  g_assert_cmpstr (ms_event_get_str (sh, "cipher_name"), ==, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384");
  g_assert_cmpuint (count (s, "encrypted"), >=, 2);
  for (guint i = 0; i < s->events->len; i++)
    g_assert_false (ev_at (s, i)->flags & (MS_EVENT_MALFORMED | MS_EVENT_TRUNCATED));
  /* Everything after the +OK is TLS. */
  gboolean tls = FALSE;
  for (guint i = 0; i < s->events->len; i++)
    {
      if (ev_at (s, i)->proto == MS_PROTO_TLS)
        tls = TRUE;
      else
        g_assert_false (tls);
    }
  sink_free (s);
  capture_free (c);
}

static void
test_capture_suricata_top (void)
{
  Capture *c = capture_load ("suricata-pop3__input.pcap", 110);
  compare_with_tshark (c, "tshark/suricata-verify__pop3__input.pcap.mail.tsv", TRUE);
  MsTestSink *s = capture_run (c, 0);
  /* suricata-verify tests/pop3: 56 transactions, 49 of them TOP with +OK. */
  guint tops = 0, answered = 0;
  for (guint i = 0; i < s->events->len; i++)
    {
      MsEvent *ev = ev_at (s, i);
      const char *fc = ms_event_get_str (ev, "for_command");
      if (strcmp (ev->kind, "command") == 0
          && strcmp (ms_event_get_str (ev, "command"), "TOP") == 0)
        tops++;
      if (fc && strcmp (fc, "TOP") == 0)
        {
          g_assert_cmpstr (ms_event_get_str (ev, "status"), ==, "+OK");
          g_assert_cmpint (ms_event_get_int (ev, "content_bytes", -1), >, 0);
          answered++;
        }
    }
  g_assert_cmpuint (tops, ==, 49);
  g_assert_cmpuint (answered, ==, 49);
  g_assert_cmpuint (count (s, "response"), ==, 56);
  MsEvent *list = response_for (s, "LIST", 0);
  g_assert_cmpint (ms_event_get_int (list, "lines", -1), ==, 2108);   /* STAT: 2108 messages */
  JsonObject *co = credential_of (nth (s, "credential", 0));
  g_assert_cmpstr (json_object_get_string_member (co, "user"), ==,
                   "moises.nunez@ingenierianumar.com");
  sink_free (s);
  capture_free (c);
}

static void
test_capture_suricata_auth (void)
{
  /* The capture starts with CAPA (no greeting). tshark calls the XOAUTH2
   * line a command; suricata logs it as "<SASL DATA>"; it is a sasl line. */
  Capture *c = capture_load ("suricata-pop3-auth-01__input.pcap", 110);
  g_assert_cmpuint (
    compare_with_tshark (c, "tshark/suricata-verify__pop3-auth-01__input.pcap.mail.tsv", FALSE),
    ==, 1);
  MsTestSink *s = capture_run (c, 0);
  MsEvent *capa = response_for (s, "CAPA", 0);
  g_assert_false (ms_event_has (capa, "greeting"));
  /* suricata-verify pop3-auth-01: response.data[0..7]. */
  const char *want[] = { "USER", "RESP-CODES", "EXPIRE 0", "LOGIN-DELAY 300", "TOP", "UIDL",
                         "X-GOOGLE-RICO", "SASL PLAIN XOAUTH2 OAUTHBEARER" };
  JsonArray *caps = json_node_get_array (ms_event_get (capa, "capabilities")->v.node);
  g_assert_cmpuint (json_array_get_length (caps), ==, G_N_ELEMENTS (want));
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    g_assert_cmpstr (json_array_get_string_element (caps, i), ==, want[i]);
  g_assert_cmpuint (count (s, "continuation"), ==, 1);
  g_assert_cmpuint (count (s, "sasl"), ==, 1);
  JsonObject *co = credential_of (nth (s, "credential", 0));
  g_assert_cmpstr (json_object_get_string_member (co, "mechanism"), ==, "XOAUTH2");
  g_assert_cmpstr (json_object_get_string_member (co, "user"), ==, "joe.speedboat");
  g_assert_cmpstr (ms_event_get_str (response_for (s, "AUTH", 0), "status"), ==, "+OK");
  g_assert_cmpint (ms_event_get_int (response_for (s, "LIST", 0), "lines", -1), ==, 1);
  g_assert_cmpint (ms_event_get_int (response_for (s, "UIDL", 0), "lines", -1), ==, 1);
  /* QUIT was never answered in the capture: it stays pending, no event. */
  g_assert_cmpuint (count (s, "response"), ==, 5);
  sink_free (s);
  capture_free (c);
}

static void
test_capture_arkime (void)
{
  Capture *c = capture_load ("arkime-pop3-tag.pcap", 110);
  compare_with_tshark (c, "tshark/arkime__pop3-tag.pcap.mail.tsv", TRUE);
  MsTestSink *s = capture_run (c, 0);
  g_assert_cmpuint (s->events->len, ==, 1);
  g_assert_true (ms_event_get_bool (ev_at (s, 0), "greeting"));
  g_assert_false (ms_event_has (ev_at (s, 0), "apop"));
  sink_free (s);
  capture_free (c);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pop3/session", test_session);
  g_test_add_func ("/pop3/bare-lf", test_bare_lf);
  g_test_add_func ("/pop3/apop", test_apop);
  g_test_add_func ("/pop3/auth-plain-initial", test_auth_plain_initial);
  g_test_add_func ("/pop3/auth-plain-continuation", test_auth_plain_continuation);
  g_test_add_func ("/pop3/auth-login-cancel", test_auth_login_and_cancel);
  g_test_add_func ("/pop3/auth-list", test_auth_list);
  g_test_add_func ("/pop3/auth-cram-oauthbearer", test_auth_cram_oauth);
  g_test_add_func ("/pop3/mask-long-secret", test_mask_long_secret);
  g_test_add_func ("/pop3/stls", test_stls);
  g_test_add_func ("/pop3/codes-pipelining", test_codes_and_pipelining);
  g_test_add_func ("/pop3/limits", test_limits);
  g_test_add_func ("/pop3/garbage", test_garbage);
  g_test_add_func ("/pop3/truncated", test_truncated);
  g_test_add_func ("/pop3/gap", test_gap);
  g_test_add_func ("/pop3/midstream", test_midstream);
  g_test_add_func ("/pop3/sniff", test_sniff);
  g_test_add_func ("/pop3/random-input", test_random_input);
  g_test_add_func ("/pop3/capture/zeek-basic", test_capture_zeek_basic);
  g_test_add_func ("/pop3/capture/zeek-bad-list-retr", test_capture_bad_list);
  g_test_add_func ("/pop3/capture/zeek-unknown-commands", test_capture_unknown);
  g_test_add_func ("/pop3/capture/zeek-redis", test_capture_redis);
  g_test_add_func ("/pop3/capture/zeek-starttls", test_capture_starttls);
  g_test_add_func ("/pop3/capture/suricata-49-top", test_capture_suricata_top);
  g_test_add_func ("/pop3/capture/suricata-auth", test_capture_suricata_auth);
  g_test_add_func ("/pop3/capture/arkime", test_capture_arkime);
  return g_test_run ();
}
