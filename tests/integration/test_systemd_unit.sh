#!/usr/bin/env bash
# test_systemd_unit.sh UNIT SIPCD SYSUSERS - the configured sipcd.service
# passes `systemd-analyze verify` with no warning at all (an unknown or
# misspelled directive is only a warning to systemd, and would silently drop
# hardening), runs sipcd as the account SYSUSERS (sysusers.d) declares, with
# no capability, and `systemd-analyze security` rates it 2.0 or better.
# ExecStart is pointed at the sipcd of this build, since the installed path
# does not exist before `make install`. Nothing is started. Exit 77 (skipped)
# when systemd-analyze is not installed (apt-get install systemd provides it).
set -uo pipefail
unit=${1:?usage: test_systemd_unit.sh UNIT SIPCD}
sipcd=${2:?usage: test_systemd_unit.sh UNIT SIPCD SYSUSERS}
sysusers=${3:?usage: test_systemd_unit.sh UNIT SIPCD SYSUSERS}
if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "skipped: systemd-analyze is not installed (apt-get install systemd provides it)"
    exit 77
fi
. "$(dirname "$0")/../support/shtest.sh"
shtest_init unit
grep -q '^ExecStart=/.*/sipcd --foreground$' "$unit" && ok "ExecStart runs sipcd --foreground" || not_ok "ExecStart"
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$unit" && ok "ExecReload sends SIGHUP" || not_ok "ExecReload"
for d in NoNewPrivileges=yes ProtectSystem=strict ReadWritePaths=/var/lib/sipc PrivateTmp=yes \
    Restart=on-failure Environment=SIPC_HOME=/var/lib/sipc LimitCORE=0 User=sipc Group=sipc \
    CapabilityBoundingSet= AmbientCapabilities= ProtectHome=yes \
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX'; do
    grep -qx "$d" "$unit" && ok "$d" || not_ok "$d missing"
done
! grep -q '^DynamicUser=' "$unit" && ok "no DynamicUser= beside User=" || not_ok "DynamicUser= set"
# the account the unit runs as is the one systemd-sysusers makes
user=$(sed -n 's/^User=//p' "$unit")
grep -Eq "^u[[:space:]]+$user[[:space:]]+-[[:space:]].*[[:space:]]/var/lib/sipc\$" "$sysusers" &&
    ok "sysusers.d declares $user, home /var/lib/sipc" || not_ok "sysusers.d: $(grep -v '^#' "$sysusers")"
sed "s|^ExecStart=[^ ]*|ExecStart=$sipcd|" "$unit" >"$work/sipcd.service"
run systemd-analyze verify --man=no "$work/sipcd.service"
if [ "$RC" = 0 ] && [ ! -s "$OUT" ]; then
    ok "systemd-analyze verify: no error, no warning"
else
    bad "systemd-analyze verify (exit $RC)"
fi
run systemd-analyze security --offline=true --threshold=20 "$work/sipcd.service"
if [ "$RC" = 0 ]; then
    ok "systemd-analyze security: $(grep -o 'Overall exposure level.*' "$OUT")"
else
    bad "systemd-analyze security rates it worse than 2.0 (exit $RC)"
fi
shtest_done
