/* ms-maildir-folder.c - one folder of the lab's Maildir (MsMailbox): the
 * scan that gives every message a UID (persisted in the folder's state file
 * before any rename), the info flags and ",U=" UIDs in file names, reading,
 * storing with APPEND, MTA-style delivery into new/, flag changes and
 * expunge. See ms-maildir.h for the crash-safety argument. */
#include "config.h"

#include <inttypes.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "ms-maildir-private.h"

/* The per-folder state file: "1 UIDVALIDITY UIDNEXT\n". */
#define STATE_FILE "mailscope-uids"

struct _MsMailbox {
  MsMaildir *md;
  char *name;
  char *dir;
  guint32 uidvalidity;
  guint32 uidnext;
  GArray *msgs;    /* of MsMessage, sorted by uid */
};

static const struct {
  char letter;     /* Maildir info letters must stay in ASCII order */
  guint flag;
} flag_letters[] = {
  { 'D', MS_MSG_DRAFT },
  { 'F', MS_MSG_FLAGGED },
  { 'R', MS_MSG_ANSWERED },
  { 'S', MS_MSG_SEEN },
  { 'T', MS_MSG_DELETED },
};

/* --- file names and files -------------------------------------------- */

static void
message_clear (gpointer data)
{
  MsMessage *m = data;
  g_free (m->name);
}

static guint
parse_flags (const char *info)
{
  guint flags = 0;
  for (const char *p = info; *p; p++)
    for (guint i = 0; i < G_N_ELEMENTS (flag_letters); i++)
      if (*p == flag_letters[i].letter)
        flags |= flag_letters[i].flag;
  return flags;
}

static void
append_flags (GString *s, guint flags)
{
  g_string_append (s, ":2,");
  for (guint i = 0; i < G_N_ELEMENTS (flag_letters); i++)
    if (flags & flag_letters[i].flag)
      g_string_append_c (s, flag_letters[i].letter);
}

/* The part of a file name before ":2," (the unique base). */
static char *
name_base (const char *name)
{
  const char *colon = strchr (name, ':');
  return colon ? g_strndup (name, (gsize) (colon - name)) : g_strdup (name);
}

/* The UID recorded in a file name (",U=123"), or 0. */
static guint32
name_uid (const char *name)
{
  g_autofree char *base = name_base (name);
  const char *u = strstr (base, ",U=");
  if (u == NULL)
    return 0;
  char *end;
  guint64 v = g_ascii_strtoull (u + 3, &end, 10);
  if (end == u + 3 || (*end != '\0' && *end != ',') || v == 0 || v > G_MAXUINT32)
    return 0;
  return (guint32) v;
}

/* base without any ",U=" part */
static char *
base_without_uid (const char *name)
{
  g_autofree char *base = name_base (name);
  GString *s = g_string_new (NULL);
  char **parts = g_strsplit (base, ",", -1);
  for (guint i = 0; parts[i]; i++)
    {
      if (i > 0 && g_str_has_prefix (parts[i], "U="))
        continue;
      if (i > 0)
        g_string_append_c (s, ',');
      g_string_append (s, parts[i]);
    }
  g_strfreev (parts);
  return g_string_free (s, FALSE);
}

static char *
compose_name (const char *base_no_uid, guint32 uid, guint flags)
{
  GString *s = g_string_new (base_no_uid);
  g_string_append_printf (s, ",U=%u", uid);
  append_flags (s, flags & ~MS_MSG_RECENT);
  return g_string_free (s, FALSE);
}

/* The internal date of a message: the delivery time its file name begins
 * with, which survives copies and checkouts (file times do not); the file's
 * mtime when the name has none. */
static gint64
message_time (const char *name, gint64 file_mtime)
{
  char *end = NULL;
  guint64 t = g_ascii_strtoull (name, &end, 10);
  if (end == name || *end != '.' || t == 0 || t > G_MAXINT32)
    return file_mtime;
  return (gint64) t;
}

/* Writes `len` bytes to a new file in `tmpdir`, syncs it, and returns its
 * path; NULL with error set on failure (nothing left behind). */
