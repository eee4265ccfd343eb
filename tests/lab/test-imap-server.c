/* test-imap-server.c - the lab's IMAP server (RFC 3501 with LITERAL+,
 * IDLE, UIDPLUS, MOVE, NAMESPACE, ENABLE, UNSELECT, ID) over the memory
 * transport: byte-exact replies, FETCH sections and partials, SEARCH,
 * APPEND literals, two sessions on one mailbox (IDLE push, next-command
 * delivery, the EXPUNGE rules of RFC 3501 §7.4.1), deliveries by another
 * process, limits, login policy, and the same output whatever the split of
 * the input. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "lab/ms-lab-server.h"
#include "lab/ms-mailbox-hub.h"
#include "lab-test-util.h"

/* ------------------------------------------------------------------ */

static void
pump (void)
{
  for (int i = 0; i < 100000 && g_main_context_pending (NULL); i++)
    g_main_context_iteration (NULL, FALSE);
}

typedef struct {
  MsLabConn *conn;
  GByteArray *sink;
  guint seen;
} Client;

static Client *
client_new_peer (MsTestLab *lab, const char *peer, gboolean loopback)
{
  Client *c = g_new0 (Client, 1);
  c->sink = g_byte_array_new ();
  c->conn = ms_lab_conn_new_memory (peer, loopback, c->sink);
  ms_lab_conn_ref (c->conn);
  ms_lab_conn_set_ssl_ctx (c->conn, ms_lab_server_ssl_ctx (lab->srv));
  ms_lab_server_adopt (lab->srv, MS_LAB_IMAP, c->conn);
  pump ();
  return c;
}

static Client *
client_new (MsTestLab *lab)
{
  return client_new_peer (lab, "127.0.0.1:40000", TRUE);
}

static void
client_free (Client *c)
{
  ms_lab_conn_close (c->conn);
  pump ();
  ms_lab_conn_unref (c->conn);
  g_byte_array_unref (c->sink);
  g_free (c);
}

static char *
take (Client *c)
{
  pump ();
  char *s = g_strndup ((const char *) c->sink->data + c->seen, c->sink->len - c->seen);
  c->seen = c->sink->len;
  return s;
}

static void
send_len (Client *c, const char *data, gsize len, gboolean bytewise)
{
  if (!bytewise)
    ms_lab_conn_feed (c->conn, (const guint8 *) data, len);
  else
    for (gsize i = 0; i < len; i++)
      {
        ms_lab_conn_feed (c->conn, (const guint8 *) data + i, 1);
        pump ();
      }
  pump ();
}

static char *
cmd (Client *c, const char *line)
{
  send_len (c, line, strlen (line), FALSE);
  return take (c);
}

static void
expect (Client *c, const char *line, const char *reply)
{
  g_autofree char *got = cmd (c, line);
  g_assert_cmpstr (got, ==, reply);
}

static void
expect_has (Client *c, const char *line, const char *part)
{
  g_autofree char *got = cmd (c, line);
  if (strstr (got, part) == NULL)
    g_error ("reply to %s lacks «%s»:\n%s", line, part, got);
}

static void
login_select (Client *c, const char *box)
{
  g_free (take (c));
  expect_has (c, "l1 LOGIN student classroom\r\n", "l1 OK");
  g_autofree char *line = g_strdup_printf ("s1 SELECT %s\r\n", box);
  expect_has (c, line, "s1 OK [READ-WRITE]");
}

/* UIDVALIDITY is the creation time: replaced by V so that runs compare. */
static char *
normalize (const char *s)
{
  g_autoptr (GRegex) re = g_regex_new ("(UIDVALIDITY |APPENDUID |COPYUID )[0-9]+", 0, 0, NULL);
  return g_regex_replace (re, s, -1, 0, "\\1V", 0, NULL);
}

static char *
sample_crlf (const char *rel)
{
  g_autofree char *path = g_build_filename (g_getenv ("MS_SOURCE_ROOT"), "samples", "maildir",
                                            "student", rel, NULL);
  g_autofree char *raw = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (path, &raw, &len, NULL));
  GString *out = g_string_new (NULL);
  for (gsize i = 0; i < len; i++)
    {
      if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r'))
        g_string_append_c (out, '\r');
      g_string_append_c (out, raw[i]);
    }
  return g_string_free (out, FALSE);
}

#define MSG1 "cur/1793606400.M1P1000.mailscope:2,S"
#define MSG3 "cur/1793924100.M3P1000.mailscope:2,"

/* ------------------------------------------------------------------ */

