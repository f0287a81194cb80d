/* channel.c - a client's lasting link to one address: dial, hello, redial
 * with exponential backoff and jitter (capped low, reconnect_max_ms: a peer
 * back from a restart is reached again within about that long; higher for a
 * peer that refuses this side's TLS mode, until the security changes), and calls
 * that wait for the link (up to their deadline) while it is down; such a call,
 * or a hello from the node the link last reached, brings the next attempt
 * forward ("wait for ready"). In permissive TLS mode the dialer
 * offers TLS first and falls back to plaintext only when the peer answers in
 * plaintext. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str_copy.h"
#include "ipc/addr.h"
#include "ipc/internal.h"
#include "ipc/security.h"

static void ch_dial(sipc_channel *ch);
static void ch_maybe_finish(sipc_channel *ch);

static void ch_arm_wtimer(sipc_channel *ch);

/* Takes a call off the waiting list (it completes or goes in flight next). */
static void ch_unwait(sipc_channel *ch, sipc_pcall *call)
{
    assert(call->conn == NULL && ch->waiting_bytes >= call->len);
    sipc_list_remove(&call->dl);
    ch->waiting_bytes -= call->len;
}

static void ch_flush_waiting(sipc_channel *ch, sipc_conn *c)
{
    while (!sipc_list_empty(&ch->waiting)) {
        sipc_pcall *call = sipc_container_of(ch->waiting.next, sipc_pcall, dl);
        ch_unwait(ch, call);
        int r;
        if (call->oneway) {
            r = sipc_conn_send(c, call->service, call->method, call->data, call->len);
            sipc__call_free(call);
            continue;
        }
        /* the time left is told to the peer: counted from now, read for
         * each call (encoding and sealing the ones before took time), or it
         * is told more than the caller still waits */
        uint64_t now = sipc__call_clock(c->ctx->loop);
        /* past its deadline, its caller has given up: the peer would work
         * for nobody */
        int late = call->deadline <= now;
        r = late ? SIPC_ETIMEDOUT
                 : sipc__conn_start_call(c, call, now, call->service, call->method, call->data,
                                         call->len);
        if (late) {
            char msg[400];
            snprintf(msg, sizeof msg,
                     "no connection to %s before the deadline (it came up %llu ms after it)",
                     ch->where, (unsigned long long)(now - call->deadline));
            sipc__call_complete(call, r, 0, msg, NULL, 0);
        } else if (r == SIPC_ETOOBIG) {
            /* within our max_frame, beyond the one the peer's hello said;
             * the envelope's bytes named, since a payload of exactly
             * max_frame reads as fitting otherwise */
            sipc_env_out e = sipc__call_envelope(call, now, call->service, call->method,
                                                 call->data, call->len);
            size_t env = sipc_env_packed_size(SIPC_PROTOCOL_VERSION, &e) - call->len;
            char msg[300];
            snprintf(msg, sizeof msg,
                     "request of %zu bytes of payload plus %zu bytes of envelope is larger than "
                     "the maximum frame of %zu bytes node %s accepts (its max_frame)",
                     call->len, env, c->send_max, c->peer_node);
            sipc__call_complete(call, r, 0, msg, NULL, 0);
        } else if (r != 0) {
            sipc__call_complete(call, r, 0, "", NULL, 0);
        } else {
            /* in flight now: the copied request is no longer needed */
            free(call->service);
            call->service = call->method = NULL;
            call->data = NULL;
        }
        if (ch->conn != c || c->state != SIPC_CONN_S_UP)
            break;
    }
    ch_arm_wtimer(ch);
    if (ch->want_writable && sipc_list_empty(&ch->waiting) && ch->conn == c) {
        /* the refused producer hears it from the connection, once its queue
         * (now holding what waited) is under the limit */
        ch->want_writable = 0;
        c->want_writable = 1;
    }
}

static void ch_fail_waiting(sipc_channel *ch, int err, const char *msg)
{
    while (!sipc_list_empty(&ch->waiting)) {
        sipc_pcall *call = sipc_container_of(ch->waiting.next, sipc_pcall, dl);
        ch_unwait(ch, call);
        sipc__call_complete(call, err, 0, msg, NULL, 0);
    }
}

