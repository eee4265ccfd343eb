#!/usr/bin/env python3
"""Interop for the lab's IMAP server (RFC 3501 and extensions): Python's
imaplib drives every command, curl fetches over plain IMAP and STARTTLS, and
mbsync (isync) copies the whole mailbox to a local Maildir and back. All run
against `mailscope-cli serve` on a free loopback port."""
import imaplib
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from imap_lab import Server, Tap, crlf, sample_messages, temp_lab  # noqa: E402

tap = Tap()


def check(cond, what):
    return tap.ok(cond, what)


def imaplib_session(port):
    M = imaplib.IMAP4("127.0.0.1", port)
    caps = M.capabilities
    for cap in ("IMAP4REV1", "IDLE", "LITERAL+", "UIDPLUS", "MOVE", "NAMESPACE", "ENABLE",
                "UNSELECT", "ID", "STARTTLS", "AUTH=PLAIN", "SASL-IR"):
        check(cap in caps, "capability %s" % cap)
    check(M.noop()[0] == "OK", "NOOP")
    check(M.login("student", "classroom")[0] == "OK", "LOGIN")
    typ, data = M.namespace()
    check(typ == "OK" and data[0] == b'(("" ".")) NIL NIL', "NAMESPACE")
    typ, data = M.xatom("ID", "NIL")
    check(typ == "OK" and b"Mailscope" in M.untagged_responses.pop("ID", [b""])[0], "ID")
    check(M.xatom("ENABLE", "UTF8=ACCEPT")[0] == "OK", "ENABLE")
    typ, data = M.list()
    names = [re.sub(rb'.*"\." "?([^"]*)"?$', rb"\1", x) for x in data]
    check(typ == "OK" and names == [b"INBOX", b"Archive", b"Sent"], "LIST")
    check(M.create("Lab.Week1")[0] == "OK", "CREATE")
    check(M.rename("Lab.Week1", "Lab.Week2")[0] == "OK", "RENAME")
    check(M.subscribe("Lab.Week2")[0] == "OK", "SUBSCRIBE")
    typ, data = M.lsub()
    check(typ == "OK" and any(b"Lab.Week2" in x for x in data), "LSUB")
    check(M.unsubscribe("Lab.Week2")[0] == "OK", "UNSUBSCRIBE")
    typ, data = M.status("INBOX", "(MESSAGES UIDNEXT UNSEEN)")
    check(typ == "OK" and b"MESSAGES 5" in data[0] and b"UIDNEXT 6" in data[0], "STATUS")
    typ, data = M.select("INBOX", readonly=True)
    check(typ == "OK" and data == [b"5"], "EXAMINE")
    typ, data = M.select("INBOX")
    check(typ == "OK" and data == [b"5"], "SELECT")
    msgs = sample_messages()
    typ, data = M.fetch("1:5", "(RFC822.SIZE)")
    sizes = [int(re.search(rb"RFC822.SIZE (\d+)", x).group(1)) for x in data]
    check(sizes == [len(crlf(m)) for m in msgs], "RFC822.SIZE counts CRLF")
    typ, data = M.fetch("3", "(BODY.PEEK[])")
    check(data[0][1] == crlf(msgs[2]), "BODY.PEEK[] is the message with CRLF")
    typ, data = M.fetch("3", "(FLAGS)")
    check(b"\\Seen" not in data[0], ".PEEK leaves \\Seen alone")
    typ, data = M.fetch("3", "(BODY[]<0.20>)")
    check(data[0][1] == crlf(msgs[2])[:20] and b"\\Seen" in data[1] if len(data) > 1
          else False, "partial BODY[] sets \\Seen")
    typ, data = M.fetch("5", "(BODYSTRUCTURE ENVELOPE)")
    check(typ == "OK" and b'"mixed"' in data[0] and b"notes.20261110" in data[0],
          "BODYSTRUCTURE and ENVELOPE")
    typ, data = M.search(None, "OR", "FLAGGED", "SUBJECT", "reminder")
    check(data == [b"2 4"], "SEARCH OR FLAGGED SUBJECT")
    typ, data = M.search(None, "SINCE", "5-Nov-2026", "NOT", "LARGER", "100000")
    check(data == [b"3 4"], "SEARCH SINCE NOT LARGER")
    typ, data = M.uid("SEARCH", None, "UID", "2:4", "UNSEEN")
    check(data == [b"4"], "UID SEARCH")
    typ, data = M.store("1", "+FLAGS", "(\\Answered)")
    check(typ == "OK" and b"\\Answered" in data[0], "STORE")
    typ, data = M.uid("STORE", "2", "-FLAGS.SILENT", "(\\Flagged)")
    check(typ == "OK" and data == [None], "UID STORE .SILENT")
    typ, data = M.uid("FETCH", "2", "(FLAGS)")
    check(b"\\Flagged" not in data[0] and b"UID 2" in data[0], "UID FETCH")
    typ, data = M.append("INBOX", "(\\Draft)", imaplib.Time2Internaldate(1800000000),
                         b"Subject: appended\r\n\r\nfrom imaplib\r\n")
    check(typ == "OK" and b"APPENDUID" in data[0], "APPEND")
    typ, data = M.copy("1:2", "Lab.Week2")
    check(typ == "OK" and b"COPYUID" in data[0], "COPY")
    typ, data = M.uid("COPY", "3", "Lab.Week2")
    check(typ == "OK", "UID COPY")
    typ, data = M._simple_command("MOVE", "6", "Archive")
    check(typ == "OK", "MOVE")
    typ, data = M.uid("MOVE", "5", "Archive")
    check(typ == "OK", "UID MOVE")
    typ, data = M.store("1", "+FLAGS", "(\\Deleted)")
    M.untagged_responses.clear()   # MOVE's EXPUNGE responses are not ours
    typ, data = M.expunge()
    check(typ == "OK" and data == [b"1"], "EXPUNGE")
    M.store("1", "+FLAGS", "(\\Deleted)")
    typ, data = M.uid("EXPUNGE", "999")
    check(typ == "OK" and data == [None], "UID EXPUNGE of another UID removes nothing")
    check(M.check()[0] == "OK", "CHECK")
    check(M.unselect()[0] == "OK", "UNSELECT")
    M.select("Lab.Week2")
    M.store("1", "+FLAGS", "(\\Deleted)")
    check(M.close()[0] == "OK", "CLOSE")
    typ, data = M.status("Lab.Week2", "(MESSAGES)")
    check(b"MESSAGES 2" in data[0], "CLOSE expunged")
    check(M.delete("Lab.Week2")[0] == "OK", "DELETE")
    # IDLE, with a second session delivering.
    M.select("INBOX")
    tag = M._new_tag()
    M.send(tag + b" IDLE\r\n")
    check(M.readline().startswith(b"+"), "IDLE continuation")
    other = imaplib.IMAP4("127.0.0.1", port)
    other.login("student", "classroom")
    other.append("INBOX", None, None, b"Subject: push\r\n\r\npushed\r\n")
    other.logout()
    M.sock.settimeout(2)
    line = M.readline()
    check(re.match(rb"\* \d+ EXISTS", line) is not None, "IDLE gets EXISTS from another session")
    M.send(b"DONE\r\n")
    while not line.startswith(tag):
        line = M.readline()
    check(b"OK" in line, "DONE ends IDLE")
    M.sock.settimeout(None)
    check(M.logout()[0] == "BYE", "LOGOUT")

    # AUTHENTICATE PLAIN with SASL-IR, and STARTTLS.
    M = imaplib.IMAP4("127.0.0.1", port)
    typ, data = M.authenticate("PLAIN", lambda _: b"\0student\0classroom")
    check(typ == "OK", "AUTHENTICATE PLAIN")
    M.logout()
    M = imaplib.IMAP4("127.0.0.1", port)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    check(M.starttls(ctx)[0] == "OK", "STARTTLS")
    check(M.login("student", "classroom")[0] == "OK", "LOGIN over TLS")
    M.logout()


