/* ms-imap-response.c - IMAP server lines (RFC 3501/9051 section 7):
 * untagged data and status responses with their response codes,
 * continuation requests, and the tagged completions that close pending
 * commands and switch the session's modes (STARTTLS, COMPRESS RFC 4978). */
#include "config.h"

#include <string.h>

#include "ms-imap-private.h"

/* --- capability lists ----------------------------------------------------
 *
 * A server sends the same capability list again and again: in the greeting,
 * in answer to CAPABILITY, after login, in every session. Each thread keeps
 * the last few lists it turned into JSON arrays, and events share them
 * (JSON nodes are reference-counted, and nothing changes them). */

#define CAPS_KEPT 4

typedef struct {
  char *text[CAPS_KEPT];
  gsize len[CAPS_KEPT];
  JsonNode *node[CAPS_KEPT];
  guint next;               /* slot to replace next */
} CapsKept;

static void
caps_kept_free (gpointer data)
{
  CapsKept *k = data;
  for (guint i = 0; i < CAPS_KEPT; i++)
    {
      g_free (k->text[i]);
      if (k->node[i])
        json_node_unref (k->node[i]);
    }
  g_free (k);
}

static GPrivate caps_key = G_PRIVATE_INIT (caps_kept_free);

/* The words of t[w, end) (separated by spaces) as a JSON array. */
static JsonNode *
caps_build (const char *t, gsize w, gsize end)
{
  JsonArray *caps = json_array_new ();
  while (w < end)
    {
      while (w < end && t[w] == ' ')
        w++;
      gsize we = w;
      while (we < end && t[we] != ' ')
        we++;
      char word[128];
      if (we > w && we - w < sizeof word && g_utf8_validate_len (t + w, we - w, NULL))
        {
          /* The usual case, without a copy of our own on the heap. */
          memcpy (word, t + w, we - w);
          word[we - w] = '\0';
          json_array_add_string_element (caps, word);
        }
      else if (we > w)
        {
          g_autofree char *c = g_utf8_make_valid (t + w, (gssize) (we - w));
          json_array_add_string_element (caps, c);
        }
      w = we;
    }
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (node, caps);
  return node;
}

/* Adds `capabilities`: the words of t[w, end). */
static void
add_capabilities (MsEvent *ev, const char *t, gsize w, gsize end)
{
  CapsKept *k = g_private_get (&caps_key);
  if (k == NULL)
    {
      k = g_new0 (CapsKept, 1);
      g_private_set (&caps_key, k);
    }
  gsize len = end - w;
  for (guint i = 0; i < CAPS_KEPT; i++)
    if (k->node[i] && k->len[i] == len && memcmp (k->text[i], t + w, len) == 0)
      {
        ms_event_add_node (ev, "capabilities", json_node_ref (k->node[i]));
        return;
      }
  JsonNode *node = caps_build (t, w, end);
  guint slot = k->next;
  k->next = (k->next + 1) % CAPS_KEPT;
  g_free (k->text[slot]);
  if (k->node[slot])
    json_node_unref (k->node[slot]);
  k->text[slot] = g_malloc (len + 1);   /* never NULL, even for no words */
  memcpy (k->text[slot], t + w, len);
  k->len[slot] = len;
  k->node[slot] = json_node_ref (node);
  ms_event_add_node (ev, "capabilities", node);
}

/* --- server lines -------------------------------------------------------- */

/* Parses "[CODE …]" at text[s]; adds `code` (and `capabilities`). */
static void
add_resp_code (MsEvent *ev, const char *t, gsize len, gsize s)
{
  if (s >= len || t[s] != '[')
    return;
  gsize e = s + 1;
  while (e < len && t[e] != ' ' && t[e] != ']')
    e++;
  g_autofree char *code = word_upper (t, s + 1, e);
  ms_event_add_str (ev, "code", code);
  if (strcmp (code, "CAPABILITY") == 0)
    {
      gsize close = e;
      while (close < len && t[close] != ']')
        close++;
      add_capabilities (ev, t, e, close);
    }
}

static gboolean
is_status (const char *w)
{
  return strcmp (w, "OK") == 0 || strcmp (w, "NO") == 0 || strcmp (w, "BAD") == 0
         || strcmp (w, "BYE") == 0 || strcmp (w, "PREAUTH") == 0;
}

/* The client's synchronising literal was refused (tagged NO/BAD before
 * any literal byte): its command ends here. */
static void
client_abort_literal (MsImapDecoder *d, const char *tag)
{
  ImapParser *c = &d->p[MS_DIR_C2S];
  if (c->state != ST_LITERAL || c->lits->len == 0)
    return;
  const MsImapLit *lit = &g_array_index (c->lits, MsImapLit, c->lits->len - 1);
  gsize te = word_end (c->text->str, c->text->len, 0);
  if (!lit->sync || lit->got != 0 || te != strlen (tag)
      || strncmp (c->text->str, tag, te) != 0)
    return;
  ms_imap_client_line (d, c->pos, TRUE);
  ms_imap_parser_reset_line (c);
  c->state = ST_LINE;
}

