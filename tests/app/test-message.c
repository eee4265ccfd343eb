/* test-message.c - the message view's trees from recorded sessions: the
 * message bytes read back from the capture and parsed, and how much of each
 * part crossed the wire. Every expected size comes from the sample Maildir
 * (samples/maildir/student), measured here by hand (line ends made CRLF as
 * the servers send them, parts cut at their boundary lines), never from
 * the code under test. */
#include "config.h"

#include <locale.h>
#include <string.h>
#include <gtk/gtk.h>
#include <adwaita.h>
#include <gmime/gmime.h>

#include "ms-capture.h"
#include "ms-lesson-plan.h"
#include "ms-message-extract.h"
#include "ms-message-node.h"
#include "ms-message-scan.h"
#include "ms-message-tree.h"
#include "ms-message-view.h"

/* --- the Maildir, measured by hand ------------------------------------------ */

typedef struct {
  GBytes *wire;          /* the file with CRLF line ends */
  char *subject_raw;     /* Subject header as stored */
  char *boundary;        /* multipart boundary, or NULL */
  GPtrArray *part_sizes; /* GUINT_TO_POINTER body sizes of the top-level parts */
  GPtrArray *part_types; /* "text/plain", … */
  guint n_dot_lines;     /* lines starting with "." (dot-stuffed by POP3) */
} MaildirMessage;

static void
maildir_message_free (MaildirMessage *m)
{
  g_bytes_unref (m->wire);
  g_free (m->subject_raw);
  g_free (m->boundary);
  g_ptr_array_unref (m->part_sizes);
  g_ptr_array_unref (m->part_types);
  g_free (m);
}

static int
cmp_basename (gconstpointer a, gconstpointer b)
{
  g_autofree char *x = g_path_get_basename (*(const char **) a);
  g_autofree char *y = g_path_get_basename (*(const char **) b);
  return strcmp (x, y);
}

/* Value of header `name` (first line only), or NULL. */
static char *
header_value (const char *text, const char *name)
{
  gsize n = strlen (name);
  for (const char *p = text; p && *p && !(p[0] == '\r' && p[1] == '\n'); p = strstr (p, "\r\n") + 2)
    {
      if (g_ascii_strncasecmp (p, name, n) == 0 && p[n] == ':')
        {
          const char *e = strstr (p, "\r\n");
          return g_strstrip (g_strndup (p + n + 1, (gsize) (e - p - n - 1)));
        }
      if (strstr (p, "\r\n") == NULL)
        break;
    }
  return NULL;
}

/* The five INBOX messages in delivery order (file names start with the
 * delivery time; UIDs 1 to 5). */
