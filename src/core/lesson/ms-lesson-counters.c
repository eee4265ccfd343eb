/* ms-lesson-counters.c - what the step classifier counts per session for its
 * summary: time, frames and bytes per step, content moved and the mailbox
 * size, the attachments a message announced and whether they were fetched,
 * and the credentials seen. */
#include "config.h"

#include <string.h>

#include "ms-lesson-session-private.h"

/* MIME nesting followed when looking for attachments; real mail nests a
 * few levels, deeper trees are hostile. */
#define MS_LESSON_MAX_MIME_DEPTH 16
/* Distinct message sizes remembered per IMAP session to sum the mailbox
 * size without counting a message twice; past it sizes are simply added. */
#define MS_LESSON_MAX_SIZES 65536

/* --- attachments ------------------------------------------------------- */

static const char *
obj_str (JsonObject *o, const char *a, const char *b)
{
  JsonNode *n = json_object_get_member (o, a);
  if (n == NULL && b)
    n = json_object_get_member (o, b);
  if (n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
    return json_node_get_string (n);
  return NULL;
}

static gint64
obj_int (JsonObject *o, const char *a, const char *b)
{
  JsonNode *n = json_object_get_member (o, a);
  if (n == NULL && b)
    n = json_object_get_member (o, b);
  if (n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64)
    return json_node_get_int (n);
  return -1;
}

static void
attachment_remember (Session *s, guint message, const char *part,
                     const char *type, gint64 size)
{
  MsSessionSummary *sum = &s->sum;
  for (guint i = 0; i < sum->n_attachments; i++)
    if (sum->attachments[i].message == message
        && strcmp (sum->attachments[i].part, part) == 0)
      return;
  if (sum->n_attachments >= MS_SUMMARY_MAX_ATTACHMENTS)
    {
      sum->attachments_dropped++;
      return;
    }
  if (sum->attachments == NULL)
    sum->attachments = g_new0 (MsAttachment, MS_SUMMARY_MAX_ATTACHMENTS);
  MsAttachment *a = &sum->attachments[sum->n_attachments++];
  a->message = message;
  g_strlcpy (a->part, part, sizeof a->part);
  g_strlcpy (a->type, type, sizeof a->type);
  a->size = size;
  a->fetched = FALSE;
}

/* Walks a BODYSTRUCTURE tree (objects with a content type, a part number and
 * optional "parts" children) and remembers leaves that are attachments:
 * a disposition of "attachment", or a non-text leaf that is not the body. */
static void
walk_parts (Session *s, guint message, JsonNode *node, guint depth)
{
  if (node == NULL || depth > MS_LESSON_MAX_MIME_DEPTH)
    return;
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (a); i++)
        walk_parts (s, message, json_array_get_element (a, i), depth + 1);
      return;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return;
  JsonObject *o = json_node_get_object (node);
  JsonNode *children = json_object_get_member (o, "parts");
  if (children == NULL)
    children = json_object_get_member (o, "children");
  if (children && JSON_NODE_HOLDS_ARRAY (children)
      && json_array_get_length (json_node_get_array (children)) > 0)
    {
      walk_parts (s, message, children, depth + 1);
      return;
    }
  const char *type = obj_str (o, "type", "content_type");
  const char *subtype = obj_str (o, "subtype", NULL);
  const char *part = obj_str (o, "part", "section");
  const char *disp = obj_str (o, "disposition", NULL);
  g_autofree char *full = NULL;
  if (type && subtype && strchr (type, '/') == NULL)
    {
      g_autofree char *joined = g_strconcat (type, "/", subtype, NULL);
      full = g_ascii_strdown (joined, -1);
    }
  else if (type)
    full = g_ascii_strdown (type, -1);
  if (part == NULL || full == NULL)
    return;
  gboolean attachment = disp && g_ascii_strcasecmp (disp, "attachment") == 0;
  if (!attachment && strcmp (part, "1") != 0 && strcmp (part, "") != 0
      && !g_str_has_prefix (full, "text/") && !g_str_has_prefix (full, "multipart/"))
    attachment = TRUE;
  if (attachment)
    attachment_remember (s, message, part, full, obj_int (o, "size", "octets"));
}

/* Marks attachments of `message` that the FETCH response text delivers:
 * BODY[]/BINARY[]/RFC822/RFC822.TEXT/BODY[TEXT] deliver every part,
 * BODY[n…] delivers part n and the parts under it. */
