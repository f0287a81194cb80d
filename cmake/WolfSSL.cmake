# WolfSSL.cmake - provides the INTERFACE target `sipc_wolfssl` and the variable
# SIPC_WOLFSSL_DESCRIPTION.
#
# Default (SIPC_SYSTEM_WOLFSSL=OFF): wolfSSL is built from Debian's own source
# package (bookworm / bookworm-security, Debian's security patches applied)
# with assembly enabled (AES-NI, Intel AVX, SP math in assembly), as a static
# position-independent libwolfssl.a. apt runs with a configuration of its own
# under the deps directory; the machine's apt configuration is not touched and
# root is not needed.
#
# The build happens once, at configure time, in
#   ${SIPC_DEPS_DIR}/wolfssl-<debian version>-<hash of recipe, flags, compiler>/
# (SIPC_DEPS_DIR defaults to <sipc source>/.deps) and is reused by every build
# tree that asks for the same thing (build/, build-asan/, ...). A stamp file
# marks a finished build; an unfinished one is thrown away and redone. A lock
# keeps two concurrent configures from building it twice.
#
# The Debian source is downloaded into ${SIPC_DEPS_DIR}/wolfssl-dl/ and kept.
# Every configure asks apt whether Debian has a newer revision (a security
# update: any 5.5.4-2+deb12uN is accepted and recorded); if so it is
# downloaded and built into a new folder, which the build then uses. Offline,
# the cached source is used with a warning. Older build folders stay until
# `make distclean`. SIPC_WOLFSSL_DESCRIPTION (sipcd --version) names the
# Debian revision in use.
#
# SIPC_SYSTEM_WOLFSSL=ON: link Debian's libwolfssl-dev (shared, no assembly).
#
# If Debian's source cannot be fetched, configuring fails and says so; it never
# falls back to the system library silently.

include_guard(GLOBAL)

set(SIPC_WOLFSSL_UPSTREAM_VERSION 5.5.4)
# Debian revisions accepted: bookworm's 5.5.4-2 and its security updates.
set(SIPC_WOLFSSL_DEBIAN_REGEX "^5\\.5\\.4-2(\\+deb12u[0-9]+)?$")
# Bump when the recipe below changes in a way the flags do not show.
set(_SIPC_WOLFSSL_RECIPE 3)

