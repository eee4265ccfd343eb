/* test-malformed.c - hostile captures through `mailscope-cli decode
 * --format json`: each is decoded as far as possible, marked truncated,
 * malformed or gapped, with bounded memory, no crash, an exit status of 0,
 * 1 (not a capture) or 2 (cut short) and a one-line message when not 0.
 * The small captures are in data/ (make.py); the big ones (a 100 MB line,
 * 100,000 streams) are generated into a temporary directory. */
#include "config.h"

#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

/* Peak memory allowed to the decoder: the caps (64 KiB lines, 4 MiB held
 * per stream, 10,000 streams) keep a normal build far below it. */
#define MALFORMED_MAX_RSS_KIB (64 * 1024)
/* Sanitizers keep freed memory in quarantine and shadow every byte. */
#define MALFORMED_MAX_RSS_KIB_SANITIZED (1024 * 1024)

#if defined(__SANITIZE_ADDRESS__)
#define MALFORMED_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MALFORMED_SANITIZED 1
#endif
#endif

typedef struct {
  int status;          /* exit status */
  glong maxrss_kib;    /* peak RSS of the child */
  char *err;           /* stderr */
  guint events;        /* JSON lines on stdout */
  guint truncated, malformed, gap;
} Result;

static void
result_clear (Result *r)
{
  g_free (r->err);
}

static char *
data_path (const char *name)
{
  return g_build_filename (g_getenv ("MS_SOURCE_ROOT"), "tests", "malformed", "data", name, NULL);
}

static char *
cli_path (void)
{
  return g_build_filename (g_getenv ("MS_BUILD_ROOT"), "src", "cli", "mailscope-cli", NULL);
}

/* Counts the flags of every event; every line must be a JSON object. */
static void
scan_output (Result *r, const char *path)
{
  g_autofree char *text = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (path, &text, &len, NULL));
  g_autoptr (JsonParser) parser = json_parser_new ();
  char *line = text, *end = text + len;
  while (line < end)
    {
      char *nl = memchr (line, '\n', (gsize) (end - line));
      gsize n = nl ? (gsize) (nl - line) : (gsize) (end - line);
      if (n > 0)
        {
          GError *error = NULL;
          if (!json_parser_load_from_data (parser, line, (gssize) n, &error))
            g_error ("output line %u is not JSON: %s", r->events + 1, error->message);
          JsonNode *root = json_parser_get_root (parser);
          g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
          JsonObject *o = json_node_get_object (root);
          r->events++;
          r->truncated += json_object_get_boolean_member_with_default (o, "truncated", FALSE);
          r->malformed += json_object_get_boolean_member_with_default (o, "malformed", FALSE);
          r->gap += json_object_get_boolean_member_with_default (o, "gap", FALSE);
        }
      line += n + 1;
    }
}

/* Runs the decoder on `capture` in a child, measuring its peak RSS; with
 * `text`, the narration (lines counted as events) instead of JSON. */