static char *
write_synced (const char *tmpdir, const char *base, const guint8 *data, gsize len,
              GError **error)
{
  char *path = g_build_filename (tmpdir, base, NULL);
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      ms_maildir_set_io_error (error, _("cannot create"), path, errno);
      g_free (path);
      return NULL;
    }
  gsize done = 0;
  while (done < len)
    {
      ssize_t n = write (fd, data + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int err = n < 0 ? errno : EIO;
          close (fd);
          unlink (path);
          ms_maildir_set_io_error (error, _("cannot write"), path, err);
          g_free (path);
          return NULL;
        }
      done += (gsize) n;
    }
  if (fsync (fd) != 0 || close (fd) != 0)
    {
      int err = errno;
      unlink (path);
      ms_maildir_set_io_error (error, _("cannot write"), path, err);
      g_free (path);
      return NULL;
    }
  return path;
}

/* Replaces `path` with `contents` atomically (temp file, fsync, rename). */
static gboolean
atomic_replace (const char *dir, const char *path, const char *contents, GError **error)
{
  g_autofree char *tmpdir = g_build_filename (dir, "tmp", NULL);
  g_autofree char *base = g_strdup_printf ("state.%d.%u", (int) getpid (), g_random_int ());
  g_autofree char *tmp = write_synced (tmpdir, base, (const guint8 *) contents,
                                       strlen (contents), error);
  if (tmp == NULL)
    return FALSE;
  if (rename (tmp, path) != 0)
    {
      int err = errno;
      unlink (tmp);
      return ms_maildir_set_io_error (error, _("cannot replace"), path, err);
    }
  return TRUE;
}

/* --- one folder ------------------------------------------------------ */

static gboolean
read_state (MsMailbox *mb)
{
  g_autofree char *path = g_build_filename (mb->dir, STATE_FILE, NULL);
  g_autofree char *contents = NULL;
  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;
  guint version = 0;
  guint64 validity = 0, next = 0;
  if (sscanf (contents, "%u %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, &version, &validity,
              &next) != 3
      || version != 1 || validity == 0 || validity > G_MAXUINT32 || next == 0
      || next > G_MAXUINT32)
    return FALSE;
  mb->uidvalidity = (guint32) validity;
  mb->uidnext = (guint32) next;
  return TRUE;
}

static gboolean
write_state (MsMailbox *mb, GError **error)
{
  g_autofree char *path = g_build_filename (mb->dir, STATE_FILE, NULL);
  g_autofree char *contents = g_strdup_printf ("1 %u %u\n", mb->uidvalidity, mb->uidnext);
  return atomic_replace (mb->dir, path, contents, error);
}

static gint
compare_uid (gconstpointer a, gconstpointer b)
{
  const MsMessage *x = a, *y = b;
  return x->uid < y->uid ? -1 : x->uid > y->uid;
}

typedef struct {
  char *name;      /* in cur/ or new/ */
  gboolean in_new;
  gint64 mtime;
  gint64 size;
} Pending;

static void
pending_clear (gpointer data)
{
  g_free (((Pending *) data)->name);
}

static gint
compare_pending (gconstpointer a, gconstpointer b)
{
  const Pending *x = a, *y = b;
  if (x->mtime != y->mtime)
    return x->mtime < y->mtime ? -1 : 1;
  return strcmp (x->name, y->name);
}

/* Reads cur/ and new/ into a fresh message array; files without a valid,
 * unique UID are numbered (UIDNEXT is persisted before any rename). */
