#!/usr/bin/env bash
# test_reload_refused.sh - a reload the node refused for its files stays
# visible until the files load again, and changes that wait for a restart
# are shown as a note. A real sipcd ($BASE.2, the pair imported, TLS on):
#   - node.crt damaged, `sipcctl reload` refused: `sipcctl status` says
#     "reload: REFUSED at ...", `status --cluster --json` has a
#     reload_refused problem naming the file (exit 1), the metric
#     sipc_reload_refused is 1; node.crt put back but sipc.conf broken, no
#     reload: the refusal stands and its reason becomes sipc.conf's (its
#     checked_at moves); sipc.conf put back with a change a reload applies:
#     the node's own check of the files clears it and leaves reload.pending,
#     a reload_pending note in the cluster status (exit 0) and
#     sipc_reload_pending 1
#     (revocation changed); broken again while pending: refused again (a
#     reload_refused problem, the reason of now); mended: pending again;
#     sipc.conf as the node runs it again: the check clears reload.pending
#     and the metric, no reload needed
#   - a sipc.conf typo, refused: the same problem; the file corrected to
#     what the node runs: the check leaves nothing refused or pending; a
#     reload then answers as before
#   - [data] sync changed (needs a restart): status lists it, the cluster
#     status has a restart_needed note and stays OK (exit 0); put back and
#     reloaded: gone; a restart change in Latin-1 ([metrics] address), a
#     refused reload after it, the files put back: nothing pending
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.58}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE.2":{23000,23001,23002,23003}
shtest_init reloadrefused
home=$work/home
node_home "$home" refused n2 "$BASE.2" "$BASE.2"
pair_home "$home" || exit 1
"$BIN/tlstool" --home "$home" enable >/dev/null || { not_ok "tlstool enable"; exit 1; }
export TZ=UTC
# the node checks the files of a refused reload every second here (12 s else)
SIPCD_RELOAD_RECHECK_MS=1000 sipcd_start "$home" || exit 1
at_exit 'kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null'
# asked from a client home holding the pair, as from another node: the
# node's own home is the one being damaged
client=$work/client
mkdir -p "$client"
printf '[cluster]\nname = refused\nnodes = %s\n' "$BASE.2" >"$client/sipc.conf"
"$BIN/tlstool" --home "$client" import "$home.p12" >/dev/null || { not_ok "the client's pair"; exit 1; }
ctl() { "$BIN/sipcctl" --home "$client" --node "$BASE.2" --timeout 10000 "$@"; }
kinds() { jq -r '[.problems[] | "\(.kind):\(.node)"] | join(",")' "$OUT"; }
notes() { jq -r '[.notes[] | .kind] | join(",")' "$OUT"; }
# cluster_is RC KINDS NOTES WHAT: `status --cluster --json` exits RC with
# the problems KINDS and the notes NOTES
cluster_is() {
    run ctl status --cluster --json
    if [ "$RC" = "$1" ] && [ "$(kinds)" = "$2" ] && [ "$(notes)" = "$3" ]; then
        ok "status --cluster: $4"
    else
        bad "status --cluster, $4: kinds '$(kinds)', notes '$(notes)', exit $RC"
    fi
}

run ctl status
if [ "$RC" = 0 ] && ! grep -q 'reload:\|restart needed' "$OUT"; then
    ok "status before: nothing about reloads"
else
    bad "status before (exit $RC)"
fi

# --- a damaged node.crt -----------------------------------------------------------
cp -p "$home/security/node.crt" "$work/node.crt.bak"
head -c 400 "$work/node.crt.bak" >"$home/security/node.crt"
run ctl reload
expect "reload with a damaged node.crt: refused" 1 'reload refused'
run ctl status
expect "status: reload REFUSED, naming node.crt" 0 '^  reload: REFUSED at 20[0-9-]*T[0-9:]*Z \(asked by .*node\.crt.*would not start with the files as they are now'
run ctl status --cluster --json
if [ "$RC" = 1 ] && [ "$(kinds)" = "reload_refused:n2" ] &&
    jq -e '.problems[0].message | test("^n2: its last reload was refused at 20[-0-9T:]*Z: .*node\\.crt.*; it runs the configuration it had, and would not start with the files as they are now: ")' "$OUT" >/dev/null; then
    ok "status --cluster: a reload_refused problem for n2, exit 1"
