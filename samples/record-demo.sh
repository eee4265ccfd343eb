#!/bin/sh
# record-demo.sh - records the demo's captures into samples/ and regenerates
# their expected outputs (NAME.txt, NAME.jsonl) with mailscope-cli decode.
#
#   samples/record-demo.sh BUILDDIR
#
# Needs root (the demo binds the standard ports and captures lo directly).
# Review the diff of the expected files before committing them.
set -eu

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILDDIR" >&2
  exit 2
fi
if [ "$(id -u)" != 0 ]; then
  echo "$0: run as root: the demo must capture on lo and bind the standard ports" >&2
  exit 1
fi
here=$(cd "$(dirname "$0")" && pwd)
cli=$(cd "$1" && pwd)/src/cli/mailscope-cli
[ -x "$cli" ] || { echo "$0: $cli not found; build first" >&2; exit 1; }
export LC_ALL=C.UTF-8 LANGUAGE=en NO_COLOR=1
unset LANG || true

# demo NAME KIND [OPTIONS...]: one demo run into samples/NAME.pcap.
demo() {
  name=$1
  shift
  rm -f "$here/$name.pcap" "$here/$name.keys"
  "$cli" demo "$@" -w "$here/$name.pcap" > /dev/null
  first=$("$cli" decode --format json "$here/$name.pcap" | head -n 1)
  case $first in
    *'"dst":"127.0.0.1:53"'*) ;;
    *) echo "$0: $name.pcap does not start with a DNS query to port 53; were the standard ports free?" >&2
       exit 1 ;;
  esac
  echo "recorded samples/$name.pcap"
}

demo demo-imap imap
demo demo-imap-starttls imap --tls starttls
demo demo-imap-implicit imap --tls implicit
# Only the STARTTLS sample keeps its secrets: the implicit one shows what an
# observer without them sees.
rm -f "$here/demo-imap-implicit.keys"
chmod 644 "$here/demo-imap-starttls.keys"
demo demo-pop3 pop3
demo demo-compare compare
demo demo-shared shared

python3 "$here/../tests/golden/golden.py" regen "$cli" \
  demo-imap demo-imap-starttls demo-imap-implicit demo-pop3 demo-compare demo-shared
