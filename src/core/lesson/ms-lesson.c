/* ms-lesson.c - the step classifier: gives every event its lesson step,
 * pairs commands with their answers (IMAP tags per stream, POP3 in FIFO
 * order) to measure latency, and feeds each session's summary counters
 * (ms-lesson-counters.c). */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ms-lesson-session-private.h"

/* Commands awaiting their answer per session. Clients pipeline a handful at
 * most; past it the oldest is forgotten (its answer goes unpaired). */
#define MS_LESSON_MAX_PENDING 64
/* Tag bytes kept for pairing. RFC 3501 tags are short; longer ones are
 * compared by this prefix, which is unique in practice. */
#define MS_LESSON_MAX_TAG 32
/* Command name bytes kept (the longest IMAP command, UNSUBSCRIBE, fits). */
#define MS_LESSON_MAX_COMMAND 16
/* Sessions remembered (as many as the pipeline tracks streams); past it the
 * oldest quarter is forgotten, so a capture of 100,000 one-packet streams
 * cannot fill memory with summaries. */
#define MS_LESSON_MAX_SESSIONS 10000

typedef struct {
  char tag[MS_LESSON_MAX_TAG];
  char command[MS_LESSON_MAX_COMMAND];
  MsStep step;
  gint64 ts_nsec;
} Pending;

struct _MsLesson {
  GPtrArray *sessions;        /* of Session*, owned */
  guint next_id;              /* ids stay unique after old sessions go */
  GHashTable *by_stream;      /* gint64* stream → Session* */
  GHashTable *by_dns;         /* "client|server" → Session* */
  Session *current;
};

/* --- step tables ------------------------------------------------------- */

static const struct {
  const char *name;
  MsStep step;
} imap_steps[] = {
  { "CAPABILITY", MS_STEP_NEGOTIATE }, { "ID", MS_STEP_NEGOTIATE },
  { "ENABLE", MS_STEP_NEGOTIATE }, { "STARTTLS", MS_STEP_NEGOTIATE },
  { "COMPRESS", MS_STEP_NEGOTIATE },
  { "LOGIN", MS_STEP_LOGIN }, { "AUTHENTICATE", MS_STEP_LOGIN },
  { "LIST", MS_STEP_LIST }, { "LSUB", MS_STEP_LIST }, { "XLIST", MS_STEP_LIST },
  { "STATUS", MS_STEP_LIST }, { "NAMESPACE", MS_STEP_LIST },
  { "SELECT", MS_STEP_LIST }, { "EXAMINE", MS_STEP_LIST },
  { "SEARCH", MS_STEP_LIST }, { "SORT", MS_STEP_LIST }, { "THREAD", MS_STEP_LIST },
  { "GETQUOTAROOT", MS_STEP_LIST }, { "GETQUOTA", MS_STEP_LIST },
  { "IDLE", MS_STEP_REFRESH }, { "DONE", MS_STEP_REFRESH },
  { "NOOP", MS_STEP_REFRESH }, { "CHECK", MS_STEP_REFRESH },
  { "STORE", MS_STEP_UPDATE }, { "COPY", MS_STEP_UPDATE }, { "MOVE", MS_STEP_UPDATE },
  { "EXPUNGE", MS_STEP_UPDATE }, { "APPEND", MS_STEP_UPDATE },
  { "CREATE", MS_STEP_UPDATE }, { "DELETE", MS_STEP_UPDATE },
  { "RENAME", MS_STEP_UPDATE }, { "SUBSCRIBE", MS_STEP_UPDATE },
  { "UNSUBSCRIBE", MS_STEP_UPDATE }, { "CLOSE", MS_STEP_UPDATE },
  { "UNSELECT", MS_STEP_UPDATE },
  { "LOGOUT", MS_STEP_LOGOUT },
};

static const struct {
  const char *name;
  MsStep step;
} pop3_steps[] = {
  { "CAPA", MS_STEP_NEGOTIATE }, { "STLS", MS_STEP_NEGOTIATE },
  { "USER", MS_STEP_LOGIN }, { "PASS", MS_STEP_LOGIN },
  { "APOP", MS_STEP_LOGIN }, { "AUTH", MS_STEP_LOGIN },
  { "STAT", MS_STEP_LIST }, { "LIST", MS_STEP_LIST }, { "UIDL", MS_STEP_LIST },
  { "RETR", MS_STEP_FETCH }, { "TOP", MS_STEP_FETCH },
  { "NOOP", MS_STEP_REFRESH },
  { "DELE", MS_STEP_UPDATE }, { "RSET", MS_STEP_UPDATE },
  { "QUIT", MS_STEP_LOGOUT },
};