static void
test_greeting_and_login (void)
{
  MsTestLab *lab = ms_test_lab_new (NULL);
  Client *c = client_new (lab);
  g_autofree char *greeting = take (c);
  g_assert_cmpstr (greeting, ==,
                   "* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT "
                   "UIDPLUS MOVE CHILDREN STARTTLS AUTH=PLAIN] Mailscope IMAP lab ready\r\n");
  expect (c, "a1 CAPABILITY\r\n",
          "* CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT UIDPLUS MOVE "
          "CHILDREN STARTTLS AUTH=PLAIN\r\na1 OK CAPABILITY completed\r\n");
  expect (c, "a2 NOOP\r\n", "a2 OK NOOP completed\r\n");
  expect (c, "a3 SELECT INBOX\r\n", "a3 BAD log in first\r\n");
  expect (c, "a4 FROB\r\n", "a4 BAD unknown command\r\n");
  expect (c, "a5 LOGIN student wrong\r\n", "a5 NO [AUTHENTICATIONFAILED] wrong user name or password\r\n");
  expect (c, "a6 LOGIN student classroom\r\n",
          "a6 OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT "
          "UIDPLUS MOVE CHILDREN] Logged in\r\n");
  g_autofree char *sel = cmd (c, "a7 SELECT inbox\r\n");
  g_autofree char *norm = normalize (sel);
  g_assert_cmpstr (norm, ==,
                   "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
                   "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)] flags permitted\r\n"
                   "* 5 EXISTS\r\n"
                   "* 1 RECENT\r\n"
                   "* OK [UNSEEN 3] first unseen message\r\n"
                   "* OK [UIDVALIDITY V] UIDs valid\r\n"
                   "* OK [UIDNEXT 6] predicted next UID\r\n"
                   "a7 OK [READ-WRITE] SELECT completed\r\n");
  expect (c, "a8 NAMESPACE\r\n", "* NAMESPACE ((\"\" \".\")) NIL NIL\r\na8 OK NAMESPACE completed\r\n");
  expect (c, "a9 ENABLE CONDSTORE\r\n", "* ENABLED\r\na9 OK ENABLE completed\r\n");
  expect (c, "b1 ID NIL\r\n",
          "* ID (\"name\" \"Mailscope lab\" \"vendor\" \"Mailscope\")\r\nb1 OK ID completed\r\n");
  expect (c, "b2 LOGOUT\r\n", "* BYE Mailscope IMAP lab logging out\r\nb2 OK LOGOUT completed\r\n");

  /* The log shows commands, never the password. */
  gboolean masked = FALSE;
  for (guint i = 0; i < lab->log->len; i++)
    {
      g_assert_null (strstr (lab->log->pdata[i], "classroom"));
      masked |= g_str_has_suffix (lab->log->pdata[i], " C a6 LOGIN student ****");
    }
  g_assert_true (masked);
  client_free (c);
  ms_test_lab_free (lab);
}

static void
test_authenticate_plain (void)
{
  MsTestLab *lab = ms_test_lab_new (NULL);
  Client *c = client_new (lab);
  g_free (take (c));
  /* "\0student\0classroom" */
  expect_has (c, "a1 AUTHENTICATE PLAIN AHN0dWRlbnQAY2xhc3Nyb29t\r\n", "a1 OK [CAPABILITY");
  client_free (c);
  c = client_new (lab);
  g_free (take (c));
  expect (c, "a1 AUTHENTICATE PLAIN\r\n", "+ \r\n");
  expect_has (c, "AHN0dWRlbnQAY2xhc3Nyb29t\r\n", "a1 OK [CAPABILITY");
  client_free (c);
  c = client_new (lab);
  g_free (take (c));
  expect (c, "a1 AUTHENTICATE PLAIN\r\n", "+ \r\n");
  expect (c, "*\r\n", "a1 BAD authentication cancelled\r\n");
  expect (c, "a2 AUTHENTICATE PLAIN AHN0dWRlbnQAbm8=\r\n",
          "a2 NO [AUTHENTICATIONFAILED] wrong user name or password\r\n");
  for (guint i = 0; i < lab->log->len; i++)
    g_assert_null (strstr (lab->log->pdata[i], "AHN0dWRlbnQAY2xhc3Nyb29t"));
  client_free (c);
  ms_test_lab_free (lab);
}

