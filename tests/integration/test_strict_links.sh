#!/usr/bin/env bash
# test_strict_links.sh - a strict node speaks TLS only, outbound too: node S
# ($BASE.1, [tls] mode = strict) and node O ($BASE.2, TLS off) in one
# [cluster], standard ports.
#   - S's cluster status lists O as unreachable, with a reason in words, and
#     flags it (exit not 0); no plaintext management link was made
#   - O never saw a plaintext connection from S: no "(node s) up over
#     plaintext" line in O's logs, and O's guard history does not list S,
#     while a real plaintext client (sipcctl from a home without a pair) is
#     listed there, so the history does record plaintext peers
#   - O's log says a TLS peer failed there (with the advice to turn TLS on):
#     S does not retry in plaintext, so this is a real mismatch
#   - the control: S in permissive mode reaches O in plaintext, as documented
#   - both TLS off with the pair imported (the state of operator guide 1.3):
#     their management links offer TLS first and fall back to plaintext, and
#     that is all the logs say of it: no warning, no refusal or "turn TLS on"
#     advice, the fallback line at most once per peer
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.99}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init strictlinks
ctl() { "$BIN/sipcctl" --timeout 5000 "$@"; }
need_free "$BASE".{1,2}:{23000,23001,23002,23003}

export SIPC_PFX_PASSWORD="Strict-Links-$$"
conf() { # home id host
    mkdir -p "$work/$1"
    printf '[node]\nid = %s\naddress = %s.%s\n[cluster]\nname = links\nnodes = %s.1, %s.2\n' \
        "$2" "$BASE" "$3" "$BASE" "$BASE" >"$work/$1/sipc.conf"
}
conf s s 1
conf o o 2
conf plain plain 2 # a client without a pair: plaintext toward O
"$BIN/tlstool" --home "$work/s" create -site "$work/cluster.pfx" >/dev/null
"$BIN/tlstool" --home "$work/s" import "$work/cluster.pfx" >/dev/null
"$BIN/tlstool" --home "$work/s" enable --mode strict >/dev/null || { echo "enable failed"; exit 1; }

start() { # home
    sipcd_start "$work/$1" || exit 1
    eval "${1}_pid=$sipcd_pid"
}
start o
start s
mode() { ctl --home "$work/s" status --json | jq -r '.tls.mode'; }
[ "$(mode)" = strict ] && ok "S runs strict" || not_ok "S mode $(mode)"

# --- S's cluster status: O unreachable, with the reason ---------------------
ctl --home "$work/s" status --cluster --json >"$work/c1.json" 2>"$work/c1.err"
rc=$?
peer() { jq -r --arg a "$BASE.2" "[.nodes[] | select(.address | startswith(\$a))][0].$1" "$work/c1.json"; }
why=$(peer error)
if [ "$rc" != 0 ] && [ "$(peer reachable)" = false ] && [ "$(peer reached_over)" = null ] &&
    printf '%s' "$why" | grep -qiE "plaintext|TLS"; then
    ok "S's cluster status: O unreachable (exit $rc): $why"
else
    not_ok "S's cluster status (exit $rc), O: reachable $(peer reachable) over $(peer reached_over) error '$why'"
    cat "$work/c1.json" "$work/c1.err"
fi
jq -e --arg a "$BASE.2" '[.problems[] | select(.kind == "unreachable" and (.address | startswith($a)))] | length == 1' "$work/c1.json" >/dev/null &&
    ok "the problem list names O as unreachable" || { not_ok "no unreachable problem"; jq .problems "$work/c1.json"; }
ctl --home "$work/s" status --cluster >"$work/c1.txt" 2>&1
grep -q "$BASE.2.*cannot be reached" "$work/c1.txt" &&
    ok "in words: $(grep -m1 "cannot be reached" "$work/c1.txt" | sed 's/^ *//')" || { not_ok "status text"; cat "$work/c1.txt"; }

# --- O's side: nothing in plaintext from S ---------------------------------
ctl --home "$work/plain" ping "$BASE.2" >"$work/p.out" 2>&1 && grep -q "over plaintext" "$work/p.out" ||
    { not_ok "plaintext client to O"; cat "$work/p.out"; }
olisted() { # node: O's guard history lists it as plaintext
    ctl --home "$work/plain" status --node "$BASE.2" --json 2>/dev/null |
        jq -e --arg n "$1" '[.guard.plaintext_peers[] | select(.node == $n)] | length == 1' >/dev/null
}
wait_for 5 olisted "$(sipcctl_peer "$work/plain")" && ok "O's guard history records a real plaintext client" || not_ok "O does not list the plaintext client"
olisted s && not_ok "O's guard history lists S as a plaintext peer" || ok "O's guard history has no plaintext connection from S"
ologs() { cat "$work/o/logs/"*.log; }
# ohas PATTERN: a line of O's logs matches, read by grep itself (under
# pipefail, `ologs | grep -q` fails when grep stops at its match while cat
# still writes: a negative check would then pass)
ohas() { grep -q -- "$1" "$work/o/logs/"*.log; }
ohas "(node s) up over plaintext" && { not_ok "O logged a plaintext connection from S"; ologs | grep "(node s)"; } ||
    ok "O's logs show no plaintext connection from S"
