/* fuzz-pipeline.c - fuzz target: the whole decode path from a capture
 * file's bytes (pcap or pcapng, read by libpcap through ms-source) through
 * packet decoding, defragmentation, the flow table, TCP reassembly, every
 * protocol decoder, the lesson layer and the JSON sink, as
 * `mailscope-cli decode --format json` runs it. */
#define _GNU_SOURCE
#include "config.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz-common.h"
#include "mailscope/ms-lesson.h"
#include "mailscope/ms-pipeline.h"
#include "mailscope/ms-sink.h"
#include "mailscope/ms-source.h"

typedef struct {
  MsLesson *lesson;
  MsSink *sink;
} Run;

static void
on_event (MsEvent *ev, gpointer user_data)
{
  Run *run = user_data;
  ms_lesson_process (run->lesson, ev);
  ms_sink_event (run->sink, ev);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static FILE *devnull;
  GError *error = NULL;

  if (devnull == NULL)
    devnull = fopen ("/dev/null", "w");

  /* The capture lives in an anonymous memory file that libpcap opens by
   * its /proc path, so ms_source_open_file runs unchanged. */
  int fd = memfd_create ("capture", MFD_CLOEXEC);
  if (fd < 0)
    return 0;
  gsize done = 0;
  while (done < size)
    {
      ssize_t n = write (fd, data + done, size - done);
      if (n <= 0)
        break;
      done += (gsize) n;
    }
  char path[64];
  g_snprintf (path, sizeof path, "/proc/self/fd/%d", fd);

  MsSource *src = ms_source_open_file (path, &error);
  if (src == NULL)
    {
      g_clear_error (&error);
      close (fd);
      return 0;
    }

  MsPipelineOptions opts;
  ms_pipeline_options_init (&opts);
  Run run;
  run.lesson = ms_lesson_new ();
  run.sink = ms_sink_new_json (devnull, run.lesson, MS_SINK_SUMMARY);
  MsPipeline *pipe = ms_pipeline_new (&opts, on_event, &run);
  MsFrame frame;
  int rc;
  while ((rc = ms_source_next (src, &frame, &error)) == 1)
    ms_pipeline_feed (pipe, &frame);
  g_clear_error (&error);
  ms_pipeline_finish (pipe);
  ms_sink_finish (run.sink, NULL);
  ms_pipeline_free (pipe);
  ms_sink_free (run.sink);
  ms_lesson_free (run.lesson);
  ms_source_close (src);
  close (fd);
  return 0;
}
