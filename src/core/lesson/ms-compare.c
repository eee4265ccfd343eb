/* ms-compare.c - IMAP and POP3 side by side: follows each mail session's
 * events (commands per step, what the mailbox held and lost, which content
 * moved), counts packets per conversation, and builds the measures, the
 * aligned step rows and the comparison points with their evidence. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "mailscope/ms-compare.h"
#include "ms-compare-private.h"

/* Distinct commands named per step and session ("RETR ×5" counts as one). */
#define MS_COMPARE_MAX_STEP_COMMANDS 6
/* Commands awaiting their answer per session (POP3 pipelining, IMAP tags). */
#define MS_COMPARE_MAX_PENDING 32
/* Messages whose fetch, size or structure frame is remembered per session. */
#define MS_COMPARE_MAX_MESSAGES 4096
/* Longest command text quoted in evidence, in bytes. */
#define MS_COMPARE_MAX_QUOTE 120

static void
command_count_free (gpointer data)
{
  CommandCount *c = data;
  g_free (c->name);
  g_free (c);
}

static void
pending_free (gpointer data)
{
  Pending *p = data;
  g_free (p->tag);
  g_free (p->name);
  g_free (p->text);
  g_free (p);
}

static void
cite_free (gpointer data)
{
  Cite *c = data;
  if (c == NULL)
    return;
  g_free (c->text);
  g_free (c);
}

static Cite *
cite_new (guint32 frame, char *text)
{
  Cite *c = g_new0 (Cite, 1);
  c->frame = frame;
  c->text = text;
  return c;
}

static void
session_free (gpointer data)
{
  Session *s = data;
  for (guint i = 0; i < MS_STEP_N; i++)
    if (s->step_commands[i])
      g_ptr_array_unref (s->step_commands[i]);
  g_queue_clear_full (&s->pending, pending_free);
  g_free (s->quit_info);
  g_ptr_array_unref (s->fetches);
  g_ptr_array_unref (s->pushed);
  g_hash_table_unref (s->messages);
  cite_free (s->refusal);
  g_free (s);
}

static Session *
session_new (guint id)
{
  Session *s = g_new0 (Session, 1);
  s->id = id;
  s->start_count = -1;
  s->exists = -1;
  g_queue_init (&s->pending);
  s->fetches = g_ptr_array_new_with_free_func (cite_free);
  s->pushed = g_ptr_array_new_with_free_func (cite_free);
  s->messages = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  return s;
}

static void
statement_free (gpointer data)
{
  MsCompareStatement *st = data;
  g_free (st->finding);
  g_ptr_array_unref (st->evidence);
  g_free (st);
}

static void
row_clear (gpointer data)
{
  MsCompareRow *r = data;
  for (guint i = 0; i < MS_COMPARE_N_SIDES; i++)
    g_free (r->commands[i]);
}

static guint
conv_hash (gconstpointer p)
{
  const ConvKey *k = p;
  return ms_addr_hash (&k->a) * 31 + ms_addr_hash (&k->b);
}

static gboolean
conv_equal (gconstpointer x, gconstpointer y)
{
  const ConvKey *a = x, *b = y;
  return ms_addr_equal (&a->a, &b->a) && ms_addr_equal (&a->b, &b->b);
}

static void
conv_key_set (ConvKey *k, const MsAddr *x, const MsAddr *y)
{
  memset (k, 0, sizeof *k);
  if (memcmp (x, y, sizeof *x) <= 0)
    {
      k->a = *x;
      k->b = *y;
    }
  else
    {
      k->a = *y;
      k->b = *x;
    }
}

MsCompare *
ms_compare_new (void)
{
  MsCompare *cmp = g_new0 (MsCompare, 1);
  cmp->sessions = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, session_free);
  cmp->conversations = g_hash_table_new_full (conv_hash, conv_equal, g_free, g_free);
  cmp->rows = g_array_new (FALSE, TRUE, sizeof (MsCompareRow));
  g_array_set_clear_func (cmp->rows, row_clear);
  cmp->statements = g_ptr_array_new_with_free_func (statement_free);
  return cmp;
}

