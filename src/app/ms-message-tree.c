/* ms-message-tree.c - combines what a session showed about each message:
 * the structure the server described (IMAP BODYSTRUCTURE, sizes of every
 * part on the server) with the bytes that crossed the wire (FETCH
 * sections, POP3 RETR/TOP), part by part. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ms-message-tree.h"

/* One message, gathered from the records that mention it. */
typedef struct {
  gboolean imap;
  const char *mailbox;            /* named in the title, or NULL */
  guint number;
  gint64 uid;
  gint64 size;                    /* RFC822.SIZE or the POP3 LIST size */
  MsMailHeaders headers;          /* borrowed strings */
  const MsMimeInfo *structure;    /* the newest BODYSTRUCTURE */
  GPtrArray *downloads;           /* const MsMsgRecord* that moved content */
} Msg;

static void
msg_free (Msg *m)
{
  g_ptr_array_unref (m->downloads);
  g_free (m);
}

char *
ms_message_format_size (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
}

static char *
exact_size (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS | G_FORMAT_SIZE_LONG_FORMAT);
}

/* Headers known so far: later records fill what earlier ones lacked. */
static void
merge_headers (MsMailHeaders *dst, const MsMailHeaders *src)
{
  if (src->from)
    dst->from = src->from;
  if (src->to)
    dst->to = src->to;
  if (src->subject)
    dst->subject = src->subject;
  if (src->date)
    dst->date = src->date;
}

static gboolean
record_moves_content (const MsMsgRecord *r)
{
  if (r->kind == MS_MSG_POP3_RETR || r->kind == MS_MSG_POP3_TOP)
    return TRUE;
  if (r->kind != MS_MSG_IMAP_FETCH)
    return FALSE;
  return (r->sections && r->sections->len > 0) || r->content_bytes > 0;
}

/* --- which bytes of which part arrived ------------------------------------ */

typedef struct {
  GHashTable *ranges;    /* section -> GArray of MsByteRange in the part's body */
  GHashTable *parsed;    /* section -> const MsMimeInfo* parsed from bytes */
  gboolean whole;        /* the message's whole body arrived */
  gboolean unread;       /* some downloads were not read back */
} Arrived;

static void
arrived_add (Arrived *a, const char *section, guint64 start, guint64 len)
{
  GArray *r = g_hash_table_lookup (a->ranges, section);
  MsByteRange br = { (gsize) start, (gsize) (start + len) };

  if (len == 0)
    return;
  if (r == NULL)
    {
      r = g_array_new (FALSE, FALSE, sizeof (MsByteRange));
      g_hash_table_insert (a->ranges, g_strdup (section), r);
    }
  g_array_append_val (r, br);
}

/* Registers every leaf of a tree parsed from bytes. */
static void
arrived_add_parsed (Arrived *a, const MsMimeInfo *info)
{
  if (info->section && !g_hash_table_contains (a->parsed, info->section))
    g_hash_table_insert (a->parsed, g_strdup (info->section), (gpointer) info);
  if (info->children->len == 0 && info->section && info->have > 0)
    arrived_add (a, info->section, 0, (guint64) info->have);
  for (guint i = 0; i < info->children->len; i++)
    arrived_add_parsed (a, g_ptr_array_index (info->children, i));
}

static int
cmp_start (gconstpointer a, gconstpointer b)
{
  const MsByteRange *x = a, *y = b;
  return x->start < y->start ? -1 : (x->start > y->start);
}

/* Octets of [0, size) covered by the ranges of `section` (size < 0: no
 * limit); -1 when nothing of it arrived. */
static gint64
arrived_bytes (Arrived *a, const char *section, gint64 size)
{
  GArray *r = section ? g_hash_table_lookup (a->ranges, section) : NULL;
  gsize at = 0, n = 0;
  gsize limit = size >= 0 ? (gsize) size : G_MAXSIZE;

  if (r == NULL)
    return -1;
  g_array_sort (r, cmp_start);
  for (guint i = 0; i < r->len; i++)
    {
      const MsByteRange *br = &g_array_index (r, MsByteRange, i);
      gsize s = MAX (br->start, at), e = MIN (br->end, limit);
      if (e > s)
        {
          n += e - s;
          at = e;
        }
    }
  return (gint64) n;
}

/* --- part rows ------------------------------------------------------------ */

