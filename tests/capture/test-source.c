/* test-source.c - reading real captures (checked against tshark's decoding),
 * file format and error handling, pcap dump and live capture on loopback. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <glib/gstdio.h>

#include "mailscope/ms-packet.h"

static char *
data_path (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "capture", "data", name, NULL);
}

/* A temporary file name in a fresh directory; free with cleanup_tmp(). */
static char *
tmp_path (const char *name)
{
  GError *error = NULL;
  char *dir = g_dir_make_tmp ("ms-capture-XXXXXX", &error);
  char *path;

  g_assert_no_error (error);
  path = g_build_filename (dir, name, NULL);
  g_free (dir);
  return path;
}

static void
cleanup_tmp (char *path)
{
  char *dir = g_path_get_dirname (path);

  g_unlink (path);
  g_rmdir (dir);
  g_free (dir);
  g_free (path);
}

static void
write_file (const char *path, const void *data, gsize len)
{
  GError *error = NULL;

  g_file_set_contents (path, data, (gssize) len, &error);
  g_assert_no_error (error);
}

/* ---------------------------------------------- real captures vs tshark */

typedef struct {
  const char *capture;
  const char *expected;
  int linktype;
} ExpectedCase;

static const ExpectedCase expected_cases[] = {
  { "dns_tcp.pcap", "dns_tcp.expected", MS_LINK_ETHERNET },
  { "dns_tcp-ng.pcap", "dns_tcp.expected", MS_LINK_ETHERNET },
  { "dns_tcp-nsec.pcap", "dns_tcp.expected", MS_LINK_ETHERNET },
  { "dns-badcookie.pcap", "dns-badcookie.expected", MS_LINK_NULL },
  { "dns-corrupt-additionals.pcap", "dns-corrupt-additionals.expected", MS_LINK_RAW },
  { "ipv6-fragmented-dns.pcap", "ipv6-fragmented-dns.expected", MS_LINK_ETHERNET },
  { "linux-cooked-http.pcap", "linux-cooked-http.expected", MS_LINK_LINUX_SLL },
  { "linux-cooked2-http.pcap", "linux-cooked2-http.expected", MS_LINK_LINUX_SLL2 },
};

/* Every frame's addresses, ports and payload length must match the line
 * tshark wrote for it; frames where tshark shows no transport must be
 * fragments still waiting for the rest. */
