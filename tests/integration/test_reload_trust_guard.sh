#!/usr/bin/env bash
# test_reload_trust_guard.sh - the reload's guards when no CRL revokes the
# nodes cut off. Three real sipcd, a b c ($BASE.1-3), strict, [tls]
# subject O=Test, each with a certificate of root r1. On a:
#   - revocation soft -> hard with a CRL of r2 only, in the reload that
#     gives a a pair of r2 that b and c refuse: refused, b and c named for a
#     cause the dials could not tell, never for a CRL revoking them
#   - with a on its r2 pair (b and c trusting r2, a r1 in trust/): [tls]
#     subject narrowed to a's own CN, no CRL changed: refused by the trust
#     guard (status cause trust_guard, "by the trust guard"), b and c named
#   - r1 removed from trust/ (`tlstool trust remove --reload`): refused
#     (exit 12), b and c named; `sipcctl reload --force` applies it, naming
#     them in its warning
#   - a trusting r1 again, checked every second: soft -> hard with c stopped
#     (not asked); c continued, the first check that finds it refused names
#     it by the id its link heard (node c), though no dial learnt it
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.223}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE".{1,2,3}:{23000,23001,23002,23003}
shtest_init reloadtrustguard
export TZ=UTC SIPC_PFX_PASSWORD="Reload-Trust-$$"
org_trio reloadtrustguard || exit 1
(cd "$work/pki" && . "$SHTEST_DIR/../certs/openssl_pki.sh" && mkca r2 && gencrl r2 crl-r2.pem) ||
    not_ok "the CRL of r2"
# asked from c's home: a's own files are what the reloads change
ctl() { "$BIN/sipcctl" --timeout 10000 --home "$work/c" "$@"; }
tt() { "$BIN/tlstool" --home "$work/$1" "${@:2}"; }
crl_dir=$work/a/security/crl

# --- b and c refuse the reload's pair in the dials that tell causes -----------
tt a trust add "$work/pki/r1.pem" >"$OUT" 2>&1 && tt a import "$work/pki/a-r2.pfx" --force >>"$OUT" 2>&1 ||
    not_ok "a's pair of r2: $(cat "$OUT")"
mkdir -p -m 700 "$crl_dir" && install -m 600 "$work/pki/crl-r2.pem" "$crl_dir/r2.pem"
sed -i '/^\[tls\]/a revocation = hard' "$work/a/sipc.conf"
run ctl reload --node "$BASE.1"
expect "soft -> hard, no CRL of r1, a pair b and c refuse: refused, no CRL blamed" 1 \
    'reload refused: \[tls\] revocation moves from soft to hard' \
    '2 nodes present a certificate the reload refuses for a cause its dials could not tell' \
    "$BASE.2 \\(node b\\)" "$BASE.3 \\(node c\\)" 'reload with --force'
grep -Eq 'they revoke|CRLs revoke|revokes it|refuses with those CRLs' "$OUT" &&
    bad "the refusal blames a CRL that revokes nothing of b's or c's"

# --- a on its pair of r2, trusted by b and c -----------------------------------
sed -i '/^revocation = hard$/d' "$work/a/sipc.conf"
rm -f "$crl_dir/r2.pem"
for n in b c; do
    tt $n trust add "$work/pki/r2.pem" --reload >"$OUT" 2>&1 || not_ok "trust add r2 on $n: $(cat "$OUT")"
done
run ctl reload --node "$BASE.1"
expect "a's pair of r2 applied, no guard" 0 'key pair: ' 'trust: \+1 root'

# --- the subject narrowed, no CRL changed ---------------------------------------
sed -i 's/^subject = O=Test$/subject = O=Test, CN=node a/' "$work/a/sipc.conf"
run ctl reload --node "$BASE.1"
expect "subject narrowed to a's own: refused by the trust guard, b and c named" 1 \
    "reload refused: \\[tls\\] subject changes from 'O=Test' to 'O=Test, CN=node a', and with it this node would refuse the links of 2 \\[cluster\\] nodes that it accepts now, and keep none: 2 nodes present a certificate the reload's narrower trust refuses" \
    "$BASE.2 \\(node b\\): .*subject" "$BASE.3 \\(node c\\)" 'reload with --force'
