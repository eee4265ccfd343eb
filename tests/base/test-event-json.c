/* test-event-json.c - MsEventJson (reused objects for a stream of events)
 * gives exactly the text of ms_event_to_json; events made after others
 * were freed start empty. */
#include "config.h"

#include <string.h>

#include "mailscope/ms-event.h"
#include "addr-test-util.h"

/* ms_event_to_json's object as one line. */
static char *
fresh_line (const MsEvent *ev, gboolean mask)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  JsonNode *root = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (root, ms_event_to_json (ev, mask));
  json_generator_set_root (gen, root);
  json_node_unref (root);
  return json_generator_to_data (gen, NULL);
}

/* Event number i of a varied stream: both directions of several
 * connections, optional members, repeated names, nested nodes, secrets,
 * strings longer than an event keeps inline. */
static MsEvent *
make_event (guint i, GRand *rand)
{
  guint32 r = g_rand_int (rand);
  MsDir dir = r % 3 == 0 ? MS_DIR_S2C : r % 3 == 1 ? MS_DIR_C2S : MS_DIR_NONE;
  guint client_no = (r >> 8) % 13;
  const char *kinds[] = { "command", "untagged", "completion", "", "credential" };
  MsEvent *ev = ms_event_new (i % 2 ? MS_PROTO_IMAP : MS_PROTO_POP3, dir, kinds[i % 5]);
  ev->seq = i + 1;
  ev->frame = i * 2 + 1;
  ev->first_frame = i % 4 == 0 ? i * 2 : ev->frame;
  ev->time = i * 0.000137;
  ev->stream = i % 7 == 0 ? -1 : (gint64) (i % 5);
  ev->step = (MsStep) (i % 5);
  ev->flags = i % 6 == 0 ? MS_EVENT_WARNING | MS_EVENT_GAP : 0;
  if (dir != MS_DIR_NONE)
    {
      /* Thirteen clients, one server, both ways in a random order:
       * endpoints keep changing places, more of them than a cache of
       * formatted addresses holds. */
      MsAddr client, server;
      ms_test_addr4 (&client, (guint8) (10 + client_no), (guint16) (40000 + client_no));
      ms_test_addr4 (&server, 1, 143);
      ev->src = dir == MS_DIR_C2S ? client : server;
      ev->dst = dir == MS_DIR_C2S ? server : client;
    }
  if (i % 3 != 2)
    ev->summary = g_strdup_printf ("Step %u: the client logs in with classroom.", i);
  if (i % 4 != 3)
    ms_event_set_infof (ev, "A%u LOGIN student classroom", i);
  if (i % 9 == 0)
    ev->note = g_strdup ("A note.");
  ms_event_add_str (ev, "tag", i % 2 ? "A1" : "A2");
  if (i % 2)
    ms_event_add_int (ev, "number", (gint64) i * 1000);
  else
    ms_event_add_double (ev, "latency", i / 3.0);
  if (i % 5 == 1)
    {
      ms_event_add_str (ev, "item", "FLAGS");
      ms_event_add_str (ev, "item", "UID");
      ms_event_add_bool (ev, "item", i % 2);
    }
  if (i % 8 == 2)
    ms_event_add_str (ev, "secret", "classroom");
  if (i % 11 == 0)
    {
      GString *big = g_string_new (NULL);
      for (guint k = 0; k < 40; k++)
        g_string_append_printf (big, "line %u of a long value; ", k);
      ms_event_add_str (ev, "text", big->str);
      g_string_free (big, TRUE);
    }
  if (i % 7 == 3)
    {
      JsonObject *o = json_object_new ();
      json_object_set_string_member (o, "user", "student");
      json_object_set_string_member (o, "password", "classroom");
      JsonNode *n = json_node_new (JSON_NODE_OBJECT);
      json_node_take_object (n, o);
      ms_event_add_node (ev, "credential", n);
    }
  if (i % 13 == 4)
    ms_event_add_node (ev, "parts", NULL);
  if (i % 10 == 5)
    ms_event_add_str (ev, "proto", "shadowed by the fixed member");
  return ev;
}

