/* test-lesson.c - the lesson layer and the sinks, fed hand-made event
 * sequences: step rules, latency pairing, notes, summary counters, and the
 * JSON and text output (with and without masked secrets). */
#include "config.h"

#include <string.h>
#include <gio/gio.h>

#include "mailscope/ms-lesson.h"
#include "mailscope/ms-sink.h"
#include "addr-test-util.h"

/* --- building events --------------------------------------------------- */

typedef struct {
  MsLesson *lesson;
  guint32 frame;
  guint64 seq;
  GPtrArray *events;   /* every event made */
  MsSink *sink;        /* when set, run() hands each event on to it */
} Fixture;

/* An event of stream `stream` at `ms` milliseconds, one frame each. Client
 * 192.0.2.<stream+10>:50000, server 192.0.2.1 on the protocol's port. */
static MsEvent *
mk (Fixture *fx, MsProto proto, MsDir dir, const char *kind, gint64 stream, gint64 ms,
    guint64 length)
{
  MsEvent *ev = ms_event_new (proto, dir, kind);
  MsAddr c, s;
  guint16 port = proto == MS_PROTO_POP3 ? 110 : proto == MS_PROTO_DNS ? 53 : 143;
  ms_test_addr4 (&c, (guint8) (10 + (stream < 0 ? 0 : stream)), 50000);
  ms_test_addr4 (&s, 1, port);
  ev->client = c;
  ev->server = s;
  ev->src = dir == MS_DIR_S2C ? s : c;
  ev->dst = dir == MS_DIR_S2C ? c : s;
  ev->stream = stream;
  ev->frame = ev->first_frame = ++fx->frame;
  ev->seq = ++fx->seq;
  ev->ts_nsec = 1700000000000000000LL + ms * 1000000LL;
  ev->time = (double) ms / 1000.0;
  ev->length = length;
  ev->offset = 0;
  return ev;
}

/* Runs ev through the lesson, keeps it, returns it (borrowed). */
static MsEvent *
run (Fixture *fx, MsEvent *ev)
{
  ms_lesson_process (fx->lesson, ev);
  g_ptr_array_add (fx->events, ev);
  if (fx->sink)
    g_assert_true (ms_sink_event (fx->sink, ev));
  return ev;
}

static MsEvent *
imap_cmd (Fixture *fx, gint64 stream, gint64 ms, const char *tag, const char *command,
          const char *args)
{
  MsEvent *ev = mk (fx, MS_PROTO_IMAP, MS_DIR_C2S, "command", stream, ms, 20);
  ms_event_add_str (ev, "tag", tag);
  ms_event_add_str (ev, "command", command);
  if (args)
    ms_event_add_str (ev, "args", args);
  ms_event_set_infof (ev, "%s %s%s%s", tag, command, args ? " " : "", args ? args : "");
  return ev;
}

static MsEvent *
imap_done (Fixture *fx, gint64 stream, gint64 ms, const char *tag, const char *for_command,
           const char *status)
{
  MsEvent *ev = mk (fx, MS_PROTO_IMAP, MS_DIR_S2C, "completion", stream, ms, 30);
  ms_event_add_str (ev, "tag", tag);
  ms_event_add_str (ev, "status", status);
  ms_event_add_str (ev, "for_command", for_command);
  ms_event_set_infof (ev, "%s %s done", tag, status);
  return ev;
}

static MsEvent *
imap_untagged (Fixture *fx, gint64 stream, gint64 ms, const char *kind, const char *during)
{
  MsEvent *ev = mk (fx, MS_PROTO_IMAP, MS_DIR_S2C, "untagged", stream, ms, 40);
  ms_event_add_bool (ev, "untagged", TRUE);
  ms_event_add_str (ev, "kind", kind);
  if (during)
    ms_event_add_str (ev, "during", during);
  ms_event_set_infof (ev, "* %s", kind);
  return ev;
}

static MsEvent *
pop3_cmd (Fixture *fx, gint64 stream, gint64 ms, const char *command, const char *args)
{
  MsEvent *ev = mk (fx, MS_PROTO_POP3, MS_DIR_C2S, "command", stream, ms, 10);
  ms_event_add_str (ev, "command", command);
  if (args)
    ms_event_add_str (ev, "args", args);
  ms_event_set_infof (ev, "%s%s%s", command, args ? " " : "", args ? args : "");
  return ev;
}

static MsEvent *
pop3_resp (Fixture *fx, gint64 stream, gint64 ms, const char *for_command, gboolean ok)
{
  MsEvent *ev = mk (fx, MS_PROTO_POP3, MS_DIR_S2C, "response", stream, ms, 12);
  ms_event_add_str (ev, "status", ok ? "+OK" : "-ERR");
  if (for_command)
    ms_event_add_str (ev, "for_command", for_command);
  ms_event_set_info (ev, ok ? "+OK" : "-ERR");
  return ev;
}

static MsEvent *
tcp_ev (Fixture *fx, gint64 stream, gint64 ms, MsDir dir, const char *kind, const char *flag)
{
  MsEvent *ev = mk (fx, MS_PROTO_TCP, dir, kind, stream, ms, 0);
  ms_event_add_str (ev, "tcp", flag);
  ms_event_set_info (ev, flag);
  return ev;
}

static MsEvent *
credential (Fixture *fx, MsProto proto, gint64 stream, gint64 ms, const char *user,
            const char *mech, const char *password, gboolean clear)
{
  MsEvent *ev = mk (fx, proto, MS_DIR_C2S, "credential", stream, ms, 0);
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "user", user);
  json_object_set_string_member (o, "mechanism", mech);
  json_object_set_boolean_member (o, "cleartext", clear);
  json_object_set_string_member (o, "password", password);
  JsonNode *n = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (n, o);
  ms_event_add_node (ev, "credential", n);
  ms_event_add_str (ev, "secret", password);
  ev->flags |= MS_EVENT_WARNING;
  return ev;
}

static void
fixture_init (Fixture *fx)
{
  fx->lesson = ms_lesson_new ();
  fx->frame = 0;
  fx->seq = 0;
  fx->sink = NULL;
  fx->events = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_event_unref);
}

