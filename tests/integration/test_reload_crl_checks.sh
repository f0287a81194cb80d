#!/usr/bin/env bash
# test_reload_crl_checks.sh - the reload's CRL guard sees every file of
# crl/, and its checks of a reload it refused go easy on the nodes. Three
# real sipcd, a b c ($BASE.1-3), strict, each with a certificate of its own
# from root r1; on a:
#   - 80 CRLs of another issuer in crl/: the reload takes them; then one of
#     them, past the first 64 the folder lists, rewritten in place with r1's
#     CRL revoking b's and c's certificates: the reload is refused by the
#     CRL guard, b and c named, whatever order the folder lists its files in
#   - the refusal standing, the files checked every second: over 12 s (12
#     checks) b is dialled by them a few times only, once per check that
#     dials (not on every check, not twice), each such check said in a's
#     management log with the nodes its dial found revoked
#   - that CRL taken out again: the files are what a runs, nothing refused
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.180}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE".{1,2,3}:{23000,23001,23002,23003}
shtest_init reloadcrlchecks
export TZ=UTC SIPC_PFX_PASSWORD="Reload-Crl-Checks-$$" SIPCD_RELOAD_RECHECK_MS=1000
org_trio reloadcrlchecks || exit 1
org_crls || exit 1
(cd "$work/pki" && . "$SHTEST_DIR/../certs/openssl_pki.sh" && mkca r2 && gencrl r2 crl-r2.pem) ||
    not_ok "r2's CRL"
ctl() { "$BIN/sipcctl" --timeout 10000 --home "$work/a" "$@"; }
crl_dir=$work/a/security/crl
mkdir -p -m 700 "$crl_dir"

# --- a CRL past the first 64 files ---------------------------------------------
for i in $(seq -w 1 80); do install -m 600 "$work/pki/crl-r2.pem" "$crl_dir/other-$i.crl"; done
run ctl reload --node "$BASE.1"
expect "80 CRLs of another issuer: reloaded" 0 'revocation lists: changed \(80 CRLs, 0 before\)'
# the 70th file as the folder lists it (readdir order, as sipcd reads it),
# rewritten in place: its entry and place in the listing stay
late=$(ls -f "$crl_dir" | grep -v '^\.' | sed -n 70p)
[ -n "$late" ] || not_ok "no 70th file in crl/"
cat "$work/pki/crl-bcx.pem" >"$crl_dir/$late"
run ctl reload --node "$BASE.1"
expect "a CRL revoking b and c in place of the 70th file: refused by the CRL guard" 1 \
    'reload refused: a CRL in security/crl/ is new or changed since the node loaded its own, and all 2 \[cluster\] nodes that this node accepts now present a certificate it refuses with those CRLs' \
    "node b\\): .*certificate 'O=Test, CN=node b' \\(serial [0-9A-Fa-f:]+\\) was revoked" \
    "node c\\): .*certificate 'O=Test, CN=node c' \\(serial [0-9A-Fa-f:]+\\) was revoked"

# --- the checks of the refused reload ------------------------------------------
# b's management service: connections accepted, and handshakes that failed
# because a refused b's certificate (a's dials with the refused CRLs)
b_counts() {
    "$BIN/sipcctl" --home "$work/b" status --json >"$OUT" 2>&1 &&
        jq -r '.services[] | select(.name == "management") |
            "\(.accepted_total) \(.handshake_failures.SIPC_ECERTREFUSED // 0)"' "$OUT"
}
checked_lines() { grep -c 'The CRL guard checked the reload refused at .* again' "$work/a/logs/"ManagementService_*.log; }
read -r acc0 ref0 <<<"$(b_counts)"
lines0=$(checked_lines)
sleep 12
read -r acc1 ref1 <<<"$(b_counts)"
lines1=$(checked_lines)
dials=$((ref1 - ref0)) accepted=$((acc1 - acc0)) said=$((lines1 - lines0))
echo "# over 12 s: b refused by a's checks $dials times, accepted $accepted connections; a said $said checks"
if [ -z "$ref0" ] || [ -z "$ref1" ]; then
    bad "b's status has no management service counts"
elif ((dials >= 1 && dials <= 4)); then
    ok "the checks dial b ever more rarely while nothing changes ($dials dials in 12 checks)"
else
    bad "the checks dialled b $dials times in 12 checks (want 1 to 4)"
fi
# one connection per dial (and the status questions asked of b, a link
# made again)
((accepted <= dials + 3)) && ok "each check that dials b dials it once ($accepted connections)" ||
    bad "b accepted $accepted connections for $dials dials: more than one per check"
((said == dials)) && ok "a's management log says each check that dialled b ($said)" ||
    bad "a's management log says $said checks for $dials dials of b"
grep -q "The CRL guard checked the reload refused at .* again, dialling each \[cluster\] node with the CRLs it would apply: 2 nodes present a certificate they revoke: $BASE.2 (node b): .*; $BASE.3 (node c): .*Those nodes show this check in their log as a certificate this node refused; this node still runs the CRLs it had, and its links to them stay" \
    "$work/a/logs/"ManagementService_*.log && ok "a's line names b and c and says its links stay" ||
    bad "a's management log has no line naming the check's dials"
run ctl status --json
[ "$(jq -r .reload.refused.cause "$OUT")" = crl_guard ] && ok "the refusal stands, by the CRL guard" ||
    bad "status after the checks: $(jq -c .reload "$OUT")"

# --- the CRL taken out again ---------------------------------------------------
install -m 600 "$work/pki/crl-r2.pem" "$crl_dir/$late"
cleared() { ctl status --json >"$OUT" 2>&1 && jq -e '.reload.refused == null and .reload.pending == null' "$OUT" >/dev/null; }
wait_for 15 cleared && ok "the files put back: nothing refused or pending" ||
    bad "the refusal after the files were put back: $(jq -c .reload "$OUT")"
shtest_done
