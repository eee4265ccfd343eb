"""Shared parts of the lab benchmarks: the servers, their memory and CPU, a small IMAP client.

The servers compared are `mailscope-cli serve` and a private Dovecot started by
tests/peers/dovecot.sh, both on loopback with free ports. The client is
asyncio with raw sockets, so both servers see exactly the same bytes.
"""

import asyncio
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import time

SRC_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOVECOT_SH = os.path.join(SRC_ROOT, "tests", "peers", "dovecot.sh")
USER, PASSWORD = "student", "classroom"
START_TIMEOUT_S = 15        # a server that is not listening by then is broken
INOTIFY_INSTANCES = "/proc/sys/fs/inotify/max_user_instances"


def log(msg):
    """Progress goes to stderr so the final block on stdout stays clean."""
    print(msg, file=sys.stderr, flush=True)


def raise_nofile(wanted):
    """Raises the open-file limit to `wanted` (up to the hard limit; root may raise that too)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= wanted:
        return soft
    if hard != resource.RLIM_INFINITY and hard < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
            return wanted
        except (ValueError, OSError):
            wanted = hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return wanted


def free_ports(count):
    """Ports nobody listens on right now (bound to port 0, then released)."""
    socks, ports = [], []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def wait_port(port, timeout=START_TIMEOUT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on 127.0.0.1:%d" % port)


def status_kib(pid, field):
    """A kB figure (VmRSS, ...) from /proc/PID/status; 0 once the process is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kib(pid):
    """Proportional set size: shared pages split between the processes that map them."""
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(ppid, comm=None):
    """Pids whose parent is `ppid` (and whose command name is `comm`, if given)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        # comm is in parentheses and may hold spaces: split after the last ')'.
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == ppid and (comm is None or name == comm):
            found.append(int(entry))
    return found


def cpu_ticks(pid):
    """utime + stime, plus that of reaped children, of one process in clock ticks; 0 once gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    # The fields after the command name start with field 3 (state): utime is field 14,
    # stime 15, cutime 16, cstime 17 (proc(5)).
    return sum(int(fields[i - 3]) for i in (14, 15, 16, 17))


CLK_TCK = os.sysconf("SC_CLK_TCK")


def deliver(maildir, folder_owner=None):
    """Drops a message into MAILDIR/new the way an MTA does (write in tmp/, rename into new/).

    Returns the monotonic time of the rename, the moment the message exists."""
    body = (b"From: teacher@mailscope.test\r\n"
            b"To: student@mailscope.test\r\n"
            b"Subject: benchmark delivery\r\n"
            b"Message-ID: <bench.%d@mailscope.test>\r\n"
            b"\r\n"
            b"Every idle session should hear about this message at once.\r\n") % time.time_ns()
    name = "%d.M%dP%d.bench" % (time.time(), time.time_ns() % 1000000, os.getpid())
    tmp_path = os.path.join(maildir, "tmp", name)
    with open(tmp_path, "wb") as f:
        f.write(body)
    if folder_owner:
        os.chown(tmp_path, *folder_owner)
    t = time.perf_counter()
    os.rename(tmp_path, os.path.join(maildir, "new", name))
    return t