static void
test_expected (gconstpointer data)
{
  const ExpectedCase *tc = data;
  char *cap_path = data_path (tc->capture);
  char *exp_path = data_path (tc->expected);
  char *text = NULL;
  char **lines;
  GError *error = NULL;
  MsSource *src;
  MsIpDefrag *defrag = ms_ip_defrag_new (1 << 20);
  guint n = 0;
  MsFrame frame;

  g_file_get_contents (exp_path, &text, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (g_strchomp (text), "\n", -1);

  src = ms_source_open_file (cap_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ms_source_linktype (src), ==, tc->linktype);
  g_assert_false (ms_source_is_live (src));
  g_assert_cmpint (ms_source_get_fd (src), ==, -1);
  g_assert_false (ms_source_stats (src, NULL, NULL));

  while (ms_source_next (src, &frame, &error) == 1)
    {
      char **f;
      MsPacket pkt;
      char buf[MS_ADDR_STRLEN];

      g_assert_nonnull (lines[n]);
      f = g_strsplit (lines[n], "\t", -1);
      g_assert_cmpuint (g_strv_length (f), ==, 6);
      n++;
      g_assert_cmpuint (frame.number, ==, n);
      g_assert_cmpuint (frame.number, ==, g_ascii_strtoull (f[0], NULL, 10));
      g_assert_cmpint (frame.linktype, ==, tc->linktype);

      ms_packet_decode (&frame, defrag, &pkt);
      g_assert_false (pkt.flags & (MS_PACKET_TRUNCATED | MS_PACKET_MALFORMED
                                   | MS_PACKET_BAD_LINK));
      g_assert_cmpstr (ms_addr_format_ip (&pkt.src, buf, sizeof buf), ==, f[1]);
      g_assert_cmpstr (ms_addr_format_ip (&pkt.dst, buf, sizeof buf), ==, f[2]);
      if (*f[3] != '\0')
        {
          g_assert_cmpuint (pkt.src.port, ==, g_ascii_strtoull (f[3], NULL, 10));
          g_assert_cmpuint (pkt.dst.port, ==, g_ascii_strtoull (f[4], NULL, 10));
          g_assert_cmpuint (pkt.payload_len, ==, g_ascii_strtoull (f[5], NULL, 10));
          g_assert_cmpuint (pkt.payload_wire_len, ==, pkt.payload_len);
          g_assert_false (pkt.flags & MS_PACKET_FRAGMENT);
        }
      else
        {
          g_assert_cmpuint (pkt.flags, ==, MS_PACKET_FRAGMENT);
          g_assert_cmpuint (pkt.src.port, ==, 0);
        }
      ms_packet_clear (&pkt);
      g_strfreev (f);
    }
  g_assert_no_error (error);
  g_assert_null (lines[n]);
  /* the end stays the end */
  g_assert_cmpint (ms_source_next (src, &frame, &error), ==, 0);
  g_assert_no_error (error);

  ms_source_close (src);
  ms_ip_defrag_free (defrag);
  g_strfreev (lines);
  g_free (text);
  g_free (cap_path);
  g_free (exp_path);
}

/* The reassembled DNS answer in frame 8 of the zeek capture, as tshark
 * reports it: fragments 6, 7 and 8, UDP length 3238. */
static void
test_ipv6_reassembly (void)
{
  char *path = data_path ("ipv6-fragmented-dns.pcap");
  GError *error = NULL;
  MsSource *src = ms_source_open_file (path, &error);
  MsIpDefrag *defrag = ms_ip_defrag_new (1 << 20);
  MsFrame frame;
  guint reassembled = 0;

  g_assert_no_error (error);
  while (ms_source_next (src, &frame, &error) == 1)
    {
      MsPacket pkt;

      ms_packet_decode (&frame, defrag, &pkt);
      if (pkt.flags & MS_PACKET_REASSEMBLED)
        {
          reassembled++;
          g_assert_cmpuint (frame.number, ==, 8);
          g_assert_cmpuint (pkt.ip_proto, ==, 17);
          g_assert_cmpuint (pkt.payload_wire_len, ==, 3238 - 8);
          g_assert_cmpuint (pkt.payload_offset, ==, G_MAXUINT32);
          /* DNS id and flags of a response */
          g_assert_cmpuint (pkt.payload[2] & 0x80, ==, 0x80);
        }
      ms_packet_clear (&pkt);
    }
  g_assert_cmpuint (reassembled, ==, 1);
  ms_source_close (src);
  ms_ip_defrag_free (defrag);
  g_free (path);
}

/* ---------------------------------------------------- formats, offsets */

/* How the tests open capture files: each file test runs once through
 * ms_source_open_file and once through ms_source_open_mapped. */
typedef MsSource *(*Opener) (const char *path, GError **error);
static Opener open_capture = ms_source_open_file;

typedef struct {
  gint64 ts;
  GBytes *bytes;
  guint32 len;
  gint64 offset;
} SavedFrame;

static GArray *
read_all (const char *path)
{
  GError *error = NULL;
  MsSource *src = open_capture (path, &error);
  GArray *frames = g_array_new (FALSE, TRUE, sizeof (SavedFrame));
  MsFrame frame;

  g_assert_no_error (error);
  while (ms_source_next (src, &frame, &error) == 1)
    {
      SavedFrame s = { frame.ts_nsec, g_bytes_new (frame.data, frame.caplen), frame.len,
                       frame.file_offset };
      g_array_append_val (frames, s);
    }
  g_assert_no_error (error);
  ms_source_close (src);
  return frames;
}

static void
free_frames (GArray *frames)
{
  for (guint i = 0; i < frames->len; i++)
    g_bytes_unref (g_array_index (frames, SavedFrame, i).bytes);
  g_array_unref (frames);
}

static void
assert_same_frames (GArray *a, guint a_from, GArray *b)
{
  g_assert_cmpuint (a->len - a_from, ==, b->len);
  for (guint i = 0; i < b->len; i++)
    {
      SavedFrame *x = &g_array_index (a, SavedFrame, a_from + i);
      SavedFrame *y = &g_array_index (b, SavedFrame, i);
      g_assert_cmpint (x->ts, ==, y->ts);
      g_assert_cmpuint (x->len, ==, y->len);
      g_assert_true (g_bytes_equal (x->bytes, y->bytes));
    }
}

/* pcap (µs and ns) and pcapng of the same frames read identically; only
 * plain pcap reports record offsets. */
static void
test_formats (void)
{
  char *p1 = data_path ("dns_tcp.pcap");
  char *p2 = data_path ("dns_tcp-ng.pcap");
  char *p3 = data_path ("dns_tcp-nsec.pcap");
  GArray *usec = read_all (p1);
  GArray *ng = read_all (p2);
  GArray *nsec = read_all (p3);

  g_assert_cmpuint (usec->len, ==, 11);
  /* tshark: frame.time_epoch 1591780863.720289000 */
  g_assert_cmpint (g_array_index (usec, SavedFrame, 0).ts, ==,
                   G_GINT64_CONSTANT (1591780863720289000));
  g_assert_cmpint (g_array_index (usec, SavedFrame, 10).ts, ==,
                   G_GINT64_CONSTANT (1591780864101256000));
  assert_same_frames (usec, 0, ng);
  assert_same_frames (usec, 0, nsec);
  /* 24-byte file header, then 16-byte record headers before 74 and 60 bytes */
  g_assert_cmpint (g_array_index (usec, SavedFrame, 0).offset, ==, 24);
  g_assert_cmpint (g_array_index (usec, SavedFrame, 1).offset, ==, 24 + 16 + 74);
  g_assert_cmpint (g_array_index (usec, SavedFrame, 2).offset, ==, 24 + 16 + 74 + 16 + 60);
  g_assert_cmpint (g_array_index (nsec, SavedFrame, 1).offset, ==, 24 + 16 + 74);
  g_assert_cmpint (g_array_index (ng, SavedFrame, 0).offset, ==, -1);

  free_frames (usec);
  free_frames (ng);
  free_frames (nsec);
  g_free (p1);
  g_free (p2);
  g_free (p3);
}

/* Frames read after ms_source_set_dump() land in the dump file. */
static void
test_dump (void)
{
  char *in = data_path ("dns_tcp-ng.pcap");
  char *out = tmp_path ("dump.pcap");
  GError *error = NULL;
  MsSource *src = ms_source_open_file (in, &error);
  GArray *all, *dumped;
  MsFrame frame;

  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (ms_source_next (src, &frame, &error), ==, 1);
  g_assert_true (ms_source_set_dump (src, out, &error));
  g_assert_no_error (error);
  while (ms_source_next (src, &frame, &error) == 1)
    ;
  g_assert_no_error (error);
  g_assert_true (ms_source_set_dump (src, NULL, &error));
  ms_source_close (src);

  all = read_all (in);
  dumped = read_all (out);
  assert_same_frames (all, 3, dumped);
  g_assert_cmpint (g_array_index (dumped, SavedFrame, 0).offset, ==, 24);

  /* an unwritable path is a one-line error */
  src = ms_source_open_file (in, &error);
  g_assert_false (ms_source_set_dump (src, "/nonexistent-dir/x.pcap", &error));
  g_assert_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_OPEN);
  g_assert_null (strchr (error->message, '\n'));
  g_clear_error (&error);
  ms_source_close (src);

  free_frames (all);
  free_frames (dumped);
  cleanup_tmp (out);
  g_free (in);
}

