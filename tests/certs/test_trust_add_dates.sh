#!/bin/bash
# test_trust_add_dates.sh TLSTOOL - `tlstool trust add` judges a root's dates
# as the handshake does: an expired root, or one not valid yet, is refused
# (exit 11) with its dates and what to do, and nothing is stored (not even
# the good roots of the same file); a root that
# expires within 30 days is trusted with a warning; a current one quietly.
# The roots are made with openssl under faketime.
set -u
T=${1:?usage: test_trust_add_dates.sh path/to/tlstool}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init trustdates
unset SIPC_PFX_PASSWORD
H=$work/home
mkdir -p "$H"
# a CA root is trusted only under a required subject
printf '[tls]\nsubject = CN=dates node\n' >"$H/sipc.conf"
# root NAME FAKETIME DAYS: a self-signed CA root made at FAKETIME, valid DAYS
root() {
    faketime_run "@$2" openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$work/$1.key" -subj "/CN=$1 root" -days "$3" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$work/$1.pem" >"$OUT" 2>&1 || bad "making the $1 root"
}
root expired '2020-01-01 00:00:00' 30
at() { date -u -d "$1" '+%Y-%m-%d %H:%M:%S'; }
root future "$(at '+400 days')" 30
root soon "$(at '-355 days')" 365
root current "$(at '-1 day')" 365
stored() { ls "$H/security/trust" 2>/dev/null | wc -l; }

run "$T" --home "$H" trust add "$work/expired.pem"
expect "an expired root is refused (exit 11)" 11 \
    "'CN=expired root' not trusted: it expired on 2020-01-31.* \(valid 2020-01-01.* to 2020-01-31.*\), so every chain ending at it would be refused; get the root that replaced it"
grep -q "^trusted:" "$OUT" && bad "expired: said trusted"
[ "$(stored)" = 0 ] && ok "expired: nothing stored in trust/" || bad "expired: trust/ holds $(stored) file(s)"

# a file of a good root and an expired one: all or nothing
cat "$work/current.pem" "$work/expired.pem" >"$work/mixed.pem"
run "$T" --home "$H" trust add "$work/mixed.pem"
expect "a file of a current and an expired root is refused (exit 11)" 11 "'CN=expired root' not trusted"
grep -q "^trusted:" "$OUT" && bad "mixed: said trusted"
[ "$(stored)" = 0 ] && ok "mixed: nothing stored, not even the current root" || bad "mixed: trust/ holds $(stored) file(s)"

run "$T" --home "$H" trust add "$work/future.pem"
expect "a root not valid yet is refused (exit 11)" 11 "'CN=future root' not trusted: it is not valid before .*check this machine's clock"
[ "$(stored)" = 0 ] && ok "not yet valid: nothing stored in trust/" || bad "not yet valid: trust/ holds $(stored) file(s)"

run "$T" --home "$H" trust add "$work/soon.pem"
expect "a root that expires within 30 days is trusted with a warning" 0 "^trusted: CN=soon root" \
    "^warning: 'CN=soon root' expires in (9|10) day\(s\), on .*get the root that replaces it"

run "$T" --home "$H" trust add "$work/current.pem"
expect "a current root is trusted" 0 "^trusted: CN=current root"
grep -q "expires in" "$OUT" && bad "current: warned about its expiry"
[ "$(stored)" = 2 ] && ok "trust/ holds the two roots taken" || bad "trust/ holds $(stored) file(s), want 2"
shtest_done
