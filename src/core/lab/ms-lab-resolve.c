/* ms-lab-resolve.c - the lab client's own DNS query (RFC 1035 §4, RFC 3596
 * AAAA): one hand-built UDP datagram to the configured resolver, so that the
 * lookup is on the wire where a capture sees it. */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "mailscope/ms-cursor.h"
#include "ms-lab-client.h"

/* RFC 1035 §2.3.4: labels of 63 octets, names of 255 (253 as text). */
#define MAX_LABEL 63
#define MAX_NAME_TEXT 253
/* RFC 1035 §4.2.1: a UDP message without EDNS0 is at most 512 octets; we
 * send no OPT record, but accept a larger datagram from a careless server. */
#define MAX_DATAGRAM 4096
/* A name in a response has at most 128 labels or pointers; more is a loop. */
#define MAX_NAME_STEPS 128
/* Answers looked at: a lab name has one or two. */
#define MAX_ANSWERS 64
/* Tries per query: one retransmission covers a lost datagram on loopback. */
#define TRIES 2

/* Writes `name` as DNS labels into q; FALSE when it is not a valid host name. */
static gboolean
append_name (GByteArray *q, const char *name)
{
  gsize len = strlen (name);
  if (len == 0 || len > MAX_NAME_TEXT)
    return FALSE;
  const char *p = name;
  while (*p)
    {
      const char *dot = strchr (p, '.');
      gsize l = dot ? (gsize) (dot - p) : strlen (p);
      if (l == 0 || l > MAX_LABEL)
        return dot == NULL && l == 0 && p != name;   /* one trailing dot is fine */
      guint8 lb = (guint8) l;
      g_byte_array_append (q, &lb, 1);
      g_byte_array_append (q, (const guint8 *) p, (guint) l);
      p += l;
      if (*p == '.')
        p++;
    }
  guint8 zero = 0;
  g_byte_array_append (q, &zero, 1);
  return TRUE;
}

/* Steps over a (possibly compressed) name; FALSE when malformed or cut. */
static gboolean
skip_name (MsCursor *c)
{
  for (guint i = 0; i < MAX_NAME_STEPS; i++)
    {
      guint8 l = ms_cursor_u8 (c);
      if (c->failed)
        return FALSE;
      if (l == 0)
        return TRUE;
      if ((l & 0xC0) == 0xC0)
        return ms_cursor_skip (c, 1);
      if ((l & 0xC0) != 0)
        return FALSE;   /* 0x40/0x80 label types are obsolete (RFC 6891 §5) */
      if (!ms_cursor_skip (c, l))
        return FALSE;
    }
  return FALSE;
}

/* Parses a response to query `id`; FALSE with error when it is not one. */
static gboolean
parse_response (const guint8 *data, gsize len, guint16 id, guint16 qtype,
                MsLabResolveAnswer *ans, GError **error)
{
  MsCursor c;
  ms_cursor_init (&c, data, len);
  guint16 rid = ms_cursor_be16 (&c);
  guint16 flags = ms_cursor_be16 (&c);
  guint16 qd = ms_cursor_be16 (&c);
  guint16 an = ms_cursor_be16 (&c);
  ms_cursor_skip (&c, 4);   /* NSCOUNT, ARCOUNT */
  if (c.failed || rid != id || !(flags & 0x8000))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("the resolver's reply is not a DNS response to our query"));
      return FALSE;
    }
  ans->rcode = flags & 0x000F;
  for (guint i = 0; i < qd; i++)
    if (!skip_name (&c) || !ms_cursor_skip (&c, 4))
      goto bad;
  ans->answers = an;
  for (guint i = 0; i < an && i < MAX_ANSWERS; i++)
    {
      if (!skip_name (&c))
        goto bad;
      guint16 type = ms_cursor_be16 (&c);
      guint16 klass = ms_cursor_be16 (&c);
      guint32 ttl = ms_cursor_be32 (&c);
      guint16 rdlen = ms_cursor_be16 (&c);
      const guint8 *rdata = ms_cursor_bytes (&c, rdlen);
      if (c.failed)
        goto bad;
      if (ans->address == NULL && type == qtype && klass == 1
          && ((type == MS_DNS_TYPE_A && rdlen == 4) || (type == MS_DNS_TYPE_AAAA && rdlen == 16)))
        {
          ans->address = g_inet_address_new_from_bytes (
            rdata, rdlen == 4 ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6);
          ans->ttl = ttl;
        }
    }
  return TRUE;

