/* ms-sink.c - the JSON Lines and text narration sinks. Both gather output
 * in one large buffer and write it in big pieces, to a FILE* or a
 * GOutputStream. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "mailscope/ms-sink.h"
#include "ms-lesson-private.h"

/* Output gathered before one write: large writes keep a big capture's
 * decoding from being dominated by system calls. */
#define MS_SINK_BUFFER_BYTES (256 * 1024)
/* Narration lines held per open session; past it the session is printed
 * early (and continued later) so a long session cannot fill memory. */
#define MS_SINK_MAX_SESSION_LINES 2000
/* Narration bytes held across all open sessions; past it the session being
 * written to is printed early (a capture with thousands of open streams). */
#define MS_SINK_MAX_HELD_BYTES (16 * 1024 * 1024)
/* Sessions with lines waiting at once; past it every session is printed as
 * far as it got, so a capture of countless streams cannot grow the sink. */
#define MS_SINK_MAX_HELD_SESSIONS 4096
/* Columns for step explanations: readable on a projector and a terminal. */
#define MS_SINK_WRAP_COLUMNS 76

typedef enum { SINK_JSON, SINK_TEXT } SinkKind;

/* Text held for one session until it closes. */
typedef struct {
  GString *text;          /* NULL once the session closed and was printed */
  guint lines;
  MsStep step;            /* step whose heading was printed last */
  guint explained;        /* bit per step whose explanation was printed */
  gboolean printed;       /* part of it was already printed */
} Held;

static void held_free (gpointer data);

struct _MsSink {
  SinkKind kind;
  guint flags;
  MsLesson *lesson;       /* borrowed */
  FILE *fp;               /* borrowed; or */
  GOutputStream *out;     /* owned ref */
  GString *buf;
  GError *error;          /* first write error */

  /* JSON */
  JsonGenerator *gen;     /* for summaries */
  JsonNode *root;         /* for summaries */
  MsEventJson *events;    /* one reused object per member layout */

  /* text */
  GHashTable *held;       /* session id → Held* */
  gsize held_bytes;
};

/* --- output ------------------------------------------------------------ */

/* Writes the buffer out; FALSE once any write failed. */
static gboolean
sink_flush (MsSink *sink)
{
  if (sink->error)
    {
      g_string_truncate (sink->buf, 0);
      return FALSE;
    }
  if (sink->buf->len == 0)
    return TRUE;
  if (sink->fp)
    {
      if (fwrite (sink->buf->str, 1, sink->buf->len, sink->fp) != sink->buf->len)
        g_set_error (&sink->error, G_IO_ERROR, g_io_error_from_errno (errno),
                     _("Cannot write the output: %s"), g_strerror (errno));
    }
  else
    g_output_stream_write_all (sink->out, sink->buf->str, sink->buf->len, NULL, NULL,
                               &sink->error);
  g_string_truncate (sink->buf, 0);
  return sink->error == NULL;
}

static gboolean
sink_maybe_flush (MsSink *sink)
{
  return sink->buf->len < MS_SINK_BUFFER_BYTES ? sink->error == NULL : sink_flush (sink);
}

static MsSink *
sink_new (SinkKind kind, FILE *fp, GOutputStream *out, MsLesson *lesson, guint flags)
{
  MsSink *sink = g_new0 (MsSink, 1);
  sink->kind = kind;
  sink->flags = flags;
  sink->lesson = lesson;
  sink->fp = fp;
  sink->out = out ? g_object_ref (out) : NULL;
  sink->buf = g_string_sized_new (MS_SINK_BUFFER_BYTES + 4096);
  if (kind == SINK_JSON)
    {
      sink->gen = json_generator_new ();
      sink->root = json_node_new (JSON_NODE_OBJECT);
      sink->events = ms_event_json_new ();
    }
  else
    sink->held = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, held_free);
  return sink;
}

/* --- JSON -------------------------------------------------------------- */

MsSink *
ms_sink_new_json (FILE *fp, MsLesson *lesson, guint flags)
{
  g_return_val_if_fail (fp != NULL, NULL);
  return sink_new (SINK_JSON, fp, NULL, lesson, flags);
}

