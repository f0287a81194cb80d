#!/usr/bin/env bash
# test_services.sh - the four services end to end with real sipcd processes:
# three nodes on 127.0.23.1-3 with the standard ports, as on three servers.
#   - every service logs 'TLS Port:' (or 'Port:') for its mode
#   - records put on one node are found by a search sent to another
#   - records ingested through the pipeline land on the nodes and are found
#   - a node killed with SIGKILL after acknowledging puts has them after restart
#   - a search with one node down is partial and names it
#   - cluster status flags a node with TLS off among nodes with TLS on (from
#     a strict node: unreachable, answered in plaintext)
#   - [pipeline] tls = 1 with [tls] enable = 0: TLS on the pipeline's port only
#   - bad requests to each service get error statuses and the node stays up
#   - a client-only machine (pair imported, never enabled) reaches the TLS cluster
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.23}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init services
declare -A pid
ctl() { "$BIN/sipcctl" --timeout 5000 "$@"; }

need_free "$BASE".{1,2,3}:{23000,23001,23002,23003}

export SIPC_PFX_PASSWORD="Services-Test-$$"
mkhome() { # name address extra-conf...
    local h="$work/$1"; mkdir -p "$h"
    printf '[node]\nid = %s\naddress = %s\n[cluster]\nname = e2e\nnodes = %s.1, %s.2, %s.3\n' \
        "$1" "$2" "$BASE" "$BASE" "$BASE" >"$h/sipc.conf"
    shift 2
    for line in "$@"; do printf '%s\n' "$line" >>"$h/sipc.conf"; done
}
start() { # name: start and wait until its four services have started (bounded)
    sipcd_start "$work/$1" || return 1
    pid[$1]=$sipcd_pid
}
stop() { kill -TERM "${pid[$1]}" 2>/dev/null; wait "${pid[$1]}" 2>/dev/null; unset "pid[$1]"; }

"$BIN/tlstool" --home "$work/n1" create -site "$work/cluster.pfx" >/dev/null
for i in 1 2 3; do
    mkhome "n$i" "$BASE.$i"
    "$BIN/tlstool" --home "$work/n$i" import "$work/cluster.pfx" >/dev/null
    "$BIN/tlstool" --home "$work/n$i" enable >/dev/null
done
for i in 1 2 3; do start "n$i" || exit 1; done

