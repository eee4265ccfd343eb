#!/usr/bin/env python3
"""mailscope-cli serve against real clients: curl, Python's poplib and ssl,
fetchmail, hand-built DNS queries over UDP and TCP, and kill -9 in the middle
of a POP3 UPDATE. Each group starts its own server on free ports with a
temporary --maildir and prints TAP.

Usage: serve_interop.py MAILSCOPE_CLI GROUP
"""

import hashlib
import os
import poplib
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time

CLI = None
SOURCE_ROOT = os.environ.get("MS_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLES = os.path.join(SOURCE_ROOT, "samples", "maildir", "student")
STARTUP_TIMEOUT = 20
# When kill -9 hits after QUIT: before, during and after the UPDATE state.
KILL_DELAYS = (0, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 1.0)

_count = 0
_failed = 0


def ok(cond, name):
    global _count, _failed
    _count += 1
    if cond:
        print(f"ok {_count} - {name}")
    else:
        _failed += 1
        print(f"not ok {_count} - {name}")
    sys.stdout.flush()
    return cond


def diag(msg):
    for line in str(msg).splitlines():
        print(f"# {line}")


class Server:
    """A running `mailscope-cli serve`; its log is collected on a thread."""

    def __init__(self, *extra, services=("pop3", "pop3s", "dns")):
        self.tmp = tempfile.mkdtemp(prefix="ms-serve-")
        self.data = os.path.join(self.tmp, "data")
        self.keylog = os.path.join(self.tmp, "keys.log")
        args = [CLI, "serve", "--maildir", self.data, "--keylog", self.keylog]
        for svc in services:
            args += [f"--{svc}", "127.0.0.1:0"]
        args += list(extra)
        env = dict(os.environ, LC_ALL="C.UTF-8", LANGUAGE="en")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     env=env, text=True, errors="replace")
        self.ports = {}
        self.lines = []
        self.lock = threading.Lock()
        deadline = time.time() + STARTUP_TIMEOUT
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("server exited early: " + "".join(self.lines))
            self.lines.append(line)
            m = re.match(r"^(POP3S?|IMAPS?|DNS)\s+127\.0\.0\.1:(\d+)", line)
            if m:
                self.ports[m.group(1)] = int(m.group(2))
            if line.startswith("Ready."):
                break
            if time.time() > deadline:
                raise RuntimeError("server did not start")
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.lines.append(line)

    def log(self):
        time.sleep(0.2)
        with self.lock:
            return "".join(self.lines)

    def maildir(self, user="student"):
        return os.path.join(self.data, user)

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.reader.join(timeout=5)
        return rc

    def cleanup(self):
        self.stop(signal.SIGKILL)
        shutil.rmtree(self.tmp, ignore_errors=True)


def inbox_messages(maildir):
    """{file name: bytes} of INBOX's cur/ and new/."""
    out = {}
    for sub in ("cur", "new"):
        d = os.path.join(maildir, sub)
        for name in sorted(os.listdir(d)):
            if name.startswith("."):
                continue
            with open(os.path.join(d, name), "rb") as f:
                out[name] = f.read()
    return out


def ordered_messages(maildir):
    """The INBOX messages in POP3 order (by UID, from the file names)."""
    msgs = inbox_messages(maildir)

    def uid(name):
        m = re.search(r",U=(\d+)", name)
        return int(m.group(1)) if m else 1 << 40

    return [msgs[n] for n in sorted(msgs, key=lambda n: (uid(n), n))]


def crlf(data):
    return re.sub(rb"(?<!\r)\n", b"\r\n", data)


def insecure_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


# --------------------------------------------------------------------- curl

