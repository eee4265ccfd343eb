/* ms-imap-mime.c - message structure for IMAP FETCH (RFC 3501 §6.4.5,
 * §7.4.2): ENVELOPE, BODYSTRUCTURE and BODY[section] extraction.
 *
 * The part tree is found by walking the CRLF message's bytes (headers,
 * MIME boundaries per RFC 2046, message/rfc822 bodies), because IMAP needs
 * exact byte offsets for sections and sizes; GMime 3 parses what lies
 * inside: Content-Type and Content-Disposition with their parameters,
 * address lists for ENVELOPE, and RFC 2047 words for SEARCH. */
#include "config.h"

#include <string.h>

#include <gmime/gmime.h>

#include "ms-imap-server-private.h"

/* MIME nesting deeper than this is not followed (the rest is one leaf):
 * real mail nests a few levels, hostile mail thousands. */
#define MIME_MAX_DEPTH 32
/* Parts per message at most, for the same reason. */
#define MIME_MAX_PARTS 2000

struct _MsMimePart {
  gsize hdr, body, end;    /* header [hdr, body), body [body, end) */
  char *type, *subtype;    /* lower case */
  GMimeContentType *ct;    /* NULL when the header has none */
  GPtrArray *children;     /* multipart parts, or the message of message/rfc822 */
  gboolean is_message;     /* message/rfc822: children[0] is the message */
};

static void
ensure_gmime (void)
{
  static gsize once = 0;
  if (g_once_init_enter (&once))
    {
      g_mime_init ();
      g_once_init_leave (&once, 1);
    }
}

/* --- headers --------------------------------------------------------- */

/* Unfolded value of `field` in [hdr, body), or NULL. */
static char *
header_value (const char *data, gsize hdr, gsize body, const char *field)
{
  gsize flen = strlen (field);
  gsize p = hdr;
  while (p < body)
    {
      const char *nl = memchr (data + p, '\n', body - p);
      gsize line_end = nl ? (gsize) (nl - data) + 1 : body;
      if (line_end - p > flen && data[p + flen] == ':'
          && g_ascii_strncasecmp (data + p, field, flen) == 0)
        {
          GString *v = g_string_new (NULL);
          gsize q = p + flen + 1;
          for (;;)
            {
              for (gsize i = q; i < line_end; i++)
                if (data[i] != '\r' && data[i] != '\n')
                  g_string_append_c (v, data[i]);
              if (line_end >= body || (data[line_end] != ' ' && data[line_end] != '\t'))
                break;
              q = line_end;
              const char *nl2 = memchr (data + q, '\n', body - q);
              line_end = nl2 ? (gsize) (nl2 - data) + 1 : body;
            }
          char *s = g_strstrip (g_string_free (v, FALSE));
          return s;
        }
      p = line_end;
    }
  return NULL;
}

/* --- the part tree --------------------------------------------------- */

static MsMimePart *parse_part (const char *data, gsize start, gsize end, guint depth,
                               gboolean digest, guint *count);

static gboolean
is_delimiter (const char *data, gsize p, gsize end, const char *delim, gsize dlen, gboolean *close)
{
  if (end - p < dlen || memcmp (data + p, delim, dlen) != 0)
    return FALSE;
  p += dlen;
  *close = end - p >= 2 && data[p] == '-' && data[p + 1] == '-';
  if (*close)
    p += 2;
  while (p < end && (data[p] == ' ' || data[p] == '\t'))
    p++;
  return p >= end || data[p] == '\r' || data[p] == '\n';
}

