/* data_writes.c - put, put_batch and delete: checked on the loop thread,
 * queued, and written by the one write job.
 *
 * At most one write job runs at a time and it owns the writer connection.
 * It takes every write queued so far and runs them in one transaction, each
 * in its own savepoint (so a failing request does not undo the others), then
 * commits; only after the commit are the requests answered. Writes arriving
 * while it runs wait in the queue for the next job, which is how concurrent
 * single puts end up sharing a commit (and its fsync with sync=full). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data_service_impl.h"
#include "data_validate.h"
#include "rfc3339.h"

typedef enum { W_PUT, W_PUT_BATCH, W_DELETE, W_PROBE } wop_kind;

/* One queued write request. */
typedef struct wop {
    struct wop *next;
    wop_kind kind;
    sipc_request *req;     /* NULL for W_PROBE */
    ProtobufCMessage *msg; /* the unpacked request; NULL for W_PROBE */
    size_t bytes;          /* its payload and decoded copy, counted against max_queue */
    int rc;
    char err[256];
    Sipc__Data__PutResult result;
    uint32_t created, unchanged, replaced;
    int deleted;
} wop;

/* -------------------------------------------------------------- writes */

static void write_work(uv_work_t *w);
static void write_after(uv_work_t *w, int status);

/* Starts the write job when none runs and something waits; the writer's
 * reopen first, when one is wanted (it owns the writer as a write job). */
void data_kick_writer(sipc_data *d)
{
    if (d->writing)
        return;
    /* no writer (a reopen that failed left none): nothing may run a write
     * job, and what waits is answered now */
    if (d->unopened || !d->writer) {
        data_fail_queued(d);
        return;
    }
    if (data_rescue_start(d) || data_reopen_writer(d) || !d->qhead)
        return;
    d->writing = 1;
    d->wops = d->qhead;
    d->wcount = d->qcount;
    d->wsince_ms = d->qsince_ms;
    d->wbytes = d->qbytes;
    d->qhead = NULL;
    d->qtail = &d->qhead;
    d->qbytes = 0;
    d->qcount = 0;
    d->jobs++;
    int r = uv_queue_work(d->loop, &d->wwork, write_work, write_after);
    assert(r == 0);
    (void)r;
}

static void enqueue(sipc_data *d, sipc_request *req, wop_kind kind, ProtobufCMessage *msg,
                    size_t bytes)
{
    if (d->damaged || d->gone) {
        protobuf_c_message_free_unpacked(msg, NULL);
        data_storage_outcome(d, DATA_WRITES, d->damaged ? DATA_STORE_DAMAGED : UV_ENOENT,
                             d->writes_err, 0, NULL);
        sipc_respond_error(req, SIPC_DATA_STORAGE, d->writes_err);
        return;
    }
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
    if (d->qcount++ == 0)
        d->qsince_ms = uv_now(d->loop);
    data_kick_writer(d);
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
    case W_PROBE:
        return data_store_probe(s, op->err, sizeof op->err);
    }
    return SIPC_EINVAL;
}

/* Thread pool: every queued write in one transaction, one savepoint each.
 * A write that fails alone (a bad record) is undone alone; one that takes
 * the transaction with it (SQLite rolls back everything on a full disk or
 * an I/O error) fails the whole job, the writes before it included, which
 * are no longer stored: none may be answered as written. */
