/* ms-imap-command.c - IMAP client lines (RFC 3501/9051 section 6): commands
 * and their pending-table entries, IDLE's DONE, and the AUTHENTICATE / LOGIN
 * exchanges with the credentials they carry (SASL-IR RFC 4959, PLAIN
 * RFC 4616, LOGIN, CRAM-MD5 RFC 2195, XOAUTH2, OAUTHBEARER RFC 7628). */
#include "config.h"

#include <string.h>

#include "ms-imap-private.h"

/* --- limits ------------------------------------------------------------- */

/* Longest tag or command name remembered in the pending table; longer
 * ones are garbage and not worth their memory. */
#define MS_IMAP_MAX_TAG 128

/* --- credentials --------------------------------------------------------- */

/* Marks `ev` as carrying `secret` (info masking) when non-empty. */
static void
add_secret (MsEvent *ev, const char *secret)
{
  if (secret == NULL || secret[0] == '\0')
    return;
  ms_event_add_str (ev, "secret", secret);
  if (ev->info && strstr (ev->info, secret))
    ev->flags |= MS_EVENT_SECRET;
}

/* A credential event for the line of `src`, with the same secrets. */
static void
emit_credential (MsImapDecoder *d, const MsEvent *src, const char *mechanism,
                 const char *user, const char *password, gboolean cleartext)
{
  MsEvent *ev = ms_event_new (MS_PROTO_IMAP, MS_DIR_C2S, "credential");
  ms_event_set_range (ev, src->offset, src->length);
  ms_event_set_info (ev, src->info);
  ev->flags |= MS_EVENT_WARNING | (src->flags & (MS_EVENT_TRUNCATED | MS_EVENT_GAP));
  JsonObject *o = json_object_new ();
  g_autofree char *u = g_utf8_make_valid (user ? user : "", -1);
  json_object_set_string_member (o, "user", u);
  json_object_set_string_member (o, "mechanism", mechanism);
  json_object_set_boolean_member (o, "cleartext", cleartext);
  if (password)
    {
      g_autofree char *pw = g_utf8_make_valid (password, -1);
      json_object_set_string_member (o, "password", pw);
    }
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, o);
  ms_event_add_node (ev, "credential", node);
  for (guint i = 0; src->fields && i < src->fields->len; i++)
    {
      const MsField *f = &g_array_index (src->fields, MsField, i);
      if (strcmp (f->name, "secret") == 0)
        add_secret (ev, f->v.s);
    }
  emit (d, ev);
}

/* The form a string takes inside a quoted string (for masking info). */
static char *
quoted_form (const char *s)
{
  GString *q = g_string_new (NULL);
  for (; *s; s++)
    {
      if (*s == '"' || *s == '\\')
        g_string_append_c (q, '\\');
      g_string_append_c (q, *s);
    }
  return g_string_free (q, FALSE);
}

/* Decodes strict base64 into a NUL-terminated buffer; NULL when the text
 * is not base64. */
static guint8 *
b64_decode (const char *t, gsize len, gsize *out_len)
{
  if (len % 4 != 0)
    return NULL;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (t[i]) && t[i] != '+' && t[i] != '/' && t[i] != '=')
      return NULL;
  g_autofree char *copy = g_strndup (t, len);
  if (len == 0)
    {
      *out_len = 0;
      return (guint8 *) g_strdup ("");
    }
  guint8 *raw = g_base64_decode (copy, out_len);
  guint8 *z = g_malloc (*out_len + 1);
  memcpy (z, raw, *out_len);
  z[*out_len] = 0;
  g_free (raw);
  return z;
}

/* The value after `key` up to `stop` (or the end) in decoded SASL bytes,
 * or NULL when the key is absent. */
static char *
sasl_value (const guint8 *raw, gsize n, const char *key, char stop)
{
  gsize kl = strlen (key);
  for (gsize i = 0; i + kl <= n; i++)
    if (memcmp (raw + i, key, kl) == 0)
      {
        gsize e = i + kl;
        while (e < n && raw[e] != (guint8) stop)
          e++;
        return g_strndup ((const char *) raw + i + kl, e - i - kl);
      }
  return NULL;
}

/* One SASL response (initial or on its own line) of the current
 * AUTHENTICATE; may emit a credential event after `ev` is emitted, so the
 * caller passes ownership of ev. */
