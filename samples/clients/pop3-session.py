#!/usr/bin/env python3
"""Plays one scripted POP3 (RFC 1939) session against the lab server for a sample capture.

Scenarios:
  retr   CAPA, USER/PASS, STAT, LIST, UIDL, RETR of every message, QUIT
  stls   CAPA, STLS (RFC 2595), CAPA, USER/PASS inside TLS, STAT, LIST, RETR 1, QUIT
"""

import argparse
import os
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mslab  # noqa: E402

USER = "student"
PASSWORD = "classroom"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", choices=["retr", "stls"])
    p.add_argument("--name", default="pop.mailscope.test")
    p.add_argument("--dns", default="127.0.0.1", help="address of the lab DNS server")
    p.add_argument("--dns-port", type=int, default=53)
    p.add_argument("--qtype", choices=["A", "AAAA"], default="A")
    p.add_argument("--port", type=int, default=110)
    p.add_argument("--cafile", help="certificate to trust for STLS")
    p.add_argument("--keylog", help="write TLS secrets here (NSS key log format)")
    return p.parse_args()


def main():
    args = parse_args()
    addr = mslab.resolve(args.name, args.qtype, args.dns, args.dns_port, 0x2001)
    p = mslab.LabPOP3(args.name, addr, args.port)
    if args.scenario == "retr":
        p.capa()
    else:
        # poplib's stls() sends CAPA itself to check for STLS first.
        ctx = ssl.create_default_context(cafile=args.cafile)
        if not args.cafile:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if args.keylog:
            if os.path.exists(args.keylog):
                os.unlink(args.keylog)
            ctx.keylog_filename = args.keylog
        p.stls(context=ctx)
        p.capa()
    p.user(USER)
    p.pass_(PASSWORD)
    count, _ = p.stat()
    p.list()
    if args.scenario == "retr":
        p.uidl()
        for n in range(1, count + 1):
            p.retr(n)
    else:
        p.retr(1)
    p.quit()


if __name__ == "__main__":
    main()
