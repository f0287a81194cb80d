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
. "$(dirname "$0")/../support/shtest.sh"
shtest_init unit
grep -q '^ExecStart=/.*/sipcd --foreground$' "$unit" && ok "ExecStart runs sipcd --foreground" || not_ok "ExecStart"
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$unit" && ok "ExecReload sends SIGHUP" || not_ok "ExecReload"
for d in NoNewPrivileges=yes ProtectSystem=strict ReadWritePaths=/var/lib/sipc PrivateTmp=yes \
    Restart=on-failure Environment=SIPC_HOME=/var/lib/sipc LimitCORE=0; do
    grep -qx "$d" "$unit" && ok "$d" || not_ok "$d missing"
done
sed "s|^ExecStart=[^ ]*|ExecStart=$sipcd|" "$unit" >"$work/sipcd.service"
run systemd-analyze verify --man=no "$work/sipcd.service"
if [ "$RC" = 0 ] && [ ! -s "$OUT" ]; then
    ok "systemd-analyze verify: no error, no warning"
else
    bad "systemd-analyze verify (exit $RC)"
fi
shtest_done
