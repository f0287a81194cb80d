#!/usr/bin/env bash
# test_home_lock.sh - one sipcd per home (services/sipcd/home_lock.c), with
# real sipcd (TLS off):
#   - a SIPC_PFX_PASSWORD it was started with is not left in its memory
#   - a second sipcd on a live home, its sipc.conf since changed to other
#     ports and another address (so that only the lock can stop it), exits 75
#     naming the home and the first one's pid, before it logs or binds
#     anything; the first still serves
#   - state/ deleted or the lock file replaced under the first: still 75
#     (the lock is on the home directory); the first is probed while it runs
#   - the lock held but no pid in the file: said without a pid
#   - a home too long for its files' names: exit 78, nothing created
#   - as root, in a home uid 65534 owns: sipcd runs as 65534 and says so, every
#     file it makes is 65534's, status answers; then the owner's own sipcd
#     starts there, a pid file root left stopping it not; a home of a uid
#     with no account: exit 77, nothing made; a sipc.conf 65534 cannot
#     reach (a folder on the way it may not enter, or the file root's):
#     exit 78, saying as whom sipcd runs and what is in its way
#   - flock refused (ENOLCK, through LD_PRELOAD): sipcd starts with a WARN
#   - the first killed with SIGKILL: a new sipcd starts at once (the kernel
#     dropped the lock) and its pid is in the file
#   - a port held by another program: exit 71, the program named by pid;
#     an older sipcd of this home named as such, its home from --home or
#     from $SIPC_HOME in its environment (as the systemd unit gives it);
#     by a sipcd of this home that takes no lock (an older version): named
#     as that, with how to go on; the refused sipcd leaves no pid in
#     state/sipcd.lock, nor does one stopped normally
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.82}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init homelock
need_free "$BASE".{1,2,3}:{23000,23001,23002,23003}

h=$work/n1
one_node_home "$h" lock
# started from a shell that exported the pair's password for tlstool
SIPC_PFX_PASSWORD=Not-For-Sipcd-7 sipcd_start "$h" || exit 1
first=$sipcd_pid
grep -qa 'Not-For-Sipcd-7' "/proc/$first/environ" &&
    not_ok "sipcd keeps SIPC_PFX_PASSWORD's value readable in /proc/PID/environ" ||
    ok "sipcd wipes SIPC_PFX_PASSWORD's value from its environment (it reads no password)"
lockf=$h/state/sipcd.lock
mode=$(stat -c %a "$lockf" 2>/dev/null)
[ "$(cat "$lockf" 2>/dev/null)" = "$first" ] && [ "$mode" = 600 ] &&
    ok "the running sipcd's pid is in $lockf (mode $mode)" ||
    not_ok "$lockf: mode '$mode', holds '$(cat "$lockf" 2>/dev/null)', want 600 and $first"

# the same home, its configuration now on other ports of another address
cp "$h/sipc.conf" "$work/sipc.conf.first"
printf '[node]\nid = n1\naddress = %s.3\n[cluster]\nname = lock\nnodes = %s.3\n[data]\nport = 24000\n[search]\nport = 24001\n[management]\nport = 24002\n[pipeline]\nport = 24003\n' \
    "$BASE" "$BASE" >"$h/sipc.conf"
