#!/usr/bin/env bash
# test_pinned_subject.sh - with the shared self-signed pair (pinned), a
# [tls] subject is never asked of peers: a real sipcd ($BASE.1, standard
# ports) says so at start and after a reload, naming the sipc.conf line, in
# each service log that uses the pair: a WARN when the certificate does not
# carry the subject, an INFO when it does; with TLS off and [pipeline] tls = 1
# only the pipeline's log, which also warns that the pipeline's links (to the
# data services, which follow [tls]) are plaintext.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.74}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init pinsubject
need_free "$BASE.1":{23000,23001,23002,23003}
export SIPC_PFX_PASSWORD="Pinned-Subject-$$"
home=$work/n1
conf=$home/sipc.conf
one_node_home "$home" pinned
tt() { "$BIN/tlstool" --home "$home" "$@"; }
tt create -site --subject "CN=sipc pinned, O=Example" "$work/cluster.pfx" >/dev/null || { echo "cannot create the pair"; exit 1; }
tt import "$work/cluster.pfx" >/dev/null || { echo "cannot import the pair"; exit 1; }
printf '[tls]\nsubject = CN=wrong-name, O=Nowhere\n' >>"$conf"
tt enable >/dev/null || { echo "cannot enable TLS"; exit 1; }
line=$(grep -n '^subject = ' "$conf" | cut -d: -f1)
sipcd_start "$home" || exit 1
node_pid=$sipcd_pid

count() { each_log "$home" "$1"; }
said="\[tls\] subject ($home/sipc.conf line $line) is not used with the self-signed pair: the pair is pinned"
n=$(count "Service.Start WARN $said.*and this node's certificate does not carry it: certificate subject 'O=Example, CN=sipc pinned' differs from the required subject 'CN=wrong-name, O=Nowhere': ")
[ "$n" = 4 ] && ok "at start every service warns: the subject is not used with the pinned pair, and the certificate lacks it" ||
    { not_ok "start WARN in $n of 4 logs"; grep -h "subject" "$home/logs/"*.log | head -5; }
grep -h "Service.Start WARN \[tls\] subject" "$home/logs/"DataService_*.log | head -n1 | sed 's/^/# /'

# a subject the certificate carries, by a reload: INFO
sed -i 's/^subject = .*/subject = O=Example/' "$conf"
kill -HUP "$node_pid"
_reloaded() { [ "$(count "Service.Reload INFO $said.*; this node's certificate subject 'O=Example, CN=sipc pinned' carries the required subject 'O=Example'")" = 4 ]; }
wait_for 10 _reloaded && ok "after a reload, an INFO in every service: the certificate carries the subject" ||
    { not_ok "no reload INFO"; grep -h "subject\|Reload" "$home/logs/"DataService_*.log | tail -5; }
[ "$(count "Service.Reload WARN $said")" = 0 ] && ok "and no WARN for it" || not_ok "a WARN after the reload"

# a trusted CA root: the subject is asked of what it issues, so nothing is said
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=Nowhere/CN=Org Root" \
    -keyout "$work/root.key" -out "$work/root.pem" -days 30 -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" >/dev/null 2>&1 || { echo "openssl cannot make a root"; exit 1; }
sed -i 's/^subject = .*/subject = CN=wrong-name, O=Nowhere/' "$conf"
tt trust add "$work/root.pem" >/dev/null 2>&1 || not_ok "trust add of a CA root"
kill -HUP "$node_pid"
_reloaded2() { [ "$(cat "$home/logs/"PipelineService_*.log | grep -c "Reload done")" = 2 ]; }
wait_for 10 _reloaded2 || not_ok "the second reload"
[ "$(cat "$home/logs/"*Service_*.log | grep -c "$said")" = 8 ] &&
    ok "with a CA root trusted, the subject is in use: nothing more said" || { not_ok "a note with a CA root trusted"; grep -h "$said" "$home/logs/"DataService_*.log | tail -2; }
fp=$(openssl x509 -in "$work/root.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)
tt trust remove "$fp" >/dev/null || not_ok "trust remove of the CA root"

# TLS off, the pipeline's own TLS on: only the pipeline uses the pair
kill -TERM "$node_pid"
wait_for 15 sh -c "! kill -0 $node_pid" || not_ok "sipcd did not stop"
rm -rf "$home/logs"
sed -i 's/^subject = .*/subject = CN=wrong-name, O=Nowhere/; s/^enable = 1/enable = 0/' "$conf"
printf '[pipeline]\ntls = 1\n' >>"$conf"
sipcd_start "$home" || exit 1
[ "$(grep -c "Service.Start WARN $said" "$home/logs/"PipelineService_*.log)" = 1 ] &&
    ok "TLS off, [pipeline] tls = 1: the pipeline warns" || { not_ok "no pipeline WARN"; grep -h subject "$home/logs/"*.log | head -3; }
[ "$(cat "$home/logs/"{Data,Search,Management}Service_*.log | grep -c "$said")" = 0 ] &&
    ok "and the services without TLS say nothing of it" || not_ok "a plaintext service spoke of the subject"
# the pipeline's links go to the data services, which follow [tls]: off here
links='WARN \[pipeline\] tls = 1 makes the pipeline.s listener TLS only: its links to the data services of the \[cluster\] nodes follow \[tls\], which is off here, so records cross between nodes in plaintext'
[ "$(grep -Ec "Service.Start $links" "$home/logs/"PipelineService_*.log)" = 1 ] &&
    ok "TLS off, [pipeline] tls = 1: the pipeline says its links are plaintext" ||
    not_ok "no WARN that the pipeline's links are plaintext"
# a reload that turns the switch off and one that turns it on again: the
# WARN comes with the second
sed -i '/^\[pipeline\]$/d; /^tls = 1$/d' "$conf"
kill -HUP "$sipcd_pid"
wait_for 10 grep -q 'Changed: pipeline listener TLS: strict -> off' "$home/logs/"PipelineService_*.log ||
    not_ok "the reload to a plaintext pipeline"
printf '[pipeline]\ntls = 1\n' >>"$conf"
kill -HUP "$sipcd_pid"
wait_for 10 grep -Eq "Service.Reload $links" "$home/logs/"PipelineService_*.log &&
    ok "and after a reload that turns [pipeline] tls on" || not_ok "no plaintext-links WARN after a reload"
shtest_done
