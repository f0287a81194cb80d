/* data_health.c - the data service's storage health: what a failed or
 * successful request says about writes and reads (the failing state, its
 * log lines and the status), the file system's facts behind it, the
 * damage verdict, the test write that tells when failing writes work
 * again (the probe), and how long the writes not yet answered have waited. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "data_service_impl.h"
#include "data_validate.h"
#include "rfc3339.h"

/* room that counts as made: a full disk's free space, or a file's room
 * under the file size limit, grown by this much */
#define PROBE_ROOM (256u * 1024)

/* The status is JSON: a reason that is not UTF-8 (a path's bytes, or one
 * cut in the middle of a character) keeps its ASCII only. */
void data_keep_reason(char *dst, size_t len, const char *err)
{
    snprintf(dst, len, "%s", err);
    if (!data_utf8_valid((const uint8_t *)dst, strlen(dst)))
        for (char *p = dst; *p; p++)
            if ((unsigned char)*p >= 0x80)
                *p = '?';
}

/* Bytes the database's file system has free for it, or UINT64_MAX when
 * that cannot be told. */
uint64_t data_avail_bytes(const char *db_path)
{
    struct statvfs v;
    if (statvfs(db_path, &v) != 0)
        return UINT64_MAX;
    return (uint64_t)v.f_bavail * v.f_frsize;
}

/* The bytes records.db and its -wal (room[0], room[1]) can still grow
 * under the process's file size limit; UINT64_MAX without one. A file
 * not there has the whole limit. */
static void fsize_room(const char *db_path, uint64_t room[2])
{
    struct rlimit rl;
    int limited = getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY;
    char wal[PATH_MAX];
    snprintf(wal, sizeof wal, "%s-wal", db_path);
    const char *files[] = {db_path, wal};
    for (int i = 0; i < 2; i++) {
        struct stat st;
        uint64_t size = stat(files[i], &st) == 0 ? (uint64_t)st.st_size : 0;
        room[i] = !limited ? UINT64_MAX : size < rl.rlim_cur ? rl.rlim_cur - size : 0;
    }
}

/* Whether a file's room under the file size limit grew by PROBE_ROOM since
 * writes failed at it: a file that shrank (the -wal truncated by a
 * checkpoint), or the limit raised or gone. The room alone says nothing:
 * batches written together fail when SQLite's temporary journal of their
 * savepoints reaches the limit, which leaves records.db and its -wal as
 * far below it as they were; a test write fits there where the next such
 * batches do not. */
static int fsize_room_made(const data_fs_facts *f, const data_health *h)
{
    for (int i = 0; i < 2; i++) {
        uint64_t now = f->fsize_room[i], then = h->room_at_fail[i];
        if (now == UINT64_MAX || (then != UINT64_MAX && now > then && now - then >= PROBE_ROOM))
            return 1;
    }
    return 0;
}


void data_fs_facts_get(const char *db_path, data_fs_facts *f)
{
    f->ro = data_on_read_only_fs(db_path);
    f->emergency = f->ro && !strcmp(data_read_only_hint(db_path), DATA_EMERGENCY_RO_HINT);
    f->avail = data_avail_bytes(db_path);
    fsize_room(db_path, f->fsize_room);
}

/* What to do about a file system the facts say is read-only. */
const char *data_fs_hint(const data_fs_facts *f)
{
    return f->emergency ? DATA_EMERGENCY_RO_HINT : DATA_READONLY_FS_HINT;
}

/* A small write can succeed where the requests failed: into space the WAL
 * file already holds, or on its own page of a damaged file. So a probe is
 * made only once the cause of the latest failure is seen gone: room made
 * on a full disk, room made under the file size limit; a damaged file or
 * an I/O error only a request can clear (and the operator's repair). What
 * is seen is the latest look's (on the thread pool), one started after
 * that failure: none yet, no probe yet. uv_now is the loop's time, in
 * milliseconds, taken once per turn: a look started in the failure's
 * millisecond may have been started before it and looked at the files
 * before the failed write, so only a later one counts. */
static int worth_probing(const sipc_data *d, const data_health *h)
{
    const data_fs_facts *f = &d->look_fs;
    int seen = d->look_fs_ms != 0 && d->look_fs_ms > h->last_ms;
    switch (h->last_rc) {
    case UV_ENOSPC: {
        if (!seen)
            return 0;
        if (f->avail == UINT64_MAX || h->avail_at_fail == UINT64_MAX)
            return 1; /* cannot be told: let a write tell */
        return f->avail >= h->avail_at_fail + PROBE_ROOM;
    }
    case UV_EFBIG:
        return seen && fsize_room_made(f, h);
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
void data_on_probe_timer(uv_timer_t *t)
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
            data_start_look(d, 1);
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
    data_keep_reason(h->last_err, sizeof h->last_err, why);
}

/* Damage found while records.db is gone: what to do about the gone file
 * (put it back, or its copy) still holds, so writes keep that reason, with
 * the damage added (data_gone_reason); damaged_err keeps the verdict alone, put
 * back when the name leads to the open file again. */
static void damaged_while_gone(sipc_data *d)
{
    if (d->gone)
        data_gone_reason(d);
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
    data_keep_reason(d->writes_err, sizeof d->writes_err, why);
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
        snprintf(ro, sizeof ro, "%s: %s", err, data_fs_hint(fs));
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
                uv_timer_start(&d->probe_timer, data_on_probe_timer, d->o.probe_ms, d->o.probe_ms);
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
        /* not known: any room of PROBE_ROOM lets a write tell */
        if (rc == UV_EFBIG)
            for (int i = 0; i < 2; i++)
                h->room_at_fail[i] = fs ? fs->fsize_room[i] : 0;
        data_keep_reason(h->last_err, sizeof h->last_err, err);
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

void sipc_data_waiting_get(const sipc_data *d, sipc_data_waiting *out)
{
    memset(out, 0, sizeof *out);
    out->slow_after_ms = d->o.writes_slow_ms;
    out->requests = d->wcount + d->qcount;
    out->bytes = (uint64_t)d->wbytes + d->qbytes;
    if (!out->requests)
        return;
    /* the running job's writes all came before the queued ones */
    uint64_t since = d->wcount ? d->wsince_ms : d->qsince_ms;
    uint64_t now = uv_now(d->loop);
    out->oldest_ms = now > since ? now - since : 0;
    out->slow = out->oldest_ms >= out->slow_after_ms;
}

int sipc_data_set_writes_slow_ms(sipc_data *d, unsigned ms)
{
    if (ms < SIPC_DATA_WRITES_SLOW_MIN_MS || ms > SIPC_DATA_WRITES_SLOW_MAX_MS)
        return SIPC_EINVAL;
    d->o.writes_slow_ms = ms;
    return 0;
}