static uint64_t wall_ms(void)
{
    uv_timeval64_t tv;
    if (uv_gettimeofday(&tv) != 0)
        return 0;
    return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

/* The link went down (or failed before it was ever up): since when, on
 * the wall clock for reports and on the loop's for how long */
static void ch_mark_down(sipc_channel *ch)
{
    ch->since_ms = wall_ms();
    ch->down_at = uv_now(ch->ctx->loop);
    ch->peer_seen_at = 0;
}

/* An attempt (or the link) failed with err. One dialed after its node was
 * heard from proves that node unreachable from here all the same (a
 * one-way partition): the link counts as down again, not as coming back. */
static void ch_failed(sipc_channel *ch, int err)
{
    ch->last_err = err;
    ch->err_at = uv_now(ch->ctx->loop);
    if (ch->peer_seen_at && ch->last_dial >= ch->peer_seen_at)
        ch->peer_seen_at = 0;
}

/* Limited per address, node and transport, as a server's up lines are: a
 * reload replaces every link at once, and thousands of idle ones to one
 * address coming back are one line and a count. The address is the link's
 * own, the same for every line held back: each service is still named. */
static void ch_log_up(sipc_channel *ch, sipc_conn *c)
{
    sipc_peer_info pi; /* the TLS version and cipher, only for the line */
    sipc_conn_info(c, &pi);
    char key[600], host_key[400];
    snprintf(key, sizeof key, "Connected to %s (node %s, %s%s%s)", ch->where, pi.peer_node,
             pi.tls ? pi.tls_version : "plaintext", pi.tls ? " " : "", pi.tls ? pi.tls_cipher : "");
    /* a peer there cycling node ids is counted under the address */
    snprintf(host_key, sizeof host_key, "Connected to %s (various nodes, %s)", ch->where,
             pi.tls ? "TLS" : "plaintext");
    sipc__log_limited_host(ch->ctx, key, host_key, SIPC_LOG_INFO, "Transport.Conn", "%s", key);
}

static void ch_up(void *owner, sipc_conn *c)
{
    sipc_channel *ch = owner;
    ch->up = 1;
    ch->ever_up = 1;
    ch->last_err = 0;
    ch->last_detail[0] = '\0'; /* the reason went with the error: both are over */
    ch->backoff_ms = ch->ctx->opts.reconnect_min_ms;
    ch->stopping_at = 0;
    ch->up_tls = c->stream && sipc_stream_is_tls(c->stream);
    ch->offer_replaces_plain = 0;
    sipc_str_copy_utf8(ch->peer_node, sizeof ch->peer_node, c->peer_node);
    /* the address dialed, resolved: the one a node heard from elsewhere is seen at */
    sipc__peer_host(c->stream ? sipc_stream_peer(c->stream) : "", ch->peer_host,
                    sizeof ch->peer_host);
    sipc_str_copy_utf8(ch->peer_cluster, sizeof ch->peer_cluster, c->peer_cluster);
    ch->peer_cluster_cut = c->peer_cluster_cut;
    ch->since_ms = wall_ms();
    if (sipc__log_on(ch->ctx, SIPC_LOG_INFO))
        ch_log_up(ch, c);
    /* one retired in its handshake is replaced at once (sipc__goaway_at_up):
     * what waits goes on its successor, with the security now in force */
    if (!c->retire_at_up)
        ch_flush_waiting(ch, c);
    if (ch->conn_cb && ch->conn == c)
        ch->conn_cb(c, SIPC_CONN_UP, 0, ch->conn_arg);
    if (ch->conn == c && c->state == SIPC_CONN_S_UP && !ch->closing)
        sipc__channel_reoffer_tls(ch, c);
}

static void ch_writable(void *owner, sipc_conn *c)
{
    sipc_channel *ch = owner;
    if (ch->conn_cb && ch->conn == c)
        ch->conn_cb(c, SIPC_CONN_WRITABLE, 0, ch->conn_arg);
}

static void on_redial(uv_timer_t *t)
{
    ch_dial(t->data);
}

static uint64_t ch_random(sipc_channel *ch)
{
    ch->rng ^= ch->rng << 13;
    ch->rng ^= ch->rng >> 7;
    ch->rng ^= ch->rng << 17;
    return ch->rng;
}

static void ch_schedule_redial(sipc_channel *ch, int immediate)
{
    if (ch->closing)
        return;
    uint32_t b = ch->backoff_ms;
    /* full jitter over the upper half: restarted nodes do not redial in lockstep */
    uint64_t rnd = ch_random(ch);
    /* refused for its TLS mode, the link waits longer: only a change of mode
     * makes the next attempt succeed, and a change here redials at once
     * (sipc__channels_security_changed). The backoff grows to the longer
     * cap whatever the failure; any other failure (a reset now and then
     * among the refusals, a peer that is down) waits no more than the usual cap. */
    uint32_t cap = ch->ctx->opts.reconnect_max_ms, long_cap = cap;
    if (long_cap < SIPC__MODE_REFUSED_MAX_MS)
        long_cap = SIPC__MODE_REFUSED_MAX_MS;
    if (ch->last_err == SIPC_ETLSONPLAIN || ch->last_err == SIPC_EPLAINTEXT)
        cap = long_cap;
    uint32_t d = b > cap ? cap : b;
    uint64_t delay = immediate ? 0 : d / 2 + rnd % (d / 2 + 1);
    uint64_t nb = (uint64_t)b * 2;
    ch->backoff_ms = nb > long_cap ? long_cap : (uint32_t)nb;
    uv_timer_start(&ch->timer, on_redial, delay, 0);
}

/* The link is being replaced (GOAWAY, sent or received): new calls wait
 * for a new connection, dialed with the security now in force; the old one
 * finishes its calls and closes by itself. A busy link is dialed at once. An
 * idle one at a random moment within reconnect_min_ms, or at its next call
 * (ch_redial_soon): a reload replaces every link at once, and thousands of
 * idle ones dialing in the same moment would storm the node for nothing. A
 * peer that said it stops is looked for with the usual backoff instead. */
static void ch_draining(void *owner, sipc_conn *c)
{
    sipc_channel *ch = owner;
    if (ch->conn != c)
        return;
    ch->conn = NULL;
    ch->plain_fallback = 0; /* permissive: offer TLS again */
    /* a refusal of that TLS for its certificate or trust keeps the link in
     * plaintext rather than down (sipc__channel_reoffer_refused) */
    ch->offer_replaces_plain = ch->up && !ch->up_tls;
    if (ch->closing)
        return;
    if (c->peer_stopping) {
        /* its port is closed already: a dial now would be refused */
        ch->stopping_at = uv_now(ch->ctx->loop);
        ch_schedule_redial(ch, 0);
        return;
    }
    uint64_t delay = 0; /* not from inside the frame: through the timer */
    if (!sipc_idmap_count(&c->calls) && sipc_list_empty(&ch->waiting))
        delay = ch_random(ch) % ((uint64_t)ch->ctx->opts.reconnect_min_ms + 1);
    uv_timer_start(&ch->timer, on_redial, delay, 0);
}

static void ch_down(void *owner, sipc_conn *c, int err, const char *detail, int was_up,
                    int got_bytes)
{
    (void)detail;
    sipc_channel *ch = owner;
    if (ch->conn != c) {
        /* a replaced link (ch_draining) closing: the channel has moved on */
        if (was_up && ch->conn_cb)
            ch->conn_cb(c, SIPC_CONN_DOWN, err, ch->conn_arg);
        return;
    }
    ch->conn = NULL;
    if (ch->up || !ch->since_ms)
        ch_mark_down(ch);
    ch->up = 0;
    ch_failed(ch, err);
    /* cut between characters: a peer's words may be anything but ASCII */
    sipc_str_copy_utf8(ch->last_detail, sizeof ch->last_detail,
                       detail && *detail ? detail : sipc_strerror(err));
    /* a caller told SIPC_ECLUSTER learns the other name here, not from the text */
    sipc_str_copy_utf8(ch->peer_cluster, sizeof ch->peer_cluster, c->peer_cluster);
    ch->peer_cluster_cut = c->peer_cluster_cut;
    /* closed on purpose while this channel stays open (a connection of an
     * older security replaced): the link comes back at once */
    int immediate = was_up && err == 0;
    /* the peer no longer knows our TLS session (restarted, reloaded): the
     * session is forgotten, and the redial makes a full handshake */
    if (!was_up && c->stream && sipc_stream_tls_resume_failed(c->stream))
        immediate = 1;
    if (sipc_security_mode(c->sec) == SIPC_TLS_PERMISSIVE) {
        if (was_up) {
            ch->plain_fallback = 0; /* next time, offer TLS again */
            ch->tls_refused = 0;    /* a link from scratch: a TLS link may come of it */
            ch->offer_replaces_plain = 0;
        } else if (sipc__channel_reoffer_refused(ch, c, err)) {
            immediate = 1; /* back to the plaintext link it replaced */
        } else if (ch->plain_fallback && err == SIPC_ETLSONPLAIN) {
            /* the peer that answered in plaintext now requires TLS (it
             * turned strict while this link was down): offer TLS again, or
             * the link would redial in plaintext until this side reloads */
            ch->plain_fallback = 0;
            immediate = 1; /* only this side had to change: no backoff */
            sipc__log(ch->ctx, SIPC_LOG_INFO, "Transport.Conn",
                      "%s now requires TLS; this side offers TLS again", ch->where);
        } else if (!ch->plain_fallback && sipc__conn_permissive_fallback(c, err, was_up, got_bytes)) {
            ch->plain_fallback = 1;
            ch->retry_next = 1;
            immediate = 1;
            sipc__channel_fallback_said(ch, c, err);
        }
    }
    if (was_up && ch->conn_cb)
        ch->conn_cb(c, SIPC_CONN_DOWN, err, ch->conn_arg);
    if (!was_up && !immediate && ch->fail_fast) {
        /* the calls' message names the peer, as a dial that fails at once
         * and a call that waits out its deadline do; most details of a
         * failed handshake name it already */
        char said[sizeof ch->last_detail + 200];
        const char *d = ch->last_detail;
        if (!strstr(d, ch->where)) {
            /* the stream is closed by now: whether its TCP connect ever
             * completed says which it was */
            int dialing = c->stream && !sipc_stream_connected_at(c->stream);
            snprintf(said, sizeof said, "%s %s: %s", dialing ? "cannot connect to" : "no connection to",
                     ch->where, d);
            d = said;
        }
        ch_fail_waiting(ch, err ? err : SIPC_ECLOSED, d);
    }
    if (!ch->closing)
        ch_schedule_redial(ch, immediate);
}

static void ch_freed(void *owner)
{
    sipc_channel *ch = owner;
    ch->conns_alive--;
    sipc__fd_budget_put(NULL);
    ch_maybe_finish(ch);
}

static const sipc_conn_owner_ops ch_ops = {.up = ch_up,
                                           .writable = ch_writable,
                                           .draining = ch_draining,
                                           .down = ch_down,
                                           .freed = ch_freed};

/* A refusal that is no news: of a link never up, in its context's first
 * seconds (peers started together come up a few ms apart: INFO), or of a
 * peer that said it stops, for a while (its GOAWAY was logged: DEBUG). */
static void ch_expect_refusal(sipc_channel *ch, sipc_conn *c)
{
    sipc_ctx *ctx = ch->ctx;
    if (!ch->ever_up && uv_hrtime() / 1000000 - ctx->started_ms < SIPC__START_GRACE_MS) {
        c->refused_note = " (peer not up yet)";
        c->refused_level = SIPC_LOG_INFO;
    } else if (ch->stopping_at && uv_now(ctx->loop) - ch->stopping_at < SIPC__STOP_GRACE_MS) {
        c->refused_note = " (peer stopping)";
        c->refused_level = SIPC_LOG_DEBUG;
    }
}

static void ch_connect_to(sipc_channel *ch, const struct sockaddr *addr)
{
    sipc_ctx *ctx = ch->ctx;
    /* the security of this moment: the connection keeps it to the end */
    sipc_security *sec = ctx->sec;
    sipc_tls_mode mode = sipc_security_mode(sec);
    int want_tls = mode == SIPC_TLS_STRICT || (mode == SIPC_TLS_PERMISSIVE && !ch->plain_fallback);
    sipc_stream *s;
    const struct sockaddr *source = ctx->has_source ? (const struct sockaddr *)&ctx->source : NULL;
    int r = sipc_stream_connect(&s, ctx->loop, addr, source,
                                want_tls ? sipc_security_tls(sec) : NULL,
                                &sipc__conn_stream_events, NULL);
    sipc_conn *c = NULL;
    if (r == 0) {
        r = sipc__conn_new(&c, ctx, sec, s, 0, ch->router, &ch_ops, ch);
        if (r != 0)
            sipc_stream_abort(s);
    }
    if (r != 0) {
        ch_failed(ch, r);
        /* with a source address the dial failed where it binds to it or at
         * once: naming the address says what to check (is it on this host?) */
        char from[80] = "";
        if (sipc_stream_source_applies(addr, source))
            snprintf(from, sizeof from, " from %s", ctx->source_text);
        snprintf(ch->last_detail, sizeof ch->last_detail, "cannot connect to %s%s: %s", ch->where,
                 from, sipc_strerror(r));
        sipc__log_limited(ctx, ch->last_detail, SIPC_LOG_WARN, "Transport.Conn",
                          "Cannot connect to %s%s: %s", ch->where, from, sipc_strerror(r));
        if (!ch->since_ms)
            ch_mark_down(ch);
        if (ch->fail_fast)
            ch_fail_waiting(ch, r, ch->last_detail);
        ch_schedule_redial(ch, 0);
        return;
    }
    /* only the dial right after the refused TLS says it retries: a later
     * plaintext redial may follow anything, and the listener would take it
     * for the retry of another dialer's TLS from this host */
    c->plaintext_retry = ch->retry_next && mode == SIPC_TLS_PERMISSIVE && !want_tls;
    c->replaces_plain = ch->offer_replaces_plain && mode == SIPC_TLS_PERMISSIVE && want_tls;
    ch->retry_next = 0;
    ch_expect_refusal(ch, c);
    sipc_str_copy(c->peer_addr, sizeof c->peer_addr, ch->where);
    c->dial_from = sipc_stream_source_applies(addr, source) ? ctx->source_text : NULL;
    sipc_list_insert_before(&ch->conns, &c->owner_link);
    ch->conns_alive++;
    /* counted among the process's descriptors, so accepts leave it room */
    (void)sipc__fd_budget_take(NULL, NULL);
    ch->conn = c;
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    sipc_channel *ch = req->data;
    ch->resolving = 0;
    if (ch->closing || status < 0) {
        if (!ch->closing) {
            ch_failed(ch, status);
            snprintf(ch->last_detail, sizeof ch->last_detail, "cannot resolve %s: %s", ch->host,
                     uv_strerror(status));
            if (!ch->since_ms)
                ch_mark_down(ch);
            if (ch->fail_fast)
                ch_fail_waiting(ch, status, ch->last_detail);
            /* a name that stops resolving fails every redial (about one a
             * second): said once per interval, as a refused dial is */
            sipc__log_limited(ch->ctx, ch->last_detail, SIPC_LOG_WARN, "Transport.Conn",
                              "Cannot resolve %s: %s", ch->host, uv_strerror(status));
            ch_schedule_redial(ch, 0);
        }
        if (res)
            uv_freeaddrinfo(res);
        ch_maybe_finish(ch);
        return;
    }
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    memcpy(&ss, res->ai_addr, res->ai_addrlen);
    if (ss.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)ch->port);
    else
        ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)ch->port);
    uv_freeaddrinfo(res);
    ch_connect_to(ch, (struct sockaddr *)&ss);
}

