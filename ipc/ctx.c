/* ctx.c - a context binds sipc to a libuv loop: options, security, the
 * write flusher and the cross-thread post queue. */
#include <signal.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log_line.h"
#include "base/rss.h"
#include "base/str_copy.h"
#include "base/utf8_text.h"
#include "ipc/addr.h"
#include "ipc/internal.h"
#include "ipc/security.h"
#include "ipc/timeouts.h"

typedef struct sipc_post {
    struct sipc_post *next;
    sipc_post_fn fn;
    void *arg;
} sipc_post;

void sipc__log(sipc_ctx *ctx, sipc_log_level level, const char *category, const char *fmt, ...)
{
    if (!sipc__log_on(ctx, level))
        return;
    char msg[SIPC__LOG_LINE_MAX]; /* as long as a log line may be: cut once, by the sink */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ctx->opts.log(ctx->opts.log_arg, level, category, msg);
}

static void on_ctx_timer(uv_timer_t *t);
static uint64_t ctx_give_back(sipc_ctx *ctx, uint64_t now);

void sipc__ctx_timer_within(sipc_ctx *ctx, uint64_t ms)
{
    uv_timer_t *t = &ctx->timer;
    if (ms == UINT64_MAX || uv_is_closing((uv_handle_t *)t) ||
        (uv_is_active((uv_handle_t *)t) && uv_timer_get_due_in(t) <= ms))
        return;
    uv_timer_start(t, on_ctx_timer, ms, 0);
}

/* Wipes the ticket keys and client sessions of the context's TLS
 * configuration that can no longer be used. Seals, opens and offers do it
 * too, but a quiet node (its peers resume, or nobody dials) makes none and
 * would keep them, and the master secrets they open, for as long as it
 * runs. Returns the ms until it is due again (UINT64_MAX: never). */
static uint64_t ctx_tls_expire(sipc_ctx *ctx)
{
    uint64_t now = uv_hrtime();
    uint64_t next = sipc_tls_config_expire(sipc_security_tls(ctx->sec), now, NULL);
    if (next == UINT64_MAX)
        return UINT64_MAX;
    /* rounded up, and at least 1 ms: the loop's clock may lag uv_hrtime() */
    return next > now ? (next - now + 999999) / 1000000 + 1 : 1;
}

/* The context's housekeeping: the report of log lines held back that no
 * later line did, the lines held for a retry that did not come, the
 * expiry of its TLS keys and sessions, freed memory handed back, and the
 * spare descriptor a failed accept gave up taken back (server.c). */
static void on_ctx_timer(uv_timer_t *t)
{
    sipc_ctx *ctx = t->data;
    uint64_t now = uv_now(ctx->loop);
    (void)sipc__fd_budget_spare_back();
    sipc__ctx_timer_within(ctx, sipc__log_limited_flush(ctx, now, 0));
    sipc__ctx_timer_within(ctx, ctx_tls_expire(ctx));
    sipc__ctx_timer_within(ctx, ctx_give_back(ctx, now));
}

void sipc_options_init(sipc_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->node_id = "node";
    o->cluster = "sipc";
    o->max_frame = 16u << 20;
    o->max_write_queue = 64u << 20;
    o->max_write_queue_total = 256u << 20;
    /* 16 frames of the default max_frame at once, or 64 links each in the
     * middle of a 4 MiB pipeline batch, or 256 in the middle of 1 MiB
     * messages, and as large as the largest max_frame, so that any one frame
     * fits alone; the same as the output's cap */
    o->max_read_buffer_total = SIPC_FRAME_MAX;
    o->max_pending_requests = 1024;
    o->handshake_timeout_ms = 10000;
    o->idle_timeout_ms = 60000;
    o->keepalive_ms = 15000;
    o->keepalive_timeout_ms = 10000;
    o->reconnect_min_ms = 100;
    o->reconnect_max_ms = 1000;
    o->max_connections = 16384;
    o->max_opening = 4096;
    o->log = sipc_log_stderr;
}

/* The context whose flusher runs on this thread now (contexts on one loop
 * share a thread). */
static _Thread_local const sipc_ctx *flushing;

/* Runs before the loop polls, from the turn in which a connection first
 * queued output until a turn in which none did: while requests flow, every
 * turn queues some, and stopping and starting the handle each turn cost
 * more than the one call that finds nothing once they stop. (Unreferenced:
 * it never holds the loop open, and a prepare handle does not shorten the
 * poll.) */
