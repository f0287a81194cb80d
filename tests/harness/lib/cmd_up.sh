# cmd_up.sh - `sipc-cluster up`: homes, a key pair created once and imported
# on every node and the client home, TLS set as asked, the nodes started and
# healthy. What demo.sh does by hand, as a program.

SC_HELP_UP='usage: sipc-cluster up [-n N] [--tls off|permissive|strict] [--no-pair] [--base 127.X.Y.0]
                       [--netns] [--name NAME] [--dir DIR]

Creates the cluster in DIR and starts it: a home per node (DIR/nodes/nI), a
key pair (DIR/cluster.pfx, its password in DIR/password, 0600) imported on
every node and in the client home (DIR/client: the pair imported, TLS not
enabled, so it reaches nodes in every mode; client-only, no [node]), TLS
enabled in the mode asked, then sipcd started on every node (detached, its
own session) and waited for until every node is healthy. Writes
DIR/cluster.json. Interrupted (Ctrl-C), it says which nodes it leaves
running: sipc-cluster down stops them.

  -n, --nodes N     number of nodes, 1 to 32 (default 3), named n1..nN
  --tls MODE        off (default), permissive or strict
  --no-pair         no key pair at all (TLS off): a plaintext cluster without
                    certificates, where the operator procedure starts; the
                    pair goes to DIR/cluster.pfx (password DIR/password, made)
                    once created by hand and imported on every node and in
                    the client home (which needs it too once a node is
                    strict); tls enable --rolling says so until then
  --base 127.X.Y.0  the loopback block: nodes at .1, .2, ... (default 127.0.1.0);
                    standard ports (data 23000, search 23001, management 23002,
                    pipeline 23003) on every address
  --netns           every node in its own network namespace (root), joined by
                    veths to a bridge; addresses 10.200.Y.I (Y: the third number
                    of --base), the client at .250
  --name NAME       the [cluster] name (default harness)
  --dir DIR         the working folder (default ./sipc-cluster)'

sc_cmd_up() {
    local nnodes=3 tls=off base=127.0.1.0 netns=0 name=harness nopair=0
    while [ $# -gt 0 ]; do
        case $1 in
        -n | --nodes | --nodes=*) sc_value "$SC_HELP_UP" "-n|--nodes" "$@"; nnodes=$SC_VALUE; shift "$SC_USED" ;;
        --tls | --tls=*) sc_value "$SC_HELP_UP" --tls "$@"; tls=$SC_VALUE; shift "$SC_USED" ;;
        --base | --base=*) sc_value "$SC_HELP_UP" --base "$@"; base=$SC_VALUE; shift "$SC_USED" ;;
        --name | --name=*) sc_value "$SC_HELP_UP" --name "$@"; name=$SC_VALUE; shift "$SC_USED" ;;
        --netns) netns=1 ;;
        --no-pair) nopair=1 ;;
        -h | --help) echo "$SC_HELP_UP"; return 0 ;;
        -*) sc_usage "$SC_HELP_UP" "unknown option '$1'" ;;
        *) sc_usage "$SC_HELP_UP" "unknown argument '$1'" ;;
        esac
        shift
    done
    [[ "$nnodes" =~ ^[0-9]+$ ]] && [ "$nnodes" -ge 1 ] && [ "$nnodes" -le 32 ] ||
        sc_usage "$SC_HELP_UP" "-n must be a number from 1 to 32"
    case $tls in off | permissive | strict) ;; *) sc_usage "$SC_HELP_UP" "--tls must be off, permissive or strict" ;; esac
    [ $nopair = 0 ] || [ "$tls" = off ] || sc_usage "$SC_HELP_UP" "--no-pair makes a cluster without TLS: --tls $tls needs a pair"
    # (no leading zeros: sipcd takes 127.03.3.1 for no address at all)
    [[ "$base" =~ ^127\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.0$ ]] && [ "${BASH_REMATCH[1]}" -le 255 ] && [ "${BASH_REMATCH[2]}" -le 255 ] ||
        sc_usage "$SC_HELP_UP" "--base must be a loopback block 127.X.Y.0"
    [[ "$name" =~ ^[A-Za-z0-9._-]{1,63}$ ]] || sc_usage "$SC_HELP_UP" "--name: 1 to 63 letters, digits, '.', '_', '-'"
    local third
    third=$(cut -d. -f3 <<<"$base")
    local prefix=${base%.0}

    SC_BIN=$(sc_find_bin) || sc_die "$SC_EX_CONFIG" "sipcd, tlstool and sipcctl not found (set SIPC_BIN to the folder holding them)"
    sc_dir_check "$SC_ARG_DIR"
    # a folder made here is removed again by a refusal (sc_up_refuse)
    SC_UP_NEW_DIR=0
    [ -e "$SC_ARG_DIR" ] || SC_UP_NEW_DIR=1
    mkdir -p "$SC_ARG_DIR" || sc_die "$SC_EX_CONFIG" "cannot create $SC_ARG_DIR"
    SC_DIR=$(cd "$SC_ARG_DIR" && pwd)
    SC_JSON="$SC_DIR/cluster.json"
    chmod 700 "$SC_DIR"
    sc_lock
    sc_interruptible sc_up_interrupted sc_up_start
}

