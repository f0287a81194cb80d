#!/usr/bin/env bash
# hs-compare.sh - sipc's mTLS handshakes/s beside `openssl s_time -new` and
# the kit's wolf_hs, interleaved, with the same certificates (the kit itself
# does not run `sipc-bench hs`). Needs a kit run first (its build/ and
# certs/).
#
#   SIPC_BENCH=build/sipc-bench tests/bench/hs-compare.sh > hs.txt
#
# s_time and sipc are timed the same way, from outside: handshakes completed
# divided by the wall-clock time of the whole client process (start-up and
# certificate loading included; s_time's own "connections in Xs" divides by
# its user CPU time instead, so it is not used). sipc runs twice: full
# handshakes (no resumption, as s_time -new) and resumed ones (the client
# keeps the session ticket of the previous connection). Beside the resumed
# ones: `openssl s_time -reuse` (OpenSSL resuming by session id) and the
# connection limit, sipc-conn-limit (libuv and plaintext TCP with the writes
# of a resumed connection, no TLS: what no TLS library on libuv avoids here),
# both timed from outside the same way.
#
# Knobs: REPS (3), HS_SECS (5), HS_KEYS ("ecdsa rsa"), PORT_BASE (25100),
# WORKDIR (/tmp/sipc-bench-peers, the kit's). Prints RESULT lines with rep=
# and load1= appended, then a table of medians and ratios.
set -u
# shellcheck source=tests/bench/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
B=${SIPC_BENCH:?set SIPC_BENCH to the sipc-bench binary}
L=${SIPC_CONN_LIMIT:-$(dirname "$B")/sipc-conn-limit}
WORKDIR=${WORKDIR:-${TMPDIR:-/tmp}/sipc-bench-peers}
W=$WORKDIR/build/wolf_hs C=$WORKDIR/certs
REPS=${REPS:-3} HS_SECS=${HS_SECS:-5} port=${PORT_BASE:-25100}
[[ -x $W && -f $C/ecdsa.crt ]] || { echo "hs-compare.sh: run the kit once first ($W, $C)" >&2; exit 64; }
[[ -x $L ]] || { echo "hs-compare.sh: $L is missing (make build makes it)" >&2; exit 64; }
OUT=$(mktemp "${TMPDIR:-/tmp}/hs-compare.XXXXXX")
SRV=
trap '[[ -n $SRV ]] && kill "$SRV" 2>/dev/null; rm -f "$OUT"' EXIT
start() { "$@" >/dev/null 2>&1 & SRV=$!; wait_port "$port"; }
stop() { kill "$SRV" 2>/dev/null; wait "$SRV" 2>/dev/null; SRV=; }
emit() { echo "$* rep=$rep load1=$(load1)" | tee -a "$OUT"; }
for rep in $(seq "$REPS"); do
  # the connection limit, once per rep (no key)
  port=$((port + 1))
  if start "$L" server $port; then
    t0=$(date +%s.%N)
    o=$(timeout 60 "$L" client $port "$HS_SECS")
    t1=$(date +%s.%N)
    n=$(grep -oE 'handshakes=[0-9]+' <<<"$o" | cut -d= -f2)
    [[ -n $n ]] && emit "$(awk -v n="$n" -v a="$t0" -v b="$t1" \
      'BEGIN{printf "RESULT peer=uv-tcp kind=resume key=none wall_s=%.3f handshakes=%d hs_per_s=%.1f", b-a, n, n/(b-a)}')"
  fi
  stop
  for k in ${HS_KEYS:-ecdsa rsa}; do
    crt=$C/$k.crt key=$C/$k.key
    # openssl s_time -new against s_server, as the kit runs it; then -reuse
    # (resuming by session id, so s_server keeps its cache)
    for kind in full resume; do
      port=$((port + 1))
      nc=-no_cache st=-new
      [[ $kind == resume ]] && nc='' st=-reuse
      # shellcheck disable=SC2086
      if start openssl s_server -accept "127.0.0.1:$port" -tls1_2 -Verify 1 -cert "$crt" \
          -key "$key" -CAfile "$crt" -quiet $nc; then
        t0=$(date +%s.%N)
        o=$(timeout 60 openssl s_time -connect "127.0.0.1:$port" $st -tls1_2 -time "$HS_SECS" \
              -cert "$crt" -key "$key" -CAfile "$crt" -verify 1 2>&1)
        t1=$(date +%s.%N)
        n=$(grep -m1 -oE '^[0-9]+ connections in' <<<"$o" | awk '{print $1}')
        [[ -n $n ]] && emit "$(awk -v n="$n" -v a="$t0" -v b="$t1" -v k="$k" -v kind="$kind" \
          'BEGIN{printf "RESULT peer=openssl-s_time kind=%s key=%s wall_s=%.3f handshakes=%d hs_per_s=%.1f", kind, k, b-a, n, n/(b-a)}')"
      fi
      stop
    done
    # sipc: full, then resumed; the same outside clock
    for kind in full resume; do
      port=$((port + 1))
      if start "$B" server $port tls "$crt" "$key"; then
        t0=$(date +%s.%N)
        o=$(timeout 60 "$B" hs $port "$HS_SECS" "$crt" "$key" 0 "$kind")
        t1=$(date +%s.%N)
        n=$(grep -oE 'handshakes=[0-9]+' <<<"$o" | cut -d= -f2)
        r=$(grep -oE 'resumed=[0-9]+' <<<"$o" | cut -d= -f2)
        [[ -n $n ]] && emit "$(awk -v n="$n" -v r="${r:-0}" -v a="$t0" -v b="$t1" -v k="$k" -v kind="$kind" \
          'BEGIN{printf "RESULT peer=sipc kind=%s key=%s wall_s=%.3f handshakes=%d resumed=%d hs_per_s=%.1f", kind, k, b-a, n, r, n/(b-a)}')"
      fi
      stop
    done
    # the kit's wolf_hs (Debian's libwolfssl, blocking sockets), its own clock
    port=$((port + 1))
    if start "$W" server $port "$crt" "$key"; then
      o=$(timeout 60 "$W" client $port "$crt" "$key" "$HS_SECS" 0.5 | grep '^RESULT')
      [[ -n $o ]] && emit "$o"
    fi
    stop
  done
