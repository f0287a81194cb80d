#!/usr/bin/env bash
# test_openssl_interop.sh - a real, independent TLS client (OpenSSL's
# s_client) against sipcd: TLS 1.2 with the cluster's certificate succeeds;
# no client certificate, another certificate, TLS 1.1, TLS 1.3, no usable
# group, no ECDSA signature algorithm and no ECDHE-ECDSA suite are all
# refused, and the node's log says why; OpenSSL's application data, after a
# full and after a resumed handshake, and when it asked for smaller records
# (max_fragment_length, ignored), is carried by sipc's own record layer
# (sys.info's link.record_layer); sessions resume by ticket only (no session
# ID without a ticket, the session cache off); close_notify is sent and answered (Python's
# ssl, which is OpenSSL, as a client that closes first and waits).
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init interop

mkpair() { # name
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$work/$1.key" -out "$work/$1.crt" -days 30 -subj "/CN=sipc interop $1" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,digitalSignature,keyCertSign" \
        -addext "extendedKeyUsage=serverAuth,clientAuth" 2>/dev/null
}
mkpair node && mkpair other || { echo "cannot make certificates"; exit 1; }
home="$work/home"
mkdir -p "$home/security"
chmod 700 "$home/security"
cat "$work/node.crt" "$work/node.key" >"$home/security/node.crt"
chmod 600 "$home/security/node.crt"
printf '[node]\nid = interop\n[tls]\nenable = 1\n[data]\nport = 0\n[search]\nport = 0\n[management]\nport = 0\n[pipeline]\nport = 0\n' >"$home/sipc.conf"

sipcd_start "$home" || exit 1
pid=$sipcd_pid
port=$(sipcd_port "$home")
grep -q "Service.Start INFO TLS Port: $port$" "$home/logs/"DataService_*.log &&
    ok "sipcd logs 'TLS Port: $port'" || not_ok "sipcd does not log 'TLS Port: $port'"
grep -A1 "Service.Start INFO TLS Port: $port$" "$home/logs/"DataService_*.log |
    grep -q "Service.Start INFO Strict TLS mode: only peers speaking TLS with the cluster's pair are accepted on port $port$" &&
    ok "the next line says the mode: strict" || { not_ok "no strict mode line"; cat "$home/logs/"DataService_*.log; }

# The clients whose refusals the log must explain each come from a host of
# their own, 127.1.247.N: a host's failed connections get a few lines per
# 10 s whatever their reasons (docs/architecture.md, section 9).
src_n=0
sclient() { # extra args...
    src_n=$((src_n + 1))
    timeout 20 openssl s_client -connect "127.0.0.1:$port" -bind "127.1.247.$src_n:0" \
        -CAfile "$work/node.crt" -verify_return_error "$@" </dev/null >"$work/sc.out" 2>&1
}

if sclient -tls1_2 -cert "$work/node.crt" -key "$work/node.key" &&
    grep -Eq "Protocol *: TLSv1.2" "$work/sc.out" &&
    grep -q "Verify return code: 0 (ok)" "$work/sc.out"; then
    ok "s_client -tls1_2 with the cluster certificate completes a mutual TLS 1.2 handshake ($(sed -n 's/^ *Cipher *: //p' "$work/sc.out" | head -n1))"
else
    not_ok "s_client -tls1_2 with the cluster certificate"; cat "$work/sc.out"
fi
if grep -Eq "Cipher *: ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM|CHACHA20-POLY1305)" "$work/sc.out"; then
    ok "the negotiated suite is ECDHE with an AEAD"
else
    not_ok "suite is ECDHE+AEAD"
fi

if sclient -tls1_2 && grep -Eq "Protocol *: TLSv1.2" "$work/sc.out" && ! grep -qi "alert\|error" "$work/sc.out"; then
    not_ok "s_client without a certificate must be refused"; cat "$work/sc.out"
