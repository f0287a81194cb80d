/* pipeline_deliver.c - delivery of batches to the data services: one call
 * per batch (data.put_batch, or data.put for a single record), at most
 * dest_calls in flight per destination, retries with exponential backoff
 * and jitter until the request's deadline, and the outcome of each record.
 *
 * How an answer is judged:
 *   success                      -> COMMITTED (the data service answers after its commit)
 *   INVALID or TOO_LARGE, or the batch exceeds the link's frame limit:
 *       a batch of several       -> split in two halves, each sent again, until the
 *                                   records the data service refuses are alone
 *       a single record          -> REJECTED with the data service's reason; not retried
 *   BUSY, CLOSING, a lost connection, a full write queue, any other
 *   transport error              -> retried after a backoff, while the deadline allows
 *   STORAGE (a full disk, an I/O error: not transient by nature)
 *                                -> the destination's storage is failing: that batch is
 *                                   sent once more after retry_min_ms; while it fails, one
 *                                   call at a time probes it, and each STORAGE answer makes
 *                                   that batch and those queued behind it UNAVAILABLE at
 *                                   once ("storage failing on NODE (ADDR): REASON"), so
 *                                   that a full node does not hold every request to its
 *                                   deadline. A success ends it (what is queued goes), and
 *                                   so do PL_STORAGE_FAILING_MS without a STORAGE answer
 *   the deadline                 -> UNAVAILABLE with the last error ("data service ADDR:
 *                                   ERROR; retried until the request's deadline"), or
 *                                   what kept the batch (its link, the calls before it)
 *   no data service there (ENOMETHOD), BAD_REQUEST -> UNAVAILABLE at once
 *   nothing at all (a node stopped, cut off: pipeline_silence.c judges it
 *   unresponsive)                -> its calls cancelled, their records, those
 *                                   queued and its new ones UNAVAILABLE at once
 *                                   until anything comes from it
 * A call made while the link is reconnecting waits in the channel, which
 * redials by itself, so a destination that comes back before the deadline
 * gets its records. A link down for SIPC_LINK_DOWN_MS (a node gone, cut off)
 * is down: its batches are UNAVAILABLE at once, so that the other
 * destinations' records of the same requests are not held to the deadline
 * with them. put_batch is all or none and puts are idempotent, so sending a
 * batch again after a lost answer can only turn into UNCHANGED records.
 * A request in which an id repeats has its batches of one destination
 * chained (then): each is queued when the one before has its outcome, and
 * a split batch's halves likewise, so that a retry is never overtaken by a
 * later record of its id. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str_copy.h"
#include "data_service.h"
#include "pipeline_impl.h"
#include "link_down.h"

pl_batch *pl_batch_new(pl_req *r, pl_dest *d, size_t n)
{
    pl_batch *b = calloc(1, sizeof *b + n * sizeof b->idx[0]);
    if (!b)
        return NULL;
    b->r = r;
    b->d = d;
    b->n = n;
    b->backoff_ms = d->p->o.retry_min_ms;
    return b;
}

void pl_dest_push(pl_dest *d, pl_batch *b)
{
    b->next = NULL;
    *d->ready_tail = b;
    d->ready_tail = &b->next;
}

static void push_front(pl_dest *d, pl_batch *b)
{
    b->next = d->ready;
    d->ready = b;
    if (d->ready_tail == &d->ready)
        d->ready_tail = &b->next;
}

static pl_batch *pop(pl_dest *d)
{
    pl_batch *b = d->ready;
    if (b) {
        d->ready = b->next;
        if (!d->ready)
            d->ready_tail = &d->ready;
        b->next = NULL;
    }
    return b;
}

static void fly(pl_dest *d, pl_batch *b)
{
    if (!d->calls) {
        /* its silence counts from now at the earliest */
        d->busy_since = uv_now(d->p->loop);
        pl_watch_arm(d->p);
    }
    b->prev = NULL;
    b->next = d->flying;
    if (d->flying)
        d->flying->prev = b;
    d->flying = b;
    d->calls++;
    d->p->st.calls++;
}

static void land(pl_dest *d, pl_batch *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        d->flying = b->next;
    if (b->next)
        b->next->prev = b->prev;
    b->next = b->prev = NULL;
    b->call = 0;
    d->calls--;
    d->p->st.calls--;
}

