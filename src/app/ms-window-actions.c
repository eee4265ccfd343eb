/* ms-window-actions.c - the window's actions: open and export (capture.*),
 * stepping through the lesson (lesson.*) and presentation (view.*). Live
 * capture and the live demo are in ms-window-live.c, saving in
 * ms-window-save.c. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "lab/ms-demo.h"
#include "ms-narration-export.h"
#include "ms-window-private.h"

/* Zoom changes by this many percent per Ctrl+plus/minus. */
#define MS_ZOOM_STEP 10
/* Zoom bounds in percent: below that text is unreadable, above it a
 * 1280-pixel projector shows too little. */
#define MS_ZOOM_MIN 50
#define MS_ZOOM_MAX 300

static gboolean
has_session (MsWindow *self)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "session") == 0;
}

void
ms_window_update_actions (MsWindow *self)
{
  GtkWidget *w = GTK_WIDGET (self);
  gboolean session = has_session (self);
  guint pos = session ? ms_session_view_get_position (self->session_view) : 0;
  guint n = session ? ms_session_view_get_n_steps (self->session_view) : 0;

  gboolean live_demo = ms_window_get_live_demo (self) != NULL;

  ms_window_live_update_actions (self);
  ms_window_save_update_actions (self);
  gtk_widget_action_set_enabled (w, "lesson.first", session && pos > 0);
  gtk_widget_action_set_enabled (w, "lesson.back", session && pos > 0);
  /* In the live demo Next also lets the waiting client run its step. */
  gtk_widget_action_set_enabled (w, "lesson.next",
                                 session && (pos + 1 < n || ms_window_live_can_next (self)));
  gtk_widget_action_set_enabled (w, "lesson.last", session && pos + 1 < n);
  gtk_widget_action_set_enabled (w, "lesson.play", session && (n > 1 || live_demo));
  gtk_widget_action_set_enabled (w, "lesson.session", session);
  gtk_widget_action_set_enabled (w, "capture.export-png", session);
  gtk_widget_action_set_enabled (w, "capture.export-svg", session);
  gtk_widget_action_set_enabled (w, "capture.export-markdown", session);
  gtk_widget_action_set_enabled (w, "capture.export-html", session);
  gtk_widget_action_set_enabled (w, "capture.export-diagram-to", session);
  gtk_widget_action_set_enabled (w, "capture.export-handout-to", session);
}

/* ---------------------------------------------------------------------- */
/* Export                                                                 */

gboolean
ms_window_export_diagram (MsWindow *self, const char *path, GError **error)
{
  MsLadder *ladder = ms_session_view_get_ladder (self->session_view);

  if (g_str_has_suffix (path, ".svg"))
    return ms_ladder_export_svg (ladder, path, error);
  return ms_ladder_export_png (ladder, path, NULL, NULL, error);
}

gboolean
ms_window_export_handout (MsWindow *self, const char *path, GError **error)
{
  gboolean html = g_str_has_suffix (path, ".html") || g_str_has_suffix (path, ".htm");
  g_autofree char *text = ms_narration_export (self->capture,
                                               ms_session_view_get_session (self->session_view),
                                               html ? MS_NARRATION_HTML : MS_NARRATION_MARKDOWN,
                                               self->mask_secrets);
  return g_file_set_contents (path, text, -1, error);
}

typedef struct {
  MsWindow *self;
  gboolean diagram;
} ExportJob;

static void
report_export (MsWindow *self, const char *path, gboolean ok, GError *error)
{
  if (ok)
    {
      g_autofree char *base = g_path_get_basename (path);
      g_autofree char *msg = g_strdup_printf (_("Exported %s"), base);
      ms_window_toast (self, msg);
    }
  else
    ms_window_toast (self, error->message);
}

static void
on_export_response (GtkNativeDialog *dialog, int response, gpointer data)
{
  ExportJob *job = data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      g_autoptr (GError) error = NULL;

      if (path)
        {
          gboolean ok = job->diagram ? ms_window_export_diagram (job->self, path, &error)
                                     : ms_window_export_handout (job->self, path, &error);
          report_export (job->self, path, ok, error);
        }
    }
  g_object_unref (job->self);
  g_free (job);
  g_object_unref (dialog);
}

