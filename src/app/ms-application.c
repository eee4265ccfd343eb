/* ms-application.c - application start-up and the open/activate handlers. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ms-application.h"
#include "ms-window.h"

struct _MsApplication
{
  AdwApplication parent_instance;
  gboolean start_demo;   /* --demo: run the live demo in the first window */
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
  MsApplication *self = MS_APPLICATION (app);
  if (self->start_demo)
    {
      self->start_demo = FALSE;
      gtk_widget_activate_action (GTK_WIDGET (win), "capture.live-demo", NULL);
    }
}

static int
ms_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  if (g_variant_dict_contains (options, "demo"))
    MS_APPLICATION (app)->start_demo = TRUE;
  return -1;   /* go on: activate or open */
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
  app_class->handle_local_options = ms_application_handle_local_options;
}

static void
ms_application_init (MsApplication *self)
{
  static const GOptionEntry entries[] = {
    { "demo", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Start the live demo: lab servers and client on loopback, captured live"), NULL },
    { NULL },
  };
  g_application_add_main_option_entries (G_APPLICATION (self), entries);
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
