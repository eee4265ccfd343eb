/* fuzz-lab-session.h - a lab server session over the memory transport,
 * driven by fuzzer bytes against a throwaway Maildir. */
#pragma once

#include <glib.h>

#include "lab/ms-lab-server.h"

G_BEGIN_DECLS

/* Runs one session of `svc` in a fresh lab: each record of the input (see
 * fuzz-common.h) is fed as client bytes, then the main loop runs until
 * idle; a record with the gap bit makes the client vanish. */
void ms_fuzz_lab_session (MsLabService svc, const guint8 *data, gsize size);

/* A fresh lab whose data directory is removed by ms_fuzz_lab_free. */
MsLabServer *ms_fuzz_lab_new (char **dir);
void ms_fuzz_lab_free (MsLabServer *srv, char *dir);

G_END_DECLS