static void
sasl_response (MsImapDecoder *d, MsEvent *ev, const char *t, gsize len)
{
  gsize n = 0;
  g_autofree guint8 *raw = NULL;
  char *user = NULL, *pass = NULL;
  const char *mech = d->sasl_mech ? d->sasl_mech : "";
  guint step = d->sasl_step++;

  if (len == 1 && t[0] == '*')
    {
      ms_event_add_bool (ev, "cancel", TRUE);
      emit (d, ev);
      return;
    }
  raw = len == 1 && t[0] == '=' ? (guint8 *) g_strdup ("") : b64_decode (t, len, &n);
  if (raw == NULL)
    {
      ev->flags |= MS_EVENT_MALFORMED;   /* SASL responses are base64 */
      emit (d, ev);
      return;
    }
  g_autofree char *b64 = g_strndup (t, len);
  if (strcmp (mech, "PLAIN") == 0 && step == 0)
    {
      /* authzid NUL authcid NUL passwd */
      const guint8 *nul1 = memchr (raw, 0, n);
      const guint8 *nul2 = nul1 ? memchr (nul1 + 1, 0, n - (gsize) (nul1 + 1 - raw)) : NULL;
      if (nul2)
        {
          user = g_strndup ((const char *) nul1 + 1, (gsize) (nul2 - nul1 - 1));
          pass = g_strndup ((const char *) nul2 + 1, n - (gsize) (nul2 + 1 - raw));
        }
      else
        ev->flags |= MS_EVENT_MALFORMED;
      add_secret (ev, b64);
      add_secret (ev, pass);
    }
  else if (strcmp (mech, "LOGIN") == 0 && step == 0)
    {
      g_free (d->sasl_user);
      d->sasl_user = g_strndup ((const char *) raw, n);
    }
  else if (strcmp (mech, "LOGIN") == 0 && step == 1)
    {
      user = g_strdup (d->sasl_user);
      pass = g_strndup ((const char *) raw, n);
      add_secret (ev, b64);
      add_secret (ev, pass);
    }
  else if ((strcmp (mech, "XOAUTH2") == 0 || strcmp (mech, "OAUTHBEARER") == 0) && step == 0)
    {
      /* XOAUTH2: "user=U^Aauth=Bearer T^A^A"; RFC 7628: "n,a=U,^A…auth=Bearer T^A^A".
       * The bearer token stands in for the password. */
      user = sasl_value (raw, n, strcmp (mech, "XOAUTH2") == 0 ? "user=" : "a=",
                         strcmp (mech, "XOAUTH2") == 0 ? '\x01' : ',');
      pass = sasl_value (raw, n, "auth=Bearer ", '\x01');
      add_secret (ev, b64);
      add_secret (ev, pass);
    }
  else if (strcmp (mech, "CRAM-MD5") == 0 && step == 0)
    {
      /* RFC 2195: "user hex-digest"; the password never crosses the wire. */
      const guint8 *sp = n > 0 ? memchr (raw, ' ', n) : NULL;
      if (sp)
        {
          g_autofree char *u = g_strndup ((const char *) raw, (gsize) (sp - raw));
          ms_event_ref (ev);
          emit (d, ev);
          emit_credential (d, ev, mech, u, NULL, FALSE);
          ms_event_unref (ev);
          return;
        }
    }
  ms_event_ref (ev);
  emit (d, ev);
  if (pass)
    emit_credential (d, ev, mech, user, pass, TRUE);
  ms_event_unref (ev);
  g_free (user);
  g_free (pass);
}

/* --- client lines -------------------------------------------------------- */

static gboolean
is_alpha_word (const char *t, gsize len)
{
  if (len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalpha (t[i]) && t[i] != '-' && t[i] != '.')
      return FALSE;
  return TRUE;
}

/* Registers the command of the client's current logical line in the
 * pending table, once, as soon as its first segment is read (a server may
 * answer a synchronising literal before the line ends). */
void
ms_imap_client_head (MsImapDecoder *d)
{
  ImapParser *p = &d->p[MS_DIR_C2S];
  const char *t = p->text->str;
  gsize len = p->text->len;
  if (p->head_done || d->sasl)
    return;
  p->head_done = TRUE;
  gsize te = word_end (t, len, 0);
  if (te == 0 || te >= len)
    return;
  gsize cs = te + 1, ce = word_end (t, len, cs);
  if (word_is (t, cs, ce, "UID") && ce < len)
    {
      cs = ce + 1;
      ce = word_end (t, len, cs);
    }
  if (ce == cs || te > MS_IMAP_MAX_TAG || ce - cs > MS_IMAP_MAX_TAG)
    return;
  g_autofree char *tag = g_strndup (t, te);
  g_autofree char *cmd = word_upper (t, cs, ce);
  ms_imap_pending_add (d, tag, cmd);
}

/* FETCH: the items asked for and whether they move content. */
static void
client_fetch (MsImapDecoder *d, ImapParser *p, gsize args, MsEvent *ev)
{
  MsImapToks *toks = ms_imap_tokenize_from (p, args, ev);
  if (toks->n_items >= 2)
    {
      JsonArray *items = json_array_new ();
      gboolean moves = ms_imap_fetch_items (toks->items[1], items);
      JsonNode *node = json_node_new (JSON_NODE_ARRAY);
      json_node_take_array (node, items);
      ms_event_add_node (ev, "fetch_items", node);
      ms_event_add_bool (ev, "moves_content", moves);
    }
  else
    ev->flags |= MS_EVENT_MALFORMED;
  ms_imap_toks_free (toks);
}