else
    bad "status --cluster: kinds '$(kinds)', exit $RC"
fi
run ctl metrics
expect "metrics: sipc_reload_refused 1" 0 '^sipc_reload_refused 1$'
# node.crt put back but sipc.conf broken meanwhile: the refusal stands, and
# the status tells the reason of now, not the first one
cp -p "$home/sipc.conf" "$work/sipc.conf.bak"
sed -i '/^\[node\]/a mdoe = 1' "$home/sipc.conf"
cp -p "$work/node.crt.bak" "$home/security/node.crt"
_now_reason() { ctl status --json >"$OUT" 2>&1 && jq -e '.reload.refused.reason | test("unknown setting \\[node\\] mdoe")' "$OUT" >/dev/null; }
if wait_for 15 _now_reason && jq -e '.reload.refused.cause == "files" and .reload.refused.checked_at > .reload.refused.at and .reload.pending == null' "$OUT" >/dev/null; then
    ok "another fault since: the refusal stands with the reason of now (sipc.conf) and a later checked_at"
else
    bad "the refusal's reason was not refreshed: '$(jq -c .reload "$OUT")'"
fi
if grep -q 'Service.Reload WARN The reload refused at .* is still refused, now for: .*mdoe' "$home/logs/"ManagementService_*.log; then
    ok "the log says the refusal stands, now for sipc.conf"
else
    not_ok "no 'still refused, now for' line in the log"
fi
# put back with a change a reload applies, not reloaded: the node's check
# of the files clears it into a pending reload
cp -p "$work/sipc.conf.bak" "$home/sipc.conf"
sed -i '/^\[tls\]/a revocation = off' "$home/sipc.conf"
_clear() { ctl status --cluster >"$OUT" 2>&1; }
if wait_for 15 _clear && grep -q '^cluster OK' "$OUT"; then
    ok "node.crt put back: the refusal cleared without a reload"
else
    bad "the refusal stayed after node.crt was put back"
fi
if grep -q 'Service.Reload INFO The files load again .*they are not applied until a reload' "$home/logs/"ManagementService_*.log; then
    ok "the log says the files load again, not applied until a reload"
else
    not_ok "no 'The files load again ... not applied until a reload' in the log"
fi
run ctl status
expect "status: a reload pending, no refusal" 0 '^  reload pending: the files load again \(since 20[0-9-]*T[0-9:]*Z\) but are not applied until a reload$'
if grep -q 'reload: REFUSED' "$OUT"; then not_ok "status still says reload: REFUSED"; else ok "no 'reload: REFUSED' once the files load"; fi
run ctl status --json
if jq -e '.reload.refused == null and (.reload.pending.since | test("^20")) and (.reload.pending.refused_at | test("^20"))' "$OUT" >/dev/null; then
    ok "status --json: reload.pending with since and refused_at"
else
    bad "status --json: reload '$(jq -c .reload "$OUT")'"
fi
run ctl status --cluster --json
if [ "$RC" = 0 ] && [ "$(kinds)" = "" ] && [ "$(notes)" = "reload_pending" ] &&
    jq -e '.notes[0].message | test("^n2: its files load again since 20[-0-9T:]*Z \\(its reload refused at 20[-0-9T:]*Z\\) but are not applied: .*sipcctl reload --node ")' "$OUT" >/dev/null; then
    ok "status --cluster: a reload_pending note, no problem, exit 0"
else
    bad "status --cluster with a reload pending: kinds '$(kinds)', notes '$(notes)', exit $RC"
fi
run ctl metrics
expect "metrics: sipc_reload_pending 1, sipc_reload_refused 0" 0 '^sipc_reload_pending 1$' '^sipc_reload_refused 0$'
# broken again while pending (a Latin-1 typo, kept as \xNN in the status):
# the node would not start with it, so the refusal it came from stands
# again, with the reason of now; mended (the revocation change kept):
# pending again
perl -0pi -e 's/^\[node\]\n/[node]\nm\xe9de = 1\n/m' "$home/sipc.conf"
_again() { ctl status --json >"$OUT" 2>&1 && jq -e '.reload.pending == null and .reload.refused.cause == "files" and (.reload.refused.reason | test("unknown setting \\[node\\] m\\\\xe9de")) and .reload.refused.at < .reload.refused.checked_at and (.reload.refused.by | test("."))' "$OUT" >/dev/null; }
reload_settles "sipc.conf broken while pending: refused again, with the reason of now" _again \
    'Service.Reload WARN The reload refused at 20.* (pending since 20.*) is refused again, now for: .*unknown setting \[node\] m' "$home"
