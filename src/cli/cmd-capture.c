/* cmd-capture.c - `mailscope-cli capture -i IFACE`: captures live (directly,
 * or through the mailscope-capture helper when this process may not),
 * narrates each mail session as it closes, and reports the packets the
 * kernel dropped. */
#include "config.h"

#include <inttypes.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>

#include "mailscope/ms-lesson.h"
#include "mailscope/ms-pipeline.h"
#include "mailscope/ms-sink.h"
#include "mailscope/ms-source.h"
#include "lab/ms-demo.h"
#include "ms-cli.h"

/* How often the watcher looks at the clock and at the end of the capture. */
#define MS_CAPTURE_WATCH_MS 100

/* Ctrl+C and --duration are handled in a thread of their own: the main
 * thread may be blocked reading the helper's pipe, and an interrupted read
 * would lose the stream's place. */
typedef struct {
  MsLiveCapture *cap;
  gint64 deadline;        /* monotonic, 0 for none */
  gint done;              /* atomic: the main thread stopped reading */
  sigset_t signals;
} CaptureWatch;

static gpointer
watch_capture (gpointer data)
{
  CaptureWatch *w = data;
  const struct timespec tick = { 0, MS_CAPTURE_WATCH_MS * 1000000L };
  while (!g_atomic_int_get (&w->done))
    {
      int sig = sigtimedwait (&w->signals, NULL, &tick);
      if (sig > 0 || (w->deadline && g_get_monotonic_time () >= w->deadline))
        {
          /* The helper still hands over what it captured before ending. */
          ms_live_capture_stop (w->cap);
          break;
        }
    }
  return NULL;
}

