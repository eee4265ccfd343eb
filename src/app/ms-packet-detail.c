/* ms-packet-detail.c - decodes one frame again (ms_packet_decode) and lists
 * its layers with their byte ranges, then the events completed in it with
 * their fields, mapped from stream offsets back to the frame's bytes. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "mailscope/ms-packet.h"
#include "mailscope/ms-lesson.h"
#include "ms-hex-view.h"
#include "ms-app-resources.h"
#include "ms-packet-detail.h"

/* Characters of a JSON value (a MIME tree, DNS answers) shown on one row. */
#define MS_DETAIL_VALUE_CHARS 160

/* ---------------------------------------------------------------------- */
/* MsDetailNode                                                           */

struct _MsDetailNode
{
  GObject parent_instance;
  char *label;
  guint offset;
  guint length;
  GListStore *children;  /* owned, NULL for a leaf */
};

enum { NODE_PROP_0, NODE_PROP_LABEL, NODE_N_PROPS };
static GParamSpec *node_props[NODE_N_PROPS];

G_DEFINE_FINAL_TYPE (MsDetailNode, ms_detail_node, G_TYPE_OBJECT)

static void
ms_detail_node_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  if (prop_id == NODE_PROP_LABEL)
    g_value_set_string (value, MS_DETAIL_NODE (object)->label);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
ms_detail_node_finalize (GObject *object)
{
  MsDetailNode *self = MS_DETAIL_NODE (object);
  g_free (self->label);
  g_clear_object (&self->children);
  G_OBJECT_CLASS (ms_detail_node_parent_class)->finalize (object);
}

static void
ms_detail_node_class_init (MsDetailNodeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->get_property = ms_detail_node_get_property;
  object_class->finalize = ms_detail_node_finalize;
  node_props[NODE_PROP_LABEL] = g_param_spec_string ("label", NULL, NULL, NULL,
                                                     G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, NODE_N_PROPS, node_props);
}

static void
ms_detail_node_init (MsDetailNode *self)
{
}

const char *
ms_detail_node_get_label (MsDetailNode *self)
{
  return self->label;
}

guint
ms_detail_node_get_offset (MsDetailNode *self)
{
  return self->offset;
}

guint
ms_detail_node_get_length (MsDetailNode *self)
{
  return self->length;
}

MsDetailNode *
ms_detail_node_new (char *label, guint offset, guint length)
{
  MsDetailNode *n = g_object_new (MS_TYPE_DETAIL_NODE, NULL);
  n->label = label;
  n->offset = offset;
  n->length = length;
  return n;
}

/* Adds a node under `parent` (a GListStore) and returns it (borrowed). */
static MsDetailNode *
add_node (GListStore *parent, guint offset, guint length, char *label)
{
  MsDetailNode *n = ms_detail_node_new (label, offset, length);
  g_list_store_append (parent, n);
  g_object_unref (n);
  return n;
}

static GListStore *
children_of (MsDetailNode *n)
{
  if (n->children == NULL)
    n->children = g_list_store_new (MS_TYPE_DETAIL_NODE);
  return n->children;
}

GListStore *
ms_detail_node_get_children (MsDetailNode *self)
{
  return children_of (self);
}

/* ---------------------------------------------------------------------- */
/* MsPacketDetail                                                         */

struct _MsPacketDetail
{
  GtkWidget parent_instance;

  /* template widgets */
  GtkListView *tree_view;
  MsHexView *hex_view;
  GtkStack *stack;

  /* owned */
  GListStore *root;
  GtkTreeListModel *tree;
  GtkSingleSelection *selection;
  GCancellable *cancellable;
  gboolean mask;
  gboolean selecting;
  MsCapture *capture;
  guint index;
  GBytes *bytes;
};

enum { SIG_READY, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MsPacketDetail, ms_packet_detail, GTK_TYPE_WIDGET)

