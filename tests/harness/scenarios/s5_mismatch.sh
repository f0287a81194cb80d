#!/usr/bin/env bash
# s5_mismatch.sh - scenario 5: a mismatched cluster, one node strict and the
# others with TLS off (an operator who enabled one node and forced it past
# the strict guard). The cluster status names the odd node; its logs and its
# peers' logs say what is wrong in plain words; a search is partial and names
# it. Then the harness's rolling enable repairs the cluster, once a legacy
# node outside the cluster (plaintext, no pair, calling n1..n3) is dealt
# with: while it speaks plaintext the rolling enable stops at n1's refusal
# (the strict guard) instead of forcing; after it has the pair and speaks
# TLS, the same command goes through.
. "$(dirname "$0")/scenario.sh"

section "a plaintext cluster"
cluster up -n 3 --tls off --base "$NET.0" || exit 1
n3=$(node_addr n3)

section "n3 alone goes strict"
tt n3 enable --mode strict --reload >"$work/e1.out" 2>&1
rc=$?
[ "$rc" = 12 ] && grep -q "reload refused: going strict would cut off peers still speaking plaintext: .*(node n[12])" "$work/e1.out" &&
    ok "without --force the guard refuses (exit 12) and names the plaintext peers" ||
    { not_ok "enable --mode strict --reload on n3 (exit $rc)"; cat "$work/e1.out"; }
tt n3 enable --mode strict --reload --force >"$work/e2.out" 2>&1 &&
    grep -q "changed: TLS: off -> strict" "$work/e2.out" && ok "with --force n3 goes strict: $(grep -m1 'changed: TLS' "$work/e2.out" | sed 's/^ *//')" ||
    { not_ok "forced strict on n3"; cat "$work/e2.out"; }
# let every node's links try the new setup
sleep 2

section "sipc-cluster status names the odd node"
cluster status >"$work/status.out" 2>&1
rc=$?
cat "$work/status.out"
[ "$rc" = 1 ] && grep -q '^cluster: MISMATCH: n3 runs TLS strict unlike the others (TLS disabled: n1, n2; TLS strict: n3)' "$work/status.out" &&
    ok "status exits 1 and names n3 as the odd node" || not_ok "status (exit $rc) does not name n3"
grep '^n3 ' "$work/status.out" | grep -q 'TLS strict' && ! grep '^n3 ' "$work/status.out" | grep -q 'disabled' &&
    grep '^n1 ' "$work/status.out" | grep -q 'TLS disabled' &&
    ok "n3's line says strict, n1's says disabled" || not_ok "the node lines"

section "the cluster status of sipcctl (asked of n1) says what is wrong"
"$BIN/sipcctl" --home "$(node_home n1)" --timeout 5000 status --cluster >"$work/cl.out" 2>&1
rc=$?
sed -n '/PROBLEMS/,$p' "$work/cl.out"
[ "$rc" = 1 ] && grep -q "TLS must be enabled on all nodes: n3 has TLS on and is strict: it refuses the plaintext of n1, n2, so their plaintext links to it and its links to them are down (TLS on: n3; TLS off: n1, n2)" "$work/cl.out" &&
    ok "sipcctl status --cluster: 'TLS must be enabled on all nodes: n3 has TLS on and is strict'" || not_ok "sipcctl status --cluster (exit $rc)"
# once the links have failed for longer than a start or a reload takes, the
# summary lists each node's down links with their last error
links_down() {
    "$BIN/sipcctl" --home "$(node_home n1)" --timeout 5000 status --cluster --json >"$work/ld.json" 2>/dev/null
    jq -e '[.problems[] | select(.kind == "link_down")] | any(.node == "n1" and .peer == "n3" and (.message | test("^n1.s links? to n3 \\(.*\\) (is|are) down since .*Z( \\([^)]*\\))?: .*TLS")))' "$work/ld.json" >/dev/null
}
wait_for 30 links_down && ok "after the grace, status --cluster lists link_down: $(jq -r '[.problems[] | select(.kind == "link_down")][0].message' "$work/ld.json")" ||
    { not_ok "no link_down for n1 -> n3"; jq '.problems' "$work/ld.json"; }

