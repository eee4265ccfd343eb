#!/usr/bin/env python3
"""Writes the sample Maildir samples/maildir/student (deterministic output).

Run from anywhere: python3 samples/make-maildir.py [OUTDIR]
The default OUTDIR is the maildir/student folder beside this script. The
folder is replaced as a whole. Every byte written depends only on this script,
so running it twice gives identical files (the PDF included).
"""

import base64
import calendar
import os
import quopri
import shutil
import sys
import textwrap
import time

HOST = "mailscope"          # the host part of Maildir file names
DOMAIN = "mailscope.test"   # RFC 2606 reserved name: never a real mail domain

PDF_TARGET = 200 * 1024     # the attachment must be big enough to be worth a partial fetch


def epoch(datestr):
    """Seconds since 1970 for an RFC 5322 date with a numeric zone."""
    parts = datestr.split()
    zone = parts[-1]
    t = time.strptime(" ".join(parts[:-1]), "%a, %d %b %Y %H:%M:%S")
    off = (int(zone[1:3]) * 3600 + int(zone[3:5]) * 60) * (1 if zone[0] == "+" else -1)
    return calendar.timegm(t) - off


def b64_lines(data):
    """Base64 in 76-character lines, as MIME wants (RFC 2045 section 6.8)."""
    enc = base64.b64encode(data).decode("ascii")
    return "\n".join(enc[i:i + 76] for i in range(0, len(enc), 76)) + "\n"


def encoded_word(text):
    """An RFC 2047 B encoded-word for a UTF-8 header text."""
    return "=?UTF-8?B?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="


def make_pdf():
    """A text-only PDF 1.4 of about PDF_TARGET bytes, with a correct xref table."""
    topics = [
        "The client asks DNS for the address of imap.mailscope.test.",
        "A TCP handshake opens the connection to port 143 (IMAP) or 110 (POP3).",
        "The server greets first: '* OK' for IMAP, '+OK' for POP3.",
        "CAPABILITY tells the client what the server can do.",
        "LOGIN sends the password; without TLS anyone on the path can read it.",
        "LIST shows the folders, SELECT opens one and reports EXISTS and RECENT.",
        "FETCH ENVELOPE and BODYSTRUCTURE describe messages without moving them.",
        "BODY.PEEK[1] downloads one part; <0.4096> downloads only a slice of it.",
        "IDLE keeps the connection open; the server pushes EXISTS for new mail.",
        "POP3 RETR always moves the whole message, attachments included.",
        "A line that starts with a dot is doubled on the wire by POP3.",
        "LOGOUT and QUIT end the session; FIN closes the TCP connection.",
    ]
    objects = []  # object bodies, numbered from 1

    def add(body):
        objects.append(body)
        return len(objects)

    catalog = add(None)
    pages = add(None)
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    kids = []
    page_no = 0
    total = 0
    while total < PDF_TARGET:
        page_no += 1
        lines = ["BT", "/F1 16 Tf", "56 780 Td",
                 "(How mail is received - lecture notes, page %d) Tj" % page_no,
                 "/F1 10 Tf", "0 -24 Td"]
        for i in range(56):
            topic = topics[(page_no + i) % len(topics)]
            text = "%d.%02d  %s" % (page_no, i + 1, topic)
            text = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            lines.append("(%s) Tj 0 -12.5 Td" % text)
        lines.append("ET")
        stream = ("\n".join(lines) + "\n").encode("latin-1")
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream")
        page = add(("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
                    "/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                    % (pages, font, content)).encode("ascii"))
        kids.append(page)
        total += len(stream) + 200
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages
    objects[pages - 1] = ("<< /Type /Pages /Kids [%s] /Count %d >>"
                          % (" ".join("%d 0 R" % k for k in kids), len(kids))).encode("ascii")
    info = add(b"<< /Title (How mail is received) /Author (Mailscope course) "
               b"/CreationDate (D:20261102090000Z) >>")

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += (b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objects) + 1, catalog, info, xref))
    return bytes(out)


def headers(date, frm, to, subject, msgid, extra=()):
    h = ["Return-Path: <%s>" % frm.split("<")[-1].rstrip(">"),
         "Date: " + date,
         "From: " + frm,
         "To: " + to,
         "Subject: " + subject,
         "Message-ID: <%s@%s>" % (msgid, DOMAIN),
         "MIME-Version: 1.0"]
    h.extend(extra)
    return "\n".join(h) + "\n"


