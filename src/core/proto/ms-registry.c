/* ms-registry.c - the single table the pipeline dispatches stream decoders
 * from: by well-known port first, then by sniffing the first bytes. */
#include "config.h"

#include "mailscope/ms-decoder.h"

static const MsDecoderClass *const classes[] = {
  &ms_imap_decoder_class,
  &ms_pop3_decoder_class,
  &ms_tls_decoder_class,
  &ms_dns_tcp_decoder_class,
};

/* Implicit-TLS ports and the protocol they carry (RFC 8314). */
static const struct {
  guint16 port;
  MsProto inner;
} tls_ports[] = {
  { 993, MS_PROTO_IMAP },
  { 995, MS_PROTO_POP3 },
  { 1993, MS_PROTO_IMAP },  /* the lab's unprivileged fallbacks */
  { 1995, MS_PROTO_POP3 },
};

const MsDecoderClass *const *
ms_decoder_classes (guint *n)
{
  if (n)
    *n = G_N_ELEMENTS (classes);
  return classes;
}

const MsDecoderClass *
ms_decoder_class_for (MsProto proto)
{
  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    if (classes[i]->proto == proto)
      return classes[i];
  return NULL;
}

const MsDecoderClass *
ms_decoder_class_for_port (guint16 port, MsProto *inner)
{
  if (inner)
    *inner = MS_PROTO_NONE;
  if (port == 0)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (tls_ports); i++)
    if (tls_ports[i].port == port)
      {
        if (inner)
          *inner = tls_ports[i].inner;
        return &ms_tls_decoder_class;
      }
  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    for (const guint16 *p = classes[i]->ports; p && *p; p++)
      if (*p == port)
        return classes[i];
  return NULL;
}