static void
split_multipart (MsMimePart *part, const char *data, const char *boundary, guint depth,
                 guint *count)
{
  g_autofree char *delim = g_strconcat ("--", boundary, NULL);
  gsize dlen = strlen (delim);
  gboolean digest = g_strcmp0 (part->subtype, "digest") == 0;
  gsize p = part->body;
  gssize open = -1;   /* start of the part being read */
  while (p < part->end)
    {
      gboolean close = FALSE;
      const char *nl = memchr (data + p, '\n', part->end - p);
      gsize next = nl ? (gsize) (nl - data) + 1 : part->end;
      if (is_delimiter (data, p, part->end, delim, dlen, &close))
        {
          if (open >= 0 && *count < MIME_MAX_PARTS)
            {
              /* The CRLF before a delimiter belongs to it (RFC 2046 §5.1.1). */
              gsize pend = p;
              if (pend >= (gsize) open + 2 && data[pend - 1] == '\n' && data[pend - 2] == '\r')
                pend -= 2;
              else if (pend > (gsize) open && data[pend - 1] == '\n')
                pend--;
              if (pend < (gsize) open)
                pend = (gsize) open;
              g_ptr_array_add (part->children,
                               parse_part (data, (gsize) open, pend, depth + 1, digest, count));
            }
          if (close)
            return;
          open = (gssize) next;
        }
      p = next;
    }
  /* No closing delimiter: the last part runs to the end. */
  if (open >= 0 && (gsize) open <= part->end && *count < MIME_MAX_PARTS)
    g_ptr_array_add (part->children,
                     parse_part (data, (gsize) open, part->end, depth + 1, digest, count));
}

static MsMimePart *
parse_part (const char *data, gsize start, gsize end, guint depth, gboolean digest, guint *count)
{
  (*count)++;
  MsMimePart *part = g_new0 (MsMimePart, 1);
  part->hdr = start;
  part->end = end;
  part->children = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_imap_mime_free);
  if (end - start >= 2 && data[start] == '\r' && data[start + 1] == '\n')
    part->body = start + 2;
  else
    {
      const char *sep = g_strstr_len (data + start, (gssize) (end - start), "\r\n\r\n");
      part->body = sep ? (gsize) (sep - data) + 4 : end;
    }
  g_autofree char *ctv = header_value (data, part->hdr, part->body, "Content-Type");
  if (ctv)
    {
      part->ct = g_mime_content_type_parse (NULL, ctv);
      const char *t = part->ct ? g_mime_content_type_get_media_type (part->ct) : NULL;
      const char *st = part->ct ? g_mime_content_type_get_media_subtype (part->ct) : NULL;
      if (t && st && *t && *st)
        {
          part->type = g_ascii_strdown (t, -1);
          part->subtype = g_ascii_strdown (st, -1);
        }
    }
  if (part->type == NULL)
    {
      part->type = g_strdup (digest ? "message" : "text");
      part->subtype = g_strdup (digest ? "rfc822" : "plain");
    }
  if (depth >= MIME_MAX_DEPTH)
    return part;
  if (strcmp (part->type, "multipart") == 0)
    {
      const char *boundary = part->ct ? g_mime_content_type_get_parameter (part->ct, "boundary") : NULL;
      if (boundary && *boundary)
        split_multipart (part, data, boundary, depth, count);
    }
  else if (strcmp (part->type, "message") == 0 && strcmp (part->subtype, "rfc822") == 0)
    {
      part->is_message = TRUE;
      g_ptr_array_add (part->children, parse_part (data, part->body, end, depth + 1, FALSE, count));
    }
  return part;
}

MsMimePart *
ms_imap_mime_parse (const char *data, gsize len)
{
  ensure_gmime ();
  guint count = 0;
  return parse_part (data, 0, len, 0, FALSE, &count);
}

void
ms_imap_mime_free (MsMimePart *part)
{
  if (part == NULL)
    return;
  g_ptr_array_unref (part->children);
  g_clear_object (&part->ct);
  g_free (part->type);
  g_free (part->subtype);
  g_free (part);
}

gsize
ms_imap_mime_body_offset (MsMimePart *root)
{
  return root->body;
}

char *
ms_imap_mime_header (const char *data, MsMimePart *root, const char *field)
{
  return header_value (data, root->hdr, root->body, field);
}

char *
ms_imap_mime_decode (const char *value)
{
  ensure_gmime ();
  return g_mime_utils_header_decode_text (NULL, value);
}

/* --- ENVELOPE -------------------------------------------------------- */

/* The display name as written before "<addr>" in the raw header, when it
 * holds RFC 2047 words: ENVELOPE carries names undecoded (RFC 3501
 * §7.4.2), and GMime hands them out decoded. NULL otherwise. */
