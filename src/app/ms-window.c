/* ms-window.c - the window: pages for start, loading, errors and the
 * session; opens captures, accepts dropped files, remembers recent ones. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ms-app-resources.h"
#include "ms-shared-view.h"
#include "ms-window-private.h"

/* Recent captures offered on the start page. */
#define MS_WINDOW_MAX_RECENT 5
/* Presenter mode enlarges everything by this factor (percent). */
#define MS_PRESENTER_ZOOM 150
/* A big capture shows its lesson once a batch holds a mail session, or
 * after this many milliseconds with whatever frames have arrived; the rest
 * is indexed in the background. */
#define MS_WINDOW_FIRST_PAGE_MS 300
/* While the rest is indexed, the session view catches up at most this
 * often (milliseconds): a refresh per batch would cost more than reading. */
#define MS_WINDOW_REFRESH_MS 250

enum {
  PROP_0,
  PROP_PRESENTER,
  PROP_HIGH_CONTRAST,
  PROP_MASK_SECRETS,
  PROP_DARK,
  PROP_COMPARE,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

G_DEFINE_FINAL_TYPE (MsWindow, ms_window, ADW_TYPE_APPLICATION_WINDOW)

void
ms_window_toast (MsWindow *self, const char *message)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

const char *
ms_window_get_page (MsWindow *self)
{
  return gtk_stack_get_visible_child_name (self->stack);
}

MsCapture *
ms_window_get_capture (MsWindow *self)
{
  return self->capture;
}

MsSessionView *
ms_window_get_session_view (MsWindow *self)
{
  return self->session_view;
}

void
ms_window_apply_zoom (MsWindow *self)
{
  GtkSettings *settings = gtk_settings_get_default ();
  g_autofree char *font_name = NULL;
  g_autofree char *css = NULL;
  PangoFontDescription *desc;
  double base = 11;
  int zoom = self->zoom * (self->presenter ? MS_PRESENTER_ZOOM : 100) / 100;

  g_object_get (settings, "gtk-font-name", &font_name, NULL);
  desc = pango_font_description_from_string (font_name ? font_name : "Sans 11");
  if (pango_font_description_get_size (desc) > 0)
    base = pango_font_description_get_size (desc) / (double) PANGO_SCALE;
  pango_font_description_free (desc);
  css = g_strdup_printf ("window.mailscope-zoom { font-size: %.1fpt; }", base * zoom / 100.0);
  gtk_css_provider_load_from_data (self->zoom_css, css, -1);
}

static void
set_style_classes (MsWindow *self)
{
  GtkWidget *w = GTK_WIDGET (self);

  if (self->presenter)
    gtk_widget_add_css_class (w, "presenter");
  else
    gtk_widget_remove_css_class (w, "presenter");
  if (self->high_contrast)
    gtk_widget_add_css_class (w, "high-contrast");
  else
    gtk_widget_remove_css_class (w, "high-contrast");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      self->dark ? ADW_COLOR_SCHEME_FORCE_DARK
                                      : self->high_contrast ? ADW_COLOR_SCHEME_FORCE_LIGHT
                                      : ADW_COLOR_SCHEME_DEFAULT);
  ms_window_apply_zoom (self);
}

/* ---------------------------------------------------------------------- */
/* Opening                                                                */

/* TRUE while self->capture is a file still being indexed. */
static gboolean
indexing (MsWindow *self)
{
  return self->capture != NULL && ms_capture_is_loading (self->capture)
         && !ms_capture_is_live (self->capture);
}

/* Shows the lesson of a capture still being indexed when there is enough
 * of it: a mail session, or any frame once the first page is due. */
static void
show_first_page (MsWindow *self, gboolean due)
{
  MsCapture *capture = self->capture;

  if (!indexing (self) || g_strcmp0 (ms_window_get_page (self), "loading") != 0)
    return;
  if (ms_capture_first_mail_session (capture) == 0
      && !(due && ms_capture_get_n_frames (capture) > 0))
    return;
  g_clear_handle_id (&self->first_page_id, g_source_remove);
  ms_session_view_set_capture (self->session_view, capture);
  ms_session_view_set_progress (self->session_view, self->load_fraction);
  gtk_stack_set_visible_child_name (self->stack, "session");
  ms_window_update_actions (self);
}

