/* ms-app-actions.c - application actions (app.*) and every accelerator. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ms-application.h"
#include "ms-window.h"

static void
about_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  GtkApplication *app = data;
  const char *developers[] = { _("The Mailscope authors"), NULL };
  GtkWidget *about = adw_about_window_new ();

  adw_about_window_set_application_name (ADW_ABOUT_WINDOW (about), _("Mailscope"));
  adw_about_window_set_application_icon (ADW_ABOUT_WINDOW (about), "org.mailscope.Mailscope");
  adw_about_window_set_version (ADW_ABOUT_WINDOW (about), PACKAGE_VERSION);
  adw_about_window_set_comments (ADW_ABOUT_WINDOW (about),
                                 _("See how mail is received: IMAP, POP3, DNS and TLS explained one step at a time."));
  adw_about_window_set_license_type (ADW_ABOUT_WINDOW (about), GTK_LICENSE_GPL_3_0);
  adw_about_window_set_developers (ADW_ABOUT_WINDOW (about), developers);
  adw_about_window_set_developer_name (ADW_ABOUT_WINDOW (about), _("The Mailscope authors"));
  /* TRANSLATORS: your name(s), one per line */
  adw_about_window_set_translator_credits (ADW_ABOUT_WINDOW (about), _("translator-credits"));
  gtk_window_set_transient_for (GTK_WINDOW (about), gtk_application_get_active_window (app));
  gtk_window_present (GTK_WINDOW (about));
}

static void
new_window_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  gtk_window_present (GTK_WINDOW (ms_window_new (GTK_APPLICATION (data))));
}

static void
quit_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (data));

  /* Closing the windows lets each one cancel its background work. */
  while (windows)
    {
      GtkWindow *win = windows->data;
      windows = windows->next;
      gtk_window_destroy (win);
    }
}

void
ms_application_add_actions (MsApplication *self)
{
  static const GActionEntry entries[] = {
    { "about", about_activated, NULL, NULL, NULL, { 0 } },
    { "new-window", new_window_activated, NULL, NULL, NULL, { 0 } },
    { "quit", quit_activated, NULL, NULL, NULL, { 0 } },
  };
  g_action_map_add_action_entries (G_ACTION_MAP (self), entries, G_N_ELEMENTS (entries), self);
}

void
ms_application_set_accels (MsApplication *self)
{
  static const struct {
    const char *action;
    const char *accels[4];
  } accels[] = {
    { "app.quit", { "<Primary>q", NULL } },
    { "app.new-window", { "<Primary>n", NULL } },
    { "window.close", { "<Primary>w", NULL } },
    { "capture.open", { "<Primary>o", NULL } },
    { "capture.save", { "<Primary>s", NULL } },
    { "capture.live", { "<Primary>k", NULL } },
    { "capture.stop", { "<Primary><Shift>k", NULL } },
    { "lab.panel", { "<Primary>l", NULL } },
    { "view.compare", { "F6", NULL } },
    { "capture.export-png", { "<Primary>e", NULL } },
    { "capture.export-markdown", { "<Primary><Shift>e", NULL } },
    { "lesson.next", { "space", NULL } },
    { "lesson.back", { "BackSpace", NULL } },
    { "lesson.first", { "Home", NULL } },
    { "lesson.last", { "End", NULL } },
    { "lesson.play", { "<Primary>p", NULL } },
    { "view.zoom-in", { "<Primary>plus", "<Primary>equal", "<Primary>KP_Add", NULL } },
    { "view.zoom-out", { "<Primary>minus", "<Primary>KP_Subtract", NULL } },
    { "view.zoom-reset", { "<Primary>0", NULL } },
    { "view.presenter", { "F5", NULL } },
    { "view.mask-secrets", { "<Primary>m", NULL } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), accels[i].action,
                                           accels[i].accels);
}
