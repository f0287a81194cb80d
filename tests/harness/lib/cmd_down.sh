# cmd_down.sh - `sipc-cluster down`: stop everything the harness started in
# DIR and remove what it created, from cluster.json and, for what a crashed
# harness did not record, from DIR alone.

SC_HELP_DOWN='usage: sipc-cluster down [--keep] [--dir DIR]

Stops the load generator, removes the partition rules (so that the nodes
drain at once), stops every node (SIGTERM to its process group, SIGKILL
after 15 s, which it says), also processes a crashed harness left without
recording them (any process naming a home under DIR), deletes the network
namespaces of DIR (veths and bridge go with them), then removes what
`up` created in DIR: nodes/, client/, load/, cluster.json, the pair and its
password. Safe to run twice, or without a cluster.

  --keep    keep DIR (logs, homes, ledger) for a post-mortem'

# sc_cleanup_leftovers DIR: every process and namespace of the cluster in DIR,
# whether cluster.json knows them or not.
sc_cleanup_leftovers() {
    local dir=$1 pid n pids=() prefix killed=${#SC_KILLED[@]} wait=10
    # (a test of a hung process sets SC_STOP_WAIT lower, for these too)
    [ "$SC_STOP_WAIT" -lt "$wait" ] && wait=$SC_STOP_WAIT
    declare -A name=() prog=()
    if [ -f "$dir/cluster.json" ]; then
        # the load generator first, so that it does not count the nodes going away as
        # errors (sipc-cluster always runs it as `sipc-load CMD --dir DIR ...`)
        for pid in $(sc_pids_naming sipc-load "--dir $dir "); do
            prog[$pid]=$(sc_pid_name "$pid")
            sc_stop_pid "$pid" "" "$wait"
        done
        while read -r pid st n; do
            [ "$pid" = null ] || { pids+=("$pid:$st"); name[$pid]=$n; }
        done < <(jq -r '.nodes[] | "\(.pid) \(.start_time) \(.name)"' "$dir/cluster.json" 2>/dev/null)
    fi
    # a partition's rules first: a node's stop drains its connections, which
    # takes a round trip to each peer (seconds of waiting across a partition)
    prefix=$(sc_ns_prefix "$dir")
    sc_partition_heal "$prefix"
    # SIGTERM to every node at once, then wait for each (bounded)
    local p
    for p in "${pids[@]}"; do
        sc_pid_is "${p%%:*}" "${p#*:}" && { sc_kill_group "${p%%:*}" CONT; sc_kill_group "${p%%:*}" TERM; }
    done
    for p in "${pids[@]}"; do sc_stopped_pid "${p%%:*}" "${p#*:}" "$SC_STOP_WAIT"; done
    # what no cluster.json names: any process with a home under DIR (a
    # node, or a tlstool/sipcctl a crashed step left), the load generator,
    # and any sipcd still holding a home's lock (one given its home by
    # SIPC_HOME names none on its command line); all told to stop at once,
    # as the nodes above, since a node draining its requests may take
    # seconds
    local h
    declare -A left=()
    for pid in $(sc_pids_naming "--home $dir/") $(sc_pids_naming sipc-load "--dir $dir "); do
        left[$pid]=1
    done
    for h in "$dir"/nodes/*/; do
        pid=$(sc_home_lock_pid "${h%/}") && left[$pid]=1
    done
    for pid in "${!left[@]}"; do
        prog[$pid]=$(sc_pid_name "$pid")
        sc_pid_is "$pid" && { sc_kill_group "$pid" CONT; sc_kill_group "$pid" TERM; }
    done
    for pid in "${!left[@]}"; do sc_stopped_pid "$pid" "" "$wait"; done
    # a hung process: its SC_STOP_WAIT seconds are the wait, and it did not stop cleanly
    for pid in "${SC_KILLED[@]:$killed}"; do
        if [ -n "${name[$pid]:-}" ]; then
            echo "${name[$pid]} (pid $pid) still ran $SC_STOP_WAIT s after SIGTERM: killed with SIGKILL"
        else
            echo "${prog[$pid]:-process} (pid $pid) of the cluster still ran $wait s after SIGTERM: killed with SIGKILL"
        fi
    done
    sc_netns_teardown "$prefix" || sc_err "could not delete every namespace of $prefix: $(sc_netns_list "$prefix" | tr '\n' ' ')"
    if [ -f "$dir/cluster.json" ]; then
        for n in $(jq -r '.nodes[].name' "$dir/cluster.json" 2>/dev/null); do
            (SC_JSON="$dir/cluster.json" SC_DIR="$dir" sc_set_node_pid "$n" null null)
        done
    fi
    return 0
}

# The mount points strictly under DIR, one per line, as this process's
# mount namespace sees them (mountinfo's fifth field, its octal escapes of
# spaces and the like decoded).
sc_mounts_under() {
    local m
    awk '{ print $5 }' /proc/self/mountinfo 2>/dev/null | while IFS= read -r m; do
        case $m in *\\*) m=$(printf '%b' "$(printf '%s' "$m" | sed 's/\\\([0-7][0-7][0-7]\)/\\0\1/g')") ;; esac
        case $m in "$1"/*) printf '%s\n' "$m" ;; esac
    done
}

sc_cmd_down() {
    local keep=0
    while [ $# -gt 0 ]; do
        case $1 in
        --keep) keep=1 ;;
        -h | --help) echo "$SC_HELP_DOWN"; return 0 ;;
        -*) sc_usage "$SC_HELP_DOWN" "unknown option '$1'" ;;
        *) sc_usage "$SC_HELP_DOWN" "unknown argument '$1'" ;;
        esac
        shift
    done
    sc_dir_check "$SC_ARG_DIR"
    [ -d "$SC_ARG_DIR" ] || { echo "nothing to do: $SC_ARG_DIR does not exist"; return 0; }
    SC_DIR=$(cd "$SC_ARG_DIR" && pwd)
    SC_JSON="$SC_DIR/cluster.json"
    sc_lock
    local what="nodes"
    [ -f "$SC_JSON" ] || what="leftovers (no cluster.json)"
    sc_cleanup_leftovers "$SC_DIR"
    if [ $keep = 1 ]; then
        echo "cluster in $SC_DIR down ($what stopped); folder kept"
        return 0
    fi
    # rm would go into a mount under the cluster's folder (a bind-mounted
    # crl/ or trust/, a tmpfs) and empty it before failing on the mount
    # point: nothing is removed while one is there
    local mounts
    mounts=$(sc_mounts_under "$SC_DIR")
    if [ -n "$mounts" ]; then
        sc_die 70 "cluster in $SC_DIR: $what stopped and namespaces removed, but no file removed: something is mounted under it: $(echo "$mounts" | head -n 5 | tr '\n' ' ')(unmount it, then run down again)"
    fi
    # rm names each file it could not remove on stderr; the summary then
    # says what is left instead of "removed" (--one-file-system: a mount
    # made since the check above is not entered)
    local left
    if ! rm -rf --one-file-system "$SC_DIR/nodes" "$SC_DIR/client" "$SC_DIR/load" "$SC_DIR/cluster.pfx" "$SC_DIR/password" \
        "$SC_JSON" "$SC_DIR"/.cluster.json.* "$SC_DIR/.lock"; then
        left=$(cd "$SC_DIR" && find . -mindepth 1 \( -type d -empty -o ! -type d \) 2>/dev/null | sed 's|^\./||' | sort | head -n 5 | tr '\n' ' ')
        sc_die 70 "cluster in $SC_DIR: $what stopped and namespaces removed, but not every file: left ${left:-?}(rm's error above says why: unmount what is mounted there, then run down again)"
    fi
    rmdir "$SC_DIR" 2>/dev/null || true
    echo "cluster in $SC_DIR down ($what stopped, namespaces and files removed)"
}
