#!/bin/sh
# Re-records tests/interop/data/literals.pcap: IMAP/POP3 lines that tshark misreads.
#
#   tests/interop/record.sh        (as root)
#
# Starts Dovecot (tests/peers/dovecot.sh) inside a private network namespace on
# the standard ports, records its loopback with tcpdump while
# tests/interop/literal-client.py runs (literals, APPEND, IDLE/DONE, SASL lines),
# then removes the namespace. After re-recording, check the frame numbers of
# EXPECTED_DIFFERENCES in tshark-interop.py against `tshark -r` by hand.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src_root=$(cd "$here/../.." && pwd)
out=$here/data/literals.pcap
ns=msinterop

[ "$(id -u)" -eq 0 ] || { echo "record.sh: run as root" >&2; exit 1; }

work=$(mktemp -d)
chmod 755 "$work"
tcpdump_pid=""

cleanup () {
  if [ -n "$tcpdump_pid" ]; then
    kill -INT "$tcpdump_pid" 2>/dev/null || true
  fi
  "$src_root/tests/peers/dovecot.sh" stop "$work/dovecot" 2>/dev/null || true
  ip netns delete "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

ip netns delete "$ns" 2>/dev/null || true
ip netns add "$ns"
ip -n "$ns" link set lo up

ip netns exec "$ns" "$src_root/tests/peers/dovecot.sh" start "$work/dovecot" \
  --imap 143 --pop3 110 --imaps 993 --pop3s 995

mkdir -p "$here/data"
ip netns exec "$ns" tcpdump -i lo -s 0 -U -n -Z root -w "$work/literals.pcap" \
  'tcp port 143 or tcp port 110' 2>"$work/tcpdump.log" &
tcpdump_pid=$!
sleep 1

ip netns exec "$ns" python3 "$here/literal-client.py" 127.0.0.1 143 110 student classroom

sleep 0.5
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
tcpdump_pid=""
mv "$work/literals.pcap" "$out"
echo "record.sh: wrote $out"
