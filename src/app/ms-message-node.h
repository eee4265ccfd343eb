/* ms-message-node.h - one row of the message view's tree: a message, one
 * of its MIME parts or one download, with what crossed the wire of it. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  MS_TRANSFER_NONE,      /* no statement (a header line, a totals row) */
  MS_TRANSFER_WHOLE,     /* every byte crossed the wire */
  MS_TRANSFER_PARTIAL,   /* some of it */
  MS_TRANSFER_MISSING,   /* none of it */
} MsTransfer;

#define MS_TYPE_MESSAGE_NODE (ms_message_node_get_type ())
G_DECLARE_FINAL_TYPE (MsMessageNode, ms_message_node, MS, MESSAGE_NODE, GObject)

/* Takes `title`. */
MsMessageNode *ms_message_node_new (const char *icon_name, char *title);
/* Each setter takes the string. */
void ms_message_node_take_detail (MsMessageNode *self, char *detail);
void ms_message_node_take_preview (MsMessageNode *self, char *preview);
void ms_message_node_take_status (MsMessageNode *self, MsTransfer transfer, char *status);
void ms_message_node_take_tooltip (MsMessageNode *self, char *tooltip);

const char *ms_message_node_get_title (MsMessageNode *self);
const char *ms_message_node_get_detail (MsMessageNode *self);
const char *ms_message_node_get_preview (MsMessageNode *self);
const char *ms_message_node_get_status (MsMessageNode *self);
MsTransfer ms_message_node_get_transfer (MsMessageNode *self);
/* Whether the view opens this row when it is shown (rows of messages
 * whose content crossed the wire). */
void ms_message_node_set_expand (MsMessageNode *self, gboolean expand);
gboolean ms_message_node_get_expand (MsMessageNode *self);
/* Rows under this one (created on demand). */
GListStore *ms_message_node_get_children (MsMessageNode *self);
guint ms_message_node_get_n_children (MsMessageNode *self);
/* For GtkTreeListModel: the children of a node, or NULL for a leaf. */
GListModel *ms_message_node_create_children (gpointer item, gpointer user_data);

G_END_DECLS
