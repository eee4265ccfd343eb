/* ms-source.c - packet sources over libpcap: pcap and pcapng files, live
 * interfaces, BPF filters and optional pcap dump of what was read. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <pcap/pcap.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "mailscope/ms-source.h"

/* Default live snapshot length: large enough for any frame with offloads. */
#define MS_SOURCE_DEFAULT_SNAPLEN 262144
/* Kernel buffer of a live capture. Immediate mode gives one slot per
 * packet of snaplen bytes, so libpcap's 2 MiB default holds only eight
 * loopback-sized packets: a reader that lags that far (a busy classroom
 * machine) loses packets. 32 MiB holds over a hundred. */
#define MS_SOURCE_LIVE_BUFFER (32 * 1024 * 1024)
/* Live read timeout: short, so the caller can poll a stop flag often. */
#define MS_SOURCE_LIVE_TIMEOUT_MS 100
/* Bytes of the file we look at to tell pcap from pcapng from anything else. */
#define MS_SOURCE_MAGIC_LEN 4
/* A mapped capture's pages that have been read are given back in steps
 * of this many bytes, checked every MS_SOURCE_RELEASE_FRAMES frames: they
 * would otherwise count in the process's memory until the end, and the
 * memory a decode takes must not grow with the file. */
#define MS_SOURCE_RELEASE_BYTES (2 * 1024 * 1024)
#define MS_SOURCE_RELEASE_FRAMES 512
/* stdio buffer for capture files: libpcap reads a record at a time, and
 * stdio's default (one 4 KiB block) would make a system call every few
 * frames; this makes a few hundred for a 100 MiB capture. */
#define MS_SOURCE_FILE_BUFFER (256 * 1024)

typedef enum {
  MS_FILE_NONE,
  MS_FILE_PCAP,
  MS_FILE_PCAPNG,
} MsFileKind;

struct _MsSource {
  pcap_t *pcap;
  char *name;            /* file path or interface name, for messages */
  gboolean live;
  MsFileKind kind;
  int linktype;          /* MS_LINK_* */
  gboolean nano;         /* timestamps are in nanoseconds */
  guint32 number;        /* frames returned so far */
  gint stop;             /* set by ms_source_break, atomically */
  pcap_dumper_t *dumper;
  char *file_buffer;     /* stdio's buffer for a capture file, freed after it */
  void *map;             /* the file's mapping (ms_source_open_mapped), or NULL */
  gsize map_len;
  gsize map_released;    /* bytes at its start given back (see release_read_pages) */
  /* File offsets of pcap records are counted rather than asked of stdio
   * for every frame: record_header is 16 for the standard formats (0:
   * always ask), next_offset the next record's offset or -1 when unsure. */
  guint record_header;
  guint32 snaplen;
  gint64 next_offset;
};

G_DEFINE_QUARK (ms-source-error-quark, ms_source_error)

/* Maps a DLT value from libpcap to the MS_LINK_* value, or -1. DLT_RAW differs
 * between platforms (12 or 14) but is always LINKTYPE_RAW in files. */
static int
ms_link_from_dlt (int dlt)
{
  switch (dlt)
    {
    case MS_LINK_NULL:
    case MS_LINK_ETHERNET:
    case MS_LINK_RAW:
    case MS_LINK_LOOP:
    case MS_LINK_LINUX_SLL:
    case MS_LINK_IPV4:
    case MS_LINK_IPV6:
    case MS_LINK_LINUX_SLL2:
      return dlt;
    case 12:
    case 14:
      return MS_LINK_RAW;
    default:
      return -1;
    }
}

const char *
ms_link_name (int linktype)
{
  switch (linktype)
    {
    case MS_LINK_NULL:
      return "BSD loopback";
    case MS_LINK_ETHERNET:
      return "Ethernet";
    case MS_LINK_RAW:
    case 12:
    case 14:
      return "Raw IP";
    case MS_LINK_LOOP:
      return "OpenBSD loopback";
    case MS_LINK_LINUX_SLL:
      return "Linux cooked";
    case MS_LINK_IPV4:
      return "Raw IPv4";
    case MS_LINK_IPV6:
      return "Raw IPv6";
    case MS_LINK_LINUX_SLL2:
      return "Linux cooked v2";
    default:
      return NULL;
    }
}

