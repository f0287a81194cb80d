#!/bin/bash
# test_scale.sh - the node holds many mutual-TLS connections cheaply and lets
# a crowd in at once: sipc-scale (tests/bench/scale.c) scaled down to fit a
# test, 500 clients connecting at once (none refused, evicted or failed),
# then 2,000 idle connections costing at most 32 KiB of the node's RSS each.
# The full figures (10,000 idle, 2,000 at once) are in docs/benchmarks.md.
set -u
bin=${SIPC_TEST_BIN:?}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init scale
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/k.pem" \
    -out "$work/c.pem" -days 30 -subj "/CN=sipc scale test" 2>/dev/null || {
    echo "not ok - cannot make a key pair with openssl"; exit 1; }
ulimit -n "$(ulimit -Hn)"
out=$("$bin/sipc-scale" --burst 500 --idle 2000 --max-kib 32 "$work/c.pem" "$work/k.pem")
rc=$?
echo "$out"
[ "$rc" = 0 ] || not_ok "sipc-scale exit $rc"
grep -q "phase=burst conns=500 up=500 .*refused=0 evicted=0 hs_failures=0" <<<"$out" \
    && ok "500 clients at once: all up, none refused" || not_ok "burst"
grep -q "phase=idle conns=2000 up=2000 tls=1" <<<"$out" && ! grep -q FAILED <<<"$out" \
    && ok "2,000 idle mTLS connections within 32 KiB of node RSS each" || not_ok "idle"
shtest_done
