#!/usr/bin/env bash
# check-abi.sh [--record] [--so LIBSIPC_SO] RECORD_DIR INCLUDE_DIR... - the
# public ABI must be the one recorded for its SIPC_ABI_VERSION.
#
# The ABI is what cmake/abi-dump.py reads from the public headers
# (INCLUDE_DIR/sipc/*.h) through GCC: every function's prototype, every
# sipc_* structure's size and members (offset, type), every enumeration's
# values, every typedef, every SIPC_* macro with a value. RECORD_DIR/abi-N.txt
# holds it for SIPC_ABI_VERSION N, the soname's number (libsipc.so.N).
#
#   check     fails, printing the difference and what to do, when the headers'
#             ABI differs from abi-N.txt (changed without raising N) or no
#             abi-N.txt exists (N raised, the new ABI not recorded); with
#             --so, also when that library's soname is not libsipc.so.N.
#   --record  writes abi-N.txt and removes the other abi-*.txt; refuses to
#             overwrite an abi-N.txt that differs (raise N first).
#
# Any difference counts, an added function too: a program that uses it would
# otherwise load an older libsipc.so.N and fail only when it calls it.
set -uo pipefail
export LC_ALL=C

record=0 so=""
while [ $# -gt 0 ]; do
    case $1 in
    --record) record=1; shift ;;
    --so) so=${2:?--so needs a file}; shift 2 ;;
    *) break ;;
    esac
done
dir=${1:?usage: check-abi.sh [--record] [--so LIBSIPC_SO] RECORD_DIR INCLUDE_DIR...}
shift
[ $# -gt 0 ] || { echo "check-abi: no include dirs" >&2; exit 2; }
here=$(dirname "$(realpath "$0")")

# SIPC_ABI_VERSION, from the one header line the build reads it from too
defs=$(for d in "$@"; do cat "$d"/sipc/*.h 2>/dev/null; done | grep -E '^#define SIPC_ABI_VERSION [0-9]+$')
[ "$(printf '%s\n' "$defs" | grep -c .)" = 1 ] ||
    { echo "check-abi: expected one line '#define SIPC_ABI_VERSION <number>' in $*/sipc/*.h" >&2; exit 2; }
n=${defs##* }
file=$dir/abi-$n.txt

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-abi.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
python3 "$here/abi-dump.py" "$@" >"$tmp/now" || exit 2
[ -s "$tmp/now" ] || { echo "check-abi: abi-dump.py read nothing" >&2; exit 2; }
# the recorded lines, without the comments on top
recorded() { grep -v '^#' "$1"; }

if [ $record = 1 ]; then
    if [ -f "$file" ] && ! recorded "$file" | cmp -s - "$tmp/now"; then
        recorded "$file" | diff -u --label "$file" --label "public headers now" - "$tmp/now"
        echo "check-abi: $file records another ABI for SIPC_ABI_VERSION $n; raise SIPC_ABI_VERSION" \
             "(ipc/include/sipc/sipc.h) first, then record again" >&2
        exit 1
    fi
    {
        echo "# The public ABI of libsipc.so.$n (SIPC_ABI_VERSION $n): cmake/abi-dump.py's reading"
        echo "# of the public headers. Written by \`make abi-record\` (cmake/check-abi.sh --record);"
        echo "# the check_abi test fails when the headers differ from it. Do not edit by hand."
        cat "$tmp/now"
    } >"$file.tmp" && mv "$file.tmp" "$file" || exit 2
    for old in "$dir"/abi-*.txt; do
        [ "$old" = "$file" ] || [ ! -f "$old" ] || { rm -f "$old"; echo "check-abi: removed $old"; }
    done
    echo "check-abi: recorded the ABI of SIPC_ABI_VERSION $n in $file ($(wc -l <"$tmp/now") lines); commit it"
    exit 0
fi

bad=0
if [ -n "$so" ]; then
    soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]$/\1/p')
    if [ "$soname" != "libsipc.so.$n" ]; then
        echo "$so: soname '$soname', expected libsipc.so.$n (SIPC_ABI_VERSION $n)"
        bad=1
    fi
fi
if [ ! -f "$file" ]; then
    prev=$(ls "$dir"/abi-*.txt 2>/dev/null | head -n1)
    if [ -n "$prev" ]; then
        recorded "$prev" | diff -u --label "$prev" --label "public headers now" - "$tmp/now"
    fi
    echo "check-abi: no record of the ABI of SIPC_ABI_VERSION $n ($file)."
    echo "  If you raised SIPC_ABI_VERSION for the change above, record the new ABI: \`make abi-record\`"
    echo "  (or bash cmake/check-abi.sh --record cmake base/include ipc/include ipc/node/include), and commit it."
    exit 1
fi
if ! recorded "$file" | cmp -s - "$tmp/now"; then
    recorded "$file" | diff -u --label "$file" --label "public headers now" - "$tmp/now"
    echo "check-abi: the public ABI differs from the one recorded for SIPC_ABI_VERSION $n."
    echo "  A program built against libsipc.so.$n would load this library and read or call it wrongly."
    echo "  Raise SIPC_ABI_VERSION to $((n + 1)) in ipc/include/sipc/sipc.h (the soname becomes"
    echo "  libsipc.so.$((n + 1))), then record the new ABI: \`make abi-record\`, and commit cmake/abi-$((n + 1)).txt."
    echo "  (Unintended? Undo the change to the public headers instead.)"
    exit 1
fi
[ $bad = 0 ] || exit 1
echo "check-abi: the public ABI is the one recorded for SIPC_ABI_VERSION $n ($(wc -l <"$tmp/now") lines)"
