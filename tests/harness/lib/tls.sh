# tls.sh - rolling TLS changes of a running cluster, node by node, with the
# operator's own commands (docs/operator-guide.md 1.5, 1.7, 1.8): tlstool on
# each node's home with --reload, then a wait until that node is healthy in
# the new mode before the next one. A refusal by a node (the strict guard,
# tlstool exit 12) or by tlstool's own guards (exit 16, 18) stops the
# procedure where it is (exit 1): nothing is forced; what to do is said
# (sc_tls_guard_advice, sc_tls_tool_guard_refused).

SC_TLS_STEP_WAIT=${SC_TLS_STEP_WAIT:-30}  # seconds a node may take to be healthy after a step
SC_TLS_QUIET_WAIT=${SC_TLS_QUIET_WAIT:-60} # seconds to wait for plaintext to go before strict

# The mode a node runs with now (off, permissive, strict), from its status.
sc_live_mode() { sc_node_status_text "$1" 2000 | jq -r '.tls.mode // empty'; }

# sc_tls_dead_nodes: one line per node whose process is gone or paused
# ("n3 is not running (pid 11633 exited)"), the node's name first.
sc_tls_dead_nodes() {
    local n pid st
    # (cluster.json read once: this runs at every try of a wait)
    while read -r n pid st; do
        if ! sc_pid_is "$pid" "$st"; then
            [ "$pid" = null ] && echo "$n is not running" || echo "$n is not running (pid $pid exited)"
        elif [ "$(sc_pid_state "$pid")" = T ]; then
            echo "$n is stopped (SIGSTOP, pid $pid): it answers nothing"
        fi
    done < <(sc_q '.nodes[] | "\(.name) \(.pid) \(.start_time)"')
}
# sc_tls_dead_hint DEAD-LINES: what brings those nodes back.
sc_tls_dead_hint() {
    local names
    names=$(cut -d' ' -f1 <<<"$1" | paste -sd' ')
    if grep -q 'SIGSTOP' <<<"$1"; then
        echo "sipc-cluster restart NODE, or kill NODE --signal CONT for a stopped one ($names)"
    else
        echo "sipc-cluster restart ${names// /, restart }"
    fi
}
# sc_node_down_peers NAME: the nodes NAME's links that are down lead to
# (named from cluster.json when the link never learnt the peer's id), comma
# separated; fails when NAME does not answer.
sc_node_down_peers() {
    local j
    j=$(sc_node_status_text "$1" 2000) || return 1
    jq -r --argjson names "$(sc_addr_names)" "$SC_JQ_PEER"'
        [.links[] | select(.up | not) | peer] | unique | join(", ")' <<<"$j"
}

# sc_tls_live_mode NODE: the mode NODE runs now; when its status cannot be
# read (5 s, no wait for a dead or stopped node), exits 69 saying why: a
# mode not read is no mode, never one a step finds done already. Call it as
# mode=$(sc_tls_live_mode N) || exit.
sc_tls_live_mode() {
    local n=$1 j why dead deadline
    deadline=$(($(sc_now_ms) + 5000))
    while :; do
        if j=$(sc_node_status_why "$n" 2000); then
            j=$(jq -r "$SC_JQ_SHOWN"' .tls.mode // "" | shown' <<<"$j")
            [ -n "$j" ] && { echo "$j"; return 0; }
            why="its status names no TLS mode"
        else
            why=$j
        fi
        dead=$(sc_tls_dead_nodes | grep "^$n ")
        [ -z "$dead" ] && [ "$(sc_now_ms)" -lt "$deadline" ] || break
        sleep 0.5
    done
    [ -z "$dead" ] || sc_die "$SC_EX_UNAVAILABLE" "stopped at $n: its TLS mode could not be read: $dead;" \
        "nothing was changed on $n ($(sc_tls_dead_hint "$dead"), then run the same command again: it skips the nodes already done)"
    sc_die "$SC_EX_UNAVAILABLE" "stopped at $n: its TLS mode could not be read: $why; nothing was changed on $n" \
        "(see sipc-cluster status and logs $n, then run the same command again: it skips the nodes already done)"
}

