/* ms-lab-runner.c - the lab panel's server in its own thread.
 *
 * The worker pushes its own GMainContext as thread default, so the server,
 * its sessions, timers and the mailbox hub all live there. The GTK thread
 * hands requests over with g_main_context_invoke_full(); the worker hands
 * results back the same way to the context the runner was created in:
 * log lines gathered for a short while and sent as one batch, a snapshot of
 * the watched folder after each change. */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "lab/ms-mailbox-hub.h"
#include "lab/ms-maildir.h"
#include "ms-lab-message.h"
#include "ms-lab-runner.h"

/* The same directory `mailscope-cli serve` uses by default. */
#define RUNNER_DATA_SUBDIR "mailscope"
/* Log lines are gathered this long before one batch goes to the GUI: a
 * burst of commands costs one redraw. */
#define RUNNER_LOG_FLUSH_MS 60
/* Lines waiting for the GUI: if it cannot keep up, the oldest go (the view
 * keeps fewer than this anyway). */
#define RUNNER_MAX_PENDING_LOG 10000
/* A folder lists at most this many messages (the newest): enough for any
 * classroom mailbox, and a snapshot stays small. */
#define RUNNER_MAX_MESSAGES 2000

static const struct {
  MsLabService svc;
  guint16 standard, fallback;
} runner_services[] = {
  { MS_LAB_IMAP, 143, 1143 },
  { MS_LAB_IMAPS, 993, 1993 },
  { MS_LAB_POP3, 110, 1110 },
  { MS_LAB_POP3S, 995, 1995 },
  { MS_LAB_DNS, 53, 10053 },
};

typedef enum {
  RUNNER_STOPPED,
  RUNNER_STARTING,
  RUNNER_RUNNING,
  RUNNER_STOPPING,
} RunnerState;

struct _MsLabRunner {
  gint ref;                      /* atomic: the runner, the worker, posted results */
  GMainContext *gui_ctx;
  MsLabRunnerCallbacks cb;
  gpointer user_data;
  gboolean detached;             /* freed by its owner: callbacks no longer run */

  /* GUI thread */
  RunnerState state;
  GThread *thread;
  guint16 ports[MS_LAB_N_SERVICES];
  MsLabPortKind kinds[MS_LAB_N_SERVICES];

  /* shared with the worker */
  GMainContext *ctx;
  GMainLoop *loop;
  GMutex lock;                   /* guards pending, flush_source */
  GPtrArray *pending;            /* MsLabLogLine * */
  GSource *flush_source;

  /* worker thread only */
  MsLabRunnerConfig cfg;
  MsLabServer *srv;
  guint16 w_ports[MS_LAB_N_SERVICES];
  MsHubBox *watched;
  char *watch_user, *watch_folder;
  GHashTable *summaries;         /* uid → MsLabMessageInfo (from, subject) of the watched box */
  guint delivered;
};

static MsLabRunner *
runner_ref (MsLabRunner *r)
{
  g_atomic_int_inc (&r->ref);
  return r;
}

static void
runner_unref (MsLabRunner *r)
{
  if (!g_atomic_int_dec_and_test (&r->ref))
    return;
  if (r->pending)
    g_ptr_array_unref (r->pending);
  g_mutex_clear (&r->lock);
  g_main_context_unref (r->gui_ctx);
  g_free (r);
}

/* --- configuration --------------------------------------------------- */

void
ms_lab_runner_config_init (MsLabRunnerConfig *cfg)
{
  memset (cfg, 0, sizeof *cfg);
  cfg->users = g_ptr_array_new_with_free_func (g_free);
  cfg->tls = TRUE;
}

void
ms_lab_runner_config_clear (MsLabRunnerConfig *cfg)
{
  g_free (cfg->data_dir);
  g_free (cfg->seed_dir);
  if (cfg->users)
    g_ptr_array_unref (cfg->users);
  memset (cfg, 0, sizeof *cfg);
}

static void
config_copy (MsLabRunnerConfig *dst, const MsLabRunnerConfig *src)
{
  *dst = *src;
  dst->data_dir = g_strdup (src->data_dir);
  dst->seed_dir = g_strdup (src->seed_dir);
  dst->users = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; src->users && i < src->users->len; i++)
    g_ptr_array_add (dst->users, g_strdup (src->users->pdata[i]));
}

