/* ms-dns-server.c - the lab's DNS responder (RFC 1035 over UDP and TCP).
 * It knows only the lab's names: A/AAAA for imap.mailscope.test and
 * pop.mailscope.test, SRV records for the mail services (RFC 6186) and an
 * MX for mailscope.test. Every other name is NXDOMAIN: the lab never asks
 * or answers for the real Internet. */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "mailscope/ms-cursor.h"
#include "ms-lab-server.h"

/* A lab answer fits easily; anything larger than classic UDP DNS is not a
 * query for the lab. */
#define DNS_MAX_UDP 512
/* DNS over TCP messages are at most 65535 bytes by their length prefix;
 * buffered input beyond one message plus its prefix is refused. */
#define DNS_MAX_TCP_BUFFER (65535 + 2)
/* Answers are valid this long: short, so a restarted lab on other ports is
 * seen at once. */
#define DNS_TTL 60
/* Addresses given for one name: a host has few, and the answer must fit
 * in a 512-byte UDP message. */
#define DNS_MAX_ADDRESSES 8
/* With port 0, UDP picks a port that TCP may find taken; try a few. */
#define DNS_BIND_ATTEMPTS 16

enum { T_A = 1, T_MX = 15, T_AAAA = 28, T_SRV = 33 };
enum { RC_NOERROR = 0, RC_FORMERR = 1, RC_NXDOMAIN = 3, RC_NOTIMP = 4 };

typedef struct {
  MsLabServer *srv;
  GPtrArray *udp;        /* GSocket */
  GPtrArray *sources;    /* GSource */
  GPtrArray *tcp;        /* GSocketService */
} DnsState;

/* --- building answers ------------------------------------------------ */

static void
put16 (GByteArray *b, guint v)
{
  guint8 x[2] = { (guint8) (v >> 8), (guint8) v };
  g_byte_array_append (b, x, 2);
}

static void
put32 (GByteArray *b, guint32 v)
{
  guint8 x[4] = { (guint8) (v >> 24), (guint8) (v >> 16), (guint8) (v >> 8), (guint8) v };
  g_byte_array_append (b, x, 4);
}

static void
put_name (GByteArray *b, const char *name)
{
  g_auto (GStrv) labels = g_strsplit (name, ".", -1);
  for (guint i = 0; labels[i]; i++)
    {
      gsize n = strlen (labels[i]);
      if (n == 0 || n > 63)
        continue;
      guint8 len = (guint8) n;
      g_byte_array_append (b, &len, 1);
      g_byte_array_append (b, (const guint8 *) labels[i], (guint) n);
    }
  guint8 zero = 0;
  g_byte_array_append (b, &zero, 1);
}

/* Starts a resource record owned by the question's name (pointer 0xC00C). */
static void
rr_head (GByteArray *b, guint type)
{
  put16 (b, 0xC00C);
  put16 (b, type);
  put16 (b, 1);
  put32 (b, DNS_TTL);
}

static void
rr_with_rdata (GByteArray *b, guint type, GByteArray *rdata)
{
  rr_head (b, type);
  put16 (b, rdata->len);
  g_byte_array_append (b, rdata->data, rdata->len);
}

static guint
srv_answer (DnsState *st, GByteArray *out, GString *desc, MsLabService svc, const char *target)
{
  guint16 port = st->srv ? ms_lab_server_port (st->srv, svc) : 0;
  g_autoptr (GByteArray) rd = g_byte_array_new ();
  put16 (rd, 0);   /* priority */
  put16 (rd, port ? 1 : 0);
  put16 (rd, port);
  /* RFC 6186 §3.4: target "." says the service is not offered. */
  put_name (rd, port ? target : "");
  rr_with_rdata (out, T_SRV, rd);
  g_string_append_printf (desc, " SRV 0 %u %u %s.", port ? 1 : 0, port, port ? target : "");
  return 1;
}

/* Appends one A or AAAA record per address the host's services listen on
 * (a wildcard address stands for loopback); the loopback address when they
 * listen on none of that family. Returns how many. */
