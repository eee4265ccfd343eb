/* ms-summary.c - per-session summaries as a readable table and as JSON:
 * time, frames, bytes and round trips per step, credentials exposed, TLS,
 * content moved against the mailbox size, attachments left on the server. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ms-lesson-private.h"

/* Display columns of the step names in the table (longest title fits). */
#define MS_SUMMARY_TITLE_WIDTH 28

/* Appends `text` padded with spaces to `width` display columns. */
static void
append_padded (GString *out, const char *text, guint width)
{
  g_string_append (out, text);
  glong cols = 0;
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    cols += g_unichar_iswide (g_utf8_get_char (p)) ? 2 : 1;
  for (glong i = cols; i < (glong) width; i++)
    g_string_append_c (out, ' ');
}

/* Appends `text` right-aligned in `width` display columns, after a space. */
static void
append_right (GString *out, const char *text, guint width)
{
  glong cols = 0;
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    cols += g_unichar_iswide (g_utf8_get_char (p)) ? 2 : 1;
  g_string_append_c (out, ' ');
  for (glong i = cols; i < (glong) width; i++)
    g_string_append_c (out, ' ');
  g_string_append (out, text);
}

static void
append_step_row (GString *out, const char *title, const MsStepStats *st)
{
  char c2s[32], s2c[32], frames[32], rt[32];
  ms_narration_format_count (st->bytes[MS_DIR_C2S], c2s, sizeof c2s);
  ms_narration_format_count (st->bytes[MS_DIR_S2C], s2c, sizeof s2c);
  ms_narration_format_count (st->frames, frames, sizeof frames);
  ms_narration_format_count (st->round_trips, rt, sizeof rt);
  g_string_append (out, "  ");
  append_padded (out, title, MS_SUMMARY_TITLE_WIDTH);
  g_string_append_printf (out, " %10.3f %10.3f %7s %12s %12s %6s\n",
                          st->first_time, st->last_time, frames, c2s, s2c, rt);
}

char *
ms_session_summary_heading (const MsSessionSummary *s)
{
  char c[MS_ADDR_STRLEN], sv[MS_ADDR_STRLEN];
  ms_addr_format (&s->client, c, sizeof c);
  ms_addr_format (&s->server, sv, sizeof sv);
  if (s->stream >= 0)
    return g_strdup_printf (_("Session %u: %s, client %s, server %s, stream %lld"),
                            s->id, ms_lesson_proto_title (s->proto), c, sv, (long long) s->stream);
  return g_strdup_printf (_("Session %u: %s, client %s, server %s"),
                          s->id, ms_lesson_proto_title (s->proto), c, sv);
}

char *
ms_session_summary_format_attachments (const MsSessionSummary *s)
{
  guint missed = ms_session_summary_attachments_missed (s);
  char a[32];
  if (missed == 0)
    return NULL;
  GString *out = g_string_new (NULL);
  g_string_append_printf (out, g_dngettext (GETTEXT_PACKAGE,
                                            "  Attachments not downloaded: %u\n",
                                            "  Attachments not downloaded: %u\n",
                                            missed),
                          missed);
  for (guint i = 0; i < s->n_attachments; i++)
    {
      const MsAttachment *at = &s->attachments[i];
      if (at->fetched)
        continue;
      if (at->size >= 0 && at->partial)
        {
          ms_narration_format_count ((guint64) at->size, a, sizeof a);
          g_string_append_printf (out, _("    message %u, part %s (%s, %s bytes; only a range of it was read)\n"),
                                  at->message, at->part, at->type, a);
        }
      else if (at->size >= 0)
        {
          ms_narration_format_count ((guint64) at->size, a, sizeof a);
          g_string_append_printf (out, _("    message %u, part %s (%s, %s bytes)\n"),
                                  at->message, at->part, at->type, a);
        }
      else
        g_string_append_printf (out, _("    message %u, part %s (%s)\n"),
                                at->message, at->part, at->type);
    }
  g_string_append_printf (out, "  %s\n", ms_narration_note (MS_NOTE_ATTACHMENT_SKIPPED));
  return g_string_free (out, FALSE);
}

