#!/usr/bin/env bash
# test_sipc_cluster.sh - the harness itself: its command line (usage errors
# on one line, exit codes, --help, an option given twice), `up` refusing a running cluster and
# a used address block, `up --no-pair` (no pair anywhere, and `tls enable`
# saying how to make one until it is imported), a killed node seen as dead, one started by hand in
# its place as not the harness's, and a stopped one as STOPPED, a node killed
# during a rolling change named as the cause, a command waiting for the lock
# saying for what, and the cleanup a
# test depends on: `down` after a crash of the harness (cluster.json gone)
# still stops every node and deletes every namespace, found from DIR alone;
# a second `down` is harmless; a hand-started node is told by its home's
# lock, answering or stopped. Uses the library (cluster.sh) as a test would.
. "$(dirname "$0")/scenario.sh"
. "$BIN/sipc-cluster.d/cluster.sh"

node_procs() { sc_pids_naming "--home $CL/" | wc -l; }

section "the command line"
"$SC" --help >"$work/help.out" && grep -q '^usage: sipc-cluster' "$work/help.out" && ok "--help" || not_ok "--help"
for c in up status down logs kill restart partition heal load tls; do
    "$SC" "$c" --help >/dev/null 2>&1 || not_ok "$c --help"
done
ok "every command has --help"
"$SC" frobnicate >/dev/null 2>&1; rc=$?
[ "$rc" = 64 ] && ok "unknown command: exit 64" || not_ok "unknown command: exit $rc"
out=$("$SC" --bogus 2>&1); rc=$?
[ "$rc" = 64 ] && [ "$out" = "sipc-cluster: error: unknown option '--bogus' (see sipc-cluster --help)" ] &&
    ok "an option before the command: unknown option, exit 64" || not_ok "--bogus: exit $rc: $out"
"$SC" up -n 0 --dir "$CL" >/dev/null 2>&1; rc=$?
[ "$rc" = 64 ] && ok "up -n 0: exit 64" || not_ok "up -n 0: exit $rc"
"$SC" up --base 10.0.0.0 --dir "$CL" >/dev/null 2>&1; rc=$?
[ "$rc" = 64 ] && ok "up --base outside 127/8: exit 64" || not_ok "up --base 10.0.0.0: exit $rc"
# leading zeros: sipcd reads 127.03.3.1 as no address at all
out=$("$SC" up --base 127.03.3.0 --dir "$CL" 2>&1); rc=$?
[ "$rc" = 64 ] && grep -q -- "--base must be a loopback block 127.X.Y.0" <<<"$out" && [ ! -e "$CL" ] &&
    ok "up --base 127.03.3.0 (a leading zero): exit 64 at once, nothing made" || not_ok "up --base 127.03.3.0: exit $rc: $out"
# the help and the refusal give the same shape
"$SC" up --help >"$work/up-help.out"
out=$("$SC" up --base 127.0.5.1 --dir "$CL" 2>&1)
shape=$(grep -o "127\.X\.Y\.0" <<<"$out")
[ -n "$shape" ] && grep -q -- "--base $shape\]" "$work/up-help.out" && grep -q -- "^  --base $shape " "$work/up-help.out" &&
    ! grep -q "127\.0\.N" "$work/up-help.out" &&
    ok "up --help shows --base in the shape its refusal names ($shape)" || not_ok "up --base: refusal '$out', help: $(grep -- --base "$work/up-help.out")"
# an option of one value given twice: 64, one line naming --help, before
# the cluster is looked for (there is none here); flags may repeat. (The
# last value of each `up` is refused on its own: were the last taken, no
# cluster would start, in this block or another.)
bad=""
while read -r opt hint cmdline; do
    [ "$hint" = - ] && hint="" || hint="$hint "
    # shellcheck disable=SC2086
    out=$("$SC" $cmdline 2>&1); rc=$?
    [ "$rc" = 64 ] && [ "$(wc -l <<<"$out")" = 1 ] &&
        grep -q "^sipc-cluster: error: $opt given twice ('[^']*', then '[^']*'): give it once (see sipc-cluster $hint--help)$" <<<"$out" ||
        bad="$bad [$cmdline: exit $rc: $(head -n1 <<<"$out")]"
