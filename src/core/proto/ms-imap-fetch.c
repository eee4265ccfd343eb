/* ms-imap-fetch.c - FETCH items and BODYSTRUCTURE to a MIME part tree
 * (RFC 3501 sections 6.4.5, 7.4.2; RFC 9051; RFC 3516 BINARY). */
#include "config.h"

#include <string.h>

#include "ms-imap-fetch.h"

/* --- FETCH items ------------------------------------------------------- */

/* For BODY[…]-like items: the section text between the brackets (into
 * *section, *section_len) and whether the name is a content-capable one. */
static gboolean
split_section (const char *item, const char **section, gsize *section_len)
{
  static const char *const prefixes[] = { "BODY[", "BODY.PEEK[", "BINARY[", "BINARY.PEEK[" };
  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    {
      gsize n = strlen (prefixes[i]);
      if (g_ascii_strncasecmp (item, prefixes[i], n) == 0)
        {
          const char *s = item + n;
          const char *e = strrchr (s, ']');
          *section = s;
          *section_len = e ? (gsize) (e - s) : strlen (s);
          return TRUE;
        }
    }
  return FALSE;
}

/* Length of the leading part number ("1.2.") of a section spec. */
static gsize
part_prefix_len (const char *s, gsize len)
{
  gsize p = 0, last = 0;
  while (p < len && g_ascii_isdigit (s[p]))
    {
      while (p < len && g_ascii_isdigit (s[p]))
        p++;
      last = p;
      if (p < len && s[p] == '.')
        p++;
      else
        break;
      last = p;
    }
  return last;
}

gboolean
ms_imap_fetch_item_moves_content (const char *item)
{
  const char *section;
  gsize slen;

  if (g_ascii_strcasecmp (item, "RFC822") == 0
      || g_ascii_strcasecmp (item, "RFC822.TEXT") == 0)
    return TRUE;
  if (!split_section (item, &section, &slen))
    return FALSE;
  gsize skip = part_prefix_len (section, slen);
  const char *rest = section + skip;
  gsize rlen = slen - skip;
  return rlen == 0 || (rlen == 4 && g_ascii_strncasecmp (rest, "TEXT", 4) == 0);
}

gboolean
ms_imap_fetch_items (const MsImapTok *tok, JsonArray *items)
{
  gboolean moves = FALSE;
  if (tok == NULL)
    return FALSE;
  if (tok->type == MS_IMAP_TOK_LIST)
    {
      for (guint i = 0; i < tok->n_items; i++)
        moves |= ms_imap_fetch_items (tok->items[i], items);
      return moves;
    }
  if (tok->type != MS_IMAP_TOK_ATOM)
    return FALSE;
  g_autofree char *up = g_ascii_strup (tok->text, -1);
  g_autofree char *valid = g_utf8_make_valid (up, -1);
  json_array_add_string_element (items, valid);
  return ms_imap_fetch_item_moves_content (up);
}

/* --- BODYSTRUCTURE ------------------------------------------------------ */

/* JSON strings must be UTF-8; wire bytes need not be. */
static void
set_str (JsonObject *o, const char *member, const char *value)
{
  g_autofree char *v = g_utf8_make_valid (value, -1);
  json_object_set_string_member (o, member, v);
}

static char *
lower_or (const MsImapTok *tok, const char *dflt)
{
  const char *s = ms_imap_tok_str (tok);
  return g_ascii_strdown (s ? s : dflt, -1);
}

/* Value of `key` in a ("k" "v" …) parameter list, or NULL. */
static const char *
param_get (const MsImapTok *params, const char *key)
{
  if (params == NULL || params->type != MS_IMAP_TOK_LIST)
    return NULL;
  for (guint i = 0; i + 1 < params->n_items; i += 2)
    {
      const char *k = ms_imap_tok_str (params->items[i]);
      if (k && g_ascii_strcasecmp (k, key) == 0)
        return ms_imap_tok_str (params->items[i + 1]);
    }
  return NULL;
}

static void
add_disposition (JsonObject *o, const MsImapTok *disp)
{
  if (disp == NULL || disp->type != MS_IMAP_TOK_LIST)
    return;
  const char *kind = ms_imap_tok_str (ms_imap_tok_item (disp, 0));
  const char *filename = param_get (ms_imap_tok_item (disp, 1), "filename");
  if (filename)
    set_str (o, "filename", filename);
  if (kind)
    {
      g_autofree char *k = g_ascii_strdown (kind, -1);
      set_str (o, "disposition", k);
    }
}

static char *
child_number (const char *base, guint i)
{
  return base && base[0] ? g_strdup_printf ("%s.%u", base, i) : g_strdup_printf ("%u", i);
}

