/* data_service.c - the data service's object: options, open (directory,
 * database, schema), the router entries, the reader pool, the helpers that
 * answer requests, and shutdown. Writes are in data_writes.c, reads and
 * search in data_reads.c, the database in data_store.c.
 *
 * Threads. Handlers run on the loop thread: they decode and check the
 * request, then either queue it for the writer (put, put_batch, delete) or
 * start a read job (get, list; sipc_data_search). Jobs run on libuv's thread
 * pool; their completions run on the loop thread again and answer there,
 * because sipc functions may only be called on the loop thread. Every job
 * is counted in d->jobs, and d is freed only once that count is 0.
 *
 * Reads. Up to opts.readers read connections, opened on demand and handed
 * to jobs under a mutex; WAL lets them read while the writer writes. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <linux/magic.h>
#include <sqlite3.h>

#include "data_service_impl.h"
#include "data_validate.h"
#include "rfc3339.h"

const char *sipc_data_status_name(int status)
{
    switch (status) {
    case SIPC_DATA_BAD_REQUEST: return "BAD_REQUEST";
    case SIPC_DATA_INVALID: return "INVALID";
    case SIPC_DATA_TOO_LARGE: return "TOO_LARGE";
    case SIPC_DATA_NOT_FOUND: return "NOT_FOUND";
    case SIPC_DATA_BUSY: return "BUSY";
    case SIPC_DATA_STORAGE: return "STORAGE";
    case SIPC_DATA_CLOSING: return "CLOSING";
    default: return "UNKNOWN";
    }
}

_Static_assert((int)SIPC_DATA_BAD_REQUEST == (int)SIPC__DATA__STATUS__BAD_REQUEST &&
                   (int)SIPC_DATA_INVALID == (int)SIPC__DATA__STATUS__INVALID &&
                   (int)SIPC_DATA_TOO_LARGE == (int)SIPC__DATA__STATUS__TOO_LARGE &&
                   (int)SIPC_DATA_NOT_FOUND == (int)SIPC__DATA__STATUS__NOT_FOUND &&
                   (int)SIPC_DATA_BUSY == (int)SIPC__DATA__STATUS__BUSY &&
                   (int)SIPC_DATA_STORAGE == (int)SIPC__DATA__STATUS__STORAGE &&
                   (int)SIPC_DATA_CLOSING == (int)SIPC__DATA__STATUS__CLOSING,
               "data_service.h and data.proto disagree on a status");

/* The status a client sees for a negative code from validation or storage. */
int data_status_of(int rc)
{
    switch (rc) {
    case SIPC_EINVAL: return SIPC_DATA_INVALID;
    case SIPC_ETOOBIG: return SIPC_DATA_TOO_LARGE;
    case SIPC_ECLOSING: return SIPC_DATA_CLOSING;
    default: return SIPC_DATA_STORAGE;
    }
}

/* A flapping disk (some transactions commit, some do not) must not write a
 * line per transaction: the failing state ends only with a success at least
 * HEALTH_QUIET_MS (quiet_ms's default) after the last failure, and while it
 * lasts a reminder is written at most every HEALTH_REMIND_MS. */
#define HEALTH_QUIET_MS 10000
#define HEALTH_REMIND_MS 60000
/* a timed attempt to open that fails as the last one said is said again
 * after this long at most (the reminder every HEALTH_REMIND_MS goes on) */
#define DATA_RETRY_SAY_MS 600000
/* room that counts as made: a full disk's free space grown by this much,
 * or the database's files this far below the file size limit */
#define PROBE_ROOM (256u * 1024)

/* The status is JSON: a reason that is not UTF-8 (a path's bytes, or one
 * cut in the middle of a character) keeps its ASCII only. */
static void keep_reason(char *dst, size_t len, const char *err)
{
    snprintf(dst, len, "%s", err);
    if (!data_utf8_valid((const uint8_t *)dst, strlen(dst)))
        for (char *p = dst; *p; p++)
            if ((unsigned char)*p >= 0x80)
                *p = '?';
}

/* Bytes the database's file system has free for it, or UINT64_MAX when
 * that cannot be told. */
static uint64_t avail_bytes(const char *db_path)
{
    struct statvfs v;
    if (statvfs(db_path, &v) != 0)
        return UINT64_MAX;
    return (uint64_t)v.f_bavail * v.f_frsize;
}

/* Whether the database's files have PROBE_ROOM left under the process's
 * file size limit (always, without one). */
static int under_fsize_limit(const char *db_path)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return 1;
    char wal[PATH_MAX];
    snprintf(wal, sizeof wal, "%s-wal", db_path);
    const char *files[] = {db_path, wal};
    for (int i = 0; i < 2; i++) {
        struct stat st;
        if (stat(files[i], &st) == 0 && (uint64_t)st.st_size + PROBE_ROOM > rl.rlim_cur)
            return 0;
    }
    return 1;
}

static int on_read_only_fs(const char *path);
static void remember_wal(sipc_data *d, const char *path, int exact);
static const char *read_only_hint(const char *path);

void data_fs_facts_get(const char *db_path, data_fs_facts *f)
{
    f->ro = on_read_only_fs(db_path);
    f->emergency = f->ro && !strcmp(read_only_hint(db_path), DATA_EMERGENCY_RO_HINT);
    f->avail = avail_bytes(db_path);
    f->fsize_ok = under_fsize_limit(db_path);
}

/* What to do about a file system the facts say is read-only. */
static const char *fs_hint(const data_fs_facts *f)
{
    return f->emergency ? DATA_EMERGENCY_RO_HINT : DATA_READONLY_FS_HINT;
}

/* A small write can succeed where the requests failed: into space the WAL
 * file already holds, or on its own page of a damaged file. So a probe is
 * made only once the cause of the latest failure is seen gone: room made
 * on a full disk, room under the file size limit; a damaged file or an
 * I/O error only a request can clear (and the operator's repair). What is
 * seen is the latest look's (on the thread pool), one started after that
 * failure: none yet, no probe yet. */
static int worth_probing(const sipc_data *d, const data_health *h)
{
    const data_fs_facts *f = &d->look_fs;
    int seen = d->look_fs_ms != 0 && d->look_fs_ms >= h->last_ms;
    switch (h->last_rc) {
    case UV_ENOSPC: {
        if (!seen)
            return 0;
        if (f->avail == UINT64_MAX || h->avail_at_fail == UINT64_MAX)
            return 1; /* cannot be told: let a write tell */
        return f->avail >= h->avail_at_fail + PROBE_ROOM;
    }
    case UV_EFBIG:
        return seen && f->fsize_ok;
    case UV_EIO:
    case DATA_STORE_DAMAGED:
        return 0;
    case UV_EROFS: /* a connection opened read-only is opened again instead */
        return seen && !d->writer_ro && !f->ro;
    default: /* a lock, permissions, a read-only mount: a write tells */
        return 1;
    }
}

/* While writes fail and nothing is written, only a write can tell when
 * they work again: one probe every quiet_ms (looked at every
 * probe_ms), once it is worth it. */
static void start_look(sipc_data *d, int probe);

static void on_probe_timer(uv_timer_t *t)
{
    sipc_data *d = t->data;
    data_health *h = &d->health[DATA_WRITES];
    if (!h->failing || d->unopened) {
        uv_timer_stop(t);
        return;
    }
    if (d->gone)
        return; /* a write would go into the file no name leads to */
    /* a connection SQLite opened read-only stays so: once the file system
     * (or the file) can be written, the writer is opened again. Not while
     * a reopen runs: what it does to the files is no news (a second
     * reopen would follow at once) */
    if (d->writer_ro) {
        if (!d->damaged && !d->reopen_wanted && !d->reopen_running && !d->looking)
            start_look(d, 1);
        return;
    }
    if (uv_now(d->loop) - h->last_ms >= d->o.quiet_ms && worth_probing(d, h))
        data_probe_writes(d);
}

void data_storage_unusable(sipc_data *d, int rc, const char *why)
{
    data_health *h = &d->health[DATA_WRITES];
    uint64_t now = uv_now(d->loop);
    /* damage refuses writes, and the reads that meet it fail as well */
    const char *reads = "reads are served";
    if (rc == DATA_STORE_DAMAGED) {
        reads = "reads that meet the damage fail too";
    } else if (rc == UV_ENOENT && d->gone) {
        /* none is opened by the name while it is gone. The idle ones the
         * look kept are on the open file; one lent out then may have been
         * opened by the name after it went (closed when given back) */
        reads = d->gone_kept ? "reads are served by the read connections open on it"
                : d->gone_lent
                    ? "reads may fail too: no idle read connection was open on it, one in use "
                      "serves reads only if it was opened before it went, and none is opened "
                      "by the name"
                    : "reads fail too: no read connection was open on it, and none is opened "
                      "by the name";
    }
    sipc_log_printf(d->o.log, d->o.log_arg, SIPC_LOG_ERROR, "Data.Storage",
                    "writes to the database fail: %s (every write gets STORAGE; %s)", why,
                    reads);
    if (!h->failing) {
        h->failing = 1;
        h->failures = 0;
        h->since_ms = h->said_ms = now;
        h->since_wall_ms = sipc_rfc3339_now_ms();
    }
    h->last_ms = now;
    h->last_wall_ms = sipc_rfc3339_now_ms();
    h->last_rc = rc;
    keep_reason(h->last_err, sizeof h->last_err, why);
}

static void gone_reason(sipc_data *d);

/* Damage found while records.db is gone: what to do about the gone file
 * (put it back, or its copy) still holds, so writes keep that reason, with
 * the damage added (gone_reason); damaged_err keeps the verdict alone, put
 * back when the name leads to the open file again. */
static void damaged_while_gone(sipc_data *d)
{
    if (d->gone)
        gone_reason(d);
}

/* A statement found the file damaged: whatever a write would still manage
 * to add would be acknowledged into a file that is known to lose records,
 * so none is taken any more (the other pages keep being read). */
static void mark_damaged(sipc_data *d, const char *err)
{
    d->damaged = 1;
    size_t n = strlen(d->db_path);
    if (!strncmp(err, d->db_path, n) && !strncmp(err + n, ": ", 2))
        err += n + 2; /* the reason names records.db */
    /* the one number the repair's count is compared with: once reads fail
     * too, nothing else on the node shows it */
    snprintf(d->writes_err, sizeof d->writes_err,
             "records.db is damaged (%.70s): writes are refused so that nothing more is "
             "acknowledged into it; " DATA_REPAIR_HINT "; %lld records were committed "
             "(created, deleted ones included; state/records-mark): compare the repair's "
             "count with it",
             err, (long long)d->mark.created);
    memcpy(d->damaged_err, d->writes_err, sizeof d->damaged_err);
    damaged_while_gone(d);
    uv_timer_stop(&d->probe_timer);
    data_storage_unusable(d, DATA_STORE_DAMAGED, d->writes_err);
    if (d->o.damaged_cb)
        d->o.damaged_cb(err, d->o.damaged_arg);
}

void sipc_data_refuse_writes(sipc_data *d, const char *why)
{
    if (d->unopened)
        return; /* every call is refused already; a later open asks the host again */
    d->damaged = 1;
    keep_reason(d->writes_err, sizeof d->writes_err, why);
    memcpy(d->damaged_err, d->writes_err, sizeof d->damaged_err);
    damaged_while_gone(d);
    uv_timer_stop(&d->probe_timer);
    data_storage_unusable(d, DATA_STORE_DAMAGED, d->writes_err);
}

