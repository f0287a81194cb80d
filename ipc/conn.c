/* conn.c - one sipc connection over a stream: hello, framing, RPC calls and
 * requests, keepalive, timeouts, and a close that completes every pending
 * call exactly once. The stream below may be plaintext or TLS; nothing here
 * knows which. */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/endian.h"
#include "base/shown_text.h"
#include "base/str_copy.h"
#include "base/utf8_text.h"
#include "ipc/internal.h"
#include "ipc/security.h"

#define CLOSE_GRACE_MS 2000
/* on_frame's "stop decoding here" (not an error): handlers hold too many requests */
#define CONN_PAUSE 1
_Static_assert(CONN_PAUSE != SIPC_FRAME_WAIT, "the decoder's wait is not a handler pause");

static void conn_maybe_free(sipc_conn *c);
static void conn_process_backlog(sipc_conn *c);
static void conn_ping_left(sipc_conn *c);
static uint64_t conn_ping_deadline(const sipc_conn *c);
static uint64_t conn_ack_look_due(const sipc_conn *c);
static int conn_rx_held(const sipc_conn *c);

/* States only move forward: HANDSHAKE -> UP -> CLOSING, or HANDSHAKE -> CLOSING. */
static void conn_set_state(sipc_conn *c, int state)
{
    assert(state > c->state);
    c->state = state;
}

/* ------------------------------------------------------------- sending */

static void conn_after_write(sipc_conn *c);

/* A payload large enough to be written at once anyway (the stream's early
 * write size) is not copied into c->out: it leaves from where it lies, in one
 * write with what is queued before it (one writev in plaintext, records of
 * its own in TLS). Smaller ones wait for the flusher, so that many share one
 * write. */
static int conn_send_direct(sipc_conn *c, const sipc_env_out *e)
{
    size_t at;
    int r = sipc_env_encode_around(&c->out, e, c->send_max, &at);
    if (r != 0)
        return r;
    sipc_piece parts[2] = {{e->payload, e->payload_len}, {c->out.data + at, c->out.len - at}};
    assert(parts[1].len <= SIPC_ENV_AFTER_PAYLOAD_MAX);
    c->out.len = at;
    sipc__conn_keys_wear(c, at + e->payload_len + parts[1].len);
    /* the flusher this marks below sends what the cork keeps back */
    sipc_stream_cork(c->stream, 1);
    r = sipc_stream_write_parts(c->stream, &c->out, parts, parts[1].len ? 2 : 1);
    sipc_stream_cork(c->stream, 0);
    c->out.len = 0;
    c->last_io = c->last_tx = uv_now(c->ctx->loop);
    if (r == 0)
        conn_after_write(c);
    else if (r != SIPC_ECLOSED && r != SIPC_ENOTCONN)
        c->write_err = r; /* not closed here, under a handler or a call being
                             started: the flusher closes */
    /* the flusher also enforces the total of queued bytes and tells a
     * producer refused before that it may go on */
    sipc__ctx_mark_dirty(c->ctx, c);
    return 0;
}

int sipc__conn_queue(sipc_conn *c, const sipc_env_out *e)
{
    if (e->payload_len >= c->direct_min && c->state == SIPC_CONN_S_UP && c->stream &&
        !c->write_err)
        return conn_send_direct(c, e);
    int r = sipc_env_encode(&c->out, e, c->send_max);
    if (r == 0) {
        c->last_io = c->last_tx = uv_now(c->ctx->loop);
        /* accounted by the flush this marks, before the flusher checks the
         * context's total: once per batch, not once per frame */
        sipc__ctx_mark_dirty(c->ctx, c);
    }
    return r;
}

void sipc__conn_account(sipc_conn *c)
{
    /* a closing connection counts no more: its bytes are on their way out or
       dropped within the close grace */
    size_t now = c->state == SIPC_CONN_S_CLOSING ? 0 : sipc_conn_write_queue(c);
    c->ctx->queued_total = c->ctx->queued_total - c->queued_acct + now;
    c->queued_acct = now;
}

size_t sipc__conn_buffer_bytes(const sipc_conn *c)
{
    return c->out.cap + c->backlog.cap + c->dec.spare_cap +
           (c->dec.body && c->dec.body != c->dec.spare ? c->dec.body_len : 0) +
           (c->stream ? sipc_stream_buffer_bytes(c->stream) : 0);
}

/* Buffers an idle connection could give back: exactly what conn_trim
 * frees, since the timer comes back for them at once while any is left (a
 * paused TLS connection holding half a record spun the loop so). */
static int conn_has_spare(const sipc_conn *c)
{
    return (c->out.cap && !c->out.len) || (c->backlog.cap && !c->backlog.len) ||
           (c->dec.spare && sipc_frame_decoder_idle(&c->dec)) ||
           (c->stream && sipc_stream_queued(c->stream) == 0 && sipc_stream_trimmable(c->stream));
}

/* A connection with nothing in flight for SIPC__TRIM_IDLE_MS frees its
 * buffers: one large message must not cost megabytes for the connection's
 * whole life, and ten thousand idle peers cost no buffers at all. Buffers
 * are kept while traffic flows, so a stream of large messages does not fault
 * in fresh memory for each. */
static void conn_trim(sipc_conn *c)
{
    size_t freed = 0;
    if (c->out.cap && !c->out.len) {
        freed += c->out.cap;
        sipc_buf_free(&c->out);
    }
    if (c->backlog.cap && !c->backlog.len) {
        freed += c->backlog.cap;
        sipc_buf_free(&c->backlog);
    }
    if (c->dec.spare && sipc_frame_decoder_idle(&c->dec)) {
        freed += c->dec.spare_cap;
        sipc_frame_decoder_release(&c->dec);
    }
    if (c->stream && sipc_stream_queued(c->stream) == 0)
        freed += sipc_stream_trim(c->stream);
    sipc__ctx_released(c->ctx, freed);
}

/* A producer refused with SIPC_EQUEUEFULL learns once that it may go on. */
static void conn_check_writable(sipc_conn *c)
{
    if (!c->want_writable || c->state != SIPC_CONN_S_UP || !sipc__conn_low_water(c))
        return;
    c->want_writable = 0;
    if (c->owner_ops->writable) {
        c->refs++;
        c->owner_ops->writable(c->owner, c);
        sipc__conn_release(c);
    }
}

/* Bookkeeping after bytes went to the stream. */
static void conn_after_write(sipc_conn *c)
{
    sipc__conn_account(c);
    conn_ping_left(c);
    /* bring the timer forward to give buffers back once this goes quiet */
    if (c->state == SIPC_CONN_S_UP &&
        (c->timer_due == 0 || c->timer_due > c->last_io + SIPC__TRIM_IDLE_MS) && conn_has_spare(c))
        sipc__conn_arm_timer(c);
    if (c->paused)
        sipc__conn_update_pause(c);
}

/* A direct write failed (conn_send_direct): closes the connection, once.
 * Returns 1 after such a failure. The frames queued since are dropped: the
 * failed one may be half written, and they would read as its rest. */
static int conn_write_failed(sipc_conn *c)
{
    if (!c->write_err)
        return 0;
    c->out.len = 0;
    if (c->state != SIPC_CONN_S_CLOSING)
        sipc__conn_close(c, c->write_err, "write to the socket failed");
    return 1;
}

/* The write half of a flush: hands c->out to the stream. */
static void conn_write_out(sipc_conn *c)
{
    if (conn_write_failed(c))
        return;
    if (c->stream && (c->out.len || sipc_stream_kept(c->stream))) {
        sipc__conn_keys_wear(c, c->out.len);
        int r = c->out.len ? sipc_stream_write(c->stream, &c->out) : sipc_stream_push(c->stream);
        if (r == SIPC_ECLOSED || r == SIPC_ENOTCONN) {
            c->out.len = 0; /* the close already failed every call */
            return;
        }
        if (r != 0) {
            sipc__conn_close(c, r, "write to the socket failed");
            return;
        }
        conn_after_write(c);
    } else {
        sipc__conn_account(c); /* what was queued without a stream to take it */
    }
    conn_check_writable(c);
}

