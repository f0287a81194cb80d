#!/usr/bin/env bash
# test_storage_removed.sh - records.db removed or moved away while sipcd
# ($BASE.10, plaintext) has it open, and the start that finds it missing:
# - moved away: the node sees it within seconds; writes are refused
#   (STORAGE, "records.db is gone from DIR ... put it back"), the status,
#   status --cluster (storage_failing, exit 1) and the metrics say it, reads
#   are served from the open file, and a copy of every committed record is
#   written beside it (records.db.saved-TIME, never over a file); moved
#   back, writes are taken again and the status says ok;
# - removed, then SIGKILL: the next start makes a new, empty database but
#   says it (WARN, a records_lost finding naming the old instance and its
#   300 records: status, --cluster, metrics), sets the -wal left behind
#   aside (not replayed, not removed); the node's copy put in place brings
#   the records back;
# - removed, then a clean stop: nothing is copied into the removed file,
#   the stop names the copy, the next start raises the finding.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.75}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE.10":{23000,23001,23002,23003}
shtest_init removed
home=$work/home
db=$home/data/records.db
node_home "$home" removed n1 "$BASE.10" "$BASE.10"
count_in() {
    python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from records").fetchone()[0])' "$1" 2>/dev/null
}
# one record, written again (unchanged) until refused
refused() { ! ctl put probe --body x >/dev/null 2>&1; }
# the records the node reads (from the open file, also while records.db is gone)
listed() { ctl list --limit 1000 2>/dev/null | tail -1 | awk '{ print $1 }'; }
taken() { ctl put "$1" --body x >/dev/null 2>&1; }
status_ok() { ctl status 2>/dev/null | grep -q '^  storage: ok$'; }

sipcd_start "$home" || exit 1
at_exit 'kill -TERM $sipcd_pid 2>/dev/null'
records_ndjson "$work/a.ndjson" 300 a removed 20
run ctl ingest "$work/a.ndjson"
expect "300 records stored" 0 "^acknowledged: 300 "
wait_for 10 marked 300 || not_ok "the mark never said 300 records"
run ctl get a-00001
expect "a read before (a reader connection open on the file)" 0

# ---- moved away while open, then back
mv "$db" "$work/away.db"
wait_for 10 refused && ok "moved away: writes are refused within seconds" ||
    not_ok "moved away: writes still taken"
run ctl put after-mv --body z
expect "moved away: a put gets STORAGE with what happened and what to do" 1 \
    "records.db is gone from .* while the node has it open \(removed or moved away\): writes are refused .*put it back"
run ctl get a-00002
expect "moved away: reads are served from the open file" 0 'removed 2 '
run ctl status
expect "moved away: status says writes FAIL, the reason" 0 \
    '^  storage: writes FAIL since .*records.db is gone from '
grep -q '^  storage: ok$' "$OUT" && bad "moved away: status still says storage: ok"
run ctl status --cluster --json
if [ "$RC" = 1 ] && jq -e '[.problems[] | select(.kind == "storage_failing" and .node == "n1" and
        (.message | test("records.db is gone from")))] | length == 1' "$OUT" >/dev/null; then
    ok "moved away: status --cluster: a storage_failing problem, exit 1"
else
    bad "moved away: status --cluster: no storage_failing problem (exit $RC)"
fi
run ctl metrics
expect "moved away: metrics: writes failing" 0 '^sipc_storage_failing\{operation="writes"\} 1$'
# a copy the node finished (it writes NAME.incomplete, then renames it)
saved() { ls "$home/data/" | grep -q '^records\.db\.saved-[0-9TZ-]*$'; }
wait_for 10 saved && ok "moved away: a copy is written beside it" || not_ok "no records.db.saved-* made"
copy=$(ls -d "$home"/data/records.db.saved-* 2>/dev/null | grep -v '\.incomplete$' | head -1)
n=$(listed)
[ "$n" = 301 ] && ok "moved away: list reads the 301 records from the open file" ||
    bad "moved away: list says $n records"
[ -n "$copy" ] && [ "$(count_in "$copy")" = 301 ] && ok "the copy holds the 301 records" ||
    bad "the copy does not hold the 301 records ($(count_in "$copy"))"
grep -q "copied to $copy" "$home/logs/"DataService_*.log && ok "the log names the copy" ||
    bad "the log does not name the copy"
run ctl status
expect "moved away: status names the copy and how to put it in place" 0 \
    "^  storage: writes FAIL since .*every committed record is copied to $copy; to keep them: stop the node, put that copy in place \(.mv ${copy##*/} records.db., records.db-wal and -shm removed first\) and start it"
# another file put in its place meanwhile (a restore, another inode): said so
cp "$copy" "$work/other.db"
mv "$work/other.db" "$db"
other_said() {
    local o
    o=$(ctl put probe --body x 2>&1)
    grep -q 'records.db in .* is another file than the one the node has open' <<<"$o"
}
wait_for 10 other_said && ok "another file in its place: writes refused, saying so" ||
    bad "another file in its place: not said"
rm "$db"
mv "$work/away.db" "$db"
wait_for 10 taken after-back && ok "moved back: writes are taken again" ||
    not_ok "moved back: writes still refused"
wait_for 30 status_ok && ok "moved back: status says storage: ok again" ||
    bad "moved back: status never says storage: ok"
grep -q 'names the file the node has open again: writes are taken' "$home/logs/"DataService_*.log &&
    ok "moved back: said in the log" || bad "moved back: not said in the log"
rm -f "$copy"

