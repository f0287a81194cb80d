#!/usr/bin/env bash
# test_tls_foreign_hellos.sh - what a TLS client that is not sipc's is
# answered, and what the node logs, for the hellos sipc's own client never
# sends: a real sipcd ($BASE.1, standard ports, strict TLS, the ECDSA pair of
# tlstool create), OpenSSL's s_client from $BASE.5 and $BASE.9 to .11, and
# hand-made hellos from $BASE.6 to .8.
# - the CertificateRequest asks only for what sipc verifies: no signature
#   algorithm with SHA-1 or SHA-224 (wolfSSL's default list named RSA+SHA224,
#   and refused a client that took it);
# - a client without TLS 1.2 (only TLS 1.0, 1.1 or 1.3) gets the alert
#   protocol_version (RFC 5246 7.2.2, RFC 8446 4.2.1), not handshake_failure;
# - a client listing P-384 before P-256 gets P-256, as protocol.md says;
# - a ClientHello larger than wolfSSL takes (its header announcing 16 MiB, or
#   20,000 bytes sent whole) is logged in sipc's words, with its size, not as
#   a wolfSSL error code (and answered with illegal_parameter), and an SSLv2
#   ClientHello is named as one;
# - a malformed ClientHello (a session id of 33 bytes, extensions overrunning
#   it) gets decode_error and a ServerHello sent to the node
#   unexpected_message (wolfSSL closes on them without an alert), and the log
#   says in sipc's words what was wrong, wolfSSL's code after.
# Skipped (77) without openssl. Budget: under 60 s (about 5 s).
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.174}
. "$(dirname "$0")/../support/shtest.sh"
command -v openssl >/dev/null || { echo "# skipped: openssl is not installed"; exit 77; }
shtest_init foreignhellos
need_free "$BASE.1":{23000,23001,23002,23003}

one_node_home "$work/a" foreign
pair_home "$work/a" && "$BIN/tlstool" --home "$work/a" enable --mode strict >/dev/null ||
    { echo "tlstool set-up failed"; exit 1; }
sipcd_start "$work/a" || exit 1
node_pid=$sipcd_pid
at_exit 'kill -KILL $node_pid 2>/dev/null'
pair="$work/a/security/node.crt" # PEM: certificate, then the private key
dlog=$(ls "$work/a/logs/"DataService_*.log)

# sclient NAME ARGS...: s_client from $BASE.5 (from=$BASE.N: from there)
# to the data port, with the pair; its output in $work/NAME.out
sclient() {
    local name=$1
    shift
    timeout 20 openssl s_client -connect "$BASE.1:23000" -bind "${from:-$BASE.5}:0" \
        -cert "$pair" -key "$pair" "$@" </dev/null >"$work/$name.out" 2>&1
}

# --- the signature algorithms a CertificateRequest asks for ------------------
sclient sigalgs -tls1_2
asked=$(sed -n 's/^Requested Signature Algorithms: //p' "$work/sigalgs.out")
if [ -z "$asked" ]; then
    not_ok "s_client printed no requested signature algorithms"; shtest_show "$work/sigalgs.out"
elif echo "$asked" | grep -Eq "SHA224|SHA1"; then
    not_ok "the CertificateRequest asks for SHA-1 or SHA-224: $asked"
else
    ok "the CertificateRequest asks for SHA-256 or stronger only: $asked"
fi
grep -Eq "Protocol *: TLSv1.2" "$work/sigalgs.out" && ok "... and the handshake completes" ||
    { not_ok "the handshake with the pair failed"; shtest_show "$work/sigalgs.out"; }

# --- the key-exchange group: P-256 whenever offered (docs/protocol.md section 2)
sclient groups -tls1_2 -groups P-384:P-256
grep -q "Server Temp Key: ECDH, prime256v1" "$work/groups.out" &&
    ok "a client listing P-384 before P-256 gets its ECDHE on P-256 (the server's preference)" ||
    { not_ok "-groups P-384:P-256: not P-256"; grep -a "Temp Key" "$work/groups.out"; }

# --- no TLS 1.2 offered: protocol_version ------------------------------------
# each from a host of its own, $BASE.9 to .11: a host's failed connections
# get a few lines per 10 s whatever their reasons (docs/architecture.md 9)
n=9
for v in tls1 tls1_1 tls1_3; do
    from=$BASE.$n sclient "$v" "-$v" -cipher 'DEFAULT:@SECLEVEL=0'
    n=$((n + 1))
    if grep -aq "alert protocol version" "$work/$v.out"; then
        ok "s_client -$v gets the alert protocol_version"
    else
        not_ok "s_client -$v: no alert protocol_version"; shtest_show "$work/$v.out"
    fi
done
n=9
for v in 1.0 1.1 1.3; do
    grep -q "Connection from $BASE\.$n:[0-9]* closed: .*peer does not offer TLS 1.2 (it offers up to TLS $v): sipc speaks TLS 1.2 only" "$dlog" &&
        ok "the log: a client offering up to TLS $v is told sipc speaks TLS 1.2 only" ||
        { not_ok "the log: no line for the client offering up to TLS $v"; shtest_show "$dlog"; }
    n=$((n + 1))
done

