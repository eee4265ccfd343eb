/* ms-window.h - a Mailscope window: start page, loading and error pages,
 * and the session view of one opened capture. */
#pragma once

#include <adwaita.h>
#include "ms-capture.h"
#include "ms-session-view.h"

G_BEGIN_DECLS

#define MS_TYPE_WINDOW (ms_window_get_type ())
G_DECLARE_FINAL_TYPE (MsWindow, ms_window, MS, WINDOW, AdwApplicationWindow)

MsWindow *ms_window_new (GtkApplication *app);
/* Opens a capture; decoding runs in the background. */
void ms_window_open_file (MsWindow *self, GFile *file);
/* The capture shown or being read, or NULL. */
MsCapture *ms_window_get_capture (MsWindow *self);
/* "start", "loading", "error", "empty" or "session". */
const char *ms_window_get_page (MsWindow *self);
MsSessionView *ms_window_get_session_view (MsWindow *self);
void ms_window_toast (MsWindow *self, const char *message);

G_END_DECLS
