#!/usr/bin/env bash
# test_keepalive_links.sh - a stopped peer shows as down within the keepalive
# bounds: nodes n1 ($BASE.11) and n2 ($BASE.12), plaintext, standard ports,
# [limits] keepalive_ms = 1000 and keepalive_timeout_ms = 4000.
#   - while both run, their idle links stay up (PINGs are answered)
#   - n2 stopped (SIGSTOP: its sockets stay open, nothing answers): n1's
#     status shows every link to n2 down within keepalive_ms +
#     keepalive_timeout_ms + slack, not after the 60 s idle timeout, and n1's
#     log says "no answer to PING from ... within 4000 ms"; before that, once
#     the PING has waited 2 s, `sipcctl status` shows those links SUSPECT
#     with how long nothing was received and how long the PING has waited
#     (silent_ms and ping_wait_ms in --json; silent_ms the longer by about
#     keepalive_ms, after which the PING went)
#   - a down link's reason says how old it is ("last attempt N s ago, next
#     in M s"; last_error_age_ms and next_attempt_ms in --json)
#   - n2 stopped, asked through n1 (`status --cluster`) and directly
#     (`status --node`): both say "connected to ..., but nothing received
#     from it for N ms", and neither names TLS or a handshake
#   - n2 continued (SIGCONT): the links come back up
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.84}
. "$(dirname "$0")/../support/shtest.sh"
KEEPALIVE_MS=1000
TIMEOUT_MS=4000
SLACK_MS=3000 # a loaded machine; the idle timeout it replaces is 60 s
need_free "$BASE".{11,12}:{23000,23001,23002,23003}
shtest_init keepalive
ctl() { "$BIN/sipcctl" --timeout 3000 "$@"; }
conf() { # id host
    node_home "$work/$1" ka "$1" "$BASE.$2" "$BASE.11, $BASE.12"
    printf '[limits]\nkeepalive_ms = %s\nkeepalive_timeout_ms = %s\n' "$KEEPALIVE_MS" "$TIMEOUT_MS" \
        >>"$work/$1/sipc.conf"
}
conf n1 11
conf n2 12
sipcd_start "$work/n1" || exit 1
n1_pid=$sipcd_pid
sipcd_start "$work/n2" || exit 1
n2_pid=$sipcd_pid
at_exit "kill -CONT $n2_pid 2>/dev/null; kill -TERM $n1_pid $n2_pid 2>/dev/null"

# n1's links to n2 as "UP TOTAL" (up ones, all of them)
links() {
    ctl --home "$work/n1" status --json 2>/dev/null >"$work/st.json" || return 1
    jq -r '[.links[] | select(.node == "n2")] | "\([.[] | select(.up)] | length) \(length)"' \
        "$work/st.json"
}
all_up() { set -- $(links); [ "${2:-0}" -gt 0 ] && [ "$1" = "$2" ]; }
none_up() { set -- $(links); [ "${2:-0}" -gt 0 ] && [ "$1" = 0 ]; }

wait_for 20 all_up && ok "n1's links to n2 are up: $(links | awk '{print $1 "/" $2}')" ||
    { not_ok "n1's links to n2 not up: $(links)"; cat "$work/st.json"; }
