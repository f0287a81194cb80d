#!/usr/bin/env bash
# test_reload.sh - sipcd reloads its TLS setup without a restart, with a real
# node on $BASE.1 (standard ports) and a client putting records all along:
#   - plaintext -> permissive (tlstool enable --mode permissive --reload)
#     -> strict (tlstool mode strict --reload), no put failed or lost
#   - each step's reply and Service.Reload log lines say what changed; every
#     accepted connection is logged as TLS or plaintext
#   - the pipeline's link to the data service is replaced by a TLS one
#   - an invalid sipc.conf or a corrupt node.crt is refused as a whole and the
#     old setup goes on serving (sipcctl reload and SIGHUP alike)
#   - a change that needs a restart is reported (exit 3) and not applied
#   - SIGHUP reloads as sipcctl reload does; tlstool disable --reload goes
#     back to plaintext; tlstool status then says "TLS: disabled", no mode
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.71}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init reload
ctl() { "$BIN/sipcctl" --timeout 5000 "$@"; }
tt() { "$BIN/tlstool" --home "$work/n1" "$@"; }
datalog() { cat "$work/n1/logs/"DataService_*.log; }
# logged PATTERN: the data service log has it within 5 s (INFO lines reach the
# file from the logger's flusher thread, a few ms after the reply on a busy machine)
_logged() { datalog | grep -q -- "$1"; }
logged() { wait_for 5 _logged "$1"; }
need_free "$BASE.1":{23000,23001,23002,23003}

export SIPC_PFX_PASSWORD="Reload-Test-$$"
one_node_home "$work/n1" reload
one_node_home "$work/client" reload   # an operator machine: the pair, never enabled
one_node_home "$work/plain" reload    # no pair at all
tt create -site "$work/cluster.pfx" >/dev/null
tt import "$work/cluster.pfx" >/dev/null
"$BIN/tlstool" --home "$work/client" import "$work/cluster.pfx" >/dev/null

sipcd_start "$work/n1" || exit 1
node_pid=$sipcd_pid
logged "Service.Start INFO Port: 23000$" && ok "the node starts in plaintext" || not_ok "plaintext start"

# The client: one put after the other, each its own connection, until told
# to stop; every failure is kept. While $work/pause exists it holds between
# two puts (no connection of its own open), saying so in $work/paused.
loader() {
    local i=0
    while [ ! -e "$work/stop" ] && [ "$i" -lt 5000 ]; do
        if [ -e "$work/pause" ]; then
            : >"$work/paused"
            sleep 0.05
            continue
        fi
        rm -f "$work/paused"
        i=$((i + 1))
        if ctl --home "$work/client" put "r-$i" --timestamp 2026-11-23T10:00:00Z --body "record $i" >/dev/null 2>>"$work/loader.err"; then
            echo "r-$i" >>"$work/acked"
        else
            echo "put r-$i failed" >>"$work/loader.err"
        fi
    done
}
: >"$work/acked"
: >"$work/loader.err"
loader &
loader_pid=$!
wait_for 10 test -s "$work/acked" || not_ok "the client's first put"

# --- plaintext -> permissive ---------------------------------------------
tt enable --mode permissive --reload >"$work/step1.out" 2>&1
rc=$?
if [ "$rc" = 0 ] && grep -q "changed: TLS: off -> permissive" "$work/step1.out"; then
    ok "tlstool enable --mode permissive --reload: the reply says TLS off -> permissive"
else
    not_ok "enable --mode permissive --reload (exit $rc)"; cat "$work/step1.out"