/* -------------------------------------------------------------- outcome */

/* Reasons are repeated in the answer for every record of a batch: at most
 * this many bytes, cut at a character boundary; room for a data service's
 * whole reason (PL_MSG_MAX) and what the pipeline says around it. */
#define REASON_MAX (PL_MSG_MAX + 200)

static void finish(pl_batch *b, int status, uint32_t data_status, const char *reason)
{
    pl_req *r = b->r;
    char cut[REASON_MAX + 1];
    if (reason && strlen(reason) > REASON_MAX) {
        sipc_str_copy_utf8(cut, sizeof cut, reason);
        reason = cut;
    }
    const char *kept = reason ? pl_req_reason(r, reason) : NULL;
    for (size_t i = 0; i < b->n; i++) {
        pl_rec *x = &r->recs[b->idx[i]];
        x->status = (uint8_t)status;
        x->data_status = data_status;
        x->reason = kept;
    }
    /* the next batch of its request and destination may go now, first:
     * its request was admitted before what queued meanwhile, and is held
     * back only for order. Every caller pumps that destination afterwards,
     * or is in a loop that takes its ready queue (a shutdown too: the pump
     * gives it up) */
    if (b->then)
        push_front(b->then->d, b->then);
    free(b);
    assert(r->open > 0);
    if (--r->open == 0)
        pl_req_done(r);
}

/* What kept a batch that no attempt failed for (sent: its call was made
 * and timed out; else it was still queued behind d's calls): its link's
 * state says. at_deadline: the deadline is why it is given up (not a
 * shutdown), which the queued case says. */
static void no_answer_cause(const pl_batch *b, int sent, int at_deadline, char *out, size_t n)
{
    const pl_dest *d = b->d;
    if (sipc_channel_is_down(d->ch, NULL))
        snprintf(out, n, "not connected: %s", sipc_channel_last_detail(d->ch));
    else if (!sipc_channel_is_up(d->ch))
        snprintf(out, n, "not sent: the link was still connecting");
    else if (sent)
        snprintf(out, n, "no answer in time");
    else
        snprintf(out, n, "not sent: still queued behind earlier calls to it (dest_calls at a "
                 "time)%s", at_deadline ? " at the deadline" : "");
}

/* what ends the reason of a batch that went out and got no answer */
static const char MAYBE_STORED[] =
    "; may still be stored: send them again (an id stored twice is `unchanged`)";

/* the deadline's give-ups pass this very string (give_up_cause tells them by it) */
static const char AT_DEADLINE[] = "not acknowledged before the request's deadline";

/* UNAVAILABLE: the deadline came, the pipeline closes, or the destination
 * cannot take records at all (why says which); cause says what was wrong
 * with the destination, NULL: the last attempt's error, or what kept the
 * batch. sent: the last attempt was sent and not answered, so the data
 * service may store the records all the same: the reason says so, or an
 * operator takes them as lost. */
static void give_up_cause(pl_batch *b, const char *why, const char *cause, int sent)
{
    char reason[PL_MSG_MAX + 400], kept[300]; /* cut by finish */
    if (!cause && b->last_msg[0])
        cause = b->last_msg;
    if (!cause) {
        no_answer_cause(b, 0, why == AT_DEADLINE, kept, sizeof kept);
        cause = kept;
    }
    if (why == AT_DEADLINE && cause == b->last_msg && b->last_err)
        /* attempts failed and were retried: their error is the cause, the
         * deadline only when the pipeline stopped trying */
        snprintf(reason, sizeof reason, "data service %s: %s; retried until the request's deadline",
                 b->d->name, cause);
    else
        snprintf(reason, sizeof reason, "%s (data service %s: %s)", why, b->d->name, cause);
    if (sent || b->maybe_stored) {
        size_t n = strlen(reason);
        snprintf(reason + n, sizeof reason - n, "%s", MAYBE_STORED);
    }
    finish(b, SIPC__PIPELINE__RECORD_STATUS__UNAVAILABLE, b->last_status, reason);
}

static void give_up(pl_batch *b, const char *why)
{
    give_up_cause(b, why, NULL, 0);
}

