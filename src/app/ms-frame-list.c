/* ms-frame-list.c - items are built on demand from the compact frame records
 * of an MsCapture; nothing is allocated per frame up front. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ms-frame-list.h"

/* ---------------------------------------------------------------------- */
/* MsFrameItem                                                            */

struct _MsFrameItem
{
  GObject parent_instance;
  MsCapture *capture;   /* owned */
  guint index;
  gboolean mask;
};

enum {
  ITEM_PROP_0,
  ITEM_PROP_NUMBER,
  ITEM_PROP_NO,
  ITEM_PROP_TIME,
  ITEM_PROP_SOURCE,
  ITEM_PROP_DESTINATION,
  ITEM_PROP_PROTOCOL,
  ITEM_PROP_STEP,
  ITEM_PROP_INFO,
  ITEM_N_PROPS
};

static GParamSpec *item_props[ITEM_N_PROPS];

G_DEFINE_FINAL_TYPE (MsFrameItem, ms_frame_item, G_TYPE_OBJECT)

const char *
ms_frame_record_proto_label (const MsFrameRecord *r)
{
  switch ((MsProto) r->proto)
    {
    case MS_PROTO_DNS: return "DNS";
    case MS_PROTO_TCP: return "TCP";
    case MS_PROTO_IMAP: return "IMAP";
    case MS_PROTO_POP3: return "POP3";
    case MS_PROTO_TLS: return "TLS";
    case MS_PROTO_NONE:
    case MS_PROTO_N:
    default:
      break;
    }
  if (r->ip_proto == 17)
    return "UDP";
  if (r->ip_proto == 6)
    return "TCP";
  return r->ip_proto ? "IP" : "";
}

static char *
format_addr (MsCapture *capture, guint32 index)
{
  const MsAddr *a = ms_capture_get_addr (capture, index);
  char buf[MS_ADDR_STRLEN];

  return a ? g_strdup (ms_addr_format (a, buf, sizeof buf)) : g_strdup ("");
}

static void
ms_frame_item_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  MsFrameItem *self = MS_FRAME_ITEM (object);
  const MsFrameRecord *r = ms_capture_get_frame (self->capture, self->index);

  switch (prop_id)
    {
    case ITEM_PROP_NUMBER:
      g_value_set_uint (value, r->number);
      break;
    case ITEM_PROP_NO:
      g_value_take_string (value, g_strdup_printf ("%u", r->number));
      break;
    case ITEM_PROP_TIME:
      {
        const MsFrameRecord *first = ms_capture_get_frame (self->capture, 0);
        double t = (double) (r->ts_nsec - first->ts_nsec) / 1e9;
        g_value_take_string (value, g_strdup_printf ("%.6f", t));
      }
      break;
    case ITEM_PROP_SOURCE:
      g_value_take_string (value, format_addr (self->capture, r->src));
      break;
    case ITEM_PROP_DESTINATION:
      g_value_take_string (value, format_addr (self->capture, r->dst));
      break;
    case ITEM_PROP_PROTOCOL:
      g_value_set_string (value, ms_frame_record_proto_label (r));
      break;
    case ITEM_PROP_STEP:
      g_value_set_string (value, r->step != MS_STEP_NONE ? ms_lesson_step_title (r->step) : "");
      break;
    case ITEM_PROP_INFO:
      g_value_take_string (value, ms_capture_frame_info (self->capture, self->index, self->mask));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ms_frame_item_finalize (GObject *object)
{
  MsFrameItem *self = MS_FRAME_ITEM (object);
  g_clear_object (&self->capture);
  G_OBJECT_CLASS (ms_frame_item_parent_class)->finalize (object);
}

static void
ms_frame_item_class_init (MsFrameItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ms_frame_item_get_property;
  object_class->finalize = ms_frame_item_finalize;

  item_props[ITEM_PROP_NUMBER] = g_param_spec_uint ("number", NULL, NULL, 0, G_MAXUINT, 0,
                                                    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
#define STR_PROP(id, name) \
  item_props[id] = g_param_spec_string (name, NULL, NULL, NULL, \
                                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)
  STR_PROP (ITEM_PROP_NO, "no");
  STR_PROP (ITEM_PROP_TIME, "time");
  STR_PROP (ITEM_PROP_SOURCE, "source");
  STR_PROP (ITEM_PROP_DESTINATION, "destination");
  STR_PROP (ITEM_PROP_PROTOCOL, "protocol");
  STR_PROP (ITEM_PROP_STEP, "step");
  STR_PROP (ITEM_PROP_INFO, "info");
#undef STR_PROP
  g_object_class_install_properties (object_class, ITEM_N_PROPS, item_props);
}

static void
ms_frame_item_init (MsFrameItem *self)
{
}

guint
ms_frame_item_get_index (MsFrameItem *self)
{
  return self->index;
}

guint
ms_frame_item_get_number (MsFrameItem *self)
{
  return ms_capture_get_frame (self->capture, self->index)->number;
}

const MsFrameRecord *
ms_frame_item_get_record (MsFrameItem *self)
{
  return ms_capture_get_frame (self->capture, self->index);
}

/* ---------------------------------------------------------------------- */
/* MsFrameList                                                            */

struct _MsFrameList
{
  GObject parent_instance;
  MsCapture *capture;   /* owned */
  guint n_items;
  gboolean mask;
};

static void ms_frame_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MsFrameList, ms_frame_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      ms_frame_list_model_init))

