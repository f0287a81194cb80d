# shellcheck shell=bash
# shtest.sh - what the shell tests share: counted checks that say what was
# expected and what came, bounded waits, a work folder removed at exit with
# every process the test left running, sipcd started and waited for.
# Sourced at the top of a test, then shtest_init:
#
#   . "$(dirname "$0")/../support/shtest.sh"
#   shtest_init reload          # $work, $OUT, the counters, the exit trap
#   ...
#   shtest_done                 # the last command: "# N passed, M failed"
#
# The bounded waits and the log reading are the cluster harness's own
# (tests/harness/lib/common.sh), so that the tests and sipc-cluster wait and
# count started services the same way. Sourcing sets no shell options.

SHTEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# the harness's common.sh: beside this file where the build and make install
# put both (sipc-cluster.d/, share/sipc/harness/), else in the source tree
if [ -f "$SHTEST_DIR/common.sh" ]; then
    # shellcheck disable=SC1091
    . "$SHTEST_DIR/common.sh"
else
    # shellcheck disable=SC1091
    . "$SHTEST_DIR/../harness/lib/common.sh"
fi
# shellcheck disable=SC1091
. "$SHTEST_DIR/faketime.sh"

passes=0 fails=0
_shtest_at_exit=()

# Tests preload shims (faketime, tests/support/*.so) into the programs; in the
# sanitizer build ASan would refuse to start a program whose first library is
# not its runtime. The shims only wrap libc calls, which ASan does not need.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

# shtest_init NAME: a fresh work folder $work (sipc-NAME.XXXXXX under
# $TMPDIR), $OUT in it for run's output, and the exit trap: SIGTERM to the
# background jobs run under faketime (up to 10 s to exit), at_exit commands,
# SIGKILL to every background job still running, the check that no faked
# program left its pair in /dev/shm (faketime.sh), then the folder goes
# (kept, and named, when SIPC_TEST_KEEP is set).
shtest_init() {
    work=$(mktemp -d "${TMPDIR:-/tmp}/sipc-$1.XXXXXX") || { echo "cannot make a work folder"; exit 1; }
    OUT=$work/out.txt
    export SIPC_FAKED_PIDS=$work/faked.pids
    trap _shtest_cleanup EXIT
}
# at_exit COMMAND...: one more thing for the exit trap (a process the test
# started outside its jobs, such as a detached daemon).
at_exit() { _shtest_at_exit+=("$*"); }
_shtest_cleanup() {
    local rc=$? c p left
    _shtest_stop_faked
    for c in "${_shtest_at_exit[@]+"${_shtest_at_exit[@]}"}"; do eval "$c"; done
    for p in $(jobs -p); do kill -KILL "$p" 2>/dev/null; done
    wait 2>/dev/null
    # a pair left in /dev/shm fails the test: the next faketime wrapper
    # that gets the pid, in any test or program, would fail
    left=$(faketime_left)
    if [ -n "$left" ]; then
        echo "not ok - a program run under faketime did not exit normally (killed, or it exec'd" \
            "another program) and left ${left//$'\n'/ } (removed): stop it with SIGTERM and wait"
        [ "$rc" != 0 ] || rc=1
    fi
    if [ -n "${SIPC_TEST_KEEP:-}" ]; then echo "# kept $work"; else rm -rf "$work"; fi
    exit "$rc"
}
# _shtest_stop_faked: SIGTERM (and SIGCONT, for one a test stopped) to the
# background jobs run under faketime, then up to 10 s for them to exit: a
# killed one cannot remove its pair. Before the at_exit commands: one
# SIGTERM only, as a second one may kill a program that is stopping (sipcd).
_shtest_stop_faked() {
    local p faked=() i up
    [ -s "${SIPC_FAKED_PIDS:-}" ] || return 0
    for p in $(jobs -p); do
        grep -qx "$p" "$SIPC_FAKED_PIDS" && kill -TERM "$p" 2>/dev/null && kill -CONT "$p" && faked+=("$p")
    done
    for ((i = 0; i < 100; i++)); do
        up=0
        for p in "${faked[@]+"${faked[@]}"}"; do _shtest_running "$p" && up=1; done
        [ "$up" = 1 ] || return 0
        sleep 0.1
    done
}
# _shtest_running PID: PID is a process that has not exited (a zombie has)
_shtest_running() {
    local s
    s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) && [ "${s%% *}" != Z ]
}

