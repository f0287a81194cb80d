#!/usr/bin/env bash
# test_storage_wal.sh - committed records that live only in records.db-wal
# are not lost without a word: a real sipcd ($BASE.1, plaintext) stores
# records, is killed (SIGKILL: the -wal is not copied into records.db) and
# its records.db-wal is deleted, as an operator cleaning up might; at the
# next start the node says that records.db holds fewer records than were
# committed, and how many. Then a stop whose checkpoint cannot finish (a
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
ctl() { "$BIN/sipcctl" --home "$home" --timeout 20000 "$@"; }
datalog() { cat "$home/logs/"DataService_*.log; }
count() { python3 -c 'import sqlite3, sys; print(sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True).execute("SELECT count(*) FROM records").fetchone()[0])' "$db"; }

sipcd_start "$home" || exit 1
python3 - "$work" <<'PY'
import json, sys
for name, n in (('a', 3000), ('b', 200)):
    with open('%s/%s.ndjson' % (sys.argv[1], name), 'w') as f:
        for i in range(n):
            f.write(json.dumps({'id': '%s-%05d' % (name, i), 'timestamp_ms': 1764000000000 + i,
                                'body': ('wal %d ' % i) * 150}) + '\n')
PY
run ctl ingest "$work/a.ndjson"
expect "3000 records stored" 0
# the node saves its trace every 3 s
sleep 4
kill -KILL "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
wal=$(stat -c %s "$db-wal" 2>/dev/null || echo 0)
rm -f "$db-wal" "$db-shm"
sipcd_start "$home" || exit 1
have=$(count)
echo "# a -wal of $wal bytes deleted: $have of 3000 records left"
if [ "$have" -lt 3000 ] && datalog | grep -q "Data.Storage WARN records.db holds fewer records than were committed: .* up to $((3000 - have)) acknowledged records are gone\. records.db-wal was missing or damaged"; then
    ok "the start says that $((3000 - have)) committed records are gone"
    datalog | grep 'fewer records' | sed 's/^/# /'
else
    not_ok "no WARN at start for the $((3000 - have)) records lost with the -wal"; datalog | grep Data.Storage | tail -3
fi
kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
sipcd_start "$home" || exit 1
if [ "$(datalog | grep -c 'fewer records than were committed')" = 1 ]; then
    ok "said once: the next start compares with the database as it is now"
else
    not_ok "the lost records were said again (or never)"
fi

# a reader keeps an old snapshot while 200 more records are stored: the
# checkpoint at stop cannot copy them, and the node says to keep the -wal
python3 - "$db" "$work/reading" <<'PY' &
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN")
con.execute("SELECT count(*) FROM records").fetchone()
open(sys.argv[2], "w").close()
time.sleep(30)
PY
reader=$!
wait_for 10 test -e "$work/reading"
run ctl ingest "$work/b.ndjson"
expect "200 more records stored" 0
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
