/* data_service.c - the data service on the public sipc API: request
 * handlers, the write queue and its single writer, the reader pool, search
 * and shutdown. The database itself is data_store.c.
 *
 * Threads. Handlers run on the loop thread: they decode and check the
 * request, then either queue it for the writer (put, put_batch, delete) or
 * start a read job (get, list; sipc_data_search). Jobs run on libuv's thread
 * pool; their completions run on the loop thread again and answer there,
 * because sipc functions may only be called on the loop thread.
 *
 * Writes. At most one write job runs at a time and it owns the writer
 * connection. It takes every write queued so far and runs them in one
 * transaction, each in its own savepoint (so a failing request does not undo
 * the others), then commits; only after the commit are the requests
 * answered. Writes arriving while it runs wait in the queue for the next job,
 * which is how concurrent single puts end up sharing a commit (and its
 * fsync with sync=full).
 *
 * Reads. Up to opts.readers read connections, opened on demand and handed
 * to jobs under a mutex; WAL lets them read while the writer writes. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data_store.h"
#include "data_validate.h"

typedef enum { W_PUT, W_PUT_BATCH, W_DELETE } wop_kind;

/* One queued write request. */
typedef struct wop {
    struct wop *next;
    wop_kind kind;
    sipc_request *req;
    ProtobufCMessage *msg; /* the unpacked request */
    size_t bytes;          /* its payload size, counted against max_queue */
    int rc;
    char err[256];
    Sipc__Data__PutResult result;
    uint32_t created, unchanged, replaced;
    int deleted;
} wop;

typedef enum { R_GET, R_LIST, R_SEARCH } rjob_kind;

/* One read job: get, list (for a request) or search (for a callback). */
typedef struct rjob {
    uv_work_t work;
    sipc_data *d;
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

struct sipc_data {
    uv_loop_t *loop;
    char *db_path;
    sipc_data_options o;
    data_store *writer;
    /* reader pool */
    uv_mutex_t mu;
    uv_cond_t cv;
    data_store **idle;
    unsigned nidle, nopen;
    /* write queue and the one write job */
    wop *qhead, **qtail;
    size_t qbytes;
    int writing;
    uv_work_t wwork;
    wop *wops;
    /* jobs on the thread pool, the write job included */
    unsigned jobs;
    int closing, finalizing;
    uv_work_t fwork;
    void (*close_cb)(void *);
    void *close_arg;
};

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
static int status_of(int rc)
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
    o->sync = SIPC_DATA_SYNC_NORMAL;
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
}

/* ------------------------------------------------------------ the pool */

static void maybe_finish(sipc_data *d);

static data_store *reader_get(sipc_data *d, int *rc, char *err, size_t errlen)
{
    uv_mutex_lock(&d->mu);
    while (d->nidle == 0 && d->nopen >= d->o.readers)
        uv_cond_wait(&d->cv, &d->mu);
    if (d->nidle > 0) {
        data_store *s = d->idle[--d->nidle];
        uv_mutex_unlock(&d->mu);
        return s;
    }
    d->nopen++;
    uv_mutex_unlock(&d->mu);
    data_store *s = NULL;
    *rc = data_store_open(&s, d->db_path, DATA_STORE_READER, d->o.sync, err, errlen);
    if (*rc != 0) {
        uv_mutex_lock(&d->mu);
        d->nopen--;
        uv_cond_signal(&d->cv);
        uv_mutex_unlock(&d->mu);
    }
    return s;
}

static void reader_put(sipc_data *d, data_store *s)
{
    uv_mutex_lock(&d->mu);
    assert(d->nidle < d->o.readers);
    d->idle[d->nidle++] = s;
    uv_cond_signal(&d->cv);
    uv_mutex_unlock(&d->mu);
}

/* ------------------------------------------------------------- answers */

static void respond_msg(sipc_request *req, const ProtobufCMessage *m)
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

static int refuse_closing(sipc_data *d, sipc_request *req)
{
    if (!d->closing)
        return 0;
    sipc_respond_error(req, SIPC_DATA_CLOSING, "data service is shutting down");
    return 1;
}

static void bad_request(sipc_request *req, const char *type)
{
    char msg[96];
    snprintf(msg, sizeof msg, "payload is not a valid sipc.data.%s message", type);
    sipc_respond_error(req, SIPC_DATA_BAD_REQUEST, msg);
}

/* -------------------------------------------------------------- writes */

static void write_work(uv_work_t *w);
static void write_after(uv_work_t *w, int status);

/* Starts the write job when none runs and something waits. */
static void kick_writer(sipc_data *d)
{
    if (d->writing || !d->qhead)
        return;
    d->writing = 1;
    d->wops = d->qhead;
    d->qhead = NULL;
    d->qtail = &d->qhead;
    d->qbytes = 0;
    d->jobs++;
    int r = uv_queue_work(d->loop, &d->wwork, write_work, write_after);
    assert(r == 0);
    (void)r;
}

