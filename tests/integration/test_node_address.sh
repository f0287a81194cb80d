#!/usr/bin/env bash
# test_node_address.sh - what a node's [node] address means for its peers,
# and two nodes on one address, with real sipcd (TLS off):
#   - n1 ($BASE.1) and n2 ($BASE.2), standard ports: n2's links to n1 (its
#     management link, its pipeline) leave from n2's address, so n1 lists its
#     plaintext peer n2 at $BASE.2 (not at 127.0.0.1, the kernel's pick for
#     every loopback address); a sipcctl, which does not bind, stays 127.0.0.1
#   - n3 and n4 share $BASE.3, data ports 33780 and 33790, their other
#     services at the same offsets: `status --cluster` from n3's home asks
#     both (two node names answer, each with its own nodes entry as its
#     address, n3's reached "self") and calls the cluster OK; with n4 stopped,
#     n4 is unreachable and the status exits non-zero
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.78}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init nodeaddr
ctl() { "$BIN/sipcctl" --timeout 3000 "$@"; }
need_free "$BASE".{1,2}:{23000,23001,23002,23003} "$BASE".3:{33780,33781,33782,33783,33790,33791,33792,33793}

conf() { # home id host [data-port]
    mkdir -p "$work/$1"
    printf '[node]\nid = %s\naddress = %s.%s\n[cluster]\nname = %s\nnodes = %s\n' "$2" "$BASE" "$3" \
        "$([ -n "${4:-}" ] && echo shared || echo pair)" "$nodes" >"$work/$1/sipc.conf"
    if [ -n "${4:-}" ]; then
        printf '[data]\nport = %s\n[search]\nport = %s\n[management]\nport = %s\n[pipeline]\nport = %s\n' \
            "$4" $(($4 + 1)) $(($4 + 2)) $(($4 + 3)) >>"$work/$1/sipc.conf"
    fi
}
start() { # home
    sipcd_start "$work/$1" || exit 1
    eval "${1}_pid=$sipcd_pid"
}

# --- outgoing links leave from the node's address -------------------------
nodes="$BASE.1, $BASE.2"
conf n1 n1 1
conf n2 n2 2
start n1
start n2
# n1's management service's plaintext peers: ADDRESS NODE per line
mgmt_peers() {
    ctl --home "$work/n1" status --json 2>/dev/null |
        jq -r '.services[] | select(.name | test("^[Mm]anagement")) | .plaintext_peers[] | "\(.address) \(.node)"'
}
n2_linked() { mgmt_peers | grep -q " n2$"; }
if wait_for 10 n2_linked; then
    peer=$(mgmt_peers | grep " n2$" | head -n1)
    case $peer in
    "$BASE.2:"*) ok "n1 sees n2's management link from n2's address: $peer" ;;
    *) not_ok "n1 sees n2's management link from $peer, want $BASE.2:PORT" ;;
    esac
else
    not_ok "n2's management link never reached n1"
    ctl --home "$work/n1" status --json | jq '.services'
fi
data_peers() {
    ctl --home "$work/n1" status --json 2>/dev/null |
        jq -r '.services[] | select(.name | test("^[Dd]ata")) | .plaintext_peers[] | "\(.address) \(.node)"'
}
n2_data() { data_peers | grep -q " n2$"; }
if wait_for 10 n2_data && ! data_peers | grep " n2$" | grep -qv "^$BASE.2:"; then
    ok "n2's pipeline links reach n1 from n2's address"
else
    not_ok "n2's pipeline links: $(data_peers | tr '\n' ';')"
fi
# a client program does not bind: sipcctl from n2's home is still 127.0.0.1
ctl --home "$work/n2" status --node "$BASE.1" --json >"$work/self.json" 2>&1
jq -r '.services[] | select(.name | test("^[Mm]anagement")) | .plaintext_peers[] | "\(.address) \(.node)"' \
    "$work/self.json" | grep "sipcctl:" | grep -q "^127.0.0.1:" &&
    ok "sipcctl does not bind to its home's [node] address" ||
    { not_ok "sipcctl's own session"; shtest_show "$work/self.json"; }
kill -TERM "$n1_pid" "$n2_pid"
wait "$n1_pid" "$n2_pid"

# --- two nodes on one address, different data ports -----------------------
nodes="$BASE.3:33780, $BASE.3:33790"
conf n3 n3 3 33780
conf n4 n4 3 33790
start n3
start n4
cluster() { # FILE: the cluster status as JSON in FILE, its exit code in RC
    ctl --home "$work/n3" status --cluster --json >"$1" 2>"$1.err"
    RC=$?
}
both_ok() { # (n4 just started: n3's links to it may still be coming up)
    cluster "$work/c1.json"
    names=$(jq -r '[.nodes[].node.id] | sort | join(",")' "$work/c1.json" 2>/dev/null)
    [ "$RC" = 0 ] && [ "$names" = "n3,n4" ]
}
if sc_wait 10 both_ok; then
    ok "status --cluster asks both nodes on $BASE.3 (exit 0): $names"
else
    not_ok "status --cluster on one host: exit $RC, nodes '$names', want n3,n4"
    shtest_show "$work/c1.json.err"
    jq -c '.nodes, .problems' "$work/c1.json"
fi
# the asked node is named by its own nodes entry, as the others are: the
# two differ by their ports
jq -e --arg a "$BASE.3" '[.nodes[] | [.node.id, .address, .reached_over]]
    == [["n3", "\($a):33780", "self"], ["n4", "\($a):33790", "plaintext"]]' "$work/c1.json" >/dev/null &&
    ok "the asked node's address is its own nodes entry ($BASE.3:33780), reached_over \"self\"" ||
    { not_ok "the nodes' addresses in the cluster status"; jq -c '[.nodes[] | [.node.id, .address, .reached_over]]' "$work/c1.json"; }
kill -TERM "$n4_pid"
wait "$n4_pid"
cluster "$work/c2.json"
down=$(jq -r --arg a "$BASE.3:33790" '[.nodes[] | select(.address == $a)][0].reachable' "$work/c2.json" 2>/dev/null)
if [ "$RC" != 0 ] && [ "$down" = false ] &&
    jq -e --arg a "$BASE.3:33790" '[.problems[] | select(.kind == "unreachable" and .address == $a)] | length == 1' "$work/c2.json" >/dev/null; then
    ok "with n4 stopped it is unreachable (exit $RC), not healthy"
else
    not_ok "n4 stopped: exit $RC, reachable '$down'"
    jq -c '.nodes, .problems' "$work/c2.json"
fi
run ctl --home "$work/n3" status --cluster
expect "the text names n4's address as not reached (exit 1: a problem)" 1 "$BASE.3:33790.*cannot be reached"
kill -TERM "$n3_pid"
wait "$n3_pid"
shtest_done