static void
fixture_clear (Fixture *fx)
{
  g_ptr_array_unref (fx->events);
  ms_lesson_free (fx->lesson);
}

static const MsSessionSummary *
session_of_stream (Fixture *fx, gint64 stream)
{
  const GPtrArray *all = ms_lesson_sessions (fx->lesson);
  for (guint i = 0; i < all->len; i++)
    {
      const MsSessionSummary *s = g_ptr_array_index (all, i);
      if (!s->dns_group && s->stream == stream)
        return s;
    }
  return NULL;
}

#define assert_step(ev, expected) \
  g_assert_cmpstr (ms_step_name ((ev)->step), ==, ms_step_name (expected))

/* --- step rules -------------------------------------------------------- */

static void
test_imap_command_steps (void)
{
  static const struct {
    const char *command;
    gboolean moves_content;
    MsStep step;
  } table[] = {
    { "CAPABILITY", FALSE, MS_STEP_NEGOTIATE }, { "ID", FALSE, MS_STEP_NEGOTIATE },
    { "ENABLE", FALSE, MS_STEP_NEGOTIATE }, { "STARTTLS", FALSE, MS_STEP_NEGOTIATE },
    { "LOGIN", FALSE, MS_STEP_LOGIN }, { "AUTHENTICATE", FALSE, MS_STEP_LOGIN },
    { "LIST", FALSE, MS_STEP_LIST }, { "LSUB", FALSE, MS_STEP_LIST },
    { "STATUS", FALSE, MS_STEP_LIST }, { "NAMESPACE", FALSE, MS_STEP_LIST },
    { "SELECT", FALSE, MS_STEP_LIST }, { "EXAMINE", FALSE, MS_STEP_LIST },
    { "SEARCH", FALSE, MS_STEP_LIST }, { "FETCH", FALSE, MS_STEP_LIST },
    { "FETCH", TRUE, MS_STEP_FETCH },
    { "IDLE", FALSE, MS_STEP_REFRESH }, { "NOOP", FALSE, MS_STEP_REFRESH },
    { "CHECK", FALSE, MS_STEP_REFRESH },
    { "STORE", FALSE, MS_STEP_UPDATE }, { "COPY", FALSE, MS_STEP_UPDATE },
    { "MOVE", FALSE, MS_STEP_UPDATE }, { "EXPUNGE", FALSE, MS_STEP_UPDATE },
    { "APPEND", FALSE, MS_STEP_UPDATE }, { "CREATE", FALSE, MS_STEP_UPDATE },
    { "DELETE", FALSE, MS_STEP_UPDATE }, { "RENAME", FALSE, MS_STEP_UPDATE },
    { "SUBSCRIBE", FALSE, MS_STEP_UPDATE }, { "UNSUBSCRIBE", FALSE, MS_STEP_UPDATE },
    { "CLOSE", FALSE, MS_STEP_UPDATE }, { "UNSELECT", FALSE, MS_STEP_UPDATE },
    { "LOGOUT", FALSE, MS_STEP_LOGOUT },
  };
  Fixture fx;
  fixture_init (&fx);
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      char tag[16];
      g_snprintf (tag, sizeof tag, "a%u", i);
      MsEvent *cmd = imap_cmd (&fx, 0, (gint64) i * 10, tag, table[i].command, "x");
      if (strcmp (table[i].command, "FETCH") == 0)
        ms_event_add_bool (cmd, "moves_content", table[i].moves_content);
      run (&fx, cmd);
      assert_step (cmd, table[i].step);
      g_assert_nonnull (cmd->summary);
      g_assert_cmpstr (cmd->summary, !=, "");
      /* The completion takes its command's step, FETCH included. */
      MsEvent *done = run (&fx, imap_done (&fx, 0, (gint64) i * 10 + 5, tag,
                                           table[i].command, "OK"));
      assert_step (done, table[i].step);
      if (strcmp (table[i].command, "IDLE") == 0)
        continue;
    }
  fixture_clear (&fx);
}