char *
ms_lab_runner_default_data_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), RUNNER_DATA_SUBDIR, NULL);
}

char *
ms_lab_runner_find_samples (void)
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

guint16
ms_lab_runner_standard_port (MsLabService svc)
{
  for (guint i = 0; i < G_N_ELEMENTS (runner_services); i++)
    if (runner_services[i].svc == svc)
      return runner_services[i].standard;
  return 0;
}

guint16
ms_lab_runner_fallback_port (MsLabService svc)
{
  for (guint i = 0; i < G_N_ELEMENTS (runner_services); i++)
    if (runner_services[i].svc == svc)
      return runner_services[i].fallback;
  return 0;
}

/* --- handing results to the GUI thread ----------------------------------- */

typedef struct {
  MsLabRunner *r;
  void (*func) (MsLabRunner *r, gpointer data);
  gpointer data;
  GDestroyNotify free_data;
} Post;

static gboolean
post_dispatch (gpointer data)
{
  Post *p = data;
  if (!p->r->detached)
    p->func (p->r, p->data);
  return G_SOURCE_REMOVE;
}

static void
post_free (gpointer data)
{
  Post *p = data;
  if (p->free_data)
    p->free_data (p->data);
  runner_unref (p->r);
  g_free (p);
}

/* Runs func(r, data) on the GUI thread (unless the runner was freed). */
static void
post (MsLabRunner *r, void (*func) (MsLabRunner *, gpointer), gpointer data,
      GDestroyNotify free_data)
{
  Post *p = g_new0 (Post, 1);
  p->r = runner_ref (r);
  p->func = func;
  p->data = data;
  p->free_data = free_data;
  GSource *src = g_idle_source_new ();
  g_source_set_priority (src, G_PRIORITY_DEFAULT);
  g_source_set_callback (src, post_dispatch, p, post_free);
  g_source_attach (src, r->gui_ctx);
  g_source_unref (src);
}

static void
post_notice (MsLabRunner *r, gpointer data)
{
  if (r->cb.notice)
    r->cb.notice (r, data, r->user_data);
}

/* --- the command log ------------------------------------------------- */

static void
log_line_free (gpointer data)
{
  MsLabLogLine *l = data;
  g_free (l->service);
  g_free (l->peer);
  g_free (l->text);
  g_free (l);
}

static gboolean
flush_log (gpointer data)
{
  MsLabRunner *r = data;
  g_mutex_lock (&r->lock);
  GPtrArray *batch = r->pending;
  r->pending = g_ptr_array_new_with_free_func (log_line_free);
  g_clear_pointer (&r->flush_source, g_source_unref);
  g_mutex_unlock (&r->lock);
  if (!r->detached && r->cb.log && batch->len > 0)
    r->cb.log (r, (MsLabLogLine *const *) batch->pdata, batch->len, r->user_data);
  g_ptr_array_unref (batch);
  return G_SOURCE_REMOVE;
}

/* Called by the server in the worker thread. */
static void
on_server_log (const char *service, const char *peer, char who, const char *text,
               gpointer data)
{
  MsLabRunner *r = data;
  MsLabLogLine *l = g_new0 (MsLabLogLine, 1);
  l->service = g_strdup (service);
  l->peer = g_strdup (peer);
  l->who = who;
  l->text = g_strdup (text);
  l->time = g_get_real_time ();
  g_mutex_lock (&r->lock);
  if (r->pending->len >= RUNNER_MAX_PENDING_LOG)
    g_ptr_array_remove_index (r->pending, 0);
  g_ptr_array_add (r->pending, l);
  if (r->flush_source == NULL)
    {
      r->flush_source = g_timeout_source_new (RUNNER_LOG_FLUSH_MS);
      g_source_set_callback (r->flush_source, flush_log, runner_ref (r),
                             (GDestroyNotify) runner_unref);
      g_source_attach (r->flush_source, r->gui_ctx);
    }
  g_mutex_unlock (&r->lock);
}

/* --- the watched folder (worker) --------------------------------------- */

static void
message_info_free (gpointer data)
{
  MsLabMessageInfo *m = data;
  g_free (m->from);
  g_free (m->subject);
  g_free (m);
}

