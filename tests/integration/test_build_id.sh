#!/usr/bin/env bash
# test_build_id.sh - the build identity (cmake/BuildId.cmake, sipc_build_id()):
#   - the script on scratch git repositories: the commit, a new commit's id
#     at the next run (never the configure-time one), "-dirty", nothing
#     rewritten when nothing changed, "unknown" outside git and in a folder
#     of another checkout, git given safe.directory (a checkout of another
#     owner), the id kept when git fails, -DSIPC_BUILD_ID as given (its odd characters made
#     safe)
#   - this build: sipcd, sipcctl and tlstool --version name the id compiled
#     in; a sipcd on $BASE.1 gives it in sys.info, status (JSON and text) and
#     the sipc_node_info metric; one node's cluster status has no note
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.70}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/../support/shtest.sh"
shtest_init buildid

script=$SRC/cmake/BuildId.cmake
id_of() { sed -n 's/^#define SIPC_BUILD_ID "\(.*\)"$/\1/p' "$1"; }
# gen DIR [FORCED]: runs the script on DIR into $work/h.h
gen() { cmake -DSRC="$1" -DOUT="$work/h.h" -DGIT="$(command -v git)" -DFORCED="${2:-}" -P "$script"; }

if command -v git >/dev/null; then
    r=$work/repo
    g() { git -C "$r" -c user.name=t -c user.email=t@t -c commit.gpgsign=false "$@" >/dev/null 2>&1; }
    mkdir -p "$r/sub" && g init -q && echo a >"$r/f" && g add f && g commit -q -m one
    gen "$r"
    [ "$(id_of "$work/h.h")" = "$(git -C "$r" rev-parse --short=12 HEAD)" ] &&
        ok "a git checkout: its commit, 12 hex digits" || not_ok "id '$(id_of "$work/h.h")'"
    touch -d '2000-01-01' "$work/h.h"
    gen "$r"
    [ "$(stat -c %Y "$work/h.h")" = "$(date -d 2000-01-01 +%s)" ] &&
        ok "the same commit again: the header is not rewritten (nothing recompiles)" ||
        not_ok "the header was rewritten with the same id"
    echo b >"$r/f" && g commit -q -am two
    gen "$r"
    [ "$(id_of "$work/h.h")" = "$(git -C "$r" rev-parse --short=12 HEAD)" ] &&
        ok "a new commit: the next run names it" || not_ok "after a commit: '$(id_of "$work/h.h")'"
    echo c >"$r/f"
    gen "$r"
    [ "$(id_of "$work/h.h")" = "$(git -C "$r" rev-parse --short=12 HEAD)-dirty" ] &&
        ok "a changed file: -dirty" || not_ok "dirty: '$(id_of "$work/h.h")'"
    # git refusing the checkout unless it is named safe (root building a
    # user's checkout: "dubious ownership"), and a git that only fails
    rreal=$(realpath "$r")
    printf '#!/bin/sh\ncase " $* " in *" safe.directory=%s "*) exec git "$@" ;; esac\n%s\nexit 128\n' \
        "$rreal" 'echo "fatal: detected dubious ownership" >&2' >"$work/picky-git"
    printf '#!/bin/sh\necho "fatal: detected dubious ownership" >&2\nexit 128\n' >"$work/bad-git"
    chmod +x "$work/picky-git" "$work/bad-git"
    rm -f "$work/h.h"
    cmake -DSRC="$r" -DOUT="$work/h.h" -DGIT="$work/picky-git" -P "$script" >/dev/null
    [ "$(id_of "$work/h.h")" = "$(git -C "$r" rev-parse --short=12 HEAD)-dirty" ] &&
        ok "git refusing a checkout of another owner: safe.directory is given, the commit named" ||
        not_ok "safe.directory: '$(id_of "$work/h.h")'"
    gen "$r"
    was=$(id_of "$work/h.h")
    msg=$(cmake -DSRC="$r" -DOUT="$work/h.h" -DGIT="$work/bad-git" -P "$script" 2>&1)
    [ "$(id_of "$work/h.h")" = "$was" ] && ok "git failing: the id already built is kept, not unknown" ||
        not_ok "git failing: '$(id_of "$work/h.h")', not '$was'"
    case $msg in *"git failed"*"keeping $was"*) ok "git failing: it says so" ;;
        *) not_ok "git failing, said: $msg" ;; esac
    rm -f "$work/h.h"
    cmake -DSRC="$r" -DOUT="$work/h.h" -DGIT="$work/bad-git" -P "$script" >/dev/null 2>&1
    [ "$(id_of "$work/h.h")" = unknown ] && ok "git failing on a first build: unknown" ||
        not_ok "git failing, first build: '$(id_of "$work/h.h")'"
    gen "$r/sub"
    [ "$(id_of "$work/h.h")" = unknown ] &&
        ok "a source folder inside another checkout: unknown, not that checkout's commit" ||
        not_ok "inside another checkout: '$(id_of "$work/h.h")'"
fi
mkdir -p "$work/tarball"
gen "$work/tarball"
[ "$(id_of "$work/h.h")" = unknown ] && ok "no git checkout: unknown" || not_ok "no git: '$(id_of "$work/h.h")'"
gen "$work/tarball" 'rel-1.2 "x"\'
[ "$(id_of "$work/h.h")" = 'rel-1.2__x__' ] && ok "-DSIPC_BUILD_ID: as given, quotes made safe" ||
    not_ok "forced: '$(id_of "$work/h.h")'"

# this build
id=$(id_of "$BIN/build_id/sipc_build_id.h")
[ -n "$id" ] && ok "the build tree's identity: $id" || not_ok "no $BIN/build_id/sipc_build_id.h"
for p in sipcd sipcctl tlstool; do
    run "$BIN/$p" --version
    expect "$p --version names the build" 0 "sipc 0\.1\.0 \(protocol 1, build $id\); TLS engine: "
done

need_free "$BASE".1:{23000,23001,23002,23003}
h=$work/n1
one_node_home "$h" bid
sipcd_start "$h" || exit 1
at_exit "kill -TERM $sipcd_pid 2>/dev/null"
run "$BIN/sipcctl" --home "$h" info
expect "sys.info: the build beside the software" 0 "\"software\":\"sipc 0\.1\.0\",\"build\":\"$id\""
run "$BIN/sipcctl" --home "$h" status --json
expect "status --json: node.build" 0 "\"build\": \"$id\""
run "$BIN/sipcctl" --home "$h" status
expect "status: the version line names the build" 0 "^  sipc 0\.1\.0 \(protocol 1, build $id\)"
run "$BIN/sipcctl" --home "$h" metrics
expect "metrics: sipc_node_info has version and build" 0 \
    "^sipc_node_info\{node=\"n1\",cluster=\"bid\",version=\"0\.1\.0\",build=\"$id\",tls_mode=\"off\"\} 1$"
run "$BIN/sipcctl" --home "$h" status --cluster
expect "status --cluster: one build, no note" 0 "cluster OK: 1 node, nothing to report"
grep -q "^note:" "$OUT" && bad "a note with one node" || ok "no note"
shtest_done
