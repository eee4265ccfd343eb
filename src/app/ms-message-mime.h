/* ms-message-mime.h - MIME trees of messages for the message view: from the
 * bytes that crossed the wire (parsed with GMime), from an IMAP
 * BODYSTRUCTURE (as the decoder reports it) and the header lines a student
 * reads first (From, To, Subject, Date). No GTK: the trees are built in a
 * worker thread. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Characters of a text/plain part shown as its preview; lines at most. */
#define MS_MIME_PREVIEW_CHARS 320
#define MS_MIME_PREVIEW_LINES 6
/* Encoded text parts larger than this get no preview: the worker would
 * decode megabytes to show a few lines. */
#define MS_MIME_PREVIEW_MAX_INPUT (256 * 1024)
/* MIME parts kept per message; real messages have a handful. */
#define MS_MIME_MAX_PARTS 256
/* Nesting kept; deeper parts are left out and the parent says so. */
#define MS_MIME_MAX_DEPTH 16

/* A byte range [start, end) of message bytes that the capture does not
 * hold (a gap). */
typedef struct {
  gsize start, end;
} MsByteRange;

typedef struct _MsMimeInfo MsMimeInfo;
struct _MsMimeInfo {
  char *section;       /* IMAP part number ("2", "1.2"); NULL for the multipart
                          that is a message's body, as in BODYSTRUCTURE */
  char *type;          /* "application/pdf", lower case */
  char *filename;      /* NULL when none */
  char *encoding;      /* Content-Transfer-Encoding, lower case, NULL when none */
  char *charset;       /* NULL when none */
  gint64 size;         /* octets of its encoded body; -1 when not known */
  gint64 have;         /* octets of its body the capture holds; -1 when
                          this tree was not built from bytes */
  gboolean cut;        /* the bytes end inside this part */
  gboolean omitted;    /* children were left out (past a cap) */
  char *preview;       /* start of a text/plain part, or NULL */
  GPtrArray *children; /* of MsMimeInfo; never NULL */
};

typedef struct {
  char *from, *to, *subject, *date;   /* decoded UTF-8, NULL when absent */
} MsMailHeaders;

void ms_mime_init (void);

/* The tree the decoder read from a BODYSTRUCTURE (its "parts" field); NULL
 * for a node that is not an object. */
MsMimeInfo *ms_mime_info_from_structure (JsonNode *parts);

/* Parses `len` bytes of a message with GMime. `missing` (sorted, may be
 * NULL) lists ranges the capture lacks; `complete` is FALSE when the bytes
 * stop before the message's end. Fills `headers` when not NULL. Never NULL:
 * bytes that are no message still give a text/plain body. */
MsMimeInfo *ms_mime_info_parse (const guint8 *data, gsize len, const GArray *missing,
                                gboolean complete, MsMailHeaders *headers);

/* Part `section` in the tree, or NULL. */
MsMimeInfo *ms_mime_info_find (MsMimeInfo *root, const char *section);
/* Sum of `size` (or `have`) over the leaves under `info`; -1 when a leaf's
 * size is unknown. */
gint64 ms_mime_info_leaf_size (const MsMimeInfo *info);
guint ms_mime_info_count (const MsMimeInfo *info);
void ms_mime_info_free (MsMimeInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsMimeInfo, ms_mime_info_free)

/* RFC 2047 decoding of an unstructured header value (Subject), and of an
 * address's display name. Return newly allocated valid UTF-8. */
char *ms_mime_decode_text (const char *raw);
char *ms_mime_decode_phrase (const char *raw);

void ms_mail_headers_clear (MsMailHeaders *h);
void ms_mail_headers_copy (MsMailHeaders *dst, const MsMailHeaders *src);
gboolean ms_mail_headers_empty (const MsMailHeaders *h);

/* Octets of [start, end) not inside a range of `missing`. */
gsize ms_byte_ranges_present (const GArray *missing, gsize start, gsize end);

G_END_DECLS
