/* ms-pop3.c - POP3 decoder (RFC 1939; RFC 2449 CAPA, response codes and
 * PIPELINING; RFC 5034 AUTH; RFC 2595 STLS; RFC 4616 PLAIN): the decoder
 * class, line assembly, the pending-command queue and server responses.
 * Client lines are interpreted in ms-pop3-command.c, multi-line response
 * bodies are scanned in ms-pop3-body.c. */
#include "config.h"

#include <string.h>

#include "ms-pop3-private.h"

/* Longest line kept. RFC 2449 caps responses at 512 octets, but SASL
 * responses (XOAUTH2 tokens) and sloppy servers go well beyond; past this
 * the line is flagged malformed and the rest is dropped up to the next LF. */
#define MS_POP3_MAX_LINE (64 * 1024)
/* Longest RFC 2449 response code kept (hierarchical codes are short). */
#define MS_POP3_MAX_CODE 64

/* Commands whose +OK starts a multi-line body, always (RFC 1939, 2449). */
static const char *const multiline_always[] = { "RETR", "TOP", "CAPA" };
/* ...and only when given no argument (a listing of every message, or
 * AUTH's mechanism list that some servers send). */
static const char *const multiline_noarg[] = { "LIST", "UIDL", "AUTH" };
/* Client keywords that make a C2S stream unmistakably POP3 for sniffing. */
static const char *const sniff_verbs[] = { "USER", "CAPA", "APOP", "AUTH", "STLS" };

static const guint16 pop3_ports[] = { 110, 1110, 0 };

/* --- small helpers ------------------------------------------------------ */

/* A printable one-line copy of untrusted bytes, at most `cap` characters
 * (then "…"): control bytes and invalid UTF-8 become U+FFFD. */
char *
ms_pop3_text_cap (const guint8 *p, gsize len, gsize cap)
{
  GString *s = g_string_sized_new (MIN (len, cap) + 4);
  /* An empty argument may come as (NULL, 0): no pointer arithmetic on it. */
  const char *q = (const char *) p, *end = p != NULL ? (const char *) p + len : q;
  gsize chars = 0;

  while (q < end && chars < cap)
    {
      gunichar c = g_utf8_get_char_validated (q, end - q);
      if (c == (gunichar) -1 || c == (gunichar) -2 || c < 0x20 || c == 0x7f)
        {
          g_string_append (s, "\xef\xbf\xbd");
          q++;
        }
      else
        {
          const char *next = g_utf8_next_char (q);
          g_string_append_len (s, q, next - q);
          q = next;
        }
      chars++;
    }
  if (q < end)
    g_string_append (s, "\xe2\x80\xa6");
  return g_string_free (s, FALSE);
}

/* ms_pop3_text_cap() for Info and fields: one line of a packet list. */
char *
ms_pop3_info_text (const guint8 *p, gsize len)
{
  return ms_pop3_text_cap (p, len, MS_POP3_MAX_INFO);
}

/* TRUE when p begins with word, ignoring ASCII case. */
static gboolean
prefix_ci (const guint8 *p, gsize len, const char *word)
{
  gsize n = strlen (word);
  return len >= n && g_ascii_strncasecmp ((const char *) p, word, n) == 0;
}

static gboolean
in_list (const char *verb, const char *const *list, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (strcmp (verb, list[i]) == 0)
      return TRUE;
  return FALSE;
}

/* An event for stream bytes [off, off + len), with the flags owed to dir. */
MsEvent *
ms_pop3_new_event (MsPop3 *p, MsDir dir, const char *kind, guint64 off, guint64 len)
{
  MsEvent *ev = ms_event_new (MS_PROTO_POP3, dir, kind);
  ms_event_set_range (ev, off, len);
  ev->flags |= p->side[dir].next_flags;
  p->side[dir].next_flags = 0;
  return ev;
}

static Pending *
pending_front (MsPop3 *p)
{
  return p->p_count ? &p->pending[p->p_head] : NULL;
}

/* Queues a command; FALSE when the queue is full (the command is not
 * remembered and its response will look unsolicited). */
gboolean
ms_pop3_pending_push (MsPop3 *p, const char *verb, gboolean has_arg, gboolean sasl, guint64 off)
{
  if (p->p_count == MS_POP3_MAX_PENDING)
    return FALSE;
  Pending *e = &p->pending[(p->p_head + p->p_count) % MS_POP3_MAX_PENDING];
  g_strlcpy (e->verb, verb, sizeof e->verb);
  e->has_arg = has_arg;
  e->sasl = sasl;
  e->off = off;
  p->p_count++;
  return TRUE;
}

