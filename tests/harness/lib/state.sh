# state.sh - the cluster's working folder and its layout file, DIR/cluster.json
# (schema in docs/testing.md; sipc-load reads it too). Written with jq, always
# to a temporary file renamed over the old one, under DIR/.lock.

# sc_dir_check DIR: DIR is a folder or nothing yet, else a usage error (64),
# said once the command's own arguments were checked: from the build folder
# the default ./sipc-cluster is the program itself, and a mistyped option
# must be named as such, not as that.
sc_dir_check() {
    [ ! -e "$1" ] || [ -d "$1" ] ||
        sc_usage "usage: sipc-cluster" "DIR $1 is a file, not a cluster's folder (from the build folder the default ./sipc-cluster is this program): give --dir DIR"
}
# sc_open DIR: sets SC_DIR (absolute) and SC_JSON; fails when there is no
# cluster there.
sc_open() {
    SC_DIR=$(cd "$1" 2>/dev/null && pwd) || return 1
    SC_JSON="$SC_DIR/cluster.json"
    [ -f "$SC_JSON" ] && jq -e '.version == 1' "$SC_JSON" >/dev/null 2>&1 && sc_q_table
}
sc_open_or_die() {
    sc_dir_check "$1"
    sc_open "$1" || sc_die "$SC_EX_CONFIG" "no cluster at $1 (no valid cluster.json; run 'sipc-cluster up --dir $1')"
}

# sc_q JQ-FILTER [jq options]: one value from cluster.json (raw).
# A command asks the file the same few things again and again (each node's
# pid, start time, home and address at every try of every wait), and each
# jq costs tens of ms of CPU, which the nodes beside it wait for: those are
# answered from a table one jq made (sc_q_table) for as long as the file
# reads as it did then, in subshells too, which inherit it; anything else
# runs jq.
declare -gA SC_Q_TABLE=()
SC_Q_FILE="" SC_Q_TEXT=""
sc_q() {
    local IFS=' ' text="" f=$1 k="$*"
    IFS= read -r -d '' text 2>/dev/null <"$SC_JSON"
    # made again when the file changed (in a subshell, for this answer
    # only, which costs the one jq it would have run)
    if [ "$SC_JSON" != "$SC_Q_FILE" ] || [ "$text" != "$SC_Q_TEXT" ]; then
        sc_q_table
    fi
    if [ "$SC_JSON" = "$SC_Q_FILE" ] && [ "$text" = "$SC_Q_TEXT" ] && [ -n "${SC_Q_TABLE[$k]+x}" ]; then
        printf '%s' "${SC_Q_TABLE[$k]}"
        return 0
    fi
    shift
    jq -r "$@" "$f" "$SC_JSON"
}
# sc_q_table: the table sc_q answers from, made from cluster.json as it
# reads now; its keys are sc_q's arguments as its callers give them, its
# values what `jq -r` prints for them.
sc_q_table() {
    local text="" decl
    SC_Q_TABLE=() SC_Q_FILE="" SC_Q_TEXT=""
    IFS= read -r -d '' text 2>/dev/null <"$SC_JSON"
    decl=$(jq -r '
        def r: if type == "string" then . else tojson end + "\n";
        def put(k; v): "SC_Q_TABLE[\(k | @sh)]=\(v | @sh)";
        put(".bin"; .bin | r), put(".client_home"; .client_home | r),
        put(".client_netns"; .client_netns | r), put(".netns"; .netns | r),
        put(".fingerprint // \"\""; .fingerprint // "" | r),
        put(".rotating // \"\""; .rotating // "" | r),
        put(".partition // [] | join(\" \")"; .partition // [] | join(" ") | r),
        put(".nodes | length"; .nodes | length | r),
        put("[.nodes[] | {key: .address, value: .name}] | from_entries -c";
            [.nodes[] | {key: .address, value: .name}] | from_entries | tojson + "\n"),
        put(".nodes[].name"; [.nodes[].name | r] | add // ""),
        put(".nodes[].home"; [.nodes[].home | r] | add // ""),
        put(".nodes[] | \"\\(.name) \\(.pid) \\(.start_time)\"";
            [.nodes[] | "\(.name) \(.pid) \(.start_time)" | r] | add // ""),
        (.nodes[] | . as $n
         | (("name", "address", "home", "pid", "start_time", "netns")
            | put(".nodes[] | select(.name == $n) | .\(.) --arg n \($n.name)"; $n[.] | r)),
           ((.ports // {}) | keys[]
            | put(".nodes[] | select(.name == $n) | .ports.\(.) --arg n \($n.name)"; $n.ports[.] | r)))
    ' <<<"$text" 2>/dev/null) || return 0
    eval "$decl"
    SC_Q_FILE=$SC_JSON SC_Q_TEXT=$text
}
# sc_update JQ-FILTER [jq options]: rewrites cluster.json through the filter.
sc_update() {
    local f=$1 tmp
    shift
    tmp=$(mktemp "$SC_DIR/.cluster.json.XXXXXX") || return 1
    if jq "$@" "$f" "$SC_JSON" >"$tmp"; then
        mv -f "$tmp" "$SC_JSON" || return
        sc_q_table # for what this shell asks next
    else
        rm -f "$tmp"
        return 1
    fi
}

# One command at a time changes a cluster: the others wait (bounded), saying
# for what. The holder writes "PID START-TIME HH:MM:SS COMMAND" into the lock
# file once it has the lock, so that a waiting command can name it.
sc_lock() {
    local holder pid st since what me=$BASHPID
    exec 9>>"$SC_DIR/.lock"
    if ! flock -n 9; then
        holder=$(head -n1 "$SC_DIR/.lock" 2>/dev/null)
        read -r pid st since what <<<"$holder"
        if [ -n "$what" ] && sc_pid_is "$pid" "$st"; then
            holder="'$what' (pid $pid, since $since)"
        else
            holder="another sipc-cluster command"
        fi
        printf 'sipc-cluster: waiting (at most 120 s) for %s/.lock, held by %s: one command at a time changes a cluster\n' \
            "$SC_DIR" "$holder" >&2
        flock -w 120 9 || sc_die "$SC_EX_UNAVAILABLE" "$holder holds $SC_DIR/.lock for over 120 s"
    fi
    printf '%s %s %s %s\n' "$me" "$(sc_pid_starttime "$me")" "$(date +%H:%M:%S)" \
        "${SC_CMDLINE:-${FUNCNAME[1]:-sc_lock} (the harness library)}" >"$SC_DIR/.lock"
}

sc_nodes() { sc_q '.nodes[].name'; }
sc_node_count() { sc_q '.nodes | length'; }
# sc_node FIELD NAME: a field of one node (address, home, pid, netns, start_time, ...)
sc_node() { sc_q ".nodes[] | select(.name == \$n) | .$1" --arg n "$2"; }
sc_node_port() { sc_q ".nodes[] | select(.name == \$n) | .ports.$1" --arg n "$2"; }
sc_has_node() { [ -n "$(sc_node name "$1")" ]; }
# sc_partitioned NAME: the node is cut off by the harness's own partition
sc_partitioned() { [[ " $(sc_q '.partition // [] | join(" ")') " == *" $1 "* ]]; }
sc_require_node() {
    sc_has_node "$1" || sc_die "$SC_EX_USAGE" "no node '$1' in this cluster (nodes: $(sc_nodes | paste -sd' ' -))"
}
sc_set_node_pid() { # NAME PID STARTTIME
    sc_update '(.nodes[] | select(.name == $n)) |= (.pid = $p | .start_time = $s)' \
        --arg n "$1" --argjson p "${2:-null}" --argjson s "${3:-null}"
}
