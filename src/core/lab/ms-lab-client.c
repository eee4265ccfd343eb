/* ms-lab-client.c - the lab clients' engine: a worker thread with blocking
 * sockets, TLS through OpenSSL memory BIOs (so every wire byte is counted),
 * steps that can wait for the caller, and callbacks delivered in order on the
 * caller's main context. */
#include "config.h"

#include <string.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <glib/gi18n-lib.h>

#include "ms-lab-client-private.h"
#include "ms-lab-tls.h"

/* Bytes read from the socket at once. */
#define READ_CHUNK 16384
/* Resolver wait per attempt: loopback answers in microseconds; a closed
 * port answers "refused" at once. */
#define DNS_TIMEOUT_MS 1500

typedef enum { EV_STEP, EV_LINE, EV_FINISHED } EventKind;

typedef struct {
  EventKind kind;
  MsStep step;
  char who;
  char *text;
} ClientEvent;

/* --- options and report ---------------------------------------------- */

void
ms_lab_client_options_init (MsLabClientOptions *opts)
{
  memset (opts, 0, sizeof *opts);
  opts->proto = MS_PROTO_IMAP;
  opts->tls = MS_LAB_CLIENT_TLS_NONE;
}

void
ms_lab_client_options_clear (MsLabClientOptions *opts)
{
  g_free (opts->server);
  g_free (opts->user);
  g_free (opts->password);
  g_free (opts->dns);
  g_free (opts->ca_path);
  g_free (opts->keylog_path);
  memset (opts, 0, sizeof *opts);
}

static void
options_copy (MsLabClientOptions *dst, const MsLabClientOptions *src)
{
  *dst = *src;
  dst->server = g_strdup (src->server);
  dst->user = g_strdup (src->user);
  dst->password = g_strdup (src->password);
  dst->dns = g_strdup (src->dns);
  dst->ca_path = g_strdup (src->ca_path);
  dst->keylog_path = g_strdup (src->keylog_path);
}

static void
report_clear (MsLabClientReport *r)
{
  g_free (r->server_name);
  g_free (r->server_address);
  g_free (r->tls_version);
  g_free (r->tls_cipher);
  if (r->message_sizes)
    g_array_unref (r->message_sizes);
  memset (r, 0, sizeof *r);
}

char *
ms_lab_client_format_count (guint64 n)
{
  char digits[32];
  g_snprintf (digits, sizeof digits, "%" G_GUINT64_FORMAT, n);
  gsize len = strlen (digits);
  GString *s = g_string_new (NULL);
  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append_c (s, ',');
      g_string_append_c (s, digits[i]);
    }
  return g_string_free (s, FALSE);
}

char *
ms_lab_client_printable (const char *s, gsize len)
{
  gboolean cut = len > MS_LAB_CLIENT_SHOW_LINE;
  gsize n = cut ? MS_LAB_CLIENT_SHOW_LINE : len;
  char *copy = g_malloc (n + 1);
  for (gsize i = 0; i < n; i++)
    {
      guchar ch = (guchar) s[i];
      copy[i] = (ch < 0x20 && ch != '\t') || ch == 0x7F ? '?' : (char) ch;
    }
  copy[n] = '\0';
  char *valid = g_utf8_make_valid (copy, (gssize) n);
  g_free (copy);
  if (!cut)
    return valid;
  char *r = g_strconcat (valid, "…", NULL);
  g_free (valid);
  return r;
}

/* --- events to the caller's context --------------------------------- */

static MsLabClient *
client_ref (MsLabClient *c)
{
  g_atomic_int_inc (&c->ref);
  return c;
}

static void
event_free (ClientEvent *ev)
{
  g_free (ev->text);
  g_free (ev);
}

static void
client_unref (MsLabClient *c)
{
  if (!g_atomic_int_dec_and_test (&c->ref))
    return;
  g_queue_clear_full (&c->events, (GDestroyNotify) event_free);
  g_mutex_clear (&c->lock);
  g_cond_clear (&c->cond);
  g_clear_object (&c->cancellable);
  if (c->context)
    g_main_context_unref (c->context);
  report_clear (&c->report);
  g_clear_error (&c->error);
  ms_lab_client_options_clear (&c->opts);
  g_free (c);
}