# S never retries in plaintext: O says so once its hold for a retry is over
o_advice() { ohas "INFO Connection from .*a TLS handshake arrived on a plaintext port: is TLS enabled on every node?"; }
wait_for 5 o_advice && ok "O's log names the TLS peer it refused, with the advice" ||
    { not_ok "O's log lacks the refusal of S's TLS"; ologs | grep "Transport.Conn" | tail -5; }

# --- control: S permissive reaches O in plaintext, as documented -------------
"$BIN/tlstool" --home "$work/s" mode permissive --reload >"$work/m.out" 2>&1 || { not_ok "permissive reload"; cat "$work/m.out"; }
# (status --cluster exits 1 here: TLS on S, off on O is a flagged mismatch)
over() { { ctl --home "$work/s" status --cluster --json 2>/dev/null || true; } |
    jq -e --arg a "$BASE.2" '[.nodes[] | select(.address | startswith($a))][0] | .reachable and .reached_over == "plaintext"' >/dev/null; }
# the link failed over and over while S was strict: it redials at its backoff
# ([limits] reconnect_max_ms, 1 s by default), then with the new setup
t0=$SECONDS
until over || [ $((SECONDS - t0)) -ge 40 ]; do sleep 0.5; done
over && ok "S permissive: O reached over plaintext and marked so (after $((SECONDS - t0)) s)" ||
    { not_ok "S permissive does not reach O"; ctl --home "$work/s" status --cluster --json | jq '.nodes[1]'; }
# the node's log writer holds lines for a few ms: give it a moment
ologs_plain() { ohas "(node s) up over plaintext"; }
wait_for 5 ologs_plain && ok "O logs S's plaintext link once S is permissive (the check above can fail)" ||
    not_ok "no plaintext line from S in O's logs after permissive"

kill -TERM "$s_pid" "$o_pid"; wait "$s_pid" "$o_pid"; s_pid= o_pid=

# --- both TLS off, the pair imported (guide 1.3: import done, no enable) ---
"$BIN/tlstool" --home "$work/s" disable >/dev/null || not_ok "tlstool disable on S"
"$BIN/tlstool" --home "$work/o" import "$work/cluster.pfx" >/dev/null || not_ok "tlstool import on O"
rm -rf "$work/s/logs" "$work/o/logs"
start o
start s # O is up: every dial of S's succeeds at once
slogs() { cat "$work/s/logs/"*.log; }
reached() { { ctl --home "$work/s" status --cluster --json 2>/dev/null || true; } |
    jq -e --arg a "$BASE.2" '[.nodes[] | select(.address | startswith($a))][0] | .reachable and .reached_over == "plaintext"' >/dev/null; }
wait_for 20 reached && ok "TLS off, pair imported: S reaches O, over plaintext after offering TLS" ||
    { not_ok "S does not reach O"; ctl --home "$work/s" status --cluster --json | jq '.nodes'; }
ctl --home "$work/s" status >"$work/st.txt" 2>&1
grep -q "TLS: disabled" "$work/st.txt" && ok "S says TLS: disabled" || { not_ok "S status"; cat "$work/st.txt"; }
sleep 3 # longer than a listener holds a refused TLS handshake's line for the peer's retry
both() { slogs; ologs; }
both | grep -E "turn TLS on|is TLS enabled on every node|speaks TLS where plaintext" >"$work/advice.txt"
[ ! -s "$work/advice.txt" ] && ok "TLS off, pair imported: no refusal or 'turn TLS on' advice in the logs" ||
    { not_ok "refusal or advice lines in the logs"; head -5 "$work/advice.txt"; }
# O started first: its dials to S were refused until S was up, nothing else
both | grep -E " (WARN|ERROR) " | grep -v "connection refused (ECONNREFUSED" >"$work/warn.txt"
[ ! -s "$work/warn.txt" ] && ok "TLS off, pair imported: no warning or error (but O's dials before S was up)" ||
    { not_ok "warnings in the logs"; head -5 "$work/warn.txt"; }
slogs | grep -E " (WARN|ERROR) " >"$work/swarn.txt"
[ ! -s "$work/swarn.txt" ] && ok "S (started last) logs no warning at all" || { not_ok "S warns"; head -5 "$work/swarn.txt"; }
said=$(slogs | grep -c "$BASE.2:23002 answers in plaintext: this side's security offers TLS first while TLS is off here, and falls back to plaintext: retrying in plaintext")
[ "$said" = 1 ] && ok "S's fallback to O is said once, as what it is: TLS off here, the pair imported" ||
    { not_ok "S's fallback line $said times"; slogs | grep "answers in plaintext"; }
grep -q "(permissive)" "$work/s/logs/"*.log && not_ok "S, TLS off, calls itself permissive" || ok "S does not call itself permissive"

kill -TERM "$s_pid" "$o_pid"; wait "$s_pid" "$o_pid"; s_pid= o_pid=
shtest_done