# sc_tls_check_alive WHEN STATE: every node's process runs (no step can
# become healthy while another node is gone); else exits 69 naming the dead
# ones: "stopped WHEN: n3 is not running (pid N exited); STATE (...)".
sc_tls_check_alive() {
    local dead
    dead=$(sc_tls_dead_nodes)
    [ -z "$dead" ] && return 0
    sc_die "$SC_EX_UNAVAILABLE" "stopped $1: $(paste -sd';' <<<"$dead" | sed 's/;/; /g'); $2" \
        "($(sc_tls_dead_hint "$dead"), then run the same command again: it skips the nodes already done)"
}

# sc_tls_step_failed NODE WANT: NODE is not healthy in mode WANT after its
# step: says why (a dead node, the links down, the mode) and exits 69.
sc_tls_step_failed() {
    local n=$1 want=$2 dead self others mode peers j
    dead=$(sc_tls_dead_nodes)
    self=$(grep "^$n " <<<"$dead")
    others=$(grep -v "^$n " <<<"$dead")
    [ -z "$self" ] || sc_die "$SC_EX_UNAVAILABLE" "stopped at $n: $self after its step (see sipc-cluster logs $n)"
    if ! j=$(sc_node_status_text "$n" 2000); then
        sc_die "$SC_EX_UNAVAILABLE" "stopped at $n: it runs but does not answer its status after the step (see sipc-cluster status and logs $n)"
    fi
    mode=$(jq -r '.tls.mode' <<<"$j")
    peers=$(sc_node_down_peers "$n")
    if [ -n "$others" ]; then
        sc_die "$SC_EX_UNAVAILABLE" "stopped after $n: $(paste -sd';' <<<"$others" | sed 's/;/; /g');" \
            "$n runs $mode${peers:+ but its links to $peers are down}" \
            "($(sc_tls_dead_hint "$others"), then run the same command again: it skips the nodes already done)"
    fi
    if [ "$mode" != "$want" ]; then
        sc_die "$SC_EX_UNAVAILABLE" "stopped at $n: it runs $mode, not $want, ${SC_TLS_STEP_WAIT}s after the step (see sipc-cluster status and logs $n)"
    fi
    if [ -n "$peers" ]; then
        sc_die "$SC_EX_UNAVAILABLE" "stopped at $n: it runs $want but its links to $peers are still down ${SC_TLS_STEP_WAIT}s after the step" \
            "(every node runs: see sipc-cluster status, and logs $n and of $peers)"
    fi
    sc_die "$SC_EX_UNAVAILABLE" "stopped at $n: not healthy in mode '$want' within ${SC_TLS_STEP_WAIT}s after the step (see sipc-cluster status and logs $n)"
}

# The wait after a step ends early when a node dies: NODE cannot become
# healthy without its links to it.
sc_tls_step_settled() { sc_node_healthy "$1" "$2" || [ -n "$(sc_tls_dead_nodes)" ]; }

# sc_tls_guard_advice NODE: what to do when NODE's strict guard refused to go
# strict (docs/operator-guide.md 1.5, "The strict guard"): TLS on the peers it
# names, or, for peers meant to be cut off, the override with what it does.
sc_tls_guard_advice() {
    local n=$1 ns cmd
    ns=$(sc_node netns "$n")
    cmd="$(printf '%q --home %q' "$SC_BIN/tlstool" "$(sc_node home "$n")") mode strict --reload --force"
    [ -n "$ns" ] && [ "$ns" != null ] && cmd="ip netns exec $ns $cmd"
    sc_err "$n's strict guard refused: the peers named above spoke plaintext to it within its [tls] strict_guard_window."
    sc_err "Either give each of them TLS as the node's message says (a node: TLS on, permissive; a sipcctl: the cluster's"
    sc_err "pair in its home): its next TLS connection to $n clears it at once; one gone for good stops counting once the"
    sc_err "window has passed since its last connection. Then run the same command again: it skips the nodes already done."
    sc_err "Or, only if those peers are to be cut off (retired hosts, clients that will never get the cluster's pair):"
    sc_err "  $cmd"
    sc_err "goes strict anyway and cuts the listed peers off: $n refuses every new plaintext connection of theirs"
    sc_err "(those open now last until they close); each service logs 'Reload forced'. Sent over TLS, as from"
    sc_err "$n's home, it acknowledges them: they no longer hold $n back, and a restart within the window stays"
    sc_err "strict; one that connects again over plaintext, or a plaintext peer never seen before, holds it back"
    sc_err "as before. Then run the same command again; the nodes after $n may name the same peers."
}

