/* ms-lab-client-private.h - what the IMAP and POP3 clients share with the
 * client engine (ms-lab-client.c): steps, transcript, the connection with
 * optional TLS, line and byte reads with deadlines. Worker thread only. */
#pragma once

#include <openssl/ssl.h>

#include "ms-lab-client.h"

G_BEGIN_DECLS

/* A line from the server longer than this is not IMAP/POP3 we can show:
 * RFC 9051 §4 has no limit, but servers keep lines far below 64 KiB (the
 * big parts travel as literals). */
#define MS_LAB_CLIENT_MAX_LINE (64u * 1024)
/* Default wait for the server (connect, each read): a lab server on
 * loopback answers at once, a real one within seconds. */
#define MS_LAB_CLIENT_TIMEOUT_S 30
/* Transcript lines are cut here: a screen line, not a whole envelope. */
#define MS_LAB_CLIENT_SHOW_LINE 1000
/* Literals (IMAP) and message bodies (POP3) up to this size are shown; longer
 * ones appear as "[… N bytes …]". */
#define MS_LAB_CLIENT_SHOW_LITERAL 1024

struct _MsLabClient {
  gint ref;
  MsLabClientOptions opts;
  MsLabClientCallbacks cb;
  gpointer user_data;
  GMainContext *context;
  GThread *thread;
  GCancellable *cancellable;

  GMutex lock;            /* guards everything below up to `report` */
  GCond cond;
  gboolean step_mode;
  gboolean waiting;       /* the worker waits for ms_lab_client_next() */
  gboolean go;
  GQueue events;          /* of ClientEvent, for the caller's context */
  gboolean drain_scheduled;
  gboolean disposed;
  gboolean running;

  MsLabClientReport report;
  GError *error;

  /* worker only */
  char *host;
  guint16 port;           /* 0: not given */
  GSocket *sock;
  SSL_CTX *ssl_ctx;
  SSL *ssl;
  BIO *rbio, *wbio;
  GByteArray *inbuf;      /* plaintext received, not yet consumed */
  gboolean awaiting;      /* sent something since the last receive */
  gint64 started;
};

/* Announces a step and, in step mode, waits for ms_lab_client_next().
 * FALSE (error set) when the run was cancelled meanwhile. */
gboolean ms_lab_client_step (MsLabClient *c, MsStep step, GError **error,
                             const char *fmt, ...) G_GNUC_PRINTF (4, 5);
/* One transcript line ('C', 'S' or '-'). */
void ms_lab_client_say (MsLabClient *c, char who, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

/* The dns, connect and (implicit TLS) tls steps. */
gboolean ms_lab_client_open (MsLabClient *c, guint16 std_port, guint16 lab_port,
                             guint16 implicit_std_port, guint16 implicit_lab_port,
                             GError **error);
/* TLS handshake over the open connection (after STARTTLS/STLS too). */
gboolean ms_lab_client_handshake (MsLabClient *c, GError **error);
/* Sends `line` plus CRLF; the transcript shows `shown` (or line). */
gboolean ms_lab_client_send_line (MsLabClient *c, const char *line, const char *shown,
                                  GError **error);
/* A deadline for reads: now plus the configured timeout. */
gint64 ms_lab_client_deadline (MsLabClient *c);
/* Next line without its CRLF (caller frees); FALSE with error on EOF,
 * timeout (G_IO_ERROR_TIMED_OUT at `deadline`), overlong line. */
gboolean ms_lab_client_read_line (MsLabClient *c, gint64 deadline, char **line, gsize *len,
                                  GError **error);
/* Reads exactly n bytes; the first keep_max go to `keep` (may be NULL). */
gboolean ms_lab_client_read_bytes (MsLabClient *c, guint64 n, GByteArray *keep, gsize keep_max,
                                   GError **error);
/* Bytes already received but not consumed (must be 0 before STARTTLS). */
gsize ms_lab_client_buffered (MsLabClient *c);
/* Waits until `deadline`, or until cancelled (then FALSE). */
gboolean ms_lab_client_sleep_until (MsLabClient *c, gint64 deadline);
/* A transcript-safe copy of server text: control bytes replaced, valid UTF-8, cut. */
char *ms_lab_client_printable (const char *s, gsize len);

gboolean ms_imap_client_run (MsLabClient *c, GError **error);
gboolean ms_pop3_client_run (MsLabClient *c, GError **error);

G_END_DECLS
