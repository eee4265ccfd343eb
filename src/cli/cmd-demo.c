/* cmd-demo.c - `mailscope-cli demo imap|pop3|compare|shared`: starts the lab
 * on loopback with a fresh copy of the sample mailbox, captures it live, runs
 * the lab clients and narrates what crossed the wire, in a form readable on
 * a projector. */
#include "config.h"

#include <inttypes.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib-unix.h>
#include <glib/gstdio.h>

#include "mailscope/ms-lesson.h"
#include "mailscope/ms-sink.h"
#include "lab/ms-demo.h"
#include "lab/ms-lab-server.h"
#include "ms-cli.h"

/* A transcript line is cut here: the narration is read from a distance. */
#define MS_DEMO_MAX_LINE_CHARS 100
/* A line typed at the step prompt is read into this much. */
#define MS_DEMO_PROMPT_LINE 256
/* Width of the rule under headings, in terminal columns. */
#define MS_DEMO_RULE_WIDTH 72

typedef struct {
  GMainLoop *loop;
  MsDemo *demo;
  MsDemoKind kind;
  gboolean step;
  gboolean color;
  MsLesson *lesson;       /* the current phase's */
  MsSink *sink;
  const MsDemoRun *last_run;   /* the run whose heading was printed last */
  gboolean failed;
  char *error;
  guint stdin_watch;
} DemoCli;

static void
heading (DemoCli *cli, const char *text)
{
  GString *rule = g_string_new (NULL);
  for (guint i = 0; i < MS_DEMO_RULE_WIDTH; i++)
    g_string_append (rule, "═");
  printf ("\n%s%s%s\n%s\n", cli->color ? "\033[1m" : "", text, cli->color ? "\033[0m" : "",
          rule->str);
  g_string_free (rule, TRUE);
}

/* One transcript line, made safe for the terminal and cut to fit. */
static char *
clean_line (const char *text)
{
  GString *s = g_string_new (NULL);
  glong chars = 0;
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char_validated (p, -1);
      if (c == (gunichar) -1 || c == (gunichar) -2)
        break;
      if (++chars > MS_DEMO_MAX_LINE_CHARS)
        {
          g_string_append (s, "…");
          break;
        }
      if (c < 0x20 || c == 0x7f)
        g_string_append_c (s, '?');
      else
        g_string_append_unichar (s, c);
    }
  return g_string_free (s, FALSE);
}

static const char *
kind_title (MsDemoKind kind)
{
  switch (kind)
    {
    case MS_DEMO_IMAP:
      return _("Mailscope demo: receiving mail with IMAP");
    case MS_DEMO_POP3:
      return _("Mailscope demo: receiving mail with POP3");
    case MS_DEMO_COMPARE:
      return _("Mailscope demo: the same task over IMAP and over POP3");
    case MS_DEMO_SHARED:
    default:
      return _("Mailscope demo: two clients on one mailbox");
    }
}

static void
print_setup (DemoCli *cli)
{
  static const struct {
    MsLabService svc;
    const char *label;
  } shown[] = {
    { MS_LAB_DNS, "DNS" }, { MS_LAB_IMAP, "IMAP" }, { MS_LAB_POP3, "POP3" },
    { MS_LAB_IMAPS, "IMAPS" }, { MS_LAB_POP3S, "POP3S" },
  };
  heading (cli, kind_title (cli->kind));
  printf ("%s\n", _("Lab servers on 127.0.0.1, with a fresh copy of the sample mailbox "
                    "(deleted afterwards):"));
  gboolean fallback = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (shown); i++)
    {
      guint16 port = ms_demo_port (cli->demo, shown[i].svc);
      gboolean std = ms_demo_port_is_standard (cli->demo, shown[i].svc);
      fallback |= !std;
      g_autofree char *where = g_strdup_printf (_("port %u"), port);
      printf ("  %-6s %s%s\n", shown[i].label, where,
              std ? "" : _("  (the standard port was not available)"));
    }
  if (fallback)
    printf ("%s\n", _("Some standard ports are below 1024 or in use: the lab uses its "
                      "fallback ports, and the narration says so."));
  switch (ms_demo_capture_mode (cli->demo))
    {
    case MS_CAPTURE_DIRECT:
      printf (_("Capture: live on the loopback interface (%s).\n"), MS_DEMO_IFACE);
      break;
    case MS_CAPTURE_HELPER:
      printf (_("Capture: live on the loopback interface (%s), through mailscope-capture.\n"),
              MS_DEMO_IFACE);
      break;
    case MS_CAPTURE_NONE:
    default:
      printf ("%s\n", _("Capture: none. The packets (DNS, TCP handshake, FIN) are not shown; "
                        "the narration comes from the clients' own transcripts."));
      printf (_("Why: %s\n"), ms_demo_capture_reason (cli->demo));
      break;
    }
  fflush (stdout);
}

