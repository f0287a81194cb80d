#!/usr/bin/env bash
# test_ack_lost.sh - a finding of lost records is acknowledged remotely with
# `sipcctl ack records-lost`. Two real sipcds, n1 ($BASE.1) and n2 ($BASE.2),
# TLS permissive with the cluster's pair; n1 loses 300 committed records
# with its deleted records.db-wal (as in test_storage_lost). Then, from n2's
# home, as an operator on another node:
#   - from a home without the pair (plaintext): refused, exit 1, the
#     finding stays, n1 logs the refusal
#   - unreachable node: exit 69; state/records-lost not a file: exit 1
#     naming why, the finding stays
#   - a finding added between the list and the removal stays (the request
#     names the lines it removes: management.ack asked with the first line
#     alone), and one named but gone already is said "gone"
#   - the real ack: prints the finding, removes it, exit 0; status,
#     status --cluster and the metric are ok again at once; n1 logs an INFO
#     naming who asked; a second ack: nothing to acknowledge, exit 0; a
#     finding after it is acknowledged only by a later ack, a hand-edited
#     line of other bytes as the status shows it
#   - the status and the ack read state/records-lost alike: a NUL, a line
#     longer than sipcd writes (cut, named so) and 22 lines are all
#     acknowledged; 65 lines or 70000 bytes are shown as a file that cannot
#     be shown finding by finding, and the ack says why, exit 1
#   - a plaintext caller's refusals: one WARN a minute; a request naming more
#     than 64 lines or a line over 2048 bytes: refused
#   - n1 with TLS off: status and status --cluster say to remove the file
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.72}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE.1":{23000,23001,23002,23003} "$BASE.2":{23000,23001,23002,23003}
shtest_init acklost
h1=$work/n1
h2=$work/n2
db=$h1/data/records.db
lost=$h1/state/records-lost
node_home "$h1" acklost n1 "$BASE.1" "$BASE.1, $BASE.2"
node_home "$h2" acklost n2 "$BASE.2" "$BASE.1, $BASE.2"
pair_home "$h1" || exit 1
"$BIN/tlstool" --home "$h2" import "$h1.p12" >/dev/null || { not_ok "n2's pair"; exit 1; }
for h in "$h1" "$h2"; do
    "$BIN/tlstool" --home "$h" enable --mode permissive >/dev/null || { not_ok "tlstool enable"; exit 1; }
done
# a home without the pair: plaintext toward a permissive node
plain=$work/plain
mkdir -p "$plain"
printf '[cluster]\nname = acklost\nnodes = %s, %s\n' "$BASE.1" "$BASE.2" >"$plain/sipc.conf"
ctl1() { "$BIN/sipcctl" --home "$h1" --timeout 20000 "$@"; }
ctl2() { "$BIN/sipcctl" --home "$h2" --timeout 20000 "$@"; }
data_log() { cat "$h1/logs/"DataService_*.log 2>/dev/null; }
# runj COMMAND...: run, with stdout alone in $OUT (JSON; "Connected to" and
# failures on stderr)
runj() { "$@" >"$OUT" 2>"$work/stderr"; RC=$?; }

sipcd_start "$h2" || exit 1
pid2=$sipcd_pid
at_exit 'kill -TERM $pid2 2>/dev/null'
sipcd_start "$h1" || exit 1
pid1=$sipcd_pid
at_exit 'kill -TERM $pid1 2>/dev/null'

# --- n1 loses 300 committed records (test_storage_lost's way) ------------------
records_ndjson "$work/a.ndjson" 300 a lost 50
hold_snapshot "$db" "$work/reading"
run ctl1 ingest --to n1 "$work/a.ndjson"
expect "300 records stored on n1" 0 "^acknowledged: 300 "
wait_for 10 grep -q "created 300 " "$h1/state/records-mark" || not_ok "the mark never said 300 records"
kill -KILL "$pid1"; wait "$pid1" 2>/dev/null
kill -KILL "$reader"; wait "$reader" 2>/dev/null
rm -f "$db-wal" "$db-shm"
sipcd_start "$h1" || exit 1
pid1=$sipcd_pid
wait_for 10 test -s "$lost" || { not_ok "no finding in state/records-lost"; shtest_done; exit 1; }
first=$(cat "$lost")

runj ctl2 status --cluster --json
if [ "$RC" = 1 ] && jq -e '[.problems[] | select(.kind == "records_lost" and .node == "n1" and
        (.message | contains("sipcctl ack records-lost --node '"$BASE"'.1 (over TLS")))] | length == 1' "$OUT" >/dev/null; then
    ok "before: status --cluster from n2: a records_lost problem for n1 naming sipcctl ack, exit 1"
