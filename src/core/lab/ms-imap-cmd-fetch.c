/* ms-imap-cmd-fetch.c - IMAP FETCH and UID FETCH (RFC 3501 §6.4.5, §7.4.2):
 * flags, dates, sizes counted with CRLF line ends, ENVELOPE, BODY and
 * BODYSTRUCTURE, and BODY[section]<origin.count> with and without .PEEK
 * (only the non-PEEK forms set \Seen). */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "ms-imap-server-private.h"
#include "ms-lab-source.h"

/* FETCH attributes in one command: a long list is a client bug or abuse. */
#define FETCH_MAX_ITEMS 100
/* A FETCH stops producing while the client has this much unread, well
 * below MS_LAB_CONN_MAX_PENDING_OUTPUT (where the connection is dropped). */
#define FETCH_PAUSE_OUTPUT (1024 * 1024)
/* How often a paused FETCH looks whether the client has read enough. */
#define FETCH_RETRY_MS 5

typedef enum {
  F_UID,
  F_FLAGS,
  F_INTERNALDATE,
  F_SIZE,
  F_ENVELOPE,
  F_BODYSTRUCTURE,
  F_BODY,              /* BODY without a section: non-extensible structure */
  F_SECTION,           /* BODY[...], BODY.PEEK[...], RFC822, RFC822.HEADER/TEXT */
} FetchKind;

typedef struct {
  FetchKind kind;
  char *section;       /* upper-cased, without brackets */
  char *reply_name;    /* "BODY[HEADER]", "RFC822.TEXT" … */
  gboolean peek;
  gboolean partial;
  guint64 origin, count;
} FetchItem;

static void
item_clear (gpointer data)
{
  FetchItem *it = data;
  g_free (it->section);
  g_free (it->reply_name);
}