static void
on_phase_started (MsDemo *demo, guint phase, gpointer data)
{
  DemoCli *cli = data;
  if (phase == 0)
    print_setup (cli);
  cli->lesson = ms_lesson_new ();
  cli->sink = ms_sink_new_text (stdout, cli->lesson, cli->color ? MS_SINK_COLOR : 0);
  cli->last_run = NULL;
}

static void
run_heading (DemoCli *cli, const MsDemoRun *run)
{
  if (cli->last_run == run)
    return;
  cli->last_run = run;
  g_autofree char *title = g_strdup_printf (_("Step by step: %s"), run->label);
  heading (cli, title);
}

static gboolean
on_stdin (gint fd, GIOCondition cond, gpointer data)
{
  DemoCli *cli = data;
  char buf[MS_DEMO_PROMPT_LINE];
  ssize_t n = read (fd, buf, sizeof buf);
  if (n <= 0)
    {
      /* No more input: the remaining steps run without waiting. */
      cli->step = FALSE;
      cli->stdin_watch = 0;
      ms_demo_next (cli->demo);
      return G_SOURCE_REMOVE;
    }
  if (memchr (buf, '\n', (size_t) n))
    ms_demo_next (cli->demo);
  return G_SOURCE_CONTINUE;
}

static void
on_step (MsDemo *demo, const MsDemoRun *run, MsStep step, const char *description,
         gpointer data)
{
  DemoCli *cli = data;
  run_heading (cli, run);
  printf ("  ▸ %-9s %s\n", ms_step_name (step), description);
  fflush (stdout);
  if (cli->step && ms_demo_is_waiting (demo))
    {
      fprintf (stderr, "%s", _("[Enter: next step] "));
      fflush (stderr);
      if (cli->stdin_watch == 0)
        cli->stdin_watch = g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP, on_stdin, cli);
    }
  else if (!cli->step)
    ms_demo_next (demo);
}

static void
on_transcript (MsDemo *demo, const MsDemoRun *run, char who, const char *text, gpointer data)
{
  DemoCli *cli = data;
  /* With packets, the capture tells the story; without, the transcript
   * does. */
  if (ms_demo_capture_mode (demo) != MS_CAPTURE_NONE || text == NULL)
    return;
  run_heading (cli, run);
  g_autofree char *line = clean_line (text);
  if (who == 'C' || who == 'S')
    printf ("             %c: %s\n", who, line);
  else
    printf ("                %s\n", line);
}

static void
on_events (MsDemo *demo, MsEvent *const *events, guint n, gpointer data)
{
  DemoCli *cli = data;
  for (guint i = 0; i < n; i++)
    {
      ms_lesson_process (cli->lesson, events[i]);
      ms_sink_event (cli->sink, events[i]);
    }
}

static void
print_table (DemoCli *cli)
{
  g_autoptr (GPtrArray) rows = ms_demo_comparison_table (cli->demo);
  guint cols = g_strv_length (rows->pdata[0]);
  gsize *width = g_new0 (gsize, cols);
  for (guint r = 0; r < rows->len; r++)
    {
      char **row = rows->pdata[r];
      for (guint c = 0; c < cols && row[c]; c++)
        width[c] = MAX (width[c], ms_cli_display_width (row[c]));
    }
  heading (cli, _("IMAP and POP3 side by side: read the newest message (it has an "
                  "attachment)"));
  for (guint r = 0; r < rows->len; r++)
    {
      char **row = rows->pdata[r];
      printf ("  ");
      for (guint c = 0; c < cols && row[c]; c++)
        {
          ms_cli_print_padded (row[c], width[c], c > 0);
          printf (c + 1 < cols ? "   " : "\n");
        }
    }
  g_free (width);
  printf ("\n%s\n", _("IMAP fetched only the text of the newest message and left every message "
                      "on the server; POP3 downloaded every message whole, attachment "
                      "included, and deleted them, as POP3 clients traditionally do."));
}

