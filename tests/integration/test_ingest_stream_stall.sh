#!/usr/bin/env bash
# test_ingest_stream_stall.sh - a producer feeding `sipcctl ingest -` at a
# steady rate while one destination stops answering (SIGSTOP): nodes n1..n3
# ($BASE.21-23, plaintext, standard ports), 9,000 records written into the
# pipe at 1,500 a second, hashed over all three nodes, through n1 with the
# default --timeout; n3 stopped 1 s in. The run reads its whole input: no
# "call deadline exceeded" ends it; every record is acknowledged or listed
# failed with a reason (n3's share not acknowledged: the pipeline answers
# within the call's deadline), exit 69 as for any partial failure. Then
# lines written into the pipe in pieces are read whole.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.42}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE".{21,22,23}:{23000,23001,23002,23003}
shtest_init stream_stall
N=9000
conf() { node_home "$work/$1" st "$1" "$BASE.$2" "$BASE.21, $BASE.22, $BASE.23"; }
conf n1 21
conf n2 22
conf n3 23
sipcd_start_all "$work"/n{1,2,3} || exit 1
n3_pid=${node_pids[2]}
# n1's pipeline links up before the run (a link still connecting is not the case here)
links_up() {
    [ "$("$BIN/sipcctl" --home "$work/n1" --timeout 3000 status --json 2>/dev/null |
        jq '[.links[] | select(.service == "pipeline" and .up)] | length')" = 3 ]
}
wait_for 20 links_up || not_ok "n1's pipeline links did not all come up"

# feed: N records at 1,500 a second into stdout (a batch of 15 every 10 ms)
feed() {
    python3 -c '
import json, sys, time
n = int(sys.argv[1]); t0 = time.monotonic()
for i in range(n):
    sys.stdout.write(json.dumps({"id": "s-%05d" % i, "timestamp_ms": 1764000000000 + i,
                                 "body": "record %d" % i}) + "\n")
    if i % 15 == 14:
        sys.stdout.flush()
        time.sleep(max(0, t0 + (i + 1) / 1500.0 - time.monotonic()))
sys.stdout.flush()
' "$N"
}
(sleep 1; kill -STOP "$n3_pid") &
t0=$(sc_now_ms)
feed | timeout 60 "$BIN/sipcctl" --home "$work/n1" ingest - --json --failed-max 20000 \
    >"$work/res.json" 2>"$OUT"
RC=$?
took=$(($(sc_now_ms) - t0))
kill -CONT "$n3_pid"
python3 - "$work/res.json" "$N" >"$work/check.txt" 2>&1 <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); n = int(sys.argv[2])
failed = r.get("failed") or []
print("sent %s acknowledged %s unavailable %s rejected %s failed %d stopped_after_line %s"
      % (r.get("sent"), r.get("acknowledged"), r.get("unavailable"), r.get("rejected"),
         len(failed), r.get("stopped_after_line")))
assert r.get("sent") == n, "not every line was sent"
assert r.get("stopped_after_line") is None, "the run stopped early"
assert r["acknowledged"] + r["unavailable"] == n, "records not accounted for"
assert len(failed) == r["unavailable"], "a failed record not listed"
assert all(f.get("reason") for f in failed), "a failed record without a reason"
assert r["unavailable"] > 0, "nothing failed: n3 was not stopped in time"
PY
checked=$?
if [ "$RC" = 69 ] && [ "$checked" = 0 ] && ! grep -q 'call deadline exceeded' "$OUT"; then
    ok "the paced run read all $N lines in $took ms, every record accounted for, exit 69: $(cat "$work/check.txt")"
else
    bad "the paced run: exit $RC after $took ms: $(tr '\n' ' ' <"$work/check.txt")"
fi

# lines that reach the pipe in pieces (a block-buffered producer, ssh): the
# read that finds the pipe empty in the middle of a line waits for its rest;
# a line longer than the pipe's buffer (200 KiB body) comes in many reads
wait_for 20 links_up || not_ok "n3 continued: n1's pipeline links did not all come back"
pieces() {
    python3 -c '
import json, sys, time
for i, body in enumerate(["short", "x" * 200000, "last"]):
    line = json.dumps({"id": "piece-%d" % i, "timestamp_ms": 1764000000000 + i, "body": body}) + "\n"
    for k in range(0, len(line), max(1, len(line) // 3)):
        sys.stdout.write(line[k:k + max(1, len(line) // 3)])
        sys.stdout.flush()
        time.sleep(0.3)
'
}
pieces | timeout 60 "$BIN/sipcctl" --home "$work/n1" ingest - --json >"$work/pieces.json" 2>"$OUT"
RC=$?
if [ "$RC" = 0 ] && [ "$(jq .acknowledged "$work/pieces.json")" = 3 ]; then
    ok "lines written in pieces, one longer than a pipe holds: all 3 acknowledged"
else
    bad "lines written in pieces: exit $RC, $(jq -c '{sent, acknowledged, unavailable}' "$work/pieces.json" 2>/dev/null) $(head -c 300 "$OUT")"
fi
shtest_done