logs_before=$(cat "$h"/logs/*.log | wc -l)
# second_try NAME: starts a second sipcd on $h in the background and probes
# its port while it runs (a sipcd the lock did not stop listens there; it is
# stopped after 5 s at most), then sets RC and OUT as run does
second_try() {
    "$BIN/sipcd" --home "$h" >"$OUT" 2>&1 &
    local p=$! i listened=0
    for i in $(seq 1 50); do
        if (exec 3<>"/dev/tcp/$BASE.3/24002") 2>/dev/null; then
            listened=1
            break
        fi
        kill -0 "$p" 2>/dev/null || break
        sleep 0.1
    done
    kill -TERM "$p" 2>/dev/null
    wait "$p"
    RC=$?
    [ "$listened" = 0 ] && ok "$1: it opened none of its ports while it ran" ||
        not_ok "$1: it listened on $BASE.3:24002"
}
second_try "a second sipcd on the home"
if expect "a second sipcd on the home, other ports: exit 75, naming the home and the holder's pid" 75 \
    "^sipcd: node home $h is in use by pid $first, which holds its lock: one sipcd per home; .sipcctl --home $h status. asks the node running there$"; then
    [ "$(wc -l <"$OUT")" = 1 ] && ok "the refusal is one line" || bad "the refusal is not one line"
fi
logs_after=$(cat "$h"/logs/*.log | wc -l)
[ "$logs_after" = "$logs_before" ] && ok "the refused sipcd wrote nothing to the home's logs" ||
    not_ok "the refused sipcd logged $((logs_after - logs_before)) lines in $h/logs"

# the lock is the home directory's, not the file's: deleting state/ (to reset
# the peer history, say) or replacing the file lets no second sipcd in
mv "$h/state" "$work/state.saved"
second_try "state/ deleted under a running sipcd"
expect "state/ deleted: a second sipcd still exits 75" 75 "node home $h is in use by another process"
rm -rf "$h/state"
mv "$work/state.saved" "$h/state"
rm -f "$lockf"
echo 99999999 >"$lockf"
second_try "the lock file replaced"
expect "the lock file replaced: a second sipcd still exits 75" 75 "node home $h is in use by"
echo "$first" >"$lockf"
cp "$work/sipc.conf.first" "$h/sipc.conf"
run "$BIN/sipcctl" --timeout 3000 --home "$h" status --json
if [ "$RC" = 0 ] && [ "$(jq -r .node.pid "$OUT")" = "$first" ]; then
    ok "the first sipcd (pid $first) still serves"
else
    bad "status of the first sipcd: exit $RC"
fi

# held, but the file names no pid (its holder has not written it yet)
: >"$lockf"
run timeout 10 "$BIN/sipcd" --home "$h"
expect "the lock held with no pid in the file: exit 75, said without a pid" 75 \
    "^sipcd: node home $h is in use by another process \(its pid is not in state/sipcd.lock\), which holds its lock"

# a home too long for its files' names is refused whole: nothing is made
# beside it (the lock's path was cut to a prefix of the home, and created)
long=$work/long/$(printf 'b%.0s' {1..200})/$(printf 'c%.0s' {1..200})/$(printf 'd%.0s' {1..200})/$(printf 'e%.0s' {1..90})
mkdir -p "$long"
run timeout 10 "$BIN/sipcd" --home "$long"
expect "a home of ${#long} bytes: exit 78, too long, said" 78 "home path too long"
made=$(find "$work/long" -mindepth 4 ! -path "$long")
[ -z "$made" ] && ok "nothing was created in or beside the too-long home" ||
    not_ok "the too-long home's sipcd created: $made"

# no stale lock: SIGKILL leaves the file, not the lock
kill -KILL "$first"
wait "$first" 2>/dev/null
if sipcd_start "$h"; then
    second=$sipcd_pid
    ok "after SIGKILL of pid $first a new sipcd starts on the home (pid $second)"
    [ "$(cat "$lockf")" = "$second" ] && ok "the lock file names the new holder" ||
        not_ok "the lock file holds '$(cat "$lockf")', want $second"
    kill -TERM "$second"
    wait "$second"
else
    not_ok "no sipcd starts on the home after the first was killed with SIGKILL"
fi

# started as root in a home another account owns, sipcd runs as that account
# (and says so): everything it makes there is the owner's, the node answers,
# and the owner's own sipcd then starts on the home as it is; a pid file root
# left (0600, root's: an older sipcd) stops it not either; where that
# account cannot reach sipc.conf (a folder on the way it may not enter, or
# the file root's), the refusal says as whom sipcd runs and what is in its
# way (root only: the owner is uid 65534)
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    own=$(mktemp -d "${TMPDIR:-/tmp}/sipc-homelock-own.XXXXXX")
    at_exit rm -rf "$own"
    chmod 711 "$own"
    h3=$own/n3
    one_node_home "$h3" lock
    chown -R 65534:65534 "$h3"
    chmod 700 "$h3"
    owner=$(getent passwd 65534 | cut -d: -f1)
    if sipcd_start "$h3"; then
        [ "$(stat -c %u "/proc/$sipcd_pid")" = 65534 ] &&
            grep -q "Running as $owner (uid 65534, gid [0-9]*), the owner of the node home $h3 (sipcd was started as root)" "$h3/logs/DataService_"*.log &&
            ok "root's sipcd runs as the home's owner and says so" ||
            not_ok "root's sipcd: process of uid $(stat -c %u "/proc/$sipcd_pid"), log: $(grep -h 'Running as' "$h3"/logs/*.log | head -1)"
        run "$BIN/sipcctl" --timeout 3000 --home "$h3" status
        [ "$RC" = 0 ] && ok "the node root started answers status" ||
            not_ok "status of the node root started: rc $RC: $(head -3 "$OUT")"
        kill -TERM "$sipcd_pid"
        wait "$sipcd_pid"
        others=$(find "$h3" \( ! -user 65534 -o ! -group 65534 \) -printf '%p %u:%g\n')
        [ -z "$others" ] && [ -e "$h3/data" ] && [ -e "$h3/state/peers" ] &&
            ok "every file root's sipcd made in the home is the owner's" ||
            not_ok "not the owner's: ${others:-(none; data/ or state/peers missing)}"
    else
        not_ok "root's sipcd did not start on a home uid 65534 owns"
    fi
    # a home whose owner has no account here: root's sipcd cannot become it
    # and refuses (77) before it makes anything there
    nouid=$(for u in $(seq 4242 4300); do getent passwd "$u" >/dev/null || { echo "$u"; break; }; done)
    h5=$own/n5
    one_node_home "$h5" lock
    chown -R "$nouid:$nouid" "$h5"
    run "$BIN/sipcd" --home "$h5"
    expect "root's sipcd in a home of uid $nouid, no account: refused" 77 \
        "^sipcd: node home $h5 belongs to uid $nouid, which has no account here"
    [ ! -e "$h5/state" ] && [ ! -e "$h5/logs" ] && [ ! -e "$h5/data" ] &&
        ok "the refused sipcd made nothing in the home" ||
        not_ok "made in $h5: $(ls "$h5" | tr '\n' ' ')"
    # a home of 65534 under a folder that account may not enter (0700,
    # root's): root reads sipc.conf, the owner's sipcd cannot; the refusal
    # says as whom sipcd runs and which folder stands in its way
    closed=$own/closed
    mkdir -m 700 "$closed"
    h6=$closed/n6
    one_node_home "$h6" lock
    chown -R 65534:65534 "$h6"
    run "$BIN/sipcd" --home "$h6"
    expect "root's sipcd in a home of 65534 under a folder 65534 may not enter: says why" 78 \
        "^sipcd: cannot read $h6/sipc.conf: Permission denied: sipcd runs as $owner \(uid 65534\), the owner of the node home $h6 \(it was started as root\), and $owner cannot pass through $closed \(mode 0700, owner root\): let it through \(\`chmod o\+x $closed\`"
    # the folder passable, sipc.conf itself root's (0600): the file is named
    chmod 711 "$closed"
    chown 0:0 "$h6/sipc.conf"
    chmod 600 "$h6/sipc.conf"
    run "$BIN/sipcd" --home "$h6"
    expect "root's sipcd, sipc.conf not readable to the home's owner: says why" 78 \
        "^sipcd: cannot read $h6/sipc.conf: Permission denied: sipcd runs as $owner \(uid 65534\), the owner of the node home $h6 \(it was started as root\), and that file is not readable to $owner"
    echo 1 >"$h3/state/sipcd.lock"
    chown 0:0 "$h3/state/sipcd.lock"
    chmod 600 "$h3/state/sipcd.lock"
    printf '#!/bin/sh\nexec setpriv --reuid 65534 --regid 65534 --clear-groups "%s" "$@"\n' \
        "$BIN/sipcd" >"$own/as-owner"
    chmod 755 "$own/as-owner"
    if SIPCD=$own/as-owner sipcd_start "$h3"; then
        ok "the owner's sipcd starts on the home root's sipcd ran in"
        [ "$(cat "$h3/state/sipcd.lock")" = "$sipcd_pid" ] && [ "$(stat -c %u "$h3/state/sipcd.lock")" = 65534 ] &&
            ok "the owner's sipcd replaced root's pid file with its own" ||
            not_ok "pid file: '$(cat "$h3/state/sipcd.lock")' of uid $(stat -c %u "$h3/state/sipcd.lock"), want $sipcd_pid of 65534"
        kill -TERM "$sipcd_pid"
        wait "$sipcd_pid"
    else
        not_ok "the owner's sipcd did not start on the home root's sipcd ran in"
    fi
fi

# a filesystem that refuses flock (ENOLCK: NFS without a lock manager):
# sipcd starts, and each service warns that one sipcd per home is not
# enforced there
nolock=$BIN/tests/integration/libflock_enolck.so
if [ -e "$nolock" ]; then
    h4=$work/n4
    one_node_home "$h4" lock
    printf '#!/bin/sh\nLD_PRELOAD="%s" exec "%s" "$@"\n' "$nolock" "$BIN/sipcd" >"$work/nolock-sipcd"
    chmod 755 "$work/nolock-sipcd"
    if SIPCD=$work/nolock-sipcd sipcd_start "$h4"; then
        ok "flock refused (ENOLCK): sipcd starts all the same"
        n=$(grep -c "WARN cannot lock node home $h4: No locks available: one sipcd per home cannot be enforced on this filesystem" "$h4".out)
        [ "$n" = 4 ] && ok "flock refused: each of the four services warns" ||
            not_ok "flock refused: $n WARN lines in $h4.out, want 4"
        [ "$(cat "$h4/state/sipcd.lock")" = "$sipcd_pid" ] && ok "flock refused: the pid is written all the same" ||
            not_ok "flock refused: state/sipcd.lock holds '$(cat "$h4/state/sipcd.lock")', want $sipcd_pid"
        kill -TERM "$sipcd_pid"
        wait "$sipcd_pid"
    else
        not_ok "flock refused (ENOLCK): sipcd did not start"
    fi
else
    not_ok "$nolock is missing (built with the tests)"
fi

# a port held by another program: named (the test's own process, visible
# to it), exit 71, and no pid of the refused sipcd left in state/sipcd.lock
h2=$work/n2
mkdir -p "$h2" "$work/bin"
printf '[node]\nid = n2\naddress = %s.2\n[cluster]\nname = lock\nnodes = %s.2\n' "$BASE" "$BASE" >"$h2/sipc.conf"
# hold PROGRAM ARGS...: PROGRAM (a python3) holds $BASE.2:23002 for 20 s at
# most, in the background ($holder); it has bound when $work/held exists
hold() {
    rm -f "$work/held"
    "$@" -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 23002)); s.listen(1)
open(sys.argv[2], "w").close(); time.sleep(20)
' "$BASE.2" "$work/held" --home "$h2" &
    holder=$!
    sc_wait 5 test -e "$work/held"
}
if hold python3; then
    run timeout 10 "$BIN/sipcd" --home "$h2"
    expect "a port held by another program: exit 71, the program named" 71 \
        "Management Service cannot listen on $BASE\.2:23002: address already in use" \
        "Port 23002 is held by pid $holder \(python3[^,]*, /[^)]*\): another program; stop it, or give this node another \[node\] address or other ports$"
    [ ! -e "$h2/state/sipcd.lock" ] && ok "the refused sipcd left no pid in state/sipcd.lock" ||
        not_ok "state/sipcd.lock holds '$(cat "$h2/state/sipcd.lock")' after the refused start"
else
    not_ok "could not take $BASE.2:23002 for the port-in-use check"
fi
kill "$holder"
wait "$holder" 2>/dev/null
# a sipcd of this home that takes no lock (a version from before it) holds
# the port: named as such, with how to go on (a stand-in called sipcd, with
# --home on its command line as sipcd's)
ln -sf "$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')" "$work/bin/sipcd"
if hold "$work/bin/sipcd"; then
    run timeout 10 "$BIN/sipcd" --home "$h2"
    expect "an older sipcd of this home on the port: exit 71, named as such" 71 \
        "Port 23002 is held by pid $holder \(sipcd, /[^ ]*, home $h2\): a sipcd of this home that takes no home lock \(a version from before the lock, as in an upgrade or a rollback\); stop it \(kill -TERM $holder\), wait until it has exited, then start this one"
    grep -q "no other sipcd runs from" "$OUT" && bad "the older sipcd's home ruled out" ||
        ok "the home's older sipcd is not ruled out"
    [ ! -e "$h2/state/sipcd.lock" ] && ok "no pid of the refused sipcd beside the older one" ||
        not_ok "state/sipcd.lock holds '$(cat "$h2/state/sipcd.lock")' beside the older sipcd"
else
    not_ok "could not take $BASE.2:23002 with the stand-in sipcd"
fi
kill "$holder"
wait "$holder" 2>/dev/null
# the same, started as the systemd unit starts it: the home in $SIPC_HOME,
# no --home on its command line (read from its environment)
hold_env() {
    rm -f "$work/held"
    SIPC_HOME=$h2 "$work/bin/sipcd" -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 23002)); s.listen(1)
open(sys.argv[2], "w").close(); time.sleep(20)
' "$BASE.2" "$work/held" &
    holder=$!
    sc_wait 5 test -e "$work/held"
}
if hold_env; then
    run timeout 10 "$BIN/sipcd" --home "$h2"
    expect "an older sipcd of this home by \$SIPC_HOME: named as this home's" 71 \
        "Port 23002 is held by pid $holder \(sipcd, /[^ ]*, home $h2\): a sipcd of this home that takes no home lock"
    grep -q "a sipcd of another home" "$OUT" && bad "named as another home's" ||
        ok "not named as another home's"
else
    not_ok "could not take $BASE.2:23002 with the stand-in sipcd (\$SIPC_HOME)"
fi
kill "$holder"
wait "$holder" 2>/dev/null
# a sipcd stopped normally takes its pid out of the file (only a kill or a
# crash leaves one, which nothing believes)
sipcd_start "$h2" && p=$sipcd_pid && [ "$(cat "$h2/state/sipcd.lock")" = "$p" ] &&
    kill -TERM "$p" && wait "$p"
[ -n "${p:-}" ] && [ ! -e "$h2/state/sipcd.lock" ] && ok "a stopped sipcd leaves no pid file" ||
    not_ok "after a normal stop: state/sipcd.lock holds '$(cat "$h2/state/sipcd.lock" 2>/dev/null)'"
shtest_done
