#!/usr/bin/env bash
# s7_pipeline_guard.sh - scenario 7: the pipeline's own TLS switch
# ([pipeline] tls) and the strict guard. On a strict cluster, n2's pipeline
# turned plaintext and back: its clients, which hold the pair, spoke
# plaintext only because its listener answered so; they do not hold the way
# back, and the statuses name n2's own setting, not the clients. On a
# plaintext cluster, `[pipeline] tls = 1` is judged by the pipeline's peers
# only: peers of the management and search services, which stay plaintext,
# among them the reloading command itself, do not refuse it; a plaintext
# peer of the pipeline still does. A refused rolling enable puts back what
# sipc.conf held before its step.
. "$(dirname "$0")/scenario.sh"

records() { # N PREFIX: N records, one a line
    local i
    for i in $(seq 1 "$1"); do
        printf '{"id": "%s-%d", "timestamp": "2026-11-23T10:00:00Z", "attributes": {"src": "s7"}, "body": "b%d"}\n' "$2" "$i" "$i"
    done
}
set_pipeline_tls() { # NODE 0|1|-: the [pipeline] tls line of its sipc.conf (- removes it)
    local conf
    conf="$(node_home "$1")/sipc.conf"
    sed -i '/^# s7 pipeline$/,/^tls = [01]$/d' "$conf"
    [ "$2" = - ] || printf '# s7 pipeline\n[pipeline]\ntls = %s\n' "$2" >>"$conf"
}
load_on_n2() {
    ctl --node "$n2" status --json 2>/dev/null |
        jq -e '.services[] | select(.name == "pipeline") | .plaintext_peers[] | select(.node == "sipc-load")' >/dev/null
}
reload_from_home() { "$BIN/sipcctl" --home "$(node_home "$1")" --timeout 5000 reload; }

section "a strict cluster; n2's pipeline turned plaintext"
cluster up -n 2 --tls strict --base "$NET.0" || exit 1
n2=$(node_addr n2)
set_pipeline_tls n2 0
reload_from_home n2 >"$work/r1.out" 2>&1 &&
    grep -q "pipeline listener TLS: .* -> off" "$work/r1.out" && ok "n2's pipeline listener is plaintext" ||
    { not_ok "reload with [pipeline] tls = 0"; cat "$work/r1.out"; }
# the pipeline's own switch is logged once, by the pipeline service
h2log() { cat "$(node_home n2)/logs/$1Service_"*.log 2>/dev/null | grep -c "Changed: pipeline listener TLS: strict -> off"; }
[ "$(h2log Pipeline)" = 1 ] && [ "$(h2log Data)" = 0 ] && [ "$(h2log Search)" = 0 ] && [ "$(h2log Management)" = 0 ] &&
    ok "n2 logs the pipeline's TLS change once, in the pipeline service's log" ||
    not_ok "the pipeline's TLS change logged by: pipeline $(h2log Pipeline), data $(h2log Data), search $(h2log Search), management $(h2log Management)"
records 5 a >"$work/a.ndjson"
# the client home holds the pair and offers TLS; n2's pipeline answers in plaintext
ctl --node "$n2" ingest "$work/a.ndjson" >"$work/i1.out" 2>&1 &&
    ok "an ingest through n2's plaintext pipeline from the client home" ||
    { not_ok "ingest through n2"; cat "$work/i1.out"; }
# what sipcctl search --help says: the empty QUERY matches every record, a
# literal "" (an FTS5 phrase of no words) none
ctl --node "$(node_addr n1)" search --attr src=s7 '' >"$work/q1.out" 2>&1 && grep -q '^5 hits from 2 of 2 nodes' "$work/q1.out" &&
    ctl --node "$(node_addr n1)" search --attr src=s7 '""' >"$work/q2.out" 2>&1 && grep -q '^0 hits from 2 of 2 nodes' "$work/q2.out" &&
    ok "search '': the 5 records; search '\"\"': none, as the help says" ||
    { not_ok "search '' and '\"\"'"; cat "$work/q1.out" "$work/q2.out"; }

