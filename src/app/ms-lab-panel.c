/* ms-lab-panel.c - the lab panel window: the lab server of ms-lab-runner.c
 * made visible. Everything here runs on the GTK thread; the server runs in
 * the runner's worker and reports back in batches. The command log is in
 * ms-lab-panel-log.c. */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "ms-lab-message.h"
#include "ms-lab-panel-private.h"

/* --- the panel ------------------------------------------------------------ */

static const struct {
  MsLabService svc;
  const char *label;
} panel_services[] = {
  { MS_LAB_IMAP, "IMAP" },
  { MS_LAB_IMAPS, "IMAPS" },
  { MS_LAB_POP3, "POP3" },
  { MS_LAB_POP3S, "POP3S" },
  { MS_LAB_DNS, "DNS" },
};

G_DEFINE_FINAL_TYPE (MsLabPanel, ms_lab_panel, ADW_TYPE_WINDOW)

static void
toast (MsLabPanel *self, const char *text)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

static gboolean
action_state (MsLabPanel *self, const char *name)
{
  g_autoptr (GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (self->actions),
                                                                name);
  return state && g_variant_get_boolean (state);
}

static void
enable (MsLabPanel *self, const char *name, gboolean on)
{
  GAction *a = g_action_map_lookup_action (G_ACTION_MAP (self->actions), name);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (a), on);
}

/* --- state shown ---------------------------------------------------------- */

static void
update_ports (MsLabPanel *self)
{
  gboolean tls = action_state (self, "tls");
  for (guint i = 0; i < G_N_ELEMENTS (panel_services); i++)
    {
      MsLabService svc = panel_services[i].svc;
      MsLabPortKind kind;
      guint16 port = ms_lab_runner_port (self->runner, svc, &kind);
      guint16 standard = ms_lab_runner_standard_port (svc);
      guint16 fallback = ms_lab_runner_fallback_port (svc);
      g_autofree char *number = port ? g_strdup_printf ("%u", port) : g_strdup ("—");
      g_autofree char *sub = NULL;
      gboolean is_tls = svc == MS_LAB_IMAPS || svc == MS_LAB_POP3S;
      if (!ms_lab_runner_is_running (self->runner))
        sub = g_strdup_printf (_("Not running (tries %u, then %u)"), standard, fallback);
      else if (kind == MS_LAB_PORT_STANDARD)
        sub = g_strdup (_("Standard port"));
      else if (kind == MS_LAB_PORT_FALLBACK)
        sub = g_strdup_printf (_("Fallback port: %u is taken or needs root"), standard);
      else if (kind == MS_LAB_PORT_OTHER)
        sub = g_strdup_printf (_("A free port: %u and %u are taken"), standard, fallback);
      else if (is_tls && !tls)
        sub = g_strdup (_("Off: TLS is switched off"));
      else
        sub = g_strdup (_("Could not be opened"));
      adw_action_row_set_subtitle (self->port_rows[svc], sub);
      gtk_label_set_text (self->port_labels[svc], number);
    }
}

static void
update_state (MsLabPanel *self)
{
  gboolean running = ms_lab_runner_is_running (self->runner);
  gboolean busy = ms_lab_runner_is_busy (self->runner);
  gtk_widget_set_visible (self->start_button, !busy);
  gtk_widget_set_visible (self->stop_button, busy);
  enable (self, "start", !busy);
  enable (self, "stop", running);
  enable (self, "deliver", running && self->shown_user != NULL);
  gtk_widget_set_sensitive (self->require_tls_row, action_state (self, "tls"));

  const char *status;
  g_autofree char *detail = NULL;
  if (running)
    {
      status = _("Running");
      g_autofree char *where = g_strdup_printf (_("Listening on %s. Maildirs in %s"),
                                                MS_LAB_RUNNER_HOST, self->data_dir);
      detail = g_strdup_printf ("%s\n%s", where,
                                _("Closing this window keeps the server running."));
    }
  else if (busy)
    {
      status = _("Starting or stopping…");
      detail = g_strdup (status);
    }
  else
    {
      status = _("Stopped");
      detail = g_strdup_printf (_("Stopped. Maildirs are kept in %s"), self->data_dir);
    }
  adw_window_title_set_subtitle (self->window_title, status);
  adw_action_row_set_subtitle (self->status_row, detail);
  gtk_image_set_from_icon_name (self->status_icon, running ? "media-playback-start-symbolic"
                                                           : "media-playback-stop-symbolic");
  if (!running)
    gtk_stack_set_visible_child_name (self->mailbox_stack, "stopped");
  update_ports (self);
}

