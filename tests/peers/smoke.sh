#!/bin/bash
# Checks the recording tool chain: dns.sh, dovecot.sh and the sample clients in samples/clients.
#
# Starts the private dnsmasq and Dovecot on free ports, plays every scripted session that samples/record.sh
# records, and checks what the server delivered against the sample Maildir.
# Exits 77 (skipped) unless run as root with dovecot and dnsmasq installed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=${MS_SOURCE_ROOT:-$(cd "$HERE/../.." && pwd)}
CLIENTS=$ROOT/samples/clients
# Five ports that are free right now (TCP and UDP, IPv4), so that the test can
# run beside other instances of itself and beside other tests.
read -r DNS_PORT IMAP POP3 IMAPS POP3S < <(python3 - <<'EOF'
import socket
held, ports = [], []
while len(ports) < 5:
    t = socket.socket()
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        t.close()
        continue
    held += [t, u]
    ports.append(port)
print(*ports)
EOF
)

[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
command -v dovecot >/dev/null || { echo "skip: dovecot is not installed"; exit 77; }
command -v dnsmasq >/dev/null || [ -x /usr/sbin/dnsmasq ] || { echo "skip: dnsmasq is not installed"; exit 77; }

WORK=$(mktemp -d)
chmod 755 "$WORK"
cleanup () {
  "$HERE/dovecot.sh" stop "$WORK/dv" || true
  "$HERE/dns.sh" stop "$WORK/dns" || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"$HERE/dns.sh" start "$WORK/dns" --port "$DNS_PORT"
listen=127.0.0.1 ipv6=
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
  listen='127.0.0.1, ::1' ipv6=yes
fi
dovecot_fresh () {
  "$HERE/dovecot.sh" start "$WORK/dv" --imap "$IMAP" --pop3 "$POP3" --imaps "$IMAPS" \
    --pop3s "$POP3S" --listen "$listen"
}
dovecot_fresh
echo "ok - dnsmasq on 127.0.0.1:$DNS_PORT, Dovecot on $IMAP/$POP3/$IMAPS/$POP3S ($listen)"

common=(--dns-port "$DNS_PORT")
python3 "$CLIENTS/imap-session.py" idle-partial "${common[@]}" --port "$IMAP" \
  --on-idle "python3 $CLIENTS/deliver.py $WORK/dv/mail/student"
echo "ok - IMAP session with partial fetches and IDLE (EXISTS pushed after delivery)"
python3 "$CLIENTS/imap-session.py" starttls "${common[@]}" --port "$IMAP" \
  --cafile "$WORK/dv/cert.pem" --keylog "$WORK/imap.keys"
grep -q '^CLIENT_TRAFFIC_SECRET_0 ' "$WORK/imap.keys"
echo "ok - IMAP STARTTLS with a verified certificate and a key log"
if [ -n "$ipv6" ]; then
  python3 "$CLIENTS/imap-session.py" basic "${common[@]}" --port "$IMAP" --qtype AAAA
  echo "ok - IMAP over IPv6"
else
  echo "ok - IMAP over IPv6 # SKIP no ::1 here"
fi
python3 "$CLIENTS/pop3-session.py" retr "${common[@]}" --port "$POP3"
echo "ok - POP3 RETR of every message"
python3 "$CLIENTS/pop3-session.py" stls "${common[@]}" --port "$POP3" --cafile "$WORK/dv/cert.pem"
echo "ok - POP3 STLS"

# A fresh mailbox again: the IDLE session above delivered one more message.
dovecot_fresh

# What POP3 and IMAP deliver must be the sample files, byte for byte (after
# CRLF and dot-stuffing are undone), and UIDs must follow file-name order.
python3 - "$CLIENTS" "$ROOT/samples/maildir/student" "$DNS_PORT" "$IMAP" "$POP3" "$IMAPS" <<'EOF'
import glob, os, re, ssl, sys
sys.path.insert(0, sys.argv[1])
import mslab
maildir, dns_port, imap_port, pop3_port, imaps_port = sys.argv[2], *map(int, sys.argv[3:])
files = sorted(glob.glob(os.path.join(maildir, "new", "[!.]*")) +
               glob.glob(os.path.join(maildir, "cur", "[!.]*")), key=os.path.basename)
expected = [open(f, "rb").read() for f in files]
addr = mslab.resolve("pop.mailscope.test", "A", "127.0.0.1", dns_port, 0x3001)
assert addr == "127.0.0.1", addr
srv = mslab.resolve("_imap._tcp.mailscope.test", "SRV", "127.0.0.1", dns_port, 0x3002)
assert srv == ("imap.mailscope.test", 143), srv
print("ok - DNS: A and SRV (RFC 6186) records of the lab")
p = mslab.LabPOP3("pop.mailscope.test", addr, pop3_port)
p.user("student"); p.pass_("classroom")
assert p.stat()[0] == len(expected), p.stat()
for n, want in enumerate(expected, 1):
    got = b"\n".join(p.retr(n)[1]) + b"\n"
    assert got == want, "POP3 message %d differs from %s" % (n, files[n - 1])
p.quit()
print("ok - POP3 delivers the %d sample messages unchanged" % len(expected))
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
import imaplib
m = imaplib.IMAP4_SSL("127.0.0.1", imaps_port, ssl_context=ctx)
m.login("student", "classroom")
m.select("INBOX", readonly=True)
for uid, want in enumerate(expected, 1):
    typ, data = m.uid("FETCH", str(uid), "(BODY.PEEK[])")
    got = data[0][1].replace(b"\r\n", b"\n")
    assert got == want, "IMAP UID %d differs from %s" % (uid, files[uid - 1])
typ, data = m.uid("FETCH", "5", "(BODY.PEEK[2]<0.4096>)")
assert len(data[0][1]) == 4096 and data[0][1].startswith(b"JVBERi0"), data[0][1][:20]
m.logout()
print("ok - IMAPS: UIDs 1-%d are the sample files in name order; partial fetch gives 4096 bytes"
      % len(expected))
EOF
