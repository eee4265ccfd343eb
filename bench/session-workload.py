#!/usr/bin/env python3
"""The same scripted IMAP session, many times, against Mailscope and Dovecot: sessions per second.

usage: bench/session-workload.py [--build DIR] [--sessions N] [--concurrency C]
                                 [--rounds R] [--servers mailscope,dovecot]

Starts `mailscope-cli serve` and a private Dovecot (tests/peers/dovecot.sh)
on free loopback ports, both over a copy of the sample mailbox. One session
is: connect, LOGIN, LIST "" "*", SELECT INBOX, the overview
UID FETCH 1:* (FLAGS ENVELOPE RFC822.SIZE BODYSTRUCTURE), the first 4 KiB of
the attachment (UID FETCH u (BODY.PEEK[2]<0.4096>)) and LOGOUT. N sessions
run with C at a time; the servers take turns, R rounds each, and the best
round counts (decode.sh does the same: the best run hides one-off noise).
The client is the same asyncio raw-socket client for both, on the same
machine, so sessions/s include its own work; the servers' CPU time per
session is reported beside it.

Goal (issue 3): Mailscope at least as fast as Dovecot (ratio >= 1).
"""

import argparse
import asyncio
import os
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import labbench  # noqa: E402

WARMUP_SESSIONS = 10       # fills caches and indexes before anything is timed
STALL_MS = 30              # a median step this slow smells of Nagle + delayed ACK
COMMANDS = ("connect", "login", "list", "select", "overview", "partial", "logout")


def server_cpu_s(server):
    if server.name == "mailscope":
        return labbench.cpu_ticks(server.pid) / labbench.CLK_TCK
    # Dovecot's per-session processes are reaped by the master: their time lands in its
    # cutime/cstime; the long-lived ones (auth, log, anvil, ...) are counted live.
    return sum(labbench.cpu_ticks(p) for p in server.all_pids()) / labbench.CLK_TCK


async def session(port, attach_uid, steps, stats):
    """One scripted session; adds each step's milliseconds to `steps` and checks the answers."""
    t = time.perf_counter()
    conn = await labbench.ImapConn.open(port)
    try:
        script = (
            ("login", b"LOGIN %s %s" % (labbench.USER.encode(), labbench.PASSWORD.encode())),
            ("list", b'LIST "" "*"'),
            ("select", b"SELECT INBOX"),
            ("overview", b"UID FETCH 1:* (FLAGS ENVELOPE RFC822.SIZE BODYSTRUCTURE)"),
            ("partial", b"UID FETCH %d (BODY.PEEK[2]<0.4096>)" % attach_uid),
            ("logout", b"LOGOUT"),
        )
        now = time.perf_counter()
        steps["connect"].append((now - t) * 1000)
        t = now
        for name, cmd in script:
            lines = await conn.command(cmd)
            now = time.perf_counter()
            steps[name].append((now - t) * 1000)
            t = now
            stats["bytes"] += sum(len(line) + 2 for line in lines)
            if name == "overview":
                stats["overview"] = sum(1 for line in lines if b" FETCH (" in line)
            elif name == "partial" and b"{4096}" not in lines[0]:
                raise RuntimeError("partial fetch did not return 4096 bytes: %r" % lines[0][:120])
        await asyncio.wait_for(conn.closed, 5)
    finally:
        conn.close()


async def find_attachment(port):
    """The UID of the message whose BODYSTRUCTURE has an attachment, for the partial fetch."""
    conn = await labbench.ImapConn.open(port)
    try:
        await conn.command(b"LOGIN %s %s" % (labbench.USER.encode(), labbench.PASSWORD.encode()))
        await conn.command(b"EXAMINE INBOX")
        lines = await conn.command(b"UID FETCH 1:* (BODYSTRUCTURE)")
        await conn.command(b"LOGOUT")
    finally:
        conn.close()
    for line in lines:
        m = re.search(rb"UID (\d+)", line)
        if m and b'"attachment"' in line.lower():
            return int(m.group(1))
    raise RuntimeError("no message with an attachment in INBOX")


async def round_(server, n, concurrency, attach_uid):
    """Runs n sessions, `concurrency` at a time; returns the figures of the round."""
    steps = {c: [] for c in COMMANDS}
    stats = {"bytes": 0, "overview": 0}
    queue = iter(range(n))
    errors = []

    async def worker():
        for _ in queue:
            try:
                await session(server.port, attach_uid, steps, stats)
            except (OSError, RuntimeError, asyncio.TimeoutError) as e:
                errors.append(e)

    cpu0 = server_cpu_s(server)
    me0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - t0
    me1 = resource.getrusage(resource.RUSAGE_SELF)
    client = me1.ru_utime + me1.ru_stime - me0.ru_utime - me0.ru_stime
    # Dovecot's last imap processes may still be exiting: give the master a moment to reap.
    await asyncio.sleep(0.2)
    cpu = server_cpu_s(server) - cpu0
    return {"wall": wall, "done": n - len(errors), "errors": errors, "steps": steps,
            "cpu": cpu, "client": client, "bytes": stats["bytes"], "overview": stats["overview"]}


