/* ms-narration-export.h - a session's lesson as a Markdown or HTML handout. */
#pragma once

#include <glib.h>
#include "ms-capture.h"

G_BEGIN_DECLS

typedef enum {
  MS_NARRATION_MARKDOWN,
  MS_NARRATION_HTML,
} MsNarrationFormat;

/* The whole lesson of `session` (0: every session in turn). Never NULL. */
char *ms_narration_export (MsCapture *capture, guint session, MsNarrationFormat format,
                           gboolean mask_secrets);

G_END_DECLS
