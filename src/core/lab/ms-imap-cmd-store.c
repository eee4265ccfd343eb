/* ms-imap-cmd-store.c - IMAP commands that change messages (RFC 3501
 * §6.4.3, 6.4.6, 6.4.7, 6.4.8): EXPUNGE and UID EXPUNGE (RFC 4315), STORE,
 * COPY with COPYUID (RFC 4315) and MOVE (RFC 6851). MOVE copies first and
 * expunges after, so a crash in between leaves a duplicate, never a loss. */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "ms-imap-server-private.h"

/* The view indexes of the command's sequence set (argument i); NULL after
 * answering BAD. */
static GArray *
set_arg (ImapSession *s, ImapCmd *cmd, guint i)
{
  ImapArg *a = ms_imap_arg (cmd, i);
  GArray *idx = a && a->type == IMAP_ARG_ATOM ? ms_imap_seqset_indexes (s, a->str, cmd->uid) : NULL;
  if (idx == NULL)
    ms_imap_bad (s, cmd, _("invalid sequence set"));
  return idx;
}

void
ms_imap_cmd_expunge (ImapSession *s, ImapCmd *cmd)
{
  g_autoptr (GArray) only = NULL;
  if (cmd->uid)
    {
      only = set_arg (s, cmd, 0);
      if (only == NULL)
        return;
    }
  else if (cmd->args->len)
    {
      ms_imap_bad (s, cmd, _("EXPUNGE takes no arguments"));
      return;
    }
  if (s->read_only)
    {
      ms_imap_tagged (s, cmd, "NO", "[READ-ONLY] %s", _("the mailbox is read-only"));
      return;
    }
  MsMailbox *mb = ms_hub_box_mailbox (s->box);
  guint n = only ? only->len : s->view->len;
  gboolean any = FALSE, failed = FALSE;
  for (guint k = 0; k < n; k++)
    {
      guint i = only ? g_array_index (only, guint, k) : k;
      const MsMessage *m = ms_imap_view_message (s, i);
      if (m == NULL || !(m->flags & MS_MSG_DELETED))
        continue;
      GError *error = NULL;
      if (ms_mailbox_expunge (mb, m->uid, &error))
        any = TRUE;
      else
        {
          failed = TRUE;
          g_error_free (error);
        }
    }
  if (any)
    ms_hub_box_changed (s->box);
  if (failed)
    ms_imap_tagged (s, cmd, "NO", "[SERVERBUG] %s", _("some messages could not be removed"));
  else
    ms_imap_tagged (s, cmd, "OK", "%s", _("EXPUNGE completed"));
}

void
ms_imap_cmd_store (ImapSession *s, ImapCmd *cmd)
{
  g_autoptr (GArray) idx = set_arg (s, cmd, 0);
  if (idx == NULL)
    return;
  ImapArg *what = ms_imap_arg (cmd, 1);
  ImapArg *list = ms_imap_arg (cmd, 2);
  if (what == NULL || what->type != IMAP_ARG_ATOM || list == NULL)
    {
      ms_imap_bad (s, cmd, _("STORE needs a set, FLAGS, +FLAGS or -FLAGS, and flags"));
      return;
    }
  const char *w = what->str;
  int mode = 0;   /* 0 replace, 1 add, -1 remove */
  if (*w == '+')
    mode = 1, w++;
  else if (*w == '-')
    mode = -1, w++;
  gboolean silent = g_ascii_strcasecmp (w, "FLAGS.SILENT") == 0;
  guint flags = 0;
  gboolean ok_list = list->type == IMAP_ARG_LIST || cmd->args->len >= 3;
  if (!silent && g_ascii_strcasecmp (w, "FLAGS") != 0)
    {
      ms_imap_bad (s, cmd, _("STORE needs FLAGS, +FLAGS or -FLAGS"));
      return;
    }
  if (list->type == IMAP_ARG_LIST)
    ok_list = ms_imap_parse_flags (list, &flags);
  else
    for (guint i = 2; i < cmd->args->len && ok_list; i++)
      {
        guint f = 0;
        ok_list = ms_imap_parse_flags (ms_imap_arg (cmd, i), &f);
        flags |= f;
      }
  if (!ok_list)
    {
      ms_imap_bad (s, cmd, _("invalid flag list"));
      return;
    }
  if (s->read_only)
    {
      ms_imap_tagged (s, cmd, "NO", "[READ-ONLY] %s", _("the mailbox is read-only"));
      return;
    }
  MsMailbox *mb = ms_hub_box_mailbox (s->box);
  gboolean changed = FALSE, gone = FALSE;
  GString *out = g_string_new (NULL);
  for (guint k = 0; k < idx->len; k++)
    {
      guint i = g_array_index (idx, guint, k);
      const MsMessage *m = ms_imap_view_message (s, i);
      if (m == NULL)
        {
          gone = TRUE;
          continue;
        }
      guint old = m->flags & ~MS_MSG_RECENT;
      guint now = mode == 0 ? flags : mode > 0 ? old | flags : old & ~flags;
      guint32 uid = m->uid;
      if (now != old)
        {
          if (!ms_mailbox_set_flags (mb, uid, now, NULL))
            {
              gone = TRUE;
              continue;
            }
          changed = TRUE;
        }
      ImapViewMsg *v = &g_array_index (s->view, ImapViewMsg, i);
      v->flags = now | (v->flags & MS_MSG_RECENT);
      if (!silent)
        {
          g_autofree char *fl = ms_msg_flags_to_imap (v->flags, TRUE);
          g_string_append_printf (out, "* %u FETCH (FLAGS (%s)", i + 1, fl);
          if (cmd->uid)
            g_string_append_printf (out, " UID %u", uid);
          g_string_append (out, ")\r\n");
        }
    }
  if (out->len)
    {
      ms_lab_server_log (s->srv, "imap", s->conn, 'S', "(%u FETCH responses)", idx->len);
      ms_imap_send (s, out->str, out->len);
    }
  g_string_free (out, TRUE);
  if (changed)
    ms_hub_box_changed (s->box);
  /* The view already holds the new flags, so the sync that precedes the
   * tagged reply repeats nothing. */
  if (gone)
    ms_imap_tagged (s, cmd, "NO", "[EXPUNGEISSUED] %s",
                    _("some of the messages were expunged meanwhile"));
  else
    ms_imap_tagged (s, cmd, "OK", "%s", _("STORE completed"));
}