int
ms_cmd_capture (int argc, char **argv)
{
  g_autofree char *iface = NULL, *filter = NULL, *write_path = NULL, *format = NULL;
  int count = 0, duration = 0;
  gboolean mask = FALSE;
  g_auto (GStrv) rest = NULL;
  g_autoptr (GError) error = NULL;
  const GOptionEntry entries[] = {
    { "interface", 'i', 0, G_OPTION_ARG_STRING, &iface,
      N_("Capture on IFACE (lo for the lab on this computer)"), N_("IFACE") },
    { "filter", 'f', 0, G_OPTION_ARG_STRING, &filter,
      N_("Keep only packets matching this capture filter (BPF, as in tcpdump)"), N_("FILTER") },
    { "write", 'w', 0, G_OPTION_ARG_FILENAME, &write_path,
      N_("Also save the packets to FILE (pcap)"), N_("FILE") },
    { "count", 'c', 0, G_OPTION_ARG_INT, &count, N_("Stop after COUNT packets"), N_("COUNT") },
    { "duration", 0, 0, G_OPTION_ARG_INT, &duration, N_("Stop after SECONDS"), N_("SECONDS") },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format,
      N_("Output format: text (narration, the default) or json (one JSON object per line)"),
      N_("FORMAT") },
    { "mask-secrets", 'm', 0, G_OPTION_ARG_NONE, &mask,
      N_("Replace passwords with **** everywhere in the output"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL, NULL },
    { NULL }
  };

  g_autoptr (GOptionContext) ctx = g_option_context_new (NULL);
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_set_summary (
    ctx, _("Capture mail traffic live and explain each session (IMAP, POP3, DNS, TLS) when it "
           "ends. Ctrl+C stops the capture."));
  g_option_context_set_description (
    ctx, _("Without permission to capture, Mailscope runs its small capture helper, "
           "mailscope-capture; installing does not give it that permission, the "
           "administrator does once with setcap (see mailscope-cli(1)).\n\nExit status: 0 "
           "after the capture; 1 when it cannot start (no permission, no such interface); 2 "
           "for a bad command line."));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  if (!ms_cli_parse_options (ctx, "mailscope-cli capture", argc, argv, &error))
    {
      ms_cli_error ("%s", error->message);
      return MS_CLI_EXIT_USAGE;
    }
  if (rest && rest[0])
    {
      ms_cli_error (_("unexpected argument “%s”"), rest[0]);
      return MS_CLI_EXIT_USAGE;
    }
  if (iface == NULL)
    {
      ms_cli_error (_("name the interface to capture on (usage: mailscope-cli capture -i "
                      "IFACE)"));
      return MS_CLI_EXIT_USAGE;
    }
  if (count < 0 || duration < 0)
    {
      ms_cli_error (_("--count and --duration take positive numbers"));
      return MS_CLI_EXIT_USAGE;
    }
  gboolean json = FALSE;
  if (format && strcmp (format, "json") == 0)
    json = TRUE;
  else if (format && strcmp (format, "text") != 0)
    {
      ms_cli_error (_("unknown format “%s” (use text or json)"), format);
      return MS_CLI_EXIT_USAGE;
    }

  MsLiveCapture *cap = ms_live_capture_open (iface, filter, &error);
  if (cap == NULL)
    {
      ms_cli_error ("%s", error->message);
      return g_error_matches (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_FILTER)
               ? MS_CLI_EXIT_USAGE
               : MS_CLI_EXIT_FAILURE;
    }
  MsSource *src = ms_live_capture_source (cap);
  if (write_path && !ms_source_set_dump (src, write_path, &error))
    {
      ms_cli_error ("%s", error->message);
      ms_live_capture_close (cap);
      return MS_CLI_EXIT_FAILURE;
    }

  CaptureWatch watch = { cap, 0, 0 };
  sigemptyset (&watch.signals);
  sigaddset (&watch.signals, SIGINT);
  sigaddset (&watch.signals, SIGTERM);
  pthread_sigmask (SIG_BLOCK, &watch.signals, NULL);
  if (duration > 0)
    watch.deadline = g_get_monotonic_time () + (gint64) duration * G_USEC_PER_SEC;
  GThread *watcher = g_thread_new ("ms-capture-watch", watch_capture, &watch);
  /* Narration is read as it comes, often through a pipe. */
  setvbuf (stdout, NULL, _IOLBF, 0);
  fprintf (stderr, _("Capturing on %s%s. Press Ctrl+C to stop.\n"), iface,
           ms_live_capture_mode (cap) == MS_CAPTURE_HELPER ? _(" (through mailscope-capture)")
                                                          : "");

  guint flags = 0;
  if (mask)
    flags |= MS_SINK_MASK_SECRETS;
  if (!json && isatty (fileno (stdout)) && g_getenv ("NO_COLOR") == NULL)
    flags |= MS_SINK_COLOR;
  MsCliNarration run;
  run.lesson = ms_lesson_new ();
  run.sink = json ? ms_sink_new_json (stdout, run.lesson, flags)
                  : ms_sink_new_text (stdout, run.lesson, flags);
  MsPipelineOptions opts;
  ms_pipeline_options_init (&opts);
  MsPipeline *pipe = ms_pipeline_new (&opts, ms_cli_narrate, &run);

  guint64 frames = 0;
  int status = MS_CLI_EXIT_OK;
  MsFrame frame;
  for (;;)
    {
      int r = ms_source_next (src, &frame, &error);
      if (r == 2)
        continue;
      if (r == 0)
        break;
      if (r < 0)
        {
          ms_cli_error ("%s", error->message);
          status = MS_CLI_EXIT_FAILURE;
          break;
        }
      frames++;
      ms_pipeline_feed (pipe, &frame);
      /* Live: a session is told as soon as it has ended. */
      ms_sink_flush (run.sink);
      if (count > 0 && frames >= (guint64) count)
        break;
    }
  g_atomic_int_set (&watch.done, 1);
  g_thread_join (watcher);
  ms_live_capture_stop (cap);
  ms_pipeline_finish (pipe);
  if (!ms_sink_finish (run.sink, &error))
    {
      ms_cli_error ("%s", error->message);
      status = MS_CLI_EXIT_FAILURE;
    }
  ms_source_set_dump (src, NULL, NULL);

  guint64 received = 0, dropped = 0;
  gboolean have_stats = ms_live_capture_stats (cap, &received, &dropped);
  fprintf (stderr,
           g_dngettext (GETTEXT_PACKAGE, "Captured %" PRIu64 " packet",
                        "Captured %" PRIu64 " packets", frames),
           frames);
  if (have_stats)
    fprintf (stderr,
             g_dngettext (GETTEXT_PACKAGE, "; the kernel dropped %" PRIu64 " packet.\n",
                          "; the kernel dropped %" PRIu64 " packets.\n", dropped),
             dropped);
  else
    fprintf (stderr, "%s\n", _("; the kernel's drop count is not known."));
  if (have_stats && dropped > 0)
    fprintf (stderr, "%s\n",
             _("Dropped packets are missing from the narration: use a capture filter to keep "
               "only mail traffic."));

  ms_pipeline_free (pipe);
  ms_sink_free (run.sink);
  ms_lesson_free (run.lesson);
  ms_live_capture_close (cap);
  return status;
}
