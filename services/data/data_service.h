/* data_service.h - the data service: durable storage of captured session
 * records, served on a sipc router as service "data" (methods put,
 * put_batch, get, delete, list; payloads in data.proto), plus an in-process
 * full-text query for the search service.
 *
 * Written only against the public sipc API (sipc/sipc.h). Storage is SQLite
 * in WAL mode at DIR/records.db; every database access runs on libuv's thread
 * pool (uv_queue_work), never on the loop thread, and a put is answered only
 * after its transaction has committed. docs/services.md, "Data service", is
 * the reference for methods, statuses, schema and durability.
 *
 * Threading: every function here must be called on the loop thread of the
 * loop given to sipc_data_open; callbacks run on that thread too.
 *
 * Signals: a host should ignore SIGXFSZ (sipcd does): under a file size
 * limit a write past it then fails as a storage error, said and reported,
 * instead of the signal killing the process. */
#ifndef SIPC_DATA_SERVICE_H
#define SIPC_DATA_SERVICE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "sipc/sipc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The service name on the router. */
#define SIPC_DATA_SERVICE "data"

/* Application statuses sent with sipc_respond_error (the caller sees
 * SIPC_EREMOTE with reply->status set to one of these). Same numbers as enum
 * Status in data.proto. */
typedef enum {
    SIPC_DATA_BAD_REQUEST = 1, /* payload is not the method's request message */
    SIPC_DATA_INVALID = 2,     /* empty id, bad UTF-8, timestamp out of range, bad range or query */
    SIPC_DATA_TOO_LARGE = 3,   /* over a limit of sipc_data_options */
    SIPC_DATA_NOT_FOUND = 4,   /* get: no such id */
    SIPC_DATA_BUSY = 5,        /* write queue full; nothing stored; retry later */
    SIPC_DATA_STORAGE = 6,     /* the database failed; nothing of the request stored */
    SIPC_DATA_CLOSING = 7      /* sipc_data_close was called; nothing stored */
} sipc_data_status;

/* "BAD_REQUEST", "INVALID", ... or "UNKNOWN". */
const char *sipc_data_status_name(int status);

/* PRAGMA synchronous in WAL mode. FULL: a committed (acknowledged) record is
 * on disk (an fsync of the WAL at every grouped commit); NORMAL: it survives
 * the process being killed, not a power loss, an OS crash or a file-system
 * error that drops the pages not yet written. */
typedef enum { SIPC_DATA_SYNC_NORMAL = 0, SIPC_DATA_SYNC_FULL } sipc_data_sync;

/* The most max_attributes may be: a search's filters bind two values each
 * in one SQLite statement, which holds at most 32766. */
#define SIPC_DATA_MAX_ATTRIBUTES 16000