done
python3 - "$OUT" <<'EOF'
import re, statistics, sys
rates = {}
for line in open(sys.argv[1]):
    f = dict(re.findall(r'(\w+)=(\S+)', line))
    peer = f['peer'] + ('/' + f['kind'] if 'kind' in f else '')
    rate = float(f.get('hs_per_s') or f.get('rate') or f.get('rps') or 'nan')
    rates.setdefault((f['key'], peer), []).append(rate)
print('\n| key | client | handshakes/s median [min-max] | / s_time | / sipc full | / connection limit |')
print('|---|---|---|---|---|---|')
lim = rates.get(('none', 'uv-tcp/resume'))
lim = statistics.median(lim) if lim else None
for (k, peer), v in sorted(rates.items()):
    med = statistics.median(v)
    st = rates.get((k, 'openssl-s_time/full'))
    full = rates.get((k, 'sipc/full'))
    r1 = f"{med / statistics.median(st):.2f}" if st else ''
    r2 = f"{med / statistics.median(full):.2f}" if full else ''
    r3 = f"{med / lim:.2f}" if lim else ''
    print(f"| {k} | {peer} | {med:,.0f} [{min(v):,.0f}-{max(v):,.0f}] | {r1} | {r2} | {r3} |")
# what resumed = 4 x full asks of a connection on this machine
for (k, peer), v in sorted(rates.items()):
    if peer == 'sipc/full' and lim:
        four = 4 * statistics.median(v)
        print(f"{k}: 4 x sipc full = {four:,.0f}/s = {four / lim:.2f} of the connection limit "
              f"({lim:,.0f}/s: libuv, plaintext TCP, the same writes, no TLS)")
EOF