TEACHER = "Teacher <teacher@%s>" % DOMAIN
STUDENT = "Student <student@%s>" % DOMAIN


def msg_welcome():
    date = "Mon, 02 Nov 2026 09:00:00 +0100"
    body = textwrap.dedent("""\
        Hello and welcome to the mail lab!

        This term we watch a mail client talk to a mail server, one packet at a
        time. Three things to try before the first lesson:

        1. Find the hidden file in your home folder that configures mail:
        .mailrc
        2. Read the line below. It starts with a dot, so POP3 sends it as "..":
        . this line starts with a dot and a space
        3. A line holding only a dot would end a POP3 reply early, so the
        server doubles it too. Here is one:
        .
        ...and the message goes on after it.

        See you on Tuesday,
        your teacher
        """)
    return date, "S", headers(date, TEACHER, STUDENT, "Welcome to the mail lab",
                              "welcome.20261102", [
                                  "Content-Type: text/plain; charset=us-ascii",
                                  "Content-Transfer-Encoding: 7bit"]) + "\n" + body


def msg_timetable():
    date = "Wed, 04 Nov 2026 14:30:00 +0100"
    plain = textwrap.dedent("""\
        Timetable for week 2

        Tuesday   10:00  IMAP: LIST, SELECT and FETCH
        Thursday  14:00  POP3: STAT, LIST, RETR
        Friday    09:00  Lab: capture your own session

        Bring a laptop with Wireshark installed.
        """)
    html = textwrap.dedent("""\
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><title>Timetable for week 2</title></head>
        <body>
        <h1>Timetable for week 2</h1>
        <table border="1" cellpadding="4">
        <tr><th>Day</th><th>Time</th><th>Topic</th></tr>
        <tr><td>Tuesday</td><td>10:00</td><td>IMAP: LIST, SELECT and FETCH</td></tr>
        <tr><td>Thursday</td><td>14:00</td><td>POP3: STAT, LIST, RETR</td></tr>
        <tr><td>Friday</td><td>09:00</td><td>Lab: capture your own session</td></tr>
        </table>
        <p style="font-family: sans-serif; color: #333333">Bring a laptop with <b>Wireshark</b> installed.</p>
        </body></html>
        """)
    html_qp = quopri.encodestring(html.encode("utf-8")).decode("ascii")
    boundary = "=_alt_2026_week2"
    body = ("This is a multi-part message in MIME format.\n\n"
            "--%s\n"
            "Content-Type: text/plain; charset=us-ascii\n"
            "Content-Transfer-Encoding: 7bit\n\n%s\n"
            "--%s\n"
            "Content-Type: text/html; charset=utf-8\n"
            "Content-Transfer-Encoding: quoted-printable\n\n%s\n"
            "--%s--\n" % (boundary, plain, boundary, html_qp, boundary))
    return date, "FS", headers(date, TEACHER, STUDENT, "Timetable for week 2",
                               "timetable.20261104", [
                                   'Content-Type: multipart/alternative; boundary="%s"' % boundary
                               ]) + "\n" + body


