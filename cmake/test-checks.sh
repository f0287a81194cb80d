#!/usr/bin/env bash
# test-checks.sh SOURCE_DIR LAYER_OBJECTS_FILE - the checkers themselves
# (check-layers.sh, check-exports.sh, check-abi.sh) must fail on a planted
# violation and pass without it, so their passing on the real tree means something.
# Works on temporary copies; the tree is not touched. CC must be GCC.
set -uo pipefail
export LC_ALL=C

src=$(realpath "${1:?usage: test-checks.sh SOURCE_DIR LAYER_OBJECTS_FILE}")
objects=$(realpath "${2:?usage: test-checks.sh SOURCE_DIR LAYER_OBJECTS_FILE}")
cc=${CC:-gcc}
here=$(dirname "$(realpath "$0")")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-checks.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0

# expect NAME WANT_RC WANT_LINE -- COMMAND...: run COMMAND, compare its exit
# status, and (if WANT_LINE is not empty) look for that exact output line.
expect() {
    local name=$1 want_rc=$2 want_line=$3 rc
    shift 4
    "$@" >"$tmp/out" 2>&1
    rc=$?
    if [ "$rc" != "$want_rc" ]; then
        echo "FAIL $name: exit $rc, expected $want_rc"; sed 's/^/  | /' "$tmp/out"; fails=$((fails + 1)); return
    fi
    if [ -n "$want_line" ] && ! grep -qxF -- "$want_line" "$tmp/out"; then
        echo "FAIL $name: no line '$want_line'"; sed 's/^/  | /' "$tmp/out"; fails=$((fails + 1)); return
    fi
    echo "ok   $name"
}

# --- check-layers.sh: includes -----------------------------------------
copy=$tmp/tree
mkdir -p "$copy"
for d in base certs transport ipc services tests examples; do
    [ -d "$src/$d" ] && cp -r "$src/$d" "$copy/"
done
expect "layers: the copy passes" 0 "check-layers: no layer points up" -- bash "$here/check-layers.sh" "$copy"

cp "$copy/base/error.c" "$tmp/error.c.orig"
printf '#include "ipc/internal.h"\n' >>"$copy/base/error.c"
expect "layers: base includes ipc/internal.h" 1 \
    "base/error.c: includes ipc/internal.h (layer ipc above base)" -- bash "$here/check-layers.sh" "$copy"
cp "$tmp/error.c.orig" "$copy/base/error.c"

# A public header by its installed name, from a file in the same folder.
printf '#include <sipc/node.h>\n' >>"$copy/ipc/ctx.c"
expect "layers: ipc includes <sipc/node.h>" 1 \
    "ipc/ctx.c: includes sipc/node.h (layer ipc/node above ipc)" -- bash "$here/check-layers.sh" "$copy"
cp "$src/ipc/ctx.c" "$copy/ipc/ctx.c"

# A name relative to the including file's folder.
printf '#include "../ipc/frame.h"\n' >>"$copy/transport/stream.h"
expect "layers: transport includes ../ipc/frame.h" 1 \
    "transport/stream.h: includes ../ipc/frame.h (layer ipc above transport)" -- bash "$here/check-layers.sh" "$copy"
cp "$src/transport/stream.h" "$copy/transport/stream.h"

# certs/tool is below transport but not in libsipc.
printf '#include "certs/tool/pkcs12.h"\n' >>"$copy/transport/stream.c"
expect "layers: transport includes certs/tool" 1 \
    "transport/stream.c: includes certs/tool/pkcs12.h (layer certs/tool, which is not in libsipc: only programs may use it, not transport)" \
    -- bash "$here/check-layers.sh" "$copy"
cp "$src/transport/stream.c" "$copy/transport/stream.c"
expect "layers: the restored copy passes" 0 "check-layers: no layer points up" -- bash "$here/check-layers.sh" "$copy"

# --- check-layers.sh: symbols ------------------------------------------
expect "layers: the real objects pass" 0 "check-layers: no layer points up (includes and symbols)" \
    -- bash "$here/check-layers.sh" "$copy" "$objects"