# --- start lines: every service says TLS ---------------------------------
lines=$(grep -h "Service.Start INFO TLS Port: 2300[0-3]$" "$work"/n*/logs/*.log | wc -l)
[ "$lines" = 12 ] && ok "every service of the three nodes logs 'TLS Port: 2300x'" ||
    { not_ok "TLS Port lines: $lines of 12"; grep -h "Port:" "$work"/n*/logs/*.log; }

# --- put on one node, search from another --------------------------------
check "put on n1" ctl --home "$work/n1" put p-1 --timestamp 2026-11-23T10:00:00Z --attr user=alice --body "the quick brown fox"
check "put on n3" ctl --home "$work/n3" put p-2 --timestamp 2026-11-23T11:00:00Z --attr user=bob --body "a lazy brown dog"
ctl --home "$work/n2" search brown --json >"$work/s.json"
if [ "$(jq -r '.hits | length' "$work/s.json")" = 2 ] && [ "$(jq -r '.partial' "$work/s.json")" = false ] &&
    [ "$(jq -r '[.hits[].node] | sort | join(",")' "$work/s.json")" = "n1,n3" ]; then
    ok "records put on n1 and n3 are found by a search sent to n2"
else
    not_ok "cluster search"; cat "$work/s.json"
fi
ctl --home "$work/n2" search brown --attr user=bob --json >"$work/s.json"
[ "$(jq -r '[.hits[].id] | join(",")' "$work/s.json")" = "p-2" ] && ok "search with an attribute filter" || { not_ok "attribute filter"; cat "$work/s.json"; }

# --- ingest through the pipeline ------------------------------------------
for i in $(seq 1 300); do
    printf '{"id": "ing-%03d", "timestamp": "2026-11-23T12:%02d:00Z", "attributes": {"batch": "e2e"}, "body": "ingested record %d"}\n' "$i" $((i % 60)) "$i"
done >"$work/in.ndjson"
echo 'not json' >>"$work/in.ndjson"
ctl --home "$work/n2" ingest "$work/in.ndjson" >"$work/ingest.out" 2>&1
rc=$?
if [ "$rc" = 65 ] && grep -q "acknowledged: 300" "$work/ingest.out" && grep -q "line 301" "$work/ingest.out"; then
    ok "ingest: 300 records acknowledged, the bad line 301 reported (exit 65)"
else
    not_ok "ingest (exit $rc)"; cat "$work/ingest.out"
fi
spread=0
for i in 1 2 3; do
    n=$(ctl --home "$work/n$i" --node "$BASE.$i" list --since 2026-11-23T12:00:00Z --json | jq 'length')
    [ "$n" -gt 0 ] && spread=$((spread + 1))
    total=$(( ${total:-0} + n ))
done
[ "$spread" = 3 ] && [ "$total" = 300 ] && ok "the pipeline spread 300 records over the 3 nodes, each stored once" ||
    not_ok "spread over $spread nodes, $total records"
ctl --home "$work/n3" search '"ingested record"' --limit 1000 --json >"$work/s.json"
[ "$(jq -r '.hits | length' "$work/s.json")" = 300 ] && ok "a cluster search finds all 300 ingested records" ||
    { not_ok "search after ingest: $(jq -r '.hits | length' "$work/s.json")"; }

# --- SIGKILL after acknowledged puts ---------------------------------------
for i in $(seq 1 20); do ctl --home "$work/n3" --node "$BASE.3" put "k-$i" --body "kept $i" >/dev/null || not_ok "put k-$i"; done
kill -KILL "${pid[n3]}"; wait "${pid[n3]}" 2>/dev/null; unset "pid[n3]"
start n3 || exit 1
missing=0
for i in $(seq 1 20); do
    [ "$(ctl --home "$work/n3" --node "$BASE.3" get "k-$i")" = "kept $i" ] || missing=$((missing + 1))
done
[ "$missing" = 0 ] && ok "n3 killed with SIGKILL after 20 acknowledged puts has all 20 after restart" || not_ok "$missing acknowledged records lost"

# --- a node down: partial search naming it ----------------------------------
stop n3
ctl --home "$work/n1" search brown --json >"$work/s.json"
rc=$?
if [ "$rc" = 3 ] && [ "$(jq -r '.partial' "$work/s.json")" = true ] &&
    jq -e --arg a "$BASE.3" '.nodes_missing[] | select(.address | startswith($a)) | .reason | test("refused")' "$work/s.json" >/dev/null; then
    ok "with n3 down a search is partial (exit 3) and names $BASE.3 with the reason"
else
    not_ok "partial search (exit $rc)"; cat "$work/s.json"
fi
ctl --home "$work/n1" status --cluster >"$work/st.out"
rc=$?
[ "$rc" = 1 ] && grep -q "cannot be reached" "$work/st.out" && ok "cluster status flags the unreachable node (exit 1)" || { not_ok "status with a node down (exit $rc)"; cat "$work/st.out"; }

# --- a node with TLS off among TLS nodes -------------------------------------
# --force: the other nodes run strict, so disable refuses without it (the
# mismatch is what this part tests)
"$BIN/tlstool" --home "$work/n3" disable --force >/dev/null 2>&1 || not_ok "tlstool disable --force on n3"
start n3 || exit 1
grep -q "Service.Start INFO Port: 23000$" "$work/n3/logs/"DataService_*.log && ok "n3 with TLS off logs 'Port: 23000'" || not_ok "plaintext start line"
ctl --home "$work/n1" status --cluster >"$work/st.out"
rc=$?
# n1 is strict: its management link to n3 speaks TLS only, so n3 is
# unreachable from it, with the reason in words
if [ "$rc" = 1 ] && grep -q "$BASE.3.*cannot be reached: .*peer answered in plaintext: TLS is not enabled on it" "$work/st.out"; then
    ok "cluster status of strict n1 names n3 (TLS off) unreachable, answered in plaintext, and exits 1"
else
    not_ok "TLS mismatch (exit $rc)"; grep -v "^  " "$work/st.out"
fi
stop n3
# (strict n1 and n2 no longer reach n3 in plaintext while its TLS is off;
# --force keeps any plaintext peer of that time from starting it permissive)
"$BIN/tlstool" --home "$work/n3" enable --force >/dev/null
start n3 || exit 1
ctl --home "$work/n2" status --cluster --json >"$work/st.json"
rc=$?
[ "$rc" = 0 ] && [ "$(jq -r '.ok' "$work/st.json")" = true ] && ok "all TLS again: cluster status OK (exit 0)" || { not_ok "status after re-enable (exit $rc)"; jq '.problems' "$work/st.json"; }

# --- bad requests: error statuses, the node stays up --------------------------
ctl --home "$work/n1" call "$BASE.1:23000" data put 'not a protobuf' >"$work/bad.out" 2>&1; r1=$?
ctl --home "$work/n1" call "$BASE.1:23001" search query 'garbage' >>"$work/bad.out" 2>&1; r2=$?
ctl --home "$work/n1" call "$BASE.1:23003" pipeline ingest 'garbage' >>"$work/bad.out" 2>&1; r3=$?
ctl --home "$work/n1" call "$BASE.1:23002" management nosuch >>"$work/bad.out" 2>&1; r4=$?
ctl --home "$work/n1" search 'AND AND (' >>"$work/bad.out" 2>&1; r5=$?
if [ "$r1$r2$r3$r4" = 1111 ] && [ "$r5" != 0 ] && [ "$(grep -c 'SIPC_EREMOTE\|SIPC_ENOMETHOD' "$work/bad.out")" -ge 4 ] &&
    ctl --home "$work/n1" ping "$BASE.1:23000" >/dev/null; then
    ok "bad payloads to data, search, pipeline and management get error statuses; the node stays up"
else
    not_ok "bad requests ($r1 $r2 $r3 $r4 $r5)"; cat "$work/bad.out"
fi
# bodies too large: over the data service's max_body (the node says so), and
# over the frame this machine sends (not sent; said here): both exit 1 with
# the sizes, neither is a protocol or TLS mismatch (76)
head -c 2000000 /dev/zero | tr '\0' a >"$work/body2m"
ctl --home "$work/n1" put big-1 --body-file "$work/body2m" >"$work/big.out" 2>&1; r1=$?
# a request just under max_frame whose envelope takes it over: refused at once
head -c 16777180 /dev/zero | tr '\0' a >"$work/body16m"
ctl --home "$work/n1" put big-2 --body-file "$work/body16m" >>"$work/big.out" 2>&1; r2=$?
# the same from a home without sipc.conf: the limit is the default
mkdir -p "$work/noconf"
ctl --home "$work/noconf" put big-3 --body-file "$work/body16m" >"$work/big3.out" 2>&1; r3=$?
rm -f "$work/body2m" "$work/body16m"
if [ "$r1$r2$r3" = 111 ] && grep -q "body of 2000000 bytes exceeds the maximum of 1048576" "$work/big.out" &&
    grep -q "data.put to .* not sent: the request is 167772[0-9][0-9] bytes, which with its envelope is more than the largest frame sent from here (16777216, \[limits\] max_frame in .*/n1/sipc.conf)" "$work/big.out" &&
    grep -q "(16777216, the default; set \[limits\] max_frame in .*/noconf/sipc.conf)" "$work/big3.out"; then
    ok "a body over max_body and one over max_frame: exit 1, both sizes named"
