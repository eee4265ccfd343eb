/* test-compare.c - the IMAP-versus-POP3 comparison over recorded lab
 * captures (samples/): measures against the session summaries and the
 * packets in the file, the aligned step rows, the comparison points and
 * their evidence (checked against the sample's expected JSON lines), fed
 * whole and one event at a time. */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "mailscope/ms-compare.h"
#include "mailscope/ms-lesson.h"
#include "mailscope/ms-packet.h"
#include "mailscope/ms-pipeline.h"
#include "mailscope/ms-source.h"

/* --- running a capture -------------------------------------------------- */

typedef struct {
  MsAddr src, dst;
  guint32 len;
} Packet;

typedef struct {
  MsLesson *lesson;
  GPtrArray *events;     /* MsEvent *, after the lesson */
  GArray *sessions;      /* guint: session id of each event */
  GArray *packets;       /* Packet */
} Run;

static void
on_event (MsEvent *ev, gpointer data)
{
  Run *run = data;
  const MsSessionSummary *s;
  guint id;

  ms_lesson_process (run->lesson, ev);
  s = ms_lesson_current_session (run->lesson);
  id = s ? s->id : 0;
  g_ptr_array_add (run->events, ms_event_ref (ev));
  g_array_append_val (run->sessions, id);
}

static char *
sample_path (const char *name)
{
  return g_build_filename (g_getenv ("MS_SOURCE_ROOT"), "samples", name, NULL);
}

/* Decodes samples/NAME.pcap: every event through the lesson, every packet
 * with its endpoints. */
static Run *
run_sample (const char *name)
{
  g_autofree char *file = g_strconcat (name, ".pcap", NULL);
  g_autofree char *path = sample_path (file);
  g_autoptr (GError) error = NULL;
  MsPipelineOptions opts;
  MsSource *src = ms_source_open_file (path, &error);
  MsPipeline *p;
  MsFrame frame;
  Run *run = g_new0 (Run, 1);
  int r;

  g_assert_no_error (error);
  run->lesson = ms_lesson_new ();
  run->events = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_event_unref);
  run->sessions = g_array_new (FALSE, FALSE, sizeof (guint));
  run->packets = g_array_new (FALSE, FALSE, sizeof (Packet));
  ms_pipeline_options_init (&opts);
  p = ms_pipeline_new (&opts, on_event, run);
  while ((r = ms_source_next (src, &frame, &error)) == 1)
    {
      MsPacket pkt;
      ms_pipeline_feed (p, &frame);
      ms_packet_decode (&frame, NULL, &pkt);
      if (pkt.src.family != 0)
        {
          Packet k = { pkt.src, pkt.dst, frame.len };
          g_array_append_val (run->packets, k);
        }
      ms_packet_clear (&pkt);
    }
  g_assert_no_error (error);
  g_assert_cmpint (r, ==, 0);
  ms_pipeline_finish (p);
  ms_pipeline_free (p);
  ms_source_close (src);
  return run;
}

static void
run_free (Run *run)
{
  ms_lesson_free (run->lesson);
  g_ptr_array_unref (run->events);
  g_array_unref (run->sessions);
  g_array_unref (run->packets);
  g_free (run);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Run, run_free)

static void
feed_packets (MsCompare *cmp, Run *run)
{
  for (guint i = 0; i < run->packets->len; i++)
    {
      const Packet *k = &g_array_index (run->packets, Packet, i);
      ms_compare_add_packet (cmp, &k->src, &k->dst, k->len);
    }
}

static MsCompare *
compare_whole (Run *run)
{
  MsCompare *cmp = ms_compare_new ();
  for (guint i = 0; i < run->events->len; i++)
    ms_compare_add_event (cmp, g_array_index (run->sessions, guint, i), run->events->pdata[i]);
  feed_packets (cmp, run);
  ms_compare_build (cmp, ms_lesson_sessions (run->lesson), 0, 0);
  return cmp;
}

