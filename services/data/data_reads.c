/* data_reads.c - get, list and sipc_data_search: checked on the loop
 * thread, run as read jobs on the thread pool with a borrowed read
 * connection, answered (or called back) on the loop thread.
 *
 * libuv's pool is shared by every job of the process and runs them in the
 * order they came: reads queued ahead of the one write job would hold every
 * write of the node (and so the pipeline's records) until they end. So at
 * most reads_max read jobs are on the pool at once, one fewer than its
 * threads, and the others wait here; and a search stops at its deadline or
 * when its answer is no longer wanted, inside SQLite, instead of running to
 * its end, or, while it waits here, is called back then without a slot. */
#include <assert.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data_service_impl.h"
#include "rfc3339.h"
#include "data_validate.h"

typedef enum { R_GET, R_LIST, R_SEARCH } rjob_kind;

/* One read job: get, list (for a request) or search (for a callback). */
typedef struct rjob {
    uv_work_t work;
    sipc_data *d;
    struct rjob *next;            /* in d->rwait */
    struct rjob *snext, **sprev;  /* in d->searches */
    uint64_t deadline_ns;         /* search: uv_hrtime() it stops at; 0 none */
    int waiting;                  /* in d->rwait: not on the pool yet */
    uint32_t timeout_ms;          /* what that deadline was, for the reason */
    atomic_int cancel;            /* search: sipc_data_search_cancel (loop thread) */
    int stopped;                  /* search: SIPC_ETIMEDOUT or SIPC_ECANCELED (its thread) */
    rjob_kind kind;
    sipc_request *req;
    ProtobufCMessage *msg;
    data_list_params lp;
    sipc_data_query q; /* search: strings in qbuf */
    char *qbuf;
    sipc_data_attr *qattrs;
    sipc_data_search_cb cb;
    void *cb_arg;
    data_hits hits;
    /* outcome */
    int rc;     /* 0 or a negative code */
    int status; /* application status when answering a request with an error */
    char err[256];
    uint8_t *out;
    size_t outlen;
} rjob;

/* Packs m into job->out for the completion to send. */
static void job_pack(rjob *j, const ProtobufCMessage *m)
{
    j->outlen = protobuf_c_message_get_packed_size(m);
    j->out = malloc(j->outlen ? j->outlen : 1);
    if (!j->out) {
        j->rc = SIPC_ENOMEM;
        j->status = SIPC_DATA_STORAGE;
        snprintf(j->err, sizeof j->err, "out of memory");
        return;
    }
    protobuf_c_message_pack(m, j->out);
}

/* --------------------------------------------------------------- reads */

static void read_work(uv_work_t *w);
static void read_after(uv_work_t *w, int status);

unsigned data_reads_max(const sipc_data_options *o)
{
    /* the pool's size as libuv takes it at the pool's start: 4, or
     * UV_THREADPOOL_SIZE (0 is 1, at most 1024) */
    unsigned threads = 4;
    const char *v = getenv("UV_THREADPOOL_SIZE");
    if (v) {
        long n = strtol(v, NULL, 10);
        threads = n == 0 ? 1 : n < 0 || n > 1024 ? 1024 : (unsigned)n;
    }
    /* with one thread, reads and the writer take turns */
    unsigned m = threads > 1 ? threads - 1 : 1;
    return m < o->readers ? m : o->readers;
}

static void run_read(sipc_data *d, rjob *j)
{
    d->reads++;
    j->waiting = 0;
    int r = uv_queue_work(d->loop, &j->work, read_work, read_after);
    assert(r == 0);
    (void)r;
}

static void rwait_sweep(uv_timer_t *t);

/* Loop thread: the sweep of rwait runs at due_ns (uv_hrtime(); 0: on the
 * loop's next turn), unless it runs sooner already. */
static void rwait_arm(sipc_data *d, uint64_t due_ns)
{
    uv_timer_t *t = &d->rwait_timer;
    if (uv_is_closing((uv_handle_t *)t))
        return;
    if (uv_is_active((uv_handle_t *)t) && d->rwait_due_ns <= due_ns)
        return;
    uint64_t now = uv_hrtime();
    uint64_t ms = due_ns > now ? (due_ns - now + 999999) / 1000000 : 0;
    d->rwait_due_ns = due_ns;
    uv_timer_start(t, rwait_sweep, ms, 0);
}

