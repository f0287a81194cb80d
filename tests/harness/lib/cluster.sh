# cluster.sh - the cluster harness as a library: source it from a test
# script to do what sipc-cluster does (every command is sc_cmd_NAME, with
# SC_ARG_DIR set to the cluster's folder), or to use the parts (sc_node_*,
# sc_tls_*, sc_netns_*). sipc-cluster is a thin command line over it.
#
#   SC_ARG_DIR=$work/c; source "$SIPC_HARNESS_LIB/cluster.sh"
#   (sc_cmd_up -n 3 --base 127.0.91.0)
#
# Run commands in a subshell: on failure they exit with their code.

SC_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for _sc_f in common state node netns tls cmd_up cmd_down cmd_status cmd_nodes cmd_net cmd_load cmd_tls; do
    # shellcheck disable=SC1090
    . "$SC_LIB_DIR/$_sc_f.sh"
done
unset _sc_f

# sc_usage HELP MESSAGE: a bad command line (exit 64).
sc_usage() {
    sc_err "$2"
    printf '%s\n' "$1" >&2
    exit "$SC_EX_USAGE"
}
# sc_need_value HELP OPTION [VALUE...]: OPTION (called with the rest of the
# command line) has a non-empty value after it, else a bad command line; an
# option in its place (--service --tail 5) is the value missing.
sc_need_value() {
    [ $# -ge 3 ] && [ -n "$3" ] && [[ $3 != --?* ]] || sc_usage "$1" "$2 needs a value"
}
