/* ms-shared-change.h - the changes one IMAP client makes to a shared
 * mailbox, and the updates the server pushes to another client because of
 * them: recognising a change command, finding the change a pushed untagged
 * response answers, and the sentence that links the two. No widgets. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A command of client B that changes the mailbox. */
typedef struct {
  guint number;      /* as marked in client B's column, from 1 */
  char *verb;        /* "STORE", "EXPUNGE", "APPEND", "COPY", "MOVE" */
  char *message;     /* the message set (STORE, COPY, MOVE), or NULL */
  char *args;        /* what follows the message set */
  double at;         /* seconds since the demo started */
  guint pushes;      /* updates to client A linked to it */
} MsSharedChange;

/* The change a client command line makes ("f3 STORE 1 +FLAGS (\Seen)"),
 * or NULL when it changes nothing. number and at are left 0. */
MsSharedChange *ms_shared_change_parse (const char *line);
void ms_shared_change_free (gpointer change);
/* The change of `changes` (MsSharedChange *, in order) that the pushed
 * "* N FETCH|EXPUNGE|EXISTS" answers, or NULL. */
MsSharedChange *ms_shared_change_find_cause (GPtrArray *changes, const char *pushed);
/* The translated sentence linking `pushed`, received at `at` seconds, to
 * the change (NULL: none known). */
char *ms_shared_change_sentence (const MsSharedChange *change, const char *pushed, double at);
/* A client command with its password shown as ******** (LOGIN, PASS,
 * AUTHENTICATE PLAIN); other lines unchanged. */
char *ms_shared_mask_secret (const char *line);

G_END_DECLS
