#!/bin/bash
# test_pkcs12_interop.sh TLSTOOL - the PKCS#12 files `tlstool create` writes
# are read as a key entry by every tool: OpenSSL 3 (default and -legacy),
# Java keytool (when installed), and tlstool import. The leaf's certificate
# and key bags must carry the same localKeyID (the SHA-1 of the certificate)
# and a friendlyName: OpenSSL's -clcerts and keytool pair key and
# certificate by it. The other way: EC files as keytool writes them (a key
# without its public key) import. Passwords reach openssl/keytool only via env:.
set -u
T=${1:?usage: test_pkcs12_interop.sh path/to/tlstool}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init p12
unset SIPC_PFX_PASSWORD
export SIPC_HOME=$work/home
mkdir -p "$SIPC_HOME"
export PW='Interop-Passw0rd!'

for k in ecdsa-p256 ecdsa-p384 rsa-2048 rsa-3072; do
    F=$work/$k.pfx
    if ! SIPC_PFX_PASSWORD=$PW "$T" create -site "$F" --key "$k" --days 30 >"$OUT" 2>&1; then
        bad "$k: tlstool create"
        continue
    fi
    FP=$(sed -n 's/^ *SHA-256: *//p' "$OUT")
    # -info: both bags carry the leaf's SHA-1 as localKeyID, and a friendlyName
    openssl pkcs12 -info -in "$F" -passin env:PW -nodes >"$work/info.txt" 2>&1 || { cp "$work/info.txt" "$OUT"; bad "$k: openssl pkcs12 -info"; continue; }
    SHA1=$(openssl pkcs12 -in "$F" -passin env:PW -nokeys 2>/dev/null | openssl x509 -outform DER | sha1sum | cut -c1-40)
    IDS=$(sed -n 's/^ *localKeyID: //p' "$work/info.txt" | tr -d ' \n' | tr 'A-F' 'a-f')
    cp "$work/info.txt" "$OUT"
    [ "$IDS" = "$SHA1$SHA1" ] && ok "$k: localKeyID on the certificate and the key bag, = SHA-1 of the certificate" ||
        bad "$k: localKeyID (got '$IDS', want $SHA1 twice)"
    [ "$(grep -c 'friendlyName: sipc cluster key pair' "$work/info.txt")" = 2 ] &&
        ok "$k: friendlyName on both bags" || bad "$k: friendlyName"
    grep -q "MAC: sha256" "$work/info.txt" && grep -q "Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC" "$work/info.txt" &&
        ok "$k: SHA-256 MAC, PBE-SHA1-3DES key bag (as docs/tlstool.md says)" || bad "$k: MAC or key encryption"
    # -clcerts -nokeys selects by localKeyID: it must print the certificate
    openssl pkcs12 -in "$F" -passin env:PW -clcerts -nokeys 2>/dev/null | openssl x509 -outform DER >"$work/cl.der" 2>"$OUT"
    [ "$(sha256sum <"$work/cl.der" | cut -c1-64)" = "$FP" ] && ok "$k: openssl -clcerts -nokeys prints the certificate" ||
        bad "$k: openssl -clcerts -nokeys (fingerprint '$(sha256sum <"$work/cl.der" | cut -c1-64)', want '$FP')"
    check "$k: OpenSSL 3 reads key and certificate (default)" sh -c "openssl pkcs12 -in '$F' -passin env:PW -nodes | grep -q 'PRIVATE KEY'"
    check "$k: OpenSSL 3 reads key and certificate (-legacy)" sh -c "openssl pkcs12 -legacy -in '$F' -passin env:PW -nodes | grep -q 'PRIVATE KEY'"
    if command -v keytool >/dev/null; then
        keytool -list -v -storetype PKCS12 -keystore "$F" -storepass:env PW >"$OUT" 2>&1
        FPC=$(echo "$FP" | tr 'a-f' 'A-F' | sed 's/../&:/g; s/:$//')
        grep -q "Entry type: PrivateKeyEntry" "$OUT" && grep -q "Alias name: sipc cluster key pair" "$OUT" &&
            grep -q "SHA256: $FPC" "$OUT" && ok "$k: keytool sees a PrivateKeyEntry with the certificate" ||
            bad "$k: keytool -list"
    else
        ok "$k: keytool [skipped: no keytool; apt-get install openjdk-17-jre-headless]"
    fi
    check "$k: tlstool import reads it back" env SIPC_PFX_PASSWORD="$PW" "$T" import "$F"
done