static void
mark_fetched (Session *s, guint message, const char *info)
{
  MsSessionSummary *sum = &s->sum;
  if (info == NULL || sum->n_attachments == 0)
    return;
  const char *p = info;
  while (*p)
    {
      const char *sec = NULL;
      gsize skip = 0;
      if (g_ascii_strncasecmp (p, "BODY[", 5) == 0)
        skip = 5;
      else if (g_ascii_strncasecmp (p, "BINARY[", 7) == 0)
        skip = 7;
      else if (g_ascii_strncasecmp (p, "RFC822", 6) == 0
               && g_ascii_strncasecmp (p, "RFC822.SIZE", 11) != 0
               && g_ascii_strncasecmp (p, "RFC822.HEADER", 13) != 0)
        sec = "";
      if (skip)
        sec = p + skip;
      if (sec == NULL)
        {
          p++;
          continue;
        }
      gsize n = strcspn (sec, "]");
      /* "BODY[2]<0>": a range of the part, not the part */
      gboolean range = sec[n] == ']' && sec[n + 1] == '<';
      char section[64];
      g_strlcpy (section, sec, MIN (n + 1, sizeof section));
      gboolean whole = section[0] == '\0' || g_ascii_strcasecmp (section, "TEXT") == 0;
      if (!g_str_has_suffix (section, ".MIME") && !g_str_has_suffix (section, "HEADER")
          && strstr (section, "HEADER.FIELDS") == NULL)
        for (guint i = 0; i < sum->n_attachments; i++)
          {
            MsAttachment *a = &sum->attachments[i];
            gsize sl = strlen (section);
            if (a->message != message)
              continue;
            if (whole || strcmp (a->part, section) == 0
                || (strncmp (a->part, section, sl) == 0 && a->part[sl] == '.'))
              {
                if (range)
                  a->partial = TRUE;
                else
                  a->fetched = TRUE;
              }
          }
      p = sec + n;
      if (*p)
        p++;
    }
}

guint
ms_session_summary_attachments_missed (const MsSessionSummary *s)
{
  guint n = s->attachments_dropped;
  for (guint i = 0; i < s->n_attachments; i++)
    n += !s->attachments[i].fetched;
  return n;
}

/* --- summary counters -------------------------------------------------- */

void
ms_lesson_stats_add (MsStepStats *st, const MsEvent *ev)
{
  /* A credential repeats bytes its command already counted. */
  gboolean counts_bytes = strcmp (ev->kind ? ev->kind : "", "credential") != 0;

  if (st->events == 0)
    {
      st->first_nsec = ev->ts_nsec;
      st->first_time = ev->time;
    }
  st->last_nsec = ev->ts_nsec;
  st->last_time = ev->time;
  st->events++;
  if (ev->frame != st->last_frame || st->frames == 0)
    {
      st->frames++;
      st->last_frame = ev->frame;
    }
  if (counts_bytes && (ev->dir == MS_DIR_C2S || ev->dir == MS_DIR_S2C))
    st->bytes[ev->dir] += ev->length;
}

static void
record_size (Session *s, gint64 number, gint64 size)
{
  if (size < 0)
    return;
  if (s->sizes == NULL)
    s->sizes = g_hash_table_new (g_direct_hash, g_direct_equal);
  gpointer key = GSIZE_TO_POINTER ((gsize) number);
  gpointer old;
  guint64 total = s->sum.mailbox_bytes > 0 ? (guint64) s->sum.mailbox_bytes : 0;
  if (number >= 0 && g_hash_table_lookup_extended (s->sizes, key, NULL, &old))
    {
      /* the same message reported again: replace, do not add */
      total -= GPOINTER_TO_SIZE (old);
      g_hash_table_insert (s->sizes, key, GSIZE_TO_POINTER ((gsize) size));
    }
  else if (number >= 0 && g_hash_table_size (s->sizes) < MS_LESSON_MAX_SIZES)
    g_hash_table_insert (s->sizes, key, GSIZE_TO_POINTER ((gsize) size));
  s->sum.mailbox_bytes = (gint64) (total + (guint64) size);
}

