/* ms-tls-private.h - what the TLS decoder's two files share: the record
 * and handshake decoder (ms-tls.c) and the hello parsers and names
 * (ms-tls-hello.c). */
#pragma once

#include "mailscope/ms-event.h"

G_BEGIN_DECLS

/* "ClientHello", "Finished", …; NULL when unknown. */
const char *ms_tls_handshake_name (guint8 type);
/* "handshake_failure", …; NULL when unknown. */
const char *ms_tls_alert_name (guint8 code);
/* Fill ev from a ClientHello or ServerHello body; FALSE when the bytes
 * break the grammar. The ServerHello says whether TLS 1.3 (or a draft
 * of it) was chosen, after which the handshake is encrypted. */
gboolean ms_tls_parse_client_hello (MsEvent *ev, const guint8 *body, gsize len);
gboolean ms_tls_parse_server_hello (MsEvent *ev, const guint8 *body, gsize len, gboolean *tls13);

G_END_DECLS
