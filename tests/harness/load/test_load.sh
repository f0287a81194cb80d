#!/usr/bin/env bash
# test_load.sh - sipc-load against three real sipcd nodes with TLS on
# 127.0.97.1-3 and the standard ports, described by a cluster.json as the
# cluster harness writes it:
#   - start detaches, report shows live counters while it runs
#   - a node killed with SIGKILL during the load and restarted: stop drains,
#     verifies, and nothing acknowledged is lost, nothing is an error
#   - the counters agree with each other and with the nodes' own stores
#   - acknowledged records deleted from a node afterwards are found lost,
#     and report --check fails (the check can fail); a record copied to a
#     second node is found duplicated
#   - verified again with that node down: its records are unverified, and
#     --check fails saying so (naming the node), not "lost"
#   - usage and configuration errors have their exit codes (a missing or bad
#     --dir 78 for every command)
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.97}
. "$(dirname "$0")/../../support/shtest.sh"
shtest_init load
declare -A pid
# the generator is this test's own process, detached, named by its pid file
at_exit '[ ! -s "$work/load/pid" ] || kill -KILL "$(cat "$work/load/pid")" 2>/dev/null'
load() { "$BIN/sipc-load" --dir "$work" "$@"; }
value() { sed -n "s/^$1: //p" "$2"; } # value NAME FILE
rfc3339() { printf '%s.%03dZ' "$(date -u -d "@$(($1 / 1000))" +%Y-%m-%dT%H:%M:%S)" $(($1 % 1000)); } # MS

need_free "$BASE".{1,2,3}:{23000,23001,23002,23003}

# --- usage and configuration errors (no cluster needed) ------------------
load start >/dev/null 2>&1; rc=$?
[ "$rc" = 78 ] && ok "start without cluster.json exits 78" || not_ok "start without cluster.json: exit $rc"
"$BIN/sipc-load" start >/dev/null 2>&1; rc=$?
[ "$rc" = 64 ] && ok "start without --dir exits 64" || not_ok "start without --dir: exit $rc"
load report >/dev/null 2>&1; rc=$?
[ "$rc" = 78 ] && ok "report without a run exits 78, as a missing DIR" || not_ok "report without a run: exit $rc"
# a missing run folder (or a file given as one) is the same condition for
# every command: 78, as start says it
for c in report start stop; do
    "$BIN/sipc-load" --dir "$work/none" "$c" >/dev/null 2>&1; rc=$?
    [ "$rc" = 78 ] || not_ok "$c --dir of a missing folder: exit $rc, want 78"
    "$BIN/sipc-load" --dir "$0" "$c" >/dev/null 2>&1; rc=$?
    [ "$rc" = 78 ] || not_ok "$c --dir of a file: exit $rc, want 78"
done
ok "report, start and stop on a missing folder or a file: exit 78"
"$BIN/sipc-load" --help | grep -q "78 DIR (missing or" && "$BIN/sipc-load" report --help | grep -q "78 DIR missing or not a folder, or no run in DIR" &&
    ok "the help's exit tables name a bad DIR as 78" || not_ok "the help's exit tables do not name a bad DIR as 78"
for c in start stop report run; do
    "$BIN/sipc-load" "$c" --help | grep -q "Usage: sipc-load" || not_ok "$c --help"
done

# --- three nodes with TLS, a client home with the pair, never enabled -----
export SIPC_PFX_PASSWORD="Load-Test-$$"
"$BIN/tlstool" --home "$work/n1" create -site "$work/cluster.pfx" >/dev/null
for i in 1 2 3; do
    h="$work/n$i"; mkdir -p "$h"
    printf '[node]\nid = n%s\naddress = %s.%s\n[cluster]\nname = load\nnodes = %s.1, %s.2, %s.3\n' \
        "$i" "$BASE" "$i" "$BASE" "$BASE" "$BASE" >"$h/sipc.conf"
    "$BIN/tlstool" --home "$h" import "$work/cluster.pfx" >/dev/null
    "$BIN/tlstool" --home "$h" enable >/dev/null
done
mkdir -p "$work/client"
printf '[cluster]\nname = load\n[node]\naddress = %s.1\n' "$BASE" >"$work/client/sipc.conf"
"$BIN/tlstool" --home "$work/client" import "$work/cluster.pfx" >/dev/null

start() { # name: start and wait until its four services have started (bounded)
    sipcd_start "$work/$1" || return 1
    pid[$1]=$sipcd_pid
}
for i in 1 2 3; do start "n$i" || exit 1; done