typedef struct sipc_data_options {
    sipc_data_sync sync;       /* default FULL */
    size_t max_body;           /* bytes of a record's body, default 1 MiB */
    size_t max_id;             /* bytes of an id, default 256 */
    size_t max_attributes;     /* attributes of one record (and filters of a search),
                                  default 64, at most SIPC_DATA_MAX_ATTRIBUTES */
    size_t max_key;            /* bytes of an attribute key, default 128 */
    size_t max_value;          /* bytes of an attribute value, default 4096 */
    size_t max_batch;          /* records in one put_batch, default 1000 */
    size_t max_list;           /* records in one list page or search, default 1000 */
    size_t default_list;       /* page size when a list asks for 0, default 100 */
    size_t max_response;       /* bytes of records in one list answer, default 8 MiB
                                  (keep it under the context's max_frame) */
    size_t max_queue;          /* bytes the writes waiting for the writer hold
                                  (payload and decoded copy) before puts get
                                  BUSY, default 64 MiB */
    unsigned readers;          /* read connections (get, list, search), default 4; at
                                  most one fewer read jobs than libuv's pool has
                                  threads run at once (the rest wait on the loop), so
                                  that a thread is left for the write job */
    /* Where the database's failures are said (category "Data.Storage"): an
     * ERROR when writes or reads start failing (a full disk, an I/O error,
     * a damaged file), a reminder at most once a minute while they go on,
     * and an INFO with how many requests failed once a request (or the
     * write probe, sipc_data_health) succeeds 10 s or more after the last
     * failure. NULL: not said (the requests
     * still get STORAGE with the reason). */
    sipc_log_fn log;
    void *log_arg;
    /* Called once, on the loop thread, when a statement finds the file
     * damaged (writes are refused from then on), with the reason: a host
     * that keeps this verdict outside the database (sipcd: state/
     * records-damaged, with sipc_data_mark's instance) can keep refusing
     * writes after a restart (sipc_data_refuse_writes), when the start-up
     * check does not reach the damage. NULL: not called. */
    void (*damaged_cb)(const char *reason, void *arg);
    void *damaged_arg;
    /* Nonzero: a database that cannot be opened (damaged, on a read-only
     * file system without its -shm, not readable, an I/O error) does not
     * fail sipc_data_open. The service is then up but not open: every call
     * is refused (STORAGE, with the reason and what to do; a search gets
     * UV_EIO), sipc_data_open_state says so, the health says writes and
     * reads fail, and the database is opened again, on the thread pool,
     * once its files change (records.db, its -wal or its directory: their
     * identity, size, times or mode; the file system turned writable) and
     * then stay unchanged for SIPC_DATA_SETTLE_MS; and, when the failure
     * is not one the files show (a damaged file, records.db missing, a
     * stale -wal) but may pass without a change of them (a lock, an I/O
     * error, a full disk), also on a timer (SIPC_DATA_RETRY_MS, doubling
     * up to 16 times that: the start-up check can take 2 s). Problems of the directory itself
     * (not one, unsafe permissions, another account's) and a library or a
     * schema this program cannot use still fail sipc_data_open. 0: any
     * failure fails sipc_data_open. */
    int retry_open;
    /* With retry_open: called on the loop thread when the database opened
     * after sipc_data_open returned (not for an open at sipc_data_open),
     * before any request is served from it: sipc_data_mark_get and
     * sipc_data_refuse_writes may be used in it. NULL: not called. */
    void (*opened_cb)(void *arg);
    void *opened_arg;
    /* The service's waits, in ms (0: the default, what a node uses). They
     * suit an operator's repair, not a test's run time, so tests shorten
     * them. watch_ms: how often the files are looked at while not open
     * (SIPC_DATA_WATCH_MS), and while open whether records.db still names
     * the file open (a stat on the thread pool: removed, moved away or
     * replaced, writes are refused with why, reads served from the open
     * file, and a copy of it written beside it, records.db.saved-TIME;
     * back, writes are taken again); settle_ms: how long a change of them must stay
     * before an attempt (SIPC_DATA_SETTLE_MS); retry_ms: the first timed
     * attempt after one failed on a cause no file shows (SIPC_DATA_RETRY_MS,
     * then twice as long each time, up to 16 times retry_ms); probe_ms: how
     * often, while writes fail, a writer opened read-only looks whether it
     * can write again and a write probe is considered (SIPC_DATA_PROBE_MS;
     * a probe is still made only quiet_ms after the latest failure);
     * quiet_ms: how long after the latest failure a success ends the
     * failing state, and so how often a test write is made while writes
     * fail (10 s, which keeps a flapping disk from a line per transaction). */
    unsigned watch_ms, settle_ms, retry_ms, probe_ms, quiet_ms;
    /* How long the oldest write not yet answered may wait before the
     * writes are slow (sipc_data_waiting), in ms: 0: the default,
     * SIPC_DATA_WRITES_SLOW_MS; else from SIPC_DATA_WRITES_SLOW_MIN_MS to
     * SIPC_DATA_WRITES_SLOW_MAX_MS (sipc_data_open refuses others). A node
     * whose disk is slow under sustained ingest raises it, so that its
     * monitoring does not flap while the disk keeps up. */
    unsigned writes_slow_ms;
} sipc_data_options;

/* retry_open: how long the database's files must stay unchanged before it
 * is opened again (an operator's repair is several commands), and how often
 * they are looked at (stat and statvfs: nothing is opened). */
#define SIPC_DATA_SETTLE_MS 2000
#define SIPC_DATA_WATCH_MS 1000
/* retry_open: the first timed attempt after one failed on a cause no file
 * shows (a lock, an I/O error), doubled up to 16 times; and how often a
 * writer opened read-only looks for the file system writable again. */
#define SIPC_DATA_RETRY_MS 10000
#define SIPC_DATA_PROBE_MS 10000

