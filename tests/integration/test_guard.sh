#!/usr/bin/env bash
# test_guard.sh - the strict guard of sipcd, with a real node A on $BASE.1
# (standard ports) and two plaintext nodes calling it, B ($BASE.2, later
# given the pair) and C ($BASE.3, never): their management channels reach A
# when asked for the cluster status; and plaintext sipcctl sessions from
# homes without the pair (o and q, later given it; p2, never).
#   - the guard records the sessions of sipcctl by user, machine and home:
#     sipcctl from A's home, over TLS (the operator's `sipcctl status`), does
#     not clear a plaintext sipcctl from another home of the same machine;
#     one TLS session from that home does
#   - A permissive, a plaintext client calls it: `tlstool mode strict
#     --reload` is refused (exit 12) naming the peer; A stays permissive and
#     still serves the client; the status shows the guard's peers
#   - SIGHUP never forces: refused the same way
#   - the client gets the pair (now TLS): the next `mode strict --reload`
#     goes through at once, without waiting out the window
#   - restarting strict with a plaintext peer in the persisted history starts
#     permissive with an ERROR line; the history file survives the restart
#     and is 0600 in a 0700 state/
#   - `mode strict --reload --force` goes strict anyway (logged as forced),
#     and so does `sipcctl reload --force` after a refused `sipcctl reload`;
#     the status (text and --json) lists the peers it cut off and
#     acknowledged; a peer it cut off that connects again in plaintext is
#     named again
#   - only a --force over TLS acknowledges the peers it cuts off: from a
#     plaintext sipcctl it goes strict, but marks no one in the history
#   - the override of `tlstool mode strict --force` works for one start, and
#     acknowledges the peers it cut off: the next plain start stays strict;
#     a plaintext peer seen after the force holds it back again; a forced
#     start that fails (its data port taken) marks no one
#   - [tls] strict_guard_window = 0 turns the guard off
#   - at the end, strict with [pipeline] tls = 0: a peer only of that
#     plaintext pipeline does not hold the start back; with TLS off,
#     [pipeline] tls = 1 unforced is refused for a client holding the pair
#     too, with advice that works for a listener that has no permissive
#     step (--force, after which that client speaks TLS at once, or TLS on
#     through permissive, where its next connection clears it); a forced
#     [pipeline] tls = 1 acknowledges a peer for the pipeline only:
#     its plaintext data link still holds back going strict; a hello that
#     offered TLS counts as TLS only on a plaintext listener, not on a
#     permissive one
# and first, with A's TLS off: a pre-flight `tlstool check` leaves nothing in
# the history (a real plaintext sipcctl does, and blocks going strict until
# it speaks TLS); a refused `sipcctl reload` says what it would have changed,
# with no "changed:" line. Last: a SIGSTOPped A makes `sipcctl ping` exit 69.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.81}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init guard
ctl() { "$BIN/sipcctl" --timeout 5000 "$@"; }
tt() { "$BIN/tlstool" --home "$work/a" "$@"; }
log() { cat "$work/a/logs/"DataService_*.log; }
need_free "$BASE".{1,2,3}:{23000,23001,23002,23003}

export SIPC_PFX_PASSWORD="Guard-Test-$$"
conf() { # home id host
    mkdir -p "$work/$1"
    printf '[node]\nid = %s\naddress = %s.%s\n[cluster]\nname = guard\nnodes = %s.1\n' "$2" "$BASE" "$3" "$BASE" >"$work/$1/sipc.conf"
}
conf a a 1
conf b b 2 # moves from plaintext to TLS
conf c c 3 # stays plaintext
conf p2 p2 1 # a plaintext sipcctl, to see who A lets in
conf o o 1 # an operator's sipcctl: plaintext, then given the pair
conf q q 1 # the same, at the end
tt create -site "$work/cluster.pfx" >/dev/null
tt import "$work/cluster.pfx" >/dev/null

# A checks a refused reload's files and guard every second (12 s else)
start_a() { SIPCD_RELOAD_RECHECK_MS=1000 sipcd_start "$work/a" || exit 1; node_pid=$sipcd_pid; }
stop_a() { kill -TERM "$node_pid"; wait "$node_pid"; local rc=$?; node_pid=; return $rc; }
mode() { ctl --home "$work/a" status --json | jq -r '.tls.mode'; }
ping_over() { # home what: a ping from home goes over what
    ctl --home "$work/$1" ping "$BASE.1" >"$work/ping.out" 2>&1 && grep -q "over $2" "$work/ping.out"
}
startpeer() { # home
    sipcd_start "$work/$1" || exit 1
    eval "${1}_pid=$sipcd_pid"
}
# the node's cluster status: its management channel calls A
calls() { ctl --home "$work/$1" status --cluster >/dev/null 2>&1; true; }
listed() { # node: A's guard lists it
    ctl --home "$work/a" status --json | jq -e --arg n "$1" '[.guard.plaintext_peers[] | select(.node == $n)] | length == 1' >/dev/null
}
refusals() { log | grep -c "Service.Reload ERROR reload refused: going strict would cut off peers still speaking plaintext" ; }

# --- a pre-flight tlstool check does not hold up going strict --------------
# A runs with TLS off (the pair imported, not enabled): the check's test
# connection falls back to plaintext, as a real plaintext client's does
start_a
tt check >"$work/check.out" 2>&1
grep -q "^$BASE.1[:0-9]*: reachable, PLAINTEXT" "$work/check.out" &&
    ok "pre-flight tlstool check reaches A (TLS off) in plaintext" || { not_ok "pre-flight check"; cat "$work/check.out"; }
# straight from off to strict: tlstool's own reload request, plaintext to a
# node with TLS off, is no peer that going strict cuts off (twice: the
# first attempt's request must not hold up the second either)
for attempt in 1 2; do
    tt enable --mode strict --reload >"$work/os$attempt.out" 2>&1
    rc=$?
    [ "$rc" = 0 ] && grep -q "changed: TLS: off -> strict" "$work/os$attempt.out" &&
        ok "tlstool enable --mode strict --reload from TLS off goes through (attempt $attempt)" || { not_ok "off -> strict (attempt $attempt, exit $rc)"; cat "$work/os$attempt.out"; }
    tt disable --reload >"$work/od$attempt.out" 2>&1 || { not_ok "back to off"; cat "$work/od$attempt.out"; }
