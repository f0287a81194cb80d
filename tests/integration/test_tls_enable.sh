#!/usr/bin/env bash
# test_tls_enable.sh - `tlstool enable --reload` straight from TLS off, with a
# real node A on $BASE.1 (standard ports) and a plaintext sipcctl (home o,
# no pair) that A's strict guard has seen:
#   - `enable --mode strict --reload`, refused by the guard, puts sipc.conf
#     back byte for byte: a file without a [tls] section gets none, a [tls]
#     section without a mode line gets none, comments stay
#   - `enable --mode strict --reload --force` goes strict and acknowledges
#     the peer it cuts off (its request is plaintext, so tlstool writes the
#     local override for it): a plain restart of A stays strict
# and without a node: --reload to a node whose [node] address is an IPv6
# wildcard dials ::1 (nothing listens on the port given), and a short
# option's value given as -H=DIR is a usage error in sipcctl, tlstool and
# sipcd.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.83}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init tlsenable
ctl() { "$BIN/sipcctl" --timeout 5000 "$@"; }
tt() { "$BIN/tlstool" --home "$work/a" "$@"; }
need_free "$BASE".1:{23000,23001,23002,23003}

export SIPC_PFX_PASSWORD="Enable-Test-$$"
conf() { # home id
    mkdir -p "$work/$1"
    printf '# %s: written by the test\n[node]\nid = %s\naddress = %s.1\n[cluster]\nname = enable\nnodes = %s.1\n' \
        "$1" "$2" "$BASE" "$BASE" >"$work/$1/sipc.conf"
}
conf a a
conf o o
tt create -site "$work/cluster.pfx" >/dev/null
tt import "$work/cluster.pfx" >/dev/null
sipcd_start "$work/a" || exit 1
a_pid=$sipcd_pid
mode() { ctl --home "$work/a" status --json | jq -r '.tls.mode'; }

# a plaintext sipcctl: A's guard refuses to go strict while it is recent
ctl --home "$work/o" ping "$BASE.1" >"$work/ping.out" 2>&1 && grep -q "over plaintext" "$work/ping.out" ||
    { not_ok "plaintext ping from o"; shtest_show "$work/ping.out"; }

# --- a refusal puts sipc.conf back as it was ---------------------------------
refused_back() { # NAME: enable --mode strict --reload is refused, sipc.conf as before
    cp "$work/a/sipc.conf" "$work/conf.before"
    run tt enable --mode strict --reload
    if [ "$RC" = 12 ] && grep -q "^sipc.conf set back as it was before this command (TLS off): the node still runs TLS off" "$OUT" &&
        cmp -s "$work/conf.before" "$work/a/sipc.conf"; then
        ok "$1"
    else
        bad "$1 (exit $RC)"
        diff "$work/conf.before" "$work/a/sipc.conf" | sed 's/^/    diff: /'
    fi
}
refused_back "refused from off, no [tls] section before: sipc.conf byte for byte as before"
printf '[tls]\n# off until every node has the pair\nenable = 0\n' >>"$work/a/sipc.conf"
refused_back "refused from off, [tls] without a mode line before: sipc.conf byte for byte as before"
[ "$(mode)" = off ] && ok "... and A still runs TLS off, reached by its own home's sipcctl" ||
    not_ok "A not reachable in plaintext after the refusals"

# --- --force from off: acknowledged, so a restart stays strict -------------
run tt enable --mode strict --reload --force
expect "enable --mode strict --reload --force from off: the override is written for the plaintext request, and the cut-off peer acknowledged" 0 \
    "^override written: .*/state/force-strict" "changed: TLS: off -> strict" \
    "^ *cut off \(it spoke plaintext; acknowledged\): "
[ ! -e "$work/a/state/force-strict" ] && ok "... the reload used the override up" ||
    not_ok "state/force-strict left behind"
po=$(sipcctl_peer "$work/o")
jq -e --arg o "$po" '[.peers[] | select(.node == $o and .cut_off == true)] | length == 1' "$work/a/state/peers" >/dev/null &&
    ok "... and A's history marks o's sipcctl as cut off" || { not_ok "o not marked cut off"; shtest_show "$work/a/state/peers"; }
kill -TERM "$a_pid"
wait "$a_pid"
sipcd_start "$work/a" || exit 1
a_pid=$sipcd_pid
[ "$(mode)" = strict ] && ! grep -q "Service.Guard ERROR" "$work/a/logs/"DataService_*.log &&
    ok "a plain restart after the forced enable stays strict" ||
    { not_ok "restart after the forced enable is not strict: $(mode)"; grep "Service.Guard" "$work/a/logs/"DataService_*.log | sed 's/^/    | /'; }
kill -TERM "$a_pid"
wait "$a_pid"

# --- a wildcard [node] address is dialed on loopback ------------------------
# (port 1: nothing listens there, the answer is "connection refused")
mkdir -p "$work/w"
printf '[node]\naddress = 0::0\n[management]\nport = 1\n' >"$work/w/sipc.conf"
run "$BIN/tlstool" --home "$work/w" disable --reload
expect "--reload to a node on the IPv6 wildcard 0::0 dials ::1" 13 "the node at ::1:1 could not be asked"

# --- -H=DIR: a usage error, in each tool's words and exit code ---------------
one_line() { # NAME WANT REGEX: exit WANT and one line matching REGEX
    if [ "$RC" = "$2" ] && [ "$(wc -l <"$OUT")" = 1 ] && grep -Eq -- "$3" "$OUT"; then ok "$1"; else bad "$1 (exit $RC)"; fi
}
run "$BIN/sipcctl" -H="$work/a" status
one_line "sipcctl -H=DIR: usage, 64" 64 "^sipcctl: -H=$work/a: write '-H $work/a' or '--home=$work/a'"
run "$BIN/tlstool" -H="$work/a" status
one_line "tlstool -H=DIR: usage, 64" 64 "^tlstool: error: -H=$work/a: write '-H $work/a' or '--home=$work/a'"
run "$BIN/sipcd" -H="$work/a"
one_line "sipcd -H=DIR: usage, 64" 64 "^sipcd: -H=$work/a: write '-H $work/a' or '--home=$work/a'"
run "$BIN/sipcctl" -H= status
one_line "sipcctl -H=: usage, 64" 64 "^sipcctl: -H=: write '-H DIR' or '--home=DIR'"
run "$BIN/tlstool" -H "$work/none" status
one_line "tlstool -H with a missing home names -H" 3 "node home $work/none does not exist \(-H\)"
run "$BIN/sipcctl" --home "$work/none" status
one_line "sipcctl --home with a missing home names --home" 78 "node home $work/none does not exist \(--home\)"
shtest_done
