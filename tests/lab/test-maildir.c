/* test-maildir.c - the lab's Maildir store: UIDs, flags, folders, names that
 * try to escape, and what survives an interrupted change. */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "lab/ms-maildir.h"

static char *
make_root (void)
{
  GError *error = NULL;
  char *dir = g_dir_make_tmp ("ms-maildir-XXXXXX", &error);
  g_assert_no_error (error);
  return dir;
}

static void
rm_rf (const char *path)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", path);
  g_assert_cmpint (system (cmd), ==, 0);
}

static const char msg1[] = "From: a@mailscope.test\r\nSubject: one\r\n\r\nbody one\r\n";
static const char msg2[] = "From: b@mailscope.test\r\nSubject: two\r\n\r\nbody two\r\n";

static void
test_append_and_reopen (void)
{
  g_autofree char *root = make_root ();
  GError *error = NULL;
  MsMaildir *md = ms_maildir_open (root, &error);
  g_assert_no_error (error);

  MsMailbox *mb = ms_mailbox_open (md, "INBOX", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ms_mailbox_count (mb), ==, 0);
  guint32 validity = ms_mailbox_uidvalidity (mb);
  g_assert_cmpuint (validity, >, 0);

  guint32 u1 = ms_mailbox_append (mb, (const guint8 *) msg1, strlen (msg1), MS_MSG_SEEN, 0, &error);
  g_assert_no_error (error);
  guint32 u2 = ms_mailbox_append (mb, (const guint8 *) msg2, strlen (msg2), 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (u1, ==, 1);
  g_assert_cmpuint (u2, ==, 2);
  g_assert_cmpuint (ms_mailbox_uidnext (mb), ==, 3);

  g_assert_true (ms_mailbox_set_flags (mb, u2, MS_MSG_FLAGGED | MS_MSG_SEEN, &error));
  g_assert_true (ms_mailbox_expunge (mb, u1, &error));
  ms_mailbox_free (mb);

  /* A second opener sees the same UIDs, flags and UIDVALIDITY. */
  mb = ms_mailbox_open (md, "inbox", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ms_mailbox_uidvalidity (mb), ==, validity);
  g_assert_cmpuint (ms_mailbox_count (mb), ==, 1);
  const MsMessage *m = ms_mailbox_get (mb, 0);
  g_assert_cmpuint (m->uid, ==, 2);
  g_assert_cmpuint (m->flags, ==, MS_MSG_FLAGGED | MS_MSG_SEEN);
  g_autoptr (GBytes) bytes = ms_mailbox_read (mb, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), msg2, strlen (msg2));

  g_autofree char *flags = ms_msg_flags_to_imap (m->flags, FALSE);
  g_assert_cmpstr (flags, ==, "\\Seen \\Flagged");

  /* Expunged UIDs are never handed out again. */
  guint32 u3 = ms_mailbox_append (mb, (const guint8 *) msg1, strlen (msg1), 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (u3, ==, 3);

  ms_mailbox_free (mb);
  ms_maildir_free (md);
  rm_rf (root);
}

static void
test_delivery_and_rescan (void)
{
  g_autofree char *root = make_root ();
  GError *error = NULL;
  MsMaildir *md = ms_maildir_open (root, &error);
  MsMailbox *a = ms_mailbox_open (md, "INBOX", &error);
  MsMailbox *b = ms_mailbox_open (md, "INBOX", &error);
  g_assert_no_error (error);

  g_autofree char *path = ms_maildir_deliver (md, "INBOX", (const guint8 *) msg1, strlen (msg1), &error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));

  g_assert_true (ms_mailbox_rescan (a, &error));
  g_assert_cmpuint (ms_mailbox_count (a), ==, 1);
  g_assert_true (ms_mailbox_get (a, 0)->flags & MS_MSG_RECENT);
  /* b sees the message under the same UID, without \Recent. */
  g_assert_true (ms_mailbox_rescan (b, &error));
  g_assert_cmpuint (ms_mailbox_get (b, 0)->uid, ==, ms_mailbox_get (a, 0)->uid);
  g_assert_false (ms_mailbox_get (b, 0)->flags & MS_MSG_RECENT);
  g_assert_false (ms_mailbox_rescan (b, &error));

  /* Flags changed by a and an expunge are seen by b. */
  g_assert_true (ms_mailbox_set_flags (a, 1, MS_MSG_DELETED, &error));
  g_assert_true (ms_mailbox_rescan (b, &error));
  g_assert_cmpuint (ms_mailbox_get (b, 0)->flags & ~MS_MSG_RECENT, ==, MS_MSG_DELETED);
  g_assert_true (ms_mailbox_expunge (a, 1, &error));
  g_assert_true (ms_mailbox_rescan (b, &error));
  g_assert_cmpuint (ms_mailbox_count (b), ==, 0);

  ms_mailbox_free (a);
  ms_mailbox_free (b);
  ms_maildir_free (md);
  rm_rf (root);
}

