#!/usr/bin/env bash
# test_config_doc.sh - docs/configuration.md's "complete example with every
# key" stays complete and true: every [section] key the parser
# (ipc/node/config_load.c, on_setting) accepts, and the port of every service
# of its default table (config_known_keys.c), appears in that section of the
# example; and the example loads (sipcctl reads it, then fails only to reach a
# closed port).
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
. "$(dirname "$0")/../support/shtest.sh"
shtest_init config-doc
root=$(cd "$(dirname "$0")/../.." && pwd)
parser=("$root/ipc/node/config_known_keys.c" "$root/ipc/node/config_load.c")
doc=$root/docs/configuration.md

# section/key pairs the parser accepts: a strcmp(section, "S") opens S, a
# later strcmp(key, "K") accepts S/K; the catch-all `else if (*section)` is
# any service, whose one key is port (the services of the default table).
awk '
    /default_ports\[\] = / { ports = 1; next }
    ports && /^};/ { ports = 0 }
    ports && match($0, /"[a-z]+"/) { svc[substr($0, RSTART + 1, RLENGTH - 2)] = 1 }
    /static int on_setting\(/ { inside = 1 }
    inside && /^}/ { inside = 0 }
    inside {
        line = $0
        while (match(line, /strcmp\(section, "[a-z_]+"\)/)) {
            cur = substr(line, RSTART + 17, RLENGTH - 19); line = substr(line, RSTART + RLENGTH)
        }
        if ($0 ~ /else if \(\*section\)/) cur = "*"
        line = $0
        while (match(line, /strcmp\(key, "[a-z_]+"\)/)) {
            k = substr(line, RSTART + 13, RLENGTH - 15); line = substr(line, RSTART + RLENGTH)
            if (cur == "*") { for (s in svc) print s "/" k } else print cur "/" k
        }
    }' "${parser[@]}" | sort -u >"$work/parser.txt"

# the example: the ```ini block after "complete example with every key"
awk '/complete example with every key/ { f = 1 } f && /^```ini/ { g = 1; next } g && /^```/ { exit } g' \
    "$doc" >"$work/example.conf"
awk '/^\[[a-z_]+\]/ { sec = substr($1, 2, length($1) - 2); next }
     /^[a-z_]+ *=/ { k = $0; sub(/ *=.*/, "", k); print sec "/" k }' "$work/example.conf" |
    sort -u >"$work/doc.txt"

n=$(wc -l <"$work/parser.txt")
if [ "$n" -ge 20 ] && grep -qx "tls/strict_guard_window" "$work/parser.txt" && grep -qx "management/port" "$work/parser.txt"; then
    ok "read $n section/key pairs from the parser"
else
    not_ok "the parser's keys could not be read ($n pairs)"; shtest_show "$work/parser.txt"
fi
missing=$(comm -23 "$work/parser.txt" "$work/doc.txt")
if [ -z "$missing" ]; then
    ok "every key the parser accepts is in configuration.md's complete example"
else
    not_ok "missing from configuration.md's complete example: $(echo $missing)"
fi
extra=$(comm -13 "$work/parser.txt" "$work/doc.txt")
[ -z "$extra" ] && ok "the example has no key the parser does not accept" || not_ok "unknown keys in the example: $(echo $extra)"

# sipc_config_copy_tls copies every [tls] setting (sipcd's reload, sipcctl
# following its home): test_config's copy_tls_covers_every_key proves it for
# the keys its sipc.conf sets, which must be every [tls] key of the parser
awk '/^static void copy_tls_covers_every_key\(/ { f = 1 } f && /^}/ { exit } f' \
    "$root/tests/unit/test_config.c" >"$work/copy_tls.c"
unset_tls=
for k in $(sed -n 's|^tls/||p' "$work/parser.txt"); do
    grep -q "\"$k = " "$work/copy_tls.c" || unset_tls="$unset_tls $k"
done
if [ -s "$work/copy_tls.c" ] && [ -z "$unset_tls" ]; then
    ok "test_config's copy of [tls] sets every [tls] key the parser accepts"
else
    not_ok "[tls] keys not set in test_config.c's copy_tls_covers_every_key (add them there, and to sipc_config_copy_tls):$unset_tls"
fi

# the fields appended to sipc_config (sipc/node.h, after its "added after the
# rest" mark), which a program built against older headers would not have
# room for: configuration.md names each, in the header's order
awk '/^typedef struct sipc_config \{/ { f = 1 } f && /added after the rest/ { g = 1 }
     f && /^\} sipc_config;/ { exit }
     g && match($0, /^    [a-z_0-9]+( [a-z_0-9]+)* [a-z_0-9]+(\[[A-Z_0-9]+\])?;/) {
         d = substr($0, 1, RLENGTH - 1); sub(/\[.*/, "", d); sub(/.* /, "", d); print d }' \
    "$root/ipc/node/include/sipc/node.h" >"$work/appended.txt"
awk '/`sipc_config` \(`sipc_config_load`/ { f = 1 } f { print } f && /\): a/ { exit }' "$doc" |
    tr '\n' ' ' | sed 's/.*`sipc_config` (//; s/): a.*//' | grep -o '`[a-z_0-9]*`' | tr -d '`' |
    grep -vx -e sipc_config_load -e nservices >"$work/appended_doc.txt"
if [ "$(wc -l <"$work/appended.txt")" -ge 17 ] && grep -qx node_lines "$work/appended.txt" &&
    cmp -s "$work/appended.txt" "$work/appended_doc.txt"; then
    ok "configuration.md names every field appended to sipc_config, in order"
else
    not_ok "configuration.md's list of sipc_config's appended fields differs from sipc/node.h: $(diff "$work/appended.txt" "$work/appended_doc.txt" | grep '^[<>]' | tr '\n' ' ')"
fi

# it loads: TLS off (a later key wins) so that no key pair is needed; the
# only failure left is the closed port
mkdir -p "$work/home"
{ cat "$work/example.conf"; printf '\n[tls]\nenable = 0\n'; } >"$work/home/sipc.conf"
run "$BIN/sipcctl" --home "$work/home" --timeout 2000 ping 127.0.0.1:1
expect "the complete example loads (only the closed port fails)" 69 "connection refused"
shtest_done
