/* fuzz-lab-session.c - one lab server session per fuzz input, over the
 * memory transport, in a lab whose Maildir is copied afresh each time so
 * that every input starts from the same state (and replays alike). */
#include "config.h"

#include <stdlib.h>

#include <glib/gstdio.h>

#include "fuzz-common.h"
#include "fuzz-lab-session.h"
#include "lab/ms-lab-tls.h"

/* Main loop iterations per record: enough for the zero failed-login delay
 * and for output to drain; bounds a session that keeps itself busy. */
#define FUZZ_PUMP_ROUNDS 200

static char *cert_dir, *cert_path, *key_path;

static void
remove_cert_dir (void)
{
  if (cert_dir != NULL)
    ms_fuzz_rm_rf (cert_dir);
}

/* The lab certificate is generated once per process: key generation costs
 * more than many inputs. */
static void
ensure_cert (void)
{
  if (cert_dir != NULL)
    return;
  cert_dir = g_dir_make_tmp ("ms-fuzz-cert-XXXXXX", NULL);
  if (cert_dir == NULL || !ms_lab_tls_ensure_cert (cert_dir, &cert_path, &key_path, NULL))
    g_error ("cannot make the lab certificate");
  atexit (remove_cert_dir);
}

/* The command log runs as in `mailscope-cli serve`, its lines dropped. */
static void
drop_log (const char *service, const char *peer, char who, const char *text, gpointer data)
{
}

MsLabServer *
ms_fuzz_lab_new (char **dir)
{
  GError *error = NULL;
  MsLabConfig cfg;

  ensure_cert ();
  *dir = g_dir_make_tmp ("ms-fuzz-lab-XXXXXX", &error);
  if (*dir == NULL)
    g_error ("%s", error->message);
  ms_lab_config_init (&cfg);
  cfg.data_dir = g_strdup (*dir);
  cfg.seed_dir = g_strdup (ms_fuzz_samples_maildir ());
  cfg.cert_path = g_strdup (cert_path);
  cfg.key_path = g_strdup (key_path);
  cfg.failed_login_delay_ms = 0;
  MsLabServer *srv = ms_lab_server_new (&cfg, &error);
  if (srv == NULL)
    g_error ("%s", error->message);
  ms_lab_config_clear (&cfg);
  ms_lab_server_set_log (srv, drop_log, NULL);
  return srv;
}

void
ms_fuzz_lab_free (MsLabServer *srv, char *dir)
{
  ms_lab_server_free (srv);
  ms_fuzz_rm_rf (dir);
  g_free (dir);
}

static void
pump (void)
{
  for (int i = 0; i < FUZZ_PUMP_ROUNDS && g_main_context_pending (NULL); i++)
    g_main_context_iteration (NULL, FALSE);
}

void
ms_fuzz_lab_session (MsLabService svc, const guint8 *data, gsize size)
{
  char *dir;
  MsLabServer *srv = ms_fuzz_lab_new (&dir);
  GByteArray *sink = g_byte_array_new ();
  MsLabConn *conn = ms_lab_conn_new_memory ("127.0.0.1:40000", TRUE, sink);
  MsFuzzReader r;
  MsFuzzRecord rec;

  ms_lab_conn_ref (conn);
  ms_lab_conn_set_ssl_ctx (conn, ms_lab_server_ssl_ctx (srv));
  ms_lab_server_adopt (srv, svc, conn);
  pump ();
  ms_fuzz_reader_init (&r, data, size);
  while (ms_fuzz_reader_next (&r, &rec))
    {
      if (rec.gap)
        break;
      ms_lab_conn_feed (conn, rec.data, rec.len);
      pump ();
      /* What the server said is not kept: only its memory is bounded. */
      if (sink->len > (1u << 20))
        g_byte_array_set_size (sink, 0);
    }
  ms_lab_conn_abort (conn);
  pump ();
  ms_lab_conn_unref (conn);
  g_byte_array_unref (sink);
  ms_fuzz_lab_free (srv, dir);
}
