/* ms-tls.c - TLS record layer and cleartext handshake decoder (RFC 8446
 * TLS 1.3, RFC 5246 TLS 1.2; RFC 6066 SNI; RFC 7301 ALPN). No decryption:
 * everything after the keys change is counted, not read. */
#include "config.h"

#include <string.h>

#include "mailscope/ms-cursor.h"
#include "mailscope/ms-decoder.h"
#include "ms-tls-private.h"

/* RFC 5246 section 6.2.3: TLSCiphertext.length may not exceed 2^14 + 2048;
 * a longer record means we are not looking at TLS (or lost the framing). */
#define MS_TLS_MAX_RECORD (16384 + 2048)
/* Hello messages are kept whole to be parsed. Real ones are a few KiB
 * (padding and post-quantum key shares included); the rest is dropped. */
#define MS_TLS_MAX_HELLO (64 * 1024)

#define TLS_CHANGE_CIPHER_SPEC 20
#define TLS_ALERT 21
#define TLS_HANDSHAKE 22
#define TLS_APPLICATION_DATA 23
#define TLS_HEARTBEAT 24   /* RFC 6520 */

#define HS_CLIENT_HELLO 1
#define HS_SERVER_HELLO 2

static const guint16 tls_ports[] = { 0 };

typedef struct {
  guint64 pos;            /* stream offset of the next byte */
  gboolean lost;          /* framing lost: the rest of this side is ignored */
  guint next_flags;       /* flags (GAP) owed to the next event of this side */
  gboolean encrypted;     /* keys changed (ChangeCipherSpec before TLS 1.3) */

  /* record layer */
  guint8 hdr[5];
  guint hdr_have;
  gboolean in_record;
  guint8 type;
  guint16 version;
  guint32 rec_len, rec_left;
  guint64 rec_off;
  guint rec_flags;

  /* handshake messages, reassembled across records */
  guint8 hs_hdr[4];
  guint hs_hdr_have;
  guint8 hs_type;
  guint32 hs_len, hs_left;
  guint64 hs_off;
  GByteArray *hs_buf;     /* the body of a Client/ServerHello, else empty */
  gboolean hs_overflow;   /* a hello longer than MS_TLS_MAX_HELLO */
  gboolean hs_lost;       /* a gap broke the message stream */

  guint8 alert[2];
  guint alert_have;
} TlsSide;

typedef struct {
  MsDecoder parent;
  MsProto inner;
  TlsSide side[2];
  gboolean tls13;         /* the ServerHello chose TLS 1.3 */

  /* The current run of application-data records (one direction). */
  gboolean run;
  MsDir run_dir;
  guint64 run_off, run_end;
  guint run_records;
  guint64 run_bytes;
  guint run_flags;
} MsTls;

/* --- events --------------------------------------------------------------- */

/* An event for stream bytes [off, off + len), with the flags owed to dir
 * and the inner protocol. */
static MsEvent *
new_event (MsTls *t, MsDir dir, const char *kind, guint64 off, guint64 len)
{
  MsEvent *ev = ms_event_new (MS_PROTO_TLS, dir, kind);
  ms_event_set_range (ev, off, len);
  ev->flags |= t->side[dir].next_flags;
  t->side[dir].next_flags = 0;
  if (t->inner != MS_PROTO_NONE)
    ms_event_add_str (ev, "inner", ms_proto_name (t->inner));
  return ev;
}

static void
emit (MsTls *t, MsEvent *ev)
{
  ms_emit (t->parent.emitter, ev);
}

/* Emits the open run of application-data records, if any. */
static void
run_flush (MsTls *t)
{
  if (!t->run)
    return;
  t->run = FALSE;
  MsEvent *ev = new_event (t, t->run_dir, "encrypted", t->run_off, t->run_end - t->run_off);
  ev->flags |= t->run_flags;
  ms_event_add_int (ev, "records", t->run_records);
  ms_event_add_int (ev, "bytes", (gint64) t->run_bytes);
  ms_event_set_infof (ev, "Application Data (%u record%s, %" G_GUINT64_FORMAT " bytes)",
                      t->run_records, t->run_records == 1 ? "" : "s", t->run_bytes);
  emit (t, ev);
}

/* --- handshake messages --------------------------------------------------- */

