/* ms-imap-cmd-search.c - IMAP SEARCH and UID SEARCH (RFC 3501 §6.4.4): flag
 * keys, header and text substrings (case-insensitive, RFC 2047 decoded by
 * GMime), internal and sent dates, sizes, UID and sequence sets, NOT, OR and
 * parenthesised groups. The criteria are compiled once, then run over each
 * message. */
#include "config.h"

#include <string.h>

#include <gmime/gmime.h>
#include <glib/gi18n-lib.h>

#include "ms-imap-server-private.h"

typedef enum {
  K_ALL,
  K_FLAG,        /* flag set (want) or unset (!want) */
  K_RECENT,
  K_NEW,
  K_HEADER,      /* field, text */
  K_BODY,
  K_TEXT,
  K_BEFORE,
  K_ON,
  K_SINCE,
  K_SENTBEFORE,
  K_SENTON,
  K_SENTSINCE,
  K_LARGER,
  K_SMALLER,
  K_SET,         /* hit[] over view indexes */
  K_NOT,
  K_OR,
  K_AND,
  K_NONE,        /* keywords: never stored, never match */
} KeyType;

typedef struct _Key Key;
struct _Key {
  KeyType type;
  guint flag;
  gboolean want;
  char *field, *text;   /* text case-folded */
  gint64 num;           /* day number or size */
  guint8 *hit;
  GPtrArray *kids;      /* of Key */
};

static void
key_free (gpointer data)
{
  Key *k = data;
  if (k == NULL)
    return;
  g_free (k->field);
  g_free (k->text);
  g_free (k->hit);
  if (k->kids)
    g_ptr_array_unref (k->kids);
  g_free (k);
}

static Key *
key_new (KeyType type)
{
  Key *k = g_new0 (Key, 1);
  k->type = type;
  return k;
}

/* "1-Feb-1994" → days since the epoch, or -1. */
static gint64
parse_day (const char *s)
{
  static const char *const months[] = { "jan", "feb", "mar", "apr", "may", "jun",
                                        "jul", "aug", "sep", "oct", "nov", "dec" };
  int d, y;
  char mon[4] = "";
  if (s == NULL || sscanf (s, "%2d-%3c-%4d", &d, mon, &y) != 3)
    return -1;
  for (int i = 0; i < 12; i++)
    if (g_ascii_strcasecmp (mon, months[i]) == 0)
      {
        if (!g_date_valid_dmy ((GDateDay) d, (GDateMonth) (i + 1), (GDateYear) y))
          return -1;
        GDate *date = g_date_new_dmy ((GDateDay) d, (GDateMonth) (i + 1), (GDateYear) y);
        gint64 n = (gint64) g_date_get_julian (date) - 719163;   /* 1970-01-01 */
        g_date_free (date);
        return n;
      }
  return -1;
}

typedef struct {
  ImapSession *s;
  gboolean uid;
  GPtrArray *args;
  guint pos;
} Compiler;

static Key *compile_key (Compiler *c, guint depth);

static const char *
next_string (Compiler *c)
{
  ImapArg *a = c->pos < c->args->len ? c->args->pdata[c->pos] : NULL;
  if (a == NULL || a->type == IMAP_ARG_LIST)
    return NULL;
  c->pos++;
  return a->str;
}

