#!/bin/bash
# test_tlstool_crl_refused.sh TLSTOOL - a CRL sipcd's loader refuses is never
# taken silently; tlstool judges it with the loader's own check
# (sipc_trust_add_crl_named):
#   - `crl add` of a CRL that revokes this home's own certificate: refused,
#     exit 11, nothing stored (sipcd would not start or reload with it);
#     not when an installed CRL revokes it already
#   - `crl add` of a CRL in the name of an issuer this home knows that its
#     key did not sign (signed by another key of that name, or its signature
#     damaged): refused, exit 11, nothing stored; one that is no CRL at all
#     (cut short): exit 6
#   - under revocation = hard, `crl add` of a CRL whose next update is within
#     the warning window (here half its validity) warns, naming the issuer and
#     the date, and so does `status`; a CRL far from it, neither
#   - a CRL `crl add` kept while its issuer was not known here (no pair yet)
#     is named in a warning by the import that makes the issuer known, and
#     `status` names it as the problem sipcd would stop at
set -u
T=${1:?usage: test_tlstool_crl_refused.sh path/to/tlstool}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init crlrefused
bash "$(dirname "$0")/mkpki.sh" "$work/pki" >/dev/null || { echo "not ok - mkpki.sh"; exit 1; }
P=$work/pki
export SIPC_PFX_PASSWORD='Test-Passw0rd!'
home() {
    mkdir -p "$1"
    printf '[cluster]\nname = crl\n[tls]\nsubject = O=Example\n' >"$1/sipc.conf"
}
# the intermediate's name, another key: impostor.pem is a CA of that name
python3 "$(dirname "$0")/mkcrl.py" "$P/impostor.pem" "$P/impostor.key" "$work/impostor.crl" 5 \
    >/dev/null || { echo "not ok - mkcrl.py"; exit 1; }
# the intermediate's own CRL, a byte of its signature changed; and cut short
python3 - "$P/int.crl" "$work/damaged.crl" "$work/short.crl" <<'PYEOF'
import base64, sys
text = open(sys.argv[1]).read()
der = bytearray(base64.b64decode("".join(l for l in text.splitlines() if not l.startswith("-----"))))
damaged = bytearray(der)
damaged[-5] ^= 0xFF
open(sys.argv[2], "wb").write(bytes(damaged))
open(sys.argv[3], "wb").write(bytes(der[:60]))
PYEOF
A=$work/a
home "$A"
"$T" --home "$A" import "$P/org.pfx" >/dev/null 2>&1 || not_ok "import org.pfx"
run "$T" --home "$A" crl add "$work/impostor.crl"
expect "crl add: a CRL in a known issuer's name that another key signed is refused" 11 \
    "does not verify with the key of 'O=Example, CN=sipc Test Intermediate CA'"
run "$T" --home "$A" crl add "$work/damaged.crl"
expect "crl add: a known issuer's CRL whose signature is damaged is refused" 11 \
    "does not verify with the key of"
run "$T" --home "$A" crl add "$work/short.crl"
expect "crl add: a CRL cut short is no CRL" 6 "is not a CRL"
if [ -z "$(ls -A "$A/security/crl" 2>/dev/null)" ]; then
    ok "nothing was stored in crl/"
else
    not_ok "crl/ holds $(ls "$A/security/crl")"
fi
run "$T" --home "$A" crl add "$P/int.crl"
expect "crl add: the issuer's own CRL is taken" 0 "added CRL of O=Example, CN=sipc Test Intermediate CA"

# a CRL that revokes this home's own certificate: sipcd would refuse to
# start or reload with it, so it is refused, nothing stored
C=$work/c
home "$C"
cat "$P/int.pem" "$P/root.pem" >"$work/chain.pem"
openssl pkcs12 -export -inkey "$P/revoked.key" -in "$P/revoked.pem" -certfile "$work/chain.pem" \
    -passout env:SIPC_PFX_PASSWORD -out "$work/revoked.pfx" 2>/dev/null || not_ok "revoked.pfx"