static void
test_imap_session_steps (void)
{
  Fixture fx;
  fixture_init (&fx);
  assert_step (run (&fx, tcp_ev (&fx, 0, 0, MS_DIR_C2S, "handshake", "SYN")), MS_STEP_CONNECT);
  assert_step (run (&fx, tcp_ev (&fx, 0, 1, MS_DIR_S2C, "handshake", "SYN-ACK")), MS_STEP_CONNECT);
  assert_step (run (&fx, tcp_ev (&fx, 0, 2, MS_DIR_C2S, "handshake", "ACK")), MS_STEP_CONNECT);

  MsEvent *greet = imap_untagged (&fx, 0, 3, "OK", NULL);
  ms_event_add_bool (greet, "greeting", TRUE);
  assert_step (run (&fx, greet), MS_STEP_GREETING);
  g_assert_cmpstr (greet->summary, ==, "The server greets the client and says it is ready.");

  run (&fx, imap_cmd (&fx, 0, 4, "a1", "CAPABILITY", NULL));
  assert_step (run (&fx, imap_untagged (&fx, 0, 5, "CAPABILITY", "CAPABILITY")), MS_STEP_NEGOTIATE);
  run (&fx, imap_done (&fx, 0, 6, "a1", "CAPABILITY", "OK"));

  /* AUTHENTICATE: continuation and SASL lines are login. */
  run (&fx, imap_cmd (&fx, 0, 7, "a2", "AUTHENTICATE", "PLAIN"));
  MsEvent *cont = mk (&fx, MS_PROTO_IMAP, MS_DIR_S2C, "continuation", 0, 8, 4);
  assert_step (run (&fx, cont), MS_STEP_LOGIN);
  g_assert_null (cont->note);
  MsEvent *sasl = mk (&fx, MS_PROTO_IMAP, MS_DIR_C2S, "sasl", 0, 9, 30);
  ms_event_add_bool (sasl, "sasl", TRUE);
  assert_step (run (&fx, sasl), MS_STEP_LOGIN);
  assert_step (run (&fx, credential (&fx, MS_PROTO_IMAP, 0, 9, "student", "PLAIN", "classroom", TRUE)),
               MS_STEP_LOGIN);
  MsEvent *ok = run (&fx, imap_done (&fx, 0, 10, "a2", "AUTHENTICATE", "OK"));
  assert_step (ok, MS_STEP_LOGIN);
  g_assert_cmpstr (ok->summary, ==, "The server accepts the login.");

  /* SELECT's untagged responses belong to SELECT: list. */
  run (&fx, imap_cmd (&fx, 0, 11, "a3", "SELECT", "INBOX"));
  assert_step (run (&fx, imap_untagged (&fx, 0, 12, "EXISTS", "SELECT")), MS_STEP_LIST);
  assert_step (run (&fx, imap_untagged (&fx, 0, 12, "FLAGS", "SELECT")), MS_STEP_LIST);
  run (&fx, imap_done (&fx, 0, 13, "a3", "SELECT", "OK"));

  /* A content FETCH's untagged FETCH is fetch; a metadata one is list. */
  MsEvent *f = imap_cmd (&fx, 0, 14, "a4", "FETCH", "1 BODY.PEEK[]");
  ms_event_add_bool (f, "moves_content", TRUE);
  run (&fx, f);
  MsEvent *fr = imap_untagged (&fx, 0, 15, "FETCH", "FETCH");
  ms_event_add_int (fr, "number", 1);
  ms_event_add_int (fr, "content_bytes", 1000);
  assert_step (run (&fx, fr), MS_STEP_FETCH);
  run (&fx, imap_done (&fx, 0, 16, "a4", "FETCH", "OK"));
  f = imap_cmd (&fx, 0, 17, "a5", "FETCH", "1:* (FLAGS)");
  ms_event_add_bool (f, "moves_content", FALSE);
  run (&fx, f);
  assert_step (run (&fx, imap_untagged (&fx, 0, 18, "FETCH", "FETCH")), MS_STEP_LIST);
  run (&fx, imap_done (&fx, 0, 19, "a5", "FETCH", "OK"));

  /* IDLE: the go-ahead, pushed EXISTS/EXPUNGE/FETCH, DONE and the
   * completion are all refresh; the push carries a note. */
  run (&fx, imap_cmd (&fx, 0, 20, "a6", "IDLE", NULL));
  MsEvent *idle_cont = mk (&fx, MS_PROTO_IMAP, MS_DIR_S2C, "continuation", 0, 21, 10);
  assert_step (run (&fx, idle_cont), MS_STEP_REFRESH);
  g_assert_null (idle_cont->note);
  const char *pushed[] = { "EXISTS", "EXPUNGE", "FETCH" };
  for (guint i = 0; i < G_N_ELEMENTS (pushed); i++)
    {
      MsEvent *u = imap_untagged (&fx, 0, 30 + i, pushed[i], "IDLE");
      ms_event_add_int (u, "number", 5);
      run (&fx, u);
      assert_step (u, MS_STEP_REFRESH);
      g_assert_nonnull (u->note);
      g_assert_nonnull (strstr (u->note, "IDLE"));
    }
  MsEvent *done = mk (&fx, MS_PROTO_IMAP, MS_DIR_C2S, "idle-done", 0, 40, 6);
  ms_event_add_str (done, "command", "DONE");
  assert_step (run (&fx, done), MS_STEP_REFRESH);
  assert_step (run (&fx, imap_done (&fx, 0, 41, "a6", "IDLE", "OK")), MS_STEP_REFRESH);
  /* After IDLE, an EXISTS answering NOOP carries no push note. */
  run (&fx, imap_cmd (&fx, 0, 42, "a7", "NOOP", NULL));
  MsEvent *after = run (&fx, imap_untagged (&fx, 0, 43, "EXISTS", "NOOP"));
  assert_step (after, MS_STEP_REFRESH);
  g_assert_null (after->note);
  run (&fx, imap_done (&fx, 0, 44, "a7", "NOOP", "OK"));

  /* LOGOUT, BYE, FIN, FIN. */
  run (&fx, imap_cmd (&fx, 0, 50, "a8", "LOGOUT", NULL));
  assert_step (run (&fx, imap_untagged (&fx, 0, 51, "BYE", "LOGOUT")), MS_STEP_LOGOUT);
  assert_step (run (&fx, imap_done (&fx, 0, 52, "a8", "LOGOUT", "OK")), MS_STEP_LOGOUT);
  g_assert_false (session_of_stream (&fx, 0)->closed);
  assert_step (run (&fx, tcp_ev (&fx, 0, 53, MS_DIR_S2C, "close", "FIN")), MS_STEP_CLOSE);
  g_assert_false (session_of_stream (&fx, 0)->closed);
  assert_step (run (&fx, tcp_ev (&fx, 0, 54, MS_DIR_C2S, "close", "FIN")), MS_STEP_CLOSE);
  g_assert_true (session_of_stream (&fx, 0)->closed);

  /* An RST closes at once. */
  run (&fx, tcp_ev (&fx, 1, 60, MS_DIR_C2S, "handshake", "SYN"));
  assert_step (run (&fx, tcp_ev (&fx, 1, 61, MS_DIR_S2C, "close", "RST")), MS_STEP_CLOSE);
  g_assert_true (session_of_stream (&fx, 1)->closed);
  fixture_clear (&fx);
}

static void
test_pop3_steps (void)
{
  static const struct {
    const char *command;
    MsStep step;
  } table[] = {
    { "CAPA", MS_STEP_NEGOTIATE }, { "STLS", MS_STEP_NEGOTIATE },
    { "USER", MS_STEP_LOGIN }, { "PASS", MS_STEP_LOGIN }, { "APOP", MS_STEP_LOGIN },
    { "AUTH", MS_STEP_LOGIN },
    { "STAT", MS_STEP_LIST }, { "LIST", MS_STEP_LIST }, { "UIDL", MS_STEP_LIST },
    { "RETR", MS_STEP_FETCH }, { "TOP", MS_STEP_FETCH },
    { "NOOP", MS_STEP_REFRESH },
    { "DELE", MS_STEP_UPDATE }, { "RSET", MS_STEP_UPDATE },
    { "QUIT", MS_STEP_LOGOUT },
  };
  Fixture fx;
  fixture_init (&fx);
  MsEvent *greet = pop3_resp (&fx, 3, 0, NULL, TRUE);
  ms_event_add_bool (greet, "greeting", TRUE);
  assert_step (run (&fx, greet), MS_STEP_GREETING);
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      MsEvent *cmd = run (&fx, pop3_cmd (&fx, 3, 10 + i * 10, table[i].command, "1"));
      assert_step (cmd, table[i].step);
      /* Answers pair in order even without for_command. */
      MsEvent *resp = run (&fx, pop3_resp (&fx, 3, 15 + i * 10, NULL, TRUE));
      assert_step (resp, table[i].step);
      g_assert_true (ms_event_has (resp, "latency"));
    }
  MsEvent *sasl = mk (&fx, MS_PROTO_POP3, MS_DIR_C2S, "sasl", 3, 500, 10);
  assert_step (run (&fx, sasl), MS_STEP_LOGIN);
  fixture_clear (&fx);
}

