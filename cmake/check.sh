#!/usr/bin/env bash
# check.sh - what `make check` runs (from the repository root):
#   1. build/        wolfSSL from Debian's source (assembly), -Werror, every test
#   2. build-asan/   the same with AddressSanitizer + UndefinedBehaviorSanitizer
#   3. build-syswolf/ Debian's libwolfssl-dev, unit tests
# Every stage runs even when an earlier one failed; the summary at the end
# lists them all and the exit status is non-zero if any failed.
# WOLFSSL=system: stages 1 and 2 use Debian's libwolfssl-dev
# (build-syswolf/, build-asan-syswolf/) and stage 3 is covered by stage 1.
set -uo pipefail
# Run as if from a shell, not as a sub-make of `make check`.
unset MAKEFLAGS MFLAGS MAKELEVEL

JOBS=${JOBS:-2}
# ctest's parallel jobs: one more than JOBS unless given. The tests mostly
# wait on sockets, timers and nodes (about 40 % of two cores at -j2): on a
# quiet 2-core machine -j3 took the normal build's ctest from about 650 s to
# 529 s and the sanitizer build's from 324 s to 230 s, all green.
CTEST_JOBS=${CTEST_JOBS:-$((JOBS + 1))}
# The normal build's tests wait even more (real clusters under a paced load,
# timers, scanners: about 1,350 s of test time for 462 s of wall time at
# -j3), so its ctest runs one job more; the sanitizer build's tests, two to
# three times as hungry for CPU, keep CTEST_JOBS.
CTEST_JOBS_NORMAL=${CTEST_JOBS_NORMAL:-$((CTEST_JOBS + 1))}
WOLFSSL=${WOLFSSL:-}
GENERATOR=${GENERATOR:-Unix Makefiles}
CMAKE_ARGS=${CMAKE_ARGS:-}

if [ -t 1 ]; then B=$'\033[1m'; R=$'\033[31m'; G=$'\033[32m'; N=$'\033[0m'; else B= R= G= N=; fi

banner() {
    printf '\n%s==========================================================================%s\n' "$B" "$N"
    printf '%s== %s%s\n' "$B" "$*" "$N"
    printf '%s==========================================================================%s\n' "$B" "$N"
}

results=()
failed=0
start_all=$(date +%s)

fmt_secs() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# stage NAME DIR "CMAKE OPTIONS" TARGET "CTEST OPTIONS" [ENV=VALUE ...]
# TARGET: what to build, all, or unit-tests for a stage that runs -L unit only
# (the integration tests' programs are not built for it).
stage() {
    local name=$1 dir=$2 opts=$3 target=$4 ctest_opts=$5
    shift 5
    local t0 t1 rc=0 what="" log="$dir/check-ctest.log"
    rm -f "$log"
    t0=$(date +%s)
    banner "$name: configure ($dir)"
    # shellcheck disable=SC2086
    if ! cmake -S . -B "$dir" -G "$GENERATOR" $opts $CMAKE_ARGS; then
        rc=1; what="configure failed"
    fi
    if [ $rc = 0 ]; then
        banner "$name: build ($dir, target $target, -j$JOBS)"
        if ! cmake --build "$dir" -j"$JOBS" --target "$target"; then
            rc=1; what="build failed"
        fi
    fi
    if [ $rc = 0 ]; then
        banner "$name: ctest -j${STAGE_CTEST_JOBS:-$CTEST_JOBS} $ctest_opts ($dir)"
        # shellcheck disable=SC2086
        env "$@" ctest --test-dir "$dir" --output-on-failure --no-tests=error -j"${STAGE_CTEST_JOBS:-$CTEST_JOBS}" $ctest_opts 2>&1 | tee "$log"
        rc=${PIPESTATUS[0]}
        what=$(grep -E 'tests passed|No tests were found' "$log" | tail -n1)
        [ -n "$what" ] || what="ctest exited with $rc"
    fi
    t1=$(date +%s)
    if [ $rc = 0 ]; then
        results+=("${G}PASS${N}  $name ($dir): $what [$(fmt_secs $((t1 - t0)))]")
    else
        failed=1
        results+=("${R}FAIL${N}  $name ($dir): $what [$(fmt_secs $((t1 - t0)))]")
        if [ -f "$log" ] && [ $rc != 0 ] && grep -q 'The following tests FAILED' "$log"; then
            while IFS= read -r l; do results+=("        $l"); done < <(sed -n '/The following tests FAILED/,$p' "$log" | tail -n +2 | grep -E '^[[:space:]]+[0-9]+ - ')
        fi
    fi
}

if [ "$WOLFSSL" = system ]; then
    stage "Debian libwolfssl-dev, -Werror" build-syswolf "-DSIPC_SYSTEM_WOLFSSL=ON -DSIPC_SANITIZE=OFF -DSIPC_WERROR=ON" all ""
    stage "Debian libwolfssl-dev, ASan+UBSan" build-asan-syswolf "-DSIPC_SYSTEM_WOLFSSL=ON -DSIPC_SANITIZE=ON -DSIPC_WERROR=ON" all "" \
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
else
    STAGE_CTEST_JOBS=$CTEST_JOBS_NORMAL stage "wolfSSL from Debian source (asm), -Werror" build "-DSIPC_SYSTEM_WOLFSSL=OFF -DSIPC_SANITIZE=OFF -DSIPC_WERROR=ON" all ""
    stage "wolfSSL from Debian source (asm), ASan+UBSan" build-asan "-DSIPC_SYSTEM_WOLFSSL=OFF -DSIPC_SANITIZE=ON -DSIPC_WERROR=ON" all "" \
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    # Without link-time optimisation: the unit tests link the machine code
    # anyway, and the layers' IR would only double their compile time here.
    stage "Debian libwolfssl-dev, unit tests" build-syswolf "-DSIPC_SYSTEM_WOLFSSL=ON -DSIPC_SANITIZE=OFF -DSIPC_WERROR=ON -DSIPC_LTO=OFF" unit-tests "-L unit"
fi

end_all=$(date +%s)
banner "make check summary ($(fmt_secs $((end_all - start_all))))"
for r in "${results[@]}"; do printf '%s\n' "$r"; done
if [ $failed = 0 ]; then
    printf '\n%sALL CHECKS PASSED%s\n' "$G$B" "$N"
else
    printf '\n%sCHECK FAILED%s\n' "$R$B" "$N"
fi
exit $failed
