/* ms-lab-server.h - the lab's server process: listeners for IMAP, POP3 (plain
 * and implicit TLS) and DNS on one GLib main loop, accounts, the Maildir
 * store, connection limits and the command log a teacher reads. */
#pragma once

#include <glib.h>
#include <gio/gio.h>
#include <openssl/ssl.h>

#include "ms-lab-conn.h"
#include "ms-maildir.h"

G_BEGIN_DECLS

/* Connections at once: a classroom, not a mail provider. */
#define MS_LAB_MAX_CONNECTIONS 2000
/* Connections from one address: one host cannot starve the class. */
#define MS_LAB_MAX_PER_ADDRESS 1100
/* Connections that have not logged in yet. */
#define MS_LAB_MAX_UNAUTHENTICATED 200
/* Connections waiting to be accepted: a whole class may connect at once. */
#define MS_LAB_LISTEN_BACKLOG 128
/* A wrong password costs this long (brute force becomes slow). */
#define MS_LAB_FAILED_LOGIN_DELAY_MS 1000
/* A connection that has not logged in may stay silent this long: enough
 * for a student typing commands by hand, short enough to free its place. */
#define MS_LAB_LOGIN_TIMEOUT_S 300
/* After login: RFC 9051 §5.4 asks at least 30 minutes (IMAP IDLE), more
 * than POP3's 10 minutes (RFC 1939 §3). */
#define MS_LAB_IDLE_TIMEOUT_S 1860
/* How often silent connections are looked for. */
#define MS_LAB_IDLE_CHECK_S 10
/* Accounts without a sample Maildir of their own are seeded from this
 * user's (samples/maildir/student). */
#define MS_LAB_SEED_USER "student"
/* The generated certificate's directory inside the data directory, next to
 * the users' Maildirs (so no user may have this name). */
#define MS_LAB_TLS_SUBDIR "tls"

typedef enum {
  MS_LAB_IMAP,
  MS_LAB_IMAPS,
  MS_LAB_POP3,
  MS_LAB_POP3S,
  MS_LAB_DNS,
  MS_LAB_N_SERVICES
} MsLabService;

typedef struct {
  char *data_dir;          /* users' Maildirs at data_dir/NAME; certificates */
  char *seed_dir;          /* copied to data_dir/NAME on first use (may be NULL) */
  GPtrArray *users;        /* "name:password" strings */
  char *cert_path, *key_path;   /* NULL: the generated lab certificate */
  char *keylog_path;
  gboolean require_tls;
  gboolean allow_plaintext;     /* password logins over non-loopback without TLS */
  guint failed_login_delay_ms;
  guint max_connections, max_per_address, max_unauthenticated;
  guint login_timeout_s, idle_timeout_s;   /* silent connections are closed */
} MsLabConfig;

void ms_lab_config_init (MsLabConfig *cfg);   /* defaults; student:classroom */
void ms_lab_config_clear (MsLabConfig *cfg);

typedef struct _MsLabServer MsLabServer;

/* Called for every line of the command log: service ("imap", "pop3",
 * "dns"), the peer, 'C' or 'S' (or '-' for a remark), the text. */
typedef void (*MsLabLogFunc) (const char *service, const char *peer, char who,
                              const char *text, gpointer user_data);

MsLabServer *ms_lab_server_new (const MsLabConfig *cfg, GError **error);
void         ms_lab_server_free (MsLabServer *srv);
void         ms_lab_server_set_log (MsLabServer *srv, MsLabLogFunc func, gpointer data);

/* Starts a listener on "ADDR:PORT" ("127.0.0.1:143", "[::1]:0"). Port 0
 * picks a free port. Returns the bound port, or 0 with error set. */
guint16 ms_lab_server_listen (MsLabServer *srv, MsLabService svc, const char *addr_port,
                              GError **error);
guint16 ms_lab_server_port (MsLabServer *srv, MsLabService svc);
/* The addresses (GInetAddress) the service listens on, or NULL. */
GPtrArray *ms_lab_server_addresses (MsLabServer *srv, MsLabService svc);
const char *ms_lab_service_name (MsLabService svc);

/* --- changes while running ----------------------------------------- */

