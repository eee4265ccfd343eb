/* main.c - mailscope-cli: sets up translations and dispatches to one
 * command (decode now; serve, client, capture and demo as they arrive). */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "ms-cli.h"

typedef struct {
  const char *name;
  int (*run) (int argc, char **argv);
  const char *description;   /* N_() */
} MsCliCommand;

static const MsCliCommand commands[] = {
  { "decode", ms_cmd_decode, N_("Explain the mail sessions recorded in a capture file") },
  { "client", ms_cmd_client, N_("Receive mail step by step with the lab's IMAP or POP3 client") },
  { "serve", ms_cmd_serve, N_("Run the mail lab: IMAP, POP3 and DNS servers with a live log") },
  { "deliver", ms_cmd_deliver, N_("Drop a new message into a lab mailbox") },
  { "capture", ms_cmd_capture, N_("Capture mail traffic live and explain it as it happens") },
  { "demo", ms_cmd_demo, N_("Run the lab, capture it and explain what crossed the wire") },
};

void
ms_cli_error (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  /* One line, whatever the message holds. */
  for (char *p = msg; *p; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
  g_strchomp (msg);
  fprintf (stderr, "mailscope-cli: %s\n", msg);
}

/* Runs a GOptionContext over a command's argv (argv[0] is the command). */
gboolean
ms_cli_parse_options (GOptionContext *ctx, const char *prog, int argc, char **argv, GError **error)
{
  g_set_prgname (prog);
  char **args = g_new0 (char *, (gsize) argc + 1);
  args[0] = (char *) prog;
  for (int i = 1; i < argc; i++)
    args[i] = argv[i];
  int n = argc;
  char **parsed = args;
  gboolean ok = g_option_context_parse (ctx, &n, &parsed, error);
  /* g_option_context_parse rearranges the array it was given; the strings
   * stay argv's. Leftover arguments are handled by G_OPTION_REMAINING. */
  g_free (args);
  return ok;
}

void
ms_cli_narrate (MsEvent *ev, gpointer narration)
{
  MsCliNarration *n = narration;
  ms_lesson_process (n->lesson, ev);
  ms_sink_event (n->sink, ev);
}

gsize
ms_cli_display_width (const char *s)
{
  gsize w = 0;
  for (const char *p = s; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (g_unichar_iszerowidth (c))
        continue;
      w += g_unichar_iswide (c) ? 2 : 1;
    }
  return w;
}

void
ms_cli_print_padded (const char *s, gsize width, gboolean right)
{
  gsize w = ms_cli_display_width (s);
  gsize pad = width > w ? width - w : 0;
  if (right)
    printf ("%*s%s", (int) pad, "", s);
  else
    printf ("%s%*s", s, (int) pad, "");
}

static void
print_help (FILE *out)
{
  fprintf (out, "%s\n  mailscope-cli %s\n\n%s\n", _("Usage:"), _("COMMAND [OPTIONS…]"),
           _("Commands:"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-10s %s\n", commands[i].name, _(commands[i].description));
  fprintf (out, "  %-10s %s\n\n%s\n", "help", _("Show this list"),
           _("Run “mailscope-cli COMMAND --help” for the options of a command."));
}

int
main (int argc, char **argv)
{
  const char *localedir = g_getenv ("MAILSCOPE_LOCALEDIR");

  setlocale (LC_ALL, "");
  /* Running from the build tree, tests point at the freshly built .mo files. */
  bindtextdomain (GETTEXT_PACKAGE, localedir && localedir[0] ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("mailscope-cli");

  if (argc < 2)
    {
      print_help (stderr);
      return MS_CLI_EXIT_USAGE;
    }
  const char *name = argv[1];
  if (strcmp (name, "help") == 0 || strcmp (name, "--help") == 0 || strcmp (name, "-h") == 0)
    {
      if (argc > 2)
        for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
          if (strcmp (argv[2], commands[i].name) == 0)
            {
              char *sub[] = { argv[2], (char *) "--help", NULL };
              return commands[i].run (2, sub);
            }
      print_help (stdout);
      return MS_CLI_EXIT_OK;
    }
  if (strcmp (name, "--version") == 0)
    {
      printf ("mailscope-cli %s\n", PACKAGE_VERSION);
      return MS_CLI_EXIT_OK;
    }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (name, commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);

  ms_cli_error (_("unknown command “%s” (try “mailscope-cli help”)"), name);
  return MS_CLI_EXIT_USAGE;
}
