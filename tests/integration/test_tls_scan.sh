#!/usr/bin/env bash
# test_tls_scan.sh sslscan|testssl - audits a real sipcd TLS port (strict
# mode, 127.0.0.1, a pair made and installed with tlstool) with a standard
# scanner from Debian, and asserts what the scanner reports: TLS 1.2 only,
# only the ECDHE AEAD suites, no insecure renegotiation, no compression, no
# max_fragment_length or truncated_hmac answered, the node's certificate.
#
# sipc requires a client certificate, so without one no scanner gets past the
# handshake. sslscan 2.0.7 takes one (--certs/--pk): it runs once without
# (what an outsider sees) and once with the pair. testssl.sh 3.0.8 has no
# client-certificate option (--mtls came in 3.1): it notices the
# CertificateRequest and still reports protocols, suites, certificate,
# renegotiation and compression from its own ClientHellos and the server's
# answers; what it cannot test with client authentication it says so, and
# that is printed, not counted as a pass.
set -uo pipefail
SCANNER=${1:?usage: test_tls_scan.sh sslscan|testssl}
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init scan
note() { echo "# $*"; }

case "$SCANNER" in
sslscan) command -v sslscan >/dev/null || { echo "sslscan is not installed (cmake/deps.sh installs it)"; exit 1; } ;;
testssl) command -v testssl >/dev/null || { echo "testssl.sh is not installed (cmake/deps.sh installs it)"; exit 1; } ;;
*) echo "usage: test_tls_scan.sh sslscan|testssl"; exit 2 ;;
esac

# The suites sipc offers (transport/tls_wolfssl.c), by OpenSSL name and by
# IANA code as testssl.sh prints it.
AEAD_NAMES='ECDHE-(ECDSA|RSA)-(AES128-GCM-SHA256|AES256-GCM-SHA384|CHACHA20-POLY1305)'
AEAD_CODES='xc02b|xc02c|xc02f|xc030|xcca8|xcca9'