else
    ok "s_client without a client certificate is refused"
fi
if grep -aq "alert handshake failure" "$work/sc.out"; then
    ok "a client without a certificate gets a handshake_failure alert, not a bare close"
else
    not_ok "no alert for a client without a certificate"; cat "$work/sc.out"
fi
if sclient -tls1_2 -cert "$work/other.crt" -key "$work/other.key" && ! grep -qi "alert\|error" "$work/sc.out"; then
    not_ok "s_client with another cluster's certificate must be refused"; cat "$work/sc.out"
else
    ok "s_client with another cluster's certificate is refused"
fi
if sclient -tls1_1 -cert "$work/node.crt" -key "$work/node.key" -cipher 'DEFAULT:@SECLEVEL=0'; then
    not_ok "TLS 1.1 must be refused"; cat "$work/sc.out"
else
    ok "s_client -tls1_1 is refused"
fi
if sclient -tls1_3 -cert "$work/node.crt" -key "$work/node.key"; then
    not_ok "TLS 1.3 must be refused (sipc speaks TLS 1.2 only)"; cat "$work/sc.out"
else
    ok "s_client -tls1_3 is refused"
fi

if sclient -tls1_2 -curves X25519 -cert "$work/node.crt" -key "$work/node.key"; then
    not_ok "a client offering only X25519 must be refused"; cat "$work/sc.out"
else
    ok "s_client -curves X25519 is refused"
fi
# ... and told why: a handshake_failure alert, not a key exchange on a group
# it did not offer (which OpenSSL reports as "wrong curve")
if grep -aq "alert handshake failure" "$work/sc.out" && ! grep -aq "wrong curve" "$work/sc.out"; then
    ok "a client offering only X25519 gets a handshake_failure alert"
else
    not_ok "no handshake_failure alert for -curves X25519"; cat "$work/sc.out"
fi
# The node's ECDHE groups are P-256 and P-384 only, whatever the client
# prefers (a TLS 1.2 server otherwise takes the client's first group).
if sclient -tls1_2 -curves P-521:P-256 -cert "$work/node.crt" -key "$work/node.key" &&
    grep -q "Server Temp Key: ECDH, prime256v1" "$work/sc.out"; then
    ok "a client preferring P-521 gets its ECDHE on P-256"
else
    not_ok "ECDHE group for -curves P-521:P-256"; grep -a "Temp Key" "$work/sc.out"
fi
if sclient -tls1_2 -curves P-521 -cert "$work/node.crt" -key "$work/node.key" &&
    grep -q "Server Temp Key: ECDH, secp521r1" "$work/sc.out"; then
    not_ok "a client offering only P-521 got a P-521 key exchange"
else
    ok "no P-521 key exchange for a client offering only P-521"
fi
if grep -aq "alert handshake failure" "$work/sc.out" && ! grep -aq "wrong curve" "$work/sc.out"; then
    ok "a client offering only P-521 gets a handshake_failure alert"
else
    not_ok "no handshake_failure alert for -curves P-521"; cat "$work/sc.out"
fi
# A client whose groups leave out the curve of the node's key (P-256) cannot
# verify its signature: refused at once with handshake_failure, not after the
# node's whole flight with OpenSSL's "wrong curve" and illegal_parameter.
if sclient -tls1_2 -curves P-384 -cert "$work/node.crt" -key "$work/node.key"; then
    not_ok "a client offering only P-384 to a P-256 node must be refused"; cat "$work/sc.out"
elif grep -aq "alert handshake failure" "$work/sc.out" && ! grep -aq "wrong curve" "$work/sc.out"; then
    ok "a client offering only P-384 to a P-256 node gets a handshake_failure alert"
else
    not_ok "no handshake_failure alert for -curves P-384"; cat "$work/sc.out"
