/* replay-main.c - runs a fuzz target's LLVMFuzzerTestOneInput over files
 * and directories of inputs (seed corpora and regressions) without
 * libFuzzer, printing TAP: one test per input file. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"

/* Targets that need no initialisation do not define it. */
__attribute__ ((weak)) int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  return 0;
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Adds `path` (a file) or every regular file below it (a directory). */
static void
collect (const char *path, GPtrArray *out)
{
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (out, g_strdup (path));
      return;
    }
  GDir *dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    return;
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      if (name[0] == '.')
        continue;
      char *child = g_build_filename (path, name, NULL);
      collect (child, out);
      g_free (child);
    }
  g_dir_close (dir);
}

int
main (int argc, char **argv)
{
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);

  LLVMFuzzerInitialize (&argc, &argv);
  for (int i = 1; i < argc; i++)
    collect (argv[i], files);
  g_ptr_array_sort (files, compare_paths);

  printf ("1..%u\n", files->len);
  for (guint i = 0; i < files->len; i++)
    {
      char *contents;
      gsize len;
      GError *error = NULL;
      const char *path = files->pdata[i];
      if (!g_file_get_contents (path, &contents, &len, &error))
        {
          printf ("not ok %u - %s: %s\n", i + 1, path, error->message);
          g_error_free (error);
          continue;
        }
      /* A crash stops the test here; the name printed last is the culprit. */
      fprintf (stderr, "replaying %s\n", path);
      fflush (stdout);
      LLVMFuzzerTestOneInput ((const guint8 *) contents, len);
      g_free (contents);
      printf ("ok %u - %s\n", i + 1, path);
    }
  if (files->len == 0)
    printf ("# no inputs\n");
  g_ptr_array_unref (files);
  return 0;
}
