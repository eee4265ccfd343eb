/* ms-compare-points.c - the classic IMAP-versus-POP3 points (partial fetch,
 * several clients on one mailbox, offline reading, where the mail stays)
 * judged against the two traces, each with the frames that show it; the
 * measures as shown; and the whole comparison as text. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ms-compare-private.h"

/* --- evidence ------------------------------------------------------------ */

static void
evidence_free (gpointer data)
{
  MsCompareEvidence *e = data;
  g_free (e->text);
  g_free (e);
}

static MsCompareStatement *
statement_new (MsCompare *cmp, MsComparePoint point, const char *title, const char *claim)
{
  MsCompareStatement *st = g_new0 (MsCompareStatement, 1);
  st->point = point;
  st->title = title;
  st->claim = claim;
  st->verdict = MS_COMPARE_NO_EVIDENCE;
  st->evidence = g_ptr_array_new_with_free_func (evidence_free);
  g_ptr_array_add (cmp->statements, st);
  return st;
}

/* Takes text. */
static void
add (MsCompareStatement *st, MsCompareSide side, guint32 frame, char *text)
{
  MsCompareEvidence *e = g_new0 (MsCompareEvidence, 1);
  e->side = side;
  e->frame = frame;
  e->text = text;
  g_ptr_array_add (st->evidence, e);
}

static void
add_more (MsCompareStatement *st, MsCompareSide side, guint shown, guint total)
{
  if (total > shown)
    add (st, side, 0,
         g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "… and %u more like it",
                                       "… and %u more like them", total - shown),
                          total - shown));
}

static char *
count (guint64 n)
{
  char buf[32];
  return g_strdup (ms_narration_format_count (n, buf, sizeof buf));
}

/* A message's whole size as the POP3 trace told it, or -1. */
static gint64
pop3_size (Session *pop, gint64 number, guint32 *frame)
{
  const Message *m = pop && number > 0
                       ? g_hash_table_lookup (pop->messages, GINT_TO_POINTER ((gint) number))
                       : NULL;
  if (m == NULL || m->size < 0)
    return -1;
  *frame = m->size_frame;
  return m->size;
}

/* --- partial fetch ------------------------------------------------------- */

