/* ms-lesson-plan.c - one session's lesson, assembled from the capture. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ms-lesson-plan.h"

/* Notes shown on one step; the rest are repetitions in practice. */
#define MS_PLAN_MAX_NOTES 4

void
ms_lesson_plan_init (MsLessonPlan *plan, MsCapture *capture, guint session)
{
  gboolean present[MS_STEP_N] = { FALSE };
  guint n = ms_capture_get_n_events (capture);
  guint n_sessions = ms_capture_get_n_sessions (capture);
  g_autofree gboolean *included = g_new0 (gboolean, n_sessions + 2);

  plan->session = session;
  plan->events = g_array_new (FALSE, FALSE, sizeof (guint));
  plan->n_steps = 0;
  for (guint i = 0; i < n_sessions; i++)
    {
      guint id = ms_capture_get_session (capture, i)->id;
      if (id <= n_sessions + 1)
        included[id] = ms_capture_session_includes (capture, session, id);
    }
  for (guint i = 0; i < n; i++)
    {
      guint sid = ms_capture_get_event_session (capture, i);
      MsEvent *ev;

      if (session != 0 && (sid > n_sessions + 1 || !included[sid]))
        continue;
      g_array_append_val (plan->events, i);
      ev = ms_capture_get_event (capture, i);
      if (ev->step < MS_STEP_N)
        present[ev->step] = TRUE;
    }
  for (guint s = 1; s < MS_STEP_N; s++)
    if (present[s])
      plan->steps[plan->n_steps++] = (MsStep) s;
}

void
ms_lesson_plan_clear (MsLessonPlan *plan)
{
  g_clear_pointer (&plan->events, g_array_unref);
  plan->n_steps = 0;
}

int
ms_lesson_plan_find_step (const MsLessonPlan *plan, MsStep step)
{
  for (guint i = 0; i < plan->n_steps; i++)
    if (plan->steps[i] == step)
      return (int) i;
  return -1;
}

MsProto
ms_lesson_plan_proto (const MsLessonPlan *plan, MsCapture *capture)
{
  const MsSessionSummary *s = ms_capture_find_session (capture, plan->session);
  return s && s->proto == MS_PROTO_POP3 ? MS_PROTO_POP3 : MS_PROTO_IMAP;
}

char *
ms_lesson_plan_step_stats (const MsLessonPlan *plan, MsCapture *capture, MsStep step)
{
  double first = -1, last = 0;
  guint64 frames = 0, bytes = 0, trips = 0;
  g_autofree char *size = NULL;
  g_autofree char *packets = NULL;
  g_autofree char *rt = NULL;

  for (guint i = 0; i < ms_capture_get_n_sessions (capture); i++)
    {
      const MsSessionSummary *s = ms_capture_get_session (capture, i);
      const MsStepStats *st = &s->steps[step];

      if (!ms_capture_session_includes (capture, plan->session, s->id) || st->events == 0)
        continue;
      if (first < 0 || st->first_time < first)
        first = st->first_time;
      last = MAX (last, st->last_time);
      frames += st->frames;
      bytes += st->bytes[0] + st->bytes[1];
      trips += st->round_trips;
    }
  if (first < 0)
    first = 0;
  size = g_format_size (bytes);
  packets = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u packet", "%u packets", (gulong) frames),
                             (guint) frames);
  rt = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u round trip", "%u round trips", (gulong) trips),
                        (guint) trips);
  /* TRANSLATORS: step statistics: duration · packets · bytes · round trips */
  return g_strdup_printf (_("%.3f s · %s · %s · %s"), last - first, packets, size, rt);
}

GStrv
ms_lesson_plan_step_notes (const MsLessonPlan *plan, MsCapture *capture, MsStep step)
{
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint n = 0;

  for (guint i = 0; i < plan->events->len && n < MS_PLAN_MAX_NOTES; i++)
    {
      MsEvent *ev = ms_capture_get_event (capture, g_array_index (plan->events, guint, i));
      if (ev->step != step || ev->note == NULL || g_hash_table_contains (seen, ev->note))
        continue;
      g_hash_table_add (seen, ev->note);
      g_strv_builder_add (b, ev->note);
      n++;
    }
  if (step == MS_STEP_FETCH)
    {
      const MsSessionSummary *s = ms_capture_find_session (capture, plan->session);
      guint missed = s ? ms_session_summary_attachments_missed (s) : 0;
      if (missed)
        {
          g_autofree char *t = g_strdup_printf (
              g_dngettext (GETTEXT_PACKAGE,
                           "%u attachment was listed but not downloaded.",
                           "%u attachments were listed but not downloaded.", missed),
              missed);
          g_strv_builder_add (b, t);
        }
    }
  return g_strv_builder_end (b);
}
