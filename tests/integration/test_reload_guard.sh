#!/usr/bin/env bash
# test_reload_guard.sh - a reload refused only by the strict guard is a
# refusal in the status too, and the node's own check of the files does not
# clear it while the guard still refuses. A real sipcd A ($BASE.1, the pair
# imported, permissive) and a plaintext sipcctl from home o:
#   - sipc.conf says strict, `sipcctl reload` refused by the guard (o's
#     plaintext session): `status --json` has reload.refused with cause
#     strict_guard and the guard's reason, `status --cluster` a
#     reload_refused problem (exit 1) beside the permissive node's own,
#     sipc_reload_refused 1
#   - the node's checks (every second here) keep it: checked_at moves, the
#     refusal stays, and the log has no line for it
#   - sipc.conf set back to permissive (what the node runs): the check
#     leaves nothing refused or pending
#   - strict and a change that needs a restart ([data] sync), refused by
#     the guard (restart_needed lists it), then sipc.conf put back exactly:
#     nothing refused, pending or waiting for a restart; refused so again,
#     then only [data] sync put back: the refusal stands, restart_needed
#     is gone with the change
#   - refused again, then `tlstool mode strict --force` (no reload): the
#     check finds the override, which forces the next reload through the
#     guard: reload.pending with override (worded so in the log, status and
#     the reload_pending note), the override left in place; `tlstool mode
#     permissive` takes both back: nothing pending
#   - refused again, the override again, sipc.conf set back to permissive
#     by hand: the check removes the override with the change it came
#     with (nothing pending), so a later `tlstool mode strict --reload`
#     without --force is refused by the guard, not forced through
#   - refused again, the override again; removed by hand while pending: a
#     reload would be refused, so the refusal stands again (WARN "is
#     refused again"); the override once more, then o gets the pair and
#     speaks TLS once: the guard no longer refuses, reload.pending without
#     the override (cause strict_guard, worded for the guard, not "the
#     files load again"; a reload_pending note); a reload applies it:
#     strict, nothing pending
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.70}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE.1":{23000,23001,23002,23003}
shtest_init reloadguard
export TZ=UTC SIPC_PFX_PASSWORD="Reload-Guard-$$"
conf() { # home id
    mkdir -p "$work/$1"
    printf '[node]\nid = %s\naddress = %s.1\n[cluster]\nname = rguard\nnodes = %s.1\n' "$2" "$BASE" "$BASE" >"$work/$1/sipc.conf"
}
conf a a
conf o o
tt() { "$BIN/tlstool" --home "$work/a" "$@"; }
ctl() { "$BIN/sipcctl" --timeout 10000 "$@"; }
tt create -site "$work/cluster.pfx" >/dev/null || { not_ok "tlstool create"; exit 1; }
tt import "$work/cluster.pfx" >/dev/null || { not_ok "tlstool import"; exit 1; }
tt enable --mode permissive >/dev/null || { not_ok "tlstool enable"; exit 1; }
SIPCD_RELOAD_RECHECK_MS=1000 sipcd_start "$work/a" || exit 1
at_exit 'kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null'
st() { ctl --home "$work/a" status --json >"$OUT" 2>&1; }
kinds() { jq -r '[.problems[] | "\(.kind):\(.node)"] | join(",")' "$OUT"; }
notes() { jq -r '[.notes[] | .kind] | join(",")' "$OUT"; }

# o's plaintext session: going strict would cut it off
ctl --home "$work/o" ping "$BASE.1" >"$work/ping.out" 2>&1 && grep -q "over plaintext" "$work/ping.out" ||
    { not_ok "plaintext ping from o"; cat "$work/ping.out"; }
tt mode strict >/dev/null 2>&1 || not_ok "tlstool mode strict (sipc.conf only)"
run ctl --home "$work/a" reload
expect "reload to strict refused by the guard" 1 'reload refused: going strict would cut off'
st
if jq -e '.reload.refused.cause == "strict_guard" and (.reload.refused.reason | test("^going strict would cut off peers still speaking plaintext")) and .reload.pending == null' "$OUT" >/dev/null; then
    ok "status --json: reload.refused, cause strict_guard, the guard's reason"
