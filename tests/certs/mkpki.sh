#!/bin/bash
# mkpki.sh DIR - builds a throwaway PKI with openssl for the certificate tests.
# Every private key and file stays in DIR. Passwords are passed to openssl
# only through env: or file:, never in argv.
#
#   root.pem / int.pem         root CA -> intermediate CA (EC P-256)
#   leaf.pem leaf.key          good leaf (CN=sipc node, O=Example), serverAuth+clientAuth
#   chain.pem                  leaf + int + root
#   expired.pem                leaf valid 2020-01-01 .. 2020-02-01 (issued with faketime)
#   future.pem                 leaf valid from 2040
#   revoked.pem int.crl        leaf revoked by the intermediate's CRL (current)
#   int-expired.crl            a CRL of the intermediate past its nextUpdate
#   root.crl                   CRL of the root (empty)
#   serveronly.pem             leaf with serverAuth only
#   badint.pem badint-leaf.pem intermediate with CA:FALSE and a leaf it signed
#   other-root.pem other-leaf.pem   a second, unrelated cluster
#   wrongsubj.pem              leaf CN=somebody else
#   impostor-leaf.pem          leaf signed by a different key that uses int's name
#   weak-rsa1024.pem           leaf with an RSA-1024 key (below the 2048-bit minimum)
#   weak-p521.pem              leaf with an ECDSA P-521 key (only P-256/P-384 are accepted)
#   rsa2048.pem                leaf with an RSA-2048 key (the minimum: accepted)
#   weak-sha1.pem              leaf signed by int with ecdsa-with-SHA1
#   weak-sha1rsa.pem rsaint.pem  leaf signed with sha1WithRSAEncryption by an RSA intermediate
#   caleaf.pem                 leaf with basicConstraints CA:TRUE (and the node usages)
#   sha1root.pem sha1root-leaf.pem  a self-signed root signed with SHA-1 and a SHA-256 leaf under it
#   *.pfx                      see the bottom
set -euo pipefail
D=${1:?usage: mkpki.sh DIR}
mkdir -p "$D"
cd "$D"
export PFXPW='Test-Passw0rd!'
umask 077

