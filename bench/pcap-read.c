/* pcap-read.c - the floor for decode speed: read every frame of a capture with libpcap.
 *
 * bench/decode.sh compares mailscope-cli's time against this bare loop. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>

/* Reads FILE with pcap_next_ex and prints how many frames and bytes it holds. */
int
main (int argc, char **argv)
{
  char errbuf[PCAP_ERRBUF_SIZE];
  struct pcap_pkthdr *header;
  const unsigned char *data;
  unsigned long long frames = 0;
  unsigned long long bytes = 0;
  unsigned int checksum = 0;
  pcap_t *pcap;
  int rc;

  if (argc != 2)
    {
      fprintf (stderr, "usage: %s FILE.pcap\n", argv[0]);
      return 2;
    }

  pcap = pcap_open_offline (argv[1], errbuf);
  if (pcap == NULL)
    {
      fprintf (stderr, "%s: %s\n", argv[1], errbuf);
      return 1;
    }

  while ((rc = pcap_next_ex (pcap, &header, &data)) == 1)
    {
      frames++;
      bytes += header->caplen;
      /* Touch the first and last captured byte so the read cannot be skipped. */
      if (header->caplen > 0)
        checksum += data[0] + data[header->caplen - 1];
    }

  if (rc == PCAP_ERROR)
    {
      fprintf (stderr, "%s: %s\n", argv[1], pcap_geterr (pcap));
      pcap_close (pcap);
      return 1;
    }

  printf ("%llu frames, %llu bytes (checksum %u)\n", frames, bytes, checksum);
  pcap_close (pcap);
  return 0;
}
