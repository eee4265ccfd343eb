/* cmd-serve.c - `mailscope-cli serve`: the built-in lab (IMAP, POP3, their
 * TLS ports and DNS for mailscope.test) with every session's commands on
 * stdout; and `mailscope-cli deliver`, which drops a message into a lab
 * mailbox as a mail transfer agent would. */
#include "config.h"

#include <inttypes.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib-unix.h>

#include "lab/ms-lab-server.h"
#include "lab/ms-maildir.h"
#include "ms-cli.h"

/* The lab's own directory under the user's data directory. */
#define MS_SERVE_DATA_SUBDIR "mailscope"
/* A log line shows at most this much of a client's line: enough for any
 * command, and a long base64 blob does not flood the teacher's screen. */
#define MS_SERVE_LOG_MAX_TEXT 300

typedef struct {
  MsLabService svc;
  const char *label;          /* as printed: "IMAP" */
  guint16 standard, fallback; /* ports tried when no listener is named */
} ServiceInfo;

static const ServiceInfo services[] = {
  { MS_LAB_DNS, "DNS", 53, 10053 },
  { MS_LAB_IMAP, "IMAP", 143, 1143 },
  { MS_LAB_POP3, "POP3", 110, 1110 },
  { MS_LAB_IMAPS, "IMAPS", 993, 1993 },
  { MS_LAB_POP3S, "POP3S", 995, 1995 },
};

/* The project's sample Maildirs: installed, or in the source tree when
 * running from a build directory. NULL when neither exists. */
static char *
find_samples (void)
{
  const char *env = g_getenv ("MAILSCOPE_SAMPLES_DIR");
  const char *candidates[] = { env, PKGDATADIR "/samples", SOURCE_SAMPLES_DIR };
  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      if (candidates[i] == NULL || candidates[i][0] == '\0')
        continue;
      char *dir = g_build_filename (candidates[i], "maildir", NULL);
      if (g_file_test (dir, G_FILE_TEST_IS_DIR))
        return dir;
      g_free (dir);
    }
  return NULL;
}

static char *
default_data_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), MS_SERVE_DATA_SUBDIR, NULL);
}

/* --- serve ----------------------------------------------------------- */

/* One command-log line on stdout. Client text is shown with control
 * characters replaced, so nothing a client sends can drive the teacher's
 * terminal. */
static void
log_line (const char *service, const char *peer, char who, const char *text, gpointer data)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S");
  GString *clean = g_string_sized_new (strlen (text) + 8);
  gsize shown = 0;
  for (const char *p = text; *p; p++)
    {
      if (shown++ >= MS_SERVE_LOG_MAX_TEXT)
        {
          g_string_append (clean, "…");
          break;
        }
      guchar ch = (guchar) *p;
      g_string_append_c (clean, ch < 0x20 || ch == 0x7f ? '?' : (char) ch);
    }
  const char *tag = who == 'C' ? "C:" : who == 'S' ? "S:" : "--";
  printf ("%s %-5s %-22s %s %s\n", stamp, service, peer, tag, clean->str);
  g_string_free (clean, TRUE);
}

static gboolean
on_signal (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_CONTINUE;
}

static void
print_listener (const ServiceInfo *info, const char *addr, guint16 port)
{
  gboolean v6 = strchr (addr, ':') != NULL;
  printf ("%-8s %s%s%s:%u%s\n", info->label, v6 ? "[" : "", addr, v6 ? "]" : "", port,
          info->svc == MS_LAB_DNS ? _(" (UDP and TCP)") : "");
}

/* The host part of "ADDR:PORT" for printing. */
static char *
host_of (const char *addr_port)
{
  g_autoptr (GSocketConnectable) c = g_network_address_parse (addr_port, 0, NULL);
  return g_strdup (c ? g_network_address_get_hostname (G_NETWORK_ADDRESS (c)) : addr_port);
}

/* Starts the listeners the command line names; FALSE after printing the
 * error. */
static gboolean
listen_named (MsLabServer *srv, char **specs[], guint *started)
{
  for (guint i = 0; i < G_N_ELEMENTS (services); i++)
    for (guint j = 0; specs[i] && specs[i][j]; j++)
      {
        g_autoptr (GError) error = NULL;
        guint16 port = ms_lab_server_listen (srv, services[i].svc, specs[i][j], &error);
        if (port == 0)
          {
            ms_cli_error (_("cannot listen for %s on %s: %s"), services[i].label, specs[i][j],
                          error->message);
            return FALSE;
          }
        g_autofree char *host = host_of (specs[i][j]);
        print_listener (&services[i], host, port);
        (*started)++;
      }
  return TRUE;
}

/* No listener named: the standard ports on 127.0.0.1 where this process
 * may bind them (root, or a free port), the fallbacks otherwise. */