static char *
raw_phrase (const char *value, const char *addr)
{
  if (value == NULL || addr == NULL || *addr == '\0')
    return NULL;
  g_autofree char *needle = g_strdup_printf ("<%s>", addr);
  const char *hit = strstr (value, needle);
  if (hit == NULL)
    return NULL;
  const char *start = hit;
  gboolean quoted = FALSE;
  while (start > value)
    {
      char ch = start[-1];
      if (ch == '"')
        quoted = !quoted;
      else if (!quoted && (ch == ',' || ch == ':' || ch == ';' || ch == '>'))
        break;
      start--;
    }
  g_autofree char *phrase = g_strstrip (g_strndup (start, (gsize) (hit - start)));
  gsize n = strlen (phrase);
  if (n >= 2 && phrase[0] == '"' && phrase[n - 1] == '"')
    {
      memmove (phrase, phrase + 1, n - 2);
      phrase[n - 2] = '\0';
    }
  if (strstr (phrase, "=?") == NULL)
    return NULL;
  return g_steal_pointer (&phrase);
}

static void
append_address_list (GString *out, const char *value)
{
  InternetAddressList *list = value ? internet_address_list_parse (NULL, value) : NULL;
  if (list == NULL || internet_address_list_length (list) == 0)
    {
      g_string_append (out, "NIL");
      g_clear_object (&list);
      return;
    }
  g_string_append_c (out, '(');
  for (int i = 0; i < internet_address_list_length (list); i++)
    {
      InternetAddress *ia = internet_address_list_get_address (list, i);
      const char *name = internet_address_get_name (ia);
      g_autofree char *encoded = NULL;
      if (name && *name && !g_str_is_ascii (name))
        name = encoded = g_mime_utils_header_encode_phrase (NULL, name, NULL);
      if (INTERNET_ADDRESS_IS_GROUP (ia))
        {
          g_string_append (out, "(NIL NIL ");
          ms_imap_append_nstring (out, name ? name : "");
          g_string_append (out, " NIL)");
          InternetAddressList *members
            = internet_address_group_get_members (INTERNET_ADDRESS_GROUP (ia));
          for (int j = 0; members && j < internet_address_list_length (members); j++)
            {
              InternetAddress *m = internet_address_list_get_address (members, j);
              if (!INTERNET_ADDRESS_IS_MAILBOX (m))
                continue;
              const char *addr = internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (m));
              const char *at = addr ? strrchr (addr, '@') : NULL;
              g_autofree char *local = at ? g_strndup (addr, (gsize) (at - addr)) : g_strdup (addr ? addr : "");
              const char *mname = internet_address_get_name (m);
              g_autofree char *menc = mname && *mname && !g_str_is_ascii (mname)
                                        ? g_mime_utils_header_encode_phrase (NULL, mname, NULL)
                                        : NULL;
              g_string_append_c (out, '(');
              ms_imap_append_nstring (out, menc ? menc : (mname && *mname ? mname : NULL));
              g_string_append (out, " NIL ");
              ms_imap_append_string (out, local, -1);
              g_string_append_c (out, ' ');
              ms_imap_append_nstring (out, at ? at + 1 : "");
              g_string_append_c (out, ')');
            }
          g_string_append (out, "(NIL NIL NIL NIL)");
          continue;
        }
      const char *addr = internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (ia));
      const char *at = addr ? strrchr (addr, '@') : NULL;
      g_autofree char *local = at ? g_strndup (addr, (gsize) (at - addr)) : g_strdup (addr ? addr : "");
      g_autofree char *raw = raw_phrase (value, addr);
      if (raw)
        name = raw;
      g_string_append_c (out, '(');
      ms_imap_append_nstring (out, name && *name ? name : NULL);
      g_string_append (out, " NIL ");
      ms_imap_append_string (out, local, -1);
      g_string_append_c (out, ' ');
      ms_imap_append_nstring (out, at ? at + 1 : "");
      g_string_append_c (out, ')');
    }
  g_string_append_c (out, ')');
  g_object_unref (list);
}

