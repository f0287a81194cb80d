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

# sc_usage HELP MESSAGE: a bad command line, on one line that names the
# command's --help (from HELP's usage line), as the sipc tools say it (exit
# 64); the help itself is for --help to print.
sc_usage() {
    local w
    read -r _ w _ <<<"${1#usage: }"
    case $w in [a-z]*) w="sipc-cluster $w --help" ;; *) w="sipc-cluster --help" ;; esac
    sc_err "$2 (see $w)"
    exit "$SC_EX_USAGE"
}
# sc_value HELP NAMES ARGS...: the value of the option at the head of ARGS
# (OPTION VALUE, or --option=VALUE), NAMES its spellings ("-n|--nodes"), into
# SC_VALUE; SC_USED is 1 when the value was the next argument (for the caller
# to shift), else 0. Every option of one value is read here, so that one
# given twice is refused here for all of them, as every sipc tool refuses it:
# taking the last would hide a mistake (a wrapper's -n and the user's).
# shellcheck disable=SC2034 # (SC_VALUE and SC_USED are for the caller)
sc_value() {
    local help=$1 opt=$3 a n first spelled
    IFS='|' read -ra spelled <<<"$2"
    shift 2
    if [[ $opt == --*=* ]]; then
        SC_VALUE=${opt#*=} SC_USED=0 first=${opt%%=*}
        shift
    else
        sc_need_value "$help" "$@"
        SC_VALUE=$2 SC_USED=1 first=$opt
        shift 2
    fi
    while [ $# -gt 0 ]; do
        a=$1
        shift
        for n in "${spelled[@]}"; do
            [ "$a" = "$n" ] || [[ $n == --* && $a == "$n="* ]] || continue
            # (a second one without its value is that mistake first)
            if [ "$a" = "$n" ]; then sc_need_value "$help" "$n" "$@"; a=$1; else a=${a#*=}; fi
            # (named as typed: --nodes=3 then -n 3 is "--nodes and -n")
            [ "$n" = "$first" ] && n="$first given twice" || n="$first and $n given together"
            sc_usage "$help" "$n ('$SC_VALUE', then '$a'): give it once"
        done
    done
}
# sc_need_value HELP OPTION [VALUE...]: OPTION (called with the rest of the
# command line) has a non-empty value after it, else a bad command line; an
# option in its place (--service --tail 5) is the value missing.
sc_need_value() {
    [ $# -ge 3 ] && [ -n "$3" ] && [[ $3 != --?* ]] || sc_usage "$1" "$2 needs a value"
}
