#!/usr/bin/env bash
# test_node_down.sh - what sipcctl says when this home's own node is down
# (three real sipcd, TLS off, BASE.1-3):
#   - a node killed with SIGKILL: `sipcctl status` from its home says that
#     nothing listens at its address, that no sipcd runs from the home (its
#     lock names a pid that is gone) and to start it, where its log is
#   - `status --cluster` from that home asks the other nodes of [cluster]
#     nodes instead, says so, and shows the cluster with this node down
#   - a node stopped cleanly: the lock file is gone, said as such
#   - --node naming another node that refuses: no hint about this home
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.60}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init nodedown
need_free "$BASE".{1,2,3}:{23000,23001,23002,23003}

nodes="$BASE.1:23000, $BASE.2:23000, $BASE.3:23000"
for i in 1 2 3; do node_home "$work/n$i" down "n$i" "$BASE.$i" "$nodes"; done
sipcd_start_all "$work/n1" "$work/n2" "$work/n3" || exit 1
ctl() { local h=$1; shift; "$BIN/sipcctl" --home "$work/$h" --timeout 3000 "$@"; }

# n1's links to n3 up first: they heard its hello, so n1 names it n3 once
# it is gone
links_up() {
    [ "$(ctl n1 status --json | jq "[.links[] | select(.address | startswith(\"$BASE.3:\")) | select(.up)] | length")" -ge 3 ]
}
wait_for 15 links_up || not_ok "n1's links to n3 did not come up"
kill -KILL "${node_pids[2]}"
wait "${node_pids[2]}" 2>/dev/null
run ctl n3 status
expect "status from a killed node's home: the reason and what to do" 69 \
    "nothing listens at $BASE.3:23002, this home's node: no sipcd runs from $work/n3 \(its lock, state/sipcd.lock, names pid ${node_pids[2]}, which is not running: it was killed or crashed\): start it \(.systemctl start sipcd., or .sipcd --home $work/n3.\) and read $work/n3/logs/"

run ctl n3 status --cluster
expect "status --cluster from the killed node's home: the other nodes answer" 1 \
    "connection refused: nothing listens at $BASE.3:23002.*asking the other nodes of \[cluster\] nodes instead" \
    "the cluster as $BASE.1:23002 sees it \(this home's node, $BASE.3:23002, is down\)" \
    "^node n1 \($BASE.1\)" "^node n2 \($BASE.2\)" "^node n3 at $BASE.3:23000: UNREACHABLE" \
    "^PROBLEMS" "n3 \($BASE.3:23000\) cannot be reached: "
ctl n3 status --cluster --json 2>/dev/null >"$work/cl.json"
[ "$(jq -r .answered_by "$work/cl.json")" = "$BASE.1:23002" ] &&
    jq -r .home_node_down "$work/cl.json" | grep -q "no sipcd runs from $work/n3" &&
    ok "status --cluster --json: answered_by and home_node_down" ||
    not_ok "status --cluster --json: $(jq -c '{answered_by, home_node_down}' "$work/cl.json")"

# every other node down too: said, exit 69
kill -TERM "${node_pids[0]}" "${node_pids[1]}"
wait "${node_pids[0]}" "${node_pids[1]}" 2>/dev/null
run ctl n3 status --cluster
expect "status --cluster with every node down" 69 \
    "asking the other nodes" "management.cluster to $BASE.1:23002 failed too: connection refused" \
    "neither this home's node \($BASE.3:23002\) nor any other node of \[cluster\] nodes answered"

# stopped cleanly: the lock file is gone
run ctl n1 status
expect "status from a cleanly stopped node's home" 69 \
    "no sipcd runs from $work/n1 \(its lock, state/sipcd.lock, is not there: it stopped cleanly or never started\): start it"

# another node named with --node: nothing said about this home's sipcd
run ctl n1 --node "$BASE.2" status
expect "status --node another node that is down: no hint about this home" 69 "connection refused"
grep -q "this home's node" "$OUT" && bad "a hint about this home for another node" ||
    ok "no hint about this home's node for --node another node"
shtest_done