static void start_read(sipc_data *d, rjob *j)
{
    j->d = d;
    j->work.data = j;
    d->jobs++;
    if (d->reads < d->reads_max) {
        run_read(d, j);
        return;
    }
    j->next = NULL;
    j->waiting = 1;
    *d->rwait_tail = j;
    d->rwait_tail = &j->next;
    /* its deadline is kept while it waits, not only once a slot frees */
    if (j->deadline_ns)
        rwait_arm(d, j->deadline_ns);
}

/* Thread pool (SQLite's progress handler): whether the search must end. */
static int search_stop(void *arg)
{
    rjob *j = arg;
    if (atomic_load_explicit(&j->cancel, memory_order_relaxed))
        j->stopped = SIPC_ECANCELED;
    else if (j->deadline_ns && uv_hrtime() >= j->deadline_ns)
        j->stopped = SIPC_ETIMEDOUT;
    return j->stopped != 0;
}

static void run_search(data_store *s, rjob *j)
{
    /* stopped before it began: its time went waiting for a read slot */
    int waited = search_stop(j);
    if (!waited) {
        data_store_set_stop(s, search_stop, j);
        j->rc = data_store_search(s, &j->q, &j->hits, j->err, sizeof j->err);
        data_store_set_stop(s, NULL, NULL);
    }
    /* stopped: whatever step SQLite was in failed for that (the attribute
     * reads of a hit as much as the search itself), not for the store */
    if (j->stopped) {
        data_hits_free(&j->hits);
        j->rc = j->stopped;
        if (j->rc == SIPC_ETIMEDOUT)
            snprintf(j->err, sizeof j->err, "search stopped at its deadline (%u ms)%s",
                     (unsigned)j->timeout_ms, waited ? " " SIPC_DATA_SEARCH_WAITED : "");
        else
            snprintf(j->err, sizeof j->err, "search cancelled");
    }
}

static void read_get(data_store *s, rjob *j)
{
    const Sipc__Data__GetRequest *m = (const Sipc__Data__GetRequest *)j->msg;
    Sipc__Data__Record *rec = NULL;
    j->rc = data_store_get(s, &m->id, &rec, j->err, sizeof j->err);
    if (j->rc != 0) {
        j->status = data_status_of(j->rc);
        return;
    }
    if (!rec) {
        j->status = SIPC_DATA_NOT_FOUND;
        snprintf(j->err, sizeof j->err, "no record with id '%.*s'", (int)m->id.len,
                 (const char *)m->id.data);
        return;
    }
    Sipc__Data__GetResponse resp = SIPC__DATA__GET_RESPONSE__INIT;
    resp.record = rec;
    job_pack(j, &resp.base);
    data_store_record_free(rec);
}

static void read_list(data_store *s, rjob *j)
{
    Sipc__Data__ListResponse resp;
    j->rc = data_store_list(s, &j->lp, &resp, j->err, sizeof j->err);
    if (j->rc != 0) {
        j->status = data_status_of(j->rc);
        return;
    }
    job_pack(j, &resp.base);
    data_store_list_free(&resp);
}

/* Thread pool: borrow a read connection, run the query, pack the answer. */
static void read_work(uv_work_t *w)
{
    rjob *j = w->data;
    sipc_data *d = j->d;
    if (j->kind == R_SEARCH && search_stop(j)) {
        run_search(NULL, j); /* ended before it began: no connection needed */
        return;
    }
    data_store *s = data_reader_get(d, &j->rc, j->err, sizeof j->err);
    if (!s) {
        j->status = SIPC_DATA_STORAGE;
        return;
    }
    switch (j->kind) {
    case R_GET:
        read_get(s, j);
        break;
    case R_LIST:
        read_list(s, j);
        break;
    case R_SEARCH:
        run_search(s, j);
        break;
    }
    data_reader_put(d, s);
}

