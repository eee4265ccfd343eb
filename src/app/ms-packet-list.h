/* ms-packet-list.h - the packet list: a GtkColumnView over a filtered
 * MsFrameList, with protocol and step filters. */
#pragma once

#include <gtk/gtk.h>
#include "ms-capture.h"
#include "ms-frame-list.h"

G_BEGIN_DECLS

#define MS_TYPE_PACKET_LIST (ms_packet_list_get_type ())
G_DECLARE_FINAL_TYPE (MsPacketList, ms_packet_list, MS, PACKET_LIST, GtkWidget)

GtkWidget *ms_packet_list_new (void);
void ms_packet_list_set_capture (MsPacketList *self, MsCapture *capture);
void ms_packet_list_set_session (MsPacketList *self, guint session);
void ms_packet_list_set_reveal (MsPacketList *self, MsStep step);
void ms_packet_list_set_mask_secrets (MsPacketList *self, gboolean mask);
/* Filters chosen by the user (also reachable from the drop-downs). */
void ms_packet_list_set_proto_filter (MsPacketList *self, MsProto proto);
void ms_packet_list_set_step_filter (MsPacketList *self, MsStep step);
/* Selects and scrolls to frame `number`; FALSE when it is filtered out. */
gboolean ms_packet_list_select_frame (MsPacketList *self, guint32 number);
/* Frame number of the selected row, or 0. */
guint32 ms_packet_list_get_selected_frame (MsPacketList *self);
guint ms_packet_list_get_n_visible (MsPacketList *self);
/* TRUE while the filter still works through the frames. */
gboolean ms_packet_list_is_filtering (MsPacketList *self);
GListModel *ms_packet_list_get_model (MsPacketList *self);

G_END_DECLS