static void
pending_pop (MsPop3 *p, Pending *out)
{
  *out = p->pending[p->p_head];
  p->p_head = (p->p_head + 1) % MS_POP3_MAX_PENDING;
  p->p_count--;
}

/* --- server lines ------------------------------------------------------- */

/* TRUE when a +OK to cmd opens a body that ends with a dot line. */
static gboolean
is_multiline (const Pending *cmd)
{
  if (in_list (cmd->verb, multiline_always, G_N_ELEMENTS (multiline_always)))
    return TRUE;
  return !cmd->has_arg && in_list (cmd->verb, multiline_noarg, G_N_ELEMENTS (multiline_noarg));
}

/* Adds status and the RFC 2449 response code of a +OK/-ERR line. */
static void
add_status (MsEvent *ev, gboolean ok, const guint8 *t, gsize len, guint64 off)
{
  gsize at = ok ? 3 : 4;
  ms_event_add_str (ev, "status", ok ? "+OK" : "-ERR");
  if (at < len && t[at] == ' ')
    at++;
  if (at < len && t[at] == '[')
    {
      gsize end = at + 1;
      while (end < len && end - at <= MS_POP3_MAX_CODE && t[end] != ']')
        end++;
      if (end < len && t[end] == ']' && end > at + 1)
        {
          g_autofree char *code = ms_pop3_info_text (t + at + 1, end - at - 1);
          MsField *f = ms_event_add_str (ev, "code", code);
          f->off = off + at + 1;
          f->len = end - at - 1;
        }
    }
}

/* RFC 1939 section 7: an APOP timestamp is a msg-id, "<...@...>". */
static gboolean
has_apop_stamp (const guint8 *t, gsize len)
{
  const guint8 *lt = memchr (t, '<', len);
  if (lt == NULL)
    return FALSE;
  gsize rest = len - (gsize) (lt - t);
  const guint8 *gt = memchr (lt, '>', rest);
  return gt != NULL && memchr (lt, '@', (gsize) (gt - lt)) != NULL;
}

/* The embedded TLS decoder for after STLS, created on first use. */
static void
ensure_tls (MsPop3 *p)
{
  if (p->tls == NULL)
    {
      MsDecoderConfig cfg = { 0, MS_PROTO_POP3 };
      p->tls = ms_decoder_new (&ms_tls_decoder_class, p->parent.emitter, &cfg);
    }
}

/* Hands a side to TLS from its next byte on; a partial line is dropped. */
static void
side_to_tls (MsPop3 *p, MsDir dir)
{
  Side *s = &p->side[dir];
  ensure_tls (p);
  s->tls = TRUE;
  s->line_started = FALSE;
  s->skipping = FALSE;
  g_byte_array_set_size (s->line, 0);
}

/* One server line (without its line end; `span` covers it). */
static void
server_line (MsPop3 *p, const guint8 *t, gsize len, guint64 off, guint64 span, guint flags)
{
  int status = 0;   /* 1 = +OK, 2 = -ERR */
  if (prefix_ci (t, len, "+OK") && (len == 3 || t[3] == ' ' || t[3] == '\t'))
    status = 1;
  else if (prefix_ci (t, len, "-ERR") && (len == 4 || t[4] == ' ' || t[4] == '\t'))
    status = 2;

  /* The first server line is the greeting, unless a command already waits
   * for it: then the capture began after the greeting. */
  if (!p->greeting_seen && !(p->flags & MS_DECODER_MIDSTREAM) && p->p_count == 0)
    {
      p->greeting_seen = TRUE;
      MsEvent *ev = ms_pop3_new_event (p, MS_DIR_S2C, "response", off, span);
      ev->flags |= flags;
      ms_event_take_info (ev, ms_pop3_info_text (t, len));
      if (status)
        add_status (ev, status == 1, t, len, off);
      else
        ev->flags |= MS_EVENT_MALFORMED;
      ms_event_add_bool (ev, "greeting", TRUE);
      if (status == 1 && has_apop_stamp (t, len))
        ms_event_add_bool (ev, "apop", TRUE);
      emit (p, ev);
      return;
    }
  p->greeting_seen = TRUE;

  Pending *front = pending_front (p);
  if (status == 0 && len >= 1 && t[0] == '+' && (len == 1 || t[1] == ' ') && front
      && front->sasl)
    {
      /* RFC 5034: "+ " and a base64 challenge; the AUTH goes on. */
      MsEvent *ev = ms_pop3_new_event (p, MS_DIR_S2C, "continuation", off, span);
      ev->flags |= flags;
      ms_event_take_info (ev, ms_pop3_info_text (t, len));
      ms_event_add_bool (ev, "continuation", TRUE);
      ms_event_add_str (ev, "for_command", front->verb);
      emit (p, ev);
      return;
    }
  if (status == 0)
    {
      /* Not a response: it answers no command, so pairing stays put. */
      MsEvent *ev = ms_pop3_new_event (p, MS_DIR_S2C, "data", off, span);
      ev->flags |= flags | MS_EVENT_MALFORMED;
      ms_event_take_info (ev, ms_pop3_info_text (t, len));
      emit (p, ev);
      return;
    }

  Pending cmd = { 0 };
  gboolean have = front != NULL;
  if (have)
    pending_pop (p, &cmd);

  MsEvent *ev = ms_pop3_new_event (p, MS_DIR_S2C, "response", off, span);
  ev->flags |= flags;
  ms_event_take_info (ev, ms_pop3_info_text (t, len));
  add_status (ev, status == 1, t, len, off);
  if (have)
    {
      ms_event_add_str (ev, "for_command", cmd.verb);
      ms_event_add_int (ev, "for_offset", (gint64) cmd.off);
      if (cmd.sasl)
        {
          p->in_sasl = FALSE;
          p->sasl_mech = SASL_NONE;
        }
    }
  else if (p->any_command || !(p->flags & MS_DECODER_MIDSTREAM))
    ev->flags |= MS_EVENT_MALFORMED;   /* a response to nothing */

  if (have && status == 1 && is_multiline (&cmd))
    {
      ms_pop3_body_start (p, ev, &cmd);
      return;
    }
  emit (p, ev);
  if (have && status == 1 && strcmp (cmd.verb, "STLS") == 0)
    {
      side_to_tls (p, MS_DIR_S2C);
      if (!p->side[MS_DIR_C2S].tls)
        side_to_tls (p, MS_DIR_C2S);
    }
}

