#!/usr/bin/env bash
# test_storage_lost.sh - records lost with a deleted records.db-wal are not
# said only in the log: a real sipcd ($BASE.10, plaintext) stores records
# behind a reader that keeps every checkpoint from copying them, is killed
# (SIGKILL) and its -wal deleted (as in test_storage_wal). From the next
# start on, `sipcctl status` (JSON: storage.records_lost; text: RECORDS
# LOST), `status --cluster` (a records_lost problem, exit 1) and the metrics
# say that the records are gone, also after a further restart (the mark
# then holds the lower counts: no later start finds the loss again), until
# the operator acknowledges it by removing state/records-lost, which the
# status takes at once, without a restart (sipcctl ack records-lost is
# refused: the node runs without TLS).
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.48}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE.10":{23000,23001,23002,23003}
shtest_init lost
home=$work/home
db=$home/data/records.db
node_home "$home" lost n1 "$BASE.10" "$BASE.10"

sipcd_start "$home" || exit 1
at_exit 'kill -TERM $sipcd_pid 2>/dev/null'
records_ndjson "$work/a.ndjson" 300 a lost 50
# a reader from before the ingest (as an sqlite3 shell left open): no
# checkpoint copies the ingest's commits into records.db
hold_snapshot "$db" "$work/reading"
run ctl ingest "$work/a.ndjson"
expect "300 records stored" 0 "^acknowledged: 300 "
wait_for 10 marked 300 || not_ok "the mark never said 300 records"
kill -KILL "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
kill -KILL "$reader"; wait "$reader" 2>/dev/null
rm -f "$db-wal" "$db-shm"

# shown_lost LABEL: status JSON, text, cluster and metrics all say it
shown_lost() {
    local label=$1
    run ctl status --json
    if [ "$RC" = 0 ] && jq -e '.storage.records_lost | length == 1 and
            (.[0] | .records_gone == 300 and .records_committed == 300 and .records_found == 0 and
             .writes_gone >= 0 and (.detected | test("^20[0-9-]+T[0-9:]+Z$")) and
             (.committed_by | test("^20[0-9-]+T")) and
             (.message | test("up to 300 acknowledged records are gone")))' "$OUT" >/dev/null; then
        ok "$label: status --json: storage.records_lost names the 300 records gone"
    else
        bad "$label: status --json: no storage.records_lost finding of 300 records (exit $RC)"
    fi
    run ctl status
    expect "$label: status: RECORDS LOST, and how to acknowledge it" 0 \
        '^  storage: RECORDS LOST \(found at the start at 20[0-9-]+T[0-9:]+Z\): records.db holds fewer records than were committed: it counts 0 records created, but 300 were by .*up to 300 acknowledged records are gone' \
        '^  storage: once dealt with, acknowledge it: remove state/records-lost in the node.s home \(its TLS is off, and sipcctl ack is taken over TLS only\): this stays until then$' &&
        { grep -q '^  storage: ok$' "$OUT" && bad "$label: status also says storage: ok" || true; }
    run ctl status --cluster --json
    if [ "$RC" = 1 ] && jq -e '[.problems[] | select(.kind == "records_lost" and .node == "n1" and
            (.message | test("^n1: committed changes found gone at its start at .*: up to 300 acknowledged records are gone.*; once dealt with, acknowledge it: remove state/records-lost in its home \\(its TLS is off")))] | length == 1' "$OUT" >/dev/null; then
        ok "$label: status --cluster: a records_lost problem for n1, exit 1"
    else
        bad "$label: status --cluster: no records_lost problem (exit $RC)"
    fi
    run ctl metrics
    expect "$label: metrics: sipc_storage_records_lost_findings 1" 0 '^sipc_storage_records_lost_findings 1$'
}

sipcd_start "$home" || exit 1
shown_lost "the start after the loss"
# the start saved the lower counts: the next one finds nothing new, yet the
# finding stands
kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
sipcd_start "$home" || exit 1
shown_lost "a restart later"
[ "$(grep -c 'WARN records.db holds fewer records' "$home/logs/"DataService_*.log | awk -F: '{ s += $NF } END { print s }')" = 1 ] &&
    ok "the WARN was logged once, at the start that found it" || not_ok "the WARN was logged again (or never)"

# a line edited by hand into bytes that are not UTF-8 is still shown (a
# finding JSON cannot carry would read "ok"); a file that cannot be read
# (a link, not followed) is named, not taken for none
lost=$home/state/records-lost
cp "$lost" "$work/lost.keep"
printf 'detected \xe9\xff by hand\n' >>"$lost"
run ctl status --json
if [ "$RC" = 0 ] && jq -e '.storage.records_lost | length == 2 and
        (.[1].message | test("cannot read: .detected \\?\\? by hand"))' "$OUT" >/dev/null; then
    ok "a hand-edited line of other bytes: shown beside the finding"
else
    bad "a hand-edited line of other bytes: not shown (exit $RC)"
fi
mv "$lost" "$work/lost.elsewhere"
ln -s "$work/lost.elsewhere" "$lost"
run ctl status --json
if [ "$RC" = 0 ] && jq -e '.storage.records_lost | length == 1 and
        (.[0].message | test("state/records-lost cannot be shown finding by finding: it cannot be read \\(Too many levels of symbolic links\\)"))' "$OUT" >/dev/null; then
    ok "state/records-lost a link: named as unreadable, not taken for no finding"
else
    bad "state/records-lost a link: not named (exit $RC)"
fi
rm "$lost"
cp "$work/lost.keep" "$lost"

# on a node without TLS, management.ack is refused (anyone who reaches the
# port could ask: test_ack_lost acknowledges over TLS): the finding stays
run ctl ack records-lost
expect "TLS off: sipcctl ack records-lost refused, exit 1" 1 \
    'acknowledgement refused: the request came in plaintext'
cmp -s "$home/state/records-lost" "$work/lost.keep" && ok "TLS off: the finding stays" ||
    not_ok "TLS off: state/records-lost changed"

# the operator acknowledges: the status says ok again at once
rm "$home/state/records-lost"
run ctl status --json
if [ "$RC" = 0 ] && jq -e '.storage.records_lost == []' "$OUT" >/dev/null; then
    ok "acknowledged (state/records-lost removed): records_lost is empty, no restart needed"
else
    bad "acknowledged: records_lost not empty (exit $RC)"
fi
run ctl status
expect "acknowledged: status: storage: ok" 0 '^  storage: ok$'
grep -q 'RECORDS LOST' "$OUT" && bad "acknowledged: status still says RECORDS LOST"
run ctl status --cluster
expect "acknowledged: status --cluster: OK" 0 '^cluster OK'
run ctl metrics
expect "acknowledged: metrics: sipc_storage_records_lost_findings 0" 0 '^sipc_storage_records_lost_findings 0$'
shtest_done
