/* ms-dns-wire.c - DNS names and rdata as they sit on the wire (RFC 1035
 * 3.1 and 4.1.4 compression, 3596 AAAA, 2782 SRV, 8659 CAA, 3597 unknown
 * types), read with their limits and written in zone-file presentation
 * form. */
#include "config.h"

#include <string.h>

#include "ms-dns-private.h"

/* --- limits ------------------------------------------------------------ */

/* RFC 1035 3.1: a name is at most 255 octets on the wire, length octets
 * and the final root label included. */
#define MS_DNS_MAX_NAME 255
/* RFC 1035 3.1: labels are at most 63 octets (the top two bits of the
 * length octet select the label type). */
#define MS_DNS_MAX_LABEL 63
/* A 255-octet name holds at most 127 labels; a sane encoder never needs
 * more pointers than labels, so more hops means a crafted chain. Pointers
 * must also move strictly backwards, which alone rules out loops. */
#define MS_DNS_MAX_POINTER_HOPS 127
/* Rdata of types without a decoder is shown in hex (RFC 3597) up to this
 * many octets; longer rdata only shows its length. */
#define MS_DNS_MAX_HEX_RDATA 64

/* --- presentation -------------------------------------------------------- */

/* Appends one label in dig's presentation form: the characters that are
 * special in zone files behind a backslash, everything outside printable
 * ASCII as \DDD, so the result is always valid UTF-8 and reversible. */
static void
append_label (GString *out, const guint8 *p, gsize n)
{
  for (gsize i = 0; i < n; i++)
    {
      guint8 b = p[i];
      if (b <= 0x20 || b >= 0x7f)
        g_string_append_printf (out, "\\%03u", b);
      else if (strchr (".\\\"()@$;", b))
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) b);
        }
      else
        g_string_append_c (out, (char) b);
    }
}

/* Appends a TXT/CAA character-string in double quotes (RFC 1035 5.1). */
static void
append_quoted (GString *out, const guint8 *p, gsize n)
{
  g_string_append_c (out, '"');
  for (gsize i = 0; i < n; i++)
    {
      guint8 b = p[i];
      if (b < 0x20 || b >= 0x7f)
        g_string_append_printf (out, "\\%03u", b);
      else if (b == '"' || b == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) b);
        }
      else
        g_string_append_c (out, (char) b);
    }
  g_string_append_c (out, '"');
}

/* RFC 5952 text form of an IPv6 address. */
static void
append_ipv6 (GString *out, const guint8 *a)
{
  guint16 w[8];
  int best = -1, best_len = 0;
  for (int i = 0; i < 8; i++)
    w[i] = (guint16) ((a[2 * i] << 8) | a[2 * i + 1]);
  for (int i = 0; i < 8;)
    {
      int j = i;
      while (j < 8 && w[j] == 0)
        j++;
      if (j - i > best_len && j - i >= 2)
        {
          best = i;
          best_len = j - i;
        }
      i = j > i ? j : i + 1;
    }
  for (int i = 0; i < 8; i++)
    {
      if (i == best)
        {
          g_string_append (out, "::");
          i += best_len - 1;
          continue;
        }
      if (i > 0 && i != best + best_len)
        g_string_append_c (out, ':');
      g_string_append_printf (out, "%x", w[i]);
    }
}

/* --- names --------------------------------------------------------------- */

/* Reads the (possibly compressed) name at c->pos, appending its labels
 * joined by dots (no trailing dot; the root is empty) to out, and moves c
 * past the name as stored at this position. c->base must be the whole
 * message, since pointers are offsets from its start. A pointer must point
 * before the start of the label sequence that contains it (tcpdump's rule),
 * so every jump moves strictly backwards and loops are impossible. Fails
 * (SHORT, or BAD with *why) with c failed. */
NameResult
ms_dns_read_name (MsCursor *c, GString *out, const char **why)
{
  MsCursor walk = *c;
  gsize seq_start = walk.pos;
  gsize wire_len = 1;  /* the root label's length octet */
  guint hops = 0;
  gboolean jumped = FALSE;
  gboolean first = TRUE;

  for (;;)
    {
      gsize at = walk.pos;
      guint8 len = ms_cursor_u8 (&walk);
      if (walk.failed)
        goto short_read;
      if ((len & 0xc0) == 0xc0)
        {
          guint8 lo = ms_cursor_u8 (&walk);
          if (walk.failed)
            goto short_read;
          gsize target = ((gsize) (len & 0x3f) << 8) | lo;
          if (!jumped)
            c->pos = walk.pos;
          jumped = TRUE;
          if (target >= seq_start)
            {
              *why = target > at ? "forward-pointer" : "pointer-loop";
              goto bad;
            }
          if (++hops > MS_DNS_MAX_POINTER_HOPS)
            {
              *why = "too-many-pointers";
              goto bad;
            }
          walk.pos = target;
          seq_start = target;
          continue;
        }
      if (len > MS_DNS_MAX_LABEL)
        {
          /* 0x40: RFC 6891's deprecated extended labels; 0x80: reserved. */
          *why = "label-too-long";
          goto bad;
        }
      if (len == 0)
        break;
      wire_len += 1 + (gsize) len;
      if (wire_len > MS_DNS_MAX_NAME)
        {
          *why = "name-too-long";
          goto bad;
        }
      const guint8 *p = ms_cursor_bytes (&walk, len);
      if (p == NULL)
        goto short_read;
      if (!first)
        g_string_append_c (out, '.');
      first = FALSE;
      append_label (out, p, len);
    }
  if (!jumped)
    c->pos = walk.pos;
  return NAME_OK;

short_read:
  c->failed = TRUE;
  return NAME_SHORT;
bad:
  c->failed = TRUE;
  return NAME_BAD;
}