MsStep
ms_lesson_imap_command_step (const char *command, gboolean moves_content)
{
  if (command == NULL)
    return MS_STEP_NONE;
  if (g_ascii_strcasecmp (command, "FETCH") == 0)
    return moves_content ? MS_STEP_FETCH : MS_STEP_LIST;
  for (guint i = 0; i < G_N_ELEMENTS (imap_steps); i++)
    if (g_ascii_strcasecmp (command, imap_steps[i].name) == 0)
      return imap_steps[i].step;
  return MS_STEP_NONE;
}

MsStep
ms_lesson_pop3_command_step (const char *command)
{
  if (command == NULL)
    return MS_STEP_NONE;
  for (guint i = 0; i < G_N_ELEMENTS (pop3_steps); i++)
    if (g_ascii_strcasecmp (command, pop3_steps[i].name) == 0)
      return pop3_steps[i].step;
  return MS_STEP_NONE;
}

/* Step of an untagged IMAP response that arrived with no command pending. */
static MsStep
imap_untagged_kind_step (const char *kind)
{
  static const struct {
    const char *kind;
    MsStep step;
  } kinds[] = {
    { "CAPABILITY", MS_STEP_NEGOTIATE }, { "ID", MS_STEP_NEGOTIATE },
    { "ENABLED", MS_STEP_NEGOTIATE },
    { "LIST", MS_STEP_LIST }, { "LSUB", MS_STEP_LIST }, { "STATUS", MS_STEP_LIST },
    { "FLAGS", MS_STEP_LIST }, { "SEARCH", MS_STEP_LIST },
    { "NAMESPACE", MS_STEP_LIST },
    /* unsolicited news about the mailbox is what refreshing is about */
    { "EXISTS", MS_STEP_REFRESH }, { "RECENT", MS_STEP_REFRESH },
    { "EXPUNGE", MS_STEP_REFRESH }, { "FETCH", MS_STEP_REFRESH },
    { "BYE", MS_STEP_LOGOUT },
  };
  if (kind == NULL)
    return MS_STEP_NONE;
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_ascii_strcasecmp (kind, kinds[i].kind) == 0)
      return kinds[i].step;
  return MS_STEP_NONE;
}

/* --- sessions ---------------------------------------------------------- */

static void
session_free (gpointer data)
{
  Session *s = data;
  if (s->pending)
    g_queue_free_full (s->pending, g_free);
  if (s->sizes)
    g_hash_table_unref (s->sizes);
  g_free (s->sum.user);
  g_free (s->sum.mechanism);
  g_free (s->sum.attachments);
  g_free (s);
}

MsLesson *
ms_lesson_new (void)
{
  MsLesson *l = g_new0 (MsLesson, 1);
  l->sessions = g_ptr_array_new_with_free_func (session_free);
  l->by_stream = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  l->by_dns = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return l;
}

void
ms_lesson_free (MsLesson *lesson)
{
  if (lesson == NULL)
    return;
  g_hash_table_unref (lesson->by_stream);
  g_hash_table_unref (lesson->by_dns);
  g_ptr_array_unref (lesson->sessions);
  g_free (lesson);
}

const MsSessionSummary *
ms_lesson_current_session (MsLesson *lesson)
{
  return lesson->current ? &lesson->current->sum : NULL;
}

const GPtrArray *
ms_lesson_sessions (MsLesson *lesson)
{
  return lesson->sessions;
}

/* Client and server of the event's conversation: the pipeline's roles when
 * known, else derived from the direction. */
static void
event_roles (const MsEvent *ev, MsAddr *client, MsAddr *server)
{
  if (ev->client.family && ev->server.family)
    {
      *client = ev->client;
      *server = ev->server;
    }
  else if (ev->dir == MS_DIR_S2C)
    {
      *client = ev->dst;
      *server = ev->src;
    }
  else
    {
      *client = ev->src;
      *server = ev->dst;
    }
}

/* A guess from the server port, until the first protocol event tells:
 * the handshake of a POP3 session should already be explained as POP3. */
