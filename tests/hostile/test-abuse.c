/* test-abuse.c - the lab server under abuse on loopback: many clients send
 * random bytes, half lines and huge literals, or connect and vanish, while
 * well-behaved POP3 (RFC 1939) and IMAP (RFC 9051) sessions run beside
 * them. The server stays up, the good sessions finish correctly, and every
 * Maildir is unchanged apart from what those sessions did. Run against an
 * in-process server and against `mailscope-cli serve`. */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hostile-util.h"

/* Hostile threads and connections each: enough to overlap the good
 * sessions many times over, few enough for a 2-core machine. */
#define ABUSE_THREADS 6
#define ABUSE_CONNECTIONS 40
/* Rounds of each well-behaved session. */
#define GOOD_ROUNDS 3

static void
abuse_config (MsLabConfig *cfg)
{
  g_ptr_array_add (cfg->users, g_strdup ("student:classroom"));
  g_ptr_array_add (cfg->users, g_strdup ("alice:wonderland"));
  g_ptr_array_add (cfg->users, g_strdup ("bob:builder"));
  /* Wrong passwords from the abusers cost a little time, as in class. */
  cfg->failed_login_delay_ms = 50;
}

typedef struct {
  HLab *lab;
  guint seed;
} Abuser;

/* One hostile connection of kind `kind`. */
static void
abuse_once (HLab *lab, GRand *rand, guint kind)
{
  gboolean imap = g_rand_boolean (rand);
  int fd = h_connect (NULL, imap ? lab->imap_port : lab->pop3_port);
  if (fd < 0)
    return;   /* refused at a limit: also fine */
  switch (kind)
    {
    case 0:   /* connect and vanish */
      break;
    case 1:   /* random bytes */
      {
        guint8 buf[2048];
        gsize n = g_rand_int_range (rand, 1, sizeof buf);
        for (gsize i = 0; i < n; i++)
          buf[i] = (guint8) g_rand_int (rand);
        h_send (fd, buf, n);
        break;
      }
    case 2:   /* half a line, then gone */
      h_send_str (fd, imap ? "a1 LOGIN stud" : "USER stud");
      break;
    case 3:   /* a huge literal announced, a little sent */
      if (imap)
        h_send_str (fd, "a1 LOGIN student classroom\r\na2 APPEND INBOX {2000000000}\r\n"
                        "From: nobody\r\n\r\npartial");
      else
        h_send_str (fd, "USER student\r\nPASS classroom\r\nRETR 1\r\n");
      break;
    case 4:   /* a line far past every limit, without CRLF */
      {
        gsize n = 300 * 1024;
        char *junk = g_malloc (n);
        memset (junk, 'A', n);
        h_send (fd, junk, n);
        g_free (junk);
        break;
      }
    case 5:   /* wrong passwords and NUL bytes */
      if (imap)
        h_send (fd, "a1 LOGIN alice x\0y\r\na2 LOGIN bob \"\xff\xfe\"\r\n", 37);
      else
        h_send (fd, "USER alice\r\nPASS \0\xff\r\nQUIT\r\n", 27);
      break;
    default:   /* pipelined commands, gone before the answers */
      h_send_str (fd, imap ? "a1 CAPABILITY\r\na2 NOOP\r\na3 LOGOUT\r\n"
                           : "CAPA\r\nNOOP\r\nSTAT\r\n");
      break;
    }
  /* Sometimes read a little before vanishing. */
  if (g_rand_boolean (rand))
    g_free (h_read_line (fd));
  h_close (fd);
}

static gpointer
abuser_thread (gpointer data)
{
  Abuser *a = data;
  GRand *rand = g_rand_new_with_seed (a->seed);
  for (int i = 0; i < ABUSE_CONNECTIONS; i++)
    abuse_once (a->lab, rand, g_rand_int_range (rand, 0, 7));
  g_rand_free (rand);
  return NULL;
}

/* alice over POP3: lists, retrieves and deletes her first message. */
static gboolean
good_pop3 (HLab *lab)
{
  int fd = h_connect (NULL, lab->pop3_port);
  g_assert_cmpint (fd, >=, 0);
  g_autofree char *greet = h_read_line (fd);
  g_assert_true (g_str_has_prefix (greet, "+OK"));
  h_send_str (fd, "USER alice\r\n");
  g_free (h_read_line (fd));
  h_send_str (fd, "PASS wonderland\r\n");
  g_autofree char *pass = h_read_line (fd);
  if (!g_str_has_prefix (pass, "+OK"))
    {
      /* The maildrop is locked by an abuser's session (RFC 1939 §8):
       * a correct answer, so try again later. */
      g_assert_nonnull (strstr (pass, "IN-USE"));
      h_close (fd);
      return FALSE;
    }
  h_send_str (fd, "RETR 1\r\n");
  g_autofree char *msg = h_read_until (fd, ".\r\n");
  g_assert_nonnull (msg);
  g_assert_true (g_str_has_prefix (msg, "+OK"));
  h_send_str (fd, "DELE 1\r\n");
  g_autofree char *dele = h_read_line (fd);
  g_assert_true (g_str_has_prefix (dele, "+OK"));
  h_send_str (fd, "QUIT\r\n");
  g_autofree char *quit = h_read_line (fd);
  g_assert_true (g_str_has_prefix (quit, "+OK"));
  g_assert_true (h_wait_closed (fd));
  h_close (fd);
  return TRUE;
}