static void
view_free (gpointer data)
{
  MsLabMailboxView *v = data;
  g_free (v->user);
  g_free (v->folder);
  g_strfreev (v->folders);
  if (v->messages)
    g_ptr_array_unref (v->messages);
  g_free (v->error);
  g_free (v);
}

/* A snapshot of the watched folder for the GUI. */
static MsLabMailboxView *
snapshot (MsLabRunner *r)
{
  MsLabMailboxView *v = g_new0 (MsLabMailboxView, 1);
  v->user = g_strdup (r->watch_user);
  v->folder = g_strdup (r->watch_folder);
  v->messages = g_ptr_array_new_with_free_func (message_info_free);
  g_autoptr (GError) error = NULL;
  MsMaildir *md = r->srv ? ms_lab_server_maildir (r->srv, r->watch_user, &error) : NULL;
  if (md)
    {
      GPtrArray *names = ms_maildir_list (md);
      g_ptr_array_add (names, NULL);
      v->folders = g_strdupv ((char **) names->pdata);
      g_ptr_array_unref (names);
    }
  if (r->watched == NULL)
    {
      v->error = g_strdup (error ? error->message : _("This folder cannot be opened."));
      return v;
    }
  MsMailbox *mb = ms_hub_box_mailbox (r->watched);
  guint n = ms_mailbox_count (mb);
  v->n_total = n;
  GHashTable *seen = g_hash_table_new_full (NULL, NULL, NULL, message_info_free);
  for (guint i = n > RUNNER_MAX_MESSAGES ? n - RUNNER_MAX_MESSAGES : 0; i < n; i++)
    {
      const MsMessage *m = ms_mailbox_get (mb, i);
      gpointer key = GUINT_TO_POINTER (m->uid);
      MsLabMessageInfo *cached = g_hash_table_lookup (r->summaries, key);
      if (cached == NULL)
        {
          cached = g_new0 (MsLabMessageInfo, 1);
          g_autoptr (GBytes) bytes = ms_mailbox_read (mb, m->uid, NULL);
          if (bytes)
            ms_lab_message_summary (bytes, &cached->from, &cached->subject);
        }
      else
        g_hash_table_steal (r->summaries, key);
      g_hash_table_insert (seen, key, cached);
      MsLabMessageInfo *info = g_new0 (MsLabMessageInfo, 1);
      info->uid = m->uid;
      info->flags = m->flags;
      info->size = m->size;
      info->date = m->mtime;
      info->from = g_strdup (cached->from ? cached->from : "");
      info->subject = g_strdup (cached->subject ? cached->subject : "");
      g_ptr_array_add (v->messages, info);
    }
  /* Expunged messages leave the cache with the old table. */
  g_hash_table_unref (r->summaries);
  r->summaries = seen;
  return v;
}

static void
post_mailbox (MsLabRunner *r, gpointer data)
{
  if (r->cb.mailbox)
    r->cb.mailbox (r, data, r->user_data);
}

static void
send_snapshot (MsLabRunner *r)
{
  if (r->watch_user)
    post (r, post_mailbox, snapshot (r), view_free);
}

static void
on_box_changed (gpointer listener)
{
  send_snapshot (listener);
}

static void
unwatch (MsLabRunner *r)
{
  if (r->watched)
    {
      ms_hub_box_unlisten (r->watched, r);
      g_clear_pointer (&r->watched, ms_hub_box_unref);
    }
  g_clear_pointer (&r->watch_user, g_free);
  g_clear_pointer (&r->watch_folder, g_free);
  if (r->summaries)
    g_hash_table_remove_all (r->summaries);
}

static void
watch_now (MsLabRunner *r, const char *user, const char *folder)
{
  unwatch (r);
  if (user == NULL || r->srv == NULL)
    return;
  r->watch_user = g_strdup (user);
  r->watch_folder = g_strdup (folder ? folder : "INBOX");
  MsMaildir *md = ms_lab_server_maildir (r->srv, user, NULL);
  if (md)
    r->watched = ms_mailbox_hub_open (md, r->watch_folder, NULL);
  if (r->watched)
    {
      /* Deliveries by other processes (mailscope-cli deliver) too. */
      ms_hub_box_refresh (r->watched);
      ms_hub_box_listen (r->watched, on_box_changed, r);
    }
  send_snapshot (r);
}

