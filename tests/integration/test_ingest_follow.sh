#!/usr/bin/env bash
# test_ingest_follow.sh - a running `sipcctl ingest -` follows its own home
# when the TLS mode of the node is changed with `tlstool ... --reload` on that
# same home (docs/operator-guide.md 1.5, 1.7), with real nodes: n1 on
# $BASE.1 (TLS strict), n2 on $BASE.2 (TLS off, no pair), standard ports,
# each ingest fed slowly from a FIFO (a record every 50 ms):
#   - the rollback of 1.7 on n1's home (`tlstool mode permissive --reload`,
#     then `tlstool disable --reload`) while an ingest from that home runs:
#     it says it follows the home and ends with exit 0, every record
#     acknowledged, none twice
#   - at the same time an ingest from a copy of n1's home made before (its
#     TLS still strict) fails, exit 76, and says its home did not change:
#     a client never leaves TLS on its own
#   - and one from another copy whose sipc.conf is broken before the
#     change: it cannot follow, and says why (exit 78)
#   - and one from a copy whose [tls] enable line is gone (as in a sipc.conf
#     cut short or being written: TLS off by default): it does not leave
#     strict TLS on that, exit 76, saying why
#   - the other way: n2's home gets the pair and `tlstool enable --mode
#     strict --reload --force` while an ingest from it runs in plaintext,
#     its producer quiet from before the change to 4 s after it (the link
#     redials meanwhile, refused, and backs off beyond the ingest's --timeout
#     2000):
#     it follows the home to strict TLS, exit 0, everything acknowledged
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.47}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE".{1,2}:{23000,23001,23002,23003}
shtest_init follow
export SIPC_PFX_PASSWORD="Follow-Test-$$"
N=120 # records per ingest: 6 s at one every 50 ms

node_home "$work/n1" follow n1 "$BASE.1" "$BASE.1"
node_home "$work/n2" follow2 n2 "$BASE.2" "$BASE.2"
"$BIN/tlstool" create -site "$work/cluster.p12" >/dev/null &&
    "$BIN/tlstool" --home "$work/n1" import "$work/cluster.p12" >/dev/null &&
    "$BIN/tlstool" --home "$work/n1" enable --mode strict >/dev/null ||
    { echo "cannot set up n1's TLS"; exit 1; }
# the copy: sipc.conf and the pair, TLS strict as n1's is now
mkdir -p "$work/copy"
cp "$work/n1/sipc.conf" "$work/copy/" && cp -a "$work/n1/security" "$work/copy/"
cp -a "$work/copy" "$work/broken"
cp -a "$work/copy" "$work/noline"
sipcd_start_all "$work/n1" "$work/n2" || exit 1

# feed FIFO PREFIX [AFTER FLAG SECONDS]: N records into FIFO, one every 50
# ms; after record AFTER it waits for the file FLAG (the change made: up to
# 60 s, so that a slow machine cannot end the feed before it), then SECONDS
# more (in the background; the pid in $feed_pid). The reader gone (a failed
# ingest) ends it.
feed() {
    (
        exec 3>"$1"
        for i in $(seq 1 $N); do
            printf '{"id":"%s-%04d","timestamp_ms":%d,"body":"record %d"}\n' "$2" "$i" \
                $((1764000000000 + i)) "$i" >&3 || exit 0
            sleep 0.05
            if [ "$i" = "${3:-}" ]; then
                for _ in $(seq 1 600); do [ -e "$4" ] && break; sleep 0.1; done
                sleep "$5"
            fi
        done
    ) 2>/dev/null &
    feed_pid=$!
}
# ingest NAME HOME [MS]: sipcctl ingest - from HOME with --timeout MS (5000),
# reading the FIFO $work/NAME.in, its answer in $work/NAME.json, stderr in
# $work/NAME.err (in the background, the pid in $ingest_pid)
ingest() {
    mkfifo "$work/$1.in"
    "$BIN/sipcctl" --home "$2" --timeout "${3:-5000}" ingest - --json <"$work/$1.in" >"$work/$1.json" \
        2>"$work/$1.err" &
    ingest_pid=$!
}
# finished NAME PID: waits for the ingest; its exit code in $RC
finished() { wait "$2"; RC=$?; }
summary() { jq -c '{sent, acknowledged, unavailable, read_not_sent, home_changes_followed}' "$1" 2>&1; }

# --- the rollback of 1.7 on n1's home --------------------------------------
ingest own "$work/n1"
own_pid=$ingest_pid
feed "$work/own.in" own $((N - 20)) "$work/changed" 0
own_feed=$feed_pid
ingest copy "$work/copy"
copy_pid=$ingest_pid
feed "$work/copy.in" copy $((N - 20)) "$work/changed" 0
copy_feed=$feed_pid
ingest broken "$work/broken"
broken_pid=$ingest_pid
feed "$work/broken.in" broken $((N - 20)) "$work/changed" 0
broken_feed=$feed_pid
ingest noline "$work/noline"
noline_pid=$ingest_pid
feed "$work/noline.in" noline $((N - 20)) "$work/changed" 0
noline_feed=$feed_pid
sleep 1.5
"$BIN/tlstool" --home "$work/n1" mode permissive --reload >"$work/permissive.out" 2>&1 ||
    { not_ok "tlstool mode permissive --reload: exit $?"; shtest_show "$work/permissive.out"; }
