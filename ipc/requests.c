/* requests.c - requests a peer sends us: routed to a handler, which owns the
 * sipc_request until it answers. A request holds a reference to its
 * connection, so an answer given after the connection died is safe (and
 * dropped), and one given after the caller's deadline is dropped too. A
 * request whose caller's deadline passed stops counting toward
 * max_pending_requests (looked for only while reading is paused at that
 * cap: no timer per request); a closing context that gives up on requests
 * still held detaches them, and their late answer only frees them. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/internal.h"

const void *sipc_request_data(const sipc_request *req, size_t *len)
{
    if (len)
        *len = req ? req->payload_len : 0;
    return req ? req->payload : NULL;
}

const char *sipc_request_service(const sipc_request *req)
{
    return req ? req->service : NULL;
}

const char *sipc_request_method(const sipc_request *req)
{
    return req ? req->method : NULL;
}

int sipc_request_is_oneway(const sipc_request *req)
{
    return req && req->oneway;
}

/* Where an orphaned request points instead of its connection: always
 * closing, so an answer is refused the usual way at no cost to the others. */
static sipc_conn orphans = {.state = SIPC_CONN_S_CLOSING};

sipc_conn *sipc_request_conn(const sipc_request *req)
{
    return req && req->conn->state == SIPC_CONN_S_UP ? req->conn : NULL;
}

int64_t sipc_request_deadline_ms(const sipc_request *req)
{
    if (!req || req->deadline == 0)
        return 0;
    if (req->conn == &orphans)
        return -1; /* nobody waits */
    uint64_t now = uv_now(req->conn->ctx->loop);
    return req->deadline > now ? (int64_t)(req->deadline - now) : -1;
}

size_t sipc_request_answer_max(const sipc_request *req)
{
    if (!req || req->conn->state != SIPC_CONN_S_UP)
        return 0;
    return sipc_env_payload_max(req->conn->send_max);
}

/* Gives req's memory back (its frame buffer to the decoder). */
static void request_release(sipc_conn *c, sipc_request *req)
{
    req->live = 0;
    if (req->frame_buf)
        sipc_frame_give_back(&c->dec, req->frame_buf, req->frame_cap);
    if (req->spare_block)
        sipc_freelist_put(&c->ctx->req_blocks, req);
    else
        free(req);
}

static void request_free(sipc_request *req)
{
    sipc_conn *c = req->conn;
    if (req->expired) {
        if (c == &orphans) {
            /* its connection and context may be gone: plain malloc'd memory */
            req->live = 0;
            free(req->frame_buf);
            free(req);
            return;
        }
        assert(c->expired_reqs > 0);
        c->expired_reqs--;
    } else {
        assert(c->pending_reqs > 0);
        c->pending_reqs--;
    }
    req->link.prev->next = req->link.next;
    req->link.next->prev = req->link.prev;
    request_release(c, req);
    if (c->paused || c->backlog.len)
        sipc__conn_update_pause(c);
    sipc__goaway_check(c);
    sipc__conn_release(c);
}

/* Why an answer to req cannot be sent (0: it can). */
static int answer_blocked(const sipc_request *req)
{
    const sipc_conn *c = req->conn;
    if (c->state != SIPC_CONN_S_UP)
        return SIPC_ECLOSED;
    /* The caller gave up at its deadline, which is never later than ours
     * (ours counts from the request's arrival): nobody waits for this one. */
    if (req->deadline && uv_now(c->ctx->loop) >= req->deadline)
        return SIPC_ETIMEDOUT;
    return 0;
}

/* A request answered already (its block not yet given to another one):
 * the handler's bug, said once per context; the answer is not sent. */
static int answered_twice(sipc_request *req)
{
    sipc_ctx *ctx = req->ctx;
    if (ctx && !ctx->answered_twice_said) { /* NULL: orphaned, its context may be gone */
        ctx->answered_twice_said = 1;
        sipc__log(ctx, SIPC_LOG_ERROR, "Transport.Conn",
                  "a handler answered a request it had answered already (sipc_respond or "
                  "sipc_respond_error twice): the second answer is ignored (SIPC_EINVAL); "
                  "said once per context");
    }
    return SIPC_EINVAL;
}

