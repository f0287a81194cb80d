/* data_service.c - the data service's object: options, open and close
 * (the service's lifecycle), the router entries, the reader pool and the
 * helpers that answer requests. The database's directory is checked in
 * data_dir.c, opened in data_open.c, watched while gone in data_gone.c,
 * its health kept in data_health.c; writes are in data_writes.c, reads
 * and search in data_reads.c, the database in data_store.c.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data_service_impl.h"
#include "data_validate.h"
#include "pb_budget.h"
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
    o->writes_slow_ms = SIPC_DATA_WRITES_SLOW_MS;
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

ProtobufCMessage *data_request_unpack(sipc_data *d, int kind, sipc_request *req,
                                      const ProtobufCMessageDescriptor *desc, size_t *holds)
{
    if (d->closing) {
        sipc_respond_error(req, SIPC_DATA_CLOSING, "data service is shutting down");
        return NULL;
    }
    if (data_refuse_unopened(d, kind, req))
        return NULL;
    size_t len;
    const uint8_t *p = sipc_request_data(req, &len);
    /* what the limits let one request hold, so that only a request they
     * would refuse anyway can reach its decoding budget */
    size_t items = 0;
    if (desc == &sipc__data__put_request__descriptor)
        items = 1 + d->o.max_attributes;
    else if (desc == &sipc__data__put_batch_request__descriptor)
        items = d->o.max_batch * (1 + d->o.max_attributes);
    ProtobufCMessage *m;
    char msg[320];
    size_t decoded = 0;
    int rc = sipc_pb_unpack(desc, p, len, sipc_pb_budget(len, items), &m, &decoded, msg, sizeof msg);
    /* a queued write keeps its payload and its decoded copy until it is
     * answered, and the copy can be many times the payload (records of many
     * short attributes: 17 times): max_queue counts both */
    *holds = len + decoded;
    if (rc == SIPC_ETOOBIG) {
        sipc_respond_error(req, SIPC_DATA_TOO_LARGE, msg);
    } else if (rc != 0) {
        snprintf(msg, sizeof msg, "payload is not a valid %s message", desc->name);
        sipc_respond_error(req, SIPC_DATA_BAD_REQUEST, msg);
    }
    return m;
}

/* ------------------------------------------------------- open and close */

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
    DEF_(writes_slow_ms)
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
    /* a search binds two values per attribute filter, and SQLite takes at
     * most 32766 in one statement (SQLITE_MAX_VARIABLE_NUMBER) */
    if (opts && opts->max_attributes > SIPC_DATA_MAX_ATTRIBUTES) {
        snprintf(err, errlen, "max_attributes of %zu: at most %d", opts->max_attributes,
                 SIPC_DATA_MAX_ATTRIBUTES);
        return SIPC_EINVAL;
    }
    if (opts && opts->writes_slow_ms &&
        (opts->writes_slow_ms < SIPC_DATA_WRITES_SLOW_MIN_MS ||
         opts->writes_slow_ms > SIPC_DATA_WRITES_SLOW_MAX_MS)) {
        snprintf(err, errlen, "writes_slow_ms of %u: from %d to %d (0: the default, %d)",
                 opts->writes_slow_ms, SIPC_DATA_WRITES_SLOW_MIN_MS, SIPC_DATA_WRITES_SLOW_MAX_MS,
                 SIPC_DATA_WRITES_SLOW_MS);
        return SIPC_EINVAL;
    }
    char *real = NULL;
    db_start start;
    memset(&start, 0, sizeof start);
    int rc = data_make_dirs(dir, err, errlen);
    if (rc == 0)
        rc = data_check_db_dir(dir, &real, &start, err, errlen);
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
    d->rwait_tail = &d->rwait;
    d->reads_max = data_reads_max(&d->o);
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
    /* no database, but the logs of one (set aside by data_check_db_dir, before
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
        data_leftover_wal_reason(d->db_path, d->set_aside[0], err, errlen);
    } else {
        rc = data_open_db(d->db_path, DATA_STORE_WRITER, d->o.sync, &d->writer, &d->mark, &whole,
                          meta_err, sizeof meta_err, err, errlen);
    }
    /* up without it: the node's other services, and the reason in its
     * status, instead of a node the others only see as unreachable */
    int open_rc = rc;
    int later = rc != 0 && d->o.retry_open && data_open_retriable(rc);
    if (rc != 0 && !start.wal_kept)
        data_explain_open_failure(d->db_path, rc, later, d->may_create, err, errlen);
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
    data_reads_init(d);
    if (later) {
        if (open_rc == DATA_STORE_DAMAGED)
            data_remember_damaged(d, d->db_path);
        data_remember_wal(d, d->db_path, 1);
        data_files_sig(d, d->db_path, &d->sig);
        /* a lock, an I/O error, a full disk: gone without a file changing */
        data_set_retry_timed(d, open_rc, 0);
        data_enter_unopened(d, open_rc, err);
    } else {
        d->made_new = d->may_create;
        data_open_facts_get(d, d->db_path, d->writer, &d->ofacts);
        data_finish_open(d, whole, meta_err, &d->ofacts);
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

void sipc_data_options_get(const sipc_data *d, sipc_data_options *out)
{
    *out = d->o;
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
        int seen = data_name_look(d, &eno);
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
    if (d->gone && d->writer && !data_rescue_whole(d)) {
        data_rescue_work(&d->wwork);
        data_rescue_take(d);
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
        data_set_aside_logs(d, "removed", 1);
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
    data_reads_close(d);
    /* a look still waiting for a pool thread (the pool busy with reads, or
     * with other services' work) would only be waited for: its verdict is
     * dropped at the close (the stop asks SQLite itself whether the name
     * still leads to the open file, fin_work). One that runs cannot be
     * stopped (uv_cancel says UV_EBUSY) and is waited for; so is a copy of
     * a gone records.db, queued or running, which holds its records */
    if (d->looking)
        uv_cancel((uv_req_t *)&d->swork);
}
