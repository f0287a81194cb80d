/* ping.c - the PING a connection sends and what its silence is said as: a
 * PING queued (the keepalive's after keepalive_ms of silence, a hold's,
 * or one a caller asks for at once, sipc_channel_ping), when the peer was
 * last heard from, and the one wording of a peer that sends nothing. When
 * a PING is due and when its answer is overdue is conn.c's timer. */
#include <stdio.h>

#include "ipc/internal.h"

void sipc__conn_ping_queue(sipc_conn *c, uint64_t now)
{
    sipc_env_out e = {.kind = SIPC__KIND__PING, .request_id = ++c->next_id};
    /* a PING sent while one waits (a hold's) only tells the peer this side
     * is alive: the wait counts from the first */
    if (!c->ping_sent) {
        c->ping_sent = now;
        c->ping_out = 0;
        c->ping_probe = 0;
        c->ping_acked_at = 0;
        c->ping_landed = 0;
        c->ack_looked = 0;
        c->tx_seen = c->stream ? sipc_stream_sent(c->stream) : 0;
        uint32_t ago;
        if (!c->stream || sipc_stream_acked_bytes(c->stream, &c->acked_seen, &ago) != 0)
            c->acked_seen = 0;
        c->tx_moved = now;
    }
    c->ping_last = now;
    (void)sipc__conn_queue(c, &e);
}

int sipc__conn_ping_now(sipc_conn *c)
{
    const sipc_options *o = &c->ctx->opts;
    if (c->state != SIPC_CONN_S_UP)
        return SIPC_ENOTCONN;
    /* without both, nothing would time its answer (ping_wait_ms stays 0) */
    if (!o->keepalive_ms || !o->keepalive_timeout_ms)
        return SIPC_EINVAL;
    if (c->ping_sent)
        return 0;
    sipc__conn_ping_queue(c, uv_now(c->ctx->loop));
    sipc__conn_arm_timer(c);
    return 0;
}

uint64_t sipc__conn_last_life(const sipc_conn *c)
{
    uint64_t t = c->last_rx;
    if (c->stream && sipc_stream_last_read(c->stream) > t)
        t = sipc_stream_last_read(c->stream);
    return t;
}

void sipc__silence_text(char *out, size_t len, const char *peer, uint64_t ms)
{
    snprintf(out, len,
             "connected to %s, but nothing received from it for %llu ms: the process there may "
             "be stopped or overloaded",
             peer, (unsigned long long)ms);
}