typedef enum { INHERIT_NONE, INHERIT_WHOLE, INHERIT_PARTIAL } Inherit;

static const char *
part_icon (const MsMimeInfo *p)
{
  if (g_str_has_prefix (p->type, "multipart/"))
    return "folder-symbolic";
  if (g_str_equal (p->type, "message/rfc822"))
    return "mail-unread-symbolic";
  if (g_str_has_prefix (p->type, "image/"))
    return "image-x-generic-symbolic";
  if (g_str_has_prefix (p->type, "text/"))
    return "text-x-generic-symbolic";
  return "mail-attachment-symbolic";
}

static char *
part_title (const MsMimeInfo *p)
{
  GString *s = g_string_new (NULL);

  if (p->section)
    /* TRANSLATORS: "Part 2: application/pdf" */
    g_string_printf (s, _("Part %s: %s"), p->section, p->type);
  else
    g_string_append (s, p->type);
  if (p->filename)
    g_string_append_printf (s, " · “%s”", p->filename);
  return g_string_free (s, FALSE);
}

static char *
part_detail (const MsMimeInfo *p, const MsMimeInfo *bytes)
{
  GString *s = g_string_new (NULL);
  const char *charset = p->charset ? p->charset : bytes ? bytes->charset : NULL;
  const char *encoding = p->encoding ? p->encoding : bytes ? bytes->encoding : NULL;

  if (encoding)
    /* TRANSLATORS: Content-Transfer-Encoding, e.g. "encoding: base64" */
    g_string_append_printf (s, _("encoding: %s"), encoding);
  if (charset)
    g_string_append_printf (s, "%s%s", s->len ? " · " : "", charset);
  if (p->size >= 0 && p->children->len == 0)
    {
      g_autofree char *sz = ms_message_format_size ((guint64) p->size);
      g_string_append_printf (s, "%s%s", s->len ? " · " : "", sz);
    }
  if (p->omitted)
    g_string_append_printf (s, "%s%s", s->len ? " · " : "", _("more parts not shown"));
  if (s->len == 0)
    {
      g_string_free (s, TRUE);
      return NULL;
    }
  return g_string_free (s, FALSE);
}

/* Sets the row's status and tooltip: `have` octets arrived of `size` on
 * the server (-1: not known); `cut` when the download stopped inside it.
 * Returns `state`. */
static MsTransfer
set_status (MsMessageNode *node, MsTransfer state, gint64 have, gint64 size, gboolean cut)
{
  g_autofree char *h = have >= 0 ? ms_message_format_size ((guint64) have) : NULL;
  g_autofree char *t = size >= 0 ? ms_message_format_size ((guint64) size) : NULL;
  char *status = NULL;
  char *tooltip = NULL;

  switch (state)
    {
    case MS_TRANSFER_WHOLE:
      status = g_strdup (_("whole part"));
      if (size >= 0)
        {
          g_autofree char *e = exact_size ((guint64) size);
          /* TRANSLATORS: tooltip of a part that crossed the wire whole */
          tooltip = g_strdup_printf (_("All of it crossed the wire: %s"), e);
        }
      break;
    case MS_TRANSFER_PARTIAL:
      if (have >= 0 && size >= 0)
        {
          g_autofree char *eh = exact_size ((guint64) have);
          g_autofree char *es = exact_size ((guint64) size);
          /* TRANSLATORS: "transferred: 4.0 KiB of 276.6 KiB" */
          status = g_strdup_printf (_("transferred: %s of %s"), h, t);
          tooltip = g_strdup_printf (_("%s of %s crossed the wire"), eh, es);
        }
      else if (have >= 0 && cut)
        /* TRANSLATORS: the download stopped inside this part */
        status = g_strdup_printf (_("cut off: %s arrived"), h);
      else if (have >= 0)
        status = g_strdup_printf (_("transferred: %s"), h);
      else
        status = g_strdup (_("in a partial download"));
      break;
    case MS_TRANSFER_MISSING:
      status = g_strdup (_("not downloaded"));
      break;
    case MS_TRANSFER_NONE:
    default:
      break;
    }
  ms_message_node_take_status (node, state, status);
  if (tooltip)
    ms_message_node_take_tooltip (node, tooltip);
  return state;
}

