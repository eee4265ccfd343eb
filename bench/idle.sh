#!/bin/sh
# Builds mailscope-cli if needed and runs bench/idle-sessions.py: 1,000 IMAP sessions in
# IDLE against mailscope-cli serve and a private Dovecot, one delivery, time to EXISTS.
#
# usage: bench/idle.sh [BUILD_DIR] [idle-sessions.py options]
# (BUILD_DIR defaults to build/)
# Runs as root: Dovecot's mailbox belongs to the "mail" user, and the inotify
# instance limit is raised for the run (and restored). Options: --sessions N,
# --deliveries K, --servers mailscope,dovecot.
set -eu

src_root=$(cd "$(dirname "$0")/.." && pwd)
# The command line as typed, for the closing block of figures.
MS_BENCH_COMMAND="bench/idle.sh${*:+ $*}"
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

exec python3 "$src_root/bench/idle-sessions.py" --build "$build" "$@"
