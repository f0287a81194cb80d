#!/usr/bin/env bash
# test_cli_hints.sh - what the tools tell a newcomer to do next: create's next
# step tells a new cluster from one running in plaintext; a
# permissive node's start line and status --cluster name the command that
# makes it strict;
# a get that finds nothing says it asked one node, and what asks them all.
# One node, TLS permissive, on $BASE.1.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.80}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init hints

need_free "$BASE".1:{23000,23001,23002,23003}
h=$work/n1
one_node_home "$h" hints
export SIPC_PFX_PASSWORD="Hints-Test-$$"
tt() { "$BIN/tlstool" --home "$h" "$@" >/dev/null; }
run "$BIN/tlstool" --home "$h" create -site "$work/c.pfx"
expect "create's next step: strict for a new cluster, permissive --reload for a running one" 0 \
    "then on every node of a new cluster \`tlstool enable\` \(strict\) before it starts, or, on a cluster running in plaintext, \`tlstool enable --mode permissive --reload\`"
tt import "$work/c.pfx" && tt enable --mode permissive ||
    { not_ok "tlstool set-up"; exit 1; }
sipcd_start "$h" || exit 1
at_exit "kill -TERM $sipcd_pid 2>/dev/null"
ctl() { "$BIN/sipcctl" --home "$h" --timeout 5000 "$@"; }

grep -q "Service.Start WARN Permissive TLS mode: plaintext peers are also accepted on port 23000; once every node has TLS enabled, run \`tlstool mode strict --reload\` on each$" "$h"/logs/DataService_*.log &&
    ok "the permissive start line names the command that makes the node strict" ||
    { not_ok "permissive start line:"; grep -h "Permissive" "$h"/logs/*.log | sed 's/^/    | /'; }
run ctl status --cluster
expect "status --cluster of a permissive node: MIGRATING, naming the command" 2 \
    "n1 still accepts plaintext \(mode permissive\): once every node has TLS, run \`tlstool mode strict --reload\` on it"
run ctl get nobody
expect "get of an unknown id: one node asked, search asks them all" 1 \
    "data\.get to $BASE\.1:23000: not found: no record with id 'nobody' \(get asks node n1 only; \`sipcctl search\` asks every node\)$"
shtest_done