static void
test_folders_and_names (void)
{
  g_autofree char *root = make_root ();
  GError *error = NULL;
  MsMaildir *md = ms_maildir_open (root, &error);

  const char *bad[] = { "", "..", "../etc", "/etc", "a/b", "a..b", ".hidden", "x.", "a\\b",
                        "tab\there", "*", "%" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (ms_maildir_name_ok (bad[i]));
      g_assert_false (ms_maildir_create (md, bad[i], &error));
      g_assert_error (error, MS_MAILDIR_ERROR, MS_MAILDIR_ERROR_NAME);
      g_clear_error (&error);
    }
  g_assert_true (ms_maildir_name_ok ("Archive.2026"));
  g_assert_true (ms_maildir_name_ok ("草稿"));

  g_assert_true (ms_maildir_create (md, "Archive", &error));
  g_assert_true (ms_maildir_create (md, "Archive.2026", &error));
  g_assert_false (ms_maildir_create (md, "Archive", &error));
  g_assert_error (error, MS_MAILDIR_ERROR, MS_MAILDIR_ERROR_EXISTS);
  g_clear_error (&error);

  g_autoptr (GPtrArray) names = ms_maildir_list (md);
  g_assert_cmpuint (names->len, ==, 3);
  g_assert_cmpstr (names->pdata[0], ==, "INBOX");
  g_assert_cmpstr (names->pdata[1], ==, "Archive");
  g_assert_cmpstr (names->pdata[2], ==, "Archive.2026");

  g_assert_true (ms_maildir_rename (md, "Archive", "Old", &error));
  g_assert_no_error (error);
  g_autoptr (GPtrArray) renamed = ms_maildir_list (md);
  g_assert_cmpstr (renamed->pdata[1], ==, "Old");
  g_assert_cmpstr (renamed->pdata[2], ==, "Old.2026");

  g_assert_false (ms_maildir_delete (md, "INBOX", &error));
  g_clear_error (&error);
  g_assert_true (ms_maildir_delete (md, "Old.2026", &error));
  g_assert_false (ms_maildir_delete (md, "Old.2026", &error));
  g_assert_error (error, MS_MAILDIR_ERROR, MS_MAILDIR_ERROR_NOT_FOUND);
  g_clear_error (&error);

  ms_maildir_free (md);
  rm_rf (root);
}

/* An append interrupted after the UID was taken but before the rename leaves
 * a file in tmp/: no message is lost and the UID is not reused. A message
 * file copied in by hand, duplicating a UID, gets a fresh one. */
static void
test_interrupted_changes (void)
{
  g_autofree char *root = make_root ();
  GError *error = NULL;
  MsMaildir *md = ms_maildir_open (root, &error);
  MsMailbox *mb = ms_mailbox_open (md, "INBOX", &error);
  guint32 u1 = ms_mailbox_append (mb, (const guint8 *) msg1, strlen (msg1), 0, 0, &error);
  g_assert_no_error (error);

  /* Simulate the crash window: UIDNEXT bumped, file never renamed. */
  g_autofree char *state = g_build_filename (root, "mailscope-uids", NULL);
  g_autofree char *contents = g_strdup_printf ("1 %u %u\n", ms_mailbox_uidvalidity (mb), u1 + 2);
  g_assert_true (g_file_set_contents (state, contents, -1, NULL));

  /* Duplicate a message file by hand, UID and all. */
  const MsMessage *m = ms_mailbox_get (mb, 0);
  g_autofree char *src = g_build_filename (root, "cur", m->name, NULL);
  g_autofree char *dst = g_strdup_printf ("%s/cur/copy,U=%u:2,S", root, u1);
  g_autofree char *data = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (src, &data, &len, NULL));
  g_assert_true (g_file_set_contents (dst, data, (gssize) len, NULL));
  ms_mailbox_free (mb);

  mb = ms_mailbox_open (md, "INBOX", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ms_mailbox_count (mb), ==, 2);
  g_assert_cmpuint (ms_mailbox_get (mb, 0)->uid, ==, u1);
  g_assert_cmpuint (ms_mailbox_get (mb, 1)->uid, ==, u1 + 2);
  /* Which of the two keeps the old UID depends on directory order; the
   * copy (flagged \Seen) must be one of them. */
  g_assert_cmpuint ((ms_mailbox_get (mb, 0)->flags | ms_mailbox_get (mb, 1)->flags) & MS_MSG_SEEN,
                    ==, MS_MSG_SEEN);
  g_assert_cmpuint ((ms_mailbox_get (mb, 0)->flags & ms_mailbox_get (mb, 1)->flags) & MS_MSG_SEEN,
                    ==, 0);
  ms_mailbox_free (mb);
  ms_maildir_free (md);
  rm_rf (root);
}

static void
test_seed_leaves_source_alone (void)
{
  const char *src_root = g_getenv ("MS_SOURCE_ROOT");
  g_autofree char *src = g_build_filename (src_root, "samples", "maildir", "student", NULL);
  if (!g_file_test (src, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("samples/maildir/student not present");
      return;
    }
  g_autofree char *tmp = make_root ();
  g_autofree char *dst = g_build_filename (tmp, "student", NULL);
  GError *error = NULL;
  g_assert_true (ms_maildir_seed (src, dst, &error));
  g_assert_no_error (error);

  MsMaildir *md = ms_maildir_open (dst, &error);
  MsMailbox *mb = ms_mailbox_open (md, "INBOX", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ms_mailbox_count (mb), >=, 5);
  ms_mailbox_free (mb);
  ms_maildir_free (md);

  /* The source still has no UIDs in its names and no state file. */
  g_autofree char *state = g_build_filename (src, "mailscope-uids", NULL);
  g_assert_false (g_file_test (state, G_FILE_TEST_EXISTS));
  rm_rf (tmp);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/maildir/append-reopen", test_append_and_reopen);
  g_test_add_func ("/maildir/delivery-rescan", test_delivery_and_rescan);
  g_test_add_func ("/maildir/folders-names", test_folders_and_names);
  g_test_add_func ("/maildir/interrupted", test_interrupted_changes);
  g_test_add_func ("/maildir/seed", test_seed_leaves_source_alone);
  return g_test_run ();
}
