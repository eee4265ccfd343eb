#!/bin/sh
# Regenerates data/*.expected from tshark, the reference decoder the capture
# tests compare against: one line per frame with
# number, IP source, IP destination, source port, destination port and the
# transport payload length (empty fields where tshark decodes no such layer).
set -e
cd "$(dirname "$0")/data"
for f in dns_tcp.pcap dns-badcookie.pcap dns-corrupt-additionals.pcap \
         ipv6-fragmented-dns.pcap linux-cooked-http.pcap linux-cooked2-http.pcap; do
  tshark -r "$f" -T fields -E separator=/t \
    -e frame.number -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst \
    -e tcp.srcport -e udp.srcport -e tcp.dstport -e udp.dstport \
    -e tcp.len -e udp.length 2>/dev/null |
  awk -F'\t' 'BEGIN { OFS = "\t" }
    { pl = $10 != "" ? $10 : ($11 != "" ? $11 - 8 : "");
      print $1, $2 $3, $4 $5, $6 $7, $8 $9, pl }' > "${f%.pcap}.expected"
done