static void ch_dial(sipc_channel *ch)
{
    if (ch->closing || ch->conn || ch->resolving)
        return;
    ch->last_dial = uv_now(ch->ctx->loop);
    struct sockaddr_storage ss;
    if (sipc__addr_numeric(ch->host, ch->port, &ss) == 0) {
        ch_connect_to(ch, (struct sockaddr *)&ss);
        return;
    }
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    ch->gai.data = ch;
    int r = uv_getaddrinfo(ch->ctx->loop, &ch->gai, on_resolved, ch->host, NULL, &hints);
    if (r != 0) {
        ch_failed(ch, r);
        snprintf(ch->last_detail, sizeof ch->last_detail, "cannot resolve %s: %s", ch->host,
                 uv_strerror(r));
        ch_schedule_redial(ch, 0);
        return;
    }
    ch->resolving = 1;
}

/* ---- calls waiting for the link ---- */

/* A call waiting for a link that sits in its redial backoff is evidence that
 * the link is wanted now, and a hello from the peer's node id that it is
 * back: the next attempt is brought forward, to no sooner than
 * SIPC__READY_REDIAL_MS (or reconnect_min_ms, if longer) after the last one,
 * so a stream of calls toward a dead peer costs at most a few attempts a
 * second. Through the timer, never from inside sipc_call: a failing attempt
 * may complete waiting calls. */