void sipc_data_options_init(sipc_data_options *opts);

typedef struct sipc_data sipc_data;

/* Opens (creating when missing) the directory dir (mode 0700) and the
 * database dir/records.db with its schema, and checks the file: a damaged
 * one (PRAGMA quick_check, at most 2 s) fails with SIPC_EFORMAT (with
 * retry_open: the service comes up not open, see sipc_data_options). On a
 * read-only file system (or file) it opens, serving reads, and writes fail
 * from the start (sipc_data_health says so) until the file system or the
 * file is writable again: checked every 10 s (statvfs, access, on the thread pool), and then
 * the writing connection is opened again. Once a statement finds the
 * file damaged, every write is refused (STORAGE) until the service closes
 * (damaged_cb tells the host). Blocking: meant for start-up, before the
 * loop serves requests.
 * opts may be NULL for the defaults. On failure err names the file and why:
 * a directory that could not be created fails with its errno (a libuv
 * code, e.g. UV_EACCES), a directory that is not fit (not one, unsafe, another
 * account's, a database file a link), a library or a schema this program
 * cannot use with SIPC_ECONFIG. */
int sipc_data_open(sipc_data **out, uv_loop_t *loop, const char *dir, const sipc_data_options *opts,
                   char *err, size_t errlen);

/* The database's health, as the Data.Storage log lines tell it: for writes
 * or reads, whether requests fail now because of the database (a full disk,
 * an I/O error, a damaged file; not a request's own fault) and since when.
 * "Now" ends with the first success 10 s or more after the last failure (a
 * write that changed nothing is none); while writes fail and no request
 * writes, the service tries a write of its own (one row of a table
 * health_probe) every 10 s once the cause looks gone (free space grown,
 * room under the file size limit, the file system writable again; never
 * after another I/O error or a damaged file), so that an idle node whose
 * disk got room again says so. Reads
 * end with the next read. docs/services.md has the details. */
typedef struct sipc_data_health {
    int failing;
    uint64_t failures;        /* while failing: requests failed since it began */
    int64_t since_unix_ms;    /* while failing: the first failure (wall clock) */
    int64_t last_unix_ms;     /* while failing: the latest failure */
    uint64_t failures_total;  /* requests failed by the database since open */
    char last_error[1024];    /* while failing: the latest failure's reason */
} sipc_data_health;

/* Fills writes and reads (either may be NULL) with their health. */
void sipc_data_health_get(const sipc_data *d, sipc_data_health *writes, sipc_data_health *reads);

/* The writes not yet answered: queued for the write job, or in the
 * transaction it runs (its commit not done). A write job normally commits
 * in well under a second (batches of hundreds of records, one fsync); a
 * write that has waited writes_slow_ms (sipc_data_options, by default
 * SIPC_DATA_WRITES_SLOW_MS) or more is held up: the database's write lock
 * held by another process (the busy timeout is 5 s, so a lock shows here
 * before the writes fail at the default), a slow or hung disk, or more
 * queued than the disk keeps up with. slow ends once the writes drain. */
typedef struct sipc_data_waiting {
    uint64_t requests;        /* puts, put_batches and deletes not yet answered */
    uint64_t bytes;           /* what they hold: payloads and decoded copies, the running
                                 job's included (max_queue bounds the queued ones) */
    uint64_t oldest_ms;       /* how long the oldest of them has waited; 0 for none */
    int slow;                 /* oldest_ms >= slow_after_ms */
    uint64_t slow_after_ms;   /* the service's writes_slow_ms */
} sipc_data_waiting;
#define SIPC_DATA_WRITES_SLOW_MS 2000
/* writes_slow_ms's bounds: under 100 ms a healthy commit's fsync would
 * count as held up; over 10 minutes a hung disk would go unsaid for long */
#define SIPC_DATA_WRITES_SLOW_MIN_MS 100
#define SIPC_DATA_WRITES_SLOW_MAX_MS 600000
void sipc_data_waiting_get(const sipc_data *d, sipc_data_waiting *out);
/* Sets writes_slow_ms while the service runs (a reload): the next look at
 * the waiting writes judges by it. 0, or SIPC_EINVAL outside
 * SIPC_DATA_WRITES_SLOW_MIN_MS .. _MAX_MS (the threshold left as it was). */