/* --- requests, run in the worker ---------------------------------------- */

typedef struct {
  MsLabRunner *r;
  int op;
  char *a, *b;
  gboolean flag;
} Request;

enum { OP_QUIT, OP_ADD_USER, OP_REMOVE_USER, OP_REQUIRE_TLS, OP_WATCH, OP_DELIVER };

static void
request_free (gpointer data)
{
  Request *q = data;
  g_free (q->a);
  g_free (q->b);
  runner_unref (q->r);
  g_free (q);
}

static void
do_deliver (MsLabRunner *r, const char *user, const char *folder, gboolean attachment)
{
  g_autoptr (GError) error = NULL;
  MsMaildir *md = ms_lab_server_maildir (r->srv, user, &error);
  g_autofree char *path = NULL;
  if (md)
    {
      g_autoptr (GBytes) msg = ms_lab_sample_message (user, ++r->delivered, attachment);
      gsize len;
      const guint8 *data = g_bytes_get_data (msg, &len);
      path = ms_maildir_deliver (md, folder, data, len, &error);
    }
  if (path == NULL)
    {
      post (r, post_notice, g_strdup_printf (_("Could not deliver: %s"), error->message), g_free);
      return;
    }
  /* Sessions watching the folder (IMAP IDLE) hear of it now, not only when
   * the file monitor fires. */
  MsHubBox *box = ms_mailbox_hub_open (md, folder, NULL);
  if (box)
    {
      ms_hub_box_refresh (box);
      ms_hub_box_unref (box);
    }
  ms_lab_server_log_peer (r->srv, "lab", NULL, '-', "delivered a message to %s/%s", user,
                          folder);
  post (r, post_notice, g_strdup_printf (_("Delivered a new message to %s of %s"), folder, user),
        g_free);
}

static gboolean
run_request (gpointer data)
{
  Request *q = data;
  MsLabRunner *r = q->r;
  if (q->op == OP_QUIT)
    {
      g_main_loop_quit (r->loop);
      return G_SOURCE_REMOVE;
    }
  if (r->srv == NULL)
    return G_SOURCE_REMOVE;
  g_autoptr (GError) error = NULL;
  switch (q->op)
    {
    case OP_ADD_USER:
      if (!ms_lab_server_add_user (r->srv, q->a, q->b, &error)
          || ms_lab_server_maildir (r->srv, q->a, &error) == NULL)
        post (r, post_notice, g_strdup (error->message), g_free);
      else
        ms_lab_server_log_peer (r->srv, "lab", NULL, '-', "account added: %s", q->a);
      break;
    case OP_REMOVE_USER:
      if (ms_lab_server_remove_user (r->srv, q->a))
        ms_lab_server_log_peer (r->srv, "lab", NULL, '-', "account removed: %s", q->a);
      if (g_strcmp0 (r->watch_user, q->a) == 0)
        unwatch (r);
      break;
    case OP_REQUIRE_TLS:
      ms_lab_server_set_require_tls (r->srv, q->flag);
      /* The log says from which line on the new rule holds. */
      ms_lab_server_log_peer (r->srv, "lab", NULL, '-', "%s",
                              q->flag ? "require TLS: on (passwords only after STARTTLS or STLS, "
                                        "or on IMAPS and POP3S)"
                                      : "require TLS: off");
      break;
    case OP_WATCH:
      watch_now (r, q->a, q->b);
      break;
    case OP_DELIVER:
      do_deliver (r, q->a, q->b, q->flag);
      break;
    default:
      break;
    }
  return G_SOURCE_REMOVE;
}

static void
request (MsLabRunner *r, int op, const char *a, const char *b, gboolean flag)
{
  if (r->thread == NULL)
    return;
  Request *q = g_new0 (Request, 1);
  q->r = runner_ref (r);
  q->op = op;
  q->a = g_strdup (a);
  q->b = g_strdup (b);
  q->flag = flag;
  /* Always queued, never run at once on this thread (as
   * g_main_context_invoke() would before the worker owns its context). */
  GSource *src = g_idle_source_new ();
  g_source_set_priority (src, G_PRIORITY_DEFAULT);
  g_source_set_callback (src, run_request, q, request_free);
  g_source_attach (src, r->ctx);
  g_source_unref (src);
}

