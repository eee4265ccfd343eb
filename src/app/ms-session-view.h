/* ms-session-view.h - the lesson of one session: step list, ladder diagram,
 * conversation, packet list and packet detail, revealed step by step. */
#pragma once

#include <gtk/gtk.h>
#include "ms-capture.h"
#include "ms-ladder.h"
#include "ms-packet-list.h"
#include "ms-packet-detail.h"
#include "ms-stream-view.h"

G_BEGIN_DECLS

#define MS_TYPE_SESSION_VIEW (ms_session_view_get_type ())
G_DECLARE_FINAL_TYPE (MsSessionView, ms_session_view, MS, SESSION_VIEW, GtkWidget)

GtkWidget *ms_session_view_new (void);
void ms_session_view_set_capture (MsSessionView *self, MsCapture *capture);
MsCapture *ms_session_view_get_capture (MsSessionView *self);
/* The capture grew (a live capture, or a file still being indexed): re-reads its sessions and the lesson of
 * the session shown, keeping the session and the step. With `follow`, a view
 * on the last step moves on to the newest one. Until the user picks a
 * session, the first mail session is shown once it appears. While a file
 * is still being indexed, a refresh that finds nothing new for the lesson
 * shown changes nothing but the session list. */
void ms_session_view_refresh (MsSessionView *self, gboolean follow);
/* A capture still being indexed: `fraction` (0 to 1) of it is read, shown
 * above the panes; a value outside [0, 1) hides it. */
void ms_session_view_set_progress (MsSessionView *self, double fraction);
/* The fraction shown, or -1 when hidden. */
double ms_session_view_get_progress (MsSessionView *self);
/* Session id (0: every session). */
void ms_session_view_set_session (MsSessionView *self, guint session);
guint ms_session_view_get_session (MsSessionView *self);

/* Stepping: positions count from 0 over the steps present. */
guint ms_session_view_get_n_steps (MsSessionView *self);
guint ms_session_view_get_position (MsSessionView *self);
MsStep ms_session_view_get_current_step (MsSessionView *self);
void ms_session_view_set_position (MsSessionView *self, guint position);
gboolean ms_session_view_step_next (MsSessionView *self);
gboolean ms_session_view_step_back (MsSessionView *self);
void ms_session_view_step_first (MsSessionView *self);
void ms_session_view_step_last (MsSessionView *self);
void ms_session_view_set_playing (MsSessionView *self, gboolean playing);
gboolean ms_session_view_get_playing (MsSessionView *self);
/* Seconds per step at 1×: divided by the speed. */
void ms_session_view_set_speed (MsSessionView *self, double speed);

void ms_session_view_set_mask_secrets (MsSessionView *self, gboolean mask);
/* Selects frame `number` everywhere (list, diagram, detail). */
void ms_session_view_select_frame (MsSessionView *self, guint32 number);

/* The panes: the diagram, conversation and messages are brought up to date
 * when asked for (the view updates only the one on screen as it goes). */
MsLadder *ms_session_view_get_ladder (MsSessionView *self);
MsPacketList *ms_session_view_get_packet_list (MsSessionView *self);
MsPacketDetail *ms_session_view_get_packet_detail (MsSessionView *self);
MsStreamView *ms_session_view_get_stream_view (MsSessionView *self);
/* The MsMessageView. */
GtkWidget *ms_session_view_get_message_view (MsSessionView *self);

G_END_DECLS