else
    bad "before: status --cluster from n2 (exit $RC)"
fi
run ctl1 status --json
if [ "$RC" = 0 ] && [ "$(jq -r '.storage.records_lost[0].line' "$OUT")" = "$first" ]; then
    ok "the status's finding carries its line as state/records-lost holds it"
else
    bad "the status's finding has no line, or another one (exit $RC)"
fi

# --- refused and failing acknowledgements leave the finding ---------------------
run "$BIN/sipcctl" --home "$plain" --node "$BASE.1" ack records-lost
expect "from a home without the pair (plaintext): refused, exit 1" 1 \
    '^n1 \('"$BASE"'\.1:23002\): found 1 finding of lost records; asking the node to acknowledge it:$' \
    '^  RECORDS LOST \(found at the start at .*up to 300 acknowledged records are gone' \
    'acknowledgement refused: the request came in plaintext'
[ "$(cat "$lost")" = "$first" ] && ok "refused: state/records-lost unchanged" ||
    not_ok "refused: state/records-lost changed"
wait_for 5 sh -c "cat '$h1'/logs/DataService_*.log | grep -q 'WARN Acknowledgement of lost records asked by .* (node sipcctl[^,]*, plaintext) refused: it came in plaintext'" &&
    ok "refused: n1 logs who asked in plaintext" || not_ok "refused: no WARN on n1"
# anyone who reaches the port can ask again and again: one WARN a minute
for _ in 1 2 3; do
    "$BIN/sipcctl" --home "$plain" --node "$BASE.1" ack records-lost >/dev/null 2>&1
done
sleep 1.5 # past the logger's own flush
n=$(data_log | grep -c 'refused: it came in plaintext')
[ "$n" = 1 ] && ok "refused again and again: still one WARN line (one a minute at most)" ||
    not_ok "refused again and again: $n WARN lines"

run ctl2 --node "$BASE.9" ack records-lost
expect "an unreachable node: exit 69" 69 "$BASE\\.9:23002"
runj ctl2 --node "$BASE.9" ack records-lost --json
if [ "$RC" = 69 ] && jq -e '.ok == false and .exit_code == 69' "$OUT" >/dev/null; then
    ok "an unreachable node, --json: {ok: false, exit_code: 69}"
else
    bad "an unreachable node, --json (exit $RC)"
fi

mv "$lost" "$work/lost.file"
mkdir "$lost"
run ctl2 --node "$BASE.1" ack records-lost
expect "state/records-lost a directory: exit 1, naming why" 1 \
    'nothing acknowledged: .*/state/records-lost cannot be acknowledged finding by finding: it is not a regular file; remove it in the node.s home once dealt with'
rmdir "$lost"
mv "$work/lost.file" "$lost"
[ "$(cat "$lost")" = "$first" ] && ok "failed: the finding is still there" || not_ok "failed: the finding changed"

# --- a finding added between the list and the removal stays ---------------------
later="detected 2026-12-06T03:00:00Z instance 7 created 5 of 10 writes 0 of 0 by 2026-12-06T02:59:00Z"
printf '%s\n' "$later" >>"$lost"
req=$(jq -nc --arg l "$first" '{what: "records-lost", lines: [$l]}')
runj ctl2 call "$BASE.1:23002" management ack "$req"
if [ "$RC" = 0 ] && jq -e --arg f "$first" --arg l "$later" '.result == "acknowledged" and
        .removed == [$f] and .kept == [$l] and .gone == [] and
        (.message | test("findings not named .* stay"))' "$OUT" >/dev/null; then
    ok "management.ack naming the first line: it is removed, the later one kept and named"
else
    bad "management.ack naming the first line (exit $RC)"
fi
[ "$(cat "$lost")" = "$later" ] && ok "state/records-lost holds the later finding alone" ||
    not_ok "state/records-lost: '$(cat "$lost")'"
runj ctl2 call "$BASE.1:23002" management ack "$req"
if [ "$RC" = 0 ] && jq -e --arg f "$first" '.result == "nothing" and .removed == [] and
        .gone == [$f]' "$OUT" >/dev/null; then
    ok "the same request again: nothing, the line said gone"
else
    bad "the same request again (exit $RC)"
