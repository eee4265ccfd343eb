#!/bin/bash
# Regenerates the expected decoder outputs (NAME.txt, NAME.jsonl) beside each sample capture.
#
#   samples/regen-expected.sh [CLI] [NAME...]
#
# CLI is the built mailscope-cli; by default the first of build/src/cli/mailscope-cli
# and build-*/src/cli/mailscope-cli that exists. Review the changes with
# `git diff samples/` before committing them: they are what the golden tests
# (tests/golden) will hold the decoders to.
set -euo pipefail
SAMPLES=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SAMPLES/.." && pwd)
cli=
if [ $# -gt 0 ] && [ -x "$1" ] && [ -f "$1" ]; then
  cli=$1; shift
else
  for c in "$ROOT"/build/src/cli/mailscope-cli "$ROOT"/build-*/src/cli/mailscope-cli; do
    if [ -x "$c" ]; then cli=$c; break; fi
  done
fi
[ -n "$cli" ] || { echo "regen-expected.sh: no mailscope-cli found; build it or pass its path" >&2; exit 1; }
echo "using $cli"
MS_SOURCE_ROOT=$ROOT exec python3 "$ROOT/tests/golden/golden.py" regen "$cli" "$@"