# sipc-load from the client home keeps a plaintext connection to n2's pipeline
cluster load start --rate 20 >"$work/load.out" 2>&1 || { not_ok "load start"; cat "$work/load.out"; }
wait_for 10 load_on_n2 ||
    not_ok "sipc-load never reached n2's pipeline"
wait_for 5 grep -q "pipeline connection to n2 up, plaintext (no certificates)$" "$CL/load/load.log" &&
    ok "sipc-load logs its plaintext connection to n2's pipeline as one without certificates" ||
    { not_ok "sipc-load's line for its plaintext connection to n2"; grep "pipeline connection" "$CL/load/load.log"; }
cluster status >"$work/st1.out" 2>&1
rc=$?
cat "$work/st1.out"
[ "$rc" = 1 ] && grep -q '^cluster: every reachable node runs TLS strict, except a plaintext listener on n2 (pipeline)' "$work/st1.out" &&
    ok "sipc-cluster status exits 1 and names n2's plaintext pipeline listener" ||
    not_ok "sipc-cluster status (exit $rc) does not name n2's plaintext pipeline"
ctl --node "$(node_addr n1)" status --cluster >"$work/sc1.out" 2>&1
sed -n '/PROBLEMS/,$p' "$work/sc1.out" | sed 's/^/#   /'
grep -q "n2's pipeline listener runs plaintext (\[pipeline\] tls = 0)" "$work/sc1.out" &&
    ok "status --cluster names n2's own [pipeline] tls = 0" || not_ok "status --cluster: n2's own setting"
grep -q "n2 still receives plaintext on its pipeline service from .*enable TLS there" "$work/sc1.out" &&
    not_ok "status --cluster tells the client to enable TLS" ||
    ok "status --cluster does not send the operator to the clients"

section "n2's pipeline back to TLS: no --force needed"
set_pipeline_tls n2 -
# the client home's last word to n2, as an operator's ingest loop leaves it
ctl --node "$n2" ingest "$work/a.ndjson" >/dev/null 2>&1
reload_from_home n2 >"$work/r2.out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q "pipeline listener TLS: off -> strict" "$work/r2.out" &&
    ok "the reload goes back to strict; the clients that offered TLS do not hold it" ||
    { not_ok "reload back to [pipeline] tls on (exit $rc)"; cat "$work/r2.out"; }
ctl --node "$n2" ingest "$work/a.ndjson" >"$work/i2.out" 2>&1 &&
    ok "the client home's ingest through n2 works over TLS again" || { not_ok "ingest after"; cat "$work/i2.out"; }
cluster load stop >"$work/stop.out" 2>&1
cluster load report --check >"$work/rep.out" 2>&1 && ok "the load lost nothing: $(grep -m1 lost "$work/rep.out")" ||
    { not_ok "load report --check"; cat "$work/rep.out"; }

section "a plaintext cluster; [pipeline] tls = 1 on n1"
cluster tls disable --rolling >"$work/dis.out" 2>&1 && ok "rolling disable" ||
    { not_ok "rolling disable"; cat "$work/dis.out"; }
n1=$(node_addr n1)
# a home without the pair: its sessions are plaintext and cannot offer TLS
bare=$work/bare
mport=$(jq -r ".nodes[0].ports.management" "$CL/cluster.json")
mkdir -p "$bare"
printf "[cluster]\nname = %s\n" "$(jq -r .name "$CL/cluster.json")" >"$bare/sipc.conf"
bctl() { "$BIN/sipcctl" --home "$bare" --timeout 5000 "$@"; }
bctl --node "$n1" search --limit 1 '' >/dev/null 2>&1
bctl --node "$n1:$mport" ping >/dev/null 2>&1
set_pipeline_tls n1 1
# asked from that home: the request itself is plaintext, on the management service
bctl --node "$n1:$mport" reload >"$work/r3.out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q "pipeline listener TLS: off -> strict" "$work/r3.out" &&
    ok "the pipeline alone goes TLS: plaintext peers of the other services and the reload's own command do not refuse it" ||
    { not_ok "[pipeline] tls = 1 on a plaintext n1 (exit $rc)"; cat "$work/r3.out"; }