void sipc__conn_flush(sipc_conn *c)
{
    if (conn_write_failed(c))
        return;
    conn_process_backlog(c);
    conn_write_out(c);
    if (!c->key_budget)
        sipc__conn_keys_check(c); /* here, not per read: once per loop turn */
}

int sipc__conn_over_limit(const sipc_conn *c)
{
    return sipc_conn_write_queue(c) > c->ctx->opts.max_write_queue;
}

int sipc__conn_send_error(sipc_conn *c, uint64_t id, int status, const char *msg)
{
    sipc_env_out e = {.kind = SIPC__KIND__ERROR, .request_id = id, .status = status, .message = msg};
    int r = sipc__conn_queue(c, &e);
    if (r != SIPC_ETOOBIG || !msg)
        return r;
    /* a message longer than the peer's max_frame takes (a handler's own
     * words): its start, cut between characters, so that the caller still
     * gets its answer rather than nothing until its deadline */
    size_t room = sipc_env_payload_max(c->send_max), len = strlen(msg);
    char *cut = malloc((len < room ? len : room) + 1);
    if (!cut)
        return SIPC_ENOMEM;
    sipc_str_copy_utf8(cut, (len < room ? len : room) + 1, msg);
    e.message = cut;
    r = sipc__conn_queue(c, &e);
    free(cut);
    return r;
}

/* What every outgoing call or message on a connection must pass first. */
int sipc__conn_can_send(sipc_conn *c, const char *service, const char *method, const void *data,
                        size_t len)
{
    if (!c || !service || !method || (len && !data) || !*service || !*method)
        return SIPC_EINVAL;
    if (c->state != SIPC_CONN_S_UP)
        return c->state == SIPC_CONN_S_CLOSING ? SIPC_ECLOSED : SIPC_ENOTCONN;
    if (sipc__conn_over_limit(c)) {
        c->want_writable = 1;
        return SIPC_EQUEUEFULL;
    }
    return 0;
}

size_t sipc_conn_write_queue(const sipc_conn *c)
{
    if (!c)
        return 0;
    return c->out.len + (c->stream ? sipc_stream_queued(c->stream) : 0);
}

int sipc_conn_info(const sipc_conn *c, sipc_peer_info *pi)
{
    if (!c || !pi)
        return SIPC_EINVAL;
    memset(pi, 0, sizeof *pi);
    if (c->stream) {
        sipc_stream_info si;
        sipc_stream_describe(c->stream, &si);
        sipc_str_copy(pi->address, sizeof pi->address, si.peer);
        pi->tls = si.tls;
        sipc_str_copy(pi->tls_version, sizeof pi->tls_version, si.tls_version);
        sipc_str_copy(pi->tls_cipher, sizeof pi->tls_cipher, si.tls_cipher);
        sipc_str_copy(pi->peer_fingerprint, sizeof pi->peer_fingerprint, si.peer_fingerprint);
        pi->tls_resumed = si.tls_resumed;
        pi->tls_direct = si.tls_direct;
    } else {
        sipc_str_copy(pi->address, sizeof pi->address, c->peer_addr);
    }
    sipc_str_copy(pi->peer_node, sizeof pi->peer_node, c->peer_node);
    sipc_str_copy(pi->peer_cluster, sizeof pi->peer_cluster, c->peer_cluster);
    pi->peer_cluster_cut = c->peer_cluster_cut;
    pi->peer_offered_tls = !pi->tls && c->peer_plaintext_retry;
    return 0;
}

sipc_ctx *sipc_conn_ctx(const sipc_conn *c)
{
    return c ? c->ctx : NULL;
}

void sipc_conn_close(sipc_conn *c)
{
    if (c)
        sipc__conn_close(c, 0, "closed by this side");
}

sipc_security *sipc_conn_security(const sipc_conn *c)
{
    return c ? c->sec : NULL;
}

/* ------------------------------------------------------------- requests */

/* Stop reading from a peer that does not read our answers, or that has more
 * requests outstanding with our handlers than allowed: memory stays bounded
 * whatever the peer sends. Resume when both are back under their limits. */
void sipc__conn_update_pause(sipc_conn *c)
{
    if (!c->stream || c->state == SIPC_CONN_S_CLOSING)
        return;
    int at_cap = c->pending_reqs >= c->ctx->opts.max_pending_requests;
    int over = sipc__conn_over_limit(c) || at_cap || c->backlog.len > 0 || c->rx_waiting;
    if (over != c->paused) {
        c->paused = over;
        sipc_stream_pause(c->stream, over);
    }
    int held = conn_rx_held(c);
    if (held && !c->rx_held && c->state == SIPC_CONN_S_UP)
        sipc__conn_arm_timer(c); /* a PING may be due at once (conn_ping_due) */
    if (held || c->rx_held) {
        /* an answer to our PING may have waited unread until now */
        c->rx_free_since = uv_now(c->ctx->loop);
        if (!held && c->ping_sent && c->state == SIPC_CONN_S_UP) {
            c->rx_held = 0;
            sipc__conn_arm_timer(c);
        }
    }
    c->rx_held = held;
    if (at_cap != (c->held_since != 0)) {
        /* paused by our own handlers: the timer looks for requests whose
           caller gave up, which free their place */
        c->held_since = at_cap ? uv_now(c->ctx->loop) : 0;
        if (at_cap && c->state == SIPC_CONN_S_UP &&
            (c->timer_due == 0 || c->timer_due > c->held_check))
            sipc__conn_arm_timer(c);
    }
    /* the flusher decodes the backlog; a connection waiting for room is
       tried again when room is given back, not at every flush */
    if (c->backlog.len && !at_cap && !c->rx_waiting)
        sipc__ctx_mark_dirty(c->ctx, c);
}

void sipc__conn_release(sipc_conn *c)
{
    assert(c->refs > 0);
    c->refs--;
    conn_maybe_free(c);
}

/* ------------------------------------------------------------- receiving */

/* io-class codes say what happened to our own socket, so a peer's never
 * stands for ours; SIPC_EREADFULL is the one the peer itself sends: it had
 * no room for our frame, which is its limit, not a fault of the link. */
static int is_sipc_code(int status)
{
    return status <= -30001 && status >= -30099 &&
           (sipc_err_classify(status) != SIPC_CLASS_IO || status == SIPC_EREADFULL);
}

static void on_reply(sipc_conn *c, const sipc_env_view *env)
{
    sipc_pcall *call = sipc__conn_take_answered(c, env->request_id);
    if (!call)
        return; /* late answer to a call that already timed out or was canceled */
    if (env->kind == SIPC__KIND__RESPONSE) {
        sipc__call_complete(call, 0, 0, "", env->payload, env->payload_len);
        sipc__goaway_check(c);
        return;
    }
    /* the reply hands the message out as a C string, safe to log: a
     * peer's control bytes and invisible characters shown as \xNN */
    char small[256], *msg = small;
    size_t need = env->message.len * 4 + 1;
    if (need > sizeof small && !(msg = malloc(need)))
        msg = small;
    sipc__shown_n(env->message.ptr, env->message.len, msg, msg == small ? sizeof small : need);
    int err = sipc__call_remote_err(call, env->status);
    sipc__call_complete(call, err, env->status, msg, env->payload, env->payload_len);
    if (msg != small)
        free(msg);
    sipc__goaway_check(c);
}

/* protobuf-c's allocator over a block on the stack: a hello unpacks into a
 * few hundred bytes, and malloc and free for each of its strings were the
 * most of its cost. Nothing is freed; the block goes with the stack. */
typedef struct hello_arena {
    uint8_t *p;
    size_t left;
} hello_arena;

static void *arena_alloc(void *data, size_t n)
{
    hello_arena *a = data;
    n = (n + 15) & ~(size_t)15; /* what malloc's alignment would be */
    if (n == 0 || n > a->left)
        return NULL;
    void *r = a->p;
    a->p += n;
    a->left -= n;
    return r;
}

