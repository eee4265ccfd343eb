/* test-limits.c - the limits of doc/limits.md that no decoder or server
 * test crossed yet: the lab server's connection limits (in total, per
 * address, before login) over real loopback sockets, and parenthesised
 * lists nested past the cap, in the IMAP decoder and in the IMAP server. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "hostile-util.h"
#include "mailscope/ms-decoder.h"
#include "proto/ms-imap-fetch.h"

/* Small limits so that a handful of sockets cross them. */
#define T_MAX_CONNECTIONS 6
#define T_MAX_PER_ADDRESS 4
#define T_MAX_UNAUTHENTICATED 3

static void
small_limits (MsLabConfig *cfg)
{
  cfg->max_connections = T_MAX_CONNECTIONS;
  cfg->max_per_address = T_MAX_PER_ADDRESS;
  cfg->max_unauthenticated = T_MAX_UNAUTHENTICATED;
  for (int i = 1; i <= 8; i++)
    g_ptr_array_add (cfg->users, g_strdup_printf ("user%d:secret%d", i, i));
}

typedef struct {
  HLab *lab;
} LimitRun;

/* A POP3 connection that must get the greeting. */
static int
pop3_open (HLab *lab, const char *from)
{
  int fd = h_connect (from, lab->pop3_port);
  g_assert_cmpint (fd, >=, 0);
  g_autofree char *greeting = h_read_line (fd);
  g_assert_nonnull (greeting);
  g_assert_true (g_str_has_prefix (greeting, "+OK"));
  return fd;
}

/* A POP3 connection that must be turned away with `why`, then closed. */
static void
pop3_refused (HLab *lab, const char *from, const char *why)
{
  int fd = h_connect (from, lab->pop3_port);
  g_assert_cmpint (fd, >=, 0);
  g_autofree char *line = h_read_line (fd);
  g_autofree char *want = g_strdup_printf ("-ERR [SYS/TEMP] %s\r\n", why);
  g_assert_cmpstr (line, ==, want);
  g_assert_true (h_wait_closed (fd));
  h_close (fd);
}

static void
pop3_login (int fd, int n)
{
  g_autofree char *user = g_strdup_printf ("USER user%d\r\n", n);
  g_autofree char *pass = g_strdup_printf ("PASS secret%d\r\n", n);
  h_send_str (fd, user);
  g_autofree char *r1 = h_read_line (fd);
  g_assert_true (g_str_has_prefix (r1, "+OK"));
  h_send_str (fd, pass);
  g_autofree char *r2 = h_read_line (fd);
  g_assert_true (g_str_has_prefix (r2, "+OK"));
}

/* QUIT, and wait until the server has closed (and so counted it out). */
static void
pop3_quit (int fd)
{
  h_send_str (fd, "QUIT\r\n");
  g_autofree char *bye = h_read_line (fd);
  g_assert_true (g_str_has_prefix (bye, "+OK"));
  g_assert_true (h_wait_closed (fd));
  h_close (fd);
  /* The server's bookkeeping runs on its own loop iteration. */
  g_usleep (100 * 1000);
}

