/* goaway.c - replacing a connection without failing a call (GOAWAY, as in
 * HTTP/2 and gRPC; docs/protocol.md section 11), idle or busy: a reload, a
 * server that stops, keys worn out. The side that retires a connection sends
 * a one-way sys.goaway announcing the drain (request id UINT64_MAX: any
 * request may still come) and a PING. The PONG comes after every request the
 * peer sent before it saw the GOAWAY, so at that point the retiring side
 * knows the last request it will answer and says so in a second sys.goaway
 * (request id = that id). Later requests with higher ids are refused with
 * SIPC_ECLOSING, unanswered by any handler. A peer that understands GOAWAY
 * stops sending new requests on the connection at the first one, opens a new
 * connection for them (with the setup now in force) and closes the old one
 * once its calls are answered (at once when it has none); a peer that does
 * not (an older node) answers the PING all the same and sees the connection
 * closed once the requests it sent before are answered. Either way the
 * retiring side closes it after SIPC__GOAWAY_GRACE_MS at the latest. An idle
 * connection is never simply closed: a request the peer sends at that moment
 * would cross the close and fail unanswered, where here it is answered;
 * one retired in its handshake gets its GOAWAY as soon as the hellos are
 * done (not closed then: the peer may be up and sending already).
 * A server that stops says so in each GOAWAY (message "stopping"): its port
 * is closed already, so the peer looks for it again with its usual backoff
 * rather than at once, where a reload's new connection is wanted now. An
 * older peer skips the field. */
#include <stdio.h>
#include <string.h>

#include "ipc/internal.h"

#define GOAWAY_DRAINING UINT64_MAX
#define GOAWAY_STOPPING "stopping"

static int str_is(sipc_env_str s, const char *lit)
{
    size_t n = strlen(lit);
    return s.ptr && s.len == n && !memcmp(s.ptr, lit, n);
}

static int is_goaway(const sipc_env_view *env)
{
    return env->kind == SIPC__KIND__ONE_WAY && str_is(env->service, "sys") &&
           str_is(env->method, "goaway");
}

static void send_goaway(sipc_conn *c, uint64_t last_id)
{
    sipc_env_out e = {.kind = SIPC__KIND__ONE_WAY, .request_id = last_id, .service = "sys",
                      .method = "goaway", .message = c->goaway_stopping ? GOAWAY_STOPPING : NULL};
    (void)sipc__conn_queue(c, &e);
}

/* The owner stops giving the connection new calls (a channel redials). */
static void tell_owner(sipc_conn *c)
{
    if (c->owner_ops->draining) {
        c->refs++;
        c->owner_ops->draining(c->owner, c);
        sipc__conn_release(c);
    }
}

/* One line per peer host and event per interval: a reload may drain
 * thousands of connections at once (the report names no node: they vary). */
void sipc__conn_log_event(sipc_conn *c, const char *event, const char *what)
{
    char host[160], key[400];
    sipc__peer_host(c->peer_addr, host, sizeof host);
    snprintf(key, sizeof key, "%s %s: %s", c->is_server ? "Connections from" : "Connections to",
             host, event);
    sipc__log_limited(c->ctx, key, SIPC_LOG_INFO, "Transport.Conn", "%s %s (node %s): %s",
                      c->is_server ? "Connection from" : "Connection to", c->peer_addr,
                      c->peer_node, what);
}

void sipc__goaway_start(sipc_conn *c, int stopping)
{
    if (c->state != SIPC_CONN_S_UP || c->goaway_sent)
        return;
    c->goaway_sent = 1;
    c->goaway_stopping = stopping;
    c->goaway_deadline = uv_now(c->ctx->loop) + SIPC__GOAWAY_GRACE_MS;
    send_goaway(c, GOAWAY_DRAINING);
    c->goaway_ping = ++c->next_id;
    sipc_env_out ping = {.kind = SIPC__KIND__PING, .request_id = c->goaway_ping};
    (void)sipc__conn_queue(c, &ping);
    const char *what = stopping
                           ? "GOAWAY sent, the server is stopping: closed once its requests are "
                             "answered"
                           : "GOAWAY sent, replaced once its requests are answered";
    sipc__conn_log_event(c, what, what);
    sipc__conn_arm_timer(c);
    tell_owner(c);
}

