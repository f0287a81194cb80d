#!/usr/bin/env bash
# test_read_cap_tls.sh - a real sipcd ($BASE.1, standard ports, TLS strict)
# restarted with [limits] max_read_buffer_total = 32 MiB, and 12 mutual-TLS peers
# (stall_peers.py --tls with the node's own pair, from $BASE.3) that each say
# hello, announce an 8 MiB frame on the data port, send 70000 bytes of it and
# stall: the cap holds four, the others wait for room with part of a TLS
# record in the node's record layer. Held past the 1 s idle trim:
#   - a normal client (sipcctl ping over TLS) is served within 3 s while the
#     peers stall and after the node closed the excess
#   - the node uses well under 1 s of CPU (utime + stime) over 3 s of it: its
#     loop waits for I/O, it does not spin
#   - the peers beyond the four the cap holds are closed with SIPC_EREADFULL,
#     as over plaintext (test_read_cap.sh)
#   - SIGTERM stops it within 12 s (the documented 10 s drain and a margin)
# Before that, with the default cap, two rounds of 24 such peers that send
# 8000000 bytes of their frames and close: the node's RSS is back within
# 16 MiB of where it was within 5 s of each (freed memory goes back to the
# system).
# Budget: under 90 s (about 30 s). Normal build only (CPU time, RSS); beside
# other tests: the CPU time and the RSS are the node's own.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
SRC=$(cd "$(dirname "$0")" && pwd)
BASE=${SIPC_TEST_NET:-127.0.79}
. "$SRC/../support/shtest.sh"
shtest_init readcaptls
ctl() { "$BIN/sipcctl" --timeout 3000 --home "$work/a" "$@"; }
tt() { "$BIN/tlstool" --home "$work/a" "$@"; }
need_free "$BASE.1":{23000,23001,23002,23003}

CAP=33554432 CONNS=12 ANNOUNCE=8388608 SEND=70000
export SIPC_PFX_PASSWORD="Readcap-Test-$$"
one_node_home "$work/a" flood # the cluster of flood_peers.py's hello
tt create -site "$work/cluster.pfx" >/dev/null && tt import "$work/cluster.pfx" >/dev/null &&
    tt enable --mode strict >/dev/null || { echo "tlstool set-up failed"; exit 1; }
sipcd_start "$work/a" || exit 1
node_pid=$sipcd_pid
at_exit 'kill -KILL $node_pid 2>/dev/null'

served() { # NAME: a normal client is answered within 3 s
    local start rc ms
    start=$(date +%s%N)
    timeout 10 "$BIN/sipcctl" --timeout 3000 --home "$work/a" ping "$BASE.1" >"$work/ping.out" 2>&1
    rc=$?
    ms=$((($(date +%s%N) - start) / 1000000))
    if [ "$rc" = 0 ] && [ "$ms" -lt 3000 ] && grep -q "over TLS" "$work/ping.out"; then
        ok "$1: a normal client is served over TLS in $ms ms (bound 3000)"
    else
        not_ok "$1: ping exit $rc after $ms ms"; shtest_show "$work/ping.out"
    fi
}
served "before the peers"

# Memory first, with the default max_read_buffer_total (256 MiB): two rounds
# of 24 peers that each send 8000000 bytes of their 8 MiB frame, then close.
# glibc keeps what is freed in its heap (its mmap threshold follows the
# large buffers freed in the first round), so after the second round the
# node's RSS stayed at its high-water mark unless it hands the memory back.
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$node_pid/status"; }
rss0=$(rss_kib)
for round in 1 2; do
    (sleep 5 | python3 "$SRC/stall_peers.py" --tls "$work/a/security/node.crt" "$BASE.3" \
        "$BASE.1" 23000 24 $ANNOUNCE 8000000 >"$work/round.out" 2>&1) &
    round_pid=$!
    wait_for 20 grep -q '^READY' "$work/round.out"
    held=$(rss_kib)
    wait "$round_pid"
    back() { [ "$(rss_kib)" -lt $((rss0 + 16384)) ]; }
    if wait_for 5 back; then
        ok "round $round: the node's RSS $((held / 1024)) MiB with its peers, back to $(($(rss_kib) / 1024)) MiB (before $((rss0 / 1024)) MiB, bound +16 MiB) within 5 s of their close"
    else
        not_ok "round $round: the node's RSS $(($(rss_kib) / 1024)) MiB 5 s after its peers closed (before $((rss0 / 1024)) MiB, bound +16 MiB; $((held / 1024)) MiB with them)"
    fi
done
kill -TERM "$node_pid"; wait "$node_pid"

# now the attack, on the node restarted with the small cap
printf '[limits]\nmax_read_buffer_total = %s\n' "$CAP" >>"$work/a/sipc.conf"
sipcd_start "$work/a" || exit 1
node_pid=$sipcd_pid
served "restarted with max_read_buffer_total = $CAP"

mkfifo "$work/ctl"
python3 "$SRC/stall_peers.py" --tls "$work/a/security/node.crt" "$BASE.3" "$BASE.1" 23000 \
    $CONNS $ANNOUNCE $SEND <"$work/ctl" >"$work/peers.out" 2>&1 &
peers_pid=$!
exec 7>"$work/ctl"
ready() { grep -q '^READY' "$work/peers.out"; }
wait_for 40 ready || { not_ok "the stalling peers did not get going"; shtest_show "$work/peers.out"; }
grep '^READY' "$work/peers.out" | sed 's/^/# /'

# past the idle trim (1 s after a connection's last I/O) before measuring
sleep 1.5
cpu() { awk '{ print $14 + $15 }' "/proc/$node_pid/stat"; }
hz=$(getconf CLK_TCK)
c0=$(cpu)
sleep 3
c1=$(cpu)
ms=$(((c1 - c0) * 1000 / hz))
[ "$ms" -lt 500 ] && ok "the node used $ms ms of CPU in 3 s of stalled peers (bound 500)" ||
    not_ok "the node used $ms ms of CPU in 3 s of stalled peers (bound 500): its loop spins"
served "peers stalled for 4.5 s"

refused() { [ "$(grep -c '^CLOSED .* status=-30014 message=.*max_read_buffer_total' "$work/peers.out")" -ge $((CONNS - CAP / ANNOUNCE)) ]; }
if wait_for 15 refused; then
    ok "$(grep -c '^CLOSED .* status=-30014' "$work/peers.out") of $CONNS peers closed with SIPC_EREADFULL naming max_read_buffer_total"
else
    not_ok "the waiting peers were not closed with the documented error"; shtest_show "$work/peers.out"
fi
grep -m1 '^CLOSED ' "$work/peers.out" | sed 's/^/# /'
served "after the closes"

# SIGTERM while the peers still connected hold their frames
start=$(date +%s%N)
kill -TERM "$node_pid"
gone() { ! kill -0 "$node_pid" 2>/dev/null; }
if wait_for 12 gone; then
    ok "SIGTERM stops the node in $((($(date +%s%N) - start) / 1000000)) ms (bound 12000)"
    wait "$node_pid"
    node_pid=
else
    not_ok "the node still runs 12 s after SIGTERM"
fi
exec 7>&-
wait "$peers_pid" 2>/dev/null
shtest_done
