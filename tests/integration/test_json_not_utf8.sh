#!/usr/bin/env bash
# test_json_not_utf8.sh - text that is not UTF-8, or is cut inside a character,
# loses no key and no answer in the programs' JSON: its bad bytes show as
# \xNN, valid UTF-8 as it is.
#   - a real sipcd on $NET.1 whose home path holds a Latin-1 byte (0xe9):
#     `sipcctl status --json` has the logs' dir, named with \xe9, beside
#     every other section; `tlstool status --json` has the home; with the
#     node stopped, sipcctl's failure object names the home the same way
#   - a fake node on the next block's .1 (text_node.py, TEXT_NODE_REASON=long)
#     whose ingest reasons are 1,400 bytes of "é" (cut by sipcctl inside a
#     character) and a Latin-1 file name: `sipcctl ingest --json` lists both
#     failed records with their reasons, and both reasons in its summary, the
#     long one cut between characters; `get --json`'s failure holds the node's
#     800-byte error cut between characters
#     A reload refused for a setting sipc.conf does not know: the reason
#     names the home with \xe9, and the node's checks of the files every 3 s
#     log no "still refused, now for" for that same reason again
#   - a real sipcd on $NET.1 whose [cluster] names the fake node, which says a
#     last word of 800 bytes of "é" to its management link: the link's
#     last_error in `status --json` holds it cut between characters
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
# the node checks the files of a refused reload every 3 s here (12 s else)
SIPCD_RELOAD_RECHECK_MS=3000 sipcd_start "$H" || { shtest_done; exit 1; }
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

# --- a refused reload whose reason names the Latin-1 home ---------------------
# asked from a client home: the node's own sipc.conf is the one damaged
mkdir -p "$work/c"
printf '[cluster]\nname = jtext\n' >"$work/c/sipc.conf"
cctl() { "$BIN/sipcctl" --home "$work/c" --node "$NET.1" --timeout 5000 "$@"; }
stands() { cat "$H/logs/"ManagementService_*.log 2>/dev/null | grep -c 'is still refused, now for'; }
sed -i '/^\[node\]/a bogus = 1' "$H/sipc.conf"
cctl --json reload >"$work/rl.json" 2>/dev/null
n0=$(stands)
sleep 8 # two checks of the files at least
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
TEXT_NODE_REASON=long python3 "$SRC/text_node.py" "$FAKE" jtext >"$work/port" 2>"$work/fake.err" &
fake_pid=$!
wait_for 10 test -s "$work/port" ||
    { not_ok "the fake node did not start"; shtest_show "$work/fake.err"; shtest_done; exit 1; }
port=$(cat "$work/port")
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
kill "$fake_pid" 2>/dev/null
wait "$fake_pid" 2>/dev/null

# --- a peer's last word, longer than a link keeps of it ----------------------
TEXT_NODE_GOODBYE=long python3 "$SRC/text_node.py" "$FAKE" jtext 23002 >"$work/port2" \
    2>"$work/fake2.err" &
fake_pid=$!
wait_for 10 test -s "$work/port2" ||
    { not_ok "the fake peer did not start"; shtest_show "$work/fake2.err"; shtest_done; exit 1; }
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
kill -TERM "$node_pid"
wait "$node_pid"
kill "$fake_pid" 2>/dev/null
wait "$fake_pid" 2>/dev/null
# the sanitizer build: nothing reported by either sipcd
if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$H.out" "$work/p.out"; then
    bad "a sanitizer report in sipcd's output"
    shtest_show "$H.out"
    shtest_show "$work/p.out"
else
    ok "sipcd reported nothing to the sanitizers"
fi
shtest_done