static int
address_answers (DnsState *st, GByteArray *out, GString *desc, guint qtype,
                 const MsLabService svcs[2])
{
  GSocketFamily family = qtype == T_A ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6;
  gsize size = qtype == T_A ? 4 : 16;
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < 2 && st->srv; i++)
    {
      GPtrArray *addrs = ms_lab_server_addresses (st->srv, svcs[i]);
      for (guint k = 0; addrs && k < addrs->len; k++)
        {
          GInetAddress *ia = addrs->pdata[k];
          if (g_inet_address_get_family (ia) != family)
            continue;
          GInetAddress *use = g_inet_address_get_is_any (ia) ? g_inet_address_new_loopback (family)
                                                              : g_object_ref (ia);
          gboolean dup = FALSE;
          for (guint j = 0; j < found->len; j++)
            dup |= g_inet_address_equal (found->pdata[j], use);
          if (dup || found->len >= DNS_MAX_ADDRESSES)
            g_object_unref (use);
          else
            g_ptr_array_add (found, use);
        }
    }
  if (found->len == 0)
    g_ptr_array_add (found, g_inet_address_new_loopback (family));
  for (guint j = 0; j < found->len; j++)
    {
      rr_head (out, qtype);
      put16 (out, (guint) size);
      g_byte_array_append (out, g_inet_address_to_bytes (found->pdata[j]), (guint) size);
      g_autofree char *text = g_inet_address_to_string (found->pdata[j]);
      g_string_append_printf (desc, " %s %s", qtype == T_A ? "A" : "AAAA", text);
    }
  return (int) found->len;
}

/* Appends the answer records for (qname, qtype); returns how many, or -1
 * when the name does not exist in the lab. */
static int
answers_for (DnsState *st, GByteArray *out, GString *desc, const char *qname, guint qtype)
{
  static const MsLabService imap[2] = { MS_LAB_IMAP, MS_LAB_IMAPS };
  static const MsLabService pop[2] = { MS_LAB_POP3, MS_LAB_POP3S };
  gboolean is_imap = strcmp (qname, "imap.mailscope.test") == 0;
  if (is_imap || strcmp (qname, "pop.mailscope.test") == 0)
    {
      if (qtype == T_A || qtype == T_AAAA)
        return address_answers (st, out, desc, qtype, is_imap ? imap : pop);
      return 0;
    }
  if (strcmp (qname, "mailscope.test") == 0)
    {
      if (qtype != T_MX)
        return 0;
      g_autoptr (GByteArray) rd = g_byte_array_new ();
      put16 (rd, 10);
      put_name (rd, "imap.mailscope.test");
      rr_with_rdata (out, T_MX, rd);
      g_string_append (desc, " MX 10 imap.mailscope.test.");
      return 1;
    }
  static const struct {
    const char *name;
    MsLabService svc;
    const char *target;
  } srv[] = {
    { "_imap._tcp.mailscope.test", MS_LAB_IMAP, "imap.mailscope.test" },
    { "_imaps._tcp.mailscope.test", MS_LAB_IMAPS, "imap.mailscope.test" },
    { "_pop3._tcp.mailscope.test", MS_LAB_POP3, "pop.mailscope.test" },
    { "_pop3s._tcp.mailscope.test", MS_LAB_POP3S, "pop.mailscope.test" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (srv); i++)
    if (strcmp (qname, srv[i].name) == 0)
      return qtype == T_SRV ? (int) srv_answer (st, out, desc, srv[i].svc, srv[i].target) : 0;
  return -1;
}

static const char *
type_name (guint t)
{
  switch (t)
    {
    case T_A:
      return "A";
    case T_AAAA:
      return "AAAA";
    case T_MX:
      return "MX";
    case T_SRV:
      return "SRV";
    default:
      return "other";
    }
}

/* Answers one query message; returns the response, or NULL when the bytes
 * are not worth an answer (too short for a header, or a response). */
static GByteArray *
respond (DnsState *st, const guint8 *msg, gsize len, const char *peer, const char *via)
{
  MsCursor c;
  ms_cursor_init (&c, msg, len);
  guint id = ms_cursor_be16 (&c);
  guint flags = ms_cursor_be16 (&c);
  guint qd = ms_cursor_be16 (&c);
  ms_cursor_skip (&c, 6);
  if (c.failed || (flags & 0x8000))
    return NULL;

  guint opcode = (flags >> 11) & 0xf;
  guint rcode = RC_NOERROR;
  GString *qname = g_string_new (NULL);
  guint qtype = 0;
  gsize question_end = 12;
  if (opcode != 0)
    rcode = RC_NOTIMP;
  else if (qd != 1)
    rcode = RC_FORMERR;
  else
    {
      for (;;)
        {
          guint n = ms_cursor_u8 (&c);
          if (c.failed || n > 63)   /* pointers have no place in a query */
            {
              rcode = RC_FORMERR;
              break;
            }
          if (n == 0)
            break;
          const guint8 *label = ms_cursor_bytes (&c, n);
          if (label == NULL || qname->len + n + 1 > 255)
            {
              rcode = RC_FORMERR;
              break;
            }
          if (qname->len)
            g_string_append_c (qname, '.');
          for (guint i = 0; i < n; i++)
            g_string_append_c (qname, g_ascii_tolower ((char) label[i]));
        }
      qtype = ms_cursor_be16 (&c);
      ms_cursor_be16 (&c);  /* class */
      if (c.failed)
        rcode = RC_FORMERR;
      question_end = c.pos;
    }

  GByteArray *out = g_byte_array_sized_new (128);
  GString *desc = g_string_new (NULL);   /* the answers, for the log */
  put16 (out, id);
  put16 (out, 0);  /* flags, set below */
  put16 (out, rcode == RC_NOERROR ? 1 : 0);
  put16 (out, 0);  /* answers, set below */
  put16 (out, 0);
  put16 (out, 0);
  int an = 0;
  if (rcode == RC_NOERROR)
    {
      g_byte_array_append (out, msg + 12, (guint) (question_end - 12));
      an = answers_for (st, out, desc, qname->str, qtype);
      if (an < 0)
        {
          rcode = RC_NXDOMAIN;
          an = 0;
        }
    }
  guint rflags = 0x8000 | (opcode << 11) | 0x0400 /* AA */ | (flags & 0x0100) /* RD */ | rcode;
  out->data[2] = (guint8) (rflags >> 8);
  out->data[3] = (guint8) rflags;
  out->data[6] = (guint8) ((guint) an >> 8);
  out->data[7] = (guint8) an;

  static const char *const rcodes[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP" };
  if (st->srv)
    {
      ms_lab_server_log_peer (st->srv, "dns", peer, 'C', "%s %s? (over %s)",
                              qname->len ? qname->str : ".", type_name (qtype), via);
      if (an > 0)
        ms_lab_server_log_peer (st->srv, "dns", peer, 'S', "%s:%s", rcodes[MIN (rcode, 4u)],
                                desc->str);
      else
        ms_lab_server_log_peer (st->srv, "dns", peer, 'S', "%s, no answer",
                                rcodes[MIN (rcode, 4u)]);
    }
  g_string_free (desc, TRUE);
  g_string_free (qname, TRUE);
  return out;
}

GByteArray *
ms_dns_server_answer (MsLabServer *srv, const guint8 *msg, gsize len)
{
  DnsState st = { .srv = srv };
  return respond (&st, msg, len, "memory", "memory");
}

/* --- UDP ------------------------------------------------------------- */

static gboolean
on_udp (GSocket *sock, GIOCondition cond, gpointer data)
{
  DnsState *st = data;
  guint8 buf[DNS_MAX_UDP * 4];
  for (;;)
    {
      GSocketAddress *from = NULL;
      gssize n = g_socket_receive_from (sock, &from, (gchar *) buf, sizeof buf, NULL, NULL);
      if (n < 0)
        break;
      char peer[64] = "?";
      if (G_IS_INET_SOCKET_ADDRESS (from))
        {
          g_autofree char *ip = g_inet_address_to_string (
            g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (from)));
          g_snprintf (peer, sizeof peer, "%s:%u", ip,
                      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (from)));
        }
      GByteArray *out = respond (st, buf, (gsize) n, peer, "udp");
      if (out && out->len <= DNS_MAX_UDP)
        g_socket_send_to (sock, from, (const gchar *) out->data, out->len, NULL, NULL);
      if (out)
        g_byte_array_unref (out);
      g_clear_object (&from);
    }
  return G_SOURCE_CONTINUE;
}

