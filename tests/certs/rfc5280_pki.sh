# rfc5280_pki.sh - sourced by test_rfc5280.sh and test_handshake_paths.sh,
# from inside the PKI folder $P: writes ext.cnf (the extension sections the
# cases use) and defines
#   key FILE                          an EC P-256 key
#   issue NAME SUBJ CA EXT [LINES]    NAME.pem signed by CA.pem/CA.key with
#                                     section EXT (plus extension LINES);
#                                     REQOPT adds options to the request
#   mkca NAME                         an openssl ca database for NAME's CRLs
#   gencrl CA OUT [SECTION]           a CRL of CA (CRL extensions SECTION)
#   revoke CA CERT [REASON]           marks CERT revoked in CA's database
#   mkroot NODE_CN                    root.pem (CN=RFC Test Root, with a CA
#                                     database) and a node pair under it,
#                                     node.pfx (password $PFXPW, chain with root)
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
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
# issue NAME SUBJ CA EXT [extra extension lines]: NAME.pem signed by CA
issue() {
    local name=$1 subj=$2 ca=$3 ext=$4 extra=${5:-}
    [ -f "$name.key" ] || key "$name.key"
    openssl req -new -key "$name.key" -subj "$subj" ${REQOPT:-} -out "$name.csr" 2>/dev/null
    { cat ext.cnf; [ -n "$extra" ] && printf '[x_ext]\n%s\n' "$extra"; } >"$name.ext"
    if [ -n "$extra" ]; then
        { sed -n "/^\[$ext\]/,/^\[/p" ext.cnf | sed '1d;/^\[/d'; printf '%b\n' "$extra"; } >"$name.ext2"
        printf '[x_ext]\n' | cat - "$name.ext2" >"$name.ext"
        cat ext.cnf | sed -n '/^\[nc_dir\]/,$p' >>"$name.ext"
        ext=x_ext
    fi
    openssl x509 -req -in "$name.csr" -CA "$ca.pem" -CAkey "$ca.key" -CAcreateserial -days 400 \
        -sha256 -extfile "$name.ext" -extensions "$ext" -out "$name.pem" 2>/dev/null ||
        echo "mkpki: cannot issue $name" >&2
}
# mkca NAME: an openssl ca database for NAME's CRLs (CRL numbers from 10)
mkca() {
    mkdir -p "ca-$1"
    : >"ca-$1/index.txt"
    echo 0a >"ca-$1/crlnumber"
    cat >"ca-$1/ca.cnf" <<Y
[ca]
default_ca = c
[c]
database = $P/ca-$1/index.txt
crlnumber = $P/ca-$1/crlnumber
certificate = $P/$1.pem
private_key = $P/$1.key
default_md = sha256
default_crl_days = 30
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
}
gencrl() { # CA OUT [crlexts]
    openssl ca -config "ca-$1/ca.cnf" -gencrl ${3:+-crlexts $3} -out "$2" 2>/dev/null ||
        echo "mkpki: cannot make $2" >&2
}
revoke() { openssl ca -config "ca-$1/ca.cnf" -revoke "$2.pem" -crl_reason "${3:-keyCompromise}" >/dev/null 2>&1; }
mkroot() {
    key root.key
    openssl req -new -x509 -key root.key -subj "/O=RFC Test/CN=RFC Test Root" -days 800 \
        -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n'; cat ext.cnf) -extensions ca_ext \
        -out root.pem 2>/dev/null
    issue node "/O=RFC Test/CN=$1" root leaf_ext
    openssl pkcs12 -export -inkey node.key -in node.pem -certfile root.pem -passout env:PFXPW \
        -out node.pfx
    mkca root
}
