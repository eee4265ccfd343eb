/* cmd-decode.c - `mailscope-cli decode FILE`: reads a pcap/pcapng capture,
 * runs it through the pipeline and the lesson, and prints the narration or
 * JSON Lines. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>

#include "mailscope/ms-source.h"
#include "mailscope/ms-pipeline.h"
#include "mailscope/ms-lesson.h"
#include "mailscope/ms-sink.h"
#include "ms-cli.h"

/* stdout buffer: the sinks already write in large pieces; this only saves
 * stdio from splitting them. */
#define MS_DECODE_STDOUT_BUFFER (1024 * 1024)
/* Events handed from the decoding thread to the writing thread at once:
 * large enough that handing over costs nothing, small enough that both
 * threads keep busy. */
#define MS_DECODE_BATCH_EVENTS 128
/* Batches in flight at most: the decoder waits for the writer past it, so
 * a slow output cannot make events pile up in memory. */
#define MS_DECODE_BATCHES 8

/* --- the writing thread --------------------------------------------------
 *
 * Reading and decoding the capture runs on the calling thread; the lesson
 * and the sink (narration or JSON) run on a second one, so that on two
 * cores the run takes as long as the slower half rather than both. Events
 * go over in batches, handed over only between frames: by then no decoder
 * touches them any more. The events' order is kept. */

typedef struct {
  MsCliNarration *narration;  /* used on the writing thread only */
  GAsyncQueue *full;           /* batches to narrate; an empty one ends */
  GAsyncQueue *empty;          /* narrated batches, to fill again */
  GPtrArray *filling;          /* the decoding thread's batch */
  /* Narrated events, dropped one for each new event collected: memory is
   * freed by the thread that allocates it, a little at a time, which
   * keeps malloc's per-thread caches warm. */
  GPtrArray *dropping;
  guint dropped;
  GThread *thread;
} Relay;

/* Drops the narrated events not dropped yet. */
static void
relay_drop_all (Relay *r)
{
  for (; r->dropped < r->dropping->len; r->dropped++)
    ms_event_unref (g_ptr_array_index (r->dropping, r->dropped));
  g_ptr_array_set_size (r->dropping, 0);
  r->dropped = 0;
}

/* Pipeline callback on the decoding thread: keeps the event for the writer. */
static void
relay_collect (MsEvent *ev, gpointer data)
{
  Relay *r = data;
  g_ptr_array_add (r->filling, ms_event_ref (ev));
  if (r->dropped < r->dropping->len)
    ms_event_unref (g_ptr_array_index (r->dropping, r->dropped++));
}

static gpointer
relay_write (gpointer data)
{
  Relay *r = data;
  for (;;)
    {
      GPtrArray *batch = g_async_queue_pop (r->full);
      if (batch->len == 0)
        {
          g_async_queue_push (r->empty, batch);
          return NULL;
        }
      for (guint i = 0; i < batch->len; i++)
        {
          MsEvent *ev = g_ptr_array_index (batch, i);
          ms_cli_narrate (ev, r->narration);
          /* The lesson made these strings on this thread: free them here
           * (the decoding thread frees the rest of the event). */
          ms_event_clear_narration (ev);
        }
      g_async_queue_push (r->empty, batch);   /* the decoding thread drops them */
    }
}

/* Hands the batch over when full (or, with `force`, when not empty); then
 * waits for an empty one. Called between frames only. */
static void
relay_send (Relay *r, gboolean force)
{
  if (r->filling->len == 0 || (!force && r->filling->len < MS_DECODE_BATCH_EVENTS))
    return;
  g_async_queue_push (r->full, r->filling);
  relay_drop_all (r);
  r->filling = r->dropping;
  r->dropping = g_async_queue_pop (r->empty);
}

/* Starts the writing thread; NULL on a single processor, where it would
 * only add hand-over costs. */