def group_curl():
    if not shutil.which("curl"):
        print("1..0 # SKIP curl not installed")
        return
    srv = Server()
    try:
        url = f"pop3://127.0.0.1:{srv.ports['POP3']}"
        r = subprocess.run(["curl", "-sS", "-u", "student:classroom", url + "/"],
                           capture_output=True, timeout=30)
        listing = r.stdout.decode().split("\r\n")
        ok(r.returncode == 0 and listing[0].startswith("1 "), "curl lists the maildrop")
        msgs = ordered_messages(srv.maildir())
        ok(len([l for l in listing if l]) == len(msgs), "curl sees every message")
        for i, want in enumerate(msgs, 1):
            r = subprocess.run(["curl", "-sS", "-u", "student:classroom", f"{url}/{i}"],
                               capture_output=True, timeout=30)
            ok(r.returncode == 0 and r.stdout == crlf(want), f"curl RETR {i} byte for byte")
        r = subprocess.run(["curl", "-sS", "--ssl-reqd", "-k", "-u", "student:classroom",
                            url + "/1"], capture_output=True, timeout=30)
        ok(r.returncode == 0 and r.stdout == crlf(msgs[0]), "curl with STLS (--ssl-reqd)")
        r = subprocess.run(["curl", "-sS", "-k", "-u", "student:classroom",
                            f"pop3s://127.0.0.1:{srv.ports['POP3S']}/2"],
                           capture_output=True, timeout=30)
        ok(r.returncode == 0 and r.stdout == crlf(msgs[1]), "curl over pop3s")
        r = subprocess.run(["curl", "-sS", "-u", "student:nope", url + "/"],
                           capture_output=True, timeout=30)
        ok(r.returncode != 0, "curl with a wrong password fails")
        log = srv.log()
        ok("C: STLS" in log and "S: +OK begin TLS negotiation" in log, "the log shows STLS")
        ok("classroom" not in log, "no password in the log")
    finally:
        srv.cleanup()

    srv = Server("--require-tls")
    try:
        url = f"pop3://127.0.0.1:{srv.ports['POP3']}"
        r = subprocess.run(["curl", "-sS", "-u", "student:classroom", "--ssl", "-k", url + "/1"],
                           capture_output=True, timeout=30)
        ok(r.returncode == 0 and r.stdout == crlf(ordered_messages(srv.maildir())[0]),
           "--require-tls: curl logs in after STLS")
        # Forcing a password out in clear (no TLS at all) is refused.
        with socket.create_connection(("127.0.0.1", srv.ports["POP3"]), timeout=10) as s:
            f = s.makefile("rb")
            f.readline()
            s.sendall(b"USER student\r\n")
            line = f.readline()
            ok(line.startswith(b"-ERR [AUTH] this server requires TLS"),
               f"--require-tls: USER in clear refused: {line!r}")
    finally:
        srv.cleanup()
    print(f"1..{_count}")


# ------------------------------------------------------------------- poplib