static void arena_free(void *data, void *p)
{
    (void)data;
    (void)p;
}

static int on_hello(sipc_conn *c, const sipc_env_view *env)
{
    _Alignas(16) uint8_t space[1024];
    hello_arena arena = {space, sizeof space};
    ProtobufCAllocator on_stack = {arena_alloc, arena_free, &arena};
    Sipc__Hello *h = sipc__hello__unpack(&on_stack, env->payload_len, env->payload);
    int heap = !h; /* too big for the block (or not a Hello): as before, on the heap */
    if (heap)
        h = sipc__hello__unpack(NULL, env->payload_len, env->payload);
    char msg[400];
    if (!h) {
        (void)sipc__conn_send_error(c, 0, SIPC_EPROTO, "your hello is not a valid Hello message");
        sipc__conn_close(c, SIPC_EPROTO, "peer's hello is not a valid Hello message");
        return SIPC_EPROTO;
    }
    /* the names a peer gives itself reach logs, status answers and
     * operators' terminals: no control characters, no broken UTF-8 */
    if (!sipc__utf8_printable(h->node_id) || !sipc__utf8_printable(h->cluster)) {
        if (heap)
            sipc__hello__free_unpacked(h, NULL);
        (void)sipc__conn_send_error(c, 0, SIPC_EPROTO,
                                    "your hello's node id or cluster name holds control, "
                                    "invisible or text-direction characters or bytes that are "
                                    "not UTF-8");
        sipc__conn_close(c, SIPC_EPROTO,
                         "peer's hello names its node or cluster with control, invisible or "
                         "text-direction characters or bytes that are not UTF-8");
        return SIPC_EPROTO;
    }
    /* a name longer than the 63 bytes kept (sipc_ctx_new refuses one, but
     * any client may send it) is cut between characters: status answers and
     * the peers' history name it, and JSON refuses a broken character */
    sipc_str_copy_utf8(c->peer_node, sizeof c->peer_node, h->node_id);
    sipc_str_copy_utf8(c->peer_cluster, sizeof c->peer_cluster, h->cluster);
    /* a name told with its end missing would never match: say it was cut */
    c->peer_cluster_cut = h->cluster && strlen(h->cluster) >= sizeof c->peer_cluster;
    c->peer_plaintext_retry = h->plaintext_retry != 0;
    c->peer_tls_accepted = h->tls_accepted != 0;
    int err = 0;
    if (h->protocol_version != SIPC_PROTOCOL_VERSION || env->version != SIPC_PROTOCOL_VERSION) {
        err = SIPC_EVERSION;
        /* name the value that differs: the hello's or the envelope's */
        snprintf(msg, sizeof msg,
                 "protocol version mismatch: this side %s speaks version %d, peer %s at %s sent a "
                 "hello of version %u in an envelope of version %u",
                 c->ctx->node_id, SIPC_PROTOCOL_VERSION, h->node_id, c->peer_addr,
                 h->protocol_version, env->version);
    } else if (strcmp(h->cluster, c->ctx->cluster) != 0) {
        err = SIPC_ECLUSTER;
        snprintf(msg, sizeof msg,
                 "cluster name mismatch: this side %s is in cluster '%s', peer %s at %s is in "
                 "cluster '%s'",
                 c->ctx->node_id, c->ctx->cluster, h->node_id, c->peer_addr, h->cluster);
    } else if (h->max_frame && h->max_frame < SIPC_FRAME_MIN) {
        /* nothing this side sends would fit, not even an ERROR or a PONG:
         * every answer would be dropped, so the peer is refused instead */
        err = SIPC_EPROTO;
        snprintf(msg, sizeof msg,
                 "peer %s at %s takes frames of at most %u bytes (its hello's max_frame), below "
                 "the protocol's minimum of %u that every hello, ERROR and PONG fits",
                 c->peer_node, c->peer_addr, h->max_frame, SIPC_FRAME_MIN);
    }
    /* a frame larger than the peer takes would close the whole link: such an
       answer or request is refused alone instead */
    if (!err && h->max_frame && h->max_frame < c->send_max)
        c->send_max = h->max_frame;
    if (heap)
        sipc__hello__free_unpacked(h, NULL);
    if (err) {
        (void)sipc__conn_send_error(c, 0, err, msg);
        sipc__conn_close(c, err, msg);
        return err;
    }
    c->hello_received = 1;
    c->dec.max = c->ctx->opts.max_frame;
    conn_set_state(c, SIPC_CONN_S_UP);
    c->direct_min = sipc_stream_early_write(c->stream);
    sipc__conn_arm_timer(c);
    c->refs++;
    c->owner_ops->up(c->owner, c);
    sipc__goaway_at_up(c);
    sipc__channels_peer_back(c->ctx, c->peer_node, sipc_stream_peer(c->stream));
    /* calls that waited for the link, made by the up callback, or a GOAWAY,
     * leave now: a resumed TLS client's Finished is still unsent, and they go with it */
    if (c->state == SIPC_CONN_S_UP && c->out.len)
        conn_write_out(c);
    int closed = c->state != SIPC_CONN_S_UP;
    sipc__conn_release(c);
    return closed ? SIPC_ECLOSED : 0;
}

static int on_frame(void *arg, const uint8_t *data, size_t len)
{
    sipc_conn *c = arg;
    if (c->state == SIPC_CONN_S_CLOSING)
        return SIPC_ECLOSED;
    int err = 0;
    char why[256];
    sipc_env_view v;
    const sipc_env_view *env = &v; /* points into data: nothing to free */
    if (sipc_env_read(data, len, &v, &err, why, sizeof why) != 0) {
        char msg[600];
        snprintf(msg, sizeof msg, "%s (from %s)", why, c->peer_addr);
        (void)sipc__conn_send_error(c, 0, err, why);
        sipc__conn_close(c, err, msg);
        return err;
    }
    if (env->kind == SIPC__KIND__ERROR && env->request_id == 0) {
        /* the peer's last word before it closes */
        char msg[600];
        int code = is_sipc_code(env->status) ? env->status : SIPC_EPROTO;
        /* a refusal of our TLS mode comes in the handshake, never on a link
         * already up: calls in flight there may have been served, and a
         * caller that resends what a mode refusal failed must not be told so */
        if (c->hello_received && (code == SIPC_EPLAINTEXT || code == SIPC_ETLSONPLAIN))
            code = SIPC_EPROTO;
        /* its words may be long and in any script: cut between characters,
         * or every reader that checks the text refuses all of it */
        char full[1400], said[1000];
        sipc__shown_n(env->message.ptr, env->message.len, said, sizeof said);
        snprintf(full, sizeof full, "peer %s says: %s", c->peer_addr, said);
        sipc_str_copy_utf8(msg, sizeof msg, full);
        sipc__conn_close(c, code, msg);
        return code;
    }
    if (!c->hello_received) {
        if (env->kind != SIPC__KIND__HELLO) {
            char msg[600];
            snprintf(msg, sizeof msg, "peer %s sent a %s before its hello", c->peer_addr,
                     sipc_env_kind_name(env->kind));
            (void)sipc__conn_send_error(c, 0, SIPC_EPROTO, msg);
            sipc__conn_close(c, SIPC_EPROTO, msg);
            return SIPC_EPROTO;
        }
        return on_hello(c, env);
    }
    if ((env->kind == SIPC__KIND__REQUEST || env->kind == SIPC__KIND__RESPONSE ||
         env->kind == SIPC__KIND__PING || env->kind == SIPC__KIND__PONG) &&
        env->request_id == 0) {
        /* id 0 is reserved for connection-level errors (protocol.md, section 6) */
        char msg[200];
        snprintf(msg, sizeof msg, "peer sent a %s with id 0, which is reserved",
                 sipc_env_kind_name(env->kind));
        (void)sipc__conn_send_error(c, 0, SIPC_EPROTO, "id 0 is reserved for connection errors");
        sipc__conn_close(c, SIPC_EPROTO, msg);
        return SIPC_EPROTO;
    }
    /* a frame of any kind shows the peer alive: it answers our PING */
    c->ping_sent = 0;
    c->ping_probe = 0;
    if (sipc__goaway_on_frame(c, env))
        return c->state == SIPC_CONN_S_CLOSING ? SIPC_ECLOSED : 0;
    switch (env->kind) {
    case SIPC__KIND__REQUEST:
    case SIPC__KIND__ONE_WAY:
        sipc__conn_dispatch(c, env, data); /* keeps what the handler needs */
        if (c->state != SIPC_CONN_S_CLOSING && c->pending_reqs >= c->ctx->opts.max_pending_requests) {
            /* requests whose caller gave up free their place first */
            uint64_t now = uv_now(c->ctx->loop);
            if (now >= c->held_check)
                (void)sipc__requests_expire(c, now);
            if (c->state == SIPC_CONN_S_CLOSING)
                return SIPC_ECLOSED;
            if (c->pending_reqs >= c->ctx->opts.max_pending_requests)
                return CONN_PAUSE; /* decode the rest later */
        }
        break;
    case SIPC__KIND__RESPONSE:
    case SIPC__KIND__ERROR:
        on_reply(c, env);
        break;
    case SIPC__KIND__PING: {
        sipc_env_out e = {.kind = SIPC__KIND__PONG, .request_id = env->request_id};
        (void)sipc__conn_queue(c, &e);
        break;
    }
    case SIPC__KIND__PONG:
        break;
    default: /* a second hello */
        (void)sipc__conn_send_error(c, 0, SIPC_EPROTO, "a second hello on one connection");
        sipc__conn_close(c, SIPC_EPROTO, "peer sent a second hello");
        return SIPC_EPROTO;
    }
    return c->state == SIPC_CONN_S_CLOSING ? SIPC_ECLOSED : 0;
}

