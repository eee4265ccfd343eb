#!/usr/bin/env python3
"""Crash test for the lab's IMAP server: `mailscope-cli serve` is killed
with SIGKILL while clients APPEND, MOVE and EXPUNGE, then restarted. After
every restart each stored message must be byte-identical to one that was
sent (nothing truncated), every acknowledged APPEND must still be there
unless the test itself expunged it, and no UID may ever name two different
messages (no UID reuse, UIDNEXT beyond every UID handed out)."""
import imaplib
import os
import random
import re
import shutil
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from imap_lab import Server, Tap, temp_lab  # noqa: E402

ROUNDS = 8
BOXES = ("INBOX", "Archive")

tap = Tap()
rng = random.Random(3501)
payloads = {}          # Message-ID → bytes sent
acked = set()          # Message-IDs whose APPEND was answered OK
expunge_asked = set()  # Message-IDs the test asked to remove
uid_owner = {b: {} for b in BOXES}   # uid → Message-ID ever seen
lock = threading.Lock()
counter = [0]


def new_message():
    with lock:
        counter[0] += 1
        n = counter[0]
    mid = "<crash-%d@mailscope.test>" % n
    size = rng.choice((200, 5000, 300000, 2000000))
    body = ("line %d of message %d\n" % (0, n)) * 1
    filler = ("x" * 70 + "\n") * (size // 71)
    # imaplib sends CRLF line ends, and the server stores what it gets.
    data = ("Message-ID: %s\r\nSubject: crash %d\r\n\r\n%s%s" % (mid, n, body, filler))
    data = data.replace("\r\n", "\n").replace("\n", "\r\n").encode()
    with lock:
        payloads[mid] = data
    return mid, data


def note_uid(box, uid, mid):
    with lock:
        old = uid_owner[box].get(uid)
        if old is not None and old != mid:
            return False
        uid_owner[box][uid] = mid
        return True


reused = []


def appender(port, stop):
    try:
        M = imaplib.IMAP4("127.0.0.1", port, timeout=5)
        M.login("student", "classroom")
        while not stop.is_set():
            mid, data = new_message()
            typ, resp = M.append("INBOX", None, None, data)
            if typ == "OK":
                with lock:
                    acked.add(mid)
                m = re.search(rb"APPENDUID \d+ (\d+)", resp[0])
                if m and not note_uid("INBOX", int(m.group(1)), mid):
                    reused.append(("INBOX", int(m.group(1))))
    except (OSError, imaplib.IMAP4.error, EOFError):
        pass


def mover(port, stop):
    try:
        M = imaplib.IMAP4("127.0.0.1", port, timeout=5)
        M.login("student", "classroom")
        M.select("INBOX")
        while not stop.is_set():
            typ, data = M.uid("SEARCH", None, "ALL")
            uids = data[0].split()
            if len(uids) < 3:
                M.noop()
                time.sleep(0.01)
                continue
            pick = rng.sample(uids, 2)
            typ, data = M.uid("FETCH", b",".join(pick),
                              "(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            ids = {}
            for item in data:
                if isinstance(item, tuple):
                    u = int(re.search(rb"UID (\d+)", item[0]).group(1))
                    m = re.search(rb"<[^>]+>", item[1])
                    if m:
                        ids[u] = m.group(0).decode()
            move_uid, del_uid = int(pick[0]), int(pick[1])
            M.uid("MOVE", str(move_uid), "Archive")
            if del_uid in ids:
                with lock:
                    expunge_asked.add(ids[del_uid])
            M.uid("STORE", str(del_uid), "+FLAGS.SILENT", "(\\Deleted)")
            M.expunge()
    except (OSError, imaplib.IMAP4.error, EOFError):
        pass


def on_disk(work, box):
    root = os.path.join(work, "student") if box == "INBOX" else os.path.join(work, "student", "." + box)
    out = []
    for sub in ("cur", "new"):
        for name in os.listdir(os.path.join(root, sub)):
            if name.startswith("."):
                continue
            out.append((name, open(os.path.join(root, sub, name), "rb").read()))
    return out


def verify(work, port, rnd):
    samples = set()
    seed = os.path.join(os.environ["MS_SOURCE_ROOT"], "samples", "maildir", "student")
    for dirpath, dirs, files in os.walk(seed):
        for f in files:
            samples.add(open(os.path.join(dirpath, f), "rb").read())
    sent = {v: k for k, v in payloads.items()}
    intact = True
    present = set()
    for box in BOXES:
        for name, data in on_disk(work, box):
            if data in sent:
                present.add(sent[data])
            elif data not in samples:
                intact = False
                sys.stderr.write("round %d: %s/%s is not a message that was sent (%d bytes)\n"
                                 % (rnd, box, name, len(data)))
    tap.ok(intact, "round %d: every stored message is intact" % rnd)
    lost = {m for m in acked if m not in present and m not in expunge_asked}
    tap.ok(not lost, "round %d: no acknowledged message lost (%d acked)" % (rnd, len(acked)))
    if lost:
        sys.stderr.write("lost: %s\n" % sorted(lost)[:5])
    M = imaplib.IMAP4("127.0.0.1", port, timeout=20)
    M.login("student", "classroom")
    no_reuse = not reused
    for box in BOXES:
        typ, data = M.select(box)
        typ, nextd = M.status(box, "(UIDNEXT)")
        uidnext = int(re.search(rb"UIDNEXT (\d+)", nextd[0]).group(1))
        seen = set()
        if int(M.untagged_responses.get("EXISTS", [b"0"])[-1]) > 0:
            typ, data = M.fetch("1:*", "(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            for item in data:
                if not isinstance(item, tuple):
                    continue
                uid = int(re.search(rb"UID (\d+)", item[0]).group(1))
                m = re.search(rb"<[^>]+>", item[1])
                mid = m.group(0).decode() if m else "sample"
                if uid in seen or not note_uid(box, uid, mid):
                    no_reuse = False
                    sys.stderr.write("round %d: UID %d of %s names two messages\n" % (rnd, uid, box))
                seen.add(uid)
        highest = max(uid_owner[box]) if uid_owner[box] else 0
        if uidnext <= highest:
            no_reuse = False
            sys.stderr.write("round %d: %s UIDNEXT %d but UID %d was handed out\n"
                             % (rnd, box, uidnext, highest))
    M.logout()
    tap.ok(no_reuse, "round %d: no UID reused" % rnd)


def main():
    work = temp_lab()
    srv = Server(work)
    try:
        port = srv.start()
        for rnd in range(1, ROUNDS + 1):
            stop = threading.Event()
            threads = [threading.Thread(target=appender, args=(port, stop)),
                       threading.Thread(target=appender, args=(port, stop)),
                       threading.Thread(target=mover, args=(port, stop))]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.2, 0.8))
            srv.kill9()
            stop.set()
            for t in threads:
                t.join(10)
            port = srv.start()
            verify(work, port, rnd)
        tap.ok(len(acked) > 20, "enough traffic (%d appends acknowledged)" % len(acked))
    finally:
        srv.stop()
        shutil.rmtree(work, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