static gboolean
on_first_page_due (gpointer data)
{
  MsWindow *self = data;

  self->first_page_id = 0;
  show_first_page (self, TRUE);
  return G_SOURCE_REMOVE;
}

static gboolean
on_refresh_due (gpointer data)
{
  MsWindow *self = data;

  self->refresh_id = 0;
  if (indexing (self) && ms_session_view_get_capture (self->session_view) == self->capture)
    {
      ms_session_view_refresh (self->session_view, FALSE);
      ms_window_update_actions (self);
    }
  return G_SOURCE_REMOVE;
}

static void
stop_indexing_timers (MsWindow *self)
{
  g_clear_handle_id (&self->first_page_id, g_source_remove);
  g_clear_handle_id (&self->refresh_id, g_source_remove);
}

static void
on_capture_progress (MsCapture *capture, double fraction, guint first, guint n, MsWindow *self)
{
  g_autofree char *text = g_strdup_printf (_("%u frames read"), ms_capture_get_n_frames (capture));

  self->load_fraction = fraction;
  gtk_progress_bar_set_fraction (self->progress_bar, fraction);
  gtk_label_set_text (self->loading_label, text);
  /* The last batch: "loaded" follows at once. */
  if (!indexing (self))
    return;
  if (ms_session_view_get_capture (self->session_view) != capture)
    {
      show_first_page (self, g_get_monotonic_time () - self->open_time
                               >= MS_WINDOW_FIRST_PAGE_MS * 1000);
      return;
    }
  ms_session_view_set_progress (self->session_view, fraction);
  if (self->refresh_id == 0)
    self->refresh_id = g_timeout_add (MS_WINDOW_REFRESH_MS, on_refresh_due, self);
}

void
ms_window_remember_capture (MsCapture *capture)
{
  g_autofree char *uri = g_file_get_uri (ms_capture_get_file (capture));
  /* Spelled out: add_item() guesses the application's name, which is
   * unset in programs that embed the window (tests, benchmarks). */
  GtkRecentData data = {
    .display_name = (char *) ms_capture_get_title (capture),
    .mime_type = (char *) "application/vnd.tcpdump.pcap",
    .app_name = (char *) "mailscope",
    .app_exec = (char *) "mailscope %u",
  };

  gtk_recent_manager_add_full (gtk_recent_manager_get_default (), uri, &data);
}

static void
on_capture_loaded (MsCapture *capture, const char *warning, MsWindow *self)
{
  gboolean shown = ms_session_view_get_capture (self->session_view) == capture;

  stop_indexing_timers (self);
  ms_session_view_set_progress (self->session_view, -1);
  ms_window_remember_capture (capture);
  if (ms_capture_get_n_events (capture) == 0)
    {
      g_autofree char *desc = g_strdup_printf (
          _("%s holds %u frames, but none of them belongs to a mail session (IMAP, POP3, DNS or TLS)."),
          ms_capture_get_title (capture), ms_capture_get_n_frames (capture));
      adw_status_page_set_description (self->empty_page, desc);
      gtk_stack_set_visible_child_name (self->stack, "empty");
    }
  else if (shown)
    {
      /* Shown while it was indexed: the lesson's own sessions replace the
       * copies, the view keeps its session and step. */
      ms_session_view_refresh (self->session_view, FALSE);
      if (g_strcmp0 (ms_window_get_page (self), "loading") == 0)
        gtk_stack_set_visible_child_name (self->stack, "session");
    }
  else
    {
      ms_session_view_set_capture (self->session_view, capture);
      gtk_stack_set_visible_child_name (self->stack, "session");
    }
  if (warning)
    ms_window_toast (self, warning);
  ms_window_update_actions (self);
}

static void
on_capture_failed (MsCapture *capture, const char *message, MsWindow *self)
{
  stop_indexing_timers (self);
  ms_session_view_set_progress (self->session_view, -1);
  adw_status_page_set_description (self->error_page, message);
  gtk_stack_set_visible_child_name (self->stack, "error");
  ms_window_toast (self, message);
  ms_window_update_actions (self);
}

