#!/usr/bin/env bash
# test_unclean_stop.sh - what a kill -9 of sipcd leaves for the operator, with
# a real sipcd (TLS off, one node):
#   - a sipcd killed and not yet reaped (a zombie: its parent does not wait)
#     holds no lock: `sipcctl status` says it is not running, killed or
#     crashed, and `tlstool status` that no sipcd runs (not "cannot be told")
#   - a live process holding the home's lock, nothing listening: `sipcctl
#     status` says it holds the lock and may be starting, whatever its name
#   - a sipcd running while its [management] port is edited: `sipcctl
#     status` names the port it listens on (its log) and that the edit takes
#     effect at its next restart; with no log to read and a lock two minutes
#     old, that it listens elsewhere, never "may be starting"
#   - the next start logs one WARN naming the killed run's pid and start time,
#     and its status carries last_stop (clean false, pid, started), printed by
#     `sipcctl status`
#   - a clean stop (SIGTERM), a start refused because the home is in use, and
#     a start that fails after taking the lock (a port held) leave nothing of
#     the kind: the next start logs no such line, last_stop.clean is true
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.192}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init unclean
need_free "$BASE".1:{23000,23001,23002,23003}

h=$work/n1
one_node_home "$h" unclean
lockf=$h/state/sipcd.lock
ctl() { "$BIN/sipcctl" --home "$h" --timeout 3000 "$@"; }
warned() { cat "$h"/logs/*.log | grep -c "did not stop cleanly" ; }
last_stop() { ctl status --json | jq -c .last_stop; }

# a first start, a clean stop, a start again: nothing said
sipcd_start "$h" || exit 1
[ "$(last_stop)" = '{"clean":true}' ] && ok "a first start: last_stop clean" ||
    not_ok "a first start: last_stop $(last_stop)"
kill -TERM "$sipcd_pid"
wait "$sipcd_pid"
sipcd_start "$h" || exit 1
first=$sipcd_pid
[ "$(warned)" = 0 ] && [ "$(last_stop)" = '{"clean":true}' ] &&
    ok "after a clean stop (SIGTERM) the next start says nothing of an unclean stop" ||
    not_ok "after a clean stop: $(warned) warning(s), last_stop $(last_stop)"
# a second sipcd refused (the home in use) changes nothing of it
run timeout 10 "$BIN/sipcd" --home "$h"
[ "$RC" = 75 ] && [ "$(cat "$lockf")" = "$first" ] &&
    ok "a second sipcd refused (75) leaves the running one's pid in the lock file" ||
    bad "a second sipcd: exit $RC, lock file '$(cat "$lockf")'"
kill -TERM "$first"
wait "$first"
[ ! -e "$lockf" ] && ok "a clean stop removes the lock file" || not_ok "the lock file stays after SIGTERM"

# a start that fails after taking the lock (its management port held): it
# stops cleanly, and the next start says nothing either
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 23002)); s.listen(1); open(sys.argv[2], "w").close(); time.sleep(20)
' "$BASE.1" "$work/held" &
holder=$!
at_exit "kill $holder 2>/dev/null"
wait_for 5 test -e "$work/held" || not_ok "could not hold $BASE.1:23002"
run timeout 10 "$BIN/sipcd" --home "$h"
[ "$RC" = 71 ] && ok "a start with its port held fails (71)" || bad "a start with its port held: exit $RC"
kill "$holder"
wait "$holder" 2>/dev/null
sipcd_start "$h" || exit 1
[ "$(warned)" = 0 ] && [ "$(last_stop)" = '{"clean":true}' ] &&
    ok "after a failed start the next start says nothing of an unclean stop" ||
    not_ok "after a failed start: $(warned) warning(s), last_stop $(last_stop)"
kill -TERM "$sipcd_pid"
wait "$sipcd_pid"

# a live process holding the lock, its pid in the file, nothing listening:
# what a sipcd that is starting looks like from outside
python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_EX)
lock = sys.argv[1] + "/state/sipcd.lock"
open(lock, "w").write("%d\n" % os.getpid())
open(sys.argv[2], "w").close()
time.sleep(20)
' "$h" "$work/locked" &
lholder=$!
at_exit "kill $lholder 2>/dev/null"
wait_for 5 test -e "$work/locked" || not_ok "the stand-in did not take the home's lock"
run ctl status
expect "status while a live process holds the lock: it may be starting" 69 \
    "yet sipcd pid $lholder holds this home's lock \($lockf\): it may be starting"
kill "$lholder"
wait "$lholder" 2>/dev/null
rm -f "$lockf"

# killed and left unreaped: its parent (a sleep it was started beside, whose
# shell exec'd it) never waits, so it stays a zombie
before=$(sc_started_count "$h")
( "$BIN/sipcd" --home "$h" >>"$h.out" 2>&1 &
  echo $! >"$work/zpid"
  exec sleep 60 ) &
keeper=$!
at_exit "kill $keeper 2>/dev/null"
wait_for 20 eval '[ "$(sc_started_count "$h")" -ge $((before + 4)) ]' || not_ok "the sipcd to kill did not start"
z=$(cat "$work/zpid")
started=$(date -u -d "@$(stat -c %Y "$lockf")" +%Y-%m-%dT%H:%M:%SZ)
kill -KILL "$z"
wait_for 5 eval '[ "$(sc_pid_state "$z")" = Z ]' && ok "sipcd pid $z killed and left a zombie" ||
    not_ok "sipcd pid $z: state '$(sc_pid_state "$z")', want Z"
run ctl status
expect "status beside a killed, unreaped sipcd: not running, killed or crashed" 69 \
    "no sipcd runs from $h \(its lock, state/sipcd.lock, names pid $z, which is not running: it was killed or crashed\)"
grep -q "may be starting" "$OUT" && bad "a zombie read as a sipcd that may be starting" ||
    ok "a zombie is not read as a sipcd that may be starting"
run "$BIN/tlstool" --home "$h" status --json
[ "$(jq -r .running.state "$OUT")" = not_running ] &&
    ok "tlstool status beside the zombie: not_running" ||
    bad "tlstool status beside the zombie: running $(jq -c .running "$OUT" 2>/dev/null)"
kill "$keeper"
wait "$keeper" 2>/dev/null


# the next start: one WARN naming the killed run, in its status too
sipcd_start "$h" || exit 1
n=$(warned)
grep -q "Service.Start WARN The previous run (pid $z, started $started) did not stop cleanly (killed or crashed): .*$h/logs/.*journalctl -u sipcd.*coredumpctl" \
    "$h"/logs/DataService_*.log && [ "$n" = 1 ] &&
    ok "the start after a kill logs one WARN naming pid $z, started $started, and where to look" ||
    not_ok "after the kill: $n line(s): $(grep -h "did not stop cleanly" "$h"/logs/*.log)"
[ "$(last_stop)" = "{\"clean\":false,\"pid\":$z,\"started\":\"$started\"}" ] &&
    ok "status: last_stop names the unclean stop" || not_ok "status: last_stop $(last_stop)"
run ctl status
expect "sipcctl status prints the unclean stop" 0 \
    "^  last stop: UNCLEAN: the previous run \(pid $z, started $started\) was killed or crashed"
kill -TERM "$sipcd_pid"
wait "$sipcd_pid"
sipcd_start "$h" || exit 1
[ "$(warned)" = 1 ] && [ "$(last_stop)" = '{"clean":true}' ] &&
    ok "a clean stop then a start: nothing more said, last_stop clean" ||
    not_ok "after the clean stop: $(warned) line(s), last_stop $(last_stop)"
run ctl status
grep -q "last stop" "$OUT" && bad "sipcctl status prints a last stop after a clean one" ||
    ok "sipcctl status prints no last stop after a clean one"

# [management] port edited while it runs: it listens where it started, the
# port its log names; the edit applies at the next restart
cp "$h/sipc.conf" "$work/sipc.conf.kept"
printf '[management]\nport = 23012\n' >>"$h/sipc.conf"
run ctl status
expect "status with [management] port edited while sipcd runs: the port it listens on, the restart" 69 \
    "yet sipcd pid $sipcd_pid holds this home's lock \($lockf\): it started at [0-9T:Z-]+ and listens on port 23002 \(its log, $h/logs/ManagementService_[0-9]{8}\.log\), not on the port $h/sipc\.conf names now \(\[management\] port 23012\): an edited port takes effect at the node's next restart"
grep -q "may be starting" "$OUT" && bad "a sipcd listening elsewhere said maybe starting"
# its log not readable here, and started two minutes ago (the lock file's
# time): longer than a start takes, so not "starting"
mkdir "$work/logs.kept" && mv "$h"/logs/ManagementService_*.log "$work/logs.kept/"
touch -d '-2 minutes' "$lockf"
run ctl status
expect "... its log gone and started two minutes ago: it listens elsewhere, the restart named" 69 \
    "yet sipcd pid $sipcd_pid holds this home's lock \($lockf\): it started at [0-9T:Z-]+, longer ago than a start takes, so it listens elsewhere: .*takes effect at the node's next restart"
grep -q "may be starting" "$OUT" && bad "a sipcd running for two minutes said maybe starting"
mv "$work/logs.kept"/* "$h/logs/" && cp "$work/sipc.conf.kept" "$h/sipc.conf"
kill -TERM "$sipcd_pid"
wait "$sipcd_pid"
shtest_done