def group_poplib():
    srv = Server()
    try:
        port = srv.ports["POP3"]
        msgs = ordered_messages(srv.maildir())
        p = poplib.POP3("127.0.0.1", port, timeout=10)
        ok(p.getwelcome().startswith(b"+OK Mailscope POP3 lab ready <"), "greeting with a stamp")
        caps = p.capa()
        ok({"TOP", "UIDL", "USER", "STLS", "SASL", "RESP-CODES"} <= set(caps), f"CAPA {sorted(caps)}")
        ok(caps.get("SASL") == ["PLAIN"], "SASL PLAIN offered")
        p.user("student")
        p.pass_("classroom")
        count, size = p.stat()
        ok(count == len(msgs) and size == sum(len(crlf(m)) for m in msgs), "STAT")
        resp, lines, _ = p.list()
        ok([l.split()[1] for l in lines] == [str(len(crlf(m))).encode() for m in msgs], "LIST")
        resp, uidls, _ = p.uidl()
        ok(len(set(u.split()[1] for u in uidls)) == len(msgs), "UIDL gives distinct ids")
        for i, want in enumerate(msgs, 1):
            resp, lines, octets = p.retr(i)
            got = b"\r\n".join(lines) + b"\r\n"
            ok(got == crlf(want), f"RETR {i} (dot-stuffing undone by poplib)")
        resp, lines, _ = p.top(1, 0)
        head = crlf(msgs[0]).split(b"\r\n\r\n")[0]
        ok(b"\r\n".join(lines) == head + b"\r\n", "TOP 1 0")
        ok(p.noop().startswith(b"+OK"), "NOOP")
        p.dele(1)
        try:
            p.retr(1)
            ok(False, "RETR of a deleted message fails")
        except poplib.error_proto as e:
            ok(b"deleted" in e.args[0], "RETR of a deleted message fails")
        p.rset()
        ok(p.stat()[0] == len(msgs), "RSET keeps everything")
        try:
            p._shortcmd("BOGUS")
            ok(False, "unknown command")
        except poplib.error_proto as e:
            ok(e.args[0].startswith(b"-ERR"), "unknown command gets -ERR")
        ok(p.quit().startswith(b"+OK"), "QUIT")

        # STLS, then a login inside TLS.
        p = poplib.POP3("127.0.0.1", port, timeout=10)
        p.stls(context=insecure_context())
        ok("STLS" not in p.capa(), "no STLS offered inside TLS")
        p.user("student")
        p.pass_("classroom")
        resp, lines, _ = p.retr(1)
        ok(b"\r\n".join(lines) + b"\r\n" == crlf(msgs[0]), "RETR inside STLS")
        p.quit()

        # APOP
        p = poplib.POP3("127.0.0.1", port, timeout=10)
        ok(p.apop("student", "classroom").startswith(b"+OK"), "APOP")
        p.quit()
        p = poplib.POP3("127.0.0.1", port, timeout=10)
        try:
            p.apop("student", "wrong")
            ok(False, "APOP with a wrong secret")
        except poplib.error_proto as e:
            ok(e.args[0].startswith(b"-ERR [AUTH]"), "APOP with a wrong secret")
        p.quit()

        # pop3s: implicit TLS.
        p = poplib.POP3_SSL("127.0.0.1", srv.ports["POP3S"], timeout=10,
                            context=insecure_context())
        p.user("student")
        p.pass_("classroom")
        ok(p.stat()[0] == len(msgs), "POP3S login and STAT")
        p.quit()

        # The certificate is the generated lab certificate.
        pem = ssl.get_server_certificate(("127.0.0.1", srv.ports["POP3S"]))
        lab = open(os.path.join(srv.data, "tls", "lab-cert.pem")).read()
        ok(ssl.PEM_cert_to_DER_cert(pem) == ssl.PEM_cert_to_DER_cert(lab),
           "pop3s presents the generated lab certificate")
        ctx = ssl.create_default_context(cafile=os.path.join(srv.data, "tls", "lab-cert.pem"))
        with socket.create_connection(("127.0.0.1", srv.ports["POP3S"]), timeout=10) as s:
            with ctx.wrap_socket(s, server_hostname="pop.mailscope.test") as t:
                ok(t.recv(100).startswith(b"+OK"),
                   "the lab certificate verifies for pop.mailscope.test")

        # A second client while the maildrop is held: IN-USE.
        a = poplib.POP3("127.0.0.1", port, timeout=10)
        a.user("student")
        a.pass_("classroom")
        b = poplib.POP3("127.0.0.1", port, timeout=10)
        b.user("student")
        try:
            b.pass_("classroom")
            ok(False, "second session refused")
        except poplib.error_proto as e:
            ok(e.args[0].startswith(b"-ERR [IN-USE]"), "second session refused with [IN-USE]")
        a.quit()
        b.user("student")
        ok(b.pass_("classroom").startswith(b"+OK"), "the second session logs in after QUIT")
        b.quit()

        # A client that pipelines many big RETRs and reads slowly gets them
        # all (reading its commands waits while the answers pile up).
        big = crlf(msgs[4])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            f = s.makefile("rb")
            f.readline()
            s.sendall(b"USER student\r\nPASS classroom\r\n")
            f.readline()
            f.readline()
            rounds = 40   # about 11 MB of answers
            for _ in range(rounds):
                s.sendall(b"RETR 5\r\n")
            s.sendall(b"NOOP\r\nQUIT\r\n")
            time.sleep(1)
            good = 0
            for _ in range(rounds):
                head = f.readline()
                body = b""
                while True:
                    line = f.readline()
                    if line == b".\r\n" or not line:
                        break
                    body += line[1:] if line.startswith(b"..") else line
                good += head.startswith(b"+OK") and body == big
            ok(good == rounds, f"{rounds} pipelined RETRs of {len(big)} bytes, read slowly: {good} whole")
            ok(f.readline() == b"+OK\r\n", "... then the pipelined NOOP")
            ok(f.readline().startswith(b"+OK"), "... and QUIT")

        # A line over the limit: an error, then the server closes.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            f = s.makefile("rb")
            f.readline()
            s.sendall(b"A" * 10000 + b"\r\n")
            ok(f.readline() == b"-ERR line too long; closing\r\n", "a long line is refused")
            ok(f.readline() == b"", "... and the connection closed")

        log = srv.log()
        ok("C: PASS ****" in log and "classroom" not in log, "the log masks passwords")
        ok("S: -ERR [IN-USE]" in log, "the log shows the refusal")
    finally:
        srv.cleanup()
    print(f"1..{_count}")