static void enqueue(sipc_data *d, sipc_request *req, wop_kind kind, ProtobufCMessage *msg,
                    size_t bytes)
{
    /* A write alone in the queue is always taken, whatever its size (the
     * frame limit bounds it), so max_queue cannot starve a large batch. */
    if (d->qhead && d->qbytes + bytes > d->o.max_queue) {
        protobuf_c_message_free_unpacked(msg, NULL);
        sipc_respond_error(req, SIPC_DATA_BUSY, "write queue is full, retry later");
        return;
    }
    wop *op = calloc(1, sizeof *op);
    if (!op) {
        protobuf_c_message_free_unpacked(msg, NULL);
        sipc_respond_error(req, SIPC_ENOMEM, "out of memory");
        return;
    }
    op->kind = kind;
    op->req = req;
    op->msg = msg;
    op->bytes = bytes;
    *d->qtail = op;
    d->qtail = &op->next;
    d->qbytes += bytes;
    kick_writer(d);
}

static int write_op(data_store *s, wop *op)
{
    int rc = 0;
    switch (op->kind) {
    case W_PUT:
        return data_store_put(s, ((Sipc__Data__PutRequest *)op->msg)->record, &op->result, op->err,
                              sizeof op->err);
    case W_PUT_BATCH: {
        const Sipc__Data__PutBatchRequest *b = (const Sipc__Data__PutBatchRequest *)op->msg;
        for (size_t i = 0; i < b->n_records && rc == 0; i++) {
            Sipc__Data__PutResult res = SIPC__DATA__PUT_RESULT__PUT_RESULT_UNSPECIFIED;
            rc = data_store_put(s, b->records[i], &res, op->err, sizeof op->err);
            op->created += res == SIPC__DATA__PUT_RESULT__CREATED;
            op->unchanged += res == SIPC__DATA__PUT_RESULT__UNCHANGED;
            op->replaced += res == SIPC__DATA__PUT_RESULT__REPLACED;
        }
        return rc;
    }
    case W_DELETE:
        return data_store_delete(s, &((Sipc__Data__DeleteRequest *)op->msg)->id, &op->deleted,
                                 op->err, sizeof op->err);
    }
    return SIPC_EINVAL;
}

/* Thread pool: every queued write in one transaction, one savepoint each. */
static void write_work(uv_work_t *w)
{
    sipc_data *d = w->data;
    char err[256];
    int rc = data_store_begin(d->writer, err, sizeof err);
    for (wop *op = d->wops; op && rc == 0; op = op->next) {
        op->rc = data_store_group_begin(d->writer, op->err, sizeof op->err);
        if (op->rc != 0)
            continue;
        op->rc = write_op(d->writer, op);
        data_store_group_end(d->writer, op->rc == 0);
    }
    if (rc == 0)
        rc = data_store_commit(d->writer, err, sizeof err);
    if (rc != 0) {
        /* nothing of this transaction is stored: say so to every request */
        for (wop *op = d->wops; op; op = op->next) {
            if (op->rc == 0) {
                op->rc = rc;
                snprintf(op->err, sizeof op->err, "%s", err);
            }
        }
    }
}

static void answer_write(wop *op)
{
    if (op->rc != 0) {
        sipc_respond_error(op->req, status_of(op->rc), op->err);
        return;
    }
    switch (op->kind) {
    case W_PUT: {
        Sipc__Data__PutResponse m = SIPC__DATA__PUT_RESPONSE__INIT;
        m.result = op->result;
        respond_msg(op->req, &m.base);
        break;
    }
    case W_PUT_BATCH: {
        Sipc__Data__PutBatchResponse m = SIPC__DATA__PUT_BATCH_RESPONSE__INIT;
        m.created = op->created;
        m.unchanged = op->unchanged;
        m.replaced = op->replaced;
        respond_msg(op->req, &m.base);
        break;
    }
    case W_DELETE: {
        Sipc__Data__DeleteResponse m = SIPC__DATA__DELETE_RESPONSE__INIT;
        m.deleted = op->deleted;
        respond_msg(op->req, &m.base);
        break;
    }
    }
}

/* Loop thread, after the commit (or its failure): answer, then start the
 * next job for whatever arrived meanwhile. */
static void write_after(uv_work_t *w, int status)
{
    sipc_data *d = w->data;
    assert(status == 0); /* write jobs are never cancelled */
    (void)status;
    wop *op = d->wops;
    d->wops = NULL;
    while (op) {
        wop *next = op->next;
        answer_write(op);
        protobuf_c_message_free_unpacked(op->msg, NULL);
        free(op);
        op = next;
    }
    d->writing = 0;
    d->jobs--;
    kick_writer(d);
    maybe_finish(d);
}