/* --- the worker ---------------------------------------------------------- */

typedef struct {
  guint16 ports[MS_LAB_N_SERVICES];
  GError *error;
} StartResult;

static void
start_result_free (gpointer data)
{
  StartResult *s = data;
  g_clear_error (&s->error);
  g_free (s);
}

static void
post_started (MsLabRunner *r, gpointer data)
{
  StartResult *s = data;
  if (s->error == NULL && r->state == RUNNER_STARTING)
    {
      r->state = RUNNER_RUNNING;
      for (guint i = 0; i < G_N_ELEMENTS (runner_services); i++)
        {
          MsLabService svc = runner_services[i].svc;
          guint16 p = s->ports[svc];
          r->ports[svc] = p;
          r->kinds[svc] = p == 0                              ? MS_LAB_PORT_NONE
                          : p == runner_services[i].standard ? MS_LAB_PORT_STANDARD
                          : p == runner_services[i].fallback ? MS_LAB_PORT_FALLBACK
                                                              : MS_LAB_PORT_OTHER;
        }
    }
  if (r->cb.started)
    r->cb.started (r, s->error, r->user_data);
}

/* After the worker ended: requests still queued and sources the server
 * left behind die with its context. */
static void
join_worker (MsLabRunner *r)
{
  if (r->thread)
    g_thread_join (g_steal_pointer (&r->thread));
  g_clear_pointer (&r->loop, g_main_loop_unref);
  g_clear_pointer (&r->ctx, g_main_context_unref);
}

static void
post_stopped (MsLabRunner *r, gpointer data)
{
  join_worker (r);
  r->state = RUNNER_STOPPED;
  memset (r->ports, 0, sizeof r->ports);
  memset (r->kinds, 0, sizeof r->kinds);
  if (r->cb.stopped)
    r->cb.stopped (r, r->user_data);
}

/* Standard port, else the fallback, else any free one (another lab may hold
 * both). 0 when the service cannot listen at all. */
static guint16
listen_one (MsLabServer *srv, guint i, GError **error)
{
  guint16 tries[] = { runner_services[i].standard, runner_services[i].fallback, 0 };
  guint16 port = 0;
  for (guint k = 0; k < G_N_ELEMENTS (tries) && port == 0; k++)
    {
      g_clear_error (error);
      g_autofree char *spec = g_strdup_printf (MS_LAB_RUNNER_HOST ":%u", tries[k]);
      port = ms_lab_server_listen (srv, runner_services[i].svc, spec, error);
    }
  return port;
}

static gboolean
start_server (MsLabRunner *r, StartResult *res)
{
  MsLabConfig cfg;
  ms_lab_config_init (&cfg);
  cfg.data_dir = g_strdup (r->cfg.data_dir);
  cfg.seed_dir = g_strdup (r->cfg.seed_dir);
  for (guint i = 0; i < r->cfg.users->len; i++)
    g_ptr_array_add (cfg.users, g_strdup (r->cfg.users->pdata[i]));
  cfg.require_tls = r->cfg.require_tls;
  r->srv = ms_lab_server_new (&cfg, &res->error);
  ms_lab_config_clear (&cfg);
  if (r->srv == NULL)
    return FALSE;
  ms_lab_server_set_starttls (r->srv, r->cfg.tls);
  /* Every account's Maildir exists from the start, ready for deliveries. */
  g_auto (GStrv) names = ms_lab_server_user_names (r->srv);
  for (guint i = 0; names[i]; i++)
    if (ms_lab_server_maildir (r->srv, names[i], &res->error) == NULL)
      return FALSE;
  guint started = 0;
  for (guint i = 0; i < G_N_ELEMENTS (runner_services); i++)
    {
      MsLabService svc = runner_services[i].svc;
      if (!r->cfg.tls && (svc == MS_LAB_IMAPS || svc == MS_LAB_POP3S))
        continue;
      g_autoptr (GError) error = NULL;
      res->ports[svc] = listen_one (r->srv, i, &error);
      if (res->ports[svc])
        started++;
      else
        g_warning ("lab panel: no %s listener: %s", ms_lab_service_name (svc), error->message);
    }
  if (started == 0)
    {
      g_set_error (&res->error, G_IO_ERROR, G_IO_ERROR_FAILED, _("no service could be started"));
      return FALSE;
    }
  ms_lab_server_set_log (r->srv, on_server_log, r);
  return TRUE;
}

