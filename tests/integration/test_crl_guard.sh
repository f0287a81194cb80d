#!/usr/bin/env bash
# test_crl_guard.sh - the guard of the steps that narrow a home's trust,
# beyond a node's own rotation: three real sipcd, a b c ($BASE.1-3), strict,
# each with a certificate of its own from root r1 ([tls] subject O=Test),
# and a client-only home cl (a pair of its own, no sipcd, no [tls] enable):
#   - `crl add --reload` of a CRL revoking nothing in the cluster, with c
#     down: added, with a warning naming c as not asked (a node down does
#     not hold a CRL back: presenting a revoked certificate when it comes
#     back, it is refused, as revocation means); with c up again: the same
#     CRL, added without a warning; later, with c down, its DER copy, which
#     revokes nothing new: added, "replacing the same CRL"
#   - `crl add --reload` of a CRL revoking b's and c's certificates (every
#     other node's): refused, exit 18, both named with their certificates,
#     nothing stored; with --force: added, with a warning naming them
#   - `crl add --reload` of a CRL revoking b's certificate only: added,
#     exit 0, with a warning naming b, the verifier's reason and b's fix;
#     a's `status --cluster` then advises a new certificate on the node
#     presenting it only, not "on every node"
#   - rotating to root r2: the client's `rotate finish` with c down:
#     refused, exit 18, c named; with --force: finished, warning
#   - a's finish whose trust after the step cannot be set up (its pair
#     gone between the two dials): refused, exit 18, the nodes that
#     answered named as not judged, with the reason; nothing changed
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.149}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE".{1,2,3}:{23000,23001,23002,23003}
shtest_init crlguard
export TZ=UTC SIPC_PFX_PASSWORD="Crl-Guard-$$"
org_trio crlguard cl || exit 1
org_crls || exit 1
openssl crl -in "$work/pki/crl-x.pem" -outform DER -out "$work/pki/crl-x.der" ||
    { not_ok "crl-x.der"; exit 1; }
# client-only as the operator guide (1.3) makes one: no [node]
mkdir -p "$work/cl"
printf '[cluster]\nname = crlguard\nnodes = %s.1, %s.2, %s.3\n[tls]\nsubject = O=Test\n' \
    "$BASE" "$BASE" "$BASE" >"$work/cl/sipc.conf"
"$BIN/tlstool" --home "$work/cl" import "$work/pki/cl-r1.pfx" >/dev/null ||
    { not_ok "tlstool import on cl"; exit 1; }
tt() { local h=$1; shift; "$BIN/tlstool" --home "$work/$h" "$@"; }
crls() { ls -A "$work/$1/security/crl" 2>/dev/null | grep -c .; }
stop_c() {
    kill -TERM "${node_pids[2]}"
    wait_for 15 sh -c "! kill -0 ${node_pids[2]}" || not_ok "c did not stop"
}
start_c() {
    sipcd_start "$work/c" || exit 1
    node_pids[2]=$sipcd_pid
    at_exit "kill -CONT $sipcd_pid 2>/dev/null; kill -TERM $sipcd_pid 2>/dev/null"
}

# --- crl add ---------------------------------------------------------------
# a CRL revoking this home's own certificate: refused before any node is
# asked, and nothing said "added"
run tt b crl add "$work/pki/crl-bx.pem" --reload
expect "crl add revoking the home's own certificate: refused" 11 \
    "not added: it revokes this home's own certificate"
grep -v 'not added' "$OUT" | grep -q 'added' && bad "a CRL not added was said added"
[ "$(crls b)" = 0 ] && ok "and nothing stored in b's crl/" || not_ok "b's crl/ holds $(crls b) CRLs"
stop_c
run tt a crl add "$work/pki/crl-x.pem" --reload --timeout 1000
expect "crl add with c down: added, with a warning naming c" 0 \
    "^tlstool: warning: added although $BASE.3 could not be asked the pair it presents: if it presents a certificate this CRL revokes, this node refuses it when it connects$" \
    '^added CRL of O=Test, CN=Test Root r1 \(1 revoked'
grep -q -- '--force' "$OUT" && bad "a node down asks for --force"
[ "$(crls a)" = 1 ] && ok "added: a's crl/ holds the CRL" || not_ok "a's crl/ holds $(crls a) CRLs"
start_c
run tt a crl add "$work/pki/crl-x.pem" --reload
expect "crl add revoking no node's certificate: added" 0 '^added CRL of O=Test, CN=Test Root r1 \(1 revoked'
grep -q warning "$OUT" && bad "crl add revoking no node's certificate warned"
# the CRL a now checks peers with: its next update in the metrics and the
# status, not due (30 days ahead), revocation soft
run "$BIN/sipcctl" --home "$work/a" metrics
want=$(date -u -d "$(openssl crl -in "$work/pki/crl-x.pem" -noout -nextupdate | cut -d= -f2)" +%s)
expect "metrics: the CRL's next update, not due" 0 \
    "^sipc_crl_next_update_seconds\{issuer=\"O=Test, CN=Test Root r1\",name=\"crl/[0-9a-f]+\.crl\"\} $want$" \
    "^sipc_crl_due_soon\{issuer=\"O=Test, CN=Test Root r1\",name=\"crl/[0-9a-f]+\.crl\"\} 0$"