static void h_put(sipc_request *req, void *arg)
{
    sipc_data *d = arg;
    if (refuse_closing(d, req))
        return;
    size_t len;
    const uint8_t *p = sipc_request_data(req, &len);
    Sipc__Data__PutRequest *m = sipc__data__put_request__unpack(NULL, len, p);
    if (!m) {
        bad_request(req, "PutRequest");
        return;
    }
    char err[256];
    int rc = data_validate_record(m->record, &d->o, err, sizeof err);
    if (rc != 0) {
        sipc__data__put_request__free_unpacked(m, NULL);
        sipc_respond_error(req, data_validate_status(rc), err);
        return;
    }
    enqueue(d, req, W_PUT, &m->base, len);
}

static void h_put_batch(sipc_request *req, void *arg)
{
    sipc_data *d = arg;
    if (refuse_closing(d, req))
        return;
    size_t len;
    const uint8_t *p = sipc_request_data(req, &len);
    Sipc__Data__PutBatchRequest *m = sipc__data__put_batch_request__unpack(NULL, len, p);
    if (!m) {
        bad_request(req, "PutBatchRequest");
        return;
    }
    char err[320], why[256];
    int status = 0;
    if (m->n_records == 0) {
        status = SIPC_DATA_INVALID;
        snprintf(err, sizeof err, "batch has no records");
    } else if (m->n_records > d->o.max_batch) {
        status = SIPC_DATA_TOO_LARGE;
        snprintf(err, sizeof err, "batch of %zu records exceeds the maximum of %zu", m->n_records,
                 d->o.max_batch);
    }
    for (size_t i = 0; i < m->n_records && !status; i++) {
        int rc = data_validate_record(m->records[i], &d->o, why, sizeof why);
        if (rc != 0) {
            status = data_validate_status(rc);
            snprintf(err, sizeof err, "record %zu: %s (nothing of the batch was stored)", i, why);
        }
    }
    if (status) {
        sipc__data__put_batch_request__free_unpacked(m, NULL);
        sipc_respond_error(req, status, err);
        return;
    }
    enqueue(d, req, W_PUT_BATCH, &m->base, len);
}

static void h_delete(sipc_request *req, void *arg)
{
    sipc_data *d = arg;
    if (refuse_closing(d, req))
        return;
    size_t len;
    const uint8_t *p = sipc_request_data(req, &len);
    Sipc__Data__DeleteRequest *m = sipc__data__delete_request__unpack(NULL, len, p);
    if (!m) {
        bad_request(req, "DeleteRequest");
        return;
    }
    char err[256];
    int rc = data_validate_id(&m->id, &d->o, err, sizeof err);
    if (rc != 0) {
        sipc__data__delete_request__free_unpacked(m, NULL);
        sipc_respond_error(req, data_validate_status(rc), err);
        return;
    }
    enqueue(d, req, W_DELETE, &m->base, len);
}

/* --------------------------------------------------------------- reads */

static void read_work(uv_work_t *w);
static void read_after(uv_work_t *w, int status);

static void start_read(sipc_data *d, rjob *j)
{
    j->d = d;
    j->work.data = j;
    d->jobs++;
    int r = uv_queue_work(d->loop, &j->work, read_work, read_after);
    assert(r == 0);
    (void)r;
}

static void read_get(data_store *s, rjob *j)
{
    const Sipc__Data__GetRequest *m = (const Sipc__Data__GetRequest *)j->msg;
    Sipc__Data__Record *rec = NULL;
    j->rc = data_store_get(s, &m->id, &rec, j->err, sizeof j->err);
    if (j->rc != 0) {
        j->status = status_of(j->rc);
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
        j->status = status_of(j->rc);
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
    data_store *s = reader_get(d, &j->rc, j->err, sizeof j->err);
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
        j->rc = data_store_search(s, &j->q, &j->hits, j->err, sizeof j->err);
        break;
    }
    reader_put(d, s);
}