cat > ext.cnf <<'EOF'
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[int_ext]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[notca_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
[leaf_ext]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
[caleaf_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, digitalSignature, keyCertSign
extendedKeyUsage = serverAuth, clientAuth
[server_ext]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
EOF

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
selfsign() { # name subj ext
    key "$1.key"
    openssl req -new -x509 -key "$1.key" -subj "$2" -days 3650 -extfile ext.cnf \
        -extensions "$3" -out "$1.pem" 2>/dev/null ||
    openssl req -new -x509 -key "$1.key" -subj "$2" -days 3650 -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n'; cat ext.cnf) \
        -extensions "$3" -out "$1.pem"
}
issue() { # name subj ca ext [prefix cmd...]; MD=sha1 signs with SHA-1
    local name=$1 subj=$2 ca=$3 ext=$4
    shift 4
    [ -f "$name.key" ] || key "$name.key"
    openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr" 2>/dev/null
    "$@" openssl x509 -req -in "$name.csr" -CA "$ca.pem" -CAkey "$ca.key" -CAcreateserial \
        -days "${DAYS:-825}" -"${MD:-sha256}" -extfile ext.cnf -extensions "$ext" -out "$name.pem" 2>/dev/null
}

# root and intermediate (root via req -x509 needs a config for extensions)
key root.key
openssl req -new -key root.key -subj "/O=Example/CN=sipc Test Root CA" -out root.csr
openssl x509 -req -in root.csr -signkey root.key -days 3650 -extfile ext.cnf -extensions ca_ext \
    -out root.pem 2>/dev/null
issue int "/O=Example/CN=sipc Test Intermediate CA" root int_ext
issue leaf "/O=Example/CN=sipc node" int leaf_ext
cat leaf.pem int.pem root.pem > chain.pem
DAYS=31 issue expired "/O=Example/CN=sipc node expired" int leaf_ext faketime '2020-01-01 00:00:00'
DAYS=365 issue future "/O=Example/CN=sipc node future" int leaf_ext faketime '2040-01-01 00:00:00'
issue revoked "/O=Example/CN=sipc node revoked" int leaf_ext
issue serveronly "/O=Example/CN=sipc node" int server_ext
issue badint "/O=Example/CN=sipc Not A CA" root notca_ext
issue badint-leaf "/O=Example/CN=sipc node" badint leaf_ext
issue wrongsubj "/O=Example/CN=somebody else" int leaf_ext
# impostor: a CA with the intermediate's exact name but another key
key impostor.key
openssl req -new -key impostor.key -subj "/O=Example/CN=sipc Test Intermediate CA" -out impostor.csr
openssl x509 -req -in impostor.csr -signkey impostor.key -days 3650 -extfile ext.cnf \
    -extensions ca_ext -out impostor.pem 2>/dev/null
issue impostor-leaf "/O=Example/CN=sipc node" impostor leaf_ext
# the documented minimums: key sizes and curves, signature hashes, no CA as a leaf
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out weak-rsa1024.key 2>/dev/null
issue weak-rsa1024 "/O=Example/CN=sipc node weak rsa" int leaf_ext
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out weak-p521.key 2>/dev/null
issue weak-p521 "/O=Example/CN=sipc node p521" int leaf_ext
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048.key 2>/dev/null
issue rsa2048 "/O=Example/CN=sipc node rsa" int leaf_ext
MD=sha1 issue weak-sha1 "/O=Example/CN=sipc node sha1" int leaf_ext
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsaint.key 2>/dev/null
issue rsaint "/O=Example/CN=sipc Test RSA Intermediate CA" root int_ext
MD=sha1 issue weak-sha1rsa "/O=Example/CN=sipc node sha1 rsa" rsaint leaf_ext
issue caleaf "/O=Example/CN=sipc node ca" int caleaf_ext
key sha1root.key
openssl req -new -key sha1root.key -subj "/O=Old/CN=Old SHA-1 Root" -out sha1root.csr
openssl x509 -req -in sha1root.csr -signkey sha1root.key -sha1 -days 3650 -extfile ext.cnf \
    -extensions ca_ext -out sha1root.pem 2>/dev/null
issue sha1root-leaf "/O=Old/CN=node under an old root" sha1root leaf_ext

# the second cluster
key other-root.key
openssl req -new -key other-root.key -subj "/O=Elsewhere/CN=Other Cluster Root" -out other-root.csr
openssl x509 -req -in other-root.csr -signkey other-root.key -days 3650 -extfile ext.cnf \
    -extensions ca_ext -out other-root.pem 2>/dev/null
issue other-leaf "/O=Elsewhere/CN=other node" other-root leaf_ext

# CRLs with a minimal openssl ca setup
mkca() { # dir ca
    mkdir -p "ca-$1"
    : > "ca-$1/index.txt"
    echo 1000 > "ca-$1/crlnumber"
    cat > "ca-$1/ca.cnf" <<EOF
[ca]
default_ca = c
[c]
database = $PWD/ca-$1/index.txt
crlnumber = $PWD/ca-$1/crlnumber
certificate = $PWD/$2.pem
private_key = $PWD/$2.key
default_md = sha256
default_crl_days = 30
EOF
}
mkca int int
mkca root root
openssl ca -config ca-int/ca.cnf -revoke revoked.pem -crl_reason keyCompromise 2>/dev/null
openssl ca -config ca-int/ca.cnf -gencrl -out int.crl 2>/dev/null
faketime '2021-01-01 00:00:00' openssl ca -config ca-int/ca.cnf -gencrl -crldays 7 -out int-expired.crl 2>/dev/null
openssl ca -config ca-root/ca.cnf -gencrl -out root.crl 2>/dev/null

# PKCS#12 files: OpenSSL 3 default (AES-256-CBC, PBKDF2), legacy (RC2-40 + 3DES),
# legacy with 3DES only, and org-signed with leaf+intermediate+root.
openssl pkcs12 -export -inkey leaf.key -in leaf.pem -certfile <(cat int.pem root.pem) \
    -passout env:PFXPW -out org.pfx
openssl pkcs12 -export -inkey leaf.key -in leaf.pem -passout env:PFXPW -out leafonly.pfx
openssl pkcs12 -export -legacy -inkey leaf.key -in leaf.pem -certfile <(cat int.pem root.pem) \
    -passout env:PFXPW -out legacy-rc2.pfx 2>/dev/null
openssl pkcs12 -export -legacy -certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES \
    -inkey leaf.key -in leaf.pem -certfile <(cat int.pem root.pem) -passout env:PFXPW \
    -out legacy-3des.pfx 2>/dev/null
openssl pkcs12 -export -inkey serveronly.key -in serveronly.pem -certfile <(cat int.pem root.pem) \
    -passout env:PFXPW -out serveronly.pfx
openssl pkcs12 -export -inkey expired.key -in expired.pem -certfile <(cat int.pem root.pem) \
    -passout env:PFXPW -out expired.pfx
openssl pkcs12 -export -inkey wrongsubj.key -in wrongsubj.pem -certfile <(cat int.pem root.pem) \
    -passout env:PFXPW -out wrongsubj.pfx
head -c 700 org.pfx > truncated.pfx
head -c 2000 /dev/urandom > garbage.pfx
rm -f ./*.csr ./*.srl
echo ok
