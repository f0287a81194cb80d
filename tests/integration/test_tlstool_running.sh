#!/usr/bin/env bash
# test_tlstool_running.sh - tlstool and the node running from its home, with
# a real node n1 on $BASE.1 (standard ports) and a plaintext sipcctl from a
# home without the pair (c2):
#   - `tlstool status` says the mode sipc.conf configures and the mode the
#     running node is in (asked of it, as `sipcctl status` asks): no node
#     (the home's lock is free), the same mode, a change not applied (no
#     --reload), a start held back by the strict guard (with since when and
#     what to do), a stopped node (running mode unknown, and why); --json
#     has it all in "running"
#   - `tlstool import` of another pair than the installed one, with TLS on,
#     is refused (exit 7, nothing changed) naming `tlstool rotate`; with
#     --force it installs it with a warning that every node must get it and
#     without the plain SIGHUP advice; `tlstool status` then says that the
#     node (presenting the replaced pair) cannot be asked, and why, and
#     neither says the peers hold the replaced pair (--force is also how
#     the odd node out takes the pair its peers hold); importing
#     the replaced pair back is refused naming it, and --force puts it back
#   - the home's lock decides whether a node runs, not the pid in its file
#   - `import` with TLS off, and `enable`/`mode` without --reload, say what
#     the node running from the home runs (read from state/tls-running),
#     unchanged by them, and import gives the one next step that fits: a
#     node's home no sipcd runs from, a client-only home (no running line),
#     a node running in plaintext
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.59}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init tlstool_running
ctl() { "$BIN/sipcctl" --timeout 5000 "$@"; }
tt() { "$BIN/tlstool" --home "$work/n1" "$@"; }
need_free "$BASE.1":{23000,23001,23002,23003}
badf() { not_ok "$1"; shtest_show "$2"; }

export SIPC_PFX_PASSWORD="Running-Test-$$"
one_node_home "$work/n1" running
one_node_home "$work/c2" running # a client without the pair: plaintext
tt create -site "$work/cluster.pfx" >/dev/null
tt import "$work/cluster.pfx" >"$work/imp0.out" 2>&1 &&
    grep -q "^running: no sipcd runs from this home: one started from it runs what sipc.conf says$" "$work/imp0.out" &&
    grep -q "^next: \`tlstool enable\` (strict) before sipcd starts here, as on every node of a new cluster; for a node of a cluster that runs in plaintext, \`tlstool enable --mode permissive\` instead" "$work/imp0.out" &&
    ! grep -q "client-only" "$work/imp0.out" &&
    ok "import in a node's home no sipcd runs from: says so, and the one next step, enable" || badf "import, no node" "$work/imp0.out"
# a client-only home as the operator guide (1.3) makes one: [cluster] name
# and nodes, no [node]
mkdir -p "$work/cc" && printf '[cluster]\nname = running\nnodes = %s.1:23000\n' "$BASE" >"$work/cc/sipc.conf"
"$BIN/tlstool" --home "$work/cc" import "$work/cluster.pfx" >"$work/impc.out" 2>&1 &&
    ! grep -q "^running:" "$work/impc.out" &&
    grep -q "^next: nothing more here: a client-only home (no \[node\] key in its sipc.conf, its \[cluster\] nodes all others, and no sipcd running or ever run from it (no state/): docs/operator-guide.md, 1.3) needs no enable" "$work/impc.out" &&
    ! grep -q "enable --mode permissive" "$work/impc.out" &&
    ok "import in a client-only home: no running line, no enable advised" || badf "import, client-only home" "$work/impc.out"
tt enable --mode permissive >/dev/null || not_ok "enable"
fp() { tt status --json | jq -r '.certificate.fingerprint_sha256'; }
cluster_fp=$(fp)

# --- no node ---------------------------------------------------------------
tt status >"$work/s0.txt" 2>&1
grep -q "^running: *no node: no sipcd runs from this home (its lock, .*state/sipcd.lock, is free)" "$work/s0.txt" &&
    tt status --json | jq -e '.running.state == "not_running"' >/dev/null &&
    ok "status without a node: no sipcd runs from this home" || badf "status, no node" "$work/s0.txt"

start() { sipcd_start "$work/n1" || exit 1; node_pid=$sipcd_pid; }
stop() { kill -TERM "$node_pid"; wait "$node_pid"; node_pid=; }
at_exit 'if [ -n "${node_pid:-}" ]; then kill -CONT "$node_pid"; kill -TERM "$node_pid"; fi 2>/dev/null'
start

# --- the same mode -----------------------------------------------------------
tt status >"$work/s1.txt" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q "^TLS: *enabled (configured: mode permissive," "$work/s1.txt" &&
    grep -q "^running: *permissive, as configured (sipcd pid $node_pid)$" "$work/s1.txt" &&
    tt status --json | jq -e --argjson p "$node_pid" '.running.state == "asked" and .running.pid == $p and .running.tls_mode == "permissive" and .running.as_configured == true and .tls_mode == "permissive"' >/dev/null &&
    ok "status: configured and running permissive" || badf "status, same mode (exit $rc)" "$work/s1.txt"