/* Emits the handshake message that ends at stream offset `end`. */
static void
hs_done (MsTls *t, MsDir dir, guint64 end, guint flags)
{
  TlsSide *s = &t->side[dir];
  const char *name = ms_tls_handshake_name (s->hs_type);
  MsEvent *ev;

  if (s->hs_type == HS_CLIENT_HELLO || s->hs_type == HS_SERVER_HELLO)
    {
      gboolean tls13 = FALSE, ok;
      gboolean client = s->hs_type == HS_CLIENT_HELLO;
      ev = new_event (t, dir, client ? "client-hello" : "server-hello", s->hs_off,
                      end - s->hs_off);
      ok = client ? ms_tls_parse_client_hello (ev, s->hs_buf->data, s->hs_buf->len)
                  : ms_tls_parse_server_hello (ev, s->hs_buf->data, s->hs_buf->len, &tls13);
      if (!client && tls13)
        t->tls13 = TRUE;
      /* A cut-off hello fails to parse because it is cut off. */
      if ((!ok || s->hs_overflow) && !(flags & MS_EVENT_TRUNCATED))
        ev->flags |= MS_EVENT_MALFORMED;
    }
  else
    {
      ev = new_event (t, dir, "handshake", s->hs_off, end - s->hs_off);
      if (name)
        {
          ms_event_add_str (ev, "handshake", name);
          ms_event_set_info (ev, name);
        }
      else
        {
          ms_event_add_str (ev, "handshake", "unknown");
          ms_event_set_infof (ev, "Handshake type %u", s->hs_type);
          ev->flags |= MS_EVENT_MALFORMED;
        }
      ms_event_add_int (ev, "length", s->hs_len);
    }
  ev->flags |= flags;
  emit (t, ev);
  s->hs_hdr_have = 0;
  s->hs_overflow = FALSE;
  g_byte_array_set_size (s->hs_buf, 0);
}

/* Handshake-protocol bytes of a cleartext record, the first at stream
 * offset `off`; messages may span records (RFC 8446 5.1). */
static void
hs_bytes (MsTls *t, MsDir dir, guint64 off, MsCursor *in)
{
  TlsSide *s = &t->side[dir];

  while (ms_cursor_left (in) > 0)
    {
      if (s->hs_hdr_have < 4)
        {
          if (s->hs_hdr_have == 0)
            s->hs_off = off + in->pos;
          s->hs_hdr[s->hs_hdr_have++] = ms_cursor_u8 (in);
          if (s->hs_hdr_have < 4)
            continue;
          MsCursor c;
          ms_cursor_init (&c, s->hs_hdr, 4);
          s->hs_type = ms_cursor_u8 (&c);
          s->hs_len = ms_cursor_be24 (&c);
          s->hs_left = s->hs_len;
          g_byte_array_set_size (s->hs_buf, 0);
          s->hs_overflow = FALSE;
          if (s->hs_left == 0)
            hs_done (t, dir, off + in->pos, 0);
          continue;
        }
      gsize m = MIN ((gsize) s->hs_left, ms_cursor_left (in));
      const guint8 *chunk = ms_cursor_bytes (in, m);
      if (s->hs_type == HS_CLIENT_HELLO || s->hs_type == HS_SERVER_HELLO)
        {
          gsize room = MS_TLS_MAX_HELLO - s->hs_buf->len;
          if (m > room)
            s->hs_overflow = TRUE;
          g_byte_array_append (s->hs_buf, chunk, (guint) MIN (m, room));
        }
      s->hs_left -= (guint32) m;
      if (s->hs_left == 0)
        hs_done (t, dir, off + in->pos, 0);
    }
}

/* --- records -------------------------------------------------------------- */

/* The record whose header just completed: ends the run when it cannot
 * join it; application data joins (or starts) the run. */
static void
record_begin (MsTls *t, MsDir dir)
{
  TlsSide *s = &t->side[dir];
  if (t->run && (t->run_dir != dir || s->type != TLS_APPLICATION_DATA))
    run_flush (t);
  if (s->type == TLS_APPLICATION_DATA)
    {
      if (!t->run)
        {
          t->run = TRUE;
          t->run_dir = dir;
          t->run_off = s->rec_off;
          t->run_records = 0;
          t->run_bytes = 0;
          t->run_flags = s->next_flags;
          s->next_flags = 0;
        }
      t->run_records++;
      t->run_bytes += 5 + s->rec_len;
      t->run_end = s->rec_off + 5 + s->rec_len;
    }
}

