#!/usr/bin/env bash
# test_sync_default.sh - with no [data] sync line a node's acknowledged
# record is on disk: a real sipcd ($BASE.1, plaintext) run with an LD_PRELOAD
# library that logs every fsync/fdatasync of records.db-wal; each put's
# answer comes after at least one sync of the log. With `sync = normal`
# (the opt-in) the same puts sync nothing (after the first write since the
# start, which syncs the log's new header), which shows the count is the
# commit's.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
SHIM=${1:?the count_wal_syncs library}
BASE=${SIPC_TEST_NET:-127.1.42}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE.1":{23000,23001,23002,23003}
shtest_init sync_default
home=$work/home
one_node_home "$home" syncdefault
export SYNC_LOG=$work/syncs
syncs() { grep -c 'records.db-wal$' "$SYNC_LOG" 2>/dev/null || echo 0; }
stop() { kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null; sipcd_pid=; }
sipcd_preloaded "$SHIM"

sipcd_start "$home" || exit 1
run ctl put default-0 --body "record 0"
for i in 1 2 3; do
    before=$(syncs)
    run ctl put "default-$i" --body "record $i"
    after=$(syncs)
    if [ "$RC" = 0 ] && [ "$after" -gt "$before" ]; then
        ok "put $i (default sync): records.db-wal synced before the answer ($before -> $after)"
    else
        bad "put $i (default sync): exit $RC, records.db-wal syncs $before -> $after"
    fi
done
stop

printf '[data]\nsync = normal\n' >>"$home/sipc.conf"
sipcd_start "$home" || exit 1
# the first write after a start syncs the log's new header: the next ones
run ctl put opt-in-0 --body "normal"
before=$(syncs)
run ctl put opt-in-1 --body "normal" && run ctl put opt-in-2 --body "normal"
after=$(syncs)
if [ "$RC" = 0 ] && [ "$after" = "$before" ]; then
    ok "sync = normal: puts are answered without a sync of the log"
else
    bad "sync = normal: exit $RC, records.db-wal syncs $before -> $after"
fi
stop
shtest_done
