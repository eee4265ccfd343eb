/* main.c - the mailscope GUI program. */
#include "config.h"

#include <locale.h>
#include <glib/gi18n-lib.h>

#include "ms-application.h"

int
main (int argc, char **argv)
{
  const char *localedir = g_getenv ("MAILSCOPE_LOCALEDIR");
  g_autoptr (MsApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir && localedir[0] ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = ms_application_new (G_APPLICATION_DEFAULT_FLAGS);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
