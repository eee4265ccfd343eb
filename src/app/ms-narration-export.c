/* ms-narration-export.c - handouts: for each step its title, explanation,
 * numbers and notes, then one line of narration per event. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "mailscope/ms-lesson.h"
#include "ms-lesson-plan.h"
#include "ms-narration-export.h"

static char *
esc (MsNarrationFormat fmt, const char *text)
{
  if (fmt == MS_NARRATION_HTML)
    return g_markup_escape_text (text, -1);
  return g_strdup (text);
}

/* Markdown code spans may not contain the backtick that delimits them. */
static char *
code_span (const char *text)
{
  g_autofree char *t = g_strdup (text);
  g_strdelimit (t, "`", '\'');
  return g_strdup_printf ("`%s`", t);
}

static void
export_session (GString *out, MsCapture *capture, guint session, MsNarrationFormat fmt,
                gboolean mask)
{
  MsLessonPlan plan;
  const MsSessionSummary *s = ms_capture_find_session (capture, session);
  g_autofree char *label = s ? ms_capture_session_label (capture, s) : g_strdup (_("All sessions"));
  g_autofree char *elabel = esc (fmt, label);
  gboolean html = fmt == MS_NARRATION_HTML;

  ms_lesson_plan_init (&plan, capture, session);
  g_string_append_printf (out, html ? "<h2>%s</h2>\n" : "## %s\n\n", elabel);
  for (guint k = 0; k < plan.n_steps; k++)
    {
      MsStep step = plan.steps[k];
      g_autofree char *title = esc (fmt, ms_lesson_step_title (step));
      g_autofree char *expl = esc (fmt, ms_lesson_step_explanation (step, ms_lesson_plan_proto (&plan, capture)));
      g_autofree char *stats = ms_lesson_plan_step_stats (&plan, capture, step);
      g_autofree char *estats = esc (fmt, stats);
      g_auto (GStrv) notes = ms_lesson_plan_step_notes (&plan, capture, step);

      if (html)
        g_string_append_printf (out, "<h3>%u. %s</h3>\n<p>%s</p>\n<p class=\"stats\">%s</p>\n",
                                k + 1, title, expl, estats);
      else
        g_string_append_printf (out, "### %u. %s\n\n%s\n\n*%s*\n\n", k + 1, title, expl, estats);
      for (guint i = 0; notes[i]; i++)
        {
          g_autofree char *n = esc (fmt, notes[i]);
          g_string_append_printf (out, html ? "<p class=\"note\"><strong>%s</strong> %s</p>\n"
                                            : "> **%s** %s\n\n", _("Note:"), n);
        }
      if (html)
        g_string_append (out, "<ul>\n");
      for (guint i = 0; i < plan.events->len; i++)
        {
          MsEvent *ev = ms_capture_get_event (capture, g_array_index (plan.events, guint, i));
          g_autofree char *summary = NULL;
          g_autofree char *info = NULL;
          const char *arrow = ev->dir == MS_DIR_S2C ? "S→C" : ev->dir == MS_DIR_C2S ? "C→S" : "";

          if (ev->step != step)
            continue;
          summary = mask ? ms_event_mask (ev, ev->summary ? ev->summary : "")
                         : g_strdup (ev->summary ? ev->summary : "");
          info = mask ? ms_event_mask (ev, ev->info ? ev->info : "")
                      : g_strdup (ev->info ? ev->info : "");
          if (html)
            {
              g_autofree char *es = g_markup_escape_text (summary, -1);
              g_autofree char *ei = g_markup_escape_text (info, -1);
              g_string_append_printf (out, "<li>%s %u (%.6f s) %s: %s <code>%s</code></li>\n",
                                      _("Frame"), ev->frame, ev->time, arrow, es, ei);
            }
          else
            {
              g_autofree char *ci = code_span (info);
              g_string_append_printf (out, "- %s %u (%.6f s) %s: %s %s\n", _("Frame"),
                                      ev->frame, ev->time, arrow, summary, ci);
            }
        }
      g_string_append (out, html ? "</ul>\n" : "\n");
    }
  if (s)
    {
      g_autofree char *sum = ms_session_summary_format (s);
      g_autofree char *esum = esc (fmt, sum);
      g_string_append_printf (out, html ? "<h3>%s</h3>\n<pre>%s</pre>\n" : "### %s\n\n```\n%s```\n\n",
                              _("Summary"), esum);
    }
  ms_lesson_plan_clear (&plan);
}

char *
ms_narration_export (MsCapture *capture, guint session, MsNarrationFormat fmt, gboolean mask)
{
  GString *out = g_string_new (NULL);
  g_autofree char *title = g_strdup_printf (_("Mailscope lesson: %s"), ms_capture_get_title (capture));
  g_autofree char *etitle = esc (fmt, title);

  if (fmt == MS_NARRATION_HTML)
    g_string_append_printf (out,
                            "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n"
                            "<title>%s</title>\n<style>\n"
                            "body { font-family: sans-serif; max-width: 50em; margin: 2em auto; }\n"
                            ".stats { color: #555; font-style: italic; }\n"
                            ".note { background: #fdf3d0; padding: .5em; border-left: 4px solid #e5a50a; }\n"
                            "code { background: #eee; }\n</style>\n</head>\n<body>\n<h1>%s</h1>\n",
                            etitle, etitle);
  else
    g_string_append_printf (out, "# %s\n\n", title);

  if (session != 0)
    export_session (out, capture, session, fmt, mask);
  else
    for (guint i = 0; i < ms_capture_get_n_sessions (capture); i++)
      {
        const MsSessionSummary *s = ms_capture_get_session (capture, i);
        if (!s->dns_group)
          export_session (out, capture, s->id, fmt, mask);
      }
  if (fmt == MS_NARRATION_HTML)
    g_string_append (out, "</body>\n</html>\n");
  return g_string_free (out, FALSE);
}
