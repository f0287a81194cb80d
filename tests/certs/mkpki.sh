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
#   subj-*.pem                 leaves whose subjects test [tls] subject (comma in an OU, two CNs,
#                              a long subject, extra attributes)
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
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/openssl_pki.sh"
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

# root and intermediate
selfsign root "/O=Example/CN=sipc Test Root CA" ca_ext
issue int "/O=Example/CN=sipc Test Intermediate CA" root int_ext
issue leaf "/O=Example/CN=sipc node" int leaf_ext
cat leaf.pem int.pem root.pem > chain.pem
DAYS=31 AT='2020-01-01 00:00:00' issue expired "/O=Example/CN=sipc node expired" int leaf_ext
DAYS=365 AT='2040-01-01 00:00:00' issue future "/O=Example/CN=sipc node future" int leaf_ext
issue revoked "/O=Example/CN=sipc node revoked" int leaf_ext
issue serveronly "/O=Example/CN=sipc node" int server_ext
issue badint "/O=Example/CN=sipc Not A CA" root notca_ext
issue badint-leaf "/O=Example/CN=sipc node" badint leaf_ext
issue wrongsubj "/O=Example/CN=somebody else" int leaf_ext
# subjects that only a rendering of the name would mistake for the required
# one: an OU whose value reads ", CN=sipc node", a second CN, and a long
# subject whose text cut at 255 bytes would end in "CN=sipc node"; and one
# that carries it with attributes the requirement does not name
issue subj-comma "/O=Example/OU=Sales, CN=sipc node/CN=alice" int leaf_ext
issue subj-twocn "/O=Example/CN=sipc node/CN=alice" int leaf_ext
a60=$(printf 'a%.0s' $(seq 60)) b32=$(printf 'b%.0s' $(seq 32))
issue subj-long "/O=Example/OU=$a60/OU=$a60/OU=$a60/OU=$b32/CN=sipc nodeevil" int leaf_ext
issue subj-extra "/C=US/O=Example/OU=IT/OU=Ops/CN=sipc node" int leaf_ext
# impostor: a CA with the intermediate's exact name but another key
selfsign impostor "/O=Example/CN=sipc Test Intermediate CA" ca_ext
issue impostor-leaf "/O=Example/CN=sipc node" impostor leaf_ext
# the documented minimums: key sizes and curves, signature hashes, no CA as a leaf
key weak-rsa1024.key RSA rsa_keygen_bits:1024
issue weak-rsa1024 "/O=Example/CN=sipc node weak rsa" int leaf_ext
key weak-p521.key EC ec_paramgen_curve:P-521
issue weak-p521 "/O=Example/CN=sipc node p521" int leaf_ext
key rsa2048.key RSA rsa_keygen_bits:2048
issue rsa2048 "/O=Example/CN=sipc node rsa" int leaf_ext
MD=sha1 issue weak-sha1 "/O=Example/CN=sipc node sha1" int leaf_ext
key rsaint.key RSA rsa_keygen_bits:2048
issue rsaint "/O=Example/CN=sipc Test RSA Intermediate CA" root int_ext
MD=sha1 issue weak-sha1rsa "/O=Example/CN=sipc node sha1 rsa" rsaint leaf_ext
issue caleaf "/O=Example/CN=sipc node ca" int caleaf_ext
MD=sha1 selfsign sha1root "/O=Old/CN=Old SHA-1 Root" ca_ext
issue sha1root-leaf "/O=Old/CN=node under an old root" sha1root leaf_ext

# the second cluster
selfsign other-root "/O=Elsewhere/CN=Other Cluster Root" ca_ext
issue other-leaf "/O=Elsewhere/CN=other node" other-root leaf_ext

# CRLs with a minimal openssl ca setup
mkca int 1000
mkca root 1000
revoke int revoked
gencrl int int.crl
AT='2021-01-01 00:00:00' CRL_DAYS=7 gencrl int int-expired.crl
gencrl root root.crl

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