/* --- TCP ------------------------------------------------------------- */

typedef struct {
  DnsState *st;
  MsLabConn *conn;
  GByteArray *buf;
} DnsTcp;

static DnsState *state_of (MsLabServer *srv);

static void
tcp_input (gpointer data, const guint8 *bytes, gsize len)
{
  DnsTcp *t = data;
  g_byte_array_append (t->buf, bytes, (guint) len);
  gsize used = 0;
  while (t->buf->len - used >= 2)
    {
      const guint8 *p = t->buf->data + used;
      gsize need = ((gsize) p[0] << 8) | p[1];
      if (t->buf->len - used < need + 2)
        break;
      GByteArray *out = respond (t->st, p + 2, need, ms_lab_conn_peer (t->conn), "tcp");
      used += need + 2;
      if (out == NULL)
        {
          ms_lab_conn_close (t->conn);
          return;
        }
      guint8 prefix[2] = { (guint8) (out->len >> 8), (guint8) out->len };
      ms_lab_conn_write (t->conn, prefix, 2);
      ms_lab_conn_write (t->conn, out->data, out->len);
      g_byte_array_unref (out);
    }
  g_byte_array_remove_range (t->buf, 0, (guint) used);
  /* What is left is part of one message, so never more than its prefix
   * allows; anything else is not DNS. */
  if (t->buf->len > DNS_MAX_TCP_BUFFER)
    ms_lab_conn_close (t->conn);
}

static void
tcp_closed (gpointer data)
{
  DnsTcp *t = data;
  g_byte_array_unref (t->buf);
  g_free (t);
}

static const MsLabSessionOps dns_tcp_ops = { tcp_input, tcp_closed };

