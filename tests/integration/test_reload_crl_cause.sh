#!/usr/bin/env bash
# test_reload_crl_cause.sh - the CRL guards say what cuts a node off, and
# guard what cuts it off with no CRL revoking it. Three real sipcd, a b c
# ($BASE.1-3), strict, [tls] subject O=Test, each with a certificate of
# root r1; then b with one of root r2 (all trust r2, b trusts r1). On a:
#   - a CRL put into crl/ (revoking nobody) in the reload that narrows
#     [tls] subject to a's own CN: refused, b and c named for the subject,
#     not blamed on the CRL
#   - revocation soft -> hard with a CRL of r1 only: refused, b named, its
#     revocation status unknown (no CRL of r2); --force applies it, naming b;
#     with r2's CRL too the move to hard goes through
#   - `tlstool crl remove` of r2's CRL under hard: refused (exit 18), b
#     named; of r1's, which covers a's own certificate: refused (exit 11);
#     --force removes r2's, naming b
#   - a checked often (SIPCD_RELOAD_RECHECK_MS): soft -> hard refused for b
#     while c is down; c then comes up with a certificate of r2: the checks
#     of the same files never blame c on a CRL, and soon name it for its
#     unknown revocation status as b
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.216}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE".{1,2,3}:{23000,23001,23002,23003}
shtest_init reloadcrlcause
export TZ=UTC SIPC_PFX_PASSWORD="Reload-Cause-$$"
org_trio reloadcrlcause || exit 1
(
    cd "$work/pki" && . "$SHTEST_DIR/../certs/openssl_pki.sh" &&
        mkca r1 && gencrl r1 crl-r1.pem && mkca r2 && gencrl r2 crl-r2.pem
) || not_ok "the CRLs of r1 and r2"
ctl() { "$BIN/sipcctl" --timeout 10000 --home "$work/a" "$@"; }
tt() { "$BIN/tlstool" --home "$work/$1" "${@:2}"; }
crl_dir=$work/a/security/crl
drop() { mkdir -p -m 700 "$crl_dir" && install -m 600 "$work/pki/$1" "$crl_dir/$2"; }

# --- a CRL in the reload that narrows the subject: the subject is named ------
drop crl-r1.pem r1.pem
sed -i 's/^subject = O=Test$/subject = O=Test, CN=node a/' "$work/a/sipc.conf"
run ctl reload --node "$BASE.1"
expect "CRL and subject changed, every node refused for the subject: refused, not blamed on the CRL" 1 \
    'reload refused: a CRL in security/crl/ is new or changed since the node loaded its own, and with it this node would refuse the links of 2 \[cluster\] nodes that it accepts now, and keep none: 2 nodes present a certificate the reload refuses for something else it changes, not for a CRL' \
    "$BASE.2 \\(node b\\): .*subject" 'undo that change' 'reload with --force'
grep -q 'refuses with those CRLs\|a certificate they revoke\|CRLs revoke' "$OUT" &&
    bad "the refusal blames the CRL: $(head -c 600 "$OUT")"
sed -i 's/^subject = O=Test, CN=node a$/subject = O=Test/' "$work/a/sipc.conf"
run ctl reload --node "$BASE.1"
expect "the subject set back: the CRL of r1 applied" 0 'revocation lists: \+1 CRL'

# --- b moves to a certificate of r2 ------------------------------------------
for n in a b c; do
    tt $n trust add "$work/pki/r2.pem" --reload >"$OUT" 2>&1 || not_ok "trust add r2 on $n: $(cat "$OUT")"
done
tt b trust add "$work/pki/r1.pem" >"$OUT" 2>&1 && tt b import "$work/pki/b-r2.pfx" --force >>"$OUT" 2>&1 &&
    "$BIN/sipcctl" --home "$work/b" reload >>"$OUT" 2>&1 || not_ok "b's pair of r2: $(cat "$OUT")"

# --- soft -> hard, no CRL of r2: refused, b named ----------------------------
sed -i '/^\[tls\]/a revocation = hard' "$work/a/sipc.conf"
run ctl reload --node "$BASE.1"
expect "revocation soft -> hard, no CRL of b's issuer: refused, b named" 1 \
    'reload refused: \[tls\] revocation moves from soft to hard, which refuses a certificate whose revocation no current CRL tells, and with it this node would refuse the links of 1 \[cluster\] node that it accepts now: 1 node presents a certificate whose revocation no current CRL in security/crl/ tells, which \[tls\] revocation = hard refuses' \
    "$BASE.2 \\(node b\\): " 'tlstool crl add FILE' 'or set \[tls\] revocation = soft' 'reload with --force'
grep -q "node c" "$OUT" && bad "the refusal names c, whose CRL is there"
run ctl status --json
[ "$(jq -r .reload.refused.cause "$OUT")" = crl_guard ] && ok "status: reload.refused, cause crl_guard" ||
    bad "status after the refused move to hard: $(jq -c .reload "$OUT")"
