#!/bin/sh
# Cross-builds Convene for arm64 (or armhf) and runs the unit tests that
# need no display under qemu-user. The -dev packages come from a sysroot
# made with mmdebstrap (not multiarch installs: libnfc-dev:arm64 and
# libnfc-dev:amd64 conflict through libusb-dev); the test binaries run
# through qemu-ARCH-static named by the toolchain file, as binfmt_misc may
# be missing. Also makes the .deb for that architecture.
# usage: firmware/cross/build-arm64.sh [--deps] [ARCH [BUILD_DIR]]
#   --deps      install the cross compiler, qemu-user-static and mmdebstrap
#   ARCH        arm64 (default) or armhf
#   BUILD_DIR   default: build-ARCH in the source tree; the sysroot is kept
#               in BUILD_DIR/sysroot and reused when it exists
set -eu
cd "$(dirname "$0")/../.."
src=$(pwd)

deps=0
if [ "${1:-}" = "--deps" ]; then
	deps=1
	shift
fi
arch=${1:-arm64}
build=${2:-$src/build-$arch}
case $arch in
arm64) triplet=aarch64-linux-gnu; qemu=qemu-aarch64-static ;;
armhf) triplet=arm-linux-gnueabihf; qemu=qemu-arm-static ;;
*) echo "unknown architecture $arch (arm64 or armhf)" >&2; exit 2 ;;
esac

stamp() { date +%s; }
t0=$(stamp)
if [ $deps = 1 ]; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
		"gcc-$triplet" qemu-user-static mmdebstrap cmake pkg-config >/dev/null
fi
t1=$(stamp)

mkdir -p "$build"
sysroot="$build/sysroot"
if [ ! -e "$sysroot/usr/lib/$triplet/pkgconfig/libnfc.pc" ]; then
	"$src/firmware/cross/sysroot.sh" "$arch" "$sysroot"
fi
t2=$(stamp)

cmake -S "$src" -B "$build" \
	-DCMAKE_TOOLCHAIN_FILE="$src/firmware/toolchains/$triplet.cmake" \
	-DCONVENE_SYSROOT="$sysroot" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DCMAKE_INSTALL_PREFIX=/usr -DCONVENE_WERROR="${CONVENE_WERROR:-ON}" >"$build/configure.log"
cmake --build "$build" -j"$(nproc)" >"$build/build.log" 2>&1 || {
	tail -n 40 "$build/build.log"
	exit 1
}
t3=$(stamp)

# The unit suites: core, adapters (SDL's offscreen driver) and package.
# The e2e, UI and bench suites drive the whole program and stay native.
(cd "$build" && ctest -L unit --output-on-failure -j"$(nproc)" --timeout 600)
t4=$(stamp)

(cd "$build" && cpack -G DEB -B "$build/deb" >/dev/null)
deb=$(ls "$build"/deb/convene_*_"$arch".deb)
file "$build/convene" 2>/dev/null || true
echo "built $deb"
echo "times: deps $((t1 - t0)) s, sysroot $((t2 - t1)) s, build $((t3 - t2)) s," \
	"tests under $qemu $((t4 - t3)) s"
