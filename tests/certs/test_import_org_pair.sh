#!/bin/bash
# test_import_org_pair.sh TLSTOOL SIPCD SIPCCTL ADDRESS - `tlstool import`
# and `verify` of organisation certificates over an installed organisation
# pair (a root, an intermediate under it, leaves of one subject; another
# root; made by openssl_pki.sh), with a node at ADDRESS (standard ports):
#   - a FILE whose chain does not verify (the installed leaf without its
#     intermediate, or without any chain) over a pair that verifies is
#     refused with verify's exit code (23), nothing changed, with TLS on and
#     with it off; --force installs it and says the node would refuse it on
#     reload or restart, never "needs no reload", and exits 23 all the same;
#     into an empty home it is installed and exits 23 (the root in such a
#     file is not called unrelated: the missing intermediate is named)
#   - another leaf of the same CA (a renewal) with TLS on: import advises
#     `sipcctl reload`, which then reaches the running node and applies it
#   - an expired CA-issued certificate: the fix names its CA, not `tlstool
#     create`; a leaf of another root: import (exit 7) and verify (exit 22)
#     name both roots and ask whether it was issued by the wrong CA
set -u
T=${1:?usage: test_import_org_pair.sh TLSTOOL SIPCD SIPCCTL ADDRESS}
SIPCD=${2:?} C=${3:?} ADDR=${4:?}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../support/shtest.sh"
shtest_init import_org_pair
unset SIPC_HOME
export SIPC_PFX_PASSWORD='Org-Test-Passw0rd'
need_free "$ADDR":{23000,23001,23002,23003}

# --- the PKI -------------------------------------------------------------------
P=$work/pki
mkdir -p "$P"
(
    cd "$P" || exit 1
    . "$HERE/openssl_pki.sh" || exit 1
    node_ext
    selfsign root "/O=Example/CN=Test Root CA" ca &&
        issue int "/O=Example/CN=Test Intermediate CA" root int &&
        issue leaf "/O=Example/CN=sipc org" int leaf &&
        issue leaf2 "/O=Example/CN=sipc org" int leaf &&
        DAYS=30 AT='2025-10-01 00:00:00' issue expired "/O=Example/CN=sipc org" int leaf &&
        selfsign oroot "/O=Other/CN=Other Root CA" ca &&
        issue oleaf "/O=Example/CN=sipc org" oroot leaf || exit 1
    cat int.pem root.pem >chain.pem
    # the installed leaf again, with the root but not the intermediate, and alone
    node_pfx leaf root && mv leaf.pfx noint.pfx &&
        openssl pkcs12 -export -inkey leaf.key -in leaf.pem -passout env:SIPC_PFX_PASSWORD \
            -out leafonly.pfx 2>/dev/null &&
        node_pfx leaf chain && node_pfx leaf2 chain && node_pfx expired chain && node_pfx oleaf oroot
) || { echo "not ok - the organisation PKI"; exit 1; }

# H: a node's home at ADDR holding leaf.pfx, TLS enabled (strict)
H=$work/n1
mkdir -p "$H"
printf '[node]\nid = n1\naddress = %s\n[cluster]\nname = org\nnodes = %s\n[tls]\nsubject = CN=sipc org, O=Example\n' \
    "$ADDR" "$ADDR" >"$H/sipc.conf"
"$T" --home "$H" import "$P/leaf.pfx" >/dev/null && "$T" --home "$H" enable >/dev/null ||
    { echo "not ok - import and enable leaf.pfx"; exit 1; }
tt() { "$T" --home "$H" "$@"; }
state() { sha256sum "$1/security/node.p12" "$1/security/node.crt"; ls -l "$1/security/previous" 2>&1; }

# --- a FILE that does not verify over a pair that does ------------------------------
before=$(state "$H")
for f in noint leafonly; do
    run tt import "$P/$f.pfx"
    expect "import $f.pfx over a pair that verifies: refused with verify's code" 23 \
        "^tlstool: error: .*$f\.pfx: not imported: the pair installed here \(sha256 [0-9a-f]{16}\.\.\.\) verifies and this one does not: incomplete chain: cannot find the issuer 'O=Example, CN=Test Intermediate CA' of 'O=Example, CN=sipc org'" \
        "^tlstool: fix: put the intermediate certificates into the PKCS#12 file .*add --force$"
    [ "$(state "$H")" = "$before" ] && ok "import $f.pfx refused: nothing changed" || bad "import $f.pfx refused, yet changed the pair"
