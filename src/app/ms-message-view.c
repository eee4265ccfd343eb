/* ms-message-view.c - message structures from FETCH responses (IMAP) and
 * whole downloads (POP3 RETR/TOP), as a tree. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "mailscope/ms-lesson.h"
#include "ms-app-resources.h"
#include "ms-packet-detail.h"
#include "ms-message-view.h"

/* MIME nesting shown; deeper parts are summarised by their parent. */
#define MS_MESSAGE_MAX_DEPTH 16

struct _MsMessageView
{
  GtkWidget parent_instance;

  /* template widgets */
  GtkListView *list_view;
  GtkStack *stack;

  /* owned */
  GListStore *root;
  GtkTreeListModel *tree;
};

G_DEFINE_FINAL_TYPE (MsMessageView, ms_message_view, GTK_TYPE_WIDGET)

static char *
part_label (JsonObject *o)
{
  const char *part = json_object_get_string_member_with_default (o, "part", NULL);
  const char *type = json_object_get_string_member_with_default (o, "type", "?");
  const char *name = json_object_get_string_member_with_default (o, "filename", NULL);
  gint64 size = json_object_get_int_member_with_default (o, "size", -1);
  GString *s = g_string_new (NULL);

  if (part)
    g_string_append_printf (s, _("Part %s: "), part);
  g_string_append (s, type);
  if (size >= 0)
    {
      g_autofree char *sz = g_format_size ((guint64) size);
      g_string_append_printf (s, " · %s", sz);
    }
  if (!name)
    name = json_object_get_string_member_with_default (o, "name", NULL);
  if (name)
    g_string_append_printf (s, " · “%s”", name);
  return g_string_free (s, FALSE);
}

static void
add_parts (GListStore *store, JsonNode *node, guint depth)
{
  JsonObject *o;
  MsDetailNode *n;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node) || depth > MS_MESSAGE_MAX_DEPTH)
    return;
  o = json_node_get_object (node);
  n = ms_detail_node_new (part_label (o), 0, 0);
  g_list_store_append (store, n);
  if (json_object_has_member (o, "children"))
    {
      JsonArray *kids = json_object_get_array_member (o, "children");
      for (guint i = 0; kids && i < json_array_get_length (kids); i++)
        add_parts (ms_detail_node_get_children (n), json_array_get_element (kids, i), depth + 1);
    }
  g_object_unref (n);
}

/* The node of a message, found by its UID (or sequence number). */
static MsDetailNode *
message_node (GListStore *top, GHashTable *by_key, MsEvent *ev)
{
  gint64 uid = ms_event_get_int (ev, "message_uid", -1);
  gint64 number = ms_event_get_int (ev, "number", -1);
  g_autofree char *key = uid >= 0 ? g_strdup_printf ("u%" G_GINT64_FORMAT, uid)
                                   : g_strdup_printf ("n%" G_GINT64_FORMAT, number);
  MsDetailNode *n = g_hash_table_lookup (by_key, key);

  if (n)
    return n;
  if (uid >= 0)
    /* IMAP numbers and UIDs are 32-bit (RFC 9051). */
    n = ms_detail_node_new (g_strdup_printf (_("Message %u (UID %u)"), (guint) number, (guint) uid),
                            0, 0);
  else
    n = ms_detail_node_new (g_strdup_printf (_("Message %u"), (guint) number), 0, 0);
  g_list_store_append (top, n);
  g_hash_table_insert (by_key, g_steal_pointer (&key), n);
  g_object_unref (n);
  return n;
}