/* Classifies the first bytes of a file. */
static MsFileKind
ms_sniff_magic (const guint8 *m, gsize n)
{
  static const guint8 magics[][MS_SOURCE_MAGIC_LEN] = {
    { 0xa1, 0xb2, 0xc3, 0xd4 }, /* pcap, microseconds */
    { 0xa1, 0xb2, 0x3c, 0x4d }, /* pcap, nanoseconds */
    { 0xa1, 0xb2, 0xcd, 0x34 }, /* pcap, Kuznetzov's patched format */
  };

  if (n < MS_SOURCE_MAGIC_LEN)
    return MS_FILE_NONE;
  if (m[0] == 0x0a && m[1] == 0x0d && m[2] == 0x0d && m[3] == 0x0a)
    return MS_FILE_PCAPNG;
  for (gsize i = 0; i < G_N_ELEMENTS (magics); i++)
    {
      const guint8 *k = magics[i];
      if (memcmp (m, k, MS_SOURCE_MAGIC_LEN) == 0)
        return MS_FILE_PCAP;
      if (m[0] == k[3] && m[1] == k[2] && m[2] == k[1] && m[3] == k[0])
        return MS_FILE_PCAP;
    }
  return MS_FILE_NONE;
}

/* Sets `error` for a link type we do not decode and returns FALSE; TRUE when
 * the link type is supported (src->linktype is then set). */
static gboolean
ms_source_check_link (MsSource *src, GError **error)
{
  int dlt = pcap_datalink (src->pcap);
  int link = ms_link_from_dlt (dlt);

  if (link < 0)
    {
      const char *name = pcap_datalink_val_to_name (dlt);
      if (name != NULL)
        g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_LINKTYPE,
                     _("%s: link type %d (%s) is not supported; Mailscope reads "
                       "Ethernet, Linux cooked v1/v2, BSD loopback and raw IP"),
                     src->name, dlt, name);
      else
        g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_LINKTYPE,
                     _("%s: link type %d is not supported; Mailscope reads "
                       "Ethernet, Linux cooked v1/v2, BSD loopback and raw IP"),
                     src->name, dlt);
      return FALSE;
    }
  src->linktype = link;
  return TRUE;
}

/* Gives back the mapped pages before the stream's position: libpcap and
 * stdio have copied what they read, so nothing looks at them again. */
static void
release_read_pages (MsSource *src)
{
  FILE *fp = pcap_file (src->pcap);
  gint64 pos = fp ? ftello (fp) : -1;
  if (pos < 0)
    return;
  gsize page = (gsize) sysconf (_SC_PAGESIZE);
  gsize upto = MIN ((gsize) pos, src->map_len) / page * page;
  if (upto < src->map_released + MS_SOURCE_RELEASE_BYTES)
    return;
  madvise ((char *) src->map + src->map_released, upto - src->map_released, MADV_DONTNEED);
  src->map_released = upto;
}

/* Reads a capture file through `fp` (its stdio buffer, if ours, is
 * `buffer`): sniffs the magic, hands the stream to libpcap and checks the
 * link type. Takes fp and buffer over, on failure too. A pipe cannot be
 * rewound after the sniff: libpcap alone reads its header, and it has no
 * file offsets. */
static MsSource *
open_stream (FILE *fp, char *buffer, const char *path, GError **error)
{
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  guint8 magic[MS_SOURCE_MAGIC_LEN] = { 0 };
  MsSource *src;
  MsFileKind kind = MS_FILE_NONE;
  gboolean seekable = fseeko (fp, 0, SEEK_CUR) == 0;
  gsize n;

  /* Only the thread reading the source uses the stream: spare stdio its
   * lock around every read (two per frame once the program has threads). */
  __fsetlocking (fp, FSETLOCKING_BYCALLER);
  if (seekable)
    {
      n = fread (magic, 1, sizeof magic, fp);
      kind = ms_sniff_magic (magic, n);
    }
  if (seekable && kind == MS_FILE_NONE)
    {
      int saved = ferror (fp) ? errno : 0;
      fclose (fp);
      g_free (buffer);
      if (saved != 0)
        g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_OPEN,
                     _("cannot read %s: %s"), path, g_strerror (saved));
      else
        g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_OPEN,
                     _("%s is not a pcap or pcapng capture"), path);
      return NULL;
    }
  if (seekable)
    rewind (fp);

  src = g_new0 (MsSource, 1);
  src->name = g_strdup (path);
  src->kind = kind;
  src->nano = TRUE;
  src->file_buffer = buffer;
  /* libpcap takes the FILE over and closes it in pcap_close(). */
  src->pcap = pcap_fopen_offline_with_tstamp_precision (fp, PCAP_TSTAMP_PRECISION_NANO,
                                                         errbuf);
  if (src->pcap == NULL)
    {
      fclose (fp);
      g_strchomp (errbuf);
      if (!seekable && strstr (errbuf, "unknown file format") != NULL)
        g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_OPEN,
                     _("%s is not a pcap or pcapng capture"), path);
      else
        g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_OPEN,
                     _("%s is a damaged capture: %s"), path, errbuf);
      ms_source_close (src);
      return NULL;
    }
  if (!ms_source_check_link (src, error))
    {
      ms_source_close (src);
      return NULL;
    }
  /* Kuznetzov's patched format has longer record headers: not counted. */
  gboolean standard = kind == MS_FILE_PCAP && !(magic[2] == 0xcd || magic[1] == 0xcd);
  src->record_header = standard ? 16 : 0;
  src->snaplen = (guint32) MAX (pcap_snapshot (src->pcap), 0);
  src->next_offset = -1;
  return src;
}

