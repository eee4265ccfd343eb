/* ms-message-scan.c - gathers a session's messages for the message view:
 * the events say where each message's bytes are in the stream, the capture
 * file gives the bytes, GMime makes a tree of them. */
#include "config.h"

#include <string.h>

#include "ms-message-scan.h"

struct _MsMessageScan {
  char *path;              /* the capture file */
  GArray *records;         /* MsMsgRecord */
  GArray *ranges;          /* MsStreamRange, parallel to records (len 0: none) */
  GHashTable *frames;      /* session -> GArray of MsStreamFrame (server to client) */
  GStringChunk *names;     /* mailbox names */
  guint64 kept;
};

static void
section_clear (MsMsgSection *s)
{
  g_free (s->item.section);
  ms_mime_info_free (s->parsed);
  ms_mail_headers_clear (&s->headers);
}

static void
record_clear (MsMsgRecord *r)
{
  ms_mail_headers_clear (&r->headers);
  g_clear_pointer (&r->structure, ms_mime_info_free);
  g_clear_pointer (&r->parsed, ms_mime_info_free);
  if (r->sections)
    {
      for (guint i = 0; i < r->sections->len; i++)
        section_clear (&g_array_index (r->sections, MsMsgSection, i));
      g_array_unref (r->sections);
    }
  g_clear_pointer (&r->list_sizes, g_hash_table_unref);
}

static void
scan_clear (MsMessageScan *scan)
{
  for (guint i = 0; i < scan->records->len; i++)
    {
      record_clear (&g_array_index (scan->records, MsMsgRecord, i));
      ms_stream_range_clear (&g_array_index (scan->ranges, MsStreamRange, i));
    }
  g_array_unref (scan->records);
  g_array_unref (scan->ranges);
  g_hash_table_unref (scan->frames);
  g_string_chunk_free (scan->names);
  g_free (scan->path);
}

MsMessageScan *
ms_message_scan_ref (MsMessageScan *scan)
{
  return g_rc_box_acquire (scan);
}

void
ms_message_scan_unref (MsMessageScan *scan)
{
  g_rc_box_release_full (scan, (GDestroyNotify) scan_clear);
}

/* --- gathering (main thread) --------------------------------------------- */

/* "5 10" -> 5 and 10 (second -1 when absent). */
static void
pop3_args (const char *args, guint *number, gint64 *lines)
{
  char *end = NULL;
  *number = 0;
  *lines = -1;
  if (args == NULL)
    return;
  *number = (guint) g_ascii_strtoull (args, &end, 10);
  if (end && *end == ' ')
    *lines = g_ascii_strtoll (end + 1, NULL, 10);
}

/* The (so far empty) frame list of `session`'s server-to-client
 * direction; filled for all sessions at once at the end. */
static const GArray *
session_frames (MsMessageScan *scan, guint session)
{
  GArray *f = g_hash_table_lookup (scan->frames, GUINT_TO_POINTER (session));
  if (f == NULL)
    {
      f = g_array_new (FALSE, FALSE, sizeof (MsStreamFrame));
      g_hash_table_insert (scan->frames, GUINT_TO_POINTER (session), f);
    }
  return f;
}

