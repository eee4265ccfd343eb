/* ms-imap-view.c - the IMAP session's view of the selected mailbox
 * (RFC 3501 §7.3-7.4): SELECT and deselect, the messages as this session
 * last described them (with its own \Recent), the untagged FETCH, EXPUNGE,
 * EXISTS and RECENT that bring the view up to date (EXPUNGE held back where
 * §7.4.1 asks, and sent at once to an IDLE session), and sequence sets
 * resolved against the view. */
#include "config.h"

#include <string.h>

#include "ms-imap-server-private.h"

static void
box_notify (gpointer data)
{
  ImapSession *s = data;
  if (s->dead || s->idle_tag == NULL)
    return;   /* others learn of changes at their next command */
  ms_imap_enter (s);
  ms_imap_sync (s, TRUE);
  ms_imap_leave (s);
}

void
ms_imap_deselect (ImapSession *s)
{
  if (s->box == NULL)
    return;
  ms_hub_box_unlisten (s->box, s);
  g_clear_pointer (&s->box, ms_hub_box_unref);
  g_clear_pointer (&s->view, g_array_unref);
  s->view_max_uid = 0;
  if (s->state == IMAP_ST_SELECTED)
    s->state = IMAP_ST_AUTH;
}

void
ms_imap_select_box (ImapSession *s, MsHubBox *box, gboolean read_only)
{
  ms_imap_deselect (s);
  s->box = ms_hub_box_ref (box);
  s->read_only = read_only;
  s->view = g_array_new (FALSE, FALSE, sizeof (ImapViewMsg));
  MsMailbox *mb = ms_hub_box_mailbox (box);
  for (guint i = 0; i < ms_mailbox_count (mb); i++)
    {
      const MsMessage *m = ms_mailbox_get (mb, i);
      ImapViewMsg v = { m->uid, m->flags & ~MS_MSG_RECENT };
      if (ms_hub_box_claim_recent (box, m->uid))
        v.flags |= MS_MSG_RECENT;
      g_array_append_val (s->view, v);
      s->view_max_uid = MAX (s->view_max_uid, m->uid);
    }
  s->seen_generation = ms_hub_box_generation (box);
  s->state = IMAP_ST_SELECTED;
  ms_hub_box_listen (box, box_notify, s);
}

const MsMessage *
ms_imap_view_message (ImapSession *s, guint i)
{
  ImapViewMsg *v = &g_array_index (s->view, ImapViewMsg, i);
  if (v->flags & IMAP_VIEW_GONE)
    return NULL;
  MsMailbox *mb = ms_hub_box_mailbox (s->box);
  gint idx = ms_mailbox_find (mb, v->uid);
  return idx < 0 ? NULL : ms_mailbox_get (mb, (guint) idx);
}

guint
ms_imap_view_flags (ImapSession *s, guint i)
{
  ImapViewMsg *v = &g_array_index (s->view, ImapViewMsg, i);
  const MsMessage *m = ms_imap_view_message (s, i);
  guint stored = m ? m->flags & ~MS_MSG_RECENT : v->flags & ~(MS_MSG_RECENT | IMAP_VIEW_GONE);
  return stored | (v->flags & MS_MSG_RECENT);
}

/* Merges the folder's current state into the view: flag changes become
 * FETCH, vanished messages EXPUNGE (when allowed, else they wait as ghosts),
 * new ones EXISTS and RECENT. */
