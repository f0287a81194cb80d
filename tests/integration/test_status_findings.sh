#!/usr/bin/env bash
# test_status_findings.sh - findings of `sipcctl status --cluster` on real
# nodes (three sipcd, the pair imported, TLS off, BASE.1-3):
#   - a typo in one node's [cluster] nodes (a port) is named as that node's
#     list differing from the others', with both entries (nodes_mismatch)
#   - right after `tlstool enable --mode permissive --reload` on n2, the
#     answer n3 gets from n2 still comes over its plaintext connection made
#     before (retired within a second or two): no plaintext_node for it
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.60}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init findings
need_free "$BASE".{1,2,3}:{23000,23001,23002,23003}

export SIPC_PFX_PASSWORD=Findings-Test-$$
mkdir -p "$work/c"
"$BIN/tlstool" --home "$work/c" create -site "$work/c.pfx" >/dev/null || { echo "create"; exit 1; }
nodes="$BASE.1:23000, $BASE.2:23000, $BASE.3:23000"
for i in 1 2 3; do
    node_home "$work/n$i" findings "n$i" "$BASE.$i" "$nodes"
    "$BIN/tlstool" --home "$work/n$i" import "$work/c.pfx" >/dev/null || { echo "import n$i"; exit 1; }
done
# n1's list: n3's port mistyped
node_home "$work/n1" findings n1 "$BASE.1" "$BASE.1:23000, $BASE.2:23000, $BASE.3:2300"
sipcd_start_all "$work/n1" "$work/n2" "$work/n3" || exit 1
ctl() { local h=$1; shift; "$BIN/sipcctl" --home "$work/$h" --timeout 5000 "$@"; }

run ctl n2 status --cluster
expect "a typo in n1's [cluster] nodes: named, with both entries" 1 \
    "n1's \[cluster\] nodes differs from n2's, n3's: n1 lists $BASE.3:2300, which n2, n3 do not; n2, n3 list $BASE.3:23000, which n1 lacks; correct \[cluster\] nodes in n1's sipc.conf"

# n2 to permissive; n3 (TLS off) asks at once, and a few times while n2
# retires its connections made before
"$BIN/tlstool" --home "$work/n2" enable --mode permissive --reload >"$work/en.out" 2>&1 ||
    { not_ok "enable --mode permissive --reload on n2"; cat "$work/en.out"; }
flagged=0 plain=0
for k in 1 2 3 4 5 6 7 8 9 10; do
    ctl n3 status --cluster --json 2>/dev/null >"$work/cl.json"
    [ "$(jq -r '.nodes[] | select(.node.id == "n2") | .reached_over' "$work/cl.json")" = plaintext ] &&
        plain=$((plain + 1))
    jq -e '[.problems[] | select(.kind == "plaintext_node")] | length > 0' "$work/cl.json" >/dev/null &&
        flagged=$((flagged + 1))
    sleep 0.2
done
[ "$plain" -gt 0 ] && echo "# n2 answered n3 over a plaintext connection made before its reload $plain times" ||
    echo "# n2's old connection was retired before the first look: nothing to check (timing)"
[ "$flagged" = 0 ] && ok "no plaintext_node while n2 retires its connections made before the reload" ||
    not_ok "plaintext_node flagged $flagged times after the reload to permissive"
shtest_done