static void bisect(pl_batch *b)
{
    pl_dest *d = b->d;
    size_t h = b->n / 2;
    pl_batch *a = pl_batch_new(b->r, d, h), *c = pl_batch_new(b->r, d, b->n - h);
    if (!a || !c) {
        free(a);
        free(c);
        give_up(b, "out of memory");
        return;
    }
    memcpy(a->idx, b->idx, h * sizeof b->idx[0]);
    memcpy(c->idx, b->idx + h, (b->n - h) * sizeof b->idx[0]);
    b->r->open++;
    if (b->r->dups & (1u << d->index)) {
        /* an id may be in both halves: the second goes after the first */
        a->then = c;
        c->then = b->then;
    } else {
        push_front(d, c);
    }
    push_front(d, a);
    free(b);
}

static void retry(pl_batch *b)
{
    pl_dest *d = b->d;
    sipc_pipeline *p = d->p;
    uint32_t delay = pl_jitter(p, b->backoff_ms);
    b->backoff_ms = b->backoff_ms > p->o.retry_max_ms / 2 ? p->o.retry_max_ms : 2 * b->backoff_ms;
    uint64_t now = uv_now(p->loop);
    if (now + delay >= b->r->give_up) {
        give_up(b, AT_DEADLINE);
        return;
    }
    if (!d->failing) {
        d->failing = 1;
        pl_logf(p, SIPC_LOG_WARN, "data service %s: %s; retrying until each request's deadline",
                d->name, b->last_msg);
    }
    p->st.retries++;
    b->not_before = now + delay;
    b->next = p->delayed;
    p->delayed = b;
    pl_tick_arm(p);
}

/* ------------------------------------------------------ failing storage */

static int storage_failing(const pl_dest *d)
{
    return d->storage_until > uv_now(d->p->loop);
}

/* UNAVAILABLE at once: d's data service answered STORAGE and has not stored
 * anything since; the cause first, naming the node. */
static void refuse_storage(pl_batch *b)
{
    char who[300], reason[PL_MSG_MAX + 400]; /* cut by finish */
    pl_dest_label(b->d, who, sizeof who);
    snprintf(reason, sizeof reason, "storage failing on %s: %s", who, b->d->storage_msg);
    finish(b, SIPC__PIPELINE__RECORD_STATUS__UNAVAILABLE, SIPC__DATA__STATUS__STORAGE, reason);
}

/* UNAVAILABLE at once: d was judged unresponsive (pipeline_silence.c) and
 * nothing has come from it since. A batch that went out may be stored when
 * the node goes on: its producer's resend is then UNCHANGED. */
static void refuse_silent(pl_batch *b)
{
    char reason[600];
    pl_silent_reason(b->d, reason, sizeof reason);
    if (b->maybe_stored) {
        size_t n = strlen(reason);
        snprintf(reason + n, sizeof reason - n, "%s", MAYBE_STORED);
    }
    finish(b, SIPC__PIPELINE__RECORD_STATUS__UNAVAILABLE, 0, reason);
}

/* b was answered STORAGE (msg: the data service's reason). A full disk does
 * not empty itself within a request's deadline: d counts as failing, b gets
 * one more attempt when d was not failing yet (a passing error), else its
 * records are answered now. */
static void storage_failed(pl_batch *b, const char *msg)
{
    pl_dest *d = b->d;
    sipc_pipeline *p = d->p;
    int was = storage_failing(d);
    d->storage_until = uv_now(p->loop) + PL_STORAGE_FAILING_MS;
    sipc_str_copy_utf8(d->storage_msg, sizeof d->storage_msg, *msg ? msg : "STORAGE");
    if (!was) {
        d->failing = 1;
        pl_logf(p, SIPC_LOG_WARN,
                "data service %s: STORAGE: %s; its records are answered UNAVAILABLE at once "
                "(one call at a time probes it) until it stores again",
                d->name, d->storage_msg);
    }
    if (!was && !b->storage_retried) {
        b->storage_retried = 1;
        retry(b);
        return;
    }
    d->storage_answered = 1;
    refuse_storage(b);
}

/* An attempt failed with err (and the data service's status with
 * SIPC_EREMOTE): split, reject, retry or give up. */
