#!/bin/bash
# test_tlstool.sh TLSTOOL [SIPCD [CONNECT_FROM]] - end-to-end tests of tlstool with certificates
# made at test time by mkpki.sh. Every case asserts the exit code and the
# words the operator reads. Passwords reach openssl only via env: / file:.
set -u
T=${1:?usage: test_tlstool.sh path/to/tlstool [path/to/sipcd]}
SIPCD=${2:-}
# an LD_PRELOAD library that binds a client's connects to a source address:
# the refused handshakes below come from hosts of their own (a node writes
# a few lines per source host and 10 s, whatever their reasons)
CONNECT_FROM=${3:-}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$(dirname "$0")/../support/shtest.sh"
shtest_init tlstool
unset SIPC_PFX_PASSWORD SIPC_HOME
export PFXPW='Test-Passw0rd!'

newhome() { H=$work/home.$1; rm -rf "$H"; mkdir -p "$H"; }
mode_of() { stat -c %a "$1"; }

bash "$HERE/mkpki.sh" "$work/pki" >/dev/null || { echo "not ok - mkpki.sh"; exit 1; }
P=$work/pki
HAVE_RC2=0
"$T" --version | grep -q 'RC2 (legacy files): supported' && HAVE_RC2=1

# ---------------------------------------------------------------- help, usage
for c in create import enable disable status verify trust crl check; do
    run "$T" "$c" --help
    expect "help: $c --help" 0 "usage: tlstool $c"
done
run "$T" --help; expect "help: --help" 0 "usage: tlstool"
run "$T" frobnicate; expect "usage: unknown command" 64 "unknown command 'frobnicate'"
run "$T" status --bogus; expect "usage: unknown option" 64 "unknown option '--bogus'"
# an unknown sub-command is a usage error, with --help too
run "$T" rotate bogus --help; expect "usage: rotate bogus --help" 64 "^tlstool: error: unknown rotate command 'bogus': use stage, commit, finish, abort or status \(see tlstool rotate --help\)$"
run "$T" trust bogus --help; expect "usage: trust bogus --help" 64 "^tlstool: error: unknown trust command 'bogus': use add, list, remove or export"
run "$T" crl bogus; expect "usage: crl bogus" 64 "^tlstool: error: unknown crl command 'bogus': use add, list or remove"
run "$T" rotate --help; expect "help: rotate --help" 0 "usage: tlstool rotate"
run "$T" --home= import "$work/none.pfx"; expect "usage: --home= (empty) is refused, not the default home" 64 "^tlstool: error: --home needs a value: it is empty$"
run "$T" --home; expect "usage: --home without a value, one line" 64 "^tlstool: error: --home needs a value \(see tlstool --help\)$"
[ "$(wc -l <"$OUT")" = 1 ] || bad "tlstool --home: more than one line"
run "$T" enable --key rsa-2048; expect "usage: option not for command" 64 "option '--key' does not apply to 'enable'"
run "$T" disable --help
# disable's --force overrides its own guard (a [cluster] node running strict)
expect "help: disable lists --reload, and --force for strict peers" 0 "--reload" \
    "--force +turn TLS off although \[cluster\] nodes run strict"
# what a refused --reload leaves, said once and as the code does it
run "$T" enable --help
expect "help: enable says a refusal from TLS off puts sipc.conf back, and nothing else does" 0 \
    "^From TLS off, a refused --reload \(exit 12\) puts sipc.conf back as it was" "every other outcome, exit 13 included," \
    "the change stays made, except after"
grep -q "stays made either way" "$OUT" && bad "enable --help: --reload says the change stays made either way"
run "$T" mode --help
expect "help: mode --reload keeps the change either way" 0 "the change stays made either way"
run "$T" disable --days 3; expect "usage: disable refuses --days" 64 "option '--days' does not apply to 'disable'"
run "$T" status --days 3; expect "usage: the option not for the command is named" 64 "option '--days' does not apply to 'status'"

# ---------------------------------------------------------------- create
newhome create
export SIPC_HOME=$H
run env SIPC_PFX_PASSWORD='short1' "$T" create -site "$work/a.pfx"
expect "password rule: too short" 4 "printable ASCII without spaces, at least 8 characters.*: it is shorter than 8 characters"
run env SIPC_PFX_PASSWORD='has space 123' "$T" create -site "$work/a.pfx"
expect "password rule: space" 4 "printable ASCII without spaces.*: it has a space, a tab"
run env SIPC_PFX_PASSWORD='pässwört1234' "$T" create -site "$work/a.pfx"
expect "password rule: non-ASCII" 4 "printable ASCII.*non-ASCII character"
printf 'Example-Passw0rd \n' >"$work/trailing.pw"
chmod 600 "$work/trailing.pw"
run "$T" create -site "$work/a.pfx" --password-file "$work/trailing.pw"
expect "password rule: a trailing space in the file is named" 4 "it ends with a space or a tab \(left at the end of a password file's line"
grep -q "Example-Passw0rd" "$OUT" && bad "the refused password was printed" || ok "the refused password is not printed"
printf '\nExample-Passw0rd\n' >"$work/firstempty.pw"
chmod 600 "$work/firstempty.pw"
run "$T" create -site "$work/a.pfx" --password-file "$work/firstempty.pw"
expect "password file: an empty first line is named, not a short password" 4 \
    "the first line of the password file $work/firstempty.pw is empty \(the password is the file's first line\)"
grep -q "shorter than" "$OUT" && bad "an empty first line reported as a short password"
run "$T" create -site "$work/a.pfx" </dev/null
expect "password: none given" 4 "no password given"
[ ! -e "$work/a.pfx" ] && ok "create: nothing written on refusal" || bad "create: file written on refusal"

for k in ecdsa-p256 ecdsa-p384 rsa-2048 rsa-3072; do
    run env SIPC_PFX_PASSWORD="$PFXPW" "$T" create -site "$work/$k.pfx" --key "$k"
    expect "create --key $k" 0 "created" "SHA-256"
    openssl pkcs12 -in "$work/$k.pfx" -passin env:PFXPW -nodes -out "$work/$k.pem" >"$OUT" 2>&1
    RC=$?
    expect "openssl pkcs12 reads $k (key and certificate)" 0
    grep -q "PRIVATE KEY" "$work/$k.pem" && ok "openssl decrypts the $k key" || bad "no key for $k"
    [ "$(mode_of "$work/$k.pfx")" = 600 ] && ok "create $k: mode 0600" || bad "create $k: mode $(mode_of "$work/$k.pfx")"
done
openssl x509 -in "$work/ecdsa-p256.pem" -noout -text >"$OUT" 2>&1
RC=$?
expect "create: CA:TRUE, key usage, EKU serverAuth+clientAuth" 0 "CA:TRUE" "Digital Signature, Certificate Sign" \
    "TLS Web Server Authentication, TLS Web Client Authentication" "Subject: CN ?= ?sipc cluster sipc [0-9a-f]{8}"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" create -site "$work/ecdsa-p256.pfx"
expect "create: no overwrite without --force" 7 "already exists.*--force"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" create -site "$work/ecdsa-p256.pfx" --force --days 30 --subject "CN=prod cluster, O=Example"
expect "create: --force, --days, --subject" 0 "CN=prod cluster" "O=Example"
openssl pkcs12 -in "$work/ecdsa-p256.pfx" -passin env:PFXPW -nokeys 2>/dev/null | openssl x509 -noout -subject >"$OUT" 2>&1
RC=$?
expect "create: --subject attributes in the documented order (O before CN)" 0 "^subject=O ?= ?Example, CN ?= ?prod cluster$"
# --subject is read as [tls] subject is: '\,' is a comma inside a value
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" create -site "$work/esc.pfx" --subject 'CN=c1, O=Example\, Inc.'
expect "create: --subject takes the \\, escape" 0 "subject: +O=Example\\\\, Inc\., CN=c1$"
openssl pkcs12 -in "$work/esc.pfx" -passin env:PFXPW -nokeys 2>/dev/null | openssl x509 -noout -subject -nameopt RFC2253 >"$OUT" 2>&1
RC=$?
expect "create: the escaped comma is inside O (openssl RFC2253)" 0 "^subject=CN=c1,O=Example\\\\, Inc\.$"
# ... and a value in quotes, as `openssl x509 -subject` prints it
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" create -site "$work/quoted.pfx" --subject 'O = "Example, Inc.", CN = c1'
expect "create: --subject takes an RFC 2253 quoted value" 0 "subject: +O=Example\\\\, Inc\., CN=c1$"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" create -site "$work/esc2.pfx" --force --subject 'O="Example, Inc." CN=c1'
expect "create: text after a closing quote is named" 64 "subject 'O=\"Example, Inc\.\" CN=c1': O=\"Example, Inc\.\" is followed by 'CN=c1'"
# the types create writes, named in the first error already; the empty one named
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" create -site "$work/esc2.pfx" --force --subject 'XX=1'
expect "create: an unknown type lists the 7 create writes" 64 "subject 'XX=1': unknown attribute 'XX' \(use CN, O, OU, C, ST, L, emailAddress\)$"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" create -site "$work/esc2.pfx" --force --subject 'title=x, CN=c1'
expect "create: a type [tls] subject reads but create does not write" 64 "attribute 'title' is not supported here \(use CN, O, OU, C, ST, L, emailAddress\)$"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" create -site "$work/esc2.pfx" --force --subject 'CN='
expect "create: an empty value names its attribute" 64 "subject 'CN=': CN has an empty value$"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" create -site "$work/esc2.pfx" --force --subject 'O=Example, Inc., CN=c1'
expect "create: a bare comma in a value names the part and the escape" 64 \
    "subject 'O=Example, Inc\., CN=c1': 'Inc\.' is not ATTRIBUTE=value .*a comma inside a value is written \\\\, as RFC 4514"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" create -site "$work/esc2.pfx" --force --subject 'CN=a, CN=b'
expect "create: a type given twice is refused, not replaced" 64 "key pair: subject 'CN=a, CN=b': CN is given twice"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" create -site "$work/esc2.pfx" --force --subject 'CN=#0c0161'
expect "create: RFC 4514 #hex values are refused, not taken as text" 64 "#hex form are not read"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" create -site "$work/esc2.pfx" --force --subject '2.5.4.3=c1'
expect "create: numeric attribute types are refused" 64 "unknown attribute '2\.5\.4\.3'"
printf '[cluster]\nname = alpha\n' >"$H/sipc.conf"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" create -site "$work/alpha1.pfx"
expect "create: default subject names the cluster" 0 "subject: +CN=sipc cluster alpha [0-9a-f]{8}"
S1=$(grep subject: "$OUT")
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" create -site "$work/alpha2.pfx"
S2=$(grep subject: "$OUT")
[ "$S1" != "$S2" ] && ok "create: two pairs of one cluster get distinct subjects" || bad "create: same subject twice"
# a cluster name is free text: characters RFC 4514 escapes end up in the CN as written
printf '[cluster]\nname = acme+eu\\ops;#1\n' >"$H/sipc.conf"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" create -site "$work/special.pfx"
expect "create: a cluster name with + \\ ; makes a pair" 0 "subject: "
openssl pkcs12 -in "$work/special.pfx" -passin env:PFXPW -nokeys 2>/dev/null | openssl x509 -noout -subject -nameopt RFC2253 >"$OUT" 2>&1
RC=$?
expect "create: the CN holds the cluster name as written (openssl RFC2253)" 0 \
    '^subject=CN=sipc cluster acme\\\+eu\\\\ops\\;#1 [0-9a-f]{8}$'
