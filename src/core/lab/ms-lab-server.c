/* ms-lab-server.c - listeners, accounts, limits and the command log of the
 * lab servers. Protocol sessions live in ms-*-server.c. */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "ms-lab-server.h"
#include "ms-lab-source.h"
#include "ms-lab-tls.h"

typedef struct {
  MsLabServer *srv;
  MsLabService svc;
  MsLabConn *conn;
  char *ip;
  gboolean authenticated;
  gint64 last_input;         /* monotonic µs, for the idle timeouts */
  gboolean timed_out;        /* told so, closing */
  gboolean tls_logged;       /* the handshake's outcome is in the log */
  const MsLabSessionOps *inner_ops;
  gpointer inner;
} Tracked;

struct _MsLabServer {
  MsLabConfig cfg;
  GHashTable *passwords;     /* user → password */
  GHashTable *maildirs;      /* user → MsMaildir */
  GHashTable *pop3_locks;    /* user set */
  GHashTable *per_address;   /* ip → count */
  guint n_connections;
  guint n_unauthenticated;
  GHashTable *tracked;       /* conn → Tracked */
  SSL_CTX *ssl_ctx;
  GSocketService *services[MS_LAB_N_SERVICES];
  guint16 ports[MS_LAB_N_SERVICES];        /* the first listener's */
  GPtrArray *addresses[MS_LAB_N_SERVICES]; /* GInetAddress of every listener */
  MsLabLogFunc log_func;
  gpointer log_data;
  gpointer dns;              /* owned by ms-dns-server.c */
  guint idle_timer;
  gboolean no_starttls;      /* plain listeners offer no STARTTLS/STLS */
};

static const char *const service_names[MS_LAB_N_SERVICES] = {
  [MS_LAB_IMAP] = "imap",
  [MS_LAB_IMAPS] = "imaps",
  [MS_LAB_POP3] = "pop3",
  [MS_LAB_POP3S] = "pop3s",
  [MS_LAB_DNS] = "dns",
};

const char *
ms_lab_service_name (MsLabService svc)
{
  return (guint) svc < MS_LAB_N_SERVICES ? service_names[svc] : "";
}

/* IMAP joins this table when its session exists. */
static const MsLabProtocol *
protocol_for (MsLabService svc)
{
  switch (svc)
    {
    case MS_LAB_POP3:
    case MS_LAB_POP3S:
      return &ms_pop3_server_protocol;
    case MS_LAB_DNS:
      return &ms_dns_tcp_protocol;
    case MS_LAB_IMAP:
    case MS_LAB_IMAPS:
      return &ms_imap_server_protocol;
    case MS_LAB_N_SERVICES:
    default:
      return NULL;
    }
}

static gboolean check_idle (gpointer data);

/* --- configuration --------------------------------------------------- */

void
ms_lab_config_init (MsLabConfig *cfg)
{
  memset (cfg, 0, sizeof *cfg);
  cfg->users = g_ptr_array_new_with_free_func (g_free);
  cfg->failed_login_delay_ms = MS_LAB_FAILED_LOGIN_DELAY_MS;
  cfg->max_connections = MS_LAB_MAX_CONNECTIONS;
  cfg->max_per_address = MS_LAB_MAX_PER_ADDRESS;
  cfg->max_unauthenticated = MS_LAB_MAX_UNAUTHENTICATED;
  cfg->login_timeout_s = MS_LAB_LOGIN_TIMEOUT_S;
  cfg->idle_timeout_s = MS_LAB_IDLE_TIMEOUT_S;
}

void
ms_lab_config_clear (MsLabConfig *cfg)
{
  g_free (cfg->data_dir);
  g_free (cfg->seed_dir);
  g_free (cfg->cert_path);
  g_free (cfg->key_path);
  g_free (cfg->keylog_path);
  if (cfg->users)
    g_ptr_array_unref (cfg->users);
  memset (cfg, 0, sizeof *cfg);
}

static void
copy_config (MsLabConfig *dst, const MsLabConfig *src)
{
  *dst = *src;
  dst->data_dir = g_strdup (src->data_dir);
  dst->seed_dir = g_strdup (src->seed_dir);
  dst->cert_path = g_strdup (src->cert_path);
  dst->key_path = g_strdup (src->key_path);
  dst->keylog_path = g_strdup (src->keylog_path);
  dst->users = g_ptr_array_new_with_free_func (g_free);
  if (src->users)
    for (guint i = 0; i < src->users->len; i++)
      g_ptr_array_add (dst->users, g_strdup (src->users->pdata[i]));
}

