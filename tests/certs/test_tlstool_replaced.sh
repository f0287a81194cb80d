#!/bin/bash
# test_tlstool_replaced.sh TLSTOOL - a pair replaced on a node, without a
# network (organisation PKIs made by openssl_pki.sh: root A with an
# intermediate, root B, each with a CRL):
#   - `rotate stage` of a pair that does not verify fails as `import` does,
#     with verify's exit code (23: its intermediate missing; 28: revocation
#     hard and no CRL of its CA), keeps it staged so that `crl add` (or
#     `trust add`) can complete it, and gives no next step; staged again
#     once complete it succeeds; its fix says to stage the file again, not
#     to import it
#   - `rotate status` of such a stage says it does not verify and gives the
#     completing step, not commit; `rotate commit` refuses it (verify's code,
#     nothing changed) until `crl add` completed it; `--force` commits it
#     with a warning and still fails
#   - `tlstool status` says the same of such a stage as rotate status (text
#     and --json: staged_verifies, its reason, the next step; exit 0), and
#     nothing once it verifies
#   - a node loading the home (staged_node) judges the staged pair as
#     `tlstool status` does: without its intermediate, revocation unknown,
#     completed, verifying, revoked; where the judgement cannot be made (a
#     trust/ folder others may write), rotate status and status say it was
#     not judged, why and what to do, once, and name no commit, no abort
#     and no refusal by peers
#   - `verify FILE` of a revoked certificate, or of a chain whose CA is
#     revoked, words the fix for a file: do not import it; of a file
#     without its intermediate: put it into the file and verify it again,
#     not import it again
#   - a FIFO as security/rotation fails tlstool at once, never blocks it
#   - the home records how security/previous/ came to be (previous.origin,
#     0600): after `import --force` of another CA's pair over a TLS node, a
#     peer presenting the replaced pair is told that this node's import
#     replaced it, never that it missed a rotation; after a rotation
#     finished it is; without a record, or with one of another pair,
#     neither is claimed; never of this node's own pair, or of a peer
#     presenting the pair staged here, that shares the replaced pair's CA
set -u
T=${1:?usage: test_tlstool_replaced.sh TLSTOOL STAGED_NODE}
N=${2:?usage: test_tlstool_replaced.sh TLSTOOL STAGED_NODE}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../support/shtest.sh"
shtest_init tlstool_replaced
unset SIPC_HOME
export SIPC_PFX_PASSWORD='Replaced-Test-Passw0rd'

P=$work/pki
mkdir -p "$P"
(
    cd "$P" || exit 1
    . "$HERE/openssl_pki.sh" || exit 1
    node_ext
    selfsign root "/O=Example/CN=Root A" ca &&
        issue int "/O=Example/CN=Int A" root int &&
        issue leaf "/O=Example/CN=sipc org" int leaf &&
        issue leaf2 "/O=Example/CN=sipc org" int leaf &&
        selfsign oroot "/O=Other/CN=Root B" ca &&
        issue oleaf "/O=Example/CN=sipc org" oroot leaf || exit 1
    for c in root int oroot; do mkca "$c" && gencrl "$c" "$c.crl" || exit 1; done
    cat int.pem root.pem >chain.pem
    node_pfx leaf chain && node_pfx leaf2 root && mv leaf2.pfx noint.pfx && node_pfx oleaf oroot
    # leaf3 and int revoked, each in a CRL of its own
    issue leaf3 "/O=Example/CN=sipc org" int leaf && node_pfx leaf3 chain &&
        revoke int leaf3 && gencrl int int-revoked.crl &&
        revoke root int && gencrl root root-revoked.crl || exit 1
    # a leaf of Int A that expired a year ago
    DAYS=30 AT='2025-10-01 00:00:00' issue expired "/O=Example/CN=sipc org" int leaf &&
        node_pfx expired chain || exit 1
) || { echo "not ok - the PKI"; exit 1; }

# a home holding leaf.pfx with TLS enabled (strict)
mkhome() {
    mkdir -p "$1"
    printf '[node]\nid = n1\n[tls]\nsubject = CN=sipc org, O=Example\n%s' "${2:-}" >"$1/sipc.conf"
    "$T" --home "$1" import "$P/leaf.pfx" >/dev/null && "$T" --home "$1" enable >/dev/null ||
        { echo "not ok - import and enable leaf.pfx in $1"; exit 1; }
}

