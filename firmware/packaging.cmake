# What `cmake --install` puts on a kiosk and how CPack makes the .deb of it:
# the service, udev rule, sysusers/tmpfiles entries, hardware watchdog
# drop-in, default config (a conffile), board profiles and docs. Build the
# package with CMAKE_INSTALL_PREFIX=/usr, so the paths compiled into the
# program (assets, board profiles) match where the package puts them.
include(GNUInstallDirs)

set(_fw "${PROJECT_SOURCE_DIR}/firmware")

install(FILES "${_fw}/systemd/convene.service" DESTINATION lib/systemd/system)
install(FILES "${_fw}/systemd/system.conf.d/50-convene-watchdog.conf"
        DESTINATION lib/systemd/system.conf.d)
install(FILES "${_fw}/systemd/convene.sysusers" DESTINATION lib/sysusers.d RENAME convene.conf)
install(FILES "${_fw}/systemd/convene.tmpfiles" DESTINATION lib/tmpfiles.d RENAME convene.conf)
install(FILES "${_fw}/udev/60-convene.rules" DESTINATION lib/udev/rules.d)
install(FILES "${_fw}/udev/convene-nfc-blacklist.conf" DESTINATION lib/modprobe.d
        RENAME convene-nfc.conf)
# /etc for a /usr prefix, PREFIX/etc otherwise (a test install stays put).
install(FILES "${_fw}/etc/convene.conf" DESTINATION "${CMAKE_INSTALL_FULL_SYSCONFDIR}/convene")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/board/" DESTINATION share/convene/board
        FILES_MATCHING PATTERN "*.ini" PATTERN "*.txt" PATTERN "*.md")
foreach(doc board-setup.md config.md)
  if(EXISTS "${PROJECT_SOURCE_DIR}/docs/${doc}")
    install(FILES "${PROJECT_SOURCE_DIR}/docs/${doc}" DESTINATION share/doc/convene)
  endif()
endforeach()

set(CONVENE_PACKAGE_VERSION "${PROJECT_VERSION}" CACHE STRING
    "The .deb's version (the upgrade test builds a newer one)")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME convene)
set(CPACK_PACKAGE_VERSION "${CONVENE_PACKAGE_VERSION}")
set(CPACK_PACKAGE_VENDOR "Convene")
set(CPACK_PACKAGE_CONTACT "Convene maintainers <convene@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "check-in kiosk for in-person gatherings")
set(CPACK_PACKAGE_DESCRIPTION
    "Convene runs a check-in and meet-up kiosk on a Raspberry Pi class board:\n"
    "an NFC reader through libnfc, a touch screen through SDL on KMSDRM, and\n"
    "an SQLite store. It runs as the convene systemd service.")
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Named rather than computed by dpkg-shlibdeps, which cannot see a cross
# build's sysroot. These are bookworm's (and Raspberry Pi OS's) names.
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libc6, libsdl2-2.0-0, libsdl2-ttf-2.0-0, libsdl2-image-2.0-0, libsqlite3-0, libnfc6, \
libinih1, libcsv3, libjansson4, libfontconfig1, libsystemd0, libgpiod2, libsodium23, libcurl4, \
libmicrohttpd12, zlib1g, systemd, fonts-dejavu-core")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${_fw}/debian/postinst;${_fw}/debian/prerm;${_fw}/debian/postrm;${_fw}/debian/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

if(CMAKE_CROSSCOMPILING)
  if(CMAKE_SYSTEM_PROCESSOR STREQUAL "aarch64")
    set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
  elseif(CMAKE_SYSTEM_PROCESSOR STREQUAL "arm")
    set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE armhf)
  endif()
endif()

include(CPack)