static const MsSessionSummary *
find_summary (Run *run, guint id)
{
  const GPtrArray *all = ms_lesson_sessions (run->lesson);
  for (guint i = 0; i < all->len; i++)
    if (((const MsSessionSummary *) all->pdata[i])->id == id)
      return all->pdata[i];
  return NULL;
}

/* --- what the sample's expected JSON lines say --------------------------- */

typedef struct {
  gint64 imap_exists;        /* first EXISTS */
  guint imap_exists_frame;
  guint imap_expunges;
  gint64 pop3_stat;          /* count in STAT's answer */
  guint pop3_stat_frame;
  guint pop3_deles;          /* DELE answered +OK */
  guint pop3_quit_frame;     /* QUIT answered +OK, 0 when never */
  GArray *imap_content_frames;   /* guint: untagged FETCH moving content */
  GArray *pop3_retr_frames;      /* guint: answers to RETR */
  guint pop3_refusal_frame;  /* a -ERR saying the maildrop is in use */
} Expected;

static void
expected_clear (Expected *x)
{
  g_array_unref (x->imap_content_frames);
  g_array_unref (x->pop3_retr_frames);
}

static const char *
member_str (JsonObject *o, const char *name)
{
  return json_object_has_member (o, name) ? json_object_get_string_member (o, name) : NULL;
}

static void
expected_load (const char *name, Expected *x)
{
  g_autofree char *file = g_strconcat (name, ".jsonl", NULL);
  g_autofree char *path = sample_path (file);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GError) error = NULL;

  memset (x, 0, sizeof *x);
  x->imap_exists = -1;
  x->pop3_stat = -1;
  x->imap_content_frames = g_array_new (FALSE, FALSE, sizeof (guint));
  x->pop3_retr_frames = g_array_new (FALSE, FALSE, sizeof (guint));
  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      g_autoptr (JsonParser) parser = json_parser_new ();
      JsonObject *o;
      const char *proto, *event, *kind, *status, *for_command, *info;
      guint frame;

      if (lines[i][0] == '\0')
        continue;
      json_parser_load_from_data (parser, lines[i], -1, &error);
      g_assert_no_error (error);
      o = json_node_get_object (json_parser_get_root (parser));
      proto = member_str (o, "proto");
      event = member_str (o, "event");
      kind = member_str (o, "kind");
      status = member_str (o, "status");
      for_command = member_str (o, "for_command");
      info = member_str (o, "info");
      frame = (guint) json_object_get_int_member (o, "frame");
      if (g_strcmp0 (proto, "imap") == 0 && g_strcmp0 (event, "untagged") == 0)
        {
          if (g_strcmp0 (kind, "EXISTS") == 0 && x->imap_exists < 0)
            {
              x->imap_exists = json_object_get_int_member (o, "number");
              x->imap_exists_frame = frame;
            }
          if (g_strcmp0 (kind, "EXPUNGE") == 0)
            x->imap_expunges++;
          if (g_strcmp0 (kind, "FETCH") == 0 && json_object_has_member (o, "content_bytes"))
            g_array_append_val (x->imap_content_frames, frame);
        }
      if (g_strcmp0 (proto, "pop3") == 0 && g_strcmp0 (event, "response") == 0)
        {
          gboolean ok = g_strcmp0 (status, "+OK") == 0;
          if (ok && g_strcmp0 (for_command, "STAT") == 0 && x->pop3_stat < 0)
            {
              x->pop3_stat = g_ascii_strtoll (info + 4, NULL, 10);
              x->pop3_stat_frame = frame;
            }
          if (ok && g_strcmp0 (for_command, "DELE") == 0)
            x->pop3_deles++;
          if (ok && g_strcmp0 (for_command, "QUIT") == 0 && x->pop3_quit_frame == 0)
            x->pop3_quit_frame = frame;
          if (ok && g_strcmp0 (for_command, "RETR") == 0)
            g_array_append_val (x->pop3_retr_frames, frame);
          if (!ok && info && strstr (info, "in use") && x->pop3_refusal_frame == 0)
            x->pop3_refusal_frame = frame;
        }
    }
}