int sipc_data_set_writes_slow_ms(sipc_data *d, unsigned ms);

/* Whether the database is open (with retry_open it may not be: see
 * sipc_data_options). While it is not: since when, the latest attempt and
 * how many there were (the one of sipc_data_open included), and the latest
 * reason with what to do. */
typedef struct sipc_data_open_state {
    int open;
    int64_t since_unix_ms;    /* not open: the first failed open (wall clock) */
    int64_t last_unix_ms;     /* not open: the latest attempt */
    uint64_t attempts;        /* not open: attempts so far */
    char reason[1024];        /* not open: why, and what to do */
    /* no records.db (or an empty one) was there at sipc_data_open, and a
     * new one was made there (then, or by a later attempt of the start);
     * cleared when another file is opened later in the run (put in place
     * after the database was gone): opened_cb then says nothing made */
    int made_new;
    /* the records.db-wal found beside the missing one then, and set aside
     * under this name (never replayed into the new one); "" for none */
    char wal_set_aside[1100];
} sipc_data_open_state;
void sipc_data_open_state_get(const sipc_data *d, sipc_data_open_state *out);

/* The database's identity and counters, kept inside it (table store_meta,
 * updated in the transaction of every write that changes records).
 * instance is a random id made with the database, so a file rebuilt by the
 * repair ("A full or damaged database" in docs/services.md), or a new one,
 * has another, while a copy of the same file (a backup put back) has the
 * same; 0 when the file has none and cannot be written. created counts the
 * records ever created and writes the committed transactions that changed
 * records: deleting records lowers neither. A host that keeps them outside
 * the database (sipcd: state/records-mark) can tell at the next start that
 * committed, acknowledged changes are gone (a records.db-wal lost after a
 * crash, an older copy put in place): the same instance with lower counts.
 * file is records.db's inode at open: without an instance it still tells a
 * file put in its place (a rebuilt one) from the file itself. */
typedef struct sipc_data_mark {
    int64_t instance;
    int64_t created;
    int64_t writes;
    uint64_t file;
} sipc_data_mark;
/* As committed so far; also from the close callback (sipc_data_close), where
 * every queued write is in. */
void sipc_data_mark_get(const sipc_data *d, sipc_data_mark *out);

/* Refuses every write from now on (STORAGE, with why as the reason, said as
 * a damaged file is: the writes' health fails with it), as when the host
 * knows the file was found damaged before a restart. Call it after
 * sipc_data_open, before requests are served. */
void sipc_data_refuse_writes(sipc_data *d, const char *why);

/* The options d runs with, each 0 replaced by its default: what a service
 * that checks requests for d (the search service's decoding budget) must
 * allow. */
void sipc_data_options_get(const sipc_data *d, sipc_data_options *out);

/* Adds the handlers data.put, data.put_batch, data.get, data.delete and
 * data.list to r, with d as their argument. */
int sipc_data_register(sipc_data *d, sipc_router *r);

/* Stops taking requests (new ones get CLOSING), lets the writes already
 * queued commit and be answered, waits for every job on the thread pool,
 * closes the database off the loop thread (WAL checkpoint, cut short after
 * SIPC_DATA_CLOSE_CHECKPOINT_MS; a WARN in the log when it fails or is cut,
 * since records.db-wal then holds committed records), then calls cb(arg),
 * during which sipc_data_mark_get still answers, and frees d. Call it after the servers using the router have been
 * told to close (sipc_server_close), and free the router only after cb: a
 * handler must not run on a freed d. */
void sipc_data_close(sipc_data *d, void (*cb)(void *arg), void *arg);
/* The stop-time checkpoint's limit: what it has not copied by then stays in
 * records.db-wal (committed, replayed at the next start), so a stop after a
 * long reader grew the log is not held up by copying it. It cuts the copy
 * only: the fsyncs of what was copied (the -wal before, records.db after)
 * run to their end, so on a slow disk the checkpoint can take longer. */
#define SIPC_DATA_CLOSE_CHECKPOINT_MS 2000

/* ------------------------------------------------------------- search */

typedef struct sipc_data_attr {
    const char *key;   /* NUL-terminated UTF-8 */
    const char *value;
} sipc_data_attr;

