/* test-cli.c - runs the built mailscope-cli as a subprocess: exit codes and
 * one-line messages for bad input, JSON Lines and text narration of real
 * captures, masking, and the Simplified Chinese translation. */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

static char *cli_path;
static char *data_dir;
static char *tmp_dir;

typedef struct {
  int status;
  char *out;
  char *err;
} Result;

static void
result_clear (Result *r)
{
  g_free (r->out);
  g_free (r->err);
}

/* A pipe's bytes as a string ("" when there were none). */
static char *
bytes_text (GBytes *b)
{
  gsize len = 0;
  const char *data = b ? g_bytes_get_data (b, &len) : NULL;
  return g_strndup (data ? data : "", len);
}

/* Runs mailscope-cli with the NULL-terminated arguments in `ap`; `language`
 * sets LANGUAGE (NULL keeps the test environment's), `input` (or NULL) is
 * its standard input. */
static Result
run_cli_va (const char *language, GBytes *input, const char *first, va_list ap)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, cli_path);
  for (const char *a = first; a; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) a);
  g_ptr_array_add (argv, NULL);

  g_autoptr (GSubprocessLauncher) l =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE
                               | (input ? G_SUBPROCESS_FLAGS_STDIN_PIPE : 0));
  g_autofree char *localedir = g_build_filename (g_getenv ("MS_BUILD_ROOT"), "po", NULL);
  g_subprocess_launcher_setenv (l, "MAILSCOPE_LOCALEDIR", localedir, TRUE);
  g_subprocess_launcher_setenv (l, "LC_ALL", "C.UTF-8", TRUE);
  if (language)
    g_subprocess_launcher_setenv (l, "LANGUAGE", language, TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) p = g_subprocess_launcher_spawnv (l, (const char *const *) argv->pdata,
                                                            &error);
  g_assert_no_error (error);
  Result r = { 0 };
  g_autoptr (GBytes) out = NULL, err = NULL;
  g_subprocess_communicate (p, input, NULL, &out, &err, &error);
  g_assert_no_error (error);
  r.out = bytes_text (out);
  r.err = bytes_text (err);
  g_assert_true (g_subprocess_get_if_exited (p));
  r.status = g_subprocess_get_exit_status (p);
  return r;
}

static Result
run_cli (const char *language, const char *first, ...)
{
  va_list ap;
  va_start (ap, first);
  Result r = run_cli_va (language, NULL, first, ap);
  va_end (ap);
  return r;
}

/* The same with `input` on standard input. */
static Result
run_cli_input (GBytes *input, const char *first, ...)
{
  va_list ap;
  va_start (ap, first);
  Result r = run_cli_va (NULL, input, first, ap);
  va_end (ap);
  return r;
}

static char *
data (const char *name)
{
  return g_build_filename (data_dir, name, NULL);
}

/* The contents of a data file. */
static GBytes *
data_bytes (const char *name)
{
  g_autofree char *path = data (name);
  char *contents = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  return g_bytes_new_take (contents, len);
}

/* stderr is exactly one line starting with the program name. */
static void
assert_one_line (const char *err, const char *contains)
{
  g_assert_nonnull (err);
  g_assert_true (g_str_has_prefix (err, "mailscope-cli: "));
  g_assert_true (g_str_has_suffix (err, "\n"));
  g_assert_true (strchr (err, '\n') == err + strlen (err) - 1);
  if (contains)
    g_assert_nonnull (strstr (err, contains));
}

/* Parses JSON Lines; checks the members every event has; returns the
 * objects (owned). */
