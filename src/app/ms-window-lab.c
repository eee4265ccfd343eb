/* ms-window-lab.c - the window's lab panel (lab.panel): one panel per
 * window, created on first use, hidden when closed (its server keeps
 * running) and destroyed with the window. */
#include "config.h"

#include "ms-lab-panel.h"
#include "ms-window-private.h"

static void
lab_panel_action (GtkWidget *widget, const char *name, GVariant *param)
{
  MsWindow *self = MS_WINDOW (widget);
  if (self->lab_panel == NULL)
    {
      self->lab_panel = GTK_WINDOW (ms_lab_panel_new ());
      gtk_window_set_application (self->lab_panel,
                                  gtk_window_get_application (GTK_WINDOW (self)));
    }
  gtk_window_present (self->lab_panel);
}

void
ms_window_class_install_lab_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "lab.panel", NULL, lab_panel_action);
}

void
ms_window_stop_lab (MsWindow *self)
{
  if (self->lab_panel)
    gtk_window_destroy (g_steal_pointer (&self->lab_panel));
}
