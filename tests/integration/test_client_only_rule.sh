#!/usr/bin/env bash
# test_client_only_rule.sh - one rule tells a client-only home from a node's
# (docs/operator-guide.md, 1.3; services/common/client_home.c), and every
# command that words its advice by it goes by the same: one real sipcd, n1
# on $BASE.1 (standard ports, plaintext, later permissive), and a table of
# homes, each judged by `tlstool import` (its running and next lines),
# `tlstool rotate stage`/`abort` (the client's note or the node's) and
# `sipcctl status` without --node (exit 64 in a client's home only):
#   A  a node's home: [node], state/                               node
#   B  a client's home made as the operator guide says              client
#   C  n1's home, [node] gone from its sipc.conf while n1 runs      node
#   D  no [node], [cluster] nodes all others, state/ (a sipcd ran)  node
#   E  no [node], a [cluster] entry that is itself by the defaults  node
#   F  an empty home (no sipc.conf: a node on the defaults)         node
#   G  [cluster] name only, no nodes                                node
# Rows C to G dial their node at [node]'s default address, 127.0.0.1, which
# the connect hook moves to 127.1.252.1 (port 24313 checked free there); F,
# which would dial the standard port, is judged by tlstool alone. Then the
# words for one client and one node home of `--reload`, and in a client's
# home the rotation guards' words: what a step does to this home's clients
# (a node refuses their dials, they refuse a node's certificate), never
# "this node". Last, a commit killed between its state file and its pair
# on n1: n1's own status (home_pair.rotation), `tlstool status` and
# `tlstool rotate status` all read it as staged. In a client's home too:
# enable, mode and disable refused (exit 19), nothing written, no state/;
# the words of its rotation's errors, of a stopped commit and of a commit
# that left its staged/ (committed, not "not committed").
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.240}
. "$(dirname "$0")/../support/shtest.sh"
LOCAL=127.1.252.1 # where a dial of 127.0.0.1 goes (connect_hooks.c)
need_free "$BASE".1:{23000,23001,23002,23003} "$BASE.9:23002" "$LOCAL:24313"
shtest_init client_only_rule
export SIPC_PFX_PASSWORD="Client-Only-$$"
hook=(env LD_PRELOAD="$BIN/tests/integration/libconnect_hooks.so" SIPC_TEST_CONNECT_LOCALHOST=$LOCAL)
tt() { local h=$1; shift; "${hook[@]}" "$BIN/tlstool" --home "$work/$h" "$@"; }
ctl() { local h=$1; shift; "${hook[@]}" "$BIN/sipcctl" --home "$work/$h" --timeout 3000 "$@"; }
# the rule as every message gives it (grep -E)
RULE='no \[node\] key in its sipc\.conf, its \[cluster\] nodes all others, and no sipcd running or ever run from it \(no state/\): docs/operator-guide\.md, 1\.3'
ports='[data]\nport = 24311\n[search]\nport = 24312\n[management]\nport = 24313\n[pipeline]\nport = 24314\n'
cluster="[cluster]\nname = cot\nnodes = $BASE.1:23000\n"

node_home "$work/n1" cot n1 "$BASE.1" "$BASE.1:23000"
sipcd_start "$work/n1" || exit 1
n1_conf=$(cat "$work/n1/sipc.conf")
tt n1 create -site "$work/p.pfx" >/dev/null && tt n1 create -site "$work/q.pfx" >/dev/null ||
    { not_ok "create the pairs"; exit 1; }

mkdir -p "$work"/{A,B,D,E,F,G} "$work/A/state" "$work/D/state"
printf '[node]\nid = a\naddress = %s.9\n[cluster]\nname = cot\nnodes = %s.9:23000\n' "$BASE" "$BASE" \
    >"$work/A/sipc.conf"
printf "$cluster" >"$work/B/sipc.conf"
printf "${ports}${cluster}" >"$work/n1/sipc.conf" # C
printf "${ports}${cluster}" >"$work/D/sipc.conf"
printf "${ports}[cluster]\nname = cot\nnodes = 127.0.0.1:24311, $BASE.1:23000\n" >"$work/E/sipc.conf"
printf "${ports}[cluster]\nname = cot\n" >"$work/G/sipc.conf"

