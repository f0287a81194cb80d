# SipcInstall.cmake - `cmake --install`: libsipc (static and shared), the
# public headers (sipc/errno.h, sipc/sipc.h, sipc/node.h from the three layers'
# include dirs into one <includedir>/sipc), pkg-config files, a CMake package
# (find_package(sipc) gives sipc::sipc and sipc::sipc_static) and the programs.
#
# libsipc.so carries the wolfSSL it was built with. libsipc.a holds only sipc's
# own objects, so a static consumer also needs wolfSSL: the one built from
# Debian's source is installed as <libdir>/sipc/libsipc-wolfssl.a (a private
# name, so it cannot clash with a system libwolfssl) and named in the
# pkg-config files' Libs.private and in the CMake package; with
# SIPC_SYSTEM_WOLFSSL=ON static consumers use the system wolfssl instead.
#
# Two pkg-config modules, because one cannot give both link styles: with
# libsipc.so and libsipc.a side by side in <libdir>, "-lsipc" always picks the
# .so, with or without --static.
#   sipc         -lsipc: the shared library. Public requirement: libuv only
#                (sipc.h includes uv.h); protobuf-c, inih, jansson and wolfSSL
#                are private (for a fully static `cc -static` link).
#   sipc-static  <libdir>/libsipc.a by path; use it with --static, which adds
#                the libraries libsipc.a needs. The system libraries stay
#                shared unless the program is linked with -static.
include_guard(GLOBAL)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(SIPC_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/sipc")
set(SIPC_INSTALL_PRIVLIBDIR "${CMAKE_INSTALL_LIBDIR}/sipc")

# Directories `make install` creates are 0755 whatever the installer's umask:
# CMake makes them with mkdir, which the umask masks (CMake's
# CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS too), so a root umask of 077
# would leave lib/pkgconfig, lib/cmake or share/doc, shared with other
# packages, 0700. The first install step makes every missing folder of the
# destinations (listed at the end of this file) and gives it mode 0755; ones
# already there keep theirs. Files get CMake's own 0644 and 0755.
install(CODE "include(\"${PROJECT_BINARY_DIR}/sipc-install-dirs.cmake\")")

set_target_properties(sipc_shared PROPERTIES EXPORT_NAME sipc)
set_target_properties(sipc_static PROPERTIES EXPORT_NAME sipc_static)
if(NOT TARGET sipc::sipc)
  add_library(sipc::sipc ALIAS sipc_shared)
  add_library(sipc::sipc_static ALIAS sipc_static)
endif()
# Installed static library: its wolfSSL comes from sipcConfig.cmake.
target_link_libraries(sipc_static INTERFACE $<INSTALL_INTERFACE:sipc::wolfssl>)

install(TARGETS sipc_static sipc_shared EXPORT sipcTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The installed libsipc.a keeps machine code only: GCC's IR in its objects
# (SIPC_LTO) would tie a consumer linking with -flto to this very GCC version
# (another version refuses the bytecode), as Debian's dh_strip does too.
if(SIPC_LTO_ON)
  install(CODE "execute_process(COMMAND \"${CMAKE_OBJCOPY}\" -R .gnu.lto_* -R .gnu.debuglto_*
      -N __gnu_lto_v1 -N __gnu_lto_slim
      \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/$<TARGET_FILE_NAME:sipc_static>\"
    RESULT_VARIABLE _rc)
    if(NOT _rc EQUAL 0)
      message(FATAL_ERROR \"objcopy could not remove the IR from the installed libsipc.a\")
    endif()")
endif()
foreach(d ${SIPC_PUBLIC_INCLUDE_DIRS})
  install(DIRECTORY ${d}/sipc DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
endforeach()

foreach(prog sipcd sipcctl tlstool sipc-bench)
  if(TARGET ${prog})
    install(TARGETS ${prog} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()

# --- wolfSSL for static consumers, pkg-config fields ---
# Requires.private: what libsipc.a needs and the public headers do not use.
if(SIPC_WOLFSSL_BUNDLED)
  install(FILES "${SIPC_WOLFSSL_LIBRARY}" DESTINATION ${SIPC_INSTALL_PRIVLIBDIR}
    RENAME libsipc-wolfssl.a)
  # Its random generator (base/kernel_random.c), linked after it.
  install(TARGETS sipc_wolfssl_random ARCHIVE DESTINATION ${SIPC_INSTALL_PRIVLIBDIR})
  set(SIPC_PC_REQUIRES_PRIVATE "libprotobuf-c inih jansson")
  set(SIPC_PC_LIBS_PRIVATE
    "\${libdir}/sipc/libsipc-wolfssl.a \${libdir}/sipc/libsipc-wolfssl-random.a -lm -pthread")
else()
  set(SIPC_PC_REQUIRES_PRIVATE "libprotobuf-c inih jansson wolfssl")
  set(SIPC_PC_LIBS_PRIVATE "-lm -pthread")
endif()

# The .pc files are relocatable: prefix is found from their own location,
# so `cmake --install . --prefix DIR` works without reconfiguring.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(SIPC_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(SIPC_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH _rel "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
  string(REGEX REPLACE "/$" "" _rel "${_rel}")
  set(SIPC_PC_PREFIX "\${pcfiledir}/${_rel}")
  set(SIPC_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(SIPC_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(SIPC_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
foreach(_pc sipc sipc-static)
  set(SIPC_PC_NAME ${_pc})
  if(_pc STREQUAL "sipc")
    set(SIPC_PC_LIBS "-L\${libdir} -lsipc")
    set(SIPC_PC_DESCRIPTION_TAIL "")
  else()
    # By path: -lsipc would find libsipc.so first.
    set(SIPC_PC_LIBS "\${libdir}/libsipc.a")
    set(SIPC_PC_DESCRIPTION_TAIL "; libsipc linked statically: use with --static")
  endif()
  # Named for the install only: found in the build tree as NAME.pc, its
  # paths (relative to where it lies) would name directories that are not
  # there, and pkg-config would hand them to a compiler.
  configure_file(${CMAKE_CURRENT_LIST_DIR}/sipc.pc.in ${PROJECT_BINARY_DIR}/${_pc}.pc-to-install
                 @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${_pc}.pc-to-install
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig RENAME ${_pc}.pc)
  file(REMOVE ${PROJECT_BINARY_DIR}/${_pc}.pc) # what a build tree configured before kept
endforeach()

# --- CMake package ---
install(EXPORT sipcTargets NAMESPACE sipc:: DESTINATION ${SIPC_INSTALL_CMAKEDIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/sipcConfig.cmake.in
  ${PROJECT_BINARY_DIR}/sipcConfig.cmake
  INSTALL_DESTINATION ${SIPC_INSTALL_CMAKEDIR}
  PATH_VARS SIPC_INSTALL_PRIVLIBDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/sipcConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/sipcConfig.cmake ${PROJECT_BINARY_DIR}/sipcConfigVersion.cmake
  DESTINATION ${SIPC_INSTALL_CMAKEDIR})

# --- documentation ---
# The README, the guides (the systemd unit's Documentation= names the
# operator guide), the examples the quickstart builds and sipc-bench's README,
# laid out as in the source tree so that the guides' relative links resolve
# (README -> docs/quickstart.md -> ../examples/kv/); not the benchmark data.
file(GLOB _sipc_docs ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${_sipc_docs} DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
install(FILES ${PROJECT_SOURCE_DIR}/examples/CMakeLists.txt DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/kv DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES ${PROJECT_SOURCE_DIR}/tests/bench/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR}/tests/bench)
# The bundled wolfSSL is inside libsipc and every program: its licence
# (GPLv2 or later) and Debian's copyright file travel with the binaries, as
# the GPL asks of whoever passes them on.
if(SIPC_WOLFSSL_BUNDLED)
  install(FILES ${SIPC_WOLFSSL_DIR}/src/COPYING ${SIPC_WOLFSSL_DIR}/src/LICENSING
          DESTINATION ${CMAKE_INSTALL_DOCDIR}/wolfssl)
  install(FILES ${SIPC_WOLFSSL_DIR}/src/debian/copyright
          DESTINATION ${CMAKE_INSTALL_DOCDIR}/wolfssl RENAME copyright.debian)
endif()

# --- systemd unit ---
# sipcd.service with the installed sipcd's path, into <prefix>/lib/systemd/system
# (for the default prefix /usr/local, a directory systemd searches; distribution
# packages installing to /usr get /usr/lib/systemd/system). Not <libdir>: units
# never live under a multiarch directory. SIPC_SYSTEMD_UNITDIR changes it.
set(SIPC_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
  "where `make install` puts sipcd.service (relative to the prefix, or absolute)")
# The unit runs as the account sipc, which a sysusers.d file declares
# (systemd-sysusers reads <prefix>/lib/sysusers.d for /usr and /usr/local).
set(SIPC_SYSUSERSDIR "lib/sysusers.d" CACHE STRING
  "where `make install` puts sysusers.d/sipc.conf, the account sipcd.service runs as")
if(TARGET sipcd)
  # The build tree's copy (test_systemd_unit checks it) has the configured
  # prefix; the installed one is written at install time, so that
  # `cmake --install --prefix P` (make install PREFIX=P) names P's sipcd.
  configure_file(${PROJECT_SOURCE_DIR}/cmake/sipcd.service.in ${PROJECT_BINARY_DIR}/sipcd.service
    @ONLY)
  foreach(v BINDIR DOCDIR)
    if(IS_ABSOLUTE "${CMAKE_INSTALL_${v}}")
      set(_sipc_unit_${v} "${CMAKE_INSTALL_${v}}")
    else() # the prefix as given to cmake --install, read when it runs
      set(_sipc_unit_${v} "\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_${v}}")
    endif()
  endforeach()
  install(CODE "
    set(CMAKE_INSTALL_FULL_BINDIR \"${_sipc_unit_BINDIR}\")
    set(CMAKE_INSTALL_FULL_DOCDIR \"${_sipc_unit_DOCDIR}\")
    configure_file(\"${PROJECT_SOURCE_DIR}/cmake/sipcd.service.in\"
      \"${PROJECT_BINARY_DIR}/install/sipcd.service\" @ONLY)")
  install(FILES ${PROJECT_BINARY_DIR}/install/sipcd.service DESTINATION ${SIPC_SYSTEMD_UNITDIR})
  install(FILES ${PROJECT_SOURCE_DIR}/cmake/sipc.sysusers DESTINATION ${SIPC_SYSUSERSDIR}
    RENAME sipc.conf)
endif()

# --- make uninstall: what the last install listed in install_manifest.txt ---
# Each install also records, next to that list, the DESTDIR it went into and
# sipc's own folders under its prefix (the prefix is known only when
# `cmake --install --prefix` runs): uninstall refuses another DESTDIR, and
# removes no folder but these, and those only when empty.
set(_sipc_own_dirs ${CMAKE_INSTALL_INCLUDEDIR}/sipc ${SIPC_INSTALL_CMAKEDIR}
  ${SIPC_INSTALL_PRIVLIBDIR} ${CMAKE_INSTALL_DOCDIR} ${CMAKE_INSTALL_DATADIR}/sipc)
file(WRITE ${PROJECT_BINARY_DIR}/sipc-install-record.cmake "# cmake/SipcInstall.cmake wrote this
set(own \"\")
foreach(d ${_sipc_own_dirs})
  if(NOT IS_ABSOLUTE \"\${d}\")
    set(d \"\${CMAKE_INSTALL_PREFIX}/\${d}\")
  endif()
  cmake_path(NORMAL_PATH d)
  string(APPEND own \"list(APPEND SIPC_INSTALL_OWN_DIRS [==[\${d}]==])\\n\")
endforeach()
file(WRITE \"${PROJECT_BINARY_DIR}/install_record.cmake\"
  \"# what the last install from this build tree was, for cmake/uninstall.cmake\\n\"
  \"set(SIPC_INSTALL_DESTDIR [==[\$ENV{DESTDIR}]==])\\n\" \"\${own}\")
")
install(CODE "include(\"${PROJECT_BINARY_DIR}/sipc-install-record.cmake\")")
add_custom_target(uninstall
  COMMAND ${CMAKE_COMMAND} -DMANIFEST=${PROJECT_BINARY_DIR}/install_manifest.txt
    -P ${PROJECT_SOURCE_DIR}/cmake/uninstall.cmake
  COMMENT "Removing what the last install from this build tree installed" VERBATIM)

# --- the destinations' folders, made 0755 first (top of this file) ---
set(_sipc_dirs ${CMAKE_INSTALL_BINDIR} ${CMAKE_INSTALL_INCLUDEDIR} ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  ${SIPC_INSTALL_CMAKEDIR} ${CMAKE_INSTALL_DOCDIR}/docs ${CMAKE_INSTALL_DOCDIR}/examples
  ${CMAKE_INSTALL_DOCDIR}/tests/bench)
if(SIPC_WOLFSSL_BUNDLED)
  list(APPEND _sipc_dirs ${SIPC_INSTALL_PRIVLIBDIR} ${CMAKE_INSTALL_DOCDIR}/wolfssl)
endif()
if(TARGET sipcd)
  list(APPEND _sipc_dirs ${SIPC_SYSTEMD_UNITDIR} ${SIPC_SYSUSERSDIR})
endif()
if(SIPC_TESTS) # tests/harness
  list(APPEND _sipc_dirs ${CMAKE_INSTALL_DATADIR}/sipc/harness)
endif()
file(WRITE ${PROJECT_BINARY_DIR}/sipc-install-dirs.cmake "# cmake/SipcInstall.cmake wrote this
foreach(d ${_sipc_dirs})
  if(NOT IS_ABSOLUTE \"\${d}\")
    set(d \"\${CMAKE_INSTALL_PREFIX}/\${d}\")
  endif()
  set(d \"\$ENV{DESTDIR}\${d}\")
  if(IS_ABSOLUTE \"\${d}\") # a relative DESTDIR: left to CMake
    string(REPLACE \"/\" \";\" parts \"\${d}\")
    set(at \"\")
    foreach(p IN LISTS parts)
      if(NOT p STREQUAL \"\")
        string(APPEND at \"/\${p}\")
        if(NOT EXISTS \"\${at}\")
          file(MAKE_DIRECTORY \"\${at}\")
          file(CHMOD \"\${at}\" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
            GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
        endif()
      endif()
    endforeach()
  endif()
endforeach()
")
