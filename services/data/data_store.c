/* data_store.c - see data_store.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data_schema.h"
#include "data_store.h"
#include "data_store_impl.h"

#define SCHEMA_VERSION 1


/* The most SQLite writes to a file at once: a WAL frame (24 bytes of header)
 * of the largest page. */
#define LARGEST_WRITE (65536 + 24)

/* Whether the database or its -wal file has reached the process's file size
 * limit (RLIMIT_FSIZE: `ulimit -f`, systemd's LimitFSIZE=): its next write
 * would cross it. Writes that cross it are cut short, and the rest fails
 * with EFBIG (SIGXFSZ ignored), so such a file stands at the limit. The
 * limit in *limit (0 is one: nothing can be written). */
static int at_fsize_limit(const data_store *s, long long *limit)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return 0;
    char wal[4096];
    snprintf(wal, sizeof wal, "%s-wal", s->path);
    const char *files[] = {s->path, wal};
    for (int i = 0; i < 2; i++) {
        struct stat st;
        if (stat(files[i], &st) == 0 &&
            (unsigned long long)st.st_size + LARGEST_WRITE > rl.rlim_cur) {
            *limit = (long long)rl.rlim_cur;
            return 1;
        }
    }
    return 0;
}

/* The errno behind an SQLITE_IOERR or SQLITE_CANTOPEN, 0 when none is known.
 * SQLite records errno when the error reaches the statement, not when the
 * write failed, and its clean-up between the two (the rollback of a failed
 * COMMIT) changes or clears it: a write past the file size limit came back
 * as a bare "disk I/O error" (SQLITE_IOERR_WRITE, errno 0). So only a failed
 * write with no errno left, beside a file at that limit, is taken as the
 * limit's EFBIG: a file stays at the limit after one such failure (the -wal
 * is not truncated), and a read or fsync error, or a write's real errno,
 * must keep its own name. */
static int sys_errno(const data_store *s, int rc)
{
    int kind = rc & 0xff;
    if (!s || !s->db || (kind != SQLITE_CANTOPEN && kind != SQLITE_IOERR))
        return 0;
    int e = sqlite3_system_errno(s->db);
    long long limit = 0;
    if (rc == SQLITE_IOERR_WRITE && e == 0 && at_fsize_limit(s, &limit))
        return EFBIG;
    return e > 0 ? e : 0;
}

/* SQLite result codes as sipc codes: what failed in the operating system
 * when SQLite knows, else the nearest libuv code. */
static int map_rc(data_store *s, int rc)
{
    switch (rc & 0xff) {
    case SQLITE_NOMEM:
        return SIPC_ENOMEM;
    case SQLITE_FULL:
        return UV_ENOSPC;
    case SQLITE_READONLY:
        return UV_EROFS;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return UV_EBUSY;
    case SQLITE_PERM:
    case SQLITE_AUTH:
        return UV_EACCES;
    case SQLITE_TOOBIG:
        return SIPC_ETOOBIG;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return DATA_STORE_DAMAGED;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR: {
        int e = sys_errno(s, rc);
        return e > 0 ? uv_translate_sys_error(e) : UV_EIO;
    }
    default:
        return UV_EIO;
    }
}

int data_store__fail(data_store *s, int rc, const char *what, char *err, size_t errlen)
{
    /* SQLite's own words ("unable to open database file", "disk I/O
     * error") do not say what the system refused; its errno does (kept
     * only for these two kinds). The file size limit is named with its fix:
     * "File too large" alone sends the operator to look at the disk. */
    int e = sys_errno(s, rc);
    long long limit = 0;
    char fds[700]; /* "Too many open files" alone sends the operator to the disk too */
    if (e == EFBIG && at_fsize_limit(s, &limit))
        snprintf(err, errlen,
                 "%s: %s: %s (%s: the database's files reached this process's file size limit "
                 "of %lld bytes (`ulimit -f`, systemd's LimitFSIZE=): raise or remove it and "
                 "restart sipcd)",
                 s->path, what, sqlite3_errmsg(s->db), strerror(e), limit);
    else if (sipc_fd_explain(e, fds, sizeof fds))
        snprintf(err, errlen, "%s: %s: %s (%s: %s)", s->path, what, sqlite3_errmsg(s->db),
                 strerror(e), fds);
    else if (e > 0)
        snprintf(err, errlen, "%s: %s: %s (%s)", s->path, what, sqlite3_errmsg(s->db),
                 strerror(e));
    else
        snprintf(err, errlen, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
    return map_rc(s, rc);
}

static int exec(data_store *s, const char *sql, const char *what, char *err, size_t errlen)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : data_store__fail(s, rc, what, err, errlen);
}

