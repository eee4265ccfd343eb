/* ms-message-view.c - the messages of a session as MIME trees: what each
 * FETCH or RETR/TOP carried, parsed from the bytes that crossed the wire
 * (read back from the capture in a worker thread), part by part with how
 * much of each part arrived. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "mailscope/ms-lesson.h"
#include "ms-app-resources.h"
#include "ms-message-node.h"
#include "ms-message-scan.h"
#include "ms-message-tree.h"
#include "ms-message-view.h"

struct _MsMessageView
{
  GtkWidget parent_instance;

  /* template widgets */
  GtkListView *list_view;
  GtkStack *stack;

  /* owned */
  GListStore *root;
  GtkTreeListModel *tree;
  MsCapture *capture;           /* of the scan */
  MsMessageScan *scan;
  GCancellable *cancellable;
  char *error;                  /* why the bytes could not be read, or NULL */
  guint session;
  guint n_indices, first_index, last_index;
  MsStep reveal;
  gboolean live;                /* the scan was made during a live capture */
  guint built_records;          /* records shown by the last build, G_MAXUINT: none */
  gboolean loading;
};

G_DEFINE_FINAL_TYPE (MsMessageView, ms_message_view, GTK_TYPE_WIDGET)

/* The session's totals: the decoder's count of message content. */
static MsMessageNode *
totals_row (MsMessageView *self)
{
  const MsSessionSummary *s = self->capture && self->session
                                ? ms_capture_find_session (self->capture, self->session)
                                : NULL;
  g_autofree char *moved = NULL;
  g_autofree char *total = NULL;
  MsMessageNode *node;

  if (s == NULL || s->content_bytes == 0)
    return NULL;
  moved = ms_message_format_size (s->content_bytes);
  total = s->mailbox_bytes >= 0 ? ms_message_format_size ((guint64) s->mailbox_bytes) : NULL;
  node = ms_message_node_new ("mail-send-receive-symbolic",
                              /* TRANSLATORS: "4.2 KiB of 1.2 MiB" of message content */
                              total ? g_strdup_printf (_("Message content moved in this session: %s of %s in the mailbox"),
                                                       moved, total)
                                    : g_strdup_printf (_("Message content moved in this session: %s"), moved));
  return node;
}

static guint
n_revealed (MsMessageView *self)
{
  guint n = 0;
  for (guint i = 0; self->scan && i < ms_message_scan_get_n_records (self->scan); i++)
    n += ms_message_scan_get_record (self->scan, i)->step <= self->reveal;
  return n;
}

/* Opens the rows of messages whose content crossed the wire. */
static void
expand_rows (MsMessageView *self)
{
  GListModel *rows = G_LIST_MODEL (self->tree);

  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr (GtkTreeListRow) row = g_list_model_get_item (rows, i);
      MsMessageNode *node = gtk_tree_list_row_get_item (row);

      if (ms_message_node_get_expand (node) && gtk_tree_list_row_is_expandable (row))
        gtk_tree_list_row_set_expanded (row, TRUE);
      g_object_unref (node);
    }
}

static void
rebuild (MsMessageView *self, gboolean force)
{
  g_autoptr (GPtrArray) rows = NULL;
  MsMessageNode *totals;
  guint revealed = n_revealed (self);

  if (!force && revealed == self->built_records)
    return;
  self->built_records = revealed;
  rows = self->scan ? ms_message_tree_build (self->scan, self->reveal)
                    : g_ptr_array_new_with_free_func (g_object_unref);
  if (self->live && rows->len > 0)
    {
      MsMessageNode *note = ms_message_node_new ("media-record-symbolic",
                                                 g_strdup (_("Message contents are read once the capture stops")));
      g_ptr_array_insert (rows, 0, note);
    }
  if (self->error)
    {
      MsMessageNode *note = ms_message_node_new ("dialog-warning-symbolic",
                                                 g_strdup (_("The message bytes could not be read back")));
      ms_message_node_take_detail (note, g_strdup (self->error));
      g_ptr_array_insert (rows, 0, note);
    }
  if (rows->len > 0 && (totals = totals_row (self)))
    g_ptr_array_insert (rows, 0, totals);
  g_list_store_splice (self->root, 0, g_list_model_get_n_items (G_LIST_MODEL (self->root)),
                       rows->pdata, rows->len);
  expand_rows (self);
  gtk_stack_set_visible_child_name (self->stack, rows->len ? "tree" : "empty");
}

