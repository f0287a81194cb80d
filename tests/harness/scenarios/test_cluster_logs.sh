#!/usr/bin/env bash
# test_cluster_logs.sh - `sipc-cluster logs NODE` merges a node's service
# logs in the order of the instants their stamps name, not of the stamps'
# text: each stamp carries its local time's offset (base/log_line.c), so
# around a DST change (the hour 02:00-03:00 seen twice) or with services
# (or runs) under different TZ settings the text order is wrong. The log
# files are written here by hand into node homes that a cluster.json
# names: no node runs, no address is used.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
# shellcheck disable=SC1091
. "$(dirname "$0")/../../support/shtest.sh"
SC="$BIN/sipc-cluster"
[ -x "$SC" ] || { echo "$SC is missing (build first)"; exit 1; }
shtest_init cluster-logs
CL=$work/cluster
home=$CL/nodes/n1
mkdir -p "$home/logs"
home2=$CL/nodes/n2
mkdir -p "$home2/logs"
jq -n --arg h "$home" --arg h2 "$home2" '{version: 1, name: "logs", nodes: [{name: "n1", home: $h, address: "127.1.45.1"},
    {name: "n2", home: $h2, address: "127.1.51.1"}]}' >"$CL/cluster.json"
logs() { "$SC" --dir "$CL" logs "$@"; }

# Europe/Berlin, 2026-10-25: 03:00 CEST (+02:00) becomes 02:00 CET (+01:00).
# The data and search services log across the change; management ran under
# TZ=UTC, the pipeline under TZ=America/New_York (-04:00), with a stamp that
# has a fraction (a writer with sub-second stamps). In UTC, the order is:
#   00:35  management  a
#   00:40  data        b   02:40+02:00
#   00:50  search      c   02:50+02:00
#   01:10  data        d   02:10+01:00 (after the change: text-sorts before b)
#   01:10  pipeline    e   21:10-04:00 the day before (same instant as d: d first,
#                          the services' order, as for any two lines of one second)
#   01:10.5 pipeline   f
#   01:15  management  g
#   01:20  search      h   02:20+01:00
cat >"$home/logs/DataService_2026-10-25.log" <<'EOF'
2026-10-25T02:40:00+02:00 Data.Storage INFO b
2026-10-25T02:10:00+01:00 Data.Storage INFO d   (two  spaces kept)
EOF
cat >"$home/logs/SearchService_2026-10-25.log" <<'EOF'
2026-10-25T02:50:00+02:00 Search.Query INFO c
2026-10-25T02:20:00+01:00 Search.Query INFO h
EOF
cat >"$home/logs/ManagementService_2026-10-25.log" <<'EOF'
2026-10-25T00:35:00+00:00 Service.Start INFO a
2026-10-25T01:15:00+00:00 Service.Start INFO g
EOF
cat >"$home/logs/PipelineService_2026-10-24.log" <<'EOF'
2026-10-24T21:10:00-04:00 Pipeline.Send INFO e
2026-10-24T21:10:00.500-04:00 Pipeline.Send INFO f
EOF

run logs n1
order=$(awk '{ print $5 }' "$OUT" | paste -sd' ' -)
if [ "$RC" = 0 ] && [ "$order" = "a b c d e f g h" ]; then
    ok "logs n1: merged by instant across a DST change and three UTC offsets ($order)"
else
    bad "logs n1: exit $RC, order '$order', want 'a b c d e f g h'"
fi
grep -qx '2026-10-25T02:10:00+01:00 DataService        Data.Storage INFO d   (two  spaces kept)' "$OUT" &&
    grep -qx '2026-10-24T21:10:00.500-04:00 PipelineService    Pipeline.Send INFO f' "$OUT" &&
    ok "each line as written, its stamp untouched, the service named after it" ||
    bad "the lines are not printed as written"

run logs n1 --tail 3
order=$(awk '{ print $5 }' "$OUT" | paste -sd' ' -)
[ "$RC" = 0 ] && [ "$order" = "f g h" ] && ok "--tail 3: the last three instants ($order)" ||
    bad "--tail 3: exit $RC, order '$order', want 'f g h'"

run logs n1 --service data
order=$(awk '{ print $5 }' "$OUT" | paste -sd' ' -)
[ "$RC" = 0 ] && [ "$order" = "b d" ] && ok "--service data: its own lines only, in order ($order)" ||
    bad "--service data: exit $RC, order '$order', want 'b d'"

# a line without a stamp (a crash cut a line short and the next run wrote
# on) stays after the line before it, whose instant (00:55) is before d's
printf '2026-10-25T02:55:00+02:00 Data.Storage INFO b2\ncut short\n' >>"$home/logs/DataService_2026-10-25.log"
run logs n1
order=$(sed 's/^ *//' "$OUT" | awk '{ print ($1 == "DataService" ? $NF : $5) }' | paste -sd' ' -)
[ "$RC" = 0 ] && [ "$order" = "a b c b2 short d e f g h" ] &&
    ok "a line without a stamp follows the line before it ($order)" ||
    bad "a line without a stamp: exit $RC, order '$order', want 'a b c b2 short d e f g h'"

