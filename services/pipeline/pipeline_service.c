/* pipeline_service.c - the pipeline's object: options, the hash that picks
 * a destination, open (the links' context and one channel per
 * destination), the router entry, the tick, counters and shutdown. The
 * ingest handler and the credit window are in pipeline_ingest.c, delivery
 * to the data services (batches, calls, retries) in pipeline_deliver.c. */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data_service.h"
#include "pipeline_impl.h"

/* How often the tick looks at backoffs, deadlines and waiting requests. */
#define PL_TICK_MS 20
/* How often, at most, the watch looks for silent destinations (an eighth of
 * unresponsive_ms when that is shorter, PL_TICK_MS at the least). */
#define PL_LOOK_MS 250

void sipc_pipeline_options_init(sipc_pipeline_options *o)
{
    memset(o, 0, sizeof *o);
    o->max_inflight_records = 20000;
    o->max_inflight_bytes = 64u << 20;
    o->max_waiting_bytes = 64u << 20;
    o->max_conn_records = 2 * o->max_inflight_records;
    o->max_request_records = 10000;
    sipc_data_options dl;
    sipc_data_options_init(&dl);
    o->max_attributes = dl.max_attributes;
    o->batch_records = 500;
    o->batch_bytes = 4u << 20;
    o->dest_calls = 4;
    o->max_retry_ms = 30000;
    o->retry_min_ms = 50;
    o->retry_max_ms = 2000;
    o->link_down_ms = SIPC_LINK_DOWN_MS;
}

/* ---------------------------------------------------------------- hash */

#define FNV_OFFSET 14695981039346656037ull
#define FNV_PRIME 1099511628211ull

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *s = data;
    for (size_t i = 0; i < len; i++) {
        h ^= s[i];
        h *= FNV_PRIME;
    }
    return h;
}

/* FNV-1a alone lets ids that differ in their last byte keep close scores;
 * the splitmix64 finalizer spreads every input bit over the whole score. */
static uint64_t mix64(uint64_t z)
{
    z ^= z >> 30;
    z *= 0xbf58476d1ce4e5b9ull;
    z ^= z >> 27;
    z *= 0x94d049bb133111ebull;
    z ^= z >> 31;
    return z;
}

static uint64_t name_state(const char *name)
{
    static const unsigned char zero = 0;
    return fnv1a(fnv1a(FNV_OFFSET, name, strlen(name)), &zero, 1);
}

size_t sipc_pipeline_rendezvous(const char *const *names, size_t n, const void *id, size_t len)
{
    size_t best = 0;
    uint64_t top = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t s = mix64(fnv1a(name_state(names[i]), id, len));
        if (i == 0 || s > top) {
            top = s;
            best = i;
        }
    }
    return best;
}

size_t sipc_pipeline_route(const sipc_pipeline *p, const void *id, size_t len)
{
    /* the same as sipc_pipeline_rendezvous, with each name's state computed once */
    size_t best = 0;
    uint64_t top = 0;
    for (size_t i = 0; i < p->ndests; i++) {
        uint64_t s = mix64(fnv1a(p->dests[i].name_hash, id, len));
        if (i == 0 || s > top) {
            top = s;
            best = i;
        }
    }
    return best;
}

const char *sipc_pipeline_dest_name(const sipc_pipeline *p, size_t i)
{
    return i < p->ndests ? p->dests[i].name : NULL;
}

/* ------------------------------------------------------------- helpers */

void pl_logf(sipc_pipeline *p, sipc_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sipc_log_vprintf(p->log, p->log_arg, level, "Pipeline", fmt, ap);
    va_end(ap);
}

void pl_dest_label(const pl_dest *d, char *out, size_t n)
{
    if (d->node_id[0])
        snprintf(out, n, "%s (%s)", d->node_id, d->name);
    else
        snprintf(out, n, "%s", d->name);
}

uint32_t pl_jitter(sipc_pipeline *p, uint32_t ms)
{
    /* xorshift64: jitter needs spread, not secrecy */
    p->rng ^= p->rng << 13;
    p->rng ^= p->rng >> 7;
    p->rng ^= p->rng << 17;
    uint32_t half = ms / 2;
    return half + (uint32_t)(p->rng % (uint64_t)(ms - half + 1));
}

static void on_tick(uv_timer_t *t)
{
    sipc_pipeline *p = t->data;
    pl_deliver_tick(p);
    pl_sweep_waiting(p, 0);
    if (!pl_deliver_waiting(p) && !p->wait_head) {
        uv_timer_stop(&p->tick);
        p->tick_on = 0;
    }
}

void pl_tick_arm(sipc_pipeline *p)
{
    if (p->tick_on || p->closing)
        return;
    p->tick_on = 1;
    uv_timer_start(&p->tick, on_tick, PL_TICK_MS, PL_TICK_MS);
}

