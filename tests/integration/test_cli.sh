#!/usr/bin/env bash
# test_cli.sh - what an operator at a shell sees from sipcd and sipcctl:
# --help, --version, one clear line and a meaningful exit code per failure,
# and the data service log saying which mode is in effect.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init cli
start() { # home -> sets port
    sipcd_start "$1" || return 1
    port=$(sipcd_port "$1")
}

run "$BIN/sipcd" --help
expect "sipcd --help" 0 "Usage: sipcd"
run "$BIN/sipcd" --version
expect "sipcd --version names wolfSSL and CPU" 0 "wolfSSL 5\.5\.4.*CPU"
run "$BIN/sipcctl" search --help
# what matches every record is the empty QUERY (''); a literal "" is an FTS5
# phrase of no words, which matches none, as a script typing it finds out
if [ "$RC" = 0 ] && grep -qF "An empty QUERY ('') matches every record" "$OUT" &&
    ! grep -qF '; "" matches every record' "$OUT"; then
    ok "sipcctl search --help: the empty QUERY ('') matches every record, \"\" none"
else
    bad "sipcctl search --help on what matches every record (exit $RC)"
fi
# a mistaken option: one line naming --help, not the whole help burying it,
# before a command as after one
one_line() { # NAME WANT REGEX: exit WANT and one line matching REGEX
    if [ "$RC" = "$2" ] && [ "$(wc -l <"$OUT")" = 1 ] && grep -Eq -- "$3" "$OUT"; then ok "$1"; else bad "$1 (exit $RC)"; fi
}
run "$BIN/sipcd" --bogus
one_line "sipcd bad option: one line" 64 "^sipcd: unknown option '--bogus' \(see sipcd --help\)$"
run "$BIN/sipcd" --home
one_line "sipcd --home without a value: one line" 64 "^sipcd: --home needs a value \(see sipcd --help\)$"
run "$BIN/sipcctl" --home
one_line "sipcctl --home without a value: one line" 64 "^sipcctl: --home needs a value \(see sipcctl --help\)$"
# an option-like word in a value's place is the value missing, whatever its
# letter (-j is sipcctl's --json, -x no option); --home=-x takes it
run "$BIN/sipcctl" --home -j status
one_line "sipcctl --home -j: the value is missing" 64 "^sipcctl: --home needs a value \(see sipcctl --help\)$"
run "$BIN/sipcctl" --home -x status
one_line "sipcctl --home -x: the value is missing, and how to give it" 64 "^sipcctl: --home needs a value: '-x' reads as an option \(to give it as the value, write --home=-x\)"
run "$BIN/sipcctl" --home=-x status
expect "sipcctl --home=-x: taken as the home" 78 "node home -x does not exist"
# an empty value ("$UNSET") is a mistake, never the default home or node
run "$BIN/sipcctl" --home= status
one_line "sipcctl --home=: empty, refused" 64 "^sipcctl: --home needs a value: it is empty$"
run "$BIN/sipcctl" -H "" status
one_line "sipcctl -H '': empty, refused, named -H as typed" 64 "^sipcctl: -H needs a value: it is empty$"
run "$BIN/sipcctl" ping --node ""
one_line "sipcctl --node '': empty, refused" 64 "^sipcctl: --node needs a value: it is empty$"
run "$BIN/sipcctl" ingest - --to=
one_line "sipcctl ingest --to=: empty, refused" 64 "^sipcctl: --to needs a value: it is empty$"
run "$BIN/tlstool" --home= status
one_line "tlstool --home=: empty, refused" 64 "^tlstool: error: --home needs a value: it is empty$"
run "$BIN/tlstool" trust export --out ""
one_line "tlstool --out '': empty, refused" 64 "^tlstool: error: --out needs a value: it is empty$"
run "$BIN/sipcd" --home=
one_line "sipcd --home=: empty, refused" 64 "^sipcd: --home needs a value: it is empty$"
run "$BIN/tlstool" --home -j status
one_line "tlstool --home -j: the value is missing (usage: 64, as every program)" 64 "^tlstool: error: --home needs a value: '-j' reads as an option"
run "$BIN/tlstool" status --home -x
one_line "tlstool status --home -x: the value is missing" 64 "^tlstool: error: --home needs a value: '-x' reads as an option .*\(see tlstool status --help\)$"
# an option of one value given twice is a mistake, not "the last one wins",
# in every tool alike (a repeatable one, --attr, is a list)
run "$BIN/sipcctl" --home "$work" status --cluster --node 127.0.73.1:1 --expect-mode=strict --expect-mode=permissive
one_line "sipcctl --expect-mode twice: one line, 64" 64 "^sipcctl: --expect-mode given twice \('strict', then 'permissive'\): give it once \(see sipcctl status --help\)$"
run "$BIN/sipcctl" --timeout 100 ping --node 127.0.73.1:1 -t 200
one_line "sipcctl --timeout and -t: given twice" 64 "^sipcctl: --timeout given twice \('100', then '200'\): give it once \(see sipcctl ping --help\)$"
run "$BIN/tlstool" --home "$work/a" --home "$work/b" status
one_line "tlstool --home twice: one line (usage: 64, as every program)" 64 "^tlstool: error: --home given twice \('$work/a', then '$work/b'\): give it once \(see tlstool --help\)$"
printf 'Pw-File-Line-1\n' > "$work/pw"
run "$BIN/tlstool" --home "$work/a" import "$work/none.pfx" Pw-Argument-1 --password-file "$work/pw"
one_line "tlstool import PASSWORD --password-file: one line (usage: 64, as every program)" 64 "^tlstool: error: import: give the password one way: PASSWORD, --password-file or --password-stdin \(see tlstool import --help\)$"
run "$BIN/tlstool" --home "$work/a" import "$work/none.pfx" --password-file "$work/pw" --password-stdin
one_line "tlstool import --password-file --password-stdin: one line" 64 "give the password one way"
# an argument too many is named by its position, not taken for a missing one;
# tlstool never echoes it: a word in the wrong place may be a password
run "$BIN/tlstool" --home "$work/a" import "$work/none.pfx" pw Extra-Word-1
one_line "tlstool import FILE PASSWORD extra: its position named" 64 "^tlstool: error: unexpected third argument to import \(see tlstool import --help\)$"
run "$BIN/tlstool" --home "$work" trust add a b
one_line "tlstool trust add FILE extra: named with the sub-command" 64 "^tlstool: error: unexpected second argument to trust add \(see tlstool trust --help\)$"
run "$BIN/tlstool" --home "$work" status x
one_line "tlstool status x: named" 64 "^tlstool: error: unexpected first argument to status \(see tlstool status --help\)$"
run "$BIN/tlstool" --home "$work" verify "$work/x.pfx" Secret-Pw-Verify-7
one_line "tlstool verify FILE PASSWORD: the position, not the password" 64 "^tlstool: error: unexpected second argument to verify \(see tlstool verify --help\)$"
grep -q "Secret-Pw-Verify-7" "$OUT" && bad "tlstool verify echoed the password-like argument"
run "$BIN/tlstool" --home "$work" rotate stage "$work/new.pfx" Secret-Pw-Stage-7 extra
one_line "tlstool rotate stage FILE PASSWORD extra: the position, not the password" 64 "^tlstool: error: unexpected second argument to rotate stage \(see tlstool rotate --help\)$"
grep -q "Secret-Pw-Stage-7" "$OUT" && bad "tlstool rotate stage echoed the password-like argument"
run "$BIN/tlstool" --home "$work/a" import
one_line "tlstool import without FILE: still said as missing, naming import's help" 64 "^tlstool: error: import needs FILE: tlstool import FILE \(see tlstool import --help\)$"
run "$BIN/tlstool" --home "$work/a" create -site
one_line "tlstool create -site without FILE: naming create's help" 64 "^tlstool: error: create needs FILE: tlstool create -site FILE \(see tlstool create --help\)$"
mkdir -p "$work/rot" # rotate works on an existing home: the missing FILE is what is said
run "$BIN/tlstool" --home "$work/rot" rotate stage
one_line "tlstool rotate stage without FILE: naming rotate's help" 64 "^tlstool: error: stage needs FILE: tlstool rotate stage FILE.pfx \(see tlstool rotate --help\)$"
run "$BIN/tlstool" --help
expect "tlstool --help names -H" 0 "-H, --home DIR"
# what --help gives is what the commands accept: list's --limit maximum,
# import's --force, status --cluster's wait loop stopping on 64 and 78 (a
# plain `until ...; do sleep 10; done` waits forever on them), up's --name
run "$BIN/sipcctl" list --help
expect "sipcctl list --help gives the --limit maximum" 0 "--limit N .*at most 1000000"
run "$BIN/tlstool" import --help
expect "tlstool import --help: --force, exit 7, tlstool rotate" 0 "^ +--force +with TLS enabled, replace the node's pair" "exit 7" "tlstool rotate"
run "$BIN/sipcctl" status --help
expect "sipcctl status --help: the wait loop stops on 64 and 78" 0 "^ +until sipcctl status --cluster --expect-mode permissive; do rc=\\\$\\?$" \
    "^ +case \\\$rc in 64\\|78\\) exit \\\$rc;; esac; sleep 10; done$"
