#!/usr/bin/env bash
# test_storage_slow_threshold.sh - [data] writes_slow_ms sets when waiting
# writes are SLOW. Two one-node clusters, n1 at $BASE.1 with
# writes_slow_ms = 60000 and n2 at $BASE.2 with 500, each with another
# process holding its database's write lock (test_storage_slow's way) while
# three puts arrive, for the same time, past the default 2 s and under the
# 5 s busy timeout: n2 says writes SLOW with its threshold, its cluster
# status storage_slow (exit 1); n1, whose oldest write has waited as long,
# says storage ok, not slow, and its cluster status OK (exit 0). Every put
# is then answered as stored. A changed threshold is applied by a reload;
# n2's [data] max_attributes = 10 takes a record of 10 attributes, refuses
# one of 11, and a changed one waits for a restart.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.169}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE.1":{23000,23001,23002,23003} "$BASE.2":{23000,23001,23002,23003}
shtest_init storage-slow-threshold
hi=$work/hi
lo=$work/lo
node_home "$hi" hi n1 "$BASE.1" "$BASE.1"
printf '[data]\nwrites_slow_ms = 60000\n' >>"$hi/sipc.conf"
node_home "$lo" lo n2 "$BASE.2" "$BASE.2"
printf '[data]\nwrites_slow_ms = 500\nmax_attributes = 10\n' >>"$lo/sipc.conf"
sipcd_start "$hi" || exit 1
sipcd_start "$lo" || exit 1

home=$hi
ctl status --json >"$work/idle.json" 2>&1
check "n1's status gives its threshold, 60000 ms" jq -e '.storage.writes.slow_after_ms == 60000' "$work/idle.json"
home=$lo
ctl status --json >"$work/idle.json" 2>&1
check "n2's status gives its threshold, 500 ms" jq -e '.storage.writes.slow_after_ms == 500' "$work/idle.json"

lockers=()
for n in hi lo; do
    home=$work/$n
    hold_write_lock "$home/data/records.db" "$work/locked-$n" "$work/release" ||
        { not_ok "the lock on $n was not taken"; touch "$work/release"; shtest_done; exit 1; }
    lockers+=("$locker")
done
puts=()
for n in hi lo; do
    home=$work/$n
    for i in 1 2 3; do
        ctl put "$n-$i" --body "waited $i" >"$work/put-$n-$i.out" 2>&1 &
        puts+=($!)
    done
done

# n1's oldest write waiting longer than the default threshold (2 s) while
# the lock is still held (4.5 s at most)
home=$hi
waited=0
deadline=$(($(date +%s) + 4))
while [ "$(date +%s)" -lt "$deadline" ]; do
    ctl status --json >"$work/hi.json" 2>&1
    if jq -e '.storage.writes | .waiting == 3 and .oldest_wait_ms >= 2200' "$work/hi.json" >/dev/null; then
        waited=1
        break
    fi
    sleep 0.1
done
ctl status >"$work/hi-status.txt" 2>&1
ctl status --cluster --json >"$work/hi-cluster.json" 2>&1
hi_cluster_rc=$?
home=$lo
ctl status >"$work/lo-status.txt" 2>&1
ctl status --json >"$work/lo.json" 2>&1
ctl status --cluster --json >"$work/lo-cluster.json" 2>&1
lo_cluster_rc=$?
touch "$work/release"
for pid in "${lockers[@]}"; do
    wait "$pid" || not_ok "a lock holder failed"
done

OUT=$work/hi.json
if [ "$waited" = 1 ] && jq -e '.storage.writes | .slow == false and .failing == false' "$OUT" >/dev/null; then
    ok "n1 (60000 ms): 3 writes waiting 2.2 s or more, not slow"
else
    bad "n1 (60000 ms): its writes did not wait 2.2 s, or were slow"
fi
OUT=$work/hi-status.txt
if grep -q '^  storage: ok$' "$OUT" && ! grep -q 'writes SLOW' "$OUT"; then
    ok "n1: status says storage ok"
else
    bad "n1: status while its writes wait under its threshold"
fi
OUT=$work/hi-cluster.json
if [ "$hi_cluster_rc" = 0 ] && jq -e '[.problems[] | select(.kind == "storage_slow")] | length == 0' "$OUT" >/dev/null; then
    ok "n1: status --cluster has no storage_slow, exit 0"
else
    bad "n1: status --cluster (exit $hi_cluster_rc)"
fi
OUT=$work/out.txt
check "n2 (500 ms): slow, 3 writes waiting, not failing" \
    jq -e '.storage.writes | .slow == true and .waiting == 3 and .oldest_wait_ms >= 500 and .failing == false' "$work/lo.json"
OUT=$work/lo-status.txt
if grep -Eq '^  storage: writes SLOW: 3 writes \([0-9]+ bytes\) waiting, the oldest for [0-9]+ s \(threshold 500 ms, \[data\] writes_slow_ms\): ' "$OUT"; then
    ok "n2: status says writes SLOW with its threshold and the key"
else
    bad "n2: no SLOW line naming 500 ms and [data] writes_slow_ms"
fi
OUT=$work/lo-cluster.json
if [ "$lo_cluster_rc" = 1 ] &&
    jq -e '[.problems[] | select(.kind == "storage_slow" and .node == "n2" and (.message | test("threshold 500 ms, \\[data\\] writes_slow_ms")))] | length == 1' "$OUT" >/dev/null; then
    ok "n2: status --cluster has storage_slow with the threshold, exit 1"
else
    bad "n2: status --cluster (exit $lo_cluster_rc)"
fi

puts_answered "the six puts were answered as stored once the locks went" "${puts[@]}"

# the threshold is the status's to read: a reload applies it at once
home=$lo
printf 'writes_slow_ms = 800\n' >>"$home/sipc.conf"
run ctl reload
expect "reload with writes_slow_ms changed: applied at once" 0 \
    'changed: \[data\] writes_slow_ms: 500 ms -> 800 ms' 'applied at once'
ctl status --json >"$work/after.json" 2>&1
check "n2's status gives its new threshold, 800 ms" jq -e '.storage.writes.slow_after_ms == 800' "$work/after.json"

# [data] max_attributes = 10 on n2: 10 attributes stored, 11 refused
attrs=()
for i in $(seq 1 10); do attrs+=(--attr "k$i=v"); done
run ctl put many-10 --body b "${attrs[@]}"
expect "n2 stores a record of 10 attributes (its max_attributes)" 0
run ctl put many-11 --body b "${attrs[@]}" --attr k11=v
expect "n2 refuses a record of 11" 1 '11 attributes exceed the maximum of 10'
printf 'max_attributes = 90\n' >>"$home/sipc.conf"
run ctl reload
expect "reload with max_attributes changed: a restart needed (exit 3)" 3 \
    'needs a restart, not applied: \[data\] max_attributes: 10 -> 90'
shtest_done
