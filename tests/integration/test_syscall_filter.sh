#!/usr/bin/env bash
# test_syscall_filter.sh UNIT - every system call sipcd makes is one the
# systemd unit's SystemCallFilter= lets through (a call outside it fails
# with EPERM, which sipcd would meet only in production). sipcd runs under
# strace -f, as uid 65534 when this test is root (the unit's User= is not
# root), on a TLS home at $BASE.3: start, `sipcctl status`, `tlstool
# check`, SIGHUP reload, SIGTERM. The calls seen are compared with the
# unit's allow-list minus its deny-list, each expanded by `systemd-analyze
# syscall-filter`. Exit 77 (skipped) without strace or systemd-analyze.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.39}
unit=${1:?usage: test_syscall_filter.sh UNIT}
for t in strace systemd-analyze; do
    command -v "$t" >/dev/null || { echo "skipped: $t is not installed"; exit 77; }
done
. "$(dirname "$0")/../support/shtest.sh"
shtest_init scfilter
need_free "$BASE".3:{23000,23001,23002,23003}
chmod 755 "$work"

# expand SET...: the system calls of the filter sets (nested @sets expanded)
expand() {
    local s
    for s in "$@"; do
        case $s in
        @*) expand $(systemd-analyze syscall-filter "$s" | sed '1d; /^ *#/d; s/^ *//; /^$/d') ;;
        *) echo "$s" ;;
        esac
    done
}
allow=$(sed -n 's/^SystemCallFilter=\([^~].*\)/\1/p' "$unit")
deny=$(sed -n 's/^SystemCallFilter=~//p' "$unit")
[ -n "$allow" ] && [ -n "$deny" ] || { echo "no SystemCallFilter= allow and deny lines in $unit"; exit 1; }
# systemd lets these through whatever the list (systemd.exec, SystemCallFilter=)
always="execve exit exit_group getrlimit rt_sigreturn sigreturn"
expand $allow $always | sort -u >"$work/allow"
expand $deny | sort -u >"$work/deny"
comm -23 "$work/allow" "$work/deny" >"$work/allowed"
[ "$(wc -l <"$work/allowed")" -gt 100 ] || { echo "the expanded filter is too short: $(wc -l <"$work/allowed")"; exit 1; }

h=$work/h
one_node_home "$h" scf
sed -i "s/$BASE\.1/$BASE.3/g" "$h/sipc.conf"
pair_home "$h" && "$BIN/tlstool" --home "$h" enable >/dev/null || exit 1
as=()
mkdir -p "$work/t"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    chown -R 65534:65534 "$h"
    chown 65534 "$work/t"
    as=(setpriv --reuid 65534 --regid 65534 --clear-groups)
fi
printf '#!/bin/sh\nexec %s strace -f -qq -o "%s" "%s" --foreground "$@"\n' "${as[*]}" "$work/t/trace" \
    "$BIN/sipcd" >"$work/traced-sipcd"
chmod 755 "$work/traced-sipcd"
if SIPCD=$work/traced-sipcd sipcd_start "$h" 60; then
    run "$BIN/sipcctl" --home "$h" status
    expect "sipcctl status on the traced sipcd" 0
    run "$BIN/tlstool" --home "$h" check
    expect "tlstool check on it" 0
    # $sipcd_pid is strace's (setpriv exec'd it); sipcd is its child, and
    # a signal to strace would only detach it
    pid=$(cat /proc/"$sipcd_pid"/task/*/children 2>/dev/null | tr -s ' ' '\n' | head -n1)
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sipcd ] || pid=
    if [ -n "$pid" ]; then
        kill -HUP "$pid"
        wait_for 20 grep -q "Reload requested by SIGHUP" "$h"/logs/*.log &&
            ok "SIGHUP: sipcd reloaded" || not_ok "no 'Reload requested by SIGHUP' in the logs"
        run "$BIN/sipcctl" --home "$h" status
        expect "sipcctl status after SIGHUP" 0
        kill -TERM "$pid"
        wait "$sipcd_pid"
        ok "sipcd stopped on SIGTERM (strace exit $?)"
    else
        not_ok "no sipcd under strace (pid $sipcd_pid)"
    fi
else
    not_ok "sipcd under strace did not start"
fi
sed -n 's/^[0-9]\+ \+\([a-z_0-9]\+\)(.*/\1/p' "$work/t/trace" | sort -u >"$work/used"
n=$(wc -l <"$work/used")
outside=$(comm -23 "$work/used" "$work/allowed" | tr '\n' ' ')
[ "$n" -gt 30 ] && [ -z "$outside" ] &&
    ok "all $n system calls sipcd made are allowed by the unit's SystemCallFilter=" ||
    not_ok "system calls outside the unit's filter (of $n): ${outside:-none, but only $n seen}"
shtest_done
