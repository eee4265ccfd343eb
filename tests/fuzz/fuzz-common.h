/* fuzz-common.h - helpers shared by the fuzz targets: the record format
 * that lets the fuzzer choose split points, directions and gaps, a driver
 * for any stream decoder, and a throwaway lab for the server sessions. */
#pragma once

#include <glib.h>

#include "mailscope/ms-decoder.h"

G_BEGIN_DECLS

/* libFuzzer's entry points (also called by replay-main.c). */
int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

/* Reads the record format described in README.md here:
 *   header byte: bit 0 direction (0 client→server), bit 1 a gap comes
 *   first (two more bytes give its size, scaled by bits 2-3 as 256^n),
 *   then a 16-bit little-endian length and that many bytes (clipped to
 *   what is left). */
typedef struct {
  const guint8 *p;
  gsize left;
} MsFuzzReader;

typedef struct {
  MsDir dir;
  guint64 gap;          /* bytes missing before data, 0 for none */
  const guint8 *data;
  gsize len;
} MsFuzzRecord;

void     ms_fuzz_reader_init (MsFuzzReader *r, const guint8 *data, gsize size);
/* FALSE at the end of the input. */
gboolean ms_fuzz_reader_next (MsFuzzReader *r, MsFuzzRecord *rec);
/* One byte, 0 when the input is exhausted. */
guint8   ms_fuzz_reader_byte (MsFuzzReader *r);

/* Runs one stream decoder over the records twice — split as the fuzzer
 * chose, then one byte at a time — and aborts when the two event lists
 * differ (the decoder contract: any split gives identical events).
 * The first input byte is the configuration: bit 0 MS_DECODER_MIDSTREAM,
 * bits 1-2 the inner protocol for TLS (1 IMAP, 2 POP3). */
void ms_fuzz_stream_decoder (const MsDecoderClass *klass, const guint8 *data, gsize size);

/* The serialized form of an event used for comparisons. */
char *ms_fuzz_event_json (MsEvent *ev);

/* The samples/maildir directory of the source tree. */
const char *ms_fuzz_samples_maildir (void);

/* Removes a directory tree; quiet about errors (a throwaway directory). */
void ms_fuzz_rm_rf (const char *path);

G_END_DECLS