static gpointer
connection_limits (gpointer data)
{
  LimitRun *run = data;
  HLab *lab = run->lab;

  /* Before login: three may wait, the fourth is turned away. */
  int a = pop3_open (lab, "127.0.0.1");
  int b = pop3_open (lab, "127.0.0.1");
  int c = pop3_open (lab, "127.0.0.2");
  pop3_refused (lab, "127.0.0.3", "too many connections waiting to log in");
  /* A login makes room. */
  pop3_login (a, 1);
  int d = pop3_open (lab, "127.0.0.1");
  pop3_login (b, 2);
  pop3_login (d, 3);
  /* Per address: 127.0.0.1 has a, b, d; e is its fourth, f one too many. */
  int e = pop3_open (lab, "127.0.0.1");
  pop3_refused (lab, "127.0.0.1", "too many connections from your address");
  /* In total: a, b, c, d, e and g make six, the seventh is refused. Log e
   * in first so that the pre-login limit (c and g waiting) is not what
   * stops it. */
  pop3_login (e, 4);
  int g = pop3_open (lab, "127.0.0.4");
  pop3_refused (lab, "127.0.0.5", "too many connections to the lab server");
  /* IMAP shares the count and says so in its own words. */
  int i = h_connect ("127.0.0.5", lab->imap_port);
  g_assert_cmpint (i, >=, 0);
  g_autofree char *bye = h_read_line (i);
  g_assert_nonnull (bye);
  g_assert_true (g_str_has_prefix (bye, "* BYE"));
  g_assert_nonnull (strstr (bye, "too many connections to the lab server"));
  g_assert_true (h_wait_closed (i));
  h_close (i);
  /* A session that ends frees its place. */
  pop3_quit (a);
  int j = pop3_open (lab, "127.0.0.5");
  /* Those still connected work normally. */
  h_send_str (b, "STAT\r\n");
  g_autofree char *stat = h_read_line (b);
  g_assert_true (g_str_has_prefix (stat, "+OK"));

  pop3_quit (b);
  pop3_quit (d);
  pop3_quit (e);
  h_close (c);
  h_close (g);
  h_close (j);
  return NULL;
}

static void
test_connection_limits (void)
{
  LimitRun run = { h_lab_new (small_limits) };
  h_run_clients (connection_limits, &run);
  h_lab_free (run.lab);
}

/* The defaults are the documented values. */
static void
test_connection_defaults (void)
{
  MsLabConfig cfg;
  ms_lab_config_init (&cfg);
  g_assert_cmpuint (cfg.max_connections, ==, MS_LAB_MAX_CONNECTIONS);
  g_assert_cmpuint (cfg.max_per_address, ==, MS_LAB_MAX_PER_ADDRESS);
  g_assert_cmpuint (cfg.max_unauthenticated, ==, MS_LAB_MAX_UNAUTHENTICATED);
  g_assert_cmpuint (cfg.max_unauthenticated, <, cfg.max_per_address);
  g_assert_cmpuint (cfg.max_per_address, <, cfg.max_connections);
  ms_lab_config_clear (&cfg);
}

/* ------------------------------------------------------------------ */
/* IMAP decoder: parenthesised lists nested past MS_IMAP_MAX_DEPTH. */

typedef struct {
  MsEmitter emitter;
  GPtrArray *events;
} Recorder;

static void
record_event (MsEmitter *self, MsEvent *ev)
{
  g_ptr_array_add (((Recorder *) self)->events, ev);
}

/* Decodes a greeting and one FETCH response whose BODYSTRUCTURE nests
 * `depth` lists below the FETCH list; returns the FETCH event's flags. */
static guint
fetch_nested (guint depth, gboolean *has_parts)
{
  Recorder rec = { { record_event, NULL },
                   g_ptr_array_new_with_free_func ((GDestroyNotify) ms_event_unref) };
  MsDecoderConfig cfg = { 0, MS_PROTO_NONE };
  MsDecoder *dec = ms_decoder_new (&ms_imap_decoder_class, &rec.emitter, &cfg);
  GString *s = g_string_new ("* OK ready\r\n* 1 FETCH (UID 7 BODYSTRUCTURE ");
  /* The FETCH list itself is one level; the structure adds the rest. */
  for (guint i = 1; i < depth; i++)
    g_string_append_c (s, '(');
  g_string_append (s, "\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1");
  for (guint i = 1; i < depth; i++)
    g_string_append (s, i == 1 ? ")" : " \"MIXED\")");
  g_string_append (s, ")\r\n");
  ms_decoder_feed (dec, MS_DIR_S2C, 0, (const guint8 *) s->str, s->len);
  ms_decoder_finish (dec);
  ms_decoder_free (dec);
  g_string_free (s, TRUE);

  guint flags = G_MAXUINT;
  for (guint i = 0; i < rec.events->len; i++)
    {
      MsEvent *ev = rec.events->pdata[i];
      if (g_strcmp0 (ms_event_get_str (ev, "kind"), "FETCH") == 0)
        {
          flags = ev->flags;
          *has_parts = ms_event_has (ev, "parts");
        }
    }
  g_ptr_array_unref (rec.events);
  return flags;
}

