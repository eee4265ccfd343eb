/* cmd-client.c - `mailscope-cli client imap|pop3`: runs the lab's IMAP or POP3
 * client against a server, prints the transcript and a report, optionally
 * waiting for Enter before each step. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "lab/ms-lab-client.h"
#include "ms-cli.h"

/* A line typed at the step prompt is read into this much; the rest of a
 * longer line is discarded with it. */
#define PROMPT_LINE 256

typedef struct {
  GMainLoop *loop;
  gboolean step;
  gboolean ok;
} ClientRun;

static void
on_step (MsLabClient *client, MsStep step, const char *description, gpointer data)
{
  ClientRun *run = data;
  printf ("\n== %s: %s\n", ms_step_name (step), description);
  fflush (stdout);
  if (!run->step)
    return;
  fprintf (stderr, "%s", _("[Enter: next step] "));
  fflush (stderr);
  char buf[PROMPT_LINE];
  if (fgets (buf, sizeof buf, stdin) == NULL)
    {
      /* No more input: run the remaining steps without waiting. */
      run->step = FALSE;
      ms_lab_client_set_step_mode (client, FALSE);
      return;
    }
  ms_lab_client_next (client);
}

static void
on_line (MsLabClient *client, char who, const char *text, gpointer data)
{
  if (who == 'C' || who == 'S')
    printf ("%c: %s\n", who, text);
  else
    printf ("   %s\n", text);
}

/* Labels are translated, so the column is padded by display width. */
#define MS_REPORT_LABEL_WIDTH 34

static void
print_row (const char *label, const char *value)
{
  printf ("  ");
  ms_cli_print_padded (label, MS_REPORT_LABEL_WIDTH, FALSE);
  printf (" %s\n", value);
}

static void
print_count (const char *label, guint64 n)
{
  g_autofree char *s = ms_lab_client_format_count (n);
  print_row (label, s);
}

static void
print_report (const MsLabClientReport *r)
{
  printf ("\n%s\n", _("Report"));
  print_row (_("Server:"), r->server_address ? r->server_address : "-");
  if (r->tls)
    {
      g_autofree char *tls = g_strdup_printf ("%s, %s", r->tls_version, r->tls_cipher);
      print_row (_("TLS:"), tls);
    }
  else
    print_row (_("TLS:"), _("no (everything in clear text)"));
  if (r->dns_used)
    {
      print_count (_("DNS bytes sent:"), r->dns_bytes_sent);
      print_count (_("DNS bytes received:"), r->dns_bytes_received);
    }
  print_count (_("Bytes sent (client to server):"), r->bytes_sent);
  print_count (_("Bytes received (server to client):"), r->bytes_received);
  print_count (_("Round trips:"), r->round_trips);
  print_count (_("Commands:"), r->commands);
  print_count (_("Content bytes fetched:"), r->content_bytes);
  print_count (_("Messages/parts fetched:"), r->messages_fetched);
  print_row (_("Attachment downloaded:"), r->attachment_downloaded ? _("yes") : _("no"));
  if (r->attachment_downloaded)
    print_count (_("Attachment bytes:"), r->attachment_bytes);
  if (r->updates_pushed)
    print_count (_("Updates during IDLE/polling:"), r->updates_pushed);
  print_count (_("Messages on the server at start:"), r->messages_on_server);
  print_count (_("Messages left on the server:"), r->messages_left);
  {
    g_autofree char *t = g_strdup_printf ("%.3f s", r->elapsed);
    print_row (_("Time:"), t);
  }
}

static void
on_finished (MsLabClient *client, const MsLabClientReport *report, const GError *error,
             gpointer data)
{
  ClientRun *run = data;
  print_report (report);
  fflush (stdout);
  if (error)
    ms_cli_error ("%s", error->message);
  run->ok = error == NULL;
  g_main_loop_quit (run->loop);
}

