#!/usr/bin/env bash
# test_reload_offguard_self.sh - a node listed in its own [cluster] nodes
# under another spelling than its [node] address (here the address as one
# number, as a host name would be) asks itself the mode it runs when a
# reload goes off; that answer carries its own [node] id, so the guard of
# going off does not count it as a strict peer (the strict guard skips its
# own id too) and says so. Node x at $BASE.1, strict, alone.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.119}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE.1":{23000,23001,23002,23003}
shtest_init offself
export TZ=UTC SIPC_PFX_PASSWORD="Off-Self-$$"
IFS=. read -r o1 o2 o3 <<<"$BASE"
as_number=$(((o1 << 24) + (o2 << 16) + (o3 << 8) + 1))
node_home "$work/x" offself x "$BASE.1" "$as_number"
pair_home "$work/x" && "$BIN/tlstool" --home "$work/x" enable --mode strict >/dev/null ||
    { not_ok "tlstool import, enable on x"; exit 1; }
sipcd_start_all "$work/x" || exit 1
# the operator's home: x's as it was, TLS on, to ask x once it is edited
cp -r "$work/x" "$work/op"
rm -rf "$work/op/logs" "$work/op/state" "$work/op/data"
sed -i 's/^enable = 1$/enable = 0/' "$work/x/sipc.conf"
run "$BIN/sipcctl" --home "$work/op" --node "$BASE.1" --timeout 10000 reload
expect "going off, x listed as $as_number: not refused, the entry said as not counted" 0 \
    'changed: TLS: strict -> off' \
    "not counted as a peer: $as_number \\(node x\\), which answers with this node's own \\[node\\] id"
shtest_done