run "$BIN/sipcctl" --home "$work/a" status --json
if jq -e --argjson t "$want" '.tls.crls | length == 1 and .[0].next_update_unix == $t and
        .[0].due_soon == false and .[0].hard == false' "$OUT" >/dev/null; then
    ok "status: tls.crls names the CRL, not due, not hard"
else
    bad "status: tls.crls is $(jq -c .tls.crls "$OUT")"
fi

revoked() { echo "$BASE.$1 \\(node $2\\): certificate 'O=Test, CN=node $2' \\(serial [0-9A-Fa-f:]+\\) was revoked"; }
run tt a crl add "$work/pki/crl-bcx.pem" --reload
expect "crl add revoking every other node's certificate: refused" 18 \
    "not added: 2 \\[cluster\\] nodes present a certificate this CRL revokes \\(every \\[cluster\\] node that answered over TLS: no node would stay accepted\\), so it would refuse their links: $(revoked 2 b).*; $(revoked 3 c)" \
    'Nothing was changed' 'a new certificate that this CRL does not revoke' '--force'
grep -q 'fix: import a new' "$OUT" && bad "the refusal repeats the verifier's fix"
run tt a crl list --force
expect "crl list --force: a usage error, not ignored" 64 '^tlstool: error: --force goes with crl add and crl remove only$'
run tt a crl list --timeout 1000
expect "crl list --timeout: a usage error, not ignored" 64 '^tlstool: error: --timeout goes with crl add and crl remove only$'
run tt a crl list
expect "refused: the CRL installed before stays, number 10 (0a)" 0 'complete CRL number 10$'
run tt a crl add "$work/pki/crl-bcx.pem" --reload --force
expect "crl add --force: added, with a warning naming b and c" 0 \
    "warning: --force: added although 2 \\[cluster\\] nodes present a certificate this CRL revokes: $(revoked 2 b).*; $(revoked 3 c).*\\. This node refuses them from now on" \
    '^added CRL of O=Test, CN=Test Root r1 \(3 revoked'
run tt a crl remove "$(ls "$work/a/security/crl")" --reload
expect "crl remove --reload: b and c accepted again" 0 '^removed '

run tt a crl add "$work/pki/crl-bx.pem" --reload
expect "crl add revoking b's certificate only: added, b named with its fix" 0 \
    "^tlstool: warning: added although $BASE.2 \\(node b\\) presents a certificate this CRL revokes: certificate 'O=Test, CN=node b' \\(serial [0-9A-Fa-f:]+\\) was revoked.*\\. This node refuses it from now on \\(the other \\[cluster\\] nodes stay accepted\\); give $BASE.2 \\(node b\\) a new certificate: \`tlstool import NEW.pfx\` there, and a reload$" \
    '^added CRL of O=Test, CN=Test Root r1 \(2 revoked'
grep -q 'node c\|--force' "$OUT" && bad "the partial CRL named c, or asked for --force"
revoked_fix() {
    "$BIN/sipcctl" --home "$work/a" status --cluster >"$OUT" 2>&1
    grep -q "node b.*was revoked" "$OUT"
}
if wait_for 15 revoked_fix && grep -q 'on the node that presents this certificate, only there' "$OUT" &&
    ! grep -q 'unrevoked key pair on every node' "$OUT"; then
    ok "a's status --cluster: a new certificate on b only"
else
    bad "a's status --cluster: b not named revoked, or the fix not b's alone"
fi
run tt a crl remove "$(ls "$work/a/security/crl")" --reload
expect "crl remove --reload: b accepted again" 0 '^removed '
# a --force that takes the add past no refusal forces none of the node's
# guards in its reload (they would let other changes waiting through)
forced_reloads() { cat "$work/a"/logs/Management*.log 2>/dev/null | grep -c 'Reload requested by .*(force)'; }
# (a CRL that cuts off b only is applied with a warning without --force)
before=$(forced_reloads)
run tt a crl add "$work/pki/crl-bx.pem" --reload --force
expect "crl add --force of a CRL revoking b's certificate only: added" 0 \
    '^added CRL of O=Test, CN=Test Root r1 \(2 revoked'
[ "$(forced_reloads)" = "$before" ] && ok "that add's reload was not forced" ||
    bad "crl add --force of a partial CRL forced the reload ($before before, $(forced_reloads) after)"
