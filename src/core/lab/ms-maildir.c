/* ms-maildir.c - the lab's Maildir store (Maildir, Maildir++ folders): the
 * tree of folders (open, list, create, delete, rename, seed from the
 * samples) and the helpers its folders share. One folder, with UIDs kept in
 * file names and UIDNEXT/UIDVALIDITY in an atomically replaced state file,
 * is in ms-maildir-folder.c. See ms-maildir.h for the crash-safety
 * argument. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ms-maildir-private.h"

/* A folder name may be at most this long (one directory entry). */
#define MAX_NAME_LEN 255

G_DEFINE_QUARK (ms-maildir-error-quark, ms_maildir_error)

struct _MsMaildir {
  char *root;
  guint counter;   /* makes unique file names within one process */
};

/* --- small helpers --------------------------------------------------- */

gboolean
ms_maildir_set_io_error (GError **error, const char *what, const char *path, int err)
{
  g_set_error (error, MS_MAILDIR_ERROR, MS_MAILDIR_ERROR_IO, "%s %s: %s", what, path,
               g_strerror (err));
  return FALSE;
}

/* A fresh unique base name, as the Maildir convention asks: the delivery
 * time in seconds (`when`, or now when 0), a microsecond and
 * process/counter part, and a host part. */
char *
ms_maildir_unique_base (MsMaildir *md, gint64 when)
{
  struct timeval tv;
  gettimeofday (&tv, NULL);
  return g_strdup_printf ("%" G_GINT64_FORMAT ".M%ldP%dQ%u.mailscope",
                          when > 0 ? when : (gint64) tv.tv_sec, (long) tv.tv_usec,
                          (int) getpid (), ++md->counter);
}

static gboolean
make_folder_dirs (const char *dir, GError **error)
{
  static const char *const subs[] = { "cur", "new", "tmp" };
  if (g_mkdir_with_parents (dir, 0700) != 0)
    return ms_maildir_set_io_error (error, _("cannot create"), dir, errno);
  for (guint i = 0; i < G_N_ELEMENTS (subs); i++)
    {
      g_autofree char *p = g_build_filename (dir, subs[i], NULL);
      if (g_mkdir_with_parents (p, 0700) != 0)
        return ms_maildir_set_io_error (error, _("cannot create"), p, errno);
    }
  return TRUE;
}

/* --- the Maildir ----------------------------------------------------- */

MsMaildir *
ms_maildir_open (const char *root, GError **error)
{
  if (!make_folder_dirs (root, error))
    return NULL;
  MsMaildir *md = g_new0 (MsMaildir, 1);
  md->root = g_strdup (root);
  return md;
}

void
ms_maildir_free (MsMaildir *md)
{
  if (md == NULL)
    return;
  g_free (md->root);
  g_free (md);
}

const char *
ms_maildir_root (MsMaildir *md)
{
  return md->root;
}

gboolean
ms_maildir_name_ok (const char *name)
{
  if (name == NULL || name[0] == '\0' || strlen (name) > MAX_NAME_LEN)
    return FALSE;
  if (!g_utf8_validate (name, -1, NULL))
    return FALSE;
  if (name[0] == '/' || name[0] == '.' || name[strlen (name) - 1] == '.')
    return FALSE;
  for (const char *p = name; *p; p++)
    {
      if ((guchar) *p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\' || *p == '*'
          || *p == '%')
        return FALSE;
      if (p[0] == '.' && p[1] == '.')
        return FALSE;   /* an empty level, and never ".." */
    }
  return TRUE;
}

gboolean
ms_maildir_is_inbox (const char *name)
{
  return g_ascii_strcasecmp (name, "INBOX") == 0;
}

char *
ms_maildir_path (MsMaildir *md, const char *name)
{
  if (!ms_maildir_name_ok (name))
    return NULL;
  if (ms_maildir_is_inbox (name))
    return g_strdup (md->root);
  g_autofree char *dot = g_strconcat (".", name, NULL);
  return g_build_filename (md->root, dot, NULL);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

GPtrArray *
ms_maildir_list (MsMaildir *md)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) dir = g_dir_open (md->root, 0, NULL);
  const char *entry;
  while (dir && (entry = g_dir_read_name (dir)) != NULL)
    {
      if (entry[0] != '.' || !ms_maildir_name_ok (entry + 1))
        continue;
      g_autofree char *cur = g_build_filename (md->root, entry, "cur", NULL);
      if (g_file_test (cur, G_FILE_TEST_IS_DIR))
        g_ptr_array_add (names, g_strdup (entry + 1));
    }
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_insert (names, 0, g_strdup ("INBOX"));
  return names;
}

gboolean
ms_maildir_check_name (const char *name, GError **error)
{
  if (!ms_maildir_name_ok (name))
    {
      g_set_error (error, MS_MAILDIR_ERROR, MS_MAILDIR_ERROR_NAME,
                   _("mailbox name “%s” is not allowed"), name ? name : "");
      return FALSE;
    }
  return TRUE;
}

gboolean
ms_maildir_create (MsMaildir *md, const char *name, GError **error)
{
  if (!ms_maildir_check_name (name, error))
    return FALSE;
  g_autofree char *path = ms_maildir_path (md, name);
  if (ms_maildir_is_inbox (name) || g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, MS_MAILDIR_ERROR, MS_MAILDIR_ERROR_EXISTS,
                   _("mailbox “%s” already exists"), name);
      return FALSE;
    }
  /* Build it under tmp/ and rename it into place, so a half-made folder is
   * never listed. */
  g_autofree char *tmp = g_strdup_printf ("%s/tmp/folder.%d.%u", md->root, (int) getpid (),
                                          g_random_int ());
  if (!make_folder_dirs (tmp, error))
    return FALSE;
  g_autofree char *marker = g_build_filename (tmp, "maildirfolder", NULL);
  if (!g_file_set_contents (marker, "", 0, error))
    return FALSE;
  if (rename (tmp, path) != 0)
    return ms_maildir_set_io_error (error, _("cannot create"), path, errno);
  return TRUE;
}

