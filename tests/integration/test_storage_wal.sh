#!/usr/bin/env bash
# test_storage_wal.sh - committed records that live only in records.db-wal
# are not lost without a word: a real sipcd ($BASE.1, plaintext) stores
# records behind a reader that keeps every checkpoint from copying them, is
# killed (SIGKILL: the -wal is not copied into records.db) and its
# records.db-wal is deleted, as an operator cleaning up might; at the next
# start the node says that records.db holds fewer records than were
# committed, and how many. No false alarm: deleting the newest records just
# before a crash, or before a stop, is no loss; an older copy put back with
# cp (the same inode) is said, with the records acknowledged since; a new
# database is not compared. Then a stop whose checkpoint cannot finish (a
# reader holding an old snapshot, as an sqlite3 shell left open does) says
# that records.db-wal holds committed records and must be kept; the next
# start replays it: every record is there.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.34}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE.1":{23000,23001,23002,23003}
shtest_init wal
home=$work/home
db=$home/data/records.db
one_node_home "$home" wal
count() { python3 -c 'import sqlite3, sys; print(sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True).execute("SELECT count(*) FROM records").fetchone()[0])' "$db"; }

# the database's own count of records created (store_meta), and the mark's
meta() { python3 -c 'import sqlite3, sys; print(sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True).execute("SELECT created FROM store_meta").fetchone()[0])' "$db"; }
# del ID: data.delete of one record (a DeleteRequest: field 1, the id)
del() { ctl call "$BASE.1" data delete "$(printf "\\x0a\\x$(printf %02x "${#1}")%s" "$1")"; }
warnings() { datalog | grep -c 'Data.Storage WARN records.db \(holds fewer\|is behind\)'; }

sipcd_start "$home" || exit 1
python3 - "$work" <<'PY'
import json, sys
for name, n in (('a', 3000), ('b', 200), ('c', 3)):
    with open('%s/%s.ndjson' % (sys.argv[1], name), 'w') as f:
        for i in range(n):
            f.write(json.dumps({'id': '%s-%05d' % (name, i), 'timestamp_ms': 1764000000000 + i,
                                'body': ('wal %d ' % i) * 150}) + '\n')
PY
# a reader from before the ingest: no checkpoint can copy the ingest's
# commits into records.db, so all of them live only in the -wal
hold_snapshot "$db" "$work/reading1"
run ctl ingest "$work/a.ndjson"
expect "3000 records stored" 0
# the node saves its trace every 3 s
wait_for 10 marked 3000 || not_ok "the mark never said 3000 records"
kill -KILL "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
kill -KILL "$reader"; wait "$reader" 2>/dev/null
wal=$(stat -c %s "$db-wal" 2>/dev/null || echo 0)
rm -f "$db-wal" "$db-shm"
sipcd_start "$home" || exit 1
have=$(count)
echo "# a -wal of $wal bytes deleted: $have of 3000 records left"
if [ "$have" = 0 ] && datalog | grep -q "Data.Storage WARN records.db holds fewer records than were committed: it counts 0 records created, but 3000 were by .* up to 3000 acknowledged records are gone\. records.db-wal was missing or damaged after a crash, or an older copy of records.db was put in place"; then
    ok "the start says that the 3000 committed records are gone"
    datalog | grep 'fewer records' | sed 's/^/# /'
else
    not_ok "no WARN at start for the $((3000 - have)) records lost with the -wal"; datalog | grep Data.Storage | tail -3
fi
kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
sipcd_start "$home" || exit 1
if [ "$(warnings)" = 1 ]; then
    ok "said once: the next start compares with the database as it is now"
else
    not_ok "the lost records were said again (or never)"
fi

# deleting the newest records is no loss: three records, the trace saved,
# the two newest deleted, then a crash (the -wal kept, as a crash does)
run ctl ingest "$work/c.ndjson"
expect "3 records stored" 0
n=$(meta)
wait_for 10 marked "$n" || not_ok "the mark never said $n records"
run del c-00002
expect "the newest record deleted" 0
run del c-00001
expect "the next newest deleted" 0
kill -KILL "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
sipcd_start "$home" || exit 1
if [ "$(warnings)" = 1 ]; then
    ok "no WARN after the newest records were deleted just before a crash"
else
    not_ok "deleting the newest records was taken for lost records"; datalog | grep Data.Storage | tail -2
fi
# deletes queued at a stop: the trace is saved once they are in
run del c-00000
expect "a delete before the stop" 0
kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
sipcd_start "$home" || exit 1
if [ "$(warnings)" = 1 ]; then ok "no WARN after a stop that followed a delete"; else not_ok "a delete before a stop was taken for lost records"; fi

# a backup put back with cp (the same file, the same inode): the records
# acknowledged since it was taken are not in it, which is said
kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
cp "$db" "$work/backup.db"
sipcd_start "$home" || exit 1
run ctl ingest "$work/b.ndjson"
expect "200 records stored after the backup" 0
kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
cp "$work/backup.db" "$db"
sipcd_start "$home" || exit 1
if [ "$(warnings)" = 2 ] && datalog | grep -q "WARN records.db holds fewer records than were committed: .* up to 200 acknowledged records are gone\. .*or an older copy of records.db was put in place"; then
    ok "an older copy put back with cp: the 200 records acknowledged since are said gone"
else
    not_ok "no WARN naming the 200 records for an older copy put back"; datalog | grep Data.Storage | tail -2
fi
kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
# a new database (data/ moved aside) is another one: not compared
mv "$home/data" "$work/data.old"
sipcd_start "$home" || exit 1
if [ "$(warnings)" = 2 ]; then ok "a new database is not compared with the old one's trace"; else not_ok "a new database was compared"; fi

# a reader keeps an old snapshot while 200 records are stored: the
# checkpoint at stop cannot copy them, and the node says to keep the -wal
hold_snapshot "$db" "$work/reading2"
run ctl ingest "$work/b.ndjson"
expect "200 records stored behind a reader" 0
kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
kill -KILL "$reader"; wait "$reader" 2>/dev/null
if datalog | grep -q 'Data.Storage WARN the log could not be copied into the database at stop (.*): records.db-wal holds committed records not yet in records.db: keep it with the database'; then
    ok "the stop says that records.db-wal holds committed records and must be kept"
else
    not_ok "no WARN at a stop that left the -wal"; datalog | tail -3
fi
if [ -s "$db-wal" ]; then ok "records.db-wal is still there"; else not_ok "no records.db-wal left"; fi
sipcd_start "$home" || exit 1
run ctl get b-00199
expect "the next start replayed it: the last record is there" 0 'wal 199'
shtest_done
