#!/usr/bin/env bash
# test_home_writes.sh - what tlstool writes into a home, with no real node
# (on $BASE.1 a fake node, text_node.py, that refuses every reload; nothing
# else listens there):
#   - the override state/force-strict is a new file; a link planted under
#     its name is refused before anything changes, never written through (a
#     root tlstool in a home another account owns would otherwise overwrite
#     any file) nor replaced
#   - the override lives as long as the sipc.conf change it was written
#     with: kept when the node cannot be asked (and `tlstool status` shows
#     it), removed by `tlstool disable` and `tlstool mode permissive`, and
#     removed with sipc.conf put back when the node refuses
#   - a sipc.conf that is a symbolic link is refused, not replaced
#   - a sipc.conf over 1 MiB is named as such, nothing changed
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.90}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init homewrites
export SIPC_PFX_PASSWORD="Home-Writes-$$"
tt() { "$BIN/tlstool" --home "$work/a" "$@"; }
a=$work/a
ovr=$a/state/force-strict
conf() { # MANAGEMENT_PORT: a sipc.conf with TLS off
    printf '# written by the test\n[node]\nid = a\naddress = %s.1\n[cluster]\nname = writes\n[management]\nport = %s\n' \
        "$BASE" "$1" >"$a/sipc.conf"
}
mkdir -p "$a"
conf 1 # nothing listens on port 1: the node cannot be asked
if ! tt create -site "$work/cluster.pfx" >"$OUT" 2>&1 || ! tt import "$work/cluster.pfx" >"$OUT" 2>&1; then
    bad "create and import a pair"
    shtest_done
    exit 1
fi

# --- the override: a new file, a link under its name refused --------------
echo precious >"$work/victim"
mkdir -p "$a/state"
ln -s "$work/victim" "$ovr"
cp "$a/sipc.conf" "$work/conf.first"
run tt enable --mode strict --reload --force
expect "enable --mode strict --reload --force with a link as the override: refused before any change" 1 \
    "$ovr is a symbolic link \(to $work/victim\), which is not followed: nothing was written; remove the link"
if [ "$(cat "$work/victim")" = precious ] && [ -L "$ovr" ] && cmp -s "$work/conf.first" "$a/sipc.conf"; then
    ok "... its target keeps its bytes, the link stays, sipc.conf as it was"
else
    not_ok "the override went through the link, replaced it, or sipc.conf was changed"
    ls -l "$a/state" "$work/victim" | sed 's/^/    | /'
fi
rm "$ovr"
run tt enable --mode strict --reload --force
expect "enable --mode strict --reload --force from off, the node not asked: exit 13, override kept" 13 \
    "^override written: $ovr " "^override kept: $ovr "
[ -f "$ovr" ] && [ ! -L "$ovr" ] && [ "$(stat -c %a "$ovr")" = 600 ] &&
    ok "... a new 0600 file" || not_ok "the override is no 0600 file"

# --- ... kept while its change stays, shown, removed when it goes ----------
run tt status
expect "tlstool status shows the pending override" 0 "^override: +$ovr, written "
if tt status --json | jq -e --arg p "$ovr" '.override.path == $p' >/dev/null; then
    ok "... and so does status --json (override.path)"
else
    not_ok "status --json has no override"
fi
run tt disable
expect "tlstool disable removes the pending override (its change is gone)" 0 "^override removed: $ovr "
[ ! -e "$ovr" ] && ok "... it is gone" || not_ok "state/force-strict left behind by disable"
if tt status --json | jq -e '.override == null' >/dev/null; then
    ok "... and status --json says none (override null)"
else
    not_ok "status --json still has an override"
fi

run tt enable --mode strict
run tt mode strict --force
expect "mode strict --force (TLS on, no reload) writes the override" 0 "^override written: $ovr "
run tt mode permissive
expect "tlstool mode permissive removes the pending override" 0 "^override removed: $ovr "
[ ! -e "$ovr" ] && ok "... it is gone" || not_ok "state/force-strict left behind by mode permissive"

# --- a refusal puts sipc.conf back, and the override goes with it ----------
TEXT_NODE_RELOAD=refused text_node_start "$BASE.1" writes || { shtest_done; exit 1; }
conf "$text_node_port"
cp "$a/sipc.conf" "$work/conf.before"
run tt enable --mode strict --reload --force
expect "enable --mode strict --reload --force from off, refused: override removed" 12 \
    "^override written: $ovr " "^sipc.conf set back as it was before this command" \
    "^override removed: $ovr"
[ ! -e "$ovr" ] && cmp -s "$work/conf.before" "$a/sipc.conf" &&
    ok "... no override left, sipc.conf byte for byte as before" ||
    not_ok "override left behind, or sipc.conf not put back"

# --- a sipc.conf that is a link: refused, never replaced by a file ---------
mv "$a/sipc.conf" "$a/real.conf"
ln -s real.conf "$a/sipc.conf"
run tt enable --mode strict
expect "enable with sipc.conf a symbolic link: refused, naming the target and the line to write" 3 \
    "$a/sipc.conf is a symbolic link \(to real\.conf\): it is edited only as a regular file.* \(the line: \[tls\] enable = 1\)$"
[ -L "$a/sipc.conf" ] && cmp -s "$work/conf.before" "$a/real.conf" &&
    ok "... the link and the file it points to are as they were" ||
    not_ok "the link was replaced or its target changed"
rm "$a/sipc.conf"
mv "$a/real.conf" "$a/sipc.conf"

# --- a sipc.conf over 1 MiB: named as such ---------------------------------
python3 -c 'import sys; sys.stdout.write(("# " + "x" * 98 + "\n") * 11000)' >>"$a/sipc.conf"
cp "$a/sipc.conf" "$work/conf.big"
cp "$a/security/server.tls.conf" "$work/server.before"
run tt enable --mode strict --reload
expect "a sipc.conf over 1 MiB: said so, exit 3" 3 \
    "$a/sipc.conf is larger than 1048576 bytes: too large for a sipc.conf"
cmp -s "$work/conf.big" "$a/sipc.conf" && cmp -s "$work/server.before" "$a/security/server.tls.conf" &&
    ok "... and nothing was changed" || not_ok "sipc.conf or server.tls.conf changed"
shtest_done