static void
set_open_error (GError **error, const char *path, int saved)
{
  g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_OPEN,
               _("cannot open %s: %s"), path, g_strerror (saved));
}

/* Reads the capture open on `fd` (taken over) through stdio and a large
 * buffer. */
static MsSource *
open_buffered (int fd, const char *path, GError **error)
{
  FILE *fp = fdopen (fd, "rb");
  if (fp == NULL)
    {
      set_open_error (error, path, errno);
      close (fd);
      return NULL;
    }
  char *buffer = g_malloc (MS_SOURCE_FILE_BUFFER);
  setvbuf (fp, buffer, _IOFBF, MS_SOURCE_FILE_BUFFER);
  return open_stream (fp, buffer, path, error);
}

static int
open_fd (const char *path, GError **error)
{
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    set_open_error (error, path, errno);
  return fd;
}

/* Opens a capture file: NULL with a one-line error when it is missing,
 * unreadable, not a capture, damaged at the start or of a foreign link type. */
MsSource *
ms_source_open_file (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);

  int fd = open_fd (path, error);
  return fd < 0 ? NULL : open_buffered (fd, path, error);
}

MsSource *
ms_source_open_mapped (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);

  int fd = open_fd (path, error);
  if (fd < 0)
    return NULL;
  /* A pipe, a FIFO or an empty file is read as ms_source_open_file reads
   * it, from the same descriptor: a FIFO's writer must not see it closed. */
  struct stat st;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) || st.st_size <= 0
      || (guint64) st.st_size > G_MAXSIZE)
    return open_buffered (fd, path, error);
  gsize len = (gsize) st.st_size;
  void *map = mmap (NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
  FILE *fp = map != MAP_FAILED ? fmemopen (map, len, "r") : NULL;
  if (fp == NULL)
    {
      if (map != MAP_FAILED)
        munmap (map, len);
      return open_buffered (fd, path, error);
    }
  close (fd);   /* the mapping stays */
  madvise (map, len, MADV_SEQUENTIAL);
  MsSource *src = open_stream (fp, NULL, path, error);
  if (src == NULL)
    munmap (map, len);
  else
    {
      src->map = map;
      src->map_len = len;
    }
  return src;
}

/* Opens a capture arriving on `fd` (pcap or pcapng, told apart by libpcap).
 * The stream is read like a file, so a pipe works; NULL with
 * MS_SOURCE_ERROR_OPEN when it ends before a whole header, _LINKTYPE for a
 * foreign link type. */
MsSource *
ms_source_open_fd (int fd, const char *name, GError **error)
{
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  MsSource *src;
  FILE *fp;

  g_return_val_if_fail (fd >= 0, NULL);

  fp = fdopen (fd, "rb");
  if (fp == NULL)
    {
      int saved = errno;
      close (fd);
      g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_OPEN,
                   _("cannot read %s: %s"), name, g_strerror (saved));
      return NULL;
    }
  src = g_new0 (MsSource, 1);
  src->name = g_strdup (name);
  src->kind = MS_FILE_PCAP;
  src->nano = TRUE;
  src->pcap = pcap_fopen_offline_with_tstamp_precision (fp, PCAP_TSTAMP_PRECISION_NANO,
                                                         errbuf);
  if (src->pcap == NULL)
    {
      fclose (fp);
      g_strchomp (errbuf);
      g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_OPEN,
                   _("%s sent no capture: %s"), name, errbuf);
      ms_source_close (src);
      return NULL;
    }
  /* A pipe has no file offsets to report. */
  src->kind = MS_FILE_NONE;
  if (!ms_source_check_link (src, error))
    {
      ms_source_close (src);
      return NULL;
    }
  return src;
}