run "$BIN/sipc-cluster" --help
expect "sipc-cluster --help: up's usage names --name" 0 "^  up \\[-n N\\] .*\\[--name NAME\\]"
# -n has a default (3): the tool's help, up's own and docs/testing.md say it is optional alike
run "$BIN/sipc-cluster" up --help
expect "sipc-cluster up --help: -n optional, 3 by default" 0 "^usage: sipc-cluster up \\[-n N\\] " "number of nodes, 1 to 32 \\(default 3\\)"
testing_md=$(dirname "$0")/../../docs/testing.md
if grep -q '^sipc-cluster up \[-n N\] \[--tls' "$testing_md" && ! grep -q '^sipc-cluster up -n' "$testing_md"; then
    ok "docs/testing.md: up [-n N], as the help says"
else
    not_ok "docs/testing.md's commands: $(grep '^sipc-cluster up' "$testing_md")"
fi
# --base: the help, docs/testing.md and the refusal name the block alike
run "$BIN/sipc-cluster" --dir "$work/nc" up --base 10.0.0.0
one_line "sipc-cluster up --base 10.0.0.0: refused, 64" 64 "^sipc-cluster: error: --base must be a loopback block 127\.X\.Y\.0 \(see sipc-cluster up --help\)$"
base_form=$(sed -n 's/.*--base must be a loopback block \(127[^ ]*\) .*/\1/p' "$OUT")
"$BIN/sipc-cluster" up --help >"$work/uphelp.txt"
if [ -n "$base_form" ] && grep -qF -- "--base $base_form" "$work/uphelp.txt" &&
    grep -qF -- "[--base $base_form]" "$testing_md" && ! grep -Eq -- "--base 127\.0\.N" "$testing_md" "$work/uphelp.txt"; then
    ok "sipc-cluster --base: help, docs and refusal all say $base_form"
else
    not_ok "sipc-cluster --base: the refusal says '$base_form'; help: $(grep -o -- '--base [^ ]*' "$work/uphelp.txt" | head -1)"
fi
# the command line is judged before DIR: from a folder where ./sipc-cluster
# is a file (the build folder), a mistaken option is named as one
mkdir -p "$work/bf" && : >"$work/bf/sipc-cluster"
run sh -c "cd '$work/bf' && '$BIN/sipc-cluster' --bogus"
one_line "sipc-cluster --bogus beside a file named sipc-cluster: an unknown option" 64 "^sipc-cluster: error: unknown option '--bogus' \(see sipc-cluster --help\)$"
run sh -c "cd '$work/bf' && '$BIN/sipc-cluster' up --bogus"
one_line "sipc-cluster up --bogus there: up's unknown option" 64 "^sipc-cluster: error: unknown option '--bogus' \(see sipc-cluster up --help\)$"
run sh -c "cd '$work/bf' && '$BIN/sipc-cluster' up --base 10.0.0.0"
one_line "sipc-cluster up --base 10.0.0.0 there: the --base refusal" 64 "^sipc-cluster: error: --base must be"
run sh -c "cd '$work/bf' && '$BIN/sipc-cluster' status"
one_line "sipc-cluster status there: then DIR is named" 64 "^sipc-cluster: error: DIR \./sipc-cluster is a file"
# a run folder without a run is not a usage mistake: 78 for report as for
# start, as the help says
mkdir -p "$work/norun"
run "$BIN/sipc-load" --dir "$work/norun" report
one_line "sipc-load report without a run: 78" 78 "^sipc-load: no run in $work/norun/load: "
run "$BIN/sipc-load" report --help
expect "sipc-load report --help: no run in DIR is 78" 0 "78 DIR missing or not a folder, or no run in DIR"
# every program's --help sums up its exit codes, usage 64 in each
for p in sipcd sipcctl tlstool sipc-load sipc-cluster; do
    run "$BIN/$p" --help
    expect "$p --help: its exit codes, usage 64" 0 "^Exit codes: 0 " "(; |^)64 usage"
done
# tlstool's groups and its usage code are rows of docs/tlstool.md's table
tlstool_md=$(dirname "$0")/../../docs/tlstool.md
"$BIN/tlstool" --help | sed -n '/^Exit codes:/,/^Every code:/p' | grep -oE '(^|; |\(|: )[0-9]+(-[0-9]+)?( |$)' |
    grep -oE '[0-9]+(-[0-9]+)?' >"$work/tlscodes.txt"
missing=""
while read -r c; do
    for n in $(seq "${c%-*}" "${c#*-}"); do
        [ "$n" = 19 ] || [ "$n" = 39 ] && continue # no such code
        grep -q "^| $n |" "$tlstool_md" || missing="$missing $n"
    done
done <"$work/tlscodes.txt"
if [ "$(wc -l <"$work/tlscodes.txt")" -ge 10 ] && [ -z "$missing" ] && ! grep -q "^| 2 |" "$tlstool_md"; then
    ok "tlstool --help: every code it sums up is a row of docs/tlstool.md, 2 none"
else
    not_ok "tlstool --help's codes not in docs/tlstool.md:$missing ($(tr '\n' ' ' <"$work/tlscodes.txt"))"
fi
# sipc-cluster, a shell program, gives exit_codes.h's values
codes_h=$(dirname "$0")/../../services/common/exit_codes.h
common_sh=$(dirname "$0")/../harness/lib/common.sh
differ=""
for n in USAGE UNAVAILABLE SOFTWARE CONFIG; do
    h=$(sed -n "s/^#define SIPC_EXIT_$n \([0-9]*\).*/\1/p" "$codes_h")
    c=$(sed -n "s/^SC_EX_$n=\([0-9]*\).*/\1/p" "$common_sh")
    [ -n "$h" ] && [ "$h" = "$c" ] || differ="$differ $n($h/$c)"
done
[ -z "$differ" ] && ok "sipc-cluster's exit codes are exit_codes.h's" || not_ok "sipc-cluster's exit codes differ:$differ"
run "$BIN/sipcd" --home "$work/a" --home="$work/a"
one_line "sipcd --home twice, even alike: one line" 64 "^sipcd: --home given twice \('$work/a', then '$work/a'\): give it once \(see sipcd --help\)$"
# one meaning, one code: a missing home is 78 (EX_CONFIG) for sipcd as for
# sipcctl, in the same words; 73 (EX_CANTCREAT) only for what sipcd could
# not create in it
run "$BIN/sipcd" --help
expect "sipcd --help: 73 only for what could not be created, 78 the home missing or unfit" 0 \
    "73\$" "^DIR/state, DIR/logs or DIR/data could not be created, or DIR/state/sipcd.lock\$" \
    "78 DIR missing or not a directory" "^or DIR/data unfit \(a link, not a directory, others may write it" \
    "75 DIR is in use"
run "$BIN/sipcd" --home "$work/no-such-home"
one_line "sipcd with a missing home: 78, as sipcctl says it" 78 \
    "^sipcd: node home $work/no-such-home does not exist \(--home\): give the node's home"