typedef struct {
  GWeakRef view;
  MsMessageScan *scan;
} Pending;

static void
on_scan_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Pending *p = data;
  g_autoptr (GError) error = NULL;
  gboolean ok = ms_message_scan_run_finish (result, &error);
  MsMessageView *self = g_weak_ref_get (&p->view);

  if (self && self->scan == p->scan
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      self->loading = FALSE;
      g_clear_pointer (&self->error, g_free);
      if (!ok)
        self->error = g_strdup (error->message);
      rebuild (self, TRUE);
    }
  g_clear_object (&self);
  g_weak_ref_clear (&p->view);
  ms_message_scan_unref (p->scan);
  g_free (p);
}

static void
cancel_scan (MsMessageView *self)
{
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->scan, ms_message_scan_unref);
  g_clear_pointer (&self->error, g_free);
  self->loading = FALSE;
}

void
ms_message_view_set_events (MsMessageView *self, MsCapture *capture, guint session,
                            const guint *indices, guint n, MsStep reveal)
{
  gboolean live = capture && ms_capture_is_live (capture);
  gboolean same = capture == self->capture && session == self->session && n == self->n_indices
                  && (n == 0 || (indices[0] == self->first_index && indices[n - 1] == self->last_index))
                  && live == self->live;
  Pending *p;

  self->reveal = reveal;
  if (same && (self->scan || n == 0))
    {
      if (!self->loading)
        rebuild (self, FALSE);
      return;
    }
  cancel_scan (self);
  g_set_object (&self->capture, capture);
  self->session = session;
  self->n_indices = n;
  self->first_index = n ? indices[0] : 0;
  self->last_index = n ? indices[n - 1] : 0;
  self->built_records = G_MAXUINT;
  self->live = live;
  if (capture == NULL || n == 0)
    {
      rebuild (self, TRUE);
      return;
    }
  self->scan = ms_message_scan_new (capture, indices, n);
  if (ms_message_scan_get_n_records (self->scan) == 0 || live)
    {
      /* While capturing, the file is still being written: the rows come
       * from the events alone, the bytes are read once it stops. */
      ms_message_scan_skip (self->scan);
      rebuild (self, TRUE);
      return;
    }
  /* Reading a large message back and parsing it takes a while. */
  self->loading = TRUE;
  self->cancellable = g_cancellable_new ();
  gtk_stack_set_visible_child_name (self->stack, "loading");
  p = g_new0 (Pending, 1);
  g_weak_ref_init (&p->view, self);
  p->scan = ms_message_scan_ref (self->scan);
  ms_message_scan_run_async (self->scan, self->cancellable, on_scan_done, p);
}

GListModel *
ms_message_view_get_rows (MsMessageView *self)
{
  return G_LIST_MODEL (self->tree);
}

gboolean
ms_message_view_is_loading (MsMessageView *self)
{
  return self->loading;
}

static void
ms_message_view_dispose (GObject *object)
{
  MsMessageView *self = MS_MESSAGE_VIEW (object);

  cancel_scan (self);
  g_clear_object (&self->capture);
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
  g_type_ensure (MS_TYPE_MESSAGE_NODE);
  /* GMime is set up once, here on the main thread, before any worker
   * parses with it. */
  ms_mime_init ();
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
  self->root = g_list_store_new (MS_TYPE_MESSAGE_NODE);
  self->tree = gtk_tree_list_model_new (G_LIST_MODEL (g_object_ref (self->root)), FALSE, FALSE,
                                        ms_message_node_create_children, NULL, NULL);
  self->built_records = G_MAXUINT;
  sel = gtk_no_selection_new (G_LIST_MODEL (g_object_ref (self->tree)));
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (sel));
  g_object_unref (sel);
}

GtkWidget *
ms_message_view_new (void)
{
  return g_object_new (MS_TYPE_MESSAGE_VIEW, NULL);
}