# ---------------------------------------------------------------- fetchmail

def group_fetchmail():
    if not shutil.which("fetchmail"):
        print("1..0 # SKIP fetchmail not installed")
        return
    srv = Server()
    try:
        msgs = ordered_messages(srv.maildir())
        # fetchmail uses STLS whenever offered, unless sslproto is empty.
        for mode, extra in (("plain", "sslproto ''\n"), ("sslproto STLS", "sslproto tls1.2+\n"),
                            ("pop3s", "ssl\n")):
            out = os.path.join(srv.tmp, "fetched-" + mode.split()[0])
            os.mkdir(out)
            port = srv.ports["POP3S" if mode == "pop3s" else "POP3"]
            rc = os.path.join(srv.tmp, "fetchmailrc")
            with open(rc, "w") as f:
                f.write(f"set no bouncemail\n"
                        f"poll 127.0.0.1 protocol pop3 port {port} uidl no dns\n"
                        f"  user student password classroom is root here\n"
                        f"  keep fetchall\n"
                        f"  mda \"/bin/sh -c 'cat > {out}/msg.$$'\"\n" + ("  " + extra if extra else ""))
            os.chmod(rc, 0o600)
            env = dict(os.environ, HOME=srv.tmp, FETCHMAILHOME=srv.tmp)
            r = subprocess.run(["fetchmail", "-f", rc, "--nodetach", "--invisible",
                                "--nosslcertck"] + (["--sslproto", "tls1.2+"] if "STLS" in mode else []),
                               capture_output=True, text=True, env=env, timeout=60)
            if r.returncode not in (0,):
                diag(r.stdout + r.stderr)
            got = []
            for name in os.listdir(out):
                with open(os.path.join(out, name), "rb") as f:
                    got.append(f.read())
            # fetchmail hands the MDA LF line ends; the store's files may have
            # either, so both sides are compared with CRLF.
            want = sorted(crlf(m) for m in msgs)
            ok(r.returncode == 0 and sorted(crlf(g) for g in got) == want,
               f"fetchmail ({mode}) downloads every message byte for byte")
        ok(len(inbox_messages(srv.maildir())) == len(msgs), "keep: nothing deleted")
        log = srv.log()
        ok(log.count("C: STLS") == 1, "fetchmail with sslproto used STLS")
    finally:
        srv.cleanup()
    print(f"1..{_count}")


# ---------------------------------------------------------------------- DNS

def dns_query(qid, name, qtype):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", qtype, 1)


def read_name(msg, off):
    labels = []
    jumped = None
    while True:
        n = msg[off]
        if n & 0xC0 == 0xC0:
            ptr = ((n & 0x3F) << 8) | msg[off + 1]
            if jumped is None:
                jumped = off + 2
            off = ptr
            continue
        off += 1
        if n == 0:
            break
        labels.append(msg[off:off + n].decode())
        off += n
    return ".".join(labels), (jumped if jumped is not None else off)


def parse_answer(msg):
    qid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", msg[:12])
    off = 12
    for _ in range(qd):
        _, off = read_name(msg, off)
        off += 4
    answers = []
    for _ in range(an):
        name, off = read_name(msg, off)
        rtype, rclass, ttl, rdlen = struct.unpack(">HHIH", msg[off:off + 10])
        off += 10
        rdata = msg[off:off + rdlen]
        if rtype == 1:
            value = socket.inet_ntop(socket.AF_INET, rdata)
        elif rtype == 28:
            value = socket.inet_ntop(socket.AF_INET6, rdata)
        elif rtype == 15:
            value = (struct.unpack(">H", rdata[:2])[0], read_name(msg, off + 2)[0])
        elif rtype == 33:
            prio, weight, port = struct.unpack(">HHH", rdata[:6])
            value = (prio, weight, port, read_name(msg, off + 6)[0])
        else:
            value = rdata
        answers.append((name, rtype, value))
        off += rdlen
    return qid, flags & 0xF, answers


def ask_udp(port, name, qtype, qid=0x4242):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(dns_query(qid, name, qtype), ("127.0.0.1", port))
        data, _ = s.recvfrom(4096)
    return parse_answer(data)


