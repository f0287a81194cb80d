#!/bin/bash
# test_handshake_paths.sh TLSTOOL HS_PAIR - the handshake decides a peer's
# chain as `tlstool verify` does, in the same words. For each class of
# path the verifier accepts (names equal only under RFC 5280 7.1, a
# name-constrained intermediate, policy mappings and inhibitAnyPolicy, an
# explicit policy, a self-issued re-keyed CA under pathLenConstraint 0 with
# a CRL signed by each key, CRLs under revocation = hard) and each it
# refuses (revoked, revocation unknown, outside the name constraints, no
# valid policy where one is required, pathLenConstraint, a CA as leaf, a
# weak key or signature, a required subject carried only by a SAN, a chain
# to a CA of the pair the home rotated away from, named as such) and for
# forged chains (a signature by another key
# under the issuer's name, an untrusted root, an expired leaf, a broken
# signature), the chain is checked with `tlstool verify` in a node home and
# then presented in real handshakes against that home, as a client and as a
# server (hs_pair, certificates made by openssl). A presented CA with a
# critical policyMappings, issuerAltName or freshestCRL (extensions wolfSSL
# does not process, which it leaves to the verify callback when built with
# WOLFSSL_ALT_CERT_CHAINS) is accepted, forgeries through one are refused.
set -u
T=${1:?usage: test_handshake_paths.sh path/to/tlstool path/to/hs_pair path/to/sipcctl}
HS=${2:?usage: test_handshake_paths.sh path/to/tlstool path/to/hs_pair path/to/sipcctl}
BIN_SIPCCTL=${3:?usage: test_handshake_paths.sh path/to/tlstool path/to/hs_pair path/to/sipcctl}
T=$(cd "$(dirname "$T")" && pwd)/$(basename "$T")
HS=$(cd "$(dirname "$HS")" && pwd)/$(basename "$HS")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$(dirname "$0")/../support/shtest.sh"
shtest_init hspaths
unset SIPC_PFX_PASSWORD
export PFXPW='Test-Passw0rd!'

P=$work/pki
. "$HERE/rfc5280_pki.sh"

mkroot "hs node"

# CAs under the root, each with a CRL (revocation = hard needs one per issuer)
for c in dca nc mapnc map ian fcrl rep0 rep0p rep2; do mkca "$c"; done
issue dca "/O=RFC Test/CN=CA hs d" root ca_ext
issue nc "/O=RFC Test/CN=CA constrained" root nc_ext
issue mapnc "/O=RFC Test/CN=CA policy mapping" root mapnc_ext
issue map "/O=RFC Test/CN=CA critical policy mapping" root map_ext
issue ian "/O=RFC Test/CN=CA critical issuerAltName" root ian_ext
issue fcrl "/O=RFC Test/CN=CA critical freshestCRL" root fcrl_ext
issue rep0 "/O=RFC Test/CN=CA requireExplicitPolicy 0" root rep0_ext
issue rep2 "/O=RFC Test/CN=CA requireExplicitPolicy 2" root rep2_ext
issue rep0p "/O=RFC Test/CN=CA requireExplicitPolicy 0 policy 1" root rep0p_ext
issue nocrlca "/O=RFC Test/CN=CA without CRL" root ca_ext
# names: the CA's certificate says "CN=CA  Names" (PrintableString); its
# CRL and what it signs name it "cn=ca names" (UTF8String), same key
printf '[req]\ndistinguished_name=dn\nstring_mask=default\n[dn]\n' >printable.cnf
REQOPT="-config $P/printable.cnf" issue names "/O=RFC Test/CN=CA  Names" root ca_ext
openssl req -new -x509 -key names.key -subj "/O=rfc test/CN=ca names" -utf8 -days 400 \
    -config <(printf '[req]\ndistinguished_name=dn\nstring_mask=utf8only\n[dn]\n'; cat ext.cnf) \
    -extensions ca_ext -out names-utf8.pem 2>/dev/null