fi
# right after the reload n1's own pipeline link may still be the plaintext
# one made before: the cluster status must not tell n1 to enable TLS on n1.
# The client's put under way at the reload (begun in plaintext, answered
# after it) is left to end first, and the next one held back until the
# status is taken: its plaintext connection, made before the switch, would
# rightly be named a plaintext peer of n1.
touch "$work/pause"
wait_for 30 test -e "$work/paused" || not_ok "the client did not pause between two puts"
ctl --home "$work/client" status --cluster --json >"$work/cl1.json" 2>&1
rm -f "$work/pause"
if jq -e '[.problems[]? | select(.kind == "plaintext_peer") | .message | select(test("\\(node n1\\): enable TLS there"))] | length == 0' "$work/cl1.json" >/dev/null &&
    jq -e '[.problems[]? | select(.kind == "plaintext_peer" and .node == "n1") | .message | select(test("from its own link") | not)] | length == 0' "$work/cl1.json" >/dev/null; then
    ok "cluster status right after the reload: n1's own plaintext link is named as such ($(jq '[.problems[]? | select(.kind == "plaintext_peer")] | length' "$work/cl1.json") such problem(s))"
else
    not_ok "n1 told to enable TLS on itself"; jq '.problems' "$work/cl1.json"
fi
grep -q "^mode = permissive" "$work/n1/sipc.conf" || grep -q "mode = permissive" "$work/n1/sipc.conf" &&
    ok "[tls] mode = permissive written" || { not_ok "mode not written"; cat "$work/n1/sipc.conf"; }
for s in Data Search Management Pipeline; do
    wait_for 5 grep -qs "Service.Reload WARN Changed: TLS: off -> permissive" "$work/n1/logs/${s}Service_"*.log ||
        not_ok "$s log lacks the Service.Reload change line"
done
logged "Service.Reload INFO TLS Port: 23000 (TLS and plaintext)" &&
    ok "the data service log says its listener now takes TLS and plaintext" || not_ok "reload port line"
ctl --home "$work/client" ping "$BASE.1" >"$work/p.out" 2>&1 && grep -q "over TLSv1.2" "$work/p.out" &&
    ok "a new connection after the reload is TLS" || { not_ok "TLS after reload"; cat "$work/p.out"; }
ctl --home "$work/plain" ping "$BASE.1" >"$work/p.out" 2>&1 && grep -q "over plaintext" "$work/p.out" &&
    ok "permissive: a plaintext client still gets in" || { not_ok "plaintext in permissive"; cat "$work/p.out"; }
logged "Transport.Conn INFO Data Service: connection from [0-9.]*:[0-9]* (node [^)]*) up over TLSv1.2 " &&
    logged "Transport.Conn INFO Data Service: connection from [0-9.]*:[0-9]* (node [^)]*) up over plaintext" &&
    ok "the listener logs each connection as TLS or plaintext" || { not_ok "per-connection transport lines"; datalog | grep "Transport.Conn"; }
# each sipcctl session names itself (sipcctl:USER@HOST/TAG:PID): the pings above are told apart
n=$(datalog | grep -o "(node sipcctl:[^@)]*@[^/:)]*/[0-9a-f]*:[0-9]*)" | sort -u | wc -l)
[ "$n" -ge 2 ] && ok "the log tells $n sipcctl sessions apart by user, host and process" ||
    { not_ok "sipcctl sessions not told apart ($n)"; datalog | grep "sipcctl"; }

# --- permissive -> strict ------------------------------------------------
# the plaintext client of home plain is a peer the strict guard holds on to
# (test_guard.sh): going strict cuts it off, which is what this step checks
tt mode strict --reload --force >"$work/step2.out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q "changed: TLS: permissive -> strict" "$work/step2.out" &&
    grep -q "strict: plaintext peers are refused from now on" "$work/step2.out" &&
    ok "tlstool mode strict --reload --force: TLS permissive -> strict, refused from now on" || { not_ok "mode strict --reload (exit $rc)"; cat "$work/step2.out"; }
ctl --home "$work/plain" ping "$BASE.1" >"$work/p.out" 2>&1
rc=$?
[ "$rc" != 0 ] && ok "strict: a plaintext client is refused (exit $rc)" || { not_ok "plaintext got into strict"; cat "$work/p.out"; }
pipeline_tls() {
    ctl --home "$work/client" status --json >"$work/st.json" 2>/dev/null &&
        [ "$(jq -r '[.links[] | select(.service == "pipeline")][0].tls' "$work/st.json")" = true ]
}
wait_for 10 pipeline_tls && ok "the pipeline's link to the data service was replaced by a TLS one" ||
    { not_ok "pipeline link still plaintext"; cat "$work/st.json"; }