else
    not_ok "too large bodies ($r1 $r2 $r3)"; cat "$work/big.out" "$work/big3.out"
fi

# --- a client-only machine -------------------------------------------------------
mkdir -p "$work/client"
printf '[cluster]\nname = e2e\n[node]\naddress = %s.1\n' "$BASE" >"$work/client/sipc.conf"
"$BIN/tlstool" --home "$work/client" import "$work/cluster.pfx" >/dev/null
ctl --home "$work/client" search fox --json >"$work/s.json" && [ "$(jq -r '.hits[0].id' "$work/s.json")" = p-1 ] &&
    ok "a client-only machine (pair imported, TLS never enabled) searches the TLS cluster" ||
    { not_ok "client-only machine"; cat "$work/s.json"; }
ctl --home "$work/client" ping "$BASE.2:23000" 2>&1 | grep -q "over TLSv1.2" && ok "its ping goes over TLS" || not_ok "client-only ping over TLS"

# --- the pipeline's own TLS switch ------------------------------------------------
for i in 1 2 3; do stop "n$i"; done
mkhome p1 "$BASE.1" "[pipeline]" "tls = 1"
"$BIN/tlstool" --home "$work/p1" import "$work/cluster.pfx" >/dev/null
sed -i 's/^nodes = .*/nodes = '"$BASE"'.1/' "$work/p1/sipc.conf"
start p1 || exit 1
if grep -q "INFO TLS Port: 23003$" "$work/p1/logs/"PipelineService_*.log &&
    grep -q "INFO Port: 23000$" "$work/p1/logs/"DataService_*.log &&
    grep -q "INFO Port: 23001$" "$work/p1/logs/"SearchService_*.log &&
    grep -q "INFO Port: 23002$" "$work/p1/logs/"ManagementService_*.log; then
    ok "[pipeline] tls = 1 with [tls] enable = 0: TLS on 23003 only"
else
    not_ok "pipeline TLS switch"; grep -h "Port:" "$work/p1/logs/"*.log
fi
printf '{"id": "pt-1", "timestamp": "2026-11-23T10:00:00Z", "attributes": {}, "body": "over TLS"}\n' >"$work/one.ndjson"
ctl --home "$work/p1" ingest "$work/one.ndjson" >"$work/ingest.out" 2>&1 && grep -q "acknowledged: 1" "$work/ingest.out" &&
    ok "ingest through the TLS pipeline into the plaintext data service" || { not_ok "TLS pipeline ingest"; cat "$work/ingest.out"; }
stop p1

shtest_done