static gboolean
scan (MsMailbox *mb, GArray *old, GError **error)
{
  GArray *msgs = g_array_new (FALSE, TRUE, sizeof (MsMessage));
  g_array_set_clear_func (msgs, message_clear);
  g_autoptr (GArray) pending = g_array_new (FALSE, TRUE, sizeof (Pending));
  g_array_set_clear_func (pending, pending_clear);
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
  guint32 max_uid = 0;

  for (int pass = 0; pass < 2; pass++)
    {
      const char *sub = pass == 0 ? "cur" : "new";
      g_autofree char *dirpath = g_build_filename (mb->dir, sub, NULL);
      g_autoptr (GDir) dir = g_dir_open (dirpath, 0, NULL);
      if (dir == NULL)
        {
          g_array_unref (msgs);
          g_set_error (error, MS_MAILDIR_ERROR, MS_MAILDIR_ERROR_NOT_FOUND,
                       _("no mailbox “%s”"), mb->name);
          return FALSE;
        }
      const char *entry;
      while ((entry = g_dir_read_name (dir)) != NULL)
        {
          if (entry[0] == '.')
            continue;
          g_autofree char *path = g_build_filename (dirpath, entry, NULL);
          struct stat st;
          if (stat (path, &st) != 0 || !S_ISREG (st.st_mode))
            continue;
          guint32 uid = pass == 0 ? name_uid (entry) : 0;
          if (uid != 0 && !g_hash_table_contains (seen, GUINT_TO_POINTER (uid)))
            {
              g_hash_table_add (seen, GUINT_TO_POINTER (uid));
              MsMessage m = { 0 };
              m.uid = uid;
              const char *info = strstr (entry, ":2,");
              m.flags = info ? parse_flags (info + 3) : 0;
              m.size = st.st_size;
              m.mtime = message_time (entry, st.st_mtime);
              m.name = g_strdup (entry);
              g_array_append_val (msgs, m);
              max_uid = MAX (max_uid, uid);
            }
          else
            {
              Pending p = { g_strdup (entry), pass == 1, message_time (entry, st.st_mtime),
                            st.st_size };
              g_array_append_val (pending, p);
            }
        }
    }

  if (mb->uidnext <= max_uid)
    mb->uidnext = max_uid + 1;
  if (pending->len > 0)
    {
      g_array_sort (pending, compare_pending);
      guint32 first = mb->uidnext;
      mb->uidnext += pending->len;
      if (!write_state (mb, error))
        {
          g_array_unref (msgs);
          return FALSE;
        }
      for (guint i = 0; i < pending->len; i++)
        {
          Pending *p = &g_array_index (pending, Pending, i);
          const char *info = strstr (p->name, ":2,");
          guint flags = (!p->in_new && info) ? parse_flags (info + 3) : 0;
          g_autofree char *plain = base_without_uid (p->name);
          char *fresh = compose_name (plain, first + i, flags);
          g_autofree char *from = g_build_filename (mb->dir, p->in_new ? "new" : "cur", p->name, NULL);
          g_autofree char *to = g_build_filename (mb->dir, "cur", fresh, NULL);
          if (rename (from, to) != 0)
            {
              g_free (fresh);  /* taken by someone else meanwhile; next scan sees it */
              continue;
            }
          MsMessage m = { 0 };
          m.uid = first + i;
          m.flags = flags | (p->in_new ? MS_MSG_RECENT : 0);
          m.size = p->size;
          m.mtime = p->mtime;
          m.name = fresh;
          g_array_append_val (msgs, m);
        }
    }
  g_array_sort (msgs, compare_uid);

  /* \Recent belongs to the session that first saw the message. */
  if (old)
    for (guint i = 0; i < msgs->len; i++)
      {
        MsMessage *m = &g_array_index (msgs, MsMessage, i);
        MsMessage key = { .uid = m->uid };
        guint idx;
        if (g_array_binary_search (old, &key, compare_uid, &idx))
          m->flags |= g_array_index (old, MsMessage, idx).flags & MS_MSG_RECENT;
      }

  if (mb->msgs)
    g_array_unref (mb->msgs);
  mb->msgs = msgs;
  return TRUE;
}

MsMailbox *
ms_mailbox_open (MsMaildir *md, const char *name, GError **error)
{
  if (!ms_maildir_check_name (name, error))
    return NULL;
  MsMailbox *mb = g_new0 (MsMailbox, 1);
  mb->md = md;
  mb->name = g_strdup (ms_maildir_is_inbox (name) ? "INBOX" : name);
  mb->dir = ms_maildir_path (md, name);
  g_autofree char *cur = g_build_filename (mb->dir, "cur", NULL);
  if (!g_file_test (cur, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, MS_MAILDIR_ERROR, MS_MAILDIR_ERROR_NOT_FOUND, _("no mailbox “%s”"),
                   name);
      ms_mailbox_free (mb);
      return NULL;
    }
  if (!read_state (mb))
    {
      mb->uidvalidity = (guint32) MAX (g_get_real_time () / G_USEC_PER_SEC, 1);
      mb->uidnext = 1;
      if (!write_state (mb, error))
        {
          ms_mailbox_free (mb);
          return NULL;
        }
    }
  if (!scan (mb, NULL, error))
    {
      ms_mailbox_free (mb);
      return NULL;
    }
  return mb;
}

void
ms_mailbox_free (MsMailbox *mb)
{
  if (mb == NULL)
    return;
  if (mb->msgs)
    g_array_unref (mb->msgs);
  g_free (mb->name);
  g_free (mb->dir);
  g_free (mb);
}

guint32
ms_mailbox_uidvalidity (MsMailbox *mb)
{
  return mb->uidvalidity;
}

