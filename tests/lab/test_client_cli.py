#!/usr/bin/env python3
"""`mailscope-cli client` end to end: the built binary against a real Dovecot
and dnsmasq (tests/peers), or against `mailscope-cli serve`.

    test_client_cli.py MAILSCOPE_CLI dovecot|serve

Checks the transcript and the final report against the sample Maildir: RETR
sizes are the stored files with CRLF line ends, the IMAP text-part fetch moves
far fewer bytes than the message with the attachment, --step reads one Enter
per step, passwords are masked on request, bad command lines exit 2.
Exit status 0 (pass), 1 (fail) or 77 (skipped: peers not available here).
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

CLI = sys.argv[1]
GROUP = sys.argv[2]
ROOT = os.environ.get("MS_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
PEERS = os.path.join(ROOT, "tests", "peers")
SAMPLE = os.path.join(ROOT, "samples", "maildir", "student")
# One client run on loopback takes well under a second; this is a hang.
RUN_TIMEOUT = 60

failures = 0


def check(cond, what):
    global failures
    print(("ok - " if cond else "FAIL - ") + what, flush=True)
    if not cond:
        failures += 1


def skip(reason):
    print("SKIP: " + reason)
    sys.exit(77)


def free_ports(n):
    """n ports free for TCP and UDP on 127.0.0.1 right now."""
    held, ports = [], []
    while len(ports) < n:
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
    for s in held:
        s.close()
    return ports


def sample_sizes():
    """INBOX messages in file-name order, sized as sent (LF becomes CRLF)."""
    files = []
    for sub in ("cur", "new"):
        d = os.path.join(SAMPLE, sub)
        files += [os.path.join(d, f) for f in os.listdir(d) if not f.startswith(".")]
    files.sort(key=os.path.basename)
    sizes = []
    for f in files:
        data = open(f, "rb").read()
        sizes.append(len(data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")))
    return sizes


def run(*args, stdin=None):
    env = dict(os.environ, LC_ALL="C.UTF-8", LANGUAGE="en")
    r = subprocess.run([CLI, "client", *args], input=stdin, capture_output=True, text=True,
                       timeout=RUN_TIMEOUT, env=env, errors="replace")
    if r.returncode != 0:
        print("# " + " ".join(args))
        for line in (r.stdout + r.stderr).splitlines()[-30:]:
            print("#   " + line)
    return r


def report(out):
    """The report's numbers by label ("Content bytes fetched" -> 214)."""
    values = {}
    for line in out.split("\nReport\n", 1)[-1].splitlines():
        m = re.match(r"^  (.+?):\s+(.*)$", line)
        if m:
            v = m.group(2).strip()
            values[m.group(1)] = int(v.replace(",", "")) if re.fullmatch(r"[\d,]+", v) else v
    return values


def check_imap(r, label, sizes, attachment=False):
    rep = report(r.stdout)
    check(r.returncode == 0, f"{label}: exit status 0")
    check(f"RFC822.SIZE {sizes[-1]} " in r.stdout, f"{label}: newest message size in the overview")
    check("(BODY.PEEK[1])" in r.stdout, f"{label}: fetches only the text part")
    check(rep.get("Messages on the server at start") == len(sizes)
          and rep.get("Messages left on the server") == len(sizes),
          f"{label}: {len(sizes)} messages, all left on the server")
    if attachment:
        check(rep.get("Attachment downloaded") == "yes"
              and rep.get("Content bytes fetched", 0) > sizes[-1] * 9 // 10,
              f"{label}: attachment downloaded ({rep.get('Content bytes fetched')} bytes)")
    else:
        text = rep.get("Content bytes fetched", 0)
        check(0 < text and text * 100 < sizes[-1] and rep.get("Attachment downloaded") == "no",
              f"{label}: the text part ({text} bytes) is far smaller than the message")
        check(rep.get("Bytes received (server to client)", 0) * 10 < sizes[-1],
              f"{label}: the whole session received less than a tenth of the message")


def check_pop3(r, label, sizes, left=None):
    rep = report(r.stdout)
    check(r.returncode == 0, f"{label}: exit status 0")
    octets = [int(x) for x in re.findall(r"^S: \+OK (\d+) octets", r.stdout, re.M)]
    got = rep.get("Content bytes fetched")
    check(got == sum(sizes), f"{label}: RETR moved {got} bytes, the Maildir holds {sum(sizes)} (CRLF)")
    if octets:
        check(octets == sizes, f"{label}: each RETR's size is the stored message's")
    check(len(re.findall(r"^C: RETR \d+$", r.stdout, re.M)) == len(sizes),
          f"{label}: one RETR per message")
    check(rep.get("Attachment downloaded") == "yes", f"{label}: the attachment came with RETR")
    want_left = len(sizes) if left is None else left
    check(rep.get("Messages left on the server") == want_left,
          f"{label}: {want_left} messages left on the server")


