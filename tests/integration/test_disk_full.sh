#!/usr/bin/env bash
# test_disk_full.sh - a node whose disk fills up while records pour in loses
# no acknowledged record: a real sipcd ($BASE.1, plaintext, standard ports)
# with its data directory on a 3 MiB tmpfs, 12 `sipcctl ingest` of 500 records of
# about 1 KB each at once. Every record an ingest counts as acknowledged is
# in the database afterwards; the others were refused with a storage error
# that names the full disk; the node's log says once that writes fail and,
# once they work again, that they do (found by the node's own test write
# when nothing else writes); its status, the cluster's problems and its
# metrics say the same; the node still answers. (SQLite rolls back a
# whole transaction when the disk fills in the middle of it; the data
# service must then fail every write of that transaction, not only the one
# that hit the full disk.)
# Needs root to mount the tmpfs, in a mount namespace of its own (so that it
# goes with the test however the test ends): skipped (exit 77) otherwise.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.61}
. "$(dirname "$0")/../support/shtest.sh"
shtest_mount_ns "$0" "$@"
need_free "$BASE.1":{23000,23001,23002,23003}
shtest_init diskfull
# only the database is on the small disk: the node's logs must still say
# what happened
home=$work/home
data_on_tmpfs "$home" 3m
# what the operator will delete to make room
head -c 524288 /dev/zero >"$mnt/filler"
one_node_home "$home" full
# the log's local times compare with the status's UTC ones
export TZ=UTC
# the test writes' period, 10 s on a node; 2 s here, still longer than a
# gap between the failing writes of the ingests, which must not end the
# failing state
export SIPCD_STORAGE_PROBE_MS=2000
sipcd_start "$home" || exit 1

python3 - "$work" <<'EOF'
import json, sys
for c in range(12):
    with open('%s/chunk%02d.ndjson' % (sys.argv[1], c), 'w') as f:
        for i in range(c * 500, (c + 1) * 500):
            f.write(json.dumps({'id': 'c-%05d' % i, 'timestamp_ms': 1764000000000 + i,
                                'body': ('record %d ' % i) * 100}) + '\n')
EOF
pids=()
for c in $(seq -w 0 11); do
    "$BIN/sipcctl" --home "$home" --timeout 10000 ingest "$work/chunk$c.ndjson" --json \
        >"$work/res$c.json" 2>"$work/err$c" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done

# each chunk's records in the database: exactly as many as its ingest
# counted as acknowledged (none lost, and none stored that was refused);
# the refusals name the full disk (stderr shows the first 20 refused lines
# of a chunk)
python3 - "$work" "$home/data/records.db" >"$OUT" 2>&1 <<'EOF'
import json, sqlite3, sys
work, db = sys.argv[1], sys.argv[2]
con = sqlite3.connect('file:%s?mode=ro' % db, uri=True)
acked = refused = lost = storage_msgs = 0
for c in range(12):
    res = json.load(open('%s/res%02d.json' % (work, c)))
    stored = con.execute("SELECT count(*) FROM records WHERE id BETWEEN 'c-%05d' AND 'c-%05d'"
                         % (c * 500, c * 500 + 499)).fetchone()[0]
    if res['acknowledged'] != stored:
        print('chunk %d: %d acknowledged, %d stored' % (c, res['acknowledged'], stored))
        lost += abs(res['acknowledged'] - stored)
    acked += res['acknowledged']
    refused += 500 - res['acknowledged']
    storage_msgs += sum('disk is full' in l or 'disk I/O error' in l
                        for l in open('%s/err%02d' % (work, c)))
print('acknowledged %d, refused %d (%d lines naming the full disk), stored otherwise %d'
      % (acked, refused, storage_msgs, lost))
sys.exit(1 if lost else 0)
EOF
rc=$?
# the records a full disk kept from being acknowledged: the full disk is the
# cause (answered at once while the node's storage fails, or, for a batch
# that met it with no time left, retried until the deadline), never the
# deadline alone; each reason is counted under its own category
jq -r '.reasons[] | select(.status == "not_acknowledged") | .reason' "$work"/res*.json \
    >"$work/unacked.txt" 2>&1
if grep -Eq "^(storage failing on .*: .*full|data service .*: STORAGE: .*full.*; retried until the request's deadline)" "$work/unacked.txt" &&
    ! grep -q "before the request's deadline" "$work/unacked.txt"; then
    ok "the summary's not-acknowledged reasons name the full disk as the cause, not the deadline"
else
    not_ok "the summary's not-acknowledged reasons"; head -5 "$work/unacked.txt" | sed 's/^/    /'
fi
summary=$(tail -n1 "$OUT")
if [ $rc = 0 ]; then ok "exactly the acknowledged records are stored when the disk fills ($summary)"; else bad "stored records differ from the acknowledged ones on a full disk"; fi
read -r acked refused full <<<"$(echo "$summary" | sed -n 's/^acknowledged \([0-9]*\), refused \([0-9]*\) (\([0-9]*\) lines.*/\1 \2 \3/p')"
if [ "${refused:-0}" -gt 0 ] && [ "${full:-0}" -gt 0 ] && [ "${acked:-0}" -gt 0 ]; then
    ok "the disk did fill: some records stored, the rest refused naming the full disk"