static Relay *
relay_start (MsCliNarration *narration)
{
  if (g_get_num_processors () < 2)
    return NULL;
  Relay *r = g_new0 (Relay, 1);
  r->narration = narration;
  r->full = g_async_queue_new ();
  r->empty = g_async_queue_new ();
  for (guint i = 2; i < MS_DECODE_BATCHES; i++)
    g_async_queue_push (r->empty, g_ptr_array_sized_new (MS_DECODE_BATCH_EVENTS * 2));
  r->filling = g_ptr_array_sized_new (MS_DECODE_BATCH_EVENTS * 2);
  r->dropping = g_ptr_array_sized_new (MS_DECODE_BATCH_EVENTS * 2);
  r->thread = g_thread_new ("ms-decode-writer", relay_write, r);
  return r;
}

/* Hands over what is left, waits until the writer has narrated everything,
 * and frees the relay. */
static void
relay_finish (Relay *r)
{
  relay_send (r, TRUE);
  g_async_queue_push (r->full, r->filling);   /* empty: the end */
  r->filling = NULL;
  g_thread_join (r->thread);
  relay_drop_all (r);
  g_ptr_array_unref (r->dropping);
  GPtrArray *batch;
  while ((batch = g_async_queue_try_pop (r->empty)) != NULL)
    {
      g_ptr_array_set_free_func (batch, (GDestroyNotify) ms_event_unref);
      g_ptr_array_unref (batch);
    }
  g_async_queue_unref (r->full);
  g_async_queue_unref (r->empty);
  g_free (r);
}

/* --- a capture shortened while it is read ------------------------------
 *
 * The capture is read through a memory mapping (ms_source_open_mapped).
 * If another program shortens the file meanwhile, touching the lost pages
 * raises SIGBUS; instead of dying with it, the command says what happened
 * in one line, like every other error, and exits with status 1. */

static char shortened_line[1024];
static gsize shortened_len;

static void
on_sigbus (int sig)
{
  (void) sig;
  /* Only async-signal-safe calls here: the line was made beforehand. If
   * stderr is gone, the exit status still tells. */
  gssize written = write (STDERR_FILENO, shortened_line, shortened_len);
  (void) written;
  _exit (MS_CLI_EXIT_FAILURE);
}

static void
catch_shortened_file (const char *path)
{
  const char *what = _("the capture file became shorter while it was being read");
  g_autofree char *line = g_strdup_printf ("mailscope-cli: %s: %s\n", path, what);
  if (strlen (line) >= sizeof shortened_line)   /* a very long path: leave it out */
    {
      g_free (line);
      line = g_strdup_printf ("mailscope-cli: %s\n", what);
    }
  shortened_len = g_strlcpy (shortened_line, line, sizeof shortened_line);
  shortened_len = MIN (shortened_len, sizeof shortened_line - 1);

  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_sigbus;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGBUS, &sa, NULL);
}

/* --- the command ------------------------------------------------------- */

