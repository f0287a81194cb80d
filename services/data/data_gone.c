/* data_gone.c - the looks at the database's files on the thread pool:
 * while unopened (the watch, which starts an open) and while open
 * (records.db removed or replaced: the reason writes get, the rescue copy
 * of the open file, and reopening the writer when the name leads to a
 * file again). */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data_service_impl.h"

/* While not open: the files are looked at every watch_ms; a
 * change that stays for settle_ms starts one open on the thread
 * pool (never the loop: its check can take DATA_CHECK_MS). Nothing is
 * tried while nothing changes. */
void data_on_watch_timer(uv_timer_t *t)
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
            data_start_look(d, 2);
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
    data_start_look(d, 0);
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
    int r = uv_queue_work(d->loop, &d->owork, data_open_work, data_open_after);
    assert(r == 0);
    (void)r;
}

/* The copy made while gone holds every committed record: it was made, and
 * no write was committed after it (one taken while records.db was back, and
 * gone again, is not in it). */
int data_rescue_whole(const sipc_data *d)
{
    return d->rescued && d->mark.writes == d->rescue_writes;
}

/* The reason writes get while records.db does not name the open file. */
void data_gone_reason(sipc_data *d)
{
    char dir[PATH_MAX], copy[1200] = "";
    snprintf(dir, sizeof dir, "%s", d->db_path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    if (data_rescue_whole(d))
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
        data_gone_reason(d);
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
            data_keep_reason(d->health[DATA_WRITES].last_err,
                             sizeof d->health[DATA_WRITES].last_err, d->writes_err);
        }
        return;
    }
    /* back: the very file open (a link, or moved back) */
    if (d->damaged) {
        /* still damaged: the verdict's reason again, not the gone text */
        memcpy(d->writes_err, d->damaged_err, sizeof d->writes_err);
        d->health[DATA_WRITES].last_rc = DATA_STORE_DAMAGED;
        data_keep_reason(d->health[DATA_WRITES].last_err, sizeof d->health[DATA_WRITES].last_err,
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
        uv_timer_start(&d->probe_timer, data_on_probe_timer, d->o.probe_ms, d->o.probe_ms);
}

/* Thread pool, as a write job (the writer is this job's): the open file
 * copied to records.db.saved-TIME beside it, a new file (never over one). */
void data_rescue_work(uv_work_t *w)
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
    uint64_t need = 0, avail = data_avail_bytes(dir);
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
void data_rescue_take(sipc_data *d)
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
    data_rescue_take(d);
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
        data_gone_reason(d);
        data_keep_reason(d->health[DATA_WRITES].last_err, sizeof d->health[DATA_WRITES].last_err,
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
    int r = uv_queue_work(d->loop, &d->wwork, data_rescue_work, rescue_after);
    assert(r == 0);
    (void)r;
    return 1;
}

static void gone_looked(sipc_data *d);

/* Thread pool: whether records.db names the file open, by its identity
 * (open_dev, open_ino): 0 it does, DATA_GONE_MISSING, DATA_GONE_OTHER,
 * DATA_GONE_NOID (a file there, the open one's identity unknown), or
 * DATA_GONE_UNKNOWN (it cannot be looked at, *eno says why). */
int data_name_look(const sipc_data *d, int *eno)
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
        d->look_gone = data_name_look(d, &d->look_errno);
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
        d->look_writable = !data_on_read_only_fs(d->db_path) && access(d->db_path, W_OK) == 0;
        if (!d->look_writable)
            return;
    }
    data_files_sig(d, d->db_path, &d->look_sig);
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
        data_probe_looked(d);
    else
        watch_looked(d);
    data_maybe_finish(d);
}

/* Loop thread: one look at a time (a hung mount holds one pool thread,
 * not all of them). */
void data_start_look(sipc_data *d, int probe)
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
    int stale = data_stale_wal(d, d->db_path, d->oerr, sizeof d->oerr);
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
    int known_bad = d->orc == 0 && d->oreplaced && data_still_damaged(d, d->db_path, d->oerr,
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
        data_remember_damaged(d, d->db_path);
    if (d->orc != 0 && !stale && !known_bad)
        data_explain_open_failure(d->db_path, d->orc, 1, 0, d->oerr, sizeof d->oerr);
    /* what the files are after this attempt (no news for the next look),
     * here rather than on the loop thread */
    data_files_sig(d, d->db_path, &d->osig);
    d->oro = data_on_read_only_fs(d->db_path);
    if (d->orc == 0 && d->oreplaced)
        data_open_facts_get(d, d->db_path, d->writer, &d->ofacts);
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
        data_set_retry_timed(d, d->orc, 0);
        data_enter_unopened(d, d->orc, d->oerr);
    } else if (d->oreplaced) {
        sipc_log_printf(d->o.log, d->o.log_arg, SIPC_LOG_INFO, "Data.Storage",
                        "%s is another file than the one opened read-only (put in place "
                        "meanwhile): it is opened as a new database",
                        d->db_path);
        d->mark = d->omark;
        d->made_new = 0; /* a file put in place, not made: see data_open_after */
        data_finish_open(d, d->owhole, d->ometa_err, &d->ofacts);
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