printf '[cluster]\nname = alpha\n' >"$H/sipc.conf"
(umask 000 && SIPC_PFX_PASSWORD="$PFXPW" "$T" create -site "$work/umask.pfx" >"$OUT" 2>&1)
[ "$(mode_of "$work/umask.pfx")" = 600 ] && ok "create: umask 000 still gives 0600" || bad "create: umask 000 gives $(mode_of "$work/umask.pfx")"
# password sources
printf '%s\n' "$PFXPW" >"$work/pw.txt"
chmod 600 "$work/pw.txt"
run "$T" create -site "$work/pf.pfx" --password-file "$work/pw.txt"
expect "password: --password-file" 0 "created"
grep -q "warning" "$OUT" && bad "password: a 0600 password file is warned about"
chmod 644 "$work/pw.txt"
run "$T" create -site "$work/pf644.pfx" --password-file "$work/pw.txt"
expect "password: a world-readable --password-file is used, with one warning naming it" 0 "created" \
    "^tlstool: warning: the password file $work/pw.txt can be read by other users \(mode 0644\): chmod 600 $work/pw.txt$"
chmod 620 "$work/pw.txt"
run "$T" create -site "$work/pf620.pfx" --password-file "$work/pw.txt"
expect "password: a --password-file others can write is used, with one warning" 0 "created" \
    "^tlstool: warning: the password file $work/pw.txt can be changed by other users \(mode 0620\): chmod 600 $work/pw.txt$"
chmod 600 "$work/pw.txt"
# a password file that cannot be read is an input file problem (6), named with the reason
run "$T" create -site "$work/pfx-missing.pfx" --password-file "$work/no-such.pw"
expect "password: a missing --password-file: exit 6, the file and the reason" 6 \
    "^tlstool: error: cannot read the password file $work/no-such.pw: No such file or directory$"
mkdir -p "$work/pwdir"
run "$T" create -site "$work/pfx-dir.pfx" --password-file "$work/pwdir"
expect "password: a directory as --password-file: exit 6, not 'empty'" 6 \
    "^tlstool: error: cannot read the password file $work/pwdir: Is a directory$"
: >"$work/empty.pw"
chmod 600 "$work/empty.pw"
run "$T" create -site "$work/pfx-empty.pfx" --password-file "$work/empty.pw"
expect "password: an empty --password-file: no password (exit 4)" 4 "the password file $work/empty.pw is empty"
run sh -c "printf '%s\n' '$PFXPW' | '$T' create -site '$work/ps.pfx' --password-stdin"
expect "password: --password-stdin" 0 "created"
run "$T" create -site "$work/pp.pfx" "$PFXPW"
expect "password: positional warns that argv is visible" 0 "visible to other users" "created"
# the next step fits the home: import on a home without a pair; on a home whose
# pair is in use (TLS strict), a rotation, never an import or a step down
newhome createnext
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" --home "$H" create -site "$work/cn1.pfx"
expect "create: on a home without a pair, next: import" 0 "^next: copy .*cn1\.pfx to every node, then run \`tlstool import "
SIPC_PFX_PASSWORD="$PFXPW" "$T" --home "$H" import "$work/cn1.pfx" >/dev/null 2>&1 && "$T" --home "$H" enable >/dev/null 2>&1 ||
    bad "create: import and enable for the next-step test"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" --home "$H" create -site "$work/cn2.pfx"
expect "create: on a home with a pair in use, next: rotate" 0 \
    "^next: this home already has a key pair \($H/security/node\.crt, TLS strict\): importing this one over it would make this node and its peers refuse each other; rotate to it instead" \
    "\`tlstool rotate stage $work/cn2\.pfx\`, then \`tlstool rotate commit\` \(node by node\), then \`tlstool rotate finish\`" \
    "the operator guide, 1\.8"
grep -Eq "tlstool import|permissive" "$OUT" && bad "create: a home with a pair in use is told to import or go permissive"
SIPC_PFX_PASSWORD="$PFXPW" "$T" --home "$H" rotate stage "$work/cn2.pfx" >/dev/null 2>&1 || bad "create: rotate stage for the next-step test"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" --home "$H" create -site "$work/cn3.pfx"
expect "create: during a rotation, next: finish it first" 0 \
    "^next: a key pair rotation is in progress on this home \(staged\): finish or abort it first"

# ---------------------------------------------------------------- import
newhome import
export SIPC_HOME=$H
run env SIPC_PFX_PASSWORD='wrong-Passw0rd' "$T" import "$work/ecdsa-p256.pfx"
expect "import: wrong password" 5 "wrong password"
[ ! -e "$H/security/node.crt" ] && ok "import: wrong password writes nothing" || bad "import: wrong password wrote node.crt"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" import "$work/rsa-2048.pfx"
expect "import: this tool's file (RSA)" 0 "imported"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" import "$P/org.pfx"
expect "import: OpenSSL 3 default (AES-256-CBC, PBKDF2), leaf+intermediate+root" 0 "imported" "chain: +2 more" "replaced pair is kept"
cmp -s "$H/security/previous/node.p12" "$work/rsa-2048.pfx" && ok "import: previous pair kept in previous/" || bad "import: previous/node.p12 differs"
# another pair than the installed one: with TLS off a warning that every node
# must hold the same pair; with TLS on refused (7) unless --force
grep -q "^warning: this is another pair than the one replaced (sha256 [0-9a-f]\{16\}\.\.\.): every node and client-only machine of the cluster must hold the same pair" "$OUT" &&
    ok "import: another pair with TLS off: the warning says every node must hold it" || bad "import: no warning for another pair with TLS off"
{
    H_import=$H
    newhome import-on
    SIPC_PFX_PASSWORD="$PFXPW" "$T" --home "$H" import "$work/ecdsa-p256.pfx" >/dev/null 2>&1 && "$T" --home "$H" enable >/dev/null 2>&1 ||
        bad "import: setup of a TLS home"
    fp=$(sha256sum "$H/security/node.p12")
    run env SIPC_PFX_PASSWORD="$PFXPW" "$T" --home "$H" import "$work/rsa-2048.pfx"
    expect "import: another pair with TLS on: refused, exit 7, naming the rotation" 7 \
        "rsa-2048.pfx: not imported: it is another pair \(sha256 [0-9a-f]{16}\.\.\.\) than the one installed here" \
        "tlstool rotate stage .*rsa-2048.pfx --reload" "add --force"
    [ "$(sha256sum "$H/security/node.p12")" = "$fp" ] && ok "import: the refused import changed nothing" || bad "import: a refused import changed node.p12"
    run env SIPC_PFX_PASSWORD="$PFXPW" "$T" --home "$H" import "$work/ecdsa-p256.pfx"
    expect "import: the same pair again with TLS on: no --force needed" 0 "imported"
    run env SIPC_PFX_PASSWORD="$PFXPW" "$T" --home "$H" import "$work/rsa-2048.pfx" --force
    expect "import --force: another pair with TLS on: imported, warned, no plain reload advice" 0 "imported" \
        "^warning: this is another pair than the one replaced .*import it on every node and client-only machine, then reload each with .sipcctl reload --node ADDR --force. from a home that still holds the replaced pair, or restart each"
    grep -q "presents the replaced pair until it reloads" "$OUT" && bad "import --force: the plain reload advice is given"
    H=$H_import
}
grep -c "BEGIN CERTIFICATE" "$H/security/node.crt" | grep -qx 3 && grep -q "PRIVATE KEY" "$H/security/node.crt" &&
    ok "import: node.crt = certificate, chain, key" || bad "import: node.crt layout"
openssl x509 -in "$H/security/node.crt" -noout -subject 2>/dev/null | grep -Eq "CN ?= ?sipc node$" &&
    ok "import: leaf first in node.crt" || bad "import: leaf not first"
SUM=$(sha256sum "$H/security/node.crt" "$H/security/node.p12")
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" import "$P/legacy-3des.pfx"
expect "import: openssl -legacy with 3DES" 0 "imported"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" import "$P/legacy-rc2.pfx"
if [ "$HAVE_RC2" = 1 ]; then
    expect "import: openssl -legacy (RC2-40)" 0 "imported"
else
    expect "import: RC2 file refused, cause named (this wolfSSL has no RC2) [RC2 import skipped]" 6 \
        "encrypted with RC2" "this build of wolfSSL has no RC2"
fi
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" import "$P/org.pfx"
SUM=$(sha256sum "$H/security/node.crt" "$H/security/node.p12")
for f in org legacy-3des legacy-rc2; do
    run env SIPC_PFX_PASSWORD='Wrong-Passw0rd' "$T" import "$P/$f.pfx"
    expect "import: wrong password on $f.pfx" 5 "wrong password"
done
# a damaged file with the right password: the MAC cannot tell it from a wrong password
cp "$P/org.pfx" "$work/corrupt.pfx"
printf '\xff\xff\xff\xff' | dd of="$work/corrupt.pfx" bs=1 seek=500 conv=notrunc 2>/dev/null
for c in import verify; do
    run env SIPC_PFX_PASSWORD="$PFXPW" "$T" "$c" "$work/corrupt.pfx"
    expect "$c: a damaged file with the right password names both causes" 5 \
        "corrupt.pfx: wrong password, or the file was damaged in transfer" "compare the file's sha256sum with the original's"
done
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" import "$P/truncated.pfx"
expect "import: truncated file" 6 "not a readable PKCS#12 file \(truncated or damaged"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" import "$P/garbage.pfx"
expect "import: garbage file" 6 "garbage.pfx: not a PKCS#12 file, nor a certificate \(damaged in transfer, or another file\?\): give the PKCS#12 file that holds the key pair"

run env SIPC_PFX_PASSWORD="$PFXPW" "$T" import "$work/no-such.pfx"
expect "import: missing file" 6 "cannot read"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" import "$P/serveronly.pfx"
expect "import: serverAuth-only refused" 30 "lacks extended key usage clientAuth"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" import "$P/expired.pfx"
expect "import: expired refused with the dates" 25 "expired on 2020-02-01"
printf '[tls]\nsubject = CN=sipc node, O=Example\n' >"$H/sipc.conf"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" import "$P/wrongsubj.pfx"
expect "import: wrong subject refused" 29 "differs from the required subject 'CN=sipc node, O=Example'"
[ "$SUM" = "$(sha256sum "$H/security/node.crt" "$H/security/node.p12")" ] &&
    ok "import: failed imports leave the previous state exactly" || bad "import: state changed by a failed import"
