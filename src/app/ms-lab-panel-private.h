/* ms-lab-panel-private.h - the lab panel's internals shared by the window
 * (ms-lab-panel.c) and its command log (ms-lab-panel-log.c). */
#pragma once

#include "ms-lab-panel.h"

G_BEGIN_DECLS

struct _MsLabPanel
{
  AdwWindow parent_instance;

  /* template widgets */
  AdwToastOverlay *toast_overlay;
  AdwWindowTitle *window_title;
  GtkWidget *start_button;
  GtkWidget *stop_button;
  AdwActionRow *status_row;
  GtkImage *status_icon;
  AdwPreferencesGroup *ports_group;
  GtkWidget *require_tls_row;
  GtkListBox *accounts_list;
  AdwEntryRow *name_row;
  AdwPasswordEntryRow *password_row;
  GtkDropDown *account_dropdown;
  GtkDropDown *folder_dropdown;
  GtkLabel *count_label;
  GtkStack *mailbox_stack;
  AdwStatusPage *mailbox_status;
  GtkColumnView *message_view;
  GtkLabel *log_count_label;
  GtkToggleButton *autoscroll_button;
  GtkTextView *log_view;

  /* owned */
  MsLabRunner *runner;
  GSimpleActionGroup *actions;
  char *data_dir;
  GtkStringList *accounts;       /* names, in the order added */
  GHashTable *passwords;         /* name → password */
  GtkStringList *folders;
  GListStore *messages;          /* MsLabMessageItem */
  AdwActionRow *port_rows[MS_LAB_N_SERVICES];
  GtkLabel *port_labels[MS_LAB_N_SERVICES];
  guint log_lines;
  gboolean restart_pending;      /* the TLS switch changed while running */
  gboolean updating_folders;
  char *shown_user;              /* what the mailbox list shows */
  char *shown_folder;
};

/* --- the command log (ms-lab-panel-log.c) ------------------------------- */

/* Creates the log's text tags and follows its end while auto-scroll is on. */
void ms_lab_panel_build_log_tags (MsLabPanel *self);
/* The runner's log callback: appends a batch of lines. */
void ms_lab_panel_on_runner_log (MsLabRunner *r, MsLabLogLine *const *lines, guint n,
                                 gpointer data);
/* The "clear-log" action. */
void ms_lab_panel_clear_log_action (GSimpleAction *action, GVariant *param, gpointer data);

G_END_DECLS
