#!/bin/bash
# test_cert_name_text.sh TLSTOOL - the names of certificates that are no
# UTF8String read as every name does (printable UTF-8 as it is, every other
# byte as \xNN), made with openssl:
#   - an O that is a BMPString ("Café", U+202E, "x"): `tlstool verify`
#     shows "O=Café\xe2\x80\xaex", its é decoded and the direction
#     control escaped as in a UTF8String, never '?' for what is not ASCII
#   - a leaf whose DNS name holds ESC outside its root's name constraints:
#     the refusal names "a\x1b[31m.evil.net", no raw ESC and no '?'
set -u
T=${1:?usage: test_cert_name_text.sh path/to/tlstool}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init certnametext
unset SIPC_PFX_PASSWORD
H=$work/home
mkdir -p "$H"
# a CA root is trusted only under a required subject
printf '[tls]\nsubject = CN=nc leaf\n' >"$H/sipc.conf"
ossl() { openssl "$@" >>"$work/openssl.out" 2>&1 || { bad "openssl $1"; shtest_show "$work/openssl.out"; }; }
# no raw ESC or other C0 control but the line ends in $OUT
no_controls() { ! LC_ALL=C grep -q '[[:cntrl:]]' <(tr -d '\n' <"$OUT"); }

printf '[req]\ndistinguished_name = dn\nprompt = no\nstring_mask = MASK:0x800\nutf8 = yes\n[dn]\nO = Caf\303\251\342\200\256x\nCN = bmp node\n' \
    >"$work/bmp.cnf"
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -keyout "$work/bmp.key" \
    -out "$work/bmp.pem" -config "$work/bmp.cnf"
run "$T" verify "$work/bmp.pem"
if grep -qF '[0] O=Café\xe2\x80\xaex, CN=bmp node' "$OUT" && ! grep -q 'Caf?' "$OUT" && no_controls; then
    ok "a BMPString O: decoded, its direction control as \\xe2\\x80\\xae"
else
    bad "a BMPString O in verify's chain (exit $RC)"
fi

printf '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = nc root\n[ext]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign,digitalSignature\nnameConstraints = critical,permitted;DNS:example.com\n' \
    >"$work/root.cnf"
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -keyout "$work/root.key" \
    -out "$work/root.pem" -config "$work/root.cnf" -extensions ext
printf '[ext]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\nextendedKeyUsage = serverAuth,clientAuth\nsubjectAltName = DNS:a\033[31m.evil.net\n' \
    >"$work/leaf.ext"
ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/leaf.key" \
    -subj "/CN=nc leaf" -out "$work/leaf.csr"
ossl x509 -req -in "$work/leaf.csr" -CA "$work/root.pem" -CAkey "$work/root.key" -CAcreateserial \
    -days 30 -extfile "$work/leaf.ext" -extensions ext -out "$work/leaf.pem"
run "$T" --home "$H" trust add "$work/root.pem"
[ "$RC" = 0 ] || bad "trust add of the name-constrained root (exit $RC)"
run "$T" --home "$H" verify "$work/leaf.pem"
if [ "$RC" != 0 ] && grep -qF "its DNS name 'a\\x1b[31m.evil.net' is not in the permitted subtrees" "$OUT" &&
    no_controls; then
    ok "a DNS name outside the name constraints: its ESC as \\x1b"
else
    bad "the name-constraint refusal of a DNS name holding ESC (exit $RC)"
fi
shtest_done