done <<LIST
--dir - --dir $CL status --dir $CL.b
--dir - --dir=$CL --dir $CL.b status
-n up --dir $CL up --base $NET.0 -n 3 -n 0
--tls up --dir $CL up --base $NET.0 --tls off --tls=bogus
--base up --dir $CL up --base $NET.0 --base 10.0.0.0
--name up --dir $CL up --base $NET.0 --name a --name b/c
--signal kill --dir $CL kill n1 --signal KILL --signal=TERM
--service logs --dir $CL logs n1 --service data --tail 3 --service=search
--tail logs --dir $CL logs n1 --tail 3 --tail=4
--password-file tls --dir $CL tls rotate --rolling new.pfx --password-file a --password-file b
LIST
[ -z "$bad" ] && ok "an option given twice (--dir, up -n/--tls/--base/--name, kill --signal, logs --service/--tail, tls --password-file): exit 64, one line naming --help" ||
    not_ok "options given twice:$bad"
# the same option under two spellings is named as typed
out=$("$SC" --dir "$CL" up --base "$NET.0" --nodes=3 --tls off -n 0 2>&1); rc=$?
[ "$rc" = 64 ] && [ "$(wc -l <<<"$out")" = 1 ] &&
    grep -q "^sipc-cluster: error: --nodes and -n given together ('3', then '0'): give it once (see sipc-cluster up --help)$" <<<"$out" &&
    ok "--nodes=3 then -n 0: exit 64, names --nodes and -n as typed" || not_ok "--nodes=3 -n 0: exit $rc: $out"
out=$("$SC" --dir "$CL" kill n1 --signal KILL -s TERM 2>&1); rc=$?
[ "$rc" = 64 ] && grep -q "^sipc-cluster: error: --signal and -s given together ('KILL', then 'TERM'): give it once (see sipc-cluster kill --help)$" <<<"$out" &&
    ok "kill --signal KILL -s TERM: names --signal and -s" || not_ok "--signal -s: exit $rc: $out"
"$SC" --dir "$CL" load start --rate 1 --rate 2 >"$work/load.out" 2>&1; rc=$?
[ "$rc" = 64 ] && grep -q "^sipc-load: --rate given twice" "$work/load.out" &&
    ok "load start --rate twice: exit 64 (sipc-load's own check)" || not_ok "load --rate twice: exit $rc $(cat "$work/load.out")"
out=$("$SC" --dir "$CL" status --json --json 2>&1); rc=$?
[ "$rc" = 78 ] && ok "a flag given twice (status --json --json) is no usage error" || not_ok "status --json --json: exit $rc $out"
: >"$work/plainfile"
out=$("$SC" --dir "$work/plainfile" status 2>&1); rc=$?
[ "$rc" = 64 ] && grep -q "is a file, not a cluster's folder" <<<"$out" &&
    ok "--dir naming a file (the program itself, from the build folder): exit 64, said so" ||
    not_ok "--dir naming a file: exit $rc"
# asking for help needs no DIR: from the build folder, where the default
# DIR is the program itself, --help prints the help only, exit 0
for h in --help "status --help"; do
    # shellcheck disable=SC2086
    out=$(cd "$BIN" && ./sipc-cluster $h 2>&1); rc=$?
    [ "$rc" = 0 ] && [ "$(head -n1 <<<"$out" | cut -c1-19)" = "usage: sipc-cluster" ] && ! grep -q '^sipc-cluster: error' <<<"$out" ||
        not_ok "./sipc-cluster $h from the build folder: exit $rc: $(head -n1 <<<"$out")"
done
ok "./sipc-cluster --help (and status --help) from the build folder: help only, exit 0"
cluster status >/dev/null 2>&1; rc=$?
[ "$rc" = 78 ] && ok "status without a cluster: exit 78" || not_ok "status without a cluster: exit $rc"
# every other usage error: one line naming the command's --help (not the
# whole help), exit 64, before the cluster is looked for (there is none here)
bad=""
while read -r hint cmdline; do
    [ "$hint" = - ] && hint="" || hint="$hint "
    # shellcheck disable=SC2086
    out=$(cluster $cmdline 2>&1); rc=$?
    [ "$rc" = 64 ] && [ "$(wc -l <<<"$out")" = 1 ] &&
        grep -q "^sipc-cluster: error: .* (see sipc-cluster $hint--help)$" <<<"$out" || bad="$bad [$cmdline: exit $rc: $(head -n2 <<<"$out")]"
