#!/usr/bin/env bash
# test_log_cap.sh - [logs] max_file_size as a real sipcd ($BASE.1, plaintext,
# standard ports) reads it:
#   - at its floor (65536), reloads of a sipc.conf whose changes need a
#     restart make log lines until every service's file has reached it: each
#     file then holds at most the cap before the one line that says so, that
#     line once and last (what is logged after it is dropped and counted);
#   - `sipcctl status --json` shows that cap (logs.file_cap_bytes), capped
#     and the lines dropped; `sipcctl status` the cap as set (64 KiB);
#   - a reload that changes it lists it as needing a restart; the cap stays;
#   - a value below the floor: sipcd exits 78, naming the line, the key, the
#     value and the bounds.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.200}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE.1":{23000,23001,23002,23003}
shtest_init logcap
export TZ=UTC
home=$work/home
one_node_home "$home" logcap
printf '[logs]\nmax_file_size = 65536\n' >>"$home/sipc.conf"
sipcd_start "$home" || exit 1

# every line of these needs a restart: each reload logs one per key in every
# service's log, and applies none of them
cp "$home/sipc.conf" "$work/start.conf"
{
    printf '[limits]\nmax_frame = 1048576\nmax_write_queue = 1048576\n'
    printf 'max_write_queue_total = 8388608\nmax_read_buffer_total = 8388608\n'
    printf 'max_connections = 1000\nmax_opening = 100\nmax_connections_per_host = 100\n'
    printf 'reconnect_max_ms = 2000\nkeepalive_ms = 5000\nkeepalive_timeout_ms = 5000\n'
    printf 'idle_timeout_ms = 30000\n[data]\nsync = normal\nmax_attributes = 100\n'
    printf '[search]\nmax_local_ms = 5000\n'
    printf '[metrics]\naddress = %s:23009\n' "$BASE.1"
} >>"$home/sipc.conf"
all_capped() {
    local f n=0
    for f in "$home/logs/"*Service_*.log; do
        grep -q 'Log WARN this file reached its size cap' "$f" && n=$((n + 1))
    done
    [ "$n" = 4 ]
}
for _ in $(seq 1 400); do
    all_capped && break
    kill -HUP "$sipcd_pid"
    sleep 0.03
done
if all_capped; then ok "the four services' files reached the cap"; else
    not_ok "not every file reached the cap"; ls -l "$home/logs"
fi
# lines past the cap: dropped
for _ in 1 2 3; do kill -HUP "$sipcd_pid"; sleep 0.1; done

for f in "$home/logs/"*Service_*.log; do
    name=$(basename "$f")
    size=$(stat -c %s "$f")
    capline=$(grep -c 'this file reached its size cap' "$f")
    last=$(tail -n 1 "$f")
    room=$((size - ${#last} - 1)) # what the file took before the line saying so
    if [ "$capline" = 1 ] && [[ "$last" == *"Log WARN this file reached its size cap: lines below ERROR are dropped"* ]] &&
        [ "$room" -le 65536 ] && [ "$room" -gt $((65536 - 1024)) ]; then
        ok "$name: $size bytes, $room of them before its cap line, which is there once and last"
    else
        not_ok "$name: $size bytes ($room before the last line), $capline cap lines, the last: $last"
    fi
done

run ctl status --json
if [ "$RC" = 0 ] && jq -e '.logs.file_cap_bytes == 65536 and .logs.capped == true and
        .logs.lines_dropped_total > 0' "$OUT" >/dev/null; then
    ok "status --json: file_cap_bytes 65536, capped, $(jq .logs.lines_dropped_total "$OUT") lines dropped"
else
    bad "status --json: exit $RC, logs $(jq -c .logs "$OUT" 2>/dev/null)"
fi
run ctl status
expect "status: the cap as set" 0 \
    "^  logs: [0-9]+ lines below ERROR dropped: a day's file reached its cap of 64 KiB \(\[logs\] max_file_size\) \(one of today's is at it\)$"

# a reload does not change the cap: it needs a restart
cp "$work/start.conf" "$home/sipc.conf"
sed -i 's/^max_file_size = 65536$/max_file_size = 1048576/' "$home/sipc.conf"
ctl reload --json >"$OUT" 2>&1
rc=$?
if [ "$rc" = 3 ] && jq -e '.[0].result == "unchanged" and
        (.[0].restart_needed | index("[logs] max_file_size: 65536 -> 1048576")) != null' "$OUT" >/dev/null; then
    ok "reload of max_file_size: exit 3, listed as needing a restart"
else
    bad "reload of max_file_size: exit $rc"
fi
run ctl status --json
if jq -e '.logs.file_cap_bytes == 65536' "$OUT" >/dev/null; then
    ok "status --json after the reload: the cap in effect, 65536"
else
    bad "status --json after the reload: logs $(jq -c .logs "$OUT" 2>/dev/null)"
fi

# below the floor: refused at start, with the key, the value and the bounds
one_node_home "$work/bad" logcap
printf '[logs]\nmax_file_size = 65535\n' >>"$work/bad/sipc.conf"
line=$(grep -n '^max_file_size' "$work/bad/sipc.conf" | cut -d: -f1)
timeout 20 "$BIN/sipcd" --home "$work/bad" >"$OUT" 2>&1
rc=$?
if [ "$rc" = 78 ] && grep -q "sipc.conf:$line: \[logs\] max_file_size must be a byte count from 65536 to 68719476736, not '65535'" "$OUT"; then
    ok "max_file_size below the floor: exit 78, $(grep -o 'sipc.conf:.*' "$OUT" | head -1)"
else
    bad "max_file_size below the floor: exit $rc"
fi
shtest_done
