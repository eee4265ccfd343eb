/* ms-lab-conn.c - lab server connections over sockets or memory, with TLS
 * through OpenSSL memory BIOs. */
#include "config.h"

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>

#include <glib/gi18n-lib.h>

#include "ms-lab-conn.h"
#include "ms-lab-source.h"

/* Bytes asked of the socket per read. */
#define READ_CHUNK 16384

struct _MsLabConn {
  gint ref;

  /* socket transport */
  GSocketConnection *sc;
  GInputStream *in;
  GOutputStream *out;
  GCancellable *cancel;
  gboolean reading;       /* a read is outstanding */
  gboolean writing;       /* a write is outstanding */
  GByteArray *outq;       /* bytes waiting for the socket */
  GByteArray *inflight;   /* bytes being written */
  guint8 *readbuf;

  /* memory transport */
  GByteArray *sink;

  char *peer;
  char *peer_ip;
  gboolean loopback;

  SSL_CTX *ssl_ctx;
  SSL *ssl;
  BIO *rbio, *wbio;       /* network side of TLS */
  GByteArray *early;      /* plaintext written before the handshake ended */

  const MsLabSessionOps *ops;
  gpointer session;

  gboolean paused;
  gboolean closing;       /* flush, then close */
  gboolean dead;          /* closed() was called */
  guint finish_id;        /* idle source that completes a close */
};

static void start_read (MsLabConn *c);
static void kick_write (MsLabConn *c);
static void finish (MsLabConn *c);
static void finish_soon (MsLabConn *c);

MsLabConn *
ms_lab_conn_ref (MsLabConn *c)
{
  c->ref++;
  return c;
}

void
ms_lab_conn_unref (MsLabConn *c)
{
  if (c == NULL || --c->ref > 0)
    return;
  if (c->ssl)
    SSL_free (c->ssl);   /* frees the BIOs too */
  if (c->ssl_ctx)
    SSL_CTX_free (c->ssl_ctx);
  g_clear_object (&c->cancel);
  g_clear_object (&c->sc);
  if (c->outq)
    g_byte_array_unref (c->outq);
  if (c->inflight)
    g_byte_array_unref (c->inflight);
  if (c->early)
    g_byte_array_unref (c->early);
  if (c->sink)
    g_byte_array_unref (c->sink);
  g_free (c->readbuf);
  g_free (c->peer);
  g_free (c->peer_ip);
  g_free (c);
}

static MsLabConn *
conn_alloc (void)
{
  MsLabConn *c = g_new0 (MsLabConn, 1);
  c->ref = 1;
  c->outq = g_byte_array_new ();
  return c;
}

static void
describe_peer (MsLabConn *c, GSocketAddress *addr)
{
  if (G_IS_INET_SOCKET_ADDRESS (addr))
    {
      GInetSocketAddress *isa = G_INET_SOCKET_ADDRESS (addr);
      GInetAddress *ia = g_inet_socket_address_get_address (isa);
      c->peer_ip = g_inet_address_to_string (ia);
      c->loopback = g_inet_address_get_is_loopback (ia);
      guint16 port = g_inet_socket_address_get_port (isa);
      if (g_inet_address_get_family (ia) == G_SOCKET_FAMILY_IPV6)
        c->peer = g_strdup_printf ("[%s]:%u", c->peer_ip, port);
      else
        c->peer = g_strdup_printf ("%s:%u", c->peer_ip, port);
    }
  else
    {
      c->peer_ip = g_strdup ("local");
      c->peer = g_strdup ("local");
      c->loopback = TRUE;
    }
}

static gboolean
tls_setup (MsLabConn *c)
{
  c->ssl = SSL_new (c->ssl_ctx);
  if (c->ssl == NULL)
    return FALSE;
  c->rbio = BIO_new (BIO_s_mem ());
  c->wbio = BIO_new (BIO_s_mem ());
  BIO_set_mem_eof_return (c->rbio, -1);
  SSL_set_bio (c->ssl, c->rbio, c->wbio);
  SSL_set_accept_state (c->ssl);
  return TRUE;
}