static GPtrArray *
load_maildir (void)
{
  const char *root = g_getenv ("MS_SOURCE_ROOT");
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) maildir_message_free);
  const char *subdirs[] = { "cur", "new" };

  for (guint d = 0; d < G_N_ELEMENTS (subdirs); d++)
    {
      g_autofree char *dir = g_build_filename (root, "samples", "maildir", "student", subdirs[d], NULL);
      g_autoptr (GDir) it = g_dir_open (dir, 0, NULL);
      const char *name;
      g_assert_nonnull (it);
      while ((name = g_dir_read_name (it)))
        if (name[0] != '.')
          g_ptr_array_add (paths, g_build_filename (dir, name, NULL));
    }
  g_ptr_array_sort (paths, cmp_basename);
  for (guint i = 0; i < paths->len; i++)
    {
      g_autofree char *raw = NULL;
      gsize len;
      GString *crlf = g_string_new (NULL);
      MaildirMessage *m = g_new0 (MaildirMessage, 1);
      char *ct;

      g_assert_true (g_file_get_contents (g_ptr_array_index (paths, i), &raw, &len, NULL));
      for (gsize k = 0; k < len; k++)
        {
          if (raw[k] == '\n' && (k == 0 || raw[k - 1] != '\r'))
            g_string_append_c (crlf, '\r');
          g_string_append_c (crlf, raw[k]);
          if (raw[k] == '\n' && k + 1 < len && raw[k + 1] == '.')
            m->n_dot_lines++;
        }
      m->subject_raw = header_value (crlf->str, "Subject");
      ct = header_value (crlf->str, "Content-Type");
      m->part_sizes = g_ptr_array_new ();
      m->part_types = g_ptr_array_new_with_free_func (g_free);
      if (ct && strstr (ct, "boundary=\""))
        {
          const char *b = strstr (ct, "boundary=\"") + 10;
          m->boundary = g_strndup (b, (gsize) (strchr (b, '"') - b));
        }
      if (m->boundary)
        {
          /* Each part runs from after "--boundary\r\n" to the CRLF before
           * the next boundary line; its body starts after its blank line. */
          g_autofree char *delim = g_strdup_printf ("\r\n--%s", m->boundary);
          const char *p = strstr (crlf->str, delim);
          while (p)
            {
              const char *start = p + strlen (delim);
              const char *next;
              const char *body;
              g_autofree char *head = NULL;
              char *type;
              if (g_str_has_prefix (start, "--"))
                break;
              start += 2;
              next = strstr (start, delim);
              g_assert_nonnull (next);
              body = strstr (start, "\r\n\r\n") + 4;
              head = g_strndup (start, (gsize) (body - start));
              type = header_value (head, "Content-Type");
              g_ptr_array_add (m->part_sizes, GUINT_TO_POINTER ((guint) (next - body)));
              if (strchr (type, ';'))
                *strchr (type, ';') = '\0';
              g_ptr_array_add (m->part_types, g_ascii_strdown (type, -1));
              g_free (type);
              p = next;
            }
        }
      g_free (ct);
      m->wire = g_string_free_to_bytes (crlf);
      g_ptr_array_add (out, m);
    }
  g_assert_cmpuint (out->len, ==, 5);
  return out;
}

/* --- captures ------------------------------------------------------------ */

static MsCapture *
load_sample (const char *name)
{
  g_autofree char *path = g_build_filename (g_getenv ("MS_SOURCE_ROOT"), "samples", name, NULL);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;
  MsCapture *capture = ms_capture_new (file);

  g_assert_true (ms_capture_load_sync (capture, &error));
  return capture;
}

static guint
first_session (MsCapture *capture, MsProto proto)
{
  for (guint i = 0; i < ms_capture_get_n_sessions (capture); i++)
    if (ms_capture_get_session (capture, i)->proto == proto)
      return ms_capture_get_session (capture, i)->id;
  g_assert_not_reached ();
  return 0;
}

static MsMessageScan *
scan_session (MsCapture *capture, MsProto proto)
{
  MsLessonPlan plan;
  g_autoptr (GError) error = NULL;
  MsMessageScan *scan;

  ms_lesson_plan_init (&plan, capture, first_session (capture, proto));
  scan = ms_message_scan_new (capture, (const guint *) plan.events->data, plan.events->len);
  ms_lesson_plan_clear (&plan);
  g_assert_true (ms_message_scan_run (scan, NULL, &error));
  g_assert_no_error (error);
  return scan;
}

/* Writes the tree to the test log, to read when an assertion fails. */
static void
dump_node (MsMessageNode *node, guint depth)
{
  GListModel *kids = G_LIST_MODEL (ms_message_node_get_children (node));
  g_test_message ("%*s%s [%s] {%s}", (int) depth * 2, "", ms_message_node_get_title (node),
                  ms_message_node_get_status (node) ? ms_message_node_get_status (node) : "",
                  ms_message_node_get_detail (node) ? ms_message_node_get_detail (node) : "");
  for (guint i = 0; i < g_list_model_get_n_items (kids); i++)
    {
      g_autoptr (MsMessageNode) kid = g_list_model_get_item (kids, i);
      dump_node (kid, depth + 1);
    }
}

static void
dump_rows (GPtrArray *rows)
{
  for (guint i = 0; i < rows->len; i++)
    dump_node (g_ptr_array_index (rows, i), 0);
}

static MsMessageNode *
child (MsMessageNode *node, guint i)
{
  GListStore *kids = ms_message_node_get_children (node);
  g_assert_cmpuint (i, <, g_list_model_get_n_items (G_LIST_MODEL (kids)));
  return MS_MESSAGE_NODE (g_list_model_get_object (G_LIST_MODEL (kids), i));
}

