/* pipeline_ingest.c - pipeline.ingest: decode and check the request, take
 * credit from the window (or wait for it in a bounded FIFO, or answer BUSY),
 * cut the records into batches per destination, and answer the producer
 * with one result per record once every batch has its outcome.
 *
 * Credit. A request is admitted when its records and bytes fit the window
 * (max_inflight_records, max_inflight_bytes) next to the requests already
 * admitted, or when nothing is admitted (so a request up to the limits always
 * gets through alone). It keeps its credit until it is answered: the records
 * are held in memory until then anyway. A request that does not fit waits,
 * in arrival order, while the bytes of waiting requests stay under
 * max_waiting_bytes; beyond that, and beyond max_conn_records for one
 * producer connection, the answer is BUSY at once. A waiting request is
 * answered BUSY when its deadline comes before its credit. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str_copy.h"
#include "data_service.h"
#include "pb_budget.h"
#include "pipeline_impl.h"

/* ----------------------------------------------------------- accounting */

/* Counts r (n records) against the connection it came on (c, up), making
 * the entry when there is none. An entry found by c's address belongs to c
 * only while its requests still say they came on c: once a context's close
 * gave up on them (their connection gone, perhaps freed and another made at
 * its address), they say none, and the entry is left to them, unlisted, so
 * that the new connection starts from nothing. 0 or SIPC_ENOMEM. */
static int conn_take(sipc_pipeline *p, pl_req *r, const sipc_conn *c)
{
    pl_conn *e = NULL;
    for (pl_conn **pp = &p->conns; *pp; pp = &(*pp)->next) {
        if ((*pp)->conn != c)
            continue;
        e = *pp;
        if (sipc_request_conn(e->reqs->req) != c) {
            *pp = e->next;
            e->listed = 0;
            e = NULL;
        }
        break;
    }
    if (!e) {
        e = calloc(1, sizeof *e);
        if (!e)
            return SIPC_ENOMEM;
        e->conn = c;
        e->listed = 1;
        e->next = p->conns;
        p->conns = e;
    }
    r->conn = e;
    r->conn_prev = NULL;
    r->conn_next = e->reqs;
    if (e->reqs)
        e->reqs->conn_prev = r;
    e->reqs = r;
    e->records += r->n;
    return 0;
}

/* Takes r off its connection's count, forgetting the connection when it
 * has no request left (before r is answered: the answer may free the
 * connection). */
static void conn_put(pl_req *r)
{
    pl_conn *e = r->conn;
    assert(e->records >= r->n);
    e->records -= r->n;
    if (r->conn_prev)
        r->conn_prev->conn_next = r->conn_next;
    else
        e->reqs = r->conn_next;
    if (r->conn_next)
        r->conn_next->conn_prev = r->conn_prev;
    r->conn = NULL;
    if (e->reqs)
        return;
    if (e->listed) {
        pl_conn **pp = &r->p->conns;
        while (*pp != e)
            pp = &(*pp)->next;
        *pp = e->next;
    }
    free(e);
}

static int has_credit(const sipc_pipeline *p, const pl_req *r)
{
    if (p->st.inflight_records == 0)
        return 1;
    return p->st.inflight_records + r->n <= p->o.max_inflight_records &&
           p->st.inflight_bytes + r->bytes <= p->o.max_inflight_bytes;
}

static void req_free(pl_req *r)
{
    if (r->msg)
        sipc__pipeline__ingest_request__free_unpacked(r->msg, NULL);
    for (size_t i = 0; i < r->nreasons; i++)
        free(r->reasons[i]);
    free(r->reasons);
    free(r->recs);
    free(r);
}

/* Answers a request that was never admitted with an error and frees it. */
static void req_refuse(pl_req *r, int status, const char *msg)
{
    sipc_pipeline *p = r->p;
    conn_put(r);
    p->st.requests++;
    p->st.busy += status == SIPC_PIPELINE_BUSY;
    sipc_request *req = r->req;
    req_free(r);
    sipc_respond_error(req, status, msg);
}

