#!/usr/bin/env bash
# test_storage_readonly.sh - a node started with its database on a read-only
# file system says so from the start: a real sipcd ($BASE.1, plaintext)
# with its data directory on a tmpfs stores a record and is killed (its
# -wal and -shm stay, as when a disk error turned the file system read-only
# under it); the tmpfs is remounted read-only and the node started again.
# It serves reads, and before any write its status says writes FAIL naming
# the read-only file system and what to do, the cluster status has the
# problem (exit 1), the log says it at start; a put is refused. Stopped
# cleanly on a writable file system first (no -shm left), the node on the
# read-only one cannot open the database at all: it stays up without it
# (it exited 73 before), its status saying why (test_storage_remount: it
# opens the database once the file system is remounted read-write).
# Needs root to mount the tmpfs, in a mount namespace of its own: skipped
# (exit 77) otherwise.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.34}
. "$(dirname "$0")/../support/shtest.sh"
shtest_mount_ns "$0" "$@"
need_free "$BASE.1":{23000,23001,23002,23003}
shtest_init readonly
home=$work/home
data_on_tmpfs "$home" 8m
one_node_home "$home" readonly

sipcd_start "$home" || exit 1
run ctl put before --body "stored before"
expect "a put works on the writable file system" 0
kill -KILL "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
mount -o remount,ro "$mnt" || { echo "cannot remount the tmpfs read-only"; exit 1; }
sipcd_start "$home" || exit 1
run ctl get before
expect "reads are served" 0 'stored before'
run ctl status
expect "status says writes fail from the start, naming the read-only file system" 0 '^  storage: writes FAIL since [0-9TZ:-]*: .*records.db: read-only file system: remount it read-write .*: writes resume without a restart$'
run ctl status --cluster --json
if [ "$RC" = 1 ] && jq -e '[.problems[] | select(.kind == "storage_failing" and (.message | test("n1: writes to its database fail since [^(]*: .*read-only file system")))] | length == 1' "$OUT" >/dev/null; then
    ok "status --cluster: storage_failing for the read-only file system, exit 1"
else
    bad "status --cluster: no storage_failing (exit $RC)"
fi
if datalog | grep -q 'Data.Storage ERROR writes to the database fail: .*records.db: read-only file system: remount it read-write'; then
    ok "the log says it at start"
else
    not_ok "no ERROR at start"; datalog | grep Data.Storage | head -3
fi
run ctl put after --body "refused"
expect "a put is refused" 1 'readonly database'
kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null

# stopped cleanly on a writable file system: no -shm, which SQLite cannot
# make on a read-only one
mount -o remount,rw "$mnt"
sipcd_start "$home" || exit 1
kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
sipcd_pid=
mount -o remount,ro "$mnt"
sipcd_start "$home" || exit 1
run ctl status
expect "without its -shm the node cannot open the database: it stays up, its status saying why" 0 '^  storage: NOT OPEN since .*records.db: .*read-only file system.*remount it read-write'
kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
sipcd_pid=
shtest_done
