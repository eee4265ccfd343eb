/* ms-types.c - names for the shared enums and address helpers. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "mailscope/ms-types.h"

static const char *const proto_names[MS_PROTO_N] = {
  [MS_PROTO_NONE] = "",
  [MS_PROTO_DNS] = "dns",
  [MS_PROTO_TCP] = "tcp",
  [MS_PROTO_IMAP] = "imap",
  [MS_PROTO_POP3] = "pop3",
  [MS_PROTO_TLS] = "tls",
};

static const char *const step_names[MS_STEP_N] = {
  [MS_STEP_NONE] = "",
  [MS_STEP_DNS] = "dns",
  [MS_STEP_CONNECT] = "connect",
  [MS_STEP_GREETING] = "greeting",
  [MS_STEP_NEGOTIATE] = "negotiate",
  [MS_STEP_TLS] = "tls",
  [MS_STEP_LOGIN] = "login",
  [MS_STEP_LIST] = "list",
  [MS_STEP_FETCH] = "fetch",
  [MS_STEP_REFRESH] = "refresh",
  [MS_STEP_UPDATE] = "update",
  [MS_STEP_LOGOUT] = "logout",
  [MS_STEP_CLOSE] = "close",
};

const char *
ms_proto_name (MsProto proto)
{
  return (guint) proto < MS_PROTO_N ? proto_names[proto] : "";
}

MsProto
ms_proto_from_name (const char *name)
{
  if (name == NULL)
    return MS_PROTO_NONE;
  for (guint i = 1; i < MS_PROTO_N; i++)
    if (g_ascii_strcasecmp (name, proto_names[i]) == 0)
      return (MsProto) i;
  if (g_ascii_strcasecmp (name, "pop") == 0)
    return MS_PROTO_POP3;
  return MS_PROTO_NONE;
}

const char *
ms_dir_name (MsDir dir)
{
  switch (dir)
    {
    case MS_DIR_C2S:
      return "c2s";
    case MS_DIR_S2C:
      return "s2c";
    case MS_DIR_NONE:
    default:
      return "";
    }
}

const char *
ms_step_name (MsStep step)
{
  return (guint) step < MS_STEP_N ? step_names[step] : "";
}

MsStep
ms_step_from_name (const char *name)
{
  if (name == NULL)
    return MS_STEP_NONE;
  for (guint i = 1; i < MS_STEP_N; i++)
    if (strcmp (name, step_names[i]) == 0)
      return (MsStep) i;
  return MS_STEP_NONE;
}

gboolean
ms_addr_equal (const MsAddr *a, const MsAddr *b)
{
  if (a->family != b->family || a->port != b->port)
    return FALSE;
  return memcmp (a->addr, b->addr, a->family == 4 ? 4 : 16) == 0;
}

guint
ms_addr_hash (const MsAddr *a)
{
  guint h = (guint) a->family * 31u + a->port;
  gsize n = a->family == 4 ? 4 : 16;
  for (gsize i = 0; i < n; i++)
    h = h * 16777619u ^ a->addr[i];
  return h;
}

char *
ms_addr_format_ip (const MsAddr *a, char *buf, gsize size)
{
  if (size == 0)
    return buf;
  buf[0] = '\0';
  if (a->family == 4)
    inet_ntop (AF_INET, a->addr, buf, (socklen_t) size);
  else if (a->family == 6)
    inet_ntop (AF_INET6, a->addr, buf, (socklen_t) size);
  return buf;
}

/* Appends the decimal port; no printf, as this runs for every event. */
static gsize
put_port (char *p, guint16 port)
{
  char digits[6];
  gsize n = 0;
  do
    digits[n++] = (char) ('0' + port % 10);
  while ((port /= 10) != 0);
  for (gsize i = 0; i < n; i++)
    p[i] = digits[n - 1 - i];
  return n;
}

char *
ms_addr_format (const MsAddr *a, char *buf, gsize size)
{
  char ip[INET6_ADDRSTRLEN] = "";
  ms_addr_format_ip (a, ip, sizeof ip);
  gsize iplen = strlen (ip);
  if (size < iplen + 10)
    {
      g_snprintf (buf, size, "%s", ip);
      return buf;
    }
  char *p = buf;
  if (a->port != 0 && a->family == 6)
    *p++ = '[';
  memcpy (p, ip, iplen);
  p += iplen;
  if (a->port != 0)
    {
      if (a->family == 6)
        *p++ = ']';
      *p++ = ':';
      p += put_port (p, a->port);
    }
  *p = '\0';
  return buf;
}
