/* ms-imap-cmd-mailbox.c - IMAP mailbox commands (RFC 3501 §6.3-6.4): SELECT,
 * EXAMINE, CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST, LSUB,
 * STATUS, APPEND (with APPENDUID, RFC 4315), CHECK, CLOSE, UNSELECT
 * (RFC 3691) and IDLE (RFC 2177). Folders are Maildir++ with '.' as the
 * hierarchy delimiter. */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ms-imap-server-private.h"

/* Subscriptions kept in one small file in the Maildir root: this many at
 * most, so that the file stays small. */
#define IMAP_MAX_SUBSCRIPTIONS 1000
#define SUBSCRIPTIONS_FILE "subscriptions"

/* A mailbox name argument, INBOX case-folded; NULL (after answering) when
 * absent or outside the user's Maildir. */
static char *
mailbox_arg (ImapSession *s, ImapCmd *cmd, guint i)
{
  const char *name = ms_imap_arg_astring (ms_imap_arg (cmd, i));
  if (name == NULL)
    {
      ms_imap_bad (s, cmd, _("a mailbox name is expected"));
      return NULL;
    }
  if (g_ascii_strcasecmp (name, "INBOX") == 0)
    return g_strdup ("INBOX");
  g_autofree char *trimmed = g_strdup (name);
  gsize n = strlen (trimmed);
  if (n > 1 && trimmed[n - 1] == '.')
    trimmed[n - 1] = '\0';   /* CREATE "a." asks for "a" (RFC 3501 §6.3.3) */
  if (!ms_maildir_name_ok (trimmed))
    {
      ms_imap_tagged (s, cmd, "NO", "[CANNOT] %s", _("that mailbox name is not allowed"));
      return NULL;
    }
  return g_steal_pointer (&trimmed);
}

static const char *
error_code (const GError *error)
{
  if (error->domain != MS_MAILDIR_ERROR)
    return "SERVERBUG";
  switch (error->code)
    {
    case MS_MAILDIR_ERROR_NAME:
      return "CANNOT";
    case MS_MAILDIR_ERROR_EXISTS:
      return "ALREADYEXISTS";
    case MS_MAILDIR_ERROR_NOT_FOUND:
      return "NONEXISTENT";
    case MS_MAILDIR_ERROR_TOO_BIG:
      return "TOOBIG";
    default:
      return "SERVERBUG";
    }
}

static void
reply_error (ImapSession *s, ImapCmd *cmd, GError *error)
{
  ms_imap_tagged (s, cmd, "NO", "[%s] %s", error_code (error), error->message);
  g_error_free (error);
}

/* --- SELECT / EXAMINE ------------------------------------------------- */

void
ms_imap_cmd_select (ImapSession *s, ImapCmd *cmd)
{
  /* A failed SELECT leaves no mailbox selected (RFC 3501 §6.3.1). */
  ms_imap_deselect (s);
  g_autofree char *name = mailbox_arg (s, cmd, 0);
  if (name == NULL)
    return;
  gboolean examine = strcmp (cmd->name, "EXAMINE") == 0;
  GError *error = NULL;
  MsHubBox *box = ms_mailbox_hub_open (s->md, name, &error);
  if (box == NULL)
    {
      reply_error (s, cmd, error);
      return;
    }
  ms_hub_box_refresh (box);
  ms_imap_select_box (s, box, examine);
  ms_hub_box_unref (box);
  MsMailbox *mb = ms_hub_box_mailbox (s->box);
  guint recent = 0, first_unseen = 0;
  for (guint i = 0; i < s->view->len; i++)
    {
      guint f = ms_imap_view_flags (s, i);
      if (f & MS_MSG_RECENT)
        recent++;
      if (!(f & MS_MSG_SEEN) && first_unseen == 0)
        first_unseen = i + 1;
    }
  ms_imap_untagged (s, "FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)");
  ms_imap_untagged (s, "OK [PERMANENTFLAGS (%s)] %s",
                    examine ? "" : "\\Answered \\Flagged \\Deleted \\Seen \\Draft",
                    examine ? _("read-only mailbox") : _("flags permitted"));
  ms_imap_untagged (s, "%u EXISTS", s->view->len);
  ms_imap_untagged (s, "%u RECENT", recent);
  if (first_unseen)
    ms_imap_untagged (s, "OK [UNSEEN %u] %s", first_unseen, _("first unseen message"));
  ms_imap_untagged (s, "OK [UIDVALIDITY %u] %s", ms_mailbox_uidvalidity (mb), _("UIDs valid"));
  ms_imap_untagged (s, "OK [UIDNEXT %u] %s", ms_mailbox_uidnext (mb), _("predicted next UID"));
  ms_imap_tagged (s, cmd, "OK", "[%s] %s %s", examine ? "READ-ONLY" : "READ-WRITE", cmd->name,
                  _("completed"));
}