static MsMessageNode *
find_child (MsMessageNode *node, const char *title_part)
{
  GListModel *kids = G_LIST_MODEL (ms_message_node_get_children (node));
  for (guint i = 0; i < g_list_model_get_n_items (kids); i++)
    {
      g_autoptr (MsMessageNode) kid = g_list_model_get_item (kids, i);
      if (strstr (ms_message_node_get_title (kid), title_part))
        return g_steal_pointer (&kid);
    }
  return NULL;
}

/* The message row whose title holds "(UID uid)". */
static MsMessageNode *
row_of_uid (GPtrArray *rows, guint uid)
{
  g_autofree char *want = g_strdup_printf ("(UID %u)", uid);
  for (guint i = 0; i < rows->len; i++)
    if (strstr (ms_message_node_get_title (g_ptr_array_index (rows, i)), want))
      return g_ptr_array_index (rows, i);
  g_assert_not_reached ();
  return NULL;
}

/* "transferred: 4.0 KiB of 276.6 KiB" */
static char *
expected_transferred (guint64 a, guint64 b)
{
  g_autofree char *x = ms_message_format_size (a);
  g_autofree char *y = ms_message_format_size (b);
  return g_strdup_printf ("transferred: %s of %s", x, y);
}

static void
check_message_title (MsMessageNode *msg, const MaildirMessage *m)
{
  /* The subject, RFC 2047 words decoded (message 3's is Chinese). */
  g_autofree char *subject = g_mime_utils_header_decode_text (NULL, m->subject_raw);
  g_assert_nonnull (strstr (ms_message_node_get_title (msg), subject));
  g_assert_null (strstr (ms_message_node_get_title (msg), "=?"));
}

/* Every message's parts as the Maildir has them, with their sizes. */
static void
check_parts (MsMessageNode *msg, const MaildirMessage *m, gboolean expect_whole)
{
  g_autoptr (MsMessageNode) body = child (msg, 0);

  if (m->boundary == NULL)
    return;
  g_assert_true (g_str_has_prefix (ms_message_node_get_title (body), "multipart/"));
  g_assert_cmpuint (ms_message_node_get_n_children (body), ==, m->part_sizes->len);
  for (guint i = 0; i < m->part_sizes->len; i++)
    {
      g_autoptr (MsMessageNode) part = child (body, i);
      g_autofree char *prefix = g_strdup_printf ("Part %u: %s", i + 1,
                                                 (char *) g_ptr_array_index (m->part_types, i));
      g_autofree char *size = ms_message_format_size (GPOINTER_TO_UINT (g_ptr_array_index (m->part_sizes, i)));
      g_assert_true (g_str_has_prefix (ms_message_node_get_title (part), prefix));
      g_assert_nonnull (strstr (ms_message_node_get_detail (part), size));
      if (expect_whole)
        {
          g_assert_cmpint (ms_message_node_get_transfer (part), ==, MS_TRANSFER_WHOLE);
          g_assert_cmpstr (ms_message_node_get_status (part), ==, "whole part");
        }
    }
}

/* --- POP3: RETR moves every message whole ------------------------------------- */