/* One body. `num` is the part number of a multipart child; for the root
 * of a message (msg_root) `num` is the enclosing message/rfc822 part or "". */
static JsonNode *
body_node (const MsImapTok *body, const char *num, gboolean msg_root, guint depth,
           guint *budget)
{
  if (body == NULL || body->type != MS_IMAP_TOK_LIST || body->n_items == 0
      || depth > MS_IMAP_MAX_DEPTH || *budget == 0)
    return NULL;
  (*budget)--;

  JsonObject *o = json_object_new ();
  const MsImapTok *first = ms_imap_tok_item (body, 0);

  if (first->type == MS_IMAP_TOK_LIST)
    {
      JsonArray *children = json_array_new ();
      guint i = 0, n = 0;
      if (!msg_root)
        set_str (o, "part", num);
      while (i < body->n_items && ms_imap_tok_item (body, i)->type == MS_IMAP_TOK_LIST)
        {
          g_autofree char *cn = child_number (num, ++n);
          JsonNode *child = body_node (ms_imap_tok_item (body, i), cn, FALSE, depth + 1, budget);
          if (child)
            json_array_add_element (children, child);
          i++;
        }
      g_autofree char *sub = lower_or (ms_imap_tok_item (body, i), "mixed");
      g_autofree char *type = g_strconcat ("multipart/", sub, NULL);
      set_str (o, "type", type);
      add_disposition (o, ms_imap_tok_item (body, i + 2));
      json_object_set_array_member (o, "children", children);
    }
  else
    {
      g_autofree char *part = msg_root ? child_number (num, 1) : g_strdup (num);
      g_autofree char *maj = lower_or (first, "text");
      g_autofree char *sub = lower_or (ms_imap_tok_item (body, 1), "plain");
      g_autofree char *type = g_strconcat (maj, "/", sub, NULL);
      const MsImapTok *params = ms_imap_tok_item (body, 2);
      const char *enc = ms_imap_tok_str (ms_imap_tok_item (body, 5));
      const MsImapTok *size = ms_imap_tok_item (body, 6);
      const char *name = param_get (params, "name");
      gboolean is_text = g_strcmp0 (maj, "text") == 0;
      gboolean is_msg = g_strcmp0 (maj, "message") == 0
                        && (g_strcmp0 (sub, "rfc822") == 0 || g_strcmp0 (sub, "global") == 0);
      guint ext = is_text ? 8 : is_msg ? 10 : 7;  /* first extension field */

      set_str (o, "part", part);
      set_str (o, "type", type);
      if (size && size->type == MS_IMAP_TOK_ATOM && g_ascii_isdigit (size->text[0]))
        json_object_set_int_member (o, "size", g_ascii_strtoll (size->text, NULL, 10));
      if (enc)
        {
          g_autofree char *e = g_ascii_strdown (enc, -1);
          set_str (o, "encoding", e);
        }
      if (name)
        set_str (o, "name", name);
      add_disposition (o, ms_imap_tok_item (body, ext + 1));
      if (is_msg)
        {
          JsonNode *inner = body_node (ms_imap_tok_item (body, 8), part, TRUE, depth + 1, budget);
          if (inner)
            {
              JsonArray *children = json_array_new ();
              json_array_add_element (children, inner);
              json_object_set_array_member (o, "children", children);
            }
        }
    }
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, o);
  return node;
}

JsonNode *
ms_imap_body_to_parts (const MsImapTok *body)
{
  guint budget = MS_IMAP_MAX_PARTS;
  return body_node (body, "", TRUE, 0, &budget);
}

/* The first part (pre-order) whose number is `section`, or NULL. */
static JsonObject *
parts_find (JsonNode *node, const char *section)
{
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  JsonObject *o = json_node_get_object (node);
  if (json_object_has_member (o, "part")
      && g_strcmp0 (json_object_get_string_member (o, "part"), section) == 0)
    return o;
  if (json_object_has_member (o, "children"))
    {
      JsonArray *a = json_object_get_array_member (o, "children");
      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          JsonObject *hit = parts_find (json_array_get_element (a, i), section);
          if (hit)
            return hit;
        }
    }
  return NULL;
}

/* --- remembered structures --------------------------------------------- */

struct _MsImapStructures {
  GHashTable *by_key;   /* "n12" / "u4711" → {parts, size} */
  GQueue order;         /* keys, oldest first */
};

MsImapStructures *
ms_imap_structures_new (void)
{
  MsImapStructures *st = g_new0 (MsImapStructures, 1);
  st->by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify) json_node_unref);
  g_queue_init (&st->order);
  return st;
}