def msg_chinese():
    date = "Fri, 06 Nov 2026 08:15:00 +0800"
    subject = "第一周作业：观察邮件的接收过程"
    text = textwrap.dedent("""\
        同学们好：

        本周作业：用抓包工具记录一次完整的收信过程，并回答下面的问题。

        1. 客户端在连接服务器之前向 DNS 查询了哪个名字？得到的地址是什么？
        2. IMAP 的 FETCH 和 POP3 的 RETR 有什么不同？哪一个只下载了需要的部分？
        3. 在 IDLE 状态下，新邮件到达时服务器发送了什么？

        下周二上课前提交。

        王老师
        """)
    frm = "%s <wang@%s>" % (encoded_word("王老师"), DOMAIN)
    return date, "", headers(date, frm, STUDENT, encoded_word(subject), "homework1.20261106", [
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: base64"]) + "\n" + b64_lines(text.encode("utf-8"))


def msg_reminder():
    date = "Mon, 09 Nov 2026 17:45:00 +0100"
    text = textwrap.dedent("""\
        Reminder: the lab session is tomorrow at 10:00 in room B-204.

        Please make sure your mail client is configured for the demo server before you come: the server name is imap.mailscope.test, the user name is student and the password is classroom.
        .
        .. two dots here, and the fee is 0 € (it is free).
        """)
    qp = quopri.encodestring(text.encode("utf-8")).decode("ascii")
    return date, None, headers(date, "Lab assistant <lab@%s>" % DOMAIN, STUDENT,
                               "Reminder: lab session tomorrow", "reminder.20261109", [
                                   "Content-Type: text/plain; charset=utf-8",
                                   "Content-Transfer-Encoding: quoted-printable"]) + "\n" + qp


def msg_notes():
    date = "Tue, 10 Nov 2026 11:20:00 +0100"
    boundary = "=_mixed_notes_1"
    text = textwrap.dedent("""\
        Hello,

        the lecture notes are attached as a PDF (about 200 KiB).

        An IMAP client can show you this text without downloading the
        attachment; a POP3 client has to download everything.

        Regards,
        your teacher
        """)
    body = ("This is a multi-part message in MIME format.\n\n"
            "--%s\n"
            "Content-Type: text/plain; charset=us-ascii\n"
            "Content-Transfer-Encoding: 7bit\n\n%s\n"
            "--%s\n"
            'Content-Type: application/pdf; name="lecture-notes.pdf"\n'
            'Content-Disposition: attachment; filename="lecture-notes.pdf"\n'
            "Content-Transfer-Encoding: base64\n\n%s\n"
            "--%s--\n" % (boundary, text, boundary, b64_lines(make_pdf()), boundary))
    return date, "S", headers(date, TEACHER, STUDENT, "Lecture notes: how mail is received",
                              "notes.20261110", [
                                  'Content-Type: multipart/mixed; boundary="%s"' % boundary
                              ]) + "\n" + body


def msg_sent_reply():
    date = "Mon, 02 Nov 2026 10:12:00 +0100"
    text = textwrap.dedent("""\
        Thank you! I found my .mailrc and I will bring my laptop.

        > Hello and welcome to the mail lab!

        Student
        """)
    return date, "S", headers(date, STUDENT, TEACHER, "Re: Welcome to the mail lab",
                              "reply.20261102", [
                                  "In-Reply-To: <welcome.20261102@%s>" % DOMAIN,
                                  "References: <welcome.20261102@%s>" % DOMAIN,
                                  "Content-Type: text/plain; charset=us-ascii",
                                  "Content-Transfer-Encoding: 7bit"]) + "\n" + text


def msg_archive():
    date = "Thu, 15 Oct 2026 16:00:00 +0200"
    text = textwrap.dedent("""\
        Dear student,

        your registration for the course "How mail is received" is confirmed.

        The registrar's office
        """)
    return date, "S", headers(date, "Registrar <registrar@%s>" % DOMAIN, STUDENT,
                              "Course registration confirmed", "registration.20261015", [
                                  "Content-Type: text/plain; charset=us-ascii",
                                  "Content-Transfer-Encoding: 7bit"]) + "\n" + text


FOLDERS = {
    "": [msg_welcome, msg_timetable, msg_chinese, msg_reminder, msg_notes],
    ".Sent": [msg_sent_reply],
    ".Archive": [msg_archive],
}


def write_folder(path, makers, counter):
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(path, sub))
    for make in makers:
        date, flags, text = make()
        counter[0] += 1
        base = "%d.M%dP1000.%s" % (epoch(date), counter[0], HOST)
        if flags is None:
            name = os.path.join(path, "new", base)
        else:
            name = os.path.join(path, "cur", base + ":2," + flags)
        with open(name, "wb") as f:
            f.write(text.encode("utf-8"))
        os.utime(name, (epoch(date), epoch(date)))
    for sub in ("cur", "new", "tmp"):
        d = os.path.join(path, sub)
        if not os.listdir(d):
            # Version control drops empty folders; Maildir readers skip dot files.
            open(os.path.join(d, ".keep"), "w").close()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "maildir", "student")
    if os.path.exists(out):
        shutil.rmtree(out)
    counter = [0]
    for folder, makers in FOLDERS.items():
        path = os.path.join(out, folder) if folder else out
        write_folder(path, makers, counter)
        if folder:
            open(os.path.join(path, "maildirfolder"), "w").close()


if __name__ == "__main__":
    main()