# a plaintext peer, then strict in sipc.conf only (not applied)
ctl --home "$work/c2" ping "$BASE.1" >"$work/ping.out" 2>&1 && grep -q "over plaintext" "$work/ping.out" ||
    badf "plaintext ping from c2" "$work/ping.out"
tt mode strict >"$work/mode.out" 2>&1
grep -q "^running: n1 (sipcd pid $node_pid) runs TLS permissive: unchanged until it reloads or restarts$" "$work/mode.out" &&
    ok "mode strict without --reload: the node still runs permissive, unchanged until it reloads" || badf "mode without --reload" "$work/mode.out"
tt status >"$work/s2.txt" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q "^TLS: *enabled (configured: mode strict," "$work/s2.txt" &&
    grep -q "^running: *permissive (sipcd pid $node_pid): NOT as configured" "$work/s2.txt" &&
    grep -q "^warning: the running node (pid $node_pid) is in mode permissive, not strict as sipc.conf says: the change has not been applied.*sipcctl reload" "$work/s2.txt" &&
    tt status --json | jq -e '.running.tls_mode == "permissive" and .running.as_configured == false and .running.held_back == false and .tls_mode == "strict"' >/dev/null &&
    ok "status: configured strict, running permissive, not applied: reload" || badf "status, change not applied (exit $rc)" "$work/s2.txt"

# --- held back by the strict guard at start ---------------------------------
stop
start
tt status >"$work/s3.txt" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q "^running: *permissive (held back by the strict guard since [0-9T:-]*Z*[^;]*; sipcd pid $node_pid): NOT as configured" "$work/s3.txt" &&
    grep -q "^warning: the running node (pid $node_pid) is in mode permissive, not strict as sipc.conf says: the strict guard held its start back since .*1 peer still spoke plaintext (\`sipcctl status\` names them): move it to TLS, then \`tlstool mode strict --reload\` here" "$work/s3.txt" &&
    tt status --json | jq -e '.running.held_back == true and (.running.held_back_since | type) == "string" and .running.plaintext_peers == 1' >/dev/null &&
    ok "status: running permissive, held back by the strict guard since its start" || badf "status, held back (exit $rc)" "$work/s3.txt"

# --- a stopped node: unknown --------------------------------------------------
kill -STOP "$node_pid"
tt status >"$work/s4.txt" 2>&1
rc=$?
tt status --json >"$work/s4.json" 2>&1
kill -CONT "$node_pid"
[ "$rc" = 0 ] && grep -q "^running: *unknown: sipcd pid $node_pid runs from this home but could not be asked at $BASE.1:23002: " "$work/s4.txt" &&
    jq -e --argjson p "$node_pid" '.running.state == "unknown" and .running.pid == $p and (.running.reason | test("could not be asked"))' "$work/s4.json" >/dev/null &&
    ok "status, node stopped: the running mode is unknown, and why" || badf "status, stopped node (exit $rc)" "$work/s4.txt"

# --- import of another pair over the running TLS node --------------------------
mkdir -p "$work/scratch"
"$BIN/tlstool" --home "$work/scratch" create -site "$work/other.pfx" >/dev/null
tt import "$work/other.pfx" >"$work/i1.out" 2>&1
rc=$?
[ "$rc" = 7 ] && grep -q "not imported: it is another pair .* and TLS is enabled: every node holds the same pair" "$work/i1.out" &&
    grep -q "tlstool rotate stage $work/other.pfx --reload" "$work/i1.out" && grep -q "add --force" "$work/i1.out" &&
    [ "$(fp)" = "$cluster_fp" ] &&
    ok "import of another pair, TLS on: refused (exit 7), pointing to tlstool rotate; nothing changed" ||
    badf "import of another pair without --force (exit $rc)" "$work/i1.out"
tt import "$work/cluster.pfx" >"$work/i0.out" 2>&1 && ! grep -q "another pair" "$work/i0.out" &&
    grep -q "^TLS is enabled: this is the pair that was installed already, so a node running from this home needs no reload$" "$work/i0.out" &&
    ok "import of the same pair again: no --force needed" || badf "import of the same pair" "$work/i0.out"
tt import "$work/other.pfx" --force >"$work/i2.out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q "^warning: this is another pair than the one replaced.*import it on every node" "$work/i2.out" &&
    grep -q "tlstool rotate" "$work/i2.out" &&
    grep -q "which \`tlstool import --force\` replaced, so nothing says this node's peers hold it rather than the new one" "$work/i2.out" &&
    ! grep -q "peers hold:" "$work/i2.out" &&
    ! grep -q "the running node presents the replaced pair until it reloads" "$work/i2.out" &&
    [ "$(fp)" != "$cluster_fp" ] &&
    ok "import --force of another pair: installed, warning that every node must get it, no plain SIGHUP advice, no claim that the peers hold the replaced pair" ||
    badf "import --force of another pair (exit $rc)" "$work/i2.out"