run env SIPC_HOME="$0" "$BIN/sipcd"
one_line "sipcd with a file as \$SIPC_HOME: 78" 78 "^sipcd: node home $0 is not a directory \(\\\$SIPC_HOME\)"
# tlstool's configuration errors are the library's words alone: they name
# the home or the line of sipc.conf, never a sipc.conf below a file
run "$BIN/tlstool" --home "$0/home" verify "$0"
one_line "tlstool with a home below a file: its words, no sipc.conf to fix" 3 \
    "^tlstool: error: node home $0/home does not exist \(a part of its path is a file\): give the node's home.*SIPC_HOME$"
bad=$work/badconf
mkdir -m 700 "$bad" && printf '[tls]\nmode = bogus\n' >"$bad/sipc.conf"
run "$BIN/tlstool" --home "$bad" status
one_line "tlstool with a bad sipc.conf: the line named once" 3 \
    "^tlstool: error: $bad/sipc.conf:2: \[tls\] mode must be strict or permissive, not 'bogus'$"
# a data/ others may write is the home unfit (78); one that cannot be made
# (an immutable home, or one this account may not write) is 73
dh=$work/datahome
mkdir -m 700 "$dh" "$dh/state" "$dh/logs"
printf '[node]\naddress = 127.1.201.1\n' >"$dh/sipc.conf"
mkdir -m 777 "$dh/data" && chmod 777 "$dh/data"
run timeout -s KILL 20 "$BIN/sipcd" --home "$dh"
expect "sipcd: a data/ others may write stops it with 78" 78 "Cannot start Data Service: .*can be written by other accounts"
rmdir "$dh/data"
if { [ "$(id -u)" = 0 ] && chattr +i "$dh" 2>/dev/null; } || { [ "$(id -u)" != 0 ] && chmod 500 "$dh"; }; then
    run timeout -s KILL 20 "$BIN/sipcd" --home "$dh"
    expect "sipcd: a data/ that cannot be created stops it with 73" 73 "Cannot start Data Service: $dh/data: cannot create directory"
    chattr -i "$dh" 2>/dev/null; chmod 700 "$dh"
else
    echo "# skipped: sipcd with a data/ that cannot be created (no chattr +i here)"
fi
# a state/ that is a link is unfit too: 78, as a linked data/ file
rmdir "$dh/state" && mkdir -m 700 "$work/elsewhere" && ln -s "$work/elsewhere" "$dh/state"
run timeout -s KILL 20 "$BIN/sipcd" --home "$dh"
expect "sipcd: a state/ that is a symbolic link stops it with 78" 78 "$dh/state is a symbolic link"
# a mistyped home is named, not read as an empty one (which would fail later
# as a cluster-name mismatch or a refused connection)
run "$BIN/sipcctl" --home "$work/no-such-home" ping 127.0.0.1
expect "sipcctl with a missing --home" 78 "^sipcctl: node home $work/no-such-home does not exist \(--home\): give the node's home"
# ... and status --json prints its failure object on stdout for it too
"$BIN/sipcctl" --home "$work/no-such-home" status --json >"$work/nohome.json" 2>/dev/null
rc=$?
if [ "$rc" = 78 ] && jq -se 'length == 1 and (.[0] | .ok == false and .exit_code == 78 and (.error | test("does not exist")))' "$work/nohome.json" >/dev/null; then
    ok "sipcctl status --json with a missing home: the failure object on stdout"
else
    bad "status --json with a missing home (exit $rc): $(cat "$work/nohome.json")"
fi
run env SIPC_HOME="$work/no-such-home" "$BIN/sipcctl" status
expect "sipcctl with a missing \$SIPC_HOME" 78 "node home $work/no-such-home does not exist \(\\\$SIPC_HOME\)"
run "$BIN/tlstool" --home "$work/no-such-home" status
expect "tlstool status with a missing --home" 3 "^tlstool: error: node home $work/no-such-home does not exist \(--home\)"
[ -e "$work/no-such-home" ] && bad "the missing home was created"
# no --home, no $SIPC_HOME and no default home: a failure says so, not only
# "connection refused" (nothing listens on 127.1.33.5, this test's address)
if [ ! -e /var/lib/sipc ]; then
    run env -u SIPC_HOME "$BIN/sipcctl" --node 127.1.33.5 --timeout 2000 status
    expect "sipcctl with no home at all: the failure says there is none" 69 \
        "failed: .*\(no node home: /var/lib/sipc, the default, does not exist, so sipcctl used the built-in settings: plaintext, cluster sipc, the standard ports; give the node's home with --home DIR or SIPC_HOME\)"
fi
run "$BIN/sipcctl" --help
expect "sipcctl --help" 0 "Usage: sipcctl" "3 partial success: search" "65 ingest" "66 an input file" \
    "or ingest: some records were not acknowledged; 75 ack, reload:"
# the same version line as sipcd's, named like tlstool's
run "$BIN/sipcctl" --version
expect "sipcctl --version" 0 "^sipcctl \(sipc [0-9]+\.[0-9]+\.[0-9]+ .*wolfSSL 5\.5\.4.*CPU"
run "$BIN/sipcctl"
expect "sipcctl without command" 64 "Usage"
# a bad option after a command: one line naming that command's --help, not
# the whole tool's help burying it
run "$BIN/sipcctl" status --bogus
if [ "$RC" = 64 ] && [ "$(wc -l <"$OUT")" = 1 ] && grep -q "unknown option '--bogus' (see sipcctl status --help)" "$OUT"; then
    ok "sipcctl status --bogus: one line naming sipcctl status --help"
else
    bad "sipcctl status --bogus (exit $RC)"
fi
run "$BIN/sipcctl" frobnicate x
expect "sipcctl unknown command" 64 "unknown command"
# a command short of arguments says which, and shows its usage
run "$BIN/sipcctl" call 127.0.0.1
expect "sipcctl call without a method" 64 "^sipcctl: call needs ADDRESS\[:PORT\] SERVICE METHOD" "^Usage: sipcctl call ADDRESS"
run "$BIN/sipcctl" ping a b
one_line "sipcctl ping with two addresses: one line" 64 "^sipcctl: unexpected argument 'b' to ping \(see sipcctl ping --help\)$"
run "$BIN/sipcctl" status bogus
one_line "sipcctl status bogus: one line" 64 "^sipcctl: unexpected argument 'bogus' to status \(see sipcctl status --help\)$"
# options but no command: one line (sipcctl alone shows the usage)
run "$BIN/sipcctl" --json
one_line "sipcctl --json without a command: one line" 64 "^sipcctl: no command given \(see sipcctl --help\)$"
# ping without an address goes to --node (else the home's node)
run "$BIN/sipcctl" ping --node 127.0.0.1:1
expect "sipcctl ping --node" 69 "^sipcctl: sys.ping to 127.0.0.1:1 failed: connection refused"
# the library's detail that only repeats the error's text is not said again
run "$BIN/sipcctl" --home "$work" status --node 127.0.73.1:1
one_line "sipcctl status, nothing listening: 'connection refused' once, then what to look at" 69 "^sipcctl: management.status to 127.0.73.1:1 failed: connection refused \[ECONNREFUSED, io\]; is sipcd running there, on that address and port\? \(that node's \[node\] address and \[management\] port\)$"
# the port named is the dialed service's
run "$BIN/sipcctl" --home "$work" get x --node 127.1.79.9
one_line "sipcctl get, nothing listening: the hint names [data] port" 69 "^sipcctl: data.get to 127.1.79.9:23000 failed: connection refused \[ECONNREFUSED, io\]; is sipcd running there, on that address and port\? \(that node's \[node\] address and \[data\] port\)$"
# (jq -s: an empty stdout is no object, which jq -e alone lets pass)
# every command with --json that fails without an answer of its own prints
# one object on stdout, the same shape as status's, with its exit code
# (reload and ingest answer with their array and summary, which say it);
# ping, info and call, which ask one node, also name its address
mkdir -p "$work/jh"
for c in ping info status metrics "get x" list "search q" "put x --body y" \
    "call 127.0.76.1:1 sys ping"; do
    node=(--node 127.0.76.1:1)
    case $c in call*) node=() ;; esac
    # shellcheck disable=SC2086 # the command's words
    "$BIN/sipcctl" --home "$work/jh" --json "${node[@]}" $c >"$work/j.out" 2>"$work/j.err"
    rc=$?
    addr=""
    case $c in ping | info | call*) addr=127.0.76.1:1 ;; esac
    if [ "$rc" = 69 ] && jq -se --arg e "$(head -n1 "$work/j.err" | sed 's/^sipcctl: //')" --arg a "$addr" \
        'length == 1 and (.[0] | .ok == false and .exit_code == 69 and .error == $e and (.address // "") == $a and (keys | length) == (if $a == "" then 3 else 4 end))' "$work/j.out" >/dev/null; then
        ok "sipcctl --json ${c%% *}, connection refused: the failure object on stdout"
    else
        not_ok "sipcctl --json ${c%% *}, connection refused (exit $rc)"; shtest_show "$work/j.out"; shtest_show "$work/j.err"
    fi
