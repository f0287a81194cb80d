#!/usr/bin/env bash
# test_node_text.sh - what a node answers, or a stored record holds, reaches
# the terminal in the text forms of sipcctl and tlstool only as cli_shown
# shows it: ESC, BEL, C1 controls (U+009B CSI) and broken UTF-8 as \xNN,
# printable UTF-8 ("café") kept.
#   - a real sipcd on $NET.1 (standard ports, plaintext) stores a record whose
#     body holds U+009B and ESC and whose attribute holds ESC: `search` shows
#     the body's first line with the C1 escaped (ESC, a C0, as a space) and
#     "café" whole; `list` shows the attribute escaped
#   - a fake node on $NET.2 (text_node.py) whose every answer holds them:
#     ingest's rejected and not acknowledged lines and its summary (--json's
#     failed list capped by --failed-max), the
#     refusal of --to; status and status --cluster; metrics; reload; ack
#     (and an ack never answered: exit 75, not "unreachable"); info;
#     search's node, id and missing node; a data error's message; tlstool
#     --reload's answer; tlstool check's live mode of a node; sipc-cluster's
#     status line of it and what its TLS steps say of its guard and links
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
NET=${SIPC_TEST_NET:-127.0.86}
BASE=$NET
SRC=$(cd "$(dirname "$0")" && pwd)
. "$(dirname "$0")/../support/shtest.sh"
shtest_init node_text
need_free "$NET".1:{23000,23001,23002,23003}

# raw_free FILE: no byte of FILE acts on a terminal: no C0 control but a
# newline, no DEL, no C1 (U+0080..U+009F or a lone 0x80..0x9f), nothing that
# is not UTF-8
raw_free() {
    python3 - "$1" <<'EOF'
import re, sys
b = open(sys.argv[1], "rb").read()
try:
    t = b.decode("utf-8")
except UnicodeDecodeError as e:
    sys.exit("not UTF-8 at byte %d" % e.start)
m = re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", t)
sys.exit("U+%04X at character %d" % (ord(m.group()), m.start()) if m else 0)
EOF
}
# shown NAME WANT...: the last run printed every WANT (fixed strings) and
# nothing raw
shown() {
    local name=$1 w why
    shift
    if ! why=$(raw_free "$OUT" 2>&1); then
        bad "$name: a control reached the terminal ($why)"
        return 1
    fi
    for w in "$@"; do
        grep -Fq -- "$w" "$OUT" || { bad "$name: no '$w' in the output (exit $RC)"; return 1; }
    done
    ok "$name"
}
# what text_node.py's strings show as
S='\x1b[2J \xc2\x9b31m \x1b]0;owned\x07 café'
SB="$S \\x9b1m \\xe6\\x97"

# --- a stored record, searched through a real node -------------------------
one_node_home "$work/n" text
sipcd_start "$work/n" || exit 1
node_pid=$sipcd_pid
ctl() { "$BIN/sipcctl" --home "$work/n" --timeout 5000 "$@"; }
body=$(printf 'marker \302\23331m red \033[2J clear caf\303\251')
check "a record with U+009B and ESC in its body is stored" \
    ctl put r1 --timestamp 2026-11-23T10:00:00Z --attr "k=v$(printf '\033')[1m" --body "$body"
got=0
for _ in $(seq 1 50); do # the index follows the commit
    run ctl search marker
    grep -q '^1 hit' "$OUT" && got=1 && break
    sleep 0.1
done
[ "$got" = 1 ] || bad "search never found the record"
shown "search: the body's first line shows U+009B as \\xNN, ESC as a space, café whole" \
    'marker \xc2\x9b31m red  [2J clear café'
run ctl list --since 2026-11-23T00:00:00Z
shown "list: the attribute's ESC as \\xNN" 'k=v\x1b[1m'
kill -TERM "$node_pid"
wait "$node_pid"

# --- a node whose answers hold controls -------------------------------------
mkdir -p "$work/h"
text_node_start "$NET.2" text || { shtest_done; exit 1; }
fake_pid=$text_node_pid
port=$text_node_port
printf '[node]\nid = cli\naddress = %s.2\n[cluster]\nname = text\n[management]\nport = %s\n' \
    "$NET" "$port" >"$work/h/sipc.conf"
fake() { "$BIN/sipcctl" --home "$work/h" --timeout 5000 --node "$NET.2:$port" "$@"; }