fi
# ... and with RSA-only signature algorithms as well, both are named
sclient -tls1_2 -curves P-384 -sigalgs RSA+SHA256 -cert "$work/node.crt" -key "$work/node.key" &&
    not_ok "a client offering only P-384 and RSA+SHA256 must be refused"
# Signature algorithms: the node's key is ECDSA P-256, so a client must let
# it sign with ECDSA. OpenSSL offering only RSA+SHA256 (and therefore no
# ECDHE-ECDSA suite) gets a handshake_failure alert, and the log says that
# it lacks an ECDSA signature algorithm, not just that no suite matched.
if sclient -tls1_2 -sigalgs RSA+SHA256 -cert "$work/node.crt" -key "$work/node.key"; then
    not_ok "a client offering only the signature algorithm RSA+SHA256 must be refused"; cat "$work/sc.out"
elif grep -aq "alert handshake failure" "$work/sc.out"; then
    ok "s_client -sigalgs RSA+SHA256 gets a handshake_failure alert"
else
    not_ok "no handshake_failure alert for -sigalgs RSA+SHA256"; cat "$work/sc.out"
fi
# ... while one ECDSA algorithm among others is enough.
if sclient -tls1_2 -sigalgs RSA+SHA256:rsa_pss_rsae_sha256:ECDSA+SHA384 -cert "$work/node.crt" -key "$work/node.key" &&
    grep -Eq "Protocol *: TLSv1.2" "$work/sc.out" && grep -q "Verify return code: 0 (ok)" "$work/sc.out"; then
    ok "s_client -sigalgs RSA+SHA256:rsa_pss_rsae_sha256:ECDSA+SHA384 completes the handshake"
else
    not_ok "-sigalgs with ECDSA+SHA384 among RSA ones"; cat "$work/sc.out"
fi
# A client with ECDSA signature algorithms but only sipc's ECDHE-RSA suites:
# refused, and the log says that the node's key needs an ECDHE-ECDSA suite.
if sclient -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305 -cert "$work/node.crt" -key "$work/node.key"; then
    not_ok "a client offering only ECDHE-RSA suites must be refused by a node with an ECDSA key"; cat "$work/sc.out"
else
    ok "s_client -cipher ECDHE-RSA-... is refused by a node with an ECDSA key"
fi
# Which record layer carried OpenSSL's application data at the node: a hello
# (node "openssl", cluster "sipc") and a sys.info request (docs/protocol.md
# sections 3 and 8), then a frame that is no envelope so that the node closes
# the link once it has answered. sys.info's link.record_layer must name
# sipc's own record layer (transport/tls_record.c) in a build that has it;
# a build whose wolfSSL keeps the records must say so.
hello='\x00\x00\x00\x21\x08\x01\x10\x01\x42\x1b\x08\x01\x12\x07openssl\x1a\x04sipc\x22\x08s_client'
info='\x00\x00\x00\x11\x08\x01\x10\x02\x18\x01\x22\x03sys\x2a\x04info'
if "$BIN/sipcd" --version | grep -q " sipc-records"; then
    ok "sipcd --version says this build carries application data through sipc's record layer"
else
    not_ok "sipcd --version does not name sipc's record layer: $("$BIN/sipcd" --version)"
fi
# pair_client NAME [s_client args...]: stdin to the node over TLS 1.2 with
# the cluster's pair; the decrypted answer in $work/NAME.out, s_client's
# own lines in $work/NAME.err.
pair_client() {
    local name=$1
    shift
    timeout 20 openssl s_client -connect "127.0.0.1:$port" -CAfile "$work/node.crt" -tls1_2 \
        -cert "$work/node.crt" -key "$work/node.key" -quiet -nocommands -ign_eof "$@" \
        >"$work/$name.out" 2>"$work/$name.err"
}
sipc_info() { # extra s_client args...
    { printf "$hello$info"; printf '\x00\x00\x00\x01\xff'; } | pair_client info "$@"
}
want=sipc
for suite in ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-CHACHA20-POLY1305; do
    sipc_info -cipher "$suite"
    if grep -aq "\"record_layer\":\"$want\"" "$work/info.out"; then
        ok "$suite: OpenSSL's hello and sys.info request answered through the $want record layer"
    else
        not_ok "$suite: sys.info over OpenSSL does not report record_layer $want"
        cat "$work/info.err"; od -c "$work/info.out" | head -20
    fi
