/* ms-imap-client.c - the lab's IMAP client (RFC 9051, RFC 3501, IDLE RFC 2177,
 * SASL PLAIN RFC 4616, SASL-IR RFC 4959): greeting, CAPABILITY, STARTTLS,
 * LOGIN, LIST, SELECT, an overview FETCH, the newest message's text part,
 * attachments on request, IDLE, LOGOUT. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "ms-lab-client-private.h"

/* Standard and lab ports (DESIGN.md, "Lab defaults"). */
#define IMAP_PORT 143
#define IMAP_LAB_PORT 1143
#define IMAPS_PORT 993
#define IMAPS_LAB_PORT 1993
/* Of each literal we keep this much to parse and show; the rest is only
 * counted. A text part is read whole up to here; attachments are counted. */
#define MAX_LITERAL_KEEP (1024u * 1024)
/* Literal sizes beyond this are not a mail message (RFC 9051 number64). */
#define MAX_LITERAL_DIGITS 18
/* Nesting of parenthesised lists: BODYSTRUCTURE of a deep multipart is a
 * dozen levels; more is hostile. */
#define MAX_DEPTH 64
/* Parsed items in one response: an overview of a classroom mailbox. */
#define MAX_NODES 200000
/* NOOP polling interval when the server has no IDLE. */
#define POLL_SECONDS 5

/* --- responses and their parse tree ---------------------------------- */

typedef enum { NODE_ATOM, NODE_STRING, NODE_NIL, NODE_LIST } NodeType;

typedef struct {
  NodeType type;
  char *str;            /* ATOM, STRING (NUL-terminated copy of what was kept) */
  gsize len;
  guint64 full_len;     /* STRING: size on the wire (a literal may be cut) */
  GPtrArray *kids;      /* LIST */
} Node;

typedef struct {
  GString *buf;         /* the response, literals cut to what was kept */
  GArray *literal_sizes;   /* guint64, in order: the real sizes */
} Resp;

typedef struct {
  const char *p, *end;
  const Resp *resp;
  guint lit;
  guint nodes;
  gboolean bad;
} Parser;

typedef struct {
  MsLabClient *c;
  guint tagn;
  char tag[16];
  char **caps;
  guint exists;
  gboolean selected;
  gboolean idling;
  GArray *sizes;        /* RFC822.SIZE by sequence number - 1 */
  Node *newest_bs;
  guint newest_seq;
  guint64 body_bytes;   /* BODY[…] bytes in the current FETCH */
} Imap;

static void
node_free (Node *n)
{
  if (n == NULL)
    return;
  g_free (n->str);
  if (n->kids)
    g_ptr_array_unref (n->kids);
  g_free (n);
}

static Node *
node_kid (const Node *n, guint i)
{
  return n && n->type == NODE_LIST && i < n->kids->len ? n->kids->pdata[i] : NULL;
}

static const char *
node_str (const Node *n)
{
  return n && (n->type == NODE_ATOM || n->type == NODE_STRING) ? n->str : NULL;
}

static gboolean
node_is (const Node *n, const char *s)
{
  const char *v = node_str (n);
  return v && g_ascii_strcasecmp (v, s) == 0;
}

static guint64
node_num (const Node *n)
{
  const char *v = node_str (n);
  return v ? g_ascii_strtoull (v, NULL, 10) : 0;
}

static void
skip_sp (Parser *ps)
{
  while (ps->p < ps->end && *ps->p == ' ')
    ps->p++;
}

