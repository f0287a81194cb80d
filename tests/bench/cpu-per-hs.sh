#!/usr/bin/env bash
# cpu-per-hs.sh - CPU cost of one mutual-TLS handshake, both ends, for one or
# more sipc-bench binaries, interleaved: CPU time (perf stat task-clock) of
# `sipc-bench server` and of `sipc-bench hs` over the client's whole run,
# divided by the handshakes of the run (no warm-up, so every handshake
# counts; the start-up is a few handshakes' worth). Like cpu-per-req.sh,
# this moves much less with the machine's load than handshakes per second.
#
#   tests/bench/cpu-per-hs.sh full|resume CERT KEY BIN [BIN...]
#
# BIN "openssl" measures OpenSSL the same way: `openssl s_server -Verify 1`
# (with -no_cache for full handshakes) and `openssl s_time -new` (full) or
# `-reuse` (resume) as the client, with CERT presented by both and trusted
# (a self-signed pair); the count is s_time's "N connections". This ratio of
# CPU per handshake does not move with the machine's load the way
# handshakes per second do (hs-compare.sh).
#
# CERT may hold a chain (leaf, intermediates, root) with KEY the leaf's key:
# both ends present it and trust its root (the verifier's path building and
# signature checks), where the kit's self-signed pairs are pinned. Knobs:
# SECS (3), REPS (3), PORT_BASE (25900). One line per run:
#   BIN KIND rep=N hs=N resumed=N rate=R srv_us=S cli_us=C both_us=S+C
set -u
# shellcheck source=tests/bench/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
KIND=${1:?usage: cpu-per-hs.sh full|resume CERT KEY BIN...} CRT=${2:?} KF=${3:?}
shift 3
SECS=${SECS:-3} REPS=${REPS:-3} port=${PORT_BASE:-25900}
command -v perf >/dev/null || { echo "cpu-per-hs.sh: perf is not installed" >&2; exit 64; }
T=$(mktemp -d "${TMPDIR:-/tmp}/cpu-per-hs.XXXXXX")
trap 'rm -rf "$T"' EXIT
for rep in $(seq "$REPS"); do
  for bin in "$@"; do
    port=$((port + 1))
    if [[ $bin == openssl ]]; then
      nc=-no_cache reuse=-new
      [[ $KIND == resume ]] && nc= reuse=-reuse
      # shellcheck disable=SC2086
      openssl s_server -accept "127.0.0.1:$port" -tls1_2 -Verify 1 -cert "$CRT" -key "$KF" \
        -CAfile "$CRT" -quiet $nc >/dev/null 2>&1 &
    else
      "$bin" server $port tls "$CRT" "$KF" >/dev/null 2>&1 &
    fi
    srv=$!
    wait_port $port || { echo "cpu-per-hs.sh: $bin server did not listen" >&2; kill $srv; exit 1; }
    perf stat -x, -e task-clock -p $srv -o "$T/srv" &
    ps=$!
    sleep 0.2
    if [[ $bin == openssl ]]; then
      perf stat -x, -e task-clock -o "$T/cli" -- openssl s_time -connect "127.0.0.1:$port" \
        $reuse -tls1_2 -time "$SECS" -cert "$CRT" -key "$KF" -CAfile "$CRT" -verify 1 \
        >"$T/out" 2>&1
    else
      perf stat -x, -e task-clock -o "$T/cli" -- "$bin" hs $port "$SECS" "$CRT" "$KF" 0 "$KIND" >"$T/out"
    fi
    kill -INT $ps; wait $ps 2>/dev/null
    kill $srv; wait $srv 2>/dev/null
    if [[ $bin == openssl ]]; then
      # -reuse: one full handshake, then the resumed ones, in the last line
      n=$(grep -oE '^[0-9]+ connections in' "$T/out" | tail -1 | awk '{print $1}')
      r=0
      [[ $KIND == resume ]] && r=$n
    else
      n=$(grep -oE 'handshakes=[0-9]+' "$T/out" | cut -d= -f2)
      r=$(grep -oE 'resumed=[0-9]+' "$T/out" | cut -d= -f2)
    fi
    s=$(awk -F, '$3=="task-clock"{print $1}' "$T/srv")
    c=$(awk -F, '$3=="task-clock"{print $1}' "$T/cli")
    [[ -n $n && $n -gt 0 && -n $s && -n $c ]] || { echo "$bin $KIND rep=$rep: no result" >&2; continue; }
    awk -v b="$bin" -v k="$KIND" -v rep="$rep" -v n="$n" -v r="${r:-0}" -v s="$s" -v c="$c" \
      -v secs="$SECS" 'BEGIN{printf "%s %s rep=%d hs=%d resumed=%d rate=%.0f srv_us=%.1f cli_us=%.1f both_us=%.1f\n",
        b, k, rep, n, r, n / secs, s * 1000 / n, c * 1000 / n, (s + c) * 1000 / n}'
  done
done
