#!/usr/bin/env bash
# test_storage_unopened.sh - a node whose database is found damaged at its
# start stays up (before: exit 73), and takes the repaired file without a
# restart: a real sipcd ($BASE.1, plaintext) stores 400 records and stops;
# pages in the middle of records.db are overwritten with garbage. Started,
# its four services come up; sipcctl status says the database is not open
# and why (the start-up check's finding, the repair); status --cluster
# lists storage_unopened for n1 (exit 1); get and put are refused with the
# reason; the metrics say it; the log says it once at ERROR. Nothing that
# does not change the files makes it try again (its start-up check takes up
# to 2 s); a change that does not repair it (touch) is tried once and said.
# The documented repair, done while the node runs, then a records.db
# moved in place: the data service opens it, says so, serves the rebuilt
# records and takes writes, the same sipcd throughout, which then stops
# cleanly. A verdict of damage kept in state/records-damaged for the same
# database still refuses its writes when it opens later.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.49}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
command -v sqlite3 >/dev/null || { echo "# skipped: no sqlite3 shell (apt install sqlite3)"; exit 77; }
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE.1":{23000,23001,23002,23003}
shtest_init unopened
home=$work/home
db=$home/data/records.db
one_node_home "$home" unopened

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
kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
pages=$(( $(stat -c %s "$db") / 4096 ))
python3 -c '
import os, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2]) * 4096); f.write(os.urandom(4 * 4096))' "$db" $((pages / 2))

sipcd_start "$home" || exit 1
pid=$sipcd_pid
ok "started on a damaged database, its four services are up"
run ctl status
expect "status: not open, with the finding and the repair" 0 '^  storage: NOT OPEN since [0-9TZ:-]* \(1 attempt, the latest at [0-9TZ:-]*\): [^ ]*/records.db: PRAGMA quick_check found: .*: the database is damaged: repair it \(docs/services.md, "A full or damaged database"'
run ctl status --cluster --json
if [ "$RC" = 1 ] && jq -e '.health == "problems" and ([.problems[] | select(.kind == "storage_unopened" and .node == "n1" and (.message | test("n1: its database is not open since .*quick_check found.*the database is damaged")))] | length == 1)' "$OUT" >/dev/null; then
    ok "status --cluster --json: storage_unopened naming n1 and the damage, exit 1"
else
    bad "status --cluster --json: no storage_unopened (exit $RC)"
fi
run ctl get d-001
expect "a get is refused with the reason" 1 'records.db is not open .*the database is damaged'
run ctl put new --body "refused"
expect "a put is refused with the reason" 1 'records.db is not open .*the database is damaged'
run ctl metrics
if grep -q '^sipc_storage_open 0$' "$OUT" && grep -q '^sipc_storage_failing{operation="reads"} 1$' "$OUT"; then
    ok "metrics: sipc_storage_open 0, reads failing"
else
    bad "metrics do not say it"
fi
n=$(datalog | grep -c 'Data.Storage ERROR the database cannot be opened: .*quick_check found.*The node runs without it')
if [ "$n" = 1 ]; then ok "the log says it once at ERROR"; else bad "ERROR lines at start: $n"; fi

# nothing changed: no attempt (each one runs the start-up check again)
sleep 4
run ctl status
expect "unchanged files: still 1 attempt after 4 s" 0 '^  storage: NOT OPEN since .* \(1 attempt, '
# a change that repairs nothing: tried once, said, still not open
touch "$db"
if until_status 20 '^  storage: NOT OPEN since .* \(2 attempts, '; then
    ok "records.db touched: tried again once"
else
    bad "no second attempt after records.db changed"
fi
if logged 'Data.Storage ERROR the database still cannot be opened (attempt 2, after its files changed): .*the database is damaged'; then
    ok "the log says the attempt failed"
else
    not_ok "no ERROR for the second attempt"; datalog | grep Data.Storage | tail -3
fi

# the documented repair, the node running; then the old -wal and -shm
# removed and the rebuilt file moved in place
python3 - "$SRC/docs/services.md" >"$work/repair.sh" <<'PY'
import sys
s = open(sys.argv[1]).read()
i = s.index("  cd $SIPC_HOME && cp -a data data.damaged")
j = s.index("```", i)
print("\n".join(l[2:] for l in s[i:j].splitlines()))
PY
run env SIPC_HOME="$home" bash -e "$work/repair.sh"
saved=$(tail -n 1 "$OUT")
if [ "$RC" = 0 ] && [ "$(tail -n 2 "$OUT" | head -n 1)" = ok ] && [ "$saved" -gt 0 ] 2>/dev/null; then
    ok "the documented repair rebuilt the file beside it: $saved records"
else
    bad "the documented repair (exit $RC)"
fi
rm -f "$home/data/records.db-wal" "$home/data/records.db-shm"
mv "$home/data/records.new.db" "$db"
if until_status 30 '^  storage: ok$'; then
    ok "the rebuilt file moved in place: opened without a restart, storage ok"
else
    bad "not open within 30 s of the repair"
fi
if logged 'Data.Storage INFO the database is open: the data service is up (it was not open since [0-9TZ:-]*; [0-9]* attempts)'; then
    ok "the log says the data service is up"
else
    not_ok "no such INFO"; datalog | grep Data.Storage | tail -3
fi
run ctl get d-000
expect "a rebuilt record is served" 0 'damaged 0 '
run ctl put new --body "stored after the repair"
expect "a put is taken" 0
run ctl status --cluster --json
if [ "$RC" = 0 ] && jq -e '.health == "ok"' "$OUT" >/dev/null; then
    ok "status --cluster: ok, exit 0"
else
    bad "status --cluster after the repair (exit $RC)"
fi
if kill -0 "$pid" 2>/dev/null && [ "$pid" = "$sipcd_pid" ]; then ok "the same sipcd"; else bad "sipcd is gone"; fi
kill -TERM "$sipcd_pid"; wait "$sipcd_pid"
rc=$?
if [ "$rc" = 0 ]; then ok "it stops cleanly"; else bad "stop: exit $rc"; fi
sipcd_pid=

# a verdict of damage on this database (state/records-damaged, as a run
# that met the damage leaves it) still holds when the database opens later:
# a copy of the same file put in place is opened, reads are served, writes
# stay refused
inst=$(sqlite3 "$db" "SELECT instance FROM store_meta")
cp "$db" "$work/copy.db"
echo "instance $inst at 2026-01-01T00:00:00Z: list records: database disk image is malformed" >"$home/state/records-damaged"
pages=$(( $(stat -c %s "$db") / 4096 ))
python3 -c '
import os, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2]) * 4096); f.write(os.urandom(4 * 4096))' "$db" $((pages / 2))
sipcd_start "$home" || exit 1
run ctl status
expect "damaged again: not open" 0 '^  storage: NOT OPEN since '
rm -f "$home/data/records.db-wal" "$home/data/records.db-shm"
cp "$work/copy.db" "$db.tmp" && mv "$db.tmp" "$db"
if until_status 30 '^  storage: writes FAIL since .*records.db was found damaged at 2026-01-01T00:00:00Z before a restart'; then
    ok "the copy of the database found damaged is opened with its writes refused"
else
    bad "not opened with its writes refused"
fi
run ctl put refused --body "refused"
expect "a put is refused, naming the verdict" 1 'records.db was found damaged at 2026-01-01T00:00:00Z'
run ctl get d-000
expect "reads are served" 0 'damaged 0 '
kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
sipcd_pid=
shtest_done
