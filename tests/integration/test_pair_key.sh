#!/usr/bin/env bash
# test_pair_key.sh - a node.crt whose private key is not its certificate's
# (a hand-edited or half-restored file): sipcd refuses to start, sipcctl
# refuses to connect, and `tlstool verify` and `status` say the same instead
# of VERIFIED, from the one check they share (sipc_keypair_check_match). The
# node would listen on $BASE.1; it never gets that far.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.114}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init pairkey
export SIPC_PFX_PASSWORD="Pair-Key-$$"
home=$work/n1
one_node_home "$home" pairkey
tt() { "$BIN/tlstool" --home "$home" "$@"; }
tt create -site "$work/cluster.pfx" >/dev/null && tt import "$work/cluster.pfx" >/dev/null &&
    tt enable >/dev/null || { echo "cannot set up the home"; exit 1; }
crt=$home/security/node.crt
run tt verify
expect "the imported pair verifies" 0 "^VERIFIED$"

# the certificate (and chain) of the pair, then the key of another
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt >"$work/other.key" ||
    { echo "cannot make a key"; exit 1; }
sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p' "$crt" >"$work/mixed.crt"
cat "$work/other.key" >>"$work/mixed.crt"
cat "$work/mixed.crt" >"$crt"
chmod 600 "$crt"
said="the private key in $crt does not belong to its certificate 'CN=[^']*' \(SHA-256 [0-9a-f]{16}\.\.\.\): the key of another pair"

run tt verify
expect "verify: a key of another pair is NOT VERIFIED (exit 9)" 9 "^NOT VERIFIED: $said" "^Fix: import the pair again"
grep -q "^VERIFIED" "$OUT" && bad "verify says VERIFIED for a key of another pair"

run tt status
expect "status: the verify line says so, inconsistent (exit 10)" 10 "verify: +$said" "the pair does not verify: $said"

run "$BIN/sipcd" --home "$home"
expect "sipcd refuses to start with it (exit 78), in the same words" 78 "$said"

run "$BIN/sipcctl" --home "$home" ping "$BASE.1"
[ "$RC" != 0 ] && grep -Eq -- "$said" "$OUT" && ok "sipcctl refuses to use it, in the same words (exit $RC)" ||
    bad "sipcctl with a key of another pair: exit $RC"

# an RSA key under an ECDSA certificate: a key of another pair as well
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null >"$work/rsa.key" ||
    { echo "cannot make an RSA key"; exit 1; }
sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p' "$work/mixed.crt" >"$crt"
cat "$work/rsa.key" >>"$crt"
run tt verify
expect "verify: a key of another type than the certificate's is NOT VERIFIED (exit 9)" 9 "^NOT VERIFIED: $said"

# the pair imported again: verified, and sipcd takes it
tt import --force "$work/cluster.pfx" >/dev/null || bad "import again"
run tt verify
expect "after import again: VERIFIED" 0 "^VERIFIED$"
shtest_done
