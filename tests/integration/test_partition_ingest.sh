#!/usr/bin/env bash
# test_partition_ingest.sh - ingest through a node while another node is cut
# off: nodes n1..n3 ($BASE.11-13, plaintext, standard ports, [limits]
# keepalive_ms = 1000 and keepalive_timeout_ms = 2000), n3 stopped (SIGSTOP:
# its sockets stay open, nothing answers, as behind a partition that drops
# packets).
#   - once n1's pipeline link to n3 has been down for 10 s (what status
#     --cluster reports as link_down), an ingest through n1 of records hashed
#     over all three nodes is answered at once: the records for n1 and n2
#     are acknowledged and n3's are UNAVAILABLE with a reason saying the link
#     is down, since when and why; not held to the 10 s deadline each
#   - a search through n1 once its search link to n3 is known down too is
#     answered at once, n3 named missing with the link's reason
#   - n3 continued (SIGCONT): the same file again, everything acknowledged
#   - n3 stopped for good (SIGTERM) until n1's link to it is known down,
#     then started again: as soon as n3 is up, an ingest through n1 has
#     every record acknowledged. n1 redials with a backoff of up to 30 s
#     ([limits] reconnect_max_ms), so its own redial would find n3 seconds
#     later; n3 connecting to n1 is what tells n1 it is back, not gone
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.35}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE".{11,12,13}:{23000,23001,23002,23003}
shtest_init partition
ctl() { "$BIN/sipcctl" --timeout 3000 "$@"; }
conf() { # id host
    node_home "$work/$1" pt "$1" "$BASE.$2" "$BASE.11, $BASE.12, $BASE.13"
    printf '[limits]\nkeepalive_ms = 1000\nkeepalive_timeout_ms = 2000\n' >>"$work/$1/sipc.conf"
}
conf n1 11
printf 'reconnect_max_ms = 30000\n' >>"$work/n1/sipc.conf"
conf n2 12
conf n3 13
sipcd_start "$work/n1" || exit 1
n1_pid=$sipcd_pid
sipcd_start "$work/n2" || exit 1
n2_pid=$sipcd_pid
sipcd_start "$work/n3" || exit 1
n3_pid=$sipcd_pid
at_exit 'kill -CONT $n3_pid 2>/dev/null; kill -TERM $n1_pid $n2_pid $n3_pid 2>/dev/null'

python3 - "$work/recs.ndjson" <<'EOF'
import json, sys
with open(sys.argv[1], 'w') as f:
    for i in range(3000):
        f.write(json.dumps({'id': 'p-%05d' % i, 'timestamp_ms': 1764000000000 + i,
                            'body': 'record %d' % i}) + '\n')
EOF
# ingest FILE: through n1 with a 10 s deadline; the answer in $work/res.json,
# the time it took (ms) in $took
ingest() {
    local t0
    t0=$(sc_now_ms)
    "$BIN/sipcctl" --home "$work/n1" --timeout 10000 ingest "$1" --json --failed-max 5000 \
        >"$work/res.json" 2>"$OUT"
    RC=$?
    took=$(($(sc_now_ms) - t0))
}
# n1's pipeline link to n3 ("up" or the Unix time it is down since)
pipe_link() {
    ctl --home "$work/n1" status --json 2>/dev/null |
        jq -r --arg a "$BASE.13:23000" \
            '.links[] | select(.service == "pipeline" and .address == $a) |
             if .up then "up" else (.since | fromdateiso8601) end'
}
link_up() { [ "$(pipe_link)" = up ]; }
link_down() { local s; s=$(pipe_link); [ -n "$s" ] && [ "$s" != up ]; }

wait_for 20 link_up || not_ok "n1's pipeline link to n3 never came up: $(pipe_link)"
ingest "$work/recs.ndjson"
if [ "$RC" = 0 ] && [ "$(jq .acknowledged "$work/res.json")" = 3000 ]; then
    ok "all three nodes up: 3000 records acknowledged in $took ms"
else
    bad "all three nodes up: exit $RC, $(jq -c '{acknowledged, unavailable}' "$work/res.json")"
fi

kill -STOP "$n3_pid"
# the keepalive finds it within 3 s; then 10 s until the link is down
# rather than reconnecting (SIPC_LINK_DOWN_MS)
if wait_for 15 link_down; then
    since=$(pipe_link)
    while [ $(($(date +%s) - since)) -lt 12 ]; do sleep 0.2; done
    ingest "$work/recs.ndjson"
    python3 - "$work/res.json" "$BASE.13:23000" "$took" >"$work/check.txt" 2>&1 <<'EOF'
