#!/usr/bin/env bash
# instr-per-req.sh - user-space instructions per echoed request, server and
# client, counted exactly by valgrind's callgrind: the measure for changes
# too small to see through this machine's noise in requests per second or
# CPU time (the VM has no hardware counters). Both ends run under callgrind
# (about 50 times slower, so the rate means nothing); start-up, the
# handshake and the warm-up are in the totals, which is why the run is long
# enough that they weigh under 1 %.
#
#   tests/bench/instr-per-req.sh SIZE WINDOW plain|tls BIN [BIN...]
#
# Knobs: SECS (5), WORKDIR (the kit's certs), PORT_BASE (25600), KEEP=DIR
# keeps the callgrind files (callgrind_annotate them to see where).
set -u
# shellcheck source=tests/bench/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
SIZE=${1:?usage: instr-per-req.sh SIZE WINDOW plain|tls BIN...} WIN=${2:?} MODE=${3:?}
shift 3
WORKDIR=${WORKDIR:-${TMPDIR:-/tmp}/sipc-bench-peers}
C=$WORKDIR/certs SECS=${SECS:-5} port=${PORT_BASE:-25600}
command -v valgrind >/dev/null || { echo "instr-per-req.sh: valgrind is not installed" >&2; exit 64; }
args=()
[[ $MODE == tls ]] && args=("$C/ecdsa.crt" "$C/ecdsa.key")
T=${KEEP:-$(mktemp -d "${TMPDIR:-/tmp}/instr-per-req.XXXXXX")}
mkdir -p "$T"
[[ -z ${KEEP:-} ]] && trap 'rm -rf "$T"' EXIT
total() { sed -n 's/^summary: *//p' "$1"; }
# The client sorts its latency samples once, after the measured window: its
# qsort is not a cost of the requests (it grows with their number).
after_window() {
  callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null |
    awk '/:qsort \[/ { gsub(",", "", $1); n += $1 } END { print n + 0 }'
}
i=0
for bin in "$@"; do
  port=$((port + 1)) i=$((i + 1))
  tag=$i-$(basename "$bin")
  valgrind --tool=callgrind --callgrind-out-file="$T/$tag.srv" "$bin" server $port "$MODE" "${args[@]}" \
    >/dev/null 2>&1 &
  srv=$!
  wait_port $port 20 || { echo "instr-per-req.sh: $bin server did not listen" >&2; kill $srv; exit 1; }
  valgrind --tool=callgrind --callgrind-out-file="$T/$tag.cli" "$bin" client $port "$MODE" "$SIZE" \
    "$WIN" "$SECS" 0.5 "${args[@]}" >"$T/$tag.out" 2>/dev/null
  kill -INT $srv
  wait $srv 2>/dev/null
  reqs=$(grep -o 'reqs=[0-9]*' "$T/$tag.out" | cut -d= -f2)
  rps=$(grep -o 'rps=[0-9.]*' "$T/$tag.out" | cut -d= -f2)
  [[ -n $reqs ]] || { echo "instr-per-req.sh: $bin gave no result" >&2; exit 1; }
  # the warm-up's requests ran too
  awk -v b="$bin" -v r="$reqs" -v rps="$rps" -v s="$(total "$T/$tag.srv")" -v c="$(($(total "$T/$tag.cli") - $(after_window "$T/$tag.cli")))" \
    -v size="$SIZE" -v win="$WIN" -v mode="$MODE" 'BEGIN {
      n = r + rps * 0.5
      printf "INSTR bin=%s size=%s window=%s mode=%s reqs=%d srv_instr_per_req=%.0f cli_instr_per_req=%.0f both=%.0f\n",
        b, size, win, mode, n, s / n, c / n, (s + c) / n }'
done
