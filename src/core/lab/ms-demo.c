/* ms-demo.c - the lab demo: throwaway lab servers on loopback, a live
 * capture read in a worker thread, the lab clients run phase after phase,
 * and the comparison of their reports. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <gio/gunixinputstream.h>

#include "mailscope/ms-pipeline.h"
#include "ms-demo.h"
#include "ms-lab-server.h"

/* The helper's exit status when it may not capture (mailscope-capture.c). */
#define MS_HELPER_EXIT_PERMISSION 3
/* Bytes of the helper's standard error kept: its stats line and one error. */
#define MS_HELPER_MAX_STDERR 4096
/* After the last client of a phase ended, packets still trickle in (the
 * server's FIN, the last ACK): the phase ends once the capture has been quiet
 * this long... */
#define MS_DEMO_SETTLE_QUIET_MS 300
/* ...or after this long, whatever arrives. */
#define MS_DEMO_SETTLE_MAX_MS 3000
/* How often the capture's progress is looked at while settling. */
#define MS_DEMO_SETTLE_TICK_MS 50
/* A scripted client's reads and connects give up after this long. */
#define MS_DEMO_SCRIPT_TIMEOUT_S 10
/* Longest line the scripted client accepts from the lab server. */
#define MS_DEMO_SCRIPT_MAX_LINE 65536
/* How long the IDLE client waits for news: time for the other client to log
 * in, flag, expunge and log out. */
#define MS_DEMO_IDLE_SECONDS 3
/* The other client starts this long after the IDLE step was announced, so
 * the IDLE command is on the wire first. */
#define MS_DEMO_IDLE_HEAD_START_MS 400
/* The lab clients' read timeout. */
#define MS_DEMO_CLIENT_TIMEOUT_S 15
/* The lab account every demo client uses (the server's default). */
#define MS_DEMO_USER "student"
#define MS_DEMO_PASSWORD "classroom"

/* ===================================================================== */
/* Live capture                                                          */
/* ===================================================================== */

struct _MsLiveCapture {
  MsSource *src;
  MsCaptureMode mode;
  GSubprocess *helper;
  gboolean stats_known;
  guint64 received, dropped;
};

const char *
ms_capture_helper_path (void)
{
  const char *env = g_getenv ("MAILSCOPE_CAPTURE_HELPER");
  return env && *env ? env : MS_CAPTURE_HELPER_PATH;
}

char *
ms_capture_permission_hint (void)
{
  return g_strdup_printf (_("allow it once, without running Mailscope as root, with: sudo "
                            "setcap cap_net_raw,cap_net_admin=eip %s"),
                          ms_capture_helper_path ());
}

/* Reads what the helper wrote to standard error (it has exited, or is about
 * to) and picks up its stats line. Returns the text, without the stats. */
static char *
helper_collect_stderr (MsLiveCapture *cap)
{
  GInputStream *err = g_subprocess_get_stderr_pipe (cap->helper);
  char buf[MS_HELPER_MAX_STDERR + 1];
  gsize n = 0;

  if (err == NULL)
    return g_strdup ("");
  g_input_stream_read_all (err, buf, MS_HELPER_MAX_STDERR, &n, NULL, NULL);
  buf[n] = '\0';
  GString *rest = g_string_new (NULL);
  g_auto (GStrv) lines = g_strsplit (buf, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      guint64 r, d;
      if (sscanf (lines[i], "mailscope-capture: stats received=%" G_GUINT64_FORMAT
                            " dropped=%" G_GUINT64_FORMAT, &r, &d) == 2)
        {
          cap->received = r;
          cap->dropped = d;
          cap->stats_known = TRUE;
        }
      else if (lines[i][0] != '\0')
        {
          const char *text = g_str_has_prefix (lines[i], "mailscope-capture: ")
                               ? lines[i] + strlen ("mailscope-capture: ")
                               : lines[i];
          if (rest->len)
            g_string_append (rest, "; ");
          g_string_append (rest, text);
        }
    }
  return g_string_free (rest, FALSE);
}

/* Spawns the helper and opens its stream: NULL with PERMISSION when it may
 * not capture either (or does not exist), _OPEN with its message otherwise. */
static gboolean
helper_open (MsLiveCapture *cap, const char *iface, const char *filter, GError **error)
{
  const char *path = ms_capture_helper_path ();
  g_autoptr (GError) local = NULL;
  g_autofree char *hint = ms_capture_permission_hint ();

  if (!g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_PERMISSION,
                   _("no permission to capture on %s, and the capture helper %s is not "
                     "installed: run as root, or install Mailscope and then %s"),
                   iface, path, hint);
      return FALSE;
    }
  const char *argv[] = { path, "-i", iface, "-f", filter ? filter : "", NULL };
  cap->helper = g_subprocess_newv (argv,
                                   G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                     | G_SUBPROCESS_FLAGS_STDERR_PIPE
                                     | G_SUBPROCESS_FLAGS_STDIN_INHERIT,
                                   &local);
  if (cap->helper == NULL)
    {
      g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_PERMISSION,
                   _("no permission to capture on %s, and the capture helper could not "
                     "start (%s); %s"),
                   iface, local->message, hint);
      return FALSE;
    }
  GInputStream *out = g_subprocess_get_stdout_pipe (cap->helper);
  int fd = dup (g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (out)));
  if (fd >= 0)
    cap->src = ms_source_open_fd (fd, "mailscope-capture", &local);
  if (cap->src != NULL)
    {
      cap->mode = MS_CAPTURE_HELPER;
      return TRUE;
    }
  /* No header: the helper failed; its exit status says why. */
  g_subprocess_wait (cap->helper, NULL, NULL);
  g_autofree char *msg = helper_collect_stderr (cap);
  if (g_subprocess_get_if_exited (cap->helper)
      && g_subprocess_get_exit_status (cap->helper) == MS_HELPER_EXIT_PERMISSION)
    g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_PERMISSION,
                 _("no permission to capture on %s; %s"), iface, hint);
  else
    g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_OPEN,
                 _("cannot capture on %s: %s"), iface,
                 msg[0] ? msg : (local ? local->message : g_strerror (errno)));
  g_clear_object (&cap->helper);
  return FALSE;
}