static void
test_fetch (void)
{
  MsTestLab *lab = ms_test_lab_new (NULL);
  Client *c = client_new (lab);
  login_select (c, "INBOX");
  g_autofree char *m1 = sample_crlf (MSG1);
  g_autofree char *m3 = sample_crlf (MSG3);

  /* RFC822.SIZE counts CRLF line ends. */
  g_autofree char *want = g_strdup_printf ("* 1 FETCH (UID 1 RFC822.SIZE %zu FLAGS (\\Seen))\r\n"
                                           "f1 OK FETCH completed\r\n", strlen (m1));
  expect (c, "f1 FETCH 1 (UID RFC822.SIZE FLAGS)\r\n", want);

  /* BODY.PEEK[] serves CRLF and does not set \Seen. */
  g_free (want);
  want = g_strdup_printf ("* 3 FETCH (BODY[] {%zu}\r\n%s)\r\nf2 OK FETCH completed\r\n",
                          strlen (m3), m3);
  expect (c, "f2 FETCH 3 BODY.PEEK[]\r\n", want);
  expect (c, "f3 FETCH 3 FLAGS\r\n", "* 3 FETCH (FLAGS ())\r\nf3 OK FETCH completed\r\n");

  /* A partial BODY[] sets \Seen and says so. */
  g_autofree char *head = g_strndup (m3, 10);
  g_free (want);
  want = g_strdup_printf ("* 3 FETCH (UID 3 BODY[]<0> {10}\r\n%s FLAGS (\\Seen))\r\n"
                          "f4 OK FETCH completed\r\n", head);
  expect (c, "f4 UID FETCH 3 BODY[]<0.10>\r\n", want);
  expect (c, "f5 FETCH 3 FLAGS\r\n", "* 3 FETCH (FLAGS (\\Seen))\r\nf5 OK FETCH completed\r\n");

  /* Partial beyond the end is empty. */
  expect (c, "f6 FETCH 1 BODY.PEEK[TEXT]<100000.5>\r\n",
          "* 1 FETCH (BODY[TEXT]<100000> {0}\r\n)\r\nf6 OK FETCH completed\r\n");
  expect (c, "f7 FETCH 1 (BODY.PEEK[HEADER.FIELDS (subject FROM)])\r\n",
          "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT FROM)] {76}\r\n"
          "From: Teacher <teacher@mailscope.test>\r\nSubject: Welcome to the mail lab\r\n\r\n)\r\n"
          "f7 OK FETCH completed\r\n");
  expect (c, "f8 FETCH 1 BODY.PEEK[1]<0.5>\r\n",
          "* 1 FETCH (BODY[1]<0> {5}\r\nHello)\r\nf8 OK FETCH completed\r\n");
  expect (c, "f9 FETCH 1 BODYSTRUCTURE\r\n",
          "* 1 FETCH (BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
          "539 16 NIL NIL NIL NIL))\r\nf9 OK FETCH completed\r\n");
  expect (c, "g1 FETCH 1 ENVELOPE\r\n",
          "* 1 FETCH (ENVELOPE (\"Mon, 02 Nov 2026 09:00:00 +0100\" \"Welcome to the mail lab\" "
          "((\"Teacher\" NIL \"teacher\" \"mailscope.test\")) ((\"Teacher\" NIL \"teacher\" "
          "\"mailscope.test\")) ((\"Teacher\" NIL \"teacher\" \"mailscope.test\")) ((\"Student\" "
          "NIL \"student\" \"mailscope.test\")) NIL NIL NIL \"<welcome.20261102@mailscope.test>\"))\r\n"
          "g1 OK FETCH completed\r\n");
  /* Multipart: part headers and nested sections. */
  expect (c, "g2 FETCH 2 BODY.PEEK[2.MIME]\r\n",
          "* 2 FETCH (BODY[2.MIME] {87}\r\nContent-Type: text/html; charset=utf-8\r\n"
          "Content-Transfer-Encoding: quoted-printable\r\n\r\n)\r\ng2 OK FETCH completed\r\n");
  expect_has (c, "g3 FETCH 2 BODYSTRUCTURE\r\n",
              "(BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" ");
  expect_has (c, "g4 FETCH 5 BODY\r\n", "\"mixed\"))");
  expect (c, "g5 FETCH 1 BODY[MIME]\r\n", "g5 BAD unknown or malformed FETCH data item\r\n");
  expect (c, "g6 FETCH 9 FLAGS\r\n", "g6 BAD invalid sequence set\r\n");
  expect (c, "g7 UID FETCH 9:* FLAGS\r\n", "* 5 FETCH (UID 5 FLAGS (\\Seen))\r\ng7 OK FETCH completed\r\n");
  expect (c, "g8 FETCH 1 (FLAGS INTERNALDATE)\r\n",
          "* 1 FETCH (FLAGS (\\Seen) INTERNALDATE \" 2-Nov-2026 08:00:00 +0000\")\r\n"
          "g8 OK FETCH completed\r\n");
  /* EXAMINE: BODY[] does not set \Seen on a read-only mailbox. */
  expect_has (c, "g9 EXAMINE INBOX\r\n", "g9 OK [READ-ONLY]");
  g_free (cmd (c, "h1 FETCH 4 BODY[TEXT]\r\n"));
  expect (c, "h2 FETCH 4 FLAGS\r\n", "* 4 FETCH (FLAGS ())\r\nh2 OK FETCH completed\r\n");
  expect (c, "h3 STORE 4 +FLAGS (\\Seen)\r\n", "h3 NO [READ-ONLY] the mailbox is read-only\r\n");
  client_free (c);
  ms_test_lab_free (lab);
}

/* A message/rfc822 inside a multipart: the structure and sections, byte
 * for byte as Dovecot 2.3 answers the same FETCH. */
static void
test_nested_mime (void)
{
  static const char msg[] =
    "From: a@x.test\r\nSubject: outer\r\nContent-Type: multipart/mixed; boundary=\"o\"\r\n\r\n"
    "--o\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n"
    "--o\r\nContent-Type: message/rfc822\r\n\r\n"
    "From: b@x.test\r\nSubject: inner\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n"
    "--i\r\nContent-Type: text/plain\r\n\r\ninner text\r\n"
    "--i\r\nContent-Type: text/html\r\n\r\n<b>x</b>\r\n--i--\r\n\r\n--o--\r\n";
  MsTestLab *lab = ms_test_lab_new (NULL);
  Client *c = client_new (lab);
  login_select (c, "INBOX");
  g_autofree char *append = g_strdup_printf ("n1 APPEND INBOX {%zu+}\r\n%s\r\n", strlen (msg), msg);
  g_free (cmd (c, append));
  expect (c,
          "n2 FETCH 6 (BODYSTRUCTURE BODY.PEEK[2.1] BODY.PEEK[2.HEADER] BODY.PEEK[2.1.MIME] "
          "BODY.PEEK[2.2] BODY.PEEK[HEADER.FIELDS.NOT (From)] BODY.PEEK[1.MIME] "
          "BODY.PEEK[2]<10.20>)\r\n",
          "* 6 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 5 0 "
          "NIL NIL NIL NIL)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 177 (NIL \"inner\" ((NIL NIL "
          "\"b\" \"x.test\")) ((NIL NIL \"b\" \"x.test\")) ((NIL NIL \"b\" \"x.test\")) NIL NIL NIL NIL "
          "NIL) ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0 NIL NIL NIL NIL)"
          "(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 8 0 NIL NIL NIL NIL) "
          "\"alternative\" (\"boundary\" \"i\") NIL NIL NIL) 13 NIL NIL NIL NIL) \"mixed\" "
          "(\"boundary\" \"o\") NIL NIL NIL) "
          "BODY[2.1] {10}\r\ninner text "
          "BODY[2.HEADER] {83}\r\nFrom: b@x.test\r\nSubject: inner\r\n"
          "Content-Type: multipart/alternative; boundary=i\r\n\r\n "
          "BODY[2.1.MIME] {28}\r\nContent-Type: text/plain\r\n\r\n "
          "BODY[2.2] {8}\r\n<b>x</b> "
          "BODY[HEADER.FIELDS.NOT (FROM)] {63}\r\nSubject: outer\r\n"
          "Content-Type: multipart/mixed; boundary=\"o\"\r\n\r\n "
          "BODY[1.MIME] {43}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n "
          "BODY[2]<10> {20}\r\ntest\r\nSubject: inner)\r\n"
          "n2 OK FETCH completed\r\n");
  /* Parts the message lacks read as empty; malformed sections are BAD. */
  expect (c, "n3 FETCH 6 (BODY.PEEK[2.3] BODY.PEEK[1.HEADER] BODY.PEEK[3])\r\n",
          "* 6 FETCH (BODY[2.3] {0}\r\n BODY[1.HEADER] {0}\r\n BODY[3] {0}\r\n)\r\n"
          "n3 OK FETCH completed\r\n");
  expect (c, "n4 FETCH 6 BODY[FOO]\r\n", "n4 BAD unknown or malformed FETCH data item\r\n");
  expect (c, "n5 FETCH 6 BODY[1.0]\r\n", "n5 BAD unknown or malformed FETCH data item\r\n");
  expect (c, "n6 FETCH 6 BODY[HEADER.FIELDS ()]\r\n", "n6 BAD unknown or malformed FETCH data item\r\n");
  expect (c, "n7 FETCH 6 FLAGS\r\n", "* 6 FETCH (FLAGS ())\r\nn7 OK FETCH completed\r\n");
  client_free (c);
  ms_test_lab_free (lab);
}

static void
test_search (void)
{
  static const struct {
    const char *criteria;
    const char *result;
  } cases[] = {
    { "ALL", " 1 2 3 4 5" },
    { "SEEN", " 1 2 5" },
    { "UNSEEN", " 3 4" },
    { "FLAGGED", " 2" },
    { "DELETED", "" },
    { "NEW", " 4" },
    { "FROM teacher", " 1 2 5" },
    { "TO \"Student\"", " 1 2 3 4 5" },
    { "SUBJECT timetable", " 2" },
    { "CHARSET UTF-8 SUBJECT {6+}\r\n作业", " 3" },
    { "BODY attached", " 5" },
    { "TEXT \"Lab assistant\"", " 4" },
    { "SINCE 5-Nov-2026", " 3 4 5" },
    { "BEFORE 5-Nov-2026", " 1 2" },
    { "ON 4-Nov-2026", " 2" },
    { "SENTON 6-Nov-2026", " 3" },
    { "LARGER 100000", " 5" },
    { "SMALLER 700", " 4" },
    { "UID 2:3", " 2 3" },
    { "NOT SEEN", " 3 4" },
    { "OR FLAGGED UNSEEN", " 2 3 4" },
    { "2:4 (SEEN)", " 2" },
    { "1,5 NOT (FROM teacher SUBJECT lecture)", " 1" },
    { "HEADER Message-ID notes", " 5" },
  };
  MsTestLab *lab = ms_test_lab_new (NULL);
  Client *c = client_new (lab);
  login_select (c, "INBOX");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *line = g_strdup_printf ("s%u SEARCH %s\r\n", i, cases[i].criteria);
      g_autofree char *want = g_strdup_printf ("* SEARCH%s\r\ns%u OK SEARCH completed\r\n",
                                               cases[i].result, i);
      expect (c, line, want);
    }
  expect (c, "u1 UID SEARCH UID 4:*\r\n", "* SEARCH 4 5\r\nu1 OK SEARCH completed\r\n");
  expect (c, "u2 SEARCH FROB\r\n", "u2 BAD invalid search criteria\r\n");
  expect (c, "u3 SEARCH CHARSET KOI8-R ALL\r\n",
          "u3 NO [BADCHARSET (UTF-8 US-ASCII)] unsupported charset\r\n");
  expect (c, "u4 SEARCH OR SEEN\r\n", "u4 BAD invalid search criteria\r\n");
  GString *nots = g_string_new ("u5 SEARCH");
  for (int i = 0; i < 5000; i++)
    g_string_append (nots, " NOT");
  g_string_append (nots, " ALL\r\n");
  expect (c, nots->str, "u5 BAD invalid search criteria\r\n");
  g_string_free (nots, TRUE);
  expect (c, "u6 SEARCH NOT NOT (((SEEN)))\r\n", "* SEARCH 1 2 5\r\nu6 OK SEARCH completed\r\n");
  client_free (c);
  ms_test_lab_free (lab);
}