static void
test_pop3_retr (void)
{
  g_autoptr (GPtrArray) maildir = load_maildir ();
  MsCapture *capture = load_sample ("pop3-retr.pcap");
  g_autoptr (MsMessageScan) scan = scan_session (capture, MS_PROTO_POP3);
  g_autoptr (GPtrArray) rows = ms_message_tree_build (scan, MS_STEP_N);
  guint retr = 0;

  /* The bytes read back are the messages exactly: dot-unstuffed, as many
   * octets as the files hold with CRLF line ends. */
  for (guint i = 0; i < ms_message_scan_get_n_records (scan); i++)
    {
      const MsMsgRecord *r = ms_message_scan_get_record (scan, i);
      const MaildirMessage *m;
      if (r->kind != MS_MSG_POP3_RETR)
        continue;
      retr++;
      g_assert_cmpuint (r->number, >=, 1);
      m = g_ptr_array_index (maildir, r->number - 1);
      g_assert_true (r->terminated);
      g_assert_cmpuint (r->kept, ==, g_bytes_get_size (m->wire));
      g_assert_cmpuint (r->content_bytes, ==, g_bytes_get_size (m->wire));
    }
  g_assert_cmpuint (retr, ==, 5);
  /* Message 1 has dot lines: stuffing must have been undone. */
  g_assert_cmpuint (((MaildirMessage *) g_ptr_array_index (maildir, 0))->n_dot_lines, >, 0);

  g_assert_cmpuint (rows->len, ==, 5);
  for (guint i = 0; i < rows->len; i++)
    {
      MsMessageNode *msg = g_ptr_array_index (rows, i);
      const MaildirMessage *m = g_ptr_array_index (maildir, i);
      g_autofree char *size = ms_message_format_size (g_bytes_get_size (m->wire));
      g_autofree char *whole = g_strdup_printf ("whole message · %s", size);

      check_message_title (msg, m);
      g_assert_cmpint (ms_message_node_get_transfer (msg), ==, MS_TRANSFER_WHOLE);
      g_assert_cmpstr (ms_message_node_get_status (msg), ==, whole);
      g_assert_nonnull (strstr (ms_message_node_get_detail (msg), "From: "));
      check_parts (msg, m, TRUE);
    }
  /* The lecture notes: the PDF's file name, and the text part's preview. */
  {
    MsMessageNode *msg = g_ptr_array_index (rows, 4);
    g_autoptr (MsMessageNode) body = child (msg, 0);
    g_autoptr (MsMessageNode) text = child (body, 0);
    g_autoptr (MsMessageNode) pdf = child (body, 1);
    g_autoptr (MsMessageNode) download = find_child (msg, "RETR 5");
    g_assert_nonnull (strstr (ms_message_node_get_title (pdf), "“lecture-notes.pdf”"));
    g_assert_nonnull (strstr (ms_message_node_get_detail (pdf), "base64"));
    g_assert_true (g_str_has_prefix (ms_message_node_get_preview (text), "Hello,"));
    g_assert_nonnull (download);
  }
  /* The welcome text is longer than a preview: it is cut short. */
  {
    g_autoptr (MsMessageNode) text = child (g_ptr_array_index (rows, 0), 0);
    const char *preview = ms_message_node_get_preview (text);
    g_auto (GStrv) lines = g_strsplit (preview, "\n", -1);
    g_assert_true (g_str_has_suffix (preview, "…"));
    g_assert_cmpuint (g_strv_length (lines), <=, MS_MIME_PREVIEW_LINES);
    g_assert_cmpuint (g_utf8_strlen (preview, -1), <=, MS_MIME_PREVIEW_CHARS + 1);
  }
  g_clear_pointer (&rows, g_ptr_array_unref);
  g_clear_pointer (&scan, ms_message_scan_unref);
  g_assert_finalize_object (capture);
}

/* --- IMAP: the text part whole, 4096 bytes of the PDF --------------------------- */

/* The <origin.count> of the capture's partial FETCH command. */
static guint64
partial_count (MsCapture *capture)
{
  for (guint i = 0; i < ms_capture_get_n_events (capture); i++)
    {
      MsEvent *ev = ms_capture_get_event (capture, i);
      const char *args = ms_event_get_str (ev, "args");
      const char *lt = args ? strstr (args, "]<") : NULL;
      if (ev->proto == MS_PROTO_IMAP && g_strcmp0 (ms_event_get_str (ev, "command"), "FETCH") == 0 && lt)
        return g_ascii_strtoull (strchr (lt, '.') + 1, NULL, 10);
    }
  g_assert_not_reached ();
  return 0;
}