# the harness's view: TLS is off on n1, but its pipeline presents the pair
fp=$(jq -r .fingerprint "$CL/cluster.json")
cluster status >"$work/st3.out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q "^n1 .*TLS disabled (pipeline TLS)  \[management plaintext, data plaintext, search plaintext, pipeline strict\]  cert ${fp:0:16}  " "$work/st3.out" &&
    grep -q "^cluster: every reachable node runs TLS disabled, except a TLS-only listener (\[pipeline\] tls = 1) on n1 (pipeline)$" "$work/st3.out" &&
    ok "sipc-cluster status shows n1 as TLS disabled with a TLS pipeline, its certificate, and does not call the cluster all plaintext" ||
    { not_ok "sipc-cluster status with [pipeline] tls = 1 on a plaintext n1 (exit $rc)"; cat "$work/st3.out"; }
# a client without the pair refused there is told it needs the pair, not
# that TLS should be on everywhere
bctl --node "$n1" ingest "$work/a.ndjson" >/dev/null 2>&1
plog() { cat "$(node_home n1)/logs/PipelineService_"*.log 2>/dev/null; }
told_pair() { plog | grep -q "plaintext arrived on a TLS port: \[pipeline\] tls = 1 makes the pipeline TLS-only on this node, whose TLS is off: the client needs the cluster.s key pair"; }
wait_for 5 told_pair &&
    ok "n1's pipeline logs the plaintext client it refuses as one without the pair" ||
    { not_ok "n1's pipeline's line for a plaintext client"; plog | grep -i plaintext | tail -n 3; }

section "the guard still judges the pipeline's own plaintext peers"
set_pipeline_tls n1 -
bctl --node "$n1:$mport" reload >/dev/null 2>&1
# another home without the pair uses n1's pipeline in plaintext
mkdir -p "$work/bare2"
cp "$bare/sipc.conf" "$work/bare2/"
"$BIN/sipcctl" --home "$work/bare2" --node "$n1" ingest "$work/a.ndjson" >/dev/null 2>&1
set_pipeline_tls n1 1
bctl --node "$n1:$mport" reload >"$work/r4.out" 2>&1
rc=$?
[ "$rc" != 0 ] && grep -q "reload refused: going strict would cut off peers still speaking plaintext: .*home .* on the pipeline service" "$work/r4.out" &&
    ok "a client without the pair that used n1's pipeline in plaintext holds [pipeline] tls = 1 back" ||
    { not_ok "reload with a plaintext pipeline peer (exit $rc)"; cat "$work/r4.out"; }

section "rolling enable: the guard entries of the cluster's own homes are cleared"
cluster down >/dev/null 2>&1
cluster up -n 2 --tls off --base "$NET.0" >/dev/null 2>&1 || { not_ok "up again"; exit 1; }
h1=$(node_home n1) h2=$(node_home n2)
# a sipcctl from n2's home before it had the pair: plaintext, on n1's guard
mv "$h2/security" "$h2/security.off"
"$BIN/sipcctl" --home "$h2" --timeout 5000 --node "$n1:$mport" ping >/dev/null 2>&1
mv "$h2/security.off" "$h2/security"
SC_TLS_QUIET_WAIT=5 cluster tls enable --rolling >"$work/en1.out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q "n1: its guard lists sipcctl from n2's home (home [0-9a-f]*): one sipcctl ping from there over TLS clears it" "$work/en1.out" &&
    ok "the rolling enable clears n2's home's entry on n1 with one sipcctl ping, says so, and goes strict" ||
    { not_ok "rolling enable with an entry of n2's home (exit $rc)"; cat "$work/en1.out"; }

