#!/usr/bin/env bash
# test_clock_step.sh - one node's wall clock stepped 3 days ahead while it
# runs (libfaketime reading its offset from a file, the monotonic clock left
# alone: what an NTP step does): nodes n1 ($BASE.21) and n2 ($BASE.22),
# plaintext, standard ports.
#   - n2's status keeps its `started` and its `uptime_seconds` (the time it
#     has run, on the monotonic clock), and its `clock` is 3 days ahead
#   - status --cluster asked of n1 names n2's clock as 3 days ahead (not
#     "2 days": the seconds the answers took are not rounded down), with
#     skew_seconds
# Skipped (exit 77) without libfaketime.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.35}
. "$(dirname "$0")/../support/shtest.sh"
faketime_lib || { echo "# skipped: no libfaketime.so.1"; exit 77; }
need_free "$BASE".{21,22}:{23000,23001,23002,23003}
shtest_init clockstep
ctl() { "$BIN/sipcctl" --timeout 3000 "$@"; }
node_home "$work/n1" cs n1 "$BASE.21" "$BASE.21, $BASE.22"
node_home "$work/n2" cs n2 "$BASE.22" "$BASE.21, $BASE.22"
sipcd_start "$work/n1" || exit 1
n1_pid=$sipcd_pid
echo "+0" >"$work/ft.rc"
SIPCD_FAKETIME=$work/ft.rc FAKETIME_DONT_FAKE_MONOTONIC=1 sipcd_start "$work/n2" || exit 1
n2_pid=$sipcd_pid
at_exit "kill -TERM $n1_pid $n2_pid 2>/dev/null"

cluster_ok() { ctl --home "$work/n1" status --cluster >/dev/null 2>&1; }
wait_for 20 cluster_ok || { run ctl --home "$work/n1" status --cluster; bad "the cluster is not OK before the step"; }
ctl --home "$work/n2" status --json >"$work/before.json" 2>"$OUT" || bad "n2's status before the step"
echo "+3d" >"$work/ft.rc"
sleep 1
ctl --home "$work/n2" status --json >"$work/after.json" 2>"$OUT" || bad "n2's status after the step"
read -r started0 started1 up1 clock1 <<<"$(jq -rs '"\(.[0].node.started) \(.[1].node.started) \(.[1].node.uptime_seconds) \(.[1].node.clock // "1970-01-01T00:00:00Z" | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601)"' \
    "$work/before.json" "$work/after.json")"
if [ "$started0" = "$started1" ] && [ "$up1" -lt 600 ]; then
    ok "n2's clock stepped 3 days ahead: started $started1 kept, uptime_seconds $up1"
else
    not_ok "n2's clock stepped 3 days ahead: started $started0 -> $started1, uptime_seconds $up1"
fi
ahead=$((clock1 - $(date +%s)))
if [ "$ahead" -gt $((3 * 86400 - 60)) ] && [ "$ahead" -lt $((3 * 86400 + 60)) ]; then
    ok "n2's status: its clock $ahead s ahead"
else
    not_ok "n2's status: its clock $ahead s ahead ($(jq -c .node "$work/after.json"))"
fi

ctl --home "$work/n1" status --cluster --json >"$work/cluster.json" 2>"$OUT"
read -r skew msg <<<"$(jq -r '.problems[] | select(.kind == "clock_skew") | "\(.skew_seconds) \(.message)"' \
    "$work/cluster.json")"
if [[ "$msg" == "n2's clock is 3 days ahead of n1's"* ]] && [ "${skew:-0}" -gt $((3 * 86400 - 60)) ] &&
    [ "${skew:-0}" -lt $((3 * 86400 + 60)) ]; then
    ok "status --cluster: ${msg%%:*} (skew_seconds $skew)"
else
    not_ok "status --cluster: clock_skew '${msg:-none}' skew_seconds ${skew:-none}"
    shtest_show "$work/cluster.json"
fi
shtest_done