/* --- checks ------------------------------------------------------------- */

static const MsCompareStatement *
statement (MsCompare *cmp, MsComparePoint point)
{
  for (guint i = 0; i < ms_compare_get_n_statements (cmp); i++)
    if (ms_compare_get_statement (cmp, i)->point == point)
      return ms_compare_get_statement (cmp, i);
  g_assert_not_reached ();
  return NULL;
}

/* TRUE when the statement cites `frame` from that side's trace, and the
 * text names it. */
static gboolean
cites (const MsCompareStatement *st, MsCompareSide side, guint frame)
{
  g_autofree char *needle = g_strdup_printf (" %u", frame);
  for (guint i = 0; i < st->evidence->len; i++)
    {
      const MsCompareEvidence *e = st->evidence->pdata[i];
      if (e->side == side && e->frame == frame && strstr (e->text, needle))
        return TRUE;
    }
  return FALSE;
}

static gboolean
has_side (const MsCompareStatement *st, MsCompareSide side)
{
  for (guint i = 0; i < st->evidence->len; i++)
    if (((const MsCompareEvidence *) st->evidence->pdata[i])->side == side)
      return TRUE;
  return FALSE;
}

/* Packets and their bytes between the session's two endpoints. */
static void
count_packets (Run *run, const MsSessionSummary *s, guint64 *packets, guint64 *bytes)
{
  *packets = *bytes = 0;
  for (guint i = 0; i < run->packets->len; i++)
    {
      const Packet *k = &g_array_index (run->packets, Packet, i);
      if ((ms_addr_equal (&k->src, &s->client) && ms_addr_equal (&k->dst, &s->server))
          || (ms_addr_equal (&k->src, &s->server) && ms_addr_equal (&k->dst, &s->client)))
        {
          (*packets)++;
          *bytes += k->len;
        }
    }
}

static void
check_measures_match_summary (Run *run, MsCompare *cmp, MsCompareSide side, MsProto proto)
{
  const MsCompareMeasures *m = ms_compare_get_measures (cmp, side);
  const MsSessionSummary *s = find_summary (run, m->session);
  guint64 packets, bytes;

  g_assert_nonnull (s);
  g_assert_cmpint (s->proto, ==, proto);
  g_assert_cmpuint (m->bytes[MS_DIR_C2S], ==, s->total.bytes[MS_DIR_C2S]);
  g_assert_cmpuint (m->bytes[MS_DIR_S2C], ==, s->total.bytes[MS_DIR_S2C]);
  g_assert_cmpuint (m->round_trips, ==, s->total.round_trips);
  g_assert_cmpuint (m->content_bytes, ==, s->content_bytes);
  g_assert_cmpfloat_with_epsilon (m->duration, s->total.last_time - s->total.first_time, 1e-9);
  count_packets (run, s, &packets, &bytes);
  g_assert_true (m->packets_counted);
  g_assert_cmpuint (m->packets, ==, packets);
  g_assert_cmpuint (m->wire_bytes, ==, bytes);
  /* more packets than frames carrying events: the bare ACKs count too */
  g_assert_cmpuint (m->packets, >=, s->total.frames);
}