const char *pl_req_reason(pl_req *r, const char *reason)
{
    /* batches of one request mostly fail for one reason: keep each once */
    for (size_t i = r->nreasons; i-- > 0;)
        if (!strcmp(r->reasons[i], reason))
            return r->reasons[i];
    if (r->nreasons == r->capreasons) {
        size_t cap = r->capreasons ? 2 * r->capreasons : 4;
        char **nr = realloc(r->reasons, cap * sizeof *nr);
        if (!nr)
            return NULL;
        r->reasons = nr;
        r->capreasons = cap;
    }
    char *s = strdup(reason);
    if (!s)
        return NULL;
    r->reasons[r->nreasons++] = s;
    return s;
}

/* ------------------------------------------------------------ admission */

/* Sets bit d of r->dups for each destination d that two records of r with
 * the same id go to (a hash set of the records' indexes, twice as many
 * slots as records; r->recs[].dest already set). 0 or SIPC_ENOMEM. */
_Static_assert(SIPC_PIPELINE_MAX_DESTS <= 32, "r->dups has a bit per destination");
static int find_dups(pl_req *r)
{
    size_t cap = 16;
    while (cap < 2 * r->n)
        cap *= 2;
    uint32_t *slot = calloc(cap, sizeof *slot); /* record index + 1; 0: empty */
    if (!slot)
        return SIPC_ENOMEM;
    for (size_t i = 0; i < r->n; i++) {
        const ProtobufCBinaryData *id = &r->msg->records[i]->id;
        uint64_t h = 14695981039346656037ull; /* FNV-1a */
        for (size_t k = 0; k < id->len; k++)
            h = (h ^ id->data[k]) * 1099511628211ull;
        size_t j = (size_t)(h ^ (h >> 29)) & (cap - 1);
        for (; slot[j]; j = (j + 1) & (cap - 1)) {
            const ProtobufCBinaryData *o = &r->msg->records[slot[j] - 1]->id;
            if (o->len == id->len && (id->len == 0 || !memcmp(o->data, id->data, id->len))) {
                r->dups |= 1u << r->recs[i].dest;
                break;
            }
        }
        if (!slot[j])
            slot[j] = (uint32_t)i + 1;
    }
    free(slot);
    return 0;
}

/* Cuts the records of r into batches per destination (request order kept
 * within a destination) and queues them; when an id repeats in r, the
 * batches of r for the destination it goes to are chained to go one at a
 * time (a batch
 * retried after a BUSY would otherwise be stored after a later one holding
 * the same id). Returns 0 or SIPC_ENOMEM (nothing queued then). */
static int cut_batches(pl_req *r)
{
    sipc_pipeline *p = r->p;
    size_t n = r->n;
    uint32_t *order = malloc((n ? n : 1) * sizeof *order);
    size_t *size = malloc((n ? n : 1) * sizeof *size);
    size_t count[SIPC_PIPELINE_MAX_DESTS] = {0};
    size_t start[SIPC_PIPELINE_MAX_DESTS + 1];
    pl_batch *made = NULL, **tail = &made;
    int rc = order && size ? 0 : SIPC_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const Sipc__Data__Record *rec = r->msg->records[i];
        size_t d = r->to >= 0 ? (size_t)r->to : sipc_pipeline_route(p, rec->id.data, rec->id.len);
        r->recs[i].dest = (uint8_t)d;
        count[d]++;
        size[i] = sipc__data__record__get_packed_size(rec) + 8; /* + tag and length */
    }
    if (rc == 0)
        rc = find_dups(r);
    if (rc == 0) {
        /* a counting sort by destination keeps request order inside each */
        start[0] = 0;
        for (size_t d = 0; d < p->ndests; d++)
            start[d + 1] = start[d] + count[d];
        size_t pos[SIPC_PIPELINE_MAX_DESTS];
        memcpy(pos, start, sizeof pos);
        for (size_t i = 0; i < n; i++)
            order[pos[r->recs[i].dest]++] = (uint32_t)i;
    }
    for (size_t d = 0; rc == 0 && d < p->ndests; d++) {
        size_t i = start[d];
        pl_batch *prev = NULL; /* the destination's batch before, when an id repeats there */
        while (rc == 0 && i < start[d + 1]) {
            size_t j = i, bytes = 0;
            while (j < start[d + 1] && j - i < p->o.batch_records &&
                   (j == i || bytes + size[order[j]] <= p->o.batch_bytes))
                bytes += size[order[j++]];
            pl_batch *b = pl_batch_new(r, &p->dests[d], j - i);
            if (!b) {
                rc = SIPC_ENOMEM;
                break;
            }
            memcpy(b->idx, order + i, (j - i) * sizeof *order);
            *tail = b;
            tail = &b->next;
            if (r->dups & (1u << d)) {
                if (prev)
                    prev->then = b;
                prev = b;
            }
            i = j;
        }
    }
    free(order);
    free(size);
    if (rc != 0) {
        while (made) {
            pl_batch *b = made;
            made = b->next;
            free(b);
        }
        return rc;
    }
    /* queue them only now: a push may start a call; a batch chained after
     * another is queued when that one has its outcome */
    int used[SIPC_PIPELINE_MAX_DESTS] = {0};
    pl_batch *first[SIPC_PIPELINE_MAX_DESTS] = {NULL};
    for (pl_batch *b = made; b; b = b->next)
        if (!first[b->d->index])
            first[b->d->index] = b;
    while (made) {
        pl_batch *b = made;
        made = b->next;
        r->open++;
        used[b->d->index] = 1;
        if (!(r->dups & (1u << b->d->index)) || b == first[b->d->index])
            pl_dest_push(b->d, b);
        else
            b->next = NULL;
    }
    for (size_t d = 0; d < p->ndests; d++)
        if (used[d])
            pl_dest_pump(&p->dests[d]);
    return 0;
}

