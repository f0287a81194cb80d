#!/usr/bin/env bash
# test_metrics_warn.sh - sipcd's /metrics endpoint ([metrics] on $BASE.1:23009)
# while one host holds its connections: of five connections from $BASE.80
# the fifth is closed at once, and the four that send their request a byte
# every half second are closed once their headers are 5 s overdue (they are
# never idle, so libmicrohttpd's own timeouts would keep them); a scrape from
# $BASE.81 is served meanwhile; and the node's log says it in one WARN that
# names the endpoint. The node runs TLS strict with a plaintext pipeline
# ([pipeline] tls = 0), which a series per listener shows. Budget: about 15 s.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.125}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init metricswarn
need_free "$BASE.1":{23000,23001,23002,23003,23009}
home=$work/n1
one_node_home "$home" metricswarn
pair_home "$home" || exit 1
"$BIN/tlstool" --home "$home" enable --mode strict >/dev/null || exit 1
printf '[metrics]\naddress = %s.1:23009\n[pipeline]\ntls = 0\n' "$BASE" >>"$home/sipc.conf"
sipcd_start "$home" || exit 1
at_exit "kill -TERM $sipcd_pid 2>/dev/null"

# the node's mode is strict, its pipeline listener's off: each listener
# is a series of its own, with its port and mode
scraped() {
    curl -s -m 2 "http://$BASE.1:23009/metrics" >"$work/metrics.txt" 2>&1 &&
        grep -q '^sipc_listener_tls' "$work/metrics.txt"
}
want_listeners='sipc_listener_tls{service="data",port="23000",mode="strict"} 1
sipc_listener_tls{service="search",port="23001",mode="strict"} 1
sipc_listener_tls{service="management",port="23002",mode="strict"} 1
sipc_listener_tls{service="pipeline",port="23003",mode="off"} 1'
if wait_for 5 scraped &&
    [ "$(grep '^sipc_listener_tls' "$work/metrics.txt" | sort)" = "$(sort <<<"$want_listeners")" ] &&
    grep -q '^sipc_node_info{.*tls_mode="strict"} 1$' "$work/metrics.txt"; then
    ok "metrics: the node strict, its pipeline listener plaintext (one series per listener)"
else
    cp "$work/metrics.txt" "$OUT"
    bad "metrics do not show each listener's TLS mode (want the pipeline off on a strict node)"
fi

python3 - "$BASE" >"$work/held.out" 2>&1 <<'PYEOF' &
import socket, sys, time
base = sys.argv[1]
conns = []
for i in range(5):
    s = socket.socket()
    s.bind((base + ".80", 0))
    s.connect((base + ".1", 23009))
    s.settimeout(0.05)
    conns.append(s)
req = b"GET /metrics HTTP/1.1\r\nHost: slow.example\r\nUser-Agent: a-byte-at-a-time\r\n"
closed = {}
start = time.monotonic()
for step in range(len(req)):          # at most 33 s; ends once all are closed
    for i, s in enumerate(conns):
        if i in closed:
            continue
        try:
            if s.recv(1) == b"":
                closed[i] = time.monotonic() - start
                continue
        except socket.timeout:
            pass
        except OSError:
            closed[i] = time.monotonic() - start
            continue
        try:
            s.send(req[step:step + 1])
        except OSError:
            closed[i] = time.monotonic() - start
    if len(closed) == len(conns):
        break
    time.sleep(0.5)
print(" ".join("%d:%.1f" % (i, closed[i]) for i in sorted(closed)))
PYEOF
held_pid=$!
# scrapes from another host while $BASE.80 holds its four (the trickling
# ones are cut at 5 s, and the holder then ends); tried again for as long
# as the holder holds (at most 8 tries), so that a loaded machine's slow
# start of the holder or of curl is not taken for a refusal
sleep 1
served=0
for try in 1 2 3 4 5 6 7 8; do
    kill -0 "$held_pid" 2>/dev/null || break
    if curl -s -m 2 --interface "$BASE.81" "http://$BASE.1:23009/metrics" |
        grep -q '^sipc_uptime_seconds'; then
        served=1
        break
    fi
done
if [ "$served" = 1 ]; then
    ok "a scrape from another host is served while one host holds its four connections"
else
    bad "a scrape from $BASE.81 was not served while $BASE.80 held its connections"
fi
wait "$held_pid"
read -r -a got <"$work/held.out"
early=0 late=0
for g in "${got[@]}"; do
    t=${g#*:}
    if awk -v t="$t" 'BEGIN { exit !(t < 2) }'; then early=$((early + 1)); fi
    if awk -v t="$t" 'BEGIN { exit !(t >= 4.5 && t < 9) }'; then late=$((late + 1)); fi
done
[ "$early" = 1 ] && [ "$late" = 4 ] &&
    ok "the fifth connection from one host closed at once, the four trickling ones once 5 s overdue" ||
    { cp "$work/held.out" "$OUT"; bad "connections closed at (index:seconds) '${got[*]}', want one at once and four at 4.5-9 s"; }
warned() { grep -rq "WARN http://$BASE.1:23009/metrics: 1 connection(s) refused because their host held 4 already" "$home/logs/"; }
if wait_for 5 warned; then
    ok "the log says it: a WARN naming the endpoint and the refused connection"
else
    grep -rh "Metrics\|metrics" "$home/logs/" >"$OUT"
    bad "no WARN about the refused /metrics connection"
fi
shtest_done