static GPtrArray *
parse_lines (const char *out)
{
  GPtrArray *objs = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  guint n = g_strv_length (lines);
  g_assert_cmpuint (n, >, 1);
  g_assert_cmpstr (lines[n - 1], ==, "");
  for (guint i = 0; i + 1 < n; i++)
    {
      g_autoptr (JsonParser) p = json_parser_new ();
      g_autoptr (GError) error = NULL;
      json_parser_load_from_data (p, lines[i], -1, &error);
      g_assert_no_error (error);
      JsonNode *root = json_parser_get_root (p);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
      JsonObject *o = json_node_get_object (root);
      static const char *const members[] = { "seq", "frame", "time", "proto", "step", "summary" };
      for (guint m = 0; m < G_N_ELEMENTS (members); m++)
        if (!json_object_has_member (o, members[m]))
          g_error ("line %u lacks \"%s\": %s", i + 1, members[m], lines[i]);
      g_assert_cmpint (json_object_get_int_member (o, "seq"), ==, (gint64) i + 1);
      g_assert_cmpstr (json_object_get_string_member (o, "summary"), !=, "");
      g_ptr_array_add (objs, json_object_ref (o));
    }
  return objs;
}

static guint
count_member (GPtrArray *objs, const char *member, const char *value)
{
  guint n = 0;
  for (guint i = 0; i < objs->len; i++)
    {
      JsonObject *o = g_ptr_array_index (objs, i);
      n += g_strcmp0 (json_object_get_string_member_with_default (o, member, NULL), value) == 0;
    }
  return n;
}

/* --- usage and bad input ----------------------------------------------- */

static void
test_help (void)
{
  Result r = run_cli (NULL, "help", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "decode"));
  result_clear (&r);

  r = run_cli (NULL, "decode", "--help", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "--format"));
  g_assert_nonnull (strstr (r.out, "--mask-secrets"));
  g_assert_nonnull (strstr (r.out, "Exit status"));
  result_clear (&r);

  r = run_cli (NULL, NULL);
  g_assert_cmpint (r.status, ==, 2);
  result_clear (&r);
}

static void
test_unknown_command (void)
{
  Result r = run_cli (NULL, "frobnicate", NULL);
  g_assert_cmpint (r.status, ==, 2);
  assert_one_line (r.err, "frobnicate");
  g_assert_cmpstr (r.out, ==, "");
  result_clear (&r);
}

static void
test_missing_file (void)
{
  g_autofree char *path = data ("no-such-file.pcap");
  Result r = run_cli (NULL, "decode", path, NULL);
  g_assert_cmpint (r.status, ==, 1);
  assert_one_line (r.err, "no-such-file.pcap");
  g_assert_cmpstr (r.out, ==, "");
  result_clear (&r);
}

static void
test_not_a_capture (void)
{
  g_autofree char *path = data ("ATTRIBUTION");
  Result r = run_cli (NULL, "decode", path, NULL);
  g_assert_cmpint (r.status, ==, 1);
  assert_one_line (r.err, NULL);
  g_assert_cmpstr (r.out, ==, "");
  result_clear (&r);
}

static void
test_unsupported_linktype (void)
{
  /* A pcap header for link type 147 (reserved for private use), then one
   * 4-byte frame. */
  static const guint8 header[] = {
    0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xff, 0xff, 0, 0, 147, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 1, 2, 3, 4,
  };
  g_autofree char *path = g_build_filename (tmp_dir, "link147.pcap", NULL);
  g_assert_true (g_file_set_contents (path, (const char *) header, sizeof header, NULL));
  Result r = run_cli (NULL, "decode", path, NULL);
  g_assert_cmpint (r.status, ==, 1);
  assert_one_line (r.err, NULL);
  result_clear (&r);
}

static void
test_bad_options (void)
{
  g_autofree char *path = data ("dns53.pcap");
  Result r = run_cli (NULL, "decode", "--format", "xml", path, NULL);
  g_assert_cmpint (r.status, ==, 2);
  assert_one_line (r.err, "xml");
  result_clear (&r);

  r = run_cli (NULL, "decode", "--port", "smtp=25", path, NULL);
  g_assert_cmpint (r.status, ==, 2);
  assert_one_line (r.err, NULL);
  result_clear (&r);

  r = run_cli (NULL, "decode", "--port", "imap=notaport", path, NULL);
  g_assert_cmpint (r.status, ==, 2);
  assert_one_line (r.err, NULL);
  result_clear (&r);

  r = run_cli (NULL, "decode", "--no-such-option", path, NULL);
  g_assert_cmpint (r.status, ==, 2);
  assert_one_line (r.err, NULL);
  result_clear (&r);

  r = run_cli (NULL, "decode", NULL);
  g_assert_cmpint (r.status, ==, 2);
  assert_one_line (r.err, NULL);
  result_clear (&r);
}

