#!/usr/bin/env bash
# check-file-size.sh SOURCE_DIR - no source file of the project (tests
# aside) is over 1,000 lines (docs/architecture.md), except the ones
# cmake/file-size-allowance.txt lists, each at most at the size it lists:
# those may only shrink until they are split. Fails for a file over the
# limit that is not listed, a listed one that grew, and a listed one back
# under the limit (its line is then to be removed).
set -u
src=${1:?usage: check-file-size.sh SOURCE_DIR}
limit=1000
allow=$src/cmake/file-size-allowance.txt
declare -A max
while read -r path n; do
    [[ -z $path || $path == \#* ]] && continue
    max[$path]=$n
done <"$allow"
fails=0
while IFS= read -r f; do
    n=$(wc -l <"$src/$f")
    if ((n > limit)); then
        if [[ -z ${max[$f]:-} ]]; then
            echo "not ok - $f has $n lines, over $limit: split it along its ideas"
            fails=$((fails + 1))
        elif ((n > max[$f])); then
            echo "not ok - $f has $n lines, more than the ${max[$f]} it is allowed until it is split"
            fails=$((fails + 1))
        fi
    fi
done < <(cd "$src" && git ls-files '*.c' '*.h' 2>/dev/null | grep -v '^tests/' ||
         find . -name '*.[ch]' -not -path './tests/*' -not -path './build*' -not -path './.deps/*' | sed 's|^\./||')
for f in "${!max[@]}"; do
    if [[ ! -f $src/$f ]] || (($(wc -l <"$src/$f") <= limit)); then
        echo "not ok - $f is listed in cmake/file-size-allowance.txt but is not over $limit lines: remove its line"
        fails=$((fails + 1))
    fi
done
((fails == 0)) && echo "ok - no source file over $limit lines beyond the allowance"
exit $((fails > 0))
