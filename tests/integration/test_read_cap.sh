#!/usr/bin/env bash
# test_read_cap.sh - a real sipcd ($BASE.1, standard ports, plaintext) with
# [limits] max_read_buffer_total = 32 MiB, and 24 peers (stall_peers.py, from
# $BASE.3) that each say hello, announce an 8 MiB frame on the data port,
# send 6 MiB of it and stall. Without the cap the node holds all of it (over
# 140 MiB). With it:
#   - the node's RSS stays under what it was + 32 MiB + 20 MiB of slack, and
#     its status shows at most 36 MiB (the cap and the waiters' read-ahead)
#     held for partial frames
#   - a normal client (sipcctl ping) is served within 3 s all along
#   - every peer beyond the four the cap holds is closed within 15 s with an
#     ERROR frame of status SIPC_EREADFULL (-30014) naming the limit; the
#     status counts them (stalled_closed_total), /metrics too, and the log
#     names the limit
# Budget: under 90 s (about 15 s). Normal build only (a real node's RSS: the
# sanitizer's allocator changes every figure); beside other tests (the RSS is
# the node's own).
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
SRC=$(cd "$(dirname "$0")" && pwd)
BASE=${SIPC_TEST_NET:-127.0.68}
. "$SRC/../support/shtest.sh"
shtest_init readcap
ctl() { "$BIN/sipcctl" --timeout 5000 --home "$work/a" "$@"; }
need_free "$BASE.1":{23000,23001,23002,23003,23009}

CAP=33554432 CONNS=24 ANNOUNCE=8388608 SEND=6291456
one_node_home "$work/a" flood # the cluster of flood_peers.py's hello
printf '[metrics]\naddress = %s.1:23009\n[limits]\nmax_read_buffer_total = %s\n' "$BASE" "$CAP" \
    >>"$work/a/sipc.conf"
sipcd_start "$work/a" || exit 1
node_pid=$sipcd_pid
ctl status --json >"$work/st0.json" 2>&1 || not_ok "status before"
rss0=$(jq -r '.node.memory_rss_bytes' "$work/st0.json")
bound=$((rss0 + CAP + 20 * 1048576))

mkfifo "$work/ctl"
python3 "$SRC/stall_peers.py" "$BASE.3" "$BASE.1" 23000 $CONNS $ANNOUNCE $SEND <"$work/ctl" \
    >"$work/peers.out" 2>&1 &
peers_pid=$!
exec 7>"$work/ctl"
ready() { grep -q '^READY' "$work/peers.out"; }
wait_for 40 ready || { not_ok "the stalling peers did not get going"; cat "$work/peers.out"; }

rss_ok() { # NAME: the node's RSS and partial frames now, within their bounds
    ctl status --json >"$work/st.json" 2>&1 || { not_ok "$1: status"; return; }
    local rss held
    rss=$(jq -r '.node.memory_rss_bytes' "$work/st.json")
    held=$(jq -r '.services[] | select(.name == "data") | .read_buffer_bytes' "$work/st.json")
    if [ "$rss" -gt 0 ] && [ "$rss" -lt "$bound" ] && [ "$held" -le $((CAP + CAP / 8)) ]; then
        ok "$1: node RSS $((rss / 1048576)) MiB under $((bound / 1048576)) MiB, $((held / 1048576)) MiB in partial frames"
    else
        not_ok "$1: node RSS $rss (bound $bound), $held bytes in partial frames (cap $CAP)"
    fi
}
served() { # NAME: a normal client is answered within 3 s
    local start rc ms
    start=$(date +%s%N)
    ctl ping "$BASE.1" >"$work/ping.out" 2>&1
    rc=$?
    ms=$((($(date +%s%N) - start) / 1000000))
    if [ "$rc" = 0 ] && [ "$ms" -lt 3000 ]; then
        ok "$1: a normal client is served in $ms ms (bound 3000)"
    else
        not_ok "$1: ping exit $rc after $ms ms"; cat "$work/ping.out"
    fi
}
rss_ok "all $CONNS peers parked"
served "all $CONNS peers parked"

refused() { [ "$(grep -c '^CLOSED .* status=-30014 message=.*max_read_buffer_total' "$work/peers.out")" -ge $((CONNS - CAP / ANNOUNCE)) ]; }
if wait_for 15 refused; then
    ok "$(grep -c '^CLOSED .* status=-30014' "$work/peers.out") of $CONNS peers closed with SIPC_EREADFULL naming max_read_buffer_total"
else
    not_ok "peers closed without the documented error"; cat "$work/peers.out"
fi
grep -m1 '^CLOSED .* status=-30014' "$work/peers.out" | sed 's/^/# /'
rss_ok "after the closes"
served "after the closes"

svc() { jq -r --arg f "$1" '.services[] | select(.name == "data") | .[$f]' "$work/st.json"; }
[ "$(svc stalled_closed_total)" -ge $((CONNS - CAP / ANNOUNCE)) ] &&
    ok "status: stalled_closed_total $(svc stalled_closed_total)" ||
    not_ok "status: stalled_closed_total $(svc stalled_closed_total)"
_metrics_show() {
    curl -s "http://$BASE.1:23009/metrics" >"$work/metrics.txt" 2>&1
    grep -Eq '^sipc_connections_stalled_closed_total\{service="data"\} [1-9]' "$work/metrics.txt" &&
        grep -Eq '^sipc_read_buffer_bytes\{service="data"\} [0-9]+' "$work/metrics.txt"
}
wait_for 5 _metrics_show && ok "metrics: stalled senders closed, bytes in partial frames" ||
    { not_ok "metrics"; grep -E "stalled|read_buffer" "$work/metrics.txt"; }
dlog=$(ls "$work/a/logs/"DataService_*.log)
grep -Eq "Connection from $BASE\.3:[0-9]+ \(node stall[0-9]+\) closed: .*SIPC_EREADFULL.*\[limits\] max_read_buffer_total" "$dlog" &&
    ok "log: the closes name the limit" || { not_ok "log"; grep "$BASE\.3" "$dlog" | head -3; }

exec 7>&-
wait "$peers_pid" 2>/dev/null
peers_pid=
kill -TERM "$node_pid"; wait "$node_pid"; rc=$?; node_pid=
[ "$rc" = 0 ] && ok "sipcd stops cleanly (exit 0)" || not_ok "sipcd exit $rc"
shtest_done