static void write_work(uv_work_t *w)
{
    sipc_data *d = w->data;
    char err[256];
    /* a probe alone does not wait for a lock: the requests that arrive
     * meanwhile would wait behind it */
    int probe_only = d->wops->kind == W_PROBE && !d->wops->next;
    if (probe_only)
        data_store_busy_wait(d->writer, 0);
    int rc = data_store_begin(d->writer, err, sizeof err);
    for (wop *op = d->wops; op && rc == 0; op = op->next) {
        op->rc = data_store_group_begin(d->writer, op->err, sizeof op->err);
        if (op->rc == 0) {
            op->rc = write_op(d->writer, op);
            char why[256];
            int g = data_store_group_end(d->writer, op->rc == 0, why, sizeof why);
            if (g != 0 && op->rc == 0) {
                op->rc = g;
                snprintf(op->err, sizeof op->err, "%s", why);
            }
            if (g == 0)
                continue;
        }
        /* the transaction is gone or in doubt: nothing of this job is kept */
        data_store_rollback(d->writer);
        rc = op->rc;
        snprintf(err, sizeof err, "%.200s; nothing of this write was stored", op->err);
    }
    /* the counters of store_meta, in the same transaction: what the host
     * keeps of them outside the database can only be behind it, unless
     * committed transactions were lost (a lost -wal) */
    int64_t created = 0;
    int changed = 0;
    for (wop *op = d->wops; op && rc == 0; op = op->next) {
        if (op->rc != 0)
            continue;
        int64_t c = op->kind == W_PUT ? op->result == SIPC__DATA__PUT_RESULT__CREATED
                                      : (int64_t)op->created;
        created += c;
        changed |= c || op->deleted || op->replaced ||
                   (op->kind == W_PUT && op->result == SIPC__DATA__PUT_RESULT__REPLACED);
    }
    if (rc == 0 && changed && (rc = data_store_count(d->writer, created, err, sizeof err)) != 0) {
        data_store_rollback(d->writer);
        snprintf(err + strlen(err), sizeof err - strlen(err), "; nothing of this write was stored");
    }
    if (rc == 0)
        rc = data_store_commit(d->writer, err, sizeof err);
    d->job_created = rc == 0 ? created : 0;
    d->job_changed = rc == 0 && changed;
    if (probe_only)
        data_store_busy_wait(d->writer, 1);
    if (rc != 0) {
        /* nothing of this transaction is stored: say so to every request */
        for (wop *op = d->wops; op; op = op->next) {
            if (op->rc == 0) {
                op->rc = rc;
                snprintf(op->err, sizeof op->err, "%s", err);
            }
        }
    }
    /* a failure the file system may cause: its facts for the answer and
     * for the probe's later look to compare with, taken here on the pool
     * (never on the loop, which a hung mount would stop) */
    d->job_fs_valid = 0;
    for (wop *op = d->wops; op && !d->job_fs_valid; op = op->next)
        if (op->rc == UV_EROFS || op->rc == UV_EIO || op->rc == UV_ENOSPC || op->rc == UV_EFBIG) {
            data_fs_facts_get(d->db_path, &d->job_fs);
            d->job_fs_valid = 1;
        }
}