done
ctl --home "$work/a" status --json >"$work/st0.json" 2>&1
jq -e '[.guard.plaintext_peers[] | select(.node | startswith("tlstool"))] | length == 0' "$work/st0.json" >/dev/null &&
    ok "no tlstool session is a guard peer" || { not_ok "tlstool listed by the guard"; cat "$work/st0.json"; }
ping_over o plaintext || { not_ok "plaintext sipcctl to A"; cat "$work/ping.out"; }
hist() { jq -e "$1" "$work/a/state/peers"; }
po=$(sipcctl_peer "$work/o") pa=$(sipcctl_peer "$work/a")
[ "$po" != "$pa" ] || not_ok "homes o and a have the same tag"
# written at once, not by the next save every 3 s: a node killed right after
# must still know the peer when it restarts with mode = strict
hist "[.peers[] | select(.node == \"$po\" and .tls == false)] | length == 1" >/dev/null &&
    ok "A's history records the real plaintext sipcctl at once" || { not_ok "sipcctl not recorded at once"; cat "$work/a/state/peers"; }
# each session names itself sipcctl:USER@HOST/TAG:PID; the history still has one line for o
ping_over o plaintext || { not_ok "second plaintext sipcctl to A"; cat "$work/ping.out"; }
ctl --home "$work/a" status --json >"$work/st.json" 2>&1
jq -e --arg o "$po" '[.guard.plaintext_peers[] | select(.node == $o)] | length == 1' "$work/st.json" >/dev/null &&
    ok "the sipcctl sessions from one home are one guard peer: $po" || { not_ok "sipcctl sessions counted apart"; cat "$work/st.json"; }
hist '[.peers[] | select(.node == "tlstool-check")] | length == 0' >/dev/null &&
    ok "A's history does not record tlstool check's probe" || { not_ok "the probe is recorded"; cat "$work/a/state/peers"; }
# off -> strict refused (the plaintext sipcctl): sipc.conf goes back to off,
# so this home's own sipcctl still reaches the node, which runs plaintext
cp "$work/a/security/server.tls.conf" "$work/stc.before" 2>/dev/null || : >"$work/stc.before"
cp "$work/a/sipc.conf" "$work/conf.before"
tt enable --mode strict --reload >"$work/os3.out" 2>&1
rc=$?
[ "$rc" = 12 ] && grep -q "sipc.conf set back as it was before this command (TLS off): the node still runs TLS off" "$work/os3.out" &&
    cmp -s "$work/conf.before" "$work/a/sipc.conf" &&
    cmp -s "$work/stc.before" "$work/a/security/server.tls.conf" &&
    ok "enable --mode strict --reload refused from off: sipc.conf and server.tls.conf put back" ||
    { not_ok "refused off -> strict (exit $rc)"; cat "$work/os3.out"; grep enable "$work/a/sipc.conf"; }
ctl --home "$work/a" status >"$work/st3.txt" 2>&1 &&
    ok "... and sipcctl from the node's own home still reaches it" || { not_ok "sipcctl after the refusal"; cat "$work/st3.txt"; }
tt enable --mode permissive --reload >"$work/e0.out" 2>&1 || { not_ok "enable permissive"; cat "$work/e0.out"; }
tt mode strict --reload >"$work/r0.out" 2>&1
rc=$?
[ "$rc" = 12 ] && grep -qF "(node $po)" "$work/r0.out" && ! grep -q "tlstool-check" "$work/r0.out" &&
    ok "going strict is refused for the real plaintext sipcctl only, not for the probe" || { not_ok "refusal for sipcctl (exit $rc)"; cat "$work/r0.out"; }
# a refused reload changed nothing: sipcctl says what would have changed
"$BIN/sipcctl" --timeout 5000 --home "$work/o" reload >"$work/rl.out" 2>&1 &
rlpid=$!
wait "$rlpid"
rc=$?
me="${po% home *}/${po##* }:$rlpid"
wait_for 5 sh -c "cat '$work/a/logs/'DataService_*.log | grep -F 'Reload requested by management call from ' | grep -qF '(node $me, plaintext)'" &&
    ok "A's log names who asked for the reload: $me" || { not_ok "reload requester not named $me"; log | grep "Reload requested"; }
[ "$rc" = 1 ] && grep -q "reload refused: going strict would cut off" "$work/rl.out" &&
    grep -q "^  would have changed, not applied: TLS: permissive -> strict$" "$work/rl.out" &&
    ! grep -q "^  changed:" "$work/rl.out" &&
    ok "sipcctl reload refused: the refusal and what would have changed, no 'changed:' line (exit 1)" || { not_ok "sipcctl reload refused (exit $rc)"; cat "$work/rl.out"; }
ctl --home "$work/o" reload --json >"$work/rl.json" 2>&1
jq -e '.[0].result == "refused" and (.[0].changes | length) == 0 and (.[0].not_applied | index("TLS: permissive -> strict"))' "$work/rl.json" >/dev/null &&
    ok "the refused reload's answer: changes empty, not_applied lists the change" || { not_ok "refused reload JSON"; cat "$work/rl.json"; }
# the operator checks from A's home, over TLS: another home, another peer,
# which holds the pair o lacks; o is still cut off by going strict
ping_over a TLS || { not_ok "TLS ping from A's home"; cat "$work/ping.out"; }
ctl --home "$work/a" status >"$work/st4.txt" 2>&1
# the guard's line (the refused reload's line keeps its reason until A's
# next check of it)
grep "^  strict guard:" "$work/st4.txt" >"$work/st4.guard"
grep -qF "(node $po)" "$work/st4.guard" && ! grep -qF "(node $pa)" "$work/st4.guard" &&
    grep -q "^  strict guard: going strict is refused" "$work/st4.txt" &&
    ok "a TLS sipcctl status from A's home: the guard still names o's plaintext sipcctl, not A's home" || { not_ok "status after a TLS sipcctl from another home"; cat "$work/st4.txt"; }