run ctl --node "$BASE.1" status --json
[ "$(jq -r .reload.refused.cause "$OUT")" = trust_guard ] && ok "status: reload.refused, cause trust_guard" ||
    bad "status after the refused subject: $(jq -c .reload "$OUT")"
run ctl --node "$BASE.1" status
grep -q 'reload: REFUSED at .* by the trust guard: ' "$OUT" && ok "status: refused by the trust guard" ||
    bad "sipcctl status does not name the trust guard"
sed -i 's/^subject = O=Test, CN=node a$/subject = O=Test/' "$work/a/sipc.conf"

# --- r1 removed from trust/ -------------------------------------------------------
r1=$(basename "$(ls "$work/a/security/trust/"*.pem)" .pem)
run tt a trust remove "$r1" --reload
expect "trust remove of b's and c's root: the reload refused (exit 12), b and c named" 12 \
    'a trusted root in security/trust/ is gone or changed' \
    "2 nodes present a certificate the reload's narrower trust refuses" \
    "$BASE.2 \\(node b\\)" "$BASE.3 \\(node c\\)"
run ctl reload --node "$BASE.1" --force
expect "--force: applied, b and c named" 0 'trust: -1 root' \
    "warning: --force: this reload cuts this node off from 2 \\[cluster\\] nodes: 2 nodes present a certificate the reload's narrower trust refuses.*$BASE.2 \\(node b\\)"
[ "$(each_log "$work/a" "WARN Reload narrowed the trust: --force: this reload cuts")" = 4 ] &&
    ok "each service log says so" || not_ok "no 'Reload narrowed the trust' WARN in the logs"

# --- c first seen refused at a check: named by its links' hello ------------------
mlog() { cat "$work/a/logs/"ManagementService_*.log; }
tt a trust add "$work/pki/r1.pem" >"$OUT" 2>&1 || not_ok "trust add r1 on a again: $(cat "$OUT")"
kill -TERM "${node_pids[0]}"
wait_for 15 sh -c "! kill -0 ${node_pids[0]}" || not_ok "a did not stop"
export SIPCD_RELOAD_RECHECK_MS=1000
sipcd_start "$work/a" || not_ok "a, checked every second"
at_exit "kill -TERM $sipcd_pid 2>/dev/null"
unset SIPCD_RELOAD_RECHECK_MS
links_up() {
    ctl --node "$BASE.1" status --json | jq -e --arg c "$BASE.3:23001" \
        '[.links[] | select(.address == $c and .up and .node == "c")] | length == 1'
}
wait_for 15 links_up || not_ok "a's search link to c did not come up"
# stopped, c does not answer the reload's dials (each waits what the
# request's 2.5 s leave): not named by them
kill -STOP "${node_pids[2]}"
install -m 600 "$work/pki/crl-r2.pem" "$crl_dir/r2.pem"
sed -i '/^\[tls\]/a revocation = hard' "$work/a/sipc.conf"
run "$BIN/sipcctl" --timeout 2500 --home "$work/c" reload --node "$BASE.1"
expect "soft -> hard, no CRL of r1, c stopped: refused for b, c not asked" 1 \
    "$BASE.2 \\(node b\\): revocation status of 'O=Test, CN=node b' is unknown" "$BASE.3 \\([^)]*\\) could not be asked"
kill -CONT "${node_pids[2]}"
c_checked() { mlog | grep -q "The CRL guard checked .*$BASE.3"; }
if wait_for 15 c_checked; then
    line=$(mlog | grep "The CRL guard checked .*$BASE.3" | head -n 1)
    case $line in
    *"$BASE.3 (node c): "*) ok "the first check that finds c refused names it (node c)" ;;
    *) not_ok "the first check that finds c refused: $line" ;;
    esac
else
    not_ok "no check named c: $(mlog | grep 'CRL guard checked' | tail -n 1)"
fi
shtest_done
