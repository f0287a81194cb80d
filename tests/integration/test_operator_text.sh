#!/usr/bin/env bash
# test_operator_text.sh - text shown to an operator that came from outside (a
# --node address, a home path, a node's words) reads one way: printable UTF-8
# as it is, every other byte as \xNN, a cut between characters.
#   - sipcctl's failure line: a --node of 1,500 "é" (longer than a failure
#     line keeps) is cut between characters; a --node host with the byte
#     0xf4 is named with \xf4 in the failure line, and `ping --json`'s
#     failure object, which names the address as reload's does
#   - a home whose path holds "é" and the byte 0xff, not running: tlstool
#     import, enable and status, tlstool's and sipcctl's failure lines for a
#     broken sipc.conf there name it "my node é \xff", as the logs do; the
#     command enable gives to read the log, and the sipcd command sipcctl
#     gives when no node runs there, pasted into bash, name it
#   - a real sipcd on $NET.1 whose [cluster] lists a fake node on $NET.2
#     (text_node.py, TEXT_NODE_STATUS=long) that answers management.status
#     with an error of 800 bytes of "é": `status --cluster --json` names it
#     unreachable with that error cut between characters
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
NET=${SIPC_TEST_NET:-127.1.109}
BASE=$NET
FAKE=$NET.2
. "$(dirname "$0")/../support/shtest.sh"
shtest_init operator_text
need_free "$NET".1:{23000,23001,23002,23003} "$FAKE":23002