done
# a node that accepts the connection but sends nothing (frozen, overloaded):
# the failure object too, and the line says what is known (connected,
# nothing received) under an io code, never a TLS one
if SIPC_PFX_PASSWORD=Cli-Test-Pw-1 "$BIN/tlstool" create -site "$work/jt.pfx" >/dev/null 2>&1 &&
    SIPC_PFX_PASSWORD=Cli-Test-Pw-1 "$BIN/tlstool" -H "$work/jt" import "$work/jt.pfx" >/dev/null 2>&1; then
    ok "tlstool -H DIR: the home as with --home"
    silent_listener 127.0.76.2
    t0=$(sc_now_ms)
    "$BIN/sipcctl" --home "$work/jt" --json --timeout 500 ping "127.0.76.2:$silent_port" >"$work/j.out" 2>"$work/j.err"
    rc=$?
    took=$(($(sc_now_ms) - t0))
    if [ "$rc" = 69 ] && jq -se 'length == 1 and (.[0] | .ok == false and .exit_code == 69 and (.error | test("SIPC_ESILENT")))' "$work/j.out" >/dev/null; then
        ok "sipcctl --json ping, nothing received: the failure object on stdout"
    else
        not_ok "sipcctl --json ping, nothing received (exit $rc)"; shtest_show "$work/j.out"; shtest_show "$work/j.err"
    fi
    # N counts from the connect to the 500 ms deadline: not above what the
    # run took as timed here, nor near the default 5000 ms (the --timeout
    # ended the wait), and at least half the timeout (a connect to a
    # loopback listener takes far less). Its exact value moves with the
    # machine's load (450 to 509 ms seen), so no tighter window than that.
    n=$(sed -n 's/.*, but nothing received from it for \([0-9]*\) ms: .*/\1/p' "$work/j.err" | head -n1)
    if grep -q "^sipcctl: sys.ping to 127.0.76.2:[0-9]* failed: no answer from the peer \[SIPC_ESILENT, io\]: connected to 127.0.76.2:[0-9]*, but nothing received from it for [0-9]* ms: the process there may be stopped or overloaded$" "$work/j.err" &&
        ! grep -q -i "tls\|handshake" "$work/j.err"; then
        ok "a silent peer: connected, nothing received, no word of TLS"
    else
        not_ok "silent peer wording"; shtest_show "$work/j.err"
    fi
    if [ -n "$n" ] && [ "$n" -ge 250 ] && [ "$n" -le "$took" ] && [ "$n" -lt 2000 ]; then
        ok "a silent peer: nothing received for $n ms of the 500 ms timeout (the run took $took ms)"
    else
        not_ok "a silent peer: nothing received for '${n:-no such line}' ms, want 250 to 2000 and at most the run's $took ms"
        shtest_show "$work/j.err"
    fi
    kill "$silent_pid" 2>/dev/null; wait "$silent_pid" 2>/dev/null
else
    not_ok "tlstool -H: create and import a client pair"
fi
run "$BIN/sipcctl" get one two
one_line "sipcctl get with two ids" 64 "^sipcctl: unexpected argument 'two' to get \(see sipcctl get --help\)$"
run "$BIN/sipcctl" put --body x
expect "sipcctl put without an id" 64 "^sipcctl: put needs ID " "^Usage: sipcctl put ID"
run "$BIN/sipcctl" put one two --body x
one_line "sipcctl put with a stray word" 64 "^sipcctl: unexpected argument 'two' to put \(see sipcctl put --help\)$"
run "$BIN/sipcctl" put one
expect "sipcctl put without a body" 64 "put ID needs exactly one of --body"
run "$BIN/sipcctl" ingest "$work/no-such-file"
expect "sipcctl ingest of a missing file" 66 "^sipcctl: cannot read $work/no-such-file: No such file or directory$"
run "$BIN/sipcctl" ingest "$work"
one_line "sipcctl ingest of a directory: named before any read" 66 "^sipcctl: cannot read $work: Is a directory$"
run "$BIN/sipcctl" put one --body-file "$work"
one_line "sipcctl put --body-file of a directory" 66 "^sipcctl: cannot read $work: Is a directory$"
# a bad value names the option given, and only it
run "$BIN/sipcctl" status --cluster --timeout 0
expect "sipcctl --timeout 0" 64 "^sipcctl: --timeout must be a number of milliseconds from 1 to 2147483647$"
grep -q -- "--count" "$OUT" && bad "sipcctl --timeout 0 names --count"
run "$BIN/sipcctl" ping 127.0.0.1 --count 0
expect "sipcctl ping --count 0" 64 "^sipcctl: --count must be a number between 1 and 1000000$"
run "$BIN/sipcctl" ping 127.0.73.10 --node 127.0.73.11
one_line "sipcctl ping ADDRESS --node: one line" 64 "^sipcctl: ping: give ADDRESS or --node, not both \(see sipcctl ping --help\)$"
run "$BIN/sipcctl" call 127.0.73.10 sys ping --node 127.0.73.11
one_line "sipcctl call ADDRESS --node: one line" 64 "^sipcctl: call: ADDRESS names the node; leave out --node \(see sipcctl call --help\)$"
run "$BIN/sipcctl" reload --cluster --node 127.0.0.1
one_line "sipcctl reload --cluster --node: one line" 64 "^sipcctl: reload: give --node ADDR or --cluster, not both \(see sipcctl reload --help\)$"

# configuration errors name the file, line and fix
mkdir -p "$work/bad"
printf '[tls]\nenabel = 1\n' >"$work/bad/sipc.conf"
run "$BIN/sipcd" --home "$work/bad"
expect "unknown key in sipc.conf" 78 "sipc.conf:2: unknown setting \[tls\] enabel"
printf '[tls]\nenable = maybe\n' >"$work/bad/sipc.conf"
run "$BIN/sipcd" --home "$work/bad"
expect "bad value in sipc.conf" 78 "enable must be 0 or 1"
# an empty value is refused where the file is read, by every program alike
printf '[node]\nid = e1\n[cluster]\nname =\n' >"$work/bad/sipc.conf"
run "$BIN/sipcd" --home "$work/bad"
expect "empty [cluster] name: sipcd names the line and the fix" 78 \
    "^sipcd: $work/bad/sipc.conf:4: \[cluster\] name is empty: remove the line for the default \(sipc\), or give a value$"
# a name peers would refuse is a sipc.conf error (it was exit 70 naming options.node_id)
printf '[node]\nid = n\351ud\n' >"$work/bad/sipc.conf"
run "$BIN/sipcd" --home "$work/bad"
expect "[node] id not UTF-8: sipcd, a configuration error" 78 \
    "^sipcd: $work/bad/sipc.conf:2: \[node\] id holds the byte 0xe9 \(not UTF-8\) at byte 2"
# one that would show as another node's id ("n1" with a right-to-left override)
printf '[node]\nid = n1\342\200\256\n' >"$work/bad/sipc.conf"
run "$BIN/sipcd" --home "$work/bad"
expect "[node] id with U+202E: sipcd, a configuration error" 78 \
    "^sipcd: $work/bad/sipc.conf:2: \[node\] id holds U\+202E \(an invisible or text-direction character\) at byte 3"