/* ---------------------------------------------------------------- errors */

static void
assert_open_fails (const char *path, MsSourceError code, const char *message)
{
  GError *error = NULL;
  MsSource *src = open_capture (path, &error);

  g_assert_null (src);
  g_assert_error (error, MS_SOURCE_ERROR, (gint) code);
  g_assert_cmpstr (error->message, ==, message);
  g_error_free (error);
}

static void
test_error_missing (void)
{
  assert_open_fails ("no-such-capture.pcap", MS_SOURCE_ERROR_OPEN,
                     "cannot open no-such-capture.pcap: No such file or directory");
}

static void
test_error_not_capture (void)
{
  char *path = tmp_path ("notes.pcap");
  char *msg = g_strdup_printf ("%s is not a pcap or pcapng capture", path);

  write_file (path, "hello, this is text\n", 20);
  assert_open_fails (path, MS_SOURCE_ERROR_OPEN, msg);
  write_file (path, "", 0);
  assert_open_fails (path, MS_SOURCE_ERROR_OPEN, msg);
  write_file (path, "\xd4\xc3", 2);
  assert_open_fails (path, MS_SOURCE_ERROR_OPEN, msg);
  g_free (msg);

  /* a pcap magic number, then the file header stops */
  {
    GError *error = NULL;
    char *prefix = g_strdup_printf ("%s is a damaged capture: ", path);

    write_file (path, "\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00", 10);
    g_assert_null (open_capture (path, &error));
    g_assert_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_OPEN);
    g_assert_true (g_str_has_prefix (error->message, prefix));
    g_assert_null (strchr (error->message, '\n'));
    g_clear_error (&error);
    g_free (prefix);
  }
  cleanup_tmp (path);
}

