#!/usr/bin/env bash
# test_reload_oversize_trust.sh - a trust/ or crl/ file over the loader's
# 16 MiB (a sparse file) is refused by a reload for the reason a start
# gives, although the reload's look for changes cannot read it: the reload
# loads the files whatever that look found, so such a file cannot pass as
# "nothing changed". sipcctl refuses the home as the node would, so the
# reload is asked by SIGHUP. On $BASE.1.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.127}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init oversize
need_free "$BASE.1":{23000,23001,23002,23003}
export SIPC_PFX_PASSWORD="Oversize-Trust-$$"
home=$work/n1
one_node_home "$home" oversize
pair_home "$home" || exit 1
"$BIN/tlstool" --home "$home" enable --mode permissive >/dev/null || { echo "cannot enable TLS"; exit 1; }
for d in trust crl; do
    mkdir -p "$home/security/$d" && chmod 700 "$home/security/$d"
done
sipcd_start "$home" || exit 1
at_exit "kill -TERM \$sipcd_pid 2>/dev/null"
# refused_since N: the reload refusals the data service logged after its
# first N lines, the reason alone
refused_since() {
    tail -n +"$(($1 + 1))" "$home/logs/"DataService_*.log |
        sed -n 's/.*Service.Reload ERROR reload refused: \(.*\); the running setup stays$/\1/p'
}
refused_seen() { [ -n "$(refused_since "$1")" ]; }
for d in trust crl; do
    f=$home/security/$d/huge.pem
    truncate -s 17M "$f" && chmod 600 "$f"
    lines=$(cat "$home/logs/"DataService_*.log | wc -l)
    kill -HUP "$sipcd_pid"
    wait_for 10 refused_seen "$lines" || { echo "# the data service's log ends:"; tail -n 5 "$home/logs/"DataService_*.log; }
    why=$(refused_since "$lines")
    [ "$why" = "$f is larger than 16777216 bytes: not a certificate file" ] &&
        ok "a reload with a $d/ file of 17 MiB is refused for its size" ||
        bad "a reload with a $d/ file of 17 MiB: refused for '$why'"
    kill -TERM "$sipcd_pid" && wait "$sipcd_pid"
    run timeout 20 "$BIN/sipcd" --home "$home"
    [ "$RC" != 0 ] && grep -qF "Cannot start Data Service: $why" "$OUT" &&
        ok "a start refuses the $d/ file for the reason the reload gave" ||
        bad "a start with the $d/ file of 17 MiB: exit $RC, not for '$why'"
    rm "$f"
    sipcd_start "$home" || exit 1
done
shtest_done
