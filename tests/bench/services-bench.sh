#!/usr/bin/env bash
# services-bench.sh - the services' benchmark, in one run on this machine:
#
#   (a) ingest: N records through node 1's pipeline (`sipcctl ingest`) into a
#       three-node mutual-TLS cluster, counted when the destination data
#       service has committed them (sipcctl's own rate line);
#   (b) raw:    the same records written by one process straight into SQLite
#       with the data service's schema, pragmas and statements (sqlite-raw),
#       measured just before and just after (a) on the same file system; the
#       limit is the mean of the two, so drift of the machine hits both sides;
#   (c) search: search.query latency on node 2 over one kept TLS connection
#       (search-latency), QUERIES queries x SEARCH_REPS passes, on the N
#       records spread over the three nodes by (a).
#
# Prints `RESULT name=value ...` lines (tests/bench/README.md), then the
# ratios: ingest/raw (goal >= 0.5) and the search median against 50 ms.
# RUNS=k repeats the whole run (a fresh cluster each time) and ends with the
# medians over the runs. Not a test: `make check` never runs it.
#
#   tests/bench/services-bench.sh                 # build/ binaries, 100,000 records
#   N=20000 RUNS=1 tests/bench/services-bench.sh  # a quick look
#   SIPC_BIN=/other/build tests/bench/services-bench.sh
#
# The nodes listen on 127.0.42.1-3 with the standard ports (data 23000,
# search 23001, management 23002, pipeline 23003), so a run never meets a
# `make run` cluster (127.0.0.1-3) or the tests (127.0.23.x). Everything it
# starts is stopped and its temporary folder removed on any exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${SIPC_BIN:-$ROOT/build}
N=${N:-100000}
RUNS=${RUNS:-1}
BATCH=${BATCH:-500}          # records per transaction for sqlite-raw (the pipeline's batch_records)
SEARCH_REPS=${SEARCH_REPS:-3}
SEARCH_NODE=${SEARCH_NODE:-2}
NET=${NET:-127.0.42}
# the nodes' [data] sync: normal by default, the pragma sqlite-raw runs with, so
# that ingest/raw compares like with like (SYNC=full: the nodes' own default)
SYNC=${SYNC:-normal}
KEEP_LOGS=${KEEP_LOGS:-}     # a folder: copy every node's logs and the status reports there

for b in tlstool sipcd sipcctl sqlite-raw search-latency; do
    [ -x "$BIN/$b" ] || { echo "services-bench: $BIN/$b is missing (cmake --build build)" >&2; exit 1; }
done
case "$SYNC" in normal|full) ;; *) echo "services-bench: SYNC must be normal or full" >&2; exit 64;; esac
case "$N$RUNS$SEARCH_REPS" in *[!0-9]*) echo "services-bench: N, RUNS, SEARCH_REPS are numbers" >&2; exit 64;; esac
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 9 ] || { echo "services-bench: RUNS must be 1..9" >&2; exit 64; }

NODES=(n1 n2 n3)
ADDR=("$NET.1" "$NET.2" "$NET.3")
work=$(mktemp -d "${TMPDIR:-/tmp}/sipc-sbench.XXXXXX")
pids=()
stop_nodes() {
    local p
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
    pids=()
}
cleanup() {
    stop_nodes
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '# %s\n' "$*" >&2; }

# CPU seconds (user + system) a process has used so far.
cpu_s() {
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
        "/proc/$1/stat" 2>/dev/null || echo 0
}

for a in "${ADDR[@]}"; do
    for p in 23000 23001 23002 23003; do
        if (exec 3<>"/dev/tcp/$a/$p") 2>/dev/null; then
            echo "services-bench: $a:$p is in use (another run? NET=127.0.43 picks other addresses)" >&2
            exit 1
        fi
    done
done

