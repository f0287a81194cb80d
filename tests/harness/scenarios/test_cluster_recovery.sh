#!/usr/bin/env bash
# test_cluster_recovery.sh - what the harness says and does when its nodes
# die or one of its commands is interrupted, on a strict cluster of two
# ($NET.1, $NET.2):
#   - Ctrl-C (SIGINT to its process group) of `up` while n2 starts: it says
#     that n1 and n2 run on and that `down` stops them, then dies of the
#     signal; the nodes come up healthy without it;
#   - a dead node's status line says `sipc-cluster restart NODE` and names
#     the node's own home, never the client home (which is client-only: no
#     [node], so sipcctl never takes it for a stopped node's home); a
#     rolling step stops at it, its mode not read, never "already" done;
#   - `restart` of one of two dead nodes waits for its links to the nodes
#     that run, not to the other dead one, and says what it waits for;
#   - a rolling rotation stopped by n2 killed as n1 commits: `status` names
#     n1, which presents the new pair, as not presenting the cluster's; after
#     `restart n2` the same command again skips the steps done and ends
#     with every node on the new pair;
#   - a rotation by hand (`tlstool rotate` on every node): `status` says
#     every node presents another pair than sipc-cluster made, rotated
#     outside it (committed on n1, n2 while not finished), never "imported
#     by hand";
#   - rolled back by hand (permissive, then n1 off): `sipcctl status
#     --cluster` and `status` grade it MIGRATING (2), advising no strict;
#     `--expect-mode off` waits for n2 and is met once it is off too.
# Budget: under 120 s (about 35 s on a loaded machine).
. "$(dirname "$0")/scenario.sh"
. "$BIN/sipc-cluster.d/cluster.sh"

section "Ctrl-C of up"
# n2's sipcd held back until the signal is sent (so that up is still
# waiting for it): a sipcd in SIPC_BIN that waits for a file to go first
# (its tlstool one that holds a rolling change at a step: held_tools)
mkdir "$work/bin"
: >"$work/hold"
cat >"$work/bin/sipcd" <<EOF
#!/bin/sh
case "\$*" in
*/nodes/n2) for _ in \$(seq 1 300); do [ -e "$work/hold" ] || break; sleep 0.1; done ;;
esac
exec "$BIN/sipcd" "\$@"
EOF
chmod +x "$work/bin/sipcd"
held_tools "$work/bin" || not_ok "held_tools"
# as from a terminal: a process group of its own, SIGINT not ignored (a
# background job of a script starts with it ignored)
SIPC_BIN=$work/bin setsid python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' "$SC" --dir "$CL" up -n 2 --tls strict --base "$NET.0" >"$work/up.out" 2>&1 &
up=$!
# (n2's pid recorded: up is past its spawn, waiting for its services)
n1_started() {
    [ "$(sc_started_count "$CL/nodes/n1")" -ge 4 ] &&
        jq -e '.nodes[] | select(.name == "n2") | .pid != null' "$CL/cluster.json" >/dev/null
}
wait_for 30 n1_started || not_ok "n1 did not start its four services"
kill -INT -- "-$up"
wait "$up"
RC=$? OUT=$work/up.out
expect "Ctrl-C of up: it says what runs on and what stops it, then dies of SIGINT" 130 \
    "^sipc-cluster: interrupted: n1 n2 are running, started by this up .*: sipc-cluster --dir $CL down stops them"
rm -f "$work/hold"
OUT=$work/out.txt
settled_status "$OUT" && ok "the interrupted up's nodes come up healthy" || bad "status after the interrupted up"

section "a dead node"
cluster kill n1 >/dev/null
run cluster status
expect "a dead node's line says restart and its own home" 69 \
    "^n1 .* dead +unreachable: .*; sipc-cluster restart n1 starts it again \(from its home, $CL/nodes/n1\)$"
grep -q -e "$CL/client" -e "sipcd --home" "$OUT" && bad "status tells to start sipcd (from the client home)" ||
    ok "no word of starting sipcd from the client home"
# a rolling step that cannot read a node's mode stops there, saying why: a
# failed read is never the mode the step wants (n2, strict, answers)
phase() ( sc_open "$CL" && SC_BIN=$(sc_q .bin) && sc_tls_phase off permissive "TLS on" enable --mode permissive --reload )
run phase
expect "a rolling step with n1 dead: stops at n1, its mode not read, exit 69" 69 \
    "^sipc-cluster: error: stopped at n1: its TLS mode could not be read: n1 is not running \(pid [0-9]+ exited\); nothing was changed on n1 \(sipc-cluster restart n1, then"