# a file is checked, not a node: the fix says not to import it
run "$T" --home "$A" verify "$work/revoked.pfx"
expect "verify of a revoked FILE: worded for a file, not a handshake" 27 \
    "^Fix: do not import .*revoked\.pfx: its certificate is revoked; obtain a new one from its CA \('O=Example, CN=sipc Test Intermediate CA'\)"
grep -q "on the node that presents" "$OUT" && bad "verify of a revoked FILE: handshake words"
"$T" --home "$C" import "$work/revoked.pfx" >/dev/null 2>&1 || not_ok "import revoked.pfx"
run "$T" --home "$C" crl add "$P/int.crl"
expect "crl add of a CRL revoking this home's own certificate: refused" 11 \
    "int.crl: not added: it revokes this home's own certificate: .*revoked" "import an unrevoked pair first"
[ -z "$(ls -A "$C/security/crl" 2>/dev/null)" ] && ok "and nothing was stored" ||
    not_ok "crl/ holds $(ls "$C/security/crl")"
# that CRL put there by hand: another CRL, which does not revoke it, is
# not refused for what the installed one does
mkdir -p -m 700 "$C/security/crl" && cp "$P/int.crl" "$C/security/crl/by-hand.crl" &&
    chmod 600 "$C/security/crl/by-hand.crl"
run "$T" --home "$C" crl add "$P/root.crl"
expect "crl add beside an installed CRL that revokes the pair: not refused for it" 0 \
    "added CRL of"

# a CRL near its next update under hard: valid 72 hours, 24 left, within
# half its validity
D=$work/d
home "$D"
"$T" --home "$D" import "$P/org.pfx" >/dev/null 2>&1 || not_ok "import org.pfx in d"
printf 'revocation = hard\n' >>"$D/sipc.conf"
python3 "$(dirname "$0")/mkcrl.py" "$P/int.pem" "$P/int.key" "$work/far.crl" 21 >/dev/null &&
    python3 "$(dirname "$0")/mkcrl.py" "$P/int.pem" "$P/int.key" "$work/due.crl" 20 \
        --dates=48,24 >/dev/null || not_ok "mkcrl.py --dates"
DUE="the CRL of 'O=Example, CN=sipc Test Intermediate CA'.* reaches its next update on 20[0-9-]* [0-9:]* UTC, in (1 day|23 hours): with \[tls\] revocation = hard every certificate it covers is refused from then on"
run "$T" --home "$D" crl add "$work/due.crl"
expect "crl add under hard, next update within the window: added, with a warning" 0 \
    "^warning: $DUE" "added CRL of"
run "$T" --home "$D" status
if grep -Eq "^warning: +$DUE" "$OUT"; then
    ok "status: a warning names the CRL due, its issuer and next update"
else
    bad "status does not warn of the CRL due (exit $RC)"
fi
# the next CRL, 30 days from its next update, replaces it: no warning
run "$T" --home "$D" crl add "$work/far.crl"
expect "crl add under hard, next update 30 days ahead: added" 0 "added CRL of"
grep -q "reaches its next update" "$OUT" && bad "crl add of a CRL 30 days from its next update warned"
run "$T" --home "$D" status
grep -q "reaches its next update" "$OUT" && bad "status warned of a CRL 30 days from its next update"

# no pair yet: the issuer is not known, the CRL is kept with a note; the
# import that makes it known says sipcd refuses that file
B=$work/b
home "$B"
run "$T" --home "$B" crl add "$work/impostor.crl"
expect "crl add without a pair: kept, with a note" 0 "neither this node's chain nor a trusted root"
run "$T" --home "$B" import "$P/org.pfx"
expect "import: a warning names the CRL sipcd refuses with this pair" 0 \
    "tlstool: warning: $B/security/crl/[0-9a-f]+\.crl: the CRL's signature does not verify .*sipcd refuses such a file"
run "$T" --home "$B" status
if [ "$RC" != 0 ] && grep -E '^PROBLEM: ' "$OUT" | grep -qF "$B/security/crl/"; then
    ok "status names that CRL as the problem sipcd stops at"
else
    bad "status of a home holding a CRL its pair's issuer did not sign (exit $RC)"
fi
shtest_done
