/* data_open.c - opening the database: the writer opened and the file
 * checked, what an open that fails says and when it is tried again (the
 * service stays up, unopened), the files' signature that tells when, the
 * damage and stale -wal remembered across attempts, and the open job. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "data_service_impl.h"
#include "rfc3339.h"

/* a timed attempt to open that fails as the last one said is said again
 * after this long at most (the reminder every HEALTH_REMIND_MS goes on) */
#define DATA_RETRY_SAY_MS 600000

/* A read-only mount, or one the kernel stopped writing after an error
 * (ext4's emergency read-only state may not be in statvfs: the kernel's
 * write check says EROFS). access(2), not an open: closing a descriptor of
 * records.db would drop every POSIX lock this process holds on it, and
 * SQLite's WAL locks with them (another process could then checkpoint and
 * delete the -wal the writer still commits into). */
int data_on_read_only_fs(const char *path)
{
    struct statvfs v;
    if (statvfs(path, &v) == 0 && (v.f_flag & ST_RDONLY))
        return 1;
    return access(path, W_OK) != 0 && errno == EROFS;
}

/* What to do about a file system data_on_read_only_fs found read-only: a
 * read-only mount is remounted; the kernel's emergency state needs fsck
 * on the unmounted file system, so the node stopped first. */
const char *data_read_only_hint(const char *path)
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
void data_explain_open_failure(const char *path, int rc, int retry, int fresh, char *err,
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
    else if (data_on_read_only_fs(path) && !strcmp(data_read_only_hint(path), DATA_EMERGENCY_RO_HINT))
        snprintf(err + n, errlen - n, ": it is on a %s", DATA_EMERGENCY_RO_HINT);
    else if (data_on_read_only_fs(path))
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
int data_open_retriable(int rc)
{
    return rc != SIPC_ECONFIG && rc != SIPC_ENOMEM && rc != SIPC_EINVAL;
}

/* Any thread: the writer opened and the file checked, or a negative code
 * with the reason in err (nothing left open). meta_err: why the file could
 * not be given an identity, if so. */
int data_open_db(const char *path, data_store_role role, sipc_data_sync sync,
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
 * data_on_read_only_fs): what tells that the database's files changed since
 * an attempt to open them: records.db, its -wal and its directory (their
 * identity, size, times, mode, owner) and whether the file system is
 * read-only. */
void data_files_sig(const sipc_data *d, const char *db_path, struct data_files_sig *sig)
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
        snprintf(side, sizeof side, "%.*s/%s", PATH_MAX - 1, dir, data_db_files[i]);
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
 * (access(2), no descriptor: see data_on_read_only_fs), the first time it looks
 * so, then only once something changed since the last try (else an open
 * that gives a read-only connection again would be tried every time). */
void data_probe_looked(sipc_data *d)
{
    if (d->closing || d->unopened || !d->writer_ro || d->damaged || d->reopen_wanted ||
        d->reopen_running || !d->look_writable)
        return;
    if (d->reopen_tried && !memcmp(&d->look_sig, &d->sig, sizeof d->sig))
        return;
    d->reopen_wanted = 1;
    data_kick_writer(d);
}

/* Any thread, nothing else running on the files (the job that put the
 * writer in place, or sipc_data_open): what data_finish_open needs of the files
 * of the writer just opened on db_path. */
void data_open_facts_get(sipc_data *d, const char *db_path, data_store *writer,
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
    data_remember_wal(d, db_path, 0);
    data_files_sig(d, db_path, &f->sig);
}

/* Loop thread: a writer is in place (at sipc_data_open, or after a later
 * open): what it can do, said, from what its job saw of the files (f,
 * data_open_facts_get). */
void data_finish_open(sipc_data *d, int whole, const char *meta_err,
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
                 data_fs_hint(&f->fs));
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
            uv_timer_start(&d->probe_timer, data_on_probe_timer, d->o.probe_ms, d->o.probe_ms);
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
        uv_timer_start(&d->watch_timer, data_on_watch_timer, d->o.watch_ms, d->o.watch_ms);
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
        data_keep_reason(h->last_err, sizeof h->last_err, d->open_err);
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

/* Loop thread, after an open failed with rc: whether the next attempts
 * come on a timer too, not only on a change of the files. A damaged file,
 * and what the files show (file_cause), need the operator's change; any
 * other cause may pass without one (a lock released, room made). */
void data_set_retry_timed(sipc_data *d, int rc, int file_cause)
{
    int timed = !file_cause && rc != DATA_STORE_DAMAGED && rc != UV_EEXIST;
    if (timed && !d->retry_timed)
        d->retry_gap_ms = d->o.retry_ms;
    d->retry_timed = timed;
}

/* Loop thread: an open failed (at start, or a later attempt, or the
 * writer's reopen): the service is up but not open. */
void data_enter_unopened(sipc_data *d, int rc, const char *err)
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
    data_keep_reason(d->open_reason, sizeof d->open_reason, err);
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
        uv_timer_start(&d->watch_timer, data_on_watch_timer, d->o.watch_ms, d->o.watch_ms);
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
void data_remember_damaged(sipc_data *d, const char *path)
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
int data_still_damaged(const sipc_data *d, const char *path, char *err, size_t errlen)
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
void data_remember_wal(sipc_data *d, const char *path, int exact)
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
int data_stale_wal(const sipc_data *d, const char *path, char *err, size_t errlen)
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

void data_open_work(uv_work_t *w)
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
    /* existing_db's refusal says what to do; a later UV_ENOENT is SQLite's
     * own (a -shm it cannot make on a read-only file system), explained as
     * any other failure of the open */
    int said = d->orc == UV_ENOENT;
    d->ofile_cause = said;
    if (d->orc == 0 && create) {
        /* as at start: nothing made while a -wal of another file is there */
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/records.db", d->dir);
        if (data_leftover_wal(path)) {
            d->orc = UV_EEXIST;
            d->ofile_cause = 1;
            data_leftover_wal_reason(path, "", d->oerr, sizeof d->oerr);
        }
    }
    if (d->orc == 0)
        d->orc = data_check_db_dir(d->dir, &real, NULL, d->oerr, sizeof d->oerr);
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
    int refused = d->orc == 0 && data_still_damaged(d, path, d->oerr, sizeof d->oerr);
    int stale = !refused && d->orc == 0 && data_stale_wal(d, path, d->oerr, sizeof d->oerr);
    if (refused || stale)
        d->ofile_cause = 1;
    if (refused)
        d->orc = DATA_STORE_DAMAGED;
    else if (stale)
        d->orc = UV_EEXIST;
    else if (d->orc == 0)
        d->orc = data_open_db(path, create ? DATA_STORE_WRITER : DATA_STORE_WRITER_EXISTING,
                              d->o.sync, &d->owriter, &d->omark,
                              &d->owhole, d->ometa_err, sizeof d->ometa_err, d->oerr, sizeof d->oerr);
    if (d->orc == DATA_STORE_DAMAGED && !refused)
        data_remember_damaged(d, path);
    /* the file that failed now, and its -wal (still the old file's while
     * the guard refuses) */
    if (d->orc != 0 && !said && !stale)
        data_remember_wal(d, path, 1);
    if (d->orc != 0 && !said && !refused && !stale)
        data_explain_open_failure(path, d->orc, 1, create, d->oerr, sizeof d->oerr);
    if (d->orc != 0) {
        free(d->opath);
        d->opath = NULL;
    }
    data_files_sig(d, d->db_path, &d->sig); /* after the attempt: what it changed is no news */
    if (d->orc == 0)
        data_open_facts_get(d, path, d->owriter, &d->ofacts);
}

void data_open_after(uv_work_t *w, int status)
{
    sipc_data *d = w->data;
    (void)status;
    d->opening = 0;
    d->jobs--;
    if (d->orc != 0) {
        /* a repair changes the files, so does removing the -wal */
        data_set_retry_timed(d, d->orc, d->ofile_cause);
        data_enter_unopened(d, d->orc, d->oerr);
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
    data_finish_open(d, d->owhole, d->ometa_err, &d->ofacts);
    /* before any request is served from it (a verdict of damage kept by
     * the host refuses writes there) */
    if (d->o.opened_cb)
        d->o.opened_cb(d->o.opened_arg);
    data_maybe_finish(d);
}