done
# The same after a resumed handshake: OpenSSL keeps the session ticket of a
# full handshake and offers it again; the abbreviated handshake ends with the
# client's Finished, which OpenSSL may send with its first data.
sipc_info -sess_out "$work/sess.pem"
if [ -s "$work/sess.pem" ] && sipc_info -sess_in "$work/sess.pem" -msg &&
    grep -aq "<<< .*, ServerHello$" "$work/info.out" && ! grep -aq "\], Certificate$" "$work/info.out"; then
    if grep -aq "\"record_layer\":\"$want\"" "$work/info.out"; then
        ok "a session resumed by OpenSSL (no certificates sent) is carried by the $want record layer"
    else
        not_ok "resumed session: sys.info does not report record_layer $want"; od -c "$work/info.out" | head -20
    fi
else
    not_ok "OpenSSL did not resume its session with sipcd"; cat "$work/info.err"; grep -a ">>>\|<<<" "$work/info.out"
fi

# A client that asks for records of at most 512 bytes (RFC 6066
# max_fragment_length): the bundled wolfSSL has no such extension and ignores
# it (its ServerHello answers neither it nor truncated_hmac), and the request
# is answered through sipc's record layer in records of up to 16 KiB, which
# OpenSSL takes; Debian's libwolfssl would grant it, and the node refuses
# such a ClientHello with handshake_failure instead (docs/protocol.md section 2).
sipc_info -maxfraglen 512
# the ServerHello's extensions, as s_client prints them without -quiet
timeout 20 openssl s_client -connect "127.0.0.1:$port" -CAfile "$work/node.crt" -tls1_2 \
    -cert "$work/node.crt" -key "$work/node.key" -maxfraglen 512 -tlsextdebug </dev/null \
    >"$work/exts.out" 2>&1
if "$BIN/sipcd" --version | grep -q "libwolfssl-dev"; then
    if grep -aq "alert handshake failure" "$work/info.err" &&
        grep -q "peer asks for TLS records smaller than 16 KiB (max_fragment_length, RFC 6066)" "$home/logs/"DataService_*.log; then
        ok "max_fragment_length 512 asked of Debian's libwolfssl: refused with handshake_failure, and the log says why"
    else
        not_ok "max_fragment_length 512 (Debian's libwolfssl): not refused as documented"; cat "$work/info.err"
    fi
elif grep -aq "\"record_layer\":\"$want\"" "$work/info.out" &&
    grep -aq 'TLS server extension "extended master secret"' "$work/exts.out" &&
    ! grep -aiq 'TLS server extension "\(max fragment length\|truncated hmac\)' "$work/exts.out"; then
    ok "max_fragment_length 512 asked: ignored (not in the ServerHello), answered through the $want record layer"
else
    not_ok "max_fragment_length 512: granted, or not answered through the $want record layer"
    cat "$work/info.err"; grep -a -o 'record_layer[^,]*' "$work/info.out"
    grep -a "TLS server extension" "$work/exts.out"
fi

