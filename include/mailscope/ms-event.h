/* ms-event.h - the unit that flows from decoders to the lesson and the sinks.
 *
 * A decoder creates an event, sets proto/dir/kind/info, byte range and
 * fields, and hands it to its MsEmitter.  The pipeline then stamps frame,
 * time, stream and endpoints; the lesson layer sets step and summary; sinks
 * print it.  Events are reference counted (ms_event_ref/unref). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include "ms-types.h"

G_BEGIN_DECLS

typedef enum {
  MS_EVENT_TRUNCATED = 1 << 0,  /* the capture ran out before the item ended */
  MS_EVENT_MALFORMED = 1 << 1,  /* the bytes break the protocol grammar */
  MS_EVENT_WARNING   = 1 << 2,  /* something a student should notice */
  MS_EVENT_GAP       = 1 << 3,  /* bytes missing from the stream before/inside it */
  MS_EVENT_SECRET    = 1 << 4,  /* info contains a secret (see "secret" fields) */
} MsEventFlags;

typedef enum {
  MS_VAL_STR,
  MS_VAL_INT,
  MS_VAL_BOOL,
  MS_VAL_DOUBLE,
  MS_VAL_NODE,   /* a JsonNode (arrays/objects such as a MIME tree) */
} MsValType;

/* One named value. `name` must be a static string. `off`/`len` give the
 * value's bytes in the direction's stream (absolute stream offset, as passed
 * to the decoder's feed), or off = G_MAXUINT64 when it has no byte range. */
typedef struct {
  const char *name;
  MsValType type;
  union {
    char *s;
    gint64 i;
    gboolean b;
    double d;
    JsonNode *node;
  } v;
  guint64 off;
  guint64 len;
} MsField;

#define MS_NO_OFFSET G_MAXUINT64

typedef struct _MsEvent MsEvent;
struct _MsEvent {
  /* --- set by the decoder --- */
  MsProto proto;
  MsDir dir;
  const char *kind;      /* static; e.g. "command", "completion", "untagged",
                            "continuation", "response", "query", "handshake",
                            "close", "client-hello", "credential", "gap", … */
  guint flags;           /* MsEventFlags */
  guint64 offset;        /* first byte in the direction's stream, or MS_NO_OFFSET */
  guint64 length;        /* bytes covered */
  char *info;            /* untranslated protocol text, one line (Info column) */
  GArray *fields;        /* of MsField */

  /* --- set by the pipeline --- */
  guint64 seq;           /* 1-based, in emission order */
  guint32 frame;         /* frame in which the event completed (1-based) */
  guint32 first_frame;   /* frame holding its first byte */
  gint64 ts_nsec;        /* absolute timestamp of `frame` */
  double time;           /* seconds since the capture's first frame */
  gint64 stream;         /* TCP stream index as tshark numbers it, or -1 */
  MsAddr src, dst;       /* endpoints of this direction */
  MsAddr client, server; /* the conversation's roles (as far as known) */

  /* --- set by the lesson layer --- */
  MsStep step;
  char *summary;         /* translated one-line narration */
  char *note;            /* translated remark for the student, or NULL */

  gint ref_count;
};

MsEvent *ms_event_new (MsProto proto, MsDir dir, const char *kind);
MsEvent *ms_event_ref (MsEvent *ev);
void     ms_event_unref (MsEvent *ev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsEvent, ms_event_unref)

void ms_event_set_info (MsEvent *ev, const char *info);              /* copies */
void ms_event_set_info_len (MsEvent *ev, const char *info, gsize len); /* copies; no NUL inside */
void ms_event_take_info (MsEvent *ev, char *info);                   /* owns */
void ms_event_set_infof (MsEvent *ev, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
void ms_event_set_range (MsEvent *ev, guint64 offset, guint64 length);
/* Frees the lesson's summary and note (set to NULL): for a program that has
 * written them out and hands the event back to the thread that made it,
 * so that each thread frees what it allocated. */
void ms_event_clear_narration (MsEvent *ev);

/* Adders; each returns the new field so callers can set off/len. Strings are
 * copied; ms_event_add_strn copies `len` bytes and replaces invalid UTF-8. */
MsField *ms_event_add_str (MsEvent *ev, const char *name, const char *value);
MsField *ms_event_add_strn (MsEvent *ev, const char *name, const char *value, gsize len);
MsField *ms_event_add_int (MsEvent *ev, const char *name, gint64 value);
MsField *ms_event_add_bool (MsEvent *ev, const char *name, gboolean value);
MsField *ms_event_add_double (MsEvent *ev, const char *name, double value);
MsField *ms_event_add_node (MsEvent *ev, const char *name, JsonNode *node); /* takes node */

/* Lookup of the first field with that name; NULL / default when absent or of
 * another type. */
const MsField *ms_event_get (const MsEvent *ev, const char *name);
const char    *ms_event_get_str (const MsEvent *ev, const char *name);
gint64         ms_event_get_int (const MsEvent *ev, const char *name, gint64 def);
gboolean       ms_event_get_bool (const MsEvent *ev, const char *name);
gboolean       ms_event_has (const MsEvent *ev, const char *name);
/* Removes every field with that name; returns how many. */
guint          ms_event_remove (MsEvent *ev, const char *name);

/* A sink-independent JSON form: all the fixed members plus every field
 * (repeated names become arrays). Secrets are replaced by "****" when
 * mask_secrets. Never NULL. */
JsonObject *ms_event_to_json (const MsEvent *ev, gboolean mask_secrets);

/* The same JSON form for a stream of events, without building a new object
 * for each: events with the same members in the same order share one
 * object whose values are updated in place. ms_event_json_update returns
 * that object's node, owned by the MsEventJson and valid until the next
 * update; it serialises exactly as ms_event_to_json's object would. Not
 * thread-safe: one MsEventJson per thread. */
typedef struct _MsEventJson MsEventJson;
MsEventJson *ms_event_json_new (void);
JsonNode    *ms_event_json_update (MsEventJson *json, const MsEvent *ev, gboolean mask_secrets);
/* Updates as ms_event_json_update does and appends the object's JSON text
 * to `out` (each layout keeps a json-glib generator of its own). */
void         ms_event_json_write (MsEventJson *json, const MsEvent *ev, gboolean mask_secrets,
                                  GString *out);
void         ms_event_json_free (MsEventJson *json);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsEventJson, ms_event_json_free)

/* Copy of `text` with every "secret" field value of ev replaced by "****". */
char *ms_event_mask (const MsEvent *ev, const char *text);

/* Decoders hand events to an emitter; the pipeline or a test provides it.
 * emit() takes ownership of the event. */
typedef struct _MsEmitter MsEmitter;
struct _MsEmitter {
  void (*emit) (MsEmitter *self, MsEvent *ev);
  gpointer user_data;
};

static inline void
ms_emit (MsEmitter *emitter, MsEvent *ev)
{
  emitter->emit (emitter, ev);
}

G_END_DECLS
