#!/usr/bin/env bash
# test_storage_slow.sh - writes that wait are not `storage: ok`. Another
# process holds the database's write lock (an sqlite3 shell in BEGIN
# EXCLUSIVE) while puts arrive at a real sipcd ($BASE.1, plaintext), for
# less than the data service's 5 s busy timeout, so that nothing fails: the
# writes only wait. Once the oldest has waited the default [data]
# writes_slow_ms (2 s): `sipcctl status` says writes SLOW with how many
# wait, for how long and the threshold, its JSON says slow, the cluster
# status has a storage_slow problem (exit 1) and the metrics give the age
# and depth. The lock released: every put is answered as stored and can be
# read back, and the status is ok again, metrics 0, cluster OK.
# test_storage_slow_threshold sets the threshold.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.152}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE.1":{23000,23001,23002,23003}
shtest_init storage-slow
home=$work/home
one_node_home "$home" slow
sipcd_start "$home" || exit 1

run ctl put before --body "stored"
expect "a put works before the lock" 0
run ctl status
expect "status: storage ok" 0 '^  storage: ok$'
run ctl status --json
if jq -e '.storage.writes | .slow == false and .waiting == 0 and .oldest_wait_ms == 0 and .slow_after_ms == 2000' "$OUT" >/dev/null; then
    ok "status --json: nothing waits"
else
    bad "status --json: writes waiting on an idle node"
fi

# The lock, released when $work/release appears, and by itself 4.5 s after
# it was taken: no put fails whatever this test's timing.
hold_write_lock "$home/data/records.db" "$work/locked" "$work/release" ||
    { not_ok "the lock was not taken"; shtest_done; exit 1; }
puts=()
for i in 1 2 3 4 5 6; do
    ctl put "slow-$i" --body "waited $i" >"$work/put-$i.out" 2>&1 &
    puts+=($!)
done

if until_status 4 '^  storage: writes SLOW: '; then
    ok "while the writes wait: status says writes SLOW"
else
    bad "no 'storage: writes SLOW' while the lock was held"
fi
# taken at once, while the lock is still held
ctl status --json >"$work/st.json" 2>&1
ctl metrics >"$work/metrics.txt" 2>&1
ctl status --cluster --json >"$work/cluster.json" 2>&1
cluster_rc=$?
touch "$work/release"
wait "$locker"
locker_rc=$?

OUT=$work/status-slow.txt
grep -E '^  storage: ' "$work/out.txt" >"$OUT"
if grep -Eq '^  storage: writes SLOW: 6 writes \([0-9]+ bytes\) waiting, the oldest for [2-4] s \(threshold 2 s, \[data\] writes_slow_ms\): check for another process holding records.db.s write lock .*fuser' "$OUT" &&
    ! grep -q '^  storage: ok$' "$OUT"; then
    ok "the SLOW line: 6 writes, the oldest's age, what to check; no 'storage: ok'"
else
    bad "the SLOW line"
fi
OUT=$work/st.json
if jq -e '.storage.writes | .slow == true and .waiting == 6 and .waiting_bytes > 0 and .oldest_wait_ms >= 2000 and .failing == false' "$OUT" >/dev/null; then
    ok "status --json: slow, 6 waiting, the oldest 2 s or more, not failing"
else
    bad "status --json while the writes wait"
fi
OUT=$work/metrics.txt
if grep -Eq '^sipc_storage_writes_waiting 6$' "$OUT" &&
    grep -Eq '^sipc_storage_writes_waiting_bytes [1-9][0-9]*$' "$OUT" &&
    grep -Eq '^sipc_storage_writes_oldest_wait_seconds [2-4](\.[0-9]+)?$' "$OUT"; then
    ok "metrics: 6 writes waiting, the oldest 2 s or more"
else
    bad "metrics while the writes wait"
fi
OUT=$work/cluster.json
if [ "$cluster_rc" = 1 ] &&
    jq -e '[.problems[] | select(.kind == "storage_slow" and .node == "n1" and (.message | test("^n1: writes to its database wait: 6 writes .* waiting, the oldest for [0-9]+ s")))] | length == 1' "$OUT" >/dev/null; then
    ok "status --cluster: a storage_slow problem for n1, exit 1"
else
    bad "status --cluster: no storage_slow problem (exit $cluster_rc)"
fi
[ "$locker_rc" = 0 ] && ok "the lock was released" || not_ok "the lock holder failed (exit $locker_rc)"

# the writes drain: every put answered as stored, nothing lost
OUT=$work/out.txt
puts_answered "the six puts were answered as stored once the lock went" "${puts[@]}"
stored=0
for i in 1 2 3 4 5 6; do
    ctl get "slow-$i" 2>&1 | grep -q "waited $i" && stored=$((stored + 1))
done
[ "$stored" = 6 ] && ok "every put is stored" || not_ok "$stored of 6 puts stored"
if until_status 5 '^  storage: ok$'; then
    ok "status: storage ok again"
else
    bad "status not ok again after the writes drained"
fi
run ctl status --json
if jq -e '.storage.writes | .slow == false and .waiting == 0 and .waiting_bytes == 0 and .oldest_wait_ms == 0 and .failures_total == 0' "$OUT" >/dev/null; then
    ok "status --json: nothing waits, nothing failed"
else
    bad "status --json after the writes drained"
fi
run ctl metrics
expect "metrics: 0 waiting again" 0 '^sipc_storage_writes_waiting 0$' '^sipc_storage_writes_oldest_wait_seconds 0$'
run ctl status --cluster
expect "status --cluster: OK again" 0 '^cluster OK'
if ! datalog_has 'Data.Storage'; then
    ok "no Data.Storage line: the writes waited, none failed"
else
    not_ok "Data.Storage lines:"; datalog | grep Data.Storage
fi
shtest_done
