/* ms-event.c - construction, fields and JSON form of MsEvent. */
#include "config.h"

#include <string.h>

#include "mailscope/ms-event.h"

static void
field_clear (gpointer data)
{
  MsField *f = data;
  if (f->type == MS_VAL_STR)
    g_free (f->v.s);
  else if (f->type == MS_VAL_NODE && f->v.node)
    json_node_unref (f->v.node);
}

MsEvent *
ms_event_new (MsProto proto, MsDir dir, const char *kind)
{
  MsEvent *ev = g_new0 (MsEvent, 1);
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
  g_free (ev->info);
  g_free (ev->summary);
  g_free (ev->note);
  if (ev->fields)
    g_array_unref (ev->fields);
  g_free (ev);
}

void
ms_event_set_info (MsEvent *ev, const char *info)
{
  g_free (ev->info);
  ev->info = g_strdup (info);
}

void
ms_event_take_info (MsEvent *ev, char *info)
{
  g_free (ev->info);
  ev->info = info;
}

void
ms_event_set_infof (MsEvent *ev, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_free (ev->info);
  ev->info = g_strdup_vprintf (fmt, ap);
  va_end (ap);
}

void
ms_event_set_range (MsEvent *ev, guint64 offset, guint64 length)
{
  ev->offset = offset;
  ev->length = length;
}

static MsField *
add_field (MsEvent *ev, const char *name, MsValType type)
{
  if (ev->fields == NULL)
    {
      ev->fields = g_array_sized_new (FALSE, TRUE, sizeof (MsField), 6);
      g_array_set_clear_func (ev->fields, field_clear);
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
  if (g_utf8_validate_len (value, len, NULL) && memchr (value, '\0', len) == NULL)
    f->v.s = g_strndup (value, len);
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
      if (strcmp (f->name, name) == 0)
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

/* Masks JSON string values inside nested nodes (credential objects). */
static JsonNode *
node_masked (const MsEvent *ev, JsonNode *node, gboolean mask)
{
  if (!mask)
    return json_node_ref (node);
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      g_autofree char *m = ms_event_mask (ev, json_node_get_string (node));
      JsonNode *n = json_node_new (JSON_NODE_VALUE);
      json_node_set_string (n, m);
      return n;
    }
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *src = json_node_get_object (node);
      JsonObject *dst = json_object_new ();
      JsonObjectIter it;
      const char *name;
      JsonNode *member;
      json_object_iter_init (&it, src);
      while (json_object_iter_next (&it, &name, &member))
        {
          if (strcmp (name, "password") == 0)
            json_object_set_string_member (dst, name, "****");
          else
            json_object_set_member (dst, name, node_masked (ev, member, mask));
        }
      JsonNode *n = json_node_new (JSON_NODE_OBJECT);
      json_node_take_object (n, dst);
      return n;
    }
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *src = json_node_get_array (node);
      JsonArray *dst = json_array_sized_new (json_array_get_length (src));
      for (guint i = 0; i < json_array_get_length (src); i++)
        json_array_add_element (dst, node_masked (ev, json_array_get_element (src, i), mask));
      JsonNode *n = json_node_new (JSON_NODE_ARRAY);
      json_node_take_array (n, dst);
      return n;
    }
  return json_node_ref (node);
}

static JsonNode *
field_node (const MsEvent *ev, const MsField *f, gboolean mask)
{
  JsonNode *n;
  switch (f->type)
    {
    case MS_VAL_STR:
      n = json_node_new (JSON_NODE_VALUE);
      if (mask)
        {
          g_autofree char *m = ms_event_mask (ev, f->v.s);
          json_node_set_string (n, m);
        }
      else
        json_node_set_string (n, f->v.s);
      return n;
    case MS_VAL_INT:
      n = json_node_new (JSON_NODE_VALUE);
      json_node_set_int (n, f->v.i);
      return n;
    case MS_VAL_BOOL:
      n = json_node_new (JSON_NODE_VALUE);
      json_node_set_boolean (n, f->v.b);
      return n;
    case MS_VAL_DOUBLE:
      n = json_node_new (JSON_NODE_VALUE);
      json_node_set_double (n, f->v.d);
      return n;
    case MS_VAL_NODE:
    default:
      return f->v.node ? node_masked (ev, f->v.node, mask) : json_node_new (JSON_NODE_NULL);
    }
}

JsonObject *
ms_event_to_json (const MsEvent *ev, gboolean mask_secrets)
{
  JsonObject *o = json_object_new ();
  char buf[MS_ADDR_STRLEN];

  json_object_set_int_member (o, "seq", (gint64) ev->seq);
  json_object_set_int_member (o, "frame", ev->frame);
  if (ev->first_frame && ev->first_frame != ev->frame)
    json_object_set_int_member (o, "first_frame", ev->first_frame);
  json_object_set_double_member (o, "time", ev->time);
  json_object_set_string_member (o, "proto", ms_proto_name (ev->proto));
  json_object_set_string_member (o, "step", ms_step_name (ev->step));
  if (ev->summary)
    {
      g_autofree char *s = mask_secrets ? ms_event_mask (ev, ev->summary) : g_strdup (ev->summary);
      json_object_set_string_member (o, "summary", s);
    }
  else
    json_object_set_string_member (o, "summary", "");
  if (ev->stream >= 0)
    json_object_set_int_member (o, "stream", ev->stream);
  if (ev->dir != MS_DIR_NONE)
    json_object_set_string_member (o, "dir", ms_dir_name (ev->dir));
  if (ev->src.family)
    json_object_set_string_member (o, "src", ms_addr_format (&ev->src, buf, sizeof buf));
  if (ev->dst.family)
    json_object_set_string_member (o, "dst", ms_addr_format (&ev->dst, buf, sizeof buf));
  if (ev->kind && ev->kind[0])
    json_object_set_string_member (o, "event", ev->kind);
  if (ev->info)
    {
      g_autofree char *s = mask_secrets ? ms_event_mask (ev, ev->info) : g_strdup (ev->info);
      json_object_set_string_member (o, "info", s);
    }
  if (ev->note)
    json_object_set_string_member (o, "note", ev->note);
  if (ev->flags & MS_EVENT_TRUNCATED)
    json_object_set_boolean_member (o, "truncated", TRUE);
  if (ev->flags & MS_EVENT_MALFORMED)
    json_object_set_boolean_member (o, "malformed", TRUE);
  if (ev->flags & MS_EVENT_WARNING)
    json_object_set_boolean_member (o, "warning", TRUE);
  if (ev->flags & MS_EVENT_GAP)
    json_object_set_boolean_member (o, "gap", TRUE);

  if (ev->fields)
    for (guint i = 0; i < ev->fields->len; i++)
      {
        const MsField *f = &g_array_index (ev->fields, MsField, i);
        if (strcmp (f->name, "secret") == 0 || json_object_has_member (o, f->name))
          continue;  /* secrets are never members; repeats were gathered */
        guint repeats = 0;
        for (guint j = i + 1; j < ev->fields->len; j++)
          repeats += strcmp (g_array_index (ev->fields, MsField, j).name, f->name) == 0;
        if (repeats == 0)
          {
            json_object_set_member (o, f->name, field_node (ev, f, mask_secrets));
            continue;
          }
        JsonArray *arr = json_array_sized_new (repeats + 1);
        for (guint j = i; j < ev->fields->len; j++)
          {
            const MsField *g = &g_array_index (ev->fields, MsField, j);
            if (strcmp (g->name, f->name) == 0)
              json_array_add_element (arr, field_node (ev, g, mask_secrets));
          }
        json_object_set_array_member (o, f->name, arr);
      }
  return o;
}