static void flusher_cb(uv_prepare_t *p)
{
    sipc_ctx *ctx = p->data;
    const sipc_ctx *outer = flushing;
    flushing = ctx;
    int idle = sipc_list_empty(&ctx->dirty);
    while (!sipc_list_empty(&ctx->dirty)) {
        sipc_link *l = ctx->dirty.next;
        sipc_list_remove(l);
        sipc__conn_flush(sipc_container_of(l, sipc_conn, dirty_link));
    }
    if (ctx->queued_total > ctx->opts.max_write_queue_total)
        sipc__ctx_enforce_queue_total(ctx);
    if (idle) {
        uv_prepare_stop(p);
        ctx->flusher_on = 0;
    }
    flushing = outer;
}

void sipc__ctx_mark_dirty(sipc_ctx *ctx, sipc_conn *c)
{
    if (c->dirty_link.next != &c->dirty_link)
        return;
    sipc_list_insert_before(&ctx->dirty, &c->dirty_link);
    if (uv_is_closing((uv_handle_t *)&ctx->flusher))
        return;
    if (!ctx->flusher_on) {
        uv_prepare_start(&ctx->flusher, flusher_cb);
        ctx->flusher_on = 1;
    }
    /* Marked from another context's flusher (a handler it ran), this one's
     * may have run already in this turn, or, just started, will not: the
     * loop must not wait for I/O before it runs again. */
    if (flushing && flushing != ctx)
        uv_async_send(&ctx->async);
}

/* Every live connection of ctx, with fn(c, arg). */
static void ctx_foreach_conn(sipc_ctx *ctx, void (*fn)(sipc_conn *, void *), void *arg)
{
    for (sipc_link *l = ctx->servers.next; l != &ctx->servers; l = l->next) {
        sipc_server *srv = sipc_container_of(l, sipc_server, link);
        for (sipc_link *cl = srv->conns.next; cl != &srv->conns; cl = cl->next) {
            sipc_conn *c = sipc_container_of(cl, sipc_conn, owner_link);
            if (c->state != SIPC_CONN_S_CLOSING)
                fn(c, arg);
        }
    }
    for (sipc_link *l = ctx->channels.next; l != &ctx->channels; l = l->next) {
        sipc_channel *ch = sipc_container_of(l, sipc_channel, link);
        if (ch->conn && ch->conn->state != SIPC_CONN_S_CLOSING)
            fn(ch->conn, arg);
    }
}

static void account_and_pick(sipc_conn *c, void *arg)
{
    sipc_conn **most = arg;
    sipc__conn_account(c); /* write completions shrink queues without telling us */
    if (!*most || c->queued_acct > (*most)->queued_acct)
        *most = c;
}

/* Over the context's cap on queued output, pausing readers is not enough
 * (answers are always queued, and many slow peers add up): the connection
 * holding the most unread output is closed, and its memory is freed at once,
 * so the node keeps serving the others. Repeated until under the cap. */
void sipc__ctx_enforce_queue_total(sipc_ctx *ctx)
{
    for (;;) {
        sipc_conn *most = NULL;
        ctx_foreach_conn(ctx, account_and_pick, &most);
        if (ctx->queued_total <= ctx->opts.max_write_queue_total || !most ||
            most->queued_acct == 0)
            return;
        char msg[600];
        snprintf(msg, sizeof msg,
                 "does not read its answers: closing the slowest reader ([limits] "
                 "max_write_queue_total): %zu bytes queued for it, %zu for all connections "
                 "(limit %zu)",
                 most->queued_acct, ctx->queued_total, ctx->opts.max_write_queue_total);
        /* sipc__conn_close logs it, limited per peer and reason */
        if (most->counters)
            most->counters->slow_closed++;
        sipc_conn *c = most;
        c->refs++;
        sipc__conn_close(c, SIPC_EQUEUEFULL, msg);
        if (c->stream)
            sipc_stream_abort(c->stream); /* drop its queue now, not after the grace */
        sipc__conn_release(c);
    }
}

/* ------------------------------------------ room for partial frames */

static sipc_conn *rx_head(sipc_ctx *ctx)
{
    if (sipc_list_empty(&ctx->rx_waiters))
        return NULL;
    return sipc_container_of(ctx->rx_waiters.next, sipc_conn, rx_wait_link);
}

/* A decoder gave bytes back while connections wait: the oldest one tries
 * again from the flusher (never here, inside someone else's decoding). */
