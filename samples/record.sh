#!/bin/bash
# Re-records every sample capture in samples/ from real sessions on loopback.
#
#   sudo samples/record.sh [NAME...]
#
# With no NAME every capture is recorded; otherwise only the named ones
# (e.g. "imap-idle-partial pop3-retr"). Needs root (tcpdump, ports below 1024),
# dovecot-imapd, dovecot-pop3d, dnsmasq-base, tcpdump, curl, python3, isync
# (mbsync), fetchmail and, for imap-dumpcap.pcapng, dumpcap (package tshark).
# imap-truncated.pcap is cut from imap-idle-partial.pcap rather than recorded.
# KEEP_WORK=1 keeps the work folder (Dovecot and dnsmasq logs) after a failure.
#
# For each capture a private Dovecot (tests/peers/dovecot.sh) is started on a
# fresh copy of samples/maildir/student, so every session sees the same
# mailbox with the same UIDs; a private dnsmasq (tests/peers/dns.sh) answers
# imap.mailscope.test / pop.mailscope.test on 127.0.0.1:53. tcpdump writes the
# whole packets (-s 0) of the lab ports only. What still differs between two
# recordings: timestamps, TCP ports and sequence numbers, TLS keys and random
# values, Dovecot's session ids. Versions of the tools are written to
# samples/recorded-with.txt.
set -euo pipefail

SAMPLES=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SAMPLES/.." && pwd)
PEERS=$ROOT/tests/peers
CLIENTS=$SAMPLES/clients
ALL="imap-idle-partial imap-truncated pop3-retr imap-starttls pop3-stls imap-ipv6
imap-cooked imap-cooked-sll1 imap-midstream imap-curl pop3-curl imap-port10143 imap-dumpcap
imap-mbsync pop3-fetchmail imap-srv"
SETTLE=1     # seconds to let the last FIN/ACK reach tcpdump before stopping it

[ "$(id -u)" = 0 ] || { echo "record.sh: run as root" >&2; exit 1; }
for tool in tcpdump dovecot dnsmasq curl python3 mbsync fetchmail dumpcap; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] \
    || { echo "record.sh: $tool is missing" >&2; exit 1; }
done

WORK=$(mktemp -d)
chmod 755 "$WORK"   # Dovecot's unprivileged processes must reach the mailbox inside
DV=$WORK/dovecot
TCPDUMP_PID=
DROPPED=0