static gboolean
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  if (dir)
    {
      const char *entry;
      while ((entry = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, entry, NULL);
          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_unlink (child);
        }
      g_dir_close (dir);
    }
  return g_rmdir (path) == 0;
}

gboolean
ms_maildir_delete (MsMaildir *md, const char *name, GError **error)
{
  if (!ms_maildir_check_name (name, error))
    return FALSE;
  if (ms_maildir_is_inbox (name))
    {
      g_set_error (error, MS_MAILDIR_ERROR, MS_MAILDIR_ERROR_NAME,
                   _("INBOX cannot be deleted"));
      return FALSE;
    }
  g_autofree char *path = ms_maildir_path (md, name);
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, MS_MAILDIR_ERROR, MS_MAILDIR_ERROR_NOT_FOUND,
                   _("no mailbox “%s”"), name);
      return FALSE;
    }
  /* Rename out of sight first: the deletion is then atomic for readers. */
  g_autofree char *gone = g_strdup_printf ("%s/tmp/deleted.%d.%u", md->root, (int) getpid (),
                                           g_random_int ());
  if (rename (path, gone) != 0)
    return ms_maildir_set_io_error (error, _("cannot delete"), path, errno);
  remove_tree (gone);
  return TRUE;
}

gboolean
ms_maildir_rename (MsMaildir *md, const char *from, const char *to, GError **error)
{
  if (!ms_maildir_check_name (from, error) || !ms_maildir_check_name (to, error))
    return FALSE;
  if (ms_maildir_is_inbox (from) || ms_maildir_is_inbox (to))
    {
      g_set_error (error, MS_MAILDIR_ERROR, MS_MAILDIR_ERROR_NAME,
                   _("INBOX cannot be renamed in the lab"));
      return FALSE;
    }
  g_autofree char *src = ms_maildir_path (md, from);
  g_autofree char *dst = ms_maildir_path (md, to);
  if (!g_file_test (src, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, MS_MAILDIR_ERROR, MS_MAILDIR_ERROR_NOT_FOUND,
                   _("no mailbox “%s”"), from);
      return FALSE;
    }
  if (g_file_test (dst, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, MS_MAILDIR_ERROR, MS_MAILDIR_ERROR_EXISTS,
                   _("mailbox “%s” already exists"), to);
      return FALSE;
    }
  if (rename (src, dst) != 0)
    return ms_maildir_set_io_error (error, _("cannot rename"), src, errno);
  /* Maildir++ keeps children flat: ".from.child" follows its parent. */
  g_autoptr (GPtrArray) names = ms_maildir_list (md);
  g_autofree char *prefix = g_strconcat (from, ".", NULL);
  for (guint i = 0; i < names->len; i++)
    {
      const char *n = names->pdata[i];
      if (!g_str_has_prefix (n, prefix))
        continue;
      g_autofree char *child_to = g_strconcat (to, ".", n + strlen (prefix), NULL);
      g_autofree char *a = ms_maildir_path (md, n);
      g_autofree char *b = ms_maildir_path (md, child_to);
      if (a && b)
        rename (a, b);
    }
  return TRUE;
}

static gboolean
copy_tree (const char *src, const char *dst, GError **error)
{
  if (g_mkdir_with_parents (dst, 0700) != 0)
    return ms_maildir_set_io_error (error, _("cannot create"), dst, errno);
  g_autoptr (GDir) dir = g_dir_open (src, 0, error);
  if (dir == NULL)
    return FALSE;
  const char *entry;
  while ((entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *s = g_build_filename (src, entry, NULL);
      g_autofree char *d = g_build_filename (dst, entry, NULL);
      if (g_file_test (s, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (s, G_FILE_TEST_IS_DIR))
        {
          if (!copy_tree (s, d, error))
            return FALSE;
        }
      else
        {
          g_autofree char *contents = NULL;
          gsize len = 0;
          if (!g_file_get_contents (s, &contents, &len, error))
            return FALSE;
          if (!g_file_set_contents (d, contents, (gssize) len, error))
            return FALSE;
          struct stat st;
          if (stat (s, &st) == 0)
            {
              struct timeval tv[2] = { { st.st_mtime, 0 }, { st.st_mtime, 0 } };
              utimes (d, tv);
            }
        }
    }
  return TRUE;
}

gboolean
ms_maildir_seed (const char *src, const char *dst, GError **error)
{
  if (g_file_test (dst, G_FILE_TEST_EXISTS))
    return TRUE;
  g_autofree char *parent = g_path_get_dirname (dst);
  if (g_mkdir_with_parents (parent, 0700) != 0)
    return ms_maildir_set_io_error (error, _("cannot create"), parent, errno);
  g_autofree char *tmp = g_strdup_printf ("%s.seeding.%d", dst, (int) getpid ());
  remove_tree (tmp);
  if (!copy_tree (src, tmp, error))
    {
      remove_tree (tmp);
      return FALSE;
    }
  if (rename (tmp, dst) != 0)
    {
      int err = errno;
      remove_tree (tmp);
      return ms_maildir_set_io_error (error, _("cannot create"), dst, err);
    }
  return TRUE;
}
