/* ms-maildir.h - the lab's message store: one user's Maildir with Maildir++
 * subfolders (DIR/NAME/, DIR/NAME/.Sent/, …).
 *
 * UIDs live in the file names (",U=<uid>") and each folder keeps its
 * UIDVALIDITY and UIDNEXT in a small file that is replaced atomically, so
 * every change is a rename or an atomic write: a crash or kill -9 at any
 * moment leaves every message intact and never lets a UID be reused. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MS_MAILDIR_ERROR (ms_maildir_error_quark ())
GQuark ms_maildir_error_quark (void);

typedef enum {
  MS_MAILDIR_ERROR_NAME,      /* mailbox name not allowed (escapes the tree, …) */
  MS_MAILDIR_ERROR_EXISTS,    /* mailbox already exists */
  MS_MAILDIR_ERROR_NOT_FOUND, /* no such mailbox or message */
  MS_MAILDIR_ERROR_TOO_BIG,   /* message larger than MS_MAILDIR_MAX_MESSAGE */
  MS_MAILDIR_ERROR_IO,        /* the file system said no */
} MsMaildirError;

/* A message may be at most this large: the lab serves classroom mailboxes,
 * and APPEND literals are held in memory before they reach the disk. */
#define MS_MAILDIR_MAX_MESSAGE (64u * 1024 * 1024)

typedef enum {
  MS_MSG_SEEN     = 1 << 0,   /* 'S' */
  MS_MSG_ANSWERED = 1 << 1,   /* 'R' */
  MS_MSG_FLAGGED  = 1 << 2,   /* 'F' */
  MS_MSG_DELETED  = 1 << 3,   /* 'T' */
  MS_MSG_DRAFT    = 1 << 4,   /* 'D' */
  MS_MSG_RECENT   = 1 << 5,   /* found in new/ by this process; never stored */
} MsMsgFlags;

typedef struct {
  guint32 uid;
  guint flags;            /* MsMsgFlags */
  gint64 size;            /* bytes on disk */
  gint64 mtime;           /* internal date: seconds since the epoch */
  char *name;             /* file name in cur/, with ",U=" and ":2," info */
} MsMessage;

typedef struct _MsMaildir MsMaildir;
typedef struct _MsMailbox MsMailbox;

/* Opens (creating cur/ new/ tmp/ if needed) the Maildir at `root`. */
MsMaildir *ms_maildir_open (const char *root, GError **error);
void       ms_maildir_free (MsMaildir *md);
const char *ms_maildir_root (MsMaildir *md);

/* TRUE when `name` is a mailbox name that stays inside the Maildir:
 * not empty, no "/" or "\\", no empty/"."/".." components, no control
 * characters, at most 255 bytes. "INBOX" (any case) is the root. */
gboolean ms_maildir_name_ok (const char *name);

/* Mailbox names, INBOX first then sorted; '.' separates levels. */
GPtrArray *ms_maildir_list (MsMaildir *md);
gboolean ms_maildir_create (MsMaildir *md, const char *name, GError **error);
gboolean ms_maildir_delete (MsMaildir *md, const char *name, GError **error);
gboolean ms_maildir_rename (MsMaildir *md, const char *from, const char *to,
                            GError **error);
/* The folder's directory for `name`, or NULL if the name is not allowed. */
char *ms_maildir_path (MsMaildir *md, const char *name);

/* Copies the Maildir tree `src` (for instance samples/maildir/student) into
 * `dst` unless `dst` already exists. Never modifies `src`. */
gboolean ms_maildir_seed (const char *src, const char *dst, GError **error);

/* Opens a folder: moves new/ to cur/ (those messages are \Recent), gives
 * every message without a UID the next one, and returns the messages in
 * UID order. */
MsMailbox *ms_mailbox_open (MsMaildir *md, const char *name, GError **error);
void       ms_mailbox_free (MsMailbox *mb);

guint32 ms_mailbox_uidvalidity (MsMailbox *mb);
guint32 ms_mailbox_uidnext (MsMailbox *mb);
guint   ms_mailbox_count (MsMailbox *mb);
/* The index'th message (0-based, UID order); NULL past the end. */
const MsMessage *ms_mailbox_get (MsMailbox *mb, guint index);
/* Index of the message with that UID, or -1. */
gint    ms_mailbox_find (MsMailbox *mb, guint32 uid);

/* Re-reads the folder from disk (messages delivered, flagged or removed by
 * other processes). Returns TRUE when anything changed. */
gboolean ms_mailbox_rescan (MsMailbox *mb, GError **error);

/* The message's bytes (mapped). */
GBytes *ms_mailbox_read (MsMailbox *mb, guint32 uid, GError **error);

/* Stores `data` as a new message: written to tmp/, synced, then renamed
 * into cur/ (or new/ when `recent`) under a fresh UID that is persisted
 * first. Returns the UID, or 0 with error set. */
guint32 ms_mailbox_append (MsMailbox *mb, const guint8 *data, gsize len,
                           guint flags, gint64 mtime, GError **error);

/* Delivers like an MTA: into new/ of folder `name`, visible to every
 * session at its next rescan. Returns the file's path. */
char *ms_maildir_deliver (MsMaildir *md, const char *name, const guint8 *data,
                          gsize len, GError **error);

/* Changes the stored flags of one message (a rename). */
gboolean ms_mailbox_set_flags (MsMailbox *mb, guint32 uid, guint flags,
                               GError **error);
/* Removes one message for good. */
gboolean ms_mailbox_expunge (MsMailbox *mb, guint32 uid, GError **error);

/* "\\Seen \\Flagged" etc. for flags (no RECENT unless asked). */
char *ms_msg_flags_to_imap (guint flags, gboolean with_recent);

G_END_DECLS
