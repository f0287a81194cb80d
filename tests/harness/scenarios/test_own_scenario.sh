#!/usr/bin/env bash
# test_own_scenario.sh - a scenario of one's own runs from the build tree as
# docs/testing.md ("A scenario of your own") says, without the sources:
# the example it shows (that very file) from BUILD/sipc-cluster.d/ with
# SIPC_TEST_BIN unset and the block given as --base takes it (127.X.Y.0),
# its checks, figure and count, its cluster removed at the end; one written
# elsewhere that fails a check exits 1, one that skips exits 77.
# Budget: under 60 s (about 10 s: the example's cluster of two under load).
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
NET=${SIPC_TEST_NET:-127.1.242}
# shellcheck disable=SC1091
. "$(dirname "$0")/../../support/shtest.sh"
shtest_init own-scenario
SRC=$(cd "$(dirname "$0")/../../.." && pwd)
D=$BIN/sipc-cluster.d

# the docs show the example as the file is
awk '/^<!-- example_scenario.sh -->$/ { f = 1; next } f && /^```bash$/ { g = 1; next }
     g && /^```$/ { exit } g' "$SRC/docs/testing.md" >"$work/doc.sh"
cmp -s "$work/doc.sh" "$SRC/tests/harness/scenarios/example_scenario.sh" &&
    ok "docs/testing.md shows example_scenario.sh as it is" ||
    bad "docs/testing.md's example differs from tests/harness/scenarios/example_scenario.sh: $(diff "$work/doc.sh" "$SRC/tests/harness/scenarios/example_scenario.sh" | head -5)"

need_free "$NET".{1,2}:{23000,23001,23002,23003}
run env -u SIPC_TEST_BIN SIPC_TEST_NET="$NET.0" SIPC_SCENARIO_DIR="$work/scenarios" bash "$D/example_scenario.sh"
expect "the example, from the build tree (SIPC_TEST_BIN unset, SIPC_TEST_NET $NET.0)" 0 \
    '^ok - up: 2 nodes' '^ok - restart n2' '^ok - kill and restart 0 acknowledged records lost, 0 errors' \
    '^figure: restart ms ' '^# example_scenario: 5 passed, 0 failed, [0-9]+ ms$'
[ ! -e "$work/scenarios/example_scenario" ] && ok "its cluster is down and its folder gone" ||
    bad "left: $(ls "$work/scenarios/example_scenario")"

mkdir -p "$work/mine"
printf '. "%s/scenario.sh"\nok "one"\nnot_ok "two, failing on purpose"\n' "$D" >"$work/mine/s_fails.sh"
run env SIPC_TEST_NET="$NET" SIPC_SCENARIO_DIR="$work/scenarios" bash "$work/mine/s_fails.sh"
expect "a scenario of its own, elsewhere, failing a check: exit 1" 1 '^not ok - two, failing on purpose$' \
    '^# s_fails: 1 passed, 1 failed'
printf '. "%s/scenario.sh"\nskip "nothing to run here"\n' "$D" >"$work/mine/s_skips.sh"
run env SIPC_TEST_NET="$NET" SIPC_SCENARIO_DIR="$work/scenarios" bash "$work/mine/s_skips.sh"
expect "one that skips: exit 77" 77 '^SKIP: nothing to run here$'

shtest_done
