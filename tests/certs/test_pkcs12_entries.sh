#!/bin/bash
# test_pkcs12_entries.sh TLSTOOL MAKER - which entries of a PKCS#12 file
# become the pair, and what a self-signed pair needs to be the cluster's,
# with files made by MAKER at test time:
#   openssl  (always) `openssl pkcs12 -export`, two such files joined into
#            one with two keys by pfx_join.py, organisation files made by
#            openssl_pki.sh
#   keytool  Java keystores as an operator makes them (exit 77, ctest's
#            skip, without keytool: the openssl run covers the same cases)
# - a file holding two private keys is refused by every command that takes a
#   pair from one (exit 9), naming both entries and how to export one, and
#   the home is left as it was; the same key twice is one key;
# - a certificate outside the leaf's issuing chain is left out with a
#   warning naming it: not in node.crt (so not sent to peers), not counted
#   in the summary or by verify, and never trusted (an unrelated root in an
#   organisation file would otherwise vouch for anything it issued); another
#   certificate of a CA of the chain is kept;
# - a self-signed pair without the extended key usage serverAuth+clientAuth
#   (keytool's defaults) is refused by enable with what it lacks and the
#   recipe, not as a "certificate authority" to `trust remove`; the recipe
#   (as docs/tlstool.md gives it) imports and enables.
set -u
T=${1:?usage: test_pkcs12_entries.sh TLSTOOL openssl|keytool}
MAKER=${2:?usage: test_pkcs12_entries.sh TLSTOOL openssl|keytool}
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(cd "$(dirname "$T")" && pwd)/$(basename "$T") # the test works in its folder
if [ "$MAKER" = keytool ] && ! command -v keytool >/dev/null; then
    echo "# skipped: no keytool (apt-get install openjdk-17-jre-headless); test_pkcs12_entries covers the same cases with openssl"
    exit 77
fi
. "$HERE/../support/shtest.sh"
shtest_init "pkcs12_entries_$MAKER"
unset SIPC_HOME SIPC_PFX_PASSWORD
export PW='Entries-Passw0rd'
export SIPC_PFX_PASSWORD=$PW
P=$work/files
mkdir -p "$P"
cd "$P" || exit 1

