#!/usr/bin/env bash
# check-exports.sh LIBSIPC_SO INCLUDE_DIR... - libsipc.so's dynamic symbol
# table must be exactly the public API.
#
#   - every symbol libsipc.so exports (nm -D --defined-only) is a function
#     declared in a public header (INCLUDE_DIR/sipc/*.h): nothing internal,
#     nothing of the wolfSSL linked into it, leaks into consumers' namespace;
#   - every function a public header declares is exported: a declaration
#     without SIPC_EXTERN is hidden by -fvisibility=hidden and a consumer
#     would fail to link;
#   - libsipc.so needs no sipc_* symbol it does not define itself (one from
#     certs/tool or a program would only fail when a consumer links).
#
# The declared functions are read by GCC itself (-aux-info lists every
# prototype with its file), not by pattern matching C. CC must be GCC.
set -uo pipefail
export LC_ALL=C  # sort and join must agree on the order

so=${1:?usage: check-exports.sh LIBSIPC_SO INCLUDE_DIR...}
shift
[ $# -gt 0 ] || { echo "check-exports: no include dirs" >&2; exit 2; }
cc=${CC:-gcc}
NM=${NM:-nm}
[ -f "$so" ] || { echo "check-exports: $so does not exist; build first" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-exports.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# One translation unit that includes every public header.
incs=()
: >"$tmp/all.c"
for d in "$@"; do
    d=$(realpath "$d")
    incs+=("-I$d")
    for h in "$d"/sipc/*.h; do
        [ -f "$h" ] || continue
        realpath "$h" >>"$tmp/headers"
        printf '#include "sipc/%s"\n' "$(basename "$h")" >>"$tmp/all.c"
    done
done
[ -s "$tmp/headers" ] || { echo "check-exports: no sipc/*.h under $*" >&2; exit 2; }
if ! "$cc" -fsyntax-only -aux-info "$tmp/aux" "${incs[@]}" "$tmp/all.c" 2>"$tmp/cc.err"; then
    echo "check-exports: $cc could not read the public headers (is it GCC?):" >&2
    cat "$tmp/cc.err" >&2
    exit 2
fi
# "/* /path/sipc/sipc.h:44:NC */ extern void sipc_log_stderr (void *, ...);"
# -> "sipc_log_stderr /path/sipc/sipc.h:44", public headers only.
awk 'NR == FNR { h[$0] = 1; next }
     match($0, /^\/\* [^ ]+:[0-9]+:/) {
         loc = substr($0, 4, RLENGTH - 4); file = loc; sub(/:[0-9]+$/, "", file)
         if (!(file in h)) next
         decl = $0; sub(/ *\(.*/, "", decl); n = split(decl, w, /[ *]+/)
         print w[n], loc
     }' "$tmp/headers" "$tmp/aux" | sort -u -k1,1 >"$tmp/declared"
[ -s "$tmp/declared" ] || { echo "check-exports: found no declarations in the public headers" >&2; exit 2; }

"$NM" -D --defined-only "$so" | awk 'NF >= 3 { print $3 }' | sort -u >"$tmp/exported"
"$NM" -D --undefined-only "$so" | awk '$NF ~ /^sipc_/ { print $NF }' | sort -u >"$tmp/needed"

bad=0
while read -r sym; do
    echo "$so: exports $sym, which no public header declares"
    bad=$((bad + 1))
done < <(join -v 1 "$tmp/exported" "$tmp/declared")
while read -r sym loc; do
    echo "$loc: declares $sym, which $so does not export (SIPC_EXTERN missing, or not built into libsipc)"
    bad=$((bad + 1))
done < <(join -v 2 "$tmp/exported" "$tmp/declared")
while read -r sym; do
    echo "$so: needs $sym, which it does not define"
    bad=$((bad + 1))
done <"$tmp/needed"

if [ $bad -gt 0 ]; then
    echo "check-exports: $bad problem(s)" >&2
    exit 1
fi
echo "check-exports: $(wc -l <"$tmp/exported") exported symbols, all declared in the public headers, every declaration exported"
