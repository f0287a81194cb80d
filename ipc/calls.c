/* calls.c - the calls a connection has in flight: an id map for the answers
 * and a list sorted by deadline for the timer, and the public calls made
 * straight on a connection. Every call completes exactly once: it leaves the
 * map and the list before its callback runs. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/internal.h"

sipc_pcall *sipc__call_new(sipc_ctx *ctx)
{
    sipc_pcall *call = sipc_freelist_get(&ctx->call_blocks);
    if (!call)
        return NULL;
    memset(call, 0, sizeof *call);
    sipc_list_init(&call->dl);
    call->ctx = ctx;
    return call;
}

void sipc__call_free(sipc_pcall *call)
{
    free(call->service); /* method and data live in the same block */
    sipc_freelist_put(&call->ctx->call_blocks, call);
}

/* A peer's deadline counts from when it read the request, never before
 * ours: its SIPC_ETIMEDOUT comes after our deadline, but for the clocks'
 * reading granularity (sipc__call_clock). Before that, it is a handler's
 * own status. */
#define SIPC__PEER_DEADLINE_SLACK_MS 5

int sipc__call_remote_err(const sipc_pcall *call, int status)
{
    switch (status) {
    case SIPC_ENOMETHOD: /* the peer has no handler: the same from any peer */
    case SIPC_ETOOBIG:   /* the answer or the request exceeds a max_frame */
    case SIPC_EREADFULL: /* the peer had no room for our frame */
    case SIPC_ECLOSING:  /* refused unanswered as the peer closes: go elsewhere */
        return status;
    case SIPC_ETIMEDOUT:
        if (sipc__call_clock(call->ctx->loop) + SIPC__PEER_DEADLINE_SLACK_MS >= call->deadline)
            return status;
        return SIPC_EREMOTE;
    }
    return SIPC_EREMOTE;
}

void sipc__call_complete(sipc_pcall *call, int err, int status, const char *message,
                         const uint8_t *data, size_t len)
{
    /* out of every list already: nothing can complete it a second time */
    assert(call->dl.next == &call->dl && call->dl.prev == &call->dl);
    if (call->handles) {
        void *was = sipc_idmap_take(call->handles, call->handle);
        assert(was == call);
        (void)was;
    }
    sipc_reply rep = {.status = status,
                      .message = message ? message : "",
                      .data = data,
                      .len = len,
                      .sent = call->handed};
    sipc_call_cb cb = call->cb;
    void *arg = call->arg;
    sipc__call_free(call);
    if (cb)
        cb(err, &rep, arg);
}

static void deadline_insert(sipc_link *head, sipc_pcall *call)
{
    /* deadlines mostly arrive in order: search from the tail */
    sipc_link *pos = head->prev;
    while (pos != head && sipc_container_of(pos, sipc_pcall, dl)->deadline > call->deadline)
        pos = pos->prev;
    sipc_list_insert_before(pos->next, &call->dl);
}

sipc_env_out sipc__call_envelope(const sipc_pcall *call, uint64_t now, const char *service,
                                const char *method, const void *data, size_t len)
{
    /* the peer learns how long we wait, so it can give up when we have */
    uint64_t left = call->deadline > now ? call->deadline - now : 1;
    return (sipc_env_out){.kind = SIPC__KIND__REQUEST,
                          .request_id = call->id,
                          .service = service,
                          .method = method,
                          .payload = data,
                          .payload_len = len,
                          .deadline_ms = left > UINT32_MAX ? UINT32_MAX : (uint32_t)left};
}

int sipc__conn_start_call(sipc_conn *c, sipc_pcall *call, uint64_t now, const char *service,
                          const char *method, const void *data, size_t len)
{
    assert(call->conn == NULL && call->dl.next == &call->dl);
    call->id = ++c->next_id;
    sipc_env_out e = sipc__call_envelope(call, now, service, method, data, len);
    int r = sipc__conn_queue(c, &e);
    if (r != 0)
        return r;
    /* the frame is queued: whatever happens to the call now, the peer may
     * get it */
    call->handed = 1;
    if (sipc_idmap_put(&c->calls, call->id, call) != 0)
        return SIPC_ENOMEM; /* the frame is queued but the reply will be ignored */
    call->conn = c;
    call->sent = now;
    deadline_insert(&c->deadlines, call);
    if (c->timer_due == 0 || call->deadline < c->timer_due)
        sipc__conn_arm_timer(c);
    return 0;
}

void sipc__conn_take_call(sipc_pcall *call)
{
    sipc_conn *c = call->conn;
    assert(c != NULL);
    void *was = sipc_idmap_take(&c->calls, call->id);
    assert(was == call);
    (void)was;
    sipc_list_remove(&call->dl);
    call->conn = NULL;
}

sipc_pcall *sipc__conn_take_answered(sipc_conn *c, uint64_t id)
{
    sipc_pcall *call = sipc_idmap_take(&c->calls, id);
    if (call) {
        assert(call->conn == c);
        sipc_list_remove(&call->dl);
        call->conn = NULL;
    }
    return call;
}

uint64_t sipc__conn_next_deadline(const sipc_conn *c)
{
    if (sipc_list_empty(&c->deadlines))
        return UINT64_MAX;
    return sipc_container_of(c->deadlines.next, sipc_pcall, dl)->deadline;
}