# two of the node's services on one port: its own clash, not "another
# process" holding the port at start; tlstool's judgement of the home too
conf_head='[node]\nid = c1\naddress = 127.1.219.31\n[cluster]\nname = cfg\n'
printf "${conf_head}nodes = 127.1.219.31:23000\n[search]\nport = 23000\n" >"$work/bad/sipc.conf"
run "$BIN/sipcd" --home "$work/bad"
expect "[search] port on the data port: sipcd, a configuration error at its line" 78 \
    "^sipcd: $work/bad/sipc.conf:8: \[search\] port 23000 is also the data service's port \(its default\): each service of a node needs a port of its own$"
run "$BIN/tlstool" --home "$work/bad" status
expect "[search] port on the data port: tlstool status, its configuration exit" 3 \
    "$work/bad/sipc.conf:8: \[search\] port 23000 is also the data service's port"
# one node listed twice (a missing port is the data port): not the
# pipeline's internal failure (70) but the line
printf "${conf_head}nodes = 127.1.219.31, 127.1.219.32, 127.1.219.33,\n  127.1.219.32\n" >"$work/bad/sipc.conf"
run "$BIN/sipcd" --home "$work/bad"
expect "a node listed twice: sipcd, a configuration error at its line" 78 \
    "^sipcd: $work/bad/sipc.conf:7: \[cluster\] nodes lists 127\.1\.219\.32:23000 twice: '127\.1\.219\.32' here and '127\.1\.219\.32' on line 6"
printf "${conf_head}nodes = 127.1.219.31,\n  127.1.219.32:abc\n" >"$work/bad/sipc.conf"
run "$BIN/sipcd" --home "$work/bad"
expect "a malformed nodes entry: its line" 78 \
    "^sipcd: $work/bad/sipc.conf:7: \[cluster\] nodes: '127\.1\.219\.32:abc' is not host\[:port\]"
# a misspelt service section: sipcd runs no such service (bounded: a
# sipcd that took it would run)
printf "${conf_head}nodes = 127.1.219.31:23000\n[serch]\nport = 23011\n" >"$work/bad/sipc.conf"
run timeout 20 "$BIN/sipcd" --home "$work/bad"
expect "[serch] port: sipcd refuses it, with the section meant" 78 \
    "^sipcd: $work/bad/sipc.conf:8: \[serch\] port: this node runs no service \[serch\] \(it runs data, search, management and pipeline\); did you mean .\[search\] port.\?$"
run "$BIN/tlstool" --home "$work/bad" status
if [ "$RC" = 10 ] && grep -q "INCONSISTENT" "$OUT" && grep -qF "sipc.conf:8: [serch] port" "$OUT"; then
    ok "[serch] port: tlstool status calls the home inconsistent"
else
    bad "[serch] port: tlstool status (exit $RC)"
fi
# its own entry with its search port: it would dial itself as another node
printf "${conf_head}nodes = 127.1.219.31:23001, 127.1.219.32:23000\n" >"$work/bad/sipc.conf"
run timeout 20 "$BIN/sipcd" --home "$work/bad"
expect "its own entry at its search port: sipcd names the line and the data port" 78 \
    "^sipcd: $work/bad/sipc.conf:6: \[cluster\] nodes entry '127\.1\.219\.31:23001' is this node's address with its search port: an entry gives a node's data port \(23000 here\)"
printf '[cluster]\nname = r\033v\n' >"$work/bad/sipc.conf"
run "$BIN/tlstool" --home "$work/bad" check
expect "[cluster] name with a control: tlstool, its configuration exit" 3 \
    "$work/bad/sipc.conf:2: \[cluster\] name holds the control character 0x1b"
printf '[node]\naddress =\n' >"$work/bad/sipc.conf"
run "$BIN/sipcctl" --home "$work/bad" ping
expect "empty [node] address: sipcctl, a configuration error" 78 \
    "^sipcctl: $work/bad/sipc.conf:2: \[node\] address is empty: remove the line for the default \(127\.0\.0\.1\), or give a value$"
run "$BIN/tlstool" --home "$work/bad" status
expect "empty [node] address: tlstool, its configuration exit" 3 \
    "$work/bad/sipc.conf:2: \[node\] address is empty: remove the line for the default"
printf '[tls]\nenable = 1\n[data]\nport = 0\n[search]\nport = 0\n[management]\nport = 0\n[pipeline]\nport = 0\n' >"$work/bad/sipc.conf"
run "$BIN/sipcd" --home "$work/bad"
expect "TLS enabled without a key pair" 78 "node.crt.*tlstool import"

# plaintext node: "Port:" not "TLS Port:"
mkdir -p "$work/plain"
printf '[node]\nid = plain1\n[data]\nport = 0\n[search]\nport = 0\n[management]\nport = 0\n[pipeline]\nport = 0\n' >"$work/plain/sipc.conf"
if start "$work/plain"; then
    log=$(ls "$work/plain/logs/"DataService_*.log)
    if grep -Eq "Service.Start INFO Port: $port$" "$log" && ! grep -q "TLS Port" "$log" &&
        grep -Eq "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[+-][0-9]{2}:[0-9]{2} Service.Start INFO Starting Data Service$" "$log" &&
        grep -Eq "Service.Start INFO Data Service Started$" "$log"; then
        ok "plaintext data service logs 'Port: $port' in the documented format"
    else
        not_ok "plaintext start lines"; cat "$log"
    fi
    run "$BIN/sipcctl" --home "$work/plain" ping "127.0.0.1:$port"
    expect "sipcctl ping over plaintext" 0 "over plaintext \(TLS is not in use\)"
    run "$BIN/sipcctl" --home "$work/plain" info "127.0.0.1:$port"
    expect "sipcctl info" 0 '"tls_mode":"off"'
    mport=$(sed -n 's/.*Service.Start INFO Port: \([0-9]*\).*/\1/p' "$work/plain/logs/"ManagementService_*.log | tail -n1)
    run "$BIN/sipcctl" --home "$work/plain" --node "127.0.0.1:$mport" status --json
    expect "status --json of a plaintext node: no required subject" 0 '"required_subject": null'
    # get: the body byte for byte to a file; on a terminal the line is ended
    at=(--home "$work/plain" --node "127.0.0.1:$port")
    run "$BIN/sipcctl" "${at[@]}" put greeting --body hello
    expect "sipcctl put" 0 "^greeting: stored on node plain1$"
    "$BIN/sipcctl" "${at[@]}" get greeting >"$work/get.out" 2>&1
    printf 'hello' | cmp -s - "$work/get.out" && ok "sipcctl get to a file: the body exactly, no newline added" ||
        { not_ok "sipcctl get to a file"; od -c "$work/get.out" | head -3; }
    script -qec "'$BIN/sipcctl' --home '$work/plain' --node 127.0.0.1:$port get greeting" /dev/null >"$work/get.tty" 2>&1
    printf 'hello\r\n' | cmp -s - "$work/get.tty" && ok "sipcctl get on a terminal ends the line" ||
        { not_ok "sipcctl get on a terminal"; od -c "$work/get.tty" | head -3; }
    run "$BIN/sipcctl" "${at[@]}" get nobody
    expect "sipcctl get of an unknown id" 1 "not found: no record with id 'nobody'"
    # delete: on the node asked; not there is no failure
    run "$BIN/sipcctl" "${at[@]}" delete greeting
    expect "sipcctl delete" 0 "^greeting: deleted from node plain1$"
    run "$BIN/sipcctl" "${at[@]}" get greeting
    expect "sipcctl get after delete: not found" 1 "not found"
    run "$BIN/sipcctl" "${at[@]}" --json delete greeting
    expect "sipcctl delete of a record not there: exit 0, deleted false" 0 '"deleted": false'
    # an id of any length goes to the node, which names its limit
    long=$(printf 'x%.0s' $(seq 1 2000))
    run "$BIN/sipcctl" "${at[@]}" get "$long"
    expect "sipcctl get of a 2000-byte id: the node's limit named" 1 "id of 2000 bytes exceeds the maximum of [0-9]+"
    run "$BIN/sipcctl" "${at[@]}" delete "$long"
    expect "sipcctl delete of a 2000-byte id: the node's limit named" 1 "id of 2000 bytes exceeds the maximum of [0-9]+"
    run "$BIN/sipcctl" --home "$work/plain" call "127.0.0.1:$port" nope nada
    expect "sipcctl call unknown method" 1 "SIPC_ENOMETHOD.*nope.nada"
    # a second node on the same port: clear error, exit 71
    mkdir -p "$work/clash"
    printf '[data]\nport = %s\n[search]\nport = 0\n[management]\nport = 0\n[pipeline]\nport = 0\n' "$port" >"$work/clash/sipc.conf"
    run "$BIN/sipcd" --home "$work/clash"
    expect "port already in use" 71 "cannot listen on 127.0.0.1:$port: address already in use"
    kill -TERM "$sipcd_pid"; wait "$sipcd_pid"; rc=$?
    [ "$rc" = 0 ] && ok "SIGTERM: exit 0" || not_ok "SIGTERM exit $rc"
    # nobody listens there any more
    run "$BIN/sipcctl" --home "$work/plain" --timeout 2000 ping "127.0.0.1:$port"
    expect "sipcctl to a stopped node" 69 "connection refused"
