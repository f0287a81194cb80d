#!/usr/bin/env bash
# test_rotate_unverified.sh - a rotation whose staged pair does not verify
# on one node: three real sipcd, a b c ($BASE.1-3), strict, each with its
# own organisation certificate under root r1 ([tls] subject O=Test), a and
# b staging their r2 certificates, c one exported without its root r2
# (which c does not trust):
#   - c's status says its staged pair does not verify (tls.rotation:
#     verifies false, the verifier's reason, its fix, completable), and
#     `sipcctl status` there says so with what completes it
#   - `sipcctl status --cluster` (exit 0) says so for c and names what
#     completes it before any commit, in `tlstool rotate status`'s words;
#     `tlstool status` on c (exit 0) the same, text and --json
#   - once `tlstool trust add` of r2 completed it (--reload), each is back
#     to today's text: commit is next, nothing called not verified
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.198}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE".{1,2,3}:{23000,23001,23002,23003}
shtest_init rotateunverified
export TZ=UTC SIPC_PFX_PASSWORD="Rotate-Unverified-$$"
org_trio runverified || exit 1
tt() { local h=$1; shift; "$BIN/tlstool" --home "$work/$h" "$@"; }
(cd "$work/pki" && openssl pkcs12 -export -inkey c-r2.key -in c-r2.pem \
    -passout env:SIPC_PFX_PASSWORD -out c-r2-alone.pfx 2>/dev/null) || not_ok "c's r2 pair alone"
for n in a b; do
    tt $n rotate stage "$work/pki/$n-r2.pfx" --reload >/dev/null 2>&1 || not_ok "rotate stage on $n"
done
run tt c rotate stage "$work/pki/c-r2-alone.pfx"
expect "rotate stage on c of its r2 pair without its root: staged, NOT VERIFIED" 23 \
    "c-r2-alone\\.pfx is staged, but NOT VERIFIED: incomplete chain: cannot find the issuer 'O=Test, CN=Test Root r2'"
"$BIN/sipcctl" --home "$work/c" reload >/dev/null 2>&1 || not_ok "sipcctl reload on c"

MISSING="incomplete chain: cannot find the issuer 'O=Test, CN=Test Root r2' of 'O=Test, CN=node c'"
FIX="put the intermediate certificates into the PKCS#12 file (leaf, intermediates, root) and stage it again (\`tlstool rotate stage FILE --force\`); if the missing one is your organisation's root, add it with \`tlstool trust add\`"
run "$BIN/sipcctl" --home "$work/c" status --json
if [ "$(jq -c '.tls.rotation | [.pair, .verifies, .reason, .fix, .completable]' "$OUT")" = \
    "$(jq -nc --arg r "$MISSING" --arg f "$FIX" '["staged", false, $r, $f, true]')" ]; then
    ok "c's status: its staged pair does not verify, why and the fix"
else
    bad "c's status: tls.rotation $(jq -c .tls.rotation "$OUT")"
fi
run "$BIN/sipcctl" --home "$work/c" status
expect "sipcctl status on c: NOT VERIFIED, and what completes it" 0 \
    "^    NOT VERIFIED: the staged pair: incomplete chain: cannot find the issuer 'O=Test, CN=Test Root r2'.*; next: complete the staged pair first: put the intermediate"
run "$BIN/sipcctl" --home "$work/a" status --json
[ "$(jq -c '.tls.rotation.verifies' "$OUT")" = true ] && ok "a's status: its staged pair verifies" ||
    bad "a's status: tls.rotation $(jq -c .tls.rotation "$OUT")"

# the note: c's staged pair named, and what completes it before any commit
cluster() { "$BIN/sipcctl" --home "$work/a" status --cluster >"$OUT" 2>&1; }
want="NOT VERIFIED on c: the staged pair: $MISSING; peers refuse it, and \`tlstool rotate commit\` refuses it until it verifies; next: on c, complete the staged pair first: $FIX; then \`tlstool rotate commit --reload\` on a, b, c, one node at a time"
if wait_for 15 cluster && grep -qF "a, b, c staged" "$OUT" && grep -qF -- "$want" "$OUT"; then
    ok "status --cluster (exit 0): c's staged pair does not verify, and what completes it first"
else
    bad "status --cluster with c's staged pair not verifying (exit $?)"
fi
run tt c status
expect "tlstool status on c: NOT VERIFIED and the completing step" 0 \
    "^  NOT VERIFIED:  the staged pair: incomplete chain: cannot find the issuer 'O=Test, CN=Test Root r2'.*refuses it until it verifies$" \
    "^  next: +complete the staged pair first: put the intermediate certificates .* stage it again"
run tt c status --json
if [ "$(jq -c '.rotation | [.staged_verifies, .staged_reason]' "$OUT")" = \
    "$(jq -nc --arg r "$MISSING" '[false, $r]')" ] &&
    jq -r .rotation.next "$OUT" | grep -qF "complete the staged pair first: $FIX"; then
    ok "tlstool status --json on c: staged_verifies false, its reason and the next step"
else
    bad "tlstool status --json on c: rotation $(jq -c .rotation "$OUT")"
fi
run tt a status
expect "tlstool status on a, whose staged pair verifies: as before" 0 "^rotation:    staged"
grep -q "NOT VERIFIED\|^  next:" "$OUT" && bad "tlstool status on a: a pair that verifies called not verified"

# completed by trusting r2 on c: commit is next again, as before
tt c trust add "$work/pki/r2.pem" --reload >/dev/null 2>&1 || not_ok "trust add r2 on c"
settled() { cluster && ! grep -q "NOT VERIFIED" "$OUT"; }
if wait_for 15 settled &&
    grep -qF "a, b, c staged (each accepts the other pair besides its own, so the nodes reach each other); next: \`tlstool rotate commit --reload\` on a, b, c, one node at a time" "$OUT"; then
    ok "completed: status --cluster names the commit as before"
else
    bad "status --cluster once c's staged pair verifies"
fi
run tt c status --json
[ "$(jq -c '.rotation | [.staged_verifies, .staged_reason, .next]' "$OUT")" = '[true,null,null]' ] &&
    ok "completed: tlstool status --json on c, staged_verifies true" ||
    bad "tlstool status --json on c once completed: $(jq -c .rotation "$OUT")"
shtest_done