static void
test_other_protocol_steps (void)
{
  Fixture fx;
  fixture_init (&fx);
  MsEvent *q = mk (&fx, MS_PROTO_DNS, MS_DIR_C2S, "query", -1, 0, 40);
  ms_event_add_str (q, "qname", "imap.mailscope.test");
  ms_event_add_str (q, "qtype", "A");
  assert_step (run (&fx, q), MS_STEP_DNS);
  g_assert_cmpstr (q->summary, ==, "The client asks DNS for the A record of “imap.mailscope.test”.");

  MsEvent *hello = mk (&fx, MS_PROTO_TLS, MS_DIR_C2S, "client-hello", 4, 1, 300);
  ms_event_add_str (hello, "inner", "imap");
  assert_step (run (&fx, hello), MS_STEP_TLS);
  g_assert_nonnull (hello->note);   /* TLS began */
  MsEvent *enc = mk (&fx, MS_PROTO_TLS, MS_DIR_S2C, "encrypted", 4, 2, 900);
  assert_step (run (&fx, enc), MS_STEP_TLS);
  g_assert_null (enc->note);        /* said once per session */
  const MsSessionSummary *s = session_of_stream (&fx, 4);
  g_assert_true (s->tls_used);
  g_assert_cmpint (s->proto, ==, MS_PROTO_IMAP);

  /* A gap keeps the step of what was going on and says bytes are missing. */
  MsEvent *gap = mk (&fx, MS_PROTO_TCP, MS_DIR_S2C, "gap", 4, 3, 0);
  ms_event_add_int (gap, "missing", 1460);
  gap->flags |= MS_EVENT_GAP;
  assert_step (run (&fx, gap), MS_STEP_TLS);
  g_assert_nonnull (gap->note);
  g_assert_cmpstr (gap->summary, ==, "1,460 bytes never reached the capture.");
  g_assert_cmpuint (session_of_stream (&fx, 4)->missing_bytes, ==, 1460);
  fixture_clear (&fx);
}

/* --- latency ----------------------------------------------------------- */

static double
latency (const MsEvent *ev)
{
  const MsField *f = ms_event_get (ev, "latency");
  g_assert_nonnull (f);
  g_assert_cmpint (f->type, ==, MS_VAL_DOUBLE);
  return f->v.d;
}

static void
test_latency (void)
{
  Fixture fx;
  fixture_init (&fx);
  /* Pipelined IMAP commands answered out of order pair by tag. */
  run (&fx, imap_cmd (&fx, 0, 0, "a1", "NOOP", NULL));
  run (&fx, imap_cmd (&fx, 0, 10, "a2", "CHECK", NULL));
  /* Same tag in another stream must not pair with stream 0. */
  run (&fx, imap_cmd (&fx, 1, 12, "a2", "NOOP", NULL));
  MsEvent *d2 = run (&fx, imap_done (&fx, 0, 30, "a2", "CHECK", "OK"));
  MsEvent *d1 = run (&fx, imap_done (&fx, 0, 50, "a1", "NOOP", "OK"));
  MsEvent *o2 = run (&fx, imap_done (&fx, 1, 100, "a2", "NOOP", "OK"));
  g_assert_cmpfloat_with_epsilon (latency (d2), 0.020, 1e-9);
  g_assert_cmpfloat_with_epsilon (latency (d1), 0.050, 1e-9);
  g_assert_cmpfloat_with_epsilon (latency (o2), 0.088, 1e-9);
  /* A completion nobody asked for gets no latency. */
  MsEvent *stray = run (&fx, imap_done (&fx, 0, 120, "zz", "NOOP", "OK"));
  g_assert_false (ms_event_has (stray, "latency"));

  /* POP3 pipelining: answers come in order. */
  run (&fx, pop3_cmd (&fx, 2, 0, "USER", "student"));
  run (&fx, pop3_cmd (&fx, 2, 5, "PASS", "classroom"));
  MsEvent *r1 = run (&fx, pop3_resp (&fx, 2, 20, "USER", TRUE));
  MsEvent *r2 = run (&fx, pop3_resp (&fx, 2, 25, "PASS", TRUE));
  g_assert_cmpfloat_with_epsilon (latency (r1), 0.020, 1e-9);
  g_assert_cmpfloat_with_epsilon (latency (r2), 0.020, 1e-9);
  g_assert_cmpstr (r2->summary, ==, "The server accepts the login.");
  fixture_clear (&fx);
}

/* --- notes ------------------------------------------------------------- */