static void
partial_fetch (MsCompare *cmp, const MsSessionSummary *const sums[], Session *const ss[],
               gboolean same_mailbox)
{
  MsCompareStatement *st = statement_new (
      cmp, MS_COMPARE_POINT_PARTIAL_FETCH, _("Partial fetch"),
      _("IMAP can fetch a single part of a message and leave the rest, such as a large "
        "attachment, on the server. POP3’s RETR always moves the whole message."));
  const MsCompareMeasures *mi = &cmp->measures[MS_COMPARE_IMAP];
  const MsCompareMeasures *mp = &cmp->measures[MS_COMPARE_POP3];
  Session *imap = ss[MS_COMPARE_IMAP], *pop = ss[MS_COMPARE_POP3];
  guint missed = sums[MS_COMPARE_IMAP] ? ms_session_summary_attachments_missed (sums[MS_COMPARE_IMAP]) : 0;

  if (imap && imap->fetches->len)
    {
      for (guint i = 0; i < imap->fetches->len; i++)
        {
          const Cite *c = imap->fetches->pdata[i];
          guint32 frame = 0;
          gint64 size = same_mailbox ? pop3_size (pop, c->number, &frame) : -1;
          if (size >= 0)
            {
              g_autofree char *n = count ((guint64) size);
              /* TRANSLATORS: evidence, cited FETCH; message number, its size, POP3 frame */
              add (st, MS_COMPARE_IMAP, c->frame,
                   g_strdup_printf (_("%s; the whole message %u is %s bytes (POP3 frame %u)"),
                                    c->text, (guint) c->number, n, frame));
            }
          else
            add (st, MS_COMPARE_IMAP, c->frame, g_strdup (c->text));
        }
      add_more (st, MS_COMPARE_IMAP, imap->fetches->len, imap->n_fetches);
    }
  else if (sums[MS_COMPARE_IMAP])
    add (st, MS_COMPARE_IMAP, 0, g_strdup (_("IMAP: no FETCH in this session moved message content.")));
  for (guint i = 0; sums[MS_COMPARE_IMAP] && i < sums[MS_COMPARE_IMAP]->n_attachments; i++)
    {
      const MsAttachment *a = &sums[MS_COMPARE_IMAP]->attachments[i];
      const Message *m = imap ? g_hash_table_lookup (imap->messages, GINT_TO_POINTER ((gint) a->message)) : NULL;
      guint32 frame = m ? m->structure_frame : 0;
      g_autofree char *n = count ((guint64) MAX (a->size, 0));
      if (a->fetched)
        continue;
      /* TRANSLATORS: evidence: frame, message, part, MIME type, size */
      add (st, MS_COMPARE_IMAP, frame,
           g_strdup_printf (_("IMAP frame %u: the structure of message %u lists part %s (%s, %s bytes); no FETCH asked for it"),
                            frame, a->message, a->part, a->type, n));
    }
  if (pop && pop->fetches->len)
    {
      for (guint i = 0; i < pop->fetches->len; i++)
        {
          const Cite *c = pop->fetches->pdata[i];
          add (st, MS_COMPARE_POP3, c->frame, g_strdup (c->text));
        }
      add_more (st, MS_COMPARE_POP3, pop->fetches->len, pop->n_fetches);
    }
  else if (sums[MS_COMPARE_POP3])
    add (st, MS_COMPARE_POP3, 0, g_strdup (_("POP3: no RETR or TOP in this session.")));
  if (sums[MS_COMPARE_IMAP] == NULL)
    add (st, MS_COMPARE_IMAP, 0, g_strdup (_("IMAP: the capture holds no IMAP session.")));
  if (sums[MS_COMPARE_POP3] == NULL)
    add (st, MS_COMPARE_POP3, 0, g_strdup (_("POP3: the capture holds no POP3 session.")));

  gboolean imap_partial = mi->content_bytes > 0
                          && (mi->messages_fetched > mi->messages_whole || missed > 0);
  g_autofree char *ci = count (mi->content_bytes);
  g_autofree char *cp = count (mp->content_bytes);
  if (imap_partial && mp->messages_whole > 0)
    {
      st->verdict = MS_COMPARE_SHOWN;
      st->finding = g_strdup_printf (
          _("The IMAP client moved %s bytes of content, only the parts it showed. The POP3 "
            "client’s RETR moved %s bytes: every message whole, attachments included."),
          ci, cp);
    }
  else if (mi->content_bytes > 0 && !imap_partial)
    {
      st->verdict = MS_COMPARE_NOT_SHOWN;
      st->finding = g_strdup (_("Here the IMAP client fetched whole messages too, so the traces "
                                "show no difference, although IMAP could have asked for one part."));
    }
  else if (imap_partial)
    {
      st->verdict = MS_COMPARE_NOT_SHOWN;
      st->finding = g_strdup (_("The IMAP client fetched only parts, but the POP3 client "
                                "downloaded no whole message to set against it."));
    }
  else
    st->finding = g_strdup (_("One of the traces moved no message content, so they cannot be "
                              "compared on this point."));
}

/* --- several clients ---------------------------------------------------- */