MsLiveCapture *
ms_live_capture_open (const char *iface, const char *filter, GError **error)
{
  g_autoptr (GError) local = NULL;
  MsLiveCapture *cap = g_new0 (MsLiveCapture, 1);

  cap->src = ms_source_open_live (iface, filter, 0, &local);
  if (cap->src != NULL)
    {
      cap->mode = MS_CAPTURE_DIRECT;
      return cap;
    }
  if (!g_error_matches (local, MS_SOURCE_ERROR, MS_SOURCE_ERROR_PERMISSION))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      g_free (cap);
      return NULL;
    }
  if (!helper_open (cap, iface, filter, error))
    {
      g_free (cap);
      return NULL;
    }
  return cap;
}

MsSource *
ms_live_capture_source (MsLiveCapture *cap)
{
  return cap->src;
}

MsCaptureMode
ms_live_capture_mode (MsLiveCapture *cap)
{
  return cap->mode;
}

void
ms_live_capture_stop (MsLiveCapture *cap)
{
  if (cap->helper != NULL)
    g_subprocess_send_signal (cap->helper, SIGTERM);
  else if (cap->src != NULL)
    ms_source_break (cap->src);
}

gboolean
ms_live_capture_stats (MsLiveCapture *cap, guint64 *received, guint64 *dropped)
{
  if (cap->mode == MS_CAPTURE_DIRECT)
    return ms_source_stats (cap->src, received, dropped);
  if (cap->helper != NULL && !cap->stats_known)
    {
      /* Only once its stream ended: then the helper has exited or is about
       * to. */
      g_subprocess_wait (cap->helper, NULL, NULL);
      g_free (helper_collect_stderr (cap));
    }
  if (!cap->stats_known)
    return FALSE;
  if (received)
    *received = cap->received;
  if (dropped)
    *dropped = cap->dropped;
  return TRUE;
}

void
ms_live_capture_close (MsLiveCapture *cap)
{
  if (cap == NULL)
    return;
  if (cap->helper != NULL)
    {
      g_subprocess_send_signal (cap->helper, SIGTERM);
      /* Closing our end first: a helper blocked on a full pipe sees EPIPE. */
      ms_source_close (cap->src);
      cap->src = NULL;
      g_subprocess_wait (cap->helper, NULL, NULL);
      g_object_unref (cap->helper);
    }
  ms_source_close (cap->src);
  g_free (cap);
}

/* ===================================================================== */
/* Demo state                                                            */
/* ===================================================================== */

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

static const struct {
  MsLabService svc;
  guint16 standard, fallback;
  const char *proto;           /* for forced decoding on a fallback port */
} demo_services[] = {
  { MS_LAB_DNS, 53, 10053, "dns" },
  { MS_LAB_IMAP, 143, 1143, "imap" },
  { MS_LAB_POP3, 110, 1110, "pop3" },
  { MS_LAB_IMAPS, 993, 1993, "tls" },
  { MS_LAB_POP3S, 995, 1995, "tls" },
};

void
ms_demo_options_init (MsDemoOptions *opts)
{
  memset (opts, 0, sizeof *opts);
  opts->kind = MS_DEMO_IMAP;
  opts->tls = MS_LAB_CLIENT_TLS_NONE;
}

void
ms_demo_options_clear (MsDemoOptions *opts)
{
  g_clear_pointer (&opts->pcap_path, g_free);
  g_clear_pointer (&opts->keylog_path, g_free);
  g_clear_pointer (&opts->seed_dir, g_free);
  g_clear_pointer (&opts->iface, g_free);
}

gboolean
ms_demo_kind_from_name (const char *name, MsDemoKind *kind)
{
  static const char *const names[] = { "imap", "pop3", "compare", "shared" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (name, names[i]) == 0)
      {
        *kind = (MsDemoKind) i;
        return TRUE;
      }
  return FALSE;
}

/* The sample Maildirs: $MAILSCOPE_SAMPLES_DIR, installed, or the source
 * tree's. NULL when none exists. */
static char *
find_seed_dir (void)
{
  const char *env = g_getenv ("MAILSCOPE_SAMPLES_DIR");
  const char *candidates[] = { env, PKGDATADIR "/samples", SOURCE_SAMPLES_DIR };
  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      if (candidates[i] == NULL || candidates[i][0] == '\0')
        continue;
      char *dir = g_build_filename (candidates[i], "maildir", NULL);
      if (g_file_test (dir, G_FILE_TEST_IS_DIR))
        return dir;
      g_free (dir);
    }
  return NULL;
}

