"""Shared pieces of the sample clients: a DNS stub (RFC 1035) and name-aware IMAP/POP3 classes.

The clients resolve the lab names themselves, with one UDP query to the lab's
DNS server, so that the lookup is part of every capture. The IMAP and POP3
classes keep the server *name* (for TLS SNI and certificate checks) but
connect to the address that the query returned.
"""

import imaplib
import poplib
import socket
import struct

DNS_TIMEOUT = 3.0      # seconds; the server is on loopback, so this is generous
DNS_MAX_REPLY = 1232   # bytes; the usual EDNS-safe UDP payload size
QTYPES = {"A": 1, "AAAA": 28, "SRV": 33}


def _encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        raw = label.encode("ascii")
        if not 0 < len(raw) < 64:
            raise ValueError("bad DNS label in %r" % name)
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def _skip_name(msg, pos):
    """Position after the (possibly compressed) name that starts at pos."""
    while True:
        if pos >= len(msg):
            raise ValueError("truncated DNS name")
        n = msg[pos]
        if n == 0:
            return pos + 1
        if n & 0xC0 == 0xC0:
            return pos + 2
        pos += 1 + n


def _read_name(msg, pos):
    """The dotted name at pos, following compression pointers (at most 16)."""
    labels = []
    for _ in range(16):
        n = msg[pos]
        if n & 0xC0 == 0xC0:
            pos = ((n & 0x3F) << 8) | msg[pos + 1]
            continue
        if n == 0:
            return ".".join(labels)
        labels.append(msg[pos + 1:pos + 1 + n].decode("ascii"))
        pos += 1 + n
    raise ValueError("DNS name with too many pointers")


def resolve(name, qtype, server, port, query_id):
    """Sends one query and returns the first record of type qtype in the answer:
    an address for A/AAAA, a (target, port) pair for SRV (RFC 2782)."""
    code = QTYPES[qtype]
    query = struct.pack("!6H", query_id, 0x0100, 1, 0, 0, 0)   # RD=1, one question
    query += _encode_name(name) + struct.pack("!HH", code, 1)
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(DNS_TIMEOUT)
        s.sendto(query, (server, port))
        reply = s.recv(DNS_MAX_REPLY)
    rid, flags, qd, an, _, _ = struct.unpack("!6H", reply[:12])
    if rid != query_id or not flags & 0x8000:
        raise OSError("unexpected DNS reply")
    if flags & 0x000F:
        raise OSError("DNS error rcode %d for %s" % (flags & 0x0F, name))
    pos = 12
    for _ in range(qd):
        pos = _skip_name(reply, pos) + 4
    for _ in range(an):
        pos = _skip_name(reply, pos)
        rtype, _, _, rdlen = struct.unpack("!HHIH", reply[pos:pos + 10])
        pos += 10
        rdata = reply[pos:pos + rdlen]
        pos += rdlen
        if rtype == code and code == QTYPES["SRV"]:
            target_port = struct.unpack("!H", rdata[4:6])[0]
            return _read_name(reply, pos - rdlen + 6), target_port
        if rtype == code:
            fam = socket.AF_INET if code == 1 else socket.AF_INET6
            return socket.inet_ntop(fam, rdata)
    raise OSError("no %s record for %s" % (qtype, name))


class LabIMAP(imaplib.IMAP4):
    """imaplib.IMAP4 that talks to a fixed address while keeping the server name."""

    def __init__(self, name, addr, port, timeout=30):
        self._lab_addr = addr
        super().__init__(name, port, timeout=timeout)

    def _create_socket(self, timeout):
        return socket.create_connection((self._lab_addr, self.port), timeout)

    def idle_until(self, on_idle, want=b"EXISTS"):
        """IDLE (RFC 2177): runs on_idle() once the server says '+ idling',
        waits for an untagged response containing want, sends DONE.
        Returns the untagged lines received while idling."""
        tag = self._new_tag()
        self.send(tag + b" IDLE\r\n")
        line = self.readline()
        if not line.startswith(b"+"):
            raise self.error("IDLE refused: %r" % line)
        on_idle()
        pushed = []
        while True:
            line = self.readline()
            if not line:
                raise self.abort("connection closed during IDLE")
            pushed.append(line)
            if want in line:
                break
        self.send(b"DONE\r\n")
        while True:
            line = self.readline()
            if not line:
                raise self.abort("connection closed after DONE")
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    raise self.error("IDLE failed: %r" % line)
                break
            pushed.append(line)
        return pushed


class LabPOP3(poplib.POP3):
    """poplib.POP3 that talks to a fixed address while keeping the server name."""

    def __init__(self, name, addr, port, timeout=30):
        self._lab_addr = addr
        super().__init__(name, port, timeout=timeout)

    def _create_socket(self, timeout):
        return socket.create_connection((self._lab_addr, self.port), timeout)


def check(result, what):
    """Raises unless an imaplib result is OK; returns its data."""
    typ, data = result
    if typ != "OK":
        raise imaplib.IMAP4.error("%s failed: %s %r" % (what, typ, data))
    return data