for row in A:A:node B:B:client C:n1:node D:D:node E:E:node F:F:node G:G:node; do
    IFS=: read -r r h want <<<"$row"
    # tlstool import: the running line and the next step
    run tt "$h" import "$work/p.pfx"
    cp "$OUT" "$work/$r.import"
    if [ "$want" = client ]; then
        expect "$r ($want): import, no running line, nothing more to do" 0 \
            "^next: nothing more here: a client-only home \($RULE\) needs no enable"
        grep -q '^running:' "$OUT" && bad "$r: import said a running line"
    else
        expect "$r ($want): import, a running line and enable next" 0 '^running: ' \
            '^next: .*`tlstool enable'
        grep -q 'client-only home (' "$OUT" && bad "$r: import called it client-only"
    fi
    # tlstool rotate stage and abort: the client's note or the node's
    for step in "stage $work/q.pfx" abort; do
        # shellcheck disable=SC2086
        run tt "$h" rotate $step --timeout 2000
        if [ "$want" = client ]; then
            expect "$r ($want): rotate ${step%% *}, the client's note" 0 \
                "^this home is client-only \($RULE\): its clients \(sipcctl, programs linking sipc\) use it from now on$"
            grep -q 'this node' "$OUT" && bad "$r: rotate ${step%% *} spoke of this node"
        else
            expect "$r ($want): rotate ${step%% *}, the node's note" 0 \
                '^TLS is not enabled on this node: its clients \(sipcctl\) use it from now on$'
            grep -q 'client-only' "$OUT" && bad "$r: rotate ${step%% *} called it client-only"
        fi
    done
    [ "$r" = F ] && continue
    # sipcctl without --node: a client's home has no node to ask
    run ctl "$h" status
    if [ "$want" = client ]; then
        expect "$r ($want): sipcctl status, give --node" 64 \
            "is a client-only home \($RULE\): it has no node of its own to ask: give --node HOST"
    elif [ "$RC" != 64 ] && ! grep -q 'client-only' "$OUT"; then
        ok "$r ($want): sipcctl status asks the home's own node (exit $RC)"
    else
        bad "$r ($want): sipcctl status took it for a client's home"
    fi
done
# F and G, with neither [node] nor [cluster] nodes, name the client's way too
for r in F G; do
    grep -q '; a client-only home instead needs no enable, once its sipc.conf lists the cluster.s \[cluster\] name and nodes' \
        "$work/$r.import" && ok "$r: import names the client's way too" ||
        { not_ok "$r: import does not name the client's way"; shtest_show "$work/$r.import"; }
done
printf '%s\n' "$n1_conf" >"$work/n1/sipc.conf"

# --reload: a client's home asks no node; a node's asks its own
run tt B rotate stage "$work/q.pfx" --reload
expect "B: --reload asks no node" 0 '^--reload: no sipcd runs from a client-only home: no node was asked$'
run tt A rotate stage "$work/q.pfx" --reload
expect "A: --reload asks its own node" 13 "^tlstool: error: --reload: the node at $BASE\\.9:23002 could not be asked"

# the rotation guards in a client's home (ops: [cluster] nodes n1 and $BASE.2,
# where nothing listens), n1 running permissive with the pair p
mkdir -p "$work/ops"
printf '[cluster]\nname = cot\nnodes = %s.1:23000, %s.2:23000\n' "$BASE" "$BASE" >"$work/ops/sipc.conf"
tt ops import "$work/p.pfx" >/dev/null || not_ok "ops: import"
run tt n1 enable --mode permissive --reload
expect "n1: permissive" 0 "reloaded"
tt ops rotate stage "$work/q.pfx" >/dev/null || not_ok "ops: stage q"
no_node() { grep -q 'this node\|This node' "$OUT" && bad "$1: spoke of this node"; }
run tt ops rotate commit --timeout 2000
expect "ops: commit while n1 has not staged q: refused, this home's clients named" 18 \
    "^tlstool: error: not committed: 1 \[cluster\] node refuses the staged pair \(SHA-256 [0-9a-f]{16}\.\.\.\) this home presents once committed, so this home's clients could not reach it: $BASE\.1:23000 \(node n1\)" \
    "cut this home's clients off from it"
no_node "ops: commit refused"
tt n1 rotate stage "$work/q.pfx" --reload >/dev/null || not_ok "n1: stage q"
run tt ops rotate commit --timeout 2000
expect "ops: commit once n1 staged q, $BASE.2 down: a warning naming this home" 0 \
    "^tlstool: warning: 1 \[cluster\] node could not be asked whether it accepts the staged pair \(SHA-256 [0-9a-f]{16}\.\.\.\) this home presents once committed: $BASE\.2:23000.*refuses this home's dials once committed"
no_node "ops: commit"
run tt ops rotate finish --timeout 2000
expect "ops: finish while n1 presents p: refused, this home's clients named" 18 \
    "^tlstool: error: not finished: 1 \[cluster\] node still presents a certificate that only the pair this home stops trusting at finish \(SHA-256 [0-9a-f]{16}\.\.\.\) vouches for, so this home's clients would refuse its certificate and could not reach it: $BASE\.1:23000 \(node n1\)"
no_node "ops: finish refused"
run tt ops rotate finish --timeout 2000 --force
expect "ops: finish --force: warnings of what this home's clients no longer reach" 0 \
    "^tlstool: warning: --force: finished although 1 \[cluster\] node still presents .*: $BASE\.1:23000 \(node n1\)\. This home's clients refuse it and cannot reach it from now on: " \
    "^tlstool: warning: --force: finished although $BASE\.2:23000 could not be asked the pair it presents: a node that still presents .* is refused by this home's clients from now on, which cannot reach it" \
    '^finished: '
no_node "ops: finish --force"