static int prepare(data_store *s, sqlite3_stmt **st, const char *sql, char *err, size_t errlen)
{
    int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
    return rc == SQLITE_OK ? 0 : data_store__fail(s, rc, "prepare", err, errlen);
}

void data_store__done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* Empty bytes may come with a NULL pointer, which SQLite would bind as NULL. */
static const void *bytes_ptr(const ProtobufCBinaryData *b)
{
    return b->data ? (const void *)b->data : (const void *)"";
}

static int int_pragma(data_store *s, const char *sql, int64_t *v)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *v = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

static int create_schema(data_store *s, char *err, size_t errlen)
{
    int rc = exec(s, "BEGIN IMMEDIATE", "begin", err, errlen);
    if (rc != 0)
        return rc;
    int64_t version = 0;
    int src = int_pragma(s, "PRAGMA user_version", &version);
    if (src != SQLITE_OK) {
        rc = data_store__fail(s, src, "read schema version", err, errlen);
    } else if (version > SCHEMA_VERSION) {
        snprintf(err, errlen, "%s: schema version %lld is newer than this program's (%d)", s->path,
                 (long long)version, SCHEMA_VERSION);
        rc = SIPC_ECONFIG;
    } else {
        rc = exec(s, SIPC_DATA_SCHEMA_SQL, "create schema", err, errlen);
        if (rc == 0 && version < SCHEMA_VERSION)
            rc = exec(s, "PRAGMA user_version = 1", "set schema version", err, errlen);
    }
    if (rc != 0) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    return exec(s, "COMMIT", "commit schema", err, errlen);
}

/* The device and inode of the file SQLite just opened, by its name: SQLite
 * keeps no way to ask it, but says whether the name still leads there
 * (SQLITE_FCNTL_HAS_MOVED, by inode) before and after the stat, so a file
 * put in place between the two is not taken for it. Taken at once, before
 * anything else (a check runs for seconds), so that a file put in place
 * later is found to be another. */
static void take_identity(data_store *s)
{
    struct stat st;
    int moved = data_store_has_moved(s);
    if (moved == 0 && stat(s->path, &st) != 0) {
        s->id_rc = uv_translate_sys_error(errno);
        snprintf(s->id_err, sizeof s->id_err, "stat of it failed: %s", strerror(errno));
        return;
    }
    if (moved == 0)
        moved = data_store_has_moved(s);
    if (moved != 0) {
        s->id_rc = UV_EAGAIN;
        snprintf(s->id_err, sizeof s->id_err,
                 moved > 0 ? "its name led to another file as it was opened"
                           : "SQLite cannot tell whether its name leads to it");
        return;
    }
    s->id_rc = 0;
    s->dev = (unsigned long long)st.st_dev;
    s->ino = (unsigned long long)st.st_ino;
}

int data_store_identity(const data_store *s, unsigned long long *dev, unsigned long long *ino,
                        char *err, size_t errlen)
{
    if (s->id_rc != 0) {
        snprintf(err, errlen, "%s", s->id_err);
        return s->id_rc;
    }
    *dev = s->dev;
    *ino = s->ino;
    return 0;
}