/* The record that ends at the side's position (or is cut off there, with
 * flags TRUNCATED): emits what a whole record says. */
static void
record_end (MsTls *t, MsDir dir, guint flags)
{
  TlsSide *s = &t->side[dir];
  guint64 len = s->pos - s->rec_off;
  MsEvent *ev = NULL;

  s->in_record = FALSE;
  switch (s->type)
    {
    case TLS_CHANGE_CIPHER_SPEC:
      ev = new_event (t, dir, "handshake", s->rec_off, len);
      ms_event_add_str (ev, "handshake", "ChangeCipherSpec");
      ms_event_set_info (ev, "Change Cipher Spec");
      if (s->rec_len != 1)
        ev->flags |= MS_EVENT_MALFORMED;
      /* TLS 1.3 sends it only for middlebox compatibility (RFC 8446 D.4). */
      if (!t->tls13)
        s->encrypted = TRUE;
      break;
    case TLS_ALERT:
      ev = new_event (t, dir, "alert", s->rec_off, len);
      if (s->encrypted)
        {
          ms_event_add_bool (ev, "encrypted", TRUE);
          ms_event_set_info (ev, "Encrypted Alert");
        }
      else if (s->alert_have == 2)
        {
          const char *level = s->alert[0] == 1 ? "warning" : s->alert[0] == 2 ? "fatal" : NULL;
          const char *desc = ms_tls_alert_name (s->alert[1]);
          char lbuf[8], dbuf[8];
          if (level == NULL)
            {
              g_snprintf (lbuf, sizeof lbuf, "%u", s->alert[0]);
              level = lbuf;
              ev->flags |= MS_EVENT_MALFORMED;
            }
          if (desc == NULL)
            {
              g_snprintf (dbuf, sizeof dbuf, "%u", s->alert[1]);
              desc = dbuf;
            }
          ms_event_add_str (ev, "level", level);
          ms_event_add_str (ev, "description", desc);
          ms_event_set_infof (ev, "Alert (%s, %s)", level, desc);
          if (s->rec_len != 2)
            ev->flags |= MS_EVENT_MALFORMED;
        }
      else
        {
          ms_event_set_info (ev, "Alert");
          if (!(flags & MS_EVENT_TRUNCATED))
            ev->flags |= MS_EVENT_MALFORMED;
        }
      break;
    case TLS_HANDSHAKE:
      if (s->encrypted || s->hs_lost)
        {
          ev = new_event (t, dir, "handshake", s->rec_off, len);
          ms_event_add_str (ev, "handshake", s->encrypted ? "encrypted" : "unknown");
          ms_event_set_info (ev, s->encrypted ? "Encrypted Handshake Message"
                                              : "Handshake (not decoded after a gap)");
        }
      else if (s->rec_len == 0)
        {
          ev = new_event (t, dir, "handshake", s->rec_off, len);
          ms_event_add_str (ev, "handshake", "empty");
          ms_event_set_info (ev, "Empty handshake record");
          ev->flags |= MS_EVENT_MALFORMED;
        }
      else if (flags & MS_EVENT_TRUNCATED)
        {
          ev = new_event (t, dir, "handshake", s->rec_off, len);
          ms_event_add_str (ev, "handshake", "unknown");
          ms_event_set_info (ev, "Incomplete handshake record");
        }
      break;
    case TLS_HEARTBEAT:
      ev = new_event (t, dir, "handshake", s->rec_off, len);
      ms_event_add_str (ev, "handshake", "Heartbeat");
      ms_event_set_info (ev, "Heartbeat");
      break;
    case TLS_APPLICATION_DATA:
    default:
      if (flags & MS_EVENT_TRUNCATED)
        t->run_flags |= flags;
      break;
    }
  if (ev)
    {
      ev->flags |= flags | s->rec_flags;
      emit (t, ev);
    }
  s->rec_flags = 0;
}