/* One search key from the arguments; NULL when malformed. */
static Key *
compile_key (Compiler *c, guint depth)
{
  static const struct {
    const char *name;
    guint flag;
    gboolean want;
  } flags[] = {
    { "ANSWERED", MS_MSG_ANSWERED, TRUE }, { "UNANSWERED", MS_MSG_ANSWERED, FALSE },
    { "DELETED", MS_MSG_DELETED, TRUE },   { "UNDELETED", MS_MSG_DELETED, FALSE },
    { "DRAFT", MS_MSG_DRAFT, TRUE },       { "UNDRAFT", MS_MSG_DRAFT, FALSE },
    { "FLAGGED", MS_MSG_FLAGGED, TRUE },   { "UNFLAGGED", MS_MSG_FLAGGED, FALSE },
    { "SEEN", MS_MSG_SEEN, TRUE },         { "UNSEEN", MS_MSG_SEEN, FALSE },
  };
  static const struct {
    const char *name;
    KeyType type;
  } dates[] = {
    { "BEFORE", K_BEFORE },         { "ON", K_ON },         { "SINCE", K_SINCE },
    { "SENTBEFORE", K_SENTBEFORE }, { "SENTON", K_SENTON }, { "SENTSINCE", K_SENTSINCE },
  };
  static const char *const headers[] = { "FROM", "TO", "CC", "BCC", "SUBJECT" };
  if (depth > IMAP_MAX_DEPTH || c->pos >= c->args->len)
    return NULL;
  ImapArg *a = c->args->pdata[c->pos++];
  if (a->type == IMAP_ARG_LIST)
    {
      if (a->list->len == 0)
        return NULL;
      Compiler sub = { c->s, c->uid, a->list, 0 };
      Key *k = key_new (K_AND);
      k->kids = g_ptr_array_new_with_free_func (key_free);
      while (sub.pos < a->list->len)
        {
          Key *kid = compile_key (&sub, depth + 1);
          if (kid == NULL)
            {
              key_free (k);
              return NULL;
            }
          g_ptr_array_add (k->kids, kid);
        }
      return k;
    }
  if (a->type != IMAP_ARG_ATOM)
    return NULL;
  const char *w = a->str;
  for (guint i = 0; i < G_N_ELEMENTS (flags); i++)
    if (g_ascii_strcasecmp (w, flags[i].name) == 0)
      {
        Key *k = key_new (K_FLAG);
        k->flag = flags[i].flag;
        k->want = flags[i].want;
        return k;
      }
  for (guint i = 0; i < G_N_ELEMENTS (dates); i++)
    if (g_ascii_strcasecmp (w, dates[i].name) == 0)
      {
        gint64 day = parse_day (next_string (c));
        if (day < 0)
          return NULL;
        Key *k = key_new (dates[i].type);
        k->num = day;
        return k;
      }
  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    if (g_ascii_strcasecmp (w, headers[i]) == 0)
      {
        const char *t = next_string (c);
        if (t == NULL)
          return NULL;
        Key *k = key_new (K_HEADER);
        k->field = g_strdup (headers[i]);
        k->text = g_utf8_casefold (t, -1);
        return k;
      }
  if (g_ascii_strcasecmp (w, "ALL") == 0)
    return key_new (K_ALL);
  if (g_ascii_strcasecmp (w, "RECENT") == 0)
    return key_new (K_RECENT);
  if (g_ascii_strcasecmp (w, "NEW") == 0)
    return key_new (K_NEW);
  if (g_ascii_strcasecmp (w, "OLD") == 0)
    {
      Key *k = key_new (K_NOT);
      k->kids = g_ptr_array_new_with_free_func (key_free);
      g_ptr_array_add (k->kids, key_new (K_RECENT));
      return k;
    }
  if (g_ascii_strcasecmp (w, "HEADER") == 0)
    {
      const char *f = next_string (c);
      const char *t = next_string (c);
      if (f == NULL || t == NULL)
        return NULL;
      Key *k = key_new (K_HEADER);
      k->field = g_strdup (f);
      k->text = g_utf8_casefold (t, -1);
      return k;
    }
  if (g_ascii_strcasecmp (w, "BODY") == 0 || g_ascii_strcasecmp (w, "TEXT") == 0)
    {
      const char *t = next_string (c);
      if (t == NULL)
        return NULL;
      Key *k = key_new (g_ascii_strcasecmp (w, "BODY") == 0 ? K_BODY : K_TEXT);
      k->text = g_ascii_strdown (t, -1);
      return k;
    }
  if (g_ascii_strcasecmp (w, "KEYWORD") == 0 || g_ascii_strcasecmp (w, "UNKEYWORD") == 0)
    {
      if (next_string (c) == NULL)
        return NULL;
      /* No keyword is ever stored: KEYWORD matches none, UNKEYWORD all. */
      return key_new (g_ascii_strcasecmp (w, "KEYWORD") == 0 ? K_NONE : K_ALL);
    }
  if (g_ascii_strcasecmp (w, "LARGER") == 0 || g_ascii_strcasecmp (w, "SMALLER") == 0)
    {
      const char *n = next_string (c);
      char *end = NULL;
      guint64 v = n ? g_ascii_strtoull (n, &end, 10) : 0;
      if (n == NULL || end == n || *end != '\0' || v > G_MAXINT64)
        return NULL;
      Key *k = key_new (g_ascii_strcasecmp (w, "LARGER") == 0 ? K_LARGER : K_SMALLER);
      k->num = (gint64) v;
      return k;
    }
  if (g_ascii_strcasecmp (w, "NOT") == 0 || g_ascii_strcasecmp (w, "OR") == 0)
    {
      gboolean or = g_ascii_strcasecmp (w, "OR") == 0;
      Key *k = key_new (or ? K_OR : K_NOT);
      k->kids = g_ptr_array_new_with_free_func (key_free);
      for (int i = 0; i < (or ? 2 : 1); i++)
        {
          Key *kid = compile_key (c, depth + 1);
          if (kid == NULL)
            {
              key_free (k);
              return NULL;
            }
          g_ptr_array_add (k->kids, kid);
        }
      return k;
    }
  gboolean uid = g_ascii_strcasecmp (w, "UID") == 0;
  const char *set = uid ? next_string (c) : w;
  g_autoptr (GArray) idx = set ? ms_imap_seqset_indexes (c->s, set, uid) : NULL;
  if (idx == NULL)
    return NULL;
  Key *k = key_new (K_SET);
  k->hit = g_malloc0 (c->s->view->len + 1);
  for (guint i = 0; i < idx->len; i++)
    k->hit[g_array_index (idx, guint, i)] = 1;
  return k;
}