static void
several_clients (MsCompare *cmp, const GPtrArray *all)
{
  MsCompareStatement *st = statement_new (
      cmp, MS_COMPARE_POINT_SEVERAL_CLIENTS, _("Several clients on one mailbox"),
      _("Several IMAP clients can work on one mailbox at the same time and learn of each "
        "other’s changes. POP3 expects a single client and locks the mailbox while it is "
        "in use."));
  const MsSessionSummary *first = NULL, *second = NULL;
  guint n_imap = 0, n_pop = 0, n_overlaps = 0, pushed_shown = 0, pushed_total = 0;
  guint refusals = 0;

  g_autoptr (GPtrArray) imap = g_ptr_array_new ();
  for (guint i = 0; all && i < all->len; i++)
    {
      const MsSessionSummary *a = all->pdata[i];
      if (a->dns_group)
        continue;
      n_imap += a->proto == MS_PROTO_IMAP;
      n_pop += a->proto == MS_PROTO_POP3;
      /* Overlaps are looked for among the first sessions only: every pair
       * is tried. */
      if (a->proto == MS_PROTO_IMAP && imap->len < MS_COMPARE_MAX_SESSIONS)
        g_ptr_array_add (imap, (gpointer) a);
    }
  for (guint i = 0; i < imap->len; i++)
    for (guint k = i + 1; k < imap->len; k++)
      {
        const MsSessionSummary *a = imap->pdata[i], *b = imap->pdata[k];
        if (!ms_addr_equal (&a->server, &b->server)
            || !(a->total.first_time < b->total.last_time
                 && b->total.first_time < a->total.last_time))
          continue;
        if (n_overlaps++ == 0)
          {
            first = a;
            second = b;
          }
      }
  if (first)
    {
      Session *a = ms_compare_find_session (cmp, first->id);
      Session *b = ms_compare_find_session (cmp, second->id);
      guint32 af = a ? a->first_frame : 0, al = a ? a->last_frame : 0;
      guint32 bf = b ? b->first_frame : 0, bl = b ? b->last_frame : 0;
      /* TRANSLATORS: evidence: two session ids and their frame ranges */
      add (st, MS_COMPARE_IMAP, bf,
           g_strdup_printf (_("IMAP sessions %u (frames %u–%u) and %u (frames %u–%u) were open at the same time"),
                            first->id, af, al, second->id, bf, bl));
      add_more (st, MS_COMPARE_IMAP, 1, n_overlaps);
    }
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, cmp->sessions);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      Session *s = value;
      pushed_total += s->n_pushed;
      for (guint i = 0; i < s->pushed->len && pushed_shown < MS_COMPARE_MAX_EVIDENCE; i++, pushed_shown++)
        {
          const Cite *c = s->pushed->pdata[i];
          add (st, MS_COMPARE_IMAP, c->frame, g_strdup (c->text));
        }
      if (s->refusal)
        {
          if (refusals++ < MS_COMPARE_MAX_EVIDENCE)
            add (st, MS_COMPARE_POP3, s->refusal->frame, g_strdup (s->refusal->text));
        }
    }
  add_more (st, MS_COMPARE_IMAP, pushed_shown, pushed_total);
  if (first == NULL && pushed_total == 0)
    add (st, MS_COMPARE_IMAP, 0,
         g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "IMAP: %u session in this capture; no second client was connected and nothing was pushed to a waiting one.",
                                       "IMAP: %u sessions in this capture, never two at once; nothing was pushed to a waiting client.",
                                       n_imap),
                          n_imap));
  if (refusals == 0)
    add (st, MS_COMPARE_POP3, 0,
         g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "POP3: %u session in this capture; no login was refused because the mailbox was in use.",
                                       "POP3: %u sessions in this capture; no login was refused because the mailbox was in use.",
                                       n_pop),
                          n_pop));
  /* Evidence lists IMAP's lines first. */
  for (guint i = 1; i < st->evidence->len; i++)
    for (guint k = i; k > 0; k--)
      {
        MsCompareEvidence *x = st->evidence->pdata[k - 1], *y = st->evidence->pdata[k];
        if (x->side <= y->side)
          break;
        st->evidence->pdata[k - 1] = y;
        st->evidence->pdata[k] = x;
      }

  gboolean imap_shared = first != NULL || pushed_total > 0;
  if (imap_shared && refusals > 0)
    {
      st->verdict = MS_COMPARE_SHOWN;
      st->finding = g_strdup (_("IMAP clients shared the mailbox at the same time and the server "
                                "told one about the other’s changes, while the POP3 server "
                                "turned a second client away."));
    }
  else if (imap_shared)
    {
      st->verdict = MS_COMPARE_SHOWN;
      st->finding = g_strdup (_("IMAP clients shared the mailbox at the same time. No second POP3 "
                                "client tried to log in, so the lock is not in these traces."));
    }
  else if (refusals > 0)
    {
      st->verdict = MS_COMPARE_SHOWN;
      st->finding = g_strdup (_("The POP3 server turned a second client away because the mailbox "
                                "was in use. No two IMAP sessions overlap in these traces."));
    }
  else
    st->finding = g_strdup (_("These traces hold one client at a time, so they cannot show it. The "
                              "shared-mailbox demo runs two IMAP clients on one mailbox, and a "
                              "second POP3 client that the lock turns away."));
}