# sc_tls_tool_guard_refused NODE RC TLSTOOL-ARGS: tlstool's own guard
# refused the step before it changed anything (exit 16: disable while
# another node runs strict, guide 1.7; exit 18: rotate finish while another
# node still presents the pair it drops, guide 1.8): a refusal the caller
# deals with, as a node's (exit 1), not a failure of the harness. Nothing to
# put back: tlstool wrote nothing and did not ask the node. What clears it
# is said; --force is the way through when those nodes are to be cut off.
sc_tls_tool_guard_refused() {
    local n=$1 rc=$2 args=$3 ns cmd what fix
    ns=$(sc_node netns "$n")
    cmd="$(printf '%q --home %q' "$SC_BIN/tlstool" "$(sc_node home "$n")") $args --force"
    [ -n "$ns" ] && [ "$ns" != null ] && cmd="ip netns exec $ns $cmd"
    if [ "$rc" = 16 ]; then
        what="another [cluster] node runs strict (named above): going off would cut $n off from it"
        fix="run \`tlstool mode permissive --reload\` on it first"
    else
        what="another [cluster] node still presents the pair $n's finish stops trusting, or could not be asked which it presents (named above)"
        fix="let it commit first (\`tlstool rotate commit --reload\` on it)"
    fi
    sc_err "stopped at $n: tlstool's guard refused the step (exit $rc): $what."
    sc_err "Nothing was changed on $n (sipc.conf not written, the node not asked): nothing to put back."
    sc_err "The nodes before $n are changed, those after are not. To go on without a gap, $fix,"
    sc_err "then run the same command again: it skips the nodes already done. Or, only if that node is to be cut off:"
    sc_err "  $cmd"
    sc_err "then run the same command again."
    exit "$SC_EX_CHECK"
}

# sc_tls_put_back NODE TLSTOOL-COMMAND BEFORE AFTER: after NODE refused a
# step, its sipc.conf must not keep the step's change, or any later reload
# or restart (someone else's, for another reason) would apply it unasked. A
# refused `mode` step puts back exactly what sipc.conf held before it (the
# file BEFORE), not the running mode: a node the start guard holds back runs
# permissive under a sipc.conf that says strict, and that intent predates
# the step. Only while sipc.conf still holds what the step left (the file
# AFTER, read as tlstool returned), as tlstool's own put-back does: an edit
# made since by someone else is never undone. `enable` from TLS off puts
# sipc.conf back itself.
sc_tls_put_back() {
    local n=$1 cmd=$2 before=$3 after=$4 conf tmp mode live
    live=$(sc_live_mode "$n")
    if [ "$cmd" != mode ]; then
        sc_err "$n keeps running as before (its sipc.conf has the change: a later reload or restart applies it"
        sc_err "once the node accepts it)."
        return 0
    fi
    conf="$(sc_node home "$n")/sipc.conf"
    if [ ! -L "$conf" ] && [ -s "$before" ] && cmp -s "$conf" "$after" &&
        tmp=$(mktemp "$conf.put-back.XXXXXX") && cp -p "$before" "$tmp" &&
        cmp -s "$conf" "$after" && mv -f "$tmp" "$conf"; then
        mode=$(sc_tlstool "$n" status --json 2>/dev/null | jq -r '.tls_mode // empty')
        sc_err "$n keeps running ${live:-as before}; its sipc.conf was set back to mode = ${mode:-?}, as it was before"
        sc_err "the step (no reload), so no later reload or restart applies the refused change unasked."
    else
        [ -n "${tmp:-}" ] && rm -f "$tmp"
        sc_err "$n keeps running ${live:-as before}, but its sipc.conf was not set back (it changed since the step,"
        sc_err "or is a link, or could not be written): it may still ask for the refused change, which its next"
        sc_err "reload or restart applies."
    fi
}

