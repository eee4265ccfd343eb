/* ms-message-view.h - the messages of a session as MIME trees (from the
 * structures the server described), with how much of each was downloaded
 * ("4,096 of 283,198 bytes of part 2"). */
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
/* Rows shown, all expanded (GtkTreeListRow items). */
GListModel *ms_message_view_get_rows (MsMessageView *self);

G_END_DECLS