GListModel *
ms_detail_node_create_children (gpointer item, gpointer user_data)
{
  MsDetailNode *n = item;
  return n->children && g_list_model_get_n_items (G_LIST_MODEL (n->children))
           ? g_object_ref (G_LIST_MODEL (n->children)) : NULL;
}

static char *
field_value (const MsField *f)
{
  switch (f->type)
    {
    case MS_VAL_STR:
      return g_strdup (f->v.s ? f->v.s : "");
    case MS_VAL_INT:
      return g_strdup_printf ("%" G_GINT64_FORMAT, f->v.i);
    case MS_VAL_BOOL:
      return g_strdup (f->v.b ? "true" : "false");
    case MS_VAL_DOUBLE:
      return g_strdup_printf ("%g", f->v.d);
    case MS_VAL_NODE:
      {
        g_autofree char *s = f->v.node ? json_to_string (f->v.node, FALSE) : g_strdup ("null");
        if (g_utf8_strlen (s, -1) > MS_DETAIL_VALUE_CHARS)
          {
            *g_utf8_offset_to_pointer (s, MS_DETAIL_VALUE_CHARS) = '\0';
            return g_strconcat (s, "…", NULL);
          }
        return g_steal_pointer (&s);
      }
    default:
      return g_strdup ("");
    }
}

/* Maps a stream range of an event to the frame's bytes; FALSE when the
 * range lies outside this frame. */
static gboolean
map_range (const MsFrameRecord *r, const MsPacket *pkt, MsEvent *ev, guint64 off,
           guint64 len, guint *out_off, guint *out_len)
{
  guint64 start, end, lo, hi;

  if (off == MS_NO_OFFSET || pkt->payload_offset == G_MAXUINT32 || pkt->payload_len == 0)
    return FALSE;
  if (ev->dir != MS_DIR_NONE && r->dir != MS_DIR_NONE && ev->dir != r->dir)
    return FALSE;
  start = pkt->ip_proto == 6 ? r->rel_seq : 0;
  end = start + pkt->payload_len;
  lo = MAX (off, start);
  hi = MIN (off + MAX (len, 1), end);
  if (lo >= hi)
    return FALSE;
  *out_off = (guint) (pkt->payload_offset + (lo - start));
  *out_len = (guint) (hi - lo);
  return TRUE;
}

static char *
masked (MsPacketDetail *self, MsEvent *ev, const char *text)
{
  if (self->mask && (ev->flags & MS_EVENT_SECRET))
    return ms_event_mask (ev, text);
  return g_strdup (text);
}

static void
add_layer_fields (GListStore *store, const MsLayer *layer, const MsPacket *pkt)
{
  char buf[MS_ADDR_STRLEN];
  guint o = layer->offset;

  switch (layer->type)
    {
    case MS_LAYER_IPV4:
      add_node (store, o + 12, 4, g_strdup_printf (_("Source: %s"), ms_addr_format_ip (&pkt->src, buf, sizeof buf)));
      add_node (store, o + 16, 4, g_strdup_printf (_("Destination: %s"), ms_addr_format_ip (&pkt->dst, buf, sizeof buf)));
      add_node (store, o + 9, 1, g_strdup_printf (_("Protocol: %u"), pkt->ip_proto));
      break;
    case MS_LAYER_IPV6:
      add_node (store, o + 8, 16, g_strdup_printf (_("Source: %s"), ms_addr_format_ip (&pkt->src, buf, sizeof buf)));
      add_node (store, o + 24, 16, g_strdup_printf (_("Destination: %s"), ms_addr_format_ip (&pkt->dst, buf, sizeof buf)));
      break;
    case MS_LAYER_TCP:
      add_node (store, o, 2, g_strdup_printf (_("Source port: %u"), pkt->src.port));
      add_node (store, o + 2, 2, g_strdup_printf (_("Destination port: %u"), pkt->dst.port));
      add_node (store, o + 4, 4, g_strdup_printf (_("Sequence number: %u"), pkt->seq));
      add_node (store, o + 8, 4, g_strdup_printf (_("Acknowledgment number: %u"), pkt->ack));
      add_node (store, o + 13, 1, g_strdup_printf (_("Flags: 0x%02x"), pkt->tcp_flags));
      add_node (store, o + 14, 2, g_strdup_printf (_("Window: %u"), pkt->window));
      break;
    case MS_LAYER_UDP:
      add_node (store, o, 2, g_strdup_printf (_("Source port: %u"), pkt->src.port));
      add_node (store, o + 2, 2, g_strdup_printf (_("Destination port: %u"), pkt->dst.port));
      add_node (store, o + 4, 2, g_strdup (_("Length")));
      break;
    default:
      break;
    }
}

