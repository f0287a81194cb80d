#!/usr/bin/env bash
# s2_rolling_tls.sh - scenario 2: TLS changed node by node on a live
# three-node cluster while sipc-load sends records through the pipelines and
# searches: the rolling enable (off -> permissive -> strict), a rolling
# rotation to a new pair, then the rolling disable. For each: every
# acknowledged record is found again (0 lost), the load generator saw 0
# errors, and the cluster status at the end is all TLS (all plaintext after
# the disable).
. "$(dirname "$0")/scenario.sh"
RATE=${SIPC_SCENARIO_RATE:-200}
# the last, informational wait of the gate before strict (for plaintext
# connections still being replaced, busy ones closing once answered): short
# here
export SC_TLS_IDLE_WAIT=${SC_TLS_IDLE_WAIT:-3}

cluster up -n 3 --tls off --base "$NET.0" || exit 1

# under_load NAME COMMAND...: runs the change with the load generator going
# (from the moment records are committed on every node until records are
# committed on every node again after the change: waits on the ledger, which
# fixed sleeps would only hope for on a loaded machine), then drains,
# verifies and checks the ledger.
under_load() {
    local name=$1 t0 rc
    shift
    section "$name under load ($RATE records/s)"
    # shellcheck disable=SC2086
    cluster load start --rate "$RATE" ${LOAD_ARGS:-} >"$work/load.out" 2>&1 || { not_ok "$name: load start"; cat "$work/load.out"; return; }
    wait_for 30 load_flowing || not_ok "$name: no record committed on every node 30 s after load start"
    t0=$(date +%s%3N)
    "$@" >"$work/change.out" 2>&1
    rc=$?
    t1=$(date +%s%3N)
    grep -E '^\[|done|^took|^cluster:' "$work/change.out"
    [ "$rc" = 0 ] && ok "$name: done in $(ms_since "$t0") ms" || { not_ok "$name (exit $rc)"; cat "$work/change.out"; }
    figure "$name ms" "$((t1 - t0))"
    wait_for 30 load_flowing "$t1" && ok "$name: the load goes on through every node after it" ||
        not_ok "$name: no record committed on every node within 30 s after the change"
    [ -z "${AFTER_CHANGE:-}" ] || "$AFTER_CHANGE"
    # measured, not judged: connections made before the change's last
    # reload and busy since are still being replaced (GOAWAY)
    cluster status --json >"$work/during.json" 2>/dev/null
    figure "$name plaintext conns (load on)" "$(jq '[.nodes[].status.services[]?.connections.plaintext] | add // 0' "$work/during.json")"
    load_verify "$name"
}

# status_all MODE-WORDS: every node's line shows it; checks the forbidden words
status_all() {
    local what=$1 want=$2 rc
    settled_status "$work/status.out"
    rc=$?
    cat "$work/status.out"
    if [ "$want" = strict ]; then
        [ "$rc" = 0 ] && [ "$(grep -c '^n[0-9].* TLS strict .*healthy$' "$work/status.out")" = 3 ] &&
            ! grep -Eq 'plaintext|disabled' "$work/status.out" &&
            ok "$what: status all TLS strict, healthy, no 'plaintext' or 'disabled'" || not_ok "$what: status (exit $rc)"
    else
        [ "$rc" = 0 ] && [ "$(grep -c '^n[0-9].* TLS disabled .*healthy$' "$work/status.out")" = 3 ] &&
            ok "$what: status all TLS disabled, healthy" || not_ok "$what: status (exit $rc)"
    fi
}

under_load "rolling enable" cluster tls enable --rolling
status_all "after the rolling enable" strict

pw="$work/new.pw"
(umask 077 && echo "Rotate-S2-$$" >"$pw")
"$BIN/tlstool" --home "$(client_home)" create -site "$work/new.pfx" --password-file "$pw" >/dev/null || not_ok "create the new pair"
old=$(jq -r .fingerprint "$CL/cluster.json")
# The rotation runs with the generator's normal settings: it loads the client
# home's security again when its files change (the rotation stages, commits
# and finishes there too) and makes its new connections with it. Its log
# names the certificates both ends of a new pipeline connection presented: a
# connection to every node with the new one on both ends shows it switched;
# once every node has finished they trust only the new pair, and its calls
# still succeed (0 errors in the report). (load start moves the previous
# run's load.log aside: the log is this run's.)
load_log="$CL/load/load.log"
new_pair_links() {
    local fp=$1 n
    for n in $(jq -r '.nodes[].name' "$CL/cluster.json"); do
        grep -q "pipeline connection to $n up, certificate ${fp:0:16}, the node's ${fp:0:16}\$" "$load_log" || return 1
    done
}
after_rotation() {
    local fp
    fp=$(jq -r .fingerprint "$CL/cluster.json")
    if wait_for 20 new_pair_links "$fp"; then
        ok "sipc-load switched to the new pair: a pipeline connection to every node came up with ${fp:0:16} on both ends"
        grep -E "security changed|pipeline connection" "$load_log" | sed 's/^/    /'
    else
        not_ok "sipc-load's new connections after the rotation (want certificate ${fp:0:16} toward every node)"
        grep -E "security|pipeline connection" "$load_log" | tail -n 20
    fi
    figure "load security reloads" "$(grep -c "client home's security changed" "$load_log")"
}
AFTER_CHANGE=after_rotation under_load "rolling rotation" cluster tls rotate --rolling "$work/new.pfx" --password-file "$pw"
status_all "after the rolling rotation" strict
new=$(jq -r .fingerprint "$CL/cluster.json")
[ "$new" != "$old" ] && [ "$(grep -c "cert ${new:0:16} " "$work/status.out")" = 3 ] &&
    ok "every node presents the new pair (${new:0:16}, was ${old:0:16})" || not_ok "the nodes' certificates after the rotation"

under_load "rolling disable" cluster tls disable --rolling
status_all "after the rolling disable" off
