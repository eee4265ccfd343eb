/* ms-cli.h - what mailscope-cli's command files share: each command is one
 * cmd-*.c file with one entry function, dispatched from main.c. */
#pragma once

#include <glib.h>

#include "mailscope/ms-event.h"
#include "mailscope/ms-lesson.h"
#include "mailscope/ms-sink.h"

G_BEGIN_DECLS

/* Exit statuses (documented in mailscope-cli(1)). */
#define MS_CLI_EXIT_OK 0
#define MS_CLI_EXIT_FAILURE 1   /* the input could not be read */
#define MS_CLI_EXIT_USAGE 2     /* bad command line; or a truncated capture */

/* Prints "mailscope-cli: <message>" as one line on stderr. */
void ms_cli_error (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

/* Parses a command's options (argv[0] is the command name); `prog`, such
 * as "mailscope-cli decode", names it in --help and in messages. */
gboolean ms_cli_parse_options (GOptionContext *ctx, const char *prog, int argc, char **argv,
                               GError **error);

/* The narration the decode and capture commands print: each event from
 * the pipeline goes through the lesson, then to the sink. */
typedef struct {
  MsLesson *lesson;
  MsSink *sink;
} MsCliNarration;

/* An MsEventFunc for ms_pipeline_new; `narration` is an MsCliNarration. */
void ms_cli_narrate (MsEvent *ev, gpointer narration);

/* Terminal columns a UTF-8 string takes: wide (CJK) characters take two,
 * combining marks none. */
gsize ms_cli_display_width (const char *s);
/* Prints s padded with spaces to `width` columns, on the left when
 * `right` (numbers), else on the right. */
void ms_cli_print_padded (const char *s, gsize width, gboolean right);

/* Command entry points: argv[0] is the command name; return the exit
 * status. */
int ms_cmd_decode (int argc, char **argv);
int ms_cmd_client (int argc, char **argv);
int ms_cmd_serve (int argc, char **argv);
int ms_cmd_deliver (int argc, char **argv);
int ms_cmd_capture (int argc, char **argv);
int ms_cmd_demo (int argc, char **argv);

G_END_DECLS