/* ---------------------------------------------------------------- open */

static void on_link(sipc_conn *conn, sipc_conn_event ev, int err, void *arg)
{
    pl_dest *d = arg;
    (void)err;
    if (ev != SIPC_CONN_UP)
        return;
    sipc_peer_info info;
    if (sipc_conn_info(conn, &info) == 0)
        snprintf(d->node_id, sizeof d->node_id, "%s", info.peer_node);
    pl_dest_heard(d);
    if (d->failing) {
        d->failing = 0;
        pl_logf(d->p, SIPC_LOG_INFO, "data service %s (node %s) is reachable again", d->name,
                d->node_id);
    }
}

static int check_options(sipc_pipeline_options *o, char *err, size_t errlen)
{
    sipc_pipeline_options def;
    sipc_pipeline_options_init(&def);
    /* zeros mean the defaults, as in sipc_options */
#define DEF(f)                                                                                 \
    if (!o->f)                                                                                 \
        o->f = def.f;
    DEF(max_inflight_records)
    DEF(max_inflight_bytes)
    DEF(max_waiting_bytes)
    DEF(max_request_records)
    DEF(max_attributes)
    DEF(batch_records)
    DEF(batch_bytes)
    DEF(dest_calls)
    DEF(max_retry_ms)
    DEF(retry_min_ms)
    DEF(retry_max_ms)
    DEF(link_down_ms)
#undef DEF
    if (!o->max_conn_records)
        o->max_conn_records = 2 * o->max_inflight_records;
    if (o->ndests == 0 || !o->dests) {
        snprintf(err, errlen, "the pipeline needs at least one destination");
        return SIPC_EINVAL;
    }
    if (o->ndests > SIPC_PIPELINE_MAX_DESTS) {
        snprintf(err, errlen, "%zu destinations exceed the maximum of %d", o->ndests,
                 SIPC_PIPELINE_MAX_DESTS);
        return SIPC_EINVAL;
    }
    if (o->max_request_records > o->max_inflight_records) {
        snprintf(err, errlen, "max_request_records (%zu) exceeds max_inflight_records (%zu)",
                 o->max_request_records, o->max_inflight_records);
        return SIPC_EINVAL;
    }
    if (o->max_request_records > UINT32_MAX / 2) {
        snprintf(err, errlen, "max_request_records of %zu is too large", o->max_request_records);
        return SIPC_EINVAL;
    }
    if (o->retry_max_ms < o->retry_min_ms)
        o->retry_max_ms = o->retry_min_ms;
    return 0;
}

static int set_dest(pl_dest *d, const sipc_pipeline_dest *in, char *err, size_t errlen)
{
    if (!in->host || !*in->host || in->port <= 0 || in->port > 65535) {
        snprintf(err, errlen, "destination %zu: needs a host and a port 1..65535", d->index);
        return SIPC_EINVAL;
    }
    if (snprintf(d->host, sizeof d->host, "%s", in->host) >= (int)sizeof d->host) {
        snprintf(err, errlen, "destination %zu: host is too long", d->index);
        return SIPC_EINVAL;
    }
    int n;
    if (in->name && *in->name)
        n = snprintf(d->name, sizeof d->name, "%s", in->name);
    else
        n = snprintf(d->name, sizeof d->name, strchr(in->host, ':') ? "[%s]:%d" : "%s:%d",
                     in->host, in->port);
    if (n >= (int)sizeof d->name) {
        snprintf(err, errlen, "destination %zu: name is too long", d->index);
        return SIPC_EINVAL;
    }
    d->port = in->port;
    d->name_hash = name_state(d->name);
    d->ready_tail = &d->ready;
    return 0;
}

static void free_links(sipc_pipeline *p)
{
    /* only on a failed open: nothing was sent yet */
    if (p->links) {
        sipc_ctx_close(p->links, NULL, NULL);
        p->links = NULL;
    }
}

