#!/usr/bin/env bash
# test_reload_offguard.sh - the node's own guard of going off, the mirror of
# its strict guard: a reload that takes TLS off while another node runs
# strict is refused, however sipc.conf came to say off. Three real sipcd,
# a b c ($BASE.1-3), one pair, all strict; a checks a refused reload every
# 3 s:
#   - `enable = 0` written by hand in a's sipc.conf, then SIGHUP: refused by
#     the guard of going off, b and c named; a still strict; the status
#     has reload.refused with cause off_guard, `status --cluster` a
#     reload_refused problem worded for that guard
#   - `tlstool disable --reload` on a: tlstool's own check refuses before
#     it asks, exit 16 (not 12: nothing was written, the node not asked)
#   - a's [cluster] nodes cut to a alone by hand: tlstool sees no strict
#     peer and asks; the node (which still knows b and c) refuses: exit 12
#   - b permissive: the check keeps the refusal (c still strict); c
#     permissive too: reload.pending, worded for the guard of going off;
#     `tlstool disable --reload` on a then takes it off
#   - b strict again, `enable = 0` by hand on c, `tlstool disable --reload
#     --force`: the node goes off through the guard, and logs it as forced
#   - b, strict, goes off by hand and `tlstool disable --reload`: its TLS
#     only links find a and c answering in plaintext: off, not unknown
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.104}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE".{1,2,3}:{23000,23001,23002,23003}
shtest_init offguard
export TZ=UTC SIPC_PFX_PASSWORD="Off-Guard-$$" SIPCD_RELOAD_RECHECK_MS=3000
strict_trio offguard || exit 1
tt() { local h=$1; shift; "$BIN/tlstool" --home "$work/$h" "$@"; }
ctl() { "$BIN/sipcctl" --timeout 10000 "$@"; }
requested() { cat "$work/$1"/logs/ManagementService_*.log | grep -c 'Reload requested by'; }
# a's status asked from b's home (a's own home says TLS off once edited)
st_a() { ctl --home "$work/b" --node "$BASE.1" status --json >"$OUT" 2>&1; }
mlog() { cat "$work/$1"/logs/ManagementService_*.log; }

# --- enable = 0 by hand, SIGHUP ----------------------------------------------
cp "$work/a/sipc.conf" "$work/a.conf.on"
sed -i 's/^enable = 1$/enable = 0/' "$work/a/sipc.conf"
grep -q '^enable = 0$' "$work/a/sipc.conf" || not_ok "the hand edit"
cp "$work/a/sipc.conf" "$work/a.conf.off"
kill -HUP "${node_pids[0]}"
refused_hup() { mlog a | grep -q "ERROR reload refused: going off would cut this node off from peers that run strict: $BASE.2 (node b), $BASE.3 (node c); they refuse its plaintext links"; }
if wait_for 10 refused_hup; then
    ok "SIGHUP with enable = 0 by hand: refused, b and c named"
else
    not_ok "no refusal of the hand edit in a's log"; mlog a | tail -n 5 | sed 's/^/    | /'
fi
st_a
if [ "$(jq -r .reload.refused.cause "$OUT")" = off_guard ] && [ "$(jq -r .tls.mode "$OUT")" = strict ] &&
    jq -r .reload.refused.reason "$OUT" | grep -q 'reload with --force, which turns TLS off anyway'; then
    ok "status: reload.refused with cause off_guard; a still strict"
else
    bad "status after the refused hand edit: $(jq -c '{reload, tls: .tls.mode}' "$OUT")"
fi
run ctl --home "$work/b" status --cluster
expect "status --cluster: a reload_refused problem by the guard of going off" 1 \
    "its last reload was refused at .* by its guard of going off: going off would cut"

# --- tlstool disable --reload: refused before anything (exit 16) --------------
before=$(requested a)
run tt a disable --reload
expect "disable --reload with strict peers: refused by tlstool, exit 16" 16 \
    "TLS not disabled: 2 peers run strict .*Nothing was changed"
if cmp -s "$work/a/sipc.conf" "$work/a.conf.off" && [ "$(requested a)" = "$before" ]; then
    ok "exit 16: sipc.conf as it was, the node not asked"
else
    bad "exit 16, yet sipc.conf changed or the node was asked"
fi

# --- tlstool sees no strict peer, the node does: exit 12 ---------------------
sed -i "s/^nodes = .*/nodes = $BASE.1/" "$work/a/sipc.conf"
run tt a disable --reload
expect "disable --reload, the node's own guard refuses: exit 12" 12 \
    "going off would cut this node off from peers that run strict: $BASE.2 \\(node b\\), $BASE.3 \\(node c\\)"
cp "$work/a.conf.off" "$work/a/sipc.conf"

# --- the peers go permissive: the check lets it through ----------------------
tt b mode permissive --reload >/dev/null 2>&1 || not_ok "b to permissive"
stands_c() { st_a && jq -r .reload.refused.reason "$OUT" | grep -q "runs strict: $BASE.3 (node c);"; }
wait_for 15 stands_c && ok "b permissive, c strict: the refusal stands, c alone named" ||
    bad "refusal with c alone: $(jq -c .reload "$OUT")"
tt c mode permissive --reload >/dev/null 2>&1 || not_ok "c to permissive"
pending() { st_a && [ "$(jq -r .reload.pending.cause "$OUT")" = off_guard ] && [ "$(jq -r .reload.refused "$OUT")" = null ]; }
reload_settles "b and c permissive: reload.pending (cause off_guard)" pending \
    "INFO The guard of going off no longer holds back the reload refused at" "$work/a"
run ctl --home "$work/b" --node "$BASE.1" status
expect "sipcctl status words the pending reload for that guard" 0 \
    "reload pending: the guard of going off no longer holds back the reload refused at"
run tt a disable --reload
expect "disable --reload once no peer runs strict: off" 0 'changed: TLS: strict -> off'

# --- --force through the node's guard ----------------------------------------
tt b mode strict --reload --force >/dev/null 2>&1 || not_ok "b strict again"
sed -i 's/^enable = 1$/enable = 0/' "$work/c/sipc.conf"
run tt c disable --reload --force
expect "disable --reload --force, sipc.conf off by hand, b strict: off" 0 \
    "warning: --force: TLS goes off although $BASE.2 \\(node b\\) runs strict" 'changed: TLS: permissive -> off'
mlog c | grep -q "WARN Reload forced (--force): going off cuts this node off from the nodes that run strict: $BASE.2 (node b)" &&
    ok "c's log: the forced reload names b" || not_ok "no forced line in c's log"

# --- the last strict node goes off: its links, TLS only, find the others
# answering in plaintext, which is off, not a node it could not ask ---------
# (once b's links from before it went strict, plaintext to a and c, are
# replaced: over those, a and c would still answer)
replaced_b() { mlog b | awk '/Reload done/ { r = 0 } /Every connection made before the reload has been replaced/ { r = 1 } END { exit !r }'; }
wait_for 15 replaced_b || not_ok "b's connections from before its reload not replaced"
sed -i 's/^enable = 1$/enable = 0/' "$work/b/sipc.conf"
run tt b disable --reload
expect "the last strict node goes off, the others off: no refusal" 0 'changed: TLS: strict -> off'
if grep -q 'could not be asked' "$OUT" || mlog b | grep -q 'could not be asked'; then
    bad "nodes that answer in plaintext taken for nodes not asked"
else
    ok "nodes answering in plaintext count as off, not as not asked"
fi
shtest_done