# An EC private key without its optional public key (RFC 5915), as Java's
# keytool writes it: import derives the public key, and verify and import
# agree about the file. The fixture has the keytool shape without needing
# Java: `openssl ec -no_public`, then `openssl pkcs12 -export`, which keeps
# the key as it is (its PKCS#8 holds a 39-byte ECPrivateKey: version and the
# private value only).
# selfsigned KEY CERT CN: a new P-256 key in KEY and a self-signed node
# certificate for it, /O=Example/CN=CN, in CERT
selfsigned() {
    openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>"$OUT" &&
        openssl req -x509 -new -key "$1" -subj "/O=Example/CN=$3" -days 30 \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,digitalSignature,keyCertSign" \
            -addext "extendedKeyUsage=serverAuth,clientAuth" -out "$2" 2>>"$OUT"
}
NP=$work/nopub
mkdir -p "$NP/home"
selfsigned "$NP/full.key" "$NP/cert.pem" "nopub node" &&
    openssl ec -in "$NP/full.key" -no_public -out "$NP/nopub.key" 2>>"$OUT" &&
    openssl pkcs12 -export -inkey "$NP/nopub.key" -in "$NP/cert.pem" -passout env:PW -out "$NP/nopub.pfx" 2>>"$OUT" ||
    bad "nopub: making the fixture"
openssl pkcs12 -in "$NP/nopub.pfx" -passin env:PW -nodes -nocerts 2>/dev/null |
    sed -n '/BEGIN PRIVATE KEY/,/END PRIVATE KEY/p' | openssl asn1parse >"$OUT" 2>&1
grep -Eq "l= *39 prim: OCTET STRING" "$OUT" && ok "nopub: the fixture's key has no public key (keytool's shape)" ||
    bad "nopub: the fixture's key still has its public key"
run env SIPC_PFX_PASSWORD="$PW" "$T" --home "$NP/home" import "$NP/nopub.pfx"
expect "nopub: import takes an EC key without its public key" 0 "^imported .*nopub\.pfx" "key: +ECDSA P-256"
# node.crt carries the public key, the certificate's
A=$(openssl pkey -in "$NP/home/security/node.crt" -pubout 2>/dev/null | sha256sum)
B=$(openssl x509 -in "$NP/home/security/node.crt" -pubkey -noout 2>/dev/null | sha256sum)
[ -n "$A" ] && [ "$A" = "$B" ] && ok "nopub: node.crt's key has the certificate's public key" ||
    bad "nopub: node.crt's key and certificate differ"
run env SIPC_PFX_PASSWORD="$PW" "$T" --home "$NP/home" verify "$NP/nopub.pfx"
expect "nopub: verify of the imported file agrees with import" 0 "^VERIFIED$"
if command -v keytool >/dev/null; then
    for g in secp256r1 secp384r1; do
        KT=$work/kt-$g
        mkdir -p "$KT"
        keytool -genkeypair -alias node -keyalg EC -groupname "$g" -dname "O=Example, CN=kt $g" -validity 30 \
            -ext BC:c=ca:true -ext KU:c=digitalSignature,keyCertSign -ext EKU=serverAuth,clientAuth \
            -storetype PKCS12 -keystore "$KT/kt.p12" -storepass:env PW >"$OUT" 2>&1 || { bad "keytool $g: -genkeypair"; continue; }
        run env SIPC_PFX_PASSWORD="$PW" "$T" --home "$KT" import "$KT/kt.p12"
        expect "keytool $g: an EC keystore imports" 0 "^imported "
    done
else
    ok "keytool EC keystores [skipped: no keytool; apt-get install openjdk-17-jre-headless]"
fi

# A key bag whose PKCS#8 key is a multiple of 8 bytes long needs a whole block
# of padding (OpenSSL refused such bags from wolfSSL's own writer with "bad
# decrypt"). RSA-2048 keys hit that length often: create until one does.
p8len() { openssl pkcs12 -in "$1" -passin env:PW -nodes -nocerts 2>/dev/null |
    sed -n '/BEGIN PRIVATE KEY/,/END PRIVATE KEY/p' | grep -v -- ----- | base64 -d | wc -c; }
hit=
for i in $(seq 1 30); do
    F=$work/pad$i.pfx
    SIPC_PFX_PASSWORD=$PW "$T" create -site "$F" --key rsa-2048 --days 2 >"$OUT" 2>&1 || { bad "padding: tlstool create"; break; }
    n=$(p8len "$F")
    if [ "$n" = 0 ]; then
        bad "padding: OpenSSL cannot decrypt the key bag of an RSA key (attempt $i)"
        break
    fi
    if [ $((n % 8)) = 0 ]; then
        hit=$n
        break
    fi
done
[ -n "$hit" ] && ok "padding: OpenSSL decrypts a key bag whose PKCS#8 key is $hit bytes (a multiple of 8)"
[ -z "$hit" ] && [ "$fails" = 0 ] && ok "padding: no RSA key of a multiple of 8 bytes in 30 tries [not exercised this run]"

