#!/usr/bin/env python3
"""Runs many IMAP and POP3 sessions against a server, to fill a benchmark capture.

usage: bench-client.py HOST IMAP_PORT POP3_PORT USER PASSWORD MEGABYTES

Every IMAP session logs in (LOGIN or AUTHENTICATE PLAIN), lists folders, asks
STATUS, opens INBOX read-only (EXAMINE), fetches the overview and the headers,
searches, fetches every body and the first 4 KiB of each message's second part,
idles briefly, sends NOOP and logs out; one session in ten also APPENDs a small
message. Every POP3 session logs in, runs STAT/LIST/UIDL, retrieves every
message, runs TOP and quits. Sessions alternate until the server has sent
roughly MEGABYTES of mail content.
"""

import imaplib
import poplib
import sys
import time

IDLE_SECONDS = 0.02        # long enough for the server to answer "+ idling"
APPEND_EVERY = 10          # one IMAP session in ten uploads a message
SMALL_MESSAGE = (
    b"From: student@mailscope.test\r\n"
    b"To: teacher@mailscope.test\r\n"
    b"Subject: benchmark note\r\n"
    b"\r\n"
    b"A short note uploaded with APPEND.\r\n"
)


def imap_idle(imap):
    """Sends IDLE, waits for the continuation, ends it with DONE; returns the tagged reply."""
    tag = imap._new_tag()
    imap.send(tag + b" IDLE\r\n")
    line = imap.readline()
    if not line.startswith(b"+"):
        raise RuntimeError("IDLE refused: %r" % line)
    time.sleep(IDLE_SECONDS)
    imap.send(b"DONE\r\n")
    while True:
        line = imap.readline()
        if not line:
            raise RuntimeError("connection closed during IDLE")
        if line.startswith(tag + b" "):
            return line


def imap_session(host, port, user, password, number):
    """Runs one IMAP session; returns the bytes of message content fetched."""
    fetched = 0
    imap = imaplib.IMAP4(host, port)
    imap.capability()
    if number % 2:
        imap.authenticate("PLAIN", lambda _: ("\0%s\0%s" % (user, password)).encode())
    else:
        imap.login(user, password)
    imap.list()
    imap.status("INBOX", "(MESSAGES UNSEEN)")
    imap.select("INBOX", readonly=True)
    imap.fetch("1:*", "(UID FLAGS RFC822.SIZE ENVELOPE BODYSTRUCTURE)")
    imap.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)])")
    _, data = imap.search(None, "ALL")
    for num in data[0].split():
        _, parts = imap.fetch(num, "(BODY.PEEK[])")
        for part in parts:
            if isinstance(part, tuple):
                fetched += len(part[1])
        imap.fetch(num, "(BODY.PEEK[2]<0.4096>)")
    imap_idle(imap)
    imap.noop()
    if number % APPEND_EVERY == 0:
        imap.append("Sent", "(\\Seen)", None, SMALL_MESSAGE)
    imap.close()
    imap.logout()
    return fetched


def pop3_session(host, port, user, password):
    """Runs one POP3 session; returns the bytes of message content retrieved."""
    fetched = 0
    pop = poplib.POP3(host, port)
    pop.capa()
    pop.user(user)
    pop.pass_(password)
    pop.stat()
    _, listing, _ = pop.list()
    pop.uidl()
    for entry in listing:
        num = int(entry.split()[0])
        _, lines, octets = pop.retr(num)
        fetched += octets
        pop.top(num, 5)
    pop.noop()
    pop.quit()
    return fetched


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    host, imap_port, pop_port, user, password, megabytes = sys.argv[1:]
    target = int(megabytes) * 1024 * 1024
    total = 0
    sessions = 0
    while total < target:
        if sessions % 2 == 0:
            total += imap_session(host, int(imap_port), user, password, sessions // 2)
        else:
            total += pop3_session(host, int(pop_port), user, password)
        sessions += 1
    print("%d sessions, %d bytes of mail content" % (sessions, total))


if __name__ == "__main__":
    main()
