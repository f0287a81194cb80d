#!/bin/bash
# test_rfc5280.sh TLSTOOL - RFC 5280 path validation and CRL scope, with
# certificates and CRLs made by openssl at test time: delta and base CRLs,
# issuing distribution points, unknown critical CRL and CRL entry
# extensions, a CRL signer without cRLSign, a CRL signed by a re-keyed CA's
# new key, a hold released by a delta, an indirect CRL (mkcrl.py), more CRLs
# of one issuer than the verifier weighs, names that differ only in case,
# white space or string type, self-issued certificates under
# pathLenConstraint, nameConstraints and certificate policies. Each case asserts `tlstool verify`'s exit code and the words of
# its verdict.
set -u
T=${1:?usage: test_rfc5280.sh path/to/tlstool}
T=$(cd "$(dirname "$T")" && pwd)/$(basename "$T")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$(dirname "$0")/../support/shtest.sh"
shtest_init rfc5280
unset SIPC_PFX_PASSWORD SIPC_HOME
export PFXPW='Test-Passw0rd!'

P=$work/pki
. "$HERE/rfc5280_pki.sh"

mkroot "rfc node"
for c in dca pca kca; do issue "$c" "/O=RFC Test/CN=CA $c" root ca_ext; mkca "$c"; done
issue nocrl "/O=RFC Test/CN=CA no cRLSign" root nocrlsign_ext; mkca nocrl
for l in d1 d2 d3; do issue "$l" "/O=RFC Test/CN=leaf $l" dca leaf_ext; done
issue p1 "/O=RFC Test/CN=leaf p1" pca leaf_ext
issue p2 "/O=RFC Test/CN=leaf p2" pca leaf_ext 'crlDistributionPoints = URI:http://crl.example/a.crl'
issue p3 "/O=RFC Test/CN=leaf p3" pca leaf_ext 'crlDistributionPoints = URI:http://crl.example/b.crl'
issue k1 "/O=RFC Test/CN=leaf k1" kca leaf_ext
issue n1 "/O=RFC Test/CN=leaf n1" nocrl leaf_ext
gencrl root root.crl
# base CRL 10 of dca revokes d1; then d2 is revoked and delta 11 (base 10) lists it
revoke dca d1
gencrl dca dca-base.crl
revoke dca d2
gencrl dca dca-delta.crl delta10
gencrl pca pca-onlyca.crl idp_ca
gencrl pca pca-reasons-a.crl idp_reasons_a
gencrl pca pca-reasons-b.crl idp_reasons_b
gencrl pca pca-dp-a.crl idp_dp_a
gencrl kca kca-unknown.crl unknown_crit
gencrl nocrl nocrl.crl

# the home: a node whose pair carries the root
H=$work/home
mkdir -p "$H"
export SIPC_HOME=$H
SIPC_PFX_PASSWORD=$PFXPW "$T" import "$P/node.pfx" >"$OUT" 2>&1 || { RC=$?; bad "import node.pfx"; }
printf '[tls]\nrevocation = hard\n' >"$H/sipc.conf"
v() { cat "$@" >"$work/v.pem"; run "$T" verify "$work/v.pem"; }
run "$T" crl add "$P/root.crl"
expect "crl add: root CRL" 0 "complete CRL number 10"

# ---------------------------------------------------------------- delta and base CRLs
run "$T" crl add "$P/dca-delta.crl"
expect "crl add: a delta CRL" 0 "delta CRL number 11 on base 10" "-delta\.crl"
v "$P/d1.pem" "$P/dca.pem"
expect "hard: a delta alone is not used, and says why" 28 \
    "crl/[0-9a-f]+-delta\.crl was not used: it is a delta CRL and no base CRL of 'O=RFC Test, CN=CA dca' with number >= 10 is installed"
printf '[tls]\nrevocation = soft\n' >"$H/sipc.conf"
v "$P/d3.pem" "$P/dca.pem"
expect "soft: a delta alone: accepted with the reason as warning" 0 \
    "warning: revocation status of 'O=RFC Test, CN=leaf d3' is unknown: crl/[0-9a-f]+-delta\.crl was not used: it is a delta CRL" "^VERIFIED$"
