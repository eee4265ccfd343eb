#!/usr/bin/env python3
"""make-seeds.py - builds the fuzz targets' seed corpora (tests/fuzz/corpus/)
from the captures in samples/ and tests/*/data/: TCP payloads per direction
in the record format of fuzz-common.h, UDP DNS payloads, small whole
captures, and a few hand-written server sessions.

Usage: tests/fuzz/make-seeds.py   (needs tshark; rewrites corpus/)
"""
import hashlib
import os
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "corpus")

# Seeds stay below libFuzzer's default -max_len in run.sh.
MAX_SEED = 16384
# Whole captures given to the pipeline target.
MAX_CAPTURE = 32768

IMAP_PORTS = {143, 1143, 10143}
POP3_PORTS = {110, 1110, 10110}
TLS_PORTS = {993: 1, 995: 2, 443: 0, 465: 0, 853: 0}
DNS_PORTS = {53, 5353, 5300}


def captures():
    """Every capture file under samples/ and tests/*/data/."""
    found = []
    for top in ["samples"] + [os.path.join("tests", d, "data") for d in sorted(os.listdir(os.path.join(ROOT, "tests")))]:
        base = os.path.join(ROOT, top)
        if not os.path.isdir(base):
            continue
        for dirpath, _, files in os.walk(base):
            for f in sorted(files):
                if f.endswith((".pcap", ".pcapng", ".cap")):
                    found.append(os.path.join(dirpath, f))
    return sorted(found)


def tshark(path, fields, display):
    cmd = ["tshark", "-n", "-r", path, "-Y", display, "-T", "fields",
           "-o", "tcp.relative_sequence_numbers:TRUE"]
    for f in fields:
        cmd += ["-e", f]
    res = subprocess.run(cmd, capture_output=True, text=True)
    rows = []
    for line in res.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) == len(fields) and all(parts):
            rows.append(parts)
    return rows


def record(direction, data, gap=0):
    """One record: header byte, [gap], 16-bit length, bytes."""
    out = bytearray()
    h = direction & 1
    if gap:
        h |= 2
        out += bytes([h]) + struct.pack("<H", min(gap - 1, 0xffff))
    else:
        out += bytes([h])
    return bytes(out) + struct.pack("<H", len(data)) + data


class Corpus:
    def __init__(self):
        self.seeds = {}

    def add(self, target, data):
        if not data:
            return
        data = data[:MAX_SEED] if target != "pipeline" else data
        name = hashlib.sha1(data).hexdigest()[:16]
        self.seeds.setdefault(target, {})[name] = data

    def write(self):
        if os.path.isdir(OUT):
            shutil.rmtree(OUT)
        for target, seeds in sorted(self.seeds.items()):
            d = os.path.join(OUT, target)
            os.makedirs(d)
            for name, data in sorted(seeds.items()):
                with open(os.path.join(d, name), "wb") as f:
                    f.write(data)
            print("%-12s %4d seeds" % (target, len(seeds)))


def tcp_seeds(corpus, path):
    rows = tshark(path, ["tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.seq", "tcp.payload"],
                  "tcp.len > 0")
    streams = {}
    for stream, sport, dport, seq, payload in rows:
        streams.setdefault(stream, []).append((int(sport), int(dport), int(seq), bytes.fromhex(payload.replace(":", ""))))
    for segs in streams.values():
        ports = {segs[0][0], segs[0][1]}
        known = [p for p in ports if p in IMAP_PORTS | POP3_PORTS | DNS_PORTS or p in TLS_PORTS]
        server = known[0] if known else min(ports)
        if server in IMAP_PORTS:
            targets, config = ["imap"], 0
        elif server in POP3_PORTS:
            targets, config = ["pop3"], 0
        elif server in TLS_PORTS:
            targets, config = ["tls"], TLS_PORTS[server] << 1
        elif server in DNS_PORTS:
            targets, config = ["dns-tcp"], 0
        elif segs[0][3][:2] == b"\x16\x03":
            targets, config = ["tls"], 0
        else:
            continue
        # In-order bytes per direction; retransmissions and holes dropped.
        nxt = {}
        out = bytearray([config])
        client = bytearray()
        # After STARTTLS/STLS the rest of the stream also seeds the TLS target.
        inner = 1 if server in IMAP_PORTS else 2 if server in POP3_PORTS else 0
        tls_out = None
        for sport, dport, seq, data in segs:
            d = 1 if sport == server else 0
            expect = nxt.get(d, seq)
            if seq > expect:
                out += record(d, b"", gap=seq - expect)
            elif seq < expect:
                cut = expect - seq
                if cut >= len(data):
                    continue
                data, seq = data[cut:], expect
            nxt[d] = seq + len(data)
            out += record(d, data)
            if tls_out is None and inner and data[:2] == b"\x16\x03":
                tls_out = bytearray([inner << 1])
            if tls_out is not None and len(tls_out) < MAX_SEED:
                tls_out += record(d, data)
            if d == 0:
                client += record(0, data)
            if len(out) > MAX_SEED:
                break
        for t in targets:
            corpus.add(t, bytes(out))
        if tls_out is not None:
            corpus.add("tls", bytes(tls_out))
        if server in IMAP_PORTS:
            corpus.add("imap-server", bytes(client))
        elif server in POP3_PORTS:
            corpus.add("pop3-server", bytes(client))