static void admit(pl_req *r)
{
    sipc_pipeline *p = r->p;
    p->st.inflight_records += r->n;
    p->st.inflight_bytes += r->bytes;
    if (p->st.inflight_records > p->st.peak_inflight_records)
        p->st.peak_inflight_records = p->st.inflight_records;
    if (p->st.inflight_bytes > p->st.peak_inflight_bytes)
        p->st.peak_inflight_bytes = p->st.inflight_bytes;
    if (r->n == 0) {
        pl_req_done(r);
        return;
    }
    /* a pump inside cut_batches may finish every batch at once (a closing
     * link fails calls synchronously): hold the request open meanwhile */
    r->open = 1;
    if (cut_batches(r) != 0) {
        r->open--;
        p->st.inflight_records -= r->n;
        p->st.inflight_bytes -= r->bytes;
        req_refuse(r, SIPC_ENOMEM, "out of memory");
        return;
    }
    if (--r->open == 0)
        pl_req_done(r);
}

void pl_admit_waiting(sipc_pipeline *p)
{
    while (!p->closing && p->wait_head && has_credit(p, p->wait_head)) {
        pl_req *r = p->wait_head;
        p->wait_head = r->next;
        if (!p->wait_head)
            p->wait_tail = &p->wait_head;
        r->next = NULL;
        p->st.waiting_requests--;
        p->st.waiting_bytes -= r->bytes;
        if (!sipc_request_conn(r->req) || uv_now(p->loop) >= r->give_up)
            /* the producer left, or gave up: nothing was sent, it resends */
            req_refuse(r, SIPC_PIPELINE_BUSY, "no credit before the request's deadline; nothing was sent");
        else
            admit(r);
    }
}

void pl_sweep_waiting(sipc_pipeline *p, int all)
{
    uint64_t now = uv_now(p->loop);
    pl_req **pp = &p->wait_head;
    p->wait_tail = &p->wait_head;
    while (*pp) {
        pl_req *r = *pp;
        int gone = !sipc_request_conn(r->req);
        if (all || gone || now >= r->give_up) {
            *pp = r->next;
            p->st.waiting_requests--;
            p->st.waiting_bytes -= r->bytes;
            if (all)
                req_refuse(r, SIPC_PIPELINE_CLOSING, "the pipeline is shutting down; nothing was sent");
            else
                req_refuse(r, SIPC_PIPELINE_BUSY,
                           "no credit before the request's deadline; nothing was sent");
        } else {
            pp = &r->next;
            p->wait_tail = &r->next;
        }
    }
}