def big_fetch(port):
    """A FETCH answer far larger than the server's output buffer, read
    slowly: it must arrive whole, followed by the pipelined NOOP."""
    M = imaplib.IMAP4("127.0.0.1", port)
    M.login("student", "classroom")
    M.create("Big")
    bodies = []
    for i in range(12):
        body = (b"Subject: big %d\r\n\r\n" % i) + (b"%02d" % i + b"y" * 76 + b"\r\n") * 13000
        bodies.append(body)
        M.append("Big", None, None, body)
    M.select("Big")
    M.sock.settimeout(30)
    tag = M._new_tag()
    M.send(tag + b" FETCH 1:* (BODY.PEEK[])\r\n" + tag + b"n NOOP\r\n")
    time.sleep(1.5)   # let the server's queue fill while nobody reads
    got = []
    ok_fetch = False
    line = b""
    try:
        line = M.readline()
        while line and not line.startswith(tag + b" "):
            m = re.search(rb"\{(\d+)\}\r\n$", line)
            if m:
                got.append(M.read(int(m.group(1))))
            line = M.readline()
        ok_fetch = line.startswith(tag + b" OK")
        line = M.readline()
    except (OSError, imaplib.IMAP4.abort):
        pass
    check(ok_fetch and got == bodies and line.startswith(tag + b"n OK"),
          "a 12 MB FETCH read slowly arrives whole, then the pipelined NOOP")
    if not ok_fetch:
        return
    M.logout()


