/* ms-shared-column.c - the text of the shared view's transcript columns: the
 * tags that colour it (following the light or dark style) and the lines,
 * markers and headings written into it as the demo runs. */
#include "config.h"

#include <adwaita.h>

#include "ms-ladder.h"
#include "ms-shared-view-private.h"

/* ---------------------------------------------------------------------- */
/* Text tags                                                              */

/* Sets the colours that depend on the light or dark style. */
void
ms_shared_view_update_tag_colors (MsSharedView *self)
{
  gboolean dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  const char *client = dark ? "#78aeed" : "#1c71d8";
  const char *server = dark ? "#ff7b63" : "#c01c28";
  const char *meta = dark ? "#9a9996" : "#77767b";
  double alpha = dark ? 0.28 : 0.18;

  for (guint i = 0; i < MS_SHARED_N_COLUMNS; i++)
    {
      GtkTextTagTable *table = gtk_text_buffer_get_tag_table (self->columns[i].buffer);
      static const struct {
        const char *tag, *light, *dark;
      } backgrounds[] = {
        { "change", "#e66100", "#ffa348" },
        { "pushed", "#2ec27e", "#57e389" },
        { "lock", "#e5a50a", "#f6d32d" },
        { "refusal", "#e01b24", "#f66151" },
      };
      g_object_set (gtk_text_tag_table_lookup (table, "client"), "foreground", client, NULL);
      g_object_set (gtk_text_tag_table_lookup (table, "server"), "foreground", server, NULL);
      g_object_set (gtk_text_tag_table_lookup (table, "meta"), "foreground", meta, NULL);
      for (guint k = 0; k < G_N_ELEMENTS (backgrounds); k++)
        {
          GdkRGBA rgba;
          gdk_rgba_parse (&rgba, dark ? backgrounds[k].dark : backgrounds[k].light);
          rgba.alpha = alpha;
          g_object_set (gtk_text_tag_table_lookup (table, backgrounds[k].tag),
                        "paragraph-background-rgba", &rgba, NULL);
        }
    }
}

void
ms_shared_column_create_tags (GtkTextBuffer *buffer)
{
  gtk_text_buffer_create_tag (buffer, "client", NULL);
  gtk_text_buffer_create_tag (buffer, "server", NULL);
  gtk_text_buffer_create_tag (buffer, "meta", "style", PANGO_STYLE_ITALIC, NULL);
  gtk_text_buffer_create_tag (buffer, "step", "family", "Sans", "weight", PANGO_WEIGHT_BOLD,
                              "pixels-above-lines", 10, "pixels-below-lines", 2, NULL);
  gtk_text_buffer_create_tag (buffer, "heading", "family", "Sans", "weight",
                              PANGO_WEIGHT_BOLD, "pixels-above-lines", 12,
                              "pixels-below-lines", 4, NULL);
  gtk_text_buffer_create_tag (buffer, "change", "weight", PANGO_WEIGHT_BOLD, NULL);
  gtk_text_buffer_create_tag (buffer, "pushed", "weight", PANGO_WEIGHT_BOLD, NULL);
  gtk_text_buffer_create_tag (buffer, "lock", "weight", PANGO_WEIGHT_BOLD, NULL);
  gtk_text_buffer_create_tag (buffer, "refusal", "weight", PANGO_WEIGHT_BOLD, NULL);
  /* White on the colour of what the marker stands for. */
  static const struct {
    const char *tag;
    const char *color;
  } markers[] = {
    { "marker-change", MS_SHARED_CHANGE_COLOR },
    { "marker-pushed", MS_SHARED_PUSHED_COLOR },
    { "marker-lock", MS_SHARED_LOCK_COLOR },
    { "marker-refusal", MS_SHARED_REFUSAL_COLOR },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (markers); i++)
    gtk_text_buffer_create_tag (buffer, markers[i].tag, "family", "Sans", "weight",
                                PANGO_WEIGHT_BOLD, "foreground", "#ffffff", "background",
                                markers[i].color, NULL);
}