/* --- rdata -------------------------------------------------------------- */

/* Appends a name found inside rdata, zone-file style (trailing dot). */
static gboolean
rdata_name (MsCursor *r, GString *data, GString *brief)
{
  const char *why = NULL;
  gsize start = data->len;
  if (ms_dns_read_name (r, data, &why) != NAME_OK)
    return FALSE;
  if (brief)
    g_string_append (brief, data->str + start);
  g_string_append_c (data, '.');
  return TRUE;
}

/* Formats rdata (the cursor r ends where the rdata ends) into data, and
 * into brief the short form tshark shows in its Info column. Returns FALSE
 * when the rdata does not fit its type's grammar. */
gboolean
ms_dns_format_rdata (MsCursor *r, guint16 type, gsize rdlen, GString *data, GString *brief)
{
  switch (type)
    {
    case 1: /* A */
      {
        const guint8 *a = rdlen == 4 ? ms_cursor_bytes (r, 4) : NULL;
        if (a == NULL)
          return FALSE;
        g_string_append_printf (data, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
        g_string_append (brief, data->str);
        return TRUE;
      }
    case 28: /* AAAA */
      {
        const guint8 *a = rdlen == 16 ? ms_cursor_bytes (r, 16) : NULL;
        if (a == NULL)
          return FALSE;
        append_ipv6 (data, a);
        g_string_append (brief, data->str);
        return TRUE;
      }
    case 2: /* NS */
    case 5: /* CNAME */
    case 12: /* PTR */
    case 39: /* DNAME */
      return rdata_name (r, data, brief);
    case 15: /* MX */
      {
        guint16 pref = ms_cursor_be16 (r);
        if (r->failed)
          return FALSE;
        g_string_append_printf (data, "%u ", pref);
        g_string_append (brief, data->str);
        return rdata_name (r, data, brief);
      }
    case 33: /* SRV */
      {
        guint16 prio = ms_cursor_be16 (r);
        guint16 weight = ms_cursor_be16 (r);
        guint16 port = ms_cursor_be16 (r);
        if (r->failed)
          return FALSE;
        g_string_append_printf (data, "%u %u %u ", prio, weight, port);
        g_string_append (brief, data->str);
        return rdata_name (r, data, brief);
      }
    case 6: /* SOA */
      {
        if (!rdata_name (r, data, brief))
          return FALSE;
        g_string_append_c (data, ' ');
        if (!rdata_name (r, data, NULL))
          return FALSE;
        guint32 v[5];
        for (guint i = 0; i < 5; i++)
          v[i] = ms_cursor_be32 (r);
        if (r->failed)
          return FALSE;
        g_string_append_printf (data, " %u %u %u %u %u", v[0], v[1], v[2], v[3], v[4]);
        return TRUE;
      }
    case 16: /* TXT */
    case 99: /* SPF */
      while (ms_cursor_left (r) > 0)
        {
          guint8 n = ms_cursor_u8 (r);
          const guint8 *s = ms_cursor_bytes (r, n);
          if (s == NULL)
            return FALSE;
          if (data->len)
            g_string_append_c (data, ' ');
          append_quoted (data, s, n);
        }
      return TRUE;
    case 257: /* CAA, RFC 8659 4.1 */
      {
        guint8 flags = ms_cursor_u8 (r);
        guint8 taglen = ms_cursor_u8 (r);
        const guint8 *tag = ms_cursor_bytes (r, taglen);
        if (tag == NULL || taglen == 0)
          return FALSE;
        gsize vlen = ms_cursor_left (r);
        const guint8 *val = ms_cursor_bytes (r, vlen);
        g_string_append_printf (data, "%u ", flags);
        append_label (data, tag, taglen);
        g_string_append_c (data, ' ');
        append_quoted (data, val, vlen);
        return TRUE;
      }
    default:
      {
        /* RFC 3597 generic form: \# length hex. */
        const guint8 *b = ms_cursor_bytes (r, rdlen);
        if (b == NULL)
          return FALSE;
        g_string_append_printf (data, "\\# %" G_GSIZE_FORMAT, rdlen);
        if (rdlen > 0 && rdlen <= MS_DNS_MAX_HEX_RDATA)
          {
            g_string_append_c (data, ' ');
            for (gsize i = 0; i < rdlen; i++)
              g_string_append_printf (data, "%02x", b[i]);
          }
        return TRUE;
      }
    }
}