static gpointer
worker_main (gpointer data)
{
  MsLabRunner *r = data;
  g_main_context_push_thread_default (r->ctx);
  r->summaries = g_hash_table_new_full (NULL, NULL, NULL, message_info_free);
  StartResult *res = g_new0 (StartResult, 1);
  gboolean ok = start_server (r, res);
  post (r, post_started, res, start_result_free);
  if (ok)
    g_main_loop_run (r->loop);
  unwatch (r);
  g_clear_pointer (&r->summaries, g_hash_table_unref);
  g_clear_pointer (&r->srv, ms_lab_server_free);
  g_main_context_pop_thread_default (r->ctx);
  ms_lab_runner_config_clear (&r->cfg);
  post (r, post_stopped, NULL, NULL);
  runner_unref (r);
  return NULL;
}

/* --- public API (GUI thread) --------------------------------------------- */

MsLabRunner *
ms_lab_runner_new (const MsLabRunnerCallbacks *callbacks, gpointer user_data)
{
  MsLabRunner *r = g_new0 (MsLabRunner, 1);
  r->ref = 1;
  r->gui_ctx = g_main_context_ref_thread_default ();
  r->cb = *callbacks;
  r->user_data = user_data;
  g_mutex_init (&r->lock);
  r->pending = g_ptr_array_new_with_free_func (log_line_free);
  return r;
}

void
ms_lab_runner_free (MsLabRunner *r)
{
  if (r == NULL)
    return;
  r->detached = TRUE;
  if (r->thread)
    {
      request (r, OP_QUIT, NULL, NULL, FALSE);
      join_worker (r);
    }
  g_mutex_lock (&r->lock);
  if (r->flush_source)
    {
      g_source_destroy (r->flush_source);
      g_clear_pointer (&r->flush_source, g_source_unref);
    }
  g_mutex_unlock (&r->lock);
  runner_unref (r);
}

gboolean
ms_lab_runner_start (MsLabRunner *r, const MsLabRunnerConfig *cfg)
{
  if (r->thread != NULL)
    return FALSE;
  config_copy (&r->cfg, cfg);
  r->ctx = g_main_context_new ();
  r->loop = g_main_loop_new (r->ctx, FALSE);
  r->state = RUNNER_STARTING;
  r->thread = g_thread_new ("lab-panel-server", worker_main, runner_ref (r));
  return TRUE;
}

void
ms_lab_runner_stop (MsLabRunner *r)
{
  if (r->thread == NULL || r->state == RUNNER_STOPPING)
    return;
  r->state = RUNNER_STOPPING;
  request (r, OP_QUIT, NULL, NULL, FALSE);
}

gboolean
ms_lab_runner_is_running (MsLabRunner *r)
{
  return r->state == RUNNER_RUNNING;
}

gboolean
ms_lab_runner_is_busy (MsLabRunner *r)
{
  return r->thread != NULL;
}

guint16
ms_lab_runner_port (MsLabRunner *r, MsLabService svc, MsLabPortKind *kind)
{
  if ((guint) svc >= MS_LAB_N_SERVICES)
    return 0;
  if (kind)
    *kind = r->kinds[svc];
  return r->ports[svc];
}

void
ms_lab_runner_add_user (MsLabRunner *r, const char *name, const char *password)
{
  request (r, OP_ADD_USER, name, password, FALSE);
}

void
ms_lab_runner_remove_user (MsLabRunner *r, const char *name)
{
  request (r, OP_REMOVE_USER, name, NULL, FALSE);
}

void
ms_lab_runner_set_require_tls (MsLabRunner *r, gboolean require)
{
  request (r, OP_REQUIRE_TLS, NULL, NULL, require);
}

void
ms_lab_runner_watch (MsLabRunner *r, const char *user, const char *folder)
{
  request (r, OP_WATCH, user, folder, FALSE);
}

void
ms_lab_runner_deliver (MsLabRunner *r, const char *user, const char *folder,
                       gboolean attachment)
{
  request (r, OP_DELIVER, user, folder, attachment);
}
