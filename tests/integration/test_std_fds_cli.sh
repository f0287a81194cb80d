#!/usr/bin/env bash
# test_std_fds_cli.sh - tlstool and sipcctl started with descriptors 0, 1
# and 2 closed open /dev/null on them first, as sipcd does (test_std_fds):
# the connection each makes to a node that never answers (a listener at
# $BASE.2) is not given descriptor 0, 1 or 2, where a message written to
# stdout or stderr would go into it (or, for tlstool, into a key file it
# writes). Looked at in /proc while each waits for its answer.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.39}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init stdfdscli
h=$work/h
pair_home "$h" || exit 1

# fds_of NAME COMMAND...: runs COMMAND (PORT in it: the listener's) with 0,
# 1 and 2 closed against a fresh silent listener, and checks its
# descriptors once it has connected
fds_of() {
    local name=$1 pid fd t i
    shift
    silent_listener "$BASE.2" || { not_ok "$name: no listener"; return; }
    printf '[node]\naddress = %s.2\n[cluster]\nnodes = %s.2:%s\n' "$BASE" "$BASE" "$silent_port" >"$h/sipc.conf"
    "${@//PORT/$silent_port}" <&- >&- 2>&- &
    pid=$!
    # connected: a socket among its descriptors (or it is gone)
    for i in $(seq 1 50); do
        ls -l "/proc/$pid/fd" 2>/dev/null | grep -q 'socket:' && break
        sleep 0.1
    done
    for fd in 0 1 2; do
        t=$(readlink "/proc/$pid/fd/$fd")
        [ "$t" = /dev/null ] && ok "$name: descriptor $fd is /dev/null" ||
            not_ok "$name: descriptor $fd is '$t'"
    done
    kill "$pid" "$silent_pid" 2>/dev/null
    wait "$pid" "$silent_pid" 2>/dev/null
}
fds_of "tlstool check" "$BIN/tlstool" --home "$h" check --timeout 5000
fds_of "sipcctl status" "$BIN/sipcctl" --home "$h" --node "$BASE.2:PORT" --timeout 5000 status
shtest_done