int data_store_open(data_store **out, const char *path, data_store_role role, sipc_data_sync sync,
                    char *err, size_t errlen)
{
    *out = NULL;
    /* before 3.31 SQLite masks SQLITE_OPEN_NOFOLLOW off without a word:
     * links would be followed (a binary built on newer headers) */
    int v = sqlite3_libversion_number();
    if (v < DATA_STORE_SQLITE_MIN) {
        snprintf(err, errlen,
                 "%s: SQLite %d.%d.%d is too old: the data service needs 3.31.0 or later "
                 "(SQLITE_OPEN_NOFOLLOW)",
                 path, v / 1000000, v / 1000 % 1000, v % 1000);
        return SIPC_ECONFIG;
    }
    data_store *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        snprintf(err, errlen, "out of memory");
        return SIPC_ENOMEM;
    }
    /* NOMUTEX: a connection is only ever used by one thread at a time (the
     * service hands it out under its own lock), so SQLite's need not lock.
     * NOFOLLOW: a link anywhere in path, or as its -wal or -shm, is refused,
     * never written through. */
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
    if (role == DATA_STORE_WRITER)
        flags |= SQLITE_OPEN_CREATE;
    else if (role == DATA_STORE_WRITER_EXISTING)
        role = DATA_STORE_WRITER;
    int rc = sqlite3_open_v2(path, &s->db, flags, NULL);
    if (rc != SQLITE_OK) {
        rc = s->db ? data_store__fail(s, rc, "open", err, errlen) : SIPC_ENOMEM;
        data_store_close(s);
        return rc;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, DATA_STORE_BUSY_MS);
    if (role == DATA_STORE_WRITER)
        take_identity(s);
    else {
        s->id_rc = UV_EINVAL;
        snprintf(s->id_err, sizeof s->id_err, "a reader: its identity is not taken");
    }
    if (role == DATA_STORE_WRITER) {
        /* WAL: readers never block the writer nor it them, and a commit is
         * one append to the log. journal_mode is stored in the file. */
        sqlite3_stmt *st = NULL;
        int stays = 0; /* SQLite answered, with another mode */
        rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
        if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *mode = (const char *)sqlite3_column_text(st, 0);
            rc = mode && strcmp(mode, "wal") == 0 ? SQLITE_OK : SQLITE_CANTOPEN;
            stays = rc != SQLITE_OK;
            if (stays)
                snprintf(err, errlen, "%s: cannot use WAL mode (journal mode stays %s)", path,
                         mode ? mode : "unknown");
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_OK) {
            if (!stays) /* e.g. the -wal file cannot be created: a read-only home */
                (void)data_store__fail(s, rc, "set WAL mode", err, errlen);
            rc = map_rc(s, rc);
            data_store_close(s);
            return rc;
        }
        rc = exec(s,
                  sync == SIPC_DATA_SYNC_FULL ? "PRAGMA synchronous=FULL"
                                              : "PRAGMA synchronous=NORMAL",
                  "set synchronous", err, errlen);
        if (rc == 0)
            rc = exec(s, "PRAGMA journal_size_limit=67108864", "set journal size limit", err,
                      errlen);
        if (rc == 0)
            rc = create_schema(s, err, errlen);
    } else {
        rc = exec(s, "PRAGMA query_only=1", "set query_only", err, errlen);
    }
    if (rc == 0 && role == DATA_STORE_WRITER) {
        if ((rc = prepare(s, &s->find,
                          "SELECT rid, ts, attributes, body FROM records WHERE id = ?1", err,
                          errlen)) == 0 &&
            (rc = prepare(s, &s->insert,
                          "INSERT INTO records(id, ts, attributes, body) VALUES (?1, ?2, ?3, ?4)",
                          err, errlen)) == 0 &&
            (rc = prepare(s, &s->update,
                          "UPDATE records SET ts = ?2, attributes = ?3, body = ?4 WHERE rid = ?1",
                          err, errlen)) == 0)
            rc = prepare(s, &s->del, "DELETE FROM records WHERE id = ?1", err, errlen);
    }
    if (rc == 0 && (rc = prepare(s, &s->get, "SELECT rid, id, ts, body FROM records WHERE id = ?1",
                                 err, errlen)) == 0 &&
        (rc = prepare(s, &s->attrs,
                      "SELECT key, value FROM record_attrs WHERE rid = ?1 ORDER BY seq", err,
                      errlen)) == 0)
        /* The CASE keeps SQLite from reading bodies a page will not return. */
        rc = prepare(s, &s->list,
                     "SELECT rid, id, ts, CASE WHEN ?6 THEN body END, length(body) FROM records"
                     " WHERE ts >= ?1 AND ts < ?2 AND (ts, id) > (?3, ?4)"
                     " ORDER BY ts, id LIMIT ?5",
                     err, errlen);
    if (rc != 0) {
        data_store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void data_store_close(data_store *s)
{
    if (!s)
        return;
    sqlite3_stmt *sts[] = {s->find,  s->insert, s->update, s->del,
                           s->get,   s->attrs,  s->list,   s->count};
    for (size_t i = 0; i < sizeof sts / sizeof sts[0]; i++)
        sqlite3_finalize(sts[i]);
    if (s->db)
        sqlite3_close(s->db);
    free(s->json);
    free(s->path);
    free(s);
}

int data_store_copy_size(data_store *s, uint64_t *bytes, char *err, size_t errlen)
{
    int64_t pages = 0, free_pages = 0, psize = 0;
    int rc = int_pragma(s, "PRAGMA page_count", &pages);
    if (rc == SQLITE_OK)
        rc = int_pragma(s, "PRAGMA freelist_count", &free_pages);
    if (rc == SQLITE_OK)
        rc = int_pragma(s, "PRAGMA page_size", &psize);
    if (rc != SQLITE_OK)
        return data_store__fail(s, rc, "size of a copy", err, errlen);
    *bytes = pages > free_pages ? (uint64_t)(pages - free_pages) * (uint64_t)psize : 0;
    return 0;
}

int data_store_copy_to(data_store *s, const char *path, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "VACUUM INTO ?1", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return data_store__fail(s, rc, "copy into a new file", err, errlen);
    /* VACUUM INTO does not sync what it wrote */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        snprintf(err, errlen, "%s: sync: %s", path, strerror(e));
        return -e;
    }
    close(fd);
    return 0;
}