#define GOOD_MESSAGE "From: bob@mailscope.test\r\nSubject: round %d\r\n\r\nbuilt it\r\n"

/* bob over IMAP: reads his first message and appends a new one. */
static void
good_imap (HLab *lab, int round)
{
  int fd = h_connect (NULL, lab->imap_port);
  g_assert_cmpint (fd, >=, 0);
  g_autofree char *greet = h_read_line (fd);
  g_assert_true (g_str_has_prefix (greet, "* OK"));
  h_send_str (fd, "g1 LOGIN bob builder\r\n");
  g_autofree char *login = h_read_until (fd, "g1 ");
  g_assert_nonnull (strstr (login, "g1 OK"));
  h_send_str (fd, "g2 SELECT INBOX\r\n");
  g_autofree char *sel = h_read_until (fd, "g2 ");
  g_assert_nonnull (strstr (sel, "g2 OK"));
  h_send_str (fd, "g3 FETCH 1 (UID RFC822.SIZE BODY.PEEK[HEADER])\r\n");
  g_autofree char *fetch = h_read_until (fd, "g3 ");
  g_assert_nonnull (strstr (fetch, "* 1 FETCH"));
  g_assert_nonnull (strstr (fetch, "g3 OK"));
  g_autofree char *msg = g_strdup_printf (GOOD_MESSAGE, round);
  g_autofree char *append = g_strdup_printf ("g4 APPEND INBOX {%zu}\r\n", strlen (msg));
  h_send_str (fd, append);
  g_autofree char *cont = h_read_line (fd);
  g_assert_true (g_str_has_prefix (cont, "+"));
  h_send_str (fd, msg);
  h_send_str (fd, "\r\n");
  g_autofree char *app = h_read_until (fd, "g4 ");
  g_assert_nonnull (strstr (app, "g4 OK"));
  h_send_str (fd, "g5 LOGOUT\r\n");
  g_autofree char *bye = h_read_until (fd, "g5 ");
  g_assert_nonnull (strstr (bye, "g5 OK"));
  h_close (fd);
}

typedef struct {
  HLab *lab;
  guint pop3_done;   /* messages alice deleted */
} Run;

static gpointer
clients (gpointer data)
{
  Run *run = data;
  GThread *t[ABUSE_THREADS];
  Abuser ab[ABUSE_THREADS];
  for (int i = 0; i < ABUSE_THREADS; i++)
    {
      ab[i].lab = run->lab;
      ab[i].seed = 1000 + i;
      t[i] = g_thread_new ("abuser", abuser_thread, &ab[i]);
    }
  for (int round = 0; round < GOOD_ROUNDS; round++)
    {
      if (good_pop3 (run->lab))
        run->pop3_done++;
      good_imap (run->lab, round);
    }
  for (int i = 0; i < ABUSE_THREADS; i++)
    g_thread_join (t[i]);

  /* After the storm the server still answers, and the good sessions still
   * work. */
  if (good_pop3 (run->lab))
    run->pop3_done++;
  good_imap (run->lab, GOOD_ROUNDS);
  return NULL;
}

/* TRUE when every sum of `small` is in `big` (both sorted). */
static gboolean
sums_subset (GPtrArray *small, GPtrArray *big)
{
  guint j = 0;
  for (guint i = 0; i < small->len; i++)
    {
      while (j < big->len && strcmp (big->pdata[j], small->pdata[i]) < 0)
        j++;
      if (j == big->len || strcmp (big->pdata[j], small->pdata[i]) != 0)
        return FALSE;
      j++;
    }
  return TRUE;
}

/* Runs the clients against `lab` (whose Maildirs are seeded) and checks
 * the Maildirs afterwards; in_process runs the server's loop here. */
