#!/usr/bin/env bash
# test_storage_lost_held.sh - a finding of lost records that cannot be kept
# in state/records-lost is not forgotten: the records' mark is not saved with
# the database's lower counts (the next start, comparing with them, would no
# longer find the loss) until the finding is kept. A real sipcd ($BASE.10,
# plaintext) loses 300 records with its -wal (as in test_storage_lost); at
# the next start state/records-lost is a symbolic link, which sipcd does not
# follow and cannot read, so the finding cannot be added to it: the mark
# keeps the higher counts through the periodic saves and the stop, and the
# start after finds the loss again. Once the link is gone, the running node
# keeps the finding at its next save and only then saves the lower counts.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.53}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE.10":{23000,23001,23002,23003}
shtest_init lostheld
home=$work/home
db=$home/data/records.db
lost=$home/state/records-lost
node_home "$home" lostheld n1 "$BASE.10" "$BASE.10"
warns() { cat "$home/logs/"DataService_*.log 2>/dev/null | grep -c "WARN $1"; }
warned() { [ "$(warns "$1")" -ge 1 ]; }

sipcd_start "$home" || exit 1
at_exit 'kill -TERM $sipcd_pid 2>/dev/null'
records_ndjson "$work/a.ndjson" 300 h held 50
# a reader from before the ingest: no checkpoint copies the ingest's commits
# into records.db, so they go with the -wal
hold_snapshot "$db" "$work/reading"
run ctl ingest "$work/a.ndjson"
expect "300 records stored" 0 "^acknowledged: 300 "
wait_for 10 marked 300 || not_ok "the mark never said 300 records"
kill -KILL "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
kill -KILL "$reader"; wait "$reader" 2>/dev/null
rm -f "$db-wal" "$db-shm"

# state/records-lost a link: not followed, so not read, so not replaced
# (that would erase findings not yet acknowledged)
printf 'not a finding\n' >"$work/elsewhere"
ln -s "$work/elsewhere" "$lost"
sipcd_start "$home" || exit 1
wait_for 10 warned 'Cannot read state/records-lost' &&
    ok "the start says it cannot keep the finding, and holds the mark" ||
    not_ok "no WARN that state/records-lost cannot be read"
# two periodic saves (every 3 s) pass, then the stop's save
sleep 7
marked 300 && ok "the periodic saves keep the mark's higher counts while the finding is not kept" ||
    not_ok "the mark was saved with the lower counts before the finding was kept: $(cat "$home/state/records-mark")"
kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
marked 300 && ok "the stop keeps the mark's higher counts too" ||
    not_ok "the stop saved the mark with the lower counts: $(cat "$home/state/records-mark")"
[ "$(cat "$work/elsewhere")" = "not a finding" ] && [ -L "$lost" ] &&
    ok "the link and what it points to are left as they were" || not_ok "the link was followed or replaced"
[ "$(warns 'Cannot read state/records-lost')" = 1 ] &&
    ok "the retries were quiet: one WARN for the unreadable file" ||
    not_ok "the WARN for the unreadable file was repeated ($(warns 'Cannot read state/records-lost'))"

# the next start finds the loss again: it was not forgotten
sipcd_start "$home" || exit 1
[ "$(warns 'records.db holds fewer records')" = 2 ] &&
    ok "the start after finds the loss again" || not_ok "the loss was forgotten by the start after"
marked 300 || not_ok "the mark lost its higher counts at the second start"
# the link removed while it runs: the next save keeps the finding, then the
# lower counts
rm "$lost"
wait_for 10 test -f "$lost" && wait_for 5 marked 0 &&
    ok "once state/records-lost can be written, the finding is kept and then the mark saved" ||
    not_ok "the held finding was not kept after the link went (mark: $(cat "$home/state/records-mark"))"
run ctl status --json
if [ "$RC" = 0 ] && jq -e '.storage.records_lost | length == 1 and
        (.[0] | .records_gone == 300 and .records_committed == 300 and .records_found == 0)' \
        "$OUT" >/dev/null; then
    ok "status --json: the held finding, once, with its 300 records gone"
else
    bad "status --json: the held finding is not shown once (exit $RC)"
fi
# a restart finds nothing new (the mark holds the lower counts), the finding stays
kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null
sipcd_start "$home" || exit 1
[ "$(warns 'records.db holds fewer records')" = 2 ] &&
    ok "a restart after the finding was kept finds nothing new" || not_ok "the loss was found a third time"
run ctl status --json
[ "$RC" = 0 ] && jq -e '.storage.records_lost | length == 1' "$OUT" >/dev/null &&
    ok "the finding stands after the restart" || bad "the finding is gone after the restart (exit $RC)"
shtest_done
