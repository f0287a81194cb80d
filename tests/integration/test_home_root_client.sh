#!/usr/bin/env bash
# test_home_root_client.sh - root using a home whose node runs as another
# account (the systemd unit's User=sipc), with real sipcd run as uid 65534
# (setpriv) on a TLS home that account owns:
#   - root's `sipcctl status` and `tlstool status` read its security/
#     (owned by the home's owner) and work; nothing in the home changes owner
#   - a trust/ file of a third account is still refused, and the fix names
#     the home's owner, never `chown 0`
# Root only; exit 77 (skipped) otherwise.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.39}
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
    echo "skipped: needs root and setpriv (runs sipcd as uid 65534)"
    exit 77
fi
. "$(dirname "$0")/../support/shtest.sh"
shtest_init homeroot
need_free "$BASE".1:{23000,23001,23002,23003}
chmod 755 "$work"
printf '#!/bin/sh\nexec setpriv --reuid 65534 --regid 65534 --clear-groups "%s" "$@"\n' \
    "$BIN/sipcd" >"$work/as-65534"
chmod 755 "$work/as-65534"

h=$work/h
one_node_home "$h" rootcl
pair_home "$h" && "$BIN/tlstool" --home "$h" enable >/dev/null || exit 1
chown -R 65534:65534 "$h"

if SIPCD=$work/as-65534 sipcd_start "$h"; then
    run "$BIN/sipcctl" --home "$h" status
    expect "root's sipcctl status on a home uid 65534 owns and runs" 0 &&
        { grep -q "belongs to another account" "$OUT" && bad "an ownership complaint" ||
            ok "no ownership complaint"; }
    run "$BIN/tlstool" --home "$h" status
    expect "root's tlstool status on it" 0 &&
        { grep -Eq "belongs to another account|error" "$OUT" && bad "tlstool status complains" ||
            ok "tlstool status complains of nothing"; }
    run "$BIN/tlstool" --home "$h" check
    expect "root's tlstool check on it: the node answers" 0
    others=$(find "$h" ! -uid 65534)
    [ -z "$others" ] && ok "every file in the home is still uid 65534's" ||
        not_ok "files of another owner in the home: $others"

    # a third account's root in trust/: refused, the fix is the owner's chown
    "$BIN/tlstool" --home "$h" trust export >"$h/security/trust/other.pem"
    chown 65533:65533 "$h/security/trust/other.pem"
    chmod 600 "$h/security/trust/other.pem"
    run "$BIN/tlstool" --home "$h" status
    grep -Eq "other.pem belongs to another account \(uid 65533\).*run .chown 65534 $h/security/trust/other.pem. \(uid 65534 owns $h" "$OUT" &&
        ok "a third account's trust/ file: refused, the fix names the home's owner" ||
        bad "a third account's trust/ file: no refusal naming uid 65534"
    grep -q "chown 0 " "$OUT" && bad "advises chown 0" || ok "never advises chown 0"
    kill -TERM "$sipcd_pid"
    wait "$sipcd_pid"
else
    not_ok "sipcd did not start as uid 65534"
fi
shtest_done