/* --- offline reading ------------------------------------------------------ */

static void
offline (MsCompare *cmp, const MsSessionSummary *const sums[], Session *const ss[])
{
  MsCompareStatement *st = statement_new (
      cmp, MS_COMPARE_POINT_OFFLINE, _("Offline reading"),
      _("A POP3 client downloads whole messages and can read them without a connection. An "
        "IMAP client fetches what it shows, so reading anything else needs the server."));
  const MsCompareMeasures *mi = &cmp->measures[MS_COMPARE_IMAP];
  const MsCompareMeasures *mp = &cmp->measures[MS_COMPARE_POP3];
  Session *imap = ss[MS_COMPARE_IMAP], *pop = ss[MS_COMPARE_POP3];

  if (sums[MS_COMPARE_IMAP])
    {
      const MsStepStats *list = &sums[MS_COMPARE_IMAP]->steps[MS_STEP_LIST];
      g_autofree char *ci = count (mi->content_bytes);
      g_autofree char *mb = mi->mailbox_bytes >= 0 ? count ((guint64) mi->mailbox_bytes) : NULL;
      if (list->events > 0)
        {
          g_autofree char *lb = count (list->bytes[MS_DIR_S2C]);
          guint32 f = imap ? imap->step_first_frame[MS_STEP_LIST] : 0;
          /* TRANSLATORS: evidence: frame, bytes of the message list */
          add (st, MS_COMPARE_IMAP, f,
               g_strdup_printf (_("IMAP frame %u on: the message list came down (%s bytes): enough to show the list, not to read the messages"),
                                f, lb));
        }
      if (mi->messages_at_start >= 0)
        add (st, MS_COMPARE_IMAP, imap ? imap->first_fetch_frame : 0,
             mb ? g_strdup_printf (_("IMAP: content of %u of %u messages moved, %s of %s bytes; the rest is only on the server"),
                                   mi->messages_fetched, (guint) mi->messages_at_start, ci, mb)
                : g_strdup_printf (_("IMAP: content of %u of %u messages moved, %s bytes; the rest is only on the server"),
                                   mi->messages_fetched, (guint) mi->messages_at_start, ci));
    }
  else
    add (st, MS_COMPARE_IMAP, 0, g_strdup (_("IMAP: the capture holds no IMAP session.")));
  if (sums[MS_COMPARE_POP3])
    {
      g_autofree char *cp = count (mp->content_bytes);
      guint32 a = pop ? pop->first_fetch_frame : 0, b = pop ? pop->last_fetch_frame : 0;
      if (mp->messages_at_start >= 0)
        /* TRANSLATORS: evidence: frame range, messages whole, messages in all, bytes */
        add (st, MS_COMPARE_POP3, a,
             g_strdup_printf (_("POP3 frames %u–%u: %u of %u messages downloaded whole, %s bytes; the client holds a copy of each"),
                              a, b, mp->messages_whole, (guint) mp->messages_at_start, cp));
      else
        add (st, MS_COMPARE_POP3, a,
             g_strdup_printf (_("POP3 frames %u–%u: %u messages downloaded whole, %s bytes"),
                              a, b, mp->messages_whole, cp));
    }
  else
    add (st, MS_COMPARE_POP3, 0, g_strdup (_("POP3: the capture holds no POP3 session.")));

  gboolean known = mi->messages_at_start > 0 && mp->messages_at_start > 0;
  gboolean pop_full = known && mp->messages_whole >= mp->messages_at_start;
  gboolean imap_online = known && mi->messages_whole < mi->messages_at_start;
  if (!known)
    st->finding = g_strdup (_("The traces do not tell how many messages the mailbox held, so "
                              "they cannot show what each client could read offline."));
  else if (pop_full && imap_online)
    {
      st->verdict = MS_COMPARE_SHOWN;
      st->finding = g_strdup (_("After its session the POP3 client holds every message and could "
                                "read them offline. The IMAP client holds the list and the text it "
                                "showed; anything else means going back to the server."));
    }
  else if (!pop_full)
    {
      st->verdict = MS_COMPARE_NOT_SHOWN;
      st->finding = g_strdup (_("Here the POP3 client did not download every message, so it could "
                                "not read the whole mailbox offline either."));
    }
  else
    {
      st->verdict = MS_COMPARE_NOT_SHOWN;
      st->finding = g_strdup (_("Here the IMAP client downloaded every message too, so it could "
                                "read them offline as well."));
    }
}