void sipc__conn_expire_calls(sipc_conn *c, uint64_t now)
{
    while (c->state != SIPC_CONN_S_CLOSING && !sipc_list_empty(&c->deadlines)) {
        sipc_pcall *call = sipc_container_of(c->deadlines.next, sipc_pcall, dl);
        if (call->deadline > now)
            break;
        sipc__conn_take_call(call);
        /* Nothing received since the call left: a handler still at work
         * sends nothing until it replies, so on the wire it looks like a
         * stopped process until a keepalive PING goes unanswered (after
         * keepalive_ms of silence). Only then is it said in the words of a
         * silent handshake; before, only what is known. Whatever the case,
         * the peer and how long the call waited are named: a long call is
         * where an engineer most needs them. */
        uint64_t life = sipc__conn_last_life(c);
        uint64_t waited = now - call->sent;
        char msg[700] = "call deadline exceeded";
        size_t n = strlen(msg);
        if (c->state == SIPC_CONN_S_UP && life <= call->sent && sipc__conn_ping_wait_ms(c) > 0) {
            memcpy(msg + n, ": ", 3);
            sipc__silence_text(msg + n + 2, sizeof msg - n - 2, c->peer_addr, now - life);
            /* that silence includes the idle time before the call, when
             * nothing was due from the peer: said apart, so that a link
             * idle for 15 s is not read as a peer stopped 15 s ago */
            n = strlen(msg);
            snprintf(msg + n, sizeof msg - n,
                     " (of which the link was idle for %llu ms before the call, when nothing was "
                     "due; the call went unanswered for %llu ms, the keepalive PING for %llu ms)",
                     (unsigned long long)(call->sent - life), (unsigned long long)waited,
                     (unsigned long long)(c->ping_sent <= now ? now - c->ping_sent : 0));
        } else if (c->state == SIPC_CONN_S_UP && life <= call->sent) {
            snprintf(msg + n, sizeof msg - n,
                     ": no reply from %s within %llu ms, and nothing else received from it "
                     "meanwhile (a handler still at work sends nothing until it replies)",
                     c->peer_addr, (unsigned long long)waited);
        } else if (life > call->sent) {
            snprintf(msg + n, sizeof msg - n,
                     ": no reply from %s within %llu ms, though the link was alive (the peer sent "
                     "other frames meanwhile, keepalive answers or other replies): its handler "
                     "did not answer in time",
                     c->peer_addr, (unsigned long long)waited);
        } else {
            snprintf(msg + n, sizeof msg - n, ": no reply from %s within %llu ms", c->peer_addr,
                     (unsigned long long)waited);
        }
        sipc__call_complete(call, SIPC_ETIMEDOUT, 0, msg, NULL, 0);
    }
}

void sipc__conn_fail_calls(sipc_conn *c, int err, const char *detail)
{
    while (!sipc_list_empty(&c->deadlines)) {
        sipc_pcall *call = sipc_container_of(c->deadlines.next, sipc_pcall, dl);
        sipc__conn_take_call(call);
        sipc__call_complete(call, err, 0, detail, NULL, 0);
    }
    assert(sipc_idmap_count(&c->calls) == 0);
}

int sipc__conn_call(sipc_conn *c, const char *service, const char *method, const void *data,
                    size_t len, uint32_t timeout_ms, sipc_call_cb cb, void *arg, sipc_pcall **made)
{
    int e = sipc__conn_can_send(c, service, method, data, len);
    if (e != 0)
        return e;
    sipc_pcall *call = sipc__call_new(c->ctx);
    if (!call)
        return SIPC_ENOMEM;
    call->cb = cb;
    call->arg = arg;
    uint64_t now = sipc__call_clock(c->ctx->loop);
    call->deadline = now + (timeout_ms ? timeout_ms : SIPC__DEFAULT_CALL_TIMEOUT_MS);
    int r = sipc__conn_start_call(c, call, now, service, method, data, len);
    if (r != 0) {
        if (call->conn)
            sipc__conn_take_call(call);
        sipc__call_free(call);
        return r;
    }
    if (made)
        *made = call;
    return 0;
}

int sipc_conn_call(sipc_conn *c, const char *service, const char *method, const void *data,
                   size_t len, uint32_t timeout_ms, sipc_call_cb cb, void *arg)
{
    if (c && sipc__ctx_thread_check(c->ctx, "sipc_conn_call"))
        return SIPC_EINVAL;
    return sipc__conn_call(c, service, method, data, len, timeout_ms, cb, arg, NULL);
}

int sipc_conn_call_ex(sipc_conn *c, const char *service, const char *method, const void *data,
                      size_t len, uint32_t timeout_ms, sipc_call_cb cb, void *arg,
                      sipc_call_id *id)
{
    if (c && sipc__ctx_thread_check(c->ctx, "sipc_conn_call_ex"))
        return SIPC_EINVAL;
    sipc_pcall *call = NULL;
    int r = sipc__conn_call(c, service, method, data, len, timeout_ms, cb, arg, &call);
    if (r == 0 && id)
        *id = call->id;
    return r;
}

int sipc_conn_call_cancel(sipc_conn *c, sipc_call_id id)
{
    if (!c || id == 0 || sipc__ctx_thread_check(c->ctx, "sipc_conn_call_cancel"))
        return SIPC_EINVAL;
    sipc_pcall *call = sipc__conn_take_answered(c, id);
    if (!call)
        return SIPC_EINVAL; /* completed already, or never made here */
    /* a late answer finds nothing in the map and is ignored */
    sipc__call_complete(call, SIPC_ECANCELED, 0, "call canceled", NULL, 0);
    return 0;
}

int sipc_conn_send(sipc_conn *c, const char *service, const char *method, const void *data,
                   size_t len)
{
    if (c && sipc__ctx_thread_check(c->ctx, "sipc_conn_send"))
        return SIPC_EINVAL;
    int e = sipc__conn_can_send(c, service, method, data, len);
    if (e != 0)
        return e;
    sipc_env_out env = {.kind = SIPC__KIND__ONE_WAY,
                        .service = service,
                        .method = method,
                        .payload = data,
                        .payload_len = len};
    return sipc__conn_queue(c, &env);
}
