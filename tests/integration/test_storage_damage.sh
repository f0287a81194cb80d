#!/usr/bin/env bash
# test_storage_damage.sh - a damaged database is not written into: a real
# sipcd ($BASE.1, plaintext) stores 400 records of about 1 KB and stops.
# With 4 pages in the middle of records.db overwritten with garbage (as a
# bad disk or a stray dd does), the node starts without its database (it
# exited 73 before; test_storage_unopened covers the rest): its status says
# what the start-up check (PRAGMA quick_check) found and names the repair's
# section of the docs; so does a file cut in half. Damage that comes while the node runs: once a read meets
# it, every write is refused with STORAGE naming the damage (nothing more is acknowledged into the file; the
# ERROR says that reads meeting the damage fail too), the
# status says writes FAIL, and the cluster status names the problem. The
# verdict is kept (state/records-damaged): a restart on the same database,
# even one whose start-up check passes, still refuses writes, until the
# file is rebuilt or the verdict removed. The refusal, before and after the
# restart, says how many records were committed (state/records-mark), the
# count the repair's is compared with. A verdict without an instance goes
# with the file (its inode). A database without store_meta that cannot be
# given one at start says that the lost-records check is off.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.34}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE.1":{23000,23001,23002,23003}
shtest_init damage
home=$work/home
db=$home/data/records.db
one_node_home "$home" damage
stop_node() { kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null; }
# datalog_says WHAT PATTERN: the data service's log has a line matching it
# within 10 s: a line may reach the file after the answer or the start
# that the test waited for (the storage work and the logger's flusher run
# beside the loop), later still on a busy machine
datalog_says() {
    if wait_for 10 datalog_has "$2"; then ok "$1"; else bad "$1: not in the data log within 10 s"; datalog | grep Data.Storage | tail -3; fi
}
# garbage FROM COUNT: pages FROM.. of records.db overwritten (4 KiB pages)
garbage() { python3 -c '
import os, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2]) * 4096); f.write(os.urandom(int(sys.argv[3]) * 4096))' "$db" "$1" "$2"; }
# start_unopened WHAT: sipcd starts, its database not open, and its status
# names the damage and the repair's section of the docs; stopped again
start_unopened() {
    sipcd_start "$home" || { bad "$1: sipcd did not start"; return; }
    ctl status >"$OUT" 2>&1
    if grep -q '^  storage: NOT OPEN since .*records.db: .*\(malformed\|quick_check found\).*: the database is damaged: repair it (docs/services.md, "A full or damaged database"' "$OUT"; then
        ok "$1: the node is up without its database, its status naming the damage and the repair"
        grep -m1 'NOT OPEN' "$OUT" | cut -c1-300 | sed 's/^/# /'
    else
        bad "$1: the status does not say the database is not open because it is damaged"
    fi
    kill -TERM "$sipcd_pid"; wait "$sipcd_pid"
    local rc=$?
    if [ "$rc" = 0 ]; then ok "$1: stopped without its database: exit 0"; else bad "$1: stop: exit $rc"; fi
}

sipcd_start "$home" || exit 1
python3 - "$work/in.ndjson" <<'PY'
import json, sys
with open(sys.argv[1], 'w') as f:
    for i in range(400):
        f.write(json.dumps({'id': 'd-%03d' % i, 'timestamp_ms': 1764000000000 + i,
                            'body': ('damaged %d ' % i) * 100}) + '\n')
PY
run ctl ingest "$work/in.ndjson"
expect "400 records stored" 0
stop_node
pages=$(( $(stat -c %s "$db") / 4096 ))
cp "$db" "$work/good.db"

# garbage over 4 pages in the middle: found at start
garbage $((pages / 2)) 4
start_unopened "garbage over pages $((pages / 2))-$((pages / 2 + 3)) of $pages"
if grep -q 'PRAGMA quick_check found' "$OUT"; then ok "the start-up check found it"; else bad "not the start-up check"; fi

# the file's second half gone
cp "$work/good.db" "$db"
truncate -s $((pages / 2 * 4096)) "$db"
start_unopened "records.db cut to half its size"

# damage while the node runs: the start-up check passes, then pages are
# overwritten under it; the first read that meets them flags the file
cp "$work/good.db" "$db"
sipcd_start "$home" || exit 1
run ctl status
expect "an undamaged file: storage ok" 0 '^  storage: ok$'
garbage 3 $((pages - 4))
run ctl list --json --since 2025-01-01T00:00:00Z --limit 1000
if [ "$RC" != 0 ] && grep -q 'malformed' "$OUT"; then ok "a read meets the damage (exit $RC)"; else bad "the read did not meet the damage (exit $RC)"; fi
run ctl put after-damage --body "not into a damaged file"
expect "a put after the damage was found is refused, naming it" 1 'STORAGE|refused' 'records.db is damaged \(.*malformed\): writes are refused' 'docs/services.md, "A full or damaged database"'
run ctl status
expect "status: writes FAIL, the database is damaged, with the count the repair is compared with" 0 '^  storage: writes FAIL since .*records.db is damaged.*; 400 records were committed \(created, deleted ones included; state/records-mark\): compare the repair.s count with it'
run ctl status --cluster --json
if [ "$RC" = 1 ] && jq -e '[.problems[] | select(.kind == "storage_failing" and (.message | test("writes to its database fail since .*records.db is damaged")))] | length == 1' "$OUT" >/dev/null; then
    ok "status --cluster: storage_failing for the damaged file, exit 1"