static void
listen_defaults (MsLabServer *srv, guint *started)
{
  for (guint i = 0; i < G_N_ELEMENTS (services); i++)
    {
      const ServiceInfo *info = &services[i];
      g_autoptr (GError) error = NULL;
      guint16 tries[] = { info->standard, info->fallback };
      guint16 port = 0;
      for (guint k = 0; k < G_N_ELEMENTS (tries) && port == 0; k++)
        {
          g_clear_error (&error);
          g_autofree char *spec = g_strdup_printf ("127.0.0.1:%u", tries[k]);
          port = ms_lab_server_listen (srv, info->svc, spec, &error);
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
            break;
        }
      if (port)
        {
          print_listener (info, "127.0.0.1", port);
          (*started)++;
        }
      else
        printf ("%-8s %s\n", info->label, error ? error->message : "");
    }
}

int
ms_cmd_serve (int argc, char **argv)
{
  g_auto (GStrv) imap = NULL, imaps = NULL, pop3 = NULL, pop3s = NULL, dns = NULL, users = NULL;
  g_autofree char *maildir = NULL, *cert = NULL, *key = NULL, *keylog = NULL;
  gboolean require_tls = FALSE, allow_plaintext = FALSE;
  g_auto (GStrv) rest = NULL;
  g_autoptr (GError) error = NULL;
  const GOptionEntry entries[] = {
    { "imap", 0, 0, G_OPTION_ARG_STRING_ARRAY, &imap,
      N_("Serve IMAP on ADDR:PORT (port 0 picks a free one); may be repeated"), N_("ADDR:PORT") },
    { "imaps", 0, 0, G_OPTION_ARG_STRING_ARRAY, &imaps,
      N_("Serve IMAP over implicit TLS on ADDR:PORT"), N_("ADDR:PORT") },
    { "pop3", 0, 0, G_OPTION_ARG_STRING_ARRAY, &pop3, N_("Serve POP3 on ADDR:PORT"),
      N_("ADDR:PORT") },
    { "pop3s", 0, 0, G_OPTION_ARG_STRING_ARRAY, &pop3s,
      N_("Serve POP3 over implicit TLS on ADDR:PORT"), N_("ADDR:PORT") },
    { "dns", 0, 0, G_OPTION_ARG_STRING_ARRAY, &dns,
      N_("Answer DNS for mailscope.test on ADDR:PORT (UDP and TCP)"), N_("ADDR:PORT") },
    { "maildir", 'd', 0, G_OPTION_ARG_FILENAME, &maildir,
      N_("Keep the users' Maildirs (DIR/NAME) and the lab certificate in DIR"), N_("DIR") },
    { "user", 'u', 0, G_OPTION_ARG_STRING_ARRAY, &users,
      N_("An account (default student:classroom); may be repeated"), N_("NAME:PASSWORD") },
    { "cert", 0, 0, G_OPTION_ARG_FILENAME, &cert,
      N_("TLS certificate chain (PEM) instead of the generated lab certificate"), N_("FILE") },
    { "key", 0, 0, G_OPTION_ARG_FILENAME, &key, N_("The private key (PEM) for --cert"),
      N_("FILE") },
    { "keylog", 0, 0, G_OPTION_ARG_FILENAME, &keylog,
      N_("Append every TLS session's secrets to FILE (NSS key log format, for Wireshark and "
         "mailscope-cli decode)"),
      N_("FILE") },
    { "require-tls", 0, 0, G_OPTION_ARG_NONE, &require_tls,
      N_("Refuse passwords until the session has switched to TLS"), NULL },
    { "allow-plaintext", 0, 0, G_OPTION_ARG_NONE, &allow_plaintext,
      N_("Accept passwords without TLS from other hosts too (a closed classroom network)"),
      NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL, NULL },
    { NULL }
  };

  g_autoptr (GOptionContext) ctx = g_option_context_new (NULL);
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_set_summary (
    ctx, _("Run the mail lab: IMAP, POP3 (plain and TLS) and DNS for mailscope.test in one "
           "process, printing every command and reply as it happens."));
  g_option_context_set_description (
    ctx, _("Without listener options the standard ports on 127.0.0.1 are used where they can "
           "be bound (53, 143, 110, 993, 995), otherwise 10053, 1143, 1110, 1993 and 1995.\n"
           "New accounts start with a copy of the sample mailbox. Passwords are masked in the "
           "log. Ctrl+C stops the server."));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  if (!ms_cli_parse_options (ctx, "mailscope-cli serve", argc, argv, &error))
    {
      ms_cli_error ("%s", error->message);
      return MS_CLI_EXIT_USAGE;
    }
  if (rest && rest[0])
    {
      ms_cli_error (_("unexpected argument “%s”"), rest[0]);
      return MS_CLI_EXIT_USAGE;
    }
  if ((cert == NULL) != (key == NULL))
    {
      ms_cli_error (_("--cert and --key go together"));
      return MS_CLI_EXIT_USAGE;
    }

  MsLabConfig cfg;
  ms_lab_config_init (&cfg);
  cfg.data_dir = maildir ? g_strdup (maildir) : default_data_dir ();
  cfg.seed_dir = find_samples ();
  for (guint i = 0; users && users[i]; i++)
    g_ptr_array_add (cfg.users, g_strdup (users[i]));
  cfg.cert_path = g_strdup (cert);
  cfg.key_path = g_strdup (key);
  cfg.keylog_path = g_strdup (keylog);
  cfg.require_tls = require_tls;
  cfg.allow_plaintext = allow_plaintext;

  MsLabServer *srv = ms_lab_server_new (&cfg, &error);
  if (srv == NULL)
    {
      gboolean usage = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      ms_cli_error ("%s", error->message);
      ms_lab_config_clear (&cfg);
      return usage ? MS_CLI_EXIT_USAGE : MS_CLI_EXIT_FAILURE;
    }

  /* Every account's Maildir exists from the start, for the teacher to look
   * into and for deliver to fill. */
  for (guint i = 0; i < ms_lab_server_config (srv)->users->len; i++)
    {
      const char *spec = ms_lab_server_config (srv)->users->pdata[i];
      g_autofree char *name = g_strndup (spec, (gsize) (strchr (spec, ':') - spec));
      if (ms_lab_server_maildir (srv, name, &error) == NULL)
        {
          ms_cli_error ("%s", error->message);
          ms_lab_server_free (srv);
          ms_lab_config_clear (&cfg);
          return MS_CLI_EXIT_FAILURE;
        }
    }

  /* The log is read live, often through a pipe. */
  setvbuf (stdout, NULL, _IOLBF, 0);
  signal (SIGPIPE, SIG_IGN);

  char **specs[G_N_ELEMENTS (services)] = { dns, imap, pop3, imaps, pop3s };
  gboolean named = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (services); i++)
    named |= specs[i] != NULL;
  guint started = 0;
  int status = MS_CLI_EXIT_OK;
  if (named)
    {
      if (!listen_named (srv, specs, &started))
        status = MS_CLI_EXIT_FAILURE;
    }
  else
    listen_defaults (srv, &started);
  if (status == MS_CLI_EXIT_OK && started == 0)
    {
      ms_cli_error (_("no service could be started"));
      status = MS_CLI_EXIT_FAILURE;
    }

  if (status == MS_CLI_EXIT_OK)
    {
      printf ("%-8s %s\n", _("Maildirs"), cfg.data_dir);
      GString *names = g_string_new (NULL);
      for (guint i = 0; i < ms_lab_server_config (srv)->users->len; i++)
        {
          const char *spec = ms_lab_server_config (srv)->users->pdata[i];
          const char *colon = strchr (spec, ':');
          if (names->len)
            g_string_append (names, ", ");
          g_string_append_len (names, spec, colon ? colon - spec : -1);
        }
      printf ("%-8s %s\n", _("Users"), names->str);
      g_string_free (names, TRUE);
      if (cfg.seed_dir == NULL)
        printf ("%-8s %s\n", "", _("(no sample mailbox found: new accounts start empty)"));
      if (keylog)
        printf ("%-8s %s\n", _("Key log"), keylog);
      ms_lab_server_set_log (srv, log_line, NULL);
      GMainLoop *loop = g_main_loop_new (NULL, FALSE);
      guint sigint = g_unix_signal_add (SIGINT, on_signal, loop);
      guint sigterm = g_unix_signal_add (SIGTERM, on_signal, loop);
      /* Only now: whoever waits for this line may signal us at once. */
      printf ("%s\n", _("Ready. Press Ctrl+C to stop."));
      g_main_loop_run (loop);
      g_source_remove (sigint);
      g_source_remove (sigterm);
      printf ("%s\n", _("Stopping: open sessions are closed, unfinished POP3 deletions are "
                        "not carried out."));
      ms_lab_server_free (srv);
      srv = NULL;
      g_main_loop_unref (loop);
    }
  if (srv)
    ms_lab_server_free (srv);
  ms_lab_config_clear (&cfg);
  return status;
}