void
ms_imap_mime_envelope (GString *out, const char *data, MsMimePart *msg)
{
  ensure_gmime ();
  g_autofree char *date = header_value (data, msg->hdr, msg->body, "Date");
  g_autofree char *subject = header_value (data, msg->hdr, msg->body, "Subject");
  g_autofree char *from = header_value (data, msg->hdr, msg->body, "From");
  g_autofree char *sender = header_value (data, msg->hdr, msg->body, "Sender");
  g_autofree char *reply_to = header_value (data, msg->hdr, msg->body, "Reply-To");
  g_autofree char *to = header_value (data, msg->hdr, msg->body, "To");
  g_autofree char *cc = header_value (data, msg->hdr, msg->body, "Cc");
  g_autofree char *bcc = header_value (data, msg->hdr, msg->body, "Bcc");
  g_autofree char *in_reply_to = header_value (data, msg->hdr, msg->body, "In-Reply-To");
  g_autofree char *message_id = header_value (data, msg->hdr, msg->body, "Message-ID");
  g_string_append_c (out, '(');
  ms_imap_append_nstring (out, date);
  g_string_append_c (out, ' ');
  ms_imap_append_nstring (out, subject);
  g_string_append_c (out, ' ');
  append_address_list (out, from);
  g_string_append_c (out, ' ');
  /* Sender and Reply-To default to From (RFC 3501 §7.4.2). */
  append_address_list (out, sender && *sender ? sender : from);
  g_string_append_c (out, ' ');
  append_address_list (out, reply_to && *reply_to ? reply_to : from);
  g_string_append_c (out, ' ');
  append_address_list (out, to);
  g_string_append_c (out, ' ');
  append_address_list (out, cc);
  g_string_append_c (out, ' ');
  append_address_list (out, bcc);
  g_string_append_c (out, ' ');
  ms_imap_append_nstring (out, in_reply_to);
  g_string_append_c (out, ' ');
  ms_imap_append_nstring (out, message_id);
  g_string_append_c (out, ')');
}

/* --- BODYSTRUCTURE --------------------------------------------------- */

static void
append_params (GString *out, GMimeParamList *params, gboolean default_charset)
{
  int n = params ? g_mime_param_list_length (params) : 0;
  if (n == 0)
    {
      g_string_append (out, default_charset ? "(\"charset\" \"us-ascii\")" : "NIL");
      return;
    }
  g_string_append_c (out, '(');
  for (int i = 0; i < n; i++)
    {
      GMimeParam *p = g_mime_param_list_get_parameter_at (params, i);
      if (i)
        g_string_append_c (out, ' ');
      ms_imap_append_string (out, g_mime_param_get_name (p), -1);
      g_string_append_c (out, ' ');
      ms_imap_append_string (out, g_mime_param_get_value (p) ? g_mime_param_get_value (p) : "", -1);
    }
  g_string_append_c (out, ')');
}

static void
append_extension (GString *out, const char *data, MsMimePart *part)
{
  g_autofree char *dsp = header_value (data, part->hdr, part->body, "Content-Disposition");
  g_autofree char *lang = header_value (data, part->hdr, part->body, "Content-Language");
  g_autofree char *loc = header_value (data, part->hdr, part->body, "Content-Location");
  g_string_append_c (out, ' ');
  GMimeContentDisposition *cd = dsp ? g_mime_content_disposition_parse (NULL, dsp) : NULL;
  if (cd && g_mime_content_disposition_get_disposition (cd))
    {
      g_string_append_c (out, '(');
      ms_imap_append_string (out, g_mime_content_disposition_get_disposition (cd), -1);
      g_string_append_c (out, ' ');
      append_params (out, g_mime_content_disposition_get_parameters (cd), FALSE);
      g_string_append_c (out, ')');
    }
  else
    g_string_append (out, "NIL");
  g_clear_object (&cd);
  g_string_append_c (out, ' ');
  g_auto (GStrv) tags = lang ? g_strsplit_set (lang, ", \t", -1) : NULL;
  guint n_tags = 0;
  for (guint i = 0; tags && tags[i]; i++)
    if (*tags[i])
      {
        g_string_append (out, n_tags++ ? " " : "(");
        ms_imap_append_string (out, tags[i], -1);
      }
  g_string_append (out, n_tags ? ")" : "NIL");
  g_string_append_c (out, ' ');
  ms_imap_append_nstring (out, loc);
}

