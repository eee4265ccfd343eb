/* ms-imap-server-private.h - what the lab IMAP server's command files share
 * (RFC 3501): the session, parsed command arguments, the dispatch table's
 * entry type, output helpers and the per-session view of the selected
 * mailbox. */
#pragma once

#include <glib.h>

#include "ms-lab-server.h"
#include "ms-mailbox-hub.h"

G_BEGIN_DECLS

/* RFC 7162 §4 asks servers to accept command lines of at least 8192 octets;
 * long UID sets from clients such as mbsync need more, this is still small. */
#define IMAP_MAX_LINE (64 * 1024)
/* Literals of commands other than APPEND (a LOGIN password, a SEARCH string,
 * a mailbox name) are small; APPEND may send up to MS_MAILDIR_MAX_MESSAGE. */
#define IMAP_MAX_LITERAL (64 * 1024)
/* Bytes of one command besides an APPEND message: lines plus small literals. */
#define IMAP_MAX_COMMAND (1024 * 1024)
/* Literals in one command: a real client sends a few. */
#define IMAP_MAX_LITERALS 64
/* Parenthesised lists nest this deep at most (SEARCH, BODYSTRUCTURE-like
 * arguments); deeper input is an attack on the parser's stack. */
#define IMAP_MAX_DEPTH 32
/* Arguments in one command. */
#define IMAP_MAX_ARGS 10000
/* Bytes a client may send while the session cannot read (a failed-login
 * delay): enough for pipelined commands, not for a flood. */
#define IMAP_MAX_PENDING_INPUT (2 * IMAP_MAX_LINE + 1024)
/* After this many BAD commands in a row the peer does not speak IMAP. */
#define IMAP_MAX_BAD_COMMANDS 20

typedef enum {
  IMAP_ST_NOT_AUTH = 1 << 0,
  IMAP_ST_AUTH = 1 << 1,
  IMAP_ST_SELECTED = 1 << 2,
  IMAP_ST_LOGOUT = 1 << 3,
} ImapState;

#define IMAP_ST_ANY (IMAP_ST_NOT_AUTH | IMAP_ST_AUTH | IMAP_ST_SELECTED)
#define IMAP_ST_AUTHED (IMAP_ST_AUTH | IMAP_ST_SELECTED)

typedef enum {
  IMAP_ARG_ATOM,
  IMAP_ARG_STRING,     /* quoted or literal */
  IMAP_ARG_LIST,
} ImapArgType;

typedef struct _ImapArg ImapArg;
struct _ImapArg {
  ImapArgType type;
  char *str;           /* NUL-terminated copy (atoms, strings) */
  gsize len;
  gboolean literal;
  GPtrArray *list;     /* of ImapArg, for lists */
};

typedef struct {
  char *tag;
  char *name;          /* upper case, without "UID " */
  gboolean uid;
  GPtrArray *args;     /* of ImapArg */
} ImapCmd;

/* One message as this session last described it to its client. */
typedef struct {
  guint32 uid;
  guint flags;         /* as last reported; MS_MSG_RECENT is this session's */
} ImapViewMsg;

/* Set in ImapViewMsg.flags once the message left the folder but its
 * EXPUNGE may not be sent yet (RFC 3501 §7.4.1). */
#define IMAP_VIEW_GONE (1u << 30)

typedef struct _ImapSession ImapSession;
struct _ImapSession {
  MsLabServer *srv;
  MsLabConn *conn;
  ImapState state;
  guint busy;                /* nesting of entries from the main loop */
  gboolean dead;             /* closed() came while busy */
  gboolean closing;          /* close once the current input is handled */

  /* reading */
  GByteArray *inbuf;
  GByteArray *cmdbuf;        /* the command so far: lines and literals */
  guint64 literal_left;
  guint n_literals;
  gboolean literal_append;   /* the command is APPEND: big literals allowed */
  guint bad_commands;

  /* continuation states */
  char *sasl_tag;            /* AUTHENTICATE PLAIN awaiting the response */
  char *idle_tag;            /* IDLE awaiting DONE */
  guint delay_id;            /* failed-login delay */
  char *delayed_reply;

  gpointer fetch_job;         /* a FETCH waiting for the client to read */