static void attempt_failed(pl_batch *b, int err, uint32_t status, const char *msg, int sent)
{
    sipc_pipeline *p = b->d->p;
    /* the data service answers with a status; an error of the connection
     * (SIPC_EREMOTE with none: the peer's ERROR frame for the connection)
     * is no answer to this batch */
    int answered = err == SIPC_EREMOTE && status != 0;
    /* handed to the connection, which was then lost (closed, reset, silent,
     * a keepalive unanswered, garbled, or ended by the peer's ERROR), or
     * given up here (the pipeline closing cancels its calls: an answer
     * coming later is not heard): the batch may have been written and
     * committed before the answer was lost with it. An answer of the
     * peer's (no such method, shutting down, a data status) says it was
     * not. */
    int lost = sent && (sipc_err_classify(err) == SIPC_CLASS_IO || err == SIPC_EPROTO ||
                        (err == SIPC_EREMOTE && status == 0) || err == SIPC_ECANCELED);
    if (err == SIPC_ETIMEDOUT) {
        /* the call waited until the give-up time: say what kept it, which
         * is an earlier attempt's failure or the link's */
        if (!b->last_err)
            no_answer_cause(b, 1, 1, b->last_msg, sizeof b->last_msg);
        /* handed to the connection and not answered: the data service may
         * store the records after all */
        give_up_cause(b, AT_DEADLINE, NULL, sent);
        return;
    }
    b->last_err = err;
    b->last_status = answered ? status : 0;
    if (lost)
        b->maybe_stored = 1;
    /* written whole, then cut between characters */
    char full[PL_MSG_MAX + 100];
    if (answered)
        snprintf(full, sizeof full, "%s: %s", sipc_data_status_name((int)status), msg);
    else
        snprintf(full, sizeof full, "%s%s%s", sipc_strerror(err),
                 *msg && strcmp(msg, sipc_strerror(err)) ? ": " : "",
                 strcmp(msg, sipc_strerror(err)) ? msg : "");
    sipc_str_copy_utf8(b->last_msg, sizeof b->last_msg, full);
    int refused = (err == SIPC_EREMOTE && (status == SIPC__DATA__STATUS__INVALID ||
                                           status == SIPC__DATA__STATUS__TOO_LARGE)) ||
                  err == SIPC_ETOOBIG;
    if (refused && b->n > 1) {
        bisect(b);
        return;
    }
    if (refused) {
        char toobig[400];
        const char *reason = msg; /* finish cuts it, between characters */
        if (err == SIPC_ETOOBIG) {
            snprintf(toobig, sizeof toobig, "the record exceeds the frame limit of the link to %s",
                     b->d->name);
            reason = toobig;
        }
        finish(b, SIPC__PIPELINE__RECORD_STATUS__REJECTED,
               err == SIPC_ETOOBIG ? SIPC__DATA__STATUS__TOO_LARGE : status, reason);
        return;
    }
    /* cancelled because its destination went silent (pipeline_silence.c) */
    if (err == SIPC_ECANCELED && b->d->unresponsive && !p->closing) {
        refuse_silent(b);
        return;
    }
    /* SIPC_ECLOSING with no status of the peer's is this side's channel
     * closing (sipc_call_ex); in an answer it is the destination's
     * connection being replaced (GOAWAY) refusing a request it never
     * handled: sent again, on the connection the link dials next */
    if (p->closing || err == SIPC_ECANCELED || (err == SIPC_ECLOSING && status == 0)) {
        give_up(b, "the pipeline is shutting down");
        return;
    }
    if (err == SIPC_EREMOTE && status == SIPC__DATA__STATUS__STORAGE) {
        storage_failed(b, msg);
        return;
    }
    /* a sipc code the data service's handler answered with (SIPC_EREMOTE
     * with status SIPC_ENOMEM, say) is its passing trouble, but for
     * SIPC_EINVAL: the batch itself is refused */
    int peer_code = answered && (int32_t)status < 0;
    int final = err == SIPC_ENOMETHOD || err == SIPC_EINVAL ||
                (answered && (int32_t)status == SIPC_EINVAL) ||
                (answered && !peer_code && status != SIPC__DATA__STATUS__BUSY &&
                 status != SIPC__DATA__STATUS__CLOSING);
    if (final) {
        give_up(b, "the destination cannot store records");
        return;
    }
    retry(b);
}

