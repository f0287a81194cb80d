#!/bin/bash
# test_store_links.sh TLSTOOL [SIPCD SIPCCTL [SWAP]] - tlstool never writes into a symbolic link in
# a home's security/: a linked security/ (or previous/, trust/, crl/,
# staged/) is refused with an error that names it, where it points and what
# to do, and nothing is written, made or re-moded where it points (a root
# tlstool would otherwise put the key, and mode 0700, anywhere); nor does it
# or sipcd write through a link under a file's name in security/ or state/,
# or into a folder swapped for a link after its check. sipcd and sipcctl,
# which only read the key, follow such links.
set -u
T=${1:?usage: test_store_links.sh path/to/tlstool [path/to/sipcd]}
SIPCD=${2:-}
CTL=${3:-}
SWAP=${4:-}
ERRNO_SHIM=${5:-}
EIO_SHIM=${6:-}
BASE=${SIPC_TEST_NET:-127.0.67}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init storelinks
unset SIPC_PFX_PASSWORD SIPC_HOME
export SIPC_PFX_PASSWORD='Test-Passw0rd!'

run "$T" create -site "$work/a.pfx"
expect "create a pair" 0 "created"
run "$T" create -site "$work/b.pfx"
expect "create another pair" 0 "created"

# the target: a directory another account might own, left exactly as it was
untouched() { # NAME DIR: DIR still empty, mode 0755
    if [ -z "$(ls -A "$2")" ] && [ "$(stat -c %a "$2")" = 755 ]; then
        ok "$1: nothing written where the link points, its mode kept"
    else
        not_ok "$1: $2 holds $(ls -A "$2" | tr '\n' ' ')(mode $(stat -c %a "$2"))"
    fi
}
linked() { # HOME SUB: HOME/security/SUB (SUB empty: security itself) a link to a new directory
    E=$work/elsewhere.$RANDOM
    mkdir -p "$E"
    chmod 755 "$E"
    L=$1/security${2:+/$2}
    ln -s "$E" "$L"
}

H=$work/home.sec
mkdir -p "$H"
linked "$H" ""
run "$T" --home "$H" import "$work/a.pfx"
expect "import refuses a linked security/" 1 \
    "$L is a symbolic link \(to $E\), which is not followed" "replace the link by a directory"
untouched "import, linked security/" "$E"
[ -L "$L" ] && ok "the link stays a link" || bad "the link was replaced"
run "$T" --home "$H" trust add "$work/a.pfx"
[ "$RC" != 0 ] && grep -q "$L is a symbolic link" "$OUT" && ok "trust add refuses it too" || bad "trust add: exit $RC"
untouched "trust add, linked security/" "$E"

for sub in previous trust crl; do
    H=$work/home.$sub
    mkdir -p "$H/security"
    chmod 755 "$H/security"
    linked "$H" "$sub"
    run "$T" --home "$H" import "$work/a.pfx"
    expect "import refuses a linked security/$sub" 1 "$L is a symbolic link \(to $E\)"
    untouched "import, linked $sub/" "$E"
    [ "$(stat -c %a "$H/security")" = 755 ] && ok "import, linked $sub/: security/ not re-moded either" ||
        not_ok "import, linked $sub/: security/ set to $(stat -c %a "$H/security") before the refusal"
    [ ! -e "$H/security/node.crt" ] && ok "import, linked $sub/: no key pair installed" ||
        bad "import, linked $sub/: node.crt written"
done

# staged/: made only by a rotation's stage
H=$work/home.staged
mkdir -p "$H"
run "$T" --home "$H" import "$work/a.pfx"
expect "import into a plain home" 0
[ "$(stat -c %a "$H/security")" = 700 ] && [ "$(stat -c %a "$H/security/node.crt")" = 600 ] &&
    ok "security/ 0700, node.crt 0600" || bad "modes $(stat -c %a "$H/security") $(stat -c %a "$H/security/node.crt")"
linked "$H" staged
run "$T" --home "$H" rotate stage "$work/b.pfx"
[ "$RC" != 0 ] && grep -Eq "$L is a symbolic link \(to $E\)" "$OUT" && ok "rotate stage refuses a linked staged/" ||
    bad "rotate stage with a linked staged/: exit $RC"
untouched "rotate stage, linked staged/" "$E"

