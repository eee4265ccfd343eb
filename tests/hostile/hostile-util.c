/* hostile-util.c - loopback lab server and blocking socket clients for the
 * hostile-input tests. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hostile-util.h"
#include "lab-test-util.h"

/* How long a client waits for the server before the test fails. */
#define H_READ_TIMEOUT_S 10
/* A line the server sends is never longer than this in these tests. */
#define H_MAX_LINE (256 * 1024)

HLab *
h_lab_new (HConfigTweak tweak)
{
  GError *error = NULL;
  HLab *lab = g_new0 (HLab, 1);
  lab->dir = g_dir_make_tmp ("ms-hostile-XXXXXX", &error);
  g_assert_no_error (error);
  lab->srv = ms_test_lab_server_new (lab->dir, tweak);
  lab->pop3_port = ms_lab_server_listen (lab->srv, MS_LAB_POP3, "127.0.0.1:0", &error);
  g_assert_no_error (error);
  lab->imap_port = ms_lab_server_listen (lab->srv, MS_LAB_IMAP, "127.0.0.1:0", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lab->pop3_port, >, 0);
  g_assert_cmpuint (lab->imap_port, >, 0);
  return lab;
}

void
h_lab_free (HLab *lab)
{
  ms_lab_server_free (lab->srv);
  /* Let closed connections finish their callbacks. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  ms_test_rm_rf (lab->dir);
  g_free (lab->dir);
  g_free (lab);
}

typedef struct {
  GThreadFunc func;
  gpointer data;
  GMainLoop *loop;
} Runner;

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static gpointer
runner_thread (gpointer data)
{
  Runner *r = data;
  r->func (r->data);
  g_main_context_invoke (NULL, quit_loop, r->loop);
  return NULL;
}

void
h_run_clients (GThreadFunc func, gpointer data)
{
  Runner r = { func, data, g_main_loop_new (NULL, FALSE) };
  GThread *t = g_thread_new ("clients", runner_thread, &r);
  g_main_loop_run (r.loop);
  g_thread_join (t);
  g_main_loop_unref (r.loop);
}

int
h_connect (const char *from_ip, guint16 port)
{
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (fd, >=, 0);
  struct timeval tv = { H_READ_TIMEOUT_S, 0 };
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (from_ip != NULL)
    {
      struct sockaddr_in local = { 0 };
      local.sin_family = AF_INET;
      g_assert_cmpint (inet_pton (AF_INET, from_ip, &local.sin_addr), ==, 1);
      g_assert_cmpint (bind (fd, (struct sockaddr *) &local, sizeof local), ==, 0);
    }
  struct sockaddr_in addr = { 0 };
  addr.sin_family = AF_INET;
  addr.sin_port = htons (port);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

void
h_send (int fd, const void *data, gsize len)
{
  const guint8 *p = data;
  while (len > 0)
    {
      ssize_t n = send (fd, p, len, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return;   /* the server may close on a misbehaving client */
      p += n;
      len -= (gsize) n;
    }
}

void
h_send_str (int fd, const char *s)
{
  h_send (fd, s, strlen (s));
}

char *
h_read_line (int fd)
{
  GString *line = g_string_new (NULL);
  char c;
  while (line->len < H_MAX_LINE)
    {
      ssize_t n = recv (fd, &c, 1, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      g_string_append_c (line, c);
      if (c == '\n')
        return g_string_free (line, FALSE);
    }
  g_string_free (line, TRUE);
  return NULL;
}

char *
h_read_until (int fd, const char *prefix)
{
  GString *all = g_string_new (NULL);
  for (;;)
    {
      char *line = h_read_line (fd);
      if (line == NULL)
        {
          g_string_free (all, TRUE);
          return NULL;
        }
      g_string_append (all, line);
      gboolean done = g_str_has_prefix (line, prefix);
      g_free (line);
      if (done)
        return g_string_free (all, FALSE);
    }
}

gboolean
h_wait_closed (int fd)
{
  char buf[4096];
  for (;;)
    {
      ssize_t n = recv (fd, buf, sizeof buf, 0);
      if (n == 0)
        return TRUE;
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == ECONNRESET)
        return TRUE;
      if (n < 0)
        return FALSE;
    }
}

void
h_close (int fd)
{
  if (fd >= 0)
    close (fd);
}

static void
sums_walk (const char *path, GPtrArray *out)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    return;
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        {
          sums_walk (child, out);
          continue;
        }
      /* Only message files: those in cur/ and new/. */
      g_autofree char *parent = g_path_get_basename (path);
      if (strcmp (parent, "cur") != 0 && strcmp (parent, "new") != 0)
        continue;
      g_autofree char *contents = NULL;
      gsize len;
      g_assert_true (g_file_get_contents (child, &contents, &len, NULL));
      g_ptr_array_add (out, g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                                         (const guchar *) contents, len));
    }
  g_dir_close (dir);
}

static int
compare_str (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

GPtrArray *
h_maildir_sums (HLab *lab, const char *user)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *path = g_build_filename (lab->dir, user, NULL);
  sums_walk (path, out);
  g_ptr_array_sort (out, compare_str);
  return out;
}