void data_store_keep_log(data_store *s)
{
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    int persist = 1;
    sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
}

int data_store_has_moved(data_store *s)
{
    int moved = 0;
    if (sqlite3_file_control(s->db, "main", SQLITE_FCNTL_HAS_MOVED, &moved) != SQLITE_OK)
        return -1;
    return moved != 0;
}

/* ---------------------------------------------------------------- writes */

int data_store_begin(data_store *s, char *err, size_t errlen)
{
    return exec(s, "BEGIN IMMEDIATE", "begin", err, errlen);
}

int data_store_commit(data_store *s, char *err, size_t errlen)
{
    int rc = exec(s, "COMMIT", "commit", err, errlen);
    if (rc != 0)
        data_store_rollback(s);
    return rc;
}

void data_store_rollback(data_store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int data_store_group_begin(data_store *s, char *err, size_t errlen)
{
    return exec(s, "SAVEPOINT grp", "savepoint", err, errlen);
}

int data_store_group_end(data_store *s, int keep, char *err, size_t errlen)
{
    /* after SQLite's own rollback of the transaction the savepoint is gone
     * too, so these fail; autocommit is checked as well in case they did not */
    int rc = keep ? 0 : exec(s, "ROLLBACK TO grp", "roll back a failed write", err, errlen);
    if (rc == 0)
        rc = exec(s, "RELEASE grp", "release a write", err, errlen);
    if (rc == 0 && sqlite3_get_autocommit(s->db)) {
        snprintf(err, errlen, "%s: the transaction was rolled back", s->path);
        rc = UV_EIO;
    }
    return rc;
}

/* Appends b as the body of a JSON string (without quotes). */
static char *json_str(char *p, const ProtobufCBinaryData *b)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < b->len; i++) {
        uint8_t c = b->data[i];
        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = (char)c;
        } else if (c < 0x20) {
            memcpy(p, "\\u00", 4);
            p[4] = hex[c >> 4];
            p[5] = hex[c & 15];
            p += 6;
        } else {
            *p++ = (char)c;
        }
    }
    return p;
}

/* r's attributes as the JSON array [[key, value], ...] in s->json. Keys and
 * values are valid UTF-8 (validated), so escaping quotes, backslashes and
 * control characters is all JSON needs. */
static int attrs_json(data_store *s, const Sipc__Data__Record *r, size_t *len, char *err,
                      size_t errlen)
{
    size_t need = 3;
    for (size_t i = 0; i < r->n_attributes; i++)
        need += 8 + 6 * (r->attributes[i]->key.len + r->attributes[i]->value.len);
    if (need > s->jcap) {
        char *j = realloc(s->json, need);
        if (!j) {
            snprintf(err, errlen, "out of memory");
            return SIPC_ENOMEM;
        }
        s->json = j;
        s->jcap = need;
    }
    char *p = s->json;
    *p++ = '[';
    for (size_t i = 0; i < r->n_attributes; i++) {
        if (i)
            *p++ = ',';
        *p++ = '[';
        *p++ = '"';
        p = json_str(p, &r->attributes[i]->key);
        memcpy(p, "\",\"", 3);
        p += 3;
        p = json_str(p, &r->attributes[i]->value);
        *p++ = '"';
        *p++ = ']';
    }
    *p++ = ']';
    *len = (size_t)(p - s->json);
    return 0;
}

static int step_done(data_store *s, sqlite3_stmt *st, const char *what, char *err, size_t errlen)
{
    int rc = sqlite3_step(st);
    int r = rc == SQLITE_DONE ? 0 : data_store__fail(s, rc, what, err, errlen);
    data_store__done(st);
    return r;
}