void
ms_compare_free (MsCompare *cmp)
{
  if (cmp == NULL)
    return;
  g_hash_table_unref (cmp->sessions);
  g_hash_table_unref (cmp->conversations);
  g_array_unref (cmp->rows);
  g_ptr_array_unref (cmp->statements);
  g_free (cmp);
}

/* --- small helpers ------------------------------------------------------ */

static gboolean
is (const char *a, const char *b)
{
  return a && b && g_ascii_strcasecmp (a, b) == 0;
}

/* A copy of `text` cut to MS_COMPARE_MAX_QUOTE bytes (at a character). */
static char *
quote (const char *text)
{
  if (text == NULL)
    return g_strdup ("");
  if (strlen (text) <= MS_COMPARE_MAX_QUOTE)
    return g_strdup (text);
  const char *end = g_utf8_find_prev_char (text, text + MS_COMPARE_MAX_QUOTE);
  g_autofree char *cut = g_strndup (text, end ? (gsize) (end - text) : MS_COMPARE_MAX_QUOTE);
  return g_strconcat (cut, "…", NULL);
}

static const char *
count_text (guint64 n, char *buf, gsize size)
{
  return ms_narration_format_count (n, buf, size);
}

static Message *
message_get (Session *s, gint64 number)
{
  if (number <= 0 || number > G_MAXINT)
    return NULL;
  Message *m = g_hash_table_lookup (s->messages, GINT_TO_POINTER ((gint) number));
  if (m == NULL && g_hash_table_size (s->messages) < MS_COMPARE_MAX_MESSAGES)
    {
      m = g_new0 (Message, 1);
      m->size = -1;
      g_hash_table_insert (s->messages, GINT_TO_POINTER ((gint) number), m);
    }
  return m;
}

static void
note_start_count (Session *s, gint64 count, int rank, guint32 frame)
{
  if (count < 0 || rank < s->start_rank)
    return;
  s->start_count = count;
  s->start_rank = rank;
  s->start_frame = frame;
}

static void
step_command (Session *s, MsStep step, const char *name)
{
  if (step <= MS_STEP_NONE || step >= MS_STEP_N || name == NULL || *name == '\0')
    return;
  if (s->step_commands[step] == NULL)
    s->step_commands[step] = g_ptr_array_new_with_free_func (command_count_free);
  GPtrArray *a = s->step_commands[step];
  for (guint i = 0; i < a->len; i++)
    {
      CommandCount *c = a->pdata[i];
      if (is (c->name, name))
        {
          c->count++;
          return;
        }
    }
  if (a->len >= MS_COMPARE_MAX_STEP_COMMANDS)
    return;
  CommandCount *c = g_new0 (CommandCount, 1);
  c->name = g_ascii_strup (name, -1);
  c->count = 1;
  g_ptr_array_add (a, c);
}

static void
add_cite (GPtrArray *list, guint *count, guint32 frame, char *text)
{
  (*count)++;
  if (list->len < MS_COMPARE_MAX_EVIDENCE)
    g_ptr_array_add (list, cite_new (frame, text));
  else
    g_free (text);
}

/* TRUE when an IMAP fetch item asks for a whole message. */
static gboolean
item_is_whole (const char *item)
{
  g_autofree char *up = g_ascii_strup (item, -1);
  char *peek = strstr (up, ".PEEK");
  if (peek)
    memmove (peek, peek + 5, strlen (peek + 5) + 1);
  return strcmp (up, "BODY[]") == 0 || strcmp (up, "RFC822") == 0
         || strcmp (up, "BINARY[]") == 0;
}

static gboolean
fetch_is_whole (const MsEvent *ev)
{
  const MsField *f = ms_event_get (ev, "fetch_items");
  if (f && f->type == MS_VAL_NODE && f->v.node && JSON_NODE_HOLDS_ARRAY (f->v.node))
    {
      JsonArray *a = json_node_get_array (f->v.node);
      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          JsonNode *n = json_array_get_element (a, i);
          if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
              && item_is_whole (json_node_get_string (n)))
            return TRUE;
        }
      return FALSE;
    }
  if (f && f->type == MS_VAL_STR)
    return item_is_whole (f->v.s);
  return FALSE;
}