fi
run ctl2 call "$BASE.1:23002" management ack '{"lines": 1}'
expect "a malformed request: an error" 1 'ack request: expected'
run ctl2 call "$BASE.1:23002" management ack "$(jq -nc '{what: "records-lost", lines: [range(65) | tostring]}')"
expect "65 lines named: refused, at most 64" 1 'ack request: 65 lines named, at most 64'
run ctl2 call "$BASE.1:23002" management ack "$(jq -nc '{what: "records-lost", lines: ["a", ("x" * 2049)]}')"
expect "a line of 2049 bytes named: refused, at most 2048" 1 'ack request: line 2 is 2049 bytes, at most 2048'
[ "$(cat "$lost")" = "$later" ] && ok "refused requests: state/records-lost unchanged" ||
    not_ok "refused requests changed state/records-lost"

# --- the acknowledgement from n2's home --------------------------------------------
printf '%s\n' "$first" >"$lost"
run ctl2 --node "$BASE.1" ack records-lost
expect "ack from n2's home: the finding shown and acknowledged, exit 0" 0 \
    '^n1 \('"$BASE"'\.1:23002\): found 1 finding of lost records; asking the node to acknowledge it:$' \
    '^  RECORDS LOST \(found at the start at 20[0-9-]+T[0-9:]+Z\): records.db holds fewer records' \
    '^n1 \('"$BASE"'\.1:23002\): 1 finding of lost records acknowledged: state/records-lost removed$'
[ -e "$lost" ] && not_ok "state/records-lost is still there" || ok "state/records-lost removed"
# the caller as the management channel knows it: its address, its node id
# (sipcctl's client id), TLS
wait_for 5 sh -c "cat '$h1'/logs/DataService_*.log | grep -q 'INFO Lost records acknowledged by [0-9.]*:[0-9]* (node sipcctl:[^,]*, TLS): '" &&
    [ "$(data_log | grep -c "INFO Lost records acknowledged by .*, TLS): $first\$")" -ge 1 ] &&
    ok "n1 logs an INFO naming who asked (address, node id, TLS) and the finding" ||
    { not_ok "no INFO on n1 naming who acknowledged"; data_log | grep -i acknowledg | sed 's/^/    | /'; }
run ctl1 status
expect "after: status: storage: ok" 0 '^  storage: ok$'
grep -q 'RECORDS LOST' "$OUT" && bad "after: status still says RECORDS LOST"
# (the cluster is still permissive, and the plaintext home above is a
# plaintext peer for n1's strict guard: those stay flagged)
runj ctl2 status --cluster --json
if jq -e '[.problems[] | select(.kind == "records_lost")] == [] and
        (.nodes | length == 2)' "$OUT" >/dev/null; then
    ok "after: status --cluster from n2: no records_lost problem"
else
    bad "after: status --cluster from n2: records_lost still there (exit $RC)"
fi
run ctl1 metrics
expect "after: metrics: sipc_storage_records_lost_findings 0" 0 '^sipc_storage_records_lost_findings 0$'

run ctl2 --node "$BASE.1" ack records-lost
expect "again: nothing to acknowledge, exit 0" 0 \
    '^n1 \('"$BASE"'\.1:23002\): nothing to acknowledge: the node shows no finding of lost records$'
run ctl2 --node "$BASE.1" ack records-lost --json
if [ "$RC" = 0 ] && jq -e '.result == "nothing" and .node == "n1" and .shown == []' "$OUT" >/dev/null; then
    ok "again, --json: result nothing"
else
    bad "again, --json (exit $RC)"
fi

# a finding after the acknowledgement is a new one: shown, and acknowledged
# only by a later ack
printf '%s\n' "$later" >"$lost"
run ctl1 metrics
expect "a later finding: metrics 1 again" 0 '^sipc_storage_records_lost_findings 1$'
run ctl2 --node "$BASE.1" ack records-lost --json
if [ "$RC" = 0 ] && jq -e --arg l "$later" '.result == "acknowledged" and .removed == [$l] and
        (.shown | length == 1) and .shown[0].line == $l and .kept == []' "$OUT" >/dev/null &&
    [ ! -e "$lost" ]; then
    ok "the later finding, --json: shown and acknowledged"
else
    bad "the later finding, --json (exit $RC)"
fi

# a line edited by hand into bytes outside printable ASCII: the status shows
# them as '?', and the line so shown names it
printf 'detected \xe9\xff by hand\n' >"$lost"
runj ctl2 --node "$BASE.1" ack records-lost --json
if [ "$RC" = 0 ] && jq -e '.result == "acknowledged" and .removed == ["detected ?? by hand"]' "$OUT" >/dev/null &&
    [ ! -e "$lost" ]; then
    ok "a hand-edited line of other bytes: acknowledged as the status shows it"
else
    bad "a hand-edited line of other bytes (exit $RC)"
fi

