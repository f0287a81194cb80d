# node.sh - one node of the cluster: run a command where it lives (its
# network namespace, if any), start sipcd detached in its own session, stop
# it, ask it for its status, wait until it is healthy.

SC_SERVICES="data search management pipeline"

# sc_in_node NAME COMMAND...: runs COMMAND on that node's "host".
sc_in_node() {
    local ns
    ns=$(sc_node netns "$1")
    shift
    if [ -n "$ns" ] && [ "$ns" != null ]; then ip netns exec "$ns" "$@"; else "$@"; fi
}
# sc_in_client COMMAND...: runs COMMAND on the client's "host" (the client
# namespace in --netns mode), where sipcctl and sipc-load talk from.
sc_in_client() {
    local ns
    ns=$(sc_q .client_netns)
    if [ -n "$ns" ] && [ "$ns" != null ]; then ip netns exec "$ns" "$@"; else "$@"; fi
}
# sc_tlstool NAME ARGS...: tlstool on the node's home, on the node's host
# (so that --reload reaches it as an operator logged in there would).
sc_tlstool() {
    local n=$1
    shift
    sc_in_node "$n" "$SC_BIN/tlstool" --home "$(sc_node home "$n")" "$@"
}
# sc_ctl ARGS...: sipcctl from the client home.
sc_ctl() { sc_in_client "$SC_BIN/sipcctl" --home "$(sc_q .client_home)" "$@"; }

sc_node_pid() { sc_node pid "$1"; }
sc_node_alive() { sc_pid_is "$(sc_node pid "$1")" "$(sc_node start_time "$1")"; }
sc_node_stopped() { # alive but stopped by SIGSTOP
    sc_node_alive "$1" && [ "$(sc_pid_state "$(sc_node pid "$1")")" = T ]
}

# sc_node_foreign_pid NAME: when a sipcd the harness did not start (one
# started by hand) runs on the node's home, holding its lock, prints its pid
# and succeeds; fails otherwise. Answering or not (stopped, hung) alike.
sc_node_foreign_pid() {
    local p
    p=$(sc_home_lock_pid "$(sc_node home "$1")") || return 1
    sc_node_alive "$1" && [ "$p" = "$(sc_node pid "$1")" ] && return 1
    echo "$p"
}
# sc_node_refuse_foreign NAME: exits 78 (like `up` on a running cluster) when
# a sipcd the harness did not start runs on the node's home: kill and restart
# cannot reach it, and a second sipcd there would be refused by the home's
# lock.
sc_node_refuse_foreign() {
    local p
    p=$(sc_node_foreign_pid "$1") || return 0
    sc_die "$SC_EX_CONFIG" "$1 runs as pid $p, which sipc-cluster did not start: stop it yourself (kill $p), then sipc-cluster restart $1"
}

# sc_node_spawn NAME: starts sipcd for the node, detached (its own session,
# stdin from /dev/null, output appended to HOME/sipcd.out), records its pid;
# does not wait.
sc_node_spawn() {
    local n=$1 home ns pid
    home=$(sc_node home "$n")
    ns=$(sc_node netns "$n")
    sc_started_count "$home" >"$home/.started-before"
    printf '\n---- %s sipc-cluster starts sipcd\n' "$(date -u +%FT%TZ)" >>"$home/sipcd.out"
    if [ -n "$ns" ] && [ "$ns" != null ]; then
        setsid ip netns exec "$ns" "$SC_BIN/sipcd" --home "$home" >>"$home/sipcd.out" 2>&1 </dev/null 9>&- &
    else
        setsid "$SC_BIN/sipcd" --home "$home" >>"$home/sipcd.out" 2>&1 </dev/null 9>&- &
    fi
    pid=$!
    sc_set_node_pid "$n" "$pid" "$(sc_pid_starttime "$pid" || echo null)"
}
# sc_node_wait_started NAME SECONDS: until its four services logged
# "Service Started" once more; fails (with the end of its output) when it
# exits or the time is up.
sc_node_wait_started() {
    local n=$1 limit=${2:-20} home before deadline why
    home=$(sc_node home "$n")
    before=$(cat "$home/.started-before" 2>/dev/null || echo 0)
    deadline=$(($(sc_now_ms) + limit * 1000))
    while :; do
        [ "$(sc_started_count "$home")" -ge $((before + 4)) ] && return 0
        sc_node_alive "$n" || { why="exited while starting"; break; }
        [ "$(sc_now_ms)" -ge "$deadline" ] && { why="did not start its four services within ${limit}s"; break; }
        sleep 0.05
    done
    sc_err "$n: sipcd $why; its output ends:"
    tail -n 8 "$home/sipcd.out" | sed 's/^/    /' >&2
    return 1
}