done <<'LIST'
- frobnicate
- -x
up up -n 0
up up --bogus
up up --tls maybe
down down --keep --x
status status extra
logs logs
logs logs n1 n2
logs logs n1 --tail x
logs logs n1 --service disk
kill kill
kill kill n1 --signal HUP
restart restart
restart restart n1 --x
partition partition
partition partition --x
heal heal n1
load load
load load bogus
tls tls
tls tls enable
tls tls rotate --rolling
tls tls enable --rolling x
LIST
[ -z "$bad" ] && ok "usage errors of every command (unknown command or option, NODE missing, a bad value): exit 64, one line '... (see sipc-cluster CMD --help)'" ||
    not_ok "usage errors not on one line:$bad"
out=$("$SC" --dir "$CL" 2>&1); rc=$?
[ "$rc" = 64 ] && [ "$out" = "sipc-cluster: error: which command? (see sipc-cluster --help)" ] &&
    ok "no command: exit 64, one line" || not_ok "no command: exit $rc: $(head -n2 <<<"$out")"
# an option without its value: 64 and sipc-cluster's own message, checked
# before the cluster is looked for (there is none here)
bad=""
while read -r opt cmdline; do
    # shellcheck disable=SC2086
    out=$(cluster $cmdline 2>&1); rc=$?
    [ "$rc" = 64 ] && [ "$(wc -l <<<"$out")" = 1 ] &&
        grep -q "^sipc-cluster: error: $opt needs a value (see sipc-cluster [a-z ]*--help)$" <<<"$out" || bad="$bad [$cmdline: exit $rc: $(head -n2 <<<"$out")]"
done <<'LIST'
-n up -n
--nodes up --nodes
--tls up --tls
--base up -n 2 --base
--name up --name
--signal kill n1 --signal
--service logs n1 --service
--service logs n1 --service --tail 5
--tail logs n1 --tail
--password-file tls rotate --rolling new.pfx --password-file
--dir status --dir
LIST
[ -z "$bad" ] && ok "an option without its value (up -n, logs --tail, kill --signal, ... --dir): exit 64, one line 'OPTION needs a value (see ... --help)'" ||
    not_ok "options without a value:$bad"
# load's options are sipc-load's: its message, and before the cluster too
bad=""
while read -r opt cmdline; do
    # shellcheck disable=SC2086
    out=$(cluster $cmdline 2>&1); rc=$?
    [ "$rc" = 64 ] && grep -q "^sipc-load: $opt needs a value" <<<"$out" || bad="$bad [$cmdline: exit $rc]"
done <<'LIST'
--rate load start --rate
--rate load start --rate --duration 5
--timeout load stop --timeout
LIST
[ -z "$bad" ] && ok "load start --rate (and others) without a value: exit 64, 'OPTION needs a value', not 'no cluster'" ||
    not_ok "load options without a value:$bad"
# a "--" among load's arguments keeps its meaning: no cluster is the error
"$SC" --dir "$CL" load start -- >"$work/load.out" 2>&1; rc=$?
[ "$rc" = 78 ] && grep -q "no cluster at" "$work/load.out" &&
    ok "load start -- without a cluster: exit 78, no cluster" || not_ok "load start --: exit $rc $(cat "$work/load.out")"
"$SC" --dir "$CL" load >"$work/load.out" 2>&1; rc=$?
[ "$rc" = 64 ] && grep -q "^sipc-cluster: error: load needs start, stop or report" "$work/load.out" &&
    ok "load without a subcommand: exit 64, like tls" || not_ok "load without a subcommand: exit $rc"

section "up, faults, refusals"
out=$("$SC" up --no-pair --tls strict --dir "$CL" 2>&1); rc=$?
[ "$rc" = 64 ] && grep -q "^sipc-cluster: error: --no-pair makes a cluster without TLS: --tls strict needs a pair (see sipc-cluster up --help)$" <<<"$out" &&
    grep -q -- "--no-pair" "$work/up-help.out" &&
    ok "up --no-pair --tls strict: exit 64; --no-pair in up --help" || not_ok "up --no-pair --tls strict: exit $rc: $out"