# the removers and the rotation's later steps: nothing removed or written
# through a linked staged/, security/, crl/ or trust/
kept() { # NAME FILE...: each FILE still there
    local n=$1 f
    shift
    for f in "$@"; do
        [ -e "$f" ] || { not_ok "$n: $f was removed through the link"; return; }
    done
    ok "$n: nothing removed where the link points"
}
refused() { # NAME LINK: the last command failed naming LINK as a link
    if [ "$RC" != 0 ] && grep -q "$2 is a symbolic link (to " "$OUT"; then
        ok "$1 refuses the linked $(basename "$2")/"
    else
        bad "$1 with a linked $(basename "$2")/: exit $RC"
    fi
}
staged_elsewhere() { # HOME: staged/ moved out and linked, E its new place
    E=$work/other.$RANDOM
    mv "$1/security/staged" "$E"
    ln -s "$E" "$1/security/staged"
}
H=$work/home.abort
run "$T" --home "$H" import "$work/a.pfx"
run "$T" --home "$H" rotate stage "$work/b.pfx"
expect "rotate stage for abort" 0
staged_elsewhere "$H"
run "$T" --home "$H" rotate abort
refused "rotate abort" "$H/security/staged"
kept "rotate abort" "$E/node.crt" "$E/node.p12"

H=$work/home.finish
run "$T" --home "$H" import "$work/a.pfx"
run "$T" --home "$H" rotate stage "$work/b.pfx"
run "$T" --home "$H" rotate commit
run "$T" --home "$H" rotate abort
expect "a commit rolled back by abort" 0 "rolled back|roll"
staged_elsewhere "$H"
run "$T" --home "$H" rotate finish
refused "rotate finish after a roll-back" "$H/security/staged"
kept "rotate finish after a roll-back" "$E/node.crt" "$E/node.p12" "$H/security/rotation"

H=$work/home.resume
run "$T" --home "$H" import "$work/a.pfx"
run "$T" --home "$H" rotate stage "$work/b.pfx"
run "$T" --home "$H" rotate commit
expect "rotate commit" 0 "committed"
E=$work/other.$RANDOM
mkdir -m 700 "$E"
cp -p "$H/security/node.crt" "$H/security/node.p12" "$E/"
ln -s "$E" "$H/security/staged"
run "$T" --home "$H" rotate commit
refused "an interrupted commit's completion" "$H/security/staged"
kept "an interrupted commit's completion" "$E/node.crt" "$E/node.p12"

# a linked security/ holding a staged pair: nothing written there either
H=$work/home.commit
run "$T" --home "$H" import "$work/a.pfx"
run "$T" --home "$H" rotate stage "$work/b.pfx"
E=$work/other.$RANDOM
mv "$H/security" "$E"
ln -s "$E" "$H/security"
before=$(cd "$E" && find . -printf '%p %s %T@\n' | sort; cat rotation)
run "$T" --home "$H" rotate commit
refused "rotate commit" "$H/security"
[ "$(cd "$E" && find . -printf '%p %s %T@\n' | sort; cat rotation)" = "$before" ] &&
    ok "rotate commit: nothing written where the link points (no rotation file)" ||
    not_ok "rotate commit wrote through the linked security/"
run "$T" --home "$H" rotate abort
refused "rotate abort" "$H/security"
kept "rotate abort, linked security/" "$E/staged/node.crt" "$E/rotation"
rm "$H/security"
mv "$E" "$H/security"
run "$T" --home "$H" rotate commit
expect "rotate commit once security/ is back" 0 "committed"
mv "$H/security" "$E"
ln -s "$E" "$H/security"
run "$T" --home "$H" rotate finish
refused "rotate finish" "$H/security"
kept "rotate finish, linked security/" "$E/rotation"

