#!/usr/bin/env bash
# test_reload_not_sent.sh - a reload whose request never left this side is a
# node not reached, however its call ended: sipcctl and tlstool judge by the
# library's word (sipc_reply.sent), not by the error's code or text. The
# "node" on $BASE.2 at the standard management port is a listener whose
# queue is full (listen backlog 0, filled by two connects), so the kernel
# drops further SYNs: the TCP connect never completes.
#   - `sipcctl reload --node` with --timeout 1500 (its handshake timeout
#     too): the connect does not finish in time, an io failure that names
#     no TLS ("connection timed out [ETIMEDOUT, io]: the connect to peer
#     ... did not finish within 1500 ms"): exit 69, "failed", not 75 ("the
#     connection was lost before the answer ... may have applied it"),
#     which is for a request the node may have taken
#   - `tlstool disable --reload` on a home whose [node] address is $BASE.2
#     (its handshake timeout the default 10 s): exit 13, the node could not
#     be asked, not 12 ("took the request and did not answer")
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.134}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE.2":23002
shtest_init reload_not_sent

# the full listener: up to 60 s in the background (the exit trap ends it)
python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 23002))
s.listen(0)
fill = []
for _ in range(2):
    c = socket.socket()
    c.setblocking(False)
    c.connect_ex((sys.argv[1], 23002))
    fill.append(c)
time.sleep(0.05)
print("ready", flush=True)
time.sleep(60)
' "$BASE.2" >"$work/full.ready" &
full_pid=$!
at_exit "kill $full_pid 2>/dev/null"
wait_for 5 test -s "$work/full.ready" || { not_ok "the full listener on $BASE.2 did not start"; shtest_done; exit 1; }

mkdir -p "$work/h"
printf '[node]\nid = h\naddress = %s.1\n[cluster]\nname = full\nnodes = %s.2\n' "$BASE" "$BASE" \
    >"$work/h/sipc.conf"
run "$BIN/sipcctl" --home "$work/h" --timeout 1500 --node "$BASE.2:23002" reload
expect "reload never sent (the connect timed out): exit 69, not 'may have applied it'" 69 \
    "management\.reload to $BASE\.2:23002 failed: connection timed out \[ETIMEDOUT, io\]: the connect to peer $BASE\.2:23002 did not finish within 1500 ms$"
if grep -q "may have applied" "$OUT"; then
    bad "reload never sent: said the node may have applied it"
fi

mkdir -p "$work/n2"
printf '[node]\nid = n2\naddress = %s.2\n[cluster]\nname = full\n' "$BASE" >"$work/n2/sipc.conf"
run "$BIN/tlstool" --home "$work/n2" disable --reload
expect "tlstool --reload never sent: exit 13, the node could not be asked" 13 \
    "the node at $BASE\.2:23002 could not be asked: connection timed out \[ETIMEDOUT, io\]: the connect to peer $BASE\.2:23002 did not finish within 10000 ms"
if grep -q "took the request" "$OUT"; then
    bad "tlstool --reload never sent: said the node took the request"
fi
shtest_done