/* Removes a directory tree without following symbolic links. */
static void
remove_tree (const char *path)
{
  if (!g_file_test (path, G_FILE_TEST_IS_SYMLINK) && g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      GDir *dir = g_dir_open (path, 0, NULL);
      const char *name;
      while (dir && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      if (dir)
        g_dir_close (dir);
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static void
run_free (gpointer data)
{
  Run *r = data;
  if (r->start_timer)
    {
      g_source_destroy (r->start_timer);
      g_source_unref (r->start_timer);
    }
  if (r->client)
    ms_lab_client_free (r->client);
  if (r->script)
    g_thread_join (r->script);
  ms_lab_client_options_clear (&r->opts);
  g_free (r->pub.label);
  g_free (r->pub.error);
  g_free (r->pub.refusal);
  g_free (r->script_error);
  g_ptr_array_unref (r->pub.pushed);
  g_free (r);
}

/* A run of `proto` in `phase` with the demo's connection settings. */
static Run *
add_run (MsDemo *d, guint phase, MsProto proto, const char *label)
{
  Run *r = g_new0 (Run, 1);
  r->demo = d;
  r->pub.index = d->runs->len;
  r->pub.phase = phase;
  r->pub.label = g_strdup (label);
  r->pub.proto = proto;
  r->pub.pushed = g_ptr_array_new_with_free_func (g_free);
  ms_lab_client_options_init (&r->opts);
  r->opts.proto = proto;
  MsLabService svc;
  if (proto == MS_PROTO_IMAP)
    svc = d->opts.tls == MS_LAB_CLIENT_TLS_IMPLICIT ? MS_LAB_IMAPS : MS_LAB_IMAP;
  else
    svc = d->opts.tls == MS_LAB_CLIENT_TLS_IMPLICIT ? MS_LAB_POP3S : MS_LAB_POP3;
  r->opts.server = g_strdup_printf ("%s:%u",
                                    proto == MS_PROTO_IMAP ? "imap.mailscope.test"
                                                           : "pop.mailscope.test",
                                    d->ports[svc]);
  r->opts.dns = g_strdup_printf ("127.0.0.1:%u", d->ports[MS_LAB_DNS]);
  r->opts.user = g_strdup (MS_DEMO_USER);
  r->opts.password = g_strdup (MS_DEMO_PASSWORD);
  r->opts.tls = d->opts.tls;
  r->opts.ca_path = g_build_filename (d->data_dir, "tls", "lab-cert.pem", NULL);
  r->opts.timeout_seconds = MS_DEMO_CLIENT_TIMEOUT_S;
  r->opts.step_mode = d->opts.step_mode;
  g_ptr_array_add (d->runs, r);
  d->n_phases = MAX (d->n_phases, phase + 1);
  return r;
}

/* The runs of each kind of demo. */
static void
plan_runs (MsDemo *d)
{
  Run *r;
  switch (d->opts.kind)
    {
    case MS_DEMO_IMAP:
      add_run (d, 0, MS_PROTO_IMAP, _("IMAP client"));
      break;
    case MS_DEMO_POP3:
      add_run (d, 0, MS_PROTO_POP3, _("POP3 client"));
      break;
    case MS_DEMO_COMPARE:
      add_run (d, 0, MS_PROTO_IMAP, "IMAP");
      r = add_run (d, 1, MS_PROTO_POP3, "POP3");
      /* POP3's classic way: download everything, then delete it. */
      r->opts.delete_messages = TRUE;
      break;
    case MS_DEMO_SHARED:
      r = add_run (d, 0, MS_PROTO_IMAP, _("IMAP client 1 (waits with IDLE)"));
      r->opts.idle_seconds = MS_DEMO_IDLE_SECONDS;
      r->role = HOLD_START_OTHER_AT_REFRESH;
      r = add_run (d, 0, MS_PROTO_IMAP, _("IMAP client 2 (flags and expunges)"));
      r->kind = RUN_SCRIPT_IMAP;
      r = add_run (d, 1, MS_PROTO_POP3, _("POP3 client 1 (keeps the mailbox open)"));
      r->role = HOLD_AT_LIST;
      /* It must stop at LIST whatever the user chose. */
      r->opts.step_mode = TRUE;
      r = add_run (d, 1, MS_PROTO_POP3, _("POP3 client 2 (arrives while it is open)"));
      r->pub.failure_expected = TRUE;
      break;
    }
}

/* Binds every service: standard port, else fallback, else any free port
 * (another lab may hold the fallback). FALSE when one cannot be bound. */
static gboolean
start_servers (MsDemo *d, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (demo_services); i++)
    {
      guint16 tries[] = { demo_services[i].standard, demo_services[i].fallback, 0 };
      g_autoptr (GError) local = NULL;
      guint16 port = 0;
      for (guint k = 0; k < G_N_ELEMENTS (tries) && port == 0; k++)
        {
          g_clear_error (&local);
          g_autofree char *spec = g_strdup_printf ("127.0.0.1:%u", tries[k]);
          port = ms_lab_server_listen (d->server, demo_services[i].svc, spec, &local);
        }
      if (port == 0)
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local),
                                      _("cannot start the %s server: "),
                                      ms_lab_service_name (demo_services[i].svc));
          return FALSE;
        }
      d->ports[demo_services[i].svc] = port;
      d->standard[demo_services[i].svc] = port == demo_services[i].standard;
      if (port != demo_services[i].standard)
        {
          g_autofree char *spec = g_strdup_printf ("%s=%u", demo_services[i].proto, port);
          ms_pipeline_options_add_port (&d->pipe_opts, spec, NULL);
        }
    }
  return TRUE;
}

