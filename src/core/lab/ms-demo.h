/* ms-demo.h - the lab demo as one API for the CLI and the GUI: fresh lab
 * servers on loopback, a live capture of the loopback interface (direct, or
 * through the mailscope-capture helper), the lab clients, and what they
 * produce: decoded events, the clients' transcripts, and the IMAP-vs-POP3
 * comparison table.
 *
 * Everything runs from the caller's thread-default main context and never
 * blocks it: the capture is read in a worker thread that hands events back in
 * batches, and the clients run in their own workers (ms-lab-client.h). */
#pragma once

#include <glib.h>

#include "mailscope/ms-event.h"
#include "mailscope/ms-pipeline.h"
#include "mailscope/ms-source.h"
#include "mailscope/ms-types.h"
#include "ms-lab-client.h"

G_BEGIN_DECLS

/* The interface the demo captures on: its servers listen on 127.0.0.1. */
#define MS_DEMO_IFACE "lo"

/* --- live capture, direct or through the helper ---------------------- */

typedef enum {
  MS_CAPTURE_NONE,     /* no capture: the demo narrates from transcripts */
  MS_CAPTURE_DIRECT,   /* this process opened the interface */
  MS_CAPTURE_HELPER,   /* mailscope-capture captures and pipes pcap to us */
} MsCaptureMode;

typedef struct _MsLiveCapture MsLiveCapture;

/* The capture helper this process would run: $MAILSCOPE_CAPTURE_HELPER, or
 * the installed LIBEXECDIR/mailscope-capture. */
const char *ms_capture_helper_path (void);

/* Opens a live capture of `iface` with an optional BPF filter: directly when
 * this process may capture, otherwise by spawning the helper. NULL with
 * MS_SOURCE_ERROR_PERMISSION (and a one-line message naming the setcap
 * command) when neither may capture; other MS_SOURCE_ERROR codes for a bad
 * interface or filter. Blocks until the capture runs (at most the helper's
 * start-up). */
MsLiveCapture *ms_live_capture_open (const char *iface, const char *filter, GError **error);
MsSource     *ms_live_capture_source (MsLiveCapture *cap);
MsCaptureMode ms_live_capture_mode (MsLiveCapture *cap);
/* Asks the capture to end, from any thread: ms_source_next() then returns 0
 * once the frames already captured have been read. */
void          ms_live_capture_stop (MsLiveCapture *cap);
/* Packets seen and dropped by the kernel. For the helper these are known
 * once it has exited (after ms_live_capture_stop and the end of the
 * stream). FALSE when unknown. */
gboolean      ms_live_capture_stats (MsLiveCapture *cap, guint64 *received, guint64 *dropped);
void          ms_live_capture_close (MsLiveCapture *cap);

/* The one line telling how to allow capturing (translated). */
char *ms_capture_permission_hint (void);

/* --- the demo -------------------------------------------------------- */

typedef enum {
  MS_DEMO_IMAP,       /* one IMAP client reads the newest message */
  MS_DEMO_POP3,       /* one POP3 client downloads the mailbox */
  MS_DEMO_COMPARE,    /* the same task over IMAP, then over POP3 */
  MS_DEMO_SHARED,     /* two IMAP clients on one mailbox; two POP3 clients */
} MsDemoKind;

typedef struct {
  MsDemoKind kind;
  MsLabClientTls tls;
  char *pcap_path;     /* also write the captured packets here, or NULL */
  char *keylog_path;   /* the servers' TLS secrets (NSS key log), or NULL */
  char *seed_dir;      /* Maildirs to copy (samples/maildir); NULL: find it */
  char *iface;         /* NULL: MS_DEMO_IFACE */
  gboolean step_mode;  /* wait for ms_demo_next() before each client step */
  gboolean no_capture; /* do not try to capture */
} MsDemoOptions;

void ms_demo_options_init (MsDemoOptions *opts);
void ms_demo_options_clear (MsDemoOptions *opts);
/* Parses "imap", "pop3", "compare", "shared"; FALSE when unknown. */
gboolean ms_demo_kind_from_name (const char *name, MsDemoKind *kind);

/* One client of the demo. Runs of one phase run together; phases run one
 * after the other. */