int sipc__goaway_frame(sipc_conn *c, const sipc_env_view *env)
{
    if (env->kind == SIPC__KIND__REQUEST) {
        if (env->request_id > c->last_req_id)
            c->last_req_id = env->request_id;
        if (c->goaway_sent != 2 || env->request_id <= c->goaway_last_id)
            return 0;
        char msg[200];
        snprintf(msg, sizeof msg,
                 "node %s is replacing this connection (GOAWAY, last request id %llu): send the "
                 "request again on a new connection",
                 c->ctx->node_id, (unsigned long long)c->goaway_last_id);
        (void)sipc__conn_send_error(c, env->request_id, SIPC_ECLOSING, msg);
        return 1;
    }
    if (env->kind == SIPC__KIND__PONG && c->goaway_sent == 1 && env->request_id == c->goaway_ping) {
        /* every request sent before the peer saw our GOAWAY has arrived */
        c->goaway_sent = 2;
        c->goaway_last_id = c->last_req_id;
        send_goaway(c, c->goaway_last_id);
        sipc__goaway_check(c);
        return 0; /* the keepalive bookkeeping still sees the PONG */
    }
    if (!is_goaway(env))
        return 0;
    if (!c->goaway_received) {
        c->goaway_received = 1;
        /* an unknown reason is taken for a replacement: the redial comes at once */
        c->peer_stopping = str_is(env->message, GOAWAY_STOPPING);
        if (c->peer_stopping) {
            sipc__conn_log_event(c, "peer is stopping (GOAWAY)",
                                 "peer is stopping (GOAWAY); calls in flight here are still "
                                 "answered");
            sipc__channel_stop_news(c);
        } else {
            sipc__conn_log_event(c, "peer sent GOAWAY",
                                 "peer sent GOAWAY; new calls go on a new connection");
        }
        tell_owner(c);
    }
    sipc__goaway_check(c);
    return 1;
}

void sipc__goaway_close_if_done(sipc_conn *c)
{
    if (c->state != SIPC_CONN_S_UP || (!c->goaway_received && c->goaway_sent != 2))
        return;
    if (c->pending_reqs || sipc_idmap_count(&c->calls))
        return;
    sipc__conn_close(c, 0,
                     c->goaway_sent ? "replaced (GOAWAY): every request before it answered"
                                    : "replaced at the peer's GOAWAY: every call answered");
}

int sipc__conn_retire(sipc_conn *c, int stopping)
{
    if (c->state == SIPC_CONN_S_CLOSING)
        return 0;
    if (c->state == SIPC_CONN_S_HANDSHAKE) {
        /* no GOAWAY before the hellos: it goes as they complete
         * (sipc__goaway_at_up), with no later retire needed */
        if (c->retire_at_up < 1 + stopping)
            c->retire_at_up = 1 + stopping;
        return 1;
    }
    sipc__goaway_start(c, stopping);
    return c->state != SIPC_CONN_S_CLOSING;
}

void sipc__goaway_at_up(sipc_conn *c)
{
    if (c->retire_at_up)
        sipc__goaway_start(c, c->retire_at_up == 2);
}

uint64_t sipc__goaway_due(const sipc_conn *c)
{
    return c->goaway_sent ? c->goaway_deadline : UINT64_MAX;
}

void sipc__goaway_expire(sipc_conn *c, uint64_t now)
{
    if (c->state != SIPC_CONN_S_UP || !c->goaway_sent || now < c->goaway_deadline)
        return;
    char msg[300];
    snprintf(msg, sizeof msg,
             "replaced (GOAWAY): grace of %u ms over with %u requests still held and %zu calls "
             "unanswered",
             (unsigned)SIPC__GOAWAY_GRACE_MS, c->pending_reqs, sipc_idmap_count(&c->calls));
    sipc__log(c->ctx, SIPC_LOG_WARN, "Transport.Conn", "%s %s (node %s): %s",
              c->is_server ? "Connection from" : "Connection to", c->peer_addr, c->peer_node, msg);
    sipc__conn_close(c, 0, msg);
}
