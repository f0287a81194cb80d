#!/bin/bash
# test_import_org_pair.sh TLSTOOL - `tlstool verify`
# and `import` of organisation certificates over an installed organisation
# pair (a root, an intermediate under it, leaves of one subject; another
# root; made by openssl_pki.sh):
#   - an expired CA-issued certificate: the fix names its CA, not `tlstool
#     create`; a leaf of another root: verify (exit 22) names both roots and
#     asks whether it was issued by the wrong CA
set -u
T=${1:?usage: test_import_org_pair.sh TLSTOOL}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../support/shtest.sh"
shtest_init import_org_pair
unset SIPC_HOME
export SIPC_PFX_PASSWORD='Org-Test-Passw0rd'

# --- the PKI -------------------------------------------------------------------
P=$work/pki
mkdir -p "$P"
(
    cd "$P" || exit 1
    . "$HERE/openssl_pki.sh" || exit 1
    node_ext
    printf '[int]\nbasicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' >>ext.cnf
    selfsign root "/O=Example/CN=Test Root CA" ca &&
        issue int "/O=Example/CN=Test Intermediate CA" root int &&
        issue leaf "/O=Example/CN=sipc org" int leaf &&
        DAYS=30 AT='2025-10-01 00:00:00' issue expired "/O=Example/CN=sipc org" int leaf &&
        selfsign oroot "/O=Other/CN=Other Root CA" ca &&
        issue oleaf "/O=Example/CN=sipc org" oroot leaf || exit 1
    cat int.pem root.pem >chain.pem
    node_pfx leaf chain && node_pfx expired chain && node_pfx oleaf oroot
) || { echo "not ok - the organisation PKI"; exit 1; }

# H: a node's home holding leaf.pfx, TLS enabled (strict)
H=$work/n1
mkdir -p "$H"
printf '[tls]\nsubject = CN=sipc org, O=Example\n' >"$H/sipc.conf"
"$T" --home "$H" import "$P/leaf.pfx" >/dev/null && "$T" --home "$H" enable >/dev/null ||
    { echo "not ok - import and enable leaf.pfx"; exit 1; }
tt() { "$T" --home "$H" "$@"; }

# --- fix texts of a CA-issued certificate ---------------------------------------------
for cmd in verify import; do
    run tt "$cmd" "$P/expired.pfx"
    expect "$cmd of an expired CA-issued certificate: renew it with its CA, named" 25 \
        "expired on 2025-10-31" \
        "obtain a renewed certificate from its CA \('O=Example, CN=Test Intermediate CA'\), \`tlstool import\` it and reload, node by node"
    grep -q "tlstool create" "$OUT" && bad "$cmd of an expired CA-issued certificate: told to tlstool create"
done
run tt verify "$P/oleaf.pfx"
expect "verify of a leaf of another root: both roots named, the wrong CA asked" 22 \
    "^NOT VERIFIED: root certificate 'O=Other, CN=Other Root CA' \(SHA-256 [0-9a-f]{16}\.\.\.\) is not trusted by this side$" \
    "^Fix: it chains to 'O=Other, CN=Other Root CA', this side's own certificate to 'O=Example, CN=Test Root CA': .*was it issued by the wrong CA\? .*\`tlstool trust add FILE\`"
shtest_done
