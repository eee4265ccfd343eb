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
  struct _MsSharedView *shared_view;
  struct _MsCompareView *compare_view;

  /* owned */
  MsCapture *capture;
  /* a file being indexed (ms-window.c): when it was opened, the timeout
   * that shows its first page, the pending refresh of the session view and
   * the fraction read */
  gint64 open_time;
  guint first_page_id;
  guint refresh_id;
  double load_fraction;
  struct _MsWindowLive *live;  /* live capture and live demo (ms-window-live.c) */
  GtkCssProvider *zoom_css;
  struct _MsDemo *shared_demo;  /* the shared-mailbox demo while it runs */
  char *shared_pcap;             /* what it captured, once there is something */
  GtkWindow *lab_panel;          /* the lab panel, once opened */
  struct _MsWindowCompare *compare;  /* the compare page (ms-window-compare.c) */

  /* properties */
  gboolean presenter;
  gboolean high_contrast;
  gboolean mask_secrets;
  gboolean dark;
  int zoom;              /* percent */
};

void ms_window_class_install_actions (GtkWidgetClass *widget_class);

/* Live capture and live demo (ms-window-live.c). */
typedef struct _MsWindowLive MsWindowLive;
void ms_window_class_init_live (GtkWidgetClass *widget_class);
void ms_window_init_live (MsWindow *self);
void ms_window_dispose_live (MsWindow *self);
/* Stops the live demo and the live capture; what was captured stays. */
void ms_window_stop_demo (MsWindow *self);
/* Stops them and forgets the live capture (another capture opens). */
void ms_window_drop_live (MsWindow *self);
void ms_window_live_update_actions (MsWindow *self);
/* lesson.next and lesson.play during a live demo; FALSE when the session
 * view should handle them as usual. */
gboolean ms_window_live_lesson (MsWindow *self, const char *action);
/* TRUE while the demo's client waits for Next. */
gboolean ms_window_live_can_next (MsWindow *self);
/* TRUE while a capture or demo runs (or an interface is being opened). */
gboolean ms_window_is_live (MsWindow *self);
/* The live demo while it runs, or NULL; client steps it announced so far. */
struct _MsDemo *ms_window_get_live_demo (MsWindow *self);
guint ms_window_live_announced (MsWindow *self);
/* The step the demo's client announced last (MS_STEP_NONE before). */
MsStep ms_window_live_next_step (MsWindow *self);
/* Opens `iface` off the main thread and shows the live capture; a dialog
 * explains a missing permission. */
void ms_window_start_live_capture (MsWindow *self, const char *iface, const char *filter);
/* Runs the lab demo live (kind: MsDemoKind, tls: MsLabClientTls). */
void ms_window_start_demo (MsWindow *self, int kind, int tls, gboolean step_mode);
/* The permission dialog (MS_SOURCE_ERROR_PERMISSION) or an error dialog. */
void ms_window_show_capture_error (MsWindow *self, const GError *error);

/* Saving the capture (ms-window-save.c). */
void ms_window_class_init_save (GtkWidgetClass *widget_class);
void ms_window_save_update_actions (MsWindow *self);
/* Copies the capture to `path` and its key log, when there is one, to the
 * same name ending in .keylog. */
void ms_window_save_capture (MsWindow *self, const char *path);
/* Shows the loading page with a message. */
void ms_window_show_busy (MsWindow *self, const char *message);
/* Adds the capture's file to the recent files. */
void ms_window_remember_capture (MsCapture *capture);
void ms_window_update_actions (MsWindow *self);
void ms_window_apply_zoom (MsWindow *self);
/* Writes the diagram or the handout; the format follows the extension
 * (.png/.svg, .md/.html). */
gboolean ms_window_export_diagram (MsWindow *self, const char *path, GError **error);
gboolean ms_window_export_handout (MsWindow *self, const char *path, GError **error);

/* The shared-mailbox page (ms-window-shared.c). */
void ms_window_class_install_shared_actions (GtkWidgetClass *widget_class);
void ms_window_init_shared (MsWindow *self);
void ms_window_stop_shared_demo (MsWindow *self);
struct _MsSharedView *ms_window_get_shared_view (MsWindow *self);

/* The compare page (ms-window-compare.c): the "compare" property behind
 * view.compare, and capture.compare-demo. */
typedef struct _MsWindowCompare MsWindowCompare;
void ms_window_class_install_compare (GtkWidgetClass *widget_class);
void ms_window_init_compare (MsWindow *self);
void ms_window_dispose_compare (MsWindow *self);
void ms_window_stop_compare_demo (MsWindow *self);
gboolean ms_window_get_compare_shown (MsWindow *self);
gboolean ms_window_set_compare_shown (MsWindow *self, gboolean shown);
struct _MsCompareView *ms_window_get_compare_view (MsWindow *self);

/* The lab panel (ms-window-lab.c): lab.panel opens it. */
void ms_window_class_install_lab_actions (GtkWidgetClass *widget_class);
/* Destroys the panel and stops its server (window closing). */
void ms_window_stop_lab (MsWindow *self);

G_END_DECLS