# the operator procedure's start: a plaintext cluster without certificates
# (its tlstool one that a test can hold at a step: held_tools)
held_tools "$work/bin" || { not_ok "held_tools"; exit 1; }
SIPC_BIN=$work/bin cluster up -n 2 --no-pair --base "$NET.0" >"$work/up.out" 2>&1 && ok "up -n 2 --no-pair" || { not_ok "up"; cat "$work/up.out"; exit 1; }
grep -q "^pair: none (--no-pair)" "$work/up.out" && grep -q "^n2 .*TLS disabled .*healthy$" "$work/up.out" &&
    [ -z "$(ls "$CL"/nodes/n*/security/node.crt "$CL/client/security/node.crt" "$CL/cluster.pfx" 2>/dev/null)" ] &&
    jq -e '.fingerprint == null' "$CL/cluster.json" >/dev/null &&
    ok "up --no-pair: TLS off, no pair on the nodes, in the client home or at DIR/cluster.pfx" || { not_ok "up --no-pair"; cat "$work/up.out"; }
out=$(cluster tls enable --rolling 2>&1); rc=$?
[ "$rc" = 78 ] && grep -q "^sipc-cluster: error: no key pair in n1, n2, the client home (up --no-pair makes none): nothing was changed; .*tlstool create -site $CL/cluster.pfx --password-file $CL/password; tlstool --home HOME import $CL/cluster.pfx --password-file $CL/password for each HOME of: $CL/nodes/n1 $CL/nodes/n2 $CL/client; then run the same command again$" <<<"$out" &&
    ! grep -q "enable = 1" "$CL"/nodes/n*/sipc.conf &&
    ok "tls enable --rolling without a pair: exit 78, names the homes and the commands, nothing changed" || not_ok "tls enable without a pair: exit $rc: $out"
# as it says: the pair made and imported by hand (the rolling enable below
# needs it)
paired=1
"$BIN/tlstool" create -site "$CL/cluster.pfx" --password-file "$CL/password" >/dev/null || paired=0
for h in "$CL"/nodes/n1 "$CL"/nodes/n2 "$CL"/client; do
    "$BIN/tlstool" --home "$h" import "$CL/cluster.pfx" --password-file "$CL/password" >/dev/null || paired=0
done
[ $paired = 1 ] || { not_ok "the pair created and imported by hand"; exit 1; }
[ "$(stat -c %a "$CL/password")" = 600 ] && [ "$(stat -c %a "$CL")" = 700 ] && ! grep -rqs "$(cat "$CL/password")" "$CL/nodes"/*/logs "$CL/nodes"/*/sipcd.out "$work/up.out" &&
    ok "the password: 0600 in a 0700 folder, in no log or output" || not_ok "password file or leak"
jq -e '.version == 1 and (.nodes | length) == 2 and .nodes[0].ports.management == 23002 and (.client_home | startswith("/"))' "$CL/cluster.json" >/dev/null &&
    ok "cluster.json has the agreed keys" || not_ok "cluster.json"
cluster up -n 2 --base "$NET.0" >"$work/up2.out" 2>&1; rc=$?
[ "$rc" = 78 ] && grep -q "already up" "$work/up2.out" && ok "up again while it runs: exit 78, 'already up'" || not_ok "second up: exit $rc"
"$SC" up -n 2 --base "$NET.0" --dir "$work/other" >"$work/up3.out" 2>&1; rc=$?
[ "$rc" = 78 ] && grep -q "in use" "$work/up3.out" && [ ! -e "$work/other" ] &&
    ok "another cluster on the same block: exit 78, address in use, the folder it made removed again" ||
    not_ok "same block: exit $rc, $(ls -A "$work/other" 2>&1)"
cluster kill n2 >/dev/null && cluster status >"$work/st.out" 2>&1; rc=$?
[ "$rc" = 69 ] && grep -q '^n2 .* dead *unreachable' "$work/st.out" && ok "a killed node: 'dead', unreachable, exit 69" || { not_ok "status after kill: exit $rc"; cat "$work/st.out"; }
# --json exits as the text does, with the verdict, its reason and the
# harness's view of each node
cluster status --json >"$work/st.json" 2>"$work/st.err"; rc=$?
if [ "$rc" = 69 ] && jq -e --arg last "$(tail -n1 "$work/st.out")" '.cluster == {verdict: "unreachable", exit: 69, reason: $last}
        and (.nodes[1].harness | .name == "n2" and .state == "dead" and .alive == false and .health == "unreachable"
             and (.error | test("connection refused.*sipc-cluster restart n2")) and .partitioned == false
             and (.pid | type) == "number")
        and .nodes[1].status == null
        and (.nodes[0].harness | .state == "running" and .health == "degraded" and .error == null)
        and .nodes[0].status.node.id == "n1"' "$work/st.json" >/dev/null; then
    ok "status --json with n2 dead: exit 69, verdict unreachable with the text's last line, n2 dead and why"