int sipc_respond(sipc_request *req, const void *data, size_t len)
{
    if (!req)
        return SIPC_EINVAL;
    if (req->live != SIPC__REQ_LIVE)
        return answered_twice(req);
    sipc_conn *c = req->conn;
    /* refused, the request stays the handler's, to answer from the loop;
     * an orphaned one (ctx NULL) may outlive its context: nothing to ask */
    if (req->ctx && sipc__ctx_thread_check(req->ctx, "sipc_respond"))
        return SIPC_EINVAL;
    int r = 0;
    if (req->oneway) {
        r = 0;
    } else if ((r = answer_blocked(req)) != 0) {
        /* dropped; req is freed below all the same */
    } else if (len && !data) {
        /* the caller must not wait for an answer that never comes */
        char msg[160];
        snprintf(msg, sizeof msg, "handler of %s.%s answered %zu bytes without data",
                 req->service, req->method, len);
        (void)sipc__conn_send_error(c, req->id, SIPC_EREMOTE, msg);
        r = SIPC_EINVAL;
    } else {
        sipc_env_out e = {.kind = SIPC__KIND__RESPONSE, .request_id = req->id, .payload = data,
                          .payload_len = len};
        r = sipc__conn_queue(c, &e);
        if (r == SIPC_ETOOBIG) {
            /* only this call fails: the caller is told why, the link goes on */
            char msg[400];
            snprintf(msg, sizeof msg,
                     "the answer of %s.%s is too large: %zu bytes, more than the maximum frame "
                     "of %zu bytes %s (max_frame; the envelope adds a few dozen bytes)",
                     req->service, req->method, len, c->send_max,
                     c->send_max < c->ctx->opts.max_frame ? "the caller accepts"
                                                           : "the answering node sends");
            (void)sipc__conn_send_error(c, req->id, SIPC_ETOOBIG, msg);
        }
    }
    request_free(req);
    return r;
}

int sipc_respond_error(sipc_request *req, int status, const char *message)
{
    if (!req)
        return SIPC_EINVAL;
    if (req->live != SIPC__REQ_LIVE)
        return answered_twice(req);
    sipc_conn *c = req->conn;
    if (req->ctx && sipc__ctx_thread_check(req->ctx, "sipc_respond_error"))
        return SIPC_EINVAL;
    int r = 0;
    if (c->counters)
        c->counters->request_errors++;
    if (!req->oneway) {
        r = answer_blocked(req);
        if (r == 0)
            r = sipc__conn_send_error(c, req->id, status ? status : SIPC_EREMOTE,
                                      message ? message : "");
    }
    request_free(req);
    return r;
}

/* Payloads at least this large stay in the frame decoder's reassembly
 * buffer, which the request takes over, instead of being copied. */
#define SIPC_REQ_TAKE_MIN 4096

/* One allocation holds the request and its copied fields: the payload
 * first (malloc's alignment, for handlers that read it in place), then the
 * two names. A large payload that was reassembled stays where it is. */
static sipc_request *request_new(sipc_conn *c, const sipc_env_view *env, const uint8_t *frame)
{
    size_t sl = env->service.len, ml = env->method.len, pl = env->payload_len;
    uint8_t *fb = NULL;
    size_t fcap = 0;
    if (pl >= SIPC_REQ_TAKE_MIN)
        fb = sipc_frame_take(&c->dec, frame, &fcap);
    size_t copied = fb ? 0 : pl;
    size_t need = sizeof(sipc_request) + copied + sl + ml + 2;
    int spare = need <= SIPC__REQ_BLOCK;
    sipc_request *req = spare ? sipc_freelist_get(&c->ctx->req_blocks) : malloc(need);
    if (!req) {
        if (fb)
            sipc_frame_give_back(&c->dec, fb, fcap);
        return NULL;
    }
    req->spare_block = spare;
    uint8_t *p = (uint8_t *)(req + 1);
    req->frame_buf = fb;
    req->frame_cap = fcap;
    req->payload_len = pl;
    if (fb) {
        req->payload = env->payload; /* inside fb */
    } else {
        req->payload = pl ? p : NULL;
        if (pl)
            memcpy(p, env->payload, pl);
        p += pl;
    }
    req->service = (char *)p;
    if (sl)
        memcpy(p, env->service.ptr, sl);
    p[sl] = '\0';
    p += sl + 1;
    req->method = (char *)p;
    if (ml)
        memcpy(p, env->method.ptr, ml);
    p[ml] = '\0';
    return req;
}

void sipc__conn_dispatch(sipc_conn *c, const sipc_env_view *env, const uint8_t *frame)
{
    int oneway = env->kind == SIPC__KIND__ONE_WAY;
    sipc_request *req = request_new(c, env, frame);
    if (!req) {
        if (!oneway)
            (void)sipc__conn_send_error(c, env->request_id, SIPC_ENOMEM, "out of memory");
        return;
    }
    const sipc_route *rt = c->router ? sipc__router_lookup(c->router, req->service, env->service.len,
                                                            req->method, env->method.len)
                                     : NULL;
    if (c->counters) {
        c->counters->requests++;
        c->counters->request_errors += !rt;
    }
    if (!rt) {
        char msg[600];
        snprintf(msg, sizeof msg, "no handler for %s.%s on node %s", req->service, req->method,
                 c->ctx->node_id);
        if (!oneway) {
            (void)sipc__conn_send_error(c, env->request_id, SIPC_ENOMETHOD, msg);
        } else {
            char host[160], key[300];
            sipc__peer_host(c->peer_addr, host, sizeof host);
            snprintf(key, sizeof key, "one-way calls from %s dropped: no handler", host);
            sipc__log_limited(c->ctx, key, SIPC_LOG_WARN, "Transport.Conn",
                              "%s (one-way from %s dropped)", msg, c->peer_addr);
        }
        request_release(c, req);
        return;
    }
    req->conn = c;
    req->live = SIPC__REQ_LIVE;
    req->ctx = c->ctx;
    req->id = env->request_id;
    req->oneway = oneway;
    req->deadline = !oneway && env->deadline_ms ? uv_now(c->ctx->loop) + env->deadline_ms : 0;
    req->expired = 0;
    sipc_list_insert_before(&c->held, &req->link);
    c->refs++;
    c->pending_reqs++;
    rt->fn(req, rt->arg);
}

