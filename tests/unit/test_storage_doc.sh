#!/usr/bin/env bash
# test_storage_doc.sh - docs/operator-guide.md's row for failing storage says
# what the data service does: a full disk that got room again works again
# within the bound its timers give (a test write looked at every
# SIPC_DATA_PROBE_MS, made once HEALTH_QUIET_MS have passed since the last
# failed write: up to their sum), and "reads are served" on a read-only file
# system is said with the case services.md documents where nothing is: a
# start after a clean stop, the -shm file gone.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init storage-doc
root=$(cd "$(dirname "$0")/../.." && pwd)
guide=$root/docs/operator-guide.md
services=$root/docs/services.md

quiet=$(sed -n 's/^#define HEALTH_QUIET_MS \([0-9]*\)$/\1/p' "$root/services/data/data_service_impl.h")
probe=$(sed -n 's/^#define SIPC_DATA_PROBE_MS \([0-9]*\)$/\1/p' "$root/services/data/data_service.h")
if [ -n "$quiet" ] && [ -n "$probe" ]; then
    bound=$(((quiet + probe) / 1000))
    ok "the timers: HEALTH_QUIET_MS $quiet, SIPC_DATA_PROBE_MS $probe: back within $bound s"
else
    not_ok "HEALTH_QUIET_MS or SIPC_DATA_PROBE_MS not found in services/data/"
    bound=unknown
fi
# the troubleshooting row of `storage: writes FAIL`
row=$(grep -m1 '^| `sipcctl status` shows `storage: writes FAIL since' "$guide")
[ -n "$row" ] && ok "the guide's row for failing writes" || not_ok "no row for 'storage: writes FAIL' in the guide"
if grep -q "Full: make room (256 KiB at least); the node needs no restart: within about $bound s its own test write" <<<"$row"; then
    ok "a full disk: the guide says within about $bound s"
else
    not_ok "a full disk: the guide does not say 'within about $bound s': $(grep -o 'Full: make room[^:]*: within about [0-9]* s' <<<"$row")"
fi
ro=$(grep -o '"read-only file system" (from the start.*fsck and remount it read-write' <<<"$row")
if grep -q 'cannot open a WAL database on a\|SQLite cannot open a database whose -shm' "$services" &&
    grep -q 'reads are served' <<<"$ro" && grep -q 'clean stop' <<<"$ro" && grep -q -- '-shm' <<<"$ro" &&
    grep -q 'serves nothing' <<<"$ro"; then
    ok "a read-only file system: reads are served only while open; after a clean stop (-shm gone) nothing"
else
    not_ok "a read-only file system: the guide's row lacks the -shm case: $ro"
fi
shtest_done