int data_store_put(data_store *s, const Sipc__Data__Record *r, Sipc__Data__PutResult *result,
                   char *err, size_t errlen)
{
    size_t jlen;
    int rc = attrs_json(s, r, &jlen, err, errlen);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s->find, 1, (const char *)r->id.data, (int)r->id.len, SQLITE_STATIC);
    int src = sqlite3_step(s->find);
    if (src == SQLITE_ROW) {
        int64_t rid = sqlite3_column_int64(s->find, 0);
        const void *a = sqlite3_column_text(s->find, 2);
        size_t alen = (size_t)sqlite3_column_bytes(s->find, 2);
        const void *b = sqlite3_column_blob(s->find, 3);
        size_t blen = (size_t)sqlite3_column_bytes(s->find, 3);
        int same = sqlite3_column_int64(s->find, 1) == r->timestamp_ms && alen == jlen &&
                   memcmp(a, s->json, jlen) == 0 && blen == r->body.len &&
                   (blen == 0 || memcmp(b, r->body.data, blen) == 0);
        data_store__done(s->find);
        if (same) {
            *result = SIPC__DATA__PUT_RESULT__UNCHANGED;
            return 0;
        }
        sqlite3_bind_int64(s->update, 1, rid);
        sqlite3_bind_int64(s->update, 2, r->timestamp_ms);
        sqlite3_bind_text(s->update, 3, s->json, (int)jlen, SQLITE_STATIC);
        sqlite3_bind_blob(s->update, 4, bytes_ptr(&r->body), (int)r->body.len, SQLITE_STATIC);
        rc = step_done(s, s->update, "replace record", err, errlen);
        if (rc == 0)
            *result = SIPC__DATA__PUT_RESULT__REPLACED;
        return rc;
    }
    if (src != SQLITE_DONE) {
        rc = data_store__fail(s, src, "look up record", err, errlen);
        data_store__done(s->find);
        return rc;
    }
    data_store__done(s->find);
    sqlite3_bind_text(s->insert, 1, (const char *)r->id.data, (int)r->id.len, SQLITE_STATIC);
    sqlite3_bind_int64(s->insert, 2, r->timestamp_ms);
    sqlite3_bind_text(s->insert, 3, s->json, (int)jlen, SQLITE_STATIC);
    sqlite3_bind_blob(s->insert, 4, bytes_ptr(&r->body), (int)r->body.len, SQLITE_STATIC);
    rc = step_done(s, s->insert, "insert record", err, errlen);
    if (rc == 0)
        *result = SIPC__DATA__PUT_RESULT__CREATED;
    return rc;
}

void data_store_busy_wait(data_store *s, int wait)
{
    sqlite3_busy_timeout(s->db, wait ? DATA_STORE_BUSY_MS : 0);
}

int data_store_probe(data_store *s, char *err, size_t errlen)
{
    return exec(s,
                "CREATE TABLE IF NOT EXISTS health_probe("
                "k INTEGER PRIMARY KEY, at INTEGER NOT NULL);"
                "INSERT OR REPLACE INTO health_probe(k, at) "
                "VALUES (1, CAST(strftime('%s', 'now') AS INTEGER))",
                "write the health probe", err, errlen);
}

/* The one row of store_meta: made with the database (not in the shared
 * schema: the benchmark's raw tables need none), never copied by the
 * repair (which dumps only records), so a repaired file gets a new
 * instance. */
#define META_SQL \
    "CREATE TABLE IF NOT EXISTS store_meta(k INTEGER PRIMARY KEY CHECK (k = 1)," \
    " instance INTEGER NOT NULL, created INTEGER NOT NULL, writes INTEGER NOT NULL);" \
    "INSERT OR IGNORE INTO store_meta VALUES (1, (random() & 9223372036854775807) | 1, 0, 0)"

static int read_meta(data_store *s, sipc_data_mark *m)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT instance, created, writes FROM store_meta WHERE k = 1",
                                -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        m->instance = sqlite3_column_int64(st, 0);
        m->created = sqlite3_column_int64(st, 1);
        m->writes = sqlite3_column_int64(st, 2);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_EMPTY;
    }
    sqlite3_finalize(st);
    return rc;
}

int data_store_meta(data_store *s, sipc_data_mark *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    int rc = read_meta(s, m);
    if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_ERROR && rc != SQLITE_EMPTY)
        return data_store__fail(s, rc, "read store_meta", err, errlen); /* damaged, I/O */
    if (rc != SQLITE_OK) {
        /* a database made before store_meta, or a repaired one: a file
         * that cannot be written (read-only) stays without an identity */
        int w = exec(s, "BEGIN IMMEDIATE", "begin", err, errlen);
        if (w == 0 && (w = exec(s, META_SQL, "create store_meta", err, errlen)) == 0)
            w = exec(s, "COMMIT", "commit store_meta", err, errlen);
        if (w != 0) {
            data_store_rollback(s);
            return w == DATA_STORE_DAMAGED ? w : 0;
        }
        if ((rc = read_meta(s, m)) != SQLITE_OK)
            return data_store__fail(s, rc, "read store_meta", err, errlen);
        /* into records.db itself: an identity only in the -wal would go
         * with a lost -wal, and with it what the mark could tell */
        sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    }
    return prepare(s, &s->count,
                   "UPDATE store_meta SET created = created + ?1, writes = writes + 1 WHERE k = 1",
                   err, errlen);
}

