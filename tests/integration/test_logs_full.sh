#!/usr/bin/env bash
# test_logs_full.sh - a node tells when it cannot write its log files or its
# state/ files, and works again by itself once it can. A real sipcd
# ($BASE.1, plaintext) whose logs/ and state/ are small tmpfs mounts.
#   - logs/ filled up by a file, then SIGHUPs make log lines: stderr says
#     once that the log files stopped (and why), no file is left ending in
#     half a line, `sipcctl status` says "logs: FAIL since ...: ... No space
#     left on device", `status --cluster --json` has a logs_failing problem
#     (exit 1) and the metric sipc_files_failing{files="logs"} is 1. The
#     filler removed, with nothing logged: stderr says once that they are
#     written again, every line held meanwhile is in the files, whole, and
#     the status, the cluster and the metric are ok again.
#   - state/ filled up, then a put (the records' mark changes): status says
#     "storage: state/ writes FAIL", the cluster a state_failing problem; the
#     filler removed: ok again without a restart.
#   - records.db found damaged while state/ is full: no state/records-damaged
#     and a state_failing problem; the filler removed: the verdict is written
#     by itself and state_failing ends.
# Needs root to mount the tmpfs, in a mount namespace of its own (so that
# they go with the test however it ends): skipped (exit 77) otherwise.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.58}
. "$(dirname "$0")/../support/shtest.sh"
shtest_mount_ns "$0" "$@"
need_free "$BASE.1":{23000,23001,23002,23003}
shtest_init logsfull
home=$work/home
one_node_home "$home" logsfull
mkdir -p "$home/logs" "$home/state"
mount -t tmpfs -o size=128k,mode=0750 tmpfs "$home/logs" || { echo "cannot mount a tmpfs"; exit 1; }
mount -t tmpfs -o size=64k,mode=0700 tmpfs "$home/state" || { umount "$home/logs"; echo "cannot mount a tmpfs"; exit 1; }
at_exit 'if [ -n "${sipcd_pid:-}" ]; then kill -KILL "$sipcd_pid"; wait "$sipcd_pid"; fi 2>/dev/null; umount "$home/logs" "$home/state"'
export TZ=UTC
sipcd_start "$home" || exit 1
ctl() { "$BIN/sipcctl" --home "$home" --timeout 10000 "$@"; }
problem_kinds() { jq -r '[.problems[] | "\(.kind):\(.node)"] | join(",")' "$OUT"; }

run ctl status
expect "status before: logs ok, storage ok" 0 '^  logs: ok$' '^  storage: ok$'

# --- logs/ full ---------------------------------------------------------------
head -c 1M /dev/zero >"$home/logs/filler" 2>/dev/null
# the files' last pages have room left: enough reloads to fill them
for i in $(seq 1 30); do
    kill -HUP "$sipcd_pid"
    sleep 0.2
done
stopped=$(grep -c 'the log files in .*/logs stopped at .*No space left on device' "$home.out")
if [ "$stopped" = 1 ]; then
    ok "stderr says once that the log files stopped, and why"
else
    not_ok "stderr has $stopped lines saying the log files stopped"; tail -5 "$home.out"
