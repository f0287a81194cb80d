#!/usr/bin/env bash
# test_disable_hung_peer.sh - `tlstool disable --timeout MS` with a [cluster]
# node that takes the connection and never answers (a stopped or hung
# process: its kernel still accepts): disable finishes in about one
# timeout, names that node as not asked, and goes on. Home x ($BASE.1, TLS
# strict, no sipcd running) lists itself and a silent listener on $BASE.2.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.105}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE.1":{23000,23001,23002,23003}
shtest_init hungpeer
export TZ=UTC SIPC_PFX_PASSWORD="Hung-Peer-$$"
silent_listener "$BASE.2"
node_home "$work/x" hung x "$BASE.1" "$BASE.1, $BASE.2:$silent_port"
pair_home "$work/x" && "$BIN/tlstool" --home "$work/x" enable --mode strict >/dev/null ||
    { not_ok "tlstool import, enable on x"; exit 1; }
t0=$(sc_now_ms)
run "$BIN/tlstool" --home "$work/x" disable --timeout 1000
took=$(($(sc_now_ms) - t0))
expect "disable with a hung peer: goes on, naming it as not asked" 0 \
    "^tlstool: warning: $BASE.2:$silent_port could not be asked the mode it runs" \
    '^TLS disabled: \[tls\] enable = 0'
# one timeout (1 s) and the command's own work, not the default 5 s
if [ "$took" -ge 900 ] && [ "$took" -lt 3000 ]; then
    ok "it took about one timeout ($took ms for --timeout 1000)"
else
    not_ok "it took $took ms for --timeout 1000"
fi
shtest_done
