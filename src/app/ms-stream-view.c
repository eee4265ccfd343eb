/* ms-stream-view.c - the reassembled conversation, one protocol line per
 * event, as a read-only text view. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ms-app-resources.h"
#include "ms-stream-view.h"

/* Lines shown at most: a text view re-laid out on every step must stay
 * quick, and a conversation longer than this is read in the packet list. */
#define MS_STREAM_MAX_LINES 3000

struct _MsStreamView
{
  GtkWidget parent_instance;

  /* template widgets */
  GtkTextView *text_view;
  GtkTextBuffer *buffer;
};

G_DEFINE_FINAL_TYPE (MsStreamView, ms_stream_view, GTK_TYPE_WIDGET)

static void
ms_stream_view_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), MS_TYPE_STREAM_VIEW);
  /* Children without an id are not cleared by the template. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (object)));)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (ms_stream_view_parent_class)->dispose (object);
}

static void
ms_stream_view_class_init (MsStreamViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = ms_stream_view_dispose;
  /* Referencing the bundle links it in, and its constructor registers it,
   * even from the static library. */
  (void) ms_app_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/mailscope/Mailscope/ms-stream-view.ui");
  gtk_widget_class_bind_template_child (widget_class, MsStreamView, text_view);
  gtk_widget_class_bind_template_child (widget_class, MsStreamView, buffer);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ms_stream_view_init (MsStreamView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_text_buffer_create_tag (self->buffer, "client", "foreground", "#1c71d8", NULL);
  gtk_text_buffer_create_tag (self->buffer, "server", "foreground", "#c01c28", NULL);
  gtk_text_buffer_create_tag (self->buffer, "meta", "foreground", "#77767b",
                              "style", PANGO_STYLE_ITALIC, NULL);
}

GtkWidget *
ms_stream_view_new (void)
{
  return g_object_new (MS_TYPE_STREAM_VIEW, NULL);
}

void
ms_stream_view_set_events (MsStreamView *self, MsCapture *capture, const guint *indices,
                           guint n, MsStep reveal, gboolean mask)
{
  GtkTextIter end;
  guint lines = 0;

  gtk_text_buffer_set_text (self->buffer, "", 0);
  for (guint i = 0; capture && i < n; i++)
    {
      MsEvent *ev = ms_capture_get_event (capture, indices[i]);
      g_autofree char *text = NULL;
      g_autofree char *line = NULL;
      const char *tag;

      if (ev->step > reveal || ev->info == NULL)
        continue;
      /* TCP segments and the credential summary repeat what the lines
       * already show. */
      if (ev->proto == MS_PROTO_TCP || g_strcmp0 (ev->kind, "credential") == 0)
        continue;
      text = mask && (ev->flags & MS_EVENT_SECRET) ? ms_event_mask (ev, ev->info)
                                                    : g_strdup (ev->info);
      if (ev->proto == MS_PROTO_TLS || ev->proto == MS_PROTO_DNS || g_strcmp0 (ev->kind, "gap") == 0)
        {
          tag = "meta";
          line = g_strdup_printf ("%s %s\n", ev->dir == MS_DIR_S2C ? "S:" : "C:", text);
        }
      else
        {
          tag = ev->dir == MS_DIR_S2C ? "server" : "client";
          line = g_strdup_printf ("%s %s\n", ev->dir == MS_DIR_S2C ? "S:" : "C:", text);
        }
      gtk_text_buffer_get_end_iter (self->buffer, &end);
      if (++lines > MS_STREAM_MAX_LINES)
        {
          gtk_text_buffer_insert_with_tags_by_name (self->buffer, &end, "…\n", -1, "meta", NULL);
          break;
        }
      gtk_text_buffer_insert_with_tags_by_name (self->buffer, &end, line, -1, tag, NULL);
    }
}

char *
ms_stream_view_get_text (MsStreamView *self)
{
  GtkTextIter a, b;
  gtk_text_buffer_get_bounds (self->buffer, &a, &b);
  return gtk_text_buffer_get_text (self->buffer, &a, &b, FALSE);
}
