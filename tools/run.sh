#!/bin/sh
# Installs what is missing, builds Mailscope and decodes a bundled sample capture.
set -eu

cd "$(dirname "$0")/.."

sh tools/setup-debian.sh
if [ ! -f build/build.ninja ]; then
  meson setup build
fi
ninja -C build

exec build/src/cli/mailscope-cli decode samples/imap-idle-partial.pcap
