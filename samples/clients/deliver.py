#!/usr/bin/env python3
"""Delivers one fixed message into a Maildir (tmp/ then rename into new/), as an MDA would.

Usage: deliver.py MAILDIR
The file gets the owner of MAILDIR so that the IMAP server can move it to cur/.
"""

import os
import sys

MESSAGE = """\
Return-Path: <teacher@mailscope.test>
Date: Wed, 11 Nov 2026 10:05:00 +0100
From: Teacher <teacher@mailscope.test>
To: Student <student@mailscope.test>
Subject: Room change for today's lab
Message-ID: <roomchange.20261111@mailscope.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

Today's lab moves to room C-110. Same time, same server.

Your teacher
"""

BASE = "1794387900.M8P1000.mailscope"   # fixed name: the sample mailbox is fresh each time


def main():
    maildir = sys.argv[1]
    st = os.stat(maildir)
    tmp = os.path.join(maildir, "tmp", BASE)
    with open(tmp, "w") as f:
        f.write(MESSAGE)
    os.chown(tmp, st.st_uid, st.st_gid)
    os.rename(tmp, os.path.join(maildir, "new", BASE))


if __name__ == "__main__":
    main()