static void
test_imap_decoder_depth (void)
{
  gboolean parts = FALSE;
  /* At the cap: decoded, with its MIME tree. */
  guint at = fetch_nested (MS_IMAP_MAX_DEPTH, &parts);
  g_assert_cmpuint (at, !=, G_MAXUINT);
  g_assert_false (at & MS_EVENT_MALFORMED);
  g_assert_true (parts);
  /* One past the cap, and far past it: still one FETCH event, marked
   * malformed, and no recursion deeper than the cap. */
  guint past = fetch_nested (MS_IMAP_MAX_DEPTH + 1, &parts);
  g_assert_cmpuint (past, !=, G_MAXUINT);
  g_assert_true (past & MS_EVENT_MALFORMED);
  guint far = fetch_nested (100000, &parts);
  g_assert_cmpuint (far, !=, G_MAXUINT);
  g_assert_true (far & MS_EVENT_MALFORMED);
}

/* ------------------------------------------------------------------ */
/* Pipelined commands past the decoders' pending queues. */

/* MS_POP3_MAX_PENDING and MS_IMAP_MAX_PENDING (ms-pop3.c, ms-imap.c). */
#define T_DECODER_MAX_PENDING 64
#define T_PIPELINED 100

/* Feeds `greeting`, then T_PIPELINED commands (cmd[0] N cmd[1] CRLF), then
 * their answers (ans[0] N ans[1] CRLF); counts the commands flagged with
 * a warning and the IMAP completions paired with no command. */
static void
pipeline_commands (const MsDecoderClass *klass, const char *greeting, const char *const cmd[2],
                   const char *const ans[2], guint *warned, guint *answers_unpaired)
{
  Recorder rec = { { record_event, NULL },
                   g_ptr_array_new_with_free_func ((GDestroyNotify) ms_event_unref) };
  MsDecoderConfig cfg = { 0, MS_PROTO_NONE };
  MsDecoder *dec = ms_decoder_new (klass, &rec.emitter, &cfg);
  guint64 off[2] = { 0, 0 };
  GString *c = g_string_new (NULL), *a = g_string_new (greeting);

  for (int i = 1; i <= T_PIPELINED; i++)
    {
      g_string_append_printf (c, "%s%d%s\r\n", cmd[0], i, cmd[1]);
      g_string_append_printf (a, "%s%d%s\r\n", ans[0], i, ans[1]);
    }
  ms_decoder_feed (dec, MS_DIR_S2C, off[1], (const guint8 *) greeting, strlen (greeting));
  off[1] += strlen (greeting);
  ms_decoder_feed (dec, MS_DIR_C2S, off[0], (const guint8 *) c->str, c->len);
  ms_decoder_feed (dec, MS_DIR_S2C, off[1], (const guint8 *) a->str + strlen (greeting),
                   a->len - strlen (greeting));
  ms_decoder_finish (dec);
  ms_decoder_free (dec);

  *warned = *answers_unpaired = 0;
  guint commands = 0;
  for (guint i = 0; i < rec.events->len; i++)
    {
      MsEvent *ev = rec.events->pdata[i];
      if (ev->dir == MS_DIR_C2S && strcmp (ev->kind, "command") == 0)
        {
          commands++;
          *warned += (ev->flags & MS_EVENT_WARNING) != 0;
        }
      else if (ev->dir == MS_DIR_S2C && strcmp (ev->kind, "completion") == 0
               && !ms_event_has (ev, "for_command"))
        (*answers_unpaired)++;
    }
  /* Every command is still reported. */
  g_assert_cmpuint (commands, ==, T_PIPELINED);
  g_ptr_array_unref (rec.events);
  g_string_free (c, TRUE);
  g_string_free (a, TRUE);
}