MsDemo *
ms_demo_new (const MsDemoOptions *opts, const MsDemoCallbacks *callbacks, gpointer user_data,
             GError **error)
{
  MsDemo *d = g_new0 (MsDemo, 1);
  d->alive = g_cancellable_new ();
  d->opts = *opts;
  d->opts.pcap_path = g_strdup (opts->pcap_path);
  d->opts.keylog_path = g_strdup (opts->keylog_path);
  d->opts.seed_dir = opts->seed_dir ? g_strdup (opts->seed_dir) : find_seed_dir ();
  d->opts.iface = g_strdup (opts->iface ? opts->iface : MS_DEMO_IFACE);
  d->cb = *callbacks;
  d->user_data = user_data;
  d->ctx = g_main_context_ref_thread_default ();
  g_mutex_init (&d->lock);
  d->pending = g_ptr_array_new ();
  d->runs = g_ptr_array_new_with_free_func (run_free);
  ms_pipeline_options_init (&d->pipe_opts);
  ms_lab_config_init (&d->cfg);

  if (d->opts.seed_dir == NULL)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   _("the sample mailbox (samples/maildir) was not found; set "
                     "MAILSCOPE_SAMPLES_DIR to the samples directory"));
      ms_demo_free (d);
      return NULL;
    }
  d->tmp_dir = g_dir_make_tmp ("mailscope-demo-XXXXXX", error);
  if (d->tmp_dir == NULL)
    {
      ms_demo_free (d);
      return NULL;
    }
  d->data_dir = g_build_filename (d->tmp_dir, "lab", NULL);
  d->cfg.data_dir = g_strdup (d->data_dir);
  d->cfg.seed_dir = g_strdup (d->opts.seed_dir);
  d->cfg.keylog_path = g_strdup (d->opts.keylog_path);
  d->server = ms_lab_server_new (&d->cfg, error);
  if (d->server == NULL || !start_servers (d, error))
    {
      ms_demo_free (d);
      return NULL;
    }
  /* The mailbox is copied now, not when the first client logs in, so that
   * every run starts from the same messages. */
  if (ms_lab_server_maildir (d->server, MS_DEMO_USER, error) == NULL)
    {
      ms_demo_free (d);
      return NULL;
    }
  plan_runs (d);
  return d;
}

/* ===================================================================== */
/* Capture thread                                                        */
/* ===================================================================== */

static gboolean flush_events (gpointer data);

/* With d->lock held: makes sure a flush is scheduled on the demo's
 * context. */
static void
schedule_flush_locked (MsDemo *d)
{
  if (d->flush_source != NULL)
    return;
  d->flush_source = g_idle_source_new ();
  g_source_set_callback (d->flush_source, flush_events, d, NULL);
  g_source_attach (d->flush_source, d->ctx);
}

/* Pipeline callback, in the capture thread: events wait for the next
 * flush. */
static void
on_pipeline_event (MsEvent *ev, gpointer data)
{
  MsDemo *d = data;
  g_mutex_lock (&d->lock);
  g_ptr_array_add (d->pending, ms_event_ref (ev));
  schedule_flush_locked (d);
  g_mutex_unlock (&d->lock);
}

static gpointer
capture_thread (gpointer data)
{
  MsDemo *d = data;
  MsSource *src = ms_live_capture_source (d->cap);
  MsPipeline *pipe = ms_pipeline_new (&d->pipe_opts, on_pipeline_event, d);
  MsFrame frame;

  for (;;)
    {
      g_autoptr (GError) error = NULL;
      int r = ms_source_next (src, &frame, &error);
      if (r == 1)
        {
          g_atomic_int_inc (&d->frames);
          if (d->cb.frame)
            d->cb.frame (d, &frame, d->user_data);
          ms_pipeline_feed (pipe, &frame);
        }
      else if (r != 2)
        break;
    }
  ms_pipeline_finish (pipe);
  ms_pipeline_free (pipe);

  g_mutex_lock (&d->lock);
  d->capture_done = TRUE;
  schedule_flush_locked (d);
  g_mutex_unlock (&d->lock);
  return NULL;
}

static void finish_phase (MsDemo *d);

/* Hands the events the capture thread left to the caller; TRUE once the
 * capture thread has ended. */
static gboolean
deliver_pending (MsDemo *d)
{
  g_mutex_lock (&d->lock);
  GPtrArray *batch = d->pending;
  d->pending = g_ptr_array_new ();
  gboolean done = d->capture_done;
  g_mutex_unlock (&d->lock);

  if (batch->len && d->cb.events)
    d->cb.events (d, (MsEvent *const *) batch->pdata, batch->len, d->user_data);
  for (guint i = 0; i < batch->len; i++)
    ms_event_unref (batch->pdata[i]);
  g_ptr_array_unref (batch);
  return done;
}

/* Joins the ended capture thread and reads the final statistics. */
static void
reap_capture (MsDemo *d)
{
  guint64 received;
  g_thread_join (d->thread);
  d->thread = NULL;
  ms_live_capture_stats (d->cap, &received, &d->dropped);
}

/* On the demo's context: delivers the pending events; once the capture
 * thread has ended, finishes the last phase. */
static gboolean
flush_events (gpointer data)
{
  MsDemo *d = data;
  g_mutex_lock (&d->lock);
  g_source_unref (d->flush_source);
  d->flush_source = NULL;
  g_mutex_unlock (&d->lock);

  if (deliver_pending (d) && d->thread != NULL)
    {
      reap_capture (d);
      if (d->stopping)
        finish_phase (d);
    }
  return G_SOURCE_REMOVE;
}