/* One value at ps->p, or NULL (ps->bad set) when malformed. */
static Node *
parse_value (Parser *ps, guint depth)
{
  skip_sp (ps);
  if (ps->p >= ps->end || depth > MAX_DEPTH || ++ps->nodes > MAX_NODES)
    {
      ps->bad = TRUE;
      return NULL;
    }
  Node *n = g_new0 (Node, 1);
  char ch = *ps->p;
  if (ch == '(')
    {
      n->type = NODE_LIST;
      n->kids = g_ptr_array_new_with_free_func ((GDestroyNotify) node_free);
      ps->p++;
      for (;;)
        {
          skip_sp (ps);
          if (ps->p >= ps->end)
            {
              ps->bad = TRUE;
              break;
            }
          if (*ps->p == ')')
            {
              ps->p++;
              break;
            }
          Node *k = parse_value (ps, depth + 1);
          if (k == NULL)
            break;
          g_ptr_array_add (n->kids, k);
        }
    }
  else if (ch == '"')
    {
      GString *s = g_string_new (NULL);
      ps->p++;
      while (ps->p < ps->end && *ps->p != '"')
        {
          if (*ps->p == '\\' && ps->end - ps->p > 1)
            ps->p++;
          g_string_append_c (s, *ps->p++);
        }
      if (ps->p >= ps->end)
        ps->bad = TRUE;
      else
        ps->p++;
      n->type = NODE_STRING;
      n->len = s->len;
      n->full_len = s->len;
      n->str = g_string_free (s, FALSE);
    }
  else if (ch == '{' || (ch == '~' && ps->end - ps->p > 1 && ps->p[1] == '{'))
    {
      const char *q = ps->p + (ch == '~' ? 2 : 1);
      guint64 kept = 0;
      while (q < ps->end && g_ascii_isdigit (*q))
        kept = kept * 10 + (guint64) (*q++ - '0');
      if (q < ps->end && *q == '+')
        q++;
      if (ps->end - q < 3 || q[0] != '}' || q[1] != '\r' || q[2] != '\n'
          || kept > (guint64) (ps->end - q - 3))
        ps->bad = TRUE;
      else
        {
          q += 3;
          n->type = NODE_STRING;
          n->str = g_strndup (q, (gsize) kept);
          n->len = (gsize) kept;
          n->full_len = ps->lit < ps->resp->literal_sizes->len
                          ? g_array_index (ps->resp->literal_sizes, guint64, ps->lit)
                          : kept;
          ps->lit++;
          ps->p = q + kept;
        }
    }
  else
    {
      const char *start = ps->p;
      guint brackets = 0;
      while (ps->p < ps->end)
        {
          char x = *ps->p;
          if (x == '[')
            brackets++;
          else if (x == ']' && brackets > 0)
            brackets--;
          else if (brackets == 0 && (x == ' ' || x == '(' || x == ')'))
            break;
          ps->p++;
        }
      if (ps->p == start)
        {
          ps->bad = TRUE;
          ps->p++;
        }
      n->str = g_strndup (start, (gsize) (ps->p - start));
      n->len = (gsize) (ps->p - start);
      n->type = g_ascii_strcasecmp (n->str, "NIL") == 0 ? NODE_NIL : NODE_ATOM;
    }
  if (ps->bad)
    {
      node_free (n);
      return NULL;
    }
  return n;
}

static void
resp_clear (Resp *r)
{
  if (r->buf)
    g_string_free (r->buf, TRUE);
  if (r->literal_sizes)
    g_array_unref (r->literal_sizes);
  r->buf = NULL;
  r->literal_sizes = NULL;
}

/* Shows a literal: small and textual ones line by line, others summarised. */
static void
show_literal (MsLabClient *c, const GByteArray *kept, guint64 size)
{
  gboolean text = size <= MS_LAB_CLIENT_SHOW_LITERAL && kept->len == size;
  for (guint i = 0; text && i < kept->len; i++)
    if (kept->data[i] == 0)
      text = FALSE;
  if (!text)
    {
      g_autofree char *n = ms_lab_client_format_count (size);
      ms_lab_client_say (c, 'S', _("[… %s bytes …]"), n);
      return;
    }
  const char *p = (const char *) kept->data, *end = p + kept->len;
  while (p < end)
    {
      const char *nl = memchr (p, '\n', (gsize) (end - p));
      const char *stop = nl ? nl : end;
      gsize l = (gsize) (stop - p);
      if (l > 0 && p[l - 1] == '\r')
        l--;
      g_autofree char *shown = ms_lab_client_printable (p, l);
      ms_lab_client_say (c, 'S', "%s", shown);
      p = nl ? nl + 1 : end;
    }
}

