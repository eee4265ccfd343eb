#!/bin/sh
# Installs every Debian 12 package Mailscope needs to build, test and benchmark.
#
# Runs as root, or through sudo when sudo exists. Does nothing (quickly) when
# every package is already installed, so it is safe to call before each build.
set -eu

PACKAGES="
build-essential meson ninja-build pkg-config gettext
libglib2.0-dev libpcap-dev libssl-dev libgmime-3.0-dev libjson-glib-dev
libgtk-4-dev libadwaita-1-dev appstream desktop-file-utils
tshark dovecot-imapd dovecot-pop3d dnsmasq-base curl python3 fetchmail isync
xvfb xauth imagemagick fonts-noto-cjk
clang libclang-rt-14-dev llvm
tcpdump iproute2 ethtool openssl ca-certificates libcap2-bin time bind9-dnsutils valgrind
"

missing=""
for pkg in $PACKAGES; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
  case "$status" in
    ii*) ;;
    *) missing="$missing $pkg" ;;
  esac
done

if [ -z "$missing" ]; then
  echo "setup-debian: all packages present"
  exit 0
fi

echo "setup-debian: installing:$missing"

if [ "$(id -u)" -eq 0 ]; then
  as_root=""
elif command -v sudo >/dev/null 2>&1; then
  as_root="sudo"
else
  echo "setup-debian: run as root (or install sudo) to install:$missing" >&2
  exit 1
fi

# tshark asks whether non-root users may capture; answer "no" ahead of time so
# the install never waits for a terminal.
echo "wireshark-common wireshark-common/install-setuid boolean false" \
  | $as_root debconf-set-selections 2>/dev/null || true

$as_root env DEBIAN_FRONTEND=noninteractive apt-get update
# shellcheck disable=SC2086 # word splitting of the package list is intended
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y \
  --no-install-recommends $missing </dev/null