void
ms_window_open_file (MsWindow *self, GFile *file)
{
  ms_window_drop_live (self);
  stop_indexing_timers (self);
  if (self->capture)
    {
      g_signal_handlers_disconnect_by_data (self->capture, self);
      ms_capture_cancel (self->capture);
      g_clear_object (&self->capture);
    }
  ms_session_view_set_progress (self->session_view, -1);
  self->capture = ms_capture_new (file);
  self->open_time = g_get_monotonic_time ();
  self->load_fraction = 0;
  adw_window_title_set_subtitle (self->window_title, ms_capture_get_title (self->capture));
  g_signal_connect (self->capture, "progress", G_CALLBACK (on_capture_progress), self);
  g_signal_connect (self->capture, "loaded", G_CALLBACK (on_capture_loaded), self);
  g_signal_connect (self->capture, "failed", G_CALLBACK (on_capture_failed), self);
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_label_set_text (self->loading_label, "");
  gtk_stack_set_visible_child_name (self->stack, "loading");
  ms_capture_load (self->capture);
  self->first_page_id = g_timeout_add (MS_WINDOW_FIRST_PAGE_MS, on_first_page_due, self);
  ms_window_update_actions (self);
}

static gboolean
on_drop (GtkDropTarget *target, const GValue *value, double x, double y, MsWindow *self)
{
  GFile *file = g_value_get_object (value);

  if (file == NULL)
    return FALSE;
  ms_window_open_file (self, file);
  return TRUE;
}

static void
on_recent_activated (GtkListBox *box, GtkListBoxRow *row, MsWindow *self)
{
  const char *uri = g_object_get_data (G_OBJECT (row), "uri");
  g_autoptr (GFile) file = NULL;

  if (uri == NULL)
    return;
  file = g_file_new_for_uri (uri);
  ms_window_open_file (self, file);
}

static gboolean
is_capture_name (const char *uri)
{
  return g_str_has_suffix (uri, ".pcap") || g_str_has_suffix (uri, ".pcapng")
         || g_str_has_suffix (uri, ".cap");
}

static void
fill_recent (MsWindow *self)
{
  GList *items = gtk_recent_manager_get_items (gtk_recent_manager_get_default ());
  GtkWidget *child;
  guint n = 0;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->recent_list))))
    gtk_list_box_remove (self->recent_list, child);
  for (GList *l = items; l && n < MS_WINDOW_MAX_RECENT; l = l->next)
    {
      GtkRecentInfo *info = l->data;
      const char *uri = gtk_recent_info_get_uri (info);
      GtkWidget *row;

      if (!is_capture_name (uri) || !gtk_recent_info_exists (info))
        continue;
      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), gtk_recent_info_get_display_name (info));
      {
        g_autofree char *path = g_filename_from_uri (uri, NULL, NULL);
        g_autofree char *dir = path ? g_path_get_dirname (path) : NULL;
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row), dir ? dir : uri);
      }
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      g_object_set_data_full (G_OBJECT (row), "uri", g_strdup (uri), g_free);
      gtk_list_box_append (self->recent_list, row);
      n++;
    }
  g_list_free_full (items, (GDestroyNotify) gtk_recent_info_unref);
  gtk_widget_set_visible (self->recent_group, n > 0);
}

/* ---------------------------------------------------------------------- */
/* GObject                                                                */

