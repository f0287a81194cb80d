#!/usr/bin/env bash
# test_cluster_hung_node.sh - `restart` and `down` of a node that ignores
# SIGTERM (a hung sipcd: here a process in its place that ignores it) say
# that they killed it with SIGKILL after SC_STOP_WAIT seconds (15 by
# default; 4 for the hung process here, not to wait out 30 s), so those seconds are not taken for
# a slow start, nor the stop for a clean one; a node that stops on SIGTERM
# gets no such line. One node on $NET.1.
# Budget: under 120 s (about 30 s: three 4 s waits, a full logs/, a busy mount, a last up and down).
. "$(dirname "$0")/scenario.sh"

cluster up -n 1 --base "$NET.0" >"$OUT" 2>&1 || { bad "up -n 1"; exit 1; }

run cluster restart n1
expect "restart of a node that stops on SIGTERM" 0 "^n1 restarted \(pid [0-9]+\)" &&
    { grep -q SIGKILL "$OUT" && bad "restart of a healthy node speaks of SIGKILL" || ok "restart of a healthy node: no SIGKILL line"; }

# hang_n1: n1's sipcd stopped, and in its place in cluster.json a process of
# its own session that ignores SIGTERM (its pid in $hung)
hang_n1() {
    cluster kill n1 --signal TERM >/dev/null 2>&1 || { not_ok "stop n1's sipcd"; return 1; }
    setsid sh -c 'trap "" TERM; exec sleep 100' </dev/null >/dev/null 2>&1 &
    hung=$!
    local st
    st=$(awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$hung/stat")
    jq --argjson p "$hung" --argjson s "$st" '(.nodes[] | select(.name == "n1")) |= (.pid = $p | .start_time = $s)' \
        "$CL/cluster.json" >"$work/c.json" && cp "$work/c.json" "$CL/cluster.json"
}

# the hung process gets 4 s, not the 15 of the default: the wait is the
# same code, and the line names the seconds it waited
export SC_STOP_WAIT=4
section "restart of a hung node"
hang_n1
run cluster restart n1
expect "restart of a node that ignores SIGTERM" 0 \
    "^n1 \(pid $hung\) still ran $SC_STOP_WAIT s after SIGTERM: killed with SIGKILL$" "^n1 restarted \(pid [0-9]+\)"
# its start is timed from the start: the 4 s the old process took to go are not in it
ms=$(sed -n 's/^n1 started (pid [0-9]*), its four services in \([0-9]*\) ms;.*/\1/p' "$OUT")
[ -n "$ms" ] && [ "$ms" -lt $((SC_STOP_WAIT * 1000)) ] && ok "the new start timed alone: its services in $ms ms" ||
    bad "restart's start time '$ms' ms counts the old process's $SC_STOP_WAIT s"
kill -0 "$hung" 2>/dev/null && not_ok "the hung process still runs" || ok "the hung process is gone"

section "down with a hung node"
hang_n1
# and a load generator that ignores SIGTERM too (a program named sipc-load
# naming DIR, as down finds one): said by its name, not as "process P"
ln -s "$(command -v bash)" "$work/sipc-load"
setsid "$work/sipc-load" -c 'trap "" TERM; while :; do sleep 0.2; done' x --dir "$CL" </dev/null >/dev/null 2>&1 &
gen=$!
run cluster down
expect "down with a node and a load generator that ignore SIGTERM" 0 \
    "^n1 \(pid $hung\) still ran $SC_STOP_WAIT s after SIGTERM: killed with SIGKILL$" \
    "^sipc-load \(pid $gen\) of the cluster still ran $SC_STOP_WAIT s after SIGTERM: killed with SIGKILL$" "down"
kill -0 "$hung" 2>/dev/null || kill -0 "$gen" 2>/dev/null && not_ok "the hung processes still run" || ok "the hung processes are gone"

cluster up -n 1 --base "$NET.0" >"$OUT" 2>&1 || { bad "up -n 1 again"; exit 1; }
# a node that cannot write its logs runs, but is not healthy: its status
# line says why (sipcctl's cluster status calls it a PROBLEM). Its logs/ a
# full tmpfs, in a mount namespace of this test's own, n1 restarted there
section "a node that cannot write its logs"
if [ "$(id -u)" = 0 ] && unshare -m --propagation private true 2>/dev/null; then
    SC_CL="$CL" run unshare -m --propagation private bash -c '
        "$0" --dir "$SC_CL" kill n1 --signal TERM || exit 90
        mount -t tmpfs -o size=256k,mode=0750 tmpfs "$SC_CL/nodes/n1/logs" || exit 91
        "$0" --dir "$SC_CL" restart n1 || exit 92
        dd if=/dev/zero of="$SC_CL/nodes/n1/logs/filler" bs=4k 2>/dev/null
        pid=$(jq -r ".nodes[0].pid" "$SC_CL/cluster.json")
        # the last pages of the files have room left: reloads log lines until
        # sipcd says on stderr that its log files stopped
        for i in $(seq 1 60); do
            kill -HUP "$pid"; sleep 0.1
            grep -q "the log files in .*/logs stopped at" "$SC_CL/nodes/n1/sipcd.out" && break
        done
        "$0" --dir "$SC_CL" status; echo "status exit $?"
        rm -f "$SC_CL/nodes/n1/logs/filler"' "$SC"
    expect "status of a node that cannot write its logs" 0 \
        "^n1 .*logs: writes FAIL  degraded$" "^status exit 1$"
    cluster restart n1 >/dev/null 2>&1 || not_ok "restart n1 out of the mount namespace"
else
    ok "# skip: a tmpfs for n1's logs needs root and a mount namespace (uid $(id -u))"
fi

section "a node whose database cannot be opened"
# a node whose database cannot be opened is not healthy: restart says so
# (exit 69), whatever its links say
cluster kill n1 --signal TERM >/dev/null 2>&1 || not_ok "stop n1"
dd if=/dev/urandom of="$CL/nodes/n1/data/records.db" bs=4096 seek=3 count=20 conv=notrunc 2>/dev/null
SC_HEALTHY_WAIT=3 run cluster restart n1
expect "restart of a node whose database cannot be opened" 69 \
    "^sipc-cluster: error: n1 started but is not healthy after 3 s: .*storage: NOT OPEN"
rm -f "$CL"/nodes/n1/data/records.db*
cluster restart n1 >/dev/null 2>&1 || not_ok "restart n1 with a new database"

# a node that stops on SIGTERM gets one: a second would stop it at once,
# its requests in progress unanswered (sipcd leaves its signals to the
# system once a stop began), and no "Stopped" line would follow the drain
section "down of a healthy node: one SIGTERM, a clean stop"
before=$(grep -hs ' Service Stopped$' "$CL"/nodes/n1/logs/*Service_*.log | wc -l)
run cluster down --keep
stopped=$(($(grep -hs ' Service Stopped$' "$CL"/nodes/n1/logs/*Service_*.log | wc -l) - before))
[ "$RC" = 0 ] && [ "$stopped" = 4 ] && ok "down: n1 drained and stopped each service ($stopped 'Stopped' lines)" ||
    not_ok "down: exit $RC, $stopped 'Stopped' lines in n1's logs: $(tail -n 3 "$CL"/nodes/n1/logs/DataService_*.log | tr '\n' ' ')"
# a mount under a home (in a mount namespace of this test's own, where one
# can be made): down removes nothing, neither the mount's files nor the
# cluster's, names the mount and fails (70), never "files removed"; a
# second down after the unmount finishes
section "down with something mounted under the cluster"
if [ "$(id -u)" = 0 ] && unshare -m --propagation private true 2>/dev/null; then
    SC_CL="$CL" run unshare -m --propagation private bash -c '
        mount -t tmpfs tmpfs "$SC_CL/nodes/n1/state" || exit 91
        echo kept >"$SC_CL/nodes/n1/state/mounted-file"
        "$0" --dir "$SC_CL" down; echo "down exit $?"
        cat "$SC_CL/nodes/n1/state/mounted-file" && ls "$SC_CL/nodes/n1/sipc.conf"' "$SC"
    expect "down with a mount point in a home" 0 \
        "^sipc-cluster: error: cluster in .*: nodes stopped and namespaces removed, but no file removed: something is mounted under it: .*/nodes/n1/state \(unmount it" \
        "^down exit 70$" "^kept$" "nodes/n1/sipc.conf$"
    grep -q 'files removed' "$OUT" && bad "down said 'files removed' although a mount was under the cluster"
    run cluster down
    expect "down once the mount is gone" 0 "files removed"
    [ -e "$CL" ] && not_ok "$CL still exists after the second down" || ok "the second down removed the cluster's folder"
else
    ok "# skip: a mount under a home needs root and a mount namespace (uid $(id -u))"
fi
rm -rf "$CL"
shtest_done
