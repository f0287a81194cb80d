#!/usr/bin/env bash
# test_systemd_unit.sh UNIT SIPCD - the configured sipcd.service passes
# `systemd-analyze verify` with no warning at all (an unknown or misspelled
# directive is only a warning to systemd, and would silently drop hardening).
# ExecStart is pointed at the sipcd of this build, since the installed path
# does not exist before `make install`. Nothing is started. Exit 77 (skipped)
# when systemd-analyze is not installed (apt-get install systemd provides it).
set -uo pipefail
unit=${1:?usage: test_systemd_unit.sh UNIT SIPCD}
sipcd=${2:?usage: test_systemd_unit.sh UNIT SIPCD}
if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "skipped: systemd-analyze is not installed (apt-get install systemd provides it)"
    exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/sipc-unit.XXXXXX")
trap 'rm -rf "$work"' EXIT
fails=0
grep -q '^ExecStart=/.*/sipcd --foreground$' "$unit" && echo "ok - ExecStart runs sipcd --foreground" ||
    { echo "not ok - ExecStart"; fails=1; }
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$unit" && echo "ok - ExecReload sends SIGHUP" ||
    { echo "not ok - ExecReload"; fails=1; }
for d in NoNewPrivileges=yes ProtectSystem=strict ReadWritePaths=/var/lib/sipc PrivateTmp=yes \
    Restart=on-failure Environment=SIPC_HOME=/var/lib/sipc; do
    grep -qx "$d" "$unit" && echo "ok - $d" || { echo "not ok - $d missing"; fails=1; }
done
sed "s|^ExecStart=[^ ]*|ExecStart=$sipcd|" "$unit" >"$work/sipcd.service"
out=$(systemd-analyze verify --man=no "$work/sipcd.service" 2>&1)
rc=$?
if [ "$rc" = 0 ] && [ -z "$out" ]; then
    echo "ok - systemd-analyze verify: no error, no warning"
else
    echo "not ok - systemd-analyze verify (exit $rc):"; echo "$out" | sed 's/^/    /'; fails=1
fi
exit "$fails"