static void answer_write(sipc_data *d, wop *op)
{
    /* a write that changed nothing (records sent again, a delete of nothing)
     * wrote no page: it says nothing about whether writes work again */
    int wrote = op->kind == W_PROBE || op->deleted || op->created || op->replaced ||
                (op->kind == W_PUT && op->result != SIPC__DATA__PUT_RESULT__UNCHANGED);
    if (op->rc != 0 || wrote)
        data_storage_outcome(d, DATA_WRITES, op->rc, op->err, op->kind == W_PROBE,
                             d->job_fs_valid ? &d->job_fs : NULL);
    if (op->kind == W_PROBE) {
        d->probing = 0;
        return;
    }
    if (op->rc != 0) {
        sipc_respond_error(op->req, data_status_of(op->rc), op->err);
        return;
    }
    switch (op->kind) {
    case W_PUT: {
        Sipc__Data__PutResponse m = SIPC__DATA__PUT_RESPONSE__INIT;
        m.result = op->result;
        data_respond_msg(op->req, &m.base);
        break;
    }
    case W_PUT_BATCH: {
        Sipc__Data__PutBatchResponse m = SIPC__DATA__PUT_BATCH_RESPONSE__INIT;
        m.created = op->created;
        m.unchanged = op->unchanged;
        m.replaced = op->replaced;
        data_respond_msg(op->req, &m.base);
        break;
    }
    case W_DELETE: {
        Sipc__Data__DeleteResponse m = SIPC__DATA__DELETE_RESPONSE__INIT;
        m.deleted = op->deleted;
        data_respond_msg(op->req, &m.base);
        break;
    }
    case W_PROBE:
        break;
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
    d->wcount = 0;
    d->wbytes = 0;
    if (d->job_changed) {
        d->mark.created += d->job_created;
        d->mark.writes++;
    }
    while (op) {
        wop *next = op->next;
        answer_write(d, op);
        if (op->msg)
            protobuf_c_message_free_unpacked(op->msg, NULL);
        free(op);
        op = next;
    }
    d->job_fs_valid = 0;
    d->writing = 0;
    d->jobs--;
    data_kick_writer(d);
    data_maybe_finish(d);
}

void data_fail_queued(sipc_data *d)
{
    data_fail_queued_why(d, d->open_err[0] ? d->open_err : "records.db is not open");
}

void data_fail_queued_why(sipc_data *d, const char *why)
{
    wop *op = d->qhead;
    d->qhead = NULL;
    d->qtail = &d->qhead;
    d->qbytes = 0;
    d->qcount = 0;
    while (op) {
        wop *next = op->next;
        if (op->kind == W_PROBE) {
            d->probing = 0;
        } else {
            data_health *h = &d->health[DATA_WRITES];
            h->failures++;
            h->total++;
            h->last_ms = uv_now(d->loop);
            h->last_wall_ms = sipc_rfc3339_now_ms();
            sipc_respond_error(op->req, SIPC_DATA_STORAGE, why);
        }
        if (op->msg)
            protobuf_c_message_free_unpacked(op->msg, NULL);
        free(op);
        op = next;
    }
}

void data_probe_writes(sipc_data *d)
{
    /* queued behind other writes too: one that changes nothing tells nothing */
    if (d->closing || d->probing || d->damaged || d->unopened || d->gone)
        return;
    wop *op = calloc(1, sizeof *op);
    if (!op)
        return;
    d->probing = 1;
    op->kind = W_PROBE;
    *d->qtail = op;
    d->qtail = &op->next;
    data_kick_writer(d);
}

void data_h_put(sipc_request *req, void *arg)
{
    sipc_data *d = arg;
    size_t holds;
    Sipc__Data__PutRequest *m = (Sipc__Data__PutRequest *)data_request_unpack(
        d, DATA_WRITES, req, &sipc__data__put_request__descriptor, &holds);
    if (!m)
        return;
    char err[256];
    int rc = data_validate_record(m->record, &d->o, err, sizeof err);
    if (rc != 0) {
        sipc__data__put_request__free_unpacked(m, NULL);
        sipc_respond_error(req, data_validate_status(rc), err);
        return;
    }
    enqueue(d, req, W_PUT, &m->base, holds);
}

void data_h_put_batch(sipc_request *req, void *arg)
{
    sipc_data *d = arg;
    size_t holds;
    Sipc__Data__PutBatchRequest *m = (Sipc__Data__PutBatchRequest *)data_request_unpack(
        d, DATA_WRITES, req, &sipc__data__put_batch_request__descriptor, &holds);
    if (!m)
        return;
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
    enqueue(d, req, W_PUT_BATCH, &m->base, holds);
}

void data_h_delete(sipc_request *req, void *arg)
{
    sipc_data *d = arg;
    size_t holds;
    Sipc__Data__DeleteRequest *m = (Sipc__Data__DeleteRequest *)data_request_unpack(
        d, DATA_WRITES, req, &sipc__data__delete_request__descriptor, &holds);
    if (!m)
        return;
    char err[256];
    int rc = data_validate_id(&m->id, &d->o, err, sizeof err);
    if (rc != 0) {
        sipc__data__delete_request__free_unpacked(m, NULL);
        sipc_respond_error(req, data_validate_status(rc), err);
        return;
    }
    enqueue(d, req, W_DELETE, &m->base, holds);
}