static void
test_truncated (void)
{
  g_autoptr (GBytes) full = data_bytes ("imap.pcap");
  g_assert_cmpuint (g_bytes_get_size (full), >, 20000);
  g_autofree char *path = g_build_filename (tmp_dir, "cut.pcap", NULL);
  /* 20,000 bytes ends inside a record. */
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (full, NULL), 20000, NULL));

  Result r = run_cli (NULL, "decode", "--format", "json", path, NULL);
  g_assert_cmpint (r.status, ==, 2);
  assert_one_line (r.err, "warning");
  g_autoptr (GPtrArray) objs = parse_lines (r.out);
  /* Everything up to the cut is there: the login and the mailbox list. */
  g_assert_cmpuint (count_member (objs, "step", "login"), >, 0);
  g_assert_cmpuint (count_member (objs, "step", "list"), >, 0);
  result_clear (&r);
}

/* A capture that becomes shorter while it is read faults through the
 * mapping (SIGBUS; tests/capture checks that it does): the command says so
 * in one line and exits with 1 instead of dying. The signal is sent by
 * hand, to a reader blocked on a FIFO, so the test knows the handler is in
 * place: the command catches SIGBUS before it opens the file. */
static void
test_shortened (void)
{
  g_autofree char *fifo = g_build_filename (tmp_dir, "growing.pcap", NULL);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);

  g_autoptr (GSubprocessLauncher) l =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *localedir = g_build_filename (g_getenv ("MS_BUILD_ROOT"), "po", NULL);
  g_subprocess_launcher_setenv (l, "MAILSCOPE_LOCALEDIR", localedir, TRUE);
  g_subprocess_launcher_setenv (l, "LC_ALL", "C.UTF-8", TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) p = g_subprocess_launcher_spawn (l, &error, cli_path, "decode",
                                                           "--format", "json", fifo, NULL);
  g_assert_no_error (error);
  int writer = g_open (fifo, O_WRONLY, 0);   /* returns once the command has opened it */
  g_assert_cmpint (writer, >=, 0);
  g_subprocess_send_signal (p, SIGBUS);

  g_autofree char *out = NULL, *err = NULL;
  g_subprocess_communicate_utf8 (p, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  close (writer);
  g_assert_true (g_subprocess_get_if_exited (p));
  g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 1);
  assert_one_line (err, "became shorter while it was being read");
  g_assert_nonnull (strstr (err, fifo));
  g_assert_cmpstr (out, ==, "");
  g_unlink (fifo);
}

/* "-" reads standard input; a pipe is read like a file (without the
 * sniffing rewind a pipe cannot do), and what is not a capture is named so. */
static void
test_stdin (void)
{
  g_autofree char *path = data ("imap.pcap");
  g_autoptr (GBytes) capture = data_bytes ("imap.pcap");

  Result file = run_cli (NULL, "decode", "--format", "json", path, NULL);
  Result piped = run_cli_input (capture, "decode", "--format", "json", "-", NULL);
  g_assert_cmpint (piped.status, ==, 0);
  g_assert_cmpstr (piped.err, ==, "");
  g_assert_cmpstr (piped.out, ==, file.out);
  result_clear (&file);
  result_clear (&piped);

  g_autoptr (GBytes) text = g_bytes_new_static ("hello, this is text\n", 20);
  Result r = run_cli_input (text, "decode", "-", NULL);
  g_assert_cmpint (r.status, ==, 1);
  assert_one_line (r.err, "/dev/stdin is not a pcap or pcapng capture");
  result_clear (&r);
}

/* --- real captures ----------------------------------------------------- */