/* The tag colouring a step's bullet, created on first use. */
const char *
ms_shared_column_step_tag (GtkTextBuffer *buffer, MsStep step)
{
  static char names[MS_STEP_N][16];
  GtkTextTagTable *table = gtk_text_buffer_get_tag_table (buffer);

  if (step >= MS_STEP_N)
    step = MS_STEP_NONE;
  if (names[step][0] == '\0')
    g_snprintf (names[step], sizeof names[step], "step-%u", (guint) step);
  if (gtk_text_tag_table_lookup (table, names[step]) == NULL)
    gtk_text_buffer_create_tag (buffer, names[step], "foreground", ms_step_color (step), NULL);
  return names[step];
}

/* ---------------------------------------------------------------------- */
/* Writing to a column                                                    */

void
ms_shared_column_append (Column *col, const char *text, const char *tag, const char *tag2)
{
  GtkTextIter end;
  gtk_text_buffer_get_end_iter (col->buffer, &end);
  gtk_text_buffer_insert_with_tags_by_name (col->buffer, &end, text, -1, tag, tag2, NULL);
}

/* Ends the line and keeps it in view while the demo runs. */
void
ms_shared_column_end_line (MsSharedView *self, Column *col)
{
  ms_shared_column_append (col, "\n", NULL, NULL);
  if (self->running)
    gtk_text_view_scroll_mark_onscreen (col->view, col->end);
}

/* Remembers where the line that starts now is, if it is the column's first
 * marked one. */
void
ms_shared_column_mark_first (Column *col)
{
  GtkTextIter end;
  if (col->first != NULL)
    return;
  gtk_text_buffer_get_end_iter (col->buffer, &end);
  col->first = gtk_text_buffer_create_mark (col->buffer, NULL, &end, TRUE);
}

/* " marker " after a line's text, kept in one piece when the line wraps:
 * no-break spaces, and word joiners between the other characters (Chinese
 * breaks between any two). */
void
ms_shared_column_append_marker (Column *col, const char *marker_tag, const char *text)
{
  g_autofree char *padded = g_strdup_printf (" %s ", text);
  GString *s = g_string_new (NULL);
  for (const char *p = padded; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (s->len > 0 && c != ' ' && p[-1] != ' ')
        g_string_append (s, "\u2060");
      if (c == ' ')
        g_string_append (s, "\u00a0");
      else
        g_string_append_unichar (s, c);
    }
  ms_shared_column_append (col, " ", NULL, NULL);
  ms_shared_column_append (col, s->str, marker_tag, NULL);
  g_string_free (s, TRUE);
}

/* A transcript line: "C: …" or "S: …", or an indented remark. line_tag
 * (may be NULL) highlights the whole line. */
void
ms_shared_column_append_transcript (Column *col, char who, const char *text,
                                    const char *line_tag)
{
  g_autofree char *line = NULL;
  if (who == 'C' || who == 'S')
    line = g_strdup_printf ("%c: %s", who, text);
  else
    line = g_strdup_printf ("   %s", text);
  ms_shared_column_append (col, line, who == 'C' ? "client" : who == 'S' ? "server" : "meta",
                           line_tag);
}

void
ms_shared_column_append_heading (MsSharedView *self, Column *col, const char *badge_color,
                                 const char *badge, const char *label)
{
  GtkTextTagTable *table = gtk_text_buffer_get_tag_table (col->buffer);
  g_autofree char *name = g_strdup_printf ("badge-%s", badge_color);
  g_autofree char *padded = g_strdup_printf (" %s ", badge);

  if (gtk_text_tag_table_lookup (table, name) == NULL)
    gtk_text_buffer_create_tag (col->buffer, name, "foreground", "#ffffff", "background",
                                badge_color, "weight", PANGO_WEIGHT_BOLD, "family", "Sans",
                                NULL);
  ms_shared_column_append (col, padded, "heading", name);
  ms_shared_column_append (col, " ", "heading", NULL);
  ms_shared_column_append (col, label, "heading", NULL);
  ms_shared_column_end_line (self, col);
}
