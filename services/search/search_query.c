/* search_query.c - search.query, the coordinator: this node's search on the
 * thread pool and search.local on every peer, in parallel, within one
 * budget taken from the caller's deadline; each answer is merged as it
 * comes (so a query holds at most one merged answer and one arriving one);
 * parts that fail or miss the budget are named with the reason.
 *
 * Lifetime of a query: it is answered exactly once (all parts done, the
 * budget's timer, a bad query, or sipc_search_close), and freed once it is
 * answered, its calls have completed, its local search has called back and
 * its timer is closed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link_down.h"
#include "search_impl.h"

typedef struct part {
    struct search_query *q;
    search_peer *peer; /* NULL: this node */
    sipc_call_id call;
    int pending;       /* a call in flight, or the local search not yet back */
    int settled;       /* merged or named missing (or ignored: a peer that is us) */
} part;

typedef struct missing {
    char node[64];
    char address[200];
    char reason[400];
    int error;
} missing;

typedef struct search_query {
    struct search_query *next, **pprev;
    sipc_search *s;
    sipc_request *req;  /* NULL once answered */
    uint8_t *payload;   /* the checked request re-encoded, as peers get it */
    size_t payload_len;
    size_t limit;
    Sipc__Search__Order order;
    uint32_t budget_ms;
    uv_timer_t timer;
    int timer_open;
    part *parts;        /* [0] this node, then one per peer */
    size_t nparts;
    unsigned calls;     /* calls in flight */
    unsigned hold;      /* a loop over its parts is running: do not free */
    int partial;        /* a node is missing (even if listing it failed) */
    int local_running;  /* this node's search has not called back */
    /* the merged answer */
    Sipc__Search__Hit **hits;
    size_t nhits;
    int more, truncated;
    int bounded;        /* bound below is set */
    Sipc__Search__Hit bound; /* hits after this one are not known to be complete */
    char bound_node[64];
    char bound_id[260];
    char **answered;
    size_t nanswered;
    missing *miss;
    size_t nmiss;
} search_query;

/* ----------------------------------------------------------------- order */

static int cmp_bytes(const ProtobufCBinaryData *a, const ProtobufCBinaryData *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->data, b->data, n) : 0;
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

