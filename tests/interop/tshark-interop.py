#!/usr/bin/env python3
"""Interop test: mailscope-cli and tshark must read the same IMAP and POP3 captures alike.

usage: tshark-interop.py CAPTURE...   (paths relative to the source root; a directory
                                       stands for every .pcap/.pcapng inside it)

For every capture it runs `tshark -T pdml` and `mailscope-cli decode --format json`
and compares, per TCP stream and in order:
  - IMAP client lines: tag and command (tshark's imap.request_tag/imap.request.command),
  - IMAP tagged completions: tag and status (imap.response_tag/imap.response.status),
  - POP3 client commands (pop.request.command),
  - the frame of the server greeting.
A Mailscope event matches a tshark line when the tshark frame lies between the
event's first_frame and frame (a command that carries a literal completes later).

Where tshark is known to be wrong, the difference is named (KNOWN_DIFFERENCES) and
Mailscope's own reading is asserted instead. For the third-party corpus, the frames of
every known difference are listed in EXPECTED_DIFFERENCES, so a new difference or a
missing one fails. Output is TAP. Needs MS_SOURCE_ROOT and MS_BUILD_ROOT (set by meson).
"""

import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

IMAP_PORTS = {143}         # ports tshark dissects as IMAP without being told
POP3_PORTS = {110}         # ports tshark dissects as POP without being told
RUN_TIMEOUT = 300          # seconds; a hung decoder must fail the test, not stall CI

# What tshark gets wrong, and what Mailscope reports instead.
KNOWN_DIFFERENCES = {
    "imap-literal-line":
        "tshark reads the lines of a client literal (an APPEND message, a {n} string) "
        "as commands; Mailscope keeps them inside the command that announced the literal "
        "(literal_bytes > 0)",
    "imap-sasl-line":
        "tshark reads a line answering an AUTHENTICATE challenge as a command tagged with "
        "the base64 text; Mailscope reports event sasl (sasl: true) with no tag or command",
    "imap-idle-done":
        "tshark reads the DONE that ends IDLE as a tag without a command; Mailscope reports "
        "event idle-done, command DONE, no tag",
    "imap-continuation-status":
        "tshark reads a continuation request (\"+ idling\") as a tagged response with tag "
        "\"+\" and the first word as its status; Mailscope reports event continuation "
        "(continuation: true)",
    "pop3-sasl-line":
        "tshark reads a line answering an AUTH challenge (base64) as a POP3 command; "
        "Mailscope reports event sasl (sasl: true) with no command",
}

# Captures of known content: every frame where a known difference must show up.
EXPECTED_DIFFERENCES = {
    "tests/corpus/captures/arkime/imap.pcap": {},
    "tests/corpus/captures/arkime/imap-tag.pcap": {},
    "tests/corpus/captures/arkime/pop3-tag.pcap": {},
    "tests/corpus/captures/suricata-verify/imap-detection__input.pcap": {},
    "tests/corpus/captures/suricata-verify/pop3__input.pcap": {},
    "tests/corpus/captures/suricata-verify/pop3-auth-01__input.pcap": {12: "pop3-sasl-line"},
    "tests/corpus/captures/zeek/pop3__pop3.pcap": {
        37: "pop3-sasl-line", 66: "pop3-sasl-line", 85: "pop3-sasl-line"},
    "tests/corpus/captures/zeek/pop3__bad-list-retr-crafted.pcap": {},
    "tests/corpus/captures/zeek/pop3-unknown-commands.pcap": {},
    "tests/corpus/captures/zeek/tls__imap-starttls.pcap": {},
    "tests/corpus/captures/zeek/tls__pop3-starttls.pcap": {},
    # Recorded by tests/interop/record.sh to hold every kind of line tshark misreads.
    "tests/interop/data/literals.pcap": {
        8: "imap-continuation-status", 10: "imap-literal-line",
        12: "imap-continuation-status", 14: "imap-literal-line",
        24: "imap-continuation-status", 26: "imap-literal-line", 32: "imap-literal-line",
        38: "imap-continuation-status", 40: "imap-idle-done", 61: "imap-sasl-line",
        80: "imap-continuation-status", 82: "imap-sasl-line",
        83: "imap-continuation-status", 85: "imap-sasl-line",
        106: "pop3-sasl-line", 128: "pop3-sasl-line", 131: "pop3-sasl-line"},
}

