#!/bin/sh
# The main job: installs what is missing, builds Mailscope, and starts the
# live loopback demo — in the GTK application when there is a display, in the
# terminal otherwise (and says so).
set -eu

cd "$(dirname "$0")/.."

sh tools/setup-debian.sh
if [ ! -f build/build.ninja ]; then
  meson setup build
fi
ninja -C build

# Run from the build tree: use the translations built beside the programs.
MAILSCOPE_LOCALEDIR="$(pwd)/build/po"
export MAILSCOPE_LOCALEDIR

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec build/src/app/mailscope --demo
fi

echo "No display found: running the live loopback demo in the terminal instead of the window."
echo
exec build/src/cli/mailscope-cli demo compare