# sc_up_start: what `up` does once it holds DIR/.lock, with sc_cmd_up's
# options (its locals), as the work sc_interruptible waits for.
sc_up_start() {
    # A cluster already here: refuse while it runs; clean what a crash left.
    if sc_open "$SC_DIR"; then
        local n alive=""
        for n in $(sc_nodes); do sc_node_alive "$n" && alive="$alive $n"; done
        [ -z "$alive" ] || sc_die "$SC_EX_CONFIG" "a cluster is already up in $SC_DIR (running:$alive): sipc-cluster down --dir $SC_DIR first"
        echo "cleaning what an earlier cluster in $SC_DIR left behind"
    fi
    sc_cleanup_leftovers "$SC_DIR"
    rm -rf "$SC_DIR/nodes" "$SC_DIR/client" "$SC_DIR/load" "$SC_JSON" "$SC_DIR/cluster.pfx" "$SC_DIR/password"

    local ns_prefix="" client_addr i addrs=() a
    if [ $netns = 1 ]; then
        local why
        why=$(sc_netns_unavailable) && sc_up_refuse "--netns: $why"
        ns_prefix=$(sc_ns_prefix "$SC_DIR")
        for i in $(seq 1 "$nnodes"); do addrs+=("$(sc_netns_address "$third" "$i")"); done
        client_addr=$(sc_netns_address "$third" 250)
    else
        for i in $(seq 1 "$nnodes"); do addrs+=("$prefix.$i"); done
        client_addr=${addrs[0]}
        for a in "${addrs[@]}"; do
            for p in 23000 23001 23002 23003; do
                if (exec 3<>"/dev/tcp/$a/$p") 2>/dev/null; then
                    sc_up_refuse "$a:$p is in use: pick another block with --base (another cluster, or make run KEEP=1, runs there)"
                fi
            done
        done
    fi

    # Homes: one sipc.conf per node, listing every node; the client's too.
    local nodes_list
    nodes_list=$(IFS=,; echo "${addrs[*]}" | sed 's/,/, /g')
    mkdir -p -m 700 "$SC_DIR/nodes" "$SC_DIR/client" "$SC_DIR/load"
    for i in $(seq 1 "$nnodes"); do
        mkdir -p -m 700 "$SC_DIR/nodes/n$i"
        printf '[node]\nid = n%s\naddress = %s\n\n[cluster]\nname = %s\nnodes = %s\n' \
            "$i" "${addrs[$((i - 1))]}" "$name" "$nodes_list" >"$SC_DIR/nodes/n$i/sipc.conf"
    done
    # The client home is client-only (operator guide 1.3): no [node], so no
    # node of its own. Given n1's address as its own, sipcctl took a dead n1
    # for this home's node and told to start sipcd from the client home,
    # which put a plaintext node named "client" on n1's ports.
    printf '; client-only: sipcctl and sipc-load run from here, never sipcd\n[cluster]\nname = %s\nnodes = %s\n' \
        "$name" "$nodes_list" >"$SC_DIR/client/sipc.conf"
    (umask 077 && printf 'Sc-%s\n' "$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')" >"$SC_DIR/password")

    # cluster.json first, so that a crash from here on is cleaned by `down`.
    local nodes_json
    nodes_json=$(for i in $(seq 1 "$nnodes"); do
        jq -n --arg n "n$i" --arg a "${addrs[$((i - 1))]}" --arg h "$SC_DIR/nodes/n$i" \
            --arg ns "${ns_prefix:+$ns_prefix-n$i}" \
            '{name: $n, address: $a, home: $h, pid: null, start_time: null,
              netns: (if $ns == "" then null else $ns end),
              ports: {data: 23000, search: 23001, management: 23002, pipeline: 23003}}'
    done | jq -s .)
    jq -n --arg name "$name" --arg dir "$SC_DIR" --arg bin "$SC_BIN" --arg base "$base" \
        --argjson netns "$([ $netns = 1 ] && echo true || echo false)" \
        --arg cns "${ns_prefix:+$ns_prefix-client}" --arg tls "$tls" \
        --arg ca "$client_addr" --argjson nodes "$nodes_json" \
        '{version: 1, name: $name, dir: $dir, bin: $bin, base: $base, netns: $netns,
          client_netns: (if $cns == "" then null else $cns end), tls: $tls,
          pair: ($dir + "/cluster.pfx"), password_file: ($dir + "/password"),
          client_home: ($dir + "/client"), client_address: $ca, fingerprint: null,
          nodes: $nodes}' >"$SC_JSON.tmp" && mv -f "$SC_JSON.tmp" "$SC_JSON" ||
        sc_die "$SC_EX_SOFTWARE" "cannot write $SC_JSON"

    if [ $netns = 1 ]; then
        sc_netns_setup "$ns_prefix" "$third" $(sc_nodes) ||
            sc_die "$SC_EX_SOFTWARE" "setting up the network namespaces failed (sipc-cluster down --dir $SC_DIR removes what was made)"
        echo "namespaces: $ns_prefix-{br,client,$(sc_nodes | paste -sd,)}, addresses ${addrs[0]}..${addrs[-1]}, client $client_addr"
    fi

    # None for the starting point of the operator procedure.
    if [ $nopair = 1 ]; then
        echo "pair: none (--no-pair): TLS off, no certificates on $nnodes nodes and the client home"
    else
        sc_up_pair
    fi

    local n bad=""
    for n in $(sc_nodes); do sc_node_spawn "$n"; done
    for n in $(sc_nodes); do sc_node_wait_started "$n" 20 || bad="$bad $n"; done
    [ -z "$bad" ] || sc_die "$SC_EX_UNAVAILABLE" "nodes did not start:$bad (sipc-cluster logs NODE --dir $SC_DIR; down removes the rest)"
    for n in $(sc_nodes); do sc_wait_healthy "$n" "$tls" 30 || bad="$bad $n"; done
    [ -z "$bad" ] || sc_die "$SC_EX_UNAVAILABLE" "nodes not healthy within 30 s:$bad (sipc-cluster status --dir $SC_DIR)"
    echo "cluster '$name' up in $SC_DIR: $nnodes nodes, TLS $tls"
    sc_status_lines
}