static void rx_released(void *arg)
{
    sipc_ctx *ctx = arg;
    sipc_conn *head = rx_head(ctx);
    if (head)
        sipc__ctx_mark_dirty(ctx, head);
}

static void rx_timer_cb(uv_timer_t *t)
{
    sipc__ctx_enforce_read_total(t->data);
}

static void rx_arm(sipc_ctx *ctx, uint64_t due)
{
    if (uv_is_closing((uv_handle_t *)&ctx->rx_timer))
        return;
    uint64_t now = uv_now(ctx->loop);
    uv_timer_start(&ctx->rx_timer, rx_timer_cb, due > now ? due - now : 0, 0);
}

void sipc__conn_rx_wait_end(sipc_conn *c)
{
    if (!c->rx_waiting)
        return;
    sipc_ctx *ctx = c->ctx;
    int was_head = rx_head(ctx) == c;
    sipc_list_remove(&c->rx_wait_link);
    c->rx_waiting = 0;
    ctx->rx_budget.waiting--;
    ctx->rx_wait_bytes -= c->rx_wait_acct;
    c->rx_wait_acct = 0;
    sipc_conn *next = rx_head(ctx);
    if (!next) {
        uv_timer_stop(&ctx->rx_timer);
    } else if (was_head) {
        sipc__ctx_mark_dirty(ctx, next); /* there may be room for it too */
        rx_arm(ctx, next->rx_wait_since + SIPC__RX_WAIT_MS);
    }
}

static void trim_idle_decoder(sipc_conn *c, void *arg)
{
    (void)arg;
    if (c->dec.spare && sipc_frame_decoder_idle(&c->dec))
        sipc_frame_decoder_release(&c->dec);
}

typedef struct oldest_pick {
    sipc_conn *c;
    uint64_t before;
} oldest_pick;

/* The connection whose split frame began first, among those begun before
 * the oldest waiter began to wait. */
static void pick_oldest_partial(sipc_conn *c, void *arg)
{
    oldest_pick *p = arg;
    if (!c->dec.body || c->rx_since > p->before)
        return;
    if (!p->c || c->rx_since < p->c->rx_since ||
        (c->rx_since == p->c->rx_since && c->dec.held > p->c->dec.held))
        p->c = c;
}

/* The oldest waiter has waited SIPC__RX_WAIT_MS and may still find no room:
 * idle connections' kept buffers go first (they cost nobody anything), then
 * the partial frame begun longest ago is closed, a sender that stalls or is
 * slower than everyone else, repeated until the waiter fits; with no such
 * frame the waiter's own frame is refused. Waiting is backpressure on a peer
 * whose frame comes at a bad moment; the bound on it is what keeps a few
 * peers that never finish their frames from locking everyone else out, and
 * two nodes whose large frames wait on each other from waiting forever. */
void sipc__ctx_enforce_read_total(sipc_ctx *ctx)
{
    int trimmed = 0;
    for (;;) {
        sipc_conn *head = rx_head(ctx);
        if (!head)
            return;
        uint64_t now = uv_now(ctx->loop);
        if (now < head->rx_wait_since + SIPC__RX_WAIT_MS) {
            rx_arm(ctx, head->rx_wait_since + SIPC__RX_WAIT_MS);
            return;
        }
        if (!trimmed) {
            ctx_foreach_conn(ctx, trim_idle_decoder, NULL);
            trimmed = 1;
        }
        if (sipc_frame_pending_fits(&head->dec)) {
            /* the flusher admits it; look again if it somehow did not */
            sipc__ctx_mark_dirty(ctx, head);
            rx_arm(ctx, now + SIPC__RX_WAIT_MS / 4);
            return;
        }
        oldest_pick pick = {NULL, head->rx_wait_since};
        ctx_foreach_conn(ctx, pick_oldest_partial, &pick);
        sipc_conn *victim = pick.c ? pick.c : head;
        victim->refs++;
        sipc__conn_close_read_full(victim, victim == head);
        sipc__conn_release(victim);
    }
}

#define TRIM_MIN ((size_t)8 << 20)
#define TRIM_EVERY_MS 1000u
#define TRIM_EVERY_MAX_MS 60000u

int sipc__trim_worth(size_t released, size_t in_use)
{
    /* released >= (in_use + released) / 4 */
    return released >= TRIM_MIN && released >= in_use / 3;
}