# The node loading home $2 (staged_node) judges its staged pair as
# `tlstool status` does: whether it verifies, why not, and the next step
# made of its fix (complete it when completable, else abort it).
same_judgement() {
    local node
    node=$("$N" "$2" 2>&1) || { bad "$1: the node cannot load the home: $node"; return; }
    "$T" --home "$2" status --json >"$work/status.json" 2>/dev/null
    if python3 - "$node" "$work/status.json" <<'PYEOF'; then
import json, sys
n, r = json.loads(sys.argv[1]), json.load(open(sys.argv[2]))["rotation"]
same = n["verifies"] == r["staged_verifies"] and n["reason"] == r.get("staged_reason", "")
if not n["verifies"]:
    step = r.get("next", "")
    same = same and n["fix"] != "" and n["fix"] in step and \
        step.startswith("complete the staged pair first: ") == n["completable"]
sys.exit(0 if same else 1)
PYEOF
        ok "$1: the node judges the staged pair as tlstool status does"
    else
        bad "$1: the node says $node; tlstool status: $(jq -c .rotation "$work/status.json" 2>/dev/null)"
    fi
}

# --- rotate stage of a pair that does not verify -------------------------------------------
H=$work/n1
mkhome "$H"
run "$T" --home "$H" rotate stage "$P/noint.pfx"
expect "rotate stage of a pair without its intermediate: verify's code, as import" 23 \
    "^staged .*noint\.pfx in " \
    "^tlstool: error: .*noint\.pfx is staged, but NOT VERIFIED: incomplete chain: cannot find the issuer 'O=Example, CN=Int A' of 'O=Example, CN=sipc org'; peers refuse this pair" \
    "^tlstool: fix: put the intermediate certificates into the PKCS#12 file"
grep -q "^next:" "$OUT" && bad "rotate stage of a pair that does not verify: a next step given"
grep -q "and import it again" "$OUT" && bad "rotate stage: the fix says to import the file"
grep -Eq "^tlstool: fix: .* and stage it again \(\`tlstool rotate stage .*noint\.pfx --force\`\)" "$OUT" &&
    ok "... its fix says to stage the file again" || bad "rotate stage: no 'stage it again' in the fix"
[ -s "$H/security/staged/node.crt" ] && [ "$("$T" --home "$H" rotate status | sed -n 's/^rotation: //p')" = staged ] &&
    ok "... and it stays staged, to be completed or aborted" || bad "the failed stage left no staged pair"
run "$T" --home "$H" rotate status
expect "rotate status of that stage: it does not verify, and the completing step" 0 \
    "^  NOT VERIFIED:  the staged pair: incomplete chain: cannot find the issuer 'O=Example, CN=Int A'" \
    "^next: complete the staged pair first: put the intermediate certificates into the PKCS#12 file .* and stage it again"
grep -q "^next: once every node has it staged" "$OUT" && bad "rotate status: commit named as the next step"
same_judgement "a staged pair without its intermediate" "$H"
run "$T" --home "$H" status
expect "tlstool status of that stage: it does not verify, the completing step, in rotate status's words" 0 \
    "^  NOT VERIFIED:  the staged pair: incomplete chain: cannot find the issuer 'O=Example, CN=Int A' of 'O=Example, CN=sipc org'; peers refuse it, and \`tlstool rotate commit\` refuses it until it verifies$" \
    "^  next: +complete the staged pair first: put the intermediate certificates into the PKCS#12 file .* and stage it again \(\`tlstool rotate stage FILE --force\`\)" \
    "^state: +consistent"
run "$T" --home "$H" status --json
expect "... and in --json" 0 '"staged_verifies": false' \
    '"staged_reason": "incomplete chain: cannot find the issuer' '"next": "complete the staged pair first: '
cur=$(sha256sum <"$H/security/node.crt")
run "$T" --home "$H" rotate commit --reload
expect "rotate commit of a staged pair that does not verify: refused with verify's code" 23 \
    "^tlstool: error: the staged pair \(SHA-256 [0-9a-f]{16}\.\.\.\) is NOT VERIFIED: incomplete chain: cannot find the issuer 'O=Example, CN=Int A' .*; not committed, nothing changed: this node would refuse it as its own pair at its next reload or start.*--reload: the node was not asked" \
    "^tlstool: fix: put the intermediate certificates .* and stage it again .*; then \`tlstool rotate commit\` again .*--force commits it anyway"