static void
test_compare_demo (void)
{
  g_autoptr (Run) run = run_sample ("demo-compare");
  g_autoptr (MsCompare) cmp = compare_whole (run);
  const MsCompareMeasures *mi = ms_compare_get_measures (cmp, MS_COMPARE_IMAP);
  const MsCompareMeasures *mp = ms_compare_get_measures (cmp, MS_COMPARE_POP3);
  Expected x;

  expected_load ("demo-compare", &x);
  g_assert_true (ms_compare_is_complete (cmp));
  check_measures_match_summary (run, cmp, MS_COMPARE_IMAP, MS_PROTO_IMAP);
  check_measures_match_summary (run, cmp, MS_COMPARE_POP3, MS_PROTO_POP3);

  /* What the mailbox held and lost, as the JSON lines tell it. */
  g_assert_cmpint (x.imap_exists, >, 0);
  g_assert_cmpint (mi->messages_at_start, ==, x.imap_exists);
  g_assert_cmpuint (mi->messages_frame, ==, x.imap_exists_frame);
  g_assert_cmpuint (mi->messages_removed, ==, x.imap_expunges);
  g_assert_cmpint (mi->messages_left, ==, x.imap_exists - (gint64) x.imap_expunges);
  g_assert_cmpint (mp->messages_at_start, ==, x.pop3_stat);
  g_assert_cmpuint (mp->messages_frame, ==, x.pop3_stat_frame);
  g_assert_cmpuint (mp->deletions_marked, ==, x.pop3_deles);
  g_assert_true (mp->quit_completed == (x.pop3_quit_frame != 0));
  g_assert_cmpuint (mp->left_frame, ==, x.pop3_quit_frame);
  g_assert_cmpint (mp->messages_left, ==, x.pop3_stat - (x.pop3_quit_frame ? x.pop3_deles : 0));
  /* Both saw the same mailbox: POP3's size stands in for IMAP's unknown one. */
  g_assert_cmpint (mp->mailbox_bytes, >=, 0);
  if (find_summary (run, mi->session)->mailbox_bytes < 0)
    {
      g_assert_true (mi->mailbox_from_other);
      g_assert_cmpint (mi->mailbox_bytes, ==, mp->mailbox_bytes);
    }
  g_assert_cmpuint (mp->messages_whole, ==, x.pop3_retr_frames->len);
  g_assert_cmpuint (mi->messages_fetched, >, mi->messages_whole);

  /* Partial fetch: every content FETCH of IMAP and every RETR is cited. */
  const MsCompareStatement *st = statement (cmp, MS_COMPARE_POINT_PARTIAL_FETCH);
  g_assert_cmpint (st->verdict, ==, MS_COMPARE_SHOWN);
  g_assert_cmpuint (x.imap_content_frames->len, >, 0);
  for (guint i = 0; i < x.imap_content_frames->len && i < MS_COMPARE_MAX_EVIDENCE; i++)
    g_assert_true (cites (st, MS_COMPARE_IMAP, g_array_index (x.imap_content_frames, guint, i)));
  for (guint i = 0; i < x.pop3_retr_frames->len && i < MS_COMPARE_MAX_EVIDENCE; i++)
    g_assert_true (cites (st, MS_COMPARE_POP3, g_array_index (x.pop3_retr_frames, guint, i)));

  /* Where the mail stays: EXISTS, STAT and QUIT's answer are cited. */
  st = statement (cmp, MS_COMPARE_POINT_MAIL_STAYS);
  g_assert_cmpint (st->verdict, ==, MS_COMPARE_SHOWN);
  g_assert_true (cites (st, MS_COMPARE_IMAP, x.imap_exists_frame));
  g_assert_true (cites (st, MS_COMPARE_POP3, x.pop3_stat_frame));
  g_assert_true (cites (st, MS_COMPARE_POP3, x.pop3_quit_frame));

  st = statement (cmp, MS_COMPARE_POINT_OFFLINE);
  g_assert_cmpint (st->verdict, ==, MS_COMPARE_SHOWN);

  /* One client at a time: honest about what is missing. */
  st = statement (cmp, MS_COMPARE_POINT_SEVERAL_CLIENTS);
  g_assert_cmpint (st->verdict, ==, MS_COMPARE_NO_EVIDENCE);
  g_assert_nonnull (strstr (st->finding, "shared-mailbox demo"));

  /* Every statement has evidence from both traces, IMAP's first. */
  g_assert_cmpuint (ms_compare_get_n_statements (cmp), ==, MS_COMPARE_N_POINTS);
  for (guint i = 0; i < ms_compare_get_n_statements (cmp); i++)
    {
      const MsCompareStatement *s = ms_compare_get_statement (cmp, i);
      g_assert_true (has_side (s, MS_COMPARE_IMAP));
      g_assert_true (has_side (s, MS_COMPARE_POP3));
      g_assert_cmpint (((const MsCompareEvidence *) s->evidence->pdata[0])->side, ==, MS_COMPARE_IMAP);
      g_assert_nonnull (s->title);
      g_assert_nonnull (s->claim);
      g_assert_nonnull (s->finding);
    }
  expected_clear (&x);
}