def common_cli_checks():
    r = subprocess.run([CLI, "client"], capture_output=True, text=True)
    check(r.returncode == 2, "no protocol: exit status 2")
    r = subprocess.run([CLI, "client", "imap", "--tls", "sometimes"], capture_output=True, text=True)
    check(r.returncode == 2 and "--tls" in r.stderr, "bad --tls: exit status 2")
    r = subprocess.run([CLI, "client", "smtp"], capture_output=True, text=True)
    check(r.returncode == 2, "unknown protocol: exit status 2")


def group_dovecot():
    if os.geteuid() != 0:
        skip("Dovecot needs root here (its mail user owns the mailbox)")
    if not shutil.which("dovecot") and not os.path.exists("/usr/sbin/dovecot"):
        skip("dovecot is not installed")
    if not shutil.which("dnsmasq") and not os.path.exists("/usr/sbin/dnsmasq"):
        skip("dnsmasq is not installed")
    work = tempfile.mkdtemp(prefix="ms-client-cli-")
    os.chmod(work, 0o755)
    dns, imap, pop3, imaps, pop3s = free_ports(5)
    log = open(os.path.join(work, "peers.log"), "w")

    def peer(script, *args):
        subprocess.run(["bash", os.path.join(PEERS, script), *args], stdout=log, stderr=log,
                       check=True)

    try:
        peer("dns.sh", "start", work + "/dns", "--port", str(dns))
        peer("dovecot.sh", "start", work + "/dv", "--imap", str(imap), "--pop3", str(pop3),
             "--imaps", str(imaps), "--pop3s", str(pop3s))
        cert = work + "/dv/cert.pem"
        sizes = sample_sizes()
        common_cli_checks()

        # STARTTLS in step mode: one Enter per step, read from stdin.
        r = run("imap", "--server", f"imap.mailscope.test:{imap}", "--dns", f"127.0.0.1:{dns}",
                "--tls", "starttls", "--ca", cert, "--step", "--mask-secrets",
                "--keylog", work + "/keys", stdin="\n" * 40)
        check_imap(r, "IMAP STARTTLS --step", sizes)
        steps = re.findall(r"^== (\w+): ", r.stdout, re.M)
        check(steps[:6] == ["dns", "connect", "greeting", "negotiate", "negotiate", "tls"]
              and steps[-2:] == ["logout", "close"], "IMAP: steps in lesson order: " + " ".join(steps))
        check(r.stderr.count("[Enter: next step]") == len(steps), "--step asked once per step")
        check("C: DNS query A? imap.mailscope.test" in r.stdout, "IMAP: own DNS query shown")
        check('LOGIN "student" ********' in r.stdout and "classroom\"" not in r.stdout,
              "--mask-secrets hides the password")
        check("CLIENT_TRAFFIC_SECRET_0 " in open(work + "/keys").read(), "--keylog wrote secrets")

        r = run("imap", "--server", f"127.0.0.1:{imaps}", "--tls", "implicit", "--insecure",
                "--download-attachments")
        check_imap(r, "IMAP implicit TLS --download-attachments", sizes, attachment=True)
        check("== dns:" not in r.stdout, "a numeric --server skips DNS")

        r = run("imap", "--server", f"127.0.0.1:{imap}")
        check_imap(r, "IMAP plain", sizes)

        for label, args in (("POP3 plain", ["--server", f"pop.mailscope.test:{pop3}",
                                            "--dns", f"127.0.0.1:{dns}"]),
                            ("POP3 STLS", ["--server", f"127.0.0.1:{pop3}", "--tls", "starttls",
                                           "--ca", cert, "--mask-secrets"]),
                            ("POP3 implicit TLS", ["--server", f"127.0.0.1:{pop3s}",
                                                   "--tls", "implicit", "--ca", cert])):
            r = run("pop3", *args)
            check_pop3(r, label, sizes)
            masked = "--mask-secrets" in args
            check(("C: PASS ********" in r.stdout) == masked
                  and ("C: PASS classroom" in r.stdout) != masked,
                  f"{label}: PASS shown {'masked' if masked else 'as sent'}")

        r = run("pop3", "--server", f"127.0.0.1:{pop3}", "--password", "wrong")
        check(r.returncode == 1 and "mailscope-cli:" in r.stderr, "wrong password: exit status 1")
    finally:
        subprocess.run(["bash", os.path.join(PEERS, "dovecot.sh"), "stop", work + "/dv"],
                       stdout=log, stderr=log)
        subprocess.run(["bash", os.path.join(PEERS, "dns.sh"), "stop", work + "/dns"],
                       stdout=log, stderr=log)
        log.close()
        shutil.rmtree(work, ignore_errors=True)