/* Reads one whole response (a line and its literals) into r. */
static gboolean
read_response (MsLabClient *c, gint64 deadline, Resp *r, GError **error)
{
  r->buf = g_string_new (NULL);
  r->literal_sizes = g_array_new (FALSE, FALSE, sizeof (guint64));
  for (;;)
    {
      g_autofree char *line = NULL;
      gsize len = 0;
      if (!ms_lab_client_read_line (c, deadline, &line, &len, error))
        return FALSE;
      g_autofree char *shown = ms_lab_client_printable (line, len);
      ms_lab_client_say (c, 'S', "%s", shown);
      /* A literal announces itself at the end of the line: {N} or ~{N}. */
      gsize e = len;
      if (e < 3 || line[e - 1] != '}')
        {
          g_string_append_len (r->buf, line, (gssize) len);
          return TRUE;
        }
      gsize d = e - 1;
      while (d > 0 && g_ascii_isdigit (line[d - 1]))
        d--;
      gsize digits = e - 1 - d;
      if (digits == 0 || digits > MAX_LITERAL_DIGITS || d == 0 || line[d - 1] != '{')
        {
          g_string_append_len (r->buf, line, (gssize) len);
          return TRUE;
        }
      guint64 size = g_ascii_strtoull (line + d, NULL, 10);
      g_autoptr (GByteArray) kept = g_byte_array_new ();
      if (!ms_lab_client_read_bytes (c, size, kept, MAX_LITERAL_KEEP, error))
        return FALSE;
      show_literal (c, kept, size);
      g_array_append_val (r->literal_sizes, size);
      g_string_append_len (r->buf, line, (gssize) (d - 1));
      g_string_append_printf (r->buf, "{%u}\r\n", kept->len);
      g_string_append_len (r->buf, (const char *) kept->data, kept->len);
    }
}

/* --- untagged responses -------------------------------------------- */

static void
set_caps (Imap *im, const char *list)
{
  g_strfreev (im->caps);
  im->caps = g_strsplit (list, " ", -1);
  for (char **p = im->caps; *p; p++)
    {
      char *up = g_ascii_strup (*p, -1);
      g_free (*p);
      *p = up;
    }
}

static gboolean
has_cap (Imap *im, const char *cap)
{
  return im->caps && g_strv_contains ((const char *const *) im->caps, cap);
}

/* Picks up [CAPABILITY …] from a status response's text. */
static void
response_code (Imap *im, const char *text)
{
  if (g_ascii_strncasecmp (text, "[CAPABILITY ", 12) != 0)
    return;
  const char *end = strchr (text, ']');
  if (end == NULL)
    return;
  g_autofree char *list = g_strndup (text + 12, (gsize) (end - text - 12));
  set_caps (im, list);
}

static void
handle_fetch (Imap *im, guint seq, Parser *ps)
{
  Node *list = parse_value (ps, 0);
  if (list == NULL || list->type != NODE_LIST)
    {
      node_free (list);
      ms_lab_client_say (im->c, '-', _("(this FETCH response could not be parsed)"));
      return;
    }
  for (guint i = 0; i + 1 < list->kids->len; i += 2)
    {
      Node *key = list->kids->pdata[i], *val = list->kids->pdata[i + 1];
      if (node_is (key, "RFC822.SIZE") && seq > 0)
        {
          if (im->sizes->len < seq)
            g_array_set_size (im->sizes, seq);
          g_array_index (im->sizes, guint64, seq - 1) = node_num (val);
        }
      else if (node_is (key, "BODYSTRUCTURE") && seq >= im->newest_seq)
        {
          node_free (im->newest_bs);
          im->newest_bs = val;
          im->newest_seq = seq;
          list->kids->pdata[i + 1] = NULL;
        }
      else if (node_str (key) && g_ascii_strncasecmp (node_str (key), "BODY[", 5) == 0
               && val && val->type == NODE_STRING)
        im->body_bytes += val->full_len;
    }
  node_free (list);   /* node_free takes the NULL left for a kept BODYSTRUCTURE */
}