/* Loop thread: answers (or calls back) a job that ended, and frees it. */
static void job_done(sipc_data *d, rjob *j)
{
    if (j->kind == R_SEARCH) {
        *j->sprev = j->snext;
        if (j->snext)
            j->snext->sprev = j->sprev;
        j->cb(j->rc, j->rc ? j->err : "", j->hits.hits, j->hits.n, j->hits.more, j->cb_arg);
        data_hits_free(&j->hits);
    } else if (j->status) {
        sipc_respond_error(j->req, j->status, j->err);
    } else {
        sipc_respond(j->req, j->out, j->outlen);
    }
    if (j->msg)
        protobuf_c_message_free_unpacked(j->msg, NULL);
    free(j->out);
    free(j->qbuf);
    free(j->qattrs);
    free(j);
    d->jobs--;
}

static void read_after(uv_work_t *w, int status)
{
    rjob *j = w->data;
    sipc_data *d = j->d;
    assert(status == 0);
    (void)status;
    d->reads--;
    /* a search stopped by its caller or its deadline says nothing of the
     * database */
    if (!j->stopped)
        data_storage_outcome(d, DATA_READS, j->rc, j->err, 0, NULL);
    job_done(d, j);
    rjob *next = d->rwait;
    if (next && d->reads < d->reads_max) {
        d->rwait = next->next;
        if (!d->rwait)
            d->rwait_tail = &d->rwait;
        run_read(d, next);
    }
    data_maybe_finish(d);
}

/* The rwait timer: the searches cancelled, or past their deadline, while
 * they wait for a read slot are called back now, not once the slow reads
 * ahead of them end (which can be those reads' own deadlines): a caller's
 * query, with what it holds, is freed when it stops wanting the search. */
static void rwait_sweep(uv_timer_t *t)
{
    sipc_data *d = t->data;
    rjob *ended = NULL, **end_tail = &ended;
    uint64_t next_due = 0;
    d->rwait_tail = &d->rwait;
    for (rjob *j = d->rwait, *after; j; j = after) {
        after = j->next;
        /* unlinked here, so a slot freed later never starts it */
        if (j->kind == R_SEARCH && search_stop(j)) {
            j->waiting = 0;
            j->next = NULL;
            *end_tail = j;
            end_tail = &j->next;
            continue;
        }
        if (j->deadline_ns && (!next_due || j->deadline_ns < next_due))
            next_due = j->deadline_ns;
        *d->rwait_tail = j;
        d->rwait_tail = &j->next;
    }
    *d->rwait_tail = NULL;
    if (next_due)
        rwait_arm(d, next_due);
    /* a callback may start or cancel searches (rwait and the timer are
     * consistent by now) or close d (the jobs still here keep it) */
    for (rjob *j = ended, *after; j; j = after) {
        after = j->next;
        run_search(NULL, j); /* stopped before it began: no connection */
        job_done(d, j);
    }
    data_maybe_finish(d);
}

static void on_rwait_timer_closed(uv_handle_t *h)
{
    sipc_data *d = h->data;
    d->jobs--;
    data_maybe_finish(d);
}

void data_reads_init(sipc_data *d)
{
    uv_timer_init(d->loop, &d->rwait_timer);
    d->rwait_timer.data = d;
    /* armed only while reads run, which keep the loop alive */
    uv_unref((uv_handle_t *)&d->rwait_timer);
}

void data_reads_close(sipc_data *d)
{
    d->jobs++; /* d outlives its timer */
    uv_close((uv_handle_t *)&d->rwait_timer, on_rwait_timer_closed);
}

static rjob *new_job(sipc_request *req, rjob_kind kind, ProtobufCMessage *msg)
{
    rjob *j = calloc(1, sizeof *j);
    if (!j) {
        protobuf_c_message_free_unpacked(msg, NULL);
        sipc_respond_error(req, SIPC_ENOMEM, "out of memory");
        return NULL;
    }
    j->kind = kind;
    j->req = req;
    j->msg = msg;
    return j;
}

void data_h_get(sipc_request *req, void *arg)
{
    sipc_data *d = arg;
    size_t len;
    Sipc__Data__GetRequest *m = (Sipc__Data__GetRequest *)data_request_unpack(
        d, DATA_READS, req, &sipc__data__get_request__descriptor, &len);
    if (!m)
        return;
    char err[256];
    int rc = data_validate_id(&m->id, &d->o, err, sizeof err);
    if (rc != 0) {
        sipc__data__get_request__free_unpacked(m, NULL);
        sipc_respond_error(req, data_validate_status(rc), err);
        return;
    }
    rjob *j = new_job(req, R_GET, &m->base);
    if (j)
        start_read(d, j);
}