static MsProto
proto_from_port (guint16 port)
{
  switch (port)
    {
    case 143: case 993: case 1143: case 1993:
      return MS_PROTO_IMAP;
    case 110: case 995: case 1110: case 1995:
      return MS_PROTO_POP3;
    default:
      return MS_PROTO_TCP;
    }
}

/* TRUE for a table entry whose session is older than the id in data. */
static gboolean
session_is_older (gpointer key, gpointer value, gpointer data)
{
  return ((Session *) value)->sum.id < GPOINTER_TO_UINT (data);
}

/* Forgets the oldest quarter of the sessions once there are too many. */
static void
sessions_trim (MsLesson *l)
{
  if (l->sessions->len < MS_LESSON_MAX_SESSIONS)
    return;
  guint drop = MS_LESSON_MAX_SESSIONS / 4;
  Session *keep = g_ptr_array_index (l->sessions, drop);
  gpointer cut = GUINT_TO_POINTER (keep->sum.id);
  g_hash_table_foreach_remove (l->by_stream, session_is_older, cut);
  g_hash_table_foreach_remove (l->by_dns, session_is_older, cut);
  if (l->current && l->current->sum.id < keep->sum.id)
    l->current = NULL;
  g_ptr_array_remove_range (l->sessions, 0, drop);
}

static Session *
session_add (MsLesson *l, const MsEvent *ev)
{
  sessions_trim (l);
  Session *s = g_new0 (Session, 1);
  s->sum.id = ++l->next_id;
  s->sum.proto = ev->proto;
  s->sum.stream = ev->stream;
  s->sum.mailbox_bytes = -1;
  event_roles (ev, &s->sum.client, &s->sum.server);
  if (s->sum.proto == MS_PROTO_TCP)
    s->sum.proto = proto_from_port (s->sum.server.port);
  g_ptr_array_add (l->sessions, s);
  return s;
}

/* Finds or creates the session of ev. DNS messages group per client and
 * server address (ports ignored: resolvers pick a new port per query). */
static Session *
session_for (MsLesson *l, const MsEvent *ev)
{
  Session *s;
  if (ev->proto == MS_PROTO_DNS)
    {
      MsAddr c, sv;
      char cb[MS_ADDR_STRLEN], sb[MS_ADDR_STRLEN];
      event_roles (ev, &c, &sv);
      ms_addr_format_ip (&c, cb, sizeof cb);
      ms_addr_format_ip (&sv, sb, sizeof sb);
      char *key = g_strconcat (cb, "|", sb, NULL);
      s = g_hash_table_lookup (l->by_dns, key);
      if (s)
        {
          g_free (key);
          return s;
        }
      s = session_add (l, ev);
      s->sum.dns_group = TRUE;
      s->sum.stream = -1;
      s->sum.client.port = 0;
      g_hash_table_insert (l->by_dns, key, s);
      return s;
    }
  gint64 key = ev->stream;
  s = g_hash_table_lookup (l->by_stream, &key);
  if (s)
    return s;
  s = session_add (l, ev);
  g_hash_table_insert (l->by_stream, g_memdup2 (&key, sizeof key), s);
  return s;
}

/* The session's application protocol once an event reveals it (the port
 * guess gives way to the first IMAP/POP3 event, or TLS's inner protocol). */
static void
session_learn_proto (Session *s, const MsEvent *ev)
{
  if (ev->proto == MS_PROTO_TLS)
    {
      s->sum.tls_used = TRUE;
      MsProto inner = ms_proto_from_name (ms_event_get_str (ev, "inner"));
      if (!s->proto_known && (inner == MS_PROTO_IMAP || inner == MS_PROTO_POP3))
        {
          s->sum.proto = inner;
          s->proto_known = TRUE;
        }
      else if (!s->proto_known && s->sum.proto == MS_PROTO_TCP)
        s->sum.proto = MS_PROTO_TLS;
      return;
    }
  if (!s->proto_known && (ev->proto == MS_PROTO_IMAP || ev->proto == MS_PROTO_POP3))
    {
      s->sum.proto = ev->proto;
      s->proto_known = TRUE;
    }
}

/* --- pairing ----------------------------------------------------------- */

static void
pending_push (Session *s, const char *tag, const char *command, MsStep step,
              gint64 ts_nsec)
{
  if (s->pending == NULL)
    s->pending = g_queue_new ();
  if (g_queue_get_length (s->pending) >= MS_LESSON_MAX_PENDING)
    g_free (g_queue_pop_head (s->pending));
  Pending *p = g_new0 (Pending, 1);
  g_strlcpy (p->tag, tag ? tag : "", sizeof p->tag);
  g_strlcpy (p->command, command ? command : "", sizeof p->command);
  p->step = step;
  p->ts_nsec = ts_nsec;
  g_queue_push_tail (s->pending, p);
}

