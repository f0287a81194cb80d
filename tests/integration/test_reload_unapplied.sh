#!/usr/bin/env bash
# test_reload_unapplied.sh - sipcctl from a node's home that was set to TLS
# while its node still runs TLS off (`tlstool enable` without --reload), two
# nodes n1 and n2 on $BASE.1-2 holding the cluster's pair:
#   - each sipcd writes its pid and running mode to state/tls-running
#   - with that file missing (an older sipcd), sipcctl speaks TLS only, as
#     the home says, and the node's plaintext answer says what works
#     (SIGHUP, tlstool --reload), exit 76
#   - `sipcctl reload --cluster` from n1's home, the step `tlstool status`
#     advises, reaches both nodes still in plaintext and takes them to
#     permissive, saying once that it dials as n1 still does
#   - a node known to run TLS is never dialed into plaintext: where the
#     file says strict and a plaintext node answers, sipcctl refuses it,
#     even from a home set to enable = 0, and so do tlstool's status and
#     --reload; and where sipcctl cannot load its TLS client (a root in
#     trust/ without [tls] subject), it says so (exit 78) instead of
#     dialing as the home says
#   - the file speaks for the home's own node only: toward another node a
#     command other than reload speaks TLS only, as the home says (exit 76)
#   - a reload whose write of the file fails (a file size limit) leaves no
#     file naming the mode the node left: sipcctl then goes by its home
# Budget: about 10 s.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.229}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init reload_unapplied
need_free "$BASE".{1,2}:{23000,23001,23002,23003}
ctl() { "$BIN/sipcctl" --home "$work/$1" --timeout 5000 "${@:2}"; }
tt() { "$BIN/tlstool" --home "$work/$1" "${@:2}"; }
# says NAME TEXT: the last run's output holds TEXT (as it is)
says() { grep -qF -- "$2" "$OUT" && ok "$1" || bad "$1: no '$2'"; }

export SIPC_PFX_PASSWORD="Unapplied-Test-$$"
"$BIN/tlstool" create -site "$work/cluster.pfx" >/dev/null || exit 1
pids=()
for n in 1 2; do
    node_home "$work/n$n" unapplied "n$n" "$BASE.$n" "$BASE.1, $BASE.2"
    tt "n$n" import "$work/cluster.pfx" >/dev/null || exit 1
    sipcd_start "$work/n$n" || exit 1
    pids+=("$sipcd_pid")
done
at_exit "kill -TERM ${pids[*]} 2>/dev/null"

running_file() { cat "$work/$1/state/tls-running" 2>/dev/null; }
[ "$(running_file n1)" = "${pids[0]} off" ] && [ "$(running_file n2)" = "${pids[1]} off" ] &&
    ok "each sipcd writes its pid and running mode to state/tls-running" ||
    not_ok "state/tls-running: n1 '$(running_file n1)', n2 '$(running_file n2)'"

# known to run TLS: no plaintext toward it, even from a home set to
# enable = 0 (which falls back for any other node); a plaintext node here
# stands for whatever answers at its address
cp -p "$work/n2/state/tls-running" "$work/n2.running"
echo "${pids[1]} strict" >"$work/n2/state/tls-running"
run ctl n2 metrics
expect "a home's node known to run TLS is not dialed into plaintext (exit 76)" 76
says "... and says what answered is not its node" \
    "what answered in plaintext at $BASE.2:23002 is not it, and sipcctl does not fall back to plaintext toward it"
# tlstool asks its home's node by the same code: status and --reload
run tt n2 status
says "tlstool status: not asked in plaintext either, and says why" \
    "what answered in plaintext at $BASE.2:23002 is not it, and tlstool does not fall back to plaintext toward it"
grep -q "^running: *off" "$OUT" && bad "... but it took the plaintext answer as the running mode" ||
    ok "... and takes no running mode from it"
run tt n2 disable --force --reload
expect "tlstool --reload: refused, not asked in plaintext (exit 13)" 13 \
    "could not be asked: .*what answered in plaintext at $BASE.2:23002 is not it, and tlstool does not fall back"
