#!/usr/bin/env bash
# s1_operator_procedure.sh - scenario 1: the documented procedure
# (docs/operator-guide.md 1.1-1.6) as an operator does it, on a running
# plaintext cluster of three real nodes holding records: create the pair once,
# copy it to every node (and the client machine), import it there, pre-flight
# check, enable TLS on every node, restart them one by one. Then every
# service of every node logs `TLS Port:`, every node runs TLS, and searches
# from every node find every record, complete (not partial).
# A restart with [tls] mode = strict while peers still spoke plaintext starts
# permissive (the strict guard); the operator then reloads each node once its
# peers use TLS, as the guard's log line says.
# Then each node and the client rotate to a certificate of their own from an
# organisation's CA (guide 2 and 1.8): `sipc-cluster status` takes the nodes'
# word that they accept each other's, and names a node on a certificate of
# another root, which they refuse.
. "$(dirname "$0")/scenario.sh"

section "a plaintext cluster with records"
cluster up -n 3 --tls off --base "$NET.0" || exit 1
records=300
for i in $(seq 1 $records); do
    printf '{"id": "op-%04d", "timestamp": "2026-11-23T10:%02d:%02dZ", "attributes": {"batch": "s1"}, "body": "operator record %d before TLS"}\n' \
        "$i" $((i / 60 % 60)) $((i % 60)) "$i"
done >"$work/records.ndjson"
# (the client home is client-only: a command for one node names it)
ctl --node "$(node_addr n1)" ingest "$work/records.ndjson" >"$work/ingest.out" 2>&1 &&
    grep -q "acknowledged: $records" "$work/ingest.out" && ok "$records records ingested through n1's pipeline" ||
    { not_ok "ingest"; cat "$work/ingest.out"; }

section "1.1 create the key pair, once, on one machine (n1)"
pw="$work/pw.txt"
(umask 077 && echo "Operator-S1-$$" >"$pw")
t_proc=$(date +%s%3N)
check "tlstool create -site cluster.pfx --password-file pw.txt" tt n1 create -site "$work/cluster.pfx" --password-file "$pw"

section "1.2-1.3 copy it to every node and the client machine, import it there"
for n in n1 n2 n3; do
    install -m 600 "$work/cluster.pfx" "$(node_home "$n")/cluster.pfx"
    check "$n: tlstool import cluster.pfx (the copy on $n)" tt "$n" import "$(node_home "$n")/cluster.pfx" --password-file "$pw"
done
check "client machine: tlstool import cluster.pfx" "$BIN/tlstool" --home "$(client_home)" import "$work/cluster.pfx" --password-file "$pw"
fp=$(tt n1 status --json | jq -r '.certificate.fingerprint_sha256 // .certificate.sha256 // empty')
for n in n2 n3; do
    [ "$(tt "$n" status --json | jq -r '.certificate.fingerprint_sha256 // .certificate.sha256 // empty')" = "$fp" ] ||
        not_ok "$n holds another pair than n1"
done
check "tlstool verify on n2 ends with VERIFIED" sh -c "'$BIN/tlstool' --home '$(node_home n2)' verify | tail -n1 | grep -qx VERIFIED"

section "1.4 pre-flight: tlstool check on n1 (every node reachable, plaintext expected)"
tt n1 check >"$work/check1.out" 2>&1
rc=$?
sed 's/^/    /' "$work/check1.out"
[ "$rc" = 0 ] && [ "$(grep -ci 'plaintext' "$work/check1.out")" -ge 3 ] &&
    ok "check: 3 nodes reachable in plaintext, exit 0" || not_ok "pre-flight check (exit $rc)"

section "1.5 enable TLS on every node, restart them one by one"
for n in n1 n2 n3; do
    check "$n: tlstool enable" tt "$n" enable
done
for n in n1 n2 n3; do
    t0=$(date +%s%3N)
    cluster restart "$n" >"$work/restart.out" 2>&1 && ok "$n restarted ($(ms_since "$t0") ms): $(tail -n1 "$work/restart.out")" ||
        { not_ok "restart $n"; cat "$work/restart.out"; }
