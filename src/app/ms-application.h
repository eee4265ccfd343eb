/* ms-application.h - the Mailscope application: opens a window per capture
 * given on the command line or by the desktop (HANDLES_OPEN). */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define MS_TYPE_APPLICATION (ms_application_get_type ())
G_DECLARE_FINAL_TYPE (MsApplication, ms_application, MS, APPLICATION, AdwApplication)

/* extra_flags: e.g. G_APPLICATION_NON_UNIQUE for tests. */
MsApplication *ms_application_new (GApplicationFlags extra_flags);

/* Installs the app.* actions (ms-app-actions.c). */
void ms_application_add_actions (MsApplication *self);
/* Keyboard accelerators for every action, set once at startup. */
void ms_application_set_accels (MsApplication *self);

G_END_DECLS