nodes=""
for i in 1 2 3; do
    nodes+="${nodes:+, }{\"name\": \"n$i\", \"address\": \"$BASE.$i\", \"home\": \"$work/n$i\", \"pid\": ${pid[n$i]}, \"netns\": null,
      \"ports\": {\"data\": 23000, \"search\": 23001, \"management\": 23002, \"pipeline\": 23003}}"
done
cat >"$work/cluster.json" <<EOF
{"version": 1, "name": "load", "dir": "$work", "bin": "$BIN", "base": "$BASE.0", "netns": false,
 "client_netns": null, "tls": "strict", "pair": "$work/cluster.pfx", "password_file": null,
 "client_home": "$work/client", "nodes": [$nodes]}
EOF

# --- load, a node killed with SIGKILL and restarted, stop ------------------
t0=$(date +%s%N)
load start --rate 400 >"$work/start.out" 2>&1; rc=$?
[ "$rc" = 0 ] && [ -s "$work/load/pid" ] && ok "start detaches (exit 0, pid file)" ||
    { not_ok "start: exit $rc"; cat "$work/start.out" "$work/load/load.log"; exit 1; }
sleep 2
load report >"$work/live.out"
if [ "$(value state "$work/live.out")" = running ] && [ "$(value sent "$work/live.out")" -gt 0 ]; then
    ok "report while running: state running, $(value sent "$work/live.out") sent"
else
    not_ok "live report"; cat "$work/live.out"
fi
load report --check >/dev/null 2>&1; rc=$?
[ "$rc" = 1 ] && ok "report --check fails while the run is not verified" || not_ok "check while running: exit $rc"

kill -KILL "${pid[n2]}"; wait "${pid[n2]}" 2>/dev/null; unset "pid[n2]"
sleep 1
start n2 || exit 1
# a TLS reload on n1 under load (strict -> permissive -> strict): n1 sends
# GOAWAY on the generator's busy connections, which move to new ones
"$BIN/tlstool" --home "$work/n1" mode permissive --reload >"$work/reload.out" 2>&1 &&
    "$BIN/tlstool" --home "$work/n1" mode strict --reload >>"$work/reload.out" 2>&1 ||
    { not_ok "reloads on n1"; cat "$work/reload.out"; }
sleep 1
load stop --timeout 60 >"$work/stop.out" 2>&1; rc=$?
t1=$(date +%s%N)
[ "$rc" = 0 ] && ok "stop drains and verifies (exit 0)" || { not_ok "stop: exit $rc"; cat "$work/stop.out"; }
[ ! -e "$work/load/pid" ] && ok "the generator has exited" || not_ok "pid file still there"
load report >"$work/r.out"
load report --check >/dev/null 2>&1; rc=$?
sent=$(value sent "$work/r.out"); acked=$(value acknowledged "$work/r.out"); found=$(value found "$work/r.out")
lost=$(value lost "$work/r.out"); errors=$(value errors "$work/r.out"); dup=$(value duplicated "$work/r.out")
if [ "$rc" = 0 ] && [ "$lost" = 0 ] && [ "$errors" = 0 ] && [ "$dup" = 0 ]; then
    ok "n2 killed with SIGKILL and restarted, n1 reloaded twice, under load: lost 0, errors 0, duplicated 0 (report --check exit 0)"
else
    not_ok "after the kill: check exit $rc"; cat "$work/r.out"; grep -E "ERROR|WARN" "$work/load/load.log" | head -20
fi
if [ "$acked" -gt 500 ] && [ "$sent" -ge "$acked" ] && [ "$acked" = "$found" ]; then
    ok "counters agree: sent $sent >= acknowledged $acked = found $found"
else
    not_ok "counters: sent $sent acknowledged $acked found $found"
fi
head -7 "$work/r.out" | cut -d: -f1 | tr '\n' ' ' | grep -qx "sent acknowledged found lost duplicated errors longest_stall_ms " &&
    ok "the report's first seven lines are the agreed names, in order" || { not_ok "report lines"; cat "$work/r.out"; }
load report --json >"$work/r.json"
[ "$(jq -r '[.sent, .acknowledged, .found, .lost, .errors] | join(" ")' "$work/r.json")" = "$sent $acked $found 0 0" ] &&
    ok "report --json has the same counters" || { not_ok "report --json"; cat "$work/r.json"; }
