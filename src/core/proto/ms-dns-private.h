/* ms-dns-private.h - what the DNS decoder's files share: names and rdata
 * read from the wire (ms-dns-wire.c), one message to an event and the
 * header check of the sniffers (ms-dns.c), for ms-dns.c itself and DNS
 * over TCP (ms-dns-tcp.c). Not installed. */
#pragma once

#include <glib.h>

#include "ms-dns.h"
#include "mailscope/ms-cursor.h"

G_BEGIN_DECLS

/* RFC 1035 4.1.1: the fixed header. */
#define MS_DNS_HEADER_LEN 12

typedef enum {
  NAME_OK,
  NAME_SHORT,  /* ran out of bytes */
  NAME_BAD,    /* grammar broken; *why says how */
} NameResult;

/* Reads the (possibly compressed) name at c->pos, appending its labels
 * joined by dots to out, and moves c past it; see ms-dns-wire.c. */
NameResult ms_dns_read_name (MsCursor *c, GString *out, const char **why);

/* Formats rdata (the cursor r ends where the rdata ends) into data, and
 * into brief the short form tshark shows in its Info column. Returns FALSE
 * when the rdata does not fit its type's grammar. */
gboolean ms_dns_format_rdata (MsCursor *r, guint16 type, gsize rdlen, GString *data,
                              GString *brief);

/* Decodes one message into a new event (never NULL); see ms-dns.h. */
MsEvent *ms_dns_build_event (guint64 offset, const guint8 *data, gsize len,
                             gboolean truncated);

/* Header checks shared by both sniffers: FALSE unless opcode, rcode and
 * counts look like a real message of msg_len bytes. */
gboolean ms_dns_sniff_header (const guint8 *h, gsize msg_len);

G_END_DECLS
