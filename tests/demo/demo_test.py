#!/usr/bin/env python3
"""End-to-end tests of `mailscope-cli demo` and `mailscope-cli capture`.

  demo_test.py CLI HELPER TEST

TEST is one of demo-imap, demo-pop3, demo-compare, demo-shared, capture-count,
capture-live, capture-permission, demo-unprivileged. The capturing tests need root (exit 77,
skipped, otherwise); the unprivileged ones need root too, to become nobody
with setpriv. HELPER is the build tree's mailscope-capture, without file
capabilities: run as nobody it must refuse, which is what the permission
message is about.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
TIMEOUT = 120          # seconds for one demo run; shared waits in IDLE for 3 s
NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
SETCAP = "setcap cap_net_raw,cap_net_admin=eip"
STANDARD = {"DNS": 53, "IMAP": 143, "POP3": 110, "IMAPS": 993, "POP3S": 995}
FORCE = {"DNS": "dns", "IMAP": "imap", "POP3": "pop3", "IMAPS": "tls", "POP3S": "tls"}


def env(helper):
    e = dict(os.environ)
    e["LC_ALL"] = "C.UTF-8"
    e["LANGUAGE"] = "en"
    e["NO_COLOR"] = "1"
    e.pop("LANG", None)
    e["MAILSCOPE_CAPTURE_HELPER"] = helper
    return e


def fail(msg, out=None):
    print("FAIL: " + msg)
    if out is not None:
        sys.stdout.write(out if isinstance(out, str) else out.decode("utf-8", "replace"))
    sys.exit(1)


def need_root():
    if os.geteuid() != 0:
        print("skip: capturing on lo needs root (CI runs this suite as root)")
        sys.exit(SKIP)


def need_setpriv():
    need_root()
    if shutil.which("setpriv") is None:
        print("skip: setpriv (util-linux) is not installed")
        sys.exit(SKIP)


def run(args, helper, timeout=TIMEOUT, **kw):
    p = subprocess.run(args, capture_output=True, timeout=timeout, env=env(helper),
                       stdin=subprocess.DEVNULL, **kw)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def demo(cli, helper, kind, tmp, extra=()):
    """Runs the demo with -w; returns (stdout, path of the capture)."""
    pcap = os.path.join(tmp, "demo-%s.pcap" % kind)
    rc, out, err = run([cli, "demo", kind, "-w", pcap] + list(extra), helper)
    if rc != 0:
        fail("demo %s exited with %d: %s" % (kind, rc, err), out)
    if "Capture: live on the loopback interface" not in out:
        fail("demo %s did not capture" % kind, out)
    if not re.search(r"^Done: \d+ packets captured", out, re.M):
        fail("demo %s has no closing line" % kind, out)
    return out, pcap


def forced_ports(out):
    """decode -p options for the services the demo moved to fallback ports."""
    args = []
    for name, port in re.findall(r"^  (DNS|IMAP|POP3|IMAPS|POP3S)\s+port (\d+)", out, re.M):
        if int(port) != STANDARD[name]:
            args += ["-p", "%s=%s" % (FORCE[name], port)]
    return args


def captured_steps(cli, helper, pcap, out):
    """The steps of every event decode finds in the capture, per protocol."""
    rc, js, err = run([cli, "decode", "--format", "json"] + forced_ports(out) + [pcap], helper)
    if rc != 0:
        fail("decode of the demo's capture exited with %d: %s" % (rc, err))
    steps = {}
    for line in js.splitlines():
        ev = json.loads(line)
        if ev.get("step"):
            steps.setdefault(ev.get("proto"), []).append(ev["step"])
    all_steps = set(s for v in steps.values() for s in v)
    return steps, all_steps


def check_steps(all_steps, wanted, out):
    missing = [s for s in wanted if s not in all_steps]
    if missing:
        fail("the capture lacks the steps %s (has %s)" % (missing, sorted(all_steps)), out)


def test_demo_imap(cli, helper, tmp):
    need_root()
    out, pcap = demo(cli, helper, "imap", tmp)
    _, steps = captured_steps(cli, helper, pcap, out)
    check_steps(steps, ["dns", "connect", "greeting", "login", "list", "fetch", "logout",
                        "close"], out)
    for heading in ("Step by step: IMAP client", "What the capture shows"):
        if heading not in out:
            fail("no heading %r" % heading, out)
    print("ok: demo imap captured %s" % sorted(steps))


def test_demo_pop3(cli, helper, tmp):
    need_root()
    out, pcap = demo(cli, helper, "pop3", tmp)
    _, steps = captured_steps(cli, helper, pcap, out)
    check_steps(steps, ["dns", "connect", "greeting", "login", "list", "fetch", "logout",
                        "close"], out)
    print("ok: demo pop3 captured %s" % sorted(steps))


def number(cell):
    return int(cell.replace(",", ""))


def table_row(out, label):
    """The IMAP and POP3 cells of a row of the comparison table."""
    m = re.search(r"^  %s\s+(.+?)\s{3,}(.+?)\s*$" % re.escape(label), out, re.M)
    if not m:
        fail("the comparison table has no row %r" % label, out)
    return m.group(1).strip(), m.group(2).strip()


def test_demo_compare(cli, helper, tmp):
    need_root()
    out, pcap = demo(cli, helper, "compare", tmp)
    if not re.search(r"^\s+IMAP\s+POP3\s*$", out, re.M):
        fail("no table header naming IMAP and POP3", out)
    imap_content, pop3_content = map(number, table_row(out, "Content bytes moved"))
    if not 0 < imap_content < pop3_content:
        fail("IMAP should move fewer content bytes than POP3 (%d, %d)"
             % (imap_content, pop3_content), out)
    imap_left, pop3_left = table_row(out, "Messages left on the server")
    m = re.match(r"(\d+) of (\d+)$", imap_left)
    if not m or m.group(1) != m.group(2) or m.group(1) == "0":
        fail("IMAP should leave every message on the server, not %r" % imap_left, out)
    if not pop3_left.startswith("0 of "):
        fail("POP3 (with DELE) should leave no message, not %r" % pop3_left, out)
    imap_packets, pop3_packets = map(number, table_row(out, "Packets captured"))
    total = int(re.search(r"^Done: (\d+) packets captured", out, re.M).group(1))
    if imap_packets <= 0 or pop3_packets <= 0 or imap_packets + pop3_packets != total:
        fail("packets per protocol (%d + %d) do not add up to the %d captured"
             % (imap_packets, pop3_packets, total), out)
    imap_rx, pop3_rx = map(number, table_row(out, "Bytes server → client"))
    if not imap_rx < pop3_rx or pop3_rx < pop3_content:
        fail("bytes received are inconsistent with the content moved", out)
    imap_att, pop3_att = table_row(out, "Attachment downloaded")
    if (imap_att, pop3_att) != ("no", "yes"):
        fail("attachment downloaded should be no (IMAP) and yes (POP3)", out)
    steps, _ = captured_steps(cli, helper, pcap, out)
    if "imap" not in steps or "pop3" not in steps:
        fail("the capture should hold an IMAP and a POP3 session", out)
    # The clients' round trips are the ones the decoder counts in the capture.
    trips = dict(zip(("IMAP", "POP3"), map(number, table_row(out, "Round trips"))))
    rc, summary, err = run([cli, "decode", "--summary"] + forced_ports(out) + [pcap], helper)
    decoded, proto = {}, None
    for line in summary.splitlines():
        m = re.match(r"Session \d+: (\w+),", line)
        if m:
            proto = m.group(1)
        m = re.match(r"\s+Total\s.*\s(\d+)$", line)
        if m and proto in trips:
            decoded[proto] = int(m.group(1))
    if decoded != trips:
        fail("round trips in the table %r differ from the decoded capture's %r"
             % (trips, decoded), out + summary)
    print("ok: IMAP moved %d content bytes, POP3 %d; IMAP left %s" % (imap_content,
                                                                      pop3_content, imap_left))


def test_demo_shared(cli, helper, tmp):
    need_root()
    out, pcap = demo(cli, helper, "shared", tmp)
    told = re.search(r"was told while it waited in IDLE, without asking:\n((?:    S: .*\n)+)", out)
    if not told:
        fail("the IDLE client was told nothing", out)
    pushed = told.group(1)
    if not re.search(r"\* \d+ EXPUNGE", pushed) or not re.search(r"\* \d+ FETCH \(FLAGS", pushed):
        fail("the pushed updates lack EXPUNGE or FETCH", out)
    if not re.search(r"was refused: .*\n    S: -ERR \[IN-USE\]", out):
        fail("the second POP3 client was not refused with [IN-USE]", out)
    rc, js, err = run([cli, "decode", "--format", "json"] + forced_ports(out) + [pcap], helper)
    events = [json.loads(l) for l in js.splitlines()]
    if not any(e.get("step") == "refresh" and "EXPUNGE" in e.get("info", "") for e in events):
        fail("the capture has no EXPUNGE pushed during IDLE", out)
    if not any("IN-USE" in e.get("info", "") for e in events):
        fail("the capture has no -ERR [IN-USE]", out)
    print("ok: pushed during IDLE:\n" + pushed + "ok: POP3 lock refusal seen")


def test_capture_count(cli, helper, tmp):
    need_root()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    stop = threading.Event()

    def send():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        while not stop.is_set():
            s.sendto(b"mailscope", ("127.0.0.1", port))
            time.sleep(0.05)

    t = threading.Thread(target=send)
    t.start()
    pcap = os.path.join(tmp, "count.pcap")
    try:
        rc, out, err = run([cli, "capture", "-i", "lo", "-c", "5", "-f", "udp port %d" % port,
                            "-w", pcap], helper, timeout=60)
    finally:
        stop.set()
        t.join()
        sock.close()
    if rc != 0:
        fail("capture exited with %d: %s" % (rc, err))
    if "Captured 5 packets" not in err or "dropped" not in err:
        fail("capture should report 5 packets and the drops", err)
    report = err.strip().splitlines()[-1]
    rc, out, err = run([cli, "decode", "--format", "json", pcap], helper)
    if rc != 0:
        fail("the saved capture does not decode: %s" % err)
    print("ok: " + report)


def test_capture_live(cli, helper, tmp):
    """capture narrates a session as soon as it ends, before it is stopped."""
    need_root()
    serve = subprocess.Popen([cli, "serve", "-d", os.path.join(tmp, "lab"), "--imap",
                              "127.0.0.1:0", "--dns", "127.0.0.1:0"], env=env(helper),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, text=True)
    cap = None
    try:
        ports = {}
        for line in serve.stdout:
            m = re.match(r"(IMAP|DNS)\s+127\.0\.0\.1:(\d+)", line)
            if m:
                ports[m.group(1)] = m.group(2)
            if line.startswith("Ready."):
                break
        if set(ports) != {"IMAP", "DNS"}:
            fail("serve did not report its ports: %r" % ports)
        out_path = os.path.join(tmp, "live.txt")
        with open(out_path, "w") as out:
            cap = subprocess.Popen([cli, "capture", "-i", "lo", "-f", "port %s or port %s"
                                    % (ports["IMAP"], ports["DNS"])],
                                   env=env(helper), stdout=out, stderr=subprocess.PIPE,
                                   stdin=subprocess.DEVNULL, text=True)
            if "Capturing on lo" not in cap.stderr.readline():
                fail("capture did not start")
            rc, cout, cerr = run([cli, "client", "imap", "--server", "127.0.0.1:" + ports["IMAP"],
                                  "--dns", "127.0.0.1:" + ports["DNS"]], helper, timeout=60)
            if rc != 0:
                fail("the client failed: %s" % cerr, cout)
            deadline = time.time() + 10
            text = ""
            while time.time() < deadline:
                with open(out_path) as f:
                    text = f.read()
                if "Close the connection" in text:
                    break
                time.sleep(0.1)
            if cap.poll() is not None or "Close the connection" not in text:
                fail("the closed session was not narrated while capturing", text)
            cap.send_signal(2)
            rc = cap.wait(timeout=30)
            err = cap.stderr.read()
        if rc != 0 or not re.search(r"Captured \d+ packets", err):
            fail("capture did not end cleanly on SIGINT (%d): %s" % (rc, err))
        print("ok: the IMAP session was narrated while the capture ran")
    finally:
        for p in (cap, serve):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()


def test_capture_permission(cli, helper, tmp):
    need_setpriv()
    rc, out, err = run(NOBODY + [cli, "capture", "-i", "lo", "-c", "1"], helper, timeout=60)
    lines = [l for l in err.splitlines() if l.strip()]
    if rc != 1:
        fail("capture as nobody should exit 1, not %d" % rc, err)
    if len(lines) != 1 or SETCAP not in lines[0] or "mailscope-capture" not in lines[0]:
        fail("expected one line naming `%s …/mailscope-capture`" % SETCAP, err)
    print("ok: " + lines[0])


def test_demo_unprivileged(cli, helper, tmp):
    need_setpriv()
    rc, out, err = run(NOBODY + [cli, "demo", "imap"], helper)
    if rc != 0:
        fail("demo as nobody exited with %d: %s" % (rc, err), out)
    if "Capture: none. The packets (DNS, TCP handshake, FIN) are not shown" not in out:
        fail("the demo does not say that packets are not shown", out)
    if not re.search(r"^Why: no permission to capture on lo.*%s" % re.escape(SETCAP), out, re.M):
        fail("the demo does not say why", out)
    for needle in ("C: a002 LOGIN", "S: * BYE", "▸ dns", "▸ logout"):
        if needle not in out:
            fail("the transcript narration lacks %r" % needle, out)
    if "Done. The packets were not captured" not in out:
        fail("no closing line", out)
    print("ok: the demo ran unprivileged and narrated from the transcript")


TESTS = {
    "demo-imap": test_demo_imap,
    "demo-pop3": test_demo_pop3,
    "demo-compare": test_demo_compare,
    "demo-shared": test_demo_shared,
    "capture-count": test_capture_count,
    "capture-live": test_capture_live,
    "capture-permission": test_capture_permission,
    "demo-unprivileged": test_demo_unprivileged,
}


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in TESTS:
        sys.exit(__doc__)
    cli, helper = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    tmp = tempfile.mkdtemp(prefix="mailscope-demo-test-")
    try:
        TESTS[sys.argv[3]](cli, helper, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