/* These change a running server. Like everything else here they must be
 * called from the thread that runs the server's main context (a GUI hands
 * them over with g_main_context_invoke()). */

/* TRUE when `name` may be an account: a Maildir name without '.' or ':'
 * that is not the certificate directory. */
gboolean ms_lab_user_name_ok (const char *name);
/* Adds an account; new logins may use it at once. FALSE with error for a
 * bad name, an empty password or an existing account. */
gboolean ms_lab_server_add_user (MsLabServer *srv, const char *name, const char *password,
                                 GError **error);
/* Removes an account: later logins fail; sessions already logged in keep
 * running. FALSE when there is no such account. */
gboolean ms_lab_server_remove_user (MsLabServer *srv, const char *name);
/* The accounts' names, in the order they were added. */
GStrv ms_lab_server_user_names (MsLabServer *srv);
/* Takes effect at the next password a session sends. */
void ms_lab_server_set_require_tls (MsLabServer *srv, gboolean require);
/* Whether plain IMAP and POP3 connections accepted from now on may switch
 * to TLS (STARTTLS, STLS); on by default. */
void ms_lab_server_set_starttls (MsLabServer *srv, gboolean offer);

/* --- for protocol sessions ----------------------------------------- */

const MsLabConfig *ms_lab_server_config (MsLabServer *srv);
SSL_CTX *ms_lab_server_ssl_ctx (MsLabServer *srv);
void ms_lab_server_log (MsLabServer *srv, const char *service, MsLabConn *conn, char who,
                        const char *fmt, ...) G_GNUC_PRINTF (5, 6);
/* The same for a peer without a connection (DNS over UDP). */
void ms_lab_server_log_peer (MsLabServer *srv, const char *service, const char *peer, char who,
                             const char *fmt, ...) G_GNUC_PRINTF (5, 6);
/* TRUE when the user exists and the password matches. */
gboolean ms_lab_server_check_password (MsLabServer *srv, const char *user, const char *password);
/* The password of a user (for APOP), or NULL. */
const char *ms_lab_server_password (MsLabServer *srv, const char *user);
/* The user's Maildir (shared by all sessions of the process), seeded from
 * seed_dir on first use; NULL with error set. */
MsMaildir *ms_lab_server_maildir (MsLabServer *srv, const char *user, GError **error);
/* A session logged in: it no longer counts against the pre-login limit. */
void ms_lab_server_authenticated (MsLabServer *srv, MsLabConn *conn);
/* May a password cross this connection? FALSE (with the reason in *why)
 * for a non-loopback peer without TLS unless allow_plaintext, or without
 * TLS at all under require_tls. */
gboolean ms_lab_server_plaintext_ok (MsLabServer *srv, MsLabConn *conn, const char **why);

/* POP3 maildrop lock (RFC 1939 §8): one POP3 session per user. */
gboolean ms_lab_server_pop3_lock (MsLabServer *srv, const char *user);
void     ms_lab_server_pop3_unlock (MsLabServer *srv, const char *user);

/* Attaches a session of `svc` to a connection made elsewhere (memory
 * transports in tests and fuzzing). */
void ms_lab_server_adopt (MsLabServer *srv, MsLabService svc, MsLabConn *conn);

/* The DNS responder (ms-dns-server.c) keeps its state in this slot. */
gpointer *ms_lab_server_dns_slot (MsLabServer *srv);
gboolean ms_dns_server_start (MsLabServer *srv, GInetSocketAddress *addr, guint16 *bound,
                              GError **error);
void ms_dns_server_stop_all (MsLabServer *srv);
/* Answers one DNS query message as the lab's responder would (tests and
 * fuzzing); NULL when the bytes deserve no answer. */
GByteArray *ms_dns_server_answer (MsLabServer *srv, const guint8 *msg, gsize len);

/* --- protocol session constructors --------------------------------- */

typedef struct {
  const MsLabSessionOps *ops;
  gpointer (*create) (MsLabServer *srv, MsLabConn *conn, gboolean tls);
} MsLabProtocol;

extern const MsLabProtocol ms_pop3_server_protocol;
extern const MsLabProtocol ms_imap_server_protocol;
extern const MsLabProtocol ms_dns_tcp_protocol;   /* DNS over TCP (RFC 7766) */

G_END_DECLS
