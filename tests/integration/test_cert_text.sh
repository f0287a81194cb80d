#!/usr/bin/env bash
# test_cert_text.sh - a certificate's names read the same wherever they are
# shown: printable UTF-8 as it is, every other byte as \xNN, and a name cut
# between characters. Certificates made by openssl, put in homes as
# security/node.crt:
#   - O in Latin-1 (a T61String with the byte 0xe9): `tlstool status`,
#     `tlstool status --json`, `tlstool verify`, the sipcd log's line on a
#     [tls] subject the certificate lacks (a real sipcd on $NET.1) and
#     `sipcctl status --json` all say "O=Caf\xe9, CN=latin node"
#   - a CN of 50 four-byte characters (200 bytes, over what a value once
#     kept): whole in the text and the JSON
#   - O, OU and CN of 64 "é" each (a name longer than the 255 bytes kept):
#     cut between characters, "..." after it, in the text and the JSON
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
NET=${SIPC_TEST_NET:-127.1.108}
BASE=$NET
. "$(dirname "$0")/../support/shtest.sh"
shtest_init cert_text
need_free "$NET".1:{23000,23001,23002,23003}

# cert_home HOME OPENSSL_REQ_ARGS...: HOME with a self-signed pair made by
# `openssl req` with those arguments (its subject among them) as node.crt
cert_home() {
    local h=$1
    shift
    mkdir -p "$h/security" && chmod 700 "$h/security" &&
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
            -keyout "$h.key" -out "$h.crt" -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,digitalSignature,keyCertSign" \
            -addext "extendedKeyUsage=serverAuth,clientAuth" "$@" 2>"$h.openssl" &&
        cat "$h.crt" "$h.key" >"$h/security/node.crt" && chmod 600 "$h/security/node.crt" ||
        { echo "openssl could not make the certificate of $h"; cat "$h.openssl"; return 1; }
    one_node_home "$h" ctext
    printf '[tls]\nenable = 1\n' >>"$h/sipc.conf"
}
# utf8 FILE: FILE is valid UTF-8 (a cut inside a character, a raw Latin-1
# byte, is not)
utf8() { python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$1" 2>/dev/null; }

# --- Latin-1: the byte 0xe9 in a T61String -----------------------------------
# string_mask nombstr keeps openssl from turning the byte into UTF-8
printf '[req]\ndistinguished_name = dn\nstring_mask = nombstr\nprompt = no\n[dn]\n' >"$work/l1.cnf"
L1=$work/latin
cert_home "$L1" -config "$work/l1.cnf" -subj "/O=$(printf 'Caf\351')/CN=latin node" ||
    { shtest_done; exit 1; }
SHOWN='O=Caf\xe9, CN=latin node'
"$BIN/tlstool" --home "$L1" status >"$work/l1.txt" 2>&1
grep -qF "subject:   $SHOWN" "$work/l1.txt" && grep -qF "issuer:    $SHOWN" "$work/l1.txt" &&
    utf8 "$work/l1.txt" && ok "tlstool status: the Latin-1 byte as \\xe9" ||
    { not_ok "tlstool status: the Latin-1 subject"; shtest_show "$work/l1.txt"; }
"$BIN/tlstool" --home "$L1" status --json >"$work/l1.json" 2>/dev/null
jq -e --arg s "$SHOWN" '.certificate.subject == $s and .certificate.issuer == $s' \
    "$work/l1.json" >/dev/null && ok "tlstool status --json: the same text" ||
    { not_ok "tlstool status --json: the Latin-1 subject"; shtest_show "$work/l1.json"; }
"$BIN/tlstool" --home "$L1" verify >"$work/l1v.txt" 2>&1
grep -qF "[0] $SHOWN [CA]" "$work/l1v.txt" && utf8 "$work/l1v.txt" &&
    ok "tlstool verify: the same text in the chain" ||
    { not_ok "tlstool verify: the Latin-1 subject"; shtest_show "$work/l1v.txt"; }
# a [tls] subject the certificate lacks: each service's log names the subject
printf 'subject = CN=another node\n' >>"$L1/sipc.conf"
sipcd_start "$L1" || { shtest_done; exit 1; }
node_pid=$sipcd_pid
at_exit "kill -TERM $node_pid 2>/dev/null"
n=$(each_log "$L1" "certificate subject '${SHOWN//\\/\\\\}' differs from the required subject")
[ "$n" = 4 ] && ok "sipcd's log: the same text, in every service's log" ||
    { not_ok "sipcd's log names the subject so in $n of 4 logs"; grep -h "subject" "$L1/logs/"*.log | head -5; }
"$BIN/sipcctl" --home "$L1" --timeout 5000 --json status >"$work/l1s.json" 2>"$work/l1s.err"
jq -e --arg s "$SHOWN" '.tls.certificate.subject == $s and .tls.certificate.issuer == $s' \
    "$work/l1s.json" >/dev/null && ok "sipcctl status --json: the same text" ||
    { not_ok "sipcctl status --json: the Latin-1 subject"; shtest_show "$work/l1s.json"; shtest_show "$work/l1s.err"; }
kill -TERM "$node_pid"
wait "$node_pid"

# --- a value of 200 bytes: 50 characters of 4 bytes --------------------------
LOCKS=$(python3 -c 'print("\U0001f512" * 50)')
U8=$work/locks
cert_home "$U8" -utf8 -subj "/O=Ünïcode/CN=$LOCKS" || { shtest_done; exit 1; }
"$BIN/tlstool" --home "$U8" status >"$work/u8.txt" 2>&1
grep -qF "subject:   O=Ünïcode, CN=$LOCKS" "$work/u8.txt" && utf8 "$work/u8.txt" &&
    ok "tlstool status: a CN of 200 bytes whole" ||
    { not_ok "tlstool status: the CN of 200 bytes"; shtest_show "$work/u8.txt"; }
"$BIN/tlstool" --home "$U8" status --json >"$work/u8.json" 2>/dev/null
jq -e --arg s "O=Ünïcode, CN=$LOCKS" '.certificate.subject == $s' "$work/u8.json" >/dev/null &&
    ok "tlstool status --json: the same" ||
    { not_ok "tlstool status --json: the CN of 200 bytes"; shtest_show "$work/u8.json"; }

# --- a name over 255 bytes: cut between characters ---------------------------
E64=$(python3 -c 'print("\u00e9" * 64)')
LN=$work/long
cert_home "$LN" -utf8 -subj "/O=$E64/OU=$E64/CN=$E64" || { shtest_done; exit 1; }
"$BIN/tlstool" --home "$LN" status >"$work/ln.txt" 2>&1
"$BIN/tlstool" --home "$LN" status --json >"$work/ln.json" 2>/dev/null
python3 - "$work/ln.json" "$E64" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["certificate"]["subject"]
e = sys.argv[2]
whole = "O=%s, OU=%s, CN=%s" % (e, e, e)
ok = s.endswith("...") and whole.startswith(s[:-3]) and len(s.encode()) <= 255 and \
    len(s[:-3].encode()) >= 250 and "\\x" not in s
sys.exit(0 if ok else "subject is %r" % s)
PY
[ $? = 0 ] && utf8 "$work/ln.txt" && grep -q "subject:   O=é*, OU=é*\.\.\.$" "$work/ln.txt" &&
    ok "a name over 255 bytes: cut between characters, then '...', in the text and the JSON" ||
    { not_ok "a name over 255 bytes"; shtest_show "$work/ln.json"; shtest_show "$work/ln.txt"; }

if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$L1.out"; then
    not_ok "a sanitizer report in sipcd's output"
    shtest_show "$L1.out"
else
    ok "sipcd reported nothing to the sanitizers"
fi
shtest_done