/* Removes and returns the pending command with that tag (NULL tag: the
 * oldest, for POP3's in-order answers), or NULL. Caller frees. */
static Pending *
pending_take (Session *s, const char *tag)
{
  if (s->pending == NULL || g_queue_is_empty (s->pending))
    return NULL;
  if (tag == NULL)
    return g_queue_pop_head (s->pending);
  char key[MS_LESSON_MAX_TAG];
  g_strlcpy (key, tag, sizeof key);
  for (GList *l = s->pending->head; l; l = l->next)
    {
      Pending *p = l->data;
      if (strcmp (p->tag, key) == 0)
        {
          g_queue_delete_link (s->pending, l);
          return p;
        }
    }
  return NULL;
}

/* The most recent pending command, or NULL. Borrowed. */
static const Pending *
pending_last (Session *s)
{
  return s->pending ? g_queue_peek_tail (s->pending) : NULL;
}

/* The most recent pending command with that name, or NULL. Borrowed. */
static const Pending *
pending_find_command (Session *s, const char *command)
{
  if (s->pending == NULL || command == NULL)
    return NULL;
  for (GList *l = s->pending->tail; l; l = l->prev)
    {
      Pending *p = l->data;
      if (g_ascii_strcasecmp (p->command, command) == 0)
        return p;
    }
  return NULL;
}

static void
add_latency (MsEvent *ev, gint64 since_nsec)
{
  if (ms_event_has (ev, "latency") || since_nsec == 0 || ev->ts_nsec < since_nsec)
    return;
  ms_event_add_double (ev, "latency", (double) (ev->ts_nsec - since_nsec) / 1e9);
}

/* --- classification ---------------------------------------------------- */

/* Decides the step of an IMAP event and pairs completions with commands.
 * *paired_cmd receives the command name an answer belongs to. */
static MsStep
classify_imap (Session *s, MsEvent *ev, char *paired_cmd, gboolean *note_push,
               gboolean *note_literal)
{
  const char *kind = ev->kind;
  const char *command = ms_event_get_str (ev, "command");

  if (strcmp (kind, "command") == 0)
    {
      MsStep step = ms_lesson_imap_command_step (command,
                                                 ms_event_get_bool (ev, "moves_content"));
      pending_push (s, ms_event_get_str (ev, "tag"), command, step, ev->ts_nsec);
      if (command && g_ascii_strcasecmp (command, "IDLE") == 0)
        s->idle = TRUE;
      return step;
    }
  if (strcmp (kind, "idle-done") == 0)
    {
      s->idle = FALSE;
      return MS_STEP_REFRESH;
    }
  if (strcmp (kind, "sasl") == 0)
    return MS_STEP_LOGIN;
  if (strcmp (kind, "completion") == 0)
    {
      const char *for_command = ms_event_get_str (ev, "for_command");
      g_autofree Pending *p = pending_take (s, ms_event_get_str (ev, "tag"));
      MsStep step;
      if (p)
        {
          add_latency (ev, p->ts_nsec);
          step = p->step;
          g_strlcpy (paired_cmd, p->command, MS_LESSON_MAX_COMMAND);
          s->sum.steps[step].round_trips++;
          s->sum.total.round_trips++;
        }
      else
        {
          step = ms_lesson_imap_command_step (for_command, FALSE);
          if (for_command)
            g_strlcpy (paired_cmd, for_command, MS_LESSON_MAX_COMMAND);
        }
      if ((p && g_ascii_strcasecmp (p->command, "IDLE") == 0)
          || (for_command && g_ascii_strcasecmp (for_command, "IDLE") == 0))
        s->idle = FALSE;
      return step;
    }
  if (strcmp (kind, "untagged") == 0)
    {
      const char *ukind = ms_event_get_str (ev, "kind");
      const char *during = ms_event_get_str (ev, "during");
      gboolean news = ukind && (g_ascii_strcasecmp (ukind, "EXISTS") == 0
                                || g_ascii_strcasecmp (ukind, "EXPUNGE") == 0
                                || g_ascii_strcasecmp (ukind, "FETCH") == 0
                                || g_ascii_strcasecmp (ukind, "RECENT") == 0);
      if (ms_event_get_bool (ev, "greeting"))
        return MS_STEP_GREETING;
      if (ukind && g_ascii_strcasecmp (ukind, "BYE") == 0)
        return MS_STEP_LOGOUT;
      gboolean in_idle = (during && g_ascii_strcasecmp (during, "IDLE") == 0)
                         || (during == NULL && s->idle);
      if (news && in_idle)
        {
          *note_push = TRUE;
          return MS_STEP_REFRESH;
        }
      const Pending *p = during ? pending_find_command (s, during) : pending_last (s);
      if (p)
        return p->step;
      if (during)
        {
          MsStep step = ms_lesson_imap_command_step (during, FALSE);
          if (step != MS_STEP_NONE)
            return step;
        }
      MsStep step = imap_untagged_kind_step (ukind);
      return step != MS_STEP_NONE ? step : s->current;
    }
  if (strcmp (kind, "continuation") == 0)
    {
      /* The decoder names the command waiting for this go-ahead. */
      const char *fc = ms_event_get_str (ev, "for_command");
      const Pending *p = fc ? pending_find_command (s, fc) : NULL;
      if (p == NULL)
        p = pending_last (s);
      if (p && g_ascii_strcasecmp (p->command, "IDLE") == 0)
        return MS_STEP_REFRESH;
      if (p && g_ascii_strcasecmp (p->command, "AUTHENTICATE") == 0)
        return MS_STEP_LOGIN;
      /* A go-ahead for a synchronising literal: the client had to wait. */
      *note_literal = TRUE;
      MsStep step = p ? p->step : s->current;
      s->sum.steps[step].round_trips++;
      s->sum.total.round_trips++;
      return step;
    }
  /* "literal", "data" and anything new belong to what was going on. */
  const Pending *p = pending_last (s);
  return p ? p->step : s->current;
}

