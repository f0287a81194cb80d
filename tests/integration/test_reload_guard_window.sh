#!/usr/bin/env bash
# test_reload_guard_window.sh - [tls] strict_guard_window is applied by a
# reload like every other [tls] setting: one that changes it alone answers
# what changed (not "nothing changed") and the node's guard uses the new
# window from then on, while its connections stay (the window is no part of
# their security). One real sipcd ($BASE.3, TLS strict).
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.105}
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE.3":{23000,23001,23002,23003}
shtest_init guardwindow
export TZ=UTC SIPC_PFX_PASSWORD="Guard-Window-$$"
node_home "$work/n" gwindow n "$BASE.3" "$BASE.3"
pair_home "$work/n" && "$BIN/tlstool" --home "$work/n" enable --mode strict >/dev/null ||
    { not_ok "tlstool import, enable"; exit 1; }
sipcd_start "$work/n" || exit 1
at_exit 'kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null'
ctl() { "$BIN/sipcctl" --home "$work/n" --timeout 10000 "$@"; }
run ctl status --json
[ "$(jq -r .guard.window_s "$OUT")" = 600 ] && ok "the default window, 600 s" ||
    bad "guard before the reload: $(jq -c .guard "$OUT")"
printf '[tls]\nstrict_guard_window = 60\n' >>"$work/n/sipc.conf"
run ctl reload
expect "a reload of strict_guard_window alone: applied" 0 \
    'changed: \[tls\] strict_guard_window: 600 s -> 60 s' 'applied at once; the connections stay as they are'
run ctl status --json
[ "$(jq -r .guard.window_s "$OUT")" = 60 ] && ok "the status's guard window is the new one" ||
    bad "guard after the reload: $(jq -c .guard "$OUT")"
# connections replaced after a reload are said once they all are (every
# 500 ms): none is, so nothing is said
sleep 2
if grep -q 'Every connection made before the reload has been replaced' "$work/n"/logs/*.log; then
    not_ok "the reload of the window alone replaced the connections"
else
    ok "no connection replaced"
fi
run ctl reload
expect "the same files again: nothing changed" 0 'nothing changed'
shtest_done