MsSink *
ms_sink_new_json_stream (GOutputStream *out, MsLesson *lesson, guint flags)
{
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (out), NULL);
  return sink_new (SINK_JSON, NULL, out, lesson, flags);
}

/* Appends one summary line: `o` as JSON and a newline. */
static void
json_line (MsSink *sink, JsonObject *o)
{
  json_node_take_object (sink->root, o);
  json_generator_set_root (sink->gen, sink->root);
  json_generator_to_gstring (sink->gen, sink->buf);
  g_string_append_c (sink->buf, '\n');
}

/* --- text -------------------------------------------------------------- */

/* Appends `text` wrapped at MS_SINK_WRAP_COLUMNS display columns, each line
 * starting with `indent`. Breaks at spaces, or anywhere in scripts without
 * them (Chinese). */
/* Punctuation that must not begin a line (CJK line-breaking rules). */
static gboolean
no_line_start (gunichar c)
{
  return c && g_utf8_strchr ("，。：；、）！？」’”", -1, c) != NULL;
}

/* Appends `text` wrapped at MS_SINK_WRAP_COLUMNS display columns, each line
 * starting with `indent`. Breaks at a space in the last third of the line,
 * else between any two characters (Chinese has no spaces), never before
 * closing punctuation. */
static void
append_wrapped (GString *out, const char *indent, const char *text)
{
  guint width = MS_SINK_WRAP_COLUMNS - (guint) strlen (indent);
  const char *line = text;
  while (*line)
    {
      const char *p = line, *brk = NULL, *end = NULL;
      guint col = 0;
      while (*p)
        {
          gunichar c = g_utf8_get_char (p);
          guint w = g_unichar_iswide (c) ? 2 : 1;
          if (col + w > width)
            {
              if (brk)
                end = brk;
              else
                {
                  end = p;
                  while (*end && no_line_start (g_utf8_get_char (end)))
                    end = g_utf8_next_char (end);
                }
              break;
            }
          if (c == ' ' && col >= width * 2 / 3)
            brk = p;
          col += w;
          p = g_utf8_next_char (p);
        }
      if (end == NULL)
        end = p;
      g_string_append (out, indent);
      g_string_append_len (out, line, end - line);
      g_string_append_c (out, '\n');
      line = end;
      while (*line == ' ')
        line++;
    }
}

static void
held_free (gpointer data)
{
  Held *h = data;
  if (h->text)
    g_string_free (h->text, TRUE);
  g_free (h);
}

/* Prints a session's held lines under its heading and empties them. At the
 * session's end (`last`), attachments it never downloaded are reported. */
static void
held_print (MsSink *sink, const MsSessionSummary *s, Held *h, gboolean last)
{
  if (h->text == NULL || h->lines == 0)
    return;
  g_autofree char *missed = last ? ms_session_summary_format_attachments (s) : NULL;
  g_autofree char *heading = ms_session_summary_heading (s);
  if (h->printed)
    g_string_append_printf (sink->buf, "━━ %s %s ━━\n", heading, _("(continued)"));
  else
    g_string_append_printf (sink->buf, "━━ %s ━━\n", heading);
  g_string_append_len (sink->buf, h->text->str, h->text->len);
  if (missed)
    g_string_append (sink->buf, missed);
  g_string_append_c (sink->buf, '\n');
  sink->held_bytes -= MIN (sink->held_bytes, h->text->len);
  g_string_truncate (h->text, 0);
  h->lines = 0;
  h->printed = TRUE;
  sink_maybe_flush (sink);
}

/* Prints every session still holding lines, and forgets the sessions the
 * lesson no longer tracks (it drops the oldest past its own cap): memory
 * stays bounded however many streams a capture opens. */