printf '[tls]\nrevocation = hard\n' >"$H/sipc.conf"
run "$T" crl add "$P/dca-base.crl"
expect "crl add: an older base next to a newer delta, without --force" 0 "complete CRL number 10"
[ "$(ls "$H/security/crl" | grep -c .)" = 3 ] && ok "crl add: base and delta of one issuer both kept" ||
    { ls "$H/security/crl" >"$OUT"; bad "crl add: base and delta of one issuer both kept"; }
v "$P/d1.pem" "$P/dca.pem"
expect "revoked in the base, delta installed: revoked" 27 "leaf d1' \(serial [0-9A-F:]+\) was revoked on .* according to crl/[0-9a-f]+\.crl"
v "$P/d2.pem" "$P/dca.pem"
expect "revoked in the delta only: revoked" 27 "leaf d2' .* according to delta CRL crl/[0-9a-f]+-delta\.crl"
v "$P/d3.pem" "$P/dca.pem"
expect "base + delta, not listed: verified" 0 "^VERIFIED$"
run "$T" crl add "$P/dca-base.crl"
expect "crl add: the same CRL again replaces it, and says it is the same" 0 "replacing the same CRL \\(it was installed already\\)"
run "$T" crl list
expect "crl list: kind of each CRL" 0 "delta CRL number 11 on base 10" "complete CRL number 10"

# ---------------------------------------------------------------- scope: issuing distribution point
run "$T" crl add "$P/pca-onlyca.crl"
expect "crl add: a partition (only CA certificates)" 0 "only CA certificates"
v "$P/p1.pem" "$P/pca.pem"
expect "onlyContainsCACerts does not cover a leaf" 28 \
    "was not used: it covers only CA certificates \(onlyContainsCACerts\)"
run "$T" crl add "$P/pca-reasons-a.crl"
v "$P/p1.pem" "$P/pca.pem"
expect "onlySomeReasons: the other reasons stay unknown" 28 \
    "no current CRL of 'O=RFC Test, CN=CA pca' covers the reasons affiliationChanged, superseded"