/* A DNS-over-TCP session: no login, so it never counts as waiting for one. */
static gpointer
tcp_create (MsLabServer *srv, MsLabConn *conn, gboolean tls)
{
  DnsTcp *t = g_new0 (DnsTcp, 1);
  t->st = state_of (srv);
  t->conn = conn;
  t->buf = g_byte_array_new ();
  ms_lab_server_authenticated (srv, conn);
  return t;
}

const MsLabProtocol ms_dns_tcp_protocol = {
  .ops = &dns_tcp_ops,
  .create = tcp_create,
};

static gboolean
on_tcp (GSocketService *service, GSocketConnection *sc, GObject *source, gpointer data)
{
  DnsState *st = data;
  MsLabConn *conn = ms_lab_conn_new_socket (sc, NULL, FALSE);
  ms_lab_server_adopt (st->srv, MS_LAB_DNS, conn);
  return TRUE;
}

/* --- start/stop ------------------------------------------------------ */

static DnsState *
state_of (MsLabServer *srv)
{
  gpointer *slot = ms_lab_server_dns_slot (srv);
  if (*slot == NULL)
    {
      DnsState *st = g_new0 (DnsState, 1);
      st->srv = srv;
      st->udp = g_ptr_array_new_with_free_func (g_object_unref);
      st->sources = g_ptr_array_new ();
      st->tcp = g_ptr_array_new_with_free_func (g_object_unref);
      *slot = st;
    }
  return *slot;
}

/* Binds UDP and TCP on the same port; with port 0, a port free for both. */
static gboolean
bind_pair (GInetSocketAddress *addr, GSocket **udp_out, GSocketService **tcp_out,
           guint16 *bound, GError **error)
{
  GInetAddress *ia = g_inet_socket_address_get_address (addr);
  guint16 want = g_inet_socket_address_get_port (addr);
  for (guint attempt = 0;; attempt++)
    {
      GError *local_error = NULL;
      GSocket *udp = g_socket_new (g_inet_address_get_family (ia), G_SOCKET_TYPE_DATAGRAM,
                                   G_SOCKET_PROTOCOL_UDP, error);
      if (udp == NULL)
        return FALSE;
      if (!g_socket_bind (udp, G_SOCKET_ADDRESS (addr), TRUE, error))
        {
          g_object_unref (udp);
          return FALSE;
        }
      g_autoptr (GSocketAddress) local = g_socket_get_local_address (udp, error);
      if (local == NULL)
        {
          g_object_unref (udp);
          return FALSE;
        }
      guint16 port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
      GSocketService *tcp = g_socket_service_new ();
      g_autoptr (GSocketAddress) tcp_addr = g_inet_socket_address_new (ia, port);
      if (g_socket_listener_add_address (G_SOCKET_LISTENER (tcp), tcp_addr, G_SOCKET_TYPE_STREAM,
                                         G_SOCKET_PROTOCOL_TCP, NULL, NULL, &local_error))
        {
          *udp_out = udp;
          *tcp_out = tcp;
          *bound = port;
          return TRUE;
        }
      g_object_unref (udp);
      g_object_unref (tcp);
      if (want != 0 || attempt + 1 >= DNS_BIND_ATTEMPTS)
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
      g_clear_error (&local_error);
    }
}

gboolean
ms_dns_server_start (MsLabServer *srv, GInetSocketAddress *addr, guint16 *bound, GError **error)
{
  GSocket *udp = NULL;
  GSocketService *tcp = NULL;
  if (!bind_pair (addr, &udp, &tcp, bound, error))
    return FALSE;
  DnsState *st = state_of (srv);
  g_signal_connect (tcp, "incoming", G_CALLBACK (on_tcp), st);
  g_socket_service_start (tcp);
  g_ptr_array_add (st->tcp, tcp);

  g_socket_set_blocking (udp, FALSE);
  GSource *src = g_socket_create_source (udp, G_IO_IN, NULL);
  g_source_set_callback (src, (GSourceFunc) (void (*) (void)) on_udp, st, NULL);
  g_source_attach (src, g_main_context_get_thread_default ());
  g_ptr_array_add (st->sources, src);
  g_ptr_array_add (st->udp, udp);
  return TRUE;
}

void
ms_dns_server_stop_all (MsLabServer *srv)
{
  gpointer *slot = ms_lab_server_dns_slot (srv);
  DnsState *st = *slot;
  if (st == NULL)
    return;
  for (guint i = 0; i < st->sources->len; i++)
    {
      g_source_destroy (st->sources->pdata[i]);
      g_source_unref (st->sources->pdata[i]);
    }
  for (guint i = 0; i < st->tcp->len; i++)
    {
      g_socket_service_stop (st->tcp->pdata[i]);
      g_socket_listener_close (st->tcp->pdata[i]);
    }
  g_ptr_array_unref (st->sources);
  g_ptr_array_unref (st->udp);
  g_ptr_array_unref (st->tcp);
  g_free (st);
  *slot = NULL;
}