int data_store_count(data_store *s, int64_t created, char *err, size_t errlen)
{
    if (!s->count)
        return 0;
    sqlite3_bind_int64(s->count, 1, created);
    return step_done(s, s->count, "count the write", err, errlen);
}

/* The checkpoint's watch: interrupts it at its deadline unless told done. */
typedef struct ckpt_watch {
    sqlite3 *db;
    uv_mutex_t mu;
    uv_cond_t cv;
    int done, cut;
    uint64_t budget_ns;
} ckpt_watch;

static void ckpt_watch_run(void *arg)
{
    ckpt_watch *w = arg;
    uint64_t end = uv_hrtime() + w->budget_ns;
    uv_mutex_lock(&w->mu);
    for (uint64_t now = uv_hrtime(); !w->done && now < end; now = uv_hrtime())
        (void)uv_cond_timedwait(&w->cv, &w->mu, end - now);
    if (!w->done) {
        /* copying frames stops at the next page (SQLite checks it there) */
        sqlite3_interrupt(w->db);
        w->cut = 1;
    }
    uv_mutex_unlock(&w->mu);
}

int data_store_checkpoint(data_store *s, unsigned budget_ms, char *err, size_t errlen)
{
    ckpt_watch w = {.db = s->db, .budget_ns = (uint64_t)budget_ms * 1000000u};
    uv_thread_t t;
    int watching = uv_mutex_init(&w.mu) == 0;
    if (watching && uv_cond_init(&w.cv) != 0) {
        uv_mutex_destroy(&w.mu);
        watching = 0;
    }
    if (watching && uv_thread_create(&t, ckpt_watch_run, &w) != 0) {
        uv_cond_destroy(&w.cv);
        uv_mutex_destroy(&w.mu);
        watching = 0;
    }
    /* waiting for another process's reader ends first, as "in use" */
    sqlite3_busy_timeout(s->db, (int)budget_ms / 2);
    sqlite3_stmt *st = NULL;
    int busy = 0, ok = 0;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        /* (busy, frames in the log, frames copied): busy is 1 when a
         * reader or writer kept the log from being copied whole */
        busy = sqlite3_column_int(st, 0);
        ok = 1;
    }
    sqlite3_finalize(st);
    int cut = 0; /* the watch interrupted it */
    if (watching) {
        uv_mutex_lock(&w.mu);
        w.done = 1;
        cut = w.cut;
        uv_cond_signal(&w.cv);
        uv_mutex_unlock(&w.mu);
        uv_thread_join(&t);
        uv_cond_destroy(&w.cv);
        uv_mutex_destroy(&w.mu);
    }
    sqlite3_busy_timeout(s->db, DATA_STORE_BUSY_MS);
    if (ok && !busy)
        return 0;
    /* the close must not copy the rest itself, without a limit: what is
     * left stays in the -wal, replayed at the next open */
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    if (ok) {
        snprintf(err, errlen, "%s: checkpoint: the log is in use by another connection", s->path);
        return UV_EBUSY;
    }
    if (cut && (rc & 0xff) == SQLITE_INTERRUPT) {
        snprintf(err, errlen, "%s: checkpoint: cut short after %u ms", s->path, budget_ms);
        return UV_ETIMEDOUT;
    }
    return data_store__fail(s, rc, "checkpoint", err, errlen);
}

int data_store_readonly(data_store *s)
{
    return sqlite3_db_readonly(s->db, "main") == 1;
}

/* Progress handler: nonzero (interrupt) once the check's time is up. */
static int check_budget(void *arg)
{
    return uv_hrtime() >= *(const uint64_t *)arg;
}

