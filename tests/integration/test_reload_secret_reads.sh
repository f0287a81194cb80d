#!/usr/bin/env bash
# test_reload_secret_reads.sh - sipcd never reads a file that may hold a
# private key through stdio (docs/architecture.md: such files are read with
# sipc_secret_file_read and wiped): at start and at each reload it looks
# for changes in security/staged/ (node.crt holds the staged pair's key)
# without fopen. Every fopen of sipcd is logged (LD_PRELOAD fopen_log)
# through a rotation staged with --reload and a reload after it, on $BASE.1.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.114}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init secretreads
need_free "$BASE.1":{23000,23001,23002,23003}
export SIPC_PFX_PASSWORD="Secret-Reads-$$"
home=$work/n1
one_node_home "$home" secretreads
pair_home "$home" || exit 1
tt() { "$BIN/tlstool" --home "$home" "$@"; }
tt enable --mode permissive >/dev/null || { echo "cannot enable TLS"; exit 1; }
export SIPC_TEST_FOPEN_LOG=$work/fopen.log
sipcd_preloaded "$BIN/tests/integration/libfopen_log.so"
sipcd_start "$home" || exit 1
at_exit "kill -TERM $sipcd_pid 2>/dev/null"
# the rotation's staged pair, loaded by a reload, then one more reload
tt create -site "$work/new.p12" >/dev/null || bad "create the new pair"
run tt rotate stage "$work/new.p12" --reload
expect "rotate stage --reload: the node takes the staged pair" 0
[ -s "$home/security/staged/node.crt" ] || bad "no staged node.crt"
run "$BIN/sipcctl" --home "$home" reload
[ "$RC" = 0 ] || bad "sipcctl reload: exit $RC"
unset SIPC_TEST_FOPEN_LOG
[ -s "$work/fopen.log" ] && ok "sipcd's fopen calls are logged ($(wc -l <"$work/fopen.log") of them)" ||
    bad "no fopen of sipcd was logged: the LD_PRELOAD library is not in effect"
if grep -q "/security/staged/\|/security/previous/\|/security/node\.\(crt\|p12\)" "$work/fopen.log"; then
    cp "$work/fopen.log" "$OUT"
    bad "sipcd read a file that holds a private key through stdio"
else
    ok "sipcd read no file that holds a private key through stdio (start, two reloads, a staged pair)"
fi
shtest_done