#define SIPC__READY_REDIAL_MS 250
static void ch_redial_soon(sipc_channel *ch)
{
    if (ch->closing || ch->conn || ch->resolving || !uv_is_active((uv_handle_t *)&ch->timer))
        return;
    uint64_t gap = ch->ctx->opts.reconnect_min_ms > SIPC__READY_REDIAL_MS
                       ? ch->ctx->opts.reconnect_min_ms
                       : SIPC__READY_REDIAL_MS;
    if (ch->up && !ch->stopping_at)
        gap = 0; /* its link is being replaced (ch_draining): no peer is failing */
    uint64_t now = uv_now(ch->ctx->loop), at = ch->last_dial + gap;
    uint64_t due = uv_timer_get_due_in(&ch->timer);
    uint64_t wait = at > now ? at - now : 0;
    if (wait < due)
        uv_timer_start(&ch->timer, on_redial, wait, 0);
}

void sipc_channel_redial_soon(sipc_channel *ch)
{
    if (ch)
        ch_redial_soon(ch);
}

int sipc_channel_ping(sipc_channel *ch)
{
    if (!ch)
        return SIPC_EINVAL;
    if (ch->closing || !ch->up || !ch->conn)
        return SIPC_ENOTCONN;
    return sipc__conn_ping_now(ch->conn);
}