# state HOME: what a refused command must leave as it was
state() { find "$1" -printf '%p %m %s %T@\n' 2>/dev/null | sort; sha256sum "$1"/security/*.* 2>/dev/null; }
# certs FILE: how many certificates a PEM file holds
certs() { grep -c 'BEGIN CERTIFICATE' "$1"; }
# newhome NAME [SUBJECT]: an empty home $H, with [tls] subject when given
newhome() {
    H=$work/$1
    mkdir -p "$H"
    [ -z "${2:-}" ] || printf '[tls]\nsubject = %s\n' "$2" >"$H/sipc.conf"
}

# --- the files ----------------------------------------------------------------
# pair: two unrelated self-signed pairs shaped as `tlstool create` makes them;
# two: both keys in one file, entries (friendly names, keytool's aliases)
# 'node' and 'second'; plain: a pair with none of the extensions (keytool's
# defaults); cacert: CA:TRUE without the extended key usage (openssl req -x509
# without -addext); recipe: made as docs/tlstool.md says
if [ "$MAKER" = openssl ]; then
    . "$HERE/openssl_pki.sh"
    node_ext
    printf '[pair]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature,keyCertSign\nextendedKeyUsage=serverAuth,clientAuth\n' >>ext.cnf
    printf '[plain]\nsubjectKeyIdentifier=hash\n[cacert]\nbasicConstraints=critical,CA:TRUE\nsubjectKeyIdentifier=hash\n' >>ext.cnf
    # export NAME ENTRY [CERTFILE]: NAME.p12 of NAME.key and NAME.pem
    export_pair() {
        openssl pkcs12 -export -inkey "$1.key" -in "$1.pem" -name "$2" ${3:+-certfile "$3"} \
            -passout env:PW -out "$1.p12" 2>/dev/null
    }
    selfsign node "/CN=entries node" pair && selfsign second "/CN=entries second" pair &&
        selfsign plain "/CN=entries plain" plain && selfsign cacert "/CN=entries cacert" cacert &&
        export_pair node node && export_pair second second && export_pair plain plain &&
        export_pair cacert cacert &&
        python3 "$HERE/pfx_join.py" two.p12 node.p12 second.p12 &&
        python3 "$HERE/pfx_join.py" same.p12 node.p12 node.p12 &&
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout recipe.key \
            -out recipe.pem -days 400 -subj "/CN=entries recipe" \
            -addext extendedKeyUsage=serverAuth,clientAuth 2>/dev/null &&
        export_pair recipe recipe || { echo "not ok - making the openssl files"; exit 1; }
    # an unrelated self-signed certificate given to -certfile
    cp node.key extra.key && cp node.pem extra.pem && export_pair extra extra second.pem ||
        { echo "not ok - making extra.p12"; exit 1; }
    # an organisation file with its chain, another key of its root (kept:
    # a CA of the chain) and another organisation's root (left out)
    selfsign root "/O=Example/CN=Entries Root CA" ca && selfsign root2 "/O=Example/CN=Entries Root CA" ca &&
        issue int "/O=Example/CN=Entries Intermediate CA" root int &&
        issue leaf "/O=Example/CN=sipc entries" int leaf &&
        selfsign oroot "/O=Other/CN=Other Root CA" ca && issue oleaf "/O=Example/CN=sipc entries" oroot leaf &&
        cat oroot.pem root2.pem root.pem int.pem >others.pem && export_pair leaf leaf others.pem &&
        cat oleaf.pem oroot.pem >oleaf-chain.pem || { echo "not ok - making the organisation files"; exit 1; }
    TWO_NAMES="'node', 'second'"
else
    # kt STORE ALIAS CN [-ext...]: a key pair entry ALIAS in STORE.p12
    kt() {
        local store=$1 alias=$2 cn=$3
        shift 3
        keytool -genkeypair -storetype PKCS12 -keystore "$store.p12" -storepass:env PW -alias "$alias" \
            -keyalg EC -groupname secp256r1 -dname "CN=$cn" -validity 400 "$@" >>"$OUT" 2>&1 ||
            { echo "keytool -genkeypair $store $alias $*: exit $?" >>"$OUT"; return 1; }
    }
    RECIPE=(-ext KU=digitalSignature,keyCertSign -ext EKU=serverAuth,clientAuth -ext BC=ca:true)
    kt two node "entries node" "${RECIPE[@]}" && kt two second "entries second" "${RECIPE[@]}" &&
        kt plain node "entries plain" && kt cacert node "entries cacert" -ext BC=ca:true &&
        kt recipe node "entries recipe" "${RECIPE[@]}" &&
        keytool -genkeypair -storetype PKCS12 -keystore recipe-rsa.p12 -storepass:env PW -alias node \
            -keyalg RSA -keysize 2048 -dname "CN=entries recipe rsa" -validity 400 "${RECIPE[@]}" >>"$OUT" 2>&1 ||
        { bad "making the keystores"; exit 1; }
    TWO_NAMES="'node', 'second'"
fi

# --- two private keys -----------------------------------------------------------
KEYS_RE="two\.p12: the file holds 2 private keys \(friendly names, keytool's aliases: $TWO_NAMES\), and sipc takes one key pair: which is meant cannot be told\. Export that pair alone .*keytool -importkeystore -srckeystore FILE -srcstoretype PKCS12 -srcalias NAME "
newhome empty
run "$T" --home "$H" import "$P/two.p12"
expect "two keys: import refuses the file, naming both entries and the export" 9 "$KEYS_RE"
[ -e "$H/security" ] && bad "two keys: import into an empty home made security/"
# over an installed pair: nothing changes, whatever reads the file
newhome installed
"$T" --home "$H" import "$P/$([ "$MAKER" = openssl ] && echo node || echo recipe).p12" >"$OUT" 2>&1 ||
    bad "two keys: the home's own pair"
before=$(state "$H")
for cmd in "import --force" "verify" "rotate stage" "trust add"; do
    run "$T" --home "$H" $cmd "$P/two.p12"
    expect "two keys: $cmd refuses it (exit 9)" 9 "$KEYS_RE"
done
[ "$(state "$H")" = "$before" ] && ok "two keys: the home is as it was (files, modes, sizes, times)" ||
    bad "two keys: the home changed"
# the export the message gives, of one entry, imports
if [ "$MAKER" = keytool ]; then
    run keytool -importkeystore -srckeystore two.p12 -srcstoretype PKCS12 -srcalias second \
        -destkeystore one.p12 -deststoretype PKCS12 -srcstorepass:env PW -deststorepass:env PW
    [ "$RC" = 0 ] || bad "two keys: keytool -importkeystore -srcalias second"
    newhome one
    run "$T" --home "$H" import "$P/one.p12"
    expect "two keys: the entry exported alone as the message says imports" 0 "subject: +CN=entries second"
else
    newhome same
    run "$T" --home "$H" import "$P/same.p12"
    expect "the same key twice in one file is one key: imported" 0 "subject: +CN=entries node"
    grep -q "warning" "$OUT" && bad "the same key twice: a warning (its certificate twice is a copy)"
    [ "$(certs "$H/security/node.crt")" = 1 ] && ok "the same key twice: node.crt holds the certificate once" ||
        bad "the same key twice: node.crt holds $(certs "$H/security/node.crt") certificates"
fi

# --- certificates outside the chain (openssl: -certfile) ---------------------------
if [ "$MAKER" = openssl ]; then
    newhome extra
    run "$T" --home "$H" import "$P/extra.p12"
    expect "unrelated certificate: imported, the certificate named as left out" 0 \
        "^warning: .*extra\.p12: certificate 'CN=entries second' \(SHA-256 [0-9a-f]{16}\.\.\.\) is left out of the pair: it is not in the chain of the pair's certificate"
    grep -q "chain:" "$OUT" && bad "unrelated certificate: the summary counts a chain"
    [ "$(certs "$H/security/node.crt")" = 1 ] && ok "unrelated certificate: not in node.crt (not sent to peers)" ||
        bad "unrelated certificate: node.crt holds $(certs "$H/security/node.crt") certificates"
    run "$T" --home "$H" verify
    expect "unrelated certificate: verify counts the leaf only" 0 "verifying .*\(1 certificate\(s\)\)" "^VERIFIED$"
    run "$T" --home "$H" verify "$P/second.pem"
    expect "unrelated certificate: not trusted" 32
    run "$T" --home "$H" verify "$P/extra.p12"
    expect "unrelated certificate: verify FILE says it is left out" 0 "warning: .*extra\.p12: certificate 'CN=entries second' .* left out"

    newhome org "CN=sipc entries, O=Example"
    run "$T" --home "$H" import "$P/leaf.p12"
    expect "organisation file: the other organisation's root left out" 0 \
        "warning: .*leaf\.p12: certificate 'O=Other, CN=Other Root CA' .* is left out of the pair" \
        "chain: +3 more certificate\(s\)"
    [ "$(grep -c 'left out' "$OUT")" = 1 ] && ok "organisation file: only that root is left out (the other key of its root is kept)" ||
        bad "organisation file: $(grep -c 'left out' "$OUT") certificates left out"
    [ "$(certs "$H/security/node.crt")" = 4 ] && ok "organisation file: node.crt holds the leaf, its chain and its root's other key" ||
        bad "organisation file: node.crt holds $(certs "$H/security/node.crt") certificates"
    run "$T" --home "$H" verify "$P/oleaf-chain.pem"
    expect "organisation file: what the root left out issued is not trusted" 22
    newhome orgtrust "CN=sipc entries, O=Example"
    run "$T" --home "$H" trust add "$P/leaf.p12"
    expect "organisation file: trust add takes its roots, not the one left out" 0 \
        "trusting its root only \(2 of its 4 certificates" "trusted: O=Example, CN=Entries Root CA"
    grep -q "Other Root CA" "$H"/security/trust/*.pem 2>/dev/null && bad "organisation file: trust add trusted the root left out"
    [ "$(ls "$H/security/trust" | wc -l)" = 2 ] && ok "organisation file: trust/ holds the two keys of its root" ||
        bad "organisation file: trust/ holds $(ls "$H/security/trust" | wc -l) files"
fi

# --- a self-signed pair without the extended key usage -------------------------------
PLAIN_RE="key pair 'CN=entries plain' \(own pair\) is self-signed without the extended key usage serverAuth\+clientAuth, so sipc cannot pin it as the cluster's pair \(it is no CA: it has no basicConstraints CA:TRUE\)\. Make it again as \`tlstool create\` does: \`keytool -genkeypair \.\.\. -ext KU=digitalSignature,keyCertSign -ext EKU=serverAuth,clientAuth -ext BC=ca:true\` or \`openssl req -x509 \.\.\. -addext extendedKeyUsage=serverAuth,clientAuth\`, and use that one"
CACERT_RE="key pair 'CN=entries cacert' \(own pair\) is a self-signed CA \(basicConstraints CA:TRUE\) without the extended key usage serverAuth\+clientAuth, so sipc cannot pin it as the cluster's pair: with no \[tls\] subject set, every certificate it issued would pass as a node\. .*for an organisation's CA, set \[tls\] subject"
for c in plain cacert; do
    re=$PLAIN_RE
    [ $c = cacert ] && re=$CACERT_RE
    newhome "$c"
    run "$T" --home "$H" import "$P/$c.p12"
    expect "$c: import says what the pair lacks" 0 "^warning: TLS will not start with this pair yet: this home's $re"
    run "$T" --home "$H" enable
    expect "$c: enable refuses it, saying what it lacks and the fix" 3 "TLS not enabled: this home's $re"
    grep -q "trust remove" "$OUT" && bad "$c: enable offers trust remove, which does not apply to a pair"
    [ $c = plain ] && grep -q "certificate authority" "$OUT" && bad "$c: a pair that issued nothing called a certificate authority"
done
run "$T" --home "$work/installed" rotate stage "$P/plain.p12"
expect "plain: rotate stage refuses it in the same words" 3 "plain\.p12: not staged: .*this home's $PLAIN_RE"
[ -e "$work/installed/security/staged" ] && bad "plain: rotate stage left security/staged"
for c in recipe recipe-rsa; do
    [ -f "$P/$c.p12" ] || continue
    newhome "$c"
    run "$T" --home "$H" import "$P/$c.p12"
    expect "$c: the pair made as the docs say imports" 0 "^imported "
    grep -q "^warning" "$OUT" && bad "$c: import warns"
    run "$T" --home "$H" enable
    expect "$c: ... and enables" 0 "TLS enabled"
done

shtest_done