section "the logs say it in plain words"
cluster logs n3 >"$work/n3.log"
grep -m1 "peer speaks plaintext where TLS is required .*plaintext arrived on a TLS port: is TLS enabled on every node?" "$work/n3.log" | cut -c1-240
grep -q "peer speaks plaintext where TLS is required .*plaintext arrived on a TLS port: is TLS enabled on every node?" "$work/n3.log" &&
    ok "n3's log: plaintext arrived on its TLS port, is TLS enabled on every node?" || not_ok "n3's log has no plain words for incoming plaintext"
grep -q "peer answered in plaintext: TLS is not enabled on it (enable TLS on every node" "$work/n3.log" &&
    ok "n3's log: its peers answer in plaintext, TLS is not enabled on them" || not_ok "n3's log about its outgoing links"
for n in n1 n2; do
    cluster logs "$n" >"$work/$n.log"
    grep -q "peer speaks TLS where plaintext is configured .*peer answered with TLS: it requires TLS but it is not enabled on this side" "$work/$n.log" &&
        grep -q "a TLS handshake arrived on a plaintext port: is TLS enabled on every node?" "$work/$n.log" &&
        ok "$n's log: n3 answers with TLS (it requires TLS, not enabled here), and TLS arrives on the plaintext port" ||
        not_ok "$n's log has no plain words for the mismatch"
done
grep -m1 "it requires TLS but it is not enabled on this side" "$work/n1.log" | cut -c1-240

section "a search reaches only the nodes that agree"
ctl search 'anything' --node "$(node_addr n1)" --json >"$work/s.json" 2>/dev/null
rc=$?
jq -c '.nodes_missing' "$work/s.json"
[ "$rc" = 3 ] && jq -e '.partial and ([.nodes_missing[] | select(.address | startswith("'"$n3"':"))] | length == 1)' "$work/s.json" >/dev/null &&
    ok "search sent to n1 is partial (exit 3) and names n3" || not_ok "search during the mismatch (exit $rc)"

section "a legacy node (plaintext, no pair) that calls n1..n3"
# its home is under the cluster's folder, so `down` stops it whatever happens
legacy="$CL/nodes/legacy"
mkdir -p "$legacy"
printf '[node]\nid = legacy\naddress = %s.4\n[cluster]\nname = harness\nnodes = %s.1, %s.2, %s.3, %s.4\n' \
    "$NET" "$NET" "$NET" "$NET" "$NET" >"$legacy/sipc.conf"
setsid "$BIN/sipcd" --home "$legacy" >"$legacy/sipcd.out" 2>&1 </dev/null &
legacy_started() { grep -qs "Pipeline Service Started" "$legacy"/logs/PipelineService_*.log; }
wait_for 10 legacy_started && ok "legacy node started on $NET.4 (TLS off)" || { not_ok "legacy node"; cat "$legacy/sipcd.out"; }

section "the rolling enable stops at the guard's refusal"
t0=$(date +%s%3N)
SC_TLS_QUIET_WAIT=5 cluster tls enable --rolling >"$work/roll1.out" 2>&1
rc=$?
grep -E '^\[|stopped|refused' "$work/roll1.out" | cut -c1-260
[ "$rc" = 1 ] && grep -q "stopped at n1: the node refused the reload (tlstool exit 12); nothing was forced" "$work/roll1.out" &&
    grep -q "reload refused: going strict would cut off peers still speaking plaintext: .*(node legacy)" "$work/roll1.out" &&
    ok "exit 1: stopped at n1, whose guard names the legacy node; nothing forced" || { not_ok "rolling enable with a plaintext peer (exit $rc)"; cat "$work/roll1.out"; }