/* Rows: lesson order, each step once, present where the summary has it. */
static void
test_rows_aligned (void)
{
  g_autoptr (Run) run = run_sample ("demo-compare");
  g_autoptr (MsCompare) cmp = compare_whole (run);
  const MsSessionSummary *s[2] = {
    find_summary (run, ms_compare_get_measures (cmp, MS_COMPARE_IMAP)->session),
    find_summary (run, ms_compare_get_measures (cmp, MS_COMPARE_POP3)->session),
  };
  guint expected_rows = 0;
  gboolean blank_seen = FALSE;

  for (MsStep step = MS_STEP_DNS; step < MS_STEP_N; step++)
    expected_rows += s[0]->steps[step].events > 0 || s[1]->steps[step].events > 0;
  g_assert_cmpuint (ms_compare_get_n_rows (cmp), ==, expected_rows);
  for (guint i = 0; i < ms_compare_get_n_rows (cmp); i++)
    {
      const MsCompareRow *r = ms_compare_get_row (cmp, i);
      if (i > 0)
        g_assert_cmpint (r->step, >, ms_compare_get_row (cmp, i - 1)->step);
      for (guint side = 0; side < 2; side++)
        {
          const MsStepStats *st = &s[side]->steps[r->step];
          g_assert_true (r->present[side] == (st->events > 0));
          if (!r->present[side])
            {
              blank_seen = TRUE;
              g_assert_null (r->commands[side]);
              continue;
            }
          g_assert_cmpuint (r->bytes[side], ==, st->bytes[0] + st->bytes[1]);
          g_assert_cmpuint (r->round_trips[side], ==, st->round_trips);
          g_assert_cmpuint (r->first_frame[side], >, 0);
        }
      /* POP3's fetch row names RETR; its update row DELE, blank for IMAP. */
      if (r->step == MS_STEP_FETCH)
        g_assert_nonnull (strstr (r->commands[MS_COMPARE_POP3], "RETR"));
      if (r->step == MS_STEP_UPDATE && r->present[MS_COMPARE_POP3])
        g_assert_nonnull (strstr (r->commands[MS_COMPARE_POP3], "DELE"));
    }
  g_assert_true (blank_seen);
}

/* Fed one event at a time and rebuilt after each, the end is the same as
 * feeding everything at once. */
static void
test_one_at_a_time (void)
{
  g_autoptr (Run) run = run_sample ("demo-compare");
  g_autoptr (MsCompare) whole = compare_whole (run);
  g_autoptr (MsCompare) step = ms_compare_new ();
  g_autofree char *a = NULL, *b = NULL;
  gboolean complete_before_end = FALSE;

  feed_packets (step, run);
  for (guint i = 0; i < run->events->len; i++)
    {
      ms_compare_add_event (step, g_array_index (run->sessions, guint, i), run->events->pdata[i]);
      /* The summaries are final, the events partial: building must hold. */
      if (ms_compare_build (step, ms_lesson_sessions (run->lesson), 0, 0))
        complete_before_end = TRUE;
      g_assert_cmpuint (ms_compare_get_n_statements (step), ==, MS_COMPARE_N_POINTS);
    }
  g_assert_true (complete_before_end);
  a = ms_compare_format (whole);
  b = ms_compare_format (step);
  g_assert_cmpstr (a, ==, b);
}