static void
abuse_and_check (HLab *lab, gboolean in_process)
{
  g_autoptr (GPtrArray) student0 = h_maildir_sums (lab, "student");
  g_autoptr (GPtrArray) alice0 = h_maildir_sums (lab, "alice");
  g_autoptr (GPtrArray) bob0 = h_maildir_sums (lab, "bob");
  g_assert_cmpuint (alice0->len, >, GOOD_ROUNDS + 1);

  Run run = { lab, 0 };
  if (in_process)
    h_run_clients (clients, &run);
  else
    clients (&run);
  g_assert_cmpuint (run.pop3_done, >=, 1);

  g_autoptr (GPtrArray) student1 = h_maildir_sums (lab, "student");
  g_autoptr (GPtrArray) alice1 = h_maildir_sums (lab, "alice");
  g_autoptr (GPtrArray) bob1 = h_maildir_sums (lab, "bob");
  /* The abusers changed nothing: an APPEND whose literal never completed
   * leaves no message behind. Abusers may have logged in as the student
   * and read (RETR), which changes no content. */
  g_assert_cmpuint (student1->len, ==, student0->len);
  g_assert_true (sums_subset (student1, student0));
  /* alice lost exactly the messages she deleted, nothing else. */
  g_assert_cmpuint (alice1->len, ==, alice0->len - run.pop3_done);
  g_assert_true (sums_subset (alice1, alice0));
  /* bob kept all his messages and gained one per round. */
  g_assert_cmpuint (bob1->len, ==, bob0->len + GOOD_ROUNDS + 1);
  g_assert_true (sums_subset (bob0, bob1));
  for (int round = 0; round <= GOOD_ROUNDS; round++)
    {
      g_autofree char *msg = g_strdup_printf (GOOD_MESSAGE, round);
      g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, msg, -1);
      gboolean found = FALSE;
      for (guint i = 0; i < bob1->len; i++)
        found |= strcmp (bob1->pdata[i], sum) == 0;
      if (!found)
        g_test_message ("appended message %d is stored with other bytes "
                        "(line ends converted?)", round);
    }
}

static void
test_abuse (void)
{
  HLab *lab = h_lab_new (abuse_config);
  GError *error = NULL;
  /* Seed the Maildirs now, so that "before" is what sessions will see. */
  const char *users[] = { "student", "alice", "bob" };
  for (guint i = 0; i < G_N_ELEMENTS (users); i++)
    {
      MsMaildir *md = ms_lab_server_maildir (lab->srv, users[i], &error);
      g_assert_no_error (error);
      g_assert_nonnull (md);
    }
  abuse_and_check (lab, TRUE);
  h_lab_free (lab);
}

/* How long `mailscope-cli serve` may take to say it is ready. */
#define SERVE_START_TIMEOUT_S 30

/* The port after `label` ("IMAP", "POP3") in serve's start-up lines. */
static guint16
serve_port (const char *out, const char *label)
{
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (g_str_has_prefix (lines[i], label) && strrchr (lines[i], ':'))
      return (guint16) atoi (strrchr (lines[i], ':') + 1);
  return 0;
}

static void
test_abuse_serve (void)
{
  g_autofree char *cli = g_build_filename (g_getenv ("MS_BUILD_ROOT"), "src", "cli",
                                           "mailscope-cli", NULL);
  g_autofree char *top = g_dir_make_tmp ("ms-abuse-serve-XXXXXX", NULL);
  g_assert_nonnull (top);
  g_autofree char *log = g_build_filename (top, "serve.log", NULL);
  g_autofree char *maildirs = g_build_filename (top, "maildirs", NULL);
  /* h_maildir_sums looks in lab.dir/USER. */
  HLab lab = { NULL, maildirs, 0, 0 };

  /* The log goes to a file: a pipe nobody drains would stall the server. */
  pid_t pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      int fd = open (log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd < 0 || dup2 (fd, 1) < 0 || dup2 (fd, 2) < 0)
        _exit (126);
      execl (cli, cli, "serve", "--imap=127.0.0.1:0", "--pop3=127.0.0.1:0",
             "--maildir", maildirs, "--user", "student:classroom",
             "--user", "alice:wonderland", "--user", "bob:builder", (char *) NULL);
      _exit (127);
    }
  g_autofree char *out = NULL;
  for (int i = 0; i < SERVE_START_TIMEOUT_S * 10; i++)
    {
      g_clear_pointer (&out, g_free);
      g_file_get_contents (log, &out, NULL, NULL);
      if (out && strstr (out, "Ready."))
        break;
      g_assert_cmpint (waitpid (pid, NULL, WNOHANG), ==, 0);
      g_usleep (100 * 1000);
    }
  g_assert_nonnull (out);
  g_assert_nonnull (strstr (out, "Ready."));
  lab.imap_port = serve_port (out, "IMAP");
  lab.pop3_port = serve_port (out, "POP3");
  g_assert_cmpuint (lab.imap_port, >, 0);
  g_assert_cmpuint (lab.pop3_port, >, 0);

  abuse_and_check (&lab, FALSE);

  /* Still running after all that; then a clean stop. */
  int status;
  g_assert_cmpint (waitpid (pid, &status, WNOHANG), ==, 0);
  kill (pid, SIGTERM);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status) || WTERMSIG (status) == SIGTERM);
  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", top);
  g_assert_cmpint (system (rm), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hostile/abuse", test_abuse);
  g_test_add_func ("/hostile/abuse-serve", test_abuse_serve);
  return g_test_run ();
}