[ "$(sha256sum <"$H/security/node.crt")" = "$cur" ] && [ ! -e "$H/security/previous.origin" ] &&
    [ "$("$T" --home "$H" rotate status | sed -n 's/^rotation: //p')" = staged ] &&
    ok "... nothing changed" || bad "the refused commit changed the home"
run "$T" --home "$H" rotate commit --force
expect "rotate commit --force of it: committed, loudly, still verify's code" 23 \
    "^committed: this node now holds the new pair" \
    "^warning: --force: this node now holds a pair that does not verify here: with TLS enabled it refuses it at its next reload or restart" \
    "^tlstool: error: the staged pair is committed, but NOT VERIFIED: incomplete chain" \
    "^tlstool: fix: .* roll back to the previous pair \(\`tlstool rotate abort\`\), stage it again"
grep -q "^next:" "$OUT" && bad "rotate commit --force of a pair that does not verify: a next step given"
[ "$("$T" --home "$H" rotate status | sed -n 's/^rotation: //p')" = committed ] ||
    bad "rotate commit --force left the rotation uncommitted"
"$T" --home "$H" rotate abort >/dev/null && "$T" --home "$H" rotate abort >/dev/null ||
    bad "rotate abort (roll back, then drop) of the unverified pair"
[ "$(sha256sum <"$H/security/node.crt")" = "$cur" ] || bad "the roll back did not put the pair back"

# revocation hard, no CRL of the new pair's CA: 28; `crl add` completes it
H2=$work/n2
mkhome "$H2"
"$T" --home "$H2" crl add "$P/root.crl" >/dev/null && "$T" --home "$H2" crl add "$P/int.crl" >/dev/null ||
    bad "crl add of root A's and int A's CRLs"
printf 'revocation = hard\n' >>"$H2/sipc.conf"
run "$T" --home "$H2" rotate stage "$P/oleaf.pfx"
expect "rotate stage of another CA's pair, revocation hard, no CRL of its CA: verify's code" 28 \
    "^tlstool: error: .*oleaf\.pfx is staged, but NOT VERIFIED: revocation status of 'O=Example, CN=sipc org' is unknown: no CRL from its issuer 'O=Other, CN=Root B'" \
    "^tlstool: fix: add a current CRL from that issuer"
grep -q "^next:" "$OUT" && bad "rotate stage, revocation unknown: a next step given"
same_judgement "a staged pair whose CA has no CRL here, revocation hard" "$H2"
run "$T" --home "$H2" rotate commit
expect "rotate commit of it: refused, verify's code, crl add named" 28 \
    "^tlstool: error: the staged pair .* is NOT VERIFIED: revocation status of 'O=Example, CN=sipc org' is unknown" \
    "^tlstool: fix: add a current CRL from that issuer.*; then \`tlstool rotate commit\` again"
"$T" --home "$H2" crl add "$P/oroot.crl" >/dev/null || bad "crl add of root B's CRL"
run "$T" --home "$H2" rotate status
expect "rotate status once crl add completed it: commit is next" 0 "^next: once every node has it staged"
grep -q "NOT VERIFIED" "$OUT" && bad "rotate status: a completed pair called not verified"
run "$T" --home "$H2" status --json
expect "tlstool status once crl add completed it: it verifies" 0 '"staged_verifies": true'
grep -q '"staged_reason"\|"next"' "$OUT" && bad "tlstool status --json: a reason or step for a pair that verifies"
same_judgement "a staged pair completed by crl add" "$H2"
run "$T" --home "$H2" status
grep -q "NOT VERIFIED\|^  next:" "$OUT" && bad "tlstool status: a completed pair called not verified"
run "$T" --home "$H2" rotate stage "$P/oleaf.pfx" --force
expect "staged again once crl add completed it: success, and the next step" 0 "^staged " "^next: stage it on every node"
run "$T" --home "$H2" rotate commit
expect "... and committed" 0 "^committed: " "^next: commit the other nodes"