: >"$H/sipc.conf"
# passwords that break the rule, on files made by openssl
for pw in 'pässwört1234' 'pass word 123'; do
    PW2=$pw openssl pkcs12 -export -inkey "$P/leaf.key" -in "$P/leaf.pem" -passout env:PW2 -out "$work/odd.pfx" 2>/dev/null
    run env SIPC_PFX_PASSWORD="$pw" "$T" import "$work/odd.pfx"
    expect "import: password '$pw' refused with the rule" 4 "printable ASCII without spaces"
done
newhome umask
export SIPC_HOME=$H
(umask 000 && SIPC_PFX_PASSWORD="$PFXPW" "$T" import "$P/org.pfx" >"$OUT" 2>&1)
m1=$(mode_of "$H/security/node.crt") m2=$(mode_of "$H/security/node.p12") m3=$(mode_of "$H/security")
[ "$m1$m2$m3" = 600600700 ] && ok "import: umask 000 gives 0600 files in a 0700 directory" || bad "import: umask 000 gives $m1 $m2 $m3"

# password secrecy: never in a written file, never in argv of anything started
newhome secret
export SIPC_HOME=$H
SECRET='Zq9-Secret-Pw-7781'
SECRET=$SECRET "$T" create -site "$work/secret.pfx" --password-file <(printf '%s\n' "$SECRET") >"$OUT" 2>&1
SIPC_PFX_PASSWORD=$SECRET "$T" import "$work/secret.pfx" >>"$OUT" 2>&1
"$T" enable >>"$OUT" 2>&1
if grep -raF -- "$SECRET" "$H" "$work/secret.pfx" >/dev/null; then bad "password found in a written file"; else ok "password absent from every file written"; fi
if command -v strace >/dev/null; then
    SIPC_PFX_PASSWORD=$SECRET strace -f -qq -e trace=execve -o "$work/strace.txt" "$T" import "$work/secret.pfx" >"$OUT" 2>&1
    n=$(grep -c execve "$work/strace.txt")
    [ "$n" = 1 ] && ok "import starts no other program (only its own execve)" || { cp "$work/strace.txt" "$OUT"; bad "import started $((n - 1)) programs"; }
else
    ok "import starts no other program [skipped: no strace]"
fi
# a positional password is blanked from /proc/<pid>/cmdline: the tool blocks on a FIFO.
# Opening the FIFO for writing returns once the tool has opened it (so it has taken
# the argument), no fixed sleep; and nothing of the tool's /proc/<pid> is read but
# cmdline, which stays readable when tlstool makes itself non-dumpable (its fd/
# does not, for a user other than root).
mkfifo "$work/fifo.pfx"
"$T" import "$work/fifo.pfx" "$SECRET" >"$OUT" 2>&1 &
PID=$!
timeout 30 bash -c 'exec 3>"$1" && tr "\0" " " <"/proc/$2/cmdline" >"$3"; cat "$4" >&3' _ \
    "$work/fifo.pfx" "$PID" "$work/cmdline.txt" "$work/secret.pfx"
if ! grep -qF "fifo.pfx" "$work/cmdline.txt" 2>/dev/null; then bad "the tool's /proc/<pid>/cmdline was not read while it waited on the FIFO"
elif grep -qF -- "$SECRET" "$work/cmdline.txt"; then bad "positional password visible in /proc/pid/cmdline"; else ok "positional password blanked from /proc/<pid>/cmdline"; fi
wait $PID
RC=$?
expect "import through the FIFO still works" 0 "imported"

# ---------------------------------------------------------------- verify
newhome verify
export SIPC_HOME=$H
run "$T" verify
expect "verify: no pair imported" 8 "no key pair is imported"
# no pair imported: FILE is checked as import checks it, so that a defect shows
# in import's words and not only that this home trusts no root yet
for f in serveronly:30 expired:25; do
    run env SIPC_PFX_PASSWORD="$PFXPW" "$T" verify "$P/${f%%:*}.pfx"
    expect "verify without a pair: ${f%%:*}.pfx shows its defect" "${f##*:}" \
        "^note: no key pair is imported on this node, so .*${f%%:*}\.pfx is checked as \`tlstool import\` checks a pair"
    # the reasons compared without the '; now TIME' of a date error: on a
    # loaded machine the import may run a second after the verify
    grep "^NOT VERIFIED: " "$OUT" | sed 's/^NOT VERIFIED: //; s/; now [^)]*//' >"$work/vreason.txt"
    mkdir -p "$work/vimp.${f%%:*}"
    run env SIPC_PFX_PASSWORD="$PFXPW" "$T" --home "$work/vimp.${f%%:*}" import "$P/${f%%:*}.pfx"
    sed 's/; now [^)]*//' "$OUT" | grep -qF "not imported: $(cat "$work/vreason.txt")" && [ "$RC" = "${f##*:}" ] &&
        ok "verify without a pair: ${f%%:*}.pfx: import says the same, with the same exit code" ||
        bad "verify without a pair: ${f%%:*}.pfx: import says otherwise (verify: '$(cat "$work/vreason.txt")')"
done
grep -q "root certificate .* not trusted" "$work/vreason.txt" && bad "verify without a pair: the root hides the defect"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" verify "$P/org.pfx"
expect "verify without a pair: a good file's root is named as its own, not trusted yet, and how to trust it" 22 \
    "^NOT VERIFIED: root certificate 'O=Example, CN=sipc Test Root CA' \(SHA-256 [0-9a-f]{16}\.\.\.\) carried in .*org\.pfx is not trusted by this home yet \(no key pair is imported here\); with it trusted, as \`tlstool import\` trusts it, the file has no other problem$" \
    "^Fix: \`tlstool import .*org\.pfx\` makes it this node's pair and so trusts its root; to accept it as another cluster's pair instead, \`tlstool trust add .*org\.pfx\`" \
    "\[2\] O=Example, CN=sipc Test Root CA \[CA\] \(presented\)"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" verify "$work/ecdsa-p256.pfx"
expect "verify without a pair: a self-signed pair is named as the file's, not trusted yet" 22 \
    "^NOT VERIFIED: the self-signed certificate '[^']*' \(SHA-256 [0-9a-f]{16}\.\.\.\) of .*ecdsa-p256\.pfx is not trusted by this home yet"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" verify "$P/leafonly.pfx"
expect "verify without a pair: a file without its chain is incomplete, as import warns" 23 "NOT VERIFIED: incomplete chain: cannot find the issuer"
SIPC_PFX_PASSWORD=$PFXPW "$T" import "$P/org.pfx" >/dev/null 2>&1
run "$T" verify
expect "verify: imported org pair" 0 "\[0\] O=Example, CN=sipc node" "\[2\] O=Example, CN=sipc Test Root CA" "^VERIFIED$"
cat "$P/expired.pem" "$P/int.pem" >"$work/v.pem"; run "$T" verify "$work/v.pem"
expect "verify: expired leaf" 25 "NOT VERIFIED: certificate 'O=Example, CN=sipc node expired' expired on 2020-02-01 00:00:[0-9]{2} UTC" "Fix:"
cat "$P/future.pem" "$P/int.pem" >"$work/v.pem"; run "$T" verify "$work/v.pem"
expect "verify: not yet valid leaf" 26 "NOT VERIFIED: .*is not valid before 2040-01-01 00:00:[0-9]{2} UTC"
cat "$P/serveronly.pem" "$P/int.pem" >"$work/v.pem"; run "$T" verify "$work/v.pem"
expect "verify: serverAuth-only leaf" 30 "NOT VERIFIED: .*lacks extended key usage clientAuth"
run "$T" verify "$work/v.pem" --purpose server
expect "verify: serverAuth-only leaf is fine as a server" 0 "^VERIFIED$"
cat "$P/badint-leaf.pem" "$P/badint.pem" >"$work/v.pem"; run "$T" verify "$work/v.pem"
expect "verify: intermediate without CA:TRUE" 31 "NOT VERIFIED: issuer 'O=Example, CN=sipc Not A CA' .*is not a CA"
run "$T" verify "$P/other-leaf.pem"
expect "verify: incomplete chain names the missing issuer" 23 "NOT VERIFIED: incomplete chain: cannot find the issuer 'O=Elsewhere, CN=Other Cluster Root'"
cat "$P/other-leaf.pem" "$P/other-root.pem" >"$work/other.pem"; run "$T" verify "$work/other.pem"
expect "verify: another cluster's root is not trusted" 22 "NOT VERIFIED: root certificate 'O=Elsewhere, CN=Other Cluster Root'.*not trusted" "another cluster.*tlstool trust add"
cat "$P/impostor-leaf.pem" "$P/int.pem" >"$work/v.pem"; run "$T" verify "$work/v.pem"
expect "verify: bad signature (same issuer name, other key)" 24 "NOT VERIFIED: bad signature: 'O=Example, CN=sipc node' is not signed by the key of 'O=Example, CN=sipc Test Intermediate CA'"
printf '[tls]\nsubject = CN=sipc node\n' >"$H/sipc.conf"
run "$T" verify "$P/wrongsubj.pem"
expect "verify: wrong subject" 29 "NOT VERIFIED: certificate subject 'O=Example, CN=somebody else' differs from the required subject 'CN=sipc node'"
run "$T" verify "$P/leaf.pem"
expect "verify: required subject (CN) met" 0 "^VERIFIED$"
# the file lacks the intermediate, which this node's pair supplied: said so
expect "verify: an intermediate taken from the own pair is named" 0 \
    "^note: .*leaf.pem lacks the intermediate CA 'O=Example, CN=[^']*'; it was taken from this node's imported pair. A node without it finds the chain incomplete \(exit 23\)"
# the required subject is compared on the name's structure, never its text
run "$T" verify "$P/subj-comma.pem"
expect "verify: ', CN=...' inside an OU is no CN" 29 "differs from the required subject 'CN=sipc node' \(\[tls\] subject\): its CN differs" \
    "'O=Example, OU=Sales\\\\, CN=sipc node, CN=alice'"
run "$T" verify "$P/subj-twocn.pem"
expect "verify: a second CN is refused" 29 "it has 2 CN values where the required subject has 1"
run "$T" verify "$P/subj-long.pem"
expect "verify: a long subject is not cut to a match" 29 "its CN differs"
run "$T" verify "$P/subj-extra.pem"
expect "verify: attributes not named are free" 0 "^VERIFIED$"
for req in 'sipc node' 'CN=sipc node, O=Example' 'cn = SIPC  Node , o=example' '/O=Example/CN=sipc node' \
    'OU=Ops, OU=IT, CN=sipc node' 'C=US+CN=sipc\20node'; do
    printf '[tls]\nsubject = %s\n' "$req" >"$H/sipc.conf"
    run "$T" verify "$P/subj-extra.pem"
    expect "verify: required subject '$req' met" 0 "^VERIFIED$"
