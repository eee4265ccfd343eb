#!/bin/sh
# Records a large, realistic IMAP + POP3 capture for bench/decode.sh.
#
# usage: bench/make-capture.sh [OUTPUT.pcap] [MEGABYTES]
#   OUTPUT defaults to /var/tmp/mailscope-bench.pcap, MEGABYTES (mail content the
#   clients fetch) to 90, which gives a capture of about 100 MiB and 100,000 frames.
#
# Runs as root. Inside a private network namespace it starts Dovecot
# (tests/peers/dovecot.sh) over a copy of samples/maildir, records the loopback
# with tcpdump (segmentation offloads off and MTU 1500, so every frame is
# Ethernet-sized), and runs bench/bench-client.py, which alternates many IMAP and
# POP3 sessions. The namespace is removed afterwards.
set -eu

src_root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-/var/tmp/mailscope-bench.pcap}
megabytes=${2:-90}
ns=msbench
user=student
password=classroom

if [ "$(id -u)" -ne 0 ]; then
  echo "make-capture: needs root (network namespace, tcpdump, Dovecot)" >&2
  exit 1
fi
case "$out" in
  "$src_root"/*) echo "make-capture: write the capture outside the source tree" >&2; exit 1 ;;
esac

work=$(mktemp -d /var/tmp/mailscope-bench.XXXXXX)
chmod 755 "$work"
tcpdump_pid=""

cleanup () {
  if [ -n "$tcpdump_pid" ]; then
    kill "$tcpdump_pid" 2>/dev/null || true
  fi
  "$src_root/tests/peers/dovecot.sh" stop "$work/dovecot" 2>/dev/null || true
  sleep 0.5
  ip netns delete "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# --- the namespace: its own loopback, no offloads, so no 64 KiB super-frames
ip netns delete "$ns" 2>/dev/null || true
ip netns add "$ns"
ip -n "$ns" link set lo up mtu 1500
ip netns exec "$ns" ethtool -K lo tso off gso off gro off 2>/dev/null \
  || echo "make-capture: ethtool could not change every offload on lo" >&2

# --- Dovecot over a fresh copy of the sample mailbox (tests/peers/dovecot.sh), standard ports
ip netns exec "$ns" "$src_root/tests/peers/dovecot.sh" start "$work/dovecot" \
  --imap 143 --pop3 110 --imaps 993 --pop3s 995

# --- record while the clients run
rm -f "$out"
ip netns exec "$ns" tcpdump -i lo -s 0 -B 16384 -Z root -w "$out" \
  'tcp port 143 or tcp port 110' 2>"$work/tcpdump.log" &
tcpdump_pid=$!
sleep 1

ip netns exec "$ns" python3 "$src_root/bench/bench-client.py" \
  127.0.0.1 143 110 "$user" "$password" "$megabytes"

sleep 1
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
tcpdump_pid=""
cat "$work/tcpdump.log" >&2
if ! grep -q '^0 packets dropped by kernel' "$work/tcpdump.log"; then
  echo "make-capture: tcpdump dropped packets; the capture is incomplete" >&2
  exit 1
fi

size=$(stat -c %s "$out")
echo "make-capture: wrote $out ($((size / 1024 / 1024)) MiB)"