/* Adds the row of `p` and its children under `store`. */
static MsTransfer
add_part (GListStore *store, const MsMimeInfo *p, Arrived *a, Inherit inherit, guint depth,
          gint64 *have_out, gint64 *size_out)
{
  const MsMimeInfo *bytes = p->section ? g_hash_table_lookup (a->parsed, p->section) : NULL;
  MsMessageNode *node = ms_message_node_new (part_icon (p), part_title (p));
  gint64 size = p->size >= 0 ? p->size : (bytes && !bytes->cut ? bytes->size : -1);
  gint64 got = p->section ? arrived_bytes (a, p->section, size) : -1;
  gboolean cut = bytes && bytes->cut;
  MsTransfer state;

  ms_message_node_take_detail (node, part_detail (p, bytes));
  if (bytes && bytes->preview)
    ms_message_node_take_preview (node, g_strdup (bytes->preview));
  else if (p->preview)
    ms_message_node_take_preview (node, g_strdup (p->preview));
  ms_message_node_set_expand (node, TRUE);
  g_list_store_append (store, node);

  if (inherit == INHERIT_WHOLE || a->whole)
    {
      state = MS_TRANSFER_WHOLE;
      got = size;
    }
  else if (got >= 0)
    state = size >= 0 && got >= size ? MS_TRANSFER_WHOLE : MS_TRANSFER_PARTIAL;
  else if (inherit == INHERIT_PARTIAL)
    state = MS_TRANSFER_PARTIAL;
  else
    state = MS_TRANSFER_MISSING;

  if (p->children->len > 0)
    {
      Inherit down = state == MS_TRANSFER_WHOLE ? INHERIT_WHOLE
                     : state == MS_TRANSFER_PARTIAL ? INHERIT_PARTIAL : INHERIT_NONE;
      gint64 sum_have = 0, sum_size = 0;
      guint whole = 0, missing = 0;

      for (guint i = 0; i < p->children->len; i++)
        {
          gint64 h = -1, s = -1;
          MsTransfer k = depth < MS_MIME_MAX_DEPTH
                           ? add_part (ms_message_node_get_children (node),
                                       g_ptr_array_index (p->children, i), a, down, depth + 1, &h, &s)
                           : MS_TRANSFER_MISSING;
          whole += k == MS_TRANSFER_WHOLE;
          missing += k == MS_TRANSFER_MISSING;
          sum_have = sum_have >= 0 && h >= 0 ? sum_have + h : (k == MS_TRANSFER_MISSING ? sum_have : -1);
          sum_size = sum_size >= 0 && s >= 0 ? sum_size + s : -1;
        }
      /* A part fetched as a whole (BODY[2] of a message/rfc822) already
       * knows its state; a container otherwise sums up its parts. */
      if (got < 0 && inherit == INHERIT_NONE)
        {
          state = whole == p->children->len ? MS_TRANSFER_WHOLE
                  : missing == p->children->len ? MS_TRANSFER_MISSING : MS_TRANSFER_PARTIAL;
          got = state == MS_TRANSFER_MISSING ? -1 : sum_have;
        }
      if (size < 0)
        size = sum_size;
    }
  if (state == MS_TRANSFER_MISSING && a->unread)
    /* Not read back: whether it crossed the wire is not known here. */
    ms_message_node_take_status (node, MS_TRANSFER_NONE, g_strdup (_("not read back")));
  else
    set_status (node, state, got, size, cut);
  *have_out = state == MS_TRANSFER_MISSING ? 0 : got;
  *size_out = size;
  g_object_unref (node);
  return state;
}

/* --- message rows --------------------------------------------------------- */

static char *
section_name (const MsFetchSection *s)
{
  g_autofree char *origin = s->origin >= 0 ? g_strdup_printf ("<%" G_GINT64_FORMAT ">", s->origin)
                                           : g_strdup ("");
  return g_strdup_printf ("%s[%s]%s", s->binary ? "BINARY" : "BODY", s->section, origin);
}

