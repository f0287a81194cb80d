#!/usr/bin/env bash
# check-layers.sh SOURCE_DIR [OBJECTS_FILE] - fails when a layer points up.
#
# The layers, lowest first (CMakeLists.txt, "layers"):
#   base < certs < certs/tool < transport < ipc < ipc/node < services < tests, examples
# A file may use what is in its own layer or below. certs/tool is a side
# branch: it is above certs but not part of libsipc, so only programs
# (services, tests, examples) may use it; a library layer that did would build
# a libsipc.so with a dangling reference.
#
# 1. Includes: every #include "X" (and #include <sipc/...>) in the layers'
#    .c and .h files is resolved to a file and that file's folder names its
#    layer. Public headers belong to the layer that implements them
#    (sipc/errno.h: base, sipc/sipc.h: ipc, sipc/node.h: ipc/node) and so does
#    the generated sipc.pb-c.h (ipc). Includes that resolve to no file of the
#    tree (system headers, tests/support via its include path) are not judged.
# 2. Symbols (with OBJECTS_FILE, lines "<layer><TAB><object file>", written by
#    CMake from $<TARGET_OBJECTS:...>): every undefined symbol of a layer's
#    objects that is defined by no layer at or below it, but by one above, is
#    a violation. This catches what the includes cannot: a declaration copied
#    by hand instead of included.
#
# Each violation is one line:
#   base/error.c: includes ipc/internal.h (layer ipc above base)
#   build/base/CMakeFiles/sipc_base.dir/error.c.o: uses sipc_ctx_new (defined in layer ipc above base)
# Exit status 1 if there was any, 0 otherwise.
set -uo pipefail
export LC_ALL=C

src=${1:?usage: check-layers.sh SOURCE_DIR [OBJECTS_FILE]}
objects=${2:-}
NM=${NM:-nm}
cd "$src" || exit 2

rank() {
    case $1 in
    base) echo 1 ;; certs) echo 2 ;; certs/tool) echo 3 ;; transport) echo 4 ;;
    ipc) echo 5 ;; ipc/node) echo 6 ;; services) echo 7 ;; tests | examples) echo 8 ;;
    *) echo 0 ;;
    esac
}

# The layer a path (relative to the source dir) belongs to, "" for none.
layer_of() {
    case $1 in
    base/*) echo base ;;
    certs/tool/*) echo certs/tool ;;
    certs/*) echo certs ;;
    transport/*) echo transport ;;
    ipc/node/*) echo ipc/node ;;
    ipc/*) echo ipc ;;
    services/*) echo services ;;
    tests/*) echo tests ;;
    examples/*) echo examples ;;
    esac
}

# allowed USER TARGET: may a file of layer USER use layer TARGET?
allowed() {
    local u=$1 t=$2
    if [ "$t" = certs/tool ]; then
        case $u in certs/tool | services | tests | examples) return 0 ;; *) return 1 ;; esac
    fi
    [ "$(rank "$t")" -le "$(rank "$u")" ]
}

why() {
    if [ "$2" = certs/tool ] && [ "$(rank "$1")" -gt "$(rank certs/tool)" ]; then
        echo "layer certs/tool, which is not in libsipc: only programs may use it, not $1"
    else
        echo "layer $2 above $1"
    fi
}

violations=0

# --- 1. includes ---------------------------------------------------------
# Resolve an include name seen in file F to the layer of the file it names.
include_layer() {
    local f=$1 name=$2 d
    case $name in
    sipc/errno.h) echo base; return ;;
    sipc/sipc.h) echo ipc; return ;;
    sipc/node.h) echo ipc/node; return ;;
    sipc.pb-c.h) echo ipc; return ;;
    esac
    d=$(dirname "$f")
    if [ -f "$d/$name" ]; then
        layer_of "$(realpath -m --relative-to=. "$d/$name")"
    elif [ -f "$name" ]; then
        layer_of "$name"
    fi
}

while IFS= read -r f; do
    fl=$(layer_of "$f")
    [ -n "$fl" ] || continue
    # "name" includes, and <sipc/...> (the public headers, as a consumer writes them).
    while IFS= read -r name; do
        tl=$(include_layer "$f" "$name")
        [ -n "$tl" ] || continue
        if ! allowed "$fl" "$tl"; then
            echo "$f: includes $name ($(why "$fl" "$tl"))"
            violations=$((violations + 1))
        fi
    done < <(sed -n -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*("([^"]+)"|<(sipc\/[^>]+)>).*/\2\3/p' "$f")
done < <(find base certs transport ipc services tests examples \( -name '*.c' -o -name '*.h' \) 2>/dev/null | sort)

# --- 2. symbols ----------------------------------------------------------
if [ -n "$objects" ]; then
    if [ ! -s "$objects" ]; then
        echo "check-layers: $objects is empty or missing" >&2
        exit 2
    fi
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-layers.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    # defs: "<symbol> <layer>" for every global symbol an object defines;
    # undefs: "<object> <layer> <symbol>" for every symbol it needs.
    while IFS=$'\t' read -r layer obj; do
        [ -n "$obj" ] || continue
        if [ ! -f "$obj" ]; then
            echo "check-layers: $obj (layer $layer) does not exist; build first" >&2
            exit 2
        fi
        "$NM" --defined-only -g "$obj" | awk -v l="$layer" 'NF >= 3 { print $3, l }' >>"$tmp/defs" || exit 2
        "$NM" -u "$obj" | awk -v o="$obj" -v l="$layer" '{ print o, l, $NF }' >>"$tmp/undefs" || exit 2
    done <"$objects"
    touch "$tmp/defs" "$tmp/undefs"
    # Per symbol, the layers that define it.
    sort -u "$tmp/defs" | awk '{ d[$1] = d[$1] " " $2 } END { for (s in d) print s d[s] }' >"$tmp/bysym"
    # Only the undefined symbols some layer defines are candidates.
    while read -r obj layer sym deflayers; do
        ok=0
        for dl in $deflayers; do
            if allowed "$layer" "$dl"; then ok=1; break; fi
        done
        [ $ok = 1 ] && continue
        set -- $deflayers
        rel=${obj#"$PWD"/}
        echo "$rel: uses $sym (defined in $(why "$layer" "$1"))"
        violations=$((violations + 1))
    done < <(awk 'NR == FNR { d[$1] = substr($0, length($1) + 2); next }
                  ($3 in d) { print $1, $2, $3, d[$3] }' "$tmp/bysym" "$tmp/undefs" | sort -u)
fi

if [ $violations -gt 0 ]; then
    echo "check-layers: $violations violation(s); a layer may use only itself and the layers below it" >&2
    exit 1
fi
echo "check-layers: no layer points up${objects:+ (includes and symbols)}"
