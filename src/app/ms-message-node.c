/* ms-message-node.c - a row of the message view; its properties are bound
 * by the row template in ms-message-view.ui. */
#include "config.h"

#include "ms-message-node.h"

struct _MsMessageNode
{
  GObject parent_instance;

  char *icon_name;
  char *title;
  char *detail;
  char *preview;
  char *status;
  char *tooltip;
  MsTransfer transfer;
  gboolean expand;
  GListStore *children;
};

enum {
  PROP_0,
  PROP_ICON_NAME,
  PROP_TITLE,
  PROP_DETAIL,
  PROP_PREVIEW,
  PROP_STATUS,
  PROP_TOOLTIP,
  PROP_STATUS_CLASSES,
  PROP_HAS_DETAIL,
  PROP_HAS_PREVIEW,
  PROP_HAS_STATUS,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

G_DEFINE_FINAL_TYPE (MsMessageNode, ms_message_node, G_TYPE_OBJECT)

/* Style classes of the status label: colour says how much arrived. */
static const char *const *
status_classes (MsTransfer transfer)
{
  static const char *const whole[] = { "caption-heading", "numeric", "success", NULL };
  static const char *const partial[] = { "caption-heading", "numeric", "warning", NULL };
  static const char *const missing[] = { "caption-heading", "numeric", "dim-label", NULL };
  static const char *const none[] = { "caption-heading", "numeric", NULL };

  switch (transfer)
    {
    case MS_TRANSFER_WHOLE: return whole;
    case MS_TRANSFER_PARTIAL: return partial;
    case MS_TRANSFER_MISSING: return missing;
    case MS_TRANSFER_NONE:
    default: return none;
    }
}

static void
ms_message_node_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  MsMessageNode *self = MS_MESSAGE_NODE (object);

  switch (prop_id)
    {
    case PROP_ICON_NAME: g_value_set_string (value, self->icon_name); break;
    case PROP_TITLE: g_value_set_string (value, self->title); break;
    case PROP_DETAIL: g_value_set_string (value, self->detail); break;
    case PROP_PREVIEW: g_value_set_string (value, self->preview); break;
    case PROP_STATUS: g_value_set_string (value, self->status); break;
    case PROP_TOOLTIP: g_value_set_string (value, self->tooltip ? self->tooltip : self->title); break;
    case PROP_STATUS_CLASSES: g_value_set_boxed (value, status_classes (self->transfer)); break;
    case PROP_HAS_DETAIL: g_value_set_boolean (value, self->detail != NULL); break;
    case PROP_HAS_PREVIEW: g_value_set_boolean (value, self->preview != NULL); break;
    case PROP_HAS_STATUS: g_value_set_boolean (value, self->status != NULL); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ms_message_node_finalize (GObject *object)
{
  MsMessageNode *self = MS_MESSAGE_NODE (object);

  g_free (self->icon_name);
  g_free (self->title);
  g_free (self->detail);
  g_free (self->preview);
  g_free (self->status);
  g_free (self->tooltip);
  g_clear_object (&self->children);
  G_OBJECT_CLASS (ms_message_node_parent_class)->finalize (object);
}

static void
ms_message_node_class_init (MsMessageNodeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags f = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->get_property = ms_message_node_get_property;
  object_class->finalize = ms_message_node_finalize;
  props[PROP_ICON_NAME] = g_param_spec_string ("icon-name", NULL, NULL, NULL, f);
  props[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, f);
  props[PROP_DETAIL] = g_param_spec_string ("detail", NULL, NULL, NULL, f);
  props[PROP_PREVIEW] = g_param_spec_string ("preview", NULL, NULL, NULL, f);
  props[PROP_STATUS] = g_param_spec_string ("status", NULL, NULL, NULL, f);
  props[PROP_TOOLTIP] = g_param_spec_string ("tooltip", NULL, NULL, NULL, f);
  props[PROP_STATUS_CLASSES] = g_param_spec_boxed ("status-classes", NULL, NULL, G_TYPE_STRV, f);
  props[PROP_HAS_DETAIL] = g_param_spec_boolean ("has-detail", NULL, NULL, FALSE, f);
  props[PROP_HAS_PREVIEW] = g_param_spec_boolean ("has-preview", NULL, NULL, FALSE, f);
  props[PROP_HAS_STATUS] = g_param_spec_boolean ("has-status", NULL, NULL, FALSE, f);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
ms_message_node_init (MsMessageNode *self)
{
}

MsMessageNode *
ms_message_node_new (const char *icon_name, char *title)
{
  MsMessageNode *self = g_object_new (MS_TYPE_MESSAGE_NODE, NULL);
  self->icon_name = g_strdup (icon_name);
  self->title = title;
  return self;
}

/* Nodes are filled before they are shown, so no notifications are needed. */
void
ms_message_node_take_detail (MsMessageNode *self, char *detail)
{
  g_free (self->detail);
  self->detail = detail;
}

void
ms_message_node_take_preview (MsMessageNode *self, char *preview)
{
  g_free (self->preview);
  self->preview = preview;
}

void
ms_message_node_take_status (MsMessageNode *self, MsTransfer transfer, char *status)
{
  g_free (self->status);
  self->status = status;
  self->transfer = transfer;
}

void
ms_message_node_take_tooltip (MsMessageNode *self, char *tooltip)
{
  g_free (self->tooltip);
  self->tooltip = tooltip;
}

const char *
ms_message_node_get_title (MsMessageNode *self)
{
  return self->title;
}

const char *
ms_message_node_get_detail (MsMessageNode *self)
{
  return self->detail;
}

const char *
ms_message_node_get_preview (MsMessageNode *self)
{
  return self->preview;
}

const char *
ms_message_node_get_status (MsMessageNode *self)
{
  return self->status;
}

MsTransfer
ms_message_node_get_transfer (MsMessageNode *self)
{
  return self->transfer;
}

void
ms_message_node_set_expand (MsMessageNode *self, gboolean expand)
{
  self->expand = expand;
}

gboolean
ms_message_node_get_expand (MsMessageNode *self)
{
  return self->expand;
}

GListStore *
ms_message_node_get_children (MsMessageNode *self)
{
  if (self->children == NULL)
    self->children = g_list_store_new (MS_TYPE_MESSAGE_NODE);
  return self->children;
}

guint
ms_message_node_get_n_children (MsMessageNode *self)
{
  return self->children ? g_list_model_get_n_items (G_LIST_MODEL (self->children)) : 0;
}

GListModel *
ms_message_node_create_children (gpointer item, gpointer user_data)
{
  MsMessageNode *self = item;
  if (self->children == NULL || g_list_model_get_n_items (G_LIST_MODEL (self->children)) == 0)
    return NULL;
  return G_LIST_MODEL (g_object_ref (self->children));
}