MsMessageScan *
ms_message_scan_new (MsCapture *capture, const guint *indices, guint n)
{
  MsMessageScan *scan = g_rc_box_new0 (MsMessageScan);
  g_autoptr (GHashTable) commands = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) selects = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) epochs = g_hash_table_new (NULL, NULL);
  g_autoptr (GHashTable) mailboxes = g_hash_table_new (NULL, NULL);
  guint64 total = 0;

  scan->path = g_file_get_path (ms_capture_get_file (capture));
  scan->records = g_array_new (FALSE, TRUE, sizeof (MsMsgRecord));
  scan->ranges = g_array_new (FALSE, TRUE, sizeof (MsStreamRange));
  scan->frames = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_array_unref);
  scan->names = g_string_chunk_new (256);

  for (guint i = 0; i < n; i++)
    {
      MsEvent *ev = ms_capture_get_event (capture, indices[i]);
      guint session = ms_capture_get_event_session (capture, indices[i]);
      const char *status = ms_event_get_str (ev, "status");
      const char *for_cmd = ms_event_get_str (ev, "for_command");
      MsMsgRecord rec;
      MsStreamRange range;

      /* POP3 pairs answers with commands by the command's offset. */
      if (ev->proto == MS_PROTO_POP3 && ev->dir == MS_DIR_C2S && ev->offset != MS_NO_OFFSET
          && g_strcmp0 (ev->kind, "command") == 0)
        {
          g_hash_table_replace (commands,
                                g_strdup_printf ("%u:%" G_GUINT64_FORMAT, session, ev->offset),
                                (gpointer) ms_event_get_str (ev, "args"));
          continue;
        }
      /* UIDs count per mailbox: a message is known by the SELECT or
       * EXAMINE that completed before it too. */
      if (ev->proto == MS_PROTO_IMAP && g_strcmp0 (ev->kind, "command") == 0
          && (g_strcmp0 (ms_event_get_str (ev, "command"), "SELECT") == 0
              || g_strcmp0 (ms_event_get_str (ev, "command"), "EXAMINE") == 0))
        {
          g_hash_table_replace (selects,
                                g_strdup_printf ("%u:%s", session, ms_event_get_str (ev, "tag")),
                                (gpointer) ms_event_get_str (ev, "args"));
          continue;
        }
      if (ev->proto == MS_PROTO_IMAP && g_strcmp0 (ev->kind, "completion") == 0
          && (g_strcmp0 (for_cmd, "SELECT") == 0 || g_strcmp0 (for_cmd, "EXAMINE") == 0))
        {
          g_autofree char *key = g_strdup_printf ("%u:%s", session, ms_event_get_str (ev, "tag"));
          const char *args = g_hash_table_lookup (selects, key);
          guint epoch = GPOINTER_TO_UINT (g_hash_table_lookup (epochs, GUINT_TO_POINTER (session)));
          g_autofree char *name = args ? g_strdup (args) : NULL;

          if (name)
            {
              /* The first argument, without its quotes. */
              char *sp = name[0] == '"' ? strchr (name + 1, '"') : strchr (name, ' ');
              if (sp)
                *sp = '\0';
            }
          g_hash_table_insert (epochs, GUINT_TO_POINTER (session), GUINT_TO_POINTER (epoch + 1));
          g_hash_table_insert (mailboxes, GUINT_TO_POINTER (session),
                               name ? g_string_chunk_insert_const (scan->names,
                                                                   name[0] == '"' ? name + 1 : name)
                                    : NULL);
          continue;
        }
      if (ev->dir != MS_DIR_S2C || ev->offset == MS_NO_OFFSET)
        continue;

      memset (&rec, 0, sizeof rec);
      memset (&range, 0, sizeof range);
      rec.event = indices[i];
      rec.session = session;
      rec.step = ev->step;
      rec.frame = ev->frame;
      rec.flags = ev->flags;
      rec.uid = -1;
      rec.size = -1;
      rec.top_lines = -1;
      rec.content_bytes = (guint64) MAX (ms_event_get_int (ev, "content_bytes", 0), 0);

      if (ev->proto == MS_PROTO_IMAP && g_strcmp0 (ms_event_get_str (ev, "kind"), "FETCH") == 0)
        {
          const MsField *parts = ms_event_get (ev, "parts");
          rec.kind = MS_MSG_IMAP_FETCH;
          rec.mailbox_epoch = GPOINTER_TO_UINT (g_hash_table_lookup (epochs, GUINT_TO_POINTER (session)));
          rec.mailbox = g_hash_table_lookup (mailboxes, GUINT_TO_POINTER (session));
          rec.number = (guint) ms_event_get_int (ev, "number", 0);
          rec.uid = ms_event_get_int (ev, "message_uid", -1);
          if (parts && parts->type == MS_VAL_NODE)
            rec.structure = ms_mime_info_from_structure (parts->v.node);
        }
      else if (ev->proto == MS_PROTO_POP3 && g_strcmp0 (status, "+OK") == 0
               && (g_strcmp0 (for_cmd, "RETR") == 0 || g_strcmp0 (for_cmd, "TOP") == 0
                   || g_strcmp0 (for_cmd, "LIST") == 0))
        {
          g_autofree char *key = g_strdup_printf ("%u:%" G_GINT64_FORMAT, session,
                                                  ms_event_get_int (ev, "for_offset", -1));
          const char *args = g_hash_table_lookup (commands, key);

          rec.kind = g_str_equal (for_cmd, "RETR") ? MS_MSG_POP3_RETR
                     : g_str_equal (for_cmd, "TOP") ? MS_MSG_POP3_TOP : MS_MSG_POP3_LIST;
          pop3_args (args, &rec.number, &rec.top_lines);
          if (rec.kind == MS_MSG_POP3_LIST && rec.number > 0)
            {
              /* "+OK 2 1400" answers LIST 2 on its status line. */
              guint number = 0;
              gint64 size = -1;
              if (ev->info && g_str_has_prefix (ev->info, "+OK "))
                pop3_args (ev->info + 4, &number, &size);
              rec.list_sizes = g_hash_table_new (NULL, NULL);
              if (number > 0 && size >= 0)
                g_hash_table_insert (rec.list_sizes, GUINT_TO_POINTER (number),
                                     GSIZE_TO_POINTER ((gsize) size));
              ev = NULL;  /* nothing to read back */
            }
          else if (rec.kind != MS_MSG_POP3_LIST && rec.number == 0)
            continue;
        }
      else
        continue;

      if (ev && ev->length > 0)
        {
          range.frames = session_frames (scan, session);
          range.off = ev->offset;
          range.len = MIN (ev->length, (guint64) MS_MESSAGE_MAX_BYTES);
          range.capped = range.len < ev->length;
          rec.capped = range.capped;
          if (total + range.len > MS_MESSAGE_MAX_TOTAL)
            {
              rec.not_read = TRUE;
              memset (&range, 0, sizeof range);
            }
          else
            total += range.len;
        }
      g_array_append_val (scan->records, rec);
      g_array_append_val (scan->ranges, range);
    }
  ms_extract_collect_frames (capture, scan->frames, MS_DIR_S2C);
  return scan;
}

