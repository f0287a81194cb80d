#!/usr/bin/env bash
# test_core_dumps.sh - sipcd and tlstool keep themselves out of core files (a
# core would hold the cluster's private key): a running sipcd ($BASE.1,
# plaintext), started from a shell whose core size limit is not 0, has the
# limit 0, soft and hard, in /proc/PID/limits, and logs nothing about cores;
# started with --allow-core-dumps it keeps the limit it was started with and
# each service warns at start that a core holds the private key; tlstool,
# waiting on a FIFO, has the limit 0 too. Skipped (exit 77) where the hard
# limit of this shell is 0 and cannot be raised: nothing would tell the cases
# apart.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.66}
. "$(dirname "$0")/../support/shtest.sh"
ulimit -c unlimited 2>/dev/null || ulimit -S -c "$(ulimit -H -c)"
if [ "$(ulimit -S -c)" = 0 ]; then
    echo "# skipped: the core size limit of this shell is 0, hard, and cannot be raised"
    exit 77
fi
given=$(ulimit -S -c)
need_free "$BASE.1":{23000,23001,23002,23003}
shtest_init coredumps
home=$work/home
one_node_home "$home" cores
stop_node() { kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null; }
# core_limit PID: "SOFT HARD" of the process's core file size limit
core_limit() { awk '/^Max core file size/ {print $5, $6}' "/proc/$1/limits"; }
# the shell's limit as /proc/PID/limits writes it: in bytes, or "unlimited"
want=$given
[ "$given" = unlimited ] || want=$((given * 1024))
warned() { grep -h 'WARN Core dumps allowed' "$home"/logs/*Service_*.log 2>/dev/null | grep -c 'private key'; }

run "$BIN/sipcd" --help
expect "sipcd --help lists --allow-core-dumps" 0 '--allow-core-dumps' 'private key'

sipcd_start "$home" || exit 1
lim=$(core_limit "$sipcd_pid")
if [ "$lim" = "0 0" ]; then
    ok "sipcd started with a core limit of $want runs with 0, soft and hard"
else
    not_ok "sipcd's core limit is '$lim', want '0 0' (started with $want)"
fi
n=$(warned)
[ "$n" = 0 ] && ok "no core-dump warning without the option" || not_ok "$n core-dump warnings without the option"
# the crash handler writes the logs, then the signal ends the process as it
# would have: a SIGSEGV sent from outside is not swallowed
kill -SEGV "$sipcd_pid"
for _ in $(seq 1 50); do kill -0 "$sipcd_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$sipcd_pid" 2>/dev/null; then
    not_ok "sipcd still runs after a SIGSEGV"
    stop_node
else
    wait "$sipcd_pid" 2>/dev/null
    rc=$?
    [ "$rc" = 139 ] && ok "a SIGSEGV ends sipcd as a fault would (signal 11), no core with the limit 0" ||
        not_ok "sipcd after SIGSEGV: exit $rc, want 139"
    ls "$home"/core* >/dev/null 2>&1 && not_ok "a core file was written" || :
fi

allow=$work/sipcd-allow
printf '#!/bin/sh\nexec "%s" --allow-core-dumps "$@"\n' "$BIN/sipcd" >"$allow"
chmod +x "$allow"
SIPCD=$allow sipcd_start "$home" || exit 1
lim=$(core_limit "$sipcd_pid")
if [ "${lim%% *}" = "$want" ] && [ "$lim" != "0 0" ]; then
    ok "sipcd --allow-core-dumps keeps the core limit it was started with ($lim)"
else
    not_ok "sipcd --allow-core-dumps: core limit '$lim', want a soft limit of $want"
fi
n=$(warned)
if [ "$n" = 4 ]; then
    ok "each of the four services warns that a core holds the private key"
else
    grep -h 'Service.Start' "$home"/logs/*Service_*.log >"$OUT"
    bad "$n services warn about core dumps, want 4"
fi
stop_node

# tlstool, blocked opening a FIFO: its limit once it has started
mkfifo "$work/fifo.pfx"
"$BIN/tlstool" import "$work/fifo.pfx" --home "$work/toolhome" >"$OUT" 2>&1 </dev/null &
tool=$!
timeout 30 bash -c 'exec 3>"$1" && awk "/^Max core file size/ {print \$5, \$6}" "/proc/$2/limits" >"$3"' _ \
    "$work/fifo.pfx" "$tool" "$work/tool.limit"
wait "$tool" 2>/dev/null
lim=$(cat "$work/tool.limit" 2>/dev/null)
[ "$lim" = "0 0" ] && ok "tlstool runs with a core limit of 0, soft and hard" ||
    not_ok "tlstool's core limit is '$lim', want '0 0'"
shtest_done