# sc_tls_apply NODE WANT-MODE DESCRIPTION TLSTOOL-ARGS...: one step on one node.
# Returns 0, or exits: SC_EX_CHECK when the node or tlstool's guard refused
# (the reason printed),
# SC_EX_UNAVAILABLE when a node is dead, it could not be asked or did not
# become healthy.
sc_tls_apply() {
    local n=$1 want=$2 what=$3 out rc t0 before after conf
    shift 3
    sc_tls_check_alive "before the step on $n" "nothing was changed on $n"
    sc_step "$n: $what (tlstool $*)"
    # sipc.conf as the step found it and as it left it, for a put-back
    conf="$(sc_node home "$n")/sipc.conf"
    before=$(mktemp) after=$(mktemp)
    cp -p "$conf" "$before" 2>/dev/null || : >"$before"
    t0=$(sc_now_ms)
    out=$(sc_tlstool "$n" "$@" 2>&1)
    rc=$?
    cp "$conf" "$after" 2>/dev/null || : >"$after"
    sed 's/^/    /' <<<"$out"
    [ "$rc" = 12 ] || rm -f "$before" "$after"
    case $rc in
    0) ;;
    12)
        sc_err "stopped at $n: the node refused the reload (tlstool exit 12); nothing was forced."
        sc_tls_put_back "$n" "$1" "$before" "$after"
        rm -f "$before" "$after"
        sc_err "the nodes before $n are changed, those after are not."
        if grep -q 'going strict would cut off peers still speaking plaintext' <<<"$out"; then
            sc_tls_guard_advice "$n"
        else
            sc_err "Fix the cause named above and run the same command again: it skips the nodes already done"
        fi
        exit "$SC_EX_CHECK"
        ;;
    13)
        sc_tls_check_alive "at $n (tlstool exit 13: the node could not be asked to reload)" "$n may or may not have changed"
        sc_die "$SC_EX_UNAVAILABLE" "stopped at $n: the node could not be asked to reload (tlstool exit 13)"
        ;;
    16 | 18) sc_tls_tool_guard_refused "$n" "$rc" "$*" ;;
    *) sc_die "$SC_EX_SOFTWARE" "stopped at $n: tlstool $* exited $rc" ;;
    esac
    # the wait ends when the node is healthy (a moment's blip after that,
    # a link being replaced, is no failure: its health is not asked twice)
    # or when a node died
    if ! sc_wait "$SC_TLS_STEP_WAIT" sc_tls_step_settled "$n" "$want" || [ -n "$(sc_tls_dead_nodes)" ]; then
        sc_tls_step_failed "$n" "$want"
    fi
    printf '    %s healthy, TLS %s, after %d ms\n' "$n" "$want" $(($(sc_now_ms) - t0))
}

# sc_home_fingerprint HOME: the SHA-256 of the certificate imported in HOME
# (lower-case hex), nothing when it has none.
sc_home_fingerprint() {
    openssl x509 -in "$1/security/node.crt" -noout -fingerprint -sha256 2>/dev/null | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'
}

# sc_tls_need_pair: every node's home and the client home hold a key pair;
# a cluster made with `up --no-pair` has none until one is imported by hand,
# and a step would only fail on it, so the change stops before any step,
# saying how to make and import it. Records the pair's fingerprint in
# cluster.json when none is there yet.
sc_tls_need_pair() {
    local n h missing="" homes="" client pfx pw make=""
    client=$(sc_q .client_home)
    for n in $(sc_nodes) client; do
        h=$client
        [ "$n" = client ] || h=$(sc_node home "$n")
        [ -f "$h/security/node.crt" ] && continue
        missing="$missing, $([ "$n" = client ] && echo "the client home" || echo "$n")"
        homes="$homes $h"
    done
    if [ -n "$missing" ]; then
        pfx=$(sc_q .pair) pw=$(sc_q .password_file)
        [ -f "$pfx" ] || make="tlstool create -site $pfx --password-file $pw; "
        sc_die "$SC_EX_CONFIG" "no key pair in ${missing#, } (up --no-pair makes none): nothing was changed; create one and import it in each home, as the operator procedure does (docs/operator-guide.md 1.2, 1.3): ${make}tlstool --home HOME import $pfx --password-file $pw for each HOME of:$homes; then run the same command again"
    fi
    [ -n "$(sc_q '.fingerprint // ""')" ] && return 0
    local fp
    fp=$(sc_home_fingerprint "$client")
    [ -z "$fp" ] || sc_update '.fingerprint = $f' --arg f "$fp"
}

