#!/bin/sh
# Builds mailscope-cli if needed and runs bench/session-workload.py: the same scripted IMAP
# session (login, list, select, overview fetch, partial fetch, logout) N times against
# mailscope-cli serve and a private Dovecot; prints sessions/s and their ratio.
#
# usage: bench/workload.sh [BUILD_DIR] [session-workload.py options]
# (BUILD_DIR defaults to build/)
# Runs as root: Dovecot's mailbox belongs to the "mail" user. Options: --sessions N,
# --concurrency C, --rounds R, --servers mailscope,dovecot.
set -eu

src_root=$(cd "$(dirname "$0")/.." && pwd)
# The command line as typed, for the closing block of figures.
MS_BENCH_COMMAND="bench/workload.sh${*:+ $*}"
export MS_BENCH_COMMAND
build=$src_root/build
case ${1-} in
  ''|-*) ;;
  *) build=$(cd "$1" 2>/dev/null && pwd || echo "$1"); shift ;;
esac

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$src_root" >/dev/null
fi
ninja -C "$build" src/cli/mailscope-cli >/dev/null

exec python3 "$src_root/bench/session-workload.py" --build "$build" "$@"
