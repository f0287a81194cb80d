#!/usr/bin/env bash
# test_bench_goals.sh - tests/bench/goals.py, which ends `make bench`: each
# goal's ratio from one run's medians, met or not, the exit code, and a goal
# whose figures the run lacks reported as not measured rather than failed.
set -uo pipefail
. "$(dirname "$0")/../support/shtest.sh"
shtest_init bench-goals
SRC=$(cd "$(dirname "$0")/../.." && pwd)
G=$SRC/tests/bench/goals.py

# one data RESULT line: peer mode size window rps [steal]
dl() {
    local key=ecdsa
    [ "$2" = plain ] && key=none
    echo "RESULT peer=$1 mode=$2 key=$key size=$3 window=$4 conns=1 secs=5.000 reqs=1 rps=$5 rep=1 steal_pct=${6:-0.0}"
}
# a run whose medians put every goal just at its line: uv 1000 req/s per
# workload; three reps of sipc, the middle one deciding
mkrun() { # DIR SIPC64x32_MIDDLE
    mkdir -p "$1"
    {
        for w in "64 1" "64 32" "65536 16" "1048576 4"; do
            set -- "$1" "$2" $w
            dl uv plain "$3" "$4" 1000
        done
        for r in 10 2000; do dl sipc tls 64 32 "$r"; done
        dl sipc tls 64 32 "$2" 7.5
        dl sipc tls 65536 16 450
        dl sipc tls 64 1 900
        dl sipc tls 1048576 4 450
        dl grpc tls 64 1 600
        dl grpc tls 64 32 "$(( $2 / 5 ))"
        dl nng tls 64 32 10
        dl grpc tls 65536 16 150
        dl nng tls 65536 16 149
        # a 16-connection line and an RSA line must not count
        echo "RESULT peer=sipc mode=tls key=ecdsa size=64 window=32 conns=16 secs=5 reqs=1 rps=99999 rep=1"
        echo "RESULT peer=sipc mode=tls key=rsa size=64 window=1 conns=1 secs=5 reqs=1 rps=1 rep=1"
    } >"$1/raw.txt"
}

mkrun "$work/at" 900
run python3 "$G" "$work/at"
expect "every goal at its line: met, exit 0" 0 \
    "64 B × 32: sipc mTLS ÷ uv plaintext +0\.900 .*met   max steal 8 %" \
    "64 KiB × 16: sipc mTLS ÷ uv plaintext +0\.450 .*met" \
    "64 B × 1: sipc mTLS ÷ uv plaintext +0\.900 .*met" \
    "1 MiB × 4: sipc mTLS ÷ uv plaintext +0\.450 .*met" \
    "64 B × 1: sipc mTLS ÷ gRPC mTLS +1\.50× .*met" \
    "64 B × 32: sipc mTLS ÷ best peer mTLS +5\.00× .*met" \
    "64 KiB × 16: sipc mTLS ÷ best peer mTLS +3\.00× .*met" \
    "full ECDSA handshakes.*not measured +not measured"
grep -q 'NOT MET' "$OUT" && bad "nothing is NOT MET at the line"

mkrun "$work/under" 899
run python3 "$G" "$work/under"
expect "one goal just under its line: exit 1" 1 "64 B × 32: sipc mTLS ÷ uv plaintext +0\.899 .*NOT MET"

{
    echo "RESULT peer=openssl-s_time kind=full key=ecdsa wall_s=3 handshakes=1 hs_per_s=100 rep=1"
    echo "RESULT peer=sipc kind=full key=ecdsa wall_s=3 handshakes=1 resumed=0 hs_per_s=300 rep=1"
    echo "RESULT peer=sipc kind=resume key=ecdsa wall_s=3 handshakes=1 resumed=1 hs_per_s=1100 rep=1"
    echo "RESULT peer=sipc kind=full key=rsa wall_s=3 handshakes=1 resumed=0 hs_per_s=1 rep=1"
    echo "RESULT peer=uv-tcp kind=resume key=none wall_s=3 handshakes=1 hs_per_s=2000 rep=1"
} >"$work/at/hs-compare.txt"
run python3 "$G" "$work/at"
expect "handshakes from hs-compare.txt (ECDSA only), the connection limit beside them" 1 \
    "full ECDSA handshakes: sipc ÷ openssl s_time +3\.00× .*met" \
    "resumed ÷ full ECDSA handshakes \(sipc\) +3\.67× .*NOT MET" \
    "connection limit .*: 2,000/s; sipc resumed 0\.55 of it; 4 × full would be 0\.60 of it"

mkdir -p "$work/scale"
{
    echo "RESULT phase=idle conns=10000 up=10000 tls=1 rss_before=1 rss_after=2 per_conn_bytes=21240 p50_us=17 p99_us=40 base_p50_us=18 base_p99_us=57 refused=0"
    echo "RESULT phase=burst conns=2000 up=2000 secs=0.15 refused=0 evicted=0 hs_failures=0 client_downs=0"
} >"$work/scale/scale.txt"
run python3 "$G" "$work/scale"
expect "scale.txt alone: idle memory and the burst are goals, the latency is reported" 0 \
    "10,000 idle mTLS connections: node RSS per connection +20\.7 KiB +\(goal ≤ 32\) +met" \
    "p50 / p99 .* 17 / 40 µs \(18 / 57\) +reported" \
    "2,000 clients connecting at once +2000 up in 0\.15 s, 0 refused met"
sed -i 's/per_conn_bytes=21240/per_conn_bytes=33792/; s/up=2000 secs=0.15 refused=0/up=2000 secs=0.15 refused=10/' \
    "$work/scale/scale.txt"
run python3 "$G" "$work/scale"
expect "33 KiB per idle connection and 10 refused: both NOT MET, exit 1" 1 \
    "node RSS per connection +33\.0 KiB +\(goal ≤ 32\) +NOT MET" \
    "2,000 clients connecting at once +2000 up in 0\.15 s, 10 refused NOT MET"
{
    echo "RESULT phase=idle conns=10000 up=10000 tls=1 rss_before=1 rss_after=2 per_conn_bytes=21240 p50_us=17 p99_us=40 base_p50_us=18 base_p99_us=57 refused=0"
    echo "RESULT phase=burst conns=2000 up=2000 secs=0.15 refused=0 evicted=0 hs_failures=0 client_downs=3 FAILED"
} >"$work/scale/scale.txt"
run python3 "$G" "$work/scale"
expect "a burst whose clients saw links go down (sipc-scale's FAILED): NOT MET" 1 \
    "2,000 clients connecting at once +2000 up in 0\.15 s, 0 refused NOT MET"

run python3 "$G" "$SRC/docs/benchmarks-data/run8-20261202T1747Z"
expect "a recorded run: run 8's figures as docs/benchmarks.md quotes them" 1 \
    "64 B × 32: sipc mTLS ÷ uv plaintext +0\.979 .*met" \
    "full ECDSA handshakes: sipc ÷ openssl s_time +2\.32× .*NOT MET"

mkdir -p "$work/empty"
run python3 "$G" "$work/empty"
expect "a folder without results: exit 2, says where it looked" 2 "no RESULT lines in .*empty/raw\.txt"
run python3 "$G" --help
expect "--help" 0 "goals\.py RESULT_DIR"
run python3 "$G"
expect "no argument: usage, exit 64" 64 "goals\.py RESULT_DIR"
shtest_done
