#!/usr/bin/env python3
"""Golden tests: mailscope-cli decode output for each sample capture against the expected file.

  golden.py check CLI NAME text|json   compare with samples/NAME.txt or samples/NAME.jsonl
  golden.py regen CLI [NAME...]        rewrite the expected files (all samples by default)
  golden.py coverage [--elsewhere PREFIX] NAME...
                                       check that NAME... are exactly the sample captures
                                       (except those starting with PREFIX)

The CLI runs inside samples/ on the bare file name, with LC_ALL=C.UTF-8 and
LANGUAGE=en, so the output depends neither on the checkout's path nor on the
user's language. When samples/NAME.keys exists and the CLI's decode --help
mentions --keylog, the key log is passed too. check exits 77 (skipped) when
the expected file does not exist yet, 1 with a unified diff when it differs.
"""

import difflib
import glob
import json
import os
import subprocess
import sys

TIMEOUT = 120        # seconds; the largest sample is about 300 KB
SKIP = 77            # meson's "skipped" exit status
OK_STATUSES = (0, 2)  # 2: the CLI says the capture is truncated (imap-truncated)
DIFF_LINES = 400     # lines of diff to print; enough to see what went wrong
# What AddressSanitizer, LeakSanitizer and UBSan print, whatever the exit status.
SANITIZER_MARKS = (b"ERROR: AddressSanitizer", b"ERROR: LeakSanitizer", b"runtime error:")

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.environ.get("MS_SOURCE_ROOT", os.path.normpath(os.path.join(HERE, "..", "..")))
SAMPLES = os.path.join(SOURCE_ROOT, "samples")
SUFFIX = {"text": ".txt", "json": ".jsonl"}


def cli_env():
    env = dict(os.environ)
    env["LC_ALL"] = "C.UTF-8"
    env["LANGUAGE"] = "en"
    env.pop("LANG", None)
    return env


def supports_keylog(cli):
    try:
        out = subprocess.run([cli, "decode", "--help"], capture_output=True,
                             timeout=TIMEOUT, env=cli_env())
    except (OSError, subprocess.TimeoutExpired):
        return False
    return b"--keylog" in out.stdout + out.stderr


def capture_file(name):
    """The file name of sample NAME (NAME.pcap or NAME.pcapng), or None."""
    for ext in (".pcap", ".pcapng"):
        if os.path.exists(os.path.join(SAMPLES, name + ext)):
            return name + ext
    return None


def run_cli(cli, name, fmt):
    """Runs the CLI on samples/NAME.pcap(ng); returns (exit status, stdout, stderr)."""
    args = [os.path.abspath(cli), "decode"]
    if fmt == "json":
        args += ["--format", "json"]
    if os.path.exists(os.path.join(SAMPLES, name + ".keys")) and supports_keylog(cli):
        args += ["--keylog", name + ".keys"]
    args.append(capture_file(name))
    proc = subprocess.run(args, cwd=SAMPLES, capture_output=True, timeout=TIMEOUT,
                          env=cli_env(), stdin=subprocess.DEVNULL)
    return proc.returncode, proc.stdout, proc.stderr


def sample_names():
    return sorted(os.path.splitext(os.path.basename(p))[0]
                  for ext in ("*.pcap", "*.pcapng") for p in glob.glob(os.path.join(SAMPLES, ext)))


def check_status(status, err, name):
    """True when the CLI ended normally; else prints why and its stderr."""
    if any(mark in err for mark in SANITIZER_MARKS):
        print("%s: sanitizer report from mailscope-cli" % name)
    elif status < 0:
        print("%s: mailscope-cli killed by signal %d" % (name, -status))
    elif status not in OK_STATUSES:
        print("%s: mailscope-cli exited with status %d" % (name, status))
    else:
        return True
    sys.stdout.write(err.decode("utf-8", "replace"))
    return False


def check(cli, name, fmt):
    expected_path = os.path.join(SAMPLES, name + SUFFIX[fmt])
    if capture_file(name) is None:
        print("missing capture samples/%s.pcap" % name)
        return 1
    if not os.path.exists(expected_path):
        print("skip: samples/%s%s does not exist yet (run samples/regen-expected.sh)"
              % (name, SUFFIX[fmt]))
        return SKIP
    status, out, err = run_cli(cli, name, fmt)
    if not check_status(status, err, name):
        return 1
    if fmt == "json":
        for n, line in enumerate(out.splitlines(), 1):
            try:
                if not isinstance(json.loads(line), dict):
                    raise ValueError("not an object")
            except ValueError as e:
                print("output line %d is not a JSON object (%s): %r" % (n, e, line[:200]))
                return 1
    with open(expected_path, "rb") as f:
        expected = f.read()
    if out == expected:
        print("ok: samples/%s%s matches (%d lines)" % (name, SUFFIX[fmt], out.count(b"\n")))
        return 0
    diff = difflib.unified_diff(expected.decode("utf-8", "replace").splitlines(True),
                                out.decode("utf-8", "replace").splitlines(True),
                                "samples/" + name + SUFFIX[fmt], "mailscope-cli output")
    print("output differs from samples/%s%s:" % (name, SUFFIX[fmt]))
    for i, line in enumerate(diff):
        if i >= DIFF_LINES:
            print("... (diff cut at %d lines)" % DIFF_LINES)
            break
        sys.stdout.write(line if line.endswith("\n") else line + "\n")
    return 1


def regen(cli, names):
    failed = 0
    for name in names or sample_names():
        for fmt in ("text", "json"):
            status, out, err = run_cli(cli, name, fmt)
            if not check_status(status, err, name):
                failed += 1
                continue
            path = os.path.join(SAMPLES, name + SUFFIX[fmt])
            with open(path, "wb") as f:
                f.write(out)
            print("wrote samples/%s%s (%d lines, exit %d)"
                  % (name, SUFFIX[fmt], out.count(b"\n"), status))
    return 1 if failed else 0


def coverage(args):
    """Fails when samples/ and the list of golden tests disagree. args: the
    names, each "--elsewhere PREFIX" excluding captures tested by another area."""
    prefixes, names = [], []
    while args:
        if args[0] == "--elsewhere" and len(args) > 1:
            prefixes.append(args[1])
            args = args[2:]
        else:
            names.append(args[0])
            args = args[1:]
    have = {n for n in sample_names() if not any(n.startswith(p) for p in prefixes)}
    listed = set(names)
    for name in sorted(have - listed):
        print("samples/%s has no golden test: add it to tests/golden/meson.build" % name)
    for name in sorted(listed - have):
        print("golden test %s has no capture in samples/" % name)
    if have == listed:
        print("ok: %d sample captures, each with golden tests" % len(have))
        return 0
    return 1


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "coverage":
        sys.exit(coverage(sys.argv[2:]))
    if len(sys.argv) >= 5 and sys.argv[1] == "check" and sys.argv[4] in SUFFIX:
        sys.exit(check(sys.argv[2], sys.argv[3], sys.argv[4]))
    if len(sys.argv) >= 3 and sys.argv[1] == "regen":
        sys.exit(regen(sys.argv[2], sys.argv[3:]))
    sys.exit(__doc__)


if __name__ == "__main__":
    main()