uint32_t sipc__trim_every(uint32_t every, size_t released, uint64_t gave)
{
    if (gave >= released / 4)
        return TRIM_EVERY_MS;
    uint64_t n = (uint64_t)(every ? every : TRIM_EVERY_MS) * 2;
    return n > TRIM_EVERY_MAX_MS ? TRIM_EVERY_MAX_MS : (uint32_t)n;
}

/* glibc keeps freed memory in its heap (buffers of a few MiB come from it
 * once it has freed mapped ones that large: its mmap threshold follows
 * them), so after a large release the RSS stayed at its high-water mark:
 * hand it back to the system once connections freed a lot of what the heap
 * held, from the context's timer, so that a release within the wait is
 * handed back too. malloc_trim walks every free chunk of the heap on the
 * loop thread, so under steady connection churn on a large heap it must
 * not run every second: a return that gave back little (RSS before and
 * after) doubles the wait. Returns when to look again, UINT64_MAX: nothing
 * to do. */
static uint64_t ctx_give_back(sipc_ctx *ctx, uint64_t now)
{
#if defined(__GLIBC__)
    if (ctx->released < TRIM_MIN)
        return UINT64_MAX;
    if (now < ctx->trim_next)
        return ctx->trim_next - now;
    ctx->trim_next = now + ctx->trim_every;
#if __GLIBC_PREREQ(2, 33)
    size_t in_use = mallinfo2().uordblks;
#else
    size_t in_use = 0;
#endif
    if (!sipc__trim_worth(ctx->released, in_use))
        return UINT64_MAX; /* kept: later releases add to it */
    uint64_t before = sipc_rss_bytes();
    int gave_some = malloc_trim(0);
    uint64_t after = sipc_rss_bytes();
    uint64_t gave = before ? (before > after ? before - after : 0) : gave_some ? ctx->released : 0;
    ctx->trim_every = sipc__trim_every(ctx->trim_every, ctx->released, gave);
    ctx->trim_next = now + ctx->trim_every;
    ctx->released = 0;
#else
    (void)ctx;
    (void)now;
#endif
    return UINT64_MAX;
}

void sipc__ctx_released(sipc_ctx *ctx, size_t bytes)
{
    ctx->released += bytes;
    if (ctx->released < TRIM_MIN)
        return;
    /* a timer already due by then stays as it is */
    uint64_t now = uv_now(ctx->loop);
    sipc__ctx_timer_within(ctx, ctx->trim_next > now ? ctx->trim_next - now : 0);
}

static void async_cb(uv_async_t *a)
{
    sipc_ctx *ctx = a->data;
    uv_mutex_lock(&ctx->post_lock);
    sipc_post *p = ctx->posts;
    ctx->posts = NULL;
    ctx->posts_tail = &ctx->posts;
    ctx->posts_queued = 0;
    uv_mutex_unlock(&ctx->post_lock);
    while (p) {
        sipc_post *next = p->next;
        p->fn(ctx, p->arg);
        free(p);
        p = next;
    }
}

/* Why sipc_ctx_new refuses opts, as an ERROR through the sink the options
 * name (the context that would carry it does not exist): SIPC_EINVAL. */
__attribute__((format(printf, 2, 3))) static int ctx_refuse(const sipc_options *o,
                                                            const char *fmt, ...)
{
    sipc_log_fn fn = o && o->log ? o->log : sipc_log_stderr;
    void *arg = o && o->log ? o->log_arg : NULL;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sipc_log_printf(fn, arg, SIPC_LOG_ERROR, "Transport.Context", "sipc_ctx_new: %s", msg);
    return SIPC_EINVAL;
}

/* A node id or cluster name must reach the peer whole (it is compared
 * there) and be a name the peer's hello check accepts. */
static int ctx_name_refused(const sipc_options *o, const char *field, const char *v,
                            size_t cap)
{
    if (!*v)
        return ctx_refuse(o, "options.%s is \"\" (NULL gives the default)", field);
    size_t n = strlen(v);
    if (n >= cap)
        return ctx_refuse(o, "options.%s is %zu bytes long, more than the %zu this library keeps "
                             "and sends to peers", field, n, cap - 1);
    char bad[64];
    long at = sipc__utf8_unprintable(v, bad, sizeof bad);
    if (at >= 0)
        return ctx_refuse(o, "options.%s holds %s at byte %ld (a peer refuses a hello naming "
                             "its node or cluster with control, invisible or text-direction "
                             "characters or bytes that are not UTF-8)", field, bad, at + 1);
    return 0;
}