static GType
ms_frame_list_get_item_type (GListModel *model)
{
  return MS_TYPE_FRAME_ITEM;
}

static guint
ms_frame_list_get_n_items (GListModel *model)
{
  return MS_FRAME_LIST (model)->n_items;
}

static gpointer
ms_frame_list_get_item (GListModel *model, guint position)
{
  MsFrameList *self = MS_FRAME_LIST (model);
  MsFrameItem *item;

  if (position >= self->n_items)
    return NULL;
  item = g_object_new (MS_TYPE_FRAME_ITEM, NULL);
  item->capture = g_object_ref (self->capture);
  item->index = position;
  item->mask = self->mask;
  return item;
}

static void
ms_frame_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = ms_frame_list_get_item_type;
  iface->get_n_items = ms_frame_list_get_n_items;
  iface->get_item = ms_frame_list_get_item;
}

/* New frames arrive in batches; announce only those. */
static void
on_progress (MsCapture *capture, double fraction, guint first, guint n, MsFrameList *self)
{
  guint old = self->n_items;

  self->n_items = ms_capture_get_n_frames (capture);
  if (self->n_items > old)
    g_list_model_items_changed (G_LIST_MODEL (self), old, 0, self->n_items - old);
}

static void
ms_frame_list_dispose (GObject *object)
{
  MsFrameList *self = MS_FRAME_LIST (object);

  if (self->capture)
    g_signal_handlers_disconnect_by_data (self->capture, self);
  g_clear_object (&self->capture);
  G_OBJECT_CLASS (ms_frame_list_parent_class)->dispose (object);
}

static void
ms_frame_list_class_init (MsFrameListClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ms_frame_list_dispose;
}

static void
ms_frame_list_init (MsFrameList *self)
{
}

MsFrameList *
ms_frame_list_new (MsCapture *capture)
{
  MsFrameList *self = g_object_new (MS_TYPE_FRAME_LIST, NULL);

  self->capture = g_object_ref (capture);
  self->n_items = ms_capture_get_n_frames (capture);
  g_signal_connect (capture, "progress", G_CALLBACK (on_progress), self);
  return self;
}

MsCapture *
ms_frame_list_get_capture (MsFrameList *self)
{
  return self->capture;
}

void
ms_frame_list_set_mask_secrets (MsFrameList *self, gboolean mask)
{
  if (self->mask == mask)
    return;
  self->mask = mask;
  /* Items are rebuilt with the new setting. */
  g_list_model_items_changed (G_LIST_MODEL (self), 0, self->n_items, self->n_items);
}

/* ---------------------------------------------------------------------- */
/* MsFrameFilter                                                          */

struct _MsFrameFilter
{
  GtkFilter parent_instance;
  MsCapture *capture;   /* owned */
  guint session;
  MsStep reveal;
  MsProto proto;
  MsStep step;
  /* sessions belonging to `session`'s lesson, indexed by id */
  GArray *included;     /* gboolean */
};