/* The flags of a download, as words a student can follow. */
static void
append_flags (GString *s, const MsMsgRecord *r)
{
  if (r->flags & MS_EVENT_GAP)
    g_string_append_printf (s, " · %s", _("bytes missing from the capture"));
  if (r->flags & MS_EVENT_TRUNCATED)
    g_string_append_printf (s, " · %s", _("the capture ends inside it"));
  if (r->capped)
    {
      g_autofree char *cap = ms_message_format_size (MS_MESSAGE_MAX_BYTES);
      g_string_append_printf (s, " · ");
      g_string_append_printf (s, _("only the first %s were read"), cap);
    }
  if (r->not_read && !r->skipped)
    {
      g_autofree char *cap = ms_message_format_size (MS_MESSAGE_MAX_TOTAL);
      g_string_append_printf (s, " · ");
      g_string_append_printf (s, _("not read back: more than %s of messages in this session"), cap);
    }
}

static void
add_download_rows (GListStore *store, const MsMsgRecord *r)
{
  GString *s = g_string_new (NULL);
  MsMessageNode *node;

  if (r->kind == MS_MSG_IMAP_FETCH)
    {
      for (guint i = 0; r->sections && i < r->sections->len; i++)
        {
          const MsMsgSection *sec = &g_array_index (r->sections, MsMsgSection, i);
          g_autofree char *name = section_name (&sec->item);
          g_autofree char *got = exact_size (sec->item.got);
          if (s->len)
            g_string_append (s, ", ");
          if (sec->item.nil)
            g_string_append_printf (s, "%s · NIL", name);
          else
            g_string_append_printf (s, "%s · %s", name, got);
        }
      if (s->len == 0)
        {
          g_autofree char *got = exact_size (r->content_bytes);
          g_string_append (s, got);
        }
    }
  else
    {
      g_autofree char *got = exact_size (r->content_bytes);
      if (r->kind == MS_MSG_POP3_TOP)
        g_string_append_printf (s, "TOP %u %" G_GINT64_FORMAT " · %s", r->number, r->top_lines, got);
      else
        g_string_append_printf (s, "RETR %u · %s", r->number, got);
    }
  {
    /* TRANSLATORS: "Frame 28: BODY[2]<0> · 4.0 KiB (4096 bytes)" */
    g_autofree char *title = g_strdup_printf (_("Frame %u: %s"), r->frame, s->str);
    g_string_truncate (s, 0);
    append_flags (s, r);
    node = ms_message_node_new ("network-receive-symbolic", g_steal_pointer (&title));
  }
  if (s->len > 3)
    ms_message_node_take_detail (node, g_strdup (s->str + 3));
  g_list_store_append (store, node);
  g_object_unref (node);
  g_string_free (s, TRUE);
}

static char *
headers_detail (const MsMailHeaders *h)
{
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_free);

  if (h->from)
    g_ptr_array_add (items, g_strdup_printf (_("From: %s"), h->from));
  if (h->to)
    g_ptr_array_add (items, g_strdup_printf (_("To: %s"), h->to));
  if (h->date)
    g_ptr_array_add (items, g_strdup_printf (_("Date: %s"), h->date));
  if (items->len == 0)
    return NULL;
  g_ptr_array_add (items, NULL);
  return g_strjoinv (" · ", (char **) items->pdata);
}

static char *
message_title (const Msg *m)
{
  g_autofree char *which = NULL;

  if (m->imap && m->uid >= 0)
    /* IMAP numbers and UIDs are 32-bit (RFC 9051). */
    which = g_strdup_printf (_("Message %u (UID %u)"), m->number, (guint) m->uid);
  else
    which = g_strdup_printf (_("Message %u"), m->number);
  if (m->mailbox)
    {
      /* TRANSLATORS: "Archive · Message 1 (UID 1)" */
      char *named = g_strdup_printf (C_("message title", "%s · %s"), m->mailbox, which);
      g_free (which);
      which = named;
    }
  if (m->headers.subject)
    /* TRANSLATORS: "Message 5 (UID 5): Lecture notes" */
    return g_strdup_printf (C_("message title", "%s: %s"), which, m->headers.subject);
  return g_steal_pointer (&which);
}