void data_storage_outcome(sipc_data *d, int kind, int rc, const char *err, int probe,
                          const data_fs_facts *fs)
{
    static const char *const what[] = {"writes to", "reads from"};
    if (rc != 0 && data_status_of(rc) != SIPC_DATA_STORAGE)
        return; /* the request's fault, not the database's */
    if (rc == DATA_STORE_DAMAGED && !d->damaged)
        mark_damaged(d, err);
    char ro[1024];
    int health_rc = rc;
    if (rc != 0 && kind == DATA_WRITES && d->writes_err[0]) {
        err = d->writes_err; /* it says what to do */
    } else if ((rc == UV_EROFS || rc == UV_EIO) && kind == DATA_WRITES && fs && fs->ro) {
        /* the file system turned read-only under the node (the kernel after
         * a disk error): SQLite's error need not carry the EROFS, and the
         * account's permissions are not the cause */
        snprintf(ro, sizeof ro, "%s: %s", err, fs_hint(fs));
        err = ro;
        /* probed once the file system can be written again, as the hint
         * promises (an I/O error otherwise waits for a request) */
        health_rc = UV_EROFS;
    }
    uint64_t now = uv_now(d->loop);
    data_health *h = &d->health[kind];
    if (rc != 0 && probe)
        return; /* still failing; the status keeps the latest request's failure */
    if (rc != 0) {
        if (!h->failing) {
            sipc_log_printf(d->o.log, d->o.log_arg, SIPC_LOG_ERROR, "Data.Storage",
                            "%s the database fail: %s (those requests get STORAGE; the end "
                            "of it is said too)",
                            what[kind], err);
            h->failing = 1;
            h->failures = 0;
            h->since_ms = h->said_ms = now;
            h->since_wall_ms = sipc_rfc3339_now_ms();
            if (kind == DATA_WRITES && !d->closing)
                uv_timer_start(&d->probe_timer, on_probe_timer, d->o.probe_ms, d->o.probe_ms);
        } else if (now - h->said_ms >= HEALTH_REMIND_MS) {
            sipc_log_printf(d->o.log, d->o.log_arg, SIPC_LOG_ERROR, "Data.Storage",
                            "%s the database still fail: %llu failed requests in %llu s, the "
                            "latest: %s",
                            what[kind], (unsigned long long)h->failures + 1,
                            (unsigned long long)(now - h->since_ms) / 1000, err);
            h->said_ms = now;
        }
        h->failures++;
        h->total++;
        h->last_ms = now;
        h->last_wall_ms = sipc_rfc3339_now_ms();
        h->last_rc = health_rc;
        if (rc == UV_ENOSPC)
            h->avail_at_fail = fs ? fs->avail : UINT64_MAX;
        keep_reason(h->last_err, sizeof h->last_err, err);
        return;
    }
    if (!h->failing || now - h->last_ms < d->o.quiet_ms)
        return;
    if (kind == DATA_WRITES && (d->damaged || d->writer_ro || d->gone))
        return; /* one queued before it was found says nothing of what follows */
    sipc_log_printf(d->o.log, d->o.log_arg, SIPC_LOG_INFO, "Data.Storage",
                    "%s the database work again%s: %llu request%s failed, the first %.0f s ago",
                    what[kind], probe ? " (a test write succeeded)" : "",
                    (unsigned long long)h->failures, h->failures == 1 ? "" : "s",
                    (double)(now - h->since_ms) / 1000.0);
    h->failing = 0;
}

static void health_fill(const data_health *h, sipc_data_health *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    out->failures_total = h->total;
    if (!h->failing)
        return;
    out->failing = 1;
    out->failures = h->failures;
    out->since_unix_ms = h->since_wall_ms;
    out->last_unix_ms = h->last_wall_ms;
    snprintf(out->last_error, sizeof out->last_error, "%s", h->last_err);
}

void sipc_data_mark_get(const sipc_data *d, sipc_data_mark *out)
{
    *out = d->mark;
}

void sipc_data_health_get(const sipc_data *d, sipc_data_health *writes, sipc_data_health *reads)
{
    health_fill(&d->health[DATA_WRITES], writes);
    health_fill(&d->health[DATA_READS], reads);
}

void sipc_data_options_init(sipc_data_options *o)
{
    memset(o, 0, sizeof *o);
    o->sync = SIPC_DATA_SYNC_FULL;
    o->max_body = 1u << 20;
    o->max_id = 256;
    o->max_attributes = 64;
    o->max_key = 128;
    o->max_value = 4096;
    o->max_batch = 1000;
    o->max_list = 1000;
    o->default_list = 100;
    o->max_response = 8u << 20;
    o->max_queue = 64u << 20;
    o->readers = 4;
    o->watch_ms = SIPC_DATA_WATCH_MS;
    o->settle_ms = SIPC_DATA_SETTLE_MS;
    o->retry_ms = SIPC_DATA_RETRY_MS;
    o->probe_ms = SIPC_DATA_PROBE_MS;
    o->quiet_ms = HEALTH_QUIET_MS;
}


/* ------------------------------------------------------------ the pool */

data_store *data_reader_get(sipc_data *d, int *rc, char *err, size_t errlen)
{
    uv_mutex_lock(&d->mu);
    /* while the writer is opened again every connection is closed (they
     * share SQLite's one mapping of the -shm, opened read-only with them) */
    while (d->reopening || (d->nidle == 0 && d->nopen >= d->o.readers))
        uv_cond_wait(&d->cv, &d->mu);
    if (d->readers_off) {
        /* a job accepted before the writer's reopen failed */
        uv_mutex_unlock(&d->mu);
        *rc = UV_EIO;
        snprintf(err, errlen, "records.db is not open (it could not be opened again)");
        return NULL;
    }
    if (d->nidle > 0) {
        data_store *s = d->idle[--d->nidle];
        uv_mutex_unlock(&d->mu);
        return s;
    }
    if (d->gone) {
        /* records.db no longer names the open file: a connection opened by
         * the name would read another file (or none), with the open file's
         * -wal. Only those open on it serve reads; they are lent again */
        while (d->gone && d->nidle == 0 && d->nopen > 0)
            uv_cond_wait(&d->cv, &d->mu);
        if (d->nidle > 0) {
            data_store *s = d->idle[--d->nidle];
            uv_mutex_unlock(&d->mu);
            return s;
        }
        if (d->gone) {
            uv_mutex_unlock(&d->mu);
            *rc = UV_ENOENT;
            snprintf(err, errlen,
                     "records.db is gone from its directory and no connection to the file "
                     "the node has open is left to read it");
            return NULL;
        }
    }
    d->nopen++;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s", d->db_path);
    uv_mutex_unlock(&d->mu);
    data_store *s = NULL;
    *rc = data_store_open(&s, path, DATA_STORE_READER, d->o.sync, err, errlen);
    if (*rc != 0) {
        uv_mutex_lock(&d->mu);
        d->nopen--;
        uv_cond_broadcast(&d->cv);
        uv_mutex_unlock(&d->mu);
    }
    return s;
}

void data_reader_put(sipc_data *d, data_store *s)
{
    uv_mutex_lock(&d->mu);
    if (d->gone && data_store_has_moved(s) == 0) {
        /* lent out when records.db was found gone, on the file the name
         * leads to (drop_window_readers) */
        d->nopen--;
        data_store_keep_log(s);
        data_store_close(s);
        uv_cond_broadcast(&d->cv);
        uv_mutex_unlock(&d->mu);
        return;
    }
    assert(d->nidle < d->o.readers);
    d->idle[d->nidle++] = s;
    uv_cond_broadcast(&d->cv); /* a reader's job, or the reopen waiting for all */
    uv_mutex_unlock(&d->mu);
}

/* ------------------------------------------------------------- answers */

void data_respond_msg(sipc_request *req, const ProtobufCMessage *m)
{
    uint8_t small[64];
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = n <= sizeof small ? small : malloc(n);
    if (!buf) {
        sipc_respond_error(req, SIPC_ENOMEM, "out of memory");
        return;
    }
    protobuf_c_message_pack(m, buf);
    sipc_respond(req, buf, n);
    if (buf != small)
        free(buf);
}

/* Packs m into job->out for the completion to send. */
int data_refuse_closing(sipc_data *d, sipc_request *req)
{
    if (!d->closing)
        return 0;
    sipc_respond_error(req, SIPC_DATA_CLOSING, "data service is shutting down");
    return 1;
}

void data_bad_request(sipc_request *req, const char *type)
{
    char msg[96];
    snprintf(msg, sizeof msg, "payload is not a valid sipc.data.%s message", type);
    sipc_respond_error(req, SIPC_DATA_BAD_REQUEST, msg);
}

/* ------------------------------------------------------- open and close */

/* mkdir -p with mode 0700 for the directories it creates. */
static int make_dirs(const char *dir, char *err, size_t errlen)
{
    char *p = strdup(dir);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return SIPC_ENOMEM;
    }
    int rc = 0;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            rc = SIPC_ECONFIG; /* as every other problem of the directory */
            snprintf(err, errlen, "%s: cannot create directory: %s", p, strerror(errno));
            break;
        }
        *s = c;
        if (c == '\0')
            break;
    }
    free(p);
    return rc;
}

/* The uid files show for an owner this machine cannot map (NFS root_squash,
 * NFSv4 id mapping, rootless containers): usually 65534. */
static uid_t overflow_uid(void)
{
    unsigned long v = 65534;
    FILE *fp = fopen("/proc/sys/fs/overflowuid", "re");
    if (fp) {
        if (fscanf(fp, "%lu", &v) != 1)
            v = 65534;
        fclose(fp);
    }
    return (uid_t)v;
}

/* An owner the data service trusts: its own account, root, or the overflow
 * uid where id mapping shows this account's files so (only where other
 * accounts cannot add files: overflow_ok). */
static int trusted_owner(uid_t uid, int overflow_ok)
{
    return uid == geteuid() || uid == 0 || (overflow_ok && uid == overflow_uid());
}

/* Whether the overflow uid owning the directory fd (stat st) can stand for
 * this account: ids are mapped there (NFS, CIFS, FUSE; a user namespace
 * that does not map every id), or this account may write it although only
 * its owner may. On a local disk without mapping it is the real `nobody`,
 * an account daemons run as. */
static int ids_mapped(int fd, const struct stat *st)
{
    struct statfs sf;
    if (fstatfs(fd, &sf) == 0 && (sf.f_type == NFS_SUPER_MAGIC || sf.f_type == SMB2_SUPER_MAGIC ||
                                  sf.f_type == CIFS_SUPER_MAGIC || sf.f_type == FUSE_SUPER_MAGIC))
        return 1;
    FILE *fp = fopen("/proc/self/uid_map", "re");
    if (fp) {
        unsigned long in, out, count;
        int n = fscanf(fp, "%lu %lu %lu", &in, &out, &count);
        int identity = n == 3 && in == 0 && out == 0 && count == 4294967295ul &&
                       fscanf(fp, "%lu", &in) != 1;
        fclose(fp);
        if (n == 3 && !identity)
            return 1;
    }
    /* root may write anything: its access says nothing */
    return geteuid() != 0 && !(st->st_mode & 022) && faccessat(fd, ".", W_OK, AT_EACCESS) == 0;
}

/* The names the database uses. SQLite deletes -wal and -shm at a clean
 * close and replays a -wal it finds at the next open, and a hot -journal
 * before that: one left by another account would be played into the
 * database. */
static const char *const DB_FILES[] = {"records.db", "records.db-wal", "records.db-shm",
                                       "records.db-journal"};
#define DB_FILES_N (sizeof DB_FILES / sizeof DB_FILES[0])

/* The database's files (DB_FILES), checked where they exist (SQLite makes
 * the others): not links, regular, owned by a trusted account and writable
 * by no other (the overflow uid only where overflow_ok). */