/* Updates the client's view from one untagged response. */
static void
handle_untagged (Imap *im, const Resp *r)
{
  const char *s = r->buf->str + 2;
  Parser ps = { s, r->buf->str + r->buf->len, r, 0, 0, FALSE };
  if (g_ascii_strncasecmp (s, "CAPABILITY ", 11) == 0)
    {
      const char *eol = memchr (s, '\r', strlen (s));
      g_autofree char *list = g_strndup (s + 11, eol ? (gsize) (eol - s - 11) : strlen (s + 11));
      set_caps (im, list);
      return;
    }
  if (g_ascii_strncasecmp (s, "OK ", 3) == 0 || g_ascii_strncasecmp (s, "PREAUTH ", 8) == 0)
    {
      response_code (im, strchr (s, ' ') + 1);
      return;
    }
  if (!g_ascii_isdigit (*s))
    return;
  char *after;
  guint64 num = g_ascii_strtoull (s, &after, 10);
  if (*after != ' ' || num > G_MAXUINT32)
    return;
  after++;
  if (g_ascii_strncasecmp (after, "EXISTS", 6) == 0)
    im->exists = (guint) num;
  else if (g_ascii_strncasecmp (after, "EXPUNGE", 7) == 0 && im->exists > 0)
    im->exists--;
  else if (g_ascii_strncasecmp (after, "FETCH ", 6) == 0)
    {
      ps.p = after + 6;
      handle_fetch (im, (guint) num, &ps);
    }
}

typedef enum { ST_OK, ST_NO, ST_BAD, ST_CONT } Status;

/* Reads responses until the tagged one (or a continuation when allowed). */
static gboolean
wait_tagged (Imap *im, gboolean cont_ok, Status *status, char **text, GError **error)
{
  gint64 deadline = ms_lab_client_deadline (im->c);
  for (;;)
    {
      Resp r = { 0 };
      if (!read_response (im->c, deadline, &r, error))
        {
          resp_clear (&r);
          return FALSE;
        }
      const char *s = r.buf->str;
      if (s[0] == '+' && cont_ok)
        {
          *status = ST_CONT;
          if (text)
            *text = g_strdup (s[1] == ' ' ? s + 2 : s + 1);
          resp_clear (&r);
          return TRUE;
        }
      if (s[0] == '*' && s[1] == ' ')
        {
          handle_untagged (im, &r);
          if (im->idling)
            im->c->report.updates_pushed++;
          resp_clear (&r);
          continue;
        }
      gsize tl = strlen (im->tag);
      if (strncmp (s, im->tag, tl) == 0 && s[tl] == ' ')
        {
          const char *st = s + tl + 1;
          *status = g_ascii_strncasecmp (st, "OK", 2) == 0   ? ST_OK
                    : g_ascii_strncasecmp (st, "NO", 2) == 0 ? ST_NO
                                                             : ST_BAD;
          const char *rest = strchr (st, ' ');
          if (rest)
            response_code (im, rest + 1);
          if (text)
            *text = g_strdup (rest ? rest + 1 : "");
          resp_clear (&r);
          return TRUE;
        }
      resp_clear (&r);   /* an unknown line: ignore it */
    }
}

/* Sends one command with a fresh tag and waits for its completion.
 * FALSE with error unless the server answers OK (or a continuation, when
 * cont_ok). */