# sc_up_refuse MESSAGE: up refuses (78) before it made anything; a folder
# it made for the cluster (holding only DIR/.lock) goes again.
sc_up_refuse() {
    if [ "$SC_UP_NEW_DIR" = 1 ]; then
        rm -f "$SC_DIR/.lock"
        rmdir "$SC_DIR" 2>/dev/null
    fi
    sc_die "$SC_EX_CONFIG" "$1"
}

# sc_up_pair: the pair, created once, copied and imported on every node and
# in the client home, TLS enabled as asked (sc_up_start's locals: tls,
# nnodes).
sc_up_pair() {
    local pw="$SC_DIR/password" out h
    out=$("$SC_BIN/tlstool" --home "$SC_DIR/client" create -site "$SC_DIR/cluster.pfx" --password-file "$pw" 2>&1) ||
        sc_die "$SC_EX_SOFTWARE" "tlstool create failed: $out"
    for h in "$SC_DIR"/nodes/n* "$SC_DIR/client"; do
        out=$("$SC_BIN/tlstool" --home "$h" import "$SC_DIR/cluster.pfx" --password-file "$pw" 2>&1) ||
            sc_die "$SC_EX_SOFTWARE" "tlstool import in $h failed: $out"
        if [ "$tls" != off ] && [ "$h" != "$SC_DIR/client" ]; then
            out=$("$SC_BIN/tlstool" --home "$h" enable --mode "$tls" 2>&1) ||
                sc_die "$SC_EX_SOFTWARE" "tlstool enable in $h failed: $out"
        fi
    done
    local fp
    fp=$(sc_home_fingerprint "$SC_DIR/client")
    sc_update '.fingerprint = $f' --arg f "$fp"
    echo "pair: $SC_DIR/cluster.pfx (sha256 ${fp:0:16}...) imported on $nnodes nodes and the client home; TLS $tls"
}

# What an interrupted `up` leaves: the nodes it started run on (their own
# sessions); `down` stops them and removes the rest.
sc_up_interrupted() {
    local n running=""
    if sc_open "$SC_DIR" 2>/dev/null; then
        for n in $(sc_nodes); do sc_node_alive "$n" && running="$running $n"; done
    fi
    if [ -n "$running" ]; then
        echo "${running# } $([ "$(wc -w <<<"$running")" = 1 ] && echo is || echo are) running, started by this up" \
            "(maybe not all healthy yet): sipc-cluster --dir $SC_DIR down stops them and removes the cluster;" \
            "sipc-cluster --dir $SC_DIR status shows them"
    else
        echo "no node runs yet: sipc-cluster --dir $SC_DIR down removes what up made"
    fi
}
