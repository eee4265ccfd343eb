/* ms-demo.c - the lab demo: throwaway lab servers on loopback, the plan of
 * runs, the phases and how each ends once the capture settled, and the
 * comparison of the runs' reports. The live capture is in
 * ms-live-capture.c, the capture thread in ms-demo-capture.c, the runs in
 * ms-demo-runs.c and ms-demo-script.c. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "ms-demo-private.h"

/* After the last client of a phase ended, packets still trickle in (the
 * server's FIN, the last ACK): the phase ends once the capture has been quiet
 * this long... */
#define MS_DEMO_SETTLE_QUIET_MS 300
/* ...or after this long, whatever arrives. */
#define MS_DEMO_SETTLE_MAX_MS 3000
/* How often the capture's progress is looked at while settling. */
#define MS_DEMO_SETTLE_TICK_MS 50
/* How long the IDLE client waits for news: time for the other client to log
 * in, flag, expunge and log out. */
#define MS_DEMO_IDLE_SECONDS 3
/* The lab clients' read timeout. */
#define MS_DEMO_CLIENT_TIMEOUT_S 15

/* ===================================================================== */
/* Set-up                                                                */
/* ===================================================================== */

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

/* The capture filter: the demo's own ports on 127.0.0.1, so that other
 * loopback traffic stays out of the lesson. */
char *
ms_demo_capture_filter (MsDemo *d)
{
  GString *f = g_string_new ("host 127.0.0.1 and (");
  for (guint i = 0; i < G_N_ELEMENTS (demo_services); i++)
    g_string_append_printf (f, "%sport %u", i ? " or " : "", d->ports[demo_services[i].svc]);
  g_string_append_c (f, ')');
  return g_string_free (f, FALSE);
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
void
ms_demo_finish_phase (MsDemo *d)
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
  ms_demo_start_phase (d);
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
  ms_demo_deliver_pending (d);
  ms_demo_finish_phase (d);
  return G_SOURCE_REMOVE;
}

void
ms_demo_clients_done (MsDemo *d)
{
  if (d->mode == MS_CAPTURE_NONE)
    {
      ms_demo_finish_phase (d);
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
  ms_demo_start_capture (d);
  d->phase = 0;
  ms_demo_start_phase (d);
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
      ms_demo_start_partner_soon (r);
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
