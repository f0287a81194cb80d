/* data_store.h - the data service's SQLite database, synchronous: one
 * data_store is one connection with its prepared statements, used by one
 * thread at a time (a thread-pool worker; the service guarantees it).
 *
 * Schema (version 1, PRAGMA user_version):
 *   records(rid INTEGER PRIMARY KEY, id TEXT UNIQUE, ts INTEGER, attributes TEXT, body BLOB)
 *       attributes is a JSON array of [key, value] pairs in the order given;
 *       rid is the stable integer key the FTS index refers to.
 *   record_attrs(rid, seq, key, value)      one row per attribute, for filters
 *   records_fts  FTS5(body, attributes), external content = records
 * Triggers on records keep record_attrs and records_fts in step, inside the
 * statement (so inside the transaction) that changes records. */
#ifndef SIPC_DATA_STORE_H
#define SIPC_DATA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "data.pb-c.h"
#include "data_service.h"

typedef struct data_store data_store;

typedef enum {
    DATA_STORE_WRITER, /* creates the schema; the only one that writes */
    DATA_STORE_READER, /* PRAGMA query_only */
    /* the writer, on a records.db that must exist already (a later open
     * while the node runs: a missing file is not made anew) */
    DATA_STORE_WRITER_EXISTING
} data_store_role;

/* The oldest SQLite whose library honours SQLITE_OPEN_NOFOLLOW (3.31.0). */
#define DATA_STORE_SQLITE_MIN 3031000

/* Opens path (the writer creates it and its schema). A symbolic link
 * anywhere in path, or as its -wal or -shm, is refused (SQLITE_OPEN_NOFOLLOW;
 * checked with SQLite 3.40.1: a link in the path or as the file fails the
 * open, one as -wal or -shm the first write): give a resolved path. A
 * library older than DATA_STORE_SQLITE_MIN is refused (SIPC_ECONFIG).
 * Returns 0 or a negative code with "PATH: reason" in err. */
int data_store_open(data_store **out, const char *path, data_store_role role, sipc_data_sync sync,
                    char *err, size_t errlen);
/* The code of a damaged file (SQLITE_CORRUPT, SQLITE_NOTADB: "database disk
 * image is malformed", "file is not a database"), whatever the operation. */
#define DATA_STORE_DAMAGED SIPC_EFORMAT
/* 1 when SQLite opened the file read-only (a read-only file system or file):
 * every write fails. */
int data_store_readonly(data_store *s);
/* Start-up check of the file: its size against its header's page count
 * (when the -wal holds nothing), then PRAGMA quick_check for at most
 * budget_ms (*whole 0 when the time ran out first). DATA_STORE_DAMAGED with
 * what was found in err when the file is damaged. */
int data_store_check(data_store *s, unsigned budget_ms, int *whole, char *err, size_t errlen);
/* Writer: the database's identity and counters (sipc_data_mark: table
 * store_meta, one row), making the row first where it is missing (a database
 * made before it, or rebuilt by the repair: a new instance). Fails only
 * when the file is damaged or cannot be read; a row that cannot be made
 * (read-only, busy, full, I/O) leaves instance 0, with why in err. */
int data_store_meta(data_store *s, sipc_data_mark *m, char *err, size_t errlen);
/* Writer, inside the transaction of the writes it counts: created added,
 * writes + 1 (one row rewritten; nothing without store_meta). */
int data_store_count(data_store *s, int64_t created, char *err, size_t errlen);
/* PRAGMA wal_checkpoint(TRUNCATE): every committed page copied into the
 * database file and the -wal emptied. The copy is cut at budget_ms and
 * waiting for another connection's reader ends at half of it; the fsyncs of
 * what was copied are not bounded (SQLite does not interrupt them). Fails when it could not (a full disk, a
 * read-only file, another connection using the log; UV_ETIMEDOUT when cut
 * at budget_ms), and then the close leaves the rest in the -wal instead of
 * copying it without a limit. */
int data_store_checkpoint(data_store *s, unsigned budget_ms, char *err, size_t errlen);
/* Closes the connection (the last one to close checkpoints the WAL). */
void data_store_close(data_store *s);
/* VACUUM INTO path: a consistent copy of every committed record, made by
 * SQLite from what this connection reads (the file it has open, with its
 * -wal), whatever the name records.db holds now. path must not be there or
 * be empty (SQLite refuses a file with content). Then synced. */
/* About the bytes a copy by data_store_copy_to writes: the pages in use
 * (free ones are not copied), with what the -wal holds. */
int data_store_copy_size(data_store *s, uint64_t *bytes, char *err, size_t errlen);
int data_store_copy_to(data_store *s, const char *path, char *err, size_t errlen);
/* The close will neither copy the -wal into the file nor remove it (the
 * file the connection has open is no longer records.db: a copy into it
 * would be lost with it, and the -wal with it). */
