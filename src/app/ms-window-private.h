/* ms-window-private.h - window internals shared with ms-window-actions.c. */
#pragma once

#include "ms-window.h"

G_BEGIN_DECLS

struct _MsWindow
{
  AdwApplicationWindow parent_instance;

  /* template widgets */
  AdwToastOverlay *toast_overlay;
  AdwWindowTitle *window_title;
  GtkStack *stack;
  AdwStatusPage *error_page;
  AdwStatusPage *empty_page;
  GtkProgressBar *progress_bar;
  GtkLabel *loading_label;
  GtkListBox *recent_list;
  GtkWidget *recent_group;
  GtkWidget *demo_button;
  MsSessionView *session_view;

  /* owned */
  MsCapture *capture;
  struct _MsDemo *demo;  /* the live demo while it runs */
  char *demo_pcap;
  GtkCssProvider *zoom_css;

  /* properties */
  gboolean presenter;
  gboolean high_contrast;
  gboolean mask_secrets;
  gboolean dark;
  int zoom;              /* percent */
};

void ms_window_class_install_actions (GtkWidgetClass *widget_class);
/* Stops a running live demo (window closing). */
void ms_window_stop_demo (MsWindow *self);
/* Shows the loading page with a message. */
void ms_window_show_busy (MsWindow *self, const char *message);
void ms_window_update_actions (MsWindow *self);
void ms_window_apply_zoom (MsWindow *self);
/* Writes the diagram or the handout; the format follows the extension
 * (.png/.svg, .md/.html). */
gboolean ms_window_export_diagram (MsWindow *self, const char *path, GError **error);
gboolean ms_window_export_handout (MsWindow *self, const char *path, GError **error);

G_END_DECLS