/* "* …": status, data and message-number responses. */
static void
server_untagged (MsImapDecoder *d, ImapParser *p, guint64 end, gboolean first)
{
  const char *t = p->text->str;
  gsize len = p->text->len;
  gsize s = MIN ((gsize) 2, len), e = word_end (t, len, s);
  gint64 number = -1;
  MsEvent *ev = ms_imap_line_event (p, MS_DIR_S2C, "untagged", end);

  ms_event_add_bool (ev, "untagged", TRUE);
  if (e > s && g_ascii_isdigit (t[s]))
    {
      number = g_ascii_strtoll (t + s, NULL, 10);
      s = e < len ? e + 1 : len;
      e = word_end (t, len, s);
    }
  g_autofree char *kind = word_upper (t, s, e);
  gsize rest = e < len ? e + 1 : len;
  if (kind[0] == '\0')
    ev->flags |= MS_EVENT_MALFORMED;
  ms_event_add_str (ev, "kind", kind);
  if (number >= 0)
    ms_event_add_int (ev, "number", number);

  gboolean greeting = first && (strcmp (kind, "OK") == 0 || strcmp (kind, "PREAUTH") == 0
                                || strcmp (kind, "BYE") == 0);
  if (greeting)
    ms_event_add_bool (ev, "greeting", TRUE);
  else if (d->idle)
    ms_event_add_str (ev, "during", "IDLE");
  else if (!g_queue_is_empty (&d->pending))
    ms_event_add_str (ev, "during", ((Pending *) g_queue_peek_head (&d->pending))->command);

  if (is_status (kind))
    add_resp_code (ev, t, len, rest);
  else if (strcmp (kind, "CAPABILITY") == 0)
    add_capabilities (ev, t, rest, len);
  else if (strcmp (kind, "FETCH") == 0)
    {
      MsImapToks *toks = ms_imap_tokenize_from (p, rest, ev);
      if (toks->n_items > 0)
        ms_imap_fetch_response (d->structs, number, toks->items[0], ev);
      else
        ev->flags |= MS_EVENT_MALFORMED;
      ms_imap_toks_free (toks);
    }
  else if (strcmp (kind, "EXPUNGE") == 0)
    ms_imap_structures_forget_numbers (d->structs);
  emit (d, ev);
}

/* A complete server logical line: untagged, continuation or tagged
 * completion; the completion closes its command and may switch modes. */
void
ms_imap_server_line (MsImapDecoder *d, guint64 end)
{
  ImapParser *p = &d->p[MS_DIR_S2C];
  const char *t = p->text->str;
  gsize len = p->text->len;
  gboolean first = !d->greeting_seen;
  d->greeting_seen = TRUE;

  gsize we = word_end (t, len, 0);
  if (we == 1 && t[0] == '*')
    {
      server_untagged (d, p, end, first);
      return;
    }
  if (len > 0 && t[0] == '+' && (we == 1))
    {
      MsEvent *ev = ms_imap_line_event (p, MS_DIR_S2C, "continuation", end);
      ms_event_add_bool (ev, "continuation", TRUE);
      if (!g_queue_is_empty (&d->pending))
        ms_event_add_str (ev, "for_command", ((Pending *) g_queue_peek_tail (&d->pending))->command);
      emit (d, ev);
      return;
    }
  if (we == 0 || we >= len)
    {
      MsEvent *ev = ms_imap_line_event (p, MS_DIR_S2C, "data", end);
      ev->flags |= MS_EVENT_MALFORMED;
      emit (d, ev);
      return;
    }

  gsize ss = we + 1, se = word_end (t, len, ss);
  g_autofree char *tag = g_strndup (t, we);
  g_autofree char *status = word_upper (t, ss, se);
  client_abort_literal (d, tag);

  MsEvent *ev = ms_imap_line_event (p, MS_DIR_S2C, "completion", end);
  ms_event_add_strn (ev, "tag", t, we);
  ms_event_add_str (ev, "status", status);
  if (strcmp (status, "OK") != 0 && strcmp (status, "NO") != 0 && strcmp (status, "BAD") != 0)
    ev->flags |= MS_EVENT_MALFORMED;
  add_resp_code (ev, t, len, se < len ? se + 1 : len);
  Pending *pe = ms_imap_pending_take (d, tag);
  gboolean tls = FALSE, compress = FALSE;
  if (pe)
    {
      ms_event_add_str (ev, "for_command", pe->command);
      if (strcmp (pe->command, "AUTHENTICATE") == 0)
        d->sasl = FALSE;
      else if (strcmp (pe->command, "IDLE") == 0)
        d->idle = FALSE;
      else if (strcmp (pe->command, "STARTTLS") == 0 && strcmp (status, "OK") == 0)
        tls = TRUE;
      else if (strcmp (pe->command, "COMPRESS") == 0 && strcmp (status, "OK") == 0)
        compress = TRUE;
      ms_imap_pending_free (pe);
    }
  emit (d, ev);
  if (tls)
    {
      ms_imap_tls_switch (d, MS_DIR_C2S);
      ms_imap_tls_switch (d, MS_DIR_S2C);
    }
  if (compress)
    for (int i = 0; i < 2; i++)
      {
        ImapParser *q = &d->p[i];
        ms_imap_parser_reset_line (q);
        q->state = ST_OPAQUE;
        q->opaque_start = i == MS_DIR_S2C ? end : q->pos;
      }
}