# ---------------------------------------------------------------- records
# N records, generated once: ids rec-0000000.., one a second from
# 2026-11-01T00:00:00Z, attributes user (500 users) and app (3 apps), a body
# of about 200 bytes. Words with known frequencies make the queries' result
# sizes predictable: error 10 %, payment/checkout/login/search 25 % each,
# timeout 1 %, panic 0.1 %; the rest are filler words (48 of them). A fixed
# linear congruential generator keeps every awk giving the same file.
log "generating $N records"
awk -v n="$N" 'BEGIN {
    split("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike " \
          "november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee " \
          "zulu amber basalt cobalt dune ember fjord granite harbor island jasper kestrel " \
          "lagoon meadow nectar orchid pepper quartz raven saffron timber", w, " ")
    nw = 48
    split("payment checkout login search", act, " ")
    split("web api batch", app, " ")
    seed = 12345
    for (i = 0; i < n; i++) {
        s = i
        day = 1 + int(s / 86400); s %= 86400
        ts = sprintf("2026-11-%02dT%02d:%02d:%02dZ", day, int(s / 3600), int(s % 3600 / 60), s % 60)
        body = sprintf("event %d user u%d %s %s", i, i % 500, act[i % 4 + 1], (i % 10 == 0 ? "error" : "ok"))
        if (i % 100 == 7) body = body " timeout"
        if (i % 1000 == 13) body = body " panic"
        while (length(body) < 200) {
            seed = (seed * 1103515245 + 12345) % 2147483648
            body = body " " w[int(seed / 65536) % nw + 1]
        }
        printf "{\"id\":\"rec-%07d\",\"timestamp\":\"%s\",\"attributes\":{\"user\":\"u%d\",\"app\":\"%s\"},\"body\":\"%s\"}\n",
            i, ts, i % 500, app[int(i / 7) % 3 + 1], body
    }
}' >"$work/records.ndjson"
log "$(wc -c <"$work/records.ndjson") bytes, $(wc -l <"$work/records.ndjson") lines"

# ---------------------------------------------------------------- queries
# 50 queries, 10 of each kind, limit 100, newest first. Tab-separated:
# KIND QUERY FILTERS SINCE UNTIL ("-" = none); see search_latency.c.
# Times stay inside the data's span (2026-11-01T00:00Z + N s).
Q=$work/queries.tsv
{
    for q in error ok payment checkout timeout panic alpha quartz 'pay*' nosuchword; do
        printf 'word\t%s\t-\t-\t-\n' "$q"
    done
    for q in 'payment AND error' 'login AND timeout' 'checkout AND panic' 'error NOT payment' \
             'alpha AND bravo' 'timeout AND error' 'search AND quartz AND raven' '"payment error"' \
             'login OR panic' 'ember AND (timeout OR panic)'; do
        printf 'and\t%s\t-\t-\t-\n' "$q"
    done
    for f in app=web app=batch user=u42 user=u499 'user=u7,app=api' user=nobody; do
        printf 'attr\t-\t%s\t-\t-\n' "$f"
    done
    printf 'attr\terror\tuser=u10\t-\t-\n'
    printf 'attr\tpayment\tapp=api\t-\t-\n'
    printf 'attr\ttimeout\tapp=web\t-\t-\n'
    printf 'attr\tpanic\tuser=u13\t-\t-\n'
    for h in 00 03 06 09 12; do
        printf 'time\t-\t-\t2026-11-01T%s:00:00Z\t2026-11-01T%s:10:00Z\n' "$h" "$h"
    done
    printf 'time\terror\t-\t2026-11-01T02:00:00Z\t2026-11-01T03:00:00Z\n'
    printf 'time\ttimeout\t-\t2026-11-01T00:00:00Z\t2026-11-01T06:00:00Z\n'
    printf 'time\tpanic\t-\t2026-11-01T00:00:00Z\t2026-11-01T12:00:00Z\n'
    printf 'time\tpayment\t-\t2026-11-01T10:00:00Z\t-\n'
    printf 'time\t-\t-\t-\t2026-11-01T01:00:00Z\n'
    printf 'mixed\terror\tapp=web\t2026-11-01T01:00:00Z\t2026-11-01T05:00:00Z\n'
    printf 'mixed\tpayment AND error\tapp=api\t2026-11-01T00:00:00Z\t2026-11-01T12:00:00Z\n'
    printf 'mixed\ttimeout\tuser=u7\t2026-11-01T00:00:00Z\t-\n'
    printf 'mixed\t-\tuser=u42,app=web\t2026-11-01T02:00:00Z\t2026-11-01T08:00:00Z\n'
    printf 'mixed\tlogin\tapp=batch\t2026-11-01T06:00:00Z\t2026-11-01T07:00:00Z\n'
    printf 'mixed\talpha AND bravo\tapp=web\t2026-11-01T00:00:00Z\t2026-11-01T03:00:00Z\n'
    printf 'mixed\tpanic\tapp=api\t-\t-\n'
    printf 'mixed\t-\tapp=web\t2026-11-01T04:00:00Z\t2026-11-01T04:30:00Z\n'
    printf 'mixed\tcheck*\tuser=u100\t-\t2026-11-01T20:00:00Z\n'
    printf 'mixed\tsearch OR login\tapp=api\t2026-11-01T08:00:00Z\t2026-11-01T09:00:00Z\n'
} >"$Q"

# ---------------------------------------------------------------- cluster
# The operator procedure, as services/demo.sh: one key pair created, copied
# to every node, imported, TLS enabled (strict mutual TLS, ECDSA P-256).
SIPC_PFX_PASSWORD="Bench-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
export SIPC_PFX_PASSWORD