# H6: a staged pair that verifies; then a trust/ folder another account
# may write, where the judgement cannot be made: said, and commit (which
# refuses such a home) not named; then the pair revoked, which nothing
# here completes: abort named
H6=$work/n6
mkhome "$H6"
"$T" --home "$H6" crl add "$P/int.crl" >/dev/null && "$T" --home "$H6" rotate stage "$P/leaf3.pfx" >/dev/null ||
    bad "stage leaf3.pfx"
same_judgement "a staged pair that verifies" "$H6"
chmod g+w "$H6/security/trust"
run "$T" --home "$H6" rotate status
expect "rotate status with trust/ writable by the group: the staged pair not judged, why, what to do" 0 \
    "^  NOT JUDGED:    the staged pair was not judged, so whether it verifies is not known: .*security/trust can be changed by other users .*chmod go-w" \
    "^next: fix what is named; then \`tlstool rotate status\` judges the staged pair$"
grep -q "^next: once every node has it staged" "$OUT" && bad "rotate status: commit named for a home commit refuses"
grep -q "peers refuse it\|NOT VERIFIED\|rotate abort" "$OUT" && bad "rotate status: a pair not judged said refused, or its abort named"
run "$T" --home "$H6" status
expect "tlstool status: not judged for the folder's PROBLEM, named so (exit 10: the folder is a PROBLEM of its own)" 10 \
    "^  NOT JUDGED:    the staged pair was not judged, so whether it verifies is not known: for what this status names as a PROBLEM \(the trust it is judged with does not load\)$" \
    "^  next: +fix that PROBLEM; then \`tlstool rotate status\` judges the staged pair$" \
    "^PROBLEM: .*security/trust can be changed by other users"
grep -q "peers refuse it\|rotate abort" "$OUT" && bad "tlstool status: a pair not judged said refused, or its abort named"
[ "$(grep -c "security/trust can be changed by other users" "$OUT")" = 1 ] &&
    ok "tlstool status: the folder's reason said once" || bad "tlstool status: the folder's reason said more than once"
run "$T" --home "$H6" status --json
expect "... and in --json: staged_verifies null (not known), the reason a problem of its own" 10 \
    '"staged_verifies": null' '"staged_reason": "for what this status names as a PROBLEM' \
    '"problems": \[' '".*security/trust can be changed by other users'
run "$T" --home "$H6" rotate commit
expect "... as commit refuses it" 3 "security/trust"
chmod g-w "$H6/security/trust"
"$T" --home "$H6" crl add "$P/int-revoked.crl" >/dev/null || bad "crl add of the CRL revoking leaf3"
run "$T" --home "$H6" rotate status
expect "rotate status of a staged pair revoked: not verified, abort named" 0 \
    "^  NOT VERIFIED:  the staged pair: certificate 'O=Example, CN=sipc org' .* was revoked on " \
    "^next: .tlstool rotate abort. drops the staged pair, which cannot be committed \(its certificate is revoked: obtain a new key pair from its CA \('O=Example, CN=Int A'\) to stage in its place\)"
grep -q "import a new, unrevoked" "$OUT" && bad "rotate status of a revoked staged pair: an import named, which a rotation refuses"
same_judgement "a staged pair revoked once staged" "$H6"
run "$T" --home "$H6" rotate stage "$P/leaf3.pfx" --force
expect "rotate stage of a revoked FILE: refused, a new pair to stage named" 27 \
    "^tlstool: error: .*leaf3\.pfx: not staged: certificate 'O=Example, CN=sipc org' .* was revoked on " \
    "^tlstool: fix: its certificate is revoked: obtain a new key pair from its CA \('O=Example, CN=Int A'\) to stage in its place"
grep -q "import a new, unrevoked" "$OUT" && bad "rotate stage of a revoked FILE: an import named, which a rotation refuses"
# expired, a defect of its own as well: a renewed certificate to stage, not
# the import the rotation under way refuses (exit 10)
run "$T" --home "$H6" rotate stage "$P/expired.pfx" --force
expect "rotate stage of an expired FILE: refused, a renewed certificate to stage named" 25 \
    "^tlstool: error: .*expired\.pfx: not staged: certificate 'O=Example, CN=sipc org' expired on 2025-10-31" \
    "^tlstool: fix: check this machine's clock first .*obtain a renewed certificate from its CA \('O=Example, CN=Int A'\) to stage in its place"
