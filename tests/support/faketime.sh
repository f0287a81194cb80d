# shellcheck shell=bash
# faketime.sh - programs run with a faked wall clock: libfaketime preloaded
# directly, never through Debian's `faketime` wrapper. The wrapper makes a
# semaphore and a shared memory object named after its own pid in /dev/shm
# and removes them only when it exits normally: one that is killed leaves
# them, and a later wrapper that gets the same pid fails ("sem_open: File
# exists"). libfaketime on its own makes the same pair, named after the
# faked program's pid: a pair left under that pid is removed before the
# program starts (nothing alive can own it: the pid is ours). Sourced by
# shtest.sh and by the PKI scripts (openssl_pki.sh); the C tests run it as
# a program (testutil.c).
#
#   faketime_run SPEC COMMAND...   COMMAND (a program, not a function) with
#                                  its clock faked
#   ( faketime_env SPEC; exec COMMAND... ) &   the same in the background:
#                                  $! is the program's pid
#   bash faketime.sh SPEC COMMAND...   the same as a program: its pid is
#                                  COMMAND's
#
# SPEC is libfaketime's FAKETIME: "-3d" (an offset; s, m, h, d, y),
# "@2020-01-01 00:00:00" (the clock starts there and runs), "2020-01-01
# 00:00:00" (it stands still there), or a path (/...): the offset read from
# that file at every call, so that a test can step the clock of a running
# program. Dates are in the program's time zone (TZ).
#
# A faked program that does not exit normally (killed, or exec'ing another
# program) leaves its pair behind. Each pid is written to the file
# $SIPC_FAKED_PIDS names (shtest_init sets it; scripts a test runs inherit
# it), so that the test's exit can stop its faked programs gently and
# remove what they left (faketime_left).

# faketime_lib: $FAKETIME_LIB, libfaketime.so.1 (Debian's package
# libfaketime, a dependency of faketime); fails when there is none
faketime_lib() {
    local f
    [ -z "${FAKETIME_LIB:-}" ] || return 0
    for f in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
        [ -f "$f" ] && FAKETIME_LIB=$f && return 0
    done
    return 1
}

# faketime_env SPEC: exports what fakes the clock of the programs this
# shell execs, clears a pair left under this shell's pid and notes the pid.
# Only in a subshell that then execs the program: the program keeps the pid.
faketime_env() {
    faketime_lib || { echo "faketime.sh: no libfaketime.so.1 (apt-get install faketime)" >&2; return 1; }
    rm -f "/dev/shm/sem.faketime_sem_$BASHPID" "/dev/shm/faketime_shm_$BASHPID"
    export LD_PRELOAD="$FAKETIME_LIB${LD_PRELOAD:+:$LD_PRELOAD}"
    if [ "${1#/}" != "$1" ]; then
        unset FAKETIME
        export FAKETIME_TIMESTAMP_FILE=$1 FAKETIME_NO_CACHE=1
    else
        export FAKETIME=$1
    fi
    [ -z "${SIPC_FAKED_PIDS:-}" ] || echo "$BASHPID" >>"$SIPC_FAKED_PIDS"
}

faketime_run() {
    (
        faketime_env "$1" || exit 1
        shift
        exec "$@"
    )
}

# faketime_left: removes the pair of each faked program of $SIPC_FAKED_PIDS
# that is gone and left it, and names what it removed (nothing: none left)
faketime_left() {
    local p f
    [ -s "${SIPC_FAKED_PIDS:-}" ] || return 0
    while read -r p; do
        kill -0 "$p" 2>/dev/null && continue
        for f in "/dev/shm/sem.faketime_sem_$p" "/dev/shm/faketime_shm_$p"; do
            [ -e "$f" ] && rm -f "$f" && echo "$f"
        done
    done < <(sort -u "$SIPC_FAKED_PIDS")
    return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    faketime_env "${1:?usage: faketime.sh SPEC COMMAND...}" || exit 1
    shift
    exec "$@"
fi