cp names.key names-utf8.key
mkca names-utf8
# pathLenConstraint 0 and a re-key: pl-new (new key) is issued by pl-old
# (same name, old key); each key signs a CRL: the old one's covers pl-new,
# the new one's what pl-new issued
issue pl-old "/O=RFC Test/CN=CA pathlen0" root ca0_ext
key pl-new.key
openssl req -new -key pl-new.key -subj "/O=RFC Test/CN=CA pathlen0" -out pl-new.csr 2>/dev/null
openssl x509 -req -in pl-new.csr -CA pl-old.pem -CAkey pl-old.key -CAcreateserial -days 400 -sha256 \
    -extfile ext.cnf -extensions ca_ext -out pl-new.pem 2>/dev/null
mkca pl-new
mkca pl-old
issue plsub "/O=RFC Test/CN=CA below pathlen0" pl-old ca_ext
mkca plsub

# leaves
for l in good revd; do issue "$l" "/O=RFC Test/CN=leaf $l" dca leaf_ext; done
issue unk "/O=RFC Test/CN=leaf unknown status" nocrlca leaf_ext
issue nm1 "/O=RFC Test/CN=leaf nm1" names-utf8 leaf_ext
issue nc1 "/O=RFC Test/OU=Good/CN=leaf nc1" nc leaf_ext 'subjectAltName = DNS:n1.good.example, IP:10.1.2.3'
issue nc2 "/O=RFC Test/OU=Good/CN=leaf nc2" nc leaf_ext 'subjectAltName = DNS:n2.evil.example'
issue m1 "/O=RFC Test/CN=leaf m1" mapnc leaf_ext 'certificatePolicies = 1.3.6.1.4.1.99999.2'
issue m2 "/O=RFC Test/CN=leaf m2" map leaf_ext 'certificatePolicies = 1.3.6.1.4.1.99999.2'
issue ia1 "/O=RFC Test/CN=leaf ia1" ian leaf_ext
issue fc1 "/O=RFC Test/CN=leaf fc1" fcrl leaf_ext
issue r0 "/O=RFC Test/CN=leaf r0" rep0 leaf_ext
issue r2 "/O=RFC Test/CN=leaf r2" rep2 leaf_ext
issue rp1 "/O=RFC Test/CN=leaf rp1" rep0p leaf_ext 'certificatePolicies = 1.3.6.1.4.1.99999.1'
issue pl1 "/O=RFC Test/CN=leaf pl1" pl-new leaf_ext
issue pl2 "/O=RFC Test/CN=leaf pl2" plsub leaf_ext
# the required subject carried by a SAN only (wolfSSL's check_domain_name
# would take it for the CN), and by the CN
issue sanonly "/O=RFC Test/CN=evil" dca leaf_ext 'subjectAltName = DNS:prod-node'
issue prodcn "/O=RFC Test/CN=prod-node" dca leaf_ext 'subjectAltName = DNS:other-name'
issue cal "/O=RFC Test/CN=leaf that is a CA" dca ca_ext 'keyUsage = critical, digitalSignature, keyCertSign\nextendedKeyUsage = serverAuth, clientAuth'
# below the minimums: an RSA-1024 key, a SHA-1 signature
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024.key 2>/dev/null
openssl req -new -key rsa1024.key -subj "/O=RFC Test/CN=leaf rsa1024" -out rsa1024.csr 2>/dev/null
openssl x509 -req -in rsa1024.csr -CA dca.pem -CAkey dca.key -CAcreateserial -days 400 -sha256 \
    -extfile ext.cnf -extensions leaf_ext -out rsa1024.pem 2>/dev/null || echo "mkpki: cannot issue rsa1024" >&2
key sha1.key
openssl req -new -key sha1.key -subj "/O=RFC Test/CN=leaf sha1" -out sha1.csr 2>/dev/null
openssl x509 -req -in sha1.csr -CA dca.pem -CAkey dca.key -CAcreateserial -days 400 -sha1 \
    -extfile ext.cnf -extensions leaf_ext -out sha1.pem 2>/dev/null || echo "mkpki: cannot issue sha1" >&2
# a CA under the root that the root's CRL revokes, sent with its leaf
issue rvca "/O=RFC Test/CN=CA revoked" root ca_ext
issue rvleaf "/O=RFC Test/CN=leaf under a revoked CA" rvca leaf_ext
mkca rvca
# a root that expired in 2020, its CA and leaf valid now
AT='2020-01-01 00:00:00' DAYS=30 selfsign xroot "/O=RFC Test/CN=Expired Root" ca_ext
AT='2020-01-01 00:00:00' DAYS=4000 issue xca "/O=RFC Test/CN=CA under an expired root" xroot ca_ext
issue xleaf "/O=RFC Test/CN=leaf under an expired root" xca leaf_ext
# forged: another key under dca's name, an unrelated root, an expired leaf
key evil.key
openssl req -new -x509 -key evil.key -subj "/O=RFC Test/CN=CA hs d" -days 400 \
    -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n'; cat ext.cnf) -extensions ca_ext \
    -out evil.pem 2>/dev/null
