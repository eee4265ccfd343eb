#!/bin/sh
# Times mailscope-cli's decode against tshark and a bare libpcap read of the same capture.
#
# usage: bench/decode.sh FILE [BUILD_DIR]     (BUILD_DIR defaults to build/)
# Prints the best and the median of RUNS wall-clock times for each (tshark:
# TSHARK_RUNS), mailscope-cli's peak RSS and the ratios the project aims for
# (from the best times): >= 20x faster than tshark, <= 3x the raw read, peak
# RSS < 64 MiB. The decoder and the raw read run in turns, and the ratio of
# each round is reported too; then both programs' start-up and how the JSON
# run's CPU time divides between user and kernel.
# Make a large capture first with bench/make-capture.sh.
set -eu

RUNS=${RUNS:-10}              # best of RUNS hides one-off noise (page cache, other load)
TSHARK_RUNS=${TSHARK_RUNS:-3} # tshark takes seconds a run

src_root=$(cd "$(dirname "$0")/.." && pwd)
file=${1:?usage: bench/decode.sh FILE [BUILD_DIR]}
build=${2:-$src_root/build}
cli=$build/src/cli/mailscope-cli
raw=$build/bench/pcap-read

for tool in "$cli" "$raw"; do
  [ -x "$tool" ] || { echo "decode.sh: $tool missing; build it with ninja -C $build" >&2; exit 1; }
done
command -v tshark >/dev/null || { echo "decode.sh: tshark missing (tools/setup-debian.sh)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "decode.sh: /usr/bin/time missing (tools/setup-debian.sh)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The machine's load before any of the runs below add to it.
load=$(cut -d' ' -f1 /proc/loadavg)

# Warm-up run: fills the page cache, and tells which server ports carry IMAP or POP3
# so tshark can be told about non-standard ones.
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
events=$(wc -l < "$tmp/events.json")
if [ "$events" -eq 0 ]; then
  echo "decode.sh: mailscope-cli wrote no events for $file; its times would mean nothing" >&2
  exit 1
fi
rm -f "$tmp/events.json"

# elapsed CMD...: one run's wall-clock time in nanoseconds, output discarded.
elapsed () {
  start=$(date +%s%N)
  "$@" > /dev/null 2>&1
  end=$(date +%s%N)
  echo $((end - start))
}

# best_median "T1 T2 …": the shortest and the median of the times.
best_median () {
  # shellcheck disable=SC2086 # one number per word
  printf '%s\n' $1 | sort -n | awk '{ t[NR] = $1 } END { print t[1], t[int((NR + 1) / 2)] }'
}

# The decoder and the raw read take turns, round after round, so that both
# see the machine in the same state (on a shared virtual machine the speed
# of both drifts by half within a minute); each round's ratio is kept too.
json_times="" text_times="" raw_times="" ratios=""
i=0
while [ "$i" -lt "$RUNS" ]; do
  ms_t=$(elapsed "$cli" decode --format json "$file")
  raw_t=$(elapsed "$raw" "$file")
  text_t=$(elapsed "$cli" decode --format text "$file")
  json_times="$json_times $ms_t"
  raw_times="$raw_times $raw_t"
  text_times="$text_times $text_t"
  ratios="$ratios $((ms_t * 1000 / raw_t))"
  i=$((i + 1))
done
ms_ns=$(best_median "$json_times")
text_ns=$(best_median "$text_times")
raw_ns=$(best_median "$raw_times")
ratio_milli=$(best_median "$ratios")

# tshark takes seconds a run: timed apart.
tshark_times=""
i=0
while [ "$i" -lt "$TSHARK_RUNS" ]; do
  # shellcheck disable=SC2086 # $decode_as is a list of options
  tshark_times="$tshark_times $(elapsed tshark -n -r "$file" $decode_as -T fields \
    -e frame.number -e imap.request.command -e pop.request.command)"
  i=$((i + 1))
done
tshark_ns=$(best_median "$tshark_times")

# Start-up: what each program costs before its first frame (mailscope-cli
# loads some 30 shared libraries). pcap-read gets a capture with no frames.
printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\001\000\000\000' \
  > "$tmp/empty.pcap"
start_ms="" start_raw=""
i=0
while [ "$i" -lt "$RUNS" ]; do
  start_ms="$start_ms $(elapsed "$cli" --version)"
  start_raw="$start_raw $(elapsed "$raw" "$tmp/empty.pcap")"
  i=$((i + 1))
done
start_ms_ns=$(best_median "$start_ms")
start_raw_ns=$(best_median "$start_raw")

/usr/bin/time -v "$cli" decode --format json "$file" > /dev/null 2> "$tmp/time.txt"
rss_kib=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$tmp/time.txt")
user_s=$(sed -n 's/.*User time (seconds): *//p' "$tmp/time.txt")
system_s=$(sed -n 's/.*System time (seconds): *//p' "$tmp/time.txt")

frames=$("$raw" "$file" | cut -d' ' -f1)
size=$(stat -c %s "$file")

# shellcheck disable=SC2086 # each *_ns and $ratio_milli is "best median"
python3 - $ms_ns $tshark_ns $raw_ns "$rss_kib" "$frames" "$size" "$events" "$RUNS" $text_ns \
  $ratio_milli "$TSHARK_RUNS" $start_ms_ns $start_raw_ns "$load" "$user_s" "$system_s" <<'PY'
import sys
(ms, ms_med, tshark, tshark_med, raw, raw_med, rss, frames, size, events, runs,
 text, text_med, ratio_best, ratio_med, tshark_runs, start_ms, _start_ms_med, start_raw,
 _start_raw_med) = (int(a) for a in sys.argv[1:21])
load = sys.argv[21]
user, system = float(sys.argv[22]), float(sys.argv[23])
mib = size / 1048576
print("capture: %d frames, %.1f MiB; mailscope-cli wrote %d events; load average before: %s"
      % (frames, mib, events, load))
print("best of %d (tshark %d): mailscope-cli %.3f s, tshark %.2f s, pcap-read %.3f s"
      % (runs, tshark_runs, ms / 1e9, tshark / 1e9, raw / 1e9))
print("median:     mailscope-cli %.3f s, tshark %.2f s, pcap-read %.3f s"
      % (ms_med / 1e9, tshark_med / 1e9, raw_med / 1e9))
print("mailscope vs tshark: %.0fx faster (target >= 20x)" % (tshark / ms))
print("mailscope vs raw read: %.1fx (target <= 3x); round by round: best %.1fx, median %.1fx"
      % (ms / raw, ratio_best / 1000, ratio_med / 1000))
print("peak RSS: %d MiB (target < 64 MiB)" % round(rss / 1024))
print("for comparison, --format text: %.3f s (%.1fx the raw read)" % (text / 1e9, text / raw))
print("start-up (best): mailscope-cli --version %.1f ms, pcap-read of a capture with no frames %.1f ms"
      % (start_ms / 1e6, start_raw / 1e6))
cpu = user + system
print("CPU of one JSON run: %.2f s user + %.2f s system (the kernel: %.0f%%)"
      % (user, system, 100 * system / cpu if cpu else 0))
PY