def ask_tcp(port, queries):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        for i, (name, qtype) in enumerate(queries):
            q = dns_query(100 + i, name, qtype)
            s.sendall(struct.pack(">H", len(q)) + q)
        out = []
        f = s.makefile("rb")
        for _ in queries:
            n = struct.unpack(">H", f.read(2))[0]
            out.append(parse_answer(f.read(n)))
    return out


def group_dns():
    srv = Server(services=("pop3", "pop3s", "dns"))
    try:
        port = srv.ports["DNS"]
        qid, rcode, ans = ask_udp(port, "imap.mailscope.test", 1, 0x1234)
        ok(qid == 0x1234 and rcode == 0 and ans == [("imap.mailscope.test", 1, "127.0.0.1")], "UDP A")
        _, rcode, ans = ask_udp(port, "pop.mailscope.test", 28)
        ok(rcode == 0 and ans == [("pop.mailscope.test", 28, "::1")], "UDP AAAA")
        _, rcode, ans = ask_udp(port, "mailscope.test", 15)
        ok(rcode == 0 and ans == [("mailscope.test", 15, (10, "imap.mailscope.test"))], "UDP MX")
        _, rcode, ans = ask_udp(port, "_pop3._tcp.mailscope.test", 33)
        ok(rcode == 0 and ans == [("_pop3._tcp.mailscope.test", 33,
                                   (0, 1, srv.ports["POP3"], "pop.mailscope.test"))],
           "SRV _pop3._tcp gives the running POP3 port")
        _, rcode, ans = ask_udp(port, "_pop3s._tcp.mailscope.test", 33)
        ok(ans and ans[0][2][2] == srv.ports["POP3S"], "SRV _pop3s._tcp")
        _, rcode, ans = ask_udp(port, "_imaps._tcp.mailscope.test", 33)
        ok(rcode == 0 and ans and ans[0][2][3] in ("", srv.ports.get("IMAPS") and "imap.mailscope.test"),
           "SRV _imaps._tcp: \".\" when the service is not running (RFC 6186)")
        _, rcode, ans = ask_udp(port, "_imap._tcp.mailscope.test", 33)
        ok(rcode == 0 and len(ans) == 1, "SRV _imap._tcp")
        for name in ("www.example.com", "mailscope.test.example", "nope.mailscope.test"):
            _, rcode, ans = ask_udp(port, name, 1)
            ok(rcode == 3 and ans == [], f"NXDOMAIN for {name}")
        res = ask_tcp(port, [("imap.mailscope.test", 1), ("_pop3._tcp.mailscope.test", 33),
                             ("example.org", 1)])
        ok(res[0][1] == 0 and res[0][2][0][2] == "127.0.0.1", "TCP A")
        ok(res[1][2][0][2][2] == srv.ports["POP3"], "TCP SRV in the same connection")
        ok(res[2][1] == 3, "TCP NXDOMAIN")
        if shutil.which("dig"):
            r = subprocess.run(["dig", "+short", "-p", str(port), "@127.0.0.1", "SRV",
                                "_pop3._tcp.mailscope.test"], capture_output=True, text=True, timeout=20)
            ok(r.stdout.split() == ["0", "1", str(srv.ports["POP3"]), "pop.mailscope.test."],
               "dig reads the SRV answer")
        log = srv.log()
        ok(re.search(r"dns\s+127\.0\.0\.1:\d+\s+C: imap\.mailscope\.test A\?", log) is not None,
           "the log shows the questions")
    finally:
        srv.cleanup()
    print(f"1..{_count}")


# ------------------------------------------------------------------- keylog

