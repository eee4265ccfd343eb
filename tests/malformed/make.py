#!/usr/bin/env python3
"""make.py - writes the malformed-capture corpus that test-malformed.c feeds
to `mailscope-cli decode --format json`.

    tests/malformed/make.py            small files, into tests/malformed/data/
    tests/malformed/make.py --big DIR  the large ones, generated at test time:
                                       a 100 MB IMAP line without CRLF and
                                       100,000 streams of one SYN each

Every capture is built byte by byte here (Ethernet, IPv4, TCP/UDP); no
checksums are computed, as the decoder does not check them.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

CLIENT = bytes([10, 0, 0, 1])
SERVER = bytes([10, 0, 0, 2])


def pcap_header(snaplen=65535, linktype=1, magic=0xa1b2c3d4):
    return struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)


def record(frame, ts, caplen=None, origlen=None):
    caplen = len(frame) if caplen is None else caplen
    origlen = len(frame) if origlen is None else origlen
    return struct.pack("<IIII", int(ts), int((ts % 1) * 1e6), caplen, origlen) + frame[:caplen]


def ipv4(src, dst, proto, payload, total=None, ihl=5):
    total = 20 + len(payload) if total is None else total
    hdr = struct.pack(">BBHHHBBH4s4s", 0x40 | ihl, 0, total, 1, 0x4000, 64, proto, 0, src, dst)
    return hdr + payload


def ether(ip):
    return b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + ip


def tcp(sport, dport, seq, ack, flags, data=b"", doff=5):
    return struct.pack(">HHIIBBHHH", sport, dport, seq & 0xffffffff, ack & 0xffffffff,
                       doff << 4, flags, 65535, 0, 0) + data


def udp(sport, dport, data):
    return struct.pack(">HHHH", sport, dport, 8 + len(data), 0) + data


SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01


class Conversation:
    """A TCP conversation: handshake, then data segments either way."""

    def __init__(self, sport, dport, cisn=1000, sisn=5000, client=CLIENT, server=SERVER):
        self.sport, self.dport = sport, dport
        self.client, self.server = client, server
        self.seq = [cisn + 1, sisn + 1]
        self.frames = [
            self.frame(0, tcp(sport, dport, cisn, 0, SYN)),
            self.frame(1, tcp(dport, sport, sisn, cisn + 1, SYN | ACK)),
            self.frame(0, tcp(sport, dport, cisn + 1, sisn + 1, ACK)),
        ]

    def frame(self, d, segment):
        src, dst = (self.client, self.server) if d == 0 else (self.server, self.client)
        return ether(ipv4(src, dst, 6, segment))

    def send(self, d, data, seq=None):
        """Data from the client (d=0) or server (d=1); seq overrides."""
        s = self.seq[d] if seq is None else seq
        sport, dport = (self.sport, self.dport) if d == 0 else (self.dport, self.sport)
        self.frames.append(self.frame(d, tcp(sport, dport, s, self.seq[1 - d], PSH | ACK, data)))
        self.seq[d] = (s + len(data)) & 0xffffffff
        return self

    def close(self):
        self.frames.append(self.frame(0, tcp(self.sport, self.dport, self.seq[0], self.seq[1], FIN | ACK)))
        self.frames.append(self.frame(1, tcp(self.dport, self.sport, self.seq[1], self.seq[0] + 1, FIN | ACK)))
        return self


def capture(frames, snaplen=65535, cut=None):
    out = bytearray(pcap_header(snaplen))
    for i, f in enumerate(frames):
        out += record(f, 1700000000 + i * 0.001, caplen=min(len(f), snaplen))
    return bytes(out)


def imap_session():
    c = Conversation(40001, 143)
    c.send(1, b"* OK IMAP4rev1 ready\r\n")
    c.send(0, b"a1 LOGIN student classroom\r\n")
    c.send(1, b"a1 OK LOGIN completed\r\n")
    c.send(0, b"a2 SELECT INBOX\r\n")
    c.send(1, b"* 3 EXISTS\r\n* FLAGS (\\Seen)\r\na2 OK [READ-WRITE] SELECT completed\r\n")
    c.send(0, b"a3 FETCH 1 BODY[]\r\n")
    c.send(1, b"* 1 FETCH (BODY[] {20}\r\nSubject: hi\r\n\r\nhello)\r\na3 OK done\r\n")
    c.send(0, b"a4 LOGOUT\r\n")
    c.send(1, b"* BYE\r\na4 OK bye\r\n")
    return c.close()


def dns_response_loop():
    # Header: id, flags (response), 1 question, 2 answers.
    msg = struct.pack(">HHHHHH", 0x1234, 0x8180, 1, 2, 0, 0)
    # Question name at offset 12 points to itself (a one-hop loop).
    msg += b"\xc0\x0c" + struct.pack(">HH", 1, 1)
    # Answer owner names: two pointers naming each other (offsets 18 and 20).
    a1 = len(msg)
    msg += struct.pack(">H", 0xc000 | (a1 + 2)) + struct.pack(">H", 0xc000 | a1)
    msg += struct.pack(">HHIH", 1, 1, 60, 4) + bytes([127, 0, 0, 1])
    return msg


def small_files():
    files = {}
    good = capture(imap_session().frames)

    # A global header cut after 10 of its 24 bytes.
    files["truncated-header.pcap"] = good[:10]
    # A whole file whose magic number is no capture's.
    files["wrong-magic.pcap"] = struct.pack("<I", 0xdeadbeef) + good[4:]
    # Packets cut by a 60-byte snaplen: headers survive, payloads do not.
    files["snaplen-cut.pcap"] = capture(imap_session().frames, snaplen=60)
    # The file ends in the middle of the last record.
    files["truncated-record.pcap"] = good[:-7]

    # Lengths that lie: a record claiming more bytes than the file holds
    # comes last; before it, an IPv4 total length beyond the frame, a TCP
    # data offset beyond the segment, an IHL below 5, and a record whose
    # original length is smaller than its captured length.
    c = Conversation(40002, 110)
    c.send(1, b"+OK POP3 ready\r\n")
    frames = list(c.frames)
    out = bytearray(pcap_header())
    for i, f in enumerate(frames):
        out += record(f, 1700000000 + i)
    lie_total = ether(ipv4(CLIENT, SERVER, 6, tcp(40002, 110, 1001, 5017, PSH | ACK, b"USER x\r\n"), total=1400))
    lie_doff = ether(ipv4(CLIENT, SERVER, 6, tcp(40002, 110, 1001, 5017, PSH | ACK, b"PASS y\r\n", doff=15)))
    lie_ihl = ether(ipv4(CLIENT, SERVER, 6, tcp(40002, 110, 1001, 5017, PSH | ACK, b"STAT\r\n"), ihl=2))
    out += record(lie_total, 1700000010)
    out += record(lie_doff, 1700000011)
    out += record(lie_ihl, 1700000012)
    out += record(lie_total, 1700000013, origlen=20)
    out += struct.pack("<IIII", 1700000014, 0, 60000, 60000) + b"\x00" * 40
    files["lying-lengths.pcap"] = bytes(out)

    # A literal of 2 GiB announced in a capture of about 1 KiB.
    c = Conversation(40003, 143)
    c.send(1, b"* OK ready\r\n")
    c.send(0, b"a1 LOGIN student classroom\r\n")
    c.send(1, b"a1 OK done\r\n")
    c.send(0, b"a2 FETCH 1 BODY[]\r\n")
    c.send(1, b"* 1 FETCH (BODY[] {2147483648}\r\n" + b"x" * 300)
    c.send(0, b"a3 APPEND INBOX {2147483648+}\r\n" + b"y" * 300)
    files["literal-2g.pcap"] = capture(c.frames)

    # NUL bytes and invalid UTF-8 in IMAP and POP3 commands.
    c = Conversation(40004, 143)
    c.send(1, b"* OK ready\r\n")
    c.send(0, b"a1 LOGIN stu\x00dent \xff\xfe\xc0\xafpw\r\n")
    c.send(1, b"a1 NO [AUTHENTICATIONFAILED] \x00\xff\r\n")
    c.send(0, b"\x00\x00\x00\r\n\xe2\x82 SELECT \"INB\xedOX\"\r\n")
    p = Conversation(40005, 110, client=bytes([10, 0, 0, 3]))
    p.send(1, b"+OK ready\r\n")
    p.send(0, b"USER \x00\xff\xfe\r\n")
    p.send(1, b"+OK \xc3\x28\r\n")
    p.send(0, b"PA\x00SS x\r\n")
    files["nul-and-bad-utf8.pcap"] = capture(c.frames + p.frames)

    # A DNS response whose names are compression loops.
    msg = dns_response_loop()
    q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + b"\x04imap\x09mailscope\x04test\x00" + struct.pack(">HH", 1, 1)
    files["dns-compression-loop.pcap"] = capture([
        ether(ipv4(CLIENT, SERVER, 17, udp(5353, 53, q))),
        ether(ipv4(SERVER, CLIENT, 17, udp(53, 5353, msg))),
    ])

    # A TCP stream whose sequence numbers jump by almost 4 GiB (2^32 - 16:
    # what serial arithmetic reads as 16 bytes back), by 2^31, and by 3 GiB.
    c = Conversation(40006, 143)
    c.send(1, b"* OK ready\r\n")
    c.send(0, b"a1 NOOP\r\n")
    base = c.seq[0]
    c.send(0, b"a2 NOOP\r\n", seq=base + (1 << 32) - 16)
    c.send(0, b"a3 NOOP\r\n", seq=base + (1 << 31))
    c.send(0, b"a4 NOOP\r\n", seq=base + 3 * (1 << 30))
    c.send(1, b"a1 OK NOOP completed\r\n")
    files["seq-jump-4g.pcap"] = capture(c.frames)
    return files


def write_big(outdir):
    """The two large captures, written in pieces (never whole in memory)."""
    os.makedirs(outdir, exist_ok=True)
    # 100 MB of IMAP command bytes without a CRLF, in 1400-byte segments.
    total, chunk = 100 * 1000 * 1000, 1400
    c = Conversation(40010, 143)
    c.send(1, b"* OK ready\r\n")
    with open(os.path.join(outdir, "line-100mb.pcap"), "wb") as f:
        f.write(pcap_header())
        for i, fr in enumerate(c.frames):
            f.write(record(fr, 1700000000 + i * 0.001))
        payload = b"a1 LOGIN " + b"A" * (chunk - 9)
        seq, t, sent = c.seq[0], 1700000001.0, 0
        while sent < total:
            data = payload if sent == 0 else b"A" * chunk
            fr = c.frame(0, tcp(40010, 143, seq, c.seq[1], ACK, data))
            f.write(record(fr, t))
            seq, sent, t = (seq + len(data)) & 0xffffffff, sent + len(data), t + 0.00001
    # 100,000 streams, each one SYN from its own client port and address.
    with open(os.path.join(outdir, "syn-100k.pcap"), "wb") as f:
        f.write(pcap_header())
        for i in range(100000):
            client = bytes([10, 1 + i // 60000, (i // 250) % 240, 1 + i % 250])
            fr = ether(ipv4(client, SERVER, 6, tcp(1024 + i % 60000, 143, i * 7919, 0, SYN)))
            f.write(record(fr, 1700000000 + i * 0.0001))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--big":
        write_big(sys.argv[2])
        return
    if len(sys.argv) != 1:
        sys.exit(__doc__)
    outdir = os.path.join(HERE, "data")
    os.makedirs(outdir, exist_ok=True)
    for name, data in sorted(small_files().items()):
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