# Every node must answer its status before a rolling change starts (its links
# may be down: a rolling enable is also how a mismatched cluster is repaired).
sc_tls_precheck() {
    local n bad="" dead
    dead=$(sc_tls_dead_nodes)
    [ -z "$dead" ] || sc_die "$SC_EX_UNAVAILABLE" "$(paste -sd';' <<<"$dead" | sed 's/;/; /g'): a rolling change needs the whole cluster up ($(sc_tls_dead_hint "$dead"))"
    _sc_answers() { sc_node_status "$1" 2000 >/dev/null; }
    for n in $(sc_nodes); do
        sc_wait 5 _sc_answers "$n" || bad="$bad $n"
    done
    local cut=""
    for n in $bad; do sc_partitioned "$n" && cut="$cut $n"; done
    [ -z "$bad" ] || sc_die "$SC_EX_UNAVAILABLE" "not every node answers (${bad# }): a rolling change needs the whole cluster up (sipc-cluster status)${cut:+; cut off by sipc-cluster partition:$cut (sipc-cluster heal first)}"
}

# sc_tls_check_all_tls NODE: `tlstool check` on the node passes and reports
# every node "TLS ..., same certificate" (guide 1.5); its TLS probes also
# clear the plaintext guard entry an earlier plaintext check left.
sc_tls_check_all_tls() {
    local out
    out=$(sc_tlstool "$1" check 2>&1) || return 1
    [ "$(grep -c ': reachable, TLS (.*same certificate' <<<"$out")" = "$(sc_node_count)" ]
}
# sc_tls_no_plaintext_peer: `sipcctl status --cluster` lists no
# plaintext_peer problem and every node answered (guide 1.5; one not
# reached for a certificate refused is a certificate_mismatch problem).
sc_tls_no_plaintext_peer() {
    local n
    n=$(sc_nodes | head -n1)
    local j
    # (exit 1 when any problem is listed: "permissive" is expected here)
    j=$(sc_ctl --timeout 3000 --node "$(sc_node address "$n"):$(sc_node_port management "$n")" status --cluster --json 2>/dev/null)
    jq -e '.nodes and ([.problems[]? | select(.kind == "plaintext_peer" or .kind == "unreachable")] | length == 0)
        and ([.nodes[] | select(.reachable == false)] | length == 0)' <<<"$j" >/dev/null
}