MsLabConn *
ms_lab_conn_new_socket (GSocketConnection *sc, SSL_CTX *ssl_ctx, gboolean implicit_tls)
{
  MsLabConn *c = conn_alloc ();
  c->sc = g_object_ref (sc);
  c->in = g_io_stream_get_input_stream (G_IO_STREAM (sc));
  c->out = g_io_stream_get_output_stream (G_IO_STREAM (sc));
  c->cancel = g_cancellable_new ();
  c->readbuf = g_malloc (READ_CHUNK);
  if (ssl_ctx)
    {
      SSL_CTX_up_ref (ssl_ctx);
      c->ssl_ctx = ssl_ctx;
    }
  /* Replies are often several small writes (untagged lines, then the
   * tagged one); without this, Nagle plus the client's delayed ACK stall
   * each command by ~40 ms and distort the timings the lesson shows. */
  g_socket_set_option (g_socket_connection_get_socket (sc), IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  g_autoptr (GSocketAddress) addr = g_socket_connection_get_remote_address (sc, NULL);
  describe_peer (c, addr);
  if (implicit_tls && (c->ssl_ctx == NULL || !tls_setup (c)))
    c->closing = TRUE;
  return c;
}

MsLabConn *
ms_lab_conn_new_memory (const char *peer, gboolean loopback, GByteArray *sink)
{
  MsLabConn *c = conn_alloc ();
  c->sink = sink ? g_byte_array_ref (sink) : NULL;
  c->peer = g_strdup (peer ? peer : "memory");
  /* "192.0.2.7:40312" and "[::1]:40312" count against their address. */
  const char *colon = strrchr (c->peer, ':');
  if (c->peer[0] == '[' && strchr (c->peer, ']'))
    c->peer_ip = g_strndup (c->peer + 1, (gsize) (strchr (c->peer, ']') - c->peer - 1));
  else if (colon && strchr (c->peer, ':') == colon)
    c->peer_ip = g_strndup (c->peer, (gsize) (colon - c->peer));
  else
    c->peer_ip = g_strdup (c->peer);
  c->loopback = loopback;
  return c;
}

/* --- output ---------------------------------------------------------- */

/* Bytes written by the session that the client has not taken yet. */
static gsize
pending_output (MsLabConn *c)
{
  return c->outq->len + (c->inflight ? c->inflight->len : 0) + (c->early ? c->early->len : 0);
}

static void
queue_raw (MsLabConn *c, const guint8 *data, gsize len)
{
  if (c->dead)
    return;
  if (c->sc == NULL)
    {
      if (c->sink)
        g_byte_array_append (c->sink, data, (guint) len);
      return;
    }
  if (pending_output (c) + len > MS_LAB_CONN_MAX_PENDING_OUTPUT)
    {
      /* The client does not read what it asked for; give up on it. */
      c->closing = TRUE;
      g_byte_array_set_size (c->outq, 0);
      g_cancellable_cancel (c->cancel);
      return;
    }
  g_byte_array_append (c->outq, data, (guint) len);
}

static void
drain_tls_output (MsLabConn *c)
{
  guint8 buf[8192];
  while (c->ssl && BIO_ctrl_pending (c->wbio) > 0)
    {
      int n = BIO_read (c->wbio, buf, sizeof buf);
      if (n <= 0)
        break;
      queue_raw (c, buf, (gsize) n);
    }
}

static void
tls_write (MsLabConn *c, const void *data, gsize len)
{
  const guint8 *p = data;
  while (len > 0)
    {
      int chunk = (int) MIN (len, 16384);
      int n = SSL_write (c->ssl, p, chunk);
      if (n <= 0)
        {
          ERR_clear_error ();
          c->closing = TRUE;   /* a broken TLS session */
          break;
        }
      p += n;
      len -= (gsize) n;
    }
  drain_tls_output (c);
}

void
ms_lab_conn_write (MsLabConn *c, const void *data, gsize len)
{
  if (c->dead || len == 0)
    return;
  if (c->ssl && !SSL_is_init_finished (c->ssl))
    {
      /* Implicit TLS: the greeting waits for the handshake to finish. */
      if (c->early == NULL)
        c->early = g_byte_array_new ();
      if (pending_output (c) + len > MS_LAB_CONN_MAX_PENDING_OUTPUT)
        c->closing = TRUE;
      else
        g_byte_array_append (c->early, data, (guint) len);
      return;
    }
  if (c->ssl)
    tls_write (c, data, len);
  else
    queue_raw (c, data, len);
  kick_write (c);
}

void
ms_lab_conn_write_str (MsLabConn *c, const char *s)
{
  ms_lab_conn_write (c, s, strlen (s));
}

void
ms_lab_conn_printf (MsLabConn *c, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *s = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  ms_lab_conn_write (c, s, strlen (s));
}

static void
on_written (GObject *src, GAsyncResult *res, gpointer data)
{
  MsLabConn *c = data;
  gsize written = 0;
  GError *error = NULL;
  c->writing = FALSE;
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (src), res, &written, &error))
    {
      g_clear_error (&error);
      g_byte_array_set_size (c->outq, 0);
      c->closing = TRUE;
    }
  g_byte_array_set_size (c->inflight, 0);
  kick_write (c);
  /* Reading resumes once the client has taken most of the output. */
  start_read (c);
  ms_lab_conn_unref (c);
}

