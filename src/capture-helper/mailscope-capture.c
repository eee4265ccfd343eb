/* mailscope-capture.c - the privileged capture helper: opens one live
 * interface with a BPF filter and writes what it captures to standard output
 * as a pcap stream, so that unprivileged programs never need to capture
 * themselves (as Wireshark's dumpcap does).
 *
 * It is meant to carry file capabilities
 *   setcap cap_net_raw,cap_net_admin=eip LIBEXECDIR/mailscope-capture
 * so it does as little as possible: no files are opened, only standard output
 * is written, and every capability is dropped as soon as the interface is
 * open. It links only libc and libpcap.
 *
 * Usage: mailscope-capture -i IFACE [-f FILTER] [-c COUNT] [-s SNAPLEN]
 * Exit status: 0 after a normal end (COUNT packets, SIGTERM/SIGINT, reader
 * gone); 1 for a bad command line or another failure; 3 when the process may
 * not capture. On exit one line "mailscope-capture: stats received=N
 * dropped=M" goes to standard error (when the interface was opened). */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <pcap/pcap.h>

/* Exit statuses, read by the programs that spawn the helper. */
#define EXIT_USAGE_OR_FAILURE 1
#define EXIT_PERMISSION 3
/* Snapshot length: large enough for any loopback frame (64 KiB MTU) with
 * offloads, the same as ms-source.c's default. */
#define DEFAULT_SNAPLEN 262144
/* Longest filter accepted: a filter longer than this is not a teaching one. */
#define MAX_FILTER_LEN 4096
/* Poll timeout: how quickly a signal or a closed reader is noticed. */
#define POLL_TIMEOUT_MS 100

static volatile sig_atomic_t stop_requested;

static void
on_stop_signal (int sig)
{
  (void) sig;
  stop_requested = 1;
}

/* Drops every capability of the process; nothing after opening the interface
 * needs one. Returns 0, or -1 when the kernel refuses. */
static int
drop_capabilities (void)
{
  struct __user_cap_header_struct hdr;
  struct __user_cap_data_struct data[2];

  memset (&hdr, 0, sizeof hdr);
  memset (data, 0, sizeof data);
  hdr.version = _LINUX_CAPABILITY_VERSION_3;
  hdr.pid = 0;
  return (int) syscall (SYS_capset, &hdr, data);
}

static void
usage (void)
{
  fprintf (stderr, "usage: mailscope-capture -i IFACE [-f FILTER] [-c COUNT] [-s SNAPLEN]\n");
}

/* Parses a positive decimal number no larger than max; -1 when it is not
 * one. */
static long
parse_count (const char *s, long max)
{
  char *end;
  long v;

  errno = 0;
  v = strtol (s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v <= 0 || v > max)
    return -1;
  return v;
}

static void
print_stats (pcap_t *p)
{
  struct pcap_stat st;

  if (pcap_stats (p, &st) == 0)
    fprintf (stderr, "mailscope-capture: stats received=%u dropped=%u\n", st.ps_recv,
             st.ps_drop + st.ps_ifdrop);
}

