#!/usr/bin/env bash
# test_silence_from_connect.sh - "connected to ADDRESS, but nothing received
# from it for N ms" counts N from when the connect completed, not from the
# dial: with every connect taking 1500 ms longer (an LD_PRELOAD shim, as SYN
# retransmits would), a node that takes the connection and never answers (a
# listener at $BASE.4) is reported silent for about the 3000 ms timeout less
# those 1500 ms, by sipcctl and by tlstool check.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.39}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init silentconn
shim=$BIN/tests/integration/libconnect_hooks.so
[ -f "$shim" ] || { echo "no $shim"; exit 1; }
h=$work/h
pair_home "$h" || exit 1

# silent_for NAME COMMAND... (PORT in it: the listener's): runs it with the
# shim against a fresh silent listener; the N it reports must be under the
# 3000 ms timeout by about the connect's 1500 ms
silent_for() {
    local name=$1 n
    shift
    silent_listener "$BASE.4" || { not_ok "$name: no listener"; return; }
    printf '[node]\naddress = %s.4\n[cluster]\nnodes = %s.4:%s\n' "$BASE" "$BASE" "$silent_port" >"$h/sipc.conf"
    run env LD_PRELOAD="$shim" SIPC_TEST_CONNECT_DELAY_MS=1500 "${@//PORT/$silent_port}"
    n=$(grep -o "but nothing received from it for [0-9]* ms" "$OUT" | grep -o '[0-9]\+' | head -n1)
    if [ -n "$n" ] && [ "$n" -ge 1000 ] && [ "$n" -le 2200 ]; then
        ok "$name: silent for $n ms, counted from the connect"
    else
        bad "$name: silent for '${n:-no such line}' ms, want about 1500 (3000 less the connect's 1500)"
    fi
    kill "$silent_pid" 2>/dev/null
    wait "$silent_pid" 2>/dev/null
}
silent_for "sipcctl status" "$BIN/sipcctl" --home "$h" --node "$BASE.4:PORT" --timeout 3000 status
silent_for "tlstool check" "$BIN/tlstool" --home "$h" check --timeout 3000
shtest_done