static void
ms_window_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  MsWindow *self = MS_WINDOW (object);

  switch (prop_id)
    {
    case PROP_PRESENTER:
      g_value_set_boolean (value, self->presenter);
      break;
    case PROP_HIGH_CONTRAST:
      g_value_set_boolean (value, self->high_contrast);
      break;
    case PROP_MASK_SECRETS:
      g_value_set_boolean (value, self->mask_secrets);
      break;
    case PROP_DARK:
      g_value_set_boolean (value, self->dark);
      break;
    case PROP_COMPARE:
      g_value_set_boolean (value, ms_window_get_compare_shown (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ms_window_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  MsWindow *self = MS_WINDOW (object);

  switch (prop_id)
    {
    case PROP_PRESENTER:
      self->presenter = g_value_get_boolean (value);
      set_style_classes (self);
      break;
    case PROP_HIGH_CONTRAST:
      self->high_contrast = g_value_get_boolean (value);
      set_style_classes (self);
      break;
    case PROP_MASK_SECRETS:
      self->mask_secrets = g_value_get_boolean (value);
      ms_session_view_set_mask_secrets (self->session_view, self->mask_secrets);
      break;
    case PROP_DARK:
      self->dark = g_value_get_boolean (value);
      set_style_classes (self);
      break;
    case PROP_COMPARE:
      if (self->compare)
        ms_window_set_compare_shown (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
on_position_changed (MsSessionView *view, MsWindow *self)
{
  ms_window_update_actions (self);
}

void
ms_window_show_busy (MsWindow *self, const char *message)
{
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_label_set_text (self->loading_label, message);
  gtk_stack_set_visible_child_name (self->stack, "loading");
  ms_window_update_actions (self);
}

static void
ms_window_dispose (GObject *object)
{
  MsWindow *self = MS_WINDOW (object);

  stop_indexing_timers (self);
  ms_window_dispose_live (self);
  ms_window_stop_shared_demo (self);
  ms_window_dispose_compare (self);
  ms_window_stop_lab (self);
  if (self->zoom_css)
    gtk_style_context_remove_provider_for_display (gtk_widget_get_display (GTK_WIDGET (self)),
                                                   GTK_STYLE_PROVIDER (self->zoom_css));
  g_clear_object (&self->zoom_css);
  if (self->capture)
    {
      g_signal_handlers_disconnect_by_data (self->capture, self);
      ms_capture_cancel (self->capture);
    }
  g_clear_object (&self->capture);
  gtk_widget_dispose_template (GTK_WIDGET (self), MS_TYPE_WINDOW);
  G_OBJECT_CLASS (ms_window_parent_class)->dispose (object);
}

static void
ms_window_class_init (MsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = ms_window_get_property;
  object_class->set_property = ms_window_set_property;
  object_class->dispose = ms_window_dispose;

  props[PROP_PRESENTER] = g_param_spec_boolean ("presenter", NULL, NULL, FALSE,
                                                G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  props[PROP_HIGH_CONTRAST] = g_param_spec_boolean ("high-contrast", NULL, NULL, FALSE,
                                                    G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  props[PROP_MASK_SECRETS] = g_param_spec_boolean ("mask-secrets", NULL, NULL, FALSE,
                                                   G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  props[PROP_DARK] = g_param_spec_boolean ("dark", NULL, NULL, FALSE,
                                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /* The comparison of IMAP and POP3 is shown (view.compare). */
  props[PROP_COMPARE] = g_param_spec_boolean ("compare", NULL, NULL, FALSE,
                                              G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  g_type_ensure (MS_TYPE_SESSION_VIEW);
  g_type_ensure (MS_TYPE_SHARED_VIEW);
  /* Referencing the bundle links it in, and its constructor registers it,
   * even from the static library. */
  (void) ms_app_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/mailscope/Mailscope/ms-window.ui");
  gtk_widget_class_bind_template_child (widget_class, MsWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, loading_label);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, recent_list);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, recent_group);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, demo_button);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, session_view);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, shared_view);
  gtk_widget_class_bind_template_callback (widget_class, on_recent_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_position_changed);

  ms_window_class_install_actions (widget_class);
  ms_window_class_install_shared_actions (widget_class);
  ms_window_class_install_lab_actions (widget_class);
  ms_window_class_install_compare (widget_class);
}

static void
ms_window_init (MsWindow *self)
{
  GtkDropTarget *drop;

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_add_css_class (GTK_WIDGET (self), "mailscope-zoom");
  self->zoom = 100;
  self->zoom_css = gtk_css_provider_new ();
  gtk_style_context_add_provider_for_display (gtk_widget_get_display (GTK_WIDGET (self)),
                                              GTK_STYLE_PROVIDER (self->zoom_css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION + 1);
  ms_window_apply_zoom (self);

  drop = gtk_drop_target_new (G_TYPE_FILE, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  fill_recent (self);
  ms_window_init_live (self);
  ms_window_init_shared (self);
  ms_window_init_compare (self);
  ms_window_update_actions (self);
}

MsWindow *
ms_window_new (GtkApplication *app)
{
  return g_object_new (MS_TYPE_WINDOW, "application", app, NULL);
}
