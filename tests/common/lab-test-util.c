/* lab-test-util.c - the lab tests' throwaway server. */
#include "config.h"

#include <glib/gstdio.h>

#include "lab-test-util.h"

char *
ms_test_samples_maildir (void)
{
  const char *root = g_getenv ("MS_SOURCE_ROOT");
  g_assert_nonnull (root);
  return g_build_filename (root, "samples", "maildir", NULL);
}

MsLabServer *
ms_test_lab_server_new (const char *dir, MsTestLabTweak tweak)
{
  g_autoptr (GError) error = NULL;
  MsLabConfig cfg;

  ms_lab_config_init (&cfg);
  cfg.data_dir = g_strdup (dir);
  cfg.seed_dir = ms_test_samples_maildir ();
  cfg.failed_login_delay_ms = 0;
  if (tweak)
    tweak (&cfg);
  MsLabServer *srv = ms_lab_server_new (&cfg, &error);
  g_assert_no_error (error);
  ms_lab_config_clear (&cfg);
  return srv;
}

static void
collect_log (const char *service, const char *peer, char who, const char *text, gpointer data)
{
  MsTestLab *lab = data;
  g_ptr_array_add (lab->log, g_strdup_printf ("%s %s %c %s", service, peer, who, text));
}

MsTestLab *
ms_test_lab_new (MsTestLabTweak tweak)
{
  g_autoptr (GError) error = NULL;
  MsTestLab *lab = g_new0 (MsTestLab, 1);

  lab->dir = g_dir_make_tmp ("ms-lab-XXXXXX", &error);
  g_assert_no_error (error);
  lab->log = g_ptr_array_new_with_free_func (g_free);
  lab->srv = ms_test_lab_server_new (lab->dir, tweak);
  ms_lab_server_set_log (lab->srv, collect_log, lab);
  return lab;
}

void
ms_test_lab_free (MsTestLab *lab)
{
  ms_lab_server_free (lab->srv);
  /* Let closed connections finish their callbacks. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  ms_test_rm_rf (lab->dir);
  g_free (lab->dir);
  g_ptr_array_unref (lab->log);
  g_free (lab);
}

gboolean
ms_test_lab_logged (MsTestLab *lab, const char *tail)
{
  for (guint i = 0; i < lab->log->len; i++)
    if (g_str_has_suffix (lab->log->pdata[i], tail))
      return TRUE;
  return FALSE;
}

void
ms_test_rm_rf (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  if (dir != NULL)
    {
      const char *name;
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            ms_test_rm_rf (child);
          else
            g_unlink (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}