static void
fill_tree (MsPacketDetail *self, GBytes *bytes)
{
  const MsFrameRecord *r = ms_capture_get_frame (self->capture, self->index);
  MsFrame frame;
  MsPacket pkt;
  gsize size;

  memset (&frame, 0, sizeof frame);
  frame.number = r->number;
  frame.ts_nsec = r->ts_nsec;
  frame.data = g_bytes_get_data (bytes, &size);
  frame.caplen = (guint32) size;
  frame.len = r->len;
  frame.linktype = ms_capture_get_linktype (self->capture);
  frame.file_offset = r->file_offset;
  ms_packet_decode (&frame, NULL, &pkt);

  /* Subtrees are complete before the rows reach the tree model, which
   * asks for children only once per row. */
  GListStore *top = g_list_store_new (MS_TYPE_DETAIL_NODE);
  add_node (top, 0, (guint) size,
            g_strdup_printf (_("Frame %u: %u bytes captured, %u on the wire"), r->number,
                             (guint) size, r->len));
  for (guint i = 0; i < pkt.n_layers; i++)
    {
      const MsLayer *layer = &pkt.layers[i];
      guint len = MIN (layer->length, (guint) size > layer->offset ? (guint) size - layer->offset : 0);
      MsDetailNode *n;

      if (layer->type == MS_LAYER_FRAME)
        continue;
      if (layer->type == MS_LAYER_PAYLOAD)
        n = add_node (top, layer->offset, len,
                      g_strdup_printf (_("Payload: %u bytes"), pkt.payload_len));
      else
        n = add_node (top, layer->offset, len,
                      g_strdup_printf ("%s (%u–%u)", ms_layer_name (layer->type),
                                       layer->offset, layer->offset + len));
      add_layer_fields (children_of (n), layer, &pkt);
    }
  if (pkt.flags & MS_PACKET_TRUNCATED)
    add_node (top, 0, 0, g_strdup (_("The capture holds only part of this frame (truncated).")));
  if (pkt.flags & MS_PACKET_MALFORMED)
    add_node (top, 0, 0, g_strdup (_("The headers of this frame contradict themselves (malformed).")));

  for (guint e = r->first_event; e != MS_NO_EVENT; e = ms_capture_get_next_in_frame (self->capture, e))
    {
      MsEvent *ev = ms_capture_get_event (self->capture, e);
      guint eo = 0, el = 0;
      g_autofree char *info = masked (self, ev, ev->info ? ev->info : "");
      MsDetailNode *n;
      GListStore *kids;

      map_range (r, &pkt, ev, ev->offset, ev->length, &eo, &el);
      n = add_node (top, eo, el,
                    g_strdup_printf ("%s %s: %s", ms_lesson_proto_title (ev->proto), ev->kind, info));
      kids = children_of (n);
      if (ev->step != MS_STEP_NONE)
        add_node (kids, 0, 0, g_strdup_printf (_("Step: %s"), ms_lesson_step_title (ev->step)));
      if (ev->summary)
        {
          g_autofree char *s = masked (self, ev, ev->summary);
          add_node (kids, 0, 0, g_strdup_printf (_("Narration: %s"), s));
        }
      if (ev->note)
        add_node (kids, 0, 0, g_strdup_printf (_("Note: %s"), ev->note));
      if (ev->first_frame && ev->first_frame != ev->frame)
        add_node (kids, 0, 0, g_strdup_printf (_("Began in frame %u"), ev->first_frame));
      for (guint f = 0; ev->fields && f < ev->fields->len; f++)
        {
          const MsField *field = &g_array_index (ev->fields, MsField, f);
          g_autofree char *v = field_value (field);
          g_autofree char *mv = NULL;
          guint fo = 0, fl = 0;

          if (self->mask && (ev->flags & MS_EVENT_SECRET || g_str_equal (field->name, "credential")))
            mv = g_str_equal (field->name, "secret") ? g_strdup ("****") : ms_event_mask (ev, v);
          map_range (r, &pkt, ev, field->off, field->len, &fo, &fl);
          add_node (kids, fo, fl, g_strdup_printf ("%s: %s", field->name, mv ? mv : v));
        }
    }
  ms_packet_clear (&pkt);
  {
    guint n = g_list_model_get_n_items (G_LIST_MODEL (top));
    g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
    for (guint i = 0; i < n; i++)
      g_ptr_array_add (items, g_list_model_get_item (G_LIST_MODEL (top), i));
    g_list_store_splice (self->root, 0, g_list_model_get_n_items (G_LIST_MODEL (self->root)),
                         items->pdata, n);
    g_object_unref (top);
  }
  ms_hex_view_set_bytes (self->hex_view, bytes);
  gtk_stack_set_visible_child_name (self->stack, "detail");
  g_signal_emit (self, signals[SIG_READY], 0);
}