# ---- removed, then SIGKILL: the start says it, sets the -wal aside
run ctl get a-00003
rm "$db"
wait_for 10 refused && ok "removed: writes are refused" || not_ok "removed: writes still taken"
wait_for 10 saved || not_ok "removed: no copy made"
copy=$(ls -d "$home"/data/records.db.saved-* 2>/dev/null | grep -v '\.incomplete$' | head -1)
[ "$(count_in "$copy")" = 302 ] && ok "removed: the copy holds all 302 records" ||
    bad "removed: the copy holds $(count_in "$copy") records"
inst=$(awk '{ print $2 }' "$home/state/records-mark")
kill -KILL "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
[ -e "$db-wal" ] && ok "after SIGKILL: the removed file's -wal is left" || bad "no -wal left after SIGKILL"
sipcd_start "$home" || exit 1
ls "$home/data/" | grep -q '^records\.db-wal\.set-aside-' && ok "start: the left -wal is set aside" ||
    bad "start: the left -wal is not set aside"
grep -q "WARN .*records.db-wal was there .*it is set aside as " "$home/logs/"DataService_*.log &&
    ok "start: the set-aside is said at WARN" || bad "start: the set-aside is not said"
grep -q "WARN records.db was missing (or empty) at the start: a new, empty database was made .*the previous database (instance $inst) had 302 records created" "$home/logs/"DataService_*.log &&
    ok "start: a WARN names the old instance and its 302 records" || bad "start: no WARN naming the loss"
run ctl status --json
if [ "$RC" = 0 ] && jq -e '.storage.records_lost | length == 1 and
        (.[0] | .records_gone == 302 and .records_found == 0 and
         (.message | test("records.db was missing .*instance '"$inst"'.*set aside as ")))' "$OUT" >/dev/null; then
    ok "start: status --json: a records_lost finding of the 302 records"
else
    bad "start: status --json: no records_lost finding (exit $RC)"
fi
run ctl status
expect "start: status: RECORDS LOST" 0 '^  storage: RECORDS LOST .*records.db was missing'
run ctl status --cluster --json
if [ "$RC" = 1 ] && jq -e '[.problems[] | select(.kind == "records_lost" and .node == "n1" and
        (.message | test("records.db was missing")))] | length == 1' "$OUT" >/dev/null; then
    ok "start: status --cluster: a records_lost problem, exit 1"
else
    bad "start: status --cluster: no records_lost problem (exit $RC)"
fi
run ctl metrics
expect "start: metrics: one finding" 0 '^sipc_storage_records_lost_findings 1$'
# the node's copy put in place: the records are back
kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
rm -f "$db" "$db-wal" "$db-shm"
mv "$copy" "$db"
rm "$home/state/records-lost"
sipcd_start "$home" || exit 1
run ctl list --limit 1000
expect "the copy put in place: the 302 records are back" 0 '^302 records'
run ctl status
expect "the copy put in place: storage: ok" 0 '^  storage: ok$'

# ---- removed, then a clean stop
rm "$db"
wait_for 10 refused || not_ok "removed again: writes still taken"
wait_for 10 saved || not_ok "removed again: no copy made"
kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
grep -q "stopped with records.db gone (removed or moved away): every committed record is in .*records.db.saved-" "$home/logs/"DataService_*.log &&
    ok "clean stop: the stop names the copy" || bad "clean stop: the stop does not name the copy"
copy=$(ls -d "$home"/data/records.db.saved-* 2>/dev/null | grep -v '\.incomplete$' | head -1)
[ "$(count_in "$copy")" = 302 ] && ok "clean stop: the copy holds the 302 records" ||
    bad "clean stop: the copy holds $(count_in "$copy")"
sipcd_start "$home" || exit 1
run ctl status --json
if [ "$RC" = 0 ] && jq -e '.storage.records_lost | length == 1 and (.[0].records_gone == 302)' "$OUT" >/dev/null; then
    ok "clean stop, then a start: the records_lost finding"
else
    bad "clean stop, then a start: no finding (exit $RC)"
fi
# ---- another file put in place, then a clean stop: the open file's -wal
# is set aside, not removed by its name nor replayed into the new file
kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
rm -f "$db" "$db-wal" "$db-shm" "$home/state/records-lost"
mv "$copy" "$db"
sipcd_start "$home" || exit 1
run ctl put d-new --body "in the open file"
expect "restored: a put is taken" 0
cp "$db" "$work/other.db"
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("delete from records where id=?", (b"a-00000",)); c.execute("delete from records where id=?", ("a-00000",)); c.commit()' "$work/other.db"
mv "$work/other.db" "$db"
wait_for 10 refused || not_ok "another file in place: writes still taken"
wait_for 10 saved || not_ok "another file in place: no copy made"
kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
ls "$home/data/" | grep -q '^records\.db-wal\.removed-' && ok "another file in place, stop: the open file's -wal is set aside" ||
    bad "another file in place, stop: its -wal is not set aside"
[ -e "$db-wal" ] && bad "another file in place, stop: a records.db-wal is still beside the new file" ||
    ok "another file in place, stop: no -wal left beside the new file"
python3 -c 'import sqlite3,sys; r=sqlite3.connect(sys.argv[1]).execute("pragma integrity_check").fetchone()[0]; sys.exit(r!="ok")' "$db" &&
    ok "another file in place, stop: the new file is intact" || bad "another file in place: the new file is damaged"
rm -f "$home"/data/records.db.saved-* "$home"/data/records.db-*.removed-*

# a new node (no mark, nothing left): no finding
kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
rm -rf "$home/data/"* "$home/state/records-mark" "$home/state/records-lost"
sipcd_start "$home" || exit 1
run ctl status
expect "a new database with no earlier trace: storage: ok, no finding" 0 '^  storage: ok$'
shtest_done
