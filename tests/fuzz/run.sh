#!/bin/sh
# run.sh BIN_DIR SRC_DIR SECONDS [TARGET...] - runs each libFuzzer target of
# the fuzzing build (cmake -DSIPC_FUZZ=ON with clang) for SECONDS from its
# seed corpus and saved regressions, one after the other, and prints one
# line per target: executions, executions per second, coverage edges
# (libFuzzer's "cov:"), features, corpus size. New inputs go to a scratch
# corpus, never into the repository. A crash, leak or timeout fails the run
# and leaves the input in $FUZZ_ARTIFACTS (default: BIN_DIR/artifacts/):
# copy it to tests/fuzz/regressions/<target>/.
# FUZZ_MIN_EDGES=N also fails a target that reached fewer than N edges.
set -u
BIN=${1:?usage: run.sh BIN_DIR SRC_DIR SECONDS [TARGET...]}
SRC=${2:?usage: run.sh BIN_DIR SRC_DIR SECONDS [TARGET...]}
SECS=${3:?usage: run.sh BIN_DIR SRC_DIR SECONDS [TARGET...]}
shift 3
[ $# -gt 0 ] || set -- frame x509 config pkcs12 tls time sha256 aes_gcm ecdsa
ART=${FUZZ_ARTIFACTS:-$BIN/artifacts}
MIN=${FUZZ_MIN_EDGES:-0}
mkdir -p "$ART"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/sipc-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM

failed=0
summary=""
for t in "$@"; do
    exe="$BIN/fuzz_$t"
    if [ ! -x "$exe" ]; then
        echo "run.sh: $exe not built (configure with CC=clang -DSIPC_FUZZ=ON)" >&2
        exit 2
    fi
    mkdir -p "$scratch/$t"
    seeds="$SRC/corpus/$t"
    [ -d "$SRC/regressions/$t" ] && seeds="$seeds $SRC/regressions/$t"
    log="$scratch/$t.log"
    echo "== fuzz_$t: ${SECS}s from $seeds"
    # -timeout: one input taking 10 s is a finding (a hang), not patience.
    # shellcheck disable=SC2086
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        "$exe" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$ART/$t-" "$scratch/$t" $seeds >"$log" 2>&1
    rc=$?
    # libFuzzer's last status line: "#N DONE cov: E ft: F corp: C/S ..."
    last=$(grep -E '^#[0-9]+' "$log" | tail -n1)
    edges=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    line=$(printf '%-8s %10s execs %8s/s  cov %5s edges  ft %6s  corpus %5s' \
        "$t" "${execs:-?}" "${rate:-?}" "${edges:-?}" "${ft:-?}" "${corp:-?}")
    if [ $rc != 0 ]; then
        failed=1
        line="$line  FAILED (exit $rc; input in $ART/)"
        grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -n 20
        tail -n 40 "$log"
    elif [ -z "$edges" ] || [ "$edges" -lt "$MIN" ]; then
        failed=1
        line="$line  FAILED (fewer than $MIN edges)"
    fi
    echo "$line"
    summary="$summary$line
"
done
echo "== fuzzing summary (${SECS}s a target)"
printf '%s' "$summary"
exit $failed