CLIENT_EVENTS = ("command", "idle-done", "sasl", "literal")


class Tap:
    """Minimal TAP producer: numbered results, diagnostics, plan at the end."""

    def __init__(self):
        self.count = 0
        self.failed = 0

    def result(self, ok, name, details=()):
        self.count += 1
        if not ok:
            self.failed += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", self.count, name))
        for detail in details:
            for line in str(detail).splitlines():
                print("# " + line)
        sys.stdout.flush()
        return ok

    def finish(self):
        print("1..%d" % self.count)
        return 1 if self.failed else 0


# ---------------------------------------------------------------- tshark side

def fields_named(element, name):
    """Every descendant <field> of ELEMENT called NAME, in document order."""
    return [f for f in element.iter("field") if f.get("name") == name]


def first_show(element, name):
    """The show= text of ELEMENT's first descendant field NAME, or None."""
    for f in element.iter("field"):
        if f.get("name") == name:
            return f.get("show")
    return None


def run_tshark(path, imap_ports, pop3_ports, config_dir):
    """tshark's reading of PATH: (packets, truncated). A packet has frame, stream, IMAP
    lines and POP requests; truncated is true when the file is cut short in a frame.

    Raises RuntimeError when tshark is missing or fails."""
    args = ["tshark", "-n", "-r", path, "-T", "pdml", "-Y", "imap or pop"]
    for port in sorted(imap_ports - IMAP_PORTS):
        args += ["-d", "tcp.port==%d,imap" % port]
    for port in sorted(pop3_ports - POP3_PORTS):
        args += ["-d", "tcp.port==%d,pop" % port]
    env = dict(os.environ, WIRESHARK_CONFIG_DIR=config_dir, HOME=config_dir)
    try:
        proc = subprocess.run(args, capture_output=True, env=env, timeout=RUN_TIMEOUT)
    except FileNotFoundError:
        raise RuntimeError("tshark is not installed (run tools/setup-debian.sh)")
    stderr = proc.stderr.decode(errors="replace").strip()
    # tshark exits with 2 on a file cut short, after printing every whole frame.
    truncated = proc.returncode == 2 and "cut short" in stderr
    if proc.returncode != 0 and not truncated:
        raise RuntimeError("tshark exited with %d: %s" % (proc.returncode, stderr))
    root = ET.fromstring(proc.stdout)
    packets = []
    for packet in root.iter("packet"):
        frame = int(first_show(packet, "frame.number"))
        stream = first_show(packet, "tcp.stream")
        imap_lines = []
        pop_requests = []
        pop_response = False
        imap_isrequest = None
        for proto in packet.findall("proto"):
            if proto.get("name") == "imap":
                isreq = first_show(proto, "imap.isrequest")
                if isreq is not None:
                    imap_isrequest = isreq in ("1", "True", "true")
                for line in fields_named(proto, "imap.line"):
                    imap_lines.append({
                        "text": line.get("show", ""),
                        "request_tag": first_show(line, "imap.request_tag"),
                        "command": first_show(line, "imap.request.command"),
                        "response_tag": first_show(line, "imap.response_tag"),
                        "status": first_show(line, "imap.response.status"),
                    })
            elif proto.get("name") == "pop":
                for req in fields_named(proto, "pop.request"):
                    pop_requests.append(first_show(req, "pop.request.command") or "")
                if fields_named(proto, "pop.response"):
                    pop_response = True
        packets.append({
            "frame": frame,
            "stream": int(stream) if stream is not None else None,
            "imap_lines": imap_lines,
            "imap_isrequest": imap_isrequest,
            "pop_requests": pop_requests,
            "pop_response": pop_response,
        })
    return packets, truncated


# ------------------------------------------------------------- Mailscope side