static void on_wtimer(uv_timer_t *t)
{
    sipc_channel *ch = t->data;
    uint64_t now = uv_now(ch->ctx->loop);
    while (!sipc_list_empty(&ch->waiting)) {
        sipc_pcall *call = sipc_container_of(ch->waiting.next, sipc_pcall, dl);
        if (call->deadline > now)
            break;
        ch_unwait(ch, call);
        char msg[sizeof ch->last_detail + 400];
        sipc_conn *c = ch->conn;
        if (c && c->state == SIPC_CONN_S_HANDSHAKE && c->stream &&
            !sipc_stream_connecting(c->stream) && !sipc_stream_got_bytes(c->stream)) {
            /* the attempt under way connected and hears nothing: said as a
             * call on a silent link says it, not with an older error */
            char silent[400];
            uint64_t at = sipc_stream_connected_at(c->stream);
            sipc__silence_text(silent, sizeof silent, ch->where,
                               now - (at && at <= now ? at : ch->last_dial));
            snprintf(msg, sizeof msg, "call deadline exceeded: %s", silent);
        } else if (ch->last_err) {
            /* the code stays SIPC_ETIMEDOUT (the deadline is what ended
             * the call): the link's own failure is said, by name, as a
             * caller deciding whether to retry needs it */
            snprintf(msg, sizeof msg,
                     "deadline passed while the link to %s was down: its last attempt failed "
                     "with %s (%s class): %s",
                     ch->where, sipc_err_name(ch->last_err),
                     sipc_err_class_name(sipc_err_classify(ch->last_err)), ch->last_detail);
        } else {
            snprintf(msg, sizeof msg, "no connection to %s before the deadline (no attempt "
                     "failed yet)", ch->where);
        }
        sipc__call_complete(call, SIPC_ETIMEDOUT, 0, msg, NULL, 0);
    }
    ch_arm_wtimer(ch);
}

static void ch_arm_wtimer(sipc_channel *ch)
{
    if (ch->closing)
        return;
    if (sipc_list_empty(&ch->waiting)) {
        uv_timer_stop(&ch->wtimer);
        return;
    }
    uint64_t d = sipc_container_of(ch->waiting.next, sipc_pcall, dl)->deadline;
    uint64_t now = uv_now(ch->ctx->loop);
    uv_timer_start(&ch->wtimer, on_wtimer, d > now ? d - now : 0, 0);
}

static int ch_wait(sipc_channel *ch, const char *service, const char *method, const void *data,
                   size_t len, uint32_t timeout_ms, sipc_call_cb cb, void *arg, int oneway,
                   sipc_pcall **made)
{
    if (!sipc__names_ok(service, method))
        return SIPC_EINVAL; /* the encoder would refuse it once the link is up */
    if (ch->waiting_bytes + len > ch->ctx->opts.max_write_queue) {
        ch->want_writable = 1;
        return SIPC_EQUEUEFULL;
    }
    size_t sl = strlen(service) + 1, ml = strlen(method) + 1;
    sipc_pcall *call = sipc__call_new(ch->ctx);
    char *blk = malloc(sl + ml + len + 1);
    if (!call || !blk) {
        if (call)
            sipc__call_free(call);
        free(blk);
        return SIPC_ENOMEM;
    }
    memcpy(blk, service, sl);
    memcpy(blk + sl, method, ml);
    if (len)
        memcpy(blk + sl + ml, data, len);
    call->service = blk;
    call->method = blk + sl;
    call->data = (uint8_t *)blk + sl + ml;
    call->len = len;
    call->oneway = oneway;
    call->cb = cb;
    call->arg = arg;
    call->deadline = sipc__call_clock(ch->ctx->loop) +
                     (timeout_ms ? timeout_ms : SIPC__DEFAULT_CALL_TIMEOUT_MS);
    /* keep FIFO order among waiting calls: append, deadline ties go last */
    sipc_link *pos = ch->waiting.prev;
    while (pos != &ch->waiting && sipc_container_of(pos, sipc_pcall, dl)->deadline > call->deadline)
        pos = pos->prev;
    sipc_list_insert_before(pos->next, &call->dl);
    ch->waiting_bytes += len;
    ch_arm_wtimer(ch);
    ch_redial_soon(ch);
    if (made)
        *made = call;
    return 0;
}

/* Calls go straight on the link: it is up (not being replaced by a link
 * still in its handshake) and nothing waits before them. */
