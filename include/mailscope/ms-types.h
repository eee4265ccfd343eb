/* ms-types.h - shared vocabulary of libmailscope: protocols, directions, steps,
 * addresses. Everything here is plain data; no GTK, no I/O. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Protocols an event can belong to (the JSON `proto` field). */
typedef enum {
  MS_PROTO_NONE = 0,
  MS_PROTO_DNS,
  MS_PROTO_TCP,
  MS_PROTO_IMAP,
  MS_PROTO_POP3,
  MS_PROTO_TLS,
  MS_PROTO_N
} MsProto;

/* Direction of bytes within a conversation. */
typedef enum {
  MS_DIR_C2S = 0,   /* client to server */
  MS_DIR_S2C = 1,   /* server to client */
  MS_DIR_NONE = 2,
} MsDir;

/* The lesson's vocabulary (DESIGN.md, "Steps"). Order is lesson order. */
typedef enum {
  MS_STEP_NONE = 0,
  MS_STEP_DNS,
  MS_STEP_CONNECT,
  MS_STEP_GREETING,
  MS_STEP_NEGOTIATE,
  MS_STEP_TLS,
  MS_STEP_LOGIN,
  MS_STEP_LIST,
  MS_STEP_FETCH,
  MS_STEP_REFRESH,
  MS_STEP_UPDATE,
  MS_STEP_LOGOUT,
  MS_STEP_CLOSE,
  MS_STEP_N
} MsStep;

/* An IPv4 or IPv6 transport endpoint. `family` is 4 or 6 (0 = unset). */
typedef struct {
  guint8 family;
  guint8 addr[16];   /* IPv4 uses the first 4 bytes */
  guint16 port;
} MsAddr;

const char *ms_proto_name (MsProto proto);          /* "imap", … ; "" for NONE */
MsProto     ms_proto_from_name (const char *name);  /* MS_PROTO_NONE if unknown */
const char *ms_dir_name (MsDir dir);                /* "c2s" / "s2c" / "" */
const char *ms_step_name (MsStep step);             /* "login", … ; "" for NONE */
MsStep      ms_step_from_name (const char *name);   /* MS_STEP_NONE if unknown */

gboolean ms_addr_equal (const MsAddr *a, const MsAddr *b);
guint    ms_addr_hash (const MsAddr *a);
/* Formats "192.0.2.1:143" or "[2001:db8::1]:143" (port omitted when 0)
 * into buf; returns buf. */
char    *ms_addr_format (const MsAddr *a, char *buf, gsize size);
/* Address only, no port. */
char    *ms_addr_format_ip (const MsAddr *a, char *buf, gsize size);
#define MS_ADDR_STRLEN 56

G_END_DECLS
