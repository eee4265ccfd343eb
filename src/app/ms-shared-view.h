/* ms-shared-view.h - the shared-mailbox demo as it happens: two IMAP clients
 * on one mailbox side by side, the change one makes linked to the update the
 * server pushes to the other during IDLE, and the POP3 pair whose second
 * session the maildrop lock refuses.
 *
 * The view only shows: the window runs the demo (MS_DEMO_SHARED) and feeds
 * its callbacks in, on the main thread. */
#pragma once

#include <gtk/gtk.h>

#include "lab/ms-demo.h"

G_BEGIN_DECLS

#define MS_TYPE_SHARED_VIEW (ms_shared_view_get_type ())
G_DECLARE_FINAL_TYPE (MsSharedView, ms_shared_view, MS, SHARED_VIEW, GtkWidget)

/* The columns, for ms_shared_view_get_column_text(). */
typedef enum {
  MS_SHARED_COLUMN_A,     /* the IMAP client waiting in IDLE */
  MS_SHARED_COLUMN_B,     /* the IMAP client that changes the mailbox */
  MS_SHARED_COLUMN_POP3,  /* both POP3 clients */
  MS_SHARED_N_COLUMNS
} MsSharedColumn;

GtkWidget *ms_shared_view_new (void);

/* Clears the view and lays out one column per client of `demo` (borrowed
 * for the call only). mask: show passwords as ********. */
void ms_shared_view_start (MsSharedView *self, MsDemo *demo, gboolean mask);
/* The demo's callbacks, forwarded as they arrive. */
void ms_shared_view_step (MsSharedView *self, const MsDemoRun *run, MsStep step,
                          const char *description);
void ms_shared_view_line (MsSharedView *self, const MsDemoRun *run, char who, const char *text);
void ms_shared_view_add_packets (MsSharedView *self, guint n);
void ms_shared_view_phase_finished (MsSharedView *self, MsDemo *demo, guint phase);
/* The demo is over (error: it could not run); pcap_path is the capture
 * it wrote, or NULL when there is none to open. */
void ms_shared_view_finish (MsSharedView *self, MsDemo *demo, const GError *error,
                            const char *pcap_path);

/* TRUE between start and finish. */
gboolean ms_shared_view_get_running (MsSharedView *self);
/* IMAP clients shown side by side (2 for the shared demo). */
guint ms_shared_view_get_n_imap_columns (MsSharedView *self);
/* The text of a column's transcript, as shown. */
char *ms_shared_view_get_column_text (MsSharedView *self, MsSharedColumn column);
/* Updates pushed to client A and linked to a change of client B. */
guint ms_shared_view_get_n_pushed (MsSharedView *self);
guint ms_shared_view_get_n_linked (MsSharedView *self);
/* The summary sentences, one a line. */
char *ms_shared_view_get_summary_text (MsSharedView *self);
/* The server's line refusing the second POP3 session, or NULL. */
const char *ms_shared_view_get_refusal (MsSharedView *self);

G_END_DECLS