# An object of base that calls into ipc through a hand-written declaration:
# no include shows it, the symbol does.
cat >"$tmp/planted.c" <<'EOF'
int sipc_ctx_new(void);
int planted_base_fn(void) { return sipc_ctx_new(); }
EOF
"$cc" -c -o "$tmp/planted.o" "$tmp/planted.c" || exit 2
{ cat "$objects"; printf 'base\t%s\n' "$tmp/planted.o"; } >"$tmp/objects-base"
expect "layers: a base object uses sipc_ctx_new" 1 \
    "$tmp/planted.o: uses sipc_ctx_new (defined in layer ipc above base)" \
    -- bash "$here/check-layers.sh" "$copy" "$tmp/objects-base"
tool_sym=$(awk -F'\t' '$1 == "certs/tool" { print $2 }' "$objects" | xargs nm --defined-only -g | awk '$2 == "T" { print $3; exit }')
[ -n "$tool_sym" ] || { echo "FAIL: no certs/tool function in $objects"; exit 1; }
printf 'int %s(void);\nint planted_ipc_fn(void) { return %s(); }\n' "$tool_sym" "$tool_sym" >"$tmp/planted2.c"
"$cc" -c -o "$tmp/planted2.o" "$tmp/planted2.c" || exit 2
{ cat "$objects"; printf 'ipc\t%s\n' "$tmp/planted2.o"; } >"$tmp/objects-ipc"
expect "layers: an ipc object uses certs/tool's $tool_sym" 1 \
    "$tmp/planted2.o: uses $tool_sym (defined in layer certs/tool, which is not in libsipc: only programs may use it, not ipc)" \
    -- bash "$here/check-layers.sh" "$copy" "$tmp/objects-ipc"
# The same call from a program is fine.
{ cat "$objects"; printf 'services\t%s\n' "$tmp/planted2.o"; } >"$tmp/objects-svc"
expect "layers: a program uses certs/tool" 0 "" -- bash "$here/check-layers.sh" "$copy" "$tmp/objects-svc"

# --- check-exports.sh ---------------------------------------------------
mkdir -p "$tmp/exp/inc/sipc"
cat >"$tmp/exp/inc/sipc/api.h" <<'EOF'
int sipc_api_a(void);
int sipc_api_b(void);
EOF
cat >"$tmp/exp/good.c" <<'EOF'
int sipc_api_a(void) { return 1; }
int sipc_api_b(void) { return 2; }
__attribute__((visibility("hidden"))) int internal_helper(void) { return 3; }
EOF
cat >"$tmp/exp/bad.c" <<'EOF'
int sipc_internal_d(void);
int sipc_api_a(void) { return sipc_internal_d(); }
__attribute__((visibility("hidden"))) int sipc_api_b(void) { return 2; }
int leaked_helper(void) { return 3; }
EOF
"$cc" -shared -fPIC -o "$tmp/exp/good.so" "$tmp/exp/good.c" || exit 2
"$cc" -shared -fPIC -o "$tmp/exp/bad.so" "$tmp/exp/bad.c" || exit 2
expect "exports: exactly the declared API passes" 0 "" -- bash "$here/check-exports.sh" "$tmp/exp/good.so" "$tmp/exp/inc"
expect "exports: a leaked symbol" 1 "$tmp/exp/bad.so: exports leaked_helper, which no public header declares" \
    -- bash "$here/check-exports.sh" "$tmp/exp/bad.so" "$tmp/exp/inc"
expect "exports: a hidden declared function" 1 \
    "$tmp/exp/inc/sipc/api.h:2: declares sipc_api_b, which $tmp/exp/bad.so does not export (SIPC_EXTERN missing, or not built into libsipc)" \
    -- bash "$here/check-exports.sh" "$tmp/exp/bad.so" "$tmp/exp/inc"
expect "exports: a dangling sipc_ reference" 1 "$tmp/exp/bad.so: needs sipc_internal_d, which it does not define" \
    -- bash "$here/check-exports.sh" "$tmp/exp/bad.so" "$tmp/exp/inc"

