#!/usr/bin/env bash
# test_rotate_finish_pernode.sh - rotate finish's guard when every node has
# a certificate of its own: three real sipcd, a b c ($BASE.1-3), strict,
# each with its own organisation certificate under root R1 ([tls] subject
# O=Test), rotating to certificates of their own under R2. No other node
# ever presents a's previous certificate, so only a judgement by trust
# tells that a would refuse b and c once finished:
#   - a committed: `status --cluster` is the rotation's note, exit 0, no
#     certificate_mismatch (b and c accept a's certificate of R2)
#   - finish on a before b and c committed: refused, exit 18, b and c
#     named, the rotation left committed, and b still reaches a
#   - once b and c committed: finish on a goes through, no warning, and
#     `status --cluster` names a finished (judged by its certificate's CA)
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.124}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE".{1,2,3}:{23000,23001,23002,23003}
shtest_init rotatepernode
export TZ=UTC SIPC_PFX_PASSWORD="Rotate-Pernode-$$"
org_trio rpernode || exit 1
tt() { local h=$1; shift; "$BIN/tlstool" --home "$work/$h" "$@"; }
# the links as tlstool check sees them, and the cluster's judgement
check_ok() { "$BIN/tlstool" --home "$work/$1" check >"$OUT" 2>&1; }
cluster_ok() { "$BIN/sipcctl" --home "$work/$1" status --cluster >"$OUT" 2>&1; }
for n in a b c; do
    tt $n rotate stage "$work/pki/$n-r2.pfx" --reload >/dev/null 2>&1 || not_ok "rotate stage on $n"
done
run "$BIN/sipcctl" --home "$work/b" status --json
if [ "$(jq -r .tls.rotation.issuer "$OUT")" = "O=Test, CN=Test Root r2" ]; then
    ok "b's status names the issuer of the staged certificate"
else
    bad "b's status: tls.rotation $(jq -c .tls.rotation "$OUT"), want the issuer O=Test, CN=Test Root r2"
fi
tt a rotate commit --reload >/dev/null 2>&1 || not_ok "rotate commit on a"
# every node accepts a's certificate of the new CA (b and c trust it as
# their staged pair's), and a theirs: a step of the rotation, no mismatch
if wait_for 15 cluster_ok b && grep -q 'a committed; b, c staged' "$OUT" &&
    ! grep -q certificate_mismatch "$OUT"; then
    ok "a committed: status --cluster is the rotation's note, exit 0"
else
    bad "a committed: status --cluster: $(head -c 600 "$OUT")"
fi

run tt a rotate finish --reload
expect "finish on a before b and c committed: refused" 18 \
    "not finished: 2 \\[cluster\\] nodes still present a certificate that only the pair this node stops trusting at finish \\(SHA-256 [0-9a-f]{16}\\.\\.\\.\\) vouches for, so it would refuse their links: $BASE.2 \\(node b\\), $BASE.3 \\(node c\\)\\. Nothing was changed" \
    'commit them \(`tlstool rotate commit --reload` on each; on one committed already whose sipcd still presents the old pair, `sipcctl reload` there\) first'
run tt a rotate status
expect "refused: the rotation stays committed on a" 0 'committed: +yes'
if wait_for 15 check_ok b; then ok "refused: b still reaches a and c"; else bad "refused: tlstool check from b"; fi

for n in b c; do tt $n rotate commit --reload >/dev/null 2>&1 || not_ok "rotate commit on $n"; done
run tt a rotate finish --reload
expect "finish on a once b and c committed: not refused" 0 '^finished: the previous pair'
grep -q 'warning' "$OUT" && bad "finish with every node committed warned"
# no node presents a's certificate: a is told finished by its CA
run "$BIN/sipcctl" --home "$work/b" status --cluster
if grep -q 'b, c committed; a finished' "$OUT" && ! grep -q 'not staged' "$OUT"; then
    ok "status --cluster: a finished, by its certificate's CA"
else
    bad "status --cluster after a finished: a not named finished"
fi
for n in b c; do tt $n rotate finish --reload >/dev/null 2>&1 || not_ok "rotate finish on $n"; done
if wait_for 15 check_ok a; then ok "rotation done: a reaches b and c"; else bad "rotation done: tlstool check from a"; fi
shtest_done