/* The checks of a time range shared by list and search; names: what the
 * request calls the two bounds (NULL: from_ms and to_ms). */
static int check_range(int64_t from, int64_t to, const char *const names[2], char *err,
                       size_t errlen)
{
    const char *fn = names && names[0] ? names[0] : "from_ms";
    const char *tn = names && names[1] ? names[1] : "to_ms";
    if (from < 0 || from > DATA_MAX_TIMESTAMP_MS) {
        snprintf(err, errlen, "%s %lld is outside 0..%lld", fn, (long long)from,
                 (long long)DATA_MAX_TIMESTAMP_MS);
        return SIPC_EINVAL;
    }
    if (to != 0 && to <= from) {
        snprintf(err, errlen, "%s %lld is not after %s %lld (0 means no upper bound)", tn,
                 (long long)to, fn, (long long)from);
        return SIPC_EINVAL;
    }
    return 0;
}

/* 0 means the default; over the maximum is refused rather than cut, so a
 * client never mistakes a short page for the whole answer. */
static int check_limit(const sipc_data_options *o, size_t asked, size_t *limit, char *err,
                       size_t errlen)
{
    if (asked > o->max_list) {
        snprintf(err, errlen, "limit %zu exceeds the maximum of %zu", asked, o->max_list);
        return SIPC_ETOOBIG;
    }
    *limit = asked ? asked : o->default_list;
    return 0;
}

void data_h_list(sipc_request *req, void *arg)
{
    sipc_data *d = arg;
    size_t len;
    Sipc__Data__ListRequest *m = (Sipc__Data__ListRequest *)data_request_unpack(
        d, DATA_READS, req, &sipc__data__list_request__descriptor, &len);
    if (!m)
        return;
    char err[256];
    size_t limit = 0;
    int rc = check_range(m->from_ms, m->to_ms, NULL, err, sizeof err);
    if (rc == 0)
        rc = check_limit(&d->o, m->limit, &limit, err, sizeof err);
    if (rc == 0 && m->after) {
        /* a cursor is a previous page's next: a valid id, or empty */
        rc = m->after->id.len ? data_validate_id(&m->after->id, &d->o, err, sizeof err) : 0;
        if (rc != 0) {
            char why[sizeof err];
            memcpy(why, err, sizeof why);
            snprintf(err, sizeof err, "after: %.240s", why);
        }
    }
    if (rc != 0) {
        sipc__data__list_request__free_unpacked(m, NULL);
        sipc_respond_error(req, data_validate_status(rc), err);
        return;
    }
    rjob *j = new_job(req, R_LIST, &m->base);
    if (!j)
        return;
    j->lp.from_ms = m->from_ms;
    j->lp.to_ms = m->to_ms;
    j->lp.limit = limit;
    j->lp.max_bytes = d->o.max_response;
    j->lp.include_body = m->include_body;
    if (m->after) {
        j->lp.has_after = 1;
        j->lp.after_ts = m->after->timestamp_ms;
        j->lp.after_id = m->after->id;
    }
    start_read(d, j);
}

/* -------------------------------------------------------------- search */

