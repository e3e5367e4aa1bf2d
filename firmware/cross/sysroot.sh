#!/bin/sh
# Makes a Debian bookworm sysroot for a cross build: the -dev packages
# Convene links against, for ARCH (arm64 or armhf), unpacked into DIR with
# mmdebstrap (nothing is configured or run, so no emulation is needed). The
# build machine's own package sources are used.
# usage: firmware/cross/sysroot.sh ARCH DIR
set -eu
arch=$1
dir=$2
pkgs="libc6-dev libsdl2-dev libsdl2-ttf-dev libsdl2-image-dev libsqlite3-dev libinih-dev
  libcsv-dev libjansson-dev libfontconfig-dev libnfc-dev libsystemd-dev libcmocka-dev
  libsodium-dev libcurl4-openssl-dev libmicrohttpd-dev zlib1g-dev libgpiod-dev"

sources=""
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
	[ -s "$f" ] && sources="$sources $f"
done

rm -rf "$dir"
# shellcheck disable=SC2086 # lists split on purpose
mmdebstrap --quiet --mode=root --variant=extract --architectures="$arch" \
	--include="$(echo $pkgs | tr ' ' ',')" \
	--skip=cleanup/apt/lists \
	bookworm "$dir" $sources
# Absolute symlinks inside the sysroot would point at the build machine.
find "$dir" -type l -lname '/*' | while read -r link; do
	target=$(readlink "$link")
	ln -sfn "$dir$target" "$link"
done
# merged /usr: the dynamic loader path baked into binaries is /lib/...
for d in bin lib sbin; do
	[ -e "$dir/$d" ] || ln -s "usr/$d" "$dir/$d"
done
echo "sysroot for $arch in $dir: $(du -sh "$dir" | cut -f1)"
