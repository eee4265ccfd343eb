/* ms-packet-list.c - packet list: frames → filter → selection → column view.
 * Items are built by MsFrameList only for the rows GTK asks for. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "mailscope/ms-lesson.h"
#include "ms-app-resources.h"
#include "ms-packet-list.h"

/* Above this many frames the filter runs incrementally so that stepping
 * through a big capture never stalls a frame. */
#define MS_PACKET_LIST_INCREMENTAL 20000

/* The model reaches the view in an idle of this priority: after the
 * filters the caller sets right away, before the next frame is painted
 * (GDK_PRIORITY_REDRAW is G_PRIORITY_HIGH_IDLE + 20). */
#define MS_PACKET_LIST_ATTACH_PRIORITY (G_PRIORITY_HIGH_IDLE + 10)

struct _MsPacketList
{
  GtkWidget parent_instance;

  /* template widgets */
  GtkColumnView *column_view;
  GtkDropDown *proto_dropdown;
  GtkDropDown *step_dropdown;
  GtkLabel *count_label;

  /* owned */
  MsCapture *capture;
  MsFrameList *frames;
  MsFrameFilter *filter;
  GtkFilterListModel *filtered;
  GtkSingleSelection *selection;
  gboolean selecting;
  guint attach_id;      /* idle that gives the view its model */
};

enum { SIG_FRAME_SELECTED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* Protocols offered by the protocol drop-down, in its order. */
static const MsProto proto_choices[] = {
  MS_FRAME_FILTER_ANY, MS_PROTO_IMAP, MS_PROTO_POP3, MS_PROTO_DNS, MS_PROTO_TLS, MS_PROTO_TCP,
};

/* The columns of ui/ms-packet-list.ui, in its order: the MsFrameItem
 * property each shows and how its text is aligned. */
typedef struct {
  const char *property;
  float xalign;
} Column;

static const Column columns[] = {
  { "no", 1.0f }, { "time", 1.0f }, { "source", 0.0f }, { "destination", 0.0f },
  { "protocol", 0.0f }, { "step", 0.0f }, { "info", 0.0f },
};

G_DEFINE_FINAL_TYPE (MsPacketList, ms_packet_list, GTK_TYPE_WIDGET)

/* Cells are GtkInscriptions set from C. A builder factory builds each cell
 * from XML and watches its item through an expression, and a label lays
 * out its whole text to learn its size; an inscription's size comes from
 * the font alone. GTK 4.8 keeps some 200 rows of a long list, so with every
 * frame shown this is the cost of each change of the list. */
static void
setup_cell (GtkSignalListItemFactory *factory, GtkListItem *item, const Column *col)
{
  GtkWidget *cell = gtk_inscription_new (NULL);

  gtk_inscription_set_xalign (GTK_INSCRIPTION (cell), col->xalign);
  gtk_inscription_set_text_overflow (GTK_INSCRIPTION (cell), GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END);
  gtk_inscription_set_min_lines (GTK_INSCRIPTION (cell), 1);
  gtk_list_item_set_child (item, cell);
}

static void
bind_cell (GtkSignalListItemFactory *factory, GtkListItem *item, const Column *col)
{
  GObject *frame = gtk_list_item_get_item (item);
  g_autofree char *text = NULL;

  if (frame)
    g_object_get (frame, col->property, &text, NULL);
  gtk_inscription_set_text (GTK_INSCRIPTION (gtk_list_item_get_child (item)), text);
}

static void
setup_columns (MsPacketList *self)
{
  GListModel *cols = gtk_column_view_get_columns (self->column_view);

  g_return_if_fail (g_list_model_get_n_items (cols) == G_N_ELEMENTS (columns));
  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    {
      g_autoptr (GtkColumnViewColumn) column = g_list_model_get_item (cols, i);
      g_autoptr (GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

      g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), (gpointer) &columns[i]);
      g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), (gpointer) &columns[i]);
      gtk_column_view_column_set_factory (column, factory);
    }
}

/* Big captures filter in the background; a capture shown while it is
 * still being indexed becomes big as its frames arrive. */
static void
update_incremental (MsPacketList *self)
{
  gboolean big = self->capture && ms_capture_get_n_frames (self->capture) > MS_PACKET_LIST_INCREMENTAL;

  if (self->filtered && big != gtk_filter_list_model_get_incremental (self->filtered))
    gtk_filter_list_model_set_incremental (self->filtered, big);
}

static void
update_count (MsPacketList *self)
{
  guint n = self->filtered ? g_list_model_get_n_items (G_LIST_MODEL (self->filtered)) : 0;
  guint total = self->capture ? ms_capture_get_n_frames (self->capture) : 0;
  g_autofree char *text = g_strdup_printf (_("%u of %u frames"), n, total);
  gtk_label_set_text (self->count_label, text);
}

static void
on_items_changed (GListModel *model, guint pos, guint removed, guint added, MsPacketList *self)
{
  update_count (self);
}

/* Frames of a capture still being indexed: the total grows even when no
 * new frame passes the filter. */