/* Status of the message row: how much of the whole message crossed. */
static void
message_status (MsMessageNode *node, const Msg *m, const MsMsgRecord *last_pop3, guint64 moved,
                gboolean whole)
{
  g_autofree char *h = ms_message_format_size (moved);
  g_autofree char *t = m->size >= 0 ? ms_message_format_size ((guint64) m->size) : NULL;
  g_autofree char *eh = exact_size (moved);
  g_autofree char *et = m->size >= 0 ? exact_size ((guint64) m->size) : NULL;

  if (last_pop3 && last_pop3->kind == MS_MSG_POP3_TOP)
    {
      /* TRANSLATORS: POP3 TOP: "header and 10 lines: 1.2 KiB of 276.6 KiB" */
      char *status = t ? g_strdup_printf (_("header and %u lines: %s of %s"),
                                          (guint) MAX (last_pop3->top_lines, 0), h, t)
                       : g_strdup_printf (_("header and %u lines: %s"),
                                          (guint) MAX (last_pop3->top_lines, 0), h);
      ms_message_node_take_status (node, MS_TRANSFER_PARTIAL, status);
    }
  else if (whole)
    /* TRANSLATORS: "whole message · 277.4 KiB" */
    ms_message_node_take_status (node, MS_TRANSFER_WHOLE,
                                 g_strdup_printf (_("whole message · %s"), t ? t : h));
  else if (moved == 0)
    ms_message_node_take_status (node, MS_TRANSFER_MISSING, g_strdup (_("not downloaded")));
  else
    ms_message_node_take_status (node, MS_TRANSFER_PARTIAL,
                                 t ? g_strdup_printf (_("transferred: %s of %s"), h, t)
                                   : g_strdup_printf (_("transferred: %s"), h));
  if (et)
    ms_message_node_take_tooltip (node, g_strdup_printf (_("%s of %s crossed the wire"), eh, et));
  else
    ms_message_node_take_tooltip (node, g_strdup_printf (_("%s crossed the wire"), eh));
}

static MsMessageNode *
message_row (const Msg *m, GHashTable *list_sizes)
{
  MsMessageNode *node;
  Arrived a = { g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_array_unref),
                g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL), FALSE, FALSE };
  const MsMimeInfo *tree = m->structure;
  const MsMsgRecord *last_pop3 = NULL;
  guint64 moved = 0;
  gboolean whole = FALSE;
  Msg view = *m;

  for (guint i = 0; i < m->downloads->len; i++)
    {
      const MsMsgRecord *r = g_ptr_array_index (m->downloads, i);

      if (r->kind != MS_MSG_IMAP_FETCH)
        {
          /* A later RETR replaces what an earlier TOP showed. */
          last_pop3 = r;
          continue;
        }
      if ((r->sections == NULL || r->sections->len == 0) && r->content_bytes > 0)
        {
          /* Its bytes were not read back: the decoder's count is all. */
          moved += r->content_bytes;
          a.unread = TRUE;
        }
      for (guint k = 0; r->sections && k < r->sections->len; k++)
        {
          const MsMsgSection *s = &g_array_index (r->sections, MsMsgSection, k);
          const char *name = s->item.section;
          /* Bytes past MS_MESSAGE_MAX_BYTES crossed the wire but were
           * not read: they count as arrived. */
          gboolean complete = s->item.got == s->item.announced && s->item.origin < 0;

          moved += s->item.got;
          if (s->item.binary || s->item.nil)
            continue;
          if (name[0] == '\0' || g_str_equal (name, "TEXT"))
            {
              /* BODY[TEXT] brings every part but not the header. */
              if (complete && !(r->flags & MS_EVENT_GAP))
                {
                  a.whole = TRUE;
                  whole |= name[0] == '\0';
                }
              if (s->parsed)
                {
                  arrived_add_parsed (&a, s->parsed);
                  if (tree == NULL)
                    tree = s->parsed;
                }
            }
          else if (g_ascii_isdigit (name[0]) && !strchr (name, 'H') && !strchr (name, 'M'))
            {
              /* "2", "1.2" and "2.TEXT": bytes of that part's body. */
              g_autofree char *part = g_strdup (name);
              char *text = strstr (part, ".TEXT");
              if (text)
                *text = '\0';
              arrived_add (&a, part, (guint64) MAX (s->item.origin, 0), s->item.got);
              /* The part's own body, parsed under the header its
               * structure describes. */
              if (s->parsed && !g_hash_table_contains (a.parsed, part))
                g_hash_table_insert (a.parsed, g_strdup (part), s->parsed);
            }
        }
      if (!ms_mail_headers_empty (&view.headers))
        continue;
      for (guint k = 0; r->sections && k < r->sections->len; k++)
        merge_headers (&view.headers, &g_array_index (r->sections, MsMsgSection, k).headers);
    }
  if (last_pop3)
    {
      moved = last_pop3->content_bytes;
      merge_headers (&view.headers, &last_pop3->headers);
      tree = last_pop3->parsed;
      /* The decoder saw the dot line unless the answer is truncated. */
      whole = last_pop3->kind == MS_MSG_POP3_RETR
              && (last_pop3->terminated || last_pop3->capped || last_pop3->not_read)
              && !(last_pop3->flags & (MS_EVENT_GAP | MS_EVENT_TRUNCATED));
      a.whole = whole;
      a.unread = last_pop3->not_read;
      if (tree)
        arrived_add_parsed (&a, tree);
      if (list_sizes && g_hash_table_contains (list_sizes, GUINT_TO_POINTER (m->number)))
        view.size = (gint64) GPOINTER_TO_SIZE (g_hash_table_lookup (list_sizes, GUINT_TO_POINTER (m->number)));
      else if (whole)
        view.size = (gint64) moved;
    }
  node = ms_message_node_new ("mail-unread-symbolic", message_title (&view));
  ms_message_node_take_detail (node, headers_detail (&view.headers));
  message_status (node, &view, last_pop3, moved, whole);
  ms_message_node_set_expand (node, m->downloads->len > 0);

  if (tree)
    {
      gint64 h, s;
      add_part (ms_message_node_get_children (node), tree, &a, INHERIT_NONE, 0, &h, &s);
    }
  for (guint i = 0; i < m->downloads->len; i++)
    add_download_rows (ms_message_node_get_children (node), g_ptr_array_index (m->downloads, i));
  g_hash_table_unref (a.ranges);
  g_hash_table_unref (a.parsed);
  return node;
}

