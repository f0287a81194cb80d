# common.sh - what every part of the cluster harness shares: messages, exit
# codes, bounded waits, where the sipc programs are, process checks.
# Sourced (by sipc-cluster, and by test scripts through cluster.sh); it sets
# no shell options of its own.

# Exit codes of sipc-cluster (docs/testing.md): services/common/exit_codes.h's
# values, which a shell program cannot include (test_cli compares them).
SC_EX_OK=0
SC_EX_CHECK=1       # a check failed, a node refused a step (the strict guard), problems found
SC_EX_USAGE=64      # bad command line
SC_EX_UNAVAILABLE=69 # a node (or a program the harness needs) is unreachable, timed out
SC_EX_SOFTWARE=70   # a step that should work failed (a tool's unexpected exit)
SC_EX_CONFIG=78     # no cluster at --dir, a cluster already up, addresses in use, no namespaces

sc_err() { printf 'sipc-cluster: error: %s\n' "$*" >&2; }
sc_die() { # CODE MESSAGE...
    local code=$1
    shift
    sc_err "$*"
    exit "$code"
}
sc_note() { printf '%s\n' "$*"; }
# One step of a procedure, numbered, as an operator would read it.
SC_STEP=0
SC_STEP_TEXT=""
sc_step() {
    sc_work_orphaned && exit "$SC_EX_UNAVAILABLE"
    SC_STEP=$((SC_STEP + 1))
    SC_STEP_TEXT=$*
    [ -z "${SC_STEP_FILE:-}" ] || printf '%s %s\n' "$SC_STEP" "$*" >"$SC_STEP_FILE"
    printf '[%s] step %d: %s\n' "$(date +%H:%M:%S)" "$SC_STEP" "$*"
}

# sc_interruptible SAY FUNCTION ARGS...: runs FUNCTION ARGS, the command's
# work, and returns its status. On SIGINT (Ctrl-C) or SIGTERM it stops the
# work and has SAY say what the command leaves as it stands (the nodes run
# in sessions of their own, which the signal does not reach: without a word
# the one who pressed Ctrl-C would not know), then dies of that signal, as
# it did before. The work runs in a child this shell waits for: a trap that
# fires while bash (5.2) parses a command substitution breaks that parse
# and its own ("unexpected EOF while looking for matching `)'"), and a
# shell in `wait` parses nothing. The child, a background job, ignores
# SIGINT as every one of a script does, so the trap stops it with SIGTERM
# (a program of a step under way, tlstool, ends on its own); it stops by
# itself at its next wait or step should this shell be gone (SIGKILL).
sc_interruptible() {
    local say=$1 rc
    shift
    SC_STEP_FILE=$(mktemp) SC_ON_INTERRUPT=$say SC_WORK_OF=$BASHPID
    "$@" &
    SC_WORK_PID=$!
    trap 'sc_interrupted INT' INT
    trap 'sc_interrupted TERM' TERM
    wait "$SC_WORK_PID"
    rc=$?
    trap - INT TERM
    rm -f "$SC_STEP_FILE"
    SC_STEP_FILE="" SC_WORK_OF=""
    return "$rc"
}
sc_interrupted() {
    trap - INT TERM
    kill -s TERM "$SC_WORK_PID" 2>/dev/null
    wait "$SC_WORK_PID" 2>/dev/null
    read -r SC_STEP SC_STEP_TEXT <"$SC_STEP_FILE" || SC_STEP=0
    rm -f "$SC_STEP_FILE"
    echo >&2
    "$SC_ON_INTERRUPT" | sed 's/^/sipc-cluster: interrupted: /' >&2
    kill -s "$1" "$BASHPID"
}
# sc_work_orphaned: this is an interruptible command's work, and the shell
# that waited for it is gone.
sc_work_orphaned() { [ -n "${SC_WORK_OF:-}" ] && ! kill -0 "$SC_WORK_OF" 2>/dev/null; }

sc_now_ms() { date +%s%3N; }

