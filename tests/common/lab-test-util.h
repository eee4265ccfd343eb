/* lab-test-util.h - a lab server over a throwaway data directory, seeded
 * from samples/maildir, for the lab and hostile-input tests. */
#pragma once

#include <glib.h>

#include "lab/ms-lab-server.h"

G_BEGIN_DECLS

typedef void (*MsTestLabTweak) (MsLabConfig *cfg);

typedef struct {
  MsLabServer *srv;
  char *dir;
  GPtrArray *log;    /* the command log: "service peer who text" */
} MsTestLab;

/* samples/maildir of the source tree (g_free the result). */
char *ms_test_samples_maildir (void);

/* A server whose users live in `dir`, with the default accounts, no
 * failed-login delay, and `tweak` (may be NULL) applied last. */
MsLabServer *ms_test_lab_server_new (const char *dir, MsTestLabTweak tweak);

/* A server over a new temporary directory whose command log is kept. */
MsTestLab *ms_test_lab_new (MsTestLabTweak tweak);
/* Frees the server, lets closed connections finish, removes the directory. */
void ms_test_lab_free (MsTestLab *lab);
/* TRUE when the log holds a line that ends with `tail`. */
gboolean ms_test_lab_logged (MsTestLab *lab, const char *tail);

/* Removes a directory tree (not following symbolic links). */
void ms_test_rm_rf (const char *path);

G_END_DECLS