static void
test_imap_partial (void)
{
  g_autoptr (GPtrArray) maildir = load_maildir ();
  MsCapture *capture = load_sample ("imap-idle-partial.pcap");
  g_autoptr (MsMessageScan) scan = scan_session (capture, MS_PROTO_IMAP);
  g_autoptr (GPtrArray) rows = ms_message_tree_build (scan, MS_STEP_N);
  const MaildirMessage *notes = g_ptr_array_index (maildir, 4);
  guint64 text_size = GPOINTER_TO_UINT (g_ptr_array_index (notes->part_sizes, 0));
  guint64 pdf_size = GPOINTER_TO_UINT (g_ptr_array_index (notes->part_sizes, 1));
  guint64 asked = partial_count (capture);
  MsMessageNode *msg;

  /* Five messages described; four never downloaded, listed after the
   * one that was. */
  g_assert_cmpuint (rows->len, ==, 5);
  g_assert_true (g_ptr_array_index (rows, 0) == row_of_uid (rows, 5));
  for (guint i = 0; i < 4; i++)
    {
      MsMessageNode *other = row_of_uid (rows, i + 1);
      check_message_title (other, g_ptr_array_index (maildir, i));
      check_parts (other, g_ptr_array_index (maildir, i), FALSE);
      g_assert_cmpint (ms_message_node_get_transfer (other), ==, MS_TRANSFER_MISSING);
      g_assert_cmpstr (ms_message_node_get_status (other), ==, "not downloaded");
    }

  msg = row_of_uid (rows, 5);
  check_message_title (msg, notes);
  check_parts (msg, notes, FALSE);
  g_assert_nonnull (strstr (ms_message_node_get_title (msg), "(UID 5)"));
  /* The header lines come from ENVELOPE: the client never fetched them. */
  g_assert_nonnull (strstr (ms_message_node_get_detail (msg), "From: Teacher <teacher@mailscope.test>"));
  {
    g_autofree char *want = expected_transferred (text_size + asked,
                                             g_bytes_get_size (notes->wire));
    g_assert_cmpint (ms_message_node_get_transfer (msg), ==, MS_TRANSFER_PARTIAL);
    g_assert_cmpstr (ms_message_node_get_status (msg), ==, want);
  }
  {
    g_autoptr (MsMessageNode) body = child (msg, 0);
    g_autoptr (MsMessageNode) text = child (body, 0);
    g_autoptr (MsMessageNode) pdf = child (body, 1);
    g_autofree char *want = expected_transferred (asked, pdf_size);

    g_assert_cmpint (ms_message_node_get_transfer (body), ==, MS_TRANSFER_PARTIAL);
    g_assert_cmpint (ms_message_node_get_transfer (text), ==, MS_TRANSFER_WHOLE);
    g_assert_cmpstr (ms_message_node_get_status (text), ==, "whole part");
    g_assert_true (g_str_has_prefix (ms_message_node_get_preview (text), "Hello,"));
    g_assert_nonnull (strstr (ms_message_node_get_title (pdf), "“lecture-notes.pdf”"));
    g_assert_cmpint (ms_message_node_get_transfer (pdf), ==, MS_TRANSFER_PARTIAL);
    g_assert_cmpstr (ms_message_node_get_status (pdf), ==, want);
    g_assert_null (ms_message_node_get_preview (pdf));
  }
  {
    g_autoptr (MsMessageNode) d1 = find_child (msg, "BODY[1]");
    g_autoptr (MsMessageNode) d2 = find_child (msg, "BODY[2]<0>");
    g_assert_nonnull (d1);
    g_assert_nonnull (d2);
  }
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* Before the fetch step the same message is described, not downloaded. */
  rows = ms_message_tree_build (scan, MS_STEP_LIST);
  g_assert_cmpuint (rows->len, ==, 5);
  msg = row_of_uid (rows, 5);
  g_assert_cmpint (ms_message_node_get_transfer (msg), ==, MS_TRANSFER_MISSING);
  {
    g_autoptr (MsMessageNode) body = child (msg, 0);
    g_autoptr (MsMessageNode) pdf = child (body, 1);
    g_assert_cmpstr (ms_message_node_get_status (pdf), ==, "not downloaded");
  }
  g_clear_pointer (&rows, g_ptr_array_unref);
  g_clear_pointer (&scan, ms_message_scan_unref);
  g_assert_finalize_object (capture);
}

/* --- IMAP: whole messages with BODY[] and no BODYSTRUCTURE ---------------------- */