/* The capture filter: the demo's own ports on 127.0.0.1, so that other
 * loopback traffic stays out of the lesson. */
static char *
capture_filter (MsDemo *d)
{
  GString *f = g_string_new ("host 127.0.0.1 and (");
  for (guint i = 0; i < G_N_ELEMENTS (demo_services); i++)
    g_string_append_printf (f, "%sport %u", i ? " or " : "", d->ports[demo_services[i].svc]);
  g_string_append_c (f, ')');
  return g_string_free (f, FALSE);
}

/* Starts the capture, or records why there is none. */
static void
start_capture (MsDemo *d)
{
  g_autoptr (GError) error = NULL;
  if (d->opts.no_capture)
    {
      d->capture_reason = g_strdup (_("capturing was turned off"));
      return;
    }
  g_autofree char *filter = capture_filter (d);
  d->cap = ms_live_capture_open (d->opts.iface, filter, &error);
  if (d->cap == NULL)
    {
      d->capture_reason = g_strdup (error->message);
      return;
    }
  if (d->opts.pcap_path
      && !ms_source_set_dump (ms_live_capture_source (d->cap), d->opts.pcap_path, &error))
    {
      d->capture_reason = g_strdup (error->message);
      ms_live_capture_close (d->cap);
      d->cap = NULL;
      return;
    }
  d->mode = ms_live_capture_mode (d->cap);
  d->thread = g_thread_new ("ms-demo-capture", capture_thread, d);
}

/* ===================================================================== */
/* Runs                                                                  */
/* ===================================================================== */

static void start_run (Run *r);

static Run *
run_at (MsDemo *d, guint i)
{
  return i < d->runs->len ? d->runs->pdata[i] : NULL;
}

/* The run of the same phase after r, or NULL. */
static Run *
next_in_phase (Run *r)
{
  Run *n = run_at (r->demo, r->pub.index + 1);
  return n && n->pub.phase == r->pub.phase ? n : NULL;
}

static void clients_done (MsDemo *d);

static void
check_phase_done (MsDemo *d)
{
  for (guint i = 0; i < d->runs->len; i++)
    {
      Run *r = d->runs->pdata[i];
      if (r->pub.phase == d->phase && !r->pub.finished)
        return;
    }
  clients_done (d);
}

static void
run_finished (Run *r, const char *error)
{
  MsDemo *d = r->demo;
  r->pub.finished = TRUE;
  if (d->waiting == r)
    d->waiting = NULL;
  g_free (r->pub.error);
  r->pub.error = g_strdup (error);
  if (r->role == HOLD_START_OTHER_AT_REFRESH)
    {
      /* No IDLE reached (a failure): the other run must still end. */
      Run *n = next_in_phase (r);
      if (n && !n->started)
        start_run (n);
    }
  /* POP3 client 2 ended (refused): client 1 may finish now. */
  for (guint i = 0; i < d->runs->len; i++)
    {
      Run *o = d->runs->pdata[i];
      if (o->role == HOLD_AT_LIST && o->pub.phase == r->pub.phase && o != r && o->held)
        {
          Run *n = next_in_phase (o);
          if (n == NULL || n->pub.finished)
            {
              o->held = FALSE;
              if (!d->opts.step_mode)
                ms_lab_client_set_step_mode (o->client, FALSE);
              else
                ms_lab_client_next (o->client);
            }
        }
    }
  check_phase_done (d);
}

static gboolean
start_run_later (gpointer data)
{
  Run *r = data;
  g_clear_pointer (&r->start_timer, g_source_unref);
  if (!r->started)
    start_run (r);
  return G_SOURCE_REMOVE;
}

/* Starts the run after r in its phase a moment from now (the IDLE client's
 * partner). */
static void
start_partner_soon (Run *r)
{
  Run *n = next_in_phase (r);
  if (n == NULL || n->started)
    return;
  if (n->start_timer)
    return;
  GSource *t = g_timeout_source_new (MS_DEMO_IDLE_HEAD_START_MS);
  g_source_set_callback (t, start_run_later, n, NULL);
  g_source_attach (t, r->demo->ctx);
  n->start_timer = t;
}

static void
on_client_step (MsLabClient *client, MsStep step, const char *description, gpointer data)
{
  Run *r = data;
  MsDemo *d = r->demo;
  Run *partner = next_in_phase (r);
  /* POP3 client 1 logged in, so the maildrop is locked: it waits there
   * while the second client tries. */
  gboolean hold = step == MS_STEP_LIST && r->role == HOLD_AT_LIST && !r->held && partner
                  && !partner->started;

  r->in_refresh = step == MS_STEP_REFRESH;
  if (!hold && r->opts.step_mode && d->opts.step_mode)
    d->waiting = r;
  if (d->cb.step_ready)
    d->cb.step_ready (d, &r->pub, step, description, d->user_data);

  if (step == MS_STEP_REFRESH && r->role == HOLD_START_OTHER_AT_REFRESH)
    {
      /* In step mode IDLE begins only when the user goes on. */
      if (d->opts.step_mode)
        r->partner_on_next = TRUE;
      else
        start_partner_soon (r);
    }
  if (hold)
    {
      r->held = TRUE;
      start_run (partner);
      return;
    }
  if (r->opts.step_mode && !d->opts.step_mode)
    ms_lab_client_next (client);
}

