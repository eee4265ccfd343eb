/* ms-source.h - packet sources: offline pcap/pcapng files and live interfaces
 * (libpcap). A source yields frames numbered from 1, as Wireshark counts. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MS_SOURCE_ERROR (ms_source_error_quark ())
GQuark ms_source_error_quark (void);

typedef enum {
  MS_SOURCE_ERROR_OPEN,          /* missing file, permission, not a capture */
  MS_SOURCE_ERROR_LINKTYPE,      /* link type Mailscope cannot decode */
  MS_SOURCE_ERROR_TRUNCATED,     /* file ends in the middle of a record */
  MS_SOURCE_ERROR_PERMISSION,    /* live capture not permitted */
  MS_SOURCE_ERROR_FILTER,        /* BPF filter does not compile */
  MS_SOURCE_ERROR_READ,          /* any other read failure */
} MsSourceError;

/* Link types understood by ms_packet_decode (DLT_* values). */
#define MS_LINK_NULL       0    /* BSD loopback, host byte order family */
#define MS_LINK_ETHERNET   1
#define MS_LINK_RAW        101  /* raw IPv4/IPv6 (LINKTYPE_RAW) */
#define MS_LINK_LOOP       108  /* OpenBSD loopback, network byte order family */
#define MS_LINK_LINUX_SLL  113
#define MS_LINK_IPV4       228
#define MS_LINK_IPV6       229
#define MS_LINK_LINUX_SLL2 276

typedef struct {
  guint32 number;        /* 1-based */
  gint64 ts_nsec;        /* absolute time, nanoseconds since the epoch */
  const guint8 *data;    /* captured bytes; valid until the next call */
  guint32 caplen;
  guint32 len;           /* original length on the wire */
  int linktype;          /* MS_LINK_* (DLT value) */
  gint64 file_offset;    /* byte offset of the record in the file, or -1 */
} MsFrame;

typedef struct _MsSource MsSource;

/* Opens a pcap or pcapng file (sniffs the magic, not the name). Fails with a
 * one-line message for a missing file, a file that is not a capture, or an
 * unsupported link type. */
MsSource *ms_source_open_file (const char *path, GError **error);

/* Like ms_source_open_file, but reads a regular file through a memory
 * mapping, which spares the kernel copying every byte into a buffer
 * (other files are read as ms_source_open_file reads them). The caller
 * must be ready for SIGBUS: reading faults if another program shortens
 * the file meanwhile. */
MsSource *ms_source_open_mapped (const char *path, GError **error);

/* Reads a pcap or pcapng stream from a file descriptor (a pipe from the
 * capture helper), taking the descriptor over. `name` names it in messages.
 * Blocks until the stream's header has arrived; NULL with a one-line error
 * when the stream ends before it or is not a capture. */
MsSource *ms_source_open_fd (int fd, const char *name, GError **error);

/* Opens a live capture. filter may be NULL. snaplen 0 means 262144. */
MsSource *ms_source_open_live (const char *iface, const char *filter,
                               int snaplen, GError **error);

/* Reads the next frame. Returns 1 with *frame filled, 0 at the clean end, -1
 * with error set (for a truncated file: MS_SOURCE_ERROR_TRUNCATED, after all
 * whole frames have been returned). For live sources, a timeout with no
 * packet returns 2 and leaves *frame untouched. */
int ms_source_next (MsSource *src, MsFrame *frame, GError **error);

int  ms_source_linktype (MsSource *src);
gboolean ms_source_is_live (MsSource *src);
/* Live only: a file descriptor to poll, or -1. */
int  ms_source_get_fd (MsSource *src);
/* Live only: packets received / dropped by the kernel and interface so far. */
gboolean ms_source_stats (MsSource *src, guint64 *received, guint64 *dropped);
/* Stops a live capture from another thread (pcap_breakloop). */
void ms_source_break (MsSource *src);
/* Writes frames read so far to `path` as pcap (NULL to stop); for live and
 * offline sources alike. */
gboolean ms_source_set_dump (MsSource *src, const char *path, GError **error);
void ms_source_close (MsSource *src);

/* A short name such as "Ethernet" for a link type, or NULL if unsupported. */
const char *ms_link_name (int linktype);

G_END_DECLS