import json, sys
res, n3, took = json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3])
failed = res.get('failed', [])
bad = [f for f in failed if n3 not in f['reason'] or 'its link is down since' not in f['reason']]
problems = []
if not failed or res['unavailable'] != len(failed):
    problems.append('unavailable %d, failed listed %d' % (res['unavailable'], len(failed)))
if res['acknowledged'] + res['unavailable'] != 3000 or res['acknowledged'] < 1500:
    problems.append('acknowledged %d of 3000' % res['acknowledged'])
if bad:
    problems.append('%d reasons without the link down: %s' % (len(bad), bad[0]['reason']))
# held, every request waits out its deadline (9 s)
if took > 5000:
    problems.append('took %d ms' % took)
print('; '.join(problems) if problems else
      '%d acknowledged, %d UNAVAILABLE in %d ms: %s' % (res['acknowledged'], res['unavailable'],
                                                      took, failed[0]['reason']))
sys.exit(1 if problems else 0)
EOF
    if [ $? = 0 ] && [ "$RC" = 69 ]; then
        ok "n3 stopped, its link down: $(cat "$work/check.txt")"
    else
        not_ok "n3 stopped, its link down: exit $RC: $(cat "$work/check.txt")"
        shtest_show "$OUT"
    fi
else
    not_ok "n3 stopped: n1's pipeline link to it never went down: $(pipe_link)"
fi

# search through n1 once its search link to n3 is known down too: n3 is
# named missing at once, not waited for to the 10 s deadline
search_since() {
    ctl --home "$work/n1" status --json 2>/dev/null |
        jq -r --arg a "$BASE.13:23001" \
            '.links[] | select(.service == "search" and .address == $a) |
             if .up then "up" else (.since | fromdateiso8601) end'
}
s_down() { local s; s=$(search_since); [ -n "$s" ] && [ "$s" != up ]; }
if wait_for 15 s_down; then
    since=$(search_since)
    while [ $(($(date +%s) - since)) -lt 12 ]; do sleep 0.2; done
    t0=$(sc_now_ms)
    "$BIN/sipcctl" --home "$work/n1" --timeout 10000 search --json 'record' >"$work/search.json" 2>"$OUT"
    RC=$?
    took=$(($(sc_now_ms) - t0))
    miss=$(jq -r --arg a "$BASE.13:23001" '.nodes_missing[]? | select(.address == $a) | .reason' "$work/search.json")
    if [ "$RC" = 3 ] && [ "$took" -lt 5000 ] && grep -Eq "^not asked: its link is down since [0-9TZ:-]+: ." <<<"$miss"; then
        ok "n3 stopped, its search link down: search answers in $took ms, n3 missing: $miss"
    else
        not_ok "n3 stopped, its search link down: exit $RC in $took ms, n3's reason: '$miss'"
        shtest_show "$work/search.json"
    fi
else
    not_ok "n3 stopped: n1's search link to it never went down: $(search_since)"
fi

kill -CONT "$n3_pid"
if wait_for 20 link_up; then
    ingest "$work/recs.ndjson"
    if [ "$RC" = 0 ] && [ "$(jq .acknowledged "$work/res.json")" = 3000 ]; then
        ok "n3 continued: the same records again, all 3000 acknowledged"
    else
        bad "n3 continued: exit $RC, $(jq -c '{acknowledged, unavailable}' "$work/res.json")"
    fi
else
    not_ok "n3 continued: n1's pipeline link to it did not come back: $(pipe_link)"
fi

kill -TERM "$n3_pid"
wait "$n3_pid" 2>/dev/null
if wait_for 15 link_down; then
    since=$(pipe_link)
    while [ $(($(date +%s) - since)) -lt 12 ]; do sleep 0.2; done
    sipcd_start "$work/n3" || exit 1
    n3_pid=$sipcd_pid
    # n3 is up once its own pipeline link to n1 is: it has said hello to n1
    n3_to_n1() {
        ctl --home "$work/n3" status --json 2>/dev/null |
            jq -e --arg a "$BASE.11:23000" \
                '.links[] | select(.service == "pipeline" and .address == $a) | .up' >/dev/null
    }
    wait_for 10 n3_to_n1 || not_ok "n3 restarted: its pipeline link to n1 never came up"
    ingest "$work/recs.ndjson"
    if [ "$RC" = 0 ] && [ "$(jq .acknowledged "$work/res.json")" = 3000 ]; then
        ok "n3 restarted after its link was known down: all 3000 acknowledged in $took ms"
    else
        bad "n3 restarted after its link was known down: exit $RC, $(jq -c '{acknowledged, unavailable, failed: .failed[0:1]}' "$work/res.json")"
    fi
else
    not_ok "n3 stopped for good: n1's pipeline link to it never went down: $(pipe_link)"
fi
shtest_done
