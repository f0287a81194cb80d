#!/usr/bin/env bash
# test_trust_add_remove_bundle.sh - `tlstool trust add` and `trust remove`
# with bundles of roots, without a node (nothing listens; $BASE only names
# the home's address):
# - add stores a bundle all or none: a root that cannot be stored (a
#   directory at its file's name, which refuses the write as root too)
#   takes back the roots stored before it, and a root already there stays;
# - add reads this home's trust once for a whole bundle: a home whose trust
#   cannot be read says so once, not once per root;
# - remove of a root that is one of several in a trust/ file names that
#   file (exit 11) instead of "no trusted root"; one in two files of its own
#   names both (exit 11), not "give more digits";
# - a home without a pair lists its trust without a trust/ file that sipcd
#   refuses (over 256 roots, no certificate), but names the file and why.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.1.127}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init trustaddrm
export SIPC_PFX_PASSWORD="Trust-Add-Remove-$$"
# three roots of new pairs as PEM (what `trust add` stores of each in a
# scratch home), and their 16-digit file names
one_node_home "$work/scratch" trustaddrm
for i in 1 2 3; do
    "$BIN/tlstool" create -site "$work/r$i.p12" >/dev/null &&
        "$BIN/tlstool" --home "$work/scratch" trust add "$work/r$i.p12" >"$work/r$i.out" ||
        { echo "cannot make root $i"; exit 1; }
    f=$(sed -n 's/^  stored as .*\/\([0-9a-f]\{16\}\.pem\)$/\1/p' "$work/r$i.out")
    [ -n "$f" ] || { echo "trust add does not name the file of root $i"; exit 1; }
    cp "$work/scratch/security/trust/$f" "$work/r$i.pem"
    eval "f$i=$f"
done
cat "$work"/r{1,2,3}.pem >"$work/bundle.pem"

# a store that fails at the third root: the first two are taken back, the
# root that was there before stays
home=$work/h1
one_node_home "$home" trustaddrm
pair_home "$home" || exit 1
"$BIN/tlstool" --home "$home" trust add "$work/r1.pem" >/dev/null || { echo "cannot add root 1"; exit 1; }
mkdir -p "$home/security/trust/$f3" && chmod 700 "$home/security/trust/$f3"
run "$BIN/tlstool" --home "$home" trust add "$work/bundle.pem"
expect "trust add of a bundle whose third root cannot be stored: exit 1" 1 \
    "root 3 of 3 .* could not be stored: .*; nothing stored"
[ -e "$home/security/trust/$f2" ] && bad "root 2, stored before the failure, is left in trust/" ||
    ok "root 2, stored before the failure, is taken back"
[ -f "$home/security/trust/$f1" ] && ok "root 1, in trust/ before, stays" ||
    bad "root 1, in trust/ before, is gone"
grep -q "^trusted: " "$OUT" && bad "a root is said trusted although nothing was stored" ||
    ok "no root is said trusted"
# the directory makes this home's trust unreadable too: said once, not per root
n=$(grep -c "trust cannot be read\|tlstool: error: .*$f3 is not a regular file" "$OUT")
[ "$n" = 2 ] && ok "the unreadable trust is said once for the bundle, and the store's failure once" ||
    bad "$n lines say the trust cannot be read or the store failed, for a bundle of 3"
rmdir "$home/security/trust/$f3"
run "$BIN/tlstool" --home "$home" trust add "$work/bundle.pem"
expect "trust add of the bundle once it can be stored: exit 0" 0
[ "$(grep -c "^trusted: " "$OUT")" = 3 ] && ok "all 3 roots trusted" || bad "not 3 roots trusted"

# a bundle in trust/: its root is named where it is, not removed
home=$work/h2
one_node_home "$home" trustaddrm
pair_home "$home" || exit 1
mkdir -p "$home/security/trust" && chmod 700 "$home/security/trust"
install -m 600 "$work/bundle.pem" "$home/security/trust/ca.pem"
run "$BIN/tlstool" --home "$home" trust remove "${f2%.pem}"
expect "trust remove of a root inside a bundle: refused (exit 11)" 11 \
    "${f2%.pem} is one of 3 roots in trust/ca.pem: edit or remove that file"
cmp -s "$work/bundle.pem" "$home/security/trust/ca.pem" && ok "the bundle is left as it was" ||
    bad "the bundle changed"
install -m 600 "$work/r2.pem" "$home/security/trust/$f2"
run "$BIN/tlstool" --home "$home" trust remove "${f2%.pem}"
expect "trust remove of a root in a file of its own and in a bundle: refused (exit 11)" 11 \
    "is one of 3 roots in trust/ca.pem"
rm "$home/security/trust/ca.pem"
# the same root in a second file of its own, placed by hand: both named
install -m 600 "$work/r2.pem" "$home/security/trust/by-hand.pem"
run "$BIN/tlstool" --home "$home" trust remove "${f2%.pem}"
expect "trust remove of a root in two files of its own: refused (exit 11), both named" 11 \
    "is in 2 files of trust/ \(.*\), each of which keeps it trusted" "by-hand\.pem" "${f2%.pem}"
rm "$home/security/trust/by-hand.pem"
run "$BIN/tlstool" --home "$home" trust remove "${f2%.pem}"
expect "trust remove of a root in a file of its own: exit 0" 0 "removed .*$f2"

# no pair: a trust/ file sipcd refuses is named with why, the others listed
home=$work/h3
one_node_home "$home" trustaddrm
mkdir -p "$home/security/trust" && chmod 700 "$home/security/trust"
install -m 600 "$work/r1.pem" "$home/security/trust/one.pem"
for i in $(seq 1 86); do cat "$work/bundle.pem"; done >"$home/security/trust/big.pem"
echo "not a certificate" >"$home/security/trust/empty.pem"
chmod 600 "$home/security/trust/"*.pem
run "$BIN/tlstool" --home "$home" trust list
expect "trust list without a pair, with two files sipcd refuses: exit 0" 0 \
    "warning: .*trust/big.pem: a bundle of roots that holds 258 certificates"
grep -q "warning: .*trust/empty.pem: no PEM certificate" "$OUT" &&
    ok "the file without a certificate is named" || bad "the file without a certificate is not named"
grep -q "SHA-256: ${f1%.pem}" "$OUT" && ok "the readable root is listed" ||
    bad "the readable root is not listed"
shtest_done