/* --- where the mail stays ------------------------------------------------ */

static void
mail_stays (MsCompare *cmp, const MsSessionSummary *const sums[], Session *const ss[])
{
  MsCompareStatement *st = statement_new (
      cmp, MS_COMPARE_POINT_MAIL_STAYS, _("Where the mail stays"),
      _("With IMAP the mail stays on the server, where every client sees it. A POP3 client "
        "usually downloads it and deletes it from the server."));
  const MsCompareMeasures *mi = &cmp->measures[MS_COMPARE_IMAP];
  const MsCompareMeasures *mp = &cmp->measures[MS_COMPARE_POP3];
  Session *pop = ss[MS_COMPARE_POP3];

  if (sums[MS_COMPARE_IMAP] && mi->messages_at_start >= 0)
    {
      /* TRANSLATORS: evidence: frame, message count */
      add (st, MS_COMPARE_IMAP, mi->messages_frame,
           g_strdup_printf (_("IMAP frame %u: EXISTS — %u messages in the mailbox"),
                            mi->messages_frame, (guint) mi->messages_at_start));
      if (mi->messages_removed > 0)
        add (st, MS_COMPARE_IMAP, mi->left_frame,
             g_strdup_printf (_("IMAP frame %u: the last EXPUNGE — %u of %u messages left on the server"),
                              mi->left_frame, (guint) mi->messages_left, (guint) mi->messages_at_start));
      else
        add (st, MS_COMPARE_IMAP, 0,
             g_strdup_printf (_("IMAP: no EXPUNGE in this session; %u of %u messages stay on the server"),
                              (guint) mi->messages_left, (guint) mi->messages_at_start));
    }
  else
    add (st, MS_COMPARE_IMAP, 0,
         g_strdup (sums[MS_COMPARE_IMAP] ? _("IMAP: the trace never shows how many messages the mailbox held.")
                                         : _("IMAP: the capture holds no IMAP session.")));

  if (sums[MS_COMPARE_POP3] && mp->messages_at_start >= 0)
    {
      add (st, MS_COMPARE_POP3, mp->messages_frame,
           g_strdup_printf (_("POP3 frame %u: %u messages waiting"),
                            mp->messages_frame, (guint) mp->messages_at_start));
      if (mp->deletions_marked > 0 && pop)
        add (st, MS_COMPARE_POP3, pop->first_dele_frame,
             g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "POP3 frames %u–%u: %u message marked with DELE",
                                           "POP3 frames %u–%u: %u messages marked with DELE",
                                           mp->deletions_marked),
                              pop->first_dele_frame, pop->last_dele_frame, mp->deletions_marked));
      if (mp->quit_completed && pop)
        /* TRANSLATORS: evidence: frame, the server's answer to QUIT, counts */
        add (st, MS_COMPARE_POP3, mp->left_frame,
             g_strdup_printf (_("POP3 frame %u: QUIT answered “%s” — %u of %u messages left on the server"),
                              mp->left_frame, pop->quit_info, (guint) mp->messages_left, (guint) mp->messages_at_start));
      else if (mp->deletions_marked > 0)
        add (st, MS_COMPARE_POP3, 0,
             g_strdup (_("POP3: the session never completed QUIT, so the server dropped the DELE marks and kept every message.")));
      else
        add (st, MS_COMPARE_POP3, 0,
             g_strdup (_("POP3: no DELE in this session; the client left its copy on the server.")));
    }
  else
    add (st, MS_COMPARE_POP3, 0,
         g_strdup (sums[MS_COMPARE_POP3] ? _("POP3: the trace never shows how many messages waited.")
                                         : _("POP3: the capture holds no POP3 session.")));

  if (mi->messages_left < 0 || mp->messages_left < 0)
    st->finding = g_strdup (_("The traces do not tell how many messages were there before and "
                              "after, so they cannot show where the mail stays."));
  else if (mi->messages_removed == 0 && mp->messages_removed > 0)
    {
      st->verdict = MS_COMPARE_SHOWN;
      st->finding = g_strdup_printf (
          _("After IMAP, %u of %u messages are still on the "
            "server. After POP3, %u of %u are: the rest now "
            "live only on the client."),
          (guint) mi->messages_left, (guint) mi->messages_at_start, (guint) mp->messages_left,
          (guint) mp->messages_at_start);
    }
  else if (mp->messages_removed == 0)
    {
      st->verdict = MS_COMPARE_NOT_SHOWN;
      st->finding = g_strdup (_("Here the POP3 client left the mail on the server, as clients "
                                "with a “leave a copy on the server” setting do."));
    }
  else
    {
      st->verdict = MS_COMPARE_NOT_SHOWN;
      st->finding = g_strdup (_("Here the IMAP client erased messages too, so both sessions "
                                "took mail off the server."));
    }
}

