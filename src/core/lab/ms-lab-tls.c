/* ms-lab-tls.c - OpenSSL 3 glue for the lab: certificate generation, server
 * and client contexts, NSS key log output. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ms-lab-tls.h"

/* The lab certificate is for a classroom, not for the Internet: a year is
 * long enough for a course and short enough to be renewed by a new copy. */
#define CERT_DAYS 365

static int keylog_index = -1;
static gsize keylog_index_set = 0;
G_LOCK_DEFINE_STATIC (keylog);

static void
set_ssl_error (GError **error, const char *what)
{
  char buf[256] = "";
  unsigned long e = ERR_get_error ();
  if (e)
    ERR_error_string_n (e, buf, sizeof buf);
  ERR_clear_error ();
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s%s%s", what, buf[0] ? ": " : "", buf);
}

static gboolean
write_pem (const char *path, gboolean is_key, EVP_PKEY *pkey, X509 *cert, GError **error)
{
  g_autofree char *tmp = g_strdup_printf ("%s.tmp", path);
  /* The key is never readable by others, not even for a moment. */
  int fd = g_open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, is_key ? 0600 : 0644);
  FILE *f = fd >= 0 ? fdopen (fd, "w") : NULL;
  if (f == NULL)
    {
      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("cannot write %s"), tmp);
      return FALSE;
    }
  int ok = is_key ? PEM_write_PrivateKey (f, pkey, NULL, NULL, 0, NULL, NULL)
                  : PEM_write_X509 (f, cert);
  if (fclose (f) != 0 || !ok || g_rename (tmp, path) != 0)
    {
      g_unlink (tmp);
      set_ssl_error (error, _("cannot write the lab certificate"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
add_ext (X509 *cert, int nid, const char *value)
{
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb (&ctx);
  X509V3_set_ctx (&ctx, cert, cert, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid (NULL, &ctx, nid, value);
  if (ext == NULL)
    return FALSE;
  int ok = X509_add_ext (cert, ext, -1);
  X509_EXTENSION_free (ext);
  return ok == 1;
}

gboolean
ms_lab_tls_ensure_cert (const char *dir, char **cert_path, char **key_path, GError **error)
{
  char *cert_file = g_build_filename (dir, "lab-cert.pem", NULL);
  char *key_file = g_build_filename (dir, "lab-key.pem", NULL);
  *cert_path = cert_file;
  *key_path = key_file;
  if (g_file_test (cert_file, G_FILE_TEST_EXISTS) && g_file_test (key_file, G_FILE_TEST_EXISTS))
    return TRUE;
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("cannot create %s"), dir);
      return FALSE;
    }

  gboolean ok = FALSE;
  EVP_PKEY *pkey = EVP_EC_gen ("P-256");
  X509 *cert = X509_new ();
  if (pkey == NULL || cert == NULL)
    goto out;
  X509_set_version (cert, 2);
  ASN1_INTEGER_set (X509_get_serialNumber (cert), (long) (g_random_int () & 0x7fffffff));
  X509_gmtime_adj (X509_getm_notBefore (cert), -3600);
  X509_gmtime_adj (X509_getm_notAfter (cert), (long) CERT_DAYS * 24 * 3600);
  X509_set_pubkey (cert, pkey);
  X509_NAME *name = X509_get_subject_name (cert);
  X509_NAME_add_entry_by_txt (name, "O", MBSTRING_UTF8, (const guchar *) "Mailscope lab", -1, -1, 0);
  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const guchar *) "imap.mailscope.test", -1,
                              -1, 0);
  X509_set_issuer_name (cert, name);
  if (!add_ext (cert, NID_subject_alt_name,
                "DNS:imap.mailscope.test,DNS:pop.mailscope.test,DNS:localhost,"
                "IP:127.0.0.1,IP:::1")
      || !add_ext (cert, NID_basic_constraints, "critical,CA:TRUE")
      || !add_ext (cert, NID_key_usage, "critical,digitalSignature,keyCertSign")
      || !add_ext (cert, NID_ext_key_usage, "serverAuth"))
    goto out;
  if (X509_sign (cert, pkey, EVP_sha256 ()) == 0)
    goto out;
  ok = write_pem (key_file, TRUE, pkey, NULL, error) && write_pem (cert_file, FALSE, NULL, cert, error);
  if (ok)
    goto done;
out:
  if (error && *error == NULL)
    set_ssl_error (error, _("cannot make the lab certificate"));
done:
  X509_free (cert);
  EVP_PKEY_free (pkey);
  return ok;
}

