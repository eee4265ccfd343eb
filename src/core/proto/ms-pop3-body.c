/* ms-pop3-body.c - POP3 multi-line response bodies (RFC 1939 section 3):
 * the dot-stuffed lines after a +OK to RETR, TOP, LIST, UIDL, CAPA or AUTH,
 * counted (never buffered) up to the terminating dot line, with listings
 * checked and CAPA / AUTH-list items kept. */
#include "config.h"

#include <string.h>

#include "ms-pop3-private.h"

/* CAPA and AUTH-list lines kept as array members: a real list has ~20. */
#define MS_POP3_MAX_ITEMS 64
/* Bytes of each CAPA / AUTH-list line kept. */
#define MS_POP3_MAX_ITEM 256

/* --- bodies ------------------------------------------------------------ */

/* Holds ev (the +OK line) until the body's dot line arrives. */
void
ms_pop3_body_start (MsPop3 *p, MsEvent *ev, const Pending *cmd)
{
  p->body_ev = ev;
  p->bstate = BODY_BOL;
  p->body_lines = 0;
  p->body_octets = 0;
  p->body_bad = FALSE;
  p->body_content = strcmp (cmd->verb, "RETR") == 0 || strcmp (cmd->verb, "TOP") == 0;
  p->body_listing = strcmp (cmd->verb, "LIST") == 0 || strcmp (cmd->verb, "UIDL") == 0;
  p->items_name = NULL;
  if (strcmp (cmd->verb, "CAPA") == 0)
    p->items_name = "capabilities";
  else if (strcmp (cmd->verb, "AUTH") == 0)
    p->items_name = "mechanisms";
  if (p->items_name)
    p->items = json_array_new ();
  g_byte_array_set_size (p->item, 0);
}

/* Ends the open multi-line response at stream offset `end`. */
void
ms_pop3_body_end (MsPop3 *p, guint64 end, guint flags)
{
  MsEvent *ev = p->body_ev;
  p->body_ev = NULL;
  ev->flags |= flags;
  if (p->body_bad)
    ev->flags |= MS_EVENT_MALFORMED;
  ms_event_set_range (ev, ev->offset, end - ev->offset);
  ms_event_add_int (ev, "lines", (gint64) p->body_lines);
  ms_event_add_int (ev, "octets", (gint64) p->body_octets);
  if (p->body_content)
    ms_event_add_int (ev, "content_bytes", (gint64) p->body_octets);
  if (p->items)
    {
      JsonNode *n = json_node_new (JSON_NODE_ARRAY);
      json_node_take_array (n, p->items);
      p->items = NULL;
      ms_event_add_node (ev, p->items_name, n);
    }
  emit (p, ev);
}

/* One content byte of a body line (after dot-unstuffing). */
static void
body_byte (MsPop3 *p, guint8 c)
{
  p->body_octets++;
  if (c == '\n')
    {
      p->body_lines++;
      p->bstate = BODY_BOL;
      if (p->items && json_array_get_length (p->items) < MS_POP3_MAX_ITEMS && p->item->len)
        {
          g_autofree char *s = ms_pop3_info_text (p->item->data, p->item->len);
          json_array_add_string_element (p->items, s);
        }
      if (p->item->len)
        g_byte_array_set_size (p->item, 0);
      return;
    }
  p->bstate = BODY_MID;
  if (p->items && c != '\r' && p->item->len < MS_POP3_MAX_ITEM)
    g_byte_array_append (p->item, &c, 1);
}

/* Scans body bytes starting at stream offset `off`; returns how many it
 * used (it stops after the terminating ".CRLF"). */
gsize
ms_pop3_body_feed (MsPop3 *p, guint64 off, const guint8 *d, gsize len)
{
  for (gsize i = 0; i < len; i++)
    {
      guint8 c = d[i];
      switch (p->bstate)
        {
        case BODY_BOL:
          if (c == '.')
            {
              p->bstate = BODY_DOT;
              break;
            }
          if (p->body_listing && !g_ascii_isdigit (c))
            p->body_bad = TRUE;
          body_byte (p, c);
          break;
        case BODY_DOT:
          if (c == '\r')
            {
              p->bstate = BODY_DOT_CR;
              break;
            }
          if (c == '\n')
            {
              ms_pop3_body_end (p, off + i + 1, 0);
              return i + 1;
            }
          if (p->body_listing)
            p->body_bad = TRUE;
          if (c != '.')
            body_byte (p, '.');   /* an unstuffed leading dot: keep it */
          body_byte (p, c);
          break;
        case BODY_DOT_CR:
          if (c == '\n')
            {
              ms_pop3_body_end (p, off + i + 1, 0);
              return i + 1;
            }
          body_byte (p, '.');
          body_byte (p, '\r');
          body_byte (p, c);
          break;
        case BODY_MID:
        default:
          if (p->items == NULL && !p->body_listing)
            {
              /* Fast path: content lines are only counted, line after
               * line, until one begins with a dot (dot-stuffing or the
               * end). A line beginning with anything else is counted just
               * like the rest of a line. */
              for (;;)
                {
                  const guint8 *nl = memchr (d + i, '\n', len - i);
                  if (nl == NULL)
                    {
                      p->body_octets += len - i;
                      return len;
                    }
                  gsize run = (gsize) (nl - (d + i)) + 1;
                  p->body_octets += run;
                  p->body_lines++;
                  i += run;
                  if (i == len || d[i] == '.')
                    break;
                }
              p->bstate = BODY_BOL;
              i--;   /* the loop steps to the line's first byte */
              break;
            }
          body_byte (p, c);
          break;
        }
    }
  return len;
}
