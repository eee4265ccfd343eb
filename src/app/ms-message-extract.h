/* ms-message-extract.h - the message bytes a capture holds: reads byte
 * ranges of a TCP stream direction back from the capture file, takes the
 * message out of a POP3 RETR/TOP answer (dot-unstuffed, RFC 1939 §3) and
 * the sections, sizes and envelope out of an IMAP FETCH response (RFC 9051
 * §7.5.2). No GTK; the reading runs in a worker thread. */
#pragma once

#include <gio/gio.h>
#include "ms-capture.h"
#include "ms-message-mime.h"

G_BEGIN_DECLS

/* Payload bytes in one frame at most (the snap length's ceiling), so that
 * a range's frames can be found by their start alone. */
#define MS_EXTRACT_MAX_SEGMENT 262144

/* One frame of a stream direction that carries payload. */
typedef struct {
  guint32 number;    /* frame number, 1-based */
  guint32 rel_seq;   /* its payload's offset in the direction's stream */
  guint32 caplen;
} MsStreamFrame;

/* Fills, for each session id in `sessions` (id -> empty GArray of
 * MsStreamFrame), the frames of that session sent in `dir` that may carry
 * TCP payload, sorted by stream offset. One pass over the capture's frame
 * records; reads no file (main thread). */
void ms_extract_collect_frames (MsCapture *capture, GHashTable *sessions, MsDir dir);

/* A byte range of one stream direction to read back. */
typedef struct {
  const GArray *frames;   /* MsStreamFrame (borrowed) */
  guint64 off, len;       /* the range; len is already capped */
  gboolean capped;        /* len is less than the event covers */
  /* filled by ms_extract_read_ranges */
  guint8 *data;           /* len bytes, zero where the capture lacks them */
  GArray *missing;        /* MsByteRange relative to off, sorted */
} MsStreamRange;

void ms_stream_range_clear (MsStreamRange *r);

/* Reads every range from the capture file at `path` in one pass.
 * Fails only when the file cannot be read (or on cancellation); bytes
 * that never were in the capture are listed in each range's `missing`. */
gboolean ms_extract_read_ranges (const char *path, MsStreamRange **ranges, guint n,
                                 GCancellable *cancellable, GError **error);

/* The payload of a POP3 multi-line answer in `r` (status line through the
 * dot line): the lines after the status line, dot-unstuffed, without the
 * final dot line. `terminated` says whether the dot line was there.
 * out_missing lists missing ranges in the unstuffed bytes. */
GByteArray *ms_extract_pop3_payload (const MsStreamRange *r, GArray **out_missing,
                                     gboolean *terminated);

/* Sizes in a POP3 LIST answer: number -> octets. */
GHashTable *ms_extract_pop3_list (const MsStreamRange *r);

/* One BODY[...] / BINARY[...] / RFC822* item of a FETCH response. */
typedef struct {
  char *section;         /* inside the brackets, upper case: "", "2", "HEADER",
                            "1.MIME", "HEADER.FIELDS (FROM)"; RFC822 is "" */
  gboolean binary;       /* BINARY[...] (decoded content) */
  gint64 origin;         /* <origin> of a partial fetch, -1 when none */
  gboolean nil;          /* the server sent NIL */
  guint64 announced;     /* octets the server announced (literal or string) */
  guint64 got;           /* of those, octets the capture holds */
  gboolean cut;          /* the range read stopped inside it (a cap) */
  gsize data_start;      /* in the range's data */
  gsize data_len;        /* octets of it in the range's data */
} MsFetchSection;

typedef struct {
  guint32 number;
  gint64 uid;            /* -1 when the response has no UID */
  gint64 size;           /* RFC822.SIZE, -1 when absent */
  MsMailHeaders envelope;/* from ENVELOPE, decoded */
  gboolean has_envelope;
  GArray *sections;      /* MsFetchSection */
  gboolean incomplete;   /* the bytes stopped before the closing paren */
} MsFetchData;

/* Reads the untagged FETCH response in `r`. FALSE when the bytes are no
 * FETCH response. */
gboolean ms_extract_imap_fetch (const MsStreamRange *r, MsFetchData *out);
void ms_fetch_data_clear (MsFetchData *d);

G_END_DECLS
