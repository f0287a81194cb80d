#!/usr/bin/env bash
# test_home_relative.sh - a sipcd started with a relative --home names its
# home by its absolute path in what it tells others: operators read a
# refused reload's reason in `status --cluster` on other machines, where
# "n2/sipc.conf" names nothing. A real sipcd at $BASE.1, TLS off, started
# from its home's parent as `sipcd --home ./node1`:
#   - the Node line of the log, status's logs.dir: absolute, no "./"
#   - sipc.conf broken, SIGHUP: the refusal's reason in status names
#     DIR/node1/sipc.conf:LINE, not node1/sipc.conf
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.97}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE.1":{23000,23001,23002,23003}
shtest_init homerelative
work=$(cd "$work" && pwd -P)
abs=$work/node1
one_node_home "$abs" homerel
cd "$work" || exit 1
sipcd_start ./node1 || exit 1
at_exit 'kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null'
# asked from another home: the node's own sipc.conf is the one broken
client=$work/client
mkdir -p "$client"
printf '[cluster]\nname = homerel\nnodes = %s\n' "$BASE.1" >"$client/sipc.conf"
ctl() { "$BIN/sipcctl" --home "$client" --node "$BASE.1" --timeout 10000 "$@"; }

if grep -q "Node n1, cluster homerel, home $abs: " "$abs/logs/"DataService_*.log; then
    ok "the Node line names the home by its absolute path"
else
    bad "the Node line: '$(grep -h 'Node n1' "$abs/logs/"DataService_*.log | head -1)'"
fi
run ctl status --json
if [ "$RC" = 0 ] && jq -e --arg d "$abs/logs" '.logs.dir == $d' "$OUT" >/dev/null; then
    ok "status: logs.dir is $abs/logs"
else
    bad "status: logs.dir '$(jq -r .logs.dir "$OUT" 2>/dev/null)' (exit $RC)"
fi

printf '[tls]\nmdoe = 1\n' >>"$abs/sipc.conf"
kill -HUP "$sipcd_pid"
_refused() { ctl status --json >"$OUT" 2>&1; jq -e '.reload.refused.reason != null' "$OUT" >/dev/null; }
if wait_for 15 _refused &&
    jq -e --arg f "$abs/sipc.conf:" '.reload.refused.reason | startswith($f)' "$OUT" >/dev/null; then
    ok "a refused reload's reason names $abs/sipc.conf"
else
    bad "the refusal's reason: '$(jq -r .reload.refused.reason "$OUT" 2>/dev/null)'"
fi
shtest_done
