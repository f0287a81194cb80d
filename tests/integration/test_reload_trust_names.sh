#!/usr/bin/env bash
# test_reload_trust_names.sh - sipcd's reload counts as a trust or CRL
# change only a file the loader reads (trust/*.pem; crl/*.crl, *.pem,
# *.der), on $BASE.1: a README.txt put in trust/, or edited there, changes
# nothing the node runs and is no change; a root added as trust/NAME.pem is
# "+1 root".
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.135}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init trustnames
need_free "$BASE.1":{23000,23001,23002,23003}
export SIPC_PFX_PASSWORD="Trust-Names-$$"
home=$work/n1
one_node_home "$home" trustnames
pair_home "$home" || exit 1
"$BIN/tlstool" --home "$home" enable --mode permissive >/dev/null || { echo "cannot enable TLS"; exit 1; }
# another cluster's root as PEM (what `trust add` stores of it in a scratch home)
one_node_home "$work/other" trustnames
"$BIN/tlstool" create -site "$work/other.p12" >/dev/null &&
    "$BIN/tlstool" --home "$work/other" trust add "$work/other.p12" >/dev/null &&
    cat "$work/other"/security/trust/*.pem >"$work/other.pem" || { echo "cannot make a root"; exit 1; }
mkdir -p "$home/security/trust" && chmod 700 "$home/security/trust"
sipcd_start "$home" || exit 1
at_exit "kill -TERM $sipcd_pid 2>/dev/null"
run ctl reload
expect "sipcctl reload right after the start: nothing changed" 0 "nothing changed"
echo "roots of the other cluster go here" >"$home/security/trust/README.txt"
run ctl reload
expect "a README.txt added to trust/ is no trust change" 0 "nothing changed"
echo "and are named ca-*.pem" >>"$home/security/trust/README.txt"
run ctl reload
expect "that README.txt edited is none either" 0 "nothing changed"
cp "$work/other.pem" "$home/security/trust/other.pem"
run ctl reload
expect "a root added as trust/other.pem is one" 0 "changed: trust: \\+1 root"
shtest_done