# A file the password does not protect is refused by every command that reads
# one, whatever password is given: without a MAC anyone on the file's way
# could have written it with a pair of their own; a key bag outside any
# encryption could have been read on the way. Exit 17, the reason and how to
# export it again.
UP=$work/unprot
mkdir -p "$UP/home"
selfsigned "$UP/k.key" "$UP/c.crt" "unprotected node" &&
    openssl pkcs12 -export -inkey "$UP/k.key" -in "$UP/c.crt" -passout env:PW -out "$UP/good.pfx" 2>>"$OUT" &&
    openssl pkcs12 -export -inkey "$UP/k.key" -in "$UP/c.crt" -passout env:PW -nomac -out "$UP/nomac.pfx" 2>>"$OUT" &&
    openssl pkcs12 -export -inkey "$UP/k.key" -in "$UP/c.crt" -passout env:PW -keypbe NONE -certpbe NONE -nomac \
        -out "$UP/plain.pfx" 2>>"$OUT" &&
    openssl pkcs12 -export -inkey "$UP/k.key" -in "$UP/c.crt" -passout env:PW -keypbe NONE \
        -out "$UP/plainkey.pfx" 2>>"$OUT" ||
    bad "unprotected: making the fixtures"
# the home holds another pair, so that rotate stage and trust add have one
SIPC_PFX_PASSWORD=$PW "$T" create -site "$UP/own.pfx" --days 30 >"$OUT" 2>&1 &&
    SIPC_PFX_PASSWORD=$PW "$T" --home "$UP/home" import "$UP/own.pfx" >"$OUT" 2>&1 || bad "unprotected: the home's pair"
NOMAC_RE="has no integrity check \(MAC\), so it cannot prove it was made with this password: export it again with a password"
PLAINKEY_RE="private key in the file is not encrypted .*export it again with the key encrypted by the password"
for f in nomac plain plainkey; do
    re=$NOMAC_RE
    [ "$f" = plainkey ] && re=$PLAINKEY_RE
    for pw in "$PW" 'Any-valid-pw1'; do
        run env SIPC_PFX_PASSWORD="$pw" "$T" --home "$UP/home" import --force "$UP/$f.pfx"
        if [ "$f" = plainkey ] && [ "$pw" != "$PW" ]; then
            # its MAC is checked first: another password does not match it
            expect "unprotected $f: import with another password: its MAC does not match" 5 "does not match"
        else
            expect "unprotected $f: import refuses it (password '$pw')" 17 "$f\.pfx: .*$re"
        fi
    done
    run env SIPC_PFX_PASSWORD="$PW" "$T" --home "$UP/home" verify "$UP/$f.pfx"
    expect "unprotected $f: verify FILE refuses it" 17 "$re"
    grep -q "VERIFIED" "$OUT" && ! grep -q "NOT VERIFIED" "$OUT" && bad "unprotected $f: verify says VERIFIED"
    run env SIPC_PFX_PASSWORD="$PW" "$T" --home "$UP/home" rotate stage "$UP/$f.pfx"
    expect "unprotected $f: rotate stage refuses it" 17 "$re"
    [ -e "$UP/home/security/staged" ] && bad "unprotected $f: rotate stage left security/staged"
    run env SIPC_PFX_PASSWORD="$PW" "$T" --home "$UP/home" trust add "$UP/$f.pfx"
    expect "unprotected $f: trust add refuses it" 17 "$re"
done
ls "$UP/home/security/trust" 2>/dev/null | grep -q . && bad "unprotected: trust add left a root in trust/"
# the same pair, exported with a MAC and an encrypted key, is taken
run env SIPC_PFX_PASSWORD="$PW" "$T" --home "$UP/home" import --force "$UP/good.pfx"
expect "unprotected: the same pair with a MAC and an encrypted key imports" 0 "^imported "
run env SIPC_PFX_PASSWORD='Any-valid-pw1' "$T" --home "$UP/home" verify "$UP/good.pfx"
expect "unprotected: the protected file with another password is a wrong password" 5 "does not match"

# PBMAC1 (RFC 9579; OpenSSL 3.4+ -pbmac1_pbkdf2) as the MAC's algorithm: the
# OpenSSL here cannot write one, so good.pfx's MAC algorithm (SHA-256, whose
# OID appears nowhere else in the file) is renamed PBMAC1 in place: said as
# what sipc does not read, with the export that works, not as damage
perl -0777 -pe '$n = s/\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01/\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x05\x0e/g;
    END { exit($n == 1 ? 0 : 1) }' "$UP/good.pfx" >"$UP/pbmac1.pfx" || bad "pbmac1: the MAC's OID is not in good.pfx once"
for cmd in "import --force" verify; do
    run env SIPC_PFX_PASSWORD="$PW" "$T" --home "$UP/home" $cmd "$UP/pbmac1.pfx"
    expect "pbmac1: $cmd names PBMAC1 and the export to use" 6 \
        "integrity check \(MAC\) is PBMAC1 \(RFC 9579.*which sipc does not read: export the pair again with \`openssl pkcs12 -export -macalg sha256\`"
done

shtest_done