grep -q "already, nothing to do" "$OUT" && bad "a node whose mode was not read counted as done already" || ok "no node said to need nothing"

section "restart of one of two dead nodes"
cluster kill n2 >/dev/null
t0=$(date +%s%3N)
run cluster restart n2
expect "restart n2 while n1 is dead: says what it waits for, does not wait for n1" 0 \
    "^n2 started \(pid [0-9]+\), its four services in [0-9]+ ms; waiting \(at most 30 s\) until its links to itself \(no other node runs\) are up and its database works \(not to n1: n1 is not running \(pid [0-9]+ exited\)\)$" \
    "^n2 restarted \(pid [0-9]+\): .* \(its links to n1 not counted: n1 is not running"
took=$(ms_since "$t0")
figure restart_with_a_dead_peer_ms "$took"
[ "$took" -lt 20000 ] && ok "restart n2 took $took ms (the 30 s wait for n1 would fail it)" || not_ok "restart n2 took $took ms"
# what a restart that times out says of the node
why=$(sc_open "$CL" && SC_BIN=$(sc_q .bin) && sc_node_unwell n2)
[[ $why == "links to n1 ("*") down: "* ]] &&
    ok "why n2 is not healthy: $why" || not_ok "sc_node_unwell n2: '$why'"
run cluster restart n1
expect "restart n1: it waits for its links to n2" 0 "until its links to n2 are up and its database works$" "^n1 restarted \(pid [0-9]+\): .* ms$"

section "a rolling rotation stopped by a dead node, run again"
cp "$CL/password" "$work/pw"
"$BIN/tlstool" --home "$(client_home)" create -site "$work/new.pfx" --password-file "$work/pw" >/dev/null ||
    not_ok "tlstool create the new pair"
new=$(sc_pfx_fingerprint "$work/new.pfx" "$work/pw")
old=$(jq -r .fingerprint "$CL/cluster.json")
# held before n1's commit runs until n2 is gone and n1 has seen its links
# to n2 go down (a kill sent at the "step 4: n1: commit" line could land
# anywhere up to n2's own commit on a loaded machine): the rotation stops
# after n1, committed, naming n2 and n1's links to it
n2pid=$(jq -r '.nodes[] | select(.name == "n2") | .pid' "$CL/cluster.json")
hold_step "$work/bin" "*/nodes/n1 rotate commit *"
cluster tls rotate --rolling "$work/new.pfx" --password-file "$work/pw" >"$work/rot.out" 2>&1 &
rot=$!
wait_for 60 test -e "$work/bin/held" || not_ok "the rotation did not reach n1's commit"
kill -KILL "$n2pid"
n1_lost_n2() { ! sc_pid_is "$n2pid" && [ "$(sc_open "$CL" && SC_BIN=$(sc_q .bin) && sc_node_down_peers n1)" = n2 ]; }
wait_for 10 n1_lost_n2 || not_ok "n1 does not see its links to n2 down after the kill"
release_step "$work/bin"
wait "$rot"
RC=$? OUT=$work/rot.out
expect "n2 killed as n1 commits: the rotation stops after n1, naming n2 and n1's links to it" 69 \
    "^sipc-cluster: error: stopped after n1: n2 is not running \(pid $n2pid exited\); n1 runs strict but its links to n2 are down \(sipc-cluster restart n2, then run the same command again: it skips the nodes already done\)$"
OUT=$work/out.txt
cluster restart n2 >/dev/null || not_ok "restart n2"
run cluster status
expect "status names n1, on the new pair, as not presenting the cluster's" 1 \
    "^n1 .* cert ${new:0:16} \(not cluster.json's pair\) " "^n2 .* cert ${old:0:16}  " \
    "not presenting the cluster's pair \(sha256 ${old:0:16}\.\.\.\): n1 \(a rolling rotation to sha256 ${new:0:16}\.\.\. stopped midway"
run cluster tls rotate --rolling "$work/new.pfx" --password-file "$work/pw"
expect "the same rotation again: skips what is done, goes on, ends on the new pair" 0 \
    "step 1: n1: stage .*: committed already, nothing to do$" "step 2: n2: stage .*: staged already, nothing to do$" \
    "step 3: client home: stage .*: staged already, nothing to do$" "step 4: n1: commit.*: committed already, nothing to do$" \
    "step 5: n2: commit: .*\(tlstool rotate commit --reload\)$" "rolling rotation done" "^cluster: every reachable node runs TLS strict$"