done
# with TLS off too: the home's clients present the pair whenever one is imported
W=$work/client
mkdir -p "$W"
printf '[cluster]\nname = org\nnodes = %s\n[tls]\nsubject = CN=sipc org, O=Example\n' "$ADDR" >"$W/sipc.conf"
"$T" --home "$W" import "$P/leaf.pfx" >/dev/null || not_ok "import leaf.pfx into a client home"
run "$T" --home "$W" import "$P/leafonly.pfx"
expect "import leafonly.pfx over a verifying pair, TLS off: refused as well" 23 "not imported: the pair installed here"
run tt import "$P/leafonly.pfx" --force
expect "import --force of a pair that does not verify: imported, the node would refuse it, verify's code" 23 "^imported " \
    "^warning: TLS is enabled: this node would refuse this pair on its next reload or restart \(a reload is refused and the node goes on with the pair it runs; a restart fails\)" \
    "^tlstool: error: .*leafonly\.pfx is imported, but NOT VERIFIED: incomplete chain"
grep -q "needs no reload\|until it reloads" "$OUT" && bad "import --force of a pair that does not verify: reload advice given"
run tt import "$P/leaf.pfx"
expect "import of the whole chain again: no --force needed" 0 "^imported " "needs no reload"
# into an empty home the pair is installed, to be completed before TLS is
# used, but the import fails as verify does: `import && enable` stops there
mkdir -p "$work/empty"
run "$T" --home "$work/empty" import "$P/leafonly.pfx"
expect "import leafonly.pfx into an empty home: installed, exit 23 as verify" 23 "^imported " \
    "^tlstool: error: .*leafonly\.pfx is imported, but NOT VERIFIED: incomplete chain: cannot find the issuer 'O=Example, CN=Test Intermediate CA' of 'O=Example, CN=sipc org'; peers refuse this pair" \
    "^tlstool: fix: put the intermediate certificates into the PKCS#12 file"
[ -s "$work/empty/security/node.crt" ] && ok "... and node.crt is written" || bad "import into an empty home wrote no node.crt"
# a root in the file whose intermediate is missing is no unrelated
# certificate: the missing issuer is named, with how to export the chain
mkdir -p "$work/empty2"
for cmd in verify import; do
    run "$T" --home "$work/empty2" "$cmd" "$P/noint.pfx"
    expect "$cmd noint.pfx (root, no intermediate) in a fresh home: the missing issuer named, exit 23" 23 \
        "^warning: .*noint\.pfx: certificate 'O=Example, CN=Test Root CA' \(SHA-256 [0-9a-f]{16}\.\.\.\) is left out of the pair: the file lacks the certificate of 'O=Example, CN=Test Intermediate CA', the issuer of 'O=Example, CN=sipc org'.*-certfile CHAIN\.pem" \
        "incomplete chain"
    grep -q "issued neither\|another cluster's root" "$OUT" && bad "$cmd noint.pfx: the root called unrelated"
done

# --- a renewal from the same CA: sipcctl reload --------------------------------------
BIN=$(dirname "$T")
sipcd_start "$H" || exit 1
node_pid=$sipcd_pid
run tt import "$P/leaf2.pfx"
expect "import of another leaf of the same CA, TLS on: sipcctl reload advised" 0 "^imported " \
    "^TLS is enabled: the running node presents the replaced certificate until it reloads: \`sipcctl reload\` \(this home's trust accepts both certificates"
grep -q "not \`sipcctl reload\`" "$OUT" && bad "import of a renewal: sipcctl reload advised against"
run "$C" --home "$H" --timeout 10000 reload
expect "sipcctl reload, as advised, applies the renewal" 0 "reloaded" "changed: key pair: sha256 [0-9a-f]+\.\. -> sha256 [0-9a-f]+\.\."
kill -TERM "$node_pid"
wait "$node_pid"

# --- fix texts of a CA-issued certificate ---------------------------------------------
for cmd in verify import; do
    run tt "$cmd" "$P/expired.pfx"
    expect "$cmd of an expired CA-issued certificate: renew it with its CA, named" 25 \
        "expired on 2025-10-31" \
        "obtain a renewed certificate from its CA \('O=Example, CN=Test Intermediate CA'\), \`tlstool import\` it and reload, node by node"
    grep -q "tlstool create" "$OUT" && bad "$cmd of an expired CA-issued certificate: told to tlstool create"
done
run tt import "$P/oleaf.pfx"
expect "import of a leaf of another root: both roots named, the wrong CA asked" 7 \
    "oleaf\.pfx chains to the root 'O=Other, CN=Other Root CA', and the pair installed here \(this cluster's\) to 'O=Example, CN=Test Root CA': was it issued by the wrong CA\?" \
    "^tlstool: fix: if it was, have it issued by the CA under 'O=Example, CN=Test Root CA' and import that; to move the cluster"
run tt verify "$P/oleaf.pfx"
expect "verify of a leaf of another root: both roots named, the wrong CA asked" 22 \
    "^NOT VERIFIED: root certificate 'O=Other, CN=Other Root CA' \(SHA-256 [0-9a-f]{16}\.\.\.\) is not trusted by this side$" \
    "^Fix: it chains to 'O=Other, CN=Other Root CA', this side's own certificate to 'O=Example, CN=Test Root CA': .*was it issued by the wrong CA\? .*\`tlstool trust add FILE\`"
shtest_done
