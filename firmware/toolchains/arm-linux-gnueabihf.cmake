# Cross-compiles for 32-bit Raspberry Pi OS / Debian armhf, the same way as
# aarch64-linux-gnu.cmake. Optional: never a reason for CI to fail.
set(CONVENE_CROSS_TRIPLET arm-linux-gnueabihf)
set(CONVENE_CROSS_QEMU qemu-arm-static)
include("${CMAKE_CURRENT_LIST_DIR}/cross-common.cmake")
# 64-bit file offsets: large files, and readdir() on ext4 from a 32-bit
# process (its 64-bit directory cookies fail with EOVERFLOW otherwise, which
# qemu-user on a 64-bit build machine shows at once).
set(CMAKE_C_FLAGS_INIT "-D_FILE_OFFSET_BITS=64")