# enable, mode and disable in a client's home: no node to set, nothing
# written (state/force-strict would make it a node's home)
conf_b=$(cat "$work/B/sipc.conf")
for cmd in "enable --mode strict --reload --force" "mode strict" "disable --force"; do
    # shellcheck disable=SC2086
    run tt B $cmd
    expect "B: $cmd refused, no node here" 19 \
        "^tlstool: error: .*/B is a client-only home \($RULE\): it runs no node whose TLS \`tlstool ${cmd%% *}\` sets, nothing was written; its clients offer TLS whenever a pair is imported, and \`\[tls\] enable = 1\` in its sipc.conf makes them speak TLS only$"
done
[ ! -e "$work/B/state" ] && [ ! -e "$work/B/security/server.tls.conf" ] &&
    [ "$(cat "$work/B/sipc.conf")" = "$conf_b" ] && ok "B: nothing written, no state/" ||
    bad "B: enable, mode or disable wrote: $(ls "$work/B" "$work/B/security")"
run ctl B status
expect "B: still client-only" 64 "is a client-only home"
run tt A enable --mode permissive
expect "A: enable in a node's home goes on" 0 "^TLS enabled \(mode permissive\)"

# a client's rotation in its own words: its errors, a commit that stopped,
# one that left staged/ (exit 14's case: committed)
B_words() { grep -q 'this node' "$OUT" && bad "B: $1 spoke of this node"; }
run tt B rotate finish
expect "B: finish before a commit" 10 "^tlstool: error: the staged pair is not committed on this home:"
tt B rotate abort >/dev/null || not_ok "B: abort"
run tt B rotate finish
expect "B: finish without a rotation" 10 "^tlstool: error: no rotation is in progress on this home$"
B_words "finish"
tt B rotate stage "$work/q.pfx" >/dev/null || not_ok "B: stage q"
cur=$(tt B status --json | jq -r .certificate.fingerprint_sha256)
cp "$work/B/security/rotation" "$work/B.rotation"
printf '# killed\nstate committed\nprevious %s\n' "$cur" >"$work/B/security/rotation"
run tt B rotate status
expect "B: a stopped commit, named as this home's" 0 \
    '^note: a commit on this home stopped before its pair was put in place: security/node.crt still holds'
B_words "rotate status"
run tt B status
expect "B: status names the stopped commit as this home's" 0 '^warning: a commit on this home stopped before'
B_words "status"
cp "$work/B.rotation" "$work/B/security/rotation"
run tt B rotate commit --timeout 1000
expect "B: committed" 0 "^committed: this home now holds the new pair"
# what a commit that could not remove staged/ leaves: its pair there still
mkdir -m 0700 "$work/B/security/staged"
cp -p "$work/B/security/node.crt" "$work/B/security/node.p12" "$work/B/security/staged/"
run tt B status
expect "B: status: the leftover staged/ is committed" 0 \
    "^  staged: +SHA-256 [0-9a-f]{64}, left by the commit of this very pair, which is committed: \`tlstool rotate commit\` again removes security/staged/$"
grep -q 'not committed' "$OUT" && bad "B: status called the leftover not committed"
[ "$(tt B status --json | jq -r .rotation.staged_leftover)" = true ] &&
    ok "B: status --json: staged_leftover" || bad "B: status --json: no staged_leftover"
run tt B rotate status
expect "B: rotate status alike, next step for a client" 0 \
    "^  staged pair: +SHA-256 [0-9a-f]{64} \(.*\), left by the commit of this very pair, which is committed" \
    '^next: once every node has committed \(and was reloaded or restarted\), `tlstool rotate finish` on every node and here$'
B_words "rotate status"
run tt B rotate stage "$work/p.pfx"
expect "B: stage while committed, this home's" 10 "^tlstool: error: a rotation is committed on this home:"

# a commit on n1 killed between its state file (written first) and its pair
cur=$(tt n1 status --json | jq -r .certificate.fingerprint_sha256)
printf '# killed\nstate committed\nprevious %s\n' "$cur" >"$work/n1/security/rotation"
run ctl n1 status --json
[ "$RC" = 0 ] && [ "$(jq -r .home_pair.rotation "$OUT")" = staged ] &&
    ok "n1's status: home_pair.rotation staged, not committed" ||
    bad "n1's status: home_pair.rotation $(jq -r .home_pair.rotation "$OUT" 2>&1) (exit $RC)"
run tt n1 status
expect "tlstool status: staged, and the commit that stopped named with its next step" 0 \
    '^rotation: +staged ' \
    '^warning: a commit on this node stopped before its pair was put in place: .*`tlstool rotate commit` commits it$'
run tt n1 status --json
[ "$(jq -r '[.rotation.state, .rotation.commit_stopped, .rotation.commit_half] | join(" ")' "$OUT")" = "staged true false" ] &&
    ok "tlstool status --json: staged, commit_stopped" || bad "tlstool status --json's rotation"
run tt n1 rotate status
expect "rotate status alike" 0 '^note: a commit on this node stopped before its pair was put in place' \
    '^rotation: staged$'
kill -TERM "$sipcd_pid"
wait "$sipcd_pid"
shtest_done
