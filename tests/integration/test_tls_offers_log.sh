#!/usr/bin/env bash
# test_tls_offers_log.sh - a real sipcd ($BASE.1, standard ports, TLS strict)
# and one peer host ($BASE.5) that offers, connection after connection, one
# key-exchange group the node does not accept after another (X25519, X448,
# P-521 and the three brainpool curves, as a scanner such as sslscan does):
# each refusal's line names what that peer offered, and the host's lines are
# limited as one reason, not one per offered list: at most 3 of them in the
# interval (10 s), the rest counted in a "more like" report.
# Budget: under 60 s (about 5 s). Normal build only, never beside another test
# of its block (its standard ports), beside the rest.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.79}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init offerslog
tt() { "$BIN/tlstool" --home "$work/a" "$@"; }
need_free "$BASE.1":{23000,23001,23002,23003}

export SIPC_PFX_PASSWORD="Offers-Test-$$"
one_node_home "$work/a" offers
tt create -site "$work/cluster.pfx" >/dev/null && tt import "$work/cluster.pfx" >/dev/null &&
    tt enable --mode strict >/dev/null || { echo "tlstool set-up failed"; exit 1; }
sipcd_start "$work/a" || exit 1
node_pid=$sipcd_pid
at_exit 'kill -KILL $node_pid 2>/dev/null'

GROUPS_OFFERED="X25519 X448 secp521r1 brainpoolP256r1 brainpoolP384r1 brainpoolP512r1"
python3 - "$work/a/security/node.crt" "$BASE.5" "$BASE.1" $GROUPS_OFFERED >"$work/peers.out" 2>&1 <<'PY'
import socket, ssl, sys
pem, src, dst = sys.argv[1:4]
for group in sys.argv[4:]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(pem)
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ecdh_curve(group)  # the only group the ClientHello offers
    s = socket.create_connection((dst, 23000), timeout=5, source_address=(src, 0))
    try:
        ctx.wrap_socket(s).close()
        print("UP", group)
    except (ssl.SSLError, OSError) as e:
        print("REFUSED", group, type(e).__name__)
    s.close()
PY
n=$(grep -c '^REFUSED' "$work/peers.out")
[ "$n" = 6 ] && ok "the node refuses all 6 groups" || { not_ok "refused $n of 6"; shtest_show "$work/peers.out"; }

dlog=$(ls "$work/a/logs/"DataService_*.log)
lines() { grep -c "Connection from $BASE\.5:[0-9]* closed: .*peer offers no key-exchange group sipc accepts (P-256 or P-384); it offered: " "$dlog"; }
grep -q "it offered: X25519$" "$dlog" && ok "a line names the group the peer offered (X25519)" ||
    { not_ok "no line names X25519"; shtest_show "$dlog"; }
[ "$(lines)" -le 3 ] && ok "$(lines) lines for 6 refusals from one host (at most 3 in 10 s)" ||
    { not_ok "$(lines) lines for 6 refusals from one host (at most 3 in 10 s)"; grep "offered" "$dlog" >"$work/l.txt"; shtest_show "$work/l.txt"; }

kill -TERM "$node_pid"; wait "$node_pid"; node_pid=
summary() { grep -Eq "[0-9]+ more like (it|this) .*Connections from $BASE\.5 .*it offered: \.\.\." "$dlog"; }
summary && ok "the rest are counted: $(grep -Eo "[0-9]+ more like (it|this) in the [a-z ]*[0-9]+ s" "$dlog" | head -1)" ||
    { not_ok "no report of the lines held back"; grep -E "more like|offered" "$dlog" >"$work/l.txt"; shtest_show "$work/l.txt"; }
shtest_done