static MsStep
classify_pop3 (Session *s, MsEvent *ev, char *paired_cmd)
{
  const char *kind = ev->kind;
  if (strcmp (kind, "command") == 0)
    {
      const char *command = ms_event_get_str (ev, "command");
      MsStep step = ms_lesson_pop3_command_step (command);
      pending_push (s, NULL, command, step, ev->ts_nsec);
      return step;
    }
  if (strcmp (kind, "sasl") == 0 || strcmp (kind, "continuation") == 0)
    return MS_STEP_LOGIN;
  if (strcmp (kind, "response") == 0)
    {
      if (ms_event_get_bool (ev, "greeting"))
        return MS_STEP_GREETING;
      const char *for_command = ms_event_get_str (ev, "for_command");
      g_autofree Pending *p = pending_take (s, NULL);
      /* In-order pairing; a decoder that knows better names the command. */
      if (p && for_command && g_ascii_strcasecmp (p->command, for_command) != 0)
        {
          g_free (p);
          p = NULL;
        }
      if (p)
        {
          add_latency (ev, p->ts_nsec);
          s->sum.steps[p->step].round_trips++;
          s->sum.total.round_trips++;
          g_strlcpy (paired_cmd, p->command, MS_LESSON_MAX_COMMAND);
          return p->step;
        }
      if (for_command)
        g_strlcpy (paired_cmd, for_command, MS_LESSON_MAX_COMMAND);
      MsStep step = ms_lesson_pop3_command_step (for_command);
      return step != MS_STEP_NONE ? step : s->current;
    }
  return s->current;
}

static MsStep
classify (Session *s, MsEvent *ev, char *paired_cmd, gboolean *note_push,
          gboolean *note_literal)
{
  const char *kind = ev->kind ? ev->kind : "";

  if (strcmp (kind, "credential") == 0)
    return MS_STEP_LOGIN;
  switch (ev->proto)
    {
    case MS_PROTO_DNS:
      return MS_STEP_DNS;
    case MS_PROTO_TLS:
      return MS_STEP_TLS;
    case MS_PROTO_TCP:
      if (strcmp (kind, "handshake") == 0)
        return MS_STEP_CONNECT;
      if (strcmp (kind, "close") == 0)
        return MS_STEP_CLOSE;
      return s->current;
    case MS_PROTO_IMAP:
      return classify_imap (s, ev, paired_cmd, note_push, note_literal);
    case MS_PROTO_POP3:
      return classify_pop3 (s, ev, paired_cmd);
    case MS_PROTO_NONE:
    case MS_PROTO_N:
    default:
      return s->current;
    }
}