/* The shared demo: two IMAP clients at once, a POP3 client locked out. */
static void
test_shared_demo (void)
{
  g_autoptr (Run) run = run_sample ("demo-shared");
  g_autoptr (MsCompare) cmp = compare_whole (run);
  const MsCompareStatement *st;
  Expected x;

  expected_load ("demo-shared", &x);
  g_assert_cmpuint (x.pop3_refusal_frame, >, 0);
  g_assert_true (ms_compare_is_complete (cmp));
  st = statement (cmp, MS_COMPARE_POINT_SEVERAL_CLIENTS);
  g_assert_cmpint (st->verdict, ==, MS_COMPARE_SHOWN);
  g_assert_true (cites (st, MS_COMPARE_POP3, x.pop3_refusal_frame));
  g_assert_true (has_side (st, MS_COMPARE_IMAP));
  /* The POP3 side compared is the client that got in, not the refused one. */
  g_assert_cmpint (ms_compare_get_measures (cmp, MS_COMPARE_POP3)->messages_at_start, >=, 0);
  expected_clear (&x);
}

/* Only IMAP: the POP3 side is blank and every statement says so. */
static void
test_one_side_missing (void)
{
  g_autoptr (Run) run = run_sample ("demo-imap");
  g_autoptr (MsCompare) cmp = compare_whole (run);
  const MsCompareMeasures *mp = ms_compare_get_measures (cmp, MS_COMPARE_POP3);

  g_assert_false (ms_compare_is_complete (cmp));
  g_assert_cmpuint (mp->session, ==, 0);
  for (MsCompareMeasure k = 0; k < MS_COMPARE_N_MEASURES; k++)
    {
      g_autofree char *cell = ms_compare_format_measure (mp, k);
      g_assert_cmpstr (cell, ==, "–");
    }
  for (guint i = 0; i < ms_compare_get_n_rows (cmp); i++)
    g_assert_false (ms_compare_get_row (cmp, i)->present[MS_COMPARE_POP3]);
  for (guint i = 0; i < ms_compare_get_n_statements (cmp); i++)
    {
      const MsCompareStatement *st = ms_compare_get_statement (cmp, i);
      g_assert_true (has_side (st, MS_COMPARE_POP3));
      g_assert_cmpint (st->verdict, !=, MS_COMPARE_SHOWN);
    }
}

/* Sessions named by id are the ones compared. */
static void
test_named_sessions (void)
{
  g_autoptr (Run) run = run_sample ("demo-compare");
  g_autoptr (MsCompare) cmp = compare_whole (run);
  guint imap = ms_compare_get_measures (cmp, MS_COMPARE_IMAP)->session;
  guint pop3 = ms_compare_get_measures (cmp, MS_COMPARE_POP3)->session;

  g_assert_true (ms_compare_build (cmp, ms_lesson_sessions (run->lesson), imap, pop3));
  g_assert_cmpuint (ms_compare_get_measures (cmp, MS_COMPARE_IMAP)->session, ==, imap);
  /* A POP3 id on the IMAP side names no IMAP session. */
  g_assert_false (ms_compare_build (cmp, ms_lesson_sessions (run->lesson), pop3, pop3));
  g_assert_cmpuint (ms_compare_get_measures (cmp, MS_COMPARE_IMAP)->session, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/compare/demo", test_compare_demo);
  g_test_add_func ("/compare/rows-aligned", test_rows_aligned);
  g_test_add_func ("/compare/one-at-a-time", test_one_at_a_time);
  g_test_add_func ("/compare/shared-demo", test_shared_demo);
  g_test_add_func ("/compare/one-side-missing", test_one_side_missing);
  g_test_add_func ("/compare/named-sessions", test_named_sessions);
  return g_test_run ();
}