class Mailscope:
    """`mailscope-cli serve` on a free loopback port with a fresh data directory."""

    name = "mailscope"

    def __init__(self, build, workdir):
        self.cli = os.path.join(build, "src", "cli", "mailscope-cli")
        self.dir = os.path.join(workdir, "mailscope")
        self.proc = None
        self.port = None

    def start(self):
        os.makedirs(self.dir)
        out = open(os.path.join(self.dir, "serve.log"), "wb")
        # The command log goes to a file: a pipe nobody reads would block the server,
        # and reading it here would take CPU from the client.
        self.proc = subprocess.Popen(
            [self.cli, "serve", "--imap", "127.0.0.1:0", "--maildir",
             os.path.join(self.dir, "data")],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        out.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        text = ""
        while time.monotonic() < deadline:
            with open(os.path.join(self.dir, "serve.log"), errors="replace") as f:
                text = f.read()
            if "Ready." in text or self.proc.poll() is not None:
                break
            time.sleep(0.05)
        m = re.search(r"^IMAP\s+127\.0\.0\.1:(\d+)", text, re.M)
        if "Ready." not in text or m is None:
            self.stop()
            raise RuntimeError("mailscope-cli serve did not start:\n" + text)
        self.port = int(m.group(1))
        return self.port

    @property
    def pid(self):
        return self.proc.pid

    def inbox(self):
        return os.path.join(self.dir, "data", USER)

    def folder_owner(self):
        return None

    def rss_kib(self):
        return status_kib(self.proc.pid, "VmRSS")

    def command(self):
        return "%s serve --imap 127.0.0.1:0 --maildir DIR" % os.path.relpath(self.cli, SRC_ROOT)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Dovecot:
    """A private Dovecot from tests/peers/dovecot.sh, with its limits raised for `sessions`.

    Dovecot's stock limits (10 connections per user and address, 100 login
    processes, ...) are for a mail provider's safety, not its speed; they are
    raised so that the comparison measures the servers, not their settings."""

    name = "dovecot"

    def __init__(self, workdir, sessions):
        self.dir = os.path.join(workdir, "dovecot")
        self.sessions = sessions
        self.port = None
        self.master = None

    def start(self):
        if shutil.which("dovecot") is None:
            raise RuntimeError("dovecot is not installed (apt-get install dovecot-imapd)")
        imap, pop3, imaps, pop3s = free_ports(4)
        subprocess.run([DOVECOT_SH, "start", self.dir, "--imap", str(imap), "--pop3", str(pop3),
                        "--imaps", str(imaps), "--pop3s", str(pop3s)], check=True)
        # Restart with the limits raised; dovecot.sh writes the rest of the settings.
        subprocess.run([DOVECOT_SH, "stop", self.dir], check=True)
        limit = self.sessions + 200
        with open(os.path.join(self.dir, "dovecot.conf"), "a") as f:
            f.write("# Raised for the benchmarks (bench/labbench.py).\n"
                    "default_client_limit = %d\n"
                    "protocol imap {\n  mail_max_userip_connections = %d\n}\n"
                    "service imap {\n  process_limit = %d\n}\n"
                    "service imap-login {\n  process_limit = %d\n}\n"
                    % (4 * limit, limit, limit, limit))
        subprocess.run(["dovecot", "-c", os.path.join(self.dir, "dovecot.conf")], check=True)
        wait_port(imap)
        pid_file = os.path.join(self.dir, "run", "master.pid")
        # The master writes its pid a moment after it starts listening.
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                with open(pid_file) as f:
                    self.master = int(f.read().strip())
                break
            except (OSError, ValueError):
                time.sleep(0.05)
        if self.master is None:
            raise RuntimeError("dovecot wrote no pid to %s" % pid_file)
        self.port = imap
        return imap

    @property
    def pid(self):
        return self.master

    def inbox(self):
        return os.path.join(self.dir, "mail", USER)

    def folder_owner(self):
        st = os.stat(self.inbox())
        return st.st_uid, st.st_gid

    def imap_pids(self):
        return children(self.master, "imap")

    def all_pids(self):
        """The master and every process below it (login, auth, imap, ...)."""
        todo, seen = [self.master], []
        while todo:
            pid = todo.pop()
            seen.append(pid)
            todo.extend(children(pid))
        return seen

    def command(self):
        return "tests/peers/dovecot.sh start DIR (limits raised, see bench/labbench.py)"

    def stop(self):
        if os.path.isdir(self.dir):
            subprocess.run([DOVECOT_SH, "stop", self.dir], check=False)


class Inotify:
    """Dovecot makes one inotify instance per imap process, all as one user; the kernel's
    default of 128 instances per user would send the rest back to 30-second polling.
    Raised for the run, restored afterwards."""

    def __init__(self, wanted):
        self.wanted = wanted
        self.old = None

    def __enter__(self):
        try:
            with open(INOTIFY_INSTANCES) as f:
                self.old = int(f.read())
            if self.old < self.wanted:
                with open(INOTIFY_INSTANCES, "w") as f:
                    f.write(str(self.wanted))
            else:
                self.old = None
        except OSError as e:
            log("cannot raise %s (%s): Dovecot may fall back to polling" % (INOTIFY_INSTANCES, e))
            self.old = None
        return self

    def __exit__(self, *exc):
        if self.old is not None:
            with open(INOTIFY_INSTANCES, "w") as f:
                f.write(str(self.old))


LITERAL = re.compile(rb"\{(\d+)\+?\}$")


class ImapConn(asyncio.Protocol):
    """One IMAP connection: sends tagged commands and collects the response lines.

    Literals ({n}) are folded into the line that announced them. Every untagged
    line can be watched through `on_untagged(line, t)`, with `t` the
    perf_counter() of the read that brought it."""

    def __init__(self):
        self.buf = bytearray()
        self.lines = []             # complete responses since the last command
        self.partial = bytearray()  # a response waiting for a literal's bytes
        self.need = 0               # literal bytes still to come
        self.waiter = None          # (tag or b"+", future)
        self.transport = None
        self.closed = asyncio.get_running_loop().create_future()
        self.on_untagged = None
        self.ntag = 0

    @classmethod
    async def open(cls, port):
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(cls, "127.0.0.1", port)
        greeting = await conn.wait_for(b"*")
        if not greeting[-1].startswith(b"* OK"):
            raise RuntimeError("greeting: %r" % greeting[-1])
        return conn

    def connection_made(self, transport):
        self.transport = transport

    def connection_lost(self, exc):
        if not self.closed.done():
            self.closed.set_result(exc)
        if self.waiter and not self.waiter[1].done():
            self.waiter[1].set_exception(ConnectionError("connection closed: %r" % exc))

    def data_received(self, data):
        t = time.perf_counter()
        self.buf += data
        while True:
            if self.need:
                take = min(self.need, len(self.buf))
                self.partial += self.buf[:take]
                del self.buf[:take]
                self.need -= take
                if self.need:
                    return
            end = self.buf.find(b"\r\n")
            if end < 0:
                return
            self.partial += self.buf[:end]
            del self.buf[:end + 2]
            m = LITERAL.search(self.partial)
            if m:
                self.need = int(m.group(1))
                self.partial += b"\r\n"
                continue
            line = bytes(self.partial)
            self.partial = bytearray()
            self.line(line, t)

    @staticmethod
    def matches(want, line):
        if want in (b"*", b"+"):
            return line.startswith(want)
        return line.startswith(want + b" ")

    def line(self, line, t):
        self.lines.append(line)
        if line.startswith(b"* ") and self.on_untagged:
            self.on_untagged(line, t)
        if self.waiter and self.matches(self.waiter[0], line):
            fut = self.waiter[1]
            self.waiter = None
            lines, self.lines = self.lines, []
            if not fut.done():
                fut.set_result(lines)

    def wait_for(self, want):
        """A future for the lines up to the next one starting with `want` (lines
        already read count too: the greeting may come before anyone waits)."""
        fut = asyncio.get_running_loop().create_future()
        for i, line in enumerate(self.lines):
            if self.matches(want, line):
                fut.set_result(self.lines[:i + 1])
                del self.lines[:i + 1]
                return fut
        self.waiter = (want, fut)
        return fut

    def send(self, text):
        self.transport.write(text)

    async def command(self, text, expect_ok=True):
        """Sends `TAG text`; returns every line up to and with the tagged reply."""
        self.ntag += 1
        tag = b"a%d" % self.ntag
        fut = self.wait_for(tag)
        self.transport.write(tag + b" " + text + b"\r\n")
        lines = await fut
        if expect_ok and not lines[-1].startswith(tag + b" OK"):
            raise RuntimeError("%r failed: %r" % (text, lines[-1]))
        return lines

    async def continuation(self, text):
        """Sends a command that the server answers with `+` (IDLE); returns its tag."""
        self.ntag += 1
        tag = b"a%d" % self.ntag
        fut = self.wait_for(b"+")
        self.transport.write(tag + b" " + text + b"\r\n")
        lines = await fut
        if not lines[-1].startswith(b"+"):
            raise RuntimeError("%r refused: %r" % (text, lines[-1]))
        return tag

    def close(self):
        if self.transport:
            self.transport.close()


def listen_overflows():
    """The kernel's count of connections dropped because an accept queue was full."""
    with open("/proc/net/netstat") as f:
        rows = [line.split() for line in f if line.startswith("TcpExt:")]
    names, values = rows[0], rows[1]
    return int(values[names.index("ListenOverflows")])


def command_line(script, argv):
    """The command to quote in the README: the wrapper's, when a wrapper ran us."""
    import shlex
    wrapped = os.environ.get("MS_BENCH_COMMAND")
    if wrapped:
        return wrapped
    return " ".join(shlex.quote(a) for a in [script] + argv)


def _loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


# Read before any server runs: later, the benchmark's own processes count in it.
LOAD_AT_START = _loadavg()


def machine():
    """CPUs, kernel and load: the figures mean little on a busy machine."""
    return ("%d CPUs, Linux %s, load average %s before the run; client and servers share "
            "the machine" % (os.cpu_count(), os.uname().release, LOAD_AT_START))


def cpu_text(seconds):
    """CPU time as read from /proc: whole clock ticks (10 ms), so 0 means less than one."""
    tick_ms = 1000 / CLK_TCK
    return "< %.0f ms" % tick_ms if seconds <= 0 else "%.0f ms" % (seconds * 1000)


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, int(round(p / 100 * (len(sorted_values) - 1)))))
    return sorted_values[k]