# then what to do, as the operator guide says (1.5): TLS on the peers named,
# or, to cut them off, the override on n1 with what it does and what it risks
cat >"$work/advice.want" <<EOF
sipc-cluster: error: n1's strict guard refused: the peers named above spoke plaintext to it within its [tls] strict_guard_window.
sipc-cluster: error: Either give each of them TLS as the node's message says (a node: TLS on, permissive; a sipcctl: the cluster's
sipc-cluster: error: pair in its home): its next TLS connection to n1 clears it at once; one gone for good stops counting once the
sipc-cluster: error: window has passed since its last connection. Then run the same command again: it skips the nodes already done.
sipc-cluster: error: Or, only if those peers are to be cut off (retired hosts, clients that will never get the cluster's pair):
sipc-cluster: error:   $(jq -r .bin "$CL/cluster.json")/tlstool --home $(node_home n1) mode strict --reload --force
sipc-cluster: error: goes strict anyway and cuts the listed peers off: n1 refuses every new plaintext connection of theirs
sipc-cluster: error: (those open now last until they close); each service logs 'Reload forced'. Sent over TLS, as from
sipc-cluster: error: n1's home, it acknowledges them: they no longer hold n1 back, and a restart within the window stays
sipc-cluster: error: strict; one that connects again over plaintext, or a plaintext peer never seen before, holds it back
sipc-cluster: error: as before. Then run the same command again; the nodes after n1 may name the same peers.
EOF
sed -n "/^sipc-cluster: error: n1's strict guard refused/,\$p" "$work/roll1.out" >"$work/advice.got"
diff "$work/advice.want" "$work/advice.got" >"$work/advice.diff" &&
    ok "the refusal says what to do: TLS on the peers, or tlstool mode strict --reload --force on n1 and what it does" ||
    { not_ok "the advice after the guard's refusal"; cat "$work/advice.diff"; }
[ "$(ctl status --node "$(node_addr n1)" --json | jq -r .tls.mode)" = permissive ] &&
    ok "n1 stays permissive (serving the legacy node)" || not_ok "n1's mode after the refusal"

section "the legacy node gets the pair and TLS (permissive); the rolling enable goes through"
"$BIN/tlstool" --home "$legacy" import "$(jq -r .pair "$CL/cluster.json")" --password-file "$(jq -r .password_file "$CL/cluster.json")" >/dev/null &&
    "$BIN/tlstool" --home "$legacy" enable --mode permissive --reload >"$work/legacy.out" 2>&1 &&
    ok "legacy: import, enable --mode permissive --reload" || { not_ok "legacy to TLS"; cat "$work/legacy.out"; }
# the sipcctl of n1's home spoke plaintext to n1 while its TLS was off (above):
# n1's guard holds that home until one of its sessions speaks TLS, as the
# guide's check before strict (1.5) does from the node's home
"$BIN/sipcctl" --home "$(node_home n1)" --timeout 5000 status --cluster >"$work/cl2.out" 2>&1
grep -q "TLS: enabled, mode permissive" "$work/cl2.out" &&
    ok "sipcctl status --cluster from n1's home, now over TLS" || { not_ok "status from n1's home"; cat "$work/cl2.out"; }
cluster tls enable --rolling >"$work/roll.out" 2>&1
rc=$?
grep -E '^\[|^cluster:|already' "$work/roll.out"
[ "$rc" = 0 ] && grep -q '^cluster: every reachable node runs TLS strict$' "$work/roll.out" &&
    ok "after the rolling enable every node runs TLS strict ($(ms_since "$t0") ms since the first attempt)" || { not_ok "rolling enable (exit $rc)"; cat "$work/roll.out"; }
figure "odd node named" "$(sed -n 's/^cluster: MISMATCH: \([^ ]*\) .*/\1/p' "$work/status.out")"
figure "repair ms" "$(ms_since "$t0")"
