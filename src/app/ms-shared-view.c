/* ms-shared-view.c - the shared-mailbox demo as it happens: one transcript
 * column per IMAP client, the change client B makes and the update the
 * server pushes to client A during IDLE marked and linked, and a narrower
 * column with the POP3 pair and the maildrop lock's refusal. The widget
 * takes the demo's callbacks and decides what each line is; the columns'
 * text and tags are written by ms-shared-column.c. */
#include "config.h"

#include <string.h>
#include <adwaita.h>
#include <glib/gi18n-lib.h>

#include "mailscope/ms-lesson.h"
#include "ms-app-resources.h"
#include "ms-shared-change.h"
#include "ms-shared-view-private.h"

G_DEFINE_FINAL_TYPE (MsSharedView, ms_shared_view, GTK_TYPE_WIDGET)

/* The columns scroll to their marked lines this long after the demo ended:
 * by then the last lines and the state labels have been laid out. */
#define MS_SHARED_SCROLL_DELAY_MS 150

/* ---------------------------------------------------------------------- */
/* Changes and what was pushed                                            */

static double
seconds_now (MsSharedView *self)
{
  return (g_get_monotonic_time () - self->start_time) / (double) G_USEC_PER_SEC;
}

static void
add_summary (MsSharedView *self, guint number, const char *sentence)
{
  g_autofree char *markup = NULL;
  GtkWidget *label;

  gtk_widget_set_visible (GTK_WIDGET (self->links_placeholder), FALSE);
  if (number > 0)
    markup = g_markup_printf_escaped ("<span background=\"%s\" foreground=\"#ffffff\" "
                                      "weight=\"bold\"> %u </span>  %s",
                                      MS_SHARED_CHANGE_COLOR, number, sentence);
  else
    markup = g_markup_printf_escaped ("%s", sentence);
  label = gtk_label_new (NULL);
  gtk_label_set_markup (GTK_LABEL (label), markup);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_box_append (self->links_box, label);
  g_ptr_array_add (self->summary, g_strdup (sentence));
}

/* ---------------------------------------------------------------------- */
/* The demo's callbacks                                                   */

static Role
role_of (MsSharedView *self, const MsDemoRun *run)
{
  return run->index < self->roles->len ? g_array_index (self->roles, Role, run->index)
                                       : ROLE_NONE;
}

static void
clear_links (MsSharedView *self)
{
  GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->links_box));
  while (child)
    {
      GtkWidget *next = gtk_widget_get_next_sibling (child);
      if (child != GTK_WIDGET (self->links_placeholder))
        gtk_box_remove (self->links_box, child);
      child = next;
    }
  gtk_label_set_text (self->links_placeholder,
                      _("Nothing yet: client A will wait in IDLE while client B changes the "
                        "mailbox."));
  gtk_widget_set_visible (GTK_WIDGET (self->links_placeholder), TRUE);
}

static char *
badge_markup (const char *color, const char *badge, const char *label)
{
  return g_markup_printf_escaped ("<span background=\"%s\" foreground=\"#ffffff\"> %s </span>"
                                  "  %s",
                                  color, badge, label);
}

static void
update_status (MsSharedView *self)
{
  g_autofree char *text = NULL;
  if (!self->running)
    return;
  if (self->capturing)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "Running on this computer: the lab’s servers, two "
                                         "IMAP and two POP3 clients on loopback, with a fresh "
                                         "copy of the sample mailbox. %u packet captured so far.",
                                         "Running on this computer: the lab’s servers, two "
                                         "IMAP and two POP3 clients on loopback, with a fresh "
                                         "copy of the sample mailbox. %u packets captured so far.",
                                         (gulong) self->packets),
                            (guint) self->packets);
  else
    text = g_strdup (_("Running on this computer: the lab’s servers, two IMAP and two POP3 "
                       "clients on loopback, with a fresh copy of the sample mailbox."));
  gtk_label_set_text (self->status_label, text);
}