static void
on_capture_progress (MsCapture *capture, double fraction, guint first, guint n, MsPacketList *self)
{
  update_count (self);
}

static void
on_selection_changed (GtkSelectionModel *model, guint pos, guint n, MsPacketList *self)
{
  g_autoptr (MsFrameItem) item = gtk_single_selection_get_selected_item (self->selection)
                                     ? g_object_ref (gtk_single_selection_get_selected_item (self->selection))
                                     : NULL;
  if (self->selecting || item == NULL)
    return;
  g_signal_emit (self, signals[SIG_FRAME_SELECTED], 0, ms_frame_item_get_number (item));
}

static void
on_proto_changed (GtkDropDown *dd, GParamSpec *pspec, MsPacketList *self)
{
  guint i = gtk_drop_down_get_selected (dd);

  update_incremental (self);
  if (self->filter && i < G_N_ELEMENTS (proto_choices))
    ms_frame_filter_set_proto (self->filter, proto_choices[i]);
}

static void
on_step_changed (GtkDropDown *dd, GParamSpec *pspec, MsPacketList *self)
{
  guint i = gtk_drop_down_get_selected (dd);

  update_incremental (self);
  if (self->filter && i < MS_STEP_N)
    ms_frame_filter_set_step (self->filter, (MsStep) i);
}

/* A column view builds its rows (about 200 of them, a label per cell)
 * as soon as it is given a model. A new capture starts unfiltered, and
 * the session view narrows it to one lesson right after: giving the view
 * the model then would build 200 rows of a 100,000 frame capture only to
 * drop them again, a stall of some 75 ms. So the view gets the model in
 * an idle, once the filters are set, and builds only the rows it shows. */
static gboolean
attach_model (gpointer data)
{
  MsPacketList *self = data;

  self->attach_id = 0;
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
  return G_SOURCE_REMOVE;
}

/* Gives the view its model now, when the idle has not run yet. */
static void
ensure_attached (MsPacketList *self)
{
  if (self->attach_id == 0)
    return;
  g_clear_handle_id (&self->attach_id, g_source_remove);
  attach_model (self);
}

static void
ms_packet_list_dispose (GObject *object)
{
  MsPacketList *self = MS_PACKET_LIST (object);

  g_clear_handle_id (&self->attach_id, g_source_remove);
  if (self->column_view)
    gtk_column_view_set_model (self->column_view, NULL);
  if (self->selection)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  if (self->filtered)
    g_signal_handlers_disconnect_by_data (self->filtered, self);
  g_clear_object (&self->selection);
  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  g_clear_object (&self->frames);
  if (self->capture)
    g_signal_handlers_disconnect_by_data (self->capture, self);
  g_clear_object (&self->capture);
  gtk_widget_dispose_template (GTK_WIDGET (self), MS_TYPE_PACKET_LIST);
  /* Children without an id are not cleared by the template. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self)));)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (ms_packet_list_parent_class)->dispose (object);
}

static void
ms_packet_list_class_init (MsPacketListClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = ms_packet_list_dispose;
  signals[SIG_FRAME_SELECTED] = g_signal_new ("frame-selected", G_TYPE_FROM_CLASS (klass),
                                              G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                              G_TYPE_NONE, 1, G_TYPE_UINT);

  g_type_ensure (MS_TYPE_FRAME_ITEM);
  /* Referencing the bundle links it in, and its constructor registers it,
   * even from the static library. */
  (void) ms_app_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/mailscope/Mailscope/ms-packet-list.ui");
  gtk_widget_class_bind_template_child (widget_class, MsPacketList, column_view);
  gtk_widget_class_bind_template_child (widget_class, MsPacketList, proto_dropdown);
  gtk_widget_class_bind_template_child (widget_class, MsPacketList, step_dropdown);
  gtk_widget_class_bind_template_child (widget_class, MsPacketList, count_label);
  gtk_widget_class_bind_template_callback (widget_class, on_proto_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_step_changed);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "packetlist");
}

static void
ms_packet_list_init (MsPacketList *self)
{
  GtkStringList *protos, *steps;

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (gtk_widget_get_layout_manager (GTK_WIDGET (self))),
                                  GTK_ORIENTATION_VERTICAL);
  setup_columns (self);

  protos = gtk_string_list_new (NULL);
  gtk_string_list_append (protos, _("All protocols"));
  for (guint i = 1; i < G_N_ELEMENTS (proto_choices); i++)
    gtk_string_list_append (protos, ms_lesson_proto_title (proto_choices[i]));
  gtk_drop_down_set_model (self->proto_dropdown, G_LIST_MODEL (protos));
  g_object_unref (protos);

  steps = gtk_string_list_new (NULL);
  gtk_string_list_append (steps, _("All steps"));
  for (guint s = 1; s < MS_STEP_N; s++)
    gtk_string_list_append (steps, ms_lesson_step_title ((MsStep) s));
  gtk_drop_down_set_model (self->step_dropdown, G_LIST_MODEL (steps));
  g_object_unref (steps);
}