static void
test_imap_whole (void)
{
  g_autoptr (GPtrArray) maildir = load_maildir ();
  MsCapture *capture = load_sample ("imap-mbsync.pcap");
  g_autoptr (MsMessageScan) scan = scan_session (capture, MS_PROTO_IMAP);
  g_autoptr (GPtrArray) rows = ms_message_tree_build (scan, MS_STEP_N);
  guint checked = 0;

  /* mbsync copies every INBOX message with BODY.PEEK[]: each is parsed
   * from its bytes alone and arrived whole. */
  for (guint i = 0; i < rows->len; i++)
    {
      MsMessageNode *msg = g_ptr_array_index (rows, i);
      const char *title = ms_message_node_get_title (msg);
      for (guint k = 0; k < maildir->len; k++)
        {
          const MaildirMessage *m = g_ptr_array_index (maildir, k);
          g_autofree char *subject = g_mime_utils_header_decode_text (NULL, m->subject_raw);
          g_autofree char *size = ms_message_format_size (g_bytes_get_size (m->wire));
          g_autofree char *whole = g_strdup_printf ("whole message · %s", size);
          if (!strstr (title, subject) || g_strcmp0 (ms_message_node_get_status (msg), whole) != 0)
            continue;
          check_parts (msg, m, TRUE);
          checked++;
        }
    }
  g_assert_cmpuint (checked, ==, maildir->len);
  g_clear_pointer (&rows, g_ptr_array_unref);
  g_clear_pointer (&scan, ms_message_scan_unref);
  g_assert_finalize_object (capture);
}

/* --- POP3 TOP and gaps, from the Maildir's bytes ----------------------------- */

/* A POP3 answer carrying `body` (CRLF lines), dot-stuffed (RFC 1939 §3). */
static GByteArray *
pop3_answer (const char *body, gsize len)
{
  GByteArray *out = g_byte_array_new ();
  gboolean line_start = TRUE;

  g_byte_array_append (out, (const guint8 *) "+OK\r\n", 5);
  for (gsize i = 0; i < len; i++)
    {
      if (line_start && body[i] == '.')
        g_byte_array_append (out, (const guint8 *) ".", 1);
      g_byte_array_append (out, (const guint8 *) body + i, 1);
      line_start = body[i] == '\n';
    }
  g_byte_array_append (out, (const guint8 *) ".\r\n", 3);
  return out;
}