tt mode strict --reload >"$work/r0c.out" 2>&1
rc=$?
[ "$rc" = 12 ] && grep -qF "(node $po)" "$work/r0c.out" && ! grep -qF "(node $pa)" "$work/r0c.out" &&
    ok "... and mode strict --reload is still refused, naming $po" || { not_ok "strict not refused after a TLS sipcctl from another home (exit $rc)"; cat "$work/r0c.out"; }
# o gets the pair: one TLS session from o's home clears it
"$BIN/tlstool" --home "$work/o" import "$work/cluster.pfx" >/dev/null || not_ok "import in o"
ping_over o TLS || { not_ok "TLS ping from o"; cat "$work/ping.out"; }
tt mode strict --reload >"$work/r0b.out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q "changed: TLS: permissive -> strict" "$work/r0b.out" &&
    ok "o's TLS session clears it: mode strict --reload goes through (the pre-flight probe holds nothing up)" || { not_ok "strict after o's TLS session (exit $rc)"; cat "$work/r0b.out"; }
tt mode permissive --reload >/dev/null 2>&1 || not_ok "back to permissive"
stop_a || not_ok "A stop"

start_a
startpeer b
[ "$(mode)" = permissive ] && ok "A runs permissive" || not_ok "A mode $(mode)"
calls b
wait_for 5 listed b && ok "B (no pair) calls A in plaintext: A's guard lists it" || { not_ok "B not listed"; ctl --home "$work/a" status --json | jq .guard; }

# --- the reload is refused, nothing applied -------------------------------
r0=$(refusals)
tt mode strict --reload >"$work/r1.out" 2>&1
rc=$?
if [ "$rc" = 12 ] && grep -q "reload refused: going strict would cut off peers still speaking plaintext: [0-9.]* (node b) [0-9]* s ago on the [a-z]* service; enable TLS there first (a sipcctl named '... home TAG': import the cluster's key pair in the home whose tag \`tlstool status\` shows as TAG, or, if that home holds it already, run one sipcctl command from that home once this node speaks TLS (permissive), e.g. \`sipcctl ping --node\` this node: its next TLS connection to this node clears it; tlstool's connections are not counted, so they do not), or reload with --force, which goes strict anyway and cuts them off; the change stays made here: a later reload (SIGHUP) or restart of sipcd applies it$" "$work/r1.out"; then
    ok "tlstool mode strict --reload: refused (exit 12), B named with when and where; the change to sipc.conf said to stay"
else
    not_ok "mode strict --reload not refused (exit $rc)"; cat "$work/r1.out"
fi
[ "$(refusals)" = $((r0 + 1)) ] && ok "the refusal is logged" || { not_ok "refusal log"; log | tail -5; }
[ "$(mode)" = permissive ] && ok "A stays permissive" || not_ok "A mode $(mode) after the refusal"
ctl --home "$work/a" status >"$work/st.txt" 2>&1
grep -q "^  TLS: enabled, mode permissive$" "$work/st.txt" &&
    grep -q "^  strict guard: going strict is refused while plaintext peers are seen within 600 s: .*(node b) [0-9]* s ago" "$work/st.txt" &&
    ok "a permissive node's text status names the peers the guard holds on" || { not_ok "status text of a permissive node"; cat "$work/st.txt"; }
ping_over b plaintext && ok "A still serves plaintext clients" || { not_ok "plaintext after refusal"; cat "$work/ping.out"; }
ctl --home "$work/a" status --cluster --json >"$work/gp.json" 2>&1
jq -e '[.problems[] | select(.kind == "guard_peer" and (.message | test("strict guard saw [0-9.]* \\(node b\\) speak plaintext on its [a-z]* service .*one TLS connection .*on a node: tlstool enable there")))] | length >= 1' "$work/gp.json" >/dev/null &&
    ok "the cluster report lists B as a guard_peer problem" || { not_ok "no guard_peer problem"; jq .problems "$work/gp.json"; }
# a guard peer left is a problem, not the migrating stage: exit 1, and
# --expect-mode permissive does not pass over it
ctl --home "$work/a" status --cluster >"$work/gp.txt" 2>&1
rc=$?
ctl --home "$work/a" status --cluster --expect-mode permissive >/dev/null 2>&1
rc2=$?
[ "$rc" = 1 ] && [ "$rc2" = 1 ] && jq -e '.health == "problems"' "$work/gp.json" >/dev/null &&
    grep -q "^PROBLEMS ([0-9]*):$" "$work/gp.txt" &&
    ok "with a guard peer left, status --cluster exits 1 (health problems), --expect-mode permissive too" ||
    { not_ok "status --cluster with a guard peer: exit $rc, --expect-mode permissive $rc2"; cat "$work/gp.txt"; }
ctl --home "$work/a" status --json >"$work/st.json"
[ "$(jq -r '.guard.window_s' "$work/st.json")" = 600 ] &&
    [ "$(jq -r '[.guard.plaintext_peers[] | select(.node == "b")][0].service' "$work/st.json")" != null ] &&
    jq -e '.guard.plaintext_peers[0].last_seen | test("^20[0-9-]*T[0-9:]*Z$")' "$work/st.json" >/dev/null &&
    ok "the status shows the guard: window 600 s, B and the service it used" || { not_ok "guard status"; jq .guard "$work/st.json"; }

# --- SIGHUP never forces --------------------------------------------------
kill -HUP "$node_pid"
two() { [ "$(refusals)" = $((r0 + 2)) ]; }
wait_for 10 two && ok "SIGHUP: refused the same way" || { not_ok "SIGHUP not refused"; log | tail -5; }
[ "$(mode)" = permissive ] && ping_over b plaintext && ok "after SIGHUP A is still permissive" || not_ok "SIGHUP forced"

