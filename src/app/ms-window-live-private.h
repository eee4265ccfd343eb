/* ms-window-live-private.h - what the live capture (ms-window-live.c) and
 * the live demo (ms-window-demo.c) share: the window's live state and the
 * live bar. */
#pragma once

#include "lab/ms-demo.h"
#include "ms-window-private.h"

G_BEGIN_DECLS

/* The key log saved beside a capture (data on the MsCapture). */
#define MS_KEYLOG_KEY "mailscope-keylog"

struct _MsWindowLive
{
  MsCapture *capture;       /* the live capture shown, while it runs */
  MsDemo *demo;             /* the live demo, while it runs */
  MsCapture *demo_capture;  /* what the demo's capture thread feeds */
  char *iface;
  char *filter;
  gboolean opening;         /* an interface is being opened */
  gboolean step_mode;
  gboolean run_through;
  guint run_source;
  guint announced;          /* client steps announced so far */
  MsStep next_step;
  char *next_description;

  /* template children */
  GtkRevealer *revealer;
  GtkLabel *title_label;
  GtkLabel *stats_label;
  GtkWidget *step_box;
  GtkLabel *step_title;
  GtkLabel *step_description;
  GtkWidget *next_button;
  GtkButton *run_button;
  GtkWidget *stop_button;
};

/* TRUE while the demo or a live capture runs. */
gboolean ms_window_live_is_running (MsWindow *self);
/* Shows the live state: counters, the client's next step, buttons. */
void ms_window_live_update_bar (MsWindow *self);
/* Shows `capture` (live, started) as the window's capture. */
void ms_window_live_show (MsWindow *self, MsCapture *capture);
/* A new file in the cache directory: "PREFIX-YYYYmmdd-HHMMSS.EXT". */
char *ms_window_live_cache_path (const char *prefix, const char *ext);
/* Ends the demo: clients and servers stop, then the capture ends. */
void ms_window_live_end_demo (MsWindow *self);
/* The demo's actions (ms-window-demo.c). */
void ms_window_class_init_demo (GtkWidgetClass *widget_class);

G_END_DECLS