static void
pending_push (Session *s, const MsEvent *ev, const char *name)
{
  Pending *p = g_new0 (Pending, 1);
  const char *args = ms_event_get_str (ev, "args");
  p->tag = g_strdup (ms_event_get_str (ev, "tag"));
  p->name = g_ascii_strup (name, -1);
  p->text = g_strdup_printf ("%s%s%s%s", ms_event_get_bool (ev, "uid") ? "UID " : "", p->name,
                             args && *args ? " " : "", args ? args : "");
  p->content = ms_event_get_bool (ev, "moves_content");
  p->whole = p->content && fetch_is_whole (ev);
  g_queue_push_tail (&s->pending, p);
  if (g_queue_get_length (&s->pending) > MS_COMPARE_MAX_PENDING)
    pending_free (g_queue_pop_head (&s->pending));
}

/* IMAP: removes the command with that tag; returns it (owned) or NULL. */
static Pending *
pending_take_tag (Session *s, const char *tag)
{
  for (GList *l = s->pending.head; l && tag; l = l->next)
    {
      Pending *p = l->data;
      if (g_strcmp0 (p->tag, tag) == 0)
        {
          g_queue_delete_link (&s->pending, l);
          return p;
        }
    }
  return NULL;
}

/* IMAP: the newest FETCH still waiting that moves content. */
static const Pending *
pending_content_fetch (Session *s)
{
  for (GList *l = s->pending.tail; l; l = l->prev)
    {
      const Pending *p = l->data;
      if (p->content)
        return p;
    }
  return NULL;
}

/* "+OK 5 287992" or "+OK student has 5 messages": the first count. */
static gint64
parse_count_after (const char *text, const char *after)
{
  const char *p = text ? strstr (text, after) : NULL;
  if (p == NULL)
    return -1;
  p += strlen (after);
  if (!g_ascii_isdigit (*p))
    return -1;
  return g_ascii_strtoll (p, NULL, 10);
}

/* --- following the events ------------------------------------------------ */

static void
imap_event (Session *s, const MsEvent *ev)
{
  const char *kind = ev->kind;

  if (strcmp (kind, "command") == 0)
    {
      const char *name = ms_event_get_str (ev, "command");
      if (name == NULL)
        return;
      step_command (s, ev->step, name);
      pending_push (s, ev, name);
      return;
    }
  if (strcmp (kind, "completion") == 0)
    {
      Pending *p = pending_take_tag (s, ms_event_get_str (ev, "tag"));
      if (p)
        pending_free (p);
      return;
    }
  if (strcmp (kind, "untagged") != 0)
    return;

  const char *ukind = ms_event_get_str (ev, "kind");
  gint64 number = ms_event_get_int (ev, "number", -1);
  if (is (ukind, "EXISTS"))
    {
      s->exists = number;
      note_start_count (s, number, 3, ev->frame);
      /* a later EXISTS (new mail) does not change what was there first */
      s->start_rank = 4;
    }
  else if (is (ukind, "EXPUNGE"))
    {
      if (s->exists > 0)
        s->exists--;
      s->expunged++;
      s->last_expunge_frame = ev->frame;
    }

  if (ev->step == MS_STEP_REFRESH && (is (ukind, "EXISTS") || is (ukind, "EXPUNGE")
                                      || is (ukind, "FETCH") || is (ukind, "RECENT")))
    {
      g_autofree char *info = quote (ev->info);
      /* TRANSLATORS: evidence: frame, server line pushed during IDLE, session */
      add_cite (s->pushed, &s->n_pushed, ev->frame,
                g_strdup_printf (_("IMAP frame %u: %s, pushed during IDLE (session %u)"),
                                 ev->frame, info, s->id));
    }

  if (!is (ukind, "FETCH"))
    return;
  Message *m = message_get (s, number);
  if (m && ms_event_has (ev, "parts"))
    m->structure_frame = ev->frame;
  gint64 content = ms_event_get_int (ev, "content_bytes", -1);
  if (content < 0)
    return;
  const Pending *p = pending_content_fetch (s);
  gboolean whole = p && p->whole;
  if (m)
    m->fetched = MAX (m->fetched, whole ? 2 : 1);
  if (s->first_fetch_frame == 0)
    s->first_fetch_frame = ev->frame;
  s->last_fetch_frame = ev->frame;

  char bytes[32];
  const char *section = ms_event_get_str (ev, "section_info");
  g_autofree char *detail = section ? g_strdup (section)
                                    : g_strdup_printf (_("%s bytes"),
                                                       count_text ((guint64) content, bytes, sizeof bytes));
  g_autofree char *cmd = p ? quote (p->text)
                           : g_strdup_printf ("FETCH %" G_GINT64_FORMAT, number);
  /* TRANSLATORS: evidence: frame, the FETCH command, what it moved */
  add_cite (s->fetches, &s->n_fetches, ev->frame,
            g_strdup_printf (_("IMAP frame %u: %s — %s"), ev->frame, cmd, detail));
  if (s->fetches->len && ((Cite *) g_ptr_array_index (s->fetches, s->fetches->len - 1))->frame == ev->frame)
    ((Cite *) g_ptr_array_index (s->fetches, s->fetches->len - 1))->number = number;
}