/* --- line assembly ------------------------------------------------------ */

/* Decodes the side's assembled line (its LF consumed) and resets it. */
static void
line_done (MsPop3 *p, MsDir dir, guint flags)
{
  Side *s = &p->side[dir];
  const guint8 *t = s->line->data;
  gsize len = s->line->len;
  guint64 span = s->pos - s->line_off;

  if (len && t[len - 1] == '\r' && !s->overlong)
    len--;
  if (s->overlong)
    flags |= MS_EVENT_MALFORMED;
  if (dir == MS_DIR_C2S)
    {
      if (p->in_sasl)
        ms_pop3_client_sasl_line (p, t, len, s->line_off, span, flags);
      else
        ms_pop3_client_command_line (p, t, len, s->line_off, span, flags);
    }
  else
    server_line (p, t, len, s->line_off, span, flags);
  g_byte_array_set_size (s->line, 0);
  s->line_started = FALSE;
  s->overlong = FALSE;
}

/* TRUE while an STLS waits for its answer. */
static gboolean
stls_pending (MsPop3 *p)
{
  for (guint i = 0; i < p->p_count; i++)
    if (strcmp (p->pending[(p->p_head + i) % MS_POP3_MAX_PENDING].verb, "STLS") == 0)
      return TRUE;
  return FALSE;
}

/* --- the decoder class -------------------------------------------------- */

/* YES for a POP3 greeting or a client command only POP3 uses. A bare
 * "+OK" line is what Redis answers too, so a greeting must carry text. */
static MsSniff
pop3_sniff (MsDir dir, const guint8 *d, gsize len)
{
  if (dir == MS_DIR_S2C)
    {
      static const char ok[] = "+OK";
      for (gsize i = 0; i < 3 && i < len; i++)
        if (g_ascii_toupper (d[i]) != ok[i])
          return MS_SNIFF_NO;
      if (len < 4)
        return MS_SNIFF_NEED_MORE;
      return d[3] == ' ' ? MS_SNIFF_YES : MS_SNIFF_NO;
    }
  if (dir != MS_DIR_C2S)
    return MS_SNIFF_NO;
  gboolean maybe = FALSE;
  for (gsize v = 0; v < G_N_ELEMENTS (sniff_verbs); v++)
    {
      gsize n = MIN (len, (gsize) 4);
      if (g_ascii_strncasecmp ((const char *) d, sniff_verbs[v], n) != 0)
        continue;
      if (len < 5)
        {
          maybe = TRUE;
          continue;
        }
      if (d[4] == ' ' || d[4] == '\r' || d[4] == '\n')
        return MS_SNIFF_YES;
    }
  return maybe ? MS_SNIFF_NEED_MORE : MS_SNIFF_NO;
}