/* --------------------------------------------------------------- answer */

/* An answer repeats each record's reason (a data service's reason is up to
 * about 1.2 KiB), so one with many refused records can outgrow the frame the
 * producer accepts; SIPC_ETOOBIG would then lose every result, the committed
 * ones too. Instead the answer is made to fit in steps: a reason already
 * given for an earlier record is referred to (reason_of), then every reason
 * is cut to ANSWER_REASON_CUT bytes, then left out (status and data_status
 * stay). */
#define ANSWER_REASON_CUT 160

static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Gives each result its reason, or refers it to the first result with the
 * same text. By text, not by the interned string: reasons that differ only
 * past the cut are one once cut. */
static int answer_refer(pl_req *r, Sipc__Pipeline__RecordResult *res)
{
    size_t k = r->nreasons;
    char **sorted = malloc((k ? k : 1) * sizeof *sorted);
    size_t *run = malloc((k ? k : 1) * sizeof *run);
    uint32_t *first = calloc(k ? k : 1, sizeof *first);
    if (!sorted || !run || !first) {
        free(sorted);
        free(run);
        free(first);
        return SIPC_ENOMEM;
    }
    memcpy(sorted, r->reasons, k * sizeof *sorted);
    qsort(sorted, k, sizeof *sorted, by_text);
    /* equal texts share the first of their run, whichever bsearch finds */
    for (size_t j = 0; j < k; j++)
        run[j] = j && !strcmp(sorted[j], sorted[j - 1]) ? run[j - 1] : j;
    for (size_t i = 0; i < r->n; i++) {
        const char *why = r->recs[i].reason;
        res[i].reason = (char *)(why ? why : "");
        res[i].reason_of = 0;
        if (!why)
            continue;
        char **at = bsearch(&why, sorted, k, sizeof *sorted, by_text);
        assert(at);
        uint32_t *f = &first[run[at - sorted]];
        if (*f) {
            res[i].reason = "";
            res[i].reason_of = *f;
        } else {
            *f = (uint32_t)i + 1;
        }
    }
    free(sorted);
    free(run);
    free(first);
    return 0;
}

/* Cuts every reason to ANSWER_REASON_CUT bytes, between UTF-8 characters,
 * in place: the request's reasons are not needed after its answer. */
static void answer_cut(pl_req *r)
{
    static const char more[] = " ...";
    for (size_t k = 0; k < r->nreasons; k++) {
        char *why = r->reasons[k];
        if (strlen(why) < ANSWER_REASON_CUT)
            continue;
        char cut[ANSWER_REASON_CUT - sizeof more + 1];
        sipc_str_copy_utf8(cut, sizeof cut, why);
        size_t n = strlen(cut);
        memcpy(why, cut, n);
        memcpy(why + n, more, sizeof more);
    }
}