# the verification's search returns at most 1000 hits: at the cap its log
# line says so, or 1000 would read as all the run stored
search_line=$(grep "verification: a cluster search for the run found" "$work/load/load.log" | tail -n1)
if [ "$acked" -ge 1000 ]; then
    grep -q "found 1000 record(s) (the most one search returns: 1000;" <<<"$search_line" &&
        ok "the verification's search stopped at its cap of 1000 hits, and its log line says so" ||
        not_ok "search log line at the cap: $search_line"
else
    ! grep -q "the most one search returns" <<<"$search_line" &&
        ok "the verification's search found $acked, below its cap, and says nothing of one" ||
        not_ok "search log line below the cap: $search_line"
fi
echo "# figures: $(tr '\n' ' ' <"$work/r.out")"
echo "# wall time of the loaded phase: $(( (t1 - t0) / 1000000 )) ms"

# the nodes' own stores hold exactly the acknowledged records of the run
run=$(value run "$work/r.out")
stored=0
for i in 1 2 3; do
    n=$("$BIN/sipcctl" --home "$work/client" --node "$BASE.$i" list --limit 1000000 --json |
        jq --arg r "$run-" '[.[] | select(.id | startswith($r))] | length')
    stored=$((stored + n))
done
# a record whose acknowledgement was lost with a killed node may be stored
# and not acknowledged; never the other way round
[ "$stored" -ge "$acked" ] && [ "$stored" -le "$sent" ] &&
    ok "the nodes store $stored records of the run (acknowledged $acked, sent $sent)" ||
    not_ok "stored $stored, acknowledged $acked, sent $sent"
grep -qs "GOAWAY sent" "$work/n1/logs/"*.log && ok "n1's reloads replaced busy connections with GOAWAY" ||
    not_ok "no GOAWAY in n1's logs"
grep -q "^F " "$work/load/ledger" && grep -q "^A " "$work/load/ledger" && grep -q "^S " "$work/load/ledger" &&
    grep -q "^Q " "$work/load/ledger" && ok "the ledger has sent, acknowledged, found and search lines" ||
    not_ok "ledger lines"

# --- the check can fail: acknowledged records deleted from n3 --------------
ids=$("$BIN/sipcctl" --home "$work/client" --node "$BASE.3" list --limit 1000000 --json |
      jq -r --arg r "$run-" '[.[] | select(.id | startswith($r)) | .id][0:5][]')
deleted=0
for id in $ids; do
    # data.delete with a DeleteRequest {id}: field 1, length, the id (ASCII, < 128 bytes)
    payload=$(printf "\\n\\x$(printf %02x ${#id})%s" "$id")
    "$BIN/sipcctl" --home "$work/client" call "$BASE.3:23000" data delete "$payload" >/dev/null &&
        deleted=$((deleted + 1))
done
# and one record of n1 copied to n2 with the same id: stored twice
dupid=$("$BIN/sipcctl" --home "$work/client" --node "$BASE.1" list --limit 1000000 --json |
        jq -r --arg r "$run-" '[.[] | select(.id | startswith($r)) | .id][0]')
"$BIN/sipcctl" --home "$work/client" --node "$BASE.1" get "$dupid" --json >"$work/dup.json"
"$BIN/sipcctl" --home "$work/client" --node "$BASE.2" put "$dupid" \
    --timestamp "$(jq -r .timestamp "$work/dup.json")" \
    --attr "load_run=$(jq -r .attributes.load_run "$work/dup.json")" \
    --attr "load_seq=$(jq -r .attributes.load_seq "$work/dup.json")" \
    --body "$(jq -r .body "$work/dup.json")" >/dev/null || not_ok "copying $dupid to n2"
# and two of n1 stored again with one thing changed, the body kept: the
# timestamp 5 s later, the attributes in the other order
changed=0
for k in 1 2; do
    id=$("$BIN/sipcctl" --home "$work/client" --node "$BASE.1" list --limit 1000000 --json |
         jq -r --arg r "$run-" "[.[] | select(.id | startswith(\$r)) | .id][$k]")
    "$BIN/sipcctl" --home "$work/client" --node "$BASE.1" get "$id" --json >"$work/chg.json"
    ts=$(jq -r .timestamp "$work/chg.json") attrs=(--attr "load_run=$run" --attr "load_seq=${id##*-}")
    [ "$k" = 1 ] && ts=$(rfc3339 $(($(date -u -d "$ts" +%s%3N) + 5000))) ||
        attrs=(--attr "load_seq=${id##*-}" --attr "load_run=$run")
    "$BIN/sipcctl" --home "$work/client" --node "$BASE.1" put "$id" --timestamp "$ts" "${attrs[@]}" \
        --body "$(jq -r .body "$work/chg.json")" >/dev/null && changed=$((changed + 1))
