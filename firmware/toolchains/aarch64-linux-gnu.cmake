# Cross-compiles for 64-bit Raspberry Pi OS / Debian arm64 with Debian's
# gcc-aarch64-linux-gnu against a sysroot (made by firmware/cross/sysroot.sh),
# so no arm64 -dev package has to be installed on the build machine: the
# arm64 and amd64 libnfc-dev cannot be installed side by side (both need a
# libusb-dev that is not multi-arch). Tests run through qemu-aarch64-static.
set(CONVENE_CROSS_TRIPLET aarch64-linux-gnu)
set(CONVENE_CROSS_QEMU qemu-aarch64-static)
include("${CMAKE_CURRENT_LIST_DIR}/cross-common.cmake")