else
    bad "status --json after the guard's refusal: reload '$(jq -c .reload "$OUT")'"
fi
run ctl --home "$work/a" status
expect "status: reload REFUSED by the strict guard" 0 '^  reload: REFUSED at 20[0-9-]*T[0-9:]*Z \(asked by .*\) by the strict guard: going strict would cut off'
run ctl --home "$work/a" status --cluster --json
# beside the permissive node's own problems (permissive, guard_peer)
if [ "$RC" = 1 ] && [ "$(kinds)" = "reload_refused:a,permissive:a,guard_peer:a" ] &&
    jq -e '.problems[0].message | test("^a: its last reload was refused at 20[-0-9T:]*Z by its strict guard: going strict")' "$OUT" >/dev/null; then
    ok "status --cluster: a reload_refused problem naming the guard, exit 1"
else
    bad "status --cluster: kinds '$(kinds)', exit $RC"
fi
run ctl --home "$work/a" metrics
expect "metrics: sipc_reload_refused 1" 0 '^sipc_reload_refused 1$'
# the node's checks: the files load, but the guard still refuses
_checked() { st && jq -e '.reload.refused.checked_at > .reload.refused.at' "$OUT" >/dev/null; }
if wait_for 15 _checked && jq -e '.reload.refused.cause == "strict_guard" and .reload.pending == null' "$OUT" >/dev/null; then
    ok "checked again while the guard refuses: the refusal stands"
else
    bad "the check cleared or lost the guard's refusal: reload '$(jq -c .reload "$OUT")'"
fi
# the guard's words change with every check ("N s ago"): no line for that
if ! grep -q 'is still refused, now for' "$work/a/logs/"ManagementService_*.log; then
    ok "the checks log nothing while the guard's refusal stands as it was"
else
    not_ok "a 'still refused, now for' line while only the guard's words changed"
fi
# sipc.conf set back to the mode the node runs: nothing refused, nothing
# pending (no reload would change anything)
tt mode permissive >/dev/null 2>&1 || not_ok "tlstool mode permissive (sipc.conf only)"
_nothing() { st && jq -e '.reload.refused == null and .reload.pending == null' "$OUT" >/dev/null; }
reload_settles "sipc.conf back to permissive: the check leaves nothing refused or pending" _nothing \
    'Service.Reload INFO The files are what the node runs again: the reload refused at .* no longer stands' "$work/a"
refuse_again() { # what
    tt mode strict >/dev/null 2>&1 || not_ok "tlstool mode strict (sipc.conf only), $1"
    run ctl --home "$work/a" reload
    expect "reload to strict refused by the guard again, $1" 1 'reload refused: going strict would cut off'
}
# a guard's refusal whose files also change what needs a restart (its
# restart_needed lists it), then sipc.conf put back exactly: a reload would
# change nothing, so nothing is refused, pending or waiting for a restart
cp "$work/a/sipc.conf" "$work/a.conf.permissive"
printf '[data]\nsync = normal\n' >>"$work/a/sipc.conf"
refuse_again "with a change that needs a restart"
st
jq -e '.reload.restart_needed == ["[data] sync: full -> normal"]' "$OUT" >/dev/null &&
    ok "the guard's refusal lists the change that needs a restart" ||
    bad "after the guard's refusal with [data] sync: reload '$(jq -c .reload "$OUT")'"
cp "$work/a.conf.permissive" "$work/a/sipc.conf"
_clean() { _nothing && jq -e '.reload.restart_needed == null' "$OUT" >/dev/null; }
if wait_for 15 _clean && ! grep -q 'The strict guard no longer holds back' "$work/a/logs/"ManagementService_*.log; then
    ok "sipc.conf put back exactly: nothing refused, pending or waiting for a restart"
else
    bad "sipc.conf put back after a refusal with a restart change: reload '$(jq -c .reload "$OUT")'"