done
# The guard: a node restarted strict while its peers' latest connections
# were plaintext (the other nodes, still off, and the pre-flight check's own
# plaintext probes) starts permissive and says so in an ERROR line.
# A node is known guarded by its mode (its status), and its log must say
# why: a node left permissive unnoticed would never be reloaded.
guarded=""
for n in n1 n2 n3; do
    mode=$(ctl status --node "$(node_addr "$n")" --json 2>/dev/null | jq -r '.node.tls.mode // .tls.mode // empty')
    line=""
    for _ in $(seq 1 50); do # the log is written by a thread of its own
        line=$(cluster logs "$n" --service data | grep "Service.Guard ERROR .*starting in permissive mode instead" | tail -n1)
        [ -n "$line" ] || [ "$mode" != permissive ] && break
        sleep 0.1
    done
    if [ -n "$line" ]; then
        guarded="$guarded $n"
        echo "    $n: ${line#*ERROR }"
    elif [ "$mode" = permissive ]; then
        guarded="$guarded $n"
        not_ok "$n started permissive, but its data log has no guard ERROR line saying why"
        cluster logs "$n" --service data | grep -i guard | sed 's/^/    | /'
    fi
done
figure "started permissive (guard)" "${guarded:- none}"

section "1.6 tlstool check again: every node TLS, same certificate"
# (its TLS probes also replace the plaintext ones of the pre-flight check in
# the nodes' peer history)
tt n1 check >"$work/check2.out" 2>&1
rc=$?
grep -E ': reachable|CHECK' "$work/check2.out" | sed 's/^/    /'
[ "$rc" = 0 ] && [ "$(grep -c ': reachable, TLS (.*same certificate' "$work/check2.out")" = 3 ] &&
    ok "check: 3 nodes TLS, same certificate" || not_ok "check after the restarts (exit $rc)"
# What the guard's line says to do, now that every peer speaks TLS: reload.
for n in $guarded; do
    if ctl reload --node "$(node_addr "$n")" >"$work/reload.out" 2>&1; then
        ok "$n: sipcctl reload: $(grep -m1 'changed: TLS' "$work/reload.out" | sed 's/^ *//')"
    else
        not_ok "$n: reload refused"; cat "$work/reload.out"
    fi
done
figure "procedure (create..restart) ms" "$(ms_since "$t_proc")"

section "every service of every node logs 'TLS Port:'"
for n in n1 n2 n3; do
    for s in data search management pipeline; do
        last=$(cluster logs "$n" --service "$s" | grep -E '(Service.Start|Service.Reload) INFO (TLS )?Port: ' | tail -n1)
        if [[ "$last" == *"TLS Port: "* ]]; then
            ok "$n $s: ${last#*INFO }"
        else
            not_ok "$n $s: the last port line is '${last#*INFO }'"
        fi
    done
done
settled_status "$work/status.out"
rc=$?
cat "$work/status.out"
[ "$rc" = 0 ] && [ "$(grep -c 'TLS strict .* healthy$' "$work/status.out")" = 3 ] &&
    ! grep -Eq 'plaintext|disabled' "$work/status.out" &&
    ok "sipc-cluster status: 3 nodes TLS strict, healthy, no plaintext" || not_ok "status after the procedure (exit $rc)"

section "searches work from every node"
for n in n1 n2 n3; do
    ctl search '"before TLS"' --limit 1000 --node "$(node_addr "$n")" --json >"$work/s.json" 2>"$work/s.err"
    rc=$?
    hits=$(jq -r '.hits | length' "$work/s.json" 2>/dev/null)
    [ "$rc" = 0 ] && [ "$hits" = "$records" ] && [ "$(jq -r '.partial // false' "$work/s.json")" = false ] &&
        ok "search sent to $n: $hits of $records records, from every node, over TLS" ||
        { not_ok "search sent to $n: exit $rc, ${hits:-?} hits"; cat "$work/s.err"; }
done
ctl ping "$(node_addr n2)" 2>&1 | grep -q "over TLSv1.2" && ok "the client machine reaches n2 over TLSv1.2" || not_ok "ping n2 over TLS"
figure records "$records"
figure "nodes TLS strict" "$(grep -c '^n[0-9].* TLS strict ' "$work/status.out")"

