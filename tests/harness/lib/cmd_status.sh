# cmd_status.sh - `sipc-cluster status`: one line per node, from the node
# itself (its management status, asked from the client home), then one line
# for the cluster naming any odd node.

SC_HELP_STATUS='usage: sipc-cluster status [--json] [--dir DIR]

One line per node: name, address, pid and whether the process runs (or is
stopped, or dead; or, when a node answers although the process sipc-cluster
started is gone, "pid P answers, not started by sipc-cluster", P the pid the
node reports), the TLS mode in effect and each service listener'"'"'s mode,
the certificate fingerprint prefix ("(not cluster.json'"'"'s pair)" when it is
not: a rolling rotation stopped midway, a pair rotated to or imported outside
sipc-cluster, a certificate of its own from an organisation'"'"'s CA), links up
(", N SUSPECT (no answer to PING for S s: NODES)" for links up whose PING has
waited 2 s or more: a peer stopped or cut off, which its links do not yet
say), "pipeline: NODES UNRESPONSIVE" while the node'"'"'s pipeline answers the
records for those nodes at once (nothing came back from them), "storage: writes FAIL" while
the node'"'"'s database fails ("storage: NOT OPEN" while it could not be
opened at all), "storage: writes SLOW" while its writes wait its [data]
writes_slow_ms (2 s by default) or more (a lock, a slow disk), "storage: records lost" while a start'"'"'s finding
of lost records is not acknowledged (sipcctl status says more), and healthy, degraded (a service, a link or its
storage missing or failing, a link SUSPECT or a destination UNRESPONSIVE) or unreachable (with the reason, and for a dead
node "sipc-cluster restart NODE"). The words
"plaintext" and "disabled" appear only for a node in that state: a node with
TLS off whose pipeline alone runs TLS ([pipeline] tls = 1) is "TLS disabled
(pipeline TLS)", with the certificate its pipeline presents. A last line
sums up the cluster and names the odd node when the nodes disagree on TLS
(MISMATCH), or the nodes in each mode when some are permissive and the others
strict or with TLS off (MIGRATING: no node refuses another). While the
nodes present different certificates (each its own from an organisation'"'"'s
CA, a rotation by hand), their own judge (sipcctl status --cluster) says
whether they accept each other'"'"'s: the last line names each node it finds
refused, and why.

  --json    one JSON object: "cluster" with the verdict ("ok", "migrating",
            "not_well" or "unreachable"), the exit code and the reason (the
            last line of the text), and "nodes", each node'"'"'s status answer
            (schema 1, null when it does not answer) under "status" and the
            harness'"'"'s own view under "harness" (pid, state, health, error,
            partitioned, its line of the text); it exits as the text does

Exit: 0 every node healthy and in one mode; 2 nothing else wrong, but some
nodes permissive and the others strict, or with TLS off (a rolling change
half done: MIGRATING); 1 the nodes disagree (mismatch: TLS off beside strict,
plaintext links in a TLS cluster), a TLS node runs a listener in plaintext
([pipeline] tls = 0; the last line names it), a node presents a certificate
the others refuse (or their judge cannot be asked), a rolling rotation
stopped midway (cluster.json records it, whether or not a node presents
the new pair yet), or a node is degraded; 69 a
node is unreachable.'