else
    not_ok "plaintext sipcd did not start"
fi
# a node of another cluster: the fix names the node's cluster as the hello
# gave it, whatever it holds (here words of the library's own message, and a
# '#', which sipc.conf keeps inside a value), for sipcctl and tlstool --reload
mkdir -p "$work/oc" "$work/occ"
printf "[node]\nid = oc1\naddress = 127.0.76.3\n[cluster]\nname = x', peer y is in cluster 'z#1\n[data]\nport = 0\n[search]\nport = 0\n[management]\nport = 0\n[pipeline]\nport = 0\n" >"$work/oc/sipc.conf"
if start "$work/oc"; then
    mport=$(sed -n 's/.*Service.Start INFO Port: \([0-9]*\).*/\1/p' "$work/oc/logs/"ManagementService_*.log | tail -n1)
    printf '[node]\naddress = 127.0.76.3\n[cluster]\nname = mine\n[management]\nport = %s\n' "$mport" >"$work/occ/sipc.conf"
    run "$BIN/sipcctl" --home "$work/occ" ping "127.0.76.3:$port"
    one_line "sipcctl to a node of another cluster: the line to write, with the node's name" 76 \
        "; is it the node you meant\? It is in cluster 'x', peer y is in cluster 'z#1': if not, correct the address; if so, this home's \[cluster\] name is 'mine' \($work/occ/sipc.conf line 4\): write \`name = x', peer y is in cluster 'z#1\` on that line to reach the node$"
    run "$BIN/tlstool" --home "$work/occ" disable --reload
    expect "tlstool --reload to a node of another cluster: the same fix" 13 \
        "could not be asked: cluster name mismatch .*; if so, this home's \[cluster\] name is 'mine' \($work/occ/sipc.conf line 4\): write \`name = x', peer y is in cluster 'z#1\` on that line to reach the node"
    printf '[node]\naddress = 127.0.76.3\n' >"$work/occ/sipc.conf"
    run "$BIN/sipcctl" --home "$work/occ" ping "127.0.76.3:$port"
    one_line "sipcctl from a home without a [cluster] section: add the section with the line" 76 \
        "; this home's \[cluster\] name is not set \(the default 'sipc'\): add a \[cluster\] section with \`name = x', peer y is in cluster 'z#1\` to $work/occ/sipc.conf to reach the node$"
    kill -TERM "$sipcd_pid"; wait "$sipcd_pid"
else
    not_ok "sipcd of cluster x', peer y is in cluster 'z#1 did not start"
fi
# a peer (not sipc: a node may set its name in code, or be anything) whose
# hello names a cluster with an escape sequence, or longer than the 63 bytes
# the library keeps: shown escaped, and not suggested cut
# (one listener on this test's block, 127.0.76.x, for one connection:
# "hello HEX" sends a hello naming cluster HEX; "relay PORT N" passes the
# connection to the node at 127.0.76.4:PORT and cuts it after the node's
# first N frames)
cat >"$work/peer.py" <<'PY'
import select, socket, sys
def v(n):
    out = b""
    while True:
        b, n = n & 0x7f, n >> 7
        if not n:
            return out + bytes([b])
        out += bytes([b | 0x80])
mode, here = sys.argv[1], "127.0.76.6" if sys.argv[1] == "hello" else "127.0.76.5"
s = socket.socket(); s.bind((here, 0)); s.listen(1); s.settimeout(10)
print(s.getsockname()[1], flush=True)
try:
    c, _ = s.accept()
except OSError:
    sys.exit(0)
s.close(); c.settimeout(5)
if mode == "hello":
    cluster, node = bytes.fromhex(sys.argv[2]), b"fake1"
    hello = b"\x08\x01\x12" + v(len(node)) + node + b"\x1a" + v(len(cluster)) + cluster
    env = b"\x08\x01\x10\x01\x42" + v(len(hello)) + hello  # version 1, HELLO, payload
    c.sendall(len(env).to_bytes(4, "big") + env)
    try:
        c.recv(65536)
    except OSError:
        pass
    sys.exit(0)
port, n = int(sys.argv[2]), int(sys.argv[3])
u = socket.create_connection(("127.0.76.4", port), timeout=10, source_address=(here, 0))
buf, frames = b"", 0
for _ in range(1000):  # bounded
    r, _, _ = select.select([c, u], [], [], 10)
    if not r:
        break
    if c in r:
        d = c.recv(65536)
        if not d:
            break
        u.sendall(d)
    if u in r:
        d = u.recv(65536)
        if not d:
            break
        buf += d
        while frames < n and len(buf) >= 4 and len(buf) >= 4 + int.from_bytes(buf[:4], "big"):
            k = 4 + int.from_bytes(buf[:4], "big")
            c.sendall(buf[:k]); buf = buf[k:]; frames += 1
        if frames >= n:
            break
c.close(); u.close()
PY
peer_start() { # ARGS of peer.py: started in the background, its pid in peer_pid, its port in peer_port
    rm -f "$work/peer.port"
    python3 "$work/peer.py" "$@" >"$work/peer.port" &
    peer_pid=$!
    for _ in $(seq 50); do [ -s "$work/peer.port" ] && break; sleep 0.1; done
    peer_port=$(cat "$work/peer.port")
}
mkdir -p "$work/hc"
printf '[node]\naddress = 127.0.76.6\n[cluster]\nname = mine\n' >"$work/hc/sipc.conf"
hello_peer() { # CLUSTER-HEX: sipcctl ping to a peer whose hello names it
    peer_start hello "$1"
    run "$BIN/sipcctl" --home "$work/hc" ping "127.0.76.6:$peer_port"
    wait "$peer_pid"
}
hello_peer "$(printf 'a\033]0;x\007\033[2Jb\302\233c' | od -An -v -tx1 | tr -d ' \n')"
# the library refuses such a hello: nothing of the name reaches the terminal
if [ "$RC" != 0 ] && ! LC_ALL=C grep -q "$(printf '[\033\007\233]')" "$OUT" &&
    grep -qF "[SIPC_EPROTO, protocol]: peer's hello names its node or cluster with control, invisible or text-direction characters" "$OUT"; then
    ok "a peer's cluster name with escape sequences: the hello refused, nothing of it shown (exit $RC)"
else
    bad "a peer's cluster name with escape sequences (exit $RC)"
fi
# a name that shows as another ('prod' written backwards after U+202E) is refused alike
hello_peer "$(printf 'dorp\342\200\256' | od -An -v -tx1 | tr -d ' \n')"
if [ "$RC" != 0 ] && ! grep -q "$(printf '\342\200\256')" "$OUT" &&
    grep -qF "peer's hello names its node or cluster with control, invisible or text-direction characters" "$OUT"; then
    ok "a peer's cluster name with U+202E: the hello refused, nothing of it shown (exit $RC)"
else
    bad "a peer's cluster name with U+202E (exit $RC)"
fi
hello_peer "$(printf 'L%.0s' $(seq 80) | od -An -v -tx1 | tr -d ' \n')"
if [ "$RC" = 76 ] && grep -q "; the node's cluster name is longer than 63 bytes ('L\{63\}\.\.\.'), too long to suggest: no home can name it" "$OUT" &&
    ! grep -q '`name' "$OUT"; then
    ok "a peer's cluster name longer than the library keeps: too long to suggest, not suggested cut"
