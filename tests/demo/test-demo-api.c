/* test-demo-api.c - the demo's core API (ms-demo.h) as the GUI uses it:
 * the compare and shared demos without a capture, their reports, the
 * comparison table and the permission hint. Runs unprivileged. */
#include "config.h"

#include <string.h>
#include <glib.h>

#include "lab/ms-demo.h"
#include "lab/ms-lab-server.h"

/* A demo that has not finished by then is stuck. */
#define TEST_DEMO_TIMEOUT_S 60

typedef struct {
  GMainLoop *loop;
  gboolean finished;
  guint phases_started, phases_finished;
  guint steps;
  guint events;
} DemoResult;

static void
on_phase_started (MsDemo *demo, guint phase, gpointer data)
{
  DemoResult *res = data;
  g_assert_cmpuint (phase, ==, res->phases_started);
  res->phases_started++;
}

static void
on_step (MsDemo *demo, const MsDemoRun *run, MsStep step, const char *description,
         gpointer data)
{
  DemoResult *res = data;
  g_assert_nonnull (description);
  res->steps++;
}

static void
on_events (MsDemo *demo, MsEvent *const *events, guint n, gpointer data)
{
  DemoResult *res = data;
  res->events += n;
}

static void
on_phase_finished (MsDemo *demo, guint phase, gpointer data)
{
  DemoResult *res = data;
  g_assert_cmpuint (phase, ==, res->phases_finished);
  res->phases_finished++;
}

static void
on_finished (MsDemo *demo, const GError *error, gpointer data)
{
  DemoResult *res = data;
  g_assert_no_error (error);
  res->finished = TRUE;
  g_main_loop_quit (res->loop);
}

static gboolean
on_timeout (gpointer data)
{
  g_error ("the demo did not finish within %d s", TEST_DEMO_TIMEOUT_S);
  return G_SOURCE_REMOVE;
}

/* Runs a demo of `kind` without capture to its end. */
static MsDemo *
run_demo (MsDemoKind kind, DemoResult *res)
{
  MsDemoOptions o;
  g_autoptr (GError) error = NULL;
  const MsDemoCallbacks cb = { on_phase_started, on_step, NULL, on_events, on_phase_finished,
                               on_finished };

  ms_demo_options_init (&o);
  o.kind = kind;
  o.no_capture = TRUE;
  memset (res, 0, sizeof *res);
  res->loop = g_main_loop_new (NULL, FALSE);
  MsDemo *demo = ms_demo_new (&o, &cb, res, &error);
  ms_demo_options_clear (&o);
  g_assert_no_error (error);
  g_assert_nonnull (demo);
  for (guint svc = 0; svc < MS_LAB_N_SERVICES; svc++)
    g_assert_cmpuint (ms_demo_port (demo, svc), >, 0);
  guint timer = g_timeout_add_seconds (TEST_DEMO_TIMEOUT_S, on_timeout, NULL);
  ms_demo_start (demo);
  g_main_loop_run (res->loop);
  g_source_remove (timer);
  g_main_loop_unref (res->loop);
  g_assert_true (res->finished);
  g_assert_cmpuint (res->phases_finished, ==, ms_demo_n_phases (demo));
  g_assert_cmpint (ms_demo_capture_mode (demo), ==, MS_CAPTURE_NONE);
  g_assert_nonnull (ms_demo_capture_reason (demo));
  g_assert_cmpuint (res->events, ==, 0);
  return demo;
}

static void
test_compare (void)
{
  DemoResult res;
  MsDemo *demo = run_demo (MS_DEMO_COMPARE, &res);
  const GPtrArray *runs = ms_demo_runs (demo);

  g_assert_cmpuint (runs->len, ==, 2);
  const MsDemoRun *imap = runs->pdata[0], *pop3 = runs->pdata[1];
  g_assert_cmpint (imap->proto, ==, MS_PROTO_IMAP);
  g_assert_cmpint (pop3->proto, ==, MS_PROTO_POP3);
  g_assert_null (imap->error);
  g_assert_null (pop3->error);
  g_assert_true (imap->report->completed);
  g_assert_true (pop3->report->completed);
  g_assert_cmpuint (imap->report->content_bytes, >, 0);
  g_assert_cmpuint (imap->report->content_bytes, <, pop3->report->content_bytes);
  g_assert_false (imap->report->attachment_downloaded);
  g_assert_true (pop3->report->attachment_downloaded);
  g_assert_cmpuint (imap->report->messages_left, ==, imap->report->messages_on_server);
  g_assert_cmpuint (pop3->report->messages_left, ==, 0);
  g_assert_cmpuint (res.steps, >=, 16);

  g_autoptr (GPtrArray) table = ms_demo_comparison_table (demo);
  g_assert_cmpuint (table->len, ==, 9);
  for (guint r = 0; r < table->len; r++)
    g_assert_cmpuint (g_strv_length (table->pdata[r]), ==, 3);
  char **head = table->pdata[0];
  g_assert_cmpstr (head[1], ==, "IMAP");
  g_assert_cmpstr (head[2], ==, "POP3");
  ms_demo_free (demo);
}

static void
test_shared (void)
{
  DemoResult res;
  MsDemo *demo = run_demo (MS_DEMO_SHARED, &res);
  const GPtrArray *runs = ms_demo_runs (demo);
  gboolean expunge = FALSE, refused = FALSE;

  g_assert_cmpuint (runs->len, ==, 4);
  g_assert_cmpuint (ms_demo_n_phases (demo), ==, 2);
  for (guint i = 0; i < runs->len; i++)
    {
      const MsDemoRun *r = runs->pdata[i];
      g_assert_true (r->finished);
      if (r->failure_expected)
        {
          g_assert_nonnull (r->error);
          g_assert_nonnull (r->refusal);
          g_assert_nonnull (strstr (r->refusal, "[IN-USE]"));
          refused = TRUE;
        }
      else
        g_assert_null (r->error);
      for (guint k = 0; k < r->pushed->len; k++)
        expunge |= strstr (r->pushed->pdata[k], "EXPUNGE") != NULL;
    }
  g_assert_true (expunge);
  g_assert_true (refused);
  ms_demo_free (demo);
}

static void
test_permission_hint (void)
{
  g_setenv ("MAILSCOPE_CAPTURE_HELPER", "/opt/example/mailscope-capture", TRUE);
  g_autofree char *hint = ms_capture_permission_hint ();
  g_assert_nonnull (strstr (hint, "setcap cap_net_raw,cap_net_admin=eip "
                                  "/opt/example/mailscope-capture"));
  g_assert_null (strchr (hint, '\n'));
  g_unsetenv ("MAILSCOPE_CAPTURE_HELPER");
  g_assert_cmpstr (ms_capture_helper_path (), !=, "");
}

static void
test_kind_names (void)
{
  MsDemoKind kind;
  g_assert_true (ms_demo_kind_from_name ("compare", &kind));
  g_assert_cmpint (kind, ==, MS_DEMO_COMPARE);
  g_assert_true (ms_demo_kind_from_name ("SHARED", &kind));
  g_assert_cmpint (kind, ==, MS_DEMO_SHARED);
  g_assert_false (ms_demo_kind_from_name ("smtp", &kind));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/demo/kind-names", test_kind_names);
  g_test_add_func ("/demo/permission-hint", test_permission_hint);
  g_test_add_func ("/demo/compare-without-capture", test_compare);
  g_test_add_func ("/demo/shared-without-capture", test_shared);
  return g_test_run ();
}
