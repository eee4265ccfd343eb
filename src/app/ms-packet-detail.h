/* ms-packet-detail.h - the selected frame as a tree of layers, fields and
 * events, above its bytes in a hex view; each selects the other. */
#pragma once

#include <gtk/gtk.h>
#include "ms-capture.h"

G_BEGIN_DECLS

#define MS_TYPE_DETAIL_NODE (ms_detail_node_get_type ())
G_DECLARE_FINAL_TYPE (MsDetailNode, ms_detail_node, MS, DETAIL_NODE, GObject)

const char *ms_detail_node_get_label (MsDetailNode *self);
/* Byte range in the frame; length 0 when the node has none. */
guint ms_detail_node_get_offset (MsDetailNode *self);
guint ms_detail_node_get_length (MsDetailNode *self);
/* A new node owning `label`; its children store is created on first use. */
MsDetailNode *ms_detail_node_new (char *label, guint offset, guint length);
GListStore *ms_detail_node_get_children (MsDetailNode *self);
/* Children of a node for a GtkTreeListModel (NULL for a leaf). */
GListModel *ms_detail_node_create_children (gpointer item, gpointer user_data);

#define MS_TYPE_PACKET_DETAIL (ms_packet_detail_get_type ())
G_DECLARE_FINAL_TYPE (MsPacketDetail, ms_packet_detail, MS, PACKET_DETAIL, GtkWidget)

GtkWidget *ms_packet_detail_new (void);
/* Re-reads frame `index` from the file (off the main thread) and shows it;
 * "ready" fires once the tree is filled. */
void ms_packet_detail_show_frame (MsPacketDetail *self, MsCapture *capture, guint index);
void ms_packet_detail_show_bytes (MsPacketDetail *self, MsCapture *capture, guint index,
                                  GBytes *bytes);
void ms_packet_detail_clear (MsPacketDetail *self);
void ms_packet_detail_set_mask_secrets (MsPacketDetail *self, gboolean mask);
/* The flattened rows (GtkTreeListRow items) and selection, for tests. */
GtkSingleSelection *ms_packet_detail_get_selection (MsPacketDetail *self);
/* Selects the most specific node holding byte `offset`; returns it. */
MsDetailNode *ms_packet_detail_select_byte (MsPacketDetail *self, guint offset);
GtkWidget *ms_packet_detail_get_hex_view (MsPacketDetail *self);

G_END_DECLS