char *
ms_session_summary_format (const MsSessionSummary *s)
{
  GString *out = g_string_new (NULL);
  char a[32], b[32];

  g_autofree char *heading = ms_session_summary_heading (s);
  g_string_append_printf (out, "%s\n", heading);
  g_string_append (out, "  ");
  append_padded (out, _("step"), MS_SUMMARY_TITLE_WIDTH);
  /* Column headings: right-aligned to the numbers below them. */
  append_right (out, _("first s"), 10);
  append_right (out, _("last s"), 10);
  append_right (out, _("frames"), 7);
  append_right (out, _("bytes C→S"), 12);
  append_right (out, _("bytes S→C"), 12);
  append_right (out, _("trips"), 6);
  g_string_append_c (out, '\n');
  for (guint i = 0; i < MS_STEP_N; i++)
    if (s->steps[i].events > 0)
      append_step_row (out, ms_lesson_step_title ((MsStep) i), &s->steps[i]);
  append_step_row (out, _("Total"), &s->total);

  if (!s->dns_group)
    {
      if (s->credentials_exposed)
        g_string_append_printf (out, _("  Credentials exposed: yes, user “%s”, mechanism %s\n"),
                                s->user ? s->user : "?", s->mechanism ? s->mechanism : "?");
      else if (s->user)
        g_string_append_printf (out, _("  Credentials exposed: no (user “%s” logged in with %s)\n"),
                                s->user, s->mechanism ? s->mechanism : "?");
      else
        g_string_append (out, _("  Credentials exposed: no\n"));
      g_string_append (out, s->tls_used ? _("  TLS used: yes\n") : _("  TLS used: no\n"));

      ms_narration_format_count (s->content_bytes, a, sizeof a);
      if (s->mailbox_bytes >= 0)
        {
          ms_narration_format_count ((guint64) s->mailbox_bytes, b, sizeof b);
          g_string_append_printf (out, _("  Content fetched: %s bytes of a mailbox of %s bytes\n"), a, b);
        }
      else
        g_string_append_printf (out, _("  Content fetched: %s bytes of a mailbox of unknown size\n"), a);

      g_autofree char *missed = ms_session_summary_format_attachments (s);
      if (missed)
        g_string_append (out, missed);
    }
  if (s->missing_bytes > 0)
    {
      ms_narration_format_count (s->missing_bytes, a, sizeof a);
      g_string_append_printf (out, _("  Bytes missing from the capture: %s\n"), a);
    }
  return g_string_free (out, FALSE);
}

static JsonObject *
stats_json (const MsStepStats *st)
{
  JsonObject *o = json_object_new ();
  json_object_set_double_member (o, "first_time", st->first_time);
  json_object_set_double_member (o, "last_time", st->last_time);
  json_object_set_int_member (o, "events", (gint64) st->events);
  json_object_set_int_member (o, "frames", (gint64) st->frames);
  json_object_set_int_member (o, "bytes_c2s", (gint64) st->bytes[MS_DIR_C2S]);
  json_object_set_int_member (o, "bytes_s2c", (gint64) st->bytes[MS_DIR_S2C]);
  json_object_set_int_member (o, "round_trips", (gint64) st->round_trips);
  return o;
}

JsonObject *
ms_session_summary_to_json (const MsSessionSummary *s)
{
  JsonObject *o = json_object_new ();
  char buf[MS_ADDR_STRLEN];

  json_object_set_string_member (o, "event", "session-summary");
  json_object_set_int_member (o, "session", s->id);
  json_object_set_string_member (o, "proto", ms_proto_name (s->proto));
  if (s->stream >= 0)
    json_object_set_int_member (o, "stream", s->stream);
  json_object_set_string_member (o, "client", ms_addr_format (&s->client, buf, sizeof buf));
  json_object_set_string_member (o, "server", ms_addr_format (&s->server, buf, sizeof buf));
  JsonObject *steps = json_object_new ();
  for (guint i = 1; i < MS_STEP_N; i++)
    if (s->steps[i].events > 0)
      json_object_set_object_member (steps, ms_step_name ((MsStep) i), stats_json (&s->steps[i]));
  json_object_set_object_member (o, "steps", steps);
  json_object_set_object_member (o, "total", stats_json (&s->total));
  json_object_set_boolean_member (o, "credentials_exposed", s->credentials_exposed);
  if (s->user)
    json_object_set_string_member (o, "user", s->user);
  if (s->mechanism)
    json_object_set_string_member (o, "mechanism", s->mechanism);
  json_object_set_boolean_member (o, "tls", s->tls_used);
  json_object_set_int_member (o, "content_bytes", (gint64) s->content_bytes);
  if (s->mailbox_bytes >= 0)
    json_object_set_int_member (o, "mailbox_bytes", s->mailbox_bytes);
  else
    json_object_set_null_member (o, "mailbox_bytes");
  JsonArray *missed = json_array_new ();
  for (guint i = 0; i < s->n_attachments; i++)
    {
      const MsAttachment *at = &s->attachments[i];
      if (at->fetched)
        continue;
      JsonObject *a = json_object_new ();
      json_object_set_int_member (a, "message", at->message);
      json_object_set_string_member (a, "part", at->part);
      json_object_set_string_member (a, "type", at->type);
      if (at->size >= 0)
        json_object_set_int_member (a, "size", at->size);
      if (at->partial)
        json_object_set_boolean_member (a, "partial", TRUE);
      json_array_add_object_element (missed, a);
    }
  json_object_set_array_member (o, "attachments_not_downloaded", missed);
  json_object_set_int_member (o, "attachments_not_downloaded_count",
                              ms_session_summary_attachments_missed (s));
  if (s->missing_bytes)
    json_object_set_int_member (o, "missing_bytes", (gint64) s->missing_bytes);
  return o;
}
