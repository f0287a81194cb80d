#!/usr/bin/env bash
# ab-compare.sh - before/after of one change: two sipc-bench binaries run
# interleaved with the kit's uv_echo (the limit) on the same workloads, so a
# change is judged as a ratio measured in one run, not across runs. Needs a
# kit run first (its build/ and certs/).
#
#   tests/bench/ab-compare.sh OLD_SIPC_BENCH NEW_SIPC_BENCH > ab.txt
#
# Knobs: REPS (3), SECS (3), WARMUP (1), WORKLOADS ("64:1 64:32 65536:16"),
# MODES ("tls"), KEY (ecdsa), PORT_BASE (25400), WORKDIR (the kit's,
# /tmp/sipc-bench-peers). Prints the RESULT lines with bin=old|new|uv and
# rep= appended, then a table of medians and ratios.
set -u
# shellcheck source=tests/bench/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
OLD=${1:?usage: ab-compare.sh OLD_SIPC_BENCH NEW_SIPC_BENCH}
NEW=${2:?usage: ab-compare.sh OLD_SIPC_BENCH NEW_SIPC_BENCH}
WORKDIR=${WORKDIR:-${TMPDIR:-/tmp}/sipc-bench-peers}
UV=$WORKDIR/build/uv_echo C=$WORKDIR/certs
REPS=${REPS:-3} SECS=${SECS:-3} WARMUP=${WARMUP:-1} KEY=${KEY:-ecdsa}
WORKLOADS=${WORKLOADS:-"64:1 64:32 65536:16"} MODES=${MODES:-tls}
port=${PORT_BASE:-25400}
[[ -x $UV && -f $C/$KEY.crt ]] || { echo "ab-compare.sh: run the kit once first ($UV, $C)" >&2; exit 64; }
OUT=$(mktemp "${TMPDIR:-/tmp}/ab-compare.XXXXXX")
SRV=
trap '[[ -n $SRV ]] && kill "$SRV" 2>/dev/null; rm -f "$OUT"' EXIT
one() { # label size window mode server-cmd... -- client-cmd...
  local label=$1 size=$2 win=$3 mode=$4 s=() c=() seen=0
  shift 4
  for a in "$@"; do
    if [[ $a == -- ]]; then seen=1; elif ((seen)); then c+=("$a"); else s+=("$a"); fi
  done
  "${s[@]}" >/dev/null 2>&1 & SRV=$!
  wait_port "$port" || { echo "ab-compare.sh: $label server did not listen" >&2; kill "$SRV"; SRV=; return; }
  local r
  r=$(timeout 120 "${c[@]}" | grep '^RESULT') &&
    echo "$r bin=$label mode_run=$mode rep=$rep load1=$(load1)" | tee -a "$OUT"
  kill "$SRV" 2>/dev/null; wait "$SRV" 2>/dev/null; SRV=
}
for rep in $(seq "$REPS"); do
  for wl in $WORKLOADS; do
    size=${wl%%:*} win=${wl##*:}
    port=$((port + 1))
    one uv "$size" "$win" plain "$UV" server $port -- "$UV" client $port "$size" "$win" "$SECS" "$WARMUP"
    for mode in $MODES; do
      args=()
      [[ $mode == tls ]] && args=("$C/$KEY.crt" "$C/$KEY.key")
      for b in old new; do
        bin=$OLD; [[ $b == new ]] && bin=$NEW
        port=$((port + 1))
        one "$b" "$size" "$win" "$mode" "$bin" server $port "$mode" "${args[@]}" -- \
          "$bin" client $port "$mode" "$size" "$win" "$SECS" "$WARMUP" "${args[@]}"
      done
    done
  done
done
# medians: req/s of each (bin, mode, size, window), and the ratios to uv
python3 - "$OUT" <<'EOF'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = dict(re.findall(r'(\w+)=(\S+)', line))
    key = (int(f['size']), int(f['window']), f['bin'], f['mode_run'])
    rows.setdefault(key, []).append(float(f['rps']))
print('\n| size | window | bin | mode | req/s median [min-max] | / uv | new / old |')
print('|---|---|---|---|---|---|---|')
for (size, win, b, mode), v in sorted(rows.items()):
    med = statistics.median(v)
    uv = rows.get((size, win, 'uv', 'plain'))
    ratio = med / statistics.median(uv) if uv else float('nan')
    old = rows.get((size, win, 'old', mode))
    gain = med / statistics.median(old) if old and b == 'new' else None
    print(f"| {size} | {win} | {b} | {mode} | {med:,.0f} [{min(v):,.0f}-{max(v):,.0f}] | {ratio:.3f} | "
          + (f"{gain:.2f}" if gain else "") + " |")
EOF