static void
keylog_cb (const SSL *ssl, const char *line)
{
  SSL_CTX *ctx = SSL_get_SSL_CTX (ssl);
  FILE *f = SSL_CTX_get_ex_data (ctx, keylog_index);
  if (f == NULL)
    return;
  G_LOCK (keylog);
  fprintf (f, "%s\n", line);
  fflush (f);
  G_UNLOCK (keylog);
}

static void
keylog_free (void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
  if (ptr)
    fclose (ptr);
}

static gboolean
setup_keylog (SSL_CTX *ctx, const char *keylog, GError **error)
{
  if (keylog == NULL)
    return TRUE;
  if (g_once_init_enter (&keylog_index_set))
    {
      keylog_index = SSL_CTX_get_ex_new_index (0, NULL, NULL, NULL, keylog_free);
      g_once_init_leave (&keylog_index_set, 1);
    }
  /* Session secrets: readable by the owner only. */
  int fd = g_open (keylog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  FILE *f = fd >= 0 ? fdopen (fd, "a") : NULL;
  if (f == NULL)
    {
      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("cannot write the key log %s"), keylog);
      return FALSE;
    }
  SSL_CTX_set_ex_data (ctx, keylog_index, f);
  SSL_CTX_set_keylog_callback (ctx, keylog_cb);
  return TRUE;
}

SSL_CTX *
ms_lab_tls_server_context (const char *cert_path, const char *key_path, const char *keylog,
                           GError **error)
{
  SSL_CTX *ctx = SSL_CTX_new (TLS_server_method ());
  if (ctx == NULL)
    {
      set_ssl_error (error, _("cannot create a TLS context"));
      return NULL;
    }
  SSL_CTX_set_min_proto_version (ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file (ctx, cert_path) != 1)
    {
      g_autofree char *what = g_strdup_printf (_("cannot load the certificate %s"), cert_path);
      set_ssl_error (error, what);
      SSL_CTX_free (ctx);
      return NULL;
    }
  if (SSL_CTX_use_PrivateKey_file (ctx, key_path, SSL_FILETYPE_PEM) != 1
      || SSL_CTX_check_private_key (ctx) != 1)
    {
      g_autofree char *what = g_strdup_printf (_("cannot load the key %s"), key_path);
      set_ssl_error (error, what);
      SSL_CTX_free (ctx);
      return NULL;
    }
  if (!setup_keylog (ctx, keylog, error))
    {
      SSL_CTX_free (ctx);
      return NULL;
    }
  return ctx;
}

SSL_CTX *
ms_lab_tls_client_context (const char *ca_path, gboolean insecure, const char *keylog,
                           GError **error)
{
  SSL_CTX *ctx = SSL_CTX_new (TLS_client_method ());
  if (ctx == NULL)
    {
      set_ssl_error (error, _("cannot create a TLS context"));
      return NULL;
    }
  SSL_CTX_set_min_proto_version (ctx, TLS1_2_VERSION);
  if (insecure)
    SSL_CTX_set_verify (ctx, SSL_VERIFY_NONE, NULL);
  else
    {
      SSL_CTX_set_verify (ctx, SSL_VERIFY_PEER, NULL);
      int ok = ca_path ? SSL_CTX_load_verify_locations (ctx, ca_path, NULL)
                       : SSL_CTX_set_default_verify_paths (ctx);
      if (ok != 1)
        {
          set_ssl_error (error, _("cannot load the CA certificates"));
          SSL_CTX_free (ctx);
          return NULL;
        }
    }
  if (!setup_keylog (ctx, keylog, error))
    {
      SSL_CTX_free (ctx);
      return NULL;
    }
  return ctx;
}