int sipc_pipeline_open(sipc_pipeline **out, sipc_ctx *ctx, const sipc_pipeline_options *opts,
                       char *err, size_t errlen)
{
    *out = NULL;
    if (!ctx || !opts) {
        snprintf(err, errlen, "no context or no options");
        return SIPC_EINVAL;
    }
    sipc_pipeline *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return SIPC_ENOMEM;
    }
    p->o = *opts;
    int rc = check_options(&p->o, err, errlen);
    p->loop = sipc_ctx_loop(ctx);
    p->wait_tail = &p->wait_head;
    p->rng = (uint64_t)(uintptr_t)p ^ uv_hrtime() ^ 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; rc == 0 && i < p->o.ndests; i++) {
        pl_dest *d = &p->dests[i];
        d->p = p;
        d->index = i;
        rc = set_dest(d, &p->o.dests[i], err, errlen);
        for (size_t j = 0; rc == 0 && j < i; j++) {
            if (!strcmp(p->dests[j].name, d->name)) {
                snprintf(err, errlen, "destinations %zu and %zu are both named '%s'", j, i, d->name);
                rc = SIPC_EINVAL;
            }
        }
    }
    if (rc != 0) {
        free(p);
        return rc;
    }
    p->ndests = p->o.ndests;
    p->o.dests = NULL; /* copied into p->dests */
    sipc_options lo;
    if (opts->link_options) {
        lo = *opts->link_options;
    } else {
        sipc_options_init(&lo);
        lo.node_id = sipc_ctx_node_id(ctx);
        lo.cluster = sipc_ctx_cluster(ctx);
    }
    /* silence is judged by the links' keepalive PING: without it, never */
    if (!lo.keepalive_ms || !lo.keepalive_timeout_ms)
        p->o.unresponsive_ms = 0;
    else if (!p->o.unresponsive_ms)
        p->o.unresponsive_ms = lo.keepalive_timeout_ms / 2;
    p->look_ms = p->o.unresponsive_ms / 8 < PL_TICK_MS    ? PL_TICK_MS
                 : p->o.unresponsive_ms / 8 > PL_LOOK_MS ? PL_LOOK_MS
                                                          : p->o.unresponsive_ms / 8;
    p->log = lo.log ? lo.log : sipc_log_stderr;
    p->log_arg = lo.log ? lo.log_arg : NULL;
    p->o.link_options = NULL;
    p->o.link_security = NULL;
    sipc_security *sec = opts->link_security ? opts->link_security : sipc_ctx_security(ctx);
    rc = sipc_ctx_new(&p->links, p->loop, &lo, sec);
    if (rc != 0) {
        snprintf(err, errlen, "links context: %s", sipc_strerror(rc));
        free(p);
        return rc;
    }
    for (size_t i = 0; i < p->ndests; i++) {
        pl_dest *d = &p->dests[i];
        rc = sipc_channel_open(&d->ch, p->links, d->host, d->port, NULL);
        if (rc != 0) {
            snprintf(err, errlen, "destination %s: %s", d->name, sipc_strerror(rc));
            free_links(p);
            free(p);
            return rc;
        }
        sipc_channel_set_conn_cb(d->ch, on_link, d);
    }
    uv_timer_init(p->loop, &p->tick);
    p->tick.data = p;
    uv_timer_init(p->loop, &p->watch);
    p->watch.data = p;
    *out = p;
    return 0;
}

int sipc_pipeline_register(sipc_pipeline *p, sipc_router *r)
{
    return sipc_router_add(r, SIPC_PIPELINE_SERVICE, SIPC_PIPELINE_INGEST, pl_on_ingest, p);
}

void sipc_pipeline_stats_get(const sipc_pipeline *p, sipc_pipeline_stats *out)
{
    *out = p->st;
}

/* --------------------------------------------------------------- close */

static void close_step(sipc_pipeline *p)
{
    if (--p->close_pending > 0)
        return;
    void (*cb)(void *) = p->close_cb;
    void *arg = p->close_arg;
    free(p);
    if (cb)
        cb(arg);
}

static void on_timer_closed(uv_handle_t *h)
{
    close_step(h->data);
}

static void on_links_closed(sipc_ctx *ctx, void *arg)
{
    (void)ctx;
    close_step(arg);
}

void sipc_pipeline_close(sipc_pipeline *p, void (*cb)(void *arg), void *arg)
{
    assert(!p->closing);
    p->closing = 1;
    p->close_cb = cb;
    p->close_arg = arg;
    pl_sweep_waiting(p, 1);
    pl_deliver_abort(p);
    /* every request has been answered by now: nothing is left to deliver */
    assert(p->st.inflight_records == 0 && !p->wait_head && !p->conns);
    p->close_pending = 3;
    uv_timer_stop(&p->tick);
    uv_close((uv_handle_t *)&p->tick, on_timer_closed);
    uv_close((uv_handle_t *)&p->watch, on_timer_closed);
    sipc_ctx_close(p->links, on_links_closed, p);
}

sipc_ctx *sipc_pipeline_links_ctx(sipc_pipeline *p)
{
    return p && !p->closing ? p->links : NULL;
}

void sipc_pipeline_links(const sipc_pipeline *p, void (*fn)(void *arg, const sipc_link_info *info),
                         void *arg)
{
    for (size_t i = 0; i < p->ndests; i++) {
        sipc_link_info li;
        if (p->dests[i].ch && sipc_channel_info(p->dests[i].ch, &li) == 0)
            fn(arg, &li);
    }
}