/* LOGIN user password: emits ev and then the credential. */
static void
client_login (MsImapDecoder *d, ImapParser *p, gsize args, MsEvent *ev)
{
  MsImapToks *toks = ms_imap_tokenize_from (p, args, ev);
  const char *user = toks->n_items > 0 ? ms_imap_tok_str (toks->items[0]) : NULL;
  const char *pass = toks->n_items > 1 ? ms_imap_tok_str (toks->items[1]) : NULL;
  if (pass)
    {
      g_autofree char *q = quoted_form (pass);
      add_secret (ev, pass);
      if (strcmp (q, pass) != 0)
        add_secret (ev, q);
    }
  else
    ev->flags |= MS_EVENT_MALFORMED;
  ms_event_ref (ev);
  emit (d, ev);
  if (pass)
    emit_credential (d, ev, "LOGIN", user, pass, TRUE);
  ms_event_unref (ev);
  ms_imap_toks_free (toks);
}

/* A complete client logical line: a SASL response, the DONE of IDLE, or a
 * command (emitted with its credential, if any). `rejected` when the server
 * refused its synchronising literal, which ends the line early. */
void
ms_imap_client_line (MsImapDecoder *d, guint64 end, gboolean rejected)
{
  ImapParser *p = &d->p[MS_DIR_C2S];
  const char *t = p->text->str;
  gsize len = p->text->len;
  MsEvent *ev;

  if (d->sasl && !rejected)
    {
      ev = ms_imap_line_event (p, MS_DIR_C2S, "sasl", end);
      ms_event_add_bool (ev, "sasl", TRUE);
      sasl_response (d, ev, t, len);
      return;
    }
  if (d->idle && word_is (t, 0, len, "DONE"))
    {
      d->idle = FALSE;
      ev = ms_imap_line_event (p, MS_DIR_C2S, "idle-done", end);
      ms_event_add_str (ev, "command", "DONE");
      emit (d, ev);
      return;
    }

  gsize te = word_end (t, len, 0);
  gsize cs = te < len ? te + 1 : len, ce = word_end (t, len, cs);
  if (te == 0 || ce == cs)
    {
      ev = ms_imap_line_event (p, MS_DIR_C2S, "literal", end);
      ev->flags |= MS_EVENT_MALFORMED;
      emit (d, ev);
      return;
    }
  gboolean uid = FALSE;
  if (word_is (t, cs, ce, "UID") && ce < len)
    {
      uid = TRUE;
      cs = ce + 1;
      ce = word_end (t, len, cs);
    }
  if (!p->head_done)
    ms_imap_client_head (d);
  g_autofree char *cmd = word_upper (t, cs, ce);
  gsize args = ce < len ? ce + 1 : len;

  ev = ms_imap_line_event (p, MS_DIR_C2S, "command", end);
  if (!is_valid_tag (t, te) || !is_alpha_word (t + cs, ce - cs))
    ev->flags |= MS_EVENT_MALFORMED;
  ms_event_add_strn (ev, "tag", t, te);
  ms_event_add_str (ev, "command", cmd);
  if (uid)
    ms_event_add_bool (ev, "uid", TRUE);
  ms_event_add_strn (ev, "args", t + args, len - args);
  guint sync = 0;
  for (guint i = 0; i < p->lits->len; i++)
    sync += g_array_index (p->lits, MsImapLit, i).sync;
  if (sync)
    ms_event_add_int (ev, "sync_literals", sync);
  if (rejected)
    ms_event_add_bool (ev, "literal_rejected", TRUE);

  if (strcmp (cmd, "FETCH") == 0)
    client_fetch (d, p, args, ev);
  else if (strcmp (cmd, "SELECT") == 0 || strcmp (cmd, "EXAMINE") == 0)
    ms_imap_structures_clear (d->structs);
  else if (strcmp (cmd, "IDLE") == 0)
    d->idle = TRUE;
  else if (strcmp (cmd, "LOGIN") == 0 && !rejected)
    {
      client_login (d, p, args, ev);
      return;
    }
  else if (strcmp (cmd, "AUTHENTICATE") == 0 && !rejected)
    {
      gsize me = word_end (t, len, args);
      g_free (d->sasl_mech);
      d->sasl_mech = word_upper (t, args, me);
      d->sasl_step = 0;
      g_clear_pointer (&d->sasl_user, g_free);
      d->sasl = TRUE;
      if (me < len)   /* SASL-IR initial response */
        {
          ms_event_add_str (ev, "mechanism", d->sasl_mech);
          sasl_response (d, ev, t + me + 1, len - me - 1);
          return;
        }
      ms_event_add_str (ev, "mechanism", d->sasl_mech);
    }
  emit (d, ev);
}
