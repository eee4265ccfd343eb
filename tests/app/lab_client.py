#!/usr/bin/env python3
"""A real IMAP client for the lab panel's test (Python's imaplib and a raw
socket for IDLE, which imaplib lacks before Python 3.14).

  lab_client.py login PORT USER PASSWORD   LOGIN, SELECT INBOX, LOGOUT
  lab_client.py idle PORT USER PASSWORD    LOGIN, SELECT INBOX, IDLE until a
                                           new message is announced
  lab_client.py noop PORT USER PASSWORD N  LOGIN, then N NOOPs (a long log)

Prints one result line; exit status 0 on success, 2 when the server refused
the login, 1 otherwise."""
import imaplib
import socket
import sys

# A fail-safe for a server that never answers; a passing run is fast.
TIMEOUT_S = 60


def login(port, user, password):
    imap = imaplib.IMAP4("127.0.0.1", port, timeout=TIMEOUT_S)
    try:
        imap.login(user, password)
    except imaplib.IMAP4.error as e:
        print("REFUSED", e)
        return 2
    typ, data = imap.select("INBOX")
    print("OK", typ, data[0].decode())
    imap.logout()
    return 0


def idle(port, user, password):
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S)
    f = sock.makefile("rwb")

    def cmd(line):
        f.write(line.encode() + b"\r\n")
        f.flush()

    def until(prefix):
        while True:
            line = f.readline()
            if not line:
                raise EOFError("server closed the connection")
            line = line.decode().rstrip("\r\n")
            if line.startswith(prefix):
                return line

    until("* OK")
    cmd("a1 LOGIN %s %s" % (user, password))
    if not until("a1 ").startswith("a1 OK"):
        print("REFUSED")
        return 2
    cmd("a2 SELECT INBOX")
    until("a2 OK")
    cmd("a3 IDLE")
    until("+")
    pushed = until("* ")
    while not pushed.endswith(" EXISTS"):
        pushed = until("* ")
    cmd("DONE")
    until("a3 OK")
    cmd("a4 LOGOUT")
    print("PUSHED", pushed)
    return 0


def noop(port, user, password, n):
    imap = imaplib.IMAP4("127.0.0.1", port, timeout=TIMEOUT_S)
    imap.login(user, password)
    for _ in range(n):
        imap.noop()
    imap.logout()
    print("OK", n, "NOOPs")
    return 0


if __name__ == "__main__":
    mode, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    try:
        if mode == "login":
            sys.exit(login(port, user, password))
        if mode == "noop":
            sys.exit(noop(port, user, password, int(sys.argv[5])))
        sys.exit(idle(port, user, password))
    except Exception as e:  # report, do not hang the test
        print("ERROR", e)
        sys.exit(1)