fi
cut=0
for f in "$home/logs/"*Service_*.log; do
    [ -s "$f" ] && [ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" != '\n' ] && { cut=1; echo "# $f ends in: $(tail -c 60 "$f")"; }
done
[ "$cut" = 0 ] && ok "no log file ends in half a line" || not_ok "a log file ends in half a line"
run ctl status
expect "status: logs FAIL since, with the reason" 0 '^  logs: FAIL since 20[0-9-]*T[0-9:]*Z \([0-9]* writes? failed, the latest at [^)]*\): cannot write .*/logs/[A-Za-z]*Service_[0-9]*\.log: No space left on device$'
run ctl status --cluster --json
if [ "$RC" = 1 ] && [ "$(problem_kinds)" = "logs_failing:n1" ] &&
    jq -e --arg fix "free space in (or repair) the file system of $home/logs: " \
        '.problems[0].message | test("n1 cannot write its log files since .*No space left on device") and contains($fix)' "$OUT" >/dev/null; then
    ok "status --cluster: one logs_failing problem for n1, naming HOME/logs by its path, exit 1"
else
    bad "status --cluster: kinds '$(problem_kinds)', exit $RC"
fi
run ctl metrics
expect "metrics: sipc_files_failing{files=\"logs\"} 1" 0 '^sipc_files_failing\{files="logs"\} 1$'

rm -f "$home/logs/filler"
_again() { grep -q 'the log files in .*/logs are written again: [0-9]* writes\{0,1\} failed since .*No space left on device), 0 lines lost' "$home.out"; }
if wait_for 10 _again; then
    ok "with nothing logged, the node found the files writable again and said so on stderr"
else
    not_ok "no 'written again' line on stderr"; tail -5 "$home.out"
fi
n=$(grep -c 'Service.Reload INFO Reload requested by SIGHUP' "$home/logs/"ManagementService_*.log)
if [ "$n" = 30 ]; then
    ok "the 30 reload lines held while the disk was full are all in the file"
else
    not_ok "the management log has $n of the 30 reload lines"
fi
bad_lines=$(cat "$home/logs/"*Service_*.log | grep -cv '^20[0-9-]*T[0-9:.]*[+-][0-9:]* [A-Za-z.]* [A-Z]* ')
[ "$bad_lines" = 0 ] && ok "every line of the log files is whole" || not_ok "$bad_lines log lines are not whole"
run ctl status
expect "status: logs ok again" 0 '^  logs: ok$'
run ctl status --cluster
expect "status --cluster: OK again" 0 '^cluster OK'
run ctl metrics
expect "metrics: sipc_files_failing{files=\"logs\"} 0, failures counted" 0 '^sipc_files_failing\{files="logs"\} 0$' '^sipc_files_write_failures_total\{files="logs"\} [1-9]'

# --- state/ full --------------------------------------------------------------
head -c 1M /dev/zero >"$home/state/filler" 2>/dev/null
run ctl put full-state --body "one"
expect "a put works with state/ full (the database is elsewhere)" 0
_state_fails() { ctl status >"$OUT" 2>&1 && grep -q '^  storage: state/ writes FAIL since .*records-mark.*No space left on device' "$OUT"; }
if wait_for 10 _state_fails; then
    ok "status: storage: state/ writes FAIL, naming the file and why"
else
    bad "status does not say that state/ cannot be written"
fi
if grep -q '^  storage: ok$' "$OUT"; then not_ok "status still says storage: ok"; else ok "no 'storage: ok' while state/ fails"; fi
run ctl status --cluster --json
if [ "$RC" = 1 ] && [ "$(problem_kinds)" = "state_failing:n1" ] &&
    jq -e --arg fix "free space in (or repair) the file system of $home/state: " \
        '.problems[0].message | contains($fix)' "$OUT" >/dev/null; then
    ok "status --cluster: one state_failing problem for n1, naming HOME/state by its path, exit 1"
else
    bad "status --cluster: kinds '$(problem_kinds)', exit $RC"
fi
run ctl metrics
expect "metrics: sipc_files_failing{files=\"state\"} 1" 0 '^sipc_files_failing\{files="state"\} 1$'
rm -f "$home/state/filler"
_state_ok() { ctl status >"$OUT" 2>&1 && grep -q '^  storage: ok$' "$OUT"; }
if wait_for 10 _state_ok; then
    ok "state/ writable again: storage ok without a restart"
else
    bad "storage not ok again after state/ was freed"
fi
run ctl status --cluster
expect "status --cluster: OK after state/ was freed" 0 '^cluster OK'

# --- the damage verdict with state/ full ---------------------------------------
# records.db found damaged while state/records-damaged cannot be written: once
# state/ has room, the verdict is written by itself and the failure it began
# ends (nothing else writing that file would end it)
db=$home/data/records.db
python3 - "$work/in.ndjson" <<'PY'
import json, sys
with open(sys.argv[1], 'w') as f:
    for i in range(400):
        f.write(json.dumps({'id': 'd-%03d' % i, 'timestamp_ms': 1764000000000 + i,
                            'body': ('damaged %d ' % i) * 100}) + '\n')
PY
run ctl ingest "$work/in.ndjson"
expect "400 records stored" 0
# stopped and started again: the records in records.db itself, none in the
# WAL or a connection's cache
kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null; sipcd_pid=
sipcd_start "$home" || exit 1
run ctl status
expect "restarted: storage ok" 0 '^  storage: ok$'
pages=$(( $(stat -c %s "$db") / 4096 ))
head -c 1M /dev/zero >"$home/state/filler" 2>/dev/null
python3 -c '
import os, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(3 * 4096); f.write(os.urandom(int(sys.argv[2]) * 4096))' "$db" $((pages - 4))
run ctl list --json --since 2025-01-01T00:00:00Z --limit 1000
if [ "$RC" != 0 ] && grep -q 'malformed' "$OUT"; then ok "a read meets the damage (exit $RC)"; else bad "the read did not meet the damage (exit $RC)"; fi
if [ ! -s "$home/state/records-damaged" ]; then ok "state/ full: no verdict written"; else bad "a verdict was written into a full state/"; fi
run ctl status --cluster --json
if [ "$RC" = 1 ] && jq -e '[.problems[].kind] | index("state_failing")' "$OUT" >/dev/null; then
    ok "status --cluster: state_failing while the verdict cannot be saved"
else
    bad "status --cluster: kinds '$(problem_kinds)', exit $RC"
fi
rm -f "$home/state/filler"
_verdict() { grep -q '^instance [0-9]* file [0-9]* at .*Z: .*malformed' "$home/state/records-damaged" 2>/dev/null; }
if wait_for 10 _verdict; then
    ok "state/ writable again: the verdict is written by itself"
else
    bad "no verdict in state/records-damaged after state/ was freed"
fi
_no_state_failing() {
    ctl status --cluster --json >"$OUT" 2>&1
    jq -e '[.problems[].kind] | (index("state_failing") | not) and (index("storage_failing") != null)' "$OUT" >/dev/null
}
if wait_for 10 _no_state_failing; then
    ok "status --cluster: the state/ failure ended, only the damaged database left"
else
    bad "status --cluster: kinds '$(problem_kinds)' after the verdict could be saved"
fi
shtest_done