/* --- the server ------------------------------------------------------ */

MsLabServer *
ms_lab_server_new (const MsLabConfig *cfg, GError **error)
{
  if (cfg->data_dir == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("no data directory given"));
      return NULL;
    }
  MsLabServer *srv = g_new0 (MsLabServer, 1);
  copy_config (&srv->cfg, cfg);
  srv->passwords = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  srv->maildirs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) ms_maildir_free);
  srv->pop3_locks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  srv->per_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  srv->tracked = g_hash_table_new (NULL, NULL);

  if (srv->cfg.users->len == 0)
    g_ptr_array_add (srv->cfg.users, g_strdup ("student:classroom"));
  for (guint i = 0; i < srv->cfg.users->len; i++)
    {
      const char *spec = srv->cfg.users->pdata[i];
      const char *colon = strchr (spec, ':');
      g_autofree char *name = colon ? g_strndup (spec, (gsize) (colon - spec)) : NULL;
      if (colon == NULL || colon[1] == '\0' || !ms_lab_user_name_ok (name))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("--user expects NAME:PASSWORD with a plain name, not “%s”"), spec);
          ms_lab_server_free (srv);
          return NULL;
        }
      g_hash_table_replace (srv->passwords, g_steal_pointer (&name), g_strdup (colon + 1));
    }

  g_autofree char *cert = g_strdup (srv->cfg.cert_path);
  g_autofree char *key = g_strdup (srv->cfg.key_path);
  if (cert == NULL || key == NULL)
    {
      g_clear_pointer (&cert, g_free);
      g_clear_pointer (&key, g_free);
      g_autofree char *tls_dir = g_build_filename (srv->cfg.data_dir, MS_LAB_TLS_SUBDIR, NULL);
      if (!ms_lab_tls_ensure_cert (tls_dir, &cert, &key, error))
        {
          ms_lab_server_free (srv);
          return NULL;
        }
    }
  srv->ssl_ctx = ms_lab_tls_server_context (cert, key, srv->cfg.keylog_path, error);
  if (srv->ssl_ctx == NULL)
    {
      ms_lab_server_free (srv);
      return NULL;
    }
  guint check = MIN (MS_LAB_IDLE_CHECK_S, MIN (srv->cfg.login_timeout_s, srv->cfg.idle_timeout_s));
  srv->idle_timer = ms_lab_timeout_add_seconds (MAX (check, 1), check_idle, srv);
  return srv;
}

void
ms_lab_server_free (MsLabServer *srv)
{
  if (srv == NULL)
    return;
  for (guint i = 0; i < MS_LAB_N_SERVICES; i++)
    if (srv->services[i])
      {
        g_socket_service_stop (srv->services[i]);
        g_socket_listener_close (G_SOCKET_LISTENER (srv->services[i]));
        g_object_unref (srv->services[i]);
      }
  if (srv->idle_timer)
    ms_lab_source_remove (srv->idle_timer);
  /* Sessions still open end now, while the server they use still exists. */
  if (srv->tracked)
    {
      GList *conns = g_hash_table_get_keys (srv->tracked);
      for (GList *l = conns; l; l = l->next)
        ms_lab_conn_ref (l->data);
      for (GList *l = conns; l; l = l->next)
        {
          ms_lab_conn_abort (l->data);
          ms_lab_conn_unref (l->data);
        }
      g_list_free (conns);
      g_hash_table_unref (srv->tracked);
    }
  ms_dns_server_stop_all (srv);
  for (guint i = 0; i < MS_LAB_N_SERVICES; i++)
    g_clear_pointer (&srv->addresses[i], g_ptr_array_unref);
  if (srv->ssl_ctx)
    SSL_CTX_free (srv->ssl_ctx);
  g_clear_pointer (&srv->passwords, g_hash_table_unref);
  g_clear_pointer (&srv->maildirs, g_hash_table_unref);
  g_clear_pointer (&srv->pop3_locks, g_hash_table_unref);
  g_clear_pointer (&srv->per_address, g_hash_table_unref);
  ms_lab_config_clear (&srv->cfg);
  g_free (srv);
}

