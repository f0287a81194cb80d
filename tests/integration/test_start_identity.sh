#!/usr/bin/env bash
# test_start_identity.sh - at start every service logs which node it is (id,
# cluster, home) and the mode in effect, in every mode: TLS off (where the
# Port line alone says it only by a missing word), then strict after
# `tlstool enable` and a restart. One node on $BASE.1.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.80}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init startid

need_free "$BASE".1:{23000,23001,23002,23003}
h=$work/n1
one_node_home "$h" idc
abs=$(cd "$h" && pwd -P)
sipcd_start "$h" || exit 1
at_exit "kill -TERM \$sipcd_pid 2>/dev/null"
n=$(each_log "$h" "Service.Start INFO Node n1, cluster idc, home $abs: plaintext only (TLS off: \[tls\] enable = 0)$")
[ "$n" = 4 ] && ok "TLS off: each of the 4 services names node, cluster, home and plaintext" ||
    { not_ok "TLS off: $n of 4 services logged the line"; grep -h "Service.Start" "$h"/logs/DataService_*.log | sed 's/^/    | /'; }
kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null

export SIPC_PFX_PASSWORD="Start-Id-$$"
tt() { "$BIN/tlstool" --home "$h" "$@" >/dev/null; }
tt create -site "$work/c.pfx" && tt import "$work/c.pfx" && tt enable || { not_ok "tlstool set-up"; exit 1; }
sipcd_start "$h" || exit 1
n=$(each_log "$h" "Service.Start INFO Node n1, cluster idc, home $abs: TLS strict (TLS peers only)$")
[ "$n" = 4 ] && ok "strict: each of the 4 services names node, cluster, home and strict" ||
    { not_ok "strict: $n of 4 services logged the line"; grep -h "Service.Start" "$h"/logs/DataService_*.log | sed 's/^/    | /'; }
shtest_done