/* A pcap file header with the given link type and no records. */
static void
write_pcap_header (const char *path, guint32 linktype)
{
  guint8 h[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0 };

  h[16] = 0xff;
  h[17] = 0xff;
  h[20] = linktype & 0xff;
  h[21] = (linktype >> 8) & 0xff;
  write_file (path, h, sizeof h);
}

static void
test_error_linktype (void)
{
  char *path = tmp_path ("user0.pcap");
  char *msg = g_strdup_printf ("%s: link type 147 is not supported; Mailscope "
                               "reads Ethernet, Linux cooked v1/v2, BSD loopback and raw IP",
                               path);
  char *fddi = data_path ("dns-inverse-query.pcap");
  GError *error = NULL;

  write_pcap_header (path, 147);
  assert_open_fails (path, MS_SOURCE_ERROR_LINKTYPE, msg);
  g_free (msg);

  /* a real FDDI capture from the zeek test suite */
  g_assert_null (open_capture (fddi, &error));
  g_assert_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_LINKTYPE);
  g_assert_true (strstr (error->message, "(FDDI)") != NULL);
  g_clear_error (&error);

  /* linktype 101 in the file is raw IP whatever DLT_RAW is locally */
  write_pcap_header (path, 101);
  {
    MsSource *src = open_capture (path, &error);
    MsFrame frame;

    g_assert_no_error (error);
    g_assert_cmpint (ms_source_linktype (src), ==, MS_LINK_RAW);
    g_assert_cmpint (ms_source_next (src, &frame, &error), ==, 0);
    g_assert_no_error (error);
    ms_source_close (src);
  }
  cleanup_tmp (path);
  g_free (fddi);
}

/* A file cut at `cut` bytes yields `whole` frames, then TRUNCATED. */
static void
check_truncated (const char *capture, gsize cut, guint whole)
{
  char *in = data_path (capture);
  char *path = tmp_path (capture);
  char *contents;
  gsize len;
  GError *error = NULL;
  MsSource *src;
  MsFrame frame;
  guint n = 0;
  int rc;

  g_file_get_contents (in, &contents, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cut, <, len);
  write_file (path, contents, cut);

  src = open_capture (path, &error);
  g_assert_no_error (error);
  while ((rc = ms_source_next (src, &frame, &error)) == 1)
    n++;
  g_assert_cmpint (rc, ==, -1);
  g_assert_cmpuint (n, ==, whole);
  g_assert_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_TRUNCATED);
  g_assert_null (strchr (error->message, '\n'));
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  ms_source_close (src);

  cleanup_tmp (path);
  g_free (contents);
  g_free (in);
}