static void
test_pop3_top (void)
{
  g_autoptr (GPtrArray) maildir = load_maildir ();
  const MaildirMessage *notes = g_ptr_array_index (maildir, 4);
  const MaildirMessage *welcome = g_ptr_array_index (maildir, 0);
  const char *text = g_bytes_get_data (notes->wire, NULL);
  const char *body = strstr (text, "\r\n\r\n") + 4;
  const char *end = body;
  guint lines = 10;
  g_autoptr (GByteArray) answer = NULL;
  g_autoptr (GByteArray) payload = NULL;
  g_autoptr (GArray) missing = NULL;
  g_autoptr (MsMimeInfo) tree = NULL;
  MsStreamRange range = { 0 };
  gboolean terminated = FALSE;
  MsMimeInfo *text_part;

  /* TOP 5 10: the header, the blank line and ten lines of the body. */
  for (guint i = 0; i < lines; i++)
    end = strstr (end, "\r\n") + 2;
  answer = pop3_answer (text, (gsize) (end - text));
  range.data = answer->data;
  range.len = answer->len;
  payload = ms_extract_pop3_payload (&range, &missing, &terminated);
  g_assert_true (terminated);
  g_assert_cmpuint (missing->len, ==, 0);
  g_assert_cmpmem (payload->data, payload->len, text, (gsize) (end - text));

  tree = ms_mime_info_parse (payload->data, payload->len, missing, FALSE, NULL);
  g_assert_cmpstr (tree->type, ==, "multipart/mixed");
  /* The lines stop inside the text part: it is cut, the PDF never began. */
  g_assert_cmpuint (tree->children->len, ==, 1);
  text_part = g_ptr_array_index (tree->children, 0);
  g_assert_cmpstr (text_part->type, ==, "text/plain");
  g_assert_true (text_part->cut);
  g_assert_cmpint (text_part->size, ==, -1);
  g_assert_cmpint (text_part->have, >, 0);
  g_assert_cmpint (text_part->have, <, GPOINTER_TO_UINT (g_ptr_array_index (notes->part_sizes, 0)));
  g_assert_true (g_str_has_prefix (text_part->preview, "Hello,"));
  g_clear_pointer (&tree, ms_mime_info_free);
  g_clear_pointer (&payload, g_byte_array_unref);
  g_clear_pointer (&missing, g_array_unref);
  g_clear_pointer (&answer, g_byte_array_unref);

  /* The welcome message has dot lines: unstuffing gives the file back;
   * ten bytes the capture lacks stay missing, and the part says so. */
  answer = pop3_answer (g_bytes_get_data (welcome->wire, NULL), g_bytes_get_size (welcome->wire));
  g_assert_cmpuint (answer->len, ==, g_bytes_get_size (welcome->wire) + welcome->n_dot_lines + 5 + 3);
  range.data = answer->data;
  range.len = answer->len;
  range.missing = g_array_new (FALSE, FALSE, sizeof (MsByteRange));
  {
    /* Ten bytes inside the body, before its first dot line. */
    const char *w = (const char *) answer->data;
    gsize at = (gsize) (strstr (w, "\r\n\r\n") - w) + 4 + 2;
    MsByteRange gap = { at, at + 10 };
    g_array_append_val (range.missing, gap);
  }
  payload = ms_extract_pop3_payload (&range, &missing, &terminated);
  g_array_unref (range.missing);
  g_assert_true (terminated);
  g_assert_cmpmem (payload->data, payload->len, g_bytes_get_data (welcome->wire, NULL),
                   g_bytes_get_size (welcome->wire));
  g_assert_cmpuint (missing->len, ==, 1);
  g_assert_cmpuint (g_array_index (missing, MsByteRange, 0).end - g_array_index (missing, MsByteRange, 0).start, ==, 10);
  tree = ms_mime_info_parse (payload->data, payload->len, missing, TRUE, NULL);
  g_assert_cmpint (tree->size, >, 0);
  g_assert_cmpint (tree->have, ==, tree->size - 10);
  g_assert_false (tree->cut);
}

/* --- every recorded sample ----------------------------------------------------- */

/* Whatever the client: the bytes read back agree with the decoders' own
 * counts, and every capture gives a tree. */
static void
test_samples (void)
{
  g_autofree char *dir = g_build_filename (g_getenv ("MS_SOURCE_ROOT"), "samples", NULL);
  g_autoptr (GDir) it = g_dir_open (dir, 0, NULL);
  const char *name;
  guint pop3 = 0, imap = 0;

  g_assert_nonnull (it);
  while ((name = g_dir_read_name (it)))
    {
      MsCapture *capture;
      g_autoptr (MsMessageScan) scan = NULL;
      g_autoptr (GPtrArray) rows = NULL;
      g_autoptr (GArray) all = g_array_new (FALSE, FALSE, sizeof (guint));
      g_autoptr (GError) error = NULL;

      if (!g_str_has_suffix (name, ".pcap") && !g_str_has_suffix (name, ".pcapng"))
        continue;
      capture = load_sample (name);
      for (guint i = 0; i < ms_capture_get_n_events (capture); i++)
        g_array_append_val (all, i);
      scan = ms_message_scan_new (capture, (const guint *) all->data, all->len);
      /* A sample cut short still reads to its cut. */
      g_assert_true (ms_message_scan_run (scan, NULL, &error));
      for (guint i = 0; i < ms_message_scan_get_n_records (scan); i++)
        {
          const MsMsgRecord *r = ms_message_scan_get_record (scan, i);
          MsEvent *ev = ms_capture_get_event (capture, r->event);

          g_assert_false (r->not_read);
          if (r->kind == MS_MSG_POP3_RETR || r->kind == MS_MSG_POP3_TOP)
            {
              /* The decoder counts octets after dot-unstuffing. */
              g_assert_cmpuint (r->kept, ==, ms_event_get_int (ev, "octets", -1));
              g_assert_true (r->terminated);
              g_assert_nonnull (r->parsed);
              pop3++;
            }
          else if (r->kind == MS_MSG_IMAP_FETCH && r->sections && r->sections->len > 0)
            {
              guint64 got = 0;
              for (guint k = 0; k < r->sections->len; k++)
                {
                  const MsMsgSection *sec = &g_array_index (r->sections, MsMsgSection, k);
                  g_assert_cmpuint (sec->item.got, <=, sec->item.announced);
                  got += sec->item.got;
                }
              /* Every literal of the response is a section here, unless
               * ENVELOPE or BODYSTRUCTURE carried literals too. */
              if (!ms_event_has (ev, "parts"))
                g_assert_cmpuint (got, ==, ms_event_get_int (ev, "literal_bytes", 0));
              imap++;
            }
        }
      rows = ms_message_tree_build (scan, MS_STEP_N);
      if (g_getenv ("MS_MESSAGE_DUMP"))
        {
          g_test_message ("== %s", name);
          dump_rows (rows);
        }
      g_clear_pointer (&rows, g_ptr_array_unref);
      g_clear_pointer (&scan, ms_message_scan_unref);
      g_assert_finalize_object (capture);
    }
  g_assert_cmpuint (pop3, >, 0);
  g_assert_cmpuint (imap, >, 0);
}