static gboolean
is_login_command (const char *name)
{
  return is (name, "USER") || is (name, "PASS") || is (name, "APOP") || is (name, "AUTH");
}

static gboolean
says_in_use (const char *text)
{
  if (text == NULL)
    return FALSE;
  g_autofree char *low = g_ascii_strdown (text, -1);
  return strstr (low, "in-use") || strstr (low, "in use") || strstr (low, "lock");
}

static void
pop3_event (Session *s, const MsEvent *ev)
{
  const char *kind = ev->kind;

  if (strcmp (kind, "command") == 0)
    {
      const char *name = ms_event_get_str (ev, "command");
      if (name == NULL)
        return;
      step_command (s, ev->step, name);
      pending_push (s, ev, name);
      return;
    }
  if (strcmp (kind, "response") != 0)
    return;

  gboolean ok = g_strcmp0 (ms_event_get_str (ev, "status"), "+OK") == 0
                || (ev->info && g_str_has_prefix (ev->info, "+OK"));
  if (ms_event_get_bool (ev, "greeting"))
    {
      if (!ok && says_in_use (ev->info) && s->refusal == NULL)
        {
          g_autofree char *info = quote (ev->info);
          s->refusal = cite_new (ev->frame, g_strdup_printf (_("POP3 frame %u: %s"), ev->frame, info));
        }
      return;
    }

  const char *for_command = ms_event_get_str (ev, "for_command");
  Pending *p = g_queue_pop_head (&s->pending);
  /* Answers come in order; a decoder that knows better names the command. */
  while (p && for_command && !is (p->name, for_command) && !g_queue_is_empty (&s->pending))
    {
      pending_free (p);
      p = g_queue_pop_head (&s->pending);
    }
  const char *cmd = p ? p->name : for_command;

  if (!ok)
    {
      if (is_login_command (cmd) && says_in_use (ev->info) && s->refusal == NULL)
        {
          g_autofree char *info = quote (ev->info);
          /* TRANSLATORS: evidence: frame, the refused command, the server's line */
          s->refusal = cite_new (ev->frame, g_strdup_printf (_("POP3 frame %u: %s refused — %s"),
                                                             ev->frame, cmd, info));
        }
      if (p)
        pending_free (p);
      return;
    }

  if (is (cmd, "STAT"))
    {
      gint64 n = ms_event_get_int (ev, "maildrop_count", parse_count_after (ev->info, "+OK "));
      note_start_count (s, n, 3, ev->frame);
    }
  else if (is (cmd, "LIST") && p && strchr (p->text, ' ') == NULL)
    note_start_count (s, ms_event_get_int (ev, "lines", -1), 2, ev->frame);
  else if (is (cmd, "PASS") || is (cmd, "APOP") || is (cmd, "AUTH"))
    note_start_count (s, parse_count_after (ev->info, " has "), 1, ev->frame);
  else if (is (cmd, "DELE"))
    {
      s->dele_marked++;
      if (s->first_dele_frame == 0)
        s->first_dele_frame = ev->frame;
      s->last_dele_frame = ev->frame;
    }
  else if (is (cmd, "RSET"))
    s->dele_marked = 0;
  else if (is (cmd, "QUIT"))
    {
      s->quit_ok = TRUE;
      s->quit_frame = ev->frame;
      g_free (s->quit_info);
      s->quit_info = quote (ev->info);
    }
  else if (is (cmd, "RETR") || is (cmd, "TOP"))
    {
      gint64 content = ms_event_get_int (ev, "content_bytes", ms_event_get_int (ev, "octets", 0));
      gint64 number = p ? g_ascii_strtoll (strchr (p->text, ' ') ? strchr (p->text, ' ') + 1 : "", NULL, 10)
                        : -1;
      Message *m = message_get (s, number);
      gboolean retr = is (cmd, "RETR");
      char bytes[32];
      if (m && retr)
        {
          m->size = content;
          m->size_frame = ev->frame;
          m->fetched = 2;
        }
      else if (m)
        m->fetched = MAX (m->fetched, 1);
      if (!retr)
        s->n_top++;
      if (s->first_fetch_frame == 0)
        s->first_fetch_frame = ev->frame;
      s->last_fetch_frame = ev->frame;
      count_text ((guint64) MAX (content, 0), bytes, sizeof bytes);
      g_autofree char *text = p ? quote (p->text) : g_strdup (cmd);
      add_cite (s->fetches, &s->n_fetches, ev->frame,
                retr
                  /* TRANSLATORS: evidence: frame, "RETR 5", byte count */
                  ? g_strdup_printf (_("POP3 frame %u: %s — %s bytes, the whole message"),
                                     ev->frame, text, bytes)
                  /* TRANSLATORS: evidence: frame, "TOP 3 10", byte count */
                  : g_strdup_printf (_("POP3 frame %u: %s — %s bytes: the header and the first lines"),
                                     ev->frame, text, bytes));
    }
  if (p)
    pending_free (p);
}