void
ms_lab_server_set_log (MsLabServer *srv, MsLabLogFunc func, gpointer data)
{
  srv->log_func = func;
  srv->log_data = data;
}

const MsLabConfig *
ms_lab_server_config (MsLabServer *srv)
{
  return &srv->cfg;
}

SSL_CTX *
ms_lab_server_ssl_ctx (MsLabServer *srv)
{
  return srv->ssl_ctx;
}

void
ms_lab_server_log (MsLabServer *srv, const char *service, MsLabConn *conn, char who,
                   const char *fmt, ...)
{
  if (srv == NULL || srv->log_func == NULL)
    return;
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *text = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  srv->log_func (service, conn ? ms_lab_conn_peer (conn) : "-", who, text, srv->log_data);
}

void
ms_lab_server_log_peer (MsLabServer *srv, const char *service, const char *peer, char who,
                        const char *fmt, ...)
{
  if (srv == NULL || srv->log_func == NULL)
    return;
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *text = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  srv->log_func (service, peer ? peer : "-", who, text, srv->log_data);
}

gboolean
ms_lab_server_check_password (MsLabServer *srv, const char *user, const char *password)
{
  const char *want = ms_lab_server_password (srv, user);
  if (want == NULL || password == NULL)
    return FALSE;
  /* Compare every byte whatever the first difference: no timing hint. */
  gsize a = strlen (want), b = strlen (password);
  guint diff = (guint) (a ^ b);
  for (gsize i = 0; i < b; i++)
    diff |= (guint) ((guchar) password[i] ^ (guchar) want[i % (a ? a : 1)]);
  return diff == 0;
}

const char *
ms_lab_server_password (MsLabServer *srv, const char *user)
{
  return user ? g_hash_table_lookup (srv->passwords, user) : NULL;
}

MsMaildir *
ms_lab_server_maildir (MsLabServer *srv, const char *user, GError **error)
{
  MsMaildir *md = g_hash_table_lookup (srv->maildirs, user);
  if (md)
    return md;
  if (!g_hash_table_contains (srv->passwords, user))
    {
      g_set_error (error, MS_MAILDIR_ERROR, MS_MAILDIR_ERROR_NOT_FOUND, _("no user “%s”"), user);
      return NULL;
    }
  g_autofree char *root = g_build_filename (srv->cfg.data_dir, user, NULL);
  if (srv->cfg.seed_dir)
    {
      /* Every account starts with a mailbox to look at: its own sample
       * if there is one, otherwise the sample student's. */
      g_autofree char *seed = g_build_filename (srv->cfg.seed_dir, user, NULL);
      if (!g_file_test (seed, G_FILE_TEST_IS_DIR))
        {
          g_free (seed);
          seed = g_build_filename (srv->cfg.seed_dir, MS_LAB_SEED_USER, NULL);
        }
      if (g_file_test (seed, G_FILE_TEST_IS_DIR) && !ms_maildir_seed (seed, root, error))
        return NULL;
    }
  md = ms_maildir_open (root, error);
  if (md)
    g_hash_table_insert (srv->maildirs, g_strdup (user), md);
  return md;
}

gboolean
ms_lab_server_plaintext_ok (MsLabServer *srv, MsLabConn *conn, const char **why)
{
  if (ms_lab_conn_is_tls (conn))
    return TRUE;
  if (srv->cfg.require_tls)
    {
      *why = _("this server requires TLS before any password: use STARTTLS (IMAP) or STLS "
               "(POP3) first");
      return FALSE;
    }
  if (!ms_lab_conn_is_loopback (conn) && !srv->cfg.allow_plaintext)
    {
      *why = _("a password in clear text would cross a real network here; use TLS, or start "
               "the server with --allow-plaintext for a closed classroom network");
      return FALSE;
    }
  return TRUE;
}

gboolean
ms_lab_server_pop3_lock (MsLabServer *srv, const char *user)
{
  if (g_hash_table_contains (srv->pop3_locks, user))
    return FALSE;
  g_hash_table_add (srv->pop3_locks, g_strdup (user));
  return TRUE;
}

void
ms_lab_server_pop3_unlock (MsLabServer *srv, const char *user)
{
  if (srv)
    g_hash_table_remove (srv->pop3_locks, user);
}

/* --- connection accounting ------------------------------------------- */