/* --- CREATE / DELETE / RENAME ---------------------------------------- */

void
ms_imap_cmd_create (ImapSession *s, ImapCmd *cmd)
{
  g_autofree char *name = mailbox_arg (s, cmd, 0);
  if (name == NULL)
    return;
  GError *error = NULL;
  if (strcmp (name, "INBOX") == 0)
    ms_imap_tagged (s, cmd, "NO", "[ALREADYEXISTS] %s", _("INBOX always exists"));
  else if (!ms_maildir_create (s->md, name, &error))
    reply_error (s, cmd, error);
  else
    {
      /* Superior names are created too (RFC 3501 §6.3.3), so that LIST
       * with '%' finds the way down. */
      for (char *dot = strchr (name, '.'); dot; dot = strchr (dot + 1, '.'))
        {
          g_autofree char *parent = g_strndup (name, (gsize) (dot - name));
          ms_maildir_create (s->md, parent, NULL);
        }
      ms_imap_tagged (s, cmd, "OK", "%s", _("CREATE completed"));
    }
}

void
ms_imap_cmd_delete (ImapSession *s, ImapCmd *cmd)
{
  g_autofree char *name = mailbox_arg (s, cmd, 0);
  if (name == NULL)
    return;
  GError *error = NULL;
  if (strcmp (name, "INBOX") == 0)
    ms_imap_tagged (s, cmd, "NO", "[CANNOT] %s", _("INBOX cannot be deleted"));
  else if (!ms_maildir_delete (s->md, name, &error))
    reply_error (s, cmd, error);
  else
    {
      ms_mailbox_hub_forget (s->md, name);
      if (s->box && ms_hub_box_gone (s->box))
        ms_imap_deselect (s);
      ms_imap_tagged (s, cmd, "OK", "%s", _("DELETE completed"));
    }
}

void
ms_imap_cmd_rename (ImapSession *s, ImapCmd *cmd)
{
  g_autofree char *from = mailbox_arg (s, cmd, 0);
  if (from == NULL)
    return;
  g_autofree char *to = mailbox_arg (s, cmd, 1);
  if (to == NULL)
    return;
  GError *error = NULL;
  if (strcmp (from, "INBOX") == 0 || strcmp (to, "INBOX") == 0)
    ms_imap_tagged (s, cmd, "NO", "[CANNOT] %s", _("the lab does not rename INBOX"));
  else if (!ms_maildir_rename (s->md, from, to, &error))
    reply_error (s, cmd, error);
  else
    {
      /* Sub-folders move too: forget every shared box below `from`. */
      g_autoptr (GPtrArray) names = ms_maildir_list (s->md);
      ms_mailbox_hub_forget (s->md, from);
      g_autofree char *prefix = g_strconcat (from, ".", NULL);
      for (guint i = 0; i < names->len; i++)
        if (g_str_has_prefix (names->pdata[i], prefix))
          ms_mailbox_hub_forget (s->md, names->pdata[i]);
      if (s->box && ms_hub_box_gone (s->box))
        ms_imap_deselect (s);
      ms_imap_tagged (s, cmd, "OK", "%s", _("RENAME completed"));
    }
}

/* --- subscriptions --------------------------------------------------- */

static GPtrArray *
read_subscriptions (ImapSession *s)
{
  GPtrArray *subs = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *path = g_build_filename (ms_maildir_root (s->md), SUBSCRIPTIONS_FILE, NULL);
  g_autofree char *text = NULL;
  if (g_file_get_contents (path, &text, NULL, NULL))
    {
      g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
      for (guint i = 0; lines[i] && subs->len < IMAP_MAX_SUBSCRIPTIONS; i++)
        if (ms_maildir_name_ok (lines[i]))
          g_ptr_array_add (subs, g_strdup (lines[i]));
    }
  return subs;
}