/* Dispatches every queued event; runs on the caller's context. */
static gboolean
drain_events (gpointer data)
{
  MsLabClient *c = data;
  for (;;)
    {
      g_mutex_lock (&c->lock);
      ClientEvent *ev = c->disposed ? NULL : g_queue_pop_head (&c->events);
      if (ev == NULL)
        c->drain_scheduled = FALSE;
      g_mutex_unlock (&c->lock);
      if (ev == NULL)
        break;
      switch (ev->kind)
        {
        case EV_STEP:
          if (c->cb.step_ready)
            c->cb.step_ready (c, ev->step, ev->text, c->user_data);
          break;
        case EV_LINE:
          if (c->cb.transcript)
            c->cb.transcript (c, ev->who, ev->text, c->user_data);
          break;
        case EV_FINISHED:
          g_mutex_lock (&c->lock);
          c->running = FALSE;
          g_mutex_unlock (&c->lock);
          if (c->cb.finished)
            c->cb.finished (c, &c->report, c->error, c->user_data);
          break;
        }
      event_free (ev);
    }
  return G_SOURCE_REMOVE;
}

/* Queues an event; the caller holds c->lock. */
static void
push_event_locked (MsLabClient *c, EventKind kind, MsStep step, char who, char *text)
{
  ClientEvent *ev = g_new0 (ClientEvent, 1);
  ev->kind = kind;
  ev->step = step;
  ev->who = who;
  ev->text = text;
  g_queue_push_tail (&c->events, ev);
  if (!c->drain_scheduled && !c->disposed)
    {
      c->drain_scheduled = TRUE;
      GSource *src = g_idle_source_new ();
      g_source_set_priority (src, G_PRIORITY_DEFAULT);
      g_source_set_callback (src, drain_events, client_ref (c), (GDestroyNotify) client_unref);
      g_source_attach (src, c->context);
      g_source_unref (src);
    }
}

void
ms_lab_client_say (MsLabClient *c, char who, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *text = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_mutex_lock (&c->lock);
  push_event_locked (c, EV_LINE, MS_STEP_NONE, who, text);
  g_mutex_unlock (&c->lock);
}

gboolean
ms_lab_client_step (MsLabClient *c, MsStep step, GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *text = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_mutex_lock (&c->lock);
  /* `waiting` is set before the caller can see the step, so a next() that
   * answers step_ready() at once is never lost. */
  c->waiting = c->step_mode;
  c->go = FALSE;
  push_event_locked (c, EV_STEP, step, 0, text);
  while (c->waiting && c->step_mode && !c->go && !g_cancellable_is_cancelled (c->cancellable))
    g_cond_wait (&c->cond, &c->lock);
  c->waiting = FALSE;
  g_mutex_unlock (&c->lock);
  return !g_cancellable_set_error_if_cancelled (c->cancellable, error);
}

gboolean
ms_lab_client_sleep_until (MsLabClient *c, gint64 deadline)
{
  g_mutex_lock (&c->lock);
  while (!g_cancellable_is_cancelled (c->cancellable)
         && g_cond_wait_until (&c->cond, &c->lock, deadline))
    ;
  g_mutex_unlock (&c->lock);
  return !g_cancellable_is_cancelled (c->cancellable);
}

/* --- the wire --------------------------------------------------------- */

static gboolean
raw_send (MsLabClient *c, const guint8 *data, gsize len, GError **error)
{
  while (len > 0)
    {
      gssize n = g_socket_send (c->sock, (const char *) data, len, c->cancellable, error);
      if (n < 0)
        return FALSE;
      c->report.bytes_sent += (guint64) n;
      data += n;
      len -= (gsize) n;
    }
  c->awaiting = TRUE;
  return TRUE;
}

