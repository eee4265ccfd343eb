/* ms-window-save.c - "Save Capture As…" (capture.save, capture.save-to):
 * copies the capture file - a live capture's pcap, the live demo's, or an
 * opened file - and, when TLS was used, its key log beside it as
 * NAME.keylog, off the main thread. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ms-window-private.h"

/* The key log kept beside a capture: the demo's (set on the capture), else
 * a FILE.keylog next to an opened FILE.pcap. NULL when there is none or it
 * is empty (no TLS was used). */
static char *
keylog_of (MsCapture *capture)
{
  const char *set = g_object_get_data (G_OBJECT (capture), "mailscope-keylog");
  g_autofree char *path = g_file_get_path (ms_capture_get_file (capture));
  char *candidate = NULL;
  GStatBuf st;

  if (set)
    candidate = g_strdup (set);
  else if (path)
    {
      char *dot = strrchr (path, '.');
      if (dot && strchr (dot, '/') == NULL)
        *dot = '\0';
      candidate = g_strconcat (path, ".keylog", NULL);
    }
  if (candidate && g_stat (candidate, &st) == 0 && st.st_size > 0)
    return candidate;
  g_free (candidate);
  return NULL;
}

/* NAME.pcap → NAME.keylog (any extension is replaced). */
static char *
keylog_destination (const char *path)
{
  g_autofree char *stem = g_strdup (path);
  char *dot = strrchr (stem, '.');
  char *slash = strrchr (stem, '/');

  if (dot && (slash == NULL || dot > slash))
    *dot = '\0';
  return g_strconcat (stem, ".keylog", NULL);
}

typedef struct {
  char *source;
  char *keylog;         /* or NULL */
  char *dest;
  char *dest_keylog;
} SaveJob;

static void
save_job_free (gpointer data)
{
  SaveJob *job = data;
  g_free (job->source);
  g_free (job->keylog);
  g_free (job->dest);
  g_free (job->dest_keylog);
  g_free (job);
}

static gboolean
copy_file (const char *from, const char *to, GError **error)
{
  g_autoptr (GFile) src = g_file_new_for_path (from);
  g_autoptr (GFile) dst = g_file_new_for_path (to);

  if (g_strcmp0 (from, to) == 0)
    return TRUE;
  return g_file_copy (src, dst, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, error);
}

static void
save_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  SaveJob *job = data;
  GError *error = NULL;

  if (!copy_file (job->source, job->dest, &error)
      || (job->keylog && !copy_file (job->keylog, job->dest_keylog, &error)))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
save_done (GObject *source, GAsyncResult *result, gpointer data)
{
  MsWindow *self = MS_WINDOW (source);
  SaveJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  g_autofree char *msg = NULL;
  g_autofree char *base = g_path_get_basename (job->dest);

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    msg = g_strdup_printf (_("Could not save the capture: %s"), error->message);
  else if (job->keylog)
    {
      g_autofree char *kbase = g_path_get_basename (job->dest_keylog);
      /* TRANSLATORS: the capture and its TLS key log were saved */
      msg = g_strdup_printf (_("Saved %s and its key log %s"), base, kbase);
    }
  else
    msg = g_strdup_printf (_("Saved %s"), base);
  ms_window_toast (self, msg);
  g_object_set_data (G_OBJECT (self), "mailscope-saving", NULL);
  ms_window_update_actions (self);
}

void
ms_window_save_capture (MsWindow *self, const char *path)
{
  MsCapture *capture = self->capture;
  g_autoptr (GTask) task = NULL;
  SaveJob *job;

  if (capture == NULL || !ms_capture_is_loaded (capture))
    return;
  job = g_new0 (SaveJob, 1);
  job->source = g_file_get_path (ms_capture_get_file (capture));
  job->keylog = keylog_of (capture);
  job->dest = g_strdup (path);
  job->dest_keylog = keylog_destination (path);
  if (job->source == NULL)
    {
      save_job_free (job);
      ms_window_toast (self, _("Only local captures can be saved"));
      return;
    }
  g_object_set_data (G_OBJECT (self), "mailscope-saving", GINT_TO_POINTER (1));
  task = g_task_new (self, NULL, save_done, NULL);
  g_task_set_task_data (task, job, save_job_free);
  g_task_run_in_thread (task, save_thread);
  ms_window_update_actions (self);
}

static void
on_save_response (GtkNativeDialog *dialog, int response, gpointer data)
{
  MsWindow *self = data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      if (path)
        ms_window_save_capture (self, path);
    }
  g_object_unref (self);
  g_object_unref (dialog);
}

static void
save_action (GtkWidget *w, const char *name, GVariant *param)
{
  MsWindow *self = MS_WINDOW (w);
  GtkFileChooserNative *dialog;
  g_autofree char *base = NULL;

  if (self->capture == NULL)
    return;
  /* A live capture's pcap is named after its start time: a fine default. */
  base = g_file_get_basename (ms_capture_get_file (self->capture));
  dialog = gtk_file_chooser_native_new (_("Save Capture"), GTK_WINDOW (w),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), base);
  g_signal_connect (dialog, "response", G_CALLBACK (on_save_response), g_object_ref (w));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
save_to_action (GtkWidget *w, const char *name, GVariant *param)
{
  ms_window_save_capture (MS_WINDOW (w), g_variant_get_string (param, NULL));
}

void
ms_window_save_update_actions (MsWindow *self)
{
  gboolean can = self->capture != NULL && ms_capture_is_loaded (self->capture)
                 && g_object_get_data (G_OBJECT (self), "mailscope-saving") == NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "capture.save", can);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "capture.save-to", can);
}

void
ms_window_class_init_save (GtkWidgetClass *klass)
{
  gtk_widget_class_install_action (klass, "capture.save", NULL, save_action);
  gtk_widget_class_install_action (klass, "capture.save-to", "s", save_to_action);
}
