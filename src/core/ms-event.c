/* ms-event.c - construction, storage, fields and masking of MsEvent; the
 * JSON form is in ms-event-json.c. */
#include "config.h"

#include <string.h>

#include "mailscope/ms-event.h"
#include "ms-reuse-private.h"

/* --- storage -------------------------------------------------------------
 *
 * A large capture makes tens of thousands of events, each with a few
 * short strings, so their memory is managed here rather than with one
 * allocation per piece:
 * - short field strings live in a room at the end of the event's own
 *   block (freed with it);
 * - each thread keeps a few freed event blocks, with their field arrays,
 *   for the next events it makes. */

/* Bytes of short field strings stored in the event's block. */
#define MS_EVENT_ROOM 192
/* Freed events a thread keeps for reuse. */
#define MS_EVENT_SPARES 64

typedef struct {
  MsEvent ev;
  GArray *spare_fields;   /* an emptied field array, kept for reuse */
  guint room_used;
  char room[MS_EVENT_ROOM];
} EventBlock;

static gboolean
in_room (const MsEvent *ev, const char *s)
{
  const EventBlock *b = (const EventBlock *) ev;
  return (guintptr) s - (guintptr) b->room < MS_EVENT_ROOM;
}

static void
field_clear (const MsEvent *ev, MsField *f)
{
  if (f->type == MS_VAL_STR)
    {
      if (!in_room (ev, f->v.s))
        g_free (f->v.s);
    }
  else if (f->type == MS_VAL_NODE && f->v.node)
    json_node_unref (f->v.node);
}

static void
block_free (EventBlock *b)
{
  if (b->spare_fields)
    g_array_unref (b->spare_fields);
  g_free (b);
}

static void
spares_free (gpointer data)
{
  GPtrArray *spares = data;
  for (guint i = 0; i < spares->len; i++)
    block_free (g_ptr_array_index (spares, i));
  g_ptr_array_unref (spares);
}

static GPrivate spares_key = G_PRIVATE_INIT (spares_free);

static GPtrArray *
thread_spares (void)
{
  GPtrArray *spares = g_private_get (&spares_key);
  if (spares == NULL)
    {
      spares = g_ptr_array_sized_new (MS_EVENT_SPARES);
      g_private_set (&spares_key, spares);
    }
  return spares;
}

MsEvent *
ms_event_new (MsProto proto, MsDir dir, const char *kind)
{
  EventBlock *b = NULL;
  if (MS_REUSE_BLOCKS)
    {
      GPtrArray *spares = thread_spares ();
      if (spares->len > 0)
        {
          b = g_ptr_array_steal_index_fast (spares, spares->len - 1);
          GArray *fields = b->spare_fields;
          memset (b, 0, G_STRUCT_OFFSET (EventBlock, room));
          b->spare_fields = fields;
        }
    }
  if (b == NULL)
    b = g_malloc0 (sizeof (EventBlock));
  MsEvent *ev = &b->ev;
  ev->proto = proto;
  ev->dir = dir;
  ev->kind = kind ? kind : "";
  ev->offset = MS_NO_OFFSET;
  ev->stream = -1;
  ev->ref_count = 1;
  return ev;
}

MsEvent *
ms_event_ref (MsEvent *ev)
{
  g_atomic_int_inc (&ev->ref_count);
  return ev;
}

void
ms_event_unref (MsEvent *ev)
{
  if (ev == NULL || !g_atomic_int_dec_and_test (&ev->ref_count))
    return;
  EventBlock *b = (EventBlock *) ev;
  if (!in_room (ev, ev->info))
    g_free (ev->info);
  g_free (ev->summary);
  g_free (ev->note);
  if (ev->fields)
    {
      for (guint i = 0; i < ev->fields->len; i++)
        field_clear (ev, &g_array_index (ev->fields, MsField, i));
      g_array_set_size (ev->fields, 0);
      if (b->spare_fields == NULL && MS_REUSE_BLOCKS)
        b->spare_fields = ev->fields;
      else
        g_array_unref (ev->fields);
    }
  GPtrArray *spares = MS_REUSE_BLOCKS ? thread_spares () : NULL;
  if (spares && spares->len < MS_EVENT_SPARES)
    g_ptr_array_add (spares, b);
  else
    block_free (b);
}

/* A copy of s[0, len) (which holds no NUL) in the event's room when it
 * fits, else on the heap; freed with the event either way. */
static char *
event_strndup (MsEvent *ev, const char *s, gsize len)
{
  EventBlock *b = (EventBlock *) ev;
  if (len < MS_EVENT_ROOM - b->room_used)
    {
      char *t = b->room + b->room_used;
      memcpy (t, s, len);
      t[len] = '\0';
      b->room_used += (guint) len + 1;
      return t;
    }
  return g_strndup (s, len);
}

static void
info_clear (MsEvent *ev)
{
  if (!in_room (ev, ev->info))
    g_free (ev->info);
  ev->info = NULL;
}

void
ms_event_set_info (MsEvent *ev, const char *info)
{
  if (info)
    ms_event_set_info_len (ev, info, strlen (info));
  else
    info_clear (ev);
}

void
ms_event_set_info_len (MsEvent *ev, const char *info, gsize len)
{
  info_clear (ev);
  ev->info = event_strndup (ev, info, len);
}

void
ms_event_take_info (MsEvent *ev, char *info)
{
  info_clear (ev);
  ev->info = info;
}

void
ms_event_set_infof (MsEvent *ev, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  info_clear (ev);
  ev->info = g_strdup_vprintf (fmt, ap);
  va_end (ap);
}

