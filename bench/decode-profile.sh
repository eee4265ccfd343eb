#!/bin/sh
# Counts the instructions `mailscope-cli decode --format json` spends on each
# of its two threads, and where the writing thread spends them, with
# callgrind. Unlike wall-clock times, the counts do not depend on what else
# the machine is doing, so they tell which half bounds the run.
#
# usage: bench/decode-profile.sh FILE [BUILD_DIR]    (BUILD_DIR defaults to build/)
# Needs valgrind (callgrind and callgrind_annotate); runs about 100 times
# slower than the program itself.
set -eu

src_root=$(cd "$(dirname "$0")/.." && pwd)
file=${1:?usage: bench/decode-profile.sh FILE [BUILD_DIR]}
build=${2:-$src_root/build}
cli=$build/src/cli/mailscope-cli

[ -x "$cli" ] || { echo "decode-profile.sh: $cli missing; build it with ninja -C $build" >&2; exit 1; }
for tool in valgrind callgrind_annotate; do
  command -v "$tool" >/dev/null || { echo "decode-profile.sh: $tool missing (tools/setup-debian.sh)" >&2; exit 1; }
done
[ -r "$file" ] || { echo "decode-profile.sh: cannot read $file" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$tmp/cg" \
  "$cli" decode --format json "$file" > /dev/null 2> "$tmp/valgrind.log" || {
  echo "decode-profile.sh: the decode failed under valgrind:" >&2
  tail -n 5 "$tmp/valgrind.log" >&2
  exit 1
}
# One file per thread: -01 the decoding (main) thread, -02 the writer.
for part in 01 02; do
  [ -f "$tmp/cg-$part" ] || { echo "decode-profile.sh: no profile of thread $part (a single core runs one thread)" >&2; exit 1; }
  callgrind_annotate --inclusive=yes "$tmp/cg-$part" > "$tmp/annotated-$part" 2>/dev/null
done

python3 - "$tmp/cg-01" "$tmp/cg-02" "$tmp/annotated-01" "$tmp/annotated-02" <<'PY'
import re, sys

def total(path):
    with open(path) as f:
        for line in f:
            if line.startswith("totals:"):
                return int(line.split()[1])
    sys.exit("decode-profile.sh: no totals in " + path)

def inclusive(path, names):
    """Inclusive instruction counts of the named functions."""
    found = {}
    pattern = re.compile(r"^\s*([\d,]+) \(\s*[\d.]+%\)\s+\S*:(\w+) \[")
    with open(path) as f:
        for line in f:
            m = pattern.match(line)
            if m and m.group(2) in names and m.group(2) not in found:
                found[m.group(2)] = int(m.group(1).replace(",", ""))
    return found

decoder, writer = total(sys.argv[1]), total(sys.argv[2])
print("instructions: decoding thread %.0fM, writing thread %.0fM (%.2fx the decoding thread)"
      % (decoder / 1e6, writer / 1e6, writer / decoder))
parts = [("ms_event_json_write", "the JSON lines"),
         ("json_generator_to_gstring", "  of which json-glib's generator"),
         ("ms_lesson_process", "the lesson (steps, summaries)")]
found = inclusive(sys.argv[4], {name for name, _ in parts})
missing = [name for name, _ in parts if name not in found]
if missing:
    sys.exit("decode-profile.sh: no %s in the writing thread's profile" % ", ".join(missing))
for name, what in parts:
    print("  writing thread, %-34s %5.1f%%  (%s)" % (what + ":", 100.0 * found[name] / writer, name))
found = inclusive(sys.argv[3], {"ms_pipeline_feed"})
print("  decoding thread, %-33s %5.1f%%  (ms_pipeline_feed; the rest is mostly reading the file)"
      % ("decoding the frames:", 100.0 * found.get("ms_pipeline_feed", 0) / decoder))
PY
