#!/usr/bin/env bash
# test_flood.sh - a real sipcd ($BASE.1, standard ports, TLS permissive) under
# thousands of hostile connections from flood_peers.py:
#   3,000 silent TCP connections and 200 plaintext peers parking a 60,000-byte
#   partial frame before any hello (data port), 2,100 plaintext peers that say
#   hello and then nothing (search port, max_connections 2000), and 8 peers
#   that send 64 KiB sys.echo requests and never read the answers (data port,
#   max_write_queue 256 KiB, max_write_queue_total 1 MiB).
# While they are all open:
#   - a legitimate mTLS client (sipcctl ping over TLS) is served within 3 s
#   - the node's RSS stays under 200 MiB
#   - the status shows evicted (data), refused (search) and the slowest reader
#     closed (data), and the queued output under the cap
#   - /metrics ([metrics] on $BASE.1:23009) has the same figures
#   - the log says each kind of refusal at most once per peer per 10 s, and
#     counts the lines held back (in the next such line, or in a report of
#     their own once the 10 s are over: one line per 10 s either way)
#   - 11 s later a second wave of 500 silent connections: still served, and
#     the evictions held back are counted in the log
# Budget: under 60 s (about 15 s). RUN_SERIAL, normal build only (thousands of descriptors).
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
SRC=$(cd "$(dirname "$0")" && pwd)
BASE=${SIPC_TEST_NET:-127.0.98}
. "$SRC/../support/shtest.sh"
shtest_init flood
ctl() { "$BIN/sipcctl" --timeout 5000 --home "$work/a" "$@"; }
need_free "$BASE.1":{23000,23001,23002,23003,23009}
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge 12000 ] || { echo "needs 12,000 descriptors, the hard limit is $(ulimit -Hn)"; exit 1; }

export SIPC_PFX_PASSWORD="Flood-Test-$$"
mkdir -p "$work/a"
cat >"$work/a/sipc.conf" <<EOF
[node]
id = flood-a
address = $BASE.1
[cluster]
name = flood
[metrics]
address = $BASE.1:23009
[limits]
max_connections = 2000
max_connections_per_host = 2000 ; each kind of peer comes from one address: the service's limits are tested
max_opening = 500
max_write_queue = 262144
max_write_queue_total = 1048576
EOF
tt() { "$BIN/tlstool" --home "$work/a" "$@"; }
tt create -site "$work/cluster.pfx" >/dev/null && tt import "$work/cluster.pfx" >/dev/null &&
    tt enable --mode permissive >/dev/null || { echo "tlstool set-up failed"; exit 1; }
sipcd_start "$work/a" || exit 1
node_pid=$sipcd_pid
ctl ping "$BASE.1" >"$work/ping0.out" 2>&1 && grep -q "over TLS" "$work/ping0.out" &&
    ok "before the flood: sipcctl ping over TLS" || { not_ok "ping before"; cat "$work/ping0.out"; }

# --- the flood ------------------------------------------------------------
mkfifo "$work/ctl"
python3 "$SRC/flood_peers.py" "$BASE" 23000 23001 3000 200 2100 8 <"$work/ctl" >"$work/flood.out" 2>&1 &
flood_pid=$!
exec 7>"$work/ctl"
t0=$(date +%s)
ready() { grep -q '^READY' "$work/flood.out"; }
wait_for 40 ready || { not_ok "the hostile peers did not get going"; cat "$work/flood.out"; }
echo "# $(cat "$work/flood.out")"

start=$(date +%s%N)
ctl ping "$BASE.1" >"$work/ping1.out" 2>&1
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
if [ "$rc" = 0 ] && grep -q "over TLS" "$work/ping1.out" && [ "$ms" -lt 3000 ]; then
    ok "during the flood: a legitimate mTLS client is served in $ms ms (bound 3000)"
else
    not_ok "ping during the flood: exit $rc after $ms ms"; cat "$work/ping1.out"
fi

slow_closed() { ctl status --json | jq -e '.services[] | select(.name == "data") | .slow_closed_total >= 1'; }
wait_for 15 slow_closed && ok "the slowest reader was closed (max_write_queue_total)" ||
    not_ok "no slow reader closed"
ctl status --json >"$work/st.json" 2>&1 || not_ok "status during the flood"
svc() { jq -r --arg s "$1" --arg f "$2" '.services[] | select(.name == $s) | .[$f]' "$work/st.json"; }
rss=$(jq -r '.node.memory_rss_bytes' "$work/st.json")
echo "# data: evicted $(svc data evicted_total), slow closed $(svc data slow_closed_total), queued $(svc data write_queue_bytes) B, buffers $(svc data buffer_bytes) B; search: refused $(svc search refused_total), evicted $(svc search evicted_total), up $(jq -c ".services[] | select(.name == \"search\") | .connections" "$work/st.json"), failed $(jq -c ".services[] | select(.name == \"search\") | .handshake_failures" "$work/st.json"); RSS $((rss / 1048576)) MiB"
[ "$(svc data evicted_total)" -gt 0 ] && ok "status: silent and parked peers evicted on the data service ($(svc data evicted_total))" ||
    not_ok "status: nothing evicted"