void
ms_imap_structures_clear (MsImapStructures *st)
{
  g_queue_clear (&st->order);   /* keys are owned by the table */
  g_hash_table_remove_all (st->by_key);
}

void
ms_imap_structures_free (MsImapStructures *st)
{
  if (st == NULL)
    return;
  ms_imap_structures_clear (st);
  g_hash_table_unref (st->by_key);
  g_free (st);
}

void
ms_imap_structures_forget_numbers (MsImapStructures *st)
{
  GList *l = st->order.head;
  while (l)
    {
      GList *next = l->next;
      char *key = l->data;
      if (key[0] == 'n')
        {
          g_queue_delete_link (&st->order, l);
          g_hash_table_remove (st->by_key, key);
        }
      l = next;
    }
}

/* Records what a FETCH response told about one message (its structure,
 * its RFC822.SIZE, or both), merged with what was known before. */
static void
structures_note (MsImapStructures *st, char *key, JsonNode *parts, gint64 size)
{
  JsonObject *o = json_object_new ();
  gpointer old_key, old_val;
  if (g_hash_table_lookup_extended (st->by_key, key, &old_key, &old_val))
    {
      JsonObject *old = json_node_get_object (old_val);
      if (json_object_has_member (old, "parts"))
        json_object_set_member (o, "parts", json_node_ref (json_object_get_member (old, "parts")));
      if (json_object_has_member (old, "size"))
        json_object_set_int_member (o, "size", json_object_get_int_member (old, "size"));
      g_queue_remove (&st->order, old_key);
      g_hash_table_remove (st->by_key, key);
    }
  if (parts)
    json_object_set_member (o, "parts", json_node_ref (parts));
  if (size >= 0)
    json_object_set_int_member (o, "size", size);
  while (g_queue_get_length (&st->order) >= 2 * MS_IMAP_MAX_STRUCTURES)
    {
      char *oldest = g_queue_pop_head (&st->order);
      g_hash_table_remove (st->by_key, oldest);
    }
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, o);
  g_hash_table_insert (st->by_key, key, node);
  g_queue_push_tail (&st->order, key);
}

/* The table's key for a message: `kind` ('n' for a sequence number, 'u'
 * for a UID) and the number, written into buf. Responses are many, so no
 * printf here. */
static const char *
structure_key (char kind, gint64 n, char buf[24])
{
  char digits[21];
  guint len = 0;
  guint64 v = (guint64) n;
  do
    digits[len++] = (char) ('0' + v % 10);
  while ((v /= 10) != 0);
  buf[0] = kind;
  for (guint i = 0; i < len; i++)
    buf[1 + i] = digits[len - 1 - i];
  buf[1 + len] = '\0';
  return buf;
}

/* What is known about the message (by UID first, then number): an object
 * with optional "parts" and "size", or NULL. */
static JsonObject *
structures_get (MsImapStructures *st, gint64 number, gint64 uid)
{
  JsonNode *n = NULL;
  char key[24];
  if (uid >= 0)
    n = g_hash_table_lookup (st->by_key, structure_key ('u', uid, key));
  if (n == NULL && number >= 0)
    n = g_hash_table_lookup (st->by_key, structure_key ('n', number, key));
  return n ? json_node_get_object (n) : NULL;
}

/* --- FETCH responses --------------------------------------------------- */

char *
ms_imap_format_grouped (guint64 n, char *buf, gsize size)
{
  char digits[32];
  int len = g_snprintf (digits, sizeof digits, "%" G_GUINT64_FORMAT, n);
  gsize o = 0;
  for (int i = 0; i < len && o + 1 < size; i++)
    {
      if (i > 0 && (len - i) % 3 == 0 && o + 2 < size)
        buf[o++] = ',';
      buf[o++] = digits[i];
    }
  buf[o] = '\0';
  return buf;
}

static gboolean
is_part_number (const char *s, gsize len)
{
  return len > 0 && part_prefix_len (s, len) == len && s[len - 1] != '.';
}