ctl --home "$work/client" reload >"$work/same.out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q "nothing changed" "$work/same.out" && ok "sipcctl reload with nothing new: nothing changed, exit 0" ||
    { not_ok "reload unchanged (exit $rc)"; cat "$work/same.out"; }

# --- trust add / remove --reload: a reload applies them, no restart ---------
one_node_home "$work/other" reload
"$BIN/tlstool" --home "$work/other" create -site "$work/other.pfx" >/dev/null
tt trust add "$work/other.pfx" --reload >"$work/ta.out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q "changed: trust: +1 root" "$work/ta.out" &&
    ok "tlstool trust add --reload: the node reloads, trust +1 root" || { not_ok "trust add --reload (exit $rc)"; cat "$work/ta.out"; }
fp=$(sed -n 's/^ *SHA-256: \([0-9a-f]\{16\}\).*/\1/p' "$work/ta.out" | head -1)
tt trust remove "$fp" --reload >"$work/tr.out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q "changed: trust: -1 root" "$work/tr.out" &&
    ok "tlstool trust remove --reload: the node reloads, trust -1 root" || { not_ok "trust remove --reload (exit $rc)"; cat "$work/tr.out"; }

# --- an invalid sipc.conf is refused as a whole --------------------------
cp "$work/n1/sipc.conf" "$work/conf.good"
printf 'mode = permissive\n[tls]\nbogus = 1\n' >>"$work/n1/sipc.conf"
ctl --home "$work/client" reload >"$work/bad.out" 2>&1
rc=$?
if [ "$rc" = 1 ] && grep -q "reload refused: .*sipc.conf:[0-9]*: unknown setting \[tls\] bogus; the running setup stays" "$work/bad.out"; then
    ok "an invalid sipc.conf is refused with its line (exit 1)"
else
    not_ok "invalid sipc.conf (exit $rc)"; cat "$work/bad.out"
fi
# the data service logs the refusal in its own thread, maybe after the reply
refusal_logged() { datalog | grep -q "Service.Reload ERROR reload refused: .*sipc.conf:[0-9]*: unknown setting"; }
wait_for 5 refusal_logged && ok "the refusal is logged" || not_ok "refusal log"
ctl --home "$work/plain" ping "$BASE.1" >/dev/null 2>&1 && not_ok "after a refused reload the node left strict" ||
    ok "after a refused reload the node is still strict"
ctl --home "$work/client" ping "$BASE.1" >"$work/p.out" 2>&1 && grep -q "over TLSv1.2" "$work/p.out" &&
    ok "after a refused reload new TLS connections still work" || { not_ok "TLS after refusal"; cat "$work/p.out"; }
cp "$work/conf.good" "$work/n1/sipc.conf"

# --- a corrupt node.crt is refused, by SIGHUP and sipcctl alike -----------
cp "$work/n1/security/node.crt" "$work/crt.good"
printf -- '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n' >"$work/n1/security/node.crt"
before=$(datalog | grep -c "Service.Reload ERROR reload refused")
kill -HUP "$node_pid"
hup_refused() { [ "$(datalog | grep -c "Service.Reload ERROR reload refused")" -gt "$before" ]; }
wait_for 10 hup_refused && logged "Reload requested by SIGHUP" &&
    ok "SIGHUP with a corrupt node.crt: refused and logged" || { not_ok "SIGHUP corrupt pair"; datalog | tail -5; }
ctl --home "$work/client" reload >"$work/bad.out" 2>&1
rc=$?
[ "$rc" = 1 ] && grep -q "reload refused: .*node.crt" "$work/bad.out" &&
    ok "sipcctl reload with a corrupt node.crt: refused (exit 1), the file named" || { not_ok "corrupt pair (exit $rc)"; cat "$work/bad.out"; }
