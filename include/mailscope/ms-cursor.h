/* ms-cursor.h - the one bounds-checked reader for packet bytes.
 *
 * Like tcpdump's GET_* accessors: every read checks the remaining length;
 * once a read overruns, the cursor stays failed and later reads return 0,
 * so a parser can read a whole header and check `failed` once. Compare
 * lengths, never pointers past the end. */
#pragma once

#include <glib.h>
#include <string.h>

G_BEGIN_DECLS

typedef struct {
  const guint8 *base;   /* start of the buffer */
  gsize size;           /* bytes in the buffer */
  gsize pos;            /* next byte to read */
  gboolean failed;      /* a read ran past the end */
} MsCursor;

static inline void
ms_cursor_init (MsCursor *c, const guint8 *base, gsize size)
{
  c->base = base;
  c->size = size;
  c->pos = 0;
  c->failed = FALSE;
}

static inline gsize
ms_cursor_left (const MsCursor *c)
{
  return c->failed ? 0 : c->size - c->pos;
}

/* TRUE and advances when n bytes are available; else fails the cursor. */
static inline gboolean
ms_cursor_need (MsCursor *c, gsize n)
{
  if (c->failed || n > c->size - c->pos)
    {
      c->failed = TRUE;
      return FALSE;
    }
  return TRUE;
}

static inline gboolean
ms_cursor_skip (MsCursor *c, gsize n)
{
  if (!ms_cursor_need (c, n))
    return FALSE;
  c->pos += n;
  return TRUE;
}

static inline guint8
ms_cursor_u8 (MsCursor *c)
{
  if (!ms_cursor_need (c, 1))
    return 0;
  return c->base[c->pos++];
}

static inline guint16
ms_cursor_be16 (MsCursor *c)
{
  if (!ms_cursor_need (c, 2))
    return 0;
  guint16 v = (guint16) ((c->base[c->pos] << 8) | c->base[c->pos + 1]);
  c->pos += 2;
  return v;
}

static inline guint16
ms_cursor_le16 (MsCursor *c)
{
  if (!ms_cursor_need (c, 2))
    return 0;
  guint16 v = (guint16) ((c->base[c->pos + 1] << 8) | c->base[c->pos]);
  c->pos += 2;
  return v;
}

static inline guint32
ms_cursor_be24 (MsCursor *c)
{
  if (!ms_cursor_need (c, 3))
    return 0;
  guint32 v = ((guint32) c->base[c->pos] << 16) | ((guint32) c->base[c->pos + 1] << 8)
              | c->base[c->pos + 2];
  c->pos += 3;
  return v;
}

static inline guint32
ms_cursor_be32 (MsCursor *c)
{
  if (!ms_cursor_need (c, 4))
    return 0;
  guint32 v = ((guint32) c->base[c->pos] << 24) | ((guint32) c->base[c->pos + 1] << 16)
              | ((guint32) c->base[c->pos + 2] << 8) | c->base[c->pos + 3];
  c->pos += 4;
  return v;
}

static inline guint32
ms_cursor_le32 (MsCursor *c)
{
  if (!ms_cursor_need (c, 4))
    return 0;
  guint32 v = ((guint32) c->base[c->pos + 3] << 24) | ((guint32) c->base[c->pos + 2] << 16)
              | ((guint32) c->base[c->pos + 1] << 8) | c->base[c->pos];
  c->pos += 4;
  return v;
}

/* Copies n bytes into dst (zero-filled on failure). */
static inline gboolean
ms_cursor_copy (MsCursor *c, void *dst, gsize n)
{
  if (!ms_cursor_need (c, n))
    {
      memset (dst, 0, n);
      return FALSE;
    }
  memcpy (dst, c->base + c->pos, n);
  c->pos += n;
  return TRUE;
}

/* Pointer to the next n bytes and advances, or NULL (cursor failed). */
static inline const guint8 *
ms_cursor_bytes (MsCursor *c, gsize n)
{
  if (!ms_cursor_need (c, n))
    return NULL;
  const guint8 *p = c->base + c->pos;
  c->pos += n;
  return p;
}

/* A sub-cursor over the next n bytes (or fewer, if fewer remain: then
 * *short_read is set TRUE). Advances the parent past them. */
static inline MsCursor
ms_cursor_sub (MsCursor *c, gsize n, gboolean *short_read)
{
  MsCursor s;
  gsize left = ms_cursor_left (c);
  gsize take = n <= left ? n : left;
  if (short_read)
    *short_read = take < n;
  ms_cursor_init (&s, c->failed ? NULL : c->base + c->pos, take);
  if (!c->failed)
    c->pos += take;
  return s;
}

G_END_DECLS