/* One sentence about `bytes` delivered for section (of item name). */
static void
describe_section (GString *out, JsonNode *parts, const char *name,
                  const char *section, gsize slen, guint64 bytes,
                  gint64 message_size)
{
  char b[32], t[32];
  ms_imap_format_grouped (bytes, b, sizeof b);
  if (out->len)
    g_string_append (out, "; ");
  if (section == NULL)   /* RFC822, RFC822.TEXT */
    {
      section = g_ascii_strcasecmp (name, "RFC822") == 0 ? "" : "TEXT";
      slen = strlen (section);
    }

  if (slen == 0)
    {
      if (message_size >= 0)
        g_string_append_printf (out, "%s of %s bytes of the message", b,
                                ms_imap_format_grouped ((guint64) message_size, t, sizeof t));
      else
        g_string_append_printf (out, "%s bytes of the message", b);
      return;
    }
  if (slen == 4 && g_ascii_strncasecmp (section, "TEXT", 4) == 0)
    {
      g_string_append_printf (out, "%s bytes of the message text", b);
      return;
    }
  g_autofree char *sec = g_strndup (section, slen);
  if (!is_part_number (section, slen))
    {
      g_string_append_printf (out, "%s bytes of section %s", b, sec);
      return;
    }
  JsonObject *part = parts_find (parts, sec);
  if (part == NULL)
    {
      g_string_append_printf (out, "%s bytes of part %s", b, sec);
      return;
    }
  const char *type = json_object_get_string_member_with_default (part, "type", "");
  if (json_object_has_member (part, "size"))
    g_string_append_printf (out, "%s of %s bytes of part %s (%s)", b,
                            ms_imap_format_grouped ((guint64) json_object_get_int_member (part, "size"),
                                                    t, sizeof t),
                            sec, type);
  else
    g_string_append_printf (out, "%s bytes of part %s (%s)", b, sec, type);
}

static guint64
value_bytes (const MsImapTok *v)
{
  if (v == NULL || v->type == MS_IMAP_TOK_LIST)
    return 0;
  if (v->type == MS_IMAP_TOK_LITERAL)
    return v->got;
  if (v->type == MS_IMAP_TOK_QUOTED)
    return v->text_len;
  return 0;  /* NIL */
}

void
ms_imap_fetch_response (MsImapStructures *st, gint64 number,
                        const MsImapTok *list, MsEvent *ev)
{
  gint64 uid = -1, size = -1;
  JsonNode *parts = NULL;
  guint64 content = 0;
  gboolean any_content = FALSE;

  if (list == NULL || list->type != MS_IMAP_TOK_LIST)
    return;
  /* First pass: identity and structure, which may follow the content. */
  for (guint i = 0; i + 1 < list->n_items; i += 2)
    {
      const MsImapTok *name = ms_imap_tok_item (list, i), *val = ms_imap_tok_item (list, i + 1);
      if (name->type != MS_IMAP_TOK_ATOM)
        continue;
      if (g_ascii_strcasecmp (name->text, "UID") == 0 && val->type == MS_IMAP_TOK_ATOM)
        uid = g_ascii_strtoll (val->text, NULL, 10);
      else if (g_ascii_strcasecmp (name->text, "RFC822.SIZE") == 0 && val->type == MS_IMAP_TOK_ATOM)
        size = g_ascii_strtoll (val->text, NULL, 10);
      else if ((g_ascii_strcasecmp (name->text, "BODYSTRUCTURE") == 0
                || g_ascii_strcasecmp (name->text, "BODY") == 0)
               && val->type == MS_IMAP_TOK_LIST && parts == NULL)
        parts = ms_imap_body_to_parts (val);
    }
  if (parts || size >= 0)
    {
      char key[24];
      if (number >= 0)
        structures_note (st, g_strdup (structure_key ('n', number, key)), parts, size);
      if (uid >= 0)
        structures_note (st, g_strdup (structure_key ('u', uid, key)), parts, size);
    }
  JsonObject *seen = structures_get (st, number, uid);
  JsonNode *known = parts;
  if (known == NULL && seen && json_object_has_member (seen, "parts"))
    known = json_object_get_member (seen, "parts");
  if (size < 0 && seen && json_object_has_member (seen, "size"))
    size = json_object_get_int_member (seen, "size");

  GString *info = g_string_new (NULL);
  for (guint i = 0; i + 1 < list->n_items; i += 2)
    {
      const MsImapTok *name = ms_imap_tok_item (list, i), *val = ms_imap_tok_item (list, i + 1);
      const char *section = NULL;
      gsize slen = 0;
      if (name->type != MS_IMAP_TOK_ATOM || !ms_imap_fetch_item_moves_content (name->text))
        continue;
      split_section (name->text, &section, &slen);
      guint64 n = value_bytes (val);
      content += n;
      any_content = TRUE;
      describe_section (info, known, name->text, section, slen, n, size);
    }

  if (uid >= 0)
    ms_event_add_int (ev, "message_uid", uid);
  if (any_content)
    {
      ms_event_add_int (ev, "content_bytes", (gint64) content);
      ms_event_add_str (ev, "section_info", info->str);
    }
  g_string_free (info, TRUE);
  if (parts)
    ms_event_add_node (ev, "parts", parts);
}
