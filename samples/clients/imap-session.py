#!/usr/bin/env python3
"""Plays one scripted IMAP (RFC 3501) session against the lab server for a sample capture.

Scenarios:
  idle-partial  CAPABILITY, LOGIN, LIST, SELECT, UID FETCH of metadata, the text
                part of the newest message, a 4096-byte slice of its attachment,
                IDLE while --on-idle delivers a message, DONE, LOGOUT
  starttls      CAPABILITY, STARTTLS (RFC 2595), CAPABILITY, LOGIN inside TLS,
                SELECT, UID FETCH of flags, LOGOUT
  basic         CAPABILITY, LOGIN, LIST, SELECT, UID FETCH of metadata, one whole
                message, NOOP, LOGOUT
  midstream     like basic, but after SELECT it creates --pause-file + ".ready"
                and waits for --pause-file + ".go" before it continues, so that
                the capture can start in the middle of the session
"""

import argparse
import os
import random
import re
import shlex
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mslab  # noqa: E402

USER = "student"
PASSWORD = "classroom"
SEED = 143          # any constant; it only fixes the tag prefix
PAUSE_LIMIT = 30.0   # seconds to wait for the recorder before giving up


def parse_args():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", choices=["idle-partial", "starttls", "basic", "midstream"])
    p.add_argument("--name", default="imap.mailscope.test")
    p.add_argument("--dns", default="127.0.0.1", help="address of the lab DNS server")
    p.add_argument("--dns-port", type=int, default=53)
    p.add_argument("--qtype", choices=["A", "AAAA"], default="A")
    p.add_argument("--port", type=int, default=143)
    p.add_argument("--srv", metavar="DOMAIN",
                   help="find server and port with an SRV query for _imap._tcp.DOMAIN (RFC 6186)")
    p.add_argument("--cafile", help="certificate to trust for STARTTLS")
    p.add_argument("--keylog", help="write TLS secrets here (NSS key log format)")
    p.add_argument("--on-idle", help="shell command run once IDLE is accepted")
    p.add_argument("--pause-file", help="prefix of the files used to pause (midstream)")
    return p.parse_args()


def tls_context(args):
    ctx = ssl.create_default_context(cafile=args.cafile)
    if not args.cafile:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if args.keylog:
        if os.path.exists(args.keylog):
            os.unlink(args.keylog)
        ctx.keylog_filename = args.keylog
    return ctx


def pause(prefix):
    open(prefix + ".ready", "w").close()
    deadline = time.monotonic() + PAUSE_LIMIT
    while not os.path.exists(prefix + ".go"):
        if time.monotonic() > deadline:
            raise SystemExit("imap-session: nobody said go")
        time.sleep(0.05)


def main():
    args = parse_args()
    check = mslab.check
    if args.srv:
        args.name, args.port = mslab.resolve("_imap._tcp." + args.srv, "SRV",
                                             args.dns, args.dns_port, 0x1000)
    addr = mslab.resolve(args.name, args.qtype, args.dns, args.dns_port, 0x1001)
    # imaplib draws its tag prefix from the random module: fix it so that the
    # commands are identical from one recording to the next.
    random.seed(SEED)
    # imaplib sends CAPABILITY itself right after the greeting.
    m = mslab.LabIMAP(args.name, addr, args.port)
    if args.scenario == "starttls":
        check(m.starttls(ssl_context=tls_context(args)), "STARTTLS")
    check(m.login(USER, PASSWORD), "LOGIN")
    if args.scenario != "starttls":
        check(m.list('""', "*"), "LIST")
    check(m.select("INBOX"), "SELECT")
    if args.scenario == "midstream":
        pause(args.pause_file)
    if args.scenario == "starttls":
        check(m.uid("FETCH", "1:*", "(FLAGS)"), "UID FETCH")
    else:
        meta = check(m.uid("FETCH", "1:*", "(FLAGS ENVELOPE RFC822.SIZE BODYSTRUCTURE)"),
                     "UID FETCH")
    if args.scenario == "idle-partial":
        uids = [int(u) for item in meta
                for u in re.findall(rb"UID (\d+)", item if isinstance(item, bytes) else item[0])]
        newest = str(max(uids))
        check(m.uid("FETCH", newest, "(BODY.PEEK[1])"), "UID FETCH text")
        check(m.uid("FETCH", newest, "(BODY.PEEK[2]<0.4096>)"), "UID FETCH partial")
        m.idle_until(lambda: subprocess.Popen(shlex.split(args.on_idle)) if args.on_idle else None)
    elif args.scenario in ("basic", "midstream"):
        check(m.uid("FETCH", "1", "(BODY.PEEK[])"), "UID FETCH body")
        check(m.noop(), "NOOP")
    m.logout()


if __name__ == "__main__":
    main()
