#!/usr/bin/env bash
# test_tlstool_stopped.sh - `tlstool status` of a home whose node is not
# running asks no one: with the home's lock free it makes no connection at
# all (a listener on the node's management port, $BASE.2:23002, counts
# them), after a clean stop and after a SIGKILL that left the lock file
# naming a dead pid; the running line says "no node". A node that holds the
# lock but does not answer (SIGSTOP) is asked with a bounded wait, and the
# line says how long nothing came and that the process may be stopped.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.70}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE.2":{23000,23001,23002,23003}
shtest_init tlstool_stopped
home=$work/n2
node_home "$home" stopped n2 "$BASE.2" "$BASE.2"
pair_home "$home" || exit 1
"$BIN/tlstool" --home "$home" enable >/dev/null || { not_ok "tlstool enable"; exit 1; }
tt() { "$BIN/tlstool" --home "$home" "$@"; }
node_pid=
at_exit 'if [ -n "$node_pid" ]; then kill -CONT "$node_pid"; kill -TERM "$node_pid"; fi 2>/dev/null; if [ -n "${lpid:-}" ]; then kill "$lpid"; fi 2>/dev/null'

# a listener where the node's management port was: every connection to it
# is a line in $work/accepts
listen() {
    : >"$work/accepts"
    python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 23002)); s.listen(16)
open(sys.argv[2] + ".ready", "w").close()
while True:
    c, a = s.accept()
    with open(sys.argv[2], "a") as f: f.write("%s:%d\n" % a)
' "$BASE.2" "$work/accepts" &
    lpid=$!
    wait_for 5 test -e "$work/accepts.ready" || not_ok "the listener on $BASE.2:23002"
}
unlisten() { kill "$lpid" 2>/dev/null; wait "$lpid" 2>/dev/null; lpid=; rm -f "$work/accepts.ready"; }
# CASE: tlstool status (twice, as the harness's tls.sh asks), no connection
asks_no_one() {
    tt status >"$work/st.txt" 2>&1
    local rc=$?
    tt status --json >"$work/st.json" 2>&1
    if [ "$rc" = 0 ] && [ ! -s "$work/accepts" ] &&
        grep -q "^running: *no node: no sipcd runs from this home (its lock, .*state/sipcd.lock, is free)" "$work/st.txt" &&
        jq -e '.running.state == "not_running"' "$work/st.json" >/dev/null; then
        ok "$1: tlstool status says no node and connects to nothing"
    else
        not_ok "$1: tlstool status (exit $rc), connections: $(tr '\n' ' ' <"$work/accepts")"
        shtest_show "$work/st.txt"
    fi
}

sipcd_start "$home" || exit 1
node_pid=$sipcd_pid
tt status >"$work/run.txt" 2>&1
grep -q "^running: *strict, as configured (sipcd pid $node_pid)" "$work/run.txt" &&
    ok "running: asked of the node" || { not_ok "status with the node running"; shtest_show "$work/run.txt"; }

# a node that holds the lock but answers nothing: a bounded wait, said
kill -STOP "$node_pid"
tt status >"$work/stop.txt" 2>&1
rc=$?
kill -CONT "$node_pid"
[ "$rc" = 0 ] && grep -q "^running: *unknown: sipcd pid $node_pid runs from this home but could not be asked at $BASE.2:23002: .*nothing received from it for [0-9]* ms: the process there may be stopped" "$work/stop.txt" &&
    ok "a SIGSTOPped node: asked with a bounded wait, the line says nothing came and why" ||
    { not_ok "status of a SIGSTOPped node (exit $rc)"; shtest_show "$work/stop.txt"; }

# a clean stop: the lock is free and its file removed
kill -TERM "$node_pid"
wait "$node_pid"
node_pid=
listen
asks_no_one "after a clean stop"
unlisten

# a SIGKILL: the lock file stays, naming a pid that no longer runs
sipcd_start "$home" || exit 1
node_pid=$sipcd_pid
kill -KILL "$node_pid"
wait "$node_pid" 2>/dev/null
dead=$node_pid
node_pid=
[ "$(cat "$home/state/sipcd.lock" 2>/dev/null)" = "$dead" ] || not_ok "state/sipcd.lock does not name the killed pid $dead"
listen
asks_no_one "after a SIGKILL (the lock file names a dead pid)"
unlisten
shtest_done