int sipc_ctx_new(sipc_ctx **out, uv_loop_t *loop, const sipc_options *opts, sipc_security *sec)
{
    if (!out)
        return ctx_refuse(opts, "out is NULL");
    if (!loop)
        return ctx_refuse(opts, "loop is NULL");
    if (!sec)
        return ctx_refuse(opts, "sec is NULL (plaintext needs sipc_security_plain())");
    sipc_options defaults;
    sipc_options_init(&defaults);
    sipc_options o = opts ? *opts : defaults;
    if (!o.log)
        o.log = defaults.log;
    if ((unsigned)o.log_level > SIPC_LOG_ERROR) /* would silence every line */
        return ctx_refuse(&o, "options.log_level is %d, above SIPC_LOG_ERROR (%d)",
                          (int)o.log_level, SIPC_LOG_ERROR);
    if (o.log == sipc_log_stderr && o.log_level < SIPC_LOG_INFO)
        o.log_level = SIPC_LOG_INFO;
    if (!o.max_frame)
        o.max_frame = defaults.max_frame;
    /* below 1 KiB not even the system calls' answers fit */
    if (o.max_frame > SIPC_FRAME_MAX || o.max_frame < SIPC_FRAME_MIN)
        return ctx_refuse(&o, "options.max_frame is %zu bytes, outside %u .. %u", o.max_frame,
                          SIPC_FRAME_MIN, SIPC_FRAME_MAX);
    int e;
    if (o.node_id && (e = ctx_name_refused(&o, "node_id", o.node_id, sizeof((sipc_ctx *)0)->node_id)))
        return e;
    if (o.cluster && (e = ctx_name_refused(&o, "cluster", o.cluster, sizeof((sipc_ctx *)0)->cluster)))
        return e;
    if (!o.max_read_buffer_total)
        o.max_read_buffer_total = defaults.max_read_buffer_total;
    /* a frame as large as max_frame could never find room */
    if (o.max_read_buffer_total < o.max_frame)
        return ctx_refuse(&o, "options.max_read_buffer_total (%zu) is below max_frame (%zu)",
                          o.max_read_buffer_total, o.max_frame);
    /* only warned of, never refused: a keepalive_ms not below
     * idle_timeout_ms was always accepted here, and a program may mean its
     * quiet connections to be closed (sipc.conf refuses it, a node's links
     * would be redialed over and over) */
    char to_why[360];
    unsigned to_fields;
    int to_warn = !o.timeouts_reported &&
                  sipc__timeouts_check(o.keepalive_ms, o.keepalive_timeout_ms, o.idle_timeout_ms, 0,
                                       "options.", to_why, sizeof to_why, &to_fields) != 0;
    struct sockaddr_storage source;
    int has_source = o.source_address && *o.source_address;
    /* a host name: a dial binds to one address */
    if (has_source && (strlen(o.source_address) >= sizeof((sipc_ctx *)0)->source_text ||
                       sipc__addr_numeric(o.source_address, 0, &source) != 0))
        return ctx_refuse(&o, "options.source_address '%.64s' is not a numeric IPv4 or IPv6 "
                              "address", o.source_address);
    sipc_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return SIPC_ENOMEM;
    ctx->opts = o;
    sipc_options *op = &ctx->opts;
    if (has_source) {
        ctx->source = source;
        ctx->has_source = 1;
        sipc_str_copy(ctx->source_text, sizeof ctx->source_text, op->source_address);
        op->source_address = ctx->source_text;
    } else {
        op->source_address = NULL;
    }
    /* one line per peer and kind of event per interval: a flood of bad
     * frames or connections must not flood the log or stall the loop */
    if (sipc_ratelimit_new(&ctx->logrl, SIPC__LOG_INTERVAL_MS, 256) != 0) {
        free(ctx);
        return SIPC_ENOMEM;
    }
    sipc_ratelimit_set_budget(ctx->logrl, SIPC__LOG_KIND_BURST, SIPC__LOG_BUDGET);
    sipc_freelist_init(&ctx->req_blocks, SIPC__REQ_BLOCK, SIPC__SPARE_BLOCKS);
    sipc_freelist_init(&ctx->call_blocks, sizeof(sipc_pcall), SIPC__SPARE_BLOCKS);
    if (!op->max_write_queue)
        op->max_write_queue = defaults.max_write_queue;
    if (!op->max_write_queue_total)
        op->max_write_queue_total = defaults.max_write_queue_total;
    if (!op->max_pending_requests)
        op->max_pending_requests = defaults.max_pending_requests;
    if (!op->max_connections)
        op->max_connections = defaults.max_connections;
    if (!op->max_opening)
        op->max_opening = defaults.max_opening;
    if (!op->handshake_timeout_ms)
        op->handshake_timeout_ms = defaults.handshake_timeout_ms;
    if (!op->reconnect_min_ms)
        op->reconnect_min_ms = defaults.reconnect_min_ms;
    if (op->reconnect_max_ms < op->reconnect_min_ms)
        op->reconnect_max_ms = op->reconnect_min_ms;
    sipc_str_copy(ctx->node_id, sizeof ctx->node_id, op->node_id ? op->node_id : "node");
    sipc_str_copy(ctx->cluster, sizeof ctx->cluster, op->cluster ? op->cluster : "sipc");
    op->node_id = ctx->node_id;
    op->cluster = ctx->cluster;
    ctx->loop = loop;
    ctx->started_ms = uv_hrtime() / 1000000;
    ctx->pid_bits = (uint64_t)getpid() << 32;
    ctx->sec = sipc_security_retain(sec);
    /* A peer that resets a connection must not kill the process: libuv writes
     * with write(2), which raises SIGPIPE. Leave an application's own handler. */
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
        signal(SIGPIPE, SIG_IGN);
    sipc_list_init(&ctx->dirty);
    sipc_list_init(&ctx->servers);
    sipc_list_init(&ctx->channels);
    uv_prepare_init(loop, &ctx->flusher);
    ctx->flusher.data = ctx;
    uv_unref((uv_handle_t *)&ctx->flusher);
    uv_async_init(loop, &ctx->async, async_cb);
    ctx->async.data = ctx;
    uv_unref((uv_handle_t *)&ctx->async);
    uv_timer_init(loop, &ctx->timer);
    ctx->timer.data = ctx;
    uv_unref((uv_handle_t *)&ctx->timer);
    sipc__ctx_timer_within(ctx, ctx_tls_expire(ctx));
    ctx->rx_budget.cap = op->max_read_buffer_total;
    ctx->rx_budget.released = rx_released;
    ctx->trim_every = TRIM_EVERY_MS;
    ctx->rx_budget.arg = ctx;
    sipc_list_init(&ctx->rx_waiters);
    uv_timer_init(loop, &ctx->rx_timer);
    ctx->rx_timer.data = ctx;
    uv_unref((uv_handle_t *)&ctx->rx_timer);
    sipc__loop_thread_init(ctx);
    uv_timer_init(loop, &ctx->hold_timer); /* ref'd: runs only while a close waits */
    ctx->hold_timer.data = ctx;
    uv_mutex_init(&ctx->post_lock);
    ctx->posts_tail = &ctx->posts;
    if (to_warn)
        sipc__log(ctx, SIPC_LOG_WARN, "Transport.Context", "sipc_ctx_new: %s", to_why);
    *out = ctx;
    return 0;
}

