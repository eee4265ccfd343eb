/* ms-demo-runs.c - the demo's runs: starting them phase by phase, the
 * lab clients' callbacks, and how the runs of a phase wait for each other
 * (the IDLE client starts its partner, POP3 client 1 holds the mailbox
 * while client 2 tries). */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ms-demo-private.h"

/* The other client starts this long after the IDLE step was announced, so
 * the IDLE command is on the wire first. */
#define MS_DEMO_IDLE_HEAD_START_MS 400

static void start_run (Run *r);

static Run *
run_at (MsDemo *d, guint i)
{
  return i < d->runs->len ? d->runs->pdata[i] : NULL;
}

/* The run of the same phase after r, or NULL. */
static Run *
next_in_phase (Run *r)
{
  Run *n = run_at (r->demo, r->pub.index + 1);
  return n && n->pub.phase == r->pub.phase ? n : NULL;
}

static void
check_phase_done (MsDemo *d)
{
  for (guint i = 0; i < d->runs->len; i++)
    {
      Run *r = d->runs->pdata[i];
      if (r->pub.phase == d->phase && !r->pub.finished)
        return;
    }
  ms_demo_clients_done (d);
}

void
ms_demo_run_finished (Run *r, const char *error)
{
  MsDemo *d = r->demo;
  r->pub.finished = TRUE;
  if (d->waiting == r)
    d->waiting = NULL;
  g_free (r->pub.error);
  r->pub.error = g_strdup (error);
  if (r->role == HOLD_START_OTHER_AT_REFRESH)
    {
      /* No IDLE reached (a failure): the other run must still end. */
      Run *n = next_in_phase (r);
      if (n && !n->started)
        start_run (n);
    }
  /* POP3 client 2 ended (refused): client 1 may finish now. */
  for (guint i = 0; i < d->runs->len; i++)
    {
      Run *o = d->runs->pdata[i];
      if (o->role == HOLD_AT_LIST && o->pub.phase == r->pub.phase && o != r && o->held)
        {
          Run *n = next_in_phase (o);
          if (n == NULL || n->pub.finished)
            {
              o->held = FALSE;
              if (!d->opts.step_mode)
                ms_lab_client_set_step_mode (o->client, FALSE);
              else
                ms_lab_client_next (o->client);
            }
        }
    }
  check_phase_done (d);
}

static gboolean
start_run_later (gpointer data)
{
  Run *r = data;
  g_clear_pointer (&r->start_timer, g_source_unref);
  if (!r->started)
    start_run (r);
  return G_SOURCE_REMOVE;
}

/* Starts the run after r in its phase a moment from now (the IDLE client's
 * partner). */
void
ms_demo_start_partner_soon (Run *r)
{
  Run *n = next_in_phase (r);
  if (n == NULL || n->started)
    return;
  if (n->start_timer)
    return;
  GSource *t = g_timeout_source_new (MS_DEMO_IDLE_HEAD_START_MS);
  g_source_set_callback (t, start_run_later, n, NULL);
  g_source_attach (t, r->demo->ctx);
  n->start_timer = t;
}

static void
on_client_step (MsLabClient *client, MsStep step, const char *description, gpointer data)
{
  Run *r = data;
  MsDemo *d = r->demo;
  Run *partner = next_in_phase (r);
  /* POP3 client 1 logged in, so the maildrop is locked: it waits there
   * while the second client tries. */
  gboolean hold = step == MS_STEP_LIST && r->role == HOLD_AT_LIST && !r->held && partner
                  && !partner->started;

  r->in_refresh = step == MS_STEP_REFRESH;
  if (!hold && r->opts.step_mode && d->opts.step_mode)
    d->waiting = r;
  if (d->cb.step_ready)
    d->cb.step_ready (d, &r->pub, step, description, d->user_data);

  if (step == MS_STEP_REFRESH && r->role == HOLD_START_OTHER_AT_REFRESH)
    {
      /* In step mode IDLE begins only when the user goes on. */
      if (d->opts.step_mode)
        r->partner_on_next = TRUE;
      else
        ms_demo_start_partner_soon (r);
    }
  if (hold)
    {
      r->held = TRUE;
      start_run (partner);
      return;
    }
  if (r->opts.step_mode && !d->opts.step_mode)
    ms_lab_client_next (client);
}

static void
on_client_line (MsLabClient *client, char who, const char *text, gpointer data)
{
  Run *r = data;
  MsDemo *d = r->demo;
  if (who == 'S' && r->in_refresh && text[0] == '*'
      && (strstr (text, "EXPUNGE") || strstr (text, "FETCH") || strstr (text, "EXISTS")))
    g_ptr_array_add (r->pub.pushed, g_strdup (text));
  if (who == 'S' && r->pub.refusal == NULL && g_str_has_prefix (text, "-ERR")
      && strstr (text, "IN-USE"))
    r->pub.refusal = g_strdup (text);
  if (d->cb.transcript)
    d->cb.transcript (d, &r->pub, who, text, d->user_data);
}

static void
on_client_finished (MsLabClient *client, const MsLabClientReport *report, const GError *error,
                    gpointer data)
{
  Run *r = data;
  r->pub.report = report;
  ms_demo_run_finished (r, error ? error->message : NULL);
}

static void
start_run (Run *r)
{
  MsDemo *d = r->demo;
  r->started = TRUE;
  if (r->kind == RUN_SCRIPT_IMAP)
    {
      if (d->cb.step_ready)
        d->cb.step_ready (d, &r->pub, MS_STEP_UPDATE,
                          _("Meanwhile another client flags message 1, deletes message 2 "
                            "and expunges it"),
                          d->user_data);
      r->script = g_thread_new ("ms-demo-script", ms_demo_script_thread, r);
      return;
    }
  static const MsLabClientCallbacks cb = { on_client_step, on_client_line, on_client_finished };
  r->client = ms_lab_client_new (&r->opts, &cb, r);
  ms_lab_client_start (r->client);
}

void
ms_demo_start_phase (MsDemo *d)
{
  if (d->cb.phase_started)
    d->cb.phase_started (d, d->phase, d->user_data);
  /* The first run of the phase starts; the others when their turn comes
   * (the shared demo chains them from step callbacks). */
  for (guint i = 0; i < d->runs->len; i++)
    {
      Run *r = d->runs->pdata[i];
      if (r->pub.phase == d->phase)
        {
          start_run (r);
          break;
        }
    }
}