static void
print_shared (DemoCli *cli)
{
  const GPtrArray *runs = ms_demo_runs (cli->demo);
  heading (cli, _("What the clients saw of each other"));
  for (guint i = 0; i < runs->len; i++)
    {
      const MsDemoRun *r = runs->pdata[i];
      if (r->pushed->len)
        {
          printf (_("%s was told while it waited in IDLE, without asking:\n"), r->label);
          for (guint k = 0; k < r->pushed->len; k++)
            {
              g_autofree char *line = clean_line (r->pushed->pdata[k]);
              printf ("    S: %s\n", line);
            }
        }
      else if (r->proto == MS_PROTO_IMAP && r->report)
        printf (_("%s was told nothing while it waited.\n"), r->label);
      if (r->refusal)
        {
          g_autofree char *line = clean_line (r->refusal);
          printf (_("%s was refused: only one POP3 session may use a mailbox at a time.\n"
                    "    S: %s\n"),
                  r->label, line);
        }
    }
}

static void
on_phase_finished (MsDemo *demo, guint phase, gpointer data)
{
  DemoCli *cli = data;
  if (ms_demo_capture_mode (demo) != MS_CAPTURE_NONE)
    {
      heading (cli, _("What the capture shows"));
      fflush (stdout);
    }
  g_autoptr (GError) error = NULL;
  if (!ms_sink_finish (cli->sink, &error))
    ms_cli_error ("%s", error->message);
  ms_sink_free (cli->sink);
  ms_lesson_free (cli->lesson);
  cli->sink = NULL;
  cli->lesson = NULL;
  fflush (stdout);
}

static void
on_finished (MsDemo *demo, const GError *error, gpointer data)
{
  DemoCli *cli = data;
  const GPtrArray *runs = ms_demo_runs (demo);
  for (guint i = 0; i < runs->len; i++)
    {
      const MsDemoRun *r = runs->pdata[i];
      if (r->error && !r->failure_expected)
        {
          ms_cli_error (_("%s failed: %s"), r->label, r->error);
          cli->failed = TRUE;
        }
    }
  if (cli->kind == MS_DEMO_COMPARE)
    print_table (cli);
  if (cli->kind == MS_DEMO_SHARED)
    print_shared (cli);
  g_main_loop_quit (cli->loop);
}

