#!/usr/bin/env python3
"""Runs mailscope-cli decode (JSON and text) over third-party captures and checks it survives.

Usage: corpus.py CLI [ORIGIN...]
Captures are read from $MS_SOURCE_ROOT/tests/corpus/captures/<origin>/ (all
origins when none is named). Each file must give exit status 0 or 2
(2 = truncated capture), no signal, no timeout, and only JSON objects on
standard output; then the text narration with --summary must also end with
0 or 2 and be valid UTF-8. The one exception: a file whose link type
Mailscope does not read (PPP, FDDI...; this script reads the type from the
file header itself) may give status 1, "the input could not be read", with
a message on stderr.
Prints one line per file and a summary; exits 1 on any failure.
"""

import json
import os
import struct
import subprocess
import sys

TIMEOUT = 60          # seconds per capture; the largest is under 100 KB
OK_STATUSES = (0, 2)  # 2 is the CLI's status for a truncated capture
SHOW_STDERR = 2000    # characters of stderr to show for a failing file
UNREADABLE = 1        # the CLI's status for input it cannot read
# What AddressSanitizer, LeakSanitizer and UBSan print, whatever the exit status.
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")

# Link types the design says Mailscope decodes (LINKTYPE_* values from
# tcpdump.org/linktypes.html): NULL, ETHERNET, RAW, LOOP, LINUX_SLL,
# IPV4, IPV6, LINUX_SLL2 (and the historical DLT_RAW values 12 and 14).
SUPPORTED_LINKTYPES = {0, 1, 12, 14, 101, 108, 113, 228, 229, 276}


def link_types(path):
    """The link types a pcap or pcapng file declares (empty when unknown)."""
    with open(path, "rb") as f:
        data = f.read(1 << 20)
    if len(data) < 24:
        return set()
    magic = data[:4]
    for order in ("<", ">"):
        if struct.unpack(order + "I", magic)[0] in (0xA1B2C3D4, 0xA1B23C4D):
            return {struct.unpack(order + "I", data[20:24])[0] & 0x0FFFFFFF}
    if magic != b"\x0a\x0d\x0d\x0a":
        return set()
    order = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
    types, pos = set(), 0
    while pos + 12 <= len(data):
        btype, blen = struct.unpack(order + "II", data[pos:pos + 8])
        if blen < 12:
            break
        if btype == 1 and pos + 10 <= len(data):   # Interface Description Block
            types.add(struct.unpack(order + "H", data[pos + 8:pos + 10])[0])
        pos += blen
    return types


def run_cli(args, path):
    """Runs the CLI; returns (reason it failed or None, stdout)."""
    try:
        proc = subprocess.run(args + [path], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return "no result after %d s" % TIMEOUT, b""
    err = proc.stderr.decode("utf-8", "replace")[-SHOW_STDERR:]
    if proc.returncode < 0:
        return "killed by signal %d\n%s" % (-proc.returncode, err), b""
    if any(mark in err for mark in SANITIZER_MARKS):
        return "sanitizer report\n%s" % err, b""
    unsupported = link_types(path) - SUPPORTED_LINKTYPES
    if proc.returncode == UNREADABLE and unsupported and err.strip():
        return None, proc.stdout
    if proc.returncode not in OK_STATUSES:
        return "exit status %d\n%s" % (proc.returncode, err), b""
    return None, proc.stdout


def check_file(cli, path):
    """Returns None when the CLI handled path correctly (JSON Lines, then the
    narration with session summaries), else a reason."""
    reason, out = run_cli([cli, "decode", "--format", "json"], path)
    if reason:
        return "--format json: " + reason
    for n, line in enumerate(out.split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            return "line %d is not JSON (%s): %r" % (n, e, line[:200])
        if not isinstance(obj, dict):
            return "line %d is JSON but not an object: %r" % (n, line[:200])
    reason, out = run_cli([cli, "decode", "--summary"], path)
    if reason:
        return "text --summary: " + reason
    try:
        out.decode("utf-8")
    except UnicodeDecodeError as e:
        return "the narration is not UTF-8 (%s)" % e
    return None


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cli = sys.argv[1]
    root = os.path.join(os.environ.get("MS_SOURCE_ROOT",
                                       os.path.join(os.path.dirname(__file__), "..", "..")),
                        "tests", "corpus", "captures")
    origins = sys.argv[2:] or sorted(os.listdir(root))
    files = []
    for origin in origins:
        folder = os.path.join(root, origin)
        files += [os.path.join(folder, f) for f in sorted(os.listdir(folder))]
    if not files:
        sys.exit("corpus.py: no captures under %s" % root)
    failures = 0
    for path in files:
        reason = check_file(cli, path)
        name = os.path.relpath(path, root)
        if reason:
            failures += 1
            print("FAIL %s: %s" % (name, reason))
        elif link_types(path) - SUPPORTED_LINKTYPES:
            print("ok   %s (link type %s is not read)"
                  % (name, ",".join(map(str, sorted(link_types(path) - SUPPORTED_LINKTYPES)))))
        else:
            print("ok   %s" % name)
    print("%d of %d captures failed" % (failures, len(files)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