section "2. a certificate of its own on every node, from an organisation's CA (guide 1.8, 2)"
# A root and an issuing CA; each node and the client a pair with the chain,
# under the subject every home then requires; the nodes rotate to them. The
# harness takes the nodes' word that they accept each other's certificates,
# and still names a node whose certificate the others refuse.
t0=$(date +%s%3N)
export SIPC_PFX_PASSWORD="Acme-S1-$$"
(
    # shellcheck disable=SC1091
    mkdir -p "$work/acme" && cd "$work/acme" && . "$SHTEST_DIR/../certs/openssl_pki.sh" && node_ext &&
        selfsign root "/O=Acme/CN=Acme Root CA" ca && issue int "/O=Acme/CN=Acme Issuing CA" root int &&
        cat int.pem root.pem >chain.pem && for n in n1 n2 n3 client; do
            issue $n "/O=Acme/OU=sipc prod/CN=$n.sipc.acme" int leaf && node_pfx $n chain || exit 1
        done &&
        # a root the cluster does not trust, under the same names
        selfsign other "/O=Acme/CN=Acme Root CA" ca && issue bad "/O=Acme/OU=sipc prod/CN=n3.sipc.acme" other leaf &&
        node_pfx bad other
) || not_ok "the organisation's PKI"
(umask 077 && printf "%s\n" "$SIPC_PFX_PASSWORD" >"$work/acme/pw")
for h in "$(node_home n1)" "$(node_home n2)" "$(node_home n3)" "$(client_home)"; do
    printf '\n[tls]\nsubject = O=Acme, OU=sipc prod\n' >>"$h/sipc.conf"
done
for step in stage commit finish; do
    for n in n1 n2 n3 client; do
        if [ $n = client ]; then h=(--home "$(client_home)"); r=(); else h=(--home "$(node_home $n)"); r=(--reload); fi
        a=("$step"); [ $step = stage ] && a+=("$work/acme/$n.pfx" --password-file "$work/acme/pw")
        "$BIN/tlstool" "${h[@]}" rotate "${a[@]}" "${r[@]}" >"$work/rot.out" 2>&1 ||
            { not_ok "$n: tlstool rotate $step (exit $?)"; shtest_show "$work/rot.out"; }
    done
done
settled_status "$OUT"
RC=$?
expect "per-node Acme certificates: status exit 0, the nodes' own judge accepts them" 0 \
    "^n3 .* cert [0-9a-f]{16} \(not cluster.json's pair\) .*healthy$" \
    "^cluster: every reachable node runs TLS strict; n1 n2 n3 present certificates other than the pair sipc-cluster made \(sha256 [0-9a-f]{16}\.\.\., which cluster.json names\), which the nodes accept of each other \(sipcctl status --cluster finds no certificate_mismatch\): issued by 'O=Acme, CN=Acme Issuing CA', \[tls\] subject O=Acme, OU=sipc prod$"
figure "rotation to per-node certificates ms" "$(ms_since "$t0")"
# n3 takes a pair of another root (trusted there alone): its trust guard
# refuses the reload, which the others would refuse; forced, the others
# refuse it, which the status names with the reason
tt n3 trust add "$work/acme/other.pem" >/dev/null && tt n3 import "$work/acme/bad.pfx" --password-file "$work/acme/pw" --force >/dev/null ||
    not_ok "n3: the other root's pair"
run ctl reload --node "$(node_addr n3)"
expect "n3 on another root's pair: its reload refused by the trust guard, n1 and n2 named" 1 \
    "reload refused: .*the pair this node presents changes from SHA-256 [0-9a-f]{16}\.\.\. to SHA-256 [0-9a-f]{16}\.\.\." \
    "${NET//./\\.}\.1 \(node n1\): " \
    "${NET//./\\.}\.2 \(node n2\)"
run ctl reload --node "$(node_addr n3)" --force
expect "n3: the reload forced" 0 "warning: --force: this reload cuts this node off from 2 \[cluster\] nodes"
# (until the others' links to n3 were replaced and refused: a status taken
# while the connections made before n3's reload still drain names n3 for
# presenting another certificate, not yet for the refusal)
refused() { cluster status >"$OUT" 2>&1; RC=$?; grep -q "^cluster: .*certificates the nodes do not accept of each other (sipcctl status --cluster): n3 (.*) cannot be reached: a certificate was refused" "$OUT"; }
wait_for 10 refused
expect "n3 on another root's certificate: named, with why" 69 \
    "certificates the nodes do not accept of each other \(sipcctl status --cluster\): n3 \(${NET//./\\.}\.3\) cannot be reached: a certificate was refused .*root certificate 'O=Acme, CN=Acme Root CA' \(SHA-256 [0-9a-f]{16}\.\.\.\) is not trusted" \
    "; unreachable: n3$"
figure "organisation section ms" "$(ms_since "$t0")"