int
ms_cmd_demo (int argc, char **argv)
{
  g_autofree char *tls = NULL, *write_path = NULL;
  gboolean step = FALSE, no_capture = FALSE;
  g_auto (GStrv) rest = NULL;
  g_autoptr (GError) error = NULL;
  const GOptionEntry entries[] = {
    { "tls", 0, 0, G_OPTION_ARG_STRING, &tls,
      N_("none (default), starttls (STARTTLS/STLS) or implicit (ports 993/995)"), N_("MODE") },
    { "write", 'w', 0, G_OPTION_ARG_FILENAME, &write_path,
      N_("Save the captured packets to FILE (pcap); with TLS the secrets go to FILE's name "
         "with .keys"),
      N_("FILE") },
    { "step", 0, 0, G_OPTION_ARG_NONE, &step, N_("Wait for Enter before each client step"),
      NULL },
    { "no-capture", 0, 0, G_OPTION_ARG_NONE, &no_capture,
      N_("Do not capture: narrate from the clients' transcripts only"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL,
      N_("imap|pop3|compare|shared") },
    { NULL }
  };

  g_autoptr (GOptionContext) ctx = g_option_context_new (NULL);
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_set_summary (
    ctx, _("Show how mail is received: starts the lab's servers on this computer with a "
           "throwaway copy of the sample mailbox, captures the loopback interface, runs the "
           "lab's client(s) and explains every packet.\n\n"
           "  imap     one IMAP client reads the newest message\n"
           "  pop3     one POP3 client downloads the mailbox\n"
           "  compare  the same task over IMAP and over POP3, then a table\n"
           "  shared   two IMAP clients on one mailbox (IDLE sees the other's changes); "
           "two POP3 clients (the second is refused)"));
  g_option_context_set_description (
    ctx, _("Without permission to capture the demo still runs and narrates from the clients' "
           "transcripts (see mailscope-cli(1) for how to allow capturing).\n\nExit status: 0 "
           "when every client did its part; 1 when one failed; 2 for a bad command line."));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  if (!ms_cli_parse_options (ctx, "mailscope-cli demo", argc, argv, &error))
    {
      ms_cli_error ("%s", error->message);
      return MS_CLI_EXIT_USAGE;
    }

  MsDemoOptions o;
  ms_demo_options_init (&o);
  if (rest == NULL || rest[0] == NULL || rest[1] != NULL || !ms_demo_kind_from_name (rest[0], &o.kind))
    {
      ms_cli_error (_("name one demo: imap, pop3, compare or shared"));
      return MS_CLI_EXIT_USAGE;
    }
  if (tls == NULL || strcmp (tls, "none") == 0)
    o.tls = MS_LAB_CLIENT_TLS_NONE;
  else if (strcmp (tls, "starttls") == 0)
    o.tls = MS_LAB_CLIENT_TLS_STARTTLS;
  else if (strcmp (tls, "implicit") == 0)
    o.tls = MS_LAB_CLIENT_TLS_IMPLICIT;
  else
    {
      ms_cli_error (_("--tls takes none, starttls or implicit, not “%s”"), tls);
      return MS_CLI_EXIT_USAGE;
    }
  o.pcap_path = g_strdup (write_path);
  if (write_path && o.tls != MS_LAB_CLIENT_TLS_NONE)
    {
      g_autofree char *base = g_str_has_suffix (write_path, ".pcap")
                                ? g_strndup (write_path, strlen (write_path) - 5)
                                : g_strdup (write_path);
      o.keylog_path = g_strconcat (base, ".keys", NULL);
      /* One run's secrets per file. */
      g_unlink (o.keylog_path);
    }
  o.step_mode = step;
  o.no_capture = no_capture;

  setvbuf (stdout, NULL, _IOLBF, 0);
  DemoCli cli = { 0 };
  cli.loop = g_main_loop_new (NULL, FALSE);
  cli.kind = o.kind;
  cli.step = step;
  cli.color = isatty (fileno (stdout)) && g_getenv ("NO_COLOR") == NULL;
  const MsDemoCallbacks cb = { on_phase_started, on_step, on_transcript, on_events,
                               on_phase_finished, on_finished };
  cli.demo = ms_demo_new (&o, &cb, &cli, &error);
  g_autofree char *keylog = g_strdup (o.keylog_path);
  ms_demo_options_clear (&o);
  if (cli.demo == NULL)
    {
      ms_cli_error ("%s", error->message);
      g_main_loop_unref (cli.loop);
      return MS_CLI_EXIT_FAILURE;
    }
  ms_demo_start (cli.demo);
  g_main_loop_run (cli.loop);

  guint64 frames = 0, dropped = 0;
  ms_demo_capture_stats (cli.demo, &frames, &dropped);
  MsCaptureMode mode = ms_demo_capture_mode (cli.demo);
  if (cli.stdin_watch)
    g_source_remove (cli.stdin_watch);
  ms_demo_free (cli.demo);
  g_main_loop_unref (cli.loop);

  printf ("\n");
  if (mode == MS_CAPTURE_NONE)
    printf ("%s\n", _("Done. The packets were not captured; the lab's temporary mailbox has "
                      "been removed."));
  else
    {
      printf (g_dngettext (GETTEXT_PACKAGE,
                           "Done: %" PRIu64 " packet captured",
                           "Done: %" PRIu64 " packets captured", frames),
              frames);
      printf (g_dngettext (GETTEXT_PACKAGE, ", %" PRIu64 " dropped",
                           ", %" PRIu64 " dropped", dropped),
              dropped);
      if (write_path)
        printf (_(", saved to %s"), write_path);
      if (write_path && keylog)
        printf (_(" (TLS secrets in %s)"), keylog);
      printf ("%s\n", _("; the lab's temporary mailbox has been removed."));
    }
  return cli.failed ? MS_CLI_EXIT_FAILURE : MS_CLI_EXIT_OK;
}