static MsDecoder *
pop3_create (MsEmitter *emitter, const MsDecoderConfig *config)
{
  MsPop3 *p = g_new0 (MsPop3, 1);
  p->parent.klass = &ms_pop3_decoder_class;
  p->parent.emitter = emitter;
  p->flags = config ? config->flags : 0;
  for (int d = 0; d < 2; d++)
    {
      p->side[d].line = g_byte_array_new ();
      /* Mid-stream, the first bytes may sit inside a line. */
      p->side[d].skipping = (p->flags & MS_DECODER_MIDSTREAM) != 0;
    }
  p->item = g_byte_array_new ();
  return &p->parent;
}

static void
pop3_feed (MsDecoder *dec, MsDir dir, guint64 offset, const guint8 *data, gsize len)
{
  MsPop3 *p = (MsPop3 *) dec;
  if (dir != MS_DIR_C2S && dir != MS_DIR_S2C)
    return;
  Side *s = &p->side[dir];
  gsize i = 0;

  s->pos = offset;
  while (i < len)
    {
      if (s->tls)
        {
          ms_decoder_feed (p->tls, dir, s->pos, data + i, len - i);
          s->pos += len - i;
          return;
        }
      if (dir == MS_DIR_S2C && p->body_ev)
        {
          gsize n = ms_pop3_body_feed (p, s->pos, data + i, len - i);
          i += n;
          s->pos += n;
          continue;
        }
      const guint8 *nl = memchr (data + i, '\n', len - i);
      gsize n = nl ? (gsize) (nl - (data + i)) + 1 : len - i;
      if (s->skipping)
        {
          i += n;
          s->pos += n;
          if (nl)
            s->skipping = FALSE;
          continue;
        }
      if (!s->line_started)
        {
          /* A client that starts TLS before the +OK reached us (or a
           * capture that lost it): a handshake record cannot be a command. */
          if (dir == MS_DIR_C2S && data[i] == 0x16 && stls_pending (p))
            {
              side_to_tls (p, MS_DIR_C2S);
              continue;
            }
          s->line_started = TRUE;
          s->line_off = s->pos;
        }
      gsize keep = nl ? n - 1 : n;
      gsize room = MS_POP3_MAX_LINE - s->line->len;
      if (keep > room)
        {
          s->overlong = TRUE;
          keep = room;
        }
      g_byte_array_append (s->line, data + i, (guint) keep);
      i += n;
      s->pos += n;
      if (nl)
        line_done (p, dir, 0);
    }
}

static void
pop3_gap (MsDecoder *dec, MsDir dir, guint64 offset, guint64 missing)
{
  MsPop3 *p = (MsPop3 *) dec;
  if (dir != MS_DIR_C2S && dir != MS_DIR_S2C)
    return;
  Side *s = &p->side[dir];
  if (s->tls)
    {
      ms_decoder_gap (p->tls, dir, offset, missing);
      s->pos = offset + missing;
      return;
    }
  s->pos = offset + missing;
  if (dir == MS_DIR_S2C && p->body_ev)
    {
      /* Stay in the body (only a dot line ends it) but resume mid-line. */
      p->body_ev->flags |= MS_EVENT_GAP;
      p->bstate = BODY_MID;
      return;
    }
  g_byte_array_set_size (s->line, 0);
  s->line_started = FALSE;
  s->overlong = FALSE;
  s->skipping = TRUE;
  s->next_flags |= MS_EVENT_GAP;
}

static void
pop3_finish (MsDecoder *dec)
{
  MsPop3 *p = (MsPop3 *) dec;
  for (int d = 0; d < 2; d++)
    {
      Side *s = &p->side[d];
      if (!s->tls && s->line_started)
        line_done (p, (MsDir) d, MS_EVENT_TRUNCATED);
    }
  if (p->body_ev)
    ms_pop3_body_end (p, p->side[MS_DIR_S2C].pos, MS_EVENT_TRUNCATED);
  if (p->tls)
    ms_decoder_finish (p->tls);
}

static void
pop3_destroy (MsDecoder *dec)
{
  MsPop3 *p = (MsPop3 *) dec;
  for (int d = 0; d < 2; d++)
    g_byte_array_unref (p->side[d].line);
  g_byte_array_unref (p->item);
  if (p->items)
    json_array_unref (p->items);
  if (p->body_ev)
    ms_event_unref (p->body_ev);
  ms_decoder_free (p->tls);
  g_free (p->user);
  g_free (p);
}

const MsDecoderClass ms_pop3_decoder_class = {
  .proto = MS_PROTO_POP3,
  .name = "pop3",
  .ports = pop3_ports,
  .sniff = pop3_sniff,
  .create = pop3_create,
  .feed = pop3_feed,
  .gap = pop3_gap,
  .finish = pop3_finish,
  .destroy = pop3_destroy,
};
