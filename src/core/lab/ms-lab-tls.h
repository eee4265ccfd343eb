/* ms-lab-tls.h - TLS for the lab servers: the self-signed lab certificate,
 * server contexts and the NSS key log (so captures can be decrypted). */
#pragma once

#include <glib.h>
#include <openssl/ssl.h>

G_BEGIN_DECLS

/* Makes sure DIR/lab-cert.pem and DIR/lab-key.pem exist, generating a
 * self-signed certificate for imap.mailscope.test, pop.mailscope.test,
 * localhost, 127.0.0.1 and ::1 on first use. Returns the two paths. */
gboolean ms_lab_tls_ensure_cert (const char *dir, char **cert_path, char **key_path,
                                 GError **error);

/* A server context for that certificate and key. keylog (may be NULL) is a
 * file that receives every session's secrets in the NSS key log format. */
SSL_CTX *ms_lab_tls_server_context (const char *cert_path, const char *key_path,
                                    const char *keylog, GError **error);

/* A client context; ca_path NULL with insecure TRUE skips verification.
 * keylog as above. */
SSL_CTX *ms_lab_tls_client_context (const char *ca_path, gboolean insecure,
                                    const char *keylog, GError **error);

G_END_DECLS
