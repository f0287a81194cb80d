#!/usr/bin/env bash
# test_peer_text.sh - a peer's words never reach a terminal raw: a fake node
# on $NET.1 (a Python listener, no sipcd) answers `sipcctl --verbose ping`
# with a connection-level ERROR whose message holds ESC, a C1 CSI (as
# U+009B and as a lone byte 0x9b), broken UTF-8 and a right-to-left override
# (U+202E, which would show the rest of the line reversed); the library's
# warning that quotes it, which --verbose prints, shows each as \xNN, keeps
# "é".
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
NET=${SIPC_TEST_NET:-127.0.84}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init peer_text

mkdir -p "$work/home"
printf '[node]\nid = cli\n[cluster]\nname = text\n' >"$work/home/sipc.conf"

# one connection: the ERROR (id 0, SIPC_EPROTO) at once, then wait for the close
python3 - "$NET.1" >"$work/port" 2>"$work/fake.err" <<'EOF' &
import socket, struct, sys

def varint(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)

def field(num, wire, value):
    key = varint(num << 3 | wire)
    return key + (varint(value) if wire == 0 else varint(len(value)) + value)

s = socket.socket()
s.bind((sys.argv[1], 0))
s.listen(1)
s.settimeout(20)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
c.settimeout(10)
msg = b"caf\xc3\xa9 \x1b[2J \xc2\x9b" + b"31m \x9b" + b"1m \xe6\x97 \xe2\x80\xaeend"
# version 1, kind ERROR, request id 0 (absent), status -1 (zigzag 1: not a
# sipc code, taken as SIPC_EPROTO), the message
body = field(1, 0, 1) + field(2, 0, 5) + field(6, 0, 1) + field(7, 2, msg)
c.sendall(struct.pack(">I", len(body)) + body)
try:
    while c.recv(4096):
        pass
except OSError:
    pass
EOF
fake=$!
wait_for 10 test -s "$work/port" || { not_ok "the fake peer did not start"; shtest_show "$work/fake.err"; shtest_done; exit 1; }
port=$(cat "$work/port")

run "$BIN/sipcctl" --home "$work/home" --verbose --timeout 3000 ping "$NET.1:$port"
# the words as sent, each byte that is no printable character as \xNN
want='says: café \\x1b\[2J \\xc2\\x9b31m \\x9b1m \\xe6\\x97 \\xe2\\x80\\xaeend'
if [ "$RC" = 0 ]; then
    bad "ping of a peer that only sends an ERROR succeeded"
elif ! grep -Eq "^Transport.Conn WARN .*$want" "$OUT"; then
    bad "the verbose warning does not quote the peer escaped"
elif LC_ALL=C grep -q $'[\x1b\x80-\x9f\xe2]' <(LC_ALL=C sed 's/\xc3\xa9//g' "$OUT"); then
    bad "a control byte of the peer's reached the terminal"
else
    ok "sipcctl --verbose: the library's warning quotes the peer with \\xNN, keeps é"
fi
wait "$fake" 2>/dev/null
shtest_done