/* ------------------------------------------------------- stream events */

static void ev_ready(sipc_stream *s)
{
    sipc_conn *c = sipc_stream_owner(s);
    sipc_str_copy(c->peer_addr, sizeof c->peer_addr, sipc_stream_peer(s));
    sipc_ctx *ctx = c->ctx;
    /* the same on every connection of the context (its node id and
     * cluster are fixed when it is made): packed on the first */
    if (!ctx->hello_len)
        ctx->hello_len = sipc__hello_pack(ctx, 0, 0, ctx->hello, sizeof ctx->hello);
    sipc_env_out e = {.kind = SIPC__KIND__HELLO, .payload = ctx->hello, .payload_len = ctx->hello_len};
    uint8_t own[sizeof ctx->hello];
    int plain = !sipc_stream_is_tls(s);
    /* the plaintext dial right after the address refused our TLS says so
     * (the channel marks it), and the listener's line about the handshake
     * it refused is no news */
    int retry = plain && c->plaintext_retry && !c->is_server;
    /* a permissive listener tells a plaintext dialer it takes TLS: one that
     * fell back (its TLS refused by this port's setup before a reload, or
     * closed by a listener too busy) offers TLS again rather than keep a
     * plaintext link that nothing else would replace */
    int takes_tls = plain && c->is_server && sipc_security_mode(c->sec) == SIPC_TLS_PERMISSIVE;
    if (ctx->hello_len && (retry || takes_tls)) {
        e.payload = own;
        e.payload_len = sipc__hello_pack(ctx, retry, takes_tls, own, sizeof own);
    }
    if (!e.payload_len) {
        sipc__conn_close(c, SIPC_ECONFIG, "node id or cluster name too long for the hello");
        return;
    }
    int r = sipc__conn_queue(c, &e);
    if (r != 0) {
        sipc__conn_close(c, r, "cannot send hello");
        return;
    }
    /* out now, in the same write as the TLS Finished that made the stream
     * ready: the peer wakes once for both, a round trip's wake-up fewer */
    sipc__conn_flush(c);
}

/* c's share of what connections waiting for room read ahead. */
static void rx_wait_account(sipc_conn *c)
{
    size_t now = c->rx_waiting ? c->backlog.len : 0;
    c->ctx->rx_wait_bytes = c->ctx->rx_wait_bytes - c->rx_wait_acct + now;
    c->rx_wait_acct = now;
}

/* A split frame found no room in the context's reassembly budget: c waits
 * for it with reading paused, behind those already waiting, and keeps what it
 * read ahead (ahead bytes) in its backlog. Returns 0, or SIPC_EREADFULL when
 * the waiters' read-ahead would pass its own share of the budget: then the
 * frame is refused now rather than held. */
static int rx_wait_start(sipc_conn *c, size_t ahead)
{
    sipc_ctx *ctx = c->ctx;
    if (c->rx_waiting)
        return 0;
    if (ctx->rx_wait_bytes + ahead > ctx->opts.max_read_buffer_total / SIPC__RX_WAIT_SHARE)
        return SIPC_EREADFULL;
    c->rx_waiting = 1;
    c->rx_wait_since = uv_now(ctx->loop);
    ctx->rx_budget.waiting++;
    int first = sipc_list_empty(&ctx->rx_waiters);
    sipc_list_insert_before(&ctx->rx_waiters, &c->rx_wait_link);
    if (first)
        sipc__ctx_enforce_read_total(ctx); /* arms the wait's bound */
    return 0;
}

void sipc__conn_close_read_full(sipc_conn *c, int waited)
{
    sipc_ctx *ctx = c->ctx;
    size_t limit = ctx->opts.max_read_buffer_total, used = ctx->rx_budget.used;
    size_t flen = waited ? c->dec.pending : c->dec.body_len;
    unsigned long long ms = (unsigned long long)(uv_now(ctx->loop) -
                                                 (waited ? c->rx_wait_since : c->rx_since));
    char msg[600], tell[400];
    if (waited) {
        char when[80] = "at once (connections waiting for room have read ahead their share)";
        if (waited == 1)
            snprintf(when, sizeof when, "after %llu ms", ms);
        snprintf(msg, sizeof msg,
                 "no room for its frame of %zu bytes %s: partial frames of all connections hold "
                 "%zu bytes, the limit ([limits] max_read_buffer_total) is %zu",
                 flen, when, used, limit);
        snprintf(tell, sizeof tell,
                 "node %s has no room for your frame of %zu bytes: its partial frames reached "
                 "[limits] max_read_buffer_total (%zu bytes); send it again later, or raise that "
                 "limit on node %s",
                 ctx->node_id, flen, limit, ctx->node_id);
    } else {
        snprintf(msg, sizeof msg,
                 "its frame of %zu bytes, begun %llu ms ago, is the oldest incomplete one while "
                 "others wait for room: partial frames of all connections hold %zu bytes, the "
                 "limit ([limits] max_read_buffer_total) is %zu",
                 flen, ms, used, limit);
        snprintf(tell, sizeof tell,
                 "node %s closes this connection: your frame of %zu bytes was still incomplete "
                 "after %llu ms while its partial frames reached [limits] max_read_buffer_total "
                 "(%zu bytes); finish frames promptly, or raise that limit on node %s",
                 ctx->node_id, flen, ms, limit, ctx->node_id);
    }
    if (c->counters)
        c->counters->stalled_closed++;
    (void)sipc__conn_send_error(c, 0, SIPC_EREADFULL, tell);
    /* sipc__conn_close logs it, limited per peer and reason, and frees the
       partial frame at once */
    sipc__conn_close(c, SIPC_EREADFULL, msg);
}

/* Decodes p; if a handler cap stops it, or its next frame must wait for
 * room, the rest waits in the backlog. */
