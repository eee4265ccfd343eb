/* ms-lab-panel-log.c - the lab panel's command log: every command and reply
 * the lab server saw, one line each with time, service and peer, wrapped
 * lines hung under the text, old lines dropped past a limit, and
 * auto-scroll following the end. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ms-lab-panel-private.h"

/* The command log's columns: time, service, peer; then C:, S: or --. */
#define LOG_META_FORMAT "%s %-5s %-21s "
/* As wide as LOG_META_FORMAT makes them (monospace). */
#define LOG_META_SAMPLE "00:00:00 imaps 255.255.255.255:65535 C: "

/* --- the command log ------------------------------------------------------ */

/* Client text with control characters shown as '?' and long lines cut. */
static void
append_clean (GString *out, const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  glong n = 0;
  for (const char *p = valid; *p; p = g_utf8_next_char (p))
    {
      if (n++ >= MS_LAB_PANEL_MAX_LOG_TEXT)
        {
          g_string_append (out, "…");
          return;
        }
      gunichar c = g_utf8_get_char (p);
      if (c < 0x20 || c == 0x7f)
        g_string_append_c (out, '?');
      else
        g_string_append_unichar (out, c);
    }
}

/* Wrapped lines continue under the text, not under the time: the "line"
 * tag hangs them by the width of the time, service and peer columns. */
static void
update_hanging_indent (MsLabPanel *self)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self->log_view),
                                                        LOG_META_SAMPLE);
  int width;
  pango_layout_get_pixel_size (layout, &width, NULL);
  g_object_unref (layout);
  GtkTextTagTable *table = gtk_text_buffer_get_tag_table (gtk_text_view_get_buffer (self->log_view));
  /* Pango's negative indent leaves the first line alone and indents the
   * rest. */
  g_object_set (gtk_text_tag_table_lookup (table, "line"), "indent", -width, NULL);
}

void
ms_lab_panel_on_runner_log (MsLabRunner *r, MsLabLogLine *const *lines, guint n, gpointer data)
{
  MsLabPanel *self = data;
  GtkTextBuffer *buf = gtk_text_view_get_buffer (self->log_view);
  GtkTextIter end;
  update_hanging_indent (self);
  for (guint i = 0; i < n; i++)
    {
      const MsLabLogLine *l = lines[i];
      g_autoptr (GDateTime) dt = g_date_time_new_from_unix_local (l->time / G_USEC_PER_SEC);
      g_autofree char *stamp = dt ? g_date_time_format (dt, "%H:%M:%S") : g_strdup ("");
      g_autofree char *meta = g_strdup_printf (LOG_META_FORMAT, stamp, l->service, l->peer);
      const char *tag = l->who == 'C' ? "C: " : l->who == 'S' ? "S: " : "-- ";
      GString *text = g_string_new (tag);
      append_clean (text, l->text);
      g_string_append_c (text, '\n');
      gtk_text_buffer_get_end_iter (buf, &end);
      gtk_text_buffer_insert_with_tags_by_name (buf, &end, meta, -1, "meta", "line", NULL);
      gtk_text_buffer_insert_with_tags_by_name (buf, &end, text->str, (int) text->len,
                                                l->who == 'C'   ? "client"
                                                : l->who == 'S' ? "server"
                                                                : "remark",
                                                "line", NULL);
      g_string_free (text, TRUE);
      self->log_lines++;
    }
  if (self->log_lines > MS_LAB_PANEL_MAX_LOG_LINES)
    {
      GtkTextIter start, cut;
      gtk_text_buffer_get_start_iter (buf, &start);
      gtk_text_buffer_get_iter_at_line (buf, &cut,
                                        (int) (self->log_lines - MS_LAB_PANEL_MAX_LOG_LINES));
      gtk_text_buffer_delete (buf, &start, &cut);
      self->log_lines = MS_LAB_PANEL_MAX_LOG_LINES;
    }
  g_autofree char *count = g_strdup_printf (ngettext ("%u line", "%u lines", self->log_lines),
                                            self->log_lines);
  gtk_label_set_text (self->log_count_label, count);
}

/* Auto-scroll follows the end of the log as the view grows. The
 * adjustment is moved directly once the new lines are laid out, rather
 * than through gtk_text_view_scroll_to_mark(), which leaves a pending
 * scroll behind when the window closes meanwhile. */
static void
on_log_adjustment_changed (GtkAdjustment *adj, MsLabPanel *self)
{
  if (gtk_toggle_button_get_active (self->autoscroll_button))
    gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj)
                                     - gtk_adjustment_get_page_size (adj));
}

static void
on_autoscroll_toggled (GtkToggleButton *button, MsLabPanel *self)
{
  on_log_adjustment_changed (gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->log_view)),
                             self);
}

void
ms_lab_panel_clear_log_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  MsLabPanel *self = data;
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->log_view), "", 0);
  self->log_lines = 0;
  gtk_label_set_text (self->log_count_label, "");
}

void
ms_lab_panel_build_log_tags (MsLabPanel *self)
{
  GtkTextBuffer *buf = gtk_text_view_get_buffer (self->log_view);
  /* Grey reads on light and dark backgrounds alike. */
  GdkRGBA grey = { 0.5, 0.5, 0.5, 1.0 };
  gtk_text_buffer_create_tag (buf, "meta", "foreground-rgba", &grey, NULL);
  gtk_text_buffer_create_tag (buf, "client", "weight", PANGO_WEIGHT_BOLD, NULL);
  gtk_text_buffer_create_tag (buf, "server", NULL);
  gtk_text_buffer_create_tag (buf, "line", NULL);
  gtk_text_buffer_create_tag (buf, "remark", "style", PANGO_STYLE_ITALIC, "foreground-rgba",
                              &grey, NULL);
  g_signal_connect (gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->log_view)), "changed",
                    G_CALLBACK (on_log_adjustment_changed), self);
  g_signal_connect (self->autoscroll_button, "toggled", G_CALLBACK (on_autoscroll_toggled), self);
}

/* --- for tests and the window ---------------------------------------------- */

char *
ms_lab_panel_get_log_text (MsLabPanel *self)
{
  GtkTextBuffer *buf = gtk_text_view_get_buffer (self->log_view);
  GtkTextIter start, end;
  gtk_text_buffer_get_bounds (buf, &start, &end);
  return gtk_text_buffer_get_text (buf, &start, &end, FALSE);
}

guint
ms_lab_panel_get_log_lines (MsLabPanel *self)
{
  return self->log_lines;
}
