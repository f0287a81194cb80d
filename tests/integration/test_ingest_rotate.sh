#!/usr/bin/env bash
# test_ingest_rotate.sh - a running `sipcctl ingest -` follows a key pair
# rotation of its own home as it follows a TLS mode change
# (docs/operator-guide.md 1.8): one node, n1 ($BASE.2, TLS strict), a
# client-only home ops with the pair, and an ingest from ops fed slowly
# from a FIFO, quiet from before the rotation to 3 s after it. The rotation
# (stage on both, commit n1 --reload, commit ops, finish n1 --reload) makes
# n1 refuse the pair the ingest dialed with; ops committed meanwhile, so the
# ingest takes its home's new pair, says so, and ends with exit 0, every
# record acknowledged.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.116}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE".2:{23000,23001,23002,23003}
shtest_init ingestrotate
export SIPC_PFX_PASSWORD="Ingest-Rotate-$$"
N=100
node_home "$work/n1" irot n1 "$BASE.2" "$BASE.2"
mkdir -p "$work/ops"
printf '[cluster]\nname = irot\nnodes = %s.2:23000\n' "$BASE" >"$work/ops/sipc.conf"
"$BIN/tlstool" create -site "$work/cluster.p12" >/dev/null &&
    "$BIN/tlstool" create -site "$work/new.p12" >/dev/null &&
    "$BIN/tlstool" --home "$work/n1" import "$work/cluster.p12" >/dev/null &&
    "$BIN/tlstool" --home "$work/n1" enable --mode strict >/dev/null &&
    "$BIN/tlstool" --home "$work/ops" import "$work/cluster.p12" >/dev/null ||
    { echo "cannot set up TLS"; exit 1; }
sipcd_start_all "$work/n1" || exit 1
tt() { local h=$1; shift; "$BIN/tlstool" --home "$work/$h" "$@" >>"$work/rotate.out" 2>&1 || not_ok "tlstool $h $*"; }

mkfifo "$work/in"
"$BIN/sipcctl" --home "$work/ops" --node "$BASE.2" --timeout 5000 ingest - --json <"$work/in" \
    >"$work/ingest.json" 2>"$work/ingest.err" &
ingest_pid=$!
(
    exec 3>"$work/in"
    for i in $(seq 1 $N); do
        printf '{"id":"r-%04d","timestamp_ms":%d,"body":"record %d"}\n' "$i" \
            $((1764000000000 + i)) "$i" >&3 || exit 0
        sleep 0.05
        if [ "$i" = 40 ]; then
            for _ in $(seq 1 600); do [ -e "$work/rotated" ] && break; sleep 0.1; done
            sleep 3
        fi
    done
) 2>/dev/null &
feed_pid=$!
sleep 2.5
tt n1 rotate stage "$work/new.p12" --reload
tt ops rotate stage "$work/new.p12"
tt n1 rotate commit --reload
tt ops rotate commit
tt n1 rotate finish --reload
touch "$work/rotated"
wait "$feed_pid" 2>/dev/null
wait "$ingest_pid"
RC=$?
if [ "$RC" = 0 ] && [ "$(jq .acknowledged "$work/ingest.json")" = $N ] &&
    [ "$(jq .home_changes_followed "$work/ingest.json")" = 1 ] &&
    grep -q "^sipcctl: this home's TLS setup ($work/ops) changed during this run (key pair sha256 [0-9a-f]\{16\}\.\.\. -> [0-9a-f]\{16\}\.\.\.): sipcctl follows it" "$work/ingest.err"; then
    ok "a rotation of its home during the ingest: followed, all $N acknowledged"
else
    not_ok "a rotation of its home during the ingest: exit $RC, $(jq -c '{acknowledged, home_changes_followed}' "$work/ingest.json" 2>&1)"
    shtest_show "$work/ingest.err"
    shtest_show "$work/rotate.out"
fi
shtest_done