static void
test_json_imap (void)
{
  g_autofree char *path = data ("imap.pcap");
  Result r = run_cli (NULL, "decode", "--format", "json", path, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.err, ==, "");
  g_autoptr (GPtrArray) objs = parse_lines (r.out);
  g_assert_cmpuint (count_member (objs, "proto", "imap"), >, 50);
  static const char *const steps[] = { "connect", "greeting", "negotiate", "login", "list",
                                       "fetch", "refresh", "update", "close" };
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    if (count_member (objs, "step", steps[i]) == 0)
      g_error ("no event in step %s", steps[i]);
  /* The LOGIN carries a note about the cleartext password. */
  gboolean noted = FALSE;
  for (guint i = 0; i < objs->len; i++)
    {
      JsonObject *o = g_ptr_array_index (objs, i);
      if (g_strcmp0 (json_object_get_string_member_with_default (o, "event", ""), "credential") == 0)
        noted = json_object_has_member (o, "note");
    }
  g_assert_true (noted);
  /* Completions paired with their command have a latency. */
  for (guint i = 0; i < objs->len; i++)
    {
      JsonObject *o = g_ptr_array_index (objs, i);
      if (g_strcmp0 (json_object_get_string_member_with_default (o, "event", ""), "completion") == 0)
        g_assert_true (json_object_has_member (o, "latency"));
    }
  result_clear (&r);
}