/* --- reading and parsing (worker) ---------------------------------------- */

/* Parses the body of one part that was fetched on its own (BODY[2]) by
 * giving it the header its structure describes. */
static MsMimeInfo *
parse_part_body (const MsMimeInfo *part, const guint8 *data, gsize len, const GArray *missing,
                 gboolean complete)
{
  g_autoptr (GByteArray) msg = g_byte_array_new ();
  g_autoptr (GArray) shifted = g_array_new (FALSE, FALSE, sizeof (MsByteRange));
  g_autofree char *head = g_strdup_printf ("Content-Type: %s; charset=%s\r\n"
                                           "Content-Transfer-Encoding: %s\r\n\r\n",
                                           part->type, part->charset ? part->charset : "utf-8",
                                           part->encoding ? part->encoding : "7bit");
  gsize hl = strlen (head);
  MsMimeInfo *info;

  g_byte_array_append (msg, (const guint8 *) head, (guint) hl);
  g_byte_array_append (msg, data, (guint) len);
  for (guint i = 0; missing && i < missing->len; i++)
    {
      MsByteRange m = g_array_index (missing, MsByteRange, i);
      m.start += hl;
      m.end += hl;
      g_array_append_val (shifted, m);
    }
  info = ms_mime_info_parse (msg->data, msg->len, shifted, complete, NULL);
  /* The made-up header says nothing about the part: keep only what its
   * structure said. */
  g_free (info->charset);
  info->charset = g_strdup (part->charset);
  return info;
}

/* Missing ranges of `r` inside [start, start + len), made relative to start. */
static GArray *
sub_missing (const MsStreamRange *r, gsize start, gsize len)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (MsByteRange));
  for (guint i = 0; r->missing && i < r->missing->len; i++)
    {
      const MsByteRange *m = &g_array_index (r->missing, MsByteRange, i);
      gsize a = MAX (m->start, start), b = MIN (m->end, start + len);
      if (a < b)
        {
          MsByteRange s = { a - start, b - start };
          g_array_append_val (out, s);
        }
    }
  return out;
}

static gboolean
is_part_number (const char *section)
{
  if (section == NULL || !g_ascii_isdigit (section[0]))
    return FALSE;
  for (const char *p = section; *p; p++)
    if (!g_ascii_isdigit (*p) && *p != '.')
      return FALSE;
  return TRUE;
}

char *
ms_message_record_key (const MsMsgRecord *rec)
{
  if (rec->kind != MS_MSG_IMAP_FETCH)
    return g_strdup_printf ("%u:p%u", rec->session, rec->number);
  if (rec->uid >= 0)
    return g_strdup_printf ("%u:%u:u%" G_GINT64_FORMAT, rec->session, rec->mailbox_epoch, rec->uid);
  return g_strdup_printf ("%u:%u:n%u", rec->session, rec->mailbox_epoch, rec->number);
}

#define record_key ms_message_record_key