void
ms_shared_view_start (MsSharedView *self, MsDemo *demo, gboolean mask)
{
  const GPtrArray *runs = ms_demo_runs (demo);
  guint imap = 0, pop = 0;

  g_return_if_fail (MS_IS_SHARED_VIEW (self));
  g_clear_handle_id (&self->scroll_source, g_source_remove);
  for (guint i = 0; i < MS_SHARED_N_COLUMNS; i++)
    {
      Column *col = &self->columns[i];
      gtk_text_buffer_set_text (col->buffer, "", 0);
      if (col->first)
        gtk_text_buffer_delete_mark (col->buffer, col->first);
      col->first = NULL;
    }
  g_array_set_size (self->roles, 0);
  g_ptr_array_set_size (self->changes, 0);
  g_ptr_array_set_size (self->summary, 0);
  g_clear_pointer (&self->refusal, g_free);
  self->start_time = g_get_monotonic_time ();
  self->packets = 0;
  self->n_pushed = self->n_linked = self->pushed_seen = 0;
  self->last_pop_run = G_MAXUINT;
  self->pop_login_sent = self->lock_marked = FALSE;
  self->running = TRUE;
  self->mask = mask;
  self->capturing = TRUE;
  clear_links (self);
  gtk_widget_set_visible (self->open_button, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->refusal_label), FALSE);
  gtk_spinner_set_spinning (self->spinner, TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), TRUE);

  gtk_widget_set_visible (self->column_a, FALSE);
  gtk_widget_set_visible (self->column_b, FALSE);
  gtk_widget_set_visible (self->column_pop, FALSE);
  for (guint i = 0; i < runs->len; i++)
    {
      const MsDemoRun *run = runs->pdata[i];
      Role role = ROLE_NONE;
      g_autofree char *title = NULL;
      if (run->proto == MS_PROTO_IMAP && imap < 2)
        {
          role = imap++ == 0 ? ROLE_A : ROLE_B;
          title = badge_markup (role == ROLE_A ? MS_SHARED_A_COLOR : MS_SHARED_B_COLOR,
                                role == ROLE_A ? "A" : "B", run->label);
          gtk_label_set_markup (role == ROLE_A ? self->title_a : self->title_b, title);
          gtk_widget_set_visible (role == ROLE_A ? self->column_a : self->column_b, TRUE);
        }
      else if (run->proto == MS_PROTO_POP3 && pop < 2)
        {
          role = pop++ == 0 ? ROLE_POP_HOLDER : ROLE_POP_OTHER;
          gtk_widget_set_visible (self->column_pop, TRUE);
        }
      g_array_append_val (self->roles, role);
    }
  gtk_label_set_text (self->state_a, _("Starting…"));
  gtk_label_set_text (self->state_b, _("Starts once client A waits in IDLE"));
  gtk_label_set_text (self->state_pop, _("Runs after the IMAP clients"));
  update_status (self);
}

void
ms_shared_view_step (MsSharedView *self, const MsDemoRun *run, MsStep step,
                     const char *description)
{
  Role role = role_of (self, run);
  Column *col;
  g_autofree char *state = NULL;

  if (role == ROLE_POP_HOLDER || role == ROLE_POP_OTHER || role == ROLE_NONE)
    return;   /* the POP3 column shows the commands only */
  col = &self->columns[role == ROLE_A ? MS_SHARED_COLUMN_A : MS_SHARED_COLUMN_B];
  ms_shared_column_append (col, "● ", "step", ms_shared_column_step_tag (col->buffer, step));
  ms_shared_column_append (col, description, "step", NULL);
  ms_shared_column_end_line (self, col);

  if (role == ROLE_A && step == MS_STEP_REFRESH)
    state = g_strdup (_("Waiting in IDLE: the server may speak first"));
  else if (role == ROLE_B && step == MS_STEP_UPDATE)
    state = g_strdup (_("Changing the mailbox while client A waits"));
  else
    state = g_strdup_printf (_("Now: %s"), ms_lesson_step_title (step));
  gtk_label_set_text (role == ROLE_A ? self->state_a : self->state_b, state);
}