/* Receives at most cap bytes; 0 at end of stream, -1 on error or timeout. */
static gssize
raw_recv (MsLabClient *c, guint8 *buf, gsize cap, gint64 deadline, GError **error)
{
  for (;;)
    {
      gint64 left = deadline - g_get_monotonic_time ();
      if (left <= 0)
        left = 1;
      GError *err = NULL;
      if (g_socket_condition_timed_wait (c->sock, G_IO_IN, left, c->cancellable, &err))
        break;
      /* The socket's own timeout may be shorter than the deadline (IDLE). */
      if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
          && g_get_monotonic_time () < deadline)
        {
          g_error_free (err);
          continue;
        }
      g_propagate_error (error, err);
      return -1;
    }
  gssize n = g_socket_receive (c->sock, (char *) buf, cap, c->cancellable, error);
  if (n < 0)
    return -1;
  if (c->awaiting)
    {
      c->report.round_trips++;
      c->awaiting = FALSE;
    }
  c->report.bytes_received += (guint64) n;
  return n;
}

static void
set_ssl_error (GError **error, const char *what)
{
  char buf[256] = "";
  unsigned long e = ERR_get_error ();
  if (e)
    ERR_error_string_n (e, buf, sizeof buf);
  ERR_clear_error ();
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s%s%s", what, buf[0] ? ": " : "", buf);
}

/* Sends whatever OpenSSL has written into the outgoing memory BIO. */
static gboolean
flush_tls (MsLabClient *c, GError **error)
{
  char *p;
  long pending = BIO_get_mem_data (c->wbio, &p);
  if (pending <= 0)
    return TRUE;
  gboolean ok = raw_send (c, (const guint8 *) p, (gsize) pending, error);
  (void) BIO_reset (c->wbio);
  return ok;
}

static void
set_eof_error (GError **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
               _("the server closed the connection"));
}

/* Feeds the incoming memory BIO from the socket. */
static gboolean
feed_tls (MsLabClient *c, gint64 deadline, GError **error)
{
  guint8 buf[READ_CHUNK];
  gssize n = raw_recv (c, buf, sizeof buf, deadline, error);
  if (n < 0)
    return FALSE;
  if (n == 0)
    {
      set_eof_error (error);
      return FALSE;
    }
  BIO_write (c->rbio, buf, (int) n);
  return TRUE;
}

/* Adds received plaintext to inbuf. */
static gboolean
fill (MsLabClient *c, gint64 deadline, GError **error)
{
  guint8 buf[READ_CHUNK];
  if (c->ssl == NULL)
    {
      gssize n = raw_recv (c, buf, sizeof buf, deadline, error);
      if (n < 0)
        return FALSE;
      if (n == 0)
        {
          set_eof_error (error);
          return FALSE;
        }
      g_byte_array_append (c->inbuf, buf, (guint) n);
      return TRUE;
    }
  for (;;)
    {
      int n = SSL_read (c->ssl, buf, sizeof buf);
      if (n > 0)
        {
          g_byte_array_append (c->inbuf, buf, (guint) n);
          return flush_tls (c, error);
        }
      int err = SSL_get_error (c->ssl, n);
      if (err == SSL_ERROR_WANT_READ)
        {
          if (!flush_tls (c, error) || !feed_tls (c, deadline, error))
            return FALSE;
          continue;
        }
      if (err == SSL_ERROR_ZERO_RETURN)
        {
          set_eof_error (error);
          return FALSE;
        }
      set_ssl_error (error, _("TLS error while reading"));
      return FALSE;
    }
}

static gboolean
send_plain (MsLabClient *c, const void *data, gsize len, GError **error)
{
  if (c->ssl == NULL)
    return raw_send (c, data, len, error);
  if (len > 0 && SSL_write (c->ssl, data, (int) len) <= 0)
    {
      set_ssl_error (error, _("TLS error while writing"));
      return FALSE;
    }
  return flush_tls (c, error);
}

