#!/bin/sh
# run.sh BUILD_DIR SOURCE_DIR - install sipc from BUILD_DIR into a temporary
# prefix, then build and run the consumer in SOURCE_DIR against it: via
# find_package(sipc) (shared and static) and via pkg-config (shared and static).
# CONSUMER_CFLAGS (e.g. the sanitizer flags of an ASan tree) and CC are passed on.
set -eu
build=$1
src=$2
cc=${CC:-cc}
cflags=${CONSUMER_CFLAGS:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sipc-consumer.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

echo "== install into $prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; exit 1; }
for f in include/sipc/sipc.h; do
    [ -f "$prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
pc=$(find "$prefix" -name sipc.pc | head -n1)
[ -n "$pc" ] || { echo "FAIL: sipc.pc not installed"; exit 1; }
[ -n "$(find "$prefix" -name sipcConfig.cmake)" ] || { echo "FAIL: sipcConfig.cmake not installed"; exit 1; }
ls -1 "$prefix/bin" 2>/dev/null | sed 's/^/  bin: /'
libdir=$(dirname "$(dirname "$pc")")

echo "== find_package(sipc)"
cmake -S "$src" -B "$tmp/b" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_C_FLAGS="$cflags" >"$tmp/cfg.log" 2>&1 || { cat "$tmp/cfg.log"; exit 1; }
cmake --build "$tmp/b" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
"$tmp/b/consumer_shared"
"$tmp/b/consumer_static"
# The shared one must really use the installed libsipc.so.
ldd "$tmp/b/consumer_shared" | grep -q "$libdir/libsipc.so" || { echo "FAIL: consumer_shared does not load $libdir/libsipc.so"; ldd "$tmp/b/consumer_shared"; exit 1; }

echo "== pkg-config sipc"
export PKG_CONFIG_PATH="$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
flags=$(pkg-config --cflags --libs sipc)
echo "pkg-config --cflags --libs sipc: $flags"
# shellcheck disable=SC2086
"$cc" $cflags -o "$tmp/pc_shared" "$src/main.c" $flags -Wl,-rpath,"$libdir"
"$tmp/pc_shared"
sflags=$(pkg-config --cflags --libs --static sipc)
echo "pkg-config --static: $sflags"
# Static libsipc, everything else as the system has it.
# shellcheck disable=SC2086
"$cc" $cflags -o "$tmp/pc_static" "$src/main.c" $(pkg-config --cflags sipc) "$libdir/libsipc.a" \
    $(echo "$sflags" | sed 's/-lsipc\( \|$\)/ /')
"$tmp/pc_static"
if ldd "$tmp/pc_static" | grep -q libsipc; then echo "FAIL: pc_static loads libsipc.so"; exit 1; fi
echo "consumer test passed"