/* --- accounts -------------------------------------------------------------- */

static void
rebuild_account_rows (MsLabPanel *self)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->accounts_list))) != NULL)
    gtk_list_box_remove (self->accounts_list, child);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->accounts));
  for (guint i = 0; i < n; i++)
    {
      const char *name = gtk_string_list_get_string (self->accounts, i);
      GtkWidget *row = adw_action_row_new ();
      /* Names and passwords are shown as typed, never as markup. */
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      g_autofree char *sub = g_strdup_printf (_("Password: %s"),
                                              (char *) g_hash_table_lookup (self->passwords,
                                                                            name));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), sub);
      GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
      gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (remove, "flat");
      g_autofree char *tip = g_strdup_printf (_("Remove the account %s"), name);
      gtk_widget_set_tooltip_text (remove, tip);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (remove), "lab-panel.remove-account");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (remove), "s", name);
      /* The last account stays: a server needs someone to log in. */
      gtk_widget_set_sensitive (remove, n > 1);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
      gtk_list_box_append (self->accounts_list, row);
    }
}

static guint
account_index (MsLabPanel *self, const char *name)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->accounts));
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (gtk_string_list_get_string (self->accounts, i), name) == 0)
      return i;
  return GTK_INVALID_LIST_POSITION;
}

static void
add_account (MsLabPanel *self, const char *name, const char *password)
{
  gtk_string_list_append (self->accounts, name);
  g_hash_table_replace (self->passwords, g_strdup (name), g_strdup (password));
  rebuild_account_rows (self);
}

static void
add_account_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  MsLabPanel *self = data;
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));
  if (!ms_lab_user_name_ok (name))
    {
      toast (self, _("An account name is one word without “.”, “:” or “/”"));
      return;
    }
  if (password[0] == '\0')
    {
      toast (self, _("The new account needs a password"));
      return;
    }
  if (account_index (self, name) != GTK_INVALID_LIST_POSITION)
    {
      g_autofree char *msg = g_strdup_printf (_("The account %s already exists"), name);
      toast (self, msg);
      return;
    }
  add_account (self, name, password);
  if (ms_lab_runner_is_busy (self->runner))
    ms_lab_runner_add_user (self->runner, name, password);
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  g_autofree char *msg = g_strdup_printf (_("Account %s added"), name);
  toast (self, msg);
}

static void
on_password_activated (AdwEntryRow *row, MsLabPanel *self)
{
  g_action_group_activate_action (G_ACTION_GROUP (self->actions), "add-account", NULL);
}

static void
remove_account_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  MsLabPanel *self = data;
  const char *name = g_variant_get_string (param, NULL);
  guint i = account_index (self, name);
  if (i == GTK_INVALID_LIST_POSITION
      || g_list_model_get_n_items (G_LIST_MODEL (self->accounts)) <= 1)
    return;
  g_autofree char *copy = g_strdup (name);
  if (ms_lab_runner_is_busy (self->runner))
    ms_lab_runner_remove_user (self->runner, copy);
  g_hash_table_remove (self->passwords, copy);
  gtk_string_list_remove (self->accounts, i);
  rebuild_account_rows (self);
}

/* --- the mailbox ------------------------------------------------------------ */

static const char *
selected_string (GtkDropDown *dd)
{
  GtkStringObject *o = gtk_drop_down_get_selected_item (dd);
  return o ? gtk_string_object_get_string (o) : NULL;
}

/* Follows the account and folder the dropdowns show. */
static void
watch_selected (MsLabPanel *self)
{
  const char *user = selected_string (self->account_dropdown);
  const char *folder = selected_string (self->folder_dropdown);
  if (folder == NULL || g_strcmp0 (user, self->shown_user) != 0)
    folder = "INBOX";
  if (g_strcmp0 (user, self->shown_user) == 0 && g_strcmp0 (folder, self->shown_folder) == 0)
    return;
  g_free (self->shown_user);
  g_free (self->shown_folder);
  self->shown_user = g_strdup (user);
  self->shown_folder = g_strdup (folder);
  g_list_store_remove_all (self->messages);
  if (ms_lab_runner_is_running (self->runner))
    ms_lab_runner_watch (self->runner, user, folder);
  update_state (self);
}

static void
on_account_selected (GtkDropDown *dd, GParamSpec *pspec, MsLabPanel *self)
{
  watch_selected (self);
}

