#!/bin/bash
# test_store_install.sh TLSTOOL RENAME_FAIL_SHIM FSYNC_DIR_EIO_SHIM - an
# import whose renames fail part way (LD_PRELOAD: a rename into place gives
# EIO) says what it left, truthfully:
# - node.crt cannot be put in place: the old node.p12 goes back beside the
#   old node.crt, previous/ keeps the pair it held, exit 1 "(nothing was
#   changed)", no temporary file left;
# - nor can the old node.p12 be put back: exit 15, "only half", what to do;
#   the replaced pair is kept in previous/, and the run that finishes the
#   import does not put the half pair there;
# - the directory cannot be synced after both renames: exit 14, the pair is
#   imported, the warning says the change may not last, never "nothing was
#   changed".
# The same for rotate commit, whose state file, written before the pair, is
# put back when nothing was changed (never "committed" of the old pair), and
# whose re-run after a half commit finishes it and keeps the replaced pair
# for the abort; a commit killed after its state file is taken as staged,
# by `tlstool status` too; a half commit is staged as well (node.crt, the
# pair loaded, is the old one), `tlstool status` names node.p12 of the
# other pair as a problem and the commit as the step, and an abort or a new
# stage, which would leave node.p12 so, is refused (exit 10); a commit
# whose staged/ cannot be removed is committed all the same: exit 14, the
# folder to remove named.
# And (run as root) `status` on another account's temporary file: one a
# write holds locked is a write in progress, never a problem; once free, a
# problem that says no process is writing it.
set -u
T=${1:?usage: test_store_install.sh path/to/tlstool path/to/rename_fail.so path/to/fsync_dir_eio.so}
RENAME_SHIM=${2:?}
EIO_SHIM=${3:?}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init storeinstall
unset SIPC_PFX_PASSWORD SIPC_HOME RENAME_FAIL FSYNC_EIO_DIR
export SIPC_PFX_PASSWORD='Test-Passw0rd!'

for x in a b c; do
    run "$T" create -site "$work/$x.pfx"
    expect "create pair $x" 0 "created"
done

H=$work/home
mkdir -p "$H"
run "$T" --home "$H" import "$work/a.pfx"
expect "import a" 0
run "$T" --home "$H" import "$work/b.pfx"
expect "import b over a: a kept in previous/" 0 "the replaced pair is kept in"
S=$H/security
snap() { # NAME: the pair and previous/ copied aside
    mkdir -p "$work/$1"
    cp "$S/node.crt" "$S/node.p12" "$work/$1/"
    cp "$S/previous/node.crt" "$work/$1/prev.crt"
    cp "$S/previous/node.p12" "$work/$1/prev.p12"
}
same_as() { # NAME: the pair and previous/ as snap NAME saw them
    cmp -s "$S/node.crt" "$work/$1/node.crt" && cmp -s "$S/node.p12" "$work/$1/node.p12" &&
        cmp -s "$S/previous/node.crt" "$work/$1/prev.crt" &&
        cmp -s "$S/previous/node.p12" "$work/$1/prev.p12"
}
no_tmp() { [ -z "$(ls -A "$S" "$S/previous" | grep -F .tmp)" ]; }
snap b

# node.crt cannot be renamed into place: everything as it was
run env LD_PRELOAD="$RENAME_SHIM" RENAME_FAIL=security/node.crt "$T" --home "$H" import "$work/c.pfx"
expect "node.crt not put in place: exit 1, nothing was changed" 1 \
    "cannot replace $S/node.crt: Input/output error" "\(nothing was changed\)"
same_as b && ok "... node.crt and node.p12 are the old pair, previous/ keeps the pair before" ||
    not_ok "... the pair or previous/ changed: $(cmp "$S/node.p12" "$work/b/node.p12"; cmp "$S/previous/node.crt" "$work/b/prev.crt")"
no_tmp && ok "... no temporary file left" || not_ok "... left: $(ls -A "$S" "$S/previous")"

# node.p12 cannot be put back either: half installed, said so
run env LD_PRELOAD="$RENAME_SHIM" RENAME_FAIL=security/node.crt,security/node.p12+1 "$T" --home "$H" \
    import "$work/c.pfx"
expect "node.crt not in, old node.p12 not back: exit 15" 15 "only half" \
    "$S/node.p12 is now the new pair's" "run the same command again" \
    "the pair they replace is kept in previous/"
grep -q "nothing was changed" "$OUT" && bad "... says nothing was changed" || ok "... never says nothing was changed"
cmp -s "$S/node.p12" "$work/c.pfx" && cmp -s "$S/node.crt" "$work/b/node.crt" &&
    ok "... node.p12 is the new pair's, node.crt the old one's" || not_ok "... not the half pair it says"