# --- an oversized ClientHello, an SSLv2 ClientHello ----------------------------
# hello SOURCE-HOST KIND: sends one such hello from SOURCE-HOST and reads
# until the node closes (bounded: 5 s)
hello() {
    python3 - "$BASE.1" "$1" "$2" <<'PY'
import socket, sys
dst, src, kind = sys.argv[1:4]
def record(body):  # TLS 1.2 handshake records of at most 2^14 bytes each
    return b"".join(b"\x16\x03\x01" + len(body[i:i + 16384]).to_bytes(2, "big") + body[i:i + 16384]
                    for i in range(0, len(body), 16384))
hello_body = b"\x03\x03" + bytes(32) + b"\x00" + b"\x00\x02\xc0\x2b" + b"\x01\x00"
if kind == "announced":  # a header announcing 16 MiB - 1, then 1,000 bytes of it
    data = record(b"\x01\xff\xff\xff" + hello_body + bytes(1000))
elif kind == "whole":  # 20,000 bytes sent whole: a padding extension fills it
    pad = 20000 - 4 - len(hello_body) - 2 - 4
    body = hello_body + (pad + 4).to_bytes(2, "big") + b"\x00\x15" + pad.to_bytes(2, "big") + bytes(pad)
    data = record(b"\x01" + len(body).to_bytes(3, "big") + body)
elif kind == "sslv2":  # RFC 6101 E.2: a 2-byte length, top bit set; type 1, version 3,1
    v2 = b"\x01\x03\x01\x00\x03\x00\x00\x00\x10" + b"\x00\xc0\x2b" + bytes(16)
    data = (0x8000 | len(v2)).to_bytes(2, "big") + v2
elif kind == "sid33":  # a session id of 33 bytes (at most 32)
    body = b"\x03\x03" + bytes(32) + b"\x21" + bytes(33) + b"\x00\x02\xc0\x2b\x01\x00"
    data = record(b"\x01" + len(body).to_bytes(3, "big") + body)
elif kind == "extlen":  # an extensions block announced longer than what follows
    body = hello_body + b"\xff\xff"
    data = record(b"\x01" + len(body).to_bytes(3, "big") + body)
elif kind == "serverhello":  # a ServerHello sent to the server
    data = record(b"\x02" + len(hello_body).to_bytes(3, "big") + hello_body)
s = socket.create_connection((dst, 23000), timeout=5, source_address=(src, 0))
got = b""
try:
    s.sendall(data)
    while True:
        b = s.recv(4096)
        if not b:
            break
        got += b
except OSError:
    pass
s.close()
print(got.hex())
PY
}
announced=$(hello "$BASE.6" announced)
hello "$BASE.7" whole >/dev/null
hello "$BASE.8" sslv2 >/dev/null
wait_for 5 grep -q "Connection from $BASE\.8:" "$dlog"
grep -q "Connection from $BASE\.6:[0-9]* closed: .*peer sent a ClientHello of 16777215 bytes, more than the TLS library accepts in one handshake message: not a TLS 1.2 client sipc can serve" "$dlog" &&
    ok "the log: a ClientHello announcing 16 MiB is named with its size" ||
    { not_ok "the log: no line for the ClientHello announcing 16 MiB"; shtest_show "$dlog"; }
# an excessive message size: illegal_parameter, as OpenSSL answers it
[ "$announced" = 1503030002022f ] &&
    ok "... and answered with the fatal alert illegal_parameter" ||
    not_ok "the ClientHello announcing 16 MiB was answered '$announced', not illegal_parameter"
grep -q "Connection from $BASE\.7:[0-9]* closed: .*peer sent a ClientHello of 19996 bytes, more than the TLS library accepts" "$dlog" &&
    ok "the log: a 20,000-byte ClientHello is named with its size" ||
    { not_ok "the log: no line for the 20,000-byte ClientHello"; shtest_show "$dlog"; }
grep -q "Connection from $BASE\.8:[0-9]* closed: .*peer $BASE\.8:[0-9]* sent an SSLv2 ClientHello: sipc speaks TLS 1.2 only" "$dlog" &&
    ok "the log: an SSLv2 ClientHello is named as such" ||
    { not_ok "the log: no line for the SSLv2 ClientHello"; shtest_show "$dlog"; }

# --- malformed ClientHellos: the alert RFC 5246 names, and sipc's words --------
# (wolfSSL 5.5.4 closes on them without an alert)
# malformed KIND HOST ALERT-HEX WORDS: the answer to one such hello from HOST
# is that fatal alert, and the log line names the peer and WORDS
malformed() {
    local got
    got=$(hello "$2" "$1")
    if [ "$got" = "1503030002$3" ]; then
        ok "$1: answered with the fatal alert $3"
    else
        not_ok "$1: answered '$got', not the fatal alert $3"
    fi
    wait_for 5 grep -q "Connection from ${2//./\\.}:" "$dlog"
    grep -q "Connection from ${2//./\\.}:[0-9]* closed: TLS failure (SIPC_ETLS, tls class): $4" "$dlog" &&
        ok "$1: the log names the peer and says: $4" ||
        { not_ok "$1: no log line saying: $4"; shtest_show "$dlog"; }
}
malformed sid33 "$BASE.9" 0232 "peer's ClientHello is malformed: a length or field in it is out of range (wolfSSL: -328, malformed buffer input error): not a TLS client sipc can serve, or its bytes were damaged on the way; alert decode_error sent$"
malformed extlen "$BASE.10" 0232 "peer's ClientHello is malformed: a length or field in it is out of range (wolfSSL: -328, "
malformed serverhello "$BASE.11" 020a "peer sent TLS handshake messages out of order, or one it must not send (a server's message, or one of an unknown type) (wolfSSL: -344, wrong client/server type): not a TLS 1.2 client sipc can serve; alert unexpected_message sent$"

if grep -Eq "TLS error -[0-9]+" "$dlog"; then
    not_ok "the log has a raw wolfSSL error code"; grep -E "TLS error" "$dlog" >"$work/raw.txt"; shtest_show "$work/raw.txt"
else
    ok "no line of the log is a raw wolfSSL error code"
fi

kill -TERM "$node_pid"; wait "$node_pid"; node_pid=
shtest_done
