#!/usr/bin/env bash
# s8_tool_guard.sh - scenario 8: tlstool's own guard refuses a rolling step.
# A strict cluster of two, and a strict node x outside the harness's cluster
# (the cluster's pair, its own home, $NET.3) that n1's sipc.conf lists in
# [cluster] nodes. `tls disable --rolling` turns n1 and n2 permissive, then
# `tlstool disable --reload` on n1 refuses (tlstool exit 16: x runs strict):
# the harness stops with exit 1, as for a node's refusal (not 70, a failure
# of its own), says that nothing changed on n1 and that --force is the way
# through, and n1's sipc.conf still has TLS on.
. "$(dirname "$0")/scenario.sh"

section "a strict cluster of two, and a strict node x outside it"
cluster up -n 2 --tls strict --base "$NET.0" || exit 1
xh=$work/x
mkdir -p "$xh"
printf '[node]\nid = x\naddress = %s.3\n[cluster]\nname = %s\nnodes = %s.3\n' \
    "$NET" "$(jq -r .name "$CL/cluster.json")" "$NET" >"$xh/sipc.conf"
"$BIN/tlstool" --home "$xh" import "$CL/cluster.pfx" --password-file "$CL/password" >"$work/x.out" 2>&1 &&
    "$BIN/tlstool" --home "$xh" enable --mode strict >>"$work/x.out" 2>&1 ||
    { not_ok "x's home: import and enable"; shtest_show "$work/x.out"; exit 1; }
"$BIN/sipcd" --home "$xh" >"$work/x.sipcd" 2>&1 &
xpid=$!
trap '_rc=$?; kill "$xpid" 2>/dev/null; wait "$xpid" 2>/dev/null; (exit $_rc); finish_scenario' EXIT
x_strict() { "$BIN/sipcctl" --home "$xh" --node "$NET.3" --timeout 2000 status --json 2>/dev/null | jq -e '.tls.mode == "strict"' >/dev/null; }
wait_for 20 x_strict && ok "x runs strict at $NET.3" || { not_ok "x did not come up strict"; shtest_show "$work/x.sipcd"; exit 1; }
conf=$(node_home n1)/sipc.conf
sed -i "s/^nodes = .*/&, $NET.3/" "$conf"
grep -q "^nodes = .*$NET\.3\$" "$conf" || { not_ok "x added to n1's [cluster] nodes"; shtest_show "$conf"; }

section "tls disable --rolling: tlstool's guard refuses on n1"
cluster tls disable --rolling >"$OUT" 2>&1
RC=$?
cat "$OUT"
expect "the refusal (tlstool exit 16) stops the procedure with exit 1, not as a software error" 1 \
    "stopped at n1: tlstool's guard refused the step \(exit 16\): another \[cluster\] node runs strict" \
    "Nothing was changed on n1 \(sipc.conf not written, the node not asked\): nothing to put back" \
    "tlstool --home .* disable --reload --force$"
grep -q "$NET\.3 (node x)" "$OUT" && ok "tlstool's reason, naming x, is shown" || not_ok "x not named"
grep -q '^enable = 1$' "$conf" && ok "n1's sipc.conf still has TLS on" || { not_ok "n1's sipc.conf"; shtest_show "$conf"; }