static void read_after(uv_work_t *w, int status)
{
    rjob *j = w->data;
    sipc_data *d = j->d;
    assert(status == 0);
    (void)status;
    if (j->kind == R_SEARCH) {
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
    maybe_finish(d);
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

static void h_get(sipc_request *req, void *arg)
{
    sipc_data *d = arg;
    if (refuse_closing(d, req))
        return;
    size_t len;
    const uint8_t *p = sipc_request_data(req, &len);
    Sipc__Data__GetRequest *m = sipc__data__get_request__unpack(NULL, len, p);
    if (!m) {
        bad_request(req, "GetRequest");
        return;
    }
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

/* The checks of a time range shared by list and search. */
static int check_range(int64_t from, int64_t to, char *err, size_t errlen)
{
    if (from < 0 || from > DATA_MAX_TIMESTAMP_MS) {
        snprintf(err, errlen, "from_ms %lld is outside 0..%lld", (long long)from,
                 (long long)DATA_MAX_TIMESTAMP_MS);
        return SIPC_EINVAL;
    }
    if (to != 0 && to <= from) {
        snprintf(err, errlen, "to_ms %lld is not after from_ms %lld (0 means no upper bound)",
                 (long long)to, (long long)from);
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

static void h_list(sipc_request *req, void *arg)
{
    sipc_data *d = arg;
    if (refuse_closing(d, req))
        return;
    size_t len;
    const uint8_t *p = sipc_request_data(req, &len);
    Sipc__Data__ListRequest *m = sipc__data__list_request__unpack(NULL, len, p);
    if (!m) {
        bad_request(req, "ListRequest");
        return;
    }
    char err[256];
    size_t limit = 0;
    int rc = check_range(m->from_ms, m->to_ms, err, sizeof err);
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
    int rc = check_range(q->from_ms, q->to_ms, err, errlen);
    if (rc == 0)
        rc = check_limit(&d->o, q->limit, &limit, err, errlen);
    if (rc != 0)
        return rc;
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
    j->qbuf = buf;
    j->qattrs = attrs;
    j->cb = cb;
    j->cb_arg = arg;
    start_read(d, j);
    return 0;
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
            rc = uv_translate_sys_error(errno);
            snprintf(err, errlen, "%s: cannot create directory: %s", p, strerror(errno));
            break;
        }
        *s = c;
        if (c == '\0')
            break;
    }
    struct stat st;
    if (rc == 0 && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
        snprintf(err, errlen, "%s: not a directory", dir);
        rc = SIPC_ECONFIG;
    }
    free(p);
    return rc;
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
    DEF_(readers)
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
    int rc = make_dirs(dir, err, errlen);
    if (rc != 0)
        return rc;
    sipc_data *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return SIPC_ENOMEM;
    }
    fill_defaults(&d->o, opts);
    d->loop = loop;
    d->qtail = &d->qhead;
    d->wwork.data = d;
    d->fwork.data = d;
    size_t n = strlen(dir) + sizeof "/records.db";
    d->db_path = malloc(n);
    d->idle = calloc(d->o.readers, sizeof *d->idle);
    if (!d->db_path || !d->idle) {
        free(d->db_path);
        free(d->idle);
        free(d);
        snprintf(err, errlen, "out of memory");
        return SIPC_ENOMEM;
    }
    snprintf(d->db_path, n, "%s/records.db", dir);
    rc = data_store_open(&d->writer, d->db_path, DATA_STORE_WRITER, d->o.sync, err, errlen);
    if (rc == 0 && (rc = uv_mutex_init(&d->mu)) == 0 && (rc = uv_cond_init(&d->cv)) != 0)
        uv_mutex_destroy(&d->mu);
    if (rc != 0) {
        if (d->writer)
            snprintf(err, errlen, "cannot create a mutex: %s", uv_strerror(rc));
        data_store_close(d->writer);
        free(d->db_path);
        free(d->idle);
        free(d);
        return rc;
    }
    *out = d;
    return 0;
}

int sipc_data_register(sipc_data *d, sipc_router *r)
{
    static const struct {
        const char *method;
        sipc_handler_fn fn;
    } routes[] = {{"put", h_put},
                  {"put_batch", h_put_batch},
                  {"get", h_get},
                  {"delete", h_delete},
                  {"list", h_list}};
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
    for (unsigned i = 0; i < d->nidle; i++)
        data_store_close(d->idle[i]);
    d->nidle = d->nopen = 0;
    data_store_close(d->writer);
    d->writer = NULL;
}

static void fin_after(uv_work_t *w, int status)
{
    sipc_data *d = w->data;
    (void)status;
    void (*cb)(void *) = d->close_cb;
    void *arg = d->close_arg;
    uv_cond_destroy(&d->cv);
    uv_mutex_destroy(&d->mu);
    free(d->idle);
    free(d->db_path);
    free(d);
    if (cb)
        cb(arg);
}

static void maybe_finish(sipc_data *d)
{
    if (!d->closing || d->finalizing || d->jobs > 0 || d->writing || d->qhead)
        return;
    d->finalizing = 1;
    int r = uv_queue_work(d->loop, &d->fwork, fin_work, fin_after);
    assert(r == 0);
    (void)r;
}

void sipc_data_close(sipc_data *d, void (*cb)(void *arg), void *arg)
{
    assert(!d->closing);
    d->closing = 1;
    d->close_cb = cb;
    d->close_arg = arg;
    maybe_finish(d);
}
