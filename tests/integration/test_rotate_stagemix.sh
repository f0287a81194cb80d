#!/usr/bin/env bash
# test_rotate_stagemix.sh - a key pair rotation across two real sipcd, a b
# ($BASE.1-2), strict, with a wrong file staged on b:
#   - `status --cluster` is a staged_mismatch PROBLEM (exit 1), one for the
#     tie of pairs, naming the pairs and the stage that makes them one, and
#     advises no commit
#   - `rotate commit` on a is refused, exit 18, b named, nothing changed;
#     with --force and a store that fails (a rename, EIO), its error alone,
#     no "committed although"; with --force it commits, the warning after
#     the commit's lines, b's verifier names its staged pair and a
#     rotation's stage, not an import, and b's cluster status names a as a
#     certificate_mismatch, not unreachable
#   - the abort that drops b's wrong pair goes on (b refuses a's pair
#     already: a warning with the reason, not "could not be asked")
#   - b staged again and committed without --reload: the note names
#     `sipcctl reload` on b, as do `tlstool status` and a second commit there
#   - a rolled back: `rolled back` in the note and tls.rotation.pair, with
#     both ways; its staged/ removed by hand: a PROBLEM (exit 10) in
#     `tlstool rotate status` and `tlstool status`
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
RENAME_FAIL_LIB=${1:?usage: test_rotate_stagemix.sh RENAME_FAIL_LIB}
BASE=${SIPC_TEST_NET:-127.1.218}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE".{1,2}:{23000,23001,23002,23003}
shtest_init rotatestagemix
export TZ=UTC SIPC_PFX_PASSWORD="Rotate-Stagemix-$$"
for f in new other; do
    "$BIN/tlstool" create -site "$work/$f.pfx" >/dev/null || { not_ok "tlstool create $f"; exit 1; }
done
strict_nodes rstagemix a b || exit 1
tt() { local h=$1; shift; "$BIN/tlstool" --home "$work/$h" "$@"; }
cl() { "$BIN/sipcctl" --home "$work/$1" status --cluster "${@:2}"; }
tt a rotate stage "$work/new.pfx" --reload >/dev/null 2>&1 &&
    tt b rotate stage "$work/other.pfx" --reload >/dev/null 2>&1 || not_ok "rotate stage a, b"
old=$(tt a rotate status | sed -n 's/.*current pair: *SHA-256 \([0-9a-f]\{64\}\).*/\1/p')
new=$(tt a rotate status | sed -n 's/.*staged pair: *SHA-256 \([0-9a-f]\{16\}\).*/\1/p')
other=$(tt b rotate status | sed -n 's/.*staged pair: *SHA-256 \([0-9a-f]\{16\}\).*/\1/p')

run cl a
expect "different pairs staged: a staged_mismatch problem, exit 1" 1 \
    "staged_mismatch" "sha256 $new\.\.\. \(a\)" "sha256 $other\.\.\. \(b\)" \
    'rotate stage FILE --force --reload`, FILE the pair meant, on each node that moves to another'
run cl a --json
[ "$(jq '[.problems[] | select(.kind == "staged_mismatch")] | length' "$OUT")" = 1 ] &&
    ok "a tie of two staged pairs: one staged_mismatch, naming both groups" ||
    bad "a tie of two staged pairs: staged_mismatch entries"
if grep -q 'rotate commit --reload` on' "$OUT"; then bad "a commit advised while the pairs differ"; fi

run tt a rotate commit
expect "commit while b staged another pair: refused, exit 18" 18 \
    "not committed: 1 \[cluster\] node refuses the staged pair \(SHA-256 $new" "\(node b\)" \
    "Nothing was changed"
run tt a rotate status
expect "the refused commit changed nothing" 0 "rotation: staged"

# the store fails once the guard let the commit through: nothing reads
# "committed"
RENAME_FAIL=node.crt LD_PRELOAD=$RENAME_FAIL_LIB tt a rotate commit --force >"$OUT" 2>&1
RC=$?
if [ "$RC" != 0 ] && ! grep -q "committed although" "$OUT" && grep -q "error:" "$OUT"; then
    ok "commit --force whose store fails: its error alone, no 'committed although' (exit $RC)"
else
    bad "commit --force whose store fails: exit $RC"
fi
run tt a rotate status
expect "the failed commit left a's pair as it was" 0 "current pair:  SHA-256 $old"

