#!/usr/bin/env bash
# bench-all.sh - the whole benchmark run behind `make bench`: the kit
# (../shared/bench-peers) with sipc added and a 1 MiB workload beside its
# three, then the handshake comparison (hs-compare.sh: sipc full and resumed
# beside openssl s_time) and the aggregate over many connections
# (conns.sh) and what one node's connections cost (sipc-scale: 10,000 idle
# mTLS connections, 2,000 connecting at once), all into the kit's result
# folder; ends with the performance
# goals checked against this run (goals.py, also in goals.txt there: a goal
# not met is reported, not a failure of the run).
#
#   SIPC_BENCH=build/sipc-bench BENCH_KIT=../shared/bench-peers/peers/run.sh tests/bench/bench-all.sh
#
# Every knob of the kit passes through (REPS, SECS, DATA_KEYS, PHASES, ...);
# WORKLOADS defaults to the kit's three plus 1048576:4.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
: "${SIPC_BENCH:?set SIPC_BENCH to the sipc-bench binary}"
KIT=${BENCH_KIT:?set BENCH_KIT to peers/run.sh of the kit}
WORKDIR=${WORKDIR:-${TMPDIR:-/tmp}/sipc-bench-peers}
export WORKDIR SIPC_BENCH
export WORKLOADS=${WORKLOADS:-"64:1 64:32 65536:16 1048576:4"}
export OUT=${OUT:-$WORKDIR/results/$(date -u +%Y%m%dT%H%M%SZ)}
"$KIT" || exit $?
echo "== handshakes: sipc full and resumed beside openssl s_time (hs-compare.sh)"
HS_KEYS=${HS_KEYS:-ecdsa rsa} bash "$HERE/hs-compare.sh" | tee "$OUT/hs-compare.txt"
echo "== aggregate over 1, 16 and 256 connections (conns.sh)"
bash "$HERE/conns.sh" | tee "$OUT/conns.txt"
echo "== 10,000 idle mTLS connections and 2,000 at once (sipc-scale)"
SCALE=${SIPC_SCALE:-$(dirname "$SIPC_BENCH")/sipc-scale}
{
  echo "# sipc-scale --idle 10000 --burst 2000, the kit's ECDSA pair; start $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
  "$SCALE" --idle 10000 --burst 2000 "$WORKDIR/certs/ecdsa.crt" "$WORKDIR/certs/ecdsa.key"
  echo "# end $(date -u +%FT%TZ), exit $?"
} 2>&1 | tee "$OUT/scale.txt"
echo "== the goals against this run (goals.py)"
python3 "$HERE/goals.py" "$OUT" | tee "$OUT/goals.txt"
echo "results: $OUT"
