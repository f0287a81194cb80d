#!/usr/bin/env bash
# test_json_not_utf8.sh - text that is not UTF-8, or is cut inside a character,
# loses no key and no answer in the programs' JSON: its bad bytes show as
# \xNN, valid UTF-8 as it is.
#   - a real sipcd on $NET.1 whose home path holds a Latin-1 byte (0xe9):
#     `sipcctl status --json` has the logs' dir, named with \xe9, beside
#     every other section; `tlstool status --json` has the home; with the
#     node stopped, sipcctl's failure object names the home the same way;
#     a reload refused for a typo in that home's sipc.conf (asked by sipcctl,
#     then by SIGHUP) is in reload's answer, status's reload.refused,
#     status --cluster's reload_refused problem and sipc_reload_refused 1
#   - a fake node on the next block's .1 (text_node.py, TEXT_NODE_REASON=long)
#     whose ingest reasons are 1,400 bytes of "é" (cut by sipcctl inside a
#     character) and a Latin-1 file name: `sipcctl ingest --json` lists both
#     failed records with their reasons, and both reasons in its summary, the
#     long one cut between characters; `get --json`'s failure holds the node's
#     800-byte error cut between characters
#     A reload refused for a setting sipc.conf does not know: the reason
#     names the home with \xe9, and the node's checks of the files every second
#     log no "still refused, now for" for that same reason again; `sipcctl
#     --json reload` to a --node whose host is not UTF-8 lists it unreachable
#   - a real sipcd on $NET.1 whose [cluster] names the fake node, which says a
#     last word of 800 bytes of "é" to its management link: the link's
#     last_error in `status --json` holds it cut between characters, and its
#     node the fake's 80-byte id of "é" cut between characters (31 of them).
#     Plaintext clients (from $NET.2 and $NET.3) whose hellos name such an id,
#     and one that reads as sipcctl's with a tag of "é" (its name in the
#     strict guard's list, "TOOL:USER@HOST home TAG", longer than the 63
#     bytes kept and cut inside a character), are listed in the services'
#     plaintext_peers, the guard's and the peer history (state/peers)
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
NET=${SIPC_TEST_NET:-127.1.86}
BASE=$NET
FAKE=${NET%.*}.$((${NET##*.} + 1)).1
SRC=$(cd "$(dirname "$0")" && pwd)
. "$(dirname "$0")/../support/shtest.sh"
shtest_init json_not_utf8
need_free "$NET".1:{23000,23001,23002,23003} "$FAKE":23002

# --- a home whose path is not UTF-8 -----------------------------------------
H=$work/caf$(printf '\351')
one_node_home "$H" jtext
# the node checks the files of a refused reload every second here (12 s else)
SIPCD_RELOAD_RECHECK_MS=1000 sipcd_start "$H" || { shtest_done; exit 1; }
node_pid=$sipcd_pid
ctl() { "$BIN/sipcctl" --home "$H" --timeout 5000 "$@"; }
ctl --json status >"$work/st.json" 2>"$work/st.err"
# the path as this test wrote it, its byte 0xe9 as \xe9
python3 - "$work/st.json" "$H" <<'PY'
import json, os, sys
o = json.load(open(sys.argv[1]))
want = os.fsencode(sys.argv[2]).decode("utf-8", "backslashreplace") + "/logs"
missing = [k for k in ("node", "tls", "services", "links", "storage", "logs") if k not in o]
if missing:
    sys.exit("sections missing: %s" % missing)
got = o["logs"].get("dir")
sys.exit(0 if got == want else "logs.dir is %r, not %r" % (got, want))
PY
[ $? = 0 ] && ok "status --json: the logs' dir under a Latin-1 home, its byte as \\xe9" ||
    { bad "status --json under a Latin-1 home"; shtest_show "$work/st.json"; }

"$BIN/tlstool" --home "$H" status --json >"$work/ts.json" 2>"$work/ts.err"
python3 - "$work/ts.json" "$H" <<'PY'
import json, os, sys
o = json.load(open(sys.argv[1]))
want = os.fsencode(sys.argv[2]).decode("utf-8", "backslashreplace")
sys.exit(0 if o.get("home") == want else "home is %r, not %r" % (o.get("home"), want))
PY
[ $? = 0 ] && ok "tlstool status --json: the Latin-1 home, its byte as \\xe9" ||
    { bad "tlstool status --json under a Latin-1 home"; shtest_show "$work/ts.json"; }

# a reload refused for a typo in that home's sipc.conf: its reason names the
# path, so every place a refusal is shown must carry it escaped (a reason
# jansson refused once made the answer "out of memory" and the status,
# cluster report and metric say nothing was refused). Asked from a client
# home, as sipcctl refuses its own home's broken sipc.conf.
mkdir -p "$work/c"
printf '[cluster]\nname = jtext\nnodes = %s\n' "$NET.1" >"$work/c/sipc.conf"
cctl() { "$BIN/sipcctl" --home "$work/c" --node "$NET.1" --timeout 5000 "$@"; }
cp "$H/sipc.conf" "$work/good.conf"
printf '[tls]\nmdoe = x\n' >>"$H/sipc.conf"
run cctl reload
expect "reload under a Latin-1 home: refused with the typo, the path's byte as \\xe9" 1 \
    'reload refused: .*caf\\xe9/sipc\.conf:[0-9]+: unknown setting \[tls\] mdoe'
grep -q 'out of memory' "$OUT" && bad "reload's refusal came back as 'out of memory'"
cctl --json status >"$work/rl.json" 2>/dev/null
cctl --json status --cluster >"$work/rlc.json" 2>/dev/null
cctl metrics >"$work/rlm.txt" 2>/dev/null
python3 - "$work/rl.json" "$work/rlc.json" "$work/rlm.txt" <<'PY'
import json, re, sys
st, cl = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
reason = ((st.get("reload") or {}).get("refused") or {}).get("reason") or ""
probs = [p for p in cl.get("problems", []) if p.get("kind") == "reload_refused"]
checks = [
    (re.search(r"caf\\xe9/sipc\.conf:\d+: unknown setting \[tls\] mdoe", reason),
     "status's reload.refused.reason (%r)" % reason),
    (probs and "caf\\xe9/sipc.conf" in probs[0].get("message", ""),
     "status --cluster's reload_refused problem (%r)" % cl.get("problems")),
    (re.search(r"^sipc_reload_refused 1$", open(sys.argv[3]).read(), re.M),
     "the metric sipc_reload_refused 1"),
]
bad = [what for good, what in checks if not good]
sys.exit("missing: " + "; ".join(bad) if bad else 0)
PY
[ $? = 0 ] && ok "the refusal under a Latin-1 home: in status, status --cluster and the metric" ||
    { bad "the refusal under a Latin-1 home is not shown"; shtest_show "$work/rl.json"; }
# the same refusal through SIGHUP, once a good reload has cleared it
cp "$work/good.conf" "$H/sipc.conf"
run cctl reload
expect "reload with the typo removed: done" 0
printf '[tls]\nmdoe = x\n' >>"$H/sipc.conf"
kill -HUP "$node_pid"
_hup_refused() {
    cctl --json status >"$work/hup.json" 2>/dev/null &&
        jq -e '.reload.refused.by == "SIGHUP" and (.reload.refused.reason | test("caf\\\\xe9/sipc"))' \
            "$work/hup.json" >/dev/null
}
wait_for 10 _hup_refused && ok "SIGHUP's refusal under a Latin-1 home in the status" ||
    { bad "SIGHUP's refusal under a Latin-1 home"; shtest_show "$work/hup.json"; }
cp "$work/good.conf" "$H/sipc.conf"
run cctl reload
expect "reload with the typo removed again: the refusal cleared" 0

# --- a refused reload whose reason names the Latin-1 home ---------------------
# asked from a client home: the node's own sipc.conf is the one damaged
stands() { cat "$H/logs/"ManagementService_*.log 2>/dev/null | grep -c 'is still refused, now for'; }
sed -i '/^\[node\]/a bogus = 1' "$H/sipc.conf"
cctl --json reload >"$work/rl.json" 2>/dev/null
n0=$(stands)
sleep 3 # two checks of the files at least
cctl --json status >"$work/rs.json" 2>/dev/null
python3 - "$work/rs.json" <<'PY'
import json, sys
r = (json.load(open(sys.argv[1])).get("reload") or {}).get("refused") or {}
why = r.get("reason") or ""
sys.exit(0 if "caf\\xe9/sipc.conf" in why and "unknown setting [node] bogus" in why and
         r.get("checked_at", "") > r.get("at", "~") else "reload.refused is %r" % r)
PY
[ $? = 0 ] && ok "a refused reload: its reason names the home with \\xe9, checked again since" ||
    { bad "status --json: reload.refused"; shtest_show "$work/rs.json"; }
n1=$(stands)
[ "$n1" = "$n0" ] && ok "checks of the files: no 'still refused' line for the same reason with \\xe9" ||
    bad "checks of the files logged $((n1 - n0)) 'still refused' lines for the same reason"
sed -i '/^bogus = 1$/d' "$H/sipc.conf"
# a --node address that is not UTF-8 (it cannot be resolved): still one
# entry, its address with \xf4
"$BIN/sipcctl" --home "$work/c" --timeout 5000 --node "$(printf 'h\364te'):23002" --json reload >"$work/rn.json" 2>/dev/null
python3 - "$work/rn.json" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
sys.exit(0 if [(x.get("address"), x.get("result")) for x in o] ==
         [("h\\xf4te:23002", "unreachable")] else "reload --json gave %r" % o)
PY
[ $? = 0 ] && ok "reload --json: an address that is not UTF-8 is one unreachable entry, with \\xf4" ||
    { bad "reload --json with an address that is not UTF-8"; shtest_show "$work/rn.json"; }

kill -TERM "$node_pid"
wait "$node_pid"
ctl --json status >"$work/down.json" 2>/dev/null
python3 - "$work/down.json" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
sys.exit(0 if o.get("ok") is False and "caf\\xe9" in o.get("error", "") else
         "error is %r" % o.get("error"))
PY
[ $? = 0 ] && ok "status --json, node down: the failure names the home with \\xe9" ||
    { bad "status --json, node down: the failure object"; shtest_show "$work/down.json"; }

# --- reasons cut inside a character, or not UTF-8 --------------------------
mkdir -p "$work/h"
TEXT_NODE_REASON=long text_node_start "$FAKE" jtext || { shtest_done; exit 1; }
port=$text_node_port
printf '[node]\nid = cli\naddress = %s\n[cluster]\nname = jtext\n[management]\nport = %s\n' \
    "$FAKE" "$port" >"$work/h/sipc.conf"
printf '{"id":"r1","timestamp":"2026-11-23T10:00:00Z","body":"a"}\n{"id":"r2","timestamp":"2026-11-23T10:00:00Z","body":"b"}\n' \
    >"$work/in.ndjson"
"$BIN/sipcctl" --home "$work/h" --timeout 5000 --node "$FAKE:$port" --json ingest \
    "$work/in.ndjson" >"$work/in.json" 2>/dev/null
python3 - "$work/in.json" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
f = {x["id"]: x.get("reason", "") for x in o.get("failed", [])}
r = [x["reason"] for x in o.get("reasons", [])]
e = "\u00e9"
checks = [
    # cut between characters: nothing of a character cut short is left
    ("r1" in f and f["r1"].startswith("INVALID: why" + e * 100) and f["r1"].endswith(e),
     "r1's reason cut between characters"),
    ("r2" in f and f["r2"] == "lost caf\\xe9.db", "r2's Latin-1 reason"),
    (any(x.startswith("INVALID: why" + e * 100) and x.endswith(e) for x in r),
     "the reason cut between characters in the summary"),
    ("lost caf\\xe9.db" in r, "the Latin-1 reason in the summary"),
]
bad = [what for good, what in checks if not good]
sys.exit("missing: " + ", ".join(bad) if bad else 0)
PY
[ $? = 0 ] && ok "ingest --json: reasons cut inside a character or in Latin-1 kept, in failed and reasons" ||
    { bad "ingest --json: reasons lost"; shtest_show "$work/in.json"; }
# the node's error, longer than the 511 bytes sipcctl keeps of it
"$BIN/sipcctl" --home "$work/h" --timeout 5000 --node "$FAKE:$port" --json get r1 \
    >"$work/get.json" 2>/dev/null
python3 - "$work/get.json" <<'PY'
import json, re, sys
o = json.load(open(sys.argv[1]))
err = o.get("error", "")
# whole characters up to the cut, then sipcctl's own words
sys.exit(0 if o.get("ok") is False and re.search("nothing \u00e9{200,} \\(get asks", err)
         else "error is %r" % err)
PY
[ $? = 0 ] && ok "get --json: the node's long error cut between characters" ||
    { bad "get --json: the node's long error"; shtest_show "$work/get.json"; }
text_node_stop

# --- a peer's last word, longer than a link keeps of it ----------------------
# its hello names it with 80 bytes of "é", longer than the 63 bytes kept
LONG=$(python3 -c 'print("\u00e9" * 40)')
TEXT_NODE_ID=$LONG TEXT_NODE_GOODBYE=long text_node_start "$FAKE" jtext 23002 || { shtest_done; exit 1; }
node_home "$work/p" jtext n1 "$NET.1" "$NET.1, $FAKE"
sipcd_start "$work/p" || { shtest_done; exit 1; }
node_pid=$sipcd_pid
got=""
for _ in $(seq 1 30); do # the management link dials the peer at start
    "$BIN/sipcctl" --home "$work/p" --timeout 5000 --json status >"$work/link.json" 2>/dev/null
    got=$(python3 - "$work/link.json" "$FAKE" <<'PY'
import json, re, sys
o = json.load(open(sys.argv[1]))
for l in o.get("links", []):
    e = l.get("last_error") or ""
    if l.get("service") == "management" and l.get("address", "").startswith(sys.argv[2]) and \
            "says" in e:
        # whole characters up to the cut, nothing of one cut short
        print("cut" if re.search("says: \u00e9{200,}$", e) else "bad: %r" % e)
PY
)
    [ -n "$got" ] && break
    sleep 0.1
done
[ "$got" = cut ] && ok "status --json: a peer's long last word in its link's last_error, cut between characters" ||
    { bad "status --json: the link's last_error ($got)"; shtest_show "$work/link.json"; }
python3 - "$work/link.json" "$FAKE" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
nodes = [l.get("node") for l in o.get("links", [])
         if l.get("service") == "management" and l.get("address", "").startswith(sys.argv[2])]
sys.exit(0 if nodes == ["\u00e9" * 31] else "the fake's management link names %r" % nodes)
PY
[ $? = 0 ] && ok "status --json: a peer's 80-byte id in its link, cut between characters" ||
    { bad "status --json: the link's node"; shtest_show "$work/link.json"; }

# plaintext clients whose hellos name long ids; each stays until killed
# (at most 20 s), after it printed "up" once the node's hello came
hello_client() { # SOURCE NODE_ID
    python3 - "$SRC" "$1" "$NET.1" "$2" >"$work/cl-$1" 2>&1 <<'PY' &
import socket, struct, sys, time
sys.path.insert(0, sys.argv[1])
from flood_peers import field, frame
s = socket.socket()
s.bind((sys.argv[2], 0))
s.settimeout(10)
s.connect((sys.argv[3], 23000))
h = field(1, 0, 1) + field(2, 2, sys.argv[4].encode()) + field(3, 2, b"jtext") + \
    field(4, 2, b"test_json_not_utf8")
s.sendall(frame(field(1, 0, 1) + field(2, 0, 1) + field(8, 2, h)))
n = struct.unpack(">I", s.recv(4, socket.MSG_WAITALL))[0]
s.recv(n, socket.MSG_WAITALL)
print("up", flush=True)
time.sleep(20)
PY
    hello_pids+=("$!")
    at_exit "kill $! 2>/dev/null"
}
hello_pids=()
# "sipcctl:ab@h/" and 24 "é" and ":1" is 63 bytes; the guard's name for it,
# "sipcctl:ab@h home " and the 24, is 66
TOOLID="sipcctl:ab@h/$(python3 -c 'print("\u00e9" * 24)'):1"
hello_client "$NET.2" "$LONG"
hello_client "$NET.3" "$TOOLID"
wait_for 10 grep -q up "$work/cl-$NET.2" && wait_for 10 grep -q up "$work/cl-$NET.3" ||
    { not_ok "the plaintext clients did not say hello"; cat "$work/cl-$NET".*; }
"$BIN/sipcctl" --home "$work/p" --timeout 5000 --json status >"$work/pp.json" 2>/dev/null
wait_for 10 grep -q "$NET.3" "$work/p/state/peers"
python3 - "$work/pp.json" "$work/p/state/peers" "$NET" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
hist = json.load(open(sys.argv[2])).get("peers", [])
net, e = sys.argv[3], "\u00e9"
long_id, tool = e * 31, "sipcctl:ab@h home " + e * 22
def node_of(lst, addr):
    # a listener's peers are named with their port, the history's without
    return [p.get("node", "") for p in lst
            if p.get("address") == addr or p.get("address", "").startswith(addr + ":")]
plain = [p for s in o.get("services", []) for p in s.get("plaintext_peers", [])]
guard = (o.get("guard") or {}).get("plaintext_peers", [])
checks = [
    (node_of(plain, net + ".2") == [long_id], "the long id in plaintext_peers"),
    (node_of(guard, net + ".2") == [long_id], "the long id in guard.plaintext_peers"),
    (node_of(hist, net + ".2") == [long_id], "the long id in state/peers"),
    ([n for n in node_of(guard, net + ".3") if n.startswith(tool)],
     "the client named as sipcctl in guard.plaintext_peers"),
    ([n for n in node_of(hist, net + ".3") if n.startswith(tool)],
     "the client named as sipcctl in state/peers"),
]
bad = [what for good, what in checks if not good]
sys.exit("missing: " + ", ".join(bad) if bad else 0)
PY
[ $? = 0 ] && ok "plaintext clients with long ids: listed in plaintext_peers, the guard and state/peers" ||
    { bad "plaintext clients with long ids"; shtest_show "$work/pp.json"; shtest_show "$work/p/state/peers"; }
# the clients first: they never answer the stop's GOAWAY, which would make
# the node wait out its whole drain (10 s)
kill "${hello_pids[@]}" 2>/dev/null
kill -TERM "$node_pid"
wait "$node_pid"
text_node_stop
# the sanitizer build: nothing reported by either sipcd
if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$H.out" "$work/p.out"; then
    bad "a sanitizer report in sipcd's output"
    shtest_show "$H.out"
    shtest_show "$work/p.out"
else
    ok "sipcd reported nothing to the sanitizers"
fi
shtest_done
