/* data_schema.h - the data service's SQLite schema: one definition for the
 * store and for the benchmark that writes the same tables straight into
 * SQLite (tests/bench/sqlite_raw.c), so the two can never drift apart. */
#ifndef SIPC_DATA_SCHEMA_H
#define SIPC_DATA_SCHEMA_H

/* The schema. rid is an INTEGER PRIMARY KEY (a rowid alias) because the FTS
 * index refers to rows by rowid, and only an alias keeps its values across
 * VACUUM. The triggers are the one place that keeps record_attrs and
 * records_fts in step with records: whatever writes records, the index
 * follows within the same statement and so the same transaction. (The
 * table health_probe is not here: data_store_probe makes it the first time
 * writes fail, so that starting never has to write.) */
#define SIPC_DATA_SCHEMA_SQL \
    "CREATE TABLE IF NOT EXISTS records(" \
    "  rid INTEGER PRIMARY KEY," \
    "  id TEXT NOT NULL UNIQUE," \
    "  ts INTEGER NOT NULL," \
    "  attributes TEXT NOT NULL," \
    "  body BLOB NOT NULL);" \
    "CREATE INDEX IF NOT EXISTS records_ts ON records(ts, id);" \
    "CREATE TABLE IF NOT EXISTS record_attrs(" \
    "  rid INTEGER NOT NULL, seq INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL," \
    "  PRIMARY KEY(rid, seq)) WITHOUT ROWID;" \
    "CREATE INDEX IF NOT EXISTS record_attrs_kv ON record_attrs(key, value);" \
    "CREATE VIRTUAL TABLE IF NOT EXISTS records_fts USING fts5(" \
    "  body, attributes, content='records', content_rowid='rid');" \
    "CREATE TRIGGER IF NOT EXISTS records_ai AFTER INSERT ON records BEGIN" \
    "  INSERT INTO records_fts(rowid, body, attributes) VALUES (new.rid, new.body, new.attributes);" \
    "  INSERT INTO record_attrs(rid, seq, key, value)" \
    "    SELECT new.rid, j.key, j.value->>0, j.value->>1 FROM json_each(new.attributes) AS j;" \
    "END;" \
    "CREATE TRIGGER IF NOT EXISTS records_ad AFTER DELETE ON records BEGIN" \
    "  INSERT INTO records_fts(records_fts, rowid, body, attributes)" \
    "    VALUES ('delete', old.rid, old.body, old.attributes);" \
    "  DELETE FROM record_attrs WHERE rid = old.rid;" \
    "END;" \
    "CREATE TRIGGER IF NOT EXISTS records_au AFTER UPDATE ON records BEGIN" \
    "  INSERT INTO records_fts(records_fts, rowid, body, attributes)" \
    "    VALUES ('delete', old.rid, old.body, old.attributes);" \
    "  DELETE FROM record_attrs WHERE rid = old.rid;" \
    "  INSERT INTO records_fts(rowid, body, attributes) VALUES (new.rid, new.body, new.attributes);" \
    "  INSERT INTO record_attrs(rid, seq, key, value)" \
    "    SELECT new.rid, j.key, j.value->>0, j.value->>1 FROM json_each(new.attributes) AS j;" \
    "END;"

#endif
