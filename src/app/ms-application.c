/* ms-application.c - application start-up and the open/activate handlers. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ms-application.h"
#include "ms-window.h"

struct _MsApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (MsApplication, ms_application, ADW_TYPE_APPLICATION)

static void
ms_application_startup (GApplication *app)
{
  G_APPLICATION_CLASS (ms_application_parent_class)->startup (app);
  g_set_application_name (_("Mailscope"));
  gtk_window_set_default_icon_name ("org.mailscope.Mailscope");
  ms_application_add_actions (MS_APPLICATION (app));
  ms_application_set_accels (MS_APPLICATION (app));
}

static void
ms_application_activate (GApplication *app)
{
  GtkWindow *win = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (win == NULL)
    win = GTK_WINDOW (ms_window_new (GTK_APPLICATION (app)));
  gtk_window_present (win);
}

/* The first file goes to a window still on its start page, each further
 * file to a new window. */
static void
ms_application_open (GApplication *app, GFile **files, int n_files, const char *hint)
{
  for (int i = 0; i < n_files; i++)
    {
      GtkWindow *win = gtk_application_get_active_window (GTK_APPLICATION (app));

      if (win == NULL || !MS_IS_WINDOW (win)
          || g_strcmp0 (ms_window_get_page (MS_WINDOW (win)), "start") != 0)
        win = GTK_WINDOW (ms_window_new (GTK_APPLICATION (app)));
      ms_window_open_file (MS_WINDOW (win), files[i]);
      gtk_window_present (win);
    }
}

static void
ms_application_class_init (MsApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->startup = ms_application_startup;
  app_class->activate = ms_application_activate;
  app_class->open = ms_application_open;
}

static void
ms_application_init (MsApplication *self)
{
}

MsApplication *
ms_application_new (GApplicationFlags extra_flags)
{
  return g_object_new (MS_TYPE_APPLICATION,
                       "application-id", "org.mailscope.Mailscope",
                       "flags", G_APPLICATION_HANDLES_OPEN | extra_flags,
                       "resource-base-path", "/org/mailscope/Mailscope",
                       NULL);
}