/* Client B's line: its changes are numbered and marked. */
static void
line_b (MsSharedView *self, char who, const char *text)
{
  Column *col = &self->columns[MS_SHARED_COLUMN_B];
  MsSharedChange *c = who == 'C' ? ms_shared_change_parse (text) : NULL;

  if (c == NULL)
    {
      ms_shared_column_append_transcript (col, who, text, NULL);
      ms_shared_column_end_line (self, col);
      return;
    }
  c->number = self->changes->len + 1;
  c->at = seconds_now (self);
  g_ptr_array_add (self->changes, c);
  ms_shared_column_mark_first (col);
  ms_shared_column_append_transcript (col, who, text, "change");
  g_autofree char *marker = g_strdup_printf (_("change %u"), c->number);
  ms_shared_column_append_marker (col, "marker-change", marker);
  ms_shared_column_end_line (self, col);
}

/* Client A's line: an update the server pushed during IDLE is marked and
 * linked to the change that caused it. */
static void
line_a (MsSharedView *self, const MsDemoRun *run, char who, const char *text)
{
  Column *col = &self->columns[MS_SHARED_COLUMN_A];
  gboolean pushed = who == 'S' && run->pushed->len > self->pushed_seen
                    && g_strcmp0 (run->pushed->pdata[run->pushed->len - 1], text) == 0;

  if (!pushed)
    {
      ms_shared_column_append_transcript (col, who, text, NULL);
      ms_shared_column_end_line (self, col);
      return;
    }
  self->pushed_seen = run->pushed->len;
  self->n_pushed++;
  double at = seconds_now (self);
  MsSharedChange *c = ms_shared_change_find_cause (self->changes, text);
  g_autofree char *sentence = ms_shared_change_sentence (c, text, at);
  g_autofree char *marker = NULL;
  if (c)
    {
      c->pushes++;
      self->n_linked++;
      marker = g_strdup_printf (_("pushed ← change %u"), c->number);
    }
  else
    marker = g_strdup (_("pushed"));
  ms_shared_column_mark_first (col);
  ms_shared_column_append_transcript (col, who, text, "pushed");
  ms_shared_column_append_marker (col, "marker-pushed", marker);
  ms_shared_column_end_line (self, col);
  add_summary (self, c ? c->number : 0, sentence);
}

/* The POP3 column: commands and status lines only (no message contents),
 * the moment the lock is taken and the refusal marked. */
static void
line_pop (MsSharedView *self, const MsDemoRun *run, Role role, char who, const char *text)
{
  Column *col = &self->columns[MS_SHARED_COLUMN_POP3];
  gboolean status = g_str_has_prefix (text, "+OK") || g_str_has_prefix (text, "-ERR");

  /* The lookup is in the IMAP columns already. */
  if ((who == 'S' && !status) || (who != 'C' && who != 'S') || g_str_has_prefix (text, "DNS "))
    return;
  if (self->last_pop_run != run->index)
    {
      self->last_pop_run = run->index;
      ms_shared_column_append_heading (self, col,
                                       role == ROLE_POP_HOLDER ? MS_SHARED_A_COLOR
                                                               : MS_SHARED_B_COLOR,
                                       role == ROLE_POP_HOLDER ? "1" : "2", run->label);
    }
  if (who == 'C' && role == ROLE_POP_HOLDER
      && (g_str_has_prefix (text, "PASS") || g_str_has_prefix (text, "APOP")
          || g_str_has_prefix (text, "AUTH")))
    self->pop_login_sent = TRUE;

  if (who == 'S' && role == ROLE_POP_HOLDER && self->pop_login_sent && !self->lock_marked
      && g_str_has_prefix (text, "+OK"))
    {
      self->lock_marked = TRUE;
      ms_shared_column_mark_first (col);
      ms_shared_column_append_transcript (col, who, text, "lock");
      ms_shared_column_append_marker (col, "marker-lock", _("holds the lock"));
      gtk_label_set_text (self->state_pop, _("Client 1 logged in: the mailbox is locked"));
    }
  else if (who == 'S' && run->refusal && g_str_equal (run->refusal, text))
    {
      g_free (self->refusal);
      self->refusal = g_strdup (text);
      ms_shared_column_mark_first (col);
      ms_shared_column_append_transcript (col, who, text, "refusal");
      ms_shared_column_append_marker (col, "marker-refusal", _("refused"));
      gtk_label_set_text (self->state_pop, _("Client 2 was refused while client 1 held the lock"));
    }
  else
    ms_shared_column_append_transcript (col, who, text, NULL);
  ms_shared_column_end_line (self, col);
}