done
load stop >"$work/stop2.out" 2>&1; rc=$?
load report --check >"$work/r2.out" 2>&1; rc2=$?
if [ "$deleted" = 5 ] && [ "$changed" = 2 ] && [ "$rc" = 1 ] && [ "$rc2" = 1 ] && [ "$(value lost "$work/r2.out")" = 7 ] &&
    [ "$(value found "$work/r2.out")" = $((found - 7)) ] &&
    grep -q "check failed: 7 acknowledged record(s) proven lost" "$work/stop2.out" &&
    grep -q "ERROR verification: 5 acknowledged record(s) not found on any node: $run-{" "$work/load/load.log" &&
    grep -q "ERROR verification: 2 acknowledged record(s) stored with other content than sent: $run-{" "$work/load/load.log"; then
    ok "5 acknowledged records deleted from n3, 2 on n1 stored again with another timestamp or the attributes reordered: lost 7 (ERRORs in load.log naming them), stop and report --check exit 1"
else
    not_ok "negative check: deleted $deleted, changed $changed, stop exit $rc, check exit $rc2"; cat "$work/r2.out" "$work/stop2.out"
fi
[ "$(value duplicated "$work/r2.out")" = 1 ] && grep -q "$dupid is stored on n1 and on n2" "$work/load/load.log" &&
    ok "a record copied to a second node is counted duplicated and named in the log" ||
    { not_ok "duplicate not seen"; cat "$work/r2.out"; }

# --- verified again with n3 down: unverified, not proven lost -------------
kill -TERM "${pid[n3]}"; wait "${pid[n3]}" 2>/dev/null; unset "pid[n3]"
load stop >"$work/stop3.out" 2>"$work/stop3.err"; rc=$?
load report --check >"$work/r3.out" 2>&1; rc2=$?
unv=$(value unverified "$work/r3.out")
if [ "$rc" = 69 ] && [ "$rc2" = 1 ] && [ "$unv" -gt 5 ] && [ "$(value unverified_nodes "$work/r3.out")" = n3 ] &&
    [ "$(value lost "$work/r3.out")" = 0 ] && [ "$(value state "$work/r3.out")" = verified-partial ] &&
    grep -q "check failed: $unv acknowledged record(s) unverified (n3 could not be asked), 0 proven lost, 0 error(s)" "$work/r3.out"; then
    ok "verified again with n3 down: its $unv records unverified, not lost (lost: 0, state: verified-partial, stop exit 69, --check exit 1 naming n3, 0 proven lost)"
else
    not_ok "verification with n3 down: stop exit $rc, check exit $rc2"; cat "$work/stop3.err" "$work/r3.out"
fi

# --- run in the foreground, with a node down: retries, then errors ---------
load run --count 200 --rate 1000 --deadline 3 --nodes n1,n2 --json >"$work/run.json" 2>"$work/run.err"; rc=$?
# records routed to n3 are answered UNAVAILABLE after each call's 1 s, sent
# again, and are errors after --deadline; verification cannot ask n3 (69)
if [ "$rc" = 69 ] && [ "$(jq -r '.errors > 0 and .retries >= .errors and .lost == 0 and .acknowledged + .errors == .sent and .found == .acknowledged' "$work/run.json")" = true ]; then
    ok "run with n3 down: its records retried, then errors after --deadline; the rest found (exit 69: n3 unverifiable)"
else
    not_ok "run with a node down: exit $rc"; cat "$work/run.json" "$work/run.err"
fi
grep -q "failed for good" "$work/load/load.log" && grep -q "^R .*UNAVAILABLE" "$work/load/ledger" &&
    ok "each error is logged with its reason, each resend is a ledger line" || not_ok "error log or R lines"
# one of those errors stored after all (as if committed and its
# acknowledgement lost), as the generator sent it: verification says so
run=$(jq -r .run "$work/run.json")
seq=$(sed -n 's/^E [0-9]* \([0-9]*\).*/\1/p' "$work/load/ledger" | head -n1)
ts=$(awk -v q="$seq" '$1 == "S" { n = split($4, r, ","); for (i = 1; i <= n; i++) {
        split(r[i], ab, "-"); if (ab[2] == "") ab[2] = ab[1]; if (q + 0 >= ab[1] + 0 && q + 0 <= ab[2] + 0) print $2 } }' "$work/load/ledger")