/* Opens `iface` for live capture; NULL with MS_SOURCE_ERROR_PERMISSION when
 * the process may not capture, _FILTER for a bad filter, _OPEN otherwise. */
MsSource *
ms_source_open_live (const char *iface, const char *filter, int snaplen,
                     GError **error)
{
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  MsSource *src;
  int rc;

  g_return_val_if_fail (iface != NULL, NULL);

  src = g_new0 (MsSource, 1);
  src->name = g_strdup (iface);
  src->live = TRUE;
  src->pcap = pcap_create (iface, errbuf);
  if (src->pcap == NULL)
    {
      g_strchomp (errbuf);
      g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_OPEN,
                   _("cannot capture on %s: %s"), iface, errbuf);
      ms_source_close (src);
      return NULL;
    }
  pcap_set_snaplen (src->pcap, snaplen > 0 ? snaplen : MS_SOURCE_DEFAULT_SNAPLEN);
  pcap_set_immediate_mode (src->pcap, 1);
  pcap_set_buffer_size (src->pcap, MS_SOURCE_LIVE_BUFFER);
  pcap_set_timeout (src->pcap, MS_SOURCE_LIVE_TIMEOUT_MS);
  src->nano = pcap_set_tstamp_precision (src->pcap, PCAP_TSTAMP_PRECISION_NANO) == 0;

  rc = pcap_activate (src->pcap);
  if (rc < 0)
    {
      const char *prg = g_get_prgname ();
      switch (rc)
        {
        case PCAP_ERROR_PERM_DENIED:
        case PCAP_ERROR_PROMISC_PERM_DENIED:
          g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_PERMISSION,
                       _("no permission to capture on %s: run as root, or grant "
                         "the capability with `setcap cap_net_raw,cap_net_admin=eip %s`"),
                       iface, prg ? prg : "mailscope");
          break;
        case PCAP_ERROR_NO_SUCH_DEVICE:
          g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_OPEN,
                       _("there is no network interface named %s"), iface);
          break;
        case PCAP_ERROR_IFACE_NOT_UP:
          g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_OPEN,
                       _("cannot capture on %s: the interface is down"), iface);
          break;
        default:
          g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_OPEN,
                       _("cannot capture on %s: %s"), iface, pcap_geterr (src->pcap));
          break;
        }
      ms_source_close (src);
      return NULL;
    }
  /* libpcap's own timeout does not end a blocking read on Linux (it keeps
   * polling); reading nonblocking and polling ourselves gives the caller a
   * regular chance to look at its stop flag. */
  if (pcap_setnonblock (src->pcap, 1, errbuf) < 0)
    {
      g_strchomp (errbuf);
      g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_OPEN,
                   _("cannot capture on %s: %s"), iface, errbuf);
      ms_source_close (src);
      return NULL;
    }
  if (src->nano)
    src->nano = pcap_get_tstamp_precision (src->pcap) == PCAP_TSTAMP_PRECISION_NANO;

  if (!ms_source_check_link (src, error))
    {
      ms_source_close (src);
      return NULL;
    }

  if (filter != NULL && *filter != '\0')
    {
      struct bpf_program prog;

      if (pcap_compile (src->pcap, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0)
        {
          g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_FILTER,
                       _("invalid capture filter “%s”: %s"), filter,
                       pcap_geterr (src->pcap));
          ms_source_close (src);
          return NULL;
        }
      rc = pcap_setfilter (src->pcap, &prog);
      pcap_freecode (&prog);
      if (rc < 0)
        {
          g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_FILTER,
                       _("cannot apply capture filter “%s”: %s"), filter,
                       pcap_geterr (src->pcap));
          ms_source_close (src);
          return NULL;
        }
    }
  return src;
}

/* Returns 1 with a frame, 0 at the end (or after ms_source_break), 2 on a live
 * timeout, -1 with `error` set (TRUNCATED for a file cut inside a record). */
