#!/usr/bin/env bash
# test_storage_full_ingest.sh - an ingest while one node's disk is full:
# nodes n1..n3 ($BASE.11-13, plaintext, standard ports), n3's data directory
# on a small tmpfs filled up to the last byte once n3 has started.
#   - an ingest through n1 of records hashed over all three nodes finishes
#     well within one request's deadline (not each request held to it):
#     every record of n1 and n2 acknowledged, n3's UNAVAILABLE with a reason
#     that starts with the cause and names the node: "storage failing on n3
#     (ADDR): ... disk is full"; n1's pipeline log says so once
#   - room made on n3: the same file again, every record acknowledged (the
#     pipeline's probe notices the room by itself)
# Needs root to mount the tmpfs, in a mount namespace of its own: skipped
# (exit 77) otherwise.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.62}
. "$(dirname "$0")/../support/shtest.sh"
shtest_mount_ns "$0" "$@"
need_free "$BASE".{11,12,13}:{23000,23001,23002,23003}
shtest_init storagefull
nodes="$BASE.11, $BASE.12, $BASE.13"
node_home "$work/n1" sf n1 "$BASE.11" "$nodes"
node_home "$work/n2" sf n2 "$BASE.12" "$nodes"
data_on_tmpfs "$work/n3" 4m
node_home "$work/n3" sf n3 "$BASE.13" "$nodes"
# n3 last: data_on_tmpfs stops $sipcd_pid before the tmpfs goes
sipcd_start_all "$work/n1" "$work/n2" "$work/n3" || exit 1

N=15000
python3 - "$work/recs.ndjson" "$N" <<'PY'
import json, sys
with open(sys.argv[1], 'w') as f:
    for i in range(int(sys.argv[2])):
        f.write(json.dumps({'id': 'sf-%05d' % i, 'timestamp_ms': 1764000000000 + i,
                            'body': ('record %d ' % i) * 8}) + '\n')
PY
# every node's data link from n1's pipeline up (so that n3 has said its id)
links_up() {
    [ "$("$BIN/sipcctl" --home "$work/n1" status --json 2>/dev/null |
        jq '[.links[] | select(.service == "pipeline" and .up)] | length')" = 3 ]
}
wait_for 20 links_up || not_ok "n1's pipeline links never all came up"

# the disk full: nothing more fits on n3's tmpfs
dd if=/dev/zero of="$mnt/filler" bs=64k >/dev/null 2>&1
# ingest: through n1, a 10 s deadline per batch; the answer in $work/res.json,
# the time it took (ms) in $took
ingest() {
    local t0
    t0=$(sc_now_ms)
    "$BIN/sipcctl" --home "$work/n1" --timeout 10000 ingest "$work/recs.ndjson" --json \
        --failed-max $N >"$work/res.json" 2>"$OUT"
    RC=$?
    took=$(($(sc_now_ms) - t0))
}
ingest
python3 - "$work/res.json" "$BASE.13:23000" "$took" >"$work/check.txt" 2>&1 <<'PY'
import json, sys
res, n3, took = json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3])
failed = res.get('failed', [])
want = 'storage failing on n3 (%s): ' % n3
bad = [f for f in failed if not f['reason'].startswith(want) or 'disk is full' not in f['reason']]
problems = []
if not failed or res['unavailable'] != len(failed):
    problems.append('unavailable %d, failed listed %d' % (res['unavailable'], len(failed)))
# n1's and n2's records are about two thirds; a few of n3's may have fitted
if res['acknowledged'] + res['unavailable'] != res['sent'] or res['acknowledged'] < res['sent'] // 2:
    problems.append('acknowledged %d of %d' % (res['acknowledged'], res['sent']))
if bad:
    problems.append('%d reasons without the failing storage first: %s' % (len(bad), bad[0]['reason']))
# held to the deadline, each request with a record for n3 would wait 9 s
if took > 8000:
    problems.append('took %d ms' % took)
print('; '.join(problems) if problems else
      '%d acknowledged, %d UNAVAILABLE in %d ms: %s' % (res['acknowledged'], res['unavailable'],
                                                      took, failed[0]['reason']))
sys.exit(1 if problems else 0)
PY
if [ $? = 0 ] && [ "$RC" = 69 ]; then
    ok "n3's disk full: $(cat "$work/check.txt")"
else
    not_ok "n3's disk full: exit $RC: $(cat "$work/check.txt")"
    shtest_show "$OUT"
fi
plog() { cat "$work/n1/logs/"PipelineService_*.log; }
if [ "$(plog | grep -c "WARN data service $BASE.13:23000: STORAGE: .*disk is full; its records are answered UNAVAILABLE at once")" -ge 1 ]; then
    ok "n1's pipeline log says n3's storage fails"
else
    not_ok "no pipeline WARN for n3's storage"; plog | grep -i 'pipeline' | tail -5
fi

# room again: the same file stores what is missing
rm -f "$mnt/filler"
all_acked() { ingest; [ "$RC" = 0 ] && [ "$(jq .acknowledged "$work/res.json")" = "$N" ]; }
if wait_for 30 all_acked; then
    ok "room made on n3: every record acknowledged ($(jq -c '{created, unchanged}' "$work/res.json"))"
else
    bad "room made on n3: exit $RC, $(jq -c '{acknowledged, unavailable}' "$work/res.json")"
fi
if plog | grep -q "INFO data service $BASE.13:23000 acknowledges records again"; then
    ok "n1's pipeline log says n3 stores again"
else
    not_ok "no pipeline INFO for n3 storing again"
fi
shtest_done
