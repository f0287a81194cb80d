#!/usr/bin/env bash
# demo.sh - the main job behind `make run`: the operator procedure of the
# operator guide, end to end, on a throwaway local cluster.
#
#   create -> copy -> import -> enable -> start -> check the logs -> talk -> stop
#
# Two nodes get the same key pair and TLS enabled; a third keeps TLS off to
# show what an operator sees when one node was forgotten. Everything runs on
# 127.0.0.1 with free ports, under a temporary directory that is removed at
# the end (set SIPC_DEMO_KEEP=1 to keep it).
set -euo pipefail

BIN=${SIPC_BIN:-$(cd "$(dirname "$0")/.." && pwd)/build}
for b in tlstool sipcd sipcctl; do
    [ -x "$BIN/$b" ] || { echo "demo: $BIN/$b is missing; run 'make build' first" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/sipc-demo.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]:-}"; do
        [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true
    done
    for p in "${pids[@]:-}"; do
        [ -n "$p" ] && wait "$p" 2>/dev/null || true
    done
    if [ "${SIPC_DEMO_KEEP:-0}" = 1 ]; then echo "demo: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

# The PFX password travels in the environment, never in argv.
SIPC_PFX_PASSWORD="Demo-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
export SIPC_PFX_PASSWORD

node_conf() { # home id tls
    mkdir -p "$1"
    cat >"$1/sipc.conf" <<EOF
[cluster]
name = demo

[node]
id = $2
address = 127.0.0.1

[data]
port = 0
[search]
port = 0
[management]
port = 0
[pipeline]
port = 0
EOF
}

for n in n1 n2 n3; do node_conf "$work/$n" "$n"; done

step "1. create the cluster's key pair, once (tlstool create)"
run "$BIN/tlstool" --home "$work/n1" create -site "$work/cluster.pfx"

step "2-3. copy it to every node and import it (tlstool import)"
for n in n1 n2; do
    run "$BIN/tlstool" --home "$work/$n" import "$work/cluster.pfx"
done

step "4. enable TLS on every node (tlstool enable)"
for n in n1 n2; do run "$BIN/tlstool" --home "$work/$n" enable; done
echo "(n3 is left with TLS disabled on purpose)"

step "5. start the nodes (sipcd)"
start_node() { # name -> prints port
    "$BIN/sipcd" --home "$work/$1" >"$work/$1.out" 2>&1 &
    pids+=($!)
}
wait_port() { # name -> port from the data service log line
    local log="" port="" i
    for i in $(seq 1 200); do
        log=$(ls "$work/$1/logs/"DataService_*.log 2>/dev/null | head -n1 || true)
        if [ -n "$log" ] && grep -q "Data Service Started" "$log"; then
            port=$(sed -n 's/.*Service.Start INFO \(TLS \)\{0,1\}Port: \([0-9]*\).*/\2/p' "$log" | tail -n1)
            echo "$port"
            return 0
        fi
        if ! kill -0 "${pids[-1]}" 2>/dev/null; then break; fi
        sleep 0.05
    done
    echo "demo: node $1 did not start:" >&2
    cat "$work/$1.out" >&2
    return 1
}
start_node n1; p1=$(wait_port n1)
start_node n2; p2=$(wait_port n2)
start_node n3; p3=$(wait_port n3)

step "6. check each data service log: 'TLS Port' means TLS is in effect"
for n in n1 n2 n3; do
    echo "--- $n: $(ls "$work/$n/logs/")"
    grep "Service.Start" "$work/$n/logs/"DataService_*.log | grep -v "sipc 0" || true
done

step "7. the nodes talk over mutual TLS (sipcctl)"
run "$BIN/sipcctl" --home "$work/n1" ping "127.0.0.1:$p2" --count 3
run "$BIN/sipcctl" --home "$work/n2" ping "127.0.0.1:$p1" --count 3
run "$BIN/sipcctl" --home "$work/n1" call "127.0.0.1:$p2" sys echo "hello from n1"
run "$BIN/sipcctl" --home "$work/n2" info "127.0.0.1:$p1"
echo "1000 round trips n1 -> n2:"
t0=$(date +%s%N)
"$BIN/sipcctl" --home "$work/n1" ping "127.0.0.1:$p2" --count 1000 | tail -n1
t1=$(date +%s%N)
echo "1000 calls in $(( (t1 - t0) / 1000000 )) ms (one at a time, including process start and handshake)"

step "8. the forgotten node: n3 has TLS disabled"
set +e
run "$BIN/sipcctl" --home "$work/n3" ping "127.0.0.1:$p1"
rc=$?
echo "(exit code $rc: protocol/TLS-mode mismatch)"
run "$BIN/sipcctl" --home "$work/n1" ping "127.0.0.1:$p3"
rc=$?
echo "(exit code $rc)"
set -e
echo "what n1's log says about it:"
grep -h "Transport.Conn WARN" "$work/n1/logs/"DataService_*.log | tail -n2

step "9. status of n1 (tlstool status)"
run "$BIN/tlstool" --home "$work/n1" status || true

step "10. stop the nodes cleanly (SIGTERM)"
for p in "${pids[@]}"; do kill -TERM "$p"; done
for p in "${pids[@]}"; do wait "$p"; done
pids=()
grep -h "Service.Stop" "$work/n1/logs/"DataService_*.log
echo
echo "demo: done: 3 nodes started, TLS verified between n1 and n2, the plaintext node refused with a clear reason, all stopped cleanly."
