/* ms-message-view.h - the messages of a session as MIME trees, parsed from
 * the bytes that crossed the wire and matched with the structures the
 * server described, with how much of each part was downloaded
 * ("transferred: 4.0 KiB of 276.6 KiB"). */
#pragma once

#include <gtk/gtk.h>
#include "ms-capture.h"

G_BEGIN_DECLS

#define MS_TYPE_MESSAGE_VIEW (ms_message_view_get_type ())
G_DECLARE_FINAL_TYPE (MsMessageView, ms_message_view, MS, MESSAGE_VIEW, GtkWidget)

GtkWidget *ms_message_view_new (void);
/* Shows the messages seen in events `indices` up to step `reveal`;
 * `session` (0: none) gives the totals line. */
void ms_message_view_set_events (MsMessageView *self, MsCapture *capture, guint session,
                                 const guint *indices, guint n, MsStep reveal);
/* Rows shown (GtkTreeListRow items of MsMessageNode); the rows of
 * messages whose content crossed the wire are expanded. */
GListModel *ms_message_view_get_rows (MsMessageView *self);
/* TRUE while the message bytes are read back and parsed in a worker;
 * the rows are replaced when it is done. */
gboolean ms_message_view_is_loading (MsMessageView *self);

G_END_DECLS