int
ms_cmd_decode (int argc, char **argv)
{
  g_autofree char *format = NULL;
  gboolean summary = FALSE, mask = FALSE;
  g_auto (GStrv) ports = NULL;
  g_auto (GStrv) files = NULL;
  g_autoptr (GError) error = NULL;
  const GOptionEntry entries[] = {
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format,
      N_("Output format: text (narration, the default) or json (one JSON object per line)"),
      N_("FORMAT") },
    { "summary", 's', 0, G_OPTION_ARG_NONE, &summary,
      N_("After the events, print a summary of each session (steps, bytes, round trips, credentials)"),
      NULL },
    { "port", 'p', 0, G_OPTION_ARG_STRING_ARRAY, &ports,
      N_("Decode traffic on PORT as PROTO (imap, pop3, dns or tls); may be repeated"),
      N_("PROTO=PORT") },
    { "mask-secrets", 'm', 0, G_OPTION_ARG_NONE, &mask,
      N_("Replace passwords with **** everywhere in the output"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, N_("FILE") },
    { NULL }
  };

  g_autoptr (GOptionContext) ctx = g_option_context_new (NULL);
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_set_summary (ctx, _("Explain the mail sessions (IMAP, POP3, DNS, TLS) recorded in a pcap or pcapng file (or \"-\" for standard input), one step at a time."));
  g_option_context_set_description (ctx, _("With --summary, the text format prints the narration first and then one summary table per session; the json format adds one \"session-summary\" object per session after the events.\n\nExit status: 0 on success; 1 when the file is missing, is not a capture or has an unsupported link type; 2 for a bad command line, or when the capture is cut short (everything before the cut is still decoded)."));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_set_help_enabled (ctx, TRUE);

  if (!ms_cli_parse_options (ctx, "mailscope-cli decode", argc, argv, &error))
    {
      ms_cli_error ("%s", error->message);
      return MS_CLI_EXIT_USAGE;
    }

  guint flags = 0;
  gboolean json = FALSE;
  if (format == NULL || strcmp (format, "text") == 0)
    json = FALSE;
  else if (strcmp (format, "json") == 0)
    json = TRUE;
  else
    {
      ms_cli_error (_("unknown format “%s” (use text or json)"), format);
      return MS_CLI_EXIT_USAGE;
    }

  MsPipelineOptions opts;
  ms_pipeline_options_init (&opts);
  for (guint i = 0; ports && ports[i]; i++)
    if (!ms_pipeline_options_add_port (&opts, ports[i], &error))
      {
        ms_cli_error ("%s", error->message);
        return MS_CLI_EXIT_USAGE;
      }

  if (files == NULL || files[0] == NULL)
    {
      ms_cli_error (_("no capture file given (usage: mailscope-cli decode FILE)"));
      return MS_CLI_EXIT_USAGE;
    }
  if (files[1] != NULL)
    {
      ms_cli_error (_("one capture file at a time, please"));
      return MS_CLI_EXIT_USAGE;
    }

  /* "-" is standard input, read like any pipe. */
  const char *path = strcmp (files[0], "-") == 0 ? "/dev/stdin" : files[0];
  catch_shortened_file (path);
  MsSource *src = ms_source_open_mapped (path, &error);
  if (src == NULL)
    {
      ms_cli_error ("%s", error->message);
      return MS_CLI_EXIT_FAILURE;
    }

  if (mask)
    flags |= MS_SINK_MASK_SECRETS;
  if (summary)
    flags |= MS_SINK_SUMMARY;
  if (!json && isatty (fileno (stdout)) && g_getenv ("NO_COLOR") == NULL)
    flags |= MS_SINK_COLOR;
  setvbuf (stdout, NULL, _IOFBF, MS_DECODE_STDOUT_BUFFER);

  MsCliNarration run;
  run.lesson = ms_lesson_new ();
  run.sink = json ? ms_sink_new_json (stdout, run.lesson, flags)
                  : ms_sink_new_text (stdout, run.lesson, flags);
  Relay *relay = relay_start (&run);
  MsPipeline *pipe = relay ? ms_pipeline_new (&opts, relay_collect, relay)
                           : ms_pipeline_new (&opts, ms_cli_narrate, &run);

  int status = MS_CLI_EXIT_OK;
  g_autofree char *warning = NULL;
  g_autofree char *failure = NULL;
  MsFrame frame;
  for (;;)
    {
      int r = ms_source_next (src, &frame, &error);
      if (r == 1)
        {
          ms_pipeline_feed (pipe, &frame);
          if (relay)
            relay_send (relay, FALSE);
          continue;
        }
      if (r == 0)
        break;
      if (r == 2)
        continue;
      if (g_error_matches (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_TRUNCATED))
        {
          warning = g_strdup (error->message);
          status = MS_CLI_EXIT_USAGE;
        }
      else
        {
          failure = g_strdup (error->message);
          status = MS_CLI_EXIT_FAILURE;
        }
      g_clear_error (&error);
      break;
    }
  ms_pipeline_finish (pipe);
  if (relay)
    relay_finish (relay);

  if (!ms_sink_finish (run.sink, &error))
    {
      ms_cli_error ("%s", error->message);
      status = MS_CLI_EXIT_FAILURE;
    }
  else if (failure)
    ms_cli_error ("%s", failure);
  else if (warning)
    ms_cli_error (_("warning: %s; decoded everything before the cut"), warning);

  ms_pipeline_free (pipe);
  ms_sink_free (run.sink);
  ms_lesson_free (run.lesson);
  ms_source_close (src);
  return status;
}