# --- the client goes TLS: strict at once -----------------------------------
"$BIN/tlstool" --home "$work/b" import "$work/cluster.pfx" >/dev/null
# the rolling step: B turns TLS on, permissive; its links to A go TLS
"$BIN/tlstool" --home "$work/b" enable --mode permissive --reload >"$work/b.en" 2>&1 || { not_ok "B enable"; cat "$work/b.en"; }
b_clear() { calls b; ! listed b; }
wait_for 10 b_clear && ok "B enabled (permissive) calls over TLS: A's guard no longer lists it" || not_ok "B still listed"
ping_over b TLS || { not_ok "TLS ping from B's home"; cat "$work/ping.out"; }
# nothing but A's permissive mode is flagged now: the migrating stage, which
# a script tells apart by the exit code (2), or by --expect-mode's 0; the
# refused SIGHUP stays a reload_refused problem until A's next check finds
# that the guard lets it through (within a second here)
migrating() { ctl --home "$work/a" status --cluster >"$work/mg.txt" 2>&1; [ $? = 2 ]; }
wait_for 15 migrating &&
    grep -q "^cluster MIGRATING: TLS is on everywhere and no plaintext peer is left; 1 of 1 node still accepts plaintext (mode permissive)" "$work/mg.txt" &&
    ok "only A's permissive mode left: status --cluster says MIGRATING, exit 2" || { not_ok "not MIGRATING"; cat "$work/mg.txt"; }
ctl --home "$work/a" status --cluster --json >"$work/mg.json" 2>&1
[ $? = 2 ] && jq -e '.health == "migrating" and ([.problems[].kind] == ["permissive"])' "$work/mg.json" >/dev/null &&
    ok "... --json: the same exit 2, health migrating" || { not_ok "MIGRATING json"; cat "$work/mg.json"; }
ctl --home "$work/a" status --cluster --expect-mode permissive >/dev/null 2>&1 &&
    ok "--expect-mode permissive: exit 0 in the migrating stage" || not_ok "--expect-mode permissive failed in the migrating stage"
ctl --home "$work/a" status --cluster --expect-mode strict >"$work/es.txt" 2>&1
rc=$?
[ "$rc" = 1 ] && grep -q "^NOT IN MODE strict: a (permissive)$" "$work/es.txt" &&
    ok "--expect-mode strict: exit 1 naming A (permissive)" || { not_ok "--expect-mode strict while permissive (exit $rc)"; cat "$work/es.txt"; }
ctl --home "$work/a" status --expect-mode strict >"$work/es.txt" 2>&1
rc=$?
[ "$rc" = 64 ] && grep -q "expect-mode goes with --cluster" "$work/es.txt" &&
    ok "--expect-mode without --cluster: usage (64)" || { not_ok "--expect-mode without --cluster (exit $rc)"; cat "$work/es.txt"; }
tt mode strict --reload >"$work/r2.out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q "changed: TLS: permissive -> strict" "$work/r2.out" &&
    ok "B's TLS connection clears it: mode strict --reload goes through at once" || { not_ok "strict after TLS (exit $rc)"; cat "$work/r2.out"; }
ping_over p2 plaintext && not_ok "strict: plaintext p2 got in" || ok "strict: plaintext p2 is refused"
ctl --home "$work/a" status --cluster --expect-mode strict >"$work/es.txt" 2>&1 &&
    ctl --home "$work/a" status --cluster >/dev/null 2>&1 &&
    ok "strict everywhere: status --cluster and --expect-mode strict exit 0" || { not_ok "--expect-mode strict once strict"; cat "$work/es.txt"; }
ctl --home "$work/a" status --cluster --expect-mode permissive >"$work/es.txt" 2>&1
[ $? = 1 ] && grep -q "^NOT IN MODE permissive: a (strict)$" "$work/es.txt" &&
    ok "--expect-mode permissive once strict: exit 1 naming A" || { not_ok "--expect-mode permissive once strict"; cat "$work/es.txt"; }

# --- a restart with a plaintext peer in the history -----------------------
tt mode permissive --reload >/dev/null 2>&1 || not_ok "back to permissive"
startpeer c
calls c
wait_for 5 listed c && ok "permissive again: C calls A in plaintext" || not_ok "C not listed"
stop_a && ok "A stops cleanly" || not_ok "A stop"
f="$work/a/state/peers"
[ "$(stat -c %a "$f" 2>/dev/null)" = 600 ] && [ "$(stat -c %a "$work/a/state")" = 700 ] &&
    jq -e '[.peers[] | select(.node == "c" and .tls == false)] | length == 1' "$f" >/dev/null &&
    ok "state/peers: 0600 in a 0700 state/, C recorded as plaintext" || { not_ok "history file"; ls -la "$work/a/state"; cat "$f"; }
tt mode strict >"$work/m.out" 2>&1
grep -q "warning: peers still speaking plaintext to this node: [0-9.]* (node c) .*; the node refuses to go strict until they use TLS (enable TLS there first), or --force is given, with which it goes strict anyway and cuts them off$" "$work/m.out" &&
    ok "tlstool mode strict (no --reload) warns from the home's history" || { not_ok "tlstool warning"; cat "$work/m.out"; }
start_a
log | grep -q "Service.Guard ERROR \[tls\] mode = strict, but starting in permissive mode instead (TLS and plaintext accepted): going strict would cut off peers still speaking plaintext\. .*tlstool mode strict --force.* The peers: [0-9.]* (node c) " &&
    ok "restart: the ERROR line names C and the override" || { not_ok "restart ERROR line"; log | grep -i guard; }
[ "$(mode)" = permissive ] && ping_over p2 plaintext && ok "restart: A runs permissive and still serves plaintext (the history survived the restart)" ||
    { not_ok "restart mode $(mode)"; cat "$work/ping.out"; }
# the text status says the configured mode, the running one and why
ctl --home "$work/a" status >"$work/st.txt" 2>&1
grep -q "^  TLS: enabled, mode permissive (configured: strict; held back by the strict guard: [0-9]* plaintext peers* seen: .*[0-9.]* (node c) [0-9]* s ago on the [a-z]* service.*; reload --force overrides and cuts" "$work/st.txt" &&
    ctl --home "$work/a" status --json | jq -e '.guard.held_back == true' >/dev/null &&
    ok "restart: sipcctl status says configured strict, held back by the guard, naming C" || { not_ok "status text of a held-back node"; cat "$work/st.txt"; }