/* --- deliver --------------------------------------------------------- */

/* Reads a whole file or standard input ("-"), refusing more than the
 * store accepts. */
static GBytes *
read_message (const char *path, GError **error)
{
  FILE *f = strcmp (path, "-") == 0 ? stdin : fopen (path, "rb");
  if (f == NULL)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, _("cannot open %s"), path);
      return NULL;
    }
  GByteArray *buf = g_byte_array_new ();
  guint8 chunk[65536];
  size_t n;
  gboolean too_big = FALSE;
  while ((n = fread (chunk, 1, sizeof chunk, f)) > 0)
    {
      if (buf->len + n > MS_MAILDIR_MAX_MESSAGE)
        {
          too_big = TRUE;
          break;
        }
      g_byte_array_append (buf, chunk, (guint) n);
    }
  gboolean failed = ferror (f);
  if (f != stdin)
    fclose (f);
  if (too_big || failed)
    {
      g_byte_array_unref (buf);
      if (too_big)
        g_set_error (error, MS_MAILDIR_ERROR, MS_MAILDIR_ERROR_TOO_BIG,
                     _("%s is larger than the lab's limit of %u bytes"), path,
                     MS_MAILDIR_MAX_MESSAGE);
      else
        g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO, _("cannot read %s"), path);
      return NULL;
    }
  return g_byte_array_free_to_bytes (buf);
}

