/* ms-capture-dialog.c - the interfaces come from pcap_findalldevs in a
 * worker thread (it may ask the kernel about every device), sorted with
 * loopback first; the filter is compiled against a dead pcap handle as it
 * is typed, so a mistake shows before anything is opened. */
#include "config.h"

#include <pcap/pcap.h>
#include <glib/gi18n-lib.h>

#include "ms-app-resources.h"
#include "ms-capture-dialog.h"

/* Snapshot length for checking filters: any value compiles the same. */
#define MS_FILTER_CHECK_SNAPLEN 65535

struct _MsCaptureDialog
{
  AdwWindow parent_instance;

  /* template widgets */
  GtkWidget *start_button;
  AdwComboRow *iface_row;
  AdwEntryRow *filter_row;
  GtkLabel *filter_error;

  /* owned */
  GStrv names;
  GStrv labels;          /* what each interface is, by position */
  char *error;           /* why the filter does not compile, or NULL */
  GCancellable *cancellable;
};

enum { SIG_START, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MsCaptureDialog, ms_capture_dialog, ADW_TYPE_WINDOW)

static void on_iface_selected (MsCaptureDialog *self);

typedef struct {
  char *name;
  char *label;           /* what the row shows under the name */
  int rank;              /* lower first */
} Iface;

static void
iface_free (gpointer data)
{
  Iface *i = data;
  g_free (i->name);
  g_free (i->label);
  g_free (i);
}

static int
iface_compare (gconstpointer a, gconstpointer b)
{
  const Iface *x = *(const Iface *const *) a, *y = *(const Iface *const *) b;
  if (x->rank != y->rank)
    return x->rank - y->rank;
  return g_strcmp0 (x->name, y->name);
}

static void
list_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_if_t *all = NULL;
  GPtrArray *list;

  if (pcap_findalldevs (&all, errbuf) != 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", errbuf);
      return;
    }
  list = g_ptr_array_new_with_free_func (iface_free);
  for (pcap_if_t *d = all; d; d = d->next)
    {
      Iface *i = g_new0 (Iface, 1);
      gboolean up = (d->flags & PCAP_IF_UP) && (d->flags & PCAP_IF_RUNNING);

      i->name = g_strdup (d->name);
      if (d->flags & PCAP_IF_LOOPBACK)
        {
          i->rank = 0;
          i->label = g_strdup (_("Loopback: the lab’s servers and clients talk here"));
        }
      else
        {
          i->rank = g_str_equal (d->name, "any") ? 2 : up ? 1 : 3;
          if (g_str_equal (d->name, "any"))
            i->label = g_strdup (_("Every interface at once"));
          else if (d->description)
            i->label = g_strdup (d->description);
          else
            i->label = g_strdup (up ? _("Up") : _("Down or not a network"));
        }
      g_ptr_array_add (list, i);
    }
  pcap_freealldevs (all);
  g_ptr_array_sort (list, iface_compare);
  g_task_return_pointer (task, list, (GDestroyNotify) g_ptr_array_unref);
}

static void
list_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *list = g_task_propagate_pointer (G_TASK (result), &error);
  MsCaptureDialog *self;
  GtkStringList *names;
  GStrvBuilder *b, *lb;

  if (list == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = MS_CAPTURE_DIALOG (source);
  if (list == NULL)
    {
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->iface_row), error->message);
      return;
    }
  names = gtk_string_list_new (NULL);
  b = g_strv_builder_new ();
  lb = g_strv_builder_new ();
  for (guint k = 0; k < list->len; k++)
    {
      Iface *i = list->pdata[k];
      gtk_string_list_append (names, i->name);
      g_strv_builder_add (b, i->name);
      g_strv_builder_add (lb, i->label);
    }
  g_strfreev (self->names);
  self->names = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  g_strfreev (self->labels);
  self->labels = g_strv_builder_end (lb);
  g_strv_builder_unref (lb);
  adw_combo_row_set_model (self->iface_row, G_LIST_MODEL (names));
  adw_combo_row_set_selected (self->iface_row, 0);
  on_iface_selected (self);
  gtk_widget_set_sensitive (GTK_WIDGET (self->iface_row), list->len > 0);
  g_object_unref (names);
  g_ptr_array_unref (list);
  gtk_widget_set_sensitive (self->start_button,
                            self->error == NULL && ms_capture_dialog_get_interface (self) != NULL);
}