# Stamps have milliseconds (base/log_line.c): lines written within one
# second are ordered by them, across services under different TZ settings
# (as the nodes of a cluster may run), and whole-second stamps, which a
# sipcd from before milliseconds left in the files an upgrade keeps, are
# read in the same merge as that second's .000. n2, 2026-12-05 23:57 UTC:
#   14        data        o1  (old sipcd, whole seconds)
#   14.999    pipeline    p   (new)
#   15        data        o2  (old: .000, so before every line of 15.xxx)
#   15.005    search      m1  00:57:15.005+01:00 the next day
#   15.099    management  m2  18:57:15.099-05:00
#   15.412    data        m3
#   15.413    search      m4  (one millisecond after m3)
#   15.979    management  m5
#   15.980    data        m6
# The files' order (o1 o2 m3 m6, m1 m4, m2 m5, p) and the stamps' text
# order (m2 m5 o1 p o2 m3 m6 m1 m4) are both wrong.
cat >"$home2/logs/DataService_20261205.log" <<'EOF'
2026-12-05T23:57:14+00:00 Data.Storage INFO o1
2026-12-05T23:57:15+00:00 Data.Storage INFO o2
2026-12-05T23:57:15.412+00:00 Data.Storage INFO m3
2026-12-05T23:57:15.980+00:00 Data.Storage INFO m6
EOF
cat >"$home2/logs/SearchService_20261206.log" <<'EOF'
2026-12-06T00:57:15.005+01:00 Search.Query INFO m1
2026-12-06T00:57:15.413+01:00 Search.Query INFO m4
EOF
cat >"$home2/logs/ManagementService_20261205.log" <<'EOF'
2026-12-05T18:57:15.099-05:00 Service.Start INFO m2
2026-12-05T18:57:15.979-05:00 Service.Start INFO m5
EOF
cat >"$home2/logs/PipelineService_20261205.log" <<'EOF'
2026-12-05T23:57:14.999+00:00 Pipeline.Send INFO p
EOF
run logs n2
order=$(awk '{ print $5 }' "$OUT" | paste -sd' ' -)
if [ "$RC" = 0 ] && [ "$order" = "o1 p o2 m1 m2 m3 m4 m5 m6" ]; then
    ok "logs n2: lines of one second ordered by their milliseconds, whole-second lines among them ($order)"
else
    bad "logs n2: exit $RC, order '$order', want 'o1 p o2 m1 m2 m3 m4 m5 m6'"
fi
grep -qx '2026-12-05T23:57:15+00:00 DataService        Data.Storage INFO o2' "$OUT" &&
    grep -qx '2026-12-06T00:57:15.005+01:00 SearchService      Search.Query INFO m1' "$OUT" &&
    ok "old and new stamps printed as written" || bad "old or new stamps not printed as written"
# a line without a stamp after a line of the current format: its service
# stands in the column of the stamped lines' service
printf 'cut short\n' >>"$home2/logs/DataService_20261205.log"
run logs n2
want=$(grep -m1 ' Data.Storage INFO m6$' "$OUT" | awk '{ print index($0, "DataService") }')
got=$(grep -m1 'cut short$' "$OUT" | awk '{ print index($0, "DataService") }')
order=$(sed 's/^ *//' "$OUT" | awk '{ print ($1 == "DataService" ? $NF : $5) }' | paste -sd' ' -)
[ "$RC" = 0 ] && [ "$order" = "o1 p o2 m1 m2 m3 m4 m5 m6 short" ] && [ -n "$want" ] && [ "$want" = "$got" ] &&
    ok "a line without a stamp follows m6, its service in the stamped lines' column ($got)" ||
    bad "a line without a stamp: exit $RC, order '$order', service at column '$got', want '$want'"

# --tail 0 prints nothing and exits 0, however long the logs: `tail -n 0`
# exits unread, and the stages before it died of SIGPIPE (141)
for i in $(seq 1 3000); do
    printf '2026-12-05T23:58:%02d.%03d+00:00 Data.Storage INFO a line long enough to fill a pipe %05d\n' $((i / 1000 + 10)) $((i % 1000)) "$i"
done >>"$home2/logs/DataService_20261205.log"
run logs n2 --tail 0
[ "$RC" = 0 ] && [ ! -s "$OUT" ] && ok "--tail 0 of 3000 lines: nothing, exit 0" || bad "--tail 0: exit $RC"
run logs n2 --tail 2
[ "$RC" = 0 ] && [ "$(awk '{ print $NF }' "$OUT" | paste -sd' ' -)" = "02999 03000" ] &&
    ok "--tail 2 of them: the last two, exit 0" || bad "--tail 2: exit $RC"

shtest_done