static gboolean
command (Imap *im, const char *cmd, const char *shown, gboolean cont_ok, Status *st_out,
         GError **error)
{
  g_snprintf (im->tag, sizeof im->tag, "a%03u", ++im->tagn);
  g_autofree char *line = g_strdup_printf ("%s %s", im->tag, cmd);
  g_autofree char *show = shown ? g_strdup_printf ("%s %s", im->tag, shown) : NULL;
  if (!ms_lab_client_send_line (im->c, line, show, error))
    return FALSE;
  Status st;
  g_autofree char *text = NULL;
  if (!wait_tagged (im, cont_ok, &st, &text, error))
    return FALSE;
  if (st_out)
    *st_out = st;
  if (st == ST_OK || st == ST_CONT)
    return TRUE;
  g_autofree char *word = g_strndup (cmd, strcspn (cmd, " "));
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("the server refused %s: %s"), word,
               text);
  return FALSE;
}

/* An IMAP quoted string; NULL when the value cannot be one (CR, LF). */
static char *
quote (const char *s)
{
  if (strpbrk (s, "\r\n"))
    return NULL;
  GString *q = g_string_new ("\"");
  for (; *s; s++)
    {
      if (*s == '"' || *s == '\\')
        g_string_append_c (q, '\\');
      g_string_append_c (q, *s);
    }
  g_string_append_c (q, '"');
  return g_string_free (q, FALSE);
}

/* --- body structure ------------------------------------------------ */

typedef struct {
  char *text_part;
  guint64 text_size;
  gboolean text_plain;
  GPtrArray *att_parts, *att_names;
  GArray *att_sizes;
} Parts;

static const char *
param (const Node *params, const char *name)
{
  for (guint i = 0; params && params->type == NODE_LIST && i + 1 < params->kids->len; i += 2)
    if (node_is (params->kids->pdata[i], name))
      return node_str (params->kids->pdata[i + 1]);
  return NULL;
}

static void
walk (const Node *b, const char *prefix, guint depth, Parts *p)
{
  if (b == NULL || b->type != NODE_LIST || b->kids->len < 2 || depth > MAX_DEPTH)
    return;
  if (node_kid (b, 0)->type == NODE_LIST)
    {
      for (guint i = 0; i < b->kids->len && node_kid (b, i)->type == NODE_LIST; i++)
        {
          g_autofree char *num = prefix ? g_strdup_printf ("%s.%u", prefix, i + 1)
                                        : g_strdup_printf ("%u", i + 1);
          walk (node_kid (b, i), num, depth + 1, p);
        }
      return;
    }
  const Node *type = node_kid (b, 0), *sub = node_kid (b, 1);
  gboolean is_text = node_is (type, "TEXT");
  gboolean is_msg = node_is (type, "MESSAGE") && node_is (sub, "RFC822");
  const Node *dsp = node_kid (b, is_text ? 9 : is_msg ? 11 : 8);
  gboolean attachment = dsp && dsp->type == NODE_LIST && node_is (node_kid (dsp, 0), "attachment");
  const char *part = prefix ? prefix : "1";
  guint64 size = node_num (node_kid (b, 6));
  if (is_text && !attachment)
    {
      gboolean plain = node_is (sub, "PLAIN");
      if (p->text_part == NULL || (plain && !p->text_plain))
        {
          g_free (p->text_part);
          p->text_part = g_strdup (part);
          p->text_size = size;
          p->text_plain = plain;
        }
      return;
    }
  const char *name = param (node_kid (dsp, 1), "FILENAME");
  if (name == NULL)
    name = param (node_kid (b, 2), "NAME");
  g_ptr_array_add (p->att_parts, g_strdup (part));
  g_ptr_array_add (p->att_names, g_strdup (name ? name : ""));
  g_array_append_val (p->att_sizes, size);
}

static void
parts_clear (Parts *p)
{
  g_free (p->text_part);
  g_ptr_array_unref (p->att_parts);
  g_ptr_array_unref (p->att_names);
  g_array_unref (p->att_sizes);
}

/* --- the flow ------------------------------------------------------ */