static void
test_append_literals (void)
{
  MsTestLab *lab = ms_test_lab_new (NULL);
  Client *c = client_new (lab);
  login_select (c, "INBOX");
  const char *msg = "Subject: sync\nFrom: a@b\n\nline one\nline two\n";
  g_autofree char *line = g_strdup_printf ("p1 APPEND INBOX (\\Seen) \" 1-Dec-2026 10:00:00 +0100\" {%zu}\r\n",
                                           strlen (msg));
  expect (c, line, "+ OK\r\n");
  g_autofree char *body = g_strdup_printf ("%s\r\n", msg);
  g_autofree char *r1 = cmd (c, body);
  g_autofree char *n1 = normalize (r1);
  g_assert_cmpstr (n1, ==, "* 6 EXISTS\r\n* 1 RECENT\r\np1 OK [APPENDUID V 6] APPEND completed\r\n");

  /* LITERAL+: no continuation request, one write. */
  const char *msg2 = "Subject: plus\r\n\r\nbody\r\n";
  g_free (line);
  line = g_strdup_printf ("p2 APPEND INBOX {%zu+}\r\n%s\r\n", strlen (msg2), msg2);
  g_autofree char *r2 = cmd (c, line);
  g_autofree char *n2 = normalize (r2);
  g_assert_cmpstr (n2, ==, "* 7 EXISTS\r\n* 1 RECENT\r\np2 OK [APPENDUID V 7] APPEND completed\r\n");

  /* Stored with the bytes given, served with CRLF. */
  expect (c, "p3 FETCH 6 (FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\n",
          "* 6 FETCH (FLAGS (\\Seen) INTERNALDATE \" 1-Dec-2026 09:00:00 +0000\" RFC822.SIZE 48 "
          "BODY[HEADER.FIELDS (SUBJECT)] {17}\r\nSubject: sync\r\n\r\n)\r\np3 OK FETCH completed\r\n");
  expect (c, "p4 FETCH 7 BODY.PEEK[TEXT]\r\n",
          "* 7 FETCH (BODY[TEXT] {6}\r\nbody\r\n)\r\np4 OK FETCH completed\r\n");
  expect (c, "p5 APPEND Nowhere {3+}\r\nabc\r\n", "p5 NO [TRYCREATE] no mailbox “Nowhere”\r\n");
  expect (c, "p6 APPEND ../../etc {3+}\r\nabc\r\n", "p6 NO [CANNOT] that mailbox name is not allowed\r\n");
  client_free (c);
  ms_test_lab_free (lab);
}