def deliver_reaches_idle(port, work):
    """`mailscope-cli deliver` from another process: an IDLE session hears
    of it within a second (the hub watches new/ with inotify)."""
    from imap_lab import cli_path
    M = imaplib.IMAP4("127.0.0.1", port)
    M.login("student", "classroom")
    M.select("INBOX")
    tag = M._new_tag()
    M.send(tag + b" IDLE\r\n")
    M.readline()
    time.sleep(0.2)
    start = time.time()
    r = subprocess.run([cli_path(), "deliver", "--maildir", work, "-"],
                       input=b"Subject: delivered\n\nby an MTA\n", capture_output=True)
    M.sock.settimeout(3)
    line = b""
    try:
        line = M.readline()
    except OSError:
        pass
    took = time.time() - start
    check(r.returncode == 0 and re.match(rb"\* \d+ EXISTS", line) is not None and took < 1.0,
          "mailscope-cli deliver reaches an IDLE session in %.0f ms" % (took * 1000))
    M.send(b"DONE\r\n")
    M.sock.settimeout(None)
    M.logout()


def curl_checks(port):
    msgs = sample_messages()
    url = "imap://127.0.0.1:%d/INBOX/;UID=4" % port
    r = subprocess.run(["curl", "-s", "--max-time", "20", "-u", "student:classroom", url],
                       capture_output=True)
    check(r.returncode == 0 and r.stdout == crlf(msgs[3]), "curl imap:// fetches UID 4")
    r = subprocess.run(["curl", "-s", "-k", "--ssl-reqd", "--max-time", "20", "-u",
                        "student:classroom", url], capture_output=True)
    check(r.returncode == 0 and r.stdout == crlf(msgs[3]), "curl --ssl-reqd (STARTTLS)")
    r = subprocess.run(["curl", "-s", "--max-time", "20", "-u", "student:classroom",
                        "imap://127.0.0.1:%d/" % port], capture_output=True)
    check(r.returncode == 0 and b"INBOX" in r.stdout, "curl LIST")


def maildir_messages(path):
    """{Message-ID or subject: (bytes with LF, flags)} of a Maildir folder."""
    out = {}
    for sub in ("cur", "new"):
        d = os.path.join(path, sub)
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            data = open(os.path.join(d, name), "rb").read().replace(b"\r\n", b"\n")
            data = re.sub(rb"^X-TUID: .*\n", b"", data, flags=re.M)
            flags = name.split(":2,")[1] if ":2," in name else ""
            flags = "".join(sorted(c for c in flags if c.isupper()))
            m = re.search(rb"^(?:Message-ID|Subject): (.*)$", data, re.M | re.I)
            out[m.group(1) if m else name.encode()] = (data, flags)
    return out


def server_messages(port, box):
    M = imaplib.IMAP4("127.0.0.1", port)
    M.login("student", "classroom")
    typ, data = M.select(box, readonly=True)
    out = {}
    if int(data[0]) > 0:
        typ, data = M.fetch("1:*", "(FLAGS BODY.PEEK[])")
        for i in range(0, len(data), 2):
            meta, body = data[i]
            flags_txt = meta + (data[i + 1] if isinstance(data[i + 1], bytes) else b"")
            letters = {b"\\Seen": "S", b"\\Answered": "R", b"\\Flagged": "F",
                       b"\\Deleted": "T", b"\\Draft": "D"}
            flags = "".join(sorted(v for k, v in letters.items() if k in flags_txt))
            body = body.replace(b"\r\n", b"\n")
            # mbsync marks what it uploads with X-TUID (to find it again
            # after an interruption); it is not part of the comparison.
            body = re.sub(rb"^X-TUID: .*\n", b"", body, flags=re.M)
            m = re.search(rb"^(?:Message-ID|Subject): (.*)$", body, re.M | re.I)
            out[m.group(1) if m else str(i).encode()] = (body, flags)
    M.logout()
    return out