static void
on_folder_selected (GtkDropDown *dd, GParamSpec *pspec, MsLabPanel *self)
{
  if (!self->updating_folders)
    watch_selected (self);
}

/* Replaces the folder list when the account's folders changed. */
static void
set_folders (MsLabPanel *self, char **folders, const char *current)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->folders));
  gboolean same = folders && g_strv_length (folders) == n;
  for (guint i = 0; same && i < n; i++)
    same = g_strcmp0 (folders[i], gtk_string_list_get_string (self->folders, i)) == 0;
  if (same || folders == NULL)
    return;
  self->updating_folders = TRUE;
  gtk_string_list_splice (self->folders, 0, n, (const char *const *) folders);
  for (guint i = 0; folders[i]; i++)
    if (g_strcmp0 (folders[i], current) == 0)
      gtk_drop_down_set_selected (self->folder_dropdown, i);
  self->updating_folders = FALSE;
}

static void
on_runner_mailbox (MsLabRunner *r, const MsLabMailboxView *view, gpointer data)
{
  MsLabPanel *self = data;
  if (g_strcmp0 (view->user, self->shown_user) != 0
      || g_strcmp0 (view->folder, self->shown_folder) != 0)
    return;   /* an answer for what was shown before */
  set_folders (self, view->folders, view->folder);
  if (view->error)
    {
      adw_status_page_set_title (self->mailbox_status, _("Cannot Show This Folder"));
      adw_status_page_set_description (self->mailbox_status, view->error);
      gtk_stack_set_visible_child_name (self->mailbox_stack, "stopped");
      return;
    }
  GPtrArray *items = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < view->messages->len; i++)
    g_ptr_array_add (items, ms_lab_message_item_new (view->messages->pdata[i]));
  g_list_store_splice (self->messages, 0, g_list_model_get_n_items (G_LIST_MODEL (self->messages)),
                       items->pdata, items->len);
  g_autofree char *count = NULL;
  if (view->n_total > items->len)
    count = g_strdup_printf (_("The newest %u of %u messages"), items->len, view->n_total);
  else
    count = g_strdup_printf (ngettext ("%u message", "%u messages", view->n_total),
                             view->n_total);
  gtk_label_set_text (self->count_label, count);
  g_ptr_array_unref (items);
  gtk_stack_set_visible_child_name (self->mailbox_stack, "list");
}

static void
deliver_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  MsLabPanel *self = data;
  if (self->shown_user == NULL)
    return;
  ms_lab_runner_deliver (self->runner, self->shown_user, self->shown_folder,
                         action_state (self, "attachment"));
}

/* --- start and stop ------------------------------------------------------- */

static void
start_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  MsLabPanel *self = data;
  MsLabRunnerConfig cfg;
  ms_lab_runner_config_init (&cfg);
  cfg.data_dir = g_strdup (self->data_dir);
  cfg.seed_dir = ms_lab_runner_find_samples ();
  cfg.tls = action_state (self, "tls");
  cfg.require_tls = action_state (self, "require-tls");
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->accounts));
  for (guint i = 0; i < n; i++)
    {
      const char *name = gtk_string_list_get_string (self->accounts, i);
      g_ptr_array_add (cfg.users, g_strdup_printf ("%s:%s", name,
                                                   (char *) g_hash_table_lookup (self->passwords,
                                                                                 name)));
    }
  ms_lab_runner_start (self->runner, &cfg);
  ms_lab_runner_config_clear (&cfg);
  update_state (self);
}

static void
stop_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  MsLabPanel *self = data;
  ms_lab_runner_stop (self->runner);
  update_state (self);
}

static void
on_runner_started (MsLabRunner *r, const GError *error, gpointer data)
{
  MsLabPanel *self = data;
  if (error)
    {
      g_autofree char *msg = g_strdup_printf (_("The lab server could not start: %s"),
                                              error->message);
      toast (self, msg);
    }
  else if (ms_lab_runner_is_running (r))
    {
      g_clear_pointer (&self->shown_user, g_free);
      g_clear_pointer (&self->shown_folder, g_free);
      watch_selected (self);
    }
  update_state (self);
}

static void
on_runner_stopped (MsLabRunner *r, gpointer data)
{
  MsLabPanel *self = data;
  g_list_store_remove_all (self->messages);
  gtk_label_set_text (self->count_label, "");
  adw_status_page_set_title (self->mailbox_status, _("Server Stopped"));
  adw_status_page_set_description (self->mailbox_status,
                                   _("Start the server to see the accounts’ mailboxes."));
  update_state (self);
  if (self->restart_pending)
    {
      self->restart_pending = FALSE;
      g_action_group_activate_action (G_ACTION_GROUP (self->actions), "start", NULL);
    }
}

