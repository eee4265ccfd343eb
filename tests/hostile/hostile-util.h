/* hostile-util.h - an in-process lab server on loopback sockets, driven by
 * client threads with plain blocking sockets, for the limit and abuse
 * tests. */
#pragma once

#include <glib.h>

#include "lab/ms-lab-server.h"

G_BEGIN_DECLS

typedef struct {
  MsLabServer *srv;
  char *dir;
  guint16 pop3_port, imap_port;
} HLab;

typedef void (*HConfigTweak) (MsLabConfig *cfg);   /* an MsTestLabTweak */

/* A lab over a temporary data directory (seeded from samples/maildir),
 * listening for POP3 and IMAP on 127.0.0.1 with free ports. */
HLab *h_lab_new (HConfigTweak tweak);
void  h_lab_free (HLab *lab);

/* Runs `func` in a thread while this thread runs the server's main loop;
 * returns when the thread has finished. */
void h_run_clients (GThreadFunc func, gpointer data);

/* A TCP connection from `from_ip` (NULL: any) to 127.0.0.1:port; -1 when
 * the connect fails. Reads time out after 10 s. */
int   h_connect (const char *from_ip, guint16 port);
void  h_send (int fd, const void *data, gsize len);
void  h_send_str (int fd, const char *s);
/* One line with its CRLF, or NULL at EOF, error or timeout. */
char *h_read_line (int fd);
/* Everything up to and including a line starting with `prefix`; NULL when
 * the connection ends first. */
char *h_read_until (int fd, const char *prefix);
/* TRUE when the server closes the connection (EOF within the timeout). */
gboolean h_wait_closed (int fd);
void  h_close (int fd);

/* SHA-256 of every message file's content in the user's Maildir, sorted
 * (names change with flags; contents do not). */
GPtrArray *h_maildir_sums (HLab *lab, const char *user);

G_END_DECLS
