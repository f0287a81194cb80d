#!/usr/bin/env bash
# test_versions.sh - every program sipc installs answers --version and -V with
# one first line "NAME (sipc VERSION (protocol N, build ID); ...)", the build
# identity compiled into this tree (sipc-cluster: that of the sipcd beside it,
# even when run from the build folder, where its default DIR is itself).
# Nothing is started: no network.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init versions

id=$(sed -n 's/^#define SIPC_BUILD_ID "\(.*\)"$/\1/p' "$BIN/build_id/sipc_build_id.h")
[ -n "$id" ] && ok "the build tree's identity: $id" || not_ok "no $BIN/build_id/sipc_build_id.h"
for p in sipcd sipcctl tlstool sipc-load sipc-bench sipc-cluster; do
    for v in --version -V; do
        run "$BIN/$p" "$v"
        expect "$p $v names itself and the build" 0 \
            "^$p \(sipc 0\.1\.0 \(protocol 1, build $id\); TLS engine: "
    done
done
# from the build folder, sipc-cluster's default DIR (./sipc-cluster) is the
# program itself: --version needs no DIR
run bash -c "cd '$BIN' && ./sipc-cluster --version"
expect "sipc-cluster --version from the build folder" 0 "^sipc-cluster \(sipc .*build $id\)"
shtest_done
