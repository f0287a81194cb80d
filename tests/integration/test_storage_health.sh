#!/usr/bin/env bash
# test_storage_health.sh - a node tells when its database fails and when it
# works again, without root: another process holds the database's write
# lock (as the sqlite3 shell left open in a transaction would), so the data
# service's writes fail after its 5 s busy timeout. A real sipcd ($BASE.1,
# plaintext). While the lock is held: the put is refused with a storage
# error, `sipcctl status` says writes FAIL with the reason, the cluster
# status has a storage_failing problem, the metric is 1, and the node's own
# test write (every second here, $SIPCD_STORAGE_PROBE_MS; 10 s on a node,
# while nothing else writes) fails too, so the state
# stays. Once the lock goes, with no request sent, the test write finds that
# writes work again: one INFO line, status ok, metric 0, cluster OK. Then
# under a file size limit: writes past it fail as a storage error, and the
# node lives on.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.64}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE.1":{23000,23001,23002,23003}
shtest_init storage
home=$work/home
one_node_home "$home" health
# the test writes' period, 10 s on a node: what is shown is the same
export SIPCD_STORAGE_PROBE_MS=1000
sipcd_start "$home" || exit 1

run ctl put before --body "stored"
expect "a put works before the lock" 0
run ctl status
expect "status: storage ok" 0 '^  storage: ok$'

# the lock: held until its holder is killed
python3 - "$home/data/records.db" "$work/locked" <<'EOF' &
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(300)
EOF
locker=$!
_locked() { [ -e "$work/locked" ]; }
wait_for 10 _locked || { not_ok "the lock was not taken"; shtest_done; exit 1; }

run ctl put during --body "refused"
expect "a put is refused with a storage error while the lock is held" 1 'STORAGE|storage' 'database is locked'
run ctl status
expect "status: writes FAIL, naming the lock" 0 '^  storage: writes FAIL since 20[0-9-]*T[0-9:]*Z \(1 request failed, the latest at [^)]*\): .*database is locked'
run ctl status --cluster --json
if [ "$RC" = 1 ] && jq -e '[.problems[] | select(.kind == "storage_failing" and .node == "n1")] | length == 1' "$OUT" >/dev/null; then
    ok "status --cluster: a storage_failing problem for n1, exit 1"
else
    bad "status --cluster: no storage_failing problem (exit $RC)"
fi
run ctl metrics
expect "metrics: sipc_storage_failing for writes is 1" 0 '^sipc_storage_failing\{operation="writes"\} 1$'
# two test writes' time (1 s apart, each waiting 5 s for the lock): both
# fail, so nothing says the writes work again
sleep 13
if ! datalog | grep -q 'work again'; then
    ok "while the lock is held the node's test writes fail too: no 'work again'"
else
    not_ok "writes said to work again while the lock is held"; datalog | grep Data.Storage
fi
run ctl status --json
if jq -e '.storage.writes.failing == true and .storage.writes.failures == 1 and (.storage.writes.last_error | test("database is locked"))' "$OUT" >/dev/null; then
    ok "status still failing; the test writes are not counted as failed requests"
else
    bad "status after the failed test writes"
fi

# the lock goes; nothing is sent: the test write finds writes work again
kill "$locker"
wait "$locker" 2>/dev/null
_back() { datalog | grep -q 'Data.Storage INFO writes to the database work again (a test write succeeded): 1 request failed'; }
if wait_for 20 _back; then
    ok "with no request, the node's test write found that writes work again"
else
    not_ok "no 'work again' within 20 s of the lock's end"; datalog | grep Data.Storage
fi
run ctl status
expect "status: storage ok again" 0 '^  storage: ok$'
run ctl metrics
expect "metrics: sipc_storage_failing for writes is 0, one failure counted" 0 '^sipc_storage_failing\{operation="writes"\} 0$' '^sipc_storage_failures_total\{operation="writes"\} 1$'
run ctl status --cluster
expect "status --cluster: OK again" 0 '^cluster OK'
run ctl get before
expect "the record stored before is there" 0 'stored'
if [ "$(datalog | grep -c 'Data.Storage')" = 2 ]; then
    ok "two Data.Storage lines in all (the ERROR and the INFO)"
else
    not_ok "Data.Storage lines:"; datalog | grep Data.Storage
fi

# a file size limit (ulimit -f, systemd's LimitFSIZE=): writes past it fail
# as a storage error the node says; SIGXFSZ, whose default is to kill the
# process, must not end it
kill -TERM "$sipcd_pid"
wait "$sipcd_pid" 2>/dev/null
limited=$work/sipcd-fsize
printf '#!/bin/sh\n# the signal as a shell or service manager leaves it: its default\ntrap - XFSZ\nexec prlimit --fsize=%d "%s" "$@"\n' 3000000 "$BIN/sipcd" >"$limited"
chmod +x "$limited"
SIPCD=$limited sipcd_start "$home" || exit 1
python3 - "$work/big.ndjson" <<'EOF'
import json, sys
with open(sys.argv[1], 'w') as f:
    for i in range(4000):
        f.write(json.dumps({'id': 'big-%05d' % i, 'timestamp_ms': 1764000000000 + i,
                            'body': ('record %d ' % i) * 100}) + '\n')
EOF
run ctl ingest "$work/big.ndjson"
if kill -0 "$sipcd_pid" 2>/dev/null; then
    ok "past a 3 MB file size limit the node still runs (ingest exit $RC)"
else
    wait "$sipcd_pid"
    not_ok "the node died under a file size limit (exit $?)"
fi
if datalog | grep -q 'Data.Storage ERROR writes to the database fail: .*File too large'; then
    ok "the node said that writes fail past the file size limit"
else
    not_ok "no Data.Storage ERROR naming the file size limit"; datalog | grep Data.Storage | tail -3
fi
run ctl status
expect "status: writes FAIL (File too large)" 0 '^  storage: writes FAIL since .*File too large'
# the limit stays, so the database stays at it: no test write may end the
# failure (one would fit in space the files hold), over three periods
sleep 3
run ctl status
if [ "$RC" = 0 ] && grep -q '^  storage: writes FAIL' "$OUT" && [ "$(datalog | grep -c 'work again')" = 1 ]; then
    ok "at the file size limit the node stays failing (no test write ends it)"
else
    bad "the failing state ended at the file size limit"; datalog | grep Data.Storage | tail -3
fi
shtest_done