static void
test_two_sessions (void)
{
  MsTestLab *lab = ms_test_lab_new (NULL);
  Client *a = client_new (lab);
  Client *b = client_new (lab);
  login_select (a, "INBOX");
  login_select (b, "INBOX");

  /* IDLE: changes arrive at once. */
  expect (b, "i1 IDLE\r\n", "+ idling\r\n");
  g_autofree char *r = cmd (a, "a1 APPEND INBOX {16+}\r\nSubject: new\r\n\r\n\r\n");
  g_assert_nonnull (strstr (r, "a1 OK [APPENDUID"));
  g_autofree char *pushed = take (b);
  g_assert_cmpstr (pushed, ==, "* 6 EXISTS\r\n* 0 RECENT\r\n");
  expect (a, "a2 STORE 1 +FLAGS.SILENT (\\Deleted)\r\n", "a2 OK STORE completed\r\n");
  g_free (pushed);
  pushed = take (b);
  g_assert_cmpstr (pushed, ==, "* 1 FETCH (FLAGS (\\Seen \\Deleted))\r\n");
  expect (a, "a3 EXPUNGE\r\n", "* 1 EXPUNGE\r\na3 OK EXPUNGE completed\r\n");
  g_free (pushed);
  pushed = take (b);
  g_assert_cmpstr (pushed, ==, "* 1 EXPUNGE\r\n");
  expect (b, "DONE\r\n", "i1 OK IDLE terminated\r\n");

  /* Not idle: news wait for the next command; EXPUNGE not during FETCH,
   * STORE or SEARCH (RFC 3501 §7.4.1), but with UID FETCH and NOOP. */
  expect (a, "a4 STORE 2 +FLAGS (\\Deleted)\r\n", "* 2 FETCH (FLAGS (\\Deleted))\r\na4 OK STORE completed\r\n");
  g_autofree char *quiet = take (b);
  g_assert_cmpstr (quiet, ==, "");
  expect (a, "a5 EXPUNGE\r\n", "* 2 EXPUNGE\r\na5 OK EXPUNGE completed\r\n");
  expect (b, "b1 FETCH 1 FLAGS\r\n",
          "* 1 FETCH (FLAGS (\\Seen \\Flagged))\r\nb1 OK FETCH completed\r\n");
  expect (b, "b2 SEARCH UNSEEN\r\n", "* SEARCH 3 5\r\nb2 OK SEARCH completed\r\n");
  expect (b, "b3 FETCH 2 FLAGS\r\n",
          "b3 NO [EXPUNGEISSUED] some of the messages were expunged meanwhile\r\n");
  expect (b, "b4 NOOP\r\n", "* 2 EXPUNGE\r\nb4 OK NOOP completed\r\n");
  expect (a, "a6 STORE 1 -FLAGS (\\Flagged)\r\n", "* 1 FETCH (FLAGS (\\Seen))\r\na6 OK STORE completed\r\n");
  expect (b, "b5 UID FETCH 1:* UID\r\n",
          "* 1 FETCH (UID 2)\r\n* 2 FETCH (UID 4)\r\n* 3 FETCH (UID 5)\r\n"
          "* 4 FETCH (UID 6)\r\n* 1 FETCH (FLAGS (\\Seen))\r\nb5 OK FETCH completed\r\n");

  /* STORE (non-UID) holds the EXPUNGE back, UID SEARCH may send it. */
  expect (a, "a10 UID STORE 5 +FLAGS.SILENT (\\Deleted)\r\n", "a10 OK STORE completed\r\n");
  expect (a, "a11 EXPUNGE\r\n", "* 3 EXPUNGE\r\na11 OK EXPUNGE completed\r\n");
  expect (b, "b7 STORE 1 +FLAGS.SILENT (\\Answered)\r\n", "b7 OK STORE completed\r\n");
  expect (b, "b8 UID SEARCH ALL\r\n", "* SEARCH 2 4 6\r\n* 3 EXPUNGE\r\nb8 OK SEARCH completed\r\n");
  expect (a, "a12 NOOP\r\n", "* 1 FETCH (FLAGS (\\Seen \\Answered))\r\na12 OK NOOP completed\r\n");

  /* MOVE out of the shared mailbox: the other session sees EXPUNGE. */
  g_autofree char *mv = cmd (a, "a7 MOVE 1 Archive\r\n");
  g_autofree char *nmv = normalize (mv);
  g_assert_cmpstr (nmv, ==, "* OK [COPYUID V 2 2] moved\r\n* 1 EXPUNGE\r\na7 OK MOVE completed\r\n");
  expect (b, "b6 NOOP\r\n", "* 1 EXPUNGE\r\nb6 OK NOOP completed\r\n");
  g_autofree char *cp = cmd (a, "a8 UID COPY 4:5 Archive\r\n");
  g_autofree char *ncp = normalize (cp);
  g_assert_cmpstr (ncp, ==, "a8 OK [COPYUID V 4 3] COPY completed\r\n");
  expect_has (a, "a9 STATUS Archive (MESSAGES UIDNEXT)\r\n", "* STATUS \"Archive\" (MESSAGES 3 UIDNEXT 4)\r\n");
  client_free (a);
  client_free (b);
  ms_test_lab_free (lab);
}

