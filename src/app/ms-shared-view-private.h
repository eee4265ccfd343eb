/* ms-shared-view-private.h - the shared-mailbox view's internals shared by
 * the widget and its running of the demo (ms-shared-view.c) and the text of
 * its transcript columns (ms-shared-column.c). */
#pragma once

#include <gtk/gtk.h>

#include "ms-shared-view.h"

G_BEGIN_DECLS

/* What a client of the demo is in the view. */
typedef enum {
  ROLE_NONE,
  ROLE_A,            /* first IMAP client: waits in IDLE */
  ROLE_B,            /* second IMAP client: changes the mailbox */
  ROLE_POP_HOLDER,   /* first POP3 client: holds the maildrop lock */
  ROLE_POP_OTHER,    /* second POP3 client: refused */
} Role;

typedef struct {
  GtkTextView *view;
  GtkTextBuffer *buffer;
  GtkTextMark *end;       /* follows the last line while the demo runs */
  GtkTextMark *first;     /* the first marked line, shown when it ends */
} Column;

struct _MsSharedView
{
  GtkWidget parent_instance;

  /* template widgets */
  GtkLabel *status_label;
  GtkSpinner *spinner;
  GtkWidget *open_button;
  GtkWidget *run_button;
  GtkBox *links_box;
  GtkLabel *links_placeholder;
  GtkWidget *column_a;
  GtkWidget *column_b;
  GtkWidget *column_pop;
  GtkLabel *title_a;
  GtkLabel *state_a;
  GtkLabel *title_b;
  GtkLabel *state_b;
  GtkLabel *state_pop;
  GtkTextView *view_a;
  GtkTextView *view_b;
  GtkTextView *view_pop;
  GtkTextBuffer *buffer_a;
  GtkTextBuffer *buffer_b;
  GtkTextBuffer *buffer_pop;
  GtkLabel *refusal_label;

  /* owned */
  Column columns[MS_SHARED_N_COLUMNS];
  GArray *roles;            /* Role per run index */
  GPtrArray *changes;       /* MsSharedChange * */
  GPtrArray *summary;       /* char *: one sentence per pushed update */
  char *refusal;
  gint64 start_time;
  guint64 packets;
  guint n_pushed;
  guint n_linked;
  guint pushed_seen;        /* client A's pushed lines already shown */
  guint last_pop_run;       /* run whose heading column POP3 showed last */
  gboolean pop_login_sent;  /* the holder sent its password: its next +OK locks */
  gboolean lock_marked;
  gboolean running;
  gboolean mask;
  gboolean capturing;
  guint scroll_source;      /* pending scroll_to_marks */
};

/* Marker colours: white text on these reads in light and dark styles. */
#define MS_SHARED_CHANGE_COLOR "#c64600"
#define MS_SHARED_PUSHED_COLOR "#26a269"
#define MS_SHARED_LOCK_COLOR "#986a44"
#define MS_SHARED_REFUSAL_COLOR "#c01c28"
#define MS_SHARED_A_COLOR "#1c71d8"
#define MS_SHARED_B_COLOR "#9141ac"

/* --- the columns' text (ms-shared-column.c) ------------------------------ */

/* Sets the colours that depend on the light or dark style. */
void ms_shared_view_update_tag_colors (MsSharedView *self);
void ms_shared_column_create_tags (GtkTextBuffer *buffer);
/* The tag colouring a step's bullet, created on first use. */
const char *ms_shared_column_step_tag (GtkTextBuffer *buffer, MsStep step);
void ms_shared_column_append (Column *col, const char *text, const char *tag,
                              const char *tag2);
/* Ends the line and keeps it in view while the demo runs. */
void ms_shared_column_end_line (MsSharedView *self, Column *col);
/* Remembers where the line that starts now is, if it is the column's first
 * marked one. */
void ms_shared_column_mark_first (Column *col);
/* " marker " after a line's text, kept in one piece when the line wraps. */
void ms_shared_column_append_marker (Column *col, const char *marker_tag,
                                     const char *text);
/* A transcript line: "C: …" or "S: …", or an indented remark. line_tag
 * (may be NULL) highlights the whole line. */
void ms_shared_column_append_transcript (Column *col, char who, const char *text,
                                         const char *line_tag);
/* A heading line: a coloured badge, then the label. */
void ms_shared_column_append_heading (MsSharedView *self, Column *col,
                                      const char *badge_color, const char *badge,
                                      const char *label);

G_END_DECLS