int
ms_cmd_deliver (int argc, char **argv)
{
  g_autofree char *maildir = NULL, *user = NULL, *mailbox = NULL;
  g_auto (GStrv) files = NULL;
  g_autoptr (GError) error = NULL;
  const GOptionEntry entries[] = {
    { "maildir", 'd', 0, G_OPTION_ARG_FILENAME, &maildir,
      N_("The lab's data directory, as given to serve --maildir"), N_("DIR") },
    { "user", 'u', 0, G_OPTION_ARG_STRING, &user, N_("The account (default student)"),
      N_("NAME") },
    { "mailbox", 'm', 0, G_OPTION_ARG_STRING, &mailbox,
      N_("The mailbox (default INBOX; Sent, Archive, …)"), N_("MAILBOX") },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, N_("FILE|-") },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (NULL);
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_set_summary (
    ctx, _("Deliver a message (a file, or standard input with -) into a lab mailbox, the "
           "way a mail server does: it appears in the Maildir's new/ folder, where a running "
           "lab server finds it."));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  if (!ms_cli_parse_options (ctx, "mailscope-cli deliver", argc, argv, &error))
    {
      ms_cli_error ("%s", error->message);
      return MS_CLI_EXIT_USAGE;
    }
  if (files == NULL || files[0] == NULL || files[1] != NULL)
    {
      ms_cli_error (_("give one message file, or - for standard input (usage: mailscope-cli "
                      "deliver [--user NAME] FILE)"));
      return MS_CLI_EXIT_USAGE;
    }
  const char *name = user ? user : MS_LAB_SEED_USER;
  if (!ms_maildir_name_ok (name) || strchr (name, '.') != NULL
      || strcmp (name, MS_LAB_TLS_SUBDIR) == 0)
    {
      ms_cli_error (_("“%s” is not a plain user name"), name);
      return MS_CLI_EXIT_USAGE;
    }
  const char *box = mailbox ? mailbox : "INBOX";
  if (!ms_maildir_name_ok (box))
    {
      ms_cli_error (_("“%s” is not a mailbox name"), box);
      return MS_CLI_EXIT_USAGE;
    }

  g_autoptr (GBytes) msg = read_message (files[0], &error);
  if (msg == NULL)
    {
      ms_cli_error ("%s", error->message);
      return MS_CLI_EXIT_FAILURE;
    }
  if (g_bytes_get_size (msg) == 0)
    {
      ms_cli_error (_("%s is empty: there is no message to deliver"), files[0]);
      return MS_CLI_EXIT_FAILURE;
    }

  g_autofree char *data_dir = maildir ? g_strdup (maildir) : default_data_dir ();
  g_autofree char *root = g_build_filename (data_dir, name, NULL);
  /* A mailbox never served yet starts like the server would start it. */
  g_autofree char *samples = find_samples ();
  if (samples)
    {
      g_autofree char *seed = g_build_filename (samples, name, NULL);
      if (!g_file_test (seed, G_FILE_TEST_IS_DIR))
        {
          g_free (seed);
          seed = g_build_filename (samples, MS_LAB_SEED_USER, NULL);
        }
      if (g_file_test (seed, G_FILE_TEST_IS_DIR) && !ms_maildir_seed (seed, root, &error))
        {
          ms_cli_error ("%s", error->message);
          return MS_CLI_EXIT_FAILURE;
        }
    }
  MsMaildir *md = ms_maildir_open (root, &error);
  if (md == NULL)
    {
      ms_cli_error ("%s", error->message);
      return MS_CLI_EXIT_FAILURE;
    }
  gsize len;
  const guint8 *data = g_bytes_get_data (msg, &len);
  g_autofree char *path = ms_maildir_deliver (md, box, data, len, &error);
  ms_maildir_free (md);
  if (path == NULL)
    {
      ms_cli_error ("%s", error->message);
      return MS_CLI_EXIT_FAILURE;
    }
  printf (_("Delivered %" PRIu64 " bytes to %s of %s: %s\n"), (guint64) len, box, name, path);
  return MS_CLI_EXIT_OK;
}