int data_store_check(data_store *s, unsigned budget_ms, int *whole, char *err, size_t errlen)
{
    *whole = 1;
    /* a file shorter than its header's page count lost its end; with
     * frames in the -wal the newest pages may legitimately be there only */
    int64_t pages = 0, psize = 0;
    char wal[4096];
    struct stat st, ws;
    snprintf(wal, sizeof wal, "%s-wal", s->path);
    int rc = int_pragma(s, "PRAGMA page_count", &pages);
    if (rc == SQLITE_OK)
        rc = int_pragma(s, "PRAGMA page_size", &psize);
    if (rc != SQLITE_OK)
        return data_store__fail(s, rc, "check", err, errlen);
    if (stat(s->path, &st) == 0 && (stat(wal, &ws) != 0 || ws.st_size == 0) &&
        (int64_t)st.st_size < pages * psize) {
        snprintf(err, errlen,
                 "%s: the file is %lld bytes, its header says %lld pages of %lld (%lld bytes): "
                 "its end is missing",
                 s->path, (long long)st.st_size, (long long)pages, (long long)psize,
                 (long long)(pages * psize));
        return DATA_STORE_DAMAGED;
    }
    uint64_t deadline = uv_hrtime() + (uint64_t)budget_ms * 1000000u;
    sqlite3_progress_handler(s->db, 1000, check_budget, &deadline);
    sqlite3_stmt *q = NULL;
    rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check(5)", -1, &q, NULL);
    char found[512] = "";
    size_t n = 0;
    int bad = 0;
    while (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *line = (const char *)sqlite3_column_text(q, 0);
        if (line && !strncmp(line, "*** in database main ***\n", 25))
            line += 25;
        if (line && strcmp(line, "ok") != 0) {
            bad = 1;
            if (n < sizeof found)
                n += (size_t)snprintf(found + n, sizeof found - n, "%s%s", n ? "; " : "", line);
        }
        rc = SQLITE_OK;
    }
    sqlite3_finalize(q);
    sqlite3_progress_handler(s->db, 0, NULL, NULL);
    for (char *c = found; *c; c++)
        if (*c == '\n')
            *c = ' '; /* one log line */
    if (bad) {
        snprintf(err, errlen, "%s: PRAGMA quick_check found: %s", s->path, found);
        return DATA_STORE_DAMAGED;
    }
    if ((rc & 0xff) == SQLITE_INTERRUPT) {
        *whole = 0;
        return 0;
    }
    return rc == SQLITE_DONE ? 0 : data_store__fail(s, rc, "PRAGMA quick_check", err, errlen);
}

int data_store_delete(data_store *s, const ProtobufCBinaryData *id, int *deleted, char *err,
                      size_t errlen)
{
    sqlite3_bind_text(s->del, 1, (const char *)bytes_ptr(id), (int)id->len, SQLITE_STATIC);
    int rc = step_done(s, s->del, "delete record", err, errlen);
    if (rc == 0)
        *deleted = sqlite3_changes(s->db) > 0;
    return rc;
}

/* ----------------------------------------------------------------- reads */

static int copy_bytes(ProtobufCBinaryData *dst, const void *src, size_t len)
{
    dst->len = len;
    dst->data = NULL;
    if (len == 0)
        return 0;
    dst->data = malloc(len);
    if (!dst->data)
        return SIPC_ENOMEM;
    memcpy(dst->data, src, len);
    return 0;
}

void data_store_record_free(Sipc__Data__Record *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_attributes; i++) {
        if (!r->attributes[i])
            continue;
        free(r->attributes[i]->key.data);
        free(r->attributes[i]->value.data);
        free(r->attributes[i]);
    }
    free(r->attributes);
    free(r->id.data);
    free(r->body.data);
    free(r);
}

/* A record from a row (rid, id, ts, body-or-NULL) of st, with its attributes. */
static int row_record(data_store *s, sqlite3_stmt *st, Sipc__Data__Record **out, char *err,
                      size_t errlen)
{
    Sipc__Data__Record *r = malloc(sizeof *r);
    if (!r)
        goto nomem;
    sipc__data__record__init(r);
    int64_t rid = sqlite3_column_int64(st, 0);
    r->timestamp_ms = sqlite3_column_int64(st, 2);
    if (copy_bytes(&r->id, sqlite3_column_text(st, 1), (size_t)sqlite3_column_bytes(st, 1)) != 0 ||
        copy_bytes(&r->body, sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3)) != 0)
        goto nomem;
    sqlite3_bind_int64(s->attrs, 1, rid);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s->attrs)) == SQLITE_ROW) {
        if (r->n_attributes == cap) {
            cap = cap ? cap * 2 : 8;
            Sipc__Data__Attribute **a = realloc(r->attributes, cap * sizeof *a);
            if (!a)
                goto nomem_attrs;
            r->attributes = a;
        }
        Sipc__Data__Attribute *a = malloc(sizeof *a);
        if (!a)
            goto nomem_attrs;
        sipc__data__attribute__init(a);
        r->attributes[r->n_attributes++] = a;
        if (copy_bytes(&a->key, sqlite3_column_text(s->attrs, 0),
                       (size_t)sqlite3_column_bytes(s->attrs, 0)) != 0 ||
            copy_bytes(&a->value, sqlite3_column_text(s->attrs, 1),
                       (size_t)sqlite3_column_bytes(s->attrs, 1)) != 0)
            goto nomem_attrs;
    }
    if (rc != SQLITE_DONE) {
        rc = data_store__fail(s, rc, "read attributes", err, errlen);
        data_store__done(s->attrs);
        data_store_record_free(r);
        return rc;
    }
    data_store__done(s->attrs);
    *out = r;
    return 0;
