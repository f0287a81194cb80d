#!/bin/bash
# test_pkcs12_interop.sh TLSTOOL - the PKCS#12 files `tlstool create` writes
# are read as a key entry by every tool: OpenSSL 3 (default and -legacy),
# Java keytool (when installed), and tlstool import. The leaf's certificate
# and key bags must carry the same localKeyID (the SHA-1 of the certificate)
# and a friendlyName: OpenSSL's -clcerts and keytool pair key and
# certificate by it. Passwords reach openssl/keytool only via env:.
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

shtest_done
