#!/usr/bin/env bash
# test_rotate_missed.sh - a node down for a whole key pair rotation of three
# real sipcd a b c ($BASE.1-3), strict; c stopped, a and b stage and commit:
#   - `status --cluster` from a: the rotation's note names c as a node it
#     could not ask and advises no finish without it (never "every node has
#     committed")
#   - a and b finish (--force past c), c starts again presenting the old
#     pair: `status --cluster` from a says c presents the pair a rotated away
#     from (security/previous/) and missed the rotation, with commit or
#     `import --force` as the fix, not `trust add`
#   - that fix, `tlstool import NEW.pfx --force` on c and a SIGHUP, makes
#     the cluster whole again
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.140}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE".{1,2,3}:{23000,23001,23002,23003}
shtest_init rotatemissed
export TZ=UTC SIPC_PFX_PASSWORD="Rotate-Missed-$$"
strict_trio rmissed || exit 1
"$BIN/tlstool" create -site "$work/new.pfx" >/dev/null || { not_ok "tlstool create new.pfx"; exit 1; }
tt() { local h=$1; shift; "$BIN/tlstool" --home "$work/$h" "$@"; }
status_from_a() { "$BIN/sipcctl" --home "$work/a" status --cluster >"$OUT" 2>&1; }

kill -TERM "${node_pids[2]}"
wait "${node_pids[2]}" 2>/dev/null
for step in "stage $work/new.pfx" commit; do
    for h in a b; do
        # shellcheck disable=SC2086
        tt "$h" rotate $step --reload >"$OUT" 2>&1 || bad "rotate $step on $h"
    done
done
status_from_a
if grep -Eq 'a, b committed; (c|[0-9.:]+) could not be asked' "$OUT" &&
    grep -Eq 'next: (c|[0-9.:]+) could not be asked: finish only once it has committed too' "$OUT" &&
    ! grep -q 'every node has committed\|reach each other' "$OUT"; then
    ok "c down, a and b committed: the note names c and advises no finish without it"
else
    bad "c down, a and b committed: the rotation note"
fi

for h in a b; do tt "$h" rotate finish --reload --force >"$OUT" 2>&1 || bad "rotate finish --force on $h"; done
sipcd_start "$work/c" || exit 1
at_exit "kill -TERM $sipcd_pid 2>/dev/null"
c_pid=$sipcd_pid
# a redials c within its backoff; the refusal is a's verifier's
missed() {
    status_from_a
    grep -q "is the pair a rotated away from (security/previous/, SHA-256 [0-9a-f]\{16\}\.\.\.): a node presenting it missed the rotation; fix: on that node: if it has the new pair staged, \`tlstool rotate commit --reload\`; else \`tlstool import NEW.pfx --force\` and a reload by \`systemctl reload sipcd\` (SIGHUP)" "$OUT" ||
        grep -q "is the pair this side rotated away from (security/previous/, SHA-256 [0-9a-f]\{16\}\.\.\.): a node presenting it missed the rotation; fix: on that node: if it has the new pair staged" "$OUT"
}
if wait_for 30 missed && ! grep -q 'trust add' "$OUT"; then
    ok "c back with the old pair: status --cluster says it missed the rotation, and the fix"
else
    bad "c back with the old pair: status --cluster"
fi

run tt c import "$work/new.pfx" --force
[ "$RC" = 0 ] || bad "import new.pfx --force on c (exit $RC)"
kill -HUP "$c_pid"
if wait_for 30 status_from_a; then
    ok "after import --force and a SIGHUP on c: status --cluster exit 0"
else
    bad "after import --force and a SIGHUP on c: status --cluster"
fi
shtest_done