static void
test_notes (void)
{
  Fixture fx;
  fixture_init (&fx);
  MsEvent *login = run (&fx, imap_cmd (&fx, 0, 0, "a1", "LOGIN", "student classroom"));
  g_assert_cmpstr (login->summary, ==,
                   "The client logs in as “student”; the password crosses the wire in clear text.");
  MsEvent *cred = run (&fx, credential (&fx, MS_PROTO_IMAP, 0, 0, "student", "LOGIN", "classroom", TRUE));
  g_assert_nonnull (cred->note);
  g_assert_nonnull (strstr (cred->note, "password"));
  MsEvent *safe = run (&fx, credential (&fx, MS_PROTO_IMAP, 1, 0, "student", "APOP", "x", FALSE));
  g_assert_null (safe->note);

  /* APPEND with a synchronising literal: the go-ahead costs a round trip. */
  run (&fx, imap_cmd (&fx, 0, 10, "a2", "APPEND", "INBOX {310}"));
  MsEvent *go = run (&fx, mk (&fx, MS_PROTO_IMAP, MS_DIR_S2C, "continuation", 0, 12, 12));
  assert_step (go, MS_STEP_UPDATE);
  g_assert_nonnull (go->note);
  g_assert_nonnull (strstr (go->note, "round trip"));
  run (&fx, imap_done (&fx, 0, 20, "a2", "APPEND", "OK"));
  const MsSessionSummary *s = session_of_stream (&fx, 0);
  g_assert_cmpuint (s->steps[MS_STEP_UPDATE].round_trips, ==, 2);

  MsEvent *cut = mk (&fx, MS_PROTO_IMAP, MS_DIR_S2C, "untagged", 0, 30, 5);
  ms_event_add_str (cut, "kind", "FETCH");
  cut->flags |= MS_EVENT_TRUNCATED;
  run (&fx, cut);
  g_assert_nonnull (cut->note);

  /* POP3's RETR note appears on the first RETR only. */
  MsEvent *retr = run (&fx, pop3_cmd (&fx, 5, 0, "RETR", "1"));
  g_assert_nonnull (retr->note);
  run (&fx, pop3_resp (&fx, 5, 1, "RETR", TRUE));
  MsEvent *retr2 = run (&fx, pop3_cmd (&fx, 5, 2, "RETR", "2"));
  g_assert_null (retr2->note);
  fixture_clear (&fx);
}

/* --- summary counters -------------------------------------------------- */

static JsonNode *
parts_tree (void)
{
  JsonParser *p = json_parser_new ();
  g_assert_true (json_parser_load_from_data (p,
    "{\"type\":\"multipart/mixed\",\"children\":["
    "{\"part\":\"1\",\"type\":\"text/plain\",\"size\":300},"
    "{\"part\":\"2\",\"type\":\"application/pdf\",\"size\":204800,\"disposition\":\"attachment\"},"
    "{\"part\":\"3\",\"type\":\"image/png\",\"size\":5000}]}", -1, NULL));
  JsonNode *n = json_node_copy (json_parser_get_root (p));
  g_object_unref (p);
  return n;
}

