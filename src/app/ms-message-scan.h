/* ms-message-scan.h - everything the message view shows about a session's
 * messages, gathered once per session in a worker thread: for each FETCH
 * response and each POP3 RETR/TOP/LIST answer, the bytes that crossed the
 * wire read back from the capture and parsed. The view then only filters
 * the records by lesson step, which is quick. */
#pragma once

#include <gio/gio.h>
#include "ms-capture.h"
#include "ms-message-extract.h"
#include "ms-message-mime.h"

G_BEGIN_DECLS

/* Bytes of one message (or one FETCH response) read back at most; beyond
 * it the message is parsed as cut there and says so. */
#define MS_MESSAGE_MAX_BYTES (16 * 1024 * 1024)
/* Bytes read back for one session at most; later messages are listed
 * from their events alone and marked as not read. */
#define MS_MESSAGE_MAX_TOTAL (64 * 1024 * 1024)

typedef enum {
  MS_MSG_IMAP_FETCH,
  MS_MSG_POP3_RETR,
  MS_MSG_POP3_TOP,
  MS_MSG_POP3_LIST,
} MsMsgKind;

/* One BODY[...] item of a FETCH response and what its bytes gave. */
typedef struct {
  MsFetchSection item;
  MsMimeInfo *parsed;     /* a whole message parsed, or a part's own body */
  MsMailHeaders headers;  /* from a message or header section */
} MsMsgSection;

typedef struct {
  guint event;            /* index of the event in the capture */
  guint session;
  MsStep step;
  guint32 frame;
  guint flags;            /* MsEventFlags of the event */
  MsMsgKind kind;
  guint mailbox_epoch;    /* IMAP: SELECT/EXAMINE completed before it */
  const char *mailbox;    /* IMAP: the mailbox selected then, or NULL
                             (owned by the scan) */
  guint number;           /* message sequence number */
  gint64 uid;             /* IMAP UID, -1 when not known */
  gint64 size;            /* RFC822.SIZE, -1 when not known */
  gint64 top_lines;       /* POP3 TOP's line count, -1 */
  guint64 content_bytes;  /* message content the decoder counted */
  MsMailHeaders headers;  /* ENVELOPE (IMAP) or the parsed header (POP3) */
  MsMimeInfo *structure;  /* the BODYSTRUCTURE this response carried */
  MsMimeInfo *parsed;     /* POP3: the message as downloaded */
  GArray *sections;       /* IMAP: MsMsgSection */
  GHashTable *list_sizes; /* POP3 LIST: number -> octets */
  gboolean not_read;      /* bytes not read back (total cap, unreadable file) */
  gboolean skipped;       /* ... because reading was skipped (live capture) */
  gboolean capped;        /* bytes read only up to MS_MESSAGE_MAX_BYTES */
  gboolean terminated;    /* POP3: the answer ended with its dot line */
  guint64 kept;           /* bytes of message read back */
} MsMsgRecord;

typedef struct _MsMessageScan MsMessageScan;

/* Collects what is needed from the capture (main thread, no file access):
 * the events among `indices` that move or describe messages. */
MsMessageScan *ms_message_scan_new (MsCapture *capture, const guint *indices, guint n);
MsMessageScan *ms_message_scan_ref (MsMessageScan *scan);
void ms_message_scan_unref (MsMessageScan *scan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsMessageScan, ms_message_scan_unref)

/* Reads and parses the bytes (blocking: call it from a worker, or from a
 * test). FALSE with error when cancelled or when the file cannot be read;
 * the records then hold what the events alone say. */
gboolean ms_message_scan_run (MsMessageScan *scan, GCancellable *cancellable, GError **error);
/* The same in a worker thread; the task holds a reference on the scan. */
void ms_message_scan_run_async (MsMessageScan *scan, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
gboolean ms_message_scan_run_finish (GAsyncResult *result, GError **error);

/* Gives up reading: the records keep what the events say and are marked
 * not read. */
void ms_message_scan_skip (MsMessageScan *scan);

guint ms_message_scan_get_n_records (MsMessageScan *scan);
const MsMsgRecord *ms_message_scan_get_record (MsMessageScan *scan, guint i);
/* The message a record is about: session, mailbox and UID (or number). */
char *ms_message_record_key (const MsMsgRecord *rec);
/* Bytes of message content read back in all. */
guint64 ms_message_scan_get_kept (MsMessageScan *scan);

G_END_DECLS
