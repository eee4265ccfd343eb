/* app-test-util.h - what the GUI tests of the whole application share: one
 * registered application, main-loop waits that fail after a time limit,
 * opening a sample as `mailscope FILE` would, and saving what a widget
 * shows as a PNG. */
#pragma once

#include <gtk/gtk.h>

#include "ms-application.h"
#include "ms-window.h"

G_BEGIN_DECLS

typedef gboolean (*AppTestCondition) (gpointer data);

/* Sets up the locale and the translations (MAILSCOPE_LOCALEDIR), GTK's test
 * mode, and a registered application held for the whole run. */
void app_test_init (int *argc, char ***argv);
/* Runs the tests added, then releases and drops the application. */
int app_test_run (void);
MsApplication *app_test_get_app (void);

/* Dispatches everything pending, without waiting. */
void app_test_spin (void);
/* Runs the main loop for `ms` milliseconds. */
void app_test_run_for (guint ms);
/* Runs the main loop until cond(data) holds, then dispatches what is
 * pending; aborts naming `what` after timeout_s seconds. */
void app_test_wait_until (AppTestCondition cond, gpointer data, guint timeout_s,
                          const char *what);
/* Waits until the window shows page `page` (or `other`, unless NULL) and
 * returns the one shown. */
const char *app_test_wait_for_page (MsWindow *win, const char *page, const char *other,
                                    guint timeout_s);

/* samples/NAME in the source tree (MS_SOURCE_ROOT). */
char *app_test_sample_path (const char *name);
/* Opens samples/NAME through the application, as `mailscope FILE` does,
 * and returns the window it went to. */
MsWindow *app_test_open_sample (const char *name);

/* Renders `widget` as it is on screen into the PNG file `path`. */
void app_test_save_screenshot (GtkWidget *widget, const char *path);

G_END_DECLS