static int conn_input(sipc_conn *c, const uint8_t *p, size_t n)
{
    size_t used = 0;
    int r = sipc_frame_decode_some(&c->dec, p, n, on_frame, c, &used);
    if (r == SIPC_FRAME_WAIT && rx_wait_start(c, n - used) != 0) {
        sipc__conn_close_read_full(c, 2);
        return SIPC_EREADFULL;
    }
    if (r == CONN_PAUSE || r == SIPC_FRAME_WAIT) {
        if (used < n && sipc_buf_append(&c->backlog, p + used, n - used) != 0)
            r = SIPC_ENOMEM;
        else
            r = 0;
    }
    if (c->dec.started != c->rx_started) {
        c->rx_started = c->dec.started;
        c->rx_since = uv_now(c->ctx->loop);
    }
    if (c->rx_waiting && !c->dec.pending && c->state != SIPC_CONN_S_CLOSING)
        sipc__conn_rx_wait_end(c);
    rx_wait_account(c);
    if (r == SIPC_ETOOBIG && c->state == SIPC_CONN_S_HANDSHAKE &&
        c->dec.last_len >> 24 > SIPC_FRAME_MAX >> 24 &&
        !(c->stream && sipc_stream_is_tls(c->stream))) {
        /* no hello yet, and a first byte no sipc frame begins with (protocol.md, 3):
         * no sipc peer (HTTP, a scanner, SSLv2), whom an ERROR frame would not help.
         * Inside TLS the peer has shown the cluster's certificate: a sipc peer,
         * told its frame is too large like any other (below). */
        uint8_t b[4];
        sipc_be32_put(b, (uint32_t)c->dec.last_len);
        char msg[600];
        sipc__foreign_peer_says(c, b, sizeof b, 0, msg, sizeof msg);
        r = SIPC_EPROTO;
        sipc__conn_close(c, r, msg);
    } else if (r == SIPC_ETOOBIG) {
        /* before the hello the decoder's cap is the small one set at accept,
         * which no setting raises */
        int early = c->dec.max < c->ctx->opts.max_frame;
        const char *limit = early ? " before its hello (until the hello, frames up to that size "
                                    "are accepted)"
                                  : " ([limits] max_frame)";
        char msg[600];
        snprintf(msg, sizeof msg, "peer %s announced a frame of %zu bytes, more than the maximum of %zu%s",
                 c->peer_addr, c->dec.last_len, c->dec.max, limit);
        char tell[300]; /* the same, in the peer's words */
        snprintf(tell, sizeof tell, "frame of %zu bytes exceeds node %s's maximum of %zu%s",
                 c->dec.last_len, c->ctx->node_id, c->dec.max,
                 early ? " before the hello" : " ([limits] max_frame)");
        (void)sipc__conn_send_error(c, 0, SIPC_ETOOBIG, tell);
        sipc__conn_close(c, SIPC_ETOOBIG, msg);
    } else if (r == SIPC_ENOMEM) {
        sipc__conn_close(c, SIPC_ENOMEM, "out of memory for an incoming frame");
    }
    if (r == 0)
        sipc__conn_pause_after_read(c);
    return r;
}

/* Called from the flusher, never from inside a handler: goes on decoding
 * what was read while the handlers were at their cap. */
static void conn_process_backlog(sipc_conn *c)
{
    if ((c->backlog.len == 0 && !c->dec.pending) || c->state == SIPC_CONN_S_CLOSING ||
        c->pending_reqs >= c->ctx->opts.max_pending_requests)
        return;
    /* those waiting for room get it in the order they began to wait */
    if (c->rx_waiting && c->ctx->rx_waiters.next != &c->rx_wait_link)
        return;
    sipc_buf b = c->backlog;
    memset(&c->backlog, 0, sizeof c->backlog);
    c->refs++;
    (void)conn_input(c, b.data, b.len);
    sipc_buf_free(&b);
    sipc__conn_release(c);
}

static int ev_data(sipc_stream *s, const uint8_t *p, size_t n)
{
    sipc_conn *c = sipc_stream_owner(s);
    if (c->state == SIPC_CONN_S_CLOSING)
        return SIPC_ECLOSED;
    c->last_rx = c->last_io = uv_now(c->ctx->loop);
    /* the idle close's look again was owed to the old last_rx: a later
       stall is owed its own */
    c->idle_probe = 0;
    sipc__conn_keys_wear(c, n);
    if (!c->key_budget)
        sipc__ctx_mark_dirty(c->ctx, c); /* a connection that only reads is flushed too */
    if (c->backlog.len) {
        /* keep order behind what is already waiting */
        if (sipc_buf_append(&c->backlog, p, n) != 0) {
            sipc__conn_close(c, SIPC_ENOMEM, "out of memory for an incoming frame");
            return SIPC_ENOMEM;
        }
        rx_wait_account(c);
        sipc__conn_update_pause(c);
        return 0;
    }
    c->refs++; /* handlers may close the connection under us */
    int r = conn_input(c, p, n);
    /* Answers worth a full socket write leave now rather than at the end of
     * the loop iteration (libuv reads up to 32 buffers per wake-up): the peer
     * starts on them while this side decodes the rest, instead of the two
     * taking turns with a whole window each. */
    if (r == 0 && c->stream && c->out.len >= sipc_stream_early_write(c->stream) &&
        c->state != SIPC_CONN_S_CLOSING) {
        /* the rest of this read, or the flusher, follows: a short last
         * segment may wait for it */
        sipc_stream_cork(c->stream, 1);
        conn_write_out(c);
        if (c->stream) {
            sipc_stream_cork(c->stream, 0);
            if (sipc_stream_kept(c->stream))
                sipc__ctx_mark_dirty(c->ctx, c);
        }
    }
    sipc__conn_release(c);
    return r;
}

/* The stream may decrypt or read the rest of a large frame straight into
 * its reassembly buffer; not while input waits in the backlog (order). */
static size_t ev_rx_window(sipc_stream *s, uint8_t **p)
{
    sipc_conn *c = sipc_stream_owner(s);
    if (c->state == SIPC_CONN_S_CLOSING || c->backlog.len)
        return 0;
    return sipc_frame_window(&c->dec, p);
}

static void ev_drained(sipc_stream *s)
{
    sipc_conn *c = sipc_stream_owner(s);
    conn_after_write(c);
    conn_check_writable(c);
}

/* The stream found plaintext where TLS belongs; whether it is sipc's (a
 * node or client without TLS) or nothing of sipc's at all (an HTTP client
 * or server, a port scanner), which no TLS setting concerns: then why says
 * so and it returns 1. */
static int not_sipc(sipc_conn *c, sipc_stream *s, char *why, size_t len)
{
    /* a sipc peer's first frame (its hello, or the error that answers TLS
     * on a plaintext port) is within the cap before the hello: its length,
     * the first 4 bytes (those not read yet taken as 0), is no larger */
    uint8_t b[4] = {0};
    size_t n = sipc_stream_first_bytes(s, b);
    if (n == 0 || sipc_be32_get(b) <= SIPC__PREHELLO_FRAME)
        return 0;
    sipc__foreign_peer_says(c, b, n, 1, why, len);
    return 1;
}

/* A bound dial that failed before it connected (refused, unreachable, no
 * answer in time): the source may be the cause (an address the peer's host
 * cannot route back to), so the detail names it, as for a dial that fails
 * at once. Else detail as it is. */
static const char *dial_detail(const sipc_conn *c, int err, const char *detail, char *buf,
                               size_t len)
{
    if (!c->dial_from || !c->stream || !sipc_stream_connecting(c->stream))
        return detail;
    snprintf(buf, len, "cannot connect to %s from %s: %s", c->peer_addr, c->dial_from,
             detail && *detail ? detail : sipc_strerror(err));
    return buf;
}

static void ev_error(sipc_stream *s, int err, const char *detail)
{
    sipc_conn *c = sipc_stream_owner(s);
    char why[300];
    if (err == SIPC_EPLAINTEXT && not_sipc(c, s, why, sizeof why)) {
        err = SIPC_EPROTO;
        detail = why;
    }
    char from[600];
    detail = dial_detail(c, err, detail, from, sizeof from);
    char hinted[900];
    char own[300];
    const char *hint = sipc__conn_operator_hint(err, c, own, sizeof own);
    if (*hint) {
        snprintf(hinted, sizeof hinted, "%s%s", detail ? detail : "", hint);
        detail = hinted;
    }
    if (err == SIPC_ETLSONPLAIN && c->is_server) {
        /* tell the TLS client, in plaintext, why it is turned away */
        char msg[600];
        snprintf(msg, sizeof msg, "node %s has TLS disabled on this port; enable TLS on every node",
                 c->ctx->node_id);
        (void)sipc__conn_send_error(c, 0, SIPC_ETLSONPLAIN, msg);
        sipc__conn_flush(c);
    }
    sipc__conn_close(c, err, detail);
}

