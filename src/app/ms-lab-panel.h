/* ms-lab-panel.h - the lab panel: a window that runs a lab server on this
 * computer (in its own thread) and shows it to the teacher: the ports in
 * use, the TLS switches, the accounts, one account's mailbox with a
 * "Deliver New Message" button, and the live command log. */
#pragma once

#include <adwaita.h>

#include "ms-lab-message.h"
#include "ms-lab-runner.h"

G_BEGIN_DECLS

/* The command log keeps this many lines; older ones scroll away for good
 * (a long lesson must not grow the window's memory without end). */
#define MS_LAB_PANEL_MAX_LOG_LINES 5000
/* One log line shows at most this many characters of a command or reply
 * (a long base64 blob would not say more). */
#define MS_LAB_PANEL_MAX_LOG_TEXT 300

#define MS_TYPE_LAB_PANEL (ms_lab_panel_get_type ())
G_DECLARE_FINAL_TYPE (MsLabPanel, ms_lab_panel, MS, LAB_PANEL, AdwWindow)

MsLabPanel *ms_lab_panel_new (void);

/* --- for tests and the window ------------------------------------------ */

MsLabRunner *ms_lab_panel_get_runner (MsLabPanel *self);
/* The data directory holding the accounts' Maildirs. */
const char *ms_lab_panel_get_data_dir (MsLabPanel *self);
/* The port the panel shows for a service ("143", or "—"). */
const char *ms_lab_panel_get_port_text (MsLabPanel *self, MsLabService svc);
/* The command log as shown, and its number of lines. */
char *ms_lab_panel_get_log_text (MsLabPanel *self);
guint ms_lab_panel_get_log_lines (MsLabPanel *self);
/* The mailbox list (MsLabMessageItem) and the account names (GtkStringList). */
GListModel *ms_lab_panel_get_messages (MsLabPanel *self);
GListModel *ms_lab_panel_get_accounts (MsLabPanel *self);
/* Shows this account's mailbox. */
void ms_lab_panel_select_account (MsLabPanel *self, const char *name);
/* Fills the new-account fields, as typing would. */
void ms_lab_panel_set_new_account (MsLabPanel *self, const char *name, const char *password);

G_END_DECLS