sleep 1.5
printf 'no_such_key = 1\n' >>"$work/broken/sipc.conf"
grep -v '^enable' "$work/noline/sipc.conf" >"$work/noline.conf" && cat "$work/noline.conf" >"$work/noline/sipc.conf"
"$BIN/tlstool" --home "$work/n1" disable --reload >"$work/disable.out" 2>&1 ||
    { not_ok "tlstool disable --reload: exit $?"; shtest_show "$work/disable.out"; }
touch "$work/changed"
wait "$own_feed" "$copy_feed" "$broken_feed" "$noline_feed" 2>/dev/null
finished own "$own_pid"
if [ "$RC" = 0 ] && [ "$(jq .acknowledged "$work/own.json")" = $N ] &&
    [ "$(jq .created "$work/own.json")" = $N ] && [ "$(jq .home_changes_followed "$work/own.json")" = 1 ] &&
    grep -q "^sipcctl: this home's TLS setup ($work/n1) changed during this run (TLS strict -> TLS off, the imported pair offered first): sipcctl follows it" "$work/own.err"; then
    ok "strict -> permissive -> off on its own home: ingest follows it, all $N acknowledged: $(grep follows "$work/own.err")"
else
    not_ok "strict -> permissive -> off on its own home: exit $RC, $(summary "$work/own.json")"
    shtest_show "$work/own.err"
fi
# the records went in once each
got=$("$BIN/sipcctl" --home "$work/n1" search --json --limit 1000 'record' 2>/dev/null |
    jq '[.hits[]? | .id | select(startswith("own-"))] | length')
[ "$got" = $N ] && ok "... n1 holds the $N records" || not_ok "... n1 holds $got records of own-, want $N"

finished copy "$copy_pid"
if [ "$RC" = 76 ] && ! grep -q "follows it" "$work/copy.err" &&
    grep -q "peer speaks plaintext where TLS is required.*this home ($work/copy) still says TLS strict, as sipcctl dials: it changes its TLS only with its own home" "$work/copy.err"; then
    ok "the same from a copy of the home made before: exit 76, not followed: $(summary "$work/copy.json")"
else
    not_ok "the same from a copy of the home made before: exit $RC, want 76, $(summary "$work/copy.json")"
    shtest_show "$work/copy.err"
fi

finished broken "$broken_pid"
if [ "$RC" = 78 ] && grep -q "peer speaks plaintext where TLS is required.*this home ($work/broken), read again to follow the node's change, cannot be loaded: .*no_such_key" "$work/broken.err"; then
    ok "the same from a copy whose sipc.conf was broken meanwhile: exit 78, saying why"
else
    not_ok "the same from a copy whose sipc.conf was broken meanwhile: exit $RC, want 78, $(summary "$work/broken.json")"
    shtest_show "$work/broken.err"
fi

finished noline "$noline_pid"
if [ "$RC" = 76 ] && ! grep -q "follows it" "$work/noline.err" &&
    grep -q "peer speaks plaintext where TLS is required.*this home's sipc.conf ($work/noline/sipc.conf) does not say \[tls\] enable at all" "$work/noline.err"; then
    ok "the same from a copy whose [tls] enable line is gone: exit 76, strict TLS not left"
else
    not_ok "the same from a copy whose [tls] enable line is gone: exit $RC, want 76, $(summary "$work/noline.json")"
    shtest_show "$work/noline.err"
fi

# --- the other way: off, no pair -> strict on n2's home --------------------
# The producer pauses from before the change to 4 s after it: n2 closes the
# idle connection, and the link's redials, refused for their mode, back off
# to seconds apart, longer than this ingest's --timeout of 2 s; the next
# record brings the redial forward (a waiting call does), which fails and
# has the batch follow the home within that time
ingest up "$work/n2" 2000
up_pid=$ingest_pid
feed "$work/up.in" up 20 "$work/enabled" 4
up_feed=$feed_pid
sleep 2
{ "$BIN/tlstool" --home "$work/n2" import "$work/cluster.p12" &&
    "$BIN/tlstool" --home "$work/n2" enable --mode strict --reload --force; } >"$work/enable.out" 2>&1 ||
    { not_ok "tlstool import, enable --mode strict --reload --force: exit $?"; shtest_show "$work/enable.out"; }
touch "$work/enabled"
wait "$up_feed" 2>/dev/null
finished up "$up_pid"
if [ "$RC" = 0 ] && [ "$(jq .acknowledged "$work/up.json")" = $N ] &&
    [ "$(jq .home_changes_followed "$work/up.json")" = 1 ] &&
    grep -q "^sipcctl: this home's TLS setup ($work/n2) changed during this run (TLS off -> TLS strict): sipcctl follows it" "$work/up.err"; then
    ok "off -> strict on its own home: ingest follows it, all $N acknowledged"
else
    not_ok "off -> strict on its own home: exit $RC, $(summary "$work/up.json")"
    shtest_show "$work/up.err"
    shtest_show "$work/enable.out"
fi
shtest_done