body=$(printf 'sipc-load run %s record %s checksum %016x the quick brown fox jumps over the lazy dog' \
    "$run" "$seq" $(((seq + 1) * 0x9e3779b97f4a7c15)))
"$BIN/sipcctl" --home "$work/client" --node "$BASE.1" put "$run-$seq" --timestamp "$(rfc3339 "$ts")" \
    --attr "load_run=$run" --attr "load_seq=$seq" --body "$body" >/dev/null || not_ok "put $run-$seq"
load stop >"$work/stop5.out" 2>&1; rc=$?
if [ "$rc" = 69 ] && [ "$(value errors_stored "$work/stop5.out")" = 1 ] &&
    grep -q "error(s) (1 found stored after all)" "$work/stop5.out"; then
    ok "an error stored after all: errors_stored 1, said beside the errors"
else
    not_ok "errors stored after all (seq $seq, ts $ts): exit $rc"; cat "$work/stop5.out"
fi

# --- a node frozen longer than a call (SIGSTOP, as a partition): resends ---
# (each call's deadline is 5 s, a third of --deadline: the calls toward n2
# time out and are sent again; every search started in the first 3 s of the
# freeze is partial unless n2 itself coordinates it, and they go round)
start n3 || exit 1
load run --count 2000 --rate 250 --deadline 15 --check >"$work/run2.out" 2>&1 &
runner=$!
sleep 1
kill -STOP "${pid[n2]}"
t_stop=$(date +%s%3N)
sleep 6
kill -CONT "${pid[n2]}"
wait "$runner"; rc=$?
# n2's link stays up through the freeze: once its calls have waited 1.5 s
# with nothing heard from it, batches go through n1's and n3's pipelines
# only (before, every third batch went to n2 and waited out its call in
# the window). Its first calls wait 5 s, so from 3 s to 5 s into the freeze
# no batch is sent through n2 (S: first send, R: resend, by their times).
to_n2=$(awk -v a=$((t_stop + 3000)) -v b=$((t_stop + 5000)) \
    '($1 == "S" || $1 == "R") && $3 == "n2" && $2 >= a && $2 < b' "$work/load/ledger" | wc -l)
[ "$to_n2" = 0 ] && ok "no batch sent through frozen n2's pipeline from 3 to 5 s into the freeze (its link up, silent)" ||
    not_ok "$to_n2 batches sent through frozen n2's pipeline 3 to 5 s into the freeze"
if [ "$rc" = 0 ] && [ "$(value found "$work/run2.out")" = 2000 ] && [ "$(value errors "$work/run2.out")" = 0 ] &&
    [ "$(value retries "$work/run2.out")" -gt 0 ] && [ "$(value longest_stall_ms "$work/run2.out")" -ge 1000 ]; then
    ok "n2 frozen for 6 s under load: $(value retries "$work/run2.out") resends, a $(value longest_stall_ms "$work/run2.out") ms stall, then all 2000 found, errors 0 (run --check exit 0)"
else
    not_ok "node frozen: exit $rc"; cat "$work/run2.out"; grep -E "ERROR|WARN" "$work/load/load.log" | tail -20
fi
if [ "$(value searches_partial "$work/run2.out")" -ge 1 ] && value partial_nodes "$work/run2.out" | grep -qw n2; then
    ok "searches during the freeze were partial and named n2"
else
    not_ok "partial searches"; cat "$work/run2.out"; grep "^Q" "$work/load/ledger"
fi

# --- the generator killed (SIGKILL): stop says so, and nothing passes ------
load start --rate 200 >"$work/start2.out" 2>&1 || { not_ok "start again"; cat "$work/start2.out"; }
sleep 1
gen=$(cat "$work/load/pid")
kill -KILL "$gen"
load stop >"$work/stop4.out" 2>&1; rc=$?
if [ "$rc" = 1 ] && [ ! -e "$work/load/pid" ] && [ "$(value state "$work/stop4.out")" = incomplete ] &&
    grep -q "^sipc-load: no generator runs in $work/load: its pid file names pid $gen, which is gone" "$work/stop4.out" &&
    grep -q "check failed: the ledger is incomplete (the generator ended without its last line (X)" "$work/stop4.out"; then
    ok "the generator SIGKILLed: stop says no generator runs (its pid file removed), state incomplete, exit 1"
else
    not_ok "stop after the generator was killed: exit $rc"; cat "$work/stop4.out"
fi