# sc_node_stop NAME [SECONDS]: SIGTERM to its process group, SIGKILL after
# SECONDS (default SC_STOP_WAIT, 15); forgets its pid.
sc_node_stop() {
    local n=$1 limit=${2:-$SC_STOP_WAIT}
    sc_stop_pid "$(sc_node pid "$n")" "$(sc_node start_time "$n")" "$limit" || return 1
    sc_set_node_pid "$n" null null
}

# sc_node_status NAME [TIMEOUT_MS]: the node's status (schema 1) as JSON, asked
# from the client home over its management port.
sc_node_status() {
    local n=$1 t=${2:-3000}
    sc_ctl --timeout "$t" --node "$(sc_node address "$n"):$(sc_node_port management "$n")" status --json 2>/dev/null
}
# sc_node_status_why NAME [TIMEOUT-MS]: the same; when the node does not
# answer, prints sipcctl's reason instead (its last line) and fails.
sc_node_status_why() {
    local n=$1 t=${2:-3000} j err
    err=$(mktemp)
    if j=$(sc_ctl --timeout "$t" --node "$(sc_node address "$n"):$(sc_node_port management "$n")" status --json 2>"$err"); then
        rm -f "$err"
        printf '%s\n' "$j"
        return 0
    fi
    grep -v '^$' "$err" | tail -n1 | sed 's/^sipcctl: //'
    rm -f "$err"
    return 1
}
# sc_node_status_text NAME [TIMEOUT-MS]: the same with every string as
# sipcctl shows a node's words (SC_JQ_SHOWN), for what the harness prints
sc_node_status_text() {
    local j
    j=$(sc_node_status "$@") || return 1
    jq "$SC_JQ_SHOWN shown_strings" <<<"$j"
}

# SC_JQ_PEER: `peer`, the node a link of a status leads to: the id its hello
# gave (empty before one came), else the node of cluster.json at its address ($names, address to name:
# sc_addr_names), else its address.
# shellcheck disable=SC2016
SC_JQ_PEER='def peer: (.node | select(. != "")) // $names[(.address // "" | sub(":[0-9]+$"; ""))] // .address;'
# SC_JQ_FILES: `files_trouble`, what a status says of the node's database,
# log files and state/ files that keeps it from being healthy, as `status`
# prints it (nothing when they work): a node that cannot write its logs or
# its state/ runs, but loses what it would tell or keep (sipcctl's cluster
# status calls it a PROBLEM). Its status line, restart's wait and its reason
# read it.
SC_JQ_FILES='def files_trouble: (if .storage.open == false then "storage: NOT OPEN"
    else [("writes", "reads") as $o | select(.storage[$o].failing == true) | $o]
      | if length > 0 then "storage: \(join(" and ")) FAIL" else empty end end),
    (if .logs.failing == true then "logs: writes FAIL" else empty end),
    (if .storage.state.failing == true then "state/: writes FAIL" else empty end);'