# jq definitions for what a node answers, which `jq -r` would write raw:
# `shown` gives a string as sipcctl shows a node's words (cli_shown): a C0 or
# C1 control character or DEL as \xNN, the bytes of its UTF-8 (U+009B CSI is
# \xc2\x9b); `shown_strings` does it to every string of a value.
# shellcheck disable=SC2016
SC_JQ_SHOWN='def sc_hex2: [(. / 16 | floor), (. % 16)] | map("0123456789abcdef"[.:.+1]) | add;
def shown: gsub("(?<c>[\u0000-\u001f\u007f-\u009f])";
    .c | explode[0] | (if . >= 128 then "\\xc2" else "" end) + "\\x" + sc_hex2);
def shown_strings: walk(if type == "string" then shown else . end);'

# sc_wait SECONDS COMMAND...: runs COMMAND every 0.1 s until it succeeds;
# fails after SECONDS. Every wait of the harness goes through here.
sc_wait() {
    local limit=$1 deadline
    shift
    deadline=$(($(sc_now_ms) + limit * 1000))
    while :; do
        "$@" && return 0
        [ "$(sc_now_ms)" -ge "$deadline" ] && return 1
        sc_work_orphaned && exit "$SC_EX_UNAVAILABLE"
        sleep 0.1
    done
}

# sc_started_count HOME: how many times a service of the sipcd on HOME has
# logged "Service Started" (four a start: data, search, management, pipeline).
sc_started_count() { grep -hs ' Service Started$' "$1"/logs/*Service_*.log | wc -l; }

# The folder holding sipcd, tlstool and sipcctl: $SIPC_BIN, else the folder
# of sipc-cluster itself (the build tree, or an installed bin/), else PATH.
sc_find_bin() {
    local d
    for d in "${SIPC_BIN:-}" "${SC_SELF_DIR:-}"; do
        [ -n "$d" ] && [ -x "$d/sipcd" ] && [ -x "$d/tlstool" ] && [ -x "$d/sipcctl" ] &&
            { (cd "$d" && pwd); return 0; }
    done
    d=$(command -v sipcd 2>/dev/null) || return 1
    d=$(dirname "$d")
    [ -x "$d/tlstool" ] && [ -x "$d/sipcctl" ] && { echo "$d"; return 0; }
    return 1
}

# sc_version: sipc-cluster's --version. A shell program has no build of its
# own: it names the build of the sipcd it would run (sc_find_bin), which is
# the one installed or built beside it.
sc_version() {
    local d line
    d=$(sc_find_bin) || sc_die "$SC_EX_UNAVAILABLE" "sipcd, tlstool and sipcctl not found (set SIPC_BIN to the folder holding them)"
    line=$("$d/sipcd" --version) || sc_die "$SC_EX_SOFTWARE" "$d/sipcd --version failed"
    line=${line#sipcd (}
    printf 'sipc-cluster (%s\nrunning %s/sipcd, tlstool and sipcctl\n' "$line" "$d"
}

# The 8 hex digits that name everything the harness creates outside DIR
# (network namespaces), so that a later `down` finds them from DIR alone.
sc_dir_hash() { printf '%s' "$1" | sha256sum | cut -c1-8; }

# pid_starttime PID: the process's start time (clock ticks since boot), which
# tells a pid from a later process that reused it; empty when gone.
sc_pid_starttime() {
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    st=${st##*) } # fields after the command name, which may hold spaces
    # shellcheck disable=SC2086
    set -- $st
    echo "${20}"
}
# sc_pid_state PID: R, S, D, T (stopped), Z (zombie) ... or empty when gone.
sc_pid_state() {
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    st=${st##*) }
    echo "${st%% *}"
}
# sc_pid_name PID: the program the process runs, as its command line names
# it (sipc-load, sipcd, ...), for what a message says of it; empty when gone.
sc_pid_name() {
    local args=()
    mapfile -d '' -t args 2>/dev/null <"/proc/$1/cmdline" || return 0
    [ ${#args[@]} -gt 0 ] && echo "${args[0]##*/}"
}
# sc_pid_is PID STARTTIME: that very process still exists and is not a zombie.
sc_pid_is() {
    [ -n "$1" ] && [ "$1" != null ] || return 1
    local s
    s=$(sc_pid_state "$1") || return 1
    [ "$s" != Z ] && [ "$s" != X ] || return 1
    [ -z "${2:-}" ] || [ "$2" = null ] || [ "$(sc_pid_starttime "$1")" = "$2" ]
}

