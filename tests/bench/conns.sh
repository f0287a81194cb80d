#!/usr/bin/env bash
# conns.sh - sipc's aggregate throughput over 1, 16 and 256 connections (one
# client process, one server process, mutual TLS), interleaved, medians of
# REPS. The kit's workload is one connection; this says how the figures hold
# when a node talks to many peers at once.
#
#   SIPC_BENCH=build/sipc-bench tests/bench/conns.sh > conns.txt
#
# Knobs: REPS (3), SECS (3), WARMUP (1), CONNS ("1 16 256"),
# CONNS_WORKLOADS ("64:32 65536:4", SIZE:WINDOW per connection), MODE (tls),
# PORT_BASE (25600), WORKDIR (the kit's certs).
set -u
# shellcheck source=tests/bench/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
B=${SIPC_BENCH:?set SIPC_BENCH to the sipc-bench binary}
WORKDIR=${WORKDIR:-${TMPDIR:-/tmp}/sipc-bench-peers}
C=$WORKDIR/certs REPS=${REPS:-3} SECS=${SECS:-3} WARMUP=${WARMUP:-1} MODE=${MODE:-tls}
port=${PORT_BASE:-25600}
[[ -f $C/ecdsa.crt ]] || { echo "conns.sh: run the kit once first ($C)" >&2; exit 64; }
args=()
[[ $MODE == tls ]] && args=("$C/ecdsa.crt" "$C/ecdsa.key")
OUT=$(mktemp "${TMPDIR:-/tmp}/conns.XXXXXX")
SRV=
trap '[[ -n $SRV ]] && kill "$SRV" 2>/dev/null; rm -f "$OUT"' EXIT
for rep in $(seq "$REPS"); do
  for wl in ${CONNS_WORKLOADS:-64:32 65536:4}; do
    for n in ${CONNS:-1 16 256}; do
      port=$((port + 1))
      "$B" server $port "$MODE" "${args[@]}" >/dev/null 2>&1 & SRV=$!
      wait_port "$port"
      r=$(timeout 120 "$B" client $port "$MODE" "${wl%%:*}" "${wl##*:}" "$SECS" "$WARMUP" "${args[@]}" \
          conns=$n | grep '^RESULT') &&
        echo "$r rep=$rep load1=$(load1)" | tee -a "$OUT"
      kill "$SRV" 2>/dev/null; wait "$SRV" 2>/dev/null; SRV=
    done
  done
done
python3 - "$OUT" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = dict(re.findall(r'(\w+)=(\S+)', line))
    rows.setdefault((int(f['size']), int(f['window']), int(f['conns'])), []).append(
        (float(f['rps']), float(f['mbps']), float(f['p99_us'])))
print('\n| size | window per conn | conns | req/s median [min-max] | MB/s | p99 us | / 1 conn |')
print('|---|---|---|---|---|---|---|')
for (size, win, n), v in sorted(rows.items()):
    rps = [x[0] for x in v]
    one = rows.get((size, win, 1))
    ratio = statistics.median(rps) / statistics.median([x[0] for x in one]) if one else float('nan')
    print(f"| {size} | {win} | {n} | {statistics.median(rps):,.0f} [{min(rps):,.0f}-{max(rps):,.0f}] | "
          f"{statistics.median([x[1] for x in v]):,.1f} | {statistics.median([x[2] for x in v]):,.0f} | {ratio:.2f} |")
PY
