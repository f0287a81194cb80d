#!/usr/bin/env bash
# test_home_node_stopped.sh - a node's home without a [node] section (its
# node takes the defaults: 127.0.0.1, the host name as id) is no client-only
# home while its sipcd is stopped: sipcctl tells its operator to start
# sipcd, never to give --node. No sipcd runs here; the homes' ports are
# 127.0.0.1's 24291-24294, checked free, and [cluster] entries of other
# nodes are on $NET.1, where nothing listens.
#   - a home whose [cluster] entry is itself by the defaults
#     (127.0.0.1 at its data port), never started
#   - a home whose [cluster] entries are all other nodes, with the state/
#     a sipcd that ran from it made (and a lock naming a dead pid)
#   - the same home without state/ is a client's: "give --node"
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
NET=${SIPC_TEST_NET:-127.1.129}
. "$(dirname "$0")/../support/shtest.sh"
need_free 127.0.0.1:{24291,24292,24293,24294}
shtest_init home_node_stopped
ports='[data]\nport = 24291\n[search]\nport = 24292\n[management]\nport = 24293\n[pipeline]\nport = 24294\n'

mkdir -p "$work/self"
printf "[cluster]\nname = hstop\nnodes = 127.0.0.1:24291, $NET.1:24291\n$ports" >"$work/self/sipc.conf"
mkdir -p "$work/ran/state"
printf "[cluster]\nname = hstop\nnodes = $NET.1:24291, $NET.2:24291\n$ports" >"$work/ran/sipc.conf"
# a pid no process has: the largest the kernel hands out, plus one
echo $(($(cat /proc/sys/kernel/pid_max) + 1)) >"$work/ran/state/sipcd.lock"
mkdir -p "$work/client"
cp "$work/ran/sipc.conf" "$work/client/sipc.conf"

for h in self ran; do
    run "$BIN/sipcctl" --home "$work/$h" --timeout 3000 status
    if [ "$RC" != 64 ] && grep -q 'no sipcd runs from' "$OUT" && grep -q 'start it' "$OUT" &&
        ! grep -q 'client-only' "$OUT"; then
        ok "$h: status with its sipcd stopped says to start it (exit $RC)"
    else
        bad "$h: status with its sipcd stopped (exit $RC)"
    fi
    run "$BIN/sipcctl" --home "$work/$h" --timeout 3000 status --cluster
    if grep -q 'no sipcd runs from' "$OUT" && ! grep -q 'client-only\|no node of \[cluster\] nodes' "$OUT"; then
        ok "$h: status --cluster names this home's node as stopped, nothing of a client's home"
    else
        bad "$h: status --cluster with its sipcd stopped (exit $RC)"
    fi
done
run "$BIN/sipcctl" --home "$work/client" --timeout 3000 status
expect "a home without [node], state/ or an entry of its own: a client's" 64 \
    'is a client-only home' 'give --node HOST'
shtest_done
