/* ms-lab-client.h - the lab's step-by-step mail clients (IMAP RFC 9051/3501,
 * POP3 RFC 1939/2595) and their own DNS query (RFC 1035), for the CLI and the
 * GUI.
 *
 * A client runs the lesson's flow in a worker thread with blocking I/O, so
 * the caller's main loop never blocks. Every callback is delivered on the
 * thread-default main context of the thread that called
 * ms_lab_client_start(), in the order the worker produced them. Before each
 * step the client calls step_ready(); in step mode it then waits until the
 * caller calls ms_lab_client_next(). */
#pragma once

#include <glib.h>
#include <gio/gio.h>

#include "mailscope/ms-types.h"

G_BEGIN_DECLS

typedef enum {
  MS_LAB_CLIENT_TLS_NONE,
  MS_LAB_CLIENT_TLS_STARTTLS,   /* STARTTLS (IMAP) / STLS (POP3) */
  MS_LAB_CLIENT_TLS_IMPLICIT,   /* TLS from the first byte (993/995) */
} MsLabClientTls;

typedef struct {
  MsProto proto;              /* MS_PROTO_IMAP or MS_PROTO_POP3 */
  char *server;               /* "HOST", "HOST:PORT", "[V6]:PORT" */
  char *user;
  char *password;
  char *dns;                  /* resolver "ADDR:PORT"; NULL: 127.0.0.1:53, then :10053 */
  MsLabClientTls tls;
  char *ca_path;              /* NULL: the system's CAs */
  gboolean insecure;          /* do not verify the server's certificate */
  char *keylog_path;          /* NSS key log of the TLS secrets, or NULL */
  guint idle_seconds;         /* IMAP IDLE (or NOOP polling) time; 0 skips it */
  gboolean download_attachments;
  gboolean delete_messages;   /* POP3: DELE every message */
  gboolean apop;              /* POP3: APOP when the greeting has a timestamp */
  gboolean sasl_plain;        /* IMAP: AUTHENTICATE PLAIN instead of LOGIN */
  gboolean mask_secrets;      /* the transcript shows ******** for passwords */
  gboolean step_mode;         /* wait for ms_lab_client_next() before each step */
  guint timeout_seconds;      /* one read or connect; 0 means the default */
} MsLabClientOptions;

void ms_lab_client_options_init (MsLabClientOptions *opts);
void ms_lab_client_options_clear (MsLabClientOptions *opts);

/* What one run did on the wire (the `demo compare` table reads this). */
typedef struct {
  MsProto proto;
  char *server_name;          /* the name asked for */
  char *server_address;       /* "127.0.0.1:10143" connected to */
  gboolean dns_used;
  guint64 dns_bytes_sent, dns_bytes_received;
  gboolean tls;
  char *tls_version;          /* "TLSv1.3", or NULL */
  char *tls_cipher;
  guint64 bytes_sent;         /* TCP payload, client to server (TLS included) */
  guint64 bytes_received;     /* TCP payload, server to client */
  guint round_trips;          /* times the client waited for the server's answer after
                               * sending: the protocol's round trips, counted as the
                               * lesson counts them (not the DNS query, not the TCP
                               * handshake) */
  guint commands;             /* commands sent */
  guint64 content_bytes;      /* message content fetched (RETR / BODY[…] bytes) */
  guint messages_fetched;     /* messages (POP3) or parts (IMAP) whose content came */
  gboolean attachment_downloaded;
  guint64 attachment_bytes;   /* IMAP: the parts fetched; POP3: attachment parts inside
                               * the RETR'd messages, from Content-Disposition on */
  guint64 newest_size;        /* IMAP: RFC822.SIZE of the newest message */
  guint64 newest_text_bytes;  /* IMAP: bytes of its text part fetched */
  guint messages_on_server;   /* when the mailbox was opened */
  guint messages_left;        /* when the client left */
  guint messages_deleted;
  guint updates_pushed;       /* untagged responses during IDLE / polling */
  GArray *message_sizes;      /* guint64 per message: RETR octets (POP3),
                               * RFC822.SIZE (IMAP), in mailbox order */
  gboolean completed;         /* the whole flow ran and ended with LOGOUT/QUIT */
  double elapsed;             /* seconds */
} MsLabClientReport;

typedef struct _MsLabClient MsLabClient;

typedef struct {
  /* The next step is about to run (in step mode: runs on
   * ms_lab_client_next()). description is translated prose. */
  void (*step_ready) (MsLabClient *client, MsStep step, const char *description,
                      gpointer user_data);
  /* One transcript line: who is 'C' (client sent), 'S' (server sent) or
   * '-' (a remark). Passwords are masked when mask_secrets is set; long
   * literals are summarised. */
  void (*transcript) (MsLabClient *client, char who, const char *text, gpointer user_data);
  /* The run ended; error is NULL on success. The report stays valid until
   * the client is freed. */
  void (*finished) (MsLabClient *client, const MsLabClientReport *report,
                    const GError *error, gpointer user_data);
} MsLabClientCallbacks;

/* A client for these options (copied). Does nothing until started. */
MsLabClient *ms_lab_client_new (const MsLabClientOptions *opts,
                                const MsLabClientCallbacks *callbacks, gpointer user_data);
/* Starts the worker; callbacks arrive on the caller's thread-default
 * main context. */
void ms_lab_client_start (MsLabClient *client);
/* Step mode: performs the step announced by the last step_ready(). */
void ms_lab_client_next (MsLabClient *client);
/* Switches between step mode and running every step without waiting;
 * leaving step mode releases a waiting step. */
void ms_lab_client_set_step_mode (MsLabClient *client, gboolean step_mode);
/* Stops the run at the next opportunity; finished() reports cancellation. */
void ms_lab_client_cancel (MsLabClient *client);
gboolean ms_lab_client_is_running (MsLabClient *client);
/* The report so far (complete once finished() was called). */
const MsLabClientReport *ms_lab_client_get_report (MsLabClient *client);
/* Cancels a running client, waits for its worker and frees it. Pending
 * callbacks are dropped. */
void ms_lab_client_free (MsLabClient *client);

/* "284,086": byte counts as the transcript and report show them. */
char *ms_lab_client_format_count (guint64 n);

/* --- the client's own DNS query (ms-lab-resolve.c) ------------------- */

#define MS_DNS_TYPE_A 1
#define MS_DNS_TYPE_AAAA 28

typedef struct {
  GInetAddress *address;      /* first address of the asked type, or NULL */
  guint32 ttl;
  guint16 id;                 /* the query's id */
  guint8 rcode;
  guint answers;              /* records in the answer section */
  gsize query_len, response_len;
} MsLabResolveAnswer;

/* Sends one query (type qtype, class IN, recursion desired) for `name` over
 * UDP to `resolver` ("ADDR:PORT"), waits up to timeout_ms, retrying once.
 * Returns FALSE with error set when nothing usable came back (no answer,
 * refused, malformed); TRUE with answer filled (address may be NULL when the
 * name has no record of that type). */
gboolean ms_lab_resolve (const char *name, const char *resolver, guint16 qtype,
                         guint timeout_ms, GCancellable *cancellable,
                         MsLabResolveAnswer *answer, GError **error);
void ms_lab_resolve_answer_clear (MsLabResolveAnswer *answer);

G_END_DECLS