static gboolean
timeout_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Waits (running the main loop) until `c` has output or 1 s has passed;
 * returns the milliseconds waited. */
static gint64
wait_output (Client **cs, guint n)
{
  gint64 start = g_get_monotonic_time ();
  gboolean expired = FALSE;
  guint id = g_timeout_add (2000, timeout_flag, &expired);
  for (;;)
    {
      guint ready = 0;
      for (guint i = 0; i < n; i++)
        if (cs[i]->sink->len > cs[i]->seen)
          ready++;
      if (ready == n || expired)
        break;
      g_main_context_iteration (NULL, TRUE);
    }
  if (!expired)
    g_source_remove (id);
  return (g_get_monotonic_time () - start) / 1000;
}

static void
test_external_delivery (void)
{
  MsTestLab *lab = ms_test_lab_new (NULL);
  const guint n = g_test_slow () ? 1000 : 200;
  Client **cs = g_new0 (Client *, n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *peer = g_strdup_printf ("127.0.0.1:%u", 20000 + i);
      cs[i] = client_new_peer (lab, peer, TRUE);
      login_select (cs[i], "INBOX");
      expect (cs[i], "i IDLE\r\n", "+ idling\r\n");
    }
  g_assert_cmpuint (ms_mailbox_hub_n_open (), ==, 1);
  /* Another process delivers through its own Maildir handle. */
  g_autofree char *root = g_build_filename (lab->dir, "student", NULL);
  GError *error = NULL;
  MsMaildir *other = ms_maildir_open (root, &error);
  g_assert_no_error (error);
  const char *msg = "Subject: from the MTA\n\nhello\n";
  g_autofree char *path = ms_maildir_deliver (other, "INBOX", (const guint8 *) msg, strlen (msg), &error);
  g_assert_no_error (error);
  gint64 ms = wait_output (cs, n);
  g_test_message ("%u idle sessions told within %" G_GINT64_FORMAT " ms", n, ms);
  g_assert_cmpint (ms, <, 1000);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *got = take (cs[i]);
      /* Exactly one session gets \Recent for the new message. */
      g_assert_true (g_str_has_prefix (got, "* 6 EXISTS\r\n* "));
      g_assert_nonnull (strstr (got, "RECENT\r\n"));
    }

  /* Flags changed and a message removed by the other process reach the
   * idle sessions as FETCH and EXPUNGE. */
  MsMailbox *mb = ms_mailbox_open (other, "INBOX", &error);
  g_assert_no_error (error);
  g_assert_true (ms_mailbox_set_flags (mb, 3, MS_MSG_FLAGGED, &error));
  g_assert_true (ms_mailbox_expunge (mb, 1, &error));
  ms_mailbox_free (mb);
  ms = wait_output (cs, n);
  g_assert_cmpint (ms, <, 1000);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *got = take (cs[i]);
      /* The two changes may come in one rescan or in two. */
      g_assert_nonnull (strstr (got, "* 3 FETCH (FLAGS (\\Flagged))\r\n"));
      if (strstr (got, "* 1 EXPUNGE\r\n") == NULL)
        {
          wait_output (&cs[i], 1);
          g_free (got);
          got = take (cs[i]);
          g_assert_cmpstr (got, ==, "* 1 EXPUNGE\r\n");
        }
    }

  for (guint i = 0; i < n; i++)
    client_free (cs[i]);
  g_free (cs);
  g_assert_cmpuint (ms_mailbox_hub_n_open (), ==, 0);
  ms_maildir_free (other);
  ms_test_lab_free (lab);
}

