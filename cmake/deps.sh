#!/bin/sh
# deps.sh - install the Debian 12 packages sipc needs to build and test.
#
# Quiet when everything is installed. Otherwise, as root: apt-get update, then
# apt-get install -y --no-install-recommends of the missing packages only.
# Not root: prints the exact command to run and exits 1.
#
#   cmake/deps.sh           check and install
#   cmake/deps.sh --list    print the package list
set -eu

PACKAGES="
build-essential
cmake
pkg-config
libuv1-dev
libprotobuf-c-dev
protobuf-c-compiler
libcmocka-dev
libinih-dev
libjansson-dev
libsqlite3-dev
dpkg-dev
debian-archive-keyring
autoconf
automake
libtool
openssl
faketime
libwolfssl-dev
libmicrohttpd-dev
jq
python3
iproute2
nftables
sslscan
testssl.sh
openjdk-17-jre-headless
sqlite3
"
# dpkg-dev: dpkg-source unpacks wolfSSL's Debian source package (apt-get source).
# autoconf/automake/libtool: Debian's wolfSSL tarball ships no configure script.
# openssl: the tests use openssl s_client / pkcs12 / req. faketime: expiry tests.
# libwolfssl-dev: the SIPC_SYSTEM_WOLFSSL=ON (WOLFSSL=system) build and its CI leg.
# jq: the end-to-end service tests read sipcctl's --json output with it (and the cluster
# harness, sipc-cluster, writes and reads its cluster.json with it).
# iproute2, nftables: the cluster harness's --netns mode (ip netns, veths, a bridge) and its
# partitions (nft drop rules inside the namespaces).
# sslscan, testssl.sh: standard TLS scanners audit a running sipcd (tests/integration/test_tls_scan.sh).
# openjdk-17-jre-headless: keytool, which test_pkcs12_interop uses to check that Java
# sees tlstool's PKCS#12 files as a key entry (the test skips that check without it).
# sqlite3: the shell the operator repairs a damaged database with; test_db_repair runs the
# procedure docs/services.md gives.

if [ "${1:-}" = "--list" ]; then
    echo $PACKAGES
    exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "deps.sh: dpkg-query not found: sipc's set-up expects Debian 12 (bookworm)." >&2
    exit 1
fi

missing=""
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *" ok installed") ;;
        *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

missing=${missing# }
if [ "$(id -u)" != "0" ]; then
    echo "deps.sh: missing Debian packages: $missing" >&2
    echo "deps.sh: install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends $missing" >&2
    exit 1
fi

echo "deps.sh: installing missing Debian packages: $missing"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet: update before installing.
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