static void
scan_imap (MsMsgRecord *rec, const MsStreamRange *range, GHashTable *structures)
{
  MsFetchData fd;
  g_autofree char *key = NULL;
  MsMimeInfo *structure;

  if (!ms_extract_imap_fetch (range, &fd))
    {
      ms_fetch_data_clear (&fd);
      return;
    }
  if (fd.uid >= 0)
    rec->uid = fd.uid;
  rec->number = fd.number;
  rec->size = fd.size;
  if (fd.has_envelope)
    ms_mail_headers_copy (&rec->headers, &fd.envelope);
  key = record_key (rec);
  if (rec->structure)
    g_hash_table_replace (structures, g_strdup (key), rec->structure);
  structure = g_hash_table_lookup (structures, key);

  rec->sections = g_array_new (FALSE, TRUE, sizeof (MsMsgSection));
  for (guint i = 0; i < fd.sections->len; i++)
    {
      MsMsgSection s;
      const char *name;
      g_autoptr (GArray) missing = NULL;

      memset (&s, 0, sizeof s);
      s.item = g_array_index (fd.sections, MsFetchSection, i);
      g_array_index (fd.sections, MsFetchSection, i).section = NULL;  /* moved */
      name = s.item.section;
      if (s.item.data_len > 0)
        {
          const guint8 *d = range->data + s.item.data_start;
          gboolean complete = !s.item.cut && s.item.got == s.item.announced;
          missing = sub_missing (range, s.item.data_start, s.item.data_len);
          rec->kept += s.item.data_len;
          if (s.item.binary)
            ;  /* decoded bytes: counted, not parsed */
          else if (name[0] == '\0' && s.item.origin <= 0)
            s.parsed = ms_mime_info_parse (d, s.item.data_len, missing,
                                           complete && s.item.origin < 0, &s.headers);
          else if (g_str_has_prefix (name, "HEADER"))
            ms_mime_info_free (ms_mime_info_parse (d, s.item.data_len, missing, TRUE, &s.headers));
          else if (is_part_number (name) && structure && s.item.origin <= 0)
            {
              const MsMimeInfo *part = ms_mime_info_find (structure, name);
              if (part && part->children->len == 0)
                s.parsed = parse_part_body (part, d, s.item.data_len, missing,
                                            complete && s.item.origin < 0);
            }
        }
      g_array_append_val (rec->sections, s);
    }
  ms_fetch_data_clear (&fd);
}

static void
scan_pop3 (MsMsgRecord *rec, const MsStreamRange *range)
{
  g_autoptr (GArray) missing = NULL;
  g_autoptr (GByteArray) body = NULL;

  if (range->len < 3 || memcmp (range->data, "+OK", 3) != 0)
    return;
  if (rec->kind == MS_MSG_POP3_LIST)
    {
      rec->list_sizes = ms_extract_pop3_list (range);
      return;
    }
  body = ms_extract_pop3_payload (range, &missing, &rec->terminated);
  rec->kept = body->len;
  rec->parsed = ms_mime_info_parse (body->data, body->len, missing,
                                    rec->kind == MS_MSG_POP3_RETR && rec->terminated && !rec->capped,
                                    &rec->headers);
}

gboolean
ms_message_scan_run (MsMessageScan *scan, GCancellable *cancellable, GError **error)
{
  g_autoptr (GPtrArray) wanted = g_ptr_array_new ();
  g_autoptr (GHashTable) structures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gboolean ok;

  for (guint i = 0; i < scan->ranges->len; i++)
    {
      MsStreamRange *r = &g_array_index (scan->ranges, MsStreamRange, i);
      if (r->len > 0)
        g_ptr_array_add (wanted, r);
    }
  ok = ms_extract_read_ranges (scan->path, (MsStreamRange **) wanted->pdata, wanted->len,
                               cancellable, error);
  for (guint i = 0; i < scan->records->len; i++)
    {
      MsMsgRecord *rec = &g_array_index (scan->records, MsMsgRecord, i);
      MsStreamRange *r = &g_array_index (scan->ranges, MsStreamRange, i);

      if (r->len == 0 || r->data == NULL || !ok)
        {
          rec->not_read |= r->len > 0;
          if (rec->structure)
            {
              g_hash_table_replace (structures, record_key (rec), rec->structure);
            }
          continue;
        }
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (rec->kind == MS_MSG_IMAP_FETCH)
        scan_imap (rec, r, structures);
      else
        scan_pop3 (rec, r);
      scan->kept += rec->kept;
      /* The bytes are no longer needed once parsed. */
      ms_stream_range_clear (r);
    }
  return ok;
}

void
ms_message_scan_skip (MsMessageScan *scan)
{
  for (guint i = 0; i < scan->records->len; i++)
    {
      MsStreamRange *r = &g_array_index (scan->ranges, MsStreamRange, i);
      MsMsgRecord *rec = &g_array_index (scan->records, MsMsgRecord, i);
      rec->skipped = rec->not_read = rec->not_read || r->len > 0;
      r->len = 0;
    }
}

static void
run_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  if (ms_message_scan_run (task_data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
ms_message_scan_run_async (MsMessageScan *scan, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_task_data (task, ms_message_scan_ref (scan), (GDestroyNotify) ms_message_scan_unref);
  g_task_run_in_thread (task, run_thread);
}

gboolean
ms_message_scan_run_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

guint
ms_message_scan_get_n_records (MsMessageScan *scan)
{
  return scan->records->len;
}

const MsMsgRecord *
ms_message_scan_get_record (MsMessageScan *scan, guint i)
{
  return &g_array_index (scan->records, MsMsgRecord, i);
}

guint64
ms_message_scan_get_kept (MsMessageScan *scan)
{
  return scan->kept;
}
