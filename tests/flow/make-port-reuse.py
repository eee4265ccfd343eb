#!/usr/bin/env python3
"""Writes data/port-reuse.pcap: raw-IPv4 TCP conversations that reuse port
pairs in the ways that decide Wireshark's tcp.stream numbering. Its expected
numbers (data/port-reuse.pcap.streams) come from
`tshark -r port-reuse.pcap -T fields -e frame.number -e tcp.stream`."""
import socket
import struct
import sys

SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp(src, sport, dst, dport, flags, seq, ack=0, data=b""):
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF,
                      ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
    pseudo = s + d + struct.pack("!BBH", 0, 6, len(hdr) + len(data))
    c = csum(pseudo + hdr + data)
    hdr = hdr[:16] + struct.pack("!H", c) + hdr[18:]
    total = 20 + len(hdr) + len(data)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 1, 0, 64, 6, 0, s, d)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + hdr + data


C, S = "10.0.0.1", "10.0.0.2"
frames = []
# 1: a whole connection to 143, closed by FIN both ways ...
frames += [tcp(C, 40000, S, 143, SYN, 100),
           tcp(S, 143, C, 40000, SYN | ACK, 700, 101),
           tcp(C, 40000, S, 143, ACK, 101, 701),
           tcp(S, 143, C, 40000, PSH | ACK, 701, 101, b"* OK ready\r\n"),
           tcp(C, 40000, S, 143, FIN | ACK, 101, 713),
           tcp(S, 143, C, 40000, FIN | ACK, 713, 102),
           tcp(C, 40000, S, 143, ACK, 102, 714)]
# ... then the same ports again: a new stream.
frames += [tcp(C, 40000, S, 143, SYN, 5000)]
# A retransmitted SYN (same ISN) stays in that stream.
frames += [tcp(C, 40000, S, 143, SYN, 5000)]
# A SYN with another ISN on an open stream starts a new one.
frames += [tcp(C, 40000, S, 143, SYN, 9000),
           tcp(S, 143, C, 40000, SYN | ACK, 100, 9001)]
# A stream first seen mid-way, then a SYN on the same ports.
frames += [tcp(C, 40001, S, 80, PSH | ACK, 3000, 4000, b"GET / HTTP/1.0\r\n\r\n"),
           tcp(S, 80, C, 40001, ACK, 4000, 3018),
           tcp(C, 40001, S, 80, SYN, 7000)]
# RST, then a SYN with the same ISN as before the RST.
frames += [tcp(C, 40002, S, 110, SYN, 200),
           tcp(S, 110, C, 40002, RST | ACK, 0, 201),
           tcp(C, 40002, S, 110, SYN, 200)]
# FIN both ways, then a SYN with the old ISN.
frames += [tcp(C, 40004, S, 143, SYN, 300),
           tcp(S, 143, C, 40004, SYN | ACK, 900, 301),
           tcp(C, 40004, S, 143, FIN | ACK, 301, 901),
           tcp(S, 143, C, 40004, FIN | ACK, 901, 302),
           tcp(C, 40004, S, 143, SYN, 300)]
# A SYN from the other side of an open stream.
frames += [tcp(C, 40003, S, 995, SYN, 1),
           tcp(S, 995, C, 40003, SYN | ACK, 50, 2),
           tcp(S, 995, C, 40003, SYN, 77)]

out = open(sys.argv[1], "wb")
out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
for i, f in enumerate(frames):
    out.write(struct.pack("<IIII", 1700000000 + i, 1000 * i, len(f), len(f)))
    out.write(f)
out.close()