static void
on_client_line (MsLabClient *client, char who, const char *text, gpointer data)
{
  Run *r = data;
  MsDemo *d = r->demo;
  if (who == 'S' && r->in_refresh && text[0] == '*'
      && (strstr (text, "EXPUNGE") || strstr (text, "FETCH") || strstr (text, "EXISTS")))
    g_ptr_array_add (r->pub.pushed, g_strdup (text));
  if (who == 'S' && r->pub.refusal == NULL && g_str_has_prefix (text, "-ERR")
      && strstr (text, "IN-USE"))
    r->pub.refusal = g_strdup (text);
  if (d->cb.transcript)
    d->cb.transcript (d, &r->pub, who, text, d->user_data);
}

static void
on_client_finished (MsLabClient *client, const MsLabClientReport *report, const GError *error,
                    gpointer data)
{
  Run *r = data;
  r->pub.report = report;
  run_finished (r, error ? error->message : NULL);
}

/* --- the scripted IMAP client (shared demo) --------------------------- */

typedef struct {
  Run *run;
  GCancellable *alive;         /* the demo's; cancelled once it is freed */
  char who;
  char *text;
  gboolean done;
} ScriptLine;

static gboolean
deliver_script_line (gpointer data)
{
  ScriptLine *l = data;
  Run *r = l->run;
  if (g_cancellable_is_cancelled (l->alive))
    return G_SOURCE_REMOVE;
  if (l->done)
    {
      r->script_error = l->text;
      l->text = NULL;
      g_thread_join (r->script);
      r->script = NULL;
      run_finished (r, r->script_error);
    }
  else if (r->demo->cb.transcript)
    r->demo->cb.transcript (r->demo, &r->pub, l->who, l->text, r->demo->user_data);
  return G_SOURCE_REMOVE;
}

static void
free_script_line (gpointer data)
{
  ScriptLine *l = data;
  g_object_unref (l->alive);
  g_free (l->text);
  g_free (l);
}

/* From the script thread: a transcript line (or the end, with the error
 * text or NULL) for the demo's context. */
static void
script_post (Run *r, char who, const char *text, gboolean done)
{
  ScriptLine *l = g_new0 (ScriptLine, 1);
  l->run = r;
  l->who = who;
  l->text = g_strdup (text);
  l->done = done;
  l->alive = g_object_ref (r->demo->alive);
  /* Always through a source: g_main_context_invoke() would run the line in
   * this thread when the context happens to be free, and the last line
   * joins this very thread. */
  GSource *src = g_idle_source_new ();
  g_source_set_priority (src, G_PRIORITY_DEFAULT);
  g_source_set_callback (src, deliver_script_line, l, free_script_line);
  g_source_attach (src, r->demo->ctx);
  g_source_unref (src);
}

/* Reads one CRLF line (without it); NULL with error at the end, on a read
 * error or past MS_DEMO_SCRIPT_MAX_LINE. */
static char *
script_read_line (GBufferedInputStream *in, GError **error)
{
  GString *line = g_string_new (NULL);
  for (;;)
    {
      int c = g_buffered_input_stream_read_byte (in, NULL, error);
      if (c < 0 || line->len >= MS_DEMO_SCRIPT_MAX_LINE)
        {
          if (c >= 0 || (error && *error == NULL))
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                         c < 0 ? _("the server closed the connection")
                               : _("the server sent an overlong line"));
          g_string_free (line, TRUE);
          return NULL;
        }
      if (c == '\n')
        break;
      g_string_append_c (line, (char) c);
    }
  if (line->len && line->str[line->len - 1] == '\r')
    g_string_truncate (line, line->len - 1);
  return g_string_free (line, FALSE);
}

/* Sends "TAG COMMAND" and reads up to the tagged answer; FALSE unless it is
 * OK. */
static gboolean
script_command (Run *r, GOutputStream *out, GBufferedInputStream *in, const char *tag,
                const char *command, GError **error)
{
  g_autofree char *line = g_strdup_printf ("%s %s\r\n", tag, command);
  g_autofree char *shown = g_str_has_prefix (command, "LOGIN ")
                             ? g_strdup_printf ("%s LOGIN %s ********", tag, MS_DEMO_USER)
                             : g_strdup_printf ("%s %s", tag, command);
  script_post (r, 'C', shown, FALSE);
  if (!g_output_stream_write_all (out, line, strlen (line), NULL, NULL, error))
    return FALSE;
  for (;;)
    {
      g_autofree char *answer = script_read_line (in, error);
      if (answer == NULL)
        return FALSE;
      script_post (r, 'S', answer, FALSE);
      if (g_str_has_prefix (answer, tag) && answer[strlen (tag)] == ' ')
        {
          if (g_str_has_prefix (answer + strlen (tag) + 1, "OK"))
            return TRUE;
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("the server refused %s: %s"),
                       command, answer);
          return FALSE;
        }
    }
}

/* The second IMAP client of the shared demo, in its own thread: logs in on
 * plain IMAP, flags message 1, deletes and expunges message 2, logs out. */
