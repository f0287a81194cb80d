/* search_service.c - the search service object: options, open (one channel
 * per peer), register, close; the checks shared by both methods; this
 * node's answer; the search.local handler. The coordinator (search.query)
 * is in search_query.c. */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb_budget.h"
#include "search_impl.h"

enum { MAX_PEERS = 64 };

const char *sipc_search_status_name(int status)
{
    switch (status) {
    case SIPC_SEARCH_BAD_REQUEST:
        return "BAD_REQUEST";
    case SIPC_SEARCH_BAD_QUERY:
        return "BAD_QUERY";
    case SIPC_SEARCH_TOO_LARGE:
        return "TOO_LARGE";
    case SIPC_SEARCH_BUSY:
        return "BUSY";
    case SIPC_SEARCH_CLOSING:
        return "CLOSING";
    case SIPC_SEARCH_STORAGE:
        return "STORAGE";
    }
    return "UNKNOWN";
}

void sipc_search_options_init(sipc_search_options *o)
{
    memset(o, 0, sizeof *o);
    o->default_deadline_ms = 5000;
    o->default_limit = 100;
    o->max_limit = 1000;
    o->max_query = 4096;
    o->max_hit_body = 64 * 1024;
    o->max_answer = 8 * 1024 * 1024;
    o->max_queries = 16;
    o->max_local = 64;
    o->max_local_ms = 60000;
}

void search_log(const sipc_search *s, sipc_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sipc_log_vprintf(s->o.log, s->o.log_arg, level, "Service.Search", fmt, ap);
    va_end(ap);
}

/* A peer's search.local while its search runs. */
typedef struct local_job {
    sipc_search *s;
    sipc_request *req;
    size_t limit;
    uint32_t timeout_ms; /* what its search was given */
    int64_t asked_ms;    /* what its caller allowed */
    struct local_job *next, **pprev; /* s->locals */
} local_job;

/* ----------------------------------------------------------------- peers */

static void on_peer_closed(sipc_channel *ch, void *arg)
{
    (void)ch;
    sipc_search *s = arg;
    assert(s->channels_open > 0);
    s->channels_open--;
    search_maybe_finish(s);
}

static void close_peer_channel(search_peer *p)
{
    if (!p->ch)
        return;
    p->s->channels_open++;
    sipc_channel_close(p->ch, on_peer_closed, p->s);
    p->ch = NULL;
}

/* The hello names the node behind an address; an entry that is this node
 * itself is not called over the network. */
static void on_peer_conn(sipc_conn *conn, sipc_conn_event ev, int err, void *arg)
{
    (void)err;
    search_peer *p = arg;
    sipc_peer_info info;
    if (ev != SIPC_CONN_UP || sipc_conn_info(conn, &info) != 0)
        return;
    snprintf(p->node, sizeof p->node, "%s", info.peer_node);
    int same = !strcmp(p->node, p->s->node);
    if (p->s->o.others_only) {
        if (same && !p->same_id)
            search_log(p->s, SIPC_LOG_WARN,
                       "Peer %s announces this node's id %s: node ids must be unique; its "
                       "records are listed missing from every search until each node has its "
                       "own [node] id",
                       p->address, p->node);
        p->same_id = same;
    } else if (same && !p->self) {
        p->self = 1;
        search_log(p->s, SIPC_LOG_INFO,
                   "Peer %s is this node (node id %s): it is searched locally", p->address,
                   p->node);
        close_peer_channel(p);
    }
}

/* ------------------------------------------------------------ open/close */