# sc_home_lock_pid HOME: the pid of the sipcd running on HOME, which holds a
# flock on the HOME directory itself for its whole life and writes its pid to
# HOME/state/sipcd.lock; fails when no process holds it. The kernel's own
# list, /proc/locks, says whether it is held (an entry of the directory's
# inode, for the pid the file names): asked without taking the lock, which
# would stand in a starting sipcd's way. A sipcd writes its pid just after
# locking, so for that moment (or for good, if the write fails and it exits)
# this says "not held". The same test as ipc/node/home_lock_read.c, which
# sipcd, sipcctl and tlstool use: a killed sipcd not yet reaped holds none.
sc_home_lock_pid() {
    local f=$1/state/sipcd.lock ino pid
    ino=$(stat -c %i "$1" 2>/dev/null) || return 1
    pid=$(head -c 32 "$f" 2>/dev/null | head -n1)
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    # "1: FLOCK  ADVISORY  WRITE PID MAJ:MIN:INODE 0 EOF" (a waiter has "->"
    # as its second field)
    awk -v ino=":$ino" -v pid="$pid" '$2 == "FLOCK" && $5 == pid &&
        substr($6, length($6) - length(ino) + 1) == ino { found = 1 }
        END { exit !found }' /proc/locks 2>/dev/null || return 1
    echo "$pid"
}

# sc_ancestors: this process and its parents (never to be stopped by `down`).
sc_ancestors() {
    local p=$$
    while [ -n "$p" ] && [ "$p" != 0 ]; do
        echo "$p"
        p=$(awk '/^PPid:/ {print $2}' "/proc/$p/status" 2>/dev/null)
    done
}
# sc_pids_naming PATTERN [PATTERN2]: processes whose command line holds the
# fixed string PATTERN (and PATTERN2): how `down` finds what a crashed harness
# did not record. This process and its parents are never listed.
sc_pids_naming() {
    local p cmd mine args
    mine=" $(sc_ancestors | tr '\n' ' ') "
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        [[ "$mine" == *" $p "* ]] && continue
        # read by builtins, each argument followed by a space: a process
        # forked for each of the hundreds in /proc took seconds on a busy host
        mapfile -d '' -t args 2>/dev/null <"/proc/$p/cmdline" || continue
        [ ${#args[@]} -gt 0 ] || continue
        printf -v cmd '%s ' "${args[@]}"
        [[ "$cmd" == *"$1"* ]] || continue
        [ -z "${2:-}" ] || [[ "$cmd" == *"$2"* ]] || continue
        echo "$p"
    done
}

# sc_kill_group PID SIGNAL: the node runs in its own session (setsid), so its
# process group is its pid; falls back to the process alone.
sc_kill_group() { kill -s "$2" -- "-$1" 2>/dev/null || kill -s "$2" "$1" 2>/dev/null; }

# Seconds a node is given to stop on SIGTERM before SIGKILL (kill, restart,
# down); a test of a hung node sets fewer rather than wait them out.
SC_STOP_WAIT=${SC_STOP_WAIT:-15}
# Seconds `restart` waits for the node to be healthy (a test of a node that
# cannot become healthy sets fewer).
SC_HEALTHY_WAIT=${SC_HEALTHY_WAIT:-30}

# sc_stop_pid PID STARTTIME SECONDS: SIGCONT (a stopped process cannot act on
# SIGTERM) and SIGTERM, then SIGKILL after SECONDS; returns when it is gone.
# A pid it had to SIGKILL is added to SC_KILLED, for the command to say so.
SC_KILLED=()
sc_stop_pid() {
    local pid=$1 st=$2 limit=${3:-10}
    sc_pid_is "$pid" "$st" || return 0
    sc_kill_group "$pid" CONT
    sc_kill_group "$pid" TERM
    sc_stopped_pid "$pid" "$st" "$limit"
}
# sc_stopped_pid PID STARTTIME SECONDS: the wait of sc_stop_pid for a process
# already sent SIGTERM (a second one stops a sipcd at once, undrained).
sc_stopped_pid() {
    local pid=$1 st=$2 limit=${3:-10}
    if ! sc_wait "$limit" eval "! sc_pid_is $pid $st"; then
        SC_KILLED+=("$pid")
        sc_kill_group "$pid" KILL
        sc_wait 5 eval "! sc_pid_is $pid $st" || return 1
    fi
    return 0
}