void
ms_imap_cmd_subscribe (ImapSession *s, ImapCmd *cmd)
{
  g_autofree char *name = mailbox_arg (s, cmd, 0);
  if (name == NULL)
    return;
  gboolean sub = strcmp (cmd->name, "SUBSCRIBE") == 0;
  g_autoptr (GPtrArray) subs = read_subscriptions (s);
  guint found = G_MAXUINT;
  for (guint i = 0; i < subs->len; i++)
    if (strcmp (subs->pdata[i], name) == 0)
      found = i;
  if (sub && found == G_MAXUINT)
    {
      if (subs->len >= IMAP_MAX_SUBSCRIPTIONS)
        {
          ms_imap_tagged (s, cmd, "NO", "[LIMIT] %s", _("too many subscriptions"));
          return;
        }
      g_ptr_array_add (subs, g_strdup (name));
    }
  else if (!sub && found != G_MAXUINT)
    g_ptr_array_remove_index (subs, found);
  GString *text = g_string_new (NULL);
  for (guint i = 0; i < subs->len; i++)
    g_string_append_printf (text, "%s\n", (char *) subs->pdata[i]);
  g_autofree char *path = g_build_filename (ms_maildir_root (s->md), SUBSCRIPTIONS_FILE, NULL);
  GError *error = NULL;
  /* g_file_set_contents writes a temporary file and renames it: a crash
   * leaves the old list or the new one. */
  gboolean ok = g_file_set_contents (path, text->str, (gssize) text->len, &error);
  g_string_free (text, TRUE);
  if (!ok)
    {
      ms_imap_tagged (s, cmd, "NO", "[SERVERBUG] %s", error->message);
      g_error_free (error);
      return;
    }
  ms_imap_tagged (s, cmd, "OK", "%s %s", cmd->name, _("completed"));
}

/* --- LIST / LSUB ----------------------------------------------------- */

/* IMAP wildcard match: '*' anything, '%' anything but the delimiter. */
static gboolean
wild_match (const char *pat, const char *name)
{
  if (*pat == '\0')
    return *name == '\0';
  if (*pat == '*' || *pat == '%')
    {
      for (const char *n = name;; n++)
        {
          if (wild_match (pat + 1, n))
            return TRUE;
          if (*n == '\0' || (*pat == '%' && *n == '.'))
            return FALSE;
        }
    }
  return *name == *pat && wild_match (pat + 1, name + 1);
}

static gboolean
name_matches (const char *pattern, const char *name)
{
  if (strcmp (name, "INBOX") == 0 && g_ascii_strncasecmp (pattern, "INBOX", 5) == 0)
    {
      g_autofree char *p = g_strconcat ("INBOX", pattern + 5, NULL);
      return wild_match (p, name);
    }
  return wild_match (pattern, name);
}

void
ms_imap_cmd_list (ImapSession *s, ImapCmd *cmd)
{
  const char *ref = ms_imap_arg_astring (ms_imap_arg (cmd, 0));
  const char *pat = ms_imap_arg_astring (ms_imap_arg (cmd, 1));
  gboolean lsub = strcmp (cmd->name, "LSUB") == 0;
  if (ref == NULL || pat == NULL || cmd->args->len != 2)
    {
      ms_imap_bad (s, cmd, _("LIST needs a reference and a mailbox pattern"));
      return;
    }
  if (*pat == '\0')
    {
      if (!lsub)
        ms_imap_untagged (s, "LIST (\\Noselect) \".\" \"\"");
      ms_imap_tagged (s, cmd, "OK", "%s %s", cmd->name, _("completed"));
      return;
    }
  g_autofree char *full = g_strconcat (ref, pat, NULL);
  g_autoptr (GPtrArray) names = ms_maildir_list (s->md);
  g_autoptr (GPtrArray) subs = lsub ? read_subscriptions (s) : NULL;
  GPtrArray *set = lsub ? subs : names;
  for (guint i = 0; i < set->len; i++)
    {
      const char *name = set->pdata[i];
      if (!name_matches (full, name))
        continue;
      gboolean children = FALSE;
      g_autofree char *prefix = g_strconcat (name, ".", NULL);
      for (guint j = 0; j < names->len && !children; j++)
        children = strcmp (name, "INBOX") != 0 && g_str_has_prefix (names->pdata[j], prefix);
      GString *line = g_string_new (lsub ? "LSUB (" : "LIST (");
      g_string_append (line, children ? "\\HasChildren" : "\\HasNoChildren");
      g_string_append (line, ") \".\" ");
      ms_imap_append_string (line, name, -1);
      ms_imap_untagged (s, "%s", line->str);
      g_string_free (line, TRUE);
    }
  ms_imap_tagged (s, cmd, "OK", "%s %s", cmd->name, _("completed"));
}

