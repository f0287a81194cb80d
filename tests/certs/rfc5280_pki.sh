# rfc5280_pki.sh - sourced by test_rfc5280.sh and test_handshake_paths.sh
# with $P set: makes that PKI folder and works in it (umask 077), writes
# ext.cnf and crl_ext.cnf (the certificate and CRL extension sections the
# cases use), takes key, issue, mkca, gencrl and revoke from openssl_pki.sh,
# and defines
#   mkroot NODE_CN                    root.pem (CN=RFC Test Root, with a CA
#                                     database) and a node pair under it,
#                                     node.pfx (password $PFXPW, chain with root)
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/openssl_pki.sh"
mkdir -p "$P" && cd "$P" || exit 1
umask 077
cat >ext.cnf <<'X'
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
[ca0_ext]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
[nocrlsign_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign
[nc_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
nameConstraints = critical, permitted;DNS:good.example, permitted;IP:10.0.0.0/255.0.0.0, permitted;dirName:nc_dir, permitted;email:good.example, excluded;DNS:bad.good.example
[nc_dir]
O = RFC Test
OU = Good
[nc_uri_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
nameConstraints = critical, excluded;URI:.evil.example
[rep0_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
policyConstraints = critical, requireExplicitPolicy:0
[rep0p_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
certificatePolicies = 1.3.6.1.4.1.99999.1
policyConstraints = critical, requireExplicitPolicy:0
[rep2_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
policyConstraints = critical, requireExplicitPolicy:2
[map_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
certificatePolicies = 1.3.6.1.4.1.99999.1
policyMappings = critical, 1.3.6.1.4.1.99999.1:1.3.6.1.4.1.99999.2
inhibitAnyPolicy = critical, 0
policyConstraints = critical, inhibitPolicyMapping:0
[mapnc_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
certificatePolicies = 1.3.6.1.4.1.99999.1
policyMappings = 1.3.6.1.4.1.99999.1:1.3.6.1.4.1.99999.2
inhibitAnyPolicy = critical, 0
policyConstraints = critical, inhibitPolicyMapping:0
[ian_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
issuerAltName = critical, DNS:ca.rfc-test.example
[fcrl_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
freshestCRL = critical, URI:http://crl.rfc-test.example/delta.crl
[leafdp_ind_ext]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
crlDistributionPoints = dp_ind
[dp_ind]
CRLissuer = dirName:dn_ind
[dn_ind]
O = RFC Test
CN = CA indirect
[leaf_ext]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
X
cat >crl_ext.cnf <<'Y'
[idp_ca]
issuingDistributionPoint = critical, @idp_ca_s
[idp_ca_s]
onlyCA = TRUE
[idp_reasons_a]
issuingDistributionPoint = critical, @idp_ra
[idp_ra]
onlysomereasons = keyCompromise, CACompromise
[idp_reasons_b]
issuingDistributionPoint = critical, @idp_rb
[idp_rb]
onlysomereasons = affiliationChanged, superseded, cessationOfOperation, certificateHold, privilegeWithdrawn, AACompromise
[idp_dp_a]
issuingDistributionPoint = critical, @idp_dpa
[idp_dpa]
fullname = URI:http://crl.example/a.crl
[delta10]
deltaCRL = critical, ASN1:INTEGER:10
[unknown_crit]
1.2.3.4 = critical, ASN1:UTF8String:sipc test
Y
mkroot() {
    DAYS=800 selfsign root "/O=RFC Test/CN=RFC Test Root" ca_ext
    issue node "/O=RFC Test/CN=$1" root leaf_ext
    openssl pkcs12 -export -inkey node.key -in node.pem -certfile root.pem -passout env:PFXPW \
        -out node.pfx
    mkca root
}