static void
test_pop3_decoder_pending (void)
{
  guint warned, unpaired;
  static const char *const cmd[2] = { "LIST ", "" };
  static const char *const ans[2] = { "-ERR no message ", "" };
  pipeline_commands (&ms_pop3_decoder_class, "+OK ready\r\n", cmd, ans, &warned, &unpaired);
  g_test_message ("POP3: %u commands past the queue", warned);
  /* Commands past the queue are flagged instead of remembered. */
  g_assert_cmpuint (warned, ==, T_PIPELINED - T_DECODER_MAX_PENDING);
}

static void
test_imap_decoder_pending (void)
{
  guint warned, unpaired;
  static const char *const cmd[2] = { "a", " NOOP" };
  static const char *const ans[2] = { "a", " OK done" };
  pipeline_commands (&ms_imap_decoder_class, "* OK ready\r\n", cmd, ans, &warned, &unpaired);
  g_test_message ("IMAP: %u commands flagged, %u completions unpaired", warned, unpaired);
  /* The oldest tags are forgotten: their completions find no command. */
  g_assert_cmpuint (unpaired, ==, T_PIPELINED - T_DECODER_MAX_PENDING);
}

/* ------------------------------------------------------------------ */
/* IMAP server: search keys nested past its depth cap, over a socket. */

static gpointer
imap_server_depth (gpointer data)
{
  HLab *lab = data;
  int fd = h_connect (NULL, lab->imap_port);
  g_assert_cmpint (fd, >=, 0);
  g_free (h_read_line (fd));
  h_send_str (fd, "a1 LOGIN student classroom\r\n");
  g_autofree char *r1 = h_read_until (fd, "a1 ");
  g_assert_nonnull (strstr (r1, "a1 OK"));
  h_send_str (fd, "a2 SELECT INBOX\r\n");
  g_autofree char *r2 = h_read_until (fd, "a2 ");
  g_assert_nonnull (strstr (r2, "a2 OK"));
  /* 10,000 levels: refused with BAD, and the session goes on. */
  GString *cmd = g_string_new ("a3 SEARCH ");
  for (int i = 0; i < 10000; i++)
    g_string_append_c (cmd, '(');
  g_string_append (cmd, "ALL");
  for (int i = 0; i < 10000; i++)
    g_string_append_c (cmd, ')');
  g_string_append (cmd, "\r\n");
  h_send (fd, cmd->str, cmd->len);
  g_string_free (cmd, TRUE);
  g_autofree char *r3 = h_read_until (fd, "a3 ");
  g_assert_nonnull (r3);
  g_assert_true (strstr (r3, "a3 BAD") != NULL || strstr (r3, "a3 NO") != NULL);
  /* A few levels are fine. */
  h_send_str (fd, "a4 SEARCH ((ALL) (OR SEEN (NOT SEEN)))\r\n");
  g_autofree char *r4 = h_read_until (fd, "a4 ");
  g_assert_nonnull (strstr (r4, "* SEARCH"));
  g_assert_nonnull (strstr (r4, "a4 OK"));
  h_send_str (fd, "a5 LOGOUT\r\n");
  g_free (h_read_until (fd, "a5 "));
  h_close (fd);
  return NULL;
}

static void
test_imap_server_depth (void)
{
  HLab *lab = h_lab_new (NULL);
  h_run_clients (imap_server_depth, lab);
  h_lab_free (lab);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/limits/lab/connections", test_connection_limits);
  g_test_add_func ("/limits/lab/defaults", test_connection_defaults);
  g_test_add_func ("/limits/imap/decoder-depth", test_imap_decoder_depth);
  g_test_add_func ("/limits/imap/server-depth", test_imap_server_depth);
  g_test_add_func ("/limits/pop3/decoder-pending", test_pop3_decoder_pending);
  g_test_add_func ("/limits/imap/decoder-pending", test_imap_decoder_pending);
  return g_test_run ();
}
