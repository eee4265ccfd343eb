/* ms-lab-message.c - the messages of the lab panel: the sample message
 * "Deliver New Message" writes (built with GMime), the From and Subject of
 * listed messages, and the mailbox list's rows. */
#include "config.h"

#include <string.h>

#include <gmime/gmime.h>
#include <glib/gi18n-lib.h>

#include "lab/ms-maildir.h"
#include "ms-lab-message.h"

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

void
ms_lab_message_summary (GBytes *bytes, char **from, char **subject)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  len = MIN (len, MS_LAB_MESSAGE_MAX_HEADER);
  /* Only the header is parsed: up to the first empty line. */
  for (gsize i = 0; i + 1 < len; i++)
    if (data[i] == '\n' && (data[i + 1] == '\n' || (data[i + 1] == '\r' && i + 2 < len
                                                    && data[i + 2] == '\n')))
      {
        len = i + 1;
        break;
      }
  ensure_gmime ();
  GMimeStream *stream = g_mime_stream_mem_new_with_buffer (data, len);
  GMimeParser *parser = g_mime_parser_new_with_stream (stream);
  GMimeMessage *msg = g_mime_parser_construct_message (parser, NULL);
  if (msg)
    {
      InternetAddressList *list = g_mime_message_get_from (msg);
      if (list && internet_address_list_length (list) > 0)
        {
          InternetAddress *a = internet_address_list_get_address (list, 0);
          const char *name = internet_address_get_name (a);
          if (name && *name)
            *from = g_strdup (name);
          else if (INTERNET_ADDRESS_IS_MAILBOX (a))
            *from = g_strdup (internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (a)));
        }
      *subject = g_strdup (g_mime_message_get_subject (msg));
      g_object_unref (msg);
    }
  g_object_unref (parser);
  g_object_unref (stream);
}

/* --- one row of the mailbox list --------------------------------------- */

struct _MsLabMessageItem
{
  GObject parent_instance;
  guint32 uid;
  char *from, *subject, *date, *size, *flags;
};

G_DEFINE_FINAL_TYPE (MsLabMessageItem, ms_lab_message_item, G_TYPE_OBJECT)

enum { ITEM_PROP_0, ITEM_PROP_FROM, ITEM_PROP_SUBJECT, ITEM_PROP_DATE, ITEM_PROP_SIZE,
       ITEM_PROP_FLAGS, ITEM_N_PROPS };

static void
ms_lab_message_item_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  MsLabMessageItem *self = MS_LAB_MESSAGE_ITEM (object);
  const char *const values[] = { NULL, self->from, self->subject, self->date, self->size,
                                 self->flags };
  if (id > 0 && id < ITEM_N_PROPS)
    g_value_set_string (value, values[id]);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
}

static void
ms_lab_message_item_finalize (GObject *object)
{
  MsLabMessageItem *self = MS_LAB_MESSAGE_ITEM (object);
  g_free (self->from);
  g_free (self->subject);
  g_free (self->date);
  g_free (self->size);
  g_free (self->flags);
  G_OBJECT_CLASS (ms_lab_message_item_parent_class)->finalize (object);
}

