# scenario.sh - what every cluster scenario shares; sourced at its top.
#   SIPC_TEST_BIN  the build tree (sipcd, tlstool, sipcctl, sipc-cluster, sipc-load)
#   SIPC_TEST_NET  the scenario's own loopback block, e.g. 127.0.91
# The cluster lives in a folder named after the scenario (under
# $SIPC_SCENARIO_DIR, default BIN/cluster-scenarios), so that a run killed by
# ctest's timeout is cleaned by the next run's `down`; a watchdog outside the
# test's process tree runs `down` as soon as the scenario's shell is gone,
# whatever killed it. ok/not_ok/check count checks and wait_for waits (the
# shell tests' own, tests/support/shtest.sh); figure prints a measured number.
set -uo pipefail
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/../../support/shtest.sh"
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
NET=${SIPC_TEST_NET:?SIPC_TEST_NET must name the loopback block of the scenario, 127.0.N}
SC="$BIN/sipc-cluster"
[ -x "$SC" ] || { echo "$SC is missing (build first)"; exit 1; }
SCENARIO=$(basename "$0" .sh)
CL="${SIPC_SCENARIO_DIR:-$BIN/cluster-scenarios}/$SCENARIO"
work=$(mktemp -d "${TMPDIR:-/tmp}/sipc-$SCENARIO.XXXXXX")
OUT=$work/out.txt
T0=$(date +%s%3N)

cluster() { "$SC" --dir "$CL" "$@"; }
figure() { printf 'figure: %-28s %s\n' "$1" "$2"; }
section() { printf '\n## %s\n' "$*"; }
ms_since() { echo $(($(date +%s%3N) - $1)); }
node_home() { jq -r --arg n "$1" '.nodes[] | select(.name == $n) | .home' "$CL/cluster.json"; }
node_addr() { jq -r --arg n "$1" '.nodes[] | select(.name == $n) | .address' "$CL/cluster.json"; }
client_home() { jq -r .client_home "$CL/cluster.json"; }
# ctl ARGS...: sipcctl from the cluster's client home (in the client
# namespace of a --netns cluster), with a 5 s timeout unless ARGS give one
# (an option given twice is a usage error)
ctl() {
    local ns t=(--timeout 5000) a
    for a in "$@"; do
        case $a in --timeout | --timeout=* | -t | -t[0-9]*) t=() ;; esac
    done
    ns=$(jq -r '.client_netns // empty' "$CL/cluster.json")
    if [ -n "$ns" ]; then
        ip netns exec "$ns" "$BIN/sipcctl" --home "$(client_home)" "${t[@]}" "$@"
    else
        "$BIN/sipcctl" --home "$(client_home)" "${t[@]}" "$@"
    fi
}
tt() { local n=$1; shift; "$BIN/tlstool" --home "$(node_home "$n")" "$@"; }

finish_scenario() {
    local rc=$?
    trap - EXIT
    if [ "$fails" != 0 ] || { [ "$rc" != 0 ] && [ "$rc" != 77 ]; }; then
        if [ -f "$CL/cluster.json" ]; then
            echo "# the cluster when the scenario ended:"
            cluster status 2>&1 | sed 's/^/#   /'
            for n in $(jq -r '.nodes[].name' "$CL/cluster.json"); do
                echo "# $n: the last lines of its logs"
                cluster logs "$n" --tail 12 2>&1 | sed 's/^/#   /'
            done
        fi
    fi
    cluster down >/dev/null 2>&1 || cluster down
    [ -s "$work/watchdog.pid" ] && kill "$(cat "$work/watchdog.pid")" 2>/dev/null
    rm -rf "$work"
    echo "# $SCENARIO: $passes passed, $fails failed, $(ms_since "$T0") ms"
    if [ "$rc" = 77 ]; then exit 77; fi
    [ "$fails" = 0 ] && [ "$rc" = 0 ]
    exit $?
}
trap finish_scenario EXIT
trap 'exit 1' INT TERM HUP

# a cluster left by a run that was killed
cluster down >/dev/null 2>&1
mkdir -p "$(dirname "$CL")"
# The watchdog: `down` once this shell is gone, whatever ended it. Started
# from a subshell that exits at once, so that it is not a descendant of this
# shell: ctest's timeout kills the test's whole process tree, which would
# take the watchdog with it. Stopped by the normal end (its pid in a file).
(setsid bash -c 'echo $$ >"$2"; while kill -0 '"$$"' 2>/dev/null; do sleep 1; done; "$0" --dir "$1" down >/dev/null 2>&1; rm -rf "${2%/*}"' \
    "$SC" "$CL" "$work/watchdog.pid" </dev/null >/dev/null 2>&1 &)

# settled_status FILE: `cluster status` into FILE until it exits 0 (every node
# healthy: links the reloads replaced redial for a moment), at most 20 s;
# returns its last exit code.
settled_status() {
    local rc
    for _ in $(seq 1 40); do
        cluster status >"$1" 2>&1
        rc=$?
        [ "$rc" = 0 ] && return 0
        sleep 0.5
    done
    return "$rc"
}

# load_verify [LABEL]: stops the load generator (it drains, then verifies every
# acknowledged record), checks its report (something acknowledged, 0 lost,
# 0 errors: `load report --check`) and prints its figures, named with LABEL;
# the report stays in $work/report.json.
load_verify() {
    local label=${1:+$1 } rc f
    cluster load stop >"$work/stop.out" 2>&1 || { not_ok "${label}load stop"; cat "$work/stop.out"; }
    cluster load report --json >"$work/report.json"
    cluster load report --check >"$work/report.out"
    rc=$?
    if [ "$rc" = 0 ] && [ "$(jq -r .acknowledged "$work/report.json")" -gt 0 ]; then
        ok "${label}0 acknowledged records lost, 0 errors ($(jq -r .acknowledged "$work/report.json") acknowledged, $(jq -r .found "$work/report.json") found)"
    else
        not_ok "${label}load report --check (exit $rc)"
        cat "$work/report.out"
        tail -n 20 "$CL/load/load.log"
    fi
    for f in sent acknowledged found lost duplicated errors longest_stall_ms longest_slow_ms retries max_latency_ms; do
        figure "$label$f" "$(jq -r ".$f" "$work/report.json")"
    done
}

# acked_between FROM TO: how many records the load's ledger has first
# acknowledged (its A lines) from FROM to TO (ms since the epoch)
acked_between() {
    awk -v from="$1" -v to="$2" '$1 == "A" && $2 >= from && $2 < to {
        k = split($4, runs, ",")
        for (i = 1; i <= k; i++) n += split(runs[i], ends, "-") == 2 ? ends[2] - ends[1] + 1 : 1
    } END { print n + 0 }' "$CL/load/ledger"
}

# skip NAME REASON: the scenario cannot run here (exit 77, ctest's SKIP_RETURN_CODE)
skip() {
    echo "SKIP: $*"
    exit 77
}
