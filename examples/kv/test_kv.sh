#!/usr/bin/env bash
# test_kv.sh KV_SERVER KV_CLIENT - the key-value example end to end over
# mutual TLS on 127.0.0.1:
#   1. from PEM files made by openssl (a program that is not a node):
#      put/get/delete and their answers, data kept across connections, a
#      client with another certificate refused, a client to an address
#      where nothing listens told so once, with the address;
#   2. from node homes (--home: sipc.conf + security/node.crt), the port
#      from [kv] port; a client-only home (client rule) on 127.1.234.21; a
#      home that does not exist refused;
#   3. SIGTERM stops each server cleanly (exit 0);
#   and --version of both.
set -uo pipefail
server_bin=${1:?usage: test_kv.sh KV_SERVER KV_CLIENT}
client_bin=${2:?usage: test_kv.sh KV_SERVER KV_CLIENT}
work=$(mktemp -d "${TMPDIR:-/tmp}/sipc-kv.XXXXXX")
pid=""
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fails=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fails=$((fails + 1)); }

mkpair() { # name: a self-signed P-256 pair, as tlstool create makes
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$work/$1.key" -out "$work/$1.crt" -days 30 -subj "/CN=sipc kv example $1" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,digitalSignature,keyCertSign" \
        -addext "extendedKeyUsage=serverAuth,clientAuth" 2>/dev/null
}
mkpair kv && mkpair other || { echo "cannot make certificates with openssl"; exit 1; }

# start_server ARGS...: sets pid and port from its "listening on" line.
start_server() {
    port=""
    # emptied here, not only by the background job's redirection, which can
    # run after the first look below and leave the last server's port to read
    : >"$work/server.out"
    : >"$work/server.err"
    "$server_bin" "$@" >"$work/server.out" 2>"$work/server.err" &
    pid=$!
    for _ in $(seq 1 200); do # bounded: 10 s
        port=$(sed -n 's/^kv_server: listening on [0-9.]*:\([0-9]*\) .*/\1/p' "$work/server.out")
        [ -n "$port" ] && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    echo "kv_server did not start:"; cat "$work/server.out" "$work/server.err"
    exit 1
}

stop_server() { # what: SIGTERM, then a bounded wait for a clean exit
    kill -TERM "$pid"
    local rc=""
    for _ in $(seq 1 200); do
        if ! kill -0 "$pid" 2>/dev/null; then wait "$pid"; rc=$?; break; fi
        sleep 0.05
    done
    if [ "$rc" = 0 ]; then ok "$1: SIGTERM stops kv_server cleanly"; else not_ok "$1: kv_server exit status '$rc' after SIGTERM"; cat "$work/server.err"; fi
    pid=""
}

# client WHAT EXPECTED_STATUS EXPECTED_STDOUT -- ARGS...: run kv_client
# (bounded), compare its exit status and its whole stdout without the
# "connected" line.
client() {
    local what=$1 want_rc=$2 want_out=$3 rc
    shift 4
    timeout 30 "$client_bin" "$@" >"$work/client.out" 2>"$work/client.err"
    rc=$?
    local got
    got=$(grep -v '^connected to ' "$work/client.out")
    if [ "$rc" = "$want_rc" ] && [ "$got" = "$want_out" ]; then
        ok "$what"
    else
        not_ok "$what: exit $rc (want $want_rc); kv_client $*:"
        sed 's/^/  | /' "$work/client.out" "$work/client.err"
        echo "  want:"; printf '%s\n' "$want_out" | sed 's/^/  | /'
    fi
}

# --- --version: the sipc version and build, as every sipc program gives them
for b in "$server_bin" "$client_bin"; do
    name=$(basename "$b")
    out=$(timeout 10 "$b" --version 2>&1)
    rc=$?
    if [ "$rc" = 0 ] && printf '%s\n' "$out" | grep -Eq "^$name \(sipc [0-9]+\.[0-9]+\.[0-9]+ \(protocol [0-9]+, build [^)]+\)\)$"; then
        ok "$name --version: $out"
    else
        not_ok "$name --version: exit $rc: $out"
    fi
done

# --- 1. PEM files --------------------------------------------------------
start_server --cert "$work/kv.crt" --key "$work/kv.key" --address 127.0.0.1 --port 0
grep -q "(TLS strict, fingerprint [0-9a-f]\{64\})" "$work/server.out" &&
    ok "kv_server listens on port $port with strict TLS" || { not_ok "strict TLS"; cat "$work/server.out"; }

pem=(--cert "$work/kv.crt" --key "$work/kv.key")
client "put, put, get" 0 "put color: ok
put shape: ok
get color: blue" -- "${pem[@]}" "127.0.0.1:$port" put color blue put shape round get color

client "a second connection sees the data; replace, delete, not found" 0 "get color: blue
put color: ok
get color: green
delete color: ok
get color: not found
delete color: not found
get shape: round" -- "${pem[@]}" "127.0.0.1:$port" get color put color green get color delete color get color delete color get shape
grep -q "^connected to 127.0.0.1:$port (node kv-server, TLSv1.2 ECDHE-" "$work/client.out" &&
    ok "the client's connection is mutual TLS 1.2 with ECDHE" || { not_ok "TLS 1.2 connection line"; cat "$work/client.out"; }

