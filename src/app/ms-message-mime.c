/* ms-message-mime.c - MIME trees for the message view: GMime parses the
 * bytes a client downloaded (RFC 5322, RFC 2045-2049, RFC 2047 words);
 * BODYSTRUCTURE trees come from the IMAP decoder (RFC 9051 §7.5.2). Parts
 * are numbered as IMAP numbers them, so the two kinds of tree can be
 * matched part by part. */
#include "config.h"

#include <string.h>
#include <gmime/gmime.h>

#include "ms-message-mime.h"

void
ms_mime_init (void)
{
  static gsize once = 0;
  if (g_once_init_enter (&once))
    {
      g_mime_init ();
      g_once_init_leave (&once, 1);
    }
}

/* --- helpers ------------------------------------------------------------ */

static MsMimeInfo *
info_new (void)
{
  MsMimeInfo *info = g_new0 (MsMimeInfo, 1);
  info->size = -1;
  info->have = -1;
  info->children = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_mime_info_free);
  return info;
}

void
ms_mime_info_free (MsMimeInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->section);
  g_free (info->type);
  g_free (info->filename);
  g_free (info->encoding);
  g_free (info->charset);
  g_free (info->preview);
  g_ptr_array_unref (info->children);
  g_free (info);
}

/* A copy of `s` that is valid UTF-8 without control characters, trimmed;
 * NULL for NULL or an empty result. */
static char *
clean_text (const char *s)
{
  g_autofree char *valid = NULL;
  GString *out;

  if (s == NULL)
    return NULL;
  valid = g_utf8_make_valid (s, -1);
  out = g_string_new (NULL);
  for (const char *p = valid; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (c == '\t' || c == '\r' || c == '\n')
        c = ' ';
      else if (g_unichar_iscntrl (c))
        c = 0xFFFD;
      g_string_append_unichar (out, c);
    }
  g_strstrip (out->str);
  if (out->str[0] == '\0')
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

char *
ms_mime_decode_text (const char *raw)
{
  g_autofree char *decoded = NULL;
  if (raw == NULL)
    return NULL;
  ms_mime_init ();
  decoded = g_mime_utils_header_decode_text (NULL, raw);
  return clean_text (decoded ? decoded : raw);
}

char *
ms_mime_decode_phrase (const char *raw)
{
  g_autofree char *decoded = NULL;
  if (raw == NULL)
    return NULL;
  ms_mime_init ();
  decoded = g_mime_utils_header_decode_phrase (NULL, raw);
  return clean_text (decoded ? decoded : raw);
}

void
ms_mail_headers_clear (MsMailHeaders *h)
{
  g_clear_pointer (&h->from, g_free);
  g_clear_pointer (&h->to, g_free);
  g_clear_pointer (&h->subject, g_free);
  g_clear_pointer (&h->date, g_free);
}

void
ms_mail_headers_copy (MsMailHeaders *dst, const MsMailHeaders *src)
{
  ms_mail_headers_clear (dst);
  dst->from = g_strdup (src->from);
  dst->to = g_strdup (src->to);
  dst->subject = g_strdup (src->subject);
  dst->date = g_strdup (src->date);
}

gboolean
ms_mail_headers_empty (const MsMailHeaders *h)
{
  return !h->from && !h->to && !h->subject && !h->date;
}

gsize
ms_byte_ranges_present (const GArray *missing, gsize start, gsize end)
{
  gsize n;

  if (end <= start)
    return 0;
  n = end - start;
  for (guint i = 0; missing && i < missing->len; i++)
    {
      const MsByteRange *r = &g_array_index (missing, MsByteRange, i);
      gsize a = MAX (r->start, start), b = MIN (r->end, end);
      if (a < b)
        n -= b - a;
    }
  return n;
}

MsMimeInfo *
ms_mime_info_find (MsMimeInfo *root, const char *section)
{
  if (root == NULL || section == NULL)
    return NULL;
  if (g_strcmp0 (root->section, section) == 0)
    return root;
  for (guint i = 0; i < root->children->len; i++)
    {
      MsMimeInfo *hit = ms_mime_info_find (g_ptr_array_index (root->children, i), section);
      if (hit)
        return hit;
    }
  return NULL;
}

gint64
ms_mime_info_leaf_size (const MsMimeInfo *info)
{
  gint64 sum = 0;

  if (info->children->len == 0)
    return info->size;
  for (guint i = 0; i < info->children->len; i++)
    {
      gint64 s = ms_mime_info_leaf_size (g_ptr_array_index (info->children, i));
      if (s < 0)
        return -1;
      sum += s;
    }
  return sum;
}

guint
ms_mime_info_count (const MsMimeInfo *info)
{
  guint n = 1;
  for (guint i = 0; i < info->children->len; i++)
    n += ms_mime_info_count (g_ptr_array_index (info->children, i));
  return n;
}

/* "2" + 1 -> "2.1"; NULL + 1 -> "1". */
static char *
child_section (const char *prefix, guint i)
{
  return prefix && *prefix ? g_strdup_printf ("%s.%u", prefix, i) : g_strdup_printf ("%u", i);
}

/* --- BODYSTRUCTURE ------------------------------------------------------ */

static MsMimeInfo *
from_structure (JsonNode *node, guint depth, guint *budget)
{
  JsonObject *o;
  MsMimeInfo *info;
  const char *name;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node) || *budget == 0)
    return NULL;
  (*budget)--;
  o = json_node_get_object (node);
  info = info_new ();
  info->section = g_strdup (json_object_get_string_member_with_default (o, "part", NULL));
  info->type = g_ascii_strdown (json_object_get_string_member_with_default (o, "type", "?"), -1);
  name = json_object_get_string_member_with_default (o, "filename", NULL);
  if (name == NULL)
    name = json_object_get_string_member_with_default (o, "name", NULL);
  info->filename = ms_mime_decode_text (name);
  if (json_object_has_member (o, "encoding"))
    info->encoding = g_ascii_strdown (json_object_get_string_member_with_default (o, "encoding", ""), -1);
  info->size = json_object_get_int_member_with_default (o, "size", -1);
  if (json_object_has_member (o, "children"))
    {
      JsonNode *kids_node = json_object_get_member (o, "children");
      JsonArray *kids = JSON_NODE_HOLDS_ARRAY (kids_node) ? json_node_get_array (kids_node) : NULL;
      for (guint i = 0; kids && i < json_array_get_length (kids); i++)
        {
          MsMimeInfo *kid = depth < MS_MIME_MAX_DEPTH
                              ? from_structure (json_array_get_element (kids, i), depth + 1, budget)
                              : NULL;
          if (kid)
            g_ptr_array_add (info->children, kid);
          else
            info->omitted = TRUE;
        }
    }
  return info;
}