def group_serve():
    probe = subprocess.run([CLI, "help"], capture_output=True, text=True)
    if not re.search(r"^\s+serve\s", probe.stdout, re.M):
        skip("this mailscope-cli has no serve command yet")
    tmp = tempfile.mkdtemp(prefix="ms-client-serve-")
    data = os.path.join(tmp, "data")
    args = [CLI, "serve", "--maildir", data]
    for svc in ("imap", "imaps", "pop3", "pop3s", "dns"):
        args += [f"--{svc}", "127.0.0.1:0"]
    env = dict(os.environ, LC_ALL="C.UTF-8", LANGUAGE="en")
    srv = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           env=env, errors="replace")
    try:
        ports = {}
        for line in srv.stdout:
            m = re.match(r"^(POP3S?|IMAPS?|DNS)\s+127\.0\.0\.1:(\d+)", line)
            if m:
                ports[m.group(1)] = int(m.group(2))
            if line.startswith("Ready."):
                break
        if len(ports) < 5:
            skip("mailscope-cli serve did not start all services: " + str(ports))
        cert = None
        for dirpath, _, files in os.walk(data):
            if "lab-cert.pem" in files:
                cert = os.path.join(dirpath, "lab-cert.pem")
        check(cert is not None, "serve made its lab certificate")
        sizes = sample_sizes()
        dns = f"127.0.0.1:{ports['DNS']}"

        r = run("imap", "--server", f"imap.mailscope.test:{ports['IMAP']}", "--dns", dns,
                "--idle", "1")
        check_imap(r, "serve IMAP plain via its DNS", sizes)
        check("S: DNS answer: imap.mailscope.test A 127.0.0.1" in r.stdout, "serve answered the DNS query")
        check("C: DONE" in r.stdout, "serve IMAP: IDLE ended with DONE")

        r = run("imap", "--server", f"127.0.0.1:{ports['IMAP']}", "--tls", "starttls",
                "--ca", cert, "--auth", "plain", "--download-attachments")
        check_imap(r, "serve IMAP STARTTLS AUTHENTICATE PLAIN", sizes, attachment=True)

        r = run("imap", "--server", f"imap.mailscope.test:{ports['IMAPS']}", "--dns", dns,
                "--tls", "implicit", "--ca", cert)
        check_imap(r, "serve IMAP implicit TLS (certificate checked by name)", sizes)

        r = run("pop3", "--server", f"127.0.0.1:{ports['POP3']}", "--tls", "starttls",
                "--insecure", "--apop", "--idle", "1")
        check_pop3(r, "serve POP3 STLS", sizes)
        check("== refresh:" in r.stdout and "C: NOOP" in r.stdout, "serve POP3: --idle polls with NOOP")
        check("C: APOP student " in r.stdout or "APOP is impossible" in r.stdout,
              "serve POP3: --apop uses APOP when the greeting allows it")
        r = run("pop3", "--server", f"pop.mailscope.test:{ports['POP3S']}", "--dns", dns,
                "--tls", "implicit", "--ca", cert, "--delete")
        check_pop3(r, "serve POP3 implicit TLS --delete", sizes, left=0)
        r = run("pop3", "--server", f"127.0.0.1:{ports['POP3']}")
        rep = report(r.stdout)
        check(r.returncode == 0 and rep.get("Messages on the server at start") == 0,
              "serve POP3: the maildrop is empty after DELE and QUIT")
    finally:
        srv.terminate()
        try:
            srv.wait(10)
        except subprocess.TimeoutExpired:
            srv.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    # A timeout's SIGTERM still runs the clean-up in the finally blocks.
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    {"dovecot": group_dovecot, "serve": group_serve}[GROUP]()
    sys.exit(1 if failures else 0)


main()
