#!/usr/bin/env bash
# test_graceful_stop.sh - SIGTERM during an ingest lets the requests in
# progress finish: a real sipcd ($BASE.1, plaintext, standard ports), a
# `sipcctl ingest` of 60,000 records through its pipeline into its data
# service, SIGTERM once records are being stored. The node stops within its
# drain limit (10 s) and exits 0; every record stored was acknowledged to
# the client and every acknowledged one is stored (a plain close dropped the
# answers of batches already committed: stored > acknowledged); the logs say
# the stop waits for the requests in progress; the ingest says what it never
# sent.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.63}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init gracefulstop
need_free "$BASE.1":{23000,23001,23002,23003}
home=$work/n1
one_node_home "$home" stop
python3 -c "
import json
with open('$work/r.ndjson', 'w') as f:
    for i in range(60000):
        f.write(json.dumps({'id': 'g-%05d' % i, 'timestamp_ms': 1764000000000 + i, 'body': 'record %d' % i}) + '\n')"
sipcd_start "$home" || exit 1
"$BIN/sipcctl" --home "$home" ingest "$work/r.ndjson" --json >"$work/ing.json" 2>"$work/ing.err" &
ing=$!
stored() { python3 -c "
import sqlite3, sys
c = sqlite3.connect('file:$home/data/records.db?mode=ro', uri=True)
print(c.execute('SELECT count(*) FROM records').fetchone()[0])" 2>/dev/null || echo 0; }
_storing() { [ "$(stored)" -gt 0 ]; }
wait_for 10 _storing || not_ok "no record stored within 10 s"
t0=$(sc_now_ms)
kill -TERM "$sipcd_pid"
wait "$sipcd_pid"
rc=$?
took=$(($(sc_now_ms) - t0))
wait "$ing"
[ "$rc" = 0 ] && [ "$took" -lt 20000 ] && ok "sipcd stopped on SIGTERM in $took ms, exit 0" ||
    not_ok "sipcd stop: exit $rc after $took ms"
acked=$(python3 -c "import json; print(json.load(open('$work/ing.json'))['acknowledged'])")
n=$(stored)
if [ "$acked" -gt 0 ] && [ "$acked" -lt 60000 ] && [ "$n" = "$acked" ]; then
    ok "stopped mid-ingest: $acked records acknowledged, exactly those stored"
else
    not_ok "acknowledged $acked, stored $n"; shtest_show "$work/ing.err"
fi
grep -q "Service.Stop INFO Received SIGTERM, stopping Pipeline Service: no new connections; the requests in progress are answered first" "$home/logs/"PipelineService_*.log &&
    ok "the log says the stop lets the requests in progress finish" || not_ok "no drain line in the pipeline log"
python3 -c "
import json
d = json.load(open('$work/ing.json'))
if 'not_sent' in d:
    assert d['stopped_after_line'] + d['not_sent'] == 60000, d
else:
    assert d['sent'] == 60000, d" 2>"$OUT" &&
    ok "the ingest accounts for the lines it never sent" || bad "ingest summary"
shtest_done