G_DEFINE_FINAL_TYPE (MsFrameFilter, ms_frame_filter, GTK_TYPE_FILTER)

gboolean
ms_frame_filter_match_record (MsFrameFilter *self, const MsFrameRecord *r)
{
  if (self->session != 0)
    {
      if (r->session >= self->included->len
          || !g_array_index (self->included, gboolean, r->session))
        return FALSE;
    }
  if (r->step > self->reveal)
    return FALSE;
  if (self->proto != MS_FRAME_FILTER_ANY && r->proto != self->proto)
    return FALSE;
  if (self->step != MS_STEP_NONE && r->step != self->step)
    return FALSE;
  return TRUE;
}

static gboolean
ms_frame_filter_match (GtkFilter *filter, gpointer item)
{
  return ms_frame_filter_match_record (MS_FRAME_FILTER (filter),
                                       ms_frame_item_get_record (item));
}

static GtkFilterMatch
ms_frame_filter_get_strictness (GtkFilter *filter)
{
  MsFrameFilter *self = MS_FRAME_FILTER (filter);

  if (self->session == 0 && self->reveal >= MS_STEP_N - 1
      && self->proto == MS_FRAME_FILTER_ANY && self->step == MS_STEP_NONE)
    return GTK_FILTER_MATCH_ALL;
  return GTK_FILTER_MATCH_SOME;
}

static void
ms_frame_filter_finalize (GObject *object)
{
  MsFrameFilter *self = MS_FRAME_FILTER (object);
  g_clear_object (&self->capture);
  g_array_unref (self->included);
  G_OBJECT_CLASS (ms_frame_filter_parent_class)->finalize (object);
}

static void
ms_frame_filter_class_init (MsFrameFilterClass *klass)
{
  GtkFilterClass *filter_class = GTK_FILTER_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = ms_frame_filter_finalize;
  filter_class->match = ms_frame_filter_match;
  filter_class->get_strictness = ms_frame_filter_get_strictness;
}

static void
ms_frame_filter_init (MsFrameFilter *self)
{
  self->reveal = MS_STEP_N;
  self->included = g_array_new (FALSE, TRUE, sizeof (gboolean));
}

MsFrameFilter *
ms_frame_filter_new (MsCapture *capture)
{
  MsFrameFilter *self = g_object_new (MS_TYPE_FRAME_FILTER, NULL);
  self->capture = g_object_ref (capture);
  return self;
}

void
ms_frame_filter_set_session (MsFrameFilter *self, guint session)
{
  guint n = ms_capture_get_n_sessions (self->capture);

  self->session = session;
  g_array_set_size (self->included, 0);
  g_array_set_size (self->included, n + 1);
  for (guint i = 0; i < n; i++)
    {
      guint id = ms_capture_get_session (self->capture, i)->id;
      if (id <= n && ms_capture_session_includes (self->capture, session, id))
        g_array_index (self->included, gboolean, id) = TRUE;
    }
  gtk_filter_changed (GTK_FILTER (self), GTK_FILTER_CHANGE_DIFFERENT);
}

void
ms_frame_filter_set_reveal (MsFrameFilter *self, MsStep step)
{
  GtkFilterChange change;

  if (self->reveal == step)
    return;
  change = step > self->reveal ? GTK_FILTER_CHANGE_LESS_STRICT : GTK_FILTER_CHANGE_MORE_STRICT;
  self->reveal = step;
  gtk_filter_changed (GTK_FILTER (self), change);
}

void
ms_frame_filter_set_proto (MsFrameFilter *self, MsProto proto)
{
  if (self->proto == proto)
    return;
  self->proto = proto;
  gtk_filter_changed (GTK_FILTER (self), GTK_FILTER_CHANGE_DIFFERENT);
}

void
ms_frame_filter_set_step (MsFrameFilter *self, MsStep step)
{
  if (self->step == step)
    return;
  self->step = step;
  gtk_filter_changed (GTK_FILTER (self), GTK_FILTER_CHANGE_DIFFERENT);
}