static void
on_runner_notice (MsLabRunner *r, const char *message, gpointer data)
{
  toast (data, message);
}

static void
tls_changed (GSimpleAction *action, GVariant *value, gpointer data)
{
  MsLabPanel *self = data;
  g_simple_action_set_state (action, value);
  /* Without TLS no password could ever be accepted. */
  if (!g_variant_get_boolean (value) && action_state (self, "require-tls"))
    g_action_group_change_action_state (G_ACTION_GROUP (self->actions), "require-tls",
                                        g_variant_new_boolean (FALSE));
  /* Listeners cannot be added to or taken from a running server: restart. */
  if (ms_lab_runner_is_busy (self->runner))
    {
      self->restart_pending = TRUE;
      ms_lab_runner_stop (self->runner);
    }
  update_state (self);
}

static void
require_tls_changed (GSimpleAction *action, GVariant *value, gpointer data)
{
  MsLabPanel *self = data;
  g_simple_action_set_state (action, value);
  if (ms_lab_runner_is_busy (self->runner))
    ms_lab_runner_set_require_tls (self->runner, g_variant_get_boolean (value));
}

/* --- the window ------------------------------------------------------------ */

static void
build_port_rows (MsLabPanel *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (panel_services); i++)
    {
      MsLabService svc = panel_services[i].svc;
      GtkWidget *row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), panel_services[i].label);
      GtkWidget *label = gtk_label_new ("—");
      gtk_widget_add_css_class (label, "numeric");
      gtk_widget_add_css_class (label, "title-4");
      gtk_label_set_selectable (GTK_LABEL (label), TRUE);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
      adw_preferences_group_add (self->ports_group, row);
      self->port_rows[svc] = ADW_ACTION_ROW (row);
      self->port_labels[svc] = GTK_LABEL (label);
    }
}

static void
ms_lab_panel_dispose (GObject *object)
{
  MsLabPanel *self = MS_LAB_PANEL (object);
  g_clear_pointer (&self->runner, ms_lab_runner_free);
  if (self->log_view)
    g_signal_handlers_disconnect_by_data (
      gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->log_view)), self);
  gtk_widget_dispose_template (GTK_WIDGET (self), MS_TYPE_LAB_PANEL);
  G_OBJECT_CLASS (ms_lab_panel_parent_class)->dispose (object);
}

static void
ms_lab_panel_finalize (GObject *object)
{
  MsLabPanel *self = MS_LAB_PANEL (object);
  g_clear_object (&self->actions);
  g_clear_object (&self->accounts);
  g_clear_object (&self->folders);
  g_clear_object (&self->messages);
  g_clear_pointer (&self->passwords, g_hash_table_unref);
  g_free (self->data_dir);
  g_free (self->shown_user);
  g_free (self->shown_folder);
  G_OBJECT_CLASS (ms_lab_panel_parent_class)->finalize (object);
}

static void
ms_lab_panel_class_init (MsLabPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ms_lab_panel_dispose;
  object_class->finalize = ms_lab_panel_finalize;

  g_type_ensure (MS_TYPE_LAB_MESSAGE_ITEM);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/mailscope/Mailscope/ms-lab-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, MsLabPanel, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, MsLabPanel, window_title);
  gtk_widget_class_bind_template_child (widget_class, MsLabPanel, start_button);
  gtk_widget_class_bind_template_child (widget_class, MsLabPanel, stop_button);
  gtk_widget_class_bind_template_child (widget_class, MsLabPanel, status_row);
  gtk_widget_class_bind_template_child (widget_class, MsLabPanel, status_icon);
  gtk_widget_class_bind_template_child (widget_class, MsLabPanel, ports_group);
  gtk_widget_class_bind_template_child (widget_class, MsLabPanel, require_tls_row);
  gtk_widget_class_bind_template_child (widget_class, MsLabPanel, accounts_list);
  gtk_widget_class_bind_template_child (widget_class, MsLabPanel, name_row);
  gtk_widget_class_bind_template_child (widget_class, MsLabPanel, password_row);
  gtk_widget_class_bind_template_child (widget_class, MsLabPanel, account_dropdown);
  gtk_widget_class_bind_template_child (widget_class, MsLabPanel, folder_dropdown);
  gtk_widget_class_bind_template_child (widget_class, MsLabPanel, count_label);
  gtk_widget_class_bind_template_child (widget_class, MsLabPanel, mailbox_stack);
  gtk_widget_class_bind_template_child (widget_class, MsLabPanel, mailbox_status);
  gtk_widget_class_bind_template_child (widget_class, MsLabPanel, message_view);
  gtk_widget_class_bind_template_child (widget_class, MsLabPanel, log_count_label);
  gtk_widget_class_bind_template_child (widget_class, MsLabPanel, autoscroll_button);
  gtk_widget_class_bind_template_child (widget_class, MsLabPanel, log_view);
  gtk_widget_class_bind_template_callback (widget_class, on_password_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_account_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_folder_selected);
}