static gboolean
do_login (Imap *im, GError **error)
{
  MsLabClient *c = im->c;
  const MsLabClientOptions *o = &c->opts;
  const char *mask = "********";
  gboolean sasl = o->sasl_plain || has_cap (im, "LOGINDISABLED");
  if (sasl && !has_cap (im, "AUTH=PLAIN"))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   has_cap (im, "LOGINDISABLED")
                     ? _("the server disables LOGIN here and offers no AUTH=PLAIN (try TLS)")
                     : _("the server offers no AUTHENTICATE PLAIN"));
      return FALSE;
    }
  if (!sasl)
    {
      g_autofree char *u = quote (o->user), *pw = quote (o->password);
      if (u == NULL || pw == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("user name and password must not contain line breaks"));
          return FALSE;
        }
      if (!ms_lab_client_step (c, MS_STEP_LOGIN, error, _("Log in with LOGIN %s"), o->user))
        return FALSE;
      g_autofree char *cmd = g_strdup_printf ("LOGIN %s %s", u, pw);
      g_autofree char *shown = g_strdup_printf ("LOGIN %s %s", u, mask);
      return command (im, cmd, o->mask_secrets ? shown : NULL, FALSE, NULL, error);
    }
  /* RFC 4616: authzid NUL authcid NUL password, base64. */
  gsize ul = strlen (o->user), pl = strlen (o->password);
  g_autofree guchar *raw = g_malloc (ul + pl + 2);
  raw[0] = 0;
  memcpy (raw + 1, o->user, ul);
  raw[ul + 1] = 0;
  memcpy (raw + ul + 2, o->password, pl);
  g_autofree char *b64 = g_base64_encode (raw, ul + pl + 2);
  if (!ms_lab_client_step (c, MS_STEP_LOGIN, error,
                           _("Log in with AUTHENTICATE PLAIN (user %s, password in base64)"),
                           o->user))
    return FALSE;
  if (has_cap (im, "SASL-IR"))
    {
      g_autofree char *cmd = g_strdup_printf ("AUTHENTICATE PLAIN %s", b64);
      g_autofree char *shown = g_strdup_printf ("AUTHENTICATE PLAIN %s", mask);
      return command (im, cmd, o->mask_secrets ? shown : NULL, FALSE, NULL, error);
    }
  Status st;
  if (!command (im, "AUTHENTICATE PLAIN", NULL, TRUE, &st, error))
    return FALSE;
  if (st != ST_CONT)
    return TRUE;
  if (!ms_lab_client_send_line (c, b64, o->mask_secrets ? mask : NULL, error))
    return FALSE;
  g_autofree char *text = NULL;
  if (!wait_tagged (im, FALSE, &st, &text, error))
    return FALSE;
  if (st != ST_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   _("the server refused AUTHENTICATE: %s"), text);
      return FALSE;
    }
  return TRUE;
}

/* IDLE (RFC 2177) for the configured time, or NOOP polling without it. */
static gboolean
do_refresh (Imap *im, GError **error)
{
  MsLabClient *c = im->c;
  guint secs = c->opts.idle_seconds;
  gboolean idle = has_cap (im, "IDLE");
  if (!ms_lab_client_step (c, MS_STEP_REFRESH, error,
                           idle ? _("Wait %u s for news with IDLE: the server pushes changes")
                                : _("Poll with NOOP for %u s: this server has no IDLE"),
                           secs))
    return FALSE;
  gint64 end = g_get_monotonic_time () + (gint64) secs * G_USEC_PER_SEC;
  if (!idle)
    {
      while (g_get_monotonic_time () < end)
        {
          gint64 next = MIN (end, g_get_monotonic_time () + POLL_SECONDS * G_USEC_PER_SEC);
          if (!ms_lab_client_sleep_until (c, next))
            return !g_cancellable_set_error_if_cancelled (c->cancellable, error);
          im->idling = TRUE;
          gboolean ok = command (im, "NOOP", NULL, FALSE, NULL, error);
          im->idling = FALSE;
          if (!ok)
            return FALSE;
        }
      return TRUE;
    }
  Status st;
  if (!command (im, "IDLE", NULL, TRUE, &st, error))
    return FALSE;
  if (st != ST_CONT)
    return TRUE;
  im->idling = TRUE;
  for (;;)
    {
      Resp r = { 0 };
      GError *err = NULL;
      if (!read_response (c, end, &r, &err))
        {
          resp_clear (&r);
          if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
            {
              g_error_free (err);
              break;
            }
          im->idling = FALSE;
          g_propagate_error (error, err);
          return FALSE;
        }
      if (r.buf->str[0] == '*')
        {
          handle_untagged (im, &r);
          c->report.updates_pushed++;
        }
      resp_clear (&r);
    }
  im->idling = FALSE;
  if (!ms_lab_client_send_line (c, "DONE", NULL, error))
    return FALSE;
  g_autofree char *text = NULL;
  return wait_tagged (im, FALSE, &st, &text, error);
}