# --- checks: "ok - WHAT" or "not ok - WHAT", counted ------------------------
ok() { echo "ok - $*"; passes=$((passes + 1)); }
not_ok() { echo "not ok - $*"; fails=$((fails + 1)); }
# shtest_show FILE: a file's lines indented under a failed check (the first 40)
shtest_show() {
    local n
    [ -f "$1" ] || return 0
    n=$(wc -l <"$1")
    head -n 40 "$1" | sed 's/^/    | /'
    [ "$n" -le 40 ] || echo "    | ... ($n lines, the first 40 shown)"
}
# bad WHAT: a failed check, with the output of the last run
bad() { not_ok "$@"; shtest_show "$OUT"; }
# run COMMAND...: runs it with its output in $OUT and its exit code in $RC
run() { "$@" >"$OUT" 2>&1; RC=$?; }
# expect NAME WANT [REGEX...]: the last run exited WANT and its output matches
# every (extended) REGEX
expect() {
    local name=$1 want=$2 re
    shift 2
    if [ "$RC" != "$want" ]; then
        bad "$name: exit $RC, want $want"
        return 1
    fi
    for re in "$@"; do
        grep -Eq -- "$re" "$OUT" || { bad "$name: no '$re' in the output (exit $RC)"; return 1; }
    done
    ok "$name"
}
# check NAME COMMAND...: passes when COMMAND succeeds; shows its output if not
check() {
    local name=$1
    shift
    run "$@"
    if [ "$RC" = 0 ]; then ok "$name"; else bad "$name: exit $RC"; fi
}
# shtest_done: the count; succeeds when no check failed (the script's last
# command, so its exit code)
shtest_done() {
    echo "# $passes passed, $fails failed"
    [ "$fails" = 0 ]
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds (its output dropped);
# fails after SECONDS
wait_for() {
    local t=$1
    shift
    sc_wait "$t" _shtest_quietly "$@"
}
_shtest_quietly() { "$@" >/dev/null 2>&1; }
# reload_settles WHAT COND LOG HOME: COND (a function that leaves a node's
# status --json in $OUT) holds within 15 s, else its .reload is shown; and
# HOME's management log has a line matching LOG (grep)
reload_settles() {
    if wait_for 15 "$2"; then
        ok "$1"
    else
        bad "$1: reload '$(jq -c .reload "$OUT")'"
    fi
    if grep -q "$3" "$4/logs/"ManagementService_*.log; then
        ok "the log: $1"
    else
        not_ok "no line in the log: $1"
    fi
}

# need_free ADDRESS:PORT...: exits 1, before the test starts anything, when
# something already listens on one of them (the test needs its own block)
need_free() {
    local a
    for a in "$@"; do
        if (exec 3<>"/dev/tcp/${a%:*}/${a##*:}") 2>/dev/null; then
            echo "$a is in use: this test needs it free (another test or node on its loopback block?)"
            exit 1
        fi
    done
}

# silent_listener ADDRESS: a listener on ADDRESS (loopback, the test's block)
# that accepts one connection and never answers, as a stopped sipcd's kernel
# does; in the background for at most 20 s (the exit trap ends it), its port
# in $silent_port, its pid in $silent_pid
silent_listener() {
    python3 -c '
import socket, sys, time
s = socket.socket(); s.bind((sys.argv[1], 0)); s.listen(4); s.settimeout(10)
print(s.getsockname()[1], flush=True)
try:
    c, _ = s.accept(); time.sleep(10)  # accepted, never answered
except OSError:
    pass
' "$1" >"$work/silent.port" &
    silent_pid=$!
    sc_wait 5 test -s "$work/silent.port"
    silent_port=$(cat "$work/silent.port")
}

# text_node_start ADDRESS CLUSTER [PORT]: a fake node (tests/integration/text_node.py,
# for answers a real node cannot be made to give; its TEXT_NODE_* settings
# come from the environment: give them before the call) on ADDRESS in the
# background; waits (10 s) for the port it prints, then sets $text_node_port
# and $text_node_pid. When it does not start: a failed check naming ADDRESS,
# its stderr shown, and a non-zero return.
text_node_start() {
    local n=$((${_shtest_text_nodes:-0} + 1))
    _shtest_text_nodes=$n
    python3 "$SHTEST_DIR/../integration/text_node.py" "$@" >"$work/text_node$n.port" \
        2>"$work/text_node$n.err" &
    text_node_pid=$!
    if ! wait_for 10 test -s "$work/text_node$n.port"; then
        not_ok "the fake node on $1 did not start"
        shtest_show "$work/text_node$n.err"
        return 1
    fi
    text_node_port=$(cat "$work/text_node$n.port")
}
# text_node_stop: ends the fake node text_node_start started last
text_node_stop() {
    kill "$text_node_pid" 2>/dev/null
    wait "$text_node_pid" 2>/dev/null
}

# --- a data directory on a tmpfs (root) ---------------------------------------
# shtest_mount_ns SCRIPT ARGS...: runs the test again in a mount namespace of
# its own, so that its mounts go with it however it ends (call it before
# shtest_init, with "$0" "$@"); exits 77 (skipped) where that needs root
# and this is not root.
shtest_mount_ns() {
    [ -n "${SIPC_TEST_MOUNT_NS:-}" ] && return 0
    if [ "$(id -u)" != 0 ] || ! unshare -m --propagation private true 2>/dev/null; then
        echo "# skipped: a tmpfs in a mount namespace of its own needs root (uid $(id -u))"
        exit 77
    fi
    SIPC_TEST_MOUNT_NS=1 exec unshare -m --propagation private bash "$@"
}
# data_on_tmpfs HOME SIZE: HOME (made) whose data/ is a link to a 0700
# directory on a tmpfs of SIZE mounted at $mnt ($work/mnt): only the
# database is there, the logs stay on the test's disk. A linked data
# directory is allowed (docs/configuration.md, "Symbolic links in the
# home") because the directory it leads to is this account's and no other
# can write it. At exit the node ($sipcd_pid) stops before the tmpfs goes.
data_on_tmpfs() {
    mnt=$work/mnt
    mkdir -p "$mnt" "$1"
    mount -t tmpfs -o size="$2" tmpfs "$mnt" || { echo "cannot mount a tmpfs"; exit 1; }
    at_exit 'if [ -n "${sipcd_pid:-}" ]; then kill -KILL "$sipcd_pid"; wait "$sipcd_pid"; fi 2>/dev/null; umount "$mnt"'
    mkdir -p "$mnt/data"
    chmod 0700 "$mnt/data"
    ln -s "$mnt/data" "$1/data"
}

# --- records.db ---------------------------------------------------------------
# records_ndjson FILE N PREFIX WORD REPEAT: N records for an ingest into
# FILE, ids PREFIX-00000 on, each body "WORD i " REPEAT times
records_ndjson() {
    python3 - "$@" <<'PY'
import json, sys
path, n, prefix, word, rep = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
with open(path, 'w') as f:
    for i in range(n):
        f.write(json.dumps({'id': '%s-%05d' % (prefix, i), 'timestamp_ms': 1764000000000 + i,
                            'body': ('%s %d ' % (word, i)) * rep}) + '\n')
PY
}
# hold_snapshot DB FLAG: a reader of DB that keeps the snapshot it took (as
# an sqlite3 shell left open does) until killed, so that no checkpoint can
# copy later commits into DB: they live only in its -wal. FLAG is made once
# it holds it; $reader is its pid.
hold_snapshot() {
    python3 - "$1" "$2" <<'PY' &
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN")
con.execute("SELECT count(*) FROM records").fetchone()
open(sys.argv[2], "w").close()
time.sleep(60)
PY
    reader=$!
    wait_for 10 test -e "$2"
}
# hold_write_lock DB FLAG RELEASE: another process holds DB's write lock
# (as an sqlite3 shell in BEGIN EXCLUSIVE does) until the file RELEASE
# appears, and 4.5 s at most: a write job started after it has then waited
# less than the data service's 5 s busy timeout, so that no write fails
# whatever a test's timing, the writes only wait. FLAG is made once it holds
# the lock; $locker is its pid.
hold_write_lock() {
    python3 - "$1" "$2" "$3" <<'PY' &
import os, sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
end = time.monotonic() + 4.5
while time.monotonic() < end and not os.path.exists(sys.argv[3]):
    time.sleep(0.02)
con.execute("COMMIT")
con.close()
PY
    locker=$!
    wait_for 10 test -e "$2"
}
# puts_answered WHAT PID...: a check that every put run in the background
# as PID (its output in $work/put-*.out, shown if not) was answered as stored
puts_answered() {
    local what=$1 pid answered=0
    shift
    for pid in "$@"; do
        wait "$pid" && answered=$((answered + 1))
    done
    if [ "$answered" = $# ]; then
        ok "$what"
    else
        not_ok "$what: $answered of $# answered as stored"; cat "$work"/put-*.out
    fi
}

# --- sipcd -------------------------------------------------------------------
# node_home HOME CLUSTER ID ADDRESS NODES: HOME (made when missing) with a
# sipc.conf for node ID at ADDRESS of cluster CLUSTER, whose [cluster] nodes
# are NODES (", "-joined), with the standard ports
node_home() {
    mkdir -p "$1"
    printf '[node]\nid = %s\naddress = %s\n[cluster]\nname = %s\nnodes = %s\n' "$3" "$4" "$2" \
        "$5" >"$1/sipc.conf"
}
# one_node_home HOME CLUSTER: the same for a cluster CLUSTER of one node, n1
# at $BASE.1
one_node_home() { node_home "$1" "$2" n1 "$BASE.1" "$BASE.1"; }
# pair_home HOME: HOME (made when missing) with a new self-signed pair
# imported (tlstool create -site, import; $SIPC_PFX_PASSWORD set when it is
# not); fails, saying so, when tlstool does
pair_home() {
    mkdir -p "$1"
    export SIPC_PFX_PASSWORD=${SIPC_PFX_PASSWORD:-Test-Pair-$$}
    "$BIN/tlstool" create -site "$1.p12" >/dev/null &&
        "$BIN/tlstool" --home "$1" import "$1.p12" >/dev/null ||
        { echo "cannot import a new pair into $1"; return 1; }
}
# sipcd_start HOME [SECONDS]: starts ${SIPCD:-$BIN/sipcd} on HOME in the
# background (its output appended to HOME.out, its pid in $sipcd_pid; its
# clock faked when SIPCD_FAKETIME holds a SPEC of faketime.sh) and
# waits until its four services have logged "Service Started" once more;
# fails, showing the end of its output, when it exits or SECONDS (20) pass.
sipcd_start() {
    local home=$1 limit=${2:-20} before deadline
    before=$(sc_started_count "$home")
    ( [ -z "${SIPCD_FAKETIME:-}" ] || faketime_env "$SIPCD_FAKETIME" || exit 1
        exec "${SIPCD:-$BIN/sipcd}" --home "$home") >>"$home.out" 2>&1 &
    sipcd_pid=$!
    deadline=$(($(sc_now_ms) + limit * 1000))
    while [ "$(sc_started_count "$home")" -lt $((before + 4)) ]; do
        if ! kill -0 "$sipcd_pid" 2>/dev/null || [ "$(sc_now_ms)" -ge "$deadline" ]; then
            echo "sipcd --home $home did not start its four services within $limit s; its output ends:"
            tail -n 20 "$home.out" | sed 's/^/    | /'
            return 1
        fi
        sleep 0.05
    done
}
# --- the one node of a test at $home (set it first) --------------------------
# ctl ARGS...: sipcctl on $home, 20 s for an answer
ctl() { "$BIN/sipcctl" --home "$home" --timeout 20000 "$@"; }
# datalog: the data service's log of $home
datalog() { cat "$home/logs/"DataService_*.log; }
# datalog_has PATTERN: a line of it matches PATTERN (grep's basic regex),
# read by grep itself: not `datalog | grep -q`, which fails under pipefail
# when grep leaves at its match while cat still writes (SIGPIPE)
datalog_has() { grep -q -- "$1" "$home/logs/"DataService_*.log 2>/dev/null; }
# logged PATTERN: datalog_has within 5 s (the logger's thread writes a line
# a moment after the action)
logged() { wait_for 5 datalog_has "$1"; }
# marked N: $home's records mark (state/records-mark) counts N records created
marked() { grep -q "created $1 " "$home/state/records-mark"; }
# until_status SECONDS PATTERN: sipcctl status prints a line matching
# PATTERN (extended regex) within SECONDS; its last output in $OUT
until_status() {
    local deadline=$(($(date +%s) + $1))
    while [ "$(date +%s)" -lt "$deadline" ]; do
        ctl status >"$OUT" 2>&1
        grep -Eq "$2" "$OUT" && return 0
        sleep 0.5
    done
    return 1
}
# sipcd_preloaded LIBRARY: later sipcd_start calls run sipcd with LIBRARY
# in LD_PRELOAD (a wrapper in $work that execs it: $sipcd_pid is sipcd's)
sipcd_preloaded() {
    printf '#!/bin/sh\nLD_PRELOAD=%s exec %s "$@"\n' "$1" "$BIN/sipcd" >"$work/sipcd.preloaded"
    chmod +x "$work/sipcd.preloaded"
    export SIPCD=$work/sipcd.preloaded
}
# sipcd_start_all HOME...: sipcd_start on each in turn, their pids in
# node_pids (in that order); at exit each is continued (a test may have
# stopped it) and sent SIGTERM
sipcd_start_all() {
    local h
    node_pids=()
    for h in "$@"; do
        sipcd_start "$h" || return 1
        node_pids+=("$sipcd_pid")
        at_exit "kill -CONT $sipcd_pid 2>/dev/null; kill -TERM $sipcd_pid 2>/dev/null"
    done
}
# strict_trio CLUSTER: three nodes a b c of cluster CLUSTER in $work/a-c at
# $BASE.1-3, each listing the three, one new pair ($work/cluster.pfx,
# $SIPC_PFX_PASSWORD) imported in each, TLS strict, started with
# sipcd_start_all (their pids in node_pids); fails, saying so, when a step does
strict_trio() { strict_nodes "$1" a b c; }
# strict_nodes CLUSTER NAME...: strict_trio with the nodes NAME... at
# $BASE.1, $BASE.2, ... in $work/NAME, each listing them all
strict_nodes() {
    local cluster=$1 n i=0 list="" homes=()
    shift
    for n in "$@"; do i=$((i + 1)); list+="${list:+, }$BASE.$i"; done
    "$BIN/tlstool" create -site "$work/cluster.pfx" >/dev/null || { not_ok "tlstool create"; return 1; }
    i=0
    for n in "$@"; do
        i=$((i + 1))
        node_home "$work/$n" "$cluster" "$n" "$BASE.$i" "$list"
        "$BIN/tlstool" --home "$work/$n" import "$work/cluster.pfx" >/dev/null &&
            "$BIN/tlstool" --home "$work/$n" enable --mode strict >/dev/null ||
            { not_ok "tlstool import, enable on $n"; return 1; }
        homes+=("$work/$n")
    done
    sipcd_start_all "${homes[@]}"
}
# org_trio CLUSTER [NAME...]: strict_trio with a certificate of its own on
# every node: in $work/pki (tests/certs/openssl_pki.sh) roots r1 and r2
# ("O=Test, CN=Test Root rN") and, for a b c and each NAME, NAME-rN.pfx
# ("O=Test, CN=node NAME", with its root; $SIPC_PFX_PASSWORD); nodes a b c
# with [tls] subject = O=Test and their r1 pair, TLS strict, started with
# sipcd_start_all; fails, saying so, when a step does
org_trio() {
    local cluster=$1 n r i=0 pki_sh
    shift
    pki_sh=$SHTEST_DIR/../certs/openssl_pki.sh
    mkdir -p "$work/pki" && (
        cd "$work/pki" || exit 1
        . "$pki_sh"
        node_ext
        for r in r1 r2; do
            selfsign $r "/O=Test/CN=Test Root $r" ca || exit 1
            for n in a b c "$@"; do
                issue "$n-$r" "/O=Test/CN=node $n" $r leaf && node_pfx "$n-$r" $r || exit 1
            done
        done
    ) || { not_ok "the organisation's PKI"; return 1; }
    for n in a b c; do
        i=$((i + 1))
        node_home "$work/$n" "$cluster" "$n" "$BASE.$i" "$BASE.1, $BASE.2, $BASE.3"
        printf '[tls]\nsubject = O=Test\n' >>"$work/$n/sipc.conf"
        "$BIN/tlstool" --home "$work/$n" import "$work/pki/$n-r1.pfx" >/dev/null &&
            "$BIN/tlstool" --home "$work/$n" enable --mode strict >/dev/null ||
            { not_ok "tlstool import, enable on $n"; return 1; }
    done
    sipcd_start_all "$work/a" "$work/b" "$work/c"
}
# org_crls: after org_trio, three CRLs of root r1 in $work/pki: crl-x.pem
# revokes x-r1 alone ("O=Test, CN=node x", a certificate no home holds),
# crl-bx.pem (newer) b's r1 certificate too, crl-bcx.pem (newest) c's as
# well; fails, saying so
org_crls() {
    (
        cd "$work/pki" || exit 1
        . "$SHTEST_DIR/../certs/openssl_pki.sh"
        issue x-r1 "/O=Test/CN=node x" r1 leaf && mkca r1 &&
            revoke r1 x-r1 && gencrl r1 crl-x.pem &&
            revoke r1 b-r1 && gencrl r1 crl-bx.pem &&
            revoke r1 c-r1 && gencrl r1 crl-bcx.pem
    ) || { not_ok "the CRLs"; return 1; }
}
# sipcctl_peer HOME: the strict guard's name for the sipcctl sessions run
# from HOME by this user on this machine (services/common/client_id.h), its
# tag as `tlstool status` says it
sipcctl_peer() {
    local short='s/[^A-Za-z0-9._-]/_/g'
    echo "sipcctl:$(id -un | cut -c1-16 | sed "$short")@$(uname -n | cut -d. -f1 | cut -c1-22 | sed "$short") home $("$BIN/tlstool" --home "$1" status --json | jq -r .home_tag)"
}
# each_log HOME PATTERN: how many of the four service logs of HOME have
# PATTERN (grep's basic regex) exactly once
each_log() {
    local f n=0
    for f in "$1/logs/"{Data,Search,Management,Pipeline}Service_*.log; do
        [ "$(grep -c -- "$2" "$f" 2>/dev/null)" = 1 ] && n=$((n + 1))
    done
    echo $n
}
# sipcd_port HOME: the data service's port, from its start line
# ("Port: N" or "TLS Port: N"; the latest start's)
sipcd_port() {
    sed -n 's/.*Service.Start INFO \(TLS \)\{0,1\}Port: \([0-9]*\).*/\2/p' "$1/logs/"DataService_*.log 2>/dev/null | tail -n1
}
