# cmd_nodes.sh - one node's process: `kill`, `restart`, `logs`.

SC_HELP_KILL='usage: sipc-cluster kill NODE [--signal KILL|TERM|STOP|CONT] [--dir DIR]

Sends the signal (default KILL) to the node'"'"'s process group. KILL and TERM
wait (at most 15 s) until the process is gone; STOP pauses it (it stays
"STOPPED" in status), CONT resumes it. A sipcd that sipc-cluster did not start (one started by
hand on the node'"'"'s home) is not signalled: kill says its pid (exit 78).'
SC_HELP_RESTART='usage: sipc-cluster restart NODE [--dir DIR]

Stops the node if it runs (SIGCONT, SIGTERM, SIGKILL after 15 s, which it
says), starts it again from its home, waits until its four services started and it is healthy
(its links to the other nodes up, but for nodes that do not run: dead or
stopped ones, which it names; its database open and working), saying what it waits for, and prints how long
that took; after 30 s it says what the node'"'"'s status said last (exit 69). When a sipcd that sipc-cluster did not
start runs on the node'"'"'s home, restart starts nothing: it says that pid, to
stop first (exit 78).'
SC_HELP_LOGS='usage: sipc-cluster logs NODE [--service data|search|management|pipeline] [--tail N] [--dir DIR]

The node'"'"'s service logs (HOME/logs/<Service>Service_<date>.log), every
service merged in time order (the instants the stamps name, each with its
UTC offset, not their text) with the service named on each line, or one
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
        sc_wait "$SC_STOP_WAIT" eval "! sc_pid_is $pid $st" || sc_die "$SC_EX_UNAVAILABLE" "$node (pid $pid) still runs $SC_STOP_WAIT s after SIG$sig"
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
    old=$(sc_node pid "$node")
    sc_node_stop "$node" "$SC_STOP_WAIT" || sc_die "$SC_EX_UNAVAILABLE" "$node could not be stopped"
    # a hung node: its SC_STOP_WAIT seconds are the wait, not its start
    [ "${#SC_KILLED[@]}" = "$killed" ] ||
        echo "$node (pid $old) still ran $SC_STOP_WAIT s after SIGTERM: killed with SIGKILL"
    # the times below count from the new start: the old process's stop (a
    # drain of seconds across a partition, a hung node) is no slow start
    t0=$(sc_now_ms)
    sc_node_spawn "$node"
    sc_node_wait_started "$node" 20 || exit "$SC_EX_UNAVAILABLE"
    t1=$(sc_now_ms)
    # Healthy is every link up, but no link reaches a node that does not
    # run: waiting for those, the restart of one of two dead nodes waited
    # 30 s and failed, holding the other's restart back as long. What it
    # waits for is said, and asked again at every try (another node may
    # die or come back meanwhile).
    local up="" m
    sc_restart_except "$node"
    for m in $(sc_nodes); do
        [ "$m" = "$node" ] || [[ " $SC_EXCEPT " == *" $m "* ]] || up="${up:+$up, }$m"
    done
    echo "$node started (pid $(sc_node pid "$node")), its four services in $((t1 - t0)) ms;" \
        "waiting (at most $SC_HEALTHY_WAIT s) until its links to ${up:-itself (no other node runs)} are up and its database works${SC_EXCEPT_WHY:+ (not to ${SC_EXCEPT// /, }: $SC_EXCEPT_WHY)}"
    sc_wait "$SC_HEALTHY_WAIT" sc_restart_healthy "$node" ||
        sc_die "$SC_EX_UNAVAILABLE" "$node started but is not healthy after $SC_HEALTHY_WAIT s: $(sc_node_unwell "$node" "$SC_EXCEPT")" \
            "(sipc-cluster status; sipc-cluster logs $node)"
    echo "$node restarted (pid $(sc_node pid "$node")): services started in $((t1 - t0)) ms," \
        "healthy in $(($(sc_now_ms) - t0)) ms${SC_EXCEPT_WHY:+ (its links to ${SC_EXCEPT// /, } not counted: $SC_EXCEPT_WHY)}"
}
# sc_restart_except NODE: the other nodes that do not run (dead, never
# started, SIGSTOPped; a sipcd started by hand on a node's home runs) into
# SC_EXCEPT (names) and SC_EXCEPT_WHY (what each is), for the restart's
# wait.
sc_restart_except() {
    local line m
    SC_EXCEPT="" SC_EXCEPT_WHY=""
    while IFS= read -r line; do
        m=${line%% *}
        [ -n "$m" ] && [ "$m" != "$1" ] || continue
        sc_node_foreign_pid "$m" >/dev/null && continue
        SC_EXCEPT="${SC_EXCEPT:+$SC_EXCEPT }$m"
        SC_EXCEPT_WHY="${SC_EXCEPT_WHY:+$SC_EXCEPT_WHY; }$line"
    done <<<"$(sc_tls_dead_nodes)"
}
sc_restart_healthy() { sc_restart_except "$1"; sc_node_healthy "$1" "" "$SC_EXCEPT"; }

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
    # nothing to print; and `tail -n 0` would exit unread, killing the
    # stages before it with SIGPIPE (exit 141 under pipefail)
    [ "$tail" = 0 ] && return 0
    local home s f
    home=$(sc_node home "$node")
    for s in $svcs; do
        f="${s^}Service"
        # the date-named files in order, each line tagged with its service
        for l in "$home/logs/${f}_"*.log; do
            [ -f "$l" ] && sc_log_keyed "$f" "$l"
        done
    done | LC_ALL=C sort -s -k1,1 | cut -d' ' -f2- | if [ -n "$tail" ]; then tail -n "$tail"; else cat; fi
}