run tt a rotate commit --force --reload
expect "commit --force: committed, warning naming b" 0 "warning: --force: committed although 1"
grep -n "committed: this node now holds\|committed although" "$OUT" | head -2 | cut -d: -f1 | tr '\n' ' ' |
    { read -r first second; [ -n "${second:-}" ] && [ "$first" -lt "$second" ]; } &&
    ok "the warning comes after the commit is in place" || bad "commit --force: the order of its lines"
# b is cut off from a: once b's links are new (a restart), a is a
# certificate refused, not a node down
kill -TERM "${node_pids[1]}" && wait "${node_pids[1]}"
sipcd_start "$work/b" || not_ok "restart b"
at_exit "kill -TERM $sipcd_pid 2>/dev/null"
mismatch() {
    cl b --json >"$OUT" 2>&1
    jq -e '.nodes[] | select(.reachable == false) | .error_code' "$OUT" >/dev/null
}
if wait_for 10 mismatch &&
    jq -e '[.problems[] | select(.kind == "certificate_mismatch" and (.message | test("cannot be reached: a certificate was refused in the handshake between it and b ")))] | length == 1' "$OUT" >/dev/null &&
    ! jq -e '.problems[] | select(.kind == "unreachable")' "$OUT" >/dev/null; then
    ok "the node the forced commit cut off: certificate_mismatch ($(jq -r '.nodes[] | select(.reachable == false) | .error_code' "$OUT")), not unreachable"
else
    bad "the node the forced commit cut off: $(jq -c '[.problems[] | .kind]' "$OUT" 2>&1)"
fi
# b refuses a's new pair, which it has not staged: its reason names its own
# staged pair and a rotation's stage, never an import
run tt b check
if grep -q "trusts the staged pair SHA-256 $other" "$OUT" &&
    grep -q 'every node stages the same file' "$OUT" && ! grep -q 'tlstool import' "$OUT"; then
    ok "b's refusal names its staged pair and the stage, no import"
else
    bad "b's refusal of a's pair"
fi

run tt b rotate abort --reload
expect "abort of b's wrong pair: goes on, the refusal of a said with its reason" 0 \
    "refuses already, with the trust it has now, the certificate of $BASE.1" "not this cluster's key pair"
if grep -q "could not be asked" "$OUT"; then bad "abort: a called not asked"; fi

tt b rotate stage "$work/new.pfx" --reload >/dev/null 2>&1 || not_ok "rotate stage new on b"
run tt b rotate commit
expect "b's commit (a presents that pair): no refusal" 0 "committed: this node now holds"
reloaded_note() { cl a >"$OUT" 2>&1; grep -q 'b took a step without a reload' "$OUT"; }
if wait_for 10 reloaded_note && grep -q 'next: `sipcctl reload` on b' "$OUT"; then
    ok "commit without --reload: the note names sipcctl reload on b"
else
    bad "commit without --reload: the note"
fi
run tt b status
expect "tlstool status on b names the commit and sipcctl reload" 0 \
    "since the rotation was committed here" '`sipcctl reload` here'
run tt b rotate commit
expect "a second commit on b: exit 10 naming sipcctl reload" 10 '`sipcctl reload` here applies it'
"$BIN/sipcctl" --home "$work/b" reload >/dev/null 2>&1 || not_ok "sipcctl reload on b"

run tt a rotate abort --reload
expect "a rolls back" 0 "rolled back: this node holds the previous pair"
rolled_note() { cl b >"$OUT" 2>&1; grep -q 'a rolled back' "$OUT"; }
if wait_for 10 rolled_note && grep -q 'to go on with the rotation, `tlstool rotate commit --reload` on a' "$OUT" &&
    grep -q 'to abandon it, `tlstool rotate abort --reload` on b first' "$OUT"; then
    ok "a rolled back: named so, with both ways"
else
    bad "a rolled back: the note"
fi
run cl b --json
expect "a rolled back: tls.rotation.pair rolled_back" 0 '"pair": "rolled_back"'

rm -rf "$work/a/security/staged"
run tt a rotate status
expect "rolled-back state without staged/: rotate status PROBLEM, exit 10" 10 \
    "PROBLEM: the rotation state says rolled-back but security/staged/ holds no pair"
run tt a status
expect "rolled-back state without staged/: status INCONSISTENT, exit 10" 10 \
    "INCONSISTENT" "security/staged/ holds no pair"
shtest_done