# --- check-abi.sh ---------------------------------------------------------
abi=$tmp/abi
abi_check=(bash "$here/check-abi.sh" "$abi/rec" "$abi/inc")
mkdir -p "$abi/inc/sipc" "$abi/rec"
cat >"$abi/api.h.orig" <<'EOF'
#include <stdint.h>
#define SIPC_ABI_VERSION 1
#define SIPC_NAME_MAX 255
typedef enum { SIPC_A_ONE = 1, SIPC_A_TWO } sipc_a_mode;
typedef void (*sipc_a_cb)(int err, void *arg);
typedef struct sipc_a_info {
    char name[64];
    uint32_t count;
    sipc_a_cb cb;
} sipc_a_info;
int sipc_a_get(const char *name, sipc_a_info *out);
EOF
# plant SED_EXPR: the header is the original changed by SED_EXPR
plant() { sed -e "$1" "$abi/api.h.orig" >"$abi/inc/sipc/api.h"; }
plant ''
expect "abi: record" 0 "" -- bash "$here/check-abi.sh" --record "$abi/rec" "$abi/inc"
expect "abi: the recorded ABI passes" 0 \
    "check-abi: the public ABI is the one recorded for SIPC_ABI_VERSION 1 (11 lines)" \
    -- "${abi_check[@]}"
differs="check-abi: the public ABI differs from the one recorded for SIPC_ABI_VERSION 1."
plant 's/^    sipc_a_cb cb;$/&\n    int added;/'
expect "abi: a member appended to a structure" 1 "+type  struct sipc_a_info @80 int added" \
    -- "${abi_check[@]}"
expect "abi: ... and what to do" 1 "$differs" -- "${abi_check[@]}"
plant 's/uint32_t count;/uint64_t count;/'
expect "abi: a member's type" 1 "$differs" -- "${abi_check[@]}"
plant 's/(int err, void \*arg)/(int err, int more, void *arg)/'
expect "abi: a callback's parameters" 1 "$differs" -- "${abi_check[@]}"
plant 's/sipc_a_info \*out);/int *changed, sipc_a_info *out);/'
expect "abi: a function's parameters" 1 "$differs" -- "${abi_check[@]}"
plant 's/^int sipc_a_get.*/&\nint sipc_a_new(void);/'
expect "abi: a function added" 1 "$differs" -- "${abi_check[@]}"
plant 's/SIPC_A_ONE = 1/SIPC_A_ZERO, SIPC_A_ONE/'
expect "abi: an enumeration's values" 1 "$differs" -- "${abi_check[@]}"
plant 's/SIPC_NAME_MAX 255/SIPC_NAME_MAX 511/'
expect "abi: a macro's value" 1 "$differs" -- "${abi_check[@]}"
plant 's/^    uint32_t count;$/&\n    int added;/'
expect "abi: another ABI recorded under the same version is refused" 1 "" \
    -- bash "$here/check-abi.sh" --record "$abi/rec" "$abi/inc"
plant 's/^    uint32_t count;$/&\n    int added;/; s/SIPC_ABI_VERSION 1/SIPC_ABI_VERSION 2/'
expect "abi: version raised, new ABI not recorded" 1 \
    "check-abi: no record of the ABI of SIPC_ABI_VERSION 2 ($abi/rec/abi-2.txt)." \
    -- "${abi_check[@]}"
expect "abi: record the raised version" 0 "" -- bash "$here/check-abi.sh" --record "$abi/rec" "$abi/inc"
expect "abi: the raised version passes, its record alone" 0 "abi-2.txt" \
    -- sh -c 'bash "$1" "$2" "$3" && ls "$2"' sh "$here/check-abi.sh" "$abi/rec" "$abi/inc"
printf 'int sipc_a_get(void) { return 0; }\n' >"$abi/lib.c"
"$cc" -shared -fPIC -Wl,-soname,libsipc.so.1 -o "$abi/lib.so" "$abi/lib.c" || exit 2
expect "abi: a library whose soname is not the ABI's" 1 \
    "$abi/lib.so: soname 'libsipc.so.1', expected libsipc.so.2 (SIPC_ABI_VERSION 2)" \
    -- bash "$here/check-abi.sh" --so "$abi/lib.so" "$abi/rec" "$abi/inc"

if [ $fails -gt 0 ]; then
    echo "test-checks: $fails failed"
    exit 1
fi
echo "test-checks: every planted violation was caught"
