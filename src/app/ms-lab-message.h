/* ms-lab-message.h - the messages of the lab panel: the sample message it
 * delivers, the From and Subject of listed messages, and the mailbox
 * list's rows. */
#pragma once

#include <glib-object.h>

#include "ms-lab-runner.h"

G_BEGIN_DECLS

/* From and Subject are read from at most this much of a message's head. */
#define MS_LAB_MESSAGE_MAX_HEADER (64 * 1024)

/* A real RFC 5322 message from the lab to `user`, numbered `n` in its
 * Subject; with `attachment` a multipart/mixed with a small CSV file. */
GBytes *ms_lab_sample_message (const char *user, guint n, gboolean attachment);

/* The decoded (RFC 2047) From display name or address and Subject of a
 * message; each stays NULL when the header has none. */
void ms_lab_message_summary (GBytes *message, char **from, char **subject);

#define MS_TYPE_LAB_MESSAGE_ITEM (ms_lab_message_item_get_type ())
G_DECLARE_FINAL_TYPE (MsLabMessageItem, ms_lab_message_item, MS, LAB_MESSAGE_ITEM, GObject)

/* One row of the mailbox list; its properties "from", "subject", "date",
 * "size" and "flags" are display strings. */
MsLabMessageItem *ms_lab_message_item_new (const MsLabMessageInfo *info);
guint32 ms_lab_message_item_get_uid (MsLabMessageItem *item);
const char *ms_lab_message_item_get_subject (MsLabMessageItem *item);

G_END_DECLS
