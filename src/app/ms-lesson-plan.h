/* ms-lesson-plan.h - what one session's lesson shows: its events in order,
 * the steps present (in lesson order), and per-step numbers and notes taken
 * from the session summaries. Shared by the session view and the handout
 * export. */
#pragma once

#include <glib.h>
#include "ms-capture.h"

G_BEGIN_DECLS

typedef struct {
  guint session;            /* 0: every event */
  GArray *events;           /* guint event indices, in order */
  MsStep steps[MS_STEP_N];  /* steps present, lesson order */
  guint n_steps;
} MsLessonPlan;

void ms_lesson_plan_init (MsLessonPlan *plan, MsCapture *capture, guint session);
void ms_lesson_plan_clear (MsLessonPlan *plan);
/* Position of `step` in plan->steps, or -1. */
int ms_lesson_plan_find_step (const MsLessonPlan *plan, MsStep step);
/* "0.005 s · 4 packets · 312 bytes · 2 round trips" (translated). */
char *ms_lesson_plan_step_stats (const MsLessonPlan *plan, MsCapture *capture, MsStep step);
/* Distinct notes of the step's events plus summary remarks; NULL-terminated. */
GStrv ms_lesson_plan_step_notes (const MsLessonPlan *plan, MsCapture *capture, MsStep step);
/* The protocol whose explanations fit the session. */
MsProto ms_lesson_plan_proto (const MsLessonPlan *plan, MsCapture *capture);

G_END_DECLS