unsigned sipc__requests_expire(sipc_conn *c, uint64_t now)
{
    unsigned n = 0;
    uint64_t next = now + SIPC__HELD_CHECK_MS;
    const sipc_request *first = NULL;
    for (sipc_link *l = c->held.next; l != &c->held; l = l->next) {
        sipc_request *req = sipc_container_of(l, sipc_request, link);
        if (req->expired || !req->deadline)
            continue;
        if (req->deadline > now) {
            if (req->deadline < next)
                next = req->deadline;
            continue;
        }
        req->expired = 1;
        c->pending_reqs--;
        c->expired_reqs++;
        if (!first)
            first = req;
        n++;
        /* the caller gave up at its own deadline (never later than ours) and
           drops this, but one still waiting learns why */
        char msg[300];
        snprintf(msg, sizeof msg, "deadline exceeded: the handler of %s.%s on node %s did not answer in time",
                 req->service, req->method, c->ctx->node_id);
        (void)sipc__conn_send_error(c, req->id, SIPC_ETIMEDOUT, msg);
    }
    c->held_check = next;
    if (!n)
        return 0;
    uint32_t max = c->ctx->opts.max_pending_requests;
    char what[200];
    snprintf(what, sizeof what, "%.90s.%.90s", first->service, first->method);
    if (c->expired_reqs > max) {
        /* a handler that never answers must not hold memory without end */
        char msg[800];
        snprintf(msg, sizeof msg,
                 "handlers hold %u requests past their callers' deadline (max_pending_requests "
                 "= %u), among them the handler of %s: closing the connection from %s; the requests stay "
                 "allocated until answered",
                 c->expired_reqs, max, what, c->peer_addr);
        char tell[400];
        snprintf(tell, sizeof tell, "node %.64s closes: its handlers (%s) hold %u requests past their deadline",
                 c->ctx->node_id, what, c->expired_reqs);
        (void)sipc__conn_send_error(c, 0, SIPC_EREMOTE, tell);
        sipc__conn_close(c, SIPC_ETIMEDOUT, msg);
        return n;
    }
    char key[400];
    snprintf(key, sizeof key, "requests held past their deadline by the handler of %s", what);
    sipc__log_limited(c->ctx, key, SIPC_LOG_WARN, "Transport.Conn",
                      "%u request%s from %s held by the handler of %s past the caller's deadline: "
                      "the caller was told SIPC_ETIMEDOUT, and they no longer count toward "
                      "max_pending_requests (%u held past their deadline on this connection; beyond "
                      "%u it closes)",
                      n, n == 1 ? "" : "s", c->peer_addr, what, c->expired_reqs, max);
    return n;
}

unsigned sipc__requests_describe(const sipc_conn *c, char *out, size_t len)
{
    unsigned n = 0;
    size_t at = strlen(out);
    for (const sipc_link *l = c->held.next; l != &c->held; l = l->next) {
        const sipc_request *req = sipc_container_of(l, sipc_request, link);
        n++;
        char name[300];
        snprintf(name, sizeof name, "%s%s.%s", at ? ", " : "", req->service, req->method);
        if (strstr(out, name + (at ? 2 : 0)))
            continue;
        if (at + strlen(name) + 4 >= len) {
            if (at + 4 < len && !strstr(out, "..."))
                at += (size_t)snprintf(out + at, len - at, "...");
            continue;
        }
        at += (size_t)snprintf(out + at, len - at, "%s", name);
    }
    return n;
}

void sipc__requests_orphan(sipc_conn *c)
{
    c->refs++;
    while (!sipc_list_empty(&c->held)) {
        sipc_request *req = sipc_container_of(c->held.next, sipc_request, link);
        sipc_list_remove(&req->link);
        if (req->expired)
            c->expired_reqs--;
        else
            c->pending_reqs--;
        req->conn = &orphans;
        req->ctx = NULL;
        req->expired = 1; /* request_free's rare branch */
        c->refs--;
    }
    sipc__conn_release(c);
}