static int ch_ready(const sipc_channel *ch)
{
    return ch->up && ch->conn && ch->conn->state == SIPC_CONN_S_UP && sipc_list_empty(&ch->waiting);
}

void sipc__channels_security_changed(sipc_ctx *ctx)
{
    for (sipc_link *l = ctx->channels.next; l != &ctx->channels; l = l->next) {
        sipc_channel *ch = sipc_container_of(l, sipc_channel, link);
        ch->backoff_ms = ctx->opts.reconnect_min_ms;
        sipc__channel_reoffer_rearm(ch);
        if (ch->closing || ch->conn || ch->resolving || !uv_is_active((uv_handle_t *)&ch->timer))
            continue;
        ch->plain_fallback = 0; /* permissive: offer TLS again */
        uv_timer_start(&ch->timer, on_redial, 0, 0);
    }
}

void sipc__channels_peer_back(sipc_ctx *ctx, const char *node_id, const char *address)
{
    if (!node_id[0] || sipc_list_empty(&ctx->channels))
        return; /* a server's context: nothing to parse the address for */
    char host[64];
    sipc__host_key(address, 0, host, sizeof host);
    if (!host[0])
        return;
    for (sipc_link *l = ctx->channels.next; l != &ctx->channels; l = l->next) {
        sipc_channel *ch = sipc_container_of(l, sipc_channel, link);
        if (!ch->up && !ch->closing && !strcmp(ch->peer_node, node_id) &&
            sipc__addr_same_host(ch->peer_host, host)) {
            ch->peer_seen_at = uv_now(ctx->loop);
            ch_redial_soon(ch);
        }
    }
}

void sipc__channels_peer_stopping(sipc_ctx *ctx, const char *node_id, const char *host, int port)
{
    if (!node_id[0])
        return;
    uint64_t now = uv_now(ctx->loop);
    for (sipc_link *l = ctx->channels.next; l != &ctx->channels; l = l->next) {
        sipc_channel *ch = sipc_container_of(l, sipc_channel, link);
        sipc_conn *c = ch->conn;
        if (ch->closing || (c && c->state == SIPC_CONN_S_UP) || strcmp(ch->peer_node, node_id) ||
            ch->port != port || !sipc__addr_same_host(ch->host, host))
            continue;
        ch->stopping_at = now;
        if (c) /* a dial under way was marked when it began */
            ch_expect_refusal(ch, c);
    }
}

void sipc_ctx_peer_seen(sipc_ctx *ctx, const char *node_id, const char *address)
{
    if (ctx && node_id && address && !ctx->closing)
        sipc__channels_peer_back(ctx, node_id, address);
}

void sipc__channel_stop_news(sipc_conn *c)
{
    /* a server's peer is at an address no channel dials */
    if (c->owner_ops != &ch_ops || !c->peer_node[0])
        return;
    sipc_channel *ch = c->owner;
    sipc_ctx *ctx = ch->ctx;
    sipc__channels_peer_stopping(ctx, c->peer_node, ch->host, ch->port);
    if (ctx->peer_stop_cb)
        ctx->peer_stop_cb(ctx, c->peer_node, ch->host, ch->port, ctx->peer_stop_arg);
}

void sipc_ctx_set_peer_stop_cb(sipc_ctx *ctx, sipc_peer_stop_cb cb, void *arg)
{
    if (!ctx)
        return;
    ctx->peer_stop_cb = cb;
    ctx->peer_stop_arg = arg;
}

void sipc_ctx_peer_stopping(sipc_ctx *ctx, const char *node_id, const char *host, int port)
{
    if (ctx && node_id && host && !ctx->closing)
        sipc__channels_peer_stopping(ctx, node_id, host, port);
}

/* What every call or message on a channel must pass first. Inlined into its
 * two callers: out of line, saving and passing the five arguments cost
 * about as many instructions as the checks. */
static inline __attribute__((always_inline)) int
ch_can_send(const sipc_channel *ch, const char *service, const char *method, const void *data,
            size_t len, const char *fn)
{
    /* names: sipc__conn_can_send, or ch_wait for a call that waits */
    if (!ch || !service || !method || (len && !data))
        return SIPC_EINVAL;
    if (sipc__ctx_thread_check(ch->ctx, fn))
        return SIPC_EINVAL;
    if (ch->closing)
        return SIPC_ECLOSING;
    size_t max = ch->ctx->opts.max_frame;
    if (len > max)
        return SIPC_ETOOBIG;
    /* near the limit, the envelope decides: say so now rather than through
     * the callback once the link is up (with the largest request id and
     * deadline the call could get, a few bytes on the safe side) */
    if (len > max / 2) {
        sipc_env_out e = {.kind = SIPC__KIND__REQUEST,
                          .request_id = UINT64_MAX,
                          .service = service,
                          .method = method,
                          .payload = data,
                          .payload_len = len,
                          .deadline_ms = UINT32_MAX};
        if (sipc_env_packed_size(SIPC_PROTOCOL_VERSION, &e) > max)
            return SIPC_ETOOBIG;
    }
    return 0;
}