# sc_log_keyed SERVICE FILE: FILE's lines, each tagged with SERVICE after its
# stamp and led by a sort key: the stamp's instant (UTC seconds since 1970,
# zero-padded, and its fraction, padded to nanoseconds). A stamp carries its
# local time's offset (2026-10-25T02:30:00.125+01:00, base/log_line.c), so
# the text of two stamps does not order them: the hour a DST change
# repeats, or services (or runs) under different TZ settings. Its
# milliseconds order the lines of one second; a stamp without a fraction
# (a sipcd from before milliseconds, whose lines stay in the files after an
# upgrade) is that second's .000. The arithmetic is awk's own (no mktime,
# which reads the local zone). A line without a stamp (cut by a crash,
# written by hand) keeps the key of the line before it, so it stays where
# it was, its service in the column of the stamped lines' (a stamp is 29
# characters wide); the stamp itself and the rest of the line are printed
# as they were.
sc_log_keyed() {
    awk -v s="$1" '
    function days(y, m, d) { # days from 1970-01-01 to y-m-d (proleptic Gregorian)
        y -= (m <= 2)
        era = int(y / 400)
        yoe = y - era * 400
        doy = int((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1
        return era * 146097 + yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy - 719468
    }
    BEGIN { key = sprintf("%015.0f.%09d", 0, 0) }
    {
        t = $1
        if (match(t, /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9](\.[0-9]+)?(Z|[+-][0-9][0-9]:[0-9][0-9])$/)) {
            sec = days(substr(t, 1, 4) + 0, substr(t, 6, 2) + 0, substr(t, 9, 2) + 0) * 86400 + \
                  substr(t, 12, 2) * 3600 + substr(t, 15, 2) * 60 + substr(t, 18, 2)
            frac = ""
            rest = substr(t, 20)
            if (substr(rest, 1, 1) == ".") {
                match(rest, /^\.[0-9]+/)
                frac = substr(rest, 2, RLENGTH - 1)
                rest = substr(rest, RLENGTH + 1)
            }
            if (rest != "Z") { # local time = UTC + offset
                off = substr(rest, 2, 2) * 3600 + substr(rest, 5, 2) * 60
                sec -= substr(rest, 1, 1) == "-" ? -off : off
            }
            frac = substr(frac "000000000", 1, 9)
            key = sprintf("%015.0f.%s", sec, frac)
            printf "%s %s %-18s%s\n", key, t, s, substr($0, index($0, t) + length(t))
        } else {
            printf "%s %29s %-18s %s\n", key, "", s, $0
        }
    }' "$2"
}
