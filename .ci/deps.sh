#!/bin/sh
# Installs what Convene needs on Debian 12 (bookworm) or Raspberry Pi OS:
# the build and run dependencies, and with --test the test tools too.
set -eu

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

packages="build-essential cmake pkg-config
  libnfc-dev libsdl2-dev libsdl2-ttf-dev libsdl2-image-dev libsqlite3-dev
  libinih-dev libcsv-dev libjansson-dev libfontconfig-dev fonts-dejavu-core
  libsystemd-dev libsodium-dev
  libcurl4-openssl-dev libmicrohttpd-dev zlib1g-dev libgpiod-dev"

if [ "${1:-}" = "--test" ]; then
  packages="$packages libcmocka-dev clang libclang-rt-14-dev clang-format
    curl python3 python3-networkx libxml2-utils sqlite3 valgrind libnfc-examples procps
    systemd openssl
    qemu-system-x86 busybox-static gpiod cpio xz-utils kmod"
fi

$SUDO apt-get update -qq
# shellcheck disable=SC2086 # the list is split on purpose
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $packages >/dev/null