/* --- STATUS ---------------------------------------------------------- */

void
ms_imap_cmd_status (ImapSession *s, ImapCmd *cmd)
{
  g_autofree char *name = mailbox_arg (s, cmd, 0);
  if (name == NULL)
    return;
  ImapArg *items = ms_imap_arg (cmd, 1);
  if (items == NULL || items->type != IMAP_ARG_LIST || cmd->args->len != 2)
    {
      ms_imap_bad (s, cmd, _("STATUS needs a list of items"));
      return;
    }
  GError *error = NULL;
  MsHubBox *box = ms_mailbox_hub_open (s->md, name, &error);
  if (box == NULL)
    {
      reply_error (s, cmd, error);
      return;
    }
  ms_hub_box_refresh (box);
  MsMailbox *mb = ms_hub_box_mailbox (box);
  GString *out = g_string_new ("STATUS ");
  ms_imap_append_string (out, ms_hub_box_name (box), -1);
  g_string_append (out, " (");
  gboolean ok = TRUE;
  for (guint i = 0; i < items->list->len && ok; i++)
    {
      ImapArg *it = items->list->pdata[i];
      guint unseen = 0;
      gint64 size = 0;
      if (i)
        g_string_append_c (out, ' ');
      if (ms_imap_arg_is_atom (it, "MESSAGES"))
        g_string_append_printf (out, "MESSAGES %u", ms_mailbox_count (mb));
      else if (ms_imap_arg_is_atom (it, "RECENT"))
        g_string_append_printf (out, "RECENT %u", ms_hub_box_unclaimed_recent (box));
      else if (ms_imap_arg_is_atom (it, "UIDNEXT"))
        g_string_append_printf (out, "UIDNEXT %u", ms_mailbox_uidnext (mb));
      else if (ms_imap_arg_is_atom (it, "UIDVALIDITY"))
        g_string_append_printf (out, "UIDVALIDITY %u", ms_mailbox_uidvalidity (mb));
      else if (ms_imap_arg_is_atom (it, "UNSEEN"))
        {
          for (guint j = 0; j < ms_mailbox_count (mb); j++)
            if (!(ms_mailbox_get (mb, j)->flags & MS_MSG_SEEN))
              unseen++;
          g_string_append_printf (out, "UNSEEN %u", unseen);
        }
      else if (ms_imap_arg_is_atom (it, "SIZE"))
        {
          for (guint j = 0; j < ms_mailbox_count (mb); j++)
            size += MAX (0, ms_hub_box_crlf_size (box, ms_mailbox_get (mb, j)->uid));
          g_string_append_printf (out, "SIZE %" G_GINT64_FORMAT, size);
        }
      else
        ok = FALSE;
    }
  g_string_append_c (out, ')');
  ms_hub_box_unref (box);
  if (!ok)
    ms_imap_bad (s, cmd, _("unknown STATUS item"));
  else
    {
      ms_imap_untagged (s, "%s", out->str);
      ms_imap_tagged (s, cmd, "OK", "%s", _("STATUS completed"));
    }
  g_string_free (out, TRUE);
}

/* --- APPEND ---------------------------------------------------------- */

/* "17-Jul-1996 02:44:25 -0700" → seconds since the epoch, or -1. */
static gint64
parse_date_time (const char *str)
{
  static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  int day, year, hh, mm, ss, zone;
  char mon[4] = "";
  char sign;
  while (*str == ' ')
    str++;
  if (sscanf (str, "%2d-%3c-%4d %2d:%2d:%2d %c%4d", &day, mon, &year, &hh, &mm, &ss, &sign,
              &zone) != 8 || (sign != '+' && sign != '-'))
    return -1;
  int month = 0;
  for (int i = 0; i < 12; i++)
    if (g_ascii_strcasecmp (mon, months[i]) == 0)
      month = i + 1;
  if (month == 0)
    return -1;
  g_autofree char *iso = g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", year,
                                          month, day, hh, mm, ss, sign, zone / 100, zone % 100);
  g_autoptr (GDateTime) dt = g_date_time_new_from_iso8601 (iso, NULL);
  return dt ? g_date_time_to_unix (dt) : -1;
}

