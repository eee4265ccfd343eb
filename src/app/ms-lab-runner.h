/* ms-lab-runner.h - the lab panel's own lab server, run in a worker thread
 * that iterates its own GMainContext: never on the GTK main thread.
 *
 * Calls are made from the thread that created the runner and return at
 * once; the worker does the work. Results come back on that thread's
 * context through the callbacks: command-log lines in batches, the watched
 * mailbox after every change, the outcome of start and stop. */
#pragma once

#include <glib.h>

#include "lab/ms-lab-server.h"

G_BEGIN_DECLS

/* The IMAPS, POP3S listeners and STARTTLS/STLS. */
#define MS_LAB_RUNNER_HOST "127.0.0.1"

typedef enum {
  MS_LAB_PORT_NONE,       /* not listening */
  MS_LAB_PORT_STANDARD,   /* 143, 993, 110, 995, 53 */
  MS_LAB_PORT_FALLBACK,   /* 1143, 1993, 1110, 1995, 10053 */
  MS_LAB_PORT_OTHER,      /* both were taken: a free port */
} MsLabPortKind;

typedef struct {
  char *service;          /* "imap", "pop3s", "dns" */
  char *peer;
  char who;               /* 'C', 'S' or '-' */
  char *text;
  gint64 time;            /* wall clock, µs */
} MsLabLogLine;

typedef struct {
  guint32 uid;
  guint flags;            /* MsMsgFlags */
  gint64 size;
  gint64 date;            /* internal date, seconds since the epoch */
  char *from;             /* decoded, or "" */
  char *subject;          /* decoded, or "" */
} MsLabMessageInfo;

typedef struct {
  char *user;
  char *folder;
  GStrv folders;          /* the user's folders, INBOX first */
  GPtrArray *messages;    /* MsLabMessageInfo *, UID order */
  guint n_total;          /* messages in the folder (more than listed past the cap) */
  char *error;            /* why the folder cannot be shown, or NULL */
} MsLabMailboxView;

typedef struct _MsLabRunner MsLabRunner;

typedef struct {
  /* The server runs (error NULL: the ports are known), or could not start. */
  void (*started) (MsLabRunner *r, const GError *error, gpointer user_data);
  /* The worker ended after ms_lab_runner_stop() (or a failed start). */
  void (*stopped) (MsLabRunner *r, gpointer user_data);
  /* Command-log lines, oldest first (borrowed). */
  void (*log) (MsLabRunner *r, MsLabLogLine *const *lines, guint n, gpointer user_data);
  /* The watched folder changed (borrowed). */
  void (*mailbox) (MsLabRunner *r, const MsLabMailboxView *view, gpointer user_data);
  /* Something the user asked for failed or succeeded: one line for a toast. */
  void (*notice) (MsLabRunner *r, const char *message, gpointer user_data);
} MsLabRunnerCallbacks;

typedef struct {
  char *data_dir;         /* the users' Maildirs and the lab certificate */
  char *seed_dir;         /* sample Maildirs for new accounts, or NULL */
  GPtrArray *users;       /* "name:password" */
  gboolean tls;           /* IMAPS, POP3S and STARTTLS/STLS */
  gboolean require_tls;
} MsLabRunnerConfig;

void ms_lab_runner_config_init (MsLabRunnerConfig *cfg);
void ms_lab_runner_config_clear (MsLabRunnerConfig *cfg);

/* The lab's data directory under the user's (the same as
 * `mailscope-cli serve` uses) and the sample Maildirs, or NULL. */
char *ms_lab_runner_default_data_dir (void);
char *ms_lab_runner_find_samples (void);

MsLabRunner *ms_lab_runner_new (const MsLabRunnerCallbacks *callbacks, gpointer user_data);
/* Stops the worker and waits for it; no callback runs afterwards. */
void ms_lab_runner_free (MsLabRunner *r);

/* FALSE while a server runs or is still stopping. */
gboolean ms_lab_runner_start (MsLabRunner *r, const MsLabRunnerConfig *cfg);
void ms_lab_runner_stop (MsLabRunner *r);
/* TRUE from a successful start until stop is asked for. */
gboolean ms_lab_runner_is_running (MsLabRunner *r);
/* TRUE while the worker thread exists (running, starting or stopping). */
gboolean ms_lab_runner_is_busy (MsLabRunner *r);

/* The bound port of a service once started, and what kind it is. */
guint16 ms_lab_runner_port (MsLabRunner *r, MsLabService svc, MsLabPortKind *kind);
guint16 ms_lab_runner_standard_port (MsLabService svc);
guint16 ms_lab_runner_fallback_port (MsLabService svc);

/* Applied to the running server. */
void ms_lab_runner_add_user (MsLabRunner *r, const char *name, const char *password);
void ms_lab_runner_remove_user (MsLabRunner *r, const char *name);
void ms_lab_runner_set_require_tls (MsLabRunner *r, gboolean require);
/* Follows one folder of one account: the mailbox callback runs now and
 * after every change. NULL user: follow nothing. */
void ms_lab_runner_watch (MsLabRunner *r, const char *user, const char *folder);
/* Writes a sample message (RFC 5322, optionally with an attachment) into
 * the folder as a mail server delivers it, and tells the mailbox hub so
 * IDLE clients hear of it. The notice callback reports the outcome. */
void ms_lab_runner_deliver (MsLabRunner *r, const char *user, const char *folder,
                            gboolean attachment);

G_END_DECLS