# --- a strict TLS node with a pair from tlstool ------------------------------
home="$work/home"
mkdir -p "$home"
printf '[node]\nid = scan\n[tls]\nmode = strict\n[data]\nport = 0\n[search]\nport = 0\n[management]\nport = 0\n[pipeline]\nport = 0\n' >"$home/sipc.conf"
export SIPC_PFX_PASSWORD=ScanPassW0rd784
subject="sipc scan $SCANNER $$"
tlstool() {
    out=$("$BIN/tlstool" --home "$home" "$@" 2>&1) || { echo "tlstool $1 failed:"; echo "$out"; exit 1; }
}
tlstool create -site "$work/pair.p12" --subject "CN=$subject"
tlstool import "$work/pair.p12"
tlstool enable
unset SIPC_PFX_PASSWORD
pair="$home/security/node.crt" # PEM: certificate, then the private key
fp=$(openssl x509 -in "$pair" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g')

sipcd_start "$home" || exit 1
pid=$sipcd_pid
port=$(sipcd_port "$home")
grep -q "Service.Start INFO TLS Port: $port$" "$home/logs/"DataService_*.log ||
    { echo "sipcd does not log 'TLS Port: $port'"; exit 1; }
note "$("$BIN/sipcd" --version)"
note "scanning sipcd (strict TLS) on 127.0.0.1:$port with $SCANNER"

# --- sslscan -----------------------------------------------------------------
# protocols OUTPUT-FILE WHAT: the protocol table says TLS 1.2 and nothing else.
sslscan_protocols() {
    local f=$1 what=$2 bad=""
    grep -Eq '^TLSv1\.2 +enabled' "$f" || bad="TLSv1.2 not enabled"
    for p in SSLv2 SSLv3 'TLSv1\.0' 'TLSv1\.1' 'TLSv1\.3'; do
        grep -Eq "^$p +disabled" "$f" || bad="$bad ${p//\\/} not disabled"
    done
    if [ -z "$bad" ]; then ok "sslscan $what: TLSv1.2 enabled; SSLv2, SSLv3, TLSv1.0, TLSv1.1, TLSv1.3 disabled"
    else not_ok "sslscan $what: protocols:$bad"; cat "$f"; fi
}
# The suites sslscan accepted, one per line ("Preferred|Accepted TLSv1.2 ... NAME").
sslscan_suites() { grep -E '^(Preferred|Accepted) ' "$1" | awk '{print $2, $5}'; }

if [ "$SCANNER" = sslscan ]; then
    # Without a client certificate: what anyone on the network sees.
    timeout 60 sslscan --no-colour 127.0.0.1:"$port" >"$work/anon.out" 2>&1
    note "sslscan without a client certificate:"; sed 's/^/#   /' "$work/anon.out"
    sslscan_protocols "$work/anon.out" "without a client certificate"
    if [ -z "$(sslscan_suites "$work/anon.out")" ]; then
        ok "sslscan without a client certificate: no suite completes a handshake (client certificate required)"
    else
        not_ok "sslscan without a client certificate got suites accepted"; sslscan_suites "$work/anon.out"
    fi

    # With the cluster's pair: the full audit.
    timeout 60 sslscan --no-colour --show-certificate --certs="$pair" --pk="$pair" \
        127.0.0.1:"$port" >"$work/mtls.out" 2>&1
    note "sslscan with the cluster's pair:"; sed 's/^/#   /' "$work/mtls.out"
    sslscan_protocols "$work/mtls.out" "with the pair"
    suites=$(sslscan_suites "$work/mtls.out")
    others=$(grep -Ev "^TLSv1\.2 $AEAD_NAMES\$" <<<"$suites")
    if [ -n "$suites" ] && [ -z "$others" ]; then
        ok "sslscan with the pair: only ECDHE AEAD suites over TLS 1.2: $(awk '{print $2}' <<<"$suites" | tr '\n' ' ')"
    else
        not_ok "sslscan with the pair: suites other than TLS 1.2 ECDHE AEAD (or none): ${others:-none accepted}"
    fi
    if grep -q "Insecure session renegotiation supported" "$work/mtls.out" ||
        ! grep -Eq "Session renegotiation not supported|Secure session renegotiation supported" "$work/mtls.out"; then
        not_ok "sslscan: renegotiation: $(grep -A1 'TLS renegotiation' "$work/mtls.out" | tail -n1)"
    else
        ok "sslscan: no insecure renegotiation ($(grep -A1 'TLS renegotiation' "$work/mtls.out" | tail -n1))"
    fi
    # Debian's sslscan is linked against an OpenSSL without zlib: it cannot
    # offer compression and says so; testssl.sh checks it (CRIME) instead.
    compression=$(grep -A1 'TLS Compression' "$work/mtls.out" | tail -n1)
    case "$compression" in
    "Compression disabled") ok "sslscan: compression disabled" ;;
    "Compression enabled"*) not_ok "sslscan: the server accepts TLS compression" ;;
    *) note "sslscan could not test compression ($compression); testssl.sh's CRIME check does" ;;
    esac
    if grep -q "^TLSv1.2 not vulnerable to heartbleed" "$work/mtls.out" &&
        ! grep -i "vulnerable to heartbleed" "$work/mtls.out" | grep -vq "not vulnerable"; then
        ok "sslscan: not vulnerable to heartbleed"
    else
        not_ok "sslscan: heartbleed: $(grep -i heartbleed "$work/mtls.out" | tail -n1)"
    fi
    # The certificate it was shown is the node's.
    got=$(sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' "$work/mtls.out" |
        openssl x509 -noout -fingerprint -sha256 2>/dev/null | sed 's/.*=//; s/://g')
    if [ -n "$got" ] && [ "$got" = "$fp" ] && grep -q "^Subject: *$subject\$" "$work/mtls.out"; then
        ok "sslscan: the certificate is the node's (CN=$subject, SHA-256 $fp)"
    else
        not_ok "sslscan: certificate: got '${got:-none}', want $fp"
    fi
fi

# --- testssl.sh --------------------------------------------------------------
# The flat JSON as "id<TAB>finding" lines.
testssl_findings() {
    awk -F'"' '/"id" *:/ {id=$4} /"finding" *:/ {print id "\t" $4}' "$1"
}
finding() { awk -F'\t' -v id="$1" '$1 == id {print $2}' "$work/findings"; }

