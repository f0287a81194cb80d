# cmd_net.sh - `sipc-cluster partition` and `heal` (--netns clusters only).

SC_HELP_PARTITION='usage: sipc-cluster partition NODE [NODE...] [--dir DIR]

Cuts the named nodes off from the rest of the cluster and from the client:
nftables drop rules inside every namespace (the named nodes still reach one
another). Packets are dropped, not refused, as a broken network does:
connections across the cut hang until their timeouts. Needs a cluster started
with --netns. `heal` removes the rules. One group is cut off at a time: while
nodes are cut off, a partition that does not name all of them is refused
(exit 78; heal first, or name the whole group, which replaces the rules).'
SC_HELP_HEAL='usage: sipc-cluster heal [--dir DIR]

Removes every partition rule of the cluster.'

sc_net_args() { # HELP ARGS...: sets SC_NET_NODES
    SC_NET_NODES=()
    local help=$1
    shift
    while [ $# -gt 0 ]; do
        case $1 in
        -h | --help) echo "$help"; exit 0 ;;
        -*) sc_usage "$help" "unknown option '$1'" ;;
        *) SC_NET_NODES+=("$1") ;;
        esac
        shift
    done
}
# sc_net_open: the cluster, once the command line is judged (a usage error
# is said before the cluster is looked for)
sc_net_open() {
    sc_open_or_die "$SC_ARG_DIR"
    [ "$(sc_q .netns)" = true ] ||
        sc_die "$SC_EX_CONFIG" "partitions need a cluster started with --netns (on loopback every node shares one network)"
}

sc_cmd_partition() {
    sc_net_args "$SC_HELP_PARTITION" "$@"
    [ ${#SC_NET_NODES[@]} -gt 0 ] || sc_usage "$SC_HELP_PARTITION" "which NODE(s)?"
    sc_net_open
    sc_lock
    local n addrs="" cut left=""
    for n in "${SC_NET_NODES[@]}"; do
        sc_require_node "$n"
        addrs="$addrs $(sc_node address "$n")"
    done
    # one group at a time: the rules of a second one would replace the
    # first's, healing its nodes without a word
    cut=$(sc_q '.partition // [] | join(" ")')
    for n in $cut; do
        [[ " ${SC_NET_NODES[*]} " == *" $n "* ]] || left="$left $n"
    done
    [ -z "$left" ] || sc_die "$SC_EX_CONFIG" "${left# } $([ "$(wc -w <<<"$left")" = 1 ] && echo is || echo are) already cut off:" \
        "a partition isolates one group of nodes; heal first (sipc-cluster heal), or name the whole group" \
        "(sipc-cluster partition $cut $(for n in "${SC_NET_NODES[@]}"; do [[ " $cut " == *" $n "* ]] || printf '%s ' "$n"; done | sed 's/ $//'))"
    sc_partition_apply "$(sc_ns_prefix "$SC_DIR")" "${addrs# }" "${SC_NET_NODES[*]}" ||
        sc_die "$SC_EX_SOFTWARE" "nft refused the partition rules"
    sc_update '.partition = $p' --argjson p "$(printf '%s\n' "${SC_NET_NODES[@]}" | jq -R . | jq -s .)"
    echo "partitioned: ${SC_NET_NODES[*]} (${addrs# }) cut off from the other nodes and the client (packets dropped)"
}

sc_cmd_heal() {
    sc_net_args "$SC_HELP_HEAL" "$@"
    [ ${#SC_NET_NODES[@]} = 0 ] || sc_usage "$SC_HELP_HEAL" "heal takes no NODE"
    sc_net_open
    sc_lock
    sc_partition_heal "$(sc_ns_prefix "$SC_DIR")"
    sc_update 'del(.partition)'
    echo "healed: no partition rule left"
}