get_filename_component(_sipc_wolfssl_root "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
if(DEFINED ENV{SIPC_DEPS_DIR} AND NOT "$ENV{SIPC_DEPS_DIR}" STREQUAL "")
  set(_sipc_deps_default "$ENV{SIPC_DEPS_DIR}")
else()
  set(_sipc_deps_default "${_sipc_wolfssl_root}/.deps")
endif()
set(SIPC_DEPS_DIR "${_sipc_deps_default}" CACHE PATH
    "Shared cache of third-party builds (wolfSSL); shared by all build trees")
set(SIPC_DEBIAN_MIRROR "http://deb.debian.org/debian" CACHE STRING
    "Debian archive used to fetch wolfSSL's source package")
set(SIPC_DEBIAN_SECURITY_MIRROR "http://deb.debian.org/debian-security" CACHE STRING
    "Debian security archive used to fetch wolfSSL's source package")
set(SIPC_WOLFSSL_DSC "" CACHE FILEPATH
    "Optional: an already downloaded wolfssl_5.5.4-2+deb12uN.dsc (with its tarballs beside it) to build offline")

# Macros the sipc sources rely on: checked in wolfssl/options.h.
set(SIPC_WOLFSSL_REQUIRED_MACROS
  OPENSSL_EXTRA WOLFSSL_ALWAYS_VERIFY_CB KEEP_PEER_CERT KEEP_OUR_CERT
  WOLFSSL_CERT_GEN WOLFSSL_CERT_EXT WOLFSSL_CERT_REQ WOLFSSL_KEY_GEN HAVE_CRL
  HAVE_ECC HAVE_AESGCM HAVE_CHACHA HAVE_POLY1305 HAVE_SUPPORTED_CURVES HAVE_EXTENDED_MASTER
  HAVE_TLS_EXTENSIONS WOLFSSL_SHA384 WOLFSSL_SHA512 WOLFSSL_ALT_NAMES WOLFSSL_BASE64_ENCODE
  HAVE_EX_DATA)
# ... and macros that must not be there.
set(SIPC_WOLFSSL_FORBIDDEN_MACROS
  NO_RSA NO_DES3 NO_PWDBASED NO_PKCS12 NO_HMAC NO_SHA256 WOLFSSL_NO_TLS12 NO_FILESYSTEM
  SINGLE_THREADED)

# _sipc_wolfssl_check_options(<options.h> <required...> -- <forbidden...>)
# Sets _sipc_missing to the list of problems.
function(_sipc_wolfssl_check_options header)
  file(STRINGS "${header}" _defs REGEX "^#define ")
  set(_have "")
  foreach(l IN LISTS _defs)
    if(l MATCHES "^#define[ \t]+([A-Za-z0-9_]+)")
      list(APPEND _have "${CMAKE_MATCH_1}")
    endif()
  endforeach()
  set(_missing "")
  set(_mode req)
  foreach(m IN LISTS ARGN)
    if(m STREQUAL "--")
      set(_mode forbid)
    elseif(_mode STREQUAL "req" AND NOT m IN_LIST _have)
      list(APPEND _missing "${m} not defined")
    elseif(_mode STREQUAL "forbid" AND m IN_LIST _have)
      list(APPEND _missing "${m} defined")
    endif()
  endforeach()
  set(_sipc_missing "${_missing}" PARENT_SCOPE)
endfunction()

# ---------------------------------------------------------------- system
if(SIPC_SYSTEM_WOLFSSL)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(SIPC_SYSWOLF QUIET IMPORTED_TARGET wolfssl)
  if(NOT SIPC_SYSWOLF_FOUND)
    message(FATAL_ERROR
      "SIPC_SYSTEM_WOLFSSL=ON but pkg-config cannot find wolfssl. "
      "Install Debian's libwolfssl-dev (cmake/deps.sh does) or configure without "
      "-DSIPC_SYSTEM_WOLFSSL=ON to build it from Debian's source package.")
  endif()
  set(_hdr "")
  foreach(d IN LISTS SIPC_SYSWOLF_INCLUDE_DIRS ITEMS /usr/include)
    if(NOT _hdr AND EXISTS "${d}/wolfssl/options.h")
      set(_hdr "${d}/wolfssl/options.h")
    endif()
  endforeach()
  if(_hdr)
    _sipc_wolfssl_check_options("${_hdr}" ${SIPC_WOLFSSL_REQUIRED_MACROS} -- ${SIPC_WOLFSSL_FORBIDDEN_MACROS})
    if(_sipc_missing)
      message(WARNING "System wolfSSL (${_hdr}) lacks features sipc uses: ${_sipc_missing}")
    endif()
  endif()
  add_library(sipc_wolfssl INTERFACE)
  target_link_libraries(sipc_wolfssl INTERFACE PkgConfig::SIPC_SYSWOLF)
  set(_debver "")
  find_program(_SIPC_DPKG_QUERY dpkg-query)
  if(_SIPC_DPKG_QUERY)
    execute_process(COMMAND ${_SIPC_DPKG_QUERY} -W -f=\${Version} libwolfssl-dev
      OUTPUT_VARIABLE _debver ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
  endif()
  if(_debver)
    set(_debver " ${_debver}")
  endif()
  set(SIPC_WOLFSSL_DESCRIPTION
      "wolfSSL ${SIPC_SYSWOLF_VERSION} (Debian libwolfssl-dev${_debver}, no assembly)")
  set(SIPC_WOLFSSL_BUNDLED OFF)
  message(STATUS "sipc: using ${SIPC_WOLFSSL_DESCRIPTION}")
  return()
endif()

# ------------------------------------------------- built from Debian source
if(NOT CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|amd64|AMD64)$")
  message(FATAL_ERROR "Building wolfSSL with Intel assembly needs x86_64 "
    "(this is ${CMAKE_SYSTEM_PROCESSOR}); use -DSIPC_SYSTEM_WOLFSSL=ON (make ... WOLFSSL=system).")
endif()

set(SIPC_WOLFSSL_CONFIGURE_ARGS
  --disable-shared --enable-static --with-pic
  --disable-examples --disable-crypttests --disable-benchmark
  # No configure command line (with the build folder's path) compiled into
  # the library (wolfSSL_configure_args), and archives without timestamps:
  # the programs' bytes must not depend on where SIPC_DEPS_DIR is.
  --enable-reproducible-build
  # speed
  --enable-aesni --enable-intelasm --enable-sp --enable-sp-asm
  # X.509, verification, certificate and key generation. No --enable-sessioncerts:
  # its copy of the peer's chain (MAX_CHAIN_DEPTH x MAX_X509_SIZE, 18 KiB) sits in
  # every connection's session for its whole life, over half of an idle mTLS
  # connection's memory; the verify callback (WOLFSSL_ALWAYS_VERIFY_CB) sees the
  # chain during the handshake, which is all sipc needs.
  --enable-opensslextra
  --enable-certgen --enable-certext --enable-certreq --enable-keygen
  --enable-crl --disable-crl-monitor
  # A CA certificate of the peer's chain that wolfSSL refuses (e.g. for a
  # critical policyMappings, issuerAltName or freshestCRL extension, which it
  # does not process) is then not registered in its store, so the verify
  # callback can overrule the refusal when sipc's verifier accepts the chain;
  # without it wolfSSL aborts the handshake. Debian's libwolfssl has it too.
  --enable-altcertchains
  # PKCS#12 (OpenSSL's -legacy files use RC2-40 and 3DES)
  --enable-pkcs12 --enable-pwdbased --enable-des3 --enable-rc2
  # algorithms and TLS extensions: only those a TLS 1.2 mTLS peer needs,
  # supported groups and EC point formats, extended master secret, session
  # tickets (below), and renegotiation_info (RFC 5746, on by default; OpenSSL
  # 3 clients refuse a server without it). Not --enable-tlsx, which adds SNI,
  # ALPN, trusted_ca_keys, truncated_hmac and max_fragment_length: the
  # server would grant the last two, and a session with smaller records
  # cannot go on sipc's record layer (transport/tls_record.c); a server
  # without them ignores them, as RFC 6066 allows. Encrypt-then-MAC (on by
  # default) concerns CBC suites only, which sipc never offers.
  --enable-ecc --enable-rsa --enable-aesgcm --enable-chacha --enable-poly1305
  --enable-sha384 --enable-sha512 --enable-base64encode
  --enable-supportedcurves --enable-extended-master --disable-enc-then-mac
  --enable-tlsv12 --enable-context-extra-user-data
  # TLS 1.2 only (sipc never speaks 1.0 or 1.1): without the old versions
  # wolfSSL also stops keeping MD5 and SHA-1 hashes of every handshake
  # message, which only their PRF uses (about 14,000 instructions per
  # handshake and side). MD5 and SHA-1 themselves stay (PKCS#12, OpenSSL's
  # legacy files).
  --disable-oldtls
  # TLS 1.2 session tickets: reconnecting peers resume (transport/tls_wolfssl.c)
  --enable-session-ticket
  # Exports the negotiated record keys and sequence numbers, so that sipc's
  # record layer (transport/tls_record.c) carries the application data after
  # the handshake without wolfSSL's copies. Debian's libwolfssl has it too.
  --enable-atomicuser
  # Crypto callbacks: SHA-256 runs on the CPU's SHA extensions where it has
  # them (transport/tls_sha256_dev.c), which wolfSSL 5.5.4's own assembly does
  # not use; SHA-256 is over half of a resumed handshake's instructions (the
  # TLS PRF). Debian's libwolfssl has it too.
  --enable-cryptocb
  # Public-key callbacks: a peer's ECDSA signature in the handshake made with
  # the node's own key (the cluster's shared pair) is verified with that key
  # as one base-point multiplication (transport/tls_ecdsa_own.c): 42 instead
  # of 91 us per verification, a tenth of a full handshake's CPU
  # (docs/benchmarks.md section 14); and the node's own signatures are made
  # with RFC 6979 nonces and checked (transport/tls_ecdsa_sign.c). Debian's
  # libwolfssl has it too.
  --enable-pkcallbacks
  # Random bytes from the kernel, no Hash-DRBG: see CUSTOM_RAND_GENERATE_BLOCK
  # below. Turned off, not merely bypassed: with HAVE_HASHDRBG left on,
  # wolfSSL_RAND_poll, RAND_egd and the FIPS_drbg API would reseed a DRBG
  # that was never made (a NULL dereference); without it they fail cleanly.
  --disable-hashdrbg)
# Macros that have no configure switch of their own; configure copies every
# -D of CPPFLAGS into wolfssl/options.h, so sipc sees the same settings.
#
# WOLFSSL_MAX_SUITE_SZ (wolfssl/internal.h, default 300 bytes = 150 suites) is
# the longest cipher-suite list a ClientHello may carry: a longer one is
# refused with BUFFER_ERROR (-328) before any suite is looked at. Standard
# scanners offer more (sslscan 2.0.7 sends 344 suites in its TLS 1.2 probe),
# so with the default they see a server that speaks no protocol at all and
# cannot audit it. 1024 bytes (512 suites) holds every suite IANA has
# registered; it costs 724 bytes in each Suites struct (one per context, one
# per connection, one on the stack while a ClientHello is parsed).
set(SIPC_WOLFSSL_MAX_SUITE_SZ 1024)
#
# CUSTOM_RAND_GENERATE_BLOCK=sipc_kernel_random_block (base/kernel_random.c):
# every random byte wolfCrypt draws (client and server random, ECDHE keys,
# the nonces of signatures with a key that is not P-256, ticket keys and IVs,
# the GCM nonces' salt, key generation, PKCS#12 salts) comes straight from
# the kernel's CSPRNG by getrandom(2). By default every WC_RNG, so every
# WOLFSSL object, instantiates its own Hash-DRBG and runs its known-answer
# health test first: about 104,000
# instructions per connection and side, over a quarter of a resumed
# handshake, for bytes no better than the kernel's (which seeded it). A
# failure of getrandom fails wolfSSL's call; nothing weaker is used.
# CUSTOM_RAND_GENERATE_SEED names it too: wolfSSL then defines no seed source
# of its own (wc_GenerateSeed), which wolfSSL_RAND_poll still calls. wolfSSL
# calls the function without a declaration of its own: random.h gets one at
# extraction (below). libwolfssl.a then needs the symbol: the target below
# links it from its own small archive after libwolfssl.a, so every program
# linking wolfSSL resolves it, whether or not it links libsipc.
#
# WOLFSSL_CAAM_DEVID: the device id wolfCrypt gives every SHA-256 object by
# default (wc_CryptoCb_DefaultDevID reads only this macro in 5.5.4; it is
# named for NXP's CAAM, but nothing of CAAM is compiled without
# WOLFSSL_QNX_CAAM or WOLFSSL_IMX6_CAAM). With the x86-64 assembly this build
# always has, the device id a caller passes to wc_InitSha256_ex is overwritten
# with the default one, so this is how SHA-256 reaches the device of
# transport/tls_sha256_dev.c, which runs it on the CPU's SHA extensions (when
# it has none, no device is registered and wolfCrypt's own code hashes;
# SHA-384/512 objects made with the plain initialisers take the same default,
# and the device declines them).
#
# WOLFSSL_OLD_SET_CURVES_LIST: wolfSSL_CTX_set1_curves_list on a TLS 1.2
# context. A TLS 1.2 server takes the client's first group it knows, whatever
# its own supported-groups list says; only the disabled set the call leaves
# keeps it to P-256 and P-384 (transport/tls_wolfssl.c). Without this macro
# the call goes through wolfSSL_CTX_set_groups, which refuses any context
# that is not TLS 1.3.
#
# WOLFSSL_ECDSA_DETERMINISTIC_K: wc_ecc_set_deterministic, RFC 6979 nonces.
# Every node of a cluster holds the same ECDSA key, and a random nonce
# repeated once (a VM snapshot restored twice with the same generator
# state) gives that key away; the handshake's signatures with the node's
# key take their nonce from the key and the hash instead
# (transport/tls_ecdsa_sign.c). Debian's libwolfssl has
# WOLFSSL_ECDSA_DETERMINISTIC_K_VARIANT, the same but for hashes not
# reduced mod n first.
#
# WOLFSSL_TRUST_PEER_CERT (Debian's libwolfssl has it): a peer presenting
# exactly a pinned certificate (this cluster's self-signed pair) is not
# checked against itself again; sipc's verifier pins it by the SHA-256 of its
# DER and still judges it (transport/tls_wolfssl.c, ctx_make).
set(SIPC_WOLFSSL_CPPFLAGS
  -DKEEP_PEER_CERT -DKEEP_OUR_CERT -DWOLFSSL_ALT_NAMES -DWOLFSSL_ALWAYS_VERIFY_CB
  -DWOLFSSL_MAX_SUITE_SZ=${SIPC_WOLFSSL_MAX_SUITE_SZ}
  -DCUSTOM_RAND_GENERATE_BLOCK=sipc_kernel_random_block
  -DCUSTOM_RAND_GENERATE_SEED=sipc_kernel_random_block
  -DWOLFSSL_CAAM_DEVID=0x5348414e
  -DWOLFSSL_TRUST_PEER_CERT
  -DWOLFSSL_ECDSA_DETERMINISTIC_K
  -DWOLFSSL_OLD_SET_CURVES_LIST)
set(SIPC_WOLFSSL_CFLAGS -O2 -g -fPIC)

# Identity of this build: recipe, flags and the compiler.
execute_process(COMMAND ${CMAKE_C_COMPILER} --version
  OUTPUT_VARIABLE _cc_version ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
string(REGEX REPLACE "\n.*" "" _cc_version "${_cc_version}")

file(MAKE_DIRECTORY "${SIPC_DEPS_DIR}")
set(_dl "${SIPC_DEPS_DIR}/wolfssl-dl")

# Serialise concurrent configures (e.g. build/ and build-asan/ in parallel).
file(LOCK "${SIPC_DEPS_DIR}/wolfssl.lock" GUARD FILE TIMEOUT 3600 RESULT_VARIABLE _lockres)
if(NOT _lockres EQUAL 0)
  message(FATAL_ERROR "Could not lock ${SIPC_DEPS_DIR}/wolfssl.lock: ${_lockres}")
endif()

# ---- 1. the Debian source package -----------------------------------------
# Downloaded into ${_dl} and kept, so builds work offline. Before reusing it,
# configure asks apt whether bookworm-security has a newer revision (a
# security update reaches libwolfssl through apt, but would never reach this
# bundled copy otherwise): apt's view comes from our private apt state,
# refreshed at most every SIPC_WOLFSSL_UPDATE_INTERVAL minutes, and from the
# machine's own apt (libwolfssl-dev's candidate, known after any system
# `apt-get update`). A newer revision is downloaded and built into its own
# folder; when it cannot be reached the cached one is used, with a warning.
option(SIPC_WOLFSSL_UPDATE_CHECK
  "Look for a newer Debian revision of wolfSSL (security update) at configure time" ON)
set(SIPC_WOLFSSL_UPDATE_INTERVAL 60 CACHE STRING
  "Minutes between two refreshes of the private apt lists (0: every configure)")

function(_sipc_wolfssl_fail_fetch why)
  message(FATAL_ERROR
    "\n*** Could not get wolfSSL's Debian source package: ${why}\n"
    "*** sipc builds wolfSSL ${SIPC_WOLFSSL_UPSTREAM_VERSION} from Debian bookworm's source "
    "package (apt-get source, fetched from ${SIPC_DEBIAN_MIRROR} and ${SIPC_DEBIAN_SECURITY_MIRROR}) "
    "to get assembly-accelerated crypto, and Debian's sources cannot be reached or used.\n"
    "*** Either fix network access to the Debian archive, or pass an already downloaded "
    ".dsc with -DSIPC_WOLFSSL_DSC=/path/wolfssl_5.5.4-2+deb12uN.dsc, or use Debian's "
    "libwolfssl-dev (slower, no assembly): cmake -DSIPC_SYSTEM_WOLFSSL=ON, or "
    "`make check WOLFSSL=system` / `make run WOLFSSL=system`.\n")
endfunction()

# The N of 5.5.4-2+deb12uN (0 for 5.5.4-2): the only part that differs
# between the revisions sipc accepts, so comparing it orders them exactly.
function(_sipc_wolfssl_deb_rank ver out)
  if(ver MATCHES "\\+deb12u([0-9]+)$")
    set(${out} ${CMAKE_MATCH_1} PARENT_SCOPE)
  else()
    set(${out} 0 PARENT_SCOPE)
  endif()
endfunction()

# Sets _sipc_apt_o (apt options for our private state) or _sipc_apt_problem.
function(_sipc_wolfssl_apt_setup)
  set(_sipc_apt_problem "" PARENT_SCOPE)
  find_program(_SIPC_APT_GET apt-get)
  find_program(_SIPC_APT_CACHE apt-cache)
  if(NOT _SIPC_APT_GET OR NOT _SIPC_APT_CACHE)
    set(_sipc_apt_problem "apt-get not found (not a Debian system?)" PARENT_SCOPE)
    return()
  endif()
  set(_keyring /usr/share/keyrings/debian-archive-keyring.gpg)
  if(NOT EXISTS "${_keyring}")
    set(_sipc_apt_problem "${_keyring} is missing (install debian-archive-keyring)" PARENT_SCOPE)
    return()
  endif()
  set(apt "${SIPC_DEPS_DIR}/apt")
  file(MAKE_DIRECTORY "${apt}/etc" "${apt}/lists/partial" "${apt}/archives/partial")
  set(_list
    "deb-src [signed-by=${_keyring}] ${SIPC_DEBIAN_MIRROR} bookworm main\n"
    "deb-src [signed-by=${_keyring}] ${SIPC_DEBIAN_SECURITY_MIRROR} bookworm-security main\n")
  string(CONCAT _list ${_list})
  set(_old "")
  if(EXISTS "${apt}/etc/sources.list")
    file(READ "${apt}/etc/sources.list" _old)
  endif()
  if(NOT _old STREQUAL _list)
    file(WRITE "${apt}/etc/sources.list" "${_list}")
    # Other mirrors: the lists we have no longer say what they offer.
    file(REMOVE "${apt}/last-update")
  endif()
  set(_o
    -o "Dir::Etc::SourceList=${apt}/etc/sources.list"
    -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=${apt}/lists"
    -o "Dir::Cache=${apt}"
    -o Dir::State::status=/var/lib/dpkg/status
    -o Acquire::Retries=2
    -o Acquire::http::Timeout=20
    -q)
  # As root apt would hand the download to the _apt user, which cannot write
  # into our folders: it warns and downloads as root anyway. Say so upfront.
  execute_process(COMMAND id -u OUTPUT_VARIABLE _uid OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(_uid STREQUAL "0")
    list(APPEND _o -o APT::Sandbox::User=root)
  endif()
  set(_sipc_apt_o "${_o}" PARENT_SCOPE)
endfunction()

# apt-get update of the private state. Sets _sipc_apt_update_error ("" when
# it worked).
function(_sipc_wolfssl_apt_update)
  execute_process(COMMAND ${_SIPC_APT_GET} ${_sipc_apt_o} update
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 180)
  if(NOT rc EQUAL 0 OR err MATCHES "(^|\n)(W|E): (Failed|Some index files failed)")
    # Only apt's error and warning lines, not the progress.
    string(REGEX MATCHALL "(^|\n)(E|W|Err:[0-9]+)[: ][^\n]*" _lines "${out}\n${err}")
    string(REPLACE ";" "" _lines "${_lines}")
    if(NOT _lines)
      set(_lines " ${rc}")
    endif()
    set(_sipc_apt_update_error "apt-get update failed:${_lines}" PARENT_SCOPE)
  else()
    file(TOUCH "${SIPC_DEPS_DIR}/apt/last-update")
    set(_sipc_apt_update_error "" PARENT_SCOPE)
  endif()
endfunction()

# Newest accepted revision apt knows of. Sets _sipc_candidate ("" if none)
# and _sipc_candidate_note (why apt's knowledge may be stale, or "").
function(_sipc_wolfssl_candidate)
  set(best "")
  set(best_rank -1)
  set(note "")
  set(versions "")
  _sipc_wolfssl_apt_setup()
  if(_sipc_apt_problem)
    set(note "${_sipc_apt_problem}")
  else()
    set(stamp "${SIPC_DEPS_DIR}/apt/last-update")
    set(due TRUE)
    if(EXISTS "${stamp}")
      file(TIMESTAMP "${stamp}" _then "%s")
      string(TIMESTAMP _now "%s")
      math(EXPR _age "(${_now} - ${_then}) / 60")
      if(_age LESS SIPC_WOLFSSL_UPDATE_INTERVAL)
        set(due FALSE)
      endif()
    endif()
    if(due)
      _sipc_wolfssl_apt_update()
      set(note "${_sipc_apt_update_error}")
    endif()
    execute_process(COMMAND ${_SIPC_APT_CACHE} ${_sipc_apt_o} showsrc --only-source wolfssl
      OUTPUT_VARIABLE out ERROR_QUIET TIMEOUT 60)
    string(REGEX MATCHALL "(^|\n)Version: [^\n]+" _v "${out}")
    foreach(v IN LISTS _v)
      string(REGEX REPLACE "^\n?Version: " "" v "${v}")
      list(APPEND versions "${v}")
    endforeach()
  endif()
  # The machine's apt: libwolfssl-dev is built from the same source package
  # (a binary-only rebuild adds +bN, which is not a source revision).
  if(_SIPC_APT_CACHE)
    execute_process(COMMAND ${_SIPC_APT_CACHE} policy libwolfssl-dev
      OUTPUT_VARIABLE out ERROR_QUIET TIMEOUT 60)
    if(out MATCHES "Candidate: ([^\n ]+)")
      string(REGEX REPLACE "\\+b[0-9]+$" "" v "${CMAKE_MATCH_1}")
      list(APPEND versions "${v}")
    endif()
  endif()
  foreach(v IN LISTS versions)
    if(v MATCHES "${SIPC_WOLFSSL_DEBIAN_REGEX}")
      _sipc_wolfssl_deb_rank("${v}" r)
      if(r GREATER best_rank)
        set(best "${v}")
        set(best_rank ${r})
      endif()
    endif()
  endforeach()
  set(_sipc_candidate "${best}" PARENT_SCOPE)
  set(_sipc_candidate_note "${note}" PARENT_SCOPE)
endfunction()

# Downloads the source package into ${_dl} (replacing what is there only once
# the new one is complete). version: "" for the newest, or an exact revision.
# Sets _sipc_fetch_error ("" on success).
function(_sipc_wolfssl_fetch version)
  set(_sipc_fetch_error "" PARENT_SCOPE)
  set(tmp "${_dl}.tmp")
  file(REMOVE_RECURSE "${tmp}")
  file(MAKE_DIRECTORY "${tmp}")
  if(SIPC_WOLFSSL_DSC)
    if(NOT EXISTS "${SIPC_WOLFSSL_DSC}")
      set(_sipc_fetch_error "SIPC_WOLFSSL_DSC=${SIPC_WOLFSSL_DSC} does not exist" PARENT_SCOPE)
      return()
    endif()
    get_filename_component(_d "${SIPC_WOLFSSL_DSC}" DIRECTORY)
    get_filename_component(_n "${SIPC_WOLFSSL_DSC}" NAME)
    file(GLOB _files "${_d}/wolfssl_5.5.4.orig*" "${_d}/wolfssl_5.5.4-*")
    list(FILTER _files EXCLUDE REGEX "/wolfssl_5\\.5\\.4-.*\\.dsc$")
    file(COPY ${_files} "${SIPC_WOLFSSL_DSC}" DESTINATION "${tmp}")
    set(_how "from ${SIPC_WOLFSSL_DSC}")
  else()
    _sipc_wolfssl_apt_setup()
    if(_sipc_apt_problem)
      set(_sipc_fetch_error "${_sipc_apt_problem}" PARENT_SCOPE)
      return()
    endif()
    message(STATUS "sipc: fetching wolfSSL's Debian source package ${version} (apt-get source, private apt state in ${SIPC_DEPS_DIR}/apt)")
    if(NOT version)
      _sipc_wolfssl_apt_update()
      if(_sipc_apt_update_error)
        set(_sipc_fetch_error "${_sipc_apt_update_error}" PARENT_SCOPE)
        return()
      endif()
      set(_what wolfssl)
    else()
      set(_what "wolfssl=${version}")
    endif()
    execute_process(COMMAND ${_SIPC_APT_GET} ${_sipc_apt_o} source --download-only ${_what}
      WORKING_DIRECTORY "${tmp}" TIMEOUT 600
      RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      set(_sipc_fetch_error "apt-get source --download-only ${_what} failed:\n${out}${err}" PARENT_SCOPE)
      return()
    endif()
    set(_how "with apt-get source from the Debian archive")
  endif()
  file(GLOB _dsc RELATIVE "${tmp}" "${tmp}/wolfssl_*.dsc")
  list(LENGTH _dsc _n)
  if(NOT _n EQUAL 1)
    set(_sipc_fetch_error "expected one wolfssl_*.dsc, got '${_dsc}'" PARENT_SCOPE)
    return()
  endif()
  string(REGEX REPLACE "^wolfssl_(.*)\\.dsc$" "\\1" _ver "${_dsc}")
  if(NOT _ver MATCHES "${SIPC_WOLFSSL_DEBIAN_REGEX}")
    set(_sipc_fetch_error "got Debian version ${_ver}; sipc is pinned to 5.5.4-2+deb12uN (bookworm)" PARENT_SCOPE)
    return()
  endif()
  file(WRITE "${tmp}/VERSION" "${_ver}\n")
  file(REMOVE_RECURSE "${_dl}")
  file(RENAME "${tmp}" "${_dl}")
  message(STATUS "sipc: got wolfSSL Debian source ${_ver} ${_how}")
endfunction()

set(_cached "")
if(EXISTS "${_dl}/VERSION")
  file(STRINGS "${_dl}/VERSION" _cached LIMIT_COUNT 1)
endif()
if(SIPC_WOLFSSL_DSC)
  # An explicit .dsc wins over whatever was downloaded before.
  get_filename_component(_n "${SIPC_WOLFSSL_DSC}" NAME)
  string(REGEX REPLACE "^wolfssl_(.*)\\.dsc$" "\\1" _want "${_n}")
  if(NOT _want STREQUAL _cached)
    _sipc_wolfssl_fetch("")
    if(_sipc_fetch_error)
      _sipc_wolfssl_fail_fetch("${_sipc_fetch_error}")
    endif()
  endif()
elseif(NOT _cached)
  _sipc_wolfssl_fetch("")
  if(_sipc_fetch_error)
    _sipc_wolfssl_fail_fetch("${_sipc_fetch_error}")
  endif()
elseif(SIPC_WOLFSSL_UPDATE_CHECK)
  _sipc_wolfssl_candidate()
  _sipc_wolfssl_deb_rank("${_cached}" _have_rank)
  set(_cand_rank -1)
  if(_sipc_candidate)
    _sipc_wolfssl_deb_rank("${_sipc_candidate}" _cand_rank)
  endif()
  if(_cand_rank GREATER _have_rank)
    message(STATUS "sipc: Debian has wolfssl ${_sipc_candidate}, newer than the downloaded ${_cached}: fetching it")
    _sipc_wolfssl_fetch("${_sipc_candidate}")
    if(_sipc_fetch_error AND _sipc_candidate_note)
      # apt's own complaint about the download hides the real cause.
      set(_sipc_fetch_error "${_sipc_candidate_note}")
    endif()
    if(_sipc_fetch_error)
      message(WARNING "sipc: wolfssl ${_sipc_candidate} (a newer Debian revision, possibly a "
        "security update) could not be downloaded, so the bundled wolfSSL stays at ${_cached}: "
        "${_sipc_fetch_error}\nConfigure again once the Debian archive can be reached.")
    endif()
  elseif(_sipc_candidate_note)
    message(WARNING "sipc: could not ask the Debian archive for a newer wolfssl than the "
      "downloaded ${_cached} (${_sipc_candidate_note}); building with ${_cached}. "
      "Configure again once the archive can be reached to pick up security updates.")
  endif()
endif()
file(STRINGS "${_dl}/VERSION" SIPC_WOLFSSL_DEBIAN_VERSION LIMIT_COUNT 1)
if(NOT SIPC_WOLFSSL_DEBIAN_VERSION MATCHES "${SIPC_WOLFSSL_DEBIAN_REGEX}")
  message(FATAL_ERROR "${_dl}/VERSION says '${SIPC_WOLFSSL_DEBIAN_VERSION}'; delete ${_dl} and configure again.")
endif()
set(SIPC_WOLFSSL_DEBIAN_VERSION "${SIPC_WOLFSSL_DEBIAN_VERSION}" CACHE INTERNAL "")

# ---- 2. build and install into the shared cache (once) ------------------
string(SHA256 _hash "recipe=${_SIPC_WOLFSSL_RECIPE}
deb=${SIPC_WOLFSSL_DEBIAN_VERSION}
args=${SIPC_WOLFSSL_CONFIGURE_ARGS}
cppflags=${SIPC_WOLFSSL_CPPFLAGS}
cflags=${SIPC_WOLFSSL_CFLAGS}
cc=${CMAKE_C_COMPILER} ${_cc_version}")
string(SUBSTRING "${_hash}" 0 12 _hash)
set(SIPC_WOLFSSL_DIR "${SIPC_DEPS_DIR}/wolfssl-${SIPC_WOLFSSL_DEBIAN_VERSION}-${_hash}"
    CACHE INTERNAL "wolfSSL build used by this tree")
set(_w "${SIPC_WOLFSSL_DIR}")
set(_prefix "${_w}/prefix")
set(_stamp "${_w}/.complete")

if(NOT EXISTS "${_stamp}")
  file(REMOVE_RECURSE "${_w}")
  file(MAKE_DIRECTORY "${_w}/logs")
  foreach(tool dpkg-source autoreconf automake libtoolize make)
    find_program(_SIPC_TOOL_${tool} ${tool})
    if(NOT _SIPC_TOOL_${tool})
      message(FATAL_ERROR "Building wolfSSL needs ${tool}: run cmake/deps.sh (installs dpkg-dev, autoconf, automake, libtool, build-essential).")
    endif()
  endforeach()
  include(ProcessorCount)
  ProcessorCount(_ncpu)
  if(_ncpu LESS 1)
    set(_ncpu 2)
  endif()
  string(TIMESTAMP _t0 "%s")
  message(STATUS "sipc: building wolfSSL ${SIPC_WOLFSSL_DEBIAN_VERSION} with assembly in ${_w} (a few minutes, once; logs in ${_w}/logs)")

  # Steps: name | working dir | command
  string(REPLACE ";" " " _cppflags "${SIPC_WOLFSSL_CPPFLAGS}")
  string(REPLACE ";" " " _cflags "${SIPC_WOLFSSL_CFLAGS}")
  # The build folder's path becomes "wolfssl" in the debug information (out
  # of the hash above: it follows from the folder).
  if(SIPC_HAVE_FILE_PREFIX_MAP)
    string(APPEND _cflags " -ffile-prefix-map=${_w}=wolfssl")
  endif()
  # Keep an outer make's jobserver and flags away from wolfSSL's make.
  set(_clean_env ${CMAKE_COMMAND} -E env --unset=MAKEFLAGS --unset=MFLAGS --unset=MAKELEVEL
      --unset=CFLAGS --unset=CPPFLAGS --unset=LDFLAGS --unset=LIBS --unset=CC)
  set(_steps extract autogen configure make install)
  set(_cmd_extract dpkg-source -x --no-check "${_dl}/wolfssl_${SIPC_WOLFSSL_DEBIAN_VERSION}.dsc" "${_w}/src")
  set(_cwd_extract "${_dl}")  # tarballs are beside the .dsc: nothing is copied
  set(_cmd_autogen ${_clean_env} sh ./autogen.sh)
  set(_cmd_configure ${_clean_env} ./configure --prefix=${_prefix} --libdir=${_prefix}/lib
      ${SIPC_WOLFSSL_CONFIGURE_ARGS}
      "CC=${CMAKE_C_COMPILER}" "CPPFLAGS=${_cppflags}" "CFLAGS=${_cflags}")
  set(_cmd_make ${_clean_env} make -j${_ncpu})
  set(_cmd_install ${_clean_env} make install)
  foreach(s IN LISTS _steps)
    if(NOT DEFINED _cwd_${s})
      set(_cwd_${s} "${_w}/src")
    endif()
    message(STATUS "sipc: wolfSSL: ${s}")
    execute_process(COMMAND ${_cmd_${s}}
      WORKING_DIRECTORY "${_cwd_${s}}"
      RESULT_VARIABLE rc
      OUTPUT_FILE "${_w}/logs/${s}.log" ERROR_FILE "${_w}/logs/${s}.log")
    if(NOT rc EQUAL 0)
      file(STRINGS "${_w}/logs/${s}.log" _tail)
      list(LENGTH _tail _len)
      if(_len GREATER 40)
        math(EXPR _from "${_len} - 40")
        list(SUBLIST _tail ${_from} 40 _tail)
      endif()
      string(REPLACE ";" "\n" _tail "${_tail}")
      message(FATAL_ERROR "wolfSSL ${s} step failed (${rc}); full log: ${_w}/logs/${s}.log\n${_tail}")
    endif()
    if(s STREQUAL "extract")
      # dpkg-source leaves a copy of the orig tarball beside the tree.
      file(GLOB _copies "${_w}/wolfssl_*")
      if(_copies)
        file(REMOVE ${_copies})
      endif()
      # A prototype for CUSTOM_RAND_GENERATE_BLOCK where random.h only shows
      # one in a comment: random.c would call an undeclared function.
      set(_rh "${_w}/src/wolfssl/wolfcrypt/random.h")
      file(READ "${_rh}" _rtext)
      set(_anchor "     * extern int myRngFunc(byte* output, word32 sz);\n     */\n")
      string(FIND "${_rtext}" "${_anchor}" _at)
      if(_at LESS 0)
        message(FATAL_ERROR "wolfSSL's ${_rh} has changed: no place for the CUSTOM_RAND_GENERATE_BLOCK prototype")
      endif()
      string(REPLACE "${_anchor}" "${_anchor}    int CUSTOM_RAND_GENERATE_BLOCK(byte* output, word32 sz);\n" _rtext "${_rtext}")
      file(WRITE "${_rh}" "${_rtext}")
    endif()
  endforeach()

  _sipc_wolfssl_check_options("${_prefix}/include/wolfssl/options.h"
    ${SIPC_WOLFSSL_REQUIRED_MACROS} WOLFSSL_AESNI USE_INTEL_SPEEDUP WOLFSSL_SP_X86_64_ASM WC_RC2
    WOLFSSL_MAX_SUITE_SZ CUSTOM_RAND_GENERATE_BLOCK CUSTOM_RAND_GENERATE_SEED WC_NO_HASHDRBG
    HAVE_SERVER_RENEGOTIATION_INFO HAVE_SESSION_TICKET
    -- ${SIPC_WOLFSSL_FORBIDDEN_MACROS} HAVE_HASHDRBG HAVE_MAX_FRAGMENT HAVE_TRUNCATED_HMAC
    HAVE_SNI HAVE_ALPN HAVE_TRUSTED_CA HAVE_ENCRYPT_THEN_MAC)
  if(_sipc_missing)
    message(FATAL_ERROR "The wolfSSL build in ${_w} lacks what sipc needs: ${_sipc_missing}")
  endif()
  if(NOT EXISTS "${_prefix}/lib/libwolfssl.a")
    message(FATAL_ERROR "wolfSSL build produced no ${_prefix}/lib/libwolfssl.a")
  endif()
  # Objects are no longer needed; keep the sources for debugging.
  execute_process(COMMAND ${_clean_env} make clean WORKING_DIRECTORY "${_w}/src"
    OUTPUT_QUIET ERROR_QUIET)
  string(TIMESTAMP _t1 "%s")
  math(EXPR _secs "${_t1} - ${_t0}")
  string(REPLACE ";" " " _args "${SIPC_WOLFSSL_CONFIGURE_ARGS}")
  file(WRITE "${_stamp}" "debian=${SIPC_WOLFSSL_DEBIAN_VERSION}\nconfigure=${_args}\nCPPFLAGS=${_cppflags}\nCFLAGS=${_cflags}\ncc=${CMAKE_C_COMPILER} ${_cc_version}\nbuild_seconds=${_secs}\n")
  message(STATUS "sipc: wolfSSL built in ${_secs} s")
endif()
file(LOCK "${SIPC_DEPS_DIR}/wolfssl.lock" RELEASE)

# ---- 3. the target ------------------------------------------------------
find_package(Threads REQUIRED)
set(SIPC_WOLFSSL_LIBRARY "${_prefix}/lib/libwolfssl.a" CACHE INTERNAL "")
set(SIPC_WOLFSSL_INCLUDE_DIR "${_prefix}/include" CACHE INTERNAL "")
add_library(sipc_wolfssl INTERFACE)
# SYSTEM: wolfSSL's headers must not trip sipc's -Werror.
target_include_directories(sipc_wolfssl SYSTEM INTERFACE "${SIPC_WOLFSSL_INCLUDE_DIR}")
# wolfSSL's random generator (CUSTOM_RAND_GENERATE_BLOCK above), from an
# archive of its own placed after libwolfssl.a: programs that link wolfSSL
# without libsipc or sipc_base (sipc-aead-speed) resolve it there. libsipc has
# the same object (sipc_base); a link that has it already never pulls this
# copy, since both define the same symbols.
#
# sipc's own objects name wolfSSL's headers by the build folder's path too:
# "wolfssl" there as well (given after the source tree's map in
# CMakeLists.txt, so it wins for a deps folder inside the source tree).
if(SIPC_HAVE_FILE_PREFIX_MAP)
  add_compile_options(-ffile-prefix-map=${_w}=wolfssl)
endif()
add_library(sipc_wolfssl_random STATIC "${_sipc_wolfssl_root}/base/kernel_random.c")
target_include_directories(sipc_wolfssl_random PRIVATE "${_sipc_wolfssl_root}")
set_target_properties(sipc_wolfssl_random PROPERTIES
  POSITION_INDEPENDENT_CODE ON C_VISIBILITY_PRESET hidden OUTPUT_NAME sipc-wolfssl-random)
target_link_libraries(sipc_wolfssl INTERFACE "${SIPC_WOLFSSL_LIBRARY}" sipc_wolfssl_random
  Threads::Threads m)
# libsipc.so carries wolfSSL inside; do not re-export wolfSSL's API from it.
target_link_options(sipc_wolfssl INTERFACE "LINKER:--exclude-libs,libwolfssl.a")
set(SIPC_WOLFSSL_BUNDLED ON)
set(SIPC_WOLFSSL_DESCRIPTION
    "wolfSSL ${SIPC_WOLFSSL_UPSTREAM_VERSION} (Debian source ${SIPC_WOLFSSL_DEBIAN_VERSION}, aesni intelasm sp-asm)")
message(STATUS "sipc: using ${SIPC_WOLFSSL_DESCRIPTION} from ${_w}")
