#!/usr/bin/env bash
# test_crl_add_revocation_off.sh - `tlstool crl add` with `[tls] revocation
# = off` asks the [cluster] nodes as with it on: the CRL is stored to be
# used, and turning revocation on applies it at once. Three real sipcd,
# a b c ($BASE.1-3), strict, each with a certificate of its own from root
# r1; a has revocation = off:
#   - a CRL revoking b's certificate: refused, exit 18, b and its
#     certificate named as refused once revocation is on, nothing stored
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

run tt a crl add "$work/pki/crl-bx.pem"
expect "revocation off, a CRL revoking b's certificate: refused" 18 \
    "not added: 1 \\[cluster\\] node presents a certificate this CRL revokes once \\[tls\\] revocation is turned on, so it would refuse its links: $BASE.2 \\(node b\\): certificate 'O=Test, CN=node b' \\(serial [0-9A-Fa-f:]+\\) was revoked" \
    'Nothing was changed'
[ "$(crls a)" = 0 ] && ok "refused: nothing stored" || not_ok "refused, yet a's crl/ holds $(crls a) files"

run tt a crl add "$work/pki/crl-x.pem"
expect "revocation off, a CRL revoking no node's certificate: added" 0 \
    '^added CRL of O=Test, CN=Test Root r1 \(1 revoked' \
    '^warning: \[tls\] revocation = off in sipc.conf: CRLs are not checked; this CRL takes effect when revocation is turned on'
[ "$(crls a)" = 1 ] && ok "added: a's crl/ holds the CRL" || not_ok "a's crl/ holds $(crls a) files"
shtest_done