void data_store_keep_log(data_store *s);
/* Whether the name the connection opened leads to another file than the
 * one it has open now (SQLITE_FCNTL_HAS_MOVED: removed, renamed, replaced):
 * 1, 0 when it still leads there, or -1 when SQLite cannot tell. */
int data_store_has_moved(data_store *s);
/* The device and inode of the file a writer opened, taken at its open
 * (before any check): 0, or a negative code when they could not be known
 * (a stat failed, the name moved as it was opened), with why in err. */
int data_store_identity(const data_store *s, unsigned long long *dev, unsigned long long *ino,
                        char *err, size_t errlen);

/* ---------------------------------------------------------------- writes */

/* BEGIN IMMEDIATE ... COMMIT around any number of groups. commit returns 0
 * only when the transaction is durable per the sync setting; on failure it
 * has rolled back. */
int data_store_begin(data_store *s, char *err, size_t errlen);
int data_store_commit(data_store *s, char *err, size_t errlen);
void data_store_rollback(data_store *s);
/* A group (SAVEPOINT) inside the transaction: group_end(s, 0) undoes every
 * write since group_begin, group_end(s, 1) keeps them. So one failed request
 * does not undo the others committed with it. group_end fails when the
 * transaction itself is gone: SQLite rolls back the whole transaction on
 * some errors (a full disk, I/O errors, out of memory), and then nothing
 * written since begin is kept, whatever group it was in; the caller must
 * roll back (data_store_rollback) and count every group as failed. */
int data_store_group_begin(data_store *s, char *err, size_t errlen);
int data_store_group_end(data_store *s, int keep, char *err, size_t errlen);

/* Inserts or replaces r (validated by the caller). *result: CREATED,
 * UNCHANGED (same id, identical timestamp, attributes and body: nothing is
 * written) or REPLACED. */
int data_store_put(data_store *s, const Sipc__Data__Record *r, Sipc__Data__PutResult *result,
                   char *err, size_t errlen);
/* How long a statement waits for another process's lock on the database
 * (an sqlite3 shell in a transaction) before it fails. */
#define DATA_STORE_BUSY_MS 5000
/* wait 0: fail at once on such a lock instead (the health probe, which
 * must not hold up the writes queued behind it); 1: wait again. */
void data_store_busy_wait(data_store *s, int wait);
/* Rewrites the one row of the table health_probe (made here the first
 * time): a write that touches no record, to tell whether writes work
 * again. */
int data_store_probe(data_store *s, char *err, size_t errlen);
/* *deleted: 1 if a record with that id existed. */
int data_store_delete(data_store *s, const ProtobufCBinaryData *id, int *deleted, char *err,
                      size_t errlen);

/* ----------------------------------------------------------------- reads */

/* *out: a record allocated here (free with data_store_record_free), or NULL
 * when there is none with that id. */
int data_store_get(data_store *s, const ProtobufCBinaryData *id, Sipc__Data__Record **out,
                   char *err, size_t errlen);
void data_store_record_free(Sipc__Data__Record *r);

typedef struct data_list_params {
    int64_t from_ms, to_ms;   /* [from, to); to 0: no upper bound */
    int has_after;            /* continue after (after_ts, after_id) */
    int64_t after_ts;
    ProtobufCBinaryData after_id;
    size_t limit;             /* >= 1 */
    size_t max_bytes;         /* stop early (more = 1) once the page holds this much */
    int include_body;
} data_list_params;

/* Fills out->records, ->more and ->next (free with data_store_list_free). */
int data_store_list(data_store *s, const data_list_params *p, Sipc__Data__ListResponse *out,
                    char *err, size_t errlen);
void data_store_list_free(Sipc__Data__ListResponse *out);

typedef struct data_hits {
    sipc_data_hit *hits;
    char **blocks;       /* one allocation per hit: its id, attributes and body */
    size_t n;
    int more;
} data_hits;

/* Runs q (limit already resolved to >= 1; with content, max_bytes is the
 * budget, 0 for none). A malformed FTS5 query is SIPC_EINVAL with SQLite's
 * reason; one stopped by the connection's stop function, SIPC_ECANCELED. */
int data_store_search(data_store *s, const sipc_data_query *q, data_hits *out, char *err,
                      size_t errlen);
void data_hits_free(data_hits *h);
/* stop(arg) is asked every DATA_STORE_STOP_STEPS steps of SQLite's
 * statements on s, and a non-zero answer ends the statement (a search that
 * must not run past its deadline); stop NULL: none. A single step can take
 * longer: FTS5 gathers all of a prefix's matches (pay*) in one. */
#define DATA_STORE_STOP_STEPS 1000
void data_store_set_stop(data_store *s, int (*stop)(void *), void *arg);

#endif
