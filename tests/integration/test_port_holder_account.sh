#!/usr/bin/env bash
# test_port_holder_account.sh - a port in use at start (exit 71) as a
# non-root account sees it, with real sipcd run as uid 65534 (setpriv):
#   - held by another sipcd of the same account: a sipcd makes itself
#     non-dumpable, so its /proc/PID/fd is root's, yet it is named (pid and
#     home), as a guess, as this account's only such sipcd whose sipc.conf
#     names that address and port, not blamed on another account
#   - held by another non-dumpable process of the same account (no sipcd):
#     "of this account that is not dumpable", not "of another account";
#     the same while that account runs one sipcd on another address, which
#     is not named
#   - held by root's process: "of another account (only root can see which)"
# Root only (setpriv to a throwaway uid); exit 77 (skipped) otherwise.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.33}
# python3 of the system: root's own (a pyenv under /root) is not uid 65534's
py=/usr/bin/python3
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null || [ ! -x "$py" ]; then
    echo "skipped: needs root, setpriv and $py (runs sipcd as uid 65534)"
    exit 77
fi
. "$(dirname "$0")/../support/shtest.sh"
shtest_init portacct
need_free "$BASE".{1,2,3}:{23000,23001,23002,23003}
chmod 755 "$work"
printf '#!/bin/sh\nexec setpriv --reuid 65534 --regid 65534 --clear-groups "%s" "$@"\n' \
    "$BIN/sipcd" >"$work/as-65534"
chmod 755 "$work/as-65534"
# home NAME N: $work/NAME, node NAME at $BASE.N, owned by uid 65534
home() {
    mkdir -p "$work/$1"
    printf '[node]\nid = %s\naddress = %s.%s\n[cluster]\nname = acct\nnodes = %s.%s\n' \
        "$1" "$BASE" "$2" "$BASE" "$2" >"$work/$1/sipc.conf"
    chown -R 65534:65534 "$work/$1"
}

home a 1
home b 1
if SIPCD=$work/as-65534 sipcd_start "$work/a"; then
    first=$sipcd_pid
    # $sipcd_pid is setpriv's, which exec'd sipcd: the same pid
    run timeout 10 "$work/as-65534" --home "$work/b"
    expect "a sipcd of the same account holds the port: exit 71, named with its home" 71 \
        "Port 23002 is probably held by pid $first \(sipcd, [^,]*, home $work/a\) \(not verified: the port is this account's, this is its only sipcd whose descriptors cannot be read, and its sipc.conf names this address and port; .sudo ss -ltnp 'sport = :23002'. names the holder\): a sipcd of another home on the same address and port" &&
        { grep -q "another account" "$OUT" && bad "blamed on another account" ||
            ok "not blamed on another account"; }
else
    not_ok "sipcd did not start as uid 65534"
fi

# hold [COMMAND...]: python3, through COMMAND (setpriv, which execs it: one
# pid), holds $BASE.2:23002, not dumpable, for 20 s at most ($holder)
home c 2
hold() {
    rm -f "$work/held"
    "$@" "$py" -c '
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 23002)); s.listen(1)
print("held", flush=True); time.sleep(20)
' "$BASE.2" >"$work/held" &
    holder=$!
    sc_wait 5 test -s "$work/held"
}
if hold setpriv --reuid 65534 --regid 65534 --clear-groups; then
    # sipcd a still runs, on $BASE.1 only: its sipc.conf rules it out
    run timeout 10 "$work/as-65534" --home "$work/c"
    expect "another non-dumpable process of the same account, its one sipcd elsewhere: said so" \
        71 "Port 23002 is held by another process of this account that is not dumpable, as sipcd, tlstool and sipcctl make themselves \(only root can see which\)" &&
        { grep -q "pid ${first:-none}" "$OUT" && bad "the sipcd on $BASE.1 is named" ||
            ok "the sipcd on $BASE.1 is not named"; }
    [ -n "${first:-}" ] && kill -TERM "$first" && wait "$first"
    run timeout 10 "$work/as-65534" --home "$work/c"
    expect "another non-dumpable process of the same account: said so" 71 \
        "Port 23002 is held by another process of this account that is not dumpable, as sipcd, tlstool and sipcctl make themselves \(only root can see which\)"
else
    not_ok "could not take $BASE.2:23002 as uid 65534"
fi
kill "$holder"
wait "$holder" 2>/dev/null
if hold; then
    run timeout 10 "$work/as-65534" --home "$work/c"
    expect "root's process: another account" 71 \
        "Port 23002 is held by another process of another account \(only root can see which\)"
else
    not_ok "could not take $BASE.2:23002 as root"
fi
kill "$holder"
wait "$holder" 2>/dev/null
shtest_done