static void
on_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  MsPacketDetail *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = ms_capture_read_frame_finish (MS_CAPTURE (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (bytes == NULL)
    {
      g_list_store_remove_all (self->root);
      add_node (self->root, 0, 0, g_strdup (error->message));
      return;
    }
  g_clear_pointer (&self->bytes, g_bytes_unref);
  self->bytes = g_bytes_ref (bytes);
  fill_tree (self, bytes);
}

static void
on_tree_selection (GtkSelectionModel *model, guint pos, guint n, MsPacketDetail *self)
{
  GtkTreeListRow *row = gtk_single_selection_get_selected_item (self->selection);
  MsDetailNode *node;

  if (row == NULL || self->selecting)
    return;
  node = gtk_tree_list_row_get_item (row);
  ms_hex_view_set_highlight (self->hex_view, node->offset, node->length);
  g_object_unref (node);
}

MsDetailNode *
ms_packet_detail_select_byte (MsPacketDetail *self, guint offset)
{
  GListModel *rows = G_LIST_MODEL (self->tree);
  guint best = GTK_INVALID_LIST_POSITION, best_len = G_MAXUINT, best_depth = 0;
  MsDetailNode *result = NULL;

  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr (GtkTreeListRow) row = g_list_model_get_item (rows, i);
      g_autoptr (MsDetailNode) node = gtk_tree_list_row_get_item (row);
      guint depth = gtk_tree_list_row_get_depth (row);

      if (node->length == 0 || offset < node->offset || offset >= node->offset + node->length)
        continue;
      /* Ties go to the deeper row, then to the later one: events come after
       * the layers that carry them. */
      if (node->length < best_len || (node->length == best_len && depth >= best_depth))
        {
          best = i;
          best_len = node->length;
          best_depth = depth;
        }
    }
  if (best == GTK_INVALID_LIST_POSITION)
    return NULL;
  gtk_single_selection_set_selected (self->selection, best);
  gtk_widget_activate_action (GTK_WIDGET (self->tree_view), "list.scroll-to-item", "u", best);
  {
    g_autoptr (GtkTreeListRow) row = g_list_model_get_item (rows, best);
    result = gtk_tree_list_row_get_item (row);
    g_object_unref (result); /* still held by the tree */
  }
  return result;
}