printf '{"id":"r1","timestamp":"2026-11-23T10:00:00Z","body":"a"}\n{"id":"r2","timestamp":"2026-11-23T10:00:00Z","body":"b"}\n' \
    >"$work/in.ndjson"
run fake ingest "$work/in.ndjson"
shown "ingest: the destination and reasons of rejected and not acknowledged lines, the summary" \
    "rejected by dest$S: INVALID: why$S" "not acknowledged: lost$S" "1 x INVALID: why$S"
# the summary lists each category's reasons under it: the not-acknowledged
# record's under "not acknowledged", not under "rejected"
python3 - "$OUT" <<'EOF'
import sys
t = open(sys.argv[1], encoding="utf-8", errors="replace").read()
r, u = t.index("\nrejected: 1\n"), t.index("\nnot acknowledged: 1\n")
rejected, unacked = t[r:u], t[u:].split("\nbad lines")[0]
sys.exit(0 if "1 x INVALID: why" in rejected and "x lost" not in rejected and
         "\n  1 x lost" in unacked else 1)
EOF
[ $? = 0 ] && ok "ingest summary: each reason under its own category" ||
    bad "ingest summary: reasons under the wrong category"
# --json lists the failed records up to --failed-max, and counts the others
fake --json ingest "$work/in.ndjson" --failed-max 1 >"$work/j.json" 2>/dev/null
python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
sys.exit(0 if len(o["failed"]) == 1 and o["failed_left_out"] == 1 else 1)' "$work/j.json" &&
    ok "ingest --json --failed-max 1: one failed record listed, failed_left_out 1" ||
    { bad "ingest --json --failed-max 1"; shtest_show "$work/j.json"; }
fake --json ingest "$work/in.ndjson" >"$work/j.json" 2>/dev/null
python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
sys.exit(0 if len(o["failed"]) == 2 and "failed_left_out" not in o else 1)' "$work/j.json" &&
    ok "ingest --json: both failed records listed, no failed_left_out" ||
    { bad "ingest --json"; shtest_show "$work/j.json"; }
run fake ingest "$work/in.ndjson" --to x
shown "ingest --to: the pipeline's refusal, on stderr and in the summary" \
    "failed: UNKNOWN_NODE: no node $S" "refused by the pipeline: 2 (UNKNOWN_NODE: no node $S)"
run fake status
shown "status: ids, addresses, errors and every other string of the answer" \
    "node n$S (addr$S), cluster c$S" "  sipc $S" "mode permissive$S, required subject subj$S" \
    "certificate: CN=$S" "pp$S (ppn$S)" "disk$S" "last error: refused$S" "peer$S (node pn$S)"
run fake status --cluster
shown "status --cluster: an unreachable node's address and error, the problems" \
    "node at down$S: UNREACHABLE: gone$S" "node n$S at down2$S: UNREACHABLE: gone$S" "  - problem$S"
run fake metrics
shown "metrics: the node's text" "sipc_up{node=\"$SB\"} 1" "# $S"
run fake reload
shown "reload: the node's name, message and changes" "rn$S (" "): reloaded$S" "changed: ch$S"
run fake ack records-lost
shown "ack: the node's name, the finding, its message and warning" "n$S (" "lost$S" "): ack$S" \
    "warning: warn$S"
run fake ack records-lost
shown "ack, nothing removed and a finding kept: the finding that stays, escaped" \
    "stays (not among the findings named, not acknowledged): new$S" \
    "already gone (acknowledged meanwhile): l$S"
[ "$RC" = 1 ] && ok "ack, nothing removed and a finding kept: exit 1, not success" ||
    bad "ack, nothing removed and a finding kept: exit $RC"
run fake info
shown "info: the node's answer" '"tls_mode": "m\u001b[2J \xc2\x9b31m \u001b]0;owned\u0007 café"'
# k_nodes NODE: home k (at $NET.3) with NODE, ADDRESS:PORT, its one [cluster] node
k_nodes() {
    mkdir -p "$work/k"
    printf '[node]\nid = k\naddress = %s.3\n[cluster]\nname = text\nnodes = %s\n' "$NET" "$1" \
        >"$work/k/sipc.conf"
}
# tlstool check asks each [cluster] node's sys.info for the mode it runs
k_nodes "$NET.2:$port"
export SIPC_PFX_PASSWORD="Node-Text-$$"
"$BIN/tlstool" --home "$work/k" create -site "$work/k.pfx" >/dev/null &&
    "$BIN/tlstool" --home "$work/k" import "$work/k.pfx" >/dev/null