static void
test_json_pop3_dns (void)
{
  g_autofree char *pop = data ("pop3.pcap");
  Result r = run_cli (NULL, "decode", "--format", "json", pop, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_autoptr (GPtrArray) objs = parse_lines (r.out);
  g_assert_cmpuint (count_member (objs, "proto", "pop3"), >, 10);
  g_assert_cmpuint (count_member (objs, "step", "login"), >, 0);
  g_assert_cmpuint (count_member (objs, "step", "greeting"), >, 0);
  result_clear (&r);

  g_autofree char *dns = data ("dns53.pcap");
  r = run_cli (NULL, "decode", "--format", "json", dns, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_autoptr (GPtrArray) d = parse_lines (r.out);
  g_assert_cmpuint (d->len, ==, count_member (d, "step", "dns"));
  result_clear (&r);
}

static void
test_mask_secrets (void)
{
  g_autofree char *path = data ("pop3.pcap");
  Result plain = run_cli (NULL, "decode", "--format", "json", path, NULL);
  Result masked = run_cli (NULL, "decode", "--format", "json", "--mask-secrets", path, NULL);
  g_assert_cmpint (masked.status, ==, 0);
  /* Find the password the unmasked output shows, then make sure the masked
   * output never does. */
  g_autoptr (GPtrArray) objs = parse_lines (plain.out);
  g_autofree char *password = NULL;
  for (guint i = 0; i < objs->len && !password; i++)
    {
      JsonObject *o = g_ptr_array_index (objs, i);
      if (json_object_has_member (o, "credential"))
        {
          JsonObject *c = json_object_get_object_member (o, "credential");
          const char *pw = json_object_get_string_member_with_default (c, "password", NULL);
          if (pw && strlen (pw) >= 4)
            password = g_strdup (pw);
        }
    }
  g_assert_nonnull (password);
  g_assert_nonnull (strstr (plain.out, password));
  g_assert_null (strstr (masked.out, password));
  g_assert_nonnull (strstr (masked.out, "\"password\":\"****\""));

  Result text = run_cli (NULL, "decode", "--mask-secrets", path, NULL);
  g_assert_cmpint (text.status, ==, 0);
  g_assert_null (strstr (text.out, password));
  result_clear (&plain);
  result_clear (&masked);
  result_clear (&text);
}

static void
test_text (void)
{
  g_autofree char *path = data ("imap.pcap");
  Result r = run_cli (NULL, "decode", path, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "━━ Session 1: IMAP, client 131.151.32.21:4167, server 131.151.37.122:143, stream 0 ━━"));
  g_assert_nonnull (strstr (r.out, "  ▸ Log in\n"));
  g_assert_nonnull (strstr (r.out, "C→S  The client logs in as “neulingern”"));
  g_assert_null (strstr (r.out, "\033["));   /* no colour into a pipe */
  g_assert_null (strstr (r.out, "Summary"));
  result_clear (&r);

  r = run_cli (NULL, "decode", "--summary", path, NULL);
  g_assert_cmpint (r.status, ==, 0);
  const char *sum = strstr (r.out, "\nSummary\n");
  g_assert_nonnull (sum);
  g_assert_nonnull (strstr (sum, "Credentials exposed: yes, user “neulingern”, mechanism LOGIN"));
  g_assert_nonnull (strstr (sum, "TLS used: no"));
  result_clear (&r);
}

static gboolean
has_cjk (const char *s)
{
  for (const char *p = s; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (c >= 0x4e00 && c <= 0x9fff)
        return TRUE;
    }
  return FALSE;
}

static void
test_zh_cn (void)
{
  g_autofree char *path = data ("imap.pcap");
  Result en = run_cli (NULL, "decode", "--summary", path, NULL);
  g_assert_false (has_cjk (en.out));
  Result zh = run_cli ("zh_CN", "decode", "--summary", path, NULL);
  g_assert_cmpint (zh.status, ==, 0);
  g_assert_true (has_cjk (zh.out));
  g_assert_null (strstr (zh.out, "  ▸ Log in\n"));
  g_assert_null (strstr (zh.out, "The client"));
  Result json = run_cli ("zh_CN", "decode", "--format", "json", path, NULL);
  g_autoptr (GPtrArray) objs = parse_lines (json.out);
  JsonObject *first = g_ptr_array_index (objs, 0);
  g_assert_true (has_cjk (json_object_get_string_member (first, "summary")));
  /* Step names in JSON are vocabulary, never translated. */
  g_assert_cmpstr (json_object_get_string_member (first, "step"), ==, "connect");
  Result err = run_cli ("zh_CN", "frobnicate", NULL);
  g_assert_true (has_cjk (err.err));
  result_clear (&en);
  result_clear (&zh);
  result_clear (&json);
  result_clear (&err);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  const char *build = g_getenv ("MS_BUILD_ROOT");
  const char *srcdir = g_getenv ("G_TEST_SRCDIR");
  if (build == NULL || srcdir == NULL)
    {
      g_printerr ("MS_BUILD_ROOT and G_TEST_SRCDIR must be set (run through meson test)\n");
      return 1;
    }
  cli_path = g_build_filename (build, "src", "cli", "mailscope-cli", NULL);
  data_dir = g_build_filename (srcdir, "cli", "data", NULL);
  tmp_dir = g_dir_make_tmp ("mailscope-cli-test-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);

  g_test_add_func ("/cli/help", test_help);
  g_test_add_func ("/cli/error/unknown-command", test_unknown_command);
  g_test_add_func ("/cli/error/missing-file", test_missing_file);
  g_test_add_func ("/cli/error/not-a-capture", test_not_a_capture);
  g_test_add_func ("/cli/error/linktype", test_unsupported_linktype);
  g_test_add_func ("/cli/error/options", test_bad_options);
  g_test_add_func ("/cli/truncated", test_truncated);
  g_test_add_func ("/cli/shortened", test_shortened);
  g_test_add_func ("/cli/stdin", test_stdin);
  g_test_add_func ("/cli/json/imap", test_json_imap);
  g_test_add_func ("/cli/json/pop3-dns", test_json_pop3_dns);
  g_test_add_func ("/cli/mask-secrets", test_mask_secrets);
  g_test_add_func ("/cli/text", test_text);
  g_test_add_func ("/cli/zh-cn", test_zh_cn);
  int status = g_test_run ();

  /* Remove the files the tests made. */
  const char *made[] = { "link147.pcap", "cut.pcap" };
  for (guint i = 0; i < G_N_ELEMENTS (made); i++)
    {
      g_autofree char *p = g_build_filename (tmp_dir, made[i], NULL);
      g_remove (p);
    }
  g_rmdir (tmp_dir);
  g_free (tmp_dir);
  g_free (data_dir);
  g_free (cli_path);
  return status;
}