void
ms_compare_build_statements (MsCompare *cmp, const GPtrArray *all,
                             const MsSessionSummary *const sums[], Session *const ss[])
{
  const MsCompareMeasures *mi = &cmp->measures[MS_COMPARE_IMAP];
  const MsCompareMeasures *mp = &cmp->measures[MS_COMPARE_POP3];
  /* Sizes of one trace only describe the other when both saw the same
   * number of messages. */
  gboolean same = mi->messages_at_start >= 0 && mi->messages_at_start == mp->messages_at_start;

  partial_fetch (cmp, sums, ss, same);
  several_clients (cmp, all);
  offline (cmp, sums, ss);
  mail_stays (cmp, sums, ss);
}

/* --- text ----------------------------------------------------------------- */

/* "0.4 ms" below a second, "1.25 s" from there on. */
static char *
format_duration (double seconds)
{
  if (seconds < 1.0)
    /* TRANSLATORS: a duration in milliseconds */
    return g_strdup_printf (_("%.1f ms"), seconds * 1000.0);
  /* TRANSLATORS: a duration in seconds */
  return g_strdup_printf (_("%.2f s"), seconds);
}

const char *
ms_compare_measure_title (MsCompareMeasure measure)
{
  switch (measure)
    {
    case MS_COMPARE_MEASURE_BYTES_C2S:
      return _("Bytes client → server");
    case MS_COMPARE_MEASURE_BYTES_S2C:
      return _("Bytes server → client");
    case MS_COMPARE_MEASURE_PACKETS:
      return _("Packets captured");
    case MS_COMPARE_MEASURE_ROUND_TRIPS:
      return _("Round trips");
    case MS_COMPARE_MEASURE_TIME:
      return _("Time");
    case MS_COMPARE_MEASURE_CONTENT:
      return _("Content bytes moved");
    case MS_COMPARE_MEASURE_LEFT:
      return _("Messages left on the server");
    case MS_COMPARE_N_MEASURES:
    default:
      return "";
    }
}

const char *
ms_compare_verdict_title (MsCompareVerdict verdict)
{
  switch (verdict)
    {
    case MS_COMPARE_SHOWN:
      return _("Shown in these traces");
    case MS_COMPARE_NOT_SHOWN:
      return _("Not borne out here");
    case MS_COMPARE_NO_EVIDENCE:
    default:
      return _("These traces cannot tell");
    }
}

const char *
ms_compare_side_title (MsCompareSide side)
{
  return side == MS_COMPARE_IMAP ? ms_lesson_proto_title (MS_PROTO_IMAP)
                                 : ms_lesson_proto_title (MS_PROTO_POP3);
}