fi
# the same refusal, then only the change that needs a restart put back (the
# one the guard refuses kept): the refusal stands, and restart_needed no
# longer lists what sipc.conf no longer asks for
printf '[data]\nsync = normal\n' >>"$work/a/sipc.conf"
refuse_again "with a change that needs a restart, again"
cp "$work/a.conf.permissive" "$work/a/sipc.conf"
tt mode strict >/dev/null 2>&1 || not_ok "tlstool mode strict (sipc.conf only), the restart change put back"
_partly() { st && jq -e '.reload.refused.cause == "strict_guard" and .reload.restart_needed == null' "$OUT" >/dev/null; }
if wait_for 15 _partly; then
    ok "only the restart change put back: the refusal stands, nothing waits for a restart"
else
    bad "the restart change put back, strict kept: reload '$(jq -c .reload "$OUT")'"
fi
refuse_again "before the override"
# the override left for the next start or reload: that reload goes strict
# whatever the guard says, so the refusal no longer holds; the check leaves
# the override for it
_overridden() { st && jq -e '.reload.refused == null and .reload.pending.override == true and .reload.pending.cause == "strict_guard"' "$OUT" >/dev/null; }
override() { # what
    tt mode strict --force >"$work/force.out" 2>&1 && grep -q '^override written: ' "$work/force.out" ||
        { not_ok "tlstool mode strict --force (sipc.conf only), $1"; cat "$work/force.out"; }
    if wait_for 15 _overridden && [ -f "$work/a/state/force-strict" ]; then
        ok "the override in place, $1: reload.pending with override, the override left for the reload"
    else
        bad "with the override in place, $1: reload '$(jq -c .reload "$OUT")', state/force-strict $(ls "$work/a/state/force-strict" 2>&1)"
    fi
}
override "after a refusal"
# pending_said WHAT LOG STATUS RC KINDS NOTE: the pending reload in the log
# (grep LOG), `sipcctl status` (STATUS) and `status --cluster` (exit RC,
# problems KINDS, one reload_pending note whose message matches NOTE)
pending_said() {
    if grep -q "$2" "$work/a/logs/"ManagementService_*.log; then
        ok "the log: $1"
    else
        not_ok "no line in the log: $1"
    fi
    run ctl --home "$work/a" status
    expect "status: $1" 0 "$3"
    run ctl --home "$work/a" status --cluster --json
    if [ "$RC" = "$4" ] && [ "$(kinds)" = "$5" ] && [ "$(notes)" = "reload_pending" ] &&
        jq -e --arg re "$6" '.notes[0].message | test($re)' "$OUT" >/dev/null; then
        ok "status --cluster: a reload_pending note, $1 (exit $4, problems '$5')"
    else
        bad "status --cluster, $1: kinds '$(kinds)', notes '$(notes)', exit $RC"
    fi
}
# o still speaks plaintext: its guard_peer problem stays (exit 1), but no
# reload_refused
pending_said "the override lets it through" \
    'Service.Reload INFO The reload refused at .* goes through at the next reload or start: the override of `tlstool mode strict --force` is in place, .*cuts off peers still speaking plaintext: [0-9]' \
    '^  reload pending: the override of `tlstool mode strict --force` lets the reload refused at 20[0-9-]*T[0-9:]*Z through \(since 20' \
    1 "permissive:a,guard_peer:a" \
    '^a: the override of `tlstool mode strict --force` lets its reload refused at 20[-0-9T:]*Z through'
# the override taken back with the mode: the files are what the node runs
tt mode permissive >/dev/null 2>&1 || not_ok "tlstool mode permissive, the override removed"
if wait_for 15 _nothing && [ ! -e "$work/a/state/force-strict" ]; then
    ok "the override and strict taken back: nothing pending any more"
else
    bad "after tlstool mode permissive: reload '$(jq -c .reload "$OUT")'"
