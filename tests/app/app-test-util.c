/* app-test-util.c - the GUI tests' shared application, waits, samples and
 * screenshots (see app-test-util.h). */
#include "config.h"

#include <locale.h>
#include <glib/gi18n-lib.h>

#include "app-test-util.h"

static MsApplication *app;

void
app_test_init (int *argc, char ***argv)
{
  const char *localedir = g_getenv ("MAILSCOPE_LOCALEDIR");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  gtk_test_init (argc, argv, NULL);

  app = ms_application_new (G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));
  g_application_hold (G_APPLICATION (app));
}

int
app_test_run (void)
{
  int rc = g_test_run ();

  g_application_release (G_APPLICATION (app));
  g_application_quit (G_APPLICATION (app));
  g_clear_object (&app);
  return rc;
}

MsApplication *
app_test_get_app (void)
{
  return app;
}

void
app_test_spin (void)
{
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
}

void
app_test_run_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

void
app_test_wait_until (AppTestCondition cond, gpointer data, guint timeout_s, const char *what)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  while (!cond (data))
    {
      if (g_get_monotonic_time () > end)
        g_error ("gave up after %u s waiting for %s", timeout_s, what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  app_test_spin ();
}

typedef struct {
  MsWindow *win;
  const char *page;
  const char *other;
} PageWait;

static gboolean
page_shown (gpointer data)
{
  PageWait *w = data;
  const char *now = ms_window_get_page (w->win);

  return g_strcmp0 (now, w->page) == 0 || (w->other && g_strcmp0 (now, w->other) == 0);
}

const char *
app_test_wait_for_page (MsWindow *win, const char *page, const char *other, guint timeout_s)
{
  PageWait w = { win, page, other };
  g_autofree char *what = g_strdup_printf ("the page “%s”", page);

  app_test_wait_until (page_shown, &w, timeout_s, what);
  return ms_window_get_page (win);
}

char *
app_test_sample_path (const char *name)
{
  return g_build_filename (g_getenv ("MS_SOURCE_ROOT"), "samples", name, NULL);
}

MsWindow *
app_test_open_sample (const char *name)
{
  g_autofree char *path = app_test_sample_path (name);
  GFile *files[1];
  GtkWindow *win;

  files[0] = g_file_new_for_path (path);
  g_application_open (G_APPLICATION (app), files, 1, "");
  g_object_unref (files[0]);
  win = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (MS_IS_WINDOW (win));
  return MS_WINDOW (win);
}

void
app_test_save_screenshot (GtkWidget *widget, const char *path)
{
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  GskRenderNode *node;
  GdkTexture *texture;

  gdk_paintable_snapshot (paintable, snapshot, w, h);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, w, h));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_object_unref (texture);
  gsk_render_node_unref (node);
}
