#!/usr/bin/env bash
# test_reload_crl_guard.sh - the reload's CRL guard: a reload that applies
# CRLs the node does not apply now is refused only while every [cluster]
# node that the node accepts now presents a certificate they revoke; some
# of them only: applied, each named in a warning with its fix. Three real
# sipcd, a b c ($BASE.1-3), strict, each with a certificate of its own from
# root r1; on a:
#   - revocation = off, a CRL revoking b's and c's certificates put into
#     crl/ by hand (a mounted folder's way): the reload takes it, unused
#   - revocation turned on (soft), reload: refused, b and c named with their
#     certificates and the fix; status: reload.refused, cause crl_guard,
#     which the node's check (every second here) keeps; with --force: applied,
#     b and c named as cut off
#   - revocation on, that CRL gone (reload), then a CRL revoking only a
#     certificate no node presents put into crl/: the reload goes through;
#     the issuer's refresh revoking b's too put in its place (same name, as
#     a PKI pipeline writes it): applied ("1 CRL updated"), b named in a
#     warning (answer and log) with its fix; status --cluster shows b's link down, revoked
#   - c down, a CRL put into crl/: the reload goes through, c named in a
#     warning as not asked
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.166}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE".{1,2,3}:{23000,23001,23002,23003}
shtest_init reloadcrl
export TZ=UTC SIPC_PFX_PASSWORD="Reload-Crl-$$" SIPCD_RELOAD_RECHECK_MS=1000
org_trio reloadcrl || exit 1
org_crls || exit 1
ctl() { "$BIN/sipcctl" --timeout 10000 --home "$work/a" "$@"; }
crl_dir=$work/a/security/crl
drop() { mkdir -p -m 700 "$crl_dir" && install -m 600 "$work/pki/$1" "$crl_dir/${2:-$1}"; }
revoked() { echo "$BASE.$1 \\(node $2\\): .*certificate 'O=Test, CN=node $2' \\(serial [0-9A-Fa-f:]+\\) was revoked"; }

# --- revocation turned on ----------------------------------------------------
sed -i '/^\[tls\]/a revocation = off' "$work/a/sipc.conf"
drop crl-bcx.pem
run ctl reload --node "$BASE.1"
expect "revocation off, a CRL put into crl/: reloaded, not asked" 0 'revocation: soft -> off' \
    'revocation lists: \+1 CRL'
sed -i 's/^revocation = off$/revocation = soft/' "$work/a/sipc.conf"
run ctl reload --node "$BASE.1"
expect "revocation turned on with a CRL revoking every other node: refused, b and c named" 1 \
    'reload refused: \[tls\] revocation is turned on, which applies every CRL in security/crl/ at once, and all 2 \[cluster\] nodes that this node accepts now present a certificate it refuses with those CRLs, so it would refuse their links and keep none' \
    "$(revoked 2 b).*; $(revoked 3 c)" "tlstool import NEW.pfx" "tlstool crl remove NAME" \
    'set \[tls\] revocation back to off' 'reload with --force'
run ctl status --json
if [ "$(jq -r .reload.refused.cause "$OUT")" = crl_guard ] &&
    jq -r .reload.refused.reason "$OUT" | grep -q "node b.*node c"; then
    ok "status: reload.refused, cause crl_guard, b and c named"
else
    bad "status after the refused reload: $(jq -c .reload "$OUT")"
fi
run ctl status
expect "sipcctl status words it for the CRL guard" 0 'reload: REFUSED at .* by the CRL guard: '
run ctl status --cluster
expect "status --cluster: a reload_refused problem by the CRL guard" 1 \
    "a: its last reload was refused at .* by its CRL guard: \\[tls\\] revocation is turned on"
rechecked() {
    ctl status --json >"$OUT" 2>&1 &&
        jq -e '.reload.refused.cause == "crl_guard" and .reload.refused.checked_at > .reload.refused.at' "$OUT" >/dev/null
}
if wait_for 10 rechecked; then
    ok "the node's check of the refused reload dials again: still refused by the CRL guard"
else
    bad "the check of the refused reload: $(jq -c .reload "$OUT")"
fi
run ctl reload --node "$BASE.1" --force
expect "--force: applied, b and c named as cut off" 0 'revocation: off -> soft' \
    "warning: --force: the CRLs applied cut this node off from \\[cluster\\] nodes, which present a certificate they revoke: $(revoked 2 b).*; $(revoked 3 c)"

# --- a CRL put into crl/ with revocation on ----------------------------------
rm -f "$crl_dir/crl-bcx.pem"
run ctl reload --node "$BASE.1"
expect "the CRL taken away: reloaded" 0 'revocation lists: -1 CRL'
drop crl-x.pem r1.pem
run ctl reload --node "$BASE.1"
expect "a CRL revoking no node's certificate put into crl/: reloaded" 0 'revocation lists: \+1 CRL'
grep -q 'refused\|warning' "$OUT" && bad "a CRL revoking nobody: refused or warned"
# the issuer's refresh, which revokes b's certificate too, in its place
drop crl-bx.pem r1.pem
run ctl reload --node "$BASE.1"
expect "the refreshed CRL revoking b's certificate: applied, b named with its fix" 0 \
    'revocation lists: 1 CRL updated' \
    "warning: the CRLs applied cut this node off from 1 \\[cluster\\] node, which presents a certificate they revoke \\(the other nodes stay accepted\\): $(revoked 2 b).*; give that node a new certificate that the CRLs do not revoke: \`tlstool import NEW.pfx\` there, and a reload"
grep -q 'node c\|refused' "$OUT" && bad "the refresh named c, or was refused"
[ "$(each_log "$work/a" "WARN Reload applied new CRLs: the CRLs applied cut this node off from 1 \[cluster\] node.*node b")" = 4 ] &&
    ok "each service log names b at WARN" || bad "the services' logs do not name b at WARN"
b_revoked() {
    "$BIN/sipcctl" --home "$work/a" status --cluster >"$OUT" 2>&1
    grep -q "node b.*was revoked" "$OUT"
}
wait_for 15 b_revoked && ok "status --cluster: b's link down, revoked" ||
    bad "status --cluster does not show b revoked: $(head -c 600 "$OUT")"

# --- a node that cannot be asked ---------------------------------------------
rm -f "$crl_dir/r1.pem"
ctl reload --node "$BASE.1" >/dev/null 2>&1 || not_ok "reload without the CRL"
kill -TERM "${node_pids[2]}"
wait_for 15 sh -c "! kill -0 ${node_pids[2]}" || not_ok "c did not stop"
drop crl-x.pem
run ctl reload --node "$BASE.1"
expect "a CRL put into crl/ with c down: reloaded, c named in a warning" 0     "warning: $BASE.3 \([^)]*\) could not be asked the certificate it presents with the CRLs this reload applies \(a CRL in security/crl/ is new or changed since the node loaded its own\): if they revoke it, this node refuses that node when it connects"
shtest_done