void
ms_event_set_range (MsEvent *ev, guint64 offset, guint64 length)
{
  ev->offset = offset;
  ev->length = length;
}

void
ms_event_clear_narration (MsEvent *ev)
{
  g_clear_pointer (&ev->summary, g_free);
  g_clear_pointer (&ev->note, g_free);
}

static MsField *
add_field (MsEvent *ev, const char *name, MsValType type)
{
  if (ev->fields == NULL)
    {
      EventBlock *b = (EventBlock *) ev;
      ev->fields = b->spare_fields ? b->spare_fields
                                   : g_array_sized_new (FALSE, TRUE, sizeof (MsField), 6);
      b->spare_fields = NULL;
    }
  MsField f = { 0 };
  f.name = name;
  f.type = type;
  f.off = MS_NO_OFFSET;
  g_array_append_val (ev->fields, f);
  return &g_array_index (ev->fields, MsField, ev->fields->len - 1);
}

MsField *
ms_event_add_str (MsEvent *ev, const char *name, const char *value)
{
  return ms_event_add_strn (ev, name, value ? value : "", value ? strlen (value) : 0);
}

MsField *
ms_event_add_strn (MsEvent *ev, const char *name, const char *value, gsize len)
{
  MsField *f = add_field (ev, name, MS_VAL_STR);
  if (len == 0)
    f->v.s = event_strndup (ev, "", 0);
  else if (g_utf8_validate_len (value, len, NULL))   /* also: no NUL inside */
    f->v.s = event_strndup (ev, value, len);
  else
    {
      /* Keep every byte visible: invalid UTF-8 and NULs become U+FFFD. */
      GString *s = g_string_sized_new (len + 8);
      const char *p = value, *end = value + len;
      while (p < end)
        {
          const char *valid_end;
          gsize rest = (gsize) (end - p);
          g_utf8_validate_len (p, rest, &valid_end);
          const char *nul = memchr (p, '\0', (gsize) (valid_end - p));
          if (nul)
            valid_end = nul;
          g_string_append_len (s, p, valid_end - p);
          if (valid_end < end)
            {
              g_string_append (s, "\xef\xbf\xbd");
              valid_end++;
            }
          p = valid_end;
        }
      f->v.s = g_string_free (s, FALSE);
    }
  return f;
}

MsField *
ms_event_add_int (MsEvent *ev, const char *name, gint64 value)
{
  MsField *f = add_field (ev, name, MS_VAL_INT);
  f->v.i = value;
  return f;
}

MsField *
ms_event_add_bool (MsEvent *ev, const char *name, gboolean value)
{
  MsField *f = add_field (ev, name, MS_VAL_BOOL);
  f->v.b = value ? TRUE : FALSE;
  return f;
}

MsField *
ms_event_add_double (MsEvent *ev, const char *name, double value)
{
  MsField *f = add_field (ev, name, MS_VAL_DOUBLE);
  f->v.d = value;
  return f;
}

MsField *
ms_event_add_node (MsEvent *ev, const char *name, JsonNode *node)
{
  MsField *f = add_field (ev, name, MS_VAL_NODE);
  f->v.node = node;
  return f;
}

const MsField *
ms_event_get (const MsEvent *ev, const char *name)
{
  if (ev->fields == NULL)
    return NULL;
  for (guint i = 0; i < ev->fields->len; i++)
    {
      const MsField *f = &g_array_index (ev->fields, MsField, i);
      if (f->name[0] == name[0] && strcmp (f->name, name) == 0)
        return f;
    }
  return NULL;
}

const char *
ms_event_get_str (const MsEvent *ev, const char *name)
{
  const MsField *f = ms_event_get (ev, name);
  return f && f->type == MS_VAL_STR ? f->v.s : NULL;
}

gint64
ms_event_get_int (const MsEvent *ev, const char *name, gint64 def)
{
  const MsField *f = ms_event_get (ev, name);
  return f && f->type == MS_VAL_INT ? f->v.i : def;
}

gboolean
ms_event_get_bool (const MsEvent *ev, const char *name)
{
  const MsField *f = ms_event_get (ev, name);
  return f && f->type == MS_VAL_BOOL && f->v.b;
}

gboolean
ms_event_has (const MsEvent *ev, const char *name)
{
  return ms_event_get (ev, name) != NULL;
}

guint
ms_event_remove (MsEvent *ev, const char *name)
{
  guint n = 0;
  if (ev->fields == NULL)
    return 0;
  for (guint i = ev->fields->len; i-- > 0;)
    if (strcmp (g_array_index (ev->fields, MsField, i).name, name) == 0)
      {
        field_clear (ev, &g_array_index (ev->fields, MsField, i));
        g_array_remove_index (ev->fields, i);
        n++;
      }
  return n;
}

/* --- masking --------------------------------------------------------- */

char *
ms_event_mask (const MsEvent *ev, const char *text)
{
  if (text == NULL)
    return NULL;
  char *out = g_strdup (text);
  if (ev->fields == NULL)
    return out;
  for (guint i = 0; i < ev->fields->len; i++)
    {
      const MsField *f = &g_array_index (ev->fields, MsField, i);
      if (f->type != MS_VAL_STR || strcmp (f->name, "secret") != 0 || f->v.s[0] == '\0')
        continue;
      GString *s = g_string_new (NULL);
      const char *p = out, *hit;
      gsize n = strlen (f->v.s);
      while ((hit = strstr (p, f->v.s)) != NULL)
        {
          g_string_append_len (s, p, hit - p);
          g_string_append (s, "****");
          p = hit + n;
        }
      g_string_append (s, p);
      g_free (out);
      out = g_string_free (s, FALSE);
    }
  return out;
}