section "a refused rolling enable leaves sipc.conf as the node runs; a later reload changes nothing"
cluster tls disable --rolling >"$work/dis2.out" 2>&1 || { not_ok "rolling disable"; cat "$work/dis2.out"; }
bctl --node "$n1:$mport" ping >/dev/null 2>&1
SC_TLS_QUIET_WAIT=2 cluster tls enable --rolling >"$work/en2.out" 2>&1
rc=$?
conf_mode=$("$BIN/tlstool" --home "$h1" status --json | jq -r .tls_mode)
[ "$rc" = 1 ] && grep -q "stopped at n1: the node refused" "$work/en2.out" &&
    grep -q "its sipc.conf was set back to mode = permissive" "$work/en2.out" && [ "$conf_mode" = permissive ] &&
    ok "stopped at n1 by its guard; n1's sipc.conf set back to mode = permissive, what it runs" ||
    { not_ok "refused rolling enable (exit $rc, sipc.conf mode $conf_mode)"; cat "$work/en2.out"; }
# that home's entry is none of the cluster's: no wait clears it, and none is waited
grep -q "the guards list only peers the harness cannot clear, sipcctl from homes that are not the cluster's" "$work/en2.out" &&
    ! grep -q "after 2s the guards still list" "$work/en2.out" &&
    ok "the guard entry of a home not the cluster's is said as one the harness cannot clear, not waited for" ||
    { not_ok "a guard entry of a home not the cluster's"; cat "$work/en2.out"; }
reload_from_home n1 >"$work/r5.out" 2>&1
grep -q "nothing changed" "$work/r5.out" && [ "$(ctl --node "$n1:$mport" status --json | jq -r .tls.mode)" = permissive ] &&
    ok "a later reload of n1, asked for nothing in particular, changes nothing" ||
    { not_ok "a later reload of n1"; cat "$work/r5.out"; }
# n1 runs permissive under a sipc.conf that already says strict (as when
# its start guard holds it back): a refused step puts back that strict,
# what sipc.conf held before the step, not the running mode
tt n1 mode strict >/dev/null 2>&1
SC_TLS_QUIET_WAIT=2 cluster tls enable --rolling >"$work/en3.out" 2>&1
rc=$?
conf_mode=$("$BIN/tlstool" --home "$h1" status --json | jq -r .tls_mode)
[ "$rc" = 1 ] && grep -q "its sipc.conf was set back to mode = strict, as it was before" "$work/en3.out" &&
    [ "$conf_mode" = strict ] && [ "$(ctl --node "$n1:$mport" status --json | jq -r .tls.mode)" = permissive ] &&
    ok "refused again with sipc.conf already strict: the put-back keeps strict, what sipc.conf held" ||
    { not_ok "put-back over a strict sipc.conf (exit $rc, sipc.conf mode $conf_mode)"; cat "$work/en3.out"; }

section "a reload that changes the TLS mode says so in its first words and logs it at WARN"
tt n1 mode strict >/dev/null 2>&1
"$BIN/sipcctl" --home "$h1" --timeout 5000 reload --force >"$work/r6.out" 2>&1
grep -q "reloaded; the TLS mode changed (TLS: permissive -> strict), as sipc.conf asks:" "$work/r6.out" &&
    grep -q "Service.Reload WARN Changed: TLS: permissive -> strict (the TLS mode sipc.conf asks for)" "$h1"/logs/DataService_*.log &&
    ok "the answer's first words and n1's WARN line name the mode change" ||
    { not_ok "reload that applies a pending strict"; cat "$work/r6.out"; }

section "ingest --json names the records not acknowledged"
cluster kill n2 >/dev/null 2>&1
records 10 k >"$work/k.ndjson"
ctl --timeout 3000 --node "$n1" --json ingest "$work/k.ndjson" >"$work/k.json" 2>/dev/null
rc=$?
[ "$rc" = 69 ] && jq -e '.unavailable > 0 and ([.failed[] | select(.status == "not_acknowledged" and (.id | startswith("k-")) and .line > 0)] | length) == .unavailable' "$work/k.json" >/dev/null &&
    ok "with n2 dead: exit 69, and \"failed\" lists each of the $(jq .unavailable "$work/k.json") records not acknowledged with its line and id" ||
    { not_ok "ingest --json with n2 dead (exit $rc)"; cat "$work/k.json"; }
