#!/usr/bin/env bash
# hs-compare.sh - sipc's full mTLS handshakes/s beside the kit's wolf_hs, run
# interleaved with the same certificates (the kit itself does not run
# `sipc-bench hs`). Needs a kit run first (its build/ and certs/).
#
#   SIPC_BENCH=build/sipc-bench tests/bench/hs-compare.sh > hs.txt
#
# Knobs: REPS (3), HS_SECS (5), HS_KEYS ("ecdsa rsa"), PORT_BASE (25100),
# WORKDIR (/tmp/sipc-bench-peers, the kit's). Prints RESULT lines with rep=
# and load1= appended, as the kit does.
set -u
B=${SIPC_BENCH:?set SIPC_BENCH to the sipc-bench binary}
WORKDIR=${WORKDIR:-${TMPDIR:-/tmp}/sipc-bench-peers}
W=$WORKDIR/build/wolf_hs C=$WORKDIR/certs
REPS=${REPS:-3} HS_SECS=${HS_SECS:-5} port=${PORT_BASE:-25100}
[[ -x $W && -f $C/ecdsa.crt ]] || { echo "hs-compare.sh: run the kit once first ($W, $C)" >&2; exit 64; }
SRV=
trap '[[ -n $SRV ]] && kill "$SRV" 2>/dev/null' EXIT
run() { # server-cmd... -- client-cmd...
  local s=() c=() seen=0
  for a in "$@"; do
    if [[ $a == -- ]]; then seen=1; elif ((seen)); then c+=("$a"); else s+=("$a"); fi
  done
  "${s[@]}" >/dev/null 2>&1 & SRV=$!
  sleep 0.3
  local out; out=$("${c[@]}") && echo "$out rep=$rep load1=$(cut -d' ' -f1 /proc/loadavg)"
  kill "$SRV" 2>/dev/null; wait "$SRV" 2>/dev/null; SRV=
}
for rep in $(seq "$REPS"); do
  for k in ${HS_KEYS:-ecdsa rsa}; do
    port=$((port + 1))
    run "$W" server $port "$C/$k.crt" "$C/$k.key" -- "$W" client $port "$C/$k.crt" "$C/$k.key" "$HS_SECS" 0.5
    port=$((port + 1))
    run "$B" server $port tls "$C/$k.crt" "$C/$k.key" -- "$B" hs $port "$HS_SECS" "$C/$k.crt" "$C/$k.key" 0.5
  done
done
