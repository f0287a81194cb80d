#!/usr/bin/env bash
# test_disable_guard.sh - `tlstool disable` asks the [cluster] nodes their
# mode before it changes anything, the guard of going off as the strict
# guard is of going strict. Three real sipcd, a b c ($BASE.1-3), one pair,
# all strict:
#   - `disable --reload` on a: refused, exit 16, b and c named with the safe
#     order; sipc.conf as it was, the node not asked to reload
#   - with --force: TLS off on a (the reload happens), the warning names
#     the strict peers, the node logs the forced request
#   - b and c permissive, then `disable --reload` on b (permissive to off,
#     peers permissive or off): no refusal
#   - b stopped, `disable` on c: b cannot be asked, so c cannot know: TLS
#     goes off, with a warning naming b and the safe order
#   - a strict again; `disable --reload` on c, whose sipc.conf already says
#     off while c runs permissive: the reload takes it off, so refused;
#     with --force it goes off; once more with c running off: no refusal
#   - a home x with a's [node] id at another address: a is its peer, not
#     itself, and runs strict: refused
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.96}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE".{1,2,3,4}:{23000,23001,23002,23003}
shtest_init disableguard
export TZ=UTC SIPC_PFX_PASSWORD="Disable-Guard-$$"
strict_trio dguard || exit 1
tt() { local h=$1; shift; "$BIN/tlstool" --home "$work/$h" "$@"; }
requested() { cat "$work/$1"/logs/*.log | grep -c 'Reload requested by'; }

cp "$work/a/sipc.conf" "$work/a.conf.before"
run tt a disable --reload
expect "disable on a strict cluster: refused" 16 \
    "TLS not disabled: 2 peers run strict and would refuse this node's plaintext links: $BASE.2 \\(node b\\), $BASE.3 \\(node c\\)\\. Nothing was changed" \
    'run `tlstool mode permissive --reload` on every node first' '--force'
if cmp -s "$work/a/sipc.conf" "$work/a.conf.before" && [ "$(requested a)" = 0 ]; then
    ok "refused: sipc.conf as it was, the node not asked to reload"
else
    bad "refused, yet sipc.conf changed or a reload was requested ($(requested a))"
fi

run tt a disable --reload --force
expect "disable --force on a strict cluster: TLS off" 0 \
    "warning: --force: TLS goes off although $BASE.2 \\(node b\\), $BASE.3 \\(node c\\) run strict" \
    'changed: TLS: strict -> off'
# grep reads the logs itself: `cat | grep -q` under pipefail fails when grep
# stops at the first match while cat still writes the next file (SIGPIPE)
if grep -q '^enable = 0' "$work/a/sipc.conf" && grep -q 'Reload requested by .*(force)' "$work/a"/logs/*.log; then
    ok "forced: [tls] enable = 0, the node logged the forced request"
else
    bad "forced: sipc.conf or the node's log not as expected"
fi

tt b mode permissive --reload >/dev/null 2>&1 && tt c mode permissive --reload >/dev/null 2>&1 ||
    not_ok "b and c to permissive"
run tt b disable --reload
expect "disable with permissive and plaintext peers: not refused" 0 \
    'changed: TLS: permissive -> off'
if grep -q 'refuse\|could not be asked' "$OUT"; then
    bad "disable with no strict peer warned or refused"
else
    ok "no strict peer: no refusal, no warning"
fi

kill -TERM "${node_pids[1]}" && wait "${node_pids[1]}" 2>/dev/null
run tt c disable
expect "disable with a peer that cannot be asked: goes on, with a warning" 0 \
    "^tlstool: warning: $BASE.2 could not be asked the mode it runs: a node that runs strict refuses this node's plaintext links" \
    'run `tlstool mode permissive --reload` on every node first' '^TLS disabled: \[tls\] enable = 0'

# a strict again (forced: b and c spoke plaintext to it while it was off)
tt a enable --mode strict --reload --force >/dev/null 2>&1 || not_ok "a back to strict"
# c's sipc.conf says off already (disable without --reload above), but c
# still runs permissive: the reload takes it off, so strict a refuses it
cp "$work/c/sipc.conf" "$work/c.conf.before"
before=$(requested c)
run tt c disable --reload
expect "disable --reload, sipc.conf already off, the node on TLS: refused" 16 \
    "TLS not disabled: 1 peer runs strict and would refuse this node's plaintext links: $BASE.1 \\(node a\\)\\. Nothing was changed"
if cmp -s "$work/c/sipc.conf" "$work/c.conf.before" && [ "$(requested c)" = "$before" ]; then
    ok "refused (sipc.conf already off): sipc.conf as it was, the node not asked to reload"
else
    bad "refused (sipc.conf already off), yet sipc.conf changed or a reload was requested"
fi
run tt c disable --reload --force
expect "disable --reload --force, sipc.conf already off: the node goes off" 0 \
    'changed: TLS: permissive -> off'
run tt c disable --reload
expect "disable --reload with the node running off: nothing to judge" 0 'already disabled'
if grep -q 'refuse\|could not be asked' "$OUT"; then
    bad "disable --reload on a node already off warned or refused"
else
    ok "the node already off: no refusal, no warning"
fi

# a home whose [node] id is a's (cloned hosts share a host name) at
# another address: a answers with that id, yet it is a peer, and strict
node_home "$work/x" dguard a "$BASE.4" "$BASE.1, $BASE.4"
tt x import "$work/cluster.pfx" >/dev/null && tt x enable --mode strict >/dev/null ||
    not_ok "tlstool import, enable on x"
cp "$work/x/sipc.conf" "$work/x.conf.before"
run tt x disable
expect "disable with a strict peer sharing this node's id: refused" 16 \
    "TLS not disabled: 1 peer runs strict .*: $BASE.1 \\(node a, the \\[node\\] id of this node too: another node with the same id"
cmp -s "$work/x/sipc.conf" "$work/x.conf.before" && ok "refused (same id): sipc.conf as it was" ||
    not_ok "refused (same id), yet sipc.conf changed"
shtest_done