static void
test_mailboxes (void)
{
  MsTestLab *lab = ms_test_lab_new (NULL);
  Client *c = client_new (lab);
  login_select (c, "INBOX");
  expect (c, "m1 LIST \"\" *\r\n",
          "* LIST (\\HasNoChildren) \".\" \"INBOX\"\r\n* LIST (\\HasNoChildren) \".\" \"Archive\"\r\n"
          "* LIST (\\HasNoChildren) \".\" \"Sent\"\r\nm1 OK LIST completed\r\n");
  expect (c, "m2 LIST \"\" \"\"\r\n", "* LIST (\\Noselect) \".\" \"\"\r\nm2 OK LIST completed\r\n");
  expect (c, "m3 CREATE Work.2026\r\n", "m3 OK CREATE completed\r\n");
  expect (c, "m4 CREATE Work\r\n", "m4 NO [ALREADYEXISTS] mailbox “Work” already exists\r\n");
  expect (c, "m5 LIST \"\" W%\r\n", "* LIST (\\HasChildren) \".\" \"Work\"\r\nm5 OK LIST completed\r\n");
  expect (c, "m6 RENAME Work.2026 Work.2027\r\n", "m6 OK RENAME completed\r\n");
  expect (c, "m7 LIST Work. *\r\n", "* LIST (\\HasNoChildren) \".\" \"Work.2027\"\r\nm7 OK LIST completed\r\n");
  expect (c, "m8 SUBSCRIBE Work.2027\r\n", "m8 OK SUBSCRIBE completed\r\n");
  expect (c, "m9 LSUB \"\" *\r\n", "* LSUB (\\HasNoChildren) \".\" \"Work.2027\"\r\nm9 OK LSUB completed\r\n");
  expect (c, "n1 UNSUBSCRIBE Work.2027\r\n", "n1 OK UNSUBSCRIBE completed\r\n");
  expect (c, "n2 LSUB \"\" *\r\n", "n2 OK LSUB completed\r\n");
  expect (c, "n3 DELETE Work.2027\r\n", "n3 OK DELETE completed\r\n");
  expect (c, "n4 DELETE INBOX\r\n", "n4 NO [CANNOT] INBOX cannot be deleted\r\n");
  expect (c, "n5 CREATE \"../../escape\"\r\n", "n5 NO [CANNOT] that mailbox name is not allowed\r\n");
  expect (c, "n6 SELECT \"a/b\"\r\n", "n6 NO [CANNOT] that mailbox name is not allowed\r\n");
  expect (c, "n7 CHECK\r\n", "n7 BAD select a mailbox first\r\n");
  expect_has (c, "n8 SELECT Sent\r\n", "n8 OK [READ-WRITE]");
  expect (c, "n9 CHECK\r\n", "n9 OK CHECK completed\r\n");
  expect (c, "o1 STATUS INBOX (MESSAGES UNSEEN RECENT)\r\n",
          "* STATUS \"INBOX\" (MESSAGES 5 UNSEEN 2 RECENT 0)\r\no1 OK STATUS completed\r\n");
  expect (c, "o2 UNSELECT\r\n", "o2 OK UNSELECT completed\r\n");
  expect_has (c, "o3 SELECT INBOX\r\n", "o3 OK");
  expect (c, "o4 STORE 1:2 +FLAGS (\\Deleted)\r\n",
          "* 1 FETCH (FLAGS (\\Seen \\Deleted))\r\n* 2 FETCH (FLAGS (\\Seen \\Flagged \\Deleted))\r\n"
          "o4 OK STORE completed\r\n");
  expect (c, "o5 UID EXPUNGE 2\r\n", "* 2 EXPUNGE\r\no5 OK EXPUNGE completed\r\n");
  expect (c, "o6 CLOSE\r\n", "o6 OK CLOSE completed\r\n");
  expect (c, "o7 STATUS INBOX (MESSAGES UIDNEXT)\r\n",
          "* STATUS \"INBOX\" (MESSAGES 3 UIDNEXT 6)\r\no7 OK STATUS completed\r\n");
  client_free (c);
  ms_test_lab_free (lab);
}

static void
test_limits (void)
{
  MsTestLab *lab = ms_test_lab_new (NULL);
  Client *c = client_new (lab);
  g_free (take (c));
  /* Bad commands: BAD, and the session goes on. */
  expect (c, "\r\n", "");
  expect (c, "+bad\r\n", "* BAD a command starts with a tag, a space and a name\r\n");
  expect (c, "a1 LOGIN \"unterminated\r\n", "a1 BAD the arguments cannot be parsed\r\n");
  expect (c, "a2 NOOP\r\n", "a2 OK NOOP completed\r\n");
  /* Nesting beyond IMAP_MAX_DEPTH, and NOT chains as deep, are refused. */
  GString *deep = g_string_new ("a5 NOOP ");
  for (int i = 0; i < 40; i++)
    g_string_append_c (deep, '(');
  g_string_append (deep, "\r\n");
  expect (c, deep->str, "a5 BAD the arguments cannot be parsed\r\n");
  g_string_free (deep, TRUE);
  /* A synchronising literal over the limit is refused before it is sent. */
  expect (c, "a3 LOGIN {1000000}\r\n", "a3 NO [TOOBIG] literal larger than the server accepts\r\n");
  expect (c, "a4 NOOP\r\n", "a4 OK NOOP completed\r\n");
  /* Too many bad commands in a row end the session. */
  for (int i = 0; i < 19; i++)
    g_free (cmd (c, "x FROB\r\n"));
  g_autofree char *last = cmd (c, "x FROB\r\n");
  g_assert_cmpstr (last, ==, "x BAD unknown command\r\n* BYE too many bad commands; closing\r\n");
  client_free (c);

  /* A line over the limit: a clear error and a close. */
  c = client_new (lab);
  g_free (take (c));
  gsize big = 70 * 1024;
  g_autofree char *junk = g_malloc (big);
  memset (junk, 'x', big);
  send_len (c, junk, big, FALSE);
  g_autofree char *r1 = take (c);
  g_assert_cmpstr (r1, ==, "* BYE [TOOBIG] command line too long; closing\r\n");
  client_free (c);

  /* A non-synchronising literal over the limit: the same. */
  c = client_new (lab);
  g_free (take (c));
  expect (c, "a1 LOGIN {5000000+}\r\n", "* BYE [TOOBIG] literal larger than the server accepts; closing\r\n");
  client_free (c);

  /* An APPEND announcing a huge message: nothing is allocated up front,
   * the announced size over MS_MAILDIR_MAX_MESSAGE is refused. */
  c = client_new (lab);
  login_select (c, "INBOX");
  expect (c, "a1 APPEND INBOX {99999999999}\r\n", "a1 NO [TOOBIG] literal larger than the server accepts\r\n");
  expect (c, "a2 APPEND INBOX {67108865+}\r\n", "* BYE [TOOBIG] literal larger than the server accepts; closing\r\n");
  client_free (c);
  c = client_new (lab);
  login_select (c, "INBOX");
  /* Within the limit but never completed: only the bytes sent are held. */
  expect (c, "a1 APPEND INBOX {60000000}\r\n", "+ OK\r\n");
  send_len (c, "Subject: x\r\n", 12, FALSE);
  client_free (c);
  ms_test_lab_free (lab);
}