nomem_attrs:
    data_store__done(s->attrs);
nomem:
    data_store_record_free(r);
    snprintf(err, errlen, "out of memory");
    return SIPC_ENOMEM;
}

int data_store_get(data_store *s, const ProtobufCBinaryData *id, Sipc__Data__Record **out,
                   char *err, size_t errlen)
{
    *out = NULL;
    sqlite3_bind_text(s->get, 1, (const char *)bytes_ptr(id), (int)id->len, SQLITE_STATIC);
    int rc = sqlite3_step(s->get);
    int r = 0;
    if (rc == SQLITE_ROW)
        r = row_record(s, s->get, out, err, errlen);
    else if (rc != SQLITE_DONE)
        r = data_store__fail(s, rc, "read record", err, errlen);
    data_store__done(s->get);
    return r;
}

void data_store_list_free(Sipc__Data__ListResponse *out)
{
    for (size_t i = 0; i < out->n_records; i++)
        data_store_record_free(out->records[i]);
    free(out->records);
    out->records = NULL;
    out->n_records = 0;
    if (out->next) {
        free(out->next->id.data);
        free(out->next);
        out->next = NULL;
    }
}

int data_store_list(data_store *s, const data_list_params *p, Sipc__Data__ListResponse *out,
                    char *err, size_t errlen)
{
    sipc__data__list_response__init(out);
    out->records = calloc(p->limit, sizeof *out->records);
    if (!out->records) {
        snprintf(err, errlen, "out of memory");
        return SIPC_ENOMEM;
    }
    sqlite3_stmt *st = s->list;
    sqlite3_bind_int64(st, 1, p->from_ms);
    sqlite3_bind_int64(st, 2, p->to_ms > 0 ? p->to_ms : INT64_MAX);
    sqlite3_bind_int64(st, 3, p->has_after ? p->after_ts : INT64_MIN);
    sqlite3_bind_text(st, 4, (const char *)bytes_ptr(&p->after_id), (int)p->after_id.len,
                      SQLITE_STATIC);
    /* one more than the page, to know whether there is more */
    sqlite3_bind_int64(st, 5, (int64_t)p->limit + 1);
    sqlite3_bind_int(st, 6, p->include_body != 0);
    size_t bytes = 0;
    int rc, r = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        size_t size = (size_t)sqlite3_column_bytes(st, 1) +
                      (p->include_body ? (size_t)sqlite3_column_int64(st, 4) : 0);
        if (out->n_records == p->limit || (out->n_records > 0 && bytes + size > p->max_bytes)) {
            out->more = 1;
            break;
        }
        Sipc__Data__Record *rec;
        if ((r = row_record(s, st, &rec, err, errlen)) != 0)
            break;
        out->records[out->n_records++] = rec;
        for (size_t i = 0; i < rec->n_attributes; i++)
            size += rec->attributes[i]->key.len + rec->attributes[i]->value.len + 8;
        bytes += size;
    }
    if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
        r = data_store__fail(s, rc, "list records", err, errlen);
    data_store__done(st);
    if (r == 0 && out->more) {
        const Sipc__Data__Record *last = out->records[out->n_records - 1];
        out->next = malloc(sizeof *out->next);
        if (out->next) {
            sipc__data__list_cursor__init(out->next);
            out->next->timestamp_ms = last->timestamp_ms;
            if (copy_bytes(&out->next->id, last->id.data, last->id.len) != 0) {
                free(out->next);
                out->next = NULL;
            }
        }
        if (!out->next) {
            snprintf(err, errlen, "out of memory");
            r = SIPC_ENOMEM;
        }
    }
    if (r != 0)
        data_store_list_free(out);
    return r;
}