void
ms_compare_add_event (MsCompare *cmp, guint session, const MsEvent *ev)
{
  g_return_if_fail (cmp != NULL && ev != NULL);
  if (session == 0 || (ev->proto != MS_PROTO_IMAP && ev->proto != MS_PROTO_POP3
                       && ev->proto != MS_PROTO_TCP && ev->proto != MS_PROTO_TLS))
    return;
  Session *s = g_hash_table_lookup (cmp->sessions, GUINT_TO_POINTER (session));
  if (s == NULL)
    {
      if (g_hash_table_size (cmp->sessions) >= MS_COMPARE_MAX_SESSIONS)
        {
          cmp->sessions_dropped++;
          return;
        }
      s = session_new (session);
      g_hash_table_insert (cmp->sessions, GUINT_TO_POINTER (session), s);
    }
  if (!s->seen)
    {
      s->seen = TRUE;
      s->first_frame = ev->frame;
      s->first_time = ev->time;
    }
  s->last_frame = MAX (s->last_frame, ev->frame);
  s->last_time = MAX (s->last_time, ev->time);
  if (ev->step > MS_STEP_NONE && ev->step < MS_STEP_N && s->step_first_frame[ev->step] == 0)
    s->step_first_frame[ev->step] = ev->first_frame ? ev->first_frame : ev->frame;

  if (ev->proto == MS_PROTO_IMAP)
    imap_event (s, ev);
  else if (ev->proto == MS_PROTO_POP3)
    pop3_event (s, ev);
}

void
ms_compare_add_packet (MsCompare *cmp, const MsAddr *src, const MsAddr *dst, guint32 wire_len)
{
  ConvKey key;
  g_return_if_fail (cmp != NULL && src != NULL && dst != NULL);
  if (src->family == 0 || dst->family == 0)
    return;
  conv_key_set (&key, src, dst);
  ConvCount *c = g_hash_table_lookup (cmp->conversations, &key);
  if (c == NULL)
    {
      if (g_hash_table_size (cmp->conversations) >= MS_COMPARE_MAX_CONVERSATIONS)
        return;
      c = g_new0 (ConvCount, 1);
      g_hash_table_insert (cmp->conversations, g_memdup2 (&key, sizeof key), c);
    }
  c->packets++;
  c->bytes += wire_len;
}