cmp -s "$S/previous/node.crt" "$work/b/node.crt" && cmp -s "$S/previous/node.p12" "$work/b/node.p12" &&
    ok "... the replaced pair is in previous/" || not_ok "... previous/ does not hold the replaced pair"
no_tmp && ok "... no temporary file left" || not_ok "... left: $(ls -A "$S" "$S/previous")"
# the run that finishes it keeps that pair in previous/, not the half pair
run "$T" --home "$H" import "$work/c.pfx"
expect "the import run again finishes it" 0 "imported" "node.p12 held this file already: previous/ is left as it was"
grep -q "the replaced pair is kept in" "$OUT" && bad "... says the half pair went to previous/" ||
    ok "... does not say the half pair went to previous/"
cmp -s "$S/node.p12" "$work/c.pfx" && cmp -s "$S/previous/node.crt" "$work/b/node.crt" &&
    cmp -s "$S/previous/node.p12" "$work/b/node.p12" &&
    ok "... c installed, previous/ still b's pair" || not_ok "... previous/ holds a half pair"

# the same file imported again: previous/ keeps the pair before, said so
run "$T" --home "$H" import "$work/c.pfx"
expect "the same file imported again" 0 "node.p12 held this file already: previous/ is left as it was"
grep -q "the replaced pair is kept in" "$OUT" && bad "... says the pair went to previous/" ||
    ok "... does not say the pair went to previous/"
cmp -s "$S/previous/node.p12" "$work/b/node.p12" && ok "... previous/ still b's pair" ||
    not_ok "... previous/ changed"

snap c
run env LD_PRELOAD="$EIO_SHIM" FSYNC_EIO_DIR="$S" "$T" --home "$H" import "$work/a.pfx"
expect "security/ not synced: exit 14, imported with a warning" 14 "imported $work/a.pfx" \
    "the pair is imported, but: .*could not be synced"
grep -q "nothing was changed" "$OUT" && bad "... says nothing was changed" || ok "... never says nothing was changed"
cmp -s "$S/node.p12" "$work/a.pfx" && cmp -s "$S/previous/node.p12" "$work/c/node.p12" &&
    ok "... a installed, c in previous/" || not_ok "... not installed as it says"

# rotate commit alike: nothing changed; then half; run again, it finishes,
# and the abort finds the replaced pair in previous/
snap a
run "$T" --home "$H" rotate stage "$work/b.pfx"
expect "rotate stage b" 0
run env LD_PRELOAD="$RENAME_SHIM" RENAME_FAIL=security/node.crt "$T" --home "$H" rotate commit
expect "rotate commit, node.crt not put in place: exit 1" 1 "cannot replace $S/node.crt" \
    "nothing was changed: the rotation is still staged here"
cmp -s "$S/node.crt" "$work/a/node.crt" && cmp -s "$S/node.p12" "$work/a/node.p12" &&
    cmp -s "$S/previous/node.crt" "$work/a/prev.crt" && [ -f "$S/staged/node.crt" ] &&
    ok "... the pair, previous/ and staged/ as they were" || not_ok "... changed something"
# the state file, written before the pair, is put back: never committed
# of a pair that was not
grep -qx "state staged" "$S/rotation" && ! grep -q "^previous " "$S/rotation" &&
    ok "... the state file says staged, as before" ||
    not_ok "... the state file says: $(grep -v '^#' "$S/rotation" | tr '\n' ' ')"
run "$T" --home "$H" rotate status
expect "... and rotate status says staged, not committed" 0 "^rotation: staged" "committed: +no"
# a commit killed between its state file and its pair: nothing committed,
# and no step taken as if it were
fp_a=$(openssl x509 -in "$S/node.crt" -outform DER | sha256sum | cut -c1-64)
printf 'state committed\nprevious %s\n' "$fp_a" >"$S/rotation"
run "$T" --home "$H" rotate status
expect "a commit killed before its pair: rotate status says staged, and why" 0 \
    "^note: a commit on this node stopped before its pair was put in place: security/node.crt still holds the pair it was to replace" \
    "^rotation: staged" "committed: +no"
run "$T" --home "$H" rotate finish
expect "... rotate finish refused: not committed" 10 "the staged pair is not committed on this node"
# tlstool status reads it as the rotate steps do
run "$T" --home "$H" status
expect "... tlstool status says staged, and the commit to run" 0 "^rotation: +staged " \
    "^warning: a commit on this node stopped before its pair was put in place: .*\`tlstool rotate commit\` commits it$"