static void
on_byte_activated (MsHexView *hex, guint offset, MsPacketDetail *self)
{
  ms_packet_detail_select_byte (self, offset);
}

static void
ms_packet_detail_dispose (GObject *object)
{
  MsPacketDetail *self = MS_PACKET_DETAIL (object);

  g_cancellable_cancel (self->cancellable);
  if (self->tree_view)
    gtk_list_view_set_model (self->tree_view, NULL);
  if (self->selection)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  g_clear_object (&self->selection);
  g_clear_object (&self->tree);
  g_clear_object (&self->root);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->capture);
  g_clear_pointer (&self->bytes, g_bytes_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), MS_TYPE_PACKET_DETAIL);
  /* Children without an id are not cleared by the template. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self)));)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (ms_packet_detail_parent_class)->dispose (object);
}

static void
ms_packet_detail_class_init (MsPacketDetailClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = ms_packet_detail_dispose;
  signals[SIG_READY] = g_signal_new ("ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                     0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  g_type_ensure (MS_TYPE_HEX_VIEW);
  g_type_ensure (MS_TYPE_DETAIL_NODE);
  /* Referencing the bundle links it in, and its constructor registers it,
   * even from the static library. */
  (void) ms_app_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/mailscope/Mailscope/ms-packet-detail.ui");
  gtk_widget_class_bind_template_child (widget_class, MsPacketDetail, tree_view);
  gtk_widget_class_bind_template_child (widget_class, MsPacketDetail, hex_view);
  gtk_widget_class_bind_template_child (widget_class, MsPacketDetail, stack);
  gtk_widget_class_bind_template_callback (widget_class, on_byte_activated);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ms_packet_detail_init (MsPacketDetail *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->root = g_list_store_new (MS_TYPE_DETAIL_NODE);
  self->tree = gtk_tree_list_model_new (G_LIST_MODEL (g_object_ref (self->root)), FALSE, TRUE,
                                        ms_detail_node_create_children, NULL, NULL);
  self->selection = gtk_single_selection_new (G_LIST_MODEL (g_object_ref (self->tree)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  g_signal_connect (self->selection, "selection-changed", G_CALLBACK (on_tree_selection), self);
  gtk_list_view_set_model (self->tree_view, GTK_SELECTION_MODEL (self->selection));
  self->cancellable = g_cancellable_new ();
}

GtkWidget *
ms_packet_detail_new (void)
{
  return g_object_new (MS_TYPE_PACKET_DETAIL, NULL);
}

void
ms_packet_detail_show_frame (MsPacketDetail *self, MsCapture *capture, guint index)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_set_object (&self->capture, capture);
  self->index = index;
  ms_capture_read_frame_async (capture, index, self->cancellable, on_read, self);
}

void
ms_packet_detail_show_bytes (MsPacketDetail *self, MsCapture *capture, guint index,
                             GBytes *bytes)
{
  g_set_object (&self->capture, capture);
  self->index = index;
  g_clear_pointer (&self->bytes, g_bytes_unref);
  self->bytes = g_bytes_ref (bytes);
  fill_tree (self, bytes);
}

void
ms_packet_detail_clear (MsPacketDetail *self)
{
  g_cancellable_cancel (self->cancellable);
  g_list_store_remove_all (self->root);
  ms_hex_view_set_bytes (self->hex_view, NULL);
  g_clear_pointer (&self->bytes, g_bytes_unref);
  gtk_stack_set_visible_child_name (self->stack, "empty");
}

void
ms_packet_detail_set_mask_secrets (MsPacketDetail *self, gboolean mask)
{
  self->mask = mask;
  if (self->bytes && self->capture)
    fill_tree (self, self->bytes);
}

GtkSingleSelection *
ms_packet_detail_get_selection (MsPacketDetail *self)
{
  return self->selection;
}

GtkWidget *
ms_packet_detail_get_hex_view (MsPacketDetail *self)
{
  return GTK_WIDGET (self->hex_view);
}