uv_loop_t *sipc_ctx_loop(const sipc_ctx *ctx)
{
    return ctx ? ctx->loop : NULL;
}

sipc_security *sipc_ctx_security(const sipc_ctx *ctx)
{
    return ctx ? ctx->sec : NULL;
}

int sipc_ctx_set_security(sipc_ctx *ctx, sipc_security *sec)
{
    if (!ctx || !sec || sipc__ctx_thread_check(ctx, "sipc_ctx_set_security"))
        return SIPC_EINVAL;
    if (ctx->closing)
        return SIPC_ECLOSING;
    /* live connections hold their own reference: they keep the old one,
     * but its tickets and sessions serve no new handshake of this context,
     * and only this context's timer would ever expire them */
    sipc_security *old = ctx->sec;
    ctx->sec = sipc_security_retain(sec);
    if (old != sec)
        sipc_tls_config_forget(sipc_security_tls(old));
    sipc_security_release(old);
    sipc__ctx_timer_within(ctx, ctx_tls_expire(ctx)); /* the old one may have had nothing to expire */
    sipc__log(ctx, SIPC_LOG_INFO, "Transport.Conn", "Security changed: TLS %s%s%s; new connections use it",
              sipc_tls_mode_name(sipc_security_mode(sec)), sipc_security_mode(sec) ? ", certificate " : "",
              sipc_security_fingerprint(sec));
    sipc__channels_security_changed(ctx);
    return 0;
}

/* Counts c when it has an older security than ctx's, and replaces it
 * (sipc__conn_retire, a GOAWAY). */