static gpointer
script_thread (gpointer data)
{
  Run *r = data;
  MsDemo *d = r->demo;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketClient) sc = g_socket_client_new ();
  g_socket_client_set_timeout (sc, MS_DEMO_SCRIPT_TIMEOUT_S);
  g_autofree char *addr = g_strdup_printf ("127.0.0.1:%u", d->ports[MS_LAB_IMAP]);
  g_autoptr (GSocketConnection) conn
    = g_socket_client_connect_to_host (sc, addr, d->ports[MS_LAB_IMAP], NULL, &error);
  static const char *const script[][2] = {
    { "f1", "LOGIN " MS_DEMO_USER " " MS_DEMO_PASSWORD },
    { "f2", "SELECT INBOX" },
    { "f3", "STORE 1 +FLAGS (\\Flagged)" },
    { "f4", "STORE 2 +FLAGS (\\Deleted)" },
    { "f5", "EXPUNGE" },
    { "f6", "LOGOUT" },
  };

  if (conn != NULL)
    {
      GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
      g_autoptr (GInputStream) in
        = g_buffered_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (conn)));
      g_autofree char *greeting = script_read_line (G_BUFFERED_INPUT_STREAM (in), &error);
      if (greeting)
        script_post (r, 'S', greeting, FALSE);
      for (guint i = 0; greeting && i < G_N_ELEMENTS (script); i++)
        if (!script_command (r, out, G_BUFFERED_INPUT_STREAM (in), script[i][0], script[i][1],
                             &error))
          break;
      g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
    }
  script_post (r, '-', error ? error->message : NULL, TRUE);
  return NULL;
}

static void
start_run (Run *r)
{
  MsDemo *d = r->demo;
  r->started = TRUE;
  if (r->kind == RUN_SCRIPT_IMAP)
    {
      if (d->cb.step_ready)
        d->cb.step_ready (d, &r->pub, MS_STEP_UPDATE,
                          _("Meanwhile another client flags message 1, deletes message 2 "
                            "and expunges it"),
                          d->user_data);
      r->script = g_thread_new ("ms-demo-script", script_thread, r);
      return;
    }
  static const MsLabClientCallbacks cb = { on_client_step, on_client_line, on_client_finished };
  r->client = ms_lab_client_new (&r->opts, &cb, r);
  ms_lab_client_start (r->client);
}

static void
start_phase (MsDemo *d)
{
  if (d->cb.phase_started)
    d->cb.phase_started (d, d->phase, d->user_data);
  /* The first run of the phase starts; the others when their turn comes
   * (the shared demo chains them from step callbacks). */
  for (guint i = 0; i < d->runs->len; i++)
    {
      Run *r = d->runs->pdata[i];
      if (r->pub.phase == d->phase)
        {
          start_run (r);
          break;
        }
    }
}

/* ===================================================================== */
/* Phases                                                                */
/* ===================================================================== */

/* Frames captured during the phase that just ended, stored in its runs. */
static void
set_phase_packets (MsDemo *d)
{
  guint64 now = (guint64) g_atomic_int_get (&d->frames);
  for (guint i = 0; i < d->runs->len; i++)
    {
      Run *r = d->runs->pdata[i];
      if (r->pub.phase == d->phase)
        r->pub.packets = now - d->phase_start_frames;
    }
  d->phase_start_frames = now;
}

static void
end_demo (MsDemo *d, const GError *error)
{
  d->finished = TRUE;
  if (d->cb.finished)
    d->cb.finished (d, error, d->user_data);
}

/* Every run of the phase ended and its packets were delivered. */
static void
finish_phase (MsDemo *d)
{
  if (d->mode != MS_CAPTURE_NONE)
    set_phase_packets (d);
  if (d->cb.phase_finished)
    d->cb.phase_finished (d, d->phase, d->user_data);
  if (d->phase + 1 >= d->n_phases)
    {
      end_demo (d, NULL);
      return;
    }
  d->phase++;
  start_phase (d);
}

/* Ends the phase once the capture has caught up (see the SETTLE limits). */
static gboolean
settle_tick (gpointer data)
{
  MsDemo *d = data;
  gint frames = g_atomic_int_get (&d->frames);
  d->settle_total_ms += MS_DEMO_SETTLE_TICK_MS;
  if (frames != d->settle_frames)
    {
      d->settle_frames = frames;
      d->settle_quiet_ms = 0;
    }
  else
    d->settle_quiet_ms += MS_DEMO_SETTLE_TICK_MS;
  if (d->settle_quiet_ms < MS_DEMO_SETTLE_QUIET_MS && d->settle_total_ms < MS_DEMO_SETTLE_MAX_MS
      && d->thread != NULL)
    return G_SOURCE_CONTINUE;
  d->settle_source = 0;

  if (d->phase + 1 >= d->n_phases && d->thread != NULL)
    {
      /* The last phase ends with the capture: flush_events comes back to
       * finish_phase once the thread has finished the pipeline. */
      d->stopping = TRUE;
      ms_live_capture_stop (d->cap);
      return G_SOURCE_REMOVE;
    }
  deliver_pending (d);
  finish_phase (d);
  return G_SOURCE_REMOVE;
}

static void
clients_done (MsDemo *d)
{
  if (d->mode == MS_CAPTURE_NONE)
    {
      finish_phase (d);
      return;
    }
  d->settle_frames = g_atomic_int_get (&d->frames);
  d->settle_quiet_ms = d->settle_total_ms = 0;
  GSource *t = g_timeout_source_new (MS_DEMO_SETTLE_TICK_MS);
  g_source_set_callback (t, settle_tick, d, NULL);
  d->settle_source = g_source_attach (t, d->ctx);
  g_source_unref (t);
}

void
ms_demo_start (MsDemo *d)
{
  start_capture (d);
  d->phase = 0;
  start_phase (d);
}

void
ms_demo_next (MsDemo *d)
{
  Run *r = d->waiting;
  d->waiting = NULL;
  if (r == NULL || r->client == NULL)
    return;
  if (r->partner_on_next)
    {
      r->partner_on_next = FALSE;
      start_partner_soon (r);
    }
  ms_lab_client_next (r->client);
}

