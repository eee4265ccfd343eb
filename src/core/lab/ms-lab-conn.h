/* ms-lab-conn.h - one client connection of a lab server, as the protocol
 * sessions see it: bytes in, bytes out, an optional switch to TLS.
 *
 * A connection is either a real socket (driven by the GLib main loop) or a
 * memory transport (tests and fuzzing feed bytes and read the output). TLS
 * runs through OpenSSL memory BIOs in both cases, so a session never knows
 * which it has. */
#pragma once

#include <glib.h>
#include <gio/gio.h>
#include <openssl/ssl.h>

#include "ms-maildir.h"

G_BEGIN_DECLS

typedef struct _MsLabConn MsLabConn;

/* A protocol session bound to one connection. */
typedef struct {
  /* Plaintext bytes from the client (after TLS, when active). */
  void (*input) (gpointer session, const guint8 *data, gsize len);
  /* The connection is gone (client closed, error, or server shutdown).
   * The session frees itself here. */
  void (*closed) (gpointer session);
} MsLabSessionOps;

/* Output waiting for a slow reader beyond this is a misbehaving client:
 * the connection is closed rather than letting memory grow. It holds one
 * response with the largest message the store keeps, which CRLF line ends
 * and dot-stuffing can at most double, plus room for the lines around it.
 * (Reading stops long before: see MS_LAB_CONN_READ_HIGH_WATER.) */
#define MS_LAB_CONN_MAX_PENDING_OUTPUT (2u * MS_MAILDIR_MAX_MESSAGE + 1024u * 1024)
/* While this much output waits, the client's next commands are not read:
 * one that pipelines without reading the answers is slowed, not buffered. */
#define MS_LAB_CONN_READ_HIGH_WATER (1024u * 1024)

/* A connection over an accepted socket. ssl_ctx may be NULL (no TLS
 * possible); implicit_tls starts the TLS handshake at once. */
MsLabConn *ms_lab_conn_new_socket (GSocketConnection *sc, SSL_CTX *ssl_ctx,
                                   gboolean implicit_tls);

/* A connection over memory: output goes to `sink` (may be NULL to discard);
 * input arrives through ms_lab_conn_feed. */
MsLabConn *ms_lab_conn_new_memory (const char *peer, gboolean loopback,
                                   GByteArray *sink);
/* Memory transport: client bytes for the session. */
void ms_lab_conn_feed (MsLabConn *c, const guint8 *data, gsize len);

/* Binds the session and starts reading. */
void ms_lab_conn_attach (MsLabConn *c, const MsLabSessionOps *ops, gpointer session);

void ms_lab_conn_write (MsLabConn *c, const void *data, gsize len);
void ms_lab_conn_write_str (MsLabConn *c, const char *s);
void ms_lab_conn_printf (MsLabConn *c, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

/* Flushes what was written, then closes; the session's closed() follows. */
void ms_lab_conn_close (MsLabConn *c);

/* Closes at once, dropping unsent output (server shutdown, idle timeout);
 * the session's closed() runs before this returns when it is attached. */
void ms_lab_conn_abort (MsLabConn *c);

/* Stops delivering input until resumed (bytes that arrive meanwhile are
 * kept, up to the reader's buffer). Used to delay failed logins. */
void ms_lab_conn_pause (MsLabConn *c);
void ms_lab_conn_resume (MsLabConn *c);

/* Server-side STARTTLS/STLS: from the next byte on, both directions are
 * TLS. Fails when there is no certificate or TLS is already active. */
gboolean ms_lab_conn_start_tls (MsLabConn *c, GError **error);
gboolean ms_lab_conn_is_tls (MsLabConn *c);
/* "TLSv1.3 TLS_AES_256_GCM_SHA384" once the handshake is done, else NULL. */
char *ms_lab_conn_tls_summary (MsLabConn *c);
/* TRUE when ms_lab_conn_start_tls would succeed (a context, no TLS yet). */
gboolean ms_lab_conn_tls_available (MsLabConn *c);
/* Lets a memory transport offer STARTTLS with this context. */
void ms_lab_conn_set_ssl_ctx (MsLabConn *c, SSL_CTX *ctx);
/* Bytes written but not yet sent to the peer (0 for memory transports):
 * a session producing a long answer waits while this is large. */
gsize ms_lab_conn_pending_output (MsLabConn *c);
gboolean ms_lab_conn_is_loopback (MsLabConn *c);
/* "127.0.0.1:40312" */
const char *ms_lab_conn_peer (MsLabConn *c);
/* The peer's address alone, for per-address accounting. */
const char *ms_lab_conn_peer_ip (MsLabConn *c);

/* Keeps the connection alive while a caller holds it. */
MsLabConn *ms_lab_conn_ref (MsLabConn *c);
void ms_lab_conn_unref (MsLabConn *c);

G_END_DECLS