GtkWidget *
ms_packet_list_new (void)
{
  return g_object_new (MS_TYPE_PACKET_LIST, NULL);
}

void
ms_packet_list_set_capture (MsPacketList *self, MsCapture *capture)
{
  g_clear_handle_id (&self->attach_id, g_source_remove);
  gtk_column_view_set_model (self->column_view, NULL);
  if (self->selection)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  if (self->filtered)
    g_signal_handlers_disconnect_by_data (self->filtered, self);
  g_clear_object (&self->selection);
  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  g_clear_object (&self->frames);
  if (self->capture)
    g_signal_handlers_disconnect_by_data (self->capture, self);
  g_set_object (&self->capture, capture);
  if (capture == NULL)
    return;

  self->frames = ms_frame_list_new (capture);
  g_signal_connect (capture, "progress", G_CALLBACK (on_capture_progress), self);
  self->filter = ms_frame_filter_new (capture);
  self->filtered = gtk_filter_list_model_new (G_LIST_MODEL (g_object_ref (self->frames)),
                                              GTK_FILTER (g_object_ref (self->filter)));
  update_incremental (self);
  self->selection = gtk_single_selection_new (G_LIST_MODEL (g_object_ref (self->filtered)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  g_signal_connect (self->selection, "selection-changed", G_CALLBACK (on_selection_changed), self);
  g_signal_connect (self->filtered, "items-changed", G_CALLBACK (on_items_changed), self);
  self->attach_id = g_idle_add_full (MS_PACKET_LIST_ATTACH_PRIORITY, attach_model, self, NULL);
  on_proto_changed (self->proto_dropdown, NULL, self);
  on_step_changed (self->step_dropdown, NULL, self);
  update_count (self);
}

void
ms_packet_list_set_session (MsPacketList *self, guint session)
{
  update_incremental (self);
  if (self->filter)
    ms_frame_filter_set_session (self->filter, session);
  update_count (self);
}

void
ms_packet_list_set_reveal (MsPacketList *self, MsStep step)
{
  update_incremental (self);
  if (self->filter)
    ms_frame_filter_set_reveal (self->filter, step);
  update_count (self);
}

void
ms_packet_list_set_mask_secrets (MsPacketList *self, gboolean mask)
{
  if (self->frames)
    ms_frame_list_set_mask_secrets (self->frames, mask);
}

void
ms_packet_list_set_proto_filter (MsPacketList *self, MsProto proto)
{
  for (guint i = 0; i < G_N_ELEMENTS (proto_choices); i++)
    if (proto_choices[i] == proto)
      gtk_drop_down_set_selected (self->proto_dropdown, i);
}

void
ms_packet_list_set_step_filter (MsPacketList *self, MsStep step)
{
  gtk_drop_down_set_selected (self->step_dropdown, step);
}

/* Position of frame `number` in the filtered list (rows keep frame order),
 * or GTK_INVALID_LIST_POSITION. */
static guint
find_position (MsPacketList *self, guint32 number)
{
  GListModel *model = G_LIST_MODEL (self->filtered);
  guint lo = 0, hi = g_list_model_get_n_items (model);

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      g_autoptr (MsFrameItem) item = g_list_model_get_item (model, mid);
      guint n = ms_frame_item_get_number (item);
      if (n == number)
        return mid;
      if (n < number)
        lo = mid + 1;
      else
        hi = mid;
    }
  return GTK_INVALID_LIST_POSITION;
}

gboolean
ms_packet_list_select_frame (MsPacketList *self, guint32 number)
{
  guint pos;

  if (self->filtered == NULL)
    return FALSE;
  pos = find_position (self, number);
  if (pos == GTK_INVALID_LIST_POSITION)
    return FALSE;
  ensure_attached (self);
  self->selecting = TRUE;
  gtk_single_selection_set_selected (self->selection, pos);
  self->selecting = FALSE;
  /* Scroll: GTK 4.8 has no gtk_column_view_scroll_to, but the view follows
   * the focus; moving it to the row brings the row into view. */
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->column_view));
       child != NULL; child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_LIST_VIEW (child))
      gtk_widget_activate_action (child, "list.scroll-to-item", "u", pos);
  return TRUE;
}

guint32
ms_packet_list_get_selected_frame (MsPacketList *self)
{
  gpointer item;

  if (self->selection == NULL)
    return 0;
  item = gtk_single_selection_get_selected_item (self->selection);
  return item ? ms_frame_item_get_number (item) : 0;
}

guint
ms_packet_list_get_n_visible (MsPacketList *self)
{
  return self->filtered ? g_list_model_get_n_items (G_LIST_MODEL (self->filtered)) : 0;
}

gboolean
ms_packet_list_is_filtering (MsPacketList *self)
{
  return self->filtered && gtk_filter_list_model_get_pending (self->filtered) > 0;
}

GListModel *
ms_packet_list_get_model (MsPacketList *self)
{
  return self->filtered ? G_LIST_MODEL (self->filtered) : NULL;
}