run ctl reload --node "$BASE.1" --force
expect "--force: applied, b named as cut off" 0 '\[tls\] revocation: soft -> hard' \
    "warning: --force: this reload cuts this node off from 1 \\[cluster\\] node \\(the other nodes stay accepted\\): 1 node presents a certificate whose revocation no current CRL .*$BASE.2 \\(node b\\)"
sed -i 's/^revocation = hard$/revocation = soft/' "$work/a/sipc.conf"
ctl reload --node "$BASE.1" >"$OUT" 2>&1 || not_ok "back to soft: $(cat "$OUT")"
drop crl-r2.pem r2.pem
sed -i 's/^revocation = soft$/revocation = hard/' "$work/a/sipc.conf"
run ctl reload --node "$BASE.1"
expect "soft -> hard with a CRL of each issuer: applied" 0 '\[tls\] revocation: soft -> hard'
grep -q 'refused\|warning' "$OUT" && bad "the move to hard covered by CRLs: refused or warned"

# --- crl remove under hard ----------------------------------------------------
run tt a crl remove r2.pem --reload
expect "crl remove of the only CRL of b's issuer under hard: refused, b named" 18 \
    "not removed: 1 \\[cluster\\] node presents a certificate whose revocation no current CRL tells once this CRL is gone, which \\[tls\\] revocation = hard refuses, so it would refuse its links: $BASE.2 \\(node b\\)" \
    'tlstool crl add FILE' '--force'
[ -f "$crl_dir/r2.pem" ] && ok "r2's CRL stays" || bad "r2's CRL was removed"
run tt a crl remove r1.pem
expect "crl remove of the CRL that covers this home's own certificate under hard: refused" 11 \
    "not removed: .*this home's own certificate"
[ -f "$crl_dir/r1.pem" ] && ok "r1's CRL stays" || bad "r1's CRL was removed"
run tt a crl remove r2.pem --reload --force
expect "crl remove --force: removed, b named, the node's guard forced too" 0 \
    "warning: --force: removed although 1 \\[cluster\\] node presents .*$BASE.2 \\(node b\\)" \
    'revocation lists: -1 CRL'

# --- a node down at the reload's dials, cut at a check of the same files ------
mlog() { cat "$work/a/logs/"ManagementService_*.log; }
sed -i 's/^revocation = hard$/revocation = soft/' "$work/a/sipc.conf"
kill -TERM "${node_pids[0]}" "${node_pids[2]}"
wait_for 15 sh -c "! kill -0 ${node_pids[0]} && ! kill -0 ${node_pids[2]}" || not_ok "a and c did not stop"
export SIPCD_RELOAD_RECHECK_MS=1000
sipcd_start "$work/a" || not_ok "a, checked every second"
at_exit "kill -TERM $sipcd_pid 2>/dev/null"
unset SIPCD_RELOAD_RECHECK_MS
sed -i 's/^revocation = soft$/revocation = hard/' "$work/a/sipc.conf"
run ctl reload --node "$BASE.1"
expect "soft -> hard with c down: refused, b named" 1 \
    "1 node presents a certificate whose revocation no current CRL .*$BASE.2 \\(node b\\)"
checks_before=$(mlog | grep -c 'The CRL guard checked the reload refused')
tt c trust add "$work/pki/r1.pem" >"$OUT" 2>&1 && tt c import "$work/pki/c-r2.pfx" --force >>"$OUT" 2>&1 ||
    not_ok "c's pair of r2: $(cat "$OUT")"
sipcd_start "$work/c" || not_ok "c, with its pair of r2"
at_exit "kill -TERM $sipcd_pid 2>/dev/null"
both_unknown() {
    mlog | grep -q "The CRL guard checked .*: 2 nodes present a certificate whose revocation no current CRL .*$BASE.2 (node b).*; $BASE.3[ :]"
}
if wait_for 20 both_unknown; then
    ok "a check of the same files names c, up since, for its unknown revocation status as b"
else
    bad "no check named c for its unknown status: $(mlog | grep 'CRL guard checked' | tail -n 2)"
fi
mlog | grep 'The CRL guard checked the reload refused' | tail -n +$((checks_before + 1)) |
    grep -q "CRLs revoke: [^;]*$BASE.3\|they revoke: [^;]*$BASE.3" &&
    bad "a check blamed c on a CRL: $(mlog | grep 'CRL guard checked' | grep "$BASE.3" | head -n 1)"
run ctl status --json
jq -r .reload.refused.reason "$OUT" | grep -q "2 nodes present a certificate whose revocation no current CRL" &&
    ok "status: the refusal's reason names both for their unknown status" ||
    bad "status reason: $(jq -c .reload.refused "$OUT")"
shtest_done
