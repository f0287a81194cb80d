#!/usr/bin/env bash
# test_trust_bundle.sh - a trust/ file is a bundle of roots, not a chain:
# the 9-certificate limit of a presented chain does not apply to it. A
# bundle of 12 roots lets sipcd start and is taken whole by `tlstool trust
# add`; past SIPC_TRUST_FILE_ROOTS (256) `trust add` refuses it in terms of
# a bundle, storing nothing. On $BASE.1.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.123}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init trustbundle
need_free "$BASE.1":{23000,23001,23002,23003}
export SIPC_PFX_PASSWORD="Trust-Bundle-$$"
# 12 roots of new pairs as PEM: what `trust add` stores of each in a scratch home
one_node_home "$work/scratch" trustbundle
for i in $(seq 1 12); do
    "$BIN/tlstool" create -site "$work/r$i.p12" >/dev/null &&
        "$BIN/tlstool" --home "$work/scratch" trust add "$work/r$i.p12" >/dev/null ||
        { echo "cannot make root $i"; exit 1; }
done
cat "$work/scratch"/security/trust/*.pem >"$work/bundle.pem"
[ "$(grep -c "BEGIN CERTIFICATE" "$work/bundle.pem")" = 12 ] || { echo "the bundle does not hold 12 roots"; exit 1; }

# `trust add` of the bundle: all 12 stored
one_node_home "$work/h1" trustbundle
pair_home "$work/h1" || exit 1
run "$BIN/tlstool" --home "$work/h1" trust add "$work/bundle.pem"
expect "trust add of a bundle of 12 roots: exit 0" 0
n=$(grep -c "^trusted: " "$OUT")
[ "$n" = 12 ] && ok "trust add stored each of the 12 roots" || bad "trust add stored $n roots, not 12"

# the bundle as one trust/ file: sipcd starts and loads its roots
home=$work/n1
one_node_home "$home" trustbundle
pair_home "$home" || exit 1
"$BIN/tlstool" --home "$home" enable --mode permissive >/dev/null || { echo "cannot enable TLS"; exit 1; }
mkdir -p "$home/security/trust" && chmod 700 "$home/security/trust"
install -m 644 "$work/bundle.pem" "$home/security/trust/bundle.pem"
run "$BIN/tlstool" --home "$home" trust list
expect "trust list of a home with a bundle of 12 roots in one file: exit 0" 0
n=$(grep -c "bundle.pem\|under a name of its own" "$OUT")
[ "$n" -ge 12 ] && ok "trust list names the 12 roots of the bundle" || bad "trust list names $n roots of the bundle"
if sipcd_start "$home"; then
    ok "sipcd starts with a trust/ file of 12 roots"
    at_exit "kill -TERM $sipcd_pid 2>/dev/null"
else
    not_ok "sipcd does not start with a trust/ file of 12 roots"
fi

# past the limit: refused as a bundle (not as a chain), nothing stored
for i in $(seq 1 22); do cat "$work/bundle.pem"; done >"$work/big.pem"
before=$(ls "$work/h1/security/trust" | wc -l)
run "$BIN/tlstool" --home "$work/h1" trust add "$work/big.pem"
expect "trust add of 264 certificates: refused (exit 11)" 11 "a bundle of roots that holds 264 certificates"
grep -q "chain" "$OUT" && bad "the refusal of a bundle speaks of a chain" || ok "the refusal does not speak of a chain"
[ "$(ls "$work/h1/security/trust" | wc -l)" = "$before" ] && ok "nothing stored" || bad "trust/ changed"
shtest_done
