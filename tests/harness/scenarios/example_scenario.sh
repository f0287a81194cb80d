#!/usr/bin/env bash
# example_scenario.sh - a scenario of one's own, as docs/testing.md ("A
# scenario of your own") shows it: two nodes under load, n2 killed and
# restarted, nothing acknowledged lost. Copy it, change what it does:
#   SIPC_TEST_NET=127.1.242 bash build/sipc-cluster.d/example_scenario.sh
. "$(dirname "$0")/scenario.sh"

cluster up -n 2 --base "$NET.0" >"$OUT" 2>&1 && ok "up: 2 nodes, TLS off" || { bad "up"; exit 1; }
cluster load start --rate 100 >"$OUT" 2>&1 || { bad "load start"; exit 1; }
sleep 1
run cluster kill n2
expect "kill n2" 0 '^n2 \(pid [0-9]+\) killed with SIGKILL$'
run cluster status
expect "status with n2 dead: 69" 69 '^n2 .* dead ' 'unreachable: n2$'
t0=$(date +%s%3N)
run cluster restart n2
expect "restart n2" 0 '^n2 restarted \(pid [0-9]+\)'
figure "restart ms" "$(ms_since "$t0")"
wait_for 20 cluster status >/dev/null || not_ok "not every node healthy 20 s after the restart"
load_verify "kill and restart"
