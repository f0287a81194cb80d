#!/bin/bash
# test_tlstool_file_names.sh TLSTOOL - tlstool names a FILE it was given,
# and the paths in its warning lines, as it names a home: printable UTF-8
# as it is, every other byte (a newline, ESC, a byte that is not UTF-8) as
# \xNN, so that no name reaches the terminal as an escape sequence or a line
# of its own; a FILE in a command given to paste is one shell word that bash
# reads back as that file. FILE is "bad<ESC>[31m<newline>x<0xff>.p12":
#   - create, import, verify and trust add name it so (and create's and
#     verify's commands to paste read back as it); a FILE that cannot be read
#     is one failure line
#   - `status` of a home whose path holds the same bytes, with a temporary
#     file left in security/: its warning line and its file lines name the
#     paths escaped, each on its line
#   - `crl list` names a CRL file of that name, and `trust list`'s note a
#     file of trust/ it does not load, escaped
#   - a failure whose library words name that home (trust/ writable by
#     others) is one line
set -u
T=${1:?usage: test_tlstool_file_names.sh path/to/tlstool}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init tlstoolnames
export SIPC_PFX_PASSWORD=Test-Names-$$
bad=$'bad\e[31m\nx\xff'
shown='bad\x1b[31m\x0ax\xff'
F=$work/$bad.p12
H=$work/home
mkdir -p "$H"
printf '[cluster]\nname = names\n' >"$H/sipc.conf"
# the output is its lines and nothing else: no raw ESC, no byte that is not
# UTF-8 (each name whole on its line)
clean() { ! LC_ALL=C grep -q $'[\e\x80-\xff]' "$OUT"; }
# the shell word in the last `tlstool CMD WORD...` of $OUT names $F
pastes() {
    local word
    word=$(grep -o "\`tlstool $1 [^\`]*" "$OUT" | tail -n 1 | sed "s/^\`tlstool $1 //; s/ --reload\$//")
    [ -n "$word" ] && eval "set -- $word" && [ "$1" = "$F" ]
}

run "$T" create -site "$F"
if [ "$RC" = 0 ] && clean && grep -qF "created $work/$shown.p12 (mode 0600)" "$OUT" && pastes import; then
    ok "create names FILE escaped, and its \`tlstool import FILE\` pastes"
else
    bad "create of a FILE holding a newline, ESC and 0xff (exit $RC)"
fi
run "$T" --home "$H" import "$F"
if [ "$RC" = 0 ] && clean && grep -qF "imported $work/$shown.p12 into" "$OUT"; then
    ok "import names FILE escaped"
else
    bad "import of that FILE (exit $RC)"
fi
run "$T" verify "$F"
if clean && grep -qF "verifying $work/$shown.p12 (" "$OUT" && pastes "trust add"; then
    ok "verify names FILE escaped, and its \`tlstool trust add FILE\` pastes"
else
    bad "verify of that FILE (exit $RC)"
fi
run "$T" --home "$H" trust add "$F"
if clean && grep -qF "$work/$shown.p12 is a PKCS#12 file" "$OUT"; then
    ok "trust add names FILE escaped"
else
    bad "trust add of that FILE (exit $RC)"
fi
run "$T" verify "$work/$bad.missing"
if [ "$RC" = 6 ] && clean && [ "$(wc -l <"$OUT")" = 1 ] &&
    grep -qF "cannot read $work/$shown.missing: No such file" "$OUT"; then
    ok "a FILE that cannot be read: one failure line, named escaped"
else
    bad "verify of a missing FILE with a newline in its name (exit $RC)"
fi

# a home of those bytes whose security/ holds a temporary file left by a
# write that was killed: status warns, naming the file under that home
B=$work/$bad
mkdir -p "$B"
printf '[cluster]\nname = names\n' >"$B/sipc.conf"
"$T" --home "$B" import "$F" >/dev/null 2>&1 || not_ok "import into the home $shown"
: >"$B/security/.node.p12.abcdef.tmp"
chmod 600 "$B/security/.node.p12.abcdef.tmp"
touch -d '-2 hours' "$B/security/.node.p12.abcdef.tmp"
run "$T" --home "$B" status
if clean && grep -E '^(warning|PROBLEM): ' "$OUT" | grep -qF "$work/$shown/security/.node.p12" &&
    grep -E '^file: ' "$OUT" | grep -qF "$work/$shown/security/node.crt"; then
    ok "status: the warning on a leftover and the file lines name their paths escaped"
else
    bad "status of a home holding a newline, ESC and 0xff, with a leftover (exit $RC)"
fi
# crl/ and trust/ hold names of those bytes: a CRL (of a CA made here) that
# `crl list` shows, and a file of trust/ that is not loaded, which `trust
# list` names in its note
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/ca.key" \
    -out "$work/ca.pem" -subj "/CN=names CA" -days 2 \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    >/dev/null 2>&1 || not_ok "openssl req (a CA for a CRL)"
mkdir -p "$H/security/crl"
python3 "$(dirname "$0")/mkcrl.py" "$work/ca.pem" "$work/ca.key" "$H/security/crl/$bad.crl" 1 \
    >/dev/null || not_ok "mkcrl.py"
mkdir -p "$H/security/trust"
: >"$H/security/trust/$bad.txt"
run "$T" --home "$H" crl list
if [ "$RC" = 0 ] && clean && grep -qxF "$shown.crl" "$OUT" && grep -qF "issuer: CN=names CA" "$OUT"; then
    ok "crl list names a CRL file whose name holds a newline, ESC and 0xff escaped"
else
    bad "crl list of such a CRL file (exit $RC)"
fi
run "$T" --home "$H" trust list
if [ "$RC" = 0 ] && clean && grep -q '^note: ' "$OUT" &&
    grep '^note: ' "$OUT" | grep -qF "$H/security/trust/$shown.txt is not loaded"; then
    ok "trust list's note names a file of trust/ it does not load escaped, on one line"
else
    bad "trust list with such a file in trust/ (exit $RC)"
fi

# the library's words name the home raw: its failure line shows it escaped,
# whole on one line
mkdir -p "$B/security/trust"
chmod 777 "$B/security/trust"
run "$T" --home "$B" trust list
if [ "$RC" = 3 ] && clean && [ "$(wc -l <"$OUT")" = 1 ] &&
    grep -qF "tlstool: error: $work/$shown/security/trust can be changed by other users" "$OUT"; then
    ok "a failure whose library words name such a home: one line, the home escaped"
else
    bad "trust list of such a home whose trust/ others may change (exit $RC)"
fi
chmod 700 "$B/security/trust"
shtest_done
