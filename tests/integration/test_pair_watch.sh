#!/usr/bin/env bash
# test_pair_watch.sh - a running node says when its own certificate expires:
# a real TLS sipcd ($BASE.1, or $SIPC_TEST_HOST; standard ports) with a pair made (under
# faketime) to expire 20 s after the test starts, its check every 0.5 s
# ($SIPCD_PAIR_CHECK_MS). At start every service warns that the pair expires
# "in under an hour"; once it has expired, every service log has exactly one
# ERROR saying so (the next is due an hour later), not only the handshake
# failures of its peers, and that links already up stay up until they
# reconnect while new connections fail.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.62}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init pairwatch
faketime_lib || { echo "# skipped: faketime is not installed"; exit 77; }
HOST=${SIPC_TEST_HOST:-$BASE.1}
need_free "$HOST":{23000,23001,23002,23003}
export SIPC_PFX_PASSWORD="Pair-Watch-$$"
home=$work/n1
mkdir -p "$home"
printf '[node]\nid = n1\naddress = %s\n[cluster]\nname = watch\nnodes = %s\n' "$HOST" "$HOST" >"$home/sipc.conf"
# a one-day pair made one day less 20 s ago (the node starts in a few
# seconds, well before it expires)
faketime_run -86380 "$BIN/tlstool" create -site --days 1 "$work/short.p12" >/dev/null || { echo "cannot create the pair"; exit 1; }
expires=$(($(date +%s) + 20))
"$BIN/tlstool" --home "$home" import "$work/short.p12" >/dev/null
"$BIN/tlstool" --home "$home" enable >/dev/null
SIPCD_PAIR_CHECK_MS=500 sipcd_start "$home" || exit 1
logs() { cat "$home/logs/"*Service_*.log; }
n=$(each_log "$home" "Service.Start WARN certificate '.*' expires in under an hour")
[ "$n" = 4 ] && ok "at start every service warns the pair expires in under an hour" ||
    { not_ok "start warnings: $n of 4 logs"; logs | grep -i expire | head -5; }
_expired_all() { [ "$(each_log "$home" 'Service.Certificate ERROR .*expired')" = 4 ]; }
if wait_for $((expires - $(date +%s) + 15)) _expired_all; then
    ok "once it expired, every service logged an ERROR saying so"
else
    not_ok "no ERROR for the expired pair in every service log"; logs | grep -i "expire" | tail -5
fi
n=$(each_log "$home" 'Service.Certificate ERROR .*expired.* (links and connections already up stay up until they close or reconnect; new connections fail)$')
[ "$n" = 4 ] && ok "the ERROR says that links already up stay up and new connections fail" ||
    { not_ok "$n of 4 ERRORs say what happens to links already up"; logs | grep 'Service.Certificate ERROR' | head -2; }
sleep 2 # four more checks: nothing new to say before an hour has passed
n=$(each_log "$home" 'Service.Certificate ERROR')
[ "$n" = 4 ] && ok "one ERROR in each service log, not one per check" || { not_ok "$n of 4 logs with one ERROR"; logs | grep 'Service.Certificate' | head; }
logs | grep 'Service.Certificate ERROR' | head -n1 | sed 's/^/# /'
shtest_done