void pl_req_done(pl_req *r)
{
    sipc_pipeline *p = r->p;
    assert(r->open == 0);
    Sipc__Pipeline__IngestResponse m = SIPC__PIPELINE__INGEST_RESPONSE__INIT;
    Sipc__Pipeline__RecordResult *res = calloc(r->n ? r->n : 1, sizeof *res);
    Sipc__Pipeline__RecordResult **resp = calloc(r->n ? r->n : 1, sizeof *resp);
    uint8_t *buf = NULL;
    size_t len = 0;
    if (res && resp) {
        for (size_t i = 0; i < r->n; i++) {
            const pl_rec *x = &r->recs[i];
            sipc__pipeline__record_result__init(&res[i]);
            res[i].id = r->msg->records[i]->id;
            assert(x->status != 0);
            res[i].status = (Sipc__Pipeline__RecordStatus)x->status;
            res[i].node = p->dests[x->dest].name;
            res[i].reason = (char *)(x->reason ? x->reason : "");
            res[i].data_status = x->data_status;
            resp[i] = &res[i];
            m.committed += x->status == SIPC__PIPELINE__RECORD_STATUS__COMMITTED;
            m.rejected += x->status == SIPC__PIPELINE__RECORD_STATUS__REJECTED;
            m.unavailable += x->status == SIPC__PIPELINE__RECORD_STATUS__UNAVAILABLE;
        }
        m.results = resp;
        m.n_results = r->n;
        m.created = r->created;
        m.unchanged = r->unchanged;
        m.replaced = r->replaced;
        size_t max = sipc_request_answer_max(r->req);
        len = sipc__pipeline__ingest_response__get_packed_size(&m);
        if (len > max && max) {
            int rc = answer_refer(r, res);
            len = sipc__pipeline__ingest_response__get_packed_size(&m);
            if (rc == 0 && len > max) {
                answer_cut(r);
                (void)answer_refer(r, res); /* on failure the cut texts are given whole */
                len = sipc__pipeline__ingest_response__get_packed_size(&m);
            }
            if (len > max) {
                for (size_t i = 0; i < r->n; i++) {
                    res[i].reason = "";
                    res[i].reason_of = 0;
                }
                len = sipc__pipeline__ingest_response__get_packed_size(&m);
            }
        }
        buf = malloc(len ? len : 1);
        if (buf)
            sipc__pipeline__ingest_response__pack(&m, buf);
    }
    p->st.requests++;
    p->st.committed += m.committed;
    p->st.rejected += m.rejected;
    p->st.unavailable += m.unavailable;
    p->st.inflight_records -= r->n;
    p->st.inflight_bytes -= r->bytes;
    conn_put(r);
    sipc_request *req = r->req;
    if (buf)
        sipc_respond(req, buf, len);
    else
        sipc_respond_error(req, SIPC_ENOMEM, "out of memory building the answer");
    free(buf);
    free(res);
    free(resp);
    req_free(r);
    pl_admit_waiting(p);
}

/* -------------------------------------------------------------- handler */

static int find_dest(const sipc_pipeline *p, const char *name)
{
    for (size_t i = 0; i < p->ndests; i++)
        if (!strcmp(p->dests[i].name, name))
            return (int)i;
    for (size_t i = 0; i < p->ndests; i++)
        if (p->dests[i].node_id[0] && !strcmp(p->dests[i].node_id, name))
            return (int)i;
    return -1;
}

static void unknown_node(sipc_pipeline *p, sipc_request *req, const char *name)
{
    char msg[1024];
    size_t k = (size_t)snprintf(msg, sizeof msg, "to_node '%.100s' is not a destination; they are:",
                                name);
    for (size_t i = 0; i < p->ndests && k < sizeof msg; i++)
        k += (size_t)snprintf(msg + k, sizeof msg - k, "%s %s%s%s%s", i ? "," : "",
                              p->dests[i].name, p->dests[i].node_id[0] ? " (node " : "",
                              p->dests[i].node_id, p->dests[i].node_id[0] ? ")" : "");
    sipc_respond_error(req, SIPC_PIPELINE_UNKNOWN_NODE, msg);
}