static int retire_one(sipc_ctx *ctx, sipc_conn *c)
{
    return c->sec == ctx->sec ? 0 : sipc__conn_retire(c, 0);
}

int sipc_ctx_retire_connections(sipc_ctx *ctx, uint32_t quiet_ms)
{
    (void)quiet_ms; /* every connection goes through GOAWAY, idle or not */
    if (!ctx || ctx->closing)
        return 0;
    int left = 0;
    for (sipc_link *l = ctx->servers.next; l != &ctx->servers; l = l->next) {
        sipc_server *srv = sipc_container_of(l, sipc_server, link);
        sipc_link *cl = srv->conns.next;
        while (cl != &srv->conns) {
            sipc_conn *c = sipc_container_of(cl, sipc_conn, owner_link);
            cl = cl->next; /* closing unlinks only when freed, but stay safe */
            left += retire_one(ctx, c);
        }
    }
    for (sipc_link *l = ctx->channels.next; l != &ctx->channels; l = l->next) {
        sipc_channel *ch = sipc_container_of(l, sipc_channel, link);
        sipc_link *cl = ch->conns.next;
        while (cl != &ch->conns && !ch->closing) {
            sipc_conn *c = sipc_container_of(cl, sipc_conn, owner_link);
            cl = cl->next;
            left += retire_one(ctx, c);
        }
    }
    return left;
}

const char *sipc_ctx_node_id(const sipc_ctx *ctx)
{
    return ctx ? ctx->node_id : "";
}

const char *sipc_ctx_cluster(const sipc_ctx *ctx)
{
    return ctx ? ctx->cluster : "";
}

int sipc_ctx_post(sipc_ctx *ctx, sipc_post_fn fn, void *arg)
{
    if (!ctx || !fn)
        return SIPC_EINVAL;
    sipc_post *p = malloc(sizeof *p);
    if (!p)
        return SIPC_ENOMEM;
    p->next = NULL;
    p->fn = fn;
    p->arg = arg;
    uv_mutex_lock(&ctx->post_lock);
    if (__atomic_load_n(&ctx->closing, __ATOMIC_ACQUIRE)) {
        uv_mutex_unlock(&ctx->post_lock);
        free(p);
        return SIPC_ECLOSING;
    }
    /* a thread posting faster than the loop runs its posts would grow the
     * queue without end: refused instead, the memory bounded */
    if (ctx->posts_queued >= SIPC_POSTS_MAX) {
        uv_mutex_unlock(&ctx->post_lock);
        free(p);
        return SIPC_EQUEUEFULL;
    }
    ctx->posts_queued++;
    *ctx->posts_tail = p;
    ctx->posts_tail = &p->next;
    uv_async_send(&ctx->async);
    uv_mutex_unlock(&ctx->post_lock);
    return 0;
}

static void ctx_handle_closed(uv_handle_t *h)
{
    sipc_ctx *ctx = h->data;
    ctx->handles_open--;
    sipc__ctx_maybe_finish_close(ctx);
}

void sipc__ctx_maybe_finish_close(sipc_ctx *ctx)
{
    if (!ctx->closing || !sipc_list_empty(&ctx->servers) || !sipc_list_empty(&ctx->channels))
        return;
    if (ctx->handles_open == -1) {
        /* first time everything above is gone: close our own handles */
        ctx->handles_open = 6;
        uv_close((uv_handle_t *)&ctx->turn, ctx_handle_closed);
        uv_close((uv_handle_t *)&ctx->hold_timer, ctx_handle_closed);
        uv_close((uv_handle_t *)&ctx->rx_timer, ctx_handle_closed);
        uv_close((uv_handle_t *)&ctx->flusher, ctx_handle_closed);
        uv_close((uv_handle_t *)&ctx->async, ctx_handle_closed);
        /* what is still held back is said now, not lost with the context */
        (void)sipc__log_limited_flush(ctx, uv_now(ctx->loop), 1);
        uv_close((uv_handle_t *)&ctx->timer, ctx_handle_closed);
        return;
    }
    if (ctx->handles_open != 0)
        return;
    /* posts that never ran are dropped: sipc_ctx_post said ECLOSING after close */
    for (sipc_post *p = ctx->posts, *n; p; p = n) {
        n = p->next;
        free(p);
    }
    sipc_security_release(ctx->sec);
    sipc_ratelimit_free(ctx->logrl);
    free(ctx->held);
    sipc_freelist_clear(&ctx->req_blocks);
    sipc_freelist_clear(&ctx->call_blocks);
    sipc_ctx_close_cb cb = ctx->close_cb;
    void *arg = ctx->close_arg;
    if (cb)
        cb(ctx, arg);
    /* after close_cb: a post until it returns (SIPC_ECLOSING) takes the lock */
    uv_mutex_destroy(&ctx->post_lock);
    free(ctx);
}