static void on_timer_closed(uv_handle_t *h)
{
    sipc_conn *c = h->data;
    c->timer_closed = 1;
    conn_maybe_free(c);
}

static void ev_closed(sipc_stream *s)
{
    sipc_conn *c = sipc_stream_owner(s);
    if (!c)
        return; /* aborted before a connection took it over */
    c->stream = NULL;
    c->stream_closed = 1;
    if (c->state != SIPC_CONN_S_CLOSING)
        sipc__conn_close(c, SIPC_ECLOSED, "connection closed");
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}

const sipc_stream_events sipc__conn_stream_events = {
    .ready = ev_ready,
    .data = ev_data,
    .error = ev_error,
    .drained = ev_drained,
    .closed = ev_closed,
    .rx_window = ev_rx_window,
};

/* ------------------------------------------------------------- timers */

static void conn_timer_cb(uv_timer_t *t);

/* Reading held back by this side (its handlers hold max_pending_requests,
 * input waits to be decoded, a partial frame waits for room): the peer's
 * answers may be waiting unread, so its silence proves nothing. A pause
 * because the peer does not read our output is not this side's doing. */
static int conn_rx_held(const sipc_conn *c)
{
    return c->pending_reqs >= c->ctx->opts.max_pending_requests || c->backlog.len > 0 ||
           c->rx_waiting;
}

/* Our outstanding PING has left our queue (nothing of ours waits before
 * it): from now on the peer has it, or the kernel does. */
static void conn_ping_left(sipc_conn *c)
{
    if (!c->ping_sent || c->ping_out || sipc_conn_write_queue(c) != 0)
        return;
    c->ping_out = uv_now(c->ctx->loop);
    uint64_t at;
    c->ping_acked_at = c->stream && sipc_stream_acked_all_at(c->stream, &at) == 0 ? at : 0;
    if (c->state == SIPC_CONN_S_UP && c->ctx->opts.keepalive_timeout_ms)
        sipc__conn_arm_timer(c);
}

/* While our PING is unanswered, the peer taking our bytes is life too:
 * while the PING waits behind them in our queue, the kernel taking more
 * (it takes more only as the peer acknowledges); and the peer's TCP
 * acknowledging more of what the kernel holds (a PING that left our queue
 * may wait behind MiBs in the socket and the peer's receive buffer), as of
 * the last ACK, but only until it has acknowledged the PING itself: from
 * then on the PING waits in the peer's receive buffer for the peer's
 * process to read it, and a stopped process's kernel goes on acknowledging
 * whatever else we send (its window need not even shrink: it is rounded up
 * to the window scale). A peer that stopped reading before the PING reached
 * it stops acknowledging once its receive buffer is full. */
static void conn_ping_tx_look(sipc_conn *c, uint64_t now)
{
    if (!c->ping_sent || !c->stream)
        return;
    if (!c->ping_out) {
        uint64_t sent = sipc_stream_sent(c->stream);
        if (sent != c->tx_seen) {
            c->tx_seen = sent;
            c->tx_moved = now;
        }
    }
    if (now < conn_ping_deadline(c) && now < conn_ack_look_due(c))
        return;
    c->ack_looked = now;
    uint64_t acked;
    uint32_t ago;
    if (!c->ping_landed && sipc_stream_acked_bytes(c->stream, &acked, &ago) == 0 &&
        acked != c->acked_seen) {
        c->acked_seen = acked;
        uint64_t at = now > ago ? now - ago : 0;
        if (at > c->tx_moved)
            c->tx_moved = at;
        if (c->ping_acked_at && acked >= c->ping_acked_at)
            c->ping_landed = 1; /* at the last ACK at the latest */
    }
}

/* Since when our PING's answer counts as waited for: the latest of when it
 * was queued, left our queue, the peer last took our bytes, showed life,
 * or this side last held back reading. */
static uint64_t conn_ping_from(const sipc_conn *c)
{
    uint64_t from = c->ping_out > c->tx_moved ? c->ping_out : c->tx_moved;
    if (c->ping_sent > from)
        from = c->ping_sent;
    uint64_t life = sipc__conn_last_life(c);
    if (life > from)
        from = life;
    if (c->rx_free_since > from)
        from = c->rx_free_since;
    return from;
}

/* When to look at the acknowledgements again while the peer's TCP has not
 * yet acknowledged our PING, so that the last ACK, which dates it, is at
 * most an eighth of keepalive_timeout_ms (250 ms) later than that; one look
 * on a healthy link. UINT64_MAX when only the deadline looks (the kernel
 * does not say how far the PING reaches). */
static uint64_t conn_ack_look_due(const sipc_conn *c)
{
    uint32_t timeout = c->ctx->opts.keepalive_timeout_ms, step = timeout / 8;
    if (!timeout || !c->ping_sent || !c->ping_out || !c->ping_acked_at || c->ping_landed)
        return UINT64_MAX;
    uint64_t last = c->ack_looked > c->ping_out ? c->ack_looked : c->ping_out;
    return last + (step > 250 ? 250 : step ? step : 1);
}

/* When our PING counts as unanswered, UINT64_MAX when not (none
 * outstanding, reading held back here, or the keepalive off: then the
 * PINGs of a hold only tell the peer this side is alive). */
static uint64_t conn_ping_deadline(const sipc_conn *c)
{
    uint32_t timeout = c->ctx->opts.keepalive_timeout_ms;
    if (!timeout || !c->ctx->opts.keepalive_ms || !c->ping_sent || conn_rx_held(c))
        return UINT64_MAX;
    return conn_ping_from(c) + timeout;
}

uint32_t sipc__conn_ping_wait_ms(const sipc_conn *c)
{
    if (c->state != SIPC_CONN_S_UP || !c->ping_sent || conn_rx_held(c) ||
        !c->ctx->opts.keepalive_ms)
        return 0;
    uint64_t now = uv_now(c->ctx->loop), from = conn_ping_from(c);
    /* a PING waiting behind a large message the peer is taking is not
       suspect: look at its acknowledgements as the timer would */
    uint64_t acked;
    uint32_t ago;
    if (!c->ping_landed && c->stream && sipc_stream_acked_bytes(c->stream, &acked, &ago) == 0 &&
        acked != c->acked_seen && now > ago && now - ago > from)
        from = now - ago;
    return now > from ? (uint32_t)(now - from < UINT32_MAX ? now - from : UINT32_MAX) : 0;
}

/* The most a side that holds back reading stays silent: its peer, which
 * cannot have its PINGs answered meanwhile, hears from it well within
 * keepalive_timeout_ms (the same on every node of a cluster). With this
 * side's keepalive off its peer's may still be on (nodes are configured one
 * at a time): half its keepalive_timeout_ms, or of the default 10 s. */
static uint64_t conn_held_gap(const sipc_options *o)
{
    uint32_t k = o->keepalive_ms, t = o->keepalive_timeout_ms;
    uint32_t gap = (!k ? (t ? t : 10000) : t && t < k ? t : k) / 2;
    return gap ? gap : 1;
}

/* When the next PING is due: after keepalive_ms of silence (never with it
 * 0); while reading is held back here (the peer's answers wait unread),
 * also whenever nothing was sent for conn_held_gap (at once when a hold
 * begins after such a silence), keepalive off or not, so the peer keeps
 * hearing from this side. */