issue imp "/O=RFC Test/CN=leaf impostor" evil leaf_ext
key other-root.key
openssl req -new -x509 -key other-root.key -subj "/O=Other/CN=Other Root" -days 800 \
    -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n'; cat ext.cnf) -extensions ca_ext \
    -out other-root.pem 2>/dev/null
issue oth "/O=Other/CN=leaf other" other-root leaf_ext
# another key under the name of the CA with a critical policyMappings,
# issued by the unrelated root
issue mapevil "/O=RFC Test/CN=CA critical policy mapping" other-root map_ext
issue mimp "/O=RFC Test/CN=leaf impostor m" mapevil leaf_ext 'certificatePolicies = 1.3.6.1.4.1.99999.2'
key exp.key
openssl req -new -key exp.key -subj "/O=RFC Test/CN=leaf expired" -out exp.csr 2>/dev/null
faketime_run '@2020-01-01 00:00:00' openssl x509 -req -in exp.csr -CA dca.pem -CAkey dca.key \
    -CAcreateserial -days 30 -sha256 -extfile ext.cnf -extensions leaf_ext -out exp.pem 2>/dev/null ||
    echo "mkpki: cannot issue exp" >&2
# a broken signature: the last byte of good's signature flipped
openssl x509 -in good.pem -outform DER -out good.der
python3 -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[-1]^=1; open(sys.argv[2],"wb").write(d)' \
    good.der broken.der
openssl x509 -inform DER -in broken.der -out broken.pem
cp good.key broken.key

revoke dca revd
revoke root rvca
for c in root dca nc mapnc map ian fcrl rep0 rep0p rep2 names-utf8 pl-new pl-old plsub rvca; do gencrl "$c" "$c.crl"; done

# the home: the node's pair carries the root; every CRL but nocrlca's
H=$work/home
mkdir -p "$H"
export SIPC_HOME=$H
SIPC_PFX_PASSWORD=$PFXPW "$T" import "$P/node.pfx" >"$OUT" 2>&1 || bad "import node.pfx"
printf '[tls]\nrevocation = hard\nsubject = O=RFC Test\n' >"$H/sipc.conf"
for c in root dca nc mapnc map ian fcrl rep0 rep0p rep2 names-utf8 pl-new pl-old plsub rvca; do
    "$T" crl add "$P/$c.crl" >"$OUT" 2>&1 || bad "crl add $c.crl"
done

NOWMASK='s/now [0-9]\{4\}-[0-9-]* [0-9:]* UTC/now (time)/g'

# case NAME WANT_EXIT LEAF [ISSUERS...]: tlstool verify exits WANT_EXIT;
# the handshakes accept (WANT_EXIT 0) or refuse with verify's reason, the
# other side hearing the alert of that cause, or $ALERT when set.
case_() {
    local name=$1 want=$2 leaf=$3
    shift 3
    local chain=$work/chain.pem
    cat "$P/$leaf.pem" >"$chain"
    for c in "$@"; do cat "$P/$c.pem" >>"$chain"; done
    "$T" verify "$chain" >"$OUT" 2>&1
    local rc=$?
    if [ "$rc" != "$want" ]; then
        bad "$name: tlstool verify exit $rc, want $want"
        return
    fi
    local reason
    # an expiry reason names the current time: the handshakes run a second
    # or so after verify, so the clock reading is masked on both sides
    reason=$(sed -n 's/^NOT VERIFIED: //p' "$OUT" | sed "$NOWMASK")
    "$HS" "$H" "$chain" "$P/$leaf.key" >"$OUT.raw" 2>&1
    local hrc=$?
    sed "$NOWMASK" "$OUT.raw" >"$OUT"
    if [ "$want" = 0 ]; then
        if [ "$hrc" = 0 ]; then
            ok "$name: verified, and both handshakes accept it"
        else
            bad "$name: verified, but the handshake (exit $hrc) does not accept it"
        fi
        return
    fi
    if [ "$hrc" != 1 ]; then
        bad "$name: refused by verify (exit $want), handshake exit $hrc, want 1"
        return
    fi
    if [ -z "$reason" ] || [ "$(grep -cF -- "peer certificate rejected: $reason" "$OUT")" != 2 ]; then
        echo "verify said: $reason" >>"$OUT"
        bad "$name: both handshakes refuse it, but not in verify's words"
        return
    fi
    # the refused side hears the cause where TLS has an alert for it
    local alert=${ALERT:-}
    [ -n "$alert" ] || case $want in
    25) alert=certificate_expired ;;
    27) alert=certificate_revoked ;;
    28) alert=certificate_unknown ;;
    esac
    if [ -n "$alert" ] &&
        [ "$(grep -cF -- "B heard: peer rejected this side's certificate (alert $alert)" "$OUT")" != 2 ]; then
        bad "$name: refused by both handshakes, but the other side did not hear alert $alert"
        return
    fi
    ok "$name: refused by verify (exit $want) and by both handshakes, in the same words${alert:+, alert $alert}"
}

