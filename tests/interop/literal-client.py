#!/usr/bin/env python3
"""Client for tests/interop/record.sh: the IMAP and POP3 lines tshark misreads.

usage: literal-client.py HOST IMAP_PORT POP3_PORT USER PASSWORD

Speaks raw IMAP (RFC 9051/3501) and POP3 (RFC 1939, AUTH: RFC 5034) so that the
capture holds, in order: a LOGIN whose user name and password are synchronising
literals, an APPEND with a synchronising literal, an APPEND with a
non-synchronising one (LITERAL+, RFC 7888), IDLE ended by DONE, AUTHENTICATE
PLAIN and AUTHENTICATE LOGIN answered line by line, POP3 AUTH PLAIN and AUTH
LOGIN answered line by line. Fails loudly when the server answers otherwise.
"""

import base64
import socket
import sys
import time

TIMEOUT = 5.0              # seconds; the server is on loopback
PAUSE = 0.05               # seconds between client writes, so each line is its own segment
MESSAGE = (
    b"From: student@mailscope.test\r\n"
    b"To: teacher@mailscope.test\r\n"
    b"Subject: uploaded with APPEND\r\n"
    b"\r\n"
    b"These lines are message text inside a literal, not commands.\r\n"
)


class Conn:
    """A line-oriented TCP client that sends each write as its own segment."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), TIMEOUT)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)
        time.sleep(PAUSE)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def until(self, prefix):
        """Reads lines until one starts with PREFIX; returns it."""
        while True:
            line = self.line()
            if line.startswith(prefix):
                return line

    def close(self):
        self.sock.close()


def expect(line, prefix):
    if not line.startswith(prefix):
        raise RuntimeError("expected %r, got %r" % (prefix, line))


def b64(text):
    return base64.b64encode(text.encode()) + b"\r\n"


def imap_literals(host, port, user, password):
    c = Conn(host, port)
    expect(c.line(), b"* OK")
    c.send(b"a1 LOGIN {%d}\r\n" % len(user))
    expect(c.until(b"+"), b"+")
    c.send(user.encode() + b" {%d}\r\n" % len(password))
    expect(c.until(b"+"), b"+")
    c.send(password.encode() + b"\r\n")
    expect(c.until(b"a1 "), b"a1 OK")
    c.send(b"a2 SELECT INBOX\r\n")
    expect(c.until(b"a2 "), b"a2 OK")
    c.send(b"a3 APPEND Sent (\\Seen) {%d}\r\n" % len(MESSAGE))
    expect(c.until(b"+"), b"+")
    c.send(MESSAGE)
    c.send(b"\r\n")
    expect(c.until(b"a3 "), b"a3 OK")
    c.send(b"a4 APPEND Sent {%d+}\r\n" % len(MESSAGE) + MESSAGE + b"\r\n")
    expect(c.until(b"a4 "), b"a4 OK")
    c.send(b"a5 IDLE\r\n")
    expect(c.until(b"+"), b"+")
    c.send(b"DONE\r\n")
    expect(c.until(b"a5 "), b"a5 OK")
    c.send(b"a6 LOGOUT\r\n")
    expect(c.until(b"a6 "), b"a6 OK")
    c.close()


def imap_sasl(host, port, user, password):
    c = Conn(host, port)
    expect(c.line(), b"* OK")
    c.send(b"b1 AUTHENTICATE PLAIN\r\n")
    expect(c.until(b"+"), b"+")
    c.send(b64("\0%s\0%s" % (user, password)))
    expect(c.until(b"b1 "), b"b1 OK")
    c.send(b"b2 LOGOUT\r\n")
    expect(c.until(b"b2 "), b"b2 OK")
    c.close()

    c = Conn(host, port)
    expect(c.line(), b"* OK")
    c.send(b"c1 AUTHENTICATE LOGIN\r\n")
    expect(c.until(b"+"), b"+")
    c.send(b64(user))
    expect(c.until(b"+"), b"+")
    c.send(b64(password))
    expect(c.until(b"c1 "), b"c1 OK")
    c.send(b"c2 LOGOUT\r\n")
    expect(c.until(b"c2 "), b"c2 OK")
    c.close()


def pop3_sasl(host, port, user, password):
    c = Conn(host, port)
    expect(c.line(), b"+OK")
    c.send(b"AUTH PLAIN\r\n")
    expect(c.line(), b"+ ")
    c.send(b64("\0%s\0%s" % (user, password)))
    expect(c.line(), b"+OK")
    c.send(b"STAT\r\n")
    expect(c.line(), b"+OK")
    c.send(b"QUIT\r\n")
    expect(c.line(), b"+OK")
    c.close()

    c = Conn(host, port)
    expect(c.line(), b"+OK")
    c.send(b"AUTH LOGIN\r\n")
    expect(c.line(), b"+ ")
    c.send(b64(user))
    expect(c.line(), b"+ ")
    c.send(b64(password))
    expect(c.line(), b"+OK")
    c.send(b"QUIT\r\n")
    expect(c.line(), b"+OK")
    c.close()


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    host, imap_port, pop3_port, user, password = sys.argv[1:]
    imap_literals(host, int(imap_port), user, password)
    imap_sasl(host, int(imap_port), user, password)
    pop3_sasl(host, int(pop3_port), user, password)


if __name__ == "__main__":
    main()
