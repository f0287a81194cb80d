#!/usr/bin/env bash
# test_demo.sh - `make run KEEP=1` as a new user meets it: services/demo.sh
# on its own loopback block ($BASE.1-3, standard ports) runs to the end, and
# every command it prints under "Try:" works as printed, in that order: the
# record put through n1 is read back by the printed get and found by the
# printed cluster-wide search. The nodes start without the PFX password in
# their environment. Then the printed "Stop:" line stops the nodes.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.57}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init demo
need_free "$BASE".{1,2,3}:{23000,23001,23002,23003}
demo=$(cd "$(dirname "$0")/../../services" && pwd)/demo.sh

# the demo's nodes outlive it: stop them whatever happens
at_exit 'stop=$(sed -n "s/^Stop: *//p" "$work/demo.out" 2>/dev/null); [ -n "$stop" ] && bash -c "$stop" >/dev/null 2>&1'

TMPDIR=$work SIPC_BIN=$BIN SIPC_DEMO_KEEP=1 SIPC_DEMO_NET=$BASE timeout 120 bash "$demo" >"$work/demo.out" 2>&1
rc=$?
if [ "$rc" = 0 ] && grep -q "^Try:" "$work/demo.out"; then
    ok "make run KEEP=1: the demo runs to the end and prints what to try"
else
    not_ok "demo exit $rc"; shtest_show "$work/demo.out"
fi

# The transcript can be pasted: it says where the programs are and how the
# PFX password is given, and names each program as the shell finds it on PATH.
grep -q '^\$ export PATH=' "$work/demo.out" && grep -q '^\$ read -rs SIPC_PFX_PASSWORD && export SIPC_PFX_PASSWORD' "$work/demo.out" &&
    ok "the transcript exports PATH and SIPC_PFX_PASSWORD before the first command" ||
    { not_ok "no PATH or SIPC_PFX_PASSWORD line"; shtest_show "$work/demo.out"; }
grep -q '^\$ /' "$work/demo.out" && { not_ok "a transcript line runs a program by its path"; grep '^\$ /' "$work/demo.out"; } ||
    ok "every transcript line names its program as on PATH"
# The demo's password is a secret like any other: never in the transcript.
grep -q 'Demo-[0-9a-f]\{12\}' "$work/demo.out" && not_ok "the transcript shows the demo's PFX password" ||
    ok "the transcript does not show the PFX password"

# The "Try:" block: the line starting with "Try:" and the indented lines
# after it, each a shell command (a comment may follow it).
sed -n '/^Try:/,/^Stop:/p' "$work/demo.out" | sed -e '/^Stop:/d' -e 's/^Try: *//' -e 's/^ *//' >"$work/try.txt"
n=0
while IFS= read -r cmd; do
    [ -n "$cmd" ] || continue
    n=$((n + 1))
    bash -c "$cmd" >"$work/try$n.out" 2>&1 </dev/null
    rc=$?
    if [ "$rc" = 0 ]; then
        ok "Try $n works as printed: ${cmd#"$BIN/"}"
    else
        not_ok "Try $n exit $rc: $cmd"; shtest_show "$work/try$n.out"
    fi
    case $cmd in
    *" get my-id"*)
        grep -qx "my record" "$work/try$n.out" && ok "the printed get prints the record put before" ||
            { not_ok "get output"; shtest_show "$work/try$n.out"; } ;;
    *" search "*"user=me"*)
        grep -q "my-id" "$work/try$n.out" && grep -q "1 hits* from 3 of 3 nodes" "$work/try$n.out" &&
            ok "the printed search finds it from another node, asking all three" ||
            { not_ok "search output"; shtest_show "$work/try$n.out"; } ;;
    esac
done <"$work/try.txt"
[ "$n" -ge 4 ] && grep -q " put my-id" "$work/try.txt" || not_ok "the Try: block has a put, a get and a search ($n commands)"

# sipcd reads no password: the demo keeps the PFX password out of the
# environment its nodes start with, and its transcript says to
leaked=0 nlocks=0
for lock in "$work"/sipc-demo.*/n*/state/sipcd.lock; do
    [ -f "$lock" ] || continue
    nlocks=$((nlocks + 1))
    pid=$(head -n1 "$lock")
    tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -q '^SIPC_PFX_PASSWORD=' && leaked=$((leaked + 1))
done
[ "$nlocks" = 3 ] && [ "$leaked" = 0 ] && grep -q '^\$ unset SIPC_PFX_PASSWORD' "$work/demo.out" &&
    ok "the nodes start without SIPC_PFX_PASSWORD in their environment, as the transcript says" ||
    not_ok "SIPC_PFX_PASSWORD in the environment of $leaked of $nlocks demo nodes (or no unset line)"

# The printed Stop: command waits for the nodes to exit (they write their
# stores and logs after SIGTERM) before it removes their homes.
stop_line=$(sed -n 's/^Stop: *//p' "$work/demo.out")
if [ -n "$stop_line" ] && bash -c "$stop_line" >"$work/stop.out" 2>&1; then
    ok "the printed Stop: line stops the nodes"
else
    not_ok "Stop: '$stop_line'"; shtest_show "$work/stop.out"
fi
left=$(ls -d "$work"/sipc-demo.* 2>/dev/null)
[ -z "$left" ] && ok "it removes the demo's directory" || not_ok "left behind: $left"
alive=$(pgrep -f "sipcd --home $work/" || true)
[ -z "$alive" ] && ok "no demo node is left running" || not_ok "still running: $alive"
shtest_done