void
ms_imap_sync (ImapSession *s, gboolean allow_expunge)
{
  if (s->box == NULL || s->dead)
    return;
  MsHubBox *box = s->box;
  MsMailbox *mb = ms_hub_box_mailbox (box);
  gboolean changed = ms_hub_box_generation (box) != s->seen_generation;
  s->seen_generation = ms_hub_box_generation (box);
  GString *out = g_string_new (NULL);
  gboolean ghosts = FALSE;
  if (changed)
    for (guint i = 0; i < s->view->len; i++)
      {
        ImapViewMsg *v = &g_array_index (s->view, ImapViewMsg, i);
        if (v->flags & IMAP_VIEW_GONE)
          {
            ghosts = TRUE;
            continue;
          }
        gint idx = ms_hub_box_gone (box) ? -1 : ms_mailbox_find (mb, v->uid);
        if (idx < 0)
          {
            v->flags |= IMAP_VIEW_GONE;
            ghosts = TRUE;
            continue;
          }
        guint now = ms_mailbox_get (mb, (guint) idx)->flags & ~MS_MSG_RECENT;
        if (now != (v->flags & ~MS_MSG_RECENT))
          {
            v->flags = now | (v->flags & MS_MSG_RECENT);
            g_autofree char *fl = ms_msg_flags_to_imap (v->flags, TRUE);
            g_string_append_printf (out, "* %u FETCH (FLAGS (%s))\r\n", i + 1, fl);
          }
      }
  else
    for (guint i = 0; i < s->view->len && !ghosts; i++)
      ghosts = (g_array_index (s->view, ImapViewMsg, i).flags & IMAP_VIEW_GONE) != 0;

  if (ghosts && allow_expunge)
    {
      guint removed = 0;
      for (guint i = 0; i < s->view->len;)
        {
          ImapViewMsg *v = &g_array_index (s->view, ImapViewMsg, i);
          if (v->flags & IMAP_VIEW_GONE)
            {
              g_string_append_printf (out, "* %u EXPUNGE\r\n", i + 1);
              g_array_remove_index (s->view, i);
              removed++;
            }
          else
            i++;
        }
    }

  guint added = 0, recent = 0;
  if (changed && !ms_hub_box_gone (box))
    {
      guint count = ms_mailbox_count (mb);
      /* New messages have the highest UIDs: walk back from the end. */
      guint first = count;
      while (first > 0 && ms_mailbox_get (mb, first - 1)->uid > s->view_max_uid)
        first--;
      for (guint i = first; i < count; i++)
        {
          const MsMessage *m = ms_mailbox_get (mb, i);
          ImapViewMsg v = { m->uid, m->flags & ~MS_MSG_RECENT };
          if (ms_hub_box_claim_recent (box, m->uid))
            v.flags |= MS_MSG_RECENT;
          g_array_append_val (s->view, v);
          s->view_max_uid = m->uid;
          added++;
        }
    }
  if (added)
    {
      for (guint i = 0; i < s->view->len; i++)
        if (g_array_index (s->view, ImapViewMsg, i).flags & MS_MSG_RECENT)
          recent++;
      g_string_append_printf (out, "* %u EXISTS\r\n* %u RECENT\r\n", s->view->len, recent);
    }
  if (out->len)
    {
      /* Log each untagged line. */
      const char *p = out->str;
      while (*p)
        {
          const char *e = strstr (p, "\r\n");
          ms_lab_server_log (s->srv, "imap", s->conn, 'S', "%.*s", (int) (e - p), p);
          p = e + 2;
        }
      ms_imap_send (s, out->str, out->len);
    }
  g_string_free (out, TRUE);
}

/* --- sequence sets --------------------------------------------------- */

static gboolean
parse_seq_number (const char **p, guint32 star, guint32 *out)
{
  if (**p == '*')
    {
      (*p)++;
      *out = star;
      return TRUE;
    }
  if (!g_ascii_isdigit (**p) || **p == '0')
    return FALSE;
  guint64 n = 0;
  while (g_ascii_isdigit (**p))
    {
      n = n * 10 + (guint64) (**p - '0');
      if (n > G_MAXUINT32)
        return FALSE;
      (*p)++;
    }
  *out = (guint32) n;
  return TRUE;
}

GArray *
ms_imap_seqset_indexes (ImapSession *s, const char *set, gboolean uid)
{
  guint count = s->view->len;
  guint32 star = 0;
  if (uid)
    star = count ? g_array_index (s->view, ImapViewMsg, count - 1).uid : 0;
  else
    star = count;
  g_autofree guint8 *hit = g_malloc0 (count ? count : 1);
  const char *p = set;
  if (*p == '\0')
    return NULL;
  for (;;)
    {
      guint32 lo, hi;
      if (!parse_seq_number (&p, star, &lo))
        return NULL;
      hi = lo;
      if (*p == ':')
        {
          p++;
          if (!parse_seq_number (&p, star, &hi))
            return NULL;
        }
      if (lo > hi)
        {
          guint32 t = lo;
          lo = hi;
          hi = t;
        }
      if (uid)
        {
          /* RFC 3501 §6.4.8: "n:*" includes the last message even if n is
           * beyond it; UIDs that do not exist are simply not matched. */
          for (guint i = 0; i < count; i++)
            {
              guint32 u = g_array_index (s->view, ImapViewMsg, i).uid;
              if (u >= lo && u <= hi)
                hit[i] = 1;
            }
        }
      else
        {
          if (lo == 0 || hi > count)
            return NULL;
          for (guint32 i = lo; i <= hi; i++)
            hit[i - 1] = 1;
        }
      if (*p == '\0')
        break;
      if (*p != ',')
        return NULL;
      p++;
    }
  GArray *idx = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < count; i++)
    if (hit[i])
      g_array_append_val (idx, i);
  return idx;
}

char *
ms_imap_uidset_string (const guint32 *uids, guint n)
{
  GString *out = g_string_new (NULL);
  for (guint i = 0; i < n;)
    {
      guint j = i;
      while (j + 1 < n && uids[j + 1] == uids[j] + 1)
        j++;
      if (out->len)
        g_string_append_c (out, ',');
      if (j == i)
        g_string_append_printf (out, "%u", uids[i]);
      else
        g_string_append_printf (out, "%u:%u", uids[i], uids[j]);
      i = j + 1;
    }
  return g_string_free (out, FALSE);
}