void
ms_shared_view_line (MsSharedView *self, const MsDemoRun *run, char who, const char *text)
{
  Role role = role_of (self, run);
  g_autofree char *shown = NULL;

  if (text == NULL)
    return;
  shown = self->mask && who == 'C' ? ms_shared_mask_secret (text) : g_strdup (text);
  switch (role)
    {
    case ROLE_A:
      line_a (self, run, who, shown);
      break;
    case ROLE_B:
      line_b (self, who, shown);
      break;
    case ROLE_POP_HOLDER:
    case ROLE_POP_OTHER:
      line_pop (self, run, role, who, shown);
      break;
    case ROLE_NONE:
    default:
      break;
    }
}

void
ms_shared_view_add_packets (MsSharedView *self, guint n)
{
  self->packets += n;
  update_status (self);
}

/* The state line of a run that ended. */
static char *
run_outcome (const MsDemoRun *run)
{
  if (run->error && !run->failure_expected)
    return g_strdup_printf (_("Failed: %s"), run->error);
  return g_strdup (_("Done"));
}

void
ms_shared_view_phase_finished (MsSharedView *self, MsDemo *demo, guint phase)
{
  const GPtrArray *runs = ms_demo_runs (demo);

  for (guint i = 0; i < runs->len; i++)
    {
      const MsDemoRun *run = runs->pdata[i];
      Role role = role_of (self, run);
      g_autofree char *outcome = NULL;
      if (run->phase != phase || !run->finished)
        continue;
      outcome = run_outcome (run);
      if (role == ROLE_A)
        {
          g_autofree char *s = g_strdup_printf (
              g_dngettext (GETTEXT_PACKAGE, "%s: told of %u change without asking",
                           "%s: told of %u changes without asking", self->n_pushed),
              outcome, self->n_pushed);
          gtk_label_set_text (self->state_a, run->error ? outcome : s);
        }
      else if (role == ROLE_B)
        {
          g_autofree char *s = g_strdup_printf (
              g_dngettext (GETTEXT_PACKAGE, "%s: changed the mailbox %u time",
                           "%s: changed the mailbox %u times", self->changes->len),
              outcome, self->changes->len);
          gtk_label_set_text (self->state_b, run->error ? outcome : s);
        }
      else if (role == ROLE_POP_HOLDER && run->error)
        gtk_label_set_text (self->state_pop, outcome);
    }
}

/* Scrolls each column to its first marked line. */
static gboolean
scroll_to_marks (gpointer data)
{
  MsSharedView *self = data;
  self->scroll_source = 0;
  for (guint i = 0; i < MS_SHARED_N_COLUMNS; i++)
    {
      Column *col = &self->columns[i];
      if (col->first)
        gtk_text_view_scroll_to_mark (col->view, col->first, 0.0, TRUE, 0.0, 0.1);
    }
  return G_SOURCE_REMOVE;
}

