/* test-event.c - MsEvent fields, masking and JSON form; address helpers. */
#include "config.h"

#include <string.h>

#include "mailscope/ms-event.h"
#include "mailscope/ms-cursor.h"

static char *
json_line (const MsEvent *ev, gboolean mask)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  JsonObject *o = ms_event_to_json (ev, mask);
  JsonNode *root = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (root, o);
  json_generator_set_root (gen, root);
  json_node_unref (root);
  return json_generator_to_data (gen, NULL);
}

static void
test_fields (void)
{
  g_autoptr (MsEvent) ev = ms_event_new (MS_PROTO_IMAP, MS_DIR_C2S, "command");
  ms_event_add_str (ev, "tag", "a1");
  ms_event_add_int (ev, "number", 42);
  ms_event_add_bool (ev, "uid", TRUE);
  ms_event_add_str (ev, "item", "FLAGS");
  ms_event_add_str (ev, "item", "UID");

  g_assert_cmpstr (ms_event_get_str (ev, "tag"), ==, "a1");
  g_assert_cmpint (ms_event_get_int (ev, "number", -1), ==, 42);
  g_assert_cmpint (ms_event_get_int (ev, "tag", -1), ==, -1);
  g_assert_true (ms_event_get_bool (ev, "uid"));
  g_assert_false (ms_event_has (ev, "missing"));

  g_autofree char *line = json_line (ev, FALSE);
  g_assert_nonnull (strstr (line, "\"item\":[\"FLAGS\",\"UID\"]"));
  g_assert_nonnull (strstr (line, "\"tag\":\"a1\""));
  g_assert_nonnull (strstr (line, "\"proto\":\"imap\""));
  g_assert_nonnull (strstr (line, "\"dir\":\"c2s\""));

  g_assert_cmpuint (ms_event_remove (ev, "item"), ==, 2);
  g_assert_false (ms_event_has (ev, "item"));
}

static void
test_invalid_utf8 (void)
{
  g_autoptr (MsEvent) ev = ms_event_new (MS_PROTO_POP3, MS_DIR_C2S, "command");
  const char raw[] = { 'a', '\0', 'b', (char) 0xff, 'c' };
  ms_event_add_strn (ev, "args", raw, sizeof raw);
  const char *s = ms_event_get_str (ev, "args");
  g_assert_true (g_utf8_validate (s, -1, NULL));
  g_assert_cmpstr (s, ==, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c");
}

static void
test_mask (void)
{
  g_autoptr (MsEvent) ev = ms_event_new (MS_PROTO_IMAP, MS_DIR_C2S, "command");
  ms_event_set_info (ev, "a1 LOGIN student classroom");
  ms_event_add_str (ev, "secret", "classroom");
  JsonObject *cred = json_object_new ();
  json_object_set_string_member (cred, "user", "student");
  json_object_set_string_member (cred, "password", "classroom");
  JsonNode *n = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (n, cred);
  ms_event_add_node (ev, "credential", n);

  g_autofree char *masked = ms_event_mask (ev, ev->info);
  g_assert_cmpstr (masked, ==, "a1 LOGIN student ****");

  g_autofree char *clear = json_line (ev, FALSE);
  g_assert_nonnull (strstr (clear, "classroom"));
  g_assert_null (strstr (clear, "\"secret\""));

  g_autofree char *hidden = json_line (ev, TRUE);
  g_assert_null (strstr (hidden, "classroom"));
  g_assert_nonnull (strstr (hidden, "\"password\":\"****\""));
  g_assert_nonnull (strstr (hidden, "\"user\":\"student\""));
}

static void
test_names (void)
{
  for (guint s = MS_STEP_DNS; s < MS_STEP_N; s++)
    g_assert_cmpint (ms_step_from_name (ms_step_name ((MsStep) s)), ==, s);
  for (guint p = MS_PROTO_DNS; p < MS_PROTO_N; p++)
    g_assert_cmpint (ms_proto_from_name (ms_proto_name ((MsProto) p)), ==, p);
  g_assert_cmpint (ms_step_from_name ("nonsense"), ==, MS_STEP_NONE);

  MsAddr a = { .family = 6, .port = 143 };
  a.addr[15] = 1;
  char buf[MS_ADDR_STRLEN];
  g_assert_cmpstr (ms_addr_format (&a, buf, sizeof buf), ==, "[::1]:143");
  MsAddr b = { .family = 4, .addr = { 127, 0, 0, 1 }, .port = 110 };
  g_assert_cmpstr (ms_addr_format (&b, buf, sizeof buf), ==, "127.0.0.1:110");
  g_assert_false (ms_addr_equal (&a, &b));
  MsAddr c = b;
  g_assert_true (ms_addr_equal (&b, &c));
  g_assert_cmpuint (ms_addr_hash (&b), ==, ms_addr_hash (&c));
}

static void
test_cursor (void)
{
  const guint8 buf[] = { 0x12, 0x34, 0x56, 0x78, 0x9a };
  MsCursor c;
  ms_cursor_init (&c, buf, sizeof buf);
  g_assert_cmpuint (ms_cursor_be16 (&c), ==, 0x1234);
  g_assert_cmpuint (ms_cursor_le16 (&c), ==, 0x7856);
  g_assert_cmpuint (ms_cursor_left (&c), ==, 1);
  g_assert_cmpuint (ms_cursor_be32 (&c), ==, 0);   /* overruns */
  g_assert_true (c.failed);
  g_assert_cmpuint (ms_cursor_u8 (&c), ==, 0);     /* stays failed */
  g_assert_cmpuint (ms_cursor_left (&c), ==, 0);

  ms_cursor_init (&c, buf, sizeof buf);
  gboolean short_read = FALSE;
  MsCursor sub = ms_cursor_sub (&c, 10, &short_read);
  g_assert_true (short_read);
  g_assert_cmpuint (ms_cursor_left (&sub), ==, 5);
  g_assert_cmpuint (ms_cursor_left (&c), ==, 0);
  g_assert_false (c.failed);
}

/* Once written out, the lesson's strings can go; the rest stays. */
static void
test_clear_narration (void)
{
  g_autoptr (MsEvent) ev = ms_event_new (MS_PROTO_POP3, MS_DIR_C2S, "command");
  ms_event_add_str (ev, "command", "RETR");
  ev->summary = g_strdup ("The client asks for message 1.");
  ev->note = g_strdup ("POP3 has no partial fetch.");
  ev->step = MS_STEP_FETCH;

  ms_event_clear_narration (ev);
  g_assert_null (ev->summary);
  g_assert_null (ev->note);
  g_assert_cmpint (ev->step, ==, MS_STEP_FETCH);
  g_assert_cmpstr (ms_event_get_str (ev, "command"), ==, "RETR");
  g_autofree char *line = json_line (ev, FALSE);
  g_assert_nonnull (strstr (line, "\"summary\":\"\""));
  ms_event_clear_narration (ev);   /* twice is harmless */
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/event/fields", test_fields);
  g_test_add_func ("/event/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/event/mask", test_mask);
  g_test_add_func ("/event/clear-narration", test_clear_narration);
  g_test_add_func ("/types/names", test_names);
  g_test_add_func ("/cursor/bounds", test_cursor);
  return g_test_run ();
}