run env LD_PRELOAD="$RENAME_SHIM" RENAME_FAIL=security/node.crt,security/node.p12+1 "$T" --home "$H" \
    rotate commit
expect "rotate commit, half: exit 15" 15 "not committed, only half" "run the same command again" \
    "until then the rotation stands at staged here"
# a half commit committed nothing (node.crt, the pair the node loads, is
# the old one): staged, with node.p12 of the other pair a problem, and the
# commit the one step that fits
run "$T" --home "$H" status
expect "... tlstool status: staged, a PROBLEM naming the commit to run" 10 "^rotation: +staged " \
    "^PROBLEM: a commit on this node stopped half-way: security/node.p12 is already the staged pair's, security/node.crt still the pair it was to replace .*only \`tlstool rotate commit\` fits" \
    "^state: +INCONSISTENT"
run "$T" --home "$H" rotate status
expect "... rotate status: staged, the commit next" 0 "^note: a commit on this node stopped half-way" \
    "^rotation: staged$" "committed: +no" "^next: .*\`tlstool rotate commit\`"
for step in abort "stage $work/c.pfx --force"; do
    # shellcheck disable=SC2086
    run "$T" --home "$H" rotate $step
    expect "... rotate ${step%% *} refused: node.p12 would stay the other pair's" 10 \
        "not (aborted|staged): a commit on this node stopped half-way \(above\): \`tlstool rotate commit\` finishes it first"
    cmp -s "$S/node.p12" "$work/b.pfx" && cmp -s "$S/staged/node.p12" "$work/b.pfx" &&
        ok "... nothing changed" || not_ok "... the half pair or staged/ changed"
done
run "$T" --home "$H" rotate commit
expect "rotate commit run again finishes it" 0 "committed: this node now holds the new pair"
cmp -s "$S/node.p12" "$work/b.pfx" && cmp -s "$S/previous/node.crt" "$work/a/node.crt" &&
    cmp -s "$S/previous/node.p12" "$work/a/node.p12" &&
    ok "... b installed, a's pair in previous/" || not_ok "... previous/ does not hold a's pair"
run "$T" --home "$H" rotate abort
expect "rotate abort rolls back to a" 0 "rolled back"
cmp -s "$S/node.crt" "$work/a/node.crt" && ok "... a is back" || not_ok "... a is not back"

# a commit whose staged/ cannot be removed (a file of another kind left in
# it): the pair is in all the same; said, exit 14, with what to remove
: >"$S/staged/left-here"
run "$T" --home "$H" rotate commit
expect "rotate commit, staged/ not removed: committed, exit 14, what to remove" 14 \
    "^committed: this node now holds the new pair" \
    "^tlstool: error: the pair is committed, but: $S/staged, the staged copy of the pair now installed, is left \(cannot remove $S/staged: Directory not empty\): remove that folder \(rm -r $S/staged\)$"
cmp -s "$S/node.p12" "$work/b.pfx" && grep -qx "state committed" "$S/rotation" &&
    ok "... b installed, the state committed" || not_ok "... not committed as it says"
rm -r "$S/staged"
run "$T" --home "$H" rotate abort
expect "... and it rolls back as any commit" 0 "rolled back"

if [ "$(id -u)" = 0 ]; then
    H=$work/home.other
    mkdir -p "$H"
    run "$T" --home "$H" import "$work/a.pfx"
    expect "import into a home for the other account's file" 0
    F=$H/security/.node.p12.Other1.tmp
    printf 'PRIVATE KEY COPY\n' >"$F"
    chmod 600 "$F"
    chown 65534 "$F"
    # the service account's write in progress: its file held locked
    (exec 9<"$F" && flock -x 9 && exec sleep 600) &
    holder=$!
    for _ in $(seq 50); do
        flock -n -x "$F" true || break
        sleep 0.1
    done
    run "$T" --home "$H" status
    expect "status: another account's write in progress is no problem" 0 "state: +consistent"
    grep -q "Other1" "$OUT" && bad "... but it is named" || ok "... nor named"
    kill "$holder" 2>/dev/null
    wait "$holder" 2>/dev/null
    run "$T" --home "$H" status
    expect "status: once no write holds it, a problem that says so" 10 \
        "^PROBLEM: $F, left by a write that was interrupted \(no process is writing it\).*owned by uid 65534"
    [ -f "$F" ] && ok "... and it is left to its owner" || not_ok "... another account's file removed"
    rm -f "$F"
else
    echo "# skipped: another account's temporary file (needs root)"
fi
shtest_done