int sipc_call_ex(sipc_channel *ch, const char *service, const char *method, const void *data,
                 size_t len, uint32_t timeout_ms, sipc_call_cb cb, void *arg, sipc_call_id *id)
{
    int e = ch_can_send(ch, service, method, data, len, "sipc_call");
    if (e != 0)
        return e;
    sipc_pcall *call = NULL;
    if (ch_ready(ch))
        e = sipc__conn_call(ch->conn, service, method, data, len, timeout_ms, cb, arg, &call);
    else
        e = ch_wait(ch, service, method, data, len, timeout_ms, cb, arg, 0, &call);
    if (e != 0 || !id)
        return e;
    /* remembered under a channel-wide id: the call may still move from the
     * waiting list to a connection, where it gets a request id */
    uint64_t h = ++ch->next_handle;
    if (sipc_idmap_put(&ch->handles, h, call) != 0) {
        *id = 0; /* made, but cannot be canceled */
        return 0;
    }
    call->handles = &ch->handles;
    call->handle = h;
    *id = h;
    return 0;
}

int sipc_call(sipc_channel *ch, const char *service, const char *method, const void *data,
              size_t len, uint32_t timeout_ms, sipc_call_cb cb, void *arg)
{
    return sipc_call_ex(ch, service, method, data, len, timeout_ms, cb, arg, NULL);
}

int sipc_call_cancel(sipc_channel *ch, sipc_call_id id)
{
    if (!ch || id == 0 || sipc__ctx_thread_check(ch->ctx, "sipc_call_cancel"))
        return SIPC_EINVAL;
    sipc_pcall *call = sipc_idmap_take(&ch->handles, id);
    if (!call)
        return SIPC_EINVAL; /* completed already, or never made here */
    call->handles = NULL;
    sipc_conn *c = call->conn;
    if (c) {
        /* in flight: a late answer finds nothing and is ignored */
        sipc__conn_take_call(call);
        c->refs++;
    } else {
        ch_unwait(ch, call);
        ch_arm_wtimer(ch);
    }
    sipc__call_complete(call, SIPC_ECANCELED, 0, "call canceled", NULL, 0);
    if (c) {
        sipc__goaway_check(c); /* a link being replaced may have nothing left */
        sipc__conn_release(c);
    }
    return 0;
}

int sipc_send(sipc_channel *ch, const char *service, const char *method, const void *data,
              size_t len)
{
    int e = ch_can_send(ch, service, method, data, len, "sipc_send");
    if (e != 0)
        return e;
    if (ch_ready(ch))
        return sipc_conn_send(ch->conn, service, method, data, len);
    return ch_wait(ch, service, method, data, len, 0, NULL, NULL, 1, NULL);
}

/* ---- lifetime ---- */

int sipc_channel_open(sipc_channel **out, sipc_ctx *ctx, const char *address, int port,
                      const sipc_router *router)
{
    if (!out || !ctx || sipc__ctx_thread_check(ctx, "sipc_channel_open"))
        return SIPC_EINVAL;
    if (!address || !*address || port <= 0 || port > 65535) {
        /* a caller's mistake that no later error would explain: say which */
        if (!address || !*address)
            sipc__log(ctx, SIPC_LOG_ERROR, "Transport.Channel",
                      "sipc_channel_open: address is %s", address ? "\"\"" : "NULL");
        else
            sipc__log(ctx, SIPC_LOG_ERROR, "Transport.Channel",
                      "sipc_channel_open: port %d for %.100s is out of range (1 .. 65535)", port,
                      address);
        return SIPC_EINVAL;
    }
    if (ctx->closing)
        return SIPC_ECLOSING;
    sipc_channel *ch = calloc(1, sizeof *ch);
    if (!ch)
        return SIPC_ENOMEM;
    ch->ctx = ctx;
    sipc_str_copy(ch->host, sizeof ch->host, address);
    ch->port = port;
    /* for messages: IPv6 addresses in brackets, so the port stays readable */
    snprintf(ch->where, sizeof ch->where, strchr(address, ':') ? "[%s]:%d" : "%s:%d", ch->host, port);
    ch->router = sipc__router_retain(router); /* the caller may free its own */
    ch->backoff_ms = ctx->opts.reconnect_min_ms;
    ch->rng = (uv_hrtime() ^ ctx->pid_bits ^ (uint64_t)(uintptr_t)ch) | 1;
    sipc_list_init(&ch->waiting);
    sipc_list_init(&ch->conns);
    uv_timer_init(ctx->loop, &ch->timer);
    uv_timer_init(ctx->loop, &ch->wtimer);
    ch->timer.data = ch->wtimer.data = ch;
    ch->handles_open = 2;
    sipc_list_insert_before(&ctx->channels, &ch->link);
    ch_dial(ch);
    *out = ch;
    return 0;
}

void sipc_channel_set_conn_cb(sipc_channel *ch, sipc_conn_cb cb, void *arg)
{
    if (!ch)
        return;
    ch->conn_cb = cb;
    ch->conn_arg = arg;
}

int sipc_channel_last_error(const sipc_channel *ch)
{
    return ch ? ch->last_err : SIPC_EINVAL;
}

const char *sipc_channel_last_detail(const sipc_channel *ch)
{
    return ch && ch->last_err ? ch->last_detail : "";
}

void sipc_channel_set_fail_fast(sipc_channel *ch, int fail_fast)
{
    if (!ch)
        return;
    ch->fail_fast = fail_fast;
}

int sipc_channel_is_up(const sipc_channel *ch)
{
    return ch && ch->up;
}

int sipc_channel_is_down(const sipc_channel *ch, uint64_t *for_ms)
{
    int down = ch && !ch->up && ch->last_err != 0;
    if (for_ms) {
        uint64_t now = down ? uv_now(ch->ctx->loop) : 0;
        *for_ms = down && now > ch->down_at ? now - ch->down_at : 0;
    }
    return down;
}

