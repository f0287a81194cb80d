#!/usr/bin/env bash
# test_installed_docs.sh - what `make install` puts under share/doc/sipc reads
# on its own: every relative link of the installed README and guides resolves
# to an installed file or folder (README -> docs/quickstart.md ->
# ../examples/kv/), the systemd unit's Documentation= names an installed
# file and sysusers.d declares the account it runs as, an install under
# umask 077 leaves directories 0755 (and make uninstall's script removes it:
# not a file it did not install, nor the folder holding one, even with a
# `[` in DESTDIR; with another DESTDIR it refuses),
# and the installed examples build against the install with the quickstart's
# command. Nothing is started: no network.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init instdocs

p=$work/prefix
run cmake --install "$BIN" --prefix "$p"
expect "cmake --install" 0 || exit 1
doc=$p/share/doc/sipc
[ -f "$doc/README.md" ] && [ -f "$doc/docs/quickstart.md" ] && [ -f "$doc/examples/kv/kv_server.c" ] &&
    ok "README, docs/ and examples/ installed under share/doc/sipc" || not_ok "layout: $(cd "$doc" && find . | head -20)"
# a build carrying wolfSSL (not WOLFSSL=system) installs wolfSSL's licence with it
if grep -q '^SIPC_SYSTEM_WOLFSSL:BOOL=ON' "$BIN/CMakeCache.txt"; then
    [ ! -e "$doc/wolfssl" ] && ok "WOLFSSL=system: no wolfSSL licence installed (none is inside)" ||
        not_ok "WOLFSSL=system build installed $doc/wolfssl"
else
    grep -q 'GPLv2' "$doc/wolfssl/LICENSING" 2>/dev/null && grep -q 'GNU GENERAL PUBLIC LICENSE' "$doc/wolfssl/COPYING" &&
        [ -s "$doc/wolfssl/copyright.debian" ] &&
        ok "the bundled wolfSSL's LICENSING, COPYING and Debian copyright are installed" ||
        not_ok "wolfSSL's licence files missing under $doc/wolfssl"
fi