gboolean
ms_demo_is_waiting (MsDemo *d)
{
  return d->waiting != NULL;
}

void
ms_demo_free (MsDemo *d)
{
  if (d == NULL)
    return;
  if (d->thread)
    {
      ms_live_capture_stop (d->cap);
      g_thread_join (d->thread);
      d->thread = NULL;
    }
  if (d->settle_source)
    {
      GSource *s = g_main_context_find_source_by_id (d->ctx, d->settle_source);
      if (s)
        g_source_destroy (s);
    }
  g_cancellable_cancel (d->alive);
  g_ptr_array_unref (d->runs);
  if (d->flush_source)
    {
      g_source_destroy (d->flush_source);
      g_source_unref (d->flush_source);
    }
  for (guint i = 0; i < d->pending->len; i++)
    ms_event_unref (d->pending->pdata[i]);
  g_ptr_array_unref (d->pending);
  ms_live_capture_close (d->cap);
  if (d->server)
    ms_lab_server_free (d->server);
  ms_lab_config_clear (&d->cfg);
  if (d->tmp_dir)
    remove_tree (d->tmp_dir);
  g_free (d->tmp_dir);
  g_free (d->data_dir);
  g_free (d->capture_reason);
  ms_demo_options_clear (&d->opts);
  g_mutex_clear (&d->lock);
  g_main_context_unref (d->ctx);
  g_object_unref (d->alive);
  g_free (d);
}

guint
ms_demo_n_phases (MsDemo *d)
{
  return d->n_phases;
}

const GPtrArray *
ms_demo_runs (MsDemo *d)
{
  return d->runs;
}

guint16
ms_demo_port (MsDemo *d, guint svc)
{
  return svc < MS_LAB_N_SERVICES ? d->ports[svc] : 0;
}

gboolean
ms_demo_port_is_standard (MsDemo *d, guint svc)
{
  return svc < MS_LAB_N_SERVICES && d->standard[svc];
}

MsCaptureMode
ms_demo_capture_mode (MsDemo *d)
{
  return d->mode;
}

const char *
ms_demo_capture_reason (MsDemo *d)
{
  return d->mode == MS_CAPTURE_NONE ? d->capture_reason : NULL;
}

void
ms_demo_capture_stats (MsDemo *d, guint64 *frames, guint64 *dropped)
{
  if (frames)
    *frames = (guint64) g_atomic_int_get (&d->frames);
  if (dropped)
    *dropped = d->dropped;
}

void
ms_demo_get_pipeline_options (MsDemo *d, MsPipelineOptions *opts)
{
  *opts = d->pipe_opts;
}

/* --- the comparison table ---------------------------------------------- */

static char *
count_cell (guint64 n)
{
  return ms_lab_client_format_count (n);
}

GPtrArray *
ms_demo_comparison_table (MsDemo *d)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  enum {
    ROW_PACKETS, ROW_SENT, ROW_RECEIVED, ROW_ROUND_TRIPS, ROW_TIME, ROW_CONTENT,
    ROW_ATTACHMENT, ROW_LEFT, N_ROWS
  };
  const char *labels[N_ROWS] = {
    _("Packets captured"),
    _("Bytes client → server"),
    _("Bytes server → client"),
    _("Round trips"),
    _("Time"),
    _("Content bytes moved"),
    _("Attachment downloaded"),
    _("Messages left on the server"),
  };
  guint n = d->runs->len;
  GStrvBuilder *head = g_strv_builder_new ();
  g_strv_builder_add (head, "");
  for (guint i = 0; i < n; i++)
    g_strv_builder_add (head, ((Run *) d->runs->pdata[i])->pub.label);
  g_ptr_array_add (rows, g_strv_builder_end (head));
  g_strv_builder_unref (head);

  for (guint k = 0; k < N_ROWS; k++)
    {
      GStrvBuilder *b = g_strv_builder_new ();
      g_strv_builder_add (b, labels[k]);
      for (guint i = 0; i < n; i++)
        {
          const Run *r = d->runs->pdata[i];
          const MsLabClientReport *rep = r->pub.report;
          g_autofree char *cell = NULL;
          if (rep == NULL)
            cell = g_strdup ("–");
          else
            switch (k)
              {
              case ROW_PACKETS:
                cell = d->mode == MS_CAPTURE_NONE ? g_strdup (_("not captured"))
                                                  : count_cell (r->pub.packets);
                break;
              case ROW_SENT:
                cell = count_cell (rep->bytes_sent);
                break;
              case ROW_RECEIVED:
                cell = count_cell (rep->bytes_received);
                break;
              case ROW_ROUND_TRIPS:
                cell = count_cell (rep->round_trips);
                break;
              case ROW_TIME:
                cell = g_strdup_printf (_("%.2f s"), rep->elapsed);
                break;
              case ROW_CONTENT:
                cell = count_cell (rep->content_bytes);
                break;
              case ROW_ATTACHMENT:
                cell = g_strdup (rep->attachment_downloaded ? _("yes") : _("no"));
                break;
              case ROW_LEFT:
                cell = g_strdup_printf (_("%u of %u"), rep->messages_left,
                                        rep->messages_on_server);
                break;
              default:
                g_assert_not_reached ();
              }
          g_strv_builder_add (b, cell);
        }
      g_ptr_array_add (rows, g_strv_builder_end (b));
      g_strv_builder_unref (b);
    }
  return rows;
}
