#!/bin/sh
# Times the GUI opening a large capture, against tshark reading the same file.
#
# usage: bench/app-open.sh FILE [BUILD_DIR]     (BUILD_DIR defaults to build/)
# Runs bench/app-open (the real window, under xvfb-run) RUNS times and prints
# the best times to the first page of packets, to the session page (shown
# while the rest is still indexed, for a big file) and to the whole file
# indexed, the progress reports seen, the longest main-loop stall and frame gap (worst
# of the runs) and the peak RSS, then the same after switching to every frame
# (all sessions, all steps); then the best wall time and the peak RSS of
# tshark writing fields and of plain `tshark -r`, and the ratios. The goal:
# the first page in under 1 s, the rest indexed in the background with
# progress shown. Make a large capture first with bench/make-capture.sh.
set -eu

RUNS=${RUNS:-5}     # best of RUNS hides one-off noise (page cache, other load)
# The software GL renderer of a headless X server takes both cores of a small
# machine; cairo, as in the GUI tests, measures the application's own work.
GSK_RENDERER=${GSK_RENDERER:-cairo}

src_root=$(cd "$(dirname "$0")/.." && pwd)
file=${1:?usage: bench/app-open.sh FILE [BUILD_DIR]}
build=${2:-$src_root/build}
app=$build/bench/app-open
cli=$build/src/cli/mailscope-cli

[ -f "$build/build.ninja" ] || { echo "app-open.sh: no build in $build; run meson setup $build" >&2; exit 1; }
if [ ! -x "$app" ] || [ ! -x "$cli" ]; then
  ninja -C "$build" bench/app-open src/cli/mailscope-cli >&2