static void
tracked_input (gpointer data, const guint8 *bytes, gsize len)
{
  Tracked *t = data;
  t->last_input = g_get_monotonic_time ();
  if (!t->tls_logged && t->srv)
    {
      /* Input after TLS started comes through a finished handshake. */
      g_autofree char *summary = ms_lab_conn_tls_summary (t->conn);
      if (summary)
        {
          t->tls_logged = TRUE;
          ms_lab_server_log (t->srv, ms_lab_service_name (t->svc), t->conn, '-',
                             "TLS established: %s", summary);
        }
    }
  t->inner_ops->input (t->inner, bytes, len);
}

static void
tracked_closed (gpointer data)
{
  Tracked *t = data;
  t->inner_ops->closed (t->inner);
  MsLabServer *srv = t->srv;
  if (srv)
    {
      srv->n_connections--;
      if (!t->authenticated)
        srv->n_unauthenticated--;
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (srv->per_address, t->ip));
      if (n <= 1)
        g_hash_table_remove (srv->per_address, t->ip);
      else
        g_hash_table_insert (srv->per_address, g_strdup (t->ip), GUINT_TO_POINTER (n - 1));
      g_hash_table_remove (srv->tracked, t->conn);
    }
  g_free (t->ip);
  g_free (t);
}

static const MsLabSessionOps tracked_ops = {
  .input = tracked_input,
  .closed = tracked_closed,
};

void
ms_lab_server_authenticated (MsLabServer *srv, MsLabConn *conn)
{
  Tracked *t = g_hash_table_lookup (srv->tracked, conn);
  if (t && !t->authenticated)
    {
      t->authenticated = TRUE;
      srv->n_unauthenticated--;
    }
}

/* Ends sessions that have been silent too long: before login they hold a
 * place under the pre-login limit, after it a maildrop lock or memory. */
static gboolean
check_idle (gpointer data)
{
  MsLabServer *srv = data;
  gint64 now = g_get_monotonic_time ();
  GPtrArray *stale = g_ptr_array_new ();
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, srv->tracked);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      Tracked *t = value;
      gint64 limit = (gint64) (t->authenticated ? srv->cfg.idle_timeout_s
                                                : srv->cfg.login_timeout_s)
                     * G_USEC_PER_SEC;
      if (now - t->last_input > limit)
        g_ptr_array_add (stale, ms_lab_conn_ref (t->conn));
    }
  for (guint i = 0; i < stale->len; i++)
    {
      MsLabConn *conn = stale->pdata[i];
      Tracked *t = g_hash_table_lookup (srv->tracked, conn);
      if (t && t->timed_out)
        {
          /* The farewell could not even be sent: a reader that stopped. */
          ms_lab_conn_abort (conn);
          ms_lab_conn_unref (conn);
          continue;
        }
      if (t)
        {
          const char *why = _("no command for too long; closing");
          t->timed_out = TRUE;
          ms_lab_server_log (srv, ms_lab_service_name (t->svc), conn, '-', "%s", why);
          if (t->svc == MS_LAB_POP3 || t->svc == MS_LAB_POP3S)
            ms_lab_conn_printf (conn, "-ERR %s\r\n", why);
          else if (t->svc != MS_LAB_DNS)
            ms_lab_conn_printf (conn, "* BYE %s\r\n", why);
        }
      /* The farewell is flushed; the session hears closed() from the loop. */
      ms_lab_conn_close (conn);
      ms_lab_conn_unref (conn);
    }
  g_ptr_array_unref (stale);
  return G_SOURCE_CONTINUE;
}

/* Refuses a connection over a limit with a line the client can show. */
static gboolean
over_limit (MsLabServer *srv, MsLabService svc, MsLabConn *conn)
{
  const char *why = NULL;
  guint per_ip = GPOINTER_TO_UINT (g_hash_table_lookup (srv->per_address,
                                                        ms_lab_conn_peer_ip (conn)));
  if (srv->n_connections >= srv->cfg.max_connections)
    why = _("too many connections to the lab server");
  else if (per_ip >= srv->cfg.max_per_address)
    why = _("too many connections from your address");
  else if (srv->n_unauthenticated >= srv->cfg.max_unauthenticated)
    why = _("too many connections waiting to log in");
  if (why == NULL)
    return FALSE;
  gboolean pop = svc == MS_LAB_POP3 || svc == MS_LAB_POP3S;
  ms_lab_server_log (srv, ms_lab_service_name (svc), conn, '-', "refused: %s", why);
  if (svc == MS_LAB_DNS)
    ;   /* DNS has no line to say it in; the close says it */
  else if (pop)
    ms_lab_conn_printf (conn, "-ERR [SYS/TEMP] %s\r\n", why);
  else
    ms_lab_conn_printf (conn, "* BYE [UNAVAILABLE] %s\r\n", why);
  return TRUE;
}