guint32
ms_mailbox_uidnext (MsMailbox *mb)
{
  return mb->uidnext;
}

guint
ms_mailbox_count (MsMailbox *mb)
{
  return mb->msgs->len;
}

const MsMessage *
ms_mailbox_get (MsMailbox *mb, guint index)
{
  return index < mb->msgs->len ? &g_array_index (mb->msgs, MsMessage, index) : NULL;
}

gint
ms_mailbox_find (MsMailbox *mb, guint32 uid)
{
  MsMessage key = { .uid = uid };
  guint idx;
  if (g_array_binary_search (mb->msgs, &key, compare_uid, &idx))
    return (gint) idx;
  return -1;
}

gboolean
ms_mailbox_rescan (MsMailbox *mb, GError **error)
{
  GArray *old = g_array_ref (mb->msgs);
  guint32 stored_next = mb->uidnext;
  read_state (mb);
  if (mb->uidnext < stored_next)
    mb->uidnext = stored_next;
  gboolean ok = scan (mb, old, error);
  gboolean changed = FALSE;
  if (ok)
    {
      if (old->len != mb->msgs->len)
        changed = TRUE;
      else
        for (guint i = 0; i < old->len && !changed; i++)
          {
            const MsMessage *a = &g_array_index (old, MsMessage, i);
            const MsMessage *b = &g_array_index (mb->msgs, MsMessage, i);
            changed = a->uid != b->uid || a->flags != b->flags;
          }
    }
  g_array_unref (old);
  return ok && changed;
}

/* ms_mailbox_find, with MS_MAILDIR_ERROR_NOT_FOUND when there is none. */
static gint
find_or_fail (MsMailbox *mb, guint32 uid, GError **error)
{
  gint idx = ms_mailbox_find (mb, uid);
  if (idx < 0)
    g_set_error (error, MS_MAILDIR_ERROR, MS_MAILDIR_ERROR_NOT_FOUND, _("no message with UID %u"),
                 uid);
  return idx;
}

GBytes *
ms_mailbox_read (MsMailbox *mb, guint32 uid, GError **error)
{
  gint idx = find_or_fail (mb, uid, error);
  if (idx < 0)
    return NULL;
  const MsMessage *m = &g_array_index (mb->msgs, MsMessage, idx);
  g_autofree char *path = g_build_filename (mb->dir, "cur", m->name, NULL);
  GMappedFile *mf = g_mapped_file_new (path, FALSE, error);
  if (mf == NULL)
    return NULL;
  GBytes *bytes = g_mapped_file_get_bytes (mf);
  g_mapped_file_unref (mf);
  return bytes;
}

guint32
ms_mailbox_append (MsMailbox *mb, const guint8 *data, gsize len, guint flags, gint64 mtime,
                   GError **error)
{
  if (len > MS_MAILDIR_MAX_MESSAGE)
    {
      g_set_error (error, MS_MAILDIR_ERROR, MS_MAILDIR_ERROR_TOO_BIG,
                   _("message of %" PRIu64 " bytes is larger than the lab's limit"), (guint64) len);
      return 0;
    }
  g_autofree char *base = ms_maildir_unique_base (mb->md, mtime);
  g_autofree char *tmpdir = g_build_filename (mb->dir, "tmp", NULL);
  g_autofree char *tmp = write_synced (tmpdir, base, data, len, error);
  if (tmp == NULL)
    return 0;
  if (mtime > 0)
    {
      struct timeval tv[2] = { { (time_t) mtime, 0 }, { (time_t) mtime, 0 } };
      utimes (tmp, tv);
    }

  /* Take the UID for good before the message becomes visible. */
  read_state (mb);
  gint last = (gint) mb->msgs->len - 1;
  if (last >= 0 && mb->uidnext <= g_array_index (mb->msgs, MsMessage, last).uid)
    mb->uidnext = g_array_index (mb->msgs, MsMessage, last).uid + 1;
  guint32 uid = mb->uidnext++;
  if (!write_state (mb, error))
    {
      unlink (tmp);
      return 0;
    }
  g_autofree char *with_size = g_strdup_printf ("%s,S=%" G_GSIZE_FORMAT, base, len);
  char *name = compose_name (with_size, uid, flags);
  g_autofree char *dst = g_build_filename (mb->dir, "cur", name, NULL);
  if (rename (tmp, dst) != 0)
    {
      int err = errno;
      unlink (tmp);
      g_free (name);
      ms_maildir_set_io_error (error, _("cannot store"), dst, err);
      return 0;
    }
  MsMessage m = { 0 };
  m.uid = uid;
  m.flags = flags & ~MS_MSG_RECENT;
  m.size = (gint64) len;
  m.mtime = mtime > 0 ? mtime : g_get_real_time () / G_USEC_PER_SEC;
  m.name = name;
  g_array_append_val (mb->msgs, m);
  g_array_sort (mb->msgs, compare_uid);
  return uid;
}