static int cmp_hits(const Sipc__Search__Hit *a, const Sipc__Search__Hit *b,
                    Sipc__Search__Order order)
{
    if (order == SIPC__SEARCH__ORDER__RANK && a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    if (a->timestamp_ms != b->timestamp_ms)
        return a->timestamp_ms > b->timestamp_ms ? -1 : 1;
    int c = cmp_bytes(&a->node, &b->node);
    return c ? c : cmp_bytes(&a->id, &b->id);
}

/* qsort has no argument: the order of the merge running now (one loop
 * thread, no reentrancy). */
static Sipc__Search__Order sort_order;

static int cmp_sort(const void *x, const void *y)
{
    return cmp_hits(*(Sipc__Search__Hit *const *)x, *(Sipc__Search__Hit *const *)y, sort_order);
}

static size_t hit_bytes(const Sipc__Search__Hit *h)
{
    return sipc__search__hit__get_packed_size(h) + 8;
}

/* ----------------------------------------------------------------- merge */

static void set_bound(search_query *q, const Sipc__Search__Hit *h)
{
    if (q->bounded && cmp_hits(h, &q->bound, q->order) >= 0)
        return;
    q->bounded = 1;
    sipc__search__hit__init(&q->bound);
    q->bound.timestamp_ms = h->timestamp_ms;
    q->bound.rank = h->rank;
    size_t nl = h->node.len < sizeof q->bound_node ? h->node.len : sizeof q->bound_node;
    size_t il = h->id.len < sizeof q->bound_id ? h->id.len : sizeof q->bound_id;
    if (nl)
        memcpy(q->bound_node, h->node.data, nl);
    if (il)
        memcpy(q->bound_id, h->id.data, il);
    q->bound.node.data = (uint8_t *)q->bound_node;
    q->bound.node.len = nl;
    q->bound.id.data = (uint8_t *)q->bound_id;
    q->bound.id.len = il;
}

static int add_answered(search_query *q, const ProtobufCBinaryData *node)
{
    char **a = realloc(q->answered, (q->nanswered + 1) * sizeof *a);
    if (!a)
        return SIPC_ENOMEM;
    q->answered = a;
    a[q->nanswered] = malloc(node->len + 1);
    if (!a[q->nanswered])
        return SIPC_ENOMEM;
    if (node->len)
        memcpy(a[q->nanswered], node->data, node->len);
    a[q->nanswered][node->len] = '\0';
    q->nanswered++;
    return 0;
}

static int was_answered(const search_query *q, const ProtobufCBinaryData *node)
{
    for (size_t i = 0; i < q->nanswered; i++)
        if (strlen(q->answered[i]) == node->len && !memcmp(q->answered[i], node->data, node->len))
            return 1;
    return 0;
}

/* Merges one node's answer: its hits join the kept ones, all are sorted,
 * and only the first limit that fit in max_answer (and come before the
 * bound of any node whose answer was cut by its byte budget) stay. The
 * answer's hits are taken over or freed; r itself is freed. */
static int merge(search_query *q, Sipc__Search__QueryResponse *r)
{
    sipc_search *s = q->s;
    size_t n = q->nhits + r->n_hits;
    Sipc__Search__Hit **all = realloc(q->hits, (n ? n : 1) * sizeof *all);
    if (!all) {
        sipc__search__query_response__free_unpacked(r, NULL);
        return SIPC_ENOMEM;
    }
    q->hits = all;
    if (r->more)
        q->more = 1;
    /* A node's answer cut by its byte budget: its hits after its last one
     * are unknown, so no hit after that one can be given as complete. Each
     * node sends its hits in this same order. */
    if (r->truncated && r->n_hits)
        set_bound(q, r->hits[r->n_hits - 1]);
    for (size_t i = 0; i < r->n_hits; i++)
        all[q->nhits++] = r->hits[i];
    r->n_hits = 0;
    sipc__search__query_response__free_unpacked(r, NULL);
    sort_order = q->order;
    qsort(all, q->nhits, sizeof *all, cmp_sort);
    size_t keep = 0, bytes = 0;
    for (; keep < q->nhits; keep++) {
        if (keep == q->limit) {
            q->more = 1;
            break;
        }
        if (q->bounded && cmp_hits(all[keep], &q->bound, q->order) > 0) {
            q->more = q->truncated = 1;
            break;
        }
        size_t b = hit_bytes(all[keep]);
        if (keep > 0 && bytes + b > s->o.max_answer) {
            q->more = q->truncated = 1;
            break;
        }
        bytes += b;
    }
    for (size_t i = keep; i < q->nhits; i++)
        sipc__search__hit__free_unpacked(all[i], NULL);
    q->nhits = keep;
    return 0;
}

/* A node's answer joins the query: its id among the nodes answered, its
 * hits merged. r is freed either way; on failure the node is not counted
 * as answered (the caller lists it missing). */
static int take_answer(search_query *q, Sipc__Search__QueryResponse *r)
{
    ProtobufCBinaryData none = {0, NULL};
    if (add_answered(q, r->n_nodes_answered ? &r->nodes_answered[0] : &none) != 0) {
        sipc__search__query_response__free_unpacked(r, NULL);
        return SIPC_ENOMEM;
    }
    if (merge(q, r) != 0) {
        free(q->answered[--q->nanswered]);
        return SIPC_ENOMEM;
    }
    return 0;
}

/* --------------------------------------------------------------- answers */

static void add_missing(search_query *q, const char *node, const char *address, int error,
                        const char *reason)
{
    missing *m = realloc(q->miss, (q->nmiss + 1) * sizeof *m);
    if (!m)
        return; /* the answer still says partial: nodes_answered is short */
    q->miss = m;
    m += q->nmiss++;
    snprintf(m->node, sizeof m->node, "%s", node);
    snprintf(m->address, sizeof m->address, "%s", address);
    snprintf(m->reason, sizeof m->reason, "%s", reason);
    m->error = error;
}

static void query_maybe_free(search_query *q)
{
    if (q->req || q->calls || q->local_running || q->timer_open || q->hold)
        return;
    sipc_search *s = q->s;
    for (size_t i = 0; i < q->nhits; i++)
        sipc__search__hit__free_unpacked(q->hits[i], NULL);
    free(q->hits);
    for (size_t i = 0; i < q->nanswered; i++)
        free(q->answered[i]);
    free(q->answered);
    free(q->miss);
    free(q->parts);
    free(q->payload);
    *q->pprev = q->next;
    if (q->next)
        q->next->pprev = q->pprev;
    free(q);
    s->alive--;
    search_maybe_finish(s);
}

static void on_timer_closed(uv_handle_t *h)
{
    search_query *q = h->data;
    q->timer_open = 0;
    query_maybe_free(q);
}

/* Ends q's wait: stops the timer and takes the request (NULL when q was
 * answered already). */
static sipc_request *take_request(search_query *q)
{
    sipc_request *req = q->req;
    if (!req)
        return NULL;
    q->req = NULL;
    q->s->nqueries--;
    /* its own search is no longer wanted: it ends inside SQLite (until it
     * calls back it still counts in nlocal) */
    if (q->local_running)
        sipc_data_search_cancel(q->s->data, &q->parts[0]);
    if (q->timer_open && !uv_is_closing((uv_handle_t *)&q->timer))
        uv_close((uv_handle_t *)&q->timer, on_timer_closed);
    return req;
}

static void answer_error(search_query *q, int status, const char *message)
{
    sipc_request *req = take_request(q);
    if (req)
        sipc_respond_error(req, status, message);
}

static void answer(search_query *q)
{
    Sipc__Search__QueryResponse resp = SIPC__SEARCH__QUERY_RESPONSE__INIT;
    resp.hits = q->hits;
    resp.n_hits = q->nhits;
    resp.more = q->more;
    resp.truncated = q->truncated;
    resp.partial = q->partial;
    ProtobufCBinaryData *ans = calloc(q->nanswered + 1, sizeof *ans);
    Sipc__Search__MissingNode *mv = calloc(q->nmiss + 1, sizeof *mv);
    Sipc__Search__MissingNode **mp = calloc(q->nmiss + 1, sizeof *mp);
    if (!ans || !mv || !mp) {
        free(ans);
        free(mv);
        free(mp);
        answer_error(q, SIPC_ENOMEM, "out of memory");
        return;
    }
    for (size_t i = 0; i < q->nanswered; i++) {
        ans[i].data = (uint8_t *)q->answered[i];
        ans[i].len = strlen(q->answered[i]);
    }
    for (size_t i = 0; i < q->nmiss; i++) {
        sipc__search__missing_node__init(&mv[i]);
        mv[i].node.data = (uint8_t *)q->miss[i].node;
        mv[i].node.len = strlen(q->miss[i].node);
        mv[i].address.data = (uint8_t *)q->miss[i].address;
        mv[i].address.len = strlen(q->miss[i].address);
        mv[i].reason.data = (uint8_t *)q->miss[i].reason;
        mv[i].reason.len = strlen(q->miss[i].reason);
        mv[i].error = q->miss[i].error;
        mp[i] = &mv[i];
    }
    resp.nodes_answered = ans;
    resp.n_nodes_answered = q->nanswered;
    resp.nodes_missing = mp;
    resp.n_nodes_missing = q->nmiss;
    size_t len = sipc__search__query_response__get_packed_size(&resp);
    uint8_t *buf = malloc(len ? len : 1);
    if (buf)
        sipc__search__query_response__pack(&resp, buf);
    free(ans);
    free(mv);
    free(mp);
    sipc_request *req = take_request(q);
    if (req && buf)
        sipc_respond(req, buf, len);
    else if (req)
        sipc_respond_error(req, SIPC_ENOMEM, "out of memory");
    free(buf);
}

/* Completes q's calls still in flight (each at once, into its part). */
static void cancel_calls(search_query *q)
{
    q->hold++;
    for (size_t i = 1; i < q->nparts; i++)
        if (q->parts[i].pending && q->parts[i].peer->ch)
            sipc_call_cancel(q->parts[i].peer->ch, q->parts[i].call);
    q->hold--;
}

/* Answers once every part has settled. */
static void maybe_answer(search_query *q)
{
    for (size_t i = 0; i < q->nparts; i++)
        if (!q->parts[i].settled)
            return;
    answer(q);
}

/* ----------------------------------------------------------------- parts */

/* This node's own part runs at most max_local_ms, as a peer's search.local
 * does: past it, every node's part ends at that limit alike. */
static uint32_t local_timeout_of(const sipc_search *s, uint32_t budget)
{
    return budget < s->o.max_local_ms ? budget : s->o.max_local_ms;
}

/* Why a peer's call failed, in words. */
static void peer_reason(const search_query *q, const search_peer *p, int err,
                        const sipc_reply *rep, char *out, size_t n)
{
    const char *msg = rep && rep->message ? rep->message : "";
    if (err == SIPC_ETIMEDOUT && sipc_channel_is_down(p->ch, NULL)) {
        int last = sipc_channel_last_error(p->ch);
        snprintf(out, n, "%s (no connection within %u ms: %s)", sipc_strerror(last),
                 q->budget_ms, sipc_channel_last_detail(p->ch));
    } else if (err == SIPC_ETIMEDOUT && rep && rep->status == SIPC_ETIMEDOUT && *msg) {
        /* the peer's answer (its search stopped: after how long, and
         * whether it ever began), not this node's wait for it */
        snprintf(out, n, "%s", msg);
    } else if (err == SIPC_ETIMEDOUT) {
        snprintf(out, n, "timed out after %u ms", q->budget_ms);
    } else if (err == SIPC_EREMOTE) {
        snprintf(out, n, "remote error %s (status %d): %s", sipc_search_status_name(rep->status),
                 rep->status, msg);
    } else if (!*msg || strstr(msg, sipc_strerror(err)) == msg) {
        snprintf(out, n, "%s", *msg ? msg : sipc_strerror(err));
    } else {
        snprintf(out, n, "%s: %s", sipc_strerror(err), msg);
    }
}

static void part_missing(part *pt, int err, const char *reason)
{
    search_query *q = pt->q;
    const search_peer *p = pt->peer;
    pt->settled = 1;
    q->partial = 1;
    if (p)
        add_missing(q, p->node, p->address, err, reason);
    else
        add_missing(q, q->s->node, q->s->address, err, reason);
}

/* A peer that names itself by this node's id, when the peers are others
 * only: two nodes share an id, and taking its hits for this node's (or
 * leaving them out silently) would hide a node. */
static void part_same_id(part *pt)
{
    char why[300];
    snprintf(why, sizeof why,
             "not merged: it names itself %s, this node's id: node ids must be unique ([node] "
             "id in each sipc.conf)",
             pt->q->s->node);
    part_missing(pt, SIPC_ECONFIG, why);
}

static void on_peer_answer(int err, const sipc_reply *rep, void *arg)
{
    part *pt = arg;
    search_query *q = pt->q;
    search_peer *p = pt->peer;
    pt->pending = 0;
    q->calls--;
    if (!q->req || pt->settled) {
        query_maybe_free(q);
        return;
    }
    Sipc__Search__QueryResponse *r = NULL;
    if (p->self) {
        pt->settled = 1; /* found to be this node meanwhile: its hits are local */
    } else if (err == 0 &&
               !(r = sipc__search__query_response__unpack(NULL, rep->len, rep->data))) {
        err = SIPC_EPROTO;
        part_missing(pt, err, "its answer is not a sipc.search.QueryResponse");
    } else if (err != 0) {
        char why[400];
        /* the peer's search stopped at its own budget, before this call's
         * deadline: its status says so (the library gives SIPC_EREMOTE for
         * every status a handler chooses), and it counts as a timeout */
        if (err == SIPC_EREMOTE && rep->status == SIPC_ETIMEDOUT)
            err = SIPC_ETIMEDOUT;
        peer_reason(q, p, err, rep, why, sizeof why);
        part_missing(pt, err, why);
    } else {
        ProtobufCBinaryData none = {0, NULL};
        const ProtobufCBinaryData *who = r->n_nodes_answered ? &r->nodes_answered[0] : &none;
        int ours = who->len == strlen(q->s->node) && !memcmp(who->data, q->s->node, who->len);
        if (ours && q->s->o.others_only) {
            part_same_id(pt);
            sipc__search__query_response__free_unpacked(r, NULL);
        } else if (ours) {
            pt->settled = 1;
            /* this node, reached over the network: its hits are in already */
            if (!p->self)
                search_log(q->s, SIPC_LOG_INFO, "Peer %s answers as this node (%s)", p->address,
                           q->s->node);
            p->self = 1;
            sipc__search__query_response__free_unpacked(r, NULL);
        } else if (was_answered(q, who)) {
            /* two nodes of one id: merged, its hits would carry the other's
             * name and the answer count one node twice */
            search_log(q->s, SIPC_LOG_WARN,
                       "Peer %s answers as node %.*s, which answered already: node ids must be "
                       "unique; its hits are left out and it is listed missing",
                       p->address, (int)who->len, (const char *)who->data);
            char why[300];
            snprintf(why, sizeof why,
                     "not merged: it names itself %.*s, as another node that answered does: "
                     "node ids must be unique ([node] id in each sipc.conf)",
                     (int)(who->len < 64 ? who->len : 64), (const char *)who->data);
            part_missing(pt, SIPC_ECONFIG, why);
            sipc__search__query_response__free_unpacked(r, NULL);
        } else {
            pt->settled = 1;
            if (take_answer(q, r) != 0)
                part_missing(pt, SIPC_ENOMEM, "out of memory while merging its answer");
        }
    }
    maybe_answer(q);
    query_maybe_free(q);
}

/* The reason of this node's part that timed out, whichever came first (the
 * budget's timer, or its search's callback at the same deadline): the same
 * words, saying its search does not go on. */
static const char *stopped_text(char *why, size_t n)
{
    size_t w = strlen(why);
    snprintf(why + w, n - w, " (this node's search is stopped)");
    return why;
}

static void on_local_answer(int err, const char *message, const sipc_data_hit *hits, size_t n,
                            int more, void *arg)
{
    part *pt = arg;
    search_query *q = pt->q;
    sipc_search *s = q->s;
    pt->pending = 0;
    q->local_running = 0;
    s->nlocal--;
    if (q->req && !pt->settled) {
        uint8_t *buf = NULL;
        size_t len = 0;
        Sipc__Search__QueryResponse *r = NULL;
        if (err == SIPC_EINVAL) {
            /* the query itself is wrong: every node would say so */
            answer_error(q, SIPC_SEARCH_BAD_QUERY, message);
        } else if (err == SIPC_ETIMEDOUT) {
            char why[400];
            search_timeout_reason(s, local_timeout_of(s, q->budget_ms), q->budget_ms,
                                  search_waited(message), why, sizeof why);
            part_missing(pt, err, stopped_text(why, sizeof why));
        } else if (err != 0) {
            char why[400];
            snprintf(why, sizeof why, "%s: %s",
                     err == SIPC_ECLOSING ? "data service is shutting down" : "storage", message);
            part_missing(pt, err, why);
        } else if (search_pack_local(s, hits, n, more, q->limit, &buf, &len) != 0 ||
                   !(r = sipc__search__query_response__unpack(NULL, len, buf)) ||
                   take_answer(q, r) != 0) {
            part_missing(pt, SIPC_ENOMEM, "out of memory while merging this node's hits");
        } else {
            pt->settled = 1;
        }
        free(buf);
        if (q->req)
            maybe_answer(q);
        if (!q->req)
            cancel_calls(q); /* answered (a bad query): the calls still out are moot */
    }
    query_maybe_free(q); /* a close waiting for q goes on from there */
}

/* The budget ran out: what has not answered is missing, and the answer goes
 * now. */
static void on_budget(uv_timer_t *t)
{
    search_query *q = t->data;
    char why[400];
    for (size_t i = 0; i < q->nparts; i++) {
        part *pt = &q->parts[i];
        if (pt->settled)
            continue;
        if (!pt->peer) {
            /* its search is still on the way: whether it ever began is the
             * data service's to say */
            search_timeout_reason(q->s, local_timeout_of(q->s, q->budget_ms), q->budget_ms,
                                  sipc_data_search_waiting(q->s->data, pt), why, sizeof why);
            part_missing(pt, SIPC_ETIMEDOUT, stopped_text(why, sizeof why));
        } else {
            peer_reason(q, pt->peer, SIPC_ETIMEDOUT, NULL, why, sizeof why);
            part_missing(pt, SIPC_ETIMEDOUT, why);
        }
    }
    answer(q);
    cancel_calls(q); /* they complete into settled parts */
    query_maybe_free(q);
}

void search_abort_queries(sipc_search *s, int calls_live)
{
    for (search_query *q = s->queries, *next; q; q = next) {
        next = q->next;
        answer_error(q, SIPC_SEARCH_CLOSING, "search service is shutting down");
        if (calls_live)
            cancel_calls(q);
        query_maybe_free(q);
    }
}

/* ------------------------------------------------------------- the query */

/* The budget: the caller's remaining deadline less a margin for the way
 * back, or the default when it sent none (search_req_take refused a
 * deadline that has passed). */
static uint32_t budget_of(const sipc_search *s, sipc_request *req)
{
    int64_t left = sipc_request_deadline_ms(req);
    if (left < 0)
        return 0;
    if (left == 0)
        left = s->o.default_deadline_ms;
    left -= search_margin_ms(left);
    return left < 1 ? 1 : left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
}

static void start_peers(search_query *q)
{
    for (size_t i = 1; i < q->nparts; i++) {
        part *pt = &q->parts[i];
        search_peer *p = pt->peer;
        if (p->self || !p->ch) {
            pt->settled = 1; /* this node: its hits come from the local part */
            continue;
        }
        if (p->same_id) {
            part_same_id(pt);
            continue;
        }
        /* a peer known down is not waited for: the rest answer now */
        char down[96];
        if (sipc_link_known_down(p->ch, SIPC_LINK_DOWN_MS, down, sizeof down)) {
            char why[400];
            /* the link's last error is what took it down, not what befell this search:
             * the reason says the search was never sent, then that error's detail */
            snprintf(why, sizeof why, "not asked: %s: %s", down, sipc_channel_last_detail(p->ch));
            part_missing(pt, sipc_channel_last_error(p->ch), why);
            sipc_channel_redial_soon(p->ch); /* not called: bring its redial forward */
            continue;
        }
        int rc = sipc_call_ex(p->ch, SIPC_SEARCH_SERVICE, "local", q->payload, q->payload_len,
                              q->budget_ms, on_peer_answer, pt, &pt->call);
        if (rc != 0) {
            char why[400];
            peer_reason(q, p, rc, NULL, why, sizeof why);
            part_missing(pt, rc, why);
            continue;
        }
        pt->pending = 1;
        q->calls++;
    }
}

void search_h_query(sipc_request *req, void *arg)
{
    sipc_search *s = arg;
    uint32_t budget = budget_of(s, req);
    search_req r;
    /* a query takes a place among the queries and, for its own part, one
     * among the local searches (counted until that search calls back) */
    unsigned full = s->nqueries >= s->o.max_queries || s->nlocal >= s->o.max_local;
    if (search_req_take(s, req, full, 1, &r) != 0)
        return;
    r.q.timeout_ms = local_timeout_of(s, budget);
    char err[512];
    search_query *q = calloc(1, sizeof *q);
    if (q) {
        q->parts = calloc(1 + s->npeers, sizeof *q->parts);
        if (search_req_pack(&r, &q->payload, &q->payload_len) != 0)
            q->payload = NULL;
    }
    if (!q || !q->parts || !q->payload) {
        if (q) {
            free(q->parts);
            free(q->payload);
        }
        free(q);
        search_req_free(&r);
        sipc_respond_error(req, SIPC_ENOMEM, "out of memory");
        return;
    }
    q->s = s;
    q->limit = r.limit;
    q->order = r.order;
    q->budget_ms = budget;
    q->nparts = 1 + s->npeers;
    for (size_t i = 0; i < q->nparts; i++) {
        q->parts[i].q = q;
        q->parts[i].peer = i ? &s->peers[i - 1] : NULL;
    }
    /* this node first: a query it refuses at once is refused as a whole */
    int rc = sipc_data_search(s->data, &r.q, on_local_answer, &q->parts[0], err, sizeof err);
    search_req_free(&r);
    if (rc == SIPC_EINVAL || rc == SIPC_ETOOBIG || rc == SIPC_ENOMEM) {
        free(q->parts);
        free(q->payload);
        free(q);
        sipc_respond_error(req, search_status_of_data(rc), err);
        return;
    }
    q->req = req;
    s->nqueries++;
    s->alive++;
    q->next = s->queries;
    if (q->next)
        q->next->pprev = &q->next;
    q->pprev = &s->queries;
    s->queries = q;
    if (rc == 0) {
        q->local_running = 1;
        q->parts[0].pending = 1;
        s->nlocal++;
    } else {
        part_missing(&q->parts[0], rc, err);
    }
    uv_timer_init(sipc_ctx_loop(s->ctx), &q->timer);
    q->timer.data = q;
    q->timer_open = 1;
    uv_timer_start(&q->timer, on_budget, budget, 0);
    start_peers(q);
    maybe_answer(q);
    query_maybe_free(q);
}
