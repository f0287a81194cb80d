#!/usr/bin/env bash
# test_storage_remount.sh - a node whose database's file system is
# read-only recovers, without a restart, once it is remounted read-write: a
# real sipcd ($BASE.1, plaintext) with its data directory on a tmpfs.
# (a) Killed (its -wal and -shm stay) and started on the tmpfs remounted
# read-only, it serves reads and refuses writes; remounted read-write, the
# node notices (its check of the file system: 10 s on a node, 500 ms here,
# $SIPCD_STORAGE_PROBE_MS), opens its writing connection again, a put
# succeeds and the status is green again, the same sipcd throughout. (b) Stopped cleanly (no -shm left) and started on
# the read-only tmpfs, where SQLite cannot open the database at all, the
# node stays up (before: exit 73): its status says the database is not open
# and why, at the start's attempt and at the timer's next ones, the cluster
# status lists storage_unopened (exit 1), the metrics
# say it, data calls are refused with the reason; remounted read-write, the
# data service opens the database by itself, says so, and serves.
# Needs root to mount the tmpfs, in a mount namespace of its own: skipped
# (exit 77) otherwise.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.49}
. "$(dirname "$0")/../support/shtest.sh"
shtest_mount_ns "$0" "$@"
need_free "$BASE.1":{23000,23001,23002,23003}
shtest_init remount
home=$work/home
data_on_tmpfs "$home" 8m
one_node_home "$home" remount
# the test writes, the quiet time that ends a failure and the timed open
# attempts: 10 s on a node; what is shown is the same
export SIPCD_STORAGE_PROBE_MS=500

sipcd_start "$home" || exit 1
run ctl put before --body "stored before"
expect "a put works on the writable file system" 0
kill -KILL "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null

# (a) the writer opened read-only, then the file system remounted
mount -o remount,ro "$mnt" || { echo "cannot remount the tmpfs read-only"; exit 1; }
sipcd_start "$home" || exit 1
pid=$sipcd_pid
run ctl status
expect "read-only: writes FAIL, and the advice needs no restart" 0 '^  storage: writes FAIL since [0-9TZ:-]*: .*records.db: read-only file system: remount it read-write .*: writes resume without a restart$'
if grep -q 'restart the node' "$OUT"; then bad "the advice still says to restart"; else ok "no restart asked"; fi
run ctl put refused --body "refused"
expect "a put is refused" 1 'refused'
mount -o remount,rw "$mnt"
if until_status 30 '^  storage: ok$'; then
    ok "remounted read-write: status ok again, without a restart"
else
    bad "status not ok within 30 s of the remount"
fi
run ctl put after --body "stored after the remount"
expect "a put succeeds on the same sipcd" 0
run ctl get after
expect "and is read back" 0 'stored after the remount'
run ctl get before
expect "the records from before are still served" 0 'stored before'
if kill -0 "$pid" 2>/dev/null && [ "$pid" = "$sipcd_pid" ]; then ok "the same sipcd"; else bad "sipcd is gone"; fi
if logged 'Data.Storage INFO .*records.db can be written again .*opened again for writing'; then
    ok "the log says the database was opened again for writing"
else
    not_ok "no such INFO"; datalog | grep Data.Storage | tail -3
fi
if logged 'Data.Storage INFO writes to the database work again'; then
    ok "and that writes work again"
else
    not_ok "no 'work again' INFO"; datalog | grep Data.Storage | tail -3
fi
kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
sipcd_pid=

# (b) no -shm (a clean stop) on a read-only file system: SQLite cannot open
# the database; the node stays up without it, and says why at every attempt
if [ -e "$mnt/data/records.db-shm" ]; then bad "a -shm is left after a clean stop"; fi
mount -o remount,ro "$mnt"
sipcd_start "$home" || exit 1
pid=$sipcd_pid
run ctl status
expect "status: the database is not open, with the read-only file system and the remount" 0 '^  storage: NOT OPEN since [0-9TZ:-]* \([0-9]+ attempts?, the latest at [0-9TZ:-]*\): [^ ]*/records.db: .*read-only file system.*remount it read-write .*without a restart$'
# the timer's attempts (1 s apart here, then doubling) fail as SQLite did
# at start ("unable to open database file (No such file or directory)", for
# a file that is there): what follows keeps the read-only file system and
# the remount
if until_status 15 '^  storage: NOT OPEN since .* \(([3-9]|[1-9][0-9]+) attempts,'; then
    ok "the timer's attempts came"
else
    bad "not three attempts within 15 s"
fi
run ctl status
expect "after the timer's attempts, status still names the read-only file system and the remount" 0 '^  storage: NOT OPEN since [0-9TZ:-]* \(([3-9]|[1-9][0-9]+) attempts, the latest at [0-9TZ:-]*\): [^ ]*/records.db: .*read-only file system.*remount it read-write .*without a restart$'
run ctl status --cluster --json
if [ "$RC" = 1 ] && jq -e '[.problems[] | select(.kind == "storage_unopened" and .node == "n1" and (.message | test("n1: its database is not open since .*read-only file system")))] | length == 1' "$OUT" >/dev/null &&
    jq -e '[.problems[] | select(.kind == "storage_failing")] | length == 0' "$OUT" >/dev/null; then
    ok "status --cluster: storage_unopened naming the node and the cause, exit 1"
else
    bad "status --cluster: no storage_unopened (exit $RC)"
fi
run ctl status --cluster
expect "status --cluster (text) names it" 1 'n1: its database is not open'
run ctl metrics
if grep -q '^sipc_storage_open 0$' "$OUT" && grep -q '^sipc_storage_failing{operation="writes"} 1$' "$OUT"; then
    ok "metrics: sipc_storage_open 0, writes failing"
else
    bad "metrics do not say it"
fi
run ctl get before
expect "a get is refused with the reason" 1 'records.db is not open .*read-only file system'
run ctl put refused --body "refused"
expect "a put is refused with the reason" 1 'records.db is not open .*read-only file system'
run ctl search --json record
if jq -e '.missing | length == 1' "$OUT" >/dev/null 2>&1 || grep -q 'not open' "$OUT"; then
    ok "search says this node's part is missing"
else
    bad "search: exit $RC"
fi
n=$(datalog | grep -c 'Data.Storage ERROR the database cannot be opened: .*read-only file system.*The node runs without it')
if [ "$n" = 1 ]; then ok "the log says it once at ERROR"; else bad "ERROR lines: $n"; fi
mount -o remount,rw "$mnt"
if until_status 30 '^  storage: ok$'; then
    ok "remounted read-write: the data service opened the database, status ok"
else
    bad "status not ok within 30 s of the remount"
fi
if logged 'Data.Storage INFO the database is open: the data service is up'; then
    ok "the log says the data service is up"
else
    not_ok "no such INFO"; datalog | grep Data.Storage | tail -3
fi
run ctl get before
expect "reads are served" 0 'stored before'
run ctl put later --body "stored later"
expect "writes are taken" 0
run ctl metrics
if grep -q '^sipc_storage_open 1$' "$OUT"; then ok "metrics: sipc_storage_open 1"; else bad "metrics: not open"; fi
if kill -0 "$pid" 2>/dev/null && [ "$pid" = "$sipcd_pid" ]; then ok "the same sipcd"; else bad "sipcd is gone"; fi
kill -TERM "$sipcd_pid"; wait "$sipcd_pid"
rc=$?
if [ "$rc" = 0 ]; then ok "it stops cleanly"; else bad "stop: exit $rc"; fi
sipcd_pid=
shtest_done
