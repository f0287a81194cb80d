#!/usr/bin/env bash
# test_rotate_commit_unasked.sh - the guard of `tlstool rotate commit` and a
# node that stops answering between its two dials: a (its home only, at
# $BASE.1) and b (a real sipcd at $BASE.2), both strict, both with the same
# pair staged; a reaches b through a relay at $BASE.3 that passes the first
# connection on to b and holds every later one without a word, as a node
# stopped or restarting between the dials does. b answers the first dial
# (this home's pair) and cannot be asked the second (the staged pair): that
# is no refusal of the staged pair, so the commit goes on with a warning
# naming b and why (test_rotate_stagemix.sh: a real refusal still refuses).
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.221}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE".{1,2,3}:{23000,23001,23002,23003}
shtest_init rotatecommitunasked
export TZ=UTC SIPC_PFX_PASSWORD="Rotate-Unasked-$$"
for f in cluster new; do
    "$BIN/tlstool" create -site "$work/$f.pfx" >/dev/null || { not_ok "tlstool create $f"; exit 1; }
done
tt() { local h=$1; shift; "$BIN/tlstool" --home "$work/$h" "$@"; }
node_home "$work/a" unasked a "$BASE.1" "$BASE.1, $BASE.3"
node_home "$work/b" unasked b "$BASE.2" "$BASE.1, $BASE.2"
for h in a b; do
    tt $h import "$work/cluster.pfx" >/dev/null && tt $h enable --mode strict >/dev/null &&
        tt $h rotate stage "$work/new.pfx" >/dev/null 2>&1 || { not_ok "import, enable, stage on $h"; exit 1; }
done
sipcd_start_all "$work/b" || { not_ok "sipcd b did not start"; exit 1; }

python3 -c '
import socket, sys, threading, time
s = socket.socket(); s.bind((sys.argv[1], 23000)); s.listen(4); s.settimeout(30)
print("listening", flush=True)
def pump(src, dst):
    try:
        while (b := src.recv(65536)):
            dst.sendall(b)
    except OSError:
        pass
    dst.close()
held = []
try:
    c, _ = s.accept()
    up = socket.create_connection((sys.argv[2], 23000))
    for a, b in ((c, up), (up, c)):
        threading.Thread(target=pump, args=(a, b), daemon=True).start()
    while True:
        held.append(s.accept()[0])  # accepted, never answered
except OSError:
    pass
' "$BASE.3" "$BASE.2" >"$work/relay.out" 2>&1 &
wait_for 5 grep -q listening "$work/relay.out" || { not_ok "the relay did not start"; exit 1; }

start=$(date +%s%N)
run tt a --timeout 2000 rotate commit
expect "b answered the first dial only: committed, with a warning naming b and why" 0 \
    "warning: 1 \[cluster\] node could not be asked whether it accepts the staged pair" \
    "$BASE\.3 \(node b\): connected to $BASE\.3:23000, but nothing received from it" "committed: this node now holds"
if grep -Eq "refuses? the staged pair|not committed" "$OUT"; then bad "a node not asked called refusing"; fi
echo "# the commit took $((($(date +%s%N) - start) / 1000000)) ms"
shtest_done