int sipc_data_search(sipc_data *d, const sipc_data_query *q, sipc_data_search_cb cb, void *arg,
                     char *err, size_t errlen)
{
    if (!d || !q || !cb || (q->nattrs && !q->attrs)) {
        snprintf(err, errlen, "missing argument");
        return SIPC_EINVAL;
    }
    if (d->closing) {
        snprintf(err, errlen, "data service is shutting down");
        return SIPC_ECLOSING;
    }
    size_t limit;
    int rc = check_range(q->from_ms, q->to_ms, q->range_names, err, errlen);
    if (rc == 0)
        rc = check_limit(&d->o, q->limit, &limit, err, errlen);
    if (rc != 0)
        return rc;
    if (q->order != SIPC_DATA_ORDER_RANK && q->order != SIPC_DATA_ORDER_NEWEST) {
        snprintf(err, errlen, "unknown order %d", (int)q->order);
        return SIPC_EINVAL;
    }
    if (q->nattrs > d->o.max_attributes) {
        snprintf(err, errlen, "%zu attribute filters exceed the maximum of %zu", q->nattrs,
                 d->o.max_attributes);
        return SIPC_ETOOBIG;
    }
    const char *match = q->match ? q->match : "";
    size_t need = strlen(match) + 1;
    for (size_t i = 0; i < q->nattrs; i++) {
        if (!q->attrs[i].key || !q->attrs[i].value) {
            snprintf(err, errlen, "attribute filter %zu: key or value missing", i);
            return SIPC_EINVAL;
        }
        size_t kl = strlen(q->attrs[i].key), vl = strlen(q->attrs[i].value);
        if (!data_utf8_valid((const uint8_t *)q->attrs[i].key, kl) ||
            !data_utf8_valid((const uint8_t *)q->attrs[i].value, vl)) {
            snprintf(err, errlen, "attribute filter %zu: not valid UTF-8", i);
            return SIPC_EINVAL;
        }
        need += kl + vl + 2;
    }
    if (!data_utf8_valid((const uint8_t *)match, strlen(match))) {
        snprintf(err, errlen, "match is not valid UTF-8");
        return SIPC_EINVAL;
    }
    /* after the query's own checks: an invalid query is refused as a whole
     * whatever the node's database */
    if (d->unopened) {
        data_health *h = &d->health[DATA_READS];
        h->failures++;
        h->total++;
        h->last_ms = uv_now(d->loop);
        h->last_wall_ms = sipc_rfc3339_now_ms();
        snprintf(err, errlen, "%s", d->open_err);
        return UV_EIO; /* a storage error: the node's part is missing, with why */
    }
    rjob *j = calloc(1, sizeof *j);
    char *buf = malloc(need);
    sipc_data_attr *attrs = q->nattrs ? calloc(q->nattrs, sizeof *attrs) : NULL;
    if (!j || !buf || (q->nattrs && !attrs)) {
        free(j);
        free(buf);
        free(attrs);
        snprintf(err, errlen, "out of memory");
        return SIPC_ENOMEM;
    }
    char *p = buf;
    size_t ml = strlen(match) + 1;
    memcpy(p, match, ml);
    j->q.match = p;
    p += ml;
    for (size_t i = 0; i < q->nattrs; i++) {
        size_t kl = strlen(q->attrs[i].key) + 1, vl = strlen(q->attrs[i].value) + 1;
        attrs[i].key = memcpy(p, q->attrs[i].key, kl);
        p += kl;
        attrs[i].value = memcpy(p, q->attrs[i].value, vl);
        p += vl;
    }
    j->kind = R_SEARCH;
    j->q.attrs = attrs;
    j->q.nattrs = q->nattrs;
    j->q.from_ms = q->from_ms;
    j->q.to_ms = q->to_ms;
    j->q.limit = limit;
    j->q.order = q->order;
    j->q.content = q->content != 0;
    j->q.body_max = q->body_max;
    j->q.max_bytes = q->max_bytes ? q->max_bytes : d->o.max_response;
    j->qbuf = buf;
    j->qattrs = attrs;
    j->cb = cb;
    j->cb_arg = arg;
    j->timeout_ms = q->timeout_ms;
    if (q->timeout_ms)
        j->deadline_ns = uv_hrtime() + (uint64_t)q->timeout_ms * 1000000u;
    atomic_init(&j->cancel, 0);
    j->snext = d->searches;
    if (j->snext)
        j->snext->sprev = &j->snext;
    j->sprev = &d->searches;
    d->searches = j;
    start_read(d, j);
    return 0;
}

void sipc_data_search_cancel(sipc_data *d, void *arg)
{
    int waiting = 0;
    for (rjob *j = d ? d->searches : NULL; j; j = j->snext)
        if (j->cb_arg == arg) {
            atomic_store_explicit(&j->cancel, 1, memory_order_relaxed);
            waiting |= j->waiting;
        }
    /* on the loop's next turn, not from inside this call: its caller may
     * not expect its callback yet */
    if (waiting)
        rwait_arm(d, 0);
}

int sipc_data_search_waiting(const sipc_data *d, const void *arg)
{
    for (const rjob *j = d ? d->searches : NULL; j; j = j->snext)
        if (j->cb_arg == arg && j->waiting)
            return 1;
    return 0;
}