void
ms_message_view_set_events (MsMessageView *self, MsCapture *capture, guint session,
                            const guint *indices, guint n, MsStep reveal)
{
  g_autoptr (GHashTable) by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GListStore *top = g_list_store_new (MS_TYPE_DETAIL_NODE);
  const MsSessionSummary *s = capture ? ms_capture_find_session (capture, session) : NULL;
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  guint pop3 = 0;

  for (guint i = 0; capture && i < n; i++)
    {
      MsEvent *ev = ms_capture_get_event (capture, indices[i]);
      const MsField *parts = ms_event_get (ev, "parts");
      const char *section = ms_event_get_str (ev, "section_info");
      gint64 content = ms_event_get_int (ev, "content_bytes", -1);

      if (ev->step > reveal)
        continue;
      if (ev->proto == MS_PROTO_IMAP && g_strcmp0 (ms_event_get_str (ev, "kind"), "FETCH") == 0
          && (parts || section))
        {
          MsDetailNode *m = message_node (top, by_key, ev);
          if (parts && parts->type == MS_VAL_NODE
              && g_list_model_get_n_items (G_LIST_MODEL (ms_detail_node_get_children (m))) == 0)
            add_parts (ms_detail_node_get_children (m), parts->v.node, 0);
          if (section)
            {
              MsDetailNode *d = ms_detail_node_new (
                  g_strdup_printf (_("Downloaded in frame %u: %s"), ev->frame, section), 0, 0);
              g_list_store_append (ms_detail_node_get_children (m), d);
              g_object_unref (d);
            }
        }
      else if (ev->proto == MS_PROTO_POP3 && content >= 0)
        {
          g_autofree char *sz = g_format_size ((guint64) content);
          MsDetailNode *d = ms_detail_node_new (
              g_strdup_printf (_("Message downloaded whole in frame %u: %s (%s)"), ev->frame, sz,
                               ms_event_get_str (ev, "for_command") ? ms_event_get_str (ev, "for_command") : "RETR"),
              0, 0);
          g_list_store_append (top, d);
          g_object_unref (d);
          pop3++;
        }
    }
  if (s && s->content_bytes > 0)
    {
      g_autofree char *moved = g_format_size (s->content_bytes);
      g_autofree char *total = s->mailbox_bytes >= 0 ? g_format_size ((guint64) s->mailbox_bytes) : NULL;
      /* TRANSLATORS: "4.1 kB of 1.2 MB" of message content in the session */
      MsDetailNode *d = ms_detail_node_new (total ? g_strdup_printf (_("Message content moved in this session: %s of %s in the mailbox"), moved, total)
                                                  : g_strdup_printf (_("Message content moved in this session: %s"), moved),
                                            0, 0);
      g_list_store_insert (top, 0, d);
      g_object_unref (d);
    }
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (top)); i++)
    g_ptr_array_add (items, g_list_model_get_item (G_LIST_MODEL (top), i));
  g_list_store_splice (self->root, 0, g_list_model_get_n_items (G_LIST_MODEL (self->root)),
                       items->pdata, items->len);
  g_object_unref (top);
  gtk_stack_set_visible_child_name (self->stack, items->len ? "tree" : "empty");
}

GListModel *
ms_message_view_get_rows (MsMessageView *self)
{
  return G_LIST_MODEL (self->tree);
}

static void
ms_message_view_dispose (GObject *object)
{
  MsMessageView *self = MS_MESSAGE_VIEW (object);

  if (self->list_view)
    gtk_list_view_set_model (self->list_view, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), MS_TYPE_MESSAGE_VIEW);
  /* Children without an id are not cleared by the template. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self)));)
    gtk_widget_unparent (child);
  g_clear_object (&self->tree);
  g_clear_object (&self->root);
  G_OBJECT_CLASS (ms_message_view_parent_class)->dispose (object);
}

static void
ms_message_view_class_init (MsMessageViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = ms_message_view_dispose;
  g_type_ensure (MS_TYPE_DETAIL_NODE);
  /* Referencing the bundle links it in, and its constructor registers it,
   * even from the static library. */
  (void) ms_app_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/mailscope/Mailscope/ms-message-view.ui");
  gtk_widget_class_bind_template_child (widget_class, MsMessageView, list_view);
  gtk_widget_class_bind_template_child (widget_class, MsMessageView, stack);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ms_message_view_init (MsMessageView *self)
{
  GtkNoSelection *sel;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->root = g_list_store_new (MS_TYPE_DETAIL_NODE);
  self->tree = gtk_tree_list_model_new (G_LIST_MODEL (g_object_ref (self->root)), FALSE, TRUE,
                                        ms_detail_node_create_children, NULL, NULL);
  sel = gtk_no_selection_new (G_LIST_MODEL (g_object_ref (self->tree)));
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (sel));
  g_object_unref (sel);
}

GtkWidget *
ms_message_view_new (void)
{
  return g_object_new (MS_TYPE_MESSAGE_VIEW, NULL);
}
