# cmd_load.sh - `sipc-cluster load start|stop|report`: execs sipc-load (a
# program of its own, tests/harness/load/) with --dir, on the client's host.

SC_HELP_LOAD='usage: sipc-cluster load start [--rate N] | stop | report [--json] [--check]  [--dir DIR]

Runs sipc-load with the same arguments plus --dir DIR (inside the client
namespace of a --netns cluster). start detaches and keeps its ledger under
DIR/load/; stop drains and checks every acknowledged id with get; report
prints sent, acknowledged, found, lost, duplicated, errors and
longest_stall_ms (lost: proven lost only; records a node that could not be
asked may hold are unverified, state verified-partial. --check: exit 1 when
lost, unverified, errors or pending is above 0, or the ledger is incomplete
(the generator killed, or its ledger could not be written); its message
tells them apart, naming the node). stop makes the same check and exits 1
the same way. sipc-load is looked for beside sipc-cluster,
in $SIPC_BIN, then in PATH.'

sc_find_load() {
    local d
    for d in "${SC_SELF_DIR:-}" "${SIPC_BIN:-}" "$(sc_q .bin 2>/dev/null)"; do
        [ -n "$d" ] && [ -x "$d/sipc-load" ] && { echo "$d/sipc-load"; return 0; }
    done
    command -v sipc-load
}

sc_cmd_load() {
    case ${1:-} in
    start | stop | report) ;;
    -h | --help) echo "$SC_HELP_LOAD"; return 0 ;;
    "") sc_usage "$SC_HELP_LOAD" "load needs start, stop or report" ;;
    *) sc_usage "$SC_HELP_LOAD" "unknown load command '$1'" ;;
    esac
    local load sub=$1 ns
    shift
    # its command line is sipc-load's, judged before the cluster is looked
    # for: `start --rate` is a usage error (64), not "no cluster". sipc-load
    # reads all of it before it acts on --help, and says the first mistake
    if ! sc_open "$SC_ARG_DIR" && load=$(SC_JSON=/dev/null sc_find_load); then
        "$load" "$sub" --help "$@" >/dev/null || exit $?
    fi
    sc_open_or_die "$SC_ARG_DIR"
    load=$(sc_find_load) || sc_die "$SC_EX_UNAVAILABLE" "sipc-load not found (beside sipc-cluster, in \$SIPC_BIN or PATH)"
    # exec: its exit code, output and signals are sipc-load's own
    ns=$(sc_q .client_netns)
    if [ -n "$ns" ] && [ "$ns" != null ]; then
        exec ip netns exec "$ns" "$load" "$sub" --dir "$SC_DIR" "$@"
    fi
    exec "$load" "$sub" --dir "$SC_DIR" "$@"
}