else
    bad "status --cluster: no storage_failing for the damaged file (exit $RC)"
fi
# waited for (see datalog_says), then counted: once, though the read and the
# put both met the damage
damaged_err='Data.Storage ERROR writes to the database fail: records.db is damaged'
wait_for 10 datalog_has "$damaged_err"
if [ "$(datalog | grep -c "$damaged_err")" = 1 ]; then
    ok "the log says once that writes are refused because the file is damaged"
else
    not_ok "no single ERROR for the damaged file within 10 s"; datalog | grep Data.Storage | head -5
fi
# the read that met the damage failed: the ERROR does not say reads are served
if datalog | grep "$damaged_err" | grep -q '(every write gets STORAGE; reads that meet the damage fail too)$'; then
    ok "the ERROR says that reads meeting the damage fail too"
else
    not_ok "the damaged file's ERROR:"; datalog | grep "$damaged_err" | sed 's/^/    | /'
fi
stop_node

# the verdict outlives a restart: a start-up check that does not reach the
# damage (a large file) must not take writes into that file again. Here the
# good copy taken before, put back with cp, is the same database (its
# instance): the check passes, writes stay refused, and the log says how
# to clear it
if grep -q '^instance [0-9]* file [0-9]* at .*Z: .*malformed' "$home/state/records-damaged" 2>/dev/null; then
    ok "state/records-damaged holds the verdict"
else
    bad "no verdict in state/records-damaged"
fi
cp "$work/good.db" "$db"
sipcd_start "$home" || exit 1
run ctl status
expect "after a restart on the same database: writes still FAIL, saying why and the committed count" 0 '^  storage: writes FAIL since .*records.db was found damaged at .* before a restart .*state/records-damaged; 400 records were committed \(created, deleted ones included; state/records-mark\)'
run ctl put after-restart --body "not into a file known to be damaged"
expect "a put after the restart is refused" 1 'records.db was found damaged at'
datalog_says "the start says why writes stay refused and how to clear it" 'Data.Storage WARN records.db is the database found damaged at .*: writes stay refused .*a rebuilt file clears this. If it is sound .*remove state/records-damaged and restart the node'
stop_node
# judged sound: removing the verdict lets the next start take writes
rm "$home/state/records-damaged"
sipcd_start "$home" || exit 1
run ctl put after-clear --body "into a sound copy"
expect "with the verdict removed, a put works" 0
stop_node

# a verdict without an instance (the file had none: one made before
# store_meta, damaged on a read-only mount) goes with the file itself: the
# same file keeps writes refused, another file put in its place (rebuilt)
# drops it
echo "instance 0 file $(stat -c %i "$db") at 2026-01-01T00:00:00Z: list records: database disk image is malformed" >"$home/state/records-damaged"
sipcd_start "$home" || exit 1
run ctl put no-instance --body "not into the file of a verdict without an instance"
expect "a verdict without an instance, on the same file: a put is refused" 1 'records.db was found damaged at'
datalog_says "the WARN says a verdict without an instance goes with the file" 'a rebuilt file clears this (the verdict names no instance, the file had none: any other file put in its place)'
stop_node
cp "$db" "$work/rebuilt.db" && mv "$work/rebuilt.db" "$db"
sipcd_start "$home" || exit 1
run ctl put rebuilt --body "into another file"
expect "a verdict without an instance, another file in place: a put works" 0
if [ ! -e "$home/state/records-damaged" ]; then ok "the verdict without an instance is removed"; else bad "the verdict without an instance is kept"; fi
stop_node

# a database whose store_meta row cannot be made at start (here a trigger
# fails the insert, as a full disk or an I/O error would): the start says
# that the lost-records check is off and why, and a later start that can
# write makes the row
python3 - "$db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.executescript("""DELETE FROM store_meta;
CREATE TRIGGER no_meta BEFORE INSERT ON store_meta BEGIN SELECT RAISE(ABORT, 'simulated write failure'); END;""")
PY
rm -f "$home/state/records-mark"
sipcd_start "$home" || exit 1
datalog_says "no store_meta and none could be made: the start says the check is off and why" 'Data.Storage WARN .*records.db has no identity (table store_meta.*could not be given one: .*simulated write failure.*each start tries again.*would go unnoticed'
if [ ! -e "$home/state/records-mark" ]; then ok "no mark without an identity"; else bad "a mark without an identity"; fi
stop_node
python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("DROP TRIGGER no_meta")' "$db"
sipcd_start "$home" || exit 1
mark_has_identity() { grep -q '^instance [1-9][0-9]* ' "$home/state/records-mark" 2>/dev/null; }
if wait_for 10 mark_has_identity; then
    ok "the next start gives it an identity (state/records-mark)"
else
    bad "no identity at the next start"
fi
stop_node
shtest_done