static gboolean
add_simple (GArray *items, const char *name)
{
  static const struct {
    const char *name;
    FetchKind kind;
  } simple[] = {
    { "UID", F_UID },           { "FLAGS", F_FLAGS },     { "INTERNALDATE", F_INTERNALDATE },
    { "RFC822.SIZE", F_SIZE },  { "ENVELOPE", F_ENVELOPE }, { "BODYSTRUCTURE", F_BODYSTRUCTURE },
    { "BODY", F_BODY },
  };
  for (guint i = 0; i < G_N_ELEMENTS (simple); i++)
    if (g_ascii_strcasecmp (name, simple[i].name) == 0)
      {
        FetchItem it = { .kind = simple[i].kind };
        g_array_append_val (items, it);
        return TRUE;
      }
  static const struct {
    const char *name, *section;
    gboolean peek;
  } rfc822[] = {
    { "RFC822", "", FALSE },
    { "RFC822.HEADER", "HEADER", TRUE },
    { "RFC822.TEXT", "TEXT", FALSE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (rfc822); i++)
    if (g_ascii_strcasecmp (name, rfc822[i].name) == 0)
      {
        FetchItem it = { .kind = F_SECTION, .peek = rfc822[i].peek };
        it.section = g_strdup (rfc822[i].section);
        it.reply_name = g_strdup (rfc822[i].name);
        g_array_append_val (items, it);
        return TRUE;
      }
  return FALSE;
}

/* The section grammar of RFC 3501 §9 (section-spec), whatever the
 * message: part numbers, then HEADER, TEXT, MIME or HEADER.FIELDS[.NOT]
 * with a non-empty list. */
static gboolean
section_syntax_ok (const char *sec)
{
  const char *p = sec;
  gboolean numbered = FALSE;
  while (g_ascii_isdigit (*p))
    {
      if (*p == '0')
        return FALSE;
      while (g_ascii_isdigit (*p))
        p++;
      numbered = TRUE;
      if (*p == '\0')
        return TRUE;
      if (*p != '.')
        return FALSE;
      p++;
    }
  if (*p == '\0')
    return !numbered;
  if (strcmp (p, "HEADER") == 0 || strcmp (p, "TEXT") == 0)
    return TRUE;
  if (strcmp (p, "MIME") == 0)
    return numbered;
  const char *list = NULL;
  if (g_str_has_prefix (p, "HEADER.FIELDS.NOT "))
    list = p + strlen ("HEADER.FIELDS.NOT ");
  else if (g_str_has_prefix (p, "HEADER.FIELDS "))
    list = p + strlen ("HEADER.FIELDS ");
  else
    return FALSE;
  gsize n = strlen (list);
  return n > 2 && list[0] == '(' && list[n - 1] == ')' && strspn (list + 1, " ") < n - 2;
}

/* BODY[section]<o.n> and BODY.PEEK[…]; FALSE when malformed. */
static gboolean
add_section (GArray *items, const char *name)
{
  gboolean peek = FALSE;
  const char *p;
  if (g_ascii_strncasecmp (name, "BODY.PEEK[", 10) == 0)
    {
      peek = TRUE;
      p = name + 10;
    }
  else if (g_ascii_strncasecmp (name, "BODY[", 5) == 0)
    p = name + 5;
  else
    return FALSE;
  const char *close = strchr (p, ']');
  if (close == NULL)
    return FALSE;
  FetchItem it = { .kind = F_SECTION, .peek = peek };
  it.section = g_ascii_strup (p, (gssize) (close - p));
  if (!section_syntax_ok (it.section))
    goto bad;
  const char *rest = close + 1;
  if (*rest == '<')
    {
      char *end = NULL;
      it.origin = g_ascii_strtoull (rest + 1, &end, 10);
      if (end == rest + 1 || *end != '.')
        goto bad;
      const char *c = end + 1;
      it.count = g_ascii_strtoull (c, &end, 10);
      if (end == c || *end != '>' || end[1] != '\0' || it.count == 0)
        goto bad;
      it.partial = TRUE;
    }
  else if (*rest != '\0')
    goto bad;
  if (it.partial)
    it.reply_name = g_strdup_printf ("BODY[%s]<%" G_GUINT64_FORMAT ">", it.section, it.origin);
  else
    it.reply_name = g_strdup_printf ("BODY[%s]", it.section);
  g_array_append_val (items, it);
  return TRUE;
bad:
  g_free (it.section);
  return FALSE;
}

static gboolean
parse_items (ImapArg *a, GArray *items)
{
  if (a->type == IMAP_ARG_ATOM)
    {
      if (g_ascii_strcasecmp (a->str, "ALL") == 0 || g_ascii_strcasecmp (a->str, "FAST") == 0
          || g_ascii_strcasecmp (a->str, "FULL") == 0)
        {
          add_simple (items, "FLAGS");
          add_simple (items, "INTERNALDATE");
          add_simple (items, "RFC822.SIZE");
          if (g_ascii_strcasecmp (a->str, "FAST") != 0)
            add_simple (items, "ENVELOPE");
          if (g_ascii_strcasecmp (a->str, "FULL") == 0)
            add_simple (items, "BODY");
          return TRUE;
        }
      return add_simple (items, a->str) || add_section (items, a->str);
    }
  if (a->type != IMAP_ARG_LIST || a->list->len == 0 || a->list->len > FETCH_MAX_ITEMS)
    return FALSE;
  for (guint i = 0; i < a->list->len; i++)
    {
      ImapArg *x = a->list->pdata[i];
      if (x->type != IMAP_ARG_ATOM || !(add_simple (items, x->str) || add_section (items, x->str)))
        return FALSE;
    }
  return TRUE;
}

typedef struct {
  GBytes *bytes;       /* CRLF form */
  MsMimePart *mime;
} Loaded;

static gboolean
load (ImapSession *s, guint32 uid, Loaded *l)
{
  if (l->bytes)
    return TRUE;
  l->bytes = ms_imap_read_crlf (s, uid);
  if (l->bytes == NULL)
    return FALSE;
  gsize len;
  const char *data = g_bytes_get_data (l->bytes, &len);
  l->mime = ms_imap_mime_parse (data ? data : "", len);
  return TRUE;
}

/* One message's FETCH response; FALSE when the message could not be read. */
static gboolean
fetch_one (ImapSession *s, ImapCmd *cmd, GArray *items, guint i, gboolean *bad_section)
{
  const MsMessage *m = ms_imap_view_message (s, i);
  if (m == NULL)
    return FALSE;
  guint32 uid = m->uid;
  gint64 mtime = m->mtime;
  Loaded l = { NULL, NULL };
  gboolean set_seen = FALSE, flags_asked = FALSE;
  for (guint k = 0; k < items->len; k++)
    {
      FetchItem *it = &g_array_index (items, FetchItem, k);
      if (it->kind == F_SECTION && !it->peek)
        set_seen = TRUE;
      if (it->kind == F_FLAGS)
        flags_asked = TRUE;
    }
  ImapViewMsg *v = &g_array_index (s->view, ImapViewMsg, i);
  if (set_seen && !s->read_only && !(m->flags & MS_MSG_SEEN))
    {
      if (ms_mailbox_set_flags (ms_hub_box_mailbox (s->box), uid,
                                (m->flags & ~MS_MSG_RECENT) | MS_MSG_SEEN, NULL))
        ms_hub_box_changed (s->box);
      else
        set_seen = FALSE;
    }
  else
    set_seen = FALSE;
  GString *out = g_string_new (NULL);
  g_string_append_printf (out, "* %u FETCH (", i + 1);
  gboolean first = TRUE;
  gboolean uid_done = FALSE;
  if (cmd->uid)
    {
      g_string_append_printf (out, "UID %u", uid);
      first = FALSE;
      uid_done = TRUE;
    }
  gboolean ok = TRUE;
  for (guint k = 0; k < items->len && ok; k++)
    {
      FetchItem *it = &g_array_index (items, FetchItem, k);
      if (it->kind == F_UID && uid_done)
        continue;
      if (!first)
        g_string_append_c (out, ' ');
      first = FALSE;
      switch (it->kind)
        {
        case F_UID:
          g_string_append_printf (out, "UID %u", uid);
          uid_done = TRUE;
          break;
        case F_FLAGS:
          {
            guint f = ms_imap_view_flags (s, i);
            v->flags = f;
            g_autofree char *fl = ms_msg_flags_to_imap (f, TRUE);
            g_string_append_printf (out, "FLAGS (%s)", fl);
          }
          break;
        case F_INTERNALDATE:
          {
            g_autofree char *d = ms_imap_format_date (mtime);
            g_string_append_printf (out, "INTERNALDATE \"%s\"", d);
          }
          break;
        case F_SIZE:
          {
            gint64 size = ms_hub_box_crlf_size (s->box, uid);
            ok = size >= 0;
            g_string_append_printf (out, "RFC822.SIZE %" G_GINT64_FORMAT, size);
          }
          break;
        case F_ENVELOPE:
          ok = load (s, uid, &l);
          if (ok)
            {
              g_string_append (out, "ENVELOPE ");
              ms_imap_mime_envelope (out, g_bytes_get_data (l.bytes, NULL), l.mime);
            }
          break;
        case F_BODYSTRUCTURE:
        case F_BODY:
          ok = load (s, uid, &l);
          if (ok)
            {
              g_string_append (out, it->kind == F_BODY ? "BODY " : "BODYSTRUCTURE ");
              ms_imap_mime_bodystructure (out, g_bytes_get_data (l.bytes, NULL), l.mime,
                                          it->kind == F_BODYSTRUCTURE);
            }
          break;
        case F_SECTION:
          ok = load (s, uid, &l);
          if (ok)
            {
              gsize len = 0, start = 0;
              const char *data = g_bytes_get_data (l.bytes, &len);
              g_autofree char *owned = NULL;
              gsize slen = 0;
              if (!ms_imap_mime_section (data ? data : "", l.mime, it->section, &start, &slen,
                                         &owned))
                {
                  *bad_section = TRUE;
                  ok = FALSE;
                  break;
                }
              const char *sdata = owned ? owned : data + start;
              if (owned)
                slen = strlen (owned);
              if (it->partial)
                {
                  guint64 o = MIN (it->origin, (guint64) slen);
                  guint64 n = MIN (it->count, (guint64) slen - o);
                  sdata += o;
                  slen = (gsize) n;
                }
              g_string_append_printf (out, "%s {%" G_GSIZE_FORMAT "}\r\n", it->reply_name, slen);
              g_string_append_len (out, sdata, (gssize) slen);
            }
          break;
        }
    }
  if (ok && set_seen && !flags_asked)
    {
      guint f = ms_imap_view_flags (s, i);
      v->flags = f;
      g_autofree char *fl = ms_msg_flags_to_imap (f, TRUE);
      g_string_append_printf (out, " FLAGS (%s)", fl);
    }
  g_string_append (out, ")\r\n");
  if (ok)
    {
      ms_lab_server_log (s->srv, "imap", s->conn, 'S', "* %u FETCH (%" G_GSIZE_FORMAT " bytes)",
                         i + 1, out->len);
      ms_imap_send (s, out->str, out->len);
    }
  g_string_free (out, TRUE);
  if (l.mime)
    ms_imap_mime_free (l.mime);
  if (l.bytes)
    g_bytes_unref (l.bytes);
  return ok;
}

/* A FETCH in progress: the answer to a large FETCH is produced while the
 * client reads it, so that pending output stays bounded. */
typedef struct {
  ImapCmd cmd;         /* tag, name and uid; no arguments */
  GArray *items;
  GArray *idx;
  guint pos;
  gboolean gone;
  guint timer;
} FetchJob;

static void
job_free (FetchJob *job)
{
  if (job->timer)
    ms_lab_source_remove (job->timer);
  g_free (job->cmd.tag);
  g_array_unref (job->items);
  g_array_unref (job->idx);
  g_free (job);
}

void
ms_imap_fetch_abort (ImapSession *s)
{
  g_clear_pointer (&s->fetch_job, job_free);
}

static gboolean job_resume (gpointer data);

/* Runs the job until done or until the client has this much unread:
 * TRUE when done (the tagged reply is sent). */
static gboolean
job_run (ImapSession *s, FetchJob *job)
{
  gboolean bad_section = FALSE;
  while (job->pos < job->idx->len && !bad_section && !s->dead && !s->closing)
    {
      if (ms_lab_conn_pending_output (s->conn) > FETCH_PAUSE_OUTPUT)
        {
          job->timer = ms_lab_timeout_add (FETCH_RETRY_MS, job_resume, s);
          return FALSE;
        }
      if (!fetch_one (s, &job->cmd, job->items, g_array_index (job->idx, guint, job->pos),
                      &bad_section))
        job->gone = TRUE;
      job->pos++;
    }
  if (bad_section)
    ms_imap_bad (s, &job->cmd, _("invalid section"));
  else if (job->gone)
    ms_imap_tagged (s, &job->cmd, "NO", "[EXPUNGEISSUED] %s",
                    _("some of the messages were expunged meanwhile"));
  else
    ms_imap_tagged (s, &job->cmd, "OK", "%s", _("FETCH completed"));
  return TRUE;
}

static gboolean
job_resume (gpointer data)
{
  ImapSession *s = data;
  FetchJob *job = s->fetch_job;
  job->timer = 0;
  ms_imap_enter (s);
  if (job_run (s, job))
    {
      ms_imap_fetch_abort (s);
      ms_lab_conn_resume (s->conn);
      ms_imap_process (s);
    }
  ms_imap_leave (s);
  return G_SOURCE_REMOVE;
}

void
ms_imap_cmd_fetch (ImapSession *s, ImapCmd *cmd)
{
  ImapArg *set = ms_imap_arg (cmd, 0);
  ImapArg *what = ms_imap_arg (cmd, 1);
  if (set == NULL || set->type != IMAP_ARG_ATOM || what == NULL || cmd->args->len > 3)
    {
      ms_imap_bad (s, cmd, _("FETCH needs a sequence set and data items"));
      return;
    }
  FetchJob *job = g_new0 (FetchJob, 1);
  job->cmd.tag = g_strdup (cmd->tag);
  job->cmd.name = (char *) "FETCH";
  job->cmd.uid = cmd->uid;
  job->items = g_array_new (FALSE, TRUE, sizeof (FetchItem));
  g_array_set_clear_func (job->items, item_clear);
  if (!parse_items (what, job->items))
    {
      ms_imap_bad (s, cmd, _("unknown or malformed FETCH data item"));
      g_array_unref (job->items);
      g_free (job->cmd.tag);
      g_free (job);
      return;
    }
  job->idx = ms_imap_seqset_indexes (s, set->str, cmd->uid);
  if (job->idx == NULL)
    {
      ms_imap_bad (s, cmd, _("invalid sequence set"));
      g_array_unref (job->items);
      g_free (job->cmd.tag);
      g_free (job);
      return;
    }
  if (!job_run (s, job))
    {
      /* Later commands wait until this answer has been read. */
      s->fetch_job = job;
      ms_lab_conn_pause (s->conn);
      return;
    }
  job_free (job);
}
