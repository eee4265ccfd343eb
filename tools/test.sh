#!/bin/sh
# Builds Mailscope twice (normal, then ASan+UBSan) and runs the whole test suite in each.
#
# Prints one summary line "N passed, N failed, N skipped" summed over both builds and
# exits non-zero when anything failed. Run from anywhere; it works in the source root.
set -u

cd "$(dirname "$0")/.." || exit 1

sh tools/setup-debian.sh || exit 1

# CI treats compiler warnings as errors; local builds only stop on the -Werror= set.
werror=""
if [ "${CI:-}" = "true" ]; then
  werror="-Dwerror=true"
fi

# Stop at the first sanitizer report and say where it came from.
ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:print_stacktrace=1"
UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1"
LSAN_OPTIONS="suppressions=$(pwd)/tools/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

# Build directories (overridable, e.g. to keep several checkouts' builds apart).
build=${MS_BUILD_DIR:-build}
build_asan=${MS_ASAN_BUILD_DIR:-build-asan}

# Builds that could not even run their tests; each counts as one failure.
broken=0

# run_suite DIR [MESON-SETUP-ARGS...]: configures (once), builds and tests one build dir.
run_suite () {
  dir=$1
  shift
  rm -f "$dir/meson-logs/testlog.json"
  if [ ! -f "$dir/build.ninja" ]; then
    # shellcheck disable=SC2086 # $werror is empty or one word
    meson setup "$dir" "$@" $werror || { broken=$((broken + 1)); return; }
  elif [ -n "$werror" ]; then
    meson configure "$dir" "$werror" || { broken=$((broken + 1)); return; }
  fi
  ninja -C "$dir" || { broken=$((broken + 1)); return; }
  # A failing test is counted from the log below, not from meson's exit status.
  meson test -C "$dir" --print-errorlogs --num-processes "$(nproc)" "$multiplier" || true
  if [ ! -f "$dir/meson-logs/testlog.json" ]; then
    broken=$((broken + 1))
  fi
}

echo "== normal build ($build/)"
multiplier="--timeout-multiplier=1"
run_suite "$build"

echo "== ASan + UBSan build ($build_asan/)"
# Sanitized code runs a few times slower.
multiplier="--timeout-multiplier=3"
# Mesa's GL driver leaks while GTK probes it and is unloaded before LeakSanitizer
# can name it; the GUI tests draw with cairo anyway.
GDK_DEBUG=gl-disable
export GDK_DEBUG
run_suite "$build_asan" -Db_sanitize=address,undefined -Db_lundef=false

# A short pass of every fuzz target (libFuzzer, clang, ASan+UBSan); it counts
# as one test, failed on any crash, leak or sanitizer report.
fuzz_seconds=${MS_FUZZ_SECONDS:-30}
echo "== fuzz pass, ${fuzz_seconds}s per target (tests/fuzz/run.sh)"
if bash tests/fuzz/run.sh "$fuzz_seconds"; then
  fuzz_result=pass
else
  fuzz_result=fail
fi

python3 - "$broken" "$fuzz_result" "$build/meson-logs/testlog.json" "$build_asan/meson-logs/testlog.json" <<'PY'
import json, os, sys

passed = failed = skipped = 0
failed += int(sys.argv[1])
if sys.argv[2] == "pass":
    passed += 1
else:
    failed += 1
for path in sys.argv[3:]:
    if not os.path.exists(path):
        continue
    with open(path, encoding="utf-8") as log:
        for line in log:
            line = line.strip()
            if not line:
                continue
            result = json.loads(line).get("result")
            if result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
