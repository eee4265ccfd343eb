/* ms-tls-hello.c - the cleartext parts of a TLS handshake that the decoder
 * reads (ms-tls.c): the ClientHello (SNI, offered versions, ALPN) and the
 * ServerHello (chosen version and cipher suite, HelloRetryRequest), and the
 * names of handshake messages, alerts, versions and cipher suites. */
#include "config.h"

#include <string.h>

#include "mailscope/ms-cursor.h"
#include "ms-tls-private.h"

/* Entries kept from a ClientHello's version and ALPN lists. */
#define MS_TLS_MAX_LIST 16

#define EXT_SERVER_NAME 0
#define EXT_ALPN 16
#define EXT_SUPPORTED_VERSIONS 43

/* RFC 8446 section 4.1.3: a ServerHello with this random is a
 * HelloRetryRequest. */
static const guint8 hrr_random[32] = {
  0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
  0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static const struct {
  guint8 type;
  const char *name;
} hs_names[] = {
  { 0, "HelloRequest" },       { 1, "ClientHello" },         { 2, "ServerHello" },
  { 3, "HelloVerifyRequest" }, { 4, "NewSessionTicket" },    { 5, "EndOfEarlyData" },
  { 8, "EncryptedExtensions" }, { 11, "Certificate" },       { 12, "ServerKeyExchange" },
  { 13, "CertificateRequest" }, { 14, "ServerHelloDone" },   { 15, "CertificateVerify" },
  { 16, "ClientKeyExchange" }, { 20, "Finished" },           { 21, "CertificateURL" },
  { 22, "CertificateStatus" }, { 24, "KeyUpdate" },          { 254, "MessageHash" },
};

/* IANA TLS Alert registry. */
static const struct {
  guint8 code;
  const char *name;
} alert_names[] = {
  { 0, "close_notify" },           { 10, "unexpected_message" },     { 20, "bad_record_mac" },
  { 21, "decryption_failed" },     { 22, "record_overflow" },        { 30, "decompression_failure" },
  { 40, "handshake_failure" },     { 41, "no_certificate" },         { 42, "bad_certificate" },
  { 43, "unsupported_certificate" }, { 44, "certificate_revoked" },  { 45, "certificate_expired" },
  { 46, "certificate_unknown" },   { 47, "illegal_parameter" },      { 48, "unknown_ca" },
  { 49, "access_denied" },         { 50, "decode_error" },           { 51, "decrypt_error" },
  { 70, "protocol_version" },      { 71, "insufficient_security" },  { 80, "internal_error" },
  { 86, "inappropriate_fallback" }, { 90, "user_canceled" },         { 100, "no_renegotiation" },
  { 109, "missing_extension" },    { 110, "unsupported_extension" }, { 112, "unrecognized_name" },
  { 113, "bad_certificate_status_response" }, { 115, "unknown_psk_identity" },
  { 116, "certificate_required" }, { 120, "no_application_protocol" },
};

/* The cipher suites a student is likely to meet (IANA registry names). */
static const struct {
  guint16 id;
  const char *name;
} cipher_names[] = {
  { 0x0004, "TLS_RSA_WITH_RC4_128_MD5" },
  { 0x0005, "TLS_RSA_WITH_RC4_128_SHA" },
  { 0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA" },
  { 0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA" },
  { 0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA" },
  { 0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA" },
  { 0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA" },
  { 0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256" },
  { 0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256" },
  { 0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256" },
  { 0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256" },
  { 0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256" },
  { 0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384" },
  { 0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256" },
  { 0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384" },
  { 0x1301, "TLS_AES_128_GCM_SHA256" },
  { 0x1302, "TLS_AES_256_GCM_SHA384" },
  { 0x1303, "TLS_CHACHA20_POLY1305_SHA256" },
  { 0x1304, "TLS_AES_128_CCM_SHA256" },
  { 0x1305, "TLS_AES_128_CCM_8_SHA256" },
  { 0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA" },
  { 0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA" },
  { 0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA" },
  { 0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA" },
  { 0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256" },
  { 0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384" },
  { 0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256" },
  { 0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384" },
  { 0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" },
  { 0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" },
  { 0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
  { 0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" },
  { 0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
  { 0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" },
  { 0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
};

/* --- names ---------------------------------------------------------------- */

static gboolean
is_grease (guint16 v)
{
  /* RFC 8701: 0x0a0a, 0x1a1a, ... 0xfafa */
  return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* "TLS 1.2", "SSL 3.0", "TLS 1.3 draft 28" or "0x0a0a"; into buf. */
static const char *
version_name (guint16 v, char *buf, gsize size)
{
  switch (v)
    {
    case 0x0300:
      return "SSL 3.0";
    case 0x0301:
      return "TLS 1.0";
    case 0x0302:
      return "TLS 1.1";
    case 0x0303:
      return "TLS 1.2";
    case 0x0304:
      return "TLS 1.3";
    default:
      if ((v >> 8) == 0x7f)
        g_snprintf (buf, size, "TLS 1.3 draft %u", v & 0xff);
      else
        g_snprintf (buf, size, "0x%04x", v);
      return buf;
    }
}

const char *
ms_tls_handshake_name (guint8 type)
{
  for (gsize i = 0; i < G_N_ELEMENTS (hs_names); i++)
    if (hs_names[i].type == type)
      return hs_names[i].name;
  return NULL;
}

const char *
ms_tls_alert_name (guint8 code)
{
  for (gsize i = 0; i < G_N_ELEMENTS (alert_names); i++)
    if (alert_names[i].code == code)
      return alert_names[i].name;
  return NULL;
}

static const char *
cipher_name (guint16 id)
{
  for (gsize i = 0; i < G_N_ELEMENTS (cipher_names); i++)
    if (cipher_names[i].id == id)
      return cipher_names[i].name;
  return NULL;
}

/* --- hello parsing ------------------------------------------------------ */

static JsonNode *
array_node (JsonArray *a)
{
  JsonNode *n = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (n, a);
  return n;
}

/* Fills ev from a ClientHello body (RFC 8446 4.1.2). FALSE when the
 * bytes break the grammar. */
gboolean
ms_tls_parse_client_hello (MsEvent *ev, const guint8 *body, gsize len)
{
  MsCursor c;
  char vbuf[32];
  JsonArray *versions = json_array_new ();
  JsonArray *alpn = NULL;
  char *sni = NULL;
  gboolean have_sv = FALSE;

  ms_cursor_init (&c, body, len);
  guint16 legacy = ms_cursor_be16 (&c);
  ms_cursor_skip (&c, 32);
  ms_cursor_skip (&c, ms_cursor_u8 (&c));
  guint16 cs_len = ms_cursor_be16 (&c);
  ms_cursor_skip (&c, cs_len);
  ms_cursor_skip (&c, ms_cursor_u8 (&c));
  gboolean ok = !c.failed && cs_len % 2 == 0;

  if (ok && ms_cursor_left (&c) >= 2)
    {
      gboolean short_read;
      guint16 ext_len = ms_cursor_be16 (&c);
      MsCursor exts = ms_cursor_sub (&c, ext_len, &short_read);
      /* A cut-off hello still yields the extensions that arrived. */
      if (short_read)
        ok = FALSE;
      while (ms_cursor_left (&exts) >= 4)
        {
          guint16 et = ms_cursor_be16 (&exts);
          guint16 el = ms_cursor_be16 (&exts);
          MsCursor e = ms_cursor_sub (&exts, el, &short_read);
          if (short_read)
            ok = FALSE;
          if (et == EXT_SERVER_NAME && sni == NULL)
            {
              MsCursor list = ms_cursor_sub (&e, ms_cursor_be16 (&e), &short_read);
              while (!short_read && ms_cursor_left (&list) >= 3)
                {
                  guint8 nt = ms_cursor_u8 (&list);
                  guint16 nl = ms_cursor_be16 (&list);
                  const guint8 *name = ms_cursor_bytes (&list, nl);
                  if (name && nt == 0 && sni == NULL)
                    sni = g_strndup ((const char *) name, nl);
                }
              if (short_read || list.failed || e.failed)
                ok = FALSE;
            }
          else if (et == EXT_SUPPORTED_VERSIONS)
            {
              MsCursor list = ms_cursor_sub (&e, ms_cursor_u8 (&e), &short_read);
              have_sv = TRUE;
              while (ms_cursor_left (&list) >= 2)
                {
                  guint16 v = ms_cursor_be16 (&list);
                  if (!is_grease (v) && json_array_get_length (versions) < MS_TLS_MAX_LIST)
                    json_array_add_string_element (versions, version_name (v, vbuf, sizeof vbuf));
                }
              if (short_read || e.failed)
                ok = FALSE;
            }
          else if (et == EXT_ALPN && alpn == NULL)
            {
              MsCursor list = ms_cursor_sub (&e, ms_cursor_be16 (&e), &short_read);
              alpn = json_array_new ();
              while (!short_read && ms_cursor_left (&list) >= 1)
                {
                  guint8 pl = ms_cursor_u8 (&list);
                  const guint8 *proto = ms_cursor_bytes (&list, pl);
                  if (proto && json_array_get_length (alpn) < MS_TLS_MAX_LIST)
                    {
                      g_autofree char *name = g_utf8_make_valid ((const char *) proto, pl);
                      json_array_add_string_element (alpn, name);
                    }
                }
              if (short_read || list.failed || e.failed)
                ok = FALSE;
            }
        }
      if (ms_cursor_left (&exts) != 0)
        ok = FALSE;
    }

  if (!have_sv)
    json_array_add_string_element (versions, version_name (legacy, vbuf, sizeof vbuf));
  if (sni)
    {
      /* A host name is one line of text, whatever the bytes say. */
      for (char *q = sni; *q; q++)
        if ((guchar) *q < 0x20 || *q == 0x7f)
          *q = '?';
      ms_event_add_strn (ev, "sni", sni, strlen (sni));
    }
  ms_event_add_node (ev, "versions", array_node (versions));
  ms_event_add_int (ev, "cipher_suites", cs_len / 2);
  if (alpn)
    ms_event_add_node (ev, "alpn", array_node (alpn));
  if (sni)
    {
      const char *shown = ms_event_get_str (ev, "sni");
      ms_event_set_infof (ev, "Client Hello (SNI=%s)", shown);
    }
  else
    ms_event_set_info (ev, "Client Hello");
  g_free (sni);
  return ok;
}

/* Fills ev from a ServerHello body (RFC 8446 4.1.3); sets *tls13 when it
 * selects TLS 1.3. FALSE when the bytes break the grammar. */
gboolean
ms_tls_parse_server_hello (MsEvent *ev, const guint8 *body, gsize len, gboolean *tls13)
{
  MsCursor c;
  char vbuf[32], cbuf[8];
  guint16 selected = 0;

  ms_cursor_init (&c, body, len);
  guint16 legacy = ms_cursor_be16 (&c);
  const guint8 *random = ms_cursor_bytes (&c, 32);
  ms_cursor_skip (&c, ms_cursor_u8 (&c));
  guint16 cipher = ms_cursor_be16 (&c);
  ms_cursor_u8 (&c);
  gboolean ok = !c.failed;

  if (ok && ms_cursor_left (&c) >= 2)
    {
      gboolean short_read;
      MsCursor exts = ms_cursor_sub (&c, ms_cursor_be16 (&c), &short_read);
      if (short_read)
        ok = FALSE;
      while (ms_cursor_left (&exts) >= 4)
        {
          guint16 et = ms_cursor_be16 (&exts);
          guint16 el = ms_cursor_be16 (&exts);
          MsCursor e = ms_cursor_sub (&exts, el, &short_read);
          if (short_read)
            ok = FALSE;
          if (et == EXT_SUPPORTED_VERSIONS)
            {
              selected = ms_cursor_be16 (&e);
              if (e.failed || ms_cursor_left (&e) != 0)
                ok = FALSE;
            }
        }
      if (ms_cursor_left (&exts) != 0)
        ok = FALSE;
    }
  if (c.failed)
    {
      ms_event_set_info (ev, "Server Hello");
      return FALSE;
    }

  guint16 version = selected ? selected : legacy;
  gboolean hrr = random && memcmp (random, hrr_random, 32) == 0;
  const char *vname = version_name (version, vbuf, sizeof vbuf);
  const char *cname = cipher_name (cipher);
  g_snprintf (cbuf, sizeof cbuf, "0x%04X", cipher);
  ms_event_add_str (ev, "version", vname);
  ms_event_add_str (ev, "cipher", cbuf);
  if (cname)
    ms_event_add_str (ev, "cipher_name", cname);
  if (hrr)
    ms_event_add_bool (ev, "hello_retry", TRUE);
  ms_event_set_infof (ev, "%s (%s, %s)", hrr ? "Hello Retry Request" : "Server Hello",
                      vname, cname ? cname : cbuf);
  *tls13 = version == 0x0304 || (version >> 8) == 0x7f || hrr;
  return ok;
}