/* ---------------------------------------------------------------- calls */

static void on_reply(int err, const sipc_reply *rep, void *arg)
{
    pl_batch *b = arg;
    pl_dest *d = b->d;
    sipc_pipeline *p = d->p;
    land(d, b);
    if (err == 0) {
        pl_req *r = b->r;
        if (b->n == 1) {
            Sipc__Data__PutResponse *m = sipc__data__put_response__unpack(NULL, rep->len, rep->data);
            if (m) {
                r->created += m->result == SIPC__DATA__PUT_RESULT__CREATED;
                r->unchanged += m->result == SIPC__DATA__PUT_RESULT__UNCHANGED;
                r->replaced += m->result == SIPC__DATA__PUT_RESULT__REPLACED;
                sipc__data__put_response__free_unpacked(m, NULL);
            }
        } else {
            Sipc__Data__PutBatchResponse *m =
                sipc__data__put_batch_response__unpack(NULL, rep->len, rep->data);
            if (m) {
                r->created += m->created;
                r->unchanged += m->unchanged;
                r->replaced += m->replaced;
                sipc__data__put_batch_response__free_unpacked(m, NULL);
            }
        }
        d->storage_until = 0;
        d->storage_answered = 0;
        if (d->failing) {
            d->failing = 0;
            pl_logf(p, SIPC_LOG_INFO, "data service %s acknowledges records again", d->name);
        }
        finish(b, SIPC__PIPELINE__RECORD_STATUS__COMMITTED, 0, NULL);
    } else {
        attempt_failed(b, err, (uint32_t)rep->status, rep->message ? rep->message : "",
                       rep->sent);
    }
    pl_dest_pump(d);
}

static void send_batch(pl_batch *b)
{
    pl_dest *d = b->d;
    sipc_pipeline *p = d->p;
    pl_req *r = b->r;
    if (p->closing) {
        give_up(b, "the pipeline is shutting down");
        return;
    }
    uint64_t now = uv_now(p->loop);
    if (now >= r->give_up) {
        give_up(b, AT_DEADLINE);
        return;
    }
    Sipc__Data__Record **v = NULL;
    const char *method = "put_batch";
    size_t len;
    uint8_t *buf;
    if (b->n == 1) {
        Sipc__Data__PutRequest m = SIPC__DATA__PUT_REQUEST__INIT;
        m.record = r->msg->records[b->idx[0]];
        method = "put";
        len = sipc__data__put_request__get_packed_size(&m);
        if ((buf = malloc(len ? len : 1)) != NULL)
            sipc__data__put_request__pack(&m, buf);
    } else {
        Sipc__Data__PutBatchRequest m = SIPC__DATA__PUT_BATCH_REQUEST__INIT;
        v = malloc(b->n * sizeof *v);
        buf = NULL;
        if (v) {
            for (size_t i = 0; i < b->n; i++)
                v[i] = r->msg->records[b->idx[i]];
            m.records = v;
            m.n_records = b->n;
            len = sipc__data__put_batch_request__get_packed_size(&m);
            if ((buf = malloc(len ? len : 1)) != NULL)
                sipc__data__put_batch_request__pack(&m, buf);
        }
    }
    if (!buf) {
        free(v);
        attempt_failed(b, SIPC_ENOMEM, 0, "out of memory", 0);
        return;
    }
    fly(d, b);
    int e = sipc_call_ex(d->ch, "data", method, buf, len, (uint32_t)(r->give_up - now), on_reply, b,
                         &b->call);
    free(buf);
    free(v);
    if (e != 0) {
        land(d, b);
        attempt_failed(b, e, 0, "", 0);
    }
}

/* Whether d's link is down, no longer reconnecting; why then says since
 * when. */
static int link_down(const pl_dest *d, char *why, size_t n)
{
    char down[96];
    if (!sipc_link_known_down(d->ch, d->p->o.link_down_ms, down, sizeof down))
        return 0;
    snprintf(why, n, "not sent: %s", down);
    return 1;
}

