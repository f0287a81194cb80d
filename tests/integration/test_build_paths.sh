#!/usr/bin/env bash
# test_build_paths.sh SRC DEPS - the programs and libsipc.so hold neither the
# source tree's path nor the bundled wolfSSL's build folder (under DEPS), in
# their debug information or anywhere else: builds of the same source at
# other paths give the same bytes (the same Build ID too). Nothing is started.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
src=${1:?usage: test_build_paths.sh SRC DEPS}
deps=${2:?usage: test_build_paths.sh SRC DEPS}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init paths
for f in sipcd sipcctl tlstool libsipc.so; do
    [ -e "$BIN/$f" ] || { not_ok "$BIN/$f is missing"; continue; }
    n=$(strings -a "$BIN/$f" | grep -c -F -e "$src" -e "$deps")
    [ "$n" = 0 ] && ok "$f names neither $src nor $deps" ||
        not_ok "$f holds $n strings with a build path: $(strings -a "$BIN/$f" | grep -F -e "$src" -e "$deps" | head -n 2 | cut -c1-160 | tr '\n' ' ')"
done
shtest_done