gint64
ms_lab_client_deadline (MsLabClient *c)
{
  guint t = c->opts.timeout_seconds ? c->opts.timeout_seconds : MS_LAB_CLIENT_TIMEOUT_S;
  return g_get_monotonic_time () + (gint64) t * G_USEC_PER_SEC;
}

gboolean
ms_lab_client_send_line (MsLabClient *c, const char *line, const char *shown, GError **error)
{
  ms_lab_client_say (c, 'C', "%s", shown ? shown : line);
  c->report.commands++;
  g_autofree char *buf = g_strconcat (line, "\r\n", NULL);
  return send_plain (c, buf, strlen (buf), error);
}

gboolean
ms_lab_client_read_line (MsLabClient *c, gint64 deadline, char **line, gsize *len,
                         GError **error)
{
  gsize scanned = 0;
  for (;;)
    {
      const guint8 *nl = NULL;
      if (c->inbuf->len > scanned)
        nl = memchr (c->inbuf->data + scanned, '\n', c->inbuf->len - scanned);
      if (nl)
        {
          gsize n = (gsize) (nl - c->inbuf->data);
          gsize l = n > 0 && c->inbuf->data[n - 1] == '\r' ? n - 1 : n;
          *line = g_strndup ((const char *) c->inbuf->data, l);
          if (len)
            *len = l;
          g_byte_array_remove_range (c->inbuf, 0, (guint) (n + 1));
          return TRUE;
        }
      scanned = c->inbuf->len;
      if (c->inbuf->len > MS_LAB_CLIENT_MAX_LINE)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                       _("the server sent a line longer than %u bytes"), MS_LAB_CLIENT_MAX_LINE);
          return FALSE;
        }
      if (!fill (c, deadline, error))
        return FALSE;
    }
}

gboolean
ms_lab_client_read_bytes (MsLabClient *c, guint64 n, GByteArray *keep, gsize keep_max,
                          GError **error)
{
  guint64 done = 0;
  for (;;)
    {
      gsize take = (gsize) MIN ((guint64) c->inbuf->len, n - done);
      if (keep && keep->len < keep_max)
        g_byte_array_append (keep, c->inbuf->data, (guint) MIN (take, keep_max - keep->len));
      g_byte_array_remove_range (c->inbuf, 0, (guint) take);
      done += take;
      if (done == n)
        return TRUE;
      if (!fill (c, ms_lab_client_deadline (c), error))
        return FALSE;
    }
}

gsize
ms_lab_client_buffered (MsLabClient *c)
{
  return c->inbuf->len;
}

/* --- DNS, connect, TLS ---------------------------------------------- */

/* Asks each resolver in turn; returns the address or NULL with error. */
static GInetAddress *
lookup (MsLabClient *c, const char *name, GError **error)
{
  const char *defaults[] = { "127.0.0.1:53", "127.0.0.1:10053" };
  const char *one[] = { c->opts.dns };
  const char **list = c->opts.dns ? one : defaults;
  guint n = c->opts.dns ? 1 : G_N_ELEMENTS (defaults);
  const guint16 types[] = { MS_DNS_TYPE_A, MS_DNS_TYPE_AAAA };
  GError *last = NULL;
  for (guint i = 0; i < n; i++)
    for (guint t = 0; t < G_N_ELEMENTS (types); t++)
      {
        const char *tname = types[t] == MS_DNS_TYPE_A ? "A" : "AAAA";
        MsLabResolveAnswer ans;
        GError *err = NULL;
        gboolean ok = ms_lab_resolve (name, list[i], types[t], DNS_TIMEOUT_MS, c->cancellable,
                                      &ans, &err);
        c->report.dns_bytes_sent += ans.query_len;
        c->report.dns_bytes_received += ans.response_len;
        c->report.dns_used = TRUE;
        ms_lab_client_say (c, 'C', _("DNS query %s? %s (id %u) to %s"), tname, name, ans.id,
                           list[i]);
        if (!ok)
          {
            ms_lab_client_say (c, '-', _("%s: %s"), list[i], err->message);
            g_clear_error (&last);
            last = err;
            if (g_cancellable_is_cancelled (c->cancellable))
              break;
            t = G_N_ELEMENTS (types);   /* this resolver is out; try the next */
            continue;
          }
        if (ans.address)
          {
            g_autofree char *a = g_inet_address_to_string (ans.address);
            ms_lab_client_say (c, 'S', _("DNS answer: %s %s %s (TTL %u s)"), name, tname, a,
                               ans.ttl);
            GInetAddress *r = g_object_ref (ans.address);
            ms_lab_resolve_answer_clear (&ans);
            g_clear_error (&last);
            return r;
          }
        ms_lab_client_say (c, 'S', _("DNS answer: no %s record for %s (response code %u)"),
                           tname, name, ans.rcode);
        ms_lab_resolve_answer_clear (&ans);
      }
  if (last && g_error_matches (last, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (error, last);
  else if (last)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND,
                   _("no DNS resolver answered for %s (last: %s); is the lab running? "
                     "--dns ADDR:PORT names another resolver"),
                   name, last->message);
      g_error_free (last);
    }
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 _("the resolver knows no address for %s"), name);
  return NULL;
}