static void
delay_tweak (MsLabConfig *cfg)
{
  cfg->failed_login_delay_ms = 150;
}

static void
test_failed_login_delay (void)
{
  MsTestLab *lab = ms_test_lab_new (delay_tweak);
  Client *c = client_new (lab);
  g_free (take (c));
  gint64 start = g_get_monotonic_time ();
  /* The NOOP pipelined behind the failed LOGIN waits too. */
  expect (c, "a1 LOGIN student nope\r\na2 NOOP\r\n", "");
  Client *cs[] = { c };
  wait_output (cs, 1);
  pump ();
  gint64 waited = (g_get_monotonic_time () - start) / 1000;
  g_assert_cmpint (waited, >=, 140);
  g_autofree char *got = take (c);
  g_assert_cmpstr (got, ==, "a1 NO [AUTHENTICATIONFAILED] wrong user name or password\r\na2 OK NOOP completed\r\n");
  client_free (c);
  ms_test_lab_free (lab);
}

static void
require_tls_tweak (MsLabConfig *cfg)
{
  cfg->require_tls = TRUE;
}

static void
test_plaintext_policy (void)
{
  MsTestLab *lab = ms_test_lab_new (require_tls_tweak);
  Client *c = client_new (lab);
  g_autofree char *greeting = take (c);
  g_assert_nonnull (strstr (greeting, " STARTTLS LOGINDISABLED]"));
  expect (c, "a1 LOGIN student classroom\r\n",
          "a1 NO [PRIVACYREQUIRED] this server requires TLS before any password: use STARTTLS "
          "(IMAP) or STLS (POP3) first\r\n");
  expect_has (c, "a2 AUTHENTICATE PLAIN AHN0dWRlbnQAY2xhc3Nyb29t\r\n", "a2 NO [PRIVACYREQUIRED]");
  client_free (c);
  ms_test_lab_free (lab);

  /* Without --require-tls, a non-loopback peer may not send a password in
   * clear text either. */
  lab = ms_test_lab_new (NULL);
  c = client_new_peer (lab, "192.0.2.7:5000", FALSE);
  g_autofree char *g2 = take (c);
  g_assert_nonnull (strstr (g2, "LOGINDISABLED"));
  expect_has (c, "a1 LOGIN student classroom\r\n", "a1 NO [PRIVACYREQUIRED] a password in clear text");
  client_free (c);
  ms_test_lab_free (lab);
}

/* The same script, whole and one byte at a time, gives the same bytes. */
static char *
run_script (const char *script, gboolean bytewise)
{
  MsTestLab *lab = ms_test_lab_new (NULL);
  Client *c = client_new (lab);
  send_len (c, script, strlen (script), bytewise);
  g_autofree char *out = take (c);
  client_free (c);
  ms_test_lab_free (lab);
  return normalize (out);
}

static void
test_bytewise (void)
{
  const char *script =
    "a1 CAPABILITY\r\n"
    "a2 LOGIN {7}\r\nstudent {9+}\r\nclassroom\r\n"
    "a3 SELECT \"INBOX\"\r\n"
    "a4 FETCH 1:3 (UID FLAGS RFC822.SIZE ENVELOPE BODY.PEEK[HEADER.FIELDS (Subject)])\r\n"
    "a5 UID FETCH 5 (BODYSTRUCTURE BODY.PEEK[1.MIME] BODY.PEEK[2]<0.40>)\r\n"
    "a6 SEARCH OR FROM teacher SUBJECT reminder\r\n"
    "a7 APPEND INBOX (\\Flagged) {21}\r\nSubject: b\n\nbytewise\n\r\n"
    "a8 STORE 3 +FLAGS (\\Answered)\r\n"
    "a9 UID SEARCH ALL\r\n"
    "b1 IDLE\r\nDONE\r\n"
    "b2 LOGOUT\r\n";
  g_autofree char *whole = run_script (script, FALSE);
  g_autofree char *split = run_script (script, TRUE);
  g_assert_cmpstr (whole, ==, split);
  g_assert_nonnull (strstr (whole, "a7 OK [APPENDUID V 6]"));
  g_assert_nonnull (strstr (whole, "b2 OK LOGOUT completed\r\n"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lab/imap/greeting-login", test_greeting_and_login);
  g_test_add_func ("/lab/imap/authenticate", test_authenticate_plain);
  g_test_add_func ("/lab/imap/fetch", test_fetch);
  g_test_add_func ("/lab/imap/nested-mime", test_nested_mime);
  g_test_add_func ("/lab/imap/search", test_search);
  g_test_add_func ("/lab/imap/append-literals", test_append_literals);
  g_test_add_func ("/lab/imap/two-sessions", test_two_sessions);
  g_test_add_func ("/lab/imap/external-delivery", test_external_delivery);
  g_test_add_func ("/lab/imap/mailboxes", test_mailboxes);
  g_test_add_func ("/lab/imap/limits", test_limits);
  g_test_add_func ("/lab/imap/failed-login-delay", test_failed_login_delay);
  g_test_add_func ("/lab/imap/plaintext-policy", test_plaintext_policy);
  g_test_add_func ("/lab/imap/bytewise", test_bytewise);
  return g_test_run ();
}