run tt a crl remove "$(ls "$work/a/security/crl")" --reload
expect "crl remove --reload: b accepted again" 0 '^removed '
tt a crl add "$work/pki/crl-x.pem" --reload >/dev/null 2>&1 || not_ok "crl add crl-x.pem again"
before=$(forced_reloads)
run tt a crl add "$work/pki/crl-x.pem" --reload --force
expect "crl add --force of a CRL that cuts nobody off: added" 0 'replacing the same CRL'
if [ "$(forced_reloads)" = "$before" ] && [ "$before" -ge 1 ]; then
    ok "that add's reload was not forced (the one that cut b and c off was)"
else
    bad "forced reloads in a's log: $before before, $(forced_reloads) after"
fi

# --- a client-only home's finish ---------------------------------------------
for n in a b c; do tt $n rotate stage "$work/pki/$n-r2.pfx" --reload >/dev/null 2>&1 || not_ok "rotate stage on $n"; done
tt cl rotate stage "$work/pki/cl-r2.pfx" >/dev/null 2>&1 || not_ok "rotate stage on cl"
for n in a b c; do tt $n rotate commit --reload >/dev/null 2>&1 || not_ok "rotate commit on $n"; done
tt cl rotate commit >/dev/null 2>&1 || not_ok "rotate commit on cl"
stop_c
# a CRL that revokes nothing the one it replaces did not cuts nobody off
run tt a crl add "$work/pki/crl-x.der" --reload --timeout 1000
expect "the DER copy of the installed CRL, c down: added, the same CRL" 0 'replacing the same CRL'
grep -q 'older\|warning' "$OUT" && bad "the same CRL again: called older, or warned"
run tt cl rotate finish --timeout 1000
expect "client-only finish with c down: refused" 18 \
    "not finished: $BASE.3 could not be asked the pair it presents" 'Bring it up and commit it if it has not' '--force'
run tt cl rotate status
expect "refused: the rotation stays committed on cl" 0 'committed: +yes'
run tt cl rotate finish --timeout 1000 --force
expect "client-only finish --force: finished, with a warning" 0 \
    "warning: --force: finished although $BASE.3 could not be asked" '^finished: the previous pair'
start_c

# --- finish whose trust after the step cannot be set up ----------------------
# c stopped: the first dial waits for it, and a's pair goes meanwhile, so
# that only the trust after finish cannot be set up
kill -STOP "${node_pids[2]}"
"$BIN/tlstool" --home "$work/a" rotate finish --timeout 5000 >"$work/finish.out" 2>&1 &
finish_pid=$!
dialling_c() { ss -Htnp dst "$BASE.3:23000" | grep -q "pid=$finish_pid,"; }
if wait_for 10 dialling_c; then
    mv "$work/a/security/node.crt" "$work/a-node.crt"
    kill -CONT "${node_pids[2]}"
    wait "$finish_pid"
    RC=$?
    mv "$work/a-node.crt" "$work/a/security/node.crt"
    cp "$work/finish.out" "$OUT"
    expect "finish whose trust after it cannot be set up: refused" 18 \
        "not finished: $BASE.2 \\(node b\\), $BASE.3 \\(node c\\) answered, but whether this node would refuse their links once it stops trusting the pair \\(SHA-256 [0-9a-f]{16}\\.\\.\\.\\) cannot be judged: the trust this node keeps after finish cannot be set up: this node's pair \\(security/node.crt\\) cannot be read" \
        'Nothing was changed' '--force'
else
    kill -CONT "${node_pids[2]}"
    not_ok "tlstool did not dial c"
fi
run tt a rotate status
expect "refused: the rotation stays committed on a" 0 'committed: +yes'
for n in a b c; do tt $n rotate finish --reload >/dev/null 2>&1 || not_ok "rotate finish on $n"; done

# a CRL valid for a day, 13 hours of it gone: due (its window is half its
# validity, not 7 days), which the metrics say as sipc_crl_due_soon 1
(cd "$work/pki" && . "$SHTEST_DIR/../certs/openssl_pki.sh" && mkca r2 &&
    AT=$(date -u -d '13 hours ago' '+%Y-%m-%d %H:%M:%S') CRL_DAYS=1 gencrl r2 crl-r2.pem) ||
    not_ok "a CRL of r2 valid for a day"
tt a crl add "$work/pki/crl-r2.pem" --reload >/dev/null 2>&1 || not_ok "crl add crl-r2.pem"
run "$BIN/sipcctl" --home "$work/a" metrics
expect "metrics: a CRL of one day's validity 11 hours from its next update is due" 0 \
    "^sipc_crl_due_soon\{issuer=\"O=Test, CN=Test Root r2\",name=\"crl/[0-9a-f]+\.crl\"\} 1$" \
    "^# HELP sipc_crl_due_soon .*smaller of 7 days and half its validity"
shtest_done
