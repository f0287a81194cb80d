#!/usr/bin/env bash
# test_ingest_order.sh - for each id, the last line of the input is what
# `sipcctl ingest` leaves stored, also when a batch is sent again while the
# batches after it go ahead. A sipcd n1 on $BASE.1 (plaintext, standard
# ports) behind busy_pipeline (its pipeline in front of n1's, on $BASE.2 at
# a port of the kernel's choice), which answers BUSY to the first batch, and
# again to each resend of it, until the other batches were answered (5) or
# 2 s passed. The file (batches of 500):
#   1: u-0000..0499 version 1      (held BUSY)
#   2: u-0500..0999 version 1      (no id of batch 1: goes ahead meanwhile)
#   3: u-0000..0499 version 2      (must wait for batch 1)
#   4: u-0500..0999 version 2
#   5, 6: w-0000..0999, once each
#   7: d-0..d-4 twice each, one line after the other, in the same batch
# Before the fix batches 2-6 were stored while batch 1 waited, and batch 1's
# resend then put version 1 back over version 2 of u-0000..0499.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.54}
PROXY=${1:-$BIN/tests/integration/busy_pipeline}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE".1:{23000,23001,23002,23003}
shtest_init order

one_node_home "$work/n1" order
sipcd_start_all "$work/n1" || exit 1

"$PROXY" "$BASE.2" "$BASE.1" 23003 order 5 2000 >"$work/proxy.port" 2>"$work/proxy.log" &
wait_for 10 test -s "$work/proxy.port" || { not_ok "busy_pipeline did not start"; shtest_show "$work/proxy.log"; shtest_done; exit; }
port=$(cat "$work/proxy.port")

python3 - "$work/recs.ndjson" <<'EOF'
import json, sys
def rec(f, id, v, ts):
    f.write(json.dumps({'id': id, 'timestamp_ms': 1764000000000 + ts, 'attributes': {'v': v},
                        'body': '%s version %s' % (id, v)}) + '\n')
with open(sys.argv[1], 'w') as f:
    for i in range(1000):
        rec(f, 'u-%04d' % i, '1', i)
    for i in range(1000):
        rec(f, 'u-%04d' % i, '2', 10000 + i)
    for i in range(1000):
        rec(f, 'w-%04d' % i, '1', 20000 + i)
    for i in range(5):
        rec(f, 'd-%d' % i, '1', 30000 + i)
        rec(f, 'd-%d' % i, '2', 30100 + i)
EOF

"$BIN/sipcctl" --home "$work/n1" --node "$BASE.2:$port" --timeout 10000 ingest \
    "$work/recs.ndjson" --json >"$work/res.json" 2>"$OUT"
RC=$?
if [ "$RC" = 0 ] && [ "$(jq .acknowledged "$work/res.json")" = 3010 ]; then
    ok "ingest through a pipeline that holds the first batch BUSY: exit 0, 3010 acknowledged"
else
    not_ok "ingest: exit $RC, $(jq -c '{sent, acknowledged, unavailable, read_not_sent}' "$work/res.json" 2>&1)"
    shtest_show "$OUT"
fi
# the test did what it says: batch 1 was answered BUSY and sent again
busy=$(grep -c '^busy' "$work/proxy.log")
released=$(sed -n 's/^released after \([0-9]*\) others.*/\1/p' "$work/proxy.log")
if [ "$busy" -ge 1 ] && [ -n "$released" ]; then
    ok "the first batch was answered BUSY $busy times, then stored after $released other batches"
else
    not_ok "the first batch was not held as planned (busy $busy, released after '${released}')"
    shtest_show "$work/proxy.log"
fi
# batches of other ids still go while one waits to be sent again
if [ -n "$released" ] && [ "$released" -ge 1 ]; then
    ok "a batch of other ids went ahead while the first waited"
else
    not_ok "no other batch went ahead while the first waited (released after '${released}')"
fi

"$BIN/sipcctl" --home "$work/n1" list --json --limit 5000 >"$work/list.json" 2>"$OUT" ||
    { bad "sipcctl list failed"; shtest_done; exit; }
total=$(jq length "$work/list.json")
old=$(jq -r '[.[] | select((.id | startswith("u-") or startswith("d-")) and .attributes.v != "2") | .id] | length' "$work/list.json")
shown=$(jq -r '[.[] | select((.id | startswith("u-") or startswith("d-")) and .attributes.v != "2") | .id] | .[:5] | join(" ")' "$work/list.json")
if [ "$total" = 2005 ] && [ "$old" = 0 ]; then
    ok "n1 holds 2005 records, every id updated later in the file with its last version"
else
    not_ok "n1 holds $total records (want 2005), $old of them an older version than the file's last (e.g. $shown)"
fi
body=$("$BIN/sipcctl" --home "$work/n1" get u-0007 2>&1)
[ "$body" = "u-0007 version 2" ] && ok "get u-0007: its last body" ||
    not_ok "get u-0007: '$body', want 'u-0007 version 2'"
body=$("$BIN/sipcctl" --home "$work/n1" get d-3 2>&1)
[ "$body" = "d-3 version 2" ] && ok "get d-3 (twice in one batch): its last body" ||
    not_ok "get d-3: '$body', want 'd-3 version 2'"
shtest_done