static gboolean
fetch_part (Imap *im, guint seq, const char *part, guint64 *bytes, GError **error)
{
  g_autofree char *cmd = g_strdup_printf ("FETCH %u (BODY.PEEK[%s])", seq, part);
  im->body_bytes = 0;
  if (!command (im, cmd, NULL, FALSE, NULL, error))
    return FALSE;
  *bytes = im->body_bytes;
  im->c->report.content_bytes += im->body_bytes;
  im->c->report.messages_fetched++;
  return TRUE;
}

static gboolean
run (Imap *im, GError **error)
{
  MsLabClient *c = im->c;
  MsLabClientReport *rep = &c->report;
  if (!ms_lab_client_open (c, IMAP_PORT, IMAP_LAB_PORT, IMAPS_PORT, IMAPS_LAB_PORT, error))
    return FALSE;

  if (!ms_lab_client_step (c, MS_STEP_GREETING, error, _("Read the server's greeting")))
    return FALSE;
  Resp g = { 0 };
  if (!read_response (c, ms_lab_client_deadline (c), &g, error))
    {
      resp_clear (&g);
      return FALSE;
    }
  gboolean greeting_ok = g_str_has_prefix (g.buf->str, "* OK")
                         || g_str_has_prefix (g.buf->str, "* PREAUTH");
  if (greeting_ok)
    handle_untagged (im, &g);
  resp_clear (&g);
  if (!greeting_ok)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("the server does not accept us"));
      return FALSE;
    }

  if (!ms_lab_client_step (c, MS_STEP_NEGOTIATE, error,
                           _("Ask what the server can do (CAPABILITY)"))
      || !command (im, "CAPABILITY", NULL, FALSE, NULL, error))
    return FALSE;

  if (c->opts.tls == MS_LAB_CLIENT_TLS_STARTTLS)
    {
      if (!has_cap (im, "STARTTLS"))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       _("the server does not offer STARTTLS"));
          return FALSE;
        }
      if (!ms_lab_client_step (c, MS_STEP_NEGOTIATE, error,
                               _("Ask to switch this connection to TLS (STARTTLS)"))
          || !command (im, "STARTTLS", NULL, FALSE, NULL, error))
        return FALSE;
      /* Anything after the OK but before the handshake would be injected
       * plaintext (RFC 9051 §11.1). */
      if (ms_lab_client_buffered (c) > 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("the server sent data before the TLS handshake"));
          return FALSE;
        }
      if (!ms_lab_client_step (c, MS_STEP_TLS, error,
                               _("TLS handshake: from now on everything is encrypted"))
          || !ms_lab_client_handshake (c, error))
        return FALSE;
      g_strfreev (im->caps);
      im->caps = NULL;
      if (!ms_lab_client_step (c, MS_STEP_NEGOTIATE, error,
                               _("Ask for the capabilities again: they may differ under TLS"))
          || !command (im, "CAPABILITY", NULL, FALSE, NULL, error))
        return FALSE;
    }

  if (!do_login (im, error))
    return FALSE;

  if (!ms_lab_client_step (c, MS_STEP_LIST, error, _("List the folders (LIST)"))
      || !command (im, "LIST \"\" \"*\"", NULL, FALSE, NULL, error))
    return FALSE;
  if (!ms_lab_client_step (c, MS_STEP_LIST, error, _("Open the inbox (SELECT INBOX)"))
      || !command (im, "SELECT INBOX", NULL, FALSE, NULL, error))
    return FALSE;
  im->selected = TRUE;
  rep->messages_on_server = im->exists;

  if (im->exists > 0)
    {
      if (!ms_lab_client_step (c, MS_STEP_LIST, error,
                               _("Get an overview of the %u messages: flags, envelope, size and "
                                 "structure, but no content"),
                               im->exists)
          || !command (im, "FETCH 1:* (FLAGS ENVELOPE RFC822.SIZE BODYSTRUCTURE)", NULL, FALSE,
                       NULL, error))
        return FALSE;
      g_array_set_size (rep->message_sizes, 0);
      g_array_append_vals (rep->message_sizes, im->sizes->data, im->sizes->len);
      guint seq = im->newest_seq;
      if (seq > 0 && seq <= im->sizes->len)
        rep->newest_size = g_array_index (im->sizes, guint64, seq - 1);

      Parts p = { NULL, 0, FALSE, g_ptr_array_new_with_free_func (g_free),
                  g_ptr_array_new_with_free_func (g_free), g_array_new (FALSE, FALSE, sizeof (guint64)) };
      walk (im->newest_bs, NULL, 0, &p);
      gboolean ok = TRUE;
      if (p.text_part)
        {
          g_autofree char *total = ms_lab_client_format_count (rep->newest_size);
          g_autofree char *part = ms_lab_client_format_count (p.text_size);
          ok = ms_lab_client_step (c, MS_STEP_FETCH, error,
                                   _("Open the newest message (#%u, %s bytes) by fetching only "
                                     "its text part %s (%s bytes)"),
                                   seq, total, p.text_part, part)
               && fetch_part (im, seq, p.text_part, &rep->newest_text_bytes, error);
        }
      else if (seq > 0)
        ms_lab_client_say (c, '-', _("The newest message has no text part to show"));
      for (guint i = 0; ok && i < p.att_parts->len; i++)
        {
          const char *part = p.att_parts->pdata[i], *name = p.att_names->pdata[i];
          g_autofree char *size = ms_lab_client_format_count (g_array_index (p.att_sizes, guint64, i));
          if (!c->opts.download_attachments)
            {
              ms_lab_client_say (c, '-',
                                 _("Attachment %s “%s” (%s bytes as sent) stays on the server "
                                   "(--download-attachments fetches it)"),
                                 part, name, size);
              continue;
            }
          guint64 got = 0;
          ok = ms_lab_client_step (c, MS_STEP_FETCH, error,
                                   _("Download the attachment %s “%s” (%s bytes as sent)"), part,
                                   name, size)
               && fetch_part (im, seq, part, &got, error);
          if (ok)
            {
              rep->attachment_downloaded = TRUE;
              rep->attachment_bytes += got;
            }
        }
      parts_clear (&p);
      if (!ok)
        return FALSE;
    }

  if (c->opts.idle_seconds > 0 && !do_refresh (im, error))
    return FALSE;

  if (!ms_lab_client_step (c, MS_STEP_LOGOUT, error, _("Log out (LOGOUT)"))
      || !command (im, "LOGOUT", NULL, FALSE, NULL, error))
    return FALSE;
  rep->messages_left = im->exists;
  return TRUE;
}

gboolean
ms_imap_client_run (MsLabClient *c, GError **error)
{
  Imap im = { 0 };
  im.c = c;
  im.sizes = g_array_new (FALSE, TRUE, sizeof (guint64));
  gboolean ok = run (&im, error);
  if (!ok && im.selected)
    c->report.messages_left = im.exists;
  g_strfreev (im.caps);
  g_array_unref (im.sizes);
  node_free (im.newest_bs);
  return ok;
}