def group_keylog():
    srv = Server()
    try:
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            ctx = insecure_context()
            ctx.minimum_version = ctx.maximum_version = version
            p = poplib.POP3_SSL("127.0.0.1", srv.ports["POP3S"], timeout=10, context=ctx)
            p.user("student")
            p.pass_("classroom")
            p.quit()
        p = poplib.POP3("127.0.0.1", srv.ports["POP3"], timeout=10)
        p.stls(context=insecure_context())
        p.quit()
        time.sleep(0.3)
        lines = open(srv.keylog).read().splitlines()
        labels = {l.split()[0] for l in lines if l}
        ok("CLIENT_RANDOM" in labels, "TLS 1.2 secrets (CLIENT_RANDOM)")
        ok({"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"} <= labels, "TLS 1.3 secrets")
        ok(all(re.fullmatch(r"[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]+", l) for l in lines if l),
           "every line is LABEL CLIENT_RANDOM SECRET")
        ok(os.stat(srv.keylog).st_mode & 0o077 == 0, "only the owner may read the key log")
        key = os.path.join(srv.data, "tls", "lab-key.pem")
        ok(os.stat(key).st_mode & 0o077 == 0, "only the owner may read the lab key")
    finally:
        srv.cleanup()

    # A certificate of one's own.
    tmp = tempfile.mkdtemp(prefix="ms-cert-")
    try:
        cert, key = os.path.join(tmp, "c.pem"), os.path.join(tmp, "k.pem")
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                            "-subj", "/CN=custom.mailscope.test", "-keyout", key, "-out", cert],
                           capture_output=True, timeout=60)
        if r.returncode == 0:
            srv = Server("--cert", cert, "--key", key)
            try:
                pem = ssl.get_server_certificate(("127.0.0.1", srv.ports["POP3S"]))
                ok(ssl.PEM_cert_to_DER_cert(pem) == ssl.PEM_cert_to_DER_cert(open(cert).read()),
                   "--cert/--key: that certificate is served")
                ok(not os.path.exists(os.path.join(srv.data, "tls")), "... and none is generated")
            finally:
                srv.cleanup()
        r = subprocess.run([CLI, "serve", "--cert", cert], capture_output=True, text=True)
        ok(r.returncode == 2 and "--key" in r.stderr, "--cert without --key is a usage error")
        r = subprocess.run([CLI, "serve", "--maildir", tmp, "--pop3", "127.0.0.1:0",
                            "--cert", key, "--key", key], capture_output=True, text=True, timeout=20)
        ok(r.returncode == 1 and "certificate" in r.stderr, f"a bad certificate is reported: {r.stderr.strip()}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"1..{_count}")


# ------------------------------------------------------ deliver and signals

def group_deliver():
    srv = Server()
    try:
        msg = b"From: a@mailscope.test\nSubject: delivered\n\n.starts with a dot\nbye\n"
        src = os.path.join(srv.tmp, "msg.eml")
        with open(src, "wb") as f:
            f.write(msg)
        before = len(inbox_messages(srv.maildir()))
        r = subprocess.run([CLI, "deliver", "--maildir", srv.data, src], capture_output=True,
                           text=True, timeout=20)
        ok(r.returncode == 0 and "Delivered" in r.stdout, "deliver FILE")
        r = subprocess.run([CLI, "deliver", "--maildir", srv.data, "--mailbox", "Archive", "-"],
                           input=msg.decode(), capture_output=True, text=True, timeout=20)
        ok(r.returncode == 0, "deliver - into Archive")
        ok(len(os.listdir(os.path.join(srv.maildir(), ".Archive", "new"))) == 2,
           "Archive/new has the message")
        r = subprocess.run([CLI, "deliver", "--maildir", srv.data, "--mailbox", "Nope", src],
                           capture_output=True, text=True, timeout=20)
        ok(r.returncode == 1 and "Nope" in r.stderr, "deliver to a missing mailbox fails")
        r = subprocess.run([CLI, "deliver", "--maildir", srv.data, "--user", "../x", src],
                           capture_output=True, text=True, timeout=20)
        ok(r.returncode == 2, "deliver refuses a user name that leaves the data directory")
        p = poplib.POP3("127.0.0.1", srv.ports["POP3"], timeout=10)
        p.user("student")
        p.pass_("classroom")
        count = p.stat()[0]
        ok(count == before + 1, "the running server sees the delivered message")
        resp, lines, _ = p.retr(count)
        ok(b"\r\n".join(lines) + b"\r\n" == crlf(msg), "and serves it byte for byte")
        p.quit()
        rc = srv.stop(signal.SIGINT)
        ok(rc == 0, "SIGINT stops the server with status 0")
        ok("Stopping" in srv.log(), "... after saying so")
    finally:
        srv.cleanup()

    # A fresh data directory: deliver seeds it like the server would.
    tmp = tempfile.mkdtemp(prefix="ms-deliver-")
    try:
        r = subprocess.run([CLI, "deliver", "--maildir", tmp, "--user", "bob", "-"],
                           input="Subject: hi\n\nhello\n", capture_output=True, text=True, timeout=20)
        ok(r.returncode == 0 and len(inbox_messages(os.path.join(tmp, "bob"))) == 6,
           "deliver to a new account: the sample mailbox plus the message")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    # Usage errors and a busy port.
    r = subprocess.run([CLI, "serve", "--pop3", "not-an-address"], capture_output=True, text=True)
    ok(r.returncode != 0 and "mailscope-cli:" in r.stderr, "serve with a bad address fails clearly")
    r = subprocess.run([CLI, "serve", "--user", "nocolon"], capture_output=True, text=True)
    ok(r.returncode == 2, "serve --user without a password is a usage error")
    print(f"1..{_count}")


# ------------------------------------------------------ limits over sockets

def group_limits():
    srv = Server()
    try:
        port = srv.ports["POP3"]
        # The pre-login limit is the smallest; hold that many connections.
        held = []
        refused = None
        for _ in range(250):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            line = s.makefile("rb").readline()
            if line.startswith(b"-ERR"):
                refused = line
                s.close()
                break
            held.append(s)
        ok(refused is not None and b"[SYS/TEMP] too many connections waiting to log in" in refused,
           f"connection {len(held) + 1} refused with a reason: {refused!r}")
        for s in held[:10]:
            s.close()
        time.sleep(0.3)
        p = poplib.POP3("127.0.0.1", port, timeout=10)
        ok(p.getwelcome().startswith(b"+OK"), "places freed by closing are given again")
        p.quit()
        for s in held[10:]:
            s.close()
    finally:
        srv.cleanup()
    print(f"1..{_count}")


# ------------------------------------------------------------------- kill -9

def group_kill9():
    """kill -9 while QUIT carries out DELE: every message is either there,
    intact, or gone, never cut short."""
    rounds = len(KILL_DELAYS)
    for rnd in range(rounds):
        srv = Server()
        try:
            # Enough messages that the UPDATE state takes a while.
            body = b"".join(b"line %d of a message for the crash test\n" % i for i in range(400))
            originals = {}
            for i in range(120):
                msg = b"Subject: crash %d\n\n" % i + body
                r = subprocess.run([CLI, "deliver", "--maildir", srv.data, "-"], input=msg,
                                   capture_output=True, timeout=20)
                assert r.returncode == 0, r.stderr
            for name, data in inbox_messages(srv.maildir()).items():
                originals[hashlib.sha256(data).hexdigest()] = data
            total = len(originals)
            with socket.create_connection(("127.0.0.1", srv.ports["POP3"]), timeout=10) as s:
                f = s.makefile("rb")
                f.readline()
                s.sendall(b"USER student\r\nPASS classroom\r\n")
                f.readline()
                f.readline()
                s.sendall(b"".join(b"DELE %d\r\n" % i for i in range(1, total + 1)))
                for _ in range(total):
                    f.readline()
                s.sendall(b"QUIT\r\n")
                time.sleep(KILL_DELAYS[rnd])
                srv.proc.send_signal(signal.SIGKILL)
            srv.proc.wait()
            left = inbox_messages(srv.maildir())
            intact = all(hashlib.sha256(d).hexdigest() in originals for d in left.values())
            ok(intact and len(left) <= total,
               f"round {rnd}: killed {KILL_DELAYS[rnd] * 1000:g} ms after QUIT, "
               f"{len(left)} of {total} left, each one intact")
            leftovers = os.listdir(os.path.join(srv.maildir(), "tmp"))
            ok(leftovers == [".keep"], f"round {rnd}: nothing half-written in tmp/ ({leftovers})")
            if rnd == rounds - 1:
                ok(len(left) == 0, "given time, QUIT removes every deleted message")
            # A restarted server serves what is left.
            srv2 = Server("--maildir", srv.data)
            try:
                p = poplib.POP3("127.0.0.1", srv2.ports["POP3"], timeout=10)
                p.user("student")
                p.pass_("classroom")
                ok(p.stat()[0] == len(left), f"round {rnd}: a new server sees the same messages")
                p.quit()
            finally:
                srv2.cleanup()
        finally:
            srv.cleanup()
    print(f"1..{_count}")


# ----------------------------------------------------------- default ports

def group_defaults():
    """Without listener options: the standard ports, then the fallbacks when
    they are taken. Runs in a network namespace of its own so that nothing
    else on the machine holds (or gets) those ports."""
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        print("1..0 # SKIP needs root, unshare and ip for a private network namespace")
        return
    r = subprocess.run(["unshare", "-n", sys.executable, __file__, CLI, "defaults-inner"],
                       capture_output=True, text=True, timeout=120)
    if r.returncode == 77:
        print("1..0 # SKIP no network namespace here")
        return
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    if r.returncode != 0:
        sys.exit(r.returncode)
    sys.exit(0)


def group_defaults_inner():
    if subprocess.run(["ip", "link", "set", "lo", "up"]).returncode != 0:
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="ms-defaults-")
    procs = []
    try:
        expected = [("DNS", 53, 10053), ("IMAP", 143, 1143), ("POP3", 110, 1110),
                    ("IMAPS", 993, 1993), ("POP3S", 995, 1995)]
        for which in (1, 2):
            p = subprocess.Popen([CLI, "serve", "--maildir", os.path.join(tmp, str(which))],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            procs.append(p)
            lines = []
            while True:
                line = p.stdout.readline()
                if not line or line.startswith("Ready."):
                    break
                lines.append(line.rstrip("\n"))
            for label, std, fallback in expected:
                port = std if which == 1 else fallback
                want = f"{label:<8} 127.0.0.1:{port}"
                ok(any(l.startswith(want) for l in lines),
                   f"server {which}: {want.strip()} ({'standard' if which == 1 else 'fallback'})")
            if which == 1:
                pop = poplib.POP3("127.0.0.1", 110, timeout=10)
                pop.user("student")
                ok(pop.pass_("classroom").startswith(b"+OK"), "POP3 answers on port 110")
                pop.quit()
        for p in procs:
            p.send_signal(signal.SIGTERM)
            ok(p.wait(timeout=10) == 0, "SIGTERM stops it cleanly")

        # A client on another address (192.0.2.1 is not loopback): no
        # password in clear, unless --allow-plaintext.
        if subprocess.run(["ip", "addr", "add", "192.0.2.1/32", "dev", "lo"]).returncode == 0:
            for allow in (False, True):
                p = subprocess.Popen([CLI, "serve", "--maildir", os.path.join(tmp, "np"),
                                      "--pop3", "192.0.2.1:0"]
                                     + (["--allow-plaintext"] if allow else []),
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                procs.append(p)
                port = None
                while True:
                    line = p.stdout.readline()
                    if not line or line.startswith("Ready."):
                        break
                    m = re.match(r"POP3\s+192\.0\.2\.1:(\d+)", line)
                    if m:
                        port = int(m.group(1))
                with socket.create_connection(("192.0.2.1", port), timeout=10,
                                              source_address=("192.0.2.1", 0)) as s:
                    f = s.makefile("rb")
                    f.readline()
                    s.sendall(b"CAPA\r\n")
                    capa = []
                    while True:
                        line = f.readline()
                        capa.append(line.strip())
                        if line in (b".\r\n", b""):
                            break
                    s.sendall(b"USER student\r\n")
                    line = f.readline()
                if allow:
                    ok(line == b"+OK send PASS\r\n" and b"USER" in capa,
                       "non-loopback with --allow-plaintext: USER accepted")
                else:
                    ok(line.startswith(b"-ERR [AUTH] a password in clear text would cross a real "
                                       b"network") and b"USER" not in capa,
                       f"non-loopback: USER refused with the reason: {line!r}")
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=10)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"1..{_count}")


GROUPS = {
    "defaults": group_defaults,
    "defaults-inner": group_defaults_inner,
    "curl": group_curl,
    "poplib": group_poplib,
    "fetchmail": group_fetchmail,
    "dns": group_dns,
    "keylog": group_keylog,
    "deliver": group_deliver,
    "limits": group_limits,
    "kill9": group_kill9,
}


def main():
    global CLI
    if len(sys.argv) != 3 or sys.argv[2] not in GROUPS:
        sys.exit(f"usage: {sys.argv[0]} MAILSCOPE_CLI {{{','.join(GROUPS)}}}")
    CLI = sys.argv[1]
    try:
        GROUPS[sys.argv[2]]()
    except Exception as e:  # a crash is one more failure, with its story
        import traceback
        diag(traceback.format_exc())
        ok(False, f"{sys.argv[2]}: {e}")
        print(f"1..{_count}")
    sys.exit(1 if _failed else 0)


if __name__ == "__main__":
    main()