void
ms_imap_cmd_append (ImapSession *s, ImapCmd *cmd)
{
  g_autofree char *name = mailbox_arg (s, cmd, 0);
  if (name == NULL)
    return;
  guint argi = 1, flags = 0;
  gint64 when = 0;
  ImapArg *a = ms_imap_arg (cmd, argi);
  if (a && a->type == IMAP_ARG_LIST)
    {
      if (!ms_imap_parse_flags (a, &flags))
        {
          ms_imap_bad (s, cmd, _("invalid flag list"));
          return;
        }
      a = ms_imap_arg (cmd, ++argi);
    }
  if (a && a->type == IMAP_ARG_STRING && !a->literal)
    {
      when = parse_date_time (a->str);
      if (when < 0)
        {
          ms_imap_bad (s, cmd, _("invalid date-time"));
          return;
        }
      a = ms_imap_arg (cmd, ++argi);
    }
  if (a == NULL || a->type != IMAP_ARG_STRING || argi + 1 != cmd->args->len)
    {
      ms_imap_bad (s, cmd, _("APPEND needs a mailbox, optional flags and date, and a message"));
      return;
    }
  GError *error = NULL;
  MsHubBox *box = ms_mailbox_hub_open (s->md, name, &error);
  if (box == NULL)
    {
      gboolean missing = g_error_matches (error, MS_MAILDIR_ERROR, MS_MAILDIR_ERROR_NOT_FOUND);
      if (missing)
        {
          ms_imap_tagged (s, cmd, "NO", "[TRYCREATE] %s", error->message);
          g_error_free (error);
        }
      else
        reply_error (s, cmd, error);
      return;
    }
  MsMailbox *mb = ms_hub_box_mailbox (box);
  guint32 uid = ms_mailbox_append (mb, (const guint8 *) a->str, a->len, flags, when, &error);
  if (uid == 0)
    reply_error (s, cmd, error);
  else
    {
      ms_hub_box_changed (box);
      ms_imap_tagged (s, cmd, "OK", "[APPENDUID %u %u] %s", ms_mailbox_uidvalidity (mb), uid,
                      _("APPEND completed"));
    }
  ms_hub_box_unref (box);
}

/* --- CHECK / CLOSE / UNSELECT ---------------------------------------- */

void
ms_imap_cmd_check (ImapSession *s, ImapCmd *cmd)
{
  ms_hub_box_refresh (s->box);
  ms_imap_tagged (s, cmd, "OK", "%s", _("CHECK completed"));
}

void
ms_imap_cmd_close (ImapSession *s, ImapCmd *cmd)
{
  gboolean expunge = strcmp (cmd->name, "CLOSE") == 0 && !s->read_only;
  if (expunge)
    {
      MsMailbox *mb = ms_hub_box_mailbox (s->box);
      gboolean any = FALSE;
      for (guint i = 0; i < s->view->len; i++)
        {
          const MsMessage *m = ms_imap_view_message (s, i);
          if (m && (m->flags & MS_MSG_DELETED))
            any |= ms_mailbox_expunge (mb, m->uid, NULL);
        }
      if (any)
        ms_hub_box_changed (s->box);
    }
  /* No EXPUNGE responses: the mailbox is left (RFC 3501 §6.4.2). */
  ms_imap_deselect (s);
  ms_imap_tagged (s, cmd, "OK", "%s %s", cmd->name, _("completed"));
}

/* --- IDLE ------------------------------------------------------------ */

void
ms_imap_cmd_idle (ImapSession *s, ImapCmd *cmd)
{
  if (cmd->args->len)
    {
      ms_imap_bad (s, cmd, _("IDLE takes no arguments"));
      return;
    }
  s->idle_tag = g_strdup (cmd->tag);
  ms_lab_server_log (s->srv, "imap", s->conn, 'S', "+ idling");
  ms_imap_send (s, "+ idling\r\n", 10);
  if (s->box)
    {
      ms_hub_box_refresh (s->box);
      ms_imap_sync (s, TRUE);
    }
}

void
ms_imap_idle_line (ImapSession *s, const char *line)
{
  g_autofree char *tag = g_steal_pointer (&s->idle_tag);
  ImapCmd cmd = { .tag = tag, .name = (char *) "IDLE" };
  ms_lab_server_log (s->srv, "imap", s->conn, 'C', "%.80s", line);
  if (g_ascii_strcasecmp (line, "DONE") == 0)
    ms_imap_tagged (s, &cmd, "OK", "%s", _("IDLE terminated"));
  else
    ms_imap_bad (s, &cmd, _("expected DONE"));
}
