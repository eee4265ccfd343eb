#!/bin/bash
# Runs every libFuzzer target (or the ones named) for SECONDS each, one at
# a time, in its own clang ASan+UBSan build; fails on any crash, leak,
# timeout or sanitizer report. Usage: tests/fuzz/run.sh SECONDS [TARGET...]
#
# New inputs go to $build/fuzz-work/TARGET (not committed); a crash leaves
# $build/fuzz-artifacts/TARGET/crash-*: copy it to tests/fuzz/regressions/
# TARGET/ once fixed. CPU seconds per run are appended to
# $build/fuzz-cpu.tsv (target, cpu seconds, executions, wall seconds).
set -u

if [ $# -lt 1 ] || ! [ "$1" -gt 0 ] 2>/dev/null; then
  echo "usage: $0 SECONDS [TARGET...]" >&2
  exit 64
fi
seconds=$1
shift

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 1
build=${MS_FUZZ_BUILD_DIR:-build-fuzz-clang}

all_targets="pipeline imap pop3 tls dns-tcp dns-udp reasm pop3-server imap-server dns-server"
targets=${*:-$all_targets}

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" -Dfuzzing=true -Db_sanitize=address,undefined \
    -Db_lundef=false || exit 1
fi
ninja_targets=""
for t in $targets; do
  ninja_targets="$ninja_targets tests/fuzz/fuzz-$t"
done
# shellcheck disable=SC2086 # one word per target
ninja -C "$build" $ninja_targets || exit 1

export MS_SOURCE_ROOT="$root"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:suppressions=$here/ubsan.supp"
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0"
# Throwaway labs of the server targets go to memory when it is there.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  export TMPDIR=/dev/shm
fi

dict_for () {
  case $1 in
    imap|imap-server) echo imap.dict ;;
    pop3|pop3-server) echo pop3.dict ;;
    tls) echo tls.dict ;;
    dns-*) echo dns.dict ;;
    pipeline) echo pcap.dict ;;
    *) echo "" ;;
  esac
}

failed=""
for t in $targets; do
  bin="$build/tests/fuzz/fuzz-$t"
  work="$build/fuzz-work/$t"
  art="$build/fuzz-artifacts/$t"
  mkdir -p "$work" "$art" "$here/regressions/$t"
  max_len=8192
  [ "$t" = pipeline ] && max_len=65536
  dict=$(dict_for "$t")
  dict_arg=""
  [ -n "$dict" ] && dict_arg="-dict=$here/$dict"
  log="$build/fuzz-$t.log"
  echo "== fuzz-$t for ${seconds}s"
  TIMEFORMAT="%U %S %R"
  # shellcheck disable=SC2086 # dict_arg is empty or one word
  { time "$bin" -max_total_time="$seconds" -max_len="$max_len" -timeout=20 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art/" $dict_arg \
      "$work" "$here/corpus/$t" "$here/regressions/$t" > "$log" 2>&1; } 2> "$build/fuzz-$t.time"
  rc=$?
  read -r user sys real < "$build/fuzz-$t.time"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cpu=$(echo "$user $sys" | awk '{ printf "%.0f", $1 + $2 }')
  printf '%s\t%s\t%s\t%s\n' "$t" "$cpu" "${execs:-0}" "$real" >> "$build/fuzz-cpu.tsv"
  if [ $rc -ne 0 ] || grep -q -E "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:" "$log"; then
    echo "fuzz-$t FAILED (exit $rc); log: $log" >&2
    grep -E -A30 "ERROR: |runtime error:" "$log" | head -60 >&2
    ls "$art" >&2
    failed="$failed $t"
  else
    echo "fuzz-$t ok: ${execs:-?} inputs, ${cpu}s CPU"
  fi
done

if [ -n "$failed" ]; then
  echo "failed:$failed" >&2
  exit 1
fi
echo "all fuzz targets ran ${seconds}s without a report"