int
ms_cmd_client (int argc, char **argv)
{
  g_autofree char *server = NULL, *user = NULL, *password = NULL, *dns = NULL, *tls = NULL,
                  *ca = NULL, *keylog = NULL, *auth = NULL;
  gboolean insecure = FALSE, step = FALSE, download = FALSE, del = FALSE, apop = FALSE,
           mask = FALSE;
  int idle = 0, timeout = 0;
  g_auto (GStrv) rest = NULL;
  g_autoptr (GError) error = NULL;
  const GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_STRING, &server,
      N_("Server name or address, with an optional port (default: imap.mailscope.test or "
         "pop.mailscope.test, standard ports, then the lab's)"),
      N_("HOST[:PORT]") },
    { "user", 'u', 0, G_OPTION_ARG_STRING, &user, N_("User name (default: student)"), N_("USER") },
    { "password", 'p', 0, G_OPTION_ARG_STRING, &password,
      N_("Password (default: classroom)"), N_("PASSWORD") },
    { "dns", 0, 0, G_OPTION_ARG_STRING, &dns,
      N_("DNS resolver to ask (default: 127.0.0.1:53, then 127.0.0.1:10053)"), N_("ADDR:PORT") },
    { "tls", 0, 0, G_OPTION_ARG_STRING, &tls,
      N_("none (default), starttls (STARTTLS/STLS) or implicit (TLS from the first byte)"),
      N_("MODE") },
    { "ca", 0, 0, G_OPTION_ARG_FILENAME, &ca,
      N_("Trust the certificates in FILE (default: the system's)"), N_("FILE") },
    { "insecure", 0, 0, G_OPTION_ARG_NONE, &insecure,
      N_("Do not check the server's certificate"), NULL },
    { "keylog", 0, 0, G_OPTION_ARG_FILENAME, &keylog,
      N_("Append the TLS secrets to FILE (NSS key log format) so a capture can be decrypted"),
      N_("FILE") },
    { "step", 0, 0, G_OPTION_ARG_NONE, &step, N_("Wait for Enter before each step"), NULL },
    { "idle", 0, 0, G_OPTION_ARG_INT, &idle,
      N_("Wait SECONDS for news before logging out (IMAP IDLE, or NOOP polling)"),
      N_("SECONDS") },
    { "download-attachments", 0, 0, G_OPTION_ARG_NONE, &download,
      N_("IMAP: also fetch the newest message's attachments"), NULL },
    { "auth", 0, 0, G_OPTION_ARG_STRING, &auth,
      N_("IMAP: login (default) or plain (AUTHENTICATE PLAIN)"), N_("METHOD") },
    { "apop", 0, 0, G_OPTION_ARG_NONE, &apop,
      N_("POP3: log in with APOP when the greeting offers a timestamp"), NULL },
    { "delete", 0, 0, G_OPTION_ARG_NONE, &del,
      N_("POP3: delete the messages after downloading them"), NULL },
    { "mask-secrets", 'm', 0, G_OPTION_ARG_NONE, &mask,
      N_("Show ******** instead of the password in the transcript"), NULL },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout,
      N_("Give up when the server is silent for SECONDS (default 30)"), N_("SECONDS") },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL, N_("imap|pop3") },
    { NULL }
  };

  g_autoptr (GOptionContext) ctx = g_option_context_new (NULL);
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_set_summary (
    ctx, _("Receive mail like a mail program does, one step at a time: DNS, connection, "
           "greeting, capabilities, TLS, login, listing, fetching, waiting for news, logout. "
           "Prints what client (C:) and server (S:) say, then a report of the bytes and "
           "round trips."));
  g_option_context_set_description (
    ctx, _("Exit status: 0 when the whole session ran; 1 when it failed (no answer, refused "
           "login, TLS error); 2 for a bad command line."));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);

  if (!ms_cli_parse_options (ctx, "mailscope-cli client", argc, argv, &error))
    {
      ms_cli_error ("%s", error->message);
      return MS_CLI_EXIT_USAGE;
    }

  MsLabClientOptions o;
  ms_lab_client_options_init (&o);
  if (rest == NULL || rest[0] == NULL || rest[1] != NULL)
    {
      ms_cli_error (_("name one protocol: imap or pop3"));
      return MS_CLI_EXIT_USAGE;
    }
  if (g_ascii_strcasecmp (rest[0], "imap") == 0)
    o.proto = MS_PROTO_IMAP;
  else if (g_ascii_strcasecmp (rest[0], "pop3") == 0)
    o.proto = MS_PROTO_POP3;
  else
    {
      ms_cli_error (_("unknown protocol “%s” (imap or pop3)"), rest[0]);
      return MS_CLI_EXIT_USAGE;
    }
  if (tls == NULL || strcmp (tls, "none") == 0)
    o.tls = MS_LAB_CLIENT_TLS_NONE;
  else if (strcmp (tls, "starttls") == 0)
    o.tls = MS_LAB_CLIENT_TLS_STARTTLS;
  else if (strcmp (tls, "implicit") == 0)
    o.tls = MS_LAB_CLIENT_TLS_IMPLICIT;
  else
    {
      ms_cli_error (_("--tls takes none, starttls or implicit, not “%s”"), tls);
      return MS_CLI_EXIT_USAGE;
    }
  if (auth && strcmp (auth, "plain") != 0 && strcmp (auth, "login") != 0)
    {
      ms_cli_error (_("--auth takes login or plain, not “%s”"), auth);
      return MS_CLI_EXIT_USAGE;
    }
  if (ca && insecure)
    {
      ms_cli_error (_("--ca and --insecure exclude each other"));
      return MS_CLI_EXIT_USAGE;
    }
  if (idle < 0 || timeout < 0)
    {
      ms_cli_error (_("--idle and --timeout take a number of seconds"));
      return MS_CLI_EXIT_USAGE;
    }
  o.server = g_strdup (server ? server
                              : o.proto == MS_PROTO_IMAP ? "imap.mailscope.test"
                                                         : "pop.mailscope.test");
  o.user = g_strdup (user ? user : "student");
  o.password = g_strdup (password ? password : "classroom");
  o.dns = g_strdup (dns);
  o.ca_path = g_strdup (ca);
  o.insecure = insecure;
  o.keylog_path = g_strdup (keylog);
  o.idle_seconds = (guint) idle;
  o.timeout_seconds = (guint) timeout;
  o.download_attachments = download;
  o.delete_messages = del;
  o.apop = apop;
  o.sasl_plain = auth && strcmp (auth, "plain") == 0;
  o.mask_secrets = mask;
  o.step_mode = step;

  ClientRun run = { g_main_loop_new (NULL, FALSE), step, FALSE };
  const MsLabClientCallbacks cb = { on_step, on_line, on_finished };
  MsLabClient *client = ms_lab_client_new (&o, &cb, &run);
  ms_lab_client_options_clear (&o);
  ms_lab_client_start (client);
  g_main_loop_run (run.loop);
  ms_lab_client_free (client);
  g_main_loop_unref (run.loop);
  return run.ok ? MS_CLI_EXIT_OK : MS_CLI_EXIT_FAILURE;
}
