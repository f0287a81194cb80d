#!/usr/bin/env bash
# test_storage_erofs.sh - the file system turns read-only under a running
# node, as ext4 does after an error (the kernel's emergency read-only state,
# which statvfs does not show): a real sipcd ($BASE.12, plaintext) whose
# writes to records.db* fail with EROFS once a flag file exists (an
# LD_PRELOAD library). A put is then refused, and status, cluster status and
# the log say writes FAIL because of the read-only file system and that its
# fsck needs the node stopped (the kernel's emergency state, not a read-only
# mount), not that the account needs write access;
# writable again, the node's test write finds it and writes resume.
# Killed and started again on it, the node serves reads and says the same,
# and keeps its writer read-only while the file system is; once writable
# again (the flag removed, as a remount), writes resume without a restart.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
SHIM=${1:?the erofs_writes library}
BASE=${SIPC_TEST_NET:-127.1.42}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE.12":{23000,23001,23002,23003}
shtest_init storage_erofs
home=$work/home
node_home "$home" erofs n1 "$BASE.12" "$BASE.12"
export EROFS_FLAG=$work/read-only
sipcd_preloaded "$SHIM"
# the test writes' and the read-only writer's checks, 10 s on a node: what
# is shown is the same
export SIPCD_STORAGE_PROBE_MS=1000
# the kernel's emergency state (EROFS, the mount not read-only): its fsck
# needs the file system unmounted, so the advice stops the node first
remount="read-only file system \\(the kernel's, after an error; not a read-only mount\\): stop the node to unmount and fsck it, then start it again"

# a test setting and a misspelt one are said at start, in every service's log
export SIPCD_STORAGE_PROB_MS=5
sipcd_start "$home" || exit 1
unset SIPCD_STORAGE_PROB_MS
n=$(each_log "$home" 'WARN Test setting SIPCD_STORAGE_PROBE_MS=1000 in effect: it shortens a wait')
[ "$n" = 4 ] && ok "the test setting is said in the 4 logs" || not_ok "test setting said in $n of 4 logs"
n=$(each_log "$home" 'WARN Unknown setting SIPCD_STORAGE_PROB_MS in the environment is ignored')
[ "$n" = 4 ] && ok "the unknown setting is said in the 4 logs" || not_ok "unknown setting said in $n of 4 logs"
run ctl put before --body "stored before"
expect "a put works before" 0
touch "$EROFS_FLAG"
failed_at=$(date +%s%3N)
run ctl put after --body "refused"
expect "a put is refused once the file system is read-only" 1 'refused: .*records.db'
run ctl status
expect "status: writes FAIL, naming the read-only file system and the remount" 0 "^  storage: writes FAIL since [0-9TZ:-]* \(1 request failed, [^)]*\): .*records.db: commit: .*: $remount\$"
if grep -q 'write access' "$OUT"; then bad "status blames the account's permissions"; else ok "status does not blame permissions"; fi
run ctl status --cluster --json
if [ "$RC" = 1 ] && jq -e '[.problems[] | select(.kind == "storage_failing" and (.message | test("read-only file system .the kernel")))] | length == 1' "$OUT" >/dev/null; then
    ok "status --cluster: storage_failing with the remount advice, exit 1"
else
    bad "status --cluster: no storage_failing with the remount advice (exit $RC)"
fi
if grep -Eq "Data.Storage ERROR writes to the database fail: .*records.db: .*: $remount" "$home/logs/"DataService_*.log; then
    ok "the log says it with the advice"
else
    not_ok "no such ERROR"; grep Data.Storage "$home/logs/"DataService_*.log | head -3
fi
# writable again under the running node, as the advice says: its test write
# (every period, once a period passed without a failure) finds it, no restart
rm -f "$EROFS_FLAG"
deadline=$(($(date +%s) + 40))
until ctl status >"$OUT" 2>&1 && grep -q '^  storage: ok$' "$OUT" || [ "$(date +%s)" -ge "$deadline" ]; do sleep 0.5; done
back_ms=$(($(date +%s%3N) - failed_at))
run ctl status
expect "writable again while running: storage ok without a restart" 0 '^  storage: ok$'
# a node's test write waits 10 s after the latest failure; the test's period
# is 1 s, so writes were back well before that
if [ "$back_ms" -lt 9000 ]; then
    ok "the test write came at the test's period, not a node's 10 s ($back_ms ms after the failure)"
else
    not_ok "storage ok only $back_ms ms after the failure: \$SIPCD_STORAGE_PROBE_MS not taken?"
fi
run ctl put while --body "stored while running"
expect "a put is taken" 0
touch "$EROFS_FLAG"
kill -KILL "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null

sipcd_start "$home" || exit 1
run ctl get before
expect "started again on it, reads are served" 0 'stored before'
run ctl status
expect "and status says the read-only file system from the start" 0 "^  storage: writes FAIL since [0-9TZ:-]*: .*records.db: $remount\$"
# still read-only past three of the node's checks: the writer is not opened again
sleep 3
if grep -q 'can be written again' "$home/logs/"DataService_*.log; then
    bad "the writer was opened again on a file system still read-only"
else
    ok "still read-only (statvfs does not show it, access says EROFS): not opened again"
fi
# the file system writable again (a remount): writes resume, no restart
rm -f "$EROFS_FLAG"
deadline=$(($(date +%s) + 30))
until ctl status >"$OUT" 2>&1 && grep -q '^  storage: ok$' "$OUT" || [ "$(date +%s)" -ge "$deadline" ]; do sleep 0.5; done
run ctl status
expect "writable again: storage ok without a restart" 0 '^  storage: ok$'
run ctl put later --body "stored later"
expect "a put is taken" 0
kill -KILL "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
sipcd_pid=
shtest_done