static gboolean
connect_to (MsLabClient *c, GInetAddress *ia, guint16 port, GError **error)
{
  g_autoptr (GSocketAddress) sa = g_inet_socket_address_new (ia, port);
  GSocket *s = g_socket_new (g_inet_address_get_family (ia), G_SOCKET_TYPE_STREAM,
                             G_SOCKET_PROTOCOL_TCP, error);
  if (s == NULL)
    return FALSE;
  guint t = c->opts.timeout_seconds ? c->opts.timeout_seconds : MS_LAB_CLIENT_TIMEOUT_S;
  g_socket_set_timeout (s, t);
  if (!g_socket_connect (s, sa, c->cancellable, error))
    {
      /* Say where: "Connection refused" alone tells a student nothing. */
      g_autofree char *ip = g_inet_address_to_string (ia);
      g_prefix_error (error, _("cannot connect to %s port %u: "), ip, port);
      g_object_unref (s);
      return FALSE;
    }
  c->sock = s;
  return TRUE;
}

gboolean
ms_lab_client_handshake (MsLabClient *c, GError **error)
{
  if (c->ssl_ctx == NULL)
    {
      c->ssl_ctx = ms_lab_tls_client_context (c->opts.ca_path, c->opts.insecure,
                                              c->opts.keylog_path, error);
      if (c->ssl_ctx == NULL)
        return FALSE;
    }
  c->ssl = SSL_new (c->ssl_ctx);
  c->rbio = BIO_new (BIO_s_mem ());
  c->wbio = BIO_new (BIO_s_mem ());
  SSL_set_bio (c->ssl, c->rbio, c->wbio);
  SSL_set_connect_state (c->ssl);
  if (g_hostname_is_ip_address (c->host))
    X509_VERIFY_PARAM_set1_ip_asc (SSL_get0_param (c->ssl), c->host);
  else
    {
      SSL_set_tlsext_host_name (c->ssl, c->host);
      SSL_set1_host (c->ssl, c->host);
    }
  gint64 deadline = ms_lab_client_deadline (c);
  for (;;)
    {
      int r = SSL_do_handshake (c->ssl);
      if (r == 1)
        break;
      int err = SSL_get_error (c->ssl, r);
      if (err != SSL_ERROR_WANT_READ)
        {
          long v = SSL_get_verify_result (c->ssl);
          if (v != X509_V_OK)
            {
              ERR_clear_error ();
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           _("the server's certificate is not trusted: %s"),
                           X509_verify_cert_error_string (v));
            }
          else
            set_ssl_error (error, _("the TLS handshake failed"));
          flush_tls (c, NULL);
          return FALSE;
        }
      if (!flush_tls (c, error) || !feed_tls (c, deadline, error))
        return FALSE;
    }
  if (!flush_tls (c, error))
    return FALSE;
  c->report.tls = TRUE;
  g_free (c->report.tls_version);
  g_free (c->report.tls_cipher);
  c->report.tls_version = g_strdup (SSL_get_version (c->ssl));
  c->report.tls_cipher = g_strdup (SSL_get_cipher_name (c->ssl));
  ms_lab_client_say (c, '-', _("TLS established: %s, %s; certificate %s"),
                     c->report.tls_version, c->report.tls_cipher,
                     c->opts.insecure ? _("not checked (--insecure)") : _("verified"));
  return TRUE;
}