# crl remove, trust remove: a linked folder's file stays
H=$work/home.remove
run "$T" --home "$H" import "$work/a.pfx"
E=$work/other.$RANDOM
mkdir -m 755 "$E"
echo precious >"$E/x.crl"
rmdir "$H/security/crl"
ln -s "$E" "$H/security/crl"
run "$T" --home "$H" crl remove x.crl
refused "crl remove" "$H/security/crl"
kept "crl remove" "$E/x.crl"
rm "$H/security/crl"
mkdir -m 700 "$H/security/crl"
run "$T" --home "$H" trust add "$work/b.pfx"
expect "trust add" 0
E=$work/other.$RANDOM
mv "$H/security/trust" "$E"
ln -s "$E" "$H/security/trust"
pem=$(ls "$E"/*.pem | head -n1)
fp=$(openssl x509 -in "$pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)
run "$T" --home "$H" trust remove "$fp"
refused "trust remove" "$H/security/trust"
kept "trust remove" "$pem"

# security/ swapped for a link while import writes (SWAP, at the sync of the
# new node.crt, after the check): the key files go on into the directory
# that was checked, nothing into the one the link points to
if [ -n "$SWAP" ]; then
    for sub in "" previous; do
        H=$work/home.swap$sub
        run "$T" --home "$H" import "$work/a.pfx"
        E=$work/other.$RANDOM
        mkdir -m 755 "$E"
        D=$H/security${sub:+/$sub}
        touch "$work/swap.once"
        run env LD_PRELOAD="$SWAP" SWAP_MATCH=.node.crt. SWAP_ONCE="$work/swap.once" \
            SWAP_DIR="$D" SWAP_TO="$E" "$T" --home "$H" import "$work/b.pfx"
        [ ! -e "$work/swap.once" ] && [ -L "$D" ] && ok "import: ${sub:-security}/ swapped for a link meanwhile" ||
            not_ok "import: the swap of ${sub:-security}/ did not happen"
        untouched "import, ${sub:-security}/ swapped for a link meanwhile" "$E"
    done
fi

# the other files of security/ and state/ (trust/, crl/, rotation,
# server.tls.conf, the override state/force-strict, state/sipcd.lock): a
# link under the file's name is refused, saying so and what to do, neither
# written through nor replaced; and the folder swapped for a link right
# before the temporary file is made (after every check) is not followed:
# the file goes into the directory that was checked (SWAP_AT=create)
name_link() { # WHAT FILE FROM CMD...: FILE a link to a file outside the home, a copy of
    local what=$1 f=$2 # FROM (empty: a line of text), while CMD runs
    if [ -n "$3" ]; then cp "$3" "$work/outside"; else echo precious >"$work/outside"; fi
    cp "$work/outside" "$work/outside.before"
    shift 3
    rm -f "$f"
    ln -s "$work/outside" "$f"
    run "$@"
    if [ "$RC" != 0 ] &&
        grep -qF "$f is a symbolic link (to $work/outside), which is not followed: nothing was written" "$OUT" &&
        grep -qF "remove the link" "$OUT"; then
        ok "$what: a link as $(basename "$f") is refused, naming it and what to do"
    else
        not_ok "$what with a link as $f: exit $RC: $(head -c 400 "$OUT")"
    fi
    cmp -s "$work/outside" "$work/outside.before" && [ -L "$f" ] &&
        ok "$what: the file the link points to keeps its bytes, the link stays" ||
        not_ok "$what wrote through or over the link $f"
    rm -f "$f"
}
swapped() { # WHAT DIR MATCH CMD...: DIR swapped for a link before CMD makes MATCH...
    local what=$1 d=$2 m=$3
    shift 3
    E=$work/other.$RANDOM
    mkdir -m 755 "$E"
    touch "$work/swap.once"
    run env LD_PRELOAD="$SWAP" SWAP_AT=create SWAP_MATCH="$m" SWAP_ONCE="$work/swap.once" \
        SWAP_DIR="$d" SWAP_TO="$E" "$@"
    [ ! -e "$work/swap.once" ] && [ -L "$d" ] && ok "$what: $(basename "$d")/ swapped for a link meanwhile" ||
        not_ok "$what: the swap of $d did not happen (exit $RC: $(head -c 300 "$OUT"))"
    untouched "$what, $(basename "$d")/ swapped for a link meanwhile" "$E"
    if [ -L "$d" ]; then
        rm "$d"
        mv "$d.real" "$d"
    fi
}
P=$work/pki
bash "$(dirname "$0")/mkpki.sh" "$P" >/dev/null 2>"$work/mkpki.err" ||
    { not_ok "mkpki.sh"; shtest_show "$work/mkpki.err"; }
H=$work/home.names
run "$T" --home "$H" import "$work/a.pfx"
expect "import for the file names" 0
run "$T" --home "$H" trust add "$work/b.pfx"
expect "trust add" 0
TN=$(ls "$H/security/trust")
rm "$H/security/trust/$TN"
run "$T" --home "$H" crl add "$P/int.crl"
expect "crl add" 0
CN=$(ls "$H/security/crl")
rm "$H/security/crl/$CN"
printf '[node]\naddress = %s.3\n[management]\nport = 1\n' "$BASE" >"$H/sipc.conf"

name_link "trust add" "$H/security/trust/$TN" "" "$T" --home "$H" trust add "$work/b.pfx"
name_link "crl add" "$H/security/crl/$CN" "$P/int-expired.crl" "$T" --home "$H" crl add "$P/int.crl"
run "$T" --home "$H" rotate stage "$work/b.pfx"
expect "rotate stage" 0
cp "$H/security/rotation" "$work/rotation.staged"
name_link "rotate commit" "$H/security/rotation" "$work/rotation.staged" "$T" --home "$H" rotate commit
[ "$(cat "$H/security/previous/node.crt" 2>/dev/null)" = "" ] &&
    ok "rotate commit: nothing installed before the refusal" || not_ok "rotate commit installed the pair, then refused"
rm -rf "$H/security/staged"
# (--reload --force from TLS off: its check of state/ for the override
# comes first, and makes nothing)
name_link "enable" "$H/security/server.tls.conf" "" "$T" --home "$H" enable --mode strict --reload --force
cmp -s "$H/sipc.conf" <(printf '[node]\naddress = %s.3\n[management]\nport = 1\n' "$BASE") &&
    ok "enable: sipc.conf not edited before the refusal" || not_ok "enable edited sipc.conf, then refused"
[ ! -e "$H/state" ] && ok "enable: its check of state/ made no state/" ||
    not_ok "enable made state/ in its check, then refused"
mkdir -m 700 "$H/state"
name_link "enable --force" "$H/state/force-strict" "" "$T" --home "$H" enable --mode strict --reload --force
if [ -n "$SIPCD" ]; then
    # sipcd writes state/sipcd.lock at once, then stops: TLS asked, no key
    mv "$H/security/node.crt" "$work/node.crt.names"
    printf '[node]\naddress = %s.3\n[tls]\nenable = 1\n' "$BASE" >"$H/sipc.conf"
    name_link "sipcd" "$H/state/sipcd.lock" "" timeout -s KILL 20 "$SIPCD" --home "$H"
    # a directory there: refused, saying what it is and what to do
    mkdir "$H/state/sipcd.lock"
    run timeout -s KILL 20 "$SIPCD" --home "$H"
    expect "sipcd: a directory as state/sipcd.lock is refused with the next step (exit 73)" 73 \
        "$H/state/sipcd.lock is not a regular file \(a directory\): nothing was written; move it out of the way"
    rmdir "$H/state/sipcd.lock"
    swapped "sipcd" "$H/state" .sipcd.lock. timeout -s KILL 20 "$SIPCD" --home "$H"
    [ -f "$H/state/sipcd.lock" ] && ok "sipcd: its lock file went into the state/ it checked" ||
        not_ok "sipcd: no state/sipcd.lock in the state/ it checked"
    mv "$work/node.crt.names" "$H/security/node.crt"
fi
rm -rf "$H/state"
printf '[node]\naddress = %s.3\n[management]\nport = 1\n' "$BASE" >"$H/sipc.conf"

if [ -n "$SWAP" ]; then
    swapped "trust add" "$H/security/trust" ".$TN." "$T" --home "$H" trust add "$work/b.pfx"
    [ -f "$H/security/trust/$TN" ] && ok "trust add: the root went into the trust/ it checked" ||
        not_ok "trust add: no $TN in the trust/ it checked"
    swapped "crl add" "$H/security/crl" ".$CN." "$T" --home "$H" crl add "$P/int.crl"
    [ -f "$H/security/crl/$CN" ] && ok "crl add: the CRL went into the crl/ it checked" ||
        not_ok "crl add: no $CN in the crl/ it checked"
    swapped "rotate stage" "$H/security" .rotation. "$T" --home "$H" rotate stage "$work/b.pfx"
    [ -f "$H/security/rotation" ] && ok "rotate stage: the state file went into the security/ it checked" ||
        not_ok "rotate stage: no rotation file in the security/ it checked"
    run "$T" --home "$H" rotate abort
    swapped "enable" "$H/security" .server.tls.conf. "$T" --home "$H" enable --mode permissive
    run "$T" --home "$H" disable
    swapped "enable --force" "$H/state" .force-strict. "$T" --home "$H" enable --mode strict --reload --force
    [ -f "$H/state/force-strict" ] && ok "enable --force: the override went into the state/ it checked" ||
        not_ok "enable --force: no override in the state/ it checked"
fi

# enable --mode strict --reload --force from TLS off writes an override
# into state/: a linked state/ is refused before sipc.conf is edited
H=$work/home.state
run "$T" --home "$H" import "$work/a.pfx"
printf '[node]\naddress = %s.3\n[management]\nport = 1\n' "$BASE" >"$H/sipc.conf"
cp "$H/sipc.conf" "$work/state.conf.before"
E=$work/other.$RANDOM
mkdir -m 755 "$E"
ln -s "$E" "$H/state"
run "$T" --home "$H" enable --mode strict --reload --force
refused "enable --mode strict --reload --force" "$H/state"
cmp -s "$work/state.conf.before" "$H/sipc.conf" && [ ! -e "$H/security/server.tls.conf" ] &&
    ok "... sipc.conf and security/ as they were" || not_ok "enable edited the home before the refusal"
untouched "enable, linked state/" "$E"

# sipcd and sipcctl only read the key: they follow links to it (a Kubernetes
# Secret volume links each file, node.crt -> ..data/node.crt, ..data ->
# ..DATE/; a shared security/), and check the file and directory the links
# lead to (on $SIPC_TEST_NET.1)
if [ -n "$SIPCD" ]; then
    H=$work/home.load
    mkdir -p "$H"
    run "$T" --home "$H" import "$work/a.pfx"
    expect "import for sipcd" 0
    printf '[node]\naddress = %s.1\n[tls]\nenable = 1\n' "$BASE" >"$H/sipc.conf"
    S=$work/secret
    mv "$H/security" "$S"
    mkdir -m 700 "$S/..2026_12_05"
    mv "$S/node.crt" "$S/..2026_12_05/node.crt"
    ln -s ..2026_12_05 "$S/..data"
    ln -s ..data/node.crt "$S/node.crt"
    ln -s "$S" "$H/security"
    sipcd_refuses() { # WHAT PATTERN...: sipcd on $H stops at once, exit 78, saying so
        run timeout -s KILL 20 "$SIPCD" --home "$H"
        expect "sipcd checks $1 (exit 78)" 78 "${@:2}"
    }
    chmod 644 "$S/..2026_12_05/node.crt"
    sipcd_refuses "the file a linked node.crt leads to" \
        "$H/security/node.crt is open to other users \(mode 0644\)"
    chmod 600 "$S/..2026_12_05/node.crt"
    chmod 755 "$S"
    sipcd_refuses "the directory a linked security/ leads to" \
        "$H/security is open to other users \(mode 0755\)"
    chmod 700 "$S"
    # sipc.conf decides TLS: a home or sipc.conf another account may change
    # is refused as trust/ is, and said as a problem by status; a linked
    # sipc.conf, also by the folder of what it leads to
    chmod 777 "$H"
    chmod 666 "$H/sipc.conf"
    sipcd_refuses "a home and sipc.conf others may change" \
        "$H can be changed by other users \(mode 0777\), who could put a sipc.conf of their own in its place" \
        "; and $H/sipc.conf can be changed by other users \(mode 0666\), who could turn TLS off or choose whom this node trusts.*chmod go-w"
    run "$T" --home "$H" status
    expect "tlstool status: a home and sipc.conf others may change are a problem (exit 10)" 10 \
        "^PROBLEM: $H can be changed by other users \(mode 0777\)" "^state: +INCONSISTENT"
    chmod 755 "$H"
    chmod 644 "$H/sipc.conf"
    mkdir -m 777 "$work/confdir"
    mv "$H/sipc.conf" "$work/confdir/sipc.conf"
    ln -s "$work/confdir/sipc.conf" "$H/sipc.conf"
    sipcd_refuses "the folder a linked sipc.conf leads to" \
        "$work/confdir, which $H/sipc.conf leads to, can be changed by other users \(mode 0777\)"
    chmod 755 "$work/confdir"
    if sipcd_start "$H"; then
        ok "sipcd loads its key through a linked security/ and node.crt"
        at_exit "kill $sipcd_pid 2>/dev/null"
        run "$CTL" --home "$H" status
        expect "sipcctl reads the key through them too (status over TLS)" 0 "TLS"
        # a reload reads sipc.conf as a start does
        chmod 666 "$work/confdir/sipc.conf"
        run "$CTL" --home "$H" reload
        [ "$RC" != 0 ] && grep -q "$H/sipc.conf can be changed by other users (mode 0666)" "$OUT" &&
            ok "a reload refuses a sipc.conf others may change" ||
            not_ok "reload with a sipc.conf others may change: exit $RC: $(head -c 600 "$OUT")"
        chmod 644 "$work/confdir/sipc.conf"
        kill -TERM "$sipcd_pid"
        wait "$sipcd_pid"
    else
        not_ok "sipcd with a linked security/ and node.crt did not start"
    fi
    # a link to something not a file: refused at once, never opened (a FIFO
    # would block the start for ever, a device's open may act)
    mkfifo -m 600 "$S/..2026_12_05/fifo"
    ln -sfn ..2026_12_05/fifo "$S/node.crt"
    run timeout -s KILL 10 "$SIPCD" --home "$H"
    expect "sipcd refuses a node.crt that leads to a FIFO, without blocking (exit 78)" 78 \
        "$H/security/node.crt is not a regular file \(a FIFO\)"
    run timeout -s KILL 10 "$CTL" --home "$H" status
    [ "$RC" != 137 ] && grep -q "node.crt is not a regular file" "$OUT" &&
        ok "sipcctl refuses it too, without blocking" || not_ok "sipcctl: exit $RC: $(cat "$OUT")"
    ln -sfn ..2026_12_05/node.crt "$S/node.crt"
    # trust/ and crl/ are read through links too (a mounted Secret or
    # ConfigMap of CA roots, a shared folder of CRLs), and what a link leads
    # to is checked: a root or a folder of CRLs another account may change
    # is refused, naming it
    R=$work/roots
    mkdir -m 755 "$R"
    "$T" --home "$H" trust export >"$R/own.pem"
    chmod 664 "$R/own.pem"
    ln -s "$R/own.pem" "$S/trust/own.pem"
    C=$work/crls
    mkdir -m 775 "$C"
    rmdir "$S/crl"
    ln -s "$C" "$S/crl"
    sipcd_refuses "the file a linked trust/ entry leads to" \
        "$H/security/trust/own.pem can be changed by other users \(mode 0664\)" "chmod go-w"
    chmod 644 "$R/own.pem"
    sipcd_refuses "the directory a linked crl/ leads to" \
        "$H/security/crl can be changed by other users \(mode 0775\)"
    chmod 755 "$C"
    # a name that is not loaded (a Secret's ca.crt) is said, not skipped silently
    cp "$R/own.pem" "$S/trust/ca.crt"
    if sipcd_start "$H"; then
        ok "sipcd reads trust/ and crl/ through links once what they lead to is its own"
        grep -qF "Service.Start WARN $H/security/trust/ca.crt is not loaded: only trust/*.pem" "$H"/logs/ManagementService_*.log &&
            ok "sipcd warns that trust/ca.crt is not loaded, naming it" ||
            not_ok "sipcd said nothing of trust/ca.crt: $(grep -h Service.Start "$H"/logs/ManagementService_*.log | tail -n 5)"
        kill -TERM "$sipcd_pid"
        wait "$sipcd_pid"
    else
        not_ok "sipcd with a linked trust/ file and crl/ did not start"
    fi
    rm "$S/trust/ca.crt"
    # a link into a folder others may write is refused, naming that folder:
    # another account could put there a link to any root-owned PEM (a
    # system CA, an older CRL), which the check of the file alone passes
    Sh=$work/shared
    mkdir -m 777 "$Sh"
    cp "$R/own.pem" "$Sh/org.pem"
    chmod 644 "$Sh/org.pem"
    ln -s "$Sh/org.pem" "$S/trust/org.pem"
    sipcd_refuses "the folders a trust/ link leads through" \
        "$Sh, which $H/security/trust/org.pem leads through, can be changed by other users \(mode 0777\)"
    run "$T" --home "$H" trust list
    expect "tlstool trust list refuses it too" 3 "$Sh, which $H/security/trust/org.pem leads through"
    rm "$S/trust/org.pem"
    # a Secret or ConfigMap volume: its root is 0777 (1777 for a Secret)
    # but mounted read-only, so nobody can change it (nor chmod it): taken
    # as it is; the kubelet's ..data layout of links inside it is followed
    if [ "$(id -u)" = 0 ] && unshare -m --propagation private true 2>/dev/null; then
        in_ro_mount() { # SRC DST CMD...: CMD where DST is a read-only bind mount of SRC
            local src=$1 dst=$2
            shift 2
            unshare -m --propagation private sh -c \
                'mount --bind "$1" "$2" && mount -o remount,bind,ro "$2" && shift 2 && exec "$@"' \
                sh "$src" "$dst" "$@"
        }
        cm=$work/configmap
        mkdir -p "$cm/..2026_12_05" "$work/cmro"
        cp "$R/own.pem" "$cm/..2026_12_05/ca.pem"
        chmod 644 "$cm/..2026_12_05/ca.pem"
        ln -s ..2026_12_05 "$cm/..data"
        ln -s ..data/ca.pem "$cm/ca.pem"
        chmod 777 "$cm"
        mv "$S/trust" "$work/trust.before"
        ln -s "$work/cmro" "$S/trust"
        run in_ro_mount "$cm" "$work/cmro" "$T" --home "$H" trust list
        expect "a read-only mounted 0777 trust/ (a ConfigMap) is taken" 0 "$H/security/trust/ca.pem|CN="
        run in_ro_mount "$cm" "$work/cmro" timeout -s TERM 4 "$SIPCD" --home "$H"
        [ "$RC" = 124 ] && ! grep -q "can be changed by other users" "$OUT" &&
            ok "sipcd starts with a read-only mounted 0777 trust/" ||
            not_ok "sipcd with a read-only mounted 0777 trust/: exit $RC: $(head -c 400 "$OUT")"
        ln -sfn "$cm" "$S/trust"
        run "$T" --home "$H" trust list
        expect "the same folder, not mounted read-only, is refused" 3 \
            "$H/security/trust can be changed by other users \(mode 0777\)"
        rm "$S/trust"
        mv "$work/trust.before" "$S/trust"
    else
        echo "# skipped: a read-only bind mount in a mount namespace of its own needs root"
    fi
fi

# a removal that fails says why, from its own call: a crl/ entry that is a
# directory is not "no CRL named" even where snprintf changes errno after
# the failed unlink (POSIX allows it; the shim does it)
if [ -n "$ERRNO_SHIM" ]; then
    H=$work/home.rm
    run "$T" --home "$H" import "$work/a.pfx"
    expect "import for the removal" 0
    mkdir -p "$H/security/crl/notafile.crl"
    run env LD_PRELOAD="$ERRNO_SHIM" SNPRINTF_ENOENT_MATCH=/security/crl/notafile.crl \
        "$T" --home "$H" crl remove notafile.crl
    expect "crl remove of a directory names the failure" 1 \
        "cannot remove $H/security/crl/notafile.crl: Is a directory"
fi

# every reader of trust/ and crl/ in tlstool reads them as sipcd does: a
# FIFO there is refused at once, never opened (it would block), and
# `tlstool status` counts what sipcd would refuse as a problem, in its words
H=$work/home.readers
run "$T" --home "$H" import "$work/a.pfx"
expect "import for the readers" 0
mkfifo -m 600 "$H/security/crl/x.crl"
fifo_refused() { # WHAT CMD...: CMD refuses the FIFO, without blocking
    local what=$1
    shift
    run timeout -s KILL 10 "$@"
    if [ "$RC" != 137 ] && [ "$RC" != 0 ] && grep -qF "$H/security/crl/x.crl is not a regular file (a FIFO)" "$OUT"; then
        ok "$what refuses a FIFO in crl/, without blocking"
    else
        not_ok "$what with a FIFO in crl/: exit $RC: $(head -c 300 "$OUT")"
    fi
}
fifo_refused "crl list" "$T" --home "$H" crl list
fifo_refused "import" "$T" --home "$H" import "$work/b.pfx"
run timeout -s KILL 10 "$T" --home "$H" status --verbose --json
if [ "$RC" = 10 ] && [ "$(jq -r .consistent "$OUT" 2>/dev/null)" = false ] &&
    jq -r '.problems[]' "$OUT" | grep -qF "$H/security/crl/x.crl is not a regular file (a FIFO)"; then
    ok "status --verbose: not consistent (exit 10), the FIFO named among the problems"
else
    not_ok "status --verbose with a FIFO in crl/: exit $RC: $(head -c 400 "$OUT")"
fi
rm "$H/security/crl/x.crl"
mkfifo -m 600 "$H/security/trust/y.pem"
run timeout -s KILL 10 "$T" --home "$H" trust remove 0123456789abcdef
[ "$RC" != 137 ] && grep -qF "$H/security/trust/y.pem is not a regular file (a FIFO)" "$OUT" &&
    ok "trust remove refuses a FIFO in trust/, without blocking" ||
    not_ok "trust remove with a FIFO in trust/: exit $RC: $(head -c 300 "$OUT")"
rm "$H/security/trust/y.pem"
cp "$work/a.pfx" "$H/security/trust/ca.crt"
run "$T" --home "$H" status --json
jq -r '.warnings[]' "$OUT" 2>/dev/null | grep -qF "$H/security/trust/ca.crt is not loaded: only trust/*.pem" &&
    ok "status warns of a trust/ name that is not loaded" || not_ok "status: no warning of trust/ca.crt: $(head -c 600 "$OUT")"
run "$T" --home "$H" trust list
expect "trust list notes it too" 0 "^note: $H/security/trust/ca.crt is not loaded"
rm "$H/security/trust/ca.crt"
chmod 777 "$H/security/trust"
run "$T" --home "$H" status
expect "status: a trust/ others may change is a problem (exit 10), in sipcd's words" 10 \
    "$H/security/trust can be changed by other users \(mode 0777\)"
[ "$(grep -c "can be changed by other users" "$OUT")" = 1 ] && ok "... said once" ||
    not_ok "status said it $(grep -c "can be changed by other users" "$OUT") times: $(cat "$OUT")"
chmod 700 "$H/security/trust"

# trust list names where a root under a name of its own comes from (a
# mounted ca.pem): trust/, not this node's key pair
H=$work/home.label
run "$T" --home "$H" import "$work/a.pfx"
run "$T" --home "$work/home.labelb" import "$work/b.pfx"
"$T" --home "$work/home.labelb" trust export >"$H/security/trust/org-ca.pem"
chmod 600 "$H/security/trust/org-ca.pem"
bsubj=$("$T" --home "$work/home.labelb" trust list | head -n1)
run "$T" --home "$H" trust list
grep -A3 -F "$bsubj" "$OUT" | grep -qF "in $H/security/trust/, under a name of its own" &&
    ok "trust list: a root in trust/ under a name of its own is said to be there" ||
    not_ok "trust list labels $bsubj: $(cat "$OUT")"

# a directory that cannot be synced after a file there is written or
# removed: said (the change may not outlast a power loss), not ignored; a
# removed override that came back would force a later start strict
if [ -n "$EIO_SHIM" ]; then
    H=$work/home.eio
    run "$T" --home "$H" import "$work/a.pfx"
    expect "import for the directory syncs" 0
    run env LD_PRELOAD="$EIO_SHIM" FSYNC_EIO_DIR="$H/security/trust" "$T" --home "$H" trust add "$work/b.pfx"
    expect "trust add: a failed sync of trust/ is said" 1 \
        "$H/security/trust/[0-9a-f]{16}\.pem was replaced, but its directory could not be synced \(Input/output error\)"
    TN=$(ls "$H/security/trust")
    fp=$(openssl x509 -in "$H/security/trust/$TN" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)
    run env LD_PRELOAD="$EIO_SHIM" FSYNC_EIO_DIR="$H/security/trust" "$T" --home "$H" trust remove "$fp"
    expect "trust remove: a failed sync of trust/ is said" 1 \
        "$H/security/trust/$TN was removed, but its directory could not be synced \(Input/output error\)"
    printf '[node]\naddress = %s.3\n[tls]\nenable = 1\nmode = permissive\n[management]\nport = 1\n' "$BASE" >"$H/sipc.conf"
    run "$T" --home "$H" mode strict --force
    [ -f "$H/state/force-strict" ] && ok "mode strict --force leaves the override" ||
        not_ok "mode strict --force: no override (exit $RC: $(head -c 300 "$OUT"))"
    run env LD_PRELOAD="$EIO_SHIM" FSYNC_EIO_DIR="$H/state" "$T" --home "$H" disable
    grep -qF "warning: $H/state/force-strict was removed, but its directory could not be synced (Input/output error)" "$OUT" &&
        ok "disable: a failed sync of state/ after the override's removal is said" ||
        not_ok "disable with state/ not synced: exit $RC: $(head -c 400 "$OUT")"
fi

# tlstool import writes no link and keeps the replaced pair in previous/
# only from a file: a node.crt that is a link (here to a FIFO, which would
# block the copy) is refused, and nothing is replaced
H=$work/home.fifo
run "$T" --home "$H" import "$work/a.pfx"
expect "import for the FIFO case" 0
mv "$H/security/node.crt" "$work/fifo.node.crt"
mkfifo -m 600 "$work/fifo"
ln -s "$work/fifo" "$H/security/node.crt"
run timeout -s KILL 10 "$T" --home "$H" import "$work/b.pfx"
expect "import refuses a node.crt link to keep in previous/, without blocking" 1 \
    "$H/security/node.crt is a symbolic link \(to $work/fifo\), which is not followed: nothing was written"
[ -L "$H/security/node.crt" ] && ok "... the link is left as it was" || not_ok "the link was replaced"

# a link as node.p12: refused before anything is written, the link and what
# it points to left as they were, node.crt not replaced, no temporary file
H=$work/home.p12link
run "$T" --home "$H" import "$work/a.pfx"
expect "import for the node.p12 link case" 0
cp "$H/security/node.crt" "$work/p12link.crt.before"
echo precious >"$work/p12link.outside"
rm "$H/security/node.p12"
ln -s "$work/p12link.outside" "$H/security/node.p12"
run "$T" --home "$H" import "$work/b.pfx"
expect "import refuses a link as node.p12" 1 \
    "$H/security/node.p12 is a symbolic link \(to $work/p12link.outside\), which is not followed: nothing was written"
[ -L "$H/security/node.p12" ] && [ "$(cat "$work/p12link.outside")" = precious ] &&
    cmp -s "$H/security/node.crt" "$work/p12link.crt.before" &&
    [ -z "$(ls -A "$H/security" | grep -F .tmp)" ] &&
    ok "... the link and node.crt are left as they were, nothing left behind" ||
    not_ok "import with a link as node.p12 replaced or left something"
shtest_done