int
ms_source_next (MsSource *src, MsFrame *frame, GError **error)
{
  struct pcap_pkthdr *hdr;
  const u_char *data;
  gint64 offset = -1;
  int rc;

  g_return_val_if_fail (src != NULL && src->pcap != NULL, -1);

  if (!src->live && src->kind == MS_FILE_PCAP)
    {
      FILE *fp;
      if (src->next_offset >= 0)
        offset = src->next_offset;
      else if ((fp = pcap_file (src->pcap)) != NULL)
        offset = ftello (fp);
    }

  if (g_atomic_int_get (&src->stop))
    return 0;
  rc = pcap_next_ex (src->pcap, &hdr, &data);
  if (rc == 0 && src->live)
    {
      struct pollfd pfd = { pcap_get_selectable_fd (src->pcap), POLLIN, 0 };

      if (pfd.fd >= 0 && poll (&pfd, 1, MS_SOURCE_LIVE_TIMEOUT_MS) > 0
          && !g_atomic_int_get (&src->stop))
        rc = pcap_next_ex (src->pcap, &hdr, &data);
      if (g_atomic_int_get (&src->stop))
        return 0;
    }
  if (rc == 0)
    return 2;
  if (rc == PCAP_ERROR_BREAK)
    return 0;
  if (rc < 0)
    {
      const char *msg = pcap_geterr (src->pcap);

      if (!src->live && strstr (msg, "truncated") != NULL)
        g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_TRUNCATED,
                     _("%s is truncated: the capture ends in the middle of frame %u"),
                     src->name, src->number + 1);
      else
        g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_READ,
                     _("cannot read %s after frame %u: %s"), src->name, src->number,
                     msg);
      return -1;
    }

  src->number++;
  if (src->map != NULL && src->number % MS_SOURCE_RELEASE_FRAMES == 0)
    release_read_pages (src);
  frame->number = src->number;
  frame->ts_nsec = (gint64) hdr->ts.tv_sec * G_GINT64_CONSTANT (1000000000)
                   + (gint64) hdr->ts.tv_usec * (src->nano ? 1 : 1000);
  frame->data = data;
  frame->caplen = hdr->caplen;
  frame->len = hdr->len;
  frame->linktype = src->linktype;
  frame->file_offset = offset;
  /* A frame cut to the snapshot length had bytes skipped after it. */
  if (src->record_header && offset >= 0 && hdr->caplen < src->snaplen)
    src->next_offset = offset + src->record_header + hdr->caplen;
  else
    src->next_offset = -1;

  if (src->dumper != NULL)
    pcap_dump ((u_char *) src->dumper, hdr, data);
  return 1;
}

int
ms_source_linktype (MsSource *src)
{
  g_return_val_if_fail (src != NULL, -1);
  return src->linktype;
}

gboolean
ms_source_is_live (MsSource *src)
{
  g_return_val_if_fail (src != NULL, FALSE);
  return src->live;
}

int
ms_source_get_fd (MsSource *src)
{
  g_return_val_if_fail (src != NULL, -1);
  if (!src->live || src->pcap == NULL)
    return -1;
  return pcap_get_selectable_fd (src->pcap);
}

/* FALSE for a file source or when the kernel refuses the statistics. */
gboolean
ms_source_stats (MsSource *src, guint64 *received, guint64 *dropped)
{
  struct pcap_stat st;

  g_return_val_if_fail (src != NULL, FALSE);
  if (!src->live || pcap_stats (src->pcap, &st) < 0)
    return FALSE;
  if (received)
    *received = st.ps_recv;
  if (dropped)
    *dropped = (guint64) st.ps_drop + st.ps_ifdrop;
  return TRUE;
}

void
ms_source_break (MsSource *src)
{
  g_return_if_fail (src != NULL);
  g_atomic_int_set (&src->stop, 1);
  if (src->pcap != NULL)
    pcap_breakloop (src->pcap);
}

/* Frames returned by ms_source_next from now on are also written to `path`
 * (replacing a previous dump). FALSE with MS_SOURCE_ERROR_OPEN when the file
 * cannot be created. */
gboolean
ms_source_set_dump (MsSource *src, const char *path, GError **error)
{
  g_return_val_if_fail (src != NULL && src->pcap != NULL, FALSE);

  if (src->dumper != NULL)
    {
      pcap_dump_close (src->dumper);
      src->dumper = NULL;
    }
  if (path == NULL)
    return TRUE;
  src->dumper = pcap_dump_open (src->pcap, path);
  if (src->dumper == NULL)
    {
      g_set_error (error, MS_SOURCE_ERROR, MS_SOURCE_ERROR_OPEN,
                   _("cannot write %s: %s"), path, pcap_geterr (src->pcap));
      return FALSE;
    }
  return TRUE;
}

void
ms_source_close (MsSource *src)
{
  if (src == NULL)
    return;
  if (src->dumper != NULL)
    pcap_dump_close (src->dumper);
  if (src->pcap != NULL)
    pcap_close (src->pcap);
  g_free (src->file_buffer);
  if (src->map != NULL)
    munmap (src->map, src->map_len);
  g_free (src->name);
  g_free (src);
}