/* --- entry point ------------------------------------------------------- */

static void
set_note (MsEvent *ev, const char *note)
{
  if (note == NULL)
    return;
  if (ev->note == NULL)
    ev->note = g_strdup (note);
  else
    {
      char *both = g_strconcat (ev->note, " ", note, NULL);
      g_free (ev->note);
      ev->note = both;
    }
}

void
ms_lesson_process (MsLesson *lesson, MsEvent *ev)
{
  Session *s = session_for (lesson, ev);
  char paired_cmd[MS_LESSON_MAX_COMMAND] = "";
  gboolean note_push = FALSE, note_literal = FALSE;
  const char *kind = ev->kind ? ev->kind : "";

  lesson->current = s;
  session_learn_proto (s, ev);

  MsStep step = classify (s, ev, paired_cmd, &note_push, &note_literal);
  ev->step = step;
  if (step != MS_STEP_NONE)
    s->current = step;

  ms_lesson_stats_add (&s->sum.steps[step], ev);
  ms_lesson_stats_add (&s->sum.total, ev);
  ms_lesson_update_content (s, ev, paired_cmd);

  if (strcmp (kind, "credential") == 0)
    ms_lesson_update_credentials (s, ev);

  if (ev->proto == MS_PROTO_TCP && strcmp (kind, "close") == 0)
    {
      const char *how = ms_event_get_str (ev, "tcp");
      if (how && g_ascii_strcasecmp (how, "RST") == 0)
        s->sum.closed = TRUE;
      else if (ev->dir == MS_DIR_C2S || ev->dir == MS_DIR_S2C)
        {
          s->fin[ev->dir] = TRUE;
          s->sum.closed = s->fin[0] && s->fin[1];
        }
      /* A closed session keeps only its counters. */
      if (s->sum.closed && s->pending)
        {
          g_queue_free_full (s->pending, g_free);
          s->pending = NULL;
        }
      if (s->sum.closed)
        g_clear_pointer (&s->sizes, g_hash_table_unref);
    }

  gint64 missing = ms_event_get_int (ev, "missing", -1);
  if (missing > 0)
    s->sum.missing_bytes += (guint64) missing;

  /* Notes: what a student must not miss. */
  g_clear_pointer (&ev->note, g_free);
  if (strcmp (kind, "credential") == 0)
    {
      const MsField *f = ms_event_get (ev, "credential");
      if (f && f->type == MS_VAL_NODE && f->v.node && JSON_NODE_HOLDS_OBJECT (f->v.node)
          && json_object_get_boolean_member_with_default (json_node_get_object (f->v.node),
                                                          "cleartext", FALSE))
        set_note (ev, ms_narration_note (MS_NOTE_CLEARTEXT_PASSWORD));
    }
  if (note_literal)
    set_note (ev, ms_narration_note (MS_NOTE_SYNC_LITERAL));
  if (note_push)
    set_note (ev, ms_narration_note (MS_NOTE_IDLE_PUSH));
  if (ev->proto == MS_PROTO_TLS && !s->tls_noted)
    {
      s->tls_noted = TRUE;
      set_note (ev, ms_narration_note (MS_NOTE_TLS_BEGAN));
    }
  if (ev->proto == MS_PROTO_POP3 && strcmp (kind, "command") == 0
      && g_strcmp0 (ms_event_get_str (ev, "command"), "RETR") == 0
      && s->sum.steps[MS_STEP_FETCH].events == 1)
    set_note (ev, ms_narration_note (MS_NOTE_POP3_WHOLE_MESSAGE));
  if (missing > 0 || (ev->flags & MS_EVENT_GAP))
    set_note (ev, ms_narration_note (MS_NOTE_BYTES_MISSING));
  else if (ev->flags & MS_EVENT_TRUNCATED)
    set_note (ev, ms_narration_note (MS_NOTE_TRUNCATED));
  if (ev->flags & MS_EVENT_MALFORMED)
    set_note (ev, ms_narration_note (MS_NOTE_MALFORMED));

  MsNarrationContext ctx = {
    .proto = s->sum.proto,
    .idle = s->idle || note_push,
    .for_command = paired_cmd[0] ? paired_cmd : NULL,
  };
  g_free (ev->summary);
  ev->summary = ms_narration_summary (ev, step, &ctx);
}