done
printf '[tls]\nsubject = OU=IT, CN=sipc node\n' >"$H/sipc.conf"
run "$T" verify "$P/subj-extra.pem"
expect "verify: every value of a type named is required" 29 "it has 2 OU values where the required subject has 1"
# a quoted value is one value, compared as it stands
printf '[tls]\nsubject = OU = "Sales, CN=sipc node", CN = alice\n' >"$H/sipc.conf"
run "$T" verify "$P/subj-comma.pem"
expect "verify: a quoted [tls] subject value with ', CN=' inside is met by that OU" 0 "^VERIFIED$"
printf '[tls]\nsubject = OU="Sales", CN=sipc node\n' >"$H/sipc.conf"
run "$T" verify "$P/subj-comma.pem"
expect "verify: the quoted OU is not the CN" 29 "its (OU|CN) differs"
printf '[tls]\nsubject = CN=sipc node ; O=Example\n' >"$H/sipc.conf"
run "$T" verify "$P/subj-extra.pem"
expect "verify: an attribute after ' ;' (a comment in sipc.conf) is refused, not dropped" 3 \
    "\[tls\] subject 'CN=sipc node' is followed by a comment that looks like more of it"
printf '[tls]\nsubject = CN=sipc node, Foo=bar\n' >"$H/sipc.conf"
run "$T" verify "$P/subj-extra.pem"
expect "verify: an unknown attribute in [tls] subject is a configuration error" 3 \
    "\[tls\] subject 'CN=sipc node, Foo=bar': unknown attribute 'Foo'"
printf '[tls]\nsubject = O=Example, Inc., OU=sipc prod\n' >"$H/sipc.conf"
run "$T" verify "$P/subj-extra.pem"
expect "verify: a bare comma in [tls] subject names the part and the escape" 3 \
    "\[tls\] subject 'O=Example, Inc\., OU=sipc prod': 'Inc\.' is not ATTRIBUTE=value .*a comma inside a value is written \\\\, as RFC 4514"
printf '[tls]\nsubject = "CN=sipc node, O=Example"\n' >"$H/sipc.conf"
run "$T" verify "$P/subj-extra.pem"
expect "verify: a [tls] subject written whole in quotes is refused, naming the quotes" 3 \
    "\[tls\] subject '\"CN=sipc node, O=Example\"': the whole subject is in quotes: remove them; quote single values \(O=\"Example, Inc\.\"\)"
printf '[tls]\nsubject = CN=sipc node\n' >"$H/sipc.conf"
: >"$H/sipc.conf"
run "$T" verify "$P/truncated.pfx" --password-file "$work/pw.txt"
expect "verify: unreadable file" 6 "not a readable PKCS#12"
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" verify "$P/org.pfx"
expect "verify: a PKCS#12 file" 0 "^VERIFIED$"
grep -q "^note: .*lacks the intermediate" "$OUT" && bad "verify: a whole chain is said to lack its intermediate"
# a file that is no certificate and cannot be PKCS#12 fails before any password is asked
printf 'node1.example.com\n' >"$work/hostname"
head -c 3000 /dev/zero | tr '\0' 'x' >"$work/rand.bin"
printf '\x30\x03\x02\x01\x05' >"$work/seq.der"
for f in hostname rand.bin seq.der; do
    run "$T" verify "$work/$f" </dev/null
    expect "verify: $f is neither a certificate nor PKCS#12: exit 6 at once" 6 \
        "$f: not a certificate \(PEM or DER\) or a PKCS#12 file"
    grep -q password "$OUT" && bad "verify $f: a password was asked for"
done
run "$T" trust add "$work/hostname" </dev/null
expect "trust add: neither a certificate nor PKCS#12: exit 6 at once" 6 "hostname: not a certificate \(PEM or DER\) or a PKCS#12 file"
run "$T" import "$work/hostname" </dev/null
expect "import: not PKCS#12: exit 6 before a password is asked" 6 "hostname: not a PKCS#12 file"
run "$T" import "$P/leaf.pem" </dev/null
expect "import: a PEM certificate is named as such" 6 "leaf.pem: a PEM file, not a PKCS#12 file: give the PKCS#12 file"
openssl x509 -in "$P/leaf.pem" -outform DER -out "$work/leaf.der"
run "$T" rotate stage "$work/leaf.der" </dev/null
expect "rotate stage: a DER certificate is not PKCS#12: exit 6 at once" 6 "leaf.der: a DER certificate, not a PKCS#12 file"
run "$T" verify "$P/truncated.pfx" </dev/null
expect "verify: a truncated PKCS#12 file still asks for its password" 4 "no password given"
run "$T" verify "$work/ecdsa-p256.pem"
expect "verify: another self-signed pair is not trusted (by this side: a client's home runs the same verifier)" 22 "not trusted by this side"
# the documented minimums: RSA 2048+, ECDSA P-256/P-384, SHA-256/384/512, no CA as a leaf
for c in "RSA-1024 key|weak-rsa1024.pem int.pem|33|has a weak or unsupported key \(RSA 1024\)" \
    "ECDSA P-521 key|weak-p521.pem int.pem|33|has a weak or unsupported key \(ECDSA P-521\)" \
    "ecdsa-with-SHA1 signature|weak-sha1.pem int.pem|34|is signed with ecdsa-with-SHA1" \
    "sha1WithRSA signature|weak-sha1rsa.pem rsaint.pem|34|is signed with sha1WithRSAEncryption" \
    "CA:TRUE leaf|caleaf.pem int.pem|35|is a CA certificate \(basicConstraints CA:TRUE\)"; do
    IFS='|' read -r name certs code re <<<"$c"
    (cd "$P" && cat $certs) >"$work/v.pem"
    run "$T" verify "$work/v.pem"
    expect "verify: $name refused" "$code" "NOT VERIFIED: .*$re" "^Fix: "
done
cat "$P/rsa2048.pem" "$P/int.pem" >"$work/v.pem"; run "$T" verify "$work/v.pem"
expect "verify: RSA-2048 leaf (the minimum) accepted" 0 "^VERIFIED$"
# the anchor's own signature is not judged: a trusted root self-signed with SHA-1
"$T" trust add "$P/sha1root.pem" >/dev/null 2>&1
cat "$P/sha1root-leaf.pem" "$P/sha1root.pem" >"$work/v.pem"; run "$T" verify "$work/v.pem"
expect "verify: SHA-256 leaf under a trusted SHA-1 self-signed root accepted" 0 "^VERIFIED$"
"$T" trust remove "$(openssl x509 -in "$P/sha1root.pem" -outform DER | sha256sum | cut -c1-16)" >/dev/null 2>&1

# trust store
run "$T" trust add "$P/leaf.pem"
expect "trust add: refuses a non-CA" 11 "not a CA certificate"
run "$T" trust add "$P/other-root.pem"
expect "trust add: another cluster's root, with a warning and how to apply it" 0 "trusted: O=Elsewhere, CN=Other Cluster Root" \
    "only add roots that you" "pick the change up on a reload or restart: \`sipcctl reload\`.*\`tlstool trust add\` with --reload"
grep -q "when restarted" "$OUT" && bad "trust add: still says a restart is needed"
run "$T" verify "$work/other.pem"
expect "verify: other cluster accepted once its root is trusted" 0 "\(trust store\)" "^VERIFIED$"
run "$T" trust list
expect "trust list" 0 "Other Cluster Root" "sipc Test Root CA"
# a PKCS#12 file (leaf, intermediate, root): its root is trusted, not its leaf
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" trust add "$P/org.pfx"
expect "trust add of a PKCS#12 bundle takes its self-signed root only" 0 \
    "org.pfx is a PKCS#12 file: trusting its root only \(1 of its 3" "trusted: O=Example, CN=sipc Test Root CA"
grep -Eq "trusted: .*CN=sipc (node|Test Intermediate)" "$OUT" && bad "trust add of org.pfx trusted its leaf or intermediate"
"$T" trust remove "$(openssl x509 -in "$P/root.pem" -outform DER | sha256sum | cut -c1-16)" >/dev/null 2>&1
openssl pkcs12 -export -inkey "$P/leaf.key" -in "$P/leaf.pem" -certfile "$P/int.pem" -passout env:PFXPW -out "$work/noroot.pfx" 2>/dev/null
run env SIPC_PFX_PASSWORD="$PFXPW" "$T" trust add "$work/noroot.pfx"
expect "trust add of a PKCS#12 file without a root: refused, give the root as PEM" 11 \
    "noroot.pfx is a PKCS#12 file without a self-signed CA certificate \(a root\): give the root as a PEM file"
FP=$(openssl x509 -in "$P/other-root.pem" -outform DER | sha256sum | cut -c1-16)
run "$T" trust remove "$FP"
expect "trust remove" 0 "removed" "on a reload or restart"
run "$T" trust remove "$FP"
expect "trust remove: unknown fingerprint" 11 "no trusted root"
run "$T" verify "$work/other.pem"
expect "verify: untrusted again after remove" 22 "not trusted"
run "$T" trust export
expect "trust export: org root" 0 "BEGIN CERTIFICATE"
cmp -s <(openssl x509 -in "$OUT" -outform DER) <(openssl x509 -in "$P/root.pem" -outform DER) && ok "trust export gives the root" || bad "trust export is not the root"

