#!/usr/bin/env bash
# run-local.sh - quick, self-contained run of sipc-bench over loopback: makes a
# throwaway ECDSA P-256 self-signed pair, then runs the kit's three workloads
# (64:1, 64:32, 65536:16) in plaintext and TLS and prints the RESULT lines.
# Not a test (not registered with ctest); for the full comparison with the
# peers use the kit (see tests/bench/README.md).
#
#   tests/bench/run-local.sh [path/to/sipc-bench]
#   SECS=2 WARMUP=0.5 WORKLOADS="64:1" MODES=tls tests/bench/run-local.sh
#
# Knobs: SIPC_BENCH (binary; default ./build/sipc-bench), SECS (1),
# WARMUP (0.3), WORKLOADS ("64:1 64:32 65536:16"), MODES ("plain tls"),
# HS_SECS (1; 0 skips the handshake run).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BIN=${1:-${SIPC_BENCH:-$REPO/build/sipc-bench}}
SECS=${SECS:-1}
WARMUP=${WARMUP:-0.3}
WORKLOADS=${WORKLOADS:-"64:1 64:32 65536:16"}
MODES=${MODES:-"plain tls"}
HS_SECS=${HS_SECS:-1}

if [[ ! -x $BIN ]]; then
  echo "run-local.sh: no sipc-bench at $BIN (build it: cmake --build build --target sipc-bench," \
       "or pass its path)" >&2
  exit 64
fi
command -v openssl >/dev/null || { echo "run-local.sh: openssl is needed for the certificate" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/sipc-bench-local.XXXXXX")
SRV_PID=
stop_server() {
  if [[ -n $SRV_PID ]]; then
    kill "$SRV_PID" 2>/dev/null || true
    wait "$SRV_PID" 2>/dev/null || true
  fi
  SRV_PID=
}
# shellcheck disable=SC2317 # called by the traps
cleanup() { stop_server; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM # runs the EXIT trap

# ---- certificate: ECDSA P-256, self-signed, as every sipc node's pair
CERTS=$TMP/certs
mkdir -m 0700 "$CERTS"
(
  umask 077
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256 -nodes \
    -days 2 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,digitalSignature,keyCertSign" \
    -addext "extendedKeyUsage=serverAuth,clientAuth" \
    -keyout "$CERTS/ecdsa.key" -out "$CERTS/ecdsa.crt" 2>"$TMP/openssl.log"
) || { cat "$TMP/openssl.log" >&2; exit 1; }
chmod 0600 "$CERTS/ecdsa.key"
CERT=$CERTS/ecdsa.crt KEY=$CERTS/ecdsa.key

# ---- server on a free loopback port (PORT 0: the server prints the one it got)
PORT=
start_server() { # mode
  local mode=$1 args=()
  [[ $mode == tls ]] && args=("$CERT" "$KEY")
  : >"$TMP/server.out"
  "$BIN" server 0 "$mode" "${args[@]}" >"$TMP/server.out" 2>"$TMP/server-$mode.log" &
  SRV_PID=$!
  for _ in $(seq 100); do
    PORT=$(sed -n 's/^READY port=\([0-9]*\).*/\1/p' "$TMP/server.out")
    [[ -n $PORT ]] && return 0
    kill -0 "$SRV_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "run-local.sh: $mode server did not start:" >&2
  cat "$TMP/server-$mode.log" >&2
  exit 1
}

echo "# sipc-bench $("$BIN" --help >/dev/null && echo ok) $(date -u +%FT%TZ), SECS=$SECS WARMUP=$WARMUP, $(nproc) CPUs" >&2
rc=0
for mode in $MODES; do
  start_server "$mode"
  args=()
  [[ $mode == tls ]] && args=("$CERT" "$KEY")
  for wl in $WORKLOADS; do
    if ! timeout 60 "$BIN" client "$PORT" "$mode" "${wl%%:*}" "${wl##*:}" "$SECS" "$WARMUP" "${args[@]}"; then
      echo "run-local.sh: client $mode $wl failed" >&2
      rc=1
    fi
  done
  if [[ $mode == tls && $HS_SECS != 0 ]]; then
    timeout 60 "$BIN" handshakes "$PORT" "$HS_SECS" "$CERT" "$KEY" || { echo "run-local.sh: handshakes failed" >&2; rc=1; }
  fi
  stop_server
done
exit $rc