# ... nor when its TLS client cannot be loaded: a root in trust/ without a
# [tls] subject makes that home's TLS unsafe, its plaintext fallback plain
(cd "$work" && mkdir -p pki && cd pki && . "$SHTEST_DIR/../certs/openssl_pki.sh" && node_ext &&
    selfsign other "/CN=Other CA" ca) || not_ok "making a CA certificate"
mkdir -p "$work/n2/security/trust" && cp "$work/pki/other.pem" "$work/n2/security/trust/"
run ctl n2 metrics
expect "toward its node known to run TLS, a TLS client that cannot be loaded is the error (exit 78)" 78 \
    "this home's node runs TLS strict \\($work/n2/state/tls-running\\), so it is dialed with TLS only, and the TLS client cannot be loaded: .*subject"
rm "$work/n2/security/trust/other.pem"
mv "$work/n2.running" "$work/n2/state/tls-running"

for n in 1 2; do tt "n$n" enable --mode permissive >/dev/null || exit 1; done

# no file (an older sipcd): TLS only, as the home says, and what works
mv "$work/n2/state/tls-running" "$work/n2.running"
run ctl n2 reload
expect "home set to TLS, its node not reloaded, no state/tls-running: refused (exit 76)" 76
says "... and says what works" \
    "apply the change with \`systemctl reload sipcd\` (SIGHUP) or \`tlstool enable --reload\` in this home"
mv "$work/n2.running" "$work/n2/state/tls-running"

# n1's file speaks for n1 only: toward n2, not a reload, TLS only
run ctl n1 ping "$BASE.2"
expect "from a home set to TLS whose node runs off, another node is dialed TLS only (exit 76)" 76 \
    "this home is set to TLS \\(\\[tls\\] enable = 1\\), so sipcctl from it speaks TLS only toward another node than its own"

# the advised step: both nodes still plaintext, both reloaded
run ctl n1 reload --cluster
expect "reload --cluster from a home set to TLS while its node runs off: both nodes reloaded" 0
[ "$(grep -c "^sipcctl: this home is set to TLS .* but its node still runs TLS off" "$OUT")" = 1 ] &&
    [ "$(grep -c "^  changed: TLS: off -> permissive$" "$OUT")" = 2 ] &&
    ok "it says once that it dials as its node does, and both went permissive" ||
    bad "reload --cluster's output"
for n in 1 2; do
    i=$((n - 1))
    [ "$(running_file "n$n")" = "${pids[$i]} permissive" ] &&
        tt "n$n" status --json | jq -e '.running.tls_mode == "permissive" and .running.as_configured' >/dev/null &&
        ok "n$n runs permissive, as its home says, and its file says so" ||
        not_ok "n$n after the reload: state/tls-running '$(running_file "n$n")'"
done
# from now on TLS as the home says: no fallback said
run ctl n1 ping "$BASE.1"
expect "then sipcctl from n1's home speaks TLS" 0 "over TLS"
! grep -q "still runs TLS off" "$OUT" && ok "no fallback once the node runs TLS" ||
    bad "a fallback said after the reload"

# n2 back to TLS off by a reload whose write of the file fails (a file size
# limit below its line): no file naming permissive is left, and sipcctl from
# n2's home (enable = 0) takes the plaintext answer
prlimit --pid "${pids[1]}" --fsize=8: || not_ok "prlimit on n2's sipcd"
tt n2 disable >/dev/null || not_ok "tlstool disable on n2"
run ctl n2 reload
expect "n2 reloaded to TLS off under a file size limit" 0 "TLS: permissive -> off"
[ ! -e "$work/n2/state/tls-running" ] && ok "its failed write left no state/tls-running" ||
    not_ok "state/tls-running after a failed write: '$(running_file n2)'"
run ctl n2 ping
expect "sipcctl from n2's home then reaches it in plaintext" 0 "over plaintext"
prlimit --pid "${pids[1]}" --fsize=unlimited: || true
shtest_done