else
    bad "a peer's cluster name of 80 bytes (exit $RC)"
fi

# pair_home_at DATE CN HOME: HOME/security/node.crt, a self-signed pair CN
# made as if on DATE, valid 10 days from it
pair_home_at() {
    mkdir -p "$3/security" && chmod 700 "$3/security" &&
        faketime_run "@$1 00:00:00" openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout "$3.key" -out "$3.crt" -days 10 -subj "/CN=$2" \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,digitalSignature,keyCertSign" \
            -addext "extendedKeyUsage=serverAuth,clientAuth" 2>/dev/null &&
        cat "$3.crt" "$3.key" >"$3/security/node.crt" && chmod 600 "$3/security/node.crt"
}

# a node whose own pair has expired says so at start, with the fix
if pair_home_at 2020-01-01 "sipc expired test" "$work/expired"; then
    printf '[tls]\nenable = 1\n[data]\nport = 0\n[search]\nport = 0\n[management]\nport = 0\n[pipeline]\nport = 0\n' >"$work/expired/sipc.conf"
    if start "$work/expired"; then
        log=$(ls "$work/expired/logs/"DataService_*.log)
        if grep -q "Service.Start ERROR this node's certificate does not verify, every TLS handshake will fail: certificate 'CN=sipc expired test' expired on 2020-01-11" "$log" &&
            grep -q "TLS Port: $port" "$log"; then
            ok "an expired own pair is reported at start with its date and fix"
        else
            not_ok "expired pair at start"; cat "$log"
        fi
        kill -TERM "$sipcd_pid"; wait "$sipcd_pid"
    else
        not_ok "sipcd with an expired pair did not start"
    fi
    # mutual TLS turns every peer of such a node away; in permissive mode a
    # plaintext sipcctl still reads its status, which names the expiry
    printf '[node]\naddress = 127.0.0.1\n[tls]\nenable = 1\nmode = permissive\nsubject = CN=sipc expired test\n[data]\nport = 0\n[search]\nport = 0\n[management]\nport = 0\n[pipeline]\nport = 0\n' >"$work/expired/sipc.conf"
    if start "$work/expired"; then
        mport=$(sed -n 's/.*Service.Start INFO TLS Port: \([0-9]*\).*/\1/p' "$work/expired/logs/"ManagementService_*.log | tail -n1)
        mkdir -p "$work/plainctl"
        run "$BIN/sipcctl" --home "$work/plainctl" --node "127.0.0.1:$mport" status
        expect "status of a node whose pair expired" 0 "certificate: CN=sipc expired test, sha256 [0-9a-f]{16}\.\.\., EXPIRED on 2020-01-11T00:00:[0-9]{2}Z"
        grep -q "days left" "$OUT" && bad "status: an expired pair shows days left"
        # the subject the running node asks of peers, beside its mode
        grep -q "^  TLS: enabled, mode permissive, required subject CN=sipc expired test$" "$OUT" &&
            ok "status names the required subject next to the TLS mode" || bad "status: no required subject"
        run "$BIN/sipcctl" --home "$work/plainctl" --node "127.0.0.1:$mport" status --json
        expect "status --json carries tls.required_subject" 0 '"required_subject": "CN=sipc expired test"'
        kill -TERM "$sipcd_pid"; wait "$sipcd_pid"
    else
        not_ok "sipcd with an expired pair in permissive mode did not start"
    fi
else
    not_ok "cannot make an expired certificate with faketime"
fi

# a node whose own pair is not valid yet (a clock set back): no days left to
# read as a pair in use, in the text or the JSON (on 127.1.31.1)
if pair_home_at 2040-01-01 "sipc early test" "$work/early"; then
    printf '[node]\naddress = 127.1.31.1\n[tls]\nenable = 1\nmode = permissive\nsubject = CN=sipc early test\n[data]\nport = 0\n[search]\nport = 0\n[management]\nport = 0\n[pipeline]\nport = 0\n' >"$work/early/sipc.conf"
    if start "$work/early"; then
        mport=$(sed -n 's/.*Service.Start INFO TLS Port: \([0-9]*\).*/\1/p' "$work/early/logs/"ManagementService_*.log | tail -n1)
        mkdir -p "$work/plainctl"
        run "$BIN/sipcctl" --home "$work/plainctl" --node "127.1.31.1:$mport" status
        expect "status of a node whose pair is not valid yet" 0 \
            "certificate: CN=sipc early test, sha256 [0-9a-f]{16}\.\.\., NOT VALID YET: valid from 2040-01-01T00:00:[0-9]{2}Z \(check this node's clock\)$"
        grep -q "days left" "$OUT" && bad "status: a pair not valid yet shows days left"
        run "$BIN/sipcctl" --home "$work/plainctl" --node "127.1.31.1:$mport" status --json
        # days_left stays an integer (days to not_after) as schema 1 has always had it
        python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["tls"]["certificate"]; assert c["validity"] == "not_yet_valid" and type(c["days_left"]) is int and c["days_left"] > 0' "$OUT" &&
            ok "status --json of a pair not valid yet: validity not_yet_valid, days_left still an integer" ||
            { bad "status --json of a pair not valid yet"; grep -E 'validity|days_left' "$OUT"; }
        # status --cluster names it too (by its validity), not only its links
        printf '[node]\naddress = 127.1.31.1\n[cluster]\nnodes = 127.1.31.1\n[management]\nport = %s\n' "$mport" >"$work/plainctl/sipc.conf"
        run "$BIN/sipcctl" --home "$work/plainctl" status --cluster
        grep -qE "certificate_not_yet_valid|certificate is valid only from 2040-01-01" "$OUT" &&
            ok "status --cluster: a node whose pair is not valid yet is a problem, by its validity" ||
            bad "status --cluster of a node whose pair is not valid yet: exit $RC"
        rm -f "$work/plainctl/sipc.conf"
        kill -TERM "$sipcd_pid"; wait "$sipcd_pid"
    else
        not_ok "sipcd with a pair not valid yet in permissive mode did not start"
    fi
else
    not_ok "cannot make a certificate not valid yet with faketime"
fi

# a private key others can read: refuse to start, say the chmod
if [ -f "$work/expired/security/node.crt" ]; then
    mkdir -p "$work/open/security"
    cp "$work/expired/security/node.crt" "$work/open/security/node.crt"
    printf '[tls]\nenable = 1\n[data]\nport = 0\n[search]\nport = 0\n[management]\nport = 0\n[pipeline]\nport = 0\n' >"$work/open/sipc.conf"
    chmod 700 "$work/open/security"; chmod 644 "$work/open/security/node.crt"
    run "$BIN/sipcd" --home "$work/open"
    expect "node.crt readable by others" 78 "security/node.crt is open to other users \(mode 0644\).*chmod 600"
    chmod 755 "$work/open/security"; chmod 600 "$work/open/security/node.crt"
    run "$BIN/sipcd" --home "$work/open"
    expect "security folder open to others" 78 "security is open to other users \(mode 0755\).*chmod 700"
    chmod 700 "$work/open/security"
    # a rotation's pair holds a private key too
    mkdir -m 755 "$work/open/security/staged"
    run "$BIN/sipcd" --home "$work/open"
    expect "a staged/ folder open to others" 78 "security/staged is open to other users \(mode 0755\).*chmod 700"
    rmdir "$work/open/security/staged"
    # a key another account owns could be replaced by it (as root only: chown)
    if [ "$(id -u)" = 0 ]; then
        chown 65534 "$work/open/security/node.crt"
        run "$BIN/sipcd" --home "$work/open"
        expect "node.crt owned by another account" 78 "security/node.crt belongs to another account \(uid 65534\).*chown 0 "
        chown 0 "$work/open/security/node.crt"
    fi
fi

