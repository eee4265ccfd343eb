#!/bin/bash
# Runs a private DNS server (dnsmasq, RFC 1035) on loopback that answers only the lab names.
#
#   dns.sh start DIR [--port N] [--listen ADDR]
#   dns.sh stop DIR
#
# imap.mailscope.test and pop.mailscope.test (RFC 2606 reserved .test names)
# answer 127.0.0.1 (A) and ::1 (AAAA); _imap._tcp.mailscope.test and
# _pop3._tcp.mailscope.test answer SRV records (RFC 6186) that name them with
# ports 143 and 110. Nothing is forwarded upstream, /etc/hosts and
# /etc/resolv.conf are not read. It listens only on ADDR (default 127.0.0.1), port N (default 10053), so it
# never becomes the machine's resolver. Pid file and log are under DIR.
set -euo pipefail

usage () {
  sed -n '3,5p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 64
}

cmd_start () {
  local dir=$1; shift
  local port=10053 listen=127.0.0.1
  while [ $# -gt 0 ]; do
    case $1 in
      --port) port=$2; shift 2 ;;
      --listen) listen=$2; shift 2 ;;
      *) usage ;;
    esac
  done
  local dnsmasq
  dnsmasq=$(command -v dnsmasq || true)
  [ -n "$dnsmasq" ] || [ ! -x /usr/sbin/dnsmasq ] || dnsmasq=/usr/sbin/dnsmasq
  [ -n "$dnsmasq" ] || { echo "dns.sh: dnsmasq is not installed (apt-get install dnsmasq-base)" >&2; exit 77; }
  if [ -f "$dir/dnsmasq.pid" ]; then cmd_stop "$dir"; fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local name
  local -a answers=()
  for name in imap.mailscope.test pop.mailscope.test; do
    answers+=("--address=/$name/127.0.0.1" "--address=/$name/::1")
  done
  # RFC 6186 service records: where a mail client finds IMAP and POP3 for the domain.
  answers+=("--srv-host=_imap._tcp.mailscope.test,imap.mailscope.test,143,0,1"
            "--srv-host=_pop3._tcp.mailscope.test,pop.mailscope.test,110,10,1")
  "$dnsmasq" --conf-file=/dev/null --no-resolv --no-hosts --no-poll \
    --bind-interfaces --listen-address="$listen" \
    --port="$port" --user=root --group=root \
    --pid-file="$dir/dnsmasq.pid" \
    --log-facility="$dir/dnsmasq.log" --log-queries \
    --local-ttl=300 \
    "${answers[@]}"
  # Wait until an A query for the lab name is answered.
  python3 - "$listen" "$port" <<'EOF' || { echo "dns.sh: no answer on $listen:$port" >&2; cmd_stop "$dir"; exit 1; }
import socket, struct, sys, time
addr, port = sys.argv[1], int(sys.argv[2])
q = struct.pack("!6H", 0x4d53, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p for p in b"imap.mailscope.test".split(b".")) + b"\0"
q += struct.pack("!HH", 1, 1)
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
for _ in range(50):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(0.2)
    try:
        s.sendto(q, (addr, port))
        if s.recv(512)[:2] == q[:2]:
            sys.exit(0)
    except OSError:
        time.sleep(0.1)
    finally:
        s.close()
sys.exit(1)
EOF
}

cmd_stop () {
  local dir=$1 pid
  [ -f "$dir/dnsmasq.pid" ] || return 0
  pid=$(cat "$dir/dnsmasq.pid")
  if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
  rm -f "$dir/dnsmasq.pid"
}

[ $# -ge 2 ] || usage
case $1 in
  start) shift; cmd_start "$@" ;;
  stop) cmd_stop "$2" ;;
  *) usage ;;
esac