static int check_db_files(int fd, const char *dir, int overflow_ok, char *err, size_t errlen)
{
    const char *const *files = DB_FILES;
    struct stat st;
    for (size_t i = 0; i < DB_FILES_N; i++) {
        if (fstatat(fd, files[i], &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue; /* none yet: SQLite makes it */
        if (S_ISLNK(st.st_mode)) {
            char to[512];
            ssize_t n = readlinkat(fd, files[i], to, sizeof to - 1);
            to[n > 0 ? n : 0] = '\0';
            snprintf(err, errlen,
                     "%s/%s is a symbolic link%s%s%s, which the data service does not follow: "
                     "put the file itself there (to keep the database on another disk, link "
                     "the data directory instead and move records.db, records.db-wal and "
                     "records.db-shm into the directory it points to)",
                     dir, files[i], to[0] ? " (to " : "", to, to[0] ? ")" : "");
            return SIPC_ECONFIG;
        }
        if (!S_ISREG(st.st_mode)) {
            snprintf(err, errlen, "%s/%s is not a regular file", dir, files[i]);
            return SIPC_ECONFIG;
        }
        if (!trusted_owner(st.st_uid, overflow_ok)) {
            snprintf(err, errlen,
                     "%s/%s belongs to uid %u, not to this account (uid %u) nor root: another "
                     "account may have put it there, and SQLite would read it as the "
                     "database's own. If it is the database's (copied by another account), "
                     "run `chown %u %s/%s` as root; if not, remove it",
                     dir, files[i], (unsigned)st.st_uid, (unsigned)geteuid(),
                     (unsigned)geteuid(), dir, files[i]);
            return SIPC_ECONFIG;
        }
        if (st.st_mode & 022) {
            snprintf(err, errlen,
                     "%s/%s can be written by other accounts (mode %04o), which could change "
                     "the database: run `chmod go-w %s/%s`",
                     dir, files[i], (unsigned)(st.st_mode & 07777), dir, files[i]);
            return SIPC_ECONFIG;
        }
    }
    return 0;
}

/* In a directory other accounts may write (sticky), the names the database
 * will use are taken now, while they are checked to be free or ours: after
 * that, the sticky bit keeps them ours, and no file can be slipped in
 * between this check and SQLite's open. SQLite reads an empty -wal as no
 * log and an empty -journal as no journal. */
static int claim_db_files(int fd, const char *dir, char *err, size_t errlen)
{
    const char *const *files = DB_FILES;
    for (size_t i = 0; i < DB_FILES_N; i++) {
        int f = openat(fd, files[i], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (f >= 0)
            close(f);
        else if (errno != EEXIST) {
            snprintf(err, errlen, "%s/%s: cannot create: %s", dir, files[i], strerror(errno));
            return SIPC_ECONFIG;
        }
    }
    return 0;
}

/* An empty records.db (a new database) in a sticky directory: SQLite would
 * delete the -wal claimed for it at its open (an empty database has no
 * log) and create it again at the first write, open to whoever made the
 * name meanwhile. So the database is made by SQLite in a private 0700
 * directory beside it, in WAL mode, and renamed over the claimed empty
 * name: SQLite then opens the claimed -wal as this database's log. */
static int init_db_file(int fd, const char *real, const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (fstatat(fd, "records.db", &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_size > 0)
        return 0;
    char tmp[PATH_MAX], path[PATH_MAX + 32], side[PATH_MAX + 48];
    if (snprintf(tmp, sizeof tmp, "%s/.records.db-new-XXXXXX", real) >= (int)sizeof tmp ||
        !mkdtemp(tmp)) {
        snprintf(err, errlen, "%s: cannot make a directory to create the database in: %s", dir,
                 strerror(errno));
        return SIPC_ECONFIG;
    }
    snprintf(path, sizeof path, "%s/records.db", tmp);
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        snprintf(err, errlen, "%s/records.db: cannot create: %s", dir,
                 db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    if (rc == SQLITE_OK && (stat(path, &st) != 0 || st.st_size == 0)) {
        snprintf(err, errlen, "%s/records.db: SQLite made an empty database", dir);
        rc = SQLITE_ERROR;
    }
    if (rc == SQLITE_OK && renameat(AT_FDCWD, path, fd, "records.db") != 0) {
        snprintf(err, errlen, "%s/records.db: cannot put the new database in place: %s", dir,
                 strerror(errno));
        rc = SQLITE_ERROR;
    }
    for (size_t i = 0; i < DB_FILES_N; i++) {
        snprintf(side, sizeof side, "%s/%s", tmp, DB_FILES[i]);
        unlink(side);
    }
    rmdir(tmp);
    return rc == SQLITE_OK ? 0 : SIPC_ECONFIG;
}

/* The directory may be a symbolic link (the database on another disk is an
 * operator's choice). It is resolved once, here: every connection, the
 * readers opened later included, opens the database by that resolved path
 * with SQLITE_OPEN_NOFOLLOW, so a link re-pointed or planted afterwards (in
 * the path, or as records.db, -wal, -shm) is refused, never followed, and
 * every reader opens the directory checked here. That directory must not be
 * writable by other accounts, unless sticky, and its owner must be this
 * account, root or the overflow uid where ids are mapped (on NFS with
 * root_squash, with NFSv4 id mapping and in rootless containers this
 * account's directory shows so): any other owner could put files of its
 * own in place of the database's.
 * *resolved: malloc'd. */
/* At start (sipc_data_open): what check_db_dir did about a leftover log
 * beside a missing or empty records.db, before any file is claimed or made
 * (SQLite would replay that -wal into a new file made over a claimed name,
 * and delete it beside a missing or empty one). */
typedef struct db_start {
    int tried;        /* records.db was missing or empty, a -wal or -shm there */
    int wal_kept;     /* its -wal could not be set aside: nothing is made */
    char set_aside[2][SET_ASIDE_LEN];
} db_start;

static int set_aside_at(const char *db_path, const char *tag, char *wal_out, char *shm_out);

static void start_set_aside(int fd, const char *real, int others_write, db_start *start)
{
    struct stat st, ws, ss;
    int none = fstatat(fd, "records.db", &st, AT_SYMLINK_NOFOLLOW) != 0;
    if (none ? errno != ENOENT : !S_ISREG(st.st_mode) || st.st_size > 0)
        return;
    int wal = fstatat(fd, "records.db-wal", &ws, AT_SYMLINK_NOFOLLOW) == 0;
    int shm = fstatat(fd, "records.db-shm", &ss, AT_SYMLINK_NOFOLLOW) == 0;
    /* an empty -wal holds nothing (a stop's checkpoint leaves one beside a
     * records.db removed meanwhile; in a sticky directory it may be the
     * name claimed for this database, claim_db_files): it is kept, and
     * neither it nor its -shm is said to hold committed records */
    if (wal && ws.st_size == 0)
        return;
    if (others_write && !wal)
        return;
    if (!wal && !shm)
        return;
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/records.db", real);
    start->tried = 1;
    start->wal_kept =
        set_aside_at(path, "set-aside", start->set_aside[0], start->set_aside[1]);
}

/* The reason nothing is made while a missing or empty records.db has a
 * -wal beside it (holding committed records) that is still there. */
static void leftover_wal_reason(const char *db_path, const char *why, char *err, size_t errlen)
{
    /* cut short in a small err: the reason comes first */
    int n = snprintf(err, errlen,
             "%.500s is missing or empty, but %.500s-wal is there (its log, holding committed "
             "records)%s%.300s: no new database is made over it (SQLite would discard it); "
             "put its records.db back, or move the -wal away (with the -shm), and the data "
             "service opens then",
             db_path, db_path, why && why[0] ? ", and " : "", why ? why : "");
    if (n < 0 && errlen)
        err[0] = '\0';
}

/* Any thread: records.db at path is missing or empty and a -wal with
 * content is beside it. */
static int leftover_wal(const char *path)
{
    char wal[PATH_MAX + 8];
    struct stat st, ws;
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (lstat(wal, &ws) != 0 || ws.st_size == 0)
        return 0;
    if (lstat(path, &st) != 0)
        return errno == ENOENT;
    return S_ISREG(st.st_mode) && st.st_size == 0;
}

static int check_db_dir(const char *dir, char **resolved, db_start *start, char *err,
                        size_t errlen)
{
    *resolved = realpath(dir, NULL);
    if (!*resolved) {
        snprintf(err, errlen, "%s: %s", dir,
                 errno == ENOTDIR ? "not a directory" : strerror(errno));
        return SIPC_ECONFIG;
    }
    int fd = open(*resolved, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", dir,
                 errno == ENOTDIR ? "not a directory" : strerror(errno));
        free(*resolved);
        *resolved = NULL;
        return SIPC_ECONFIG;
    }
    struct stat st;
    int rc = SIPC_ECONFIG;
    if (fstat(fd, &st) != 0)
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
    else if ((st.st_mode & 022) && !(st.st_mode & S_ISVTX))
        snprintf(err, errlen,
                 "%s can be written by other accounts (mode %04o), which could put files of "
                 "their own in place of the database's: run `chmod go-w %s` as its owner "
                 "(uid %u), or `chmod +t %s` if other accounts must keep writing there",
                 dir, (unsigned)(st.st_mode & 07777), *resolved, (unsigned)st.st_uid,
                 *resolved);
    else if (!trusted_owner(st.st_uid, st.st_uid == overflow_uid() && ids_mapped(fd, &st)))
        snprintf(err, errlen,
                 "%s belongs to uid %u, another account%s, which could put files of its own in "
                 "place of the database's: run `chown %u %s` as root (or move the data "
                 "directory to one this account owns)",
                 dir, (unsigned)st.st_uid,
                 st.st_uid == overflow_uid()
                     ? " (the overflow uid, here not standing for this account: no id "
                       "mapping on this filesystem)"
                     : "",
                 (unsigned)geteuid(), *resolved);
    else {
        int others_write = (st.st_mode & 022) != 0;
        int overflow_ok = !others_write && ids_mapped(fd, &st);
        rc = check_db_files(fd, dir, overflow_ok, err, errlen);
        if (rc == 0 && start)
            start_set_aside(fd, *resolved, others_write, start);
        if (rc == 0 && others_write && !(start && start->wal_kept) &&
            (rc = claim_db_files(fd, dir, err, errlen)) == 0 &&
            (rc = check_db_files(fd, dir, 0, err, errlen)) == 0) /* one made meanwhile */
            rc = init_db_file(fd, *resolved, dir, err, errlen);
    }
    close(fd);
    if (rc != 0) {
        free(*resolved);
        *resolved = NULL;
    }
    return rc;
}

/* The start-up check's time: the whole file of a database up to a few GB
 * (docs/services.md), the start of a larger one. */
#define DATA_CHECK_MS 2000

/* A read-only mount, or one the kernel stopped writing after an error
 * (ext4's emergency read-only state may not be in statvfs: the kernel's
 * write check says EROFS). access(2), not an open: closing a descriptor of
 * records.db would drop every POSIX lock this process holds on it, and
 * SQLite's WAL locks with them (another process could then checkpoint and
 * delete the -wal the writer still commits into). */
static int on_read_only_fs(const char *path)
{
    struct statvfs v;
    if (statvfs(path, &v) == 0 && (v.f_flag & ST_RDONLY))
        return 1;
    return access(path, W_OK) != 0 && errno == EROFS;
}

/* What to do about a file system on_read_only_fs found read-only: a
 * read-only mount is remounted; the kernel's emergency state needs fsck
 * on the unmounted file system, so the node stopped first. */
static const char *read_only_hint(const char *path)
{
    struct statvfs v;
    if (statvfs(path, &v) == 0 && !(v.f_flag & ST_RDONLY) && access(path, W_OK) != 0 &&
        errno == EROFS)
        return DATA_EMERGENCY_RO_HINT;
    return DATA_READONLY_FS_HINT;
}

/* What the operator can do about a database that cannot be opened. retry:
 * the service stays up and opens it once its files change, so the node
 * needs no restart (and holds none of its files open meanwhile). fresh:
 * the node has no database yet (may_create): it is made then. */
static void explain_open_failure(const char *path, int rc, int retry, int fresh, char *err,
                                 size_t errlen)
{
    size_t n = strlen(err);
    /* what to do must not be cut off by a long finding (quick_check lists
     * every bad page) */
    if (n > 400 && errlen > 400) {
        memcpy(err + 396, " ...", 5);
        n = 400;
    }
    if (n + 1 >= errlen)
        return;
    if (rc == DATA_STORE_DAMAGED && retry)
        snprintf(err + n, errlen - n,
                 ": the database is damaged: repair it (docs/services.md, \"A full or damaged "
                 "database\"; the node holds none of its files open meanwhile): the data "
                 "service opens the repaired records.db without a restart");
    else if (rc == DATA_STORE_DAMAGED)
        snprintf(err + n, errlen - n, ": the database is damaged: " DATA_REPAIR_HINT);
    else if (on_read_only_fs(path) && !strcmp(read_only_hint(path), DATA_EMERGENCY_RO_HINT))
        snprintf(err + n, errlen - n, ": it is on a %s", DATA_EMERGENCY_RO_HINT);
    else if (on_read_only_fs(path))
        snprintf(err + n, errlen - n,
                 ": it is on a read-only file system, where SQLite cannot open a database whose "
                 "-shm file is gone: remount it read-write (after fsck if the kernel made it "
                 "read-only after an error)%s",
                 !retry  ? " and start the node again"
                 : fresh ? ": the data service makes the database then, without a restart"
                         : ": the data service opens it then, without a restart");
    else if (retry && fresh)
        snprintf(err + n, errlen - n,
                 ": this node has no database yet: once the cause is fixed, the data service "
                 "makes records.db when its directory changes (a chmod, a chown, a remount) or "
                 "at its next timed attempt (a cause no file shows: room made on a full disk), "
                 "without a restart");
    else if (retry)
        snprintf(err + n, errlen - n,
                 ": once the cause is fixed, the data service opens it again when records.db or "
                 "its directory changes (a chmod, a chown, a file put in place) or at its next "
                 "timed attempt (a cause no file shows: a lock released), without a restart");
}

/* Open failures that leave the service up with retry_open: the file's, the
 * file system's. Not this program's (a library too old, a newer schema:
 * SIPC_ECONFIG) nor memory. */
static int open_retriable(int rc)
{
    return rc != SIPC_ECONFIG && rc != SIPC_ENOMEM && rc != SIPC_EINVAL;
}

/* Any thread: the writer opened and the file checked, or a negative code
 * with the reason in err (nothing left open). meta_err: why the file could
 * not be given an identity, if so. */
static int open_db(const char *path, data_store_role role, sipc_data_sync sync,
                   data_store **writer,
                   sipc_data_mark *mark, int *whole, char *meta_err, size_t meta_len, char *err,
                   size_t errlen)
{
    *whole = 1;
    meta_err[0] = '\0';
    memset(mark, 0, sizeof *mark);
    int rc = data_store_open(writer, path, role, sync, err, errlen);
    if (rc == 0)
        rc = data_store_check(*writer, DATA_CHECK_MS, whole, err, errlen);
    if (rc == 0 && (rc = data_store_meta(*writer, mark, meta_err, meta_len)) != 0)
        snprintf(err, errlen, "%s", meta_err);
    if (rc != 0) {
        data_store_close(*writer);
        *writer = NULL;
    }
    return rc;
}

/* Any thread, nothing opened (statvfs, access and lstat only, see
 * on_read_only_fs): what tells that the database's files changed since
 * an attempt to open them: records.db, its -wal and its directory (their
 * identity, size, times, mode, owner) and whether the file system is
 * read-only. */
static void files_sig(const sipc_data *d, const char *db_path, struct data_files_sig *sig)
{
    memset(sig, 0, sizeof *sig);
    char wal[PATH_MAX], dir[PATH_MAX];
    snprintf(wal, sizeof wal, "%s-wal", db_path);
    snprintf(dir, sizeof dir, "%s", db_path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir)
        *slash = '\0';
    const char *paths[] = {db_path, wal, dir};
    size_t k = 0;
    for (int i = 0; i < 3; i++) {
        struct stat st;
        if (lstat(paths[i], &st) != 0) {
            k += 7;
            continue;
        }
        sig->v[k++] = 1 + (unsigned long long)st.st_dev;
        sig->v[k++] = st.st_ino;
        sig->v[k++] = (unsigned long long)st.st_size;
        sig->v[k++] = (unsigned long long)st.st_mtim.tv_sec * 1000000000ull + st.st_mtim.tv_nsec;
        sig->v[k++] = (unsigned long long)st.st_ctim.tv_sec * 1000000000ull + st.st_ctim.tv_nsec;
        sig->v[k++] = st.st_mode;
        sig->v[k++] = st.st_uid;
    }
    /* the configured path (HOME/data), a link re-pointed or a disk mounted
     * over it or away: an attempt then says it is not the directory the
     * node started with */
    struct stat st;
    if (lstat(d->dir, &st) == 0) {
        sig->v[k++] = st.st_ino;
        sig->v[k++] = (unsigned long long)st.st_ctim.tv_sec * 1000000000ull + st.st_ctim.tv_nsec;
    } else {
        k += 2;
    }
    if (stat(d->dir, &st) == 0) {
        sig->v[k++] = 1 + (unsigned long long)st.st_dev;
        sig->v[k++] = st.st_ino;
    } else {
        k += 2;
    }
    assert(k < sizeof sig->v / sizeof sig->v[0]);
    /* -shm and -journal: what the start's check judges of them (a link,
     * another account's, writable by others), so that their fix (rm,
     * chown, chmod) is an attempt's cue as for records.db; not their times
     * (a -shm changes while open) */
    for (int i = 2; i < 4; i++) {
        char side[PATH_MAX + 32];
        snprintf(side, sizeof side, "%.*s/%s", PATH_MAX - 1, dir, DB_FILES[i]);
        if (lstat(side, &st) != 0) {
            k += 3;
            continue;
        }
        sig->v[k++] = st.st_ino;
        sig->v[k++] = st.st_mode;
        sig->v[k++] = 1 + (unsigned long long)st.st_uid;
    }
    assert(k < sizeof sig->v / sizeof sig->v[0]);
    struct statvfs v;
    sig->v[k++] = (statvfs(dir, &v) == 0 && (v.f_flag & ST_RDONLY)) ||
                  (access(dir, W_OK) != 0 && errno == EROFS);
}

/* Loop thread, after the probe's look: a writer opened read-only may be
 * opened again for writing: the file system and the file look writable
 * (access(2), no descriptor: see on_read_only_fs), the first time it looks
 * so, then only once something changed since the last try (else an open
 * that gives a read-only connection again would be tried every time). */
static void probe_looked(sipc_data *d)
{
    if (d->closing || d->unopened || !d->writer_ro || d->damaged || d->reopen_wanted ||
        d->reopen_running || !d->look_writable)
        return;
    if (d->reopen_tried && !memcmp(&d->look_sig, &d->sig, sizeof d->sig))
        return;
    d->reopen_wanted = 1;
    data_kick_writer(d);
}

static void on_watch_timer(uv_timer_t *t);

/* Any thread, nothing else running on the files (the job that put the
 * writer in place, or sipc_data_open): what finish_open needs of the files
 * of the writer just opened on db_path. */
static void open_facts_get(sipc_data *d, const char *db_path, data_store *writer,
                           struct data_open_facts *f)
{
    memset(f, 0, sizeof *f);
    data_fs_facts_get(db_path, &f->fs);
    /* the file opened, taken by the open before its check (up to
     * DATA_CHECK_MS), during which another file may be put in place: the
     * look then finds it another file, and the open one put back */
    f->have_id = data_store_identity(writer, &f->dev, &f->ino, f->id_err, sizeof f->id_err) == 0;
    /* the -wal the writer has open: kept by SQLite while it is open, written
     * by any process meanwhile (its identity only) */
    remember_wal(d, db_path, 0);
    files_sig(d, db_path, &f->sig);
}

/* Loop thread: a writer is in place (at sipc_data_open, or after a later
 * open): what it can do, said, from what its job saw of the files (f,
 * open_facts_get). */
static void finish_open(sipc_data *d, int whole, const char *meta_err,
                        const struct data_open_facts *f)
{
    d->writer_ro = 0;
    d->reopen_tried = 0;
    d->writes_err[0] = '\0';
    if (!whole)
        sipc_log_printf(d->o.log, d->o.log_arg, SIPC_LOG_INFO, "Data.Storage",
                        "%s: PRAGMA quick_check stopped after %u ms (a large database): the "
                        "rest of the file is checked only by use",
                        d->db_path, (unsigned)DATA_CHECK_MS);
    /* reads are served: the node holds the only copy of its records */
    if (f->fs.ro) {
        d->writer_ro = 1;
        snprintf(d->writes_err, sizeof d->writes_err, "%.120s: %s", d->db_path,
                 fs_hint(&f->fs));
    } else if (data_store_readonly(d->writer)) {
        d->writer_ro = 1;
        snprintf(d->writes_err, sizeof d->writes_err,
                 "%.120s: SQLite opened it read-only: give this account write access to it and "
                 "its directory: writes resume without a restart",
                 d->db_path);
    }
    if (d->writer_ro) {
        data_storage_unusable(d, UV_EROFS, d->writes_err);
        /* it looks for the file system turning writable */
        if (!d->closing)
            uv_timer_start(&d->probe_timer, on_probe_timer, d->o.probe_ms, d->o.probe_ms);
    } else if (d->mark.instance == 0) {
        sipc_log_printf(d->o.log, d->o.log_arg, SIPC_LOG_WARN, "Data.Storage",
                        "%s has no identity (table store_meta, made before it existed or by "
                        "the repair) and it could not be given one: %s. Until a start can "
                        "write it (each start tries again), nothing counts the committed "
                        "records: a records.db-wal lost after a crash would go unnoticed",
                        d->db_path, meta_err[0] ? meta_err : "unknown error");
    }
    uv_mutex_lock(&d->mu);
    d->gone = 0;
    uv_mutex_unlock(&d->mu);
    d->open_dev = d->open_ino = 0;
    d->open_no_id = !f->have_id;
    snprintf(d->open_id_err, sizeof d->open_id_err, "%s", f->id_err);
    if (f->have_id) {
        d->mark.file = (uint64_t)f->ino;
        d->open_dev = f->dev;
        d->open_ino = f->ino;
    }
    /* looks whether records.db still names this file (gone_looked) */
    if (!d->closing)
        uv_timer_start(&d->watch_timer, on_watch_timer, d->o.watch_ms, d->o.watch_ms);
    d->sig = f->sig;
}

/* Loop thread: while not open, writes and reads fail with the reason. */
static void unopened_health(sipc_data *d)
{
    for (int k = 0; k < 2; k++) {
        data_health *h = &d->health[k];
        if (!h->failing) {
            h->failing = 1;
            h->failures = 0;
            h->since_ms = h->said_ms = h->last_ms = uv_now(d->loop);
            h->since_wall_ms = h->last_wall_ms = d->open_since_wall_ms;
        }
        h->last_rc = d->open_rc;
        keep_reason(h->last_err, sizeof h->last_err, d->open_err);
    }
}

int data_refuse_unopened(sipc_data *d, int kind, sipc_request *req)
{
    if (!d->unopened)
        return 0;
    data_health *h = &d->health[kind];
    h->failures++;
    h->total++;
    h->last_ms = uv_now(d->loop);
    h->last_wall_ms = sipc_rfc3339_now_ms();
    sipc_respond_error(req, SIPC_DATA_STORAGE, d->open_err);
    return 1;
}

void sipc_data_open_state_get(const sipc_data *d, sipc_data_open_state *out)
{
    memset(out, 0, sizeof *out);
    out->open = !d->unopened;
    out->made_new = d->made_new;
    snprintf(out->wal_set_aside, sizeof out->wal_set_aside, "%s", d->set_aside[0]);
    if (out->open)
        return;
    out->since_unix_ms = d->open_since_wall_ms;
    out->last_unix_ms = d->open_last_wall_ms;
    out->attempts = d->open_attempts;
    snprintf(out->reason, sizeof out->reason, "%s", d->open_reason);
}

static void on_watch_timer(uv_timer_t *t);

/* Loop thread, after an open failed with rc: whether the next attempts
 * come on a timer too, not only on a change of the files. A damaged file,
 * and what the files show (file_cause), need the operator's change; any
 * other cause may pass without one (a lock released, room made). */
static void set_retry_timed(sipc_data *d, int rc, int file_cause)
{
    int timed = !file_cause && rc != DATA_STORE_DAMAGED && rc != UV_EEXIST;
    if (timed && !d->retry_timed)
        d->retry_gap_ms = d->o.retry_ms;
    d->retry_timed = timed;
}

/* Loop thread: an open failed (at start, or a later attempt, or the
 * writer's reopen): the service is up but not open. */
static void enter_unopened(sipc_data *d, int rc, const char *err)
{
    int was = d->unopened;
    char since[32];
    d->unopened = 1;
    uv_mutex_lock(&d->mu);
    d->readers_off = 1;
    uv_mutex_unlock(&d->mu);
    d->open_tried_ms = uv_now(d->loop);
    d->open_rc = rc;
    d->open_last_wall_ms = sipc_rfc3339_now_ms();
    d->open_attempts++;
    if (!was)
        d->open_since_wall_ms = d->open_last_wall_ms;
    sipc_rfc3339_format(d->open_since_wall_ms, 0, since, sizeof since);
    keep_reason(d->open_reason, sizeof d->open_reason, err);
    const char *reason = d->open_reason;
    snprintf(d->open_err, sizeof d->open_err, "records.db is not open (since %s): %s", since,
             reason);
    unopened_health(d);
    char timer[160] = "";
    if (d->retry_timed)
        snprintf(timer, sizeof timer,
                 ", and on a timer, as the cause may show in no file (after %g s, then twice "
                 "as long each time up to %g s)",
                 d->retry_gap_ms / 1000.0, 16 * (double)d->o.retry_ms / 1000.0);
    uint64_t now = uv_now(d->loop);
    if (!was) {
        d->retry_said[0] = '\0';
        d->retry_unsaid = 0;
        d->open_said_ms = now;
        sipc_log_printf(d->o.log, d->o.log_arg, SIPC_LOG_ERROR, "Data.Storage",
                        "the database cannot be opened: %s. The node runs without it: every "
                        "data call is refused (STORAGE) until it opens, which is tried again "
                        "each time records.db, its -wal or its directory change, or the file "
                        "system turns writable%s",
                        reason, timer);
    } else if (d->otimed && d->retry_said[0] && !strcmp(d->retry_said, reason) &&
               now - d->retry_said_ms < DATA_RETRY_SAY_MS) {
        /* the timer's attempt, failed as the last one said: nothing new
         * (a cause that stays, a data directory's mode, would say it up to
         * 22 times an hour); the status keeps the fresh reason */
        d->retry_unsaid++;
    } else {
        char more[96] = "";
        if (d->retry_unsaid)
            snprintf(more, sizeof more,
                     "; %llu earlier timed attempt%s failed as the last line said",
                     (unsigned long long)d->retry_unsaid, d->retry_unsaid == 1 ? "" : "s");
        /* what started this attempt, not what the next ones wait for */
        sipc_log_printf(d->o.log, d->o.log_arg, SIPC_LOG_ERROR, "Data.Storage",
                        "the database still cannot be opened (attempt %llu, %s%s): %s",
                        (unsigned long long)d->open_attempts,
                        d->otimed ? "on the timer, no file having changed"
                                  : "after its files changed",
                        more, reason);
        /* a change of the files may change what follows: the timer's next
         * attempt is said again */
        snprintf(d->retry_said, sizeof d->retry_said, "%s", d->otimed ? reason : "");
        d->retry_said_ms = d->open_said_ms = now;
        d->retry_unsaid = 0;
    }
    if (!d->closing)
        uv_timer_start(&d->watch_timer, on_watch_timer, d->o.watch_ms, d->o.watch_ms);
}

/* What a later open says when the database is not where it was. */
#define DATA_NO_NEW_DB                                                                         \
    "a running node makes no new database: to start over with an empty one (its records "      \
    "lost), stop the node and start it again without records.db"

/* Any thread, before a later open (nothing opened, nothing made): d->dir
 * still is the directory resolved at start, and records.db is in it.
 * UV_ENOENT with what is missing in err otherwise. With may_create, a
 * missing or empty records.db is no refusal: *create is set instead. */
static int existing_db(sipc_data *d, int *create, char *err, size_t errlen)
{
    *create = 0;
    struct stat st;
    if (stat(d->dir, &st) != 0) {
        snprintf(err, errlen,
                 "%s is gone (%s): put it back (mount its disk again, or move it back): the "
                 "data service opens records.db there without a restart; " DATA_NO_NEW_DB,
                 d->dir, strerror(errno));
        return UV_ENOENT;
    }
    if ((unsigned long long)st.st_dev != d->dir_dev ||
        (unsigned long long)st.st_ino != d->dir_ino) {
        snprintf(err, errlen,
                 "%s is not the directory the node started with (another file system or "
                 "directory is there now: a disk not mounted, a directory made again, a link "
                 "re-pointed): put that one back (mount its disk again) and the data service "
                 "opens it without a restart; to use the one there now, restart the node",
                 d->dir);
        return UV_ENOENT;
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/records.db", d->dir);
    int missing = lstat(path, &st) != 0 && errno == ENOENT;
    if (missing || (S_ISREG(st.st_mode) && st.st_size == 0)) {
        if (d->may_create) {
            /* a node that never had its database: made as its start would
             * have (the start failed on a cause now gone, e.g. a read-only
             * or full file system) */
            *create = 1;
            return 0;
        }
    } else if (S_ISREG(st.st_mode)) {
        d->may_create = 0; /* a database put there: from now on only it */
    }
    if (missing) {
        snprintf(err, errlen,
                 "records.db is gone from %s: put it back (or the repaired one: `mv "
                 "records.new.db records.db`): the data service opens it then, without a "
                 "restart; " DATA_NO_NEW_DB,
                 d->dir);
        return UV_ENOENT;
    }
    if (S_ISREG(st.st_mode) && st.st_size == 0) {
        snprintf(err, errlen,
                 "records.db in %s is empty (no database): put the database there: the data "
                 "service opens it then, without a restart; " DATA_NO_NEW_DB,
                 d->dir);
        return UV_ENOENT;
    }
    return 0;
}

/* Any thread (an open job, or sipc_data_open): path was found damaged. */
static void remember_damaged(sipc_data *d, const char *path)
{
    struct stat st;
    memset(&d->bad, 0, sizeof d->bad);
    if (stat(path, &st) != 0)
        return;
    d->bad.known = 1;
    d->bad.dev = (unsigned long long)st.st_dev;
    d->bad.ino = (unsigned long long)st.st_ino;
    d->bad.size = (unsigned long long)st.st_size;
    d->bad.mtime = (unsigned long long)st.st_mtim.tv_sec * 1000000000ull + st.st_mtim.tv_nsec;
    d->bad.wall_ms = sipc_rfc3339_now_ms();
}

/* Any thread: path is the very file found damaged, unchanged since (the
 * operator's quick_check or .dump read it, they do not change it; a repair
 * puts another file there or writes this one). */
static int still_damaged(const sipc_data *d, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (!d->bad.known || stat(path, &st) != 0 || (unsigned long long)st.st_dev != d->bad.dev ||
        (unsigned long long)st.st_ino != d->bad.ino ||
        (unsigned long long)st.st_size != d->bad.size ||
        (unsigned long long)st.st_mtim.tv_sec * 1000000000ull + st.st_mtim.tv_nsec !=
            d->bad.mtime)
        return 0;
    char when[32];
    sipc_rfc3339_format(d->bad.wall_ms, 0, when, sizeof when);
    snprintf(err, errlen,
             "%s is still the file found damaged at %s (the same file, unchanged: not opened "
             "again, as its check may stop before the damage): repair it (docs/services.md, "
             "\"A full or damaged database\"; the node holds none of its files open "
             "meanwhile): the data service opens the repaired records.db without a restart",
             path, when);
    return 1;
}

/* Any thread, nothing open on path (or only the writer, read-only): the
 * -wal beside path now, and path, are the ones a replaced file would be
 * checked against (no -wal: nothing to replay, nothing remembered). */
static void remember_wal(sipc_data *d, const char *path, int exact)
{
    char wal[PATH_MAX];
    struct stat st, ws;
    memset(&d->oldwal, 0, sizeof d->oldwal);
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (stat(path, &st) != 0 || lstat(wal, &ws) != 0 || !S_ISREG(ws.st_mode))
        return;
    d->oldwal.known = 1;
    d->oldwal.exact = exact;
    d->oldwal.db_dev = (unsigned long long)st.st_dev;
    d->oldwal.db_ino = (unsigned long long)st.st_ino;
    d->oldwal.dev = (unsigned long long)ws.st_dev;
    d->oldwal.ino = (unsigned long long)ws.st_ino;
    d->oldwal.size = (unsigned long long)ws.st_size;
    d->oldwal.mtime = (unsigned long long)ws.st_mtim.tv_sec * 1000000000ull + ws.st_mtim.tv_nsec;
}

/* Any thread, before path is opened: path is another file than the one
 * remembered, but the -wal beside it is still that file's. SQLite does not
 * check that a -wal belongs to the file it opens: it would replay the old
 * file's frames into this one (a repaired or restored file corrupted, the
 * damaged pages brought back). */
static int stale_wal(const sipc_data *d, const char *path, char *err, size_t errlen)
{
    char wal[PATH_MAX];
    struct stat st, ws;
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (!d->oldwal.known || stat(path, &st) != 0 || lstat(wal, &ws) != 0)
        return 0;
    if ((unsigned long long)st.st_dev == d->oldwal.db_dev &&
        (unsigned long long)st.st_ino == d->oldwal.db_ino)
        return 0; /* the same records.db: its own -wal */
    if ((unsigned long long)ws.st_dev != d->oldwal.dev ||
        (unsigned long long)ws.st_ino != d->oldwal.ino)
        return 0; /* a -wal made since: the new file's */
    if (d->oldwal.exact &&
        ((unsigned long long)ws.st_size != d->oldwal.size ||
         (unsigned long long)ws.st_mtim.tv_sec * 1000000000ull + ws.st_mtim.tv_nsec !=
             d->oldwal.mtime))
        return 0;
    snprintf(err, errlen,
             "records.db was replaced, but records.db-wal beside it is the old file's log: "
             "SQLite would replay it into the new file; remove records.db-wal and "
             "records.db-shm (they belong to the replaced file), and the node opens the new "
             "one by itself");
    return 1;
}

static void open_work(uv_work_t *w)
{
    sipc_data *d = w->data;
    char *real = NULL;
    memset(&d->omark, 0, sizeof d->omark);
    d->owhole = 1;
    d->ometa_err[0] = '\0';
    d->opath = NULL;
    d->ofile = 0;
    /* only the database the node started with, or one the operator put in
     * its place: nothing is made while the node runs. A data/ unmounted for
     * fsck, or a records.db moved aside for its repair, must not turn into
     * a new empty database that takes writes (hidden, then lost, under the
     * real one put back) */
    int create = 0;
    d->orc = existing_db(d, &create, d->oerr, sizeof d->oerr);
    d->ocreate = create;
    d->ofile_cause = d->orc == UV_ENOENT;
    if (d->orc == 0 && create) {
        /* as at start: nothing made while a -wal of another file is there */
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/records.db", d->dir);
        if (leftover_wal(path)) {
            d->orc = UV_EEXIST;
            d->ofile_cause = 1;
            leftover_wal_reason(path, "", d->oerr, sizeof d->oerr);
        }
    }
    if (d->orc == 0)
        d->orc = check_db_dir(d->dir, &real, NULL, d->oerr, sizeof d->oerr);
    if (d->orc == 0) {
        size_t n = strlen(real) + sizeof "/records.db";
        char *path = malloc(n);
        if (!path) {
            d->orc = SIPC_ENOMEM;
            snprintf(d->oerr, sizeof d->oerr, "out of memory");
        } else {
            snprintf(path, n, "%s/records.db", real);
            if (strcmp(path, d->db_path))
                d->opath = path;
            else
                free(path);
        }
    }
    free(real);
    const char *path = d->opath ? d->opath : d->db_path;
    int refused = d->orc == 0 && still_damaged(d, path, d->oerr, sizeof d->oerr);
    int stale = !refused && d->orc == 0 && stale_wal(d, path, d->oerr, sizeof d->oerr);
    if (refused || stale)
        d->ofile_cause = 1;
    if (refused)
        d->orc = DATA_STORE_DAMAGED;
    else if (stale)
        d->orc = UV_EEXIST;
    else if (d->orc == 0)
        d->orc = open_db(path, create ? DATA_STORE_WRITER : DATA_STORE_WRITER_EXISTING,
                         d->o.sync, &d->owriter, &d->omark,
                         &d->owhole, d->ometa_err, sizeof d->ometa_err, d->oerr, sizeof d->oerr);
    if (d->orc == DATA_STORE_DAMAGED && !refused)
        remember_damaged(d, path);
    /* the file that failed now, and its -wal (still the old file's while
     * the guard refuses) */
    if (d->orc != 0 && d->orc != UV_ENOENT && !stale)
        remember_wal(d, path, 1);
    if (d->orc != 0 && d->orc != UV_ENOENT && !refused && !stale) /* existing_db says what to do */
        explain_open_failure(path, d->orc, 1, create, d->oerr, sizeof d->oerr);
    if (d->orc != 0) {
        free(d->opath);
        d->opath = NULL;
    }
    files_sig(d, d->db_path, &d->sig); /* after the attempt: what it changed is no news */
    if (d->orc == 0)
        open_facts_get(d, path, d->owriter, &d->ofacts);
}

static void open_after(uv_work_t *w, int status)
{
    sipc_data *d = w->data;
    (void)status;
    d->opening = 0;
    d->jobs--;
    if (d->orc != 0) {
        /* a repair changes the files, so does removing the -wal */
        set_retry_timed(d, d->orc, d->ofile_cause);
        enter_unopened(d, d->orc, d->oerr);
        data_maybe_finish(d);
        return;
    }
    char since[32];
    sipc_rfc3339_format(d->open_since_wall_ms, 0, since, sizeof since);
    uint64_t attempts = d->open_attempts + 1;
    uv_mutex_lock(&d->mu);
    if (d->opath) {
        /* no connection used the old path: nothing was open (a reader's
         * open reads db_path under mu) */
        free(d->db_path);
        d->db_path = d->opath;
        d->opath = NULL;
    }
    d->readers_off = 0;
    uv_mutex_unlock(&d->mu);
    d->retry_timed = 0;
    /* made now, not at sipc_data_open: the host's finding about the records
     * of the one that was missing (records_mark) depends on it. Only the
     * start's open makes one: an open after the database was gone (another
     * file put in place, the same one back) made nothing, and the finding
     * of the start is not said again about it */
    d->made_new = d->ocreate;
    d->may_create = 0;
    d->writer = d->owriter;
    d->owriter = NULL;
    d->mark = d->omark;
    d->unopened = 0;
    d->open_err[0] = d->open_reason[0] = '\0';
    uv_timer_stop(&d->watch_timer);
    for (int k = 0; k < 2; k++)
        d->health[k].failing = 0;
    sipc_log_printf(d->o.log, d->o.log_arg, SIPC_LOG_INFO, "Data.Storage",
                    "the database is open: the data service is up (it was not open since %s; "
                    "%llu attempts)",
                    since, (unsigned long long)attempts);
    finish_open(d, d->owhole, d->ometa_err, &d->ofacts);
    /* before any request is served from it (a verdict of damage kept by
     * the host refuses writes there) */
    if (d->o.opened_cb)
        d->o.opened_cb(d->o.opened_arg);
    data_maybe_finish(d);
}

/* While not open: the files are looked at every watch_ms; a
 * change that stays for settle_ms starts one open on the thread
 * pool (never the loop: its check can take DATA_CHECK_MS). Nothing is
 * tried while nothing changes. */
static void on_watch_timer(uv_timer_t *t)
{
    sipc_data *d = t->data;
    if (d->closing) {
        uv_timer_stop(t);
        return;
    }
    if (!d->unopened) {
        /* open: whether records.db still names the file open (gone_looked).
         * Not while the writer is read-only (no write goes into it, its
         * close copies nothing into it, and its reopen checks what the name
         * leads to itself), nor while its reopen is wanted or runs */
        if (!d->looking && !d->opening && !d->writer_ro && !d->reopen_wanted &&
            !d->reopen_running)
            start_look(d, 2);
        return;
    }
    uint64_t now = uv_now(d->loop);
    if (now - d->open_said_ms >= HEALTH_REMIND_MS) {
        sipc_log_printf(d->o.log, d->o.log_arg, SIPC_LOG_ERROR, "Data.Storage",
                        "the database is still not open (%llu attempts; every data call is "
                        "refused): %s",
                        (unsigned long long)d->open_attempts, d->open_reason);
        d->open_said_ms = now;
    }
    if (d->opening || d->looking)
        return;
    start_look(d, 0);
}

/* Loop thread, after the watch's look (look_sig): what the files show
 * since the last attempt. */
static void watch_looked(sipc_data *d)
{
    if (!d->unopened || d->closing || d->opening)
        return;
    uint64_t now = uv_now(d->loop);
    const struct data_files_sig cur = d->look_sig;
    if (!memcmp(&cur, &d->sig, sizeof cur)) {
        d->sig_pending = 0;
        if (!d->retry_timed || now - d->open_tried_ms < d->retry_gap_ms)
            return;
        /* a cause no file shows may be gone (a lock released): tried again,
         * less and less often */
        if (d->retry_gap_ms < 16 * (uint64_t)d->o.retry_ms)
            d->retry_gap_ms *= 2;
        d->otimed = 1;
        goto attempt;
    }
    d->otimed = 0;
    if (!d->sig_pending || memcmp(&cur, &d->sig_new, sizeof cur)) {
        d->sig_new = cur;
        d->sig_new_ms = now;
        d->sig_pending = 1;
        return;
    }
    if (now - d->sig_new_ms < d->o.settle_ms)
        return;
attempt:
    d->sig_pending = 0;
    d->opening = 1;
    d->jobs++;
    int r = uv_queue_work(d->loop, &d->owork, open_work, open_after);
    assert(r == 0);
    (void)r;
}

/* The copy made while gone holds every committed record: it was made, and
 * no write was committed after it (one taken while records.db was back, and
 * gone again, is not in it). */
static int rescue_whole(const sipc_data *d)
{
    return d->rescued && d->mark.writes == d->rescue_writes;
}

/* The reason writes get while records.db does not name the open file. */
static void gone_reason(sipc_data *d)
{
    char dir[PATH_MAX], copy[1200] = "";
    snprintf(dir, sizeof dir, "%s", d->db_path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    if (rescue_whole(d))
        snprintf(copy, sizeof copy,
                 "every committed record is copied to %s; to keep them: stop the node, put "
                 "that copy in place (`mv %s records.db`, records.db-wal and -shm removed "
                 "first) and start it",
                 d->rescue_path, strrchr(d->rescue_path, '/') + 1);
    else if (d->rescue_rc != 0)
        snprintf(copy, sizeof copy,
                 "a copy of its records beside it could not be written (%.200s): make room: "
                 "the node tries again (at most %g s apart) and at stop; do not kill -9 it "
                 "(its records are only in the open file)",
                 d->rescue_err, 16 * (double)d->o.retry_ms / 1000.0);
    else
        snprintf(copy, sizeof copy, "a copy of its records is being written beside it");
    /* found damaged too: said after what to do about the gone file (its
     * copy, or the file put back, is what the repair then starts from) */
    char damage[300] = "";
    if (d->damaged)
        snprintf(damage, sizeof damage, ". It was found damaged too: %.250s", d->damaged_err);
    if (d->gone == DATA_GONE_NOID) {
        snprintf(d->writes_err, sizeof d->writes_err,
                 "the node cannot tell whether records.db in %.200s is the file it has open (%.120s, "
                 "at its open): writes are refused (they could go into a file no name leads "
                 "to); restart the node and writes resume; or %.470s%s",
                 dir, d->open_id_err, copy, damage);
        return;
    }
    snprintf(d->writes_err, sizeof d->writes_err,
             d->gone == DATA_GONE_MISSING
                 ? "records.db is gone from %s while the node has it open (removed or moved "
                   "away): writes are refused (they would be lost with it); put it back "
                   "(`mv` it back, or `ln` it back) and writes resume; or %s%s"
                 : "records.db in %s is another file than the one the node has open (put in "
                   "its place while it ran): writes are refused; put the open one back, and "
                   "writes resume; or %s%s",
             dir, copy, damage);
}

/* Thread pool (the look's job), when records.db is first found gone: the idle readers still
 * on the file the name leads to were opened by the name after it was
 * replaced and before the look saw it (the new file under the open one's
 * -wal and -shm): closed, never lent again. Only those on the open file
 * (their name moved from it) serve reads. A reader lent out now goes
 * through data_reader_put. */
static void drop_window_readers(sipc_data *d)
{
    uv_mutex_lock(&d->mu);
    for (unsigned i = 0; i < d->nidle;) {
        data_store *s = d->idle[i];
        if (data_store_has_moved(s) != 0) {
            i++;
            continue;
        }
        d->idle[i] = d->idle[--d->nidle];
        d->nopen--;
        /* its close must neither copy the open file's -wal into the other
         * file nor remove it */
        data_store_keep_log(s);
        data_store_close(s);
    }
    /* for what the loop says of reads (data_storage_unusable) */
    d->gone_kept = d->nidle;
    d->gone_lent = d->nopen - d->nidle;
    uv_cond_broadcast(&d->cv);
    uv_mutex_unlock(&d->mu);
}

/* Loop thread, after the look while open (look_gone): records.db gone,
 * replaced, or back. */
static void gone_looked(sipc_data *d)
{
    if (d->unopened || d->closing)
        return;
    if (d->look_gone == DATA_GONE_UNKNOWN) {
        /* neither gone nor back: the state as last seen is kept (taken for
         * "back", writes would go into a file no name may lead to) */
        uint64_t now = uv_now(d->loop);
        if (!d->look_unknown_said_ms || now - d->look_unknown_said_ms >= 60000) {
            d->look_unknown_said_ms = now;
            sipc_log_printf(d->o.log, d->o.log_arg, SIPC_LOG_WARN, "Data.Storage",
                            "cannot tell whether %s still names the file the node has open "
                            "(%s): taken as %s until a look can tell",
                            d->db_path, strerror(d->look_errno),
                            d->gone ? "still gone (writes refused)" : "still there");
        }
        return;
    }
    if (d->look_gone == d->gone) {
        /* still gone, and its copy failed (a full disk): tried again, less
         * and less often, so that room made while the node runs is used */
        uint64_t now = uv_now(d->loop);
        if (d->gone && !d->rescued && d->rescue_rc != 0 && !d->rescuing &&
            !d->rescue_wanted && now - d->rescue_failed_ms >= d->rescue_gap_ms) {
            d->rescue_wanted = 1;
            data_kick_writer(d);
        }
        return;
    }
    int was = d->gone;
    uv_mutex_lock(&d->mu);
    d->gone = d->look_gone;
    uv_cond_broadcast(&d->cv); /* readers waiting for one of the open connections */
    uv_mutex_unlock(&d->mu);
    if (d->gone) {
        gone_reason(d);
        if (!was) {
            data_storage_unusable(d, UV_ENOENT, d->writes_err);
            /* the writes queued, not yet run, would be committed into the
             * file no name leads to after its copy, answered as written and
             * lost with it: refused now (none of them was committed) */
            data_fail_queued_why(d, d->writes_err);
            /* its records are only in a file no name leads to (a crash frees
             * it): copied beside it now (a copy from an earlier time it was
             * gone misses what was written since it came back) */
            d->rescued = 0;
            d->rescue_rc = 0;
            d->rescue_gap_ms = 0;
            d->rescue_said_rc = 0;
            if (!d->rescue_wanted) {
                d->rescue_wanted = 1;
                data_kick_writer(d);
            }
        } else {
            keep_reason(d->health[DATA_WRITES].last_err,
                        sizeof d->health[DATA_WRITES].last_err, d->writes_err);
        }
        return;
    }
    /* back: the very file open (a link, or moved back) */
    if (d->damaged) {
        /* still damaged: the verdict's reason again, not the gone text */
        memcpy(d->writes_err, d->damaged_err, sizeof d->writes_err);
        d->health[DATA_WRITES].last_rc = DATA_STORE_DAMAGED;
        keep_reason(d->health[DATA_WRITES].last_err, sizeof d->health[DATA_WRITES].last_err,
                    d->writes_err);
    } else if (!d->writer_ro) {
        d->writes_err[0] = '\0';
    }
    sipc_log_printf(d->o.log, d->o.log_arg, SIPC_LOG_INFO, "Data.Storage",
                    "%s names the file the node has open again: writes are taken%s%s%s",
                    d->db_path, d->rescued ? " (the copy " : "",
                    d->rescued ? d->rescue_path : "",
                    d->rescued ? " made meanwhile is not needed: remove it)" : "");
    d->rescued = 0;
    d->rescue_rc = 0;
    /* a test write now, and then on the probe's timer (the failing ends
     * with a success quiet_ms after the last refusal) */
    data_probe_writes(d);
    if (!d->closing && !d->damaged && !d->writer_ro)
        uv_timer_start(&d->probe_timer, on_probe_timer, d->o.probe_ms, d->o.probe_ms);
}

/* Thread pool, as a write job (the writer is this job's): the open file
 * copied to records.db.saved-TIME beside it, a new file (never over one). */
static void rescue_work(uv_work_t *w)
{
    sipc_data *d = w->data;
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    d->rj_err[0] = '\0';
    /* the writer is this job's: no commit runs meanwhile */
    d->rj_writes = d->mark.writes;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", d->db_path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    /* a copy that cannot fit is not started: VACUUM INTO would fill the
     * file system (the node's logs/ and state/ often on it too) before it
     * failed, again at every retry while the operator makes room */
    uint64_t need = 0, avail = avail_bytes(dir);
    d->rj_rc = data_store_copy_size(d->writer, &need, d->rj_err, sizeof d->rj_err);
    if (d->rj_rc != 0)
        return;
    if (avail != UINT64_MAX && avail < need) {
        d->rj_rc = UV_ENOSPC;
        snprintf(d->rj_err, sizeof d->rj_err,
                 "%.300s: no room for it: it needs about %llu bytes, %llu are free", dir,
                 (unsigned long long)need, (unsigned long long)avail);
        return;
    }
    /* written as NAME.incomplete, then renamed: a records.db.saved-* is
     * always a whole copy */
    char tmp[1100];
    int fd = -1;
    for (int i = 0; i < 100 && fd < 0; i++) {
        struct stat st;
        if (i == 0)
            snprintf(d->rj_path, sizeof d->rj_path, "%s.saved-%s", d->db_path, stamp);
        else
            snprintf(d->rj_path, sizeof d->rj_path, "%s.saved-%s-%d", d->db_path, stamp,
                     i);
        if (lstat(d->rj_path, &st) == 0)
            continue;
        snprintf(tmp, sizeof tmp, "%.1000s.incomplete", d->rj_path);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        d->rj_rc = errno ? -errno : UV_EEXIST;
        snprintf(d->rj_err, sizeof d->rj_err, "cannot make %.300s.incomplete: %s",
                 d->rj_path, strerror(errno));
        return;
    }
    close(fd);
    /* the empty file made here: VACUUM INTO writes into it, and refuses
     * one with content (none other is ever written over) */
    d->rj_rc = data_store_copy_to(d->writer, tmp, d->rj_err, sizeof d->rj_err);
    if (d->rj_rc == 0 &&
        renameat2(AT_FDCWD, tmp, AT_FDCWD, d->rj_path, RENAME_NOREPLACE) != 0) {
        d->rj_rc = -errno;
        snprintf(d->rj_err, sizeof d->rj_err, "cannot rename %.300s: %s", tmp,
                 strerror(errno));
    }
    if (d->rj_rc != 0) {
        unlink(tmp); /* this job's own, incomplete */
        return;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
}

/* The copy job's outcome, handed over (loop thread after it, or fin_work
 * once nothing else runs). */
static void rescue_take(sipc_data *d)
{
    d->rescue_rc = d->rj_rc;
    d->rescue_writes = d->rj_writes;
    memcpy(d->rescue_path, d->rj_path, sizeof d->rescue_path);
    memcpy(d->rescue_err, d->rj_err, sizeof d->rescue_err);
}

static void rescue_after(uv_work_t *w, int status)
{
    sipc_data *d = w->data;
    (void)status;
    d->writing = 0;
    d->rescuing = 0;
    d->jobs--;
    rescue_take(d);
    d->rescued = d->rescue_rc == 0 && d->gone;
    int retold = 0;
    if (d->rescue_rc != 0 && d->gone) {
        /* tried again from the look, less and less often */
        uint64_t cap = 16 * (uint64_t)d->o.retry_ms;
        d->rescue_gap_ms = !d->rescue_gap_ms ? d->o.retry_ms
                           : d->rescue_gap_ms * 2 > cap ? cap
                                                        : d->rescue_gap_ms * 2;
        d->rescue_failed_ms = uv_now(d->loop);
        retold = d->rescue_said_rc == d->rescue_rc;
        d->rescue_said_rc = d->rescue_rc;
    }
    if (d->rescue_rc == 0 && !d->gone)
        sipc_log_printf(d->o.log, d->o.log_arg, SIPC_LOG_INFO, "Data.Storage",
                        "%s was written while records.db was gone; it is back, the copy is not "
                        "needed: remove it",
                        d->rescue_path);
    else if (d->rescued)
        sipc_log_printf(d->o.log, d->o.log_arg, SIPC_LOG_WARN, "Data.Storage",
                        "the file the node has open, no longer records.db, is copied to %s "
                        "(every committed record: instance %lld, %lld records created in "
                        "it); a removed file is freed when the node stops",
                        d->rescue_path, (long long)d->mark.instance,
                        (long long)d->mark.created);
    else if (d->gone && !retold) /* the status has every failure */
        sipc_log_printf(d->o.log, d->o.log_arg, SIPC_LOG_ERROR, "Data.Storage",
                        "the file the node has open, no longer records.db, could not be "
                        "copied beside it (%s): its records are only in that open file; make "
                        "room or put records.db back (the copy is tried again, at most %g s "
                        "apart, and at stop)",
                        d->rescue_err, 16 * (double)d->o.retry_ms / 1000.0);
    if (d->gone) {
        gone_reason(d);
        keep_reason(d->health[DATA_WRITES].last_err, sizeof d->health[DATA_WRITES].last_err,
                    d->writes_err);
    }
    data_kick_writer(d);
    data_maybe_finish(d);
}

int data_rescue_start(sipc_data *d)
{
    if (!d->rescue_wanted)
        return 0;
    d->rescue_wanted = 0;
    if (d->closing || d->unopened || !d->gone || !d->writer)
        return 0;
    d->rescuing = 1;
    d->writing = 1;
    d->jobs++;
    int r = uv_queue_work(d->loop, &d->wwork, rescue_work, rescue_after);
    assert(r == 0);
    (void)r;
    return 1;
}

static void gone_looked(sipc_data *d);

/* Thread pool: whether records.db names the file open, by its identity
 * (open_dev, open_ino): 0 it does, DATA_GONE_MISSING, DATA_GONE_OTHER,
 * DATA_GONE_NOID (a file there, the open one's identity unknown), or
 * DATA_GONE_UNKNOWN (it cannot be looked at, *eno says why). */
static int name_look(const sipc_data *d, int *eno)
{
    struct stat st;
    if (stat(d->db_path, &st) != 0) {
        *eno = errno;
        return errno == ENOENT || errno == ENOTDIR ? DATA_GONE_MISSING : DATA_GONE_UNKNOWN;
    }
    if (d->open_no_id)
        return DATA_GONE_NOID;
    return (unsigned long long)st.st_dev != d->open_dev ||
                   (unsigned long long)st.st_ino != d->open_ino
               ? DATA_GONE_OTHER
               : 0;
}

/* Thread pool: a look at the files (the watch's, or the probe's with
 * whether they can be written first, or while open whether records.db
 * still names the file open), off the loop thread. */
static void look_work(uv_work_t *w)
{
    sipc_data *d = w->data;
    if (d->look_probe == 2) {
        d->look_gone = name_look(d, &d->look_errno);
        /* first found gone: SQLite's look at each idle reader (a stat by
         * name) and the closes are file work, done here rather than on the
         * loop (gone is changed only by the loop, after this job) */
        if (d->look_gone > 0) {
            uv_mutex_lock(&d->mu);
            int was = d->gone;
            uv_mutex_unlock(&d->mu);
            if (!was)
                drop_window_readers(d);
        }
        if (d->look_fs_wanted)
            data_fs_facts_get(d->db_path, &d->look_fs_new);
        return;
    }
    if (d->look_probe) {
        d->look_writable = !on_read_only_fs(d->db_path) && access(d->db_path, W_OK) == 0;
        if (!d->look_writable)
            return;
    }
    files_sig(d, d->db_path, &d->look_sig);
}

static void look_after(uv_work_t *w, int status)
{
    sipc_data *d = w->data;
    d->looking = 0;
    d->jobs--;
    if (status == UV_ECANCELED) { /* queued at the close: it never ran */
        data_maybe_finish(d);
        return;
    }
    if (d->look_probe == 2 && d->look_fs_wanted) {
        d->look_fs = d->look_fs_new;
        d->look_fs_ms = d->look_started_ms;
    }
    if (d->look_probe == 2)
        gone_looked(d);
    else if (d->look_probe)
        probe_looked(d);
    else
        watch_looked(d);
    data_maybe_finish(d);
}

/* Loop thread: one look at a time (a hung mount holds one pool thread,
 * not all of them). */
static void start_look(sipc_data *d, int probe)
{
    d->looking = 1;
    d->look_probe = probe;
    /* for the probe: what the file system shows now that writes fail */
    d->look_fs_wanted = probe == 2 && d->health[DATA_WRITES].failing;
    d->look_started_ms = uv_now(d->loop);
    d->jobs++;
    int r = uv_queue_work(d->loop, &d->swork, look_work, look_after);
    assert(r == 0);
    (void)r;
}

/* Thread pool: every connection closed (they share SQLite's mapping of the
 * -shm, which a read-only start opened read-only), then the writer opened
 * again. The readers are opened again on demand. */
static void reopen_work(uv_work_t *w)
{
    sipc_data *d = w->data;
    uv_mutex_lock(&d->mu);
    d->reopening = 1;
    while (d->nidle < d->nopen)
        uv_cond_wait(&d->cv, &d->mu);
    for (unsigned i = 0; i < d->nidle; i++)
        data_store_close(d->idle[i]);
    d->nidle = d->nopen = 0;
    uv_mutex_unlock(&d->mu);
    data_store_close(d->writer);
    d->writer = NULL;
    d->oerr[0] = '\0';
    d->oreplaced = 0;
    d->ofile = 0;
    d->owhole = 1;
    /* another records.db beside the -wal the writer used: not opened (the
     * old file's frames would be replayed into it) */
    int stale = stale_wal(d, d->db_path, d->oerr, sizeof d->oerr);
    /* the file must still be there: one moved aside is not made anew */
    d->orc = stale ? UV_EEXIST
                   : data_store_open(&d->writer, d->db_path, DATA_STORE_WRITER_EXISTING,
                                     d->o.sync, d->oerr, sizeof d->oerr);
    /* another records.db put in place while it was read-only (a restore):
     * a new open, with the start's check, not the old file's identity */
    unsigned long long dev, ino;
    char id_err[160];
    if (d->orc == 0 && data_store_identity(d->writer, &dev, &ino, id_err, sizeof id_err) == 0) {
        d->ofile = ino;
        d->oreplaced = d->mark.file != 0 && ino != d->mark.file;
    }
    /* a file found damaged earlier in this run and put back unchanged is
     * not checked again (the check may stop before the damage) */
    int known_bad = d->orc == 0 && d->oreplaced && still_damaged(d, d->db_path, d->oerr,
                                                                 sizeof d->oerr);
    if (known_bad)
        d->orc = DATA_STORE_DAMAGED;
    else if (d->orc == 0 && d->oreplaced)
        d->orc = data_store_check(d->writer, DATA_CHECK_MS, &d->owhole, d->oerr, sizeof d->oerr);
    /* store_meta's counters are kept by the writer (its statement made
     * here): without it the writes from now on would not be counted, and
     * the next start would take the mark for lost records */
    if (d->orc == 0 && (d->orc = data_store_meta(d->writer, &d->omark, d->ometa_err,
                                                 sizeof d->ometa_err)) != 0) {
        snprintf(d->oerr, sizeof d->oerr, "%s", d->ometa_err);
        data_store_close(d->writer);
        d->writer = NULL;
    }
    if (d->orc != 0 && d->writer) {
        data_store_close(d->writer);
        d->writer = NULL;
    }
    /* after the close, whose checkpoint may change the file's size and
     * time: the identity remembered is the one the next attempt will see */
    if (d->orc == DATA_STORE_DAMAGED && !known_bad)
        remember_damaged(d, d->db_path);
    if (d->orc != 0 && !stale && !known_bad)
        explain_open_failure(d->db_path, d->orc, 1, 0, d->oerr, sizeof d->oerr);
    /* what the files are after this attempt (no news for the next look),
     * here rather than on the loop thread */
    files_sig(d, d->db_path, &d->osig);
    d->oro = on_read_only_fs(d->db_path);
    if (d->orc == 0 && d->oreplaced)
        open_facts_get(d, d->db_path, d->writer, &d->ofacts);
    uv_mutex_lock(&d->mu);
    /* not open now: no reader is opened on a file the writer does not have */
    if (d->orc != 0)
        d->readers_off = 1;
    d->reopening = 0;
    uv_cond_broadcast(&d->cv);
    uv_mutex_unlock(&d->mu);
}

static void reopen_after(uv_work_t *w, int status)
{
    sipc_data *d = w->data;
    (void)status;
    d->writing = 0;
    d->reopen_running = 0;
    d->jobs--;
    if (d->orc != 0) {
        /* no writer now: as a start that could not open it. Every write
         * queued meanwhile is answered (data_kick_writer below); the open
         * is tried again when the files change, and, as the cause may be
         * one no file shows (another process's lock, an I/O error that
         * passed), on a timer too */
        d->sig = d->osig;
        d->retry_timed = 0; /* a new failure: the timer starts from retry_ms */
        set_retry_timed(d, d->orc, 0);
        enter_unopened(d, d->orc, d->oerr);
    } else if (d->oreplaced) {
        sipc_log_printf(d->o.log, d->o.log_arg, SIPC_LOG_INFO, "Data.Storage",
                        "%s is another file than the one opened read-only (put in place "
                        "meanwhile): it is opened as a new database",
                        d->db_path);
        d->mark = d->omark;
        d->made_new = 0; /* a file put in place, not made: see open_after */
        finish_open(d, d->owhole, d->ometa_err, &d->ofacts);
        if (d->o.opened_cb)
            d->o.opened_cb(d->o.opened_arg);
        if (!d->writer_ro && !d->damaged)
            data_probe_writes(d);
    } else if (d->oro || data_store_readonly(d->writer)) {
        d->sig = d->osig; /* tried again only after another change */
    } else {
        d->writer_ro = 0;
        d->writes_err[0] = '\0';
        d->sig = d->osig;
        /* a file without an identity read-only may have been given one */
        if (d->mark.instance == 0 && d->omark.instance != 0) {
            uint64_t file = d->mark.file;
            d->mark = d->omark;
            d->mark.file = file;
        }
        sipc_log_printf(d->o.log, d->o.log_arg, SIPC_LOG_INFO, "Data.Storage",
                        "%s can be written again (the file system or the file): the database "
                        "was opened again for writing",
                        d->db_path);
        /* its success says "writes ... work again" and ends the failing */
        data_probe_writes(d);
    }
    data_kick_writer(d);
    data_maybe_finish(d);
}

int data_reopen_writer(sipc_data *d)
{
    if (!d->reopen_wanted)
        return 0;
    d->reopen_wanted = 0;
    if (d->closing || d->unopened || !d->writer_ro)
        return 0;
    d->reopen_tried = 1;
    d->reopen_running = 1;
    d->writing = 1;
    d->jobs++;
    int r = uv_queue_work(d->loop, &d->wwork, reopen_work, reopen_after);
    assert(r == 0);
    (void)r;
    return 1;
}

/* Any thread: records.db-wal and records.db-shm beside db_path renamed to
 * NAME.TAG-TIME (a new name, never over a file), their new names in out
 * ("" for none there; the reason in it when one cannot be). Returns
 * nonzero when the -wal is there and could not be set aside. */
static int set_aside_at(const char *db_path, const char *tag, char *wal_out, char *shm_out)
{
    static const char *const sfx[2] = {"-wal", "-shm"};
    /* two pointers, not a char[2][1100] parameter: GCC 12 at -O1 with the
     * sanitizers took the rows for one (-Wstringop-overflow) */
    char *out[2] = {wal_out, shm_out};
    int wal_failed = 0;
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    for (int k = 0; k < 2; k++) {
        char from[1000], to[1100];
        struct stat st;
        out[k][0] = '\0';
        snprintf(from, sizeof from, "%s%s", db_path, sfx[k]);
        /* an empty -wal holds no record: kept (SQLite replays nothing) */
        if (lstat(from, &st) != 0 || (k == 0 && st.st_size == 0))
            continue;
        int r = -1;
        for (int i = 0; i < 100 && r != 0; i++) {
            if (i == 0)
                snprintf(to, sizeof to, "%.999s.%.20s-%.20s", from, tag, stamp);
            else
                snprintf(to, sizeof to, "%.999s.%.20s-%.20s-%d", from, tag, stamp, i);
            /* never over a file: a name taken is skipped */
            r = renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
            if (r != 0 && (errno == EINVAL || errno == ENOSYS)) {
                r = link(from, to); /* a file system without it */
                if (r == 0)
                    unlink(from);
            }
            if (r != 0 && errno != EEXIST)
                break;
        }
        if (r != 0) {
            snprintf(out[k], SET_ASIDE_LEN, "%.900s could not be set aside (%.100s)", from,
                     strerror(errno));
            wal_failed |= k == 0;
            continue;
        }
        snprintf(out[k], SET_ASIDE_LEN, "%.1099s", to);
    }
    return wal_failed;
}

/* Any thread: set_aside_at for the open database, into d->set_aside.
 * own: only when that -wal is the one the writer had open (oldwal), as
 * another records.db put in place may have come with its own. */
static void set_aside_logs(sipc_data *d, const char *tag, int own)
{
    d->set_aside[0][0] = d->set_aside[1][0] = '\0';
    if (own) {
        char wal[PATH_MAX];
        struct stat ws;
        snprintf(wal, sizeof wal, "%s-wal", d->db_path);
        if (!d->oldwal.known || lstat(wal, &ws) != 0 ||
            (unsigned long long)ws.st_dev != d->oldwal.dev ||
            (unsigned long long)ws.st_ino != d->oldwal.ino)
            return;
    }
    set_aside_at(d->db_path, tag, d->set_aside[0], d->set_aside[1]);
}

static void fill_defaults(sipc_data_options *o, const sipc_data_options *in)
{
    sipc_data_options def;
    sipc_data_options_init(&def);
    *o = in ? *in : def;
#define DEF_(f) \
    if (o->f == 0) \
        o->f = def.f;
    DEF_(max_body) DEF_(max_id) DEF_(max_attributes) DEF_(max_key) DEF_(max_value)
    DEF_(max_batch) DEF_(max_list) DEF_(default_list) DEF_(max_response) DEF_(max_queue)
    DEF_(readers) DEF_(watch_ms) DEF_(settle_ms) DEF_(retry_ms) DEF_(probe_ms) DEF_(quiet_ms)
#undef DEF_
    if (o->default_list > o->max_list)
        o->default_list = o->max_list;
}

int sipc_data_open(sipc_data **out, uv_loop_t *loop, const char *dir, const sipc_data_options *opts,
                   char *err, size_t errlen)
{
    *out = NULL;
    if (!loop || !dir || !*dir) {
        snprintf(err, errlen, "loop and directory are required");
        return SIPC_EINVAL;
    }
    char *real = NULL;
    db_start start;
    memset(&start, 0, sizeof start);
    int rc = make_dirs(dir, err, errlen);
    if (rc == 0)
        rc = check_db_dir(dir, &real, &start, err, errlen);
    if (rc != 0)
        return rc;
    sipc_data *d = calloc(1, sizeof *d);
    if (!d) {
        free(real);
        snprintf(err, errlen, "out of memory");
        return SIPC_ENOMEM;
    }
    fill_defaults(&d->o, opts);
    d->loop = loop;
    d->qtail = &d->qhead;
    d->wwork.data = d;
    d->fwork.data = d;
    size_t n = strlen(real) + sizeof "/records.db";
    d->db_path = malloc(n);
    d->idle = calloc(d->o.readers, sizeof *d->idle);
    if (!d->db_path || !d->idle) {
        free(real);
        free(d->db_path);
        free(d->idle);
        free(d);
        snprintf(err, errlen, "out of memory");
        return SIPC_ENOMEM;
    }
    snprintf(d->db_path, n, "%s/records.db", real);
    struct stat st;
    if (stat(real, &st) == 0) {
        d->dir_dev = (unsigned long long)st.st_dev;
        d->dir_ino = (unsigned long long)st.st_ino;
    }
    free(real);
    d->owork.data = d;
    d->swork.data = d;
    /* none here: a later attempt may still make it, if this open fails */
    d->may_create = start.tried || (lstat(d->db_path, &st) != 0
                                        ? errno == ENOENT
                                        : S_ISREG(st.st_mode) && st.st_size == 0);
    /* no database, but the logs of one (set aside by check_db_dir, before
     * any file was claimed or made): SQLite would discard that -wal beside
     * a missing or empty records.db, or replay it into a new file put over
     * the name. They are kept under other names, said, and the host tells
     * the records gone (records_mark) */
    memcpy(d->set_aside, start.set_aside, sizeof d->set_aside);
    if (d->may_create) {
        for (int k = 0; k < 2; k++)
            if (d->set_aside[k][0] && !strstr(d->set_aside[k], " could not be set aside ("))
                sipc_log_printf(d->o.log, d->o.log_arg, SIPC_LOG_WARN, "Data.Storage",
                                "%s is missing or empty, but %s-%s was there (its log, "
                                "holding committed records): it is set aside as %s (not "
                                "replayed into the new, empty database made now, not "
                                "removed); useful only with the records.db it belongs to",
                                d->db_path, d->db_path, k ? "shm" : "wal", d->set_aside[k]);
    }
    int whole = 1;
    char meta_err[300] = "";
    if (start.wal_kept) {
        /* nothing made: SQLite would discard that -wal beside a new, empty
         * records.db */
        rc = UV_EEXIST;
        leftover_wal_reason(d->db_path, d->set_aside[0], err, errlen);
    } else {
        rc = open_db(d->db_path, DATA_STORE_WRITER, d->o.sync, &d->writer, &d->mark, &whole,
                     meta_err, sizeof meta_err, err, errlen);
    }
    /* up without it: the node's other services, and the reason in its
     * status, instead of a node the others only see as unreachable */
    int open_rc = rc;
    int later = rc != 0 && d->o.retry_open && open_retriable(rc);
    if (rc != 0 && !start.wal_kept)
        explain_open_failure(d->db_path, rc, later, d->may_create, err, errlen);
    if (rc != 0 && !later)
        goto fail;
    rc = 0;
    if (!(d->dir = strdup(dir))) {
        rc = SIPC_ENOMEM;
        snprintf(err, errlen, "out of memory");
    } else if ((rc = uv_mutex_init(&d->mu)) != 0) {
        snprintf(err, errlen, "cannot create a mutex: %s", uv_strerror(rc));
    } else if ((rc = uv_cond_init(&d->cv)) != 0) {
        uv_mutex_destroy(&d->mu);
        snprintf(err, errlen, "cannot create a condition variable: %s", uv_strerror(rc));
    }
    if (rc != 0)
        goto fail;
    uv_timer_init(loop, &d->probe_timer);
    d->probe_timer.data = d;
    uv_unref((uv_handle_t *)&d->probe_timer); /* never the only reason to run the loop */
    uv_timer_init(loop, &d->watch_timer);
    d->watch_timer.data = d;
    uv_unref((uv_handle_t *)&d->watch_timer);
    if (later) {
        if (open_rc == DATA_STORE_DAMAGED)
            remember_damaged(d, d->db_path);
        remember_wal(d, d->db_path, 1);
        files_sig(d, d->db_path, &d->sig);
        /* a lock, an I/O error, a full disk: gone without a file changing */
        set_retry_timed(d, open_rc, 0);
        enter_unopened(d, open_rc, err);
    } else {
        d->made_new = d->may_create;
        open_facts_get(d, d->db_path, d->writer, &d->ofacts);
        finish_open(d, whole, meta_err, &d->ofacts);
    }
    *out = d;
    if (later)
        err[0] = '\0';
    return 0;
fail:
    data_store_close(d->writer);
    free(d->dir);
    free(d->db_path);
    free(d->idle);
    free(d);
    return rc;
}

int sipc_data_register(sipc_data *d, sipc_router *r)
{
    static const struct {
        const char *method;
        sipc_handler_fn fn;
    } routes[] = {{"put", data_h_put},
                  {"put_batch", data_h_put_batch},
                  {"get", data_h_get},
                  {"delete", data_h_delete},
                  {"list", data_h_list}};
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        int rc = sipc_router_add(r, SIPC_DATA_SERVICE, routes[i].method, routes[i].fn, d);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Thread pool: closing connections checkpoints the WAL, which is I/O. */
static void fin_work(uv_work_t *w)
{
    sipc_data *d = w->data;
    assert(d->nidle == d->nopen);
    /* the stop's own look, the looks' test: the last look's verdict may be
     * stale (records.db removed, replaced or put back since, or that look's
     * verdict dropped as the close began). Found gone but leading to the
     * open file again (put back as the reason asked): a normal stop, its
     * -wal checkpointed into it, not set aside from it. Not found gone but
     * no longer leading there: the gone stop (a copy, the -wal kept),
     * rather than a checkpoint into a file no name leads to whose -wal is
     * then removed. A name that cannot be looked at (EACCES, EIO, ESTALE)
     * is taken as the last look left it, as the looks take it. Not for a
     * writer opened read-only and never found gone: no look watches it,
     * and its close writes nothing */
    if (d->writer && (d->gone || !d->writer_ro)) {
        int eno = 0;
        int seen = name_look(d, &eno);
        if (seen == DATA_GONE_NOID) {
            /* identity unknown: SQLite, whose writer is this job's alone
             * now, compares its own (a failed stat is "moved" to it) */
            int moved = data_store_has_moved(d->writer);
            seen = moved == 0 ? 0 : moved > 0 ? DATA_GONE_NOID : DATA_GONE_UNKNOWN;
        }
        if (seen == 0 && d->gone) {
            d->gone = 0;
            d->stop_back = 1;
        } else if (seen > 0) {
            d->gone = seen;
        }
    }
    /* records.db no longer names the open file: a checkpoint would copy the
     * -wal into it and remove the -wal, its records then only in a file no
     * name leads to. Copied beside it first; without a copy nothing is
     * moved, and the -wal is set aside (never replayed into another
     * records.db, nor lost: with the file moved away, the two are the
     * database) */
    if (d->gone && d->writer && !rescue_whole(d)) {
        rescue_work(&d->wwork);
        rescue_take(d);
        d->rescued = d->rescue_rc == 0;
    }
    /* another file in place: SQLite's close would remove records.db-wal by
     * its name, which may now be that file's own */
    int keep = d->gone && d->writer && (!d->rescued || d->gone != DATA_GONE_MISSING);
    if (keep) {
        for (unsigned i = 0; i < d->nidle; i++)
            data_store_keep_log(d->idle[i]);
        data_store_keep_log(d->writer);
    }
    for (unsigned i = 0; i < d->nidle; i++)
        data_store_close(d->idle[i]);
    d->nidle = d->nopen = 0;
    if (!d->writer)
        return; /* never opened (retry_open): nothing to copy */
    if (keep) {
        /* nothing moved into the file no name leads to; its -wal, kept, is
         * set aside (never replayed into another records.db) */
        data_store_close(d->writer);
        d->writer = NULL;
        set_aside_logs(d, "removed", 1);
        return;
    }
    /* said when it fails: the close's own checkpoint fails silently */
    d->close_rc = data_store_checkpoint(d->writer, SIPC_DATA_CLOSE_CHECKPOINT_MS, d->close_err,
                                        sizeof d->close_err);
    data_store_close(d->writer);
    d->writer = NULL;
}

static void fin_after(uv_work_t *w, int status)
{
    sipc_data *d = w->data;
    (void)status;
    void (*cb)(void *) = d->close_cb;
    void *arg = d->close_arg;
    if (d->close_rc != 0)
        sipc_log_printf(d->o.log, d->o.log_arg, SIPC_LOG_WARN, "Data.Storage",
                        "the log could not be copied into the database at stop (%s): "
                        "records.db-wal holds committed records not yet in records.db: keep it "
                        "with the database (the next start replays it); without it they are "
                        "lost",
                        d->close_err);
    if (d->stop_back)
        sipc_log_printf(d->o.log, d->o.log_arg, SIPC_LOG_INFO, "Data.Storage",
                        "%s names the file the node has open again at stop: a normal stop%s%s%s",
                        d->db_path, d->rescued ? " (the copy " : "",
                        d->rescued ? d->rescue_path : "",
                        d->rescued ? " made meanwhile is not needed: remove it)" : "");
    if (d->gone)
        sipc_log_printf(d->o.log, d->o.log_arg, d->rescued ? SIPC_LOG_WARN : SIPC_LOG_ERROR,
                        "Data.Storage", "stopped with records.db %s: %s%s%s%s%s",
                        d->gone == DATA_GONE_MISSING ? "gone (removed or moved away)"
                        : d->gone == DATA_GONE_OTHER ? "another file than the one open"
                                                     : "perhaps another file than the one open",
                        d->rescued ? "every committed record is in "
                                   : "no copy of the open file could be written (",
                        d->rescued ? d->rescue_path : d->rescue_err,
                        d->rescued ? ": put it in place as records.db before the next start "
                                     "(for a removed records.db; else the start makes a new "
                                     "empty database and says the records lost), "
                                     "records.db-wal and -shm removed first"
                                   : "); nothing was copied into it, its -wal is kept as ",
                        d->rescued ? "" : d->set_aside[0][0] ? d->set_aside[0] : "(none)",
                        d->rescued ? "" : ": with the records.db moved away, put both back "
                                          "(the -wal as records.db-wal) before starting");
    if (cb)
        cb(arg); /* the mark is read there, every queued write in it */
    uv_cond_destroy(&d->cv);
    uv_mutex_destroy(&d->mu);
    free(d->idle);
    free(d->db_path);
    free(d->dir);
    free(d);
}

void data_maybe_finish(sipc_data *d)
{
    if (!d->closing || d->finalizing || d->jobs > 0 || d->writing || d->qhead)
        return;
    d->finalizing = 1;
    int r = uv_queue_work(d->loop, &d->fwork, fin_work, fin_after);
    assert(r == 0);
    (void)r;
}

static void on_probe_timer_closed(uv_handle_t *h)
{
    sipc_data *d = h->data;
    d->jobs--;
    data_maybe_finish(d);
}

void sipc_data_close(sipc_data *d, void (*cb)(void *arg), void *arg)
{
    assert(!d->closing);
    d->closing = 1;
    d->close_cb = cb;
    d->close_arg = arg;
    d->jobs += 2; /* d outlives its timers */
    uv_close((uv_handle_t *)&d->probe_timer, on_probe_timer_closed);
    uv_close((uv_handle_t *)&d->watch_timer, on_probe_timer_closed);
    /* a look still waiting for a pool thread (the pool busy with reads, or
     * with other services' work) would only be waited for: its verdict is
     * dropped at the close (the stop asks SQLite itself whether the name
     * still leads to the open file, fin_work). One that runs cannot be
     * stopped (uv_cancel says UV_EBUSY) and is waited for; so is a copy of
     * a gone records.db, queued or running, which holds its records */
    if (d->looking)
        uv_cancel((uv_req_t *)&d->swork);
}

