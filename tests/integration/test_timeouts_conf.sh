#!/usr/bin/env bash
# test_timeouts_conf.sh - [limits] keepalive_ms, keepalive_timeout_ms and
# idle_timeout_ms as a real sipcd ($BASE.1, plaintext, standard ports) reads
# them:
#   - 0 turns each off, as in sipc_options: the node starts, and every
#     service's start line says "Keepalive: off" (or no answer awaited, no
#     idle close); with nothing left to close a silent peer, a WARN says so
#   - `sipcctl status` says what is off (--json: "keepalive", ms, 0 for
#     off); with every part on it prints no keepalive line
#   - the defaults: the start line gives the three values
#   - a combination that works, but not as its values suggest, is one WARN
#     per service log naming the sipc.conf line and the [limits] keys (no
#     second one from a context, none under the names of sipc_options)
#   - a reload that changes keepalive_ms, keepalive_timeout_ms,
#     idle_timeout_ms or reconnect_max_ms says they need a restart (exit 3,
#     restart_needed, "Needs a restart" in every log) and keeps the running
#     values (the status); setting a default explicitly changes nothing,
#     for every [limits] key that has one (max_write_queue and the rest too)
#   - keepalive_ms not below idle_timeout_ms (here the default 15000 against
#     idle_timeout_ms = 10000) is refused: exit 78, sipc.conf:LINE names the
#     line that set idle_timeout_ms
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.69}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE".1:{23000,23001,23002,23003}
shtest_init timeouts

ctl() { "$BIN/sipcctl" --timeout 3000 "$@"; }

# run_node NAME LIMITS [WHILE_UP]: starts a node whose [limits] are LIMITS,
# keeps its status (NAME.json, NAME.txt), runs WHILE_UP HOME if given, then
# stops it
run_node() {
    local home=$work/$1
    one_node_home "$home" to
    printf '[limits]\n%b' "$2" >>"$home/sipc.conf"
    sipcd_start "$home" || return 1
    ctl --home "$home" status --json >"$work/$1.json" 2>&1
    ctl --home "$home" status >"$work/$1.txt" 2>&1
    [ -z "${3:-}" ] || "$3" "$home"
    kill -TERM "$sipcd_pid"
    wait "$sipcd_pid" 2>/dev/null
}

# reload_limits HOME: reloads the running node after [limits] changes
reload_limits() {
    local home=$1
    # the defaults written out: nothing to restart for
    printf 'keepalive_ms = 15000\nidle_timeout_ms = 60000\nreconnect_max_ms = 1000\n' >>"$home/sipc.conf"
    printf 'max_frame = 16777216\nmax_write_queue = 67108864\nmax_write_queue_total = 268435456\n' >>"$home/sipc.conf"
    printf 'max_read_buffer_total = 268435456\nmax_connections = 16384\nmax_opening = 4096\n' >>"$home/sipc.conf"
    ctl --home "$home" reload --json >"$work/same.json" 2>&1
    echo "rc=$?" >>"$work/same.json"
    # a change of each
    sed -i -e 's/^keepalive_ms = .*/keepalive_ms = 5000/' -e 's/^idle_timeout_ms = .*/idle_timeout_ms = 30000/' \
        -e 's/^reconnect_max_ms = .*/reconnect_max_ms = 2000/' "$home/sipc.conf"
    echo 'keepalive_timeout_ms = 0' >>"$home/sipc.conf"
    ctl --home "$home" reload --json >"$work/reload.json" 2>&1
    echo "rc=$?" >>"$work/reload.json"
    ctl --home "$home" status --json >"$work/after.json" 2>&1
}

if run_node off 'keepalive_ms = 0\nkeepalive_timeout_ms = 0\n'; then
    n=$(each_log "$work/off" "Service.Start INFO Keepalive: off (\[limits\] keepalive_ms = 0): PINGs only while reading is held back; idle close after 60000 ms$")
    [ "$n" = 4 ] && ok "keepalive_ms = 0: the node starts, every service says 'Keepalive: off'" ||
        { not_ok "keepalive_ms = 0: $n of 4 service logs say 'Keepalive: off'"; grep -h "Keepalive" "$work/off/logs/"*.log; }
    jq -e '.keepalive == {"keepalive_ms": 0, "keepalive_timeout_ms": 0, "idle_timeout_ms": 60000}' "$work/off.json" >/dev/null &&
        grep -q "^  keepalive: off (keepalive_ms = 0): PINGs only while reading is held back; idle close after 60000 ms$" "$work/off.txt" &&
        ok "keepalive_ms = 0: sipcctl status says so: $(grep keepalive: "$work/off.txt")" ||
        { not_ok "keepalive_ms = 0: the status does not say it is off"; shtest_show "$work/off.txt"; jq -c .keepalive "$work/off.json"; }
    ! grep -q "nothing closes a connection" "$work/off/logs/"*.log &&
        ok "keepalive off with the idle close on: no WARN" || not_ok "a WARN with the idle close on"
else
    not_ok "keepalive_ms = 0: sipcd did not start"