static uint64_t conn_ping_due(const sipc_conn *c)
{
    uint32_t every = c->ctx->opts.keepalive_ms;
    uint64_t due = c->ping_sent || !every ? UINT64_MAX : c->last_rx + every;
    if (conn_rx_held(c)) {
        uint64_t gap = conn_held_gap(&c->ctx->opts);
        if (c->last_tx + gap < due)
            due = c->last_tx + gap;
    }
    return due;
}

void sipc__conn_arm_timer(sipc_conn *c)
{
    if (c->timer_closed || uv_is_closing((uv_handle_t *)&c->timer))
        return;
    const sipc_options *o = &c->ctx->opts;
    uint64_t due = UINT64_MAX;
    if (c->state == SIPC_CONN_S_CLOSING) {
        due = c->close_deadline;
    } else {
        if (c->state == SIPC_CONN_S_HANDSHAKE)
            due = c->hs_deadline;
        uint64_t d = sipc__conn_next_deadline(c);
        if (d < due)
            due = d;
        if (c->state == SIPC_CONN_S_UP) {
            if (sipc__goaway_due(c) < due)
                due = sipc__goaway_due(c);
            if (conn_ping_due(c) < due)
                due = conn_ping_due(c);
            if (conn_ping_deadline(c) < due)
                due = conn_ping_deadline(c);
            if (conn_ack_look_due(c) < due)
                due = conn_ack_look_due(c);
            if (o->idle_timeout_ms && c->last_rx + o->idle_timeout_ms < due)
                due = c->last_rx + o->idle_timeout_ms;
            if (conn_has_spare(c) && c->last_io + SIPC__TRIM_IDLE_MS < due)
                due = c->last_io + SIPC__TRIM_IDLE_MS;
            if (c->held_since && c->held_check < due)
                due = c->held_check;
        }
    }
    if (due == UINT64_MAX) {
        uv_timer_stop(&c->timer);
        c->timer_due = 0;
        return;
    }
    uint64_t now = uv_now(c->ctx->loop);
    c->timer_due = due;
    /* libuv runs a timer due now again before it polls: a deadline still
     * due after its callback ran at this loop time waits a millisecond, so
     * that no condition the callback failed to clear keeps the loop from
     * its I/O and signals */
    uint64_t wait = due > now ? due - now : c->timer_fired == now ? 1 : 0;
    uv_timer_start(&c->timer, conn_timer_cb, wait, 0);
}

static void conn_timer_cb(uv_timer_t *t)
{
    sipc_conn *c = t->data;
    uint64_t now = uv_now(c->ctx->loop);
    const sipc_options *o = &c->ctx->opts;
    c->timer_due = 0;
    c->timer_fired = now;
    if (c->state == SIPC_CONN_S_CLOSING) {
        if (now >= c->close_deadline && c->stream)
            sipc_stream_abort(c->stream); /* the peer does not take our last bytes */
        return;
    }
    c->refs++;
    if (c->state == SIPC_CONN_S_HANDSHAKE && now >= c->hs_deadline) {
        char msg[600], from[900], ms[200];
        /* the error's name says "handshake": this says which step, with whom,
         * and the time it had (shortened under pressure: then why) */
        int connecting = c->stream && sipc_stream_connecting(c->stream);
        int silent = !connecting && c->stream && !sipc_stream_got_bytes(c->stream);
        if (c->hs_why)
            snprintf(ms, sizeof ms, "%u ms (%s)", c->hs_ms, c->hs_why);
        else
            snprintf(ms, sizeof ms, "%u ms", c->hs_ms);
        int err = SIPC_EHSTIMEOUT;
        if (silent && c->is_server) {
            /* not even a first byte: no handshake was begun that could
             * have timed out, so the code is the dialer's for a silent
             * peer; a client that began one and stalled keeps
             * SIPC_EHSTIMEOUT with the step it stalled in */
            err = SIPC_ESILENT;
            /* besides a stopped or overloaded client, something that is no
             * sipc client (a port check that keeps the connection open)
             * looks so too */
            snprintf(msg, sizeof msg,
                     "connected from %s, but nothing received from it within %s: the process "
                     "there may be stopped or overloaded, or not a sipc client",
                     c->peer_addr, ms);
        } else if (silent) {
            /* connected, and not a byte back: the process there is stopped
             * or overloaded, which no TLS setting explains */
            err = SIPC_ESILENT;
            uint64_t at = sipc_stream_connected_at(c->stream);
            sipc__silence_text(msg, sizeof msg, c->peer_addr,
                               at && at <= now ? now - at : c->hs_ms);
        } else {
            /* the hello is sipc's own step, on a plaintext connection or
             * after a TLS handshake that finished: no TLS matter, so not
             * the tls class; a peer that stalls in it is said as an io
             * failure, as one that says nothing is. Nor is a connect that
             * got no answer (no handshake begun): the kernel's own code for
             * it, whichever gives up first, this timer or its SYN retries */
            int in_tls = c->stream && sipc_stream_in_tls_handshake(c->stream);
            err = connecting ? UV_ETIMEDOUT : in_tls ? err : SIPC_EHELLOTIMEOUT;
            snprintf(msg, sizeof msg, "the %s peer %s did not finish within %s",
                     connecting ? "connect to" : in_tls ? "TLS step with" : "hello with",
                     c->peer_addr[0] ? c->peer_addr : "(connecting)", ms);
        }
        sipc__conn_close(c, err, dial_detail(c, err, msg, from, sizeof from));
    }
    sipc__conn_expire_calls(c, now);
    sipc__goaway_check(c);
    sipc__goaway_expire(c, now);
    if (c->state == SIPC_CONN_S_UP && now >= c->last_io + SIPC__TRIM_IDLE_MS)
        conn_trim(c);
    if (c->state == SIPC_CONN_S_UP && c->held_since && now >= c->held_check &&
        sipc__requests_expire(c, now))
        sipc__conn_update_pause(c);
    if (c->state == SIPC_CONN_S_UP) {
        conn_ping_tx_look(c, now);
        int idle = o->idle_timeout_ms && now >= c->last_rx + o->idle_timeout_ms;
        if (!idle)
            c->idle_probe = 0;
        if (idle && !c->idle_probe) {
            /* as for an overdue PING: a loop that did not run has not read
             * what the peer sent meanwhile; look again after it has */
            c->idle_probe = 1;
        } else if (idle) {
            char msg[900];
            if (c->held_since) {
                /* we stopped reading, not the peer: say whose handlers */
                char names[300] = "";
                unsigned n = sipc__requests_describe(c, names, sizeof names);
                snprintf(msg, sizeof msg,
                         "nothing read from %s for %u ms: reading has been paused for %llu ms "
                         "because handlers of this node hold %u requests (%u within their "
                         "deadline, max_pending_requests = %u): %s",
                         c->peer_addr, o->idle_timeout_ms,
                         (unsigned long long)(now - c->held_since), n,
                         c->pending_reqs, o->max_pending_requests, names);
            } else {
                snprintf(msg, sizeof msg, "nothing received from %s for %u ms", c->peer_addr,
                         o->idle_timeout_ms);
            }
            sipc__conn_close(c, SIPC_EIDLE, msg);
        } else if (now >= conn_ping_due(c)) {
            sipc__conn_ping_queue(c, now);
        } else if (now >= conn_ping_deadline(c) && !c->ping_probe) {
            /* a loop that did not run (a stopped process, a handler that
             * blocked it) has not read what came meanwhile: look again
             * after it has */
            c->ping_probe = 1;
        } else if (now >= conn_ping_deadline(c)) {
            char msg[600], behind[160] = "";
            if (!c->ping_out)
                snprintf(behind, sizeof behind,
                         ", and it took none of the %zu bytes queued before and with the PING "
                         "for %llu ms",
                         sipc_conn_write_queue(c), (unsigned long long)(now - c->tx_moved));
            snprintf(msg, sizeof msg,
                     "no answer to PING from %s within %u ms (keepalive_timeout_ms): nothing "
                     "received for %llu ms%s",
                     c->peer_addr, o->keepalive_timeout_ms,
                     (unsigned long long)(now - sipc__conn_last_life(c)), behind);
            sipc__conn_close(c, SIPC_EKEEPALIVE, msg);
        } else {
            c->ping_probe = 0;
        }
    }
    if (c->state != SIPC_CONN_S_CLOSING || c->stream)
        sipc__conn_arm_timer(c);
    sipc__conn_release(c);
}