/* Sum of the integers in a JSON array node (POP3 LIST sizes), or -1. */
static gint64
node_int_sum (const MsField *f)
{
  if (f == NULL || f->type != MS_VAL_NODE || f->v.node == NULL
      || !JSON_NODE_HOLDS_ARRAY (f->v.node))
    return -1;
  JsonArray *a = json_node_get_array (f->v.node);
  gint64 total = 0;
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonNode *n = json_array_get_element (a, i);
      if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64)
        total += json_node_get_int (n);
      else if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
        {
          /* a scan listing line: "msg octets" (RFC 1939, LIST) */
          const char *sp = strchr (json_node_get_string (n), ' ');
          if (sp && g_ascii_isdigit (sp[1]))
            total += g_ascii_strtoll (sp + 1, NULL, 10);
        }
      else if (JSON_NODE_HOLDS_OBJECT (n))
        {
          gint64 v = obj_int (json_node_get_object (n), "octets", "size");
          total += v > 0 ? v : 0;
        }
    }
  return total;
}

void
ms_lesson_update_content (Session *s, MsEvent *ev, const char *paired_cmd)
{
  MsSessionSummary *sum = &s->sum;
  gint64 content = ms_event_get_int (ev, "content_bytes", -1);
  if (content > 0)
    sum->content_bytes += (guint64) content;

  if (ev->proto == MS_PROTO_IMAP && strcmp (ev->kind, "untagged") == 0)
    {
      const char *ukind = ms_event_get_str (ev, "kind");
      if (ukind == NULL || g_ascii_strcasecmp (ukind, "FETCH") != 0)
        return;
      gint64 number = ms_event_get_int (ev, "number", -1);
      gint64 size = ms_event_get_int (ev, "rfc822_size", -1);
      const char *at = ev->info ? strstr (ev->info, "RFC822.SIZE ") : NULL;
      /* Without the decoder's field, the response text still says it. */
      if (size < 0 && at && g_ascii_isdigit (at[12]))
        size = g_ascii_strtoll (at + 12, NULL, 10);
      if (size >= 0)
        record_size (s, number, size);
      const MsField *parts = ms_event_get (ev, "parts");
      if (parts && parts->type == MS_VAL_NODE && number > 0)
        walk_parts (s, (guint) number, parts->v.node, 0);
      if (content > 0 && number > 0)
        mark_fetched (s, (guint) number, ev->info);
    }
  else if (ev->proto == MS_PROTO_POP3 && strcmp (ev->kind, "response") == 0)
    {
      gint64 octets = ms_event_get_int (ev, "maildrop_octets", -1);
      /* Without the decoder's field, parse "+OK count octets" (RFC 1939). */
      if (octets < 0 && paired_cmd && g_ascii_strcasecmp (paired_cmd, "STAT") == 0
          && ev->info && g_str_has_prefix (ev->info, "+OK "))
        {
          char *end = NULL;
          g_ascii_strtoll (ev->info + 4, &end, 10);
          if (end && end > ev->info + 4 && *end == ' ' && g_ascii_isdigit (end[1]))
            octets = g_ascii_strtoll (end + 1, NULL, 10);
        }
      if (octets >= 0)
        {
          sum->mailbox_bytes = octets;
          return;
        }
      if (sum->mailbox_bytes < 0 && paired_cmd && g_ascii_strcasecmp (paired_cmd, "LIST") == 0)
        {
          gint64 total = node_int_sum (ms_event_get (ev, "sizes"));
          if (total < 0)
            total = node_int_sum (ms_event_get (ev, "messages"));
          if (total >= 0)
            sum->mailbox_bytes = total;
        }
    }
}

void
ms_lesson_update_credentials (Session *s, const MsEvent *ev)
{
  const MsField *f = ms_event_get (ev, "credential");
  if (f == NULL || f->type != MS_VAL_NODE || f->v.node == NULL
      || !JSON_NODE_HOLDS_OBJECT (f->v.node))
    return;
  JsonObject *o = json_node_get_object (f->v.node);
  const char *user = obj_str (o, "user", NULL);
  const char *mech = obj_str (o, "mechanism", NULL);
  gboolean clear = json_object_has_member (o, "cleartext")
                   && json_object_get_boolean_member_with_default (o, "cleartext", FALSE);
  if (s->sum.user == NULL && user)
    s->sum.user = g_strdup (user);
  if (s->sum.mechanism == NULL && mech)
    s->sum.mechanism = g_strdup (mech);
  if (clear)
    {
      s->sum.credentials_exposed = TRUE;
      /* the exposed login is the one worth naming */
      if (user && g_strcmp0 (s->sum.user, user) != 0)
        {
          g_free (s->sum.user);
          s->sum.user = g_strdup (user);
          g_free (s->sum.mechanism);
          s->sum.mechanism = g_strdup (mech);
        }
    }
}