# The gate before strict (guide 1.5): `tlstool check` until every node shows
# "TLS, same certificate"; then until no node's strict guard lists a peer
# whose latest connection was plaintext (what decides whether a node goes
# strict). Then, for at most SC_TLS_IDLE_WAIT seconds, until no live plaintext
# link or connection (the cluster status's "plaintext_peer") is left. None
# keeps plaintext for good: each reload sent a GOAWAY to every connection
# made before it, idle or busy, and a busy one closes once its calls are
# answered (10 s at most); a permissive dialer's plaintext fallback to a
# listener that now takes TLS is offered TLS again (at once, then backing
# off up to 10 s). What is still being replaced when the wait ends is
# printed and the procedure goes on: the guards decide, and they look at
# each peer's latest connection. Returns 1 when the guards still list
# plaintext peers.
SC_TLS_IDLE_WAIT=${SC_TLS_IDLE_WAIT:-10}
sc_tls_plaintext_report() { # FUNCTION: its lines for every node, prefixed
    local n out=""
    for n in $(sc_nodes); do out+=$("$1" "$n" | sed "s/^/$n: /")$'\n'; done
    grep -v '^$' <<<"$out"
}
# sc_tls_clear_own_homes: guard entries left by the harness's own homes (a
# node's, the client's: "sipcctl:USER@HOST home TAG") while the cluster was
# plaintext. Each of those homes holds the pair now, so one sipcctl ping
# from it over TLS (tlstool's connections are not counted) clears its entry
# on that node, as the guard's message says; said for each.
sc_tls_clear_own_homes() {
    local n m home tag tags="" j addr who
    SC_OWN_TAGS=""
    for home in "$(sc_q .client_home)" $(sc_q '.nodes[].home'); do
        tag=$("$SC_BIN/tlstool" --home "$home" status --json 2>/dev/null | jq -r '.home_tag // empty')
        [ -n "$tag" ] && tags+="$tag $home"$'\n' && SC_OWN_TAGS+=" $tag"
    done
    for n in $(sc_nodes); do
        j=$(sc_node_status_text "$n" 2000) || continue
        addr="$(sc_node address "$n"):$(sc_node_port management "$n")"
        for tag in $(jq -r '.guard.plaintext_peers[]?.node | select(startswith("sipcctl:") and contains(" home ")) | sub(".* home "; "")' <<<"$j" | sort -u); do
            home=$(awk -v t="$tag" '$1 == t { print $2; exit }' <<<"$tags")
            [ -n "$home" ] || continue
            m=$(sc_q '.nodes[] | select(.home == $h) | .name' --arg h "$home")
            who="the client home"
            [ -n "$m" ] && who="$m's home"
            echo "    $n: its guard lists sipcctl from $who (home $tag): one sipcctl ping from there over TLS clears it"
            if [ -n "$m" ]; then
                sc_in_node "$m" "$SC_BIN/sipcctl" --home "$home" --timeout 3000 --node "$addr" ping >/dev/null 2>&1
            else
                sc_in_client "$SC_BIN/sipcctl" --home "$home" --timeout 3000 --node "$addr" ping >/dev/null 2>&1
            fi
        done
    done
}
sc_tls_wait_no_plaintext() {
    local left deadline first
    first=$(sc_nodes | head -n1)
    deadline=$(($(sc_now_ms) + SC_TLS_QUIET_WAIT * 1000))
    sc_step "$first: tlstool check until every node shows \"TLS, same certificate\""
    while ! sc_tls_check_all_tls "$first"; do
        sc_tls_check_alive "before strict" "the running nodes are permissive"
        if [ "$(sc_now_ms)" -ge "$deadline" ]; then
            sc_tlstool "$first" check 2>&1 | grep -E '^[0-9a-f.:]+: ' | sed 's/^/    /'
            return 1
        fi
        sleep 0.5
    done
    sc_tlstool "$first" check 2>&1 | grep -E ': reachable|CHECK' | sed 's/^/    /'
    sc_step "until no node's strict guard lists a peer speaking plaintext"
    sc_tls_clear_own_homes
    local said
    said=$(sc_now_ms)
    while left=$(sc_tls_plaintext_report sc_node_guard_plaintext) && [ -n "$left" ]; do
        sc_tls_check_alive "before strict" "the running nodes are permissive"
        # a sipcctl of a home not the cluster's clears its entry only by a
        # TLS connection of its own, which no wait here brings
        if ! grep -qv ': foreign: ' <<<"$left"; then
            echo "    the guards list only peers the harness cannot clear, sipcctl from homes that are not" \
                "the cluster's (each one's next connection over TLS, the cluster's pair in its home, clears it):"
            sed 's/: foreign: /: /; s/^/      /' <<<"$left"
            return 1
        fi
        if [ "$(sc_now_ms)" -ge "$deadline" ]; then
            echo "    after ${SC_TLS_QUIET_WAIT}s the guards still list plaintext peers:"
            sed 's/: foreign: /: /; s/^/      /' <<<"$left"
            return 1
        fi
        # a long wait says what it waits for
        if [ $(($(sc_now_ms) - said)) -ge 5000 ]; then
            said=$(sc_now_ms)
            echo "    [$(date +%H:%M:%S)] still waiting ($(((deadline - said + 999) / 1000)) s left) for $(wc -l <<<"$left") guard entr$([ "$(wc -l <<<"$left")" = 1 ] && echo y || echo ies): $(head -n1 <<<"$left" | sed 's/: foreign: /: /')"
        fi
        sleep 0.5
    done
    echo "    no guard lists a plaintext peer"
    sc_step "sipcctl status --cluster: no \"plaintext_peer\" left (at most ${SC_TLS_IDLE_WAIT}s)"
    deadline=$(($(sc_now_ms) + SC_TLS_IDLE_WAIT * 1000))
    while :; do
        left=$(sc_tls_plaintext_report sc_node_live_plaintext)
        if [ -z "$left" ] && sc_tls_no_plaintext_peer; then
            echo "    every link and connection is TLS"
            return 0
        fi
        [ "$(sc_now_ms)" -ge "$deadline" ] && break
        sleep 0.5
    done
    echo "    still plaintext: $(wc -l <<<"$left") links/connections being replaced (a reload's GOAWAY closes a busy one"
    echo "    once its calls are answered, 10 s at most; a plaintext fallback is offered TLS again); their peers'"
    echo "    newer connections are TLS, so the guards allow strict:"
    sed 's/^/      /' <<<"$left"
    return 0
}