cluster_is 1 "reload_refused:n2" "" "refused again: a reload_refused problem"
LC_ALL=C sed -i '/^m.de = 1$/d' "$home/sipc.conf"
_pending_again() { ctl status --json >"$OUT" 2>&1 && jq -e '.reload.refused == null and .reload.pending.cause == "files"' "$OUT" >/dev/null; }
if wait_for 15 _pending_again; then
    ok "mended, the revocation change kept: pending again"
else
    bad "mended while refused again: reload '$(jq -c .reload "$OUT")'"
fi
# sipc.conf as the node runs it again: nothing is pending any more, no
# reload needed
cp -p "$work/sipc.conf.bak" "$home/sipc.conf"
_unpending() { ctl status --json >"$OUT" 2>&1 && jq -e '.reload.pending == null and .reload.refused == null' "$OUT" >/dev/null; }
reload_settles "the files as the node runs them again: reload.pending cleared without a reload" _unpending \
    'Service.Reload INFO The files are what the node runs again: nothing waits for a reload (pending since 20' "$home"
run ctl metrics
expect "metrics: sipc_reload_pending 0 once the files are what the node runs" 0 '^sipc_reload_pending 0$'

# --- a sipc.conf typo, corrected by a reload ----------------------------------
sed -i '/^\[node\]/a mdoe = 1' "$home/sipc.conf"
run ctl reload
expect "reload with a sipc.conf typo: refused" 1 'unknown setting'
run ctl status --cluster --json
if [ "$RC" = 1 ] && [ "$(kinds)" = "reload_refused:n2" ] &&
    jq -e '.problems[0].message | test("sipc\\.conf:[0-9]*: unknown setting \\[node\\] mdoe")' "$OUT" >/dev/null; then
    ok "status --cluster: reload_refused names the sipc.conf line"
else
    bad "status --cluster after the typo: kinds '$(kinds)', exit $RC"
fi
# corrected to what the node runs, not reloaded: the check finds nothing
# refused and nothing pending (no reload would change anything)
cp -p "$work/sipc.conf.bak" "$home/sipc.conf"
_nothing() { ctl status --cluster --json >"$OUT" 2>&1 && [ "$(kinds)" = "" ]; }
wait_for 15 _nothing
cluster_is 0 "" "" "the typo corrected: no refusal and no reload_pending note, without a reload"
run ctl status --json
if jq -e '.reload.pending == null and .reload.refused == null' "$OUT" >/dev/null; then
    ok "status --json: nothing refused or pending with the files as the node runs them"
else
    bad "status --json: reload '$(jq -c .reload "$OUT")'"
fi
if [ "$(grep -c 'The files are what the node runs again: the reload refused at' "$home/logs/"ManagementService_*.log)" = 1 ]; then
    ok "the log says the refusal no longer stands, nothing waiting"
else
    not_ok "no (or more than one) 'no longer stands' line in the log"
fi
run ctl reload
expect "the corrected sipc.conf reloads" 0
run ctl status --json
if jq -e '.reload.pending == null and .reload.refused == null' "$OUT" >/dev/null; then
    ok "status: nothing pending after a reload that applied the files"
else
    bad "status: reload '$(jq -c .reload "$OUT")' after the reload"
fi
run ctl status --cluster
expect "status --cluster: OK after the reload" 0 '^cluster OK: 1 node, nothing to report$'
run ctl metrics
expect "metrics: sipc_reload_pending 0 after the reload" 0 '^sipc_reload_pending 0$'