# sc_node_line NAME: prints the node's line (its columns tab-separated, for
# sc_status_lines to align); returns 0 healthy, 1 degraded, 2 unreachable.
# Sets SC_LAST_JSON to its status answer as it came ("" when unreachable),
# SC_LAST_STATE to its process's state (running, stopped, dead, not_running,
# or foreign: a sipcd the harness did not start), SC_LAST_ERR to why it is
# unreachable, SC_LAST_MODE to its TLS mode ("" when unreachable), SC_LAST_PLAIN to
# its listeners that run plaintext on a TLS node (`[pipeline] tls = 0`), and
# SC_LAST_TLSONLY to those that run TLS on a node with TLS off
# (`[pipeline] tls = 1`), and SC_LAST_ROT to the rotation pair its status
# names (tls.rotation.pair: "previous" once committed; "" when none).
sc_node_line() {
    local n=$1 addr pid proc j line foreign
    addr=$(sc_node address "$n")
    pid=$(sc_node pid "$n")
    foreign=$(sc_node_foreign_pid "$n")
    if sc_node_stopped "$n"; then
        proc="pid $pid STOPPED (SIGSTOP)" SC_LAST_STATE=stopped
    elif sc_node_alive "$n"; then
        proc="pid $pid running" SC_LAST_STATE=running
    elif [ "$pid" = null ]; then
        proc="not running" SC_LAST_STATE=not_running
    else
        proc="pid $pid dead" SC_LAST_STATE=dead
    fi
    # a sipcd the harness did not start holds the node's home (one started
    # by hand there): say so, with its pid, rather than "dead"
    if [ -n "$foreign" ] && [[ $proc == "pid $pid dead" || $proc == "not running" ]]; then
        proc="pid $foreign runs, not started by sipc-cluster" SC_LAST_STATE=foreign
        [ "$pid" = null ] || proc="$proc (its pid $pid exited)"
    fi
    SC_LAST_MODE="" SC_LAST_JSON="" SC_LAST_ERR=""
    SC_LAST_PLAIN="" SC_LAST_TLSONLY=""
    SC_LAST_OTHER_CERT="" SC_LAST_CERT="" SC_LAST_ROT=""
    if ! j=$(sc_node_status_why "$n" 2000); then
        # what brings it back is the harness's to say: the node's own home,
        # through restart (sipcctl, asked from the client home, knows no
        # node home to name), or the harness's own partition
        local fix=""
        case $proc in
        *" dead" | "not running") fix="; sipc-cluster restart $n starts it again (from its home, $(sc_node home "$n"))" ;;
        *"STOPPED (SIGSTOP)") fix="; sipc-cluster kill $n --signal CONT resumes it" ;;
        esac
        sc_partitioned "$n" && fix="$fix; $n is cut off by sipc-cluster partition (sipc-cluster heal ends it)"
        SC_LAST_ERR="$j$fix"
        printf '%s\t%s\t%s\tunreachable: %s\n' "$n" "$addr" "$proc" "$SC_LAST_ERR"
        return 2
    fi
    SC_LAST_JSON=$j
    j=$(jq "$SC_JQ_SHOWN shown_strings" <<<"$j") # the node's words, printed below
    # its mode; the certificate it presents (with TLS off, the one of a
    # listener that runs TLS all the same), and whether it is not the
    # cluster's pair (cluster.json's fingerprint): a rotation stopped
    # midway, a pair rotated to or imported outside sipc-cluster; the
    # rotation's pair it accepts besides; its listeners in the other mode
    # (one jq: each costs tens of ms of CPU)
    local cfp
    eval "$(jq -r '(if .tls.mode == "off" then "" else [.services[] | select(.tls == "off") | .name] | join(", ") end) as $plain
        | (if .tls.mode == "off" then [.services[] | select(.tls != "off") | .name] | join(", ") else "" end) as $tlsonly
        | (.tls.certificate.fingerprint_sha256 // ([.services[].certificate_sha256 // empty] | first) // "") as $cert
        | @sh "SC_LAST_MODE=\(.tls.mode) SC_LAST_CERT=\($cert) SC_LAST_PLAIN=\($plain) SC_LAST_TLSONLY=\($tlsonly) SC_LAST_ROT=\(.tls.rotation.pair // "")"' <<<"$j")"
    cfp=$(sc_q '.fingerprint // ""')
    [ -n "$cfp" ] && [ -n "$SC_LAST_CERT" ] && [ "$SC_LAST_CERT" != "$cfp" ] && SC_LAST_OTHER_CERT=$SC_LAST_CERT
    # a node answers although the process the harness started is gone: one
    # started by hand on the node's home; say so, with its pid (the home
    # lock's holder, else the pid it reports), rather than "dead" beside its
    # health
    if [[ $proc == "pid $pid dead" || $proc == "not running" || $proc == *"runs, not started by sipc-cluster"* ]]; then
        local rpid=$foreign
        [ -n "$rpid" ] || rpid=$(jq -r '.node.pid // empty' <<<"$j")
        proc="${rpid:+pid $rpid }answers, not started by sipc-cluster" SC_LAST_STATE=foreign
        [ "$pid" = null ] || proc="$proc (its pid $pid exited)"
    fi
    line=$(jq -r --argjson c "$(sc_node_count)" --arg other "$SC_LAST_OTHER_CERT" \
        --arg cert "$SC_LAST_CERT" --arg tlsonly "$SC_LAST_TLSONLY" "$SC_JQ_FILES"'
        def word(m): if m == "off" then "plaintext" else m end;
        (.tls.mode) as $m
        | ([.services[] | "\(.name) \(word(.tls))"] | join(", ")) as $svc
        | ([.links[] | select(.up)] | length) as $up
        | ([.links[] | select(.up and (.tls | not))] | length) as $plain
        | def who: if (.node // "") != "" then .node else .address end;
          ([.links[] | select(.up and (.ping_wait_ms // 0) >= 2000)]) as $suspect
        | ([.pipeline.unresponsive[]?]) as $silent
        | (if $m == "off" then "TLS disabled" + (if $tlsonly != "" then " (\($tlsonly) TLS)" else "" end)
           else "TLS \($m)" end)
          + "  [" + $svc + "]"
          + "  cert " + (if $cert != "" then $cert[0:16]
                           + (if $other != "" then " (not cluster.json'"'"'s pair)" else "" end) else "-" end)
          + "  links \($up)/\(.links | length) up"
          + (if $plain > 0 then " (\($plain) plaintext)" else "" end)
          + (if ($suspect | length) > 0
             then ", \($suspect | length) SUSPECT (no answer to PING for \([$suspect[].ping_wait_ms] | max / 1000 | floor) s: \([$suspect[] | who] | unique | join(", ")))"
             else "" end)
          + (if ($silent | length) > 0
             then "  pipeline: \([$silent[] | who] | join(", ")) UNRESPONSIVE" else "" end)
          + ([files_trouble | "  " + .] | add // "")
          + (if .storage.writes.slow == true then "  storage: writes SLOW" else "" end)
          + (if (.storage.records_lost // [] | length) > 0 then "  storage: records lost" else "" end)
          + (if (.services | length) == 4 and $up == (.links | length) and (.links | length) >= 3 * $c - 2
                and ([files_trouble] | length) == 0 and ($suspect | length) == 0 and ($silent | length) == 0
             then "  healthy" else "  degraded" end)' <<<"$j")
    printf '%s\t%s\t%s\t%s\n' "$n" "$addr" "$proc" "$line"
    [[ "$line" == *healthy ]] && return 0 || return 1
}

# sc_pairs_judged OTHER FINGERPRINT: the nodes present more than one
# certificate, OTHER (node names) other than cluster.json's pair
# FINGERPRINT: a certificate per node from an organisation's CA (operator
# guide 2, "each its own"), or a rotation by hand under way. Whether the
# nodes accept each other's is theirs to say, by their trust/ roots and
# [tls] subject, not the harness's to work out again: their cluster judge
# (`sipcctl status --cluster`) names each node whose certificate another
# refuses as a certificate_mismatch, in words that name it. Sets
# SC_PAIRS_WORDS to what the status's last line says; fails when a node is
# named, or the judge could not be asked.
sc_pairs_judged() {
    local other=$1 fp=$2 j err
    err=$(mktemp)
    # (it exits 1 with the problems it finds: they are in its JSON all the same)
    j=$(sc_ctl --timeout 3000 status --cluster --json 2>"$err")
    if ! jq -e '.problems | arrays' <<<"$j" >/dev/null 2>&1; then
        SC_PAIRS_WORDS="not presenting the cluster's pair (sha256 ${fp:0:16}...):$other (whether the nodes accept each other's could not be asked: $(grep -v '^$' "$err" | tail -n1 | sed 's/^sipcctl: //'))"
        rm -f "$err"
        return 1
    fi
    rm -f "$err"
    SC_PAIRS_WORDS=$(jq -r --arg fp "$fp" --arg other "${other# }" "$SC_JQ_SHOWN"' shown_strings
        | [.problems[] | select(.kind == "certificate_mismatch")] as $m
        | if ($m | length) > 0 then
            "certificates the nodes do not accept of each other (sipcctl status --cluster): "
            + ([$m[].message] | join("; "))
          else
            [.nodes[] | .tls // {} | select((.certificate.fingerprint_sha256 // $fp) != $fp)] as $o
            | "\($other) \(if ($other | contains(" ")) then "present certificates" else "presents a certificate" end)"
            + " other than the pair sipc-cluster made (sha256 \($fp[0:16])..., which cluster.json names), which the nodes"
            + " accept of each other (sipcctl status --cluster finds no certificate_mismatch): issued by "
            + ([$o[].certificate.issuer | "'"'"'\(.)'"'"'"] | unique | join(", "))
            + ([$o[].required_subject // empty] | unique
               | if length > 0 then ", [tls] subject " + join(" / ") else "" end)
            + (if any(.notes[]; .kind == "rotation")
               then "; a key pair rotation under way outside sipc-cluster (sipcctl status --cluster names the next step)"
               else "" end)
          end' <<<"$j")
    ! jq -e 'any(.problems[]; .kind == "certificate_mismatch")' <<<"$j" >/dev/null
}

# sc_status_node_json NAME HEALTH LINE: the node's object of `status
# --json` (sc_node_line's SC_LAST_* for it): the harness's view and the
# node's answer as it came.
sc_status_node_json() {
    local pid
    pid=$(sc_node pid "$1")
    [[ $pid =~ ^[0-9]+$ ]] || pid=null
    jq -cn --arg n "$1" --arg a "$(sc_node address "$1")" --argjson pid "$pid" --arg state "$SC_LAST_STATE" \
        --arg health "$2" --arg err "$SC_LAST_ERR" --argjson cut "$(sc_partitioned "$1" && echo true || echo false)" \
        --arg line "$3" --argjson st "${SC_LAST_JSON:-null}" \
        '{harness: {name: $n, address: $a, pid: $pid, state: $state,
                    alive: ($state == "running" or $state == "stopped"),
                    reachable: ($st != null), health: $health,
                    error: (if $err == "" then null else $err end), partitioned: $cut, line: $line},
          status: $st}'
}

# sc_status_lines [--json]: every node's line and the cluster's, or (--json)
# one JSON object of both with the verdict; returns the exit code.
sc_status_lines() {
    local n rc=0 r modes=() unreachable="" degraded="" plain="" tlsonly="" other="" certs="" committed=""
    local json=0 line
    [ "${1:-}" = --json ] && json=1
    declare -A by_mode=()
    local lines one
    lines=$(mktemp) one=$(mktemp)
    for n in $(sc_nodes); do
        # (into a file, not $(...): its SC_LAST_* are wanted in this shell)
        sc_node_line "$n" >"$one"
        r=$?
        line=$(<"$one")
        if [ $json = 1 ]; then
            sc_status_node_json "$n" "$(case $r in 0) echo healthy ;; 1) echo degraded ;; *) echo unreachable ;; esac)" \
                "$(tr -s '\t' ' ' <<<"$line")" >>"$lines"
        else
            printf '%s\n' "$line" >>"$lines"
        fi
        case $r in
        0) ;;
        1) degraded="$degraded $n" ;;
        *) unreachable="$unreachable $n" ;;
        esac
        [ -n "$SC_LAST_PLAIN" ] && plain="$plain, $n ($SC_LAST_PLAIN)"
        [ -n "$SC_LAST_TLSONLY" ] && tlsonly="$tlsonly, $n ($SC_LAST_TLSONLY)"
        [ -n "$SC_LAST_OTHER_CERT" ] && other="$other $n"
        [ "$SC_LAST_ROT" = previous ] && committed="$committed, $n"
        [ -n "$SC_LAST_CERT" ] && certs+="$SC_LAST_CERT"$'\n'
        if [ -n "$SC_LAST_MODE" ]; then
            by_mode[$SC_LAST_MODE]="${by_mode[$SC_LAST_MODE]:-}${by_mode[$SC_LAST_MODE]:+, }$n"
        fi
    done
    # the columns as wide as their widest entry (a node started by hand
    # has a longer process column)
    [ $json = 1 ] || awk -F'\t' '{ for (i = 1; i <= 3; i++) if (length($i) > w[i]) w[i] = length($i); l[NR] = $0 }
        END { w[1] = w[1] < 4 ? 4 : w[1]; w[2] = w[2] < 15 ? 15 : w[2]; w[3] = w[3] < 26 ? 26 : w[3]
              for (k = 1; k <= NR; k++) { split(l[k], f, "\t")
                  printf "%-*s %-*s %-*s %s\n", w[1], f[1], w[2], f[2], w[3], f[3], f[4] } }' "$lines"
    rm -f "$one"
    modes=("${!by_mode[@]}")
    local summary migrating=0
    if [ ${#modes[@]} -gt 1 ] && { [ -z "${by_mode[off]:-}" ] || [ -z "${by_mode[strict]:-}" ]; }; then
        # permissive beside the other mode: no node refuses another, a
        # rolling change (out or back) half done
        local m desc=""
        for m in off permissive strict; do
            [ -n "${by_mode[$m]:-}" ] && desc="$desc; TLS $(sed 's/^off$/disabled/' <<<"$m"): ${by_mode[$m]}"
        done
        summary="cluster: MIGRATING: ${desc#; } (permissive accepts both: no node refuses another; a rolling change under way)"
        migrating=1
    elif [ ${#modes[@]} -gt 1 ]; then
        # the odd nodes: those of the smallest group (on a tie, the ones without TLS)
        local m odd="" oddn=999 cnt desc=""
        for m in off permissive strict; do
            [ -n "${by_mode[$m]:-}" ] || continue
            cnt=$(tr ',' '\n' <<<"${by_mode[$m]}" | wc -l)
            desc="$desc; TLS $(sed 's/^off$/disabled/' <<<"$m"): ${by_mode[$m]}"
            if [ "$cnt" -lt "$oddn" ] || { [ "$cnt" = "$oddn" ] && [ "$m" = off ]; }; then odd=$m oddn=$cnt; fi
        done
        summary="cluster: MISMATCH: ${by_mode[$odd]} $([ "$oddn" = 1 ] && echo runs || echo run) TLS $(sed 's/^off$/disabled/' <<<"$odd") unlike the others (${desc#; })"
        rc=$SC_EX_CHECK
    elif [ ${#modes[@]} = 1 ]; then
        # "(plaintext)" only when no listener of theirs runs TLS
        local off_word="disabled (plaintext)"
        [ -z "$tlsonly" ] || off_word=disabled
        summary="cluster: every reachable node runs TLS $(sed "s/^off\$/$off_word/" <<<"${modes[0]}")"
    else
        summary="cluster: no node answers"
    fi
    # a listener of its own in plaintext: the node is not what its mode says
    [ -n "$plain" ] && { summary="$summary, except a plaintext listener on ${plain#, }: remove [pipeline] tls = 0 there and reload"; [ $rc = 0 ] && rc=$SC_EX_CHECK; }
    # a listener of its own in TLS on a node with TLS off: as configured
    # ([pipeline] tls = 1), not a fault; its clients need the pair
    [ -n "$tlsonly" ] && summary="$summary, except a TLS-only listener ([pipeline] tls = 1) on ${tlsonly#, }"
    # nodes presenting another pair than cluster.json's: not well while a
    # rolling rotation is under way, or while a node presents a certificate
    # the others refuse; one other pair on every node is the operator's own
    # doing (`tlstool rotate` or import on every node), which only the
    # harness's record misses: said as such, with the rotation the nodes'
    # status tells (committed, not finished)
    local fp rot
    fp=$(sc_q '.fingerprint // ""')
    rot=$(sc_q '.rotating // ""')
    if [ -n "$rot" ] && [ -z "$other" ]; then
        # stopped before any node committed: every node still presents the
        # cluster's pair, but some have the new one staged, others not
        summary="$summary; a rolling rotation to sha256 ${rot:0:16}... stopped midway, before any node presents the new pair (cluster.json's rotating): run it again, it skips the nodes already done"
        [ $rc = 0 ] && rc=$SC_EX_CHECK
    fi
    if [ -n "$other" ]; then
        if [ -n "$rot" ]; then
            summary="$summary; not presenting the cluster's pair (sha256 ${fp:0:16}...):$other (a rolling rotation to sha256 ${rot:0:16}... stopped midway: run it again, it skips the nodes already done)"
            [ $rc = 0 ] && rc=$SC_EX_CHECK
        elif [ "$(sort -u <<<"$certs" | grep -c .)" -gt 1 ]; then
            sc_pairs_judged "$other" "$fp" || { [ $rc = 0 ] && rc=$SC_EX_CHECK; }
            summary="$summary; $SC_PAIRS_WORDS"
        else
            summary="$summary; every node presents sha256 ${certs:0:16}..., not the pair sipc-cluster made (sha256 ${fp:0:16}..., which cluster.json names):"
            if [ -n "$committed" ]; then
                summary="$summary a key pair rotation done outside sipc-cluster (tlstool rotate), committed on ${committed#, } and not finished there (tlstool rotate finish --reload on each ends it)"
            else
                summary="$summary another pair, rotated to (tlstool rotate) or imported outside sipc-cluster"
            fi
        fi
    fi
    [ -n "$degraded" ] && { summary="$summary; degraded:$degraded"; [ $rc = 0 ] && rc=$SC_EX_CHECK; }
    [ -n "$unreachable" ] && { summary="$summary; unreachable:$unreachable"; rc=$SC_EX_UNAVAILABLE; }
    [ $rc = 0 ] && [ $migrating = 1 ] && rc=2
    if [ $json = 1 ]; then
        jq -s --arg reason "$summary" --argjson exit "$rc" \
            '{cluster: {verdict: ({"0": "ok", "2": "migrating", "1": "not_well", "69": "unreachable"}["\($exit)"]),
                        exit: $exit, reason: $reason},
              nodes: .}' "$lines"
    else
        echo "$summary"
    fi
    rm -f "$lines"
    return $rc
}

sc_cmd_status() {
    local json=0
    while [ $# -gt 0 ]; do
        case $1 in
        --json) json=1 ;;
        -h | --help) echo "$SC_HELP_STATUS"; return 0 ;;
        -*) sc_usage "$SC_HELP_STATUS" "unknown option '$1'" ;;
        *) sc_usage "$SC_HELP_STATUS" "unknown argument '$1'" ;;
        esac
        shift
    done
    sc_open_or_die "$SC_ARG_DIR"
    SC_BIN=$(sc_q .bin)
    if [ $json = 1 ]; then
        sc_status_lines --json
        return
    fi
    sc_status_lines
}
