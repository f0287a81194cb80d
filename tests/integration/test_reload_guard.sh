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
#   - the node's checks (every 3 s here) keep it: checked_at moves, the
#     refusal stays, and the log has no line for it
#   - o gets the pair and speaks TLS once: the guard no longer refuses, the
#     check leaves reload.pending (a reload_pending note); a reload
#     applies it: strict, nothing pending
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
SIPCD_RELOAD_RECHECK_MS=3000 sipcd_start "$work/a" || exit 1
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
# o gets the pair: one TLS session clears it from the guard's peers
"$BIN/tlstool" --home "$work/o" import "$work/cluster.pfx" >/dev/null || not_ok "import in o"
ctl --home "$work/o" ping "$BASE.1" >"$work/ping.out" 2>&1 && grep -q "over TLS" "$work/ping.out" ||
    { not_ok "TLS ping from o"; cat "$work/ping.out"; }
_pending() { st && jq -e '.reload.refused == null and (.reload.pending.since | test("^20"))' "$OUT" >/dev/null; }
if wait_for 15 _pending; then
    ok "the guard lets it through now: the check leaves reload.pending"
else
    bad "no reload.pending once the guard let it through: reload '$(jq -c .reload "$OUT")'"
fi
run ctl --home "$work/a" status --cluster --json
# still permissive (exit 2, migrating) until the reload: no refusal now
if [ "$RC" = 2 ] && [ "$(kinds)" = "permissive:a" ] && [ "$(notes)" = "reload_pending" ]; then
    ok "status --cluster: a reload_pending note, no reload_refused problem"
else
    bad "status --cluster while pending: kinds '$(kinds)', notes '$(notes)', exit $RC"
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