# --- a generator that does not drain (SIGSTOPped): stop says every 5 s what
# it waits for, kills it after --timeout, and nothing passes ---------------
load start --rate 200 >"$work/start3.out" 2>&1 || { not_ok "start again"; cat "$work/start3.out"; }
# (its first progress line, whose outstanding count stop says, comes after
# a second; under load, later: then stop says the rest)
sleep 1.5
gen=$(cat "$work/load/pid")
kill -STOP "$gen"
load stop --timeout 6 >"$work/stop6.out" 2>&1; rc=$?
kill -0 "$gen" 2>/dev/null && kill -KILL "$gen"
if [ "$rc" = 1 ] && [ "$(value state "$work/stop6.out")" = incomplete ] &&
    grep -Eq "^sipc-load: draining: the generator \(pid $gen\) still runs(, [0-9]+ record\(s\) outstanding)?; SIGKILL in 1 s \(--timeout\)$" "$work/stop6.out" &&
    grep -q "^sipc-load: the generator (pid $gen) did not drain within 6 s: killed" "$work/stop6.out"; then
    ok "a generator that does not drain: a line after 5 s, SIGKILL after --timeout 6, state incomplete, exit 1"
else
    not_ok "stop of a stopped generator: exit $rc"; cat "$work/stop6.out"
fi

# --- a generator that dies as stop asks it to (a SIGKILL the kernel had not
# finished): gone with its pid file left, which stop says and removes ------
mkdir -p "$work/fake"
cp "$(command -v sleep)" "$work/fake/sipc-load"
(setsid "$work/fake/sipc-load" 60 </dev/null >/dev/null 2>&1 & echo $! >"$work/load/pid")
fake=$(cat "$work/load/pid")
load stop --timeout 5 >"$work/stop7.out" 2>&1; rc=$?
if [ "$rc" = 1 ] && [ ! -e "$work/load/pid" ] && ! kill -0 "$fake" 2>/dev/null &&
    grep -q "^sipc-load: no generator runs in $work/load: its pid file names pid $fake, which is gone" "$work/stop7.out"; then
    ok "a generator gone at stop's SIGTERM with its pid file left: said, pid file removed, exit 1"
else
    not_ok "generator gone at SIGTERM: exit $rc"; cat "$work/stop7.out"; kill "$fake" 2>/dev/null
fi

# --- a ledger that cannot be written (a full disk under load/): sending stops
# at once (exit 73, saying why), and the run is never "verified, 0 lost" ----
if [ "$(id -u)" = 0 ] && unshare -m --propagation private true 2>/dev/null; then
    full=$work/full
    mkdir -p "$full/load"
    cp "$work/cluster.json" "$full/"
    # (20000 at 2000/s would take 10 s; a 12 KiB tmpfs fills in about 1 s)
    unshare -m --propagation private bash -c '
        mount -t tmpfs -o size=12k,mode=0700 tmpfs "$1/load" || exit 1
        t0=$(date +%s%3N)
        "$2/sipc-load" --dir "$1" run --count 20000 --rate 2000 >"$3/full-run.out" 2>&1
        echo "$? $(($(date +%s%3N) - t0))" >"$3/full-run.rc"
        mount -o remount,size=4m "$1/load"
        "$2/sipc-load" --dir "$1" stop >"$3/full-stop.out" 2>&1
        echo $? >"$3/full-stop.rc"' _ "$full" "$BIN" "$work" || not_ok "the tmpfs under load/"
    read -r rc ms <"$work/full-run.rc"
    if [ "$rc" = 73 ] && [ "$ms" -lt 8000 ] &&
        grep -q "^sipc-load: $full/load/ledger cannot be written (no space left on device): sending stopped there" "$work/full-run.out"; then
        ok "the ledger on a full disk: run stops sending at once ($ms ms) and exits 73 naming the ledger and the cause"
    else
        not_ok "run with a full ledger: exit $rc after $ms ms"; cat "$work/full-run.out"
    fi
    if [ "$(cat "$work/full-stop.rc")" = 1 ] && [ "$(value state "$work/full-stop.out")" = incomplete ] &&
        grep -Eq "check failed: the ledger is incomplete \(the generator (ended without its last line|stopped: ledger write failed)" "$work/full-stop.out"; then
        ok "stop once the disk has room again: state incomplete, exit 1, never 'verified'"
    else
        not_ok "stop after the full ledger: exit $(cat "$work/full-stop.rc")"; cat "$work/full-stop.out"
    fi
else
    echo "# the full-disk case skipped: a tmpfs in a mount namespace needs root"
fi

shtest_done
