#!/usr/bin/env bash
# test_client_home.sh - a client-only home (docs/operator-guide.md, 1.3: a
# sipc.conf with [cluster] name and nodes, no [node] section, no sipcd
# running from it) is no node at 127.0.0.1: one real sipcd, n1 ($BASE.1),
# and such a home, ops:
#   - `sipcctl status --cluster` asks its [cluster] nodes at once: exit 0,
#     nothing said of a node of its own ("no sipcd runs from", "is down")
#   - `status` and `search` without --node: exit 64, naming the home a
#     client-only one and --node with its [cluster] nodes
#   - with --node they work
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.116}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE".1:{23000,23001,23002,23003}
shtest_init clienthome
one_node_home "$work/n1" chome
sipcd_start_all "$work/n1" || exit 1
mkdir -p "$work/ops"
printf '[cluster]\nname = chome\nnodes = %s.1:23000\n' "$BASE" >"$work/ops/sipc.conf"
ctl() { "$BIN/sipcctl" --home "$work/ops" "$@"; }

run ctl status --cluster
expect "status --cluster from a client-only home: the cluster's nodes asked" 0 '^cluster OK'
if grep -q 'no sipcd runs from\|is down\|this home.s node' "$OUT"; then
    bad "status --cluster from a client-only home spoke of a node of its own"
else
    ok "nothing said of a node of its own"
fi
run ctl status --cluster --json
if [ "$(jq -r '.answered_by, has("home_node_down")' "$OUT" | tr '\n' ' ')" = "$BASE.1:23002 false " ]; then
    ok "--json: answered_by, no home_node_down"
else
    bad "--json: answered_by or home_node_down not as expected"
fi
for c in status "search hand"; do
    # shellcheck disable=SC2086
    run ctl $c
    expect "$c without --node from a client-only home: usage" 64 \
        "is a client-only home \\(no \\[node\\] key in its sipc.conf, its \\[cluster\\] nodes all others, and no sipcd running or ever run from it \\(no state/\\): docs/operator-guide.md, 1.3\\): it has no node of its own to ask" \
        "give --node HOST, one of its \\[cluster\\] nodes \\($BASE\\.1:23000\\)"
done
run ctl --node "$BASE.1" status
expect "status --node from a client-only home" 0 "^node n1 \\($BASE\\.1\\)"
shtest_done