if [ "$SCANNER" = testssl ]; then
    # -p protocols, -E suites per protocol, -S certificate, -R renegotiation,
    # -C compression (CRIME), -H heartbleed. No DNS: the target is loopback.
    timeout 150 testssl --quiet --color 0 --warnings off --nodns none \
        --connect-timeout 10 --openssl-timeout 10 -p -E -S -R -C -H \
        --jsonfile "$work/testssl.json" 127.0.0.1:"$port" >"$work/testssl.out" 2>&1
    note "testssl.sh:"; sed 's/^/#   /' "$work/testssl.out"
    testssl_findings "$work/testssl.json" >"$work/findings"
    [ -s "$work/findings" ] || { not_ok "testssl.sh wrote no findings"; }

    if finding service | grep -q "certificate-based authentication"; then
        ok "testssl.sh sees that a client certificate is required"
    else
        not_ok "testssl.sh service: $(finding service)"
    fi
    bad=""
    [ "$(finding TLS1_2)" = offered ] || bad="TLS 1.2: '$(finding TLS1_2)'"
    for p in SSLv2 SSLv3 TLS1 TLS1_1 TLS1_3; do
        case "$(finding $p)" in "not offered"*) ;; *) bad="$bad $p: '$(finding $p)'" ;; esac
    done
    if [ -z "$bad" ]; then ok "testssl.sh: TLS 1.2 offered; SSLv2, SSLv3, TLS 1, TLS 1.1, TLS 1.3 not offered"
    else not_ok "testssl.sh protocols:$bad"; fi

    suites=$(awk -F'\t' '$1 ~ /^cipher-/ {print $1}' "$work/findings")
    others=$(grep -Ev "^cipher-tls1_2_($AEAD_CODES)\$" <<<"$suites")
    if [ -n "$suites" ] && [ -z "$others" ]; then
        ok "testssl.sh: only ECDHE AEAD suites over TLS 1.2: $(sed 's/cipher-tls1_2_//' <<<"$suites" | tr '\n' ' ')"
    else
        not_ok "testssl.sh suites other than TLS 1.2 ECDHE AEAD (or none): ${others:-none found}"
    fi
    if [ "$(finding secure_renego)" = supported ]; then
        ok "testssl.sh: secure renegotiation (RFC 5746) supported, so no insecure renegotiation"
    else
        not_ok "testssl.sh secure_renego: '$(finding secure_renego)'"
    fi
    case "$(finding secure_client_renego)" in
    *VULNERABLE* | *vulnerable*) not_ok "testssl.sh client-initiated renegotiation: $(finding secure_client_renego)" ;;
    *) note "testssl.sh client-initiated renegotiation: $(finding secure_client_renego)" ;;
    esac
    # the extensions the server answers: none a TLS 1.2 mTLS node does not
    # need (the bundled wolfSSL is built without the others: docs/protocol.md
    # section 2)
    exts=$(finding TLS_extensions)
    if [ -z "$exts" ]; then
        not_ok "testssl.sh reported no TLS extensions"
    elif grep -Eqi "max fragment length|truncated HMAC|encrypt-then-mac|server name|application layer" <<<"$exts"; then
        not_ok "testssl.sh: the server answers extensions it does not need: $exts"
    else
        ok "testssl.sh: TLS extensions answered: $exts"
    fi
    if [ "$(finding CRIME_TLS)" = "not vulnerable" ]; then
        ok "testssl.sh: no TLS compression (CRIME: not vulnerable)"
    else
        not_ok "testssl.sh CRIME_TLS: '$(finding CRIME_TLS)'"
    fi
    if [ "$(finding heartbleed)" = "not vulnerable, no heartbeat extension" ] ||
        finding heartbleed | grep -q "^not vulnerable"; then
        ok "testssl.sh: heartbleed: $(finding heartbleed)"
    else
        not_ok "testssl.sh heartbleed: '$(finding heartbleed)'"
    fi
    if [ "$(finding cert_fingerprintSHA256)" = "$fp" ] && [ "$(finding cert_commonName)" = "$subject" ]; then
        ok "testssl.sh: the certificate is the node's (CN=$subject, SHA-256 $fp)"
    else
        not_ok "testssl.sh certificate: '$(finding cert_commonName)' $(finding cert_fingerprintSHA256), want $fp"
    fi
fi

# The scan must not have hurt the node.
if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"; wait "$pid"; rc=$?; pid=""
    if [ "$rc" = 0 ]; then ok "sipcd survived the scan and stopped cleanly"; else not_ok "sipcd exit $rc after the scan"; fi
else
    wait "$pid"; rc=$?; pid=""
    not_ok "sipcd died during the scan (exit $rc)"; cat "$home.out"
fi

shtest_done
