/* ms-maildir-private.h - what the Maildir tree (ms-maildir.c) shares with
 * its folders (ms-maildir-folder.c). */
#pragma once

#include "ms-maildir.h"

G_BEGIN_DECLS

/* Sets an MS_MAILDIR_ERROR_IO "what path: strerror(err)"; returns FALSE. */
gboolean ms_maildir_set_io_error (GError **error, const char *what, const char *path, int err);
/* Sets MS_MAILDIR_ERROR_NAME unless ms_maildir_name_ok (name). */
gboolean ms_maildir_check_name (const char *name, GError **error);
/* "INBOX" in any case. */
gboolean ms_maildir_is_inbox (const char *name);
/* A fresh unique base name for a message file (delivered at `when`, or now
 * when 0). */
char *ms_maildir_unique_base (MsMaildir *md, gint64 when);

G_END_DECLS