def udp_dns_seeds(corpus, path):
    rows = tshark(path, ["udp.srcport", "udp.dstport", "udp.payload"], "dns && udp")
    all_msgs = bytearray()
    queries = bytearray()
    for sport, dport, payload in rows:
        data = bytes.fromhex(payload.replace(":", ""))
        all_msgs += record(0, data)
        if len(data) > 2 and not data[2] & 0x80:
            queries += record(0, data)
    if all_msgs:
        corpus.add("dns-udp", bytes(all_msgs[:MAX_SEED]))
    if queries:
        corpus.add("dns-server", bytes(queries[:MAX_SEED]))


def session(lines):
    """A client session, one record per line."""
    return b"".join(record(0, l.encode() + b"\r\n") for l in lines)


def hand_written(corpus):
    corpus.add("pop3-server", session([
        "CAPA", "USER student", "PASS classroom", "STAT", "LIST", "UIDL", "LIST 1",
        "RETR 1", "TOP 1 3", "DELE 1", "NOOP", "RSET", "DELE 2", "QUIT"]))
    corpus.add("pop3-server", session([
        "AUTH PLAIN", "AHN0dWRlbnQAY2xhc3Nyb29t", "STAT", "RETR 99", "TOP 1 -1", "QUIT"]))
    corpus.add("pop3-server", session(["APOP student 0123456789abcdef0123456789abcdef", "QUIT"]))
    corpus.add("pop3-server", session(["STLS"]) + record(0, b"\x16\x03\x01\x00\x05hello"))
    corpus.add("imap-server", session([
        "a1 CAPABILITY", "a2 LOGIN student classroom", "a3 LIST \"\" \"*\"",
        "a4 SELECT INBOX", "a5 FETCH 1:* (FLAGS UID RFC822.SIZE ENVELOPE BODYSTRUCTURE)",
        "a6 FETCH 1 BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]", "a7 FETCH 2 BODY[1]<0.10>",
        "a8 STORE 1 +FLAGS (\\Seen \\Deleted)", "a9 UID SEARCH UNSEEN FROM \"x\"",
        "a10 EXPUNGE", "a11 STATUS INBOX (MESSAGES UIDNEXT)", "a12 CREATE Work",
        "a13 UID COPY 1:* Work", "a14 NOOP", "a15 CLOSE", "a16 LOGOUT"]))
    corpus.add("imap-server",
               record(0, b"a1 LOGIN {7}\r\n") + record(0, b"student {9+}\r\nclassroom\r\n")
               + record(0, b"a2 APPEND INBOX (\\Flagged) {11}\r\n")
               + record(0, b"Subject: x\r\n\r\n") + record(0, b"a3 IDLE\r\n") + record(0, b"DONE\r\n")
               + record(0, b"a4 AUTHENTICATE PLAIN\r\n") + record(0, b"*\r\n") + record(0, b"a5 LOGOUT\r\n"))
    corpus.add("imap-server", session(["a STARTTLS"]) + record(0, b"\x16\x03\x01\x00\x05hello"))
    # Reassembler: offset mode with overlaps, then sequence mode across the wrap.
    seg = lambda op, pos, data: bytes([op]) + struct.pack("<IH", pos, len(data)) + data
    corpus.add("reasm", b"\x00" + seg(0, 5, b"world") + seg(0, 0, b"hello") + seg(0, 3, b"XXXXXXXX")
               + seg(0, 20, b"late") + bytes([2]) + struct.pack("<I", 2) + bytes([3]))
    corpus.add("reasm", b"\x01" + struct.pack("<I", 0xfffffff0) + seg(0, 0xfffffff0, b"A" * 8)
               + seg(0, 0x00000002, b"C" * 8) + seg(0, 0xfffffff8, b"B" * 10)
               + bytes([1]) + struct.pack("<I", 0x20) + seg(0, 0x40, b"D") + bytes([3]))


def main():
    if shutil.which("tshark") is None:
        sys.exit("make-seeds.py needs tshark")
    corpus = Corpus()
    for path in captures():
        if os.path.getsize(path) <= MAX_CAPTURE:
            with open(path, "rb") as f:
                corpus.add("pipeline", f.read())
        tcp_seeds(corpus, path)
        udp_dns_seeds(corpus, path)
    hand_written(corpus)
    corpus.write()


if __name__ == "__main__":
    main()