gboolean
ms_lab_client_open (MsLabClient *c, guint16 std_port, guint16 lab_port,
                    guint16 implicit_std_port, guint16 implicit_lab_port, GError **error)
{
  g_autoptr (GSocketConnectable) na = g_network_address_parse (c->opts.server, 0, error);
  if (na == NULL)
    return FALSE;
  c->host = g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (na)));
  c->port = g_network_address_get_port (G_NETWORK_ADDRESS (na));
  c->report.server_name = g_strdup (c->host);

  g_autoptr (GInetAddress) ia = g_inet_address_new_from_string (c->host);
  if (ia == NULL)
    {
      const char *resolver = c->opts.dns ? c->opts.dns : "127.0.0.1:53";
      if (!ms_lab_client_step (c, MS_STEP_DNS, error,
                               _("Ask the DNS resolver %s for the address of %s"), resolver,
                               c->host))
        return FALSE;
      ia = lookup (c, c->host, error);
      if (ia == NULL)
        return FALSE;
    }
  else
    ms_lab_client_say (c, '-', _("%s is a numeric address: no DNS lookup"), c->host);

  gboolean implicit = c->opts.tls == MS_LAB_CLIENT_TLS_IMPLICIT;
  guint16 ports[2] = { c->port, 0 };
  if (c->port == 0)
    {
      ports[0] = implicit ? implicit_std_port : std_port;
      ports[1] = implicit ? implicit_lab_port : lab_port;
    }
  g_autofree char *ip = g_inet_address_to_string (ia);
  gboolean v6 = g_inet_address_get_family (ia) == G_SOCKET_FAMILY_IPV6;
  if (!ms_lab_client_step (c, MS_STEP_CONNECT, error,
                           _("Open a TCP connection to %s%s%s port %u"), v6 ? "[" : "", ip,
                           v6 ? "]" : "", ports[0]))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (ports) && ports[i]; i++)
    {
      GError *err = NULL;
      if (connect_to (c, ia, ports[i], &err))
        {
          c->report.server_address = g_strdup_printf ("%s%s%s:%u", v6 ? "[" : "", ip,
                                                      v6 ? "]" : "", ports[i]);
          ms_lab_client_say (c, '-', _("Connected to %s"), c->report.server_address);
          break;
        }
      ms_lab_client_say (c, '-', "%s", err->message);
      if (i + 1 < G_N_ELEMENTS (ports) && ports[i + 1]
          && g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
        {
          ms_lab_client_say (c, '-', _("Trying the lab's port %u instead"), ports[i + 1]);
          g_clear_error (&err);
          continue;
        }
      g_propagate_error (error, err);
      return FALSE;
    }
  if (implicit)
    {
      if (!ms_lab_client_step (c, MS_STEP_TLS, error,
                               _("Start TLS at once (implicit TLS): the handshake comes before "
                                 "any mail protocol byte")))
        return FALSE;
      return ms_lab_client_handshake (c, error);
    }
  return TRUE;
}

/* Ends the connection: TLS close_notify, then the socket. */
static void
close_connection (MsLabClient *c)
{
  if (c->sock == NULL)
    return;
  if (c->ssl)
    {
      SSL_shutdown (c->ssl);
      flush_tls (c, NULL);
    }
  g_socket_close (c->sock, NULL);
  ms_lab_client_say (c, '-', _("Connection closed"));
}

/* --- the worker and the public API ----------------------------------- */