# sc_tls_phase FROM WANT DESCRIPTION TLSTOOL-ARGS...: one pass over the nodes
# in order: each whose live mode is one of FROM (e.g. "off|permissive") gets
# the step and must be healthy in mode WANT before the next; the others are
# said to need nothing (so the same command run again after a stop resumes).
sc_tls_phase() {
    local from=$1 want=$2 what=$3 n mode
    shift 3
    for n in $(sc_nodes); do
        mode=$(sc_tls_live_mode "$n") || exit
        if [[ "$mode" =~ ^($from)$ ]]; then
            sc_tls_apply "$n" "$want" "$what" "$@"
        else
            sc_step "$n: TLS ${mode/off/disabled} already, nothing to do"
        fi
    done
}

sc_tls_enable_rolling() {
    sc_tls_need_pair
    sc_tls_precheck
    echo "rolling enable: every node to permissive, then every node to strict"
    sc_tls_phase off permissive "TLS on, permissive (accepts TLS and plaintext)" enable --mode permissive --reload
    # The guard would refuse anyway; waiting first keeps a refusal for a real cause.
    sc_tls_wait_no_plaintext || echo "    going on: the nodes' guards decide (a refusal stops here)"
    sc_tls_phase "off|permissive" strict "strict (TLS only)" mode strict --reload
    local left
    left=$(sc_tls_plaintext_report sc_node_live_plaintext)
    if [ -n "$left" ]; then
        echo "note: $(wc -l <<<"$left") links/connections made before the last switch still carry plaintext: each"
        echo "      got its node's GOAWAY at the reload and closes once its calls are answered (10 s at most)"
    fi
    echo "rolling enable done: every node runs TLS strict"
}

sc_tls_disable_rolling() {
    sc_tls_precheck
    echo "rolling disable: every node to permissive, then every node to TLS off"
    sc_tls_phase strict permissive "permissive first, so that no node refuses another" mode permissive --reload
    sc_tls_phase "permissive|strict" off "TLS off" disable --reload
    echo "rolling disable done: every node runs with TLS off"
}

# sc_tls_client_step WHAT TLSTOOL-ARGS...: a rotation step in the client home
# (no node runs from it: no reload).
sc_tls_client_step() {
    local what=$1
    shift
    sc_step "client home: $what"
    "$SC_BIN/tlstool" --home "$(sc_q .client_home)" "$@" | sed 's/^/    /'
    [ "${PIPESTATUS[0]}" = 0 ] || sc_die "$SC_EX_SOFTWARE" "tlstool $* in the client home failed"
}

# sc_pfx_fingerprint PFX PASSWORD-FILE: the SHA-256 of the PKCS#12 file's
# certificate (lower-case hex), as tlstool status names a home's; openssl
# reads an old (RC2) file only with -legacy.
sc_pfx_fingerprint() {
    local leg crt
    for leg in "" -legacy; do
        # shellcheck disable=SC2086
        crt=$(openssl pkcs12 $leg -in "$1" -passin "file:$2" -nokeys -clcerts 2>/dev/null) || continue
        openssl x509 -noout -fingerprint -sha256 <<<"$crt" 2>/dev/null | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'
        return 0
    done
    return 1
}

