#!/usr/bin/env bash
# test_crl_add_revocation_off.sh - `tlstool crl add` with `[tls] revocation
# = off` asks the [cluster] nodes as with it on: the CRL is stored to be
# used, and turning revocation on applies it at once. Three real sipcd,
# a b c ($BASE.1-3), strict, each with a certificate of its own from root
# r1; a has revocation = off:
#   - a CRL revoking b's and c's certificates (every other node's): refused,
#     exit 18, both named as refused once revocation is on, nothing stored
#   - a CRL revoking b's certificate only (c stays accepted): added, exit 0,
#     with a warning naming b, the verifier's reason and b's fix
#   - a CRL revoking only a certificate no node presents: added, saying it
#     takes effect when revocation is turned on
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.166}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE".{1,2,3}:{23000,23001,23002,23003}
shtest_init crloff
export TZ=UTC SIPC_PFX_PASSWORD="Crl-Off-$$"
org_trio crloff || exit 1
org_crls || exit 1
sed -i '/^\[tls\]/a revocation = off' "$work/a/sipc.conf"
tt() { local h=$1; shift; "$BIN/tlstool" --home "$work/$h" "$@"; }
crls() { ls -A "$work/$1/security/crl" 2>/dev/null | grep -c .; }

revoked() { echo "$BASE.$1 \\(node $2\\): certificate 'O=Test, CN=node $2' \\(serial [0-9A-Fa-f:]+\\) was revoked"; }

run tt a crl add "$work/pki/crl-bcx.pem"
expect "revocation off, a CRL revoking every other node's certificate: refused" 18 \
    "not added: 2 \\[cluster\\] nodes present a certificate this CRL revokes once \\[tls\\] revocation is turned on \\(every \\[cluster\\] node that answered over TLS: no node would stay accepted\\), so it would refuse their links: $(revoked 2 b).*; $(revoked 3 c)" \
    'Nothing was changed'
[ "$(crls a)" = 0 ] && ok "refused: nothing stored" || not_ok "refused, yet a's crl/ holds $(crls a) files"

run tt a crl add "$work/pki/crl-bx.pem"
expect "revocation off, a CRL revoking b's certificate only: added, b named with its fix" 0 \
    "^tlstool: warning: added although $BASE.2 \\(node b\\) presents a certificate this CRL revokes once \\[tls\\] revocation is turned on: certificate 'O=Test, CN=node b' \\(serial [0-9A-Fa-f:]+\\) was revoked.*\\. This node refuses it from now on \\(the other \\[cluster\\] nodes stay accepted\\); give $BASE.2 \\(node b\\) a new certificate: \`tlstool import NEW.pfx\` there, and a reload$" \
    '^added CRL of O=Test, CN=Test Root r1 \(2 revoked'
grep -q 'node c\|exit 18\|Nothing was changed' "$OUT" && bad "the partial CRL named c or was refused"
[ "$(crls a)" = 1 ] && ok "added: a's crl/ holds the CRL" || not_ok "a's crl/ holds $(crls a) files"
tt a crl remove "$(ls "$work/a/security/crl")" >/dev/null || not_ok "crl remove"

run tt a crl add "$work/pki/crl-x.pem"
expect "revocation off, a CRL revoking no node's certificate: added" 0 \
    '^added CRL of O=Test, CN=Test Root r1 \(1 revoked' \
    '^warning: \[tls\] revocation = off in sipc.conf: CRLs are not checked; this CRL takes effect when revocation is turned on'
[ "$(crls a)" = 1 ] && ok "added: a's crl/ holds the CRL" || not_ok "a's crl/ holds $(crls a) files"
shtest_done