# A value with spaces and a leading '-', and a key of the maximum length.
long_key=$(printf 'k%.0s' $(seq 1 256))
client "a 256-byte key, a value with spaces and a leading '-'" 0 "put $long_key: ok
get $long_key: -a value with spaces-" -- "${pem[@]}" "127.0.0.1:$port" put "$long_key" "-a value with spaces-" get "$long_key"

# Another certificate is not the pinned pair: refused, exit 1, nothing answered.
client "a client with another certificate is refused" 1 "" -- --cert "$work/other.crt" --key "$work/other.key" "127.0.0.1:$port" get shape
grep -q "SIPC_E" "$work/client.err" && ok "the refused client says why: $(head -c 200 "$work/client.err")" ||
    { not_ok "the refused client gives no reason"; cat "$work/client.err"; }
# its fix speaks to a program given PEM files, not to nodes
grep -q "fix: both ends need the same key pair: give this program and its peer the same certificate and key files (docs/quickstart.md section 3)" "$work/client.err" &&
    ! grep -q "tlstool import" "$work/client.err" &&
    ok "the refused client's fix names the PEM files' remedy, not tlstool's" || { not_ok "the refused client's fix"; cat "$work/client.err"; }

client "get without a key is a usage error" 64 "" -- "${pem[@]}" "127.0.0.1:$port" get
stop_server "PEM files"

# Nothing listens (an address of loopback where no server runs): the
# failure names the address and says the error once.
client "nothing listening: exit 1" 1 "" -- "${pem[@]}" "127.1.132.9:$port" get shape
grep -qx "kv_client: get shape: cannot connect to 127.1.132.9:$port: connection refused (ECONNREFUSED)" "$work/client.err" &&
    ok "nothing listening: the line names the address, the error said once" ||
    { not_ok "nothing listening: the failure line"; cat "$work/client.err"; }

# an expired certificate: refused at start with the verifier's reason, not
# at every handshake (where only the peer's log would say why)
faketime '2020-01-01 00:00:00' openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$work/old.key" -out "$work/old.crt" -days 30 -subj "/CN=sipc kv example old" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,digitalSignature,keyCertSign" \
    -addext "extendedKeyUsage=serverAuth,clientAuth" 2>/dev/null
timeout 10 "$server_bin" --cert "$work/old.crt" --key "$work/old.key" --address 127.0.0.1 --port 0 \
    >"$work/old.out" 2>"$work/old.err"
rc=$?
if [ "$rc" = 78 ] && grep -q "kv_server: .*expired on 2020-01-31" "$work/old.err"; then
    ok "an expired certificate: kv_server refuses to start and says why (exit 78)"
else
    not_ok "expired certificate: exit $rc"; cat "$work/old.out" "$work/old.err"
fi

# --- 2. node homes ---------------------------------------------------------
pair_into() { # dir: the pair imported, as tlstool import leaves it
    mkdir -p "$1/security"
    chmod 700 "$1/security"
    cat "$work/kv.crt" "$work/kv.key" >"$1/security/node.crt"
    chmod 600 "$1/security/node.crt"
}
mkhome() { # dir node-id [port [address]]
    pair_into "$1"
    printf '[node]\nid = %s\naddress = %s\n[cluster]\nname = kvtest\n[tls]\nenable = 1\n[kv]\nport = %s\n' \
        "$2" "${4:-127.0.0.1}" "${3:-0}" >"$1/sipc.conf"
}
mkhome "$work/home-a" node-a
start_server --home "$work/home-a"
grep -q "(TLS strict, fingerprint" "$work/server.out" &&
    ok "kv_server --home listens on port $port with strict TLS" || { not_ok "--home strict TLS"; cat "$work/server.out"; }
mkhome "$work/home-b" node-b "$port"
# No port given: the client's home says [kv] port.
client "--home: put, get, port from [kv] port" 0 "put city: ok
get city: Lyon" -- --home "$work/home-b" 127.0.0.1 put city Lyon get city
grep -q "^connected to 127.0.0.1:$port (node node-a, TLSv1.2 " "$work/client.out" &&
    ok "--home: TLS 1.2 to node node-a" || { not_ok "--home connection line"; cat "$work/client.out"; }
stop_server "node home"

# A client-only home (operator guide 1.3: the pair imported, no [node], no
# enable): kv_client follows the client rule and offers TLS, which a strict
# node requires; a home that does not exist stops either program.
mkhome "$work/home-c" node-c 0 127.1.234.21
start_server --home "$work/home-c"
pair_into "$work/client-only"
printf '[cluster]\nname = kvtest\n' >"$work/client-only/sipc.conf"
client "a client-only home: TLS offered, put and get" 0 "put town: ok
get town: Arles" -- --home "$work/client-only" "127.1.234.21:$port" put town Arles get town
client "a home that does not exist: refused (exit 78)" 78 "" -- --home "$work/no-such-home" "127.1.234.21:$port" get town
grep -q "node home $work/no-such-home does not exist: give the node's home" "$work/client.err" &&
    ok "the missing home named, in the library's words" || { not_ok "missing home words"; cat "$work/client.err"; }
stop_server "client-only home"

if [ $fails -gt 0 ]; then echo "test_kv: $fails failed"; exit 1; fi
echo "test_kv: all passed"
