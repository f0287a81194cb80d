#!/usr/bin/env bash
# test_reload_answer.sh - what a reload's answer tells the operator, with
# real sipcd on $BASE.4 (cluster alpha, plaintext) and $BASE.5 (the pair
# imported, TLS permissive):
#   - `sipcctl --json reload` from a home of cluster beta: the entry's
#     message is the error line stderr gives (name and class), and the fix
#     stderr appends (the line to write) is its "fix"
#   - the same against the SIGSTOPped node: "no answer from the peer
#     [SIPC_ESILENT, io]: connected to ..., but nothing received from it" in
#     the message, as other --json errors say
#   - a forced reload to strict with a plaintext sipcctl in the guard's
#     history: `tlstool mode strict --reload --force` prints whom it cut off,
#     and so do `sipcctl reload --force` and its JSON ("cut_off")
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.78}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init reloadanswer
ctl() { "$BIN/sipcctl" --timeout 3000 "$@"; }
need_free "$BASE".{4,5}:{23000,23001,23002,23003}
export SIPC_PFX_PASSWORD="Reload-Answer-$$"

conf() { # home id host cluster
    mkdir -p "$work/$1"
    printf '[node]\nid = %s\naddress = %s.%s\n[cluster]\nname = %s\nnodes = %s.%s\n' \
        "$2" "$BASE" "$3" "$4" "$BASE" "$3" >"$work/$1/sipc.conf"
}

# --- a node of another cluster, then a stopped one -------------------------
conf a a 4 alpha
conf b b 4 beta # a client home of another cluster
sipcd_start "$work/a" || exit 1
a_pid=$sipcd_pid
ctl --home "$work/b" --json reload >"$work/b.json" 2>"$work/b.err"; rc=$?
fix=$(sed -n "s/.*; \(is it the node you meant? .*this home's \[cluster\] name is 'beta' .*\)$/\1/p" "$work/b.err")
if [ "$rc" = 76 ] && [ -n "$fix" ] &&
    jq -e --arg f "$fix" 'length == 1 and .[0].result == "unreachable" and .[0].fix == $f
        and (.[0].message | startswith("cluster name mismatch [SIPC_ECLUSTER, protocol]: "))' "$work/b.json" >/dev/null; then
    ok "reload --json to a node of another cluster: the error line and stderr's fix ('$fix')"
else
    not_ok "reload --json to another cluster: exit $rc"; cat "$work/b.json" "$work/b.err"
fi
kill -STOP "$a_pid"
conf c c 4 alpha
"$BIN/sipcctl" --home "$work/c" --timeout 1000 --json reload >"$work/c.json" 2>"$work/c.err"; rc=$?
kill -CONT "$a_pid"
if [ "$rc" = 69 ] && jq -e --arg a "$BASE.4:23002" '.[0].result == "unreachable" and
        (.[0].message | startswith("no answer from the peer [SIPC_ESILENT, io]: connected to \($a), but nothing received from it for ")) and (.[0] | has("fix") | not)' "$work/c.json" >/dev/null; then
    ok "reload --json to a SIGSTOPped node: the error's name and class, as stderr"
else
    not_ok "reload --json to a stopped node: exit $rc"; cat "$work/c.json" "$work/c.err"
fi
kill -TERM "$a_pid"; wait "$a_pid"
# this home's own node down: the fix in parentheses on stderr, the field
# without them
"$BIN/sipcctl" --home "$work/a" --json reload >"$work/d.json" 2>"$work/d.err"; rc=$?
fix=$(sed -n "s/.*connection refused \[ECONNREFUSED, io\] (\(nothing listens at .*\))$/\1/p" "$work/d.err")
if [ "$rc" = 69 ] && [ -n "$fix" ] &&
    jq -e --arg f "$fix" '.[0].result == "unreachable" and .[0].fix == $f' "$work/d.json" >/dev/null; then
    ok "reload --json with this home's node down: stderr's fix, without its parentheses"
else
    not_ok "reload --json, home node down: exit $rc, fix '$fix'"; cat "$work/d.json" "$work/d.err"
fi

# --- a forced reload names whom it cut off --------------------------------
conf s s 5 alpha
conf p p 5 alpha # a plaintext sipcctl: no pair
tt() { "$BIN/tlstool" --home "$work/s" "$@"; }
tt create -site "$work/cluster.pfx" >/dev/null && tt import "$work/cluster.pfx" >/dev/null &&
    tt enable --mode permissive >/dev/null || { not_ok "the pair of s"; exit 1; }
sipcd_start "$work/s" || exit 1
s_pid=$sipcd_pid
peer=$(sipcctl_peer "$work/p")
ctl --home "$work/p" ping "$BASE.5" >/dev/null 2>&1
tt mode strict --reload --force >"$work/f1.out" 2>&1; rc=$?
if [ "$rc" = 0 ] && grep -q "^  cut off (it spoke plaintext[^)]*): 127.0.0.1 (node $peer) [0-9]* s ago on the data service$" "$work/f1.out"; then
    ok "tlstool mode strict --reload --force: prints whom it cut off ($peer)"
else
    not_ok "tlstool forced reload: exit $rc"; cat "$work/f1.out"
fi
# again through sipcctl from s's own home (over TLS: acknowledged), in text
# and in JSON
again() { # the plaintext sipcctl talks to s while permissive; strict in sipc.conf
    tt mode permissive --reload >/dev/null 2>&1 || not_ok "back to permissive"
    ctl --home "$work/p" ping "$BASE.5" >/dev/null 2>&1
    tt mode strict >/dev/null 2>&1
}
again
ctl --home "$work/s" --node "$BASE.5" reload --force >"$work/f2.out" 2>&1; rc=$?
if [ "$rc" = 0 ] && grep -q "^  cut off (it spoke plaintext; acknowledged): 127.0.0.1 (node $peer) [0-9]* s ago on the data service$" "$work/f2.out"; then
    ok "sipcctl reload --force: prints whom it cut off, acknowledged"
else
    not_ok "sipcctl forced reload: exit $rc"; cat "$work/f2.out"
fi
again
ctl --home "$work/s" --node "$BASE.5" --json reload --force >"$work/f3.json" 2>&1; rc=$?
if [ "$rc" = 0 ] && jq -e --arg p "$peer" '.[0].cut_off_acknowledged == true and
        ([.[0].cut_off[] | select(startswith("127.0.0.1 (node " + $p + ") "))] | length == 1)' "$work/f3.json" >/dev/null; then
    ok "sipcctl --json reload --force: cut_off names $peer, acknowledged"
else
    not_ok "sipcctl forced reload (json): exit $rc"; cat "$work/f3.json"
fi
# once strict, a forced reload cuts off no one: no such line or key
ctl --home "$work/s" --node "$BASE.5" --json reload --force >"$work/f4.json" 2>&1; rc=$?
[ "$rc" = 0 ] && jq -e '.[0] | has("cut_off") | not' "$work/f4.json" >/dev/null &&
    ok "a forced reload that cuts off no one has no cut_off" || { not_ok "forced reload when strict: exit $rc"; cat "$work/f4.json"; }
kill -TERM "$s_pid"; wait "$s_pid"
shtest_done