static void
test_error_truncated (void)
{
  /* records: 24 + (16 + 74) + (16 + 60) + (16 + 54) ... */
  check_truncated ("dns_tcp.pcap", 24 + 90 + 76 + 30, 2);   /* inside frame 3's data */
  check_truncated ("dns_tcp.pcap", 24 + 90 + 76 + 10, 2);   /* inside its record header */
  check_truncated ("dns_tcp.pcap", 24 + 90 + 40, 1);
  check_truncated ("dns_tcp-ng.pcap", 1412 - 20, 10);       /* inside the last block */
}

/* -------------------------------------------------------- mapped files */

static void
test_mapped (void)
{
  open_capture = ms_source_open_mapped;
  test_formats ();
  test_error_missing ();
  test_error_not_capture ();
  test_error_linktype ();
  test_error_truncated ();
  open_capture = ms_source_open_file;
}

/* What a mapping costs: a file shortened while it is read faults with
 * SIGBUS, which mailscope-cli turns into a one-line error (tests/cli). */
static void
test_mapped_shortened (void)
{
  GError *error = NULL;

  if (g_test_subprocess ())
    {
      const char *path = g_getenv ("MS_TEST_LONG_CAPTURE");
      MsSource *src = ms_source_open_mapped (path, &error);
      MsFrame frame;

      g_assert_no_error (error);
      g_assert_cmpint (ms_source_next (src, &frame, &error), ==, 1);
      g_assert_cmpint (truncate (path, 0), ==, 0);
      while (ms_source_next (src, &frame, &error) == 1)
        ;
      g_print ("read to the end of a file shortened under the mapping\n");
      return;
    }

  /* The file header, then the first capture's records until the file
   * spans many pages. */
  char *in = data_path ("dns_tcp.pcap");
  char *path = tmp_path ("long.pcap");
  char *contents;
  gsize len;
  g_file_get_contents (in, &contents, &len, &error);
  g_assert_no_error (error);
  GString *big = g_string_new_len (contents, (gssize) len);
  while (big->len < 1024 * 1024)
    g_string_append_len (big, contents + 24, (gssize) len - 24);
  write_file (path, big->str, big->len);

  g_setenv ("MS_TEST_LONG_CAPTURE", path, TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stdout_unmatched ("*read to the end*");
  g_unsetenv ("MS_TEST_LONG_CAPTURE");

  g_string_free (big, TRUE);
  g_free (contents);
  g_free (in);
  cleanup_tmp (path);
}

/* ------------------------------------------------------------------ live */

static gboolean
can_capture (void)
{
  if (geteuid () != 0)
    {
      g_test_skip ("live capture needs root");
      return FALSE;
    }
  return TRUE;
}

static void
send_udp (guint16 port, const char *text)
{
  struct sockaddr_in to = { 0 };
  int fd = socket (AF_INET, SOCK_DGRAM, 0);

  g_assert_cmpint (fd, >=, 0);
  to.sin_family = AF_INET;
  to.sin_port = htons (port);
  to.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (sendto (fd, text, strlen (text), 0, (struct sockaddr *) &to, sizeof to),
                   ==, (gssize) strlen (text));
  close (fd);
}

/* Limit on read attempts (each waits at most the 100 ms timeout). */
#define LIVE_MAX_TRIES 50

static void
test_live (void)
{
  GError *error = NULL;
  MsSource *src;
  MsFrame frame;
  guint64 received = 0, dropped = 0;
  gboolean seen = FALSE;

  if (!can_capture ())
    return;
  src = ms_source_open_live ("lo", "udp port 47113", 0, &error);
  g_assert_no_error (error);
  g_assert_true (ms_source_is_live (src));
  g_assert_cmpint (ms_source_get_fd (src), >=, 0);
  g_assert_nonnull (ms_link_name (ms_source_linktype (src)));

  send_udp (47112, "not this one");
  send_udp (47113, "mailscope");
  for (guint i = 0; i < LIVE_MAX_TRIES && !seen; i++)
    {
      int rc = ms_source_next (src, &frame, &error);
      MsPacket pkt;

      g_assert_no_error (error);
      g_assert_true (rc == 1 || rc == 2);
      if (rc == 2)
        continue;
      ms_packet_decode (&frame, NULL, &pkt);
      g_assert_cmpuint (pkt.dst.port, ==, 47113);
      g_assert_cmpmem (pkt.payload, pkt.payload_len, "mailscope", 9);
      g_assert_cmpint (frame.file_offset, ==, -1);
      g_assert_cmpint (frame.ts_nsec, >, G_GINT64_CONSTANT (1600000000) * 1000000000);
      ms_packet_clear (&pkt);
      seen = TRUE;
    }
  g_assert_true (seen);
  g_assert_true (ms_source_stats (src, &received, &dropped));
  g_assert_cmpuint (received, >=, 1);

  /* Loopback may show the datagram a second time; after that, with no
   * traffic, a read is a timeout, not an end. */
  {
    int rc = 1;
    for (guint i = 0; i < LIVE_MAX_TRIES && rc == 1; i++)
      rc = ms_source_next (src, &frame, &error);
    g_assert_cmpint (rc, ==, 2);
  }
  ms_source_close (src);
}

static gpointer
break_later (gpointer data)
{
  g_usleep (200 * 1000);
  ms_source_break (data);
  return NULL;
}

static void
test_live_break (void)
{
  GError *error = NULL;
  MsSource *src;
  MsFrame frame;
  GThread *thread;
  int rc = 2;

  if (!can_capture ())
    return;
  src = ms_source_open_live ("lo", "udp port 47114", 0, &error);
  g_assert_no_error (error);
  thread = g_thread_new ("break", break_later, src);
  for (guint i = 0; i < LIVE_MAX_TRIES && rc == 2; i++)
    rc = ms_source_next (src, &frame, &error);
  g_assert_cmpint (rc, ==, 0);
  g_assert_no_error (error);
  g_thread_join (thread);
  ms_source_close (src);
}

static void
test_live_errors (void)
{
  GError *error = NULL;

  if (!can_capture ())
    return;
  g_assert_null (ms_source_open_live ("lo", "udp port", 0, &error));
  g_assert_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_FILTER);
  g_assert_true (g_str_has_prefix (error->message, "invalid capture filter “udp port”: "));
  g_clear_error (&error);

  g_assert_null (ms_source_open_live ("nosuchif0", NULL, 0, &error));
  g_assert_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_OPEN);
  g_assert_cmpstr (error->message, ==, "there is no network interface named nosuchif0");
  g_clear_error (&error);

  /* Without root, capturing is refused with advice on how to allow it. */
  if (g_test_subprocess ())
    {
      g_assert_cmpint (setgid (65534), ==, 0);
      g_assert_cmpint (setuid (65534), ==, 0);
      g_set_prgname ("mailscope");
      g_assert_null (ms_source_open_live ("lo", NULL, 0, &error));
      g_assert_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_PERMISSION);
      g_print ("%s\n", error->message);
      g_clear_error (&error);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("no permission to capture on lo: run as root, or grant the "
                             "capability with `setcap cap_net_raw,cap_net_admin=eip "
                             "mailscope`\n");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (expected_cases); i++)
    {
      char *name = g_strdup_printf ("/source/tshark/%s", expected_cases[i].capture);
      g_test_add_data_func (name, &expected_cases[i], test_expected);
      g_free (name);
    }
  g_test_add_func ("/source/ipv6-reassembly", test_ipv6_reassembly);
  g_test_add_func ("/source/formats", test_formats);
  g_test_add_func ("/source/dump", test_dump);
  g_test_add_func ("/source/error/missing", test_error_missing);
  g_test_add_func ("/source/error/not-capture", test_error_not_capture);
  g_test_add_func ("/source/error/linktype", test_error_linktype);
  g_test_add_func ("/source/error/truncated", test_error_truncated);
  g_test_add_func ("/source/mapped/same", test_mapped);
  g_test_add_func ("/source/mapped/shortened", test_mapped_shortened);
  g_test_add_func ("/source/live/read", test_live);
  g_test_add_func ("/source/live/break", test_live_break);
  g_test_add_func ("/source/live/errors", test_live_errors);
  return g_test_run ();
}
