/* ms-capture-dialog.h - "Capture from Interface": pick an interface
 * (loopback first) and an optional BPF filter, checked as it is typed. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define MS_TYPE_CAPTURE_DIALOG (ms_capture_dialog_get_type ())
G_DECLARE_FINAL_TYPE (MsCaptureDialog, ms_capture_dialog, MS, CAPTURE_DIALOG, AdwWindow)

/* A modal dialog over `parent`. It lists the interfaces off the main
 * thread; "start" (interface, filter) fires when the user starts, then it
 * closes. */
MsCaptureDialog *ms_capture_dialog_new (GtkWindow *parent);
/* Number of interfaces listed so far (0 until the list arrived). */
guint ms_capture_dialog_get_n_interfaces (MsCaptureDialog *self);
const char *ms_capture_dialog_get_interface (MsCaptureDialog *self);
void ms_capture_dialog_set_filter (MsCaptureDialog *self, const char *filter);
/* NULL when the filter compiles, else why not. */
const char *ms_capture_dialog_get_filter_error (MsCaptureDialog *self);
/* Emits "start" as the Start button does; FALSE when it is not possible yet. */
gboolean ms_capture_dialog_start (MsCaptureDialog *self);

/* The filter offered at first: the mail and DNS ports, standard and the
 * lab's fallbacks. */
#define MS_CAPTURE_DIALOG_MAIL_FILTER \
  "port 53 or port 110 or port 143 or port 993 or port 995 or port 10053 " \
  "or port 1110 or port 1143 or port 1993 or port 1995"

G_END_DECLS
