#!/usr/bin/env bash
# test_reload_pin_guard.sh - the trust guard of a reload that replaces the
# node's own self-signed pair (its pin) while the other nodes hold the
# cluster's. Three real sipcd, a b c ($BASE.1-3), strict, one pair; on a,
# every way the tools and a shell allow to swap the pair:
#   - `tlstool import OTHER.pfx`: refused (exit 7), pointing to the rotation
#   - `tlstool import OTHER.pfx --force`, then SIGHUP and `sipcctl reload`
#     from c's home: refused by the trust guard (exit 1), b and c named
#     with their fingerprint against the new pin, the rotation and --force
#     in the fix; a still serves and keeps its links to b and c; the pair
#     put back as the refusal says (previous/node.p12)
#   - node.crt and node.p12 copied in from another home, then SIGHUP:
#     refused the same way
#   - `tlstool rotate stage` and `rotate commit --force` on a alone (b and c
#     refuse the new pair), then a reload: refused, b and c named as
#     refusing the reload's pair; rolled back with `rotate abort`
#   - `sipcctl reload --force` after `import --force`: applied, b and c
#     named in its warning, and a is cut off from them
#   - `tlstool rotate commit --force --reload`: the reload forced too
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.253}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE".{1,2,3}:{23000,23001,23002,23003}
shtest_init reloadpinguard
export TZ=UTC SIPC_PFX_PASSWORD="Reload-Pin-$$"
strict_trio pinguard || exit 1
tt() { "$BIN/tlstool" --home "$work/$1" "${@:2}"; }
# asked from c's home, which holds the cluster's pair as a runs it
ctl() { "$BIN/sipcctl" --timeout 10000 --home "$work/c" "$@"; }
mlog() { cat "$work/a/logs/"ManagementService_*.log; }
"$BIN/tlstool" create -site "$work/other.pfx" >/dev/null || not_ok "tlstool create other.pfx"
mkdir -p "$work/d" && tt d import "$work/other.pfx" >/dev/null || not_ok "other.pfx into home d"
sha() { openssl x509 -in "$work/$1/security/node.crt" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f; }
cluster_fp=$(sha b) other_fp=$(sha d)
[ ${#cluster_fp} = 64 ] && [ ${#other_fp} = 64 ] || not_ok "the two fingerprints ($cluster_fp, $other_fp)"
c16=${cluster_fp:0:16} o16=${other_fp:0:16}
cp -p "$work/a/security/node.crt" "$work/a/security/node.p12" "$work"/ || not_ok "a's pair saved"

# the refusal's words, whichever way the reload was asked
refusal=("the pair this node presents changes from SHA-256 $c16\\.\\.\\. to SHA-256 $o16\\.\\.\\."
    "lose the links of 2 \\[cluster\\] nodes that it accepts now, and keep none"
    "$BASE.2 \\(node b\\): self-signed certificate .*SHA-256 $c16\\.\\.\\."
    "$BASE.3 \\(node c\\)" 'tlstool rotate stage FILE --reload` on every node'
    'reload with --force')
# still_up WHAT: a answers c's sipcctl over a new connection, and its links
# to b and c are up
still_up() {
    run ctl --node "$BASE.1" status --json
    if [ "$RC" = 0 ] && jq -e --arg b "$BASE.2:" --arg c "$BASE.3:" \
        '[.links[] | select(.up and ((.address | startswith($b)) or (.address | startswith($c))))] | length >= 4' \
        "$OUT" >/dev/null; then
        ok "$1: a still serves, its links to b and c up"
    else
        bad "$1: a is not reachable, or its links are down"
    fi
}
# hup_refused WHAT: SIGHUP to a is refused by the trust guard, in its log
# (the line's head: a log line is cut at 1400 bytes) and in its status
refused_logged() { [ "$(mlog | grep -c 'ERROR reload refused: the pair this node presents changes')" -ge "$1" ]; }
hup_refused() {
    local n
    n=$(($(mlog | grep -c 'ERROR reload refused: the pair this node presents changes') + 1))
    kill -HUP "${node_pids[0]}"
    if wait_for 15 refused_logged "$n"; then
        ctl --node "$BASE.1" status --json | jq -r .reload.refused.reason >"$OUT"
        RC=1
        expect "$1: SIGHUP refused by the trust guard" 1 "${refusal[@]}"
    else
        not_ok "$1: no refusal in a's log after SIGHUP"; mlog | tail -n 5
    fi
}

# --- import without --force: the tool refuses it --------------------------------
run tt a import "$work/other.pfx"
expect "import of another pair, TLS on: refused, the rotation advised" 7 \
    'not imported: it is another pair' 'tlstool rotate stage .* --reload'

# --- import --force, then SIGHUP, then sipcctl reload ------------------------------
run tt a import "$work/other.pfx" --force
expect "import --force: imported, with a warning" 0 'warning: this is another pair'
hup_refused "import --force"
run ctl reload --node "$BASE.1"
expect "import --force: sipcctl reload refused (exit 1), b and c named against the new pin" 1 \
    "${refusal[@]}"
run ctl --node "$BASE.1" status --json
[ "$(jq -r .reload.refused.cause "$OUT")" = trust_guard ] && ok "status: reload.refused, cause trust_guard" ||
    bad "status after the refused reload: $(jq -c .reload "$OUT")"
still_up "import --force refused"
# the refusal's own fix: the pair the import replaced, imported again
run tt a import "$work/a/security/previous/node.p12" --force
expect "the pair put back from previous/node.p12" 0 'imported '
run ctl reload --node "$BASE.1"
expect "the pair put back: the reload changes no pair" 0 'nothing changed|reloaded'
grep -q 'key pair: ' "$OUT" && bad "the reload after the pair put back changes the pair"

# --- node.crt and node.p12 copied in by hand, then SIGHUP -------------------------
cp "$work/d/security/node.crt" "$work/d/security/node.p12" "$work/a/security/"
hup_refused "files copied in"
still_up "files copied in, refused"
cp -p "$work/node.crt" "$work/node.p12" "$work/a/security/"

# --- a commits a pair b and c have not staged, forced past tlstool's guard ----------
run tt a rotate stage "$work/other.pfx" --reload
expect "rotate stage on a alone" 0 'staged '
run tt a rotate commit
expect "rotate commit: refused by tlstool's guard" 18 'refuse the staged pair'
run tt a rotate commit --force
expect "rotate commit --force: committed" 0 'committed: '
run ctl reload --node "$BASE.1"
expect "the forced commit: the reload refused, b and c refusing the reload's pair" 1 \
    "the pair this node presents changes from SHA-256 $c16\\.\\.\\. to SHA-256 $o16\\.\\.\\." \
    "$BASE.2 \\(node b\\): it presents SHA-256 $c16\\.\\.\\., it refuses the reload's pair \\(SHA-256 $o16\\.\\.\\.\\)" \
    "$BASE.3 \\(node c\\): it presents SHA-256 $c16" 'reload with --force'
still_up "forced commit refused"
run tt a rotate abort --reload
expect "rotate abort (rolled back): the node presents the pair it runs" 0 'rolled back'
run tt a rotate abort --reload
expect "rotate abort again: the staged pair dropped" 0 'aborted: '

# --- --force applies it, and cuts a off ---------------------------------------------
run tt a import "$work/other.pfx" --force
run ctl reload --node "$BASE.1" --force
expect "sipcctl reload --force: applied, b and c named in the warning" 0 'key pair: ' \
    "warning: --force: this reload cuts this node off from 2 \\[cluster\\] nodes: .*$BASE.2 \\(node b\\).*$BASE.3 \\(node c\\)"
run ctl --node "$BASE.1" status
expect "after --force a presents the other pair: c refuses it" 77 "SHA-256 $o16"

# --- a forced commit with --reload forces the reload too ----------------------------
run tt a import "$work/node.p12" --force
kill -HUP "${node_pids[0]}"
back() { ctl --node "$BASE.1" status >/dev/null 2>&1; }
wait_for 15 back || not_ok "a back on the cluster's pair"
run tt a rotate stage "$work/other.pfx" --reload
run tt a rotate commit --force --reload
expect "rotate commit --force --reload: the reload forced past b and c" 0 'committed: ' \
    "--force: this reload cuts this node off from 2 \\[cluster\\] nodes"
shtest_done