void
ms_shared_view_finish (MsSharedView *self, MsDemo *demo, const GError *error,
                       const char *pcap_path)
{
  GString *s = g_string_new (NULL);

  self->running = FALSE;
  gtk_spinner_set_spinning (self->spinner, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), FALSE);
  if (error)
    {
      g_string_printf (s, _("The demo could not run: %s"), error->message);
      gtk_label_set_text (self->status_label, s->str);
      g_string_free (s, TRUE);
      return;
    }

  g_string_append (s, _("Done."));
  g_string_append_c (s, ' ');
  g_string_append_printf (s,
                          g_dngettext (GETTEXT_PACKAGE,
                                       "The server pushed %u update to client A without being "
                                       "asked.",
                                       "The server pushed %u updates to client A without being "
                                       "asked.",
                                       self->n_pushed),
                          self->n_pushed);
  if (self->refusal)
    {
      g_string_append_c (s, ' ');
      g_string_append (s, _("The second POP3 session was refused."));
    }
  g_string_append_c (s, ' ');
  if (ms_demo_capture_mode (demo) == MS_CAPTURE_NONE)
    {
      const char *why = ms_demo_capture_reason (demo);
      g_string_append_printf (s, _("Nothing was captured: %s"),
                              why ? why : _("the capture did not start"));
    }
  else
    {
      guint64 frames = 0;
      ms_demo_capture_stats (demo, &frames, NULL);
      g_string_append_printf (s,
                              g_dngettext (GETTEXT_PACKAGE, "%u packet captured.",
                                           "%u packets captured.", (gulong) frames),
                              (guint) frames);
    }
  gtk_label_set_text (self->status_label, s->str);
  g_string_free (s, TRUE);

  if (self->n_pushed == 0)
    gtk_label_set_text (self->links_placeholder,
                        _("Client A was told nothing while it waited in IDLE."));
  if (self->refusal == NULL)
    {
      const GPtrArray *runs = ms_demo_runs (demo);
      for (guint i = 0; i < runs->len; i++)
        {
          const MsDemoRun *run = runs->pdata[i];
          if (role_of (self, run) == ROLE_POP_OTHER)
            {
              g_autofree char *t = run->error
                ? g_strdup_printf (_("POP3 client 2 was not refused for the lock: %s"), run->error)
                : g_strdup (_("POP3 client 2 was not refused: the lock did not hold."));
              gtk_label_set_text (self->refusal_label, t);
              gtk_widget_set_visible (GTK_WIDGET (self->refusal_label), TRUE);
            }
        }
    }
  else
    gtk_label_set_text (self->state_pop, _("Done: one session at a time"));

  gtk_widget_set_visible (self->open_button, pcap_path != NULL);
  /* Show where it happened, once the last lines and labels are laid out. */
  if (self->scroll_source == 0)
    self->scroll_source = g_timeout_add (MS_SHARED_SCROLL_DELAY_MS, scroll_to_marks, self);
}

/* ---------------------------------------------------------------------- */
/* Queries                                                                */

gboolean
ms_shared_view_get_running (MsSharedView *self)
{
  g_return_val_if_fail (MS_IS_SHARED_VIEW (self), FALSE);
  return self->running;
}

guint
ms_shared_view_get_n_imap_columns (MsSharedView *self)
{
  g_return_val_if_fail (MS_IS_SHARED_VIEW (self), 0);
  return (gtk_widget_get_visible (self->column_a) ? 1 : 0)
         + (gtk_widget_get_visible (self->column_b) ? 1 : 0);
}

char *
ms_shared_view_get_column_text (MsSharedView *self, MsSharedColumn column)
{
  GtkTextIter a, b;
  g_return_val_if_fail (MS_IS_SHARED_VIEW (self) && column < MS_SHARED_N_COLUMNS, NULL);
  gtk_text_buffer_get_bounds (self->columns[column].buffer, &a, &b);
  return gtk_text_buffer_get_text (self->columns[column].buffer, &a, &b, FALSE);
}

guint
ms_shared_view_get_n_pushed (MsSharedView *self)
{
  return self->n_pushed;
}

guint
ms_shared_view_get_n_linked (MsSharedView *self)
{
  return self->n_linked;
}

char *
ms_shared_view_get_summary_text (MsSharedView *self)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < self->summary->len; i++)
    g_string_append_printf (s, "%s\n", (const char *) self->summary->pdata[i]);
  return g_string_free (s, FALSE);
}

const char *
ms_shared_view_get_refusal (MsSharedView *self)
{
  return self->refusal;
}

/* ---------------------------------------------------------------------- */
/* GObject                                                                */

static void
on_dark_changed (AdwStyleManager *manager, GParamSpec *pspec, MsSharedView *self)
{
  ms_shared_view_update_tag_colors (self);
}

static void
ms_shared_view_dispose (GObject *object)
{
  MsSharedView *self = MS_SHARED_VIEW (object);

  g_signal_handlers_disconnect_by_data (adw_style_manager_get_default (), self);
  g_clear_handle_id (&self->scroll_source, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (object), MS_TYPE_SHARED_VIEW);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (object)));)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (ms_shared_view_parent_class)->dispose (object);
}

static void
ms_shared_view_finalize (GObject *object)
{
  MsSharedView *self = MS_SHARED_VIEW (object);

  g_array_unref (self->roles);
  g_ptr_array_unref (self->changes);
  g_ptr_array_unref (self->summary);
  g_free (self->refusal);
  G_OBJECT_CLASS (ms_shared_view_parent_class)->finalize (object);
}