[ "$(jq -r .fingerprint "$CL/cluster.json")" = "$new" ] && ! jq -e 'has("rotating")' "$CL/cluster.json" >/dev/null &&
    ok "cluster.json: the new pair's fingerprint, no rotation under way" || not_ok "cluster.json after the rotation: $(jq -c '{fingerprint, rotating}' "$CL/cluster.json")"

section "a rotation by hand (tlstool rotate on every node), outside sipc-cluster"
t0=$(date +%s%3N)
"$BIN/tlstool" --home "$(client_home)" create -site "$work/hand.pfx" --password-file "$work/pw" >/dev/null ||
    not_ok "tlstool create the hand pair"
hand=$(sc_pfx_fingerprint "$work/hand.pfx" "$work/pw")
# every step on n1, n2 (reloaded) and the client home, as the operator
# guide's 1.8 has it
hand_step() {
    local s
    for s in "$@"; do
        tt n1 rotate $s --reload && tt n2 rotate $s --reload &&
            "$BIN/tlstool" --home "$(client_home)" rotate $s || return 1
    done >/dev/null
}
hand_step "stage $work/hand.pfx --password-file $work/pw" commit || not_ok "stage and commit the hand pair"
# (until the links are back after the reloads, a node reads degraded)
said() { cluster status >"$OUT" 2>&1; grep -q "$1" "$OUT"; }
wait_for 20 said "every node presents sha256 ${hand:0:16}\.\.\., not the pair sipc-cluster made (sha256 ${new:0:16}\.\.\., which cluster.json names): a key pair rotation done outside sipc-cluster (tlstool rotate), committed on n1, n2 and not finished there" &&
    ok "committed by hand on every node: status says a rotation outside sipc-cluster, committed on n1, n2" ||
    { not_ok "committed by hand: status"; shtest_show "$OUT"; }
hand_step finish || not_ok "finish the hand rotation"
wait_for 20 said "every node presents sha256 ${hand:0:16}\.\.\., not the pair sipc-cluster made (sha256 ${new:0:16}\.\.\., which cluster.json names): another pair, rotated to (tlstool rotate) or imported outside sipc-cluster$" &&
    ok "finished by hand: status says another pair, rotated to or imported outside sipc-cluster" ||
    { not_ok "finished by hand: status"; shtest_show "$OUT"; }
grep -q "imported by hand" "$OUT" && bad "a rotation by hand called an import" || ok "no word of an import by hand"
figure rotation_by_hand_ms "$(ms_since "$t0")"

section "rolled back by hand (guide 1.7): a migration towards off"
tt n1 mode permissive --reload >/dev/null && tt n2 mode permissive --reload >/dev/null &&
    tt n1 disable --reload >/dev/null || not_ok "permissive on both, then n1 off"
# (until n2's links to n1 are back, its status is degraded)
mixed() { ctl status --cluster >"$OUT" 2>&1; RC=$?; [ "$RC" = 2 ]; }
wait_for 20 mixed
expect "n1 off, n2 permissive: sipcctl status --cluster says MIGRATING (2), naming both ways on" 2 \
    "^cluster MIGRATING: TLS is off on 1 of 2 nodes, permissive on the others: no node refuses another" \
    "n2 runs TLS permissive while n1 has TLS off: rolling TLS back .*\`tlstool disable --reload\` on it"
grep -q -e "mode strict" -e "must be enabled" "$OUT" && bad "the half done roll-back is told to go strict" ||
    ok "nothing says to go strict or that TLS must be enabled"
run ctl status --cluster --expect-mode off
expect "--expect-mode off: not yet, n2 named" 1 "^NOT IN MODE off: n2 \(permissive\)$"
settled() { cluster status >"$OUT" 2>&1; RC=$?; [ "$RC" = 2 ]; }
wait_for 20 settled
expect "sipc-cluster status: MIGRATING (2), not MISMATCH" 2 \
    "^cluster: MIGRATING: TLS disabled: n1; TLS permissive: n2 \(permissive accepts both: no node refuses another"
tt n2 disable --reload >/dev/null || not_ok "n2 off"
in_off() { ctl status --cluster --expect-mode off >"$OUT" 2>&1; RC=$?; [ "$RC" = 0 ]; }
wait_for 20 in_off
expect "every node off: --expect-mode off is met" 0 "^cluster IN MODE off: 2 nodes, every one with TLS off, nothing else flagged$"
shtest_done