/* --- the widget ------------------------------------------------------------- */

static void
run_pending (void)
{
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
}

static void
test_view (void)
{
  MsCapture *capture = load_sample ("imap-idle-partial.pcap");
  MsMessageView *view = MS_MESSAGE_VIEW (ms_message_view_new ());
  GtkWidget *win = gtk_window_new ();
  MsLessonPlan plan;
  GListModel *rows;
  gboolean pdf = FALSE, totals = FALSE;

  g_object_ref_sink (view);
  gtk_window_set_default_size (GTK_WINDOW (win), 900, 600);
  gtk_window_set_child (GTK_WINDOW (win), GTK_WIDGET (view));
  gtk_window_present (GTK_WINDOW (win));
  ms_lesson_plan_init (&plan, capture, first_session (capture, MS_PROTO_IMAP));
  ms_message_view_set_events (view, capture, plan.session, (const guint *) plan.events->data,
                              plan.events->len, MS_STEP_N);
  /* The bytes are read in a worker; wait for it (the test's timeout
   * bounds the wait). */
  while (ms_message_view_is_loading (view))
    g_main_context_iteration (NULL, TRUE);
  rows = ms_message_view_get_rows (view);
  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr (GtkTreeListRow) row = g_list_model_get_item (rows, i);
      g_autoptr (MsMessageNode) node = gtk_tree_list_row_get_item (row);
      const char *title = ms_message_node_get_title (node);
      pdf |= strstr (title, "lecture-notes.pdf") != NULL
             && ms_message_node_get_transfer (node) == MS_TRANSFER_PARTIAL;
      totals |= g_str_has_prefix (title, "Message content moved in this session");
    }
  g_assert_true (pdf);
  g_assert_true (totals);
  /* Stepping back reuses the scan: no new reading. */
  ms_message_view_set_events (view, capture, plan.session, (const guint *) plan.events->data,
                              plan.events->len, MS_STEP_LIST);
  g_assert_false (ms_message_view_is_loading (view));
  /* Other events (here: none that move messages) replace the rows. */
  ms_message_view_set_events (view, capture, 0, (const guint *) plan.events->data, 3, MS_STEP_N);
  g_assert_false (ms_message_view_is_loading (view));
  g_assert_cmpuint (g_list_model_get_n_items (ms_message_view_get_rows (view)), ==, 0);
  ms_lesson_plan_clear (&plan);
  run_pending ();

  gtk_window_set_child (GTK_WINDOW (win), NULL);
  gtk_window_destroy (GTK_WINDOW (win));
  run_pending ();
  g_assert_finalize_object (view);
  g_assert_finalize_object (capture);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  ms_mime_init ();
  g_test_add_func ("/message/pop3-retr", test_pop3_retr);
  g_test_add_func ("/message/imap-partial", test_imap_partial);
  g_test_add_func ("/message/imap-whole", test_imap_whole);
  g_test_add_func ("/message/pop3-top", test_pop3_top);
  g_test_add_func ("/message/samples", test_samples);
  g_test_add_func ("/message/view", test_view);
  return g_test_run ();
}
