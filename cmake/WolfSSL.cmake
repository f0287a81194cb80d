# TEMPORARY system-only version; replaced by the deb-src build.
pkg_check_modules(WOLFSSL REQUIRED IMPORTED_TARGET wolfssl)
add_library(sipc_wolfssl INTERFACE)
target_link_libraries(sipc_wolfssl INTERFACE PkgConfig::WOLFSSL)
set(SIPC_WOLFSSL_DESCRIPTION "wolfSSL ${WOLFSSL_VERSION} (Debian system library)")
