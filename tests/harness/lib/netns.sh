# netns.sh - --netns mode: every node a host of its own. Each node and the
# client get a network namespace with one veth (eth0) whose other end is
# plugged into a bridge (br0) in a namespace of its own; addresses
# 10.200.C.i/24 (C: the third number of --base) exist only inside them, so
# nothing is added to the machine's own network. A partition is a table of
# nftables drop rules inside the namespaces. Every name starts with
# sipc-<8 hex digits of DIR's hash>-, which is how `down` finds them again,
# also after a crash of the harness.

SC_NFT_TABLE=sipc_partition

sc_ns_prefix() { echo "sipc-$(sc_dir_hash "$1")"; }

# sc_netns_unavailable: prints why namespaces cannot be used here (and
# succeeds), or fails when they can.
sc_netns_unavailable() {
    [ "$(id -u)" = 0 ] || { echo "network namespaces need root (running as uid $(id -u))"; return 0; }
    command -v ip >/dev/null || { echo "ip (iproute2) is not installed"; return 0; }
    command -v nft >/dev/null || { echo "nft (nftables) is not installed: apt-get install nftables"; return 0; }
    local probe="sipc-probe-$$"
    if ! ip netns add "$probe" 2>/dev/null; then
        echo "'ip netns add' is refused here (a container without CAP_SYS_ADMIN?)"
        return 0
    fi
    if ! ip netns exec "$probe" nft list ruleset >/dev/null 2>&1; then
        ip netns del "$probe" 2>/dev/null
        echo "nftables does not work inside a network namespace here"
        return 0
    fi
    ip netns del "$probe" 2>/dev/null
    return 1
}

# sc_netns_address C I: the address of host I (node i; 250 the client).
sc_netns_address() { echo "10.200.$1.$2"; }

# sc_netns_setup PREFIX C NODES...: the bridge namespace, then one namespace
# per node (PREFIX-NAME) and the client (PREFIX-client).
sc_netns_setup() {
    local p=$1 c=$2 br i=0 name ns addr
    shift 2
    br="$p-br"
    ip netns add "$br" || return 1
    ip -n "$br" link set lo up &&
        ip -n "$br" link add br0 type bridge &&
        ip -n "$br" link set br0 up || return 1
    for name in "$@" client; do
        i=$((i + 1))
        ns="$p-$name"
        if [ "$name" = client ]; then addr=$(sc_netns_address "$c" 250); else addr=$(sc_netns_address "$c" "$i"); fi
        ip netns add "$ns" &&
            ip link add name eth0 netns "$ns" type veth peer name "$name" netns "$br" &&
            ip -n "$ns" link set lo up &&
            ip -n "$ns" addr add "$addr/24" dev eth0 &&
            ip -n "$ns" link set eth0 up &&
            ip -n "$br" link set "$name" master br0 &&
            ip -n "$br" link set "$name" up || return 1
    done
}

# sc_netns_list PREFIX: the namespaces of this cluster that exist.
sc_netns_list() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$1-" || true; }

# sc_netns_teardown PREFIX: ends every process left in the namespaces, then
# deletes them (their veths, the bridge and any nftables rules go with them).
sc_netns_teardown() {
    local ns pid left=0
    for ns in $(sc_netns_list "$1"); do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do sc_stop_pid "$pid" "" 5; done
        ip netns del "$ns" 2>/dev/null || left=1
    done
    return $left
}

# sc_partition_apply PREFIX ADDRESSES-OF-THE-CUT-SIDE NAMES-OF-THE-CUT-SIDE:
# in the namespaces of the named nodes, drop every packet from or to an
# address outside the group; in every other namespace (the rest and the
# client), drop every packet from or to the group.
sc_partition_apply() {
    local p=$1 group=$2 names=" $3 " ns name set
    set="{ $(echo "$group" | sed 's/ \+/, /g') }"
    for ns in $(sc_netns_list "$p"); do
        name=${ns#"$p"-}
        [ "$name" = br ] && continue
        ip netns exec "$ns" nft delete table inet "$SC_NFT_TABLE" 2>/dev/null
        if [[ "$names" == *" $name "* ]]; then
            ip netns exec "$ns" nft -f - <<EOF || return 1
table inet $SC_NFT_TABLE {
    chain input { type filter hook input priority 0; policy accept; iifname "eth0" ip saddr != $set drop; }
    chain output { type filter hook output priority 0; policy accept; oifname "eth0" ip daddr != $set drop; }
}
EOF
        else
            ip netns exec "$ns" nft -f - <<EOF || return 1
table inet $SC_NFT_TABLE {
    chain input { type filter hook input priority 0; policy accept; iifname "eth0" ip saddr $set drop; }
    chain output { type filter hook output priority 0; policy accept; oifname "eth0" ip daddr $set drop; }
}
EOF
        fi
    done
}
sc_partition_heal() {
    local ns
    for ns in $(sc_netns_list "$1"); do
        ip netns exec "$ns" nft delete table inet "$SC_NFT_TABLE" 2>/dev/null
    done
    return 0
}