void pl_on_ingest(sipc_request *req, void *arg)
{
    sipc_pipeline *p = arg;
    if (p->closing) {
        sipc_respond_error(req, SIPC_PIPELINE_CLOSING, "the pipeline is shutting down; nothing was sent");
        return;
    }
    int64_t deadline = sipc_request_deadline_ms(req);
    if (deadline < 0) {
        sipc_respond_error(req, SIPC_ETIMEDOUT, "the request's deadline passed before it was read");
        return;
    }
    size_t len;
    const uint8_t *data = sipc_request_data(req, &len);
    if (len > p->o.max_inflight_bytes) {
        char msg[160];
        snprintf(msg, sizeof msg, "request of %zu bytes exceeds the pipeline's window of %zu bytes",
                 len, p->o.max_inflight_bytes);
        sipc_respond_error(req, SIPC_PIPELINE_TOO_LARGE, msg);
        return;
    }
    /* A request holds its payload and its decoded records until it is
     * answered, and is charged both: one that would decode past what is left
     * of the window after its payload could never be admitted. */
    size_t dec_budget = sipc_pb_budget(len, p->o.max_request_records * (1 + p->o.max_attributes));
    int windowed = dec_budget > p->o.max_inflight_bytes - len;
    if (windowed)
        dec_budget = p->o.max_inflight_bytes - len;
    ProtobufCMessage *um;
    size_t held;
    char uerr[320];
    int urc = sipc_pb_unpack(&sipc__pipeline__ingest_request__descriptor, data, len, dec_budget, &um,
                             &held, uerr, sizeof uerr);
    if (urc == SIPC_ETOOBIG && windowed) {
        snprintf(uerr, sizeof uerr,
                 "request of %zu bytes decodes to more than the %zu bytes left of the pipeline's "
                 "window of %zu bytes after its payload",
                 len, dec_budget, p->o.max_inflight_bytes);
    }
    if (urc == SIPC_ETOOBIG) {
        sipc_respond_error(req, SIPC_PIPELINE_TOO_LARGE, uerr);
        return;
    }
    if (urc != 0) {
        sipc_respond_error(req, SIPC_PIPELINE_BAD_REQUEST, "payload is not a pipeline IngestRequest");
        return;
    }
    Sipc__Pipeline__IngestRequest *msg = (Sipc__Pipeline__IngestRequest *)um;
    char why[200];
    int status = 0, to = -1;
    if (msg->n_records > p->o.max_request_records) {
        snprintf(why, sizeof why, "%zu records exceed the maximum of %zu in one request",
                 msg->n_records, p->o.max_request_records);
        status = SIPC_PIPELINE_TOO_LARGE;
    } else if (msg->to_node && *msg->to_node && (to = find_dest(p, msg->to_node)) < 0) {
        unknown_node(p, req, msg->to_node);
        sipc__pipeline__ingest_request__free_unpacked(msg, NULL);
        return;
    }
    const sipc_conn *conn = sipc_request_conn(req);
    pl_req *r = NULL;
    if (status == 0 && conn) {
        r = calloc(1, sizeof *r);
        pl_rec *recs = calloc(msg->n_records ? msg->n_records : 1, sizeof *recs);
        if (r) {
            r->p = p;
            r->req = req;
            r->n = msg->n_records;
        }
        if (!r || !recs || conn_take(p, r, conn) != 0) {
            free(recs);
            free(r);
            r = NULL;
            snprintf(why, sizeof why, "out of memory");
            status = SIPC_ENOMEM;
        } else {
            r->recs = recs;
        }
    }
    if (status != 0 || !conn) {
        sipc__pipeline__ingest_request__free_unpacked(msg, NULL);
        if (status)
            sipc_respond_error(req, status, why);
        else
            sipc_respond(req, NULL, 0); /* the producer left: the answer is dropped */
        return;
    }
    r->msg = msg;
    r->bytes = len + held;
    r->to = to;
    /* answer a little before the producer stops waiting, so it hears the outcome */
    uint64_t budget = p->o.max_retry_ms;
    if (deadline > 0) {
        uint64_t margin = (uint64_t)deadline / 10 < 1000 ? (uint64_t)deadline / 10 : 1000;
        if ((uint64_t)deadline - margin < budget)
            budget = (uint64_t)deadline - margin;
    }
    r->give_up = uv_now(p->loop) + (budget ? budget : 1);
    size_t had = r->conn->records - r->n;
    if (had && r->conn->records > p->o.max_conn_records) {
        snprintf(why, sizeof why,
                 "this connection has %zu records in the pipeline already (at most %zu); retry later",
                 had, p->o.max_conn_records);
        req_refuse(r, SIPC_PIPELINE_BUSY, why);
        return;
    }
    if (!p->wait_head && has_credit(p, r)) {
        admit(r);
        return;
    }
    if (p->wait_head && p->st.waiting_bytes + r->bytes > p->o.max_waiting_bytes) {
        snprintf(why, sizeof why,
                 "the pipeline is full (%zu records in flight, %zu requests waiting); retry later",
                 p->st.inflight_records, p->st.waiting_requests);
        req_refuse(r, SIPC_PIPELINE_BUSY, why);
        return;
    }
    *p->wait_tail = r;
    p->wait_tail = &r->next;
    p->st.waiting_requests++;
    p->st.waiting_bytes += r->bytes;
    pl_tick_arm(p);
}