# valid paths wolfSSL's own path building refuses or may refuse
case_ "issuer name differs in case, white space and string type" 0 nm1 names root
case_ "name-constrained intermediate, names within" 0 nc1 nc root
case_ "policyMappings, inhibitAnyPolicy, inhibitPolicyMapping" 0 m1 mapnc root
case_ "policyConstraints whose requireExplicitPolicy the path does not reach" 0 r2 rep2 root
case_ "requireExplicitPolicy in effect, a policy valid for the whole path" 0 rp1 rep0p root
case_ "self-issued re-keyed CA under pathLenConstraint 0, a CRL by each key" 0 pl1 pl-new pl-old root
case_ "CRLs under revocation = hard, not revoked" 0 good dca root
# invalid paths
case_ "revoked (revocation = hard)" 27 revd dca root
case_ "no CRL of the issuer (revocation = hard)" 28 unk nocrlca root
case_ "outside the name constraints" 36 nc2 nc root
case_ "requireExplicitPolicy in effect, no valid policy" 37 r0 rep0 root
case_ "a second CA below pathLenConstraint 0" 31 pl2 plsub pl-old root
case_ "a CA certificate as leaf" 35 cal dca root
case_ "an RSA key of 1024 bits" 33 rsa1024 dca root
case_ "a SHA-1 signature" 34 sha1 dca root
# forged chains
case_ "forged: signed by another key under the issuer's name" 24 imp dca root
case_ "forged: presenting the impostor's CA instead" 22 imp evil root
case_ "forged: unrelated root" 22 oth other-root
case_ "forged: expired leaf" 25 exp dca root
case_ "forged: broken signature" 24 broken dca root
# a CA the peer sent is revoked: certificate_revoked, whose words name it
case_ "a CA sent with the leaf, revoked by its issuer's CRL" 27 rvleaf rvca root
grep -qF "B heard: peer rejected this side's certificate (alert certificate_revoked): a CRL the peer holds revokes it, or a CA certificate sent with it" "$OUT" &&
    ok "certificate_revoked: the refused side is told a CA it sent may be the one revoked" ||
    bad "certificate_revoked: the words"

# A root of this side's trust/ expired, the chain the peer sent valid: the
# peer cannot renew this side's root, nor is its clock the cause, so it
# hears bad_certificate ("the peer's log says why"), and this side's
# reason names its own root
H=$work/home-xroot
mkdir -p "$H"
SIPC_HOME=$H SIPC_PFX_PASSWORD=$PFXPW "$T" import "$P/node.pfx" >"$OUT" 2>&1 || bad "import node.pfx (home-xroot)"
printf '[tls]\nsubject = O=RFC Test\n' >"$H/sipc.conf"
mkdir -p "$H/security/trust" && cp "$P/xroot.pem" "$H/security/trust/"
SIPC_HOME=$H ALERT=bad_certificate case_ "a root of this side's trust/ expired, the peer's chain valid" 25 xleaf xca
grep -qF "issuer certificate 'O=RFC Test, CN=Expired Root' (a root of this side's trust/) expired on 2020-01-31" "$OUT" &&
    ok "its reason names this side's own expired root" || bad "the expired root's reason"

