# cmd_nodes.sh - one node's process: `kill`, `restart`, `logs`.

SC_HELP_KILL='usage: sipc-cluster kill NODE [--signal KILL|TERM|STOP|CONT] [--dir DIR]

Sends the signal (default KILL) to the node'"'"'s process group. KILL and TERM
wait (at most 15 s) until the process is gone; STOP pauses it (it stays
"STOPPED" in status), CONT resumes it. A sipcd that sipc-cluster did not start (one started by
hand on the node'"'"'s home) is not signalled: kill says its pid (exit 78).'
SC_HELP_RESTART='usage: sipc-cluster restart NODE [--dir DIR]

Stops the node if it runs (SIGCONT, SIGTERM, SIGKILL after 15 s, which it
says), starts it again from its home, waits until its four services started and it is healthy
(links to the other nodes up), and prints how long that took. When a sipcd that sipc-cluster did not
start runs on the node'"'"'s home, restart starts nothing: it says that pid, to
stop first (exit 78).'
SC_HELP_LOGS='usage: sipc-cluster logs NODE [--service data|search|management|pipeline] [--tail N] [--dir DIR]

The node'"'"'s service logs (HOME/logs/<Service>Service_<date>.log), every
service merged in time order with the service named on each line, or one
service with --service; --tail N prints the last N lines.'

sc_cmd_kill() {
    local node="" sig=KILL
    while [ $# -gt 0 ]; do
        case $1 in
        --signal | -s | --signal=*) sc_value "$SC_HELP_KILL" "--signal|-s" "$@"; sig=$SC_VALUE; shift "$SC_USED" ;;
        -h | --help) echo "$SC_HELP_KILL"; return 0 ;;
        -*) sc_usage "$SC_HELP_KILL" "unknown option '$1'" ;;
        *) [ -z "$node" ] || sc_usage "$SC_HELP_KILL" "one NODE only"; node=$1 ;;
        esac
        shift
    done
    [ -n "$node" ] || sc_usage "$SC_HELP_KILL" "which NODE?"
    sig=${sig#SIG}
    case $sig in KILL | TERM | STOP | CONT) ;; *) sc_usage "$SC_HELP_KILL" "--signal must be KILL, TERM, STOP or CONT" ;; esac
    sc_open_or_die "$SC_ARG_DIR"
    sc_lock
    sc_require_node "$node"
    SC_BIN=$(sc_q .bin)
    local pid st
    pid=$(sc_node pid "$node") st=$(sc_node start_time "$node")
    sc_node_refuse_foreign "$node"
    sc_node_alive "$node" || sc_die "$SC_EX_UNAVAILABLE" "$node is not running"
    sc_kill_group "$pid" "$sig" || sc_die "$SC_EX_SOFTWARE" "kill -$sig $pid failed"
    case $sig in
    KILL | TERM)
        sc_wait 15 eval "! sc_pid_is $pid $st" || sc_die "$SC_EX_UNAVAILABLE" "$node (pid $pid) still runs 15 s after SIG$sig"
        echo "$node (pid $pid) killed with SIG$sig"
        ;;
    STOP)
        sc_wait 5 eval '[ "$(sc_pid_state '"$pid"')" = T ]' || sc_die "$SC_EX_UNAVAILABLE" "$node (pid $pid) did not stop"
        echo "$node (pid $pid) stopped (SIGSTOP): it holds its connections and answers nothing"
        ;;
    CONT) echo "$node (pid $pid) continued (SIGCONT)" ;;
    esac
}

sc_cmd_restart() {
    local node=""
    while [ $# -gt 0 ]; do
        case $1 in
        -h | --help) echo "$SC_HELP_RESTART"; return 0 ;;
        -*) sc_usage "$SC_HELP_RESTART" "unknown option '$1'" ;;
        *) [ -z "$node" ] || sc_usage "$SC_HELP_RESTART" "one NODE only"; node=$1 ;;
        esac
        shift
    done
    [ -n "$node" ] || sc_usage "$SC_HELP_RESTART" "which NODE?"
    sc_open_or_die "$SC_ARG_DIR"
    sc_lock
    sc_require_node "$node"
    SC_BIN=$(sc_q .bin)
    local t0 t1 old killed=${#SC_KILLED[@]}
    sc_node_refuse_foreign "$node"
    t0=$(sc_now_ms)
    old=$(sc_node pid "$node")
    sc_node_stop "$node" 15 || sc_die "$SC_EX_UNAVAILABLE" "$node could not be stopped"
    # a hung node: its 15 s are the wait, not its start
    [ "${#SC_KILLED[@]}" = "$killed" ] ||
        echo "$node (pid $old) still ran 15 s after SIGTERM: killed with SIGKILL"
    sc_node_spawn "$node"
    sc_node_wait_started "$node" 20 || exit "$SC_EX_UNAVAILABLE"
    t1=$(sc_now_ms)
    sc_wait_healthy "$node" "" 30 || sc_die "$SC_EX_UNAVAILABLE" "$node started but is not healthy after 30 s (sipc-cluster status)"
    echo "$node restarted (pid $(sc_node pid "$node")): services started in $((t1 - t0)) ms, healthy in $(($(sc_now_ms) - t0)) ms"
}

sc_cmd_logs() {
    local node="" service="" tail=""
    while [ $# -gt 0 ]; do
        case $1 in
        --service | --service=*) sc_value "$SC_HELP_LOGS" --service "$@"; service=$SC_VALUE; shift "$SC_USED" ;;
        --tail | --tail=*) sc_value "$SC_HELP_LOGS" --tail "$@"; tail=$SC_VALUE; shift "$SC_USED" ;;
        -h | --help) echo "$SC_HELP_LOGS"; return 0 ;;
        -*) sc_usage "$SC_HELP_LOGS" "unknown option '$1'" ;;
        *) [ -z "$node" ] || sc_usage "$SC_HELP_LOGS" "one NODE only"; node=$1 ;;
        esac
        shift
    done
    [ -n "$node" ] || sc_usage "$SC_HELP_LOGS" "which NODE?"
    [ -z "$tail" ] || [[ "$tail" =~ ^[0-9]+$ ]] || sc_usage "$SC_HELP_LOGS" "--tail must be a number"
    local svcs=$SC_SERVICES
    if [ -n "$service" ]; then
        [[ " $SC_SERVICES " == *" $service "* ]] || sc_usage "$SC_HELP_LOGS" "--service must be one of: $SC_SERVICES"
        svcs=$service
    fi
    sc_open_or_die "$SC_ARG_DIR"
    sc_require_node "$node"
    local home s f
    home=$(sc_node home "$node")
    for s in $svcs; do
        f="${s^}Service"
        # the date-named files in order, each line tagged with its service
        for l in "$home/logs/${f}_"*.log; do
            [ -f "$l" ] && awk -v s="$f" '{ t = $1; $1 = ""; printf "%s %-18s%s\n", t, s, $0 }' "$l"
        done
    done | sort -s -k1,1 | if [ -n "$tail" ]; then tail -n "$tail"; else cat; fi
}