# --json: nothing but JSON on stdout, answers and failures alike (jq -s
# reads every document on stdout: exactly one is expected)
mkdir -p "$work/js"
printf '[node]\nid = js1\naddress = 127.0.76.4\n[data]\nport = 0\n[search]\nport = 0\n[management]\nport = 0\n[pipeline]\nport = 0\n' >"$work/js/sipc.conf"
if start "$work/js"; then
    mport=$(sed -n 's/.*Service.Start INFO Port: \([0-9]*\).*/\1/p' "$work/js/logs/"ManagementService_*.log | tail -n1)
    js() { # NAME WANT JQ-TEST ARGS...: sipcctl --json ARGS exits WANT with one document passing JQ-TEST
        local name=$1 want=$2 test=$3 rc
        shift 3
        "$BIN/sipcctl" --home "$work/js" --json "$@" >"$work/jsc.out" 2>"$work/jsc.err"
        rc=$?
        if [ "$rc" = "$want" ] && jq -se --arg e "$(head -n1 "$work/jsc.err" | sed 's/^sipcctl: //')" \
            "length == 1 and (.[0] | $test)" "$work/jsc.out" >/dev/null; then
            ok "$name"
        else
            not_ok "$name (exit $rc)"; shtest_show "$work/jsc.out"; shtest_show "$work/jsc.err"
        fi
    }
    js "ping -c 2 --json: one object, the link and both round trips" 0 \
        '.ok == true and .exit_code == 0 and .node == "js1" and .tls == false and (.replies | length == 2 and all(.time_ms >= 0))' \
        ping -c 2 "127.0.76.4:$port"
    js "call -c 2 --json: one object with both payloads" 0 \
        '.ok == true and (.replies | length == 2 and all(.payload | fromjson | .node == "js1"))' \
        call -c 2 "127.0.76.4:$port" sys info
    js "info --json: the node's own JSON" 0 '.node == "js1" and .tls_mode == "off"' info "127.0.76.4:$port"
    js "put --json: its result as JSON" 0 '. == {"id": "k1", "result": "created", "node": "js1"}' \
        --node "127.0.76.4:$port" put k1 --body v1 --timestamp 2026-11-23T10:00:00Z
    js "put --json of the same record: unchanged" 0 '.result == "unchanged"' --node "127.0.76.4:$port" put k1 --body v1 --timestamp 2026-11-23T10:00:00Z
    js "metrics --json: the text in an object" 0 '.metrics | contains("sipc_node_info{node=\"js1\"")' \
        --node "127.0.76.4:$mport" metrics
    # a call that fails after answers: one object holding both, not the
    # answers' text followed by the failure object. A relay (peer.py) passes
    # the node's first N frames (its hello, then answers) and cuts.
    # ping's first answer is timed twice (set-up excluded): hello + 2 frames
    for c in "3 ping -c 2" "2 call -c 2 ADDR sys info"; do
        # shellcheck disable=SC2086 # the words of c
        set -- $c
        n=$1; shift
        peer_start relay "$port" "$n"
        relay_at="127.0.76.5:$peer_port"
        if [ "$1" = call ]; then set -- call -c 2 "$relay_at" sys info; else set -- "$@" "$relay_at"; fi
        js "$1 -c 2 --json, the second call failing: one object, the answer and the failure" 69 \
            '.ok == false and .exit_code == 69 and .error == $e and .node == "js1" and (.replies | length == 1)' "$@"
        wait "$peer_pid"
    done
    kill -TERM "$sipcd_pid"; wait "$sipcd_pid"
else
    not_ok "sipcd on 127.0.76.4 did not start"
fi

# sipc.conf beyond its refusals, on 127.1.226.1: [metrics] address on a
# service's port refused at its line (not the endpoint's bind failing once
# the services run); a nodes list without this node warned of at start, by
# each reload (sipcctl's and SIGHUP's, with another program's section) and
# by tlstool status; home_pair from node.crt's certificate alone
cw=$work/cw
mkdir -p "$cw" "$work/cwc"
cw_conf='[node]\nid = cw1\naddress = 127.1.226.1\n[cluster]\nname = cw\nnodes = 127.1.226.2, 127.1.226.3\n'
printf "${cw_conf}[metrics]\naddress = 127.1.226.1:23002\n" >"$cw/sipc.conf"
run timeout 20 "$BIN/sipcd" --home "$cw"
expect "[metrics] address on the management port: sipcd, a configuration error at its line" 78 \
    "^sipcd: $cw/sipc.conf:8: \[metrics\] address 127\.1\.226\.1:23002 is on the management service's port \(23002, its default\) at this node's address \(127\.1\.226\.1\)"
printf "$cw_conf" >"$cw/sipc.conf"
printf '[cluster]\nname = cw\n' >"$work/cwc/sipc.conf"
if pair_home "$cw" && sipcd_start "$cw"; then
    unlisted="$cw/sipc.conf:6: [cluster] nodes does not list this node ([node] address 127.1.226.1, data port 23000)"
    grep -qF "Service.Start WARN $unlisted: the list names every node" "$cw/logs/"DataService_*.log &&
        ok "a nodes list without this node: a WARN at start, at its line" ||
        { not_ok "no WARN at start of the nodes list without this node"; shtest_show "$cw.out"; }
    run "$BIN/tlstool" --home "$cw" status
    [ "$RC" = 0 ] && grep -qF "warning: $unlisted" "$OUT" &&
        ok "tlstool status: the same warning" || bad "tlstool status of the list without this node (exit $RC)"
    printf '[kv]\nport = 7001\n' >>"$cw/sipc.conf"
    kv="$cw/sipc.conf:8: [kv] port: this node runs no service [kv]"
    run "$BIN/sipcctl" --home "$cw" reload
    [ "$RC" = 0 ] && grep -qF "nothing changed; warning: $kv" "$OUT" && grep -qF "; warning: $unlisted" "$OUT" &&
        grep -qF "Service.Reload WARN $kv" "$cw/logs/"DataService_*.log &&
        grep -qF "Service.Reload WARN $unlisted" "$cw/logs/"DataService_*.log &&
        ok "sipcctl reload: the answer and the log say both warnings" || bad "sipcctl reload's warnings (exit $RC)"
    kv_said() { [ "$(grep -cF "Service.Reload WARN $kv" "$cw/logs/"ManagementService_*.log)" = 2 ]; }
    kill -HUP "$sipcd_pid"
    wait_for 10 kv_said && ok "SIGHUP: the reload's log says it too" || not_ok "SIGHUP: no WARN of [kv]"
    # the key is no part of home_pair: a node.crt whose key is gone still
    # names its certificate (another home asks: this one's pair is cut)
    fp=$(sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' "$cw/security/node.crt" |
        openssl x509 -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')
    sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' "$cw/security/node.crt" >"$work/cw.crt"
    cat "$work/cw.crt" >"$cw/security/node.crt"
    run "$BIN/sipcctl" --home "$work/cwc" --node 127.1.226.1:23002 status --json
    [ "$RC" = 0 ] && [ -n "$fp" ] && [ "$(jq -r .home_pair.fingerprint_sha256 "$OUT")" = "$fp" ] &&
        ok "home_pair: node.crt's certificate, its key not read" || bad "home_pair of a node.crt without its key (exit $RC, want '$fp')"
    kill -TERM "$sipcd_pid"; wait "$sipcd_pid"
else
    not_ok "sipcd on 127.1.226.1 did not start"
fi

# an HTTP server where a node was expected: named for what it is
python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4); s.settimeout(10)
print(s.getsockname()[1], flush=True)
for _ in range(4):  # bounded: a few answers, then gone
    try:
        c, _ = s.accept()
    except OSError:
        break
    c.settimeout(2)
    try:
        c.recv(4096)
    except OSError:
        pass
    c.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n"); c.close()
' >"$work/http.port" &
for _ in $(seq 50); do [ -s "$work/http.port" ] && break; sleep 0.1; done
run "$BIN/sipcctl" --home "$work/plain" --timeout 3000 ping "127.0.0.1:$(cat "$work/http.port")"
[ "$RC" != 0 ] && grep -q "does not speak sipc: it answered with text ('HTTP'), e.g. an HTTP server: is that the right address and port?" "$OUT" &&
    ok "sipcctl ping of an HTTP server: not a sipc peer, it answered with text" || bad "ping of an HTTP server (exit $RC)"

run "$BIN/sipcctl" --home "$work/plain" ping "127.0.0.1:notaport"
expect "sipcctl bad address" 64 "not ADDRESS"

shtest_done