# CRLs and revocation
cat "$P/revoked.pem" "$P/int.pem" >"$work/rev.pem"
run "$T" verify "$work/rev.pem"
expect "verify: revoked leaf without CRL (soft, no CRLs: not checked)" 0 "^VERIFIED$"
run "$T" crl add "$P/other-root.pem"
expect "crl add: not a CRL" 6 "not a CRL"
run "$T" crl add "$P/int.crl"
expect "crl add" 0 "added CRL of O=Example, CN=sipc Test Intermediate CA \(1 revoked" "\`tlstool crl add\` with --reload"
run "$T" verify "$work/rev.pem"
expect "verify: revoked (date, which CRL)" 27 "NOT VERIFIED: certificate 'O=Example, CN=sipc node revoked' \(serial [0-9A-F:]+\) was revoked on [0-9-]+ [0-9:]+ UTC according to crl/[0-9a-f]+\.crl"
run "$T" verify
expect "verify: soft: no CRL for the root is a warning" 0 "warning: revocation status of 'O=Example, CN=sipc Test Intermediate CA' is unknown: no CRL from its issuer" "^VERIFIED$"
printf '[tls]\nrevocation = hard\n' >"$H/sipc.conf"
run "$T" verify
expect "verify: hard: no CRL for an issuer fails" 28 "NOT VERIFIED: revocation status of 'O=Example, CN=sipc Test Intermediate CA' is unknown: no CRL from its issuer 'O=Example, CN=sipc Test Root CA'"
run "$T" crl add "$P/root.crl"
run "$T" verify
expect "verify: hard with all CRLs" 0 "^VERIFIED$"
run "$T" crl add "$P/int-expired.crl"
expect "crl add: an older CRL does not replace a newer one" 11 "older than the installed CRL"
run "$T" crl add "$P/int-expired.crl" --force
expect "crl add --force: expired CRL, warned" 0 "past its next update"
run "$T" verify
expect "verify: hard: CRL past next update" 28 "unknown: crl/[0-9a-f]+\.crl from 'O=Example, CN=sipc Test Intermediate CA' is past its next update \(2021-01-08"
printf '[tls]\nrevocation = off\n' >"$H/sipc.conf"
run "$T" verify "$work/rev.pem"
expect "verify: revocation off ignores CRLs" 0 "^VERIFIED$"
run "$T" crl list
expect "crl list" 0 "issuer: O=Example, CN=sipc Test Root CA" "PAST NEXT UPDATE"
N=$(ls "$H/security/crl" | head -1)
run "$T" crl remove "$N"
expect "crl remove" 0 "removed" "on a reload or restart"
# --reload on trust and crl: the change is made, then the node of this home is
# asked (none runs here: exit 13)
MGMT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
printf '[node]\naddress = 127.0.0.1\n[management]\nport = %s\n[tls]\nsubject = CN=sipc node\n' "$MGMT" >"$H/sipc.conf"
run "$T" trust add "$P/other-root.pem" --reload
expect "trust add --reload: added, then the node is asked (exit 13: none runs)" 13 "trusted: O=Elsewhere" "--reload: the node at 127.0.0.1:$MGMT could not be asked" \
    "^warning: only add roots that you or your organisation control: every certificate such a root signed is now accepted by this node$"
run "$T" trust remove "$FP" --reload
expect "trust remove --reload: removed, then the node is asked" 13 "removed" "could not be asked"
run "$T" crl add "$P/root.crl" --reload
expect "crl add --reload: added, then the node is asked" 13 "added CRL" "could not be asked"
run "$T" crl remove "$(ls "$H/security/crl" | head -1)" --reload
expect "crl remove --reload: removed, then the node is asked" 13 "removed" "could not be asked"
run "$T" trust list --reload
expect "trust list --reload: refused" 64 "--reload goes with trust add and trust remove only"
# a client-only home (no [node] key, its [cluster] nodes all others, no
# state/): no
# node's reload to remind of, and --reload asks no node (its [node]
# address by default may be another home's node on this machine); crl add's
# guard asks its [cluster] node, 127.1.232.1, where none listens
printf '[management]\nport = %s\n[cluster]\nnodes = 127.1.232.1:23000\n[tls]\nsubject = CN=sipc node\nrevocation = off\n' \
    "$MGMT" >"$H/sipc.conf"
client_only() { # NAME: the last run said so, and nothing of a node
    grep -q "^this home is client-only (no \[node\] key in its sipc.conf, its \[cluster\] nodes all others, and no sipcd running or ever run from it (no state/): docs/operator-guide.md, 1.3): its clients" "$OUT" &&
        ! grep -q "running services pick the change up\|node reloads or restarts\|--reload: the node" "$OUT" &&
        ok "$1: says the home is client-only, nothing of a node" || bad "$1: $(cat "$OUT")"
}
run "$T" trust add "$P/other-root.pem"
expect "client-only home: trust add" 0 "trusted: O=Elsewhere" \
    "^warning: only add roots that you or your organisation control: every certificate such a root signed is now accepted by this home's clients$"
client_only "... trust add"
run "$T" crl add "$P/int.crl"
expect "client-only home: crl add" 0 "added CRL" "takes effect when revocation is turned on \(soft or hard\), for this home's clients from their next run"
client_only "... crl add"
run "$T" crl remove "$N"
expect "client-only home: crl remove" 0 "removed"
client_only "... crl remove"
run "$T" trust remove "$FP" --reload
expect "client-only home: trust remove --reload asks no node" 0 "removed" \
    "^--reload: no sipcd runs from a client-only home: no node was asked"
client_only "... trust remove --reload"
: >"$H/sipc.conf"
run "$T" crl remove "$N"
expect "crl remove: unknown" 11 "no CRL named"

# self-signed shared pair: pinning
newhome pin
export SIPC_HOME=$H
SIPC_PFX_PASSWORD=$PFXPW "$T" import "$work/ecdsa-p384.pfx" >/dev/null 2>&1
run "$T" verify
expect "verify: own self-signed pair (pinned)" 0 "\(own pair\)" "^VERIFIED$"
run "$T" verify "$work/rsa-3072.pem"
expect "verify: another self-signed pair is not this cluster's" 32 "NOT VERIFIED: self-signed certificate .* is not this cluster's key pair" "import the same PFX"
run "$T" crl add "$P/int.crl"
expect "crl add: issuer not known here is kept, with a note" 0 "^note: the issuer '.*' is neither this node's chain nor a trusted root"
# the same in a client-only home names the home (its [cluster] node, in
# 127.1.252.0/24, is asked by crl add's guard; none listens there)
printf '[cluster]\nnodes = 127.1.252.1:23000\n' >"$H/sipc.conf"
run "$T" crl add "$P/int.crl"
expect "client-only home: crl add's note names the home" 0 "^note: the issuer '.*' is neither this home's chain nor a trusted root"
grep -q "this node" "$OUT" && bad "client-only home: crl add spoke of this node"
: >"$H/sipc.conf"
run "$T" verify
expect "verify: own pair unaffected by an unrelated CRL" 0 "^VERIFIED$"
run "$T" trust export --out "$work/export.pem"
cmp -s <(openssl x509 -in "$work/export.pem" -outform DER) <(openssl x509 -in "$work/ecdsa-p384.pem" -outform DER) &&
    ok "trust export: the self-signed pair's certificate" || bad "trust export of self-signed pair"