def mbsync_checks(port, work):
    local = os.path.join(work, "local")
    os.makedirs(local)
    rc = os.path.join(work, "mbsyncrc")
    with open(rc, "w") as f:
        f.write("""IMAPAccount lab
Host 127.0.0.1
Port %d
User student
Pass classroom
SSLType None
AuthMechs LOGIN

IMAPStore lab-remote
Account lab

MaildirStore lab-local
Path %s/
Inbox %s/INBOX
SubFolders Verbatim

Channel lab
Far :lab-remote:
Near :lab-local:
Patterns *
Create Both
Expunge Both
SyncState *
""" % (port, local, local))
    r = subprocess.run(["mbsync", "-c", rc, "-a"], capture_output=True, timeout=120)
    if not check(r.returncode == 0, "mbsync pulls the mailbox"):
        sys.stderr.write(r.stdout.decode() + r.stderr.decode())
        return
    for box, path in (("INBOX", "INBOX"), ("Archive", "Archive"), ("Sent", "Sent")):
        theirs = maildir_messages(os.path.join(local, path))
        ours = server_messages(port, box)
        check(theirs == ours and len(ours) > 0,
              "mbsync copy of %s is identical (messages and flags)" % box)
    # Back: flag a message locally, add one, and sync again.
    inbox = os.path.join(local, "INBOX")
    cur = os.path.join(inbox, "cur")
    name = sorted(n for n in os.listdir(cur) if "F" not in n.split(":2,")[1])[0]
    base, info = name.split(":2,")
    os.rename(os.path.join(cur, name), os.path.join(cur, base + ":2," +
                                                    "".join(sorted(info + "F"))))
    with open(os.path.join(inbox, "new", "1800000000.local1.host"), "wb") as f:
        f.write(b"Message-ID: <from-mbsync@mailscope.test>\nSubject: up\n\nuploaded by mbsync\n")
    r = subprocess.run(["mbsync", "-c", rc, "-a"], capture_output=True, timeout=120)
    check(r.returncode == 0, "mbsync pushes changes")
    theirs = maildir_messages(inbox)
    ours = server_messages(port, "INBOX")
    if not check(theirs == ours and b"<from-mbsync@mailscope.test>" in ours,
                 "after the push both sides are identical"):
        for k in sorted(set(theirs) | set(ours)):
            if theirs.get(k) != ours.get(k):
                sys.stderr.write("differs: %r\n local %r\n server %r\n" % (k, theirs.get(k), ours.get(k)))
    r = subprocess.run(["mbsync", "-c", rc, "-a"], capture_output=True, timeout=120)
    check(r.returncode == 0 and maildir_messages(inbox) == server_messages(port, "INBOX"),
          "a third sync changes nothing")


def require_tls_checks(work):
    """--require-tls: LOGINDISABLED until STARTTLS; implicit TLS (imaps)."""
    srv = Server(work, ["--require-tls"])
    try:
        port = srv.start()
        M = imaplib.IMAP4("127.0.0.1", port)
        check("LOGINDISABLED" in M.capabilities and "AUTH=PLAIN" not in M.capabilities,
              "--require-tls advertises LOGINDISABLED")
        try:
            M.login("student", "classroom")
            refused = False
        except imaplib.IMAP4.error as e:
            refused = "PRIVACYREQUIRED" in str(e)
        check(refused, "--require-tls refuses LOGIN before STARTTLS")
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        M.starttls(ctx)
        check("AUTH=PLAIN" in M.capabilities and M.login("student", "classroom")[0] == "OK",
              "--require-tls accepts LOGIN after STARTTLS")
        M.logout()
        url = "imap://127.0.0.1:%d/INBOX/;UID=1" % port
        r = subprocess.run(["curl", "-s", "--max-time", "20", "-u", "student:classroom", url],
                           capture_output=True)
        check(r.returncode != 0 and r.stdout == b"", "curl without TLS gets nothing")
    finally:
        srv.stop()


def main():
    work = temp_lab()
    srv = Server(work)
    try:
        port = srv.start()
        imaplib_session(port)
        big_fetch(port)
        deliver_reaches_idle(port, work)
        curl_checks(port)
        require_tls_checks(work)
        if shutil.which("mbsync"):
            mbsync_checks(port, work)
        else:
            tap.skip("mbsync", "isync is not installed")
    finally:
        srv.stop()
        shutil.rmtree(work, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