static int copy_option(char *dst, size_t n, const char *src, const char *dflt, const char *what,
                       char *err, size_t errlen)
{
    src = src && *src ? src : dflt;
    if (strlen(src) >= n) {
        snprintf(err, errlen, "%s '%.40s...' is longer than %zu bytes", what, src, n - 1);
        return SIPC_EINVAL;
    }
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

static int check_options(const sipc_search_options *o, char *err, size_t errlen)
{
    if (!o->default_limit || !o->max_limit || o->default_limit > o->max_limit) {
        snprintf(err, errlen, "default_limit %zu must be 1..max_limit (%zu)", o->default_limit,
                 o->max_limit);
        return SIPC_EINVAL;
    }
    if (!o->max_query || !o->max_hit_body || !o->max_queries || !o->max_local ||
        !o->default_deadline_ms) {
        snprintf(err, errlen, "max_query, max_hit_body, max_queries, max_local and "
                              "default_deadline_ms must not be 0");
        return SIPC_EINVAL;
    }
    /* one hit with a whole (cut) body must fit in an answer */
    if (o->max_answer < o->max_hit_body + 64 * 1024) {
        snprintf(err, errlen, "max_answer %zu must be at least max_hit_body + 64 KiB (%zu)",
                 o->max_answer, o->max_hit_body + 64 * 1024);
        return SIPC_EINVAL;
    }
    if (o->npeers > MAX_PEERS || (o->npeers && !o->peers)) {
        snprintf(err, errlen, "%zu peers: at most %d, and peers must be given", o->npeers,
                 MAX_PEERS);
        return SIPC_EINVAL;
    }
    return 0;
}

int sipc_search_open(sipc_search **out, sipc_ctx *ctx, sipc_data *local,
                     const sipc_search_options *opts, char *err, size_t errlen)
{
    *out = NULL;
    sipc_search_options dflt;
    sipc_search_options_init(&dflt);
    const sipc_search_options *o = opts ? opts : &dflt;
    if (!ctx || !local) {
        snprintf(err, errlen, "a context and a data service are needed");
        return SIPC_EINVAL;
    }
    int rc = check_options(o, err, errlen);
    if (rc != 0)
        return rc;
    sipc_search *s = calloc(1, sizeof *s);
    if (!s || (o->npeers && !(s->peers = calloc(o->npeers, sizeof *s->peers)))) {
        free(s);
        snprintf(err, errlen, "out of memory");
        return SIPC_ENOMEM;
    }
    s->ctx = ctx;
    s->data = local;
    s->o = *o;
    s->o.peers = NULL;
    if (!s->o.max_local_ms) /* a caller's options from before it existed */
        s->o.max_local_ms = dflt.max_local_ms;
    rc = copy_option(s->node, sizeof s->node, o->node_id, sipc_ctx_node_id(ctx), "node_id", err,
                     errlen);
    if (rc == 0)
        rc = copy_option(s->address, sizeof s->address, o->address, "local", "address", err,
                         errlen);
    for (size_t i = 0; rc == 0 && i < o->npeers; i++) {
        const sipc_search_peer *pp = &o->peers[i];
        search_peer *p = &s->peers[i];
        p->s = s;
        if (!pp->host || !*pp->host || pp->port <= 0 || pp->port > 65535) {
            snprintf(err, errlen, "peer %zu: needs a host and a port 1..65535", i);
            rc = SIPC_EINVAL;
            break;
        }
        snprintf(p->address, sizeof p->address, strchr(pp->host, ':') ? "[%s]:%d" : "%s:%d",
                 pp->host, pp->port);
        rc = sipc_channel_open(&p->ch, ctx, pp->host, pp->port, NULL);
        if (rc != 0) {
            snprintf(err, errlen, "peer %s: %s", p->address, sipc_strerror(rc));
            break;
        }
        s->npeers = i + 1;
        /* a call made while a peer is down ends with the dial's reason
         * rather than waiting out the query's deadline */
        sipc_channel_set_fail_fast(p->ch, 1);
        sipc_channel_set_conn_cb(p->ch, on_peer_conn, p);
    }
    if (rc != 0) {
        /* the channels opened so far close with the context if not now */
        for (size_t i = 0; i < s->npeers; i++) {
            sipc_channel_set_conn_cb(s->peers[i].ch, NULL, NULL);
            sipc_channel_close(s->peers[i].ch, NULL, NULL);
        }
        free(s->peers);
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

static void h_local(sipc_request *req, void *arg);

int sipc_search_register(sipc_search *s, sipc_router *r)
{
    int rc = sipc_router_add(r, SIPC_SEARCH_SERVICE, "query", search_h_query, s);
    if (rc == 0)
        rc = sipc_router_add(r, SIPC_SEARCH_SERVICE, "local", h_local, s);
    if (rc == 0)
        s->router = r;
    return rc;
}

/* What the router serves once s is closing: s may be freed any time after,
 * and a request may still arrive on a listener that is not closed yet. */
static void h_closed(sipc_request *req, void *arg)
{
    (void)arg;
    sipc_respond_error(req, SIPC_SEARCH_CLOSING, "search service is shutting down");
}

void search_maybe_finish(sipc_search *s)
{
    if (!s->closing || s->finished || s->alive || s->nlocal || s->channels_open)
        return;
    s->finished = 1;
    void (*cb)(void *) = s->close_cb;
    void *arg = s->close_arg;
    free(s->peers);
    free(s);
    if (cb)
        cb(arg);
}

static void noop_post(sipc_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
}

void sipc_search_close(sipc_search *s, void (*cb)(void *arg), void *arg)
{
    if (s->closing)
        return;
    s->closing = 1;
    s->close_cb = cb;
    s->close_arg = arg;
    if (s->router) {
        sipc_router_add(s->router, SIPC_SEARCH_SERVICE, "query", h_closed, NULL);
        sipc_router_add(s->router, SIPC_SEARCH_SERVICE, "local", h_closed, NULL);
    }
    /* A context that is closing closes our channels itself (and completes
     * their calls); touching them later could reach freed memory. Posting
     * is how the public API tells: it refuses once the close began. */
    int ctx_closing = sipc_ctx_post(s->ctx, noop_post, NULL) == SIPC_ECLOSING;
    search_abort_queries(s, !ctx_closing);
    /* peers' searches stop too: the close waits for them (their callbacks
     * answer and unlink them) */
    for (local_job *j = s->locals; j; j = j->next)
        sipc_data_search_cancel(s->data, j);
    for (size_t i = 0; i < s->npeers; i++) {
        search_peer *p = &s->peers[i];
        if (!p->ch)
            continue;
        if (ctx_closing) {
            sipc_channel_set_conn_cb(p->ch, NULL, NULL);
            p->ch = NULL;
        } else {
            close_peer_channel(p);
        }
    }
    search_maybe_finish(s);
}

/* ------------------------------------------------------------- requests */

/* Embedded NULs would cut the strings handed to the data service. */
static int has_nul(const ProtobufCBinaryData *b)
{
    return b->len && memchr(b->data, 0, b->len) != NULL;
}

void search_req_free(search_req *r)
{
    free(r->buf);
    free(r->attrs);
    r->buf = NULL;
    r->attrs = NULL;
}

static int search_req_from(const sipc_search *s, const Sipc__Search__QueryRequest *m, search_req *r,
                    char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    if (m->query.len > s->o.max_query) {
        snprintf(err, errlen, "query of %zu bytes exceeds the maximum of %zu", m->query.len,
                 s->o.max_query);
        return SIPC_SEARCH_TOO_LARGE;
    }
    if (has_nul(&m->query)) {
        snprintf(err, errlen, "query contains U+0000");
        return SIPC_SEARCH_BAD_QUERY;
    }
    if (m->limit > s->o.max_limit) {
        snprintf(err, errlen, "limit %u exceeds the maximum of %zu", m->limit, s->o.max_limit);
        return SIPC_SEARCH_TOO_LARGE;
    }
    if (m->order != SIPC__SEARCH__ORDER__NEWEST && m->order != SIPC__SEARCH__ORDER__RANK) {
        snprintf(err, errlen, "unknown order %d (0 newest, 1 rank)", (int)m->order);
        return SIPC_SEARCH_BAD_QUERY;
    }
    /* the data service checks the count against its own limit */
    size_t need = m->query.len + 1;
    for (size_t i = 0; i < m->n_filters; i++) {
        const Sipc__Search__Attribute *a = m->filters[i];
        if (!a->key.len) {
            snprintf(err, errlen, "filter %zu: empty key", i);
            return SIPC_SEARCH_BAD_QUERY;
        }
        if (has_nul(&a->key) || has_nul(&a->value)) {
            snprintf(err, errlen, "filter %zu: contains U+0000", i);
            return SIPC_SEARCH_BAD_QUERY;
        }
        need += a->key.len + a->value.len + 2;
    }
    r->buf = malloc(need);
    r->attrs = m->n_filters ? calloc(m->n_filters, sizeof *r->attrs) : NULL;
    if (!r->buf || (m->n_filters && !r->attrs)) {
        search_req_free(r);
        snprintf(err, errlen, "out of memory");
        return SIPC_ENOMEM;
    }
    char *p = r->buf;
    r->q.match = p;
    if (m->query.len)
        memcpy(p, m->query.data, m->query.len);
    p[m->query.len] = '\0';
    p += m->query.len + 1;
    for (size_t i = 0; i < m->n_filters; i++) {
        const ProtobufCBinaryData *kv[2] = {&m->filters[i]->key, &m->filters[i]->value};
        for (int k = 0; k < 2; k++) {
            if (kv[k]->len)
                memcpy(p, kv[k]->data, kv[k]->len);
            p[kv[k]->len] = '\0';
            if (k == 0)
                r->attrs[i].key = p;
            else
                r->attrs[i].value = p;
            p += kv[k]->len + 1;
        }
    }
    r->limit = m->limit ? m->limit : s->o.default_limit;
    r->order = m->order;
    r->q.attrs = r->attrs;
    r->q.nattrs = m->n_filters;
    r->q.from_ms = m->since_ms;
    r->q.to_ms = m->until_ms;
    r->q.range_names[0] = "since_ms";
    r->q.range_names[1] = "until_ms";
    r->q.limit = r->limit;
    r->q.order = m->order == SIPC__SEARCH__ORDER__RANK ? SIPC_DATA_ORDER_RANK
                                                      : SIPC_DATA_ORDER_NEWEST;
    r->q.content = 1;
    r->q.body_max = s->o.max_hit_body;
    r->q.max_bytes = s->o.max_answer;
    return 0;
}

int search_req_pack(const search_req *r, uint8_t **out, size_t *outlen)
{
    Sipc__Search__QueryRequest m = SIPC__SEARCH__QUERY_REQUEST__INIT;
    Sipc__Search__Attribute *fa = NULL, **fp = NULL;
    if (r->q.nattrs) {
        fa = calloc(r->q.nattrs, sizeof *fa);
        fp = calloc(r->q.nattrs, sizeof *fp);
    }
    if (r->q.nattrs && (!fa || !fp)) {
        free(fa);
        free(fp);
        return SIPC_ENOMEM;
    }
    /* the strings are search_req_from's copies, checked free of U+0000 */
    m.query.data = (uint8_t *)r->q.match;
    m.query.len = strlen(r->q.match);
    for (size_t i = 0; i < r->q.nattrs; i++) {
        sipc__search__attribute__init(&fa[i]);
        fa[i].key.data = (uint8_t *)r->attrs[i].key;
        fa[i].key.len = strlen(r->attrs[i].key);
        fa[i].value.data = (uint8_t *)r->attrs[i].value;
        fa[i].value.len = strlen(r->attrs[i].value);
        fp[i] = &fa[i];
    }
    m.n_filters = r->q.nattrs;
    m.filters = fp;
    m.since_ms = r->q.from_ms;
    m.until_ms = r->q.to_ms;
    m.limit = (uint32_t)r->limit;
    m.order = r->order;
    size_t n = sipc__search__query_request__get_packed_size(&m);
    uint8_t *buf = malloc(n ? n : 1);
    if (buf)
        *outlen = sipc__search__query_request__pack(&m, buf);
    free(fa);
    free(fp);
    if (!buf)
        return SIPC_ENOMEM;
    *out = buf;
    return 0;
}

/* the most search_margin_ms keeps back */
enum { MARGIN_MAX_MS = 500 };

int64_t search_margin_ms(int64_t left)
{
    return left / 10 < MARGIN_MAX_MS ? left / 10 : MARGIN_MAX_MS;
}

int search_waited(const char *message)
{
    return message && strstr(message, SIPC_DATA_SEARCH_WAITED) != NULL;
}

void search_timeout_reason(const sipc_search *s, uint32_t timeout_ms, int64_t asked_ms,
                           int waited, char *out, size_t n)
{
    int w = snprintf(out, n, "timed out after %u ms%s", (unsigned)timeout_ms,
                     waited ? " " SIPC_DATA_SEARCH_WAITED : "");
    if (asked_ms > timeout_ms && timeout_ms == s->o.max_local_ms && w >= 0 && (size_t)w < n)
        snprintf(out + w, n - (size_t)w,
                 " (the most one search runs on node %s, max_local_ms; the caller allowed "
                 "%lld ms)",
                 s->node, (long long)asked_ms);
}

int search_status_of_data(int err)
{
    switch (err) {
    case SIPC_EINVAL:
        return SIPC_SEARCH_BAD_QUERY;
    case SIPC_ETOOBIG:
        return SIPC_SEARCH_TOO_LARGE;
    case SIPC_ECLOSING:
        return SIPC_SEARCH_CLOSING;
    case SIPC_ENOMEM:
        return SIPC_ENOMEM;
    case SIPC_ETIMEDOUT:
        return SIPC_ETIMEDOUT; /* the caller's deadline: not the database's fault */
    case SIPC_ECANCELED:
        return SIPC_SEARCH_CLOSING; /* a search.local is cancelled by the close only */
    }
    return SIPC_SEARCH_STORAGE;
}

static ProtobufCBinaryData text(const char *s, size_t n)
{
    ProtobufCBinaryData b = {n, (uint8_t *)s};
    return b;
}

int search_pack_local(const sipc_search *s, const sipc_data_hit *hits, size_t n, int more,
                      size_t limit, uint8_t **out, size_t *outlen)
{
    Sipc__Search__QueryResponse resp = SIPC__SEARCH__QUERY_RESPONSE__INIT;
    Sipc__Search__Hit *hv = n ? calloc(n, sizeof *hv) : NULL;
    Sipc__Search__Hit **hp = n ? calloc(n, sizeof *hp) : NULL;
    size_t na = 0;
    for (size_t i = 0; i < n; i++)
        na += hits[i].nattrs;
    Sipc__Search__Attribute *av = na ? calloc(na, sizeof *av) : NULL;
    Sipc__Search__Attribute **ap = na ? calloc(na, sizeof *ap) : NULL;
    int rc = SIPC_ENOMEM;
    if ((n && (!hv || !hp)) || (na && (!av || !ap)))
        goto out;
    ProtobufCBinaryData node = text(s->node, strlen(s->node));
    size_t a = 0;
    for (size_t i = 0; i < n; i++) {
        const sipc_data_hit *h = &hits[i];
        Sipc__Search__Hit *x = &hv[i];
        sipc__search__hit__init(x);
        x->id = text(h->id, strlen(h->id));
        x->timestamp_ms = h->timestamp_ms;
        x->node = node;
        x->rank = h->rank;
        x->body.data = (uint8_t *)h->body;
        x->body.len = h->body_len;
        x->body_size = h->body_size;
        x->attributes = ap + a;
        x->n_attributes = h->nattrs;
        for (size_t k = 0; k < h->nattrs; k++, a++) {
            sipc__search__attribute__init(&av[a]);
            av[a].key = text(h->attrs[k].key, strlen(h->attrs[k].key));
            av[a].value = text(h->attrs[k].value, strlen(h->attrs[k].value));
            ap[a] = &av[a];
        }
        hp[i] = x;
    }
    resp.hits = hp;
    resp.n_hits = n;
    resp.more = more != 0;
    /* fewer than asked and yet more: the data service's byte budget cut it */
    resp.truncated = more && n < limit;
    resp.nodes_answered = &node;
    resp.n_nodes_answered = 1;
    *outlen = sipc__search__query_response__get_packed_size(&resp);
    *out = malloc(*outlen ? *outlen : 1);
    if (*out) {
        sipc__search__query_response__pack(&resp, *out);
        rc = 0;
    }
out:
    free(hv);
    free(hp);
    free(av);
    free(ap);
    return rc;
}

/* ---------------------------------------------------------- search.local */


static void on_local_done(int err, const char *message, const sipc_data_hit *hits, size_t n,
                          int more, void *arg)
{
    local_job *j = arg;
    sipc_search *s = j->s;
    *j->pprev = j->next;
    if (j->next)
        j->next->pprev = j->pprev;
    if (err == SIPC_ETIMEDOUT) {
        /* said as the coordinator says its own part's, and it reaches the
         * coordinator before its call's deadline (h_local) */
        char why[512];
        search_timeout_reason(s, j->timeout_ms, j->asked_ms, search_waited(message), why,
                              sizeof why);
        sipc_respond_error(j->req, SIPC_ETIMEDOUT, why);
    } else if (err != 0) {
        sipc_respond_error(j->req, search_status_of_data(err), message);
    } else {
        uint8_t *buf = NULL;
        size_t len = 0;
        if (search_pack_local(s, hits, n, more, j->limit, &buf, &len) != 0)
            sipc_respond_error(j->req, SIPC_ENOMEM, "out of memory");
        else
            sipc_respond(j->req, buf, len);
        free(buf);
    }
    free(j);
    s->nlocal--;
    search_maybe_finish(s);
}

int search_req_take(sipc_search *s, sipc_request *req, unsigned in_flight, unsigned cap,
                    search_req *r)
{
    const char *refusal = NULL;
    int st = 0;
    if (s->closing) {
        st = SIPC_SEARCH_CLOSING;
        refusal = "search service is shutting down";
    } else if (sipc_request_deadline_ms(req) < 0) {
        st = SIPC_ETIMEDOUT;
        refusal = "the caller's deadline passed";
    } else if (in_flight >= cap) {
        st = SIPC_SEARCH_BUSY;
        refusal = "too many queries in flight on this node";
    }
    if (st != 0) {
        sipc_respond_error(req, st, refusal);
        return 1;
    }
    size_t len;
    const uint8_t *p = sipc_request_data(req, &len);
    /* filters beyond the data service's limit are refused anyway */
    sipc_data_options dl;
    sipc_data_options_get(s->data, &dl);
    ProtobufCMessage *um;
    char err[512];
    int rc = sipc_pb_unpack(&sipc__search__query_request__descriptor, p, len,
                            sipc_pb_budget(len, dl.max_attributes), &um, NULL, err, sizeof err);
    if (rc == SIPC_ETOOBIG) {
        sipc_respond_error(req, SIPC_SEARCH_TOO_LARGE, err);
        return 1;
    }
    if (rc != 0) {
        sipc_respond_error(req, SIPC_SEARCH_BAD_REQUEST,
                           "payload is not a sipc.search.QueryRequest");
        return 1;
    }
    Sipc__Search__QueryRequest *m = (Sipc__Search__QueryRequest *)um;
    st = search_req_from(s, m, r, err, sizeof err);
    sipc__search__query_request__free_unpacked(m, NULL);
    if (st != 0) {
        sipc_respond_error(req, st, err);
        return 1;
    }
    return 0;
}

static void h_local(sipc_request *req, void *arg)
{
    sipc_search *s = arg;
    search_req r;
    if (search_req_take(s, req, s->nlocal, s->o.max_local, &r) != 0)
        return;
    /* the search ends with the caller's wait for it, early enough for its
     * answer (timed out, and why) to get back before the caller gives up,
     * and within the most this node gives one */
    int64_t asked = sipc_request_deadline_ms(req);
    int64_t left = asked > 0 ? asked - search_margin_ms(asked) : s->o.default_deadline_ms;
    if (asked <= 0)
        asked = left;
    r.q.timeout_ms = left < s->o.max_local_ms ? (uint32_t)(left > 0 ? left : 1)
                                              : s->o.max_local_ms;
    char err[512];
    int st = 0;
    local_job *j = calloc(1, sizeof *j);
    if (!j) {
        st = SIPC_ENOMEM;
        snprintf(err, sizeof err, "out of memory");
    } else {
        j->s = s;
        j->req = req;
        j->limit = r.limit;
        j->timeout_ms = r.q.timeout_ms;
        j->asked_ms = asked;
        int rc = sipc_data_search(s->data, &r.q, on_local_done, j, err, sizeof err);
        if (rc != 0) {
            free(j);
            st = search_status_of_data(rc);
        } else {
            s->nlocal++;
            j->next = s->locals;
            if (j->next)
                j->next->pprev = &j->next;
            j->pprev = &s->locals;
            s->locals = j;
        }
    }
    search_req_free(&r);
    if (st != 0)
        sipc_respond_error(req, st, err);
}

void sipc_search_links(const sipc_search *s, void (*fn)(void *arg, const sipc_link_info *info),
                       void *arg)
{
    for (size_t i = 0; i < s->npeers; i++) {
        sipc_link_info li;
        if (s->peers[i].ch && sipc_channel_info(s->peers[i].ch, &li) == 0)
            fn(arg, &li);
    }
}