static void
flush_all (MsSink *sink)
{
  const GPtrArray *sessions = ms_lesson_sessions (sink->lesson);
  guint min_id = G_MAXUINT;
  for (guint i = 0; sessions && i < sessions->len; i++)
    {
      const MsSessionSummary *s = g_ptr_array_index (sessions, i);
      min_id = MIN (min_id, s->id);
      Held *h = g_hash_table_lookup (sink->held, GUINT_TO_POINTER (s->id));
      if (h)
        held_print (sink, s, h, FALSE);
    }
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, sink->held);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      Held *h = value;
      if (GPOINTER_TO_UINT (key) >= min_id)
        continue;
      if (h->text && h->lines)
        {
          g_string_append_printf (sink->buf, "━━ %s %u ━━\n", _("Session"), GPOINTER_TO_UINT (key));
          g_string_append_len (sink->buf, h->text->str, h->text->len);
          g_string_append_c (sink->buf, '\n');
          sink->held_bytes -= MIN (sink->held_bytes, h->text->len);
        }
      g_hash_table_iter_remove (&it);
    }
  /* Start afresh: a session that goes on starts a new block under its heading. */
  g_hash_table_remove_all (sink->held);
  sink_maybe_flush (sink);
}

static void
text_event (MsSink *sink, MsEvent *ev)
{
  const MsSessionSummary *s = ms_lesson_current_session (sink->lesson);
  g_return_if_fail (s != NULL);
  gpointer key = GUINT_TO_POINTER (s->id);
  Held *h = g_hash_table_lookup (sink->held, key);
  if (h == NULL)
    {
      h = g_new0 (Held, 1);
      h->step = MS_STEP_NONE;
      g_hash_table_insert (sink->held, key, h);
    }
  if (h->text == NULL)
    h->text = g_string_new (NULL);
  gsize before = h->text->len;
  gboolean mask = (sink->flags & MS_SINK_MASK_SECRETS) != 0;
  gboolean color = (sink->flags & MS_SINK_COLOR) != 0;

  if (ev->step != MS_STEP_NONE && (ev->step != h->step || h->lines == 0))
    {
      if (ev->step != h->step || h->printed)
        {
          g_string_append_printf (h->text, "  ▸ %s\n", ms_lesson_step_title (ev->step));
          /* The paragraph once per session; a step coming back gets its title. */
          if (!(h->explained & (1u << ev->step)))
            append_wrapped (h->text, "    ", ms_lesson_step_explanation (ev->step, s->proto));
          h->explained |= 1u << ev->step;
        }
      h->step = ev->step;
    }

  const char *arrow = ev->dir == MS_DIR_C2S ? "C→S" : ev->dir == MS_DIR_S2C ? "S→C" : "   ";
  g_autofree char *summary = mask ? ms_event_mask (ev, ev->summary) : g_strdup (ev->summary);
  g_string_append_printf (h->text, "  %6u %10.6f  %s  %s", ev->frame, ev->time, arrow,
                          summary ? summary : "");
  if (ev->info && ev->info[0])
    {
      g_autofree char *info = mask ? ms_event_mask (ev, ev->info) : g_strdup (ev->info);
      const MsField *lat = ms_event_get (ev, "latency");
      /* Info already in brackets ("[SYN]") is not bracketed twice. */
      gboolean bracket = !color && !(info[0] == '[' && g_str_has_suffix (info, "]") && !lat);
      g_string_append (h->text, color ? "  \033[2m" : bracket ? "  [" : "  ");
      g_string_append (h->text, info);
      if (lat && lat->type == MS_VAL_DOUBLE)
        g_string_append_printf (h->text, ", %.1f ms", lat->v.d * 1000.0);
      g_string_append (h->text, color ? "\033[0m" : bracket ? "]" : "");
    }
  g_string_append_c (h->text, '\n');
  h->lines++;
  if (ev->note)
    {
      g_string_append (h->text, color ? "         \033[1m! " : "         ! ");
      g_string_append (h->text, ev->note);
      g_string_append (h->text, color ? "\033[0m\n" : "\n");
    }
  sink->held_bytes += h->text->len - before;

  /* A DNS exchange is over once it is answered: print it at once, so a
   * lookup appears before the connection it was made for. */
  gboolean answered = ev->proto == MS_PROTO_DNS && ms_event_get_bool (ev, "response");
  if (s->closed || answered || h->lines >= MS_SINK_MAX_SESSION_LINES)
    held_print (sink, s, h, s->closed);
  else if (sink->held_bytes > MS_SINK_MAX_HELD_BYTES
           || g_hash_table_size (sink->held) > MS_SINK_MAX_HELD_SESSIONS)
    {
      held_print (sink, s, h, FALSE);
      flush_all (sink);
    }
  /* A closed session keeps only its small record, so that a straggler
   * (a late RST) is printed as its continuation. */
  if (s->closed)
    {
      g_string_free (h->text, TRUE);
      h->text = NULL;
    }
}