int
main (int argc, char **argv)
{
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  const char *iface = NULL, *filter = NULL;
  long count = 0, snaplen = DEFAULT_SNAPLEN;
  struct sigaction sa;
  pcap_dumper_t *dumper;
  pcap_t *p;
  int opt, rc, status = 0;
  long seen = 0;

  while ((opt = getopt (argc, argv, "i:f:c:s:")) != -1)
    switch (opt)
      {
      case 'i':
        iface = optarg;
        break;
      case 'f':
        filter = optarg;
        break;
      case 'c':
        count = parse_count (optarg, LONG_MAX);
        break;
      case 's':
        snaplen = parse_count (optarg, DEFAULT_SNAPLEN);
        break;
      default:
        usage ();
        return EXIT_USAGE_OR_FAILURE;
      }
  if (iface == NULL || optind != argc || count < 0 || snaplen < 0
      || (filter != NULL && strlen (filter) > MAX_FILTER_LEN))
    {
      usage ();
      return EXIT_USAGE_OR_FAILURE;
    }
  /* A pcap stream on a terminal helps nobody. */
  if (isatty (STDOUT_FILENO))
    {
      fprintf (stderr, "mailscope-capture: standard output is a terminal; pipe it to a "
                       "program or a file\n");
      return EXIT_USAGE_OR_FAILURE;
    }

  /* The parent may have blocked these signals for its own reasons; the
   * helper must still end on them. */
  sigset_t stop_signals;
  sigemptyset (&stop_signals);
  sigaddset (&stop_signals, SIGTERM);
  sigaddset (&stop_signals, SIGINT);
  sigaddset (&stop_signals, SIGHUP);
  sigprocmask (SIG_UNBLOCK, &stop_signals, NULL);

  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGHUP, &sa, NULL);
  /* A reader that went away shows up as a failed write, not a signal. */
  sa.sa_handler = SIG_IGN;
  sigaction (SIGPIPE, &sa, NULL);

  p = pcap_create (iface, errbuf);
  if (p == NULL)
    {
      fprintf (stderr, "mailscope-capture: %s\n", errbuf);
      return EXIT_USAGE_OR_FAILURE;
    }
  pcap_set_snaplen (p, (int) snaplen);
  pcap_set_immediate_mode (p, 1);
  /* Immediate mode keeps one snaplen-sized slot per packet: libpcap's 2 MiB
   * default holds only eight loopback-sized packets. */
  pcap_set_buffer_size (p, 32 * 1024 * 1024);
  pcap_set_timeout (p, POLL_TIMEOUT_MS);
  pcap_set_tstamp_precision (p, PCAP_TSTAMP_PRECISION_NANO);
  rc = pcap_activate (p);
  if (rc == PCAP_ERROR_PERM_DENIED || rc == PCAP_ERROR_PROMISC_PERM_DENIED)
    {
      fprintf (stderr, "mailscope-capture: permission denied: %s\n", pcap_geterr (p));
      pcap_close (p);
      return EXIT_PERMISSION;
    }
  if (rc < 0)
    {
      fprintf (stderr, "mailscope-capture: cannot capture on %s: %s\n", iface,
               rc == PCAP_ERROR_NO_SUCH_DEVICE ? "no such interface" : pcap_geterr (p));
      pcap_close (p);
      return EXIT_USAGE_OR_FAILURE;
    }
  if (drop_capabilities () < 0)
    {
      fprintf (stderr, "mailscope-capture: cannot drop capabilities: %s\n", strerror (errno));
      pcap_close (p);
      return EXIT_USAGE_OR_FAILURE;
    }
  if (filter != NULL && *filter != '\0')
    {
      struct bpf_program prog;

      if (pcap_compile (p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0)
        {
          fprintf (stderr, "mailscope-capture: invalid filter: %s\n", pcap_geterr (p));
          pcap_close (p);
          return EXIT_USAGE_OR_FAILURE;
        }
      rc = pcap_setfilter (p, &prog);
      pcap_freecode (&prog);
      if (rc < 0)
        {
          fprintf (stderr, "mailscope-capture: cannot set filter: %s\n", pcap_geterr (p));
          pcap_close (p);
          return EXIT_USAGE_OR_FAILURE;
        }
    }
  if (pcap_setnonblock (p, 1, errbuf) < 0)
    {
      fprintf (stderr, "mailscope-capture: %s\n", errbuf);
      pcap_close (p);
      return EXIT_USAGE_OR_FAILURE;
    }

  dumper = pcap_dump_fopen (p, stdout);
  if (dumper == NULL || pcap_dump_flush (dumper) < 0)
    {
      fprintf (stderr, "mailscope-capture: cannot write to standard output\n");
      pcap_close (p);
      return EXIT_USAGE_OR_FAILURE;
    }

  while (!stop_requested && (count == 0 || seen < count))
    {
      struct pcap_pkthdr *hdr;
      const u_char *data;

      rc = pcap_next_ex (p, &hdr, &data);
      if (rc == 0)
        {
          struct pollfd pfd = { pcap_get_selectable_fd (p), POLLIN, 0 };
          if (poll (&pfd, 1, POLL_TIMEOUT_MS) < 0 && errno != EINTR)
            break;
          continue;
        }
      if (rc < 0)
        {
          fprintf (stderr, "mailscope-capture: %s\n", pcap_geterr (p));
          status = EXIT_USAGE_OR_FAILURE;
          break;
        }
      pcap_dump ((u_char *) dumper, hdr, data);
      /* One packet at a time: the reader narrates as packets arrive. */
      if (pcap_dump_flush (dumper) < 0)
        break;
      seen++;
    }

  print_stats (p);
  pcap_dump_close (dumper);
  pcap_close (p);
  return status;
}
