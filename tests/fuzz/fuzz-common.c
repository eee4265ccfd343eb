/* fuzz-common.c - record reader, split-invariance driver for stream
 * decoders, and directory helpers shared by the fuzz targets. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "fuzz-common.h"

void
ms_fuzz_reader_init (MsFuzzReader *r, const guint8 *data, gsize size)
{
  r->p = data;
  r->left = size;
}

guint8
ms_fuzz_reader_byte (MsFuzzReader *r)
{
  if (r->left == 0)
    return 0;
  r->left--;
  return *r->p++;
}

/* Reads a 16-bit little-endian number (missing bytes count as 0). */
static guint
reader_u16 (MsFuzzReader *r)
{
  guint lo = ms_fuzz_reader_byte (r);
  guint hi = ms_fuzz_reader_byte (r);
  return lo | (hi << 8);
}

gboolean
ms_fuzz_reader_next (MsFuzzReader *r, MsFuzzRecord *rec)
{
  if (r->left == 0)
    return FALSE;
  guint8 h = ms_fuzz_reader_byte (r);
  memset (rec, 0, sizeof *rec);
  rec->dir = (h & 1) ? MS_DIR_S2C : MS_DIR_C2S;
  if (h & 2)
    {
      guint64 g = reader_u16 (r);
      guint shift = ((h >> 2) & 3) * 8;
      rec->gap = (g << shift) + 1;
    }
  gsize want = reader_u16 (r);
  rec->data = r->p;
  rec->len = MIN (want, r->left);
  r->p += rec->len;
  r->left -= rec->len;
  return TRUE;
}

char *
ms_fuzz_event_json (MsEvent *ev)
{
  JsonObject *obj = ms_event_to_json (ev, FALSE);
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, obj);
  char *s = json_to_string (node, FALSE);
  json_node_unref (node);
  return s;
}

typedef struct {
  MsEmitter emitter;
  GPtrArray *events;   /* char* JSON */
} Recorder;

static void
recorder_emit (MsEmitter *self, MsEvent *ev)
{
  Recorder *rec = (Recorder *) self;
  g_ptr_array_add (rec->events, ms_fuzz_event_json (ev));
  ms_event_unref (ev);
}

/* Feeds every record to a fresh decoder; bytewise feeds one byte per call.
 * Returns the JSON of each event in order. */
static GPtrArray *
run_decoder (const MsDecoderClass *klass, const MsDecoderConfig *cfg,
             const guint8 *data, gsize size, gboolean bytewise)
{
  Recorder rec = { { recorder_emit, NULL }, g_ptr_array_new_with_free_func (g_free) };
  MsDecoder *dec = ms_decoder_new (klass, &rec.emitter, cfg);
  guint64 offset[2] = { 0, 0 };
  MsFuzzReader r;
  MsFuzzRecord item;

  ms_fuzz_reader_init (&r, data, size);
  while (ms_fuzz_reader_next (&r, &item))
    {
      if (item.gap)
        {
          ms_decoder_gap (dec, item.dir, offset[item.dir], item.gap);
          offset[item.dir] += item.gap;
        }
      if (item.len == 0)
        continue;
      if (bytewise)
        for (gsize i = 0; i < item.len; i++)
          ms_decoder_feed (dec, item.dir, offset[item.dir] + i, item.data + i, 1);
      else
        ms_decoder_feed (dec, item.dir, offset[item.dir], item.data, item.len);
      offset[item.dir] += item.len;
    }
  ms_decoder_finish (dec);
  ms_decoder_free (dec);
  return rec.events;
}

void
ms_fuzz_stream_decoder (const MsDecoderClass *klass, const guint8 *data, gsize size)
{
  MsDecoderConfig cfg = { 0, MS_PROTO_NONE };
  static const MsProto inner[4] = { MS_PROTO_NONE, MS_PROTO_IMAP, MS_PROTO_POP3, MS_PROTO_NONE };

  if (size == 0)
    return;
  if (data[0] & 1)
    cfg.flags |= MS_DECODER_MIDSTREAM;
  cfg.inner = inner[(data[0] >> 1) & 3];
  data++;
  size--;

  GPtrArray *whole = run_decoder (klass, &cfg, data, size, FALSE);
  if (g_getenv ("MS_FUZZ_NO_SPLIT_CHECK") == NULL)
    {
      GPtrArray *bytes = run_decoder (klass, &cfg, data, size, TRUE);
      guint n = MAX (whole->len, bytes->len);
      for (guint i = 0; i < n; i++)
        {
          const char *a = i < whole->len ? whole->pdata[i] : "(none)";
          const char *b = i < bytes->len ? bytes->pdata[i] : "(none)";
          if (strcmp (a, b) != 0)
            {
              fprintf (stderr, "%s: event %u differs between the fuzzer's split and "
                       "one byte at a time:\n  split:   %s\n  bytewise: %s\n",
                       klass->name, i, a, b);
              abort ();
            }
        }
      g_ptr_array_unref (bytes);
    }
  g_ptr_array_unref (whole);
}

const char *
ms_fuzz_samples_maildir (void)
{
  static char *path;
  if (path == NULL)
    {
      const char *root = g_getenv ("MS_SOURCE_ROOT");
      if (root != NULL)
        path = g_build_filename (root, "samples", "maildir", NULL);
      else
        path = g_build_filename (SOURCE_SAMPLES_DIR, "maildir", NULL);
    }
  return path;
}

void
ms_fuzz_rm_rf (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  if (dir != NULL)
    {
      const char *name;
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          char *child = g_build_filename (path, name, NULL);
          if (g_file_test (child, G_FILE_TEST_IS_DIR)
              && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            ms_fuzz_rm_rf (child);
          else
            g_unlink (child);
          g_free (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}
