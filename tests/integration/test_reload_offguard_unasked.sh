#!/usr/bin/env bash
# test_reload_offguard_unasked.sh - the node's guard of going off with nodes
# it cannot ask. Three real sipcd a b c ($BASE.1-3, one pair, all strict); a
# checks a refused reload every second (a check that waits for b's answer
# takes as long as the question's timeout); c is stopped for good (never asked):
#   - `enable = 0` by hand in a's sipc.conf, SIGHUP: refused for b, and the
#     refusal names c as not asked too
#   - b SIGSTOPped (a node paused or restarting): it ran strict at its last
#     answer, so the refusal stands across the checks, and says that b
#     could not be asked; a reload then is refused the same way
#   - `sipcctl --timeout 2000 reload` while b hangs: the question to the
#     nodes fits the caller's deadline, so the caller gets the node's answer
#     (refused, exit 1; not "unreachable", 69)
#   - `--force` with 400 ms: too little time to ask, refused; within 2 s:
#     off, and the answer names b as the strict node it cut this node off from
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.118}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE".{1,2,3}:{23000,23001,23002,23003}
shtest_init offunasked
export TZ=UTC SIPC_PFX_PASSWORD="Off-Unasked-$$" SIPCD_RELOAD_RECHECK_MS=1000
strict_trio offunasked || exit 1
ctl() { "$BIN/sipcctl" --home "$work/b" --node "$BASE.1" "$@"; }
mlog() { cat "$work/$1"/logs/ManagementService_*.log; }
st_a() { ctl --timeout 10000 status --json >"$OUT" 2>&1; }

# c stopped for good: a node this guard never had an answer from
kill -TERM "${node_pids[2]}" && wait_for 10 sh -c "! kill -0 ${node_pids[2]}" ||
    not_ok "c did not stop"

# --- the refusal names the nodes not asked too --------------------------------
sed -i 's/^enable = 1$/enable = 0/' "$work/a/sipc.conf"
kill -HUP "${node_pids[0]}"
refused_hup() { mlog a | grep 'ERROR reload refused: going off' | grep -q "could not be asked"; }
if wait_for 15 refused_hup &&
    mlog a | grep -q "ERROR reload refused: going off would cut this node off from a peer that runs strict: $BASE.2 (node b); .*; also $BASE.3 (cannot connect to .*: connection refused) could not be asked the mode it runs"; then
    ok "SIGHUP: refused for b, and c named as not asked"
else
    not_ok "no refusal naming b strict and c not asked"; mlog a | grep 'reload refused' | tail -n 2 | sed 's/^/    | /'
fi

# --- b paused: strict at its last answer, so the refusal stands ----------------
kill -STOP "${node_pids[1]}"
at_exit "kill -CONT ${node_pids[1]} 2>/dev/null"
unasked_b() { st_a && jq -r .reload.refused.reason "$OUT" | grep -q "$BASE.2 (node b, it ran strict at its last answer, at .*, and could not be asked now: .*; it counts as strict until it answers with another mode, or a reload with --force goes off anyway)"; }
if wait_for 25 unasked_b; then
    ok "b paused: the check keeps the refusal, saying b ran strict and could not be asked"
else
    bad "the check with b paused: $(jq -c .reload "$OUT")"
fi
# one more check, a whole one after that (checks never overlap): the
# refusal's checked_at moves on
seen=$(jq -r .reload.refused.checked_at "$OUT")
checked_again() { st_a && [ "$(jq -r .reload.refused.checked_at "$OUT")" != "$seen" ]; }
wait_for 15 checked_again || not_ok "no later check within 15 s (checked_at $seen)"
if [ "$(jq -r .reload.refused.cause "$OUT")" = off_guard ] && [ "$(jq -r .reload.pending "$OUT")" = null ] &&
    ! mlog a | grep -q 'no longer holds back'; then
    ok "b still paused, checks later: refused, never pending"
else
    bad "b paused, later: $(jq -c .reload "$OUT")"
fi

# --- a reload while b hangs: within the caller's deadline, refused ------------
t0=$(sc_now_ms)
run ctl --timeout 2000 reload
took=$(($(sc_now_ms) - t0))
expect "sipcctl --timeout 2000 reload, b paused: refused in time (exit 1)" 1 \
    "reload refused: going off would cut this node off from a peer that runs strict: $BASE.2 \\(node b, it ran strict at its last answer"
[ "$took" -lt 2500 ] && ok "answered within the deadline ($took ms)" || not_ok "took $took ms for --timeout 2000"
st_a
[ "$(jq -r .tls.mode "$OUT")" = strict ] && ok "a still strict" || bad "a's mode after the refusal"

# a deadline too short to ask anyone: refused, not taken off blind
run ctl --timeout 400 reload --force
expect "sipcctl --timeout 400 reload --force: refused, too little time to ask" 1 \
    "reload refused: it takes TLS off, and the time the request allows .* is too short to ask the other nodes"

# --- --force: off, and the answer says whom it cut off -------------------------
run ctl --timeout 2000 reload --force
expect "sipcctl --timeout 2000 reload --force, b paused: off, b named as cut off" 0 \
    'changed: TLS: strict -> off' "cut off \\(it runs strict\\): $BASE.2 \\(node b, it ran strict at its last answer"
kill -CONT "${node_pids[1]}"
shtest_done