[ "$(svc search refused_total)" -gt 0 ] && ok "status: established peers beyond max_connections refused on the search service ($(svc search refused_total))" ||
    not_ok "status: nothing refused"
[ "$(svc data write_queue_bytes)" -le $((1048576 + 262144)) ] && ok "status: queued output under the cap ($(svc data write_queue_bytes) bytes)" ||
    not_ok "queued output $(svc data write_queue_bytes)"
[ "$rss" -gt 0 ] && [ "$rss" -lt $((200 * 1048576)) ] && ok "node RSS $((rss / 1048576)) MiB under the bound of 200 MiB" ||
    not_ok "node RSS $rss"

# /metrics serves the text rendered once a second: the figures the status
# just showed are there within a few seconds
_metrics_show_flood() {
    curl -s "http://$BASE.1:23009/metrics" >"$work/metrics.txt" 2>&1
    grep -Eq '^sipc_connections_slow_closed_total\{service="data"\} [1-9]' "$work/metrics.txt" &&
        grep -Eq '^sipc_write_queue_bytes\{service="data"\} [0-9]+' "$work/metrics.txt" &&
        grep -Eq '^sipc_connection_buffer_bytes\{service="data"\} [0-9]+' "$work/metrics.txt" &&
        grep -Eq '^sipc_connections_refused_total\{service="search"\} [1-9]' "$work/metrics.txt"
}
if wait_for 5 _metrics_show_flood; then
    ok "metrics: slow readers closed, queued bytes, buffers and refusals by service"
else
    not_ok "metrics"; grep -E "slow_closed|write_queue|buffer_bytes|refused" "$work/metrics.txt" | head
fi

# --- 10 s later, a second wave: the next line counts what was held back ---
while [ $(($(date +%s) - t0)) -lt 11 ]; do sleep 0.2; done
echo again >&7
again() { grep -q '^AGAIN' "$work/flood.out"; }
wait_for 10 again || not_ok "second wave"
sleep 0.5
ctl ping "$BASE.1" >"$work/ping2.out" 2>&1 && grep -q "over TLS" "$work/ping2.out" &&
    ok "second wave: still served" || { not_ok "ping in the second wave"; cat "$work/ping2.out"; }

# --- the log: one line per peer and kind per 10 s, with counts -------------
elapsed=$(($(date +%s) - t0 + 1))
allowed=$((elapsed / 10 + 1))
dlog=$(ls "$work/a/logs/"DataService_*.log)
slog=$(ls "$work/a/logs/"SearchService_*.log)
check_lines() { # what file pattern [per]: lines written, and with the reports of
    # those held back (one per 10 s after the first line); per: lines per 10 s
    # (peers that are nodes of their own: a few per host, SIPC__LOG_HOST_BURST)
    local n all max=$((allowed * ${4:-1}))
    n=$(grep -v " more like this in the last [0-9]* s: " "$2" | grep -c -- "$3")
    all=$(grep -c -- "$3" "$2")
    if [ "$n" -ge 1 ] && [ "$n" -le "$max" ] && [ "$all" -le $((max + 1)) ]; then
        ok "log: $1: $n line(s), $all with the reports of those held back, in $elapsed s (at most $max and $((max + 1)))"
    else
        not_ok "log: $1: $n lines, $all with reports, in $elapsed s (at most $max and $((max + 1)))"; grep -- "$3" "$2" | head -5
    fi
}
check_lines "silent peers evicted" "$dlog" "closing the oldest.* from $BASE\.3:"
check_lines "established peers refused" "$slog" "refusing a connection from $BASE\.5:"
check_lines "slow reader closed" "$dlog" "Connection from $BASE\.6:[0-9]* (node slow[0-9]*) closed: .*max_write_queue_total" 3
total=$(grep -c "$BASE\.[3-6]" "$dlog" "$slog" | awk -F: '{s += $2} END {print s}')
[ "$total" -lt 100 ] && ok "log: $total lines about 5,300 hostile connections" || not_ok "log: $total lines about the hostile peers"

exec 7>&-
wait "$flood_pid" 2>/dev/null
flood_pid=
# the count of lines held back rides on the next line, or, when none came
# within the interval, has a line of its own
line=$(grep -E "closing the oldest.* from $BASE\.3:.*\(and [0-9]+ more like it in the [0-9]+ s before\)|WARN [0-9]+ more like this in the last [0-9]+ s: .*connections from $BASE\.3 closed in their handshake" "$dlog" | head -n1)
if [ -n "$line" ]; then
    ok "the evictions held back are counted in the log: $(echo "$line" | grep -oE "[0-9]+ more like (it|this) in the [a-z ]*[0-9]+ s")"
else
    not_ok "no count of held-back lines after $elapsed s"; grep "$BASE\.3" "$dlog"
fi
ctl ping "$BASE.1" >"$work/ping3.out" 2>&1 && grep -q "over TLS" "$work/ping3.out" &&
    ok "after the flood: still served" || { not_ok "ping after"; cat "$work/ping3.out"; }
kill -TERM "$node_pid"; wait "$node_pid"; rc=$?; node_pid=
[ "$rc" = 0 ] && ok "sipcd stops cleanly (exit 0)" || not_ok "sipcd exit $rc"
shtest_done
