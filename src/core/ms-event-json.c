/* ms-event-json.c - the JSON form of MsEvent: ms_event_to_json, and
 * MsEventJson, which reuses one object per member layout for a stream of
 * events (the JSON Lines sink). */
#include "config.h"

#include <string.h>

#include "mailscope/ms-event.h"

/* --- field values -------------------------------------------------------- */

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

/* --- JSON members ------------------------------------------------------ */

/* An event's JSON members, in output order. ms_event_to_json and
 * MsEventJson both build their objects from this one list, so the two
 * forms cannot drift apart. */
typedef enum {
  MEMBER_INT,
  MEMBER_DOUBLE,
  MEMBER_BOOL,
  MEMBER_STR,       /* a string printed as it is */
  MEMBER_TEXT,      /* a string whose secrets are masked on request */
  MEMBER_NULL,
  MEMBER_FIELD,     /* a JsonNode field: v.field is its index */
  MEMBER_REPEATED,  /* a name given to several fields: an array; v.field is the first */
} MemberType;

typedef struct {
  const char *name;
  MemberType type;
  union {
    gint64 i;
    double d;
    gboolean b;
    const char *s;
    guint field;
  } v;
} Member;

/* Endpoints formatted lately: consecutive events share them (both
 * directions of a few connections), and formatting one costs more than
 * building the rest of the object. */
#define MEMBER_ADDRS 8

typedef struct {
  MsAddr addr[MEMBER_ADDRS];
  char text[MEMBER_ADDRS][MS_ADDR_STRLEN];
  guint next;           /* slot to reuse next */
} MemberText;

/* The text of `a`; it stays valid through the next call (src, then dst). */
static const char *
addr_text (MemberText *t, const MsAddr *a)
{
  for (guint i = 0; i < MEMBER_ADDRS; i++)
    if (t->addr[i].family != 0 && ms_addr_equal (&t->addr[i], a))
      {
        if (t->next == i)   /* the text handed out must outlive the next miss */
          t->next = (t->next + 1) % MEMBER_ADDRS;
        return t->text[i];
      }
  guint i = t->next;
  t->next = (t->next + 1) % MEMBER_ADDRS;
  t->addr[i] = *a;
  return ms_addr_format (a, t->text[i], sizeof t->text[i]);
}

/* Members that are not fields: seq … gap. */
#define MEMBER_MAX_FIXED 20

/* Appends a member; list_members made room for all of them beforehand. */
static Member *
member_push (GArray *members, const char *name, MemberType type)
{
  Member *m = &g_array_index (members, Member, members->len++);
  m->name = name;
  m->type = type;
  return m;
}

static void
member_push_str (GArray *members, const char *name, MemberType type, const char *s)
{
  if (s == NULL)
    member_push (members, name, MEMBER_NULL);
  else
    member_push (members, name, type)->v.s = s;
}

/* Names are static strings, mostly the very same ones: the address, then
 * the first letter, settle most comparisons. */
static gboolean
same_name (const char *a, const char *b)
{
  return a == b || (a[0] == b[0] && strcmp (a, b) == 0);
}

static gboolean
member_exists (const GArray *members, const char *name)
{
  for (guint i = 0; i < members->len; i++)
    if (same_name (g_array_index (members, Member, i).name, name))
      return TRUE;
  return FALSE;
}

/* The member holding field number i of ev as it is. */
static void
field_member (const MsEvent *ev, guint i, Member *m)
{
  const MsField *f = &g_array_index (ev->fields, MsField, i);

  m->name = f->name;
  switch (f->type)
    {
    case MS_VAL_STR:
      m->type = MEMBER_TEXT;
      m->v.s = f->v.s;
      break;
    case MS_VAL_INT:
      m->type = MEMBER_INT;
      m->v.i = f->v.i;
      break;
    case MS_VAL_BOOL:
      m->type = MEMBER_BOOL;
      m->v.b = f->v.b;
      break;
    case MS_VAL_DOUBLE:
      m->type = MEMBER_DOUBLE;
      m->v.d = f->v.d;
      break;
    case MS_VAL_NODE:
    default:
      m->type = MEMBER_FIELD;
      m->v.field = i;
      break;
    }
}