static void
kick_write (MsLabConn *c)
{
  /* Before attach there is nobody to tell; attach finishes the close. */
  if (c->ops == NULL)
    return;
  if (c->sc == NULL)
    {
      if (c->closing && !c->dead)
        finish_soon (c);
      return;
    }
  if (c->writing || c->dead)
    return;
  if (c->outq->len == 0)
    {
      if (c->closing)
        finish_soon (c);
      return;
    }
  if (c->inflight == NULL)
    c->inflight = g_byte_array_new ();
  GByteArray *tmp = c->inflight;
  c->inflight = c->outq;
  c->outq = tmp;
  c->writing = TRUE;
  g_output_stream_write_all_async (c->out, c->inflight->data, c->inflight->len,
                                   G_PRIORITY_DEFAULT, c->cancel, on_written,
                                   ms_lab_conn_ref (c));
}

/* --- input ----------------------------------------------------------- */

static void
deliver (MsLabConn *c, const guint8 *data, gsize len)
{
  if (c->dead || c->closing || len == 0 || c->ops == NULL)
    return;
  ms_lab_conn_ref (c);
  c->ops->input (c->session, data, len);
  ms_lab_conn_unref (c);
}

/* Raw bytes from the network: through TLS when active. */
static void
network_input (MsLabConn *c, const guint8 *data, gsize len)
{
  if (c->ssl == NULL)
    {
      deliver (c, data, len);
      return;
    }
  BIO_write (c->rbio, data, (int) len);
  guint8 buf[READ_CHUNK];
  for (;;)
    {
      if (c->early && c->early->len > 0 && SSL_is_init_finished (c->ssl))
        {
          g_autoptr (GByteArray) early = g_steal_pointer (&c->early);
          tls_write (c, early->data, early->len);
        }
      int n = SSL_read (c->ssl, buf, sizeof buf);
      if (n > 0)
        {
          deliver (c, buf, (gsize) n);
          if (c->dead || c->ssl == NULL)
            break;
          continue;
        }
      int err = SSL_get_error (c->ssl, n);
      if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
        {
          ERR_clear_error ();
          c->closing = TRUE;
        }
      break;
    }
  if (c->ssl && c->early && SSL_is_init_finished (c->ssl))
    {
      g_autoptr (GByteArray) early = g_steal_pointer (&c->early);
      tls_write (c, early->data, early->len);
    }
  drain_tls_output (c);
  kick_write (c);
}

void
ms_lab_conn_feed (MsLabConn *c, const guint8 *data, gsize len)
{
  ms_lab_conn_ref (c);
  network_input (c, data, len);
  ms_lab_conn_unref (c);
}

static void
on_read (GObject *src, GAsyncResult *res, gpointer data)
{
  MsLabConn *c = data;
  GError *error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (src), res, &error);
  c->reading = FALSE;
  if (n <= 0)
    {
      g_clear_error (&error);
      /* The client is gone: nothing more will be read or written. */
      g_byte_array_set_size (c->outq, 0);
      c->closing = TRUE;
      kick_write (c);
    }
  else
    {
      network_input (c, c->readbuf, (gsize) n);
      start_read (c);
    }
  ms_lab_conn_unref (c);
}

static void
start_read (MsLabConn *c)
{
  if (c->sc == NULL || c->reading || c->paused || c->closing || c->dead)
    return;
  if (pending_output (c) > MS_LAB_CONN_READ_HIGH_WATER)
    return;   /* on_written tries again */
  c->reading = TRUE;
  g_input_stream_read_async (c->in, c->readbuf, READ_CHUNK, G_PRIORITY_DEFAULT, c->cancel,
                             on_read, ms_lab_conn_ref (c));
}