/* Compiles the filter; sets self->error. */
static void
check_filter (MsCaptureDialog *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->filter_row));
  pcap_t *dead = pcap_open_dead (DLT_EN10MB, MS_FILTER_CHECK_SNAPLEN);
  struct bpf_program prog;

  g_clear_pointer (&self->error, g_free);
  if (dead == NULL)
    return;
  if (text[0] && pcap_compile (dead, &prog, text, 1, PCAP_NETMASK_UNKNOWN) != 0)
    self->error = g_strdup (pcap_geterr (dead));
  else if (text[0])
    pcap_freecode (&prog);
  pcap_close (dead);
  if (self->error)
    {
      /* TRANSLATORS: the capture filter does not compile; libpcap's reason */
      g_autofree char *msg = g_strdup_printf (_("This filter does not work: %s"), self->error);
      gtk_label_set_text (self->filter_error, msg);
      gtk_widget_add_css_class (GTK_WIDGET (self->filter_row), "error");
    }
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->filter_row), "error");
  gtk_widget_set_visible (GTK_WIDGET (self->filter_error), self->error != NULL);
  gtk_widget_set_sensitive (self->start_button,
                            self->error == NULL && ms_capture_dialog_get_interface (self) != NULL);
}

static void
on_filter_changed (MsCaptureDialog *self)
{
  check_filter (self);
}

static void
on_iface_selected (MsCaptureDialog *self)
{
  guint i = adw_combo_row_get_selected (self->iface_row);

  if (self->labels && i < g_strv_length (self->labels))
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self->iface_row), self->labels[i]);
  gtk_widget_set_sensitive (self->start_button,
                            self->error == NULL && ms_capture_dialog_get_interface (self) != NULL);
}

static void
on_mail_ports_clicked (MsCaptureDialog *self)
{
  ms_capture_dialog_set_filter (self, MS_CAPTURE_DIALOG_MAIL_FILTER);
}

static void
on_cancel_clicked (MsCaptureDialog *self)
{
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_start_clicked (MsCaptureDialog *self)
{
  ms_capture_dialog_start (self);
}

static void
ms_capture_dialog_dispose (GObject *object)
{
  MsCaptureDialog *self = MS_CAPTURE_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), MS_TYPE_CAPTURE_DIALOG);
  G_OBJECT_CLASS (ms_capture_dialog_parent_class)->dispose (object);
}

static void
ms_capture_dialog_finalize (GObject *object)
{
  MsCaptureDialog *self = MS_CAPTURE_DIALOG (object);

  g_strfreev (self->names);
  g_strfreev (self->labels);
  g_free (self->error);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (ms_capture_dialog_parent_class)->finalize (object);
}

static void
ms_capture_dialog_class_init (MsCaptureDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = ms_capture_dialog_dispose;
  G_OBJECT_CLASS (klass)->finalize = ms_capture_dialog_finalize;

  /* (interface, filter: "" for none) */
  signals[SIG_START] = g_signal_new ("start", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                     NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
                                     G_TYPE_STRING);

  (void) ms_app_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/mailscope/Mailscope/ms-capture-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, MsCaptureDialog, start_button);
  gtk_widget_class_bind_template_child (widget_class, MsCaptureDialog, iface_row);
  gtk_widget_class_bind_template_child (widget_class, MsCaptureDialog, filter_row);
  gtk_widget_class_bind_template_child (widget_class, MsCaptureDialog, filter_error);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_iface_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_mail_ports_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_start_clicked);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
ms_capture_dialog_init (MsCaptureDialog *self)
{
  g_autoptr (GTask) task = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  ms_capture_dialog_set_filter (self, MS_CAPTURE_DIALOG_MAIL_FILTER);
  task = g_task_new (self, self->cancellable, list_done, NULL);
  g_task_set_name (task, "mailscope-interfaces");
  g_task_run_in_thread (task, list_thread);
}

MsCaptureDialog *
ms_capture_dialog_new (GtkWindow *parent)
{
  return g_object_new (MS_TYPE_CAPTURE_DIALOG, "transient-for", parent, NULL);
}

guint
ms_capture_dialog_get_n_interfaces (MsCaptureDialog *self)
{
  return self->names ? g_strv_length (self->names) : 0;
}

const char *
ms_capture_dialog_get_interface (MsCaptureDialog *self)
{
  guint i = adw_combo_row_get_selected (self->iface_row);

  if (self->names == NULL || i == GTK_INVALID_LIST_POSITION || i >= g_strv_length (self->names))
    return NULL;
  return self->names[i];
}

void
ms_capture_dialog_set_filter (MsCaptureDialog *self, const char *filter)
{
  gtk_editable_set_text (GTK_EDITABLE (self->filter_row), filter);
  check_filter (self);
}

const char *
ms_capture_dialog_get_filter_error (MsCaptureDialog *self)
{
  return self->error;
}

gboolean
ms_capture_dialog_start (MsCaptureDialog *self)
{
  const char *iface = ms_capture_dialog_get_interface (self);
  g_autofree char *filter = NULL;

  if (iface == NULL || self->error != NULL)
    return FALSE;
  filter = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->filter_row))));
  g_object_ref (self);
  g_signal_emit (self, signals[SIG_START], 0, iface, filter);
  gtk_window_destroy (GTK_WINDOW (self));
  g_object_unref (self);
  return TRUE;
}