/* Fills `members` (of Member) with ev's members: the fixed ones, then every
 * field except secrets and names already present; a repeated name becomes
 * one array at its first place. */
static void
list_members (const MsEvent *ev, GArray *members, MemberText *text)
{
  g_array_set_size (members, MEMBER_MAX_FIXED + (ev->fields ? ev->fields->len : 0));
  members->len = 0;
  member_push (members, "seq", MEMBER_INT)->v.i = (gint64) ev->seq;
  member_push (members, "frame", MEMBER_INT)->v.i = ev->frame;
  if (ev->first_frame && ev->first_frame != ev->frame)
    member_push (members, "first_frame", MEMBER_INT)->v.i = ev->first_frame;
  member_push (members, "time", MEMBER_DOUBLE)->v.d = ev->time;
  member_push_str (members, "proto", MEMBER_STR, ms_proto_name (ev->proto));
  member_push_str (members, "step", MEMBER_STR, ms_step_name (ev->step));
  member_push_str (members, "summary", MEMBER_TEXT, ev->summary ? ev->summary : "");
  if (ev->stream >= 0)
    member_push (members, "stream", MEMBER_INT)->v.i = ev->stream;
  if (ev->dir != MS_DIR_NONE)
    member_push_str (members, "dir", MEMBER_STR, ms_dir_name (ev->dir));
  if (ev->src.family)
    member_push_str (members, "src", MEMBER_STR, addr_text (text, &ev->src));
  if (ev->dst.family)
    member_push_str (members, "dst", MEMBER_STR, addr_text (text, &ev->dst));
  if (ev->kind && ev->kind[0])
    member_push_str (members, "event", MEMBER_STR, ev->kind);
  if (ev->info)
    member_push_str (members, "info", MEMBER_TEXT, ev->info);
  if (ev->note)
    member_push_str (members, "note", MEMBER_STR, ev->note);
  if (ev->flags & MS_EVENT_TRUNCATED)
    member_push (members, "truncated", MEMBER_BOOL)->v.b = TRUE;
  if (ev->flags & MS_EVENT_MALFORMED)
    member_push (members, "malformed", MEMBER_BOOL)->v.b = TRUE;
  if (ev->flags & MS_EVENT_WARNING)
    member_push (members, "warning", MEMBER_BOOL)->v.b = TRUE;
  if (ev->flags & MS_EVENT_GAP)
    member_push (members, "gap", MEMBER_BOOL)->v.b = TRUE;

  for (guint i = 0; ev->fields && i < ev->fields->len; i++)
    {
      const MsField *f = &g_array_index (ev->fields, MsField, i);
      if (same_name (f->name, "secret") || member_exists (members, f->name))
        continue;  /* secrets are never members; repeats were gathered */
      gboolean repeated = FALSE;
      for (guint j = i + 1; j < ev->fields->len && !repeated; j++)
        repeated = same_name (g_array_index (ev->fields, MsField, j).name, f->name);
      if (repeated)
        {
          member_push (members, f->name, MEMBER_REPEATED)->v.field = i;
          continue;
        }
      field_member (ev, i, &g_array_index (members, Member, members->len++));
    }
}

/* TRUE for members held in a plain value node (number, string, boolean). */
static gboolean
member_is_value (const Member *m)
{
  return m->type <= MEMBER_TEXT;
}

/* Sets a value node to a member's value; strings are masked on request.
 * A plain string (a name, an address) that the node already holds is left
 * alone: those repeat from one event to the next, unlike texts. */
static void
member_set_value (const MsEvent *ev, const Member *m, gboolean mask, JsonNode *node)
{
  switch (m->type)
    {
    case MEMBER_INT:
      json_node_set_int (node, m->v.i);
      break;
    case MEMBER_DOUBLE:
      json_node_set_double (node, m->v.d);
      break;
    case MEMBER_BOOL:
      json_node_set_boolean (node, m->v.b);
      break;
    case MEMBER_STR:
    case MEMBER_TEXT:
    default:
      {
        g_autofree char *masked = mask && m->type == MEMBER_TEXT ? ms_event_mask (ev, m->v.s) : NULL;
        const char *s = masked ? masked : m->v.s;
        const char *now = m->type == MEMBER_STR && json_node_get_value_type (node) == G_TYPE_STRING
                            ? json_node_get_string (node) : NULL;
        if (now == NULL || strcmp (now, s) != 0)
          json_node_set_string (node, s);
      }
      break;
    }
}