/* Adds what the connections in conns (by owner_link) hold to *count and
 * names, and the first that holds any to *first; with names NULL, returns 1
 * at that first one. */
static int conns_held(sipc_link *conns, sipc_conn **first, unsigned *count, char *names,
                      size_t len)
{
    for (sipc_link *k = conns->next; k != conns; k = k->next) {
        sipc_conn *c = sipc_container_of(k, sipc_conn, owner_link);
        if (sipc_list_empty(&c->held))
            continue;
        if (!*first)
            *first = c;
        if (!names)
            return 1;
        *count += sipc__requests_describe(c, names, len);
    }
    return 0;
}

/* The first connection of ctx's servers and channels whose requests a
 * handler holds; with names, how many in all and their names ("a.b, c.d"). */
static sipc_conn *ctx_held(sipc_ctx *ctx, unsigned *count, char *names, size_t len)
{
    sipc_conn *first = NULL;
    if (names)
        names[0] = '\0';
    for (sipc_link *l = ctx->servers.next; l != &ctx->servers; l = l->next)
        if (conns_held(&sipc_container_of(l, sipc_server, link)->conns, &first, count, names, len))
            return first;
    for (sipc_link *l = ctx->channels.next; l != &ctx->channels; l = l->next)
        if (conns_held(&sipc_container_of(l, sipc_channel, link)->conns, &first, count, names, len))
            return first;
    return first;
}

/* The close's grace for held requests is over: it completes without them. */
static void hold_timer_cb(uv_timer_t *t)
{
    sipc_ctx *ctx = t->data;
    char names[400];
    unsigned n = 0;
    if (!ctx_held(ctx, &n, names, sizeof names))
        return;
    sipc__log(ctx, SIPC_LOG_WARN, "Transport.Conn",
              "closing: %u request%s still held by handlers %u ms after the close (%s): the close "
              "completes without them; answering one later only frees it (sipc_respond returns "
              "SIPC_ECLOSED)",
              n, n == 1 ? "" : "s", SIPC__CLOSE_HOLD_MS, names);
    /* each detach may free a connection, its server and the lists walked */
    sipc_conn *c;
    while ((c = ctx_held(ctx, &n, NULL, 0)) != NULL)
        sipc__requests_orphan(c);
}

int sipc_ctx_close(sipc_ctx *ctx, sipc_ctx_close_cb close_cb, void *arg)
{
    if (!ctx)
        return SIPC_EINVAL;
    if (sipc__ctx_thread_check(ctx, "sipc_ctx_close"))
        return SIPC_EINVAL;
    if (ctx->closing)
        return SIPC_ECLOSING; /* the first close's callback runs, not this one */
    uv_mutex_lock(&ctx->post_lock);
    __atomic_store_n(&ctx->closing, 1, __ATOMIC_RELEASE);
    uv_mutex_unlock(&ctx->post_lock);
    /* run what was posted before the close, as promised */
    async_cb(&ctx->async);
    ctx->close_cb = close_cb;
    ctx->close_arg = arg;
    ctx->handles_open = -1;
    sipc__server_close_all(ctx);
    sipc__channel_close_all(ctx);
    /* a handler that never answers would hold the close open, and with the
     * context's handles unref'd uv_run would return with it half done */
    char names[400];
    unsigned n = 0;
    if (ctx_held(ctx, &n, names, sizeof names)) {
        sipc__log(ctx, SIPC_LOG_WARN, "Transport.Conn",
                  "closing: %u request%s still held by handlers (%s); their connections are "
                  "closed, so no answer reaches its caller: the close waits up to %u ms for the "
                  "handlers to release them (sipc_respond or sipc_respond_error), then completes "
                  "without them (sipc_server_drain before the close lets them be answered)",
                  n, n == 1 ? "" : "s", names, SIPC__CLOSE_HOLD_MS);
        uv_timer_start(&ctx->hold_timer, hold_timer_cb, SIPC__CLOSE_HOLD_MS, 0);
    }
    sipc__ctx_maybe_finish_close(ctx);
    return 0;
}