void
ms_lab_conn_attach (MsLabConn *c, const MsLabSessionOps *ops, gpointer session)
{
  c->ops = ops;
  c->session = session;
  ms_lab_conn_ref (c);
  start_read (c);
  /* Whatever the session wrote before it was attached (a greeting, a
   * refusal) goes out now; a close requested meanwhile completes. */
  kick_write (c);
  ms_lab_conn_unref (c);
}

void
ms_lab_conn_pause (MsLabConn *c)
{
  c->paused = TRUE;
}

void
ms_lab_conn_resume (MsLabConn *c)
{
  c->paused = FALSE;
  start_read (c);
}

/* --- closing --------------------------------------------------------- */

static void
on_closed (GObject *src, GAsyncResult *res, gpointer data)
{
  g_io_stream_close_finish (G_IO_STREAM (src), res, NULL);
  ms_lab_conn_unref (data);
}

static void
finish (MsLabConn *c)
{
  if (c->dead)
    return;
  c->dead = TRUE;
  if (c->sc)
    {
      g_cancellable_cancel (c->cancel);
      g_io_stream_close_async (G_IO_STREAM (c->sc), G_PRIORITY_DEFAULT, NULL, on_closed,
                               ms_lab_conn_ref (c));
    }
  if (c->ops && c->ops->closed)
    c->ops->closed (c->session);
  c->ops = NULL;
  c->session = NULL;
  ms_lab_conn_unref (c);   /* the reference the creator handed to the session */
}

static gboolean
finish_idle (gpointer data)
{
  MsLabConn *c = data;
  c->finish_id = 0;
  finish (c);
  ms_lab_conn_unref (c);
  return G_SOURCE_REMOVE;
}

/* A session that closes its connection is usually in the middle of its own
 * input handler: closed() (which frees it) runs from the main loop. */
static void
finish_soon (MsLabConn *c)
{
  if (c->finish_id == 0 && !c->dead)
    c->finish_id = ms_lab_idle_add (finish_idle, ms_lab_conn_ref (c));
}

void
ms_lab_conn_abort (MsLabConn *c)
{
  if (c->dead)
    return;
  g_byte_array_set_size (c->outq, 0);
  c->closing = TRUE;
  if (c->ops == NULL)
    return;
  finish (c);
}

void
ms_lab_conn_close (MsLabConn *c)
{
  if (c->dead)
    return;
  if (c->ssl)
    {
      /* close_notify; fails harmlessly before the handshake is done. */
      SSL_shutdown (c->ssl);
      ERR_clear_error ();
      drain_tls_output (c);
    }
  c->closing = TRUE;
  kick_write (c);
}

/* --- TLS ------------------------------------------------------------- */

gboolean
ms_lab_conn_start_tls (MsLabConn *c, GError **error)
{
  if (c->ssl)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("TLS is already active"));
      return FALSE;
    }
  if (c->ssl_ctx == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("this server has no certificate"));
      return FALSE;
    }
  if (!tls_setup (c))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("cannot start TLS"));
      return FALSE;
    }
  return TRUE;
}

char *
ms_lab_conn_tls_summary (MsLabConn *c)
{
  if (c->ssl == NULL || !SSL_is_init_finished (c->ssl))
    return NULL;
  return g_strdup_printf ("%s %s", SSL_get_version (c->ssl), SSL_get_cipher_name (c->ssl));
}

gboolean
ms_lab_conn_tls_available (MsLabConn *c)
{
  return c->ssl == NULL && c->ssl_ctx != NULL;
}

void
ms_lab_conn_set_ssl_ctx (MsLabConn *c, SSL_CTX *ctx)
{
  if (c->ssl_ctx)
    SSL_CTX_free (c->ssl_ctx);
  c->ssl_ctx = ctx;
  if (ctx)
    SSL_CTX_up_ref (ctx);
}

gboolean
ms_lab_conn_is_tls (MsLabConn *c)
{
  return c->ssl != NULL;
}

gsize
ms_lab_conn_pending_output (MsLabConn *c)
{
  return (c->outq ? c->outq->len : 0) + (c->inflight ? c->inflight->len : 0)
         + (c->early ? c->early->len : 0);
}

gboolean
ms_lab_conn_is_loopback (MsLabConn *c)
{
  return c->loopback;
}

const char *
ms_lab_conn_peer (MsLabConn *c)
{
  return c->peer;
}

const char *
ms_lab_conn_peer_ip (MsLabConn *c)
{
  return c->peer_ip;
}