# tlstool now holds the new pair: the node, presenting the replaced one, is
# not asked, and status says why
tt status >"$work/s5.txt" 2>&1
# a forced import may be how the odd node out takes its peers' pair: no
# claim that they hold the replaced one
grep -q "^running: *unknown: sipcd pid $node_pid runs from this home but could not be asked at .*peer certificate rejected.*(this home's pair was replaced: if the node has not reloaded since, it presents the replaced one, sha256 ${cluster_fp:0:16}\.\.\. in security/previous/, which \`tlstool import --force\` replaced, so nothing says this node's peers hold it rather than the new one" "$work/s5.txt" &&
    ! grep -q "which its peers hold" "$work/s5.txt" &&
    ok "status after import --force: the node presents the replaced pair, not said to be its peers'" || badf "status after import --force" "$work/s5.txt"
# the same with the replaced pair trusted here too (a root of trust/): this
# side accepts the node's certificate, and the node, not reloaded, refuses
# this side's; the hint is the same
tt trust add "$work/cluster.pfx" >"$work/t1.out" 2>&1 || badf "trust add of the replaced pair" "$work/t1.out"
tt status >"$work/s5b.txt" 2>&1
grep -q "^running: *unknown: sipcd pid $node_pid runs from this home but could not be asked at .*this side's certificate refused by the peer \[SIPC_ECERTREFUSED, auth\].*(this home's pair was replaced: if the node has not reloaded since, it presents the replaced one, sha256 ${cluster_fp:0:16}\.\.\. in security/previous/" "$work/s5b.txt" &&
    ok "status after import --force, the replaced pair trusted here: the node refuses this side's, and presents the replaced pair" ||
    badf "status after import --force, the replaced pair trusted here" "$work/s5b.txt"
tt trust remove "$cluster_fp" >"$work/t2.out" 2>&1 || badf "trust remove of the replaced pair" "$work/t2.out"
# undoing it: the refusal names the previous pair; --force puts it back
tt import "$work/cluster.pfx" >"$work/i3.out" 2>&1
rc=$?
[ "$rc" = 7 ] && grep -q "note: .*cluster.pfx holds the pair this node had before its last import" "$work/i3.out" &&
    tt import "$work/cluster.pfx" --force >"$work/i4.out" 2>&1 && [ "$(fp)" = "$cluster_fp" ] &&
    grep -q "^warning: this puts back the pair this node had before its last import (security/previous/), in place of the one that import brought" "$work/i4.out" &&
    ! grep -q "peers hold" "$work/i4.out" &&
    tt status >"$work/s6.txt" 2>&1 && grep -q "^running: *strict, as configured\|^running: *permissive (held back" "$work/s6.txt" &&
    ok "importing back the replaced pair: named as such, --force puts it back, and the node answers again" ||
    { badf "import back (exit $rc)" "$work/i3.out"; shtest_show "$work/s6.txt"; }

# the lock decides, not the pid in the file: a home whose state/sipcd.lock
# names a running sipcd that holds no lock on it (here n1's) is unknown, one
# naming a process gone (a sipcd killed) has no node
one_node_home "$work/n9" running
mkdir -p -m 700 "$work/n9/state"
echo "$node_pid" >"$work/n9/state/sipcd.lock"
"$BIN/tlstool" --home "$work/n9" status >"$work/s7.txt" 2>&1
grep -q "^running: *unknown: .*n9/state/sipcd.lock names pid $node_pid, a running sipcd that holds no lock on this home" "$work/s7.txt" &&
    ok "status: a lock file naming another home's sipcd: unknown, not that node's mode" || badf "status, foreign pid in the lock file" "$work/s7.txt"
stop
"$BIN/tlstool" --home "$work/n9" status >"$work/s8.txt" 2>&1
grep -q "^running: *no node: no sipcd runs from this home" "$work/s8.txt" &&
    ok "status: a lock file naming a process gone: no node" || badf "status, stale lock file" "$work/s8.txt"

# --- a node running in plaintext, the pair imported --------------------------
tt disable >/dev/null 2>&1 || not_ok "disable"
start
tt import "$work/cluster.pfx" >"$work/imp1.out" 2>&1 &&
    grep -q "^running: n1 (sipcd pid $node_pid) runs TLS off: unchanged by this import: its TLS stays off until \`tlstool enable\` and a reload$" "$work/imp1.out" &&
    grep -q "^next: import the pair on every node, then \`tlstool enable --mode permissive --reload\` here and on each of them" "$work/imp1.out" &&
    ! grep -q "client-only\|(strict)" "$work/imp1.out" &&
    ok "import beside a node running plaintext: it runs TLS off, unchanged; next: enable --mode permissive --reload" || badf "import, plaintext node" "$work/imp1.out"
tt enable --mode permissive >"$work/en1.out" 2>&1 &&
    grep -q "^running: n1 (sipcd pid $node_pid) runs TLS off: unchanged until it reloads or restarts$" "$work/en1.out" &&
    ok "enable without --reload: the node still runs TLS off until it reloads" || badf "enable without --reload" "$work/en1.out"
stop
shtest_done