typedef struct {
  ImapSession *s;
  guint index;
  const MsMessage *m;
  GBytes *bytes;
  MsMimePart *mime;
} Subject;

static gboolean
load (Subject *sub)
{
  if (sub->bytes)
    return TRUE;
  sub->bytes = ms_imap_read_crlf (sub->s, sub->m->uid);
  if (sub->bytes == NULL)
    return FALSE;
  gsize len;
  const char *data = g_bytes_get_data (sub->bytes, &len);
  sub->mime = ms_imap_mime_parse (data ? data : "", len);
  return TRUE;
}

/* ASCII case-insensitive substring search in raw bytes. */
static gboolean
bytes_contain (const char *hay, gsize len, const char *needle_lower)
{
  gsize n = strlen (needle_lower);
  if (n == 0)
    return TRUE;
  for (gsize i = 0; i + n <= len; i++)
    {
      gsize j = 0;
      while (j < n && g_ascii_tolower (hay[i + j]) == needle_lower[j])
        j++;
      if (j == n)
        return TRUE;
    }
  return FALSE;
}

static gint64
day_of (gint64 t)
{
  return t >= 0 ? t / 86400 : (t - 86399) / 86400;
}

static gboolean
match (Key *k, Subject *sub)
{
  guint flags = ms_imap_view_flags (sub->s, sub->index);
  switch (k->type)
    {
    case K_ALL:
      return TRUE;
    case K_NONE:
      return FALSE;
    case K_FLAG:
      return ((flags & k->flag) != 0) == k->want;
    case K_RECENT:
      return (flags & MS_MSG_RECENT) != 0;
    case K_NEW:
      return (flags & MS_MSG_RECENT) && !(flags & MS_MSG_SEEN);
    case K_BEFORE:
      return day_of (sub->m->mtime) < k->num;
    case K_ON:
      return day_of (sub->m->mtime) == k->num;
    case K_SINCE:
      return day_of (sub->m->mtime) >= k->num;
    case K_LARGER:
    case K_SMALLER:
      {
        gint64 size = ms_hub_box_crlf_size (sub->s->box, sub->m->uid);
        return k->type == K_LARGER ? size > k->num : size >= 0 && size < k->num;
      }
    case K_SET:
      return k->hit[sub->index] != 0;
    case K_NOT:
      return !match (k->kids->pdata[0], sub);
    case K_OR:
      return match (k->kids->pdata[0], sub) || match (k->kids->pdata[1], sub);
    case K_AND:
      for (guint i = 0; i < k->kids->len; i++)
        if (!match (k->kids->pdata[i], sub))
          return FALSE;
      return TRUE;
    case K_HEADER:
      {
        if (!load (sub))
          return FALSE;
        g_autofree char *v = ms_imap_mime_header (g_bytes_get_data (sub->bytes, NULL), sub->mime,
                                                  k->field);
        if (v == NULL)
          return FALSE;
        g_autofree char *dec = ms_imap_mime_decode (v);
        g_autofree char *valid = g_utf8_make_valid (dec ? dec : v, -1);
        g_autofree char *folded = g_utf8_casefold (valid, -1);
        return strstr (folded, k->text) != NULL;
      }
    case K_BODY:
    case K_TEXT:
      {
        if (!load (sub))
          return FALSE;
        gsize len;
        const char *data = g_bytes_get_data (sub->bytes, &len);
        gsize off = k->type == K_BODY ? ms_imap_mime_body_offset (sub->mime) : 0;
        return bytes_contain (data + off, len - off, k->text);
      }
    case K_SENTBEFORE:
    case K_SENTON:
    case K_SENTSINCE:
      {
        if (!load (sub))
          return FALSE;
        g_autofree char *v = ms_imap_mime_header (g_bytes_get_data (sub->bytes, NULL), sub->mime,
                                                  "Date");
        GDateTime *dt = v ? g_mime_utils_header_decode_date (v) : NULL;
        if (dt == NULL)
          return FALSE;
        /* The date as written, whatever its zone (RFC 3501 §6.4.4). */
        gint64 day = day_of (g_date_time_to_unix (dt) + g_date_time_get_utc_offset (dt) / G_USEC_PER_SEC);
        g_date_time_unref (dt);
        return k->type == K_SENTBEFORE ? day < k->num : k->type == K_SENTON ? day == k->num : day >= k->num;
      }
    }
  return FALSE;
}