static void
test_summary (void)
{
  Fixture fx;
  fixture_init (&fx);
  run (&fx, tcp_ev (&fx, 0, 0, MS_DIR_C2S, "handshake", "SYN"));
  run (&fx, tcp_ev (&fx, 0, 1, MS_DIR_S2C, "handshake", "SYN-ACK"));
  run (&fx, tcp_ev (&fx, 0, 2, MS_DIR_C2S, "handshake", "ACK"));
  run (&fx, imap_cmd (&fx, 0, 10, "a1", "LOGIN", "student classroom"));      /* 20 bytes */
  run (&fx, credential (&fx, MS_PROTO_IMAP, 0, 10, "student", "LOGIN", "classroom", TRUE));
  run (&fx, imap_done (&fx, 0, 20, "a1", "LOGIN", "OK"));                    /* 30 bytes */

  /* Metadata: sizes and structure of messages 1 and 2. */
  MsEvent *f = imap_cmd (&fx, 0, 30, "a2", "FETCH", "1:2 (RFC822.SIZE BODYSTRUCTURE)");
  ms_event_add_bool (f, "moves_content", FALSE);
  run (&fx, f);
  MsEvent *m1 = imap_untagged (&fx, 0, 31, "FETCH", "FETCH");
  ms_event_add_int (m1, "number", 1);
  ms_event_add_int (m1, "rfc822_size", 210000);
  ms_event_add_node (m1, "parts", parts_tree ());
  run (&fx, m1);
  MsEvent *m2 = imap_untagged (&fx, 0, 32, "FETCH", "FETCH");
  ms_event_add_int (m2, "number", 2);
  ms_event_add_int (m2, "rfc822_size", 1000);
  run (&fx, m2);
  /* Message 1 reported again: its size is not counted twice. */
  MsEvent *m1b = imap_untagged (&fx, 0, 33, "FETCH", "FETCH");
  ms_event_add_int (m1b, "number", 1);
  ms_event_add_int (m1b, "rfc822_size", 210000);
  run (&fx, m1b);
  run (&fx, imap_done (&fx, 0, 34, "a2", "FETCH", "OK"));

  /* Content: the text part and the image of message 1, not the PDF. */
  f = imap_cmd (&fx, 0, 40, "a3", "FETCH", "1 (BODY.PEEK[1] BODY.PEEK[3])");
  ms_event_add_bool (f, "moves_content", TRUE);
  run (&fx, f);
  MsEvent *c = imap_untagged (&fx, 0, 41, "FETCH", "FETCH");
  ms_event_add_int (c, "number", 1);
  ms_event_add_int (c, "content_bytes", 5300);
  ms_event_set_info (c, "* 1 FETCH (BODY[1] {300} BODY[3] {5000})");
  run (&fx, c);
  run (&fx, imap_done (&fx, 0, 42, "a3", "FETCH", "OK"));

  const MsSessionSummary *s = session_of_stream (&fx, 0);
  g_assert_nonnull (s);
  g_assert_cmpint (s->proto, ==, MS_PROTO_IMAP);
  g_assert_cmpint (s->stream, ==, 0);
  g_assert_cmpuint (s->client.port, ==, 50000);
  g_assert_cmpuint (s->server.port, ==, 143);
  g_assert_cmpuint (s->steps[MS_STEP_CONNECT].frames, ==, 3);
  g_assert_cmpuint (s->steps[MS_STEP_CONNECT].round_trips, ==, 0);
  g_assert_cmpuint (s->steps[MS_STEP_LOGIN].bytes[MS_DIR_C2S], ==, 20);
  g_assert_cmpuint (s->steps[MS_STEP_LOGIN].bytes[MS_DIR_S2C], ==, 30);
  g_assert_cmpuint (s->steps[MS_STEP_LOGIN].round_trips, ==, 1);
  g_assert_cmpfloat_with_epsilon (s->steps[MS_STEP_LOGIN].first_time, 0.010, 1e-9);
  g_assert_cmpfloat_with_epsilon (s->steps[MS_STEP_LOGIN].last_time, 0.020, 1e-9);
  g_assert_cmpuint (s->steps[MS_STEP_LIST].round_trips, ==, 1);
  g_assert_cmpuint (s->steps[MS_STEP_LIST].bytes[MS_DIR_S2C], ==, 3 * 40 + 30);
  g_assert_cmpuint (s->steps[MS_STEP_FETCH].round_trips, ==, 1);
  g_assert_cmpuint (s->total.round_trips, ==, 3);
  g_assert_cmpuint (s->total.events, ==, 14);
  g_assert_cmpuint (s->total.frames, ==, 14);
  g_assert_cmpuint (s->total.bytes[MS_DIR_C2S], ==, 3 * 20);
  g_assert_true (s->credentials_exposed);
  g_assert_cmpstr (s->user, ==, "student");
  g_assert_cmpstr (s->mechanism, ==, "LOGIN");
  g_assert_false (s->tls_used);
  g_assert_cmpuint (s->content_bytes, ==, 5300);
  g_assert_cmpint (s->mailbox_bytes, ==, 211000);
  g_assert_cmpuint (s->n_attachments, ==, 2);
  g_assert_cmpuint (ms_session_summary_attachments_missed (s), ==, 1);

  g_autofree char *text = ms_session_summary_format (s);
  g_assert_nonnull (strstr (text, "Session 1: IMAP, client 192.0.2.10:50000, server 192.0.2.1:143, stream 0"));
  g_assert_nonnull (strstr (text, "Credentials exposed: yes, user “student”, mechanism LOGIN"));
  g_assert_nonnull (strstr (text, "TLS used: no"));
  g_assert_nonnull (strstr (text, "5,300 bytes of a mailbox of 211,000 bytes"));
  g_assert_nonnull (strstr (text, "message 1, part 2 (application/pdf, 204,800 bytes)"));
  g_assert_null (strstr (text, "image/png"));

  /* A range of the PDF is not the PDF; a whole-message fetch of message 3
   * moves all its parts. */
  MsEvent *m3 = imap_untagged (&fx, 0, 43, "FETCH", NULL);
  ms_event_add_int (m3, "number", 3);
  ms_event_add_node (m3, "parts", parts_tree ());
  run (&fx, m3);
  g_assert_cmpuint (ms_session_summary_attachments_missed (s), ==, 3);
  MsEvent *piece = imap_untagged (&fx, 0, 44, "FETCH", NULL);
  ms_event_add_int (piece, "number", 1);
  ms_event_add_int (piece, "content_bytes", 4096);
  ms_event_set_info (piece, "* 1 FETCH (BODY[2]<0> {4096})");
  run (&fx, piece);
  MsEvent *whole = imap_untagged (&fx, 0, 45, "FETCH", NULL);
  ms_event_add_int (whole, "number", 3);
  ms_event_add_int (whole, "content_bytes", 210000);
  ms_event_set_info (whole, "* 3 FETCH (RFC822 {210000})");
  run (&fx, whole);
  g_assert_cmpuint (ms_session_summary_attachments_missed (s), ==, 1);
  g_autofree char *text2 = ms_session_summary_format (s);
  g_assert_nonnull (strstr (text2, "message 1, part 2 (application/pdf, 204,800 bytes; only a range of it was read)"));
  g_assert_null (strstr (text2, "message 3"));

  JsonObject *o = ms_session_summary_to_json (s);
  g_assert_cmpint (json_object_get_int_member (o, "mailbox_bytes"), ==, 211000);
  g_assert_cmpint (json_object_get_int_member (o, "attachments_not_downloaded_count"), ==, 1);
  JsonObject *login = json_object_get_object_member (json_object_get_object_member (o, "steps"), "login");
  g_assert_cmpint (json_object_get_int_member (login, "round_trips"), ==, 1);
  json_object_unref (o);

  /* POP3: mailbox size from STAT, unknown before it. */
  run (&fx, pop3_cmd (&fx, 7, 0, "RETR", "1"));
  MsEvent *r = pop3_resp (&fx, 7, 5, "RETR", TRUE);
  ms_event_add_int (r, "content_bytes", 777);
  run (&fx, r);
  const MsSessionSummary *p = session_of_stream (&fx, 7);
  g_assert_cmpint (p->mailbox_bytes, ==, -1);
  g_autofree char *ptext = ms_session_summary_format (p);
  g_assert_nonnull (strstr (ptext, "777 bytes of a mailbox of unknown size"));
  run (&fx, pop3_cmd (&fx, 7, 10, "STAT", NULL));
  MsEvent *st = pop3_resp (&fx, 7, 12, "STAT", TRUE);
  ms_event_add_int (st, "maildrop_octets", 5000);
  run (&fx, st);
  g_assert_cmpint (p->mailbox_bytes, ==, 5000);
  /* Without the field, the STAT line itself says "+OK count octets". */
  run (&fx, pop3_cmd (&fx, 7, 14, "STAT", NULL));
  MsEvent *st2 = pop3_resp (&fx, 7, 16, "STAT", TRUE);
  ms_event_set_info (st2, "+OK 3 6120");
  run (&fx, st2);
  g_assert_cmpint (p->mailbox_bytes, ==, 6120);
  g_assert_cmpuint (p->content_bytes, ==, 777);

  /* DNS: queries from changing ports of one client form one session. */
  guint before = ms_lesson_sessions (fx.lesson)->len;
  for (guint i = 0; i < 3; i++)
    {
      MsEvent *q = mk (&fx, MS_PROTO_DNS, MS_DIR_C2S, "query", -1, 100 + i, 40);
      q->src.port = (guint16) (40000 + i);
      q->client.port = q->src.port;
      ms_event_add_str (q, "qname", "imap.mailscope.test");
      ms_event_add_str (q, "qtype", "A");
      run (&fx, q);
      MsEvent *a = mk (&fx, MS_PROTO_DNS, MS_DIR_S2C, "response", -1, 101 + i, 56);
      a->dst.port = (guint16) (40000 + i);
      ms_event_add_str (a, "qname", "imap.mailscope.test");
      ms_event_add_str (a, "qtype", "A");
      ms_event_add_str (a, "rcode", "NOERROR");
      run (&fx, a);
    }
  g_assert_cmpuint (ms_lesson_sessions (fx.lesson)->len, ==, before + 1);
  const MsSessionSummary *d = ms_lesson_current_session (fx.lesson);
  g_assert_true (d->dns_group);
  g_assert_cmpint (d->proto, ==, MS_PROTO_DNS);
  g_assert_cmpuint (d->steps[MS_STEP_DNS].events, ==, 6);
  g_assert_cmpuint (d->steps[MS_STEP_DNS].bytes[MS_DIR_S2C], ==, 3 * 56);
  fixture_clear (&fx);
}