# utf8 FILE: FILE is valid UTF-8 (a cut inside a character is not)
utf8() { python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$1" 2>/dev/null; }

mkdir -p "$work/c"
printf '[cluster]\nname = otext\n' >"$work/c/sipc.conf"
ctl() { "$BIN/sipcctl" --home "$work/c" --timeout 3000 "$@"; }

# --- sipcctl's failure line ---------------------------------------------------
# "'x" then 1,500 "é": a cut by byte at the line's 2,047 falls inside one
run ctl --node "x$(python3 -c 'print("\u00e9" * 1500)')" status
if [ "$RC" = 64 ] && utf8 "$OUT" && grep -q "^sipcctl: 'xé*$" "$OUT"; then
    ok "a --node longer than a failure line: cut between characters"
else
    bad "a long --node in the failure line (exit $RC; $(wc -c <"$OUT") bytes, UTF-8: $(utf8 "$OUT" && echo yes || echo no))"
fi
HOST=$(printf 'h\364te')
run ctl --node "$HOST" ping
if [ "$RC" != 0 ] && utf8 "$OUT" && grep -qF 'sys.ping to h\xf4te:23000 failed' "$OUT"; then
    ok "a --node host that is not UTF-8: \\xf4 in the failure line"
else
    bad "a --node host that is not UTF-8 in the failure line (exit $RC)"
fi
ctl --node "$HOST" --json ping >"$work/ping.json" 2>/dev/null
jq -e '.ok == false and .address == "h\\xf4te:23000" and (.error | test("h\\\\xf4te:23000"))' \
    "$work/ping.json" >/dev/null &&
    ok "ping --json without an answer: the failure object names the address, with \\xf4" ||
    { not_ok "ping --json without an answer: the failure object"; shtest_show "$work/ping.json"; }

# --- a home path that is not UTF-8, one way everywhere --------------------------
# "my node é" and the byte 0xff: the logs say "my node é \xff", so must the
# text of tlstool and of every failure line; the path tlstool gives to paste
# is one shell word that names it
H=$work/"my node é $(printf '\377')"
SHOWN="$work/my node é \xff"
node_home "$H" otext n1 "$NET.1" "$NET.1"
export SIPC_PFX_PASSWORD="Operator-Text-$$"
"$BIN/tlstool" create -site "$work/pair.p12" >/dev/null 2>&1
run "$BIN/tlstool" --home "$H" import "$work/pair.p12"
expect "tlstool import: the home with \\xff" 0
utf8 "$OUT" && grep -qF "into $SHOWN/security (" "$OUT" || bad "tlstool import names the home raw"
run "$BIN/tlstool" --home "$H" enable
expect "tlstool enable under that home" 0
utf8 "$OUT" && grep -qF "[tls] enable = 1 in $SHOWN/sipc.conf, $SHOWN/security/server.tls.conf written" "$OUT" &&
    ok "tlstool enable: the home with \\xff" || bad "tlstool enable names the home raw"
# the command it gives, run as pasted, finds the line in that home's log
mkdir -p "$H/logs"
echo "2026-12-06T00:00:00.000+00:00 Service.Start INFO TLS Port: 23000" >"$H/logs/DataService_20261206.log"
paste=$(sed -n "s/^then look for 'TLS Port: 23000' in the data service log: //p" "$OUT")
[ -n "$paste" ] && [ "$(cd / && bash -c "$paste" 2>&1)" = \
    "2026-12-06T00:00:00.000+00:00 Service.Start INFO TLS Port: 23000" ] &&
    ok "tlstool enable: its command, pasted into bash, reads that home's log ($paste)" ||
    bad "tlstool enable: the command to paste ($paste)"
run "$BIN/tlstool" --home "$H" status
grep -qF "home:        $SHOWN (tag" "$OUT" && utf8 "$OUT" && ok "tlstool status: the home with \\xff" ||
    bad "tlstool status names the home raw"
# a broken sipc.conf: each program's failure line names it the same way
cp "$H/sipc.conf" "$work/good.conf"
printf 'bogus\n' >>"$H/sipc.conf"
run "$BIN/tlstool" --home "$H" status
utf8 "$OUT" && grep -qF "$SHOWN/sipc.conf" "$OUT" && ok "tlstool's failure line: the home with \\xff" ||
    bad "tlstool's failure line names the home raw (exit $RC)"
run "$BIN/sipcctl" --home "$H" status
utf8 "$OUT" && grep -qF "sipcctl: $SHOWN/sipc.conf" "$OUT" && ok "sipcctl's configuration error: the home with \\xff" ||
    bad "sipcctl's configuration error names the home raw (exit $RC)"
cp "$work/good.conf" "$H/sipc.conf"
# no sipcd runs there: the command sipcctl gives to start it, pasted into
# bash, names that home
run "$BIN/sipcctl" --home "$H" --timeout 3000 status
word=$(sed -n 's/.*`sipcd --home \(.*\)`); .*/\1/p' "$OUT")
[ -n "$word" ] && [ "$(bash -c "printf %s $word")" = "$H" ] && utf8 "$OUT" &&
    ok "sipcctl, no node: the sipcd command to paste names the home ($word)" ||
    bad "sipcctl, no node: the sipcd command to paste ($word)"

# --- a node's long error in status --cluster ----------------------------------
TEXT_NODE_STATUS=long text_node_start "$FAKE" otext 23002 || { shtest_done; exit 1; }
node_home "$work/n1" otext n1 "$NET.1" "$NET.1, $FAKE"
sipcd_start "$work/n1" || { shtest_done; exit 1; }
node_pid=$sipcd_pid
at_exit "kill -TERM $node_pid 2>/dev/null"
"$BIN/sipcctl" --home "$work/n1" --timeout 5000 --json status --cluster >"$work/cl.json" 2>/dev/null
python3 - "$work/cl.json" "$FAKE" <<'PY'
import json, re, sys
o = json.load(open(sys.argv[1]))
errs = [n.get("error", "") for n in o.get("nodes", [])
        if n.get("reachable") is False and n.get("address", "").startswith(sys.argv[2])]
# the code's words, then whole characters up to the cut
ok = len(errs) == 1 and re.fullmatch(
    "remote handler returned an error: nothing \u00e9{300,}", errs[0])
sys.exit(0 if ok else "the fake's error is %r" % errs)
PY
[ $? = 0 ] && ok "status --cluster --json: a node's long error cut between characters" ||
    { not_ok "status --cluster --json: the node's long error"; shtest_show "$work/cl.json"; }
kill -TERM "$node_pid"
wait "$node_pid"
text_node_stop

if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$work/n1.out"; then
    not_ok "a sanitizer report in sipcd's output"
    shtest_show "$work/n1.out"
else
    ok "sipcd reported nothing to the sanitizers"
fi
shtest_done