ctl --home "$work/client" ping "$BASE.1" >"$work/p.out" 2>&1 && grep -q "over TLSv1.2" "$work/p.out" &&
    ok "the old pair still serves new connections" || { not_ok "old pair after refusal"; cat "$work/p.out"; }
cp "$work/crt.good" "$work/n1/security/node.crt"

# --- needs a restart -------------------------------------------------------
printf '[limits]\nmax_frame = 1048576\n' >>"$work/n1/sipc.conf"
ctl --home "$work/client" reload >"$work/rs.out" 2>&1
rc=$?
[ "$rc" = 3 ] && grep -q "needs a restart, not applied: \[limits\] max_frame" "$work/rs.out" &&
    ok "a change that needs a restart is reported, not applied (exit 3)" || { not_ok "restart needed (exit $rc)"; cat "$work/rs.out"; }
cp "$work/conf.good" "$work/n1/sipc.conf"

# --- SIGHUP applies like sipcctl reload ------------------------------------
tt mode permissive >"$work/m.out" 2>&1 && grep -q "sipcctl reload" "$work/m.out" &&
    ok "without --reload the tool says how to apply it" || { not_ok "reminder"; cat "$work/m.out"; }
kill -HUP "$node_pid"
hup_applied() { datalog | grep -q "Service.Reload WARN Changed: TLS: strict -> permissive"; }
wait_for 10 hup_applied &&
    ok "SIGHUP: strict -> permissive applied and logged" || { not_ok "SIGHUP reload"; datalog | tail -5; }
wait_for 5 ctl --home "$work/plain" ping "$BASE.1" && ok "after SIGHUP a plaintext client gets in again" ||
    not_ok "plaintext after SIGHUP"

# --- back to plaintext -------------------------------------------------------
tt disable --reload >"$work/off.out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q "changed: TLS: permissive -> off" "$work/off.out" &&
    ok "tlstool disable --reload: TLS permissive -> off" || { not_ok "disable --reload (exit $rc)"; cat "$work/off.out"; }
tt status >"$work/ts.out" 2>&1
grep -q "^TLS: *disabled$" "$work/ts.out" && ok "tlstool status: 'TLS: disabled' without a mode" ||
    { not_ok "tlstool status"; cat "$work/ts.out"; }

# --- the client's puts: none failed, none lost -------------------------------
sleep 1
touch "$work/stop"
wait "$loader_pid"
loader_pid=
acked=$(wc -l <"$work/acked")
if [ ! -s "$work/loader.err" ] && [ "$acked" -ge 10 ]; then
    ok "$acked puts made across every reload, none failed"
else
    not_ok "puts failed ($acked acknowledged)"; head -20 "$work/loader.err"
fi
stored=$(ctl --home "$work/client" list --limit 100000 --json | jq 'length')
[ "$stored" = "$acked" ] && ok "every acknowledged put is stored ($stored)" || not_ok "stored $stored of $acked acknowledged"

# --- a refusal exit code from the tool -----------------------------------------
# the operator machine's home points at the node; the node's own sipc.conf is
# broken, so the node refuses
printf '[tls]\nbogus = 1\n' >>"$work/n1/sipc.conf"
"$BIN/tlstool" --home "$work/client" disable --reload >"$work/tr.out" 2>&1
rc=$?
[ "$rc" = 12 ] && grep -q "reload refused: .*sipc.conf:[0-9]*: unknown setting" "$work/tr.out" && ok "tlstool --reload exits 12 when the node refuses" ||
    { not_ok "refusal exit code (exit $rc)"; cat "$work/tr.out"; }
cp "$work/conf.good" "$work/n1/sipc.conf"

kill -TERM "$node_pid"
wait "$node_pid"
rc=$?
node_pid=
[ "$rc" = 0 ] && ok "sipcd stops cleanly after the reloads" || not_ok "sipcd exit $rc"
shtest_done