MsMimeInfo *
ms_mime_info_from_structure (JsonNode *parts)
{
  guint budget = MS_MIME_MAX_PARTS;
  return from_structure (parts, 0, &budget);
}

/* --- parsed bytes ------------------------------------------------------- */

typedef struct {
  gsize len;              /* bytes parsed */
  const GArray *missing;
  gboolean complete;
  guint budget;           /* parts still allowed */
} ParseCtx;

/* The start of a text part, decoded and converted to UTF-8, shortened to
 * a few lines; control characters become U+FFFD. */
static char *
text_preview (GMimeTextPart *part)
{
  g_autofree char *text = g_mime_text_part_get_text (part);
  g_autofree char *valid = NULL;
  GString *out;
  guint chars = 0, lines = 0;
  gboolean more = FALSE;

  if (text == NULL)
    return NULL;
  valid = g_utf8_make_valid (text, -1);
  out = g_string_new (NULL);
  for (const char *p = valid; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (c == '\r')
        continue;
      if (chars >= MS_MIME_PREVIEW_CHARS || (c == '\n' && lines + 1 >= MS_MIME_PREVIEW_LINES))
        {
          more = TRUE;
          break;
        }
      if (c == '\n')
        lines++;
      else if (c == '\t')
        c = ' ';
      else if (g_unichar_iscntrl (c) || c == 0x2028 || c == 0x2029)
        c = 0xFFFD;
      g_string_append_unichar (out, c);
      chars++;
    }
  while (out->len > 0 && g_ascii_isspace (out->str[out->len - 1]))
    g_string_truncate (out, out->len - 1);
  /* Leading empty lines say nothing. */
  while (out->len > 0 && out->str[0] == '\n')
    g_string_erase (out, 0, 1);
  if (more)
    g_string_append (out, "…");
  if (out->len == 0)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

static void
fill_common (MsMimeInfo *info, GMimeObject *obj)
{
  GMimeContentType *ct = g_mime_object_get_content_type (obj);
  const char *cte = g_mime_object_get_header (obj, "Content-Transfer-Encoding");

  if (ct)
    {
      g_autofree char *mt = g_mime_content_type_get_mime_type (ct);
      info->type = g_ascii_strdown (mt, -1);
    }
  else
    info->type = g_strdup ("text/plain");
  if (cte)
    {
      g_autofree char *c = clean_text (cte);
      info->encoding = c ? g_ascii_strdown (c, -1) : NULL;
    }
  info->charset = clean_text (g_mime_object_get_content_type_parameter (obj, "charset"));
}

static MsMimeInfo *walk_part (ParseCtx *ctx, GMimeObject *obj, char *section, guint depth);

/* The body of a message: a multipart gets no number (its children do),
 * any other body is part `prefix`.1 (or 1). */
static MsMimeInfo *
walk_body (ParseCtx *ctx, GMimeObject *body, const char *prefix, guint depth)
{
  if (body == NULL)
    return NULL;
  if (GMIME_IS_MULTIPART (body))
    return walk_part (ctx, body, NULL, depth);
  return walk_part (ctx, body, child_section (prefix, 1), depth);
}

/* One part, numbered `section` (taken). */
static MsMimeInfo *
walk_part (ParseCtx *ctx, GMimeObject *obj, char *section, guint depth)
{
  MsMimeInfo *info;

  if (ctx->budget == 0)
    {
      g_free (section);
      return NULL;
    }
  ctx->budget--;
  info = info_new ();
  info->section = section;
  fill_common (info, obj);

  if (GMIME_IS_MULTIPART (obj))
    {
      int n = g_mime_multipart_get_count (GMIME_MULTIPART (obj));
      for (int i = 0; i < n; i++)
        {
          MsMimeInfo *kid = depth < MS_MIME_MAX_DEPTH
                              ? walk_part (ctx, g_mime_multipart_get_part (GMIME_MULTIPART (obj), i),
                                           child_section (section, (guint) i + 1), depth + 1)
                              : NULL;
          if (kid)
            g_ptr_array_add (info->children, kid);
          else
            info->omitted = TRUE;
        }
    }
  else if (GMIME_IS_MESSAGE_PART (obj))
    {
      GMimeMessage *inner = g_mime_message_part_get_message (GMIME_MESSAGE_PART (obj));
      MsMimeInfo *kid = inner && depth < MS_MIME_MAX_DEPTH
                          ? walk_body (ctx, g_mime_message_get_mime_part (inner), section, depth + 1)
                          : NULL;
      if (kid)
        g_ptr_array_add (info->children, kid);
    }
  else if (GMIME_IS_PART (obj))
    {
      GMimeDataWrapper *w = g_mime_part_get_content (GMIME_PART (obj));
      GMimeStream *s = w ? g_mime_data_wrapper_get_stream (w) : NULL;

      info->filename = clean_text (g_mime_part_get_filename (GMIME_PART (obj)));
      if (s && s->bound_start >= 0)
        {
          gsize start = (gsize) MIN ((guint64) s->bound_start, ctx->len);
          gsize end = s->bound_end >= 0 ? (gsize) MIN ((guint64) s->bound_end, ctx->len) : ctx->len;
          info->have = (gint64) ms_byte_ranges_present (ctx->missing, start, end);
          /* A part that runs to the end of incomplete bytes lost its end. */
          info->cut = !ctx->complete && end + 2 >= ctx->len;
          if (!info->cut)
            info->size = (gint64) (end - start);
        }
      else
        info->have = 0;
      if (GMIME_IS_TEXT_PART (obj) && g_str_equal (info->type, "text/plain")
          && info->have >= 0 && info->have <= MS_MIME_PREVIEW_MAX_INPUT)
        info->preview = text_preview (GMIME_TEXT_PART (obj));
    }
  return info;
}

static char *
address_list (InternetAddressList *list)
{
  g_autofree char *s = NULL;
  if (list == NULL || internet_address_list_length (list) == 0)
    return NULL;
  s = internet_address_list_to_string (list, NULL, FALSE);
  return clean_text (s);
}

MsMimeInfo *
ms_mime_info_parse (const guint8 *data, gsize len, const GArray *missing, gboolean complete,
                    MsMailHeaders *headers)
{
  ParseCtx ctx = { len, missing, complete, MS_MIME_MAX_PARTS };
  GMimeStream *stream;
  GMimeParser *parser;
  GMimeMessage *msg;
  MsMimeInfo *root = NULL;

  ms_mime_init ();
  stream = g_mime_stream_mem_new_with_buffer ((const char *) data, len);
  parser = g_mime_parser_new_with_stream (stream);
  /* Parts then point into the stream: their bounds are byte offsets. */
  g_mime_parser_set_persist_stream (parser, TRUE);
  g_mime_parser_set_format (parser, GMIME_FORMAT_MESSAGE);
  msg = g_mime_parser_construct_message (parser, NULL);
  if (msg)
    {
      if (headers)
        {
          ms_mail_headers_clear (headers);
          headers->from = address_list (g_mime_message_get_from (msg));
          headers->to = address_list (g_mime_message_get_to (msg));
          headers->subject = clean_text (g_mime_message_get_subject (msg));
          headers->date = clean_text (g_mime_object_get_header (GMIME_OBJECT (msg), "Date"));
        }
      root = walk_body (&ctx, g_mime_message_get_mime_part (msg), NULL, 0);
      g_object_unref (msg);
    }
  g_object_unref (parser);
  g_object_unref (stream);
  if (root == NULL)
    {
      root = info_new ();
      root->section = g_strdup ("1");
      root->type = g_strdup ("text/plain");
      root->have = (gint64) ms_byte_ranges_present (missing, 0, len);
      root->cut = !complete;
    }
  return root;
}