bad:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               _("the resolver's response is malformed or cut short"));
  return FALSE;
}

void
ms_lab_resolve_answer_clear (MsLabResolveAnswer *answer)
{
  g_clear_object (&answer->address);
  memset (answer, 0, sizeof *answer);
}

gboolean
ms_lab_resolve (const char *name, const char *resolver, guint16 qtype, guint timeout_ms,
                GCancellable *cancellable, MsLabResolveAnswer *answer, GError **error)
{
  memset (answer, 0, sizeof *answer);
  g_autoptr (GSocketConnectable) conn = g_network_address_parse (resolver, 53, error);
  if (conn == NULL)
    return FALSE;
  const char *host = g_network_address_get_hostname (G_NETWORK_ADDRESS (conn));
  g_autoptr (GInetAddress) ia = g_inet_address_new_from_string (host);
  if (ia == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("the resolver must be a numeric address, not “%s”"), resolver);
      return FALSE;
    }
  g_autoptr (GSocketAddress) sa
    = g_inet_socket_address_new (ia, g_network_address_get_port (G_NETWORK_ADDRESS (conn)));

  guint16 id = (guint16) g_random_int_range (1, 0x10000);
  g_autoptr (GByteArray) q = g_byte_array_new ();
  const guint8 hdr[12] = { id >> 8, id & 0xFF, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
  g_byte_array_append (q, hdr, sizeof hdr);
  if (!append_name (q, name))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a valid host name"), name);
      return FALSE;
    }
  const guint8 tail[4] = { qtype >> 8, qtype & 0xFF, 0, 1 };
  g_byte_array_append (q, tail, sizeof tail);
  answer->id = id;
  answer->query_len = q->len;

  g_autoptr (GSocket) sock = g_socket_new (g_inet_address_get_family (ia), G_SOCKET_TYPE_DATAGRAM,
                                           G_SOCKET_PROTOCOL_UDP, error);
  /* Connected: replies from anyone but the resolver are dropped, and a
   * closed port reports "refused" at once instead of a timeout. */
  if (sock == NULL || !g_socket_connect (sock, sa, cancellable, error))
    return FALSE;

  guint8 buf[MAX_DATAGRAM];
  for (guint t = 0; t < TRIES; t++)
    {
      if (g_socket_send (sock, (const char *) q->data, q->len, cancellable, error) < 0)
        return FALSE;
      gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
      for (;;)
        {
          gint64 left = deadline - g_get_monotonic_time ();
          GError *werr = NULL;
          if (left <= 0
              || !g_socket_condition_timed_wait (sock, G_IO_IN, left, cancellable, &werr))
            {
              if (werr && !g_error_matches (werr, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
                {
                  g_propagate_error (error, werr);
                  return FALSE;
                }
              g_clear_error (&werr);
              break;   /* timed out: retransmit */
            }
          gssize n = g_socket_receive (sock, (char *) buf, sizeof buf, cancellable, error);
          if (n < 0)
            return FALSE;
          GError *perr = NULL;
          if (parse_response (buf, (gsize) n, id, qtype, answer, &perr))
            {
              answer->response_len = (gsize) n;
              return TRUE;
            }
          g_clear_error (&perr);   /* not ours: keep waiting */
        }
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, _("no answer from the resolver %s"),
               resolver);
  return FALSE;
}