grep -q "tlstool import" "$OUT" && bad "rotate stage of an expired FILE: an import named, which a rotation refuses"

# --- verify of a revoked FILE: worded for a file checked, not a handshake ------------------
# leaf3 is staged in H6, a peer's own pair for the verifier: still a file
run "$T" --home "$H6" verify "$P/leaf3.pfx"
expect "verify of a FILE whose certificate is revoked: not to be imported, a new one from its CA" 27 \
    "^NOT VERIFIED: certificate 'O=Example, CN=sipc org' .* was revoked on " \
    "^Fix: do not import .*leaf3\.pfx: its certificate is revoked; obtain a new one from its CA \('O=Example, CN=Int A'\) and verify that file"
grep -q "on the node that presents this certificate, only there" "$OUT" &&
    bad "verify of a revoked FILE: worded for a handshake"
# a staged node.crt that cannot be read as a pair (damaged here): said so,
# never "holds no pair" (it was not removed) nor "peers refuse it"
# (H6's, staged, once the verify above has used it)
echo damaged >"$H6/security/staged/node.crt"
for c in "status" "rotate status"; do
    # shellcheck disable=SC2086
    run "$T" --home "$H6" $c
    expect "$c with staged/node.crt damaged: it cannot be read as a pair, exit 10" 10 \
        "PROBLEM: the rotation state says staged and security/staged/node.crt is there, but it cannot be read as a pair \((.*node\.crt: no certificate found|the problem above names why)\)"
    grep -q "holds no pair\|peers refuse it" "$OUT" && bad "$c: a damaged staged pair said removed, or refused by peers"
done
grep -q "^  staged pair:   UNREADABLE$" "$OUT" && ok "rotate status: staged pair UNREADABLE" ||
    bad "rotate status: the staged pair's line"

H7=$work/n7
mkdir -p "$H7" && printf '[tls]\nsubject = CN=sipc org, O=Example\n' >"$H7/sipc.conf"
"$T" --home "$H7" trust add "$P/root.pem" >/dev/null && "$T" --home "$H7" crl add "$P/root-revoked.crl" >/dev/null ||
    bad "trust add root A, crl add its CRL revoking Int A"
run "$T" --home "$H7" verify "$P/leaf.pfx"
expect "verify of a FILE whose CA is revoked: not to be imported, a certificate under another CA" 27 \
    "^Fix: do not import .*leaf\.pfx: the CA 'O=Example, CN=Int A' of its chain is revoked; obtain a certificate under a CA that is not revoked"
grep -q "import a new, unrevoked key pair" "$OUT" && bad "verify of a FILE whose CA is revoked: worded for a handshake"

# --- a FIFO where the rotation's state belongs ----------------------------------------------
# it would block every reader for good: tlstool (and the node) refuse it at once
H4=$work/n4
mkhome "$H4"
mkfifo "$H4/security/rotation"
for c in "rotate status" "rotate commit" "verify"; do
    # shellcheck disable=SC2086
    run timeout 10 "$T" --home "$H4" $c
    [ "$RC" != 124 ] && grep -q "security/rotation is not a regular file (a FIFO)" "$OUT" &&
        ok "$c with a FIFO as security/rotation: fails at once, saying so (exit $RC)" ||
        bad "$c with a FIFO as security/rotation (exit $RC)"
done
run timeout 10 "$T" --home "$H4" rotate status
expect "rotate status: the step's exit code and what to do" 10 "remove what is there"

# --- how security/previous/ came to be ----------------------------------------------------
# H: import --force of another CA's pair over a node with TLS on
run "$T" --home "$H" import "$P/oleaf.pfx" --force
expect "import --force of root B's pair over root A's, TLS on" 0 "^imported "
O=$H/security/previous.origin
[ "$(stat -c %a "$O" 2>/dev/null)" = 600 ] && grep -q "^origin forced-import$" "$O" &&
    ok "previous.origin (0600) records the forced import" || { bad "previous.origin after import --force"; shtest_show "$O"; }
