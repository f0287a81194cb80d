#!/usr/bin/env bash
# s3_kill_restart.sh - scenario 3: a node killed with SIGKILL while sipc-load
# sends records through every pipeline of a three-node TLS cluster, then
# restarted. Nothing acknowledged is lost (records n2 acknowledged just before
# it died included), the generator sees no error, and the pipeline catches up:
# the records outstanding while n2 was down are acknowledged after its
# restart. Prints the restart time and the recovery time (restart to the
# generator's outstanding records back to normal).
. "$(dirname "$0")/scenario.sh"
RATE=${SIPC_SCENARIO_RATE:-200}
DOWN_S=${SIPC_SCENARIO_DOWN:-3}

cluster up -n 3 --tls strict --base "$NET.0" || exit 1
ledger=$(jq -r .dir "$CL/cluster.json")/load/ledger
n2=$(node_addr n2)

section "load ($RATE records/s), then n2 killed with SIGKILL for ${DOWN_S}s"
cluster load start --rate "$RATE" >/dev/null || { not_ok "load start"; exit 1; }
cluster load start --rate "$RATE" >"$work/load2.out" 2>&1
rc=$?
[ "$rc" = 75 ] && grep -q "a generator already runs" "$work/load2.out" &&
    ok "a second load start while one runs: exit 75 (in use), the first one left running" ||
    { not_ok "a second load start while one runs: exit $rc, not 75"; cat "$work/load2.out"; }
# the load under way before the kill: records committed on every node (n2's
# among those checked after the kill) and three progress lines, the
# outstanding level they show being the one the recovery is judged by (what
# a fixed sleep gave, until the generator started slowly on a busy machine)
# P lines: P T SENT ACKED ERRORS OUTSTANDING LONGEST_STALL MAX_LATENCY RETRIES
load_steady() { load_flowing && [ "$(grep -c '^P ' "$ledger")" -ge 3 ]; }
wait_for 30 load_steady || not_ok "the load is not committed on every node 30 s after load start"
normal=$(awk '$1 == "P" {print $6}' "$ledger" | sort -n | tail -n1)
t_kill=$(date +%s%3N)
cluster kill n2 --signal KILL && ok "n2 killed (SIGKILL)" || not_ok "kill n2"
# A lines: A T DEST SEQS, SEQS a list of seqs and ranges (0-19,24)
acked_n2=$(awk -v t="$t_kill" -v d="$n2:" '$1 == "A" && $2 <= t && index($3, d) == 1 {
    k = split($4, r, ","); for (i = 1; i <= k; i++) { if (split(r[i], ab, "-") == 2) n += ab[2] - ab[1] + 1; else n++ } }
    END {print n + 0}' "$ledger")
sleep "$DOWN_S"
out_down=$(awk '$1 == "P" {o = $6} END {print o + 0}' "$ledger")
t_restart=$(date +%s%3N)
cluster restart n2 >"$work/restart.out" 2>&1 && ok "$(cat "$work/restart.out")" || { not_ok "restart n2"; cat "$work/restart.out"; }
t_up=$(date +%s%3N)

# recovered: the generator's outstanding records are back to what they were
# before the kill (at most NORMAL + one batch), in a progress line after the
# restart; t_rec is that line's time, from the same read of the ledger
limit=$((normal + 20))
t_rec=
recovered() {
    t_rec=$(awk -v t="$t_up" -v l="$limit" '$1 == "P" && $2 > t && $6 <= l {print $2; exit}' "$ledger")
    [ -n "$t_rec" ]
}
if wait_for 40 recovered; then
    ok "the pipeline caught up: outstanding back to <= $limit (was $out_down while n2 was down)"
else
    not_ok "outstanding records did not come back to <= $limit within 40 s of the restart"
    awk '$1 == "P"' "$ledger" | tail -n 5
fi
sleep 1
load_verify
# the rate asked beside the one achieved, which the outage pulled down
grep -q "^rate: [0-9]*/s (asked $RATE/s)$" "$work/report.out" && jq -e --argjson r "$RATE" '.rate_asked == $r' "$work/report.json" >/dev/null &&
    ok "load report: $(grep '^rate:' "$work/report.out")" || { not_ok "load report's rate asked"; cat "$work/report.out"; }
# the ones n2 itself acknowledged before it died are among the verified ones
[ "$acked_n2" -gt 0 ] && [ "$(jq -r .lost "$work/report.json")" = 0 ] &&
    [ "$(jq -r '.unverified // 0' "$work/report.json")" = 0 ] &&
    ok "the $acked_n2 records n2 acknowledged before SIGKILL survived it (verified with the rest)" ||
    not_ok "records acknowledged by n2 before the kill: $acked_n2"
settled_status "$work/status.out" && grep -q '^cluster: every reachable node runs TLS strict$' "$work/status.out" &&
    ok "status after: every node healthy, TLS strict" || { not_ok "status after"; cat "$work/status.out"; }

figure "acknowledged by n2 before kill" "$acked_n2"
figure "outstanding before / while down" "$normal / $out_down"
figure "n2 down ms (kill to restart)" "$((t_restart - t_kill))"
figure "restart ms (to healthy)" "$((t_up - t_restart))"
# (an if, not &&: the script's last status is its exit status)
if [ -n "$t_rec" ]; then
    figure "recovery ms (restart to caught up)" "$((t_rec - t_restart))"
fi