else
    bad "the scenario did not fill the disk (acknowledged ${acked:-?}, refused ${refused:-?}, naming it ${full:-?})"
fi
if [ "$(datalog | grep -c 'Data.Storage ERROR writes to the database fail: .*records.db: .*disk is full')" = 1 ]; then
    ok "the node logged once that writes fail, naming the full disk"
else
    not_ok "no single Data.Storage ERROR for the full disk"; datalog | grep Data.Storage | head -5
fi
# what the operator sees without the log: the node's status, the cluster's
# problems and the metrics say that writes fail, since when and why
run "$BIN/sipcctl" --home "$home" status
expect "sipcctl status says writes fail and why" 0 '^  storage: writes FAIL since 20[0-9-]*T[0-9:]*Z \([0-9]+ requests failed, the latest at [^)]*\): .*disk is full'
grep '^  storage:' "$OUT" | sed 's/^/# /'
run "$BIN/sipcctl" --home "$home" status --json
if jq -e '.storage.writes.failing == true and .storage.writes.failures > 0 and .storage.writes.failures_total > 0 and .storage.reads.failing == false and (.storage.writes.last_error | test("disk is full"))' "$OUT" >/dev/null; then
    ok "status --json: storage.writes failing with its count and reason"
else
    bad "status --json has no failing storage.writes"
fi
# "since" is when the log's ERROR line was written (within 2 s)
since=$(jq -r '.storage.writes.since' "$OUT")
logged=$(datalog | grep -m1 'Data.Storage ERROR' | cut -d' ' -f1)
if python3 -c 'import sys, datetime as d
a = d.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=d.timezone.utc)
b = d.datetime.strptime(sys.argv[2], "%Y-%m-%dT%H:%M:%S.%f%z")
sys.exit(abs((a - b).total_seconds()) > 2)' "$since" "$logged"; then
    ok "status since $since is the ERROR line's time ($logged)"
else
    not_ok "status since '$since' is not the ERROR line's time '$logged'"
fi
run "$BIN/sipcctl" --home "$home" status --cluster --json
if [ "$RC" = 1 ] && jq -e '[.problems[] | select(.kind == "storage_failing" and .node == "n1" and (.message | test("n1: writes to its database fail since .*disk is full")))] | length == 1' "$OUT" >/dev/null; then
    ok "status --cluster: one storage_failing problem for n1, exit 1"
    jq -r '.problems[] | select(.kind == "storage_failing") | "# " + .message' "$OUT"
else
    bad "status --cluster: no storage_failing problem (exit $RC)"
fi
run "$BIN/sipcctl" --home "$home" metrics
expect "metrics: sipc_storage_failing for writes is 1" 0 '^sipc_storage_failing\{operation="writes"\} 1$' '^sipc_storage_failures_total\{operation="writes"\} [1-9]'
# nothing is sent and the disk stays full for two test-write periods: a
# small write might fit in space the database's files already hold, so
# the node makes no test write before room is made, and stays failing
sleep 5
run "$BIN/sipcctl" --home "$home" status
if [ "$RC" = 0 ] && grep -q '^  storage: writes FAIL' "$OUT" && ! datalog | grep -q 'work again'; then
    ok "while the disk stays full the node stays failing (no test write ends it)"
else
    bad "the failing state ended with the disk still full"; datalog | grep Data.Storage | tail -3
fi
# the operator makes room and sends nothing: the node's own test write,
# every period while writes fail and nothing is written, finds that they work
# again once the free space has grown
rm "$mnt/filler"
_storage_back() { datalog | grep -q 'Data.Storage INFO writes to the database work again (a test write succeeded): [0-9]* requests failed, the first [0-9]* s ago'; }
if wait_for 25 _storage_back && [ "$(datalog | grep -c 'Data.Storage')" = 2 ]; then
    ok "with no request, the node found and logged that writes work again (two Data.Storage lines in all)"
else
    not_ok "not one ERROR and one INFO from the test write"; datalog | grep Data.Storage | tail -5
fi
run "$BIN/sipcctl" --home "$home" status
expect "sipcctl status says storage ok again" 0 '^  storage: ok$'
run "$BIN/sipcctl" --home "$home" status --cluster
expect "status --cluster: OK again" 0 '^cluster OK'
run "$BIN/sipcctl" --home "$home" metrics
expect "metrics: sipc_storage_failing for writes is 0 again" 0 '^sipc_storage_failing\{operation="writes"\} 0$'
run "$BIN/sipcctl" --home "$home" put after-1 --body "room again"
expect "a put succeeds once there is room again" 0
run "$BIN/sipcctl" --home "$home" ping "$BASE.1:23000"
expect "the node still answers" 0
shtest_done