run "$T" --home "$H" verify "$P/leaf.pfx"
expect "a peer presenting the pair the forced import replaced: told so" 22 \
    "^NOT VERIFIED: certificate 'O=Example, CN=sipc org' chains to 'O=Example, CN=Root A' \(SHA-256 [0-9a-f]{16}\.\.\.\), a CA of the pair this node's \`tlstool import --force\` replaced \(security/previous/, SHA-256 [0-9a-f]{16}\.\.\.\): the peer still presents the old pair$" \
    "^Fix: import the same pair on every node .*, or import the old one back on this side"
grep -q "rotat" "$OUT" && bad "after import --force, a refusal speaks of a rotation"
# without the record (a home of an older tlstool), or with one of another
# pair, nothing is claimed
mv "$O" "$work/origin.kept"
run "$T" --home "$H" verify "$P/leaf.pfx"
expect "no record: neither a rotation nor an import claimed" 22 \
    "a CA of the pair this node held before \(security/previous/, SHA-256 [0-9a-f]{16}\.\.\.; replaced by a rotation or an import, not recorded\): the peer still presents it$"
grep -q "missed the rotation\|import --force. replaced" "$OUT" && bad "no record: a cause claimed"
sed 's/^pair .*/pair 0000000000000000000000000000000000000000000000000000000000000000/' \
    "$work/origin.kept" >"$O"
run "$T" --home "$H" verify "$P/leaf.pfx"
expect "a record of another pair says nothing" 22 "replaced by a rotation or an import, not recorded"
rm -f "$O" && mkfifo "$O"
run timeout 10 "$T" --home "$H" verify "$P/leaf.pfx"
expect "a FIFO as the record: not opened, nothing claimed" 22 "replaced by a rotation or an import, not recorded"
rm -f "$O"

# H3: a rotation finished
H3=$work/n3
mkhome "$H3"
for s in "stage $P/oleaf.pfx" commit finish; do
    # shellcheck disable=SC2086
    "$T" --home "$H3" rotate $s >"$OUT" 2>&1 || { bad "rotate $s"; shtest_show "$OUT"; }
done
grep -q "^origin rotation$" "$H3/security/previous.origin" && ok "previous.origin records the rotation" ||
    bad "previous.origin after a rotation"
run "$T" --home "$H3" verify "$P/leaf.pfx"
expect "after a rotation: the peer missed it" 22 \
    "a CA of the pair this side rotated away from \(security/previous/, SHA-256 [0-9a-f]{16}\.\.\.\): a node presenting it missed the rotation$"
# staging back to a pair of that CA, without its intermediate: a peer that
# presents it holds the pair this node moves to, not the one it left
"$T" --home "$H3" rotate stage "$P/noint.pfx" >/dev/null 2>&1
run "$T" --home "$H3" verify "$P/noint.pfx"
expect "a peer presenting the staged pair of the replaced pair's CA: its own refusal" 23 \
    "^NOT VERIFIED: incomplete chain: cannot find the issuer 'O=Example, CN=Int A' of 'O=Example, CN=sipc org'$" \
    "^Fix: put the intermediate certificates into .*noint\.pfx \(leaf, intermediates, root\) and verify it again \(a PKCS#12 file is exported again with them: \`openssl pkcs12 -export "
grep -q "import it again" "$OUT" && bad "verify FILE: the fix says to import again a file imported nowhere"
grep -q "rotated away\|missed the rotation" "$OUT" && bad "the staged pair called the pair replaced"
run "$T" --home "$H3" verify "$P/leaf.pfx"
expect "... while the pair replaced is still named" 22 "a node presenting it missed the rotation$"

# H5: its own pair, imported over a pair of the same CA, lacks its
# intermediate: verify names that, not the pair the import replaced
H5=$work/n5
mkhome "$H5"
"$T" --home "$H5" import "$P/noint.pfx" --force >/dev/null 2>&1
run "$T" --home "$H5" verify
expect "its own pair of the replaced pair's CA, without its intermediate: its own refusal" 23 \
    "^NOT VERIFIED: incomplete chain: cannot find the issuer 'O=Example, CN=Int A' of 'O=Example, CN=sipc org'$" \
    "^Fix: put the intermediate certificates into the PKCS#12 file .* and import it again"
grep -q "replaced\|still presents" "$OUT" && bad "its own pair called the pair replaced"
shtest_done