cleanup () {
  if [ -n "$TCPDUMP_PID" ]; then kill -INT "$TCPDUMP_PID" 2>/dev/null || true; fi
  "$PEERS/dovecot.sh" stop "$DV" || true
  "$PEERS/dns.sh" stop "$WORK/dns" || true
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

# dovecot_fresh [ARGS]: restarts the lab Dovecot on a fresh mailbox, standard ports by default.
dovecot_fresh () {
  "$PEERS/dovecot.sh" stop "$DV"
  "$PEERS/dovecot.sh" start "$DV" --imap 143 --pop3 110 --imaps 993 --pop3s 995 "$@"
}

# capture_start FILE IFACE FILTER [TCPDUMP-OPTIONS]: starts tcpdump, returns once it listens.
capture_start () {
  local file=$1 iface=$2 filter=$3; shift 3
  rm -f "$WORK/tcpdump.err"
  tcpdump -i "$iface" -s 0 -U --immediate-mode -n -Z root "$@" -w "$WORK/$file" "$filter" 2>"$WORK/tcpdump.err" &
  TCPDUMP_PID=$!
  for _ in $(seq 100); do
    grep -q 'listening on' "$WORK/tcpdump.err" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "record.sh: tcpdump did not start" >&2
  cat "$WORK/tcpdump.err" >&2
  exit 1
}

# capture_stop FILE: stops tcpdump and moves FILE into samples/.
capture_stop () {
  sleep "$SETTLE"
  kill -INT "$TCPDUMP_PID"
  wait "$TCPDUMP_PID" || true
  TCPDUMP_PID=
  mv "$WORK/$1" "$SAMPLES/$1"
  chmod 644 "$SAMPLES/$1"
  printf '%-28s %s\n' "$1" "$(grep -h 'packets' "$WORK/tcpdump.err" | tr '\n' ' ')"
  local dropped
  dropped=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$WORK/tcpdump.err")
  if [ "${dropped:-0}" != 0 ]; then
    DROPPED=1
  fi
}

imap () { python3 "$CLIENTS/imap-session.py" "$@"; }
pop3 () { python3 "$CLIENTS/pop3-session.py" "$@"; }

rec_imap_idle_partial () {
  dovecot_fresh
  capture_start imap-idle-partial.pcap lo 'port 53 or port 143'
  imap idle-partial --on-idle "python3 $CLIENTS/deliver.py $DV/mail/student"
  capture_stop imap-idle-partial.pcap
}

# imap-truncated.pcap: imap-idle-partial.pcap cut in the middle of the packet
# that carries the "* N EXISTS" pushed during IDLE, as if the disk had filled up during the capture.
rec_imap_truncated () {
  [ -f "$SAMPLES/imap-idle-partial.pcap" ] || rec_imap_idle_partial
  python3 - "$SAMPLES/imap-idle-partial.pcap" "$SAMPLES/imap-truncated.pcap" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
pos = 24                                   # classic pcap file header
idling = False
while pos + 16 <= len(data):
    incl = struct.unpack("<I", data[pos + 8:pos + 12])[0]
    frame = data[pos + 16:pos + 16 + incl]
    idling = idling or frame.endswith(b"+ idling\r\n")
    if idling and b" EXISTS\r\n" in frame:
        open(sys.argv[2], "wb").write(data[:pos + 16 + incl // 2])
        sys.exit(0)
    pos += 16 + incl
sys.exit("no EXISTS packet found")
EOF
  chmod 644 "$SAMPLES/imap-truncated.pcap"
  printf '%-28s %s\n' imap-truncated.pcap "cut from imap-idle-partial.pcap"
}

rec_pop3_retr () {
  dovecot_fresh
  capture_start pop3-retr.pcap lo 'port 53 or port 110'
  pop3 retr
  capture_stop pop3-retr.pcap
}

rec_imap_starttls () {
  dovecot_fresh
  capture_start imap-starttls.pcap lo 'port 53 or port 143'
  imap starttls --cafile "$DV/cert.pem" --keylog "$WORK/imap-starttls.keys"
  capture_stop imap-starttls.pcap
  mv "$WORK/imap-starttls.keys" "$SAMPLES/imap-starttls.keys"
}

rec_pop3_stls () {
  dovecot_fresh
  capture_start pop3-stls.pcap lo 'port 53 or port 110'
  pop3 stls --cafile "$DV/cert.pem" --keylog "$WORK/pop3-stls.keys"
  capture_stop pop3-stls.pcap
  mv "$WORK/pop3-stls.keys" "$SAMPLES/pop3-stls.keys"
}

rec_imap_ipv6 () {
  dovecot_fresh --listen '127.0.0.1, ::1'
  capture_start imap-ipv6.pcap lo 'port 53 or port 143'
  imap basic --qtype AAAA
  capture_stop imap-ipv6.pcap
}

rec_imap_cooked () {
  dovecot_fresh
  # tcpdump's default for "any" is Linux cooked v2 (LINKTYPE_LINUX_SLL2).
  capture_start imap-cooked.pcap any 'port 53 or port 143' -y LINUX_SLL2
  imap basic
  capture_stop imap-cooked.pcap
}

rec_imap_cooked_sll1 () {
  dovecot_fresh
  capture_start imap-cooked-sll1.pcap any 'port 53 or port 143' -y LINUX_SLL
  imap basic
  capture_stop imap-cooked-sll1.pcap
}

rec_imap_midstream () {
  dovecot_fresh
  # The client logs in and selects INBOX before tcpdump starts.
  imap midstream --pause-file "$WORK/pause" &
  local client=$!
  for _ in $(seq 200); do
    [ -e "$WORK/pause.ready" ] && break
    sleep 0.05
  done
  capture_start imap-midstream.pcap lo 'port 143'
  touch "$WORK/pause.go"
  wait "$client"
  capture_stop imap-midstream.pcap
}

rec_imap_curl () {
  dovecot_fresh
  capture_start imap-curl.pcap lo 'port 143'
  curl -sS --resolve imap.mailscope.test:143:127.0.0.1 -u student:classroom \
    'imap://imap.mailscope.test:143/INBOX;UID=1' -o "$WORK/imap-curl.eml"
  capture_stop imap-curl.pcap
}

rec_pop3_curl () {
  dovecot_fresh
  capture_start pop3-curl.pcap lo 'port 110'
  curl -sS --resolve pop.mailscope.test:110:127.0.0.1 -u student:classroom \
    'pop3://pop.mailscope.test:110/1' -o "$WORK/pop3-curl.eml"
  capture_stop pop3-curl.pcap
}

rec_imap_port10143 () {
  "$PEERS/dovecot.sh" stop "$DV"
  "$PEERS/dovecot.sh" start "$DV" --imap 10143 --pop3 10110 --imaps 10993 --pop3s 10995
  capture_start imap-port10143.pcap lo 'port 53 or port 10143'
  imap basic --port 10143
  capture_stop imap-port10143.pcap
}

rec_imap_mbsync () {
  command -v mbsync >/dev/null || { echo "record.sh: mbsync is missing (isync)" >&2; exit 1; }
  dovecot_fresh
  rm -rf "$WORK/mbsync"
  mkdir -p "$WORK/mbsync/near"
  cat > "$WORK/mbsync/mbsyncrc" <<EOF
IMAPAccount lab
Host 127.0.0.1
Port 143
User student
Pass classroom
SSLType None
AuthMechs LOGIN

IMAPStore lab-remote
Account lab

MaildirStore lab-local
Path $WORK/mbsync/near/
Inbox $WORK/mbsync/near/INBOX
SubFolders Verbatim

Channel lab
Far :lab-remote:
Near :lab-local:
Patterns *
Create Near
SyncState *
EOF
  capture_start imap-mbsync.pcap lo 'port 143'
  mbsync -q -c "$WORK/mbsync/mbsyncrc" -a 2>/dev/null
  capture_stop imap-mbsync.pcap
}

rec_pop3_fetchmail () {
  command -v fetchmail >/dev/null || { echo "record.sh: fetchmail is missing" >&2; exit 1; }
  dovecot_fresh
  rm -rf "$WORK/fetchmail"
  mkdir -p "$WORK/fetchmail"
  cat > "$WORK/fetchmail/fetchmailrc" <<EOF
set no bouncemail
poll 127.0.0.1 protocol POP3 port 110 timeout 30:
  user "student" password "classroom" is "root" here
  keep fetchall sslproto "" no sslcertck
  mda "/bin/sh -c 'cat >> $WORK/fetchmail/fetched'"
EOF
  chmod 600 "$WORK/fetchmail/fetchmailrc"
  capture_start pop3-fetchmail.pcap lo 'port 110'
  FETCHMAILHOME=$WORK/fetchmail fetchmail -s -f "$WORK/fetchmail/fetchmailrc" --nodetach \
    --pidfile "$WORK/fetchmail/pid" 2>/dev/null
  capture_stop pop3-fetchmail.pcap
}

rec_imap_srv () {
  dovecot_fresh
  capture_start imap-srv.pcap lo 'port 53 or port 143'
  imap basic --srv mailscope.test
  capture_stop imap-srv.pcap
}

# imap-dumpcap.pcapng: dumpcap (Wireshark's capture engine) writes pcapng.
rec_imap_dumpcap () {
  command -v dumpcap >/dev/null || { echo "record.sh: dumpcap is missing (tshark)" >&2; exit 1; }
  dovecot_fresh
  rm -f "$WORK/dumpcap.err"
  dumpcap -i lo -s 0 -f 'port 53 or port 143' -w "$WORK/imap-dumpcap.pcapng" 2>"$WORK/dumpcap.err" &
  TCPDUMP_PID=$!
  for _ in $(seq 100); do
    grep -q '^Capturing on' "$WORK/dumpcap.err" 2>/dev/null && break
    sleep 0.05
  done
  imap basic
  sleep "$SETTLE"
  kill -INT "$TCPDUMP_PID"
  wait "$TCPDUMP_PID" || true
  TCPDUMP_PID=
  mv "$WORK/imap-dumpcap.pcapng" "$SAMPLES/imap-dumpcap.pcapng"
  chmod 644 "$SAMPLES/imap-dumpcap.pcapng"
  printf '%-28s %s\n' imap-dumpcap.pcapng "$(grep -h 'Packets' "$WORK/dumpcap.err" | tr '\n' ' ')"
}

"$PEERS/dns.sh" start "$WORK/dns" --port 53 --listen 127.0.0.1

names=${*:-$ALL}
for name in $names; do
  fn=rec_${name//-/_}
  declare -F "$fn" >/dev/null || { echo "record.sh: unknown capture $name" >&2; exit 64; }
  # A busy machine can make the kernel drop packets: record again (3 tries).
  for attempt in 1 2 3; do
    DROPPED=0
    "$fn"
    [ "$DROPPED" = 0 ] && break
    echo "record.sh: the kernel dropped packets, recording $name again" >&2
    [ "$attempt" = 3 ] && { echo "record.sh: giving up on $name" >&2; exit 1; }
  done
done

{
  echo "Recorded by samples/record.sh on $(date -u +%Y-%m-%d) with:"
  echo "  $(dovecot --version | sed 's/^/Dovecot /')"
  echo "  $(dnsmasq --version | head -1 | cut -d' ' -f1-3)"
  echo "  $(tcpdump --version 2>&1 | head -1), $(tcpdump --version 2>&1 | sed -n 2p)"
  echo "  Python $(python3 -c 'import platform, ssl; print(platform.python_version() + ", " + ssl.OPENSSL_VERSION)')"
  echo "  $(curl --version | head -1 | cut -d' ' -f1-2)"
  echo "  mbsync $(mbsync --version 2>&1 | awk '{print $2}')"
  echo "  $(fetchmail --version 2>/dev/null | sed -n 's/^This is fetchmail release \([^+]*\).*/fetchmail \1/p')"
} > "$SAMPLES/recorded-with.txt"
