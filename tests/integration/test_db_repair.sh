#!/usr/bin/env bash
# test_db_repair.sh - the repair of a damaged database that docs/services.md
# ("A full or damaged database") gives works as written, with Debian's
# sqlite3 shell: a real sipcd ($BASE.1, plaintext) stores 300 records and
# stops; two pages of its records.db (one of the full-text index's, one of
# the records') are overwritten; the documented commands, taken from the
# guide itself, rebuild the file; the node starts on it, every record not
# on the damaged page is there with its attributes, and a search finds them
# (the full-text index was rebuilt too), and the damage verdict kept for
# the old file (state/records-damaged) no longer holds its writes back. Then the same commands on that
# file cut to half its size, whose schema no longer parses: they save what
# the first half holds and the node serves it. Skipped (exit 77) without
# sqlite3.
set -uo pipefail
BIN=${SIPC_TEST_BIN:?SIPC_TEST_BIN must point at the build directory}
BASE=${SIPC_TEST_NET:-127.0.65}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
command -v sqlite3 >/dev/null || { echo "# skipped: no sqlite3 shell (apt install sqlite3)"; exit 77; }
. "$(dirname "$0")/../support/shtest.sh"
need_free "$BASE.1":{23000,23001,23002,23003}
shtest_init dbrepair
home=$work/home
one_node_home "$home" repair
stop_node() { kill -TERM "$sipcd_pid"; wait "$sipcd_pid" 2>/dev/null; }

sipcd_start "$home" || exit 1
python3 - "$work/in.ndjson" <<'EOF'
import json, sys
with open(sys.argv[1], 'w') as f:
    for i in range(300):
        f.write(json.dumps({'id': 'r-%03d' % i, 'timestamp_ms': 1764000000000 + i,
                            'attributes': {'n': str(i)}, 'body': 'repairable record %d' % i}) + '\n')
EOF
run ctl ingest "$work/in.ndjson"
expect "300 records stored" 0
stop_node

# damage: the first page of the full-text index's data, and the last leaf
# page of the records table: the records on it are lost (nothing brings
# them back), .dump meets the error and ends its script with a ROLLBACK
# (the case the guide handles), the other records must all come back;
# then the rebuilt file cut in half
db=$home/data/records.db
pages="$(sqlite3 "$db" "SELECT rootpage FROM sqlite_schema WHERE name = 'records_fts_data'") $(sqlite3 "$db" "SELECT max(pageno) FROM dbstat WHERE name = 'records' AND pagetype = 'leaf'")"
lost=$(sqlite3 "$db" "SELECT ncell FROM dbstat WHERE name = 'records' AND pagetype = 'leaf' ORDER BY pageno DESC LIMIT 1")
psize=$(sqlite3 "$db" "PRAGMA page_size")
python3 - "$db" "$psize" $pages <<'EOF'
import sys
with open(sys.argv[1], 'r+b') as f:
    for p in sys.argv[3:]:
        f.seek((int(p) - 1) * int(sys.argv[2]))
        f.write(b'\xff' * int(sys.argv[2]))
EOF
want=$((300 - lost))
echo "# damaged pages $pages; the records leaf held $lost records: $want can come back"
run sqlite3 "$home/data/records.db" "PRAGMA integrity_check"
if grep -q -v '^ok$' "$OUT"; then ok "the file is damaged"; else bad "the damage did not show"; fi

# the verdict a running node would have kept on this file (state/records-damaged)
inst=$(sqlite3 "$db" "SELECT instance FROM store_meta")
echo "instance $inst at 2026-01-01T00:00:00Z: list records: database disk image is malformed" >"$home/state/records-damaged"

# the guide's commands, as written there
python3 - "$SRC/docs/services.md" >"$work/repair.sh" <<'EOF'
import sys
s = open(sys.argv[1]).read()
i = s.index("  cd $SIPC_HOME && cp -a data data.damaged")
j = s.index("```", i)
print("\n".join(l[2:] for l in s[i:j].splitlines()))
EOF
run env SIPC_HOME="$home" bash -e "$work/repair.sh"
if [ "$RC" = 0 ] && [ "$(tail -n 2 "$OUT" | head -n 1)" = ok ] && [ "$(tail -n 1 "$OUT")" = "$want" ] && [ "$want" -gt 0 ]; then
    ok "the documented repair rebuilt the file: integrity ok, the $want readable records"
else
    bad "the documented repair (exit $RC)"
fi
mv "$home/data/records.new.db" "$home/data/records.db"
rm -f "$home/data/records.db-wal" "$home/data/records.db-shm"
sipcd_start "$home" || exit 1
run ctl get r-000
expect "the node serves the rebuilt file: a record is there" 0 'repairable record 0'
run ctl search --json --limit 1000 'repairable'
if [ "$RC" = 0 ] && jq -e --argjson w "$want" '(.hits | length) == $w' "$OUT" >/dev/null; then
    ok "a search finds all $want records (the full-text index was rebuilt)"
else
    bad "search after the repair (exit $RC)"
fi
run ctl list --json --since 2025-01-01T00:00:00Z --limit 1000
if [ "$RC" = 0 ] && jq -e --argjson w "$want" 'length == $w and ([.[] | select(.attributes.n == (.id | ltrimstr("r-") | tonumber | tostring))] | length == $w)' "$OUT" >/dev/null; then
    ok "list shows the $want records with their attributes"
else
    bad "list after the repair (exit $RC)"
fi
run ctl status
expect "the node's storage is ok" 0 '^  storage: ok$'
if [ ! -e "$home/state/records-damaged" ] && grep -q 'Data.Storage INFO records.db is another database than the one found damaged at 2026-01-01T00:00:00Z (repaired or new): writes are taken (state/records-damaged removed)' "$home/logs/"DataService_*.log; then
    ok "the rebuilt file is another database: the damage verdict is dropped, and that is said"
else
    bad "the damage verdict on the old file was kept for the rebuilt one"
fi

# a file cut to half its size: the schema no longer parses (the query of
# sqlite_schema alone fails "database disk image is malformed"); the guide's
# commands still save what the first half holds
stop_node
rm -rf "$home/data.damaged" "$home/records.sql" "$home/schema.sql"
truncate -s $(($(stat -c %s "$db") / 2)) "$db"
run sqlite3 "$db" "SELECT count(*) FROM sqlite_schema"
expect "the cut file's schema does not parse" 11 'malformed'
run env SIPC_HOME="$home" bash -e "$work/repair.sh"
cut=$(tail -n 1 "$OUT")
if [ "$RC" = 0 ] && [ "$(tail -n 2 "$OUT" | head -n 1)" = ok ] && [ "$cut" -gt 0 ] 2>/dev/null && [ "$cut" -le "$want" ]; then
    ok "the documented repair rebuilt a file cut in half: integrity ok, $cut records saved"
else
    bad "the documented repair of a file cut in half (exit $RC)"
fi
mv "$home/data/records.new.db" "$home/data/records.db"
rm -f "$home/data/records.db-wal" "$home/data/records.db-shm"
sipcd_start "$home" || exit 1
run ctl search --json --limit 1000 'repairable'
if [ "$RC" = 0 ] && jq -e --argjson w "$cut" '(.hits | length) == $w' "$OUT" >/dev/null; then
    ok "the node serves the $cut saved records, found by a search"
else
    bad "search after the repair of the cut file (exit $RC)"
fi
shtest_done
