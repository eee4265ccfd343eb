/* ms-capture-read.c - the bytes of one frame again: from the memory a live
 * capture keeps, else from the capture file (classic pcap by its record
 * offset, pcapng by reading up to the frame). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ms-capture-private.h"

static guint32
read_u32 (const guint8 *p, gboolean swap)
{
  guint32 v;
  memcpy (&v, p, 4);
  return swap ? GUINT32_SWAP_LE_BE (v) : v;
}

/* Reads a pcap record at its offset; returns NULL (with error) when the file
 * changed or is not classic pcap. */
static GBytes *
read_pcap_record (const char *path, gint64 offset, GError **error)
{
  g_autofree guint8 *data = NULL;
  guint8 hdr[24];
  gboolean swap;
  guint32 magic, caplen;
  FILE *fp = g_fopen (path, "rb");

  if (fp == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("cannot open %s again"), path);
      return NULL;
    }
  if (fread (hdr, 1, 24, fp) != 24)
    goto bad;
  memcpy (&magic, hdr, 4);
  if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
    swap = FALSE;
  else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
    swap = TRUE;
  else
    goto bad;
  if (fseeko (fp, offset, SEEK_SET) != 0 || fread (hdr, 1, 16, fp) != 16)
    goto bad;
  caplen = read_u32 (hdr + 8, swap);
  if (caplen > MS_CAPTURE_MAX_FRAME)
    goto bad;
  data = g_malloc (caplen ? caplen : 1);
  if (fread (data, 1, caplen, fp) != caplen)
    goto bad;
  fclose (fp);
  return g_bytes_new_take (g_steal_pointer (&data), caplen);

bad:
  fclose (fp);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               _("%s changed since it was opened"), path);
  return NULL;
}

GBytes *
ms_capture_read_frame (MsCapture *self, guint index, GError **error)
{
  g_autofree char *path = g_file_get_path (self->file);
  const MsFrameRecord *r = ms_capture_get_frame (self, index);
  MsSource *src;
  MsFrame frame;
  GBytes *bytes = NULL;

  if (r == NULL || path == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("no such frame"));
      return NULL;
    }
  if (self->live != NULL && (bytes = ms_capture_live_lookup (self, r)) != NULL)
    return bytes;
  if (r->file_offset >= 0)
    return read_pcap_record (path, r->file_offset, error);

  /* pcapng records have no offset from libpcap: read up to the frame. */
  src = ms_source_open_file (path, error);
  if (src == NULL)
    return NULL;
  for (;;)
    {
      int rc = ms_source_next (src, &frame, error);
      if (rc != 1)
        {
          if (rc == 0)
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                         _("%s changed since it was opened"), path);
          break;
        }
      if (frame.number == r->number)
        {
          bytes = g_bytes_new (frame.data, frame.caplen);
          break;
        }
    }
  ms_source_close (src);
  return bytes;
}

static void
read_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  GBytes *bytes = ms_capture_read_frame (source, GPOINTER_TO_UINT (task_data), &error);

  if (bytes)
    g_task_return_pointer (task, bytes, (GDestroyNotify) g_bytes_unref);
  else
    g_task_return_error (task, error);
}

void
ms_capture_read_frame_async (MsCapture *self, guint index, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_task_data (task, GUINT_TO_POINTER (index), NULL);
  g_task_run_in_thread (task, read_thread);
}

GBytes *
ms_capture_read_frame_finish (MsCapture *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