/* ------------------------------------------------------------ lifetime */

int sipc__conn_new(sipc_conn **out, sipc_ctx *ctx, sipc_security *sec, sipc_stream *stream,
                   int is_server, const sipc_router *router, const sipc_conn_owner_ops *ops,
                   void *owner)
{
    sipc_conn *c = calloc(1, sizeof *c);
    if (!c)
        return SIPC_ENOMEM;
    c->ctx = ctx;
    c->sec = sipc_security_retain(sec);
    c->stream = stream;
    c->is_server = is_server;
    c->router = router;
    c->owner_ops = ops;
    c->owner = owner;
    c->refs = 1; /* dropped when the connection goes down */
    c->state = SIPC_CONN_S_HANDSHAKE;
    c->direct_min = SIZE_MAX;
    c->send_max = ctx->opts.max_frame;
    sipc_list_init(&c->held);
    sipc_list_init(&c->owner_link);
    sipc_list_init(&c->dirty_link);
    sipc_list_init(&c->deadlines);
    /* a hello is a few hundred bytes: until it has come, nobody gets to park
     * megabytes in our reassembly buffer */
    sipc_frame_decoder_init(&c->dec, ctx->opts.max_frame < SIPC__PREHELLO_FRAME
                                         ? ctx->opts.max_frame
                                         : SIPC__PREHELLO_FRAME);
    sipc_frame_decoder_set_budget(&c->dec, &ctx->rx_budget);
    sipc_list_init(&c->rx_wait_link);
    uv_timer_init(ctx->loop, &c->timer);
    c->timer.data = c;
    uint64_t now = uv_now(ctx->loop);
    c->last_rx = c->last_io = now;
    c->hs_deadline = now + ctx->opts.handshake_timeout_ms;
    c->hs_ms = ctx->opts.handshake_timeout_ms;
    if (stream)
        sipc_stream_set_owner(stream, c);
    sipc__conn_arm_timer(c);
    *out = c;
    return 0;
}

/* Whether a dialer in permissive mode offered TLS and met a peer that
 * speaks plaintext (it refused TLS with a plaintext error frame, or closed
 * without a byte): the channel retries in plaintext at once. A stream
 * already gone counts as the TLS attempt it was unless the channel knows it
 * had fallen back (the channel checks that). */
int sipc__conn_permissive_fallback(const sipc_conn *c, int err, int was_up, int got_bytes)
{
    return !c->is_server && !was_up && sipc_security_mode(c->sec) == SIPC_TLS_PERMISSIVE &&
           (c->stream ? sipc_stream_is_tls(c->stream) : 1) &&
           (err == SIPC_EPLAINTEXT || (err == SIPC_ECLOSED && !got_bytes));
}

void sipc__conn_close(sipc_conn *c, int err, const char *detail)
{
    if (c->state == SIPC_CONN_S_CLOSING)
        return;
    int was_up = c->state == SIPC_CONN_S_UP;
    conn_set_state(c, SIPC_CONN_S_CLOSING);
    /* its buffers go now, once the stream is closed and when it is freed:
     * counted then (conn_maybe_free), so that the context's return of
     * memory to the system does not run before they are gone; and a TLS
     * stream's session, which no buffer count sees, at least what it frees
     * (a flood of handshakes closed gave nothing back otherwise) */
    c->close_bytes = sipc__conn_buffer_bytes(c) +
                     (c->stream && sipc_stream_is_tls(c->stream) ? SIPC__TLS_SESSION_BYTES : 0);
    c->down_err = err;
    sipc_str_copy_utf8(c->down_detail, sizeof c->down_detail, detail ? detail : "");
    c->refs++;
    /* a session ticket from before the peer's restart or reload: expected,
     * and the client redials with a full handshake at once */
    c->resume_refused = !was_up && err != 0 && c->stream && sipc_stream_tls_resume_refused(c->stream);
    int got_bytes = c->stream ? sipc_stream_got_bytes(c->stream) : 0;
    /* TLS on a plaintext port: the peer is told, and one that accepts both
     * retries in plaintext at once (then this side's line is DEBUG); a
     * strict one fails and says so in its own log. So this side's line is
     * information, not a warning. */
    int level = c->resume_refused || (c->is_server && err == SIPC_ETLSONPLAIN) ? SIPC_LOG_INFO
                                                                               : SIPC_LOG_WARN;
    /* a peer starting with this side, or one that said it stops: expected */
    if (c->refused_note && err == UV_ECONNREFUSED)
        level = c->refused_level;
    if (err == SIPC_ECLOSED && was_up) {
        if (sipc__log_on(c->ctx, SIPC_LOG_INFO))
            sipc__conn_log_closed_by_peer(c);
    } else if (err == SIPC_EPLAINTEXT && sipc__conn_permissive_fallback(c, err, was_up, got_bytes)) {
        /* the channel says it, once: a plaintext answer to the TLS a
         * permissive dialer offers first is what it is built for (a close
         * without a word may be anything, and keeps its warning) */
    } else if (c->evicted) {
        /* the listener said it, with the reason: not a timeout of its own */
    } else if (err != 0 && !sipc__reoffer_said(c, err, was_up) && sipc__log_on(c->ctx, level)) {
        sipc__conn_log_failed(c, err, level);
    }
    /* every outstanding call completes now, exactly once: canceled when we
     * close on purpose, else with the reason of the failure */
    sipc__conn_fail_calls(c, err ? err : SIPC_ECANCELED, c->down_detail);
    sipc__conn_flush(c);
    sipc__conn_account(c);
    /* nothing more is decoded: a partial frame and what was read ahead go
       now, not after the close grace, so the context's budget has the room
       at once (inside the callback of a reassembled frame the decoder still
       hands its buffer up; it goes when the connection is freed) */
    sipc__conn_rx_wait_end(c);
    if (!c->dec.cur)
        sipc_frame_decoder_free(&c->dec);
    sipc_buf_free(&c->backlog);
    rx_wait_account(c);
    sipc_list_remove(&c->dirty_link);
    if (c->stream)
        sipc_stream_close(c->stream);
    c->close_deadline = uv_now(c->ctx->loop) + CLOSE_GRACE_MS;
    sipc__conn_arm_timer(c);
    c->owner_ops->down(c->owner, c, err, c->down_detail, was_up, got_bytes);
    c->refs--; /* the owner's reference */
    sipc__conn_release(c);
}

void sipc__conn_set_handshake_timeout(sipc_conn *c, uint32_t ms, const char *why)
{
    if (c->state != SIPC_CONN_S_HANDSHAKE)
        return;
    c->hs_deadline = uv_now(c->ctx->loop) + ms;
    c->hs_ms = ms;
    c->hs_why = why;
    sipc__conn_arm_timer(c);
}

static void conn_maybe_free(sipc_conn *c)
{
    if (c->refs > 0 || !c->stream_closed || !c->timer_closed)
        return;
    sipc_list_remove(&c->dirty_link);
    sipc_list_remove(&c->owner_link);
    c->ctx->queued_total -= c->queued_acct;
    sipc_frame_decoder_free(&c->dec);
    sipc_buf_free(&c->backlog);
    sipc_buf_free(&c->out);
    assert(sipc_idmap_count(&c->calls) == 0 && sipc_list_empty(&c->deadlines));
    assert(c->pending_reqs == 0 && c->expired_reqs == 0 && sipc_list_empty(&c->held));
    sipc_idmap_free(&c->calls);
    sipc_security_release(c->sec);
    sipc__ctx_released(c->ctx, c->close_bytes);
    const sipc_conn_owner_ops *ops = c->owner_ops;
    void *owner = c->owner;
    free(c);
    if (ops->freed)
        ops->freed(owner);
}