static void
ms_lab_message_item_class_init (MsLabMessageItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  static const char *const names[] = { NULL, "from", "subject", "date", "size", "flags" };
  object_class->get_property = ms_lab_message_item_get_property;
  object_class->finalize = ms_lab_message_item_finalize;
  for (guint i = 1; i < ITEM_N_PROPS; i++)
    g_object_class_install_property (
      object_class, i,
      g_param_spec_string (names[i], NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

static void
ms_lab_message_item_init (MsLabMessageItem *self)
{
}

guint32
ms_lab_message_item_get_uid (MsLabMessageItem *item)
{
  return item->uid;
}

const char *
ms_lab_message_item_get_subject (MsLabMessageItem *item)
{
  return item->subject;
}

MsLabMessageItem *
ms_lab_message_item_new (const MsLabMessageInfo *m)
{
  MsLabMessageItem *item = g_object_new (MS_TYPE_LAB_MESSAGE_ITEM, NULL);
  item->uid = m->uid;
  item->from = g_strdup (m->from);
  item->subject = g_strdup (m->subject);
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_local (m->date);
  item->date = dt ? g_date_time_format (dt, "%Y-%m-%d %H:%M") : g_strdup ("");
  item->size = g_format_size ((guint64) m->size);
  /* The IMAP names teach what a client sees. */
  item->flags = ms_msg_flags_to_imap (m->flags, TRUE);
  return item;
}

/* --- the sample message ------------------------------------------------ */

/* A small timetable: the attachment a student can save with a client. */
static const char sample_attachment[] =
  "day,time,room,topic\n"
  "Monday,09:00,Lab 2,IMAP: folders and flags\n"
  "Wednesday,09:00,Lab 2,POP3: download and delete\n"
  "Friday,09:00,Lab 2,TLS: STARTTLS and implicit TLS\n";

GBytes *
ms_lab_sample_message (const char *user, guint n, gboolean attachment)
{
  ensure_gmime ();
  GMimeMessage *msg = g_mime_message_new (TRUE);
  g_mime_message_add_mailbox (msg, GMIME_ADDRESS_TYPE_FROM, _("Mailscope Lab"),
                              "postmaster@mailscope.test");
  g_autofree char *to = g_strdup_printf ("%s@mailscope.test", user);
  g_mime_message_add_mailbox (msg, GMIME_ADDRESS_TYPE_TO, user, to);
  g_autofree char *subject = g_strdup_printf (_("Lab message %u"), n);
  g_mime_message_set_subject (msg, subject, "utf-8");
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_mime_message_set_date (msg, now);
  g_autofree char *id = g_mime_utils_generate_message_id ("mailscope.test");
  g_mime_message_set_message_id (msg, id);

  GMimeTextPart *text = g_mime_text_part_new_with_subtype ("plain");
  g_autofree char *body = g_strdup_printf (
    _("Hello %s,\n\nthis message was delivered by the lab panel into your INBOX, the way a "
      "mail server stores incoming mail. Your client finds it the next time it looks, or at "
      "once if it waits with IDLE.\n\nThe Mailscope lab\n"),
    user);
  g_mime_text_part_set_text (text, body);
  if (attachment)
    {
      GMimeMultipart *mixed = g_mime_multipart_new_with_subtype ("mixed");
      g_mime_multipart_add (mixed, GMIME_OBJECT (text));
      GMimePart *att = g_mime_part_new_with_type ("text", "csv");
      g_mime_part_set_filename (att, "timetable.csv");
      GMimeStream *stream = g_mime_stream_mem_new_with_buffer (sample_attachment,
                                                               strlen (sample_attachment));
      GMimeDataWrapper *content = g_mime_data_wrapper_new_with_stream (
        stream, GMIME_CONTENT_ENCODING_DEFAULT);
      g_mime_part_set_content (att, content);
      g_mime_part_set_content_encoding (att, GMIME_CONTENT_ENCODING_BASE64);
      g_object_unref (content);
      g_object_unref (stream);
      g_mime_multipart_add (mixed, GMIME_OBJECT (att));
      g_object_unref (att);
      g_mime_message_set_mime_part (msg, GMIME_OBJECT (mixed));
      g_object_unref (mixed);
    }
  else
    g_mime_message_set_mime_part (msg, GMIME_OBJECT (text));
  g_object_unref (text);

  GMimeStream *out = g_mime_stream_mem_new ();
  g_mime_object_write_to_stream (GMIME_OBJECT (msg), NULL, out);
  GByteArray *ba = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (out));
  GBytes *bytes = g_bytes_new (ba->data, ba->len);
  g_object_unref (out);
  g_object_unref (msg);
  return bytes;
}