  char *user;
  MsMaildir *md;
  gboolean utf8_enabled;

  /* the selected mailbox */
  MsHubBox *box;
  gboolean read_only;
  GArray *view;              /* of ImapViewMsg, sequence order */
  guint32 view_max_uid;      /* highest UID ever placed in the view */
  guint64 seen_generation;
};

typedef struct {
  const char *name;
  guint states;              /* ImapState bits where the command is allowed */
  gboolean uid_form;         /* "UID name" exists */
  gboolean no_expunge;       /* non-UID form may not cause EXPUNGE (§7.4.1) */
  void (*func) (ImapSession *s, ImapCmd *cmd);
} ImapCommand;

/* --- ms-imap-server.c ------------------------------------------------ */

void ms_imap_send (ImapSession *s, const char *data, gsize len);
/* "* text" + CRLF, logged. */
void ms_imap_untagged (ImapSession *s, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
/* Sends pending mailbox changes, then "TAG status text". */
void ms_imap_tagged (ImapSession *s, ImapCmd *cmd, const char *status, const char *fmt, ...)
  G_GNUC_PRINTF (4, 5);
/* "TAG BAD text" and counts the bad command. */
void ms_imap_bad (ImapSession *s, ImapCmd *cmd, const char *text);
void ms_imap_close (ImapSession *s);
/* Brackets work started from the main loop (timers): the session is freed
 * only after the outermost leave. */
void ms_imap_enter (ImapSession *s);
void ms_imap_leave (ImapSession *s);
/* Reads the commands that waited in the input buffer. */
void ms_imap_process (ImapSession *s);
/* Holds input for the failed-login delay, then sends the line `line`
 * (owned, with CRLF). */
void ms_imap_delay_reply (ImapSession *s, char *line);
char *ms_imap_capability (ImapSession *s);

/* Appends a string as quoted or literal; nstring writes NIL for NULL. */
void ms_imap_append_string (GString *out, const char *s, gssize len);
void ms_imap_append_nstring (GString *out, const char *s);

/* The message with CRLF line ends, NULL when it cannot be read. */
GBytes *ms_imap_read_crlf (ImapSession *s, guint32 uid);
GBytes *ms_imap_to_crlf (GBytes *raw);

/* "\Seen \Flagged" list parsing: FALSE on a malformed flag. */
gboolean ms_imap_parse_flags (const ImapArg *a, guint *flags);
/* "17-Jul-1996 02:44:25 -0700" */
char *ms_imap_format_date (gint64 t);

/* --- ms-imap-view.c -------------------------------------------------- */

/* Sends untagged EXISTS/RECENT/FETCH/EXPUNGE for what changed in the
 * selected mailbox since the view was last synchronised. */
void ms_imap_sync (ImapSession *s, gboolean allow_expunge);
void ms_imap_select_box (ImapSession *s, MsHubBox *box, gboolean read_only);
void ms_imap_deselect (ImapSession *s);

/* Sequence sets (RFC 3501 §9 sequence-set): the views' indexes matched by
 * `set`, ascending, or NULL when it is malformed (or names a sequence number
 * past the end, for non-UID sets). */
GArray *ms_imap_seqset_indexes (ImapSession *s, const char *set, gboolean uid);
/* "1:3,7" from ascending UIDs. */
char *ms_imap_uidset_string (const guint32 *uids, guint n);

/* The message of view index i in the folder, or NULL if gone. */
const MsMessage *ms_imap_view_message (ImapSession *s, guint i);
/* Flags to show: stored ones and this session's \Recent. */
guint ms_imap_view_flags (ImapSession *s, guint i);

/* --- ms-imap-args.c -------------------------------------------------- */

/* Where the parser is in one command's bytes (lines and literals). */
typedef struct {
  const guint8 *p;
  gsize len, pos;
  guint n_args;
} ImapParser;

/* Reads one argument list up to the end of the command (depth 0) or the
 * closing parenthesis; FALSE on malformed input. */
gboolean ms_imap_parse_list (ImapParser *ps, GPtrArray *out, guint depth);
/* Frees an ImapArg (the free function of argument arrays). */
void ms_imap_arg_free (gpointer data);
gboolean ms_imap_is_atom_char (guint8 c);
/* A non-empty tag of atom characters other than '+', '*', '%', '\\' and ']'. */
gboolean ms_imap_valid_tag (const char *tag);

/* Argument helpers: NULL/FALSE when absent or of the wrong kind. */
ImapArg *ms_imap_arg (ImapCmd *cmd, guint i);
gboolean ms_imap_arg_is_atom (const ImapArg *a, const char *word);
/* An astring (atom or string); NULL otherwise. */
const char *ms_imap_arg_astring (const ImapArg *a);

/* --- command files --------------------------------------------------- */

void ms_imap_cmd_capability (ImapSession *s, ImapCmd *cmd);
void ms_imap_cmd_noop (ImapSession *s, ImapCmd *cmd);
void ms_imap_cmd_logout (ImapSession *s, ImapCmd *cmd);
void ms_imap_cmd_starttls (ImapSession *s, ImapCmd *cmd);
void ms_imap_cmd_login (ImapSession *s, ImapCmd *cmd);
void ms_imap_cmd_authenticate (ImapSession *s, ImapCmd *cmd);
void ms_imap_auth_continue (ImapSession *s, const char *line);
void ms_imap_cmd_enable (ImapSession *s, ImapCmd *cmd);
void ms_imap_cmd_id (ImapSession *s, ImapCmd *cmd);
void ms_imap_cmd_namespace (ImapSession *s, ImapCmd *cmd);

void ms_imap_cmd_select (ImapSession *s, ImapCmd *cmd);
void ms_imap_cmd_create (ImapSession *s, ImapCmd *cmd);
void ms_imap_cmd_delete (ImapSession *s, ImapCmd *cmd);
void ms_imap_cmd_rename (ImapSession *s, ImapCmd *cmd);
void ms_imap_cmd_subscribe (ImapSession *s, ImapCmd *cmd);
void ms_imap_cmd_list (ImapSession *s, ImapCmd *cmd);
void ms_imap_cmd_status (ImapSession *s, ImapCmd *cmd);
void ms_imap_cmd_append (ImapSession *s, ImapCmd *cmd);
void ms_imap_cmd_check (ImapSession *s, ImapCmd *cmd);
void ms_imap_cmd_close (ImapSession *s, ImapCmd *cmd);
void ms_imap_cmd_idle (ImapSession *s, ImapCmd *cmd);
void ms_imap_idle_line (ImapSession *s, const char *line);

void ms_imap_cmd_expunge (ImapSession *s, ImapCmd *cmd);
void ms_imap_cmd_store (ImapSession *s, ImapCmd *cmd);
void ms_imap_cmd_copy (ImapSession *s, ImapCmd *cmd);

void ms_imap_cmd_fetch (ImapSession *s, ImapCmd *cmd);
/* Drops a FETCH still in progress (the connection closed). */
void ms_imap_fetch_abort (ImapSession *s);
void ms_imap_cmd_search (ImapSession *s, ImapCmd *cmd);

/* --- ms-imap-mime.c -------------------------------------------------- */

typedef struct _MsMimePart MsMimePart;
/* The MIME tree of a CRLF message (offsets into it); never fails. */
MsMimePart *ms_imap_mime_parse (const char *data, gsize len);
void ms_imap_mime_free (MsMimePart *root);
void ms_imap_mime_envelope (GString *out, const char *data, MsMimePart *root);
void ms_imap_mime_bodystructure (GString *out, const char *data, MsMimePart *root,
                                 gboolean extended);
/* The bytes of a BODY[section] (section without brackets, upper-cased):
 * start and len into data, or an allocated string in owned for
 * HEADER.FIELDS. FALSE when the section is malformed. */
gboolean ms_imap_mime_section (const char *data, MsMimePart *root, const char *section,
                               gsize *start, gsize *len, char **owned);
/* The unfolded value of a header field of the message, or NULL. */
char *ms_imap_mime_header (const char *data, MsMimePart *root, const char *field);
/* Header field value decoded from RFC 2047 into UTF-8. */
char *ms_imap_mime_decode (const char *value);
/* Where the top-level body starts. */
gsize ms_imap_mime_body_offset (MsMimePart *root);

G_END_DECLS
