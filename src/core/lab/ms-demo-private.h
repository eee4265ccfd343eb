/* ms-demo-private.h - what the demo's files share: the demo and run
 * state, the lab account, and the functions that pass control between the
 * demo's set-up and phases (ms-demo.c), its capture thread
 * (ms-demo-capture.c), its runs (ms-demo-runs.c) and the scripted IMAP
 * client (ms-demo-script.c). Main context only, unless said otherwise. */
#pragma once

#include <gio/gio.h>

#include "mailscope/ms-pipeline.h"
#include "ms-demo.h"
#include "ms-lab-server.h"

G_BEGIN_DECLS

/* The lab account every demo client uses (the server's default). */
#define MS_DEMO_USER "student"
#define MS_DEMO_PASSWORD "classroom"

typedef enum {
  RUN_CLIENT,        /* an MsLabClient */
  RUN_SCRIPT_IMAP,   /* the scripted IMAP client that flags and expunges */
} RunKind;

/* What a run does at a step (shared): hold, or start another run. */
typedef enum {
  HOLD_NONE,
  HOLD_START_OTHER_AT_REFRESH,   /* IDLE client: start the next run at IDLE */
  HOLD_AT_LIST,                  /* POP3 client 1: keep the lock until the next run ended */
} RunRole;

typedef struct {
  MsDemoRun pub;
  MsDemo *demo;
  RunKind kind;
  RunRole role;
  MsLabClientOptions opts;
  MsLabClient *client;
  gboolean started;
  gboolean held;          /* HOLD_AT_LIST: waiting at its LIST step */
  gboolean in_refresh;    /* between the REFRESH step and the next one */
  gboolean partner_on_next;  /* step mode: start the partner when IDLE runs */
  GSource *start_timer;   /* pending start_run_later, or NULL */
  GThread *script;        /* RUN_SCRIPT_IMAP */
  char *script_error;
} Run;

struct _MsDemo {
  MsDemoOptions opts;
  MsDemoCallbacks cb;
  gpointer user_data;
  GMainContext *ctx;

  char *tmp_dir;
  char *data_dir;
  MsLabConfig cfg;
  MsLabServer *server;
  guint16 ports[MS_LAB_N_SERVICES];
  gboolean standard[MS_LAB_N_SERVICES];

  /* capture */
  MsCaptureMode mode;
  char *capture_reason;
  MsLiveCapture *cap;
  GThread *thread;
  MsPipelineOptions pipe_opts;
  gint frames;                 /* atomic */
  guint64 phase_start_frames;
  guint64 dropped;
  GMutex lock;                 /* guards pending, flush_source, capture_done */
  GPtrArray *pending;          /* MsEvent *, from the capture thread */
  GSource *flush_source;
  gboolean capture_done;
  gboolean stopping;

  /* phases */
  GPtrArray *runs;             /* Run * */
  guint n_phases;
  guint phase;
  guint settle_source;
  gint settle_frames;
  guint settle_quiet_ms, settle_total_ms;
  Run *waiting;                /* step mode: the run that announced a step */
  gboolean finished;
  /* Cancelled when the demo is freed: what worker threads queued for its
   * context and has not run yet is then dropped. */
  GCancellable *alive;
};

/* --- ms-demo.c ------------------------------------------------------- */

/* The capture filter: the demo's own ports on 127.0.0.1. */
char *ms_demo_capture_filter (MsDemo *d);
/* Every run of the phase ended and its packets were delivered. */
void ms_demo_finish_phase (MsDemo *d);
/* Every run of the phase ended: the phase ends once the capture settled. */
void ms_demo_clients_done (MsDemo *d);

/* --- ms-demo-capture.c ----------------------------------------------- */

/* Starts the capture, or records why there is none. */
void ms_demo_start_capture (MsDemo *d);
/* Hands the events the capture thread left to the caller; TRUE once the
 * capture thread has ended. */
gboolean ms_demo_deliver_pending (MsDemo *d);

/* --- ms-demo-runs.c -------------------------------------------------- */

/* Starts the first run of the current phase. */
void ms_demo_start_phase (MsDemo *d);
/* A run ended, with an error text or NULL. */
void ms_demo_run_finished (Run *r, const char *error);
/* Starts the run after r in its phase a moment from now. */
void ms_demo_start_partner_soon (Run *r);

/* --- ms-demo-script.c ------------------------------------------------ */

/* The thread of a RUN_SCRIPT_IMAP run (data: the Run). */
gpointer ms_demo_script_thread (gpointer data);

G_END_DECLS