sc_addr_names() { sc_q '[.nodes[] | {key: .address, value: .name}] | from_entries' -c; }
# sc_json_words WORD...: the words as a JSON array (no jq for none)
sc_json_words() { if [ $# = 0 ]; then echo '[]'; else jq -cn '$ARGS.positional' --args "$@"; fi; }

# sc_node_healthy NAME [MODE] [EXCEPT]: answers its status, runs its four
# services (all in MODE: off|permissive|strict, when given), its database
# open and working, its logs and state/ written, and every link to the
# other nodes is up, but for links to the nodes named in EXCEPT
# (space-separated: nodes known not to run, which no link can reach).
sc_node_healthy() {
    local n=$1 mode=${2:-} except=${3:-} j count
    count=$(sc_node_count)
    j=$(sc_node_status "$n" 2000) || return 1
    # shellcheck disable=SC2086
    jq -e --arg m "$mode" --argjson c "$count" --argjson names "$(sc_addr_names)" \
        --argjson x "$(sc_json_words $except)" "$SC_JQ_PEER $SC_JQ_FILES"'
        [.links[] | select(peer as $p | $x | any(.[]; . == $p) | not)] as $l
        | (.services | length) == 4
        and ($l | length) >= 3 * ($c - ($x | length)) - 2
        and ([$l[] | select(.up | not)] | length) == 0
        and ([files_trouble] | length) == 0
        and ($m == "" or ([.services[] | select(.tls != $m)] | length) == 0)' <<<"$j" >/dev/null
}
# sc_node_unwell NAME [EXCEPT]: why the node is not healthy (sc_node_healthy,
# without a mode), from its status now, on one line: it does not answer (and
# sipcctl's reason), services missing, links down (to which node, which
# services, the first one's last error), links missing, its database not
# open or failing, its logs or state/ not written.
sc_node_unwell() {
    local n=$1 except=${2:-} j
    if ! j=$(sc_node_status_why "$n" 2000); then
        echo "it does not answer its status: $j"
        return 0
    fi
    # shellcheck disable=SC2086
    jq -r --argjson c "$(sc_node_count)" --argjson names "$(sc_addr_names)" --arg svcs "$SC_SERVICES" \
        --argjson x "$(sc_json_words $except)" "$SC_JQ_SHOWN $SC_JQ_PEER $SC_JQ_FILES"'
        [.links[] | select(peer as $p | $x | any(.[]; . == $p) | not)] as $l
        | [.services[].name] as $run
        | ([$svcs | splits(" ") | select(. as $s | $run | any(.[]; . == $s) | not)]
           | if length > 0 then ["services not running: \(join(", "))"] else [] end)
        + ([$l[] | select(.up | not)] | group_by(peer) | map(
             "links to \(.[0] | peer) (\(map(.service) | join(", "))) down: \(.[0].last_error // "no error yet" | shown)"))
        + (if ($l | length) < 3 * ($c - ($x | length)) - 2
           then ["only \($l | length) of the \(3 * ($c - ($x | length)) - 2) links to running nodes exist"] else [] end)
        + [files_trouble | "\(.) (sipcctl status says why)"]
        | if length > 0 then join("; ") else "healthy now" end' <<<"$j"
}
# sc_wait_healthy NAME [MODE] [SECONDS]
sc_wait_healthy() { sc_wait "${3:-30}" sc_node_healthy "$1" "${2:-}"; }

# sc_node_guard_plaintext NAME: the peers the node's strict guard still lists
# as speaking plaintext (their latest connection was plaintext), one a line:
# while any is listed the node refuses to go strict. A sipcctl from a home
# whose tag is not among SC_OWN_TAGS (the cluster's homes, when set) is led
# by "foreign: ": no wait clears it, only its own next TLS connection. (tlstool's own
# connections, which carry the steps, are no guard peers: the node does not
# record them.)
sc_node_guard_plaintext() {
    local j
    j=$(sc_node_status_text "$1" 2000) || { echo "status unavailable"; return 0; }
    local own=null
    # shellcheck disable=SC2086
    [ -z "${SC_OWN_TAGS+x}" ] || own=$(sc_json_words $SC_OWN_TAGS)
    jq -r --argjson own "$own" '.guard.plaintext_peers[]?
        | (.node // "") as $p
        | (if $own != null and ($p | startswith("sipcctl:"))
              and ($p | sub(".* home "; "") as $t | any($own[]; . == $t) | not)
           then "foreign: " else "" end)
          + "guard: \(.node // .address) spoke plaintext to \(.service) \(.seconds_ago) s ago"' <<<"$j"
}
# sc_node_live_plaintext NAME: live plaintext links and connections of the
# node, one a line. After a switch to TLS only for a moment: a reload's
# GOAWAY replaces each connection made before it, a busy one once its calls
# are answered (10 s at most), and a permissive dialer offers TLS again on a
# plaintext fallback to a listener that takes TLS now.
sc_node_live_plaintext() {
    local j
    j=$(sc_node_status_text "$1" 2000) || { echo "status unavailable"; return 0; }
    jq -r '
        ([.links[] | select(.up and (.tls | not)) | "link \(.service) -> \(.node // .address)"]
         + [.services[] as $s | $s.plaintext_peers[]? | "plaintext connection to \($s.name) from \(.node // .address)"])
        | unique[]' <<<"$j"
}
