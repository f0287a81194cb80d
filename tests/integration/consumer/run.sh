#!/bin/sh
# run.sh BUILD_DIR SOURCE_DIR [EXAMPLES_DIR] - install sipc from BUILD_DIR
# into a temporary prefix, then build and run the consumer in SOURCE_DIR
# against it the ways docs/quickstart.md documents, with exactly the
# documented commands:
#   - find_package(sipc): sipc::sipc (shared) and sipc::sipc_static;
#   - pkg-config sipc with an rpath (shared), and
#     pkg-config --static sipc-static (libsipc.a, the system libraries shared);
# each one must run without LD_LIBRARY_PATH, and load libsipc.so from the
# prefix (shared) or not at all (static).
# With EXAMPLES_DIR, also build examples/ on their own against the prefix
# (they use only the installed headers) and run their end-to-end test.
# CONSUMER_CFLAGS (e.g. the sanitizer flags of an ASan tree) and CC are passed on.
set -eu
build=$1
src=$2
examples=${3:-}
cc=${CC:-cc}
cflags=${CONSUMER_CFLAGS:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sipc-consumer.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
unset LD_LIBRARY_PATH

fail() { echo "FAIL: $*"; exit 1; }

# uses_shared PROGRAM: is the libsipc.so it loads the prefix's, by the
# soname of the headers' ABI?
uses_shared() {
    so=$(ldd "$1" | sed -n 's/^[[:space:]]*libsipc\.so[^ ]* => \([^ ]*\) .*/\1/p')
    [ -n "$so" ] || { ldd "$1"; fail "$1 does not load libsipc.so"; }
    readelf -d "$1" | grep -q "(NEEDED).*\[libsipc\.so\.$abi\]" ||
        { readelf -d "$1" | grep NEEDED; fail "$1 does not need libsipc.so.$abi (SIPC_ABI_VERSION $abi)"; }
    [ "$(realpath "$so")" = "$(realpath "$libdir/libsipc.so.$abi")" ] ||
        { ldd "$1"; fail "$1 loads $so, not the one in $libdir"; }
}
is_static() {
    if ldd "$1" | grep -q libsipc; then ldd "$1"; fail "$1 loads libsipc.so"; fi
}

# pkg-config pointed at the build tree must find nothing rather than flags
# that name directories only an install makes
stray=$(find "$build" -maxdepth 1 -name '*.pc')
[ -z "$stray" ] || fail "the build tree holds $stray, which names no real directory: install first"

echo "== install into $prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; exit 1; }
for f in include/sipc/errno.h include/sipc/sipc.h include/sipc/node.h; do
    [ -f "$prefix/$f" ] || fail "$f not installed"
done
pc=$(find "$prefix" -name sipc.pc | head -n1)
[ -n "$pc" ] || fail "sipc.pc not installed"
[ -f "$(dirname "$pc")/sipc-static.pc" ] || fail "sipc-static.pc not installed"
[ -n "$(find "$prefix" -name sipcConfig.cmake)" ] || fail "sipcConfig.cmake not installed"
[ -f "$prefix/share/doc/sipc/docs/operator-guide.md" ] || fail "the guides are not installed (the unit's Documentation=)"
# the unit runs the sipcd of this prefix (the prefix given to cmake --install,
# not the one configured)
if [ -x "$prefix/bin/sipcd" ]; then
    unit=$prefix/lib/systemd/system/sipcd.service
    grep -qx "ExecStart=$prefix/bin/sipcd --foreground" "$unit" ||
        { grep ExecStart "$unit"; fail "sipcd.service does not start $prefix/bin/sipcd"; }
fi
ls -1 "$prefix/bin" 2>/dev/null | sed 's/^/  bin: /'
libdir=$(dirname "$(dirname "$pc")")
# the soname is libsipc.so.<SIPC_ABI_VERSION>, which sipc.pc names too
abi=$(sed -n 's/^#define SIPC_ABI_VERSION \([0-9]*\)$/\1/p' "$prefix/include/sipc/sipc.h")
[ -n "$abi" ] || fail "the installed sipc.h defines no SIPC_ABI_VERSION"
[ "$(sed -n 's/^abi_version=//p' "$pc")" = "$abi" ] || fail "sipc.pc: abi_version is not $abi"
soname=$(readelf -d "$libdir/libsipc.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]$/\1/p')
[ "$soname" = "libsipc.so.$abi" ] || fail "$libdir/libsipc.so: soname '$soname', expected libsipc.so.$abi"
# machine code only in the installed archive: no compiler's IR (link-time
# optimisation's sections bind a consumer's -flto to sipc's GCC version)
if readelf -S -W "$libdir/libsipc.a" | grep -q '\.gnu\.lto_'; then
    fail "$libdir/libsipc.a keeps link-time optimisation sections (.gnu.lto_*)"
fi

echo "== find_package(sipc)"
cmake -S "$src" -B "$tmp/b" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_C_FLAGS="$cflags" >"$tmp/cfg.log" 2>&1 || { cat "$tmp/cfg.log"; exit 1; }
cmake --build "$tmp/b" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
"$tmp/b/consumer_shared"
"$tmp/b/consumer_static"
uses_shared "$tmp/b/consumer_shared"
is_static "$tmp/b/consumer_static"

echo "== pkg-config"
export PKG_CONFIG_PATH="$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
# sipc.h includes uv.h, nothing else: libuv is the one public requirement.
req=$(pkg-config --print-requires sipc | awk '{ print $1 }' | tr '\n' ' ')
[ "$req" = "libuv " ] || fail "sipc.pc Requires: '$req', expected only libuv"
pkg-config --print-requires-private sipc | grep -q '^libprotobuf-c' ||
    fail "sipc.pc: libprotobuf-c is not in Requires.private"

# Shared, with an rpath to where libsipc.so is installed.
flags="$(pkg-config --cflags --libs sipc) -Wl,-rpath,$(pkg-config --variable=libdir sipc)"
echo "shared: $flags"
# shellcheck disable=SC2086
"$cc" $cflags -o "$tmp/pc_shared" "$src/main.c" $flags
"$tmp/pc_shared"
uses_shared "$tmp/pc_shared"
# Only another ABI's libsipc there (its soname link gone): the loader refuses
# to start the program, with the words docs/quickstart.md quotes.
mv "$libdir/libsipc.so.$abi" "$tmp/soname-link"
if "$tmp/pc_shared" >"$tmp/refused.log" 2>&1; then refused=0; else refused=1; fi
mv "$tmp/soname-link" "$libdir/libsipc.so.$abi"
[ $refused = 1 ] || fail "pc_shared started without libsipc.so.$abi"
grep -q "error while loading shared libraries: libsipc\.so\.$abi: cannot open shared object file" \
    "$tmp/refused.log" || { cat "$tmp/refused.log"; fail "pc_shared without libsipc.so.$abi: not the loader's refusal"; }

# Static libsipc: the command as documented, no editing of its output.
sflags=$(pkg-config --cflags --libs --static sipc-static)
echo "static: $sflags"
# shellcheck disable=SC2086
"$cc" $cflags -o "$tmp/pc_static" "$src/main.c" $sflags
"$tmp/pc_static"
is_static "$tmp/pc_static"

if [ -n "$examples" ]; then
    echo "== examples/ against the installed sipc"
    cmake -S "$examples" -B "$tmp/ex" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
        -DCMAKE_C_FLAGS="-Wall -Wextra -Werror $cflags" >"$tmp/ex-cfg.log" 2>&1 || { cat "$tmp/ex-cfg.log"; exit 1; }
    cmake --build "$tmp/ex" >"$tmp/ex-build.log" 2>&1 || { cat "$tmp/ex-build.log"; exit 1; }
    uses_shared "$tmp/ex/kv_server"
    is_static "$tmp/ex/kv_client"
    bash "$examples/kv/test_kv.sh" "$tmp/ex/kv_server" "$tmp/ex/kv_client" >"$tmp/kv.log" 2>&1 ||
        { cat "$tmp/kv.log"; fail "examples/kv built against the install"; }
    tail -n1 "$tmp/kv.log"
fi
echo "consumer test passed"
