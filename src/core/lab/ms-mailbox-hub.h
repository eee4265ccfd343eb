/* ms-mailbox-hub.h - one shared view of each open Maildir folder for all IMAP
 * sessions of the process: a change made through it (or found on disk by a
 * GFileMonitor on new/ and cur/) is scanned once and then fanned out to every
 * session that listens, so N idle sessions cost one rescan per change. */
#pragma once

#include <glib.h>

#include "ms-maildir.h"

G_BEGIN_DECLS

typedef struct _MsHubBox MsHubBox;

/* Called from the main loop after the folder changed (batched). */
typedef void (*MsHubNotify) (gpointer listener);

/* The shared folder `name` of `md`, opened on first use; a new reference.
 * NULL with error set when the folder cannot be opened. */
MsHubBox  *ms_mailbox_hub_open (MsMaildir *md, const char *name, GError **error);
MsHubBox  *ms_hub_box_ref (MsHubBox *box);
void       ms_hub_box_unref (MsHubBox *box);
/* Detaches the folder `name` after DELETE or RENAME: holders keep their
 * reference, the next open gets a fresh box. */
void       ms_mailbox_hub_forget (MsMaildir *md, const char *name);

MsMailbox *ms_hub_box_mailbox (MsHubBox *box);
const char *ms_hub_box_name (MsHubBox *box);
/* Grows by one for every change; listeners compare it with what they saw. */
guint64    ms_hub_box_generation (MsHubBox *box);
/* TRUE once the folder was deleted or renamed away. */
gboolean   ms_hub_box_gone (MsHubBox *box);

/* Marks a change made through the box: listeners hear of it soon. */
void       ms_hub_box_changed (MsHubBox *box);
/* Re-reads the folder now (other processes' deliveries); TRUE if changed. */
gboolean   ms_hub_box_refresh (MsHubBox *box);

/* Listeners get notified after changes; the folder is watched while any
 * listener exists. */
void       ms_hub_box_listen (MsHubBox *box, MsHubNotify func, gpointer listener);
void       ms_hub_box_unlisten (MsHubBox *box, gpointer listener);

/* \Recent is given to the first session that sees a new message: TRUE when
 * the caller is that session for `uid` (then no one else gets it). */
gboolean   ms_hub_box_claim_recent (MsHubBox *box, guint32 uid);
/* Messages still \Recent for the next session to look (STATUS RECENT). */
guint      ms_hub_box_unclaimed_recent (MsHubBox *box);

/* The message's size with CRLF line ends (RFC822.SIZE), cached per UID;
 * -1 when it cannot be read. */
gint64     ms_hub_box_crlf_size (MsHubBox *box, guint32 uid);

/* How many folders are watched (tests). */
guint      ms_mailbox_hub_n_open (void);

G_END_DECLS