static const GActionEntry panel_actions[] = {
  { "start", start_action, NULL, NULL, NULL, { 0 } },
  { "stop", stop_action, NULL, NULL, NULL, { 0 } },
  { "deliver", deliver_action, NULL, NULL, NULL, { 0 } },
  { "add-account", add_account_action, NULL, NULL, NULL, { 0 } },
  { "remove-account", remove_account_action, "s", NULL, NULL, { 0 } },
  { "clear-log", ms_lab_panel_clear_log_action, NULL, NULL, NULL, { 0 } },
  { "tls", NULL, NULL, "true", tls_changed, { 0 } },
  { "require-tls", NULL, NULL, "false", require_tls_changed, { 0 } },
  { "attachment", NULL, NULL, "false", NULL, { 0 } },
};

static void
ms_lab_panel_init (MsLabPanel *self)
{
  static const MsLabRunnerCallbacks callbacks = {
    .started = on_runner_started,
    .stopped = on_runner_stopped,
    .log = ms_lab_panel_on_runner_log,
    .mailbox = on_runner_mailbox,
    .notice = on_runner_notice,
  };

  self->accounts = gtk_string_list_new (NULL);
  self->folders = gtk_string_list_new (NULL);
  self->messages = g_list_store_new (MS_TYPE_LAB_MESSAGE_ITEM);
  self->passwords = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->data_dir = ms_lab_runner_default_data_dir ();
  self->runner = ms_lab_runner_new (&callbacks, self);

  gtk_widget_init_template (GTK_WIDGET (self));

  self->actions = g_simple_action_group_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (self->actions), panel_actions,
                                   G_N_ELEMENTS (panel_actions), self);
  gtk_widget_insert_action_group (GTK_WIDGET (self), "lab-panel", G_ACTION_GROUP (self->actions));

  build_port_rows (self);
  ms_lab_panel_build_log_tags (self);
  GtkSelectionModel *selection = GTK_SELECTION_MODEL (
    gtk_no_selection_new (G_LIST_MODEL (g_object_ref (self->messages))));
  gtk_column_view_set_model (self->message_view, selection);
  g_object_unref (selection);
  gtk_drop_down_set_model (self->folder_dropdown, G_LIST_MODEL (self->folders));
  gtk_string_list_append (self->folders, "INBOX");

  /* The sample account, as `mailscope-cli serve` has it. */
  add_account (self, MS_LAB_SEED_USER, "classroom");
  gtk_drop_down_set_model (self->account_dropdown, G_LIST_MODEL (self->accounts));
  update_state (self);
}

MsLabPanel *
ms_lab_panel_new (void)
{
  return g_object_new (MS_TYPE_LAB_PANEL, NULL);
}

/* --- for tests and the window ---------------------------------------------- */

MsLabRunner *
ms_lab_panel_get_runner (MsLabPanel *self)
{
  return self->runner;
}

const char *
ms_lab_panel_get_data_dir (MsLabPanel *self)
{
  return self->data_dir;
}

const char *
ms_lab_panel_get_port_text (MsLabPanel *self, MsLabService svc)
{
  return (guint) svc < MS_LAB_N_SERVICES ? gtk_label_get_text (self->port_labels[svc]) : NULL;
}

GListModel *
ms_lab_panel_get_messages (MsLabPanel *self)
{
  return G_LIST_MODEL (self->messages);
}

GListModel *
ms_lab_panel_get_accounts (MsLabPanel *self)
{
  return G_LIST_MODEL (self->accounts);
}

void
ms_lab_panel_select_account (MsLabPanel *self, const char *name)
{
  guint i = account_index (self, name);
  if (i != GTK_INVALID_LIST_POSITION)
    gtk_drop_down_set_selected (self->account_dropdown, i);
}

void
ms_lab_panel_set_new_account (MsLabPanel *self, const char *name, const char *password)
{
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name);
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), password);
}
