/* ms-step-row.c - a row of the step list. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "mailscope/ms-lesson.h"
#include "ms-ladder.h"
#include "ms-app-resources.h"
#include "ms-step-row.h"

struct _MsStepRow
{
  GtkListBoxRow parent_instance;

  /* template widgets */
  GtkLabel *title_label;
  GtkLabel *stats_label;
  GtkLabel *explanation_label;
  GtkBox *notes_box;

  MsStep step;
};

G_DEFINE_FINAL_TYPE (MsStepRow, ms_step_row, GTK_TYPE_LIST_BOX_ROW)

static void
ms_step_row_class_init (MsStepRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  /* Referencing the bundle links it in, and its constructor registers it,
   * even from the static library. */
  (void) ms_app_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/mailscope/Mailscope/ms-step-row.ui");
  gtk_widget_class_bind_template_child (widget_class, MsStepRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, MsStepRow, stats_label);
  gtk_widget_class_bind_template_child (widget_class, MsStepRow, explanation_label);
  gtk_widget_class_bind_template_child (widget_class, MsStepRow, notes_box);
}

static void
ms_step_row_init (MsStepRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
ms_step_row_new (MsStep step, guint position, const char *explanation, const char *stats,
                 const char *const *notes)
{
  MsStepRow *self = g_object_new (MS_TYPE_STEP_ROW, NULL);
  g_autofree char *title = g_markup_printf_escaped ("<span foreground=\"%s\">●</span> %u. %s",
                                                    ms_step_color (step), position,
                                                    ms_lesson_step_title (step));

  self->step = step;
  gtk_label_set_markup (self->title_label, title);
  gtk_label_set_text (self->stats_label, stats);
  gtk_label_set_text (self->explanation_label, explanation);
  for (guint i = 0; notes && notes[i]; i++)
    {
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
      GtkWidget *icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic");
      GtkWidget *label = gtk_label_new (notes[i]);

      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_widget_set_hexpand (label, TRUE);
      gtk_widget_set_valign (icon, GTK_ALIGN_START);
      gtk_box_append (GTK_BOX (box), icon);
      gtk_box_append (GTK_BOX (box), label);
      gtk_widget_add_css_class (box, "warning");
      gtk_widget_add_css_class (box, "step-note");
      gtk_box_append (self->notes_box, box);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->notes_box), notes && notes[0]);
  return GTK_WIDGET (self);
}

MsStep
ms_step_row_get_step (MsStepRow *self)
{
  return self->step;
}

void
ms_step_row_set_current (MsStepRow *self, gboolean current)
{
  if (current)
    gtk_widget_add_css_class (GTK_WIDGET (self), "current-step");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "current-step");
}

void
ms_step_row_set_revealed (MsStepRow *self, gboolean revealed)
{
  if (revealed)
    gtk_widget_remove_css_class (GTK_WIDGET (self), "dim-label");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self), "dim-label");
}
