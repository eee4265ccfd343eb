"""Shared helpers for the IMAP server's interop tests: start and stop
`mailscope-cli serve` on a free port over a temporary data directory, and a
tiny TAP reporter."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time


def cli_path():
    explicit = os.environ.get("MS_CLI") or (sys.argv[1] if len(sys.argv) > 1 else None)
    if explicit:
        return explicit
    return os.path.join(os.environ["MS_BUILD_ROOT"], "src", "cli", "mailscope-cli")


class Server:
    """`mailscope-cli serve --imap 127.0.0.1:0` on data_dir; restartable."""

    def __init__(self, data_dir, extra=()):
        self.data_dir = data_dir
        self.extra = list(extra)
        self.proc = None
        self.port = None

    def start(self):
        self.log = open(os.path.join(self.data_dir, "serve.log"), "ab")
        self.proc = subprocess.Popen(
            [cli_path(), "serve", "--maildir", self.data_dir, "--imap", "127.0.0.1:0"]
            + self.extra,
            stdout=subprocess.PIPE, stderr=self.log)
        deadline = time.time() + 20
        while time.time() < deadline:
            line = self.proc.stdout.readline().decode("utf-8", "replace")
            if not line:
                break
            m = re.match(r"IMAP\s+127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
            if line.startswith("Ready") and self.port:
                # keep draining the log so the server never blocks on stdout
                self._drain()
                return self.port
        raise RuntimeError("server did not start")

    def _drain(self):
        import threading

        def pump(stream, sink):
            for chunk in iter(lambda: stream.read1(65536), b""):
                sink.write(chunk)
                sink.flush()
        threading.Thread(target=pump, args=(self.proc.stdout, self.log), daemon=True).start()

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()
        self.log.close()


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, what):
        self.n += 1
        if not cond:
            self.failed += 1
        print(("ok %d - %s" if cond else "not ok %d - %s") % (self.n, what), flush=True)
        return cond

    def skip(self, what, why):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, what, why), flush=True)

    def done(self):
        print("1..%d" % self.n, flush=True)
        sys.exit(1 if self.failed else 0)


def temp_lab():
    d = tempfile.mkdtemp(prefix="ms-imap-interop-")
    seed = os.path.join(os.environ["MS_SOURCE_ROOT"], "samples", "maildir", "student")
    shutil.copytree(seed, os.path.join(d, "student"))
    return d


def sample_messages():
    """The sample INBOX's messages (LF on disk) in delivery order."""
    root = os.path.join(os.environ["MS_SOURCE_ROOT"], "samples", "maildir", "student")
    files = []
    for sub in ("cur", "new"):
        for name in os.listdir(os.path.join(root, sub)):
            files.append((name, os.path.join(root, sub, name)))
    files.sort()
    return [open(p, "rb").read() for _, p in files]


def crlf(data):
    return re.sub(rb"(?<!\r)\n", b"\r\n", data)
