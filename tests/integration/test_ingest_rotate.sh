#!/usr/bin/env bash
# test_ingest_rotate.sh - a running `sipcctl ingest -` follows a key pair
# rotation of its own home as it follows a TLS mode change
# (docs/operator-guide.md 1.8): one node, n1 (TLS strict), a client-only
# home ops with the pair, and an ingest from ops fed slowly from a FIFO,
# quiet from before the node's commit to 3 s after its finish. The rotation
# (stage on both, commit n1 --reload, commit ops, finish n1 --reload) leaves
# the ingest dialing with a pair that no longer meets n1's; ops committed
# meanwhile, so the ingest takes its home's new pair, says so, and ends with
# exit 0, every record acknowledged; ops finishes after it, and each step
# there says ops is client-only, not that TLS is off on a node. Either side may refuse
# the other:
#   - an ingest started before the rotation trusts the old pair alone and
#     refuses the new one n1 presents from its commit (SIPC_EPEERAUTH);
#   - one started once both staged trusts both, and n1, finished, refuses
#     the old one the ingest presents (SIPC_ECERTREFUSED to the ingest).
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.116}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE".{2,3}:{23000,23001,23002,23003}
shtest_init ingestrotate
export SIPC_PFX_PASSWORD="Ingest-Rotate-$$"
N=100
"$BIN/tlstool" create -site "$work/cluster.p12" >/dev/null &&
    "$BIN/tlstool" create -site "$work/new.p12" >/dev/null ||
    { echo "cannot create the pairs"; exit 1; }

# rotation_followed NAME ADDRESS STAGED_FIRST REFUSER_CODE: the case in
# $work/NAME, n1 at ADDRESS; the ingest starts after both staged when
# STAGED_FIRST is 1; n1's log names REFUSER_CODE, n1's side of the refused
# handshake
rotation_followed() {
    local d=$work/$1 addr=$2 staged_first=$3 code=$4
    node_home "$d/n1" irot n1 "$addr" "$addr"
    mkdir -p "$d/ops"
    printf '[cluster]\nname = irot\nnodes = %s:23000\n' "$addr" >"$d/ops/sipc.conf"
    "$BIN/tlstool" --home "$d/n1" import "$work/cluster.p12" >/dev/null &&
        "$BIN/tlstool" --home "$d/n1" enable --mode strict >/dev/null &&
        "$BIN/tlstool" --home "$d/ops" import "$work/cluster.p12" >/dev/null ||
        { not_ok "$1: cannot set up TLS"; return; }
    sipcd_start_all "$d/n1" || { not_ok "$1: n1 does not start"; return; }
    tt() { local h=$1; shift; "$BIN/tlstool" --home "$d/$h" "$@" >>"$d/rotate.$h.out" 2>&1 || not_ok "tlstool $h $*"; }
    if [ "$staged_first" = 1 ]; then
        tt n1 rotate stage "$work/new.p12" --reload
        tt ops rotate stage "$work/new.p12"
    fi
    mkfifo "$d/in"
    "$BIN/sipcctl" --home "$d/ops" --node "$addr" --timeout 5000 ingest - --json <"$d/in" \
        >"$d/ingest.json" 2>"$d/ingest.err" &
    local ingest_pid=$!
    (
        exec 3>"$d/in"
        for i in $(seq 1 $N); do
            printf '{"id":"r-%04d","timestamp_ms":%d,"body":"record %d"}\n' "$i" \
                $((1764000000000 + i)) "$i" >&3 || exit 0
            sleep 0.05
            if [ "$i" = 40 ]; then
                for _ in $(seq 1 600); do [ -e "$d/rotated" ] && break; sleep 0.1; done
                sleep 3
            fi
        done
    ) 2>/dev/null &
    local feed_pid=$!
    sleep 2.5
    if [ "$staged_first" = 0 ]; then
        tt n1 rotate stage "$work/new.p12" --reload
        tt ops rotate stage "$work/new.p12"
    fi
    tt n1 rotate commit --reload
    tt ops rotate commit
    tt n1 rotate finish --reload
    touch "$d/rotated"
    wait "$feed_pid" 2>/dev/null
    wait "$ingest_pid"
    local rc=$?
    if [ "$rc" = 0 ] && [ "$(jq .acknowledged "$d/ingest.json")" = $N ] &&
        [ "$(jq .home_changes_followed "$d/ingest.json")" = 1 ] &&
        grep -q "^sipcctl: this home's TLS setup ($d/ops) changed during this run (key pair sha256 [0-9a-f]\{16\}\.\.\. -> [0-9a-f]\{16\}\.\.\.): sipcctl follows it" "$d/ingest.err"; then
        ok "$1: followed, all $N acknowledged"
    else
        not_ok "$1: exit $rc, $(jq -c '{acknowledged, home_changes_followed}' "$d/ingest.json" 2>&1)"
        shtest_show "$d/ingest.err"
        shtest_show "$d/rotate.n1.out"
        shtest_show "$d/rotate.ops.out"
    fi
    # ops finishes too, once the ingest is done: each of its steps says it
    # is a client-only home, none speaks of a node there
    tt ops rotate finish
    if [ "$(grep -c "^this home is client-only (no \[node\] key in its sipc.conf, its \[cluster\] nodes all others, and no sipcd running or ever run from it (no state/): docs/operator-guide.md, 1.3): its clients (sipcctl, programs linking sipc) use it from now on$" "$d/rotate.ops.out")" = 3 ] &&
        ! grep -q "TLS is not enabled on this node\|running services pick the change up" "$d/rotate.ops.out"; then
        ok "$1: stage, commit and finish in the client-only home say so, no node's TLS or reload"
    else
        not_ok "$1: the client-only home's steps"
        shtest_show "$d/rotate.ops.out"
    fi
    # the case is the one named: n1's side of the refusal
    if grep -qs "Connection from .* closed: .*($code, auth class)" "$d"/n1/logs/*.log; then
        ok "$1: n1 logged $code"
    else
        not_ok "$1: n1 did not log $code"
        grep -hs "auth class" "$d"/n1/logs/*.log | tail -n 5
    fi
}

rotation_followed "started before the rotation: the ingest refuses n1's new pair" "$BASE.2" 0 \
    SIPC_ECERTREFUSED
rotation_followed "started once both staged: n1, finished, refuses the ingest's old pair" \
    "$BASE.3" 1 SIPC_EPEERAUTH
shtest_done