# what the status shows is what an ack names: a NUL, a line longer than any
# sipcd writes (shown cut, named so), more lines than sipcd keeps
long="detected by hand $(head -c 2000 /dev/zero | tr '\0' y)"
{ printf 'detected x\0tail\n%s\n' "$long"; for i in $(seq 1 20); do echo "hand $i"; done; } >"$lost"
runj ctl1 status --json
if jq -e '(.storage.records_lost | length) == 22 and
        .storage.records_lost[0].line == "detected x?tail" and
        .storage.records_lost[1].cut == true and
        (.storage.records_lost[1].line | endswith("...[cut: 2017 bytes]")) and
        (.storage.records_lost[1].line | length) < 1100 and
        .storage.records_lost[21].line == "hand 20"' "$OUT" >/dev/null; then
    ok "status: a NUL as '?', a 2017-byte line cut and said so, all 22 lines"
else
    bad "status: the hand-edited lines (exit $RC)"; jq -c '.storage.records_lost' "$OUT" | head -c 600
fi
run ctl2 --node "$BASE.1" ack records-lost
expect "ack: every line the status shows is acknowledged, the cut one too, exit 0" 0 \
    '^n1 \('"$BASE"'\.1:23002\): found 22 findings of lost records; asking the node to acknowledge them:$' \
    '^n1 \('"$BASE"'\.1:23002\): 22 findings of lost records acknowledged: state/records-lost removed$'
grep -q 'stays\|already gone' "$OUT" && bad "ack of the shown lines: something said to stay or be gone"
[ -e "$lost" ] && not_ok "state/records-lost still there after all was acknowledged" ||
    ok "state/records-lost removed"

# a file the status cannot show finding by finding: shown as such, and the
# ack says why it cannot, exit 1
for i in $(seq 1 65); do echo "hand $i"; done >"$lost"
runj ctl1 status --json
if jq -e '(.storage.records_lost | length) == 1 and (.storage.records_lost[0] | has("line") | not) and
        (.storage.records_lost[0].message | test("cannot be shown finding by finding: it holds 65 lines"))' \
        "$OUT" >/dev/null; then
    ok "status: 65 lines shown as a file that cannot be shown finding by finding"
else
    bad "status: 65 lines (exit $RC)"
fi
run ctl2 --node "$BASE.1" ack records-lost
expect "ack of a file of 65 lines: exit 1, why" 1 \
    'nothing acknowledged: .*/state/records-lost cannot be acknowledged finding by finding: it holds 65 lines'
[ "$(wc -l <"$lost")" = 65 ] && ok "65 lines: the file unchanged" || not_ok "65 lines: the file changed"
head -c 70000 /dev/zero | tr '\0' z >"$lost"
run ctl2 --node "$BASE.1" ack records-lost
expect "ack of a 70000-byte file: exit 1, why" 1 'RECORDS LOST: state/records-lost cannot be shown' \
    'cannot be acknowledged finding by finding: it is 70000 bytes, larger than sipcd writes it'
# a finding in between (a race): the file stays, and the exit says so
printf 'hand a\n' >"$lost"
req=$(jq -nc '{what: "records-lost", lines: ["hand b"]}')
runj ctl2 call "$BASE.1:23002" management ack "$req"
jq -e '.result == "nothing" and .kept == ["hand a"]' "$OUT" >/dev/null &&
    ok "management.ack naming another line: nothing, the line kept" || bad "management.ack naming another line"

# --- n1 with TLS off: the status does not send the operator to sipcctl ack --------
kill -TERM "$pid1"; wait "$pid1" 2>/dev/null
"$BIN/tlstool" --home "$h1" disable >/dev/null || not_ok "tlstool disable"
sipcd_start "$h1" || exit 1
pid1=$sipcd_pid
printf '%s\n' "$later" >"$lost"
run ctl1 status
expect "TLS off: status says to remove state/records-lost, not sipcctl ack" 0 \
    "^  storage: once dealt with, acknowledge it: remove state/records-lost in the node's home \(its TLS is off"
grep -q 'sipcctl ack records-lost' "$OUT" && bad "TLS off: status still suggests sipcctl ack"
runj ctl1 status --cluster --json
if jq -e '[.problems[] | select(.kind == "records_lost" and .node == "n1")] | length == 1 and
        (.[0].message | test("acknowledge it: remove state/records-lost in its home \\(its TLS is off")) and
        (.[0].message | contains("sipcctl ack records-lost") | not)' "$OUT" >/dev/null; then
    ok "TLS off: status --cluster's records_lost problem says to remove the file"
else
    bad "TLS off: status --cluster (exit $RC)"; jq -c '.problems' "$OUT"
fi
shtest_done