else
    not_ok "status --json with n2 dead: exit $rc"; cat "$work/st.json" "$work/st.err"
fi
# a node started outside the harness on n2's home: it answers, and the pid
# the harness recorded is dead; status says which process answers
old_pid=$(jq -r '.nodes[] | select(.name == "n2") | .pid' "$CL/cluster.json")
"$BIN/sipcd" --home "$(node_home n2)" >>"$(node_home n2)/sipcd.out" 2>&1 </dev/null &
by_hand=$!
outside() { cluster status >"$work/st.out" 2>&1; grep -q "^n2 .* pid $by_hand answers, not started by sipc-cluster (its pid $old_pid exited) *TLS disabled .* healthy$" "$work/st.out"; }
wait_for 30 outside && ! grep -q "^n2 .*dead" "$work/st.out" &&
    ok "a node started by hand on n2's home: 'pid $by_hand answers, not started by sipc-cluster (its pid $old_pid exited)', not 'dead' beside 'healthy'" ||
    { not_ok "status of a node started outside the harness"; cat "$work/st.out"; }
# its longer process column widens that column for every line: the TLS
# column starts at one place on n1's line and n2's
col() { grep "^$1 " "$work/st.out" | grep -bo ' TLS ' | head -n1 | cut -d: -f1; }
[ -n "$(col n1)" ] && [ "$(col n1)" = "$(col n2)" ] && ok "the columns stay aligned beside the hand-started node" ||
    { not_ok "status columns not aligned"; cat "$work/st.out"; }
# kill and restart cannot reach it: they name its pid and what to do, and
# restart starts no second sipcd on that live home
msg="^sipc-cluster: error: n2 runs as pid $by_hand, which sipc-cluster did not start: stop it yourself (kill $by_hand), then sipc-cluster restart n2$"
out=$(cluster kill n2 2>&1); rc=$?
[ "$rc" = 78 ] && grep -q "$msg" <<<"$out" && kill -0 "$by_hand" &&
    ok "kill of the hand-started n2: exit 78, names pid $by_hand and what to do" || not_ok "kill of a hand-started node: exit $rc: $out"
starts=$(grep -c 'sipc-cluster starts sipcd' "$(node_home n2)/sipcd.out")
out=$(cluster restart n2 2>&1); rc=$?
[ "$rc" = 78 ] && grep -q "$msg" <<<"$out" && kill -0 "$by_hand" &&
    [ "$(grep -c 'sipc-cluster starts sipcd' "$(node_home n2)/sipcd.out")" = "$starts" ] &&
    ok "restart of the hand-started n2: exit 78, the same line, no second sipcd started" || not_ok "restart of a hand-started node: exit $rc: $out"
# stopped, it answers nothing, but it still holds n2's home lock: status
# names it, and restart still refuses
kill -STOP "$by_hand"
cluster status >"$work/st.out" 2>&1
grep -q "^n2 .* pid $by_hand runs, not started by sipc-cluster (its pid $old_pid exited) *unreachable" "$work/st.out" &&
    ok "the hand-started n2 stopped: status names pid $by_hand from its home's lock, unreachable" ||
    { not_ok "status of a stopped hand-started node"; cat "$work/st.out"; }
out=$(cluster restart n2 2>&1); rc=$?
[ "$rc" = 78 ] && grep -q "$msg" <<<"$out" &&
    [ "$(grep -c 'sipc-cluster starts sipcd' "$(node_home n2)/sipcd.out")" = "$starts" ] &&
    ok "restart of the stopped hand-started n2: exit 78, no second sipcd started" || not_ok "restart of a stopped hand-started node: exit $rc: $out"