/* The two streaming forms, each with layouts of its own. */
typedef struct {
  MsEventJson *updated;   /* ms_event_json_update, written by `gen` */
  MsEventJson *written;   /* ms_event_json_write */
  JsonGenerator *gen;
} Streams;

static void
streams_init (Streams *s)
{
  s->updated = ms_event_json_new ();
  s->written = ms_event_json_new ();
  s->gen = json_generator_new ();
}

static void
streams_clear (Streams *s)
{
  ms_event_json_free (s->updated);
  ms_event_json_free (s->written);
  g_object_unref (s->gen);
}

/* Both streaming forms of ev give ms_event_to_json's text. */
static void
assert_streamed (Streams *s, const MsEvent *ev, gboolean mask)
{
  g_autofree char *want = fresh_line (ev, mask);
  json_generator_set_root (s->gen, ms_event_json_update (s->updated, ev, mask));
  g_autofree char *got = json_generator_to_data (s->gen, NULL);
  g_assert_cmpstr (got, ==, want);
  GString *out = g_string_new ("before ");
  ms_event_json_write (s->written, ev, mask, out);
  g_assert_true (g_str_has_prefix (out->str, "before "));
  g_assert_cmpstr (out->str + 7, ==, want);
  g_string_free (out, TRUE);
}

static void
check_stream (gboolean mask)
{
  Streams s;
  streams_init (&s);
  g_autoptr (GRand) rand = g_rand_new_with_seed (20261125);
  for (guint i = 0; i < 2000; i++)
    {
      g_autoptr (MsEvent) ev = make_event (i, rand);
      assert_streamed (&s, ev, mask);
    }
  streams_clear (&s);
}

static void
test_same_text (void)
{
  check_stream (FALSE);
}

static void
test_same_text_masked (void)
{
  check_stream (TRUE);
}

/* More member layouts than the cache keeps: it starts over, and the text
 * stays right (a layout's generator goes with it). */
static void
test_many_layouts (void)
{
  static const char *names[] = { "a", "b", "c", "d", "e", "f", "g", "h", "i" };
  Streams s;
  streams_init (&s);
  for (guint i = 0; i < 700; i++)
    {
      g_autoptr (MsEvent) ev = ms_event_new (MS_PROTO_DNS, MS_DIR_C2S, "query");
      ev->seq = i;
      for (guint b = 0; b < G_N_ELEMENTS (names); b++)
        if (i & (1u << b))
          ms_event_add_int (ev, names[b], b);
      assert_streamed (&s, ev, FALSE);
    }
  streams_clear (&s);
}

/* Events made after others were freed have no leftover fields or text. */
static void
test_reuse_starts_empty (void)
{
  for (guint round = 0; round < 3; round++)
    {
      MsEvent *evs[100];
      for (guint i = 0; i < G_N_ELEMENTS (evs); i++)
        {
          evs[i] = ms_event_new (MS_PROTO_IMAP, MS_DIR_C2S, "command");
          if (round == 0)
            {
              ms_event_add_str (evs[i], "tag", "leftover");
              ms_event_set_info (evs[i], "leftover");
              evs[i]->summary = g_strdup ("leftover");
            }
        }
      for (guint i = 0; i < G_N_ELEMENTS (evs); i++)
        {
          if (round > 0)
            {
              g_assert_true (evs[i]->fields == NULL || evs[i]->fields->len == 0);
              g_assert_null (evs[i]->info);
              g_assert_null (evs[i]->summary);
              g_assert_cmpint (evs[i]->stream, ==, -1);
              g_assert_false (ms_event_has (evs[i], "tag"));
              ms_event_add_str (evs[i], "tag", "new");
              g_assert_cmpstr (ms_event_get_str (evs[i], "tag"), ==, "new");
              g_assert_cmpuint (ms_event_remove (evs[i], "tag"), ==, 1);
            }
          ms_event_unref (evs[i]);
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/event-json/same-text", test_same_text);
  g_test_add_func ("/event-json/same-text-masked", test_same_text_masked);
  g_test_add_func ("/event-json/many-layouts", test_many_layouts);
  g_test_add_func ("/event-json/reuse-starts-empty", test_reuse_starts_empty);
  return g_test_run ();
}