MsSink *
ms_sink_new_text (FILE *fp, MsLesson *lesson, guint flags)
{
  g_return_val_if_fail (fp != NULL && lesson != NULL, NULL);
  return sink_new (SINK_TEXT, fp, NULL, lesson, flags);
}

MsSink *
ms_sink_new_text_stream (GOutputStream *out, MsLesson *lesson, guint flags)
{
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (out) && lesson != NULL, NULL);
  return sink_new (SINK_TEXT, NULL, out, lesson, flags);
}

/* --- common ------------------------------------------------------------ */

gboolean
ms_sink_event (MsSink *sink, MsEvent *ev)
{
  if (sink->error)
    return FALSE;
  if (sink->kind == SINK_JSON)
    {
      ms_event_json_write (sink->events, ev, (sink->flags & MS_SINK_MASK_SECRETS) != 0,
                           sink->buf);
      g_string_append_c (sink->buf, '\n');
    }
  else
    text_event (sink, ev);
  return sink_maybe_flush (sink);
}

gboolean
ms_sink_finish (MsSink *sink, GError **error)
{
  const GPtrArray *sessions = sink->lesson ? ms_lesson_sessions (sink->lesson) : NULL;

  if (sink->kind == SINK_TEXT && sessions)
    for (guint i = 0; i < sessions->len; i++)
      {
        const MsSessionSummary *s = g_ptr_array_index (sessions, i);
        Held *h = g_hash_table_lookup (sink->held, GUINT_TO_POINTER (s->id));
        if (h)
          held_print (sink, s, h, TRUE);
      }
  if ((sink->flags & MS_SINK_SUMMARY) && sessions)
    {
      if (sink->kind == SINK_TEXT && sessions->len)
        g_string_append_printf (sink->buf, "%s\n\n", _("Summary"));
      for (guint i = 0; i < sessions->len; i++)
        {
          const MsSessionSummary *s = g_ptr_array_index (sessions, i);
          if (sink->kind == SINK_JSON)
            json_line (sink, ms_session_summary_to_json (s));
          else
            {
              g_autofree char *text = ms_session_summary_format (s);
              g_string_append (sink->buf, text);
              g_string_append_c (sink->buf, '\n');
            }
          sink_maybe_flush (sink);
        }
    }
  sink_flush (sink);
  if (sink->error == NULL)
    {
      if (sink->fp && fflush (sink->fp) != 0)
        g_set_error (&sink->error, G_IO_ERROR, g_io_error_from_errno (errno),
                     _("Cannot write the output: %s"), g_strerror (errno));
      else if (sink->out)
        g_output_stream_flush (sink->out, NULL, &sink->error);
    }
  if (sink->error)
    {
      if (error)
        *error = g_error_copy (sink->error);
      return FALSE;
    }
  return TRUE;
}

void
ms_sink_free (MsSink *sink)
{
  if (sink == NULL)
    return;
  if (sink->held)
    g_hash_table_unref (sink->held);   /* frees each Held */
  if (sink->gen)
    g_object_unref (sink->gen);
  if (sink->root)
    json_node_unref (sink->root);
  ms_event_json_free (sink->events);
  g_clear_object (&sink->out);
  g_string_free (sink->buf, TRUE);
  g_clear_error (&sink->error);
  g_free (sink);
}

/* The buffered text out now, and the FILE flushed too; FALSE once any write
 * failed. */
gboolean
ms_sink_flush (MsSink *sink)
{
  g_return_val_if_fail (sink != NULL, FALSE);
  if (!sink_flush (sink))
    return FALSE;
  if (sink->fp && fflush (sink->fp) != 0)
    {
      g_set_error (&sink->error, G_IO_ERROR, g_io_error_from_errno (errno),
                   _("Cannot write the output: %s"), g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}