static void ch_handle_closed(uv_handle_t *h)
{
    sipc_channel *ch = h->data;
    ch->handles_open--;
    ch_maybe_finish(ch);
}

static void ch_maybe_finish(sipc_channel *ch)
{
    if (!ch->closing || ch->handles_open || ch->conns_alive || ch->resolving)
        return;
    sipc_ctx *ctx = ch->ctx;
    assert(sipc_idmap_count(&ch->handles) == 0); /* every call completed */
    sipc_idmap_free(&ch->handles);
    sipc_list_remove(&ch->link);
    if (ch->close_cb)
        ch->close_cb(ch, ch->close_arg);
    sipc__router_release(ch->router); /* its connections are gone */
    free(ch);
    sipc__ctx_maybe_finish_close(ctx);
}

/* why: what the calls it cancels are told ("channel closed"). */
static int ch_close(sipc_channel *ch, void (*close_cb)(sipc_channel *, void *), void *arg,
                    const char *why)
{
    if (!ch)
        return SIPC_EINVAL;
    if (ch->closing)
        return SIPC_ECLOSING; /* the first close's callback runs, not this one */
    ch->closing = 1;
    ch->close_cb = close_cb;
    ch->close_arg = arg;
    ch_fail_waiting(ch, SIPC_ECANCELED, why);
    assert(ch->waiting_bytes == 0);
    if (ch->resolving)
        uv_cancel((uv_req_t *)&ch->gai);
    /* closed by us: calls canceled, on links being replaced too */
    sipc_link *l = ch->conns.next;
    while (l != &ch->conns) {
        sipc_conn *c = sipc_container_of(l, sipc_conn, owner_link);
        l = l->next; /* unlinked only when freed, but stay safe */
        sipc__conn_close(c, 0, why);
    }
    uv_close((uv_handle_t *)&ch->timer, ch_handle_closed);
    uv_close((uv_handle_t *)&ch->wtimer, ch_handle_closed);
    return 0;
}

int sipc_channel_close(sipc_channel *ch, void (*close_cb)(sipc_channel *, void *), void *arg)
{
    if (ch && sipc__ctx_thread_check(ch->ctx, "sipc_channel_close"))
        return SIPC_EINVAL;
    return ch_close(ch, close_cb, arg, "channel closed");
}

void sipc__channel_close_all(sipc_ctx *ctx)
{
    sipc_link *l = ctx->channels.next;
    while (l != &ctx->channels) {
        sipc_channel *ch = sipc_container_of(l, sipc_channel, link);
        l = l->next;
        (void)ch_close(ch, NULL, NULL, "context closed");
    }
}

int sipc_channel_info(const sipc_channel *ch, sipc_link_info *out)
{
    if (!ch || !out)
        return SIPC_EINVAL;
    memset(out, 0, sizeof *out);
    out->peer_seen_ms = UINT32_MAX;
    sipc_str_copy(out->address, sizeof out->address, ch->where);
    out->up = ch->up;
    /* a down link keeps the transport it last had: a metric labelled by it
     * stays one series across an outage, and a down link of a strict
     * cluster does not look like a plaintext one */
    out->tls = ch->up_tls;
    sipc_str_copy(out->peer_node, sizeof out->peer_node, ch->peer_node);
    sipc_str_copy(out->peer_cluster, sizeof out->peer_cluster, ch->peer_cluster);
    out->peer_cluster_cut = ch->peer_cluster_cut;
    out->since_ms = ch->since_ms;
    out->last_err = ch->last_err;
    sipc_str_copy(out->last_detail, sizeof out->last_detail, ch->last_err ? ch->last_detail : "");
    if (ch->up && !ch->up_tls && ch->tls_refused) {
        out->tls_refused = ch->tls_refused;
        sipc_str_copy(out->tls_refused_detail, sizeof out->tls_refused_detail,
                      ch->tls_refused_detail);
    }
    if (ch->up && ch->conn) {
        out->ping_wait_ms = sipc__conn_ping_wait_ms(ch->conn);
        uint64_t now = uv_now(ch->ctx->loop), life = sipc__conn_last_life(ch->conn);
        uint64_t quiet = now > life ? now - life : 0;
        out->silent_ms = quiet < UINT32_MAX ? (uint32_t)quiet : UINT32_MAX;
    }
    if (!ch->up && ch->last_err) {
        /* how old the reason is: redials back off up to reconnect_max_ms
         * (longer after a refused TLS mode), so it may no longer be true */
        uint64_t now = uv_now(ch->ctx->loop);
        uint64_t age = now > ch->err_at ? now - ch->err_at : 0;
        out->last_error_age_ms = age < UINT32_MAX ? (uint32_t)age : UINT32_MAX;
        out->attempting = ch->conn != NULL || ch->resolving;
        uint64_t seen = ch->peer_seen_at && now >= ch->peer_seen_at ? now - ch->peer_seen_at
                                                                    : UINT32_MAX;
        out->peer_seen_ms = seen < UINT32_MAX ? (uint32_t)seen : UINT32_MAX;
        if (!out->attempting && uv_is_active((const uv_handle_t *)&ch->timer)) {
            uint64_t due = uv_timer_get_due_in(&ch->timer);
            out->next_attempt_ms = due < UINT32_MAX ? (uint32_t)due : UINT32_MAX;
        }
    }
    return 0;
}