kill -CONT "$by_hand"
kill -TERM "$by_hand"; wait "$by_hand"
# (n1's link to n2 redials after its backoff)
cluster restart n2 >/dev/null && wait_for 30 cluster status && ok "restart: every node healthy again" || not_ok "restart"
# a rolling rotation stopped before any node committed (interrupted while
# it staged): every node still presents the cluster's pair, but cluster.json
# records the rotation, and status says so (not well, 1), --json alike
(sc_open "$CL" && sc_update '.rotating = "0123456789abcdef0123456789abcdef"')
cluster status >"$work/st.out" 2>&1; rc=$?
cluster status --json >"$work/st.json" 2>&1; rc2=$?
if [ "$rc" = 1 ] && [ "$rc2" = 1 ] &&
    tail -n1 "$work/st.out" | grep -q "; a rolling rotation to sha256 0123456789abcdef... stopped midway, before any node presents the new pair (cluster.json's rotating): run it again, it skips the nodes already done$" &&
    jq -e '.cluster.verdict == "not_well" and .cluster.exit == 1 and (.cluster.reason | test("stopped midway"))' "$work/st.json" >/dev/null; then
    ok "a rolling rotation stopped before any commit: status exit 1 naming it (--json: not_well)"
else
    not_ok "status with an interrupted rotation: exit $rc, --json $rc2"; cat "$work/st.out"
fi
(sc_open "$CL" && sc_update 'del(.rotating)')

section "a node dies during a rolling change; a command waits for the lock"
# n2 SIGKILLed as n1's step starts: the change stops naming n2 (dead) and
# n1's links to it, not n1 "not healthy". The change is held before n1's
# tlstool runs (its checks that every node runs already passed) until n2 is
# gone and n1 has seen its links to n2 go down: on a loaded machine, a kill
# sent at the "step 1: n1" line could land anywhere up to n2's own step.
n2pid=$(jq -r '.nodes[] | select(.name == "n2") | .pid' "$CL/cluster.json")
hold_step "$work/bin" "*/nodes/n1 enable *"
cluster tls enable --rolling >"$work/roll.out" 2>&1 &
roll=$!
wait_for 30 test -e "$work/bin/held" || not_ok "the rolling enable did not reach n1's tlstool"
kill -KILL "$n2pid"
n1_lost_n2() { ! sc_pid_is "$n2pid" && [ "$(sc_open "$CL" && SC_BIN=$BIN && sc_node_down_peers n1)" = n2 ]; }
wait_for 10 n1_lost_n2 || not_ok "n1 does not see its links to n2 down after the kill"
release_step "$work/bin"
wait "$roll"; rc=$?
err=$(grep '^sipc-cluster: error: ' "$work/roll.out")
if [ "$rc" = 69 ] && [ "$err" = "sipc-cluster: error: stopped after n1: n2 is not running (pid $n2pid exited); n1 runs permissive but its links to n2 are down (sipc-cluster restart n2, then run the same command again: it skips the nodes already done)" ]; then
    ok "n2 killed as n1's step starts: exit 69, '${err#sipc-cluster: error: }'"
else
    not_ok "rolling enable with n2 killed as n1's step starts: exit $rc"; cat "$work/roll.out"
fi
# a command that needs DIR/.lock while another holds it says what it waits
# for, and runs once it is released: the holder lets go only when the line
# is there (a fixed hold could end before a slow start of the command), and
# writes the time it does so, before which the command cannot have ended
waiting_said() { grep -q "^sipc-cluster: waiting" "$work/wait.out"; }
# shellcheck disable=SC2034 # (read by sc_lock)
(SC_CMDLINE="sipc-cluster held-by-the-test" && sc_open "$CL" && sc_lock && wait_for 30 waiting_said; date +%s%3N >"$work/released") &
holder=$!
wait_for 5 grep -q "held-by-the-test" "$CL/.lock"
cluster kill n1 --signal CONT >"$work/wait.out" 2>&1; rc=$?
t1=$(date +%s%3N)
if [ "$rc" = 0 ] && [ -s "$work/released" ] && [ "$t1" -ge "$(cat "$work/released")" ] &&
    grep -q "^sipc-cluster: waiting (at most 120 s) for $CL/.lock, held by 'sipc-cluster held-by-the-test' (pid [0-9]*, since " "$work/wait.out"; then
    ok "kill while the lock is held: it says it waits for 'sipc-cluster held-by-the-test' (pid), then runs once released"
else
    not_ok "waiting for the lock: exit $rc"; cat "$work/wait.out"
fi
wait "$holder"
cluster restart n2 >/dev/null && ok "n2 restarted after the stopped rolling change" || not_ok "restart n2"