start_cluster() {
    local home=$1 i n k
    for i in 0 1 2; do
        mkdir -p "$home/${NODES[$i]}"
        printf '[node]\nid = %s\naddress = %s\n\n[cluster]\nname = bench\nnodes = %s, %s, %s\n\n[data]\nsync = %s\n' \
            "${NODES[$i]}" "${ADDR[$i]}" "${ADDR[0]}" "${ADDR[1]}" "${ADDR[2]}" "$SYNC" \
            >"$home/${NODES[$i]}/sipc.conf"
    done
    "$BIN/tlstool" --home "$home/n1" create -site "$home/cluster.pfx" >"$home/create.out"
    for n in "${NODES[@]}"; do
        "$BIN/tlstool" --home "$home/$n" import "$home/cluster.pfx" >"$home/$n.import"
        "$BIN/tlstool" --home "$home/$n" enable >"$home/$n.enable"
    done
    for n in "${NODES[@]}"; do
        "$BIN/sipcd" --home "$home/$n" >"$home/$n.out" 2>&1 &
        pids+=($!)
    done
    for k in 0 1 2; do
        n=${NODES[$k]}
        for _ in $(seq 1 400); do
            grep -qs "Pipeline Service Started" "$home/$n/logs/"PipelineService_*.log && break
            kill -0 "${pids[$k]}" 2>/dev/null || { echo "services-bench: $n did not start:" >&2; cat "$home/$n.out" >&2; exit 1; }
            sleep 0.05
        done
        grep -qs "Pipeline Service Started" "$home/$n/logs/"PipelineService_*.log ||
            { echo "services-bench: $n did not start within 20 s" >&2; exit 1; }
        grep -qs 'TLS Port' "$home/$n/logs/"DataService_*.log ||
            { echo "services-bench: $n's data service is not on TLS" >&2; exit 1; }
    done
}

raw_once() {
    local db=$1
    rm -f "$db" "$db-wal" "$db-shm"
    # "RATE CPU_S"
    "$BIN/sqlite-raw" "$db" "$work/records.ndjson" "$BATCH" |
        sed -n 's/.* rate=\([0-9.]*\) cpu_s=\([0-9.]*\).*/\1 \2/p'
    rm -f "$db" "$db-wal" "$db-shm"
}