fi
command -v xvfb-run >/dev/null || { echo "app-open.sh: xvfb-run missing (tools/setup-debian.sh)" >&2; exit 1; }
command -v tshark >/dev/null || { echo "app-open.sh: tshark missing (tools/setup-debian.sh)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "app-open.sh: /usr/bin/time missing (tools/setup-debian.sh)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Warm-up run: fills the page cache, and tells which server ports carry IMAP or
# POP3 so tshark can be told about non-standard ones (as bench/decode.sh does).
"$cli" decode --format json "$file" > "$tmp/events.json"
decode_as=$(python3 - "$tmp/events.json" <<'PY'
import json, sys
ports = {"imap": set(), "pop3": set()}
standard = {"imap": {143}, "pop3": {110}}
with open(sys.argv[1], encoding="utf-8") as events:
    for line in events:
        ev = json.loads(line)
        proto = ev.get("proto")
        if proto in ports:
            end = ev.get("dst") if ev.get("dir") == "c2s" else ev.get("src")
            if end and ":" in end:
                ports[proto].add(int(end.rsplit(":", 1)[1]))
args = []
for proto, name in (("imap", "imap"), ("pop3", "pop")):
    for port in sorted(ports[proto] - standard[proto]):
        args.append("-d tcp.port==%d,%s" % (port, name))
print(" ".join(args))
PY
)
rm -f "$tmp/events.json"

# The application, RUNS times, each in a fresh X server and with its own
# settings and recent-files list (nothing of the user's is touched).
i=0
while [ "$i" -lt "$RUNS" ]; do
  XDG_DATA_HOME=$tmp/data GSK_RENDERER=$GSK_RENDERER GSETTINGS_BACKEND=memory \
    GTK_A11Y=none NO_AT_BRIDGE=1 \
    xvfb-run -a -s '-screen 0 1280x800x24' "$app" "$file" >> "$tmp/app.txt" 2> "$tmp/app.err" || {
      cat "$tmp/app.err" >&2
      echo "app-open.sh: bench/app-open failed" >&2
      exit 1
    }
  i=$((i + 1))
done

# best_of NAME CMD...: RUNS runs of CMD under /usr/bin/time, output discarded;
# writes the shortest wall-clock time (ns) and the largest peak RSS (KiB).
best_of () {
  name=$1
  shift
  best=""
  rss=0
  i=0
  while [ "$i" -lt "$RUNS" ]; do
    start=$(date +%s%N)
    /usr/bin/time -v "$@" > /dev/null 2> "$tmp/time.txt"
    end=$(date +%s%N)
    t=$((end - start))
    if [ -z "$best" ] || [ "$t" -lt "$best" ]; then
      best=$t
    fi
    r=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$tmp/time.txt")
    if [ "$r" -gt "$rss" ]; then
      rss=$r
    fi
    i=$((i + 1))
  done
  echo "$best $rss" > "$tmp/$name.txt"
}

# shellcheck disable=SC2086 # $decode_as is a list of options
best_of fields tshark -n -r "$file" $decode_as -T fields -e frame.number \
  -e imap.request.command -e pop.request.command
best_of plain tshark -n -r "$file"

python3 - "$tmp" "$RUNS" "$GSK_RENDERER" "$(stat -c %s "$file")" <<'PY'
import os, sys
tmp, runs, renderer, size = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
app = []
with open(os.path.join(tmp, "app.txt"), encoding="utf-8") as lines:
    for line in lines:
        app.append(dict(kv.split("=", 1) for kv in line.split()))
def tshark(name):
    with open(os.path.join(tmp, name + ".txt"), encoding="utf-8") as f:
        ns, kib = f.read().split()
    return int(ns) / 1e9, int(kib) / 1024
first = min(int(r["first_page_us"]) for r in app) / 1e6
loaded = min(int(r["loaded_us"]) for r in app) / 1e6
stall = max(int(r["max_stall_all_us"]) for r in app) / 1e3
stall_indexing = max(int(r["max_stall_us"]) for r in app) / 1e3
gap = max(int(r["max_frame_gap_all_us"]) for r in app) / 1e3
rss_open = max(int(r["hwm_open_kib"]) for r in app) / 1024
rss_before = max(int(r["hwm_before_kib"]) for r in app) / 1024
rss = max(int(r["hwm_kib"]) for r in app) / 1024
all_first = min(int(r["all_first_page_us"]) for r in app) / 1e6
all_stall = max(int(r["all_max_stall_us"]) for r in app) / 1e3
all_gap = max(int(r["all_max_frame_gap_us"]) for r in app) / 1e3
progress = min(int(r["progress"]) for r in app)
moved = min(int(r["progress_moved"]) for r in app)
progress_shown = min(int(r["progress_shown"]) for r in app)
session_page = min(int(r["session_page_us"]) for r in app) / 1e6
early = sum(int(r["session_early"]) for r in app)
fields_s, fields_mib = tshark("fields")
plain_s, plain_mib = tshark("plain")
r = app[0]
print("capture: %s frames, %.1f MiB; the list's first page shows %s rows (%s row widgets drawn)"
      % (r["frames"], size / 1048576, r["rows"], r["drawn_rows"]))
print("best of %d, GSK_RENDERER=%s:" % (runs, renderer))
print("  first page of packets: %.2f s (target < 1 s)" % first)
print("  session page shown:    %.2f s (before the file was fully indexed in %d of %d runs)"
      % (session_page, early, runs))
print("  fully indexed:         %.2f s" % loaded)
print("  progress: %d reports, the bar moved forward on %d, %d came with the lesson on screen"
      " (fewest of the runs)" % (progress, moved, progress_shown))
print("  longest main-loop stall: %.0f ms (%.0f ms while indexing), longest frame gap: %.0f ms"
      % (stall, stall_indexing, gap))
print("  peak RSS: %.0f MiB (%.0f MiB before opening the file)" % (rss_open, rss_before))
print("then every session and step (%s rows, %s row widgets drawn):" % (r["all_rows"], r["all_drawn_rows"]))
print("  first page: %.2f s after the switch; longest stall %.0f ms, longest frame gap %.0f ms"
      % (all_first, all_stall, all_gap))
print("  peak RSS: %.0f MiB" % rss)
print("tshark -T fields: %.2f s, peak RSS %.0f MiB" % (fields_s, fields_mib))
print("tshark -r:        %.2f s, peak RSS %.0f MiB" % (plain_s, plain_mib))
print("first page vs tshark -T fields: %.0fx sooner; fully indexed: %.1fx faster"
      % (fields_s / first, fields_s / loaded))
print("peak RSS after opening vs tshark -T fields: %.2fx; vs tshark -r: %.2fx"
      % (rss_open / fields_mib, rss_open / plain_mib))
PY
