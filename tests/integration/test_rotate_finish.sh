#!/usr/bin/env bash
# test_rotate_finish.sh - a key pair rotation across three real sipcd, a b c
# ($BASE.1-3), strict:
#   - `rotate finish --reload` on a before b and c committed: refused, exit
#     18, b and c named with the safe order, the rotation left committed;
#     with --force it finishes, with a warning naming them, and `status
#     --cluster` names a finished (not "not staged": staging again fails
#     there) and the way out, committing b and c
#   - once b and c committed, finish on b with c down: refused, exit 18, c
#     named as not asked (down through the rotation, it has not committed);
#     with c up again, finish on them: no refusal
#   - `rotate stage` of an organisation-signed pair into a home without
#     [tls] subject: refused, exit 3, naming the line to add; with the pair
#     staged and the subject taken out by hand, `tlstool status` names
#     `tlstool rotate abort` as the way to drop its root
#   - to an organisation-signed pair ([tls] subject set) and back to a new
#     self-signed one: after the first commit each way, `status --cluster`
#     is the rotation's note, exit 0, no certificate_mismatch (every node
#     accepts the other pair: its status names that pair's certificate)
#   - abandoning that last rotation, a committed: `rotate abort --reload` on b
#     (staged) is refused, exit 18, a named with the way out (roll it back),
#     b left staged; with --force on c it aborts with a warning naming a;
#     once a rolled back, the aborts on a and b are not refused
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.115}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE".{1,2,3}:{23000,23001,23002,23003}
shtest_init rotatefinish
export TZ=UTC SIPC_PFX_PASSWORD="Rotate-Finish-$$"
"$BIN/tlstool" create -site "$work/cluster.pfx" >/dev/null &&
    "$BIN/tlstool" create -site "$work/new.pfx" >/dev/null &&
    "$BIN/tlstool" create -site "$work/back.pfx" >/dev/null || { not_ok "tlstool create"; exit 1; }
i=0
for n in a b c; do
    i=$((i + 1))
    node_home "$work/$n" rfinish "$n" "$BASE.$i" "$BASE.1, $BASE.2, $BASE.3"
    "$BIN/tlstool" --home "$work/$n" import "$work/cluster.pfx" >/dev/null &&
        "$BIN/tlstool" --home "$work/$n" enable --mode strict >/dev/null ||
        { not_ok "tlstool import, enable on $n"; exit 1; }
done
sipcd_start_all "$work/a" "$work/b" "$work/c" || exit 1
tt() { local h=$1; shift; "$BIN/tlstool" --home "$work/$h" "$@"; }
cluster_ok() { "$BIN/sipcctl" --home "$work/$1" status --cluster >"$OUT" 2>&1; }
# first_commit_ok WHAT: a committed, b and c staged: status --cluster from b
# is the rotation's note, exit 0, no certificate_mismatch
first_commit_ok() {
    if wait_for 15 cluster_ok b && grep -q 'a committed; b, c staged' "$OUT" &&
        ! grep -q certificate_mismatch "$OUT"; then
        ok "$1, a committed: the rotation's note, exit 0"
    else
        bad "$1, a committed: status --cluster"
    fi
}
steps() { for h in "$@"; do tt "$h" rotate "${step[@]}" --reload >/dev/null 2>&1 || not_ok "rotate ${step[*]} on $h"; done; }

step=(stage "$work/new.pfx"); steps a b c
step=(commit); steps a
# b asks a over the link it has to a: once a's connections from before the
# commit are replaced (b's links redial, an idle one within 100 ms), b's
# link is one a still keeps after finishing (until its own replacement, 500
# ms after that reload); the status just after the forced finish below
# needs it
replaced_a() { cat "$work/a"/logs/ManagementService_*.log | awk '/Reload done/ { r = 0 } /Every connection made before the reload has been replaced/ { r = 1 } END { exit !r }'; }
wait_for 15 replaced_a || not_ok "a's connections from before its commit not replaced"
wait_for 15 cluster_ok b || not_ok "b does not reach a after a's commit"
run tt a rotate finish --reload
expect "finish on a before b and c committed: refused" 18 \
    "not finished: 2 \\[cluster\\] nodes still present a certificate that only the pair this node stops trusting at finish \\(SHA-256 [0-9a-f]{16}\\.\\.\\.\\) vouches for, so it would refuse their links: $BASE.2 \\(node b\\), $BASE.3 \\(node c\\)\\. Nothing was changed" \
    'commit them \(`tlstool rotate commit --reload` on each; on one committed already whose sipcd still presents the old pair, `sipcctl reload` there\) first' '--force'
run tt a rotate status
expect "refused: the rotation stays committed on a" 0 'committed: +yes'

run tt a rotate finish --reload --force
expect "finish --force: finished, with a warning" 0 \
    "warning: --force: finished although 2 \\[cluster\\] nodes still present a certificate that only the pair this node stops trusting at finish \\(SHA-256 [0-9a-f]{16}\\.\\.\\.\\) vouches for: $BASE.2 \\(node b\\), $BASE.3 \\(node c\\)\\." \
    '^finished: the previous pair'
run "$BIN/sipcctl" --home "$work/b" status --cluster
if grep -q 'stage the new pair on\|a not staged' "$OUT"; then
    bad "status --cluster after an early finish advises staging a again"