static gpointer
worker (gpointer data)
{
  MsLabClient *c = data;
  GError *error = NULL;
  c->started = g_get_monotonic_time ();
  gboolean ok = c->opts.proto == MS_PROTO_POP3 ? ms_pop3_client_run (c, &error)
                                               : ms_imap_client_run (c, &error);
  if (!ok && error == NULL)
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, _("the session failed"));
  if (c->sock)
    {
      GError *cerr = NULL;
      if (ok && ms_lab_client_step (c, MS_STEP_CLOSE, &cerr, _("Close the TCP connection")))
        close_connection (c);
      else
        {
          g_clear_error (&cerr);
          close_connection (c);
        }
    }
  if (error)
    ms_lab_client_say (c, '-', "%s", error->message);
  c->report.completed = ok;
  c->report.elapsed = (double) (g_get_monotonic_time () - c->started) / G_USEC_PER_SEC;
  g_clear_object (&c->sock);
  if (c->ssl)
    SSL_free (c->ssl);   /* frees both BIOs */
  c->ssl = NULL;
  if (c->ssl_ctx)
    SSL_CTX_free (c->ssl_ctx);
  c->ssl_ctx = NULL;
  g_mutex_lock (&c->lock);
  c->error = error;
  push_event_locked (c, EV_FINISHED, MS_STEP_NONE, 0, NULL);
  g_mutex_unlock (&c->lock);
  client_unref (c);
  return NULL;
}

MsLabClient *
ms_lab_client_new (const MsLabClientOptions *opts, const MsLabClientCallbacks *callbacks,
                   gpointer user_data)
{
  MsLabClient *c = g_new0 (MsLabClient, 1);
  c->ref = 1;
  options_copy (&c->opts, opts);
  if (callbacks)
    c->cb = *callbacks;
  c->user_data = user_data;
  c->cancellable = g_cancellable_new ();
  g_mutex_init (&c->lock);
  g_cond_init (&c->cond);
  g_queue_init (&c->events);
  c->step_mode = opts->step_mode;
  c->report.proto = opts->proto;
  c->report.message_sizes = g_array_new (FALSE, TRUE, sizeof (guint64));
  c->inbuf = g_byte_array_new ();
  return c;
}

void
ms_lab_client_start (MsLabClient *c)
{
  g_return_if_fail (c->thread == NULL);
  c->context = g_main_context_ref_thread_default ();
  c->running = TRUE;
  c->thread = g_thread_new ("ms-lab-client", worker, client_ref (c));
}

void
ms_lab_client_next (MsLabClient *c)
{
  g_mutex_lock (&c->lock);
  if (c->waiting)
    {
      c->go = TRUE;
      g_cond_broadcast (&c->cond);
    }
  g_mutex_unlock (&c->lock);
}

void
ms_lab_client_set_step_mode (MsLabClient *c, gboolean step_mode)
{
  g_mutex_lock (&c->lock);
  c->step_mode = step_mode;
  g_cond_broadcast (&c->cond);
  g_mutex_unlock (&c->lock);
}

void
ms_lab_client_cancel (MsLabClient *c)
{
  g_cancellable_cancel (c->cancellable);
  g_mutex_lock (&c->lock);
  g_cond_broadcast (&c->cond);
  g_mutex_unlock (&c->lock);
}

gboolean
ms_lab_client_is_running (MsLabClient *c)
{
  g_mutex_lock (&c->lock);
  gboolean r = c->running;
  g_mutex_unlock (&c->lock);
  return r;
}

const MsLabClientReport *
ms_lab_client_get_report (MsLabClient *c)
{
  return &c->report;
}

void
ms_lab_client_free (MsLabClient *c)
{
  if (c == NULL)
    return;
  ms_lab_client_cancel (c);
  if (c->thread)
    g_thread_join (c->thread);
  c->thread = NULL;
  g_mutex_lock (&c->lock);
  c->disposed = TRUE;
  g_mutex_unlock (&c->lock);
  g_byte_array_unref (c->inbuf);
  c->inbuf = NULL;
  g_free (c->host);
  c->host = NULL;
  client_unref (c);
}
