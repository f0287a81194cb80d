# shellcheck shell=bash
# openssl_pki.sh - the openssl commands that make a throwaway PKI for the
# certificate tests; sourced by mkpki.sh and rfc5280_pki.sh. Run from inside
# the PKI folder, which holds ext.cnf (the extension sections the caller
# writes) and, optionally, crl_ext.cnf (CRL extension sections for gencrl).
# Every key and file stays in that folder; openssl's own chatter is dropped.
#
#   key FILE [ALGORITHM OPTION]   a private key (default EC P-256)
#   selfsign NAME SUBJ EXT        a self-signed CA: NAME.pem (NAME.key made
#                                 when missing)
#   issue NAME SUBJ CA EXT [LINES]   NAME.pem signed by CA.pem/CA.key with
#                                 the section EXT of ext.cnf, plus extension
#                                 LINES when given
#   mkca NAME [FIRST_CRL_NUMBER]  an openssl ca database for NAME's CRLs
#                                 (CRL numbers from hex 0a by default)
#   gencrl CA OUT [SECTION]       a CRL of CA, with the CRL extensions SECTION
#   revoke CA CERT [REASON]       marks CERT.pem revoked in CA's database
#   node_ext                      writes ext.cnf with a root's section [ca],
#                                 a node certificate's [leaf] and an
#                                 intermediate's [int] (pathlen 0)
#   node_pfx NAME CA              NAME.pfx: NAME.key and NAME.pem with
#                                 CA.pem, under $SIPC_PFX_PASSWORD
#
# Variables read by the calls: DAYS (validity; issue 400, selfsign 3650),
# MD (signature hash, sha256), AT (a date: the command runs under faketime
# with its clock stopped there), REQOPT (more options for the certificate
# request), CRL_DAYS.

# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/../support/faketime.sh"
# _pki_at COMMAND...: COMMAND, under faketime when AT is set. The clock
# stands still at AT (libfaketime's absolute form): "@AT" starts it at AT
# and lets it run, so the dates written were AT plus however long openssl
# took to start, a second or more on a loaded machine, and a test that
# reads them to the second (test_tlstool's status of the future pair)
# failed now and then.
_pki_at() {
    if [ -n "${AT:-}" ]; then faketime_run "$AT" "$@"; else "$@"; fi
}
key() {
    openssl genpkey -algorithm "${2:-EC}" -pkeyopt "${3:-ec_paramgen_curve:P-256}" -out "$1" 2>/dev/null
}
selfsign() {
    local name=$1 subj=$2 ext=$3
    [ -f "$name.key" ] || key "$name.key"
    openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr" 2>/dev/null &&
        _pki_at openssl x509 -req -in "$name.csr" -signkey "$name.key" -days "${DAYS:-3650}" \
            -"${MD:-sha256}" -extfile ext.cnf -extensions "$ext" -out "$name.pem" 2>/dev/null ||
        { echo "openssl_pki: cannot make $name" >&2; return 1; }
}
issue() {
    local name=$1 subj=$2 ca=$3 ext=$4 extra=${5:-} extfile=ext.cnf
    [ -f "$name.key" ] || key "$name.key"
    # shellcheck disable=SC2086
    openssl req -new -key "$name.key" -subj "$subj" ${REQOPT:-} -out "$name.csr" 2>/dev/null
    if [ -n "$extra" ]; then
        # the section EXT with the extra lines, as section x_ext; then the
        # sections the extensions may refer to
        { printf '[x_ext]\n'; sed -n "/^\[$ext\]/,/^\[/p" ext.cnf | sed '1d;/^\[/d'; printf '%b\n' "$extra"
            sed -n '/^\[nc_dir\]/,$p' ext.cnf; } >"$name.ext"
        extfile=$name.ext ext=x_ext
    fi
    _pki_at openssl x509 -req -in "$name.csr" -CA "$ca.pem" -CAkey "$ca.key" -CAcreateserial \
        -days "${DAYS:-400}" -"${MD:-sha256}" -extfile "$extfile" -extensions "$ext" -out "$name.pem" 2>/dev/null ||
        { echo "openssl_pki: cannot issue $name" >&2; return 1; }
}
mkca() {
    mkdir -p "ca-$1"
    : >"ca-$1/index.txt"
    echo "${2:-0a}" >"ca-$1/crlnumber"
    {
        printf '[ca]\ndefault_ca = c\n[c]\n'
        printf 'database = %s\ncrlnumber = %s\n' "$PWD/ca-$1/index.txt" "$PWD/ca-$1/crlnumber"
        printf 'certificate = %s\nprivate_key = %s\n' "$PWD/$1.pem" "$PWD/$1.key"
        printf 'default_md = sha256\ndefault_crl_days = 30\n'
        [ ! -f crl_ext.cnf ] || cat crl_ext.cnf
    } >"ca-$1/ca.cnf"
}
# (once in a CI run of 191 tests, under faketime on a loaded machine, it
# failed without a reproducible cause: it says openssl's words and tries
# once more)
gencrl() {
    local i
    for i in 1 2; do
        _pki_at openssl ca -config "ca-$1/ca.cnf" -gencrl ${3:+-crlexts "$3"} \
            ${CRL_DAYS:+-crldays "$CRL_DAYS"} -out "$2" 2>"$2.err" && { rm -f "$2.err"; return 0; }
        echo "openssl_pki: cannot make $2 (try $i): $(head -c 400 "$2.err")" >&2
    done
    return 1
}
revoke() {
    openssl ca -config "ca-$1/ca.cnf" -revoke "$2.pem" -crl_reason "${3:-keyCompromise}" >/dev/null 2>&1
}
node_ext() {
    printf '[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n[leaf]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n[int]\nbasicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' >ext.cnf
}
node_pfx() {
    openssl pkcs12 -export -inkey "$1.key" -in "$1.pem" -certfile "$2.pem" \
        -passout env:SIPC_PFX_PASSWORD -out "$1.pfx" 2>/dev/null ||
        { echo "openssl_pki: cannot export $1.pfx" >&2; return 1; }
}