def run_mailscope(cli, path):
    """Mailscope's events for PATH, as dicts, and its exit status (0, or 2 for a capture
    cut short). Raises RuntimeError on any other failure."""
    try:
        proc = subprocess.run([cli, "decode", "--format", "json", path],
                              capture_output=True, timeout=RUN_TIMEOUT)
    except FileNotFoundError:
        raise RuntimeError("%s does not exist (build it first)" % cli)
    if proc.returncode not in (0, 2):
        raise RuntimeError("mailscope-cli exited with %d: %s"
                           % (proc.returncode,
                              proc.stderr.decode(errors="replace").strip()[-4000:]))
    events = []
    for number, line in enumerate(proc.stdout.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            events.append(json.loads(line))
        except ValueError as err:
            raise RuntimeError("output line %d is not JSON (%s): %r" % (number, err, line[:200]))
    if not events:
        raise RuntimeError("mailscope-cli printed no events (exit status %d): %s"
                           % (proc.returncode, proc.stderr.decode(errors="replace")[-4000:]))
    return events, proc.returncode


def port_of(endpoint):
    """The port of an "addr:port" (IPv6 too, as "[addr]:port" or "addr:port"), or None."""
    if not endpoint or ":" not in endpoint:
        return None
    try:
        return int(endpoint.rsplit(":", 1)[1])
    except ValueError:
        return None


def server_ports(events):
    """(imap ports, pop3 ports) where Mailscope saw a server, to tell tshark with -d."""
    ports = {"imap": set(), "pop3": set()}
    for ev in events:
        proto = ev.get("proto")
        if proto not in ports:
            continue
        endpoint = ev.get("dst") if ev.get("dir") == "c2s" else ev.get("src")
        port = port_of(endpoint)
        if port is not None:
            ports[proto].add(port)
    return ports["imap"], ports["pop3"]


def span(ev):
    """(first frame, last frame) of a Mailscope event."""
    return ev.get("first_frame", ev["frame"]), ev["frame"]


def within(frame, ev):
    lo, hi = span(ev)
    return lo <= frame <= hi


def describe(ev):
    if ev is None:
        return "nothing"
    parts = ["frame %s" % ev.get("frame"), "event %s" % ev.get("event")]
    for key in ("tag", "command", "status", "sasl", "literal_bytes"):
        if key in ev:
            parts.append("%s %s" % (key, json.dumps(ev[key])))
    return ", ".join(parts)


# --------------------------------------------------------------- comparisons

def same_text(a, b):
    return (a or "").upper() == (b or "").upper()


def compare_client_lines(proto, tlines, mevents, found, problems):
    """Walks tshark's client lines and Mailscope's client events of one stream in order.

    TLINES: (frame, tag, command); MEVENTS: Mailscope events. Known differences go to
    FOUND (frame -> name), anything else to PROBLEMS."""
    j = 0
    last = None            # the Mailscope command matched last, for literal lines
    for frame, tag, command in tlines:
        # Mailscope events that ended before this line were never seen by tshark.
        while j < len(mevents) and span(mevents[j])[1] < frame:
            problems.append("frame %d: Mailscope has %s; tshark has no such %s line"
                            % (mevents[j]["frame"], describe(mevents[j]), proto))
            j += 1
        ev = mevents[j] if j < len(mevents) else None
        if ev is not None and within(frame, ev):
            kind = ev.get("event")
            if kind == "command" and (proto == "pop3" or ev.get("tag") == tag) \
                    and same_text(ev.get("command"), command):
                last = ev
                j += 1
                continue
            if proto == "imap" and kind == "idle-done" and tag == "DONE" and not command:
                if ev.get("command") == "DONE" and "tag" not in ev:
                    found[frame] = "imap-idle-done"
                    j += 1
                    continue
            if kind == "sasl":
                if ev.get("sasl") is True and "tag" not in ev and "command" not in ev:
                    found[frame] = "%s-sasl-line" % proto
                    j += 1
                    continue
                problems.append("frame %d: Mailscope's sasl event is malformed: %s"
                                % (frame, describe(ev)))
                j += 1
                continue
        # A literal's lines come after the command line that announced it: inside the
        # command's frames, or (if the command event closed at its first line) before
        # Mailscope's next client event.
        if proto == "imap" and last is not None and last.get("literal_bytes", 0) > 0 \
                and (within(frame, last)
                     or (frame >= span(last)[0] and (ev is None or frame < span(ev)[0]))):
            found[frame] = "imap-literal-line"
            continue
        problems.append("frame %d: tshark reads %s%s; Mailscope has %s"
                        % (frame, ("tag %r " % tag) if proto == "imap" else "",
                           "command %r" % command, describe(ev)))
        if ev is not None and within(frame, ev):
            j += 1
    for ev in mevents[j:]:
        problems.append("frame %d: Mailscope has %s; tshark has no such %s line"
                        % (ev["frame"], describe(ev), proto))


def compare_statuses(tlines, mevents, continuations, found, problems):
    """Tagged completions of one stream: tshark (frame, tag, status) vs Mailscope events.

    CONTINUATIONS: frames where Mailscope saw a continuation request."""
    j = 0
    for frame, tag, status in tlines:
        if tag == "+" and frame in continuations:
            found[frame] = "imap-continuation-status"
            continue
        while j < len(mevents) and span(mevents[j])[1] < frame:
            problems.append("frame %d: Mailscope has completion %s; tshark has none"
                            % (mevents[j]["frame"], describe(mevents[j])))
            j += 1
        ev = mevents[j] if j < len(mevents) else None
        if ev is not None and within(frame, ev) and ev.get("tag") == tag \
                and same_text(ev.get("status"), status):
            j += 1
            continue
        problems.append("frame %d: tshark reads tagged %r %r; Mailscope has %s"
                        % (frame, tag, status, describe(ev)))
        if ev is not None and within(frame, ev):
            j += 1
    for ev in mevents[j:]:
        problems.append("frame %d: Mailscope has completion %s; tshark has none"
                        % (ev["frame"], describe(ev)))


def check_capture(tap, name, path, cli, config_dir, must_have_content):
    """Runs both tools on one capture and reports the comparisons as TAP results.

    Returns True when there was cleartext IMAP or POP3 to compare. Without
    MUST_HAVE_CONTENT, a capture where neither tool finds any (implicit TLS, say)
    is reported as skipped."""
    try:
        events, status = run_mailscope(cli, path)
        why = ()
    except RuntimeError as err:
        events, status, why = [], None, (str(err),)

    imap_ports, pop3_ports = server_ports(events)
    try:
        packets, truncated = run_tshark(path, imap_ports, pop3_ports, config_dir)
    except RuntimeError as err:
        tap.result(False, "%s: tshark reads it" % name, (str(err),))
        return True
    tap.result(True, "%s: tshark reads it%s" % (name, " (cut short)" if truncated else ""))

    # Exit status 2 is right only for a capture that really is cut short.
    if status == 2 and not truncated:
        why = ("mailscope-cli exited with 2 but tshark reads the whole file",)
    elif status == 0 and truncated:
        why = ("tshark says the file is cut short, but mailscope-cli exited with 0",)
    if not tap.result(not why, "%s: mailscope-cli decode --format json reads it" % name, why):
        return True

    # tshark's side, per stream.
    t_imap_cmd, t_imap_status, t_pop_cmd, t_greeting = {}, {}, {}, {}
    seen_client = set()
    lines_total = 0
    for pkt in packets:
        stream = pkt["stream"]
        if stream is None:
            continue
        for line in pkt["imap_lines"]:
            lines_total += 1
            if line["request_tag"] is not None:
                t_imap_cmd.setdefault(stream, []).append(
                    (pkt["frame"], line["request_tag"], line["command"] or ""))
            if line["status"] is not None:
                t_imap_status.setdefault(stream, []).append(
                    (pkt["frame"], line["response_tag"], line["status"]))
        for command in pkt["pop_requests"]:
            lines_total += 1
            t_pop_cmd.setdefault(stream, []).append((pkt["frame"], None, command))
        is_client = bool(pkt["pop_requests"]) or pkt["imap_isrequest"] is True
        is_server = pkt["pop_response"] or pkt["imap_isrequest"] is False
        if is_client:
            seen_client.add(stream)
        elif is_server and stream not in t_greeting:
            # Only a server line before any client line can be the greeting.
            first = pkt["imap_lines"][0]["text"] if pkt["imap_lines"] else "+OK"
            greets = first.startswith(("* OK", "* PREAUTH", "* BYE", "+OK"))
            t_greeting[stream] = pkt["frame"] if greets and stream not in seen_client else None

    # Mailscope's side, per stream.
    m_imap_cmd, m_imap_status, m_pop_cmd, m_greeting, m_cont = {}, {}, {}, {}, {}
    for ev in events:
        stream = ev.get("stream")
        proto = ev.get("proto")
        if stream is None or proto not in ("imap", "pop3"):
            continue
        if ev.get("greeting") is True:
            m_greeting.setdefault(stream, ev["frame"])
        if ev.get("dir") == "c2s" and ev.get("event") in CLIENT_EVENTS:
            (m_imap_cmd if proto == "imap" else m_pop_cmd).setdefault(stream, []).append(ev)
        elif proto == "imap" and ev.get("event") == "completion":
            m_imap_status.setdefault(stream, []).append(ev)
        elif proto == "imap" and ev.get("event") == "continuation" \
                and ev.get("continuation") is True:
            m_cont.setdefault(stream, set()).add(ev["frame"])

    t_content = lines_total > 0 or any(f is not None for f in t_greeting.values())
    m_content = any(ev.get("proto") in ("imap", "pop3") for ev in events)
    if not t_content and not m_content and not must_have_content:
        tap.result(True, "%s: # SKIP neither tool finds cleartext IMAP or POP3" % name)
        return False
    tap.result(t_content, "%s: tshark finds IMAP or POP3 in it (the comparison is not empty)"
               % name)

    found = {}
    for label, proto, tside, mside in (("IMAP client lines", "imap", t_imap_cmd, m_imap_cmd),
                                       ("POP3 commands", "pop3", t_pop_cmd, m_pop_cmd)):
        problems = []
        for stream in sorted(set(tside) | set(mside)):
            compare_client_lines(proto, tside.get(stream, []), mside.get(stream, []),
                                 found, problems)
        count = sum(len(v) for v in tside.values())
        tap.result(not problems, "%s: %s agree (%d tshark lines)" % (name, label, count),
                   problems[:40])

    problems = []
    for stream in sorted(set(t_imap_status) | set(m_imap_status)):
        compare_statuses(t_imap_status.get(stream, []), m_imap_status.get(stream, []),
                         m_cont.get(stream, set()), found, problems)
    count = sum(len(v) for v in t_imap_status.values())
    tap.result(not problems, "%s: IMAP tagged statuses agree (%d)" % (name, count),
               problems[:40])

    problems = []
    for stream in sorted(set(t_greeting) | set(m_greeting)):
        want, got = t_greeting.get(stream), m_greeting.get(stream)
        if want != got:
            problems.append("stream %d: tshark's greeting frame %s, Mailscope's %s"
                            % (stream, want, got))
    greeted = sum(1 for frame in t_greeting.values() if frame is not None)
    tap.result(not problems, "%s: greeting frames agree (%d greetings)" % (name, greeted),
               problems)

    for frame in sorted(found):
        tap.result(True, "%s: frame %d is known difference %s"
                   % (name, frame, found[frame]), (KNOWN_DIFFERENCES[found[frame]],))

    rel = os.path.relpath(path, os.environ["MS_SOURCE_ROOT"])
    if rel in EXPECTED_DIFFERENCES:
        want = EXPECTED_DIFFERENCES[rel]
        tap.result(found == want, "%s: known differences are exactly the expected ones" % name,
                   () if found == want else ("expected %r" % sorted(want.items()),
                                             "found    %r" % sorted(found.items())))
    return True


def captures_in(path):
    """PATH itself, or the .pcap/.pcapng files directly inside it, sorted."""
    if not os.path.isdir(path):
        return [path]
    return sorted(os.path.join(path, f) for f in os.listdir(path)
                  if f.endswith((".pcap", ".pcapng")))


def main():
    src = os.environ.get("MS_SOURCE_ROOT")
    build = os.environ.get("MS_BUILD_ROOT")
    if not src or not build or len(sys.argv) < 2:
        sys.exit(__doc__)
    cli = os.path.join(build, "src", "cli", "mailscope-cli")
    tap = Tap()
    with tempfile.TemporaryDirectory() as config_dir:
        for arg in sys.argv[1:]:
            full = os.path.join(src, arg)
            paths = captures_in(full)
            if not tap.result(bool(paths) and all(os.path.isfile(p) for p in paths),
                              "%s exists and holds captures" % arg):
                continue
            # A capture named on the command line must have something to compare;
            # in a directory, one capture with something is enough.
            compared = 0
            for path in paths:
                compared += check_capture(tap, os.path.relpath(path, src), path, cli,
                                          config_dir, not os.path.isdir(full))
            if os.path.isdir(full):
                tap.result(compared > 0, "%s: %d captures hold cleartext IMAP or POP3"
                           % (arg, compared))
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
