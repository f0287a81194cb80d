#!/usr/bin/env bash
# test_std_fds.sh - sipcd started with its standard descriptors closed (as
# `sipcd <&-` or a careless service manager does) opens /dev/null on them
# first: the home's lock never becomes descriptor 0 and nothing it opens
# later is written through descriptor 1 (real sipcd, TLS off, 127.1.33.4).
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.33}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init stdfds
need_free "$BASE".4:{23000,23001,23002,23003}
h=$work/n4
mkdir -p "$h"
printf '[node]\nid = n4\naddress = %s.4\n[cluster]\nname = fds\nnodes = %s.4\n' "$BASE" "$BASE" >"$h/sipc.conf"
# stdin and stdout closed, stderr to a file
"$BIN/sipcd" --home "$h" <&- >&- 2>"$h.err" &
pid=$!
started() { [ "$(sc_started_count "$h")" -ge 4 ]; }
if wait_for 20 started; then
    ok "sipcd started with stdin and stdout closed"
    for fd in 0 1; do
        t=$(readlink "/proc/$pid/fd/$fd")
        [ "$t" = /dev/null ] && ok "descriptor $fd is /dev/null" || not_ok "descriptor $fd is '$t'"
    done
    [ "$(readlink "/proc/$pid/fd/2")" = "$h.err" ] && ok "descriptor 2 stays the file given" ||
        not_ok "descriptor 2 is '$(readlink "/proc/$pid/fd/2")'"
    grep -q 'Service Started' "$h.err" && ok "its lines still reach stderr" || not_ok "nothing on stderr"
else
    not_ok "sipcd with stdin and stdout closed did not start: $(tail -n 3 "$h.err")"
fi
kill -TERM "$pid" 2>/dev/null
wait "$pid"
shtest_done