/* --- sinks ------------------------------------------------------------- */

/* A short IMAP login on stream 0 interleaved with a POP3 session on stream
 * 1 that closes first. */
static void
small_sequence (Fixture *fx)
{
  run (fx, tcp_ev (fx, 0, 0, MS_DIR_C2S, "handshake", "SYN"));
  MsEvent *g = pop3_resp (fx, 1, 1, NULL, TRUE);
  ms_event_add_bool (g, "greeting", TRUE);
  run (fx, g);
  MsEvent *login = imap_cmd (fx, 0, 2, "a1", "LOGIN", "student classroom");
  ms_event_add_str (login, "secret", "classroom");
  login->flags |= MS_EVENT_SECRET;
  run (fx, login);
  run (fx, credential (fx, MS_PROTO_IMAP, 0, 2, "student", "LOGIN", "classroom", TRUE));
  run (fx, pop3_cmd (fx, 1, 3, "QUIT", NULL));
  run (fx, pop3_resp (fx, 1, 4, "QUIT", TRUE));
  run (fx, tcp_ev (fx, 1, 5, MS_DIR_S2C, "close", "FIN"));
  run (fx, tcp_ev (fx, 1, 6, MS_DIR_C2S, "close", "FIN"));
  run (fx, imap_done (fx, 0, 7, "a1", "LOGIN", "OK"));
}

static char *
drain (GOutputStream *out)
{
  gsize size = g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (out));
  const char *data = g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (out));
  return g_strndup (data, size);
}

static char *
sink_output (gboolean json, guint flags)
{
  Fixture fx;
  fixture_init (&fx);
  GOutputStream *out = g_memory_output_stream_new_resizable ();
  MsSink *sink = json ? ms_sink_new_json_stream (out, fx.lesson, flags)
                      : ms_sink_new_text_stream (out, fx.lesson, flags);
  fx.sink = sink;
  small_sequence (&fx);
  g_autoptr (GError) error = NULL;
  g_assert_true (ms_sink_finish (sink, &error));
  g_assert_no_error (error);
  ms_sink_free (sink);
  g_output_stream_close (out, NULL, NULL);
  char *text = drain (out);
  g_object_unref (out);
  fixture_clear (&fx);
  return text;
}

static void
test_json_sink (void)
{
  g_autofree char *text = sink_output (TRUE, 0);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = g_strv_length (lines);
  g_assert_cmpuint (n, ==, 10);       /* nine events and the final "" */
  g_assert_cmpstr (lines[9], ==, "");
  for (guint i = 0; i < 9; i++)
    {
      g_autoptr (JsonParser) p = json_parser_new ();
      g_assert_true (json_parser_load_from_data (p, lines[i], -1, NULL));
      JsonObject *o = json_node_get_object (json_parser_get_root (p));
      g_assert_cmpint (json_object_get_int_member (o, "seq"), ==, i + 1);
      g_assert_cmpint (json_object_get_int_member (o, "frame"), ==, i + 1);
      g_assert_true (json_object_has_member (o, "time"));
      g_assert_true (json_object_has_member (o, "proto"));
      g_assert_true (json_object_has_member (o, "step"));
      g_assert_cmpstr (json_object_get_string_member (o, "summary"), !=, "");
    }
  g_autoptr (JsonParser) p = json_parser_new ();
  g_assert_true (json_parser_load_from_data (p, lines[2], -1, NULL));
  JsonObject *login = json_node_get_object (json_parser_get_root (p));
  g_assert_cmpstr (json_object_get_string_member (login, "step"), ==, "login");
  g_assert_cmpstr (json_object_get_string_member (login, "info"), ==, "a1 LOGIN student classroom");
  /* Unmasked, the password is there; the last line has the latency. */
  g_assert_nonnull (strstr (lines[3], "classroom"));
  g_assert_nonnull (strstr (lines[8], "\"latency\":0.005"));

  g_autofree char *masked = sink_output (TRUE, MS_SINK_MASK_SECRETS);
  g_assert_null (strstr (masked, "classroom"));
  g_assert_nonnull (strstr (masked, "a1 LOGIN student ****"));
  g_assert_nonnull (strstr (masked, "\"password\":\"****\""));

  /* With --summary, one session-summary line per session follows. */
  g_autofree char *with = sink_output (TRUE, MS_SINK_SUMMARY);
  g_auto (GStrv) wl = g_strsplit (with, "\n", -1);
  g_assert_cmpuint (g_strv_length (wl), ==, 12);
  g_assert_nonnull (strstr (wl[9], "\"event\":\"session-summary\""));
  g_assert_nonnull (strstr (wl[10], "\"proto\":\"pop3\""));
}