static guint64
count_lines (const char *data, gsize start, gsize end)
{
  guint64 n = 0;
  /* Line ends, as Dovecot counts: an unterminated last line adds none. */
  for (gsize i = start; i < end; i++)
    if (data[i] == '\n')
      n++;
  return n;
}

static void
append_body (GString *out, const char *data, MsMimePart *part, gboolean ext, guint depth)
{
  if (strcmp (part->type, "multipart") == 0 && part->children->len > 0)
    {
      g_string_append_c (out, '(');
      for (guint i = 0; i < part->children->len; i++)
        append_body (out, data, part->children->pdata[i], ext, depth + 1);
      g_string_append_c (out, ' ');
      ms_imap_append_string (out, part->subtype, -1);
      if (ext)
        {
          g_string_append_c (out, ' ');
          append_params (out, part->ct ? g_mime_content_type_get_parameters (part->ct) : NULL,
                         FALSE);
          append_extension (out, data, part);
        }
      g_string_append_c (out, ')');
      return;
    }
  g_autofree char *id = header_value (data, part->hdr, part->body, "Content-ID");
  g_autofree char *desc = header_value (data, part->hdr, part->body, "Content-Description");
  g_autofree char *enc = header_value (data, part->hdr, part->body, "Content-Transfer-Encoding");
  g_autofree char *md5 = header_value (data, part->hdr, part->body, "Content-MD5");
  /* As written, like Dovecot; RFC 3501 compares these case-insensitively. */
  const char *encoding = enc && *enc ? enc : "7bit";
  g_string_append_c (out, '(');
  ms_imap_append_string (out, part->type, -1);
  g_string_append_c (out, ' ');
  ms_imap_append_string (out, part->subtype, -1);
  g_string_append_c (out, ' ');
  gboolean is_text = strcmp (part->type, "text") == 0;
  append_params (out, part->ct ? g_mime_content_type_get_parameters (part->ct) : NULL,
                 is_text);
  g_string_append_c (out, ' ');
  ms_imap_append_nstring (out, id);
  g_string_append_c (out, ' ');
  ms_imap_append_nstring (out, desc);
  g_string_append_c (out, ' ');
  ms_imap_append_string (out, encoding, -1);
  g_string_append_printf (out, " %" G_GSIZE_FORMAT, part->end - part->body);
  if (part->is_message && part->children->len == 1)
    {
      MsMimePart *inner = part->children->pdata[0];
      g_string_append_c (out, ' ');
      ms_imap_mime_envelope (out, data, inner);
      g_string_append_c (out, ' ');
      append_body (out, data, inner, ext, depth + 1);
      g_string_append_printf (out, " %" G_GUINT64_FORMAT, count_lines (data, part->body, part->end));
    }
  else if (is_text)
    g_string_append_printf (out, " %" G_GUINT64_FORMAT, count_lines (data, part->body, part->end));
  if (ext)
    {
      g_string_append_c (out, ' ');
      ms_imap_append_nstring (out, md5);
      append_extension (out, data, part);
    }
  g_string_append_c (out, ')');
}

void
ms_imap_mime_bodystructure (GString *out, const char *data, MsMimePart *root, gboolean extended)
{
  ensure_gmime ();
  append_body (out, data, root, extended, 0);
}

/* --- sections -------------------------------------------------------- */

/* HEADER.FIELDS[.NOT] (names): the matching (or other) fields and the
 * blank line. FALSE when the list is malformed. */
