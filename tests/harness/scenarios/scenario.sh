# scenario.sh - what every cluster scenario shares; sourced at its top
# (docs/testing.md, "A scenario of your own").
#   SIPC_TEST_BIN  the folder of sipc-cluster, sipcd, tlstool, sipcctl and
#                  sipc-load: the build tree; by default the one this file
#                  was copied into (BUILD/sipc-cluster.d/, or an installed
#                  share/sipc/harness/ beside bin/)
#   SIPC_TEST_NET  the scenario's own loopback block: 127.X.Y (or 127.X.Y.0,
#                  as --base takes it); its standard ports must be free
# The cluster lives in a folder named after the scenario (under
# $SIPC_SCENARIO_DIR, default BIN/cluster-scenarios, or a folder under
# TMPDIR where BIN cannot be written), so that a run killed by
# ctest's timeout is cleaned by the next run's `down`; a watchdog outside the
# test's process tree runs `down` as soon as the scenario's shell is gone,
# whatever killed it. ok/not_ok/check count checks and wait_for waits (the
# shell tests' own, shtest.sh); figure prints a measured number.
set -uo pipefail
SCENARIO_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shtest.sh and the harness's library: beside this file in the build and
# installed copies, in the source tree where it comes from
for SIPC_HARNESS_LIB in "$SCENARIO_LIB" "$SCENARIO_LIB/../lib"; do
    [ -f "$SIPC_HARNESS_LIB/cluster.sh" ] && break
done
if [ -f "$SCENARIO_LIB/shtest.sh" ]; then
    # shellcheck disable=SC1091
    . "$SCENARIO_LIB/shtest.sh"
else
    # shellcheck disable=SC1091
    . "$SCENARIO_LIB/../../support/shtest.sh"
fi
if [ -z "${SIPC_TEST_BIN:-}" ]; then
    for d in "$SCENARIO_LIB/.." "$SCENARIO_LIB/../../../bin"; do
        [ -x "$d/sipc-cluster" ] && [ -x "$d/sipcd" ] && { SIPC_TEST_BIN=$d; break; }
    done
    [ -n "${SIPC_TEST_BIN:-}" ] || { echo "SIPC_TEST_BIN must point at the build tree (sipc-cluster and sipcd are not beside $SCENARIO_LIB)"; exit 1; }
fi
BIN=$(cd "$SIPC_TEST_BIN" 2>/dev/null && pwd) || { echo "SIPC_TEST_BIN=$SIPC_TEST_BIN: no such folder (the build tree)"; exit 1; }
NET=${SIPC_TEST_NET:?SIPC_TEST_NET must name the loopback block of the scenario, 127.X.Y}
[[ $NET =~ ^127\.[0-9]{1,3}\.[0-9]{1,3}\.0$ ]] && NET=${NET%.0}
[[ $NET =~ ^127\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || { echo "SIPC_TEST_NET=$NET: a loopback block 127.X.Y"; exit 1; }
SC="$BIN/sipc-cluster"
[ -x "$SC" ] || { echo "$SC is missing (build first, or set SIPC_TEST_BIN)"; exit 1; }
SCENARIO=$(basename "$0" .sh)
scenarios=${SIPC_SCENARIO_DIR:-$BIN/cluster-scenarios}
[ -n "${SIPC_SCENARIO_DIR:-}" ] || [ -w "$BIN" ] || scenarios=${TMPDIR:-/tmp}/sipc-cluster-scenarios
CL="$scenarios/$SCENARIO"
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
    cluster load report --check >"$work/report.out" 2>&1
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

# load_flowing [SINCE]: the load generator's ledger has records committed on
# every node (its A lines) at or after SINCE (ms since the epoch; any time
# when not given): the load goes through every node. A generator starts
# and connects at the machine's pace, so a scenario waits for this
# (wait_for) where a fixed sleep would only hope for it.
load_flowing() {
    local a
    for a in $(jq -r '.nodes[].address' "$CL/cluster.json"); do
        awk -v t="${1:-0}" -v d="$a:" '$1 == "A" && $2 >= t && index($3, d) == 1 { f = 1; exit }
            END { exit !f }' "$CL/load/ledger" 2>/dev/null || return 1
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

# held_tools DIR: DIR (made if need be) as the SIPC_BIN of an `up`: BIN's
# sipcd, sipcctl and sipc-load linked there (where DIR holds none of its
# own) and a tlstool that, while DIR/hold holds a shell pattern its
# arguments match, creates DIR/held and waits until hold is gone (60 s at
# most) before it runs. A progress line comes before the step it names, and
# a loaded machine may run on well past it before a test acts: held, a
# rolling change stands still exactly where the test chose (hold_step DIR
# PATTERN, e.g. '*/nodes/n1 enable *', then wait_for ... test -e DIR/held;
# release_step DIR), every check before that step's tlstool already made.
held_tools() {
    local d=$1 p
    mkdir -p "$d" || return 1
    for p in sipcd sipcctl sipc-load; do
        [ -e "$d/$p" ] || ln -s "$BIN/$p" "$d/$p" || return 1
    done
    rm -f "$d/tlstool"
    cat >"$d/tlstool" <<EOF || return 1
#!/bin/sh
if [ -f "$d/hold" ]; then
    case "\$*" in
    \$(cat "$d/hold"))
        : >"$d/held"
        i=0
        while [ -f "$d/hold" ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done ;;
    esac
fi
exec "$BIN/tlstool" "\$@"
EOF
    chmod +x "$d/tlstool"
}
hold_step() { rm -f "$1/held" && printf '%s\n' "$2" >"$1/hold"; }
release_step() { rm -f "$1/hold"; }

# skip NAME REASON: the scenario cannot run here (exit 77, ctest's SKIP_RETURN_CODE)
skip() {
    echo "SKIP: $*"
    exit 77
}