static void
decode_as (const char *capture, gboolean text, Result *r)
{
  g_autofree char *cli = cli_path ();
  g_autofree char *dir = g_dir_make_tmp ("ms-malformed-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, "out.json", NULL);
  g_autofree char *err = g_build_filename (dir, "err.txt", NULL);
  memset (r, 0, sizeof *r);

  pid_t pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      int fo = open (out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int fe = open (err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fo < 0 || fe < 0 || dup2 (fo, 1) < 0 || dup2 (fe, 2) < 0)
        _exit (126);
      execl (cli, cli, "decode", "--format", text ? "text" : "json", capture, (char *) NULL);
      _exit (127);
    }
  int wstatus;
  struct rusage ru;
  g_assert_cmpint (wait4 (pid, &wstatus, 0, &ru), ==, pid);
  if (!WIFEXITED (wstatus))
    g_error ("mailscope-cli died on %s (signal %d)", capture, WTERMSIG (wstatus));
  r->status = WEXITSTATUS (wstatus);
  r->maxrss_kib = ru.ru_maxrss;
  g_assert_true (g_file_get_contents (err, &r->err, NULL, NULL));
  if (text)
    {
      g_autofree char *narration = NULL;
      gsize len = 0;
      g_assert_true (g_file_get_contents (out, &narration, &len, NULL));
      for (gsize i = 0; i < len; i++)
        r->events += narration[i] == '\n';
    }
  else
    scan_output (r, out);
  g_unlink (out);
  g_unlink (err);
  g_rmdir (dir);

  g_test_message ("%s: exit %d, %u events (%u truncated, %u malformed, %u gap), "
                  "peak RSS %ld KiB", capture, r->status, r->events, r->truncated,
                  r->malformed, r->gap, r->maxrss_kib);
  /* Never a crash, never another status, always bounded memory. */
  g_assert_true (r->status == 0 || r->status == 1 || r->status == 2);
#ifdef MALFORMED_SANITIZED
  g_assert_cmpint (r->maxrss_kib, <, MALFORMED_MAX_RSS_KIB_SANITIZED);
#else
  g_assert_cmpint (r->maxrss_kib, <, MALFORMED_MAX_RSS_KIB);
#endif
  /* A bad file gets one line naming it; a good one no message at all. */
  if (r->status != 0)
    {
      g_assert_true (g_str_has_prefix (r->err, "mailscope-cli: "));
      g_assert_true (g_str_has_suffix (r->err, "\n"));
      g_assert_true (strchr (r->err, '\n') == r->err + strlen (r->err) - 1);
    }
  else
    g_assert_cmpstr (r->err, ==, "");
}

static void
decode (const char *capture, Result *r)
{
  decode_as (capture, FALSE, r);
}

static void
decode_data (const char *name, Result *r)
{
  g_autofree char *path = data_path (name);
  decode (path, r);
}

static void
test_truncated_header (void)
{
  Result r;
  decode_data ("truncated-header.pcap", &r);
  g_assert_cmpint (r.status, !=, 0);
  g_assert_cmpuint (r.events, ==, 0);
  g_assert_nonnull (strstr (r.err, "truncated-header.pcap"));
  result_clear (&r);
}

static void
test_wrong_magic (void)
{
  Result r;
  decode_data ("wrong-magic.pcap", &r);
  g_assert_cmpint (r.status, !=, 0);
  g_assert_cmpuint (r.events, ==, 0);
  g_assert_nonnull (strstr (r.err, "not a pcap"));
  result_clear (&r);
}

static void
test_truncated_record (void)
{
  Result r;
  decode_data ("truncated-record.pcap", &r);
  /* Everything before the cut is decoded; the cut is reported. */
  g_assert_cmpint (r.status, ==, 2);
  g_assert_cmpuint (r.events, >=, 10);
  g_assert_nonnull (strstr (r.err, "truncated"));
  result_clear (&r);
}

static void
test_snaplen_cut (void)
{
  Result r;
  decode_data ("snaplen-cut.pcap", &r);
  g_assert_cmpint (r.status, ==, 0);
  /* The handshake decodes; the payloads that fell off are missing. */
  g_assert_cmpuint (r.events, >, 3);
  g_assert_cmpuint (r.gap + r.truncated, >, 0);
  result_clear (&r);
}

static void
test_lying_lengths (void)
{
  Result r;
  decode_data ("lying-lengths.pcap", &r);
  /* The last record claims more than the file holds. */
  g_assert_cmpint (r.status, ==, 2);
  g_assert_cmpuint (r.events, >, 0);
  result_clear (&r);
}

static void
test_literal_2g (void)
{
  Result r;
  decode_data ("literal-2g.pcap", &r);
  g_assert_cmpint (r.status, ==, 0);
  /* The literals never complete: the items are flagged, nothing waits
   * for 2 GiB. */
  g_assert_cmpuint (r.truncated + r.malformed, >, 0);
  result_clear (&r);
}

static void
test_nul_bad_utf8 (void)
{
  Result r;
  decode_data ("nul-and-bad-utf8.pcap", &r);
  g_assert_cmpint (r.status, ==, 0);
  /* Every line parsed as JSON (so valid UTF-8); the odd commands are
   * still reported, some as malformed. */
  g_assert_cmpuint (r.events, >=, 8);
  g_assert_cmpuint (r.malformed, >, 0);
  result_clear (&r);
}

static void
test_dns_loop (void)
{
  Result r;
  decode_data ("dns-compression-loop.pcap", &r);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpuint (r.events, ==, 2);
  g_assert_cmpuint (r.malformed, >=, 1);
  result_clear (&r);
}

static void
test_seq_jump (void)
{
  Result r;
  decode_data ("seq-jump-4g.pcap", &r);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpuint (r.gap, >, 0);
  result_clear (&r);
}

static char *big_dir;

/* The big captures, made once by make.py --big. */
static const char *
big_captures (void)
{
  if (big_dir == NULL)
    {
      GError *error = NULL;
      int status;
      big_dir = g_dir_make_tmp ("ms-malformed-big-XXXXXX", &error);
      g_assert_no_error (error);
      g_autofree char *script = g_build_filename (g_getenv ("MS_SOURCE_ROOT"), "tests",
                                                  "malformed", "make.py", NULL);
      const char *argv[] = { "python3", script, "--big", big_dir, NULL };
      g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
                                   NULL, NULL, NULL, &status, &error));
      g_assert_no_error (error);
      g_assert_true (g_spawn_check_wait_status (status, NULL));
    }
  return big_dir;
}

static void
test_line_100mb (void)
{
  Result r;
  g_autofree char *path = g_build_filename (big_captures (), "line-100mb.pcap", NULL);
  decode (path, &r);
  g_assert_cmpint (r.status, ==, 0);
  /* The line is cut at the 64 KiB cap and flagged, not buffered whole. */
  g_assert_cmpuint (r.malformed + r.truncated, >, 0);
  result_clear (&r);
  g_unlink (path);
}

static void
test_syn_100k (void)
{
  Result r;
  g_autofree char *path = g_build_filename (big_captures (), "syn-100k.pcap", NULL);
  decode (path, &r);
  g_assert_cmpint (r.status, ==, 0);
  /* Every SYN is reported although only 10,000 streams are tracked. */
  g_assert_cmpuint (r.events, ==, 100000);
  result_clear (&r);
  /* The narration holds each open session's lines: bounded all the same,
   * and every SYN still narrated. */
  decode_as (path, TRUE, &r);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpuint (r.events, >=, 100000);
  result_clear (&r);
  g_unlink (path);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/malformed/truncated-header", test_truncated_header);
  g_test_add_func ("/malformed/wrong-magic", test_wrong_magic);
  g_test_add_func ("/malformed/truncated-record", test_truncated_record);
  g_test_add_func ("/malformed/snaplen-cut", test_snaplen_cut);
  g_test_add_func ("/malformed/lying-lengths", test_lying_lengths);
  g_test_add_func ("/malformed/literal-2g", test_literal_2g);
  g_test_add_func ("/malformed/nul-and-bad-utf8", test_nul_bad_utf8);
  g_test_add_func ("/malformed/dns-compression-loop", test_dns_loop);
  g_test_add_func ("/malformed/seq-jump-4g", test_seq_jump);
  g_test_add_func ("/malformed/line-100mb", test_line_100mb);
  g_test_add_func ("/malformed/syn-100k", test_syn_100k);
  int rc = g_test_run ();
  if (big_dir != NULL)
    g_rmdir (big_dir);
  return rc;
}