static void
export_with_dialog (MsWindow *self, gboolean diagram, const char *ext, const char *title)
{
  GtkFileChooserNative *dialog;
  ExportJob *job = g_new0 (ExportJob, 1);
  g_autofree char *stem = g_strdup (self->capture ? ms_capture_get_title (self->capture) : "mailscope");
  g_autofree char *name = NULL;
  char *dot = strrchr (stem, '.');

  if (dot)
    *dot = '\0';
  name = g_strdup_printf ("%s-%s.%s", stem, diagram ? "diagram" : "lesson", ext);
  dialog = gtk_file_chooser_native_new (title, GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                        _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  job->self = g_object_ref (self);
  job->diagram = diagram;
  g_signal_connect (dialog, "response", G_CALLBACK (on_export_response), job);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
export_png_action (GtkWidget *w, const char *name, GVariant *param)
{
  export_with_dialog (MS_WINDOW (w), TRUE, "png", _("Export Diagram as PNG"));
}

static void
export_svg_action (GtkWidget *w, const char *name, GVariant *param)
{
  export_with_dialog (MS_WINDOW (w), TRUE, "svg", _("Export Diagram as SVG"));
}

static void
export_markdown_action (GtkWidget *w, const char *name, GVariant *param)
{
  export_with_dialog (MS_WINDOW (w), FALSE, "md", _("Export Handout as Markdown"));
}

static void
export_html_action (GtkWidget *w, const char *name, GVariant *param)
{
  export_with_dialog (MS_WINDOW (w), FALSE, "html", _("Export Handout as HTML"));
}

static void
export_to_action (GtkWidget *w, const char *name, GVariant *param)
{
  MsWindow *self = MS_WINDOW (w);
  const char *path = g_variant_get_string (param, NULL);
  g_autoptr (GError) error = NULL;
  gboolean ok = g_str_equal (name, "capture.export-diagram-to")
                  ? ms_window_export_diagram (self, path, &error)
                  : ms_window_export_handout (self, path, &error);
  report_export (self, path, ok, error);
}

/* ---------------------------------------------------------------------- */
/* Open                                                                   */

static void
on_open_response (GtkNativeDialog *dialog, int response, gpointer data)
{
  MsWindow *self = data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      if (file)
        ms_window_open_file (self, file);
    }
  g_object_unref (self);
  g_object_unref (dialog);
}

static void
open_action (GtkWidget *w, const char *name, GVariant *param)
{
  GtkFileChooserNative *dialog;
  GtkFileFilter *filter = gtk_file_filter_new ();
  GtkFileFilter *all = gtk_file_filter_new ();

  dialog = gtk_file_chooser_native_new (_("Open Capture"), GTK_WINDOW (w),
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("Captures (pcap, pcapng)"));
  gtk_file_filter_add_pattern (filter, "*.pcap");
  gtk_file_filter_add_pattern (filter, "*.pcapng");
  gtk_file_filter_add_pattern (filter, "*.cap");
  gtk_file_filter_add_mime_type (filter, "application/vnd.tcpdump.pcap");
  gtk_file_filter_add_mime_type (filter, "application/x-pcapng");
  gtk_file_filter_set_name (all, _("All files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), all);
  g_object_unref (filter);
  g_object_unref (all);
  g_signal_connect (dialog, "response", G_CALLBACK (on_open_response), g_object_ref (w));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* ---------------------------------------------------------------------- */
/* Lesson                                                                 */

static void
lesson_action (GtkWidget *w, const char *name, GVariant *param)
{
  MsWindow *self = MS_WINDOW (w);
  MsSessionView *view = self->session_view;

  if (!has_session (self))
    return;
  if (ms_window_live_lesson (self, name))
    ;
  else if (g_str_equal (name, "lesson.next"))
    ms_session_view_step_next (view);
  else if (g_str_equal (name, "lesson.back"))
    ms_session_view_step_back (view);
  else if (g_str_equal (name, "lesson.first"))
    ms_session_view_step_first (view);
  else if (g_str_equal (name, "lesson.last"))
    ms_session_view_step_last (view);
  else if (g_str_equal (name, "lesson.play"))
    ms_session_view_set_playing (view, !ms_session_view_get_playing (view));
  ms_window_update_actions (self);
}

static void
session_action (GtkWidget *w, const char *name, GVariant *param)
{
  MsWindow *self = MS_WINDOW (w);
  ms_session_view_set_session (self->session_view, g_variant_get_uint32 (param));
  ms_window_update_actions (self);
}

/* ---------------------------------------------------------------------- */
/* View                                                                   */

static void
zoom_action (GtkWidget *w, const char *name, GVariant *param)
{
  MsWindow *self = MS_WINDOW (w);

  if (g_str_equal (name, "view.zoom-in"))
    self->zoom = MIN (self->zoom + MS_ZOOM_STEP, MS_ZOOM_MAX);
  else if (g_str_equal (name, "view.zoom-out"))
    self->zoom = MAX (self->zoom - MS_ZOOM_STEP, MS_ZOOM_MIN);
  else
    self->zoom = 100;
  ms_window_apply_zoom (self);
}

void
ms_window_class_install_actions (GtkWidgetClass *klass)
{
  gtk_widget_class_install_action (klass, "capture.open", NULL, open_action);
  gtk_widget_class_install_action (klass, "capture.export-png", NULL, export_png_action);
  gtk_widget_class_install_action (klass, "capture.export-svg", NULL, export_svg_action);
  gtk_widget_class_install_action (klass, "capture.export-markdown", NULL, export_markdown_action);
  gtk_widget_class_install_action (klass, "capture.export-html", NULL, export_html_action);
  gtk_widget_class_install_action (klass, "capture.export-diagram-to", "s", export_to_action);
  gtk_widget_class_install_action (klass, "capture.export-handout-to", "s", export_to_action);
  ms_window_class_init_live (klass);
  ms_window_class_init_save (klass);

  gtk_widget_class_install_action (klass, "lesson.first", NULL, lesson_action);
  gtk_widget_class_install_action (klass, "lesson.back", NULL, lesson_action);
  gtk_widget_class_install_action (klass, "lesson.next", NULL, lesson_action);
  gtk_widget_class_install_action (klass, "lesson.last", NULL, lesson_action);
  gtk_widget_class_install_action (klass, "lesson.play", NULL, lesson_action);
  gtk_widget_class_install_action (klass, "lesson.session", "u", session_action);

  gtk_widget_class_install_action (klass, "view.zoom-in", NULL, zoom_action);
  gtk_widget_class_install_action (klass, "view.zoom-out", NULL, zoom_action);
  gtk_widget_class_install_action (klass, "view.zoom-reset", NULL, zoom_action);
  gtk_widget_class_install_property_action (klass, "view.presenter", "presenter");
  gtk_widget_class_install_property_action (klass, "view.high-contrast", "high-contrast");
  gtk_widget_class_install_property_action (klass, "view.mask-secrets", "mask-secrets");
  gtk_widget_class_install_property_action (klass, "view.dark", "dark");
}