# sc_tls_rotation_at NAME|client FP: where that home stands in a rotation to
# the pair FP, from its files (tlstool status): "none" (not begun),
# "staged", "committed", "finished", or another rotation's state in words
# (a rotation to another pair, a roll-back), which no step of this one
# fits. What lets the same command, run again after a stop, skip the steps
# already done: tlstool refuses a second stage after a commit.
sc_tls_rotation_at() {
    local who=$1 fp=$2 j
    if [ "$who" = client ]; then
        j=$("$SC_BIN/tlstool" --home "$(sc_q .client_home)" status --json 2>/dev/null)
    else
        j=$(sc_tlstool "$who" status --json 2>/dev/null)
    fi
    jq -r --arg fp "$fp" '(.certificate.fingerprint_sha256 // "") as $c | (.rotation // {}) as $r
        | ($r.state // "none") as $s
        | if $s == "none" then (if $c == $fp then "finished" else "none" end)
          elif $s == "staged" and $r.staged_fingerprint == $fp then "staged"
          elif $s == "committed" and $c == $fp then "committed"
          else "in a rotation \($s) to another pair (staged \($r.staged_fingerprint // "-" | .[0:16]), presenting \($c[0:16]))"
          end' <<<"${j:-null}"
}
# sc_tls_rotate_step WHO FP DONE-STATES WHAT TLSTOOL-ARGS...: one rotation
# step on a node (or "client", the client home), unless its home is in one
# of DONE-STATES already (said, as the other rolling changes say a node
# that needs nothing); a home in another rotation stops the procedure with
# what to do (exit 1), before anything is changed there.
sc_tls_rotate_step() {
    local who=$1 fp=$2 done=$3 what=$4 at label=$1
    shift 4
    [ "$who" = client ] && label="client home"
    at=$(sc_tls_rotation_at "$who" "$fp")
    if [[ " $done " == *" $at "* ]]; then
        sc_step "$label: $what: $at already, nothing to do"
        return 0
    fi
    case $at in
    none | staged | committed) ;;
    *)
        sc_die "$SC_EX_CHECK" "stopped at $label: its home is $at, not the rotation to ${fp:0:16}...:" \
            "finish or abort that one first (tlstool rotate status on it), then run the same command again"
        ;;
    esac
    if [ "$who" = client ]; then
        sc_tls_client_step "$what" "$@"
    else
        at=$(sc_tls_live_mode "$who") || exit
        sc_tls_apply "$who" "$at" "$what" "$@"
    fi
}

# sc_tls_rotate_rolling PFX PASSWORD-FILE: stage on every node (and on the
# client home), commit node by node, commit the client, finish everywhere.
# Run again after a stop, it skips what each home has done already.
sc_tls_rotate_rolling() {
    local pfx=$1 pwf=$2 n mode fp client
    client=$(sc_q .client_home)
    [ -r "$pfx" ] || sc_die "$SC_EX_USAGE" "cannot read $pfx"
    [ -r "$pwf" ] || sc_die "$SC_EX_USAGE" "cannot read the password file $pwf"
    sc_tls_need_pair
    sc_tls_precheck
    for n in $(sc_nodes); do
        mode=$(sc_tls_live_mode "$n") || exit
        [ "$mode" = off ] && sc_die "$SC_EX_CHECK" "$n runs with TLS off: a rotation needs TLS on every node (tls enable --rolling first)"
    done
    fp=$(sc_pfx_fingerprint "$pfx" "$pwf") && [ -n "$fp" ] ||
        sc_die "$SC_EX_USAGE" "cannot read the certificate of $pfx with the password in $pwf"
    # status names the rotation while it is under way (nodes presenting a
    # pair that is not yet cluster.json's)
    sc_update '.rotating = $f' --arg f "$fp"
    echo "rolling rotation: stage the new pair everywhere, commit node by node, finish everywhere"
    for n in $(sc_nodes) client; do
        sc_tls_rotate_step "$n" "$fp" "staged committed finished" "stage the new pair (trusted, not presented yet)" \
            rotate stage "$pfx" --password-file "$pwf" $([ "$n" = client ] || echo --reload)
    done
    for n in $(sc_nodes) client; do
        sc_tls_rotate_step "$n" "$fp" "committed finished" "commit: present the new pair, still trust the old one" \
            rotate commit $([ "$n" = client ] || echo --reload)
    done
    for n in $(sc_nodes) client; do
        sc_tls_rotate_step "$n" "$fp" "finished" "finish: trust the new pair only" \
            rotate finish $([ "$n" = client ] || echo --reload)
    done
    # the cluster's pair is the new one from now on
    install -m 600 "$pfx" "$SC_DIR/cluster.pfx" && install -m 600 "$pwf" "$SC_DIR/password" ||
        sc_die "$SC_EX_SOFTWARE" "cannot copy the new pair into $SC_DIR"
    fp=$(sc_home_fingerprint "$client")
    sc_update '.fingerprint = $f | del(.rotating)' --arg f "$fp"
    echo "rolling rotation done: every node presents and trusts only the new pair (sha256 ${fp:0:16}...)"
}
