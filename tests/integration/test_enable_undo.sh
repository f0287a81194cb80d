#!/usr/bin/env bash
# test_enable_undo.sh SHIM - `tlstool enable --reload` from TLS off, refused
# by a fake node (text_node.py on $BASE.2, a port the kernel picks), while
# an operator edits sipc.conf in the middle of tlstool's write (SHIM, an
# LD_PRELOAD library, appends a line at the write's fsync): sipc_config_set
# keeps that edit, and so must the undo after the refusal. It sets [tls]
# enable = 0 in the file as it is, instead of putting back the bytes read
# before the command, which would drop the edit.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
SHIM=${1:?usage: test_enable_undo.sh path/to/libconf_edit_at_fsync.so}
BASE=${SIPC_TEST_NET:-127.0.67}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init enableundo
export SIPC_PFX_PASSWORD="Enable-Undo-$$"
a=$work/a
tt() { "$BIN/tlstool" --home "$a" "$@"; }
mkdir -p "$a"
if ! tt create -site "$work/cluster.pfx" >"$OUT" 2>&1 || ! tt import "$work/cluster.pfx" >"$OUT" 2>&1; then
    bad "create and import a pair"
    shtest_done
    exit 1
fi
TEXT_NODE_RELOAD=refused text_node_start "$BASE.2" undo || { shtest_done; exit 1; }
printf '# written by the test\n[node]\nid = a\naddress = %s.2\n[cluster]\nname = undo\n[management]\nport = %s\n' \
    "$BASE" "$text_node_port" >"$a/sipc.conf"

edit='# an edit made while tlstool wrote'
touch "$work/edit.once"
run env LD_PRELOAD="$SHIM" CONF_EDIT_ONCE="$work/edit.once" CONF_EDIT_LINE="$edit" \
    "$BIN/tlstool" --home "$a" enable --mode strict --reload
[ ! -e "$work/edit.once" ] && ok "the edit was made during tlstool's write" ||
    not_ok "the shim made no edit (no sipc.conf write synced?)"
expect "refused: only [tls] enable = 0 set back, as sipc.conf holds someone else's edit" 12 \
    "^sipc.conf was changed by someone else while or after this command wrote it, so only \[tls\] enable = 0 was set back"
if grep -qxF "$edit" "$a/sipc.conf" && grep -qx 'enable = 0' "$a/sipc.conf"; then
    ok "... the edit is kept, and TLS is off in sipc.conf"
else
    not_ok "the edit was dropped, or TLS left on"
    sed 's/^/    | /' "$a/sipc.conf"
fi
shtest_done