# ... and the cluster report flags it as held back, not merely permissive
ctl --home "$work/a" status --cluster --json >"$work/cl.json" 2>&1
jq -e '[.problems[] | select(.kind == "held_back" and (.message | test("sipc.conf says strict")))] | length == 1' "$work/cl.json" >/dev/null &&
    jq -e '[.problems[] | select(.kind == "permissive")] | length == 0' "$work/cl.json" >/dev/null &&
    ok "restart: the cluster report flags A as held back by the guard" || { not_ok "cluster report of a held-back node"; cat "$work/cl.json"; }

# --- --force, the reload path ----------------------------------------------
tt mode strict --reload --force >"$work/r3.out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q "changed: TLS: permissive -> strict" "$work/r3.out" &&
    log | grep -q "Service.Reload WARN Reload forced (--force): going strict cuts off peers still speaking plaintext: .*(node c)" &&
    ok "mode strict --reload --force: strict, logged as forced" || { not_ok "--force reload (exit $rc)"; cat "$work/r3.out"; }
hist '[.peers[] | select(.node == "c" and .tls == false and .cut_off == true)] | length == 1' >/dev/null &&
    ok "... and marks C, which it cut off, in the history (it holds no restart back)" || { not_ok "C not marked cut off by --reload --force"; cat "$work/a/state/peers"; }
ping_over p2 plaintext && not_ok "forced strict: p2 got in" || ok "forced strict: p2 is cut off"
ctl --home "$work/a" status >"$work/st.txt" 2>&1
grep -q "^  TLS: enabled, mode strict$" "$work/st.txt" && ! grep -q "held back" "$work/st.txt" &&
    ctl --home "$work/a" status --json | jq -e '.guard.held_back == false' >/dev/null &&
    ok "forced strict: the status no longer says held back" || { not_ok "status text after --force"; cat "$work/st.txt"; }
grep -q "^  strict guard: [0-9]* peers* cut off by a forced strict (acknowledged: not counted until \(it connects\|they connect\) again): .*[0-9.]* (node c) [0-9]* s ago on the [a-z]* service" "$work/st.txt" &&
    ctl --home "$work/a" status --json | jq -e '[.guard.cut_off_peers[] | select(.node == "c")] | length == 1' >/dev/null &&
    ok "forced strict: the status (text and --json) lists C as cut off and acknowledged" || { not_ok "cut-off peers in the status"; cat "$work/st.txt"; ctl --home "$work/a" status --json | jq .guard; }

# --- the override marker, the restart path: once -----------------------------
tt mode permissive --reload >/dev/null 2>&1 || not_ok "permissive again"
calls c
wait_for 5 listed c || not_ok "C not listed before the override"
c_clear() { hist '[.peers[] | select(.node == "c" and .tls == false and (.cut_off // false) == false)] | length == 1' >/dev/null; }
wait_for 5 c_clear &&
    ok "C, cut off by the force, connects again in plaintext: named by the guard again, its cut_off cleared" || { not_ok "C's cut_off not cleared"; cat "$work/a/state/peers"; }
# sipcctl reload --force is the same override as tlstool's
tt mode strict >/dev/null 2>&1 || not_ok "mode strict (file only)"
ctl --home "$work/a" reload >"$work/r4.out" 2>&1
rc=$?
[ "$rc" = 1 ] && grep -q "reload refused: going strict would cut off.*(node c)" "$work/r4.out" &&
    ok "sipcctl reload: refused by the guard (exit 1)" || { not_ok "sipcctl reload not refused (exit $rc)"; cat "$work/r4.out"; }