static void
ms_shared_view_class_init (MsSharedViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ms_shared_view_dispose;
  object_class->finalize = ms_shared_view_finalize;
  /* Referencing the bundle links it in, and its constructor registers it,
   * even from the static library. */
  (void) ms_app_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/mailscope/Mailscope/ms-shared-view.ui");
  gtk_widget_class_bind_template_child (widget_class, MsSharedView, status_label);
  gtk_widget_class_bind_template_child (widget_class, MsSharedView, spinner);
  gtk_widget_class_bind_template_child (widget_class, MsSharedView, open_button);
  gtk_widget_class_bind_template_child (widget_class, MsSharedView, run_button);
  gtk_widget_class_bind_template_child (widget_class, MsSharedView, links_box);
  gtk_widget_class_bind_template_child (widget_class, MsSharedView, links_placeholder);
  gtk_widget_class_bind_template_child (widget_class, MsSharedView, column_a);
  gtk_widget_class_bind_template_child (widget_class, MsSharedView, column_b);
  gtk_widget_class_bind_template_child (widget_class, MsSharedView, column_pop);
  gtk_widget_class_bind_template_child (widget_class, MsSharedView, title_a);
  gtk_widget_class_bind_template_child (widget_class, MsSharedView, state_a);
  gtk_widget_class_bind_template_child (widget_class, MsSharedView, title_b);
  gtk_widget_class_bind_template_child (widget_class, MsSharedView, state_b);
  gtk_widget_class_bind_template_child (widget_class, MsSharedView, state_pop);
  gtk_widget_class_bind_template_child (widget_class, MsSharedView, view_a);
  gtk_widget_class_bind_template_child (widget_class, MsSharedView, view_b);
  gtk_widget_class_bind_template_child (widget_class, MsSharedView, view_pop);
  gtk_widget_class_bind_template_child (widget_class, MsSharedView, buffer_a);
  gtk_widget_class_bind_template_child (widget_class, MsSharedView, buffer_b);
  gtk_widget_class_bind_template_child (widget_class, MsSharedView, buffer_pop);
  gtk_widget_class_bind_template_child (widget_class, MsSharedView, refusal_label);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ms_shared_view_init (MsSharedView *self)
{
  GtkTextView *views[MS_SHARED_N_COLUMNS];
  GtkTextBuffer *buffers[MS_SHARED_N_COLUMNS];

  gtk_widget_init_template (GTK_WIDGET (self));
  views[MS_SHARED_COLUMN_A] = self->view_a;
  views[MS_SHARED_COLUMN_B] = self->view_b;
  views[MS_SHARED_COLUMN_POP3] = self->view_pop;
  buffers[MS_SHARED_COLUMN_A] = self->buffer_a;
  buffers[MS_SHARED_COLUMN_B] = self->buffer_b;
  buffers[MS_SHARED_COLUMN_POP3] = self->buffer_pop;
  for (guint i = 0; i < MS_SHARED_N_COLUMNS; i++)
    {
      GtkTextIter end;
      Column *col = &self->columns[i];
      col->view = views[i];
      col->buffer = buffers[i];
      ms_shared_column_create_tags (col->buffer);
      gtk_text_buffer_get_end_iter (col->buffer, &end);
      col->end = gtk_text_buffer_create_mark (col->buffer, "end", &end, FALSE);
    }
  ms_shared_view_update_tag_colors (self);
  g_signal_connect (adw_style_manager_get_default (), "notify::dark",
                    G_CALLBACK (on_dark_changed), self);

  self->roles = g_array_new (FALSE, TRUE, sizeof (Role));
  self->changes = g_ptr_array_new_with_free_func (ms_shared_change_free);
  self->summary = g_ptr_array_new_with_free_func (g_free);
  self->last_pop_run = G_MAXUINT;
  gtk_label_set_text (self->status_label, "");
  clear_links (self);
}

GtkWidget *
ms_shared_view_new (void)
{
  return g_object_new (MS_TYPE_SHARED_VIEW, NULL);
}