# ---------------------------------------------------------------- enable / disable / status
newhome enable
export SIPC_HOME=$H
run "$T" enable
expect "enable: refused without a pair" 8 "no key pair is imported"
run "$T" status
expect "status: nothing imported, disabled: consistent" 0 "none imported" "state: +consistent"
SIPC_PFX_PASSWORD=$PFXPW "$T" import "$work/ecdsa-p256.pfx" >/dev/null 2>&1
printf '[data]\nport = 23443\n' >"$H/sipc.conf"
run "$T" enable
expect "enable: refused on port 23443" 3 "old port 23443: move it to 23000 first"
grep -q "enable = 1" "$H/sipc.conf" && bad "enable wrote the config despite refusing" || ok "enable: refusal leaves sipc.conf alone"
printf '[data]\nport = 23000\n' >"$H/sipc.conf"
run "$T" enable
expect "enable" 0 "TLS enabled" "restart" "TLS Port: 23000"
# where to look for the result comes after the reload it waits for
[ "$(grep -n "pick the change up on a reload" "$OUT" | cut -d: -f1)" -lt "$(grep -n "then look for 'TLS Port" "$OUT" | cut -d: -f1)" ] 2>/dev/null &&
    ok "enable: 'then look for TLS Port' follows the reload reminder" || bad "enable: 'then look for' before the reload reminder"
grep -Eq '^enable *= *1' "$H/sipc.conf" && ok "enable: [tls] enable = 1" || bad "enable: sipc.conf not set"
grep -q "fingerprint_sha256 = " "$H/security/server.tls.conf" && [ "$(mode_of "$H/security/server.tls.conf")" = 600 ] &&
    ok "enable: server.tls.conf written (0600)" || bad "enable: server.tls.conf"
# the file names the pair, not sipc.conf's settings, which mode, disable and
# hand edits change without it
grep -Eq '^(mode|revocation|required_subject) *=' "$H/security/server.tls.conf" &&
    bad "enable: server.tls.conf copies a sipc.conf [tls] setting" || ok "enable: server.tls.conf names no sipc.conf setting"
# an older tlstool's file, with a mode line: the next enable writes it anew
printf 'mode = strict\nrevocation = soft\n' >>"$H/security/server.tls.conf"
run "$T" enable
expect "enable: idempotent" 0 "already enabled"
! grep -Eq '^(mode|revocation) *=' "$H/security/server.tls.conf" && grep -q "fingerprint_sha256 = " "$H/security/server.tls.conf" &&
    ok "enable: an older server.tls.conf's mode line goes" || bad "enable: server.tls.conf keeps an old mode line"
run "$T" mode strict
expect "mode strict without --reload: applies once the node reloads or restarts" 0 \
    "strict: plaintext peers are refused once the node reloads or restarts"
grep -q "from now on" "$OUT" && bad "mode strict without --reload: says 'from now on'"
run "$T" status
expect "status: enabled, consistent" 0 "TLS: +enabled" "SHA-256: +[0-9a-f]{64}" "state: +consistent"
run "$T" status --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["consistent"] and d["tls_enabled"] and d["imported"]' "$OUT" &&
    ok "status --json is JSON with the state" || bad "status --json"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["certificate"]; assert c["validity"] == "valid" and c["days_left"] >= 0' "$OUT" &&
    ok "status --json: a pair in use is valid, with its days left" || bad "status --json: validity of a pair in use"
run "$T" status -verbose
expect "status -verbose: chain, roots, CRLs" 0 "^chain:" "^trusted roots:" "^CRLs:"
# Leftovers of writes killed before their rename (.NAME.XXXXXX.tmp, base's
# writer's, 0600, maybe a copy of the private key): status removes those no
# process holds locked (a write in progress holds its file's flock) and says
# so; a file still held (it may be being written right now) and a symbolic
# link are left alone, the link named as a problem. An older tlstool's
# NAME.tmp.PID is still recognised (an upgrade may find one): removed when
# its process no longer runs, left while it runs.
( exit 0 ) &
dead=$!
wait "$dead"
S=$H/security
for f in "$S/.node.crt.Kx9Qa2.tmp" "$S/trust/.extra.pem.Zz00ab.tmp" "$S/.node.p12.Held01.tmp" \
    "$S/node.crt.tmp.$dead" "$S/node.p12.tmp.$$"; do
    printf 'PRIVATE KEY COPY\n' >"$f"
    chmod 600 "$f"
done
printf 'not ours\n' >"$work/link-target"
ln -s "$work/link-target" "$S/crl/.extra.crl.Lnk123.tmp"
# a write in progress: its file held locked by a live process
(exec 9<"$S/.node.p12.Held01.tmp" && flock -x 9 && exec sleep 600) &
holder=$!
for _ in $(seq 50); do
    flock -n -x "$S/.node.p12.Held01.tmp" true || break
    sleep 0.1
done
run "$T" status
expect "status: stale temporary files removed and named, a link named as a problem" 10 \
    "^warning: removed $S/.node.crt.Kx9Qa2.tmp, left by a write that was interrupted \(no process is writing it\)" \
    "^warning: removed $S/trust/.extra.pem.Zz00ab.tmp," \
    "^warning: removed $S/node.crt.tmp.$dead, left by a write that was interrupted \(process $dead no longer runs\)" \
    "^PROBLEM: $S/crl/.extra.crl.Lnk123.tmp has the name of a temporary file of tlstool's but is a symbolic link" \
    "INCONSISTENT"
[ ! -e "$S/.node.crt.Kx9Qa2.tmp" ] && [ ! -e "$S/trust/.extra.pem.Zz00ab.tmp" ] &&
    [ ! -e "$S/node.crt.tmp.$dead" ] &&
    ok "status: the interrupted writes' temporary files are gone" || bad "status: stale temporary files left"
[ -f "$S/.node.p12.Held01.tmp" ] && [ -f "$S/node.p12.tmp.$$" ] &&
    ok "status: a temporary file still held (or an older tlstool's of a running process) is left alone" ||
    bad "status: removed the file of a write in progress"
grep -qE "node\.p12\.(tmp|Held01)" "$OUT" && bad "status: named a write in progress's temporary file"
[ -L "$S/crl/.extra.crl.Lnk123.tmp" ] && [ -f "$work/link-target" ] &&
    ok "status: a link is left, its target untouched" || bad "status: followed or removed a link"
rm -f "$S/crl/.extra.crl.Lnk123.tmp"
run "$T" status
expect "status: nothing left to say about temporary files" 0 "state: +consistent"
grep -q "\.tmp" "$OUT" && bad "status: names a temporary file once none is stale"
# the store's other commands remove them too, silently (here: trust add)
printf 'PRIVATE KEY COPY\n' >"$S/.node.crt.Kx9Qa2.tmp"
printf 'PRIVATE KEY COPY\n' >"$S/node.crt.tmp.$dead"
openssl x509 -in "$work/ecdsa-p384.pem" -out "$work/p384.crt"
run "$T" trust add "$work/p384.crt"
[ "$RC" = 0 ] && [ ! -e "$S/.node.crt.Kx9Qa2.tmp" ] && [ ! -e "$S/node.crt.tmp.$dead" ] &&
    [ -f "$S/.node.p12.Held01.tmp" ] && [ -f "$S/node.p12.tmp.$$" ] &&
    ok "trust add: removes an interrupted write's temporary file, not one in progress" ||
    bad "trust add: temporary files (exit $RC)"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
# once its holder is gone, the file is a leftover
run "$T" status
grep -q "^warning: removed $S/.node.p12.Held01.tmp," "$OUT" && [ ! -e "$S/.node.p12.Held01.tmp" ] &&
    ok "status: a temporary file no longer held is removed" || bad "status: left a file no one holds"
rm -f "$S/node.p12.tmp.$$"
"$T" trust remove "$(openssl x509 -in "$P/other-root.pem" -outform DER | sha256sum | cut -c1-16)" >/dev/null 2>&1
chmod 644 "$H/security/node.crt"
run "$T" status
expect "status: key file readable by others is inconsistent" 10 "accessible by other users" "INCONSISTENT"
chmod 600 "$H/security/node.crt"
mv "$H/security/node.crt" "$work/node.crt.away"
run "$T" status
expect "status: enabled without a pair is inconsistent" 10 "TLS is enabled but no key pair" "INCONSISTENT"
mv "$work/node.crt.away" "$H/security/node.crt"
run "$T" disable
# strict straight to off cuts the node off from the nodes still strict; with
# no [cluster] nodes to ask their mode, it cannot know: a warning, as before
expect "disable from strict: warns and names the two-step roll-back" 0 "TLS disabled" "key pair is kept" "restart" \
    "^tlstool: warning: no \[cluster\] nodes are listed in .*/sipc.conf to ask: a node that runs strict refuses this node's plaintext links" \
    "run \`tlstool mode permissive --reload\` on every node first"
grep -Eq '^enable *= *0' "$H/sipc.conf" && [ -f "$H/security/node.crt" ] && ok "disable: enable = 0, pair kept" || bad "disable state"
"$T" enable --mode permissive >/dev/null 2>&1 || bad "enable --mode permissive"
run "$T" disable
expect "disable from permissive" 0 "TLS disabled"
grep -q "warning" "$OUT" && bad "disable from permissive warns"
run "$T" disable
expect "disable: idempotent" 0 "already disabled"
# an expired pair placed by hand
cat "$P/expired.pem" "$P/int.pem" "$P/root.pem" "$P/expired.key" >"$H/security/node.crt"
run "$T" enable
expect "enable: refused for an expired pair" 25 "expired on 2020-02-01"
run "$T" status
expect "status: expired pair is inconsistent, how long ago" 10 "has expired" "INCONSISTENT" \
    "to 2020-02-01 [0-9:]+ UTC \(expired [0-9]+ days ago\)"
grep -q "days left" "$OUT" && bad "status: an expired pair shows days left"
run "$T" status --json
python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["certificate"]; assert c["validity"] == "expired" and c["days_left"] < 0' "$OUT" &&
    ok "status --json: an expired pair, days_left below 0" || bad "status --json: validity of an expired pair"
# a pair not valid yet: when it starts, not the days it has left
cat "$P/future.pem" "$P/int.pem" "$P/root.pem" "$P/future.key" >"$H/security/node.crt"
run "$T" status
expect "status: a pair not valid yet says when it starts" 10 "not valid yet: check the clock" "INCONSISTENT" \
    "2040-01-01 00:00:00 UTC to 2040-12-31 00:00:00 UTC \(not valid yet: valid in [0-9]+ days\)$"
grep -q "days left" "$OUT" && bad "status: a pair not valid yet shows days left"
# ... and in JSON validity says so; days_left stays an integer (days to
# not_after), as the node's status schema 1 has always had it
run "$T" status --json
python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["certificate"]; assert c["validity"] == "not_yet_valid" and type(c["days_left"]) is int and c["days_left"] > 0 and c["not_before"].startswith("2040-01-01")' "$OUT" &&
    ok "status --json: a pair not valid yet has validity not_yet_valid, days_left an integer" ||
    { bad "status --json: a pair not valid yet"; grep -E 'validity|days_left|not_before' "$OUT"; }
# under two days in whole hours, rounded down as the days are: 1 h 30 min before it starts
TZ=UTC run faketime_run '@2039-12-31 22:30:00' "$T" status
expect "status: a pair valid in 90 minutes says 1 hour" 10 "\(not valid yet: valid in 1 hour\)$"

# ---------------------------------------------------------------- check
newhome check
export SIPC_HOME=$H
SIPC_PFX_PASSWORD=$PFXPW "$T" import "$work/ecdsa-p256.pfx" >/dev/null 2>&1
run "$T" check
# TLS off: the mode is what enable would apply, never one the node runs
expect "check: no nodes configured: not a pass, exit 43; TLS off said as status says it" 43 "VERIFIED" \
    "^TLS: disabled \(configured: \`tlstool enable\` applies mode strict\)$" \
    "CHECK INCOMPLETE: no \[cluster\] nodes .* no node was tested"
grep -q "disabled (mode" "$OUT" && bad "check with TLS off names a mode as the node's"
grep -q "CHECK PASSED" "$OUT" && bad "check with no nodes says CHECK PASSED"
# a port nobody listens on: bind and close it to get a free one
FREE=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
printf '[cluster]\nnodes = 127.0.0.1:%s\n' "$FREE" >"$H/sipc.conf"
run "$T" check --timeout 3000
expect "check: unreachable node" 40 "127.0.0.1:$FREE: NOT reachable" "CHECK FAILED"
# a node that takes the connection and never answers (a stopped sipcd): not
# answering, as unreachable, not a refused handshake (42). The silence is
# counted from the connect to when tlstool handled its deadline: about the
# 1000 ms timeout, more when a loaded machine runs tlstool late (it then was
# silent that long), never twice the timeout
silent_listener 127.0.77.1
printf '[cluster]\nnodes = 127.0.77.1:%s\n' "$silent_port" >"$H/sipc.conf"
run "$T" check --timeout 1000
expect "check: a node that does not answer is not answering, exit 40" 40 \
    "^127\.0\.77\.1:$silent_port: NOT answering: connected to 127\.0\.77\.1:$silent_port, but nothing received from it for (9[0-9][0-9]|1[0-9][0-9][0-9]) ms: the process there may be stopped or overloaded$" "CHECK FAILED"
grep -q "handshake FAILED" "$OUT" && bad "check: a silent node reported as a refused handshake"
kill "$silent_pid" 2>/dev/null; wait "$silent_pid" 2>/dev/null

# ---------------------------------------------------------------- live nodes (sipcd)
free_port() { # [ADDRESS]: a port nobody listens on there (127.0.0.1)
    python3 -c 'import socket,sys; s=socket.socket(); s.bind((sys.argv[1],0)); print(s.getsockname()[1]); s.close()' "${1:-127.0.0.1}"
}
start_sipcd() { # HOME: start and wait (bounded) until its four services have started
    rm -rf "$1/logs"
    sipcd_start "$1" || { not_ok "sipcd did not start"; return 1; }
}
stop_sipcd() { kill "$sipcd_pid" 2>/dev/null; wait "$sipcd_pid" 2>/dev/null; }

if [ -n "$SIPCD" ] && [ -x "$SIPCD" ]; then
    SIPCCTL=$(dirname "$SIPCD")/sipcctl
    PORT=$(free_port)
    # node B: the same self-signed pair as node A, TLS enabled
    newhome nodeB
    B=$H
    SIPC_PFX_PASSWORD=$PFXPW "$T" --home "$B" import "$work/ecdsa-p256.pfx" >/dev/null 2>&1
    printf '[data]\nport = %s\n[search]\nport = 0\n[management]\nport = 0\n[pipeline]\nport = 0\n' "$PORT" >"$B/sipc.conf"
    "$T" --home "$B" enable >/dev/null 2>&1
    newhome nodeA
    A=$H
    SIPC_PFX_PASSWORD=$PFXPW "$T" --home "$A" import "$work/ecdsa-p256.pfx" >/dev/null 2>&1
    printf '[cluster]\nnodes = 127.0.0.1:%s\n' "$PORT" >"$A/sipc.conf"
    if start_sipcd "$B"; then
        grep -qs "TLS Port: $PORT" "$B"/logs/* && ok "sipcd logs 'TLS Port: $PORT' after enable" || bad "no TLS Port line"
        run "$T" --home "$A" check
        expect "check: node with the same pair" 0 "127.0.0.1:$PORT: reachable, TLS \(TLSv1.2 [A-Z0-9-]+\), same certificate" "CHECK PASSED"
        stop_sipcd
    fi
    "$T" --home "$B" disable >/dev/null 2>&1
    if start_sipcd "$B"; then
        run "$T" --home "$A" check
        expect "check: node still in plaintext, before enabling here" 0 "127.0.0.1:$PORT: reachable, PLAINTEXT" "CHECK PASSED"
        printf '[tls]\nenable = 1\n' >>"$A/sipc.conf"
        run "$T" --home "$A" check
        # A is client-only (no [node], its one [cluster] node another): its
        # clients, not a node, speak TLS only
        expect "check: plaintext node while this client home is TLS only" 41 \
            "^== this home's key pair$" "^TLS: required by this home's clients \(\[tls\] enable = 1\)$" \
            "127.0.0.1:$PORT: reachable, PLAINTEXT \(TLS is not enabled there\): this home's clients speak TLS only \(\[tls\] enable = 1\) and cannot reach it; enable TLS there$" \
            "CHECK FAILED"
        stop_sipcd
    fi
    SIPC_PFX_PASSWORD=$PFXPW "$T" --home "$B" import "$work/rsa-2048.pfx" >/dev/null 2>&1
    "$T" --home "$B" enable >/dev/null 2>&1
    if start_sipcd "$B"; then
        run "$T" --home "$A" check
        expect "check: node with another pair, the verifier's reason" 42 "TLS handshake FAILED: .*is not this cluster's key pair" "CHECK FAILED"
        stop_sipcd
    fi

    # A hand-made node.crt whose P-256 key has a 40-byte private value: wolfSSL
    # 5.5.4 decodes it and overflows a stack buffer checking it against the
    # certificate, so sipcd must refuse it when it loads the file.
    newhome badkey
    SIPC_PFX_PASSWORD=$PFXPW "$T" --home "$H" import "$work/ecdsa-p256.pfx" >/dev/null 2>&1
    "$T" --home "$H" enable >/dev/null 2>&1
    printf '[data]\nport = 0\n[search]\nport = 0\n[management]\nport = 0\n[pipeline]\nport = 0\n' >>"$H/sipc.conf"
    sed -i '/-----BEGIN .*PRIVATE KEY-----/,$d' "$H/security/node.crt"
    python3 - >>"$H/security/node.crt" <<'PY'
import base64
def tlv(t, b): return bytes([t, len(b)]) + b
key = tlv(0x30, tlv(2, b'\x01') + tlv(4, bytes([0x7f]) + bytes(range(1, 40)))
          + tlv(0xa0, tlv(6, bytes.fromhex('2a8648ce3d030107'))))
print('-----BEGIN EC PRIVATE KEY-----\n%s\n-----END EC PRIVATE KEY-----'
      % base64.encodebytes(key).decode().strip())
PY
    run timeout 30 "$SIPCD" --home "$H"
    expect "sipcd: node.crt with an EC private value longer than its curve" 78 \
        "security/node.crt: the private key is damaged or not a key sipc can read"

    # An organisation-signed pair and no [tls] subject: every certificate the
    # CA issued would pass as a node, so nothing starts TLS with it.
    newhome orgnosubj
    SIPC_PFX_PASSWORD=$PFXPW run "$T" --home "$H" import "$P/org.pfx"
    expect "import: an organisation pair without [tls] subject is named" 0 "^imported" \
        "warning: TLS will not start with this pair yet: .*is issued by 'O=Example, CN=sipc Test Intermediate CA', and no \[tls\] subject is set" \
        "\[tls\] subject = O=Example, CN=sipc node"
    run "$T" --home "$H" enable
    expect "enable: refused without [tls] subject" 3 "TLS not enabled: .*no \[tls\] subject is set"
    grep -Eq '^enable *= *1' "$H/sipc.conf" 2>/dev/null && bad "enable wrote enable = 1 despite refusing" || ok "enable: refusal leaves sipc.conf alone"
    # TLS off: the node runs in plaintext as before the pair was imported
    printf '[node]\naddress = 127.0.0.1\n[data]\nport = 0\n[search]\nport = 0\n[management]\nport = 0\n[pipeline]\nport = 0\n' >"$H/sipc.conf"
    run timeout 4 "$SIPCD" --home "$H"
    [ "$RC" = 124 ] && ok "sipcd with TLS off still runs with an organisation pair and no subject" ||
        bad "sipcd with TLS off and an organisation pair: exit $RC"
    printf '[tls]\nenable = 1\n[data]\nport = 0\n[search]\nport = 0\n[management]\nport = 0\n[pipeline]\nport = 0\n' >"$H/sipc.conf"
    run "$T" --home "$H" status
    expect "status: the missing subject is a problem" 10 "PROBLEM: .*no \[tls\] subject is set"
    run timeout 30 "$SIPCD" --home "$H"
    expect "sipcd: refuses TLS with an organisation pair and no [tls] subject" 78 "no \[tls\] subject is set"
    run "$SIPCCTL" --home "$H" --timeout 2000 ping 127.0.0.1:9
    expect "sipcctl: refuses the same" 78 "no \[tls\] subject is set"
    sed -i 's/^enable = 1$/enable = 1\nsubject = CN=sipc node/' "$H/sipc.conf"
    run "$T" --home "$H" status
    expect "status: with the subject, consistent" 0 "state: +consistent"
    # the same for an organisation's root trusted beside a self-signed pair
    newhome casubj
    SIPC_PFX_PASSWORD=$PFXPW "$T" --home "$H" import "$work/ecdsa-p256.pfx" >/dev/null 2>&1
    run "$T" --home "$H" trust add "$P/root.pem"
    expect "trust add: a CA root refused while no [tls] subject is set" 3 \
        "'O=Example, CN=sipc Test Root CA' not trusted: it is a certificate authority, and no \[tls\] subject is set"
    [ -z "$(ls "$H/security/trust" 2>/dev/null)" ] && ok "trust add: nothing stored on refusal" || bad "trust add stored the refused root"
    # a root put there by hand: enable says what is missing
    mkdir -p -m 700 "$H/security/trust" && cp "$P/root.pem" "$H/security/trust/root.pem"
    run "$T" --home "$H" enable
    expect "enable: refused with a CA trusted and no [tls] subject" 3 \
        "TLS not enabled: this home trusts the certificate authority 'O=Example, CN=sipc Test Root CA' \(trust store\), and no \[tls\] subject is set"
    rm "$H/security/trust/root.pem"
    run "$T" --home "$H" trust add "$work/p384.crt"
    expect "trust add: another cluster's self-signed pair needs no subject" 0 "^trusted: "
    run "$T" --home "$H" enable
    expect "enable: with another cluster's pair trusted, no subject needed" 0 "TLS enabled"
    # a root shaped like a cluster's pair (node usages, CA:TRUE) that issues
    # certificates: trusted as itself, never what it issued, without a subject
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/pl.key" \
        -out "$work/pl.pem" -days 30 -subj "/CN=pair-like root" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,digitalSignature,keyCertSign" \
        -addext "extendedKeyUsage=serverAuth,clientAuth" 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/pll.key" \
        -subj "/CN=bob laptop" -out "$work/pll.csr" 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n' >"$work/pll.ext"
    openssl x509 -req -in "$work/pll.csr" -CA "$work/pl.pem" -CAkey "$work/pl.key" -CAcreateserial \
        -days 30 -extfile "$work/pll.ext" -out "$work/pll.pem" 2>/dev/null
    run "$T" --home "$H" trust add "$work/pl.pem"
    expect "trust add: a root shaped like a pair" 0 "^trusted: CN=pair-like root"
    cat "$work/pll.pem" "$work/pl.pem" >"$work/pll-chain.pem"
    run "$T" --home "$H" verify "$work/pll-chain.pem"
    expect "verify: a certificate issued under a pair-like root is refused without a subject" 29 \
        "certificate 'CN=bob laptop' is issued by 'CN=pair-like root', which is trusted as a cluster's self-signed pair: without \[tls\] subject a pair is accepted only as itself"
    run "$T" --home "$H" verify "$work/pl.pem"
    expect "verify: ... while the pair itself is accepted" 0 "^VERIFIED$"

    # Handshakes rejected by a node (org-signed pair, CRL, required subject), one per
    # verification failure: the node's log carries the reason `tlstool verify` prints.
    newhome server
    S=$H
    SIPC_PFX_PASSWORD=$PFXPW "$T" --home "$S" import "$P/org.pfx" >/dev/null 2>&1
    printf '[data]\nport = %s\n[search]\nport = 0\n[management]\nport = 0\n[pipeline]\nport = 0\n[tls]\nsubject = CN=sipc node\n' "$PORT" >"$S/sipc.conf"
    "$T" --home "$S" enable >/dev/null 2>&1
    "$T" --home "$S" crl add "$P/int.crl" >/dev/null 2>&1
    if start_sipcd "$S"; then
        for c in "expired:expired.pem int.pem root.pem:expired.key:25" \
            "not yet valid:future.pem int.pem root.pem:future.key:26" \
            "revoked:revoked.pem int.pem root.pem:revoked.key:27" \
            "wrong subject:wrongsubj.pem int.pem root.pem:wrongsubj.key:29" \
            "serverAuth only:serveronly.pem int.pem root.pem:serveronly.key:30" \
            "intermediate not a CA:badint-leaf.pem badint.pem root.pem:badint-leaf.key:31" \
            "other cluster's root:other-leaf.pem other-root.pem:other-leaf.key:22" \
            "incomplete chain:other-leaf.pem:other-leaf.key:23" \
            "bad signature:impostor-leaf.pem int.pem root.pem:impostor-leaf.key:24" \
            "RSA-1024 key:weak-rsa1024.pem int.pem root.pem:weak-rsa1024.key:33" \
            "SHA-1 signature:weak-sha1.pem int.pem root.pem:weak-sha1.key:34" \
            "CA as the leaf:caleaf.pem int.pem root.pem:caleaf.key:35"; do
            IFS=: read -r name certs key code <<<"$c"
            CH=$work/client.$code
            rm -rf "$CH"
            mkdir -p "$CH/security/trust"
            chmod 700 "$CH/security"
            cp "$P/root.pem" "$CH/security/trust/root.pem" # the client trusts the server
            printf '[tls]\nenable = 1\nsubject = CN=sipc node\n' >"$CH/sipc.conf"
            (cd "$P" && cat $certs) >"$work/chain.$code.pem"
            cat "$work/chain.$code.pem" "$P/$key" >"$CH/security/node.crt"
            chmod 600 "$CH/security/node.crt"
            run "$T" --home "$S" verify "$work/chain.$code.pem" --purpose client
            REASON=$(sed -n 's/^NOT VERIFIED: //p' "$OUT" | sed 's/; now .*//')
            if [ "$RC" != "$code" ] || [ -z "$REASON" ]; then
                bad "handshake: $name: tlstool verify gave exit $RC, want $code"
                continue
            fi
            run env LD_PRELOAD="$CONNECT_FROM" SIPC_TEST_CONNECT_FROM="127.1.250.$code" \
                "$SIPCCTL" --home "$CH" --timeout 5000 ping "127.0.0.1:$PORT"
            if [ "$RC" = 0 ]; then
                bad "handshake: $name: accepted"
                continue
            fi
            # the node logs the rejection as it closes: poll (bounded) for the line
            wait_for 2 grep -qsF -- "$REASON" "$S"/logs/*
            if grep -qsF -- "$REASON" "$S"/logs/*; then
                ok "handshake rejected ($name): the node's log has verify's reason"
            else
                { echo "reason: $REASON"; tail -3 "$S"/logs/*; } >"$OUT"
                bad "handshake: $name: reason not in the node's log"
            fi
        done
        stop_sipcd
    fi

    # A wrong [tls] subject edited into a running node's home: sipcctl judges
    # the node by it, and this home's own certificate (the cluster's pair)
    # fails it too, so the edit is named (exit 78), not the node's
    # certificate (77), and the node is not asked.
    NET=${SIPC_TEST_NET:-127.0.0}
    OPORT=$(free_port "$NET.1")
    OMGMT=$(free_port "$NET.1")
    newhome orgnode
    O=$H
    printf '[node]\naddress = %s.1\n[data]\nport = %s\n[search]\nport = 0\n[management]\nport = %s\n[pipeline]\nport = 0\n[tls]\nsubject = O=Example, CN=sipc node\n' \
        "$NET" "$OPORT" "$OMGMT" >"$O/sipc.conf"
    SIPC_PFX_PASSWORD=$PFXPW "$T" --home "$O" import "$P/org.pfx" >/dev/null 2>&1
    "$T" --home "$O" enable >/dev/null 2>&1
    if start_sipcd "$O"; then
        run "$SIPCCTL" --home "$O" --timeout 5000 status
        expect "sipcctl status: organisation pair, subject met" 0 \
            "TLS: enabled, mode strict, required subject O=Example, CN=sipc node"
        sed -i 's/^subject = .*/subject = O=Example Inc., CN=sipc node/' "$O/sipc.conf"
        LINE=$(grep -n '^subject' "$O/sipc.conf" | cut -d: -f1)
        # tlstool --reload from that home finds the same before dialing (3):
        # the node sees no rejected handshake from it; the mode was already
        # strict, so no change "stays made here"
        run "$T" --home "$O" mode strict --reload
        expect "tlstool --reload: the wrong subject edited in is named, not the node (exit 3)" 3 \
            "--reload: the node at $NET.1:$OMGMT was not asked: this home's \[tls\] subject \(.*/sipc.conf line $LINE\) does not match this home's own certificate: .*its O differs\. Fix \[tls\] subject in sipc.conf, or send the node SIGHUP .*on a node with TLS enabled"
        grep -q "could not be asked" "$OUT" && bad "tlstool --reload blames the node"
        grep -q "the change stays made here" "$OUT" && bad "tlstool --reload: 'the change stays made here' when nothing changed"
        # no handshake refused, whichever side refused: the node refusing the
        # dialer's certificate, or told that its own was refused
        REFUSED="peer certificate rejected\|this side's certificate refused by the peer"
        wait_for 1 grep -qs "$REFUSED" "$O"/logs/ManagementService_*
        grep -qs "$REFUSED" "$O"/logs/ManagementService_* &&
            bad "tlstool --reload: the node logged a rejected handshake" ||
            ok "tlstool --reload: the node was not dialed (no rejected handshake in its log)"
        # a change made here is said to stay
        run "$T" --home "$O" mode permissive --reload
        expect "tlstool --reload: a change made here stays (exit 3)" 3 "was not asked: .*; the change stays made here$"
        "$T" --home "$O" mode strict >/dev/null 2>&1
        run "$SIPCCTL" --home "$O" --timeout 5000 reload
        expect "sipcctl reload: a wrong subject edited in is named, not the node's certificate" 78 \
            "management.reload to $NET.1:$OMGMT not sent: this home's \[tls\] subject \(.*/sipc.conf line $LINE\) does not match this home's own certificate: certificate subject 'O=Example, CN=sipc node' differs from the required subject 'O=Example Inc., CN=sipc node' \(\[tls\] subject\): its O differs$" \
            "the node was not asked: .*Fix \[tls\] subject in sipc.conf and reload again, or send the node SIGHUP .*its running setup stays"
        grep -q "failed: \(peer certificate rejected\|this side's certificate refused\)" "$OUT" &&
            bad "sipcctl reload blames a certificate"
        run "$SIPCCTL" --home "$O" --timeout 5000 --json reload
        expect "sipcctl reload --json: not_asked, with the reason" 78 '"result": "not_asked"' \
            '"message": "this home.s \[tls\] subject .*its O differs"'
        run "$SIPCCTL" --home "$O" --timeout 5000 status
        expect "sipcctl status: the same, with status's advice" 78 \
            "management.status to $NET.1:$OMGMT not sent: this home's \[tls\] subject .*its O differs" \
            "the node was not asked: .*Fix \[tls\] subject in sipc.conf \(.tlstool status. shows"
        # the node, asked by SIGHUP, refuses the file itself and goes on
        kill -HUP "$sipcd_pid"
        wait_for 5 grep -qs "reload refused: this node's certificate does not verify" "$O"/logs/ManagementService_*
        grep -qs "reload refused: this node's certificate does not verify.*its O differs.*the running setup stays" "$O"/logs/ManagementService_* &&
            ok "SIGHUP: the node refuses the subject its certificate lacks" ||
            { tail -3 "$O"/logs/ManagementService_* >"$OUT"; bad "SIGHUP: no refusal in the node's log"; }
        sed -i 's/^subject = .*/subject = O=Example, CN=sipc node/' "$O/sipc.conf"
        run "$SIPCCTL" --home "$O" --timeout 5000 reload
        expect "sipcctl reload: the subject put right, the node answers" 0 "nothing changed"
        # a client whose own certificate carries its subject: a node whose
        # certificate lacks it is the node's problem (77)
        newhome orgclient
        printf '[node]\naddress = %s.1\n[management]\nport = %s\n[tls]\nsubject = CN=somebody else\n' \
            "$NET" "$OMGMT" >"$H/sipc.conf"
        SIPC_PFX_PASSWORD=$PFXPW "$T" --home "$H" import "$P/wrongsubj.pfx" >/dev/null 2>&1
        run "$SIPCCTL" --home "$H" --timeout 5000 status
        expect "sipcctl status: a node lacking the subject this home's certificate carries" 77 \
            "management.status to $NET.1:$OMGMT failed: peer certificate rejected \[SIPC_EPEERAUTH, auth\]: .*certificate subject 'O=Example, CN=sipc node' differs from the required subject 'CN=somebody else'"
        # reload --cluster from a home whose own certificate lacks its subject:
        # node O is refused here for it (not asked), node X (a certificate
        # that carries it) answers refused; the home's fault decides (78)
        newhome xnode
        X=$H
        printf '[node]\naddress = %s.2\n[data]\nport = %s\n[search]\nport = 0\n[management]\nport = %s\n[pipeline]\nport = 0\n[tls]\nsubject = O=Example\n' \
            "$NET" "$OPORT" "$OMGMT" >"$X/sipc.conf"
        SIPC_PFX_PASSWORD=$PFXPW "$T" --home "$X" import "$P/wrongsubj.pfx" >/dev/null 2>&1
        "$T" --home "$X" enable >/dev/null 2>&1
        opid=$sipcd_pid
        if start_sipcd "$X"; then
            xpid=$sipcd_pid
            printf 'no such setting = 1\n' >>"$X/sipc.conf" # X refuses its reload
            newhome orgctl
            printf '[node]\naddress = %s.1\n[management]\nport = %s\n[cluster]\nnodes = %s.1:%s, %s.2:%s\n[tls]\nsubject = O=Example\n' \
                "$NET" "$OMGMT" "$NET" "$OPORT" "$NET" "$OPORT" >"$H/sipc.conf"
            SIPC_PFX_PASSWORD=$PFXPW "$T" --home "$H" import "$P/org.pfx" >/dev/null 2>&1
            sed -i 's/^subject = .*/subject = CN=somebody else/' "$H/sipc.conf" # the edit
            run "$SIPCCTL" --home "$H" --timeout 5000 --json reload --cluster
            expect "sipcctl reload --cluster: this home's subject at fault wins over a node's refusal (78)" 78 \
                "management.reload to $NET.1:$OMGMT not sent: this home's \[tls\] subject" \
                '"result": "not_asked"' '"result": "refused"'
            kill "$xpid" 2>/dev/null
            wait "$xpid" 2>/dev/null
        fi
        sipcd_pid=$opid
        stop_sipcd
    fi
    # started with a [tls] subject its own certificate lacks, the node
    # refuses as a reload does (78): running, it would be cut off
    sed -i 's/^subject = .*/subject = O=Example Inc., CN=sipc node/' "$O/sipc.conf"
    rm -rf "$O/logs"
    run timeout 20 "$SIPCD" --home "$O"
    expect "sipcd start: a subject its own certificate lacks is refused (78)" 78 \
        "Cannot start Data Service: this node's certificate does not verify, every TLS handshake will fail: certificate subject 'O=Example, CN=sipc node' differs from the required subject 'O=Example Inc., CN=sipc node' \(\[tls\] subject\): its O differs; fix: correct \[tls\] subject in $O/sipc.conf line [0-9]+ "
    # with TLS off the subject is not asked at start
    "$T" --home "$O" disable >/dev/null 2>&1
    if start_sipcd "$O"; then
        ok "sipcd start: TLS off, the same subject does not stop it"
        stop_sipcd
    fi
    # ... unless the pipeline has TLS of its own: its pair is checked as with TLS on
    sed -i 's/^\[pipeline\]$/[pipeline]\ntls = 1/' "$O/sipc.conf"
    run timeout 20 "$SIPCD" --home "$O"
    # (only the pipeline's handshakes fail, and the fix names the file and line)
    expect "sipcd start: TLS off but [pipeline] tls = 1, the subject is still refused (78)" 78 \
        "this node's certificate does not verify, the pipeline's TLS handshakes \(\[pipeline\] tls = 1; TLS is off for the other services\) will fail: certificate subject 'O=Example, CN=sipc node' differs from the required subject 'O=Example Inc., CN=sipc node'.*; fix: correct \[tls\] subject in $O/sipc.conf line [0-9]+ "
    grep -q "every TLS handshake" "$OUT" && bad "sipcd start, [pipeline] tls alone: 'every TLS handshake' said"
    # ... and the other services' logs name the service whose TLS stopped the node
    if grep -q "Cannot start Data Service: the node stops, as the Pipeline Service cannot start: this node's certificate does not verify" "$O/logs/"DataService_*.log &&
        grep -q "Cannot start Pipeline Service: this node's certificate does not verify" "$O/logs/"PipelineService_*.log; then
        ok "sipcd start refused for the pipeline's TLS: the data service's log names the pipeline"
    else
        bad "start refused for the pipeline's TLS: logs"; tail -3 "$O/logs/"DataService_*.log "$O/logs/"PipelineService_*.log
    fi
    sed -i '/^tls = 1$/d' "$O/sipc.conf"
else
    ok "live node tests [skipped: no sipcd given]"
fi

shtest_done
