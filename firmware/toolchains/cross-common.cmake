# Shared by the toolchain files: the compiler by triplet, the sysroot (cache
# variable CONVENE_SYSROOT or the environment's CONVENE_SYSROOT), pkg-config
# confined to the sysroot, and qemu-user as the emulator that runs the test
# binaries (binfmt_misc may be missing, so it is named explicitly).
set(CMAKE_SYSTEM_NAME Linux)
string(REGEX MATCH "^[^-]+" CMAKE_SYSTEM_PROCESSOR "${CONVENE_CROSS_TRIPLET}")
set(CMAKE_C_COMPILER ${CONVENE_CROSS_TRIPLET}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${CONVENE_CROSS_TRIPLET})

if(NOT CONVENE_SYSROOT AND DEFINED ENV{CONVENE_SYSROOT})
  set(CONVENE_SYSROOT "$ENV{CONVENE_SYSROOT}")
endif()
if(NOT CONVENE_SYSROOT OR NOT EXISTS "${CONVENE_SYSROOT}/usr/include")
  message(FATAL_ERROR "CONVENE_SYSROOT must name a ${CONVENE_CROSS_TRIPLET} sysroot "
                      "(firmware/cross/sysroot.sh makes one); got '${CONVENE_SYSROOT}'")
endif()
set(CONVENE_SYSROOT "${CONVENE_SYSROOT}" CACHE PATH "The target's root filesystem")
# try_compile projects see the sysroot too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES CONVENE_SYSROOT)

set(CMAKE_SYSROOT "${CONVENE_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH "${CONVENE_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(ENV{PKG_CONFIG_SYSROOT_DIR} "${CONVENE_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR}
    "${CONVENE_SYSROOT}/usr/lib/${CONVENE_CROSS_TRIPLET}/pkgconfig:${CONVENE_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# -L makes qemu look up the dynamic loader and libraries in the sysroot.
find_program(CONVENE_QEMU ${CONVENE_CROSS_QEMU})
if(CONVENE_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${CONVENE_QEMU};-L;${CONVENE_SYSROOT}")
endif()