cluster kill n1 --signal STOP >/dev/null && cluster status >"$work/st.out" 2>&1
grep -q '^n1 .*STOPPED (SIGSTOP)' "$work/st.out" && ok "a stopped node: STOPPED (SIGSTOP)" || not_ok "status of a stopped node"
cluster status --json >"$work/st.json" 2>&1; rc=$?
[ "$rc" = 69 ] && jq -e '.nodes[0].harness | .state == "stopped" and .alive == true and .health == "unreachable" and (.error | test("kill n1 --signal CONT"))' "$work/st.json" >/dev/null &&
    ok "status --json of a stopped node: exit 69, state stopped" || { not_ok "status --json of a stopped node: exit $rc"; cat "$work/st.json"; }
cluster partition n1 >/dev/null 2>&1; rc=$?
[ "$rc" = 78 ] && ok "partition on loopback: exit 78 (needs --netns)" || not_ok "partition on loopback: exit $rc"

section "down after a crash of the harness"
[ "$(node_procs)" = 2 ] || not_ok "expected 2 node processes, found $(node_procs)"
# a sipcd on a home under DIR/nodes given by SIPC_HOME: no --home on its
# command line, only its home's lock tells it
mkdir -p -m 700 "$CL/nodes/extra"
printf '[node]\nid = extra\naddress = %s.9\n[cluster]\nname = extra\nnodes = %s.9\n' "$NET" "$NET" >"$CL/nodes/extra/sipc.conf"
SIPC_HOME=$CL/nodes/extra "$BIN/sipcd" >"$work/extra.out" 2>&1 </dev/null &
extra=$!
wait_for 10 sc_home_lock_pid "$CL/nodes/extra" || not_ok "the SIPC_HOME sipcd did not take its home's lock"
rm -f "$CL/cluster.json"
cluster down >"$work/down.out" 2>&1 && grep -q "leftovers" "$work/down.out" && [ "$(node_procs)" = 0 ] &&
    ok "without cluster.json, down finds and stops both nodes (one of them SIGSTOPped)" || { not_ok "down after a crash"; cat "$work/down.out"; }
if sc_pid_is "$extra"; then
    not_ok "down left the sipcd given its home by SIPC_HOME (pid $extra)"
    kill -KILL "$extra"
else
    ok "down also stops a sipcd holding a home's lock under DIR/nodes that names no --home"
fi
wait "$extra" 2>/dev/null
[ ! -e "$CL" ] && ok "down removed the folder" || not_ok "folder left: $(ls "$CL")"
cluster down >/dev/null 2>&1 && ok "down again: harmless" || not_ok "second down"

if why=$(sc_netns_unavailable); then
    echo "# --netns part skipped: $why"
else
    cluster up -n 2 --netns --base "$NET.0" >"$work/up.out" 2>&1 && ok "up -n 2 --netns" || { not_ok "up --netns"; cat "$work/up.out"; }
    prefix=$(sc_ns_prefix "$CL")
    [ "$(sc_netns_list "$prefix" | wc -l)" = 4 ] && ok "4 namespaces (bridge, client, 2 nodes)" || not_ok "namespaces: $(sc_netns_list "$prefix")"
    cluster partition n2 >/dev/null && ok "partition n2" || not_ok "partition"
    # a second partition would heal n2 without a word: refused
    out=$(cluster partition n1 2>&1); rc=$?
    [ "$rc" = 78 ] && grep -q "n2 is already cut off: a partition isolates one group of nodes; heal first (sipc-cluster heal), or name the whole group (sipc-cluster partition n2 n1)" <<<"$out" &&
        [ "$(jq -c .partition "$CL/cluster.json")" = '["n2"]' ] &&
        ok "partition n1 while n2 is cut off: refused (78), n2 still cut off" || not_ok "second partition: exit $rc: $out"
    cluster status --json >"$work/st.json" 2>&1
    jq -e '.nodes[1].harness | .partitioned == true and (.error | test("cut off by sipc-cluster partition"))' "$work/st.json" >/dev/null &&
        ok "status names n2 cut off by the harness's own partition" || { not_ok "status of a partitioned node"; cat "$work/st.json"; }
    rm -f "$CL/cluster.json"
    cluster down >/dev/null 2>&1
    [ "$(sc_netns_list "$prefix" | wc -l)" = 0 ] && [ "$(node_procs)" = 0 ] &&
        ok "without cluster.json, down deletes every namespace (rules and veths with them) and stops the nodes" ||
        not_ok "left after down: $(sc_netns_list "$prefix") $(node_procs) processes"
fi
