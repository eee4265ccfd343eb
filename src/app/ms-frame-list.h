/* ms-frame-list.h - the packet list's model: a GListModel over a capture's
 * frame records that builds an MsFrameItem only when asked, and the filter
 * (session, lesson position, protocol, step) in front of it. */
#pragma once

#include <gtk/gtk.h>
#include "ms-capture.h"

G_BEGIN_DECLS

#define MS_TYPE_FRAME_ITEM (ms_frame_item_get_type ())
G_DECLARE_FINAL_TYPE (MsFrameItem, ms_frame_item, MS, FRAME_ITEM, GObject)

guint ms_frame_item_get_index (MsFrameItem *self);
guint ms_frame_item_get_number (MsFrameItem *self);
const MsFrameRecord *ms_frame_item_get_record (MsFrameItem *self);

#define MS_TYPE_FRAME_LIST (ms_frame_list_get_type ())
G_DECLARE_FINAL_TYPE (MsFrameList, ms_frame_list, MS, FRAME_LIST, GObject)

MsFrameList *ms_frame_list_new (MsCapture *capture);
MsCapture *ms_frame_list_get_capture (MsFrameList *self);
void ms_frame_list_set_mask_secrets (MsFrameList *self, gboolean mask);

/* Protocol label of a record ("IMAP", "TCP", "UDP"). */
const char *ms_frame_record_proto_label (const MsFrameRecord *r);

#define MS_TYPE_FRAME_FILTER (ms_frame_filter_get_type ())
G_DECLARE_FINAL_TYPE (MsFrameFilter, ms_frame_filter, MS, FRAME_FILTER, GtkFilter)

/* Protocol filter values besides MsProto: any protocol. */
#define MS_FRAME_FILTER_ANY 0

MsFrameFilter *ms_frame_filter_new (MsCapture *capture);
/* Session id whose lesson is shown (0: every frame). */
void ms_frame_filter_set_session (MsFrameFilter *self, guint session);
/* Frames of steps after `step` stay hidden (MS_STEP_N: none hidden). */
void ms_frame_filter_set_reveal (MsFrameFilter *self, MsStep step);
void ms_frame_filter_set_proto (MsFrameFilter *self, MsProto proto);
void ms_frame_filter_set_step (MsFrameFilter *self, MsStep step);
gboolean ms_frame_filter_match_record (MsFrameFilter *self, const MsFrameRecord *r);

G_END_DECLS
