#!/usr/bin/env bash
# test_reload_no_answer.sh - `sipcctl reload` sent to a node that never
# answers it (a fake node, text_node.py with TEXT_NODE_RELOAD=silent, on
# $BASE.2 at the standard management port): the node may have reloaded all
# the same, so it is exit 75 (EX_TEMPFAIL), as an ack never answered, not 69
# ("unreachable"), and the message says so and what shows the truth:
#   - --node: exit 75 and the words "no answer within the deadline ... may
#     have applied it; `sipcctl status --node ...` shows ..."
#   - --json: the entry's result is no_answer, exit 75
#   - --cluster (the fake node the home's one [cluster] node): exit 75
# and `tlstool ... --reload` on the fake node's own home (its [node] address
# $BASE.2): exit 12, as a node's refusal or missing answer, not 13 ("could
# not be asked"), saying the node may have applied it (after tlstool's 10 s).
# Then the fake node closes the connection instead of answering
# (TEXT_NODE_RELOAD=drop): the same, "the connection was lost before the
# answer" (sipcctl 75) and "did not answer" (tlstool 12).
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.128}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE.2":23002
shtest_init reload_no_answer

TEXT_NODE_RELOAD=silent text_node_start "$BASE.2" quiet 23002 || { shtest_done; exit 1; }
mkdir -p "$work/h"
printf '[node]\nid = h\naddress = %s.1\n[cluster]\nname = quiet\nnodes = %s.2\n' "$BASE" "$BASE" \
    >"$work/h/sipc.conf"
ctl() { "$BIN/sipcctl" --home "$work/h" --timeout 1500 "$@"; }

run ctl --node "$BASE.2:23002" reload
expect "reload not answered in time: exit 75, the node may have reloaded" 75 \
    "management\.reload to $BASE\.2:23002: no answer within the deadline \(--timeout 1500 ms\): the node may have applied it; \`sipcctl status --node $BASE\.2:23002\` shows what it runs"

ctl --node "$BASE.2:23002" --json reload >"$work/j.out" 2>"$work/j.err"
rc=$?
if [ "$rc" = 75 ] && jq -e '.[0].result == "no_answer"' "$work/j.out" >/dev/null; then
    ok "reload --json not answered: result no_answer, exit 75"
else
    not_ok "reload --json not answered: exit $rc"; shtest_show "$work/j.out"; shtest_show "$work/j.err"
fi

run ctl reload --cluster
expect "reload --cluster, its node not answering: exit 75" 75 "management\.reload to $BASE\.2:23002: no answer"
mkdir -p "$work/n2"
printf '[node]\nid = n2\naddress = %s.2\n[cluster]\nname = quiet\n' "$BASE" >"$work/n2/sipc.conf"
run "$BIN/tlstool" --home "$work/n2" disable --reload
expect "tlstool --reload not answered in time: exit 12, the node may have reloaded" 12 \
    "the node at $BASE\.2:23002 took the request and did not answer within 10 s: it may have applied the reload or not; \`tlstool status\` shows what it runs"
text_node_stop

TEXT_NODE_RELOAD=drop text_node_start "$BASE.2" quiet 23002 || { shtest_done; exit 1; }
run ctl --node "$BASE.2:23002" reload
expect "reload whose connection is lost before the answer: exit 75, the node may have reloaded" 75 \
    "management\.reload to $BASE\.2:23002: the connection was lost before the answer \(.*\): the node may have applied it"
run "$BIN/tlstool" --home "$work/n2" disable --reload
expect "tlstool --reload whose connection is lost before the answer: exit 12" 12 \
    "the node at $BASE\.2:23002 took the request and did not answer \(.*\): it may have applied the reload or not"
text_node_stop
shtest_done