void pl_dest_pump(pl_dest *d)
{
    sipc_pipeline *p = d->p;
    /* finishing a batch answers its request, which admits waiting ones,
     * which queue batches here: this loop takes them, not a pump inside */
    if (d->pumping)
        return;
    d->pumping = 1;
    char why[120];
    if (d->ready && !p->closing && link_down(d, why, sizeof why)) {
        pl_batch *b;
        while ((b = pop(d)) != NULL)
            give_up_cause(b, why, sipc_channel_last_detail(d->ch), 0);
        /* no call waits to bring the redial forward: records for that node
         * are refused until it is up, not until the backoff's end */
        sipc_channel_redial_soon(d->ch);
    }
    /* a destination that went silent gets nothing: its PING is the probe */
    if (!p->closing && pl_dest_silent(d)) {
        pl_batch *b;
        while ((b = pop(d)) != NULL)
            refuse_silent(b);
        /* once its connection is given up, redial it soon, as for a link down */
        sipc_channel_redial_soon(d->ch);
    }
    /* a destination whose storage fails gets one call at a time (a probe,
     * so that its recovery is seen); what waited for a probe that was
     * answered STORAGE is answered now instead of waiting out its deadline.
     * Detached first: answering admits requests, whose batches wait for the
     * next probe. */
    int sick = !p->closing && storage_failing(d);
    if (sick && d->storage_answered) {
        pl_batch *b = d->ready;
        d->ready = NULL;
        d->ready_tail = &d->ready;
        d->storage_answered = 0;
        while (b) {
            pl_batch *next = b->next;
            b->next = NULL;
            refuse_storage(b);
            b = next;
        }
    }
    while (d->ready && (p->closing || d->calls < (sick ? 1u : p->o.dest_calls)))
        send_batch(pop(d));
    d->pumping = 0;
    /* batches left behind calls that may wait long for their link: the
     * tick gives up on them at their own deadline */
    if (d->ready)
        pl_tick_arm(p);
}

/* ----------------------------------------------------------------- tick */

void pl_deliver_tick(sipc_pipeline *p)
{
    uint64_t now = uv_now(p->loop);
    /* backoffs that ended go back to their queues */
    for (pl_batch **pp = &p->delayed; *pp;) {
        pl_batch *b = *pp;
        if (b->not_before <= now) {
            *pp = b->next;
            pl_dest_push(b->d, b);
        } else {
            pp = &b->next;
        }
    }
    /* batches queued behind calls that wait for a link: give up at the
     * deadline without waiting for those calls. Detach first: finishing
     * answers requests, which admits others, which queue new batches. */
    pl_batch *late = NULL;
    for (size_t i = 0; i < p->ndests; i++) {
        pl_dest *d = &p->dests[i];
        d->ready_tail = &d->ready;
        for (pl_batch **pp = &d->ready; *pp;) {
            pl_batch *b = *pp;
            if (b->r->give_up <= now) {
                *pp = b->next;
                b->next = late;
                late = b;
            } else {
                pp = &b->next;
                d->ready_tail = &b->next;
            }
        }
    }
    while (late) {
        pl_batch *b = late;
        late = b->next;
        give_up(b, AT_DEADLINE);
    }
    for (size_t i = 0; i < p->ndests; i++)
        pl_dest_pump(&p->dests[i]);
}

int pl_deliver_waiting(const sipc_pipeline *p)
{
    if (p->delayed)
        return 1;
    for (size_t i = 0; i < p->ndests; i++)
        if (p->dests[i].ready)
            return 1;
    return 0;
}

void pl_deliver_abort(sipc_pipeline *p)
{
    assert(p->closing);
    while (p->delayed) {
        pl_batch *b = p->delayed;
        p->delayed = b->next;
        give_up(b, "the pipeline is shutting down");
    }
    for (size_t i = 0; i < p->ndests; i++) {
        pl_dest *d = &p->dests[i];
        pl_batch *b;
        while ((b = pop(d)) != NULL)
            give_up(b, "the pipeline is shutting down");
        while (d->flying) {
            int e = sipc_call_cancel(d->ch, d->flying->call);
            assert(e == 0); /* its callback ran and took it off the list */
            (void)e;
        }
    }
}