char *
ms_maildir_deliver (MsMaildir *md, const char *name, const guint8 *data, gsize len,
                    GError **error)
{
  if (!ms_maildir_check_name (name, error))
    return NULL;
  if (len > MS_MAILDIR_MAX_MESSAGE)
    {
      g_set_error (error, MS_MAILDIR_ERROR, MS_MAILDIR_ERROR_TOO_BIG,
                   _("message of %" PRIu64 " bytes is larger than the lab's limit"), (guint64) len);
      return NULL;
    }
  g_autofree char *dir = ms_maildir_path (md, name);
  g_autofree char *tmpdir = g_build_filename (dir, "tmp", NULL);
  if (!g_file_test (tmpdir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, MS_MAILDIR_ERROR, MS_MAILDIR_ERROR_NOT_FOUND, _("no mailbox “%s”"),
                   name);
      return NULL;
    }
  g_autofree char *base = ms_maildir_unique_base (md, 0);
  g_autofree char *tmp = write_synced (tmpdir, base, data, len, error);
  if (tmp == NULL)
    return NULL;
  char *dst = g_build_filename (dir, "new", base, NULL);
  if (rename (tmp, dst) != 0)
    {
      int err = errno;
      unlink (tmp);
      ms_maildir_set_io_error (error, _("cannot deliver"), dst, err);
      g_free (dst);
      return NULL;
    }
  return dst;
}

gboolean
ms_mailbox_set_flags (MsMailbox *mb, guint32 uid, guint flags, GError **error)
{
  gint idx = find_or_fail (mb, uid, error);
  if (idx < 0)
    return FALSE;
  MsMessage *m = &g_array_index (mb->msgs, MsMessage, idx);
  guint recent = m->flags & MS_MSG_RECENT;
  if ((m->flags & ~MS_MSG_RECENT) == (flags & ~MS_MSG_RECENT))
    {
      m->flags = (flags & ~MS_MSG_RECENT) | recent;
      return TRUE;
    }
  g_autofree char *plain = base_without_uid (m->name);
  char *fresh = compose_name (plain, uid, flags);
  g_autofree char *from = g_build_filename (mb->dir, "cur", m->name, NULL);
  g_autofree char *to = g_build_filename (mb->dir, "cur", fresh, NULL);
  if (rename (from, to) != 0)
    {
      int err = errno;
      g_free (fresh);
      return ms_maildir_set_io_error (error, _("cannot change flags of"), from, err);
    }
  g_free (m->name);
  m->name = fresh;
  m->flags = (flags & ~MS_MSG_RECENT) | recent;
  return TRUE;
}

gboolean
ms_mailbox_expunge (MsMailbox *mb, guint32 uid, GError **error)
{
  gint idx = find_or_fail (mb, uid, error);
  if (idx < 0)
    return FALSE;
  MsMessage *m = &g_array_index (mb->msgs, MsMessage, idx);
  g_autofree char *path = g_build_filename (mb->dir, "cur", m->name, NULL);
  if (unlink (path) != 0 && errno != ENOENT)
    return ms_maildir_set_io_error (error, _("cannot remove"), path, errno);
  g_array_remove_index (mb->msgs, (guint) idx);
  return TRUE;
}

char *
ms_msg_flags_to_imap (guint flags, gboolean with_recent)
{
  static const struct {
    guint flag;
    const char *name;
  } names[] = {
    { MS_MSG_SEEN, "\\Seen" },         { MS_MSG_ANSWERED, "\\Answered" },
    { MS_MSG_FLAGGED, "\\Flagged" },   { MS_MSG_DELETED, "\\Deleted" },
    { MS_MSG_DRAFT, "\\Draft" },       { MS_MSG_RECENT, "\\Recent" },
  };
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      if (!(flags & names[i].flag) || (names[i].flag == MS_MSG_RECENT && !with_recent))
        continue;
      if (s->len)
        g_string_append_c (s, ' ');
      g_string_append (s, names[i].name);
    }
  return g_string_free (s, FALSE);
}