broken=0 n=0
while IFS= read -r md; do
    dir=$(dirname "$md")
    # [text](target): relative targets only, without their #anchor
    while IFS= read -r t; do
        t=${t%%#*}
        [ -n "$t" ] || continue
        n=$((n + 1))
        [ -e "$dir/$t" ] || { broken=$((broken + 1)); echo "    | ${md#"$doc"/}: ($t) does not resolve"; }
    done < <(grep -o '](\([^)]*\))' "$md" | sed 's/^](//; s/)$//' | grep -v '^[a-z]*:' | grep -v '^#')
done < <(find "$doc" -name '*.md')
[ "$broken" = 0 ] && [ "$n" -gt 20 ] && ok "all $n relative links of the installed docs resolve" ||
    not_ok "$broken of $n relative links do not resolve"

unit=$p/lib/systemd/system/sipcd.service
if [ -f "$unit" ]; then
    f=$(sed -n 's|^Documentation=file://||p' "$unit")
    [ -f "$f" ] && ok "the unit's Documentation= is installed: ${f#"$p"/}" || not_ok "Documentation=$f missing"
    u=$(sed -n 's/^User=//p' "$unit")
    grep -Eq "^u[[:space:]]+$u[[:space:]]" "$p/lib/sysusers.d/sipc.conf" 2>/dev/null &&
        ok "lib/sysusers.d/sipc.conf declares the unit's User=$u" || not_ok "no sysusers.d entry for User=$u"
fi

# the help texts name the docs where an install puts them too
named=$({ "$BIN/tlstool" --help; "$BIN/sipcctl" status --help; } 2>&1 | tr -d '\n' |
    grep -o 'PREFIX/share/doc/sipc/docs/[a-z-]*\.md' | sort -u)
miss=0
for f in $named; do [ -f "$p/${f#PREFIX/}" ] || miss=$((miss + 1)); done
[ "$(echo "$named" | grep -c .)" = 2 ] && [ "$miss" = 0 ] &&
    ok "tlstool --help and sipcctl status --help name installed docs: $(echo $named)" ||
    not_ok "help texts name '$(echo $named)', $miss of them not installed"

# under umask 077 (a hardened root's) into a DESTDIR: directories 0755,
# files 0644 or 0755, so that other accounts can use the install
# a glob character in the path: the uninstall must not take it as a pattern
stage=$work/st[1]
run bash -c 'umask 077 && DESTDIR="$1" exec cmake --install "$2" --prefix /usr/local' _ "$stage" "$BIN"
if expect "cmake --install into a DESTDIR under umask 077" 0; then
    dirs=$(find "$stage/usr" -type d ! -perm 755 -printf '%m %P\n')
    files=$(find "$stage/usr" -type f ! -perm 644 ! -perm 755 -printf '%m %P\n')
    [ -z "$dirs" ] && [ -n "$(find "$stage/usr/local/lib/pkgconfig" -name sipc.pc)" ] &&
        ok "umask 077: every directory installed is 0755 (lib/pkgconfig, lib/cmake, share/doc ...)" ||
        not_ok "umask 077: directories not 0755: $(echo "$dirs" | head -5 | tr '\n' ';')"
    [ -z "$files" ] && ok "umask 077: every file installed is 0644 or 0755" ||
        not_ok "umask 077: files of other modes: $(echo "$files" | head -5 | tr '\n' ';')"
    # make uninstall's script with the same DESTDIR removes it all again, and
    # sipc's own folders, but not a file of the user's in one, nor that
    # folder; a copy of the list and record, as other tests install from
    # this build tree too (skipped when one did meanwhile)
    cp "$BIN/install_manifest.txt" "$work/manifest"
    cp "$BIN/install_record.cmake" "$work/record"
    mkdir -p "$stage/usr/local/lib/pkgconfig/other"
    echo keep >"$stage/usr/local/share/doc/sipc/MY-NOTES.txt"
    uninstall() {
        run env DESTDIR="$1" cmake -DMANIFEST="$work/manifest" -DRECORD="$work/record" \
            -P "$(dirname "$0")/../../cmake/uninstall.cmake"
    }
    if ! grep -qv '^/usr/local/' "$work/manifest" &&
        grep -qF "[==[$stage]==]" "$work/record"; then
        n=$(find "$stage" -type f | wc -l)
        uninstall "$work/elsewhere"
        [ "$RC" != 0 ] && grep -q "nothing was removed" "$OUT" &&
            [ "$(find "$stage" -type f | wc -l)" = "$n" ] &&
            ok "uninstall with another DESTDIR than the install's: refused, nothing removed" ||
            bad "uninstall with another DESTDIR (exit $RC)"
        uninstall "$stage"
        left=$(find "$stage" \( -type f -o -type l \) ! -name MY-NOTES.txt
            find "$stage" -name sipc ! -path '*/share/doc/sipc')
        [ "$RC" = 0 ] && [ -z "$left" ] && [ -d "$stage/usr/local/lib/pkgconfig/other" ] &&
            ok "uninstall removes every file installed and sipc's folders, not shared ones" ||
            bad "uninstall (exit $RC) left: $(echo "$left" | head -5 | tr '\n' ' ')"
        [ "$(cat "$stage/usr/local/share/doc/sipc/MY-NOTES.txt" 2>/dev/null)" = keep ] &&
            ok "a file uninstall did not install stays, with its folder share/doc/sipc" ||
            bad "uninstall removed share/doc/sipc/MY-NOTES.txt, which it never installed"
    else
        echo "ok - # SKIP uninstall: the build tree's install list changed meanwhile (another test installed from it)"
    fi
fi

run cmake -S "$doc/examples" -B "$work/ex" -DCMAKE_PREFIX_PATH="$p"
expect "the installed examples configure against the install" 0 &&
    { run cmake --build "$work/ex"; expect "and build" 0; }
[ -x "$work/ex/kv_server" ] && [ -x "$work/ex/kv_client" ] && ok "kv_server and kv_client built" ||
    not_ok "no kv_server/kv_client in $work/ex"
shtest_done
