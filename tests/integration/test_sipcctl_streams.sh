#!/usr/bin/env bash
# test_sipcctl_streams.sh - sipcctl's stdout holds only the answer, what it
# says about the connection goes to stderr (as curl and gh do): `info | jq`
# parses, `ping` and `call` give their replies on stdout and "Connected to"
# on stderr. One plaintext node on $BASE.1.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.80}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init streams

need_free "$BASE".1:{23000,23001,23002,23003}
h=$work/n1
one_node_home "$h" streams
sipcd_start "$h" || exit 1
at_exit "kill -TERM $sipcd_pid 2>/dev/null"

ctl() { "$BIN/sipcctl" --home "$h" --timeout 5000 "$@" >"$work/o" 2>"$work/e"; RC=$?; }
ctl info
if [ "$RC" = 0 ] && jq -e '.node == "n1"' "$work/o" >/dev/null; then
    ok "info: stdout is the node's JSON alone (jq reads it)"
else
    not_ok "info: exit $RC, stdout not JSON:"; shtest_show "$work/o"
fi
grep -q "^Connected to $BASE.1:23000 (node n1, cluster streams) over plaintext" "$work/e" &&
    ok "info: 'Connected to' on stderr" || { not_ok "info: no 'Connected to' on stderr"; shtest_show "$work/e"; }
ctl ping
if [ "$RC" = 0 ] && grep -q "^Reply from " "$work/o" && ! grep -q "Connected to" "$work/o" &&
    grep -q "^Connected to .* over plaintext" "$work/e"; then
    ok "ping: replies on stdout, 'Connected to' on stderr"
else
    not_ok "ping: exit $RC"; shtest_show "$work/o"; shtest_show "$work/e"
fi
ctl call "$BASE.1" sys info
if [ "$RC" = 0 ] && jq -e '.node == "n1"' "$work/o" >/dev/null && grep -q "^Connected to " "$work/e"; then
    ok "call: the payload alone on stdout, 'Connected to' on stderr"
else
    not_ok "call: exit $RC"; shtest_show "$work/o"; shtest_show "$work/e"
fi
shtest_done