void
ms_imap_cmd_search (ImapSession *s, ImapCmd *cmd)
{
  guint start = 0;
  if (ms_imap_arg_is_atom (ms_imap_arg (cmd, 0), "CHARSET"))
    {
      const char *cs = ms_imap_arg_astring (ms_imap_arg (cmd, 1));
      if (cs == NULL)
        {
          ms_imap_bad (s, cmd, _("CHARSET needs a name"));
          return;
        }
      if (g_ascii_strcasecmp (cs, "UTF-8") != 0 && g_ascii_strcasecmp (cs, "US-ASCII") != 0)
        {
          ms_imap_tagged (s, cmd, "NO", "[BADCHARSET (UTF-8 US-ASCII)] %s",
                          _("unsupported charset"));
          return;
        }
      start = 2;
    }
  if (cmd->args->len <= start)
    {
      ms_imap_bad (s, cmd, _("SEARCH needs criteria"));
      return;
    }
  Compiler c = { s, cmd->uid, cmd->args, start };
  Key *all = key_new (K_AND);
  all->kids = g_ptr_array_new_with_free_func (key_free);
  while (c.pos < cmd->args->len)
    {
      Key *k = compile_key (&c, 0);
      if (k == NULL)
        {
          key_free (all);
          ms_imap_bad (s, cmd, _("invalid search criteria"));
          return;
        }
      g_ptr_array_add (all->kids, k);
    }
  GString *out = g_string_new ("SEARCH");
  for (guint i = 0; i < s->view->len; i++)
    {
      Subject sub = { s, i, ms_imap_view_message (s, i), NULL, NULL };
      if (sub.m == NULL)
        continue;
      guint32 uid = sub.m->uid;
      if (match (all, &sub))
        g_string_append_printf (out, " %u", cmd->uid ? uid : i + 1);
      if (sub.mime)
        ms_imap_mime_free (sub.mime);
      if (sub.bytes)
        g_bytes_unref (sub.bytes);
    }
  key_free (all);
  ms_imap_untagged (s, "%s", out->str);
  g_string_free (out, TRUE);
  ms_imap_tagged (s, cmd, "OK", "%s", _("SEARCH completed"));
}