static void
refused_input (gpointer s, const guint8 *d, gsize l)
{
}

static void
refused_closed (gpointer s)
{
}

void
ms_lab_server_adopt (MsLabServer *srv, MsLabService svc, MsLabConn *conn)
{
  static const MsLabSessionOps discard = { refused_input, refused_closed };
  const MsLabProtocol *proto = protocol_for (svc);
  ms_lab_conn_ref (conn);
  if (proto == NULL || over_limit (srv, svc, conn))
    {
      ms_lab_conn_attach (conn, &discard, NULL);
      ms_lab_conn_close (conn);
      ms_lab_conn_unref (conn);
      return;
    }
  Tracked *t = g_new0 (Tracked, 1);
  t->srv = srv;
  t->svc = svc;
  t->conn = conn;
  t->ip = g_strdup (ms_lab_conn_peer_ip (conn));
  t->inner_ops = proto->ops;
  t->last_input = g_get_monotonic_time ();
  srv->n_connections++;
  srv->n_unauthenticated++;
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (srv->per_address, t->ip));
  g_hash_table_insert (srv->per_address, g_strdup (t->ip), GUINT_TO_POINTER (n + 1));
  g_hash_table_insert (srv->tracked, conn, t);
  ms_lab_server_log (srv, ms_lab_service_name (svc), conn, '-', "connected%s",
                     ms_lab_conn_is_tls (conn) ? " (TLS)" : "");
  /* The session greets before it is attached: the greeting is queued and
   * goes out when attach starts the connection. */
  gboolean tls = svc == MS_LAB_IMAPS || svc == MS_LAB_POP3S;
  t->inner = proto->create (srv, conn, tls);
  ms_lab_conn_attach (conn, &tracked_ops, t);
  ms_lab_conn_unref (conn);
}

/* --- listeners ------------------------------------------------------- */

typedef struct {
  MsLabServer *srv;
  MsLabService svc;
} Listener;

static gboolean
on_incoming (GSocketService *service, GSocketConnection *sc, GObject *source, gpointer data)
{
  Listener *l = data;
  gboolean tls = l->svc == MS_LAB_IMAPS || l->svc == MS_LAB_POP3S;
  /* Without a context a plain connection cannot switch to TLS, and the
   * sessions then do not offer it. */
  SSL_CTX *ctx = tls || !l->srv->no_starttls ? l->srv->ssl_ctx : NULL;
  MsLabConn *conn = ms_lab_conn_new_socket (sc, ctx, tls);
  ms_lab_server_adopt (l->srv, l->svc, conn);
  return TRUE;
}

static GInetSocketAddress *
parse_addr (const char *addr_port, GError **error)
{
  g_autofree char *host = NULL;
  guint16 port = 0;
  GSocketConnectable *c = g_network_address_parse (addr_port, 0, error);
  if (c == NULL)
    return NULL;
  host = g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (c)));
  port = g_network_address_get_port (G_NETWORK_ADDRESS (c));
  g_object_unref (c);
  GInetAddress *ia = g_inet_address_new_from_string (host);
  if (ia == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not ADDRESS:PORT with a numeric address"), addr_port);
      return NULL;
    }
  GSocketAddress *sa = g_inet_socket_address_new (ia, port);
  g_object_unref (ia);
  return G_INET_SOCKET_ADDRESS (sa);
}

/* Keeps what DNS answers need: the first port (SRV) and every address. */
static void
remember_listener (MsLabServer *srv, MsLabService svc, GInetSocketAddress *addr, guint16 port)
{
  if (srv->ports[svc] == 0)
    srv->ports[svc] = port;
  if (srv->addresses[svc] == NULL)
    srv->addresses[svc] = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (srv->addresses[svc], g_object_ref (g_inet_socket_address_get_address (addr)));
}