/* Parses a completed 5-byte header; FALSE when it is not TLS. */
static gboolean
record_header (MsTls *t, MsDir dir)
{
  TlsSide *s = &t->side[dir];
  MsCursor c;
  ms_cursor_init (&c, s->hdr, 5);
  s->type = ms_cursor_u8 (&c);
  s->version = ms_cursor_be16 (&c);
  s->rec_len = ms_cursor_be16 (&c);
  s->hdr_have = 0;
  if (s->type < TLS_CHANGE_CIPHER_SPEC || s->type > TLS_HEARTBEAT
      || (s->version >> 8) != 3 || (s->version & 0xff) > 4 || s->rec_len > MS_TLS_MAX_RECORD)
    return FALSE;
  s->in_record = TRUE;
  s->rec_left = s->rec_len;
  s->alert_have = 0;
  record_begin (t, dir);
  return TRUE;
}

/* Gives up on a side whose bytes are not TLS records. */
static void
side_lost (MsTls *t, MsDir dir, const char *why)
{
  TlsSide *s = &t->side[dir];
  run_flush (t);
  MsEvent *ev = new_event (t, dir, "data", s->rec_off, s->pos - s->rec_off);
  ev->flags |= MS_EVENT_MALFORMED;
  ms_event_set_info (ev, why);
  if (s->type >= TLS_CHANGE_CIPHER_SPEC && s->type <= TLS_HEARTBEAT && (s->version >> 8) == 3)
    ms_event_add_int (ev, "record_length", s->rec_len);
  emit (t, ev);
  s->lost = TRUE;
}

/* --- the decoder class -------------------------------------------------- */

/* YES for a TLS record header: content type 20..23, version 3.x. When the
 * first handshake message is visible it must suit the direction (only a
 * client sends ClientHello, only a server ServerHello), so that a caller
 * trying both directions learns which side is the server. */
static MsSniff
tls_sniff (MsDir dir, const guint8 *d, gsize len)
{
  MsCursor c;
  ms_cursor_init (&c, d, len);
  guint8 type = ms_cursor_u8 (&c);
  guint8 major = ms_cursor_u8 (&c);
  guint8 minor = ms_cursor_u8 (&c);
  ms_cursor_skip (&c, 2);
  guint8 hs = ms_cursor_u8 (&c);

  if (len >= 1 && (type < TLS_CHANGE_CIPHER_SPEC || type > TLS_APPLICATION_DATA))
    return MS_SNIFF_NO;
  if (len >= 2 && major != 3)
    return MS_SNIFF_NO;
  if (len >= 3 && minor > 4)
    return MS_SNIFF_NO;
  if (len < 3)
    return MS_SNIFF_NEED_MORE;
  if (len >= 6 && type == TLS_HANDSHAKE
      && ((dir == MS_DIR_S2C && hs == HS_CLIENT_HELLO)
          || (dir == MS_DIR_C2S && hs == HS_SERVER_HELLO)))
    return MS_SNIFF_NO;
  return MS_SNIFF_YES;
}

static MsDecoder *
tls_create (MsEmitter *emitter, const MsDecoderConfig *config)
{
  MsTls *t = g_new0 (MsTls, 1);
  t->parent.klass = &ms_tls_decoder_class;
  t->parent.emitter = emitter;
  t->inner = config ? config->inner : MS_PROTO_NONE;
  for (int d = 0; d < 2; d++)
    t->side[d].hs_buf = g_byte_array_new ();
  return &t->parent;
}

