/* dns-test-util.c - event collection and JSON comparison for the DNS tests. */
#include <string.h>

#include "dns-test-util.h"

static void
collect_emit (MsEmitter *self, MsEvent *ev)
{
  DnsCollect *col = self->user_data;
  g_ptr_array_add (col->events, ev);
}

void
dns_collect_init (DnsCollect *col)
{
  col->emitter.emit = collect_emit;
  col->emitter.user_data = col;
  col->events = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_event_unref);
}

void
dns_collect_clear (DnsCollect *col)
{
  g_clear_pointer (&col->events, g_ptr_array_unref);
}

char *
dns_event_json (const MsEvent *ev)
{
  JsonObject *o = ms_event_to_json (ev, FALSE);
  JsonNode *n = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (n, o);
  char *s = json_to_string (n, FALSE);
  json_node_unref (n);
  return s;
}

GPtrArray *
dns_collect_json (DnsCollect *col)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < col->events->len; i++)
    g_ptr_array_add (out, dns_event_json (g_ptr_array_index (col->events, i)));
  return out;
}

GPtrArray *
dns_json_by_dir (GPtrArray *all, const char *dir)
{
  g_autofree char *needle = g_strdup_printf ("\"dir\":\"%s\"", dir);
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < all->len; i++)
    if (strstr (g_ptr_array_index (all, i), needle))
      g_ptr_array_add (out, g_strdup (g_ptr_array_index (all, i)));
  return out;
}

void
dns_assert_same_json (GPtrArray *a, GPtrArray *b)
{
  for (guint i = 0; i < MIN (a->len, b->len); i++)
    g_assert_cmpstr (g_ptr_array_index (a, i), ==, g_ptr_array_index (b, i));
  g_assert_cmpuint (a->len, ==, b->len);
}