guint16
ms_lab_server_listen (MsLabServer *srv, MsLabService svc, const char *addr_port, GError **error)
{
  g_autoptr (GInetSocketAddress) addr = parse_addr (addr_port, error);
  if (addr == NULL)
    return 0;
  if (svc == MS_LAB_DNS)
    {
      guint16 bound = 0;
      if (!ms_dns_server_start (srv, addr, &bound, error))
        return 0;
      remember_listener (srv, svc, addr, bound);
      return bound;
    }
  if (protocol_for (svc) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("the %s service is not available in this build"), ms_lab_service_name (svc));
      return 0;
    }
  if (srv->services[svc] == NULL)
    {
      srv->services[svc] = g_socket_service_new ();
      /* A class connecting at once overflows GLib's default queue of 10,
       * and every overflow costs the client a one-second SYN retry. */
      g_socket_listener_set_backlog (G_SOCKET_LISTENER (srv->services[svc]), MS_LAB_LISTEN_BACKLOG);
      Listener *l = g_new0 (Listener, 1);
      l->srv = srv;
      l->svc = svc;
      g_signal_connect_data (srv->services[svc], "incoming", G_CALLBACK (on_incoming), l,
                             (GClosureNotify) (void (*) (void)) g_free, 0);
    }
  g_autoptr (GSocketAddress) effective = NULL;
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (srv->services[svc]),
                                      G_SOCKET_ADDRESS (addr), G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL, &effective, error))
    return 0;
  guint16 port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  remember_listener (srv, svc, addr, port);
  g_socket_service_start (srv->services[svc]);
  return port;
}

guint16
ms_lab_server_port (MsLabServer *srv, MsLabService svc)
{
  return srv->ports[svc];
}

GPtrArray *
ms_lab_server_addresses (MsLabServer *srv, MsLabService svc)
{
  return srv->addresses[svc];
}

gpointer *
ms_lab_server_dns_slot (MsLabServer *srv)
{
  return &srv->dns;
}

/* --- changes while running ------------------------------------------- */

gboolean
ms_lab_user_name_ok (const char *name)
{
  return name != NULL && ms_maildir_name_ok (name) && strchr (name, '.') == NULL
         && strchr (name, ':') == NULL && strcmp (name, MS_LAB_TLS_SUBDIR) != 0;
}

/* Index of the user's "name:password" in cfg.users, or -1. */
static gint
find_user_spec (MsLabServer *srv, const char *name)
{
  gsize len = strlen (name);
  for (guint i = 0; i < srv->cfg.users->len; i++)
    {
      const char *spec = srv->cfg.users->pdata[i];
      if (strncmp (spec, name, len) == 0 && spec[len] == ':')
        return (gint) i;
    }
  return -1;
}

gboolean
ms_lab_server_add_user (MsLabServer *srv, const char *name, const char *password,
                        GError **error)
{
  if (!ms_lab_user_name_ok (name))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a plain user name"), name ? name : "");
      return FALSE;
    }
  if (password == NULL || password[0] == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("the account “%s” needs a password"), name);
      return FALSE;
    }
  if (g_hash_table_contains (srv->passwords, name))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, _("the account “%s” already exists"),
                   name);
      return FALSE;
    }
  g_hash_table_replace (srv->passwords, g_strdup (name), g_strdup (password));
  g_ptr_array_add (srv->cfg.users, g_strdup_printf ("%s:%s", name, password));
  return TRUE;
}

gboolean
ms_lab_server_remove_user (MsLabServer *srv, const char *name)
{
  if (name == NULL || !g_hash_table_remove (srv->passwords, name))
    return FALSE;
  gint i = find_user_spec (srv, name);
  if (i >= 0)
    g_ptr_array_remove_index (srv->cfg.users, (guint) i);
  return TRUE;
}

GStrv
ms_lab_server_user_names (MsLabServer *srv)
{
  GStrvBuilder *b = g_strv_builder_new ();
  for (guint i = 0; i < srv->cfg.users->len; i++)
    {
      const char *spec = srv->cfg.users->pdata[i];
      g_autofree char *name = g_strndup (spec, (gsize) (strchr (spec, ':') - spec));
      g_strv_builder_add (b, name);
    }
  GStrv names = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return names;
}

void
ms_lab_server_set_require_tls (MsLabServer *srv, gboolean require)
{
  srv->cfg.require_tls = require;
}

void
ms_lab_server_set_starttls (MsLabServer *srv, gboolean offer)
{
  srv->no_starttls = !offer;
}