# a presented CA with a critical extension wolfSSL does not process (made
# critical, or these cases would prove nothing)
for c in "map Policy Mappings" "ian Issuer Alternative Name" "fcrl Freshest CRL" "mapevil Policy Mappings"; do
    set -- $c
    n=$1
    shift
    openssl x509 -in "$P/$n.pem" -noout -text >"$OUT" 2>&1
    grep -q "X509v3 $*: critical" "$OUT" && ok "$n.pem has a critical $*" || bad "$n.pem has no critical $*"
done
case_ "a CA with a critical policyMappings" 0 m2 map root
case_ "a CA with a critical issuerAltName" 0 ia1 ian root
case_ "a CA with a critical freshestCRL" 0 fc1 fcrl root
case_ "forged: signed by another key under the name of a CA with a critical policyMappings" 24 mimp map root
case_ "forged: presenting an impostor of the CA with a critical policyMappings instead" 22 mimp mapevil other-root

# a home requiring the bare subject prod-node (a CN): a SAN that names it
# does not stand in for the CN, which the subject check compares, not wolfSSL
# A home that moved from one organisation's CA to another's by `import
# --force` (the first pair replaced, kept in previous/, no rotation): a
# peer presenting a certificate of the first CA still presents the pair
# that import replaced, and both verify and the handshakes say so, neither
# advising `trust add` nor calling it a missed rotation
H=$work/home-rotated
mkdir -p "$H"
export SIPC_HOME=$H
SIPC_PFX_PASSWORD=$PFXPW "$T" import "$P/node.pfx" >"$OUT" 2>&1 || bad "import node.pfx (home-rotated)"
printf '[tls]\nsubject = O=RFC Test\n' >"$H/sipc.conf"
(cd "$P" && issue rotated "/O=RFC Test/CN=rotated node" other-root leaf_ext &&
    SIPC_PFX_PASSWORD=$PFXPW node_pfx rotated other-root) || bad "making rotated.pfx"
SIPC_PFX_PASSWORD=$PFXPW "$T" import "$P/rotated.pfx" --force >"$OUT" 2>&1 ||
    bad "import rotated.pfx over node.pfx (home-rotated)"
[ -f "$H/security/previous/node.crt" ] && [ ! -e "$H/security/rotation" ] ||
    bad "home-rotated: previous/ holds the organisation pair, no rotation state"
case_ "a certificate of the CA of the pair this side's import replaced" 22 good dca root
grep -qF "certificate 'O=RFC Test, CN=leaf good' chains to 'O=RFC Test, CN=RFC Test Root' (SHA-256 " "$OUT" &&
    grep -qF "a CA of the pair this node's \`tlstool import\` replaced (security/previous/, SHA-256 " "$OUT" &&
    grep -qF "the peer still presents the old pair; fix: import the same pair on every node" "$OUT" &&
    ! grep -q "trust add\|rotated away\|missed the rotation" "$OUT" &&
    ok "replaced by an import: the refusal names the previous pair's CA and the import" ||
    bad "replaced by an import: reason"
case_ "an unrelated root, in the same home" 22 imp evil root
grep -qF "is not trusted by this side" "$OUT" && ok "an unrelated root keeps its words" ||
    bad "unrelated root: reason"

H=$work/home-cn
mkdir -p "$H"
export SIPC_HOME=$H
SIPC_PFX_PASSWORD=$PFXPW "$T" import "$P/node.pfx" >"$OUT" 2>&1 || bad "import node.pfx (home-cn)"
printf '[tls]\nsubject = prod-node\n' >"$H/sipc.conf"
case_ "required subject as the leaf's CN, its SAN another name" 0 prodcn dca root
case_ "required subject only in a SAN (DNS), the CN another" 29 sanonly dca root
grep -q "certificate subject 'O=RFC Test, CN=evil' differs from the required subject 'prod-node'" "$OUT" &&
    ok "SAN only: the reason names the CN and the required subject" || bad "SAN only: reason"

# One limit for the handshake and the tools: a chain of 9 certificates (as
# many as wolfSSL reads of a peer's). A chain of 9 (more than the tools once
# took) verifies everywhere; a chain of 13 is refused as longer than the
# limit, naming it, instead of being cut and then found incomplete (the
# handshake cannot tell 9 from more: wolfSSL stops reading there, so its
# refusal names the limit as a possible cause).
prev=root
for i in $(seq 1 11); do
    issue "long$i" "/O=RFC Test/CN=CA long $i" "$prev" ca_ext
    prev=long$i
