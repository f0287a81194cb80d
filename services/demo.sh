#!/usr/bin/env bash
# demo.sh - the main job behind `make run`: a three-node TLS cluster on this
# machine doing real work, set up with the operator procedure.
#
#   create -> copy -> import -> enable -> start -> check the logs ->
#   ingest through the pipeline -> search the cluster -> cluster status -> stop
#
# The nodes run on 127.0.0.1, 127.0.0.2 and 127.0.0.3 with the standard ports
# (data 23000, search 23001, management 23002, pipeline 23003), as three
# servers would. SIPC_DEMO_KEEP=1 (make run KEEP=1) leaves them running and
# prints how to use and stop them. SIPC_DEMO_NET=127.0.N runs them on
# 127.0.N.1-3 instead (tests/integration/test_demo.sh).
set -euo pipefail

BIN=${SIPC_BIN:-$(cd "$(dirname "$0")/.." && pwd)/build}
for b in tlstool sipcd sipcctl; do
    [ -x "$BIN/$b" ] || { echo "demo: $BIN/$b is missing; run 'make build' first" >&2; exit 1; }
done
KEEP=${SIPC_DEMO_KEEP:-0}
NODES=(n1 n2 n3)
NET=${SIPC_DEMO_NET:-127.0.0}
ADDR=("$NET.1" "$NET.2" "$NET.3")