/* COPY and MOVE (and their UID forms). */
void
ms_imap_cmd_copy (ImapSession *s, ImapCmd *cmd)
{
  gboolean move = strcmp (cmd->name, "MOVE") == 0;
  g_autoptr (GArray) idx = set_arg (s, cmd, 0);
  if (idx == NULL)
    return;
  const char *dest = ms_imap_arg_astring (ms_imap_arg (cmd, 1));
  if (dest == NULL || cmd->args->len != 2)
    {
      ms_imap_bad (s, cmd, _("a sequence set and a mailbox name are expected"));
      return;
    }
  if (!ms_maildir_name_ok (dest))
    {
      ms_imap_tagged (s, cmd, "NO", "[CANNOT] %s", _("that mailbox name is not allowed"));
      return;
    }
  if (move && s->read_only)
    {
      ms_imap_tagged (s, cmd, "NO", "[READ-ONLY] %s", _("the mailbox is read-only"));
      return;
    }
  GError *error = NULL;
  MsHubBox *dbox = ms_mailbox_hub_open (s->md, dest, &error);
  if (dbox == NULL)
    {
      ms_imap_tagged (s, cmd, "NO", "[TRYCREATE] %s", error->message);
      g_error_free (error);
      return;
    }
  MsMailbox *src = ms_hub_box_mailbox (s->box);
  MsMailbox *dst = ms_hub_box_mailbox (dbox);
  g_autoptr (GArray) src_uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr (GArray) dst_uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  gboolean failed = FALSE, gone = FALSE;
  for (guint k = 0; k < idx->len && !failed; k++)
    {
      const MsMessage *m = ms_imap_view_message (s, g_array_index (idx, guint, k));
      if (m == NULL)
        {
          gone = TRUE;
          continue;
        }
      guint32 uid = m->uid;
      guint flags = m->flags & ~MS_MSG_RECENT;
      gint64 mtime = m->mtime;
      g_autoptr (GBytes) bytes = ms_mailbox_read (src, uid, &error);
      guint32 nuid = 0;
      if (bytes)
        nuid = ms_mailbox_append (dst, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                  flags, mtime, &error);
      if (nuid == 0)
        {
          ms_lab_server_log (s->srv, "imap", s->conn, '-', "copy failed: %s", error->message);
          g_clear_error (&error);
          failed = TRUE;
          break;
        }
      g_array_append_val (src_uids, uid);
      g_array_append_val (dst_uids, nuid);
    }
  if (dst_uids->len)
    ms_hub_box_changed (dbox);
  g_autofree char *code = NULL;
  if (src_uids->len)
    {
      g_autofree char *from = ms_imap_uidset_string ((guint32 *) src_uids->data, src_uids->len);
      g_autofree char *to = ms_imap_uidset_string ((guint32 *) dst_uids->data, dst_uids->len);
      code = g_strdup_printf ("[COPYUID %u %s %s] ", ms_mailbox_uidvalidity (dst), from, to);
    }
  if (failed)
    {
      /* Nothing moved is removed; copies already made stay (RFC 3501 asks
       * for all or nothing; a partial copy is reported honestly). */
      ms_imap_tagged (s, cmd, "NO", "[SERVERBUG] %s", _("the messages could not all be copied"));
      ms_hub_box_unref (dbox);
      return;
    }
  if (move)
    {
      if (code)
        ms_imap_untagged (s, "OK %s%s", code, _("moved"));
      gboolean any = FALSE;
      for (guint k = 0; k < src_uids->len; k++)
        any |= ms_mailbox_expunge (src, g_array_index (src_uids, guint32, k), NULL);
      if (any)
        ms_hub_box_changed (s->box);
      ms_imap_tagged (s, cmd, gone ? "NO" : "OK", "%s%s", gone ? "[EXPUNGEISSUED] " : "",
                      _("MOVE completed"));
    }
  else
    ms_imap_tagged (s, cmd, gone ? "NO" : "OK", "%s%s", code ? code : gone ? "[EXPUNGEISSUED] " : "",
                    _("COPY completed"));
  ms_hub_box_unref (dbox);
}