char *
ms_compare_format_measure (const MsCompareMeasures *m, MsCompareMeasure measure)
{
  if (m == NULL || m->session == 0)
    return g_strdup ("–");
  switch (measure)
    {
    case MS_COMPARE_MEASURE_BYTES_C2S:
      return count (m->bytes[MS_DIR_C2S]);
    case MS_COMPARE_MEASURE_BYTES_S2C:
      return count (m->bytes[MS_DIR_S2C]);
    case MS_COMPARE_MEASURE_PACKETS:
      {
        g_autofree char *n = count (m->packets);
        g_autofree char *w = count (m->wire_bytes);
        if (!m->packets_counted)
          /* TRANSLATORS: packets measure when only frames with events are known */
          return g_strdup_printf (_("%s frames with data"), n);
        /* TRANSLATORS: packets, and their bytes on the wire */
        return g_strdup_printf (_("%s (%s bytes on the wire)"), n, w);
      }
    case MS_COMPARE_MEASURE_ROUND_TRIPS:
      return count (m->round_trips);
    case MS_COMPARE_MEASURE_TIME:
      return format_duration (m->duration);
    case MS_COMPARE_MEASURE_CONTENT:
      {
        g_autofree char *c = count (m->content_bytes);
        g_autofree char *b = m->mailbox_bytes >= 0 ? count ((guint64) m->mailbox_bytes) : NULL;
        if (b == NULL)
          /* TRANSLATORS: content bytes when the mailbox size is unknown */
          return g_strdup_printf (_("%s bytes (mailbox size unknown)"), c);
        if (m->mailbox_from_other)
          /* TRANSLATORS: content bytes of the mailbox size, told by the other trace */
          return g_strdup_printf (_("%s of %s bytes (size from the other trace)"), c, b);
        return g_strdup_printf (_("%s of %s bytes"), c, b);
      }
    case MS_COMPARE_MEASURE_LEFT:
      if (m->messages_left < 0)
        return g_strdup (_("unknown"));
      return g_strdup_printf (_("%u of %u messages"),
                              (guint) m->messages_left, (guint) MAX (m->messages_at_start, 0));
    case MS_COMPARE_N_MEASURES:
    default:
      return g_strdup ("");
    }
}

char *
ms_compare_format_row (const MsCompareRow *r, MsCompareSide side)
{
  g_autofree char *b = NULL;
  g_autofree char *t = NULL;

  g_return_val_if_fail (side < MS_COMPARE_N_SIDES, NULL);
  if (!r->present[side])
    return g_strdup ("");
  b = count (r->bytes[side]);
  t = format_duration (r->duration[side]);
  /* TRANSLATORS: one step of one protocol: bytes, round trips, duration */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s bytes · %u round trip · %s",
                                       "%s bytes · %u round trips · %s",
                                       (gulong) r->round_trips[side]),
                          b, (guint) r->round_trips[side], t);
}

char *
ms_compare_format (MsCompare *cmp)
{
  GString *out = g_string_new (NULL);
  const MsCompareMeasures *m = cmp->measures;

  g_string_append_printf (out, "%s | %s | %s\n", "", ms_compare_side_title (MS_COMPARE_IMAP),
                          ms_compare_side_title (MS_COMPARE_POP3));
  for (MsCompareMeasure k = 0; k < MS_COMPARE_N_MEASURES; k++)
    {
      g_autofree char *a = ms_compare_format_measure (&m[MS_COMPARE_IMAP], k);
      g_autofree char *b = ms_compare_format_measure (&m[MS_COMPARE_POP3], k);
      g_string_append_printf (out, "%s | %s | %s\n", ms_compare_measure_title (k), a, b);
    }
  g_string_append_c (out, '\n');
  for (guint i = 0; i < cmp->rows->len; i++)
    {
      const MsCompareRow *r = &g_array_index (cmp->rows, MsCompareRow, i);
      g_string_append (out, ms_lesson_step_title (r->step));
      for (guint side = 0; side < MS_COMPARE_N_SIDES; side++)
        {
          g_autofree char *stats = ms_compare_format_row (r, side);
          g_string_append (out, " | ");
          if (!r->present[side])
            continue;
          g_string_append_printf (out, "%s; %s", r->commands[side] ? r->commands[side] : "—", stats);
        }
      g_string_append_c (out, '\n');
    }
  for (guint i = 0; i < cmp->statements->len; i++)
    {
      const MsCompareStatement *st = cmp->statements->pdata[i];
      g_string_append_printf (out, "\n%s: %s\n  %s\n  %s\n", st->title,
                              ms_compare_verdict_title (st->verdict), st->claim, st->finding);
      for (guint k = 0; k < st->evidence->len; k++)
        {
          const MsCompareEvidence *e = st->evidence->pdata[k];
          g_string_append_printf (out, "    - %s\n", e->text);
        }
    }
  return g_string_free (out, FALSE);
}