GPtrArray *
ms_message_tree_build (MsMessageScan *scan, MsStep reveal)
{
  g_autoptr (GHashTable) by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) order = g_ptr_array_new_with_free_func ((GDestroyNotify) msg_free);
  g_autoptr (GHashTable) list_sizes = NULL;
  GPtrArray *rows = g_ptr_array_new_with_free_func (g_object_unref);
  const char *first_mailbox = NULL;
  gboolean several_mailboxes = FALSE;

  for (guint i = 0; i < ms_message_scan_get_n_records (scan); i++)
    {
      const MsMsgRecord *r = ms_message_scan_get_record (scan, i);
      g_autofree char *key = NULL;
      Msg *m;

      if (r->step > reveal)
        continue;
      if (r->kind == MS_MSG_POP3_LIST)
        {
          /* Sizes of the newest LIST answer (one session per lesson). */
          if (r->list_sizes)
            {
              g_clear_pointer (&list_sizes, g_hash_table_unref);
              list_sizes = g_hash_table_ref (r->list_sizes);
            }
          continue;
        }
      key = ms_message_record_key (r);
      if (r->mailbox && first_mailbox == NULL)
        first_mailbox = r->mailbox;
      else if (r->mailbox && !g_str_equal (first_mailbox, r->mailbox))
        several_mailboxes = TRUE;
      m = g_hash_table_lookup (by_key, key);
      if (m == NULL)
        {
          m = g_new0 (Msg, 1);
          m->imap = r->kind == MS_MSG_IMAP_FETCH;
          m->mailbox = r->mailbox;
          m->uid = -1;
          m->size = -1;
          m->downloads = g_ptr_array_new ();
          g_ptr_array_add (order, m);
          g_hash_table_insert (by_key, g_steal_pointer (&key), m);
        }
      m->number = r->number;
      if (r->uid >= 0)
        m->uid = r->uid;
      if (r->size >= 0)
        m->size = r->size;
      merge_headers (&m->headers, &r->headers);
      if (r->structure)
        m->structure = r->structure;
      if (record_moves_content (r))
        g_ptr_array_add (m->downloads, (gpointer) r);
    }
  /* Messages whose content crossed the wire first, then those the
   * client only saw described; each group in capture order. */
  for (guint pass = 0; pass < 2; pass++)
    {
      for (guint i = 0; i < order->len; i++)
        {
          Msg *m = g_ptr_array_index (order, i);
          if ((m->downloads->len > 0) != (pass == 0))
            continue;
          /* Name the mailbox when the session opened more than one. */
          if (!several_mailboxes)
            m->mailbox = NULL;
          g_ptr_array_add (rows, message_row (m, list_sizes));
        }
    }
  return rows;
}