/* --- building ----------------------------------------------------------- */

Session *
ms_compare_find_session (MsCompare *cmp, guint id)
{
  return g_hash_table_lookup (cmp->sessions, GUINT_TO_POINTER (id));
}

gboolean
ms_compare_is_complete (MsCompare *cmp)
{
  return cmp->complete;
}

const MsCompareMeasures *
ms_compare_get_measures (MsCompare *cmp, MsCompareSide side)
{
  g_return_val_if_fail (side < MS_COMPARE_N_SIDES, NULL);
  return &cmp->measures[side];
}

guint
ms_compare_get_n_rows (MsCompare *cmp)
{
  return cmp->rows->len;
}

const MsCompareRow *
ms_compare_get_row (MsCompare *cmp, guint index)
{
  g_return_val_if_fail (index < cmp->rows->len, NULL);
  return &g_array_index (cmp->rows, MsCompareRow, index);
}

guint
ms_compare_get_n_statements (MsCompare *cmp)
{
  return cmp->statements->len;
}

const MsCompareStatement *
ms_compare_get_statement (MsCompare *cmp, guint index)
{
  g_return_val_if_fail (index < cmp->statements->len, NULL);
  return cmp->statements->pdata[index];
}

/* How well a session suits the comparison: moved content, listed, logged
 * in, anything. */
static int
session_score (MsCompare *cmp, const MsSessionSummary *sum)
{
  Session *s = ms_compare_find_session (cmp, sum->id);
  if (s && s->refusal)
    return 0;
  if (sum->content_bytes > 0)
    return 4;
  if (sum->steps[MS_STEP_LIST].events > 0)
    return 3;
  if (sum->steps[MS_STEP_LOGIN].events > 0)
    return 2;
  return 1;
}

static const MsSessionSummary *
choose (MsCompare *cmp, const GPtrArray *sessions, MsProto proto, guint want)
{
  const MsSessionSummary *best = NULL;
  int best_score = -1;
  for (guint i = 0; sessions && i < sessions->len; i++)
    {
      const MsSessionSummary *sum = sessions->pdata[i];
      if (sum->proto != proto || sum->dns_group)
        continue;
      if (want)
        {
          if (sum->id == want)
            return sum;
          continue;
        }
      int score = session_score (cmp, sum);
      if (score > best_score)
        {
          best = sum;
          best_score = score;
        }
    }
  return best;
}

static void
fill_measures (MsCompare *cmp, MsCompareMeasures *m, const MsSessionSummary *sum, Session *s)
{
  memset (m, 0, sizeof *m);
  m->mailbox_bytes = -1;
  m->messages_at_start = -1;
  m->messages_left = -1;
  if (sum == NULL)
    return;
  m->session = sum->id;
  m->bytes[MS_DIR_C2S] = sum->total.bytes[MS_DIR_C2S];
  m->bytes[MS_DIR_S2C] = sum->total.bytes[MS_DIR_S2C];
  m->round_trips = sum->total.round_trips;
  m->start = sum->total.first_time;
  m->duration = MAX (sum->total.last_time - sum->total.first_time, 0.0);
  m->content_bytes = sum->content_bytes;
  m->mailbox_bytes = sum->mailbox_bytes;

  ConvKey key;
  conv_key_set (&key, &sum->client, &sum->server);
  ConvCount *c = g_hash_table_lookup (cmp->conversations, &key);
  if (c)
    {
      m->packets = c->packets;
      m->wire_bytes = c->bytes;
      m->packets_counted = TRUE;
    }
  else
    m->packets = sum->total.frames;

  if (s == NULL)
    return;
  m->messages_at_start = s->start_count;
  m->messages_frame = s->start_frame;
  if (sum->proto == MS_PROTO_POP3)
    {
      m->deletions_marked = s->dele_marked;
      m->quit_completed = s->quit_ok;
      /* DELE only marks; the marks take effect when QUIT is answered. */
      m->messages_removed = s->quit_ok ? s->dele_marked : 0;
      m->left_frame = s->quit_ok ? s->quit_frame : 0;
      if (s->start_count >= 0)
        m->messages_left = MAX (s->start_count - (gint64) m->messages_removed, 0);
    }
  else
    {
      m->messages_removed = s->expunged;
      m->left_frame = s->last_expunge_frame;
      m->messages_left = s->exists;
    }
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, s->messages);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      const Message *msg = value;
      m->messages_fetched += msg->fetched > 0;
      m->messages_whole += msg->fetched == 2;
    }
}