# The session cache is off: sessions resume only by ticket (wolfSSL would
# otherwise keep sessions by ID across reloads of the pair or the trust).
# Without a ticket the ServerHello names no session ID (its length byte,
# after type, length, version and random, is 0); OpenSSL then has no session
# to keep. Were one kept by ID, offering it again must give a full handshake.
sipc_info -no_ticket -sess_out "$work/sessid.pem" -msg
sidlen=$(awk '/^<<< .*, ServerHello$/ { on = 1; next } on && /^[<>]/ { exit }
    on { for (i = 1; i <= NF; i++) b[n++] = $i } END { print (n > 38 && b[0] == "02" && b[4] b[5] == "0303" ? b[38] : "unparsed") }' "$work/info.out")
if [ "$sidlen" = 00 ] && grep -aq "\"record_layer\":\"$want\"" "$work/info.out"; then
    ok "without a ticket the ServerHello carries an empty session ID (the session cache is off)"
else
    not_ok "without a ticket the ServerHello's session ID length is '$sidlen', want 00"; grep -a -A3 "ServerHello" "$work/info.out"
fi
if [ ! -s "$work/sessid.pem" ]; then
    ok "OpenSSL keeps no session to resume without a ticket"
elif sipc_info -no_ticket -sess_in "$work/sessid.pem" -msg && grep -aq "\], Certificate$" "$work/info.out"; then
    ok "a session offered by its ID alone gets a full handshake (certificates sent)"
else
    not_ok "a session offered by its ID alone was resumed"; grep -a ">>>\|<<<" "$work/info.out"
fi

# Application data both ways with each suite sipc accepts: OpenSSL encrypts
# a 60,000-byte frame (four records) that is no valid envelope, sipc
# decrypts it, refuses it in its log, and answers with an error frame that
# OpenSSL must decrypt to show the reason.
for suite in ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305; do
    { printf '\x00\x00\xea\x60'; head -c 60000 /dev/zero | tr '\0' '\377'; } |
        pair_client data -cipher "$suite"
    if grep -aq "not a valid" "$work/data.out"; then
        ok "$suite: 60,000 bytes from OpenSSL decrypted by sipc, its error frame decrypted by OpenSSL"
    else
        not_ok "$suite: application data with OpenSSL"; cat "$work/data.err"; od -c "$work/data.out" | head -20
    fi
done
# close_notify both ways, through Python's ssl (OpenSSL): a truncated
# stream must be told from a closed one. "node": the node closes first
# (after answering a frame that is no envelope); its close_notify must come
# before the EOF. "peer": the client sends its close_notify and waits for the
# node's (RFC 5246 7.2.1: the other party MUST respond), then for its FIN.
closing() { # node|peer
    timeout 20 python3 - "$1" "$port" "$work" <<'PY'
import socket, ssl, sys
who, port, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
ctx.check_hostname = False
ctx.load_verify_locations(work + "/node.crt")
ctx.load_cert_chain(work + "/node.crt", work + "/node.key")
raw = socket.create_connection(("127.0.0.1", port), timeout=10)
tls = ctx.wrap_socket(raw, suppress_ragged_eofs=False)
if who == "node":
    tls.sendall(b"\x00\x00\x00\x01\xff")
    while tls.recv(4096):  # an EOF without close_notify raises SSLEOFError
        pass
    tls.unwrap()
else:
    assert tls.recv(4096)  # the node's hello (data after our close_notify is an error)
    plain = tls.unwrap()  # our close_notify, then the node's
    assert plain.recv(1) == b""
print("clean")
PY
}
if [ "$(closing node 2>"$work/close.err")" = clean ]; then
    ok "the node's close_notify reaches an OpenSSL client before the connection ends"
else
    not_ok "no close_notify from the node before EOF"; cat "$work/close.err"
fi
if [ "$(closing peer 2>"$work/close.err")" = clean ]; then
    ok "an OpenSSL client's close_notify is answered with the node's, then the FIN"
else
    not_ok "the node does not answer close_notify"; cat "$work/close.err"
fi
# Renegotiation: s_client's "R" command after the handshake.
(sleep 1; echo R; sleep 1) | timeout 20 openssl s_client -connect "127.0.0.1:$port" \
    -bind 127.1.247.200:0 -CAfile "$work/node.crt" -tls1_2 -cert "$work/node.crt" \
    -key "$work/node.key" >"$work/sc.out" 2>&1

# The node's log explains each refusal in an operator's words.
log=$(ls "$home/logs/"DataService_*.log | head -n1)
# s_client without -cert answers the CertificateRequest with an empty list
if grep -q "peer presented no certificate (SIPC_ENOPEERCERT, auth class): it answered the CertificateRequest with an empty certificate list (a TLS 1.2 client with no certificate configured does so); mutual TLS needs .*must import the cluster's key pair" "$log"; then ok "log names the empty certificate list and what to do"; else not_ok "log: empty certificate list"; cat "$log"; fi
if grep -q "peer certificate rejected" "$log"; then ok "log names the rejected certificate"; else not_ok "log: rejected certificate"; cat "$log"; fi
if grep -q "peer does not offer TLS 1.2 (it offers up to TLS 1.3)" "$log"; then ok "log: a TLS 1.3-only client is a version mismatch"; else not_ok "log: TLS 1.3-only client"; cat "$log"; fi
if grep -q "peer offers no key-exchange group sipc accepts (P-256 or P-384); it offered: X25519" "$log"; then ok "log: an X25519-only client is named as such"; else not_ok "log: X25519-only client"; cat "$log"; fi
if grep -q "no signature algorithm in common: this node's key is ECDSA P-256 and signs with ECDSA and SHA-256, SHA-384 or SHA-512 (ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384, ecdsa_secp521r1_sha512); the peer offers only: rsa_pkcs1_sha256, and only ECDHE-RSA suites$" "$log"; then
    ok "log: a client without an ECDSA signature algorithm is named as such"
else
    not_ok "log: -sigalgs RSA+SHA256"; cat "$log"
fi
if grep -q "peer cannot verify this node's key: it is ECDSA P-256, and the peer's groups leave that curve out (a TLS 1.2 client verifies only signatures on the curves it lists); it offered: P-384" "$log"; then
    ok "log: a client without the node's curve among its groups is named as such"
else
    not_ok "log: -curves P-384"; cat "$log"
fi
if grep -q "peer cannot verify this node's key: .*it offered: P-384; nor does it offer a signature algorithm for it (only: rsa_pkcs1_sha256)" "$log"; then
    ok "log: a client with neither the node's curve nor an ECDSA signature algorithm is told both"
else
    not_ok "log: -curves P-384 -sigalgs RSA+SHA256"; cat "$log"
fi
if grep -q "no cipher suite in common for this node's key: it is ECDSA P-256, which needs an ECDHE-ECDSA suite; the peer offers only ECDHE-RSA ones" "$log"; then
    ok "log: a client offering only ECDHE-RSA suites is told the node's key needs ECDHE-ECDSA"
else
    not_ok "log: -cipher ECDHE-RSA-..."; cat "$log"
fi
wait_for 5 grep -q "renegotiate" "$log"
if grep -q "peer tried to renegotiate the TLS session; sipc does not allow renegotiation" "$log"; then ok "log: a renegotiation attempt is named"; else not_ok "log: renegotiation"; cat "$log"; fi

# Plaintext on the TLS port: closed, logged with the hint.
timeout 10 python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5, source_address=("127.1.247.201", 0))
s.sendall(b"\x00\x00\x00\x02hi")
s.close()' "$port" 2>/dev/null
wait_for 5 grep -q "plaintext arrived on a TLS port" "$log"
if grep -q "plaintext arrived on a TLS port: is TLS enabled on every node?" "$log"; then
    ok "plaintext on the TLS port is refused with a hint"
else
    not_ok "plaintext on the TLS port"; cat "$log"
fi

kill -TERM "$pid"; wait "$pid"; rc=$?; pid=""
if [ "$rc" = 0 ] && grep -q "Data Service Stopped" "$log"; then ok "SIGTERM stops sipcd cleanly"; else not_ok "SIGTERM exit $rc"; fi

shtest_done
