#!/usr/bin/env bash
# test_paste_commands.sh - the commands sipcd and its data service give an
# operator to paste name a path as one shell word, so that a home whose path
# holds a space and quotes still pastes: homes under "$work/my node's \"home\"",
# a real sipcd on $NET.1.
#   - a second sipcd on a home in use: its `sipcctl --home HOME status`,
#     pasted into bash, asks the running node (exit 0)
#   - a data directory other accounts may write: the data service's
#     `chmod go-w DIR` (and `chmod +t DIR`), pasted, names that directory
#   - run as root, a home owned by a uid without an account: sipcd's
#     `chown -R ACCOUNT: HOME`, pasted (ACCOUNT root), names that home
#   - a node.crt other users may read: the library's `chmod 600 FILE`,
#     pasted, closes it
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
NET=${SIPC_TEST_NET:-127.1.129}
BASE=$NET
. "$(dirname "$0")/../support/shtest.sh"
shtest_init paste_commands
need_free "$NET".1:{23000,23001,23002,23003}
top="$work/my node's \"home\""
mkdir -p "$top"

# pasted N FILE: the Nth `...` command of FILE's last line that has one
pasted() { grep '`' "$2" | tail -n 1 | awk -F'`' -v n="$1" '{ print $(2 * n) }'; }

# --- a home in use ------------------------------------------------------------
home=$top/n1
one_node_home "$home" paste
sipcd_start_all "$home" || exit 1
run "$BIN/sipcd" --home "$home"
cmd=$(pasted 1 "$OUT")
if [ "$RC" != 0 ] && [ "${cmd#sipcctl --home }" != "$cmd" ]; then
    # the command as given, with the sipcctl under test
    if (cd "$work" && PATH="$BIN:$PATH" bash -c "$cmd" >"$work/pasted.out" 2>&1) &&
        grep -q "^node n1 ($BASE\\.1)" "$work/pasted.out"; then
        ok "a home in use: the sipcctl command given, pasted, asks its node"
    else
        not_ok "a home in use: the command given, pasted: $cmd"
        shtest_show "$work/pasted.out"
    fi
else
    bad "a second sipcd on a home in use: no sipcctl command to paste (exit $RC)"
fi
kill -TERM "${node_pids[0]}" 2>/dev/null
wait "${node_pids[0]}" 2>/dev/null

# --- a data directory other accounts may write -------------------------------
home=$top/n2
one_node_home "$home" paste
mkdir -p "$home/data" && chmod 0777 "$home/data"
run "$BIN/sipcd" --home "$home"
cmd=$(pasted 1 "$OUT")
plus=$(pasted 2 "$OUT")
if [ "$RC" != 0 ] && [ "${cmd#chmod go-w }" != "$cmd" ] && [ "${plus#chmod +t }" != "$plus" ]; then
    (cd "$work" && bash -c "$plus" && bash -c "$cmd") >"$work/pasted.out" 2>&1
    if [ "$(stat -c %a "$home/data")" = 1755 ]; then
        ok "a data directory others may write: chmod go-w and +t given, pasted, change it"
    else
        not_ok "the data directory's chmod commands, pasted: $plus; $cmd"
        shtest_show "$work/pasted.out"
    fi
else
    bad "a data directory others may write: no chmod commands to paste (exit $RC)"
fi

# --- a node.crt other users may read: the library's chmod ---------------------
home=$top/n4
one_node_home "$home" paste
pair_home "$home" && "$BIN/tlstool" --home "$home" enable >/dev/null || bad "n4: the pair and TLS"
chmod 0644 "$home/security/node.crt"
run "$BIN/sipcd" --home "$home"
cmd=$(grep -o '`chmod 600 [^`]*`' "$OUT" | head -n 1 | tr -d '`')
if [ "$RC" != 0 ] && [ -n "$cmd" ]; then
    (cd "$work" && bash -c "$cmd") >"$work/pasted.out" 2>&1
    if [ "$(stat -c %a "$home/security/node.crt")" = 600 ]; then
        ok "a node.crt others may read: the chmod given, pasted, closes it"
    else
        not_ok "the node.crt's chmod command, pasted: $cmd"
        shtest_show "$work/pasted.out"
    fi
else
    bad "a node.crt others may read: no chmod to paste (exit $RC)"
fi

# --- root's sipcd on a home of a uid without an account (root only) ----------
if [ "$(id -u)" = 0 ]; then
    home=$top/n3
    one_node_home "$home" paste
    uid=54321
    while getent passwd "$uid" >/dev/null && [ "$uid" -lt 54400 ]; do uid=$((uid + 1)); done
    chown -R "$uid" "$home"
    run "$BIN/sipcd" --home "$home"
    cmd=$(pasted 1 "$OUT")
    if [ "$RC" != 0 ] && [ "${cmd#chown -R ACCOUNT: }" != "$cmd" ]; then
        (cd "$work" && bash -c "${cmd/ACCOUNT/root}") >"$work/pasted.out" 2>&1
        if [ "$(stat -c %u "$home")" = 0 ]; then
            ok "a home of a uid without an account: the chown given, pasted, gives it away"
        else
            not_ok "the chown command given, pasted: $cmd"
            shtest_show "$work/pasted.out"
        fi
    else
        bad "root's sipcd on a home of a uid without an account: no chown to paste (exit $RC)"
    fi
else
    echo "# skip: a home of a uid without an account needs root"
fi
shtest_done