/* The order of search hits. */
typedef enum {
    SIPC_DATA_ORDER_RANK = 0, /* best first: by bm25() rank (lower is more relevant),
                                 then newest first; without match, newest first */
    SIPC_DATA_ORDER_NEWEST    /* newest first (timestamp descending), then by id; rank 0:
                                 it is computed only where it orders the hits, since
                                 ranking every match of a common word costs ~5x */
} sipc_data_order;

typedef struct sipc_data_query {
    const char *match;           /* an FTS5 query over body and attributes
                                    ("error AND checkout", "attributes:firefox",
                                    "pay*"); NULL or "" for none */
    const sipc_data_attr *attrs; /* records must have every one of these pairs */
    size_t nattrs;               /* at most max_attributes */
    int64_t from_ms;             /* from_ms <= timestamp_ms */
    int64_t to_ms;               /* timestamp_ms < to_ms; 0: no upper bound */
    size_t limit;                /* 0: default_list; at most max_list */
    sipc_data_order order;       /* default (0): RANK */
    int content;                 /* hits carry their attributes and body */
    size_t body_max;             /* with content: at most this many bytes of each
                                    body (0: the whole body) */
    size_t max_bytes;            /* with content: the hits hold at most about this
                                    many bytes (ids, attributes, bodies), but always
                                    at least one hit; fewer than limit with more = 1
                                    when cut; 0: max_response */
    const char *range_names[2];  /* what the caller's request calls from_ms and to_ms,
                                    for the errors it is told ({NULL, NULL}: those) */
    uint32_t timeout_ms;         /* the search stops this long after sipc_data_search,
                                    waiting for a read slot included: its callback
                                    gets SIPC_ETIMEDOUT then, also while it still
                                    waits; 0: no limit */
} sipc_data_query;

typedef struct sipc_data_hit {
    const char *id;
    int64_t timestamp_ms;
    double rank;                 /* FTS5 bm25(): lower is more relevant; 0 without match or
                                    in newest-first order */
    /* with q.content (else NULL and 0): */
    const sipc_data_attr *attrs; /* in the order stored; keys may repeat */
    size_t nattrs;
    const uint8_t *body;         /* the first body_len bytes of the body */
    size_t body_len;             /* at most body_max */
    size_t body_size;            /* the stored body's size: > body_len when cut */
} sipc_data_hit;

/* err: 0, or SIPC_EINVAL (bad query; message says why), SIPC_ECLOSING,
 * SIPC_ETIMEDOUT (q.timeout_ms passed), SIPC_ECANCELED (sipc_data_search_cancel),
 * or a storage error. hits are in q.order and valid only during the callback.
 * more: more records matched than the hits given (limit, or max_bytes). */
typedef void (*sipc_data_search_cb)(int err, const char *message, const sipc_data_hit *hits,
                                    size_t nhits, int more, void *arg);

/* Runs q on the thread pool; cb is called exactly once unless this returns an
 * error (SIPC_EINVAL or SIPC_ETOOBIG for a query over the limits or with bad
 * UTF-8, SIPC_ECLOSING after sipc_data_close; the reason in err). q and its
 * strings are copied. */
int sipc_data_search(sipc_data *d, const sipc_data_query *q, sipc_data_search_cb cb, void *arg,
                     char *err, size_t errlen);
/* Stops every search in flight whose callback argument is arg (its answer
 * is no longer wanted): one waiting for a read slot does not start and is
 * called back on the loop's next turn (not when a slot frees), one running
 * ends at SQLite's next check (every thousand steps of its statement).
 * Each callback still comes, later, with SIPC_ECANCELED (or with its hits,
 * when it had finished). */
void sipc_data_search_cancel(sipc_data *d, void *arg);
/* What the message of a search that reached its deadline while it waited
 * for a read slot says (after "search stopped at its deadline (N ms) "). */
#define SIPC_DATA_SEARCH_WAITED \
    "before it began: it waited for a read slot, every one busy with other reads or searches"
/* 1 while a search whose callback argument is arg has not begun: it waits
 * for a read slot, every one busy with other reads or searches; 0 once it
 * runs, or when there is none. */
int sipc_data_search_waiting(const sipc_data *d, const void *arg);

#ifdef __cplusplus
}
#endif
#endif /* SIPC_DATA_SERVICE_H */