static char *
step_commands_text (Session *s, MsStep step)
{
  GPtrArray *a = s ? s->step_commands[step] : NULL;
  if (a == NULL || a->len == 0)
    return NULL;
  GString *out = g_string_new (NULL);
  for (guint i = 0; i < a->len; i++)
    {
      const CommandCount *c = a->pdata[i];
      if (i)
        g_string_append (out, ", ");
      g_string_append (out, c->name);
      if (c->count > 1)
        g_string_append_printf (out, " ×%u", c->count);
    }
  return g_string_free (out, FALSE);
}

static void
build_rows (MsCompare *cmp, const MsSessionSummary *sums[], Session *ss[])
{
  g_array_set_size (cmp->rows, 0);
  for (MsStep step = MS_STEP_DNS; step < MS_STEP_N; step++)
    {
      MsCompareRow row;
      gboolean any = FALSE;
      memset (&row, 0, sizeof row);
      row.step = step;
      for (guint side = 0; side < MS_COMPARE_N_SIDES; side++)
        {
          const MsStepStats *st = sums[side] ? &sums[side]->steps[step] : NULL;
          if (st == NULL || st->events == 0)
            continue;
          any = TRUE;
          row.present[side] = TRUE;
          row.bytes[side] = st->bytes[MS_DIR_C2S] + st->bytes[MS_DIR_S2C];
          row.round_trips[side] = st->round_trips;
          row.duration[side] = MAX (st->last_time - st->first_time, 0.0);
          row.first_frame[side] = ss[side] ? ss[side]->step_first_frame[step] : 0;
          row.commands[side] = step_commands_text (ss[side], step);
        }
      if (any)
        g_array_append_val (cmp->rows, row);
    }
}

gboolean
ms_compare_build (MsCompare *cmp, const GPtrArray *sessions, guint imap, guint pop3)
{
  const MsSessionSummary *sums[MS_COMPARE_N_SIDES];
  Session *ss[MS_COMPARE_N_SIDES];

  g_return_val_if_fail (cmp != NULL, FALSE);
  sums[MS_COMPARE_IMAP] = choose (cmp, sessions, MS_PROTO_IMAP, imap);
  sums[MS_COMPARE_POP3] = choose (cmp, sessions, MS_PROTO_POP3, pop3);
  for (guint side = 0; side < MS_COMPARE_N_SIDES; side++)
    {
      ss[side] = sums[side] ? ms_compare_find_session (cmp, sums[side]->id) : NULL;
      fill_measures (cmp, &cmp->measures[side], sums[side], ss[side]);
    }
  /* The same mailbox: a size only one trace tells holds for both. */
  MsCompareMeasures *mi = &cmp->measures[MS_COMPARE_IMAP], *mp = &cmp->measures[MS_COMPARE_POP3];
  gboolean same_count = mi->messages_at_start >= 0 && mi->messages_at_start == mp->messages_at_start;
  if (same_count && mi->mailbox_bytes < 0 && mp->mailbox_bytes >= 0)
    {
      mi->mailbox_bytes = mp->mailbox_bytes;
      mi->mailbox_from_other = TRUE;
    }
  else if (same_count && mp->mailbox_bytes < 0 && mi->mailbox_bytes >= 0)
    {
      mp->mailbox_bytes = mi->mailbox_bytes;
      mp->mailbox_from_other = TRUE;
    }
  build_rows (cmp, sums, ss);
  g_ptr_array_set_size (cmp->statements, 0);
  ms_compare_build_statements (cmp, sessions, sums, ss);
  cmp->complete = sums[0] != NULL && sums[1] != NULL;
  return cmp->complete;
}
