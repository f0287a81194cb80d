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

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-layers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The rules, shared by both halves (awk functions).
cat >"$tmp/rules.awk" <<'AWK'
# The layer a path (relative to the source dir) belongs to, "" for none.
function layer_of(p) {
    if (p ~ /^base\//) return "base"
    if (p ~ /^certs\/tool\//) return "certs/tool"
    if (p ~ /^certs\//) return "certs"
    if (p ~ /^transport\//) return "transport"
    if (p ~ /^ipc\/node\//) return "ipc/node"
    if (p ~ /^ipc\//) return "ipc"
    if (p ~ /^services\//) return "services"
    if (p ~ /^tests\//) return "tests"
    if (p ~ /^examples\//) return "examples"
    return ""
}
function rank(l) {
    return l == "base" ? 1 : l == "certs" ? 2 : l == "certs/tool" ? 3 : l == "transport" ? 4 : \
           l == "ipc" ? 5 : l == "ipc/node" ? 6 : l == "services" ? 7 : \
           (l == "tests" || l == "examples") ? 8 : 0
}
# May a file of layer u use layer t?
function allowed(u, t) {
    if (t == "certs/tool")
        return u == "certs/tool" || u == "services" || u == "tests" || u == "examples"
    return rank(t) <= rank(u)
}
function why(u, t) {
    if (t == "certs/tool" && rank(u) > rank(t))
        return "layer certs/tool, which is not in libsipc: only programs may use it, not " u
    return "layer " t " above " u
}
AWK

violations=0

# --- 1. includes ---------------------------------------------------------
find base certs transport ipc services tests examples -type f 2>/dev/null | sort >"$tmp/files"
grep -E '\.[ch]$' "$tmp/files" >"$tmp/sources"
# "<file> <included name>" for every #include "X" and #include <sipc/X>
tr '\n' '\0' <"$tmp/sources" | xargs -0 -r grep -H '#[[:space:]]*include' |
    sed -n -E 's/^([^:]*):[[:space:]]*#[[:space:]]*include[[:space:]]*("([^"]+)"|<(sipc\/[^>]+)>).*/\1 \3\4/p' \
    >"$tmp/includes"
cat >"$tmp/includes.awk" <<'AWK'
    # Normalise a/b/../c to a/c.
    function norm(p,    n, i, parts, out, k) {
        n = split(p, parts, "/"); k = 0
        for (i = 1; i <= n; i++) {
            if (parts[i] == "." || parts[i] == "") continue
            if (parts[i] == ".." && k > 0 && out[k] != "..") { k--; continue }
            out[++k] = parts[i]
        }
        p = ""
        for (i = 1; i <= k; i++) p = p (i > 1 ? "/" : "") out[i]
        return p
    }
    # The layer of the file an include names: a public header by its
    # installed name, else the name beside the including file, else the name
    # from the source dir; "" when it is none of the tree (not judged).
    function include_layer(f, name,    d) {
        if (name == "sipc/errno.h") return "base"
        if (name == "sipc/sipc.h") return "ipc"
        if (name == "sipc/node.h") return "ipc/node"
        if (name == "sipc.pb-c.h") return "ipc"
        d = f; sub(/\/[^\/]*$/, "", d)
        if ((norm(d "/" name)) in exists) return layer_of(norm(d "/" name))
        if (norm(name) in exists) return layer_of(norm(name))
        return ""
    }
    NR == FNR { exists[$0] = 1; next }
    {
        f = $1; name = $2; fl = layer_of(f); tl = include_layer(f, name)
        if (fl != "" && tl != "" && !allowed(fl, tl)) {
            print f ": includes " name " (" why(fl, tl) ")"; bad++
        }
    }
    END { exit bad > 0 }
AWK
awk -f "$tmp/rules.awk" -f "$tmp/includes.awk" "$tmp/files" "$tmp/includes" || violations=1

# --- 2. symbols ----------------------------------------------------------
if [ -n "$objects" ]; then
    if [ ! -s "$objects" ]; then
        echo "check-layers: $objects is empty or missing" >&2
        exit 2
    fi
    # defs: "<symbol> <layer>" for every global symbol an object defines;
    # undefs: "<object> <layer> <symbol>" for every symbol it needs.
    : >"$tmp/defs"
    : >"$tmp/undefs"
    cut -f2 "$objects" | grep -v '^$' >"$tmp/objs"
    while IFS= read -r obj; do
        [ -f "$obj" ] || { echo "check-layers: $obj does not exist; build first" >&2; exit 2; }
    done <"$tmp/objs"
    # nm -A prefixes each line with "<object>:"; the objects file maps it to a layer.
    tr '\n' '\0' <"$tmp/objs" | xargs -0 "$NM" -A --defined-only -g >"$tmp/nm-defs" || exit 2
    tr '\n' '\0' <"$tmp/objs" | xargs -0 "$NM" -A -u >"$tmp/nm-undefs" || exit 2
    awk -F'\t' 'FILENAME == ARGV[1] { layer[$2] = $1; next }
        { split($0, a, ":"); n = split($0, w, " ") }
        FILENAME == ARGV[2] && n >= 3 { print w[n], layer[a[1]] >"'"$tmp/defs"'" }
        FILENAME == ARGV[3] { print a[1], layer[a[1]], w[n] >"'"$tmp/undefs"'" }' \
        "$objects" "$tmp/nm-defs" "$tmp/nm-undefs"
    # A needed symbol is fine when a layer the object may use defines it (or
    # no layer does: libc, libuv, wolfSSL); a violation when only layers it
    # may not use define it.
    cat >"$tmp/symbols.awk" <<'AWK'
        NR == FNR { defs[$1] = defs[$1] " " $2; next }
        ($3 in defs) {
            n = split(defs[$3], dl, " "); ok = 0
            for (i = 1; i <= n; i++) if (allowed($2, dl[i])) ok = 1
            if (ok) next
            obj = $1; if (index(obj, pwd) == 1) obj = substr(obj, length(pwd) + 1)
            print obj ": uses " $3 " (defined in " why($2, dl[1]) ")"; bad++
        }
        END { exit bad > 0 }
AWK
    awk -v pwd="$PWD/" -f "$tmp/rules.awk" -f "$tmp/symbols.awk" "$tmp/defs" "$tmp/undefs" || violations=1
fi

if [ $violations -gt 0 ]; then
    echo "check-layers: a layer may use only itself and the layers below it" >&2
    exit 1
fi
echo "check-layers: no layer points up${objects:+ (includes and symbols)}"