static void
test_text_sink (void)
{
  g_autofree char *text = sink_output (FALSE, 0);
  /* The POP3 session closed first, so it is printed first, whole. */
  const char *pop = strstr (text, "━━ Session 2: POP3, client 192.0.2.11:50000, server 192.0.2.1:110, stream 1 ━━");
  const char *imap = strstr (text, "━━ Session 1: IMAP, client 192.0.2.10:50000, server 192.0.2.1:143, stream 0 ━━");
  g_assert_nonnull (pop);
  g_assert_nonnull (imap);
  g_assert_true (pop < imap);
  g_assert_nonnull (strstr (pop, "  ▸ Greeting\n"));
  g_assert_nonnull (strstr (pop, "  ▸ Log out\n"));
  g_assert_true (strstr (pop, "  ▸ Close the connection\n") < imap);
  g_assert_nonnull (strstr (imap, "  ▸ Connect (TCP handshake)\n"));
  g_assert_nonnull (strstr (imap, "  ▸ Log in\n"));
  /* One heading per step change: the completion does not repeat it. */
  g_assert_null (strstr (strstr (imap, "  ▸ Log in\n") + strlen ("  ▸ Log in\n"), "▸ Log in"));
  g_assert_nonnull (strstr (imap, "       3   0.002000  C→S  The client logs in as “student”; "
                                  "the password crosses the wire in clear text.  "
                                  "[a1 LOGIN student classroom]\n"));
  g_assert_nonnull (strstr (imap, "S→C  The server accepts the login.  [a1 OK done, 5.0 ms]"));
  g_assert_nonnull (strstr (imap, "         ! Anyone who can capture"));
  g_assert_null (strstr (text, "Summary"));

  g_autofree char *masked = sink_output (FALSE, MS_SINK_MASK_SECRETS | MS_SINK_SUMMARY);
  g_assert_null (strstr (masked, "classroom"));
  g_assert_nonnull (strstr (masked, "[a1 LOGIN student ****]"));
  const char *sum = strstr (masked, "\nSummary\n");
  g_assert_nonnull (sum);
  g_assert_nonnull (strstr (sum, "Credentials exposed: yes, user “student”, mechanism LOGIN"));
}

/* Many events in one open session are printed early, in pieces, and
 * nothing is lost. */
static void
test_text_sink_bounded (void)
{
  Fixture fx;
  fixture_init (&fx);
  GOutputStream *out = g_memory_output_stream_new_resizable ();
  MsSink *sink = ms_sink_new_text_stream (out, fx.lesson, 0);
  const guint n = 4500;
  fx.sink = sink;
  for (guint i = 0; i < n; i++)
    run (&fx, imap_cmd (&fx, 0, i, "a", "NOOP", NULL));
  /* Printed in three pieces: 2000, 2000 and the last 500 at the end. */
  g_assert_true (ms_sink_finish (sink, NULL));
  ms_sink_free (sink);
  g_autofree char *text = drain (out);
  guint lines = 0, headers = 0;
  for (const char *p = text; (p = strstr (p, "C→S")) != NULL; p++)
    lines++;
  for (const char *p = text; (p = strstr (p, "(continued)")) != NULL; p++)
    headers++;
  g_assert_cmpuint (lines, ==, n);
  g_assert_cmpuint (headers, ==, 2);
  g_object_unref (out);
  fixture_clear (&fx);
}

/* A session that announced an attachment and never fetched it ends with
 * the report, even without --summary. */
static void
test_text_sink_attachments (void)
{
  Fixture fx;
  fixture_init (&fx);
  GOutputStream *out = g_memory_output_stream_new_resizable ();
  fx.sink = ms_sink_new_text_stream (out, fx.lesson, 0);
  MsEvent *f = imap_cmd (&fx, 0, 0, "a1", "FETCH", "1 (BODYSTRUCTURE)");
  ms_event_add_bool (f, "moves_content", FALSE);
  run (&fx, f);
  MsEvent *m = imap_untagged (&fx, 0, 1, "FETCH", "FETCH");
  ms_event_add_int (m, "number", 1);
  ms_event_add_node (m, "parts", parts_tree ());
  run (&fx, m);
  run (&fx, imap_done (&fx, 0, 2, "a1", "FETCH", "OK"));
  run (&fx, tcp_ev (&fx, 0, 3, MS_DIR_C2S, "close", "RST"));
  g_assert_true (ms_sink_finish (fx.sink, NULL));
  g_autofree char *text = drain (out);
  const char *report = strstr (text, "  Attachments not downloaded: 2\n"
                                     "    message 1, part 2 (application/pdf, 204,800 bytes)\n"
                                     "    message 1, part 3 (image/png, 5,000 bytes)\n");
  g_assert_nonnull (report);
  g_assert_true (report > strstr (text, "[RST]"));
  ms_sink_free (fx.sink);
  g_object_unref (out);
  fixture_clear (&fx);
}

static void
test_step_texts (void)
{
  for (guint i = 1; i < MS_STEP_N; i++)
    {
      const char *t = ms_lesson_step_title ((MsStep) i);
      const char *imap = ms_lesson_step_explanation ((MsStep) i, MS_PROTO_IMAP);
      const char *pop = ms_lesson_step_explanation ((MsStep) i, MS_PROTO_POP3);
      g_assert_true (t && *t && imap && strlen (imap) > 60 && pop && strlen (pop) > 60);
    }
  g_assert_nonnull (strstr (ms_lesson_step_explanation (MS_STEP_CONNECT, MS_PROTO_POP3), "110"));
  g_assert_nonnull (strstr (ms_lesson_step_explanation (MS_STEP_CONNECT, MS_PROTO_IMAP), "143"));
  g_assert_cmpstr (ms_lesson_step_explanation (MS_STEP_FETCH, MS_PROTO_IMAP), !=,
                   ms_lesson_step_explanation (MS_STEP_FETCH, MS_PROTO_POP3));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lesson/steps/imap-commands", test_imap_command_steps);
  g_test_add_func ("/lesson/steps/imap-session", test_imap_session_steps);
  g_test_add_func ("/lesson/steps/pop3", test_pop3_steps);
  g_test_add_func ("/lesson/steps/dns-tls-gap", test_other_protocol_steps);
  g_test_add_func ("/lesson/steps/texts", test_step_texts);
  g_test_add_func ("/lesson/latency", test_latency);
  g_test_add_func ("/lesson/notes", test_notes);
  g_test_add_func ("/lesson/summary", test_summary);
  g_test_add_func ("/lesson/sink/json", test_json_sink);
  g_test_add_func ("/lesson/sink/text", test_text_sink);
  g_test_add_func ("/lesson/sink/text-bounded", test_text_sink_bounded);
  g_test_add_func ("/lesson/sink/text-attachments", test_text_sink_attachments);
  return g_test_run ();
}