fi
# the override, then sipc.conf set back to permissive by hand (not by
# tlstool): the change the override came with is gone, so the check
# removes it as the next reload would; left behind, it would force a later
# `tlstool mode strict --reload` past the guard and cut o off
refuse_again "before the hand edit"
override "before the hand edit"
sed -i 's/^mode = strict$/mode = permissive/' "$work/a/sipc.conf"
_removed() { _nothing && [ ! -e "$work/a/state/force-strict" ]; }
reload_settles "sipc.conf set back by hand: nothing pending, the override removed" _removed \
    'Service.Reload INFO The files are what the node runs again: nothing waits for a reload (pending since .*); the override .*/state/force-strict of `tlstool mode strict --force` is removed: sipc.conf no longer asks for strict' "$work/a"
tt mode strict --reload >"$work/strict.out" 2>&1
RC=$?
if [ "$RC" = 12 ] && grep -q 'reload refused: going strict would cut off' "$work/strict.out"; then
    ok "after the hand edit, tlstool mode strict --reload without --force is refused by the guard"
else
    bad "after the hand edit, tlstool mode strict --reload: exit $RC: $(cat "$work/strict.out")"
fi
refuse_again "after the override was taken back"
override "again"
# the override gone by hand while pending (o still plaintext): a reload
# would be refused again, and so it stands again
rm "$work/a/state/force-strict"
_refused_again() { st && jq -e '.reload.pending == null and .reload.refused.cause == "strict_guard" and (.reload.refused.reason | test("^going strict would cut off"))' "$OUT" >/dev/null; }
reload_settles "the override removed while pending: the guard's refusal stands again" _refused_again \
    'Service.Reload WARN The reload refused at 20.* (pending since 20.*) is refused again, now for: going strict would cut off' "$work/a"
override "once more, before o speaks TLS"
# o gets the pair: one TLS session clears it from the guard's peers; the
# override is no longer what lets the reload through
"$BIN/tlstool" --home "$work/o" import "$work/cluster.pfx" >/dev/null || not_ok "import in o"
ctl --home "$work/o" ping "$BASE.1" >"$work/ping.out" 2>&1 && grep -q "over TLS" "$work/ping.out" ||
    { not_ok "TLS ping from o"; cat "$work/ping.out"; }
_pending() { st && jq -e '.reload.refused == null and (.reload.pending.since | test("^20")) and .reload.pending.override == false' "$OUT" >/dev/null; }
if wait_for 15 _pending && jq -e '.reload.pending.cause == "strict_guard"' "$OUT" >/dev/null; then
    ok "the guard lets it through now: reload.pending without the override, cause strict_guard"
else
    bad "no reload.pending once the guard let it through: reload '$(jq -c .reload "$OUT")'"
fi
# worded for the guard, not "the files load again": they always loaded;
# still permissive (exit 2, migrating) until the reload: no refusal now
pending_said "the guard no longer holds it back" \
    'Service.Reload INFO The strict guard no longer holds back the reload refused at .*: a reload would go through now' \
    '^  reload pending: the strict guard no longer holds back the reload refused at 20[0-9-]*T[0-9:]*Z \(since 20[0-9-]*T[0-9:]*Z\), but it is not applied until a reload$' \
    2 "permissive:a" \
    '^a: its strict guard no longer holds back its reload refused at 20[-0-9T:]*Z \(since 20[-0-9T:]*Z\), but it is not applied'
if grep -q 'The files load again' "$work/a/logs/"ManagementService_*.log; then
    not_ok "the guard's pending reload worded as 'The files load again' in the log"
else
    ok "no 'The files load again' in the log for the guard's pending reload"
fi
run ctl --home "$work/a" metrics
expect "metrics: sipc_reload_pending 1" 0 '^sipc_reload_pending 1$' '^sipc_reload_refused 0$'
run ctl --home "$work/a" reload
expect "the reload goes through now" 0 'TLS: permissive -> strict'
st
if jq -e '.reload.refused == null and .reload.pending == null and .tls.mode == "strict"' "$OUT" >/dev/null; then
    ok "after the reload: strict, nothing refused or pending"
else
    bad "after the reload: reload '$(jq -c .reload "$OUT")', mode $(jq -r .tls.mode "$OUT")"
fi
shtest_done
