#!/usr/bin/env bash
# test_faketime.sh - the tests' one way to fake a program's clock
# (tests/support/faketime.sh) and the exit check of shtest.sh:
#   - a faked program sees the date it was given
#   - a pair (semaphore, shared memory) another run left in /dev/shm under
#     the program's pid, or only its shared memory, does not stop it (the
#     faketime wrapper fails on the first: "sem_open: File exists")
#   - a test whose faked program leaves its pair fails at exit, naming it,
#     and removes it: a program killed, or one that exec'd another; a faked
#     background job that exits on SIGTERM is stopped with it at exit and
#     leaves nothing
# Skipped (exit 77) without libfaketime. No network; about a second.
set -uo pipefail
. "$(dirname "$0")/../support/shtest.sh"
faketime_lib || { echo "# skipped: no libfaketime.so.1"; exit 77; }
shtest_init faketime

run faketime_run '@2020-01-01 00:00:00' date -u +%Y-%m-%d
expect "a faked program sees the date given" 0 '^2020-01-01$'

# stale NAME...: date under faketime in a subshell that first makes what
# another run left under its pid (the pid date keeps): /dev/shm/NAME<pid>
stale() {
    (
        local f
        for f in "$@"; do : >"/dev/shm/$f$BASHPID"; done
        faketime_env '@2020-01-01 00:00:00' && exec date -u +%Y-%m-%d
    ) >"$OUT" 2>&1
    RC=$?
}
stale sem.faketime_sem_ faketime_shm_
expect "a pair left under the program's pid: it runs" 0 '^2020-01-01$'
stale faketime_shm_
expect "only the shared memory left under the program's pid: it runs" 0 '^2020-01-01$'

# child NAME BODY: a test of its own (shtest), BODY its middle; its output
# in $OUT, its exit code in $RC
child() {
    printf '. %q\nshtest_init %s\n%s\nok "the body"\nshtest_done\n' \
        "$SHTEST_DIR/shtest.sh" "$1" "$2" >"$work/$1.sh"
    run bash "$work/$1.sh"
}
# gone: no pair is left under the pid the child's output names
gone() {
    local p
    p=$(grep -o 'faketime_sem_[0-9]*' "$OUT" | head -n1)
    [ -n "$p" ] && [ ! -e "/dev/shm/sem.$p" ] && [ ! -e "/dev/shm/faketime_shm_${p#faketime_sem_}" ]
}
child killed '(faketime_env +1d && exec sleep 30) &
sleep 0.3'
expect "a faked background job killed at exit: the test fails" 1 '^ok - the body' \
    "^not ok - a program run under faketime did not exit normally .* left /dev/shm/sem.faketime_sem_[0-9]+ "
if gone; then ok "... and its pair is removed"; else bad "the killed job's pair is still in /dev/shm"; fi
child execd 'faketime_run +1d env true'
expect "a faked program that exec'd another: the test fails" 1 \
    "^not ok - a program run under faketime did not exit normally .* left /dev/shm/sem.faketime_sem_[0-9]+ "
if gone; then ok "... and its pair is removed"; else bad "the exec'd program's pair is still in /dev/shm"; fi
child stopped '(faketime_env +1d && exec bash -c "trap \"exit 0\" TERM; while :; do sleep 0.05; done") &
sleep 0.3'
expect "a faked background job that exits on SIGTERM: stopped at exit, nothing left" 0 '^# 1 passed, 0 failed$'
shtest_done