static gboolean
header_fields (const char *data, MsMimePart *msg, const char *spec, gboolean not, char **owned)
{
  while (*spec == ' ')
    spec++;
  gsize n = strlen (spec);
  if (n < 2 || spec[0] != '(' || spec[n - 1] != ')')
    return FALSE;
  g_autofree char *inner = g_strndup (spec + 1, n - 2);
  g_auto (GStrv) names = g_strsplit (inner, " ", -1);
  guint count = 0;
  for (guint i = 0; names[i]; i++)
    {
      char *nm = names[i];
      gsize l = strlen (nm);
      if (l >= 2 && nm[0] == '"' && nm[l - 1] == '"')
        {
          memmove (nm, nm + 1, l - 2);
          nm[l - 2] = '\0';
        }
      if (*nm)
        count++;
    }
  if (count == 0)
    return FALSE;
  GString *out = g_string_new (NULL);
  gsize p = msg->hdr;
  gsize end = msg->body;
  /* The blank line ending the header is not a field. */
  if (end - msg->hdr == 2 && data[end - 2] == '\r')
    end = msg->hdr;
  else if (end - msg->hdr >= 4 && memcmp (data + end - 4, "\r\n\r\n", 4) == 0)
    end -= 2;
  while (p < end)
    {
      gsize fstart = p;
      const char *nl = memchr (data + p, '\n', end - p);
      gsize q = nl ? (gsize) (nl - data) + 1 : end;
      while (q < end && (data[q] == ' ' || data[q] == '\t'))
        {
          nl = memchr (data + q, '\n', end - q);
          q = nl ? (gsize) (nl - data) + 1 : end;
        }
      const char *colon = memchr (data + fstart, ':', q - fstart);
      gboolean match = FALSE;
      if (colon)
        {
          gsize nlen = (gsize) (colon - (data + fstart));
          for (guint i = 0; names[i] && !match; i++)
            match = *names[i] && strlen (names[i]) == nlen
                    && g_ascii_strncasecmp (names[i], data + fstart, nlen) == 0;
        }
      if (colon && match != not)
        {
          g_string_append_len (out, data + fstart, (gssize) (q - fstart));
          if (q == end && (q - fstart < 2 || data[q - 1] != '\n'))
            g_string_append (out, "\r\n");
        }
      p = q;
    }
  g_string_append (out, "\r\n");
  *owned = g_string_free (out, FALSE);
  return TRUE;
}

gboolean
ms_imap_mime_section (const char *data, MsMimePart *root, const char *section, gsize *start,
                      gsize *len, char **owned)
{
  *owned = NULL;
  MsMimePart *part = root;     /* where the numbers led */
  MsMimePart *msg = root;      /* the message HEADER/TEXT refer to, or NULL */
  gboolean numbered = FALSE;
  const char *p = section;
  while (g_ascii_isdigit (*p))
    {
      char *end = NULL;
      guint64 n = g_ascii_strtoull (p, &end, 10);
      if (n == 0 || end == p)
        return FALSE;
      p = end;
      /* Step into an encapsulated message before counting its parts. */
      MsMimePart *container = part;
      if (numbered && container->is_message && container->children->len == 1)
        container = container->children->pdata[0];
      if (strcmp (container->type, "multipart") == 0 && container->children->len > 0)
        {
          if (n > container->children->len)
            goto missing;
          part = container->children->pdata[n - 1];
        }
      else if (n == 1 && (!numbered || container != part || container == root))
        part = container;   /* a single-part message: its body is part 1 */
      else
        goto missing;
      numbered = TRUE;
      msg = part->is_message && part->children->len == 1 ? part->children->pdata[0] : NULL;
      if (*p == '.')
        p++;
      else if (*p != '\0')
        return FALSE;
    }
  if (*p == '\0')
    {
      if (!numbered)
        {
          *start = root->hdr;
          *len = root->end - root->hdr;
        }
      else
        {
          *start = part->body;
          *len = part->end - part->body;
        }
      return TRUE;
    }
  if (strcmp (p, "MIME") == 0)
    {
      if (!numbered)
        return FALSE;
      *start = part->hdr;
      *len = part->body - part->hdr;
      return TRUE;
    }
  if (msg == NULL)
    goto missing;
  if (strcmp (p, "HEADER") == 0)
    {
      *start = msg->hdr;
      *len = msg->body - msg->hdr;
      return TRUE;
    }
  if (strcmp (p, "TEXT") == 0)
    {
      *start = msg->body;
      *len = msg->end - msg->body;
      return TRUE;
    }
  if (g_str_has_prefix (p, "HEADER.FIELDS.NOT"))
    return header_fields (data, msg, p + strlen ("HEADER.FIELDS.NOT"), TRUE, owned);
  if (g_str_has_prefix (p, "HEADER.FIELDS"))
    return header_fields (data, msg, p + strlen ("HEADER.FIELDS"), FALSE, owned);
  return FALSE;
missing:
  /* A part the message does not have reads as empty, as in Dovecot. */
  *start = 0;
  *len = 0;
  return TRUE;
}