typedef struct {
  guint index;
  guint phase;
  char *label;                       /* translated: "IMAP client 1 (waits with IDLE)" */
  MsProto proto;
  const MsLabClientReport *report;   /* NULL for the scripted IMAP client and until
                                      * the run ended */
  char *error;                       /* why the run failed, or NULL */
  gboolean failure_expected;         /* the lesson is the refusal (POP3 lock) */
  gboolean finished;
  guint64 packets;                   /* frames captured during its phase (0 without
                                      * a capture) */
  GPtrArray *pushed;                 /* server lines pushed during IDLE (char *) */
  char *refusal;                     /* the server's refusal line, or NULL */
} MsDemoRun;

typedef struct _MsDemo MsDemo;

typedef struct {
  /* A phase is about to start its runs. */
  void (*phase_started) (MsDemo *demo, guint phase, gpointer user_data);
  /* A client announces its next step; in step mode it waits for
   * ms_demo_next(). */
  void (*step_ready) (MsDemo *demo, const MsDemoRun *run, MsStep step,
                      const char *description, gpointer user_data);
  /* A transcript line of a client ('C', 'S' or '-'). */
  void (*transcript) (MsDemo *demo, const MsDemoRun *run, char who, const char *text,
                      gpointer user_data);
  /* Decoded events from the capture, in order (borrowed; ref to keep). */
  void (*events) (MsDemo *demo, MsEvent *const *events, guint n_events, gpointer user_data);
  /* Every run of the phase ended and its packets were delivered (for the
   * last phase: after the capture ended). */
  void (*phase_finished) (MsDemo *demo, guint phase, gpointer user_data);
  /* The demo is over; error is set when it could not run at all. */
  void (*finished) (MsDemo *demo, const GError *error, gpointer user_data);
  /* Optional, called IN THE CAPTURE THREAD for every captured frame before
   * it is decoded (borrowed: valid during the call only). For a viewer that
   * keeps the frames themselves; it must not block. */
  void (*frame) (MsDemo *demo, const MsFrame *frame, gpointer user_data);
} MsDemoCallbacks;

/* Creates the throwaway data directory and starts the servers (standard
 * ports where they can be bound, the fallbacks 10053, 1143, 1110, 1993 and
 * 1995 otherwise). NULL with error when no sample Maildir or no server could
 * be started. */
MsDemo *ms_demo_new (const MsDemoOptions *opts, const MsDemoCallbacks *callbacks,
                     gpointer user_data, GError **error);
/* Starts the capture (or records why there is none) and the first phase. */
void ms_demo_start (MsDemo *demo);
/* Step mode: lets the client that announced a step run it. */
void ms_demo_next (MsDemo *demo);
/* Step mode: TRUE while a client waits for ms_demo_next(). */
gboolean ms_demo_is_waiting (MsDemo *demo);
/* Stops everything, waits for the workers, removes the data directory. */
void ms_demo_free (MsDemo *demo);

guint ms_demo_n_phases (MsDemo *demo);
const GPtrArray *ms_demo_runs (MsDemo *demo);   /* MsDemoRun * */
/* The bound port of a service, 0 when it is not running. */
guint16 ms_demo_port (MsDemo *demo, guint svc);
/* TRUE when the service got its standard port. */
gboolean ms_demo_port_is_standard (MsDemo *demo, guint svc);
MsCaptureMode ms_demo_capture_mode (MsDemo *demo);
/* Why there are no packets (translated, one line), or NULL. */
const char *ms_demo_capture_reason (MsDemo *demo);
/* Frames captured and dropped so far (dropped known at the end). */
void ms_demo_capture_stats (MsDemo *demo, guint64 *frames, guint64 *dropped);
/* The decoding options the demo's own pipeline uses (its fallback ports
 * forced to their protocols), for a viewer decoding the frames itself. */
void ms_demo_get_pipeline_options (MsDemo *demo, MsPipelineOptions *opts);

/* The comparison of the runs as rows of cells (translated); row 0 is the
 * header (an empty first cell, then each run's label), each further row a
 * measure. Free with g_ptr_array_unref. */
GPtrArray *ms_demo_comparison_table (MsDemo *demo);

G_END_DECLS