# --- a change that waits for a restart --------------------------------------
printf '[data]\nsync = normal\n' >>"$home/sipc.conf"
run ctl reload
expect "reload with [data] sync changed: a restart needed (exit 3)" 3 "needs a restart, not applied: \\[data\\] sync: full -> normal"
run ctl status
expect "status: the change waiting for a restart" 0 '^  restart needed \(since 20[0-9-]*T[0-9:]*Z\), not applied: \[data\] sync: full -> normal$'
cluster_is 0 "" "restart_needed" "a restart_needed note, no problem, exit 0"
run ctl status --cluster
expect "status --cluster text: the note names the change" 0 '^note: n2 has changes in its files that wait for a restart .*\[data\] sync: full -> normal'
run ctl metrics
expect "metrics: sipc_restart_needed_changes 1" 0 '^sipc_restart_needed_changes 1$'
cp -p "$work/sipc.conf.bak" "$home/sipc.conf"
run ctl reload
run ctl status --cluster --json
if [ "$RC" = 0 ] && [ "$(notes)" = "" ]; then
    ok "put back and reloaded: the note is gone"
else
    bad "the note stayed: notes '$(notes)', exit $RC"
fi
# --- a change waiting for a restart in words that are not UTF-8 ----------
# (a Latin-1 host in [metrics] address, kept as \xNN in the status): a
# refusal after it whose files come back leaves nothing pending, the
# check's list of restart changes compared as the status keeps it
printf '[metrics]\naddress = m\xe9trics:9323\n' >>"$home/sipc.conf"
cp -p "$home/sipc.conf" "$work/sipc.conf.latin1"
run ctl reload
expect "reload with a Latin-1 [metrics] address: a restart needed (exit 3)" 3 'needs a restart, not applied: \[metrics\] address'
sed -i '/^\[node\]/a mdoe = 1' "$home/sipc.conf"
run ctl reload
expect "then a sipc.conf typo: refused" 1 'unknown setting'
n0=$(grep -c 'The files are what the node runs again: the reload refused at' "$home/logs/"ManagementService_*.log)
cp -p "$work/sipc.conf.latin1" "$home/sipc.conf"
_settled() { ctl status --json >"$OUT" 2>&1 && jq -e '.reload.refused == null and .reload.pending == null and (.reload.restart_needed[0] | test("^\\[metrics\\] address: \\(none\\) -> m\\\\xe9trics:9323$"))' "$OUT" >/dev/null; }
reload_settles "the files back with the Latin-1 restart change: nothing pending, the change still waiting" _settled \
    'The files are what the node runs again: the reload refused at' "$home"
[ "$(grep -c 'The files are what the node runs again: the reload refused at' "$home/logs/"ManagementService_*.log)" -gt "$n0" ] ||
    not_ok "no new 'The files are what the node runs again' line for the Latin-1 restart change"
cp -p "$work/sipc.conf.bak" "$home/sipc.conf"
run ctl reload
expect "put back and reloaded: nothing waits for a restart" 0
# --- an expired pair: its reason names the time of each check -------------
# (faketime: a pair that expired two days ago); checked every second, the
# refusal stands with the same words but the time: no WARN for each check
if faketime_lib; then
    old=$work/old
    mkdir -p "$old"
    printf '[node]\nid = n2\n[cluster]\nname = refused\n' >"$old/sipc.conf"
    faketime_run -3d "$BIN/tlstool" --home "$old" create -site --days 1 "$work/old.p12" >/dev/null &&
        faketime_run -3d "$BIN/tlstool" --home "$old" import "$work/old.p12" >/dev/null ||
        not_ok "an expired pair"
    cp -p "$home/security/node.crt" "$home/security/node.p12" "$work/"
    cp "$old/security/node.crt" "$old/security/node.p12" "$home/security/"
    run ctl reload
    expect "reload with an expired pair: refused" 1 'reload refused.*expired'
    stands() { grep -c 'is still refused, now for' "$home/logs/"ManagementService_*.log; }
    n0=$(stands)
    sleep 3 # two checks at least, their times seconds apart
    run ctl status --json
    if [ "$(stands)" = "$n0" ] && jq -e '.reload.refused.reason | test("expired")' "$OUT" >/dev/null; then
        ok "an expired pair's refusal, checked again: no WARN for a reason that differs only in its time"
    else
        not_ok "checks of an expired pair's refusal logged $(($(stands) - n0)) 'still refused' lines"
    fi
    cp -p "$work/node.crt" "$work/node.p12" "$home/security/"
    run ctl reload
    expect "the pair put back: the reload goes through" 0
else
    echo "# skipped the expired pair: faketime is not installed"
fi
shtest_done