/* A new node for a member. */
static JsonNode *
member_node (const MsEvent *ev, const Member *m, gboolean mask)
{
  if (member_is_value (m))
    {
      JsonNode *n = json_node_new (JSON_NODE_VALUE);
      member_set_value (ev, m, mask, n);
      return n;
    }
  if (m->type == MEMBER_FIELD)
    {
      JsonNode *node = g_array_index (ev->fields, MsField, m->v.field).v.node;
      return node ? node_masked (ev, node, mask) : json_node_new (JSON_NODE_NULL);
    }
  if (m->type == MEMBER_REPEATED)
    {
      JsonArray *arr = json_array_new ();
      for (guint j = m->v.field; j < ev->fields->len; j++)
        {
          Member e;
          if (strcmp (g_array_index (ev->fields, MsField, j).name, m->name) != 0)
            continue;
          field_member (ev, j, &e);
          json_array_add_element (arr, member_node (ev, &e, mask));
        }
      JsonNode *n = json_node_new (JSON_NODE_ARRAY);
      json_node_take_array (n, arr);
      return n;
    }
  return json_node_new (JSON_NODE_NULL);
}

JsonObject *
ms_event_to_json (const MsEvent *ev, gboolean mask_secrets)
{
  MemberText text = { 0 };
  GArray *members = g_array_sized_new (FALSE, FALSE, sizeof (Member), 24);
  list_members (ev, members, &text);
  JsonObject *o = json_object_new ();
  for (guint i = 0; i < members->len; i++)
    {
      const Member *m = &g_array_index (members, Member, i);
      json_object_set_member (o, m->name, member_node (ev, m, mask_secrets));
    }
  g_array_unref (members);
  return o;
}

/* --- reusable JSON objects ----------------------------------------------- */

/* Layouts kept at once; a capture cannot grow the cache past it (the
 * decoders name their fields from a fixed set, so real captures use a few
 * dozen). */
#define MS_EVENT_JSON_MAX_LAYOUTS 256

/* One object per layout (the member names in order): its plain values are
 * updated in place for each event, its arrays and objects replaced. */
typedef struct _Layout Layout;
struct _Layout {
  Layout *next;         /* another layout with the same hash */
  JsonNode *root;
  JsonObject *object;   /* owned by root */
  guint n_members;
  char **names;         /* copies, to tell layouts apart */
  const char **given;   /* the names as first given: the same static
                         * strings come back, and comparing their
                         * addresses spares comparing the text */
  gboolean *is_value;
  JsonNode **values;    /* per member: its value node, or NULL when replaced */
  JsonGenerator *gen;   /* writes root (ms_event_json_write), made on first use */
};

struct _MsEventJson {
  GHashTable *layouts;  /* hash of the names' addresses → Layout* chain */
  guint n_layouts;
  GArray *members;      /* of Member, reused for each event */
  MemberText text;
};

static void
layout_free (gpointer data)
{
  Layout *l = data;
  while (l)
    {
      Layout *next = l->next;
      json_node_unref (l->root);
      g_clear_object (&l->gen);
      g_strfreev (l->names);
      g_free (l->given);
      g_free (l->is_value);
      g_free (l->values);
      g_free (l);
      l = next;
    }
}

/* The layout's hash: names are static strings, so their addresses are
 * enough to spread layouts; equal names at other addresses only make
 * another layout, and layout_matches compares the names themselves. */
static guint
layout_hash (const GArray *members)
{
  guint64 h = members->len;
  for (guint i = 0; i < members->len; i++)
    {
      const Member *m = &g_array_index (members, Member, i);
      h = (h ^ ((guint64) (guintptr) m->name + member_is_value (m))) * G_GUINT64_CONSTANT (0x100000001b3);
    }
  return (guint) (h ^ (h >> 32));
}