static void
tls_feed (MsDecoder *dec, MsDir dir, guint64 offset, const guint8 *data, gsize len)
{
  MsTls *t = (MsTls *) dec;
  if (dir != MS_DIR_C2S && dir != MS_DIR_S2C)
    return;
  TlsSide *s = &t->side[dir];
  MsCursor in;

  ms_cursor_init (&in, data, len);
  s->pos = offset;
  while (ms_cursor_left (&in) > 0 && !s->lost)
    {
      if (!s->in_record)
        {
          if (s->hdr_have == 0)
            s->rec_off = s->pos;
          s->hdr[s->hdr_have++] = ms_cursor_u8 (&in);
          s->pos++;
          if (s->hdr_have == 5 && !record_header (t, dir))
            side_lost (t, dir, s->rec_len > MS_TLS_MAX_RECORD && (s->version >> 8) == 3
                                 ? "TLS record longer than 2^14+2048 bytes"
                                 : "not a TLS record");
          else if (s->hdr_have == 0 && s->in_record && s->rec_left == 0)
            record_end (t, dir, 0);
          continue;
        }
      gsize n = MIN ((gsize) s->rec_left, ms_cursor_left (&in));
      MsCursor payload = ms_cursor_sub (&in, n, NULL);
      switch (s->type)
        {
        case TLS_HANDSHAKE:
          if (!s->encrypted && !s->hs_lost)
            hs_bytes (t, dir, s->pos, &payload);
          break;
        case TLS_ALERT:
          while (s->alert_have < 2 && ms_cursor_left (&payload) > 0)
            s->alert[s->alert_have++] = ms_cursor_u8 (&payload);
          break;
        default:
          break;
        }
      s->pos += n;
      s->rec_left -= (guint32) n;
      if (s->rec_left == 0)
        record_end (t, dir, 0);
    }
  if (s->lost)
    s->pos = offset + len;
}

static void
tls_gap (MsDecoder *dec, MsDir dir, guint64 offset, guint64 missing)
{
  MsTls *t = (MsTls *) dec;
  if (dir != MS_DIR_C2S && dir != MS_DIR_S2C)
    return;
  TlsSide *s = &t->side[dir];

  run_flush (t);
  s->pos = offset + missing;
  s->next_flags |= MS_EVENT_GAP;
  if (s->lost)
    return;
  if (s->in_record && missing <= s->rec_left)
    {
      /* The framing survives: skip the missing part of this record. */
      s->rec_left -= (guint32) missing;
      s->rec_flags |= MS_EVENT_GAP;
      if (s->type == TLS_HANDSHAKE)
        {
          s->hs_lost = TRUE;
          s->hs_hdr_have = 0;
        }
      if (s->type == TLS_ALERT)
        s->alert_have = 0;
      if (s->rec_left == 0)
        record_end (t, dir, 0);
      return;
    }
  /* Record boundaries are gone and TLS has no resynchronisation marker. */
  s->lost = TRUE;
}

static void
tls_finish (MsDecoder *dec)
{
  MsTls *t = (MsTls *) dec;

  for (int d = 0; d < 2; d++)
    {
      TlsSide *s = &t->side[d];
      if (s->lost)
        continue;
      if (s->in_record && s->type == TLS_APPLICATION_DATA)
        {
          t->run_flags |= MS_EVENT_TRUNCATED;
          if (t->run && t->run_dir == (MsDir) d)
            t->run_end = s->pos;
        }
    }
  run_flush (t);
  for (int d = 0; d < 2; d++)
    {
      TlsSide *s = &t->side[d];
      if (s->lost)
        continue;
      if (s->hdr_have > 0)
        {
          MsEvent *ev = new_event (t, (MsDir) d, "data", s->rec_off, s->pos - s->rec_off);
          ev->flags |= MS_EVENT_TRUNCATED;
          ms_event_set_info (ev, "Incomplete TLS record header");
          emit (t, ev);
        }
      else if (s->in_record && s->type != TLS_APPLICATION_DATA)
        {
          if (s->type == TLS_HANDSHAKE && !s->encrypted && !s->hs_lost && s->hs_hdr_have > 0)
            hs_done (t, (MsDir) d, s->pos, MS_EVENT_TRUNCATED);
          else
            record_end (t, (MsDir) d, MS_EVENT_TRUNCATED);
        }
      else if (!s->in_record && s->hs_hdr_have > 0 && !s->encrypted)
        hs_done (t, (MsDir) d, s->pos, MS_EVENT_TRUNCATED);
    }
}

static void
tls_destroy (MsDecoder *dec)
{
  MsTls *t = (MsTls *) dec;
  for (int d = 0; d < 2; d++)
    g_byte_array_unref (t->side[d].hs_buf);
  g_free (t);
}

const MsDecoderClass ms_tls_decoder_class = {
  .proto = MS_PROTO_TLS,
  .name = "tls",
  .ports = tls_ports,
  .sniff = tls_sniff,
  .create = tls_create,
  .feed = tls_feed,
  .gap = tls_gap,
  .finish = tls_finish,
  .destroy = tls_destroy,
};
