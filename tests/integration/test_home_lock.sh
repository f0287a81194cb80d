#!/usr/bin/env bash
# test_home_lock.sh - one sipcd per home (services/sipcd/home_lock.c), with
# real sipcd (TLS off):
#   - a second sipcd on a live home, its sipc.conf since changed to other
#     ports and another address (so that only the lock can stop it), exits 75
#     naming the home and the first one's pid, before it logs or binds
#     anything; the first still serves
#   - the lock held but no pid in the file: said without a pid
#   - the first killed with SIGKILL: a new sipcd starts at once (the kernel
#     dropped the lock) and its pid is in the file
#   - a port held by another program: exit 71, and the log says that no
#     other sipcd runs from the home (this one holds its lock)
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.82}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init homelock
need_free "$BASE".{1,2,3}:{23000,23001,23002,23003}

h=$work/n1
one_node_home "$h" lock
sipcd_start "$h" || exit 1
first=$sipcd_pid
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
# bounded: a sipcd that the lock did not stop would run on its own ports
run timeout 10 "$BIN/sipcd" --home "$h"
if expect "a second sipcd on the home, other ports: exit 75, naming the home and the holder's pid" 75 \
    "^sipcd: node home $h is in use by pid $first, which holds $lockf: one sipcd per home; .sipcctl --home $h status. asks the node running there$"; then
    [ "$(wc -l <"$OUT")" = 1 ] && ok "the refusal is one line" || bad "the refusal is not one line"
fi
logs_after=$(cat "$h"/logs/*.log | wc -l)
[ "$logs_after" = "$logs_before" ] && ok "the refused sipcd wrote nothing to the home's logs" ||
    not_ok "the refused sipcd logged $((logs_after - logs_before)) lines in $h/logs"
if (exec 3<>"/dev/tcp/$BASE.3/24002") 2>/dev/null; then
    not_ok "something listens on $BASE.3:24002 after the refused start"
else
    ok "the refused sipcd opened none of its ports"
fi
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
    "^sipcd: node home $h is in use by another process \(its pid is not in the file\), which holds $lockf"

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

# a port held by another program, not a sipcd of this home
h2=$work/n2
mkdir -p "$h2"
printf '[node]\nid = n2\naddress = %s.2\n[cluster]\nname = lock\nnodes = %s.2\n' "$BASE" "$BASE" >"$h2/sipc.conf"
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 23002)); s.listen(1)
open(sys.argv[2], "w").close(); time.sleep(20)
' "$BASE.2" "$work/held" &
holder=$!
if sc_wait 5 test -e "$work/held"; then
    run timeout 10 "$BIN/sipcd" --home "$h2"
    expect "a port held by another program: exit 71, the home's sipcd ruled out" 71 \
        "Management Service cannot listen on $BASE\.2:23002: address already in use" \
        "Another program holds port 23002: no other sipcd runs from $h2 \(this one holds its lock, state/sipcd.lock\); .ss -ltnp 'sport = :23002'. names it"
else
    not_ok "could not take $BASE.2:23002 for the port-in-use check"
fi
kill "$holder"
shtest_done