static gboolean
layout_matches (const Layout *l, const GArray *members)
{
  if (l->n_members != members->len)
    return FALSE;
  for (guint i = 0; i < members->len; i++)
    {
      const Member *m = &g_array_index (members, Member, i);
      if (l->is_value[i] != member_is_value (m)
          || (l->given[i] != m->name && strcmp (l->names[i], m->name) != 0))
        return FALSE;
    }
  return TRUE;
}

static Layout *
layout_new (const GArray *members)
{
  Layout *l = g_new0 (Layout, 1);
  l->object = json_object_new ();
  l->n_members = members->len;
  l->names = g_new0 (char *, l->n_members + 1);
  l->given = g_new0 (const char *, l->n_members);
  l->is_value = g_new0 (gboolean, l->n_members);
  l->values = g_new0 (JsonNode *, l->n_members);
  for (guint i = 0; i < l->n_members; i++)
    {
      const Member *m = &g_array_index (members, Member, i);
      l->names[i] = g_strdup (m->name);
      l->given[i] = m->name;
      l->is_value[i] = member_is_value (m);
      JsonNode *n = json_node_new (l->is_value[i] ? JSON_NODE_VALUE : JSON_NODE_NULL);
      if (l->is_value[i])
        l->values[i] = n;
      json_object_set_member (l->object, m->name, n);
    }
  l->root = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (l->root, l->object);
  return l;
}

MsEventJson *
ms_event_json_new (void)
{
  MsEventJson *j = g_new0 (MsEventJson, 1);
  j->layouts = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, layout_free);
  j->members = g_array_sized_new (FALSE, FALSE, sizeof (Member), 32);
  return j;
}

void
ms_event_json_free (MsEventJson *j)
{
  if (j == NULL)
    return;
  g_hash_table_unref (j->layouts);
  g_array_unref (j->members);
  g_free (j);
}

/* Fills the object of ev's layout with ev's values. */
static Layout *
layout_update (MsEventJson *j, const MsEvent *ev, gboolean mask_secrets)
{
  list_members (ev, j->members, &j->text);
  gpointer hash = GUINT_TO_POINTER (layout_hash (j->members));
  Layout *first = g_hash_table_lookup (j->layouts, hash), *l = first;
  while (l && !layout_matches (l, j->members))
    l = l->next;
  if (l == NULL)
    {
      if (j->n_layouts >= MS_EVENT_JSON_MAX_LAYOUTS)
        {
          g_hash_table_remove_all (j->layouts);
          j->n_layouts = 0;
          first = NULL;
        }
      l = layout_new (j->members);
      l->next = first;
      g_hash_table_steal (j->layouts, hash);
      g_hash_table_insert (j->layouts, hash, l);
      j->n_layouts++;
    }

  for (guint i = 0; i < l->n_members; i++)
    {
      const Member *m = &g_array_index (j->members, Member, i);
      if (l->values[i])
        member_set_value (ev, m, mask_secrets, l->values[i]);
      else
        json_object_set_member (l->object, m->name, member_node (ev, m, mask_secrets));
    }
  return l;
}

JsonNode *
ms_event_json_update (MsEventJson *j, const MsEvent *ev, gboolean mask_secrets)
{
  g_return_val_if_fail (j != NULL && ev != NULL, NULL);
  return layout_update (j, ev, mask_secrets)->root;
}

void
ms_event_json_write (MsEventJson *j, const MsEvent *ev, gboolean mask_secrets, GString *out)
{
  g_return_if_fail (j != NULL && ev != NULL && out != NULL);
  Layout *l = layout_update (j, ev, mask_secrets);
  /* The generator keeps a copy of the root sharing the object, which is
   * updated in place: it never needs a new root. Consecutive events seldom
   * share a layout, and a generator per layout spares setting one. */
  if (l->gen == NULL)
    {
      l->gen = json_generator_new ();
      json_generator_set_root (l->gen, l->root);
    }
  json_generator_to_gstring (l->gen, out);
}