# idle for several keepalive periods: the PINGs are answered, nothing closes
sleep $((KEEPALIVE_MS * 3 / 1000))
if all_up && ! grep -q "no answer to PING" "$work"/n?/logs/*.log; then
    ok "idle links stay up over $((KEEPALIVE_MS * 3)) ms: every PING answered"
else
    not_ok "links dropped while both nodes ran: $(links)"
    grep -h "no answer to PING" "$work"/n?/logs/*.log | head -n 5
fi

kill -STOP "$n2_pid"
t0=$(sc_now_ms)
bound=$((KEEPALIVE_MS + TIMEOUT_MS + SLACK_MS))
suspect=
while ! none_up && [ $(($(sc_now_ms) - t0)) -lt $((bound + 5000)) ]; do
    if [ -z "$suspect" ] && jq -e '[.links[] | select(.node == "n2" and .up and (.ping_wait_ms // 0) >= 2000)] | length > 0' \
        "$work/st.json" >/dev/null 2>&1; then
        cp "$work/st.json" "$work/suspect.json"
        ctl --home "$work/n1" status >"$work/st.txt" 2>&1
        suspect=$(grep -m1 "SUSPECT: nothing received for [0-9]* ms, no answer to PING for" "$work/st.txt")
        suspect=${suspect:-none}
        suspect_at=$(($(sc_now_ms) - t0))
    fi
    sleep 0.1
done
took=$(($(sc_now_ms) - t0))
if [ -n "$suspect" ] && [ "$suspect" != none ]; then
    ok "n2 stopped: after $suspect_at ms n1's status shows a link to n2 still up but${suspect#*:}"
else
    not_ok "n2 stopped: n1's status never showed a link to n2 SUSPECT (${suspect:-no ping_wait_ms >= 2000 seen})"
    shtest_show "$work/st.txt"
fi
# the PING went after keepalive_ms of silence: the peer has been quiet that
# much longer than the PING has waited, and silent_ms says so
if jq -e --argjson k "$KEEPALIVE_MS" '[.links[] | select(.node == "n2" and .up and (.ping_wait_ms // 0) >= 2000
        and .silent_ms >= .ping_wait_ms + $k / 2)] | length > 0' "$work/suspect.json" >/dev/null 2>&1; then
    ok "a SUSPECT link says how long nothing was received: $(jq -c '[.links[] | select(.node == "n2" and .up and (.ping_wait_ms // 0) >= 2000)][0] | {ping_wait_ms, silent_ms}' "$work/suspect.json")"
else
    not_ok "a SUSPECT link's silent_ms"; jq -c '.links[]' "$work/suspect.json" 2>/dev/null
fi
if none_up && [ "$took" -le "$bound" ]; then
    ok "n2 stopped: n1's status shows its links to n2 down after $took ms (bound $bound ms)"
else
    not_ok "n2 stopped: n1's links to n2 '$(links)' (up total) after $took ms (bound $bound ms)"
    jq -c '.links[]' "$work/st.json"
fi
if jq -e '[.links[] | select(.node == "n2" and ((.last_error // "") | test("no answer to PING from .* within 4000 ms")))] | length > 0' \
    "$work/st.json" >/dev/null; then
    ok "the status gives the reason: $(jq -r '[.links[] | select(.node == "n2")][0].last_error' "$work/st.json")"
else
    not_ok "no link to n2 says 'no answer to PING' in n1's status"
    jq -c '.links[]' "$work/st.json"
fi
# how old that reason is: n2 stays stopped, and the reason may change
ctl --home "$work/n1" status >"$work/down.txt" 2>&1
if jq -e '[.links[] | select(.node == "n2" and (.up | not) and (.last_error_age_ms | type) == "number"
        and ((.next_attempt_ms | type) == "number" or .attempting == true))] | length > 0' "$work/st.json" >/dev/null &&
    grep -q "last error: .* (last attempt [0-9]* m\?s ago, \(next in [0-9]* m\?s\|another under way\))$" "$work/down.txt"; then
    ok "a down link says how old its reason is: $(grep -m1 "last error:" "$work/down.txt" | sed 's/.*(last attempt/(last attempt/')"
else
    not_ok "a down link does not say how old its reason is"; jq -c '.links[]' "$work/st.json"; shtest_show "$work/down.txt"
fi
grep -h "SIPC_EKEEPALIVE" "$work"/n1/logs/*.log | grep -q "no answer to PING from $BASE.12:[0-9]* within 4000 ms" &&
    ok "n1's log: $(grep -h "no answer to PING" "$work"/n1/logs/*.log | head -n1 | cut -c1-200)" ||
    not_ok "n1's log has no SIPC_EKEEPALIVE line naming $BASE.12"

# the stopped node, asked through n1 (status --cluster) and directly: both
# say what is known, in the same words, and no word of TLS or handshake
silent="connected to $BASE.12:23002, but nothing received from it for [0-9]* ms: the process there may be stopped or overloaded"
cluster_says() {
    "$BIN/sipcctl" --home "$work/n1" --timeout 2000 status --cluster >"$work/cl.txt" 2>&1
    grep -q "^node \([^ ]* \)\?at $BASE.12: UNREACHABLE: call deadline exceeded: $silent" "$work/cl.txt"
}
if wait_for 10 cluster_says && ! grep "UNREACHABLE" "$work/cl.txt" | grep -qi "tls\|handshake"; then
    ok "status --cluster on the stopped node: $(grep -m1 UNREACHABLE "$work/cl.txt" | cut -c1-220)"
else
    not_ok "status --cluster does not say that nothing came from the stopped node"; shtest_show "$work/cl.txt"
fi
"$BIN/sipcctl" --home "$work/n1" --timeout 1000 --node "$BASE.12:23002" status >"$work/direct.txt" 2>&1
if grep -q "SIPC_ESILENT, io\]: $silent" "$work/direct.txt" && ! grep -qi "tls\|handshake" "$work/direct.txt"; then
    ok "status of the stopped node itself, in the same words: $(cut -c1-220 "$work/direct.txt")"
else
    not_ok "status of the stopped node itself"; shtest_show "$work/direct.txt"
fi

kill -CONT "$n2_pid"
t1=$(sc_now_ms)
wait_for 20 all_up && ok "n2 continued: its links are up again after $(($(sc_now_ms) - t1)) ms" ||
    { not_ok "n2 continued: links not up after 20 s: $(links)"; jq -c '.links[]' "$work/st.json"; }
shtest_done