elif grep -q 'b, c staged; a finished' "$OUT" && grep -q 'rotate commit --reload` on b, c' "$OUT"; then
    ok "status --cluster after an early finish: a finished, next: commit b and c"
else
    bad "status --cluster after an early finish: a not named finished, or no advice to commit b and c"
fi

step=(commit); steps b c
# c down: whether it committed cannot be told, so finish on b is refused
kill -TERM "${node_pids[2]}"
wait_for 15 sh -c "! kill -0 ${node_pids[2]}" || not_ok "c did not stop"
run tt b rotate finish --reload --timeout 1000
expect "finish on b with c down: refused" 18 \
    "not finished: $BASE.3 could not be asked the pair it presents, so whether this node would refuse its links" \
    'Bring it up and commit it if it has not' '--force'
sipcd_start "$work/c" || exit 1
at_exit "kill -TERM $sipcd_pid 2>/dev/null"
run tt b rotate finish --reload
expect "finish on b once every node committed: not refused" 0 '^finished: the previous pair'
grep -q 'warning' "$OUT" && bad "finish with every node committed warned"
step=(finish); steps c
if wait_for 15 cluster_ok c; then ok "rotation done: status --cluster exit 0"; else bad "rotation done: status --cluster"; fi

# an organisation's CA and a node certificate from it, for every node
pki_sh=$(cd "$(dirname "$0")/../certs" && pwd)/openssl_pki.sh
mkdir -p "$work/pki" && (
    cd "$work/pki" || exit 1
    . "$pki_sh"
    node_ext
    selfsign root "/O=Test/CN=Test Root" ca && issue node "/O=Test/CN=sipc rfinish" root leaf &&
        node_pfx node root && mv node.pfx org.pfx
) || { not_ok "the organisation's PKI"; exit 1; }
run tt a rotate stage "$work/pki/org.pfx"
expect "stage of an organisation pair without [tls] subject: refused" 3 \
    'org.pfx: not staged: .*no \[tls\] subject is set' '\[tls\] subject = O=Test, CN=sipc rfinish'
run tt a rotate status
expect "refused: nothing staged on a" 0 '^rotation: none in progress'
for n in a b c; do
    sed -i '/^\[tls\]/a subject = CN=sipc rfinish, O=Test' "$work/$n/sipc.conf"
done
org_fp=$(openssl x509 -in "$work/pki/node.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)

step=(stage "$work/pki/org.pfx"); steps a b c
run "$BIN/sipcctl" --home "$work/b" status --json
if [ "$(jq -r .tls.rotation.fingerprint_sha256 "$OUT")" = "$org_fp" ]; then
    ok "b's status names the staged organisation pair by its certificate"
else
    bad "b's status: tls.rotation $(jq -c .tls.rotation "$OUT"), want the certificate $org_fp"
fi
# the subject taken out again by hand: the staged pair's root is the
# reason, and dropping that pair the fix, not trust remove
cp "$work/a/sipc.conf" "$work/a.conf"
sed -i '/^subject = /d' "$work/a/sipc.conf"
run tt a status
expect "a staged organisation root without a subject: rotate abort named" 10 \
    "this home trusts the certificate authority 'O=Test, CN=Test Root' \\(staged pair\\)" \
    'drop the staged pair that carries that root \(`tlstool rotate abort`\)'
grep -q 'trust remove\|ETLSONPLAIN' "$OUT" && bad "a staged root: trust remove advised, or TLS said not enabled"
run tt a mode strict --reload
expect "and --reload: not asked, for that reason" 3 \
    'the node at [0-9.]+:23002 was not asked: this home.s TLS setup is refused: .*\(staged pair\).*`tlstool rotate abort`'
cp "$work/a.conf" "$work/a/sipc.conf"
step=(commit); steps a
first_commit_ok "to an organisation pair"
step=(commit); steps b c
step=(finish); steps a b c

step=(stage "$work/back.pfx"); steps a b c
step=(commit); steps a
first_commit_ok "from an organisation pair"

run tt b rotate abort --reload
expect "abort on b while a presents the staged pair: refused" 18 \
    "not aborted: 1 \\[cluster\\] node still presents a certificate that only the pair this node stops trusting at abort \\(SHA-256 [0-9a-f]{16}\\.\\.\\.\\) vouches for, so it would refuse its links: $BASE.1 \\(node a\\)\\. Nothing was changed" \
    'roll them back \(`tlstool rotate abort --reload` on each\) first' '--force'
run tt b rotate status
expect "refused: the rotation stays staged on b" 0 '^rotation: staged'
run tt c rotate abort --reload --force
expect "abort --force on c: aborted, with a warning" 0 \
    "warning: --force: aborted although 1 \\[cluster\\] node still presents a certificate that only the pair this node stops trusting at abort .* vouches for: $BASE.1 \\(node a\\)\\." '^aborted: the staged pair'
step=(abort); steps a
run tt b rotate abort --reload
expect "abort on b once a rolled back: not refused" 0 '^aborted: the staged pair'
grep -q 'warning' "$OUT" && bad "abort with every node rolled back warned"
steps a
if wait_for 15 cluster_ok c; then ok "rotation abandoned: status --cluster exit 0"; else bad "rotation abandoned: status --cluster"; fi
shtest_done
