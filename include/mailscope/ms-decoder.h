/* ms-decoder.h - the one interface every stream protocol decoder implements,
 * and the registry that the pipeline dispatches from (as tcpdump's
 * print-tcp.c dispatches on ports from a single place).
 *
 * Decoders are incremental: all progress lives in the decoder, the caller
 * feeds any split of each direction's byte stream (one byte at a time must
 * give the same events as one piece), and events are handed to the emitter.
 * Decoders never print and never narrate. */
#pragma once

#include <glib.h>
#include "ms-types.h"
#include "ms-event.h"

G_BEGIN_DECLS

typedef enum {
  MS_SNIFF_NO = 0,      /* these bytes are not this protocol */
  MS_SNIFF_NEED_MORE,   /* cannot tell yet */
  MS_SNIFF_YES,         /* these bytes begin this protocol */
} MsSniff;

typedef enum {
  /* The capture began after the conversation: the first bytes may sit in
   * the middle of a line or literal; resynchronise at the next line. */
  MS_DECODER_MIDSTREAM = 1 << 0,
} MsDecoderFlags;

typedef struct {
  guint flags;        /* MsDecoderFlags */
  MsProto inner;      /* TLS only: the protocol carried inside (993 → IMAP) */
} MsDecoderConfig;

typedef struct _MsDecoder MsDecoder;
typedef struct _MsDecoderClass MsDecoderClass;

struct _MsDecoderClass {
  MsProto proto;
  const char *name;               /* "imap" */
  const guint16 *ports;           /* well-known server ports, 0-terminated */
  /* Looks at the first bytes one side sent. */
  MsSniff (*sniff) (MsDir dir, const guint8 *data, gsize len);
  MsDecoder *(*create) (MsEmitter *emitter, const MsDecoderConfig *config);
  /* `offset` is the stream offset of data[0] within direction `dir`;
   * offsets of consecutive calls are contiguous unless gap() came between. */
  void (*feed) (MsDecoder *dec, MsDir dir, guint64 offset,
                const guint8 *data, gsize len);
  /* `missing` bytes at `offset` will never arrive; resynchronise. */
  void (*gap) (MsDecoder *dec, MsDir dir, guint64 offset, guint64 missing);
  /* No more bytes in either direction. Items still open are emitted,
   * flagged MS_EVENT_TRUNCATED. */
  void (*finish) (MsDecoder *dec);
  void (*destroy) (MsDecoder *dec);
};

/* Every decoder's state struct starts with this. */
struct _MsDecoder {
  const MsDecoderClass *klass;
  MsEmitter *emitter;
};

/* Registry: the stream decoders in dispatch order (imap, pop3, tls, dns). */
const MsDecoderClass *const *ms_decoder_classes (guint *n);
const MsDecoderClass *ms_decoder_class_for (MsProto proto);
/* The class whose well-known ports include `port`, or NULL. For implicit-TLS
 * ports (993, 995) returns TLS and sets *inner to IMAP/POP3. */
const MsDecoderClass *ms_decoder_class_for_port (guint16 port, MsProto *inner);

static inline MsDecoder *
ms_decoder_new (const MsDecoderClass *klass, MsEmitter *emitter,
                const MsDecoderConfig *config)
{
  return klass->create (emitter, config);
}
static inline void
ms_decoder_feed (MsDecoder *d, MsDir dir, guint64 offset, const guint8 *data, gsize len)
{
  d->klass->feed (d, dir, offset, data, len);
}
static inline void
ms_decoder_gap (MsDecoder *d, MsDir dir, guint64 offset, guint64 missing)
{
  d->klass->gap (d, dir, offset, missing);
}
static inline void
ms_decoder_finish (MsDecoder *d)
{
  d->klass->finish (d);
}
static inline void
ms_decoder_free (MsDecoder *d)
{
  if (d)
    d->klass->destroy (d);
}

/* The per-protocol classes (defined in src/core/proto/). */
extern const MsDecoderClass ms_imap_decoder_class;
extern const MsDecoderClass ms_pop3_decoder_class;
extern const MsDecoderClass ms_tls_decoder_class;
extern const MsDecoderClass ms_dns_tcp_decoder_class;   /* DNS over TCP */

G_END_DECLS