done
issue chain9leaf "/O=RFC Test/CN=prod-node" long7 leaf_ext 'subjectAltName = DNS:chain9'
issue chain13leaf "/O=RFC Test/CN=prod-node" long11 leaf_ext 'subjectAltName = DNS:chain13'
up() { for i in $(seq "$1" -1 1); do echo "long$i"; done; }
case_ "a chain of 9 certificates" 0 chain9leaf $(up 7) root
cat "$P/chain13leaf.pem" $(for c in $(up 11) root; do echo "$P/$c.pem"; done) >"$work/chain13.pem"
too_long="the chain has 13 certificates; sipc accepts at most 9"
run "$T" verify "$work/chain13.pem"
expect "verify: a chain of 13 certificates is longer than the limit (exit 38)" 38 "chain13.pem: $too_long; fix: "
# a sipc pair holds at most 9, so the 13 are presented by OpenSSL's
# s_server (on $NET.2) to sipcctl, from a home whose subject both carry
NET=${SIPC_TEST_NET:-127.1.114}
HO=$work/home-o
mkdir -p "$HO"
SIPC_HOME=$HO SIPC_PFX_PASSWORD=$PFXPW "$T" import "$P/node.pfx" >"$OUT" 2>&1 || bad "import node.pfx (home-o)"
printf '[node]\naddress = %s.1\n[tls]\nenable = 1\nmode = strict\nsubject = O=RFC Test\n' "$NET" >"$HO/sipc.conf"
cat $(for c in $(up 11) root; do echo "$P/$c.pem"; done) >"$work/chain12.pem"
# (its standard input held open: s_server ends at its end)
sleep 30 | openssl s_server -accept "$NET.2:23000" -cert "$P/chain13leaf.pem" -key "$P/chain13leaf.key" \
    -cert_chain "$work/chain12.pem" -tls1_2 -naccept 1 >"$work/s_server.out" 2>&1 &
srv=$!
at_exit "kill $srv 2>/dev/null"
wait_for 10 sh -c "ss -ltn | grep -q '$NET.2:23000 '"
run env SIPC_HOME="$HO" "$BIN_SIPCCTL" ping "$NET.2:23000"
grep -qF -- "or the chain is longer than sipc accepts: the peer presented 9 certificates, the most sipc reads (at most 9); fix: present only the certificate and the CAs above it" "$OUT" &&
    [ "$RC" != 0 ] &&
    ok "handshake: a server presenting 13 certificates is refused naming the limit (sipcctl exit $RC)" ||
    bad "handshake with a chain of 13 (sipcctl exit $RC)"
kill "$srv" 2>/dev/null
# PKCS#12: the chain is chosen by name among all the file's certificates
# before the limit applies, so unrelated ones listed first do not push its
# intermediates out; a chain itself over the limit is refused as such
cat "$P/names.pem" "$P/nc.pem" "$P/map.pem" "$P/ian.pem" "$P/fcrl.pem" \
    $(for c in $(up 7) root; do echo "$P/$c.pem"; done) >"$work/extra9.pem"
openssl pkcs12 -export -inkey "$P/chain9leaf.key" -in "$P/chain9leaf.pem" -certfile "$work/extra9.pem" \
    -passout env:PFXPW -out "$work/long9.pfx" 2>"$OUT" || bad "making long9.pfx"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" verify "$work/long9.pfx"
expect "PKCS#12: a chain of 9 behind 5 unrelated CAs verifies" 0 "^VERIFIED$"
openssl pkcs12 -export -inkey "$P/chain13leaf.key" -in "$P/chain13leaf.pem" -certfile "$work/chain12.pem" \
    -passout env:PFXPW -out "$work/long13.pfx" 2>"$OUT" || bad "making long13.pfx"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" verify "$work/long13.pfx"
expect "PKCS#12: a chain of 13 is longer than the limit (exit 38)" 38 "$too_long \(the leaf and the CAs above it in the file\)"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" --home "$work/imp13" import "$work/long13.pfx"
expect "PKCS#12: import refuses a chain of 13 (exit 38)" 38 "$too_long"

shtest_done