# a plaintext caller is anyone who reaches the port: its --force goes strict
# as before, but leaves no lasting mark in the history
n0=$(log | grep -c "not acknowledged: the request came in plaintext")
ctl --home "$work/p2" reload --force >"$work/r4p.out" 2>&1
rc=$?
[ "$rc" = 0 ] && [ "$(mode)" = strict ] &&
    [ "$(log | grep -c "Reload forced (--force): going strict cuts off peers still speaking plaintext: .*(node c).* (not acknowledged: the request came in plaintext")" -gt "$n0" ] &&
    ok "a plaintext sipcctl reload --force: strict, logged as not acknowledged" || { not_ok "plaintext reload --force (exit $rc, mode $(mode))"; cat "$work/r4p.out"; }
c_clear && ok "... and C is not marked cut off in the history" || { not_ok "a plaintext --force marked C cut off"; cat "$work/a/state/peers"; }
tt mode permissive --reload >/dev/null 2>&1 || not_ok "permissive after the plaintext force"
tt mode strict >/dev/null 2>&1 || not_ok "mode strict (file only)"
f0=$(log | grep -c "Reload forced (--force)")
ctl --home "$work/a" reload --force >"$work/r5.out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q "changed: TLS: permissive -> strict" "$work/r5.out" && [ "$(mode)" = strict ] &&
    [ "$(log | grep -c "Reload forced (--force)")" -gt "$f0" ] &&
    ok "sipcctl reload --force overrides the guard: strict, logged as forced" || { not_ok "sipcctl reload --force (exit $rc, mode $(mode))"; cat "$work/r5.out"; }
hist '[.peers[] | select(.node == "c" and .tls == false and .cut_off == true)] | length == 1' >/dev/null &&
    ok "... over TLS (A's home): C is marked cut off in the history" || { not_ok "a TLS --force did not mark C"; cat "$work/a/state/peers"; }
"$BIN/sipcctl" reload --help >"$work/rh.out" 2>&1
grep -q "override the node's guards: go strict" "$work/rh.out" && ! grep -q "no other" "$work/rh.out" &&
    ok "sipcctl reload --help says what --force does" || { not_ok "reload --help"; cat "$work/rh.out"; }
tt mode permissive --reload >/dev/null 2>&1 || not_ok "permissive again"
calls c
wait_for 5 listed c || not_ok "C not listed again before the override"
stop_a || not_ok "A stop"
tt mode strict --force >"$work/m2.out" 2>&1
[ -f "$work/a/state/force-strict" ] && ok "tlstool mode strict --force leaves the override" || { not_ok "no override"; cat "$work/m2.out"; }
# a forced start that fails (the data port taken) cut no one off: it uses up
# the override, but marks nothing
rm -f "$work/bound"
python3 -c "import socket,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('$BASE.1', 23000)); s.listen(1)
open('$work/bound', 'w').close(); time.sleep(30)" &
holder=$!
wait_for 5 test -e "$work/bound" || not_ok "cannot take the data port"
timeout 20 "$BIN/sipcd" --home "$work/a" >>"$work/a.out" 2>&1
rc=$?
kill "$holder"; wait "$holder" 2>/dev/null
[ "$rc" != 0 ] && [ "$rc" != 124 ] && [ ! -e "$work/a/state/force-strict" ] && c_clear &&
    ok "a forced start that fails (data port taken, exit $rc): override used up, C not marked cut off" || { not_ok "failed forced start (exit $rc)"; cat "$work/a/state/peers"; tail -5 "$work/a.out"; }
tt mode strict --force >/dev/null 2>&1 || not_ok "the override again"
start_a
[ "$(mode)" = strict ] && log | grep -q "Service.Guard WARN strict (forced.*(node c).*(acknowledged: they hold no later start or reload back unless they connect again)" && ! ping_over p2 plaintext &&
    [ ! -e "$work/a/state/force-strict" ] &&
    ok "override: A starts strict, p2 cut off, the override consumed" || { not_ok "override start (mode $(mode))"; log | grep -i guard; }
hist '[.peers[] | select(.node == "c" and .tls == false and .cut_off == true)] | length == 1' >/dev/null &&
    ok "the forced start marks C, which it cut off, in the history" || { not_ok "C not marked cut off"; cat "$work/a/state/peers"; }
# the peers the force cut off were acknowledged: a plain restart within the
# window stays strict, although C's plaintext is still in the history
stop_a || not_ok "A stop"
start_a
[ "$(mode)" = strict ] && [ "$(log | grep -c "starting in permissive mode instead")" = 1 ] &&
    ! ping_over p2 plaintext &&
    ok "the next plain start stays strict: the peers the force cut off no longer hold it back" ||
    { not_ok "second start after the override (mode $(mode))"; log | grep -i guard | tail -3; }
# a plaintext peer seen after the force holds it back again: the override
# was for one start
tt mode permissive --reload >/dev/null 2>&1 || not_ok "permissive after the forced start"
conf p3 p3 1 # a plaintext sipcctl never seen before
ping_over p3 plaintext || { not_ok "plaintext p3 to A"; cat "$work/ping.out"; }
tt mode strict --reload >"$work/r7.out" 2>&1
rc=$?
pp3=$(sipcctl_peer "$work/p3")
[ "$rc" = 12 ] && grep -qF "(node $pp3)" "$work/r7.out" &&
    ok "a plaintext peer new since the force: mode strict --reload refused, naming it" || { not_ok "new peer after the force (exit $rc)"; cat "$work/r7.out"; }
tt mode strict >/dev/null 2>&1 || not_ok "mode strict (file only)"
stop_a || not_ok "A stop"
start_a
[ "$(mode)" = permissive ] && [ "$(log | grep -c "starting in permissive mode instead")" = 2 ] &&
    log | grep "starting in permissive mode instead" | tail -1 | grep -qF "(node $pp3)" &&
    ok "... and the next start is permissive again, naming it" || not_ok "start after a new plaintext peer: mode $(mode)"

# --- strict_guard_window = 0: no guard ----------------------------------------
printf '[tls]\nstrict_guard_window = 0\n' >>"$work/a/sipc.conf"
before=$(log | grep -c "Changed: TLS: permissive -> strict")
kill -HUP "$node_pid"
applied() { [ "$(log | grep -c "Changed: TLS: permissive -> strict")" -gt "$before" ]; }
wait_for 10 applied && [ "$(mode)" = strict ] && ok "strict_guard_window = 0: SIGHUP goes strict" || { not_ok "window 0"; log | tail -5; }
ctl --home "$work/a" status --json | jq -e '.guard.window_s == 0 and (.guard.plaintext_peers | length) == 0' >/dev/null &&
    ok "the status shows the guard off" || not_ok "guard status with window 0"

# --- a node that does not finish the handshake: unreachable, not a TLS failure
kill -STOP "$node_pid"
"$BIN/sipcctl" --home "$work/a" --timeout 1500 ping "$BASE.1" >"$work/stopped.out" 2>&1
rc=$?
kill -CONT "$node_pid"
[ "$rc" = 69 ] && ok "sipcctl ping to a stopped node: exit 69 (timed out), not 77: $(head -1 "$work/stopped.out")" ||
    { not_ok "ping to a stopped node exit $rc"; cat "$work/stopped.out"; }

stop_a && ok "sipcd stops cleanly" || not_ok "final stop"
kill -TERM "$b_pid" "$c_pid"; wait "$b_pid" "$c_pid"; b_pid= c_pid=

# --- held back at start by a plaintext sipcctl, which then speaks TLS: the
# status says a plain reload now goes strict (not --force: nobody is cut off)
# (B and C stopped and A's history of them dropped: nothing else holds it)
rm -f "$work/a/state/peers"
sed -i 's/^strict_guard_window = 0$/strict_guard_window = 600/' "$work/a/sipc.conf"
tt mode permissive >/dev/null 2>&1
start_a
ping_over q plaintext || not_ok "q got no plaintext answer"
tt mode strict >/dev/null 2>&1
stop_a || not_ok "A stop"
start_a
# q gets the pair: its next session, over TLS, clears it
"$BIN/tlstool" --home "$work/q" import "$work/cluster.pfx" >/dev/null || not_ok "import in q"
ping_over q TLS || { not_ok "TLS ping from q"; cat "$work/ping.out"; }
ctl --home "$work/a" status >"$work/st.txt" 2>&1
[ "$(mode)" = permissive ] &&
    grep -q "^  TLS: enabled, mode permissive (configured: strict; held back by the strict guard at start, but no plaintext peer is seen any more: a plain reload now goes strict)$" "$work/st.txt" &&
    ok "held back, then the peer speaks TLS: the status says a plain reload goes strict" || { not_ok "status text once the peers are gone (mode $(mode))"; cat "$work/st.txt"; }
ctl --home "$work/a" status --cluster --json >"$work/cl2.json" 2>&1
rc=$?
[ "$rc" = 2 ] && jq -e '.health == "migrating" and ([.problems[] | select(.kind == "permissive" and (.message | test("no plaintext peer is seen any more")))] | length == 1)' "$work/cl2.json" >/dev/null &&
    ok "... and the cluster report grades it MIGRATING (exit 2): going strict cuts no one off" || { not_ok "cluster report once the peers are gone (exit $rc)"; cat "$work/cl2.json"; }
ctl --home "$work/a" reload >"$work/r6.out" 2>&1 && [ "$(mode)" = strict ] &&
    ok "... and a plain reload does" || { not_ok "plain reload after the peers went"; cat "$work/r6.out"; }
# a client home of another cluster name, with the pair: told which line to change
conf w w 1
sed -i 's/^name = guard$/name = other/' "$work/w/sipc.conf"
"$BIN/tlstool" --home "$work/w" import "$work/cluster.pfx" >/dev/null || not_ok "import in w"
ctl --home "$work/w" ping "$BASE.1" >"$work/w.out" 2>&1
rc=$?
# (the error's name once: the library's detail starts with the same words)
[ "$rc" != 0 ] && grep -q "failed: cluster name mismatch \[SIPC_ECLUSTER, protocol\]: this side .* is in cluster 'other', peer a at .* is in cluster 'guard'; is it the node you meant? It is in cluster 'guard': if not, correct the address; if so, this home's \[cluster\] name is 'other' ($work/w/sipc.conf line 5): write \`name = guard\` on that line to reach the node$" "$work/w.out" &&
    [ "$(grep -o "cluster name mismatch" "$work/w.out" | wc -l)" = 1 ] &&
    ok "a client of another cluster name is told which line to change, and to what" || { not_ok "cluster name mismatch from a client home (exit $rc)"; cat "$work/w.out"; }
# ... and one whose sipc.conf names no cluster (the default) is told to add the line
mkdir -p "$work/w2"
printf '[node]\nid = w2\naddress = %s.1\n[cluster]\nnodes = %s.1\n' "$BASE" "$BASE" >"$work/w2/sipc.conf"
"$BIN/tlstool" --home "$work/w2" import "$work/cluster.pfx" >/dev/null || not_ok "import in w2"
ctl --home "$work/w2" ping "$BASE.1" >"$work/w2.out" 2>&1
rc=$?
[ "$rc" != 0 ] && grep -q "; this home's \[cluster\] name is not set (the default 'sipc'): add \`name = guard\` under \[cluster\] in $work/w2/sipc.conf to reach the node$" "$work/w2.out" &&
    ok "a client home without [cluster] name is told to add it, with the value" || { not_ok "cluster name mismatch from a home without the name (exit $rc)"; cat "$work/w2.out"; }

# --- [pipeline] tls = 0 on a strict node: a peer only of that plaintext
# pipeline holds no start back (a reload to this sipc.conf would not either)
stop_a || not_ok "A stop"
held=$(log | grep -c "starting in permissive mode instead")
(umask 077; printf '{"schema": 1, "peers": [{"address": "%s.3", "node": "pipe-only", "service": "pipeline", "tls": false, "last_seen_unix": %s, "plaintext_services": ["pipeline"]}]}\n' "$BASE" "$(date +%s)" >"$work/a/state/peers")
printf '[pipeline]\ntls = 0\n' >>"$work/a/sipc.conf"
start_a
[ "$(mode)" = strict ] && [ "$(log | grep -c "starting in permissive mode instead")" = "$held" ] &&
    ok "strict with [pipeline] tls = 0: a plaintext peer of the pipeline alone does not hold the start back" ||
    { not_ok "start held back by a pipeline-only peer (mode $(mode))"; log | tail -3; }

# --- a forced strict of the pipeline alone acknowledges its peers there
# only: a plaintext peer of the data service still holds back going strict
stop_a || not_ok "A stop"
rm -f "$work/a/state/peers"
sed -i '/^\[pipeline\]$/d; /^tls = 0$/d' "$work/a/sipc.conf"
tt disable >/dev/null 2>&1
start_a
conf p3 p3 1
printf '{"id": "g-1", "timestamp": "2026-11-23T10:00:00Z", "attributes": {"src": "g"}, "body": "b"}\n' >"$work/g.ndjson"
ctl --home "$work/p3" ping "$BASE.1" >/dev/null 2>&1
ctl --home "$work/p3" ingest "$work/g.ndjson" >"$work/g.out" 2>&1 || { not_ok "p3 ingest"; cat "$work/g.out"; }
# p4 holds the pair, as a load tool's home does: it offers TLS and takes the
# plaintext answer of A's pipeline, which on a node with TLS off counts as
# plaintext all the same
conf p4 p4 1
"$BIN/tlstool" --home "$work/p4" import "$work/cluster.pfx" >/dev/null || not_ok "import in p4"
ctl --home "$work/p4" ingest "$work/g.ndjson" >"$work/g4.out" 2>&1 || { not_ok "p4 ingest"; cat "$work/g4.out"; }
p4=$(sipcctl_peer "$work/p4")
printf '[pipeline]\ntls = 1\n' >>"$work/a/sipc.conf"
# with TLS off the pipeline goes from plaintext straight to strict: the
# refusal says what works (--force, or TLS on through permissive first),
# not to wait until this node speaks TLS, which this listener never does
ctl --home "$work/a" reload >"$work/r6.out" 2>&1
rc=$?
[ "$rc" = 1 ] && grep -q "reload refused: going strict would cut off peers still speaking plaintext: .*(node $p4) [0-9]* s ago on the pipeline service.*; with \[tls\] off, \`\[pipeline\] tls = 1\` takes the pipeline listener from plaintext straight to strict, with no permissive step in which they could move to TLS first (a client whose home holds the cluster's key pair offers TLS, but takes the plaintext answer); either reload with --force, which makes the pipeline strict anyway: a client that holds the pair uses TLS from its next connection on, one without it (a sipcctl named '... home TAG': the home whose tag \`tlstool status\` shows as TAG) is cut off until the pair is imported there; or turn TLS on here first through its permissive step, \`tlstool enable --mode permissive --reload\` (the pipeline then accepts both, and each client's next TLS connection clears it), and once they all use TLS, \`tlstool disable --reload\` leaves the pipeline alone strict" "$work/r6.out" &&
    ! grep -q "once this node speaks TLS" "$work/r6.out" &&
    ok "[pipeline] tls = 1 with TLS off refused for a client holding the pair; the advice is --force or TLS on through permissive" ||
    { not_ok "refused pipeline-only strict with TLS off (exit $rc)"; cat "$work/r6.out"; }
# the second way it names: TLS on through permissive takes the pipeline
# there too, and p4's next connection is TLS, which clears it
tt enable --mode permissive --reload >"$work/e6.out" 2>&1
rc=$?
ctl --home "$work/p4" ingest "$work/g.ndjson" >"$work/g4.out" 2>&1 || { not_ok "p4 ingest, permissive"; cat "$work/g4.out"; }
[ "$rc" = 0 ] && grep -q "pipeline listener TLS: off -> permissive" "$work/e6.out" && ! listed "$p4" &&
    listed "$(sipcctl_peer "$work/p3")" &&
    ok "TLS on through permissive: the pipeline accepts both, and p4's next connection (TLS) clears it" ||
    { not_ok "the permissive way (exit $rc)"; cat "$work/e6.out"; ctl --home "$work/a" status --json | jq .guard; }
# then `tlstool disable --reload` would leave the pipeline alone strict,
# judged by the pipeline's peers: p3 (without the pair) still holds it back
tt disable --reload >"$work/d6.out" 2>&1
rc=$?
[ "$rc" = 12 ] && grep -q "going strict would cut off peers still speaking plaintext: .*(node $(sipcctl_peer "$work/p3")) [0-9]* s ago on the pipeline service" "$work/d6.out" &&
    ! grep -qF "(node $p4)" "$work/d6.out" &&
    ok "... then going back to TLS off with the pipeline strict is held back by p3 alone, not by p4" ||
    { not_ok "disable --reload with [pipeline] tls = 1 (exit $rc)"; cat "$work/d6.out"; }
# back to TLS off everywhere, for the forced way from there
sed -i '/^\[pipeline\]$/d; /^tls = 1$/d' "$work/a/sipc.conf"
ctl --home "$work/a" reload >"$work/d6b.out" 2>&1 || { not_ok "back to TLS off"; cat "$work/d6b.out"; }
printf '[pipeline]\ntls = 1\n' >>"$work/a/sipc.conf"
(umask 077; : >"$work/a/state/force-strict")
ctl --home "$work/a" reload >"$work/r7.out" 2>&1
log | grep -q "Reload forced (the override .*(node $(sipcctl_peer "$work/p3")) .* on the pipeline service.*(acknowledged" ||
    { not_ok "forced pipeline-only strict"; cat "$work/r7.out"; log | tail -3; }
# the first way it names: a client that holds the pair uses TLS at once
ctl --home "$work/p4" ingest "$work/g.ndjson" >"$work/g4.out" 2>&1 &&
    ok "after the forced pipeline-only strict, p4 (holding the pair) ingests over TLS" ||
    { not_ok "p4 ingest after the force"; cat "$work/g4.out"; }
tt enable --mode strict --reload >"$work/e7.out" 2>&1
rc=$?
[ "$rc" = 12 ] && grep -q "going strict would cut off peers still speaking plaintext: .*(node $(sipcctl_peer "$work/p3")) [0-9]* s ago on the data service" "$work/e7.out" &&
    ok "after a forced pipeline-only strict, p3's plaintext data link still holds back going strict" ||
    { not_ok "strict after a pipeline-only force (exit $rc)"; cat "$work/e7.out"; }

# --- a plaintext hello that says it offered TLS counts as TLS only on a
# plaintext listener: to a permissive one it is a plaintext link (the
# dialer fell back, say, when an overloaded listener closed its TLS). The
# hello is a real one: a sipcctl of a home holding the pair (TLS off, so it
# offers TLS and accepts plaintext) retrying after a listener that closed
# its TLS attempt; it is then sent to A's data listener from $BASE.6.
stop_a || not_ok "A stop"
sed -i '/^\[pipeline\]$/d; /^tls = 1$/d' "$work/a/sipc.conf"
tt enable --mode permissive >/dev/null 2>&1
start_a
conf x x 1
"$BIN/tlstool" --home "$work/x" import "$work/cluster.pfx" >/dev/null || not_ok "import in x"
python3 - "$BASE.4" "$work/hello.bin" >"$work/hello.out" 2>&1 <<'PY' &
import socket, sys, time
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], 23009))
l.listen(4)
open(sys.argv[2] + ".ready", "w").close()
l.settimeout(10)
c, _ = l.accept()  # its TLS: closed without a word
c.recv(4096)
c.close()
c, _ = l.accept()  # its plaintext retry: the hello
c.settimeout(0.5)
data = b""
try:
    while len(data) < 65536:
        b = c.recv(4096)
        if not b:
            break
        data += b
except socket.timeout:
    pass
open(sys.argv[2], "wb").write(data)
print(len(data), "bytes")
PY
catcher=$!
for _ in $(seq 1 100); do [ -e "$work/hello.bin.ready" ] && break; sleep 0.1; done
ctl --home "$work/x" --node "$BASE.4:23009" ping >"$work/xping.out" 2>&1
wait "$catcher"
python3 - "$BASE.6" "$BASE.1" "$work/hello.bin" >>"$work/hello.out" 2>&1 <<'PY'
import socket, sys, time
s = socket.create_connection((sys.argv[2], 23000), timeout=5, source_address=(sys.argv[1], 0))
s.sendall(open(sys.argv[3], "rb").read())
time.sleep(1)
s.close()
PY
ctl --home "$work/a" status --json | jq -e --arg a "$BASE.6" '[.guard.plaintext_peers[] | select(.address == $a)] | length == 1' >/dev/null &&
    ok "a hello that offered TLS, on a permissive listener: counted as plaintext" ||
    { not_ok "offered TLS on a permissive listener"; cat "$work/xping.out" "$work/hello.out"; ctl --home "$work/a" status --json | jq .guard; }
stop_a || not_ok "A stop at the end"

shtest_done