run "$BIN/tlstool" --home "$work/k" check --timeout 5000
shown "tlstool check: the mode a node says it runs" "runs TLS mode m$S, this home"
# a node whose sys.info answers an error is reachable, not "NOT reachable: success"
if TEXT_NODE_INFO_ERROR=1 TEXT_NODE_ACK=silent text_node_start "$NET.4" text; then
    k_nodes "$NET.4:$text_node_port"
    run "$BIN/tlstool" --home "$work/k" check --timeout 5000
    shown "tlstool check: a node's error answer to sys.info, quoted" \
        "reachable, but its answer to sys.info is an error: info broke $S"
    if [ "$RC" = 42 ] && ! grep -q "success" "$OUT"; then
        ok "tlstool check: an error answer exits 42 and never says 'success'"
    else
        bad "tlstool check: an error answer exits $RC: $(cat "$OUT")"
    fi
    # an ack sent but never answered: it may have been applied, not "unreachable"
    run "$BIN/sipcctl" --home "$work/h" --timeout 1500 --node "$NET.4:$text_node_port" \
        ack records-lost
    expect "ack not answered in time: exit 75, the node may have applied it" 75 \
        'management.ack to .*: no answer within the deadline \(--timeout 1500 ms\): the node may have applied it; `sipcctl status --node [0-9.]*:[0-9]*` shows whether the findings are gone'
fi
text_node_stop
# an ack whose connection is closed instead of answered: it may have been
# applied too (75), not "unreachable" (69)
if TEXT_NODE_ACK=drop text_node_start "$NET.4" text; then
    run "$BIN/sipcctl" --home "$work/h" --timeout 5000 --node "$NET.4:$text_node_port" \
        ack records-lost
    expect "ack whose connection is lost before the answer: exit 75, the node may have applied it" 75 \
        'management.ack to .*: the connection was lost before the answer \(.*\): the node may have applied it; `sipcctl status --node [0-9.]*:[0-9]*` shows whether the findings are gone'
fi
text_node_stop
# disable asks the nodes their mode first: one that answers without naming
# it (an older node) is not taken for a node that accepts plaintext, it is
# said not asked
if TEXT_NODE_INFO=nomode text_node_start "$NET.4" text; then
    k_nodes "$NET.4:$text_node_port"
    "$BIN/tlstool" --home "$work/k" enable >/dev/null 2>&1
    run "$BIN/tlstool" --home "$work/k" disable --timeout 5000
    expect "tlstool disable: a node that answers without its mode is named as not asked" 0 \
        "warning: $NET\.4:[0-9]+ \(node old\) could not be asked the mode it runs: "
fi
text_node_stop
run fake search x
shown "search: a hit's node and id, a missing node's name, address and reason" \
    "hn$SB" "id\\x1b[2J" "PARTIAL: missing mn$SB (ma$SB): mr$SB"
run fake get r1
shown "get: the data service's message" "not found: nothing $SB"
# tlstool --reload asks the home's [node] address at its [management] port
run "$BIN/tlstool" --home "$work/h" disable --reload
shown "tlstool --reload: the node's name and message" "node rn$S reloaded" ": reloaded$S" \
    "changed: ch$S"

# sipc-cluster's text, of a cluster whose one node is the fake: its status
# line, and what its TLS steps print of the node's guard and links
mkdir -p "$work/c"
jq -n --arg bin "$BIN" --arg home "$work/h" --arg a "$NET.2" --argjson p "$port" \
    '{version: 1, bin: $bin, client_home: $home,
      nodes: [{name: "n1", address: $a, pid: null, start_time: null, ports: {management: $p}}]}' \
    >"$work/c/cluster.json"
harness() { (. "$SRC/../harness/lib/cluster.sh" && sc_open "$work/c" && SC_BIN=$BIN && "$@"); }
run harness sc_status_lines
shown "sipc-cluster status: the node's line" "TLS permissive$S  [Data$S permissive]"
run harness sc_node_guard_plaintext n1
shown "sipc-cluster: a guard's plaintext peer" "guard: pn$S spoke plaintext to data$S 3 s ago"
run harness sc_node_live_plaintext n1
shown "sipc-cluster: a plaintext connection" "plaintext connection to Data$S from ppn$S"
run harness sc_node_down_peers n1
shown "sipc-cluster: a link that is down" "la$S"
kill "$fake_pid" 2>/dev/null
wait "$fake_pid" 2>/dev/null
shtest_done