run "$T" crl add "$P/pca-reasons-b.crl"
expect "crl add: another reason partition of the same issuer is kept" 0 "only reasons affiliationChanged"
v "$P/p1.pem" "$P/pca.pem"
expect "two reason partitions together cover every reason" 0 "^VERIFIED$"
mkdir -p "$work/h2" && cp -r "$H/." "$work/h2/" && rm -f "$work"/h2/security/crl/*
SIPC_HOME=$work/h2 "$T" crl add "$P/root.crl" >/dev/null 2>&1
run env SIPC_HOME="$work/h2" "$T" crl add "$P/pca-dp-a.crl"
expect "crl add: a distribution-point partition" 0 "one distribution point"
v "$P/p3.pem" "$P/pca.pem"; run env SIPC_HOME="$work/h2" "$T" verify "$work/v.pem"
expect "IDP distribution point not the certificate's" 28 \
    "its issuing distribution point \(URI:http://crl.example/a.crl\) is not one of the certificate's CRL distribution points"
v "$P/p1.pem" "$P/pca.pem"; run env SIPC_HOME="$work/h2" "$T" verify "$work/v.pem"
expect "IDP distribution point, certificate without one" 28 "\(it names none\)"
v "$P/p2.pem" "$P/pca.pem"; run env SIPC_HOME="$work/h2" "$T" verify "$work/v.pem"
expect "IDP distribution point matches the certificate's" 0 "^VERIFIED$"

# ---------------------------------------------------------------- unusable CRLs
run "$T" crl add "$P/kca-unknown.crl"
expect "crl add: unknown critical CRL extension: installed with a warning" 0 \
    "will never be used: it has a critical CRL extension sipc does not know \(1\.2\.3\.4\)"
v "$P/k1.pem" "$P/kca.pem"
expect "unknown critical CRL extension: CRL not used" 28 \
    "crl/[0-9a-f]+\.crl was not used: it has a critical CRL extension sipc does not know \(1\.2\.3\.4\)"
run "$T" crl add "$P/nocrl.crl"
v "$P/n1.pem" "$P/nocrl.pem"
expect "CRL signer without cRLSign: CRL not used" 28 "its signer 'O=RFC Test, CN=CA no cRLSign' lacks key usage cRLSign"
rm -f "$H"/security/crl/*
"$T" crl add "$P/root.crl" >/dev/null 2>&1

# ---------------------------------------------------------------- CRL entries, keys, indirect CRLs
serial() { openssl x509 -in "$1.pem" -noout -serial | sed 's/^serial=//'; }
# an unknown critical extension in one CRL entry: the whole CRL is unusable
issue eca "/O=RFC Test/CN=CA entry ext" root ca_ext
issue e1 "/O=RFC Test/CN=leaf e1" eca leaf_ext
python3 "$HERE/mkcrl.py" eca.pem eca.key eca-entry.crl 10 "0F,unknown-critical"
run "$T" crl add "$P/eca-entry.crl"
expect "crl add: unknown critical CRL entry extension: installed with a warning" 0 \
    "will never be used: it has a critical CRL entry extension sipc does not know \(1\.2\.3\.4\)"
v "$P/e1.pem" "$P/eca.pem"
expect "unknown critical CRL entry extension: CRL not used" 28 \
    "crl/[0-9a-f]+\.crl was not used: it has a critical CRL entry extension sipc does not know \(1\.2\.3\.4\)"
# a CA that changed its key signs its CRL with the new key only; the
# certificates its old key issued are covered by it
issue kr-old "/O=RFC Test/CN=CA rekeyed" root ca_ext
key kr-new.key
openssl req -new -key kr-new.key -subj "/O=RFC Test/CN=CA rekeyed" -out kr-new.csr 2>/dev/null
openssl x509 -req -in kr-new.csr -CA kr-old.pem -CAkey kr-old.key -CAcreateserial -days 400 -sha256 \
    -extfile ext.cnf -extensions ca_ext -out kr-new.pem 2>/dev/null
for l in kr1 kr2; do issue "$l" "/O=RFC Test/CN=leaf $l" kr-old leaf_ext; done
mkca kr-new
revoke kr-new kr2
gencrl kr-new kr-new.crl
run "$T" crl add "$P/kr-new.crl"
expect "crl add: a CRL signed by the CA's new key" 0 "complete CRL number 10"
v "$P/kr1.pem" "$P/kr-old.pem" "$P/kr-new.pem"
expect "CRL signed by another key of the issuer (re-keyed CA): verified" 0 "^VERIFIED$"
v "$P/kr2.pem" "$P/kr-old.pem" "$P/kr-new.pem"
expect "CRL signed by another key of the issuer: a listed certificate is revoked" 27 \
    "leaf kr2' \(serial [0-9A-F:]+\) was revoked on .* according to crl/[0-9a-f]+\.crl issued by 'O=RFC Test, CN=CA rekeyed'"
v "$P/kr1.pem" "$P/kr-old.pem"
expect "CRL signed by another key of the issuer, that key's certificate not at hand: unknown" 28 \
    "was not used: its signature does not verify with the key of any certificate of 'O=RFC Test, CN=CA rekeyed'"
# certificateHold in the base CRL, released by removeFromCRL in a delta
issue hca "/O=RFC Test/CN=CA hold" root ca_ext
issue h1 "/O=RFC Test/CN=leaf h1" hca leaf_ext
mkca hca
openssl ca -config ca-hca/ca.cnf -revoke h1.pem -crl_hold holdInstructionReject >/dev/null 2>&1
gencrl hca hca-base.crl
sed -i 's/,holdInstruction,holdInstructionReject/,removeFromCRL/' ca-hca/index.txt
gencrl hca hca-delta.crl delta10
run "$T" crl add "$P/hca-base.crl"
v "$P/h1.pem" "$P/hca.pem"
expect "certificateHold in the base CRL: revoked" 27 "leaf h1' \(serial [0-9A-F:]+\) was revoked"
run "$T" crl add "$P/hca-delta.crl"
expect "crl add: the delta that removes the hold" 0 "delta CRL number 11 on base 10"
v "$P/h1.pem" "$P/hca.pem"
expect "certificateHold released by removeFromCRL in a delta: verified" 0 "^VERIFIED$"
# an indirect CRL: CA indirect revokes for CA ica, whose certificates name
# it as cRLIssuer in their distribution point (certificateIssuer entries)
issue ind "/O=RFC Test/CN=CA indirect" root ca_ext
issue ica "/O=RFC Test/CN=CA ica" root ca_ext
for l in i1 i2; do issue "$l" "/O=RFC Test/CN=leaf $l" ica leafdp_ind_ext; done
issue i3 "/O=RFC Test/CN=leaf i3" ica leaf_ext
python3 "$HERE/mkcrl.py" ind.pem ind.key ind.crl 10 --indirect "$(serial i2),reason=1,issuer=ica.pem" \
    "$(serial i3),reason=1"
run "$T" crl add "$P/ind.crl"
expect "crl add: an indirect CRL" 0 "complete CRL number 10"
v "$P/i1.pem" "$P/ica.pem" "$P/ind.pem"
expect "indirect CRL of another issuer, named as cRLIssuer: verified" 0 "^VERIFIED$"
v "$P/i2.pem" "$P/ica.pem" "$P/ind.pem"
expect "indirect CRL: an entry under certificateIssuer revokes" 27 \
    "leaf i2' \(serial [0-9A-F:]+\) was revoked on .* issued by 'O=RFC Test, CN=CA indirect'"
v "$P/i3.pem" "$P/ica.pem" "$P/ind.pem"
expect "indirect CRL not named by the certificate: not used" 28 \
    "revocation status of 'O=RFC Test, CN=leaf i3' is unknown: no CRL from its issuer 'O=RFC Test, CN=CA ica'"
rm -f "$H"/security/crl/*
"$T" crl add "$P/root.crl" >/dev/null 2>&1

# ---------------------------------------------------------------- more CRLs of one issuer than are weighed
# 32 complete CRLs of CA cap put in crl/ (a shared folder), then, last in
# name order, one that revokes c1 and puts c3 on hold: past the 32 weighed,
# it must still be seen
issue cap "/O=RFC Test/CN=CA cap" root ca_ext
for l in c1 c2 c3; do issue "$l" "/O=RFC Test/CN=leaf $l" cap leaf_ext; done
mkca cap
for n in $(seq 10 41); do gencrl cap "cap-f$n.crl" && gencrl cap "cap-p$n.crl" idp_reasons_a; done
revoke cap c1
openssl ca -config ca-cap/ca.cnf -revoke c3.pem -crl_hold holdInstructionReject >/dev/null 2>&1
gencrl cap cap-z.crl
cp cap-f*.crl cap-z.crl "$H/security/crl/"
capped="more than 32 CRLs of its issuer cover it, 1 past those was only searched for it: remove old ones \(\`tlstool crl list\`"
v "$P/c1.pem" "$P/cap.pem"
expect "33 CRLs of one issuer, the last revokes: revoked" 27 \
    "leaf c1' \(serial [0-9A-F:]+\) was revoked on .* according to crl/cap-z\.crl issued by 'O=RFC Test, CN=CA cap' \($capped"
v "$P/c3.pem" "$P/cap.pem"
expect "33 CRLs of one issuer, the last puts on hold: revoked, and says why" 27 \
    "leaf c3' .* according to crl/cap-z\.crl .*this CRL, one of them, puts it on hold, which a newer CRL might release: taken as revoked"
run "$T" crl add "$P/cap-z.crl"
expect "crl add: past 32 complete CRLs of one issuer: added with a warning" 0 \
    "warning: 34 complete CRLs of 'O=RFC Test, CN=CA cap' are installed: of those that cover one certificate the verifier weighs 32"
# 32 reason partitions weighed, the complete CRL past them: unknown, and why
rm -f "$H"/security/crl/*
cp cap-p*.crl cap-z.crl "$H/security/crl/"
v "$P/c2.pem" "$P/cap.pem"
expect "33 CRLs of one issuer, not listed: unknown, and says why" 28 \
    "no current CRL of 'O=RFC Test, CN=CA cap' covers the reasons .*; $capped" "^Fix: remove old CRLs of that issuer"
rm -f "$H"/security/crl/*
"$T" crl add "$P/root.crl" >/dev/null 2>&1

# ---------------------------------------------------------------- names (RFC 5280 7.1)
# the CA's certificate says "CN=CA  Names" as a PrintableString; what it
# signs names its issuer "cn=ca names" as a UTF8String (same key)
printf '[tls]\nrevocation = soft\n' >"$H/sipc.conf"
rm -f "$H"/security/crl/*
printf '[req]\ndistinguished_name=dn\nstring_mask=default\n[dn]\n' >printable.cnf
REQOPT="-config $P/printable.cnf" issue names "/O=RFC Test/CN=CA  Names" root ca_ext
openssl req -new -x509 -key names.key -subj "/O=rfc test/CN=ca names" -utf8 -days 400 \
    -config <(printf '[req]\ndistinguished_name=dn\nstring_mask=utf8only\n[dn]\n'; cat ext.cnf) \
    -extensions ca_ext -out names-utf8.pem 2>/dev/null
cp names.key names-utf8.key
issue nm1 "/O=RFC Test/CN=leaf nm1" names-utf8 leaf_ext
openssl x509 -in names.pem -noout -subject -nameopt multiline,show_type 2>/dev/null | grep -q PRINTABLESTRING &&
    openssl x509 -in nm1.pem -noout -issuer -nameopt multiline,show_type 2>/dev/null | grep -q UTF8STRING &&
    ok "test names: PrintableString subject, UTF8String issuer" || { : >"$OUT"; bad "test names: string types"; }
v "$P/nm1.pem" "$P/names.pem"
expect "issuer name differs in case, white space and string type: verified" 0 "^VERIFIED$"

# ---------------------------------------------------------------- pathLenConstraint and self-issued
issue pl "/O=RFC Test/CN=CA pathlen0" root ca0_ext
cp pl.key pl-old.key; cp pl.pem pl-old.pem
key pl-new.key
openssl req -new -key pl-new.key -subj "/O=RFC Test/CN=CA pathlen0" -out pl-new.csr 2>/dev/null
openssl x509 -req -in pl-new.csr -CA pl-old.pem -CAkey pl-old.key -CAcreateserial -days 400 -sha256 \
    -extfile ext.cnf -extensions ca_ext -out pl-new.pem 2>/dev/null
issue pl1 "/O=RFC Test/CN=leaf pl1" pl-new leaf_ext
v "$P/pl1.pem" "$P/pl-new.pem" "$P/pl-old.pem"
expect "a self-issued CA (re-key) does not count against pathLenConstraint 0" 0 "^VERIFIED$"
issue plsub "/O=RFC Test/CN=CA below pathlen0" pl-old ca_ext
issue pl2 "/O=RFC Test/CN=leaf pl2" plsub leaf_ext
v "$P/pl2.pem" "$P/plsub.pem" "$P/pl-old.pem"
expect "another CA below pathLenConstraint 0 is refused" 31 "allows 0 intermediate\(s\) below it, the chain has 1"

# ---------------------------------------------------------------- nameConstraints
issue nc "/O=RFC Test/CN=CA constrained" root nc_ext
issue nc1 "/O=RFC Test/OU=Good/CN=leaf nc1" nc leaf_ext 'subjectAltName = DNS:n1.good.example, IP:10.1.2.3, email:a@good.example'
v "$P/nc1.pem" "$P/nc.pem"
expect "nameConstraints: names within: verified" 0 "^VERIFIED$"
for c in "DNS outside|/O=RFC Test/OU=Good/CN=leaf nc2|subjectAltName = DNS:n2.evil.example|DNS name 'n2.evil.example' is not in the permitted subtrees" \
    "DNS excluded|/O=RFC Test/OU=Good/CN=leaf nc3|subjectAltName = DNS:x.bad.good.example|DNS name 'x.bad.good.example' is in an excluded subtree" \
    "DNS excluded, written absolute|/O=RFC Test/OU=Good/CN=leaf nc3a|subjectAltName = DNS:x.bad.good.example.|DNS name 'x.bad.good.example.' is in an excluded subtree" \
    "DNS outside, written absolute|/O=RFC Test/OU=Good/CN=leaf nc2a|subjectAltName = DNS:good.example.evil.|DNS name 'good.example.evil.' is not in the permitted subtrees" \
    "IP outside|/O=RFC Test/OU=Good/CN=leaf nc4|subjectAltName = IP:192.168.1.1|IP address 192.168.1.1 is not in the permitted subtrees" \
    "subject outside|/O=RFC Test/OU=Evil/CN=leaf nc5|subjectAltName = DNS:n5.good.example|subject 'O=RFC Test, OU=Evil, CN=leaf nc5' is not in the permitted subtrees" \
    "e-mail outside|/O=RFC Test/OU=Good/CN=leaf nc6|subjectAltName = email:a@evil.example|e-mail address 'a@evil.example' is not in the permitted subtrees"; do
    IFS='|' read -r name subj extra re <<<"$c"
    issue ncx "$subj" nc leaf_ext "$extra"
    v "$P/ncx.pem" "$P/nc.pem"
    expect "nameConstraints: $name: refused" 36 "NOT VERIFIED: certificate '.*' is outside the name constraints of CA 'O=RFC Test, CN=CA constrained': its $re" "^Fix: "
    rm -f ncx.key
done
issue ncu "/O=RFC Test/OU=Good/CN=leaf ncu" nc leaf_ext 'subjectAltName = DNS:u.good.example, URI:http://u.good.example/'
v "$P/ncu.pem" "$P/nc.pem"
expect "nameConstraints without URI constraints: a URI name is fine" 0 "^VERIFIED$"
issue ncuri "/O=RFC Test/CN=CA URI excluded" root nc_uri_ext
for c in "absolute host|http://a.evil.example./x|URI 'http://a.evil.example./x' is in an excluded subtree" \
    "percent-encoded host|http://a.evil%2eexample/x|URI 'http://a.evil%2eexample/x' has a percent-encoded host"; do
    IFS='|' read -r name uri re <<<"$c"
    issue ncux "/O=RFC Test/CN=leaf ncux" ncuri leaf_ext "subjectAltName = URI:$uri"
    v "$P/ncux.pem" "$P/ncuri.pem"
    expect "nameConstraints: URI excluded, $name: refused" 36 "its $re"
    rm -f ncux.key
done
issue ncuok "/O=RFC Test/CN=leaf ncuok" ncuri leaf_ext "subjectAltName = URI:http://a.good.example/x"
v "$P/ncuok.pem" "$P/ncuri.pem"
expect "nameConstraints: URI outside the excluded subtree: verified" 0 "^VERIFIED$"
issue nca "/O=RFC Test/OU=Good/CN=leaf nca" nc leaf_ext 'subjectAltName = DNS:n1.good.example., email:a@good.example.'
v "$P/nca.pem" "$P/nc.pem"
expect "nameConstraints: names within, written absolute (root dot): verified" 0 "^VERIFIED$"

# ---------------------------------------------------------------- policy extensions
issue rep0 "/O=RFC Test/CN=CA requireExplicitPolicy 0" root rep0_ext
issue r0 "/O=RFC Test/CN=leaf r0" rep0 leaf_ext
v "$P/r0.pem" "$P/rep0.pem"
expect "requireExplicitPolicy in effect, no policy on the path: refused" 37 \
    "no certificate policy is valid down to certificate 'O=RFC Test, CN=leaf r0', and policyConstraints requireExplicitPolicy of 'O=RFC Test, CN=CA requireExplicitPolicy 0' requires one \(RFC 5280 6.1\)"
issue rep0p "/O=RFC Test/CN=CA requireExplicitPolicy 0 policy 1" root rep0p_ext
issue rp1 "/O=RFC Test/CN=leaf rp1" rep0p leaf_ext 'certificatePolicies = 1.3.6.1.4.1.99999.1'
v "$P/rp1.pem" "$P/rep0p.pem"
expect "requireExplicitPolicy in effect, a policy valid for the whole path: verified" 0 "^VERIFIED$"
issue rp2 "/O=RFC Test/CN=leaf rp2" rep0p leaf_ext 'certificatePolicies = 1.3.6.1.4.1.99999.2'
v "$P/rp2.pem" "$P/rep0p.pem"
expect "requireExplicitPolicy in effect, the leaf under another policy: refused" 37 \
    "no certificate policy is valid down to certificate 'O=RFC Test, CN=leaf rp2'"
issue rep2 "/O=RFC Test/CN=CA requireExplicitPolicy 2" root rep2_ext
issue r2 "/O=RFC Test/CN=leaf r2" rep2 leaf_ext
v "$P/r2.pem" "$P/rep2.pem"
expect "requireExplicitPolicy not reached by the path: verified" 0 "^VERIFIED$"
# SkipCerts is INTEGER (0..MAX): a negative one (here -128) is malformed,
# not a large skip count that never takes effect
issue repneg "/O=RFC Test/CN=CA requireExplicitPolicy negative" root ca_ext \
    '2.5.29.36 = critical, DER:30:03:80:01:80'
issue rn "/O=RFC Test/CN=leaf rn" repneg leaf_ext
v "$P/rn.pem" "$P/repneg.pem"
expect "policyConstraints with a negative requireExplicitPolicy: refused as malformed" 21 \
    "NOT VERIFIED: certificate 1 of the chain is not a valid X.509 certificate: malformed extension 2\.5\.29\.36"
issue mapnc "/O=RFC Test/CN=CA policy mapping" root mapnc_ext
issue m1 "/O=RFC Test/CN=leaf m1" mapnc leaf_ext 'certificatePolicies = 1.3.6.1.4.1.99999.2'
v "$P/m1.pem" "$P/mapnc.pem"
expect "policyMappings, inhibitAnyPolicy, inhibitPolicyMapping: verified" 0 "^VERIFIED$"
# a presented CA with a critical policyMappings, issuerAltName or
# freshestCRL (extensions wolfSSL does not process): verified
issue map "/O=RFC Test/CN=CA critical policy mapping" root map_ext
issue m2 "/O=RFC Test/CN=leaf m2" map leaf_ext 'certificatePolicies = 1.3.6.1.4.1.99999.2'
issue ian "/O=RFC Test/CN=CA critical issuerAltName" root ian_ext
issue ia1 "/O=RFC Test/CN=leaf ia1" ian leaf_ext
issue fcrl "/O=RFC Test/CN=CA critical freshestCRL" root fcrl_ext
issue fc1 "/O=RFC Test/CN=leaf fc1" fcrl leaf_ext
for c in "m2 map policyMappings" "ia1 ian issuerAltName" "fc1 fcrl freshestCRL"; do
    set -- $c
    v "$P/$1.pem" "$P/$2.pem"
    expect "a presented CA with a critical $3: verified" 0 "^VERIFIED$"
    # ... but wolfSSL cannot load it as a trust anchor: trust add refuses it
    run "$T" trust add "$P/$2.pem"
    expect "trust add: a CA with a critical $3: refused" 11 \
        "has a critical $3 extension that the TLS library \(wolfSSL 5.5.4\) does not process: it cannot load this certificate as a trusted root"
done

shtest_done
