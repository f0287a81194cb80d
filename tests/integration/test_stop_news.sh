#!/usr/bin/env bash
# test_stop_news.sh - a node that stops says so, and the others take it
# (three real sipcd, plaintext, standard ports at BASE.1-3, none with a
# [node] id of its own: they share the host name as theirs). n3 gets SIGTERM:
#   - n1's and n2's links to it (search, pipeline, management: one context
#     each) are down within moments of its exit, not at a keepalive timeout
#   - each logs its stop once, and none of its refusals as a WARN within the
#     grace (one service hears the GOAWAY, the others are told)
#   - they redial it with their backoff, not in a tight loop
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.224}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init stopnews
need_free "$BASE".{1,2,3}:{23000,23001,23002,23003}

nodes="$BASE.1, $BASE.2, $BASE.3"
for i in 1 2 3; do
    mkdir -p "$work/n$i"
    printf '[node]\naddress = %s\n[cluster]\nname = stopnews\nnodes = %s\n' "$BASE.$i" "$nodes" \
        >"$work/n$i/sipc.conf"
done
sipcd_start_all "$work/n1" "$work/n2" "$work/n3" || exit 1
status() { "$BIN/sipcctl" --home "$work/$1" --timeout 3000 status --json 2>/dev/null; }
# links N UP: how many of node N's links to n3 are up (UP true) or down
# (false); n3's links are its three services', one each
to_n3='.links[] | select(.address | startswith("'$BASE.3:'"))'
links() { status "$1" | jq "[$to_n3 | select(.up == $2)] | length"; }
links_are() { [ "$(links n1 "$2")" = "$1" ] && [ "$(links n2 "$2")" = "$1" ]; }
wait_for 15 links_are 3 true || not_ok "n1's and n2's links to n3 did not come up"

stop_at=$(date -u +%Y-%m-%dT%H:%M:%S.%3N)
kill -TERM "${node_pids[2]}"
wait "${node_pids[2]}"
t0=$(sc_now_ms)
if wait_for 3 links_are 3 false; then
    ok "n1's and n2's three links to n3 down $(($(sc_now_ms) - t0)) ms after it stopped"
else
    not_ok "n1's and n2's links to n3 not all down 3 s after it stopped: $(status n1 | jq -c "[$to_n3]")"
fi

# their redials back off: the wait from a refused attempt to the next (what
# is past of it and what is left), this long after the stop, is at least
# 400 ms (reconnect_max_ms, 1 s, halved at most by the jitter), never the
# 250 ms or less of a redial brought forward, nor none
sleep 1
backed_off() {
    status "$1" >"$OUT" &&
        jq -e "[$to_n3 | select(.up | not)] | length == 3 and
               all(.attempting or .last_error_age_ms + .next_attempt_ms >= 400)" "$OUT" >/dev/null
}
for i in 1 2 3; do
    for n in n1 n2; do
        backed_off "$n" || bad "$n's links to n3 redial within 400 ms: $(jq -c "[$to_n3 |
            {address, last_error_age_ms, next_attempt_ms, attempting}]" "$OUT")"
    done
    sleep 0.4
done
[ "$fails" = 0 ] && ok "n1's and n2's links to n3 back off (sampled three times)"

for n in n1 n2; do
    logs=("$work/$n/logs/"*Service_*.log)
    said=$(grep -h "Connection to $BASE.3:[0-9]* (node [^)]*): peer is stopping (GOAWAY)" "${logs[@]}" | wc -l)
    # since the stop (the search warns at start of peers sharing its id)
    warned=$(grep -h " WARN .*$BASE\.3:" "${logs[@]}" | awk -v t="$stop_at" 'substr($1, 1, 23) >= t')
    [ "$said" -ge 1 ] && ok "$n logs n3's stop ($said lines)" || not_ok "$n: no 'peer is stopping' line for n3"
    [ -z "$warned" ] && ok "$n: no WARN for n3 within the grace" ||
        not_ok "$n warns of n3 within the grace: $warned"
done
shtest_done
