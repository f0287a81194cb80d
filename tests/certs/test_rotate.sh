#!/usr/bin/env bash
# test_rotate.sh - a key pair rotation of a live three-node TLS cluster (real
# sipcd processes on BASE.1-3 with the standard ports), node by node, with
# every node's client (each home's own identity) calling every node after
# every step: no call may fail at any step.
#   - stage B everywhere, commit node by node, finish everywhere: 0 failures;
#     after finish the old pair is refused
#   - abort before commit (stage C everywhere, abort everywhere): 0 failures,
#     C refused afterwards
#   - abort after commit (n1 commits C, then rolls back, then all abort)
#   - tlstool check mid-rotation: a peer with the other pair is a warning;
#     a node running plaintext while configured for TLS is named
# The full rotation applies each step with --reload (the running node
# reloads, no restart); the abort cases restart the nodes instead, the
# other way an operator can apply a step.
# usage: test_rotate.sh TLSTOOL SIPCD SIPCCTL [BASE]
set -uo pipefail
TLSTOOL=${1:?tlstool} SIPCD=${2:?sipcd} SIPCCTL=${3:?sipcctl}
BASE=${4:-127.0.62}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init rotate
declare -A pid
need_free "$BASE".{1,2,3}:{23000,23001,23002,23003}

pwfile="$work/pw"
printf 'Rotate-Test-%s\n' "$$" >"$pwfile"
chmod 600 "$pwfile"
tt() { local h=$1; shift; "$TLSTOOL" --home "$work/$h" "$@"; }
fp_of() { openssl x509 -in "$work/$1/security/node.crt" -noout -fingerprint -sha256 |
    sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'; }

mkhome() { # name address
    local h="$work/$1"; mkdir -p "$h"
    printf '[node]\nid = %s\naddress = %s\n[cluster]\nname = rot\nnodes = %s.1, %s.2, %s.3\n' \
        "$1" "$2" "$BASE" "$BASE" "$BASE" >"$h/sipc.conf"
}
start() { # name: start, wait until its four services have started once more
    sipcd_start "$work/$1" || return 1
    pid[$1]=$sipcd_pid
}
stop() { kill -TERM "${pid[$1]}" 2>/dev/null; wait "${pid[$1]}" 2>/dev/null; unset "pid[$1]"; }
restart() { stop "$1"; start "$1" || { not_ok "restart $1"; exit 1; }; }

# every home's client calls every node; passes only when all 9 calls do
all_calls() { # step name
    local bad=0
    for c in 1 2 3; do
        for n in 1 2 3; do
            # over TLS: a plaintext answer would not test the rotation
            if ! "$SIPCCTL" --home "$work/n$c" --timeout 5000 ping "$BASE.$n" >"$work/call.out" 2>&1 ||
                ! grep -q "over TLSv1.2" "$work/call.out"; then
                bad=$((bad + 1))
                echo "    n$c -> $BASE.$n: $(tr '\n' ' ' <"$work/call.out")"
            fi
        done
    done
    [ "$bad" = 0 ] && ok "$1: 9 of 9 calls (every home to every node) succeed" ||
        not_ok "$1: $bad of 9 calls failed"
}
# the fingerprint node N presents, from its sys.info
live_fp() { "$SIPCCTL" --home "$work/n$2" --timeout 5000 info "$BASE.$1" | tail -1 | jq -r .fingerprint; }
presents() { # step node pair-home
    local got want
    got=$(live_fp "$2" "$2") want=$(fp_of "$3")
    [ -n "$want" ] && [ "$got" = "$want" ] && ok "$1: n$2 presents the pair of $3" ||
        not_ok "$1: n$2 presents ${got:0:16}, not ${want:0:16} ($3)"
}
refused() { # step home node: a client holding only that home's pair is refused
    if "$SIPCCTL" --home "$work/$2" --timeout 3000 ping "$BASE.$3" >"$work/call.out" 2>&1; then
        not_ok "$1: a client with $2's pair still reaches n$3"
    else
        ok "$1: a client with $2's pair is refused by n$3"
    fi
}
state_is() { # step node state
    local s
    s=$(tt "n$2" rotate status | sed -n 's/^rotation: //p')
    [ "$s" = "$3" ] && ok "$1: n$2 rotate status says '$3'" || not_ok "$1: n$2 rotation state '$s', not '$3'"
}
step() { # description command...: a tlstool step that must succeed
    local d=$1; shift
    if "$@" >"$work/step.out" 2>&1; then :; else not_ok "$d (exit $?)"; sed 's/^/    /' "$work/step.out"; fi
}

# three pairs: A (the cluster's now), B (rotated to), C (rotated to and abandoned)
for k in A B C; do
    mkdir -p "$work/onlyA"
    "$TLSTOOL" --home "$work/onlyA" create -site "$work/$k.pfx" --password-file "$pwfile" >/dev/null ||
        { echo "create $k failed"; exit 1; }
done
for i in 1 2 3; do
    mkhome "n$i" "$BASE.$i"
    tt "n$i" import "$work/A.pfx" --password-file "$pwfile" >/dev/null || { echo "import n$i"; exit 1; }
    tt "n$i" enable >/dev/null || { echo "enable n$i"; exit 1; }
done
# clients that hold only one pair: the old one (A), the new one (B; its
# fingerprint) and the abandoned one (C)
for k in A B C; do
    mkhome "only$k" 127.0.0.1
    tt "only$k" import "$work/$k.pfx" --password-file "$pwfile" >/dev/null
    tt "only$k" enable >/dev/null
done
for i in 1 2 3; do start "n$i" || exit 1; done
all_calls "start, every node on pair A"

# --- a full rotation to B -----------------------------------------------------
for i in 1 2 3; do
    step "stage B on n$i (--reload)" tt "n$i" rotate stage "$work/B.pfx" --password-file "$pwfile" --reload
    all_calls "B staged on n1..n$i"
done
state_is "B staged everywhere" 2 staged
tt n2 rotate status | grep -q "next: once every node has it staged (and was reloaded or restarted)" &&
    ok "rotate status: the next step allows a reload, not only a restart" || not_ok "rotate status next step: $(tt n2 rotate status | tail -1)"
grep -q "trusted during rotation" <(tt n2 verify "$work/n2/security/staged/node.crt") &&
    ok "verify says the staged pair is trusted during rotation" || not_ok "verify of the staged pair"
for i in 1 2 3; do
    step "commit on n$i (--reload)" tt "n$i" rotate commit --reload
    grep -q "restart sipcd" "$work/step.out" && not_ok "commit --reload on n$i still asks for a restart"
    all_calls "B committed on n1..n$i"
    presents "B committed on n$i" "$i" onlyB
    # mid-rotation the cluster status agrees with check: a step of the
    # rotation (a note with the next command), no foreign pair to import
    if [ "$i" -lt 3 ]; then
        "$SIPCCTL" --home "$work/n2" --timeout 5000 status --cluster >"$work/cl.out" 2>&1
        rc=$?
        committed=n1 staged="n2, n3"
        # asked from n2, which lists itself first
        [ "$i" = 2 ] && committed="n2, n1" staged=n3
        if [ "$rc" = 0 ] && ! grep -q "import\|PROBLEMS" "$work/cl.out" &&
            grep -q "^cluster OK: 3 nodes, no problem; a key pair rotation is in progress" "$work/cl.out" &&
            grep -q "^  key pair rotation: committed (it presents the new pair), it also accepts the previous pair" "$work/cl.out" &&
            grep -q "^note: key pair rotation in progress: $committed committed; $staged staged .*next: .tlstool rotate commit --reload. on $staged" "$work/cl.out"; then
            ok "status --cluster with B committed on n1..n$i: exit 0, the rotation's step and the next command"
        else
            not_ok "status --cluster mid-rotation (n1..n$i committed; exit $rc)"; sed 's/^/    /' "$work/cl.out"
        fi
    fi
    if [ "$i" = 1 ]; then
        # n2 still presents A, n1 presents B: each is a warning, not a failure
        tt n2 check >"$work/check.out" 2>&1
        rc=$?
        if [ "$rc" = 0 ] && grep -q "$BASE.1.*trusted during rotation" "$work/check.out"; then
            ok "tlstool check on n2 mid-rotation: n1's new pair is trusted during rotation (exit 0)"
        else
            not_ok "tlstool check mid-rotation (exit $rc)"; sed 's/^/    /' "$work/check.out"
        fi
        state_is "n1 committed" 1 committed
        [ "$(tt n1 status --json | jq -r .rotation.previous_fingerprint)" = "$(fp_of onlyA)" ] &&
            ok "n1 status --json: the previous pair (A) is trusted during rotation" ||
            not_ok "n1 status --json rotation: $(tt n1 status --json | jq -c .rotation)"
    fi
done
for i in 1 2 3; do
    step "finish on n$i (--reload)" tt "n$i" rotate finish --reload
    all_calls "rotation finished on n1..n$i"
done
state_is "finished" 3 "none in progress"
for i in 1 2 3; do refused "after finish" onlyA "$i"; done
[ -f "$work/n1/security/previous/node.crt" ] && [ ! -e "$work/n1/security/staged" ] &&
    [ ! -e "$work/n1/security/rotation" ] &&
    ok "after finish: previous/ kept for a roll-back, no staged/, no rotation state" ||
    not_ok "files after finish: $(ls "$work/n1/security")"

# --- abort before commit ----------------------------------------------------------
for i in 1 2 3; do
    step "stage C on n$i" tt "n$i" rotate stage "$work/C.pfx" --password-file "$pwfile"
    restart "n$i"
    all_calls "C staged on n1..n$i"
done
for i in 1 2 3; do
    step "abort on n$i" tt "n$i" rotate abort
    restart "n$i"
    all_calls "C dropped on n1..n$i"
done
state_is "aborted before commit" 1 "none in progress"
refused "after abort before commit" onlyC 1
presents "after abort before commit" 1 onlyB

# --- abort after commit --------------------------------------------------------------
for i in 1 2 3; do
    step "stage C again on n$i" tt "n$i" rotate stage "$work/C.pfx" --password-file "$pwfile"
    restart "n$i"
done
all_calls "C staged everywhere again"
step "commit C on n1" tt n1 rotate commit
restart n1
all_calls "n1 committed C"
presents "n1 committed C" 1 onlyC
step "abort the commit on n1" tt n1 rotate abort
restart n1
all_calls "n1 rolled back"
presents "n1 rolled back" 1 onlyB
state_is "n1 rolled back" 1 rolled-back
for i in 1 2 3; do
    step "abort on n$i" tt "n$i" rotate abort
    restart "n$i"
    all_calls "C dropped after the roll-back on n1..n$i"
done
refused "after abort after commit" onlyC 2
state_is "aborted after commit" 1 "none in progress"
# a staged/ left without a rotation state (a crash, a copy by hand) is no
# rotation: its pair is not trusted, and rotate status names it
mkdir -m 700 "$work/n1/security/staged"
cp "$work/onlyC/security/node.crt" "$work/n1/security/staged/node.crt"
chmod 600 "$work/n1/security/staged/node.crt"
restart n1
refused "a staged/ without a rotation state" onlyC 1
tt n1 rotate status >"$work/rs.out" 2>&1
grep -q "staged/ is there without a rotation state.*not trusted" "$work/rs.out" &&
    ok "rotate status names the stray staged/ as not trusted" || { not_ok "rotate status of a stray staged/"; cat "$work/rs.out"; }
! grep -q "trusted during rotation" "$work/rs.out" &&
    ok "rotate status does not call the stray staged pair trusted" || { not_ok "rotate status calls the stray staged pair trusted"; cat "$work/rs.out"; }
tt n1 status >"$work/st.out" 2>&1
grep -q "^warning: security/staged/ is there without a rotation state.*not trusted; .tlstool rotate abort. drops it" "$work/st.out" &&
    ok "status names the stray staged/ as not trusted" || { not_ok "status of a stray staged/"; cat "$work/st.out"; }
step "abort drops the stray staged/" tt n1 rotate abort
restart n1
# a step that does not fit the state is refused with exit 10
tt n1 rotate commit >/dev/null 2>&1
rc=$?
[ "$rc" = 10 ] && ok "commit with nothing staged: exit 10" || not_ok "commit with nothing staged: exit $rc"
# a split state: n3 runs plaintext while its sipc.conf says TLS again (not
# restarted); check reports the live mode as the truth
tt n3 disable --force >/dev/null 2>&1 # n1 and n2 run strict: refused without it
restart n3
tt n3 enable >/dev/null
tt n3 check >"$work/check.out" 2>&1
rc=$?
if [ "$rc" = 41 ] && grep -q "$BASE.3.*still running plaintext: reload or restart it" "$work/check.out"; then
    ok "check names a node configured for TLS but still running plaintext (exit 41)"
else
    not_ok "check of a split state (exit $rc)"; sed 's/^/    /' "$work/check.out"
fi
# the password never appears in any output or log
if grep -rqs "Rotate-Test-$$" "$work"/n*/logs "$work"/*.out "$work/step.out"; then
    not_ok "the PFX password appears in output or logs"
else
    ok "the PFX password appears in no output or log"
fi

for i in 1 2 3; do stop "n$i"; done
shtest_done