async def run(servers, args):
    attach = {}
    for s in servers:
        attach[s.name] = await find_attachment(s.port)
        await round_(s, WARMUP_SESSIONS, 1, attach[s.name])
    results = {s.name: [] for s in servers}
    for r in range(args.rounds):
        for s in servers:
            res = await round_(s, args.sessions, args.concurrency, attach[s.name])
            results[s.name].append(res)
            labbench.log("round %d %-9s %d sessions in %.2f s: %.0f sessions/s%s"
                         % (r + 1, s.name, res["done"], res["wall"], res["done"] / res["wall"],
                            "; %d failed, first: %r" % (len(res["errors"]), res["errors"][0])
                            if res["errors"] else ""))
    return results, attach


def report(results, attach, args, argv):
    print()
    print("=== IMAP session workload: %d sessions, %d at a time, best of %d rounds "
          "(bench/session-workload.py) ===" % (args.sessions, args.concurrency, args.rounds))
    print("session: LOGIN, LIST, SELECT INBOX, UID FETCH 1:* (FLAGS ENVELOPE RFC822.SIZE "
          "BODYSTRUCTURE), UID FETCH u (BODY.PEEK[2]<0.4096>), LOGOUT")
    best = {}
    stalls = []
    for name, rounds in results.items():
        b = max(rounds, key=lambda r: r["done"] / r["wall"])
        best[name] = b
        rates = ", ".join("%.0f" % (r["done"] / r["wall"]) for r in rounds)
        failed = sum(len(r["errors"]) for r in rounds)
        print()
        print("%s: %.0f sessions/s (rounds: %s)%s"
              % (name, b["done"] / b["wall"], rates,
                 "; %d sessions FAILED" % failed if failed else ""))
        print("  CPU per session: server %.2f ms, this client %.2f ms; %.1f KiB read per "
              "session; overview of %d messages, attachment UID %d"
              % (b["cpu"] * 1000 / max(b["done"], 1), b["client"] * 1000 / max(b["done"], 1),
                 b["bytes"] / 1024 / max(b["done"], 1), b["overview"], attach[name]))
        print("  step latency ms (median / p99):" + "".join(
            " %s %.2f/%.2f" % (c, statistics.median(b["steps"][c]),
                               labbench.percentile(sorted(b["steps"][c]), 99))
            for c in COMMANDS if b["steps"][c]))
        slow = {c: sum(1 for r in rounds for ms in r["steps"][c] if ms >= STALL_MS)
                for c in COMMANDS}
        total = sum(len(r["steps"]["login"]) for r in rounds)
        if any(slow.values()):
            print("  steps of %d ms or more, all rounds (of %d sessions):" % (STALL_MS, total)
                  + "".join(" %s %d" % (c, slow[c]) for c in COMMANDS if slow[c]))
        for r in rounds:
            for c in COMMANDS:
                if r["steps"][c] and statistics.median(r["steps"][c]) >= STALL_MS:
                    stalls.append("%s %s: median %.1f ms in a round"
                                  % (name, c, statistics.median(r["steps"][c])))
    print()
    print("--- summary ---")
    for name, b in best.items():
        print("%-9s %6.0f sessions/s, server CPU %.2f ms per session"
              % (name, b["done"] / b["wall"], b["cpu"] * 1000 / max(b["done"], 1)))
    if "mailscope" in best and "dovecot" in best:
        m, d = best["mailscope"], best["dovecot"]
        ratio = (m["done"] / m["wall"]) / (d["done"] / d["wall"])
        cpu_ratio = (d["cpu"] / max(d["done"], 1)) / max(m["cpu"] / max(m["done"], 1), 1e-9)
        print("mailscope / dovecot: %.2fx the sessions per second (goal >= 1: %s); "
              "dovecot spends %.1fx mailscope's CPU per session"
              % (ratio, "met" if ratio >= 1 else "MISSED", cpu_ratio))
        med = {n: statistics.median(r["done"] / r["wall"] for r in results[n])
               for n in ("mailscope", "dovecot")}
        print("median round instead of the best: mailscope %.0f, dovecot %.0f sessions/s: %.2fx"
              % (med["mailscope"], med["dovecot"], med["mailscope"] / med["dovecot"]))
    if stalls:
        print("stalls (median step >= %d ms, typical of Nagle + delayed ACK): %s"
              % (STALL_MS, "; ".join(stalls)))
    print("command: %s" % labbench.command_line("bench/session-workload.py", argv))
    print("machine: %s" % labbench.machine())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(labbench.SRC_ROOT, "build"),
                    help="build directory holding src/cli/mailscope-cli (default build/)")
    ap.add_argument("--sessions", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--servers", default="mailscope,dovecot")
    args = ap.parse_args()
    names = [s.strip() for s in args.servers.split(",") if s.strip()]
    for s in names:
        if s not in ("mailscope", "dovecot"):
            ap.error("unknown server %r" % s)

    labbench.raise_nofile(4096)
    work = tempfile.mkdtemp(prefix="ms-workload-bench.")
    os.chmod(work, 0o755)     # Dovecot's unprivileged processes must reach it
    servers = []
    try:
        for name in names:
            server = (labbench.Mailscope(args.build, work) if name == "mailscope"
                      else labbench.Dovecot(work, args.concurrency))
            servers.append(server)
            server.start()
            labbench.log("%s: listening on 127.0.0.1:%d" % (name, server.port))
        results, attach = asyncio.run(run(servers, args))
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(results, attach, args, sys.argv[1:])


if __name__ == "__main__":
    main()