declare -a R_INGEST R_RAW R_RATIO R_CPU R_P50 R_P90 R_MAX
for run in $(seq 1 "$RUNS"); do
    home=$work/run$run
    mkdir -p "$home"
    log "run $run/$RUNS: starting 3 TLS nodes on ${ADDR[*]}"
    start_cluster "$home"

    # (b) before
    read -r raw1 rawcpu1 <<<"$(raw_once "$home/raw.db")"
    log "sqlite-raw before: $raw1 records/s"

    # (a) ingest through n1's pipeline; CPU seconds of every process beside it
    declare -a c0=()
    for k in 0 1 2; do c0[$k]=$(cpu_s "${pids[$k]}"); done
    TIMEFORMAT='%R %U %S'
    { time "$BIN/sipcctl" --home "$home/n1" ingest "$work/records.ndjson" >"$home/ingest.out" 2>"$home/ingest.err"; } 2>"$home/ingest.time" ||
        { echo "services-bench: ingest failed:" >&2; cat "$home/ingest.out" "$home/ingest.err" >&2; exit 1; }
    declare -a c1=()
    for k in 0 1 2; do c1[$k]=$(cpu_s "${pids[$k]}"); done
    acked=$(sed -n 's/^acknowledged: \([0-9]*\).*/\1/p' "$home/ingest.out")
    [ "$acked" = "$N" ] || { echo "services-bench: $acked of $N records acknowledged:" >&2; cat "$home/ingest.out" >&2; exit 1; }
    ingest=$(sed -n 's/^rate: \([0-9.]*\) records.*/\1/p' "$home/ingest.out")
    isecs=$(sed -n 's/^rate: .* in \([0-9.]*\) s.*/\1/p' "$home/ingest.out")
    read -r wall cu cs <"$home/ingest.time"

    # (b) after
    read -r raw2 rawcpu2 <<<"$(raw_once "$home/raw.db")"
    log "sqlite-raw after: $raw2 records/s"
    raw=$(awk -v a="$raw1" -v b="$raw2" 'BEGIN { printf "%.0f", (a + b) / 2 }')
    ratio=$(awk -v a="$ingest" -v b="$raw" 'BEGIN { printf "%.3f", a / b }')

    echo "RESULT run=$run phase=ingest records=$N secs=$isecs rate=$ingest wall_s=$wall"
    echo "RESULT run=$run phase=sqlite_raw records=$N batch=$BATCH rate_before=$raw1 rate_after=$raw2 rate=$raw"
    # CPU seconds of every process of the ingest against sqlite-raw's for the
    # same records: what the path costs, whatever else runs on the machine
    read -r cpu_line cpu_us raw_us cpu_ratio < <(awk -v cu="$cu" -v cs="$cs" \
        -v a0="${c0[0]}" -v a1="${c1[0]}" -v b0="${c0[1]}" -v b1="${c1[1]}" \
        -v d0="${c0[2]}" -v d1="${c1[2]}" -v r1="$rawcpu1" -v r2="$rawcpu2" -v n="$N" 'BEGIN {
        c = cu + cs; x = a1 - a0; y = b1 - b0; z = d1 - d0; t = c + x + y + z; r = (r1 + r2) / 2
        printf "sipcctl_s=%.2f,n1_s=%.2f,n2_s=%.2f,n3_s=%.2f,total_s=%.2f %.1f %.1f %.3f\n",
            c, x, y, z, t, t / n * 1e6, r / n * 1e6, r / t }')
    echo "RESULT run=$run phase=ingest_cpu ${cpu_line//,/ } us_per_record=$cpu_us sqlite_raw_us_per_record=$raw_us"
    echo "RESULT run=$run ratio=ingest/sqlite_raw value=$ratio goal=0.5"
    echo "RESULT run=$run ratio=sqlite_raw_cpu/ingest_cpu value=$cpu_ratio"
    # each node's share of the records (the hash spreads them by id)
    for k in 0 1 2; do
        "$BIN/sipcctl" --home "$home/${NODES[$k]}" status >"$home/status.${NODES[$k]}" 2>&1 || true
    done

    # (c) search latency on one node, after the ingest (the WAL is not
    # checkpointed on purpose: that is the state right after a load)
    sn=${NODES[$((SEARCH_NODE - 1))]}
    "$BIN/search-latency" "$home/$sn" "$Q" "$SEARCH_REPS" >"$home/search.out" 2>"$home/search.err" ||
        { echo "services-bench: search-latency failed:" >&2; cat "$home/search.err" >&2; exit 1; }
    sed "s/^RESULT /RESULT run=$run /" "$home/search.out"
    [ -n "${VERBOSE:-}" ] && cat "$home/search.err" >&2
    p50=$(sed -n 's/^RESULT phase=search node=.* p50_ms=\([0-9.]*\).*/\1/p' "$home/search.out")
    p90=$(sed -n 's/^RESULT phase=search node=.* p90_ms=\([0-9.]*\).*/\1/p' "$home/search.out")
    pmax=$(sed -n 's/^RESULT phase=search node=.* max_ms=\([0-9.]*\).*/\1/p' "$home/search.out")
    echo "RESULT run=$run ratio=search_p50/50ms value=$(awk -v a="$p50" 'BEGIN { printf "%.3f", a / 50 }') goal=1"

    R_INGEST+=("$ingest"); R_RAW+=("$raw"); R_RATIO+=("$ratio"); R_CPU+=("$cpu_ratio")
    R_P50+=("$p50"); R_P90+=("$p90"); R_MAX+=("$pmax")

    if [ -n "$KEEP_LOGS" ]; then
        mkdir -p "$KEEP_LOGS/run$run"
        for n in "${NODES[@]}"; do cp -r "$home/$n/logs" "$KEEP_LOGS/run$run/$n-logs"; done
        cp "$home"/status.* "$home"/ingest.* "$home"/search.* "$KEEP_LOGS/run$run/"
    fi
    stop_nodes
    rm -rf "$home"
done

med() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "RESULT summary runs=$RUNS records=$N ingest_rate=$(med "${R_INGEST[@]}") sqlite_raw_rate=$(med "${R_RAW[@]}")" \
    "ratio_ingest_raw=$(med "${R_RATIO[@]}") ratio_raw_cpu_ingest_cpu=$(med "${R_CPU[@]}") search_p50_ms=$(med "${R_P50[@]}")" \
    "search_p90_ms=$(med "${R_P90[@]}") search_max_ms=$(med "${R_MAX[@]}")"
ok_i=$(awk -v r="$(med "${R_RATIO[@]}")" 'BEGIN { print (r >= 0.5) ? "met" : "missed" }')
ok_s=$(awk -v p="$(med "${R_P50[@]}")" 'BEGIN { print (p < 50) ? "met" : "missed" }')
echo "GOAL ingest >= 0.5 x sqlite_raw: $ok_i; search median < 50 ms: $ok_s"