work=$(mktemp -d "${TMPDIR:-/tmp}/sipc-demo.XXXXXX")
pids=()
stop_nodes() {
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
    pids=()
}
cleanup() {
    if [ "$KEEP" = 1 ] && [ "${demo_ok:-0}" = 1 ]; then return; fi
    stop_nodes
    rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# prints the command as it can be pasted (the program by name, with $BIN on
# PATH as the transcript's first lines say), then runs it
run() { local shown=("$@"); shown[0]=${1##*/}; printf '$ %s\n' "${shown[*]}"; "$@"; }

# Three nodes on one machine need three loopback addresses with the
# standard ports free on each.
for a in "${ADDR[@]}"; do
    for p in 23000 23001 23002 23003; do
        if (exec 3<>"/dev/tcp/$a/$p") 2>/dev/null; then
            echo "demo: $a:$p is already in use (a cluster from 'make run KEEP=1'? stop it first)" >&2
            exit 1
        fi
    done
done

# The PFX password travels in the environment, never in argv.
SIPC_PFX_PASSWORD="Demo-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
export SIPC_PFX_PASSWORD

for i in 0 1 2; do
    mkdir -p "$work/${NODES[$i]}"
    printf '[node]\nid = %s\naddress = %s\n\n[cluster]\nname = demo\nnodes = %s, %s, %s\n' \
        "${NODES[$i]}" "${ADDR[$i]}" "${ADDR[0]}" "${ADDR[1]}" "${ADDR[2]}" >"$work/${NODES[$i]}/sipc.conf"
done

step "0. the programs and the PFX password (tlstool reads it from the environment, never argv)"
printf '$ export PATH=%q:$PATH\n' "$BIN"
# The password itself is never shown (secrets stay off terminals and logs):
# the line says how to give one when pasting.
echo '$ read -rs SIPC_PFX_PASSWORD && export SIPC_PFX_PASSWORD    # the demo used a random one, not shown'
echo "(each node's sipc.conf, written by the demo: $work/n1/sipc.conf ...)"

step "1. create the cluster's key pair, once (tlstool create)"
run "$BIN/tlstool" --home "$work/n1" create -site "$work/cluster.pfx"

step "2-3. copy it to every node and import it (tlstool import)"
for n in "${NODES[@]}"; do
    printf '$ tlstool --home %s import %s\n' "$work/$n" "$work/cluster.pfx"
    "$BIN/tlstool" --home "$work/$n" import "$work/cluster.pfx" >"$work/$n.import"
    grep -E '^(imported|  SHA-256)' "$work/$n.import" || cat "$work/$n.import"
done

step "4. enable TLS on every node (tlstool enable)"
for n in "${NODES[@]}"; do
    printf '$ tlstool --home %s enable\n' "$work/$n"
    "$BIN/tlstool" --home "$work/$n" enable >"$work/$n.enable"
    head -n1 "$work/$n.enable"
done

step "5. start the nodes (sipcd)"
# sipcd reads no password (node.crt holds the key, 0600): the PFX password
# stays out of the environment the nodes run with
echo '$ unset SIPC_PFX_PASSWORD    # only tlstool takes it; sipcd needs none'
unset SIPC_PFX_PASSWORD
for n in "${NODES[@]}"; do
    printf '$ sipcd --home %s &\n' "$work/$n"
    "$BIN/sipcd" --home "$work/$n" >"$work/$n.out" 2>&1 &
    pids+=($!)
done
for k in "${!NODES[@]}"; do
    n=${NODES[$k]}
    for _ in $(seq 1 200); do
        grep -qs "Pipeline Service Started" "$work/$n/logs/"PipelineService_*.log && break
        kill -0 "${pids[$k]}" 2>/dev/null || { echo "demo: $n did not start:" >&2; cat "$work/$n.out" >&2; exit 1; }
        sleep 0.05
    done
done

step "6. each service's log says which mode is in effect ('TLS Port' = TLS)"
for n in "${NODES[@]}"; do
    for s in Data Search Management Pipeline; do
        printf '%s %-10s %s\n' "$n" "$s" "$(grep -h 'Port: ' "$work/$n/logs/${s}Service_"*.log | sed 's/.*INFO //')"
    done
done

step "7. ingest sample records through n1's pipeline (spread over the nodes by id)"
awk 'BEGIN {
    for (i = 0; i < 2000; i++)
        printf "{\"id\": \"rec-%05d\", \"timestamp\": \"2026-11-23T10:%02d:%02dZ\", \"attributes\": {\"user\": \"u%d\", \"app\": \"%s\"}, \"body\": \"session %d of user u%d: %s\"}\n",
            i, int(i / 60) % 60, i % 60, i % 7, (i % 3 ? "web" : "api"), i, i % 7,
            (i % 10 ? "checkout ok" : "payment error timeout")
}' >"$work/sample.ndjson"
run "$BIN/sipcctl" --home "$work/n1" ingest "$work/sample.ndjson"

step "8. search the whole cluster from n2 (FTS5 query, attribute filter)"
run "$BIN/sipcctl" --home "$work/n2" search 'payment AND error' --attr app=web --limit 5

step "9. cluster status from n3: every node TLS, the same certificate"
printf '$ sipcctl --home %s status --cluster\n' "$work/n3"
"$BIN/sipcctl" --home "$work/n3" status --cluster >"$work/status.out"
grep -v '^  sipc ' "$work/status.out"

demo_ok=1
if [ "$KEEP" = 1 ]; then
    step "the cluster keeps running (KEEP=1)"
    echo "Homes:   $work/n1 $work/n2 $work/n3   (logs in <home>/logs/)"
    # put, get and list act on the one node asked; search asks them all
    # (printed shell-quoted: they are to be pasted)
    ctl=$(printf %q "$BIN/sipcctl") w=$(printf %q "$work")
    echo "Try:     $ctl --home $w/n1 status --cluster"
    echo "         $ctl --home $w/n2 search 'checkout' --limit 3"
    echo "         $ctl --home $w/n1 put my-id --attr user=me --body 'my record'   # stored on n1 only"
    echo "         $ctl --home $w/n1 get my-id                                    # get asks one node: n1"
    echo "         $ctl --home $w/n3 search record --attr user=me                 # search finds it from any node"
    # The nodes still write their stores and logs after SIGTERM, so the
    # directory goes only once they have exited (SIGKILL after 20 s).
    {
        printf '#!/usr/bin/env bash\n'
        printf "# Stops the demo cluster of 'make run KEEP=1' and removes its homes.\n"
        printf 'work=%q\n' "$work"
        printf 'pids=(%s)\n' "${pids[*]}"
        cat <<'STOP'
# $1 is still one of this demo's nodes: a live process (not a zombie) whose
# command line names a home under $work (the pid may have been reused)
ours() {
    local state
    state=$(sed -n 's/.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
    [ -n "$state" ] && [ "$state" != Z ] &&
        tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null |
        awk -v w="$work/" 'index($0, w) == 1 { f = 1 } END { exit !f }'
}
# waits up to $1 tenths of a second for the nodes in left to go
wait_gone() {
    local n=$1 still p
    while :; do
        still=()
        for p in "${left[@]}"; do ours "$p" && still+=("$p"); done
        { [ ${#still[@]} -eq 0 ] || [ "$n" -le 0 ]; } && break
        n=$((n - 1))
        sleep 0.1
    done
    left=("${still[@]}")
}
left=()
for p in "${pids[@]}"; do ours "$p" && kill -TERM "$p" 2>/dev/null && left+=("$p"); done
wait_gone 200
if [ ${#left[@]} -gt 0 ]; then
    echo "stop: node(s) ${left[*]} did not exit within 20 s of SIGTERM; sending SIGKILL" >&2
    kill -KILL "${left[@]}" 2>/dev/null
    wait_gone 50
    if [ ${#left[@]} -gt 0 ]; then
        echo "stop: node(s) ${left[*]} are still running; $work is kept" >&2
        exit 1
    fi
fi
rm -rf "$work" || { echo "stop: could not remove $work" >&2; exit 1; }
echo "stop: the demo nodes are stopped and $work is removed"
STOP
    } >"$work/stop"
    chmod 0700 "$work/stop"
    echo "Stop:    $(printf %q "$work/stop")"
    exit 0
fi

step "10. stop the nodes cleanly (SIGTERM)"
stop_nodes
grep -h "Service.Stop" "$work/n1/logs/"DataService_*.log
echo
echo "demo: done: 3 TLS nodes, 2000 records ingested and found by a cluster-wide search, status all green, stopped cleanly."
