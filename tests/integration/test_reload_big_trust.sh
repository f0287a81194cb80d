#!/usr/bin/env bash
# test_reload_big_trust.sh - sipcd's reload sees a change to a trust/ file
# of any size the loader takes (up to 16 MiB), not only to small ones: a
# file of 9 MiB (one root and padding, as large as a big CA's CRL) whose
# root is replaced is reported as a trust change, on $BASE.1.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.123}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init bigtrust
need_free "$BASE.1":{23000,23001,23002,23003}
export SIPC_PFX_PASSWORD="Big-Trust-$$"
home=$work/n1
one_node_home "$home" bigtrust
pair_home "$home" || exit 1
tt() { "$BIN/tlstool" --home "$home" "$@"; }
tt enable --mode permissive >/dev/null || { echo "cannot enable TLS"; exit 1; }
# root_pem NAME: $work/NAME.pem, the root of a new pair as PEM (what
# `trust add` stores of it in a scratch home)
root_pem() {
    one_node_home "$work/$1.h" bigtrust
    "$BIN/tlstool" create -site "$work/$1.p12" >/dev/null &&
        "$BIN/tlstool" --home "$work/$1.h" trust add "$work/$1.p12" >/dev/null &&
        cat "$work/$1.h"/security/trust/*.pem >"$work/$1.pem"
}
root_pem a && root_pem b || { echo "cannot make two roots"; exit 1; }
# big_trust NAME: security/trust/big.pem becomes NAME's root and 9 MiB of
# text around no PEM block (the loader skips it)
yes "# padding of a large bundle" | head -c $((9 << 20)) >"$work/pad"
big_trust() {
    cat "$work/$1.pem" "$work/pad" >"$work/big.tmp" && chmod 644 "$work/big.tmp" && mv "$work/big.tmp" "$home/security/trust/big.pem"
}
mkdir -p "$home/security/trust" && chmod 700 "$home/security/trust"
big_trust a
[ "$(stat -c %s "$home/security/trust/big.pem")" -gt $((8 << 20)) ] ||
    { echo "the trust file is not over 8 MiB"; exit 1; }
sipcd_start "$home" || exit 1
at_exit "kill -TERM $sipcd_pid 2>/dev/null"
# answered only once sipcd has noted the files it started with (after its
# services logged their start), so the change below comes after that
run ctl reload
expect "sipcctl reload right after the start: nothing changed" 0 "nothing changed"
big_trust b
run ctl reload
expect "sipcctl reload: a trust/ file over 8 MiB with another root is a trust change" 0 \
    "changed: trust: 1 root updated"
run ctl reload
expect "sipcctl reload once more: nothing changed" 0 "nothing changed"
shtest_done