fi

if run_node none 'keepalive_timeout_ms = 0\nidle_timeout_ms = 0\n'; then
    n=$(each_log "$work/none" "Keepalive: PING after 15000 ms without receiving anything, no answer awaited (\[limits\] keepalive_timeout_ms = 0); idle close off (\[limits\] idle_timeout_ms = 0)$")
    line=$(grep -n "^idle_timeout_ms" "$work/none/sipc.conf" | cut -d: -f1)
    # once per log, whatever contexts the service made (management has two)
    w=$(each_log "$work/none" "Service.Start WARN $work/none/sipc.conf:$line: \[limits\] idle_timeout_ms and \[limits\] keepalive_timeout_ms are 0: nothing closes a connection whose peer went silent")
    o=$(grep -c "options\.\|WARN" "$work/none/logs/"*.log | awk -F: '{ s += $2 } END { print s }')
    [ "$n" = 4 ] && [ "$w" = 4 ] && [ "$o" = 4 ] && ok "keepalive_timeout_ms = idle_timeout_ms = 0: started, said so, and warned once per log at sipc.conf:$line" ||
        { not_ok "keepalive_timeout_ms = idle_timeout_ms = 0: start line in $n, the WARN once in $w of 4 logs, $o WARN lines in all"; grep -h "Keepalive\|WARN" "$work/none/logs/"*.log; }
else
    not_ok "keepalive_timeout_ms = idle_timeout_ms = 0: sipcd did not start"
fi

if run_node dflt '' reload_limits; then
    n=$(each_log "$work/dflt" "Keepalive: PING after 15000 ms without receiving anything, closed without an answer within 10000 ms; idle close after 60000 ms$")
    [ "$n" = 4 ] && ok "defaults: every service's start line gives them" ||
        { not_ok "defaults: $n of 4 start lines"; grep -h "Keepalive" "$work/dflt/logs/"*.log; }
    jq -e '.keepalive == {"keepalive_ms": 15000, "keepalive_timeout_ms": 10000, "idle_timeout_ms": 60000}' "$work/dflt.json" >/dev/null &&
        grep -q "^  storage: " "$work/dflt.txt" && ! grep -q "keepalive:" "$work/dflt.txt" &&
        ok "defaults: the status JSON has them, the text no keepalive line" ||
        { not_ok "defaults: status"; shtest_show "$work/dflt.txt"; jq -c .keepalive "$work/dflt.json"; }
    grep -q '^rc=0$' "$work/same.json" && jq -e '.[0] | .result == "unchanged" and .restart_needed == []' \
        <(sed '$d' "$work/same.json") >/dev/null &&
        ok "reload with the defaults written out: nothing changed, nothing to restart for" ||
        { not_ok "reload with the defaults written out"; shtest_show "$work/same.json"; }
    want='["[limits] reconnect_max_ms: 1000 -> 2000","[limits] keepalive_ms: 15000 -> 5000","[limits] keepalive_timeout_ms: 10000 -> 0","[limits] idle_timeout_ms: 60000 -> 30000"]'
    grep -q '^rc=3$' "$work/reload.json" &&
        jq -e --argjson w "$want" '.[0] | .result == "unchanged" and .restart_needed == $w' <(sed '$d' "$work/reload.json") >/dev/null &&
        ok "reload of the four keys: exit 3, each in restart_needed" ||
        { not_ok "reload of the four keys: no restart_needed"; shtest_show "$work/reload.json"; }
    n=$(each_log "$work/dflt" "Service.Reload WARN Needs a restart, not applied: \[limits\] idle_timeout_ms: 60000 -> 30000$")
    [ "$n" = 4 ] && jq -e '.keepalive == {"keepalive_ms": 15000, "keepalive_timeout_ms": 10000, "idle_timeout_ms": 60000}' "$work/after.json" >/dev/null &&
        ok "reload of the four keys: every log says they need a restart, the status keeps the running values" ||
        { not_ok "reload of the four keys: $n of 4 logs"; grep -h "Service.Reload" "$work/dflt/logs/"*.log; jq -c .keepalive "$work/after.json"; }
else
    not_ok "defaults: sipcd did not start"
fi

one_node_home "$work/bad" to
printf '[limits]\nidle_timeout_ms = 10000\n' >>"$work/bad/sipc.conf"
line=$(grep -n idle_timeout_ms "$work/bad/sipc.conf" | cut -d: -f1)
timeout 20 "$BIN/sipcd" --home "$work/bad" >"$OUT" 2>&1
rc=$?
[ "$rc" = 78 ] && grep -q "sipc.conf:$line: \[limits\] keepalive_ms (15000) is not below \[limits\] idle_timeout_ms (10000)" "$OUT" &&
    ok "idle_timeout_ms below the default keepalive_ms: exit 78, $(grep -o 'sipc.conf:.*' "$OUT" | cut -c1-110)" ||
    { not_ok "idle_timeout_ms = 10000: exit $rc"; shtest_show "$OUT"; }
shtest_done
